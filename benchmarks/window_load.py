"""The window under load: one case trained at full speed with every view live, in this process.

The window is gdsim's own ``MainWindow`` (offscreen unless ``QT_QPA_PLATFORM`` says otherwise),
unchanged: the benchmark only watches it. For the measured stretch of a run it reports

- redraws per second: snapshots after which at least one view was redrawn (a frame in which the
  person sees something change); also every snapshot the window took in (``snapshots_per_s``);
- for every view in ``MainWindow.views``: redraws per second, the cost of its ``ingest`` (every
  snapshot), of its ``draw`` and of its canvas's paints, its share of the time, and what the
  window's ``ViewSchedule`` believes it costs (each view's ``ingest`` and ``draw`` are wrapped on
  the instance, and pyqtgraph's ``GraphicsView.paintEvent`` on the class, in this process only);
  a view the run does not show (not ``on_screen()`` when the stretch starts) is reported hidden;
- the UI event loop's delay: a 10 ms timer measures its own lateness (99th percentile, worst);
- training steps per second in the app against headless: the same settings, built as
  ``gdsim run`` builds them, trained in this process side by side with the window: the measured
  stretch is cut in four parts, and before each and after the last the window is paused and the
  headless trainer runs for half a part (the mean of the five);
- Pause -> last step: from pressing Pause to the end of the worker's last call into the engine
  that took a step: when the step count stopped changing, to the microsecond (the worker's
  ``trainer.run`` is wrapped on the instance). Pause is pressed four times (after the stretch,
  then after Run and a random 0.1-0.3 s each time); the figure is the slowest. Also: the time
  until the window shows "paused", and the longest call into the engine (Pause waits for one);
- peak memory.

The cases and the targets they are judged by are in window_cases.py: every scenario of
``gdsim list`` with its default settings (chain-rule at lr 1e-7: at its own lr it diverges at
step 82, which ends the run at once), digits with ``--model mlp``, and ``own-mlp``: a CSV of
your own data (2,000 rows of 784 numbers and a target), turned into a session by ``gdsim run
--data ... --model mlp:512,512 --steps 1 --session-out`` and opened in the window with
``MainWindow.open_session``, as File > Open does (then Steps set to 0, no limit).

    uv run python benchmarks/window_load.py                      # 5 s of fruit
    uv run python benchmarks/window_load.py --case digits-mlp --seconds 3
    uv run python benchmarks/window_load.py --case own-mlp --busy # a CPU-bound process beside it
    uv run python benchmarks/window_load.py --until-step 1000000  # the soak run (long_runs.py)
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gdsim.app  # noqa: E402,F401  (first, as in the app: gdsim sets NumPy's BLAS to one thread)

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import system  # noqa: E402
from window_cases import CASES, judge  # noqa: E402


OWN_ROWS, OWN_COLUMNS = 2000, 784
OWN_RUN_ARGS = ["--model", "mlp:512,512", "--batch-size", "256", "--lr", "1e-4"]
PROBE_MS = 10
PAUSE_PRESSES = 4
PARTS = 6  # the window's measured stretch, cut in parts with headless training between them
HEADLESS_SHARE = 0.5  # headless time before each part, as a share of the part's
PART_POLL_MS = 100


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ----- the own-data case ----------------------------------------------------------------------------

def make_own_data_session(folder) -> str:
    """Write a CSV of your own data and make a session of it with the gdsim command; return its path."""
    import numpy as np

    folder = Path(folder)
    csv_path, session = folder / "wide.csv", folder / "own-mlp.gdsim"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(OWN_ROWS, OWN_COLUMNS))
    y = x[:, :8].sum(axis=1) + 0.1 * rng.normal(size=OWN_ROWS)
    header = ",".join([f"x{i}" for i in range(OWN_COLUMNS)] + ["y"])
    np.savetxt(csv_path, np.column_stack([x, y]), fmt="%.4f", delimiter=",", header=header, comments="")
    cmd = [sys.executable, "-m", "gdsim", "run", "--data", str(csv_path), *OWN_RUN_ARGS, "--steps", "1",
           "--session-out", str(session), "--quiet"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=system.env_without_gdsim(),
                       **system.child_kwargs())
    if p.returncode != 0 or not session.exists():
        raise RuntimeError(f"gdsim run --data ... --session-out exited {p.returncode}: {p.stderr.strip()[-300:]}")
    return str(session)


# ----- headless -------------------------------------------------------------------------------------

def build_headless(case: str, session: str | None):
    """A fresh trainer of the case's settings, as ``gdsim run`` builds it."""
    from gdsim.core.settings import Settings

    spec = CASES[case].settings
    if spec is None:
        from gdsim.core.files.session import load_session

        s = load_session(session)
        return s.scenario.build(s.settings.replace(steps=0))  # the session's --steps 1 is no limit here
    from gdsim.core.scenarios import build_trainer

    return build_trainer(Settings(steps=0, **spec))


