"""In front of a class: the whole interface zoomed, full screen, and the controls folded away.

Zoom scales every window's font (every label, box, title and menu) and draws each plot's scene
through a scaled view, so the tick labels, line widths and markers of every view grow with the
text, in proportion, without each view knowing. The factor is remembered between sessions.
"""

from __future__ import annotations

import gc
import weakref

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QToolButton, QToolTip, QVBoxLayout, QWidget

from . import prefs
from .appearance import polish_style_sheets

ZOOM_STEPS = (0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0)
ZOOM_KEY = "view/zoom"


class ZoomCanvas(pg.GraphicsLayoutWidget):
    """A plot canvas whose scene is laid out at 1/zoom of its size and drawn zoom times larger."""

    zoom = 1.0  # every canvas's, set by ``Zoom.set``
    _all: "weakref.WeakSet[ZoomCanvas]" = weakref.WeakSet()

    def __init__(self, *args, smallest=(300, 200), **kwargs):
        # The scene is never laid out smaller than this (unless the canvas itself is): a canvas
        # with little room zooms less, rather than crowd its plots into a few hundred pixels.
        # (Set first: pyqtgraph's __init__ already resizes.)
        self.smallest = smallest
        super().__init__(*args, **kwargs)
        self._keep_base_font()
        ZoomCanvas._all.add(self)
        self._fit()

    def _keep_base_font(self) -> None:
        """The plots' text at the application's (unzoomed) font: the scaled view zooms it, with
        the lines; the window's zoomed font would zoom it a second time."""
        self.setFont(QApplication.font())

    def effective_zoom(self) -> float:
        z = ZoomCanvas.zoom
        if z <= 1.0:
            return z
        w, h = self.smallest
        return max(1.0, min(z, self.width() / w, self.height() / h))

    def resizeEvent(self, ev) -> None:  # noqa: N802 - Qt's name
        if self.closed:
            return
        self._fit()

    def _fit(self) -> None:
        z = self.effective_zoom()
        if z == 1.0:  # pyqtgraph's own behaviour: the scene in the view's pixels
            self.autoPixelRange = True
            super().resizeEvent(None)
            return
        # The scene is smaller than the view by the zoom, and fitInView scales it up to fill it.
        self.setRange(QRectF(0, 0, self.width() / z, self.height() / z), padding=0, disableAutoPixel=True)

    @classmethod
    def apply_to_all(cls) -> None:
        for canvas in list(cls._all):
            # A window closed and deleted by Qt may leave its Python wrappers behind for a while.
            if shiboken6.isValid(canvas) and not canvas.closed:
                canvas._keep_base_font()
                canvas._fit()


class Zoom:
    """The interface's zoom: every window's font and every plot canvas, together.

    The application's own font stays as it was: that is the font pyqtgraph draws text with (tick
    labels, legends, titles, in cached pixmaps too), and the canvas's scaled view zooms that text
    with the lines. Windows and dialogs take the zoomed font instead, those opened later too (an
    application event filter gives it to each new window as it is polished).
    """

    def __init__(self, app: QApplication):
        self._app = app
        self.factor = ZoomCanvas.zoom

    def restore(self) -> None:
        """The factor of the last session (1 if none, or if what is stored is not a step)."""
        try:
            stored = float(prefs.store().value(ZOOM_KEY, 1.0))
        except (TypeError, ValueError):
            stored = 1.0
        self.set(stored if stored in ZOOM_STEPS else 1.0, remember=False)

    def bigger(self) -> float:
        return self.set(next((z for z in ZOOM_STEPS if z > self.factor), ZOOM_STEPS[-1]))

    def smaller(self, remember: bool = True) -> float:
        return self.set(next((z for z in reversed(ZOOM_STEPS) if z < self.factor), ZOOM_STEPS[0]), remember)

    def actual_size(self) -> float:
        return self.set(1.0)

    def set(self, factor: float, remember: bool = True) -> float:
        self.factor = factor
        if factor != ZoomCanvas.zoom:
            ZoomCanvas.zoom = factor
            font = zoomed_font()
            QToolTip.setFont(font)
            # The windows on screen now; the others (menus, dialogs, windows closing) as they are
            # shown, by a filter that sees every event of the application. It is installed the first
            # time the zoom changes, not before: building the window alone is 5,000 events.
            # No garbage is collected while the list is walked: a collection can delete a window
            # still in it (the popup menu of a plot a new run replaced, with that plot), and
            # reading it then is a crash (seen in the tests, one zoom in hundreds of windows).
            collecting = gc.isenabled()
            gc.disable()
            try:
                for window in self._app.topLevelWidgets():
                    if window.isVisible():
                        _give_font(window, font)
            finally:
                if collecting:
                    gc.enable()
            ZoomCanvas.apply_to_all()
            if _ZOOMED.get("filter") is None:
                _ZOOMED["filter"] = _NewWindows(self._app)
                self._app.installEventFilter(_ZOOMED["filter"])
        if remember:
            prefs.set_value(ZOOM_KEY, factor)
        return factor


_ZOOMED: dict = {}  # the application's one event filter for new windows


def zoomed_font() -> QFont:
    font = QFont(QApplication.font())
    font.setPointSizeF(font.pointSizeF() * ZoomCanvas.zoom)
    return font


def font_scale(widget: QWidget) -> float:
    """How many times the application's font ``widget``'s is (the zoom gives windows their own
    font, not the application), at least 1: what a panel sized in pixels at the usual font grows by."""
    base = QApplication.font().pointSizeF()
    return max(1.0, widget.font().pointSizeF() / base) if base > 0 else 1.0


def _give_font(window, font: QFont) -> None:
    window.setFont(font)
    polish_style_sheets(window)


class _NewWindows(QObject):
    """Gives a window the zoomed font as it is polished or shown (a menu is shown again and again)."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if (event.type() in (QEvent.Type.Polish, QEvent.Type.Show) and isinstance(obj, QWidget)
                and obj.isWindow() and obj.font().pointSizeF() != zoomed_font().pointSizeF()):
            _give_font(obj, zoomed_font())
        return False


class SlimBar(QWidget):
    """What stays of the controls in presentation mode: a narrow column of the run's own actions
    (the same actions as the menus, so their keys and states are theirs) and the step."""

    def __init__(self, actions, show_controls, parent=None):
        super().__init__(parent)
        self.setAccessibleName("Presentation bar")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 4, 2, 4)
        self.controls_button = QToolButton()
        self.controls_button.setText("☰")
        self.controls_button.setToolTip("Show the controls again (leave presentation mode)")
        self.controls_button.setAccessibleName("Leave presentation mode")
        self.controls_button.clicked.connect(show_controls)
        lay.addWidget(self.controls_button)
        self.buttons = []
        for action, text in actions:
            b = QToolButton()
            b.setDefaultAction(action)
            b.setText(text)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setToolTip(f"{action.text()} ({action.shortcut().toString()})")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys act on the run, as elsewhere
            lay.addWidget(b)
            self.buttons.append(b)
        self.step_label = QLabel("")
        self.step_label.setWordWrap(True)
        self.step_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        lay.addWidget(self.step_label)
        lay.addStretch(1)
        self.hide()

    def show_step(self, step: int) -> None:
        self.step_label.setText(f"step\n{step:,}")
