"""A big model's snapshots may reuse the last pass over all its data (SnapshotTaker.take's
``evaluate``), and then say which step its numbers are of; a small model's never do."""

from __future__ import annotations

import numpy as np

from gdsim.core.engine.losses import apply_link
from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.settings import Settings
from gdsim.core.snapshot import SnapshotTaker, run_info


def taker_of(scenario: str, **settings):
    t = build_trainer(Settings(scenario=scenario, **settings))
    return t, SnapshotTaker(1, run_info(1, get_scenario(scenario), t, t.settings))


def test_a_big_model_not_evaluated_carries_the_last_pass_and_its_step():
    t, taker = taker_of("digits10")
    assert not taker.small_pass  # 3,000 images times 7,850 weights
    first = taker.take(t)
    t.run(3)
    later = taker.take(t, evaluate=False)
    assert (later.step, later.evaluated, first.evaluated) == (3, 0, 0)
    np.testing.assert_array_equal(later.steps, [1, 2, 3])  # the rows and weights are the step's own
    np.testing.assert_array_equal(later.values, t.params.values)
    assert later.predictions is first.predictions and later.val_predictions is first.val_predictions
    assert (later.current_loss, later.current_metric) == (first.current_loss, first.current_metric)

    fresh = taker.take(t)
    assert fresh.evaluated == fresh.step == 3
    np.testing.assert_allclose(fresh.predictions, apply_link("softmax", t.predict()))
    assert (fresh.current_loss, fresh.current_metric) == t.evaluate("train")
    assert not np.array_equal(fresh.predictions, first.predictions)


def test_a_small_model_is_evaluated_in_every_snapshot_asked_or_not():
    t, taker = taker_of("fruit")
    assert taker.small_pass
    taker.take(t)
    t.run(5)
    snap = taker.take(t, evaluate=False)
    assert snap.evaluated == snap.step == 5
    assert snap.current_loss == t.evaluate("train")[0]


def test_a_pass_of_another_trainer_or_of_a_later_step_is_never_reused():
    t, taker = taker_of("digits10")
    t.run(4)
    taker.take(t)
    other = build_trainer(t.settings)
    other.run(6)
    assert taker.take(other, evaluate=False).evaluated == 6  # the pass was of another trainer
    other.reset()
    snap = taker.take(other, evaluate=False)  # the pass was of its step 6, it is at 0 again
    assert snap.evaluated == snap.step == 0
    assert snap.current_loss == other.evaluate("train")[0]
