"""Cold start: each launch as a ratio to its floor, launched side by side in the same run.

Every comparison launches a floor and gdsim alternately (floor, gdsim, floor, gdsim, ...),
after one uncounted warm-up launch of each, with the same interpreter (``sys.executable``),
environment and working folder. gdsim is launched as a person's ``gdsim`` command runs: the
console script installed beside the interpreter (``-m gdsim`` where there is none). The
figure judged is the median of the per-pair ratios gdsim / floor (each pair launched back to
back, so the machine's drift cancels); the median times are printed for information.

(a) First paint: ``gdsim`` with ``QT_QPA_PLATFORM=offscreen`` and
    ``GDSIM_EXIT_AFTER_FIRST_PAINT=1`` (the app prints ``gdsim: first paint at <time.time()>``
    on stderr and quits), against benchmarks/bare_window.py: a bare PySide6 + pyqtgraph window
    with one plot and a status line that prints the same line at its first paint. Time = that
    time minus ``time.time()`` just before the process is started. Target: <= 1.15x the floor.
(b) ``gdsim run fruit --steps 1 --quiet`` against ``python -c "import numpy"``, wall time from
    start to exit. Target: <= 1.3x.
(c) ``gdsim list`` and ``gdsim --help`` against ``python -c pass`` (the interpreter's own
    start-up is in both). Target: <= 1.2x each.

Floors that load NumPy (a, b) load it as gdsim does, with one BLAS thread (gdsim/__init__.py
sets it before NumPy loads): OpenBLAS starting a thread per core costs little on an idle
machine but 50-90 ms on a 2-core one whose other core is busy, which gdsim never pays. (b)
against ``python -c "import numpy"`` with the default threads is shown too, for information.

Every launch reads compiled bytecode from a cache, as an installed app does after its first
start (``system.bytecode_cache``: a private cache, filled by the warm-up launches, even where
PYTHONDONTWRITEBYTECODE is set).

And, each in a separate probe process running the same command through ``runpy``: (b)
imports no Qt module (PySide6, shiboken6, pyqtgraph), (c) imports no NumPy.

Repeats: 5 pairs for the window, 7 for the commands (3 each with ``--quick``). A batch of
pairs taken while other processes kept the CPU busy is taken again (once). With ``--busy``
a CPU-bound process runs beside every launch, floors and gdsim alike; ``--busy both``
measures plain, then busy.

    uv run python benchmarks/cold_start.py [--quick] [--busy [both]] [--json]
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import system  # noqa: E402
from system import log, median, render_table, target, verdict  # noqa: E402

PAINT_RE = re.compile(r"(?:gdsim|bare): first paint at ([0-9.]+)")
RUN_ARGS = ["run", "fruit", "--steps", "1", "--quiet"]
QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")
NUMPY_MODULES = ("numpy",)
BARE_WINDOW = str(Path(_HERE) / "bare_window.py")
# gdsim/__init__.py gives NumPy's BLAS one thread before NumPy loads (unless the user chose).
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}


def gdsim_command() -> list[str]:
    """What a person's ``gdsim`` runs: the console script beside the interpreter (run with that
    interpreter), or ``-m gdsim`` where there is none (runpy adds a few ms of its own)."""
    script = Path(sys.executable).with_name("gdsim")
    return [str(script)] if script.is_file() else ["-m", "gdsim"]


GDSIM = gdsim_command()


@dataclass(frozen=True)
class Comparison:
    label: str
    floor_label: str
    floor_argv: list
    gdsim_argv: list
    timing: str  # "paint": to the first-paint line on stderr; "exit": wall time to exit
    goal: float | None  # gdsim / floor at most (None: shown for information, not judged)
    floor_env: dict = field(default_factory=dict)  # on top of the environment every launch gets


COMPARISONS = {
    "first_paint": Comparison("gdsim (first painted window, offscreen)", "bare PySide6 + pyqtgraph window",
                              [BARE_WINDOW], GDSIM, "paint", 1.15, ONE_BLAS_THREAD),
    "run": Comparison(f"gdsim {' '.join(RUN_ARGS)}", 'python -c "import numpy", one BLAS thread as gdsim',
                      ["-c", "import numpy"], [*GDSIM, *RUN_ARGS], "exit", 1.3, ONE_BLAS_THREAD),
    "run_default_blas": Comparison(f"gdsim {' '.join(RUN_ARGS)}", 'python -c "import numpy", default BLAS threads',
                                   ["-c", "import numpy"], [*GDSIM, *RUN_ARGS], "exit", None),
    "list": Comparison("gdsim list", "python -c pass", ["-c", "pass"], [*GDSIM, "list"], "exit", 1.2),
    "help": Comparison("gdsim --help", "python -c pass", ["-c", "pass"], [*GDSIM, "--help"], "exit", 1.2),
}
# key -> (command-line arguments after `gdsim`, module families it must not import, their name)
IMPORT_CHECKS = {
    "run": (RUN_ARGS, QT_MODULES, "Qt"),
    "list": (["list"], NUMPY_MODULES, "NumPy"),
    "help": (["--help"], NUMPY_MODULES, "NumPy"),
}

IMPORT_PROBE = """
import contextlib, io, json, runpy, sys
sys.argv = ["gdsim", *{args!r}]
out = io.StringIO()
try:
    with contextlib.redirect_stdout(out):
        runpy.run_module("gdsim", run_name="__main__", alter_sys=True)
