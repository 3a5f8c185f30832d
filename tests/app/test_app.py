"""The real window, driven through pytest-qt, offscreen."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from gui_helpers import TIMEOUT, wait_paused_at
from PySide6.QtCore import Qt

from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings

pytestmark = pytest.mark.gui

def engine(settings: Settings, steps: int):
    """The engine on its own, for the numbers the window must show."""
    t = build_trainer(settings)
    t.max_steps = None
    for _ in range(steps):
        assert t.step() is None
    return t


def test_starts_paused_on_fresh_weights_showing_the_initial_loss(make_window):
    w = make_window(scenario="fruit")
    snap = w.last_snapshot
    assert w.state == "paused" and snap.step == 0
    t = engine(Settings(scenario="fruit"), 0)
    np.testing.assert_array_equal(snap.values, t.params.values)
    assert snap.current_loss == t.evaluate("train")[0]
    assert f"{snap.current_loss:.6g}" in w.status_loss.text()
    assert w.loss_view.train.count == 0 and w.loss_view.empty.isVisible()


def test_step_advances_exactly_one_step(make_window, qtbot):
    w = make_window(scenario="fruit")
    w.step(1)
    wait_paused_at(qtbot, w, 1)
    t = engine(Settings(scenario="fruit"), 1)
    x, y = w.loss_view.curve_data()
    np.testing.assert_array_equal(x, [1.0])
    np.testing.assert_array_equal(y, t.history.loss)
    np.testing.assert_array_equal(w.last_snapshot.values, t.params.values)


def test_run_then_pause_stops_the_step_counter(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    w.toggle_run()
    qtbot.waitUntil(lambda: w.last_snapshot.step > 200, timeout=TIMEOUT)
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state == "paused", timeout=TIMEOUT)
    paused_at = w.last_snapshot.step
    # Commands are handled in order: if anything ran after the pause, one Step would land past paused_at + 1.
    w.step(1)
    wait_paused_at(qtbot, w, paused_at + 1)
    assert w.loss_view.train.count == paused_at + 1
    t = engine(Settings(scenario="fruit"), paused_at + 1)
    np.testing.assert_array_equal(w.loss_view.curve_data()[1], t.history.loss)


def test_toggling_zeroing_mid_run_changes_gradients_as_the_engine_predicts(make_window, qtbot):
    w = make_window(scenario="fruit")
    w.step(3)
    wait_paused_at(qtbot, w, 3)
    w.controls.zero_grad.click()  # off
    qtbot.waitUntil(lambda: not w.controls.settings.zero_grad, timeout=TIMEOUT)
    w.step(2)
    wait_paused_at(qtbot, w, 5)

    t = engine(Settings(scenario="fruit"), 3)
    t.zero_grad = False
    grads = []
    for _ in range(2):
        assert t.step() is None
        grads.append(t.update_grads.copy())
    snap = w.last_snapshot
    np.testing.assert_array_equal(snap.update_grads, grads[-1])
    np.testing.assert_array_equal(snap.values, t.params.values)
    # With zeroing off, .grad keeps the sum: step 5 used step 4's gradient plus its own.
    np.testing.assert_array_equal(snap.grad_buffer, t.params.grads)
    assert np.linalg.norm(grads[1]) > np.linalg.norm(grads[0])
    np.testing.assert_array_equal(w.loss_view.curve_data()[1], t.history.loss)


def test_changing_the_learning_rate_while_running_takes_effect(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    w.toggle_run()
    qtbot.waitUntil(lambda: w.last_snapshot.step > 50, timeout=TIMEOUT)
    w.controls.lr_field.setText("2e-05")
    w.controls.lr_field.editingFinished.emit()
    qtbot.waitUntil(lambda: w.last_snapshot.last_lr == 2e-05, timeout=TIMEOUT)
    assert w.state == "running"
    snap = w.last_snapshot
    # The last update used the new rate, exactly: value = before - lr * grad.
    np.testing.assert_array_equal(snap.values, snap.values_before - 2e-05 * snap.update_grads)
    w.toggle_run()


def test_views_hold_the_data_the_engine_produced(make_window, qtbot):
    w = make_window(scenario="fruit")
    w.step(7)
    wait_paused_at(qtbot, w, 7)
    t = engine(Settings(scenario="fruit"), 7)
    snap = w.last_snapshot
    np.testing.assert_array_equal(w.loss_view.curve_data()[1], t.history.loss)
    # Gradient bars: one per weight, length = the gradient the last update used.
    opts = w.gradient_view.bars.opts
    np.testing.assert_array_equal(np.asarray(opts["x0"]) + np.asarray(opts["width"]) * (t.update_grads > 0),
                                  np.maximum(t.update_grads, 0) + np.minimum(t.update_grads, 0) * (t.update_grads < 0)
                                  + np.minimum(t.update_grads, 0) * (t.update_grads >= 0))
    np.testing.assert_array_equal(np.abs(t.update_grads), opts["width"])
    # Predictions against targets: x = target, y = the model's prediction, per output.
    pred = t.predict()
    for j, item in enumerate(w.prediction_view.points):
        xs, ys = item.getData()
        np.testing.assert_array_equal(xs, t.data.y[:, j])
        np.testing.assert_array_equal(ys, pred[:, j])
    # The tracked weight's update is spelled out with the real numbers.
    j = w.gradient_view.tracked
    line = w.gradient_view.update_line
    assert f"{snap.values_before[j]:.4f} - 1e-05 x (" in line and f"= {t.params.values[j]:.4f}" in line


def test_export_writes_real_png_svg_and_csv(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    w.step(5)
    wait_paused_at(qtbot, w, 5)
    for view in (v for v in w.views if v.isVisible()):  # fruit has no graph view
        png, svg = tmp_path / f"{view.name}.png", tmp_path / f"{view.name}.svg"
        w.export_view(view, png)
        w.export_view(view, svg)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg") and len(list(root.iter())) > 20
    allpng = tmp_path / "all.png"
    w.export_all(allpng)
    assert allpng.read_bytes()[:4] == b"\x89PNG"
    assert w.banner.text == ""

    path = tmp_path / "history.csv"
    with qtbot.waitSignal(w.controller.finished_task, timeout=TIMEOUT):
        w.export_history(path)
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(lines))
    t = engine(Settings(scenario="fruit"), 5)
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5]
    assert [float(r["loss"]) for r in rows] == list(t.history.loss)
    # Every weight of a small model, at every step: the value after it and the gradient it used.
    assert float(rows[-1]["value:weight[0,2]"]) == t.params["weight"].value[0, 2]
    assert float(rows[-1]["grad:bias[1]"]) == t.update_grads[-1]


def test_a_view_exported_again_has_the_tick_labels_of_now(make_window, qtbot, tmp_path):
    """Export, train on, export again: between the two, the view on screen was painted with its
    new ranges, which took Qt's one "out of date" mark of each axis's cached pixmaps, so the
    second export copied the first one's pixmap: the step axis kept the labels of three steps
    before. The reference marks every item's caches out of date for every device first."""
    from PIL import Image

    w = make_window(scenario="parabola", lr=0.9)
    w.step(12)
    wait_paused_at(qtbot, w, 12)
    stale = []
    for step in range(15, 28, 3):
        w.export_view(w.loss_view, tmp_path / "before.png")
        w.step(3)
        wait_paused_at(qtbot, w, step)
        w.export_view(w.loss_view, tmp_path / "now.png")
        for item in w.loss_view.canvas.scene().items():
            item.update()
        w.export_view(w.loss_view, tmp_path / "afresh.png")
        with Image.open(tmp_path / "now.png") as now, Image.open(tmp_path / "afresh.png") as afresh:
            if now.tobytes() != afresh.tobytes():
                stale.append(step)
    assert w.banner.text == "" and stale == []


