"""Engine throughput: gdsim against a hand-written NumPy floor, PyTorch and micrograd's Value.

For fruit, quadratic, micrograd and parabola the rate is training steps per second;
for digits (linear, and ``--model mlp``) it is samples per second (each step trains on
one mini-batch: 256, 256 and 128 rows of the 640 per epoch; the samples actually seen
are counted). Everything is float64 and starts from gdsim's initial weights. Variants:

- ``gdsim``: the public API the app and ``gdsim run`` use,
  ``build_trainer(Settings(scenario=name, steps=0)).run(n)``, default settings (zeroing on, SGD);
  only ``run(n)`` is timed, after a warm-up; ``reset()`` between repeats, so every
  repeat trains the same n steps from the initial weights, as the other variants do.
- ``numpy_floor``: one hand-written NumPy function per scenario (benchmarks/numpy_floor.py).
- ``torch_1thread`` / ``torch_default``: the tutorial loops of tests/torch_loops.py with
  ``torch.set_num_threads(1)`` and with torch's default thread count (skipped without torch).
- ``micrograd_value`` (micrograd only): Karpathy's scalar ``Value`` autograd
  (benchmarks/micrograd_value.py).

Before timing, every variant's first 20 losses are checked against gdsim's: the NumPy
floor to 1e-9 relative, PyTorch to 1e-6 (the parity the tests hold it to), and the
Value network's first loss to 1e-9. A variant that fails its check is reported, not timed.
Variants are timed interleaved (repeat 1 of every variant, then repeat 2, ...), each
repeat long enough to time reliably; a figure is the median over repeats, a ratio the
median of the per-repeat ratios.

    uv run python benchmarks/engine.py [--quick] [--json]
"""

from __future__ import annotations

import gc
import sys
import textwrap
import time
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # run as a script or imported from elsewhere: find the sibling modules
    sys.path.insert(0, _HERE)

import system  # noqa: E402
from system import calibrate, fmt_rate, fmt_ratio, log, median, render_table, target, verdict  # noqa: E402

# (key, scenario, model)
CASES = [
    ("fruit", "fruit", None),
    ("quadratic", "quadratic", None),
    ("micrograd", "micrograd", None),
    ("parabola", "parabola", None),
    ("digits", "digits", None),
    ("digits-mlp", "digits", "mlp"),
]
TORCH_TARGET_CASES = ("fruit", "quadratic", "micrograd", "parabola")
CHECK_STEPS = 20
FLOOR_RTOL = 1e-9
TORCH_RTOL = 1e-6
VALUE_RTOL = 1e-9
NOISY_SPREAD = 0.25  # flag a figure whose repeats spread wider than this fraction of the median

VARIANT_TITLES = {
    "gdsim": "gdsim",
    "numpy_floor": "NumPy floor",
    "torch_1thread": "torch 1 thr",
    "torch_default": "torch default",
    "micrograd_value": "micrograd Value",
}


def _max_rel_diff(a, b) -> float:
    import numpy as np

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    scale = np.maximum(np.abs(b), 1e-300)
    return float(np.max(np.abs(a - b) / scale)) if a.size else 0.0


# ----- PyTorch, if it imports ------------------------------------------------------------------------

