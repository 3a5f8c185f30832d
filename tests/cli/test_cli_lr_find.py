"""`gdsim lr-find`: the suggestion the core makes, the history CSV, the figure, and one-line errors."""

from __future__ import annotations

import os

import numpy as np
import pytest
from cli_helpers import QT, imported_by, read_csv, subprocess_gdsim

from gdsim.cli import main
from gdsim.core.lr_find import find_lr
from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.settings import Settings


def cli(capsys, *args):
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def core_test(scenario, steps_first=0, lr=None, **kw):
    t = build_trainer(Settings(scenario=scenario, lr=lr))
    assert t.advance(steps_first) is None
    return find_lr(get_scenario(scenario), t, **kw)


def printed(out: str, label: str) -> str:
    lines = [line for line in out.splitlines() if line.startswith(label)]
    assert len(lines) == 1, out
    return lines[0][len(label):]


# ----- what it prints ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", ["fruit", "quadratic", "parabola"])
def test_prints_the_suggestion_the_core_makes(capsys, scenario):
    rc, out, err = cli(capsys, "lr-find", scenario)
    assert rc == 0 and err == ""
    test = core_test(scenario)
    assert float(printed(out, "suggested lr: ")) == test.suggestion  # to the last bit
    low, high = test.suggested.came_from
    assert printed(out, "  from      ") == f"lr {low:.3g} to {high:.3g}"
    assert printed(out, "  rule      ") == f"fastai's minimum rule: {test.suggested.how}"
    assert printed(out, "stopped: ") == test.why_stopped
    assert printed(out, "range test: ") == "lr 1e-07 growing towards 10 over 100 steps, from the initial weights"
    assert printed(out, "  valley    ").startswith(f"{test.by_valley.lr:.3g} by fastai's valley rule (--rule valley)")


def test_the_valley_rule_and_a_range_of_ones_own(capsys):
    rc, out, _ = cli(capsys, "lr-find", "digits", "--rule", "valley", "--start", "1e-4", "--end", "100",
                     "--test-steps", "60")
    assert rc == 0
    test = core_test("digits", start=1e-4, end=100.0, steps=60, rule="valley")
    assert float(printed(out, "suggested lr: ")) == test.suggestion == test.by_valley.lr
    assert printed(out, "range test: ") == "lr 0.0001 growing towards 100 over 60 steps, from the initial weights"
    assert printed(out, "  minimum   ").startswith(f"{test.by_minimum.lr:.3g} by fastai's minimum rule")


def test_steps_first_tests_from_where_they_end(capsys, tmp_path):
    h = tmp_path / "h.csv"
    rc, out, _ = cli(capsys, "lr-find", "digits", "--steps", "30", "--lr", "0.5", "--history-out", h)
    assert rc == 0
    test = core_test("digits", steps_first=30, lr=0.5)
    assert printed(out, "trained: ") == "30 steps at lr 0.5 first"
    assert printed(out, "range test: ").endswith("from the weights after step 30")
    assert float(printed(out, "suggested lr: ")) == test.suggestion
    header, rows = read_csv(h)
    assert [float(r[2]) for r in rows] == list(test.losses)


def test_a_test_that_diverges_at_once_suggests_nothing(capsys, tmp_path):
    weights, h = tmp_path / "w.npz", tmp_path / "h.csv"
    np.savez(weights, x=np.array(1e200))  # x**2 overflows: the first step's loss is infinite
    rc, out, err = cli(capsys, "lr-find", "parabola", "--weights-in", weights, "--history-out", h)
    assert rc == 0 and err == ""
    assert printed(out, "stopped: ") == "step 1 (lr 1e-07) diverged: its loss would not be finite, so it was not taken"
    assert printed(out, "suggested lr: ") == "none"
    assert printed(out, "  why       ").startswith("the test took 0 steps")
    assert read_csv(h) == (["step", "lr", "loss", "smoothed_loss"], [])


def test_steps_first_that_diverge_exit_3_and_test_nothing(capsys, tmp_path):
    h = tmp_path / "h.csv"
    rc, out, err = cli(capsys, "lr-find", "parabola", "--steps", "1000", "--lr", "1.5", "--history-out", h)
    assert rc == 3
    assert err == ("gdsim: the 1000 steps before the test diverged at step 512: the loss is infinite; the weights "
                   "after step 511 are kept; no test was run\n")
    assert "suggested" not in out and not h.exists()


def test_quiet_prints_nothing(capsys, tmp_path):
    rc, out, err = cli(capsys, "lr-find", "fruit", "--quiet", "--history-out", tmp_path / "h.csv")
    assert (rc, out, err) == (0, "", "")
    assert (tmp_path / "h.csv").exists()


def test_help_lists_lr_find(capsys):
    rc, out, _ = cli(capsys, "--help")
    assert rc == 0 and "    lr-find   suggest a learning rate (fastai's range test)\n" in out
    rc, out, _ = cli(capsys, "lr-find", "--help")
    assert rc == 0 and "--test-steps K" in out and "--history-out F.csv" in out


def test_without_plot_out_imports_no_qt(tmp_path):
    modules = imported_by((["lr-find", "fruit", "--history-out", tmp_path / "h.csv"], 0),
                          (["lr-find", "fruit", "--start", "0"], 2))
    assert not QT & modules and "gdsim.app" not in modules


# ----- the history CSV ------------------------------------------------------------------------------------