def test_export_to_a_missing_folder_says_so_and_keeps_running(make_window, tmp_path):
    w = make_window(scenario="fruit")
    w.export_view(w.loss_view, tmp_path / "no" / "such" / "loss.png")
    assert "Could not export" in w.banner.text and "no" in w.banner.text
    w.export_all(tmp_path / "views.jpg")
    assert ".png" in w.banner.text
    assert not list(tmp_path.iterdir())


def test_a_converged_parabola_draws_gradients_too_small_for_a_power_of_ten(make_window, qtbot):
    # By step 3,400 x and its gradient are below 1e-300, then subnormal: every view still draws
    # them (an exception in a slot fails this test) and the run stops where it was told to.
    w = make_window(scenario="parabola", steps=3600)
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state == "stopped", timeout=TIMEOUT)
    snap = w.last_snapshot
    assert snap.step == 3600 and 0 < abs(snap.update_grads[0]) < 1e-300
    assert w.status_step.text() == "step 3,600"


def test_divergence_pauses_and_says_so_in_the_window(make_window, qtbot):
    w = make_window(scenario="parabola", lr=1.5, steps=0)
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state == "diverged", timeout=TIMEOUT)
    assert "Diverged at step 512" in w.banner.text
    assert w.status_state.text() == "DIVERGED"
    snap = w.last_snapshot
    assert snap.step == 511 and np.isfinite(snap.values).all()
    # Running again from there diverges again, at the same step: the result is reproducible.
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state == "diverged" and "step 512" in w.banner.text, timeout=TIMEOUT)
    # The window stays usable: Reset and a smaller learning rate converge.
    w.reset()
    wait_paused_at(qtbot, w, 0)
    w.controls.lr_field.setText("0.1")
    w.controls.lr_field.editingFinished.emit()
    qtbot.waitUntil(lambda: w.controls.settings.lr == 0.1, timeout=TIMEOUT)
    w.step(3)
    wait_paused_at(qtbot, w, 3)
    assert w.last_snapshot.values[0] == pytest.approx(3.0 * 0.8**3)


