"""The model thread: a ``TrainingWorker`` that owns the run and never touches a widget.

Commands arrive as one queued call, ``perform(name, args)``, from ``TrainingController``
(gdsim.app.controller) on the GUI thread, and take effect between steps, in the order they were
sent. Each command is a method marked ``@command(cause)``: bad input in it becomes a ``failed``
message naming its cause and changes nothing. Training runs in short slices from the worker's own
event loop, so a Pause or a new learning rate is seen within one slice. Results leave only as
signals carrying copies (``RunInfo`` once per run, ``Snapshot`` at most ``MAX_FPS`` times a
second, and one for every pause, step or stop so the last state is always shown). What must cross
the threads without waiting for the event loop (Pause, Cancel, the GUI's turn) is ``CrossThread``.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import threading
import weakref
import time
import traceback
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from ..core import surface
from ..core.choices import make_choice, parse_choice
from ..core.engine.initializers import Article
from ..core.engine.optimizers import OPTIMIZERS
from ..core.engine.trainer import Trainer
from ..core.errors import GdsimError, sentence
from ..core.files.session import load_session, save_session
from ..core.files.session_schema import MAX_BRANCHES, MAX_PINS
from ..core.files.weights import read_weights, save_weights
from ..core.scenarios import SCENARIOS, Scenario, get_scenario
from ..core.settings import LIVE, Settings
from ..core.snapshot import SMALL_MODEL_WEIGHTS, SnapshotTaker, resolve_neuron, run_info, trace_indices
from ..core.timeline import Timeline
from ..core.record.curves import run_curves, thinned
from ..core.variants import differences
from .pacing import EVALUATION_SHARE, GUI_SHARE, SNAPSHOT_SHARE, ChunkSizer
from .run_state import DIVERGED, FILE, PAUSED, RUN_CAUSE, RUNNING, SETTINGS, STOPPED, Document

MAX_FPS = 45
SLICE_SECONDS = 0.010  # training between two turns of the GUI, at full speed
YIELD_SECONDS = 0.02  # longest stretch of training without a turn for the GUI
GUI_WAIT_SECONDS = 0.25  # the longest a slice waits for the GUI to catch up (it may be gone)
MAX_UNDO = 5  # replaced runs kept for Undo (each holds a whole history)
BRANCHABLE = frozenset({"loss"})  # not live, yet a branch from an earlier step can take it (the state fits)
DEFAULT_COMPARE_STEPS = 100  # how far "compare zeroing" trains a run that has no step limit
COMPARE_CHUNK = 256  # its steps between two checkpoints' chances


@dataclass(eq=False)  # a run is itself, not its fields: its family holds it
class _Run:
    """One run and what the window knows of it as a document."""

    trainer: Trainer
    tracked: int | None = None  # the weight followed; None until the run's first RunInfo decides
    path: str | None = None
    revision: int = 0  # counts changes: steps taken, settings, reset
    saved_revision: int | None = None  # the revision that is in ``path``
    name: str = "main"  # among its branches: "main", or what a branch changed and where ("lr 0.9 from step 40")
    # The run and the branches taken from it (this one among them), shared by all of them.
    family: list = dataclasses.field(default_factory=list)
    timeline: Timeline | None = None  # made when the run is first shown
    scratch: Trainer | None = None  # a second trainer of the run, for rebuilding past steps

    def __post_init__(self):
        if not self.family:
            self.family.append(self)

    @property
    def settings(self) -> Settings:
        return self.trainer.settings

    def describe(self) -> str:
        return f"{self.settings.scenario} at step {self.trainer.step_count:,}"


class Tally:
    """A count one thread adds to and another takes from, never below zero."""

    def __init__(self):
        self._lock = threading.Lock()
        self._n = 0

    def add(self) -> None:
        with self._lock:
            self._n += 1

    def take(self) -> None:
        with self._lock:
            self._n = max(0, self._n - 1)

    def count(self) -> int:
        with self._lock:
            return self._n


class CrossThread:
    """What the GUI thread tells the worker, or the worker waits for, without the event loop."""

    def __init__(self):
        self.pause = threading.Event()  # Pause was pressed: the loop stops between two chunks
        self.cancel = threading.Event()  # Cancel on long work: a CSV being read, a comparison being trained
        self.gui_idle = threading.Event()  # the GUI has handled everything queued so far
        self.gui_idle.set()
        # Snapshots sent but not yet drawn. While one is in flight the periodic ones wait: each
        # snapshot carries everything since the previous one, so waiting loses nothing and a
        # slow GUI is never buried under a queue of frames.
        self.frames = Tally()
        self.commands = Tally()  # sent by the window, not yet begun: long work gives way to them
        self._lock = threading.Lock()
        self._wanted_step: int | None = None  # the past step asked for last (scrubbing: the latest wins)

    def want_step(self, step: int) -> None:
        with self._lock:
            self._wanted_step = int(step)

    def take_wanted_step(self) -> int | None:
        """The step asked for last, once: the commands sent while the slider moved find None."""
        with self._lock:
            step, self._wanted_step = self._wanted_step, None
            return step


def command(cause: str = RUN_CAUSE):
    """A command the GUI may send (``perform``): bad input in it is a ``failed`` message naming
    ``cause`` (the controls show what is in force again), anything else an internal error."""
    def wrap(method):
        @functools.wraps(method)
        def guarded(self, *args):
            try:
                method(self, *args)
            except GdsimError as exc:
                self.failed.emit(sentence(str(exc)) + ".", cause)
                if self.settings is not None:
                    self.settings_changed.emit(self._shown_settings())  # put the controls back as they were
            except Exception:
                self._crash()
        guarded.is_command = True
        return guarded
    return wrap


class TrainingWorker(QObject):
    run_started = Signal(object)  # RunInfo: a new run (new trainer, reset, new weights, undo)
    snapshot = Signal(object)  # Snapshot
    state_changed = Signal(str, str)  # state, message for the person
    settings_changed = Signal(object)  # Settings actually in force (after defaults, corrections)
    failed = Signal(str, str)  # (message saying what to do, cause: "settings", "file" or "run")
    finished_task = Signal(str, str)  # (what was done, its file) after an export or a save
    session_opened = Signal(str, object)  # (file, the app state saved with it)
    scenario_added = Signal(str, str, str)  # a scenario of a person's own data: (name, title, summary)
    table_read = Signal(str, object)  # (CSV file, from_table.preview: columns, summaries, first rows)
    progress = Signal(str, float)  # (what, fraction done); a negative fraction means it is over
    document_changed = Signal(object)  # Document, whenever any of it changes
    branches_changed = Signal(object)  # (the branches' names, the index of the one shown)
    pins_changed = Signal(object)  # the runs pinned to compare: a list of core.record.curves.RunCurves
    landscape_ready = Signal(object)  # core.surface.Surface: the loss over a plane around the weights shown
    lr_found = Signal(object)  # core.lr_find.RangeTest, from the weights shown
    stability_found = Signal(object)  # (core.stability.StabilityMap, its divergence bound per momentum)
    challenges_checked = Signal(int, object)  # (run id, a tuple of bools): the lesson page's challenges met
    animation_ready = Signal(object)  # core.animation.PreparedFrames: an animation's frames, for the window's export
    idle_check = Signal()  # after every slice: the GUI answers through flags.gui_idle once it has caught up
    # A landscape given up for a command sent meanwhile, asked for again behind it in this thread's
    # queue: a queued signal keeps the queue's order, where a zero timer could fire before it.
    _landscape_again = Signal(object, int, int)
    SIGNALS = ("run_started", "snapshot", "state_changed", "settings_changed", "failed", "finished_task",
               "session_opened", "scenario_added", "table_read", "progress", "document_changed",
               "branches_changed", "pins_changed", "landscape_ready", "lr_found", "stability_found",
               "challenges_checked", "animation_ready")

    def __init__(self, settings: Settings):
        super().__init__()
        self._initial_settings = settings
        self.flags = CrossThread()
        self._run: _Run | None = None
        # Runs a person replaced (Reset, New weights, another scenario, Open...) that had steps:
        # Undo brings them back, newest first. Bounded: each holds a whole history.
        self._undo: list[tuple[_Run, str]] = []
        self._redo: list[tuple[_Run, str]] = []
        self._document: Document | None = None
        self.state = PAUSED
        self.speed: float | None = None  # steps per second; None is as fast as possible
        self._run_id = 0
        self._taker: SnapshotTaker | None = None
        self._last_emit = 0.0
        self._draw_seconds = 0.0  # how long the GUI takes to catch up with a frame (running average)
        self._take_seconds = 0.0  # how long this thread takes to make a snapshot (running average)
        self._last_take = 0.0  # ... the last one
        self._last_evaluation = 0.0  # when a snapshot last made the pass over all the data
        self._last_yield = 0.0
        self._budget: int | None = None  # steps left for Step N; None when running freely
        self._pace_start = 0.0
        self._pace_steps = 0
        self._rate_window: list[tuple[float, int]] = []
        self._chunks = ChunkSizer()
        self._custom: dict[str, Scenario] = {}  # scenarios of a person's own data, by name
        self._table = None  # the CSV last read, waiting for its columns to be chosen
        self._landscapes_asked = 0  # landscapes the window has asked for (the latest is the one wanted)
        self._closing = False
        self._neuron: tuple[int, int, int] | None = None  # the neuron graph a person chose (layer, unit, example)
        self.viewing: int | None = None  # the past step shown (the run's ``scratch`` is at it); None: the newest
        # Settings that are not live (the loss) chosen while looking back: the branch from there takes them.
        self._branch_changes: dict = {}  # Settings field -> value, on top of the step shown's settings
        self._pins: list = []  # runs pinned to compare: (a weak reference to the _Run, its RunCurves)
        self._lesson_page = None  # core.lessons Page whose challenges are checked after every frame
        self._challenges_met: tuple | None = None  # what was last said about them
        self._zeroing_switch: tuple[int, bool] | None = None  # (after step, zero_grad) for a lesson's action

    @Slot(str, tuple)
    def perform(self, name: str, args: tuple) -> None:
        """The one way in: run the command ``name`` (a method marked ``@command``) with ``args``."""
        self.flags.commands.take()
        method = getattr(self, name, None)
        if not getattr(method, "is_command", False):
            raise AttributeError(f"{name!r} is not a command of the model thread")
        method(*args)

    # The current run's trainer and settings (tests and benchmarks read them while paused).
    @property
    def trainer(self) -> Trainer | None:
        return None if self._run is None else self._run.trainer

    @property
    def settings(self) -> Settings | None:
        return None if self._run is None else self._run.settings

    # ----- set-up and runs ---------------------------------------------------------------------

    @Slot()
    def start(self) -> None:
        """Build the first run (called once the thread runs)."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self._landscape_again.connect(self.want_landscape, Qt.ConnectionType.QueuedConnection)
        self.configure(self._initial_settings)

    @command(SETTINGS)
    def configure(self, settings: Settings) -> None:
        """Apply new settings: live ones at the next step, others by starting a new run. Looking
        back, those a branch can take are kept for the branch that Run or Step starts there."""
        old = self._shown_settings()
        if old is None:
            self._build(settings, reason=None, action=None)
            return
        changed = {f for f in settings.to_dict() if getattr(settings, f) != getattr(old, f)}
        if not changed:
            return
        if self.viewing is not None and changed <= set(LIVE) | BRANCHABLE:
            # The run keeps its own: its steps after this one were taken with them.
            self._built(settings)  # refused now, not at Run, if it cannot be trained
            at_step = self._run.scratch.settings
            self._branch_changes = {f: getattr(settings, f) for f in settings.to_dict()
                                    if getattr(settings, f) != getattr(at_step, f)}
            self.settings_changed.emit(settings)
            self._say_branch()
            return
        if changed <= set(LIVE):
            self._apply_live(settings)
            return
        what = ", ".join(sorted(changed - set(LIVE)))
        if "scenario" in changed:
            scenario = self._scenario(settings.scenario)
            self._build(settings, reason=f"{scenario.name}: {scenario.title}, from the lesson's own settings",
                        action="choosing another scenario")
        else:
            self._build(settings, reason=f"new run: {what} changed", action=f"changing the {what}")

    def _shown_settings(self) -> Settings | None:
        """The settings the controls show: the run's, or looking back, the step's with what was
        chosen there for a branch."""
        if self.viewing is None:
            return self.settings
        return self._run.scratch.settings.replace(**self._branch_changes)

    def _say_branch(self) -> None:
        what = differences(self._run.scratch.settings, self._shown_settings())
        if what:
            self._set_state(PAUSED, f"Run or Step goes on from step {self.viewing:,} as a new branch with {what}")

    def _apply_live(self, settings: Settings) -> None:
        self.trainer.apply(settings)
        self._run.timeline.settings_changed(self.trainer)
        self._chunks.reset()  # another optimizer, or penalties, cost more per step
        self._run.revision += 1
        self.settings_changed.emit(settings)
        self._document_changed()
        if self.state == STOPPED and self.trainer.check_stop() is None:
            self._set_state(PAUSED, "")

    def _scenario(self, name: str) -> Scenario:
        """A built-in scenario, or one made from a person's data earlier in this session."""
        return self._custom[name] if name in self._custom else get_scenario(name)

    def _build(self, settings: Settings, reason: str | None, action: str | None) -> None:
        """A new run on fresh weights from ``settings``; nothing changes if it cannot be built."""
        scenario = self._scenario(settings.scenario)
        if settings.model is not None and parse_choice(settings.model)[0] not in scenario.model_names:
            settings = settings.replace(model=None)
        if settings.patience is not None and not scenario.data.has_validation:
            settings = settings.replace(patience=None)
        self._replace(self._successor(self._built(settings)), action, reason)

    def _built(self, settings: Settings) -> Trainer:
        """A trainer of ``settings`` as the window trains them (each tensor's gradient norm recorded)."""
        return self._scenario(settings.scenario).build(settings, track_tensor_norms=True)

    def _successor(self, trainer: Trainer) -> _Run:
        """A new run that follows the current one: the same file while the scenario stays the
        same (Save then writes the new run there), none when the scenario changes. The weight
        followed stays while it means the same weight (same data, same parameters)."""
        old = self._run
        if old is None or old.settings.scenario != trainer.settings.scenario:
            return _Run(trainer)
        same = old.trainer.data is trainer.data and old.trainer.params.specs == trainer.params.specs
        return _Run(trainer, tracked=old.tracked if same else None,
                    path=old.path, revision=old.revision + 1, saved_revision=old.saved_revision)

    def _replace(self, run: _Run, action: str | None, reason: str | None) -> None:
        """Make ``run`` the current run. The one it replaces comes back with Undo if it had steps."""
        old = self._run
        if old is not None and action and old.trainer.step_count > 0:
            self._undo.append((old, action))
            del self._undo[:-MAX_UNDO]
            self._redo.clear()
        self._forget_pins_of_other_data(run)
        self._run = run
        self._pause_quietly()
        if run.trainer.trace is None:
            self._start_trace()
        self._new_run()
        self.settings_changed.emit(run.settings)
        self._document_changed()
        self._set_state(PAUSED, reason or "")

    def _forget_pins_of_other_data(self, run: _Run) -> None:
        """Another lesson's (or data's) curves mean nothing beside this run's."""
        old = self._run
        same = (old is not None and old.settings.scenario == run.settings.scenario
                and old.trainer.data.x is run.trainer.data.x)  # a rebuild shares the data's arrays
        if self._pins and not same:
            self._pins = []
            self.pins_changed.emit([])

    def _start_trace(self) -> None:
        info = run_info(0, self._scenario(self.settings.scenario), self.trainer, self.settings, self._run.tracked)
        self.trainer.start_trace(trace_indices(info, info.tracked))

    def _new_run(self) -> None:
        self.viewing = None
        self._zeroing_switch = None  # a lesson's switch belongs to the run its action started
        self._branch_changes = {}
        if self._run.timeline is None:
            self._run.timeline = Timeline(self.trainer)  # an opened session: its earlier steps are in no checkpoint
        self._run_id += 1
        scenario = self._scenario(self.settings.scenario)
        info = run_info(self._run_id, scenario, self.trainer, self.settings, self._run.tracked)
        self._run.tracked = info.tracked
        self._taker = SnapshotTaker(self._run_id, info)
        self._taker.neuron = resolve_neuron(info, self._neuron)
        self._rate_window.clear()
        self._chunks.reset()
        self.run_started.emit(info)
        self._emit_snapshot()
        self.branches_changed.emit(([r.name for r in self._run.family], self._run.family.index(self._run)))

    def _document_changed(self) -> None:
        run = self._run
        saved = run.revision == run.saved_revision
        doc = Document(path=run.path, modified=run.path is not None and not saved,
                       unsaved_steps=run.trainer.step_count > 0 and not saved,
                       undo=self._undo[-1][0].describe() if self._undo else "",
                       redo=self._redo[-1][0].describe() if self._redo else "")
        if doc != self._document:
            self._document = doc
            self.document_changed.emit(doc)

    def _rebuilt(self, initial_values: np.ndarray, settings: Settings | None = None) -> Trainer:
        """A fresh trainer of ``settings`` (the current ones by default), starting from ``initial_values``."""
        trainer = self._built(settings or self.settings)
        state = trainer.params.state_dict()
        flat = np.asarray(initial_values)
        for p in trainer.params:
            state[p.name] = flat[p.offset:p.offset + p.size].reshape(p.shape)
        trainer.set_initial_weights(state)
        return trainer

    def _swap_back(self, source: list, other: list, words: str) -> None:
        if not source:
            return
        run, action = source.pop()
        other.append((self._run, action))
        self._forget_pins_of_other_data(run)
        self._run = run
        self._pause_quietly()
        self._new_run()
        self.settings_changed.emit(run.settings)
        self._document_changed()
        self._set_state(PAUSED, f"{words} {run.describe()}")

    def _adopt_scenario(self, scenario: Scenario) -> None:
        if scenario.name not in SCENARIOS:
            self._custom[scenario.name] = scenario
            self.scenario_added.emit(scenario.name, scenario.title, scenario.summary)

    # ----- commands (each runs in this thread, in the order they were sent) ----------------------

    @command()
    def run(self) -> None:
        if self.viewing is not None and self._same_as_the_run():
            self._show(self.trainer.step_count)  # on from the newest step
        elif self.viewing is not None:
            scratch = self._run.scratch
            wanted = self._shown_settings()  # the branch's stop conditions, from its own step
            scratch.max_steps, scratch.until_loss = wanted.steps or None, wanted.until_loss
            scratch.patience = wanted.patience if scratch.data.has_validation else None
            stop = scratch.check_stop()
            if stop is not None:
                self._set_state(STOPPED, stop.message + ". Change the stop conditions, or use Step.")
                return
            self._branch_here()
        stop = self.trainer.check_stop()
        if stop is not None:
            self._set_state(STOPPED, stop.message + ". Change the stop conditions, or use Step.")
            return
        self._budget = None
        self._begin()

    @command()
    def pause(self) -> None:
        self.flags.pause.clear()
        if self.state == RUNNING:
            self._pause_quietly()
            self._emit_snapshot()
            self._set_state(PAUSED, "")

    @command()
    def step(self, n: int) -> None:
        """Take ``n`` steps at the current speed, then pause (stop conditions aside)."""
        if n <= 0:
            return
        if self.viewing is not None:
            if self._same_as_the_run():
                target, newest = self.viewing + int(n), self.trainer.step_count
                self._show(min(target, newest))  # along the run's own steps, then new ones
                n = target - newest
                if n <= 0:
                    return
            else:
                self._branch_here()
        self._budget = int(n)
        self._begin()

    def _same_as_the_run(self) -> bool:
        """Would going on from the step shown take again exactly the steps the run took? (Nothing
        chosen for a branch, and no change of settings after it.) Then Run and Step go along the
        run rather than start a branch that copies it."""
        if self._branch_changes:
            return False
        return not any(m.kept and m.step > self.viewing for m in self._run.timeline.marks)

    @command()
    def reset(self) -> None:
        """Back to the same initial weights, as a new run (Undo brings the old one back)."""
        self._replace(self._successor(self._rebuilt(self.trainer.initial_values)), "Reset",
                      "reset to the same initial weights")

    @command()
    def new_weights(self) -> None:
        """Draw fresh weights from the next seed; the seed shown stays true. The article's weights
        are drawn no more: the initializer becomes the one the articles drew theirs with."""
        seed = (self.settings.seed + 1) % (2**63)
        settings = self.settings.replace(seed=seed)
        if parse_choice(settings.init or "")[0] == Article.name:
            settings = settings.replace(init=Article.redraw)
        self._build(settings, reason=f"new weights from seed {seed}", action="New weights")

    @command(FILE)
    def load_weights(self, path: str) -> None:
        """Start a new run from the weights in a file; a file that does not fit changes nothing."""
        state = read_weights(path, self.trainer.params.specs)
        trainer = self._built(self.settings)
        trainer.set_initial_weights(state)
        self._replace(self._successor(trainer), "Load weights",
                      f"loaded the weights in {path}; Reset comes back to them")

    @command(FILE)
    def save_weights(self, path: str) -> None:
        save_weights(path, self.trainer.params.state_dict())
        self.finished_task.emit("weights", path)

    @command(FILE)
    def save_session(self, path: str, app_state: dict) -> None:
        # The weight followed is the worker's to say (a click may still be on its way here).
        family = self._run.family
        app = dict(app_state, tracked=self._run.tracked, branch_index=family.index(self._run))
        others = [(r.name, r.trainer) for r in family if r is not self._run]
        save_session(path, self.trainer, self.settings, self._scenario(self.settings.scenario), app,
                     branch=self._run.name, branches=others, pins=[c for _, c in self._pins])
        self._run.path = path
        self._run.saved_revision = self._run.revision
        self._document_changed()
        self.finished_task.emit("session", path)

    @command(FILE)
    def open_session(self, path: str) -> None:
        """Replace the run with a saved one; a file that cannot be read changes nothing."""
        session = load_session(path)  # the whole run, built aside: any failure changes nothing
        self._adopt_scenario(session.scenario)
        tracked = session.app.get("tracked")
        run = _Run(session.trainer, tracked=tracked if isinstance(tracked, int) else None,
                   path=path, revision=0, saved_revision=0, name=session.branch)
        others = [_Run(trainer, tracked=run.tracked, path=path, revision=0, saved_revision=0, name=name,
                       family=run.family) for name, trainer in session.branches]  # each at its own newest step
        at = session.app.get("branch_index")
        at = at if isinstance(at, int) and 0 <= at <= len(others) else 0  # where the run was in the list
        run.family[:] = others[:at] + [run] + others[at:]
        self._replace(run, "Open", f"opened {path} at step {session.trainer.step_count}")
        self._pins = [(_NO_RUN, curves) for curves in session.pins]  # pinned by no run of this window
        self.pins_changed.emit(list(session.pins))
        if session.pins:  # the last word is the file's
            self._set_state(PAUSED, f"opened {path} at step {session.trainer.step_count}")
        self.session_opened.emit(path, session.app)

    @command()
    def undo(self) -> None:
        """Bring back the run the last Reset, New weights, Open... replaced."""
        self._swap_back(self._undo, self._redo, "back to")

    @command()
    def redo(self) -> None:
        self._swap_back(self._redo, self._undo, "forward to")

    @command(FILE)
    def read_csv(self, path: str) -> None:
        """Read a CSV in this thread, with progress, then send a preview for choosing columns."""
        from ..core.data.csv_reader import read_table
        from ..core.data.from_table import preview

        self.flags.cancel.clear()
        if self.state == RUNNING:
            self._pause_quietly()
            self._emit_snapshot()
            self._set_state(PAUSED, "paused to read a CSV file")
        name = os.path.basename(path)

        def progress(fraction):
            self.progress.emit(f"Reading {name}", float(fraction))
            self._yield_to_gui()  # the GUI stays responsive while a big file streams in
            return not self.flags.cancel.is_set()

        try:
            table = read_table(path, progress=progress)
        finally:
            self.progress.emit("", -1.0)
        self._table = table
        self.table_read.emit(path, preview(table))

    @command(FILE)
    def use_table(self, choice: dict) -> None:
        """Train on the chosen columns of the CSV just read: a new scenario and a new run."""
        from ..core.scenarios import scenario_from_table

        if self._table is None:
            raise GdsimError("read a CSV file first")
        scenario = scenario_from_table(self._table, choice["inputs"], choice["targets"], task=choice["task"],
                                       missing=choice["missing"], standardize=choice["standardize"],
                                       val_fraction=choice["val_fraction"])
        trainer = scenario.build(Settings(scenario=scenario.name), track_tensor_norms=True)
        self._custom[scenario.name] = scenario
        self.scenario_added.emit(scenario.name, scenario.title, scenario.summary)
        # Your own data is a new document with its own defaults, as a built-in scenario is.
        self._replace(_Run(trainer), "training on a CSV file", f"training on {scenario.title}")

    @command()
    def set_speed(self, steps_per_second) -> None:
        self.speed = None if steps_per_second is None else max(0.1, float(steps_per_second))
        self._pace_start = time.perf_counter()
        self._pace_steps = 0

    @command()
    def track(self, index: int) -> None:
        """Follow another weight (flat index). The trace already holds every weight of a model
        up to TRACE_EVERY_WEIGHT; a bigger one starts recording the chosen weight now."""
        t = self.trainer
        if not 0 <= index < t.params.size or index == self._taker.tracked:
            return
        self._run.tracked = self._taker.tracked = int(index)
        if t.trace is None or index not in t.trace.indices:
            t.start_trace([index])
        self._emit_snapshot()

    @command()
    def want_landscape(self, request, run_id: int, asked: int | None = None) -> None:
        """Compute the loss landscape (core.surface) around the weights shown, the step looked
        back at included; the window has its turns between blocks of points. A request made for
        an earlier run (one that waited behind Pause) is dropped, and so is one given up for a
        command (``asked``: its number) when the window has asked for a landscape again since."""
        if asked is None:  # from the window
            self._landscapes_asked += 1
            asked = self._landscapes_asked
        if run_id != self._run_id or asked != self._landscapes_asked:
            return
        run = self._run
        trainer = run.scratch if self.viewing is not None else self.trainer
        try:
            computed = surface.compute(trainer, _marks(run), request, self._run_id, self._landscape_turn,
                                       self._pinned_beside(trainer))
        except GdsimError as exc:  # all-zero weights, a path that has not moved: the view says so
            self.landscape_ready.emit(surface.Unavailable(self._run_id, sentence(str(exc)), request))
            return
        if computed is None:  # Pause or another command came first: it is next in this thread's
            # queue, then the grid again (not through perform: not a command the window sent)
            self._landscape_again.emit(request, run_id, asked)
            return
        self.landscape_ready.emit(computed)

    def _pinned_beside(self, trainer: Trainer) -> list:
        """The pinned runs a landscape of ``trainer`` draws: (index among the pins, name, trainer,
        its checkpoints, the step it was pinned at), for those still here with the same weights,
        the run shown left out (it is drawn as itself)."""
        return [(k, curves.name, run.trainer, _marks(run), int(curves.steps[-1]) if len(curves.steps) else 0)
                for k, (ref, curves) in enumerate(self._pins)
                if (run := ref()) is not None and run is not self._run
                and run.trainer.params.size == trainer.params.size]

    def _landscape_turn(self, _done: float = 0.0) -> bool:
        """Between two blocks of a landscape's points: the window's turn, and False once Pause is
        pressed or the window has sent a command (Reset, another scenario, ...): it is carried out
        within a block, not after a whole grid (a big MLP's takes a minute here), and the grid
        starts again after it (training that command starts waits for that grid)."""
        self._yield_to_gui()
        return not (self.flags.pause.is_set() or self.flags.commands.count())

    @command()
    def find_lr(self) -> None:
        """fastai's learning-rate range test from the weights shown, on a copy: the run is untouched."""
        from ..core import lr_find

        trainer = self._run.scratch if self.viewing is not None else self.trainer
        try:
            lr_find.check_loss(trainer)  # before anything changes: a refusal leaves the run running
        except GdsimError as exc:
            raise GdsimError(f"no learning rate can be found for this lesson: {exc}") from None
        if self.state == RUNNING:
            self._end(PAUSED)
        self.lr_found.emit(lr_find.find_lr(self._scenario(self.settings.scenario), trainer))

    @command()
    def stability_map(self) -> None:
        """The run's lesson with SGD and momentum over a grid of learning rates and momenta, from
        the run's own initial weights."""
        from ..core import stability as st

        s = self.settings
        found = st.stability_map(s, st.default_lrs(s.scenario), st.default_momenta(),
                                 initial=self.trainer.initial_values)
        self.stability_found.emit((found, st.bound_lrs(found)))

    @command()
    def train_cell(self, settings: Settings, initial) -> None:
        """A stability map's cell as a new run: its settings from ``initial`` (the map's weights),
        trained at once (Undo brings back the run before)."""
        trainer = self._rebuilt(initial, settings)
        self._replace(self._successor(trainer), "Train a stability map's cell",
                      f"training {settings.optimizer} at lr {settings.lr:g} from the initial weights")
        self.run()

    @command()
    def start_from_weights(self, run_id: int, values, where: str) -> None:
        """A new run from ``values`` (every weight: a point a person chose on the landscape of run
        ``run_id``); Reset comes back to it, Undo to the run before."""
        if run_id != self._run_id:
            raise GdsimError("that landscape was of an earlier run; choose the point again")
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (self.trainer.params.size,) or not np.all(np.isfinite(values)):
            raise GdsimError("that point of the landscape has no finite weights to start from")
        trainer = self._rebuilt(values)
        self._replace(self._successor(trainer), "Start from the landscape",
                      f"a new run from {where} (Undo: the run before)")

    @command()
    def show_neuron(self, layer: int, unit: int, example: int) -> None:
        """Draw another neuron, or the same one for another example, in the graph view (runs
        whose model has neurons to draw; the choice stays for later runs that have it)."""
        info = self._taker.info
        choice = resolve_neuron(info, (layer, unit, example))
        if info.graph != "neuron" or choice != (layer, unit, example) or choice == self._taker.neuron:
            return
        self._neuron = self._taker.neuron = choice
        self._emit_snapshot()

    @command()
    def show_step(self) -> None:
        """Show the step asked for last (``flags.want_step``): an earlier one, rebuilt exactly from
        the run's timeline, or the newest. Training pauses; Run or Step from an earlier step
        branches there (``_branch_here``)."""
        wanted = self.flags.take_wanted_step()
        if wanted is not None:  # else a later request has been served already
            self._show(wanted)

    def _show(self, wanted: int) -> None:
        if self.state == RUNNING:
            self._pause_quietly()
            self._set_state(PAUSED, "")
        run = self._run
        newest = run.trainer.step_count
        step = min(max(wanted, run.timeline.first_step), newest)
        if step == (newest if self.viewing is None else self.viewing):
            return
        if step == newest:
            self.viewing = None
            if self._branch_changes:  # they were for a branch from an earlier step
                self._branch_changes = {}
                self._set_state(PAUSED, "back at the newest step: the settings chosen for a branch were not applied")
        else:
            if run.scratch is None:
                run.scratch = self._built(run.settings)
            run.timeline.rebuild(step, run.scratch)
            self.viewing = step
        self._emit_snapshot()
        self.settings_changed.emit(self._shown_settings())  # the controls show the step's
        if self.viewing is not None:
            self._say_branch()

    def _branch_here(self) -> None:
        """Go on from the step shown as a new branch; the run it came from stays among the branches."""
        old, step = self._run, self.viewing
        self._check_room_for_a_branch()
        trainer = old.scratch
        then = trainer.settings
        wanted = self._shown_settings()
        if any(getattr(wanted, f) != getattr(then, f) for f in BRANCHABLE):
            # Another loss: the same state (weights, optimizer, batch order) in a trainer built with it.
            moved = self._built(wanted.replace(**{f: getattr(then, f) for f in LIVE}))
            moved.restore(*trainer.checkpoint())
            trainer = moved
        trainer.history = old.trainer.history.until(step)
        if old.trainer.trace is not None:
            trainer.trace = old.trainer.trace.until(step, trainer.params.size)
        trainer.notes = [n for n in old.trainer.notes if n.step <= step]
        timeline = old.timeline.up_to(step)
        if trainer.settings != then:  # another loss: replays from before here need the old one
            timeline = Timeline(trainer)
        if wanted != trainer.settings:  # chosen while looking back: the branch takes them from here
            trainer.apply(wanted)
            timeline.settings_changed(trainer)
        new = _Run(trainer, tracked=old.tracked, path=old.path, revision=old.revision + 1,
                   saved_revision=old.saved_revision, name=branch_name(then, trainer.settings, step),
                   family=old.family, timeline=timeline)
        old.family.append(new)
        old.scratch = None
        self._run = new
        self._new_run()
        self._document_changed()

    def _check_room_for_a_branch(self, more: int = 1) -> None:
        """Room for ``more`` branches: a session keeps the run and MAX_BRANCHES others."""
        if len(self._run.family) + more > MAX_BRANCHES + 1:
            raise GdsimError(f"this run has {len(self._run.family)} branches and a session file keeps at most "
                             f"{MAX_BRANCHES + 1}; save it, and start another run for more")

    @command()
    def show_again(self) -> None:
        """Announce the run again, its whole history in the next snapshot, as when a branch is
        shown: the views build their plots anew (in another theme: View > High contrast)."""
        state = self.state
        self._pause_quietly()
        self._new_run()
        if state == RUNNING:
            self._begin()  # on, as before (a Step's remaining steps are given up)
        else:
            self.state = state  # paused, stopped or diverged, as it was

    @command()
    def switch_branch(self, index: int) -> None:
        """Show another branch of this run, at its newest step."""
        family = self._run.family
        if not 0 <= index < len(family) or family[index] is self._run:
            return
        self._pause_quietly()
        self._run = family[index]
        self._new_run()
        self.settings_changed.emit(self._run.settings)
        self._document_changed()
        self._set_state(PAUSED, f"branch {self._run.name}, at step {self.trainer.step_count:,}")

    @command()
    def pin(self) -> None:
        """Pin the run shown as a ghost every view draws beside the live run (up to MAX_PINS)."""
        self._pin(self._run)

    def _pin(self, run: _Run) -> None:
        info = self._taker.info
        t = run.trainer
        tracked = info.tracked if t.params.size == info.n_weights else 0
        curves = thinned(run_curves(run.name, t, tracked, info.labels[tracked] if t.params.size == info.n_weights else ""))
        if t.params.size == info.n_weights:  # its predictions at its last step, drawn as the live run's are
            last = self._taker.take_past(t, t)
            curves = dataclasses.replace(curves, predictions=last.predictions, curve_predictions=last.curve_predictions)
        kept = [(r, c) for r, c in self._pins if r() is not run][-(MAX_PINS - 1):]  # the run's older pin goes
        names = {c.name for _, c in kept}
        if curves.name in names:  # another run of the same name (two "main"s, before and after a Reset)
            curves = dataclasses.replace(curves, name=next(f"{curves.name} #{k}" for k in range(2, 99)
                                                           if f"{curves.name} #{k}" not in names))
        self._pins = kept + [(weakref.ref(run), curves)]  # the run itself may go (Undo keeps five)
        self.pins_changed.emit([c for _, c in self._pins])

    @command()
    def clear_pins(self) -> None:
        self._pins = []
        self.pins_changed.emit([])

    @command()
    def compare_zeroing(self) -> None:
        """The seeds' lesson in one picture: the run again from the same initial weights with
        gradient zeroing the other way at every step (and its other settings as they changed),
        as far as the run went (its step limit if it has not begun, and then the run too), kept
        as a branch and pinned beside it. A long one shows its progress and can be cancelled."""
        run = self._run
        self._check_room_for_a_branch()
        if self.state == RUNNING:
            self._pause_quietly()
            self._set_state(PAUSED, "")
        steps = run.trainer.step_count or run.settings.steps or DEFAULT_COMPARE_STEPS
        # The run's settings as they changed (kept checkpoints), each with zeroing switched.
        changes = {m.step: m.settings for m in run.timeline.marks if m.kept}
        changes[0] = changes.get(0, run.timeline.marks[0].settings)
        twin = self._rebuilt(run.trainer.initial_values)
        changes = {step: at.replace(zero_grad=not at.zero_grad) for step, at in changes.items()}
        line = self._train_aside(twin, steps, changes, "Training the run again with gradient zeroing switched")
        if line is None:
            self._set_state(PAUSED, "the comparison was cancelled")
            return
        self._add_branch(twin, line, pin=True)
        if run.trainer.step_count == 0:
            self.step(steps)

    def _train_aside(self, twin: Trainer, steps: int, changes: dict, what: str) -> Timeline | None:
        """Train ``twin`` (a run beside the shown one) ``steps`` steps, applying ``changes``
        ({step: Settings}) on the way, its progress shown as ``what`` once it takes a while; its
        timeline, or None if Cancel was pressed. A divergence ends it early: that is a result too."""
        twin.start_trace(trace_indices(self._taker.info, self._run.tracked))
        line = Timeline(twin)
        started = shown = time.perf_counter()
        self.flags.cancel.clear()
        try:
            while twin.step_count < steps:
                if twin.step_count in changes:
                    twin.apply(changes[twin.step_count])
                    line.settings_changed(twin)
                upto = min([c for c in changes if c > twin.step_count] + [steps])
                if twin.advance(min(COMPARE_CHUNK, upto - twin.step_count)) is not None:
                    break
                line.after_steps(twin)
                if time.perf_counter() - shown > 0.1 and time.perf_counter() - started > 0.3:
                    shown = time.perf_counter()
                    self.progress.emit(what, twin.step_count / steps)
                    self._yield_to_gui()  # the dialog paints, and Cancel gets through
                    if self.flags.cancel.is_set():
                        return None
        finally:
            self.progress.emit("", -1.0)
        return line

    def _add_branch(self, twin: Trainer, line: Timeline, pin: bool) -> _Run:
        """``twin``, trained from step 0, as a branch of the run shown (and pinned beside it)."""
        run = self._run
        other = _Run(twin, tracked=run.tracked, name=f"{differences(run.settings, twin.settings)} from step 0",
                     family=run.family, timeline=line)
        run.family.append(other)
        self.branches_changed.emit(([r.name for r in run.family], run.family.index(run)))
        if pin:
            self._pin(other)
        return other

    @command()
    def race(self, racers: list, steps: int, fair: bool) -> None:
        """Optimizers racing from the run's initial weights through the same batches: each racer
        ((optimizer, lr)) trained ``steps`` steps as a branch and pinned, in place of the pins
        there were. ``fair``: each racer's lr is its own range test's suggestion (core.lr_find),
        since one lr shared by all favours some."""
        from ..core import lr_find

        chosen = self._racers(racers, steps)
        if fair:
            try:
                lr_find.check_loss(self.trainer)
            except GdsimError as exc:
                raise GdsimError(f"the race was not run: {exc}; untick Fair learning rates to race at the "
                                 f"rates typed") from None
        if self.state == RUNNING:
            self._end(PAUSED)
        self._pins = []
        self.pins_changed.emit([])
        scenario, notes = self._scenario(self.settings.scenario), []
        for k, settings in enumerate(chosen, start=1):
            twin = self._rebuilt(self.trainer.initial_values, settings)
            if fair:
                lr, why_not = lr_find.fair_lr(scenario, twin)
                twin.apply(settings.replace(lr=lr))
                if why_not:
                    notes.append(f"{settings.optimizer} kept lr {lr:g} ({why_not})")
            line = self._train_aside(twin, steps, {}, f"Racing: {twin.settings.optimizer} (racer {k} of {len(chosen)})")
            if line is None:
                self._set_state(PAUSED, "the race was cancelled; the racers that finished are pinned")
                return
            self._add_branch(twin, line, pin=True)
        self._set_state(PAUSED, "the race is pinned: dashed curves, and paths on the landscape"
                        + (f"; {'; '.join(notes)}" if notes else ""))

    # ----- a lesson's page ----------------------------------------------------------------------

    @command(SETTINGS)
    def start_page(self, settings: Settings, title: str) -> None:
        """A lesson's page: a new run of its settings from fresh weights (Undo brings back the run
        it replaces), without the pins of the page before."""
        if self._pins:
            self._pins = []
            self.pins_changed.emit([])
        self._build(settings, reason=title, action="opening a lesson page")

    @command()
    def play_action(self, settings: Settings, steps: int, compare: Settings | None,
                    zeroing: tuple[int, bool] | None) -> None:
        """A lesson page's action: a new run of ``settings`` from fresh weights, ``compare``'s run
        (if any) trained beside it and pinned, then ``steps`` steps of the run at the chosen speed.
        ``zeroing`` = (K, on): gradient zeroing is switched as if the box were clicked after step
        K - 1, in both runs (core.lessons' Action)."""
        self.start_page(settings, "the page's action")
        if compare is not None:
            # Built from its own settings, as the lesson checker builds it: the same weights and
            # batches as the page's run unless the change is to the seed, initializer or model
            # (whose weights the page's run's would not even fit).
            twin = self._built(compare)
            changes = {}
            if zeroing is not None:
                changes[zeroing[0] - 1] = twin.settings.replace(zero_grad=zeroing[1])
            line = self._train_aside(twin, steps, changes, "Training the run to compare")
            if line is None:
                self._set_state(PAUSED, "the comparison was cancelled")
                return
            self._add_branch(twin, line, pin=True)
        if zeroing is not None:
            self._zeroing_switch = (zeroing[0] - 1, zeroing[1])
        self.step(steps)

    @command()
    def watch_challenges(self, page) -> None:
        """Check ``page``'s challenges (core.lessons) against the run after every frame; None: stop."""
        self._lesson_page = page if page is not None and page.challenges else None
        self._challenges_met = None
        self._check_challenges()

    def _check_challenges(self) -> None:
        if self._lesson_page is None or self.trainer is None:
            return
        from ..core.lessons import challenges_met

        met = tuple(challenges_met(self._lesson_page, self.trainer))
        if met != self._challenges_met:
            self._challenges_met = met
            self.challenges_checked.emit(self._run_id, met)

    def _racers(self, racers: list, steps: int) -> list[Settings]:
        """The racers' settings, every one checked before anything is trained."""
        if not 1 <= len(racers) <= MAX_PINS:
            raise GdsimError(f"a race has 1 to {MAX_PINS} racers beside the run, not {len(racers)}")
        self._check_room_for_a_branch(len(racers))
        chosen = [self.settings.replace(optimizer=optimizer, lr=lr, steps=steps) for optimizer, lr in racers]
        for settings in chosen:
            settings.validate()
            make_choice("optimizer", OPTIMIZERS, settings.optimizer)
        return chosen

    @command(FILE)
    def export_history(self, path: str) -> None:
        """Write the history CSV (with every weight's trace for small models), from this thread."""
        from ..core.files.history_csv import history_classes, write_history_csv

        t = self.trainer
        small = t.params.size <= SMALL_MODEL_WEIGHTS
        write_history_csv(path, t.history, t.trace if small else None, t.params.labels() if small else None,
                          settings=self.settings, classes=history_classes(t.data))
        self.finished_task.emit("history", path)

    @command(FILE)
    def animation_frames(self, first, last, frames: int, landscape=None) -> None:
        """The snapshots of an animation of the run's steps ``first`` to ``last`` (None: its
        first, its newest), ``frames`` of them at most, rebuilt from the run's timeline in a
        trainer of their own: the steps taken up to now; training goes on after. With
        ``landscape`` (a core.surface.Request), the grid the frames are drawn on too: the window
        has its turns between blocks of its rows, as for the landscape view's own."""
        from ..core import animation

        run = self._run
        a, b = animation.resolve_range(first, last, run.timeline.first_step, run.trainer.step_count)
        steps = animation.frame_steps(a, b, int(frames))
        scratch = animation.scratch_for(self._scenario(self.settings.scenario), run.trainer)
        source = animation.FrameSource(self._taker.info, run.trainer, run.timeline, scratch, steps)
        if landscape is not None:
            # A big model's grid takes seconds: shown as progress, with Cancel (None: cancelled).
            self.flags.cancel.clear()

            def between(done: float) -> bool:
                self.progress.emit("Computing the landscape the animation is drawn on", done)
                self._yield_to_gui()
                return not self.flags.cancel.is_set()

            try:
                if source.landscape(landscape, between=between) is None:
                    self.animation_ready.emit(None)
                    return
            finally:
                self.progress.emit("", -1.0)
        self.animation_ready.emit(animation.PreparedFrames.made_from(source))

    @command()
    def shutdown(self) -> None:
        self._closing = True
        self._pause_quietly()
        self.thread().quit()

    # ----- the loop ------------------------------------------------------------------------

    def _begin(self) -> None:
        self.state = RUNNING
        self._pace_start = time.perf_counter()
        self._pace_steps = 0
        self.state_changed.emit(RUNNING, "")
        self._schedule(0)

    def _pause_quietly(self) -> None:
        self.state = PAUSED
        self._budget = None
        if hasattr(self, "_timer"):
            self._timer.stop()

    def _schedule(self, ms: int) -> None:
        self._timer.start(max(0, int(ms)))

    @Slot()
    def _tick(self) -> None:
        if self.state != RUNNING or self._closing:
            return
        try:
            self._run_slice()
        except Exception:  # never let the thread die with the app still open
            self._crash()

    def _run_slice(self) -> None:
        """Train for a slice, then end the run (a stop, the end of Step N), or show a frame and
        come back for the next slice."""
        watching = self.speed is not None and self.speed <= MAX_FPS  # one step per slice, each drawn
        if watching and self.flags.frames.count() > 0:
            # The last step is still being drawn (a slow or busy GUI): every step is to be seen,
            # so the next waits for it rather than landing in the same frame.
            self._schedule(1000 / MAX_FPS / 4)
            return
        self._switch_zeroing_if_due()
        taken, stop = self._train(self._steps_allowed(watching))
        if taken:
            self._run.revision += 1
            self._document_changed()
        if self._budget is not None:
            self._budget -= taken
        if stop is not None:
            self._end(DIVERGED if stop.divergence is not None else STOPPED, stop)
        elif self._budget is not None and self._budget <= 0:
            self._end(PAUSED)
        elif not self.flags.pause.is_set():  # else the queued pause() is next in this thread's event loop
            self._show_and_continue(taken, watching)

    def _switch_zeroing_if_due(self) -> None:
        """A lesson's zeroing switch, as if the box were clicked after step K - 1 (play_action)."""
        if self._zeroing_switch is not None and self.trainer.step_count >= self._zeroing_switch[0]:
            zero_grad = self._zeroing_switch[1]
            self._zeroing_switch = None
            self._apply_live(self.settings.replace(zero_grad=zero_grad))

    def _steps_allowed(self, watching: bool) -> int | None:
        """Steps this slice may take: those the speed has made due, Step N has left and a lesson's
        zeroing switch allows (None: any)."""
        allowed = None
        if self._zeroing_switch is not None:  # not past the step after which it is due
            allowed = max(0, self._zeroing_switch[0] - self.trainer.step_count)
        if self.speed is not None:
            due = int((time.perf_counter() - self._pace_start) * self.speed) + 1 - self._pace_steps
            allowed = max(0, due) if allowed is None else min(allowed, max(0, due))
        if self._budget is not None:
            allowed = self._budget if allowed is None else min(allowed, self._budget)
        return min(allowed, 1) if watching and allowed is not None else allowed

    def _train(self, allowed: int | None):
        """(steps taken, the stop if one came): chunks of steps until ``allowed``, a stop, the end
        of the slice's time, or Pause."""
        t = self.trainer
        stop = None
        taken = 0
        started = time.perf_counter()
        # The slice ends when the next frame is due, if that comes first: a frame waiting for the
        # end of a 10 ms slice came half a slice late, a sixth fewer frames than the shares allow.
        deadline = min(started + SLICE_SECONDS, max(started, self._last_emit + self._frame_gap()))
        while allowed is None or taken < allowed:
            chunk = self._chunks.next()
            if allowed is not None:
                chunk = min(chunk, allowed - taken)
            before = t.step_count
            stop = t.advance(chunk) if self._budget is not None else t.run(chunk)  # Step N goes past limits
            done = time.perf_counter()
            self._chunks.took(t.step_count - before, done - started)
            self._run.timeline.after_steps(t)
            taken += t.step_count - before
            started = done
            if stop is not None or done >= deadline or self.flags.pause.is_set():
                break
        self._pace_steps += taken
        self._note_rate(taken)
        return taken, stop

    def _end(self, state: str, stop=None) -> None:
        """The run pauses: a stop condition, divergence, or the last of Step N's steps."""
        self._pause_quietly()
        self._emit_snapshot()
        if stop is None:
            self._set_state(state, "")
            return
        hint = (" Press Reset (R) to start again from the initial weights, perhaps with a smaller learning "
                "rate." if state == DIVERGED else " Change the stop conditions, or use Step.")
        self._set_state(state, sentence(stop.message) + "." + hint)

    def _show_and_continue(self, taken: int, watching: bool) -> None:
        due = watching or time.perf_counter() - self._last_emit >= self._frame_gap()
        if taken > 0 and due and self.flags.frames.count() == 0:
            started = time.perf_counter()
            # The GUI may start drawing during the emit itself (PySide lets go of the GIL there),
            # so the frame's cost is counted from before it.
            self._emit_snapshot(watching or self._evaluation_due())
            self._yield_to_gui()
            self._last_yield = time.perf_counter()
            # Running averages: frames alternate between light and heavy redraws.
            self._take_seconds += 0.3 * (self._last_take - self._take_seconds)
            self._draw_seconds += 0.3 * (self._last_yield - started - self._last_take - self._draw_seconds)
        elif time.perf_counter() - self._last_yield >= YIELD_SECONDS:
            # Between frames the GUI has little to do (a key, a timer); it still gets a clean turn
            # now and then, so nothing it does waits long behind the switch interval.
            self._yield_to_gui()
            self._last_yield = time.perf_counter()
        if self.speed is None:
            self._schedule(0)
        else:
            next_due = self._pace_start + self._pace_steps / self.speed
            self._schedule(min(1000 / MAX_FPS, max(0.0, (next_due - time.perf_counter()) * 1000)))

    def _frame_gap(self) -> float:
        """Seconds between two frames at full speed: at least 1/MAX_FPS, frames (making the snapshot
        and drawing it) no more than GUI_SHARE of the time, snapshots alone no more than
        SNAPSHOT_SHARE. However slow the machine, the drawing or the model's pass over its data,
        training keeps the rest."""
        return max(1.0 / MAX_FPS, (self._draw_seconds + self._take_seconds) / GUI_SHARE,
                   self._take_seconds / SNAPSHOT_SHARE)

    def _evaluation_due(self) -> bool:
        """Time for a big model's frame to make its own pass over all the data again: its last
        took no more than EVALUATION_SHARE of the time since."""
        return time.perf_counter() - self._last_evaluation >= self._taker.evaluation_seconds / EVALUATION_SHARE

    def _note_rate(self, taken: int) -> None:
        now = time.perf_counter()
        self._rate_window.append((now, taken))
        while self._rate_window and now - self._rate_window[0][0] > 1.0:
            self._rate_window.pop(0)

    def _rate(self) -> float:
        if self.state != RUNNING or len(self._rate_window) < 2:
            return 0.0
        span = self._rate_window[-1][0] - self._rate_window[0][0]
        steps = sum(n for _, n in self._rate_window[1:])
        return steps / span if span > 0 else 0.0

    def _yield_to_gui(self) -> float:
        """Wait (without the GIL) until the GUI thread has handled everything queued so far.

        The GIL is shared: while this thread computes, every Qt call the GUI makes waits
        for the interpreter's switch interval before it gets the GIL back, so a frame of a
        few hundred calls would take seconds. Between slices the GUI gets the interpreter
        to itself until its queue is empty; with nothing to draw that costs microseconds.
        """
        started = time.perf_counter()
        self.flags.gui_idle.clear()
        self.idle_check.emit()
        self.flags.gui_idle.wait(GUI_WAIT_SECONDS)
        return time.perf_counter() - started

    def _emit_snapshot(self, evaluate: bool = True) -> None:
        """Send the run's state now (or the step looked back at); with ``evaluate`` False a big
        model's snapshot may carry the predictions of an earlier step (SnapshotTaker.take)."""
        self.flags.frames.add()
        self._last_emit = time.perf_counter()
        run = self._run
        started = time.perf_counter()
        if self.viewing is None:
            snap = self._taker.take(self.trainer, self._rate(), evaluate)
        else:
            snap = self._taker.take_past(run.scratch, self.trainer)
        if snap.evaluated == snap.step:
            self._last_evaluation = started
        self._last_take = time.perf_counter() - started
        self.snapshot.emit(dataclasses.replace(snap, latest=self.trainer.step_count, earliest=run.timeline.first_step))
        if self.viewing is None:
            self._check_challenges()

    def _set_state(self, state: str, message: str) -> None:
        self.state = state
        self.state_changed.emit(state, message)

    # ----- errors --------------------------------------------------------------------------

    def _crash(self) -> None:
        self._pause_quietly()
        detail = traceback.format_exc(limit=4)
        self.failed.emit("Something went wrong inside the simulator; training is paused and the weights "
                         "are as they were after the last step. Reset or pick a scenario to go on.\n\n" + detail,
                         RUN_CAUSE)
        self.state_changed.emit(PAUSED, "paused after an internal error")


def _marks(run: _Run) -> list:
    """A run's checkpoints as (step, weights): what a landscape's path is drawn from where the
    trace does not hold the weights it needs."""
    return run.timeline.weights() if run.timeline is not None else []


def _NO_RUN():  # noqa: N802 - stands for a dead weak reference: a pin from a file has no run here
    return None


def branch_name(before: Settings, after: Settings, step: int) -> str:
    """What a branch changed and where: "lr 0.9 from step 40", "same settings from step 12"."""
    return f"{differences(before, after) or 'same settings'} from step {step:,}"
