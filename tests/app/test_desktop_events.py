"""The desktop rules (app.desktop) see the input, not every event the window makes while it trains."""

from __future__ import annotations

import pytest
from gui_helpers import TIMEOUT
from PySide6.QtWidgets import QApplication

from gdsim.app import desktop

pytestmark = pytest.mark.gui


def test_the_rules_see_the_input_not_every_event_training_makes(make_window, qtbot, monkeypatch):
    """Installed on the application, the filter was a Python call for each of the 1,500 events a
    second training makes (paints, layouts, queued signals, pyqtgraph's property changes), each
    waiting for the interpreter the model thread holds."""
    seen = []

    class Counting(desktop.DesktopBehaviour):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
            seen.append(event.type())
            return super().eventFilter(obj, event)

    monkeypatch.setattr(desktop, "DesktopBehaviour", Counting)
    monkeypatch.setattr(desktop, "_installed", None)
    w = make_window(scenario="fruit", steps=0)
    desktop.install()  # as at the window's first paint (which may have come already)
    probe = desktop._installed
    try:
        assert isinstance(probe, Counting)
        frames = []
        w.snapshot_drawn.connect(frames.append)
        seen.clear()
        w.toggle_run()
        qtbot.waitUntil(lambda: len(frames) >= 40, timeout=TIMEOUT)
        w.toggle_run()
        qtbot.waitUntil(lambda: w.state != "running", timeout=TIMEOUT)
        assert len(seen) < len(frames), seen  # an application filter sees hundreds per frame
    finally:
        QApplication.instance().removeEventFilter(probe)  # whatever install() did, undone
        probe.setParent(None)
        probe.deleteLater()
