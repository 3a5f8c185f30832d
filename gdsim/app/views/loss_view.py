"""Loss against step: training loss every step, validation loss every epoch, and the metric."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox

from ...core.metrics import METRIC_TITLES
from .. import theme
from ..series import Series, dots_while_few, positive_or_nan
from .base import PlotView, empty_text


class LossView(PlotView):
    name = "loss"
    title = "Loss"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.log_box = QCheckBox("log scale")
        self.log_box.setChecked(True)
        self.log_box.setToolTip("Show the loss on a logarithmic axis (L). Losses often fall by "
                                "orders of magnitude; on a log axis every factor of 10 looks the same.")
        self.log_box.toggled.connect(self._set_log)
        self.header.addWidget(self.log_box)

        self.train = Series()
        self.train_pos = Series()  # the same points, with what a log axis cannot draw as gaps
        self.val = Series()
        self.metric_series = Series()
        self.val_metric = Series()

        self.loss_plot = self.add_plot(0, 0, x="step", y="loss")
        self.loss_plot.addLegend(offset=(-10, 10))
        for plot in (self.loss_plot,):
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
        self.train_curve = self.loss_plot.plot(name="training loss (each step)",
                                               pen=pg.mkPen(theme.TRAIN, width=1))
        self.val_curve = self.loss_plot.plot(name="validation loss (each epoch)",
                                             pen=pg.mkPen(theme.VALIDATION, width=1))
        self.empty = empty_text(self.loss_plot, "No steps yet.\nPress Run (Space) or Step (Right arrow).")

        self.canvas.nextRow()
        self.metric_plot = self.add_plot(1, 0, x="step", y="metric")
        self.metric_plot.setXLink(self.loss_plot)
        self.metric_plot.addLegend(offset=(-10, -10), colCount=2)
        self.metric_plot.setDownsampling(auto=True, mode="peak")
        self.metric_plot.setClipToView(True)
        self.metric_curve = self.metric_plot.plot(name="training", pen=pg.mkPen(theme.METRIC, width=1))
        self.val_metric_curve = self.metric_plot.plot(name="validation", pen=pg.mkPen(theme.VALIDATION, width=1))
        self.canvas.ci.layout.setRowStretchFactor(0, 3)
        self.canvas.ci.layout.setRowStretchFactor(1, 1)
        self._set_log(True)

    def begin_run(self, info):
        super().begin_run(info)
        for s in (self.train, self.train_pos, self.val, self.metric_series, self.val_metric):
            s.clear()
        self.loss_plot.setLabel("left", f"loss ({info.loss_text})")
        has_metric = info.metric is not None
        self.metric_plot.setVisible(has_metric)
        if has_metric:
            title = METRIC_TITLES[info.metric]
            self.metric_plot.setLabel("left", title)
            self.metric_curve.opts["name"] = f"training {title} (each step)"
        self.val_curve.setVisible(info.has_validation)
        self.val_metric_curve.setVisible(info.has_validation)
        # The legend lists only what this run draws.
        for plot, curves in ((self.loss_plot, (self.train_curve, self.val_curve)),
                             (self.metric_plot, (self.metric_curve, self.val_metric_curve))):
            plot.legend.clear()
            for curve in curves:
                if curve.isVisible():
                    plot.legend.addItem(curve, curve.opts["name"])
        self._redraw()

    def show_snapshot(self, snap):
        if not self.accepts(snap):
            return
        steps = np.arange(snap.first_row + 1, snap.first_row + 1 + len(snap.loss), dtype=np.float64)
        self.train.extend(steps, snap.loss)
        self.train_pos.extend(steps, positive_or_nan(snap.loss))
        if snap.metric is not None:
            self.metric_series.extend(steps, snap.metric)
        if len(snap.val_steps):
            self.val.extend(snap.val_steps, snap.val_loss)
            self.val_metric.extend(snap.val_steps, snap.val_metric)
        if len(snap.loss) or len(snap.val_steps):
            self._redraw()

    def _set_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        self._redraw()

    def _redraw(self) -> None:
        log = self.log_box.isChecked()
        y = self.train_pos.y if log else self.train.y
        self.train_curve.setData(self.train.x, y, connect="finite")
        vy = positive_or_nan(self.val.y) if log else self.val.y
        dots_while_few(self.val_curve, self.val.n, theme.VALIDATION)
        dots_while_few(self.val_metric_curve, self.val.n, theme.VALIDATION)
        self.val_curve.setData(self.val.x, vy, connect="finite")
        if self.metric_plot.isVisible():
            self.metric_curve.setData(self.metric_series.x, self.metric_series.y, connect="finite")
            self.val_metric_curve.setData(self.val_metric.x, self.val_metric.y, connect="finite")
        self.empty.setVisible(self.train.n == 0)

    # For tests and export: what the view holds.
    def curve_data(self):
        return self.train.x.copy(), self.train.y.copy()
