"""`gdsim run ... --landscape W1,W2 --plot-out F`: the loss landscape beside the figure's views,
with the run's path (and every --vs run's); a bad name or a missing --plot-out is one line and
nothing written."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from gdsim.app.figure import COMPARISON_SIZE, LANDSCAPE_WIDTH
from gdsim.cli import main

pytestmark = pytest.mark.gui  # draws with Qt, offscreen


def cli(capsys, *args):
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_the_landscape_is_drawn_beside_the_views(tmp_path, capsys):
    plain, with_landscape = tmp_path / "plain.png", tmp_path / "landscape.png"
    assert cli(capsys, "run", "fruit", "--steps", 20, "--quiet", "--plot-out", plain)[0] == 0
    rc, _, err = cli(capsys, "run", "fruit", "--steps", 20, "--quiet", "--plot-out", with_landscape,
                     "--landscape", "weight[0,1],bias[0]")
    assert rc == 0, err
    a, b = QImage(str(plain)), QImage(str(with_landscape))
    # The views keep their size, and the landscape takes its own beside them (and a splitter's handle).
    assert LANDSCAPE_WIDTH <= b.width() - a.width() <= LANDSCAPE_WIDTH + 10
    assert a.height() == b.height()


@pytest.mark.parametrize("spec", ["params[0],params[1]", "random", "pca"])
def test_every_vs_run_is_drawn_on_the_base_runs_landscape(tmp_path, capsys, spec):
    out = tmp_path / "race.png"
    rc, _, err = cli(capsys, "run", "quadratic", "--steps", 30, "--quiet", "--plot-out", out, "--landscape", spec,
                     "--vs", "optimizer=momentum:0.9", "--vs", "optimizer=adam lr=0.1", "--jobs", 1)
    assert rc == 0, err
    assert COMPARISON_SIZE[0] + LANDSCAPE_WIDTH <= QImage(str(out)).width() <= COMPARISON_SIZE[0] + LANDSCAPE_WIDTH + 30


@pytest.mark.parametrize("args, words", [
    (["fruit", "--landscape", "weight[0,1],weight[7,7]"], "no weight 'weight[7,7]'"),
    (["fruit", "--landscape", "weight[0,1]"], "two weights as W1,W2"),
    (["parabola", "--landscape", "random"], "loss curve"),
    (["digits10", "--landscape", "pca"], "name two weights instead"),
])
def test_a_landscape_that_cannot_be_drawn_is_one_line_and_no_file(tmp_path, capsys, args, words):
    out = tmp_path / "f.png"
    rc, _, err = cli(capsys, "run", *args, "--steps", 2, "--quiet", "--plot-out", out)
    assert rc == 2 and words in err and err.count("\n") == 1
    assert not out.exists()


def test_the_landscape_needs_a_figure_to_go_in(tmp_path, capsys):
    rc, _, err = cli(capsys, "run", "fruit", "--steps", 2, "--landscape", "weight[0,1],bias[0]",
                     "--history-out", tmp_path / "h.csv")
    assert rc == 2 and "--plot-out" in err
    assert not (tmp_path / "h.csv").exists()
