"""The window under load: benchmarks/window_load.py's ``measure()``, in a fresh process per run.

Every case of window_load.py (every scenario of ``gdsim list`` with default settings, digits
with ``--model mlp``, and an MLP 784-512-512-1 on your own data) trains at full speed for a few
seconds (4 s; 3 s with ``--quick``) with every view live, then Pause is pressed four times.
Reported per case, as the median over runs (3 runs; 1 with ``--quick``): redraws per second,
the UI event loop's delay (99th percentile and worst), training in the app against headless,
Pause -> last step, and each view's redraws per second. The targets are window_load.judge()'s
(issue 12), judged on the medians.

``--busy``: the same with one extra CPU-bound process beside every run; ``--busy both``: plain,
then busy, both reported.

    uv run python benchmarks/window.py [--quick] [--busy [both]] [--json]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import system  # noqa: E402
from system import fmt_ms, fmt_rate, log, median, render_table, verdict  # noqa: E402
from window_cases import APP_VS_HEADLESS, CASES, PAUSE_MS, UI_DELAY_P99_MS, UI_DELAY_WORST_MS, judge  # noqa: E402

FIELDS = ("redraws_per_s", "snapshots_per_s", "ui_delay_p99_ms", "ui_delay_worst_ms", "app_steps_per_s",
          "headless_steps_per_s", "app_vs_headless", "pause_to_last_step_ms", "pause_to_paused_ms",
          "longest_engine_call_ms", "peak_rss_mb")
VIEW_FIELDS = ("draws_per_s", "ingest_ms_mean", "draw_ms_mean", "paint_ms_mean", "gui_share")


def run_window_load(args: list[str], timeout: float) -> dict:
    """Run benchmarks/window_load.py with ``args`` + ``--json`` in a fresh offscreen process."""
    env = dict(system.env_without_gdsim(), QT_QPA_PLATFORM="offscreen")
    cmd = [sys.executable, str(system.BENCH_DIR / "window_load.py"), *args, "--json"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=system.REPO,
                           **system.child_kwargs())
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"window_load.py {' '.join(args)} did not finish within {timeout:.0f} s") from None
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["(no output)"])[-3:]
        raise RuntimeError(f"window_load.py {' '.join(args)} exited {p.returncode}: " + " | ".join(tail))
    return json.loads(lines[-1])


def make_session(folder: str) -> str:
    """The own-data session, made once for every run of the own-mlp case (in a child process:
    window_load imports Qt)."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import window_load; "
            "print(window_load.make_own_data_session(sys.argv[2]))")
    p = subprocess.run([sys.executable, "-c", code, _HERE, folder], capture_output=True, text=True, timeout=300,
                       env=dict(system.env_without_gdsim(), QT_QPA_PLATFORM="offscreen"), cwd=system.REPO,
                       **system.child_kwargs())
    if p.returncode != 0:
        raise RuntimeError(f"making the own-data session failed: {p.stderr.strip()[-300:]}")
    return p.stdout.strip().splitlines()[-1]


def measure_case(case: str, runs: int, seconds: float, busy: bool, session: str | None, deadline: float) -> dict:
    """``runs`` fresh processes of one case; the medians of their figures, judged."""
    args = ["--case", case, "--seconds", str(seconds)] + (["--busy"] if busy else [])
    args += ["--session", session] if session else []
    done, errors = [], []
    for i in range(runs):
        log(f"window: {case} run {i + 1}/{runs} ({seconds:g} s{', busy' if busy else ''}) ...")
        try:
            r, others, attempts = system.quietest(lambda: run_window_load(args, timeout=seconds + 120), tries=2,
                                                  what=f"window {case}", deadline=deadline)
            r["cpu_used_by_other_processes"], r["attempts"] = others, attempts
            done.append(r)
        except Exception as e:  # noqa: BLE001 - one case failing must not lose the others
            errors.append(system.error_text(e))
            log(f"window: {case} failed: {errors[-1]}")
    return summarize(case, done, errors, busy)


def summarize(case: str, done: list[dict], errors: list[str], busy: bool) -> dict:
    """The runs of one case, their medians (figures and each view's) and the targets judged on them."""
    entry = {"runs": done, "errors": errors, "repeats": len(done), "median": None, "views": {},
             "views_never_redrawn": [], "targets": [],
             "noisy_runs": sum(1 for r in done if (r.get("cpu_used_by_other_processes") or 0) > system.NOISY_OTHERS)}
    if not done:
        return entry
    entry["median"] = {f: median([r.get(f) for r in done]) for f in FIELDS}
    for name, first in done[0]["views"].items():
        entry["views"][name] = {f: median([r["views"].get(name, {}).get(f) for r in done]) for f in VIEW_FIELDS}
        entry["views"][name]["heavy"] = first["heavy"]
        entry["views"][name]["on_screen"] = any(r["views"].get(name, {}).get("on_screen") for r in done)
    entry["views_never_redrawn"] = sorted({v for r in done for v in r.get("views_never_redrawn", [])})
    entry["targets"] = judge(case, entry["median"], system.mode_name(busy))
    return entry


