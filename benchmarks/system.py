"""What every benchmark shares.

- ``header()``: the machine and the software the figures were measured with (core count, CPU,
  Python, NumPy, BLAS and its threads, PySide6/Qt, pyqtgraph, torch, date).
- ``OtherLoad`` and ``quietest``: how much CPU other processes used while ours ran, and taking
  a measurement again when they were busy.
- ``Spinner``: the deliberate second user of ``--busy``, one CPU-bound process of ours.
- ``bytecode_cache``: child processes read compiled bytecode from a cache, as installed apps do.
- ``median`` and ``calibrate``: the timing rules (a rate is the median of several repeats, each
  long enough to be measured reliably); tables, targets, and ``section_main``, the command
  line every section shares.

Importing this module has no side effects.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent

# The environment before gdsim was imported: importing gdsim sets OPENBLAS_NUM_THREADS,
# MKL_NUM_THREADS and VECLIB_MAXIMUM_THREADS to 1 unless the user set them (for the window and
# headless runs alike), and PyTorch reads MKL_NUM_THREADS for its default.
ENV_BEFORE_GDSIM = dict(os.environ) if "gdsim" not in sys.modules else None
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "OMP_NUM_THREADS")


def gdsim_first() -> None:
    """Import gdsim before NumPy, as the app and the CLI do.

    Every benchmark process calls this before anything imports NumPy, so gdsim runs with the
    BLAS set-up it has in real use (one thread).
    """
    if "numpy" in sys.modules and "gdsim" not in sys.modules:
        log("warning: NumPy was imported before gdsim: its BLAS threads may differ from the app's")
    import gdsim  # noqa: F401


def env_without_gdsim() -> dict:
    """os.environ without the thread settings gdsim added (those the user set are kept)."""
    env = dict(os.environ)
    before = ENV_BEFORE_GDSIM if ENV_BEFORE_GDSIM is not None else {}
    for var in THREAD_VARS:
        if var in before:
            env[var] = before[var]
        elif ENV_BEFORE_GDSIM is not None:
            env.pop(var, None)
    return env


PYCACHE_MARK = "GDSIM_BENCH_PYCACHE"  # set while a bytecode_cache() block of ours is in force


@contextlib.contextmanager
def bytecode_cache():
    """While the block lasts, child processes keep compiled bytecode in a private folder.

    An installed app reads its modules' bytecode from a cache after its first start. Where
    PYTHONDONTWRITEBYTECODE is set (CI and sandbox machines often set it) none is ever written,
    and every launch compiles NumPy, pyqtgraph and gdsim from source: start-up figures would
    measure the compiler, floors and gdsim alike. So children get PYTHONPYCACHEPREFIX (a folder
    of ours, removed afterwards: nothing is written beside the sources) and no
    PYTHONDONTWRITEBYTECODE. A block inside another (a section run by run.py) reuses its folder.
    """
    if os.environ.get(PYCACHE_MARK):
        yield os.environ[PYCACHE_MARK]
        return
    names = ("PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE", PYCACHE_MARK)
    saved = {k: os.environ.get(k) for k in names}
    folder = tempfile.mkdtemp(prefix="gdsim-bench-pycache-")
    os.environ.update({"PYTHONPYCACHEPREFIX": folder, PYCACHE_MARK: folder})
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        yield folder
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(folder, ignore_errors=True)


# ----- the machine ---------------------------------------------------------------------------------

def cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def core_count() -> dict:
    usable = None
    if hasattr(os, "sched_getaffinity"):
        try:
            usable = len(os.sched_getaffinity(0))
        except OSError:
            pass
    return {"logical": os.cpu_count(), "usable": usable}


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def blas_info() -> list[dict]:
    """The BLAS libraries NumPy loaded, with their thread counts (threadpoolctl)."""
    import numpy  # noqa: F401  (load NumPy's BLAS so threadpoolctl sees it)

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"error": "threadpoolctl not installed (uv sync installs it with the dev group)"}]
    keep = ("user_api", "internal_api", "version", "num_threads", "threading_layer", "architecture")
    return [{k: lib.get(k) for k in keep} for lib in threadpool_info()]


def torch_version() -> str:
    """torch's version if its distribution is installed (not imported here: importing takes seconds)."""
    return _version("torch") or "not installed"


