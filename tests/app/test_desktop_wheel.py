"""The mouse wheel over the controls scrolls the panel; it changes a list or a field only once
that has been clicked or tabbed to (a wheel passing over the Optimizer box chose Adam)."""

from __future__ import annotations

import pytest
from gui_helpers import TIMEOUT
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from gdsim.app import desktop

pytestmark = pytest.mark.gui


def wheel_down(widget):
    """A wheel turn over ``widget`` as the platform delivers it: to the window, which hands it to
    the widget under the mouse."""
    top = widget.window()
    event = QWheelEvent(QPointF(widget.mapTo(top, QPoint(5, 5))), QPointF(widget.mapToGlobal(QPoint(5, 5))),
                        QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(top.windowHandle(), event)


def test_the_wheel_over_an_unfocused_list_scrolls_the_panel_and_chooses_nothing(qtbot, make_window):
    w = make_window(scenario="quadratic")
    w.resize(1024, 600)  # the controls need their scroll bar
    area = w.controls  # the control panel is the scroll area
    box = w.controls.optimizer
    qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() > 0, timeout=TIMEOUT)
    desktop.install()  # as at the window's first paint
    area.ensureWidgetVisible(box)  # under the mouse, as the panel scrolls past it
    qtbot.waitUntil(lambda: QApplication.widgetAt(box.mapToGlobal(QPoint(5, 5))) is box, timeout=TIMEOUT)
    before, scrolled = box.currentIndex(), area.verticalScrollBar().value()
    wheel_down(box)
    assert box.currentIndex() == before and w.settings.optimizer == "sgd"
    assert area.verticalScrollBar().value() > scrolled
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=TIMEOUT)
    wheel_down(box)  # chosen by the person first: the wheel is theirs
    assert box.currentIndex() != before
