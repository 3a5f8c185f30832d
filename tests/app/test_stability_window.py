"""The stability map in the window: the model thread's map is the core's, a cell chosen with the
keyboard trains that run from the initial weights, and lessons without a map cannot ask for one."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import TIMEOUT, wait_paused_at
from PySide6.QtCore import Qt

from gdsim.core import stability as st
from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings

pytestmark = pytest.mark.gui


def opened_map(qtbot, w):
    with qtbot.waitSignal(w.controller.stability_found, timeout=TIMEOUT) as blocker:
        w.stability_action.trigger()
    qtbot.waitUntil(lambda: getattr(w, "stability_dialog", None) is not None
                    and w.stability_dialog.isVisible(), timeout=TIMEOUT)
    return blocker.args[0]


def test_a_cell_chosen_with_the_keyboard_trains_that_run(qtbot, make_window):
    w = make_window(scenario="parabola")
    w.step(3)
    wait_paused_at(qtbot, w, 3)
    found, bound = opened_map(qtbot, w)
    expected = st.stability_map(Settings(scenario="parabola"), st.default_lrs("parabola"), st.default_momenta())
    np.testing.assert_array_equal(found.regime, expected.regime)
    np.testing.assert_array_equal(bound, st.bound_lrs(expected))

    d = w.stability_dialog
    start = d.current
    assert found.lrs[start[1]] == 0.1 and found.momenta[start[0]] == 0  # the lesson's own lr, no momentum
    for key in (Qt.Key.Key_Up, Qt.Key.Key_Up, Qt.Key.Key_Right):
        qtbot.keyClick(d, key)
    i, j = d.current
    assert (i, j) == (start[0] + 2, start[1] + 1)
    assert f"lr {found.lrs[j]:g}, momentum {found.momenta[i]:g}" in d.hover.text()
    qtbot.keyClick(d, Qt.Key.Key_Return)

    settings = st.cell_settings(found, i, j)
    wait_paused_at(qtbot, w, found.steps)  # the run stops at the map's step count
    t = build_trainer(settings)
    t.run()
    trainer = w.controller.worker.trainer
    assert trainer.settings.optimizer == settings.optimizer and trainer.lr == settings.lr
    np.testing.assert_array_equal(trainer.params.values, t.params.values)
    assert trainer.history.loss[-1] == found.final_loss[i, j]


def test_only_the_parabola_and_quadratic_lessons_have_a_map(qtbot, make_window):
    w = make_window(scenario="fruit")
    assert not w.stability_action.isEnabled()
    i = w.controls.scenario.findData("quadratic")
    w.controls.scenario.setCurrentIndex(i)
    w.controls.scenario.activated.emit(i)
    qtbot.waitUntil(lambda: w.info.scenario == "quadratic", timeout=TIMEOUT)
    assert w.stability_action.isEnabled()


def test_a_cell_chosen_while_looking_back_trains_the_cell_from_the_runs_own_start(qtbot, make_window):
    w = make_window(scenario="quadratic")
    w.controller.call("new_weights")  # not the article's: the map starts from the run's weights
    qtbot.waitUntil(lambda: w.settings.seed == 1, timeout=TIMEOUT)
    w.step(6)
    wait_paused_at(qtbot, w, 6)
    w.go_to_step(2)
    qtbot.waitUntil(lambda: w.last_snapshot.past and w.last_snapshot.step == 2, timeout=TIMEOUT)
    start = w.controller.worker.trainer.initial_values.copy()
    found, _ = opened_map(qtbot, w)
    np.testing.assert_array_equal(found.initial, start)
    w.stability_dialog.choose(5, 7)
    settings = st.cell_settings(found, 5, 7)
    qtbot.waitUntil(lambda: w.controller.worker.trainer.settings == settings, timeout=TIMEOUT)
    wait_paused_at(qtbot, w, found.steps)
    trainer = w.controller.worker.trainer
    np.testing.assert_array_equal(trainer.initial_values, start)
    assert trainer.history.loss[-1] == pytest.approx(found.final_loss[5, 7], rel=1e-12)
