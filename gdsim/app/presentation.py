"""In front of a class: the whole interface zoomed, full screen, and the controls folded away.

Zoom scales the application font (every label, box and title) and draws each plot's scene
through a scaled view, so the tick labels, line widths and markers of every view grow with the
text, in proportion, without each view knowing. The factor is remembered between sessions.
"""

from __future__ import annotations

import weakref

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QApplication, QLabel, QToolButton, QVBoxLayout, QWidget

from . import prefs

ZOOM_STEPS = (0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0)
ZOOM_KEY = "view/zoom"


class ZoomCanvas(pg.GraphicsLayoutWidget):
    """A plot canvas whose scene is laid out at 1/zoom of its size and drawn zoom times larger."""

    zoom = 1.0  # every canvas's, set by ``set_zoom``
    _all: "weakref.WeakSet[ZoomCanvas]" = weakref.WeakSet()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ZoomCanvas._all.add(self)
        self._fit()

    def resizeEvent(self, ev) -> None:  # noqa: N802 - Qt's name
        if self.closed:
            return
        self._fit()

    def _fit(self) -> None:
        z = ZoomCanvas.zoom
        if z == 1.0:  # pyqtgraph's own behaviour: the scene in the view's pixels
            self.autoPixelRange = True
            super().resizeEvent(None)
            return
        # The scene is smaller than the view by the zoom, and fitInView scales it up to fill it.
        self.setRange(QRectF(0, 0, self.width() / z, self.height() / z), padding=0, disableAutoPixel=True)

    @classmethod
    def apply_to_all(cls) -> None:
        for canvas in list(cls._all):
            # A canvas whose C++ object is gone can still be in the set: its Python side waits in a
            # reference cycle for the garbage collector (the landscape view's takes_keys closure).
            if shiboken6.isValid(canvas) and not canvas.closed:
                canvas._fit()


class Zoom:
    """The interface's zoom: the application font and every plot canvas, together."""

    def __init__(self, app: QApplication):
        self._app = app
        self._base = app.font().pointSizeF()
        self.factor = 1.0

    def restore(self) -> None:
        """The factor of the last session (1 if none, or if what is stored is not a step)."""
        try:
            stored = float(prefs.store().value(ZOOM_KEY, 1.0))
        except (TypeError, ValueError):
            stored = 1.0
        self.set(stored if stored in ZOOM_STEPS else 1.0, remember=False)

    def bigger(self) -> float:
        return self.set(next((z for z in ZOOM_STEPS if z > self.factor), ZOOM_STEPS[-1]))

    def smaller(self) -> float:
        return self.set(next((z for z in reversed(ZOOM_STEPS) if z < self.factor), ZOOM_STEPS[0]))

    def actual_size(self) -> float:
        return self.set(1.0)

    def set(self, factor: float, remember: bool = True) -> float:
        self.factor = factor
        font = self._app.font()
        if self._base > 0:
            font.setPointSizeF(self._base * factor)
            self._app.setFont(font)
        ZoomCanvas.zoom = factor
        ZoomCanvas.apply_to_all()
        if remember:
            prefs.set_value(ZOOM_KEY, factor)
        return factor


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
