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
