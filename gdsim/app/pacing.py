"""How the model thread and the window share one slow machine while training runs at full speed.

Two measured quantities drive everything, so the same rules hold on a fast desktop and on a
school laptop three times slower:

- ``ChunkSizer``: how long a step takes. The worker looks at the clock and the Pause flag only
  between two calls into the engine, so it calls with as many steps as fill ``CHUNK_SECONDS``:
  hundreds of fruit steps, one or two of a digits MLP.
- ``ViewSchedule``: how long each view takes to draw. A view is redrawn only when it has
  something new, is on screen, and its own share of the GUI's time allows; the loss curve (cheap,
  and what a person watches) first, the per-weight and prediction views (images, histograms)
  less often, and never two heavy views in one frame.

Pure Python, no Qt: the rules are tested without a display.
"""

from __future__ import annotations

from collections.abc import Hashable

CHUNK_SECONDS = 0.004  # training between two looks at the clock and the Pause flag
MAX_CHUNK = 4096  # steps in one call, however fast they are (the history grows by this much at once)


class ChunkSizer:
    """Steps per call into the engine, sized from the time steps have been taking.

    A new run starts at one step (``reset``): the previous run's step time says nothing about
    this one (fruit to a digits MLP is 200 times slower per step). A slower step is believed at
    once, a faster one gradually, so a chunk overshoots ``CHUNK_SECONDS`` by at most the noise
    of one measurement.
    """

    def __init__(self, seconds: float = CHUNK_SECONDS, most: int = MAX_CHUNK):
        self.seconds = seconds
        self.most = most
        self.seconds_per_step: float | None = None

    def reset(self) -> None:
        self.seconds_per_step = None

    def next(self) -> int:
        if self.seconds_per_step is None:
            return 1
        return max(1, min(self.most, int(self.seconds / self.seconds_per_step)))

    def took(self, steps: int, seconds: float) -> None:
        if steps <= 0 or seconds <= 0:
            return
        per_step = seconds / steps
        known = self.seconds_per_step
        self.seconds_per_step = per_step if known is None or per_step > known else 0.7 * known + 0.3 * per_step


# Frames (the snapshot the model thread makes, and the window's drawing of it) may take this
# share of the time while training runs; training keeps the rest. Each view's part of the
# drawing, and the most redraws a second it gets, are in SHARES and MAX_FPS.
GUI_SHARE = 0.36
# Of which making snapshots at most this: the loss and predictions at the weights now are a pass
# over all the data, for a big model on your own data tens of milliseconds; it then sends fewer
# frames, each drawn in full, rather than frames the window has no time left to draw.
SNAPSHOT_SHARE = 0.15
# Of which a big model's pass over all its data (SnapshotTaker.small_pass is False: the digits
# models, your own big data) at most this. Frames in between carry the last pass's predictions,
# loss and accuracy, and the views say which step those are of. Paused, stopped, after Step N
# and at a pace slow enough to see every step, every frame has its own.
EVALUATION_SHARE = 0.05
LIGHT, HEAVY = "light", "heavy"
SHARES = {LIGHT: 0.2, HEAVY: 0.06}
MAX_FPS = {LIGHT: 45.0, HEAVY: 12.0}
COST_MEMORY = 0.3  # weight of the newest draw time in a view's running cost


class ViewSchedule:
    """Which views to draw with the next frame while training runs.

    A view drawn at cost c may be drawn again after max(1 / its max fps, c / its share) seconds:
    a view that takes 10 ms of an 8% share is redrawn at most 8 times a second, whatever the
    machine. Among heavy views that are due, only the longest-waiting one is drawn, so a frame
    never carries two of them. Paused or stepping, every view is drawn at once (``all``).
    """

    def __init__(self):
        self._kind: dict[Hashable, str] = {}
        self._cost: dict[Hashable, float] = {}
        self._last: dict[Hashable, float] = {}

    def add(self, name: Hashable, kind: str) -> None:
        self._kind[name] = kind
        self._cost.setdefault(name, 0.0)
        self._last.setdefault(name, float("-inf"))

    def interval(self, name: Hashable) -> float:
        kind = self._kind[name]
        return max(1.0 / MAX_FPS[kind], self._cost[name] / SHARES[kind])

    def due(self, now: float, waiting: list) -> list:
        """Of the views in ``waiting`` (each has something new and is visible), those to draw now."""
        ready = [v for v in waiting if now - self._last[v] >= self.interval(v)]
        light = [v for v in ready if self._kind[v] == LIGHT]
        heavy = sorted((v for v in ready if self._kind[v] == HEAVY), key=lambda v: self._last[v])
        return light + heavy[:1]

    def drawn(self, name: Hashable, now: float, seconds: float) -> None:
        """``name`` was drawn at ``now`` (the frame's start) and took ``seconds``, painting included."""
        self._last[name] = now
        cost = self._cost[name]
        self._cost[name] = seconds if cost == 0.0 else cost + COST_MEMORY * (seconds - cost)

    def cost(self, name: Hashable) -> float:
        return self._cost[name]