def torch_default_threads() -> int | None:
    """PyTorch's default intra-op thread count for a tutorial reader: in a fresh process without
    the MKL_NUM_THREADS=1 that importing gdsim adds (PyTorch would take that as its default)."""
    import subprocess

    try:
        p = subprocess.run([sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
                           capture_output=True, text=True, timeout=120, env=system.env_without_gdsim())
        return int(p.stdout.strip().splitlines()[-1])
    except Exception:  # noqa: BLE001
        return None


def load_torch():
    """(torch, torch_loops, default_threads, None) or (None, None, None, why not)."""
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - any failure to import means: skip the columns
        return None, None, None, f"import torch failed: {system.error_text(e)}"
    tests = str(system.REPO / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    try:
        import torch_loops
    except Exception as e:  # noqa: BLE001
        return None, None, None, f"tests/torch_loops.py failed to import: {system.error_text(e)}"
    return torch, torch_loops, torch_default_threads() or torch.get_num_threads(), None


# ----- one scenario: its variants as functions of n (steps) -> (seconds, units) ------------------------

class Case:
    def __init__(self, key, scenario, model, torch_env):
        from gdsim.core.scenarios import build_trainer
        from gdsim.core.settings import Settings

        self.key, self.scenario, self.model = key, scenario, model
        self.settings = Settings(scenario=scenario, model=model, steps=0)
        self.build = lambda: build_trainer(self.settings)
        self.trainer = self.build()
        t = self.trainer
        self.state = t.params.state_dict()
        self.x, self.y = t.data.x, t.data.y
        self.lr = t.lr
        self.seed = t.seed
        self.mini_batch = t.settings.batch_size is not None
        self.batch_size = t.batch_size
        self.n_train = t.data.n_train
        self.loss_name = t.settings.loss
        self.unit = "samples/s" if self.mini_batch else "steps/s"
        self.torch, self.torch_loops, self.torch_default_threads, self.torch_missing = torch_env

    # -- helpers -----------------------------------------------------------------------------------

    def batch_rng(self):
        """The shuffling gdsim's sampler uses: its own stream from the seed."""
        import numpy as np

        return np.random.default_rng(np.random.SeedSequence([self.seed, 1]))

    def batch_order(self, steps):
        """The rows of each of ``steps`` mini-batches, for the PyTorch loop (drawn outside the timing)."""
        rng = self.batch_rng()
        batches, order, pos, n = [], None, self.n_train, self.n_train
        for _ in range(steps):
            if pos >= n:
                order, pos = rng.permutation(n), 0
            batches.append(order[pos:pos + self.batch_size])
            pos += self.batch_size
        return batches

    def samples_in(self, steps: int) -> int:
        """Rows seen in the first ``steps`` steps of an epoch-aligned run (mini-batches)."""
        if not self.mini_batch:
            return steps
        sizes = [min(self.batch_size, self.n_train - k) for k in range(0, self.n_train, self.batch_size)]
        full, rest = divmod(steps, len(sizes))
        return full * self.n_train + sum(sizes[:rest])

    # -- gdsim -------------------------------------------------------------------------------------

    def gdsim_losses(self, steps):
        t = self.build()
        stop = t.run(steps)
        if stop is not None:
            raise RuntimeError(f"gdsim stopped early: {stop.message}")
        return t.history.loss[:steps].copy()

    def gdsim(self, n):
        t = self.trainer
        t.reset()
        start = time.perf_counter()
        stop = t.run(n)
        elapsed = time.perf_counter() - start
        if stop is not None or t.step_count != n:
            raise RuntimeError(f"gdsim took {t.step_count} of {n} steps: {stop.message if stop else '?'}")
        return elapsed, self.samples_in(n)

    # -- the NumPy floor ---------------------------------------------------------------------------

    def floor_losses(self, steps):
        return self._floor(steps)[0]

    def _floor(self, steps):
        import numpy_floor as nf

        s, x, y, lr = self.state, self.x, self.y, self.lr
        if self.key == "fruit":
            return nf.fruit(x, y, s, lr, steps), steps
        if self.key == "quadratic":
            return nf.quadratic(x, y, s, lr, steps), steps
        if self.key == "micrograd":
            return nf.micrograd(x, y, s, lr, steps), steps
        if self.key == "parabola":
            return nf.parabola(y, s, lr, steps), steps
        if self.key == "digits":
            return nf.digits_linear(x, y, s, lr, steps, self.batch_size, self.batch_rng())
        if self.key == "digits-mlp":
            return nf.digits_mlp(x, y, s, lr, steps, self.batch_size, self.batch_rng())
        raise KeyError(self.key)

    def floor(self, n):
        start = time.perf_counter()
        _, units = self._floor(n)
        return time.perf_counter() - start, units

    # -- PyTorch -----------------------------------------------------------------------------------

    def _torch(self, steps, batches=None):
        tl, s, lr = self.torch_loops, self.state, self.lr
        if self.key in ("fruit", "quadratic", "micrograd", "parabola"):
            losses, _ = getattr(tl, self.key)(s, steps=steps, lr=lr)
            return losses, steps
        batches = batches if batches is not None else self.batch_order(steps)
        losses, _ = tl.digits(s, self.x, self.y, batches, lr=lr, loss=self.loss_name)
        return losses, sum(len(b) for b in batches)

    def torch_losses(self, steps):
        self.torch.set_num_threads(1)
        return self._torch(steps)[0]

    def torch_setup(self, threads) -> float:
        """Seconds a call of the tutorial function spends outside its loop (tensors, model), 0 steps."""
        self.torch.set_num_threads(threads)
        try:
            times = []
            for _ in range(5):
                start = time.perf_counter()
                self._torch(0, [] if self.mini_batch else None)
                times.append(time.perf_counter() - start)
            return median(times)
        finally:
            self.torch.set_num_threads(self.torch_default_threads)

    def torch_run(self, threads):
        """Time n steps of the tutorial loop; the function's set-up (measured with 0 steps) is
        subtracted, as only ``run(n)`` is timed for gdsim (digits copies 4 MB of pixels into a tensor)."""
        setup = [None]

        def run(n):
            if setup[0] is None:
                setup[0] = self.torch_setup(threads)
            batches = self.batch_order(n) if self.mini_batch else None
            self.torch.set_num_threads(threads)
            try:
                start = time.perf_counter()
                _, units = self._torch(n, batches)
                elapsed = time.perf_counter() - start
            finally:
                self.torch.set_num_threads(self.torch_default_threads)
            return max(elapsed - setup[0], elapsed * 0.01), units
        run.setup = setup
        return run

    # -- micrograd's Value -------------------------------------------------------------------------

    def _value_net(self):
        import micrograd_value as mv

        xs = self.x.tolist()
        ys = [float(v) for v in self.y.reshape(-1)]
        return mv, mv.from_state(self.state), xs, ys

    def value_losses(self, steps):
        mv, net, xs, ys = self._value_net()
        return mv.train(net, xs, ys, self.lr, steps)

    def value(self, n):
        mv, net, xs, ys = self._value_net()
        start = time.perf_counter()
        mv.train(net, xs, ys, self.lr, n)
        return time.perf_counter() - start, n

    # -- what to time ------------------------------------------------------------------------------

    def variants(self):
        """[(name, run, start_n, min_n, check)] where check(gdsim_losses) -> dict, raising if it fails.

        ``min_n``: at least 200 steps, 30 mini-batches (10 epochs), 5 steps of the Value network.
        """
        start, least = (10, 200) if not self.mini_batch else (3, 30)
        out = [("gdsim", self.gdsim, start, least, None),
               ("numpy_floor", self.floor, start, least, self.check_floor)]
        if self.torch is not None:
            out.append(("torch_1thread", self.torch_run(1), start, least, self.check_torch))
            out.append(("torch_default", self.torch_run(self.torch_default_threads), start, least, None))
        if self.key == "micrograd":
            out.append(("micrograd_value", self.value, 2, 5, self.check_value))
        return out

    def check_floor(self, ref):
        got = self.floor_losses(CHECK_STEPS)
        d = _max_rel_diff(got, ref)
        if not d <= FLOOR_RTOL:
            raise AssertionError(f"NumPy floor's first {CHECK_STEPS} losses differ from gdsim's "
                                 f"by {d:.3g} relative (> {FLOOR_RTOL:g}): the floor is not the same run")
        return {"steps": CHECK_STEPS, "max_rel_diff": d, "rtol": FLOOR_RTOL}

    def check_torch(self, ref):
        got = self.torch_losses(CHECK_STEPS)
        d = _max_rel_diff(got, ref)
        if not d <= TORCH_RTOL:
            raise AssertionError(f"PyTorch's first {CHECK_STEPS} losses differ from gdsim's by {d:.3g} relative")
        return {"steps": CHECK_STEPS, "max_rel_diff": d, "rtol": TORCH_RTOL}

    def check_value(self, ref):
        got = self.value_losses(CHECK_STEPS)
        first = _max_rel_diff(got[:1], ref[:1])
        if not first <= VALUE_RTOL:
            raise AssertionError(f"micrograd Value's first loss {got[0]!r} differs from gdsim's {ref[0]!r} "
                                 f"by {first:.3g} relative (> {VALUE_RTOL:g})")
        return {"steps": 1, "max_rel_diff": first, "rtol": VALUE_RTOL,
                "max_rel_diff_20_steps": _max_rel_diff(got, ref)}


# ----- the section ------------------------------------------------------------------------------------

def measure(quick: bool = False) -> dict:
    system.gdsim_first()  # before NumPy: gdsim chooses NumPy's BLAS threads, as in the app
    import numpy as np  # noqa: F401

    repeats = 3 if quick else 5
    per_repeat_s = 0.05 if quick else 0.2
    started = time.perf_counter()
    blas = system.blas_info()  # NumPy's, before PyTorch brings its own OpenMP
    torch_env = load_torch()
    torch_note = torch_env[3]
    if torch_note:
        log(f"engine: PyTorch columns skipped ({torch_note})")
    # Everything imported so far (NumPy, gdsim, PyTorch: ~170,000 objects) leaves the garbage
    # collector's view: otherwise every full collection walks it, and the Value network, whose
    # graph is cyclic garbage, runs 3-4x slower than in a process of its own.
    gc.collect()
    frozen = gc.get_freeze_count() if hasattr(gc, "get_freeze_count") else None
    gc.freeze()
    frozen = gc.get_freeze_count() - (frozen or 0) if frozen is not None else None

    results = {}
    deadline = started + (30 if quick else 100)  # after this, a case measured while others were busy stays so
    for key, scenario, model in CASES:
        entry, others, attempts = system.quietest(
            lambda key=key, scenario=scenario, model=model: measure_case(key, scenario, model, torch_env,
                                                                         repeats, per_repeat_s),
            tries=3, what=f"engine {key}", deadline=deadline)
        entry["cpu_used_by_other_processes"] = others
        entry["attempts"] = attempts
        results[key] = entry

    return {
        "ok": all("error" not in e and not e["errors"] for e in results.values()),
        "section": "engine",
        "repeats": repeats,
        "seconds_per_repeat": per_repeat_s,
        "torch": None if torch_note else {"version": torch_env[0].__version__,
                                          "default_threads": torch_env[2],
                                          "threads_in_this_process": torch_env[0].get_num_threads()},
        "blas": blas,
        "gc_frozen_objects": frozen,
        "torch_skipped": torch_note,
        "cases": results,
        "targets": [t for e in results.values() for t in e.get("targets", [])],
        "elapsed_s": round(time.perf_counter() - started, 1),
    }


def _spread(rates) -> float:
    m = median(rates)
    return (max(rates) - min(rates)) / m if rates and m else 0.0


def measure_case(key, scenario, model, torch_env, repeats, per_repeat_s) -> dict:
    """Every variant of one scenario: checked, sized, then timed in interleaved repeats."""
    log(f"engine: {key} ...")
    entry = {"scenario": scenario, "model": model, "variants": {}, "checks": {}, "errors": {}}
    try:
        case = Case(key, scenario, model, torch_env)
        entry.update(unit=case.unit, lr=case.lr, batch_size=case.batch_size if case.mini_batch else None,
                     n_train=case.n_train)
        ref = case.gdsim_losses(CHECK_STEPS)
    except Exception as e:  # noqa: BLE001
        entry["error"] = system.error_text(e)
        log(f"engine: {key} failed: {entry['error']}")
        return entry

    # Check, warm up and size every variant; drop those that fail.
    plan = []
    for name, run, start_n, min_n, check in case.variants():
        try:
            if check is not None:
                entry["checks"][name] = check(ref)
            run(min(start_n, 5))  # warm-up: imports, caches, first allocations
            n = calibrate(lambda k, run=run: run(k)[0], per_repeat_s, start=start_n, min_n=min_n)
            plan.append((name, run, n))
        except Exception as e:  # noqa: BLE001
            entry["errors"][name] = system.error_text(e)
            log(f"engine: {key} / {name} failed: {entry['errors'][name]}")

    rates = {name: [] for name, _, _ in plan}
    for _ in range(repeats):
        for name, run, n in plan:
            if name in entry["errors"]:
                continue
            try:
                elapsed, units = run(n)
                rates[name].append(units / elapsed)
            except Exception as e:  # noqa: BLE001
                entry["errors"][name] = system.error_text(e)
    for name, run, n in plan:
        if name in entry["errors"]:
            continue
        entry["variants"][name] = {"rate": median(rates[name]), "rates": rates[name], "steps_per_repeat": n,
                                   "repeats": len(rates[name])}
        if hasattr(run, "setup"):
            entry["variants"][name]["setup_s_subtracted"] = run.setup[0]
    if "torch_default" in entry["variants"]:
        entry["variants"]["torch_default"]["threads"] = case.torch_default_threads
    entry["ratios"] = _ratios(rates)
    entry["targets"] = _targets(key, entry["ratios"], torch_missing=case.torch_missing)
    return entry


def _per_repeat_ratio(a, b):
    if not a or not b:
        return None
    return median([x / y for x, y in zip(a, b)])


def _ratios(rates) -> dict:
    g = rates.get("gdsim")
    t1, tn = rates.get("torch_1thread"), rates.get("torch_default")
    best = [max(a, b) for a, b in zip(t1, tn)] if t1 and tn else (t1 or tn)
    return {
        "gdsim/torch_1thread": _per_repeat_ratio(g, t1),
        "gdsim/torch_default": _per_repeat_ratio(g, tn),
        "gdsim/torch_best": _per_repeat_ratio(g, best),
        "gdsim/numpy_floor": _per_repeat_ratio(g, rates.get("numpy_floor")),
        "gdsim/micrograd_value": _per_repeat_ratio(g, rates.get("micrograd_value")),
    }


def _judge(value, goal):
    return None if value is None else value >= goal


def _targets(key, ratios, torch_missing) -> list[dict]:
    out = []
    vs_torch = ratios.get("gdsim/torch_best")
    if key in TORCH_TARGET_CASES:
        out.append(target(f"engine {key}: gdsim vs PyTorch tutorial loop (better thread setting)",
                          vs_torch, ">= 5x", _judge(vs_torch, 5.0), "x"))
    else:
        out.append(target(f"engine {key}: gdsim samples/s vs PyTorch's (better thread setting)",
                          vs_torch, ">= 1x", _judge(vs_torch, 1.0), "x"))
    floor = ratios.get("gdsim/numpy_floor")
    out.append(target(f"engine {key}: gdsim vs NumPy floor", floor, ">= 0.5x", _judge(floor, 0.5), "x"))
    return out


def table(result: dict) -> str:
    if not result.get("ok", True) and "cases" not in result:
        return f"ENGINE FAILED: {result.get('error')}\n{result.get('traceback', '')}"
    cases = result["cases"]
    threads = (result.get("torch") or {}).get("default_threads")
    names = ["gdsim", "numpy_floor", "torch_1thread", "torch_default", "micrograd_value"]
    titles = [VARIANT_TITLES[n] + (f" ({threads} thr)" if n == "torch_default" and threads else "") for n in names]
    rows = []
    notes = []
    any_noisy = any_busy = False
    for key, e in cases.items():
        if "error" in e:
            rows.append([key, "ERROR"] + ["-"] * len(names))
            notes.append(f"{key}: {e['error']}")
            continue
        busy = (e.get("cpu_used_by_other_processes") or 0) > system.NOISY_OTHERS
        any_busy = any_busy or busy
        row = [key + (" !" if busy else ""), e.get("unit", "")]
        for n in names:
            if n in e["errors"]:
                row.append("ERROR")
                notes.append(f"{key} / {VARIANT_TITLES[n]}: {e['errors'][n]}")
            elif n in e["variants"]:
                v = e["variants"][n]
                noisy = _spread(v["rates"]) > NOISY_SPREAD
                row.append(fmt_rate(v["rate"]) + ("*" if noisy else ""))
                any_noisy = any_noisy or noisy
            else:
                row.append("-")
        rows.append(row)
    rates = render_table(["scenario", "unit"] + titles, rows, "ll" + "r" * len(names))

    rows = []
    for key, e in cases.items():
        if "ratios" not in e:
            continue
        r = e["ratios"]
        tt, ft = (e["targets"] + [None, None])[:2]
        rows.append([key, fmt_ratio(r["gdsim/torch_1thread"]), fmt_ratio(r["gdsim/torch_default"]),
                     f"{tt['goal']} {verdict(tt['pass'])}" if tt else "-",
                     fmt_ratio(r["gdsim/numpy_floor"]), f"{ft['goal']} {verdict(ft['pass'])}" if ft else "-",
                     fmt_ratio(r["gdsim/micrograd_value"]) if r.get("gdsim/micrograd_value") else "-"])
    ratios = render_table(["scenario", "gdsim/torch 1 thr", "gdsim/torch default", "target (best torch)",
                           "gdsim/floor", "target", "gdsim/Value"], rows, "lrrlrlr")

    checks = []
    short = {"numpy_floor": "floor", "torch_1thread": "torch", "micrograd_value": "Value (1st loss)"}
    for key, e in cases.items():
        done = [f"{short.get(n, n)} {c['max_rel_diff']:.1e}" for n, c in e.get("checks", {}).items()]
        if done:
            checks.append(f"{key}: " + ", ".join(done))
    blas = ", ".join(f"{b.get('internal_api')} {b.get('num_threads')} thread(s)" for b in result.get("blas") or []
                     if "error" not in b)
    lines = [f"Engine throughput (float64; median of {result['repeats']} interleaved repeats of "
             f"~{result['seconds_per_repeat']} s each; digits in samples/s; NumPy BLAS: {blas or '?'})",
             rates, "", ratios]
    if any_busy:
        lines.append("! other processes kept more than 10% of the CPU busy while this scenario was measured "
                     "(even after retrying): its figures are suspect")
    if any_noisy:
        lines.append(f"* noisy: the repeats spread over more than {NOISY_SPREAD:.0%} of the median "
                     "(see 'rates' in results.json)")
    if result.get("torch_skipped"):
        lines.append(f"PyTorch skipped: {result['torch_skipped']}")
    else:
        lines.append("torch: the tutorial function's set-up (0 steps) is subtracted from each timing.")
    if result.get("gc_frozen_objects"):
        lines.append(f"gc: the {result['gc_frozen_objects']:,} objects the imports left are frozen (gc.freeze()), "
                     "so collections walk only what the loops make")
    if checks:
        lines += textwrap.wrap("losses match gdsim's over the first 20 steps (max relative difference): "
                               + "; ".join(checks), 110)
    lines += [f"! {n}" for n in notes]
    return "\n".join(lines)


def main(argv=None) -> int:
    return system.section_main("engine", measure, table, argv)


if __name__ == "__main__":
    sys.exit(main())
