"""The loss landscape in the window: the grid the model thread computes is the one the core
computes for the same weights, the path is the run's, a moving run gets a new grid, a click starts
a run from that point, and a one-weight model shows its curve."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import TIMEOUT, wait_paused_at
from PySide6.QtCore import QPointF

from gdsim.core import landscape, surface
from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings

pytestmark = pytest.mark.gui


def shown_landscape(qtbot, w):
    with qtbot.waitSignal(w.controller.landscape_ready, timeout=TIMEOUT) as blocker:
        w.toggle_landscape()
    return blocker.args[0]


def micrograd_landscape_at_step_5(qtbot, make_window):
    """A micrograd window paused at step 5, its Landscape tab shown with its first map."""
    w = make_window(scenario="micrograd")
    w.step(5)
    wait_paused_at(qtbot, w, 5)
    shown_landscape(qtbot, w)
    return w


def test_the_grid_and_path_are_the_runs(qtbot, make_window):
    w = make_window(scenario="fruit")
    w.step(10)
    wait_paused_at(qtbot, w, 10)
    s = shown_landscape(qtbot, w)
    assert s.step == 10 and s.plane.kind == surface.WEIGHTS

    t = build_trainer(Settings(scenario="fruit"))
    t.start_trace(range(t.params.size))
    assert t.advance(10) is None
    i, j = landscape.default_pair(t)
    assert s.plane.indices == (i, j)
    np.testing.assert_array_equal(s.plane.origin, t.params.values)
    np.testing.assert_array_equal(s.loss, landscape.loss_grid(t, s.plane, s.a, s.b))
    np.testing.assert_array_equal(s.path_steps, np.arange(11))
    np.testing.assert_array_equal(s.path, t.trace.values[:, [i, j]])
    # The grid's own numbers: the loss at the weights there, as the trainer computes it.
    t.params.values[i], t.params.values[j] = s.a[7], s.b[3]
    assert s.loss[3, 7] == pytest.approx(t.evaluate("train")[0], rel=1e-12)


def test_another_pair_of_weights_and_the_other_planes(qtbot, make_window):
    w = micrograd_landscape_at_step_5(qtbot, make_window)
    v = w.landscape_view
    with qtbot.waitSignal(w.controller.landscape_ready, timeout=TIMEOUT) as blocker:
        v.first_box.setCurrentIndex(3)
        v.second_box.setCurrentIndex(7)
        v._weights_chosen(7)
    assert blocker.args[0].plane.indices == (3, 7)
    assert blocker.args[0].plane.axis_titles == (w.info.labels[3], w.info.labels[7])
    for kind in (surface.RANDOM, surface.PCA):
        with qtbot.waitSignal(w.controller.landscape_ready, timeout=TIMEOUT) as blocker:
            v.plane_box.setCurrentIndex(v.plane_box.findData(kind))
            v._plane_chosen(v.plane_box.currentIndex())
        s = blocker.args[0]
        assert s.plane.kind == kind and len(s.path) == 6
        # The run's weights now are the plane's origin: the path ends at (0, 0).
        np.testing.assert_allclose(s.path[-1], [0.0, 0.0], atol=1e-12)


def test_a_run_that_moves_on_gets_a_new_grid_and_its_path_grows(qtbot, make_window):
    w = make_window(scenario="fruit")
    w.step(2)
    wait_paused_at(qtbot, w, 2)
    first = shown_landscape(qtbot, w)
    with qtbot.waitSignal(w.controller.landscape_ready, timeout=TIMEOUT) as blocker:
        w.step(300)  # far off the first grid
    wait_paused_at(qtbot, w, 302)
    assert blocker.args[0].step > first.step
    qtbot.waitUntil(lambda: w.landscape_view._path_steps[-1] == 302, timeout=TIMEOUT)


def test_a_click_starts_a_run_from_that_point_and_undo_brings_the_run_back(qtbot, make_window):
    w = make_window(scenario="fruit")
    w.step(10)
    wait_paused_at(qtbot, w, 10)
    s = shown_landscape(qtbot, w)
    before = w.controller.worker.trainer
    a, b = float(s.a[20]), float(s.b[80])
    with qtbot.waitSignal(w.controller.run_started, timeout=TIMEOUT):
        w.landscape_view.point_chosen.emit(s.run_id, s.plane.weights_at(a, b), "there")
    wait_paused_at(qtbot, w, 0)
    start = w.controller.worker.trainer.initial_values
    np.testing.assert_array_equal(start, s.plane.weights_at(a, b))
    assert start[s.plane.indices[0]] == a and start[s.plane.indices[1]] == b
    w.controller.call("undo")
    qtbot.waitUntil(lambda: w.controller.worker.trainer is before, timeout=TIMEOUT)


def test_a_click_on_an_earlier_runs_landscape_changes_nothing(qtbot, make_window):
    w = make_window(scenario="fruit")
    w.step(3)
    wait_paused_at(qtbot, w, 3)
    s = shown_landscape(qtbot, w)
    w.reset()
    qtbot.waitUntil(lambda: w.info.run_id != s.run_id, timeout=TIMEOUT)
    trainer = w.controller.worker.trainer
    with qtbot.waitSignal(w.controller.failed, timeout=TIMEOUT) as blocker:
        w.landscape_view.point_chosen.emit(s.run_id, s.plane.weights_at(float(s.a[1]), float(s.b[1])), "there")
    assert "earlier run" in blocker.args[0]
    assert w.controller.worker.trainer is trainer


def test_looking_back_the_grid_is_around_the_step_shown(qtbot, make_window):
    w = make_window(scenario="quadratic")
    w.step(20)
    wait_paused_at(qtbot, w, 20)
    w.go_to_step(6)
    qtbot.waitUntil(lambda: w.last_snapshot.step == 6 and w.last_snapshot.past, timeout=TIMEOUT)
    s = shown_landscape(qtbot, w)
    t = build_trainer(Settings(scenario="quadratic"))
    assert t.advance(6) is None
    assert s.step == 6
    np.testing.assert_array_equal(s.plane.origin, t.params.values)


def test_a_one_weight_model_shows_its_curve_and_asks_for_no_grid(qtbot, make_window):
    w = make_window(scenario="parabola")
    asked = []
    w.landscape_view.wanted.connect(asked.append)
    w.step(4)
    wait_paused_at(qtbot, w, 4)
    w.toggle_landscape()
    qtbot.waitUntil(lambda: w.landscape_view.curve.xData is not None, timeout=TIMEOUT)
    xs, ys = w.landscape_view.path_curve.getData()
    np.testing.assert_allclose(xs, [3.0 * 0.8 ** k for k in range(5)])  # lr 0.1: x *= 1 - 2 lr
    np.testing.assert_allclose(ys, xs ** 2)
    assert asked == []


def test_a_hidden_one_weight_landscape_shown_after_many_steps_has_the_whole_path(qtbot, make_window):
    """Snapshots of thousands of rows each, taken in while hidden: shown, the path runs from x0
    to x now, in step order and thinned to a bounded number of points."""
    w = make_window(scenario="parabola", lr=0.001)  # x shrinks slowly: every step a distinct point
    steps = 60_000
    w.step(steps)
    wait_paused_at(qtbot, w, steps)
    v = w.landscape_view
    w.toggle_landscape()
    qtbot.waitUntil(lambda: v.curve.xData is not None, timeout=TIMEOUT)
    xs, ys = v.path_curve.getData()
    assert xs[0] == 3.0 and xs[-1] == pytest.approx(3.0 * 0.998 ** steps)
    assert np.all(np.diff(xs) < 0)  # in step order, each step once
    assert len(xs) <= 2 * surface.PATH_POINTS
    np.testing.assert_allclose(ys, xs ** 2)
    assert v._path_steps[0] == 0 and v._path_steps[-1] == steps


def test_an_answer_to_a_request_since_replaced_is_not_shown(qtbot, make_window):
    w = micrograd_landscape_at_step_5(qtbot, make_window)
    v = w.landscape_view
    random = v.plane_box.findData(surface.RANDOM)
    with qtbot.waitSignal(w.controller.landscape_ready, timeout=TIMEOUT,
                          check_params_cb=lambda s: s.plane.kind == surface.RANDOM):
        v.ask(force=True)  # a two-weight grid asked for, then at once another plane chosen
        v.plane_box.setCurrentIndex(random)
        v._plane_chosen(random)
    qtbot.waitUntil(lambda: v.surface is not None and v.surface.plane.kind == surface.RANDOM, timeout=TIMEOUT)
    assert v.request.kind == surface.RANDOM


def test_looking_back_asks_for_the_map_of_the_step_shown(qtbot, make_window):
    w = make_window(scenario="quadratic")
    w.step(20)
    wait_paused_at(qtbot, w, 20)
    assert shown_landscape(qtbot, w).step == 20
    with qtbot.waitSignal(w.controller.landscape_ready, timeout=TIMEOUT,
                          check_params_cb=lambda s: s.step == 19):
        w.go_to_step(19)  # one step back: well inside the grid, yet the map is of another step


def test_another_lesson_clears_the_map_and_the_readout(qtbot, make_window):
    w = make_window(scenario="quadratic")
    w.step(5)
    wait_paused_at(qtbot, w, 5)
    s = shown_landscape(qtbot, w)
    v = w.landscape_view
    centre = v.plot.vb.mapViewToScene(QPointF((s.a[0] + s.a[-1]) / 2, (s.b[0] + s.b[-1]) / 2))
    v._hovered(centre)
    assert v.readout.isVisible() and v.readout.toPlainText().startswith("loss ")
    box = v.plot.vb.sceneBoundingRect()
    v._hovered(QPointF(box.left() - 12, box.center().y()))  # on the axis's labels: not the map
    assert not v.readout.isVisible()
    v._hovered(centre)
    seen = []  # the view as the new run begins (connected after the window: its views have begun)
    w.controller.run_started.connect(lambda info: seen.append(
        (v.surface, v.image.image, v.readout.isVisible(), len(v.path_curve.getData()[0] or []), v._other_paths)))
    i = w.controls.scenario.findData("fruit")
    w.controls.scenario.setCurrentIndex(i)
    w.controls.scenario.activated.emit(i)
    qtbot.waitUntil(lambda: w.info.scenario == "fruit" and bool(seen), timeout=TIMEOUT)
    assert seen[0] == (None, None, False, 0, [])
    qtbot.waitUntil(lambda: v.surface is not None and v.surface.run_id == w.info.run_id, timeout=TIMEOUT)
    assert v.surface.plane.indices == landscape.default_pair(build_trainer(Settings(scenario="fruit")))


def test_the_keyboard_moves_a_cursor_over_the_map_and_enter_starts_a_run_there(qtbot, make_window):
    from PySide6.QtCore import Qt

    w = make_window(scenario="fruit")
    w.step(10)
    wait_paused_at(qtbot, w, 10)
    s = shown_landscape(qtbot, w)
    v = w.landscape_view
    w.activateWindow()
    v.canvas.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: v.canvas.hasFocus() and v._cursor is not None, timeout=TIMEOUT)
    start = v._cursor  # at the run's weights now
    assert start == pytest.approx(tuple(w.last_snapshot.values[list(s.plane.indices)]))
    for key in (Qt.Key.Key_Left, Qt.Key.Key_Left, Qt.Key.Key_Down):
        qtbot.keyClick(v.canvas, key)
    (a0, a1), (b0, b1) = s.box
    expected = (start[0] - 2 * (a1 - a0) / 20, start[1] - (b1 - b0) / 20)
    assert v._cursor == pytest.approx(expected)
    assert w.last_snapshot.step == 10 and not w.last_snapshot.past  # the arrows neither stepped nor went back
    assert v.readout.isVisible() and v.readout.toPlainText().startswith("loss ")
    chosen = v._cursor
    with qtbot.waitSignal(w.controller.run_started, timeout=TIMEOUT):
        qtbot.keyClick(v.canvas, Qt.Key.Key_Return)
    wait_paused_at(qtbot, w, 0)
    np.testing.assert_array_equal(w.controller.worker.trainer.initial_values, s.plane.weights_at(*chosen))


def test_a_map_with_nothing_on_it_takes_no_keys_and_the_mouse_before_a_run_is_harmless(qtbot, make_window):
    from gdsim.app.views.landscape_view import LandscapeView

    early = LandscapeView()  # the tab under the mouse before the first run has begun
    qtbot.addWidget(early)
    early._hovered(QPointF(1, 1))
    assert early.canvas.takes_keys() == ()
    w = make_window(scenario="parabola")  # a curve: no map, no cursor
    w.toggle_landscape()
    qtbot.waitUntil(lambda: w.landscape_view.curve.xData is not None, timeout=TIMEOUT)
    assert w.landscape_view.canvas.takes_keys() == ()


def test_a_slow_grid_gives_way_to_a_command_sent_meanwhile(qtbot, make_window, monkeypatch):
    """A big MLP's grid takes a minute here: computed while paused, it held every command the
    window sent (New weights, Reset, another scenario) until it was done. Now a command takes
    effect within a block of points: the old run's grid is given up, and the new run's computed."""
    import threading

    loss_grid = landscape.loss_grid
    inside, sent = threading.Event(), threading.Event()

    def slow(trainer, plane, a, b):  # the first block lasts until the command is sent
        inside.set()
        sent.wait(TIMEOUT / 1000)
        return loss_grid(trainer, plane, a, b)

    monkeypatch.setattr(landscape, "loss_grid", slow)
    monkeypatch.setattr(surface, "GRID_POINTS", 31)
    w = make_window(scenario="fruit")
    old_run = w.info.run_id
    grids = []
    w.controller.landscape_ready.connect(lambda s: grids.append(s.run_id))
    w.toggle_landscape()
    qtbot.waitUntil(inside.is_set, timeout=TIMEOUT)  # the model thread is inside the old run's grid
    w.new_weights()
    sent.set()
    qtbot.waitUntil(lambda: w.info.run_id != old_run, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: bool(grids), timeout=TIMEOUT * 2)
    assert grids[0] == w.info.run_id != old_run  # the old run's grid was never finished
    qtbot.waitUntil(lambda: w.landscape_view.surface is not None, timeout=TIMEOUT)
    assert w.landscape_view.surface.run_id == w.info.run_id
