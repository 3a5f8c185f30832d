"""Sessions, weights and failures in the real window (offscreen)."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import TIMEOUT, wait_paused_at, write_houses
from PySide6.QtWidgets import QMessageBox

from gdsim.core.files.weights import save_weights
from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings

pytestmark = pytest.mark.gui


def test_a_saved_session_reopens_and_continues_exactly(make_window, qtbot, tmp_path):
    w = make_window(scenario="micrograd", zero_grad=False, optimizer="momentum", lr=0.05)
    w.step(6)
    wait_paused_at(qtbot, w, 6)
    w.gradient_view.select_weight(7)
    path = tmp_path / "run.gdsim"
    with qtbot.waitSignal(w.controller.finished_task, timeout=TIMEOUT):
        w.save_session(path)
    assert w.session_path == str(path) and "run.gdsim" in w.windowTitle()

    # Carry on in this window, then reopen the file in another and take the same steps there.
    w.step(9)
    wait_paused_at(qtbot, w, 15)
    other = make_window(scenario="fruit")
    with qtbot.waitSignal(other.controller.session_opened, timeout=TIMEOUT):
        other.open_session(path)
    wait_paused_at(qtbot, other, 6)
    assert other.info.scenario == "micrograd" and other.controls.settings == w.controls.settings
    assert other.gradient_view.tracked == 7
    assert other.loss_view.train.count == 6  # the whole history came back
    other.step(9)
    wait_paused_at(qtbot, other, 15)
    np.testing.assert_array_equal(other.last_snapshot.values, w.last_snapshot.values)
    np.testing.assert_array_equal(other.last_snapshot.grad_buffer, w.last_snapshot.grad_buffer)
    np.testing.assert_array_equal(other.loss_view.curve_data()[1], w.loss_view.curve_data()[1])


def test_a_damaged_session_is_refused_and_nothing_changes(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    w.step(2)
    wait_paused_at(qtbot, w, 2)
    run_id, values = w.info.run_id, w.last_snapshot.values.copy()
    bad = tmp_path / "bad.gdsim"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    w.open_session(bad)
    qtbot.waitUntil(lambda: w.banner.kind == "error", timeout=TIMEOUT)
    assert "bad.gdsim" in w.banner.text
    assert w.info.run_id == run_id and w.session_path is None
    w.step(1)
    wait_paused_at(qtbot, w, 3)
    t = build_trainer(Settings(scenario="fruit"))
    t.run(2)
    np.testing.assert_array_equal(values, t.params.values)


def test_weights_of_the_wrong_shape_say_which_and_change_nothing(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    run_id = w.info.run_id
    path = tmp_path / "w.npz"
    save_weights(path, {"weight": np.zeros((3, 2)), "bias": np.zeros(2)})
    w.load_weights(path)
    qtbot.waitUntil(lambda: w.banner.kind == "error", timeout=TIMEOUT)
    assert "'weight'" in w.banner.text and "(3, 2)" in w.banner.text and "(2, 3)" in w.banner.text
    assert w.info.run_id == run_id


def test_weights_load_save_and_reset_comes_back_to_them(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    start = {"weight": np.arange(6.0).reshape(2, 3) / 10, "bias": np.array([1.0, -1.0])}
    path = tmp_path / "start.npz"
    save_weights(path, start)
    with qtbot.waitSignal(w.controller.run_started, timeout=TIMEOUT):
        w.load_weights(path)
    wait_paused_at(qtbot, w, 0)
    np.testing.assert_array_equal(w.last_snapshot.values, np.concatenate([start["weight"].ravel(), start["bias"]]))
    w.step(3)
    wait_paused_at(qtbot, w, 3)
    out = tmp_path / "out.npz"
    with qtbot.waitSignal(w.controller.finished_task, timeout=TIMEOUT):
        w.save_weights(out)
    with np.load(out) as f:
        np.testing.assert_array_equal(np.concatenate([f["weight"].ravel(), f["bias"]]), w.last_snapshot.values)
    w.reset()
    wait_paused_at(qtbot, w, 0)
    np.testing.assert_array_equal(w.last_snapshot.values[:6], start["weight"].ravel())


def test_closing_with_an_unsaved_session_asks_first(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    path = tmp_path / "s.gdsim"
    with qtbot.waitSignal(w.controller.finished_task, timeout=TIMEOUT):
        w.save_session(path)
    w.step(2)
    wait_paused_at(qtbot, w, 2)
    qtbot.waitUntil(lambda: w.windowTitle().startswith("gdsim: s.gdsim*"), timeout=TIMEOUT)
    asked = []
    w.ask_save_before_close = lambda: asked.append(1) or QMessageBox.StandardButton.Cancel
    w.close()
    assert asked and w.isVisible() and w.controller.model_thread.isRunning()
    w.ask_save_before_close = lambda: QMessageBox.StandardButton.Save
    before = path.read_bytes()
    w.close()
    # The window closes once the file is written, not before: a failed save would keep it open.
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=TIMEOUT)
    assert w.controller.model_thread.wait(5000)
    assert path.read_bytes() != before  # saved on the way out


def test_an_error_inside_the_worker_is_shown_and_the_app_stays_usable(make_window, qtbot):
    w = make_window(scenario="fruit")
    trainer = w.controller.worker.trainer  # paused: nothing else touches it now

    def broken(x):
        raise RuntimeError("simulated failure")

    trainer.model.forward = broken
    w.toggle_run()
    qtbot.waitUntil(lambda: w.banner.kind == "error", timeout=TIMEOUT)
    assert "Something went wrong inside the simulator" in w.banner.text
    assert "RuntimeError: simulated failure" in w.banner.label.toolTip()
    qtbot.waitUntil(lambda: w.state == "paused", timeout=TIMEOUT)
    # Choosing the scenario again builds a fresh trainer; everything works.
    i = w.controls.scenario.findData("quadratic")
    w.controls.scenario.setCurrentIndex(i)
    w.controls.scenario.activated.emit(i)
    qtbot.waitUntil(lambda: w.info.scenario == "quadratic", timeout=TIMEOUT)
    w.step(2)
    wait_paused_at(qtbot, w, 2)


def test_training_on_your_own_csv(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    path = write_houses(tmp_path / "houses.csv")
    w.import_csv(path)
    qtbot.waitUntil(lambda: w.import_dialog is not None, timeout=TIMEOUT)
    dialog = w.import_dialog
    assert dialog.preview["columns"] == ["size", "rooms", "price", "expensive"] and dialog.preview["n_rows"] == 60
    # The last column is 0/1, so the dialog suggests classification; choose regression of price instead.
    assert dialog.choice()["task"] == "binary" and dialog.choice()["targets"] == ["expensive"]
    dialog.set_role("expensive", "not used")
    dialog.set_role("price", "target")
    dialog.task.setCurrentIndex(0)
    dialog.standardize.setChecked(True)
    choice = dialog.choice()
    assert choice == {"inputs": ["size", "rooms"], "targets": ["price"], "task": "regression", "missing": "drop",
                      "standardize": True, "val_fraction": 0.2}
    with qtbot.waitSignal(w.controller.run_started, timeout=TIMEOUT):
        dialog.accept()
    qtbot.waitUntil(lambda: w.info.scenario == "csv:houses", timeout=TIMEOUT)
    assert "standardised" in w.controls.lesson.text() and w.controls.scenario.currentData() == "csv:houses"
    assert w.info.has_validation and w.info.x.shape == (48, 2)
    w.controls.lr_field.setText("0.1")
    w.controls.lr_field.editingFinished.emit()
    qtbot.waitUntil(lambda: w.controls.settings.lr == 0.1, timeout=TIMEOUT)
    w.step(50)
    wait_paused_at(qtbot, w, 50)
    losses = w.loss_view.curve_data()[1]
    assert losses[-1] < 0.01 * losses[0]
    # A session of your own data carries the data: it reopens anywhere.
    path = tmp_path / "houses.gdsim"
    with qtbot.waitSignal(w.controller.finished_task, timeout=TIMEOUT):
        w.save_session(path)
    other = make_window(scenario="parabola")
    with qtbot.waitSignal(other.controller.session_opened, timeout=TIMEOUT):
        other.open_session(path)
    wait_paused_at(qtbot, other, 50)
    assert other.info.scenario == "csv:houses" and other.controls.scenario.currentData() == "csv:houses"
    np.testing.assert_array_equal(other.last_snapshot.values, w.last_snapshot.values)


def test_a_bad_csv_says_where_and_changes_nothing(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    run_id = w.info.run_id
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3,x\n")
    w.import_csv(path)
    # Any cell may hold text; a chosen column of numbers may not, and training on it says where.
    qtbot.waitUntil(lambda: w.import_dialog is not None, timeout=TIMEOUT)
    assert w.import_dialog.choice()["targets"] == ["b"] and w.import_dialog.choice()["task"] == "regression"
    w.import_dialog.accept()
    qtbot.waitUntil(lambda: w.banner.kind == "error", timeout=TIMEOUT)
    assert "line 3, column 'b': 'x' is not a number" in w.banner.text
    assert w.info.run_id == run_id
    path.write_text("a,b\n1,2\n3\n")  # a ragged row: refused as the file is read
    w.import_dialog = None
    w.import_csv(path)
    qtbot.waitUntil(lambda: w.banner.kind == "error" and "line 3 has 1 cell" in w.banner.text, timeout=TIMEOUT)
    assert w.info.run_id == run_id and w.import_dialog is None


def test_reading_a_big_csv_shows_progress_and_can_be_cancelled(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    path = tmp_path / "big.csv"
    with open(path, "w") as fh:
        fh.write("a,b,y\n")
        fh.writelines(f"{i},{i % 7},{2 * i}\n" for i in range(70_000))
    fractions = []

    def seen(what, fraction):
        if fraction >= 0:
            fractions.append(fraction)
            w.controller.cancel()  # as the progress dialog's Cancel button does

    w.controller.progress.connect(seen)
    w.import_csv(path)
    qtbot.waitUntil(lambda: w.banner.kind == "error", timeout=TIMEOUT)
    assert "cancelled" in w.banner.text
    assert fractions and 0 < fractions[0] < 1
    assert w.progress_dialog is None and w.import_dialog is None
