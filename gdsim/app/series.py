"""A curve's points, kept in NumPy arrays that grow by doubling.

Views append every new point a snapshot brings and hand pyqtgraph views of
the filled part, never Python lists rebuilt per frame.
"""

from __future__ import annotations

import numpy as np

from ..core.record.columns import grown


class Series:
    """Points (x, y): y a number or a row of ``width``. With ``keep_x=False`` only the y (rows that
    share another Series' x), and ``extend`` is given None for x."""

    def __init__(self, width: int | None = None, capacity: int = 1024, keep_x: bool = True):
        self.width = width
        self._x = np.empty(capacity) if keep_x else None
        self._y = np.empty((capacity,) if width is None else (capacity, width))
        self.n = 0

    def clear(self) -> None:
        self.n = 0

    def extend(self, x, y) -> None:
        y = np.asarray(y, dtype=np.float64)
        k = y.shape[0]
        if k == 0:
            return
        need = self.n + k
        if need > self._y.shape[0]:
            cap = self._y.shape[0]
            while cap < need:
                cap *= 2
            self._y = grown(self._y, self.n, cap)
            if self._x is not None:
                self._x = grown(self._x, self.n, cap)
        if self._x is not None:
            self._x[self.n:need] = x
        self._y[self.n:need] = y
        self.n = need

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]


MAX_DOTS = 64  # a dot per point while there are few enough to tell apart (and to draw fast)


def dots_while_few(curve, n: int, colour, size: int = 5, symbol: str = "o") -> None:
    """Mark each point of a short curve with a dot (or ``symbol``); drop them once it grows long."""
    want = n <= MAX_DOTS
    if want == (curve.opts.get("symbol") is not None):
        return
    if want:
        curve.setSymbol(symbol)
        curve.setSymbolSize(size)
        curve.setSymbolBrush(colour)
        curve.setSymbolPen(None)
    else:
        curve.setSymbol(None)


PAINT_LIMIT = 1e300  # pyqtgraph's bounding rectangles add and double extents: 1e308 overflows


def paintable(values) -> np.ndarray:
    """Values a plot item can measure and paint: within +-PAINT_LIMIT (a diverging run's 1e308,
    or an infinity, is drawn at the edge); NaN stays a gap. A new array."""
    v = np.array(values, dtype=np.float64)
    return np.clip(v, -PAINT_LIMIT, PAINT_LIMIT, out=v)


