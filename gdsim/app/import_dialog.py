"""Choosing what to learn from a CSV file: which columns are inputs, which is the target."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QTableWidget, QTableWidgetItem,
    QVBoxLayout,
)

from ..core.data.from_table import MAX_VAL_FRACTION, default_val_fraction
from . import theme

INPUT, TARGET, UNUSED = "input", "target", "not used"


class ImportDialog(QDialog):
    def __init__(self, path: str, preview: dict, parent=None):
        super().__init__(parent)
        self.preview = preview
        columns = preview["columns"]
        self.setWindowTitle("Train on your own data")
        self.resize(640, 460)
        lay = QVBoxLayout(self)
        intro = QLabel(f"<b>{path}</b>: {preview['n_rows']} rows, {len(columns)} columns. "
                       "Choose what the model sees (inputs) and what it learns to predict (the target).")
        intro.setWordWrap(True)
        lay.addWidget(intro)

        shown = len(preview["rows"])
        self.table = QTableWidget(len(columns), 2 + shown)
        self.table.setHorizontalHeaderLabels(["column", "use as"] + [f"row {i + 1}" for i in range(shown)])
        self.roles: list[QComboBox] = []
        for j, name in enumerate(columns):
            self.table.setItem(j, 0, _cell(name))
            role = QComboBox()
            role.addItems([INPUT, TARGET, UNUSED])
            role.setCurrentText(TARGET if j == len(columns) - 1 else INPUT)
            role.setToolTip("Inputs are what the model sees; the target is what it learns to predict.")
            role.currentTextChanged.connect(self._roles_changed)
            self.table.setCellWidget(j, 1, role)
            self.roles.append(role)
            for i, row in enumerate(preview["rows"]):
                self.table.setItem(j, 2 + i, _cell(f"{row[j]:g}"))
        self.table.resizeColumnsToContents()
        lay.addWidget(self.table, 1)

        form = QFormLayout()
        self.task = QComboBox()
        self.task.addItem("regression: predict a number", "regression")
        self.task.addItem("binary classification: predict 0 or 1", "binary")
        self.task.setToolTip("Binary classification needs one target column holding only 0 and 1; the model "
                             "then outputs the probability of 1 (sigmoid) and is trained with cross-entropy.")
        form.addRow("Task", self.task)
        self.standardize = QCheckBox("standardise the inputs (mean 0, std 1, from the training rows)")
        self.standardize.setToolTip("Inputs on very different scales make gradient descent zig-zag; "
                                    "standardising puts them on one scale. The lesson text says so.")
        form.addRow("", self.standardize)
        self.val = QSpinBox()
        self.val.setRange(0, round(100 * MAX_VAL_FRACTION))
        self.val.setSuffix(" %")
        self.val.setValue(round(100 * default_val_fraction(preview["n_rows"])))
        self.val.setToolTip("Rows kept aside to measure the loss on data the model never trains on "
                            "(a fixed random choice). 0 for none.")
        form.addRow("Validation rows", self.val)
        lay.addLayout(form)
        self.problem = QLabel()
        self.problem.setStyleSheet(f"color: {theme.BAD};")
        lay.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Train")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self._roles_changed()

    def _roles_changed(self, *_):
        targets = [j for j, r in enumerate(self.roles) if r.currentText() == TARGET]
        if len(targets) == 1 and self.preview["zero_one"][targets[0]]:
            self.task.setCurrentIndex(1)  # a 0/1 target suggests classification
        problem = ""
        if not any(r.currentText() == INPUT for r in self.roles):
            problem = "Choose at least one input column."
        elif not targets:
            problem = "Choose a target column."
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def set_role(self, column: str, role: str) -> None:
        self.roles[self.preview["columns"].index(column)].setCurrentText(role)

    def choice(self) -> dict:
        columns = self.preview["columns"]
        return {
            "inputs": [c for c, r in zip(columns, self.roles) if r.currentText() == INPUT],
            "targets": [c for c, r in zip(columns, self.roles) if r.currentText() == TARGET],
            "task": self.task.currentData(),
            "standardize": self.standardize.isChecked(),
            "val_fraction": self.val.value() / 100.0,
        }


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)  # a preview, not an editor
    return item
