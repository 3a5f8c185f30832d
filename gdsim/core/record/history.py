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

from .columns import grown

MAX_ROWS = 1 << 21


class History:
    """Per-step columns (step, loss, grad_norm, [metric], [one norm per tensor]) sharing one
    row count, and validation columns (step, loss, metric) sharing another."""

    def __init__(self, tensor_names: list[str], metric: str | None = None, track_tensor_norms: bool = False,
                 max_rows: int = MAX_ROWS):
        self.tensor_names = list(tensor_names)
        self.metric = metric
        self.track_tensor_norms = track_tensor_norms
        self._max_rows = max(16, int(max_rows))
        self.stride = 1  # only steps that are multiples of this are recorded (1 = every step)
        self.val_stride = 1  # likewise for validation rows, counted in validations
        self._n = 0
        self._cap = min(1024, self.max_rows)
        self._step = np.empty(self._cap, dtype=np.int64)
        self._loss = np.empty(self._cap)
        self._grad_norm = np.empty(self._cap)
        self._metric = np.empty(self._cap) if metric is not None else None
        self._norms = np.empty((self._cap, len(self.tensor_names))) if track_tensor_norms else None
        self._vn = 0
        self._val_step = np.empty(64, dtype=np.int64)
        self._val_loss = np.empty(64)
        self._val_metric = np.empty(64)
        self._val_seen = 0

    def __len__(self) -> int:
        return self._n

    @property
    def max_rows(self) -> int:
        return self._max_rows

    @max_rows.setter
    def max_rows(self, rows: int) -> None:
        """A new budget takes effect at the next append (``_cap`` is the row that triggers it)."""
        self._max_rows = max(16, int(rows))
        self._cap = min(self._cap, self._max_rows)

    # The columns by name, for the operations that treat them all alike.
    def _columns(self) -> list[str]:
        names = ["_step", "_loss", "_grad_norm"]
        if self._metric is not None:
            names.append("_metric")
        if self._norms is not None:
            names.append("_norms")
        return names

    def append(self, step: int, loss: float, grad_norm: float, metric: float | None = None,
               tensor_sq_norms=None) -> None:
        """One step. ``tensor_sq_norms``: each tensor's squared gradient norm (the square root
        is taken when they are read, not on every step)."""
        if step % self.stride:
            return
        i = self._n
        if i >= self._cap:
            if i >= self._max_rows:
                while self._n >= self._max_rows:
                    self._thin()
                if step % self.stride:
                    return
                i = self._n
            else:
                self._grow(min(self._max_rows, 2 * self._cap))
        self._step[i] = step
        self._loss[i] = loss
        self._grad_norm[i] = grad_norm
        if self._metric is not None:
            self._metric[i] = np.nan if metric is None else metric
        if self._norms is not None:
            self._norms[i] = tensor_sq_norms
        self._n = i + 1

    def _grow(self, cap: int) -> None:
        cap = max(cap, self._n + 1)
        for name in self._columns():
            setattr(self, name, grown(getattr(self, name), self._n, cap))
        self._cap = cap

    def _thin(self) -> None:
        self.stride *= 2
        keep = self._step[: self._n] % self.stride == 0
        k = int(np.count_nonzero(keep))
        for name in self._columns():
            col = getattr(self, name)
            col[:k] = col[: self._n][keep]
        self._n = k

    def append_validation(self, step: int, loss: float, metric: float | None) -> None:
        seen = self._val_seen
        self._val_seen += 1
        if seen % self.val_stride:
            return
        i = self._vn
        if i >= self.max_rows:
            self.val_stride *= 2
            # Keep the rows of every val_stride-th validation, counted from the first.
            for name in ("_val_step", "_val_loss", "_val_metric"):
                col = getattr(self, name)
                col[: (i + 1) // 2] = col[:i:2]
            self._vn = i = (i + 1) // 2
            if seen % self.val_stride:
                return
        if i == self._val_step.shape[0]:
            for name in ("_val_step", "_val_loss", "_val_metric"):
                setattr(self, name, grown(getattr(self, name), i, 2 * i))
        self._val_step[i] = step
        self._val_loss[i] = loss
        self._val_metric[i] = np.nan if metric is None else metric
        self._vn = i + 1

    def truncate(self, steps: int) -> None:
        """Forget everything after step ``steps`` (used when a run is rewound)."""
        self._n = int(np.searchsorted(self._step[: self._n], steps, side="right"))
        self._vn = int(np.searchsorted(self._val_step[: self._vn], steps, side="right"))
        self._val_seen = min(self._val_seen, self._vn * self.val_stride)

    def clear(self) -> None:
        self._n = self._vn = self._val_seen = 0
        self.stride = self.val_stride = 1

    # Read access: views of the recorded part (copy them before handing them to another thread).
    @property
    def steps(self) -> np.ndarray:
        return self._step[: self._n]

    @property
    def loss(self) -> np.ndarray:
        return self._loss[: self._n]

    @property
    def grad_norm(self) -> np.ndarray:
        return self._grad_norm[: self._n]

    @property
    def metric_values(self) -> np.ndarray:
        return self._metric[: self._n] if self._metric is not None else np.empty(0)

    @property
    def tensor_grad_norms(self) -> np.ndarray:
        """Each tensor's gradient norm at each recorded step (a new array)."""
        return np.sqrt(self.tensor_grad_sq_norms)

    @property
    def tensor_grad_sq_norms(self) -> np.ndarray:
        return self._norms[: self._n] if self._norms is not None else np.empty((0, len(self.tensor_names)))

    @property
    def val_steps(self) -> np.ndarray:
        return self._val_step[: self._vn]

    @property
    def val_loss(self) -> np.ndarray:
        return self._val_loss[: self._vn]

    @property
    def val_metric(self) -> np.ndarray:
        return self._val_metric[: self._vn]

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
        self.clear()
        if n > self._cap:
            self._grow(max(n, min(self.max_rows, 2 * n)))
        self._step[:n] = steps
        self._loss[:n] = arrays["loss"]
        self._grad_norm[:n] = arrays["grad_norm"]
        if self._metric is not None:
            self._metric[:n] = arrays["metric"]
        if self._norms is not None:
            self._norms[:n] = norms
        self._n = n
        size = max(64, m)
        self._val_step = np.empty(size, dtype=np.int64)
        self._val_loss = np.empty(size)
        self._val_metric = np.empty(size)
        self._val_step[:m] = arrays["val_step"]
        self._val_loss[:m] = arrays["val_loss"]
        self._val_metric[:m] = arrays["val_metric"]
        self._vn = m
        self.stride, self.val_stride, self._val_seen = stride, val_stride, val_seen


def _rising(steps: np.ndarray) -> bool:
    """Steps of a history: one column of whole numbers from 1 up, each greater than the last."""
    return steps.ndim == 1 and (steps.size == 0 or (steps[0] >= 1 and bool(np.all(np.diff(steps) > 0))))


def _power_of_two(n: int) -> bool:
    return n >= 1 and not n & (n - 1)
