"""What the landscape view is sent (core.surface): the path is the run's, the grid is computed in
blocks that add up to the whole, the grid's interpolation, and when a grid is out of date."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdsim.core import landscape, surface
from gdsim.core.errors import GdsimError
from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings
from gdsim.core.timeline import Timeline


def run(scenario, steps, trace=None, **settings):
    t = build_trainer(Settings(scenario=scenario, **settings))
    if trace is not None:
        t.start_trace(trace)
    line = Timeline(t)
    for _ in range(steps):
        assert t.advance(1) is None
        line.after_steps(t)
    return t, [(m.step, m.arrays["values"]) for m in line.marks]


def test_the_path_is_every_traced_step_and_the_grid_is_loss_grid_whatever_the_blocks():
    t, marks = run("fruit", 12, trace=range(8))
    calls = []
    s = surface.compute(t, marks, surface.Request(surface.WEIGHTS, 1, 4), run_id=7, between=calls.append)
    assert s.run_id == 7 and s.step == 12 and s.plane.indices == (1, 4)
    np.testing.assert_array_equal(s.path_steps, np.arange(13))
    np.testing.assert_array_equal(s.path, t.trace.values[:, [1, 4]])
    # The same numbers to rounding: a block of one point sums its squares with a dot product, a
    # block of many with a loop (1 ulp apart, as one point's loss in loss_grid's own tests).
    np.testing.assert_allclose(s.loss, landscape.loss_grid(t, s.plane, s.a, s.b), rtol=1e-14, atol=0)
    assert s.loss.shape == (surface.GRID_POINTS, surface.GRID_POINTS)
    # The first block is one point, not a row (a big MLP's row took 1.5 s that Pause waited for):
    # the window has a turn before the rest, told the share of the grid done.
    assert calls[0] == 1 / surface.GRID_POINTS ** 2
    assert calls == sorted(calls) and calls[-1] < 1


def test_a_partial_trace_gives_the_path_of_the_two_weights_it_holds():
    t, marks = run("digits10", 3, trace=[5, 900])
    s = surface.compute(t, marks, surface.Request(surface.WEIGHTS, 900, 5), run_id=1)
    np.testing.assert_array_equal(s.path_steps, np.arange(4))
    np.testing.assert_array_equal(s.path, t.trace.values[:, [1, 0]])
    np.testing.assert_array_equal(s.loss, landscape.loss_grid(t, s.plane, s.a, s.b))


def test_without_a_trace_the_path_is_the_checkpoints_and_the_weights_now():
    t, marks = run("micrograd", 5)
    t.trace = None
    steps, points = surface.path_points(t, marks)
    assert list(steps) == [m for m, _ in marks if m < 5] + [5]
    np.testing.assert_array_equal(points[-1], t.params.values)


def test_the_interpolated_loss_is_exact_at_grid_points_and_between_them_linear():
    t, marks = run("quadratic", 4)
    s = surface.compute(t, marks, surface.Request(surface.WEIGHTS, 0, 1), run_id=1)
    assert s.loss_at(float(s.a[10]), float(s.b[20])) == pytest.approx(s.loss[20, 10], rel=1e-12)
    mid = s.loss_at(float(s.a[10] + s.a[11]) / 2, float(s.b[20]))
    assert mid == pytest.approx((s.loss[20, 10] + s.loss[20, 11]) / 2, rel=1e-12)
    assert s.loss_at(float(s.a[0]) - 1.0, float(s.b[0])) is None


def test_weights_at_a_point_of_each_plane():
    t, marks = run("micrograd", 3)
    w = landscape.weight_plane(t, 2, 9).weights_at(0.5, -0.25)
    expected = t.params.values.copy()
    expected[2], expected[9] = 0.5, -0.25
    np.testing.assert_array_equal(w, expected)
    plane = landscape.random_plane(t, seed=3)
    np.testing.assert_array_equal(plane.weights_at(2.0, -1.0), plane.origin + 2.0 * plane.d1 - plane.d2)


def test_a_grid_goes_out_of_date_when_the_run_leaves_it_or_its_plane():
    t, marks = run("fruit", 5, trace=range(8))
    s = surface.compute(t, marks, surface.Request(surface.WEIGHTS, 0, 1), run_id=1)
    here = t.params.values.copy()
    assert surface.stale_reason(s, here) is None
    off_plane = here.copy()
    off_plane[2] += 0.5 * (s.a[-1] - s.a[0])  # another weight moved by half the grid's width
    assert "other weights" in surface.stale_reason(s, off_plane)
    outside = here.copy()
    outside[0] = s.a[-1] + 1.0
    assert "left the grid" in surface.stale_reason(s, outside)
    assert surface.stale_reason(s, np.full_like(here, np.nan)) is None  # a diverged run: nothing to redraw


def test_a_one_weight_model_and_a_bad_plane_are_refused_with_a_reason():
    t, marks = run("parabola", 2)
    with pytest.raises(GdsimError, match="loss curve"):
        surface.compute(t, marks, surface.Request(), run_id=1)
    with pytest.raises(GdsimError, match="plane"):
        surface.Request(kind="diagonal")
    t, marks = run("fruit", 1)
    with pytest.raises(GdsimError, match="a few steps"):
        surface.compute(t, marks, surface.Request(surface.PCA), run_id=1)


def test_landscape_option_names_weights_as_the_gradient_view_does():
    labels = build_trainer(Settings(scenario="quadratic")).params.labels()
    assert surface.parse_request("params[0],params[2]", labels) == surface.Request(surface.WEIGHTS, 0, 2)
    assert surface.parse_request("params[1] (b), params[0]", labels) == surface.Request(surface.WEIGHTS, 1, 0)
    labels = build_trainer(Settings(scenario="fruit")).params.labels()
    assert surface.parse_request("weight[0,1],bias[1]", labels) == surface.Request(surface.WEIGHTS, 1, 7)
    assert surface.parse_request("random", labels) == surface.Request(surface.RANDOM)
    assert surface.parse_request("pca", labels).kind == surface.PCA
    for bad, words in (("weight[0,1]", "two weights"), ("weight[0,1],weight[9,9]", "no weight 'weight[9,9]'"),
                       ("bias[0],bias[0]", "two different"), (",", "two weights")):
        with pytest.raises(GdsimError, match=words.replace("[", r"\[").replace("]", r"\]")):
            surface.parse_request(bad, labels)


def test_a_grid_is_given_up_when_the_window_says_so_between_blocks():
    t, marks = run("digits", 2)
    calls = []
    assert surface.compute(t, marks, surface.Request(surface.WEIGHTS, 300, 400), run_id=1,
                           between=lambda done: calls.append(done) or False) is None
    assert len(calls) == 1 and 0 < calls[0] < 1  # given up after the first block, a share of the grid done


def test_a_long_path_keeps_its_first_and_last_points_and_a_bounded_number_between():
    steps, path = np.empty(0, dtype=np.int64), np.empty((0, 2))
    for start in range(0, 100_000, 1000):
        new = np.arange(start, start + 1000)
        steps, path = surface.extended_path(steps, path, new, np.column_stack([new, -new]).astype(float), most=500)
        assert len(steps) <= 1000
    assert steps[0] == 0 and steps[-1] == 99_999
    np.testing.assert_array_equal(path[:, 0], steps)
    assert np.all(np.diff(steps) > 0)
    # New points from an earlier step (a branch, a redrawn step) replace those after it.
    steps, path = surface.extended_path(steps, path, np.array([50_000]), np.array([[7.0, 7.0]]), most=500)
    assert steps[-1] == 50_000 and np.all(steps[:-1] < 50_000)


def halved_until_short(steps, path, most):
    """The docstring's rule, literally: every other point dropped, the first and last kept, until
    at most 2 * most are left."""
    while len(steps) > 2 * most:
        chosen = np.zeros(len(steps), dtype=bool)
        chosen[::2] = True
        chosen[-1] = True
        steps, path = steps[chosen], path[chosen]
    return steps, path


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 60), st.integers(0, 250), st.integers(0, 3000), st.integers(0, 3))
def test_a_path_is_thinned_as_if_halved_again_and_again(most, before, new, back):
    steps = np.arange(before, dtype=np.int64)
    path = np.column_stack([steps, -steps]).astype(float)
    new_steps = np.arange(max(0, before - back), max(0, before - back) + new, dtype=np.int64)
    new_points = np.column_stack([new_steps, new_steps * 2.0]).astype(float)
    got = surface.extended_path(steps, path, new_steps, new_points, most=most)
    keep = steps < new_steps[0] if new else np.ones(before, dtype=bool)
    want = halved_until_short(np.concatenate([steps[keep], new_steps]), np.vstack([path[keep], new_points]), most)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_what_is_sent_to_the_window_shares_no_memory_with_the_trainer_and_cannot_be_changed():
    t, marks = run("fruit", 30, trace=range(8))
    s = surface.compute(t, marks, surface.Request(surface.WEIGHTS, 0, 1), run_id=1)
    for array in (s.path_steps, s.path, s.loss, s.a, s.b):
        assert not array.flags.writeable
        for buffer in (t.trace.steps, t.trace.values, t.params.values):
            assert not np.shares_memory(array, buffer)


def test_another_runs_path_ends_where_it_was_pinned_and_stays_near_the_map():
    t, marks = run("fruit", 20, trace=range(8))
    other, other_marks = run("fruit", 40, trace=range(8), lr=2e-5)
    s = surface.compute(t, marks, surface.Request(surface.WEIGHTS, 0, 1), run_id=1,
                        others=[(3, "pinned", other, other_marks, 25)])
    (index, name, steps, path), = s.others
    assert (index, name) == (3, "pinned") and steps[-1] == 25
    np.testing.assert_array_equal(path, other.trace.values[:26, [0, 1]])


def test_before_any_step_the_default_pair_is_ranked_by_the_gradient_now_and_the_run_is_untouched():
    t = build_trainer(Settings(scenario="digits"))  # zero weights: the last update ranks nothing yet
    i, j = landscape.default_pair(t)
    twin = build_trainer(Settings(scenario="digits"))
    twin.advance(1)  # digits' first batch is not every row, but its largest gradients are the same pixels
    assert {i, j} == set(np.argsort(-np.abs(twin.update_grads))[:2])
    assert (i, j) != (0, 1)
    t.advance(3)
    other = build_trainer(Settings(scenario="digits"))
    other.advance(3)
    np.testing.assert_array_equal(t.history.loss, other.history.loss)
    np.testing.assert_array_equal(t.params.values, other.params.values)
