"""The loss landscape: the training loss over a plane through the weights, with the run's path.

The grid comes from the model thread (``core.surface.Surface``); the path grows with every
snapshot. The view asks for a new grid (``wanted``) when the run leaves it or moves off its
plane, no more often than its cost allows. A one-weight model (the parabola) has a curve, not a
plane: the view draws its loss curve with the path on it.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from ...core import surface as sf
from ...core.snapshot import Snapshot
from .. import theme
from .base import PlotView, empty_text, legend_title, pins_entry

BANDS = 14  # colour steps: a filled contour map, each band one step of the (log) loss
REQUEST_GAP = 1.0  # seconds between two grids asked for while the run moves, at the least
# ... and at least this many times what the last grid took: grids take at most a twentieth of the
# model thread's time (a digits grid is a fifth of a second of it), training keeps the rest.
COST_FACTOR = 20.0
PLANE_NAMES = {
    sf.WEIGHTS: "Two weights",
    sf.RANDOM: "Random slice",
    sf.PCA: "Path's slice (PCA)",
}
PLANE_TIP = ("Two weights: the loss as two chosen weights change, every other weight held where it is now.\n"
             "Random slice: a slice through all the weights along two random directions, each scaled "
             "to the weights it moves (Li et al., 2018).\n"
             "Path's slice (PCA): the slice along which the path so far has moved most (its two principal "
             "directions).")
CLICK_TIP = ("Point at the map to read the loss there; click to start a new run from those weights. "
             "From the keyboard: Tab to the map, move with the arrow keys, Enter starts the run")
CURSOR_STEPS = 20  # arrow presses across the map
CURSOR_KEYS = frozenset({Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Return,
                         Qt.Key.Key_Enter})
MOVES = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, 1), Qt.Key.Key_Down: (0, -1)}


class LandscapeView(PlotView):
    name = "landscape"
    title = "Loss landscape"
    heavy = True

    # How the other runs' paths are drawn: the window's pinned runs (a figure of --vs runs draws
    # them as its comparison does).
    run_name = "this run"
    other_pen = staticmethod(lambda k: theme.pinned_pen(k, width=2.5))
    others_entry = pins_entry(1)[0]

    wanted = Signal(object, int)  # (a core.surface.Request, the run's id): compute the grid (again)
    # (run id, every weight at the point clicked, the point in words): start a new run from there
    point_chosen = Signal(int, object, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plane_box = QComboBox()
        for kind, text in PLANE_NAMES.items():
            self.plane_box.addItem(text, kind)
        self.plane_box.setToolTip(PLANE_TIP)
        self.plane_box.setAccessibleName("Landscape plane")
        self.first_box, self.second_box = QComboBox(), QComboBox()
        for box, which in ((self.first_box, "across"), (self.second_box, "up")):
            box.setToolTip(f"The weight {which} the landscape")
            box.setAccessibleName(f"Landscape weight {which}")
            box.setMaxVisibleItems(20)
        # The weight boxes may be cut short ("layers.0.wei...") rather than widen the column: the
        # views share a 1024-pixel screen, and the full name is in the list and on the axis.
        for box in (self.first_box, self.second_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(9)  # "weight[0,1]" nearly whole
        self.header.insertWidget(1, self.plane_box)
        # One line, cut at its end in a narrow column: the boxes beside it say what it shows.
        self.title_label.setWordWrap(False)
        # A second row: the two weights, then one line saying what the map is (whole in its
        # tooltip), or under the mouse, the loss there. Each line the plot keeps counts at 720 pixels.
        choices = QHBoxLayout()
        choices.addWidget(self.first_box)
        choices.addWidget(self.second_box)
        self.note = QLabel("")
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        choices.addWidget(self.note, 1)
        self.layout().insertLayout(1, choices)

        self.plot = None  # built with the first run (_build_plot): not in the window's first paint
        self._other_paths: list = []  # pinned runs' (or a race's racers') paths, as PlotDataItems
        self.canvas.scene().sigMouseMoved.connect(self._hovered)
        self.canvas.scene().sigMouseClicked.connect(self._clicked)
        self.canvas.setToolTip(CLICK_TIP)
        # The keyboard's way to point and click: Tab to the map, the arrows move a cursor over it,
        # Enter starts a run from there. The window's own arrow-key
        # shortcuts (Step, the timeline) give way while the map has the focus (desktop.py).
        # Tab only: a click on the map (to start a run) leaves the arrows with Step and the timeline.
        self.canvas.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.canvas.takes_keys = lambda: CURSOR_KEYS if self.plot is not None and self.surface is not None else ()
        self._cursor: tuple[float, float] | None = None


        self.surface: sf.Surface | None = None
        self.request = sf.Request()
        self.choosing = True  # the plane and weight boxes are shown (not in a figure or an animation)
        # An animation's map (show_replay): one grid for all its frames, the path growing on it.
        self._replay = False
        self._grid_steps = np.empty(0, dtype=np.int64)  # the grid's own path, thinned
        self._grid_path = np.empty((0, 2))
        self._frame_steps: list[int] = []  # the frames' steps and weights on the plane so far
        self._frame_points: list[np.ndarray] = []
        self._path_steps = np.empty(0, dtype=np.int64)
        self._path = np.empty((0, 2))
        self._now: np.ndarray | None = None  # the weights shown now (P,)
        self._now_ab: np.ndarray | None = None
        self._asked = 0.0  # when the last grid was asked for
        self._waiting = False  # a grid has been asked for and has not come
        self._one_weight = None  # (xs, loss(xs)): a one-weight model's loss curve (its path is _path)
        self._step = 0  # the step shown
        self._refused_at: int | None = None  # the step at which the model thread had no landscape to give
        self._past = False  # the step shown is an earlier one (the timeline)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._ask_if_stale)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.timeout.connect(lambda: self.isVisible() and self.ask(force=True))
        self._asked_for: sf.Request | None = None  # the last request sent: only its answer is shown
        self.plane_box.activated.connect(self._plane_chosen)
        self.first_box.activated.connect(self._weights_chosen)
        self.second_box.activated.connect(self._weights_chosen)
        self.canvas.installEventFilter(self)  # last: its handler reads what is set above

    # ----- a run --------------------------------------------------------------------------------

    def _build_plot(self) -> None:
        """The map's plot and items: a colour bar and its colour map cost a window's start-up a
        twentieth of a second, so they are made once a run is there to show."""
        self.plot = self.add_plot(0, 0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.image.setZValue(-10)
        self.colour_bar = pg.ColorBarItem(colorMap=_banded_map(), interactive=False, width=12)
        self.colour_bar.setImageItem(self.image, insert_in=self.plot)
        self.path_curve = self.plot.plot(pen=theme.pen(theme.PATH, 2.5), antialias=True)
        self.path_edge = self.plot.plot(pen=theme.pen(theme.PATH_EDGE, 4.5), antialias=True)
        self.path_edge.setZValue(self.path_curve.zValue() - 1)
        self.start_dot = pg.ScatterPlotItem(size=9, symbol="s", pen=pg.mkPen(theme.PATH_EDGE),
                                            brush=pg.mkBrush(theme.PATH))
        self.now_dot = pg.ScatterPlotItem(size=14, symbol="o", pen=pg.mkPen(theme.PATH_EDGE, width=1.5),
                                          brush=pg.mkBrush(theme.COMPARED[1]))
        for item in (self.start_dot, self.now_dot):
            self.plot.addItem(item)
        self.curve = self.plot.plot(pen=theme.pen(theme.REFERENCE, 2))  # a one-weight model's loss
        self.empty = empty_text(self.plot, "No landscape yet.")
        self.readout = pg.TextItem("", anchor=(0, 1), color=theme.READOUT_TEXT, fill=pg.mkBrush(*theme.READOUT_FILL),
                                   border=pg.mkPen(theme.READOUT_TEXT))
        self.readout.setZValue(20)
        self.readout.hide()
        self.plot.addItem(self.readout, ignoreBounds=True)
        self.cursor_mark = pg.ScatterPlotItem(size=18, symbol="+", pen=pg.mkPen(theme.PATH, width=3), brush=None)
        self.cursor_mark.setZValue(19)
        self.cursor_mark.hide()
        self.plot.addItem(self.cursor_mark, ignoreBounds=True)

    def begin_run(self, info):
        same_weights = self.info is not None and self.info.labels == info.labels
        super().begin_run(info)
        if self.plot is None:
            self._build_plot()
        self._clear_map()
        if not same_weights:  # another model: its own default pair (and another plane kind stays)
            self.request = sf.Request(kind=self.request.kind, seed=self.request.seed)
        self.surface = None
        self._path_steps, self._path = np.empty(0, dtype=np.int64), np.empty((0, 2))
        self._now = self._now_ab = None
        self._one_weight = None
        self._waiting = False
        self._refused_at = None
        self._replay = False
        self._frame_steps, self._frame_points = [], []
        one = info.n_weights < 2
        for box in (self.first_box, self.second_box):
            box.blockSignals(True)
            box.clear()
            if not one:
                box.addItems(list(info.labels))
            box.blockSignals(False)
        if self.request.i is not None and not one:
            self._select_weights(self.request.i, self.request.j)
        self.plane_box.setVisible(not one and self.choosing)
        # On the map the path is a light line with a dark edge, to read on every band; on the plain
        # curve of one weight it is the run's own colour.
        self.path_curve.setPen(theme.pen(theme.TRAIN if one else theme.PATH, 2.5))
        self.path_edge.setPen(theme.pen(theme.PATH_EDGE, 4.5))  # in the theme in force (high contrast: thicker)
        self.curve.setPen(theme.pen(theme.REFERENCE, 2))
        self.path_edge.setVisible(not one)
        self._show_weight_boxes()
        self.colour_bar.setVisible(not one)
        self.image.setVisible(not one)
        self.curve.setVisible(one)
        self.plot.setLabel("bottom", info.labels[0] if one else "")
        self.plot.setLabel("left", "loss" if one else "")
        self.note.setText("The loss as the weight changes, with the run's path on it." if one
                          else "Computing the landscape...")
        self.empty.setVisible(True)

    def _clear_map(self) -> None:
        """Nothing of the run before: its grid, paths, legend, title and readout."""
        self.image.clear()
        for item in (self.path_curve, self.path_edge, self.curve):
            item.setData([], [])
        self.start_dot.clear()
        self.now_dot.clear()
        for item in self._other_paths:
            self.plot.removeItem(item)
        self._other_paths = []
        legend_title(self.plot, [])
        self.readout.hide()
        self.cursor_mark.hide()
        self._cursor = None
        self.title_label.setText(f"<b>{self.title}</b>")

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        # Tab goes through the plane, the weights, then the map. Set here, in the window: the
        # canvas was made first, and the order set before the view joined the window was lost.
        QWidget.setTabOrder(self.plane_box, self.first_box)
        QWidget.setTabOrder(self.first_box, self.second_box)
        QWidget.setTabOrder(self.second_box, self.canvas)
        if self.surface is None or (self._now is not None and self._stale_reason()):
            self.ask()

    def _select_weights(self, i: int, j: int) -> None:
        for box, k in ((self.first_box, i), (self.second_box, j)):
            box.blockSignals(True)
            box.setCurrentIndex(k)
            box.blockSignals(False)

    def plane_words(self) -> str:
        """The plane asked for, in a few words: "two weights, weight[0,0] across, weight[0,1] up"
        (an animation of the landscape shows it)."""
        r = self.request
        if r.kind != sf.WEIGHTS:
            name = PLANE_NAMES[r.kind]
            return name[0].lower() + name[1:]
        if r.i is None or self.info is None:
            return "the two weights whose gradients are largest at the last step"
        return f"two weights, {self.info.labels[r.i]} across, {self.info.labels[r.j]} up"

    def hide_choices(self) -> None:
        """A figure's or an animation's map: nothing to choose (its axes name the plane), and no
        line about it (the line is not drawn into the image: it would leave a gap)."""
        self.choosing = False
        for widget in (self.plane_box, self.first_box, self.second_box, self.note):
            widget.hide()

    def _show_weight_boxes(self) -> None:
        two = (self.choosing and self.request.kind == sf.WEIGHTS and self.info is not None
               and self.info.n_weights >= 2)
        self.first_box.setVisible(two)
        self.second_box.setVisible(two)

    def ask(self, force: bool = False) -> None:
        """Ask for a grid around the weights shown now (``force``: even if one was asked for just now)."""
        if self.info is None or self.info.n_weights < 2 or self._replay or (self._waiting and not force):
            return
        self._waiting = True
        self._asked = time.perf_counter()
        self._asked_for = self.request
        self.wanted.emit(self.request, self.info.run_id)
        self.note.setText("Computing the landscape...")

    def ask_soon(self) -> None:
        """Ask for a grid once the events queued now are handled: five pins coming one after
        another (a race) ask once."""
        if not self._soon.isActive():
            self._soon.start(0)

    def _plane_chosen(self, index: int) -> None:
        kind = self.plane_box.itemData(index)
        self.request = sf.Request(kind=kind, i=self.request.i, j=self.request.j, seed=self.request.seed)
        self._show_weight_boxes()
        self.ask(force=True)

    def _weights_chosen(self, _index: int) -> None:
        i, j = self.first_box.currentIndex(), self.second_box.currentIndex()
        if i == j:
            self.note.setText("Choose two different weights.")
            return
        self.request = sf.Request(kind=sf.WEIGHTS, i=i, j=j, seed=self.request.seed)
        self.ask(force=True)

    # ----- what comes up from the model thread -------------------------------------------------

    def show_surface(self, surface) -> None:
        """A grid from the model thread (core.surface.Surface), or why there is none (Unavailable)."""
        if self.info is None or surface.run_id != self.info.run_id or surface.request != self._asked_for:
            return  # an earlier run's, or an answer to a request since replaced (another plane chosen)
        self._waiting = False
        if isinstance(surface, sf.Unavailable):
            self.surface = None
            self._cursor = None
            self.cursor_mark.hide()
            self.readout.hide()
            self._refused_at = self._step  # asked again once the run has moved on
            self.note.setText(f"No landscape: {surface.reason}.")
            return
        previous, self.surface = (self.surface.plane if self.surface is not None else None), surface
        if surface.plane.kind == sf.WEIGHTS and surface.plane.indices is not None:
            i, j = surface.plane.indices
            self.request = sf.Request(kind=sf.WEIGHTS, i=int(i), j=int(j), seed=self.request.seed)
            self._select_weights(int(i), int(j))
        self._path_steps, self._path = sf.extended_path(np.empty(0, dtype=np.int64), np.empty((0, 2)),
                                                        surface.path_steps, surface.path)
        if self._replay:  # the frames draw it, each up to its step
            self._grid_steps, self._grid_path = self._path_steps, self._path
            self._path_steps, self._path = np.empty(0, dtype=np.int64), np.empty((0, 2))
        if self._now is not None:
            self._now_ab = sf.landscape.coordinates(surface.plane, self._now[None, :])[0]
        self._draw_grid()
        if self._cursor is not None and not _same_plane(surface.plane, previous):
            self._cursor = None  # its numbers mean other weights on another plane
        if self.canvas.hasFocus():  # the keyboard's cursor stays where it was, on the new map
            (a0, a1), (b0, b1) = surface.box
            a, b = self._cursor or self._start_of_cursor()
            self._place_cursor(min(max(a, a0), a1), min(max(b, b0), b1))
        else:
            self._cursor = None
            self.cursor_mark.hide()
        self.undrawn = True
        self.draw_now()

    def show_computed(self, surface: sf.Surface) -> None:
        """A grid computed for this view without asking (a figure's)."""
        self._asked_for = surface.request
        self.show_surface(surface)

    def show_replay(self, surface: sf.Surface) -> None:
        """An animation's grid (core.animation.FrameSource.landscape), for every frame: the map,
        its extent and its colours stay, each snapshot draws the path up to its own step with
        its weights marked, and no other grid is asked for."""
        self._replay = True
        self._frame_steps, self._frame_points = [], []
        self.show_computed(surface)

    def ingest(self, snap: Snapshot) -> None:
        if self.info.n_weights < 2:
            self._take_one_weight(snap)
            return
        self._now, self._step, self._past = snap.values, snap.step, snap.past
        if self.surface is None:
            return
        plane = self.surface.plane
        self._now_ab = sf.landscape.coordinates(plane, snap.values[None, :])[0]
        if self._replay:
            self._frame_steps.append(snap.step)
            self._frame_points.append(self._now_ab)
            self._path_steps, self._path = self._replayed_path(snap.step)
            return
        new = self._new_path_points(snap, plane)
        if new is not None and len(new[0]):
            self._path_steps, self._path = sf.extended_path(self._path_steps, self._path, *new)

    def _replayed_path(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """An animation's path at a frame of ``step``: the grid's path up to it and the weights
        of every frame so far (a big model's grid has only its checkpoints'), in step order."""
        upto = self._grid_steps <= step
        steps = np.concatenate([self._grid_steps[upto], np.asarray(self._frame_steps, dtype=np.int64)])
        path = np.vstack([self._grid_path[upto], np.asarray(self._frame_points).reshape(-1, 2)])
        order = np.argsort(steps, kind="stable")
        steps, path = steps[order], path[order]
        first = np.concatenate([[True], steps[1:] != steps[:-1]])  # a step's point once
        return steps[first], path[first]

    def _new_path_points(self, snap: Snapshot, plane):
        """The path's points this snapshot brings: every traced step of the plane's weights when
        the trace holds them, else the weights now."""
        if snap.past:
            return None
        if plane.kind == sf.WEIGHTS and len(snap.trace_steps):
            where = {int(k): n for n, k in enumerate(snap.trace_indices)}
            i, j = plane.indices
            if i in where and j in where:
                return snap.trace_steps, snap.trace_values[:, [where[i], where[j]]]
        if len(self._path_steps) and self._path_steps[-1] >= snap.step:
            return None
        return np.array([snap.step]), sf.landscape.coordinates(plane, snap.values[None, :])

    def _take_one_weight(self, snap: Snapshot) -> None:
        if snap.landscape is None:
            return
        xs, fs = snap.landscape
        if snap.trace_restart or self._one_weight is None:
            self._path_steps, self._path = np.empty(0, dtype=np.int64), np.empty((0, 2))
        if not snap.past and snap.trace_losses is not None and len(snap.trace_values):
            self._path_steps, self._path = sf.extended_path(
                self._path_steps, self._path, snap.trace_steps, np.column_stack([snap.trace_values[:, 0],
                                                                                 snap.trace_losses]))
        self._one_weight = (xs, fs)
        self._now_ab = np.array([snap.values[0], snap.current_loss])

    # ----- drawing -------------------------------------------------------------------------------

    def draw(self) -> None:
        if self.info is None:
            return
        if self.info.n_weights < 2:
            self._draw_one_weight()
            return
        if self.surface is None:
            if not self._waiting and self._step != self._refused_at and self.on_screen():
                self.ask()
            return
        self.empty.setVisible(False)
        _set_path(self.path_curve, self.path_edge, self._path)
        if len(self._path):
            self.start_dot.setData([self._path[0, 0]], [self._path[0, 1]])
        if self._now_ab is not None and np.all(np.isfinite(self._now_ab)):
            self.now_dot.setData([self._now_ab[0]], [self._now_ab[1]])
        if self._replay:
            self.title_label.setText(f"<b>{self.title}</b>: grid of step {self.surface.step:,}, path to step "
                                     f"{self._step:,}")
            return
        self._say()
        self._ask_if_stale()

    def _ask_if_stale(self) -> None:
        """A new grid when this one no longer shows the run, as soon as the grids' cost allows
        (a timer comes back for it: the run may have stopped moving by then)."""
        if self._now is None or self._waiting or self.surface is None or not self.on_screen():
            return
        if self._stale_reason() is None:
            return
        wait = max(REQUEST_GAP, COST_FACTOR * self.surface.seconds) - (time.perf_counter() - self._asked)
        if wait <= 0:
            self.ask()
        elif not self._retry.isActive():
            self._retry.start(int(wait * 1000) + 1)

    def _stale_reason(self) -> str | None:
        """Why the map no longer shows the run: it left the grid or its plane, or (looking back on
        the timeline) another step is shown."""
        if self._past and self.surface.step != self._step:
            return f"the map is of step {self.surface.step:,}"
        return sf.stale_reason(self.surface, self._now)

    def _draw_grid(self) -> None:
        s = self.surface
        shown, log = _shown_values(s.loss)
        (a0, a1), (b0, b1) = s.box
        self.image.setImage(shown, autoLevels=False)
        lo, hi = _levels(shown)
        self.colour_bar.setLevels((lo, hi))
        self.image.setRect(QRectF(a0, b0, a1 - a0, b1 - b0))
        self.plot.setXRange(a0, a1, padding=0)
        self.plot.setYRange(b0, b1, padding=0)
        for item in self._other_paths:
            self.plot.removeItem(item)
        # Each pinned run in its colour in every view: its index among the pins.
        self._other_paths = [self.plot.plot(path[:, 0], path[:, 1], pen=self.other_pen(k), connect="finite")
                             for k, _, _, path in s.others]
        entries = [(theme.REFERENCE, "━", self.run_name), self.others_entry] if s.others else []
        legend_title(self.plot, entries)
        self.title_label.setText(f"<b>{self.title}</b>: grid of step {s.step:,}")
        titles = s.plane.axis_titles
        self.plot.setLabel("bottom", titles[0])
        self.plot.setLabel("left", titles[1])
        # Tick labels read as losses, on a log scale too.
        self.colour_bar.axis.setTicks(_log_ticks(lo, hi) if log else None)
        self.colour_bar.axis.setToolTip("The training loss" + (" (log scale)" if log else ""))

    def _draw_one_weight(self) -> None:
        if self._one_weight is None:
            return
        self.empty.setVisible(False)
        xs, fs = self._one_weight
        self.curve.setData(xs, fs)
        _set_path(self.path_curve, self.path_edge, self._path)
        px, pl = self._path[:, 0], self._path[:, 1]
        if len(px):
            self.start_dot.setData([px[0]], [pl[0]])
            self.plot.setXRange(*_padded(np.append(px, 0.0)), padding=0)
            self.plot.setYRange(0.0, _padded(pl)[1], padding=0)
        if self._now_ab is not None and np.all(np.isfinite(self._now_ab)):
            self.now_dot.setData([self._now_ab[0]], [self._now_ab[1]])

    def _say(self) -> None:
        s = self.surface
        where = {sf.WEIGHTS: "every other weight held as it was",
                 sf.RANDOM: "a slice through all the weights along two random directions (the path is "
                            "projected onto it)",
                 sf.PCA: "a slice through all the weights along the path's two main directions (the path is "
                         "projected onto it)"}[s.plane.kind]
        text = f"Training loss at step {s.step:,}, {where}; {len(s.a)}x{len(s.b)} grid."
        if not np.isfinite(s.loss).any():
            text += " The loss overflows everywhere on this map."
        reason = self._stale_reason() if self._now is not None else None
        if reason:
            text += f" <b>Out of date</b>: {reason}" + ("; computing again..." if self._waiting else ".")
        self.note.setToolTip(text)
        self.note.setText(text)

    # ----- the mouse -----------------------------------------------------------------------------

    def _plane_point(self, scene_pos):
        """The point of the map under ``scene_pos``: inside the plotted area, not on its axes or
        colour bar; None elsewhere."""
        if self.surface is None or self.plot is None or not self.plot.vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.plot.vb.mapSceneToView(scene_pos)
        return p.x(), p.y()

    def _hovered(self, scene_pos) -> None:
        """The loss under the mouse, written beside it on the map (a line of text above it would be
        cut in a narrow column)."""
        self._read_at(self._plane_point(scene_pos))

    def _read_at(self, point) -> None:
        """The loss at ``point`` (a, b) written beside it; hidden off the map (None)."""
        if self.plot is None:  # the mouse over the tab before the first run
            return
        loss = None if point is None else self.surface.loss_at(*point)
        if loss is None:
            self.readout.hide()
            return
        titles = self.surface.plane.axis_titles
        self.readout.setText(f"loss {loss:.4g}\n{_short(titles[0])} = {point[0]:.4g}\n{_short(titles[1])} = {point[1]:.4g}")
        (a0, a1), (b0, b1) = self.surface.box
        # On the side of the point away from the map's nearer edges, so it stays on the map.
        self.readout.setAnchor((0.0 if point[0] < (a0 + a1) / 2 else 1.0, 1.0 if point[1] < (b0 + b1) / 2 else 0.0))
        self.readout.setPos(*point)
        self.readout.show()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        """The map's keyboard cursor (see __init__): the canvas's key presses and focus."""
        kind = event.type()
        if obj is self.canvas and self.plot is not None:
            if kind == QEvent.Type.FocusOut:
                self.cursor_mark.hide()
                self.readout.hide()
            elif self.surface is None:
                pass
            elif kind == QEvent.Type.KeyPress and event.key() in CURSOR_KEYS:
                self._cursor_key(event.key())
                return True
            elif kind == QEvent.Type.FocusIn:
                self._place_cursor(*(self._cursor or self._start_of_cursor()))
        return super().eventFilter(obj, event)

    def _start_of_cursor(self) -> tuple[float, float]:
        """Where the cursor starts: at the run's weights, or the middle of the map."""
        (a0, a1), (b0, b1) = self.surface.box
        if self._now_ab is not None and np.all(np.isfinite(self._now_ab)) and self.surface.loss_at(*self._now_ab) is not None:
            return float(self._now_ab[0]), float(self._now_ab[1])
        return (a0 + a1) / 2, (b0 + b1) / 2

    def _cursor_key(self, key) -> None:
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self._cursor is not None:
                self._choose(self._cursor)
            return
        (a0, a1), (b0, b1) = self.surface.box
        da, db = MOVES[key]
        a, b = self._cursor or self._start_of_cursor()
        a = min(max(a + da * (a1 - a0) / CURSOR_STEPS, a0), a1)
        b = min(max(b + db * (b1 - b0) / CURSOR_STEPS, b0), b1)
        self._place_cursor(a, b)

    def _place_cursor(self, a: float, b: float) -> None:
        self._cursor = (a, b)
        self.cursor_mark.setData([a], [b])
        self.cursor_mark.show()
        self._read_at((a, b))

    def leaveEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().leaveEvent(event)
        if self.plot is not None:
            self.readout.hide()

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        point = self._plane_point(event.scenePos())
        if point is None or self.surface.loss_at(*point) is None:
            return
        event.accept()
        self._choose(point)

    def _choose(self, point) -> None:
        """A new run from ``point`` of the map shown."""
        # The weights of the map chosen, whatever grid the model thread has computed since.
        titles = self.surface.plane.axis_titles
        where = ", ".join(f"{t} = {v:.4g}" for t, v in zip(titles, point))
        self.point_chosen.emit(self.surface.run_id, self.surface.plane.weights_at(*point), where)


def _same_plane(plane, other) -> bool:
    """Whether two planes read the same weights at the same (a, b): the same two weights."""
    return other is not None and plane.kind == other.kind == sf.WEIGHTS and plane.indices == other.indices


def _short(text: str, most: int = 26) -> str:
    """A name cut to ``most`` characters for a legend or readout on a small map."""
    return text if len(text) <= most else text[:most - 1] + "…"


def _banded_map() -> pg.ColorMap:
    """Viridis in BANDS steps: the bands read as contours, and viridis stays ordered in grey and
    for every colour vision."""
    base = pg.colormap.get("viridis")
    colours = base.map(np.linspace(0, 1, BANDS), mode="byte")
    positions = np.linspace(0, 1, BANDS + 1)
    stops = np.repeat(positions, 2)[1:-1]
    return pg.ColorMap(stops, np.repeat(colours, 2, axis=0))


def _shown_values(loss: np.ndarray) -> tuple[np.ndarray, bool]:
    """What the colours show: log10 of the loss when it is positive wherever it is finite and spans
    a decade or more, else the loss. Points with no finite loss (overflow) take the top colour."""
    finite = np.isfinite(loss)
    if not finite.any():
        return np.zeros_like(loss), False
    low = float(np.min(loss[finite]))
    log = low > 0 and float(np.percentile(loss[finite], 98)) >= 10 * low
    with np.errstate(all="ignore"):
        shown = np.log10(loss) if log else loss.astype(np.float64)
    top = float(np.max(shown[finite]))
    return np.where(finite, shown, top), log


def _levels(shown: np.ndarray) -> tuple[float, float]:
    lo = float(np.min(shown))
    hi = float(np.percentile(shown, 98))  # a few huge values at a corner would flatten the rest
    if not hi > lo:
        hi = lo + 1.0
    return lo, hi


def _log_ticks(lo: float, hi: float):
    """Ticks for a colour bar of log10(loss) from ``lo`` to ``hi``: the powers of ten in it, and
    2 and 5 times them when it spans less than three decades."""
    marks = (1,) if hi - lo >= 3 else (1, 2, 5)
    ticks = [(np.log10(m) + k, f"{m * 10.0 ** k:g}") for k in range(int(np.floor(lo)), int(np.ceil(hi)) + 1)
             for m in marks if lo <= np.log10(m) + k <= hi]
    return [ticks, []]


def _padded(values: np.ndarray) -> tuple[float, float]:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return -1.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    pad = 0.08 * (hi - lo) or max(abs(hi), 1.0) * 0.1
    return lo - pad, hi + pad


def _set_path(curve, edge, path: np.ndarray) -> None:
    """The path as a light line on a dark edge: it reads on every band of the map."""
    keep = np.all(np.isfinite(path), axis=1) if len(path) else np.empty(0, dtype=bool)
    xs, ys = (path[keep, 0], path[keep, 1]) if len(path) else (np.empty(0), np.empty(0))
    curve.setData(xs, ys)
    edge.setData(xs, ys)

