"""Choosing what to learn from a CSV file: which columns are inputs, which is the target, the task,
and what happens to rows with missing values.

Every column is listed with what it holds (``ColumnSummary.about``): a column of text or with no
values cannot be an input, and says why; a text column can still be the target, as class labels.
What a choice means (the task a target suggests, whether targets fit a task, how many rows have a
missing value) comes from ``gdsim.core.data.from_table``, never from rules of the dialog's own.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QTableWidget, QTableWidgetItem,
    QVBoxLayout,
)

from ..core.data.dataset import TASK_NAMES
from ..core.data.from_table import (
    DROP, ERROR, MAX_VAL_FRACTION, TASKS, default_target, default_val_fraction, dropped_rows, infer_task, task_problem,
)
from ..core.errors import sentence
from . import theme

INPUT, TARGET, UNUSED = "input", "target", "not used"
_ROLES = (INPUT, TARGET, UNUSED)
_TASK_HELP = {"regression": "predict a number", "binary": "predict 0 or 1",
              "multiclass": "choose among class labels (text or whole numbers)"}


class ImportDialog(QDialog):
    def __init__(self, path: str, preview: dict, parent=None):
        super().__init__(parent)
        self.preview = preview
        self.summaries = {s.name: s for s in preview["summaries"]}
        self.setWindowTitle("Train on your own data")
        self.resize(700, 500)
        lay = QVBoxLayout(self)
        intro = QLabel(f"<b>{path}</b>: {preview['n_rows']} rows, {len(preview['columns'])} columns. "
                       "Choose what the model sees (inputs) and what it learns to predict (the target). "
                       "Columns of text can only be a target (class labels); the rest are not used.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.table = self._column_table(preview)
        lay.addWidget(self.table, 1)
        lay.addLayout(self._options(preview))
        self.rows_note = QLabel()
        self.rows_note.setWordWrap(True)
        lay.addWidget(self.rows_note)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {theme.BAD};")
        lay.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Train")  # Alt+T, from the keyboard
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self._target = None  # the target the task was last inferred for
        self._roles_changed()

    # ----- building ------------------------------------------------------------------------------

    def _column_table(self, preview) -> QTableWidget:
        columns, shown = preview["columns"], len(preview["rows"])
        table = QTableWidget(len(columns), 3 + shown)
        table.setHorizontalHeaderLabels(["column", "use as", "holds"] + [f"row {i + 1}" for i in range(shown)])
        self.roles: list[QComboBox] = []
        first_target = preview["columns"].index(default_target(preview["summaries"]))
        for j, summary in enumerate(preview["summaries"]):
            table.setItem(j, 0, _cell(summary.name))
            role = self._role_box(summary, TARGET if j == first_target else self._default_role(summary))
            table.setCellWidget(j, 1, role)
            self.roles.append(role)
            about = _cell(summary.about())
            reason = summary.unused_reason()
            about.setToolTip(f"Not usable as an input: {reason}." if reason else "Numbers: usable as an input.")
            table.setItem(j, 2, about)
            for i, row in enumerate(preview["rows"]):
                table.setItem(j, 3 + i, _cell(row[j] if row[j] != "" else "(missing)"))
        table.resizeColumnsToContents()
        return table

    def _role_box(self, summary, role: str) -> QComboBox:
        box = QComboBox()
        box.addItems(list(_ROLES))
        reason = summary.unused_reason()
        if reason:  # text or nothing: never an input; nothing at all: not even a target
            box.model().item(_ROLES.index(INPUT)).setEnabled(False)
            if not summary.numbers + summary.text:
                box.model().item(_ROLES.index(TARGET)).setEnabled(False)
        box.setCurrentText(role)
        box.setToolTip("Inputs are what the model sees; the target is what it learns to predict."
                       + (f" This column holds {reason}: it cannot be an input." if reason else ""))
        box.currentTextChanged.connect(self._roles_changed)
        return box

    @staticmethod
    def _default_role(summary) -> str:
        return INPUT if summary.usable_as_input else UNUSED

    def _options(self, preview) -> QFormLayout:
        form = QFormLayout()
        self.task = QComboBox()
        for task in TASKS:
            self.task.addItem(f"{TASK_NAMES[task]}: {_TASK_HELP[task]}", task)
        self.task.setToolTip("Chosen from the target unless you choose: text makes classes, a column of only "
                             "0 and 1 a binary task, other numbers a regression. Classes are numbered in the "
                             "sorted order of their labels.")
        self.task.currentIndexChanged.connect(self._roles_changed)
        self.task_why = QLabel()
        form.addRow("Task", self.task)
        form.addRow("", self.task_why)
        self.missing = QComboBox()
        self.missing.addItem("leave those rows out (they are counted)", DROP)
        self.missing.addItem("refuse the file", ERROR)
        self.missing.setToolTip("A missing value is an empty cell or NA, N/A, #N/A, NaN, null or ? (any case), "
                                "in a column chosen as an input or the target. Other columns are never looked at.")
        form.addRow("Rows with missing values", self.missing)
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
        return form

    # ----- what the choice means --------------------------------------------------------------------

    def _roles_changed(self, *_):
        inputs, targets = self._chosen(INPUT), self._chosen(TARGET)
        if len(targets) == 1 and targets[0] != self._target:
            # A new target suggests its task; a person's own choice of task stands until then.
            self._target = targets[0]
            task, why = infer_task([self.summaries[targets[0]]])
            self.task.blockSignals(True)
            self.task.setCurrentIndex(self.task.findData(task))
            self.task.blockSignals(False)
            self.task_why.setText(f"(inferred: {why})")
        elif self.sender() is self.task:
            self.task_why.setText("(chosen)")
        self._show_rows(inputs + targets)
        problem = ""
        if not inputs:
            problem = "Choose at least one input column."
        elif not targets:
            problem = "Choose a target column."
        else:
            problem = task_problem(self.task.currentData(), targets, self.summaries) or ""
        self.problem.setText(sentence(problem))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def _show_rows(self, chosen) -> None:
        count, columns = dropped_rows(self.preview["missing_rows"], chosen)
        self.rows_note.setText(
            f"{count} of {self.preview['n_rows']} rows have a missing value in {', '.join(columns)}." if count
            else "No missing values in the chosen columns.")

    def _chosen(self, role: str) -> list[str]:
        return [c for c, r in zip(self.preview["columns"], self.roles) if r.currentText() == role]

    def set_role(self, column: str, role: str) -> None:
        self.roles[self.preview["columns"].index(column)].setCurrentText(role)

    def role_allowed(self, column: str, role: str) -> bool:
        box = self.roles[self.preview["columns"].index(column)]
        return box.model().item(_ROLES.index(role)).isEnabled()

    def choice(self) -> dict:
        return {
            "inputs": self._chosen(INPUT),
            "targets": self._chosen(TARGET),
            "task": self.task.currentData(),
            "missing": self.missing.currentData(),
            "standardize": self.standardize.isChecked(),
            "val_fraction": self.val.value() / 100.0,
        }


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)  # a preview, not an editor
    return item
