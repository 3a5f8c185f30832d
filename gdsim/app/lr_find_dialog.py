"""The learning-rate finder's result: the loss against the learning rate, and "Use this lr".

The range test itself (core.lr_find) runs in the model thread on a copy of the run; this dialog
only shows what came up, and a click applies the suggestion to the run as any setting is applied.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from ..core.lr_find import RULE_NAMES, RangeTest
from .views.base import fit_wrapped
from .views.range_test_view import RangeTestView


def summary(test: RangeTest, current_lr: float) -> str:
    """The test in words: what it suggests (or why it cannot), and why it stopped."""
    s = test.suggested
    if test.suggestion is None:
        head = f"<b>No suggestion</b>: {s.how}."
    else:
        head = f"<b>Suggested learning rate: {test.suggestion:.3g}</b> ({RULE_NAMES[test.rule]}: {s.how})."
    return (f"{head}<br>The test trained a copy of the run for {test.taken} steps from lr {test.start:g}, after "
            f"step {test.from_step:,} of the run; {test.why_stopped}. The run itself is as it was; its learning "
            f"rate is {current_lr:g}.")


class LrFinderDialog(QDialog):
    use_lr = Signal(float)

    def __init__(self, test: RangeTest, current_lr: float, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Learning-rate finder - gdsim")
        self.test = test
        layout = QVBoxLayout(self)
        self.view = RangeTestView()
        self.view.show_test(test)
        self.view.setMinimumSize(560, 380)
        layout.addWidget(self.view, 1)
        self.text = QLabel(summary(test, current_lr))
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.use_button = buttons.addButton("&Use this lr", QDialogButtonBox.ButtonRole.AcceptRole)
        self.use_button.setEnabled(test.suggestion is not None)
        self.use_button.setToolTip("Set the run's learning rate to the suggestion, from its next step on")
        self.use_button.setDefault(test.suggestion is not None)
        buttons.rejected.connect(self.reject)
        self.use_button.clicked.connect(self._use)
        layout.addWidget(buttons)
        fit_wrapped(self)

    def _use(self) -> None:
        self.use_lr.emit(float(self.test.suggestion))
        self.accept()
