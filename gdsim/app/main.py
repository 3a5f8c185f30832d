"""Start the Qt application and open the window."""

from __future__ import annotations

import os
import sys
import time

from ..core.settings import Settings


def run_app(scenario: str = "fruit", theme: str = "system", session: str | None = None,
            lesson: str | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from . import prefs
    from . import theme as themes
    from .window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("gdsim")
    app.setOrganizationName("gdsim")
    themes.BASE_THEME = theme if theme != "high-contrast" else "system"  # what View > High contrast goes back to
    themes.apply_theme(app, "high-contrast" if prefs.get_bool(themes.HIGH_CONTRAST_KEY, False) else theme)
    window = MainWindow(Settings(scenario=scenario))
    if os.environ.get("GDSIM_EXIT_AFTER_FIRST_PAINT"):
        # For the cold-start benchmark: report when the first frame is on screen, then quit.
        def painted():
            print(f"gdsim: first paint at {time.time():.6f}", file=sys.stderr, flush=True)
            window.ask_on_close = False
            QTimer.singleShot(0, window.close)
        window.first_painted.connect(painted)
    window.show()
    if session is not None:
        window.open_session(session)
    if lesson is not None:
        window.open_lesson(lesson)
    _close_on_interrupt(window)
    return app.exec()


def _close_on_interrupt(window) -> None:
    """Ctrl+C in the terminal closes the window the normal way (the thread stops cleanly)."""
    import signal

    from PySide6.QtCore import QTimer

    signal.signal(signal.SIGINT, lambda *_: window.close())
    # Python runs signal handlers only between bytecodes; an idle timer gives it the chance.
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)
