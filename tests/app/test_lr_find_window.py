"""The learning-rate finder in the window: it tests a copy, shows the curve and the suggestion,
and "Use this lr" sets the run's learning rate without touching its weights or history."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import TIMEOUT, wait_paused_at

from gdsim.core.lr_find import find_lr, typed
from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.settings import Settings

pytestmark = pytest.mark.gui


def found(qtbot, w):
    with qtbot.waitSignal(w.controller.lr_found, timeout=TIMEOUT) as blocker:
        w.find_lr()
    qtbot.waitUntil(lambda: getattr(w, "lr_dialog", None) is not None and w.lr_dialog.isVisible(), timeout=TIMEOUT)
    return blocker.args[0]


def test_the_window_suggests_what_the_range_test_suggests_and_leaves_the_run(qtbot, make_window):
    w = make_window(scenario="quadratic")
    w.step(5)
    wait_paused_at(qtbot, w, 5)
    before = w.last_snapshot.values.copy()
    test = found(qtbot, w)

    t = build_trainer(Settings(scenario="quadratic"))
    assert t.advance(5) is None
    expected = find_lr(get_scenario("quadratic"), t)
    assert test.suggestion == expected.suggestion
    np.testing.assert_array_equal(test.losses, expected.losses)
    assert "Suggested learning rate" in w.lr_dialog.text.text()

    w.lr_dialog.use_button.click()
    qtbot.waitUntil(lambda: w.settings.lr == typed(test.suggestion), timeout=TIMEOUT)
    assert w.controller.worker.trainer.step_count == 5  # the run is where it was
    np.testing.assert_array_equal(w.controller.worker.trainer.params.values, before)
    assert w.controller.worker.trainer.lr == typed(test.suggestion)


def test_a_loss_with_no_lower_bound_is_a_message_not_a_dialog(qtbot, make_window):
    w = make_window(scenario="chain-rule")
    with qtbot.waitSignal(w.controller.failed, timeout=TIMEOUT) as blocker:
        w.find_lr()
    assert "lower bound" in blocker.args[0]
    assert not w.busy.isVisible()


def test_a_refused_range_test_leaves_a_running_run_running(qtbot, make_window):
    w = make_window(scenario="chain-rule", lr=1e-7, steps=0)
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state == "running", timeout=TIMEOUT)
    with qtbot.waitSignal(w.controller.failed, timeout=TIMEOUT):
        w.find_lr()
    assert w.state == "running"
    w.toggle_run()
