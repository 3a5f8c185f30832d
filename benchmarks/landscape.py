"""The loss landscape: how long the training loss over a 101 x 101 grid of a plane takes.

For each case a trainer is built as ``gdsim run`` builds it (default settings) and trained 20
steps (digits start from zero weights, which a random plane cannot be scaled to); then the figure is
``landscape.loss_grid`` over the whole grid, in one call, for the plane of the two weights
``default_pair`` chooses and for a random filter-normalised plane, around the path's box
(``extent``). Every figure is the median of 7 repeats (3 with ``--quick``); a case measured while
other processes kept the machine busy is measured again and the quietest attempt kept.

Targets, latency bounds a slow 2-core machine must meet (the slower plane of each case): quadratic
< 50 ms, digits (linear) < 0.5 s. Micrograd and the digits MLP are measured for information.

    uv run python benchmarks/landscape.py [--quick] [--json]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import system  # noqa: E402
from system import fmt_ms, log, render_table, target, verdict  # noqa: E402

CASES = {  # case -> (settings, limit in ms or None for information)
    "quadratic": ({"scenario": "quadratic"}, 50.0),
    "micrograd": ({"scenario": "micrograd"}, None),
    "digits": ({"scenario": "digits"}, 500.0),
    "digits-mlp": ({"scenario": "digits", "model": "mlp"}, None),
}
POINTS = 101  # per side
STEPS = 20
PLANES = ("weights", "random")


def prepare(settings: dict):
    """A trainer STEPS steps into its run, and for each plane its grid's two axes."""
    import numpy as np

    from gdsim.core import landscape
    from gdsim.core.scenarios import build_trainer
    from gdsim.core.settings import Settings

    trainer = build_trainer(Settings(steps=0, **settings))
    path = [trainer.params.values.copy()]
    for _ in range(STEPS):
        trainer.step()
        path.append(trainer.params.values.copy())
    planes = {"weights": landscape.weight_plane(trainer, *landscape.default_pair(trainer)),
              "random": landscape.random_plane(trainer)}
    grids = {}
    for kind, plane in planes.items():
        (a0, a1), (b0, b1) = landscape.extent(landscape.coordinates(plane, np.array(path)))
        grids[kind] = (plane, np.linspace(a0, a1, POINTS), np.linspace(b0, b1, POINTS))
    return trainer, grids


def time_grids(trainer, grids, repeats: int) -> dict:
    """Milliseconds per grid, each plane's repeats interleaved with the other's."""
    from gdsim.core.landscape import loss_grid

    times = {kind: [] for kind in grids}
    for kind, (plane, a, b) in grids.items():
        loss_grid(trainer, plane, a, b)  # warm-up: caches, BLAS's first call
    for _ in range(repeats):
        for kind, (plane, a, b) in grids.items():
            started = time.perf_counter()
            loss_grid(trainer, plane, a, b)
            times[kind].append(1000 * (time.perf_counter() - started))
    return times


def measure_case(case: str, settings: dict, repeats: int) -> dict:
    trainer, grids = prepare(settings)
    times, others, attempts = system.quietest(lambda: time_grids(trainer, grids, repeats), what=f"landscape {case}")
    result = {"weights": int(trainer.params.size), "rows": int(trainer.data.n_train), "repeats": repeats,
              "attempts": attempts, "cpu_used_by_other_processes": others,
              "pair": list(grids["weights"][0].indices)}
    for kind, ms in times.items():
        result[f"{kind}_ms"] = round(statistics.median(ms), 2)
        result[f"{kind}_ms_all"] = [round(t, 2) for t in ms]
    result["slower_ms"] = max(result[f"{kind}_ms"] for kind in PLANES)
    return result


def measure(quick: bool = False) -> dict:
    system.gdsim_first()  # before NumPy, as in the app (one BLAS thread)
    repeats = 3 if quick else 7
    result = {"cases": {}, "targets": [], "points": POINTS}
    for case, (settings, limit) in CASES.items():
        log(f"landscape: {case}, {POINTS}x{POINTS} grid, {repeats} repeats ...")
        r = measure_case(case, settings, repeats)
        result["cases"][case] = r
        if limit is not None:
            result["targets"].append(target(f"landscape {case}: {POINTS}x{POINTS} loss grid", r["slower_ms"],
                                            f"< {limit:g} ms", r["slower_ms"] < limit, "ms"))
    return result


def table(result: dict) -> str:
    if "cases" not in result:
        return f"LANDSCAPE FAILED: {result.get('error')}\n{result.get('traceback', '')}"
    rows = []
    for case, r in result["cases"].items():
        limit = CASES[case][1]
        judged = f"< {limit:g} {verdict(r['slower_ms'] < limit)}" if limit is not None else "(information)"
        rows.append([case, f"{r['weights']:,}", f"{r['rows']:,}", fmt_ms(r["weights_ms"]), fmt_ms(r["random_ms"]),
                     judged, str(r["repeats"])])
    n = result["points"]
    lines = [f"Landscape: training loss over a {n}x{n} grid, one loss_grid call (median ms; two weights' "
             f"plane and a random filter-normalised one; the slower is judged)",
             render_table(["case", "weights", "rows", "two weights ms", "random ms", "target ms", "repeats"], rows)]
    return "\n".join(lines + system.suspect_lines(result["cases"]))


def main(argv=None) -> int:
    return system.section_main("landscape", measure, table, argv)


if __name__ == "__main__":
    sys.exit(main())
