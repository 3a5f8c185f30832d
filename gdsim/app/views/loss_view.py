"""Loss against step: training loss every step, validation loss every epoch, and the metric."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox

from ...core.engine.metrics import METRIC_TITLES
from .. import theme
from ..series import Envelope, dots_while_few, paintable, positive_or_nan
from .base import PlotView, RangeKeeper, empty_text, legend_title, number, show_step_cursor, step_cursor, trend


LOG_TIP = ("Show the loss on a logarithmic axis (L). Losses often fall by orders of magnitude; on a "
           "log axis every factor of 10 looks the same.")
LOG_SIGNED_TIP = "This lesson's loss is the expression's value, which can be negative: a log axis cannot show it."


class LossView(PlotView):
    name = "loss"
    title = "Loss"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.log_box = QCheckBox("log scale")
        self.log_box.setChecked(True)
        self.log_box.setToolTip(LOG_TIP)
        self.log_box.toggled.connect(self._set_log)
        self.header.addWidget(self.log_box)

        # Bounded however long the run: exact while short, an envelope of min and max when long.
        self.train = Envelope()
        self.train_pos = Envelope()  # the same points, with what a log axis cannot draw as gaps
        self.val = Envelope()
        self.val_pos = Envelope()
        self.metric_series = Envelope()
        self.val_metric = Envelope()

        self.loss_plot = self.add_plot(0, 0, x="step", y="loss")
        self.loss_plot.setDownsampling(auto=True, mode="peak")
        self.loss_plot.setClipToView(True)
        self.train_curve = self.loss_plot.plot()  # pens: begin_run, in the theme then in force
        self.val_curve = self.loss_plot.plot()
        self.empty = empty_text(self.loss_plot, "No steps yet.\nPress Run (Space) or Step (Right arrow).")

        # The metric's plot is made by the first run that has a metric (fruit's has none): a plot
        # is 15 ms of a slow machine's start-up, and the first frame needs none.
        self.metric_plot = None
        self.loss_range = RangeKeeper(self.loss_plot)
        self.notes: tuple = ()  # the run's notes (Snapshot.notes), each a marked step
        self._note_lines: list[pg.InfiniteLine] = []
        # Looking back (the timeline): the step every view shows, on the whole run's curve.
        self.shown_step: int | None = None
        self.pins: list = []  # runs pinned to compare (core.record.curves.RunCurves), drawn dashed
        self._pin_curves: list = []
        self._pins_drawn = None  # (log scale, count) the pinned curves were last drawn for
        self._entries: list = []
        self.cursor = step_cursor(self.loss_plot)
        self._log_wanted = True
        self._set_log(True)
        self._said = None  # (step, loss, earlier loss, validation loss, metric) for the description
        self._recent = np.empty(0)  # the last losses, for the trend

    def _add_metric_plot(self) -> None:
        self.metric_plot = self.add_plot(1, 0, x="step", y="metric")
        self.metric_plot.setXLink(self.loss_plot)
        self.metric_plot.setDownsampling(auto=True, mode="peak")
        self.metric_plot.setClipToView(True)
        self.metric_curve = self.metric_plot.plot()
        self.val_metric_curve = self.metric_plot.plot()
        self.canvas.ci.layout.setRowStretchFactor(0, 3)
        self.canvas.ci.layout.setRowStretchFactor(1, 1)
        self.metric_range = RangeKeeper(self.metric_plot, x=False)  # its x follows the loss plot
        self.metric_cursor = step_cursor(self.metric_plot, label=False)

    TREND_STEPS = 20  # "falling": the loss now against the loss this many points before

    def describe(self) -> str:
        if self._said is None:
            return "Loss curve: no run yet"
        step, loss, earlier, val, metric = self._said
        if self.train.count == 0:
            return f"Loss curve: no steps yet; the loss of the initial weights is {number(loss)}"
        text = f"Loss curve: step {step:,}, loss {number(loss)}, {trend(earlier, loss)}"
        if val is not None:
            text += f"; validation loss {number(val)}"
        if metric is not None and self.info is not None and self.info.metric:
            value = f"{metric:.1%}" if self.info.metric == "accuracy" else number(metric)
            text += f"; {METRIC_TITLES[self.info.metric]} {value}"
        if self.shown_step is not None:
            text += f" (looking back at step {self.shown_step:,})"
        if self.pins:
            text += f"; {len(self.pins)} pinned run{'s' if len(self.pins) > 1 else ''} dashed beside it"
        return text

    def begin_run(self, info):
        super().begin_run(info)
        has_metric = info.metric is not None
        if has_metric and self.metric_plot is None:
            self._add_metric_plot()
        for s in (self.train, self.train_pos, self.val, self.val_pos, self.metric_series, self.val_metric):
            s.clear()
        self.loss_range.clear()
        if self.metric_plot is not None:
            self.metric_range.clear()
        for pin in self.pins:  # pinned runs stay while the lesson does (the window clears them)
            self.loss_range.include(pin.steps, pin.loss)
        self.notes = ()
        self.shown_step = None
        self._said = None
        self._recent = np.empty(0)
        for curve in (self.train_curve, self.val_curve):
            curve.setData([], [])  # not the last run's points on an axis about to change
        # Training solid with dots, validation dashed with squares: apart without their colours.
        pens = [(self.train_curve, theme.train_pen()), (self.val_curve, theme.validation_pen())]
        if self.metric_plot is not None:
            pens += [(self.metric_curve, theme.pen(theme.METRIC)), (self.val_metric_curve, theme.validation_pen())]
        for curve, pen in pens:
            curve.setPen(pen)
            curve.setSymbol(None)  # dots_while_few puts them back in this theme's colours
        # A loss that is the expression's value itself (chain-rule's L) can be negative, which a
        # log axis cannot draw at all: linear, and the box says why it is off.
        signed = info.settings.loss == "value"
        if signed and self.log_box.isEnabled():
            self._log_wanted = self.log_box.isChecked()  # back as it was for the next lesson
            self.log_box.setChecked(False)
        elif not signed and not self.log_box.isEnabled():
            self.log_box.setChecked(self._log_wanted)
        self.log_box.setEnabled(not signed)
        self.log_box.setToolTip(LOG_SIGNED_TIP if signed else LOG_TIP)
        self.loss_plot.setLabel("left", "loss")  # which loss: the control panel says; a long name would be cut
        if self.metric_plot is not None:
            self.metric_plot.setVisible(has_metric)
            # A hidden plot would still hold its row: take it out of the layout, or put it back.
            in_layout = self.metric_plot in self.canvas.ci.items
            if has_metric and not in_layout:
                self.canvas.ci.addItem(self.metric_plot, row=1, col=0)
                self.canvas.ci.layout.setRowStretchFactor(1, 1)
            elif not has_metric and in_layout:
                self.canvas.ci.removeItem(self.metric_plot)
            self.val_metric_curve.setVisible(info.has_validation)
        self.val_curve.setVisible(info.has_validation)
        # The legends list only what this run draws, above the plots so they never cover a curve.
        entries = [(theme.TRAIN, "━", "training (each step)")]
        if info.has_validation:
            entries.append((theme.VALIDATION, "╌■", "validation (each epoch)"))
        self._entries = entries
        legend_title(self.loss_plot, entries + self._pin_entries(), per_line=len(entries))
        if has_metric:
            title = METRIC_TITLES[info.metric]
            self.metric_plot.setLabel("left", title)
            entries = [(theme.METRIC, "━", "training")]
            if info.has_validation:
                entries.append((theme.VALIDATION, "╌■", "validation"))
            legend_title(self.metric_plot, entries)
        self._redraw()

    def ingest(self, snap):
        if self.train.count == 0 and snap.step == 0:
            # No step yet: the axes go where the first point will be (the initial loss).
            self.loss_range.include([0, 1], [snap.current_loss])
        steps = snap.steps.astype(np.float64)
        self.train.extend(steps, snap.loss)
        self.train_pos.extend(steps, positive_or_nan(snap.loss))
        self.loss_range.include(steps, snap.loss)
        if snap.metric_values is not None:  # a run with a metric: its plot was made by begin_run
            self.metric_series.extend(steps, snap.metric_values)
            self.metric_range.include(ys=snap.metric_values)
        if len(snap.val_steps):
            self.val.extend(snap.val_steps, snap.val_loss)
            self.val_pos.extend(snap.val_steps, positive_or_nan(snap.val_loss))
            self.val_metric.extend(snap.val_steps, snap.val_metric)
            self.loss_range.include(snap.val_steps, snap.val_loss)
            if self.metric_plot is not None:
                self.metric_range.include(ys=snap.val_metric)
        self.notes = snap.notes
        self.shown_step = snap.step if snap.past else None
        if len(snap.loss):
            self._recent = np.concatenate([self._recent, snap.loss[-(self.TREND_STEPS + 1):]])[-(self.TREND_STEPS + 1):]
        last = float(self._recent[-1]) if len(self._recent) else float(snap.current_loss)
        earlier = float(self._recent[0]) if len(self._recent) else last
        val = float(snap.val_loss[-1]) if len(snap.val_loss) else (self._said[3] if self._said else None)
        self._said = (int(snap.step), last, earlier, val, snap.row_metric)

    def draw(self):
        self._redraw()

    def _set_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        self.loss_range.rescale()
        self._redraw()

    def _redraw(self) -> None:
        self.loss_range.apply()
        log = self.log_box.isChecked()
        dots_while_few(self.train_curve, self.train.count, theme.TRAIN, 4)  # one step is a dot, not nothing
        self.train_curve.setData(*(self.train_pos if log else self.train).drawable(), connect="finite")
        dots_while_few(self.val_curve, self.val.count, theme.VALIDATION, symbol=theme.VALIDATION_SYMBOL)
        self.val_curve.setData(*(self.val_pos if log else self.val).drawable(), connect="finite")
        if self.metric_plot is not None:
            self.metric_range.apply()
            dots_while_few(self.val_metric_curve, self.val.count, theme.VALIDATION, symbol=theme.VALIDATION_SYMBOL)
            if self.metric_plot.isVisible():
                self.metric_curve.setData(*self.metric_series.drawable(), connect="finite")
                self.val_metric_curve.setData(*self.val_metric.drawable(), connect="finite")
            show_step_cursor(self.metric_cursor, self.shown_step)
        self.empty.setVisible(self.train.count == 0)
        if self._pins_drawn != (log, len(self._pin_curves)):  # they never change while the run goes on
            self._pins_drawn = (log, len(self._pin_curves))
            for pin, curve in zip(self.pins, self._pin_curves):
                curve.setData(pin.steps, positive_or_nan(pin.loss) if log else paintable(pin.loss), connect="finite")
        self._mark_notes()
        show_step_cursor(self.cursor, self.shown_step)

    def show_pins(self, pins) -> None:
        """Draw ``pins`` beside the run: each its own colour and dash, named in the legend."""
        self.pins = list(pins)
        for curve in self._pin_curves:
            self.loss_plot.removeItem(curve)
        self._pin_curves = []
        self._pins_drawn = None
        for i, pin in enumerate(self.pins):
            curve = self.loss_plot.plot(pen=theme.pinned_pen(i, width=1.5))
            curve.setZValue(-1)  # under the live run
            self._pin_curves.append(curve)
            self.loss_range.include(pin.steps, pin.loss)
        legend_title(self.loss_plot, self._entries + self._pin_entries(), per_line=max(1, len(self._entries)))
        self._redraw()

    def _pin_entries(self) -> list:
        # A dashed line is a pinned run: the legend names it by what it changed.
        return [(theme.pinned_colour(i), theme.GLYPHS[theme.PINNED_STYLES[i % len(theme.PINNED_STYLES)]], pin.name)
                for i, pin in enumerate(self.pins)]

    def _mark_notes(self) -> None:
        """A dashed line at each noted step, labelled with the note's mark; its tooltip says it all."""
        while len(self._note_lines) > len(self.notes):
            self.loss_plot.removeItem(self._note_lines.pop())
        for i, (step, mark, text) in enumerate(self.notes):
            if i == len(self._note_lines):
                line = pg.InfiniteLine(angle=90, label="", pen=theme.pen(theme.BAD, 1, "dash"),
                                       labelOpts={"position": 0.08, "color": theme.BAD})
                self.loss_plot.addItem(line, ignoreBounds=True)
                self._note_lines.append(line)
            line = self._note_lines[i]
            line.setValue(step)
            line.label.setFormat(mark)  # the line stands at the step; the tooltip says the rest
            line.setToolTip(f"Step {step}: {text}")

    # For tests and export: what the view holds.
    def curve_data(self):
        return self.train.drawable()
