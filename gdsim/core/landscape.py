"""The training loss over a plane through the weights: the numbers behind a loss-landscape view.

A ``Plane`` is two directions through the weights now. Three kinds:

- ``weights``: two chosen weights, every other weight held where it is. Its coordinates are those
  two weights' own values, so the axes read in weight units;
- ``random``: two random directions, filter-normalised as Li et al. 2018 ("Visualizing the Loss
  Landscape of Neural Nets") do, so a step of 1 along one moves each unit's weights by as much as
  their own size (see ``random_plane``);
- ``pca``: the two principal directions of the run's path, as the paper's trajectory plots use.

``loss_grid`` gives the loss over a grid of the plane: the training loss over the whole training
set with the run's L1/L2 penalty, as a full-batch step of the trainer computes it, for every point
in a few batched products (``Model.plane_predictor``, ``Loss.many``). It reads the trainer and
changes nothing in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine.trainer import Trainer, row_penalties
from .errors import GdsimError

WEIGHTS, RANDOM, PCA = "weights", "random", "pca"

# What one chunk of grid points may hold at once, in float64 numbers (8 MB): predictions, hidden
# activations, the loss's temporaries and every point's weights. A digits10 grid needs gigabytes in
# one piece. Chunks this small also run faster than big ones (digits: 115 ms a grid against 200 ms
# in chunks of 150 MB; digits10: 1.0 s against 2.7 s), as their arrays stay in the caches.
CHUNK_NUMBERS = 1_000_000
# Numbers the loss and the model make per prediction besides it (differences, squares, logs).
TEMPORARIES = 4
# Draws of random directions before giving up on two that are not parallel: only a model whose
# directions all lie on one line (one weight besides its biases) fails every time.
DRAWS = 32
EXTENT_MARGIN = 0.25


@dataclass(frozen=True, eq=False)
class Plane:
    """Two directions through the weights at ``origin`` (copies, shape (P,) each).

    A point (a, b) of the plane is the weights ``base + a * d1 + b * d2`` (``weights_at``). For kind
    ``weights``, ``d1`` and ``d2`` are the unit vectors of weights ``indices`` and ``base`` is the
    origin with those two set to 0, so (a, b) are the two weights' values themselves; for the other
    kinds ``base`` is the origin and (0, 0) is where the run is.
    """

    origin: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    kind: str  # WEIGHTS, RANDOM or PCA
    axis_titles: tuple[str, str]
    indices: tuple[int, int] | None = None  # kind WEIGHTS: the two weights (flat indices)
    explained: tuple[float, float] | None = None  # kind PCA: each direction's share of the path's variance

    @property
    def base(self) -> np.ndarray:
        """The weights at the point (0, 0)."""
        if self.kind != WEIGHTS:
            return self.origin
        base = self.origin.copy()
        base[list(self.indices)] = 0.0
        return base

    def weights_at(self, a: float, b: float) -> np.ndarray:
        """Every weight at the point (a, b)."""
        return self.base + a * self.d1 + b * self.d2


def has_plane(n_weights: int) -> bool:
    """Whether a model of ``n_weights`` weights has a plane to draw: two weights or more. A
    one-weight model (the parabola) has a loss curve instead, and every plane here refuses it."""
    return n_weights >= 2


def _require_plane(trainer: Trainer) -> None:
    if not has_plane(trainer.params.size):
        raise GdsimError("a model of one weight has no plane of weights: its loss is a curve over that weight")


def weight_plane(trainer: Trainer, i: int, j: int) -> Plane:
    """The plane of weights ``i`` and ``j`` (flat indices), every other weight where it is now."""
    _require_plane(trainer)
    n = trainer.params.size
    if not (0 <= i < n and 0 <= j < n) or i == j:
        raise GdsimError(f"a plane of weights needs two different weights from 0 to {n - 1}, not {i} and {j}")
    d1, d2 = np.zeros(n), np.zeros(n)
    d1[i] = d2[j] = 1.0
    labels = trainer.params.labels()
    return Plane(_origin(trainer), d1, d2, WEIGHTS, (labels[i], labels[j]), indices=(int(i), int(j)))


def default_pair(trainer: Trainer) -> tuple[int, int]:
    """The two weights whose gradient in the last update was largest in size, in the weights' order
    (a pair that stays the largest keeps its axes as the run goes on); before any update, those of
    the gradient at the weights now; the first two weights if every gradient is 0.

    The gradient is ``trainer.update_grads``, the one the last update used (penalty included), which
    the gradient view shows. ``params.grads`` is not it: with gradient zeroing on (the tutorials'
    way) every step ends by zeroing it, so it would rank nothing; with zeroing off it holds the
    same sum ``update_grads`` does.
    """
    _require_plane(trainer)
    size = np.abs(trainer.update_grads if trainer.step_count else _first_gradient(trainer))
    size = np.where(np.isfinite(size), size, 0.0)
    if not size.any():
        return 0, 1
    first, second = sorted(np.argsort(-size, kind="stable")[:2])  # ties: the earlier weights
    return int(first), int(second)


def _first_gradient(trainer: Trainer) -> np.ndarray:
    """The gradient of the loss over every training row at the weights now, the trainer's gradient
    buffers left as they were (digits starts from zero weights: ranked by nothing, its first two
    pixels, dead corners, would be the map). The model's saved activations are overwritten, which
    the next step's forward pass does anyway."""
    grads = trainer.params.grads
    saved = grads.copy()
    try:
        with np.errstate(all="ignore"):
            outputs = trainer.model.forward(np.asarray(trainer.data.x))
            trainer.loss.forward(outputs, np.asarray(trainer.data.y))
            trainer.model.backward(trainer.loss.backward(), False)
            if trainer.l1 or trainer.l2:  # as a step's update would use it
                trainer._add_penalty_grad(grads)
            return grads.copy()
    finally:
        np.copyto(grads, saved)


