"""``gdsim stability SCENARIO``: the stability map (gdsim.core.stability) on the command line:
printed as a grid of letters, written as a CSV of every cell, drawn as the window draws it."""

from __future__ import annotations

import sys

from .cli import EXIT_OK, _check_outputs, _CliError, _given, _penalty_arguments, _setting

# One letter a regime, for the printed map.
LETTERS = {"converges": "C", "too slow": "s", "oscillates": "o", "diverges": "D"}
OUTPUTS = ("csv_out", "plot_out")


def add_arguments(parser) -> None:
    from .core import stability as st

    parser.add_argument("scenario", choices=st.SCENARIOS, help="the lesson: " + " or ".join(st.SCENARIOS))
    parser.add_argument("--steps", type=_setting("steps", 1), default=None,
                        help=f"steps of each cell's run (default: {st.DEFAULT_STEPS})")
    parser.add_argument("--batch-size", type=_setting("batch_size"), help="mini-batch size (default: the full batch)")
    _penalty_arguments(parser, weights_in=False)
    outputs = parser.add_argument_group("outputs (written together at the end: all of them, or none)")
    outputs.add_argument("--csv-out", metavar="F.csv", type=_given("the table file"),
                         help="one row per cell: lr, momentum, regime, final loss, the step it diverged at")
    outputs.add_argument("--plot-out", metavar="F.png|F.svg", type=_given("the figure file"),
                         help="draw the map as the window does, with the divergence bound")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def cmd_stability(args) -> int:
    from .core import stability as st
    from .core.errors import GdsimError
    from .core.settings import Settings

    settings = Settings(scenario=args.scenario, batch_size=args.batch_size, l1=args.l1 or 0.0, l2=args.l2 or 0.0)
    try:
        _check_outputs(args, OUTPUTS)
        found = st.stability_map(settings, st.default_lrs(args.scenario), st.default_momenta(), args.steps)
        bound = st.bound_lrs(found)
        _write_outputs(args, found, bound)
    except GdsimError as exc:
        raise _CliError(str(exc)) from None
    if not args.quiet:
        print_map(found, bound, sys.stdout)
    return EXIT_OK


def print_map(found, bound, out) -> None:
    """The map as letters, momentum up and lr across, the bound marked on each row."""
    import numpy as np

    s = found.settings
    print(f"stability map: {s.scenario}, SGD with momentum, {found.steps} steps a cell from the initial weights "
          f"({len(found.lrs)} learning rates x {len(found.momenta)} momenta)", file=out)
    print(f"  learning rates {found.lrs[0]:g} to {found.lrs[-1]:g} across (log scale); momentum down the side",
          file=out)
    for i in range(len(found.momenta) - 1, -1, -1):
        letters = "".join(LETTERS[found.regime_name(i, j)] for j in range(len(found.lrs)))
        past = int(np.searchsorted(found.lrs, bound[i], side="right"))  # the first cell past the bound
        row = letters[:past] + "|" + letters[past:] if past < len(letters) else letters + " "
        print(f"  {found.momenta[i]:4.2f}  {row}", file=out)
    print("  " + ", ".join(f"{letter} {regime}" for regime, letter in LETTERS.items())
          + "; | the bound lr = 2(1 + momentum) / largest curvature", file=out)
    print(f"  without momentum every run past lr {bound[0]:.3g} diverges; with momentum "
          f"{found.momenta[-1]:g}, past {bound[-1]:.3g}", file=out)


def _write_outputs(args, found, bound) -> None:
    if args.csv_out is None and args.plot_out is None:
        return
    from .core.files.atomic import all_or_none

    with all_or_none():
        if args.csv_out is not None:
            _write_csv(args.csv_out, found)
        if args.plot_out is not None:
            from .app.figure import render_stability  # Qt is imported only here

            render_stability(args.plot_out, found, bound)


def _write_csv(path, found) -> None:
    from .core.files.history_csv import write_csv

    def row(i, j):
        at = int(found.diverged_at[i, j])
        return [repr(float(found.lrs[j])), repr(float(found.momenta[i])), found.regime_name(i, j),
                repr(float(found.final_loss[i, j])), at if at >= 0 else ""]

    write_csv(path, ["lr", "momentum", "regime", "final_loss", "diverged_at_step"],
              (row(i, j) for i in range(len(found.momenta)) for j in range(len(found.lrs))))
