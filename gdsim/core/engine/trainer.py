"""The training loop of the tutorials, one step at a time.

A step is exactly what a PyTorch tutorial writes:

    pred = model(x); loss = loss_fn(pred, y)   # the loss recorded for this step
    loss.backward()                            # ADDS into every .grad
    p -= lr * p.grad                           # (or the chosen optimizer)
    p.grad.zero_()                             # only when gradient zeroing is on

With zeroing off, step k updates with the sum of the gradients of steps 1..k,
the bug the tutorials warn about; it is reproduced, not approximated.

A step whose loss, gradient or new parameters are not finite is not taken:
everything (weights, gradient buffers, optimizer state, batch order, history)
stays as it was after the previous step, and the divergence is reported.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..choices import make_choice
from ..data.dataset import BatchSampler, Dataset
from ..record.history import History
from ..record.trace import DEFAULT_BUDGET, Trace
from ..settings import Settings
from .initializers import Initializer
from .losses import MSE, Loss
from .metrics import METRICS
from .models import Model
from .optimizers import OPTIMIZERS, Optimizer
from .parameter import ParameterSet

# |lr * g| below this cannot carry a weight past float64's largest number (1.8e308) in one step.
SAFE_STEP = 1e150
# Rows the trainer collects before writing them to the history: memory stays bounded in a call
# without a step limit. A model's squared gradients wait in blocks of at most SQUARES_PER_WRITE numbers.
ROWS_PER_WRITE = 4096
SQUARES_PER_WRITE = 1 << 16

STOP_STEPS = "steps"
STOP_TARGET_LOSS = "target_loss"
STOP_EARLY = "early_stopping"
STOP_DIVERGED = "diverged"


@dataclass(frozen=True)
class Divergence:
    step: int
    quantity: str  # "loss", "gradient" or "parameters"
    value: float

    @property
    def message(self) -> str:
        what = {
            "loss": f"the loss is {_fmt_nonfinite(self.value)}",
            "gradient": f"the gradient norm is {_fmt_nonfinite(self.value)}",
            "parameters": "the update made the parameters overflow",
        }[self.quantity]
        kept = "the initial weights" if self.step == 1 else f"the weights after step {self.step - 1}"
        return f"diverged at step {self.step}: {what}; {kept} are kept"


@dataclass(frozen=True)
class Stop:
    reason: str  # one of the STOP_* names
    step: int
    message: str
    divergence: Divergence | None = None


class _Generator:
    """``np.random.default_rng(seed)``, made when first used: the article's weights and constant
    initializers draw nothing, and NumPy's random module is 15 ms of ``gdsim run``'s start-up."""

    def __init__(self, seed: int):
        self._seed, self._made = seed, None

    def __getattr__(self, name):
        if self._made is None:
            self._made = np.random.default_rng(self._seed)
        return getattr(self._made, name)


def _robust_norm(v: np.ndarray) -> float:
    """The 2-norm when squaring overflows: inf or NaN only if an element is."""
    if not np.all(np.isfinite(v)):
        return float(np.sum(v))  # inf or nan, whichever the gradient holds
    biggest = float(np.max(np.abs(v)))
    scaled = v / biggest
    return biggest * math.sqrt(float(np.dot(scaled, scaled)))


def row_penalties(weights: np.ndarray, l1: float, l2: float) -> np.ndarray:
    """``Trainer._penalty`` of each row of ``weights`` (many runs' or points' weights at once: a
    landscape's grid, a stability map's cells): l1 * sum |w| + l2 * sum w**2."""
    total = np.zeros(len(weights))
    if l1:
        total += l1 * np.abs(weights).sum(axis=1)
    if l2:
        total += l2 * np.einsum("rw,rw->r", weights, weights)
    return total


def _fmt_nonfinite(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "infinite" if x > 0 else "-infinite"
    return f"{x:.6g} (overflow)"


class Note(NamedTuple):
    """What a lesson's watch saw at a step: ``mark`` a few words for a plot, ``text`` the whole of it."""

    step: int
    mark: str
    text: str


