"""A run's loss landscape as the window shows it: the grid around the weights, the path on it,
and when the grid no longer shows where the run is.

``landscape`` does the arithmetic (planes, the loss over a grid); this module decides which
points make a run's path and packs what the view is sent: plain NumPy arrays of its own (never a
view into a trainer's buffers), read-only, safe to hand to another thread.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import landscape
from .errors import GdsimError
from .landscape import PCA, RANDOM, WEIGHTS

PLANES = (WEIGHTS, RANDOM, PCA)
GRID_POINTS = 101  # per side: a 101x101 grid
BIG_MODEL = 5_000  # weights; a bigger model gets a coarser grid (digits10's 101x101 takes a second here)
COARSE_POINTS = 51
# A grid shows the weights it was computed around. Once the run has moved off its plane by more
# than this share of the plane's width (the other weights moved on), it shows another landscape.
DRIFT = 0.05
PATH_POINTS = 2000  # a path drawn over a map keeps about this many points, however long the run
BLOCK_SECONDS = 0.03  # grid points computed between two calls of ``between``
# Other runs' paths (a racer that blew up) may not stretch the map past this many times the
# width of the run's own: beyond, they are drawn to its edge.
OTHERS_REACH = 10.0


@dataclass(frozen=True)
class Request:
    """What a person asked the landscape view to show."""

    kind: str = WEIGHTS
    i: int | None = None  # the two weights of a WEIGHTS plane (flat indices); None: default_pair
    j: int | None = None
    seed: int = 0  # of a RANDOM plane's directions

    def __post_init__(self):
        if self.kind not in PLANES:
            raise GdsimError(f"the landscape's plane must be one of {', '.join(PLANES)}, not {self.kind!r:.40}")


@dataclass(frozen=True, eq=False)
class Surface:
    """A computed landscape, for the run ``run_id`` at step ``step``."""

    run_id: int
    step: int
    request: Request  # as asked (a default pair unresolved): the view matches it to what it asked
    plane: landscape.Plane
    a: np.ndarray  # (na,) the first axis's coordinates
    b: np.ndarray  # (nb,)
    loss: np.ndarray  # (nb, na): the training loss at each grid point (inf or nan where it has none)
    path_steps: np.ndarray  # (T,) the steps of the path's points
    path: np.ndarray  # (T, 2) the run's weights at those steps, on the plane
    seconds: float  # how long the grid took (the view paces its requests by it)
    # Other runs on the same plane (pinned runs, a race's racers): (their index among the pins,
    # name, steps, path (T, 2)).
    others: tuple = ()

    @property
    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return (float(self.a[0]), float(self.a[-1])), (float(self.b[0]), float(self.b[-1]))

    def loss_at(self, a: float, b: float) -> float | None:
        """The grid's loss at (a, b), interpolated between its four nearest points (the nearest
        point's where one of them has no finite loss); None outside the grid."""
        (a0, a1), (b0, b1) = self.box
        if not (a0 <= a <= a1 and b0 <= b <= b1):
            return None
        fa = (a - a0) / (a1 - a0) * (len(self.a) - 1)
        fb = (b - b0) / (b1 - b0) * (len(self.b) - 1)
        ia, ib = min(int(fa), len(self.a) - 2), min(int(fb), len(self.b) - 2)
        ta, tb = fa - ia, fb - ib
        g = self.loss
        corners = g[ib:ib + 2, ia:ia + 2]
        if not np.all(np.isfinite(corners)):  # 0 x inf is NaN: no blend across an overflow
            return float(g[ib + round(tb), ia + round(ta)])
        return float((1 - tb) * ((1 - ta) * g[ib, ia] + ta * g[ib, ia + 1])
                     + tb * ((1 - ta) * g[ib + 1, ia] + ta * g[ib + 1, ia + 1]))


@dataclass(frozen=True)
class Unavailable:
    """No landscape for run ``run_id`` as ``request`` asked, and why (in words for the view): its
    weights are all zero so far, its path has not moved, ..."""

    run_id: int
    reason: str
    request: Request | None = None


def grid_points(n_weights: int) -> int:
    return COARSE_POINTS if n_weights > BIG_MODEL else GRID_POINTS


def pair(trainer, request: Request) -> tuple[int, int] | None:
    """The two weights of a WEIGHTS plane (the default pair unless chosen); None for the others."""
    if request.kind != WEIGHTS:
        return None
    return (request.i, request.j) if request.i is not None else landscape.default_pair(trainer)


