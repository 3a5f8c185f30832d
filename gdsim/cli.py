"""The ``gdsim`` command.

``gdsim`` / ``gdsim app`` open the window; ``gdsim list`` shows the scenarios;
``gdsim run`` trains headless; ``gdsim lr-find`` runs fastai's learning-rate range test;
``gdsim lesson`` checks a lesson file (gdsim/cli_lesson.py).
``run`` and ``lr-find`` import only NumPy and the engine, never Qt (unless they draw
--plot-out), so they start fast and work where no display exists; ``list`` and ``--help``
do not even import NumPy.

Exit status: 0 done, 1 a lesson's claim does not hold (gdsim lesson --check), 2 bad input (one line on stderr, no traceback; nothing written),
3 training diverged (outputs written from the last finite state; for lr-find, the --steps N
before the test diverged and nothing is written: a test that diverges has simply ended),
130 interrupted by Ctrl+C (outputs written from the last finished step; lr-find writes
nothing), 141 stdout closed by its reader.
"""

from __future__ import annotations

import sys
import time

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT: what shells report for a program stopped by Ctrl+C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what shells report for a program whose reader went away
THEMES = ("system", "light", "dark", "high-contrast")  # the window's (gdsim.app.theme.THEMES, without Qt)
DEFAULT_SCENARIO = "fruit"  # what the window opens with


class UsageError(Exception):
    """Bad input on the command line; its message is the whole error line."""


# ----- argument types with messages a person can act on ---------------------------------------

def _setting(field: str, at_least: int | None = None, why: str = ""):
    """An option that sets a field of ``Settings``: parsed and checked there, in one place."""
    def parse(text):
        import argparse
        import dataclasses

        from .core.errors import GdsimError
        from .core.settings import NUMBERS

        number = NUMBERS[field] if at_least is None else dataclasses.replace(NUMBERS[field], low=at_least)
        try:
            return number.parse(text)
        except GdsimError as exc:
            raise argparse.ArgumentTypeError(str(exc) + (why if "must be >=" in str(exc) else "")) from None
    return parse


def _number(number):
    """An option checked by a ``Number`` (``gdsim.core.settings``), its message as the error's."""
    def parse(text):
        import argparse

        from .core.errors import GdsimError

        try:
            return number.parse(text)
        except GdsimError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def _jobs(text):
    import argparse

    from .core.errors import GdsimError
    from .core.variants import JOBS

    try:
        return JOBS.parse(text)
    except GdsimError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _choices_help(kind: str) -> str:
    """The choices of a registry, from the registry: help for --loss, --init, --optimizer."""
    from .core.choices import command_line_help
    from .core.engine.registries import REGISTRIES

    return command_line_help(REGISTRIES[kind])


def _given(name):
    """A file or column option: an empty value (an unset shell variable) is a mistake, not 'none'."""
    def parse(text):
        import argparse

        if not text.strip():
            raise argparse.ArgumentTypeError(f"{name} is empty")
        return text
    return parse


def _parsed_by(module: str, name: str):
    """An argparse type: ``gdsim.MODULE.NAME`` reads the text, its GdsimError becomes argparse's
    one-line error. The module is imported only when the option is given (gdsim list and --help
    import no NumPy)."""
    def parse(text):
        import argparse
        import importlib

        from .core.errors import GdsimError

        try:
            return getattr(importlib.import_module(f"gdsim.{module}"), name)(text)
        except GdsimError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


_fraction = _parsed_by("core.data.from_table", "parse_fraction")
_frame_size = _parsed_by("core.animation", "parse_size")
_step_range = _parsed_by("core.animation", "parse_step_range")


