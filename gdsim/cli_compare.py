"""``gdsim run SCENARIO --vs KEY=VALUE ...``: the base settings and each variant, trained side by side.

Every run is built before any is trained, so a bad variant is bad input (exit 2, nothing trained
or written). Then the runs train one after another in this process, or at once in worker processes
(``--jobs``; a forked worker inherits the built runs rather than receiving them), each exactly as
the same settings would train alone. The outputs hold every run: --history-out with a first column
``run``, --plot-out with the runs overlaid. A diverging run does not stop the others; the exit
status is the worst of them. Ctrl+C stops every run and writes nothing: a file with some runs
finished and others cut short would compare unlike things.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from .cli import (
    EXIT_DIVERGED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    _built,
    _check_outputs,
    _CliError,
    _flag,
    _fmt_metric,
    _Interrupt,
    landscape_request,
    _scenario_and_settings,
    _train,
)


@dataclass
class _Compared:
    name: str
    trainer: object
    stop: object = None
    elapsed: float = 0.0
    taken: int = 0


def cmd_compare(args) -> int:
    from .core.errors import GdsimError
    from .core.variants import BASE, parse_variants

    try:
        if args.session is not None:
            raise GdsimError("--vs compares runs of a scenario or of --data, not of a --session")
        for key in ("weights_out", "session_out", "animate_out"):
            if getattr(args, key) is not None:
                raise GdsimError(f"{_flag(key)} writes one run; with --vs write --history-out or --plot-out")
        if args.caption is not None or args.scale is not None:
            raise GdsimError("--caption and --scale go with one run's --plot-out or --animate-out, not --vs")
        variants = parse_variants(args.vs)
        scenario, base = _scenario_and_settings(args)
        _check_outputs(args)
        runs = [_Compared(BASE, _prepared(scenario, base, args))]
        for variant in variants:
            try:
                runs.append(_Compared(variant.name, _prepared(scenario, variant.settings(base), args)))
            except GdsimError as exc:
                raise GdsimError(f"--vs {variant.name!r}: {exc}") from None
    except GdsimError as exc:
        raise _CliError(str(exc)) from None

    jobs = _processes(args.jobs, len(runs))
    with _Interrupt() as interrupt:  # from the first line printed: "training has begun" is true from it
        if not args.quiet:
            _print_header(scenario, runs, jobs, args.fair_lr)
        if jobs == 1:
            _train_here(runs, interrupt, show_progress=not args.quiet and sys.stderr.isatty())
        else:
            _train_in_processes(runs, jobs, interrupt)
    if interrupt.requested:
        print("gdsim: interrupted; nothing written (--vs writes its files once every run has finished)",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    try:
        _write_outputs(scenario, runs, args)
    except GdsimError as exc:
        raise _CliError(str(exc)) from None
    if not args.quiet:
        _print_summary(runs, sys.stdout)
    diverged = [run for run in runs if run.stop.divergence is not None]
    for run in diverged:
        print(f"gdsim: {run.name}: {run.stop.message}", file=sys.stderr)
    return EXIT_DIVERGED if diverged else EXIT_OK


def _prepared(scenario, settings, args):
    """A run's trainer, recording what --plot-out draws: the per-tensor norms and the followed weight;
    with --fair-lr, at its own range test's learning rate."""
    trainer = _built(scenario, settings, args)
    if args.fair_lr:
        from .core.lr_find import check_loss, fair_lr

        check_loss(trainer)
        lr, why_not = fair_lr(scenario, trainer)
        trainer.apply(trainer.settings.replace(lr=lr))
        if why_not and not args.quiet:
            print(f"gdsim: --fair-lr: no suggestion for {settings.optimizer or 'the base'} ({why_not}); "
                  f"it keeps lr {lr:g}", file=sys.stderr)
    if args.plot_out is not None:
        from .core.snapshot import run_info, trace_indices

        info = run_info(0, scenario, trainer, settings)
        trainer.start_trace(trace_indices(info))
        landscape_request(args, trainer)
    return trainer