def test_history_out_has_one_exact_row_per_test_step(capsys, tmp_path):
    h = tmp_path / "lr.csv"
    rc, _, _ = cli(capsys, "lr-find", "fruit", "--history-out", h)
    assert rc == 0
    test = core_test("fruit")
    header, rows = read_csv(h)
    assert header == ["step", "lr", "loss", "smoothed_loss"]
    assert len(rows) == test.taken == 51
    assert [int(r[0]) for r in rows] == list(range(1, 52))
    for j, column in enumerate((test.lrs, test.losses, test.smoothed), start=1):
        assert [float(r[j]) for r in rows] == list(column)  # every number read back to the bit
    assert os.listdir(tmp_path) == ["lr.csv"]  # no temporary file left


# ----- bad input --------------------------------------------------------------------------------------------

BAD = [
    (["--start", "0"], "gdsim lr-find: argument --start: the range test's first learning rate must be > 0, not 0"),
    (["--start", "abc"], "argument --start: the range test's first learning rate must be a number, not 'abc'"),
    (["--end", "nan"], "argument --end: the range test's last learning rate must be a finite number, not 'nan'"),
    (["--end", "1e-8"], "gdsim: the range test's last learning rate (1e-08) must be above its first (1e-07)"),
    (["--test-steps", "0"], "argument --test-steps: the number of test steps must be >= 1, not 0"),
    (["--test-steps", "2.5"], "argument --test-steps: the number of test steps must be a whole number, not '2.5'"),
    (["--test-steps", "20000"], "the number of test steps is too large: 20000 (at most 10,000)"),
    (["--rule", "steep"], "argument --rule: invalid choice: 'steep'"),
    (["--lr", "0.1"], "gdsim: --lr is the learning rate of the --steps N steps before the test"),
    (["--steps", "0"], "argument --steps: steps must be >= 1, not 0"),
    (["--batch-size", "0"], "argument --batch-size: batch size must be >= 1, not 0"),
    (["--optimizer", "lbfgs"], "unknown optimizer 'lbfgs'"),
    (["--inputs", "a"], "gdsim: --inputs goes with --data FILE.csv"),
    (["--plot-out", "OUT/f.jpg"], "--plot-out draws a .png or .svg file, not"),
    (["--history-out", "OUT/no/such/h.csv"], "cannot write 'OUT/no/such/h.csv': folder 'OUT/no/such' does not exist"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_a_bad_option_is_one_line_exit_2_and_nothing_written(capsys, tmp_path, args, message):
    args, message = [a.replace("OUT", str(tmp_path)) for a in args], message.replace("OUT", str(tmp_path))
    h = tmp_path / "h.csv"
    extra = [] if "--history-out" in args else ["--history-out", h]
    rc, out, err = cli(capsys, "lr-find", "fruit", *args, *extra)
    assert rc == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert message in err, err
    assert out == ""  # nothing was trained
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("scenario,message", [
    ("nosuch", "gdsim: unknown scenario 'nosuch'; choose from fruit"),
    ("chain-rule", "gdsim: a range test compares the loss with its lowest value, so it needs a loss that cannot "
                   "go below 0; the output itself (L is minimised) has no lower bound"),
])
def test_a_scenario_it_cannot_test_is_one_line(capsys, tmp_path, scenario, message):
    rc, out, err = cli(capsys, "lr-find", scenario, "--history-out", tmp_path / "h.csv")
    assert rc == 2 and out == "" and err.startswith(message) and err.count("\n") == 1
    assert os.listdir(tmp_path) == []


# ----- the figure -------------------------------------------------------------------------------------------

def png_size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def suggestion_columns(path) -> set[int]:
    """The columns of the image where the suggestion's colour (theme.COMPARED[1]) is painted."""
    from PySide6.QtGui import QImage

    from gdsim.app.theme import COMPARED

    image = QImage(str(path))
    assert not image.isNull()
    return {x for x in range(image.width()) for y in range(0, image.height(), 3)
            if image.pixelColor(x, y).name().lower() == COMPARED[1].lower()}


def test_plot_out_draws_the_curve_with_the_suggestion_marked(tmp_path):
    from gdsim.app.figure import LR_FIND_SIZE

    png, h = tmp_path / "lr.png", tmp_path / "lr.csv"
    proc = subprocess_gdsim("lr-find", "parabola", "--plot-out", png, "--history-out", h)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    width, height = png_size(png.read_bytes())
    assert LR_FIND_SIZE[0] <= width <= LR_FIND_SIZE[0] + 40 and LR_FIND_SIZE[1] < height <= LR_FIND_SIZE[1] + 80
    # A vertical line in the suggestion's colour, a few pixels wide, inside the plot.
    columns = suggestion_columns(png)
    assert columns and max(columns) - min(columns) <= 4 and 100 < min(columns) < width - 20
    assert sorted(os.listdir(tmp_path)) == ["lr.csv", "lr.png"]

    # No suggestion, no line; an SVG as well as a PNG.
    png, svg = tmp_path / "short.png", tmp_path / "short.svg"
    for path in (png, svg):
        proc = subprocess_gdsim("lr-find", "fruit", "--end", "1e-5", "--test-steps", "4", "--plot-out", path, "--quiet")
        assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == "", proc.stderr
    assert suggestion_columns(png) == set()
    assert svg.read_text().lstrip().startswith("<?xml") and "no suggestion" in svg.read_text()
