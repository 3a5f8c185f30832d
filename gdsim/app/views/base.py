"""What every view shares: a title row, a pyqtgraph canvas, export, an empty state."""

from __future__ import annotations

import math
from contextlib import contextmanager
import re
import time
from typing import TYPE_CHECKING
import weakref

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QTextDocument, QTextOption
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from .. import theme
from ..presentation import ZoomCanvas
from ..series import PAINT_LIMIT

if TYPE_CHECKING:  # names for the annotations: core.snapshot imports the engine, which the first frame does not need
    from ...core.snapshot import RunInfo, Snapshot


class ValueAxis(pg.AxisItem):
    """Plain numbers, and on a log axis spanning a decade or more, labels at powers of 10 only."""

    def __init__(self, orientation: str, **kwargs):
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)  # a learner reads 0.2, not 200 with "(x0.001)" in the label
        # The labels' room only grows. Left to shrink, a short axis whose labels depend on its
        # length (tickSpacing below) can flip between two widths on every paint, each paint
        # resizing the plot beside it and asking for the next: a repaint loop while training.
        self.setStyle(autoReduceTextSpace=False)

    def logTickStrings(self, values, scale, spacing):
        # Called from inside paint(): an exception here would take the whole app down
        # (PySide cannot report errors raised in a paint override), so stay simple.
        strings = super().logTickStrings(values, scale, spacing)
        if spacing is not None and spacing >= 1:
            return strings  # powers of ten
        # pyqtgraph passes no spacing when it mixes powers of ten with the ticks between them
        # (2, 3, ... 9 x 10^k): over two decades or more label the powers only, over less the
        # powers and 2 and 5 times them, so the labels never overlap.
        lo, hi = self.range
        decades = abs(hi - lo)
        keep = (1,) if decades >= 2 else (1, 2, 5)
        out = []
        for v, text in zip(values, strings):
            mantissa = round(10 ** (float(v) - math.floor(float(v))))
            out.append(text if mantissa in keep else "")
        return out

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph's name)
        # Also called from inside paint(): no exception may leave here.
        levels = super().tickSpacing(minVal, maxVal, size)
        if not levels or self.logMode or not size > 0:
            return levels
        # A short axis (the tracked weight's plots, a narrow histogram) gets its labels far
        # enough apart to read; pyqtgraph would put three labels into 40 pixels, one on another.
        vertical = self.orientation in ("left", "right")
        room = abs(maxVal - minVal) * (LABEL_ROOM_PX if vertical else LABEL_ROOM_X_PX) / size
        major = levels[0][0]
        if not (major > 0 and room < major * 1e6):
            return levels
        if major < room:
            major = round_up(room)
        return [(major, 0)] + [level for level in levels[1:] if level[0] < major]


LABEL_ROOM_PX = 28.0  # vertical pixels between two labelled ticks, at the least
LABEL_ROOM_X_PX = 60.0  # horizontal: room for a label like "-0.025"


TINY = 1e-300


