"""Columns that grow by doubling, and past a budget thin evenly: what History and Trace are made of.

``grown`` is the one helper for a preallocated array that needs more rows (the views' curves use
it too); ``ThinnedColumns`` is the bounded record both History and Trace keep.
"""

from __future__ import annotations

import numpy as np

START_ROWS = 1024  # rows allocated at first; doubling from there costs a copy now and then


def grown(old: np.ndarray, rows: int, capacity: int) -> np.ndarray:
    """A new array of ``capacity`` rows (same row shape and dtype) holding ``old``'s first ``rows``."""
    new = np.empty((capacity,) + old.shape[1:], dtype=old.dtype)
    new[:rows] = old[:rows]
    return new


class ThinnedColumns:
    """Named columns sharing one row count, in bounded memory, spanning everything appended.

    Rows come with rising whole-number keys (a step, or a count of validations) held in the
    column named ``key``. Until ``budget`` rows every key is kept; then every other row is
    dropped and from then on only keys ``origin + k * stride`` are kept, ``stride`` doubling each
    time the budget fills again. So the columns always span the whole run, evenly thinned.
    """

    def __init__(self, columns: dict[str, tuple[tuple[int, ...], type]], key: str, budget: int,
                 origin: int = 0):
        self.specs = dict(columns)
        self.key = key
        self.budget = budget
        self.clear(origin)

    @property
    def budget(self) -> int:
        return self._budget

    @budget.setter
    def budget(self, rows: int) -> None:
        """A new budget takes effect at the next append (even, so halving keeps whole rows)."""
        self._budget = max(16, int(rows)) & ~1
        if hasattr(self, "_cap"):
            self._cap = min(self._cap, self._budget)

    def clear(self, origin: int | None = None) -> None:
        if origin is not None:
            self.origin = int(origin)
        self.stride = 1
        self.n = 0
        self._cap = min(self._budget, START_ROWS)
        self.arrays = {name: np.empty((self._cap,) + shape, dtype=dtype) for name, (shape, dtype) in self.specs.items()}

    def slot(self, key: int) -> int:
        """The row to write ``key``'s values into (growing or thinning first); -1 if it is not kept."""
        i = self.n
        if self.stride == 1 and i < self._cap:  # every key kept and a free row: nearly every call
            self.n = i + 1
            return i
        if (key - self.origin) % self.stride:
            return -1
        i = self.n
        if i >= self._cap:
            if i < self._budget:
                self._grow(min(self._budget, 2 * self._cap))
            else:
                while self.n >= self._budget:
                    self._thin()
                if (key - self.origin) % self.stride:
                    return -1
                i = self.n
        self.n = i + 1
        return i

    def extend(self, columns: dict[str, np.ndarray]) -> None:
        """Rows with rising keys, kept exactly as ``slot`` would keep them one by one, but copied
        a block at a time: the trainer records a call's steps once, at its end."""
        keys = columns[self.key]
        start = 0
        while start < len(keys):
            rest = keys[start:]
            kept = None if self.stride == 1 else np.flatnonzero((rest - self.origin) % self.stride == 0)
            wanted = len(rest) if kept is None else len(kept)
            if wanted == 0:
                return
            if self.n >= self._cap:
                if self.n < self._budget:
                    self._grow(min(self._budget, max(2 * self._cap, self.n + wanted)))
                else:
                    self._thin()
                continue
            take = min(self._cap - self.n, wanted)
            rows = slice(start, start + take) if kept is None else start + kept[:take]
            for name, array in self.arrays.items():
                array[self.n: self.n + take] = columns[name][rows]
            self.n += take
            start = start + take if kept is None else start + int(kept[take - 1]) + 1

    def _grow(self, capacity: int) -> None:
        capacity = max(capacity, self.n + 1)
        for name, array in self.arrays.items():
            self.arrays[name] = grown(array, self.n, capacity)
        self._cap = capacity

    def _thin(self) -> None:
        """Keep the rows whose key is a multiple of the doubled stride from ``origin``."""
        old, n = self.stride, self.n
        self.stride *= 2
        keys = self.arrays[self.key][:n]
        if n and keys[-1] - keys[0] == (n - 1) * old and (keys[0] - self.origin) % old == 0:
            # Rising keys spanning n - 1 old strides are every old stride apart (as recorded), so
            # the kept rows are every other one: a strided copy. A mask over a million-row trace
            # took 27-45 ms (6 ms strided), inside one engine call that Pause waits for.
            first = int((keys[0] - self.origin) % self.stride != 0)
            k = (n - first + 1) // 2
            for array in self.arrays.values():
                array[:k] = array[first:n:2]
        else:  # rows loaded from a file need not be evenly spaced
            keep = (keys - self.origin) % self.stride == 0
            k = int(np.count_nonzero(keep))
            for array in self.arrays.values():
                array[:k] = array[:n][keep]
        self.n = k

    def __getitem__(self, name: str) -> np.ndarray:
        """The recorded part of a column: a view (copy it before handing it to another thread)."""
        return self.arrays[name][: self.n]

    def since(self, row: int) -> dict[str, np.ndarray]:
        """Copies of every column from ``row`` on; after thinning a reader should start over."""
        return {name: array[row: self.n].copy() for name, array in self.arrays.items()}

    def load(self, columns: dict[str, np.ndarray], stride: int) -> None:
        """Restore rows saved from columns like these (already checked to fit together)."""
        rows = len(columns[self.key])
        if rows > self._budget:
            raise ValueError(f"{rows} rows are more than the budget of {self._budget}")
        self.clear()
        self._grow(max(self._cap, rows))
        for name, values in columns.items():
            self.arrays[name][:rows] = values
        self.n = rows
        self.stride = int(stride)
