"""The main window: controls on the left, the three live views, menus, a status bar."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QProgressBar, QSplitter,
    QToolButton, QVBoxLayout, QWidget,
)

from ..core.errors import GdsimError
from ..core.files import atomic_path
from ..core.metrics import METRIC_TITLES
from ..core.settings import Settings
from .controls import ControlPanel
from .views.gradient_view import GradientView
from .views.loss_view import LossView
from .views.prediction_view import PredictionView
from .worker import DIVERGED, RUNNING, STOPPED, TrainingController

HEAVY_FPS = 15  # at full speed: the per-weight and prediction views redraw this often, at most

BANNER_STYLES = {
    "error": "background: #fbe3e4; color: #7a1419; border: 1px solid #d62728;",
    "warning": "background: #fff4d6; color: #5c4200; border: 1px solid #e0a800;",
    "info": "background: #e3f0fb; color: #123d66; border: 1px solid #1f77b4;",
}


class Banner(QWidget):
    """A one-line message above the views: divergence, stops, errors. Dismissable."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("x")
        self.close_button.setToolTip("Dismiss this message")
        self.close_button.clicked.connect(self.clear)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.close_button)
        self.kind = None
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        self.kind = kind
        self.label.setText(text)
        self.label.setStyleSheet(BANNER_STYLES[kind] + " padding: 4px; border-radius: 3px;")
        self.show()

    def clear(self) -> None:
        self.kind = None
        self.label.setText("")
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


