"""The views' curve storage: exact while short, a faithful envelope when long, always bounded."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gdsim.app.series import Envelope, TraceMirror


def test_short_curves_are_kept_exactly():
    e = Envelope(limit=64)
    x = np.arange(1, 41.0)
    e.extend(x[:13], x[:13] ** 2)
    e.extend(x[13:], x[13:] ** 2)
    dx, dy = e.drawable()
    np.testing.assert_array_equal(dx, x)
    np.testing.assert_array_equal(dy, x ** 2)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(n=st.integers(1, 3000), chunks=st.lists(st.integers(1, 400), min_size=1, max_size=30),
       limit=st.sampled_from([4, 8, 16, 64]))
def test_long_curves_keep_every_minimum_and_maximum_in_bounded_memory(n, chunks, limit):
    rng = np.random.default_rng(n)
    x = np.arange(1, n + 1, dtype=float)
    y = rng.normal(size=n)
    y[rng.random(n) < 0.05] = np.nan
    e = Envelope(limit=limit)
    i = 0
    for c in chunks * (n // max(1, sum(chunks)) + 1):
        if i >= n:
            break
        e.extend(x[i:i + c], y[i:i + c])
        i += c
    assert e.count == n and e.n < e.limit
    b = e.bucket
    # Every complete bucket is the min and max of exactly its points; the pending tail follows.
    for j in range(e.n):
        seg = y[j * b:(j + 1) * b]
        assert e._x[j] == x[j * b]
        if np.isnan(seg).all():
            assert np.isnan(e._lo[j]) and np.isnan(e._hi[j])
        else:
            assert e._lo[j] == np.nanmin(seg) and e._hi[j] == np.nanmax(seg)
    dx, dy = e.drawable()
    assert len(dx) <= 2 * e.limit + 2
    assert dx[-1] == x[e.n * b] if e._pending else dx[-1] == x[(e.n - 1) * b]
    # The highest and lowest values of the whole curve are always drawn.
    if not np.isnan(y).all():
        assert np.nanmax(dy) == np.nanmax(y) and np.nanmin(dy) == np.nanmin(y)


def test_columns_are_enveloped_independently():
    e = Envelope(limit=8, width=2)
    x = np.arange(100.0)
    y = np.column_stack([x, -x])
    e.extend(x, y)
    dx, hi = e.drawable(column=0)
    assert np.nanmax(hi) == 99 and np.nanmin(hi) == 0
    dx, lo = e.drawable(column=1)
    assert np.nanmin(lo) == -99


def _trace_rows(steps, indices, restart=False):
    steps = np.asarray(steps, dtype=np.int64)
    values = np.stack([steps * 1.0 + j for j in indices], axis=1) if len(steps) else np.empty((0, len(indices)))
    return SimpleNamespace(trace_indices=np.asarray(indices), trace_restart=restart, trace_steps=steps,
                           trace_values=values, trace_grads=-values)


def test_a_trace_mirror_appends_rows_and_starts_over_when_the_trace_was_thinned():
    m = TraceMirror()
    assert m.apply(_trace_rows([0, 1, 2], [4, 7]))
    assert m.apply(_trace_rows([3, 4], [4, 7]))
    assert not m.apply(_trace_rows([], [4, 7]))
    steps, values, grads = m.column(7)
    np.testing.assert_array_equal(steps, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(values, [7, 8, 9, 10, 11])
    np.testing.assert_array_equal(grads, -values)
    assert m.column(5) is None
    assert m.apply(_trace_rows([0, 2, 4], [4, 7], restart=True))  # thinned: every other step, all of them again
    np.testing.assert_array_equal(m.steps, [0, 2, 4])
    np.testing.assert_array_equal(m.values, [[4, 7], [6, 9], [8, 11]])
    np.testing.assert_array_equal(m.grads, -m.values)
