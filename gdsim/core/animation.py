"""Animations of a run, without Qt: which steps become frames, how long each is shown, and the
snapshot of each frame, as the views saw it when the run was live.

An animation replays the run: its frames are the snapshots the views would have been sent had
the run been paused at each frame step, so the loss curve grows, the fit bends and the path of
the weights lengthens from frame to frame. Every frame's state is rebuilt exactly from the run's
timeline (``core.timeline``); the history and trace rows up to the frame's step are the run's own.
Frames are made one at a time (``FrameSource.next``), so a window can draw each between two
turns of its event loop. An animation of the loss landscape draws every frame on one grid
(``FrameSource.landscape``), computed before the first.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

import numpy as np

from .errors import GdsimError

if TYPE_CHECKING:  # the command line reads the limits above without the snapshot machinery (start-up)
    from .snapshot import RunInfo, Snapshot
    from .timeline import Timeline

DEFAULT_FRAMES = 60
MIN_FRAMES, MAX_FRAMES = 2, 500
DEFAULT_FPS = 10.0
MIN_FPS, MAX_FPS = 0.5, 50.0  # GIF delays are in hundredths of a second: 50 fps is 2 of them
HOLD_LAST_MS = 1500  # the last frame stays a moment before the loop starts again
GIF_TICK_MS = 10  # GIF's unit of time

# What an animation can show: every view as the figure lays them out, or one of them. "all" leaves
# the landscape out: a fifth plot in a 1280x720 frame leaves each too small to read, and every
# animation of all views would pay for a grid (a second or more for digits10).
LANDSCAPE = "landscape"
VIEWS = ("all", "loss", "predictions", "gradients", "graph", LANDSCAPE)
VIEW_TITLES = {"all": "All views", "loss": "Loss", "predictions": "Predictions", "gradients": "Gradients",
               "graph": "Computation graph", LANDSCAPE: "Loss landscape"}

# A frame's size in pixels at scale 1 (the caption included): 16:9 for slides. The figure of all
# views at 1400x860 made a 1.8 MB parabola GIF; at 1280x720 it reads as well on a projector.
DEFAULT_SIZES = {"all": (1280, 720), "one": (960, 540)}
MIN_SIZE, MAX_SIZE = (480, 300), (3840, 2160)
SIZE_CHOICES = ((640, 360), (960, 540), (1280, 720), (1600, 900), (1920, 1080))


def default_size(view: str) -> tuple[int, int]:
    """The frame size of an animation of ``view`` (one of VIEWS) when none is chosen."""
    return DEFAULT_SIZES["all" if view == "all" else "one"]


def check_size(width: int, height: int) -> None:
    (w0, h0), (w1, h1) = MIN_SIZE, MAX_SIZE
    if not (w0 <= width <= w1 and h0 <= height <= h1):
        raise GdsimError(f"a frame is {w0}x{h0} to {w1}x{h1} pixels, not {width}x{height}")


def parse_size(text: str) -> tuple[int, int]:
    """``960x540`` (width x height in pixels, at scale 1) as (960, 540), checked."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*", text or "")
    if match is None:
        raise GdsimError(f"a frame size is WIDTHxHEIGHT in pixels, as 960x540, not {text!r}")
    width, height = int(match.group(1)), int(match.group(2))
    check_size(width, height)
    return width, height


def check_view(view: str, info: RunInfo | None = None) -> None:
    """``view`` is one of VIEWS, and (with ``info``) one the run shows."""
    if view not in VIEWS:
        raise GdsimError(f"an animation shows {', '.join(VIEWS)}, not {view!r}")
    if info is not None and view == "graph" and info.graph is None:
        raise GdsimError("this run has no computation graph to animate (choose another view)")
    if info is not None and view == "predictions" and info.graph == "expression":
        raise GdsimError("this run shows its expression's graph, not predictions (choose the graph view)")
    if info is not None and view == LANDSCAPE:
        from .landscape import has_plane

        if not has_plane(info.n_weights):
            raise GdsimError("a one-weight model has no landscape to animate: its loss curve, with the path, "
                             "is in the predictions view (choose that view)")


def views_of(info: RunInfo) -> list[str]:
    """The views an animation of this run can show (VIEWS' order)."""
    out = []
    for view in VIEWS:
        try:
            check_view(view, info)
        except GdsimError:
            continue
        out.append(view)
    return out


def frame_steps(first: int, last: int, frames: int = DEFAULT_FRAMES) -> list[int]:
    """The steps shown, first to last: every step if there are at most ``frames`` of them, else
    ``frames`` steps spread evenly (rounded), the first ``first`` and the last ``last``."""
    check_frames(frames)
    if first < 0 or last < first:
        raise GdsimError(f"the steps {first} to {last} are not a range of a run")
    if last - first + 1 <= frames:
        return list(range(first, last + 1))
    spread = np.linspace(first, last, frames)
    return [int(s) for s in np.round(spread).astype(np.int64)]  # distinct: spacing is over 1 step


