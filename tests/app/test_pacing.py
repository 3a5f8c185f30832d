"""The pacing rules (gdsim/app/pacing.py) with made-up clocks: no display, no timing."""

import pytest

from gdsim.app.pacing import CHUNK_SECONDS, HEAVY, LIGHT, MAX_CHUNK, MAX_FPS, SHARES, ChunkSizer, ViewSchedule


# ----- ChunkSizer -----------------------------------------------------------------------------

def test_a_new_run_starts_with_one_step_whatever_the_last_run_cost():
    chunks = ChunkSizer()
    chunks.took(1000, 0.001)  # a fast run before
    chunks.reset()
    assert chunks.next() == 1


def test_a_chunk_fills_the_chunk_time_from_the_measured_step_time():
    chunks = ChunkSizer()
    chunks.took(1, CHUNK_SECONDS / 40)
    assert chunks.next() == 40


def test_a_step_slower_than_the_chunk_time_still_makes_a_chunk_of_one():
    chunks = ChunkSizer()
    chunks.took(1, 0.35)  # one digits MLP step on a slow machine
    assert chunks.next() == 1


def test_very_fast_steps_are_capped():
    chunks = ChunkSizer()
    chunks.took(10, 1e-9)
    assert chunks.next() == MAX_CHUNK


def test_a_slower_step_is_believed_at_once_so_pause_is_not_held_up():
    chunks = ChunkSizer()
    chunks.took(1, CHUNK_SECONDS / 100)
    assert chunks.next() == 100
    chunks.took(100, 100 * CHUNK_SECONDS / 10)  # settings changed: ten times slower per step
    assert chunks.next() == 10


def test_a_faster_step_is_believed_gradually():
    chunks = ChunkSizer()
    chunks.took(1, CHUNK_SECONDS / 10)
    chunks.took(10, 10 * CHUNK_SECONDS / 1000)  # one fast measurement (noise, or a cache warming)
    assert 10 < chunks.next() < 1000
    for _ in range(60):
        chunks.took(10, 10 * CHUNK_SECONDS / 1000)
    assert chunks.next() == pytest.approx(1000, rel=0.01)


@pytest.mark.parametrize("steps, seconds", [(0, 0.01), (5, 0.0), (5, -1.0)])
def test_an_empty_or_clockless_measurement_changes_nothing(steps, seconds):
    chunks = ChunkSizer()
    chunks.took(1, CHUNK_SECONDS / 8)
    chunks.took(steps, seconds)
    assert chunks.next() == 8


# ----- ViewSchedule ---------------------------------------------------------------------------

def schedule_of(**kinds):
    schedule = ViewSchedule()
    for name, kind in kinds.items():
        schedule.add(name, kind)
    return schedule


def test_views_never_drawn_are_all_due_but_only_one_heavy_view():
    schedule = schedule_of(loss=LIGHT, grads=HEAVY, preds=HEAVY)
    assert schedule.due(0.0, ["loss", "grads", "preds"]) == ["loss", "grads"]


def test_only_waiting_views_are_drawn():
    schedule = schedule_of(loss=LIGHT, grads=HEAVY)
    assert schedule.due(0.0, ["grads"]) == ["grads"]
    assert schedule.due(0.0, []) == []


def test_the_heavy_view_that_waited_longest_goes_first():
    schedule = schedule_of(loss=LIGHT, grads=HEAVY, preds=HEAVY)
    schedule.drawn("grads", 0.0, 0.001)
    schedule.drawn("preds", 0.5, 0.001)
    assert schedule.due(10.0, ["grads", "preds"]) == ["grads"]
    schedule.drawn("grads", 10.0, 0.001)
    assert schedule.due(20.0, ["grads", "preds"]) == ["preds"]


def test_a_cheap_view_is_limited_by_its_most_redraws_a_second():
    schedule = schedule_of(loss=LIGHT)
    schedule.drawn("loss", 0.0, 1e-6)
    assert schedule.interval("loss") == pytest.approx(1 / MAX_FPS[LIGHT])
    assert schedule.due(0.5 / MAX_FPS[LIGHT], ["loss"]) == []
    assert schedule.due(1.0 / MAX_FPS[LIGHT], ["loss"]) == ["loss"]


def test_a_costly_view_gets_only_its_share_of_the_time():
    schedule = schedule_of(grads=HEAVY)
    schedule.drawn("grads", 0.0, 0.030)  # 30 ms a draw on a slow machine
    interval = 0.030 / SHARES[HEAVY]
    assert schedule.interval("grads") == pytest.approx(interval)
    assert schedule.due(0.9 * interval, ["grads"]) == []
    assert schedule.due(interval, ["grads"]) == ["grads"]


def test_the_cost_follows_the_draws_but_one_slow_draw_does_not_dominate():
    schedule = schedule_of(loss=LIGHT)
    schedule.drawn("loss", 0.0, 0.002)
    assert schedule.cost("loss") == pytest.approx(0.002)
    schedule.drawn("loss", 1.0, 0.102)
    assert 0.002 < schedule.cost("loss") < 0.102 / 2
    for t in range(2, 40):
        schedule.drawn("loss", float(t), 0.010)
    assert schedule.cost("loss") == pytest.approx(0.010, rel=1e-3)


def test_whatever_the_costs_the_views_together_stay_inside_the_gui_share():
    from gdsim.app.pacing import GUI_SHARE

    schedule = schedule_of(loss=LIGHT, grads=HEAVY, preds=HEAVY)
    costs = {"loss": 0.004, "grads": 0.025, "preds": 0.015}
    spent, now = 0.0, 0.0
    while now < 60.0:
        for view in schedule.due(now, list(costs)):
            schedule.drawn(view, now, costs[view])
            spent += costs[view]
        now += 1 / 45
    assert spent / 60.0 <= GUI_SHARE
