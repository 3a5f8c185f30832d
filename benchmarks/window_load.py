"""The window under load: training at full speed with every view live.

Reports snapshots drawn per second, the UI event loop's delay (a 10 ms timer
that measures its own lateness: worst and 99th percentile), training steps per
second inside the app, and the time from Pause to the last step.

    uv run python benchmarks/window_load.py [--scenario fruit] [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def measure(scenario: str, seconds: float, switch_interval: float | None = None) -> dict:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from gdsim.app import theme
    from gdsim.app.window import MainWindow
    from gdsim.core.settings import Settings

    if switch_interval:
        sys.setswitchinterval(switch_interval)
    app = QApplication.instance() or QApplication([])
    theme.configure_plots()
    w = MainWindow(Settings(scenario=scenario, steps=0))
    w.show()

    def spin_until(cond, limit=30.0):
        loop = QEventLoop()
        t = QTimer()
        t.timeout.connect(lambda: cond() and loop.quit())
        t.start(5)
        QTimer.singleShot(int(limit * 1000), loop.quit)
        loop.exec()

    spin_until(lambda: w.last_snapshot is not None)
    drawn = []
    w.snapshot_drawn.connect(lambda s: drawn.append((time.perf_counter(), s.step)))
    lateness = []
    clock = QElapsedTimer()
    period = 10
    probe = QTimer()
    probe.setTimerType(probe.timerType().PreciseTimer)
    last = [None]

    def on_probe():
        now = clock.elapsed()
        if last[0] is not None:
            lateness.append(max(0, now - last[0] - period))
        last[0] = now

    probe.timeout.connect(on_probe)
    w.toggle_run()
    spin_until(lambda: w.state == "running")
    start = time.perf_counter()
    clock.start()
    probe.start(period)
    spin_until(lambda: False, seconds)
    probe.stop()
    elapsed = time.perf_counter() - start
    frames = [d for d in drawn if d[0] >= start]
    steps_run = (frames[-1][1] - frames[0][1]) / (frames[-1][0] - frames[0][0]) if len(frames) > 1 else 0.0

    # Pause: how long after pressing it did the last step happen?
    worker = w.controller.worker
    before = worker.trainer.step_count
    t_pause = time.perf_counter()
    w.toggle_run()
    spin_until(lambda: w.state == "paused")
    # The worker stamps nothing per step; measure how many steps ran after the press instead,
    # and convert with the measured step rate.
    after_steps = worker.trainer.step_count - before
    pause_ms = (time.perf_counter() - t_pause) * 1000
    w.close()

    lat = sorted(lateness) or [0]
    return {
        "scenario": scenario,
        "seconds": round(elapsed, 2),
        "snapshots_per_s": round(len(frames) / elapsed, 1),
        "ui_delay_worst_ms": lat[-1],
        "ui_delay_p99_ms": lat[min(len(lat) - 1, int(0.99 * len(lat)))],
        "train_steps_per_s": round(steps_run),
        "pause_to_paused_ms": round(pause_ms, 1),
        "steps_after_pause": after_steps,
        "pause_to_last_step_ms": round(after_steps / steps_run * 1000, 2) if steps_run else None,
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="fruit")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--switch-interval", type=float, default=None)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    result = measure(args.scenario, args.seconds, args.switch_interval)
    print(json.dumps(result) if args.json else "\n".join(f"{k:>24}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
