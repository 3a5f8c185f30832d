"""What every widget of the window gets, as in any desktop program: keys reach the control that
uses them (a slider its arrows, a list the letters its choices begin with), the mouse wheel
scrolls a panel rather than change a choice it passes over, and tooltips wrap to a readable width.

One event filter holds the rules, so no widget has to remember them. It sees the input, and
only the input: not every event of the application (``DesktopBehaviour``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication, QWindow
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
    """The rules, seen where the input goes rather than in every event of the application.

    Installed on the application, a Python filter is called for every Qt event: 1,500 a second
    while training (paints, layouts, queued signals, pyqtgraph's property changes), and each
    call waits for the interpreter the model thread holds, so every slot and timer of the
    window waited for it twice. Instead (``install``) it is on:

    - each top-level window's ``QWindow``, which sees the window's mouse, wheel and key events
      before any widget does: the wheel's rule is applied there, and the widget the mouse moves
      onto gets the filter if it has a tooltip (a tooltip follows a move);
    - the focused widget, whose ShortcutOverride events say whether a key is a shortcut.
    """

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if isinstance(obj, QWindow):
            if kind == QEvent.Type.Wheel:
                return self._wheel(event)
            if kind == QEvent.Type.MouseMove:
                self._watch_tooltip(event.globalPosition().toPoint())
            return False
        if kind == QEvent.Type.ShortcutOverride:
            focus = QApplication.focusWidget()
            plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier == Qt.KeyboardModifier.NoModifier
            claimed = getattr(focus, "takes_keys", None)  # a widget's keys, as it says now (a callable)
            if plain and (isinstance(focus, QAbstractSlider) and event.key() in SLIDER_KEYS
                          or claimed is not None and event.key() in claimed()
                          or searches(focus, event.text())):
                event.accept()  # the slider (or a map's cursor) takes the key; no shortcut fires
                return True
        elif kind == QEvent.Type.ToolTip and isinstance(obj, QWidget):
            text = obj.toolTip()
            if text and not QtGuiNamespace.mightBeRichText(text):
                QToolTip.showText(event.globalPos(), wrapped(text), obj)
                return True
        elif kind == QEvent.Type.Leave and obj is not QApplication.focusWidget():
            obj.removeEventFilter(self)  # watched while the mouse is on it (Qt allows this here)
        return False

    def _wheel(self, event) -> bool:
        """Scrolling the controls down passed over the Optimizer box and chose Adam (a Model or
        Scenario box would replace the run): an unfocused box hands the wheel to its panel."""
        if QApplication.activePopupWidget() is not None:
            return False  # an open list scrolls itself
        # Under the mouse is the innermost widget: a spin box's field is its child.
        box = _nearest(QApplication.widgetAt(event.globalPosition().toPoint()), lambda w: isinstance(w, WHEEL_CHOICES))
        if box is None or isinstance(box, QScrollBar) or box.hasFocus():
            return False
        area = _nearest(box.parentWidget(), lambda w: isinstance(w, QAbstractScrollArea))
        if area is None or area.verticalScrollBar().maximum() == 0:
            return False  # no panel to scroll: the wheel is the box's, as Qt has it
        QApplication.sendEvent(area.verticalScrollBar(), event)
        return True

    def _watch_tooltip(self, where) -> None:
        """The widget under the mouse whose tooltip would show (its own, else its nearest
        parent's) gets the filter before its ToolTip event comes; installing again is a no-op."""
        widget = _nearest(QApplication.widgetAt(where), lambda w: bool(w.toolTip()))
        if widget is not None:
            widget.installEventFilter(self)

    def watch_window(self, window: QWindow | None) -> None:
        if window is not None:
            window.installEventFilter(self)

    def watch_focus(self, old: QWidget | None, new: QWidget | None) -> None:
        """Only the focused widget (and the one under the mouse) is watched: the one a person left
        is let go, or every widget ever focused would be, paints and all."""
        if old is not None and not old.underMouse():
            old.removeEventFilter(self)
        if new is not None:
            new.installEventFilter(self)


def _nearest(widget: QWidget | None, wanted) -> QWidget | None:
    """``widget`` or its nearest parent in the same window for which ``wanted(w)`` holds, else None."""
    while widget is not None and not wanted(widget):
        widget = None if widget.isWindow() else widget.parentWidget()
    return widget


_installed: DesktopBehaviour | None = None


def install() -> None:
    """On every top-level window there is (call when a window is shown), and from then on on
    each window and widget that gets the focus."""
    global _installed
    app = QApplication.instance()
    if app is None:
        return
    if _installed is None:
        _installed = DesktopBehaviour(app)
        app.focusChanged.connect(_installed.watch_focus)
        QGuiApplication.instance().focusWindowChanged.connect(_installed.watch_window)
    for top in app.topLevelWidgets():
        _installed.watch_window(top.windowHandle())
    _installed.watch_focus(None, app.focusWidget())