def random_plane(trainer: Trainer, seed: int = 0) -> Plane:
    """Two random directions, filter-normalised (Li et al. 2018, section 4).

    Each direction is drawn from a standard normal distribution (``default_rng(seed)``), then
    scaled unit by unit to the norm of that unit's weights now:

    - a weight matrix (a linear layer's ``weight``, shape (out, in)): each row, the weights into
      one output unit, is a unit (the paper's filter);
    - the other weights, tensors of one dimension or none (the polynomial's a, b, c, the chain
      rule's leaves), are one unit together: they are the inputs of one output, as a row is;
    - biases are left out, their directions 0, as the paper does and the loss-landscape code does
      with ``--xignore biasbn``: a bias has no weights of its own to take a scale from.

    A unit whose weights are all 0 gets a direction of 0. Two draws that came out parallel (a model
    whose units are single numbers can draw the same signs twice) are drawn again.
    """
    _require_plane(trainer)
    origin = _origin(trainer)
    units = _units(trainer)
    if not any(np.any(origin[unit]) for unit in units):
        raise GdsimError("every weight is 0 (biases aside), so directions scaled to the weights are 0: "
                         "take a step first, or choose two weights")
    rng = np.random.default_rng(seed)
    for _ in range(DRAWS):
        d1, d2 = (_filter_normalized(rng.standard_normal(origin.size), origin, units) for _ in range(2))
        if not _parallel(d1, d2):
            return Plane(origin, d1, d2, RANDOM, ("random direction 1", "random direction 2"))
    raise GdsimError("this model's random directions all lie on one line (it has one weight besides its "
                     "biases): choose two weights instead")


def _units(trainer: Trainer) -> list[np.ndarray]:
    """The flat indices of each unit ``random_plane`` scales by (biases in none)."""
    units, loose = [], []
    for p in trainer.params:
        if p.spec.role == "bias":
            continue
        positions = np.arange(p.offset, p.offset + p.size)
        if len(p.shape) >= 2:
            units.extend(positions.reshape(p.shape[0], -1))
        else:
            loose.append(positions)
    if loose:
        units.append(np.concatenate(loose))
    return units