def round_up(x: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, 50... times a power of ten that is at least ``x`` (> 0):
    the numbers an axis, a tick step or a colour scale reads well in. Below TINY (gradients of
    a converged parabola reach 1e-320), ``x`` counts as TINY: a power of ten there would be 0."""
    x = max(x, TINY)
    power = 10.0 ** math.floor(math.log10(x))
    for m in (1.0, 2.0, 5.0):
        if x <= m * power * (1 + 1e-9):
            return m * power
    return 10.0 * power


def legend_title(plot: pg.PlotItem, entries, size: str = "8pt", per_line: int | None = None,
                 lines: int = 2) -> None:
    """The plot's legend as its title: it never covers a curve, and it is exported with it.

    ``entries`` are (colour, glyph, text): a line "━", a dot "●", a ring "○", a dash "╌";
    ``per_line`` entries to a line at most (all on one by default). In a column too narrow for a
    line it puts fewer on each, rather than be cut at both ends (a lesson beside the views), in
    at most ``lines`` lines (or as many as ``per_line`` needs): pyqtgraph's title row holds two,
    and a taller row takes its height from the plot.
    """
    parts = [f"<span style='color:{colour}'>{glyph}</span>&nbsp;{text}" for colour, glyph, text in entries]
    label = plot.titleLabel
    label.legend_parts = (parts, size, per_line or len(parts) or 1, lines)
    label.legend_shown = None
    _fit_legend(plot)
    if not getattr(label, "fits_legend", False):
        label.fits_legend = True
        ref = weakref.ref(plot)  # the label's signal must not keep its plot alive
        label.geometryChanged.connect(lambda: (plot := ref()) is not None and _fit_legend(plot))


def _fit_legend(plot: pg.PlotItem) -> None:
    label = plot.titleLabel
    if getattr(label, "legend_parts", None) is None:
        return
    parts, size, most, lines = label.legend_parts
    room = label.width()
    if room == getattr(label, "legend_room", None) and label.legend_shown is not None:
        return  # laid out again with the same width (a plot's axes move with every frame)
    label.legend_room = room
    lines = max(lines, -(-len(parts) // most))

    def wrapped(n: int) -> str:
        return "<br>".join("&nbsp;&nbsp;&nbsp;".join(parts[i:i + n]) for i in range(0, len(parts), n))

    # The fewest lines whose longest fits, the entries shared out evenly (6 as 3 and 3, not 5 and 1);
    # where none fits, the most lines allowed, cut.
    for count in range(1, lines + 1):
        text = wrapped(max(1, min(most, -(-len(parts) // count))))
        if room <= 0 or _text_width(text, size, label.item.font()) <= room:
            break
    if text != label.legend_shown:
        label.legend_shown = text
        _put_title(plot, text, size)


def _text_width(html_text: str, size: str, font) -> float:
    if not _MEASURE:
        _MEASURE.append(QTextDocument())  # made once there is an application to own fonts
    doc = _MEASURE[0]
    doc.setDefaultFont(font)
    doc.setHtml(f"<span style='font-size: {size}'>{html_text}</span>")
    return doc.idealWidth()


_MEASURE: list = []


def fit_wrapped(dialog, width: int = 720) -> None:
    """Size ``dialog`` for its wrapped texts at ``width``: Qt sizes a dialog before its labels'
    words wrap, so a text under a plot was laid over the plot's axis title."""
    dialog.resize(width, dialog.layout().totalHeightForWidth(width))


def pins_entry(count: int) -> list:
    """A small plot's legend entry for pinned runs: one line, not their names (which ran past its
    edge), the colours being those the loss view's legend names."""
    return [(theme.pinned_colour(0), theme.GLYPHS[theme.PINNED_STYLES[0]], "pinned runs")] if count else []


def set_title(plot: pg.PlotItem, text: str, size: str = "8pt", justify: str = "center") -> None:
    """A plot title that may be cut short in a narrow column but never widens it (pyqtgraph
    makes a label's text width its minimum, which pushed whole panels off a 1024-pixel screen).
    A title whose start matters more than its end is justified left: it is cut at the end."""
    plot.titleLabel.legend_parts = None  # no longer a legend to fit to the column
    _put_title(plot, text, size, justify)


def _put_title(plot: pg.PlotItem, text: str, size: str, justify: str = "center") -> None:
    plot.setTitle(text, size=size, justify=justify)
    relax_width(plot.titleLabel)
    # pyqtgraph fixes the title's row at 30 pixels, two lines: a legend of three lines (a run and
    # its pins) lost its first. The row takes as many lines as the title has.
    lines = text.count("<br>") + 1
    if lines > 2:
        height = int(30 + (lines - 2) * TITLE_LINE_PX)
        plot.titleLabel.setMaximumHeight(height)
        plot.layout.setRowFixedHeight(0, height)


TITLE_LINE_PX = 13  # a line of an 8pt title


def relax_width(label: pg.LabelItem) -> None:
    """From now on the label takes the width its column gets, cutting its text if it must
    (pyqtgraph recomputes a label's size on every text change and resize, hence the replaced
    ``updateMin``)."""
    def update_min():
        bounds = label.itemRect()
        label.setMinimumWidth(0)
        label.setMinimumHeight(bounds.height())
        label._sizeHint = {
            Qt.SizeHint.MinimumSize: (0, bounds.height()),
            Qt.SizeHint.PreferredSize: (0, bounds.height()),  # columns share by their stretch
            Qt.SizeHint.MaximumSize: (-1, -1),
            Qt.SizeHint.MinimumDescent: (0, 0),
        }
        label.updateGeometry()

    label.updateMin = update_min
    update_min()
    # A text cut short is cut at the label's edge, not drawn over the next column.
    label.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)


