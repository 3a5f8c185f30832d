"""A stability map: SGD with momentum over a grid of learning rates and momenta, one run a cell.

Each cell (momentum ``momenta[i]``, learning rate ``lrs[j]``) is the run ``cell_settings`` gives:
the lesson's settings with that learning rate, ``momentum:MU`` (``sgd`` for 0) and ``steps``
steps, from the same initial weights through the same batches. All the cells are trained at once
as NumPy arrays, each step the engine's step (``Trainer``) in the engine's order of operations:
the loss, its finiteness, the gradient (accumulated when zeroing is off, with any L1 and L2
penalty), its finiteness, the update, the new weights' finiteness. A step that fails a check is
not taken and the cell's run ends there with the engine's ``Divergence``. The two lessons' models
are linear in their weights (the parabola's ``x``; the quadratic's ``a``, ``b``, ``c``), so their
predictions are ``design @ weights`` and every cell steps in one matrix product; the parabola's
cells equal the engine's runs bit for bit, the quadratic's to the last few bits (its sums go
through BLAS in another order).

What a cell shows is what the window shows after that run: ``final_loss`` is the history's last
loss (the loss at the weights before the last step taken, which the status line prints), and a
run that diverged shows its last loss before the step that was refused.

**Why momentum's bound is lr < 2(1 + mu)/lambda.** On a quadratic with curvature ``lambda`` along
an eigenvector (the parabola ``x**2`` has ``lambda = 2``), PyTorch's momentum ``v = mu v + g;
x -= lr v`` with ``g = lambda x`` gives, since ``x_k - x_{k-1} = -lr v_k``,

    x_{k+1} = x_k - lr*lambda*x_k + mu*(x_k - x_{k-1}),   roots of z**2 - (1 + mu - lr*lambda) z + mu.

Both roots lie inside the unit circle (Jury's conditions: ``mu < 1``, ``lr*lambda > 0`` and
``1 + (1 + mu - lr*lambda) + mu > 0``) exactly when ``0 < lr*lambda < 2(1 + mu)``: Goh's bound in
"Why Momentum Really Works" (Distill, 2017), whose ``alpha, beta`` are this ``lr, mu``. For the
parabola that is ``lr < 1 + mu``; plain SGD (``mu = 0``) diverges above ``lr = 1``. At the bound
itself one root is -1: x bounces for ever. The quadratic's steepest direction has ``lambda`` =
56,499 (the largest eigenvalue of its MSE's Hessian), so there ``lr < 3.54e-5 * (1 + mu)``.

**The regimes** (``REGIMES``), each a fact about the ``steps`` steps the cell was trained:

- ``diverges``: the engine refused a step (a loss, gradient or weight not finite), or the last
  loss is above every loss before it: still climbing when the steps ran out. Goh's *divergence*,
  a root beyond -1. Within a bound ``lr*lambda < 2(1 + mu)`` a run can climb for a while (at
  ``mu`` = 0.9 the first step near the bound multiplies x by -2.8) but then falls back below its
  peak; with 100 steps the parabola's cells follow the bound to within 0.01% of ``lr`` for every
  momentum up to 0.99, while 20 steps mislabel cells at half the bound for momentum 0.99.
- ``oscillates``: otherwise, if the loss rose at some step, or a step pointed back against the
  one before (the weights went back and forth past the minimum). Goh's *ripples* (complex roots:
  the iterates spiral in at the rate sqrt(mu)) and *monotonic oscillations* (a negative root: x
  flips sign every step, as SGD does on the parabola above lr 0.5). It may have converged. With
  mini-batches the loss also goes up and down from one batch to the next, and that counts.
- ``converges``: otherwise, if the last loss is at most ``SLOW_FRACTION`` (1%) of the first.
  Goh's *monotonic decrease* (two positive real roots: x never crosses the minimum), fast enough.
- ``too slow``: the rest: a steady descent still above 1% of where it started.

The comparisons are exact, with no allowance for rounding: a parabola run in Goh's monotonic
region never shows a rise or a reversal, not even past where x**2 underflows to 0 (the tests
check 2,000 steps), and the quadratic's flattest direction keeps every steady run far from its
minimum for more than ``MAX_STEPS`` steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .engine.trainer import Divergence, Trainer, row_penalties
from .errors import GdsimError
from .scenarios import build_trainer, get_scenario
from .settings import NUMBERS, Number, Settings

DIVERGES, OSCILLATES, CONVERGES, TOO_SLOW = "diverges", "oscillates", "converges", "too slow"
REGIMES = (CONVERGES, TOO_SLOW, OSCILLATES, DIVERGES)  # ``StabilityMap.regime`` holds indices into this

SLOW_FRACTION = 0.01

# Steps of a map unless told: the quadratic lesson's own 100. The parabola's lesson takes 20, too few
# for momentum: at 0.99 it damps by sqrt(0.99) a step, and in 20 steps a run at half the bound is
# still climbing (see the module's docstring).
DEFAULT_STEPS = 100
MAX_STEPS = 10_000
MAX_AXIS = 256  # values of either grid
MAX_WORK = 10_000_000  # cells times steps: about 3 s of the quadratic's on a slow machine
# The lessons whose model is linear in its weights and whose loss is a sum or mean of squared errors:
# the runs the map trains as one matrix product.
SCENARIOS = ("parabola", "quadratic")
LOSSES = ("sse", "mse")

# Renard's R10 series: ten steps a decade, each about 1.26 times the last, in round numbers.
R10 = ("1", "1.25", "1.6", "2", "2.5", "3.15", "4", "5", "6.3", "8")
MOMENTA = tuple(round(0.03 * k, 2) for k in range(34))  # 0, 0.03, ..., 0.9, ..., 0.99

_STEPS = Number("steps of a stability map", whole=True, low=1, high=MAX_STEPS)
_QUANTITIES = ("loss", "gradient", "parameters")


@dataclass(frozen=True)
class StabilityMap:
    """The runs of a grid; cell ``(i, j)`` is momentum ``momenta[i]``, learning rate ``lrs[j]``
    (rows momenta, columns learning rates: an image with lr along x)."""

    settings: Settings  # resolved, with the map's steps; each cell's lr and optimizer are its own
    lrs: np.ndarray  # increasing
    momenta: np.ndarray  # increasing, in [0, 1)
    steps: int
    start_loss: float  # every run's first loss: the same weights and the same first batch
    final_loss: np.ndarray  # (n_momenta, n_lrs): the history's last loss; NaN where no step was taken
    diverged_at: np.ndarray  # (n_momenta, n_lrs): the step the engine refused (Divergence.step), -1 if none
    regime: np.ndarray  # (n_momenta, n_lrs): indices into REGIMES
    divergences: dict  # (i, j) -> the engine's Divergence, for the cells that diverged
    initial: np.ndarray  # the weights every cell starts from (flat): a cell's run starts there too

    def regime_name(self, i: int, j: int) -> str:
        return REGIMES[self.regime[i, j]]

    def divergence(self, i: int, j: int) -> Divergence | None:
        return self.divergences.get((i, j))


def stability_map(settings: Settings, lrs, momenta, steps: int | None = None, initial=None) -> StabilityMap:
    """Train every (momentum, learning rate) cell for ``steps`` steps (``DEFAULT_STEPS`` if None)
    with ``settings`` otherwise, from ``initial`` (flat weights; None: those the settings draw);
    their optimizer, lr, steps and target loss are the cells'. Raises GdsimError, saying what is
    wrong, for a grid or settings it cannot map."""
    lrs, momenta = _checked_lrs(lrs), _checked_momenta(momenta)
    steps = _STEPS.check(DEFAULT_STEPS if steps is None else steps)
    n_cells = len(lrs) * len(momenta)
    if n_cells * steps > MAX_WORK:
        raise GdsimError(f"a stability map trains at most {MAX_WORK:,} steps in all; {n_cells:,} cells "
                         f"of {steps:,} steps are {n_cells * steps:,}")
    trainer = _trainer(settings, steps)
    if initial is not None:
        _start_from(trainer, initial)
    start = trainer.initial_values.copy()
    design, target = _design(trainer)
    batches = _batches(trainer, design, target, steps)
    cells = _Cells(trainer, lrs, momenta)
    with np.errstate(all="ignore"):  # overflow is what the map is for: each cell's checks report it
        for step, batch in enumerate(batches, start=1):
            if not cells.step(step, *batch):
                break
    shape = (len(momenta), len(lrs))
    divergences = {divmod(c, len(lrs)): d for c, d in cells.divergences.items()}
    diverged_at = np.full(shape, -1, dtype=np.int64)
    for (i, j), d in divergences.items():
        diverged_at[i, j] = d.step
    return StabilityMap(
        settings=trainer.settings, lrs=_frozen(lrs), momenta=_frozen(momenta), steps=steps,
        start_loss=cells.start_loss, final_loss=_frozen(cells.last.reshape(shape)),
        diverged_at=_frozen(diverged_at), regime=_frozen(cells.regimes().reshape(shape)),
        divergences=divergences, initial=_frozen(start),
    )


def cell_settings(stability: StabilityMap, i: int, j: int) -> Settings:
    """The settings of cell ``(i, j)``'s run: trained in the window, they give that cell's numbers."""
    return stability.settings.replace(lr=float(stability.lrs[j]),
                                      optimizer=momentum_choice(float(stability.momenta[i])))


def momentum_choice(momentum: float) -> str:
    """``sgd`` for 0 (momentum 0 is SGD, and this is what the lessons call it), else ``momentum:MU``
    written so that it reads back as the same float."""
    return "sgd" if momentum == 0 else f"momentum:{momentum!r}"


def default_lrs(scenario: str) -> np.ndarray:
    """26 learning rates in round numbers, ten a decade, from a tenth of the lesson's own to 31.5
    times it: 0.01 to 3.15 for the parabola (whose bound is 1 + mu), 1e-6 to 3.15e-4 for the
    quadratic (3.54e-5 * (1 + mu))."""
    lr = get_scenario(scenario).resolve(Settings(scenario=scenario)).lr
    decade = math.floor(math.log10(lr))
    return np.array([float(f"{r}e{decade + d}") for d in (-1, 0) for r in R10]
                    + [float(f"{r}e{decade + 1}") for r in R10[:6]])


def default_momenta() -> np.ndarray:
    """0 to 0.99 in steps of 0.03 (34 values, among them 0.9 and 0.99, PyTorch's usual ones)."""
    return np.array(MOMENTA)


# ----- checking the request -----------------------------------------------------------------

def _grid(values, words: str) -> np.ndarray:
    try:
        grid = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise GdsimError(f"the {words} of a stability map must be numbers") from None
    if grid.ndim != 1 or grid.size == 0:
        raise GdsimError(f"a stability map needs a list of one or more {words}")
    if grid.size > MAX_AXIS:
        raise GdsimError(f"a stability map takes at most {MAX_AXIS} {words}, not {grid.size}")
    return grid


def _increasing(grid: np.ndarray, words: str) -> np.ndarray:
    down = np.flatnonzero(np.diff(grid) <= 0)
    if down.size:
        k = down[0]
        raise GdsimError(f"the {words} of a stability map must increase: {grid[k]:g} then {grid[k + 1]:g}")
    return grid


def _checked_lrs(lrs) -> np.ndarray:
    grid = _grid(lrs, "learning rates")
    for lr in grid:
        NUMBERS["lr"].check(float(lr))
    return _increasing(grid, "learning rates")


def _checked_momenta(momenta) -> np.ndarray:
    grid = _grid(momenta, "momenta")
    for mu in grid:
        if not 0.0 <= mu < 1.0:  # NaN fails this too
            raise GdsimError(f"momentum must be in [0, 1), not {mu:g}")
    return _increasing(grid, "momenta")


def _trainer(settings: Settings, steps: int) -> Trainer:
    if settings.scenario not in SCENARIOS:
        raise GdsimError(f"a stability map is drawn for the {' and '.join(SCENARIOS)} lessons, "
                         f"not {settings.scenario!r}")
    resolved = get_scenario(settings.scenario).resolve(settings)
    # Every cell runs its steps to the end, so the window's run of it stops where the map's did.
    trainer = build_trainer(resolved.replace(optimizer="sgd", steps=steps, until_loss=None))
    if trainer.loss.name not in LOSSES:
        raise GdsimError(f"a stability map trains the sum or the mean of squared errors "
                         f"({' or '.join(LOSSES)}), not the loss {resolved.loss!r}")
    return trainer


# ----- the runs ---------------------------------------------------------------------------------

def _start_from(trainer: Trainer, initial) -> None:
    values = np.asarray(initial, dtype=np.float64)
    if values.shape != (trainer.params.size,) or not np.all(np.isfinite(values)):
        raise GdsimError(f"a stability map starts from {trainer.params.size} finite weights")
    trainer.params.values[:] = values
    trainer.set_initial_weights(trainer.params.state_dict())


def _design(trainer: Trainer) -> tuple[np.ndarray, np.ndarray]:
    """(design, target): the model's predictions on the training rows are ``design @ weights``,
    found by predicting with each weight 1 and the others 0 (exact: a product with 0 or 1 is). The
    trainer's weights are left so: it is the map's own, and only its initial weights are used."""
    values = trainer.params.values
    columns = []
    for k in range(values.size):
        values.fill(0.0)
        values[k] = 1.0
        columns.append(np.ravel(trainer.predict()))
    return np.stack(columns, axis=1), np.ravel(trainer.data.y).astype(np.float64)


def _batches(trainer: Trainer, design: np.ndarray, target: np.ndarray, steps: int):
    """Each step's rows as (design rows transposed, targets): the trainer's own batch order."""
    sampler = trainer.sampler
    if sampler.full:
        full = (np.ascontiguousarray(design.T), target)
        return [full] * steps
    batches = []
    for _ in range(steps):
        rows, _ = sampler.next()
        batches.append((np.ascontiguousarray(design[rows].T), target[rows]))
    return batches


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


class _Cells:
    """Every cell's run, one row each (cell ``c`` is momentum ``c // n_lrs``, lr ``c % n_lrs``), and
    what its history has shown so far."""

    def __init__(self, trainer: Trainer, lrs: np.ndarray, momenta: np.ndarray):
        n = len(momenta) * len(lrs)
        self.lr = np.tile(lrs, len(momenta))[:, None]
        self.momentum = np.repeat(momenta, len(lrs))[:, None]
        self.mean = trainer.loss.name == "mse"
        self.accumulate = not trainer.zero_grad
        self.l1, self.l2 = trainer.l1, trainer.l2
        self.weights = np.tile(trainer.initial_values, (n, 1))
        self.grads = np.zeros_like(self.weights)
        self.buffer = np.zeros_like(self.weights)
        self.alive = np.ones(n, dtype=bool)
        self.divergences: dict[int, Divergence] = {}
        self.start_loss = math.nan
        self.last = np.full(n, np.nan)  # the history's last loss
        self.peak = np.full(n, np.nan)  # the highest loss before the last
        self.climbing = np.zeros(n, dtype=bool)  # the last loss is above every one before it
        self.rose = np.zeros(n, dtype=bool)
        self.turned = np.zeros(n, dtype=bool)
        self.update = np.zeros_like(self.weights)  # the last step taken

    def step(self, step: int, design_t: np.ndarray, target: np.ndarray) -> bool:
        """One training step of every cell still running; False once none is."""
        w = self.weights
        loss, grad_out = self._loss(w @ design_t - target)
        if self.l1 or self.l2:
            loss = loss + self._penalty(w)
        bad_loss = ~np.isfinite(loss)
        grads = grad_out @ design_t.T
        if self.accumulate:
            grads += self.grads
        if self.l1:
            grads += self.l1 * np.sign(w)
        if self.l2:
            grads += (2.0 * self.l2) * w
        bad_grad = ~bad_loss & ~np.isfinite(grads).all(axis=1)
        buffer = self.buffer * self.momentum + grads  # at momentum 0 the gradient: SGD's update ("sgd")
        update = buffer * self.lr
        # The engine looks at new weights only past a gradient of SAFE_STEP / lr, below which no update
        # here can overflow them: looking at every step finds the same steps.
        new = w - update
        bad_weights = ~bad_loss & ~bad_grad & ~np.isfinite(new).all(axis=1)
        self._diverged(step, loss, grads, new, bad_loss, bad_grad, bad_weights)
        took = self.alive & ~(bad_loss | bad_grad | bad_weights)
        self._record(step, took, loss, update)
        self.weights = np.where(took[:, None], new, w)
        self.buffer = np.where(took[:, None], buffer, self.buffer)
        self.grads = np.where(took[:, None], grads, self.grads)
        self.alive = took
        return bool(took.any())

    def _loss(self, error: np.ndarray):
        squares = np.einsum("cr,cr->c", error, error)
        if self.mean:
            n = error.shape[1]
            return squares / n, error * (2.0 / n)
        return squares, 2.0 * error

    def _penalty(self, w: np.ndarray) -> np.ndarray:
        return row_penalties(w, self.l1, self.l2)

    def _diverged(self, step, loss, grads, new, bad_loss, bad_grad, bad_weights) -> None:
        for quantity, bad, values in zip(_QUANTITIES, (bad_loss, bad_grad, bad_weights),
                                         (loss, grads.sum(axis=1), _first_nonfinite(new))):
            for c in np.flatnonzero(bad & self.alive):
                self.divergences[int(c)] = Divergence(step, quantity, float(values[c]))

    def _record(self, step: int, took: np.ndarray, loss: np.ndarray, update: np.ndarray) -> None:
        if step == 1:
            self.start_loss = float(loss[0])
            self.peak = np.where(took, loss, np.nan)
            self.last = self.peak.copy()
            self.update = update
            return
        self.rose |= took & (loss > self.last)
        self.climbing = np.where(took, loss > self.peak, self.climbing)
        self.peak = np.where(took, np.fmax(self.peak, loss), self.peak)
        self.last = np.where(took, loss, self.last)
        self.turned |= took & (np.einsum("cw,cw->c", update, self.update) < 0)
        self.update = np.where(took[:, None], update, self.update)

    def regimes(self) -> np.ndarray:
        regime = np.where(self.last <= SLOW_FRACTION * self.start_loss,
                          REGIMES.index(CONVERGES), REGIMES.index(TOO_SLOW))
        regime = np.where(self.rose | self.turned, REGIMES.index(OSCILLATES), regime)
        diverged = np.zeros_like(self.climbing)
        diverged[list(self.divergences)] = True
        return np.where(diverged | self.climbing, REGIMES.index(DIVERGES), regime).astype(np.int8)


def _first_nonfinite(weights: np.ndarray) -> np.ndarray:
    """Each row's first weight that is not finite (the engine names it), else its first weight."""
    first = np.argmax(~np.isfinite(weights), axis=1)
    return weights[np.arange(len(weights)), first]


def bound_lrs(stability: StabilityMap) -> np.ndarray:
    """For each momentum of the map, the learning rate past which full-batch gradient descent with
    that momentum diverges on this loss: 2 (1 + mu) / lambda, lambda the loss's largest curvature
    (the top eigenvalue of its Hessian, constant for squared errors of a model linear in its
    weights), an L2 penalty's 2*l2 included (L1's kink adds none away from 0)."""
    trainer = _trainer(stability.settings, 1)
    design, _ = _design(trainer)
    hessian = 2.0 * design.T @ design  # the sum of squared errors'
    if trainer.loss.name == "mse":
        hessian /= design.shape[0]  # a row of design per target number: the mean's count
    hessian += 2.0 * stability.settings.l2 * np.eye(hessian.shape[0])
    curvature = float(np.linalg.eigvalsh(hessian)[-1])
    return 2.0 * (1.0 + np.asarray(stability.momenta)) / curvature