def path_points(trainer, marks, needed=None) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values (T, len(needed))) of the weights ``needed`` (flat indices; None: every
    weight) over the run so far: every traced step when the trace holds them, else the checkpoints
    (``marks``: (step, weights) of a timeline, at most a thousand or so) and the weights now. Only
    the columns asked for are made: a two-weight path of a big model stays two columns."""
    columns = np.arange(trainer.params.size) if needed is None else np.asarray(needed, dtype=np.intp)
    now = trainer.params.values[columns]
    trace = trainer.trace
    if trace is not None and trace.n:
        where = {int(k): n for n, k in enumerate(trace.indices)}
        if all(int(k) in where for k in columns):
            steps = trace.steps.copy()
            values = trace.values[:, [where[int(k)] for k in columns]]  # a copy: fancy indexing
            if steps[-1] != trainer.step_count:  # a thinned trace may not hold the last step
                steps = np.append(steps, trainer.step_count)
                values = np.vstack([values, now[None, :]])
            return steps, values
    earlier = [(s, v[columns]) for s, v in marks if s < trainer.step_count]
    steps = np.array([s for s, _ in earlier] + [trainer.step_count], dtype=np.int64)
    return steps, np.vstack([v for _, v in earlier] + [now[None, :]])


def _on_plane(plane: landscape.Plane, points: np.ndarray) -> np.ndarray:
    """``path_points``' values on ``plane``: a WEIGHTS plane's were asked for as its two weights."""
    return points.copy() if plane.kind == WEIGHTS else landscape.coordinates(plane, points)


def make_plane(trainer, request: Request, points: np.ndarray) -> landscape.Plane:
    if request.kind == WEIGHTS:
        return landscape.weight_plane(trainer, *pair(trainer, request))
    if request.kind == RANDOM:
        return landscape.random_plane(trainer, request.seed)
    if len(points) < 3:
        raise GdsimError("the principal directions of the path need a few steps first: take some steps")
    return landscape.pca_plane(trainer, points)


def drift(plane: landscape.Plane, values: np.ndarray, box, ab) -> float:
    """How far ``values`` (P,) lies off the plane from its nearest point ``ab`` (its coordinates), as a
    share of the grid's width in weight space."""
    (a0, a1), (b0, b1) = box
    width = max((a1 - a0) * float(np.linalg.norm(plane.d1)), (b1 - b0) * float(np.linalg.norm(plane.d2)))
    off = float(np.linalg.norm(values - plane.weights_at(*ab)))
    return off / width if width > 0 else float("inf")


def stale_reason(surface: Surface, values: np.ndarray) -> str | None:
    """Why ``surface`` no longer shows the run at ``values``: None while it does."""
    ab = landscape.coordinates(surface.plane, values[None, :])[0]
    if not np.all(np.isfinite(ab)):
        return None  # a diverged run's weights are nowhere to draw
    (a0, a1), (b0, b1) = surface.box
    if not (a0 <= ab[0] <= a1 and b0 <= ab[1] <= b1):
        return "the run has left the grid"
    if drift(surface.plane, values, surface.box, ab) > DRIFT:
        return "the other weights have moved since the grid was computed"
    return None