def _filter_normalized(direction: np.ndarray, weights: np.ndarray, units: list[np.ndarray]) -> np.ndarray:
    out = np.zeros_like(direction)
    for unit in units:
        d = direction[unit]
        norm = np.linalg.norm(d)
        if norm > 0:
            out[unit] = d * (np.linalg.norm(weights[unit]) / norm)
    return out


def _parallel(d1: np.ndarray, d2: np.ndarray) -> bool:
    """Whether two directions span less than a plane (either is 0, or they are parallel)."""
    n1, n2 = np.linalg.norm(d1), np.linalg.norm(d2)
    if n1 == 0 or n2 == 0:
        return True
    return abs(float(np.dot(d1 / n1, d2 / n2))) > 1 - 1e-9


def pca_plane(trainer: Trainer, path: np.ndarray) -> Plane:
    """The two principal directions of ``path`` (shape (T, P): the weights at T steps of the run),
    through the weights now, as the loss-landscape code's PCA option takes them.

    The directions are unit vectors: the top two right singular vectors of the path minus its last
    point, centred on its mean (the code fits sklearn's PCA, which centres, to that difference).
    ``explained`` holds each one's share of the path's variance (sklearn's
    ``explained_variance_ratio_``). Each is signed so the run moves towards + along it (from the
    path's first point to its last), or, where it does not move along it at all, so its largest
    entry is positive. A straight path has one direction; the second is then some direction
    perpendicular to it, with a share of 0. Costs about T * P * min(T, P) operations: thin a long
    path of a big model first.
    """
    _require_plane(trainer)
    path = np.asarray(path, dtype=np.float64)
    if path.ndim != 2 or path.shape[1] != trainer.params.size:
        raise GdsimError(f"a path must be one row of {trainer.params.size} weights per step, not an "
                         f"array of shape {path.shape}")
    if not np.all(np.isfinite(path)):
        raise GdsimError("the path holds weights that are not finite numbers")
    # Relative to the last point first, as the loss-landscape code does: differences of nearby
    # weights are exact, and their mean keeps the digits a mean of the weights themselves would not.
    from_last = path - path[-1]
    if not from_last.any():
        raise GdsimError("the path has not moved: it has no principal directions yet")
    centred = from_last - from_last.mean(axis=0)
    _, singular, rows = np.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    shares = variance / variance.sum()
    moved = path[-1] - path[0]
    d1, d2 = (_signed(rows[k], moved) for k in (0, 1))  # min(T, P) >= 2 rows: there are two
    explained = (float(shares[0]), float(shares[1]))
    titles = tuple(f"PC {k + 1} ({share:.0%} of the path's spread)" for k, share in enumerate(explained))
    return Plane(_origin(trainer), d1, d2, PCA, titles, explained=explained)


def _signed(direction: np.ndarray, moved: np.ndarray) -> np.ndarray:
    # A singular vector's sign is arbitrary; fixing it keeps a plane the same from one call to the next.
    along = float(np.dot(direction, moved))
    if abs(along) <= 1e-12 * np.linalg.norm(moved):
        along = direction[np.argmax(np.abs(direction))]
    return -direction if along < 0 else direction.copy()


