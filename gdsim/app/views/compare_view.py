"""Runs side by side: each run's loss, gradient norm and followed weight against the step, one
colour and line style per run, with a legend naming what each run changed ("zero-grad=off").

It draws ``RunCurves`` (plain arrays), never a trainer. ``gdsim run ... --vs ... --plot-out`` uses it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .. import theme
from ..series import paintable, positive_or_nan
from .base import PlotView


class CompareView(PlotView):
    name = "compare"
    title = "Runs compared"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.loss_plot = self.add_plot(0, 0, title="loss (log scale)", x="step")
        self.norm_plot = self.add_plot(0, 1, title="gradient norm (log scale)", x="step")
        self.weight_plot = self.add_plot(0, 2, title="followed weight", x="step")
        self.loss_plot.setLogMode(y=True)
        self.norm_plot.setLogMode(y=True)
        self.legend = self.loss_plot.addLegend(offset=(-10, 10))
        self.runs = []

    def show_runs(self, runs) -> None:
        """Draw ``runs`` (``gdsim.core.record.curves.RunCurves``), replacing what was drawn."""
        self.runs = list(runs)
        for plot in (self.loss_plot, self.norm_plot, self.weight_plot):
            plot.clear()
        self.legend.clear()
        for i, run in enumerate(self.runs):
            pen = theme.compared_pen(i)
            curve = self.loss_plot.plot(run.steps, positive_or_nan(run.loss), pen=pen, connect="finite", name=run.name)
            _dot_if_single(curve, run.steps, i)
            self.norm_plot.plot(run.steps, positive_or_nan(run.grad_norm), pen=pen, connect="finite")
            if run.weight:
                finite = np.where(np.isfinite(run.weight_values), run.weight_values, np.nan)
                self.weight_plot.plot(run.weight_steps, paintable(finite), pen=pen, connect="finite")
        weights = {run.weight for run in self.runs if run.weight}
        self.weight_plot.setTitle(f"followed weight: {weights.pop()}" if len(weights) == 1
                                  else "followed weight (the runs' models differ)" if weights else
                                  "followed weight (not recorded)")
        self.title_label.setText(f"<b>{self.title}</b>: " + ", ".join(run.name for run in self.runs))

    def draw(self) -> None:  # everything is drawn by show_runs
        pass

    def ingest(self, snap) -> None:
        pass


def _dot_if_single(curve, steps, i: int) -> None:
    if len(steps) == 1:  # one step is a dot, not nothing
        curve.setSymbol("o")
        curve.setSymbolBrush(pg.mkBrush(theme.COMPARED[i % len(theme.COMPARED)]))