def load_average():
    """The 1, 5 and 15 minute load averages: other busy processes make every figure noisier."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def _cpu_times():
    with open("/proc/stat") as f:
        fields = [float(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return sum(fields), idle


def cpu_busy(seconds: float = 0.5):
    """Fraction of all cores busy over ``seconds`` (Linux /proc/stat), before anything of ours runs."""
    try:
        total0, idle0 = _cpu_times()
        time.sleep(seconds)
        total1, idle1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    dt = total1 - total0
    return round(1.0 - (idle1 - idle0) / dt, 3) if dt > 0 else None


class OtherLoad:
    """How much CPU other processes used while ours ran: the machine's busy time (/proc/stat)
    minus our own CPU time (this process, if ``include_self``, and its finished child
    processes and theirs), as a fraction of all cores over the wall time.

    ``start()`` before the work, ``stop()`` after it (and after any child was waited for).
    """

    def __init__(self, include_self: bool = False):
        self.include_self = include_self

    def _ours(self) -> float:
        import resource

        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = r.ru_utime + r.ru_stime
        if self.include_self:
            r = resource.getrusage(resource.RUSAGE_SELF)
            cpu += r.ru_utime + r.ru_stime
        return cpu

    def start(self) -> "OtherLoad":
        self._wall = time.perf_counter()
        self._cpu = self._ours()
        try:
            total, idle = _cpu_times()
            self._busy = (total - idle) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            self._busy = None
        return self

    def stop(self):
        """Fraction of all cores that other processes kept busy (None where unknown)."""
        if self._busy is None:
            return None
        wall = time.perf_counter() - self._wall
        ours = self._ours() - self._cpu
        try:
            total, idle = _cpu_times()
            busy = (total - idle) / os.sysconf("SC_CLK_TCK") - self._busy
        except (OSError, ValueError, IndexError):
            return None
        cores = os.cpu_count() or 1
        return round(max(0.0, busy - ours) / (wall * cores), 3) if wall > 0 else None


NOISY_OTHERS = 0.10  # other processes used more than this share of the machine: the figure is suspect


def suspect_lines(cases: dict) -> list[str]:
    """A line for each case that others kept the machine busy during (its figures are suspect)."""
    return [f"! {case}: other processes kept {r['cpu_used_by_other_processes']:.0%} of the CPU busy meanwhile: "
            f"suspect" for case, r in cases.items() if (r.get("cpu_used_by_other_processes") or 0) > NOISY_OTHERS]


# ----- the deliberate second user (--busy) -----------------------------------------------------------

# A plain CPU-bound Python process: what a second program on a 2-core laptop does to the window.
# It asks Linux to kill it when its parent dies (PR_SET_PDEATHSIG), and quits at once if its
# parent is already gone, so a benchmark killed hard never leaves it spinning.
SPINNER_CODE = """
import ctypes, os, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG = 1, SIGKILL = 9
except Exception:
    pass
if os.getppid() != {parent}:
    sys.exit(0)
while True:
    pass
