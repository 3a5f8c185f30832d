"""A learning-rate range test (core.lr_find) drawn: the loss of each step against the learning
rate it trained at, smoothed, with the suggestion marked. The window's finder dialog and
``gdsim lr-find --plot-out`` show the same view."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from ...core.lr_find import MINIMUM, RULE_NAMES, SKIP_END
from .. import theme
from ..series import positive_or_nan
from .base import PlotView, empty_text


AXIS_HEIGHT = 44  # pixels: tick labels (10^-7) and the axis title under them


class RangeTestView(PlotView):
    name = "lr-find"
    title = "Learning-rate range test"

    def show_test(self, test) -> None:
        self.canvas.clear()
        self.plot = self.add_plot(0, 0, x="learning rate (log scale)")
        # Room for the tick labels and the axis title from the first paint: pyqtgraph sizes an axis
        # to its labels only while painting them, and the title ran into the text under the plot.
        self.plot.getAxis("bottom").setHeight(AXIS_HEIGHT)
        # The legend in the view's title, which wraps: a plot's own title has room for two short lines.
        legend = "&nbsp;&nbsp;&nbsp; ".join(f"<span style='color:{colour}'>{glyph}</span>&nbsp;{text}"
                                            for colour, glyph, text in draw_range_test(self.plot, test))
        self.title_label.setText("<b>Learning-rate range test</b>: the loss of each step against the learning "
                                 f"rate it trained at<br>{legend}")


def draw_range_test(plot, test) -> list[tuple[str, str, str]]:
    """Draw ``test`` into ``plot``; its legend's entries (colour, glyph, text)."""
    if test.taken == 0:
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        empty_text(plot, "no step was taken")
        return [(theme.BAD, "●", f"nothing to draw: {test.why_stopped}")]
    # A blow-up takes the loss up decades: a log axis keeps the rest readable. Within a decade a
    # log axis has no labels to show, and a loss of 0 has no place on one.
    least, most = float(test.losses.min()), float(test.losses.max())
    log_y = least > 0 and most >= 10 * least
    plot.setLogMode(x=True, y=log_y)
    plot.setLabel("left", "loss (log scale)" if log_y else "loss")
    raw, smooth = (positive_or_nan(v) if log_y else v for v in (test.losses, test.smoothed))
    plot.plot(test.lrs, raw, pen=theme.pen(theme.REFERENCE, 1.5), symbol="o", symbolSize=3,
              symbolBrush=theme.REFERENCE, symbolPen=None, connect="finite")
    plot.plot(test.lrs, smooth, pen=theme.pen(theme.TRAIN, 3), connect="finite")
    entries = [(theme.REFERENCE, "●", "loss of each step"), (theme.TRAIN, "━", "smoothed (fastai: beta 0.98, debiased)")]
    if test.valley is not None:
        low, high = test.valley
        plot.addItem(pg.LinearRegionItem((np.log10(low), np.log10(high)), movable=False, pen=pg.mkPen(None),
                                         brush=pg.mkBrush(*theme.VALLEY, 45)), ignoreBounds=True)
        entries.append((pg.mkColor(theme.VALLEY).name(), "█", f"fastai's valley: lr {low:.3g} to {high:.3g}"))
    if test.rule == MINIMUM and test.suggestion is not None:
        lowest = test.suggested.came_from[1]
        at = int(np.flatnonzero(test.lrs == lowest)[0])
        plot.plot([lowest], [smooth[at]], pen=None, symbol="o", symbolSize=11, symbolPen=theme.pen(theme.TRAIN, 2),
                  symbolBrush=None)
        entries.append((theme.TRAIN, "○", f"lowest smoothed loss read, at lr {lowest:.3g} (fastai's rules do not "
                                          f"read the last {SKIP_END} steps)"))
    if test.suggestion is not None:
        colour = theme.COMPARED[1]
        plot.addItem(pg.InfiniteLine(np.log10(test.suggestion), angle=90,
                                     pen=theme.pen(colour, 2.5, "dash")), ignoreBounds=True)
        entries.append((colour, "╌", f"<b>suggested lr {test.suggestion:.3g}</b> ({RULE_NAMES[test.rule]})"))
    else:
        entries.append((theme.BAD, "●", f"no suggestion: {test.why_no_suggestion}"))
    # The minimum rule's tenth can lie below the first learning rate tested.
    first = min(test.lrs[0], test.suggestion or test.lrs[0])
    plot.setXRange(np.log10(first), np.log10(test.lrs[-1]), padding=0.03)
    return entries
