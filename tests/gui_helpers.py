"""Waiting on the real window in GUI tests (the make_window fixture is in conftest.py)."""

from __future__ import annotations

import numpy as np

TIMEOUT = 20000  # ms: generous, because CI machines are slow; a passing test never waits this long


def wait_paused_at(qtbot, window, step: int) -> None:
    """Until the window shows the run paused (or stopped) at ``step``."""
    # last_snapshot is None between a new run's start and its first snapshot.
    qtbot.waitUntil(lambda: window.state != "running" and window.last_snapshot is not None
                    and window.last_snapshot.step == step, timeout=TIMEOUT)


def trained(scenario: str, steps: int, **settings):
    """A trainer of ``scenario`` after ``steps`` steps (none of them diverging)."""
    from gdsim.core.scenarios import build_trainer
    from gdsim.core.settings import Settings

    t = build_trainer(Settings(scenario=scenario, **settings))
    for _ in range(steps):
        assert t.step() is None
    return t


def write_houses(path, rows=60):
    """A small housing CSV: size, rooms, price and a 0/1 'expensive' column."""
    rng = np.random.default_rng(1)
    size = rng.uniform(50, 200, rows)
    rooms = rng.integers(1, 6, rows)
    price = 3.0 * size + 20.0 * rooms + rng.normal(0, 5, rows)
    expensive = (price > np.median(price)).astype(int)
    lines = ["size,rooms,price,expensive"] + [f"{a:.3f},{b},{c:.3f},{d}" for a, b, c, d in
                                              zip(size, rooms, price, expensive)]
    path.write_text("\n".join(lines) + "\n")
    return path
