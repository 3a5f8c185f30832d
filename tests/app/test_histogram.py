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
    bins = int(min(MAX_HIST_BINS, max(10, math.sqrt(finite.size))))
    assert len(counts) == bins and np.all(np.diff(edges) > 0)
    assert edges[0] <= finite.min() and finite.max() <= edges[-1]
    if finite.min() < finite.max() and np.all(np.diff(np.linspace(finite.min(), finite.max(), bins + 1)) > 0):
        assert (edges[0], edges[-1]) == (finite.min(), finite.max())  # from the least to the largest
    want_counts, want_edges = np.histogram(finite, bins=bins, range=(edges[0], edges[-1]))
    np.testing.assert_array_equal(counts, want_counts)
    np.testing.assert_array_equal(edges, want_edges)
    assert counts.sum() == finite.size


def test_values_too_close_for_the_bins_get_a_bin_around_them():
    counts, edges = histogram(np.array([5e-324, 0.0]))
    assert counts.sum() == 2 and edges[0] < 0 < 5e-324 < edges[-1]
