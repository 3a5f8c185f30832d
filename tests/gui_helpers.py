"""Waiting on the real window in GUI tests (the make_window fixture is in conftest.py)."""

from __future__ import annotations

TIMEOUT = 20000  # ms: generous, because CI machines are slow; a passing test never waits this long


def wait_paused_at(qtbot, window, step: int) -> None:
    """Until the window shows the run paused (or stopped) at ``step``."""
    # last_snapshot is None between a new run's start and its first snapshot.
    qtbot.waitUntil(lambda: window.state != "running" and window.last_snapshot is not None
                    and window.last_snapshot.step == step, timeout=TIMEOUT)