def coordinates(plane: Plane, points: np.ndarray) -> np.ndarray:
    """Where weights ``points`` (shape (T, P)) lie on ``plane``: shape (T, 2).

    For kind ``weights`` the two weights' values. Otherwise the least-squares solution of
    ``points - origin = a d1 + b d2`` (random directions are not orthogonal), so the origin is
    (0, 0), ``origin + 2 d1 - d2`` is (2, -1), and a point off the plane goes to its nearest point on it.
    """
    points = np.asarray(points, dtype=np.float64)
    if plane.kind == WEIGHTS:
        return points[:, list(plane.indices)]
    q, r = np.linalg.qr(np.stack([plane.d1, plane.d2], axis=1))
    out = np.empty((len(points), 2))
    rows = max(1, CHUNK_NUMBERS // max(plane.origin.size, 1))
    with np.errstate(all="ignore"):  # a diverged run's weights give inf or NaN, never a warning
        for start in range(0, len(points), rows):
            chunk = points[start:start + rows] - plane.origin
            out[start:start + rows] = np.linalg.solve(r, (chunk @ q).T).T
    return out


def extent(coords: np.ndarray, margin: float = EXTENT_MARGIN) -> tuple[tuple[float, float], tuple[float, float]]:
    """A box ((a_lo, a_hi), (b_lo, b_hi)) around the points ``coords`` (shape (T, 2): the path and
    the point now), square in the plane's units, widened by ``margin`` of its half-width on every
    side. Points that are not finite are left out. A single point (or none) gets a half-width of
    1 (a step of 1 along a random direction is as big as the weights themselves), or half its
    distance from 0 if that is more."""
    coords = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    coords = coords[np.all(np.isfinite(coords), axis=1)]
    if len(coords) == 0:
        centre, half = np.zeros(2), 0.0
    else:
        lo, hi = coords.min(axis=0), coords.max(axis=0)
        centre, half = (lo + hi) / 2, float(np.max(hi - lo)) / 2
    far = float(np.max(np.abs(centre)))
    if half > 1e-9 * max(1.0, far):
        half *= 1 + margin
    else:  # a single point: far from 0, a width its coordinates can tell apart in float64
        half = max(1.0, far / 2)
    (ca, cb) = (float(c) for c in centre)
    return (ca - half, ca + half), (cb - half, cb + half)


def loss_grid(trainer: Trainer, plane: Plane, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The training loss at each point (a[k], b[m]) of ``plane``: shape (len(b), len(a)).

    Over the whole training set (a mini-batch run's steps see part of it), with the run's loss and
    its L1/L2 penalty as a step computes them: loss(model(x), y) + l1 * sum|w| + l2 * w.w. Points
    where it is not finite are inf or NaN; no warning, no exception. The trainer is only read.
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if plane.origin.size != trainer.params.size:
        raise GdsimError(f"this plane is through {plane.origin.size} weights; the model has {trainer.params.size}")
    grid_a, grid_b = (g.ravel() for g in np.meshgrid(a, b))
    out = np.empty(grid_a.size)
    base, x, y = plane.base, np.asarray(trainer.data.x), np.asarray(trainer.data.y)
    penalized = trainer.l1 != 0.0 or trainer.l2 != 0.0
    with np.errstate(all="ignore"):
        predict = trainer.model.plane_predictor(x, base, plane.d1, plane.d2)
        step = _points_per_chunk(trainer)
        for start in range(0, grid_a.size, step):
            part = slice(start, start + step)
            ga, gb = grid_a[part], grid_b[part]
            out[part] = trainer.loss.many(predict(ga, gb), y)
            if penalized:
                out[part] += _penalties(trainer, base + ga[:, None] * plane.d1 + gb[:, None] * plane.d2)
    return out.reshape(len(b), len(a))


def _penalties(trainer: Trainer, weights: np.ndarray) -> np.ndarray:
    """``Trainer._penalty`` of each row of ``weights``."""
    return row_penalties(weights, trainer.l1, trainer.l2)


def _points_per_chunk(trainer: Trainer) -> int:
    # Each point's weights are made whole for the penalty, and an MLP's layers after the first
    # make theirs: at most P numbers.
    per_point = TEMPORARIES * trainer.model.plane_numbers(trainer.data.n_train) + trainer.params.size
    return max(1, CHUNK_NUMBERS // per_point)


def _origin(trainer: Trainer) -> np.ndarray:
    return np.array(trainer.params.values, dtype=np.float64)
