"""Preallocated arrays that grow: the one helper History, Trace and the views' series share."""

from __future__ import annotations

import numpy as np


def grown(old: np.ndarray, rows: int, capacity: int) -> np.ndarray:
    """A new array of ``capacity`` rows (same row shape and dtype) holding ``old``'s first ``rows``."""
    new = np.empty((capacity,) + old.shape[1:], dtype=old.dtype)
    new[:rows] = old[:rows]
    return new