def positive_or_nan(y: np.ndarray) -> np.ndarray:
    """What a log axis can draw: values <= 0 or not finite become gaps."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(y) & (y > 0), y, np.nan)


class Envelope:
    """A curve of any length in bounded memory.

    Up to ``limit`` points are kept exactly. Past that, neighbouring points are merged
    in pairs into buckets that keep their lowest and highest value (again and again, so
    a bucket always covers a power of two of points) and the curve is drawn as the
    envelope: a vertical stroke from low to high per bucket. Spikes are never lost,
    memory and drawing time stay fixed, and the newest points are always drawn.
    NaN (a gap on a log axis) is ignored inside a bucket; a bucket of only NaN is a gap.
    """

    def __init__(self, limit: int = 8192, width: int | None = None):
        self.limit = max(4, limit) & ~1
        self.width = width
        shape = (self.limit,) if width is None else (self.limit, width)
        self._x = np.empty(self.limit)
        self._lo = np.empty(shape)
        self._hi = np.empty(shape)
        self.clear()

    def clear(self) -> None:
        self.n = 0  # complete buckets
        self.bucket = 1  # points per bucket
        self.count = 0  # points taken in, in all
        self._pending_x = None  # the incomplete bucket: first x, low, high, points so far
        self._pending = 0

    def extend(self, x, y) -> None:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if x.shape[0] == 0:
            return
        self.count += x.shape[0]
        i = 0
        if self._pending:
            take = min(self.bucket - self._pending, x.shape[0])
            self._plo = np.fmin(self._plo, np.fmin.reduce(y[:take], axis=0))
            self._phi = np.fmax(self._phi, np.fmax.reduce(y[:take], axis=0))
            self._pending += take
            i = take
            if self._pending == self.bucket:
                self._push(np.array([self._pending_x]), self._plo[None], self._phi[None])
                self._pending = 0
        while i < x.shape[0]:
            b = self.bucket
            whole = (x.shape[0] - i) // b
            room = self.limit - self.n
            k = min(whole, room)  # room > 0: a full store is compacted at once
            if k:
                ys = y[i:i + k * b].reshape((k, b) + y.shape[1:])
                self._push(x[i:i + k * b:b], np.fmin.reduce(ys, axis=1), np.fmax.reduce(ys, axis=1))
                i += k * b
                continue
            rest = x.shape[0] - i  # fewer than a bucket: keep them pending
            self._pending_x = x[i]
            self._plo = np.fmin.reduce(y[i:], axis=0)
            self._phi = np.fmax.reduce(y[i:], axis=0)
            self._pending = rest
            i += rest

    def _push(self, x, lo, hi) -> None:
        """Store complete buckets of the current size; the caller leaves room for them."""
        k = x.shape[0]
        self._x[self.n:self.n + k] = x
        self._lo[self.n:self.n + k] = lo
        self._hi[self.n:self.n + k] = hi
        self.n += k
        if self.n == self.limit:
            self._compact()

    def _compact(self) -> None:
        """Merge neighbouring buckets (the store is full, an even count): half as many, twice as wide."""
        half = self.n // 2
        with np.errstate(invalid="ignore"):
            self._x[:half] = self._x[0:self.n:2]
            self._lo[:half] = np.fmin(self._lo[0:self.n:2], self._lo[1:self.n:2])
            self._hi[:half] = np.fmax(self._hi[0:self.n:2], self._hi[1:self.n:2])
        self.n = half
        self.bucket *= 2

    @property
    def exact(self) -> bool:
        return self.bucket == 1

    def drawable(self, column: int | None = None):
        """(x, y) to hand to a plot: the points themselves, or the envelope of the buckets."""
        def col(a):
            return a if column is None else a[..., column]

        x, lo, hi = self._x[: self.n], col(self._lo[: self.n]), col(self._hi[: self.n])
        if self._pending:
            x = np.append(x, self._pending_x)
            lo = np.append(lo, col(np.asarray(self._plo)))
            hi = np.append(hi, col(np.asarray(self._phi)))
        if self.exact:
            return x.copy(), paintable(lo)
        return np.repeat(x, 2), paintable(np.column_stack([lo, hi]).ravel())


class TraceMirror:
    """The GUI's copy of the engine's ``Trace``: appended to, or replaced when it was thinned."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.indices = np.empty(0, dtype=np.intp)
        self._values = None  # Series of the steps (x) and the traced weights' values (y)
        self._grads = None  # and of their gradients: the steps are kept once, here in _values

    def apply(self, snap) -> bool:
        """Take a snapshot's trace rows; True when anything changed."""
        width = snap.trace_indices.size
        if snap.trace_restart or self._values is None or width != self.indices.size:
            self.indices = snap.trace_indices.copy()
            self._values = Series(width=width)
            self._grads = Series(width=width, keep_x=False)
        if len(snap.trace_steps) == 0:
            return snap.trace_restart
        self._values.extend(snap.trace_steps, snap.trace_values)
        self._grads.extend(None, snap.trace_grads)
        return True

    def column(self, flat_index: int):
        """(steps, values, grads) of one weight, or None if it is not traced."""
        hits = np.flatnonzero(self.indices == flat_index)
        if hits.size == 0 or self._values is None:
            return None
        j = int(hits[0])
        return self._values.x, self._values.y[:, j], self._grads.y[:, j]

    @property
    def steps(self) -> np.ndarray:
        return np.empty(0) if self._values is None else self._values.x

    @property
    def values(self) -> np.ndarray:
        return np.empty((0, 0)) if self._values is None else self._values.y

    @property
    def grads(self) -> np.ndarray:
        return np.empty((0, 0)) if self._grads is None else self._grads.y
