"""Render the README's screenshots from the real window, offscreen.

    uv run python docs/screenshots.py            # writes docs/screenshots/*.png
    uv run python docs/screenshots.py digits10   # only the shots whose file names start so
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gdsim.app import theme  # noqa: E402
from gdsim.app.window import MainWindow  # noqa: E402
from gdsim.core.settings import Settings  # noqa: E402

OUT = Path(__file__).resolve().parent / "screenshots"

SHOTS = [
    # file, settings, steps, dark[, the node the backward walk has reached]
    ("fruit.png", Settings(scenario="fruit"), 40, False),
    ("micrograd-no-zeroing-dark.png", Settings(scenario="micrograd", zero_grad=False), 20, True),
    ("digits.png", Settings(scenario="digits"), 60, False),
    ("digits10.png", Settings(scenario="digits10"), 100, False),
    ("parabola-lr-0.9.png", Settings(scenario="parabola", lr=0.9), 12, False),
    ("chain-rule.png", Settings(scenario="chain-rule"), 2, False, "e"),
    ("fruit-branch.png", Settings(scenario="fruit"), 100, False, None, "branch"),
]


def branch_at_30_with_a_larger_lr(w) -> None:
    """Pin the run, go back to step 30, set lr 5e-5 there and run the branch on to step 100."""
    w.controller.call("pin")
    spin_until(lambda: len(w.pins) == 1)
    w.go_to_step(30)
    spin_until(lambda: w.last_snapshot.past and w.last_snapshot.step == 30)
    w.controller.call("configure", w.settings.replace(lr=5e-5))
    spin_until(lambda: w.settings.lr == 5e-5)
    w.step(70)
    spin_until(lambda: w.last_snapshot.step >= 100 and not w.last_snapshot.past and w.state != "running")


AFTER = {"branch": branch_at_30_with_a_larger_lr}


def spin_until(cond, limit_ms=30000):
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: cond() and loop.quit())
    timer.start(10)
    QTimer.singleShot(limit_ms, loop.quit)
    loop.exec()


def shoot(app, name, settings, steps, dark, walk_to=None, after=None) -> None:
    if dark:
        theme.apply_dark_palette(app)
    else:
        app.setPalette(app.style().standardPalette())
    theme.configure_plots()
    w = MainWindow(settings)
    w.resize(1280, 720)  # a projector's size
    w.show()
    spin_until(lambda: w.last_snapshot is not None)
    w.step(steps)
    spin_until(lambda: w.last_snapshot.step >= steps and w.state != "running")
    if after is not None:
        AFTER[after](w)
    while walk_to is not None and w.graph_view.current_node() != walk_to:
        w.graph_view.walk_next()  # the B key
    spin_until(lambda: False, 300)  # let the last paint land
    w.grab().save(str(OUT / name))
    w.ask_on_close = False
    w.close()
    print("wrote", OUT / name)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    for shot in SHOTS:
        if len(sys.argv) < 2 or any(shot[0].startswith(name) for name in sys.argv[1:]):
            shoot(app, *shot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
