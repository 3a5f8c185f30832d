import os

# Before anything imports Qt: the tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# One BLAS thread, as in the app (and steady when the tests share the machine with other work).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


import pytest  # noqa: E402

from gui_helpers import TIMEOUT  # noqa: E402


@pytest.fixture
def make_window(qtbot):
    """Open real windows; each is closed at teardown and its model thread must have finished."""
    from gdsim.app import theme
    from gdsim.app.window import MainWindow
    from gdsim.core.settings import Settings

    theme.configure_plots()
    made = []

    def make(**settings):
        w = MainWindow(Settings(**settings))
        w.show()  # closed below, not by qtbot: a run with a session file would ask to be saved
        qtbot.waitUntil(lambda: w.last_snapshot is not None, timeout=TIMEOUT)
        made.append(w)
        return w

    yield make
    for w in made:
        w.unsaved = False  # no "save the session?" question at teardown
        w.close()
        assert w.controller.model_thread.wait(5000)
        assert w.controller.model_thread.isFinished()
