"""The import dialog on CSV files as people have them: text columns shown as not used (and why),
a text column as a class target, missing values counted, and the window training on all of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_helpers import TIMEOUT, wait_paused_at

from gdsim.app.import_dialog import INPUT, TARGET, UNUSED, ImportDialog
from gdsim.core.data.csv_reader import read_table
from gdsim.core.data.from_table import preview

pytestmark = pytest.mark.gui

FLOWERS = Path(__file__).resolve().parents[1] / "data" / "flowers.csv"


@pytest.fixture
def dialog(qtbot):
    d = ImportDialog(str(FLOWERS), preview(read_table(FLOWERS)))
    qtbot.addWidget(d)
    return d


def roles(d: ImportDialog) -> dict:
    return {c: r.currentText() for c, r in zip(d.preview["columns"], d.roles)}


def about(d: ImportDialog, column: str) -> str:
    return d.table.item(d.preview["columns"].index(column), 2).text()


def test_text_columns_are_not_used_and_say_why(dialog):
    assert roles(dialog) == {"id": UNUSED, "x1": INPUT, "x2": INPUT, "species": TARGET, "notes": UNUSED}
    assert about(dialog, "id").startswith("text ('F001', 'F002', 'F003', ... (60 different)")
    assert about(dialog, "notes").startswith("text (") and about(dialog, "notes").endswith("57 missing")
    assert about(dialog, "x1") == "numbers, 3 missing" and about(dialog, "x2") == "numbers"
    # Text can never be an input; it can be the target, as class labels.
    assert not dialog.role_allowed("id", INPUT) and dialog.role_allowed("id", TARGET)
    assert dialog.role_allowed("x1", INPUT)


def test_alt_t_trains_from_the_keyboard(dialog, qtbot):
    """The Train button had no mnemonic: from the keyboard it was Tab after Tab (found by a
    helper trying the app under Xvfb)."""
    from PySide6.QtCore import Qt

    dialog.show()
    dialog.activateWindow()  # a mnemonic is a shortcut of the active window
    qtbot.waitUntil(dialog.isActiveWindow, timeout=TIMEOUT)
    dialog.table.setFocus()
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT):
        qtbot.keyClick(dialog.table, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)


def test_a_text_target_makes_classes_and_the_choice_says_so(dialog):
    assert dialog.task.currentData() == "multiclass" and dialog.task_why.text() == "(inferred: the target holds text)"
    assert dialog.rows_note.text() == "3 of 60 rows have a missing value in x1."
    assert dialog.problem.text() == "" and dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    assert dialog.choice() == {"inputs": ["x1", "x2"], "targets": ["species"], "task": "multiclass",
                               "missing": "drop", "standardize": False, "val_fraction": 0.2}


def test_a_text_target_cannot_be_a_regression(dialog):
    dialog.task.setCurrentIndex(dialog.task.findData("regression"))
    assert dialog.task_why.text() == "(chosen)"
    assert dialog.problem.text().startswith("Target column 'species' holds text ('setosa', 'versicolor', "
                                            "'virginica'); text can only be class labels")
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()


def test_another_target_infers_its_own_task(dialog):
    dialog.set_role("species", UNUSED)
    dialog.set_role("x2", TARGET)
    assert dialog.task.currentData() == "regression" and dialog.task_why.text() == "(inferred: the target holds numbers)"
    assert dialog.choice()["inputs"] == ["x1"] and dialog.problem.text() == ""
    dialog.set_role("x1", UNUSED)
    assert dialog.problem.text() == "Choose at least one input column."
    assert dialog.rows_note.text() == "No missing values in the chosen columns."


def test_missing_values_can_be_refused_instead(dialog):
    dialog.missing.setCurrentIndex(dialog.missing.findData("error"))
    assert dialog.choice()["missing"] == "error"


def test_the_window_trains_three_classes_from_the_dialog_and_keeps_them_in_a_session(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    w.import_csv(FLOWERS)
    qtbot.waitUntil(lambda: w.import_dialog is not None, timeout=TIMEOUT)
    d = w.import_dialog
    assert d.choice()["targets"] == ["species"] and d.choice()["task"] == "multiclass"
    d.standardize.setChecked(True)
    with qtbot.waitSignal(w.controller.run_started, timeout=TIMEOUT):
        d.accept()
    qtbot.waitUntil(lambda: w.info.scenario == "csv:flowers", timeout=TIMEOUT)
    assert w.info.task == "multiclass" and w.info.classes == ("setosa", "versicolor", "virginica")
    assert w.info.view == "multiclass" and w.info.x.shape == (46, 2)
    lesson = w.controls.lesson.text()
    assert "into 3 classes" in lesson and "dropped 3 of 60 rows with missing values in x1" in lesson
    w.controls.lr_field.setText("0.5")
    w.controls.lr_field.editingFinished.emit()
    qtbot.waitUntil(lambda: w.controls.settings.lr == 0.5, timeout=TIMEOUT)
    w.step(40)
    wait_paused_at(qtbot, w, 40)
    assert w.last_snapshot.predictions.shape == (46, 3)
    np.testing.assert_allclose(w.last_snapshot.predictions.sum(axis=1), 1.0)
    assert "confusion matrix of the 11 validation rows, accuracy" in w.prediction_view.title_label.text()
    path = tmp_path / "flowers.gdsim"
    with qtbot.waitSignal(w.controller.finished_task, timeout=TIMEOUT):
        w.save_session(path)
    other = make_window(scenario="parabola")
    with qtbot.waitSignal(other.controller.session_opened, timeout=TIMEOUT):
        other.open_session(path)
    wait_paused_at(qtbot, other, 40)
    assert other.info.classes == ("setosa", "versicolor", "virginica")
    np.testing.assert_array_equal(other.last_snapshot.values, w.last_snapshot.values)


def test_a_refused_file_says_where_and_changes_nothing(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    run_id = w.info.run_id
    w.import_csv(FLOWERS)
    qtbot.waitUntil(lambda: w.import_dialog is not None, timeout=TIMEOUT)
    w.import_dialog.missing.setCurrentIndex(w.import_dialog.missing.findData("error"))
    w.import_dialog.accept()
    qtbot.waitUntil(lambda: w.banner.kind == "error", timeout=TIMEOUT)
    assert "line 7, column 'x1' is missing (and 2 more in this column" in w.banner.text
    assert w.info.run_id == run_id
