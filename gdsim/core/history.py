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

MAX_ROWS = 1 << 21


class _Column:
    """A growable array (optionally with a fixed row width)."""

    __slots__ = ("data", "n")

    def __init__(self, width: int | None = None, capacity: int = 1024, dtype=np.float64):
        shape = (capacity,) if width is None else (capacity, width)
        self.data = np.empty(shape, dtype=dtype)
        self.n = 0

    def grow(self, need: int) -> None:
        cap = self.data.shape[0]
        if need <= cap:
            return
        while cap < need:
            cap *= 2
        new = np.empty((cap,) + self.data.shape[1:], dtype=self.data.dtype)
        new[: self.n] = self.data[: self.n]
        self.data = new

    def view(self) -> np.ndarray:
        return self.data[: self.n]

    def keep(self, mask: np.ndarray) -> None:
        k = int(np.count_nonzero(mask))
        self.data[:k] = self.data[: self.n][mask]
        self.n = k


class History:
    def __init__(self, tensor_names: list[str], metric: str | None = None, track_tensor_norms: bool = False,
                 max_rows: int = MAX_ROWS):
        self.tensor_names = list(tensor_names)
        self.metric = metric
        self.track_tensor_norms = track_tensor_norms
        self.max_rows = max(16, int(max_rows))
        self.stride = 1  # only steps that are multiples of this are recorded (1 = every step)
        self.val_stride = 1  # likewise for validation rows, counted in rows
        self._step = _Column(dtype=np.int64)
        self._loss = _Column()
        self._grad_norm = _Column()
        self._metric = _Column()
        self._tensor_norms = _Column(width=len(self.tensor_names))
        self._val_step = _Column(dtype=np.int64)
        self._val_loss = _Column()
        self._val_metric = _Column()
        self._val_seen = 0

    def __len__(self) -> int:
        return self._step.n

    def _step_columns(self):
        cols = [self._step, self._loss, self._grad_norm]
        if self.metric is not None:
            cols.append(self._metric)
        if self.track_tensor_norms:
            cols.append(self._tensor_norms)
        return cols

    def _val_columns(self):
        return (self._val_step, self._val_loss, self._val_metric)

    def append(self, step: int, loss: float, grad_norm: float, metric: float | None = None,
               tensor_norms=None) -> None:
        if step % self.stride:
            return
        i = self._step.n
        if i == self.max_rows:
            self._thin()
            if step % self.stride:
                return
            i = self._step.n
        if i == self._step.data.shape[0]:
            for col in self._step_columns():
                col.grow(i + 1)
        self._step.data[i] = step
        self._loss.data[i] = loss
        self._grad_norm.data[i] = grad_norm
        self._step.n = self._loss.n = self._grad_norm.n = i + 1
        if self.metric is not None:
            self._metric.data[i] = np.nan if metric is None else metric
            self._metric.n = i + 1
        if self.track_tensor_norms:
            self._tensor_norms.data[i] = tensor_norms
            self._tensor_norms.n = i + 1

    def _thin(self) -> None:
        self.stride *= 2
        mask = self._step.view() % self.stride == 0
        for col in self._step_columns():
            col.keep(mask)

    def append_validation(self, step: int, loss: float, metric: float | None) -> None:
        seen = self._val_seen
        self._val_seen += 1
        if seen % self.val_stride:
            return
        i = self._val_step.n
        if i == self.max_rows:
            self.val_stride *= 2
            # Keep the rows of every val_stride-th validation, counted from the first.
            mask = np.arange(i) % 2 == 0
            for col in self._val_columns():
                col.keep(mask)
            if seen % self.val_stride:
                return
            i = self._val_step.n
        for col in self._val_columns():
            col.grow(i + 1)
        self._val_step.data[i] = step
        self._val_loss.data[i] = loss
        self._val_metric.data[i] = np.nan if metric is None else metric
        self._val_step.n = self._val_loss.n = self._val_metric.n = i + 1

    def truncate(self, steps: int) -> None:
        """Forget everything after step ``steps`` (used when a run is rewound)."""
        keep = int(np.searchsorted(self._step.view(), steps, side="right"))
        for col in self._step_columns():
            col.n = min(col.n, keep)
        keep = int(np.searchsorted(self._val_step.view(), steps, side="right"))
        for col in self._val_columns():
            col.n = keep
        self._val_seen = min(self._val_seen, keep * self.val_stride)

    def clear(self) -> None:
        for col in self._step_columns() + list(self._val_columns()):
            col.n = 0
        self.stride = self.val_stride = 1
        self._val_seen = 0

    # Read access: views of the recorded part (copy them before handing them to another thread).
    @property
    def steps(self) -> np.ndarray:
        return self._step.view()

    @property
    def loss(self) -> np.ndarray:
        return self._loss.view()

    @property
    def grad_norm(self) -> np.ndarray:
        return self._grad_norm.view()

    @property
    def metric_values(self) -> np.ndarray:
        return self._metric.view()

    @property
    def tensor_grad_norms(self) -> np.ndarray:
        return self._tensor_norms.view()

    @property
    def val_steps(self) -> np.ndarray:
        return self._val_step.view()

    @property
    def val_loss(self) -> np.ndarray:
        return self._val_loss.view()

    @property
    def val_metric(self) -> np.ndarray:
        return self._val_metric.view()

    def as_arrays(self) -> dict[str, np.ndarray]:
        """Copies of every column (and the thinning state), for saving."""
        out = {"step": self.steps.copy(), "loss": self.loss.copy(), "grad_norm": self.grad_norm.copy(),
               "stride": np.array([self.stride, self.val_stride, self._val_seen], dtype=np.int64)}
        if self.metric is not None:
            out["metric"] = self.metric_values.copy()
        if self.track_tensor_norms:
            out["tensor_grad_norms"] = self.tensor_grad_norms.copy()
        out["val_step"] = self.val_steps.copy()
        out["val_loss"] = self.val_loss.copy()
        out["val_metric"] = self.val_metric.copy()
        return out

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore ``as_arrays``; raises ValueError if the columns do not fit together."""
        n = len(arrays["step"])
        m = len(arrays["val_step"])
        wanted = ["loss", "grad_norm"] + (["metric"] if self.metric is not None else [])
        for key in wanted:
            if len(arrays[key]) != n:
                raise ValueError(f"history column {key!r} has {len(arrays[key])} rows, not {n}")
        for key in ("val_loss", "val_metric"):
            if len(arrays[key]) != m:
                raise ValueError(f"history column {key!r} has {len(arrays[key])} rows, not {m}")
        steps = np.asarray(arrays["step"])
        if n > self.max_rows or m > self.max_rows or (n and (np.any(np.diff(steps) <= 0) or steps[0] < 1)):
            raise ValueError("the history's steps are not in order")
        norms = arrays.get("tensor_grad_norms")
        if self.track_tensor_norms and (norms is None or norms.shape != (n, len(self.tensor_names))):
            raise ValueError("the history has no gradient norm for every tensor")
        stride, val_stride, val_seen = (int(v) for v in arrays["stride"])
        if stride < 1 or val_stride < 1 or val_seen < m:
            raise ValueError("the history's thinning state does not fit its rows")
        self.clear()
        for col in self._step_columns():
            col.grow(n)
        self._step.data[:n] = steps
        self._loss.data[:n] = arrays["loss"]
        self._grad_norm.data[:n] = arrays["grad_norm"]
        self._step.n = self._loss.n = self._grad_norm.n = n
        if self.metric is not None:
            self._metric.data[:n] = arrays["metric"]
            self._metric.n = n
        if self.track_tensor_norms:
            self._tensor_norms.data[:n] = norms
            self._tensor_norms.n = n
        for col, key in zip(self._val_columns(), ("val_step", "val_loss", "val_metric")):
            col.grow(m)
            col.data[:m] = arrays[key]
            col.n = m
        self.stride, self.val_stride, self._val_seen = stride, val_stride, val_seen

    def write_csv(self, path) -> None:
        """One row per recorded step: ``step,loss,grad_norm`` (+ metric, validation columns)."""
        from .history_csv import write_history_csv

        write_history_csv(path, self)
