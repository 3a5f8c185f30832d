import os
import tempfile

# Before anything imports Qt: the tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# A process the tests start (gdsim app, benchmarks) keeps its preferences away from the user's too.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="gdsim-test-config-")

# One BLAS thread, as in the app (and steady when the tests share the machine with other work).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


import pytest  # noqa: E402
from gui_helpers import TIMEOUT  # noqa: E402


@pytest.fixture
def own_preferences(tmp_path_factory):
    """The window's remembered folders and answers go to a fresh folder, never the user's own."""
    from PySide6.QtCore import QSettings

    folder = tmp_path_factory.mktemp("prefs")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    return folder


@pytest.fixture
def make_window(qtbot, own_preferences):
    """Open real windows; each is closed at teardown and its model thread must have finished."""
    from PySide6.QtWidgets import QMessageBox

    from gdsim.app import theme
    from gdsim.app.window import MainWindow
    from gdsim.core.settings import Settings

    theme.configure_plots()
    made = []

    def make(**settings):
        w = MainWindow(Settings(**settings))
        # A modal question would wait for ever offscreen: record it and answer Discard (tests
        # that are about the question replace this).
        w.questions = []
        w.ask_save_before_close = lambda: w.questions.append("save?") or QMessageBox.StandardButton.Discard
        w.show()  # closed below, not by qtbot: a run with a session file would ask to be saved
        qtbot.waitUntil(lambda: w.last_snapshot is not None, timeout=TIMEOUT)
        made.append(w)
        return w

    yield make
    from PySide6.QtCore import QCoreApplication, QEvent

    for w in made:
        w.ask_on_close = False  # no "save the run?" question at teardown
        w.close()
        assert w.controller.model_thread.wait(5000)
        assert w.controller.model_thread.isFinished()
        # Deleted, not only closed: lambdas connected to its actions hold the window through Qt,
        # where Python's collector cannot see, so every test's window stayed alive, 20,000
        # top-level widgets by the end, and each change of theme or zoom walked all of them.
        w.deleteLater()
    if made:
        from PySide6.QtWidgets import QApplication, QMenu

        # pyqtgraph's plot menus have no parent, and a cycle through Qt keeps them (and their
        # plots' Python objects) alive after the window: about a hundred a window.
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMenu) and widget.parent() is None and not widget.isVisible():
                widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
