"""The main window: controls on the left, the three live views, menus, a status bar."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QEvent, QEventLoop, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QCheckBox, QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QProgressBar, QSplitter,
    QTabWidget, QToolButton, QVBoxLayout, QWidget,
)

from ..core.engine.metrics import METRIC_TITLES
from ..core.errors import GdsimError, sentence
from ..core.settings import Settings
from . import appearance, desktop, export, prefs, theme
from .focus import FocusRing
from .controls import ControlPanel
from .pacing import HEAVY, LIGHT, ViewSchedule
from .presentation import SlimBar, Zoom
from .timeline_bar import TimelineBar
from .views.gradient_view import GradientView
from .views.graph_view import ALL_KEY, BACK_KEY, NEXT_KEY, GraphView
from .views.layout import add_graph, arranged, fit_to_run, layout_kind
from .views.loss_view import LossView
from .views.prediction_view import PredictionView
from .controller import TrainingController
from .run_state import DIVERGED, FILE, RUNNING, SETTINGS, STOPPED, Document

DEFAULT_SIZE = (1400, 880)  # the window's size where the screen has room for it
MESSAGE_SECONDS = 6
FIRST_PAINT_WAIT_MS = 1000  # the model thread starts after the first paint, or after this at the latest
STATUS_SECONDS = 0.2  # while training runs, the status bar's numbers change this often
EXPORT_KEYS = ("loss", "predictions", "gradients", "graph", "landscape")  # File > Export's views: Ctrl+Alt+1 to 5
ANIMATION_CANCELLED = "the animation was cancelled: nothing was written"  # at the grid or at a frame

BANNER_STYLES = {kind: f"background: {back}; color: {text}; border: 1px solid {edge};"
                 for kind, (back, text, edge) in theme.BANNERS.items()}


def _tenth(t) -> int:
    return max(1, (t.latest - t.earliest) // 10)


def per_second(rate: float) -> str:
    return f"{rate:,.0f} step{'' if round(rate) == 1 else 's'}/s"


# Keys every keyboard has; the platform's standard shortcuts also list media keys ("Open", "F14").
_TYPED_KEYS = {Qt.Key.Key_Space, Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Down,
               Qt.Key.Key_Return, Qt.Key.Key_Escape, Qt.Key.Key_Tab, Qt.Key.Key_Delete, Qt.Key.Key_Home,
               Qt.Key.Key_End, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}


# (Full screen has no key at all on X11 without a desktop's theme: F11 did nothing under Xvfb.)
_USUAL_KEYS = {QKeySequence.StandardKey.Quit: "Ctrl+Q", QKeySequence.StandardKey.HelpContents: "F1",
               QKeySequence.StandardKey.FullScreen: "F11"}


def _on_a_keyboard(sequence: QKeySequence) -> bool:
    key = sequence[0].key()
    return (Qt.Key.Key_Exclam <= key <= Qt.Key.Key_AsciiTilde or Qt.Key.Key_F1 <= key <= Qt.Key.Key_F12
            or key in _TYPED_KEYS)


class Banner(QWidget):
    """A message above the views (divergence, stops, errors) that belongs to its cause.

    ``cause`` is what the message is about: "run" (this run's divergence or stop: a new run
    or Run/Step ends it), "settings" (a value that was refused: a setting that works ends it),
    or "file". Any new run clears it too; the x dismisses it.
    """

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
        # Not connected to clear itself: clicked's "checked" (False) would arrive as its cause.
        self.close_button.clicked.connect(lambda: self.clear())
        lay.addWidget(self.label, 1)
        lay.addWidget(self.close_button)
        self.kind = self.cause = None
        self.hide()

    def show_message(self, text: str, kind: str = "info", cause: str = "run") -> None:
        self.kind, self.cause = kind, cause
        self.label.setText(sentence(text))
        self.label.setToolTip("")
        self.label.setStyleSheet(BANNER_STYLES[kind] + " padding: 4px; border-radius: 3px;")
        self.show()

    def clear(self, cause: str | None = None) -> None:
        """Take the message down (only if it is about ``cause``, when one is given)."""
        if cause is not None and cause != self.cause:
            return
        self.kind = self.cause = None
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
        self.state = "paused"
        self.info = None
        self.settings: Settings | None = None  # the settings in force, as the worker last said
        self.last_snapshot = None
        self.document = Document()
        self.progress_dialog = None
        self.import_dialog = None
        self.animation_export = None  # app.animation.AnimationExport under way (or the last one)
        self.animation_progress = None  # its progress dialog
        self._animation_wanted = None  # (target, AnimationChoice) while the model thread makes the frames
        self._painted = False
        self.lesson_panel = None  # built when a lesson is first opened
        self._lesson_awaits: int | None = None  # the step a lesson page's action runs to
        self._status_shown = 0.0
        self._notes_shown = 0  # of the run's notes (Snapshot.notes), those the banner has said
        self._close_when_saved = False
        self.ask_on_close = True  # scripts that close the window on purpose (benchmarks, tests) turn it off

        # The zoom of the last session, before anything is built: fonts and canvases start at it.
        self.zoom = Zoom(QApplication.instance())
        self.zoom.restore()
        self.controls = ControlPanel()
        self.loss_view = LossView()
        self.prediction_view = PredictionView()
        self.gradient_view = GradientView()
        # The predictions and the landscape share a place: both are about where the weights are.
        self.prediction_tabs = QTabWidget()
        self.prediction_tabs.setDocumentMode(True)
        self.prediction_tabs.setAccessibleName("Predictions and landscape")
        self.prediction_tabs.addTab(self.prediction_view, "&Predictions")
        # The landscape (behind its tab) and the computation graph (shown for a run that has one)
        # are not in the first frame: they are made after it, before the model thread starts, so
        # they see every run (_add_later_views). Until then an empty page keeps the tab's place.
        self._graph_view = self._landscape_view = None
        self.prediction_tabs.addTab(QWidget(), "Lan&dscape")
        self.prediction_tabs.setTabToolTip(1, "The training loss around the weights, with the run's path (Shift+L)")
        self._graph_kind = "unset"  # what the layout was last fitted to (layout.layout_kind)
        self.views = [self.loss_view, self.gradient_view, self.prediction_view]  # then the graph and the landscape
        self.pin_views = [self.loss_view, self.gradient_view, self.prediction_view]  # those that draw pinned runs
        self.pins: list = []
        self.schedule = ViewSchedule()
        for view in self.views:
            self.schedule.add(view, HEAVY if view.heavy else LIGHT)
        self._build_layout()
        self._build_status_bar()
        self._build_menus()
        # In presentation mode the controls fold away and a slim bar of the run's actions stays.
        self.slim_bar = SlimBar([(self.run_action, "Run /\nPause"), (self.step_action, "Step"),
                                 (self.reset_action, "Reset")], lambda: self.set_presentation(False))
        self._beside_views.insertWidget(0, self.slim_bar)
        self.focus_ring = FocusRing(self, skip=(self.view_area,))  # a visible keyboard focus (focus.py)
        self._fit_to_screen()

        self._frame_work: list = []  # what is left of a frame: a heavy view's draw, then its paint
        self.controller = TrainingController(settings or Settings(), drawing=lambda: bool(self._frame_work))
        c = self.controller
        c.run_started.connect(self._run_started)
        c.snapshot.connect(self._snapshot)
        c.state_changed.connect(self._state_changed)
        c.settings_changed.connect(self._settings_changed)
        c.failed.connect(self._failed)
        c.finished_task.connect(self._task_finished)
        c.session_opened.connect(self._session_opened)
        c.scenario_added.connect(self.controls.add_scenario)
        c.table_read.connect(self._table_read)
        c.progress.connect(self._progress)
        c.document_changed.connect(self._document_changed)
        c.branches_changed.connect(lambda branches: self.timeline.show_branches(*branches))
        c.pins_changed.connect(self._pins_changed)
        c.lr_found.connect(self._lr_found)
        c.stability_found.connect(self._stability_found)
        c.challenges_checked.connect(self._challenges_checked)
        c.animation_ready.connect(self._animation_ready)
        self.timeline.wanted.connect(self.go_to_step)
        self.timeline.branch_chosen.connect(lambda index: c.call("switch_branch", int(index)))
        self.controls.settings_edited.connect(self._settings_edited)
        self.controls.run_clicked.connect(self.toggle_run)
        self.controls.step_clicked.connect(self.step)
        self.controls.reset_clicked.connect(self.reset)
        self.controls.new_weights_clicked.connect(self.new_weights)
        self.controls.speed_changed.connect(lambda speed: c.call("set_speed", speed))
        self.controls.problem.connect(lambda text: self.banner.show_message(text, "warning", SETTINGS))
        self.controls.edit_done.connect(self.take_keyboard)
        self.gradient_view.weight_selected.connect(lambda index: c.call("track", int(index)))
        # The keyboard starts at the first choice a newcomer makes; Space, Right, R still act on the run.
        self.controls.scenario.setFocus(Qt.FocusReason.OtherFocusReason)
        # The model thread starts after the window's first frame: building the first run (and its
        # views, a fifth of a second of a slow machine's start-up) would otherwise share the
        # interpreter with that frame. A window never shown, or never painted, starts it anyway.
        self._stopped = False
        self._model_started = False
        QTimer.singleShot(0, self, self._start_model_thread_unless_painting)
        QTimer.singleShot(FIRST_PAINT_WAIT_MS, self, self._start_model_thread)

    def _start_model_thread_unless_painting(self) -> None:
        if not self.isVisible():
            self._start_model_thread()

    def _start_model_thread(self) -> None:
        if not self._stopped and not self._model_started:  # once; not after the window closed
            self._model_started = True
            self._add_later_views()  # before the first run starts
            self.controller.start()

    @property
    def graph_view(self) -> GraphView:
        self._add_later_views()
        return self._graph_view

    @property
    def landscape_view(self):
        self._add_later_views()
        return self._landscape_view

    def _add_later_views(self) -> None:
        """Make the views the first frame does not show (once): the computation graph, hidden
        beside the loss and predictions, and the landscape in its tab."""
        if self._landscape_view is not None:
            return
        # With the loss surfaces and the trainer the landscape imports, the two views were some
        # 20 ms of a slow machine's start-up: a fifth of the window's own part, then.
        from .views.landscape_view import LandscapeView

        graph = self._graph_view = GraphView()
        landscape = self._landscape_view = LandscapeView()
        add_graph(self.views_splitter, graph)
        tabs, shown = self.prediction_tabs, self.prediction_tabs.currentIndex()
        page, text, tip = tabs.widget(1), tabs.tabText(1), tabs.tabToolTip(1)
        tabs.removeTab(1)
        page.deleteLater()
        tabs.insertTab(1, landscape, text)
        tabs.setTabToolTip(1, tip)
        tabs.setCurrentIndex(shown)
        for view in (graph, landscape):
            self.views.append(view)
            self.schedule.add(view, HEAVY if view.heavy else LIGHT)
            self._export_action(view)
        c = self.controller
        c.landscape_ready.connect(landscape.show_surface)
        landscape.wanted.connect(lambda request, run_id: c.call("want_landscape", request, run_id))
        landscape.point_chosen.connect(lambda *point: c.call("start_from_weights", *point))
        graph.neuron_chosen.connect(lambda *choice: c.call("show_neuron", *choice))
        graph.choice_done.connect(self.take_keyboard)

    # ----- building -------------------------------------------------------------------------------

    def _build_layout(self) -> None:
        self.views_splitter = arranged(self.loss_view, self.prediction_tabs, self.gradient_view)
        self.banner = Banner()
        # The views' side takes the keyboard back after a choice in the controls, so that
        # Space, Right, R and N act on the run instead of typing into a field.
        self.view_area = QWidget()
        self.view_area.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.view_area.setAccessibleName("Views: loss, predictions, gradients")
        rlay = QVBoxLayout(self.view_area)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addWidget(self.banner)
        rlay.addWidget(self.views_splitter, 1)
        self.timeline = TimelineBar()
        rlay.addWidget(self.timeline)
        right = QWidget()
        self._beside_views = QHBoxLayout(right)  # the slim bar goes first, once the menus' actions exist
        self._beside_views.setContentsMargins(0, 0, 0, 0)
        self._beside_views.setSpacing(0)
        self._beside_views.addWidget(self.view_area, 1)
        central = QSplitter(Qt.Orientation.Horizontal)
        central.addWidget(self.controls)
        central.addWidget(right)
        central.setStretchFactor(1, 1)
        central.setCollapsible(1, False)
        self.setCentralWidget(central)

    def _fit_to_screen(self) -> None:
        """Open at a size the screen has room for (a 1280x720 projector included)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        avail = screen.availableGeometry() if screen is not None else None
        width, height = DEFAULT_SIZE
        if avail is not None and avail.width() > 0:
            # Room for a title bar and frame the window manager adds.
            width, height = min(width, avail.width() - 16), min(height, avail.height() - 48)
            self.move(avail.left() + max(0, (avail.width() - width) // 2),
                      avail.top() + max(0, (avail.height() - height - 32) // 2))
        self.resize(width, height)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_state = QLabel("starting")
        self.status_step = QLabel("step 0")
        self.status_loss = QLabel("")
        self.status_grad = QLabel("")
        self.status_rate = QLabel("")
        for w, tip in ((self.status_state, "running, paused, stopped (a stop condition holds) or diverged"),
                       (self.status_step, "steps taken since the initial weights"),
                       (self.status_loss, "the loss of the last step, and its metric, computed before its update "
                                          "on the step's batch: the loss curves' newest points (the accuracy "
                                          "on all the data is in the Predictions view's title)"),
                       (self.status_grad, "the norm of the gradient the last update used"),
                       (self.status_rate, "training steps per second")):
            w.setToolTip(tip)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(100)
        self.busy.hide()
        # The readouts are permanent widgets: a passing message (left) never hides them.
        for w in (self.busy, self.status_state, self.status_step, self.status_loss, self.status_grad,
                  self.status_rate):
            bar.addPermanentWidget(w)

    def say(self, text: str, seconds: float = MESSAGE_SECONDS) -> None:
        """A passing message in the status bar."""
        self.statusBar().showMessage(sentence(text), int(seconds * 1000))

    def _action(self, menu, text, slot, shortcut=None, tip=None, before: QAction | None = None) -> QAction:
        act = QAction(text, self)
        if isinstance(shortcut, QKeySequence.StandardKey):
            # Every key the platform binds to it (Close: Ctrl+W and Ctrl+F4), and the usual one
            # where the platform binds only a media key (Quit is the "Exit" key without a desktop).
            keys = QKeySequence.keyBindings(shortcut)
            if not any(_on_a_keyboard(k) for k in keys) and shortcut in _USUAL_KEYS:
                keys.append(QKeySequence(_USUAL_KEYS[shortcut]))
            act.setShortcuts(keys)
        elif shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(slot)
        if before is None:
            menu.addAction(act)
            self.addAction(act)
        else:  # in its place in the menu, and in the F1 sheet
            menu.insertAction(before, act)
            self.insertAction(before, act)
        return act

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._file_menu(bar.addMenu("&File"))
        self._edit_menu(bar.addMenu("&Edit"))
        self._training_menu(bar.addMenu("&Training"))
        view = bar.addMenu("&View")
        self._action(view, "Log scale for the loss", lambda: self.loss_view.log_box.toggle(), Qt.Key.Key_L,
                     "Switch the loss axis between log and linear")
        self.landscape_action = self._action(
            view, "Loss landscape / predictions", self.toggle_landscape, "Shift+L",
            "Show the training loss around the weights with the run's path on it (again: the predictions)")
        self.high_contrast_action = self._action(
            view, "High contrast", lambda: appearance.set_high_contrast(self, self.high_contrast_action.isChecked()),
            None, "Black and white, thick lines and the strongest colours (remembered)")
        self.high_contrast_action.setCheckable(True)
        self.high_contrast_action.setChecked(theme.high_contrast())
        view.addSeparator()
        self._lesson_actions(view)
        view.addSeparator()
        self._presentation_actions(view)
        view.addSeparator()
        self.walk_actions = [
            self._action(view, "Backward pass: next node", lambda: self.graph_view.walk_next(), NEXT_KEY,
                         "In the computation graph, walk the backward pass one node at a time"),
            self._action(view, "Backward pass: previous node", lambda: self.graph_view.walk_back(), BACK_KEY,
                         "In the computation graph, one node back"),
            self._action(view, "Backward pass: all gradients", lambda: self.graph_view.walk_end(), ALL_KEY,
                         "In the computation graph, leave the walk and show every gradient"),
        ]
        help_ = bar.addMenu("&Help")
        self._action(help_, "Keyboard shortcuts", self._show_shortcuts, QKeySequence.StandardKey.HelpContents)
        self._action(help_, "About gdsim", self._show_about)
        self._document_changed(self.document)

    # The menus are declarative: each action, its keys and its words, in the order shown.

    def _lesson_actions(self, menu) -> None:
        self.lesson_actions = [
            self._action(menu, "Lesson: next page", lambda: self.lesson_panel.next_page(), "Alt+Right",
                         "The lesson's next page (its run starts afresh)"),
            self._action(menu, "Lesson: previous page", lambda: self.lesson_panel.previous_page(), "Alt+Left",
                         "The lesson's page before"),
            self._action(menu, "Lesson: the keyboard to the page", lambda: self.lesson_panel.take_keyboard(), "F6",
                         "Its first answer, or its action button; Tab goes on from there"),
        ]
        for act in self.lesson_actions:
            act.setEnabled(False)

    def _presentation_actions(self, view) -> None:
        std = QKeySequence.StandardKey
        zoom_in = self._action(view, "Zoom in", lambda: self._zoomed(self.zoom.bigger()), std.ZoomIn,
                               "Larger text, lines and markers everywhere (remembered)")
        # Ctrl+= as well as Ctrl++: on most keyboards + needs Shift, and = is the same key.
        zoom_in.setShortcuts(zoom_in.shortcuts() + [QKeySequence("Ctrl+=")])
        self._action(view, "Zoom out", lambda: self._zoomed(self.zoom.smaller()), std.ZoomOut,
                     "Smaller text, lines and markers everywhere (remembered)")
        self._action(view, "Actual size", lambda: self._zoomed(self.zoom.actual_size()), "Ctrl+0",
                     "Text, lines and markers at their usual size")
        self.full_screen_action = self._action(view, "Full screen", self.toggle_full_screen, std.FullScreen,
                                               "Fill the screen (again: back to a window)")
        self.full_screen_action.setCheckable(True)
        self.presentation_action = self._action(
            view, "Presentation mode", lambda: self.set_presentation(self.presentation_action.isChecked()), "F5",
            "Fold the controls away behind a slim bar so the views fill the screen; Space, Right and R "
            "still act on the run (again: the controls come back)")
        self.presentation_action.setCheckable(True)

    @property
    def presenting(self) -> bool:
        return self.presentation_action.isChecked()

    def set_presentation(self, on: bool) -> None:
        self.presentation_action.setChecked(on)
        self.controls.setVisible(not on)
        self.slim_bar.setVisible(on)
        if on and self.last_snapshot is not None:
            self.slim_bar.show_step(self.last_snapshot.step)
        self.view_area.setFocus(Qt.FocusReason.OtherFocusReason)  # the keys act on the run
        if on:
            self.say("Presentation mode: F5 or the ☰ button brings the controls back")
            return
        before = self.zoom.factor
        after = self.zoom_to_fit()
        self.say("Controls shown" + (f" (zoom {after:.0%}, so that they fit the screen)" if after < before else ""))

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()
        self.full_screen_action.setChecked(self.isFullScreen())

    def _zoomed(self, factor: float) -> None:
        fitted = self.zoom_to_fit(remember=True)
        if fitted < factor:
            # Short: zoomed, the status bar has room for forty letters beside the run's state.
            self.say(f"Zoom {fitted:.0%}, the most that fits the screen")
        else:
            self.say(f"Zoom {factor:.0%} (Ctrl+0: actual size)")

    def zoom_to_fit(self, remember: bool = False) -> float:
        """Zoom out a step at a time while the window's smallest layout is larger than its screen,
        and bring the window back inside it: at 200% the controls and a lesson beside the views need
        1,300 pixels, wider than a 1280x720 projector. Never below 100%, where the window fits 1024x768."""
        room = self.room_on_screen()

        def fits() -> bool:
            # A widget shown or a font changed lays the window out again only when the event loop
            # gets to it: until then its smallest size is the old one.
            QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            least = self.minimumSizeHint().expandedTo(self.minimumSize())
            return least.width() <= room.width() and least.height() <= room.height()

        while self.zoom.factor > 1.0 and not fits():
            self.zoom.smaller(remember)
        if not self.isFullScreen():
            if self.width() > room.width() or self.height() > room.height():
                self.resize(self.size().boundedTo(room))
            self._move_onto_screen()
        return self.zoom.factor

    def _move_onto_screen(self) -> None:
        """A window that grew past the screen's edge comes back inside it, frame and all."""
        screen, frame = self.screen().availableGeometry(), self.frameGeometry()
        x = max(screen.left(), min(frame.left(), screen.right() + 1 - frame.width()))
        y = max(screen.top(), min(frame.top(), screen.bottom() + 1 - frame.height()))
        if (x, y) != (frame.left(), frame.top()):
            self.move(x, y)

    def room_on_screen(self) -> QSize:
        """The size the window may take: its screen's free area, less the window's frame."""
        room = self.screen().availableGeometry().size()
        if not self.isFullScreen():
            room -= self.frameGeometry().size() - self.geometry().size()
        return room

    def _file_menu(self, file) -> None:
        std = QKeySequence.StandardKey
        self._action(file, "&Open session...", self._open_session_dialog, std.Open,
                     "Reopen a saved run exactly where it was")
        self._action(file, "&Save session", self._save_session, std.Save,
                     "Save the whole run (settings, weights, optimizer state, history) to continue later")
        self._action(file, "Save session &as...", self._save_session_dialog, std.SaveAs,
                     "Save the whole run to a new file")
        file.addSeparator()
        self._action(file, "Open l&esson...", self._open_lesson_dialog, "Ctrl+Shift+O",
                     "A lesson file: pages of explanation, each loading its run, with questions and challenges")
        shipped = file.addMenu("Lessons")
        shipped.aboutToShow.connect(lambda: self._fill_lessons_menu(shipped))  # not at start-up: not needed yet
        file.addSeparator()
        self.data_action = self._action(file, "Train on a &CSV file...", self._import_csv_dialog, "Ctrl+I",
                                        "Your own data: choose input and target columns of a CSV file")
        self._action(file, "&Load weights...", self._load_weights_dialog, "Ctrl+L",
                     "Start from weights in an .npz file (PyTorch state_dict names)")
        self._action(file, "Save &weights...", self._save_weights_dialog, "Ctrl+Shift+L",
                     "Save the current weights as an .npz file that PyTorch's load_state_dict accepts")
        file.addSeparator()
        self._export_menu(file.addMenu("&Export"))
        file.addSeparator()
        self._action(file, "&Close window", self.close, std.Close)
        self._action(file, "&Quit", self.close, std.Quit)

    def _export_menu(self, menu) -> None:
        self.export_menu = menu
        self.export_actions = {}
        self._export_all_action = self._action(menu, "All views as PNG or SVG...", self._export_all_dialog,
                                               "Ctrl+Shift+E",
                                               "Save the views on screen together as one image, with a caption")
        for view in (self.loss_view, self.prediction_view, self.gradient_view):  # then the later views'
            self._export_action(view)
        self.animation_action = self._action(
            menu, "&Animation (GIF or PNG frames)...", self._export_animation_dialog, "Ctrl+Shift+A",
            "Replay the run so far (or some of its steps) as an animated GIF or numbered PNG frames, of one view "
            "or all, for slides and handouts")
        self._action(menu, "History as CSV...", self._export_history_dialog, "Ctrl+E",
                     "Save the loss, metric and gradient norm of every step (and every weight of small models)")
        menu.addSeparator()
        scales = menu.addMenu("Image &scale")
        group = QActionGroup(self)
        chosen = prefs.get_int("export/scale", export.DEFAULT_SCALE)
        for scale in export.SCALES:
            act = QAction(f"{scale}x" + ("  (slides and print)" if scale == export.DEFAULT_SCALE else ""), self,
                          checkable=True)
            act.setChecked(scale == chosen)
            act.triggered.connect(lambda _=False, s=scale: prefs.set_value("export/scale", s))
            group.addAction(act)
            scales.addAction(act)

    def _export_action(self, view) -> None:
        """File > Export's entry for one view, in EXPORT_KEYS' order, before All views."""
        self.export_actions[view] = self._action(
            self.export_menu, f"{view.title} view as PNG or SVG...",
            lambda _=False, v=view: self._export_view_dialog(v), f"Ctrl+Alt+{EXPORT_KEYS.index(view.name) + 1}",
            f"Save the {view.title.lower()} view as an image, with a caption saying which run it shows",
            before=self._export_all_action)

    def _edit_menu(self, edit) -> None:
        std = QKeySequence.StandardKey
        self.undo_action = self._action(edit, "&Undo", lambda: self.controller.call("undo"), std.Undo,
                                        "Bring back the run that Reset, New weights, Open, Load weights or "
                                        "another scenario, model, loss or initializer replaced")
        self.redo_action = self._action(edit, "&Redo", lambda: self.controller.call("redo"), std.Redo)
        edit.addSeparator()
        self.ask_action = QAction("&Ask to save a run before closing", self, checkable=True)
        self.ask_action.setChecked(prefs.get_bool("ask_before_close", True))
        self.ask_action.toggled.connect(lambda on: prefs.set_value("ask_before_close", on))
        edit.addAction(self.ask_action)

    def _training_menu(self, train) -> None:
        self.run_action = self._action(train, "Run / Pause", self.toggle_run, Qt.Key.Key_Space,
                                       "Start or pause training")
        self.step_action = self._action(train, "Step (forward one step)", self.step_forward, Qt.Key.Key_Right,
                                        "Take one step; at an earlier step, show the next one")
        self._action(train, "Step N", lambda: self.step(self.controls.step_n.value()), "Shift+Right",
                     "Take N steps")
        self.reset_action = self._action(train, "Reset", self.reset, Qt.Key.Key_R, "Back to the same initial weights")
        self.new_weights_action = self._action(train, "New weights", self.new_weights, Qt.Key.Key_N,
                                               "Draw fresh initial weights")
        train.addSeparator()
        back = self.timeline_actions = []
        for text, keys, where, tip in (
                ("Back one step", Qt.Key.Key_Left, lambda t: t.step - 1, "Show the step before (training pauses)"),
                ("Back a tenth of the run", Qt.Key.Key_PageUp, lambda t: t.step - _tenth(t), None),
                ("Forward a tenth of the run", Qt.Key.Key_PageDown, lambda t: t.step + _tenth(t), None),
                ("Go to the first step", Qt.Key.Key_Home, lambda t: t.earliest, None),
                ("Go to the newest step", Qt.Key.Key_End, lambda t: t.latest, None)):
            back.append(self._action(train, text, lambda _=False, w=where: self.go_to_step(w(self.timeline)),
                                     keys, tip or text))
        train.addSeparator()
        self._action(train, "Pin this run to compare", lambda: self.controller.call("pin"), Qt.Key.Key_P,
                     "Keep this run's loss and tracked weight as dashed curves beside the runs that follow "
                     "(up to 5): a branch, another learning rate, zeroing off")
        self._action(train, "Compare with gradient zeroing the other way",
                     lambda: self.controller.call("compare_zeroing"), "Shift+Z",
                     "Train this run again from the same initial weights with gradient zeroing switched, "
                     "and pin it beside this one")
        self._action(train, "Race optimizers...", self.race, "Ctrl+Shift+R",
                     "Train up to five optimizers from this run's initial weights through the same batches, each "
                     "at its own range test's learning rate if you like, and pin them beside the run")
        self.clear_pins_action = self._action(train, "Clear the pinned runs", lambda: self.controller.call("clear_pins"),
                                              "Shift+P", "Take the dashed curves of pinned runs away")
        self.clear_pins_action.setEnabled(False)
        train.addSeparator()
        self._action(train, "Find a learning rate (range test)...", self.find_lr, "Ctrl+F",
                     "Train a copy of the run with the learning rate growing each step (fastai's lr_find) "
                     "and suggest one; the run itself is not changed")
        self.stability_action = self._action(
            train, "Stability map: learning rate and momentum...", self.stability_map, "Ctrl+M",
            "The parabola and quadratic lessons with SGD and momentum over a grid of learning rates and momenta: "
            "which runs converge, oscillate or diverge (click one to train it)")
        train.addSeparator()
        self.zero_action = self._action(train, "Zero the gradients after each step",
                                        lambda: self.controls.zero_grad.click(), Qt.Key.Key_Z,
                                        "Untick to forget p.grad.zero_(): each step then uses the sum of all "
                                        "gradients so far")
        self.zero_action.setCheckable(True)
        self.zero_action.setChecked(True)

    # ----- commands --------------------------------------------------------------------------------

    def toggle_landscape(self) -> None:
        tabs = self.prediction_tabs
        tabs.setCurrentWidget(self.prediction_view if tabs.currentWidget() is self.landscape_view
                              else self.landscape_view)

    def find_lr(self) -> None:
        self.busy.show()
        self.say("finding a learning rate: a copy of the run trains with a growing learning rate...")
        self.controller.call("find_lr")

    def _lr_found(self, test) -> None:
        from .lr_find_dialog import LrFinderDialog

        self.busy.hide()
        self.say("")
        dialog = LrFinderDialog(test, self.settings.lr, self)
        dialog.use_lr.connect(self.use_lr)
        self.lr_dialog = dialog
        dialog.open()

    def race(self) -> None:
        from .race_dialog import RaceDialog

        dialog = RaceDialog(self.settings, self)
        self.race_dialog = dialog
        dialog.accepted.connect(lambda: self.start_race(dialog.racers, dialog.steps.value(), dialog.fair.isChecked()))
        dialog.open()

    def start_race(self, racers, steps: int, fair: bool) -> None:
        self.say("racing: each optimizer trains beside the run...")
        self.controller.call("race", list(racers), int(steps), bool(fair))

    def stability_map(self) -> None:
        self.busy.show()
        self.controller.call("stability_map")

    def _stability_found(self, found) -> None:
        from .stability_dialog import StabilityDialog

        self.busy.hide()
        dialog = StabilityDialog(*found, parent=self)
        dialog.cell_chosen.connect(lambda settings: self.train_cell(settings, found[0].initial))
        self.stability_dialog = dialog
        dialog.open()

    def train_cell(self, settings: Settings, initial) -> None:
        """A stability map's cell as a new run: its settings from the map's initial weights, trained."""
        self.banner.clear("run")
        self.controller.call("train_cell", settings, initial)

    def use_lr(self, lr: float) -> None:
        """Apply a learning rate to the run, as typing it into the controls does."""
        from ..core.lr_find import typed

        self._settings_edited(self.settings.replace(lr=typed(lr)))
        self.say(f"learning rate set to {typed(lr):g}")

    def _page(self, view):
        """What is shown or hidden for ``view``: the tabs, for the two views that share them."""
        return self.prediction_tabs if view in (self.prediction_view, self.landscape_view) else view

    def take_keyboard(self) -> None:
        """After a choice in the controls, keys act on the run again (Space pauses, Right steps)."""
        self.view_area.setFocus(Qt.FocusReason.OtherFocusReason)

    def toggle_run(self) -> None:
        if self.state == RUNNING:
            self.controller.pause()
        else:
            self.banner.clear("run")
            self.controller.call("run")

    def step(self, n: int = 1) -> None:
        self.banner.clear("run")
        self.controller.call("step", int(n))

    def step_forward(self) -> None:
        """Right: the next step of the timeline when an earlier one is shown, else a new step."""
        t = self.timeline
        if t.past:
            self.go_to_step(t.step + 1)
        else:
            self.step(1)

    def _pins_changed(self, pins) -> None:
        self.landscape_view.ask_soon()  # the pinned runs' paths are drawn on it
        if len(pins) > len(self.pins) or pins and self.pins and pins[-1] is not self.pins[-1]:
            self.say(f"pinned {pins[-1].name}: the dashed curves (Shift+P clears them)")
        elif self.pins and not pins:
            self.say("the pinned runs are cleared")
        self.pins = list(pins)
        for view in self.pin_views:
            view.show_pins(self.pins)
        self.clear_pins_action.setEnabled(bool(self.pins))

    def go_to_step(self, step: int) -> None:
        """Show step ``step`` of the run (clamped to what can be shown): the worker rebuilds it."""
        t = self.timeline
        step = max(t.earliest, min(t.latest, int(step)))
        t.step, t.past = step, step < t.latest  # at once: a second key press goes on from here
        self.controller.show_step(step)

    def reset(self) -> None:
        self.controller.call("reset")

    def new_weights(self) -> None:
        self.controller.call("new_weights")


    def _settings_edited(self, settings: Settings) -> None:
        self.controller.call("configure", settings)

    # ----- from the worker ------------------------------------------------------------------------

    def _run_started(self, info) -> None:
        self.info = info
        self.settings = info.settings
        self.zero_action.setChecked(info.settings.zero_grad)
        self.last_snapshot = None
        self._notes_shown = 0
        self.banner.clear()  # whatever it said was about the run before
        self.controls.show_run(info)
        for view in self.views:
            view.begin_run(info)
        for view in self.pin_views:
            view.show_pins(self.pins)
        if layout_kind(info) != self._graph_kind:  # a person's splitter sizes stay while the views stay the same
            self._graph_kind = layout_kind(info)
            fit_to_run(self.views_splitter, info, self.prediction_tabs, self.graph_view)
        for act in self.walk_actions:
            act.setEnabled(info.graph is not None)
        self.landscape_action.setEnabled(not self.prediction_tabs.isHidden())  # chain-rule: the graph's place
        from ..core.stability import SCENARIOS as MAPPED  # not needed for the first paint

        self.stability_action.setEnabled(info.scenario in MAPPED)
        for view, act in self.export_actions.items():
            act.setEnabled(not self._page(view).isHidden())
        self._show_title()

    def _settings_changed(self, settings: Settings) -> None:
        if settings != self.settings:
            self.banner.clear(SETTINGS)  # a setting that works settles the complaint about one that did not
        self.settings = settings
        self.controls.show_settings(settings)
        self.zero_action.setChecked(settings.zero_grad)

    def _snapshot(self, snap) -> None:
        try:
            if self.info is None or snap.run_id != self.info.run_id:
                return
            self.last_snapshot = snap
            if len(snap.notes) > self._notes_shown:
                self._notes_shown = len(snap.notes)
                note = snap.notes[-1]
                # Until the next run, and no Step clears it: the loss view marks the step as well.
                self.banner.show_message(f"Step {note.step:,}: {note.text}", "info", "note")
            for view in self.views:
                view.show_snapshot(snap, draw=False)
            now = time.perf_counter()
            if self.state == RUNNING:
                self._draw_due_views()
                # Numbers that change 30 times a second cannot be read; relaying out the status
                # bar that often costs a frame's worth of time every few frames.
                if now - self._status_shown >= STATUS_SECONDS:
                    self._update_status(snap)
                    self.timeline.show_snapshot(snap)
            else:
                self._draw_all_views()
                self._update_status(snap)
                self.timeline.show_snapshot(snap)
        finally:
            self.controller.snapshot_drawn()
        self.snapshot_drawn.emit(snap)

    def _draw_due_views(self) -> None:
        """At full speed: the views whose turn it is (pacing.ViewSchedule), each painted at once,
        while the worker waits for us, rather than at the next update timer, when the worker
        would be computing and holding the GIL again."""
        if self.isMinimized():
            return
        now = time.perf_counter()
        for view in self.schedule.due(now, [v for v in self.views if v.undrawn and v.on_screen()]):
            if view.heavy:
                self._queue_heavy(view, now)
                continue
            started = time.perf_counter()
            view.draw_now()
            view.paint_now()
            self.schedule.drawn(view, now, time.perf_counter() - started)

    def _queue_heavy(self, view, now: float) -> None:
        """Draw a heavy view, then paint it, each in an event of its own after the snapshot's.

        A big model's six histograms take 20-30 ms to count, and the dozen axes around them as
        long to paint; between two events the window answers keys and timers. Qt does not paint
        the view between the two (its updates are off), so it is painted once, and the worker
        waits for both (``controller.drawing``): the paint has the interpreter to itself."""
        spent = []

        def draw():
            if view.undrawn and view.on_screen() and self.state == RUNNING:  # else drawn already, or gone
                started = time.perf_counter()
                view.canvas.setUpdatesEnabled(False)  # until paint(), which a failed draw reaches too
                try:
                    view.draw_now()
                finally:
                    spent.append(time.perf_counter() - started)

        def paint():
            if spent:
                started = time.perf_counter()
                view.canvas.setUpdatesEnabled(True)
                view.paint_now()
                self.schedule.drawn(view, now, spent[0] + time.perf_counter() - started)

        self._frame_work += [draw, paint]
        QTimer.singleShot(0, self, self._next_frame_work)

    def _next_frame_work(self) -> None:
        try:
            if self._frame_work:
                self._frame_work.pop(0)()
        finally:  # a view's failure must not leave the rest of the frame, and the worker, waiting
            if self._frame_work:
                QTimer.singleShot(0, self, self._next_frame_work)

    def _draw_all_views(self) -> None:
        for view in self.views:
            view.draw_now()

    def _update_status(self, snap) -> None:
        self._status_shown = time.perf_counter()
        self.status_step.setText(f"step {snap.step:,}" + (f" of {snap.latest:,} (looking back)" if snap.past else "")
                                 + (f"  epoch {snap.epoch:,}" if self.info.has_validation else ""))
        # The step's own row, as the curves' newest points show it (the loss and metric computed
        # before its update, as PyTorch's loop prints them); before any step, the initial weights'.
        if snap.step_loss is not None:
            self.status_loss.setText(f"loss {snap.step_loss:.6g}")
            self.status_grad.setText(f"gradient norm {snap.step_grad_norm:.6g}")
        elif snap.step == 0:
            self.status_loss.setText(f"loss {snap.current_loss:.6g} (initial weights)")
            self.status_grad.setText("gradient norm: after the first step")
        metric = snap.row_metric
        if self.info.metric and metric is not None:
            # A mini-batch's accuracy is not the accuracy on all the data the lesson and the
            # predictions' title give: it says so.
            on_a_batch = snap.step > 0 and self.info.batches_per_epoch > 1
            title = ("batch " if on_a_batch else "") + METRIC_TITLES[self.info.metric]
            value = f"{metric:.1%}" if self.info.metric == "accuracy" else f"{metric:.6g}"
            self.status_loss.setText(self.status_loss.text() + f"   {title} {value}")
        self.status_rate.setText(per_second(snap.steps_per_second) if self.state == RUNNING else "")
        if self.slim_bar.isVisible():
            self.slim_bar.show_step(snap.step)

    def _state_changed(self, state: str, message: str) -> None:
        self.state = state
        if state != RUNNING:
            self._draw_all_views()  # whatever a paced frame left undrawn
            if self.last_snapshot is not None and self.info is not None:
                self._update_status(self.last_snapshot)
                self.timeline.show_snapshot(self.last_snapshot)  # where a run paced at 5 Hz stopped
        self.controls.set_running(state == RUNNING)
        if state != RUNNING:
            self._lesson_run_paused(state)
        if state == RUNNING:
            self.statusBar().clearMessage()  # it was about the run before it went on
        self.status_state.setText({RUNNING: "running", DIVERGED: "DIVERGED", STOPPED: "stopped"}.get(state, state))
        self.status_state.setStyleSheet(f"color: {theme.BAD}; font-weight: bold;" if state == DIVERGED else "")
        if state != RUNNING:
            self.status_rate.setText("")
        if state == DIVERGED:
            self.banner.show_message(message, "error", "run")
        elif message and state == STOPPED:
            notes = self.last_snapshot.notes if self.last_snapshot is not None else ()
            said = " ".join(f"Step {note.step:,}: {note.text}." for note in notes)
            self.banner.show_message(f"{message.rstrip('.')}. {said}" if said else message, "info", "run")
        elif message:
            self.say(message)

    def _failed(self, message: str, cause: str) -> None:
        self.busy.hide()
        self._animation_wanted = None  # the frames asked for will not come (the message says why)
        self.statusBar().clearMessage()  # "finding a learning rate...": it is not
        self._close_when_saved = False  # a save that failed keeps the window open
        first, _, detail = message.partition("\n\n")
        self.banner.show_message(first, "error", cause)
        if detail:
            self.banner.label.setToolTip(detail)

    def _task_finished(self, what: str, path: str) -> None:
        self.busy.hide()
        self.say(f"saved the {what} to {path}")
        if what == "session" and self._close_when_saved:
            QTimer.singleShot(0, self.close)

    def _document_changed(self, doc: Document) -> None:
        self.document = doc
        self.undo_action.setEnabled(bool(doc.undo))
        self.undo_action.setText(f"&Undo: back to {doc.undo}" if doc.undo else "&Undo")
        self.redo_action.setEnabled(bool(doc.redo))
        self.redo_action.setText(f"&Redo: forward to {doc.redo}" if doc.redo else "&Redo")
        self._show_title()

    @property
    def session_path(self) -> str | None:
        """The file Save writes to (None until the run is saved or opened)."""
        return self.document.path

    # ----- pausing for a question -------------------------------------------------------------------

    @contextmanager
    def paused(self):
        """Training waits while a dialog asks a question, so that what is saved is what the
        dialog showed (the step in the suggested name), and goes on after if it was running.
        The body sets ``resume[0] = False`` when its answer replaces the run."""
        was_running = self.state == RUNNING
        if was_running:
            self.controller.pause()
            self._wait_for(lambda: self.state != RUNNING)
        resume = [was_running]
        try:
            yield resume
        finally:
            if resume[0]:
                self.controller.call("run")

    def _wait_for(self, condition, timeout_ms: int = 2000) -> None:
        """Handle events until ``condition()`` holds (the worker answers in milliseconds)."""
        if condition():
            return
        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        check = QTimer()
        check.timeout.connect(lambda: condition() and loop.quit())
        check.start(5)
        timer.start(timeout_ms)
        loop.exec()
        check.stop()

    def _ask_open(self, kind: str, title: str, filters: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, title, prefs.folder(kind), filters)
        if path:
            prefs.remember_folder(kind, path)
        return path or None

    def _ask_save(self, kind: str, title: str, name: str, filters: str) -> str | None:
        path, chosen = QFileDialog.getSaveFileName(self, title, str(Path(prefs.folder(kind)) / name), filters)
        if not path:
            return None
        if not Path(path).suffix:
            path += ".svg" if "svg" in chosen.lower() and "png" not in chosen.lower() else Path(name).suffix
        prefs.remember_folder(kind, path)
        return path

    def _default_name(self, what: str, suffix: str) -> str:
        """``fruit-session-step40.gdsim``: the step the file will hold. An image holds the step the
        views show (looking back, an earlier one); a session, weights or the history the run's newest."""
        scenario = self.info.scenario.replace(":", "-") if self.info else "gdsim"
        snap = self.last_snapshot
        step = 0 if snap is None else snap.step if suffix in (".png", ".svg") or not snap.past else snap.latest
        return f"{scenario}-{what}-step{step}{suffix}"

    # ----- export ---------------------------------------------------------------------------------

    def caption(self) -> str:
        step = self.last_snapshot.step if self.last_snapshot is not None else 0
        return export.caption_text(self.info, self.settings, step)

    def export_view(self, view, path) -> None:
        """One view as PNG or SVG (by suffix), with the caption; problems are shown in the banner."""
        if self._page(view).isHidden():  # the graph view of a run without a graph, the predictions of chain-rule
            self.banner.show_message(f"This run does not show the {view.title.lower()} view.", "error", FILE)
            return
        if view.isHidden():  # the other tab is shown: a view is exported as it is on screen
            self.prediction_tabs.setCurrentWidget(view)
            QApplication.processEvents()
        self._export([(view, view.rect())], path, f"the {view.title.lower()} view")

    def export_all(self, path) -> None:
        """The three views as they are laid out on screen, in one image."""
        self._export(export.placed(self.views, self.views_splitter), path, "all views")

    def _export(self, parts, path, what: str) -> None:
        try:
            export.export_figure(path, parts, self.caption(), prefs.get_int("export/scale", export.DEFAULT_SCALE))
        except GdsimError as exc:
            self.banner.show_message(f"Could not export {what}: {exc}.", "error", FILE)
            return
        self.say(f"saved {what} to {path}")

    def export_history(self, path) -> None:
        """The history CSV is written by the model thread, from its own data; progress shows meanwhile."""
        self.busy.show()
        self.say(f"writing the history to {path}...")
        self.controller.call("export_history", str(path))

    def _export_view_dialog(self, view) -> None:
        with self.paused():
            path = self._ask_save(prefs.EXPORT, f"Export the {view.title.lower()} view",
                                  self._default_name(view.name, ".png"), "PNG image (*.png);;SVG image (*.svg)")
            if path:
                self.export_view(view, path)

    def _export_all_dialog(self) -> None:
        with self.paused():
            path = self._ask_save(prefs.EXPORT, "Export all views", self._default_name("views", ".png"),
                                  "PNG image (*.png);;SVG image (*.svg)")
            if path:
                self.export_all(path)

    def _export_history_dialog(self) -> None:
        with self.paused():
            path = self._ask_save(prefs.EXPORT, "Export the history", self._default_name("history", ".csv"),
                                  "CSV file (*.csv)")
            if path:
                self.export_history(path)

    # ----- animation ------------------------------------------------------------------------------
    #
    # The model thread makes every frame's snapshot (copies, rebuilt from the run's timeline: the
    # steps up to the moment the export starts; training may go on), then the window draws one
    # frame per turn of its event loop and a thread encodes them (app.animation.AnimationExport).

    def _export_animation_dialog(self) -> None:
        from .animation_dialog import AnimationDialog

        if self.info is None:
            return
        if self.animation_exporting:
            self.say("an animation is being exported: wait for it or cancel it first")
            return
        t = self.timeline
        dialog = AnimationDialog(self.info, t.earliest, t.latest, self,
                                 scale=prefs.get_int("export/scale", export.DEFAULT_SCALE),
                                 plane="" if self.prediction_tabs.isHidden() else self.landscape_view.plane_words())
        self.animation_dialog = dialog  # tests reach it here
        dialog.accepted.connect(lambda: self._animation_chosen(dialog.chosen))
        dialog.open()

    def _animation_chosen(self, choice) -> None:
        from .animation_dialog import GIF

        scenario = self.info.scenario.replace(":", "-") if self.info else "gdsim"
        name = f"{scenario}-{choice.view}-steps{choice.first}-{choice.last}"
        if choice.kind == GIF:
            path = self._ask_save(prefs.EXPORT, "Export the animation", f"{name}.gif", "Animated GIF (*.gif)")
        else:
            from PySide6.QtWidgets import QFileDialog

            folder = QFileDialog.getExistingDirectory(self, "A folder for the animation's PNG frames",
                                                      prefs.folder(prefs.EXPORT))
            path = str(Path(folder) / f"{name}_%04d.png") if folder else None
            if path:
                prefs.remember_folder(prefs.EXPORT, path)
        if path:
            self.export_animation(path, choice)

    @property
    def animation_exporting(self) -> bool:
        return self._animation_wanted is not None or (self.animation_export is not None
                                                      and not self.animation_export.ended)

    def export_animation(self, path, choice) -> None:
        """Export an animation (``choice``: animation_dialog.AnimationChoice) to ``path`` (a .gif,
        or NAME_%04d.png for PNG frames): the model thread makes the frames first."""
        from ..core.files.frames import check_target, parse_target

        if self.animation_exporting:
            self.say("an animation is being exported: wait for it or cancel it first")
            return
        try:
            target = parse_target(str(path))
            check_target(target, choice.frames)
        except GdsimError as exc:
            self.banner.show_message(f"Could not export the animation: {exc}.", "error", FILE)
            return
        from ..core.animation import LANDSCAPE

        self._animation_wanted = (target, choice)
        self.busy.show()
        self.say("making the animation's frames from the run's timeline...")
        plane = self.landscape_view.request if choice.view == LANDSCAPE else None
        self.controller.call("animation_frames", choice.first, choice.last, choice.frames, plane)

    def _animation_ready(self, frames) -> None:
        from PySide6.QtWidgets import QProgressDialog

        from ..core.animation import frame_durations
        from ..core.files.frames import AnimationWriter
        from .animation import AnimationExport

        wanted, self._animation_wanted = self._animation_wanted, None
        self.busy.hide()
        if wanted is None:
            return
        if frames is None:  # Cancel while the landscape's grid was computed
            self._animation_ended(ANIMATION_CANCELLED)
            return
        target, choice = wanted
        job = AnimationExport(frames, AnimationWriter(target, frame_durations(len(frames), choice.fps)), choice.view,
                              choice.size, choice.scale, choice.caption, parent=self)
        self.animation_export = job
        what = target.describe(len(frames))
        # Not modal: the window (and training) goes on while the frames are drawn.
        progress = QProgressDialog(f"Drawing {len(frames)} frames for {what}...", "Cancel", 0, len(frames), self)
        progress.setWindowTitle("Export animation - gdsim")
        progress.setWindowModality(Qt.WindowModality.NonModal)
        progress.setMinimumDuration(0)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.canceled.connect(job.cancel)
        self.animation_progress = progress
        job.progress.connect(lambda done, total: progress.setValue(done))
        job.progress.connect(lambda done, total: done == total and progress.setLabelText(f"Writing {what}..."))
        job.finished.connect(lambda names: self._animation_ended(f"saved the animation to {what}"))
        job.cancelled.connect(lambda: self._animation_ended(ANIMATION_CANCELLED))
        job.failed.connect(lambda message: self._animation_ended(message, failed=True))
        self.say(f"exporting the animation to {what}...")
        progress.show()
        job.start()

    def _animation_ended(self, message: str, failed: bool = False) -> None:
        if self.animation_progress is not None:
            self.animation_progress.canceled.disconnect()
            self.animation_progress.close()
            self.animation_progress = None
        if failed:
            self.banner.show_message(f"Could not export the animation: {message.rstrip('.')}. Nothing was written.",
                                     "error", FILE)
        else:
            self.say(message)

    # ----- sessions and weights --------------------------------------------------------------------

    def save_session(self, path) -> None:
        """Save the whole run; the model thread writes it (atomically) from its own state."""
        self.busy.show()
        self.say(f"saving the session to {path}...")
        self.controller.call("save_session", str(path), self.app_state())

    def open_session(self, path) -> None:
        self.controller.call("open_session", str(path))

    def load_weights(self, path) -> None:
        self.controller.call("load_weights", str(path))

    def save_weights(self, path) -> None:
        self.busy.show()
        self.controller.call("save_weights", str(path))

    def import_csv(self, path) -> None:
        """Read a CSV file in the model thread; its columns are chosen when it has been read."""
        self.controller.call("read_csv", str(path))

    def train_on_table(self, choice: dict) -> None:
        self.controller.call("use_table", dict(choice))

    def _import_csv_dialog(self) -> None:
        with self.paused() as resume:
            path = self._ask_open(prefs.DATA, "Train on a CSV file", "CSV files (*.csv *.txt *.tsv);;All files (*)")
            if path:
                resume[0] = False
                self.import_csv(path)

    def _table_read(self, path: str, preview: dict) -> None:
        from .import_dialog import ImportDialog

        dialog = ImportDialog(path, preview, self)
        self.import_dialog = dialog  # tests reach it here
        dialog.accepted.connect(lambda: self.train_on_table(dialog.choice()))
        dialog.open()

    def _progress(self, what: str, fraction: float) -> None:
        """Long work in the model thread (reading a big CSV, training a comparison) shows here and
        can be cancelled."""
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
            self.progress_dialog.canceled.connect(self.controller.cancel)
        self.progress_dialog.setLabelText(what)
        self.progress_dialog.setValue(int(fraction * 1000))

    def app_state(self) -> dict:
        """What the window adds to a session: how the run was being watched (the worker adds the
        weight it follows)."""
        return {"speed": self.controls.speed.value(), "log_scale": self.loss_view.log_box.isChecked()}

    def _session_opened(self, path: str, app: dict) -> None:
        speed = app.get("speed")
        if isinstance(speed, int) and 0 <= speed <= self.controls.speed.maximum():
            self.controls.speed.setValue(speed)
        if isinstance(app.get("log_scale"), bool):
            self.loss_view.log_box.setChecked(app["log_scale"])

    def _show_title(self) -> None:
        doc = self.document
        name = Path(doc.path).name if doc.path else None
        what = f"{self.info.scenario} ({self.info.title})" if self.info else ""
        mark = "*" if doc.modified else ""
        self.setWindowTitle(f"gdsim: {name}{mark} - {what}" if name else f"gdsim: {what}")

    def _save_session(self) -> None:
        if self.document.path:
            self.save_session(self.document.path)
        else:
            self._save_session_dialog()

    def _save_session_dialog(self) -> None:
        with self.paused():
            path = self._ask_save(prefs.SESSION, "Save the session", self._default_name("session", ".gdsim"),
                                  "gdsim session (*.gdsim)")
            if path:
                self.save_session(path)

    def _open_session_dialog(self) -> None:
        with self.paused() as resume:
            path = self._ask_open(prefs.SESSION, "Open a session", "gdsim session (*.gdsim);;All files (*)")
            if path:
                resume[0] = False
                self.open_session(path)

    # ----- lessons ------------------------------------------------------------------------------

    def _fill_lessons_menu(self, menu) -> None:
        if menu.actions():
            return
        from ..core.lessons import shipped_lessons

        for name in shipped_lessons():
            act = menu.addAction(name)
            act.setStatusTip(f"The {name} lesson that comes with gdsim")
            act.triggered.connect(lambda _=False, n=name: self.open_lesson(n))

    def _open_lesson_dialog(self) -> None:
        path = self._ask_open(prefs.LESSON, "Open a lesson", "gdsim lesson (*.txt);;All files (*)")
        if path:
            self.open_lesson(path)

    def open_lesson(self, where: str) -> bool:
        """Open a lesson file (or a shipped lesson's name) beside the views, at its first page. A
        file with a mistake is refused with its one line, and nothing changes."""
        from ..core.lessons import find_lesson, load_lesson

        try:
            lesson = load_lesson(find_lesson(where))
        except GdsimError as exc:
            QMessageBox.warning(self, "This lesson cannot be opened", sentence(str(exc)))
            return False
        if self.lesson_panel is None:
            self._build_lesson_dock()
        self.lesson_panel.lesson = lesson
        self.lesson_dock.setWindowTitle(f"Lesson: {lesson.title}")
        self.lesson_dock.show()
        for act in self.lesson_actions:
            act.setEnabled(True)
        self.lesson_panel.open(lesson)
        self._open_page(0)
        before = self.zoom.factor
        if self.zoom_to_fit() < before:
            self.say(f"Zoom {self.zoom.factor:.0%}, so that the lesson fits the screen beside the controls")
        return True

    def _build_lesson_dock(self) -> None:
        from PySide6.QtWidgets import QDockWidget

        from .lesson_panel import LessonPanel

        self.lesson_panel = LessonPanel()
        self.lesson_panel.page_opened.connect(self._open_page)
        self.lesson_panel.action_asked.connect(self._play_page_action)
        self.lesson_panel.closed.connect(self.close_lesson)
        self.lesson_dock = QDockWidget("Lesson", self)
        self.lesson_dock.setObjectName("lesson-dock")
        self.lesson_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.lesson_dock.setWidget(self.lesson_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.lesson_dock)
        self.resizeDocks([self.lesson_dock], [max(280, self.width() // 4)], Qt.Orientation.Horizontal)

    def _open_page(self, index: int) -> None:
        panel = self.lesson_panel
        page = panel.lesson.pages[index]
        panel.show_page(index)
        self._lesson_awaits = None
        locked, hidden = panel.lesson.controls(page)
        self._lock_controls(locked, hidden)
        self.controller.call("start_page", page.settings,
                             f"lesson page {index + 1} of {len(panel.lesson.pages)}: {page.title}")
        self.controller.call("watch_challenges", page)

    def _play_page_action(self, index: int) -> None:
        page = self.lesson_panel.lesson.pages[index]
        action = page.action
        compare = None if action.compare is None else action.compare.settings(page.settings)
        self._lesson_awaits = action.steps
        self.controller.call("play_action", page.settings, action.steps, compare, action.zeroing)
        self.take_keyboard()

    def _lesson_run_paused(self, state: str) -> None:
        """The page's action has taken its steps (or the run stopped early): the panel reveals."""
        snap = self.last_snapshot
        if self._lesson_awaits is None or snap is None or snap.past:
            return
        if snap.step >= self._lesson_awaits or state in (DIVERGED, STOPPED):
            self._lesson_awaits = None
            self.lesson_panel.action_done(snap.step)

    def _challenges_checked(self, run_id: int, met) -> None:
        if self.lesson_panel is None or self.lesson_panel.lesson is None:
            return
        page = self.lesson_panel.page
        for i in self.lesson_panel.challenges_checked(met):
            self.say(f"Challenge met: {page.challenges[i].message}", seconds=12)

    def close_lesson(self) -> None:
        if self.lesson_panel is None:
            return
        self.lesson_panel.lesson = None
        self.lesson_dock.hide()
        self._lesson_awaits = None
        for act in self.lesson_actions:
            act.setEnabled(False)
        self._lock_controls(frozenset(), frozenset())
        self.controller.call("watch_challenges", None)
        self.say("Lesson closed: every control is free again")

    def _lock_controls(self, locked: frozenset, hidden: frozenset) -> None:
        """A lesson's locks: the control panel's boxes, and the menu actions that change the same."""
        self.controls.set_lesson_locks(locked, hidden)
        for name, act in (("zero-grad", self.zero_action), ("seed", self.new_weights_action),
                          ("data", self.data_action)):
            act.setEnabled(name not in locked and name not in hidden)

    def _load_weights_dialog(self) -> None:
        with self.paused() as resume:
            path = self._ask_open(prefs.WEIGHTS, "Load weights", "NumPy weights (*.npz);;All files (*)")
            if path:
                resume[0] = False
                self.load_weights(path)

    def _save_weights_dialog(self) -> None:
        with self.paused():
            path = self._ask_save(prefs.WEIGHTS, "Save the weights", self._default_name("weights", ".npz"),
                                  "NumPy weights (*.npz)")
            if path:
                self.save_weights(path)

    # ----- help ------------------------------------------------------------------------------------

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every action that has a shortcut: the F1 sheet is made of these."""
        rows = []
        for act in self.actions():
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts()
                             if _on_a_keyboard(k))
            if keys:
                rows.append((keys, act.text().replace("&", "")))
        return rows

    def _show_shortcuts(self) -> None:
        """The F1 sheet: in two columns, in a box that scrolls, since fifty rows in one column ran
        past the bottom of a 1280x720 screen, its OK button with them (seen under Xvfb)."""
        import html

        from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser

        rows = [f"<tr><td><b>{html.escape(k)}</b>&nbsp;&nbsp;</td><td>{html.escape(t)}</td></tr>"
                for k, t in self.shortcut_rows()]
        half = (len(rows) + 1) // 2
        columns = "".join(f"<td valign='top' style='padding-right: 24px'><table>{''.join(part)}</table></td>"
                          for part in (rows[:half], rows[half:]))
        extra = ("<p>In the controls, Tab moves between them; arrows move a focused slider. After a choice "
                 "(or Enter in a field) the keys above act on the run again.</p>")
        sheet = QDialog(self)
        sheet.setWindowTitle("Keyboard shortcuts")
        text = QTextBrowser()
        text.setHtml(f"<table><tr>{columns}</tr></table>{extra}")
        text.setAccessibleName("Keyboard shortcuts")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(sheet.reject)
        lay = QVBoxLayout(sheet)
        lay.addWidget(text)
        lay.addWidget(buttons)
        doc = text.document()
        doc.setTextWidth(doc.idealWidth())
        room = self.room_on_screen()
        margin = 4 * self.fontMetrics().height()
        sheet.resize(min(int(doc.idealWidth()) + margin, room.width()),
                     min(int(doc.size().height()) + 2 * margin, room.height() - margin))
        self.shortcut_sheet = sheet  # kept for tests; opened anew each time
        sheet.open()

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
            # Wrapped tooltips and sliders' arrow keys matter once there is a window to point at;
            # installed before, the filter would see the 12,000 events of building it (70 ms here).
            desktop.install()
            QTimer.singleShot(0, self, self._start_model_thread)
            self.first_painted.emit()

    # ----- closing ----------------------------------------------------------------------------------

    def ask_save_before_close(self) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel, for a run with steps that are in no file."""
        doc = self.document
        where = f"since it was saved to {Path(doc.path).name}" if doc.path else "and has never been saved"
        step = self.last_snapshot.step if self.last_snapshot else 0
        box = QMessageBox(QMessageBox.Icon.Question, "Save the run?",
                          f"The run ({self.info.scenario if self.info else ''}, step {step:,}) has changed {where}. "
                          "Save it before closing?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        dont_ask = QCheckBox("Don't ask again (Edit menu: Ask to save a run before closing)")
        box.setCheckBox(dont_ask)
        answer = QMessageBox.StandardButton(box.exec())
        if dont_ask.isChecked() and answer != QMessageBox.StandardButton.Cancel:
            self.ask_action.setChecked(False)
        return answer

    def closeEvent(self, event) -> None:
        asking = self.ask_on_close and self.ask_action.isChecked() and not self._close_when_saved
        if asking and self.document.unsaved_steps:
            with self.paused() as resume:
                answer = self.ask_save_before_close()
                path = self.document.path
                if answer == QMessageBox.StandardButton.Save and not path:
                    path = self._ask_save(prefs.SESSION, "Save the session", self._default_name("session", ".gdsim"),
                                          "gdsim session (*.gdsim)")
                if answer == QMessageBox.StandardButton.Cancel or (answer == QMessageBox.StandardButton.Save
                                                                    and not path):
                    event.ignore()
                    return
                resume[0] = False
                if answer == QMessageBox.StandardButton.Save:
                    # Close once the file is written; if the save fails, the window stays open with the run.
                    self._close_when_saved = True
                    self.save_session(path)
                    event.ignore()
                    return
        self._stopped = True
        if self.animation_export is not None and not self.animation_export.ended:
            self.animation_export.cancel()  # nothing half-written is left behind
            self.animation_export.wait(5)
        self._frame_work.clear()  # the worker is not kept waiting for a frame that will not be drawn
        self.controller.stop()
        super().closeEvent(event)
