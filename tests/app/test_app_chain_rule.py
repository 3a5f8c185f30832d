"""The window on the chain-rule scenario before it has a graph view of its own: the
predictions view names the output L, and the loss, zeroing and divergence work as elsewhere."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import TIMEOUT, wait_paused_at

pytestmark = pytest.mark.gui


def test_the_window_runs_the_chain_rule_lesson_and_shows_l(make_window, qtbot):
    w = make_window(scenario="chain-rule")
    assert w.last_snapshot.current_loss == -8.0
    assert [w.controls.loss.itemData(i) for i in range(w.controls.loss.count() - 1)] == ["value"]
    w.step(1)
    wait_paused_at(qtbot, w, 1)
    snap = w.last_snapshot
    np.testing.assert_array_equal(snap.update_grads, [6.0, -4.0, -2.0, 4.0])
    w.prediction_view.draw_now()
    assert "L = -8.7263" in w.prediction_view.title_label.text()
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state == "stopped" and w.last_snapshot.step == 10, timeout=TIMEOUT)
    assert w.loss_view.curve_data()[1][-1] == pytest.approx(-15.64124712)