except SystemExit as e:
    code = e.code
else:
    code = 0
found = sorted(m for m in sys.modules if m.split(".")[0] in {families!r})
print(json.dumps({{"exit": code, "modules": found}}))
"""


def launch(argv: list[str], timing: str, extra_env: dict, timeout: float = 60.0) -> float:
    """Seconds from just before ``python argv`` is started to its first paint ("paint") or its exit ("exit")."""
    env = dict(system.env_without_gdsim(), QT_QPA_PLATFORM="offscreen", GDSIM_EXIT_AFTER_FIRST_PAINT="1",
               **extra_env)
    t0_wall, t0 = time.time(), time.perf_counter()
    p = subprocess.Popen([sys.executable, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, text=True, env=env, cwd=system.REPO, **system.child_kwargs())
    try:
        _, err = p.communicate(timeout=timeout)
    except BaseException:
        p.kill()
        p.communicate()
        raise
    wall = time.perf_counter() - t0
    tail = " | ".join(err.strip().splitlines()[-3:]) or "(no stderr)"
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}: {tail}")
    if timing == "exit":
        return wall
    m = PAINT_RE.search(err)
    if not m:
        raise RuntimeError(f"{' '.join(argv)}: no 'first paint at' line: {tail}")
    return float(m.group(1)) - t0_wall


def compare(key: str, pairs: int, tries: int, busy: bool) -> dict:
    """A warm-up launch of each, then ``pairs`` launches of floor and gdsim, alternating."""
    c = COMPARISONS[key]
    log(f"cold: {c.label} against {c.floor_label}, {pairs + 1} pairs{' (busy)' if busy else ''} ...")

    def floor():
        return launch(c.floor_argv, c.timing, c.floor_env)

    def gdsim():
        return launch(c.gdsim_argv, c.timing, {})

    def batch():
        with system.maybe_spinning(busy):
            warm = (floor(), gdsim())  # also compiles each side's bytecode into the cache
            floors, gdsims = [], []
            for _ in range(pairs):
                floors.append(floor())
                gdsims.append(gdsim())
        return warm, floors, gdsims

    (warm, floors, gdsims), others, attempts = system.quietest(batch, tries=tries, what=f"cold {key}")
    ratios = [g / f for f, g in zip(floors, gdsims) if f > 0]
    return {"label": c.label, "floor_label": c.floor_label, "timing": c.timing, "goal": c.goal,
            "floor_median_s": median(floors), "gdsim_median_s": median(gdsims), "ratio": median(ratios),
            "ratios": ratios, "floor_s": floors, "gdsim_s": gdsims, "warmup_s": {"floor": warm[0], "gdsim": warm[1]},
            "repeats": len(ratios), "cpu_used_by_other_processes": others, "attempts": attempts}


def imports_of(args: list[str], families: tuple[str, ...]) -> dict:
    code = IMPORT_PROBE.format(args=args, families=families)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=system.REPO,
                       env=system.env_without_gdsim(), **system.child_kwargs())
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        raise RuntimeError(f"import probe exited {p.returncode}: {p.stderr.strip()[-300:]}")
    return json.loads(lines[-1])


def comparison_target(key: str, c: dict | None) -> dict:
    comp = COMPARISONS[key]
    r = None if c is None else c["ratio"]
    if comp.goal is None:
        return target(f"cold: {comp.label} vs {comp.floor_label}", r, "for information", None, "x")
    return target(f"cold: {comp.label} vs {comp.floor_label}", r, f"<= {comp.goal:g}x",
                  None if r is None else r <= comp.goal, "x")


def import_target(key: str, imp: dict | None) -> dict:
    args, _, family = IMPORT_CHECKS[key]
    found = None if imp is None else imp["modules"]
    return target(f"cold: gdsim {' '.join(args[:4])} imports no {family}", None if found is None else len(found),
                  f"0 {family} modules", None if found is None else not found, "modules")


def measure(quick: bool = False, busy: bool = False) -> dict:
    window_pairs, command_pairs = (3, 3) if quick else (5, 7)
    tries = 1 if quick else 2
    started = time.perf_counter()
    result = {"section": "cold", "mode": system.mode_name(busy), "gdsim_command": GDSIM, "comparisons": {},
              "imports": {}, "errors": []}
    for key in COMPARISONS:
        try:
            result["comparisons"][key] = compare(key, window_pairs if key == "first_paint" else command_pairs,
                                                 tries, busy)
        except Exception as e:  # noqa: BLE001 - one comparison failing must not lose the others
            result["comparisons"][key] = None
            result["errors"].append(f"{COMPARISONS[key].label}: {system.error_text(e)}")
            log(f"cold: {key} failed: {result['errors'][-1]}")
    for key, (args, families, _) in IMPORT_CHECKS.items():
        try:
            result["imports"][key] = imports_of(args, families)
        except Exception as e:  # noqa: BLE001
            result["imports"][key] = None
            result["errors"].append(f"import probe for gdsim {' '.join(args)}: {system.error_text(e)}")
    judged = [comparison_target(k, c) for k, c in result["comparisons"].items()]
    result["info"] = [t for t in judged if t["goal"] == "for information"]
    result["targets"] = [t for t in judged if t["goal"] != "for information"]
    result["targets"] += [import_target(k, imp) for k, imp in result["imports"].items()]
    result["ok"] = not result["errors"]
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    return result


def table(result: dict) -> str:
    if "targets" not in result:
        return f"COLD START FAILED: {result.get('error')}\n{result.get('traceback', '')}"
    by_name = {t["target"]: t for t in result["targets"] + result.get("info", [])}
    rows = []
    for key, c in result["comparisons"].items():
        comp = COMPARISONS[key]
        t = by_name[f"cold: {comp.label} vs {comp.floor_label}"]
        shown = "-" if t["pass"] is None and comp.goal is None else verdict(t["pass"])
        if not c:
            rows.append([comp.label, comp.floor_label, "-", "-", "-", t["goal"], "ERROR"])
            continue
        noisy = (c.get("cpu_used_by_other_processes") or 0) > system.NOISY_OTHERS
        rows.append([comp.label + (" !" if noisy else ""), comp.floor_label, f"{c['gdsim_median_s']:.3f}",
                     f"{c['floor_median_s']:.3f}", f"{c['ratio']:.2f}x", t["goal"], shown])
    lines = [f"Cold start: gdsim ({' '.join(result.get('gdsim_command', GDSIM))}) against its floor, launched "
             f"alternately (median of {_pairs(result)} pairs after a warm-up; ratio = median of the per-pair "
             "ratios; times for information)",
             render_table(["gdsim", "floor", "gdsim s", "floor s", "gdsim/floor", "target", ""], rows, "llrrrrl")]
    rows = []
    for key, (args, _, family) in IMPORT_CHECKS.items():
        imp = result["imports"].get(key)
        t = by_name[f"cold: gdsim {' '.join(args[:4])} imports no {family}"]
        rows.append([f"gdsim {' '.join(args)}", f"no {family}", "-" if imp is None else str(len(imp["modules"])),
                     verdict(t["pass"]), "" if not imp or not imp["modules"] else ", ".join(imp["modules"][:5])])
    lines.append(render_table(["import probe", "must import", "found", "", "modules"], rows, "llrll"))
    noisy = [k for k, c in result["comparisons"].items()
             if c and (c.get("cpu_used_by_other_processes") or 0) > system.NOISY_OTHERS]
    if noisy:
        lines.append("! other processes kept more than 10% of the CPU busy while " + ", ".join(noisy)
                     + " launched (even after retrying): suspect")
    lines += [f"! {e}" for e in result.get("errors", [])]
    return "\n".join(lines)


def _pairs(result: dict) -> str:
    counts = sorted({c["repeats"] for c in result["comparisons"].values() if c})
    return "/".join(str(n) for n in counts) or "?"


def main(argv=None) -> int:
    return system.section_main("cold", measure, table, argv, busy_option=True)


if __name__ == "__main__":
    sys.exit(main())
