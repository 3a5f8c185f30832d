"""Headless training with one BLAS thread and with two: why gdsim chooses one.

gdsim sets NumPy's BLAS to one thread before NumPy loads (gdsim/__init__.py), for headless
`gdsim run` as for the window. Each figure here is a fresh process that imports gdsim with
``OPENBLAS_NUM_THREADS`` set to 1 or 2 and trains for about 2 s (samples per second, the
mini-batch rows trained on); "busy" runs a spinning process beside it for the whole time, as a
window, a browser or a build would keep the other core busy. The cases are the largest matrix
products gdsim trains: digits (256x784 batches, linear and the 784-30-1 MLP) and an MLP of
your own data with two hidden layers of 512 units.

    uv run python benchmarks/blas_threads.py [--quick] [--json]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import system  # noqa: E402
from system import fmt_rate, fmt_ratio, median, render_table, target, verdict  # noqa: E402

CASES = {
    "digits linear": "scenario = get_scenario('digits'); settings = Settings(scenario='digits', steps=0)",
    "digits MLP": "scenario = get_scenario('digits'); settings = Settings(scenario='digits', model='mlp', steps=0)",
    "own data, MLP 784-512-512-1": (
        "rng = np.random.default_rng(0)\n"
        "data = Dataset(rng.normal(size=(2000, 784)), rng.normal(size=(2000, 1)),\n"
        "               input_names=tuple(f'c{i}' for i in range(784)), target_names=('y',))\n"
        "scenario = custom_scenario(data, 'csv:wide', 'wide.csv')\n"
        "settings = Settings(scenario='csv:wide', model='mlp:512,512', batch_size=256, lr=1e-4, steps=0)"),
}
THREADS = (1, 2)
LOADS = ("idle", "busy")

PROBE = """
import json, sys, time
import gdsim  # first, as in real use
import numpy as np
from gdsim.core.data.dataset import Dataset
from gdsim.core.scenarios import custom_scenario, get_scenario
from gdsim.core.settings import Settings
{case}
trainer = scenario.build(settings, record_updates=False)
batch = trainer.batch_size
trainer.run(3)
steps, start = 0, time.perf_counter()
while time.perf_counter() - start < {seconds}:
    trainer.run(5)
    steps += 5
print(json.dumps({{"samples_per_s": steps * batch / (time.perf_counter() - start)}}))
"""


def _probe(case: str, threads: int, seconds: float) -> float | None:
    env = dict(system.env_without_gdsim(), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    code = PROBE.format(case=CASES[case], seconds=seconds)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=system.REPO,
                       timeout=300)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}")
    return json.loads(p.stdout.strip().splitlines()[-1])["samples_per_s"]


def _spinner() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def measure(quick: bool = False) -> dict:
    repeats, seconds = (1, 1.0) if quick else (3, 2.0)
    rates = {case: {f"{t}/{load}": [] for t in THREADS for load in LOADS} for case in CASES}
    # The machine's speed drifts within seconds, by more than the difference measured: each
    # one-thread run is paired with the two-thread run next to it, the order swapped every
    # repeat, and the figure judged is the median of the pairs' own ratios.
    pairs = {case: {load: [] for load in LOADS} for case in CASES}
    for repeat in range(repeats):  # interleaved: repeat 1 of everything, then repeat 2, ...
        for load in LOADS:
            spinner = _spinner() if load == "busy" else None
            try:
                for case in CASES:
                    pair = {}
                    for threads in THREADS if repeat % 2 == 0 else THREADS[::-1]:
                        pair[threads] = _probe(case, threads, seconds)
                        rates[case][f"{threads}/{load}"].append(pair[threads])
                    pairs[case][load].append(pair[1] / pair[2] if pair[1] and pair[2] else None)
            finally:
                if spinner is not None:
                    spinner.kill()
                    spinner.wait()
    result = {"ok": True, "repeats": repeats, "seconds_per_run": seconds, "cores": os.cpu_count(),
              "cases": {case: {key: {"rate": median(v), "rates": v} for key, v in r.items()}
                        for case, r in rates.items()}}
    for case, by_load in pairs.items():
        for load, ratios in by_load.items():
            kept = [r for r in ratios if r is not None]
            result["cases"][case][f"ratio/{load}"] = {"median": round(median(kept), 3) if kept else None,
                                                      "pairs": [None if r is None else round(r, 3) for r in ratios]}
    result["targets"] = [
        target(f"blas {case}: one thread vs two, other core busy",
               _ratio(result, case, "busy"), ">= 0.9x", _ok(_ratio(result, case, "busy")), "x")
        for case in CASES]
    return result


def _ratio(result, case, load):
    """One thread's rate over two threads': the median of the adjacent pairs' ratios."""
    return result["cases"][case][f"ratio/{load}"]["median"]


def _ok(value):
    return None if value is None else value >= 0.9  # at least about even: within the noise of a shared core


def table(result: dict) -> str:
    if not result.get("ok", True) and "cases" not in result:
        return f"BLAS FAILED: {result.get('error')}\n{result.get('traceback', '')}"
    rows = []
    for case, e in result["cases"].items():
        rows.append([case] + [fmt_rate(e[f"{t}/{load}"]["rate"]) for load in LOADS for t in THREADS]
                    + [fmt_ratio(_ratio(result, case, "idle")), fmt_ratio(_ratio(result, case, "busy"))])
    head = [f"headless, samples/s (median of {result['repeats']} runs of {result['seconds_per_run']:g} s; "
            "1/2: median of adjacent pairs' ratios)",
            "1 thr idle", "2 thr idle", "1 thr busy", "2 thr busy", "1/2 idle", "1/2 busy"]
    lines = [render_table(head, rows, "lrrrrrr"), ""]
    lines += [f"{t['target']}: {fmt_ratio(t['value'])} ({t['goal']}) {verdict(t['pass'])}" for t in result["targets"]]
    lines.append("busy: a spinning process ran beside each measurement, as another program keeps the other core busy")
    return "\n".join(lines)


def main(argv=None) -> int:
    return system.section_main("blas", measure, table, argv)


if __name__ == "__main__":
    sys.exit(main())
