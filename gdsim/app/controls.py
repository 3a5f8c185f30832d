"""The control panel: every choice of the training loop, with a tooltip for a learner.

The panel never talks to the engine. It shows the settings the worker says
are in force (``show_settings``), and when a person changes something it
emits the whole new ``Settings`` (``settings_edited``); the worker applies it
or answers with an error, after which the panel shows the old values again.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea,
    QSizePolicy, QSlider, QSpinBox, QVBoxLayout, QWidget,
)

from ..core.catalog import CATALOG
from ..core.choices import listed, parse_choice, written
from ..core.engine.models import hidden_sizes
from ..core.engine.registries import REGISTRIES
from ..core.errors import GdsimError, sentence
from ..core.settings import MAX_LR, NUMBERS, Settings
from . import theme
from .presentation import font_scale

SPEEDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, None]  # steps per second; None = full speed
LR_MIN_EXP, LR_MAX_EXP = -7.0, 1.0  # the slider's range; the field takes anything in (0, MAX_LR]
LR_TICKS_PER_DECADE = 100

CUSTOM = "custom..."  # the last entry of a choice box: type NAME:ARGS
WHAT = {"loss": "loss", "init": "initializer", "optimizer": "optimizer"}  # a Settings field, in words


def fmt_lr(lr: float) -> str:
    return f"{lr:g}"


def speed_text(speed) -> str:
    return "full speed" if speed is None else f"{speed} step{'s' if speed != 1 else ''}/s"


class ControlPanel(QScrollArea):
    settings_edited = Signal(object)  # the whole new Settings
    run_clicked = Signal()
    step_clicked = Signal(int)
    reset_clicked = Signal()
    new_weights_clicked = Signal()
    speed_changed = Signal(object)  # steps per second, or None for full speed
    problem = Signal(str)  # a value typed into a field that cannot be used
    edit_done = Signal()  # a choice was made or Enter pressed: the window takes the keyboard back

    def __init__(self, parent=None):
        super().__init__(parent)
        self.settings: Settings | None = None
        self.info = None
        self._locked: frozenset = frozenset()  # a lesson's locked and hidden controls (core.lessons.CONTROLS)
        self._hidden: frozenset = frozenset()
        self.setWidgetResizable(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the controls, not to their frame
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self.setWidget(body)
        col = QVBoxLayout(body)
        col.setContentsMargins(6, 6, 6, 6)
        for build in (self._scenario_box, self._training_box, self._learning_rate_box, self._model_box,
                      self._stop_box):
            col.addWidget(build())
        col.addStretch(1)
        for box in body.findChildren(NumberBox):  # Enter in a number box hands the keys back to the run
            box.entered.connect(self.edit_done)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self._fit_to_font()
        self._name_controls()

    def _fit_to_font(self) -> None:
        # 270 by 360 pixels at the usual font: room for the views and a lesson on a 1024-pixel
        # screen. Zoomed, the panel grows with its text.
        scale = font_scale(self)
        for button in self.findChildren(QPushButton):
            _compact(button)
        body = self.widget()
        # Never less than the boxes need at this font (a scroll bar beside them): the panel does
        # not scroll sideways, and a box wider than it was cut off on the left.
        needed = 0 if body is None else body.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(max(int(270 * scale), needed))
        self.setMaximumWidth(max(int(360 * scale), needed))

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_to_font()

    # ----- the groups of controls (declarative: each makes its widgets and says what they do) -----

    def _scenario_box(self) -> QGroupBox:
        box = QGroupBox("&Scenario")
        lay = QVBoxLayout(box)
        self.scenario = ChoiceBox()
        for name, s in CATALOG.items():  # the catalog: core.scenarios (with the trainer) waits for the first run
            self.add_scenario(name, s.title, s.summary)
        self.scenario.setToolTip("Each scenario is a lesson from a tutorial: its data, model, loss and "
                                 "training settings. Choosing one starts it from fresh weights.")
        self.scenario.activated.connect(self._scenario_chosen)
        lay.addWidget(self.scenario)
        self.lesson = QLabel()
        self.lesson.setWordWrap(True)
        # A palette role, not a style sheet: a style sheet kept the font the label was first polished
        # with, so the scenario's story stayed small when the zoom grew (seen under Xvfb at 150%).
        self.lesson.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        lay.addWidget(self.lesson)
        self.model_text = QLabel()
        self.model_text.setWordWrap(True)
        lay.addWidget(self.model_text)
        return box

    def _training_box(self) -> QGroupBox:
        box = QGroupBox("Tr&aining")
        grid = QGridLayout(box)
        self.run_button = _button("Run", "Run gradient descent until a stop condition holds, or pause it (Space).",
                                  self.run_clicked)
        self.run_button.setMinimumHeight(30)
        self.step_button = _button("Step", "Take exactly one step: predict, compute the loss, backpropagate, "
                                   "update the weights (Right arrow).", lambda: self.step_clicked.emit(1))
        self.step_n = NumberBox()
        self.step_n.setRange(1, 1_000_000)
        self.step_n.setValue(10)
        self.step_n.setToolTip("How many steps 'Step N' takes, at the chosen speed (Shift+Right).")
        self.step_n_button = _button("Step N", "Take N steps at the chosen speed, then pause (Shift+Right).",
                                     lambda: self.step_clicked.emit(self.step_n.value()))
        self.reset_button = _button("Reset", "Back to the same initial weights, so you can compare runs that "
                                    "differ in one setting (R).", self.reset_clicked)
        self.new_button = _button("New weights", "Draw fresh initial weights (the seed goes up by one) (N).",
                                  self.new_weights_clicked)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setValue(len(SPEEDS) - 1)
        self.speed.setToolTip("How fast training runs: from one step a second, to watch each step, "
                              "up to as fast as the computer can.")
        self.speed_label = QLabel(speed_text(None))
        self.speed.valueChanged.connect(self._speed_moved)
        for widget, row, col, span in ((self.run_button, 0, 0, 3), (self.step_button, 1, 0, 1), (self.step_n, 1, 1, 1),
                                       (self.step_n_button, 1, 2, 1), (self.reset_button, 2, 0, 2),
                                       (self.new_button, 2, 2, 1), (QLabel("Speed"), 3, 0, 1), (self.speed, 3, 1, 1),
                                       (self.speed_label, 3, 2, 1)):
            grid.addWidget(widget, row, col, 1, span)
        return box

    def _learning_rate_box(self) -> QGroupBox:
        box = QGroupBox("Learning &rate and gradients")
        lay = QVBoxLayout(box)
        row = QHBoxLayout()
        self.lr_slider = QSlider(Qt.Orientation.Horizontal)
        self.lr_slider.setRange(int(LR_MIN_EXP * LR_TICKS_PER_DECADE), int(LR_MAX_EXP * LR_TICKS_PER_DECADE))
        self.lr_slider.setToolTip("Learning rate on a log scale: each notch to the right multiplies it. "
                                  "Too small crawls; too large overshoots or diverges.")
        self.lr_slider.sliderReleased.connect(self._lr_slider_released)
        self.lr_slider.valueChanged.connect(self._lr_slider_moved)
        self.lr_field = self._number_field("lr", f"The exact learning rate: how far each step moves the weights "
                                           f"against the gradient (w -= lr * grad). Any number above 0, up to "
                                           f"{MAX_LR:g}.", width=90)
        row.addWidget(self.lr_slider, 1)
        row.addWidget(self.lr_field)
        lay.addLayout(row)
        self.zero_grad = QCheckBox("Zero the gradients after each step")
        self.zero_grad.setToolTip(
            "PyTorch adds every new gradient to .grad; tutorials call p.grad.zero_() after each update. "
            "Untick this (or press Z) to forget that call: each step then uses the sum of ALL gradients "
            "so far, so updates grow and overshoot (the micrograd scenario stalls).")
        self.zero_grad.toggled.connect(lambda on: self._edit(zero_grad=on))
        lay.addWidget(self.zero_grad)
        return box

    def _model_box(self) -> QGroupBox:
        box = QGroupBox("&Model and optimizer")
        form = QFormLayout(box)
        self.model = ChoiceBox()
        self.model.setToolTip("The model variants this scenario offers. Changing it starts a new run.")
        self.model.activated.connect(self._model_chosen)
        self.model_label = QLabel("M&odel")
        self.model_label.setBuddy(self.model)
        form.addRow(self.model_label, self.model)
        self.hidden = QLineEdit()
        self.hidden.setToolTip("Sizes of the hidden layers: 16 for one layer of 16 units, 32,16 for two. "
                               "Changing them starts a new run.")
        self.hidden.editingFinished.connect(self._hidden_typed)
        self.hidden_label = QLabel("Hidden la&yers")
        self.hidden_label.setBuddy(self.hidden)
        form.addRow(self.hidden_label, self.hidden)
        self.loss = self._choice_box("loss", "What is minimised. Regression losses (MSE, MAE, Huber) suit numbers; "
                                     "BCE, cross-entropy and the fastai loss suit classes (only the losses this "
                                     "scenario's data allows are listed). Changing it starts a new run.")
        form.addRow("&Loss", self.loss)
        self.init = self._choice_box("init", "How the initial weights are drawn. Changing it starts a new run.")
        form.addRow("&Initializer", self.init)
        self.optimizer = self._choice_box("optimizer", "The update rule. SGD is w -= lr * grad; the others remember "
                                          "past gradients. Changes apply at the next step.")
        form.addRow("O&ptimizer", self.optimizer)
        self.batch = NumberBox()
        self.batch.setToolTip("Rows per step. The full batch uses all training rows every step; smaller "
                              "mini-batches are shuffled each epoch. Changing it starts a new run.")
        self.batch.editingFinished.connect(self._batch_changed)
        form.addRow("&Batch size", self.batch)
        self.seed = NumberBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("The random seed of the initial weights and the batch order: the same "
                             "seed gives the same run.")
        self.seed.editingFinished.connect(lambda: self._edit(seed=self.seed.value()))
        form.addRow("See&d", self.seed)
        self._model_form = form
        self.l1 = self._number_field("l1", "L1 penalty: adds L1 * sum(|w|) to the loss, pushing weights to "
                                     "exactly 0. Applies at the next step.")
        self.l2 = self._number_field("l2", "L2 penalty (weight decay): adds L2 * sum(w**2) to the loss, "
                                     "keeping weights small. Applies at the next step.")
        pen = QHBoxLayout()
        self.l1_label, self.l2_label = QLabel("L1"), QLabel("L2")
        for widget in (self.l1_label, self.l1, self.l2_label, self.l2):
            pen.addWidget(widget)
        form.addRow("Penalty", pen)
        return box

    def _stop_box(self) -> QGroupBox:
        box = QGroupBox("Stop &when")
        grid = QGridLayout(box)
        self.steps_on = QCheckBox("steps reach")
        self.steps_on.setToolTip("Stop after this many steps in total. Untick to run until you pause.")
        self.steps = NumberBox()
        self.steps.setRange(1, 100_000_000)
        self.steps.setToolTip("The step limit.")
        self.steps_on.toggled.connect(self._steps_changed)
        self.steps.editingFinished.connect(self._steps_changed)
        self.target_on = QCheckBox("loss below")
        self.target_on.setToolTip("Stop as soon as a step's loss falls below this target.")
        self.target = QLineEdit()
        self.target.setToolTip("The target loss.")
        self.target_on.toggled.connect(self._target_changed)
        self.target.editingFinished.connect(self._target_changed)
        self.patience_on = QCheckBox("no better for")
        self.patience_on.setToolTip("Early stopping: stop when the validation loss has not improved for "
                                    "this many epochs in a row, the sign that the model starts to "
                                    "overfit. Needs a scenario with a validation set (digits).")
        self.patience = NumberBox()
        self.patience.setRange(1, 100_000)
        self.patience.setSuffix(" epochs")
        self.patience.setToolTip("How many epochs in a row without a better validation loss to allow.")
        self.patience_on.toggled.connect(self._patience_changed)
        self.patience.editingFinished.connect(self._patience_changed)
        for row, (check, field) in enumerate(((self.steps_on, self.steps), (self.target_on, self.target),
                                              (self.patience_on, self.patience))):
            grid.addWidget(check, row, 0)
            grid.addWidget(field, row, 1)
        return box

    def _name_controls(self) -> None:
        """Each control's name for a screen reader: what a sighted person reads beside it (its
        tooltip, which Qt gives as its description, says the rest)."""
        names = {
            self.scenario: "Scenario", self.run_button: "Run or pause", self.step_button: "Step",
            self.step_n: "Steps that Step N takes", self.step_n_button: "Step N", self.reset_button: "Reset",
            self.new_button: "New weights", self.speed: "Speed", self.lr_slider: "Learning rate, log scale",
            self.lr_field: "Learning rate", self.zero_grad: "Zero the gradients after each step",
            self.model: "Model", self.hidden: "Hidden layers", self.loss: "Loss", self.init: "Initializer",
            self.optimizer: "Optimizer", self.batch: "Batch size", self.seed: "Seed", self.l1: "L1 penalty",
            self.l2: "L2 penalty", self.steps_on: "Stop when steps reach", self.steps: "Step limit",
            self.target_on: "Stop when the loss is below", self.target: "Target loss",
            self.patience_on: "Stop when the validation loss is no better for", self.patience: "Patience, in epochs",
        }
        for widget, name in names.items():
            widget.setAccessibleName(name)

    # ----- small builders -----------------------------------------------------------------------

    def _choice_box(self, field: str, tooltip: str) -> QComboBox:
        """The registry's choices for ``field``, labelled and explained by the registry itself, and
        'custom...' to type one with its arguments.

        Not editable: a box with a text field would keep the keyboard after a choice, and
        Space would type a space instead of pausing the run.
        """
        box = ChoiceBox()
        box.entries = listed(REGISTRIES[field])
        _fill_choices(box, [choice for choice, _, _ in box.entries])
        written_as = ", ".join(written(cls) for cls in REGISTRIES[field].values() if cls.syntax)
        box.setToolTip(f"{tooltip} 'custom...' takes a choice with its arguments: {written_as}.")
        box.activated.connect(lambda _: self._choice_made(box, field))
        return box

    def _choice_made(self, box: QComboBox, field: str) -> None:
        value = box.currentData()
        if value == CUSTOM:
            value = self._ask_custom(field)
            if value is None:  # cancelled: show what is in force again
                self.show_settings(self.settings)
                self.edit_done.emit()
                return
        if self.settings is not None and value != getattr(self.settings, field):
            self._edit(**{field: value})
        self.edit_done.emit()

    def _ask_custom(self, field: str) -> str | None:
        from PySide6.QtWidgets import QInputDialog

        what = WHAT[field]
        examples = ", ".join(written(cls) for cls in REGISTRIES[field].values() if cls.syntax)
        current = getattr(self.settings, field) if self.settings is not None else ""
        text, ok = QInputDialog.getText(
            self, f"Custom {what}", f"Type the {what} as NAME or NAME:ARGS ({examples}):", text=current or "")
        text = text.strip()
        return text if ok and text else None

    def _model_chosen(self, _index: int) -> None:
        self._edit(model=self.model.currentData(), loss=None, init=None, optimizer=None, lr=None)
        self.edit_done.emit()

    def _number_field(self, field: str, tooltip: str, width: int = 70) -> QLineEdit:
        """A field for a number of ``Settings``, parsed and checked there (the same words as the
        command line's); a bad value is refused and changes nothing."""
        edit = QLineEdit()
        edit.setMaximumWidth(width)
        edit.setToolTip(tooltip)

        def typed():
            if self.settings is None:
                return
            try:
                value = NUMBERS[field].parse(edit.text() or "0")
            except GdsimError as exc:
                self._reject(edit, str(exc))
                return
            edit.setStyleSheet("")
            if value != getattr(self.settings, field):
                self._edit(**{field: value})
        edit.editingFinished.connect(typed)
        edit.returnPressed.connect(self.edit_done)
        return edit

    # ----- showing what is in force -----------------------------------------------------------------

    def add_scenario(self, name: str, title: str, summary: str) -> None:
        """A scenario joins the list: the built-in ones, then those made from a person's own data."""
        if self.scenario.findData(name) >= 0:
            return
        self.scenario.addItem(f"{name}: {title}", name)
        self.scenario.setItemData(self.scenario.count() - 1, summary, Qt.ItemDataRole.ToolTipRole)

    def show_run(self, info) -> None:
        """A new run: its scenario, model choices and data size."""
        self.info = info
        self.lesson.setText(info.lesson)
        self.model_text.setText(f"<b>Model:</b> {info.model_text}<br><b>Loss:</b> {info.loss_text}")
        self.model.blockSignals(True)
        self.model.clear()
        for name, summary, _ in info.models:
            self.model.addItem(name, name)  # the Model line above describes it in full
            self.model.setItemData(self.model.count() - 1, summary, Qt.ItemDataRole.ToolTipRole)
        # One model: the Model line above says which; a box with nothing to choose is noise.
        self.model.setVisible(len(info.models) > 1)
        self.model_label.setVisible(len(info.models) > 1)
        self.model.blockSignals(False)
        for box, offered in ((self.loss, info.losses), (self.init, info.inits)):
            box.blockSignals(True)
            _fill_choices(box, [name for name, _, _ in box.entries if parse_choice(name)[0] in offered])
            box.blockSignals(False)
        n = int(info.x.shape[0]) if info.x.ndim else 1
        self.batch.blockSignals(True)
        self.batch.setRange(1, max(1, n))
        self.batch.setSpecialValueText("")
        self.batch.setEnabled(n > 1)
        self.batch.blockSignals(False)
        self.patience_on.setEnabled(info.has_validation)
        self.patience.setEnabled(info.has_validation)
        self.show_settings(info.settings)  # the run's own settings, not the previous run's

    def show_settings(self, s: Settings) -> None:
        self.settings = s
        widgets = (self.scenario, self.model, self.hidden, self.loss, self.init, self.optimizer, self.batch, self.seed,
                   self.lr_slider, self.lr_field, self.zero_grad, self.steps_on, self.steps, self.target_on,
                   self.target, self.patience_on, self.patience, self.l1, self.l2)
        for w in widgets:
            w.blockSignals(True)
        try:
            self.scenario.setCurrentIndex(self.scenario.findData(s.scenario))
            name, args = parse_choice(s.model)
            i = self.model.findData(name)
            if i >= 0:
                self.model.setCurrentIndex(i)
            sized = self.info is not None and any(n == name and takes for n, _, takes in self.info.models)
            self.hidden.setVisible(sized)
            self.hidden_label.setVisible(sized)
            self.hidden.setText(",".join(f"{a:g}" for a in args) if args else "16")
            self.hidden.setStyleSheet("")
            for box, value in ((self.loss, s.loss), (self.init, s.init), (self.optimizer, s.optimizer)):
                _show_choice(box, value)
            self.lr_field.setText(fmt_lr(s.lr))
            self.lr_field.setStyleSheet("")
            self.lr_slider.setValue(_lr_to_slider(s.lr))
            self.zero_grad.setChecked(s.zero_grad)
            if self.info is not None:
                n = self.batch.maximum()
                self.batch.setValue(n if s.batch_size is None else min(s.batch_size, n))
                self.batch.setSuffix(" (full batch)" if s.batch_size is None and n > 1 else "")
            self.seed.setValue(min(s.seed, self.seed.maximum()))
            self.steps_on.setChecked(bool(s.steps))
            if s.steps:
                self.steps.setValue(s.steps)
            self.steps.setEnabled(bool(s.steps))
            self.target_on.setChecked(s.until_loss is not None)
            self.target.setEnabled(s.until_loss is not None)
            if s.until_loss is not None:
                self.target.setText(f"{s.until_loss:g}")
            self.patience_on.setChecked(s.patience is not None)
            if s.patience is not None:
                self.patience.setValue(s.patience)
            for edit, value in ((self.l1, s.l1), (self.l2, s.l2)):
                edit.setText(f"{value:g}")
                edit.setStyleSheet("")
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._keep_lesson_locks()

    # ----- a lesson's locks ------------------------------------------------------------------------

    def lesson_widgets(self) -> dict[str, tuple]:
        """The widgets of each control a lesson may lock or hide (core.lessons.CONTROLS); "data"
        is the window's (File > Train on a CSV file)."""
        return {"lr": (self.lr_slider, self.lr_field), "optimizer": (self.optimizer,), "loss": (self.loss,),
                "init": (self.init,), "zero-grad": (self.zero_grad,), "l1": (self.l1_label, self.l1),
                "l2": (self.l2_label, self.l2), "batch-size": (self.batch,), "seed": (self.seed, self.new_button),
                "model": (self.model, self.model_label, self.hidden, self.hidden_label),
                "steps": (self.steps_on, self.steps), "scenario": (self.scenario,),
                "speed": (self.speed, self.speed_label), "until-loss": (self.target_on, self.target),
                "patience": (self.patience_on, self.patience), "data": ()}

    def set_lesson_locks(self, locked: frozenset, hidden: frozenset) -> None:
        """Lock (disable) and hide the named controls until the next call; empty sets free them all."""
        self._locked, self._hidden = frozenset(locked) | frozenset(hidden), frozenset(hidden)
        for name, widgets in self.lesson_widgets().items():
            for w in widgets:
                w.setVisible(True)
                w.setEnabled(True)
        if self.info is not None:
            self.show_run(self.info)  # what the run itself enables and shows, then the locks on top
        else:
            self._keep_lesson_locks()

    def _keep_lesson_locks(self) -> None:
        widgets = self.lesson_widgets()
        for name in self._locked:
            for w in widgets.get(name, ()):
                w.setEnabled(False)
        for name in self._hidden:
            for w in widgets.get(name, ()):
                w.setVisible(False)
        rows = {"optimizer": self.optimizer, "loss": self.loss, "init": self.init, "batch-size": self.batch,
                "seed": self.seed}
        for name, w in rows.items():  # a form row's label goes with its box
            self._model_form.setRowVisible(w, name not in self._hidden)

    def set_running(self, running: bool) -> None:
        self.run_button.setText("Pause" if running else "Run")

    # ----- edits --------------------------------------------------------------------------------

    def _edit(self, **changes) -> None:
        if self.settings is None:
            return
        self.settings_edited.emit(self.settings.replace(**changes))

    def _scenario_chosen(self, _index: int) -> None:
        name = self.scenario.currentData()
        if self.settings is not None and name != self.settings.scenario:
            # A scenario is a complete preset: every setting, zeroing included, from its defaults.
            self.settings_edited.emit(Settings(scenario=name))
        self.edit_done.emit()

    def _speed_moved(self, position: int) -> None:
        speed = SPEEDS[position]
        self.speed_label.setText(speed_text(speed))
        self.speed_changed.emit(speed)

    def _lr_slider_moved(self, value: int) -> None:
        if self.lr_slider.isSliderDown():
            self.lr_field.setText(fmt_lr(_slider_to_lr(value)))
        else:  # keyboard or wheel on the slider
            self._edit(lr=_slider_to_lr(value))

    def _lr_slider_released(self) -> None:
        self._edit(lr=_slider_to_lr(self.lr_slider.value()))

    def _hidden_typed(self) -> None:
        text = self.hidden.text().replace(" ", "")
        model = parse_choice(self.settings.model)[0] if self.settings else "mlp"
        try:
            sizes = hidden_sizes(parse_choice(f"{model}:{text}")[1])
        except GdsimError as exc:
            self._reject(self.hidden, str(exc))
            return
        spec = f"{model}:" + ",".join(str(v) for v in sizes)
        if self.settings is not None and spec != self.settings.model:
            self._edit(model=spec, loss=None, init=None, optimizer=None, lr=None)

    def _batch_changed(self) -> None:
        value = self.batch.value()
        full = value >= self.batch.maximum()
        self._edit(batch_size=None if full else value)

    def _steps_changed(self, *_):
        self.steps.setEnabled(self.steps_on.isChecked() and "steps" not in self._locked)
        self._edit(steps=self.steps.value() if self.steps_on.isChecked() else 0)

    def _target_changed(self, *_):
        on = self.target_on.isChecked()
        self.target.setEnabled(on)
        if not on:
            self._edit(until_loss=None)
            return
        text = self.target.text().strip()
        if not text:
            self.target.setText("0.001")
            text = "0.001"
        try:
            value = NUMBERS["until_loss"].parse(text)
        except GdsimError as exc:
            self._reject(self.target, str(exc))
            return
        self.target.setStyleSheet("")
        self._edit(until_loss=value)

    def _patience_changed(self, *_):
        self._edit(patience=self.patience.value() if self.patience_on.isChecked() else None)

    def _reject(self, edit: QLineEdit, message: str) -> None:
        """A value that cannot be used: say why, mark the field, change nothing."""
        edit.setStyleSheet(f"border: 1px solid {theme.BAD};")
        self.problem.emit(sentence(message) + ".")


def _compact(button: QPushButton) -> None:
    """As narrow as the button's text (the style makes every push button at least 80 pixels wide:
    three in a row had made the panel too wide for a lesson beside it on a 1024-pixel screen)."""
    button.setMinimumWidth(button.fontMetrics().horizontalAdvance(button.text()) + button.fontMetrics().height())


class NumberBox(QSpinBox):
    """A spin box that says when Enter was pressed in it (``entered``), after its value is taken:
    QSpinBox has no returnPressed, and editingFinished also comes when focus merely moves on."""

    entered = Signal()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.entered.emit()


class ChoiceBox(QComboBox):
    """A choice box that may be narrower than its longest choice (shown cut short in the box: a
    scenario's title had made the panel too wide for a lesson beside it on a 1024-pixel screen),
    whose list opens wide enough to read every choice."""

    def __init__(self, letters: int = 10):
        super().__init__()
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(letters)

    def showPopup(self) -> None:  # noqa: N802 - Qt's name
        view = self.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + 2 * self.fontMetrics().height())
        super().showPopup()


