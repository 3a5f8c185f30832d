"""A curve's points, kept in NumPy arrays that grow by doubling.

Views append every new point a snapshot brings and hand pyqtgraph views of
the filled part, never Python lists rebuilt per frame.
"""

from __future__ import annotations

import numpy as np


class Series:
    def __init__(self, width: int | None = None, capacity: int = 1024):
        self.width = width
        self._x = np.empty(capacity)
        self._y = np.empty((capacity,) if width is None else (capacity, width))
        self.n = 0

    def clear(self) -> None:
        self.n = 0

    def extend(self, x, y) -> None:
        x = np.asarray(x, dtype=np.float64)
        k = x.shape[0]
        if k == 0:
            return
        need = self.n + k
        if need > self._x.shape[0]:
            cap = self._x.shape[0]
            while cap < need:
                cap *= 2
            for name in ("_x", "_y"):
                old = getattr(self, name)
                new = np.empty((cap,) + old.shape[1:])
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        self._x[self.n:need] = x
        self._y[self.n:need] = y
        self.n = need

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]


MAX_DOTS = 200  # a dot per point while there are few enough to tell apart (and to draw fast)


def dots_while_few(curve, n: int, colour, size: int = 5) -> None:
    """Mark each point of a short curve with a dot; drop the dots once it grows long."""
    want = n <= MAX_DOTS
    if want == (curve.opts.get("symbol") is not None):
        return
    if want:
        curve.setSymbol("o")
        curve.setSymbolSize(size)
        curve.setSymbolBrush(colour)
        curve.setSymbolPen(None)
    else:
        curve.setSymbol(None)


def positive_or_nan(y: np.ndarray) -> np.ndarray:
    """What a log axis can draw: values <= 0 or not finite become gaps."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(y) & (y > 0), y, np.nan)


class TraceMirror:
    """The GUI's copy of the engine's ``Trace``: appended to, or replaced when it was thinned."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.indices = np.empty(0, dtype=np.intp)
        self._steps = Series()
        self._values = None
        self._grads = None

    def apply(self, snap) -> bool:
        """Take a snapshot's trace rows; True when anything changed."""
        width = snap.trace_indices.size
        if snap.trace_restart or self._values is None or width != self.indices.size:
            self.indices = snap.trace_indices.copy()
            self._steps = Series()
            self._values = Series(width=width)
            self._grads = Series(width=width)
        if len(snap.trace_steps) == 0:
            return snap.trace_restart
        self._steps.extend(snap.trace_steps, snap.trace_steps)
        self._values.extend(snap.trace_steps, snap.trace_values)
        self._grads.extend(snap.trace_steps, snap.trace_grads)
        return True

    def column(self, flat_index: int):
        """(steps, values, grads) of one weight, or None if it is not traced."""
        hits = np.flatnonzero(self.indices == flat_index)
        if hits.size == 0 or self._values is None:
            return None
        j = int(hits[0])
        return self._steps.x, self._values.y[:, j], self._grads.y[:, j]

    @property
    def steps(self) -> np.ndarray:
        return self._steps.x

    @property
    def values(self) -> np.ndarray:
        return np.empty((0, 0)) if self._values is None else self._values.y

    @property
    def grads(self) -> np.ndarray:
        return np.empty((0, 0)) if self._grads is None else self._grads.y