def _processes(asked: int | None, runs: int) -> int:
    """Processes to train in: --jobs, else one per core; one where a worker cannot be forked."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(runs, asked or os.cpu_count() or 1))


def _print_header(scenario, runs, jobs: int, fair: bool) -> None:
    base = runs[0].trainer
    s = base.settings
    zero = "on" if s.zero_grad else "OFF (gradients accumulate)"
    print(f"{scenario.name}: {base.model.describe()}, {base.loss.describe()}, "
          f"{base.optimizer.describe()} lr {s.lr:g}, gradient zeroing {zero}")
    where = "one after another" if jobs == 1 else f"{jobs} at a time in processes"
    print(f"comparing {len(runs)} runs, {where}: " + ", ".join(run.name for run in runs))
    if fair:
        print("fair learning rates (each run's own range test): "
              + ", ".join(f"{run.name} {run.trainer.lr:.3g}" for run in runs))
    sys.stdout.flush()  # before any worker is forked: it would inherit (and repeat) what is buffered


def _train_here(runs, interrupt, show_progress: bool) -> None:
    for run in runs:
        first = run.trainer.step_count
        run.stop, run.elapsed = _train(run.trainer, interrupt, show_progress)
        run.taken = run.trainer.step_count - first
        if interrupt.requested:
            return


# The runs a forked worker trains: set just before the workers are forked, read in them.
_FORKED_RUNS: list = []


def _train_in_processes(runs, jobs: int, interrupt) -> None:
    import concurrent.futures as cf
    import multiprocessing

    global _FORKED_RUNS
    _FORKED_RUNS = runs
    pool = cf.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                  initializer=_worker_ignores_ctrl_c)
    try:
        pending = {pool.submit(_train_forked, i): i for i in range(len(runs))}
        while pending and not interrupt.requested:
            done, _ = cf.wait(pending, timeout=0.05, return_when=cf.FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                state, runs[i].stop, runs[i].elapsed, runs[i].taken = future.result()
                runs[i].trainer.set_state(*state)
    except cf.process.BrokenProcessPool:
        # A worker died (killed, out of memory): no waiting for ever. Seen by a result, or by a
        # submit when it died while the runs were still being handed out (a test's kill under load).
        raise _CliError("a process training the runs died (killed, or out of memory); nothing "
                        "written: try --jobs 1") from None
    finally:
        for process in list(getattr(pool, "_processes", {}).values()):  # Ctrl+C: now, not after each run
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        _FORKED_RUNS = []


def _worker_ignores_ctrl_c() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle: it ends the pool


def _train_forked(i: int):
    class _Never:
        requested = False

    run = _FORKED_RUNS[i]
    first = run.trainer.step_count
    stop, elapsed = _train(run.trainer, _Never(), show_progress=False)
    return run.trainer.get_state(), stop, elapsed, run.trainer.step_count - first


def _write_outputs(scenario, runs, args) -> None:
    from .core.files.atomic import all_or_none

    with all_or_none():
        if args.history_out is not None:
            from .core.files.history_csv import history_classes, write_runs_history_csv

            write_runs_history_csv(args.history_out, [
                (run.name, run.trainer.history, run.trainer.settings, history_classes(run.trainer.data))
                for run in runs])
        if args.plot_out is not None:
            from .app.figure import render_comparison  # Qt is imported only here

            landscape = landscape_request(args, runs[0].trainer) if args.landscape is not None else None
            render_comparison(args.plot_out, scenario, [(run.name, run.trainer) for run in runs], landscape)


def _print_summary(runs, out) -> None:
    from .core.engine.metrics import METRIC_TITLES

    metric = runs[0].trainer.metric
    width = max(len("run"), *(len(run.name) for run in runs))
    title = METRIC_TITLES[metric] if metric else ""
    # The loss on the final weights (the single run's "final" line), not the last row's, which
    # was computed before the last update.
    print(f"{'run':<{width}}  {'steps':>9}  {'final loss':>12}" + (f"  {title:>10}" if metric else "")
          + "  how it ended   (final: on the final weights)", file=out)
    for run in runs:
        t = run.trainer
        loss, value = t.evaluate("train")
        line = f"{run.name:<{width}}  {t.step_count:>9,}  {loss:>12.6g}"
        if metric:
            line += f"  {_fmt_metric(metric, value) if value is not None else '':>10}"
        ended = run.stop.message if run.stop is not None else "interrupted"
        print(line + f"  {ended}", file=out)
    rate = sum(run.taken for run in runs) / max(1e-9, sum(run.elapsed for run in runs))
    print(f"speed {rate:,.0f} steps/s per run", file=out)
