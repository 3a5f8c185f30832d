"""The window under load: training at full speed with every view live.

Reports snapshots drawn per second, the UI event loop's delay (a 10 ms timer
that measures its own lateness: worst and 99th percentile), training steps per
second inside the app and headless, the time from Pause to the last step, and
the process's peak memory.

    uv run python benchmarks/window_load.py                     # 5 s of fruit
    uv run python benchmarks/window_load.py --scenario digits
    uv run python benchmarks/window_load.py --until-step 1000000 # the soak run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gdsim.app  # noqa: E402,F401  (first, as in the app: gdsim sets NumPy's BLAS to one thread)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def headless_rate(scenario: str, seconds: float = 1.0) -> float:
    from gdsim.core.scenarios import build_trainer
    from gdsim.core.settings import Settings

    t = build_trainer(Settings(scenario=scenario, steps=0))
    t.run(100)
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        t.run(200)
        n += 200
    return n / (time.perf_counter() - start)


def measure(scenario: str, seconds: float | None, until_step: int | None = None) -> dict:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from gdsim.app import theme
    from gdsim.app.window import MainWindow
    from gdsim.core.settings import Settings

    headless = headless_rate(scenario)
    app = QApplication.instance() or QApplication([])  # noqa: F841 (kept alive for the run)
    theme.configure_plots()
    w = MainWindow(Settings(scenario=scenario, steps=0))
    w.show()

    def spin_until(cond, limit=None):
        loop = QEventLoop()
        t = QTimer()
        t.timeout.connect(lambda: cond() and loop.quit())
        t.start(5)
        if limit is not None:
            QTimer.singleShot(int(limit * 1000), loop.quit)
        loop.exec()

    spin_until(lambda: w.last_snapshot is not None, 30)
    rss_before = peak_rss_mb()
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
    spin_until(lambda: w.state == "running", 30)
    start = time.perf_counter()
    clock.start()
    probe.start(period)
    if until_step is not None:
        spin_until(lambda: w.last_snapshot.step >= until_step)
    else:
        spin_until(lambda: False, seconds)
    probe.stop()
    elapsed = time.perf_counter() - start
    frames = [d for d in drawn if d[0] >= start]
    steps_run = (frames[-1][1] - frames[0][1]) / (frames[-1][0] - frames[0][0]) if len(frames) > 1 else 0.0

    # Pause: how many steps ran after it was pressed, turned into time with the measured rate.
    worker = w.controller.worker
    before = worker.trainer.step_count
    t_pause = time.perf_counter()
    w.toggle_run()
    spin_until(lambda: w.state == "paused", 30)
    paused_ms = (time.perf_counter() - t_pause) * 1000
    after_steps = worker.trainer.step_count - before
    steps_total = worker.trainer.step_count
    w.ask_on_close = False
    w.close()

    lat = sorted(lateness) or [0]
    return {
        "scenario": scenario,
        "seconds": round(elapsed, 2),
        "steps": steps_total,
        "snapshots_per_s": round(len(frames) / elapsed, 1),
        "ui_delay_worst_ms": lat[-1],
        "ui_delay_p99_ms": lat[min(len(lat) - 1, int(0.99 * len(lat)))],
        "app_steps_per_s": round(steps_run),
        "headless_steps_per_s": round(headless),
        "app_vs_headless": round(steps_run / headless, 2) if headless else None,
        "pause_to_paused_ms": round(paused_ms, 1),
        "steps_after_pause": after_steps,
        "pause_to_last_step_ms": round(after_steps / steps_run * 1000, 2) if steps_run else None,
        "rss_at_start_mb": round(rss_before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="fruit")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--until-step", type=int, default=None, help="run until this step instead (soak)")
    p.add_argument("--json", action="store_true", help="print one JSON line")
    args = p.parse_args(argv)
    result = measure(args.scenario, args.seconds, args.until_step)
    print(json.dumps(result) if args.json else "\n".join(f"{k:>24}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