def magnitude(values) -> tuple[float, str]:
    """(divisor, label suffix) that brings astronomically large values to readable numbers.

    Qt cannot paint a shape 1e154 wide (a diverging run's gradient); divided by 1e154 it can,
    and the axis label says "(x 1e154)". Ordinary values are left alone.
    """
    v = np.asarray(values, dtype=np.float64)
    v = np.abs(v[np.isfinite(v)])
    top = float(v.max()) if v.size else 0.0
    if top < BIG:
        return 1.0, ""
    k = int(math.floor(math.log10(top)))
    return 10.0 ** k, f" (x 1e{k})"


BIG = 1e9  # from here on, values are drawn divided by a power of ten


def value_axes() -> dict:
    return {"left": ValueAxis("left"), "bottom": ValueAxis("bottom")}


class PlotView(QWidget):
    """A titled canvas. Subclasses build plots in ``begin_run`` and fill them in ``show_snapshot``."""

    name = "view"  # used in export file names
    title = "View"
    heavy = False  # images, histograms, many items: drawn less often while training runs
    smallest_scene = (300, 200)  # zoomed, the canvas's plots are never laid out in less (presentation.py)
    undrawn = False  # has taken in a snapshot it has not drawn yet

    def __init__(self, parent=None):
        super().__init__(parent)
        self.info: RunInfo | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self.header = QHBoxLayout()
        self.title_label = QLabel(f"<b>{self.title}</b>")
        self.title_label.setWordWrap(True)
        # A long title wraps instead of pushing the view (and the splitter) wider.
        self.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.header.addWidget(self.title_label, 1)
        layout.addLayout(self.header)
        self.canvas = ZoomCanvas(smallest=self.smallest_scene)
        # No spatial index: Qt's default BSP index is updated lazily, and removing plots whose
        # geometry moved since the last update (a new run rebuilds the plots while a banner
        # above changes their size) left a freed item in the index that the next paint read
        # (a segfault). Every item here changes every frame anyway; a handful needs no index.
        self.canvas.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        # 120 high at least: micrograd's loss and predictions stack beside its graph, over the
        # gradients; at 160 each its views needed 699 pixels, 729 with a message above them, and a
        # 1280x720 projector lost the timeline and the status bar below its edge.
        self.canvas.setMinimumSize(220, 120)
        layout.addWidget(self.canvas, 1)
        # For screen readers: the view's name, and a sentence saying what it shows now (describe),
        # written as snapshots are drawn but at most every DESCRIBE_SECONDS.
        self.setAccessibleName(f"{self.title} view")
        self.canvas.setAccessibleName(f"{self.title} plot")
        self._described_at = -math.inf
        self._describe_timer = QTimer(self)
        self._describe_timer.setSingleShot(True)
        self._describe_timer.timeout.connect(self._describe_now)

    # ----- for subclasses ---------------------------------------------------------------

    def begin_run(self, info: RunInfo) -> None:
        self.info = info

    def show_snapshot(self, snap: Snapshot, draw: bool = True) -> None:
        """Take in a snapshot; draw now, or leave it for the next ``draw_now``.

        Every snapshot is taken in (each carries rows no other will), but at full speed the
        window draws a view only when its share of the time allows (``pacing.ViewSchedule``).
        """
        if not self.accepts(snap):
            return
        self.ingest(snap)
        self.undrawn = True
        if draw:
            self.draw_now()

    def draw_now(self) -> None:
        if self.undrawn:
            self.undrawn = False
            self.draw()
            self.describe_soon()

    # ----- for screen readers -----------------------------------------------------------------

    DESCRIBE_SECONDS = 0.4  # the accessible description changes at most this often while training

    def describe(self) -> str:
        """What the view shows now, in one or two sentences (subclasses say more): its title."""
        return plain_text(self.title_label.text())

    def describe_soon(self) -> None:
        """Update the accessible description now, or at the end of the current interval (once)."""
        wait = self._described_at + self.DESCRIBE_SECONDS - time.perf_counter()
        if wait <= 0:
            self._describe_now()
        elif not self._describe_timer.isActive():
            self._describe_timer.start(int(wait * 1000) + 1)

    def _describe_now(self) -> None:
        self._describe_timer.stop()  # a late timer must not describe again straight after
        self._described_at = time.perf_counter()
        try:
            text = self.describe()
        except Exception as exc:  # a description must never take a frame down
            text = f"{self.title} ({type(exc).__name__} while describing)"
        if text != self.accessibleDescription():
            self.setAccessibleDescription(text)
            self.canvas.setAccessibleDescription(text)

    def paint_now(self) -> None:
        """Paint what ``draw`` just changed before returning, once.

        Left to Qt, a drawn view is painted twice, both after the next timer: pyqtgraph fits
        the ranges and axes at the start of a paint, which changes the scene again. Fitting them
        here first and handing the scene's changes to the view (a queued call) makes one
        synchronous paint show the new frame: an UpdateRequest to the window paints the regions
        that are dirty (this canvas's, and whatever else changed since the last paint).
        """
        scene = self.canvas.scene()
        scene.prepareForPaint()
        QCoreApplication.sendPostedEvents(scene, 0)
        QCoreApplication.sendEvent(self.window(), QEvent(QEvent.Type.UpdateRequest))

    def on_screen(self) -> bool:
        """Some of the canvas can be seen: not hidden, collapsed in its splitter or minimised."""
        return self.isVisible() and not self.canvas.viewport().visibleRegion().isEmpty()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.draw_now()  # what arrived while it was hidden

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if event.oldSize().isEmpty() or min(event.oldSize().width(), event.oldSize().height()) <= 0:
            self.draw_now()  # uncollapsed in its splitter

    def ingest(self, snap: Snapshot) -> None:
        raise NotImplementedError

    def draw(self) -> None:
        raise NotImplementedError

    def accepts(self, snap: Snapshot) -> bool:
        """Snapshots of an earlier run can still be queued when a new run starts."""
        return self.info is not None and snap.run_id == self.info.run_id

    def add_plot(self, row: int, col: int, *, title=None, x=None, y=None, rowspan=1, colspan=1) -> pg.PlotItem:
        plot = self.canvas.addPlot(row=row, col=col, rowspan=rowspan, colspan=colspan, title=title,
                                   axisItems=value_axes())
        if x:
            plot.setLabel("bottom", x)
        if y:
            plot.setLabel("left", y)
        style_plot(plot)
        return plot

    # ----- export ------------------------------------------------------------------------

    def paint_for_export(self, painter, rect) -> None:
        """Draw the title and the plots into ``rect`` of ``painter`` (check boxes and lists stay out).

        Painting through the painter's transform, not grabbing pixels: at 2x every line and
        letter is drawn at twice the size, and into an SVG as vectors.
        """
        painter.save()
        try:
            painter.translate(rect.topLeft())
            painter.setClipRect(0, 0, rect.width(), rect.height())
            self.title_label.render(painter, self.title_label.mapTo(self, QPoint(0, 0)))
            # A QGraphicsView renders its scene: (painter, target in the painter, source in the view).
            target = QRectF(QRect(self.canvas.mapTo(self, QPoint(0, 0)), self.canvas.size()))
            with uncached(self.canvas.scene()):
                self.canvas.render(painter, target, self.canvas.rect(), Qt.AspectRatioMode.IgnoreAspectRatio)
        finally:
            painter.restore()


