"""`gdsim stability SCENARIO`: the map printed, its cells in a CSV exactly as the core has them,
the figure written; bad input is one line and nothing written."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from gdsim.cli import main
from gdsim.core import stability as st
from gdsim.core.settings import Settings


def cli(capsys, *args):
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_the_csv_holds_every_cell_of_the_cores_map(tmp_path, capsys):
    out = tmp_path / "map.csv"
    rc, printed, err = cli(capsys, "stability", "quadratic", "--steps", 60, "--csv-out", out)
    assert rc == 0, err
    found = st.stability_map(Settings(scenario="quadratic"), st.default_lrs("quadratic"), st.default_momenta(), 60)
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == found.regime.size
    for row in rows:
        i = int(np.flatnonzero(found.momenta == float(row["momentum"]))[0])
        j = int(np.flatnonzero(found.lrs == float(row["lr"]))[0])
        assert row["regime"] == found.regime_name(i, j)
        assert float(row["final_loss"]) == found.final_loss[i, j] or np.isnan(found.final_loss[i, j])
        assert row["diverged_at_step"] == (str(found.diverged_at[i, j]) if found.diverged_at[i, j] >= 0 else "")
    # The printed map: a row per momentum, a letter per cell, the bound marked.
    lines = [line for line in printed.splitlines() if line.startswith("  0.") or line.startswith("  1.")]
    assert len(lines) == len(found.momenta)
    bottom = lines[-1].split()[1]
    assert bottom.replace("|", "") == "".join(st_letter(found.regime_name(0, j)) for j in range(len(found.lrs)))


def st_letter(regime):
    from gdsim.cli_stability import LETTERS

    return LETTERS[regime]


@pytest.mark.gui
def test_the_figure_is_drawn(tmp_path, capsys):
    out = tmp_path / "map.png"
    rc, _, err = cli(capsys, "stability", "parabola", "--plot-out", out, "--quiet")
    assert rc == 0 and err == "" and out.stat().st_size > 10_000


@pytest.mark.parametrize("args, words", [
    (["fruit"], "invalid choice: 'fruit'"),
    (["parabola", "--steps", "0"], "steps must be >= 1"),
    (["parabola", "--steps", "20000"], "at most 10,000"),
    (["parabola", "--csv-out", "x.txt", "--plot-out", "x.txt"], "same file"),
])
def test_bad_input_is_one_line_and_nothing_written(tmp_path, capsys, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    rc, _, err = cli(capsys, "stability", *args)
    assert rc == 2 and words in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
