"""What happened at every step, in preallocated arrays that grow by doubling.

Each row holds what a tutorial loop prints at one step: the step number, the
loss computed BEFORE that step's update, and the norm of the gradient the
update used (accumulated over earlier steps when gradients are not zeroed).
Validation results arrive once per epoch and are kept apart, each with the
step after which it was measured.

Memory stays bounded however long a run goes: past ``max_rows`` rows every
other row is dropped and from then on only every second step is recorded
(then every fourth, ...), so the history always spans the whole run, evenly
thinned; ``stride`` says how. Until then (two million steps by default) row
``i`` is step ``i + 1``.
"""

from __future__ import annotations

import numpy as np

from .columns import ThinnedColumns

MAX_ROWS = 1 << 21


class History:
    """Per-step columns (step, loss, grad_norm, [metric], [one norm per tensor]) sharing one
    row count, and validation columns (step, loss, metric) sharing another, each a
    ``ThinnedColumns`` (the validations keyed by how many there have been)."""

    def __init__(self, tensor_names: list[str], metric: str | None = None, track_tensor_norms: bool = False,
                 max_rows: int = MAX_ROWS):
        self.tensor_names = list(tensor_names)
        self.metric = metric
        self.track_tensor_norms = track_tensor_norms
        columns = {"step": ((), np.int64), "loss": ((), np.float64), "grad_norm": ((), np.float64)}
        if metric is not None:
            columns["metric"] = ((), np.float64)
        if track_tensor_norms:
            columns["norms"] = ((len(self.tensor_names),), np.float64)
        self._rows = ThinnedColumns(columns, key="step", budget=max_rows)
        self._val = ThinnedColumns({"seen": ((), np.int64), "step": ((), np.int64), "loss": ((), np.float64),
                                    "metric": ((), np.float64)}, key="seen", budget=max_rows)
        self._val_seen = 0  # validations so far, kept or not

    def __len__(self) -> int:
        return self._rows.n

    @property
    def max_rows(self) -> int:
        return self._rows.budget

    @max_rows.setter
    def max_rows(self, rows: int) -> None:
        """A new budget takes effect at the next append."""
        self._rows.budget = self._val.budget = rows

    @property
    def stride(self) -> int:
        """Only steps that are multiples of this are recorded (1: every step)."""
        return self._rows.stride

    @property
    def val_stride(self) -> int:
        return self._val.stride

    def append(self, step: int, loss: float, grad_norm: float, metric: float | None = None,
               tensor_sq_norms=None) -> None:
        """One step. ``tensor_sq_norms``: each tensor's squared gradient norm (the square root
        is taken when they are read, not on every step)."""
        rows = self._rows
        i = rows.slot(step)
        if i < 0:
            return
        a = rows.arrays
        a["step"][i] = step
        a["loss"][i] = loss
        a["grad_norm"][i] = grad_norm
        if self.metric is not None:
            a["metric"][i] = np.nan if metric is None else metric
        if self.track_tensor_norms:
            a["norms"][i] = tensor_sq_norms

    def extend(self, first_step: int, losses: list, grad_norms: list, metrics: list | None = None,
               tensor_sq_norms: list | None = None) -> None:
        """Consecutive steps from ``first_step``, one list entry each, as ``append`` would keep them
        one by one (a metric of None is NaN)."""
        n = len(losses)
        if n == 0:
            return
        columns = {"step": np.arange(first_step, first_step + n, dtype=np.int64),
                   "loss": np.array(losses, dtype=np.float64), "grad_norm": np.array(grad_norms, dtype=np.float64)}
        if self.metric is not None:
            columns["metric"] = np.array([np.nan] * n if metrics is None else metrics, dtype=np.float64)
        if self.track_tensor_norms:
            columns["norms"] = np.array(tensor_sq_norms, dtype=np.float64).reshape(n, len(self.tensor_names))
        self._rows.extend(columns)

    def append_validation(self, step: int, loss: float, metric: float | None) -> None:
        seen = self._val_seen
        self._val_seen += 1
        i = self._val.slot(seen)
        if i < 0:
            return
        a = self._val.arrays
        a["seen"][i] = seen
        a["step"][i] = step
        a["loss"][i] = loss
        a["metric"][i] = np.nan if metric is None else metric

    def truncate(self, steps: int) -> None:
        """Forget everything after step ``steps`` (used when a run is rewound)."""
        self._rows.n = int(np.searchsorted(self.steps, steps, side="right"))
        self._val.n = int(np.searchsorted(self.val_steps, steps, side="right"))
        self._val_seen = min(self._val_seen, self._val.n * self.val_stride)

    def empty_like(self) -> "History":
        """A new, empty history recording the same columns."""
        return History(self.tensor_names, self.metric, self.track_tensor_norms, self.max_rows)

    def until(self, steps: int) -> "History":
        """A copy holding the rows up to step ``steps`` (a branch that goes on from there)."""
        other = self.empty_like()
        other.load_arrays(self.as_arrays())
        other.truncate(steps)
        return other

    def clear(self) -> None:
        self._rows.clear()
        self._val.clear()
        self._val_seen = 0

    # Read access: views of the recorded part (copy them before handing them to another thread).
    @property
    def steps(self) -> np.ndarray:
        return self._rows["step"]

    @property
    def loss(self) -> np.ndarray:
        return self._rows["loss"]

    @property
    def grad_norm(self) -> np.ndarray:
        return self._rows["grad_norm"]

    @property
    def metric_values(self) -> np.ndarray:
        return self._rows["metric"] if self.metric is not None else np.empty(0)

    @property
    def tensor_grad_norms(self) -> np.ndarray:
        """Each tensor's gradient norm at each recorded step (a new array)."""
        return np.sqrt(self.tensor_grad_sq_norms)

    @property
    def tensor_grad_sq_norms(self) -> np.ndarray:
        return self._rows["norms"] if self.track_tensor_norms else np.empty((0, len(self.tensor_names)))

    @property
    def val_steps(self) -> np.ndarray:
        return self._val["step"]

    @property
    def val_loss(self) -> np.ndarray:
        return self._val["loss"]

    @property
    def val_metric(self) -> np.ndarray:
        return self._val["metric"]

    def as_arrays(self) -> dict[str, np.ndarray]:
        """Copies of every column (and the thinning state), for saving."""
        out = {"step": self.steps.copy(), "loss": self.loss.copy(), "grad_norm": self.grad_norm.copy(),
               "stride": np.array([self.stride, self.val_stride, self._val_seen], dtype=np.int64)}
        if self.metric is not None:
            out["metric"] = self.metric_values.copy()
        if self.track_tensor_norms:
            out["tensor_grad_sq_norms"] = self.tensor_grad_sq_norms.copy()
        out["val_step"] = self.val_steps.copy()
        out["val_loss"] = self.val_loss.copy()
        out["val_metric"] = self.val_metric.copy()
        return out

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore ``as_arrays``; raises ValueError, changing nothing, if the columns do not fit
        together or hold what no run records (steps out of order, a loss that is not finite)."""
        n = len(arrays["step"])
        m = len(arrays["val_step"])
        wanted = ["loss", "grad_norm"] + (["metric"] if self.metric is not None else [])
        for key in wanted:
            if len(arrays[key]) != n:
                raise ValueError(f"history column {key!r} has {len(arrays[key])} rows, not {n}")
        for key in ("val_loss", "val_metric"):
            if len(arrays[key]) != m:
                raise ValueError(f"history column {key!r} has {len(arrays[key])} rows, not {m}")
        steps, val_steps = np.asarray(arrays["step"]), np.asarray(arrays["val_step"])
        if n > self.max_rows or m > self.max_rows or not (_rising(steps) and _rising(val_steps)):
            raise ValueError("the history's steps are not in order")
        norms = arrays.get("tensor_grad_sq_norms")
        if self.track_tensor_norms and (norms is None or norms.shape != (n, len(self.tensor_names))):
            raise ValueError("the history has no gradient norm for every tensor")
        # Steps that diverge are not recorded: what was recorded is finite (a metric may be NaN).
        if not (np.all(np.isfinite(arrays["loss"])) and np.all(np.isfinite(arrays["grad_norm"]))
                and np.all(arrays["grad_norm"] >= 0)
                and (self.metric is None or not np.any(np.isinf(arrays["metric"])))
                and (norms is None or np.all(norms >= 0))):
            raise ValueError("the history holds losses or gradient norms that no step records")
        if np.asarray(arrays["stride"]).shape != (3,):
            raise ValueError("the history's thinning state is damaged")
        stride, val_stride, val_seen = (int(v) for v in arrays["stride"])
        if (not (_power_of_two(stride) and _power_of_two(val_stride)) or val_seen < m
                or np.any(steps % stride) or (val_stride == 1 and val_seen != m)):
            raise ValueError("the history's thinning state does not fit its rows")
        columns = {"step": steps, "loss": arrays["loss"], "grad_norm": arrays["grad_norm"]}
        if self.metric is not None:
            columns["metric"] = arrays["metric"]
        if self.track_tensor_norms:
            columns["norms"] = norms
        self._rows.load(columns, stride)
        # The validations kept are every val_stride-th, counted from the first.
        self._val.load({"seen": np.arange(m, dtype=np.int64) * val_stride, "step": val_steps,
                        "loss": arrays["val_loss"], "metric": arrays["val_metric"]}, val_stride)
        self._val_seen = val_seen


def _rising(steps: np.ndarray) -> bool:
    """Steps of a history: one column of whole numbers from 1 up, each greater than the last."""
    return steps.ndim == 1 and (steps.size == 0 or (steps[0] >= 1 and bool(np.all(np.diff(steps) > 0))))


def _power_of_two(n: int) -> bool:
    return n >= 1 and not n & (n - 1)