@contextmanager
def uncached(scene: QGraphicsScene):
    """The scene's items painted afresh, not from their cached pixmaps (``cache_axes``).

    Qt keeps an item's DeviceCoordinateCache as one pixmap per paint device, but marks it
    out of date once for all of them: whichever device paints first after a change (the view
    on screen, or an animation's figure that the window's event loop paints though it is never
    shown) clears the mark, and another device (an export's image) then copies its own pixmap
    of an earlier paint. An axis whose range changed kept the tick labels of an earlier frame in
    an animation, or of an earlier export of the view. Turning the cache off drops every
    device's pixmap; turning it back on starts them afresh, so the screen is repainted right
    too. (An SVG gets vectors, not the cached pixmaps, as well.)
    """
    cached = [(item, item.cacheMode()) for item in scene.items()
              if item.cacheMode() != QGraphicsItem.CacheMode.NoCache]
    for item, _ in cached:
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    try:
        yield
    finally:
        for item, mode in cached:
            item.setCacheMode(mode)
def plain_text(rich: str) -> str:
    """A rich-text label's words, for a screen reader: no tags, entities decoded, one space."""
    import html  # its table of entities is a millisecond of start-up, and no view is described before a run

    text = re.sub(r"<br\s*/?>", ". ", rich)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return " ".join(text.split())