"""


class Spinner:
    """One extra process spinning on a core for as long as the ``with`` block lasts.

    Started by this process and killed and reaped (``stop``) before the block is left, also on
    an exception or Ctrl+C, so its CPU time is ours in ``OtherLoad`` (``RUSAGE_CHILDREN``): the
    noise detector never mistakes our own deliberate load for another user's.
    """

    def __init__(self, settle_s: float = 0.2):
        self.proc = None
        self.settle_s = settle_s

    def start(self) -> "Spinner":
        import subprocess

        self.proc = subprocess.Popen([sys.executable, "-c", SPINNER_CODE.format(parent=os.getpid())],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=env_without_gdsim())
        _LIVE_SPINNERS.add(self)
        time.sleep(self.settle_s)  # its interpreter has started and it spins
        return self

    def stop(self) -> None:
        p, self.proc = self.proc, None
        _LIVE_SPINNERS.discard(self)
        if p is None:
            return
        try:
            if p.poll() is None:
                p.kill()
        finally:
            p.wait()

    @property
    def pid(self):
        return None if self.proc is None else self.proc.pid

    def __enter__(self) -> "Spinner":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


_LIVE_SPINNERS: set = set()


def stop_spinners() -> None:
    """Kill every spinner this process started and has not stopped yet (exit paths, signals)."""
    for s in list(_LIVE_SPINNERS):
        try:
            s.stop()
        except Exception:  # noqa: BLE001 - on the way out; nothing more to do
            pass


def maybe_spinning(busy: bool):
    """A ``Spinner`` when ``busy``, else a context that does nothing."""
    return Spinner() if busy else contextlib.nullcontext()


def mode_name(busy: bool) -> str:
    return "busy" if busy else "plain"


def quietest(measure, tries: int = 3, what: str = "", deadline: float | None = None):
    """Run ``measure()`` until other processes stayed (nearly) idle meanwhile, at most ``tries`` times.

    On a 2-core machine one busy neighbour halves a single-threaded rate and can stall
    multi-threaded BLAS and PyTorch altogether; so a measurement taken while others were
    busy is taken again, and the quietest attempt is kept. Returns (result, others, attempts),
    ``others`` being the share of the machine other processes used during the kept attempt.
    A ``Spinner`` that ``measure()`` starts and stops (or a child process that does) is ours:
    its CPU time is never counted as another process's.
    """
    best = None
    for attempt in range(1, tries + 1):
        load = OtherLoad(include_self=True).start()
        result = measure()
        others = load.stop()
        if best is None or (others is not None and (best[1] is None or others < best[1])):
            best = (result, others)
        if others is None or others <= NOISY_OTHERS:
            break
        if deadline is not None and time.perf_counter() > deadline:
            log(f"{what}: other processes used {100 * others:.0f}% of the CPU meanwhile; no time to measure again")
            break
        if attempt < tries:
            log(f"{what}: other processes used {100 * others:.0f}% of the CPU meanwhile; measuring again")
    return best[0], best[1], attempt


def header() -> dict:
    gdsim_first()
    import numpy

    info = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cores": core_count(),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "blas": blas_info(),  # as gdsim sets it up (gdsim is imported first)
        "thread_env": {v: os.environ.get(v) for v in THREAD_VARS},
        "pyside6": _version("PySide6-Essentials") or _version("PySide6"),
        "qt": None,
        "pyqtgraph": _version("pyqtgraph"),
        "torch": torch_version(),
        "load_average": load_average(),
        "cpu_busy_before": cpu_busy(),
    }
    try:
        from PySide6.QtCore import qVersion  # QtCore only: no GUI is started

        info["qt"] = qVersion()
    except Exception as e:  # noqa: BLE001 - the header must never fail
        info["qt"] = f"unavailable ({e})"
    return info


def header_lines(h: dict) -> list[str]:
    cores = h.get("cores") or {}
    blas = "; ".join(
        f"{b.get('internal_api')} {b.get('version')} ({b.get('num_threads')} threads, {b.get('architecture')})"
        if "error" not in b else b["error"] for b in h.get("blas") or []) or "none found"
    return [
        f"date       {h.get('date')}",
        f"machine    {cores.get('logical')} cores ({cores.get('usable')} usable), CPU {h.get('cpu') or 'unknown'}",
        f"python     {h.get('python')} on {h.get('platform')}",
        f"numpy      {h.get('numpy')}, BLAS {blas}",
        f"qt         PySide6 {h.get('pyside6')}, Qt {h.get('qt')}, pyqtgraph {h.get('pyqtgraph')}",
        f"torch      {h.get('torch')}",
        f"load       {_pct(h.get('cpu_busy_before'))} of the CPU busy just before the run; load average "
        f"{h.get('load_average')}" + (" -- OTHER PROCESSES ARE BUSY: figures will be noisy" if busy(h) else ""),
    ]


def _pct(x) -> str:
    return "?" if x is None else f"{100 * x:.0f}%"


def busy(h: dict) -> bool:
    """More than a quarter of the machine was busy before we started."""
    b = h.get("cpu_busy_before")
    return b is not None and b > 0.25


# ----- timing ----------------------------------------------------------------------------------------

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def calibrate(run, target_s: float, start: int = 10, limit: int = 10_000_000, min_n: int = 1) -> int:
    """How many iterations make ``run(n)`` (which returns seconds) last about ``target_s``.

    Grows ``n`` from ``start`` until a run lasts long enough to extrapolate from; never
    returns less than ``min_n`` (one slow outlier must not leave a repeat of 3 steps).
    """
    n = max(1, start)
    while True:
        elapsed = run(n)
        if elapsed >= target_s / 4 or n >= limit:
            break
        n *= 2 if elapsed <= 0 else min(16, max(2, int(target_s / 4 / elapsed) + 1))
    rate = n / elapsed if elapsed > 0 else float(limit)
    return int(max(1, min_n, min(limit, round(rate * target_s))))


def stopwatch(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


# ----- formatting ------------------------------------------------------------------------------------

def fmt_rate(x) -> str:
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_ratio(x) -> str:
    return "-" if x is None else f"{x:.2f}x"


def fmt_ms(x) -> str:
    return "-" if x is None else f"{x:.1f}"


def verdict(ok) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def render_table(columns: list[str], rows: list[list], align: str | None = None) -> str:
    """A plain text table; ``align`` is one letter per column, l or r (default: first l, rest r)."""
    cells = [[str(c) for c in columns]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    align = align or "l" + "r" * (len(columns) - 1)

    def line(r):
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(r, widths, align)).rstrip()

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def target(name: str, value, goal: str, ok, unit: str = "") -> dict:
    """One target judged: what was measured, what it should be, and whether it is."""
    return {"target": name, "value": value, "goal": goal, "pass": ok, "unit": unit}


def error_text(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


def short_traceback() -> str:
    return "".join(traceback.format_exc(limit=4))


def log(*parts) -> None:
    """Progress for a person watching, on stderr (stdout carries the JSON)."""
    print(*parts, file=sys.stderr, flush=True)


BUSY_MODES = {"plain": ("plain",), "busy": ("busy",), "both": ("plain", "busy")}


def add_busy_option(parser) -> None:
    """``--busy`` (or ``--busy busy``): a CPU-bound process runs beside every measurement;
    ``--busy both``: measure plain, then busy; without it: plain."""
    parser.add_argument("--busy", nargs="?", const="busy", default="plain", choices=tuple(BUSY_MODES),
                        help="run one extra CPU-bound process (while True: pass) beside the measurements, as a "
                             "second user of the machine; 'both' measures plain, then busy (default: plain)")


def die_with_parent() -> None:
    """For ``preexec_fn``: the child is killed when this process dies (Linux), so a benchmark
    stopped hard leaves no window, launch or spinner behind."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except Exception:  # noqa: BLE001 - elsewhere the explicit kills in finally blocks remain
        pass


