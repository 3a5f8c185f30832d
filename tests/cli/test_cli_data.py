"""`gdsim run --data FILE.csv`, `gdsim run --plot-out`, and `gdsim open` refusing bad files.

Your own data: the default and chosen columns, standardisation, the custom models, the
validation split, binary classification, and a one-line error (exit 2, nothing written)
for every bad file or choice. Headless figures: real PNG and SVG files, drawn without a
window, and no Qt at all in a run that does not ask for one.
"""

from __future__ import annotations

import os
import sys
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import QT, column, imported_by, measured, read_csv, subprocess_gdsim

from gdsim.cli import main
from gdsim.core.data import csv_reader as table_module
from gdsim.core.data.csv_reader import MAX_CSV_BYTES, read_table
from gdsim.core.scenarios import scenario_from_table
from gdsim.core.settings import Settings

QT_PREFIXES = ("PySide6", "pyqtgraph", "shiboken6")


# ----- helpers (in the style of tests/cli/test_cli.py) --------------------------------------------------------------

def cli(capsys, *args):
    """Run ``gdsim ARGS`` in-process; Python warnings count as output a person would see."""
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert not caught, [f"{w.category.__name__}: {w.message}" for w in caught]
    return rc, out, err





def assert_one_line_error(rc, out, err, *texts):
    assert rc == 2, (rc, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Warning" not in err, err
    for text in texts:
        assert text in err, err
    return err.strip()


def write_csv(path, header, rows, fmt="{:.6f}"):
    lines = [",".join(header)]
    for row in rows:
        lines.append(",".join(fmt.format(v) if isinstance(v, float) else str(v) for v in row))
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def regression_rows(n=50, seed=1, scale=(1.0, 1.0)):
    """y = 2a - 3b + 1 plus a little noise."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, n) * scale[0]
    b = rng.uniform(-2, 2, n) * scale[1]
    y = 2 * a / scale[0] - 3 * b / scale[1] + 1 + rng.normal(0, 0.01, n)
    return np.column_stack([a, b, y])


def engine_for(path, inputs, targets, *, task="regression", standardize=False, val_fraction=0.0, **kw):
    """The trainer the CLI should build, made directly from the engine."""
    scenario = scenario_from_table(read_table(path), inputs, targets, task=task, standardize=standardize,
                                   val_fraction=val_fraction)
    return scenario, scenario.build(Settings(scenario=scenario.name, **kw))


@pytest.fixture
def reg_csv(tmp_path):
    return write_csv(tmp_path / "reg.csv", ["a", "b", "y"], regression_rows().tolist(), fmt="{!r}")


@pytest.fixture
def bin_csv(tmp_path):
    rng = np.random.default_rng(5)
    u, v = rng.uniform(-2, 2, 60), rng.uniform(-2, 2, 60)
    label = (u + 2 * v > 0.3).astype(int)
    return write_csv(tmp_path / "bin.csv", ["u", "v", "label"],
                     [[float(p), float(q), int(k)] for p, q, k in zip(u, v, label)])


# ----- your own data: what the defaults and the choices do -------------------------------------------------------

def test_data_defaults_inputs_target_and_validation(capsys, tmp_path, reg_csv):
    h = tmp_path / "h.csv"
    rc, out, err = cli(capsys, "run", "--data", reg_csv, "--history-out", h)
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "csv:reg: linear 2 -> 1, mean squared error, SGD lr 0.01, gradient zeroing on"
    assert "stopped: reached the step limit of 200" in out
    assert "RMSE" in out and "validation loss" in out and "(after step 200)" in out
    header, rows = read_csv(h)
    # 50 rows: 20% (10 rows) kept for validation, so the history has validation columns.
    assert measured(header) == ["step", "loss", "grad_norm", "rmse", "val_loss", "val_rmse"]
    assert len(rows) == 200
    # Defaults = all but the last column as inputs, the last as the target, a 0.2 split.
    scenario, twin = engine_for(reg_csv, ["a", "b"], ["y"], val_fraction=0.2)
    assert scenario.data.n_train == 40 and len(scenario.data.x_val) == 10
    twin.run()
    np.testing.assert_array_equal(column(rows, header, "loss"), twin.history.loss)
    vl = column(rows, header, "val_loss")
    np.testing.assert_array_equal(vl[~np.isnan(vl)], twin.history.val_loss)
    loss = column(rows, header, "loss")
    assert loss[-1] < loss[0] / 100  # it learns y = 2a - 3b + 1
    assert vl[-1] < vl[0] / 100


@pytest.mark.parametrize("n,has_val", [(9, False), (10, True)])
def test_default_validation_split_starts_at_10_rows(capsys, tmp_path, n, has_val):
    path = write_csv(tmp_path / "d.csv", ["a", "b", "y"], regression_rows(n).tolist(), fmt="{!r}")
    h = tmp_path / "h.csv"
    rc, out, _ = cli(capsys, "run", "--data", path, "--steps", "3", "--history-out", h)
    assert rc == 0
    header, _ = read_csv(h)
    assert ("val_loss" in header) == has_val
    assert ("validation loss" in out) == has_val


def test_explicit_inputs_and_targets(capsys, tmp_path):
    data = regression_rows()
    noise = np.random.default_rng(9).normal(size=len(data))
    # Target first, an unused column last: the defaults would get both wrong.
    path = write_csv(tmp_path / "cols.csv", ["y", "a", "b", "unused"],
                     np.column_stack([data[:, 2], data[:, 0], data[:, 1], noise]).tolist(), fmt="{!r}")
    h = tmp_path / "h.csv"
    rc, out, err = cli(capsys, "run", "--data", path, "--inputs", " a , b", "--targets", "y", "--steps", "40",
                       "--history-out", h)
    assert rc == 0 and err == ""
    assert out.startswith("csv:cols: linear 2 -> 1,")
    _, twin = engine_for(path, ["a", "b"], ["y"], val_fraction=0.2, steps=40)
    twin.run()
    header, rows = read_csv(h)
    np.testing.assert_array_equal(column(rows, header, "loss"), twin.history.loss)
    # The defaults differ: inputs y, a, b and the target 'unused'.
    rc, out, _ = cli(capsys, "run", "--data", path, "--steps", "2")
    assert rc == 0 and out.startswith("csv:cols: linear 3 -> 1,")


def test_two_targets(capsys, tmp_path):
    data = regression_rows()
    path = write_csv(tmp_path / "two.csv", ["a", "b", "y", "z"],
                     np.column_stack([data, -data[:, 2]]).tolist(), fmt="{!r}")
    rc, out, err = cli(capsys, "run", "--data", path, "--targets", "y,z", "--steps", "3")
    assert rc == 0 and err == ""
    assert out.startswith("csv:two: linear 2 -> 2,")


def test_only_the_chosen_inputs_are_used(capsys, tmp_path, reg_csv):
    rc, out, _ = cli(capsys, "run", "--data", reg_csv, "--inputs", "b", "--steps", "2")
    assert rc == 0 and out.startswith("csv:reg: linear 1 -> 1,")


def test_history_row_1_with_and_without_standardize(capsys, tmp_path):
    """Row 1 is the loss of the initial weights on the training rows, computed here by hand.

    With --init ones the model predicts a + b + 1; the validation rows are the first 10 of
    numpy.random.default_rng(0).permutation(50), and --standardize uses the mean and the
    population std of the training rows only.
    """
    data = regression_rows(scale=(300.0, 0.01))
    path = write_csv(tmp_path / "s.csv", ["a", "b", "y"], data.tolist(), fmt="{!r}")
    order = np.random.default_rng(0).permutation(50)
    train = np.sort(order[10:])
    x, y = data[train, :2], data[train, 2]
    for flag, xs in (([], x), (["--standardize"], (x - x.mean(axis=0)) / x.std(axis=0))):
        h = tmp_path / "h.csv"
        rc, _, _ = cli(capsys, "run", "--data", path, "--init", "ones", "--steps", "1", "--history-out", h, *flag)
        assert rc == 0
        header, rows = read_csv(h)
        expected = np.mean((xs.sum(axis=1) + 1 - y) ** 2)
        assert column(rows, header, "loss")[0] == pytest.approx(expected, rel=1e-12), flag


def test_standardize_makes_a_large_learning_rate_work(capsys, tmp_path):
    # Inputs in the hundreds: lr 0.1 throws raw inputs' weights out, standardised ones converge.
    data = regression_rows(scale=(500.0, 200.0))
    path = write_csv(tmp_path / "big.csv", ["a", "b", "y"], data.tolist(), fmt="{!r}")
    raw_h, std_h = tmp_path / "raw.csv", tmp_path / "std.csv"
    rc, out, err = cli(capsys, "run", "--data", path, "--lr", "0.1", "--steps", "300", "--history-out", raw_h)
    assert rc == 3 and "diverged at step" in err and err.count("\n") == 1
    assert np.isfinite(column(*reversed(read_csv(raw_h)), "loss")).all()  # only finite rows were written
    rc, out, err = cli(capsys, "run", "--data", path, "--lr", "0.1", "--steps", "300", "--standardize",
                       "--history-out", std_h)
    assert rc == 0 and err == ""
    header, rows = read_csv(std_h)
    loss = column(rows, header, "loss")
    assert len(rows) == 300 and loss[-1] < 1e-3 < loss[0]
    _, twin = engine_for(path, ["a", "b"], ["y"], standardize=True, val_fraction=0.2, lr=0.1, steps=300)
    twin.run()
    np.testing.assert_array_equal(loss, twin.history.loss)


def test_divergence_on_own_data_writes_outputs_then_exits_3(capsys, tmp_path):
    path = write_csv(tmp_path / "big.csv", ["a", "b", "y"], regression_rows(scale=(500.0, 200.0)).tolist(),
                     fmt="{!r}")
    h, w = tmp_path / "h.csv", tmp_path / "w.npz"
    rc, out, err = cli(capsys, "run", "--data", path, "--lr", "0.1", "--steps", "300", "--history-out", h,
                       "--weights-out", w)
    assert rc == 3
    assert err.startswith("gdsim: diverged at step ") and err.count("\n") == 1
    step = int(err.split("diverged at step ")[1].split(":")[0])
    assert f"stopped: diverged at step {step}" in out
    header, rows = read_csv(h)
    assert len(rows) == step - 1
    with np.load(w) as f:
        assert sorted(f.files) == ["bias", "weight"]
        assert all(np.isfinite(f[k]).all() for k in f.files)


@pytest.mark.parametrize("spec,described,hidden", [
    ("mlp:8", "MLP 2-8-1", [8]),
    ("mlp", "MLP 2-16-1", [16]),
    ("mlp:4,3", "MLP 2-4-3-1", [4, 3]),
    ("MLP:8", "MLP 2-8-1", [8]),
])
def test_mlp_models(capsys, tmp_path, reg_csv, spec, described, hidden):
    h, w = tmp_path / "h.csv", tmp_path / "w.npz"
    rc, out, err = cli(capsys, "run", "--data", reg_csv, "--model", spec, "--steps", "60", "--history-out", h,
                       "--weights-out", w)
    assert rc == 0 and err == ""
    assert out.splitlines()[0].startswith(f"csv:reg: {described} (relu, ")
    sizes = [2, *hidden, 1]
    with np.load(w) as f:
        for i in range(len(sizes) - 1):
            assert f[f"layers.{i}.weight"].shape == (sizes[i + 1], sizes[i])
            assert f[f"layers.{i}.bias"].shape == (sizes[i + 1],)
    header, rows = read_csv(h)
    loss = column(rows, header, "loss")
    assert loss[-1] < loss[0] / 5
    _, twin = engine_for(reg_csv, ["a", "b"], ["y"], val_fraction=0.2, model=spec, steps=60)
    twin.run()
    np.testing.assert_array_equal(loss, twin.history.loss)


def test_a_model_too_big_to_train_is_refused_before_anything_is_allocated(capsys, tmp_path, reg_csv):
    import tracemalloc

    tracemalloc.start()
    try:
        rc, out, err = cli(capsys, "run", "--data", reg_csv, "--model", "mlp:4096,4096,4096,4096,4096,4096")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_one_line_error(rc, out, err, "MLP 2-4096-4096-4096-4096-4096-4096-1 (relu, ",
                          "has 83,922,945 weights; gdsim trains at most 5,000,000")
    assert peak < 50 * 2**20


def test_a_model_whose_forward_pass_would_not_fit_is_refused(capsys, tmp_path):
    rows = regression_rows(n=4000).tolist()
    big = write_csv(tmp_path / "rows.csv", ["a", "b", "y"], rows)
    rc, out, err = cli(capsys, "run", "--data", big, "--model", "mlp:4096")
    assert_one_line_error(rc, out, err, "would keep 26,214,400 numbers for the 3,200 rows it is given at once; "
                                        "gdsim keeps at most 20,000,000")
    rc, out, err = cli(capsys, "run", "--data", big, "--model", "mlp:1024", "--steps", "1", "--quiet")
    assert rc == 0, err


@pytest.mark.parametrize("fraction,n_val", [("0", 0), ("0.5", 25), ("0.1", 5), ("0.0", 0)])
def test_val_fraction(capsys, tmp_path, reg_csv, fraction, n_val):
    h = tmp_path / "h.csv"
    rc, out, _ = cli(capsys, "run", "--data", reg_csv, "--val-fraction", fraction, "--steps", "20",
                     "--history-out", h)
    assert rc == 0
    header, rows = read_csv(h)
    if n_val:
        assert measured(header)[-2:] == ["val_loss", "val_rmse"] and "validation loss" in out
    else:
        assert measured(header) == ["step", "loss", "grad_norm", "rmse"] and "validation" not in out
    scenario, twin = engine_for(reg_csv, ["a", "b"], ["y"], val_fraction=float(fraction), steps=20)
    assert scenario.data.n_train == 50 - n_val
    twin.run()
    np.testing.assert_array_equal(column(rows, header, "loss"), twin.history.loss)


def test_binary_task(capsys, tmp_path, bin_csv):
    h = tmp_path / "h.csv"
    rc, out, err = cli(capsys, "run", "--data", bin_csv, "--task", "binary", "--lr", "0.5", "--history-out", h)
    assert rc == 0 and err == ""
    assert out.splitlines()[0] == "csv:bin: linear 2 -> 1, binary cross-entropy, SGD lr 0.5, gradient zeroing on"
    assert "accuracy" in out and "%" in out
    header, rows = read_csv(h)
    assert measured(header) == ["step", "loss", "grad_norm", "accuracy", "val_loss", "val_accuracy"]
    acc = column(rows, header, "accuracy")
    assert set(np.round(acc * 48).tolist()) <= set(range(49))  # a share of the 48 training rows
    assert acc[-1] >= 0.9
    loss = column(rows, header, "loss")
    assert loss[-1] < loss[0]
    _, twin = engine_for(bin_csv, ["u", "v"], ["label"], task="binary", val_fraction=0.2, lr=0.5)
    twin.run()
    np.testing.assert_array_equal(loss, twin.history.loss)
    final = [line for line in out.splitlines() if line.strip().startswith("final")][0]
    assert final.endswith(f"accuracy {twin.evaluate('train')[1]:.1%}")


@pytest.mark.parametrize("loss", ["mse", "cross_entropy", "mnist"])
def test_binary_task_with_other_losses(capsys, bin_csv, loss):
    rc, out, err = cli(capsys, "run", "--data", bin_csv, "--task", "binary", "--loss", loss, "--steps", "5")
    assert rc == 0 and err == "" and "accuracy" in out


def test_binary_target_not_0_or_1_names_line_and_column(capsys, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("u,v,label\n1,2,0\n3,4,1\n5,6,2\n7,8,1\n0,1,0\n")
    h = tmp_path / "h.csv"
    rc, out, err = cli(capsys, "run", "--data", path, "--task", "binary", "--history-out", h)
    assert_one_line_error(rc, out, err, f"{str(path)!r}, line 4, column 'label': 2 is not 0 or 1")
    assert out == "" and not h.exists()
    # The same file is fine as a regression.
    assert cli(capsys, "run", "--data", path, "--steps", "2")[0] == 0


def test_binary_target_of_minus_zero_and_decimal_one(capsys, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("u,label\n1,-0\n2,1.0\n3,0.0\n4,1e0\n")
    rc, out, err = cli(capsys, "run", "--data", path, "--task", "binary", "--steps", "2")
    assert rc == 0 and err == ""


# ----- your own data: bad files and bad choices ------------------------------------------------------------------

GOOD = "a,b,y\n1,2,3\n4,5,7\n7,8,2\n2,1,5\n"

BAD_DATA = [
    # (id, file text or None for a missing file, extra arguments, fragments of the error line)
    ("missing", None, [], ["gdsim: CSV file {path!r} does not exist"]),
    ("empty", "", [], ["gdsim: {path!r} is empty"]),
    ("blank-lines", "\n\n  \n", [], ["{path!r} is empty (it has only blank lines)"]),
    ("no-header", "1,2,3\n4,5,6\n7,8,9\n", [], ["line 1 looks like numbers", "needs a header row"]),
    ("non-numeric", "a,b,y\n1,2,3\n4,x,6\n7,8,9\n", [], ["{path!r}, line 3, column 'b': 'x' is not a number"]),
    ("thousands", "a,b,y\n1,2,3\n4,\"1,000\",6\n7,8,9\n", [],
     ["line 3, column 'b': '1,000' is not a number", "thousands separators"]),
    ("missing-value", "a,b,y\n1,2,3\n4,,6\n7,8,9\n", ["--missing", "error"],
     ["{path!r}, line 3, column 'b' is missing (missing values are refused as asked"]),
    ("NA", "a,b,y\n1,2,3\n4,5,6\n7,NA,9\n", ["--missing", "error"], ["line 4, column 'b' is missing"]),
    ("inf", "a,b,y\n1,2,3\n4,5,inf\n7,8,9\n", [], ["line 3, column 'y': 'inf' is not a finite number"]),
    ("too-large", "a,b,y\n1,2,3\n4,5,1e999\n7,8,9\n", [], ["line 3, column 'y': '1e999' is too large"]),
    ("all-rows-missing", "a,b,y\n1,,3\n4,NA,6\n7,8,9\n", [],
     ["{path!r} has 1 of its 3 rows with a value in every chosen column; training needs at least 2"]),
    ("many-problems", "a,b,y\n1,x,3\n4,5,z\n,8,2\n7,8,?\n5,,1\n", ["--missing", "error", "--task", "regression"],
     ["has 5 problems: line 2, column 'b': 'x' is not a number; line 3, column 'y': 'z' is not a number; "
      "line 4, column 'a' is missing; line 6, column 'b' is missing; and 1 more (missing values are refused"]),
    ("text-target-regression", "a,y\n1,cat\n2,dog\n3,cat\n", ["--task", "regression"],
     ["target column 'y' holds text ('cat', 'dog'); text can only be class labels"]),
    ("text-target-binary", "a,y\n1,cat\n2,dog\n3,cat\n", ["--task", "binary"],
     ["target column 'y' holds text"]),
    ("multiclass-fractions", "a,y\n1,1.5\n2,2\n3,1\n", ["--task", "multiclass"],
     ["line 2, column 'y': 1.5 is not a whole number; class labels are text or whole numbers"]),
    ("multiclass-one-class", "a,y\n1,cat\n2,cat\n3,cat\n", [],
     ["target column 'y' has one class ('cat') on every row; there is nothing to learn"]),
    ("multiclass-two-targets", "a,b,y\n1,x,cat\n2,y,dog\n3,z,cat\n", ["--targets", "b,y"],
     ["multi-class classification needs exactly one target column, not 2 ('b', 'y')"]),
    ("text-input", "a,b,y\n1,x,3\n4,y,6\n7,z,9\n", ["--inputs", "a,b"],
     ["line 2, column 'b': 'x' is not a number (and 2 more in this column: lines 3, 4)"]),
    ("unknown-missing", GOOD, ["--missing", "fill"], ["argument --missing: invalid choice: 'fill'"]),
    ("ragged", "a,b,y\n1,2,3\n4,5\n7,8,9\n", [], ["line 3 has 2 cells, but the header names 3 columns"]),
    ("single-row", "a,b,y\n1,2,3\n", [], ["{path!r} has only one row of data (line 2); training needs at least 2"]),
    ("header-only", "a,b,y\n", [], ["{path!r} has a header (line 1) but no data rows"]),
    ("one-column", "a\n1\n2\n3\n", [], ["{path!r} has one column ('a'); it needs inputs and a target"]),
    ("constant-input", "a,b,y\n1,5,3\n4,5,6\n7,5,9\n", [],
     ["input column 'b' has the same value (5) on every row"]),
    ("constant-target", "a,b,y\n1,5,3\n4,6,3\n7,7,3\n", [],
     ["target column 'y' has the same value (3) on every row; there is nothing to learn"]),
    ("duplicate-header", "a,a,y\n1,2,3\n4,5,6\n", [], ["column name 'a' appears twice (columns 1 and 2)"]),
    ("unnamed-column", "a,,y\n1,2,3\n4,5,6\n", [], ["column 2 of the header has no name"]),
    ("binary-bytes", "a,b,y\n1,2,3\x00\n4,5,6\n", [], ["is not a CSV text file"]),
    ("unknown-input", GOOD, ["--inputs", "a,zz"], ["{path!r} has no column 'zz'; its columns are 'a', 'b', 'y'"]),
    ("unknown-target", GOOD, ["--targets", "Y"], ["has no column 'Y'; its columns are 'a', 'b', 'y'"]),
    ("input-and-target", GOOD, ["--inputs", "a,y", "--targets", "y"],
     ["column 'y' is both an input and a target; a column can only be one"]),
    ("target-as-input", GOOD, ["--inputs", "y"], ["column 'y' is both an input and a target"]),
    ("input-twice", GOOD, ["--inputs", "a,a"], ["column 'a' is listed twice as an input"]),
    ("no-inputs", GOOD, ["--inputs", ","], ["choose at least one input column"]),
    ("no-targets", GOOD, ["--targets", " , "], ["choose at least one target column"]),
    ("with-scenario", GOOD, ["fruit"], ["give a scenario name or --data, not both ('fruit' and {path!r})"]),
    ("val-fraction-0.9", GOOD, ["--val-fraction", "0.9"],
     ["argument --val-fraction: validation fraction must be from 0 to 0.5, not 0.9"]),
    ("val-fraction-neg", GOOD, ["--val-fraction", "-0.1"], ["validation fraction must be from 0 to 0.5"]),
    ("val-fraction-nan", GOOD, ["--val-fraction", "nan"], ["validation fraction must be a finite number"]),
    ("val-fraction-text", GOOD, ["--val-fraction", "half"], ["validation fraction must be a number, not 'half'"]),
    ("val-leaves-one-row", "a,y\n1,2\n2,4\n3,5\n", ["--val-fraction", "0.5"],
     ["takes 2 of the 3 rows, which leaves 1 for training; training needs at least 2"]),
    ("mlp:0", GOOD, ["--model", "mlp:0"], ["hidden layer sizes must be whole numbers from 1 to 4096"]),
    ("mlp:1.5", GOOD, ["--model", "mlp:1.5"], ["hidden layer sizes must be whole numbers from 1 to 4096"]),
    ("mlp:4097", GOOD, ["--model", "mlp:4097"], ["hidden layer sizes must be whole numbers from 1 to 4096"]),
    ("mlp:8,-1", GOOD, ["--model", "mlp:8,-1"], ["hidden layer sizes must be whole numbers from 1 to 4096"]),
    ("mlp:x", GOOD, ["--model", "mlp:x"], ["'mlp:x': 'x' is not a number"]),
    ("linear:3", GOOD, ["--model", "linear:3"], ["model 'linear' takes no arguments: 'linear:3'"]),
    ("cnn", GOOD, ["--model", "cnn"], ["scenario 'csv:data' has no model 'cnn'; choose from linear, mlp"]),
    ("bce-on-regression", GOOD, ["--loss", "bce"], ["scenario 'csv:data' is a regression"]),
    ("binary-two-targets", "a,b,y\n1,0,1\n2,1,0\n3,0,1\n", ["--task", "binary", "--targets", "b,y"],
     ["binary classification needs exactly one target column, not 2 ('b', 'y')"]),
    ("unknown-task", GOOD, ["--task", "ranking"], ["argument --task: invalid choice: 'ranking'"]),
    ("patience-no-split", GOOD, ["--patience", "2"],
     ["--patience needs a validation split, and scenario 'csv:data' has none"]),
]


@pytest.mark.parametrize("text,extra,fragments", [c[1:] for c in BAD_DATA], ids=[c[0] for c in BAD_DATA])
def test_bad_data_exits_2_with_one_line(capsys, tmp_path, text, extra, fragments):
    path = tmp_path / "data.csv"
    if text is not None:
        path.write_text(text)
    h, w = tmp_path / "h.csv", tmp_path / "w.npz"
    rc, out, err = cli(capsys, "run", "--data", path, *extra, "--history-out", h, "--weights-out", w)
    assert_one_line_error(rc, out, err, *[f.format(path=str(path)) for f in fragments])
    assert err.startswith("gdsim")
    assert out == ""  # nothing was trained
    assert sorted(os.listdir(tmp_path)) == (["data.csv"] if text is not None else [])


def test_data_that_is_a_folder(capsys, tmp_path):
    rc, out, err = cli(capsys, "run", "--data", tmp_path)
    assert_one_line_error(rc, out, err, f"CSV file {str(tmp_path)!r} is a folder, not a file")


@pytest.mark.parametrize("flag", ["--inputs", "--targets"])
def test_columns_without_data(capsys, tmp_path, flag):
    h = tmp_path / "h.csv"
    rc, out, err = cli(capsys, "run", "fruit", flag, "a", "--history-out", h)
    assert_one_line_error(rc, out, err, f"gdsim: {flag} goes with --data FILE.csv")
    assert out == "" and not h.exists()


def test_neither_scenario_nor_data(capsys):
    rc, out, err = cli(capsys, "run", "--inputs", "a")
    assert_one_line_error(rc, out, err, "name a scenario (see 'gdsim list') or give --data FILE.csv")


def test_file_over_the_real_size_limit_is_refused_before_reading(capsys, tmp_path):
    # A sparse file: 20 MB + 1 byte on paper, nothing on disk, refused from its size alone.
    path = tmp_path / "huge.csv"
    with open(path, "wb") as fh:
        fh.truncate(MAX_CSV_BYTES + 1)
    rc, out, err = cli(capsys, "run", "--data", path, "--history-out", tmp_path / "h.csv")
    assert_one_line_error(rc, out, err, f"gdsim: {str(path)!r} is too big to read: 20.000001 MB, "
                                        "and the limit is 20 MB (use fewer rows, or split the file)")
    assert not (tmp_path / "h.csv").exists()


def test_file_over_a_small_size_limit(capsys, tmp_path, monkeypatch, reg_csv):
    # read_table binds MAX_CSV_BYTES as a keyword default when it is defined, so patching the module
    # constant alone changes nothing; patch both the constant and the default the CLI gets.
    monkeypatch.setattr(table_module, "MAX_CSV_BYTES", 1024)
    monkeypatch.setitem(table_module.read_table.__kwdefaults__, "max_bytes", 1024)
    size = reg_csv.stat().st_size
    assert size > 1024
    rc, out, err = cli(capsys, "run", "--data", reg_csv)
    assert_one_line_error(rc, out, err, f"{str(reg_csv)!r} is too big to read:", "and the limit is 0.")
    small = write_csv(tmp_path / "small.csv", ["a", "b", "y"], regression_rows(10).tolist())
    assert small.stat().st_size <= 1024
    assert cli(capsys, "run", "--data", small, "--steps", "2")[0] == 0


def test_bad_data_as_a_real_process(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,y\n1,2,3\n4,five,6\n")
    proc = subprocess_gdsim("run", "--data", path)
    assert proc.returncode == 2
    assert proc.stderr == f"gdsim: {str(path)!r}, line 3, column 'b': 'five' is not a number\n"
    assert proc.stdout == ""


def test_standardize_of_huge_inputs_is_one_line(tmp_path):
    # Finite numbers, but their squares (in std) or their sum (in mean) overflow float64.
    path = tmp_path / "huge.csv"
    path.write_text("a,b,y\n1e308,1,3\n1e308,2,6\n-1e308,3,9\n5,4,1\n")
    proc = subprocess_gdsim("run", "--data", path, "--standardize", "--steps", "3", "--quiet")
    # Either a one-line refusal, or a run that trains on properly scaled inputs: no warnings either way.
    assert "Warning" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 2) and proc.stderr.count("\n") == (proc.returncode == 2), proc.stderr


def test_standardize_of_tiny_but_different_inputs(capsys, tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("a,b,y\n1e-320,1,3\n2e-320,2,6\n3e-320,3,9\n")
    rc, out, err = cli(capsys, "run", "--data", path, "--standardize", "--steps", "2", "--quiet")
    # The values differ (the column passed the constant-column check without --standardize):
    # either standardise them, or say why not, but not that they are all the same.
    assert rc == 0 or "same value" not in err, err


@pytest.mark.parametrize("flag", ["--data", "--inputs", "--targets", "--weights-in", "--weights-out",
                                  "--history-out", "--plot-out"])
def test_empty_option_value_is_refused(capsys, tmp_path, flag):
    rc, out, err = cli(capsys, "run", "fruit", "--steps", "2", f"{flag}=")
    assert_one_line_error(rc, out, err)


# ----- headless figures ------------------------------------------------------------------------------------------

def assert_figure_size(size) -> None:
    """The window's three views at FIGURE_SIZE, with a margin and the caption line above them."""
    from gdsim.app.figure import FIGURE_SIZE

    width, height = size
    assert FIGURE_SIZE[0] <= width <= FIGURE_SIZE[0] + 40 and FIGURE_SIZE[1] + 20 <= height <= FIGURE_SIZE[1] + 80, size


def _png_size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _decode_png(path):
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull(), "QImage cannot decode the PNG"
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 37)
               for y in range(0, image.height(), 23)}
    return image.width(), image.height(), colours


