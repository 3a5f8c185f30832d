"""`gdsim run --data` on CSV files as people have them: columns of text and notes nobody chose,
missing values, class labels written as text or as whole numbers.

tests/data/flowers.csv is a small iris-like file: an id column, two measurements x1 and x2 (three
of x1's cells missing: NA, an empty cell and ?), the species as text, and a column of notes, mostly
empty.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cli_helpers import read_csv

from gdsim.cli import main
from gdsim.core.data.csv_reader import read_table
from gdsim.core.data.from_table import make_dataset
from gdsim.core.errors import GdsimError
from gdsim.core.files.session import load_session
from gdsim.core.files.weights import read_weights

FLOWERS = Path(__file__).resolve().parents[1] / "data" / "flowers.csv"
SPECIES = ("setosa", "versicolor", "virginica")


def cli(capsys, *args):
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def data_line(out: str) -> str:
    return [line for line in out.splitlines() if line.startswith("data: ")][0]


# ----- the issue's own command -----------------------------------------------------------------------------------

def test_flowers_trains_a_three_class_model(capsys, tmp_path):
    w, h = tmp_path / "w.npz", tmp_path / "h.csv"
    rc, out, err = cli(capsys, "run", "--data", FLOWERS, "--inputs", "x1,x2", "--targets", "species", "--steps",
                       "3000", "--lr", "0.3", "--weights-out", w, "--history-out", h)
    assert rc == 0 and err == "", err
    assert out.splitlines()[0] == "csv:flowers: linear 2 -> 3, cross-entropy, SGD lr 0.3, gradient zeroing on"
    line = data_line(out)
    assert "multi-class classification (inferred: the target holds text) of species" in line
    assert "into 3 classes (numbered in sorted order: 0 setosa, 1 versicolor, 2 virginica)" in line
    assert "dropped 3 of 60 rows with missing values in x1" in line
    assert "(46 training rows, 11 validation rows)" in line
    weights = np.load(w)
    assert weights["weight"].shape == (3, 2) and weights["bias"].shape == (3,)
    validation = [ln for ln in out.splitlines() if ln.strip().startswith("validation")][0]
    assert "accuracy 100.0%" in validation
    header, rows = read_csv(h)
    assert header[-1] == "classes" and rows[0][-1] == "0=setosa; 1=versicolor; 2=virginica"


def test_text_columns_nobody_chose_are_ignored(capsys):
    # id and notes hold text (notes mostly nothing); they are neither inputs nor looked at.
    rc, out, err = cli(capsys, "run", "--data", FLOWERS, "--targets", "species", "--steps", "2")
    assert rc == 0 and err == ""
    assert "of species into 3 classes" in data_line(out) and "from x1, x2 (" in data_line(out)


def test_the_default_target_is_the_last_column_that_is_mostly_filled_in(capsys):
    rc, out, err = cli(capsys, "run", "--data", FLOWERS, "--steps", "2")  # notes is mostly empty: species
    assert rc == 0 and err == "" and "of species into 3 classes" in data_line(out)


# ----- missing values ----------------------------------------------------------------------------------------------

def test_missing_values_drop_their_rows_and_say_how_many(capsys, tmp_path):
    rng = np.random.default_rng(2)
    rows = rng.normal(size=(240, 3))
    lines = ["x1,x2,y"]
    gaps = set(rng.choice(240, 14, replace=False).tolist())
    for i, (a, b, c) in enumerate(rows.tolist()):
        x1 = "NA" if i in gaps else repr(a)
        lines.append(f"{x1},{b!r},{a + 2 * b + c * 0.01!r}")
    path = tmp_path / "gaps.csv"
    path.write_text("\n".join(lines) + "\n")
    rc, out, err = cli(capsys, "run", "--data", path, "--steps", "3")
    assert rc == 0 and err == ""
    assert "regression (inferred: the target holds numbers) of y from x1, x2" in data_line(out)
    assert "dropped 14 of 240 rows with missing values in x1" in data_line(out)
    data, _ = make_dataset(read_table(path), ["x1", "x2"], ["y"])
    assert data.n_train == 226 and not np.isnan(data.x).any()
    # --missing error restores the strict refusal, naming every line.
    rc, out, err = cli(capsys, "run", "--data", path, "--missing", "error", "--steps", "3")
    first = min(gaps) + 2
    assert rc == 2 and out == "" and err.count("\n") == 1
    assert f"line {first}, column 'x1' is missing (and 13 more in this column: lines " in err
    assert "missing values are refused as asked" in err


def test_missing_values_in_several_columns_are_counted_once_per_row(capsys, tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("a,b,y\n1,,3\nNaN,null,4\n3,4,?\n4,5,6\n5,7,8\n6,6,6\n")
    rc, out, err = cli(capsys, "run", "--data", path, "--steps", "2")
    assert rc == 0 and "dropped 3 of 6 rows with missing values in a, b and y" in data_line(out)


def test_missing_values_in_unchosen_columns_cost_no_rows(capsys):
    rc, out, err = cli(capsys, "run", "--data", FLOWERS, "--inputs", "x2", "--targets", "species", "--steps", "2")
    assert rc == 0 and "dropped" not in data_line(out) and "(48 training rows, 12 validation rows)" in data_line(out)


# ----- class labels -------------------------------------------------------------------------------------------------

def test_text_labels_are_numbered_in_sorted_order(capsys, tmp_path):
    path = tmp_path / "pets.csv"
    path.write_text("w,pet\n" + "".join(f"{i},{p}\n" for i, p in enumerate(["dog", "Cat", "emu", "cat", "dog", "ant"] * 3)))
    data, _ = make_dataset(read_table(path), ["w"], ["pet"])
    assert data.task == "multiclass" and data.class_names == ("ant", "Cat", "cat", "dog", "emu")
    assert data.y[:6, 0].tolist() == [3, 1, 4, 2, 3, 0]


def test_integer_labels_make_classes_with_task_multiclass_in_numeric_order(capsys, tmp_path):
    path = tmp_path / "grades.csv"
    rng = np.random.default_rng(4)
    grade = rng.choice([2, 10, 1], 90)
    x = grade + rng.normal(0, 0.3, 90)
    path.write_text("x,grade\n" + "".join(f"{a!r},{g}\n" for a, g in zip(x.tolist(), grade.tolist())))
    rc, out, err = cli(capsys, "run", "--data", path, "--task", "multiclass", "--steps", "300", "--lr", "0.1")
    assert rc == 0 and err == ""
    assert "multi-class classification (chosen) of grade into 3 classes (numbered in sorted order: 0 1, 1 2, " \
           "2 10)" in data_line(out)
    data, _ = make_dataset(read_table(path), ["x"], ["grade"], task="multiclass")
    np.testing.assert_array_equal(data.y[:, 0], np.searchsorted([1, 2, 10], grade[:len(data.y)]))
    # Without --task the same column is numbers: a regression.
    rc, out, err = cli(capsys, "run", "--data", path, "--steps", "2")
    assert "regression (inferred: the target holds numbers)" in data_line(out)


def test_the_task_is_inferred_and_always_said(capsys, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(12)))
    rc, out, err = cli(capsys, "run", "--data", path, "--steps", "2")
    assert "binary classification (inferred: the target holds only 0 and 1) of y" in data_line(out)
    rc, out, err = cli(capsys, "run", "--data", path, "--task", "regression", "--steps", "2")
    assert "regression (chosen) of y" in data_line(out)


@pytest.mark.parametrize("loss", ["mse", "bce", "mnist"])
def test_class_labels_take_cross_entropy_only(capsys, loss):
    rc, out, err = cli(capsys, "run", "--data", FLOWERS, "--targets", "species", "--loss", loss)
    assert rc == 2 and "has 3 classes; only cross-entropy (cross_entropy) trains a model" in err


def test_an_mlp_of_three_classes(capsys, tmp_path):
    w = tmp_path / "w.npz"
    rc, out, err = cli(capsys, "run", "--data", FLOWERS, "--targets", "species", "--model", "mlp:8",
                       "--standardize", "--steps", "50", "--lr", "0.1", "--weights-out", w)
    assert rc == 0 and err == ""
    assert np.load(w)["layers.1.weight"].shape == (3, 8)


# ----- sessions ----------------------------------------------------------------------------------------------------

def test_a_session_of_multiclass_data_saves_loads_and_continues_bit_for_bit(capsys, tmp_path):
    s, w5, w10 = tmp_path / "s.gdsim", tmp_path / "w5.npz", tmp_path / "w10.npz"
    base = ["run", "--data", FLOWERS, "--targets", "species", "--lr", "0.3"]
    assert cli(capsys, *base, "--steps", "5", "--session-out", s)[0] == 0
    session = load_session(s)
    data = session.scenario.data
    assert data.task == "multiclass" and data.class_names == SPECIES
    assert data.notes["dropped"] == 3 and data.notes["dropped_columns"] == ("x1",)
    assert "into 3 classes" in session.scenario.lesson and "dropped 3 of 60 rows" in session.scenario.lesson
    assert cli(capsys, "run", "--session", s, "--steps", "5", "--weights-out", w5)[0] == 0
    assert cli(capsys, *base, "--steps", "10", "--weights-out", w10)[0] == 0
    specs = session.trainer.params.specs
    for name, value in read_weights(w10, specs).items():
        np.testing.assert_array_equal(read_weights(w5, specs)[name], value)


def test_plot_out_of_multiclass_data(tmp_path):
    from cli_helpers import subprocess_gdsim

    png = tmp_path / "flowers.png"
    proc = subprocess_gdsim("run", "--data", FLOWERS, "--targets", "species", "--steps", "20", "--lr", "0.3",
                            "--plot-out", png, "--quiet")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert png.stat().st_size > 10_000


def test_one_class_left_after_dropping_rows_is_said_so(tmp_path):
    path = tmp_path / "few.csv"
    path.write_text("x,pet\n1,cat\n2,cat\nNA,dog\n4,cat\n")
    with pytest.raises(GdsimError) as info:
        make_dataset(read_table(path), ["x"], ["pet"])
    assert str(info.value) == "target column 'pet' has one class ('cat') on every row kept; there is nothing to learn"
