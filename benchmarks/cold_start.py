"""Cold start: launching the window, and a one-step headless run.

(a) First paint: ``python -m gdsim`` with ``QT_QPA_PLATFORM=offscreen`` and
    ``GDSIM_EXIT_AFTER_FIRST_PAINT=1``; the app prints ``gdsim: first paint at <time.time()>``
    on stderr and quits. The figure is that time minus ``time.time()`` taken just before
    the process is started. Target: within 1.0 s.
(b) ``python -m gdsim run fruit --steps 1 --quiet``: wall time from start to exit.
    Target: within 0.5 s. And, in a separate process running the same command, the
    list of Qt modules (PySide6, shiboken6, pyqtgraph) it imported: must be empty.

Each figure is the median of several launches (5; 3 with ``--quick``) after one
uncounted warm-up launch (which fills the OS file cache).

    uv run python benchmarks/cold_start.py [--quick] [--json]
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import system  # noqa: E402
from system import log, median, render_table, target, verdict  # noqa: E402

PAINT_RE = re.compile(r"gdsim: first paint at ([0-9.]+)")
RUN_ARGS = ["run", "fruit", "--steps", "1", "--quiet"]
QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")

IMPORT_PROBE = """
import json, runpy, sys
sys.argv = ["gdsim", *{args!r}]
try:
    runpy.run_module("gdsim", run_name="__main__", alter_sys=True)
except SystemExit as e:
    code = e.code
else:
    code = 0
qt = sorted(m for m in sys.modules if m.split(".")[0] in {qt!r})
print(json.dumps({{"exit": code, "qt_modules": qt}}))
"""


def first_paint_once(timeout: float = 60.0) -> dict:
    env = dict(system.env_without_gdsim(), QT_QPA_PLATFORM="offscreen", GDSIM_EXIT_AFTER_FIRST_PAINT="1")
    t0 = time.time()
    p = subprocess.Popen([sys.executable, "-m", "gdsim"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, env=env, cwd=system.REPO)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise RuntimeError(f"the app did not paint and exit within {timeout:.0f} s") from None
    exited = time.time() - t0
    m = PAINT_RE.search(err)
    if not m:
        tail = " | ".join(err.strip().splitlines()[-3:]) or "(no stderr)"
        raise RuntimeError(f"no 'gdsim: first paint at' line (exit {p.returncode}): {tail}")
    return {"first_paint_s": float(m.group(1)) - t0, "exit_s": exited, "returncode": p.returncode}


def run_once(timeout: float = 60.0) -> dict:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "gdsim", *RUN_ARGS], capture_output=True, text=True,
                       timeout=timeout, cwd=system.REPO, env=system.env_without_gdsim())
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"gdsim {' '.join(RUN_ARGS)} exited {p.returncode}: {p.stderr.strip()[-300:]}")
    return {"wall_s": wall}


def qt_imports_of_run() -> dict:
    code = IMPORT_PROBE.format(args=RUN_ARGS, qt=QT_MODULES)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=system.REPO,
                       env=system.env_without_gdsim())
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        raise RuntimeError(f"import probe exited {p.returncode}: {p.stderr.strip()[-300:]}")
    return json.loads(lines[-1])


def measure(quick: bool = False) -> dict:
    repeats = 3 if quick else 5
    started = time.perf_counter()
    result = {"section": "cold", "repeats": repeats, "errors": []}

    log(f"cold: launching the window {repeats + 1} times ...")
    try:
        warm = first_paint_once()
        runs, others, attempts = system.quietest(lambda: [first_paint_once() for _ in range(repeats)],
                                                 tries=2, what="cold first paint")
        result["first_paint"] = {"median_s": median([r["first_paint_s"] for r in runs]),
                                 "runs_s": [r["first_paint_s"] for r in runs],
                                 "exit_median_s": median([r["exit_s"] for r in runs]),
                                 "warmup_s": warm["first_paint_s"], "repeats": len(runs),
                                 "cpu_used_by_other_processes": others, "attempts": attempts}
    except Exception as e:  # noqa: BLE001
        result["first_paint"] = None
        result["errors"].append(f"first paint: {system.error_text(e)}")

    log(f"cold: gdsim {' '.join(RUN_ARGS)}, {repeats + 1} times ...")
    try:
        warm = run_once()
        runs, others, attempts = system.quietest(lambda: [run_once()["wall_s"] for _ in range(repeats)],
                                                 tries=2, what="cold gdsim run")
        result["run"] = {"median_s": median(runs), "runs_s": runs, "warmup_s": warm["wall_s"], "repeats": len(runs),
                         "cpu_used_by_other_processes": others, "attempts": attempts}
    except Exception as e:  # noqa: BLE001
        result["run"] = None
        result["errors"].append(f"gdsim run: {system.error_text(e)}")

    try:
        result["run_imports"] = qt_imports_of_run()
    except Exception as e:  # noqa: BLE001
        result["run_imports"] = None
        result["errors"].append(f"import probe: {system.error_text(e)}")

    fp = (result["first_paint"] or {}).get("median_s")
    rn = (result["run"] or {}).get("median_s")
    qt = (result["run_imports"] or {}).get("qt_modules")
    result["targets"] = [
        target("cold: first painted window", fp, "<= 1.0 s", None if fp is None else fp <= 1.0, "s"),
        target(f"cold: gdsim {' '.join(RUN_ARGS[:4])}", rn, "<= 0.5 s", None if rn is None else rn <= 0.5, "s"),
        target(f"cold: gdsim {' '.join(RUN_ARGS[:4])} imports no Qt", None if qt is None else len(qt),
               "0 Qt modules", None if qt is None else not qt, "modules"),
    ]
    result["ok"] = not result["errors"]
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    return result


def table(result: dict) -> str:
    if "targets" not in result:
        return f"COLD START FAILED: {result.get('error')}\n{result.get('traceback', '')}"
    fp, rn, imp = result.get("first_paint"), result.get("run"), result.get("run_imports")
    t = result["targets"]
    rows = [
        ["launch -> first painted window (offscreen)",
         "-" if not fp else f"{fp['median_s']:.3f} s", "<= 1.0 s", verdict(t[0]["pass"]),
         "-" if not fp else f"warm-up {fp['warmup_s']:.3f} s; process exit {fp['exit_median_s']:.3f} s"],
        [f"gdsim {' '.join(RUN_ARGS)}", "-" if not rn else f"{rn['median_s']:.3f} s", "<= 0.5 s",
         verdict(t[1]["pass"]), "-" if not rn else f"warm-up {rn['warmup_s']:.3f} s"],
        ["  ... Qt modules it imports", "-" if imp is None else str(len(imp["qt_modules"])), "0",
         verdict(t[2]["pass"]), "" if not imp or not imp["qt_modules"] else ", ".join(imp["qt_modules"][:5])],
    ]
    for row, part in zip(rows, (fp, rn)):
        if part and (part.get("cpu_used_by_other_processes") or 0) > system.NOISY_OTHERS:
            row[0] += " !"
            row[4] += f"; others busy {part['cpu_used_by_other_processes']:.0%}: suspect"
    lines = [f"Cold start (median of {result['repeats']} launches after a warm-up)",
             render_table(["what", "time", "target", "", "notes"], rows, "lrrll")]
    lines += [f"! {e}" for e in result.get("errors", [])]
    return "\n".join(lines)


def main(argv=None) -> int:
    return system.section_main("cold", measure, table, argv)


if __name__ == "__main__":
    sys.exit(main())
