"""Going back in the window: the timeline shows any step exactly as a fresh run has it, every view
follows, keys move it, and Run from an earlier step starts a branch that leaves the original."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import TIMEOUT, wait_paused_at
from PySide6.QtCore import Qt

from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings

pytestmark = pytest.mark.gui


def fresh(settings: Settings, steps: int, changes=None):
    """A run of ``settings`` taken to ``steps`` with nothing in between, applying ``changes``
    ({step: Settings}) when it gets there."""
    t = build_trainer(settings)
    changes = changes or {}
    while t.step_count < steps:
        if t.step_count in changes:
            t.apply(changes[t.step_count])
        nxt = min([s for s in changes if s > t.step_count] + [steps])
        assert t.advance(nxt - t.step_count) is None
    return t


def wait_showing(qtbot, w, step, past=True):
    qtbot.waitUntil(lambda: w.last_snapshot is not None and w.last_snapshot.step == step
                    and w.last_snapshot.past == past, timeout=TIMEOUT)


def assert_snapshot_is(snap, t):
    np.testing.assert_array_equal(snap.values, t.params.values)
    np.testing.assert_array_equal(snap.grad_buffer, t.params.grads)
    np.testing.assert_array_equal(snap.values_before, t.values_before)
    np.testing.assert_array_equal(snap.update_grads, t.update_grads)
    assert snap.current_loss == t.evaluate("train")[0]


@pytest.mark.parametrize("scenario, extra", [("fruit", {}), ("micrograd", {}),
                                             ("quadratic", {"batch_size": 5}), ("digits", {"model": "mlp"})])
def test_any_step_shown_is_the_fresh_run_at_that_step(make_window, qtbot, scenario, extra):
    w = make_window(scenario=scenario, steps=0, **extra)
    settings = w.settings
    w.step(60)
    wait_paused_at(qtbot, w, 60)
    for k in (37, 0, 59, 12):
        w.go_to_step(k)
        wait_showing(qtbot, w, k)
        assert_snapshot_is(w.last_snapshot, fresh(settings, k))
        assert w.timeline.slider.value() == k and w.loss_view.cursor.isVisible()
        assert w.loss_view.cursor.value() == k
        assert all(line.isVisible() and line.value() == k for line in w.gradient_view._cursors)
        assert f"step {k} of 60" in w.status_step.text()
        row = w.controller.worker.trainer.history
        if k > 0:  # the status bar's loss is that step's, as its history row has it
            assert w.status_loss.text().startswith(f"loss {row.loss[k - 1]:.6g}")
    assert w.gradient_view.update_line  # the tracked weight's update at step 12, as fresh's
    w.go_to_step(0)
    wait_showing(qtbot, w, 0)
    w.go_to_step(60)
    wait_showing(qtbot, w, 60, past=False)
    assert not w.loss_view.cursor.isVisible()
    assert w.status_loss.text().startswith(f"loss {row.loss[59]:.6g}")  # the newest step's again, not step 0's
    assert not any(line.isVisible() for line in w.gradient_view._cursors)


def test_a_live_change_of_settings_is_replayed_where_it_happened(make_window, qtbot):
    w = make_window(scenario="micrograd", steps=0)
    base = w.settings
    w.step(20)
    wait_paused_at(qtbot, w, 20)
    w.controls.zero_grad.click()  # zeroing off from step 20
    qtbot.waitUntil(lambda: w.settings.zero_grad is False, timeout=TIMEOUT)
    w.step(15)
    wait_paused_at(qtbot, w, 35)
    w.go_to_step(30)
    wait_showing(qtbot, w, 30)
    assert_snapshot_is(w.last_snapshot, fresh(base, 30, {20: base.replace(zero_grad=False)}))


def test_keys_move_through_the_steps_and_right_at_the_newest_takes_a_step(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    w.step(50)
    wait_paused_at(qtbot, w, 50)
    w.view_area.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_Left)
    wait_showing(qtbot, w, 49)
    qtbot.keyClick(w, Qt.Key.Key_PageUp)
    wait_showing(qtbot, w, 44)
    qtbot.keyClick(w, Qt.Key.Key_Home)
    wait_showing(qtbot, w, 0)
    qtbot.keyClick(w, Qt.Key.Key_Right)
    wait_showing(qtbot, w, 1)
    qtbot.keyClick(w, Qt.Key.Key_End)
    wait_showing(qtbot, w, 50, past=False)
    qtbot.keyClick(w, Qt.Key.Key_Right)  # at the newest step: a new step
    wait_paused_at(qtbot, w, 51)
    assert not w.last_snapshot.past


def test_run_from_an_earlier_step_branches_and_the_original_stays(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    base = w.settings
    w.step(80)
    wait_paused_at(qtbot, w, 80)
    original = w.controller.worker.trainer
    w.go_to_step(30)
    wait_showing(qtbot, w, 30)
    w.controls.lr_field.setText("2e-05")  # a live setting changed while looking back
    w.controls.lr_field.editingFinished.emit()
    qtbot.waitUntil(lambda: w.settings.lr == 2e-5, timeout=TIMEOUT)
    w.step(10)  # the branch: steps 31-40 with the new lr
    wait_paused_at(qtbot, w, 40)
    assert [w.timeline.branches.itemText(i) for i in range(w.timeline.branches.count())] == \
        ["main", "lr 2e-05 from step 30"]
    assert w.timeline.branches.currentIndex() == 1
    expected = fresh(base, 40, {30: base.replace(lr=2e-5)})
    assert_snapshot_is(w.last_snapshot, expected)
    # the branch's loss curve is the original's first 30 steps and its own 10
    np.testing.assert_array_equal(w.loss_view.curve_data()[1], expected.history.loss)
    # the original run is untouched (its settings too), and comes back from the list
    assert original.step_count == 80 and original.settings == base
    w.timeline.branches.activated.emit(0)
    wait_paused_at(qtbot, w, 80)
    assert_snapshot_is(w.last_snapshot, fresh(base, 80))
    assert w.settings == base and w.controls.lr_field.text() == "1e-05"


def test_run_from_an_earlier_step_of_a_run_at_its_step_limit_goes_on_to_the_limit(make_window, qtbot):
    w = make_window(scenario="fruit", steps=40)
    base = w.settings
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state == "stopped" and w.last_snapshot.step == 40, timeout=TIMEOUT)
    w.go_to_step(25)
    wait_showing(qtbot, w, 25)
    w.controls.lr_field.setText("2e-05")
    w.controls.lr_field.editingFinished.emit()
    qtbot.waitUntil(lambda: w.settings.lr == 2e-5, timeout=TIMEOUT)
    w.toggle_run()  # a branch from step 25, which has 15 steps left before the limit
    qtbot.waitUntil(lambda: w.state == "stopped" and w.last_snapshot.step == 40 and not w.last_snapshot.past,
                    timeout=TIMEOUT)
    assert w.timeline.branches.count() == 2
    assert_snapshot_is(w.last_snapshot, fresh(base.replace(steps=0), 40, {25: base.replace(steps=0, lr=2e-5)}))


def test_run_or_step_from_an_earlier_step_that_changes_nothing_goes_along_the_run(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    w.step(30)
    wait_paused_at(qtbot, w, 30)
    w.go_to_step(10)
    wait_showing(qtbot, w, 10)
    w.step(5)  # the run's own steps 11-15: shown, not taken again
    wait_showing(qtbot, w, 15)
    w.step(20)  # to step 30 along the run, then 5 new steps
    wait_paused_at(qtbot, w, 35)
    assert w.timeline.branches.count() == 1 and not w.last_snapshot.past
    assert_snapshot_is(w.last_snapshot, fresh(w.settings, 35))


def test_from_before_a_change_of_settings_going_on_is_a_branch_with_the_steps_settings(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    base = w.settings
    w.step(20)
    wait_paused_at(qtbot, w, 20)
    w.controller.call("configure", base.replace(lr=2e-5))  # the run changes its lr at step 20
    qtbot.waitUntil(lambda: w.settings.lr == 2e-5, timeout=TIMEOUT)
    w.step(10)
    wait_paused_at(qtbot, w, 30)
    w.go_to_step(10)
    wait_showing(qtbot, w, 10)
    w.step(15)  # at step 10's lr, 1e-5, all the way: not what the run did
    wait_paused_at(qtbot, w, 25)
    assert [w.timeline.branches.itemText(i) for i in range(w.timeline.branches.count())] == \
        ["main", "same settings from step 10"]
    assert_snapshot_is(w.last_snapshot, fresh(base, 25))


def test_compare_zeroing_pins_the_same_start_with_zeroing_off_beside_the_run(make_window, qtbot):
    w = make_window(scenario="micrograd")
    settings = w.settings
    w.controller.call("compare_zeroing")  # Shift+Z
    wait_paused_at(qtbot, w, settings.steps)  # the run itself, stepped as far
    qtbot.waitUntil(lambda: len(w.pins) == 1, timeout=TIMEOUT)
    pin = w.pins[0]
    assert pin.name == "zeroing off from step 0"
    twin = fresh(settings.replace(zero_grad=False, steps=0), settings.steps)
    np.testing.assert_array_equal(pin.loss, twin.history.loss)
    steps, loss = w.loss_view._pin_curves[0].getData()
    np.testing.assert_array_equal(steps, twin.history.steps)
    assert "zeroing off from step 0" in w.loss_view.loss_plot.titleLabel.text
    # the stall beside the convergence, as the lesson says
    assert pin.loss[-1] > 1 > 0.01 > w.controller.worker.trainer.history.loss[-1]
    assert [w.timeline.branches.itemText(i) for i in range(w.timeline.branches.count())] == \
        ["main", "zeroing off from step 0"]
    # the tracked weight's path in it, and its six tensors' gradient norms; its predictions as rings
    assert len(w.gradient_view._pin_curves) == 7
    rings = w.prediction_view._pin_items[0].getData()
    np.testing.assert_array_equal(rings[1], pin.predictions.ravel())


def test_pins_replace_their_namesake_and_go_with_the_lesson(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    w.step(20)
    wait_paused_at(qtbot, w, 20)
    w.controller.call("pin")
    qtbot.waitUntil(lambda: len(w.pins) == 1 and len(w.pins[0].steps) == 20, timeout=TIMEOUT)
    w.step(10)
    wait_paused_at(qtbot, w, 30)
    w.controller.call("pin")  # the same run again: its newer curves replace the old
    qtbot.waitUntil(lambda: len(w.pins) == 1 and len(w.pins[0].steps) == 30, timeout=TIMEOUT)
    assert w.clear_pins_action.isEnabled()
    i = w.controls.scenario.findData("parabola")
    w.controls.scenario.setCurrentIndex(i)
    w.controls.scenario.activated.emit(i)
    qtbot.waitUntil(lambda: w.info.scenario == "parabola" and not w.pins, timeout=TIMEOUT)
    assert not w.loss_view._pin_curves and not w.clear_pins_action.isEnabled()


def test_a_pinned_quadratic_run_draws_its_fitted_curve_dashed(make_window, qtbot):
    w = make_window(scenario="quadratic", steps=0)
    w.step(30)
    wait_paused_at(qtbot, w, 30)
    w.controller.call("pin")
    qtbot.waitUntil(lambda: len(w.pins) == 1 and len(w.prediction_view._pin_items) == 1, timeout=TIMEOUT)
    xs, ys = w.prediction_view._pin_items[0].getData()
    np.testing.assert_array_equal(xs, w.info.curve_x)
    np.testing.assert_array_equal(ys, w.last_snapshot.curve_predictions)  # pinned at the step shown


def test_a_saved_session_keeps_the_branches_and_the_pins(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit", steps=0)
    w.step(20)
    wait_paused_at(qtbot, w, 20)
    w.go_to_step(8)
    wait_showing(qtbot, w, 8)
    w.controller.call("configure", w.settings.replace(lr=2e-5))
    qtbot.waitUntil(lambda: w.settings.lr == 2e-5, timeout=TIMEOUT)
    w.step(4)  # a branch: steps 9-12 at lr 2e-5
    wait_paused_at(qtbot, w, 12)
    w.controller.call("pin")
    qtbot.waitUntil(lambda: len(w.pins) == 1, timeout=TIMEOUT)
    path = tmp_path / "two.gdsim"
    w.save_session(str(path))
    qtbot.waitUntil(lambda: w.document.path == str(path), timeout=TIMEOUT)
    other = make_window(scenario="quadratic")
    other.open_session(str(path))
    wait_paused_at(qtbot, other, 12)
    names = [other.timeline.branches.itemText(i) for i in range(other.timeline.branches.count())]
    assert names == ["main", "lr 2e-05 from step 8"] and other.timeline.branches.currentIndex() == 1
    qtbot.waitUntil(lambda: len(other.pins) == 1, timeout=TIMEOUT)
    np.testing.assert_array_equal(other.pins[0].loss, w.pins[0].loss)
    assert len(other.loss_view._pin_curves) == 1
    other.timeline.branches.activated.emit(0)
    wait_paused_at(qtbot, other, 20)
    assert_snapshot_is(other.last_snapshot, fresh(w.settings.replace(lr=1e-5), 20))


def test_another_loss_chosen_at_an_earlier_step_branches_from_that_state(make_window, qtbot):
    w = make_window(scenario="micrograd", steps=0)
    assert w.settings.loss == "sse"
    w.step(20)
    wait_paused_at(qtbot, w, 20)
    w.go_to_step(10)
    wait_showing(qtbot, w, 10)
    w.controller.call("configure", w.settings.replace(loss="mse"))
    qtbot.waitUntil(lambda: w.settings.loss == "mse", timeout=TIMEOUT)  # the controls show it
    assert w.last_snapshot.past and w.last_snapshot.step == 10  # still looking at step 10
    w.step(5)
    wait_paused_at(qtbot, w, 15)
    names = [w.timeline.branches.itemText(i) for i in range(w.timeline.branches.count())]
    assert names == ["main", "loss mse from step 10"]
    # full-batch SGD with zeroing: the state at step 10 is its weights; from them, MSE's own steps
    at10 = fresh(build_trainer(Settings(scenario="micrograd", steps=0)).settings, 10)
    mse = build_trainer(Settings(scenario="micrograd", steps=0, loss="mse"))
    mse.params.values[...] = at10.params.values
    assert mse.advance(5) is None
    branch = w.controller.worker.trainer
    np.testing.assert_array_equal(branch.params.values, mse.params.values)
    np.testing.assert_array_equal(branch.history.loss[10:], mse.history.loss)
    np.testing.assert_array_equal(branch.history.loss[:10], at10.history.loss)  # the run's own steps before


def test_looking_back_shows_the_steps_settings_and_keeps_the_curves(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    w.step(40)
    wait_paused_at(qtbot, w, 40)
    w.controls.lr_field.setText("2e-05")  # from step 40 on
    w.controls.lr_field.editingFinished.emit()
    qtbot.waitUntil(lambda: w.settings.lr == 2e-5, timeout=TIMEOUT)
    w.step(10)
    wait_paused_at(qtbot, w, 50)
    rows = len(w.gradient_view.trace.column(0)[0])
    w.go_to_step(20)
    wait_showing(qtbot, w, 20)
    qtbot.waitUntil(lambda: w.settings.lr == 1e-5, timeout=TIMEOUT)  # the controls show step 20's settings
    assert w.controls.lr_field.text() == "1e-05"
    assert len(w.gradient_view.trace.column(0)[0]) == rows  # the followed weight's path stays whole
    w.go_to_step(50)
    wait_showing(qtbot, w, 50, past=False)
    qtbot.waitUntil(lambda: w.settings.lr == 2e-5, timeout=TIMEOUT)
    w.step(3)
    wait_paused_at(qtbot, w, 53)
    assert len(w.gradient_view.trace.column(0)[0]) == rows + 3
    steps, values = w.gradient_view.value_curve.getData()
    assert len(steps) == rows + 3


def test_a_pin_widens_the_gradient_views_ranges_at_once(make_window, qtbot):
    w = make_window(scenario="micrograd", steps=0)
    w.step(40)
    wait_paused_at(qtbot, w, 40)
    w.controller.call("compare_zeroing")
    qtbot.waitUntil(lambda: len(w.pins) == 1, timeout=TIMEOUT)
    pin = w.pins[0]
    lo, hi = w.gradient_view.value_plot.viewRange()[1]
    assert lo <= np.nanmin(pin.weight_values) and np.nanmax(pin.weight_values) <= hi


def test_the_slider_holds_a_run_of_billions_of_steps(qtbot):
    from types import SimpleNamespace

    from gdsim.app.timeline_bar import POSITIONS, TimelineBar

    bar = TimelineBar()
    qtbot.addWidget(bar)
    asked = []
    bar.wanted.connect(asked.append)
    bar.show_snapshot(SimpleNamespace(step=3_000_000_000, latest=5_000_000_000, earliest=0, past=True))
    assert bar.slider.maximum() <= POSITIONS and bar.slider.isEnabled()
    bar.slider.setValue(bar.slider.maximum())
    bar.slider.setValue(bar.slider.maximum() // 2)
    assert asked == [5_000_000_000, bar.slider.maximum() // 2 * bar.unit]
    bar.show_snapshot(SimpleNamespace(step=50, latest=50, earliest=50, past=False))
    assert not bar.slider.isEnabled()  # an opened session: nothing before its step to go back to
    assert bar.slider.value() == bar.slider.maximum() and bar.title.buddy() is bar.branches
    assert "cannot be shown" in bar.where.toolTip()


def test_two_runs_of_the_same_name_pin_side_by_side(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    w.step(10)
    wait_paused_at(qtbot, w, 10)
    w.controller.call("pin")
    qtbot.waitUntil(lambda: len(w.pins) == 1, timeout=TIMEOUT)
    w.reset()  # a new run, also "main"
    w.step(5)
    wait_paused_at(qtbot, w, 5)
    w.controller.call("pin")
    qtbot.waitUntil(lambda: len(w.pins) == 2, timeout=TIMEOUT)
    assert [p.name for p in w.pins] == ["main", "main #2"]
    assert [len(p.steps) for p in w.pins] == [10, 5]


def test_what_is_chosen_looking_back_goes_on_top_of_each_steps_settings(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    base = w.settings
    w.step(50)
    wait_paused_at(qtbot, w, 50)
    w.controller.call("configure", base.replace(lr=2e-5))  # the run's lr from step 50
    qtbot.waitUntil(lambda: w.settings.lr == 2e-5, timeout=TIMEOUT)
    w.step(50)
    wait_paused_at(qtbot, w, 100)
    w.go_to_step(30)
    wait_showing(qtbot, w, 30)
    qtbot.waitUntil(lambda: w.settings.lr == 1e-5, timeout=TIMEOUT)
    w.controller.call("configure", w.settings.replace(loss="mae"))
    qtbot.waitUntil(lambda: w.settings.loss == "mae", timeout=TIMEOUT)
    w.go_to_step(80)
    wait_showing(qtbot, w, 80)
    qtbot.waitUntil(lambda: w.settings.lr == 2e-5 and w.settings.loss == "mae", timeout=TIMEOUT)
    with qtbot.waitSignal(w.controller.failed, timeout=TIMEOUT):
        w.controller.call("configure", w.settings.replace(optimizer="nonsense"))  # refused at once
    qtbot.waitUntil(lambda: w.settings.optimizer == base.optimizer and w.settings.loss == "mae", timeout=TIMEOUT)
    w.step(2)
    wait_paused_at(qtbot, w, 82)
    assert w.timeline.branches.itemText(w.timeline.branches.currentIndex()) == "loss mae from step 80"


def test_undo_to_another_lesson_takes_its_pins_away(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    w.step(5)
    wait_paused_at(qtbot, w, 5)
    i = w.controls.scenario.findData("quadratic")
    w.controls.scenario.setCurrentIndex(i)
    w.controls.scenario.activated.emit(i)
    qtbot.waitUntil(lambda: w.info.scenario == "quadratic", timeout=TIMEOUT)
    w.step(3)
    wait_paused_at(qtbot, w, 3)
    w.controller.call("pin")
    qtbot.waitUntil(lambda: len(w.pins) == 1, timeout=TIMEOUT)
    w.controller.call("undo")  # back to the fruit run
    qtbot.waitUntil(lambda: w.info.scenario == "fruit" and not w.pins, timeout=TIMEOUT)


def test_a_pinned_parabola_run_draws_its_path_on_the_curve(make_window, qtbot):
    w = make_window(scenario="parabola", steps=0)
    w.step(12)
    wait_paused_at(qtbot, w, 12)
    w.controller.call("pin")
    qtbot.waitUntil(lambda: len(w.prediction_view._pin_items) == 1, timeout=TIMEOUT)
    xs, fs = w.prediction_view._pin_items[0].getData()
    t = w.controller.worker.trainer
    np.testing.assert_array_equal(xs, t.trace.values[:12, 0])  # x after steps 0..11
    np.testing.assert_array_equal(fs, fresh(w.settings, 12).history.loss)  # f there: what steps 1..12 printed