def frame_durations(n: int, fps: float, hold_last_ms: int = HOLD_LAST_MS) -> list[int]:
    """How long each of ``n`` frames is shown, in ms: multiples of GIF's 10 ms that add up, frame
    after frame, to what ``fps`` asks (15 fps: 70, 60, 70, 70, 60, ...); the last frame also
    holds ``hold_last_ms`` so the end of the run can be read before the loop starts again."""
    check_fps(fps)
    if n < 1:
        return []
    ticks = 1000.0 / fps / GIF_TICK_MS
    ends = np.round(np.arange(1, n + 1) * ticks).astype(np.int64)
    each = np.diff(np.concatenate([[0], ends]))
    each = np.maximum(each, 2)  # a browser shows a GIF delay under 20 ms as 100 ms
    out = [int(t) * GIF_TICK_MS for t in each]
    out[-1] += int(round(hold_last_ms / GIF_TICK_MS)) * GIF_TICK_MS
    return out


def check_frames(frames: int) -> None:
    if not isinstance(frames, (int, np.integer)) or not MIN_FRAMES <= frames <= MAX_FRAMES:
        raise GdsimError(f"an animation has {MIN_FRAMES} to {MAX_FRAMES} frames, not {frames}")


def check_fps(fps: float) -> None:
    if not (isinstance(fps, (int, float)) and MIN_FPS <= fps <= MAX_FPS):
        raise GdsimError(f"the frame rate is {MIN_FPS:g} to {MAX_FPS:g} frames a second, not {fps}")


def parse_step_range(text: str) -> tuple[int | None, int | None]:
    """``A:B``, ``A:`` or ``:B`` (steps of the run, both included) as (A or None, B or None)."""
    match = re.fullmatch(r"\s*(\d*)\s*:\s*(\d*)\s*", text or "")
    if match is None or not (match.group(1) or match.group(2)):
        raise GdsimError(f"a step range is FIRST:LAST, FIRST: or :LAST (whole steps), not {text!r}")
    first, last = (int(g) if g else None for g in match.groups())
    if first is not None and last is not None and last <= first:
        raise GdsimError(f"the step range {text!r} ends before it starts (an animation needs two steps)")
    return first, last


def resolve_range(first: int | None, last: int | None, earliest: int, newest: int) -> tuple[int, int]:
    """The range asked for (None: from the earliest step that can be rebuilt, to the newest),
    checked against the run: a step outside it is refused with the run's range in the message."""
    a = earliest if first is None else first
    b = newest if last is None else last
    where = (f"the run's steps are {earliest} to {newest}" if earliest < newest
             else f"the run is at step {newest}: train it first")
    if a < earliest or b > newest or a >= b:
        shown = f"{'' if first is None else first}:{'' if last is None else last}"
        raise GdsimError(f"the step range {shown} is outside the run ({where})")
    return a, b


def caption_for(info: RunInfo, settings, step: int) -> str:
    """A short caption for an animation's frame: ``fruit · SGD lr 1e-05 · MSE · step 100``."""
    parts = [info.scenario, f"{settings.optimizer} lr {settings.lr:g}", info.loss_text]
    if not settings.zero_grad:
        parts.append("zeroing OFF")
    parts.append(f"step {step:,}")
    return " · ".join(parts)


