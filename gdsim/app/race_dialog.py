"""Choosing a race: one to five optimizers beside the run, each with its learning rate (or each its own range
test's), trained from the run's initial weights through the same batches beside the run."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGridLayout, QLabel, QLineEdit, QSpinBox,
    QVBoxLayout,
)

from ..core.choices import listed, make_choice
from ..core.engine.optimizers import OPTIMIZERS
from ..core.errors import GdsimError
from ..core.files.session_schema import MAX_PINS
from ..core.settings import NUMBERS, Settings
from . import theme

DEFAULT_RACERS = ("momentum:0.9", "rmsprop", "adam")
FAIR_TIP = ("Each optimizer gets the learning rate its own range test suggests (fastai's lr_find from the "
            "initial weights): one learning rate shared by all favours some of them")


class RaceDialog(QDialog):
    def __init__(self, settings: Settings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Race optimizers - gdsim")
        layout = QVBoxLayout(self)
        intro = QLabel(f"Each racer trains from this run's initial weights through the same batches, beside the run "
                       f"({settings.optimizer}, lr {settings.lr:g}). They are kept as branches and pinned: dashed "
                       f"curves in every view and paths on the landscape (Shift+L). Leave a racer's optimizer empty "
                       f"to leave it out.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>optimizer</b>"), 0, 1)
        grid.addWidget(QLabel("<b>learning rate</b>"), 0, 2)
        offered = [""] + [choice for choice, _, _ in listed(OPTIMIZERS)]
        self.rows = []
        for k in range(MAX_PINS):
            box = QComboBox()
            box.setEditable(True)  # "momentum:0.5", "adam:0.8,0.99" as the controls' custom... takes them
            box.addItems(offered)
            box.setCurrentText(DEFAULT_RACERS[k] if k < len(DEFAULT_RACERS) else "")
            box.setToolTip("The optimizer, with its arguments if you like: momentum:0.5, adam:0.8,0.99")
            box.setAccessibleName(f"Racer {k + 1} optimizer")
            box.setMinimumContentsLength(14)  # "momentum:0.9", "adam:0.8,0.99" whole
            lr = QLineEdit(f"{settings.lr:g}")
            lr.setAccessibleName(f"Racer {k + 1} learning rate")
            label = QLabel(f"Racer &{k + 1}")
            label.setBuddy(box)
            grid.addWidget(label, k + 1, 0)
            grid.addWidget(box, k + 1, 1)
            grid.addWidget(lr, k + 1, 2)
            self.rows.append((box, lr))
        layout.addLayout(grid)
        form = QFormLayout()
        self.fair = QCheckBox("each its own range test's learning rate")
        self.fair.setChecked(True)
        self.fair.setToolTip(FAIR_TIP)
        self.fair.toggled.connect(self._fair_toggled)
        form.addRow("&Fair learning rates", self.fair)
        self.steps = QSpinBox()
        self.steps.setRange(1, 100_000)
        self.steps.setValue(settings.steps or 100)
        form.addRow("&Steps", self.steps)
        layout.addLayout(form)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start = buttons.addButton("Start the &race", QDialogButtonBox.ButtonRole.AcceptRole)
        # In the dialog first: a default set on a button with no dialog yet is not recorded, and
        # Qt then made Cancel the default, so Enter in a racer's field cancelled.
        layout.addWidget(buttons)
        self.start.setDefault(True)
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)
        self._fair_toggled(True)
        self.racers: list[tuple[str, float]] = []

    def _fair_toggled(self, on: bool) -> None:
        for _, lr in self.rows:
            lr.setEnabled(not on)
            lr.setToolTip("Chosen by the racer's range test" if on else "This racer's learning rate")

    def chosen(self) -> list[tuple[str, float]]:
        """The racers as (optimizer, lr), each checked as the controls check them; GdsimError names
        the first bad one."""
        racers = []
        for k, (box, lr) in enumerate(self.rows, start=1):
            optimizer = box.currentText().strip()
            if not optimizer:
                continue
            try:
                make_choice("optimizer", OPTIMIZERS, optimizer)
                racers.append((optimizer, NUMBERS["lr"].parse(lr.text())))
            except GdsimError as exc:
                raise GdsimError(f"racer {k}: {exc}") from None
        if not racers:
            raise GdsimError("choose at least one optimizer to race")
        return racers

    def _accept_if_valid(self) -> None:
        try:
            self.racers = self.chosen()
        except GdsimError as exc:
            self.problem.setText(f"<span style='color:{theme.BAD}'>{exc}.</span>")
            return
        self.accept()
