"""The README's section on your own data: its example is what gdsim prints, its file is the test
file, and its list of missing values is the reader's."""

from __future__ import annotations

import re
from pathlib import Path

from gdsim.cli import main
from gdsim.core.data.csv_reader import MISSING_VALUES

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
FLOWERS = ROOT / "tests" / "data" / "flowers.csv"


def block_after(words: str) -> str:
    start = README.index(words)
    return re.search(r"```\n(.*?)```", README[start:], re.S).group(1)


def test_the_example_file_is_the_test_file():
    shown = block_after("For example, `flowers.csv`").splitlines()
    assert FLOWERS.read_text().splitlines()[:len(shown)] == shown


def test_the_example_output_is_what_gdsim_prints(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(FLOWERS.parent)
    command = re.search(r"uv run gdsim (run --data flowers\.csv .*)", README).group(1).split()
    command[command.index("--weights-out") + 1] = str(tmp_path / "w.npz")
    assert main(command) == 0
    printed = capsys.readouterr().out.splitlines()
    assert block_after("and the command above says").splitlines() == printed[:2]


def test_the_missing_values_listed_are_the_reader_s():
    listed = "an empty cell, " + ", ".join(f"`{v}`" for v in MISSING_VALUES[1:-1]) + f" and `{MISSING_VALUES[-1]}`"
    assert listed in " ".join(README.split())