class FrameSource:
    """The snapshots of a run at ``steps`` (increasing), made one per ``next()`` call.

    ``trainer`` is the run (its history, trace and notes are read, never changed), ``timeline``
    its checkpoints, ``scratch`` a second trainer built from the run's settings that the frames
    are rebuilt in. Nothing of the run's is shared with the snapshots; the scratch trainer is
    this source's own from here on.
    """

    def __init__(self, info: RunInfo, trainer, timeline: Timeline, scratch, steps: list[int]):
        if not steps or any(b <= a for a, b in zip(steps, steps[1:])):
            raise ValueError(f"frame steps must increase: {steps}")
        self.info = info
        self.steps = list(steps)
        self._history = trainer.history
        self._trace = trainer.trace
        self._notes = list(trainer.notes)
        self._settings_at = [(m.step, m.settings) for m in timeline.marks if m.kept]
        self._timeline = timeline
        self._scratch = scratch
        from .snapshot import SnapshotTaker

        self._taker = SnapshotTaker(info.run_id, info)
        self._taker.tracked = info.tracked
        self._index = 0
        self._settled = False  # the scratch trainer is at a step of the run
        self.surface = None  # the landscape every frame is drawn on (``landscape``), if one is

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def done(self) -> int:
        """How many frames were made."""
        return self._index

    def settings_at(self, step: int):
        """The live settings the step was taken with (the caption's learning rate)."""
        now = self._settings_at[0][1]
        for at, settings in self._settings_at:
            if at < step or at == 0:
                now = settings
        return now

    def next(self) -> Snapshot:
        """The next frame's snapshot; IndexError after the last."""
        step = self.steps[self._index]
        scratch = self._scratch
        mark = self._timeline.checkpoint_before(step)
        if self._settled and mark.step <= scratch.step_count <= step:
            stop = scratch.advance(step - scratch.step_count)  # no checkpoint (nor settings change) between
            if stop is not None:
                raise RuntimeError(f"replaying the run to step {step} diverged: {stop.message}")
        else:
            self._timeline.rebuild(step, scratch)
            self._settled = True
        # The records of the run up to the step (the scratch's own start where it was rebuilt).
        scratch.history = self._history.until(step)
        n = scratch.params.size
        scratch.trace = self._trace.until(step, n) if self._trace is not None else None
        scratch.notes = [note for note in self._notes if note.step <= step]
        snap = self._taker.take(scratch)
        self._index += 1
        return dataclasses.replace(snap, latest=step, earliest=self.steps[0])

    def final(self) -> Snapshot:
        """A whole snapshot of the last frame's step (with every row up to it), made apart from
        the sequence ``next`` gives: an encoder takes its colours before the first frame."""
        last = self.steps[-1]
        scratch = self._at_last()
        from .snapshot import SnapshotTaker

        taker = SnapshotTaker(self.info.run_id, self.info)
        taker.tracked = self.info.tracked
        return dataclasses.replace(taker.take(scratch), latest=last, earliest=self.steps[0])

    def landscape(self, request, between=None):
        """The landscape every frame is drawn on (a core.surface.Surface, kept as ``surface``),
        computed once: at the last frame's step (every other weight as it was then), over a plane
        and an extent taken from the path of the animated steps alone, so the map, its grid and
        its colours stay put while the path grows over it. ``between`` as core.surface.compute's:
        if it gives the grid up, None (and no ``surface``)."""
        from . import surface

        scratch = self._at_last()
        try:
            self.surface = surface.compute(scratch, self._timeline.weights(), request, self.info.run_id, between,
                                           since=self.steps[0])
        except GdsimError as exc:
            raise GdsimError(f"no landscape to animate: {exc}") from None
        return self.surface

    def _at_last(self):
        """The scratch trainer at the last frame's step, with the run's records up to it."""
        last = self.steps[-1]
        scratch = self._scratch
        self._timeline.rebuild(last, scratch)
        self._settled = False  # the sequence starts again from a checkpoint
        scratch.history = self._history.until(last)
        scratch.trace = self._trace.until(last, scratch.params.size) if self._trace is not None else None
        scratch.notes = [note for note in self._notes if note.step <= last]
        return scratch


def scratch_for(scenario, trainer):
    """A second trainer of ``trainer``'s run to rebuild its frames in (as the window's)."""
    return scenario.build(trainer.settings, track_tensor_norms=trainer.history.track_tensor_norms,
                          record_updates=True)


class PreparedFrames:
    """Every frame of an animation made at once, with a ``FrameSource``'s interface (``next``,
    ``final``, ``done``, ``len``) and the frames' captions: what the window's model thread sends
    its export (copies: nothing of the run's own), so drawing never reaches into the engine."""

    def __init__(self, info: RunInfo, steps: list[int], final: Snapshot, snapshots: list[Snapshot],
                 captions: list[str], surface=None):
        if not (len(steps) == len(snapshots) == len(captions)) or not steps:
            raise ValueError("a frame's step, snapshot and caption each")
        self.info, self.steps, self.captions = info, list(steps), list(captions)
        self.surface = surface  # FrameSource.landscape's, if the frames show the landscape
        self._final, self._snapshots = final, list(snapshots)
        self._index = 0

    @classmethod
    def made_from(cls, source: FrameSource) -> PreparedFrames:
        """Every frame of ``source`` made now (its last one first, as ``final``)."""
        final = source.final()
        snapshots = [source.next() for _ in range(len(source))]
        captions = [caption_for(source.info, source.settings_at(step), step) for step in source.steps]
        return cls(source.info, source.steps, final, snapshots, captions, source.surface)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def done(self) -> int:
        return self._index

    def final(self) -> Snapshot:
        return self._final

    def next(self) -> Snapshot:
        snap = self._snapshots[self._index]
        self._snapshots[self._index] = None  # drawn once: its memory goes as the export goes on
        self._index += 1
        return snap
