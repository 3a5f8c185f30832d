"""gdsim's benchmark suite: one command, a table per section, every figure in benchmarks/results.json.

    uv run python benchmarks/run.py                      # everything: ~6 minutes on a quiet 2-core machine
    uv run python benchmarks/run.py --busy               # window and cold also with a CPU-bound process beside: ~8
    uv run python benchmarks/run.py --quick              # a smoke run, ~2 minutes
    uv run python benchmarks/run.py --only window,cold   # some sections

Sections (each runs in its own process, so one that fails or crashes is reported in
its table and the others still run):

    engine  steps/s (samples/s for digits): gdsim, a hand-written NumPy floor,
            PyTorch's tutorial loop (1 thread and default), micrograd's Value
    window  the window under load, every scenario: redraws/s, UI delay, in-app vs headless,
            Pause -> last step, each view's redraws/s
    long    the loss view's redraw with 1e4..1e6 points; peak memory after 1e6 steps
    timeline  showing a past step of a million-step run: the last checkpoint before it, replayed
    landscape  the training loss over a 101x101 grid of a plane through the weights
    cold    start-up against floors launched beside it: first paint vs a bare PySide6 + pyqtgraph
            window, `gdsim run fruit --steps 1` vs `import numpy`, `gdsim list`/`--help` vs `python -c pass`
    blas    headless training with one BLAS thread and with two, the other core idle or busy

With --busy, the sections that take it (window, cold) are measured twice: plain, then with one
extra CPU-bound process running beside every measurement (its CPU time is ours, so the noise
detector does not count it as another user's).

See benchmarks/README.md for what each figure means and how targets are judged.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import system  # noqa: E402

# name -> (module, timeout in seconds for a full run, takes --busy)
SECTIONS = {
    "engine": ("engine", 420, False),
    "window": ("window", 480, True),
    "long": ("long_runs", 420, False),
    "timeline": ("timeline", 300, False),
    "landscape": ("landscape", 180, False),
    "cold": ("cold_start", 240, True),
    "blas": ("blas_threads", 300, False),
}
QUIET_STDERR = ("This plugin does not support propagateSizeHints()",)


def run_section(name: str, quick: bool, busy: bool) -> dict:
    """Run one section in a fresh process and return its JSON result (or what went wrong).
    ``busy``: a section that takes --busy measures plain, then busy (and has twice the time)."""
    module, timeout, takes_busy = SECTIONS[name]
    both = busy and takes_busy
    timeout *= 2 if both else 1
    cmd = [sys.executable, str(Path(_HERE) / f"{module}.py"), "--json"] + (["--quick"] if quick else [])
    cmd += ["--busy", "both"] if both else []
    env = dict(system.env_without_gdsim(), PYTHONUNBUFFERED="1")  # each section imports gdsim itself
    started = time.perf_counter()
    try:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             cwd=system.REPO, start_new_session=True)
    except OSError as e:
        return {"ok": False, "error": f"could not start {module}.py: {e}"}
    out_chunks: list[str] = []
    reader = threading.Thread(target=lambda: out_chunks.append(p.stdout.read()), daemon=True)
    reader.start()
    timed_out = threading.Event()

    def kill():
        timed_out.set()
        try:
            os.killpg(p.pid, signal.SIGKILL)  # the section and the processes it started
        except (ProcessLookupError, PermissionError):
            pass
    watchdog = threading.Timer(timeout, kill)
    watchdog.start()
    tail: list[str] = []
    try:
        for line in p.stderr:
            line = line.rstrip("\n")
            if not line or any(q in line for q in QUIET_STDERR):
                continue
            tail = (tail + [line])[-12:]
            print(f"  | {line}", flush=True)
        p.wait()
    finally:
        watchdog.cancel()
    reader.join(timeout=10)
    stdout = "".join(out_chunks)
    seconds = round(time.perf_counter() - started, 1)
    if timed_out.is_set():
        return {"ok": False, "error": f"timed out after {timeout} s and was stopped", "stderr_tail": tail,
                "wall_s": seconds}
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"ok": False, "error": f"{module}.py exited {p.returncode} without a result"
                + (": " + " | ".join(tail[-4:]) if tail else ""), "stderr_tail": tail, "wall_s": seconds}
    try:
        result = json.loads(lines[-1])
    except json.JSONDecodeError as e:
        return {"ok": False, "error": f"unreadable result from {module}.py: {e}", "wall_s": seconds}
    result["wall_s"] = seconds
    return result


def render(name: str, result: dict) -> str:
    if "error" in result and "targets" not in result:
        return f"[{name}] FAILED: {result['error']}" + (f"\n{result['traceback']}" if result.get("traceback") else "")
    try:
        module = importlib.import_module(SECTIONS[name][0])
        return system.render_modes(module.table, result)
    except Exception as e:  # noqa: BLE001 - a table that cannot be drawn must not lose the others
        return f"[{name}] could not draw the table: {system.error_text(e)}\n{json.dumps(result)[:2000]}"


def summary(sections: dict) -> str:
    rows = []
    for name, result in sections.items():
        for t in result.get("targets", []):
            v = t["value"]
            if v is None:
                shown = "-"
            elif t.get("unit") == "x":
                shown = f"{v:.2f}x"
            elif isinstance(v, float):
                shown = f"{v:.3g} {t.get('unit', '')}".strip()
            else:
                shown = f"{v} {t.get('unit', '')}".strip()
            busy = " [busy]" if t.get("mode") == "busy" else ""
            rows.append([t["target"] + busy, shown, t["goal"], system.verdict(t["pass"])])
        if not result.get("targets") and "error" in result:
            rows.append([f"{name}: section failed", "-", "-", "ERROR"])
    counts = {k: sum(1 for r in rows if r[3] == k) for k in ("PASS", "FAIL", "n/a", "ERROR")}
    text = system.render_table(["target", "measured", "goal", ""], rows, "lrrl")
    return text + "\n" + ", ".join(f"{v} {k}" for k, v in counts.items() if v)


def run_and_show(name: str, quick: bool, busy: bool) -> dict:
    """One section: run it, print its table and how busy other processes kept the machine meanwhile."""
    print(f"== {name} ==", flush=True)
    busy_before = system.cpu_busy(0.3)
    others = system.OtherLoad().start()  # our sections, their children and spinners are ours, not others'
    result = run_section(name, quick, busy)
    other_busy = others.stop()
    result["cpu_busy_before"] = busy_before
    result["cpu_used_by_other_processes"] = other_busy
    print()
    print(render(name, result))
    noisy = (busy_before or 0) > 0.25 or (other_busy or 0) > system.NOISY_OTHERS
    print(f"({name}: {result.get('wall_s', '?')} s; other processes kept {system._pct(other_busy)} of the CPU "
          f"busy meanwhile, {system._pct(busy_before)} just before"
          + (" -- NOISY: rerun on a quiet machine" if noisy else "") + ")\n", flush=True)
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="gdsim's benchmark suite (see benchmarks/README.md).")
    p.add_argument("--quick", action="store_true", help="a fast smoke run: fewer and shorter repeats, no soak")
    p.add_argument("--busy", action="store_true",
                   help="measure window and cold twice: plain, then with one extra CPU-bound process beside them")
    p.add_argument("--only", default=",".join(SECTIONS),
                   help=f"comma-separated sections to run, from {','.join(SECTIONS)} (default: all)")
    p.add_argument("--output", default=str(Path(_HERE) / "results.json"), help="where to write the JSON")
    args = p.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown or not chosen:
        p.error(f"unknown section(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(SECTIONS)}")

    started = time.perf_counter()
    command = "uv run python benchmarks/run.py" + (" " + shlex.join(argv if argv is not None else sys.argv[1:])
                                                   if (argv if argv is not None else sys.argv[1:]) else "")
    try:
        header = system.header()
    except Exception as e:  # noqa: BLE001
        header = {"error": system.error_text(e)}
    print(f"gdsim benchmarks{' (--quick)' if args.quick else ''}{' (--busy)' if args.busy else ''}: {command}")
    for line in system.header_lines(header) if "error" not in header else [f"header: {header['error']}"]:
        print("  " + line)
    print(flush=True)

    sections = {}
    with system.bytecode_cache():  # one bytecode cache for every section's processes
        for name in chosen:
            sections[name] = run_and_show(name, args.quick, args.busy)

    elapsed = round(time.perf_counter() - started, 1)
    print("== targets ==")
    print(summary(sections))
    print(f"\ntotal {elapsed} s; figures written to {args.output}")

    header_end = {"load_average": system.load_average(), "cpu_busy": system.cpu_busy(0.3)}
    doc = {
        "command": command,
        "end": header_end,
        "quick": args.quick,
        "busy": args.busy,
        "header": header,
        "sections": sections,
        "targets": [dict(t, section=n) for n, r in sections.items() for t in r.get("targets", [])],
        "elapsed_s": elapsed,
    }
    out = Path(args.output)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1, default=system._json_default) + "\n")
    tmp.replace(out)
    return 0 if all(r.get("ok", False) for r in sections.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
