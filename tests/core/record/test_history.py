"""The history: every step while it fits, evenly thinned past its budget, never unbounded."""

from __future__ import annotations

import numpy as np

from gdsim.core.files.history_csv import read_history_csv, write_history_csv
from gdsim.core.record.history import History
from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings


def test_every_step_is_a_row_until_the_budget():
    h = History(["w"], max_rows=64)
    for step in range(1, 65):
        h.append(step, float(step), 0.0)
    assert h.stride == 1 and list(h.steps) == list(range(1, 65))


def test_past_the_budget_rows_thin_evenly_and_memory_stays_bounded():
    h = History(["w"], metric="rmse", track_tensor_norms=True, max_rows=64)
    for step in range(1, 1001):
        h.append(step, 10.0 * step, float(step), metric=step / 2, tensor_sq_norms=[step * step])
    assert len(h) <= 64 and h.stride == 16
    np.testing.assert_array_equal(h.steps, np.arange(16, 1001, 16))
    # Each kept row still holds that step's own numbers.
    np.testing.assert_array_equal(h.loss, 10.0 * h.steps)
    np.testing.assert_array_equal(h.metric_values, h.steps / 2)
    np.testing.assert_array_equal(h.tensor_grad_norms[:, 0], h.steps)


def test_validation_rows_thin_too():
    h = History(["w"], max_rows=16)
    for epoch in range(100):
        h.append_validation(epoch + 1, float(epoch), None)
    assert len(h.val_steps) <= 16
    assert np.all(np.diff(h.val_steps) == h.val_stride)


def test_a_long_run_keeps_its_last_loss_and_stops_exactly(tmp_path):
    t = build_trainer(Settings(scenario="parabola", steps=0, lr=0.001, until_loss=1.0))
    t.history.max_rows = 32
    stop = t.run()
    # Without thinning: the same step. The stop condition reads the last step, not the last row.
    u = build_trainer(Settings(scenario="parabola", steps=0, lr=0.001, until_loss=1.0))
    assert u.run().step == stop.step == t.step_count
    assert t.last_loss == u.last_loss < 1.0
    assert len(t.history) <= 32 and t.history.stride > 1
    path = tmp_path / "h.csv"
    write_history_csv(path, t.history)
    assert path.read_text().startswith("step,loss,grad_norm,")  # the header first, always
    cols = read_history_csv(path)
    assert np.all(cols["steps_per_row"] == t.history.stride)  # the thinning, said on every row
    np.testing.assert_array_equal(cols["step"], t.history.steps)
    np.testing.assert_array_equal(cols["loss"], u.history.loss[t.history.steps - 1])


# ----- a call's rows written at once ---------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gdsim.core.record.columns import ThinnedColumns  # noqa: E402
from gdsim.core.record.trace import Trace  # noqa: E402


def _columns(budget: int, origin: int) -> ThinnedColumns:
    return ThinnedColumns({"k": ((), np.int64), "v": ((2,), np.float64)}, key="k", budget=budget, origin=origin)


@settings(max_examples=200, deadline=None)
@given(budget=st.integers(16, 80), origin=st.integers(0, 5), blocks=st.lists(st.integers(0, 300), max_size=8))
def test_a_block_of_rows_is_kept_exactly_as_one_row_at_a_time(budget, origin, blocks):
    one, block = _columns(budget, origin), _columns(budget, origin)
    key = origin + 1
    for size in blocks:
        keys = np.arange(key, key + size, dtype=np.int64)
        values = np.stack([keys * 0.5, -keys * 1.0], axis=1) if size else np.empty((0, 2))
        for k, v in zip(keys, values):
            i = one.slot(int(k))
            if i >= 0:
                one.arrays["k"][i], one.arrays["v"][i] = k, v
        block.extend({"k": keys, "v": values})
        key += size
        assert (block.n, block.stride) == (one.n, one.stride)
        np.testing.assert_array_equal(block["k"], one["k"])
        np.testing.assert_array_equal(block["v"], one["v"])
    assert block.n <= budget


@settings(max_examples=200, deadline=None)
@given(origin=st.integers(0, 5), start=st.integers(0, 9), n=st.integers(1, 60), log_stride=st.integers(0, 3),
       gaps=st.one_of(st.none(), st.lists(st.integers(1, 3), min_size=60, max_size=60)))
def test_thinning_keeps_the_keys_on_the_doubled_stride(origin, start, n, log_stride, gaps):
    """Evenly spaced keys (as recorded) thin by a strided copy, others (a file's) by a mask: both
    keep exactly the rows whose key is a multiple of the doubled stride from the origin."""
    stride = 1 << log_stride
    steps = np.full(n, stride) if gaps is None else np.array(gaps[:n]) * stride
    keys = origin + stride * start + np.cumsum(steps) - steps[0]
    cols = _columns(64, origin)
    cols.load({"k": keys.astype(np.int64), "v": np.stack([keys * 0.5, -keys * 1.0], axis=1)}, stride)
    cols._thin()
    kept = keys[(keys - origin) % (2 * stride) == 0]
    assert cols.stride == 2 * stride
    np.testing.assert_array_equal(cols["k"], kept)
    np.testing.assert_array_equal(cols["v"], np.stack([kept * 0.5, -kept * 1.0], axis=1))


def test_the_trainer_records_the_same_rows_in_one_call_as_step_by_step():
    """Steps taken in one call are written at its end; a run of single steps writes each at once.
    Both keep every number (metric, per-tensor norms, a one-weight trace) and thin alike. digits
    (785 weights) waits 83 rows at most before a write: one call writes several blocks."""
    for scenario in ("parabola", "quadratic", "fruit", "digits"):
        whole = build_trainer(Settings(scenario=scenario, steps=0), track_tensor_norms=True)
        steps = build_trainer(Settings(scenario=scenario, steps=0), track_tensor_norms=True)
        for t in (whole, steps):
            t.history.max_rows = 64
            t.start_trace(range(t.params.size), budget=64 * t.params.size)
        whole.run(300)
        for _ in range(300):
            steps.run(1)
        h, g = whole.history, steps.history
        assert h.stride == g.stride > 1
        np.testing.assert_array_equal(h.steps, g.steps)
        np.testing.assert_array_equal(h.loss, g.loss)
        np.testing.assert_array_equal(h.grad_norm, g.grad_norm)
        np.testing.assert_array_equal(h.tensor_grad_norms, g.tensor_grad_norms)
        if h.metric is not None:
            np.testing.assert_array_equal(h.metric_values, g.metric_values)
        assert whole.trace.stride == steps.trace.stride > 1
        np.testing.assert_array_equal(whole.trace.steps, steps.trace.steps)
        np.testing.assert_array_equal(whole.trace.values, steps.trace.values)
        np.testing.assert_array_equal(whole.trace.grads, steps.trace.grads)


def test_a_one_weight_trace_holds_the_value_after_each_step_and_the_gradient_it_used():
    t = build_trainer(Settings(scenario="parabola", steps=0, lr=0.1))
    t.start_trace([0])
    t.run(5)
    x = 3.0 * 0.8 ** np.arange(6)  # x <- x - 0.1 * 2x
    np.testing.assert_array_equal(t.trace.steps, np.arange(6))
    np.testing.assert_allclose(t.trace.values[:, 0], x, rtol=1e-15)
    np.testing.assert_allclose(t.trace.grads[1:, 0], 2 * x[:-1], rtol=1e-15)
    assert isinstance(t.trace, Trace)