class MainWindow(QMainWindow):
    snapshot_drawn = Signal(object)  # after the views drew a snapshot (tests and benchmarks wait on it)
    first_painted = Signal()  # the window has been painted once (cold-start benchmark)

    def __init__(self, settings: Settings | None = None):
        super().__init__()
        self.setObjectName("gdsim-main")
        self.setWindowTitle("gdsim: gradient descent, step by step")
        self.resize(1400, 880)
        self.state = "paused"
        self.info = None
        self.last_snapshot = None
        self.progress_dialog = None
        self.import_dialog = None
        self._painted = False
        self._heavy_drawn = 0.0
        self.session_path: str | None = None  # the file this run was last saved to or opened from
        self.unsaved = False  # steps or settings changed since then

        self.controls = ControlPanel()
        self.loss_view = LossView()
        self.prediction_view = PredictionView()
        self.gradient_view = GradientView()
        self.views = [self.loss_view, self.gradient_view, self.prediction_view]

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.loss_view)
        top.addWidget(self.prediction_view)
        top.setSizes([600, 480])
        self.views_splitter = QSplitter(Qt.Orientation.Vertical)
        self.views_splitter.addWidget(top)
        self.views_splitter.addWidget(self.gradient_view)
        self.views_splitter.setSizes([430, 430])
        self.banner = Banner()
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addWidget(self.banner)
        rlay.addWidget(self.views_splitter, 1)
        central = QSplitter(Qt.Orientation.Horizontal)
        central.addWidget(self.controls)
        central.addWidget(right)
        central.setStretchFactor(1, 1)
        central.setCollapsible(1, False)
        self.setCentralWidget(central)

        self._build_status_bar()
        self._build_menus()

        self.controller = TrainingController(settings or Settings())
        c = self.controller
        c.run_started.connect(self._run_started)
        c.snapshot.connect(self._snapshot)
        c.state_changed.connect(self._state_changed)
        c.settings_changed.connect(self.controls.show_settings)
        c.failed.connect(self._failed)
        c.finished_task.connect(self._task_finished)
        c.session_opened.connect(self._session_opened)
        c.scenario_added.connect(self.controls.add_scenario)
        c.table_read.connect(self._table_read)
        c.progress.connect(self._progress)
        self.controls.settings_edited.connect(self._settings_edited)
        self.controls.run_clicked.connect(self.toggle_run)
        self.controls.step_clicked.connect(self.step)
        self.controls.reset_clicked.connect(self.reset)
        self.controls.new_weights_clicked.connect(self.new_weights)
        self.controls.speed_changed.connect(c.set_speed)
        self.controls.problem.connect(lambda text: self.banner.show_message(text, "warning"))
        self.gradient_view.weight_selected.connect(c.track)
        c.start()

    # ----- building -------------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_state = QLabel("starting")
        self.status_step = QLabel("step 0")
        self.status_loss = QLabel("")
        self.status_grad = QLabel("")
        self.status_rate = QLabel("")
        for w, tip in ((self.status_state, "running, paused, stopped (a stop condition holds) or diverged"),
                       (self.status_step, "steps taken since the initial weights"),
                       (self.status_loss, "the loss of the last step (computed before its update)"),
                       (self.status_grad, "the norm of the gradient the last update used"),
                       (self.status_rate, "training steps per second")):
            w.setToolTip(tip)
            w.setMinimumWidth(80)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.hide()
        bar.addWidget(self.status_state)
        bar.addWidget(self.status_step)
        bar.addWidget(self.status_loss, 1)
        bar.addWidget(self.status_grad, 1)
        bar.addPermanentWidget(self.busy)
        bar.addPermanentWidget(self.status_rate)

    def _action(self, menu, text, slot, shortcut=None, tip=None) -> QAction:
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(slot)
        menu.addAction(act)
        self.addAction(act)
        return act

    def _build_menus(self) -> None:
        mb = self.menuBar()
        file = mb.addMenu("&File")
        self._action(file, "&Open session...", self._open_session_dialog, QKeySequence.StandardKey.Open,
                     "Reopen a saved run exactly where it was")
        self._action(file, "&Save session", self._save_session, QKeySequence.StandardKey.Save,
                     "Save the whole run (settings, weights, optimizer state, history) to continue later")
        self._action(file, "Save session &as...", self._save_session_dialog, "Ctrl+Shift+S",
                     "Save the whole run to a new file")
        file.addSeparator()
        self._action(file, "Train on a &CSV file...", self._import_csv_dialog, "Ctrl+I",
                     "Your own data: choose input and target columns of a CSV file")
        self._action(file, "&Load weights...", self._load_weights_dialog, "Ctrl+L",
                     "Start from weights in an .npz file (PyTorch state_dict names)")
        self._action(file, "Save &weights...", self._save_weights_dialog, "Ctrl+W",
                     "Save the current weights as an .npz file that PyTorch's load_state_dict accepts")
        file.addSeparator()
        export = file.addMenu("&Export")
        for view in self.views:
            self._action(export, f"{view.title} view as PNG or SVG...", lambda _=False, v=view: self._export_view_dialog(v),
                         tip=f"Save the {view.title.lower()} view as an image")
        self._action(export, "All views as one PNG...", self._export_all_dialog, "Ctrl+Shift+E",
                     "Save the three views together as one image")
        self._action(export, "History as CSV...", self._export_history_dialog, "Ctrl+E",
                     "Save the loss, metric and gradient norm of every step (and every weight of small models)")
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        train = mb.addMenu("&Training")
        self.run_action = self._action(train, "Run / Pause", self.toggle_run, Qt.Key.Key_Space,
                                       "Start or pause training")
        self._action(train, "Step", lambda: self.step(1), Qt.Key.Key_Right, "Take one step")
        self._action(train, "Step N", lambda: self.step(self.controls.step_n.value()), "Shift+Right",
                     "Take N steps")
        self._action(train, "Reset", self.reset, Qt.Key.Key_R, "Back to the same initial weights")
        self._action(train, "New weights", self.new_weights, Qt.Key.Key_N, "Draw fresh initial weights")

        view = mb.addMenu("&View")
        self._action(view, "Log scale for the loss", lambda: self.loss_view.log_box.toggle(), Qt.Key.Key_L,
                     "Switch the loss axis between log and linear")

        help_ = mb.addMenu("&Help")
        self._action(help_, "Keyboard shortcuts", self._show_shortcuts, "F1")
        self._action(help_, "About gdsim", self._show_about)

    # ----- commands --------------------------------------------------------------------------------

    def toggle_run(self) -> None:
        if self.state == RUNNING:
            self.controller.pause()
        else:
            self.banner.clear()
            self.controller.run()

    def step(self, n: int = 1) -> None:
        self.banner.clear()
        self.controller.step(n)

    def reset(self) -> None:
        self.banner.clear()
        self.controller.reset()

    def new_weights(self) -> None:
        self.banner.clear()
        self.controller.new_weights()

    def _settings_edited(self, settings: Settings) -> None:
        if self.banner.kind == "warning":
            self.banner.clear()
        self.controller.configure(settings)

    # ----- from the worker ------------------------------------------------------------------------

    def _run_started(self, info) -> None:
        self.info = info
        self.last_snapshot = None
        self.controls.show_run(info)
        for view in self.views:
            view.begin_run(info)
        self._show_title()

    def _snapshot(self, snap) -> None:
        try:
            if self.info is None or snap.run_id != self.info.run_id:
                return
            if self.last_snapshot is not None and snap.step != self.last_snapshot.step and not self.unsaved:
                self.unsaved = True
                self._show_title()
            self.last_snapshot = snap
            # At full speed the loss curve is drawn every frame and the other views at most
            # HEAVY_FPS times a second; paused or stopped, everything is drawn at once.
            now = time.perf_counter()
            heavy = self.state != RUNNING or now - self._heavy_drawn >= 1.0 / HEAVY_FPS
            if heavy:
                self._heavy_drawn = now
            self.loss_view.show_snapshot(snap)
            self.gradient_view.show_snapshot(snap, draw=heavy)
            self.prediction_view.show_snapshot(snap, draw=heavy)
            self._update_status(snap)
            # Paint now, while the worker waits for us, rather than at the next update
            # timer, when the worker would be computing and holding the GIL again.
            self.centralWidget().repaint()
        finally:
            self.controller.snapshot_drawn()
        self.snapshot_drawn.emit(snap)

    def _update_status(self, snap) -> None:
        self.status_step.setText(f"step {snap.step}" + (f"  epoch {snap.epoch}" if self.info.has_validation else ""))
        if len(snap.loss):
            loss = float(snap.loss[-1])
            self.status_loss.setText(f"loss {loss:.6g}")
            self.status_grad.setText(f"gradient norm {float(snap.grad_norm[-1]):.6g}")
        elif snap.step == 0:
            self.status_loss.setText(f"loss {snap.current_loss:.6g} (initial weights)")
            self.status_grad.setText("gradient norm: after the first step")
        if self.info.metric and snap.current_metric is not None:
            title = METRIC_TITLES[self.info.metric]
            value = (f"{snap.current_metric:.1%}" if self.info.metric == "accuracy"
                     else f"{snap.current_metric:.6g}")
            self.status_loss.setText(self.status_loss.text() + f"   {title} {value}")
        self.status_rate.setText(f"{snap.steps_per_second:,.0f} steps/s" if self.state == RUNNING else "")

    def _state_changed(self, state: str, message: str) -> None:
        self.state = state
        if state != RUNNING:
            for view in self.views:
                view.draw_now()  # whatever a throttled frame left undrawn
        self.controls.set_running(state == RUNNING)
        self.status_state.setText({RUNNING: "running", DIVERGED: "DIVERGED", STOPPED: "stopped"}.get(state, state))
        self.status_state.setStyleSheet("color: #d62728; font-weight: bold;" if state == DIVERGED else "")
        if state != RUNNING:
            self.status_rate.setText("")
        if state == DIVERGED:
            self.banner.show_message(message, "error")
        elif message and state == STOPPED:
            self.banner.show_message(message, "info")
        elif message:
            self.statusBar().showMessage(message[:1].upper() + message[1:], 4000)

    def _failed(self, message: str) -> None:
        self.busy.hide()
        first, _, detail = message.partition("\n\n")
        self.banner.show_message(first, "error")
        if detail:
            self.banner.label.setToolTip(detail)

    def _task_finished(self, what: str, path: str) -> None:
        self.busy.hide()
        self.statusBar().showMessage(f"Saved the {what} to {path}", 6000)
        if what == "session":
            self.session_path = path
            self.unsaved = False
            self._show_title()

    # ----- export ---------------------------------------------------------------------------------

    def export_view(self, view, path) -> None:
        """Write one view as PNG or SVG (by suffix); problems are shown in the banner."""
        try:
            view.export(path)
        except GdsimError as exc:
            self.banner.show_message(f"Could not export the {view.title.lower()} view: {exc}.", "error")
            return
        self.statusBar().showMessage(f"Saved the {view.title.lower()} view to {path}", 6000)

    def export_all(self, path) -> None:
        """All three views as they are on screen, in one PNG."""
        path = Path(path)
        try:
            if path.suffix.lower() != ".png":
                raise GdsimError(f"cannot export to {path.name!r}: choose a .png file name")
            with atomic_path(path) as tmp:
                if not self.views_splitter.grab().save(tmp, "PNG"):
                    raise GdsimError(f"cannot write {str(path)!r}")
        except GdsimError as exc:
            self.banner.show_message(f"Could not export the views: {exc}.", "error")
            return
        self.statusBar().showMessage(f"Saved all views to {path}", 6000)

    def export_history(self, path) -> None:
        """The history CSV is written by the model thread, from its own data; progress shows meanwhile."""
        self.busy.show()
        self.statusBar().showMessage(f"Writing the history to {path}...")
        self.controller.export_history(str(path))

    # ----- sessions and weights --------------------------------------------------------------------

    def save_session(self, path) -> None:
        """Save the whole run; the model thread writes it (atomically) from its own state."""
        self.busy.show()
        self.statusBar().showMessage(f"Saving the session to {path}...")
        self.controller.save_session(str(path), self.app_state())

    def open_session(self, path) -> None:
        self.banner.clear()
        self.controller.open_session(str(path))

    def load_weights(self, path) -> None:
        self.banner.clear()
        self.controller.load_weights(str(path))

    def save_weights(self, path) -> None:
        self.busy.show()
        self.controller.save_weights(str(path))

    def import_csv(self, path) -> None:
        """Read a CSV file in the model thread; its columns are chosen when it has been read."""
        self.banner.clear()
        self.controller.read_csv(str(path))

    def train_on_table(self, choice: dict) -> None:
        self.controller.use_table(choice)

    def _import_csv_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Train on a CSV file", str(Path.cwd()),
                                              "CSV files (*.csv *.txt *.tsv);;All files (*)")
        if path:
            self.import_csv(path)

    def _table_read(self, path: str, preview: dict) -> None:
        from .import_dialog import ImportDialog

        dialog = ImportDialog(path, preview, self)
        self.import_dialog = dialog  # tests reach it here
        dialog.accepted.connect(lambda: self.train_on_table(dialog.choice()))
        dialog.open()

    def _progress(self, what: str, fraction: float) -> None:
        """Long work in the model thread (reading a big CSV) shows here and can be cancelled."""
        from PySide6.QtWidgets import QProgressDialog

        if fraction < 0:
            if self.progress_dialog is not None:
                self.progress_dialog.reset()
                self.progress_dialog = None
            return
        if self.progress_dialog is None:
            self.progress_dialog = QProgressDialog(what, "Cancel", 0, 1000, self)
            self.progress_dialog.setWindowTitle("gdsim")
            self.progress_dialog.setMinimumDuration(300)
            self.progress_dialog.canceled.connect(self.controller.cancel_read)
        self.progress_dialog.setLabelText(what)
        self.progress_dialog.setValue(int(fraction * 1000))

    def app_state(self) -> dict:
        """What the window adds to a session: how the run was being watched."""
        return {"tracked": self.gradient_view.tracked, "speed": self.controls.speed.value(),
                "log_scale": self.loss_view.log_box.isChecked()}

    def _session_opened(self, path: str, app: dict) -> None:
        self.session_path = path
        self.unsaved = False
        tracked = app.get("tracked")
        if isinstance(tracked, int) and self.info is not None and 0 <= tracked < self.info.n_weights:
            self.gradient_view.select_weight(tracked)
        speed = app.get("speed")
        if isinstance(speed, int) and 0 <= speed <= self.controls.speed.maximum():
            self.controls.speed.setValue(speed)
        if isinstance(app.get("log_scale"), bool):
            self.loss_view.log_box.setChecked(app["log_scale"])
        self._show_title()

    def _show_title(self) -> None:
        name = Path(self.session_path).name if self.session_path else None
        what = f"{self.info.scenario} ({self.info.title})" if self.info else ""
        mark = "*" if self.unsaved and self.session_path else ""
        self.setWindowTitle(f"gdsim: {name}{mark} - {what}" if name else f"gdsim: {what}")

    def _save_session(self) -> None:
        if self.session_path:
            self.save_session(self.session_path)
        else:
            self._save_session_dialog()

    def _save_session_dialog(self) -> None:
        path = self._save_dialog("Save the session", self._default_name("session", ".gdsim"),
                                 "gdsim session (*.gdsim)")
        if path:
            self.save_session(path)

    def _open_session_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a session", str(Path.cwd()),
                                              "gdsim session (*.gdsim);;All files (*)")
        if path:
            self.open_session(path)

    def _load_weights_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load weights", str(Path.cwd()),
                                              "NumPy weights (*.npz);;All files (*)")
        if path:
            self.load_weights(path)

    def _save_weights_dialog(self) -> None:
        path = self._save_dialog("Save the weights", self._default_name("weights", ".npz"), "NumPy weights (*.npz)")
        if path:
            self.save_weights(path)

    def _default_name(self, what: str, suffix: str) -> str:
        scenario = self.info.scenario if self.info else "gdsim"
        step = self.last_snapshot.step if self.last_snapshot else 0
        return str(Path.cwd() / f"{scenario}-{what}-step{step}{suffix}")

    def _save_dialog(self, title: str, name: str, filters: str) -> str | None:
        path, chosen = QFileDialog.getSaveFileName(self, title, name, filters)
        if not path:
            return None
        if not Path(path).suffix:
            path += ".svg" if "svg" in chosen.lower() and "png" not in chosen.lower() else Path(name).suffix
        return path

    def _export_view_dialog(self, view) -> None:
        path = self._save_dialog(f"Export the {view.title.lower()} view", self._default_name(view.name, ".png"),
                                 "PNG image (*.png);;SVG image (*.svg)")
        if path:
            self.export_view(view, path)

    def _export_all_dialog(self) -> None:
        path = self._save_dialog("Export all views", self._default_name("views", ".png"), "PNG image (*.png)")
        if path:
            self.export_all(path)

    def _export_history_dialog(self) -> None:
        path = self._save_dialog("Export the history", self._default_name("history", ".csv"), "CSV file (*.csv)")
        if path:
            self.export_history(path)

    # ----- help ------------------------------------------------------------------------------------

    def _show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", (
            "Space\tRun / Pause\nRight\tStep\nShift+Right\tStep N\nR\tReset to the same initial weights\n"
            "N\tNew weights\nL\tLog scale for the loss\nCtrl+E\tExport the history as CSV\n"
            "Ctrl+Shift+E\tExport all views as PNG\nCtrl+Q\tQuit"))

    def _show_about(self) -> None:
        from .. import __version__

        QMessageBox.about(self, "About gdsim", (
            f"<b>gdsim {__version__}</b><p>A gradient-descent simulator: the training loops of the "
            "PyTorch tutorials, run step by step in NumPy so you can see every number.</p>"
            "<p>The digits scenario uses 800 images from the MNIST database by Yann LeCun, Corinna "
            "Cortes and Christopher J.C. Burges (CC BY-SA 3.0).</p>"))

    # ----- start-up measurement --------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    # ----- closing ----------------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        if self.session_path and self.unsaved:
            answer = QMessageBox.question(
                self, "Save the session?",
                f"The run has changed since it was saved to {Path(self.session_path).name}. Save it first?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Save:
                self.controller.pause()
                self.save_session(self.session_path)
                # The model thread handles commands in order: the save is done before it stops.
        self.controller.stop()
        super().closeEvent(event)
