"""A focus ring you can see: 2 px in the theme's focus colour around the control that has the keyboard.

Fusion's own focus cue is a faint tint (a known complaint). A style sheet rule for ``:focus``
would turn every control it touches into a style-sheet-drawn one (another look); instead one
transparent widget, laid over the window, draws the ring around the focused control and leaves
the controls as they were. It follows the control when it or a parent moves or resizes (a panel
scrolled, a splitter dragged), and is cut to the part of the control that can be seen.

As a browser's ``:focus-visible``: focus given by a mouse click shows no ring (the pointer is
there already); focus from Tab, a shortcut or the program does.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QApplication, QWidget

from . import theme

RING_PX = 2  # the ring's width: WCAG 2.4.13 asks for at least 2 CSS pixels
GAP_PX = 1  # between the control and the ring


class FocusRing(QWidget):
    def __init__(self, window: QWidget, skip=(), dialogs: bool = True):
        super().__init__(window)
        self.setObjectName("focus-ring")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.skip = list(skip)  # widgets that take the keyboard without being a control (the views' area)
        self.dialogs = dialogs  # give the window's dialogs their own ring when they take the keyboard
        self.target: QWidget | None = None
        self._watched: list[QObject] = []
        self.hide()
        QApplication.instance().focusChanged.connect(self._focus_changed)

    def _focus_changed(self, _old, new) -> None:
        window = self.parentWidget()
        if window is None:
            return
        if isinstance(new, QWidget) and self.dialogs and _opened_by(new.window(), window) \
                and new.window().findChild(FocusRing, options=Qt.FindChildOption.FindDirectChildrenOnly) is None:
            # A dialog of this window (a race, the stability map...) gets a ring of its own, once.
            FocusRing(new.window(), dialogs=False)._focus_changed(_old, new)
        wanted = (isinstance(new, QWidget) and new.window() is window and new not in self.skip
                  and QApplication.mouseButtons() == Qt.MouseButton.NoButton)
        self._follow(new if wanted else None)

    def _follow(self, target: QWidget | None) -> None:
        for obj in self._watched:
            if shiboken6.isValid(obj):  # a control can go while followed (a list rebuilt, a window closed)
                obj.removeEventFilter(self)
        self._watched = []
        self.target = target
        if target is not None:
            w = target
            while w is not None and w is not self.parentWidget():
                w.installEventFilter(self)
                self._watched.append(w)
                w = w.parentWidget()
        self.place()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide):
            self.place()
        return False

    def place(self) -> None:
        target, window = self.target, self.parentWidget()
        if target is None or not shiboken6.isValid(target) or window is None or not target.isVisible():
            self.hide()
            return
        seen = target.visibleRegion().boundingRect()
        if seen.isEmpty():
            self.hide()
            return
        top_left = target.mapTo(window, seen.topLeft())
        pad = RING_PX + GAP_PX
        rect = QRect(top_left, seen.size()).adjusted(-pad, -pad, pad, pad) & window.rect()
        self.setGeometry(rect)
        self.show()
        self.raise_()
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt's name)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(theme.FOCUS), RING_PX))
        half = RING_PX / 2
        p.drawRoundedRect(self.rect().toRectF().adjusted(half, half, -half, -half), 3, 3)
        p.end()


def _opened_by(dialog: QWidget, window: QWidget) -> bool:
    """``dialog`` is another top-level window whose parents lead to ``window``."""
    if dialog is window:
        return False
    w = dialog.parentWidget()
    while w is not None:
        if w is window:
            return True
        w = w.parentWidget()
    return False