def number(x: float) -> str:
    """A number as a sentence says it: 144.2, 0.0031, 1.2e-07, 4,000."""
    if not math.isfinite(x):
        return "not a number" if math.isnan(x) else ("infinity" if x > 0 else "minus infinity")
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e7):
        return f"{x:.3g}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def trend(earlier: float, now: float) -> str:
    """falling, rising or steady: ``now`` against ``earlier`` (by more than 1%)."""
    if not (math.isfinite(earlier) and math.isfinite(now)):
        return "diverged" if not math.isfinite(now) else "steady"
    if now < earlier - 0.01 * abs(earlier):
        return "falling"
    if now > earlier + 0.01 * abs(earlier):
        return "rising"
    return "steady"


def step_cursor(plot: pg.PlotItem, label: bool = True) -> pg.InfiniteLine:
    """A vertical line at the step the views show while looking back (the timeline), hidden
    until then; ``show_step_cursor`` moves it."""
    line = pg.InfiniteLine(angle=90, pen=theme.pen(theme.REFERENCE, 2),
                           label="step {value:,.0f}" if label else None,
                           labelOpts={"position": 0.92, "color": theme.REFERENCE})
    line.setToolTip("The step the views show (the timeline below): the curves go on to the newest step")
    line.hide()
    plot.addItem(line, ignoreBounds=True)
    return line


def show_step_cursor(line: pg.InfiniteLine, step: int | None) -> None:
    line.setVisible(step is not None)
    if step is not None:
        line.setValue(step)


def style_plot(plot: pg.PlotItem) -> None:
    plot.showGrid(x=True, y=True, alpha=0.15)
    cache_axes(plot)


def cache_axes(plot: pg.PlotItem) -> None:
    """Keep each axis as a pixmap: redrawing it is then a copy, unless its range changed.

    Axis text is the dearest part of a frame; with RangeKeeper changing ranges rarely,
    most frames only copy the axes.
    """
    for side in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(side)
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def _nice_step(span: float) -> float:
    """A round step near a quarter of ``span``: four or so of them cover it."""
    raw = span / 4.0
    return round_up(raw) if raw > 0 and math.isfinite(raw) else 1.0


class RangeKeeper:
    """View ranges that only grow, to round numbers, so axes change (and repaint) rarely.

    pyqtgraph's auto-range would refit the view to the data on every frame: with a loss that
    falls every step, every frame would redraw every axis. Here the range widens to the next
    round number only when data leaves it. Zooming or panning by hand hands the view to the
    person; the plot's "A" button gives it back.
    """

    def __init__(self, plot: pg.PlotItem, x: bool = True, y: bool = True):
        self.plot, self.manage_x, self.manage_y = plot, x, y
        plot.enableAutoRange(x=False if x else None, y=False if y else None)
        self.user = False
        plot.vb.sigRangeChangedManually.connect(self._taken_over)
        plot.autoBtn.clicked.connect(self._given_back)
        self.clear()

    def clear(self) -> None:
        """A new run: forget the data seen so far, and show a neutral range until data comes
        (not the previous run's)."""
        self.lo = [math.inf, math.inf]
        self.hi = [-math.inf, -math.inf]
        self.shown = [None, None]
        if not self.user:
            if self.manage_x:
                self.plot.setXRange(0, 1, padding=0.05)
            if self.manage_y:
                self.plot.setYRange(0, 1, padding=0.05)

    def rescale(self) -> None:
        """The axis changed meaning (log on or off): fit again to the data seen."""
        self.shown = [None, None]
        self.apply()

    def _taken_over(self, *_):
        self.user = True

    def _given_back(self, *_):
        self.user = False
        self.plot.enableAutoRange(x=False if self.manage_x else None, y=False if self.manage_y else None)
        self.shown = [None, None]
        self.apply()

    def include(self, xs=None, ys=None) -> None:
        """Widen to cover these values (NaN and infinities are ignored) at the next ``apply``:
        snapshots are taken in every frame, a view drawn only now and then, and a range set
        between two draws would repaint the view while nothing else in it changed."""
        for axis, values in ((0, xs), (1, ys)):
            if values is None:
                continue
            v = np.asarray(values, dtype=np.float64)
            v = v[np.isfinite(v)]
            if v.size:
                self.lo[axis] = min(self.lo[axis], float(v.min()))
                self.hi[axis] = max(self.hi[axis], float(v.max()))

    def fit(self, xs=None, ys=None) -> None:
        """For data that is replaced each frame (predictions, the gradient bars): keep the view
        while the data is inside it and fills at least a quarter of it (no jitter); otherwise
        fit the view to the data, larger or smaller."""
        for axis, values in ((0, xs), (1, ys)):
            if values is None:
                continue
            v = np.asarray(values, dtype=np.float64)
            v = v[np.isfinite(v)]
            if not v.size:
                continue
            lo, hi = float(v.min()), float(v.max())
            shown = self.shown[axis]
            inside = shown is not None and shown[0] <= lo and hi <= shown[1]
            fills = shown is not None and (self._log(axis) or hi - lo >= 0.25 * (shown[1] - shown[0]))
            if not (inside and fills):
                self.shown[axis] = None  # refit, up or down
            self.lo[axis], self.hi[axis] = lo, hi
        self.apply()

    def _log(self, axis: int) -> bool:
        return self.plot.getAxis("bottom" if axis == 0 else "left").logMode

    def apply(self) -> None:
        if self.user:
            return
        for axis, manage in ((0, self.manage_x), (1, self.manage_y)):
            if not manage or self.lo[axis] > self.hi[axis]:
                continue
            log = self._log(axis)
            lo, hi = self.lo[axis], self.hi[axis]
            if log:
                if hi <= 0:
                    continue
                lo = lo if lo > 0 else hi
                want = (math.floor(math.log10(lo)), math.ceil(math.log10(hi)))
                if want[0] == want[1]:
                    want = (want[0], want[0] + 1)
            else:
                step = _nice_step(hi - lo if hi > lo else abs(hi) or 1.0)
                want = (math.floor(lo / step) * step, math.ceil(hi / step) * step)
                if want[0] == want[1]:
                    want = (want[0] - step, want[1] + step)
            want = _finite_range(*want)
            shown = self.shown[axis]
            if shown is not None and shown[0] <= want[0] and want[1] <= shown[1]:
                continue  # still inside: nothing moves, nothing repaints
            if shown is not None:  # widen, never shrink, within a run
                want = (min(want[0], shown[0]), max(want[1], shown[1]))
            self.shown[axis] = want
            if axis == 0:
                self.plot.setXRange(*want, padding=0.05)
            else:
                self.plot.setYRange(*want, padding=0.05)