@pytest.mark.parametrize("scenario", ["fruit", "digits", "digits10"])
def test_plot_out_png(tmp_path, scenario):
    png, h = tmp_path / "out.png", tmp_path / "h.csv"
    proc = subprocess_gdsim("run", scenario, "--steps", "5", "--plot-out", png, "--history-out", h)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "stopped: reached the step limit of 5" in proc.stdout
    data = png.read_bytes()
    assert len(data) > 10_000
    assert_figure_size(_png_size(data))
    width, height, colours = _decode_png(png)
    assert (width, height) == _png_size(data)
    assert len(colours) > 3  # a drawing, not a blank page
    assert len(read_csv(h)[1]) == 5
    assert sorted(os.listdir(tmp_path)) == ["h.csv", "out.png"]  # no temporary file left behind


@pytest.mark.parametrize("scenario", ["fruit", "digits"])
def test_plot_out_svg(tmp_path, scenario):
    svg = tmp_path / "out.svg"
    proc = subprocess_gdsim("run", scenario, "--steps", "5", "--plot-out", svg, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and proc.stdout == ""
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert_figure_size([int(v) for v in root.get("viewBox").split()[2:]])
    assert sum(1 for _ in root.iter()) > 100
    title = [e.text for e in root.iter() if e.tag.endswith("title")]
    assert title[0].startswith(f"gdsim: {scenario} (") and title[0].endswith("step 5")
    assert sorted(os.listdir(tmp_path)) == ["out.svg"]


def test_plot_out_of_own_data_and_after_divergence(tmp_path, bin_csv):
    png = tmp_path / "own.png"
    proc = subprocess_gdsim("run", "--data", bin_csv, "--task", "binary", "--steps", "5", "--plot-out", png,
                            "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert_figure_size(_png_size(png.read_bytes()))
    svg = tmp_path / "diverged.svg"
    proc = subprocess_gdsim("run", "parabola", "--lr", "2", "--steps", "1000", "--plot-out", svg, "--quiet")
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and "diverged at step 324" in proc.stderr
    assert ET.parse(svg).getroot().tag.endswith("svg")


def test_divergence_with_plot_out_draws_the_finite_history_and_exits_3(tmp_path):
    # The README's own example: x doubles each step until its loss overflows at step 512.
    png = tmp_path / "p.png"
    proc = subprocess_gdsim("run", "parabola", "--lr", "1.5", "--steps", "1000", "--plot-out", png)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr == "gdsim: diverged at step 512: the loss is infinite; the weights after step 511 are kept\n"
    assert_figure_size(_png_size(png.read_bytes()))


@pytest.mark.parametrize("name", ["out.jpg", "out.PNG.txt", "out", "out.pdf"])
def test_plot_out_other_formats(capsys, tmp_path, name):
    h = tmp_path / "h.csv"
    rc, out, err = cli(capsys, "run", "fruit", "--steps", "5", "--plot-out", tmp_path / name, "--history-out", h)
    assert_one_line_error(rc, out, err, f"--plot-out draws a .png or .svg file, not {str(tmp_path / name)!r}")
    assert out == "" and os.listdir(tmp_path) == []


def test_plot_out_upper_case_suffix(tmp_path):
    png = tmp_path / "OUT.PNG"
    proc = subprocess_gdsim("run", "fruit", "--steps", "2", "--plot-out", png, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert_figure_size(_png_size(png.read_bytes()))


@pytest.mark.parametrize("target", ["missing-folder", "folder"])
def test_plot_out_unwritable_fails_before_training(capsys, tmp_path, target):
    path = tmp_path / "no" / "such" / "out.png" if target == "missing-folder" else tmp_path
    h = tmp_path / "h.csv"
    before = set(sys.modules)
    rc, out, err = cli(capsys, "run", "digits", "--steps", "3000", "--plot-out", path, "--history-out", h)
    assert_one_line_error(rc, out, err, f"cannot write {str(path)!r}")
    assert out == ""  # no header line: training never started
    assert not h.exists() and not (tmp_path / "no").exists()
    assert not [m for m in set(sys.modules) - before if m.startswith(QT_PREFIXES)]


def test_run_without_plot_out_imports_no_qt(tmp_path, reg_csv):
    modules = imported_by(
        (["run", "--data", reg_csv, "--model", "mlp:4", "--steps", "3", "--standardize",
          "--history-out", tmp_path / "h.csv", "--weights-out", tmp_path / "w.npz"], 0),
        (["run", "--data", "no-such-file.csv"], 2),
        (["run", "digits", "--steps", "2", "--quiet"], 0))
    assert not QT & modules and "gdsim.app" not in modules


# ----- gdsim open: a file that cannot be opened is refused before any window ---------------------------------------

def _open_case(tmp_path, kind):
    if kind == "missing":
        return tmp_path / "missing.gdsim", "session file {p!r} does not exist"
    if kind == "text":
        p = tmp_path / "not-a-session.txt"
        p.write_text("hello\n")
        return p, "{p!r} is not a gdsim session (it is not a zip archive)"
    if kind == "folder":
        return tmp_path, "session file {p!r} is a folder, not a file"
    if kind == "other-zip":
        import zipfile

        p = tmp_path / "other.gdsim"
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("readme.txt", "hi")
        return p, "{p!r} is not a gdsim session (it lacks session.json or arrays.npz)"
    if kind == "truncated-zip":
        import zipfile

        p = tmp_path / "cut.gdsim"
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("session.json", "{}" * 2000)
            z.writestr("arrays.npz", b"\0" * 5000)
        p.write_bytes(p.read_bytes()[:-30])
        return p, "{p!r} is not a gdsim session"
    if kind in ("bad-json", "newer"):
        import json
        import zipfile

        p = tmp_path / f"{kind}.gdsim"
        doc = "{not json" if kind == "bad-json" else json.dumps(
            {"format": "gdsim-session", "version": 99, "gdsim": "9.0"})
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("session.json", doc)
            z.writestr("arrays.npz", b"")
        if kind == "bad-json":
            return p, "{p!r} is damaged: session.json is not valid JSON"
        return p, "{p!r} was saved by a newer gdsim (9.0, session format 99)"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["missing", "text", "folder", "other-zip", "truncated-zip", "bad-json", "newer"])
def test_open_refuses_before_any_window(capsys, tmp_path, kind):
    path, message = _open_case(tmp_path, kind)
    before = set(sys.modules)
    rc, out, err = cli(capsys, "open", path)
    assert_one_line_error(rc, out, err, "gdsim: ", message.format(p=str(path)))
    assert out == ""
    new = set(sys.modules) - before
    assert not [m for m in new if m.startswith(QT_PREFIXES) or m.startswith("gdsim.app")], sorted(new)


def test_open_missing_as_a_real_process(tmp_path):
    path = tmp_path / "missing.gdsim"
    proc = subprocess_gdsim("open", path, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == f"gdsim: session file {str(path)!r} does not exist\n"
    assert proc.stdout == ""
