"""Going back to a past step: the state rebuilt from a checkpoint and a replay is, bit for bit, the
state a fresh run has after the same steps with the same settings changes; memory stays bounded."""

from __future__ import annotations

import numpy as np
import pytest

from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings
from gdsim.core.timeline import Timeline


def settings(scenario, **kw):
    """Every choice filled in, as the window holds them (the scenario's defaults where not given)."""
    return build_trainer(Settings(scenario=scenario, steps=0, **kw)).settings


def run_schedule(trainer, changes: dict, until: int, chunks, timeline=None):
    """Train to step ``until`` in chunks of the given sizes (cycled), applying ``changes[step]``
    (Settings) once the trainer is at that step, as the window applies a setting between chunks."""
    i = 0
    while trainer.step_count < until:
        if trainer.step_count in changes:
            trainer.apply(changes[trainer.step_count])
            if timeline is not None:
                timeline.settings_changed(trainer)
        next_change = min([s for s in changes if s > trainer.step_count] + [until])
        n = min(chunks[i % len(chunks)], next_change - trainer.step_count)
        i += 1
        assert trainer.advance(n) is None
        if timeline is not None:
            timeline.after_steps(trainer)


def assert_same_state(a, b):
    assert a.step_count == b.step_count and a.epoch_count == b.epoch_count
    for name in ("values", "grads"):
        np.testing.assert_array_equal(getattr(a.params, name), getattr(b.params, name), err_msg=name)
    np.testing.assert_array_equal(a.values_before, b.values_before)
    np.testing.assert_array_equal(a.update_grads, b.update_grads)
    assert sorted(a.optimizer.state) == sorted(b.optimizer.state)
    for key in a.optimizer.state:
        np.testing.assert_array_equal(a.optimizer.state[key], b.optimizer.state[key], err_msg=key)
    sa, sb = a.sampler.get_state(), b.sampler.get_state()
    assert sa["pos"] == sb["pos"] and sa["rng"] == sb["rng"]
    if sa["order"] is not None or sb["order"] is not None:
        np.testing.assert_array_equal(sa["order"], sb["order"])
    assert a.lr == b.lr and a.zero_grad == b.zero_grad and a.last_loss == b.last_loss


CASES = {
    "fruit": (settings("fruit"), {40: dict(lr=2e-5), 90: dict(optimizer="momentum")}),
    "micrograd zeroing off at 20": (settings("micrograd"), {20: dict(zero_grad=False), 45: dict(zero_grad=True)}),
    "quadratic mini-batches": (settings("quadratic", batch_size=4, seed=5), {33: dict(optimizer="adam", lr=0.05)}),
    "digits MLP": (settings("digits", model="mlp", batch_size=64), {17: dict(lr=0.3)}),
    "digits10 adam": (settings("digits10", optimizer="adam", lr=0.01, batch_size=100), {}),
    "parabola": (settings("parabola", lr=0.9), {12: dict(lr=0.5)}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_any_step_rebuilt_is_the_fresh_run_at_that_step(case):
    base, change_kw = CASES[case]
    total = 120
    changes = {step: base.replace(**kw) for step, kw in change_kw.items()}
    run = build_trainer(base)
    timeline = Timeline(run, most=8)  # few checkpoints: replays of many steps
    run_schedule(run, changes, total, chunks=[7, 1, 13, 3], timeline=timeline)
    assert len(timeline.marks) <= 8 + len(changes)
    scratch = build_trainer(base)
    rng = np.random.default_rng(0)
    for k in [0, 1, total, *rng.integers(0, total, 12).tolist()]:
        timeline.rebuild(k, scratch)
        fresh = build_trainer(base)
        run_schedule(fresh, changes, k, chunks=[k or 1])
        if k in changes:  # at a change the rebuilt trainer has the settings the next step uses
            fresh.apply(changes[k])
        assert_same_state(scratch, fresh)
    timeline.rebuild(total, scratch)
    assert_same_state(scratch, run)


def test_memory_is_bounded_and_a_replay_is_at_most_twice_the_spacing_plus_a_chunk():
    run = build_trainer(settings("fruit"))
    timeline = Timeline(run, most=64)
    chunk = 250
    for _ in range(400):  # 100,000 steps
        run.advance(chunk)
        timeline.after_steps(run)
    assert len(timeline.marks) <= 64
    steps = [m.step for m in timeline.marks]
    assert steps[0] == 0 and steps == sorted(steps)
    assert max(np.diff(steps + [run.step_count])) <= 2 * timeline.every + chunk
    assert timeline.nbytes == sum(m.nbytes for m in timeline.marks) < 64 * 1024


def test_the_budget_in_bytes_bounds_a_big_models_checkpoints():
    run = build_trainer(settings("digits10"))
    one = Timeline(run).marks[0].nbytes
    timeline = Timeline(run, budget_bytes=10 * one)
    for _ in range(50):
        run.advance(3)
        timeline.after_steps(run)
    assert len(timeline.marks) <= 10 and timeline.nbytes <= 10 * one


def test_more_settings_changes_than_checkpoints_put_the_oldest_steps_out_of_reach_not_wrong():
    base = settings("fruit")
    changes = {s: base.replace(lr=1e-5 * (1 + s % 3)) for s in range(1, 60)}
    run = build_trainer(base)
    timeline = Timeline(run, most=8)
    run_schedule(run, changes, 80, chunks=[1], timeline=timeline)
    assert timeline.first_step > 0 and len(timeline.marks) <= 8
    scratch = build_trainer(base)
    for k in range(timeline.first_step, 81, 7):
        timeline.rebuild(k, scratch)
        fresh = build_trainer(base)
        run_schedule(fresh, changes, k, chunks=[1])
        if k in changes:
            fresh.apply(changes[k])
        assert_same_state(scratch, fresh)


def test_a_branch_goes_on_from_its_step_and_the_original_is_untouched():
    base = settings("micrograd")
    run = build_trainer(base)
    timeline = Timeline(run, most=16)
    run_schedule(run, {}, 60, chunks=[5], timeline=timeline)
    branch = build_trainer(base)
    timeline.rebuild(25, branch)
    branch_line = timeline.up_to(25)
    branch.apply(base.replace(zero_grad=False))
    branch_line.settings_changed(branch)
    run_schedule(branch, {}, 50, chunks=[4], timeline=branch_line)
    # the original still rebuilds as it was
    scratch = build_trainer(base)
    timeline.rebuild(40, scratch)
    fresh = build_trainer(base)
    fresh.advance(40)
    assert_same_state(scratch, fresh)
    # and the branch rebuilds as a run that turned zeroing off at step 25
    timeline_steps = [m.step for m in branch_line.marks]
    assert max(timeline_steps) <= 50
    branch_line.rebuild(40, scratch)
    fresh = build_trainer(base)
    run_schedule(fresh, {25: base.replace(zero_grad=False)}, 40, chunks=[40])
    assert_same_state(scratch, fresh)


def test_bigger_checkpoints_after_a_switch_to_adam_stay_within_the_byte_budget():
    base = settings("digits", model="mlp", batch_size=64)
    run = build_trainer(base)
    one = Timeline(run).marks[0].nbytes
    timeline = Timeline(run, budget_bytes=12 * one)
    run.apply(base.replace(optimizer="adam", lr=0.01))  # two more vectors in every checkpoint
    timeline.settings_changed(run)
    for _ in range(40):
        run.advance(2)
        timeline.after_steps(run)
    assert timeline.nbytes == sum(m.nbytes for m in timeline.marks) <= 12 * one