def test_micrograd_converges_with_zeroing_and_stalls_without(make_window, qtbot):
    w = make_window(scenario="micrograd")
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state == "stopped", timeout=TIMEOUT)
    assert w.last_snapshot.step == 50 and w.loss_view.curve_data()[1][29] < 0.05
    w.controls.zero_grad.click()
    qtbot.waitUntil(lambda: not w.controls.settings.zero_grad, timeout=TIMEOUT)
    w.reset()
    wait_paused_at(qtbot, w, 0)
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state == "stopped" and w.last_snapshot.step == 50, timeout=TIMEOUT)
    assert w.loss_view.curve_data()[1][-1] > 1.0
    assert "step limit" in w.banner.text


def test_keyboard_space_runs_and_pauses_right_steps_r_resets(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    w.activateWindow()
    initial = w.last_snapshot.values.copy()
    qtbot.keyClick(w, Qt.Key.Key_Right)
    wait_paused_at(qtbot, w, 1)
    qtbot.keyClick(w, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.state == "running", timeout=TIMEOUT)
    qtbot.keyClick(w, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.state == "paused", timeout=TIMEOUT)
    assert w.last_snapshot.step > 1
    qtbot.keyClick(w, Qt.Key.Key_R)
    wait_paused_at(qtbot, w, 0)
    np.testing.assert_array_equal(w.last_snapshot.values, initial)
    assert w.loss_view.train.count == 0


def test_a_bad_learning_rate_is_refused_and_nothing_changes(make_window, qtbot):
    w = make_window(scenario="fruit")
    for text in ("abc", "-1", "0", "inf", "1e9"):
        w.controls.lr_field.setText(text)
        w.controls.lr_field.editingFinished.emit()
        assert w.banner.kind == "warning" and "learning rate" in w.banner.text.lower() or "number" in w.banner.text
        assert w.controls.settings.lr == 1e-05
    w.step(1)
    wait_paused_at(qtbot, w, 1)
    assert w.last_snapshot.last_lr == 1e-05


def choose(box, data) -> None:
    """Pick an entry of a choice box as a person does (by its data)."""
    i = box.findData(data)
    assert i >= 0, data
    box.setCurrentIndex(i)
    box.activated.emit(i)


def test_only_the_losses_the_scenario_allows_are_offered_and_a_typed_one_is_refused(make_window, qtbot,
                                                                                    monkeypatch):
    w = make_window(scenario="fruit")
    loss = w.controls.loss
    assert [loss.itemData(i) for i in range(loss.count())] == ["mse", "sse", "mae", "huber", "custom..."]
    run_id = w.info.run_id
    monkeypatch.setattr(w.controls, "_ask_custom", lambda field: "bce")  # typed into 'custom...'
    choose(loss, "custom...")
    qtbot.waitUntil(lambda: w.banner.kind == "error", timeout=TIMEOUT)
    assert "regression" in w.banner.text
    assert w.info.run_id == run_id and w.controls.settings.loss == "mse"
    assert loss.currentData() == "mse"
    # A loss that fits starts a new run and settles the complaint.
    choose(loss, "mae")
    qtbot.waitUntil(lambda: w.info.run_id != run_id, timeout=TIMEOUT)
    assert w.banner.text == "" and w.controls.settings.loss == "mae"
    # A classification scenario offers the classification losses too.
    choose(w.controls.scenario, "digits")
    qtbot.waitUntil(lambda: w.info.scenario == "digits", timeout=TIMEOUT)
    assert {"bce", "cross_entropy", "mnist", "mse"} <= {loss.itemData(i) for i in range(loss.count())}


def test_choosing_a_weight_tracks_it_and_spells_out_its_update(make_window, qtbot):
    w = make_window(scenario="micrograd")
    # The lesson follows the first neuron of the second layer.
    assert w.info.labels[w.gradient_view.tracked] == "layers.1.weight[0,0]"
    w.step(3)
    wait_paused_at(qtbot, w, 3)
    index = w.info.labels.index("layers.2.bias[0]")
    w.gradient_view.track_box.setCurrentIndex(index)
    # The view asks; the worker decides and the next snapshot says so.
    qtbot.waitUntil(lambda: w.last_snapshot.tracked == index and w.gradient_view.tracked == index, timeout=TIMEOUT)
    snap = w.last_snapshot
    line = w.gradient_view.update_line
    assert line.startswith("step 3:  layers.2.bias[0]: ")
    assert f"- 0.4 x ({snap.update_grads[index]:.4f}) = {snap.values[index]:.4f}" in line
    steps, values = w.gradient_view.value_curve.getData()
    np.testing.assert_array_equal(steps, [0, 1, 2, 3])
    assert values[-1] == snap.values[index]


def test_switching_to_digits_draws_images_and_validation(make_window, qtbot):
    w = make_window(scenario="fruit")
    i = w.controls.scenario.findData("digits")
    w.controls.scenario.setCurrentIndex(i)
    w.controls.scenario.activated.emit(i)
    qtbot.waitUntil(lambda: w.info is not None and w.info.scenario == "digits", timeout=TIMEOUT)
    assert w.gradient_view.images and w.gradient_view.bars is None
    w.step(3)
    wait_paused_at(qtbot, w, 3)
    assert w.loss_view.val.count == 1  # one epoch = 3 mini-batches of 256, 256, 128
    assert "accuracy after step 3: validation" in w.prediction_view.title_label.text()
    # Clicking follows a pixel's weight: the view asks the worker to trace it.
    w.gradient_view.select_weight(14 * 28 + 10)
    w.step(1)
    wait_paused_at(qtbot, w, 4)
    steps, values = w.gradient_view.value_curve.getData()
    assert steps[-1] == 4 and values[-1] == w.last_snapshot.values[14 * 28 + 10]


def test_digits_mlp_shows_units_and_histograms(make_window, qtbot):
    w = make_window(scenario="digits", model="mlp")
    assert w.gradient_view.mosaic is not None and len(w.gradient_view.hists) == 4
    w.step(2)
    wait_paused_at(qtbot, w, 2)
    # Every weight (and every gradient) of each layer is counted once in its histogram.
    for i, _what, curve in w.gradient_view.hists:
        edges, counts = curve.getData()
        assert counts.sum() == np.prod(w.info.param_shapes[i]) and len(edges) == len(counts) + 1


def test_slow_speed_steps_one_at_a_time(make_window, qtbot):
    w = make_window(scenario="parabola")
    w.controls.speed.setValue(4)  # 20 steps a second
    seen = []
    w.snapshot_drawn.connect(lambda s: seen.append(s.step))
    w.step(5)
    wait_paused_at(qtbot, w, 5)
    # Watching each step: every step was drawn, one at a time.
    assert [s for s in seen if s > 0][:5] == [1, 2, 3, 4, 5]


def test_closing_while_running_stops_the_thread_cleanly(make_window, qtbot):
    w = make_window(scenario="digits", steps=0)
    w.toggle_run()
    qtbot.waitUntil(lambda: w.last_snapshot.step > 5, timeout=TIMEOUT)
    w.close()
    assert w.questions == ["save?"]  # the run had steps in no file; the test answered Discard
    assert w.controller.model_thread.wait(5000)
    assert w.controller.model_thread.isFinished()


def test_micrograd_without_zeroing_says_where_micrograd_itself_would_stop(make_window, qtbot):
    w = make_window(scenario="micrograd", zero_grad=False)
    w.step(9)
    wait_paused_at(qtbot, w, 9)
    assert w.last_snapshot.notes == () and "OverflowError" not in w.banner.text
    w.step(1)
    wait_paused_at(qtbot, w, 10)
    assert "Step 10: micrograd would stop here with OverflowError: math range error" in w.banner.text
    line, = w.loss_view._note_lines
    assert line.value() == 10 and line.label.format == "micrograd stops here"
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state == "stopped", timeout=TIMEOUT)
    assert w.last_snapshot.step == 50  # the run went on
    assert "step limit" in w.banner.text and "Step 10: micrograd would stop here" in w.banner.text
    w.reset()
    wait_paused_at(qtbot, w, 0)
    assert w.loss_view._note_lines == [] and "OverflowError" not in w.banner.text


