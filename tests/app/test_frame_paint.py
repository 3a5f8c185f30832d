"""A paced frame at full speed: each view drawn is painted once, before the worker goes on.

The worker waits while the GUI draws a frame, then computes holding the GIL; a paint left for
later waits for the GIL behind it. So ``PlotView.paint_now`` must leave nothing of the new
frame to paint: after it, asking Qt to paint whatever is still pending paints nothing.
"""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QCoreApplication, QEvent

from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.settings import Settings
from gdsim.core.snapshot import SnapshotTaker, run_info, trace_indices

pytestmark = pytest.mark.gui


def view_classes():
    from gdsim.app.views.gradient_view import GradientView
    from gdsim.app.views.loss_view import LossView
    from gdsim.app.views.prediction_view import PredictionView

    return {"loss": LossView, "gradient": GradientView, "prediction": PredictionView}


def paint_pending(view) -> None:
    """Hand every queued scene change to the view and paint what is dirty, now."""
    QCoreApplication.sendPostedEvents()
    QCoreApplication.sendEvent(view.window(), QEvent(QEvent.Type.UpdateRequest))


@pytest.mark.parametrize("scenario", ["fruit", "digits10"])
@pytest.mark.parametrize("name", ["loss", "gradient", "prediction"])
def test_a_drawn_view_is_painted_once_and_nothing_is_left_to_paint(qtbot, monkeypatch, scenario, name):
    from gdsim.app import theme

    theme.configure_plots()
    paints = []
    original = pg.GraphicsView.paintEvent

    def counted(canvas, event):  # set before the view exists: PySide looks an override up once
        if canvas is view.canvas:
            paints.append(event.rect())
        return original(canvas, event)

    monkeypatch.setattr(pg.GraphicsView, "paintEvent", counted)
    view = view_classes()[name]()
    view.resize(620, 420)
    qtbot.addWidget(view)
    view.show()
    settings = Settings(scenario=scenario, steps=0)
    trainer = build_trainer(settings, track_tensor_norms=True)
    info = run_info(1, get_scenario(scenario), trainer, settings)
    trainer.start_trace(trace_indices(info, info.tracked))
    taker = SnapshotTaker(1, info)
    view.begin_run(info)
    view.show_snapshot(taker.take(trainer))
    qtbot.waitUntil(lambda: len(paints) > 0)  # on screen: painted once by Qt's own loop
    paint_pending(view)
    paints.clear()
    for frame in range(6):
        assert trainer.run(7 * (frame + 1) ** 2) is None  # the loss falls, ranges and axes move
        view.show_snapshot(taker.take(trainer), draw=False)
        view.draw_now()
        view.paint_now()
        assert len(paints) == 1, f"frame {frame}: {len(paints)} paints inside paint_now"
        paint_pending(view)
        assert len(paints) == 1, f"frame {frame}: {len(paints) - 1} more paints were left for later"
        paints.clear()


def test_at_full_speed_a_heavy_view_is_drawn_after_the_snapshot_and_before_the_worker_goes_on(qtbot, make_window):
    """A heavy view's draw is an event of its own (keys and timers get in between), and the
    GUI tells the worker it is idle only after it: the paint never waits behind the engine."""
    from tests.gui_helpers import TIMEOUT

    w = make_window(scenario="fruit", steps=0)  # no step limit: it runs until Pause
    order = []
    view = w.gradient_view
    draw_now = view.draw_now

    def draw_heavy():
        if w.state == "running" and recording[0]:  # paused, every view is drawn at once
            order.append(("heavy drawn", in_snapshot[0]))
        draw_now()

    view.draw_now = draw_heavy
    in_snapshot, recording = [False], [True]
    snapshot = w._snapshot

    def counted_snapshot(snap):
        in_snapshot[0] = True
        try:
            snapshot(snap)
        finally:
            in_snapshot[0] = False
        if recording[0]:
            order.append(("snapshot", w._frame_work != []))

    w.controller.snapshot.disconnect(w._snapshot)
    w.controller.snapshot.connect(counted_snapshot)
    flags = w.controller.worker.flags
    idle = flags.gui_idle.set
    flags.gui_idle.set = lambda: (recording[0] and order.append(("idle", None))) or idle()
    w.toggle_run()
    qtbot.waitUntil(lambda: sum(1 for e in order if e[0] == "heavy drawn") >= 3, timeout=TIMEOUT)
    recording[0] = False
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state != "running", timeout=TIMEOUT)

    drawn_while_running = [i for i, e in enumerate(order) if e == ("heavy drawn", False)]
    assert len(drawn_while_running) >= 3 and ("heavy drawn", True) not in order
    for i in drawn_while_running:
        before = [e for e in order[:i] if e[0] in ("snapshot", "idle")]
        assert before[-1] == ("snapshot", True)  # queued by the frame just taken in, the worker still waiting


def test_a_heavy_view_whose_draw_fails_is_not_left_unpainted_for_good(qtbot, make_window):
    """Qt's paints are held off between a heavy view's draw and its paint: a draw that raises
    must still hand the canvas back."""
    from tests.gui_helpers import TIMEOUT

    w = make_window(scenario="fruit")
    view = w.gradient_view

    def broken():
        raise RuntimeError("a view's bug")

    view.draw_now = broken
    view.undrawn = True
    w.state = "running"  # as while training: only then are heavy views queued
    with qtbot.capture_exceptions() as raised:
        w._queue_heavy(view, 0.0)
        qtbot.waitUntil(lambda: not w._frame_work, timeout=TIMEOUT)
    assert raised  # reported (PySide may wrap it), and the frame went on:
    assert view.canvas.updatesEnabled()
