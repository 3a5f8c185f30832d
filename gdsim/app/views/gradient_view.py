"""Per-weight gradients, the gradient norm of every tensor over time, and one tracked weight.

Small models get a bar per weight; an image-shaped first layer (digits) is
drawn as 28x28 images; bigger layers as histograms of their exact current
values. Clicking a weight follows its value and gradient over time and
spells out its last update with the real numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QComboBox

from .. import theme
from ..series import Envelope, TraceMirror, dots_while_few, paintable, positive_or_nan
from .base import (
    PlotView, RangeKeeper, empty_text, legend_title, magnitude, number, picture_plot, pins_entry, relax_width,
    round_up,
    set_title, show_step_cursor, step_cursor, style_plot, value_axes,
)

MAX_HIST_BINS = 80


def histogram(data: np.ndarray):
    """(counts, edges) of the finite values in ``data``, in equal bins from the least to the
    largest; (None, None) if there are none. The finite ones are picked out only when there are
    others: a 784x512 layer's values and gradients are counted on the GUI thread, and the copy
    was a fifth of the time."""
    if data.size == 0:
        return None, None
    lo, hi = float(data.min()), float(data.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        data = data[np.isfinite(data)]
        if data.size == 0:
            return None, None
        lo, hi = float(data.min()), float(data.max())
    bins = int(min(MAX_HIST_BINS, max(10, math.sqrt(data.size))))
    if not np.all(np.diff(np.linspace(lo, hi, bins + 1)) > 0):
        # One value, or values closer than the bins can part (0 and 5e-324): a bin around them,
        # where np.histogram would raise.
        lo, hi = lo - 0.5, hi + 0.5
    return np.histogram(data, bins=bins, range=(lo, hi))


def _title_if_it_fits(plot) -> None:
    """Show the left axis's title only while the plot is as tall as it: stood on end, a longer
    title ran into the next plot's (at 1280x720 beside micrograd's graph, "value" over
    "gradient"). The two plots keep their colours, and the weight's name above them."""
    axis = plot.getAxis("left")
    fits = axis.label.boundingRect().width() <= plot.vb.height()
    if fits != axis.label.isVisible():
        axis.showLabel(fits)