class Headless:
    """The case's settings trained headless in this process, as ``gdsim run`` builds them.

    ``rate(seconds)``: steps per second of ``trainer.run(k)``, k sized once (at the first call)
    so that each call lasts about 50 ms. The same trainer goes on training from call to call.
    """

    def __init__(self, case: str, session: str | None):
        self.case = case
        self.trainer = build_headless(case, session)
        self.k = None

    def _timed_run(self, k: int) -> float:
        start = time.perf_counter()
        stop = self.trainer.run(k)
        if stop is not None:
            raise RuntimeError(f"headless {self.case} stopped at step {self.trainer.step_count}: {stop.message}")
        return time.perf_counter() - start

    def _size_chunk(self) -> int:
        self._timed_run(1)
        k, spent = 1, 0.0
        while spent < 0.05:  # find a chunk of about 50 ms (warm-up included)
            spent = self._timed_run(k)
            if spent < 0.05:
                k *= 2 if spent <= 0 else max(2, min(16, int(0.05 / spent) + 1))
        return k

    def rate(self, seconds: float) -> float:
        if self.k is None:
            self.k = self._size_chunk()
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            self._timed_run(self.k)
            n += self.k
        return n / (time.perf_counter() - start)


# ----- instrumentation (this process only; gdsim is not changed) -------------------------------------

class ViewMeter:
    """Counts and times, for every view of the window, its ``ingest`` (taking in a snapshot, every
    snapshot), its ``draw`` (a redraw) and its canvas's paints.

    ``ingest`` and ``draw`` are wrapped on each view instance of ``window.views`` (so a view added
    to the window is covered without naming it here); paints go through pyqtgraph's
    ``GraphicsView.paintEvent``, wrapped on the class (so make the meter before the window) and
    attributed by canvas. Only calls made while ``recording`` is set count.
    """

    def __init__(self):
        self.recording = False
        self.names = {}  # view -> its class name (the key of every figure)
        self.ingests: dict[str, list[float]] = {}
        self.draws: dict[str, list[float]] = {}
        self.paints: dict[str, list[float]] = {}
        self.on_screen: dict[str, bool] = {}  # when recording started (a view the run does not show is hidden)
        self._by_canvas = {}
        self._wrap_paint()

    def attach(self, window) -> ViewMeter:
        """Time the ingests and draws of every view in ``window.views``, and attribute their canvases' paints."""
        for view in window.views:
            name = type(view).__name__
            self.names[view] = name
            self.ingests[name], self.draws[name], self.paints[name] = [], [], []
            self._by_canvas[id(view.canvas)] = name
            # An instance attribute shadows the class's method: the view's own calls go through it.
            view.ingest = self._timed(view.ingest, self.ingests[name])
            view.draw = self._timed(view.draw, self.draws[name])
        return self

    def start(self) -> None:
        self.on_screen = {name: bool(view.on_screen()) for view, name in self.names.items()}
        self.recording = True

    def _timed(self, method, times: list):
        def timed(*args):
            if not self.recording:
                return method(*args)
            start = time.perf_counter()
            try:
                return method(*args)
            finally:
                times.append(time.perf_counter() - start)
        return timed

    def _wrap_paint(self) -> None:
        # Before any canvas exists: PySide looks up a Python override of a Qt virtual when the
        # object is made, so a canvas made earlier would never call the wrapped method.
        import pyqtgraph as pg

        original = pg.GraphicsView.paintEvent
        meter = self

        def paintEvent(canvas, event):  # noqa: N802 (Qt's name)
            if not meter.recording:
                return original(canvas, event)
            start = time.perf_counter()
            try:
                return original(canvas, event)
            finally:
                meter.paints.setdefault(meter._by_canvas.get(id(canvas), "other canvas"), []).append(
                    time.perf_counter() - start)
        pg.GraphicsView.paintEvent = paintEvent

    def total_draws(self) -> int:
        return sum(len(d) for d in self.draws.values())

    def report(self, window, seconds: float) -> dict:
        """Per view: what ingests, redraws and paints cost, its share of the wall time, and what the
        schedule believes (the cost it paces the view by, and the interval that gives)."""
        out = {}
        for view, name in self.names.items():
            i, d, p = self.ingests[name], self.draws[name], self.paints[name]
            out[name] = {
                "heavy": bool(view.heavy),
                "on_screen": self.on_screen.get(name),
                "ingest_ms_mean": _ms(sum(i) / len(i)) if i else None,
                "draws": len(d),
                "draws_per_s": _per_s(len(d), seconds),
                "draw_ms_mean": _ms(sum(d) / len(d)) if d else None,
                "draw_ms_max": _ms(max(d)) if d else None,
                "paints": len(p),
                "paint_ms_mean": _ms(sum(p) / len(p)) if p else None,
                "paint_ms_max": _ms(max(p)) if p else None,
                "gui_share": round((sum(i) + sum(d) + sum(p)) / seconds, 3) if seconds > 0 else None,
                "schedule_cost_ms": _ms(window.schedule.cost(view)),
                "schedule_interval_ms": _ms(window.schedule.interval(view)),
            }
        return out


