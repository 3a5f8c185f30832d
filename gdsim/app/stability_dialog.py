"""The stability map (core.stability): SGD with momentum over learning rates and momenta, each
cell one run, coloured by what it did, with the bound the maths gives drawn over it. A click on a
cell trains that run in the window."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from ..core import stability as st
from . import theme
from .views.base import fit_wrapped, legend_title, value_axes
from .views.range_test_view import AXIS_HEIGHT

# Okabe and Ito's colours, one per regime (st.REGIMES' order), apart for every colour vision.
REGIME_COLOURS = dict(zip((st.CONVERGES, st.TOO_SLOW, st.OSCILLATES, st.DIVERGES), theme.REGIMES))
BOUND_COLOUR = theme.STABILITY_BOUND


def draw_stability(plot: pg.PlotItem, stability: st.StabilityMap, bound: np.ndarray) -> pg.ImageItem:
    """The map as an image (log lr across, momentum up), each cell its regime's colour, and the
    divergence bound lr = 2 (1 + mu) / lambda as a dashed line."""
    plot.clear()
    lut = np.array([pg.mkColor(REGIME_COLOURS[r]).getRgb()[:3] for r in st.REGIMES], dtype=np.ubyte)
    image = pg.ImageItem(np.asarray(stability.regime, dtype=np.float64), axisOrder="row-major")
    image.setLookupTable(lut)
    image.setLevels((0, len(st.REGIMES) - 1))
    x, y = _edges(np.log10(stability.lrs)), _edges(stability.momenta)
    image.setRect(QRectF(x[0], y[0], x[-1] - x[0], y[-1] - y[0]))
    plot.addItem(image)
    plot.setLogMode(x=False, y=False)
    plot.getAxis("bottom").setTicks(_lr_ticks(x[0], x[-1]))
    plot.setLabel("bottom", "learning rate")
    plot.setLabel("left", "momentum")
    plot.getAxis("bottom").setHeight(AXIS_HEIGHT)  # room for the axis title from the first paint
    inside = (bound >= stability.lrs[0]) & (bound <= stability.lrs[-1])
    plot.plot(np.log10(bound[inside]), stability.momenta[inside],
              pen=pg.mkPen(BOUND_COLOUR, width=2, style=Qt.PenStyle.DashLine))
    plot.setXRange(x[0], x[-1], padding=0)
    plot.setYRange(y[0], y[-1], padding=0)
    # An oscillating run may still end near the minimum (its loss zig-zags down): said, so that a
    # learner does not read the colour as a failure.
    entries = [(REGIME_COLOURS[r], "█", r + (" (may still converge)" if r == st.OSCILLATES else ""))
               for r in st.REGIMES]
    entries.append((BOUND_COLOUR, "╌", "lr = 2(1 + momentum) / largest curvature"))
    legend_title(plot, entries, size="9pt", per_line=len(st.REGIMES))
    return image


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges halfway between the centres (the outer ones as far out as the inner)."""
    c = np.asarray(centres, dtype=np.float64)
    if len(c) == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = (c[1:] + c[:-1]) / 2
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])


def _lr_ticks(lo: float, hi: float):
    values = [(np.log10(m) + k, f"{m * 10.0 ** k:g}") for k in range(int(np.floor(lo)), int(np.ceil(hi)) + 1)
              for m in (1, 2, 5) if lo <= np.log10(m) + k <= hi]
    return [values, []]


def cell_at(stability: st.StabilityMap, log_lr: float, momentum: float):
    """The cell (i, j) at a point of the map, or None outside it."""
    x, y = _edges(np.log10(stability.lrs)), _edges(stability.momenta)
    if not (x[0] <= log_lr <= x[-1] and y[0] <= momentum <= y[-1]):
        return None
    j = min(int(np.searchsorted(x, log_lr, side="right")) - 1, len(stability.lrs) - 1)
    i = min(int(np.searchsorted(y, momentum, side="right")) - 1, len(stability.momenta) - 1)
    return i, j


def describe_cell(stability: st.StabilityMap, i: int, j: int) -> str:
    lr, mu = stability.lrs[j], stability.momenta[i]
    divergence = stability.divergence(i, j)
    end = (divergence.message if divergence is not None
           else f"loss {stability.final_loss[i, j]:.4g} after {stability.steps} steps")
    return f"lr {lr:g}, momentum {mu:g}: <b>{stability.regime_name(i, j)}</b> ({end})"


class StabilityDialog(QDialog):
    cell_chosen = Signal(object)  # the Settings of the cell clicked

    def __init__(self, stability: st.StabilityMap, bound: np.ndarray, parent=None):
        super().__init__(parent)
        self.stability = stability
        s = stability.settings
        self.setWindowTitle(f"Stability map: {s.scenario} - gdsim")
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"Each cell is a run of {stability.steps} steps of SGD with momentum on the {s.scenario} lesson from this "
            "run's initial weights, at that learning rate and momentum. Past the dashed line every run diverges "
            "(Goh, \"Why Momentum Really Works\", Distill 2017); momentum moves the line to larger learning rates. "
            "Click a cell (or choose one with the arrow keys and press Enter) to train that run.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.plot_widget = pg.PlotWidget(axisItems=value_axes())
        self.plot_widget.setMinimumSize(560, 380)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        draw_stability(self.plot, stability, bound)
        self.plot_widget.setToolTip("Click a cell to train that run in the window")
        layout.addWidget(self.plot_widget, 1)
        self.hover = QLabel("Point at a cell to read its run.")
        self.hover.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.hover)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        # The keyboard's cell: the lesson's own learning rate without momentum, to start with.
        lr = stability.settings.lr
        self.current = (0, int(np.argmin(np.abs(np.log10(stability.lrs) - np.log10(lr)))))
        self.marker = pg.ScatterPlotItem(size=16, symbol="s", pen=pg.mkPen(theme.STABILITY_BOUND, width=2),
                                         brush=pg.mkBrush(None))
        self.plot.addItem(self.marker)
        self._show_current()
        fit_wrapped(self)
        scene = self.plot_widget.scene()
        scene.sigMouseMoved.connect(self._hovered)
        scene.sigMouseClicked.connect(self._clicked)

    def _cell(self, scene_pos):
        if not self.plot.vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.plot.vb.mapSceneToView(scene_pos)
        return cell_at(self.stability, p.x(), p.y())

    def _hovered(self, scene_pos) -> None:
        cell = self._cell(scene_pos)
        if cell is not None:
            self.hover.setText(describe_cell(self.stability, *cell))

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self._cell(event.scenePos())
        if cell is not None:
            event.accept()
            self.choose(*cell)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        moves = {Qt.Key.Key_Left: (0, -1), Qt.Key.Key_Right: (0, 1), Qt.Key.Key_Up: (1, 0), Qt.Key.Key_Down: (-1, 0)}
        if event.key() in moves:
            di, dj = moves[event.key()]
            i = min(max(self.current[0] + di, 0), len(self.stability.momenta) - 1)
            j = min(max(self.current[1] + dj, 0), len(self.stability.lrs) - 1)
            self.current = (i, j)
            self._show_current()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.choose(*self.current)
        else:
            super().keyPressEvent(event)

    def _show_current(self) -> None:
        i, j = self.current
        self.marker.setData([np.log10(self.stability.lrs[j])], [self.stability.momenta[i]])
        self.hover.setText(describe_cell(self.stability, i, j))

    def choose(self, i: int, j: int) -> None:
        self.current = (i, j)
        self._show_current()
        self.cell_chosen.emit(st.cell_settings(self.stability, i, j))
