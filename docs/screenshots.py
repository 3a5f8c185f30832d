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
    ("fruit-landscape.png", Settings(scenario="fruit"), 60, False, None, "landscape"),
    ("quadratic-race.png", Settings(scenario="quadratic"), 0, False, None, "race"),
    ("quadratic-lr-find.png", Settings(scenario="quadratic"), 0, False, None, "lr-find"),
    ("parabola-stability.png", Settings(scenario="parabola"), 0, False, None, "stability"),
    ("parabola-lesson.png", Settings(scenario="parabola"), 0, False, None, "lesson"),
    ("fruit-presentation.png", Settings(scenario="fruit"), 40, False, None, "presentation"),
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


def landscape_tab(w):
    w.toggle_landscape()  # Shift+L
    spin_until(lambda: w.landscape_view.surface is not None and w.landscape_view.surface.step == w.last_snapshot.step)


def race_three_optimizers(w):
    """Momentum, RMSProp and Adam beside the run, each at its own range test's lr, for 100 steps."""
    w.start_race([("momentum:0.9", 1e-5), ("rmsprop", 1e-5), ("adam", 1e-5)], 100, True)
    spin_until(lambda: len(w.pins) == 3)
    w.step(100)
    spin_until(lambda: w.last_snapshot.step == 100 and w.state != "running")
    landscape_tab(w)
    spin_until(lambda: len(w.landscape_view.surface.others) == 3)


def lr_finder(w):
    w.find_lr()
    spin_until(lambda: getattr(w, "lr_dialog", None) is not None)
    return w.lr_dialog


def stability(w):
    w.stability_map()
    spin_until(lambda: getattr(w, "stability_dialog", None) is not None)
    return w.stability_dialog


def lesson_page_3(w):
    """The parabola lesson's third page, its question answered (the right choice) and its action run."""
    w.open_lesson("parabola")
    spin_until(lambda: w.lesson_panel.index == 0 and w.last_snapshot is not None)
    w.lesson_panel.page_opened.emit(2)
    spin_until(lambda: w.lesson_panel.index == 2 and w.settings.lr == 0.9 and w.last_snapshot.step == 0)
    panel = w.lesson_panel
    panel.choices.buttons()[panel.page.question.answer].setChecked(True)
    panel.action_button.click()
    spin_until(lambda: w._lesson_awaits is None and w.last_snapshot.step == 20 and w.state != "running")


def presentation(w):
    w.set_presentation(True)


# What to do after the steps; what it returns (a dialog) is shot instead of the window.
AFTER = {"branch": branch_at_30_with_a_larger_lr, "landscape": landscape_tab, "race": race_three_optimizers,
         "lr-find": lr_finder, "stability": stability, "lesson": lesson_page_3, "presentation": presentation}


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
    if steps:
        w.step(steps)
        spin_until(lambda: w.last_snapshot.step >= steps and w.state != "running")
    shot = AFTER[after](w) if after is not None else None
    while walk_to is not None and w.graph_view.current_node() != walk_to:
        w.graph_view.walk_next()  # the B key
    spin_until(lambda: False, 300)  # let the last paint land
    (shot or w).grab().save(str(OUT / name))
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
