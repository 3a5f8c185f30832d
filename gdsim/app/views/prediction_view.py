"""Predictions against targets, drawn the way each lesson's tutorial draws them."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from .. import theme
from ..series import MAX_DOTS, Series, paintable
from .base import PlotView, RangeKeeper, empty_text, legend_title, number, plain_text

# Dots drawn of the path of x: the last half every step, the older steps thinned evenly (each dot
# costs pyqtgraph's scatter microseconds a frame: 2,000 were a tenth of the parabola's GUI time).
MAX_PATH_POINTS = 600
SYMLOG_FROM = 1e3  # once x has gone this far, the parabola is drawn on symmetric log scales


def _same(v):
    return np.asarray(v, dtype=np.float64)


def _symlog(v):
    """sign(x) * log10(1 + |x|): 0 stays 0, and 1e154 becomes about 154."""
    v = np.asarray(v, dtype=np.float64)
    return np.sign(v) * np.log10(1.0 + np.abs(v))


def _log1p10(v):
    with np.errstate(all="ignore"):
        return np.log10(1.0 + np.asarray(v, dtype=np.float64))


def _decades(top: float, count: int = 3) -> list[int]:
    """Powers of ten to label on an axis reaching 10**top: about ``count`` of them."""
    step = max(1, int(math.ceil(top / count)))
    return list(range(step, int(top) + 1, step))


def _symlog_ticks(edge: float) -> list[tuple[float, str]]:
    ticks = [(0.0, "0")]
    for k in _decades(edge):
        ticks += [(float(_symlog([10.0 ** k])[0]), f"1e{k}"), (float(_symlog([-(10.0 ** k)])[0]), f"-1e{k}")]
    return ticks


def _log_ticks(top: float) -> list[tuple[float, str]]:
    return [(0.0, "0")] + [(float(_log1p10([10.0 ** k])[0]), f"1e{k}") for k in _decades(top, 5)]


def _probability_of_positive(pred: np.ndarray) -> np.ndarray:
    pred = np.asarray(pred)
    if pred.ndim == 2 and pred.shape[1] == 2:  # softmax over (7, 3): the second class is "3"
        return pred[:, 1]
    return pred.reshape(len(pred), -1)[:, 0]


def _is_positive(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    return y.reshape(len(y), -1)[:, 0] > 0.5


class PredictionView(PlotView):
    name = "predictions"
    heavy = True
    title = "Predictions"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = None
        self.last = None
        self._pin_items: list = []  # drawn for the runs pinned to compare
        self._pin_paths: list = []
        self.multiclass = None
        self.mc_controls = None  # a multi-class run's choices: made by the first such run (not in the first frame)
        self.canvas.scene().sigMouseClicked.connect(self._clicked)

    def _add_multiclass_controls(self) -> None:
        from .confusion_view import MulticlassControls

        self.mc_controls = MulticlassControls()
        self.layout().insertWidget(1, self.mc_controls)  # a row of its own under the title

    def begin_run(self, info):
        super().begin_run(info)
        self.canvas.clear()
        self._pin_items = []  # went with the canvas
        self._pin_paths = []  # parabola: (item, x, f(x)) of each pinned run's path, drawn on the view's scales
        self.multiclass = None
        kind = "multiclass" if info.task == "multiclass" else info.view
        if kind == "multiclass" and self.mc_controls is None:
            self._add_multiclass_controls()
        if self.mc_controls is not None:
            self.mc_controls.setVisible(kind == "multiclass")
        self.plot = self.add_plot(0, 0, x=info.x_label, y=info.y_label)
        self.last = None
        build = {"scatter": self._build_scatter, "curve": self._build_curve, "classes": self._build_classes,
                 "multiclass": self._build_multiclass,
                 "parabola": self._build_parabola}.get(kind, self._build_value)
        build(info)

    # ----- fruit and micrograd: prediction against target, one colour per output -----------------

    def _build_scatter(self, info):
        self.title_label.setText("<b>Predictions</b> against targets (on the line y = x they are perfect)")
        y = np.asarray(info.y).reshape(len(info.y), -1)
        lo, hi = float(y.min()), float(y.max())
        pad = 0.1 * (hi - lo or 1.0)
        diag = pg.PlotDataItem([lo - pad, hi + pad], [lo - pad, hi + pad], pen=theme.reference_pen())
        self.plot.addItem(diag)
        self.points = []
        names = info.target_names or tuple(f"output {i}" for i in range(y.shape[1]))
        entries = []
        for j in range(y.shape[1]):
            name = names[j] if j < len(names) and y.shape[1] > 1 else "the examples"
            symbol = theme.OUTPUT_SYMBOLS[j % len(theme.OUTPUT_SYMBOLS)]  # each output its colour and shape
            item = pg.ScatterPlotItem(size=10, symbol=symbol, brush=pg.mkBrush(theme.series(j)), pen=pg.mkPen(None))
            self.plot.addItem(item)
            self.points.append(item)
            entries.append((theme.series(j), theme.GLYPHS[symbol], name))
        legend_title(self.plot, entries + [(theme.REFERENCE, "╌", "y = x (perfect prediction)")])
        self.plot.setAspectLocked(False)
        self.range = RangeKeeper(self.plot)

    def _against_targets(self, predictions):
        """(targets, predictions) as columns, one per output, for the prediction-target plot."""
        y = np.asarray(self.info.y).reshape(len(self.info.y), -1)
        return y, paintable(predictions).reshape(y.shape)

    def _show_scatter(self, snap):
        y, pred = self._against_targets(snap.predictions)
        for j, item in enumerate(self.points):
            shown = np.isfinite(pred[:, j])  # an undefined prediction (0 x inf) has no place to be drawn
            item.setData(y[shown, j], pred[shown, j])
        self.range.fit(y, np.concatenate([y.ravel(), pred.ravel()]))

    # ----- quadratic: the measured data and the fitted curve -----------------------------------

    def _build_curve(self, info):
        self.title_label.setText("<b>Predictions</b>: the fitted curve and its diamonds over the data (dots)")
        self.data_points = pg.ScatterPlotItem(info.x, info.y, size=8, symbol=theme.DATA_SYMBOL,
                                              brush=pg.mkBrush(theme.TRAIN), pen=pg.mkPen(None))
        self.plot.addItem(self.data_points)
        self.pred_points = pg.ScatterPlotItem(size=8, symbol=theme.PREDICTION_SYMBOL,
                                              brush=pg.mkBrush(theme.PREDICTION), pen=pg.mkPen(None))
        self.plot.addItem(self.pred_points)
        self.curve = self.plot.plot(pen=theme.pen(theme.PREDICTION, 1.5))
        legend_title(self.plot, [(theme.TRAIN, "●", "data"), (theme.PREDICTION, "◆", "prediction"),
                                 (theme.PREDICTION, "━", "model")])
        self.range = RangeKeeper(self.plot)

    def _show_curve(self, snap):
        self.pred_points.setData(self.info.x, paintable(snap.predictions))
        if snap.curve_predictions is not None:
            self.curve.setData(self.info.curve_x, paintable(snap.curve_predictions), connect="finite")
        self.range.fit(self.info.x, np.concatenate([np.ravel(self.info.y), np.ravel(snap.predictions)]))

    # ----- classes (digits, binary CSV data): probability of the positive class by true class ------

    def _build_classes(self, info):
        negative, positive = info.class_names
        self.positive = positive
        self.title_label.setText(f"<b>Predictions</b>: {info.y_label}, for every example")
        self.plot.setLabel("bottom", info.x_label)
        self.plot.setLabel("left", info.y_label)
        self.plot.getAxis("bottom").setTicks([[(0, positive), (1, negative)], []])
        self.plot.setXRange(-0.5, 1.5, padding=0)
        self.plot.setYRange(-0.05, 1.05)
        self.plot.enableAutoRange(x=False, y=False)
        self.plot.addItem(pg.InfiniteLine(pos=0.5, angle=0, pen=theme.reference_pen(),
                                          label="0.5", labelOpts={"position": 0.5,
                                                                  "color": pg.getConfigOption("foreground")}))
        rng = np.random.default_rng(0)  # fixed jitter: points keep their place between frames
        self.train_x = np.where(_is_positive(info.y), 0.0, 1.0) + rng.uniform(-0.28, -0.02, len(info.y))
        self.train_points = pg.ScatterPlotItem(size=4, symbol=theme.TRAIN_SYMBOL,
                                               brush=pg.mkBrush(pg.mkColor(theme.TRAIN)), pen=pg.mkPen(None))
        self.plot.addItem(self.train_points)
        entries = [(theme.TRAIN, "●", "training")]
        if info.y_val is not None:
            self.val_x = np.where(_is_positive(info.y_val), 0.0, 1.0) + rng.uniform(0.02, 0.28, len(info.y_val))
            self.val_points = pg.ScatterPlotItem(size=5, symbol=theme.VALIDATION_SYMBOL,
                                                 brush=pg.mkBrush(theme.VALIDATION), pen=pg.mkPen(None))
            self.plot.addItem(self.val_points)
            entries.append((theme.VALIDATION, "■", "validation"))
        legend_title(self.plot, entries)

    def _show_classes(self, snap):
        p = _probability_of_positive(snap.predictions)
        self.train_points.setData(self.train_x, p)
        parts = [f"training {np.mean((p > 0.5) == _is_positive(self.info.y)):.1%}"]
        if snap.val_predictions is not None:
            pv = _probability_of_positive(snap.val_predictions)
            self.val_points.setData(self.val_x, pv)
            parts.insert(0, f"validation {np.mean((pv > 0.5) == _is_positive(self.info.y_val)):.1%}")
        self.title_label.setText(f"<b>Predictions</b>: probability of {self.positive} (above 0.5 counts as "
                                 f"{self.positive}); accuracy after step {snap.evaluated:,}: " + ", ".join(parts))

    # ----- many classes (digits10, a CSV's text labels): the confusion matrix ----------------------

    def _build_multiclass(self, info):
        from .confusion_view import MulticlassPredictions

        self.multiclass = MulticlassPredictions(self, info, self.mc_controls)

    def _clicked(self, event) -> None:
        if self.multiclass is not None and self.multiclass.clicked(event.scenePos()) and self.last is not None:
            self.update()

    def _show_multiclass(self, snap):
        self.multiclass.draw(snap)

    # ----- parabola: the loss curve and the path of x ------------------------------------------------

    def _build_parabola(self, info):
        self.landscape = self.plot.plot(pen=theme.pen(theme.TRAIN, 2))
        self.path = self.plot.plot(pen=theme.pen(theme.PREDICTION, 1), symbol="o", symbolSize=5,
                                   symbolBrush=theme.PREDICTION, symbolPen=None)
        self.path.setDownsampling(auto=True, method="peak")
        self.current = pg.ScatterPlotItem(size=14, brush=pg.mkBrush(None), pen=theme.pen(theme.PREDICTION, 2.5))
        self.plot.addItem(self.current)
        legend_title(self.plot, [(theme.TRAIN, "━", "loss f(x)"), (theme.PREDICTION, "●", "x after each step"),
                                 (theme.PREDICTION, "○", "x now")])
        # x and f(x) at each step the trace kept: a Series, because a snapshot of a million-step
        # run brings thousands of rows, and copying the whole path for them cost a frame.
        self.path_points = Series(width=2)
        self._path_lines = True  # the path's dots are joined by lines (while few)
        self._parabola_range = None
        self._symlog = False

    def _show_parabola(self, snap):
        xs, fs = self.path_points.y[:, 0], self.path_points.y[:, 1]
        if len(xs) > MAX_PATH_POINTS:  # the recent path in full, the older part evenly thinned
            recent = MAX_PATH_POINTS // 2
            older = np.linspace(0, len(xs) - recent - 1, MAX_PATH_POINTS - recent).astype(np.intp)
            keep = np.concatenate([older, np.arange(len(xs) - recent, len(xs))])
            xs, fs = xs[keep], fs[keep]
        x_now = float(snap.values[0])
        seen = np.concatenate([xs, [x_now]] + [px for _, px, _ in self._pin_paths])
        seen = seen[np.isfinite(seen)]
        reach = float(np.max(np.abs(seen))) if seen.size else 1.0
        if reach > SYMLOG_FROM and not self._symlog:
            # x is running away: on linear axes every earlier step would sit in one pixel at 0.
            self._symlog = True
            self._parabola_range = None
            self.plot.setLabel("bottom", f"{self.info.x_label} (symmetric log scale)")
            self.plot.setLabel("left", f"{self.info.y_label} (log scale)")
        show_x, show_f = (_symlog, _log1p10) if self._symlog else (_same, _same)
        if snap.landscape is not None:
            lx, lf = snap.landscape
            self.landscape.setData(show_x(lx), show_f(lf), connect="finite")
        # The zig-zag of the first steps is the lesson; hundreds of lines would only fill the V.
        # Only when it changes: a new pen makes pyqtgraph build the path's 600 dots again.
        if (len(xs) <= MAX_DOTS) != self._path_lines:
            self._path_lines = not self._path_lines
            self.path.setPen(theme.pen(theme.PREDICTION, 1) if self._path_lines else None)
        self.path.setData(show_x(xs), show_f(fs), connect="finite")
        for item, px, pf in self._pin_paths:  # pinned runs' paths, on the same scales
            item.setData(show_x(paintable(px)), show_f(paintable(pf)), connect="finite")
        finite = np.isfinite(snap.current_loss) and np.isfinite(x_now)
        self.current.setData(show_x([x_now]) if finite else [], show_f([snap.current_loss]) if finite else [])
        scale = "; both axes on symmetric log scales, x is running away" if self._symlog else ""
        self.title_label.setText(f"<b>Predictions</b>: where x has been on the loss curve{scale}. "
                                 f"After step {snap.step}: x = {x_now:.6g}, f(x) = {snap.current_loss:.6g}")
        self._fit_parabola(reach)

    def _fit_parabola(self, reach: float) -> None:
        # Keep the view on where x has been; widen only when x leaves it, so the curve doesn't jitter.
        reach = max(reach, 1.0) * 1.15
        if self._parabola_range is not None and self._parabola_range / 8 <= reach <= self._parabola_range:
            return
        self._parabola_range = reach
        xs, fs = self.landscape.getData()
        if self._symlog:
            edge = float(_symlog([reach])[0])
            self.plot.setXRange(-edge, edge, padding=0)
            self.plot.getAxis("bottom").setTicks([_symlog_ticks(edge)])
            top = float(_log1p10([reach ** 2 if reach < 1e150 else 1e300])[0])
            self.plot.setYRange(0, top * 1.05, padding=0)
            self.plot.getAxis("left").setTicks([_log_ticks(top)])
            return
        self.plot.getAxis("bottom").setTicks(None)
        self.plot.getAxis("left").setTicks(None)
        self.plot.setXRange(-reach, reach, padding=0)
        if xs is not None and len(xs):
            visible = fs[(xs >= -reach) & (xs <= reach) & np.isfinite(fs)]
            top = float(visible.max()) if visible.size else 1.0
            self.plot.setYRange(-0.05 * top, top * 1.1, padding=0)

    # ----- a view drawn elsewhere (chain-rule's graph): the output as a number ---------------------

    def _build_value(self, info):
        self.plot.hideAxis("bottom")
        self.plot.hideAxis("left")
        self.value_text = empty_text(self.plot, "")

    def _show_value(self, snap):
        shown = ", ".join(f"{v:.6g}" for v in np.ravel(snap.predictions)[:4])
        self.value_text.setText(f"{self.info.y_label} = {shown}")
        self.title_label.setText(f"<b>Predictions</b>: {self.info.y_label} = {shown} at the weights after "
                                 f"step {snap.step:,}")

    # ----- dispatch -------------------------------------------------------------------------------

    # ----- runs pinned to compare: their predictions at their last step, in their colour ----------

    def show_pins(self, pins) -> None:
        """Pinned runs' predictions beside the live ones: rings on the prediction-target plot
        (fruit, micrograd), the fitted curve dashed (quadratic); the other kinds show the live run only."""
        for item in self._pin_items:
            self.plot.removeItem(item)
        self._pin_items, self._pin_paths = [], []
        if self.plot is None or self.info is None or self.info.task == "multiclass":
            return
        for i, pin in enumerate(pins):
            colour = theme.pinned_colour(i)
            if self.info.view == "scatter" and pin.predictions is not None and pin.predictions.size == self.info.y.size:
                y, pred = self._against_targets(pin.predictions)
                shown = np.isfinite(pred)
                item = pg.ScatterPlotItem(y[shown], pred[shown], size=12, brush=pg.mkBrush(None),
                                          pen=theme.pen(colour, 1.5))
            elif self.info.view == "curve" and pin.curve_predictions is not None \
                    and len(pin.curve_predictions) == len(self.info.curve_x):
                item = pg.PlotDataItem(self.info.curve_x, paintable(pin.curve_predictions), connect="finite",
                                       pen=theme.pinned_pen(i, width=1.5))
            elif self.info.view == "parabola" and len(pin.weight_steps):
                # Its path on the curve: x after step t, at f(x) = the loss its step t + 1 printed.
                at = np.searchsorted(pin.steps, pin.weight_steps + 1)
                found = (at < len(pin.steps)) & (pin.steps[np.minimum(at, len(pin.steps) - 1)] == pin.weight_steps + 1)
                item = pg.PlotDataItem(pen=theme.pinned_pen(i, width=1.5), symbol="o", symbolSize=5,
                                       symbolBrush=None, symbolPen=pg.mkPen(colour))
                self._pin_paths.append((item, pin.weight_values[found], pin.loss[at[found]]))
            else:
                continue
            item.setZValue(-1)
            item.setToolTip(f"pinned: {pin.name}" + ("" if self.info.view == "parabola" else ", at its last step"))
            self.plot.addItem(item)
            self._pin_items.append(item)
        if self.last is not None and self._pin_items:
            self.draw()  # now, paused or not (the parabola's paths take the view's scales)

    def describe(self) -> str:
        snap, info = self.last, self.info
        if snap is None or info is None:
            return "Predictions: no run yet"
        title = plain_text(self.title_label.text())
        kind = "multiclass" if info.task == "multiclass" else info.view
        if kind in ("scatter", "curve"):
            y = np.asarray(info.y, dtype=np.float64).ravel()
            pred = np.asarray(snap.predictions, dtype=np.float64).ravel()
            err = pred - y if pred.shape == y.shape else np.array([np.nan])
            what = ("against their targets" if kind == "scatter" else "on the fitted curve, over the data")
            title = (f"Predictions after step {snap.evaluated:,}: {len(y):,} predictions {what}; mean absolute "
                     f"error {number(float(np.mean(np.abs(err))))}, largest {number(float(np.max(np.abs(err))))}")
        elif kind == "multiclass" and snap.current_metric is not None and info.metric == "accuracy":
            title = f"Predictions after step {snap.evaluated:,}: training accuracy {snap.current_metric:.1%}. {title}"
        if self._pin_items:
            title += f"; {len(self._pin_items)} pinned run{'s' if len(self._pin_items) > 1 else ''} beside them"
        return title

    def ingest(self, snap):
        self.last = snap
        if self.info.view == "parabola":  # the path accumulates; everything else is replaced
            if snap.trace_restart:  # the snapshot brings the whole trace again (thinned)
                self.path_points.clear()
            if snap.trace_losses is not None and len(snap.trace_losses):
                self.path_points.extend(snap.trace_steps, np.column_stack([snap.trace_values[:, 0], snap.trace_losses]))

    def draw(self):
        snap = self.last
        kind = "multiclass" if self.info.task == "multiclass" else self.info.view
        {"scatter": self._show_scatter, "curve": self._show_curve, "classes": self._show_classes,
         "multiclass": self._show_multiclass,
         "parabola": self._show_parabola}.get(kind, self._show_value)(snap)
