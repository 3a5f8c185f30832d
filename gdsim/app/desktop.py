"""What every widget of the window gets, as in any desktop program: keys reach the control that
uses them (a slider its arrows, a list the letters its choices begin with), the mouse wheel
scrolls a panel rather than change a choice it passes over, and tooltips wrap to a readable width.

One event filter on the application, so no widget has to remember either rule.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import Qt as QtGuiNamespace  # mightBeRichText lives in QtGui's part of Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea, QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QScrollBar, QToolTip, QWidget,
)

# Keys a focused slider moves with. The window's single-key shortcuts (Right = Step) would
# otherwise take them: Qt gives window shortcuts precedence unless the focused widget
# claims the key, which line edits and spin boxes do and sliders do not.
SLIDER_KEYS = {Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp,
               Qt.Key.Key_PageDown, Qt.Key.Key_Home, Qt.Key.Key_End}


# Choices the wheel changes only once clicked or tabbed to.
WHEEL_CHOICES = (QComboBox, QAbstractSpinBox, QAbstractSlider)


def wrapped(text: str) -> str:
    """A plain tooltip as rich text: Qt wraps rich tooltips at about 80 characters, plain ones never."""
    import html  # with the first tooltip: its table of entities is a millisecond of the window's start-up

    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


def searches(focus, text: str) -> bool:
    """Whether typing ``text`` in ``focus`` picks one of its choices: a closed list (not editable)
    and a letter or digit that begins a choice, as typing in a list does everywhere. The window's
    one-key shortcuts had it: Z in the Initializer box switched gradient zeroing instead of
    choosing zeros, R in the Optimizer box reset the run, P in the Scenario box pinned it."""
    if not isinstance(focus, QComboBox) or focus.isEditable() or len(text) != 1 or not text.isalnum():
        return False
    key = text.casefold()
    return any(focus.itemText(i).casefold().startswith(key) for i in range(focus.count()))


class DesktopBehaviour(QObject):
    """Install once on the QApplication (``install``)."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride:
            focus = QApplication.focusWidget()
            plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier == Qt.KeyboardModifier.NoModifier
            claimed = getattr(focus, "takes_keys", None)  # a widget's keys, as it says now (a callable)
            if plain and (isinstance(focus, QAbstractSlider) and event.key() in SLIDER_KEYS
                          or claimed is not None and event.key() in claimed()
                          or searches(focus, event.text())):
                event.accept()  # the slider (or a map's cursor) takes the key; no shortcut fires
                return True
        elif (kind == QEvent.Type.Wheel and isinstance(obj, WHEEL_CHOICES) and not isinstance(obj, QScrollBar)
              and not obj.hasFocus()):
            # Scrolling the controls down passed over the Optimizer box and chose Adam (a Model or
            # Scenario box would replace the run): an unfocused box hands the wheel to its panel.
            area = obj.parentWidget()
            while area is not None and not isinstance(area, QAbstractScrollArea):
                area = area.parentWidget()
            if area is None or area.verticalScrollBar().maximum() == 0:
                return False  # no panel to scroll: the wheel is the box's, as Qt has it
            QApplication.sendEvent(area.verticalScrollBar(), event)
            return True
        elif kind == QEvent.Type.ToolTip and isinstance(obj, QWidget):
            text = obj.toolTip()
            if text and not QtGuiNamespace.mightBeRichText(text):
                QToolTip.showText(event.globalPos(), wrapped(text), obj)
                return True
        return False


_installed: DesktopBehaviour | None = None


def install() -> None:
    """Once per application; later calls do nothing."""
    global _installed
    app = QApplication.instance()
    if _installed is None and app is not None:
        _installed = DesktopBehaviour(app)
        app.installEventFilter(_installed)