def build_parser(command: str | None = "run"):
    """The parser; ``run``'s options (whose help lists the registries' choices, with NumPy) only
    when the command is ``run``, so that ``gdsim --help`` answers at once. argparse is imported
    here, not with this module: ``gdsim list`` needs no parser."""
    import argparse
    import functools

    # argparse's own width, found once: it makes a formatter (asking the terminal its size) for
    # every option it adds, 40 of them here: a sixth of `gdsim run`'s own start-up. Given a
    # width, argparse does not import shutil either (4 ms, a thirtieth of `gdsim run fruit`).
    formatter = functools.partial(argparse.HelpFormatter, width=_terminal_columns() - 2)

    class _Parser(argparse.ArgumentParser):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("formatter_class", formatter)
            super().__init__(*args, **kwargs)

        # argparse prints the usage block and a traceback-free message; we want one line.
        def error(self, message):
            raise UsageError(f"{self.prog}: {message}")

    parser = _Parser(prog="gdsim", description="A gradient-descent simulator: watch tiny models learn.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    app = sub.add_parser("app", help="open the simulator window (the default)")
    app.add_argument("--scenario", default=DEFAULT_SCENARIO, help=f"scenario to open (default: {DEFAULT_SCENARIO})")
    app.add_argument("--theme", choices=THEMES, default="system",
                     help="colours of the window (default: the desktop's; high-contrast: black and white, "
                          "thick lines, also View > High contrast)")

    sub.add_parser("list", help="list the scenarios")

    opener = sub.add_parser("open", help="open a saved session in the simulator window")
    opener.add_argument("file", help="a .gdsim session file")
    opener.add_argument("--theme", choices=THEMES, default="system",
                        help="colours of the window (default: the desktop's)")

    run = sub.add_parser("run", help="train a scenario headless and write its results",
                         description="Train a scenario, or your own CSV data (--data), or continue a saved "
                                     "session (--session), without a window. Row k of --history-out holds the "
                                     "loss computed before the update of step k.")
    if command == "run":
        _run_arguments(run)
    finder = sub.add_parser("lr-find", help="suggest a learning rate (fastai's range test)",
                            description="Train a copy of a scenario's run (or your own CSV data's) with the "
                                        "learning rate growing exponentially each step, as fastai's lr_find does, "
                                        "until the smoothed loss passes 4 times its lowest, a step diverges or the "
                                        "steps run out; then suggest a learning rate from the smoothed loss.")
    if command == "lr-find":
        _lr_find_arguments(finder)
    mapper = sub.add_parser("stability", help="which lr and momentum converge, which diverge",
                            description="Train the parabola or quadratic lesson with SGD and momentum at every "
                                        "learning rate and momentum of a grid, and say which runs converge, "
                                        "oscillate or diverge (Goh, 'Why Momentum Really Works', Distill 2017).")
    if command == "stability":
        from .cli_stability import add_arguments

        add_arguments(mapper)
    teacher = sub.add_parser("lesson", help="open a lesson file, or check its claims (--check)",
                             description="Read a lesson file (docs/lesson-format.md) or a lesson gdsim ships, "
                                         "and open it in the window, or with --check play every page headless "
                                         "and check every expectation it states.")
    if command == "lesson":
        from .cli_lesson import add_arguments as lesson_arguments

        lesson_arguments(teacher)
    return parser


def _run_arguments(run) -> None:
    run.add_argument("scenario", nargs="?", help="scenario name (see 'gdsim list'); omit with --data or --session")
    run.add_argument("--session", metavar="FILE.gdsim", type=_given("the session file"),
                     help="continue the run saved in this session file (from the app or --session-out) with "
                          "its own settings; --steps N takes N more steps")
    _data_arguments(run)
    run.add_argument("--steps", type=_setting("steps", 1, " (a run without a window needs an end)"),
                     help="number of steps (default: the scenario's; with --session: steps to take from where it was)")
    run.add_argument("--lr", type=_setting("lr"), help="learning rate")
    _choice_arguments(run)
    run.add_argument("--until-loss", type=_setting("until_loss"), metavar="X",
                     help="stop once a step's loss falls below X")
    run.add_argument("--patience", type=_setting("patience"), metavar="K",
                     help="stop when validation loss has not improved for K epochs")
    _penalty_arguments(run)
    outputs = run.add_argument_group("outputs (written together at the end: all of them, or none)")
    outputs.add_argument("--weights-out", metavar="F.npz", type=_given("the weights file"), help="write the final weights here")
    outputs.add_argument("--history-out", metavar="F.csv", type=_given("the history file"), help="write one CSV row per step here")
    outputs.add_argument("--plot-out", metavar="F.png|F.svg", type=_given("the figure file"),
                         help="draw the app's three views of the finished run into an image (no window)")
    outputs.add_argument("--session-out", metavar="F.gdsim", type=_given("the session file"),
                         help="save the whole run, to open in the app (gdsim open F.gdsim) or continue with --session")
    outputs.add_argument("--landscape", metavar="W1,W2", type=_given("the landscape's weights"),
                         help="with --plot-out: add the loss landscape over two weights named as in the gradient "
                              "view (weight[0,1],bias[0]; params[0],params[1]), or over a slice through all the "
                              "weights (random, pca), with the path of the run (and of every --vs run); with "
                              "--animate-view landscape: the plane the animation shows (default: the two weights "
                              "whose gradients were largest at its last step)")
    _animation_arguments(run, outputs)
    compare = run.add_argument_group("comparing runs")
    compare.add_argument("--vs", action="append", metavar='"KEY=VALUE ..."',
                         help="also train these settings changed, from the same initial weights and batch order "
                              "(repeatable): keys lr, optimizer, loss, init, zero-grad=on|off, l1, l2, batch-size, "
                              "seed, model, steps; e.g. --vs zero-grad=off --vs \"optimizer=adam lr=0.01\"")
    compare.add_argument("--fair-lr", action="store_true",
                         help="with --vs: every run (the base too) at the learning rate its own range test "
                              "suggests from the initial weights (as gdsim lr-find): one lr shared by all favours "
                              "some optimizers")
    compare.add_argument("--jobs", type=_jobs, metavar="N",
                         help="with --vs: train N runs at once in processes (default: one per core; "
                              "results are the same either way)")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _animation_arguments(run, outputs) -> None:
    """--animate-out and how the animation (and --plot-out's figure) is drawn."""
    from .core import animation

    outputs.add_argument("--animate-out", metavar="F.gif|DIR/|F_%04d.png", type=_given("the animation's file"),
                         help="draw the run step by step as the window's views show it: an animated GIF "
                              "(F.gif, looping), or numbered PNG frames (into folder DIR as frame_0001.png, "
                              "..., or named F_0001.png, ... by a %%d pattern)")
    look = run.add_argument_group("drawing the animation and the figure")
    look.add_argument("--frames", type=_animation_number(animation.check_frames, int), metavar="N",
                      help=f"at most N frames ({animation.MIN_FRAMES} to {animation.MAX_FRAMES}), spread evenly "
                           f"over the steps, the first the initial weights and the last the last step; a shorter "
                           f"run has one frame a step (default: {animation.DEFAULT_FRAMES})")
    look.add_argument("--fps", type=_animation_number(animation.check_fps, float), metavar="F",
                      help=f"frames a second ({animation.MIN_FPS:g} to {animation.MAX_FPS:g}; default "
                           f"{animation.DEFAULT_FPS:g}); the last frame stays {animation.HOLD_LAST_MS / 1000:g} s "
                           f"longer")
    look.add_argument("--animate-steps", metavar="A:B", type=_step_range,
                      help="animate steps A to B only (A: or :B leave one end open; default: the whole run)")
    look.add_argument("--animate-view", choices=animation.VIEWS, metavar="NAME", default=None,
                      help=f"what the frames show: {', '.join(animation.VIEWS)} (the window's views: the figure "
                           f"of all of them but the landscape, or one alone; default: all). The landscape's grid "
                           f"is computed once, at the last step, over the plane --landscape names")
    look.add_argument("--animate-size", metavar="WxH", type=_frame_size, default=None,
                      help=f"each frame W by H pixels, caption included (times --scale; "
                           f"{animation.MIN_SIZE[0]}x{animation.MIN_SIZE[1]} to "
                           f"{animation.MAX_SIZE[0]}x{animation.MAX_SIZE[1]}; default: "
                           f"{'x'.join(map(str, animation.DEFAULT_SIZES['all']))} for all views, "
                           f"{'x'.join(map(str, animation.DEFAULT_SIZES['one']))} for one)")
    look.add_argument("--caption", action=argparse_boolean(), default=None,
                      help="write a caption line with the scenario and its settings above the figure and on "
                           "every frame (the default; --no-caption leaves it out)")
    look.add_argument("--scale", type=int, choices=(1, 2, 3), default=None,
                      help="draw the figure and the frames 1, 2 or 3 times as large (2 for slides; default 1)")


def argparse_boolean():
    import argparse

    return argparse.BooleanOptionalAction


def _animation_number(check, kind):
    def parse(text):
        import argparse

        from .core.errors import GdsimError

        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        try:
            check(value)
        except GdsimError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return value
    return parse


def _data_arguments(parser) -> None:
    """--data FILE.csv and how its columns are read (``run`` and ``lr-find``)."""
    data = parser.add_argument_group("your own data")
    data.add_argument("--data", metavar="FILE.csv", type=_given("the data file"), help="train on a CSV file with a header row")
    data.add_argument("--inputs", metavar="A,B", type=_given("the input columns"),
                      help="input columns, comma-separated (default: every other column of numbers)")
    data.add_argument("--targets", metavar="Y", type=_given("the target columns"),
                      help="target columns, comma-separated (default: the last column with a value in at least "
                           "half its rows)")
    data.add_argument("--task", choices=("regression", "binary", "multiclass"),
                      help="regression (numbers), binary classification (a 0/1 target) or multiclass (class labels, "
                           "text or whole numbers); default: inferred from the target (text: multiclass, only 0 "
                           "and 1: binary, else regression)")
    data.add_argument("--missing", choices=("drop", "error"),
                      help="rows with a missing value (empty, NA, N/A, #N/A, NaN, null, ?) in a chosen column: "
                           "left out and counted (drop, the default), or refused (error)")
    data.add_argument("--standardize", action="store_true", default=None,
                      help="scale every input to mean 0, std 1 (from the training rows)")
    data.add_argument("--val-fraction", type=_fraction, default=None, metavar="F",
                      help="share of rows kept for validation, 0 to 0.5 (default 0.2 from 10 rows up, else 0)")


def _choice_arguments(parser) -> None:
    """The run's model, loss, initial weights, optimizer and batches (``run`` and ``lr-find``)."""
    parser.add_argument("--optimizer", help=_choices_help("optimizer"))
    parser.add_argument("--loss", help=_choices_help("loss"))
    parser.add_argument("--init", help=_choices_help("init"))
    parser.add_argument("--model", help="model variant the scenario offers (see 'gdsim list')")
    parser.add_argument("--batch-size", type=_setting("batch_size"), help="mini-batch size (default: the scenario's)")
    parser.add_argument("--seed", type=_setting("seed"), help="seed for initial weights and batch order")
    parser.add_argument("--no-zero-grad", action="store_true", default=None,
                        help="never reset the gradients: each step uses the sum of all gradients so far")


def _penalty_arguments(parser, weights_in: bool = True) -> None:
    """Penalties, and initial weights from a file (``run`` and ``lr-find``; ``stability`` starts
    every cell from the lesson's own)."""
    parser.add_argument("--l1", type=_setting("l1"),
                        help="add L1 * sum(|p|) over all parameters to the loss")
    parser.add_argument("--l2", type=_setting("l2"),
                        help="add L2 * sum(p**2) over all parameters to the loss")
    if not weights_in:
        return
    parser.add_argument("--weights-in", metavar="F.npz", type=_given("the weights file"), help="initial weights (npz keyed by parameter name)")


def _lr_find_arguments(finder) -> None:
    from .core import lr_find

    finder.add_argument("scenario", nargs="?", help="scenario name (see 'gdsim list'); omit with --data")
    _data_arguments(finder)
    finder.add_argument("--steps", type=_setting("steps", 1), metavar="N",
                        help="train N steps at --lr first, and test from there (default: test from the initial "
                             "weights)")
    finder.add_argument("--lr", type=_setting("lr"), help="learning rate of the --steps N steps (default: the "
                                                          "scenario's)")
    _choice_arguments(finder)
    _penalty_arguments(finder)
    test = finder.add_argument_group("the range test")
    test.add_argument("--start", type=_number(lr_find.START), default=lr_find.DEFAULT_START, metavar="LR",
                      help=f"learning rate of the first step (default: {lr_find.DEFAULT_START:g}, fastai's)")
    test.add_argument("--end", type=_number(lr_find.END), default=lr_find.DEFAULT_END, metavar="LR",
                      help=f"learning rate the steps grow towards (default: {lr_find.DEFAULT_END:g}, fastai's)")
    test.add_argument("--test-steps", type=_number(lr_find.STEPS), default=lr_find.DEFAULT_STEPS, metavar="K",
                      help=f"at most K steps, each at a learning rate (end/start)**(1/K) times the last "
                           f"(default: {lr_find.DEFAULT_STEPS}, fastai's)")
    test.add_argument("--rule", choices=lr_find.RULES, default=lr_find.DEFAULT_RULE,
                      help="how the smoothed loss gives a learning rate: minimum, a tenth of the learning rate "
                           "where it was lowest (the default: see gdsim/core/lr_find.py for why), or valley, "
                           "fastai's default, about half way into its longest fall")
    outputs = finder.add_argument_group("outputs (written together at the end: all of them, or none)")
    outputs.add_argument("--history-out", metavar="F.csv", type=_given("the history file"),
                         help="write one CSV row per test step: step, lr, loss, smoothed_loss")
    outputs.add_argument("--plot-out", metavar="F.png|F.svg", type=_given("the figure file"),
                         help="draw the loss against the learning rate, with the suggestion, into an image")
    finder.add_argument("--quiet", action="store_true", help="print nothing but errors")
    # What the run's settings take from options lr-find does not offer: the scenario's defaults.
    finder.set_defaults(until_loss=None, patience=None)


# What a run's settings come from: refused with --session, which continues with the saved ones.
_RUN_CHOICES = ("scenario", "data", "inputs", "targets", "task", "missing", "standardize", "val_fraction", "lr",
                "optimizer",
                "loss", "init", "model", "batch_size", "seed", "no_zero_grad", "until_loss", "patience", "l1",
                "l2", "weights_in")
_OUTPUTS = ("weights_out", "history_out", "plot_out", "session_out")  # files; --animate-out's are checked apart


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        code = _main(argv)
        sys.stdout.flush()  # here, where a closed pipe is still ours to handle
        return code
    except BrokenPipeError:
        # `gdsim run fruit | head -3`: the reader has gone. Say nothing, as tools killed by SIGPIPE do.
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("gdsim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


# What argparse prints for `gdsim --help` on a terminal at least HELP_COLUMNS wide (narrower, it
# wraps the lines). Printed from here, the answer takes a third of the time: importing argparse and
# what it imports costs more than everything else `gdsim --help` does. tests/cli checks that this is
# still, at every width, exactly what build_parser() prints.
HELP = """\
usage: gdsim [-h] COMMAND ...

A gradient-descent simulator: watch tiny models learn.

positional arguments:
  COMMAND
    app       open the simulator window (the default)
    list      list the scenarios
    open      open a saved session in the simulator window
    run       train a scenario headless and write its results
    lr-find   suggest a learning rate (fastai's range test)
    stability
              which lr and momentum converge, which diverge
    lesson    open a lesson file, or check its claims (--check)

options:
  -h, --help  show this help message and exit
"""
HELP_COLUMNS = 65


def _terminal_columns() -> int:
    """The width argparse formats help for: shutil.get_terminal_size's rule, without importing shutil."""
    import os

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _main(argv) -> int:
    # Three command lines need no parser to check them: answered without building one (for the
    # window, a few milliseconds of its start-up).
    if not argv:
        return cmd_app(DEFAULT_SCENARIO)
    if argv == ["list"]:
        return cmd_list()
    if argv in (["--help"], ["-h"]) and _terminal_columns() >= HELP_COLUMNS:
        try:
            sys.stdout.write(HELP)
        except (AttributeError, OSError):  # as argparse's print_help: a reader that went away is no error
            pass
        return EXIT_OK
    try:
        args = build_parser(argv[0] if argv else None).parse_args(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help
        return int(exc.code or 0)

    command = args.command or "app"
    try:
        if command == "list":
            return cmd_list()
        if command == "run":
            return cmd_run(args)
        if command == "lr-find":
            return cmd_lr_find(args)
        if command == "stability":
            from .cli_stability import cmd_stability

            return cmd_stability(args)
        if command == "lesson":
            from .cli_lesson import cmd_lesson

            return cmd_lesson(args)
        if command == "open":
            return cmd_open(args.file, args.theme)
        return cmd_app(getattr(args, "scenario", DEFAULT_SCENARIO), getattr(args, "theme", "system"))
    except _CliError as exc:
        # One line, whatever a file put into the message (a name with a line break in it).
        print("gdsim: " + str(exc).replace("\r", "\\r").replace("\n", "\\n"), file=sys.stderr)
        return EXIT_USAGE


def _discard_stdout() -> None:
    """Send what is still buffered for a closed pipe nowhere, so that exiting does not complain."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # a stand-in stdout (tests) has no descriptor
        pass


class _CliError(Exception):
    pass


def cmd_list() -> int:
    from .core.catalog import CATALOG  # names and summaries only: no NumPy to import

    width = max(len(n) for n in CATALOG)
    for entry in CATALOG.values():
        print(f"{entry.name:<{width}}  {entry.summary}")
        if len(entry.models) > 1:
            for model, summary in entry.models:
                print(f"{'':<{width}}    --model {model}: {summary}")
    return EXIT_OK


def cmd_app(scenario: str = DEFAULT_SCENARIO, theme: str = "system") -> int:
    from .core.catalog import CATALOG

    if scenario not in CATALOG:
        raise _CliError(f"unknown scenario {scenario!r}; choose from {', '.join(CATALOG)}")
    from .app.main import run_app  # Qt is imported only here

    return run_app(scenario, theme)


def cmd_open(path: str, theme: str = "system") -> int:
    from .core.errors import GdsimError
    from .core.files.session import load_session

    try:
        load_session(path)  # a file that cannot be opened is refused here, before any window
    except GdsimError as exc:
        raise _CliError(str(exc)) from None
    from .app.main import run_app

    return run_app(theme=theme, session=path)


def _data_scenario(args):
    """The scenario of --data FILE.csv and its column choices."""
    from .core.data.csv_reader import read_table
    from .core.data.from_table import column_summary, default_inputs, default_target, default_val_fraction
    from .core.errors import GdsimError
    from .core.scenarios import scenario_from_table

    if args.scenario is not None:
        raise GdsimError(f"give a scenario name or --data, not both ({args.scenario!r} and {args.data!r})")
    table = read_table(args.data)
    columns = list(table.columns)
    if len(columns) < 2:
        raise GdsimError(f"{args.data!r} has one column ({columns[0]!r}); it needs inputs and a target")
    if args.targets:
        targets = _names(args.targets)
    else:
        targets = [default_target([column_summary(table, c) for c in columns])]
    inputs = _names(args.inputs) if args.inputs else default_inputs(table, targets)
    fraction = args.val_fraction if args.val_fraction is not None else default_val_fraction(table.n_rows)
    return scenario_from_table(table, inputs, targets, task=args.task, missing=args.missing or "drop",
                               standardize=bool(args.standardize), val_fraction=fraction)


def _check_outputs(args, outputs=_OUTPUTS) -> None:
    """Every output of ``outputs`` can be written, no two are the same file, and none is an input,
    before any step."""
    import os

    from .core.errors import GdsimError

    seen = {}
    # A session may be saved over the one it continues: it has been read whole before anything is written.
    inputs = {"--data": getattr(args, "data", None), "--weights-in": getattr(args, "weights_in", None)}
    for key in outputs:
        path, flag = getattr(args, key), _flag(key)
        if path is None:
            continue
        from .core.files.atomic import check_writable  # with pathlib: 10 ms a run without outputs does not need

        check_writable(path)
        real = os.path.realpath(path)
        if real in seen:
            raise GdsimError(f"{seen[real]} and {flag} name the same file {path!r}")
        seen[real] = flag
        for in_flag, in_path in inputs.items():
            if in_path is not None and os.path.realpath(in_path) == real:
                raise GdsimError(f"{flag} {path!r} would overwrite the {in_flag} file")
    if getattr(args, "animate_out", None) is not None:
        from .core.files.frames import GIF, check_target, parse_target

        target = parse_target(args.animate_out)
        check_target(target, args.frames)
        if target.kind == GIF and os.path.realpath(target.path) in seen:
            raise GdsimError(f"{seen[os.path.realpath(target.path)]} and --animate-out name the same file "
                             f"{target.path!r}")
    if args.plot_out is not None and not args.plot_out.lower().endswith((".png", ".svg")):
        raise GdsimError(f"--plot-out draws a .png or .svg file, not {args.plot_out!r}")
    if getattr(args, "landscape", None) is not None and args.plot_out is None and not _animates_landscape(args):
        raise GdsimError("--landscape chooses the landscape of --plot-out's figure or of --animate-view landscape: "
                         "give one of them")


def _animates_landscape(args) -> bool:
    from .core.animation import LANDSCAPE

    return getattr(args, "animate_out", None) is not None and getattr(args, "animate_view", None) == LANDSCAPE


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class _Run:
    """What `gdsim run` trains and saves: the scenario, its trainer, the window's view state, and
    a session's other branches (kept as they were: a session saved over its file keeps them)."""

    def __init__(self, scenario, trainer, app=None, branch="main", branches=()):
        self.scenario, self.trainer, self.app = scenario, trainer, app or {}
        self.branch, self.branches = branch, list(branches)
        self.landscape = None  # --landscape's core.surface.Request
        self.timeline = None  # --animate-out's: the run's checkpoints, its frames rebuilt from them
        self.animation = None  # --animate-out's core.files.frames.Target


def landscape_request(args, trainer):
    """--landscape's plane for ``trainer`` (None without it), its path recorded from now on: the
    trace is widened to the two weights (a slice through all of them needs every weight's path)."""
    if getattr(args, "landscape", None) is None:
        return None
    from .core.errors import GdsimError
    from .core.surface import WEIGHTS, parse_request

    from .core.landscape import has_plane

    if not has_plane(trainer.params.size):
        raise GdsimError("--landscape: a one-weight model has no plane of weights; its loss curve, with the path, "
                         "is in the predictions view")
    request = parse_request(args.landscape, trainer.params.labels())
    indices = [int(k) for k in trainer.trace.indices] if trainer.trace is not None else []
    wanted = [request.i, request.j] if request.kind == WEIGHTS else range(trainer.params.size)
    missing = [k for k in wanted if k not in indices]
    if missing and trainer.step_count > 0:
        raise GdsimError("--landscape draws the path from the session's step on, and the session's trace does "
                         "not hold those weights; choose weights it follows, or run without --session")
    if missing:
        from .core.snapshot import TRACE_EVERY_WEIGHT

        if request.kind != WEIGHTS and trainer.params.size > TRACE_EVERY_WEIGHT:
            raise GdsimError(f"--landscape {request.kind} draws the path of every weight, and this model has "
                             f"{trainer.params.size:,} (at most {TRACE_EVERY_WEIGHT:,}): name two weights instead")
        trainer.start_trace(sorted(set(indices) | set(wanted)))
    return request


def _check_animation_options(args) -> None:
    """The options of the animation and the figure need them; the defaults where they are unset."""
    from .core import animation
    from .core.errors import GdsimError

    if args.animate_out is None:
        for key in ("frames", "fps", "animate_steps", "animate_view", "animate_size"):
            if getattr(args, key) is not None:
                raise GdsimError(f"{_flag(key)} goes with --animate-out (it draws the animation)")
    if args.plot_out is None and args.animate_out is None:
        for key in ("caption", "scale"):
            if getattr(args, key) is not None:
                raise GdsimError(f"--{'no-' if args.caption is False and key == 'caption' else ''}"
                                 f"{key} goes with --plot-out or --animate-out (it is how they are drawn)")
    args.frames = animation.DEFAULT_FRAMES if args.frames is None else args.frames
    args.fps = animation.DEFAULT_FPS if args.fps is None else args.fps
    args.animate_view = args.animate_view or "all"


def _plan_animation(run: _Run, args) -> None:
    """--animate-out: its target checked, the step range checked against the run's steps (as far
    as they are known before training), and the timeline that rebuilds its frames started."""
    from .core.errors import GdsimError
    from .core.timeline import Timeline

    trainer = run.trainer
    first, last = args.animate_steps or (None, None)
    start, end = trainer.step_count, trainer.max_steps
    where = f"the run's steps are {start} to {end}" if end is not None else f"the run starts at step {start}"
    if first is not None and first < start:
        raise GdsimError(f"--animate-steps starts at step {first}, before the run ({where}: a session's earlier "
                         f"steps are not in it)")
    if end is not None and ((last is not None and last > end) or (first is not None and first >= end)):
        raise GdsimError(f"--animate-steps {_shown_range(first, last)} is outside the run ({where})")
    run.timeline = Timeline(trainer)


def _shown_range(first, last) -> str:
    return f"{'' if first is None else first}:{'' if last is None else last}"


def _animation_source(run: _Run, args):
    """The frames of --animate-out: (a FrameSource, its writer)."""
    from .core import animation
    from .core.errors import GdsimError
    from .core.files.frames import AnimationWriter, parse_target
    from .core.snapshot import run_info

    trainer = run.trainer
    first, last = args.animate_steps or (None, None)
    end = trainer.step_count
    if last is not None and last > end:  # the run stopped early (a target loss, a divergence, Ctrl+C)
        if first is not None and first >= end:
            raise GdsimError(f"--animate-steps {_shown_range(first, last)}: the run ended at step {end}, "
                             f"before the range")
        last = end
    a, b = animation.resolve_range(first, last, run.timeline.first_step, end)
    steps = animation.frame_steps(a, b, args.frames)
    info = run_info(1, run.scenario, trainer, trainer.settings, run.app.get("tracked"))
    source = animation.FrameSource(info, trainer, run.timeline, animation.scratch_for(run.scenario, trainer), steps)
    if args.animate_view == animation.LANDSCAPE:
        from .core.surface import Request

        source.landscape(run.landscape or Request())
    return source, AnimationWriter(parse_target(args.animate_out), animation.frame_durations(len(steps), args.fps))


def _new_run(args) -> _Run:
    scenario, settings = _scenario_and_settings(args)
    _check_outputs(args)
    return _Run(scenario, _built(scenario, settings, args))


def _scenario_and_settings(args):
    """The scenario (a built-in one, or --data's) and the settings the options give it."""
    from .core.errors import GdsimError
    from .core.scenarios import get_scenario
    from .core.settings import Settings

    if args.data is not None:
        scenario = _data_scenario(args)
    elif args.scenario is None:
        raise GdsimError("name a scenario (see 'gdsim list') or give --data FILE.csv "
                        "(or --session FILE.gdsim to continue a saved run)")
    else:
        for flag in ("inputs", "targets", "task", "missing", "standardize", "val_fraction"):
            if getattr(args, flag) is not None:
                raise GdsimError(f"{_flag(flag)} goes with --data FILE.csv")
        scenario = get_scenario(args.scenario)
    settings = Settings(
        scenario=scenario.name, model=args.model, loss=args.loss, init=args.init,
        optimizer=args.optimizer, lr=args.lr, steps=args.steps, batch_size=args.batch_size,
        seed=args.seed, zero_grad=not args.no_zero_grad, until_loss=args.until_loss,
        patience=args.patience, l1=args.l1 or 0.0, l2=args.l2 or 0.0,
    )
    if args.patience is not None and not scenario.data.has_validation:
        raise GdsimError(f"--patience needs a validation split, and scenario {scenario.name!r} has none")
    return scenario, settings


def _built(scenario, settings, args):
    """A trainer of ``settings``, with --weights-in's weights, recording what the outputs need."""
    # A figure draws the per-tensor gradient norms and the followed weights, and a session keeps
    # them for the window: record them (as the window does).
    full = args.plot_out is not None or args.session_out is not None or args.animate_out is not None
    trainer = scenario.build(settings, track_tensor_norms=full, record_updates=full)
    _load_weights(trainer, args.weights_in)
    return trainer


def _load_weights(trainer, path) -> None:
    """--weights-in: the run starts from the weights in ``path`` (if given)."""
    if path is not None:
        from .core.files.weights import read_weights

        trainer.set_initial_weights(read_weights(path, trainer.params.specs))


def _continued_run(args) -> _Run:
    """The run a session file holds, read by the loader the window uses; --steps N adds N steps."""
    from .core.errors import GdsimError
    from .core.files.session import load_session

    for key in _RUN_CHOICES:
        if getattr(args, key) is not None:
            what = "a scenario name" if key == "scenario" else _flag(key)
            raise GdsimError(f"{what} cannot be used with --session: a session continues with its own settings "
                             f"(change them in the window: gdsim open {args.session})")
    _check_outputs(args)
    session = load_session(args.session)
    trainer = session.trainer
    if args.steps is not None:
        trainer.apply(trainer.settings.replace(steps=trainer.step_count + args.steps))
    elif trainer.max_steps is None and trainer.until_loss is None and trainer.patience is None:
        raise GdsimError(f"{args.session!r} has no stop condition (it was left to run without a step limit): "
                         f"give --steps N")
    return _Run(session.scenario, trainer, session.app, session.branch, session.branches)


def cmd_run(args) -> int:
    from .core.errors import GdsimError

    if args.vs is not None:
        from .cli_compare import cmd_compare

        return cmd_compare(args)
    if args.jobs is not None:
        raise _CliError("--jobs goes with --vs (it trains the compared runs at once)")
    if args.fair_lr:
        raise _CliError("--fair-lr goes with --vs (it gives each compared run its own learning rate)")
    try:
        _check_animation_options(args)
        run = _continued_run(args) if args.session is not None else _new_run(args)
        if (args.plot_out is not None or args.session_out is not None
                or args.animate_out is not None) and run.trainer.trace is None:
            from .core.snapshot import run_info, trace_indices

            info = run_info(0, run.scenario, run.trainer, run.trainer.settings)
            run.trainer.start_trace(trace_indices(info, run.app.get("tracked")))
        run.landscape = landscape_request(args, run.trainer)
        if args.animate_out is not None:
            _plan_animation(run, args)
            from .core.animation import check_view
            from .core.snapshot import run_info

            check_view(args.animate_view, run_info(0, run.scenario, run.trainer, run.trainer.settings))
    except GdsimError as exc:
        raise _CliError(str(exc)) from None

    trainer, s = run.trainer, run.trainer.settings
    with _Interrupt() as interrupt:  # from here on, Ctrl+C stops the run and keeps it
        if not args.quiet:
            zero = "on" if s.zero_grad else "OFF (gradients accumulate)"
            print(f"{run.scenario.name}: {trainer.model.describe()}, {trainer.loss.describe()}, "
                  f"{trainer.optimizer.describe()} lr {s.lr:g}, gradient zeroing {zero}")
            if args.data is not None:
                print(f"data: {run.scenario.lesson}")
            if args.session is not None:
                print(f"continuing {args.session} from step {trainer.step_count}")
            sys.stdout.flush()  # a reader (a person, a test waiting to press Ctrl+C) sees it now
        first = trainer.step_count
        stop, elapsed = _train(trainer, interrupt, show_progress=not args.quiet and sys.stderr.isatty(),
                               timeline=run.timeline)
    interrupted = interrupt.requested
    try:
        written = _write_outputs(run, args)
    except GdsimError as exc:
        raise _CliError(str(exc)) from None

    if not args.quiet:
        _print_summary(trainer, stop, trainer.step_count - first, elapsed, sys.stdout)
    if interrupted:
        kept = f"; the outputs are of that step ({', '.join(written)})" if written else ""
        print(f"gdsim: interrupted at step {trainer.step_count}{kept}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if stop.divergence is not None:
        print(f"gdsim: {stop.message}", file=sys.stderr)
        return EXIT_DIVERGED
    return EXIT_OK


_LR_FIND_OUTPUTS = ("history_out", "plot_out")


def cmd_lr_find(args) -> int:
    """fastai's learning-rate range test (gdsim.core.lr_find) from a new run, or from it after --steps N."""
    from .core import lr_find
    from .core.errors import GdsimError

    try:
        lr_find.check_range(args.start, args.end, args.test_steps, args.rule)
        if args.lr is not None and args.steps is None:
            raise GdsimError("--lr is the learning rate of the --steps N steps before the test (the test sets its "
                             "own); give --steps N too")
        scenario, settings = _scenario_and_settings(args)
        _check_outputs(args, _LR_FIND_OUTPUTS)
        trainer = scenario.build(settings, record_updates=False)
        _load_weights(trainer, args.weights_in)
        lr_find.check_loss(trainer)
    except GdsimError as exc:
        raise _CliError(str(exc)) from None

    if not args.quiet:
        print(f"{scenario.name}: {_describe(trainer)}")
        if args.data is not None:
            print(f"data: {scenario.lesson}")
        sys.stdout.flush()
    if args.steps is not None:
        stop = trainer.advance(args.steps)
        if stop is not None:  # no test from weights that are not a run's any more
            print(f"gdsim: the {args.steps} steps before the test {stop.message}; no test was run", file=sys.stderr)
            return EXIT_DIVERGED
        if not args.quiet:
            print(f"trained: {args.steps} steps at lr {trainer.lr:g} first")
    try:
        test = lr_find.find_lr(scenario, trainer, args.start, args.end, args.test_steps, args.rule)
        _write_lr_find_outputs(args, scenario, trainer, test)
    except GdsimError as exc:
        raise _CliError(str(exc)) from None
    if not args.quiet:
        _print_range_test(test, sys.stdout)
    return EXIT_OK


def _describe(trainer) -> str:
    zero = "on" if trainer.zero_grad else "OFF (gradients accumulate)"
    return (f"{trainer.model.describe()}, {trainer.loss.describe()}, {trainer.optimizer.describe()}, "
            f"{_batch(trainer)}, gradient zeroing {zero}")


def _batch(trainer) -> str:
    n = trainer.data.n_train
    rows = f"{n} row{'s' * (n != 1)}"
    return f"full batch of {rows}" if trainer.batch_size >= n else f"batches of {trainer.batch_size} from {rows}"


def _print_range_test(test, out) -> None:
    from .core.lr_find import MINIMUM, RULE_NAMES

    where = "the initial weights" if test.from_step == 0 else f"the weights after step {test.from_step:,}"
    print(f"range test: lr {test.start:g} growing towards {test.end:g} over {test.steps} steps, from {where}",
          file=out)
    print(f"stopped: {test.why_stopped}", file=out)
    if test.suggestion is None:
        print("suggested lr: none", file=out)
        print(f"  why       {test.why_no_suggestion}", file=out)
    else:
        low, high = test.suggested.came_from
        print(f"suggested lr: {test.suggestion!r}", file=out)
        print(f"  rule      {RULE_NAMES[test.rule]}: {test.suggested.how}", file=out)
        print(f"  from      lr {low:.3g} to {high:.3g}", file=out)
    other = test.by_valley if test.rule == MINIMUM else test.by_minimum
    if other.lr is not None:
        print(f"  {other.rule:<9} {other.lr:.3g} by {RULE_NAMES[other.rule]} (--rule {other.rule}): {other.how}",
              file=out)


def _write_lr_find_outputs(args, scenario, trainer, test) -> None:
    """The test's outputs, renamed into place together once all are written (or none is)."""
    if args.history_out is None and args.plot_out is None:
        return
    from .core.files.atomic import all_or_none

    with all_or_none():
        if args.history_out is not None:
            _write_range_test_csv(args.history_out, test)
        if args.plot_out is not None:
            from .app.figure import render_lr_find  # Qt is imported only here

            render_lr_find(args.plot_out, test, _range_test_caption(scenario, trainer, test))


def _write_range_test_csv(path, test) -> None:
    """One row per test step: its number, learning rate, loss and smoothed loss, exact to the bit."""
    from .core.files.history_csv import write_csv

    write_csv(path, ["step", "lr", "loss", "smoothed_loss"],
              ([k, repr(float(lr)), repr(float(loss)), repr(float(smoothed))]
               for k, (lr, loss, smoothed) in enumerate(zip(test.lrs, test.losses, test.smoothed), start=1)))


def _range_test_caption(scenario, trainer, test) -> str:
    return (f"gdsim lr-find: {scenario.name} ({scenario.title})  |  {trainer.model.describe()}  |  "
            f"{trainer.loss.describe()}  |  {trainer.optimizer.describe()}, {_batch(trainer)}  |  "
            f"from step {test.from_step:,}: lr {test.start:g} towards {test.end:g}, {test.taken} of {test.steps} steps")


def _train(trainer, interrupt, show_progress: bool, timeline=None):
    """Train until a stop condition holds or Ctrl+C (``interrupt``); returns (the Stop or None, seconds).

    Steps go in chunks of about 20 ms, so Ctrl+C ends the run within one chunk, after a whole step.
    With a ``timeline`` (--animate-out), a checkpoint is offered to it after each chunk.
    """
    progress = _Progress(trainer.max_steps, enabled=show_progress)
    chunk, stop = 1, None
    started = time.perf_counter()
    while not interrupt.requested:
        t0 = time.perf_counter()
        stop = trainer.run(limit=chunk)
        if timeline is not None:
            timeline.after_steps(trainer)
        progress.update(trainer.step_count)
        if stop is not None:
            break
        took = time.perf_counter() - t0
        chunk = chunk * 2 if took < 0.01 else max(1, chunk // 2) if took > 0.04 else chunk
    elapsed = time.perf_counter() - started
    progress.done()
    return stop, elapsed


class _Interrupt:
    """Ctrl+C while training asks to stop after the step under way; a second one stops at once."""

    requested = False

    def __enter__(self):
        import signal
        import threading

        self._previous = None
        if threading.current_thread() is threading.main_thread():  # only there can Python catch signals
            self._previous = signal.signal(signal.SIGINT, self._request)
        return self

    def _request(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _write_outputs(run: _Run, args) -> list[str]:
    """Every output asked for, renamed into place together once all are written (or none is)."""
    written = [getattr(args, key) for key in _OUTPUTS if getattr(args, key) is not None]
    if args.animate_out is not None:
        written.append(args.animate_out)
    if not written:
        return written  # and no file-writing module (nor pathlib) imported: a run without outputs ends sooner
    from .core.files.atomic import all_or_none

    # Each writer is imported only when its output is asked for.
    trainer = run.trainer
    with all_or_none():
        if args.weights_out is not None:
            from .core.files.weights import save_weights

            save_weights(args.weights_out, trainer.params.state_dict())
        if args.history_out is not None:
            from .core.files.history_csv import history_classes, write_history_csv

            write_history_csv(args.history_out, trainer.history, settings=trainer.settings,
                              classes=history_classes(trainer.data))
        if args.session_out is not None:
            from .core.files.session import save_session

            save_session(args.session_out, trainer, trainer.settings, run.scenario, run.app,
                         branch=run.branch, branches=run.branches)
        if args.plot_out is not None:
            from .app.figure import render_figure  # Qt is imported only here

            render_figure(args.plot_out, run.scenario, trainer, run.landscape,
                          caption=args.caption is not False, scale=args.scale or 1)
        if args.animate_out is not None:
            from .app.animation import render_animation  # Qt is imported only here

            source, writer = _animation_source(run, args)
            names = render_animation(writer, source, args.animate_view, size=args.animate_size,
                                     scale=args.scale or 1, caption=args.caption is not False)
            written[written.index(args.animate_out)] = writer.target.describe(len(names))
    return written


def _print_summary(trainer, stop, taken: int, elapsed: float, out) -> None:
    from .core.engine.metrics import METRIC_TITLES

    h = trainer.history
    n = trainer.step_count
    rate = taken / elapsed if elapsed > 0 else float("inf")
    print(f"stopped: {stop.message if stop is not None else f'interrupted (Ctrl+C) at step {n}'}", file=out)
    if n:
        print(f"  loss      {h.loss[0]:.6g} at step {int(h.steps[0])} -> {trainer.last_loss:.6g} at step {n}",
              file=out)
        final_loss, final_metric = trainer.evaluate("train")
        line = f"  final     loss {final_loss:.6g} on the final weights (training data)"
        if final_metric is not None:
            line += f", {METRIC_TITLES[trainer.metric]} {_fmt_metric(trainer.metric, final_metric)}"
        print(line, file=out)
        print(f"  gradient  norm {trainer.last_grad_norm:.6g} at step {n}", file=out)
    if len(h.val_steps):
        vm = h.val_metric[-1]
        line = f"  validation loss {h.val_loss[-1]:.6g}"
        if trainer.metric:
            line += f", {METRIC_TITLES[trainer.metric]} {_fmt_metric(trainer.metric, vm)}"
        print(line + f" (after step {int(h.val_steps[-1])})", file=out)
    for note in trainer.notes:
        print(f"  note      step {note.step}: {note.text}", file=out)
    print(f"  speed     {rate:,.0f} steps/s ({taken} steps in {elapsed:.3f} s)", file=out)


def _fmt_metric(name, value) -> str:
    return f"{value:.1%}" if name == "accuracy" else f"{value:.6g}"


class _Progress:
    """A one-line progress display on a terminal, for runs long enough to need one."""

    def __init__(self, total, enabled):
        self.total = total
        self.enabled = enabled
        self._last = time.perf_counter()
        self._shown = False

    def update(self, step):
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last >= 0.25:
            self._last = now
            total = f"/{self.total}" if self.total else ""
            sys.stderr.write(f"\rstep {step}{total}")
            sys.stderr.flush()
            self._shown = True

    def done(self):
        if self._shown:
            sys.stderr.write("\r" + " " * 40 + "\r")
            sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