class EngineClock:
    """When each of the worker's calls into the engine started and ended, and the step count after it.

    Wraps ``run`` on the worker's trainer instance (the worker looks it up for every chunk).
    The last call that took a step ends when the step count stops changing: Pause's latency.
    """

    def __init__(self, trainer):
        self.trainer = trainer
        self.calls = collections.deque(maxlen=512)  # (start, end, step count after); appends are thread-safe
        self.longest = 0.0
        run = trainer.run

        def timed_run(*args, **kwargs):
            start = time.perf_counter()
            try:
                return run(*args, **kwargs)
            finally:
                end = time.perf_counter()
                self.calls.append((start, end, trainer.step_count))
                self.longest = max(self.longest, end - start)
        trainer.run = timed_run

    def remove(self) -> None:
        self.trainer.__dict__.pop("run", None)

    def last_step_end(self, count_before: int) -> float | None:
        """End of the last call that moved the count past ``count_before`` (None: no call did)."""
        ends = [end for _, end, count in self.calls if count > count_before]
        return ends[-1] if ends else None


def _per_s(n: int, seconds: float):
    return round(n / seconds, 1) if seconds > 0 else None


def _ms(seconds: float) -> float:
    return round(1000 * seconds, 2)


# ----- the Qt side ----------------------------------------------------------------------------------

