"""The window under load: benchmarks/window_load.py's ``measure()``, in a fresh process per run.

For fruit and digits, each run trains at full speed for a few seconds (5 s; 3 s with
``--quick``) with every view live, then presses Pause. Reported per scenario, as the
median over runs (3 runs; 1 with ``--quick``): snapshots drawn per second, worst and
99th-percentile UI event-loop delay, in-app steps/s against headless (measured in the
same process just before), and the time from Pause to the last step. Targets: at least
30 redraws/s, p99 delay under 50 ms, Pause effective within 50 ms, in-app at least
0.5x headless.

    uv run python benchmarks/window.py [--quick] [--json]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import system  # noqa: E402
from system import fmt_ms, fmt_rate, log, median, render_table, target, verdict  # noqa: E402

SCENARIOS = ("fruit", "digits")
FIELDS = ("snapshots_per_s", "ui_delay_worst_ms", "ui_delay_p99_ms", "app_steps_per_s", "headless_steps_per_s",
          "app_vs_headless", "pause_to_last_step_ms", "pause_to_paused_ms", "steps_after_pause", "peak_rss_mb")


def run_window_load(args: list[str], timeout: float) -> dict:
    """Run benchmarks/window_load.py with ``args`` + ``--json`` in a fresh offscreen process."""
    env = dict(system.env_without_gdsim(), QT_QPA_PLATFORM="offscreen")
    cmd = [sys.executable, str(system.BENCH_DIR / "window_load.py"), *args, "--json"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=system.REPO)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"window_load.py {' '.join(args)} did not finish within {timeout:.0f} s") from None
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["(no output)"])[-3:]
        raise RuntimeError(f"window_load.py {' '.join(args)} exited {p.returncode}: " + " | ".join(tail))
    return json.loads(lines[-1])


def measure(quick: bool = False) -> dict:
    runs = 1 if quick else 3
    seconds = 3.0 if quick else 5.0
    started = time.perf_counter()
    out = {}
    for scenario in SCENARIOS:
        entry = {"runs": [], "errors": []}
        out[scenario] = entry
        for i in range(runs):
            log(f"window: {scenario} run {i + 1}/{runs} ({seconds:g} s) ...")
            try:
                r, others, attempts = system.quietest(
                    lambda scenario=scenario: run_window_load(["--scenario", scenario, "--seconds", str(seconds)],
                                                              timeout=seconds + 90),
                    tries=2, what=f"window {scenario}", deadline=started + (30 if quick else 100))
                r["cpu_used_by_other_processes"], r["attempts"] = others, attempts
                entry["runs"].append(r)
            except Exception as e:  # noqa: BLE001
                entry["errors"].append(system.error_text(e))
                log(f"window: {scenario} failed: {entry['errors'][-1]}")
        entry["median"] = {f: median([r.get(f) for r in entry["runs"]]) for f in FIELDS} if entry["runs"] else None
        entry["repeats"] = len(entry["runs"])
        entry["busy_runs"] = sum(1 for r in entry["runs"]
                                 if (r.get("cpu_used_by_other_processes") or 0) > system.NOISY_OTHERS)
        m = entry["median"]
        entry["targets"] = [] if m is None else [
            target(f"window {scenario}: redraws per second", m["snapshots_per_s"], ">= 30",
                   _ok(m["snapshots_per_s"], lambda v: v >= 30), "/s"),
            target(f"window {scenario}: p99 UI delay", m["ui_delay_p99_ms"], "< 50 ms",
                   _ok(m["ui_delay_p99_ms"], lambda v: v < 50), "ms"),
            target(f"window {scenario}: Pause to last step", m["pause_to_last_step_ms"], "<= 50 ms",
                   _ok(m["pause_to_last_step_ms"], lambda v: v <= 50), "ms"),
            target(f"window {scenario}: in-app vs headless steps/s", m["app_vs_headless"], ">= 0.5x",
                   _ok(m["app_vs_headless"], lambda v: v >= 0.5), "x"),
        ]
    return {
        "ok": all(e["runs"] and not e["errors"] for e in out.values()),
        "section": "window",
        "seconds_per_run": seconds,
        "repeats": runs,
        "scenarios": out,
        "targets": [t for e in out.values() for t in e["targets"]],
        "elapsed_s": round(time.perf_counter() - started, 1),
    }


def _ok(value, test):
    return None if value is None else bool(test(value))


def table(result: dict) -> str:
    if "scenarios" not in result:
        return f"WINDOW FAILED: {result.get('error')}\n{result.get('traceback', '')}"
    rows, notes = [], []
    for scenario, e in result["scenarios"].items():
        notes += [f"! {scenario}: {err}" for err in e["errors"]]
        m = e["median"]
        if m is None:
            rows.append([scenario, "ERROR"] + [""] * 6)
            continue
        t = {x["target"].split(": ", 1)[1]: x for x in e["targets"]}

        def cell(text, name, t=t):
            return f"{text} {verdict(t[name]['pass'])}"
        busy = e.get("busy_runs", 0)
        if busy:
            notes.append(f"! {scenario}: other processes kept more than 10% of the CPU busy in {busy} of "
                         f"{e['repeats']} run(s): suspect")
        rows.append([
            scenario + (" !" if busy else ""),
            cell(fmt_rate(m["snapshots_per_s"]), "redraws per second"),
            fmt_ms(m["ui_delay_worst_ms"]),
            cell(fmt_ms(m["ui_delay_p99_ms"]), "p99 UI delay"),
            f"{fmt_rate(m['app_steps_per_s'])} / {fmt_rate(m['headless_steps_per_s'])}",
            cell("-" if m["app_vs_headless"] is None else f"{m['app_vs_headless']:.2f}x",
                 "in-app vs headless steps/s"),
            cell(fmt_ms(m["pause_to_last_step_ms"]), "Pause to last step"),
            fmt_ms(m["pause_to_paused_ms"]),
        ])
    head = (f"Window under load (offscreen; median of {result['repeats']} run(s) of {result['seconds_per_run']:g} s "
            "per scenario, each in a fresh process)")
    tab = render_table(["scenario", "redraws/s (>=30)", "worst delay ms", "p99 delay ms (<50)",
                        "steps/s app / headless", "app/headless (>=0.5)", "Pause->last step ms (<=50)",
                        "Pause->paused ms"], rows)
    return "\n".join([head, tab] + notes)


def main(argv=None) -> int:
    return system.section_main("window", measure, table, argv)


if __name__ == "__main__":
    sys.exit(main())