def child_kwargs() -> dict:
    return {"preexec_fn": die_with_parent} if sys.platform.startswith("linux") else {}


def on_termination() -> None:
    """SIGTERM (run.py stopping a section, a timeout) ends the process through the normal
    exit path, so every ``finally`` runs: spinners and child processes are killed."""
    import signal

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    try:
        signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # not the main thread: leave it
        pass


def measure_modes(measure, quick: bool, mode: str) -> dict:
    """``measure(quick=, busy=)`` once per mode of ``--busy MODE``. With two modes the results are
    kept side by side under ``modes`` and their targets (each tagged with its mode) listed together."""
    results = {}
    for m in BUSY_MODES[mode]:
        try:
            results[m] = measure(quick=quick, busy=m == "busy")
        except Exception as e:  # noqa: BLE001 - report, never crash without a result
            results[m] = {"ok": False, "error": error_text(e), "traceback": short_traceback()}
        results[m]["mode"] = m
        for t in results[m].get("targets", []):
            t["mode"] = m
    if len(results) == 1:
        return next(iter(results.values()))
    return {"ok": all(r.get("ok", True) for r in results.values()), "mode": "both", "modes": results,
            "targets": [t for r in results.values() for t in r.get("targets", [])],
            "elapsed_s": round(sum(r.get("elapsed_s") or 0 for r in results.values()), 1)}


MODE_TITLES = {"plain": "plain: nothing else of ours runs",
               "busy": "busy: one extra CPU-bound process (while True: pass) ran beside every measurement"}


def render_modes(table, result: dict) -> str:
    """A section's table, under a title per mode when it was measured busy or both ways."""
    if "modes" not in result:
        text = table(result)
        return (f"[{MODE_TITLES['busy']}]\n" + text) if result.get("mode") == "busy" else text
    parts = []
    for m, r in result["modes"].items():
        parts += [f"[{MODE_TITLES.get(m, m)}]", table(r), ""]
    return "\n".join(parts).rstrip()


def section_main(name: str, measure, table, argv=None, busy_option: bool = False) -> int:
    """The command line every section shares: ``--quick``, ``--json`` for one JSON line on stdout,
    and for sections with ``busy_option`` (whose ``measure`` takes ``busy``), ``--busy [busy|both]``."""
    import argparse

    p = argparse.ArgumentParser(description=f"gdsim benchmark section: {name}")
    p.add_argument("--quick", action="store_true", help="a fast smoke run: fewer, shorter repeats")
    p.add_argument("--json", action="store_true", help="print the result as one JSON line")
    if busy_option:
        add_busy_option(p)
    args = p.parse_args(argv)
    on_termination()
    try:
        with bytecode_cache():
            if busy_option:
                result = measure_modes(measure, args.quick, args.busy)
            else:
                result = measure(quick=args.quick)
    except KeyboardInterrupt:
        stop_spinners()
        log(f"{name}: interrupted")
        return 130
    except Exception as e:  # noqa: BLE001 - report, never crash without a result
        result = {"ok": False, "error": error_text(e), "traceback": short_traceback()}
    finally:
        stop_spinners()
    if args.json:
        print(json.dumps(result, default=_json_default))
    else:
        print(render_modes(table, result) if busy_option else table(result))
    return 0 if result.get("ok", True) else 1


def _json_default(o):
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:
        pass
    return str(o)