def _button(text: str, tooltip: str, clicked) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tooltip)
    button.clicked.connect(clicked)
    return button


def _fill_choices(box: QComboBox, choices: list[str]) -> None:
    """``choices`` (those the registry lists, by its labels and help) and 'custom...' last."""
    about = {choice: (label, help_) for choice, label, help_ in box.entries}
    box.clear()
    for choice in choices:
        label, help_ = about.get(choice, (choice, ""))
        box.addItem(label, choice)
        box.setItemData(box.count() - 1, help_, Qt.ItemDataRole.ToolTipRole)
    box.addItem(CUSTOM, CUSTOM)
    box.setItemData(box.count() - 1, "Type a choice with its arguments, NAME:ARGS", Qt.ItemDataRole.ToolTipRole)


def _show_choice(box: QComboBox, value: str) -> None:
    """Select ``value``; a choice typed with arguments joins the list above 'custom...'."""
    i = box.findData(value)
    if i < 0:
        i = box.count() - 1
        box.insertItem(i, value, value)
    box.setCurrentIndex(i)


def _lr_to_slider(lr: float) -> int:
    e = min(max(math.log10(lr), LR_MIN_EXP), LR_MAX_EXP)
    return int(round(e * LR_TICKS_PER_DECADE))


def _slider_to_lr(value: int) -> float:
    # Round to 3 significant digits so the field shows a number a person would type.
    return float(f"{10 ** (value / LR_TICKS_PER_DECADE):.3g}")