def spin_until(cond, limit: float | None = None, poll_ms: int = 2) -> bool:
    """Run the event loop until ``cond()`` holds or ``limit`` seconds pass; return ``cond()``.

    ``cond`` is checked every ``poll_ms``. While the window trains, poll slowly: each check is a
    Python call on the GUI thread, which takes the GIL from the model thread, and a 2 ms poll
    (500 a second, where the app itself has a few timers) cost fruit a tenth of its training.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    if cond():
        return True
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: cond() and loop.quit())
    poll.start(poll_ms)
    if limit is not None:
        QTimer.singleShot(int(limit * 1000), loop.quit)
    loop.exec()
    poll.stop()
    return cond()


class DelayProbe:
    """A 10 ms precise timer that records how late each tick came: the UI event loop's delay."""

    def __init__(self):
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.lateness_ms: list[int] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setTimerType(self._timer.timerType().PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._last = None

    def _tick(self) -> None:
        now = self._clock.elapsed()
        if self._last is not None:
            self.lateness_ms.append(max(0, now - self._last - PROBE_MS))
        self._last = now

    def start(self) -> None:
        """Start (or start again, after a stop: the time in between is not a delay)."""
        self._last = None
        self._clock.start()
        self._timer.start(PROBE_MS)

    def stop(self) -> None:
        self._timer.stop()

    def summary(self) -> dict:
        lat = sorted(self.lateness_ms) or [0]
        return {"ui_delay_worst_ms": lat[-1], "ui_delay_p99_ms": lat[min(len(lat) - 1, int(0.99 * len(lat)))],
                "ui_delay_samples": len(self.lateness_ms)}


def open_window(case: str, session: str | None):
    """gdsim's main window, shown, with the case's run loaded and its first snapshot drawn."""
    from gdsim.app import theme
    from gdsim.app.window import MainWindow
    from gdsim.core.settings import Settings

    theme.configure_plots()
    spec = CASES[case].settings
    w = MainWindow(Settings(steps=0, **(spec or {"scenario": "fruit"})))
    w.ask_on_close = False
    w.show()
    if not spin_until(lambda: w.last_snapshot is not None, 60):
        raise RuntimeError("the window showed no first snapshot within 60 s")
    if CASES[case].landscape:
        w.toggle_landscape()
        if not spin_until(lambda: w.landscape_view.surface is not None, 60):
            raise RuntimeError(f"the landscape was not drawn within 60 s: {w.landscape_view.note.text()}")
    if spec is None:  # own data: File > Open of the session
        before = w.info.run_id if w.info is not None else None
        w.open_session(session)
        if not spin_until(lambda: w.info is not None and w.info.run_id != before and w.info.scenario != "fruit"
                          and w.last_snapshot is not None and w.last_snapshot.run_id == w.info.run_id, 120):
            raise RuntimeError(f"the window did not open {session} within 120 s: {w.banner.text or '?'}")
        # It was saved by `gdsim run --steps 1`: no step limit from here on, as a person would set
        # Steps to 0 in the controls before pressing Run.
        w.controller.call("configure", w.settings.replace(steps=0))
        if not spin_until(lambda: w.settings is not None and not w.settings.steps, 30):
            raise RuntimeError("the window kept the session's step limit")
    return w


def run_full_speed(w, meter: ViewMeter, headless: Headless, seconds: float | None, until_step: int | None) -> dict:
    """Train at full speed in the window for ``seconds`` (or until ``until_step``) and headless
    beside it; leave the window running; the figures.

    The machine's speed drifts within seconds (a shared host: the same headless loop measured
    1.6x apart a few seconds apart), so the two rates are taken side by side: the window's
    stretch is cut into PARTS, and before each part and after the last, with the window paused
    and its event loop not turning, the same settings train headless for HEADLESS_SHARE of a
    part's time. Redraws, UI delays and views count only the parts (the window trains in them):
    UI delays the even parts, which the delay probe measures, the rates the odd ones, which it
    does not disturb. The app / headless ratio is the median of those parts' own: each part's
    rate over the mean of the two headless stretches either side of it.
    """
    parts = PARTS if until_step is None else 1
    part = None if until_step is not None or seconds is None else seconds / parts
    headless_seconds = HEADLESS_SHARE * part if part else 1.0
    snapshots, redraws = [], []  # (time, step) of each snapshot; times of those that redrew a view
    drawn_before = [0]

    def on_snapshot(snap):
        snapshots.append((time.perf_counter(), snap.step))
        n = meter.total_draws()
        if n > drawn_before[0]:
            redraws.append(snapshots[-1][0])
        drawn_before[0] = n

    def press(want: str) -> None:
        w.toggle_run()
        if not spin_until(lambda: (w.state == "running") == (want == "running"), 30):
            raise RuntimeError(f"{'Run' if want == 'running' else 'Pause'}: the window is {w.state!r}: "
                               f"{w.banner.text or '?'}")

    w.snapshot_drawn.connect(on_snapshot)
    probe = DelayProbe()
    # The delay probe is a Python call on the GUI thread 100 times a second, each taking the GIL
    # from the model thread across the two cores: it cost the training a tenth to a fifth of its
    # ratio (quadratic, three runs each: 0.47, 0.42, 0.54 with it, 0.57, 0.59, 0.68 without). So
    # it measures in every other part, and the rates (training, redraws) come from the others.
    probed = [parts == 1 or i % 2 == 0 for i in range(parts)]
    rated = [parts == 1 or not probed[i] for i in range(parts)]
    spans, headless_rates = [], []  # spans: (start, end, whether the part's rates count)
    clock = None
    for i in range(parts):
        headless_rates.append(headless.rate(headless_seconds))
        press("running")
        if clock is None:
            clock = EngineClock(w.controller.worker.trainer)
        start = time.perf_counter()
        meter.start()
        if probed[i]:
            probe.start()
        if until_step is not None:
            spin_until(lambda: w.last_snapshot.step >= until_step or w.state != "running", poll_ms=PART_POLL_MS)
        else:
            spin_until(lambda: w.state != "running", part, poll_ms=PART_POLL_MS)
        probe.stop()
        meter.recording = False
        spans.append((start, time.perf_counter(), rated[i]))
        if w.state != "running":
            break  # a stop or divergence: what was measured is the result
        press("paused")
    headless_rates.append(headless.rate(headless_seconds))
    if w.state == "paused":
        press("running")  # left running, as the Pause presses expect (a stop or divergence stays)
    w.snapshot_drawn.disconnect(on_snapshot)
    elapsed = sum(end - start for start, end, _ in spans)
    rated_spans = [(start, end) for start, end, counts in spans if counts]
    rated_seconds = sum(end - start for start, end in rated_spans)
    steps = seconds_of_steps = 0.0
    app_each = []  # each part's own rate (None: too few snapshots in it to tell, or the probe's part)
    for start, end, counts in spans:
        seen = [s for s in snapshots if start <= s[0] <= end]
        app_each.append(None)
        if len(seen) > 1 and counts:
            steps += seen[-1][1] - seen[0][1]
            seconds_of_steps += seen[-1][0] - seen[0][0]
            app_each[-1] = round((seen[-1][1] - seen[0][1]) / (seen[-1][0] - seen[0][0]), 1)
    # Each part against the headless stretches either side of it, and the median of those: the
    # machine's speed jumps by half within seconds, and a part or a stretch that fell in a fast
    # or slow spell then moves one ratio of PARTS, not the mean of all of them.
    pairs = [rate / ((before + after) / 2) for rate, before, after in zip(app_each, headless_rates, headless_rates[1:])
             if rate is not None and before + after > 0]
    in_rated = [t for t in (s[0] for s in snapshots) if any(a <= t <= b for a, b in rated_spans)]
    return {"seconds": round(elapsed, 2), "state_at_end": w.state, "clock": clock,
            "snapshots_per_s": _per_s(len(in_rated), rated_seconds),
            "redraws_per_s": _per_s(sum(1 for t in redraws if any(a <= t <= b for a, b in rated_spans)), rated_seconds),
            "app_steps_per_s": round(steps / seconds_of_steps, 1) if seconds_of_steps > 0 else 0.0,
            "headless_steps_per_s": round(sum(headless_rates) / len(headless_rates), 1),
            "headless_each": [round(r, 1) for r in headless_rates], "app_each": app_each,
            "app_vs_headless_each": [round(r, 3) for r in pairs],
            "app_vs_headless": round(statistics.median(pairs), 3) if pairs else None,
            **probe.summary()}


def press_pause(w, clock: EngineClock) -> dict:
    """Press Pause; how long until the last step ended, and until the window showed 'paused'."""
    before = clock.trainer.step_count
    pressed = time.perf_counter()
    w.toggle_run()
    if not spin_until(lambda: w.state != "running", 30):
        raise RuntimeError("Pause: the window still runs 30 s after Pause was pressed")
    shown = time.perf_counter()
    last = clock.last_step_end(before)
    return {"last_step_ms": 0.0 if last is None else round(max(0.0, last - pressed) * 1000, 2),
            "paused_ms": round((shown - pressed) * 1000, 1), "steps": clock.trainer.step_count - before}


def pauses(w, clock: EngineClock, presses: int) -> dict:
    """Pause ``presses`` times: now, then after Run and a random 0.1-0.3 s each time (so a press
    falls anywhere in the worker's cycle of training, handing over a frame and waiting for the
    GUI). Judged on the slowest press."""
    rng = random.Random(0)
    each = [press_pause(w, clock)]
    for _ in range(presses - 1):
        w.toggle_run()
        if not spin_until(lambda: w.state == "running", 30):
            raise RuntimeError(f"Run after Pause: the window did not run again (state {w.state!r})")
        spin_until(lambda: False, rng.uniform(0.1, 0.3))
        each.append(press_pause(w, clock))
    clock.remove()
    return {"pause_to_last_step_ms": max(p["last_step_ms"] for p in each),
            "pause_to_last_step_ms_each": [p["last_step_ms"] for p in each],
            "pause_to_paused_ms": max(p["paused_ms"] for p in each),
            "steps_after_pause": max(p["steps"] for p in each),
            "longest_engine_call_ms": _ms(clock.longest), "steps": clock.trainer.step_count}


# ----- the measurement ------------------------------------------------------------------------------

def measure(case: str = "fruit", seconds: float | None = 5.0, until_step: int | None = None,
            session: str | None = None, busy: bool = False) -> dict:
    """One run of ``case`` in this process (with ``busy``: a spinner beside it throughout)."""
    if case not in CASES:
        raise SystemExit(f"unknown case {case!r}; choose from {', '.join(CASES)}")
    with tempfile.TemporaryDirectory(prefix="gdsim-bench-") as folder:
        if CASES[case].settings is None and session is None:
            system.log(f"window_load: making the {case} session ...")
            session = make_own_data_session(folder)
        with system.maybe_spinning(busy):
            result = _measure(case, seconds, until_step, session)
    result["mode"] = system.mode_name(busy)
    result["targets"] = judge(case, result, result["mode"])
    return result


def _measure(case, seconds, until_step, session) -> dict:
    from PySide6.QtWidgets import QApplication

    headless = Headless(case, session)
    app = QApplication.instance() or QApplication([])  # noqa: F841 (kept alive for the run)
    meter = ViewMeter()
    w = open_window(case, session)
    try:
        meter.attach(w)
        rss_before = peak_rss_mb()
        running = run_full_speed(w, meter, headless, seconds, until_step)
        clock = running.pop("clock")
        pause = pauses(w, clock, PAUSE_PRESSES)
        views = meter.report(w, running["seconds"])
        settings = w.settings.to_dict() if w.settings is not None else None
    finally:
        w.ask_on_close = False
        w.close()
    return {
        "case": case, "what": CASES[case].what, "settings": settings, **running,
        **pause,
        "views": views,
        # A view on screen that was never redrawn is a fault; one the run does not show is not drawn by design.
        "views_never_redrawn": [name for name, v in views.items() if v["on_screen"] and not v["draws"]],
        "views_hidden": [name for name, v in views.items() if not v["on_screen"]],
        "rss_at_start_mb": round(rss_before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--case", default=None, choices=tuple(CASES), help="what to train (default fruit)")
    p.add_argument("--scenario", default=None, help="same as --case (a built-in scenario's name)")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--until-step", type=int, default=None, help="run until this step instead (soak)")
    p.add_argument("--session", default=None, help="for --case own-mlp: a session made before (else one is made)")
    p.add_argument("--busy", action="store_true",
                   help="run one extra CPU-bound process (while True: pass) beside the whole measurement")
    p.add_argument("--json", action="store_true", help="print one JSON line")
    args = p.parse_args(argv)
    system.on_termination()
    try:
        result = measure(args.case or args.scenario or "fruit", args.seconds, args.until_step, args.session,
                         busy=args.busy)
    finally:
        system.stop_spinners()
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            if k not in ("views", "targets"):
                print(f"{k:>24}: {v}")
        for name, v in result["views"].items():
            print(f"{name:>24}: {v}")
        for t in result["targets"]:
            print(f"{t['target']:>48}: {t['value']} ({t['goal']}) {system.verdict(t['pass'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
