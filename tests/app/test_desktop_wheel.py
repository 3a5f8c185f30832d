"""The mouse wheel over the controls scrolls the panel; it changes a list or a field only once
that has been clicked or tabbed to (a wheel passing over the Optimizer box chose Adam)."""

from __future__ import annotations

import pytest
from gui_helpers import TIMEOUT
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

pytestmark = pytest.mark.gui


def wheel_down(widget):
    event = QWheelEvent(QPointF(5, 5), QPointF(widget.mapToGlobal(QPoint(5, 5))), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_an_unfocused_list_scrolls_the_panel_and_chooses_nothing(qtbot, make_window):
    w = make_window(scenario="quadratic")
    w.resize(1024, 600)  # the controls need their scroll bar
    area = w.controls  # the control panel is the scroll area
    box = w.controls.optimizer
    qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() > 0, timeout=TIMEOUT)
    before = box.currentIndex()
    wheel_down(box)
    assert box.currentIndex() == before and w.settings.optimizer == "sgd"
    assert area.verticalScrollBar().value() > 0
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=TIMEOUT)
    wheel_down(box)  # chosen by the person first: the wheel is theirs
    assert box.currentIndex() != before