class Trainer:
    """Model, loss, optimizer and data, trained step by step.

    Settings that may change between any two steps are plain attributes:
    ``lr``, ``zero_grad``, ``l1``, ``l2``, ``max_steps``, ``until_loss``,
    ``patience``. The optimizer can be swapped with ``set_optimizer``.
    """

    def __init__(
        self,
        model: Model,
        loss: Loss,
        optimizer: Optimizer,
        data: Dataset,
        *,
        lr: float,
        initializer: Initializer,
        seed: int = 0,
        batch_size: int | None = None,
        zero_grad: bool = True,
        metric: str | None = None,
        l1: float = 0.0,
        l2: float = 0.0,
        max_steps: int | None = None,
        until_loss: float | None = None,
        patience: int | None = None,
        track_tensor_norms: bool = False,
        record_updates: bool = True,
        dtype=np.float64,
        settings: Settings | None = None,
        watch=None,
    ):
        # The choices this trainer was built from, kept in step with the live ones by ``apply``.
        self.settings = settings
        self.model = model
        self.params = ParameterSet(model.parameter_specs(), dtype=dtype)
        model.bind(self.params)
        self.loss = loss
        self.data = data
        self.initializer = initializer
        self.seed = int(seed)
        self.lr = float(lr)
        self.zero_grad = bool(zero_grad)
        self.l1 = float(l1)
        self.l2 = float(l2)
        self.max_steps = max_steps
        self.until_loss = until_loss
        self.patience = patience
        self.metric = metric
        self._metric_fn = METRICS[metric] if metric else None
        # RMSE is the square root of the MSE the loss has just computed: no second pass.
        self._rmse_from_loss = metric == "rmse" and isinstance(loss, MSE)
        self.history = History(self.params.names, metric, track_tensor_norms)
        self._batch_size = batch_size
        self.optimizer = optimizer
        self.optimizer.reset(self.params.size, self.params.dtype)

        n = self.params.size
        self.values_before = np.zeros(n, dtype=self.params.dtype)  # values before the last update
        self.update_grads = np.zeros(n, dtype=self.params.dtype)  # the gradient the last update used
        self._grads_saved = np.zeros(n, dtype=self.params.dtype)
        self._zeros = np.zeros(n, dtype=self.params.dtype)  # for the one-call finiteness check
        self._x = np.asarray(data.x)
        self._y = np.asarray(data.y)
        self.divergence: Divergence | None = None
        self.trace = None  # an optional Trace of chosen weights, recorded every step
        # Keep values_before and update_grads (the last update, for a person to read). A headless
        # run that only wants the loss and the final weights turns it off and saves two copies a step.
        self.record_updates = bool(record_updates)
        self.last_lr = self.lr  # the learning rate the last update used
        # A lesson's watch (activations.MicrogradTanhOverflow): after each forward pass,
        # ``watch.over(model)``; the first step of a run that crosses it gets ``watch.note``.
        self.watch = watch
        self.notes: list[Note] = []  # this run's

        self.draw_weights(self.seed)

    # ----- state -------------------------------------------------------------------------

    def draw_weights(self, seed: int) -> None:
        """Draw fresh initial weights from ``seed`` and start a new run on them."""
        self.seed = int(seed)
        self.initializer.fill(self.params, _Generator(self.seed))
        self._make_sampler()
        self.initial_values = self.params.values.copy()
        self.reset()

    def set_initial_weights(self, state: dict[str, np.ndarray]) -> None:
        """Start a new run from given weights (names and shapes already checked)."""
        self.params.load_state_dict(state)
        self.initial_values = self.params.values.copy()
        self.reset()

    def reset(self) -> None:
        """Back to the initial weights: same weights, same batch order, empty history."""
        np.copyto(self.params.values, self.initial_values)
        self.params.zero_grad()
        self._grads_zero = True
        self.optimizer.reset(self.params.size, self.params.dtype)
        self.sampler.reset()
        self.history.clear()
        np.copyto(self.values_before, self.params.values)
        self.update_grads.fill(0.0)
        self.step_count = 0
        self.epoch_count = 0
        self.notes = []
        self._watch_was_over: bool | None = False  # the start of a run is below any watch
        self.best_val_loss = math.inf
        self.best_val_step = 0
        self.epochs_since_best = 0
        self.divergence = None
        # What the last step printed (the history may skip steps once it is thinned).
        self.last_loss = self.last_grad_norm = self.last_metric = None
        if self.trace is not None:
            self.trace.clear(0)
            self.trace.record(0, self.params.values, self.update_grads)

    def start_trace(self, indices, budget: int = DEFAULT_BUDGET) -> Trace:
        """Record the value and gradient of the weights at ``indices`` (flat) from now on."""
        self.record_updates = True  # a trace records the gradient each update used
        self.trace = Trace(indices, self.step_count, budget)
        self.trace.record(self.step_count, self.params.values, self.update_grads)
        return self.trace

    def set_optimizer(self, optimizer: Optimizer) -> None:
        """Switch the update rule between steps; the new one starts with empty state."""
        optimizer.reset(self.params.size, self.params.dtype)
        self.optimizer = optimizer

    def apply(self, settings: Settings) -> None:
        """Take the settings that may change between two steps (``LIVE``): checked first, so a bad
        value changes nothing; a new optimizer starts with empty state. The rest of ``settings``
        must be what this trainer was built with."""
        settings.validate()
        optimizer = None
        if self.settings is None or settings.optimizer != self.settings.optimizer:
            optimizer = make_choice("optimizer", OPTIMIZERS, settings.optimizer)
        self.lr = float(settings.lr)
        if optimizer is not None:
            self.set_optimizer(optimizer)
        self.zero_grad = settings.zero_grad
        self.l1, self.l2 = settings.l1, settings.l2
        self.max_steps, self.until_loss = settings.steps or None, settings.until_loss
        self.patience = settings.patience if self.data.has_validation else None
        self.settings = settings

    def _make_sampler(self) -> None:
        self.sampler = self._new_sampler(self.seed)

    def _new_sampler(self, seed: int) -> BatchSampler:
        # Its own stream from the seed: drawing weights never shifts the batch order.
        return BatchSampler(self.data.n_train, self._batch_size, [seed, 1])  # SeedSequence([seed, 1])

    @property
    def batch_size(self) -> int:
        return self.sampler.batch_size

    # ----- the loop ------------------------------------------------------------------------

    def step(self) -> Divergence | None:
        """Take one training step. Returns the divergence if the step could not be taken."""
        stop = self.advance(1)
        return None if stop is None else stop.divergence

    def advance(self, n: int) -> Stop | None:
        """Take ``n`` steps whatever the stop conditions say (Step N past a limit, a replay);
        only a divergence ends them early, and its Stop is returned."""
        with np.errstate(all="ignore"):
            return self._steps(n, stops=False)

    def _steps(self, limit: int | None, stops: bool) -> Stop | None:
        """Up to ``limit`` steps (None: no limit); returns the Stop that ended them, if any.

        This is the hot path: everything that cannot change during one call (settings
        change only between calls) is looked up once, and each step is a fixed sequence
        of NumPy calls on preallocated buffers, with no Python objects made per step
        beyond the floats it records.
        """
        params = self.params
        values, grads = params.values, params.grads
        # One weight (the parabola): a NumPy call on it costs ten times the arithmetic it does.
        one_weight = params.size == 1 and params.dtype == np.float64
        forward, backward = self.model.forward, self.model.backward
        loss_forward, loss_backward = self.loss.forward, self.loss.backward
        optimizer = self.optimizer
        update, stateful = optimizer.update, bool(optimizer.state)
        sampler = self.sampler
        full_batch = sampler.full
        x, y = self._x, self._y
        lr, zero_grad = self.lr, self.zero_grad
        penalized = self.l1 != 0.0 or self.l2 != 0.0
        metric_fn, link = self._metric_fn, self.loss.link
        rmse_from_loss = metric_fn is not None and self._rmse_from_loss and not penalized
        history = self.history
        norms_wanted = history.track_tensor_norms
        one_tensor = len(params) == 1  # the parabola's x, the quadratic's params: no per-tensor sum
        trace = self.trace
        # Rows are collected and written a block at a time (and at the end of the call): writing
        # a row into the history's arrays costs more than a one-weight step, and summing each
        # tensor's squared gradient costs more than a small model's step. Numbers wait in lists;
        # rows of every weight (the gradient each update used, the weights after it) in blocks
        # allocated once, squared and summed per tensor when written. A list of small arrays
        # made into one at the write cost fruit and the quadratic a tenth of their step. A trace
        # of every weight is kept from these (one weight as numbers); a trace of a few weights of
        # a big model is written row by row, which costs what collecting it would.
        losses, grad_norms, metrics, squares = [], [], [], []
        trace_whole = trace is not None and trace.follows_all(params.size)
        traced_values, traced_grads = [], []  # a one-weight trace
        wide = norms_wanted or trace_whole  # rows of params.size numbers wait to be written
        rows_per_write = max(1, min(ROWS_PER_WRITE, SQUARES_PER_WRITE // params.size)) if wide else ROWS_PER_WRITE
        keep_grad_rows = (norms_wanted and not one_tensor) or (trace_whole and not one_weight)
        grad_rows = np.empty((rows_per_write, params.size), params.dtype) if keep_grad_rows else None
        value_rows = np.empty_like(grad_rows) if trace_whole and not one_weight else None

        def write_rows(last_step: int) -> None:
            n = len(losses)
            first = last_step - n + 1
            if not norms_wanted:
                sq_norms = None
            elif one_tensor:
                sq_norms = squares
            else:
                sq_norms = params.sums_per_tensor(grad_rows[:n] * grad_rows[:n])
            history.extend(first, losses, grad_norms, metrics, sq_norms)
            if trace_whole and one_weight:
                trace.extend(first, traced_values, traced_grads)
                traced_values.clear()
                traced_grads.clear()
            elif trace_whole:
                trace.extend(first, value_rows[:n], grad_rows[:n])
            for rows in (losses, grad_norms, metrics, squares):
                rows.clear()
        record = self.record_updates
        validate = self.data.has_validation
        values_before, update_grads, saved_grads = self.values_before, self.update_grads, self._grads_saved
        zeros = self._zeros
        isfinite, sqrt = math.isfinite, math.sqrt
        until = self.until_loss if stops else None
        watch_patience = stops and self.patience is not None and validate
        watch, was_over = self.watch, self._watch_was_over

        grads_zero = self._grads_zero  # every .grad is 0: backward can write instead of add
        step, epochs = self.step_count, self.epoch_count
        # The step limit is a bound on the loop rather than a test in it: stopping there is what
        # reaching it means, and check_stop below reports it as before.
        end = None if limit is None else step + limit
        if stops and self.max_steps is not None:
            end = self.max_steps if end is None else min(end, self.max_steps)
        last = None  # (loss, gradient norm, metric) of the last step taken in this call
        diverged = None  # (quantity, value, whether the gradients were touched)
        for step in (itertools.count(step + 1) if end is None else range(step + 1, end + 1)):
            if full_batch:
                xb, yb, ends_epoch = x, y, True
            else:
                idx, ends_epoch = sampler.next()
                xb, yb = x[idx], y[idx]

            out = forward(xb)  # read only before the update below: it may be a view of the weights
            if watch is not None:
                over = watch.over(self.model)
                if over and was_over is False and not self.notes:
                    self.notes.append(Note(step, watch.mark, watch.note))
                was_over = over
            loss = loss_forward(out, yb)
            if metric_fn is None:
                metric = None
            elif rmse_from_loss:
                metric = sqrt(loss) if loss >= 0 else math.nan
            else:
                metric = metric_fn(out, yb, link)
            if penalized:
                loss += self._penalty()
            if not isfinite(loss):
                diverged = ("loss", loss, False)
                break

            if not grads_zero:
                saved_grads[...] = grads  # what to restore if this step diverges
            backward(loss_backward(), not grads_zero)
            if penalized:
                self._add_penalty_grad(grads)
            if one_weight:  # BLAS's dot of one number is 0.0 + g * g: bit for bit g * g
                g = grads.item()
                sq = g * g
            else:  # ndarray.dot is np.dot without its Python-level dispatch: the same BLAS call
                sq = grads.dot(grads)
            grad_norm = sqrt(sq)
            if not isfinite(grad_norm):
                grad_norm = _robust_norm(grads)
                if not isfinite(grad_norm):
                    diverged = ("gradient", grad_norm, True)
                    break

            risky = grad_norm * lr > SAFE_STEP
            if record or risky:
                values_before[...] = values
            if stateful:
                optimizer.backup()
            update(values, grads, lr)
            # With a gradient norm below SAFE_STEP / lr no update rule here can take a finite
            # weight past float64's range (SGD moves it by at most lr * |g|; momentum by 1/(1-mu)
            # times that; AdaGrad, RMSProp and Adam by a few lr), so the weights are checked only
            # past that point. 0 * x is 0 for every finite x and NaN for inf or NaN: one call
            # checks them all, and unlike a sum or a norm it cannot overflow on finite weights.
            if risky and not isfinite(values.dot(zeros)):
                bad = float(values[~np.isfinite(values)][0])
                values[...] = values_before
                if stateful:
                    optimizer.restore()
                diverged = ("parameters", bad, True)
                break

            if record:
                update_grads[...] = grads
            if grad_rows is not None:
                grad_rows[len(losses)] = grads  # what the update used
            if norms_wanted and one_tensor:
                if isfinite(sq):  # the only tensor's squared norm is the whole one's
                    squares.append(sq)
                else:
                    squares.append(float(np.sum(grads * grads)))  # summed as tensor_sq_norms sums
            if zero_grad:
                grads.fill(0.0)
            grads_zero = zero_grad
            if trace_whole:
                if one_weight:
                    traced_values.append(values.item())
                    traced_grads.append(g)  # what the update used
                else:
                    value_rows[len(losses)] = values
            elif trace is not None:
                trace.record(step, values, update_grads)
            last = (loss, grad_norm, metric)
            losses.append(loss)
            grad_norms.append(grad_norm)
            metrics.append(metric)
            if len(losses) == rows_per_write:
                write_rows(step)

            if ends_epoch:
                epochs += 1
                if validate:
                    self.step_count, self.epoch_count = step, epochs
                    self._validate_epoch()
                    if watch_patience and self.epochs_since_best >= self.patience:
                        break
            if until is not None and loss < until:
                break

        # Counters and rows live in locals while the loop runs; write them back once.
        if diverged is not None:
            step -= 1  # the step that diverged was not taken
        write_rows(step)
        self.step_count, self.epoch_count = step, epochs
        self._grads_zero = grads_zero
        self._watch_was_over = was_over
        if last is not None:
            self.last_loss, self.last_grad_norm, self.last_metric = last
            self.last_lr = lr
            self.divergence = None
        if diverged is not None:
            return self._stop_diverged(step + 1, *diverged)
        return self.check_stop() if stops else None

    def _stop_diverged(self, step: int, quantity: str, value: float, grads_touched: bool) -> Stop:
        divergence = self._diverged(step, quantity, value, grads_touched)
        return Stop(STOP_DIVERGED, self.step_count, divergence.message, divergence)

    def _diverged(self, step: int, quantity: str, value: float, grads_touched: bool) -> Divergence:
        if grads_touched:  # back to what .grad held before the step
            if self._grads_zero:
                self.params.grads.fill(0.0)
            else:
                np.copyto(self.params.grads, self._grads_saved)
        self.sampler.undo()
        self.divergence = Divergence(step, quantity, float(value))
        return self.divergence

    def _penalty(self) -> float:
        v = self.params.values
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.sum(np.abs(v)))
        if self.l2:
            total += self.l2 * float(np.dot(v, v))
        return total

    def _add_penalty_grad(self, grads: np.ndarray) -> None:
        v = self.params.values
        if self.l1:
            grads += self.l1 * np.sign(v)
        if self.l2:
            grads += (2.0 * self.l2) * v

    def _validate_epoch(self) -> None:
        loss, metric = self.evaluate("val")
        self.history.append_validation(self.step_count, loss, metric)
        if loss < self.best_val_loss:
            self.best_val_loss = loss
            self.best_val_step = self.step_count
            self.epochs_since_best = 0
        else:
            self.epochs_since_best += 1

    # ----- many steps ----------------------------------------------------------------------

    def run(self, limit: int | None = None) -> Stop | None:
        """Step until a stop condition holds, or ``limit`` steps were taken.

        Returns the ``Stop`` that ended training, or None when ``limit`` ran
        out first. A stop condition that already holds returns at once.
        """
        stop = self.check_stop()
        if stop is not None:
            return stop
        with np.errstate(all="ignore"):
            return self._steps(limit, stops=True)

    def check_stop(self) -> Stop | None:
        """The first stop condition that holds now, if any."""
        n = self.step_count
        if self.until_loss is not None and self.last_loss is not None:
            last = self.last_loss
            if last < self.until_loss:
                return Stop(STOP_TARGET_LOSS, n,
                            f"loss {last:.6g} fell below the target {self.until_loss:g} at step {n}")
        if self.patience is not None and self.data.has_validation and self.epochs_since_best >= self.patience:
            return Stop(STOP_EARLY, n,
                        f"validation loss has not improved for {self.epochs_since_best} epochs "
                        f"(best {self.best_val_loss:.6g} after step {self.best_val_step}); stopped at step {n}")
        if self.max_steps is not None and n >= self.max_steps:
            return Stop(STOP_STEPS, n, f"reached the step limit of {self.max_steps}")
        return None

    # ----- saving and restoring a run ------------------------------------------------------------

    def get_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """Everything needed to continue this run exactly: (plain values, arrays).

        Arrays are copies. Restoring them with ``set_state`` into a trainer built from the
        same settings gives, step for step and bit for bit, the run this one would have.
        """
        scalars, arrays = self.checkpoint()
        scalars.update({
            "history_metric": self.history.metric,
            "track_tensor_norms": self.history.track_tensor_norms,
            "trace": None if self.trace is None else self.trace.get_state()[0],
        })
        for key, value in self.history.as_arrays().items():
            arrays[f"history.{key}"] = value
        if self.trace is not None:
            for key, value in self.trace.get_state()[1].items():
                arrays[f"trace.{key}"] = value
        return scalars, arrays

    def checkpoint(self) -> tuple[dict, dict[str, np.ndarray]]:
        """What the next step depends on, without the records of the steps so far (the history
        and the trace): ``get_state`` less those. ``restore`` puts it back."""
        scalars = {
            "seed": self.seed, "lr": self.lr, "last_lr": self.last_lr, "zero_grad": self.zero_grad,
            "step_count": self.step_count, "epoch_count": self.epoch_count,
            "best_val_loss": self.best_val_loss, "best_val_step": self.best_val_step,
            "epochs_since_best": self.epochs_since_best,
            "last": [self.last_loss, self.last_grad_norm, self.last_metric],
            "optimizer_keys": sorted(self.optimizer.state),
            "sampler": {k: v for k, v in self.sampler.get_state().items() if k != "order"},
        }
        arrays = {
            "values": self.params.values.copy(), "grads": self.params.grads.copy(),
            "initial_values": self.initial_values.copy(), "values_before": self.values_before.copy(),
            "last_grads": self.update_grads.copy(),  # the name session files (format 1) use
        }
        for key, value in self.optimizer.state.items():
            arrays[f"optimizer.{key}"] = np.array(value, copy=True)
        order = self.sampler.get_state()["order"]
        if order is not None:
            arrays["sampler.order"] = order
        return scalars, arrays

    def restore(self, scalars: dict, arrays: dict[str, np.ndarray]) -> None:
        """Go back (or on) to a ``checkpoint`` of this run, taken with the live settings this
        trainer has now (``apply`` them first). The history and the trace start again empty
        from that step: the steps taken from here are recorded, the ones before are not."""
        optimizer_state = {key: arrays[f"optimizer.{key}"] for key in scalars["optimizer_keys"]}
        self._assign(scalars, arrays, self._sampler_from(scalars, arrays), optimizer_state, self.history.empty_like(), None)

    def _sampler_from(self, scalars: dict, arrays: dict) -> BatchSampler:
        sampler = self._new_sampler(scalars["seed"])
        sampler.set_state(dict(scalars["sampler"], order=arrays.get("sampler.order")))
        return sampler



    def set_state(self, scalars: dict, arrays: dict[str, np.ndarray]) -> None:
        """Restore ``get_state``'s output. Raises ValueError (with what does not fit) and changes
        nothing if the state does not belong to a trainer built like this one, or holds what no
        run of it could have reached. ``scalars`` have the types ``get_state`` gives them (a
        session's reader checks those); this checks how they fit together and with ``arrays``."""
        n = self.params.size
        for key in ("values", "grads", "initial_values", "values_before", "last_grads"):
            if arrays[key].shape != (n,):
                raise ValueError(f"{key} has {arrays[key].size} numbers; this model has {n} weights")
            if not np.all(np.isfinite(arrays[key])):
                raise ValueError(f"{key} holds numbers that are not finite")
        steps, epochs = scalars["step_count"], scalars["epoch_count"]
        if not (0 <= epochs <= steps and 0 <= scalars["best_val_step"] <= steps
                and 0 <= scalars["epochs_since_best"] <= epochs):
            raise ValueError("its step and epoch counters do not fit together")
        optimizer_state = self._checked_optimizer_state(scalars, arrays, steps)
        history = self.history.empty_like()
        history.load_arrays({k[len("history."):]: v for k, v in arrays.items() if k.startswith("history.")})
        recorded = history.steps
        if len(recorded) and recorded[-1] > steps or len(history.val_steps) and history.val_steps[-1] > steps:
            raise ValueError(f"the history goes past step {steps}")
        if history.stride == 1 and len(recorded) != steps:
            raise ValueError(f"the history does not have one row for each of the {steps} steps")
        trace = None
        if scalars.get("trace") is not None:
            trace = Trace.from_state(scalars["trace"], {k[len("trace."):]: v for k, v in arrays.items()
                                                        if k.startswith("trace.")}, n, steps)
        sampler = self._sampler_from(scalars, arrays)

        # Every check passed: now change things.
        self._assign(scalars, arrays, sampler, optimizer_state, history, trace)

    def _assign(self, scalars, arrays, sampler, optimizer_state, history, trace) -> None:
        self.seed = int(scalars["seed"])
        self.sampler = sampler
        np.copyto(self.params.values, arrays["values"])
        np.copyto(self.params.grads, arrays["grads"])
        self.initial_values = np.array(arrays["initial_values"], dtype=self.params.dtype)
        np.copyto(self.values_before, arrays["values_before"])
        np.copyto(self.update_grads, arrays["last_grads"])
        for key, value in optimizer_state.items():
            self.optimizer.state[key][...] = value
        self.lr = float(scalars["lr"])
        self.last_lr = float(scalars["last_lr"])
        self.zero_grad = bool(scalars["zero_grad"])
        self.step_count = int(scalars["step_count"])
        self.epoch_count = int(scalars["epoch_count"])
        self.best_val_loss = float(scalars["best_val_loss"])
        self.best_val_step = int(scalars["best_val_step"])
        self.epochs_since_best = int(scalars["epochs_since_best"])
        self.history = history
        self._grads_zero = not self.params.grads.any()
        self.last_loss, self.last_grad_norm, self.last_metric = (None if v is None else float(v)
                                                                 for v in scalars["last"])
        self.trace = trace
        self.divergence = None
        self.notes = []
        self._watch_was_over = None  # unknown: a run resumed past its start may be over already

    def _checked_optimizer_state(self, scalars: dict, arrays: dict, steps: int) -> dict[str, np.ndarray]:
        opt_keys = sorted(self.optimizer.state)
        if list(scalars["optimizer_keys"]) != opt_keys:
            raise ValueError(f"the optimizer state holds {scalars['optimizer_keys']}, "
                             f"but {self.optimizer.name} keeps {opt_keys}")
        state = {}
        for key in opt_keys:
            value = np.asarray(arrays[f"optimizer.{key}"])
            if value.shape != np.shape(self.optimizer.state[key]):
                raise ValueError(f"optimizer state {key!r} has the wrong shape")
            if np.any(np.isnan(value)) or (key == "step" and not 0 <= int(value) <= steps):
                raise ValueError(f"optimizer state {key!r} holds numbers no run reaches")
            state[key] = value
        return state

    # ----- reading the model ------------------------------------------------------------------

    def evaluate(self, split: str, outputs: np.ndarray | None = None) -> tuple[float, float | None]:
        """Loss (without penalties) and metric on the current weights of ``split`` ("train" or
        "val"), nothing recorded. A run without a validation split has no "val" to give.
        ``outputs``: the model's outputs on that split, if the caller has them already (``predict``)."""
        if split == "val":
            if not self.data.has_validation:
                raise ValueError("this run has no validation split")
            x, y = self.data.x_val, self.data.y_val
        elif split == "train":
            x, y = self._x, self._y
        else:
            raise ValueError(f"split must be 'train' or 'val', not {split!r}")
        with np.errstate(all="ignore"):
            out = self.model.predict(x) if outputs is None else outputs
            loss = self.loss.forward(out, y)
            metric = self._metric_fn(out, y, self.loss.link) if self._metric_fn is not None else None
        return loss, metric

    def predict(self, x: np.ndarray | None = None) -> np.ndarray:
        """Raw model outputs (logits for classifiers) on ``x`` or the training inputs."""
        with np.errstate(all="ignore"):
            return self.model.predict(self._x if x is None else x)

