"""The app as a real process: it opens, trains, and closes cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.gui

SCRIPT = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from gdsim.app import main as app_main

    def drive():
        window = [w for w in QApplication.topLevelWidgets() if w.objectName() == "gdsim-main"][0]
        window.ask_on_close = False  # closing on purpose: no "save the run?" question
        window.toggle_run()
        def close_when_running():
            if window.last_snapshot is not None and window.last_snapshot.step > 20:
                print("closing at step", window.last_snapshot.step, flush=True)
                {close}
            else:
                QTimer.singleShot(20, close_when_running)
        QTimer.singleShot(20, close_when_running)

    QTimer.singleShot(0, drive)
    sys.exit(app_main.run_app("digits"))
""")


def run(close: str):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-c", SCRIPT.replace("{close}", close)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_closing_the_window_while_training_exits_cleanly():
    proc = run("window.close()")
    assert "closing at step" in proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "QThread" not in proc.stderr and "Traceback" not in proc.stderr


def test_ctrl_c_in_the_terminal_closes_the_window_cleanly():
    proc = run(f"import os; os.kill(os.getpid(), {int(signal.SIGINT)})")
    assert "closing at step" in proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "QThread" not in proc.stderr and "Traceback" not in proc.stderr and "KeyboardInterrupt" not in proc.stderr
