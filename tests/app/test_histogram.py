"""The gradient view's histograms count what np.histogram counts over the finite values."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gdsim.app.views.gradient_view import MAX_HIST_BINS, histogram

values = arrays(np.float64, st.integers(0, 3000),
                elements=st.one_of(st.floats(-1e6, 1e6), st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1e-300])))


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_counts_are_numpys_over_the_finite_values(data):
    counts, edges = histogram(data)
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        assert counts is None and edges is None
        return
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    bins = int(min(MAX_HIST_BINS, max(10, math.sqrt(finite.size))))
    want_counts, want_edges = np.histogram(finite, bins=bins, range=(lo, hi))
    np.testing.assert_array_equal(counts, want_counts)
    np.testing.assert_array_equal(edges, want_edges)
    assert counts.sum() == finite.size
