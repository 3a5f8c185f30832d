"""The start-up floor for a PySide6 + pyqtgraph window: the least such an app can do before
its first paint. benchmarks/cold_start.py launches it beside ``python -m gdsim`` and judges
gdsim's first paint as a ratio to this one's.

It does what every PySide6 + pyqtgraph app must and nothing more: import both, make the
QApplication, one main window holding one plot with one short curve and a status line, show
it, and at the window's first paint print ``bare: first paint at <time.time()>`` on stderr (the line gdsim
prints with ``GDSIM_EXIT_AFTER_FIRST_PAINT=1``), then quit. With ``--rss`` it also prints its
peak resident memory after the paint (for benchmarks/long_runs.py's memory figure).

    QT_QPA_PLATFORM=offscreen uv run python benchmarks/bare_window.py

It imports nothing of gdsim and sets no environment of its own: launched with the same
interpreter and environment as gdsim, the difference between the two is gdsim's own cost.
"""

from __future__ import annotations

import sys
import time


def main() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    import pyqtgraph as pg

    app = QApplication.instance() or QApplication(sys.argv[:1])
    report_rss = "--rss" in sys.argv[1:]

    class Window(QMainWindow):
        painted = False

        def paintEvent(self, event):  # noqa: N802 (Qt's name)
            super().paintEvent(event)
            if not self.painted:
                self.painted = True
                print(f"bare: first paint at {time.time():.6f}", file=sys.stderr, flush=True)
                if report_rss:
                    import resource

                    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
                    print(f"bare: peak rss {rss:.1f} MB", file=sys.stderr, flush=True)
                QTimer.singleShot(0, self.close)

    window = Window()
    plot = pg.PlotWidget(title="loss")
    plot.plot([0, 1, 2, 3], [3.0, 1.0, 0.5, 0.25])
    window.setCentralWidget(plot)
    # A status line, as gdsim's window has: with a central widget covering it all, Qt would never
    # call the main window's own paintEvent, the moment gdsim reports as its first paint.
    window.statusBar().showMessage("ready")
    window.resize(800, 600)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