def test_the_article_s_weights_are_offered_where_an_article_has_them_and_new_weights_draws_fresh(make_window, qtbot):
    from gdsim.core.scenarios import QUADRATIC_PARAMS

    w = make_window(scenario="quadratic")
    offered = [w.controls.init.itemData(i) for i in range(w.controls.init.count())]
    assert offered[0] == "article" and w.controls.init.currentData() == "article"
    assert w.controls.init.itemText(0) == "the article's weights"
    np.testing.assert_array_equal(w.last_snapshot.values, QUADRATIC_PARAMS)
    w.new_weights()
    qtbot.waitUntil(lambda: w.settings.init == "normal", timeout=TIMEOUT)
    assert not np.array_equal(w.last_snapshot.values, QUADRATIC_PARAMS)
    np.testing.assert_array_equal(w.last_snapshot.values,
                                  build_trainer(Settings(scenario="quadratic", init="normal", seed=1)).params.values)
    choose(w.controls.init, "article")  # the article's weights again
    qtbot.waitUntil(lambda: w.settings.init == "article", timeout=TIMEOUT)
    np.testing.assert_array_equal(w.last_snapshot.values, QUADRATIC_PARAMS)
    choose(w.controls.scenario, "digits")
    qtbot.waitUntil(lambda: w.info.scenario == "digits", timeout=TIMEOUT)
    offered = [w.controls.init.itemData(i) for i in range(w.controls.init.count())]
    assert "article" not in offered and "zeros" in offered


def test_chain_rule_s_negative_loss_is_drawn_on_a_linear_axis(make_window, qtbot):
    w = make_window(scenario="chain-rule")
    assert not w.loss_view.log_box.isChecked() and not w.loss_view.log_box.isEnabled()
    w.step(2)
    wait_paused_at(qtbot, w, 2)
    np.testing.assert_allclose(w.loss_view.train_curve.getData()[1], [-8.0, -8.726304])
    choose(w.controls.scenario, "fruit")
    qtbot.waitUntil(lambda: w.info.scenario == "fruit", timeout=TIMEOUT)
    assert w.loss_view.log_box.isChecked() and w.loss_view.log_box.isEnabled()
