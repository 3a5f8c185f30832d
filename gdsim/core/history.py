"""What happened at every step, in preallocated arrays that grow by doubling.

Row ``i`` is step ``i + 1`` and holds what a tutorial loop prints at that
step: the loss computed BEFORE that step's update, and the norm of the
gradient the update used (accumulated over earlier steps when gradients are
not zeroed). Validation results arrive once per epoch and are kept apart,
each with the step after which it was measured.
"""

from __future__ import annotations

import numpy as np


class _Column:
    """A growable float64 array (optionally with a fixed row width)."""

    __slots__ = ("data", "n", "width")

    def __init__(self, width: int | None = None, capacity: int = 1024):
        self.width = width
        shape = (capacity,) if width is None else (capacity, width)
        self.data = np.empty(shape, dtype=np.float64)
        self.n = 0

    def grow(self, need: int) -> None:
        cap = self.data.shape[0]
        if need <= cap:
            return
        while cap < need:
            cap *= 2
        new = np.empty((cap,) + self.data.shape[1:], dtype=np.float64)
        new[: self.n] = self.data[: self.n]
        self.data = new

    def view(self) -> np.ndarray:
        return self.data[: self.n]

    def clear(self) -> None:
        self.n = 0


class History:
    def __init__(self, tensor_names: list[str], metric: str | None = None, track_tensor_norms: bool = False):
        self.tensor_names = list(tensor_names)
        self.metric = metric
        self.track_tensor_norms = track_tensor_norms
        self._loss = _Column()
        self._grad_norm = _Column()
        self._metric = _Column()
        self._tensor_norms = _Column(width=len(self.tensor_names))
        self._val_step = _Column()
        self._val_loss = _Column()
        self._val_metric = _Column()

    def __len__(self) -> int:
        return self._loss.n

    def append(self, loss: float, grad_norm: float, metric: float | None = None, tensor_norms=None) -> None:
        i = self._loss.n
        if i == self._loss.data.shape[0]:
            for col in self._step_columns():
                col.grow(i + 1)
        self._loss.data[i] = loss
        self._grad_norm.data[i] = grad_norm
        self._loss.n = self._grad_norm.n = i + 1
        if self.metric is not None:
            self._metric.data[i] = np.nan if metric is None else metric
            self._metric.n = i + 1
        if self.track_tensor_norms:
            self._tensor_norms.data[i] = tensor_norms
            self._tensor_norms.n = i + 1

    def append_validation(self, step: int, loss: float, metric: float | None) -> None:
        i = self._val_step.n
        for col in (self._val_step, self._val_loss, self._val_metric):
            col.grow(i + 1)
        self._val_step.data[i] = step
        self._val_loss.data[i] = loss
        self._val_metric.data[i] = np.nan if metric is None else metric
        self._val_step.n = self._val_loss.n = self._val_metric.n = i + 1

    def _step_columns(self):
        cols = [self._loss, self._grad_norm]
        if self.metric is not None:
            cols.append(self._metric)
        if self.track_tensor_norms:
            cols.append(self._tensor_norms)
        return cols

    def truncate(self, steps: int) -> None:
        """Forget everything after ``steps`` (used when a run is rewound)."""
        steps = max(0, min(steps, len(self)))
        for col in self._step_columns():
            col.n = min(col.n, steps)
        keep = int(np.searchsorted(self._val_step.view(), steps, side="right"))
        for col in (self._val_step, self._val_loss, self._val_metric):
            col.n = keep

    def clear(self) -> None:
        self.truncate(0)

    # Read access: views of the recorded part (copy them before handing them to another thread).
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
    def steps(self) -> np.ndarray:
        return np.arange(1, len(self) + 1)

    @property
    def val_steps(self) -> np.ndarray:
        return self._val_step.view().astype(np.int64)

    @property
    def val_loss(self) -> np.ndarray:
        return self._val_loss.view()

    @property
    def val_metric(self) -> np.ndarray:
        return self._val_metric.view()

    def as_arrays(self) -> dict[str, np.ndarray]:
        """Copies of every column, for saving."""
        out = {"loss": self.loss.copy(), "grad_norm": self.grad_norm.copy()}
        if self.metric is not None:
            out["metric"] = self.metric_values.copy()
        if self.track_tensor_norms:
            out["tensor_grad_norms"] = self.tensor_grad_norms.copy()
        out["val_step"] = self.val_steps.copy()
        out["val_loss"] = self.val_loss.copy()
        out["val_metric"] = self.val_metric.copy()
        return out

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        n = len(arrays["loss"])
        self.clear()
        for col in self._step_columns():
            col.grow(n)
        self._loss.data[:n] = arrays["loss"]
        self._grad_norm.data[:n] = arrays["grad_norm"]
        self._loss.n = self._grad_norm.n = n
        if self.metric is not None:
            self._metric.data[:n] = arrays["metric"]
            self._metric.n = n
        if self.track_tensor_norms and "tensor_grad_norms" in arrays:
            self._tensor_norms.data[:n] = arrays["tensor_grad_norms"]
            self._tensor_norms.n = n
        m = len(arrays["val_step"])
        for col, key in ((self._val_step, "val_step"), (self._val_loss, "val_loss"), (self._val_metric, "val_metric")):
            col.grow(m)
            col.data[:m] = arrays[key]
            col.n = m

    def write_csv(self, path) -> None:
        """One row per step: ``step,loss,grad_norm`` (+ metric, validation columns)."""
        from .history_csv import write_history_csv

        write_history_csv(path, self)
