"""Racing optimizers in the window: every racer is the run those settings give from the same
initial weights and batches, pinned and kept as a branch; "fair" racers take their own range test's
learning rate; the landscape draws every racer's path."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import TIMEOUT

from gdsim.core.lr_find import find_lr, typed
from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.settings import Settings

pytestmark = pytest.mark.gui


def alone(**settings):
    t = build_trainer(Settings(scenario="quadratic", **settings))
    t.start_trace(range(t.params.size))
    t.advance(settings["steps"])
    return t


def raced(qtbot, w, racers, steps, fair):
    with qtbot.waitSignal(w.controller.pins_changed, timeout=TIMEOUT,
                          check_params_cb=lambda pins: len(pins) == len(racers)):
        w.start_race(racers, steps, fair)
    qtbot.waitUntil(lambda: len(w.pins) == len(racers), timeout=TIMEOUT)
    return w.pins


def test_each_racer_is_the_run_its_settings_give_and_its_path_is_on_the_landscape(qtbot, make_window):
    w = make_window(scenario="quadratic")
    pins = raced(qtbot, w, [("momentum:0.9", 1e-5), ("adam", 0.1)], 40, fair=False)
    for pin, (optimizer, lr) in zip(pins, [("momentum:0.9", 1e-5), ("adam", 0.1)]):
        t = alone(optimizer=optimizer, lr=lr, steps=40)
        np.testing.assert_array_equal(pin.loss, t.history.loss)
        assert optimizer in pin.name
    assert w.controller.worker.trainer.step_count == 0  # the run itself is as it was
    assert len(w.controller.worker._run.family) == 3

    with qtbot.waitSignal(w.controller.landscape_ready, timeout=TIMEOUT) as blocker:
        w.toggle_landscape()
    s = blocker.args[0]
    assert [(k, name) for k, name, _, _ in s.others] == [(k, p.name) for k, p in enumerate(pins)]
    i, j = s.plane.indices
    adam = alone(optimizer="adam", lr=0.1, steps=40)
    np.testing.assert_array_equal(s.others[1][3], adam.trace.values[:, [i, j]])


def test_fair_racers_take_their_own_range_tests_learning_rate(qtbot, make_window):
    w = make_window(scenario="quadratic")
    pins = raced(qtbot, w, [("sgd", 1.0), ("adam", 1.0)], 20, fair=True)
    for pin, optimizer in zip(pins, ("sgd", "adam")):
        t = build_trainer(Settings(scenario="quadratic", optimizer=optimizer))
        lr = typed(find_lr(get_scenario('quadratic'), t).suggestion)
        np.testing.assert_array_equal(pin.loss, alone(optimizer=optimizer, lr=lr, steps=20).history.loss)
        assert f"lr {lr:g}" in pin.name


def test_a_bad_racer_is_a_message_and_nothing_is_trained(qtbot, make_window):
    w = make_window(scenario="quadratic")
    with qtbot.waitSignal(w.controller.failed, timeout=TIMEOUT) as blocker:
        w.start_race([("adam", 0.1), ("warp:9", 0.1)], 10, False)
    assert "optimizer 'warp'" in blocker.args[0]
    assert w.pins == [] and len(w.controller.worker._run.family) == 1


def test_the_dialog_checks_each_racer_as_the_controls_do(qtbot, make_window):
    from gdsim.app.race_dialog import RaceDialog

    w = make_window(scenario="quadratic")
    d = RaceDialog(w.settings, w)
    qtbot.addWidget(d)
    d.fair.setChecked(False)
    d.rows[1][1].setText("fast")
    d._accept_if_valid()
    assert "racer 2" in d.problem.text() and "learning rate" in d.problem.text() and not d.racers
    d.rows[1][1].setText("0.01")
    d._accept_if_valid()
    assert d.racers == [("momentum:0.9", 1e-5), ("rmsprop", 0.01), ("adam", 1e-5)]


def test_enter_in_the_dialog_starts_the_race_and_enter_on_cancel_cancels(qtbot, make_window):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialogButtonBox

    from gdsim.app.race_dialog import RaceDialog

    w = make_window(scenario="quadratic")
    d = RaceDialog(w.settings, w)
    qtbot.addWidget(d)
    d.show()
    with qtbot.waitSignal(d.accepted, timeout=TIMEOUT):
        qtbot.keyClick(d.rows[0][0].lineEdit(), Qt.Key.Key_Return)
    assert d.racers == [("momentum:0.9", 1e-5), ("rmsprop", 1e-5), ("adam", 1e-5)]
    d = RaceDialog(w.settings, w)
    qtbot.addWidget(d)
    d.show()
    cancel = d.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel)
    with qtbot.waitSignal(d.rejected, timeout=TIMEOUT):
        qtbot.keyClick(cancel, Qt.Key.Key_Return)
    assert d.racers == []
