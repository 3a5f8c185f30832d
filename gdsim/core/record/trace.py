"""The value and gradient of chosen weights at every step, in bounded memory.

Every step is kept until the trace reaches its row budget; from then on every
other row is dropped and only every second step recorded, then every fourth,
and so on: the trace always spans the whole run, evenly thinned, and says
how (``stride``).
"""

from __future__ import annotations

import numpy as np

from .columns import grown

# Two float64 matrices (values, gradients) of at most this many numbers each.
DEFAULT_BUDGET = 1_000_000


class Trace:
    def __init__(self, indices, start_step: int = 0, budget: int = DEFAULT_BUDGET):
        self.indices = np.asarray(indices, dtype=np.intp)
        # Following every weight (small models, every step): a slice copies faster than an index.
        k = self.indices.size
        self._prefix = k if k and np.array_equal(self.indices, np.arange(k)) else None
        width = max(1, self.indices.size)
        self.capacity = max(16, budget // width) & ~1  # even, so halving keeps whole rows
        self.clear(start_step)

    def clear(self, start_step: int = 0) -> None:
        self.start_step = int(start_step)
        self.stride = 1
        self._cap = min(self.capacity, 1024)
        self._steps = np.empty(self._cap, dtype=np.int64)
        self._values = np.empty((self._cap, self.indices.size))
        self._grads = np.empty((self._cap, self.indices.size))
        self.n = 0

    def record(self, step: int, values: np.ndarray, grads: np.ndarray) -> None:
        """Keep ``values`` (after step ``step``) and ``grads`` (what that step used)."""
        if (step - self.start_step) % self.stride:
            return
        if self.n == self._cap:
            if self._cap < self.capacity:
                self._grow()
            else:
                self._thin()
                if (step - self.start_step) % self.stride:
                    return
        i = self.n
        self._steps[i] = step
        k = self._prefix
        if k is not None:
            self._values[i] = values[:k]
            self._grads[i] = grads[:k]
        else:
            self._values[i] = values[self.indices]
            self._grads[i] = grads[self.indices]
        self.n = i + 1

    def _grow(self) -> None:
        cap = min(self.capacity, self._cap * 2)
        for name in ("_steps", "_values", "_grads"):
            setattr(self, name, grown(getattr(self, name), self.n, cap))
        self._cap = cap

    def _thin(self) -> None:
        self.stride *= 2
        keep = (self._steps[: self.n] - self.start_step) % self.stride == 0
        k = int(np.count_nonzero(keep))
        for arr in (self._steps, self._values, self._grads):
            arr[:k] = arr[: self.n][keep]
        self.n = k

    @property
    def steps(self) -> np.ndarray:
        return self._steps[: self.n]

    @property
    def values(self) -> np.ndarray:
        return self._values[: self.n]

    @property
    def grads(self) -> np.ndarray:
        return self._grads[: self.n]

    def rows_since(self, row: int):
        """Copies of rows ``row`` onwards; after thinning a reader should start over."""
        return self.steps[row:].copy(), self.values[row:].copy(), self.grads[row:].copy()

    # A trace is part of a saved session.
    def get_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        scalars = {"start_step": self.start_step, "stride": self.stride, "capacity": self.capacity}
        arrays = {"indices": self.indices.copy(), "steps": self.steps.copy(),
                  "values": self.values.copy(), "grads": self.grads.copy()}
        return scalars, arrays

    @classmethod
    def from_state(cls, scalars: dict, arrays: dict[str, np.ndarray], n_weights: int,
                   step_count: int) -> "Trace":
        """A trace saved by ``get_state``, checked against a run of ``n_weights`` weights at step
        ``step_count``; raises ValueError saying what does not fit. The row budget is this code's
        (DEFAULT_BUDGET), whatever the saved state says."""
        indices = np.asarray(arrays["indices"])
        if indices.ndim != 1 or not 1 <= indices.size <= n_weights or indices.dtype.kind not in "iu":
            raise ValueError("the trace's list of weights is damaged")
        if indices.min() < 0 or indices.max() >= n_weights or np.unique(indices).size != indices.size:
            raise ValueError("the trace follows weights this model does not have")
        steps, values, grads = arrays["steps"], arrays["values"], arrays["grads"]
        rows = len(steps)
        if steps.ndim != 1 or values.shape != (rows, indices.size) or grads.shape != (rows, indices.size):
            raise ValueError("the trace's arrays do not fit together")
        start, stride = int(scalars["start_step"]), int(scalars["stride"])
        if not 0 <= start <= step_count or stride < 1 or stride & (stride - 1):
            raise ValueError("the trace's start or thinning is damaged")
        if rows and (np.any(np.diff(steps) <= 0) or steps[0] < start or steps[-1] > step_count
                     or np.any((steps - start) % stride)):
            raise ValueError("the trace's steps are not in order")
        if not (np.all(np.isfinite(values)) and np.all(np.isfinite(grads))):
            raise ValueError("the trace holds numbers that are not finite")
        trace = cls(indices, start)
        if rows > trace.capacity:
            raise ValueError("the trace holds more rows than its budget")
        trace.stride = stride
        trace._cap = max(trace._cap, rows)
        trace._steps = np.empty(trace._cap, dtype=np.int64)
        trace._values = np.empty((trace._cap, indices.size))
        trace._grads = np.empty((trace._cap, indices.size))
        trace._steps[:rows] = steps
        trace._values[:rows] = values
        trace._grads[:rows] = grads
        trace.n = rows
        return trace