AXIS_LIMIT = PAINT_LIMIT  # pyqtgraph refuses a range whose padded span overflows; stay well inside


def _finite_range(lo: float, hi: float) -> tuple[float, float]:
    """A range pyqtgraph can set: finite, of finite width even after padding."""
    lo = min(max(lo, -AXIS_LIMIT), AXIS_LIMIT)
    hi = min(max(hi, -AXIS_LIMIT), AXIS_LIMIT)
    if not hi > lo:
        hi = lo + max(1.0, abs(lo) * 1e-9)
    return lo, hi


def picture_plot(plot: pg.PlotItem, image: pg.ImageItem | None = None, fixed: bool = False) -> pg.ImageItem:
    """``plot`` made a frame for an image (a new one unless given): square pixels, rows down, no
    axes; ``fixed``: no drag, zoom or menu either (a click there picks something)."""
    image = image if image is not None else pg.ImageItem()
    plot.addItem(image)
    plot.setAspectLocked(True)
    plot.invertY(True)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    if fixed:
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
    return image


def empty_text(plot: pg.PlotItem, text: str) -> pg.TextItem:
    """A hint in the middle of an empty plot; hide it once data arrives."""
    item = pg.TextItem(text, anchor=(0.5, 0.5), color=pg.getConfigOption("foreground"))
    item.setZValue(10)
    item.textItem.document().setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignCenter))
    plot.addItem(item, ignoreBounds=True)
    natural = item.textItem.document().idealWidth()

    def centre():
        if not item.isVisible():  # the range changes with every frame of a run: no work for a hidden hint
            return
        (x0, x1), (y0, y1) = plot.vb.viewRange()
        # Wrapped to the plot's width where the plot is narrower than the hint (a small canvas
        # beside a lesson, zoomed): cut off at the plot's edges, it read as nonsense.
        room = plot.vb.width() - 8
        width = -1 if room <= 0 or room >= natural else room
        if width != item.textItem.textWidth():
            item.setTextWidth(width)
        item.setPos((x0 + x1) / 2, (y0 + y1) / 2)

    plot.vb.sigRangeChanged.connect(lambda *_: centre())
    plot.vb.sigResized.connect(lambda *_: centre())
    item.visibleChanged.connect(centre)  # shown again (a new run) where the plot now is
    centre()
    return item