def extended_path(steps: np.ndarray, path: np.ndarray, new_steps: np.ndarray, new_points: np.ndarray,
                  most: int = PATH_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """The path with the new points after it (any of its points at or after the first new step
    replaced); past 2 * ``most`` points every other one is dropped, the first and the last kept, so
    a million-step run's path costs a frame what a two-thousand-step run's does."""
    keep = steps < new_steps[0] if len(new_steps) else np.ones(len(steps), dtype=bool)
    steps = np.concatenate([steps[keep], new_steps])
    path = np.vstack([path[keep], new_points])
    # Dropping every other point h times, the first and the last kept, keeps the points at
    # multiples of 2**h and the last: found at once, not h passes (a window's snapshot of a fast
    # one-weight run brings thousands of rows; four passes over them were 0.5 ms of its frame).
    n, stride = len(steps), 1
    while -(-n // stride) + ((n - 1) % stride != 0) > 2 * most:  # the points left after halving to stride
        stride *= 2
    if stride > 1:
        chosen = np.arange(0, n, stride)
        if chosen[-1] != n - 1:
            chosen = np.append(chosen, n - 1)
        steps, path = steps[chosen], path[chosen]
    return steps, path


def compute(trainer, marks, request: Request, run_id: int, between=None, others=(), since: int = 0) -> Surface | None:
    """The landscape around ``trainer``'s weights now, with the path so far (``marks``: the
    timeline's (step, weights)) and the paths of ``others`` ((index, name, trainer, marks, until):
    runs of the same model, each up to step ``until``) on the same plane. The grid is computed a
    block of points at a time, each block about BLOCK_SECONDS, and ``between(done)`` is called between
    blocks (the window's turn; ``done``: the share of the grid computed): if it returns False, the
    grid is given up and None returned.

    ``since``: the path starts at that step (an animation's first), and so do the plane of a PCA
    and the grid's extent, both taken from the path."""
    started = time.perf_counter()
    if not landscape.has_plane(trainer.params.size):
        raise GdsimError("a one-weight model's landscape is its loss curve: the predictions view draws it")
    needed = pair(trainer, request)
    steps, points = path_points(trainer, marks, needed)
    if since:
        kept = steps >= since  # the weights now (the last point) are always kept
        steps, points = steps[kept], points[kept]
    plane = make_plane(trainer, request, points)
    path = _on_plane(plane, points)
    paths = []
    for index, name, other, other_marks, until in others:
        other_steps, other_points = path_points(other, other_marks, needed)
        kept = other_steps <= until
        paths.append((index, name, other_steps[kept], _on_plane(plane, other_points[kept])))
    (a0, a1), (b0, b1) = landscape.extent(np.vstack([path] + [_within_reach(p, path) for *_, p in paths]))
    n = grid_points(trainer.params.size)
    a, b = np.linspace(a0, a1, n), np.linspace(b0, b1, n)
    loss = np.empty((n, n))
    # Blocks of grid points, row by row: whole rows once a row is quicker than a block, else part
    # of one. A big MLP on your own data takes 30 ms a point, so a whole row (51 points) was the
    # 1.5 s that Pause waited while the Landscape tab was shown.
    done, size = 0, 1
    while done < n * n:
        block = time.perf_counter()
        row, col = divmod(done, n)
        if col == 0 and size >= n:
            rows = min(size // n, n - row)
            loss[row:row + rows] = landscape.loss_grid(trainer, plane, a, b[row:row + rows])
            got = rows * n
        else:
            got = min(size, n - col)
            loss[row, col:col + got] = landscape.loss_grid(trainer, plane, a[col:col + got], b[row:row + 1])[0]
        done += got
        spent = time.perf_counter() - block
        size = max(1, min(n * n, int(got * BLOCK_SECONDS / max(spent, 1e-6))))
        if between is not None and done < n * n and between(done / (n * n)) is False:
            return None
    for array in (a, b, loss, steps, path, *(p for *_, p in paths)):
        array.flags.writeable = False
    return Surface(run_id, trainer.step_count, request, plane, a, b, loss, steps, path,
                   time.perf_counter() - started, tuple(paths))


def _within_reach(other: np.ndarray, path: np.ndarray) -> np.ndarray:
    """``other``'s finite points, held within OTHERS_REACH widths of ``path``'s box."""
    finite = path[np.all(np.isfinite(path), axis=1)]
    other = other[np.all(np.isfinite(other), axis=1)]
    if not len(finite) or not len(other):
        return other
    lo, hi = finite.min(axis=0), finite.max(axis=0)
    width = np.maximum(hi - lo, 1e-12 + 1e-9 * np.abs(lo))
    return np.clip(other, lo - OTHERS_REACH * width, hi + OTHERS_REACH * width)


def parse_request(text: str, labels) -> Request:
    """``--landscape``'s value: two weights as the gradient view names them ("weight[0,1],bias[0]",
    "params[0],params[1]"), or ``random`` or ``pca`` for a slice through all the weights."""
    text = text.strip()
    if text in (RANDOM, PCA):
        return Request(kind=text)
    # Split at the comma between the names, not at those inside their brackets.
    depth, cut = 0, None
    for k, ch in enumerate(text):
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            cut = k
            break
    names = [text[:cut].strip(), text[cut + 1:].strip()] if cut is not None else [text]
    # A label may carry a reminder after its name ("params[0] (a)"): the name alone is enough.
    index = {name: k for k, label in enumerate(labels) for name in (label, label.split(" (")[0])}
    shown = ", ".join(list(labels)[:3]) + (", ..." if len(labels) > 3 else "")
    if len(names) != 2 or not all(names):
        raise GdsimError(f"--landscape takes two weights as W1,W2 (this model's are {shown}), or random, or pca; "
                         f"not {text!r:.60}")
    for name in names:
        if name not in index:
            raise GdsimError(f"--landscape: this model has no weight {name!r:.60} (its weights are {shown})")
    if names[0] == names[1]:
        raise GdsimError(f"--landscape needs two different weights, not {names[0]!r:.60} twice")
    return Request(WEIGHTS, index[names[0]], index[names[1]])
