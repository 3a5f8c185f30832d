"""The control panel: every choice of the training loop, with a tooltip for a learner.

The panel never talks to the engine. It shows the settings the worker says
are in force (``show_settings``), and when a person changes something it
emits the whole new ``Settings`` (``settings_edited``); the worker applies it
or answers with an error, after which the panel shows the old values again.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QScrollArea, QSizePolicy, QSlider, QSpinBox, QVBoxLayout, QWidget,
)

from ..core.errors import GdsimError, sentence
from ..core.engine.initializers import INIT_HELP
from ..core.engine.losses import LOSS_HELP
from ..core.engine.optimizers import OPTIMIZER_HELP
from ..core.scenarios import SCENARIOS
from ..core.settings import MAX_LR, Settings, check_finite, check_lr
from ..core.choices import parse_spec

SPEEDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, None]  # steps per second; None = full speed
LR_MIN_EXP, LR_MAX_EXP = -7.0, 1.0  # the slider's range; the field takes anything in (0, MAX_LR]
LR_TICKS_PER_DECADE = 100

LOSS_NAMES = {"mse": "MSE", "sse": "sum of squared errors", "mae": "MAE", "huber": "Huber",
              "bce": "binary cross-entropy", "cross_entropy": "cross-entropy", "mnist": "fastai MNIST loss"}
OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
                   "rmsprop": "RMSProp", "adam": "Adam"}
# Initializers are shown as what one would type, parameters included.
INIT_NAMES = {spec: spec for spec in ("normal", "uniform:-1,1", "zeros", "ones", "xavier_normal",
                                      "xavier_uniform", "he_normal", "he_uniform")}
CUSTOM = "custom..."  # the last entry of a choice box: type NAME:ARGS
CUSTOM_EXAMPLES = {"loss": "huber:2", "init": "normal:0,0.01 or uniform:-0.5,0.5 or constant:0.1",
                   "optimizer": "momentum:0.5 or adam:0.9,0.99 or rmsprop:0.9"}


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
        self.setWidgetResizable(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the controls, not to their frame
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(270)  # leaves the views room on a 1024-pixel screen
        self.setMaximumWidth(360)
        body = QWidget()
        self.setWidget(body)
        col = QVBoxLayout(body)
        col.setContentsMargins(6, 6, 6, 6)

        # --- scenario
        box = QGroupBox("&Scenario")
        lay = QVBoxLayout(box)
        self.scenario = QComboBox()
        for name, s in SCENARIOS.items():
            self.scenario.addItem(f"{name}: {s.title}", name)
            self.scenario.setItemData(self.scenario.count() - 1, s.summary, Qt.ItemDataRole.ToolTipRole)
        self.scenario.setToolTip("Each scenario is a lesson from a tutorial: its data, model, loss and "
                                 "training settings. Choosing one starts it from fresh weights.")
        self.scenario.activated.connect(self._scenario_chosen)
        lay.addWidget(self.scenario)
        self.lesson = QLabel()
        self.lesson.setWordWrap(True)
        self.lesson.setStyleSheet("color: palette(placeholder-text);")
        lay.addWidget(self.lesson)
        self.model_text = QLabel()
        self.model_text.setWordWrap(True)
        lay.addWidget(self.model_text)
        col.addWidget(box)

        # --- training loop
        box = QGroupBox("Tr&aining")
        grid = QGridLayout(box)
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Run gradient descent until a stop condition holds, or pause it (Space).")
        self.run_button.clicked.connect(self.run_clicked)
        self.run_button.setMinimumHeight(30)
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("Take exactly one step: predict, compute the loss, backpropagate, "
                                    "update the weights (Right arrow).")
        self.step_button.clicked.connect(lambda: self.step_clicked.emit(1))
        self.step_n = QSpinBox()
        self.step_n.setRange(1, 1_000_000)
        self.step_n.setValue(10)
        self.step_n.setToolTip("How many steps 'Step N' takes, at the chosen speed (Shift+Right).")
        self.step_n_button = QPushButton("Step N")
        self.step_n_button.setToolTip("Take N steps at the chosen speed, then pause (Shift+Right).")
        self.step_n_button.clicked.connect(lambda: self.step_clicked.emit(self.step_n.value()))
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the same initial weights, so you can compare runs that "
                                     "differ in one setting (R).")
        self.reset_button.clicked.connect(self.reset_clicked)
        self.new_button = QPushButton("New weights")
        self.new_button.setToolTip("Draw fresh initial weights (the seed goes up by one) (N).")
        self.new_button.clicked.connect(self.new_weights_clicked)
        grid.addWidget(self.run_button, 0, 0, 1, 3)
        grid.addWidget(self.step_button, 1, 0)
        grid.addWidget(self.step_n, 1, 1)
        grid.addWidget(self.step_n_button, 1, 2)
        grid.addWidget(self.reset_button, 2, 0, 1, 2)
        grid.addWidget(self.new_button, 2, 2)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setValue(len(SPEEDS) - 1)
        self.speed.setToolTip("How fast training runs: from one step a second, to watch each step, "
                              "up to as fast as the computer can.")
        self.speed_label = QLabel(speed_text(None))
        self.speed.valueChanged.connect(self._speed_moved)
        grid.addWidget(QLabel("Speed"), 3, 0)
        grid.addWidget(self.speed, 3, 1)
        grid.addWidget(self.speed_label, 3, 2)
        col.addWidget(box)

        # --- learning rate and gradients
        box = QGroupBox("Learning &rate and gradients")
        lay = QVBoxLayout(box)
        row = QHBoxLayout()
        self.lr_slider = QSlider(Qt.Orientation.Horizontal)
        self.lr_slider.setRange(int(LR_MIN_EXP * LR_TICKS_PER_DECADE), int(LR_MAX_EXP * LR_TICKS_PER_DECADE))
        self.lr_slider.setToolTip("Learning rate on a log scale: each notch to the right multiplies it. "
                                  "Too small crawls; too large overshoots or diverges.")
        self.lr_slider.sliderReleased.connect(self._lr_slider_released)
        self.lr_slider.valueChanged.connect(self._lr_slider_moved)
        self.lr_field = QLineEdit()
        self.lr_field.setMaximumWidth(90)
        self.lr_field.setToolTip(f"The exact learning rate: how far each step moves the weights against "
                                 f"the gradient (w -= lr * grad). Any number above 0, up to {MAX_LR:g}.")
        self.lr_field.editingFinished.connect(self._lr_typed)
        self.lr_field.returnPressed.connect(self.edit_done)
        row.addWidget(self.lr_slider, 1)
        row.addWidget(self.lr_field)
        lay.addLayout(row)
        self.zero_grad = QCheckBox("Zero the gradients after each step")
        self.zero_grad.setToolTip(
            "PyTorch adds every new gradient to .grad; tutorials call p.grad.zero_() after each update. "
            "Untick this to forget that call: each step then uses the sum of ALL gradients so far, "
            "so updates grow and overshoot (the micrograd scenario stalls).")
        self.zero_grad.toggled.connect(lambda on: self._edit(zero_grad=on))
        lay.addWidget(self.zero_grad)
        col.addWidget(box)

        # --- model and optimizer
        box = QGroupBox("&Model and optimizer")
        form = QFormLayout(box)
        self.model = QComboBox()
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
        self.loss = self._spec_combo(LOSS_NAMES, LOSS_HELP,
                                     "What is minimised. Regression losses (MSE, MAE, Huber) suit "
                                     "numbers; BCE, cross-entropy and the fastai loss suit classes "
                                     "(only the losses this scenario's data allows are listed). "
                                     "'custom...' takes huber:2 for another delta. Changing it starts a new run.",
                                     "loss")
        form.addRow("&Loss", self.loss)
        self.init = self._spec_combo(INIT_NAMES, INIT_HELP,
                                     "How the initial weights are drawn. 'custom...' takes normal:0,0.01 or "
                                     "uniform:-0.5,0.5 for other parameters. Changing it starts a new run.",
                                     "init")
        form.addRow("&Initializer", self.init)
        self.optimizer = self._spec_combo(OPTIMIZER_NAMES, OPTIMIZER_HELP,
                                          "The update rule. SGD is w -= lr * grad; the others remember "
                                          "past gradients. 'custom...' takes momentum:0.5 or adam:0.9,0.99. "
                                          "Changes apply at the next step.", "optimizer")
        form.addRow("O&ptimizer", self.optimizer)
        self.batch = QSpinBox()
        self.batch.setToolTip("Rows per step. The full batch uses all training rows every step; smaller "
                              "mini-batches are shuffled each epoch. Changing it starts a new run.")
        self.batch.editingFinished.connect(self._batch_changed)
        form.addRow("&Batch size", self.batch)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("The random seed of the initial weights and the batch order: the same "
                             "seed gives the same run.")
        self.seed.editingFinished.connect(lambda: self._edit(seed=self.seed.value()))
        form.addRow("See&d", self.seed)
        self.l1 = self._number_field("L1 penalty: adds L1 * sum(|w|) to the loss, pushing weights to "
                                     "exactly 0. Applies at the next step.", "l1")
        self.l2 = self._number_field("L2 penalty (weight decay): adds L2 * sum(w**2) to the loss, "
                                     "keeping weights small. Applies at the next step.", "l2")
        pen = QHBoxLayout()
        pen.addWidget(QLabel("L1"))
        pen.addWidget(self.l1)
        pen.addWidget(QLabel("L2"))
        pen.addWidget(self.l2)
        form.addRow("Penalty", pen)
        col.addWidget(box)

        # --- stop conditions
        box = QGroupBox("Stop &when")
        grid = QGridLayout(box)
        self.steps_on = QCheckBox("steps reach")
        self.steps_on.setToolTip("Stop after this many steps in total. Untick to run until you pause.")
        self.steps = QSpinBox()
        self.steps.setRange(1, 100_000_000)
        self.steps.setToolTip("The step limit.")
        self.steps_on.toggled.connect(self._steps_changed)
        self.steps.editingFinished.connect(self._steps_changed)
        grid.addWidget(self.steps_on, 0, 0)
        grid.addWidget(self.steps, 0, 1)
        self.target_on = QCheckBox("loss below")
        self.target_on.setToolTip("Stop as soon as a step's loss falls below this target.")
        self.target = QLineEdit()
        self.target.setToolTip("The target loss.")
        self.target_on.toggled.connect(self._target_changed)
        self.target.editingFinished.connect(self._target_changed)
        grid.addWidget(self.target_on, 1, 0)
        grid.addWidget(self.target, 1, 1)
        self.patience_on = QCheckBox("no better for")
        self.patience_on.setToolTip("Early stopping: stop when the validation loss has not improved for "
                                    "this many epochs in a row, the sign that the model starts to "
                                    "overfit. Needs a scenario with a validation set (digits).")
        self.patience = QSpinBox()
        self.patience.setRange(1, 100_000)
        self.patience.setSuffix(" epochs")
        self.patience.setToolTip("How many epochs in a row without a better validation loss to allow.")
        self.patience_on.toggled.connect(self._patience_changed)
        self.patience.editingFinished.connect(self._patience_changed)
        grid.addWidget(self.patience_on, 2, 0)
        grid.addWidget(self.patience, 2, 1)
        col.addWidget(box)
        col.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

    # ----- small builders -----------------------------------------------------------------------

    def _spec_combo(self, names: dict, help_: dict, tooltip: str, field: str) -> QComboBox:
        """A list of the registry's choices, and 'custom...' to type one with its arguments.

        Not editable: a box with a text field would keep the keyboard after a choice, and
        Space would type a space instead of pausing the run.
        """
        box = QComboBox()
        box.names, box.help = names, help_
        _fill_choices(box, list(names))
        box.setToolTip(tooltip)
        box.activated.connect(lambda _: self._spec_chosen(box, field))
        return box

    def _spec_chosen(self, box: QComboBox, field: str) -> None:
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

        what = {"loss": "loss", "init": "initializer", "optimizer": "optimizer"}[field]
        current = getattr(self.settings, field) if self.settings is not None else ""
        text, ok = QInputDialog.getText(
            self, f"Custom {what}", f"Type the {what} as NAME or NAME:ARGS, for example "
                                   f"{CUSTOM_EXAMPLES[field]}:", text=current or "")
        text = text.strip()
        return text if ok and text else None

    def _model_chosen(self, _index: int) -> None:
        self._edit(model=self.model.currentData(), loss=None, init=None, optimizer=None, lr=None)
        self.edit_done.emit()

    def _number_field(self, tooltip: str, field: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setMaximumWidth(70)
        edit.setToolTip(tooltip)

        def typed():
            text = edit.text().strip() or "0"
            try:
                value = check_finite(field.upper() + " penalty", _parse_float(text))
                if value < 0:
                    raise GdsimError(f"{field.upper()} penalty must be >= 0, not {text}")
            except GdsimError as exc:
                self._reject(edit, str(exc))
                return
            if self.settings is not None and value != getattr(self.settings, field):
                self._edit(**{field: value})
        edit.editingFinished.connect(typed)
        return edit

    # ----- showing what is in force -----------------------------------------------------------------

    def add_scenario(self, name: str, title: str, summary: str) -> None:
        """A scenario made from a person's own data joins the list."""
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
        self.loss.blockSignals(True)
        _fill_choices(self.loss, list(info.losses))
        self.loss.blockSignals(False)
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
            name, args = parse_spec(s.model)
            i = self.model.findData(name)
            if i >= 0:
                self.model.setCurrentIndex(i)
            sized = self.info is not None and any(n == name and takes for n, _, takes in self.info.models)
            self.hidden.setVisible(sized)
            self.hidden_label.setVisible(sized)
            self.hidden.setText(",".join(f"{a:g}" for a in args) if args else "16")
            self.hidden.setStyleSheet("")
            for box, value in ((self.loss, s.loss), (self.init, s.init), (self.optimizer, s.optimizer)):
                _show_spec(box, value)
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

    def _lr_typed(self) -> None:
        text = self.lr_field.text().strip()
        try:
            lr = check_lr(_parse_float(text))
        except GdsimError as exc:
            self._reject(self.lr_field, str(exc))
            return
        self.lr_field.setStyleSheet("")
        if self.settings is not None and lr != self.settings.lr:
            self._edit(lr=lr)

    def _hidden_typed(self) -> None:
        text = self.hidden.text().replace(" ", "")
        model = parse_spec(self.settings.model)[0] if self.settings else "mlp"
        try:
            _, sizes = parse_spec(f"{model}:{text}")
            if not sizes or any(v != int(v) or v < 1 or v > 4096 for v in sizes):
                raise GdsimError(f"hidden layer sizes are whole numbers from 1 to 4096, like 16 or 32,16; "
                                 f"not {self.hidden.text()!r}")
        except GdsimError as exc:
            self._reject(self.hidden, str(exc))
            return
        spec = f"{model}:" + ",".join(str(int(v)) for v in sizes)
        if self.settings is not None and spec != self.settings.model:
            self._edit(model=spec, loss=None, init=None, optimizer=None, lr=None)

    def _batch_changed(self) -> None:
        value = self.batch.value()
        full = value >= self.batch.maximum()
        self._edit(batch_size=None if full else value)

    def _steps_changed(self, *_):
        self.steps.setEnabled(self.steps_on.isChecked())
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
            value = check_finite("target loss", _parse_float(text))
        except GdsimError as exc:
            self._reject(self.target, str(exc))
            return
        self.target.setStyleSheet("")
        self._edit(until_loss=value)

    def _patience_changed(self, *_):
        self._edit(patience=self.patience.value() if self.patience_on.isChecked() else None)

    def _reject(self, edit: QLineEdit, message: str) -> None:
        """A value that cannot be used: say why, mark the field, change nothing."""
        edit.setStyleSheet("border: 1px solid #d62728;")
        self.problem.emit(sentence(message) + ".")


def _parse_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise GdsimError(f"{text!r} is not a number") from None


def _fill_choices(box: QComboBox, names: list[str]) -> None:
    """The registry's names (shown by their display names) and 'custom...' last."""
    box.clear()
    for name in names:
        box.addItem(box.names.get(name, name), name)
        box.setItemData(box.count() - 1, box.help.get(name.split(":")[0], ""), Qt.ItemDataRole.ToolTipRole)
    box.addItem(CUSTOM, CUSTOM)
    box.setItemData(box.count() - 1, "Type a choice with its arguments, NAME:ARGS", Qt.ItemDataRole.ToolTipRole)


def _show_spec(box: QComboBox, value: str) -> None:
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
