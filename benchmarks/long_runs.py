"""Long runs: the loss view's redraw time with 1e4, 1e5 and 1e6 points, and the app's peak memory.

Redraw: one fruit trainer (``track_tensor_norms=True``, as the app builds it) runs
headless to 1e4, 1e5 and 1e6 steps. At each size a fresh ``LossView``, inside a shown
parent ``QWidget`` (offscreen), gets ``begin_run(info)`` and a snapshot of the whole
history; then each repeat times ``show_snapshot(a snapshot of the next 10 steps)`` plus
``parent.grab()`` (a full repaint). The figure is the median over repeats; target under
30 ms at 1e6.

Peak memory: ``benchmarks/window_load.py --until-step 1000000 --json`` in a fresh
process (the window training fruit at full speed to a million steps); it reports the
process's peak RSS. Target under 300 MB. For comparison, the peak RSS of a bare PySide6 +
pyqtgraph window at its first paint (``bare_window.py --rss``). Skipped with ``--quick``.

    uv run python benchmarks/long_runs.py [--quick] [--json]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import system  # noqa: E402
from system import fmt_ms, log, median, render_table, target, verdict  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)
STEPS_PER_SMALL_SNAPSHOT = 10
VIEW_SIZE = (640, 480)  # about the loss view's size in the app's default window
SOAK_STEPS = 1_000_000
SOAK_TIMEOUT_S = 240


def measure_redraw(repeats: int) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    from gdsim.app import theme
    from gdsim.app.views.loss_view import LossView
    from gdsim.core.scenarios import build_trainer, get_scenario
    from gdsim.core.settings import Settings
    from gdsim.core.snapshot import SnapshotTaker, run_info

    app = QApplication.instance() or QApplication([])
    theme.configure_plots()
    settings = Settings(scenario="fruit", steps=0)
    t = build_trainer(settings, track_tensor_norms=True)
    scenario = get_scenario("fruit")
    out = {}
    for run_id, n in enumerate(SIZES, start=1):
        log(f"long: training fruit headless to {n:,} steps ...")
        start = time.perf_counter()
        stop = t.run(n - t.step_count)
        if stop is not None:
            raise RuntimeError(f"the fruit run stopped at step {t.step_count}: {stop.message}")
        train_s = time.perf_counter() - start
        info = run_info(run_id, scenario, t, t.settings)
        taker = SnapshotTaker(run_id, info)
        whole = taker.take(t)
        smalls = []
        for _ in range(repeats + 1):  # the first is a warm-up
            t.run(STEPS_PER_SMALL_SNAPSHOT)
            smalls.append(taker.take(t))

        parent = QWidget()
        layout = QVBoxLayout(parent)
        view = LossView(parent)
        layout.addWidget(view)
        parent.resize(*VIEW_SIZE)
        parent.show()
        app.processEvents()
        view.begin_run(info)
        start = time.perf_counter()
        view.show_snapshot(whole)
        parent.grab()
        load_ms = (time.perf_counter() - start) * 1000
        points = view.train.count if hasattr(view, "train") else None  # before the timed snapshots
        app.processEvents()
        times = []
        for i, snap in enumerate(smalls):
            start = time.perf_counter()
            view.show_snapshot(snap)
            parent.grab()
            ms = (time.perf_counter() - start) * 1000
            if i:
                times.append(ms)
            app.processEvents()
        try:
            drawn = len(view.curve_data()[0])
        except Exception:  # noqa: BLE001 - informational only
            drawn = None
        out[str(n)] = {
            "points": points, "drawn_points": drawn, "redraw_ms": median(times), "redraw_ms_all": times,
            "repeats": len(times), "first_show_ms": load_ms, "headless_train_s": train_s,
        }
        parent.close()
        parent.deleteLater()
        app.processEvents()
    return out


def bare_window_rss_mb() -> float:
    """Peak memory of benchmarks/bare_window.py (a bare PySide6 + pyqtgraph window, one plot) at
    its first paint: what any such app holds before doing anything, for comparison."""
    import re
    import subprocess

    env = dict(system.env_without_gdsim(), QT_QPA_PLATFORM="offscreen", OPENBLAS_NUM_THREADS="1")
    p = subprocess.run([sys.executable, str(system.BENCH_DIR / "bare_window.py"), "--rss"], capture_output=True,
                       text=True, timeout=60, env=env, cwd=system.REPO, **system.child_kwargs())
    m = re.search(r"bare: peak rss ([0-9.]+) MB", p.stderr)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"bare_window.py --rss exited {p.returncode}: {p.stderr.strip()[-300:]}")
    return float(m.group(1))


def measure(quick: bool = False) -> dict:
    system.gdsim_first()  # before NumPy, as in the app
    from window import run_window_load

    repeats = 5 if quick else 10
    started = time.perf_counter()
    result = {"section": "long", "repeats": repeats, "view_size": VIEW_SIZE, "errors": []}
    try:
        result["redraw"], others, attempts = system.quietest(lambda: measure_redraw(repeats), tries=2,
                                                             what="long redraw")
        result["redraw_cpu_used_by_other_processes"], result["redraw_attempts"] = others, attempts
    except Exception as e:  # noqa: BLE001
        result["redraw"] = None
        result["errors"].append(f"redraw: {system.error_text(e)}")
        log(f"long: redraw failed: {system.error_text(e)}")
    if quick:
        result["soak"] = {"skipped": "--quick"}
    else:
        log(f"long: the window trains fruit to {SOAK_STEPS:,} steps (peak memory) ...")
        try:
            load = system.OtherLoad().start()
            s = run_window_load(["--until-step", str(SOAK_STEPS)], timeout=SOAK_TIMEOUT_S)
            s["cpu_used_by_other_processes"] = load.stop()
            s["bare_window_rss_mb"] = bare_window_rss_mb()
            result["soak"] = s
        except Exception as e:  # noqa: BLE001
            result["soak"] = None
            result["errors"].append(f"soak: {system.error_text(e)}")
            log(f"long: soak failed: {system.error_text(e)}")
    big = (result["redraw"] or {}).get(str(SIZES[-1]))
    ms = big["redraw_ms"] if big else None
    targets = [target("long: loss view redraw at 1e6 points", ms, "< 30 ms", None if ms is None else ms < 30, "ms")]
    soak = result.get("soak") or {}
    if "skipped" not in soak:
        rss = soak.get("peak_rss_mb")
        targets.append(target("long: app peak memory after 1e6 steps", rss, "< 300 MB",
                              None if rss is None else rss < 300, "MB"))
    result["targets"] = targets
    result["ok"] = not result["errors"]
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    return result


def table(result: dict) -> str:
    if "redraw" not in result:
        return f"LONG RUNS FAILED: {result.get('error')}\n{result.get('traceback', '')}"
    lines = [f"Long runs: loss view redraw (show_snapshot of 10 new steps + full repaint of a "
             f"{result['view_size'][0]}x{result['view_size'][1]} parent; median of {result['repeats']})"]
    rows = []
    for n, r in (result["redraw"] or {}).items():
        judged = f" {verdict(r['redraw_ms'] < 30)}" if int(n) == SIZES[-1] else ""
        rows.append([f"{int(n):,}", f"{r['points']:,}" if r["points"] is not None else "-",
                     "-" if r["drawn_points"] is None else f"{r['drawn_points']:,}",
                     fmt_ms(r["redraw_ms"]) + judged, fmt_ms(r["first_show_ms"]), f"{r['headless_train_s']:.1f}"])
    busy = result.get("redraw_cpu_used_by_other_processes")
    if rows and busy is not None and busy > system.NOISY_OTHERS:
        lines.append(f"! other processes kept {busy:.0%} of the CPU busy while this was measured: suspect")
    if rows:
        lines.append(render_table(["steps", "points held", "points drawn (last)", "redraw ms (<30 at 1e6)",
                                   "first show ms", "train s"], rows))
    soak = result.get("soak")
    if soak and "skipped" in soak:
        lines.append(f"peak memory after 1e6 steps: skipped ({soak['skipped']})")
    elif soak:
        rss = soak.get("peak_rss_mb")
        lines.append(f"peak memory after {soak.get('steps', 0):,} steps in the window: {rss} MB (< 300 MB "
                     f"{verdict(None if rss is None else rss < 300)}); took {soak.get('seconds')} s at "
                     f"{soak.get('app_steps_per_s')} steps/s; RSS at start {soak.get('rss_at_start_mb')} MB; "
                     f"a bare PySide6 + pyqtgraph window holds {soak.get('bare_window_rss_mb')} MB")
    lines += [f"! {e}" for e in result.get("errors", [])]
    return "\n".join(lines)


def main(argv=None) -> int:
    return system.section_main("long", measure, table, argv)


if __name__ == "__main__":
    sys.exit(main())
