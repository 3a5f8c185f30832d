"""Going back in time: how long showing a past step of a long run takes, and what its checkpoints hold.

A fruit trainer built as the window builds it (per-tensor norms, every weight traced) trains to a
million steps in chunks of 300 (about the window's chunk at full speed here), its ``Timeline``
taking checkpoints as the window's worker does. Then, for 30 random steps, the figure is the time
the model thread spends showing one: ``Timeline.rebuild`` (the last checkpoint before it restored
into a second trainer, the steps since taken again) plus ``SnapshotTaker.take_past`` (the snapshot
the views draw). Target: the slowest under 200 ms. Reported too: the checkpoints' count, spacing and
memory, and the same for a digits MLP (23,000 weights: the byte budget bounds its checkpoints) at
20,000 steps, for information.

    uv run python benchmarks/timeline.py [--quick] [--json]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import system  # noqa: E402
from system import fmt_ms, log, median, render_table, target, verdict  # noqa: E402

CASES = {  # case -> (settings, steps, quick steps, judged)
    "fruit": ({"scenario": "fruit"}, 1_000_000, 100_000, True),
    "digits-mlp": ({"scenario": "digits", "model": "mlp"}, 20_000, 2_000, False),
}
CHUNK = 300
SHOWN = 30
LIMIT_MS = 200.0


def measure_case(settings: dict, steps: int) -> dict:
    import numpy as np

    from gdsim.core.scenarios import get_scenario
    from gdsim.core.settings import Settings
    from gdsim.core.snapshot import SnapshotTaker, run_info, trace_indices
    from gdsim.core.timeline import Timeline

    s = Settings(steps=0, **settings)
    scenario = get_scenario(s.scenario)
    run = scenario.build(s, track_tensor_norms=True)
    info = run_info(1, scenario, run, run.settings)
    run.start_trace(trace_indices(info, info.tracked))
    timeline = Timeline(run)
    started = time.perf_counter()
    while run.step_count < steps:
        run.advance(min(CHUNK, steps - run.step_count))
        timeline.after_steps(run)
    train_s = time.perf_counter() - started
    scratch = scenario.build(run.settings, track_tensor_norms=True)
    taker = SnapshotTaker(1, info)
    times, replayed = [], []
    for k in np.random.default_rng(0).integers(0, steps + 1, SHOWN).tolist():
        t0 = time.perf_counter()
        timeline.rebuild(k, scratch)
        taker.take_past(scratch, run)
        times.append(time.perf_counter() - t0)
        replayed.append(k - timeline.checkpoint_before(k).step)
    return {"steps": steps, "train_s": round(train_s, 1), "show_ms_median": round(1000 * median(times), 1),
            "show_ms_worst": round(1000 * max(times), 1), "replayed_worst": int(max(replayed)),
            "checkpoints": len(timeline.marks), "every": timeline.every,
            "checkpoint_mb": round(timeline.nbytes / 2**20, 2), "weights": int(run.params.size)}


def measure(quick: bool = False) -> dict:
    system.gdsim_first()  # before NumPy, as in the app (one BLAS thread)
    result = {"cases": {}, "targets": []}
    for case, (settings, steps, quick_steps, judged) in CASES.items():
        n = quick_steps if quick else steps
        log(f"timeline: {case}, {n:,} steps ...")
        others = system.OtherLoad(include_self=True).start()
        r = measure_case(settings, n)
        r["cpu_used_by_other_processes"] = others.stop()
        result["cases"][case] = r
        if judged:
            result["targets"].append(target(f"timeline {case}: slowest past step shown of {n:,}",
                                            r["show_ms_worst"], f"< {LIMIT_MS:g} ms",
                                            r["show_ms_worst"] < LIMIT_MS, "ms"))
    return result


def table(result: dict) -> str:
    if "cases" not in result:
        return f"TIMELINE FAILED: {result.get('error')}\n{result.get('traceback', '')}"
    rows = []
    for case, r in result["cases"].items():
        judged = f" {verdict(r['show_ms_worst'] < LIMIT_MS)}" if CASES[case][3] else ""
        rows.append([case, f"{r['steps']:,}", f"{r['weights']:,}", fmt_ms(r["show_ms_median"]),
                     fmt_ms(r["show_ms_worst"]) + judged, f"{r['replayed_worst']:,}", str(r["checkpoints"]),
                     f"{r['every']:,}", f"{r['checkpoint_mb']:.2f}", f"{r['train_s']:.1f}"])
    lines = [f"Timeline: showing a past step (rebuild from the last checkpoint + replay + snapshot; "
             f"{SHOWN} random steps; target for fruit: slowest < {LIMIT_MS:g} ms)",
             render_table(["case", "steps", "weights", "show ms median", "show ms worst", "steps replayed (worst)",
                           "checkpoints", "spacing", "checkpoints MB", "train s"], rows)]
    return "\n".join(lines + system.suspect_lines(result["cases"]))


def main(argv=None) -> int:
    return system.section_main("timeline", measure, table, argv)


if __name__ == "__main__":
    sys.exit(main())