def fmt(x: float) -> str:
    """Numbers for the update line: 4 decimals where that is readable, else 4 significant digits."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.4f}"
    return f"{x:.4g}"


def _colour_scale(needed: float, shown: float) -> float:
    """A symmetric colour scale that changes rarely: a round number at least ``needed``,
    kept while the values fill at least a quarter of it (its colour bar then need not redraw)."""
    if shown > 0 and needed <= shown and needed >= shown / 4:
        return shown
    return round_up(needed)


def update_text(label: str, before: float, after: float, grad: float, lr: float, optimizer: str, step: int) -> str:
    """``weight[0,2]: 1.1006 - 1e-05 x (-11681.3174) = 1.2174`` for SGD; the change otherwise."""
    if step == 0:
        return f"{label} = {fmt(after)}  (no step yet: its gradient appears after the first step)"
    if optimizer == "sgd":
        return f"step {step:,}:  {label}: {fmt(before)} - {lr:g} x ({fmt(grad)}) = {fmt(after)}"
    return (f"step {step:,}:  {label}: {fmt(before)} -> {fmt(after)}  ({optimizer} moved it by "
            f"{fmt(after - before)}; gradient {fmt(grad)}, lr {lr:g})")


class GradientView(PlotView):
    name = "gradients"
    heavy = True
    title = "Gradients"
    smallest_scene = (620, 240)  # three columns of plots
    weight_selected = Signal(int)  # flat index of the weight a person clicked

    def __init__(self, parent=None):
        super().__init__(parent)
        self.pins: list = []  # runs pinned to compare (core.record.curves.RunCurves)
        self._pin_curves: list = []  # (plot, curve) drawn for them
        self.track_box = QComboBox()
        self.track_box.setToolTip("The weight whose value and gradient are followed over time. "
                                  "You can also click its bar or pixel.")
        self.track_box.setMinimumContentsLength(14)
        self.track_box.currentIndexChanged.connect(self._track_box_changed)
        self.header.addWidget(self.track_box)
        self.trace = TraceMirror()
        self.norms = Envelope(width=1)  # positive norms; zeros and non-finite ones as gaps (log axis)
        self.tracked: int = 0
        self._last = None
        self.canvas.scene().sigMouseClicked.connect(self._clicked)

    # ----- building the plots for a run -------------------------------------------------------

    def begin_run(self, info):
        super().begin_run(info)
        self.canvas.clear()
        self._pin_curves = []  # went with the canvas
        self.shown_step = None  # looking back: the step the views show, marked on the curves
        self.trace.clear()
        self.norms = Envelope(width=len(info.param_names))
        self._last = None
        self._env_for = None
        self.bars = self.images = self.mosaic = self.class_images = None
        self.image_tensor = None
        self.hists = []
        self.hist_plots = []
        self._histograms_shown = True

        # Three columns: every weight's gradient; each tensor's gradient norm over time; the
        # tracked weight's value and gradient over time. Side by side, each plot gets the view's
        # whole height, which a projector's 720 lines leave short.
        left = self.canvas.addLayout(row=0, col=0)
        middle = self.canvas.addLayout(row=0, col=1)
        right = self.canvas.addLayout(row=0, col=2)
        for col, stretch in enumerate((5, 3, 3)):
            self.canvas.ci.layout.setColumnStretchFactor(col, stretch)
        if info.small:
            self._build_bars(left, info)
        elif info.image_shape is not None and self._image_tensor(info) is not None:
            self._build_images(left, info)
        else:
            self._build_histograms(left, info, first_col=0)
        self._build_norms(middle, info)
        self._build_tracked(right)
        self.update_label = pg.LabelItem("", justify="left", size="10pt")
        relax_width(self.update_label)
        self.canvas.addItem(self.update_label, row=1, col=0, colspan=3)
        self._show_histograms()

        self._fill_track_box(info)
        self.tracked = info.tracked  # the worker decides; a click only asks it (weight_selected)
        self._sync_track_box()
        self._show_tracked_title()
        self._mark_tracked()
        self._draw_pins()  # those that followed this weight

    # Beside the MLP's unit mosaic, the histograms need this much canvas width; on a narrower
    # screen (1024 pixels) they give way to the mosaic rather than squeeze every panel.
    HISTOGRAMS_BESIDE_MOSAIC_PX = 880

    def _show_histograms(self) -> None:
        if self.mosaic is None or not self.hists:
            return
        show = self.canvas.width() >= self.HISTOGRAMS_BESIDE_MOSAIC_PX
        if show == self._histograms_shown:
            return
        self._histograms_shown = show
        layout = self.hist_layout
        for plot, row, col in self.hist_plots:  # out of the layout, they give their columns back
            if show:
                layout.addItem(plot, row=row, col=col)
            else:
                layout.removeItem(plot)
        self.mosaic_hint.setText("" if show else "(each layer's histograms: widen the window)")

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self.info is not None:
            self._show_histograms()

    def _build_norms(self, layout, info) -> None:
        self.norm_plot = layout.addPlot(row=0, col=0, axisItems=value_axes())
        self.norm_plot.setLabel("left", "gradient norm")
        self.norm_plot.setLabel("bottom", "step")
        self.norm_plot.setLogMode(y=True)
        style_plot(self.norm_plot)
        self.norm_plot.setDownsampling(auto=True, mode="peak")
        self.norm_plot.setClipToView(True)
        # Each tensor its colour and its line style (weight solid, bias dashed...).
        styles = [theme.SERIES_STYLES[i % len(theme.SERIES_STYLES)] for i in range(len(info.param_names))]
        self.norm_curves = [
            self.norm_plot.plot(pen=theme.pen(theme.series(i), 1, style)) for i, style in enumerate(styles)
        ]
        # An MLP's tensors by layer ("0.weight"); the legend is put up with the pins (_draw_pins).
        names = [n.removeprefix("layers.") for n in info.param_names]
        self._norm_entries = [(theme.series(i), theme.GLYPHS[styles[i]], name) for i, name in enumerate(names)]
        self.norm_empty = empty_text(self.norm_plot, "each tensor's\ngradient norm\nappears after a step")
        self.norm_range = RangeKeeper(self.norm_plot)
        self._cursors = [step_cursor(self.norm_plot, label=False)]

    def _build_tracked(self, layout) -> None:
        self.value_plot = layout.addPlot(row=0, col=0, axisItems=value_axes())
        self.value_plot.setLabel("left", "value")
        self.value_plot.getAxis("bottom").setStyle(showValues=False)  # the gradient plot below says the step
        style_plot(self.value_plot)
        self.value_curve = self.value_plot.plot(pen=theme.pen(theme.TRAIN))
        self.grad_plot = layout.addPlot(row=1, col=0, axisItems=value_axes())
        self.grad_plot.setLabel("left", "gradient")
        self.grad_plot.setLabel("bottom", "step")
        style_plot(self.grad_plot)
        self.grad_curve = self.grad_plot.plot(pen=theme.pen(theme.PREDICTION))
        self.grad_plot.setXLink(self.value_plot)
        for p in (self.value_plot, self.grad_plot):
            p.setDownsampling(auto=True, mode="peak")
            p.setClipToView(True)
            p.vb.sigResized.connect(lambda *_, p=p: _title_if_it_fits(p))
        self.value_range = RangeKeeper(self.value_plot)
        self.grad_range = RangeKeeper(self.grad_plot, x=False)  # its x follows the value plot
        self.value_env, self.grad_env = Envelope(), Envelope()
        self._cursors += [step_cursor(self.value_plot, label=False), step_cursor(self.grad_plot, label=False)]

    def _listed(self) -> bool:
        """Every weight in the box (to choose with the keyboard) while every weight is traced."""
        from ...core.snapshot import TRACE_EVERY_WEIGHT  # with the engine: asked once a run is there

        return self.info is not None and self.info.n_weights <= TRACE_EVERY_WEIGHT

    def _fill_track_box(self, info) -> None:
        self.track_box.blockSignals(True)
        self.track_box.clear()
        if self._listed():
            self.track_box.addItems(list(info.labels))
        else:
            self.track_box.addItem("")
        self.track_box.setEnabled(self._listed())
        self.track_box.blockSignals(False)

    def _sync_track_box(self) -> None:
        if self.info is None:
            return
        self.track_box.blockSignals(True)
        if self._listed():
            self.track_box.setCurrentIndex(self.tracked)
        else:  # too many weights for a list: the box names the one a click chose
            self.track_box.setItemText(0, f"{self.info.labels[self.tracked]} (click a pixel)")
        self.track_box.blockSignals(False)

    def _track_box_changed(self, row: int) -> None:
        if self._listed() and row >= 0:
            self.select_weight(row)
            self._sync_track_box()  # the box shows what is followed until the worker answers

    def _build_bars(self, layout, info) -> None:
        n = info.n_weights
        plot = layout.addPlot(row=0, col=0, axisItems=value_axes())
        plot.setLabel("bottom", "gradient used by the last update")
        style_plot(plot)
        plot.showGrid(x=True, y=False, alpha=0.15)
        plot.invertY(True)
        plot.setMouseEnabled(x=True, y=False)
        zero = pg.InfiniteLine(pos=0, angle=90, pen=theme.reference_pen())
        plot.addItem(zero)
        colours = []
        for i, shape in enumerate(info.param_shapes):
            colours += [theme.series(i)] * max(1, int(np.prod(shape)))
        # Sign is where a bar lies (right of zero: positive) and how it is filled: a positive
        # gradient's bar solid, a negative one's hatched in an outline, for any colour vision and in grey.
        self.bar_brushes = [pg.mkBrush(c) for c in colours]
        self.bar_pens = [pg.mkPen(None)] * n
        self.negative_brushes = [QBrush(QColor(c), Qt.BrushStyle.BDiagPattern) for c in colours]
        self.negative_pens = [theme.pen(c, 1) for c in colours]
        self._bar_signs = None
        self.bars = pg.BarGraphItem(x0=np.zeros(n), y=np.arange(n), height=0.7, width=np.zeros(n),
                                    brushes=self.bar_brushes, pens=self.bar_pens)
        plot.addItem(self.bars)
        band = pg.mkColor(pg.getConfigOption("foreground"))
        band.setAlpha(40)
        self.highlight = pg.LinearRegionItem(values=(-0.5, 0.5), orientation="horizontal", movable=False,
                                             brush=pg.mkBrush(band), pen=pg.mkPen(None))
        self.highlight.setZValue(-10)
        plot.addItem(self.highlight)
        plot.setYRange(-0.6, n - 0.4, padding=0)
        self.bar_plot = plot
        self.bar_range = RangeKeeper(plot, y=False)
        self._bar_suffix = ""
        self._label_bars()
        plot.vb.sigResized.connect(lambda *_: self._label_bars())

    def _label_bars(self) -> None:
        """A tick per weight while they fit, else every k-th, never two closer than a line of
        text: each tensor's first weight where there is room, then the others. A tensor's first
        labelled weight is named in full and the rest by index only ("layers.0.weight[0,0]",
        "[1,0]", ...): the bars keep the width (each tensor also has its own colour)."""
        info = self.info
        height = self.bar_plot.vb.height() or 300
        n = info.n_weights
        every = 1 if n * 13 <= height else max(1, math.ceil(n * 13 / height))
        chosen: list[int] = []
        for i in [*info.param_offsets, *range(0, n, every)]:  # at 1280x720 micrograd's five tensors
            if all(abs(i - c) >= every for c in chosen):     # start 3 rows, 4 pixels, apart
                chosen.append(i)
        ticks, named = [], set()
        for i in sorted(chosen):
            label = info.labels[i]
            tensor = int(np.searchsorted(info.param_offsets, i, side="right")) - 1
            if tensor not in named:
                named.add(tensor)
                ticks.append((i, label))
            else:
                ticks.append((i, label[label.index("["):] if "[" in label else label))
        self.bar_plot.getAxis("left").setTicks([ticks, []])

    def _image_tensor(self, info):
        """The first weight tensor whose rows are images (in_features == pixels), if any."""
        pixels = int(np.prod(info.image_shape))
        name = info.param_names[0]
        shape = info.param_shapes[0]
        if len(shape) == 2 and shape[1] == pixels:
            return name
        return None

    def _build_images(self, layout, info) -> None:
        name = self._image_tensor(info)
        k = info.param_names.index(name)
        units = info.param_shapes[k][0]
        cmap = pg.colormap.get(theme.DIVERGING_MAP)
        if len(info.param_names) == 2 and units > 1:  # one linear layer, a row of weights per class
            self._build_class_images(layout, info, name, units)
            return
        if len(info.param_names) == 2:  # one linear layer: weights and their gradient side by side
            self.images = []
            h, w = info.image_shape
            for col, what in enumerate((f"{name}, one per pixel ({h}x{w})", "its gradient")):
                plot = layout.addPlot(row=0, col=col, title=what)
                img = picture_plot(plot)
                bar = pg.ColorBarItem(values=(-1, 1), colorMap=cmap, interactive=False, width=12)
                bar.setImageItem(img, insert_in=plot)
                bar.axis.setWidth(46)  # both images the same size, whatever their scales' labels
                self.images.append((plot, img, bar))
            self.image_tensor = (name, units)
            self.image_hint = pg.LabelItem("red: positive, blue: negative. Click a pixel to follow its weight.",
                                           size="8pt")
            layout.addItem(self.image_hint, row=1, col=0, colspan=2)
            return
        # An MLP: the first layer's units as images, every layer's values as histograms.
        plot = layout.addPlot(row=0, col=0, rowspan=2)
        set_title(plot, f"{units} first-layer units<br>(each to its own scale)", size="9pt")
        img = picture_plot(plot)
        img.setColorMap(cmap)
        self.mosaic = (plot, img)
        self.image_tensor = (name, units)
        self.mosaic_hint = pg.LabelItem("", size="8pt")
        relax_width(self.mosaic_hint)
        layout.addItem(self.mosaic_hint, row=2, col=0)
        self._build_histograms(layout, info, first_col=1)
        layout.layout.setColumnStretchFactor(0, 4)
        for col in range(1, 1 + len(self.hists) // 2):
            layout.layout.setColumnStretchFactor(col, 3)

    CLASS_COLS = 5  # ten classes: two rows of five images

    def _build_class_images(self, layout, info, name: str, units: int) -> None:
        """A linear model of k classes on images: row i of the weight is class i's template.
        The k templates in a grid above, the gradients the last update used below, each grid
        on one symmetric colour scale (the classes compare), each image named by its class."""
        cmap = pg.colormap.get(theme.DIVERGING_MAP)
        h, w = info.image_shape
        cols = min(units, self.CLASS_COLS)
        rows = math.ceil(units / cols)
        self.class_cols = cols
        self.image_tensor = (name, units)
        self.class_images = []
        names = info.classes if len(info.classes) == units else tuple(str(u) for u in range(units))
        titles = (f"each class's {name}s ({h}x{w})", "their gradients (last update)")
        foreground = pg.getConfigOption("foreground")
        behind = pg.mkColor(pg.getConfigOption("background"))
        behind.setAlpha(200)  # the name readable on a pale tile, light theme or dark
        for col, what in enumerate(titles):  # side by side: the grids are wide, the row is short
            plot = layout.addPlot(row=0, col=col)
            set_title(plot, what, size="9pt")
            img = picture_plot(plot, fixed=True)  # a click follows a pixel; a drag would move the grid
            plot.setXRange(0, cols * (w + 1) - 1, padding=0.01)
            plot.setYRange(0, rows * (h + 1) - 1, padding=0.01)
            bar = pg.ColorBarItem(values=(-1, 1), colorMap=cmap, interactive=False, width=12)
            bar.setImageItem(img, insert_in=plot)
            bar.axis.setWidth(46)  # both grids the same width, whatever their scales' labels
            for u in range(units):  # MNIST's corners are blank: the name never hides a weight
                r, c = divmod(u, cols)
                label = pg.TextItem(names[u], anchor=(0, 0), color=foreground, fill=behind)
                label.setPos(c * (w + 1), r * (h + 1))
                label.setZValue(5)
                plot.addItem(label)
            mark = pg.PlotCurveItem(pen=theme.pen(theme.METRIC, 2))
            mark.setZValue(6)
            plot.addItem(mark)
            self.class_images.append((plot, img, bar, mark))
        self.image_hint = pg.LabelItem("red: positive, blue: negative. Click a pixel to follow its weight.",
                                       size="8pt")
        relax_width(self.image_hint)
        layout.addItem(self.image_hint, row=1, col=0, colspan=2)
        self.canvas.ci.layout.setColumnStretchFactor(0, 9)  # the grids get the room the bars would

    def _tile_of(self, index: int):
        """(class, row, column) of the pixel weight ``index`` in the class grids, else None."""
        pixel = self._pixel_of(index)
        if pixel is None:
            return None
        name, _units = self.image_tensor
        h, w = self.info.image_shape
        start = self.info.param_offsets[self.info.param_names.index(name)]
        return (index - start) // (h * w), pixel[0], pixel[1]

    def _mark_tracked(self) -> None:
        """A square around the followed weight's pixel, in both grids."""
        if not self.class_images:
            return
        tile = self._tile_of(self.tracked)
        h, w = self.info.image_shape
        for _plot, _img, _bar, mark in self.class_images:
            if tile is None:
                mark.setData([], [])
                continue
            unit, r, c = tile
            y0 = (unit // self.class_cols) * (h + 1) + r - 0.5
            x0 = (unit % self.class_cols) * (w + 1) + c - 0.5
            mark.setData([x0, x0 + 2, x0 + 2, x0, x0], [y0, y0, y0 + 2, y0 + 2, y0])

    def _build_histograms(self, layout, info, first_col: int) -> None:
        weights = [i for i, name in enumerate(info.param_names) if name.endswith("weight")] or \
            list(range(len(info.param_names)))
        for col, i in enumerate(weights):
            name = info.param_names[i]
            for row, what in enumerate(("value", "gradient")):
                plot = layout.addPlot(row=row, col=first_col + col, axisItems=value_axes())
                self.hist_plots.append((plot, row, first_col + col))
                self.hist_layout = layout
                plot.setLabel("bottom", name if what == "value" else "its gradient")
                style_plot(plot)
                colour = theme.TRAIN if what == "value" else theme.PREDICTION
                curve = plot.plot(stepMode="center", fillLevel=0, pen=theme.pen(colour),
                                  brush=pg.mkBrush(pg.mkColor(colour).lighter(130)))
                curve.range_keeper = RangeKeeper(plot)
                self.hists.append((i, what, curve))

    # ----- selecting a weight -------------------------------------------------------------------

    def select_weight(self, index: int) -> None:
        """Ask to follow another weight; it is followed once a snapshot says so."""
        if self.info is not None and 0 <= index < self.info.n_weights and index != self.tracked:
            self.weight_selected.emit(int(index))

    def _follow(self, index: int) -> None:
        """The worker follows ``index`` now: show its history from the trace."""
        self.tracked = index
        self._sync_track_box()
        self._follow_tracked()
        self._show_tracked_title()
        self._mark_tracked()

    def _show_tracked_title(self) -> None:
        label = self.info.labels[self.tracked]
        pixel = self._pixel_of(self.tracked)
        tile = self._tile_of(self.tracked) if self.class_images else None
        if tile is not None and len(self.info.classes) > tile[0]:
            label += f" (class {self.info.classes[tile[0]]}, pixel {pixel[0]},{pixel[1]})"
        elif pixel is not None:
            label += f" (pixel {pixel[0]},{pixel[1]})"
        column = self.trace.column(self.tracked)
        if column is not None and len(column[0]) and column[0][0] > 0:
            # A big model records the weight it follows from the moment it is chosen.
            label += f", from step {int(column[0][0])}"
        set_title(self.value_plot, label, justify="left")  # the y labels say "value" and "gradient"

    def _pixel_of(self, index: int):
        """(row, column) of the pixel an image-layer weight multiplies, else None."""
        info = self.info
        if info.image_shape is None or getattr(self, "image_tensor", None) is None:
            return None
        name, units = self.image_tensor
        k = info.param_names.index(name)
        start = info.param_offsets[k]
        h, w = info.image_shape
        if not start <= index < start + units * h * w:
            return None
        return divmod((index - start) % (h * w), w)

    def _clicked(self, event) -> None:
        if self.info is None:
            return
        pos = event.scenePos()
        if self.bars is not None and self.bar_plot.sceneBoundingRect().contains(pos):
            y = self.bar_plot.vb.mapSceneToView(pos).y()
            index = int(round(y))
            if 0 <= index < self.info.n_weights:
                self.select_weight(index)
            return
        targets = []  # (image, tiles across, or None for one image)
        if self.images:
            targets = [(img, None) for _, img, _ in self.images]
        elif self.class_images:
            targets = [(img, self.class_cols) for _, img, _, _ in self.class_images]
        elif self.mosaic is not None:
            targets = [(self.mosaic[1], self._mosaic_cols(self.image_tensor[1]))]
        for img, cols in targets:
            if not img.sceneBoundingRect().contains(pos):
                continue
            p = img.mapFromScene(pos)
            r, c = int(p.y()), int(p.x())
            h, w = self.info.image_shape
            name, units = self.image_tensor
            offset = self.info.param_offsets[self.info.param_names.index(name)]
            if cols is None:
                unit, rr, cc = 0, r, c
            else:
                unit = (r // (h + 1)) * cols + (c // (w + 1))
                rr, cc = r % (h + 1), c % (w + 1)
                if rr >= h or cc >= w or unit >= units:
                    return
            if 0 <= rr < h and 0 <= cc < w:
                self.select_weight(offset + unit * h * w + rr * w + cc)
            return

    # ----- drawing a snapshot -------------------------------------------------------------------

    def ingest(self, snap):
        self._last = snap
        self.shown_step = snap.step if snap.past else None
        if len(snap.loss) and snap.tensor_grad_norms is not None:
            steps = snap.steps.astype(np.float64)
            self.norms.extend(steps, positive_or_nan(snap.tensor_grad_norms))
            self.norm_range.include(steps, snap.tensor_grad_norms)
        self.trace.apply(snap)
        if snap.tracked != self.tracked:
            self._follow(snap.tracked)
        else:
            self._follow_tracked(snap)

    def draw(self):
        snap = self._last
        self.norm_range.apply()
        for line in self._cursors:
            show_step_cursor(line, self.shown_step)
        for j, curve in enumerate(self.norm_curves):
            curve.setData(*self.norms.drawable(column=j), connect="finite")
            dots_while_few(curve, self.norms.count, theme.series(j), 4)  # one step is a dot, not nothing
        self.norm_empty.setVisible(self.norms.count == 0)
        if self.bars is not None:
            self._draw_bars(snap.update_grads)
        if self.images:
            self._draw_images(snap)
        if self.class_images:
            self._draw_class_images(snap)
        if self.mosaic is not None:
            self._draw_mosaic(snap)
        if self.hists:
            self._draw_histograms(snap)
        self._draw_tracked()

    def _draw_bars(self, grads: np.ndarray) -> None:
        # A diverging run's gradients reach 1e154, wider than Qt can paint: draw them divided
        # by a power of ten, and say so on the axis.
        divisor, suffix = magnitude(grads)
        g = np.where(np.isfinite(grads), grads, 0.0) / divisor
        if suffix != self._bar_suffix:
            self._bar_suffix = suffix
            self.bar_plot.setLabel("bottom", "gradient used by the last update" + suffix)
            self.bar_range.clear()
        negative = g < 0
        if self._bar_signs is None or not np.array_equal(negative, self._bar_signs):
            self._bar_signs = negative  # new brushes only when a sign flips
            self.bars.setOpts(x0=np.minimum(g, 0), width=np.abs(g),
                              brushes=[self.negative_brushes[i] if neg else self.bar_brushes[i]
                                       for i, neg in enumerate(negative)],
                              pens=[self.negative_pens[i] if neg else self.bar_pens[i]
                                    for i, neg in enumerate(negative)])
        else:
            self.bars.setOpts(x0=np.minimum(g, 0), width=np.abs(g))
        self.bar_range.fit(xs=np.append(g, 0.0))

    def _tensor(self, flat: np.ndarray, name: str) -> np.ndarray:
        i = self.info.param_names.index(name)
        shape = self.info.param_shapes[i]
        start = self.info.param_offsets[i]
        return flat[start:start + int(np.prod(shape))].reshape(shape)

    def _draw_images(self, snap) -> None:
        name, _ = self.image_tensor
        h, w = self.info.image_shape
        for (_plot, img, bar), flat in zip(self.images, (snap.values, snap.update_grads)):
            tensor = self._tensor(flat, name)
            picture = tensor[0].reshape(h, w)
            m = float(np.nanmax(np.abs(picture))) if np.isfinite(picture).any() else 1.0
            m = _colour_scale(m if m > 0 else 1.0, bar.levels()[1])
            img.setImage(picture, autoLevels=False, levels=(-m, m))
            if bar.levels() != (-m, m):
                bar.setLevels((-m, m))

    def class_grid(self, flat: np.ndarray) -> np.ndarray:
        """The image tensor's rows as a grid of images, one pixel of NaN (drawn as background)
        between them; the layout clicking and the tracked pixel's square assume."""
        name, units = self.image_tensor
        h, w = self.info.image_shape
        cols = self.class_cols
        rows = math.ceil(units / cols)
        tiles = np.full((rows * cols, h + 1, w + 1), np.nan)
        tiles[:units, :h, :w] = self._tensor(flat, name).reshape(units, h, w)
        grid = tiles.reshape(rows, cols, h + 1, w + 1).transpose(0, 2, 1, 3).reshape(rows * (h + 1), cols * (w + 1))
        return grid[:-1, :-1]

    def _draw_class_images(self, snap) -> None:
        for (_plot, img, bar, _mark), flat in zip(self.class_images, (snap.values, snap.update_grads)):
            grid = self.class_grid(flat)
            finite = np.isfinite(grid)
            m = float(np.max(np.abs(grid[finite]))) if finite.any() else 1.0
            m = _colour_scale(m if m > 0 else 1.0, bar.levels()[1])
            img.setImage(grid, autoLevels=False, levels=(-m, m))
            if bar.levels() != (-m, m):
                bar.setLevels((-m, m))

    @staticmethod
    def _mosaic_cols(units: int) -> int:
        return max(1, math.ceil(math.sqrt(units * 1.2)))

    def _draw_mosaic(self, snap) -> None:
        name, units = self.image_tensor
        h, w = self.info.image_shape
        cols = self._mosaic_cols(units)
        rows = math.ceil(units / cols)
        tensor = self._tensor(snap.values, name)
        mosaic = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
        for u in range(units):
            tile = tensor[u].reshape(h, w)
            m = float(np.max(np.abs(tile))) if np.isfinite(tile).all() else 0.0
            r, c = divmod(u, cols)
            mosaic[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = tile / m if m > 0 else tile
        self.mosaic[1].setImage(mosaic, autoLevels=False, levels=(-1, 1))

    def _draw_histograms(self, snap) -> None:
        for i, what, curve in self.hists:
            name = self.info.param_names[i]
            flat = snap.values if what == "value" else snap.update_grads
            counts, edges = histogram(self._tensor(flat, name).ravel())
            if counts is None:
                curve.setData([], [])
                continue
            curve.setData(edges, counts)
            curve.range_keeper.fit(edges, np.append(counts, 0))

    def _follow_tracked(self, snap=None) -> None:
        """Keep the tracked weight's curves: rebuilt from the trace when the weight or the trace
        changes, otherwise extended with the snapshot's new rows only."""
        j = self.tracked
        if snap is None or snap.trace_restart or self._env_for != j:
            self.value_env.clear()
            self.grad_env.clear()
            self.value_range.clear()
            self.grad_range.clear()
            self._env_for = j
            column = self.trace.column(j)
            if column is None:
                return
            steps, values, grads = column
        else:
            hits = np.flatnonzero(snap.trace_indices == j)
            if hits.size == 0 or len(snap.trace_steps) == 0:
                return
            steps, values, grads = snap.trace_steps, snap.trace_values[:, hits[0]], snap.trace_grads[:, hits[0]]
        steps = np.asarray(steps, dtype=np.float64)
        self.value_env.extend(steps, values)
        self.value_range.include(steps, values)
        keep = steps > 0  # step 0 (the initial weights) has no gradient yet
        self.grad_env.extend(steps[keep], grads[keep])
        self.grad_range.include(ys=grads[keep])

    def show_pins(self, pins) -> None:
        """Runs pinned to compare: the tracked weight's path in each that followed the same weight."""
        self.pins = list(pins)
        self._draw_pins()

    def _draw_pins(self) -> None:
        if self.info is None or not hasattr(self, "value_plot"):
            return
        for plot, curve in self._pin_curves:
            plot.removeItem(curve)
        self._pin_curves = []  # (plot, curve)
        label = self.info.labels[self.tracked]
        # As many to a line as the column has room for, in up to four lines: one to a line in a
        # third of a 1024-pixel screen (a digits MLP's four tensors).
        legend_title(self.norm_plot, self._norm_entries + pins_entry(len(self.pins)), lines=4)
        for i, pin in enumerate(self.pins):
            norms = pin.tensor_norms
            if norms is not None and norms.ndim == 2 and norms.shape[1] == len(self.norm_curves):
                for j in range(norms.shape[1]):  # each tensor's norm, all in the pinned run's colour and dash
                    curve = self.norm_plot.plot(pin.steps, positive_or_nan(norms[:, j]), connect="finite",
                                                pen=theme.pinned_pen(i, width=1))
                    curve.setZValue(-1)
                    self._pin_curves.append((self.norm_plot, curve))
                    self.norm_range.include(pin.steps, norms[:, j])
            if pin.weight == label and len(pin.weight_steps):
                curve = self.value_plot.plot(pin.weight_steps, paintable(pin.weight_values), connect="finite",
                                             pen=theme.pinned_pen(i, width=1.5))
                curve.setZValue(-1)
                self._pin_curves.append((self.value_plot, curve))
                self.value_range.include(pin.weight_steps, pin.weight_values)
        self.norm_range.apply()  # now: the run's next frame may be a while away
        self.value_range.apply()

    def _draw_tracked(self) -> None:
        snap = self._last
        if snap is None or self.info is None:
            return
        j = self.tracked
        self.value_range.apply()
        self.grad_range.apply()
        n = self.value_env.count
        dots_while_few(self.value_curve, n, theme.TRAIN, 4)
        dots_while_few(self.grad_curve, n, theme.PREDICTION, 4)
        self.value_curve.setData(*self.value_env.drawable())
        self.grad_curve.setData(*self.grad_env.drawable())
        if self.bars is not None:
            self.highlight.setRegion((j - 0.5, j + 0.5))
        text = update_text(self.info.labels[j], float(snap.values_before[j]), float(snap.values[j]),
                           float(snap.update_grads[j]), snap.last_lr, snap.optimizer, snap.step)
        self.update_label.setText(text)

    def describe(self) -> str:
        """The tracked weight's last update in numbers, and the largest gradient."""
        snap, info = self._last, self.info
        if snap is None or info is None:
            return "Gradients: no run yet"
        j = self.tracked
        label = info.labels[j]
        before, after = float(snap.values_before[j]), float(snap.values[j])
        grad, lr = float(snap.update_grads[j]), snap.last_lr
        if snap.step == 0:
            return f"Gradients: tracked weight {label} = {number(after)}; no step yet, so no gradient yet"
        if snap.optimizer == "sgd":
            line = (f"{label}: w ← w − lr·g: {number(after)} ← {number(before)} − {lr:g} × {number(grad)}")
        else:
            line = (f"{label} moved from {number(before)} to {number(after)} by {snap.optimizer} "
                    f"(gradient {number(grad)}, lr {lr:g})")
        text = f"Gradients at step {snap.step:,}. Tracked weight {line}"
        g = np.abs(np.where(np.isfinite(snap.update_grads), snap.update_grads, 0.0))
        if g.size:
            k = int(np.argmax(g))
            text += f". Largest gradient: {info.labels[k]}, {number(float(snap.update_grads[k]))}"
        if snap.step_grad_norm is not None:
            text += f"; gradient norm {number(float(snap.step_grad_norm))}"
        return text

    @property
    def update_line(self) -> str:
        return self.update_label.text
