"""The value and gradient of chosen weights at every step, in bounded memory.

Every step is kept until the trace reaches its row budget; from then on every
other row is dropped and only every second step recorded, then every fourth,
and so on: the trace always spans the whole run, evenly thinned, and says
how (``stride``).
"""

from __future__ import annotations

import numpy as np

from .columns import ThinnedColumns

# Two float64 matrices (values, gradients) of at most this many numbers each.
DEFAULT_BUDGET = 1_000_000


class Trace:
    def __init__(self, indices, start_step: int = 0, budget: int = DEFAULT_BUDGET):
        self.indices = np.asarray(indices, dtype=np.intp)
        # Following every weight (small models, every step): a slice copies faster than an index.
        k = self.indices.size
        self._prefix = k if k and np.array_equal(self.indices, np.arange(k)) else None
        self.capacity = max(16, budget // max(1, k)) & ~1
        self._rows = ThinnedColumns({"steps": ((), np.int64), "values": ((k,), np.float64),
                                     "grads": ((k,), np.float64)}, key="steps", budget=self.capacity,
                                    origin=start_step)

    @property
    def start_step(self) -> int:
        return self._rows.origin

    @property
    def stride(self) -> int:
        return self._rows.stride

    @property
    def n(self) -> int:
        return self._rows.n

    def clear(self, start_step: int = 0) -> None:
        self._rows.clear(start_step)

    def record(self, step: int, values: np.ndarray, grads: np.ndarray) -> None:
        """Keep ``values`` (after step ``step``) and ``grads`` (what that step used)."""
        rows = self._rows
        i = rows.slot(step)
        if i < 0:
            return
        a = rows.arrays
        a["steps"][i] = step
        k = self._prefix
        if k == values.shape[0]:  # every weight: straight into the row, without a slice first
            a["values"][i] = values
            a["grads"][i] = grads
        elif k is not None:
            a["values"][i] = values[:k]
            a["grads"][i] = grads[:k]
        else:
            a["values"][i] = values[self.indices]
            a["grads"][i] = grads[self.indices]

    def follows_all(self, size: int) -> bool:
        """Whether this trace keeps every weight of a model of ``size`` weights, in order."""
        return self._prefix == size

    def extend(self, first_step: int, values, grads) -> None:
        """Consecutive steps from ``first_step`` of a trace of every weight: one entry per step
        (a list of numbers for a one-weight model, else rows of every weight), written a block at a
        time (copied: the caller may reuse its rows)."""
        n = len(values)
        if n:
            self._rows.extend({"steps": np.arange(first_step, first_step + n, dtype=np.int64),
                               "values": np.asarray(values, dtype=np.float64).reshape(n, -1),
                               "grads": np.asarray(grads, dtype=np.float64).reshape(n, -1)})

    @property
    def steps(self) -> np.ndarray:
        return self._rows["steps"]

    @property
    def values(self) -> np.ndarray:
        return self._rows["values"]

    @property
    def grads(self) -> np.ndarray:
        return self._rows["grads"]

    def rows_since(self, row: int):
        """Copies of rows ``row`` onwards; after thinning a reader should start over."""
        rows = self._rows.since(row)
        return rows["steps"], rows["values"], rows["grads"]

    # A trace is part of a saved session.
    def get_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        scalars = {"start_step": self.start_step, "stride": self.stride, "capacity": self.capacity}
        arrays = {"indices": self.indices.copy(), "steps": self.steps.copy(),
                  "values": self.values.copy(), "grads": self.grads.copy()}
        return scalars, arrays

    def until(self, step: int, n_weights: int) -> "Trace":
        """A copy holding the rows up to ``step`` (a branch that goes on from there)."""
        scalars, arrays = self.get_state()
        keep = arrays["steps"] <= step
        arrays.update(steps=arrays["steps"][keep], values=arrays["values"][keep], grads=arrays["grads"][keep])
        return Trace.from_state(dict(scalars, start_step=min(self.start_step, step)), arrays, n_weights, step)

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
        trace._rows.load({"steps": steps, "values": values, "grads": grads}, stride)
        return trace
