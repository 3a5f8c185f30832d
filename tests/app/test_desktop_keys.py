"""Keys reach the control that uses them: a letter typed in a focused list picks the choice it
begins, as in any desktop program, rather than fire the window's one-key shortcut (Z switches
gradient zeroing, R resets, P pins); a letter no choice begins with is still the window's."""

from __future__ import annotations

import pytest
from gui_helpers import TIMEOUT, wait_paused_at
from PySide6.QtCore import Qt

pytestmark = pytest.mark.gui


def focus(qtbot, widget):
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=TIMEOUT)


def test_a_letter_typed_in_a_focused_list_picks_the_choice_it_begins(make_window, qtbot):
    w = make_window(scenario="fruit")
    w.activateWindow()
    zeroing = w.settings.zero_grad
    focus(qtbot, w.controls.init)
    qtbot.keyClick(w.controls.init, Qt.Key.Key_Z)
    qtbot.waitUntil(lambda: w.settings.init == "zeros", timeout=TIMEOUT)
    assert w.settings.zero_grad == zeroing  # Z chose zeros; it did not switch gradient zeroing
    focus(qtbot, w.controls.optimizer)
    qtbot.keyClick(w.controls.optimizer, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: w.settings.optimizer == "rmsprop", timeout=TIMEOUT)
    assert not w.pins


def test_a_letter_no_choice_begins_with_is_still_the_windows_shortcut(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    w.activateWindow()
    w.step(3)
    wait_paused_at(qtbot, w, 3)
    focus(qtbot, w.controls.scenario)
    qtbot.keyClick(w.controls.scenario, Qt.Key.Key_R)  # no scenario begins with r: Reset
    wait_paused_at(qtbot, w, 0)
    assert w.settings.scenario == "fruit"