def measure(quick: bool = False, busy: bool = False) -> dict:
    runs, seconds = (1, 3.0) if quick else (3, 4.0)
    started = time.perf_counter()
    # Retries of a noisy run only within this budget: the section must end in bounded time.
    deadline = started + (60 if quick else 120)
    cases = {}
    with tempfile.TemporaryDirectory(prefix="gdsim-bench-") as folder:
        session, session_error = None, None
        try:
            session = make_session(folder)
        except Exception as e:  # noqa: BLE001 - the other cases still run
            session_error = system.error_text(e)
        for case, spec in CASES.items():
            if spec.settings is None and session is None:
                cases[case] = summarize(case, [], [session_error], busy)
            else:
                cases[case] = measure_case(case, runs, seconds, busy, session if spec.settings is None else None,
                                           deadline)
    return {
        "ok": all(e["runs"] and not e["errors"] for e in cases.values()),
        "section": "window",
        "mode": system.mode_name(busy),
        "seconds_per_run": seconds,
        "repeats": runs,
        "cases": cases,
        "targets": [t for e in cases.values() for t in e["targets"]],
        "elapsed_s": round(time.perf_counter() - started, 1),
    }


def table(result: dict) -> str:
    if "cases" not in result:
        return f"WINDOW FAILED: {result.get('error')}\n{result.get('traceback', '')}"
    head = (f"Window under load (offscreen, {result.get('mode', 'plain')}; median of {result['repeats']} run(s) "
            f"of {result['seconds_per_run']:g} s per case, each in a fresh process)")
    return "\n".join([head, _targets_table(result), "", _views_table(result)] + _notes(result))


def _targets_table(result: dict) -> str:
    """One row per case: each judged figure with PASS or FAIL (the goals are in the header, the
    redraw goal in its cell: it differs by case)."""
    rows = []
    for case, e in result["cases"].items():
        m = e["median"]
        if m is None:
            rows.append([case, "ERROR"] + [""] * 7)
            continue
        t = {x["target"].split(": ", 1)[1]: x for x in e["targets"]}

        def judged(name, shown, t=t):
            return f"{shown} {verdict(t[name]['pass'])}"
        rows.append([
            case + (" !" if e.get("noisy_runs") else ""),
            judged("redraws per second", f"{fmt_rate(m['redraws_per_s'])} ({t['redraws per second']['goal']})"),
            judged("UI delay p99", fmt_ms(m["ui_delay_p99_ms"])),
            judged("UI delay worst", fmt_ms(m["ui_delay_worst_ms"])),
            judged("training app / headless", "-" if m["app_vs_headless"] is None else f"{m['app_vs_headless']:.2f}x"),
            f"{fmt_rate(m['app_steps_per_s'])} / {fmt_rate(m['headless_steps_per_s'])}",
            judged("Pause -> last step", fmt_ms(m["pause_to_last_step_ms"])),
            fmt_ms(m["pause_to_paused_ms"]),
            fmt_ms(m["longest_engine_call_ms"]),
        ])
    return render_table([
        "case", "redraws/s (goal)", f"p99 delay ms (<{UI_DELAY_P99_MS:g})", f"worst ms (<{UI_DELAY_WORST_MS:g})",
        f"app/headless (>={APP_VS_HEADLESS:g}x)", "steps/s app / headless", f"Pause ms (<={PAUSE_MS:g})",
        "->'paused' ms", "longest call ms"], rows)


def _views_table(result: dict) -> str:
    rows = []
    for case, e in result["cases"].items():
        for name, v in e.get("views", {}).items():
            kind = "heavy" if v.get("heavy") else "light"
            if not v.get("on_screen"):  # the run does not show it (the graph view outside chain-rule, micrograd)
                rows.append([case, name, kind, "hidden", "", "", "", ""])
                continue
            share = v["gui_share"]
            rows.append([case, name, kind, fmt_rate(v["draws_per_s"]), fmt_ms(v["ingest_ms_mean"]),
                         fmt_ms(v["draw_ms_mean"]), fmt_ms(v["paint_ms_mean"]),
                         "-" if share is None else f"{100 * share:.1f}%"])
    return ("Each view of MainWindow.views while running (medians): redraws per second; mean ms to take in a "
            "snapshot, to redraw, to paint its canvas; its share of the wall time\n"
            + render_table(["case", "view", "kind", "redraws/s", "ingest ms", "draw ms", "paint ms", "time"], rows,
                           "lllrrrrr"))


def _notes(result: dict) -> list[str]:
    notes = []
    for case, e in result["cases"].items():
        notes += [f"! {case}: {err}" for err in e["errors"]]
        if e.get("views_never_redrawn"):
            notes.append(f"! {case}: never redrawn while running: {', '.join(e['views_never_redrawn'])}")
        if e.get("noisy_runs"):
            notes.append(f"! {case}: other processes kept more than 10% of the CPU busy in {e['noisy_runs']} of "
                         f"{e['repeats']} run(s): suspect")
    return notes


def main(argv=None) -> int:
    return system.section_main("window", measure, table, argv, busy_option=True)


if __name__ == "__main__":
    sys.exit(main())
