"""`gdsim run` and `gdsim list`: outputs, exit statuses, and one-line errors for every bad input."""

from __future__ import annotations

import math
import os
import zipfile

import numpy as np
import pytest
from cli_helpers import QT, RUN_COLUMNS, column, imported_by, measured, read_csv, subprocess_gdsim

from gdsim.cli import main
from gdsim.core.scenarios import SCENARIOS, build_trainer
from gdsim.core.settings import Settings


def cli(capsys, *args):
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err





def engine(scenario, **kw):
    return build_trainer(Settings(scenario=scenario, **kw))


def assert_one_line_error(rc, out, err, *texts):
    assert rc == 2
    assert "Traceback" not in err and "Traceback" not in out
    assert err.endswith("\n") and err.count("\n") == 1, err
    for text in texts:
        assert text in err, err
    return err.strip()


# ----- list ---------------------------------------------------------------------------------------------------

def test_list_shows_every_scenario(capsys):
    rc, out, err = cli(capsys, "list")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    starts = [line.split()[0] for line in lines if line and not line.startswith(" ")]
    assert starts == ["fruit", "quadratic", "micrograd", "digits", "digits10", "parabola", "chain-rule"]
    for name, s in SCENARIOS.items():
        assert any(line.startswith(name) and s.summary in line for line in lines)
    assert any("--model mlp" in line for line in lines)


def test_python_m_gdsim_list():
    proc = subprocess_gdsim("list")
    assert proc.returncode == 0, proc.stderr
    for name in SCENARIOS:
        assert name in proc.stdout
    assert proc.stderr == ""


def test_run_never_imports_qt():
    assert not QT & imported_by((["run", "fruit", "--steps", "1"], 0))


# ----- a normal run -------------------------------------------------------------------------------------------

def test_run_prints_header_and_summary(capsys):
    rc, out, err = cli(capsys, "run", "fruit", "--steps", "5")
    assert rc == 0 and err == ""
    t = engine("fruit", steps=5)
    t.run()
    assert out.splitlines()[0].startswith("fruit: linear 3 -> 2, mean squared error, SGD lr 1e-05, gradient zeroing on")
    assert "stopped: reached the step limit of 5" in out
    assert f"loss      {t.history.loss[0]:.6g} at step 1 -> {t.history.loss[-1]:.6g} at step 5" in out
    assert f"final     loss {t.evaluate('train')[0]:.6g}" in out
    assert "steps/s (5 steps in" in out


def test_quiet_prints_nothing(capsys, tmp_path):
    rc, out, err = cli(capsys, "run", "fruit", "--steps", "3", "--quiet", "--history-out", tmp_path / "h.csv")
    assert (rc, out, err) == (0, "", "")
    assert len(read_csv(tmp_path / "h.csv")[1]) == 3


@pytest.mark.parametrize("scenario,steps,header", [
    ("fruit", 7, ["step", "loss", "grad_norm"]),
    ("quadratic", 4, ["step", "loss", "grad_norm", "rmse"]),
    ("micrograd", 9, ["step", "loss", "grad_norm"]),
    ("parabola", 3, ["step", "loss", "grad_norm"]),
    ("digits", 7, ["step", "loss", "grad_norm", "accuracy", "val_loss", "val_accuracy"]),
])
def test_history_out(capsys, tmp_path, scenario, steps, header):
    path = tmp_path / "h.csv"
    rc, _, _ = cli(capsys, "run", scenario, "--steps", steps, "--history-out", path, "--quiet")
    assert rc == 0
    got_header, rows = read_csv(path)
    assert got_header == header + RUN_COLUMNS
    assert len(rows) == steps
    assert [r[0] for r in rows] == [str(k) for k in range(1, steps + 1)]
    t = engine(scenario, steps=steps)
    t.run()
    # Written to the last bit.
    np.testing.assert_array_equal(column(rows, header, "loss"), t.history.loss)
    np.testing.assert_array_equal(column(rows, header, "grad_norm"), t.history.grad_norm)
    if t.metric:
        np.testing.assert_array_equal(column(rows, header, t.metric), t.history.metric_values)
    if scenario == "digits":
        vl = column(rows, header, "val_loss")
        filled = np.flatnonzero(~np.isnan(vl)) + 1
        np.testing.assert_array_equal(filled, [3, 6])
        np.testing.assert_array_equal(vl[[2, 5]], t.history.val_loss)
        np.testing.assert_array_equal(column(rows, header, "val_accuracy")[[2, 5]], t.history.val_metric)


def test_history_row_1_is_the_loss_of_the_initial_weights(capsys, tmp_path):
    w = {"weight": np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]), "bias": np.array([1.0, -1.0])}
    np.savez(tmp_path / "w.npz", **w)
    rc, _, _ = cli(capsys, "run", "fruit", "--steps", "3", "--weights-in", tmp_path / "w.npz",
                   "--history-out", tmp_path / "h.csv", "--quiet")
    assert rc == 0
    header, rows = read_csv(tmp_path / "h.csv")
    x = np.array([[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70]], float)
    y = np.array([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]], float)
    d = x @ w["weight"].T + w["bias"] - y
    assert column(rows, header, "loss")[0] == pytest.approx(np.mean(d * d), rel=1e-14)
    # ...and row 2 is the loss after exactly one update.
    g = d * 0.2
    w1 = w["weight"] - 1e-5 * (g.T @ x)
    b1 = w["bias"] - 1e-5 * g.sum(axis=0)
    d1 = x @ w1.T + b1 - y
    assert column(rows, header, "loss")[1] == pytest.approx(np.mean(d1 * d1), rel=1e-12)


def test_weights_in_then_out_round_trip(capsys, tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    assert cli(capsys, "run", "micrograd", "--steps", "5", "--weights-out", a, "--quiet")[0] == 0
    assert cli(capsys, "run", "micrograd", "--steps", "5", "--weights-in", a, "--weights-out", b, "--quiet")[0] == 0
    t = engine("micrograd", steps=10)
    t.run()
    with np.load(b) as f:
        assert sorted(f.files) == sorted(t.params.names)
        for name in t.params.names:
            # Plain SGD with zeroing has no state: 5 + 5 steps are the same as 10.
            np.testing.assert_array_equal(f[name], t.params[name].value)
    # --weights-in replaces the seed's draw: row 1 is the loss of the weights read, whatever the seed.
    c = tmp_path / "c.npz"
    assert cli(capsys, "run", "micrograd", "--steps", "1", "--seed", "7", "--weights-in", b,
               "--history-out", tmp_path / "h.csv", "--weights-out", c, "--quiet")[0] == 0
    header, rows = read_csv(tmp_path / "h.csv")
    assert column(rows, header, "loss")[0] == pytest.approx(t.evaluate("train")[0], rel=1e-13)


def test_weights_out_of_a_scalar_parameter(capsys, tmp_path):
    assert cli(capsys, "run", "parabola", "--steps", "2", "--weights-out", tmp_path / "w.npz", "--quiet")[0] == 0
    with np.load(tmp_path / "w.npz") as f:
        assert f.files == ["x"] and f["x"].shape == ()
        assert float(f["x"]) == pytest.approx(3 * 0.8**2, rel=1e-14)


def test_no_zero_grad(capsys, tmp_path):
    path = tmp_path / "h.csv"
    rc, out, _ = cli(capsys, "run", "micrograd", "--steps", "20", "--no-zero-grad", "--history-out", path)
    assert rc == 0 and "gradient zeroing OFF" in out
    header, rows = read_csv(path)
    off = engine("micrograd", steps=20, zero_grad=False)
    off.run()
    on = engine("micrograd", steps=20)
    on.run()
    np.testing.assert_array_equal(column(rows, header, "loss"), off.history.loss)
    assert column(rows, header, "loss")[-1] > 1.0 > on.history.loss[-1]


def test_no_zero_grad_header(capsys):
    rc, out, _ = cli(capsys, "run", "fruit", "--steps", "1", "--no-zero-grad")
    assert rc == 0 and "gradient zeroing OFF (gradients accumulate)" in out


def test_until_loss(capsys, tmp_path):
    path = tmp_path / "h.csv"
    rc, out, err = cli(capsys, "run", "parabola", "--lr", "0.1", "--steps", "100", "--until-loss", "0.01",
                       "--history-out", path)
    assert rc == 0 and err == ""
    header, rows = read_csv(path)
    assert len(rows) == 17
    loss = column(rows, header, "loss")
    assert loss[-1] < 0.01 <= loss[-2]
    assert "fell below the target 0.01 at step 17" in out


def test_patience_on_digits(capsys, tmp_path):
    path = tmp_path / "h.csv"
    rc, out, err = cli(capsys, "run", "digits", "--steps", "3000", "--patience", "2", "--history-out", path)
    assert rc == 0 and err == ""
    t = engine("digits", steps=3000, patience=2)
    stop = t.run()
    header, rows = read_csv(path)
    assert len(rows) == stop.step == t.step_count
    assert "validation loss has not improved for 2 epochs" in out
    assert f"stopped at step {stop.step}" in out
    np.testing.assert_array_equal(column(rows, header, "val_loss")[2::3], t.history.val_loss)


@pytest.mark.parametrize("args,kw", [
    (["--optimizer", "adam", "--lr", "0.05"], {"optimizer": "adam", "lr": 0.05}),
    (["--optimizer", "momentum:0.5", "--loss", "huber:2"], {"optimizer": "momentum:0.5", "loss": "huber:2"}),
    (["--init", "xavier_uniform", "--seed", "9"], {"init": "xavier_uniform", "seed": 9}),
    (["--l1", "0.5", "--l2", "0.25"], {"l1": 0.5, "l2": 0.25}),
])
def test_options_reach_the_engine(capsys, tmp_path, args, kw):
    path = tmp_path / "h.csv"
    assert cli(capsys, "run", "fruit", "--steps", "6", "--history-out", path, "--quiet", *args)[0] == 0
    header, rows = read_csv(path)
    t = engine("fruit", steps=6, **kw)
    t.run()
    np.testing.assert_array_equal(column(rows, header, "loss"), t.history.loss)
    default = engine("fruit", steps=6)
    default.run()
    assert not np.array_equal(t.history.loss, default.history.loss)  # the option made a difference


def test_digits_options(capsys, tmp_path):
    path = tmp_path / "h.csv"
    assert cli(capsys, "run", "digits", "--model", "mlp", "--batch-size", "100", "--steps", "8",
               "--history-out", path, "--quiet")[0] == 0
    header, rows = read_csv(path)
    t = engine("digits", model="mlp", batch_size=100, steps=8)
    t.run()
    np.testing.assert_array_equal(column(rows, header, "loss"), t.history.loss)
    assert np.flatnonzero(~np.isnan(column(rows, header, "val_loss"))).tolist() == [6]  # 7 batches an epoch


def test_relative_output_paths(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "run", "fruit", "--steps", "2", "--history-out", "h.csv", "--weights-out", "w.npz",
               "--quiet")[0] == 0
    assert sorted(os.listdir(tmp_path)) == ["h.csv", "w.npz"]


# ----- divergence ---------------------------------------------------------------------------------------------

def test_divergence_exits_3_after_writing_the_last_finite_state(capsys, tmp_path):
    h, w = tmp_path / "h.csv", tmp_path / "w.npz"
    rc, out, err = cli(capsys, "run", "parabola", "--lr", "1.5", "--steps", "600", "--history-out", h,
                       "--weights-out", w)
    assert rc == 3
    assert err == "gdsim: diverged at step 512: the loss is infinite; the weights after step 511 are kept\n"
    assert "Traceback" not in err
    assert "stopped: diverged at step 512" in out
    header, rows = read_csv(h)
    assert len(rows) == 511
    loss = column(rows, header, "loss")
    assert np.isfinite(loss).all()
    np.testing.assert_array_equal(loss, 9.0 * 4.0 ** np.arange(511))
    with np.load(w) as f:
        assert float(f["x"]) == 3.0 * (-2.0) ** 511


def test_divergence_of_a_larger_model(capsys, tmp_path):
    h, w = tmp_path / "h.csv", tmp_path / "w.npz"
    rc, _, err = cli(capsys, "run", "fruit", "--lr", "1e-3", "--steps", "1000", "--history-out", h,
                     "--weights-out", w, "--quiet")
    assert rc == 3 and err.count("\n") == 1 and "diverged at step 125" in err
    twin = engine("fruit", lr=1e-3, steps=1000)
    assert twin.run(limit=124) is None
    header, rows = read_csv(h)
    assert len(rows) == 124
    np.testing.assert_array_equal(column(rows, header, "loss"), twin.history.loss)
    with np.load(w) as f:
        for name in ("weight", "bias"):
            assert np.isfinite(f[name]).all()
            np.testing.assert_array_equal(f[name], twin.params[name].value)


def test_divergence_at_step_1_writes_header_and_initial_weights(capsys, tmp_path):
    big = {"weight": np.full((2, 3), 1e200), "bias": np.zeros(2)}
    np.savez(tmp_path / "in.npz", **big)
    rc, _, err = cli(capsys, "run", "fruit", "--weights-in", tmp_path / "in.npz", "--history-out", tmp_path / "h.csv",
                     "--weights-out", tmp_path / "out.npz", "--quiet")
    assert rc == 3
    assert err == "gdsim: diverged at step 1: the loss is infinite; the initial weights are kept\n"
    header, rows = read_csv(tmp_path / "h.csv")
    assert measured(header) == ["step", "loss", "grad_norm"] and rows == []
    with np.load(tmp_path / "out.npz") as f:
        np.testing.assert_array_equal(f["weight"], big["weight"])


def test_divergence_as_a_real_process(tmp_path):
    proc = subprocess_gdsim("run", "parabola", "--lr", "2", "--steps", "1000", "--history-out", tmp_path / "h.csv")
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    # x_k = 3 * (-3)**k, so step k's loss is 9**k, first beyond float64's 1.8e308 at k = 324.
    step = math.floor(math.log(np.finfo(float).max) / math.log(9)) + 1
    assert step == 324
    assert f"gdsim: diverged at step {step}: the loss is infinite; the weights after step {step - 1}" in proc.stderr
    assert len(read_csv(tmp_path / "h.csv")[1]) == step - 1


# ----- bad input: exit 2, one line, no traceback ----------------------------------------------------------------

BAD_ARGS = [
    (["run", "nope"], "gdsim: unknown scenario 'nope'; choose from fruit, quadratic, micrograd, digits, digits10, parabola"),
    (["run"], "name a scenario (see 'gdsim list') or give --data FILE.csv"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["run", "fruit", "--bogus"], "unrecognized arguments: --bogus"),
    (["run", "fruit", "--lr", "abc"], "learning rate must be a number, not 'abc'"),
    (["run", "fruit", "--lr", "0"], "learning rate must be > 0, not 0"),
    (["run", "fruit", "--lr", "-0.5"], "learning rate must be > 0, not -0.5"),
    (["run", "fruit", "--lr", "inf"], "learning rate must be a finite number, not 'inf'"),
    (["run", "fruit", "--lr", "nan"], "learning rate must be a finite number, not 'nan'"),
    (["run", "fruit", "--lr", "1e7"], "learning rate must be at most 1e+06, not 1e7"),
    (["run", "fruit", "--steps", "0"], "steps must be >= 1, not 0"),
    (["run", "fruit", "--steps", "-3"], "steps must be >= 1, not -3"),
    (["run", "fruit", "--steps", "ten"], "steps must be a whole number, not 'ten'"),
    (["run", "fruit", "--steps", "1.5"], "steps must be a whole number, not '1.5'"),
    (["run", "fruit", "--batch-size", "0"], "batch size must be >= 1, not 0"),
    (["run", "fruit", "--seed", "-1"], "seed must be >= 0, not -1"),
    (["run", "fruit", "--seed", str(2**64)], "seed is too large"),
    (["run", "fruit", "--until-loss", "low"], "target loss must be a number, not 'low'"),
    (["run", "fruit", "--until-loss", "nan"], "target loss must be a finite number"),
    (["run", "fruit", "--patience", "0"], "patience must be >= 1, not 0"),
    (["run", "fruit", "--patience", "3"], "--patience needs a validation split, and scenario 'fruit' has none"),
    (["run", "fruit", "--l1", "-1"], "L1 penalty must be >= 0, not -1"),
    (["run", "fruit", "--l2", "inf"], "L2 penalty must be a finite number"),
    (["run", "fruit", "--optimizer", "lbfgs"], "unknown optimizer 'lbfgs'; choose from sgd, momentum, nesterov"),
    (["run", "fruit", "--optimizer", "momentum:1.5"], "momentum must be in [0, 1), not 1.5"),
    (["run", "fruit", "--optimizer", "adam:1,2,3,4"], "optimizer 'adam' does not take 4 argument(s)"),
    (["run", "fruit", "--loss", "hinge"], "unknown loss 'hinge'; choose from mse, sse, mae, huber, bce"),
    (["run", "fruit", "--loss", "huber:x"], "'huber:x': 'x' is not a number"),
    (["run", "fruit", "--loss", "huber:0"], "Huber delta must be a finite number > 0"),
    (["run", "fruit", "--loss", "bce"], "scenario 'fruit' is a regression; a binary (0/1) loss needs a classification"),
    (["run", "quadratic", "--loss", "cross_entropy"], "scenario 'quadratic' is a regression"),
    (["run", "fruit", "--init", "orthogonal"], "unknown initializer 'orthogonal'"),
    (["run", "fruit", "--init", "uniform:1,-1"], "uniform needs finite bounds with low <= high"),
    (["run", "fruit", "--model", "mlp"], "scenario 'fruit' has no model 'mlp'; choose from linear"),
    (["run", "digits", "--model", "cnn"], "scenario 'digits' has no model 'cnn'; choose from linear, mlp"),
]


@pytest.mark.parametrize("args,message", BAD_ARGS, ids=[" ".join(a) for a, _ in BAD_ARGS])
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, args, message):
    h = tmp_path / "h.csv"
    extra = ["--history-out", str(h)] if len(args) >= 2 and args[0] == "run" and args[1] in SCENARIOS else []
    rc, out, err = cli(capsys, *args, *extra)
    assert_one_line_error(rc, out, err, message)
    assert err.startswith("gdsim")
    assert out == ""  # nothing was trained
    assert not h.exists()


def test_bad_input_as_a_real_process():
    proc = subprocess_gdsim("run", "fruit", "--lr", "-1")
    assert proc.returncode == 2
    assert proc.stderr == "gdsim run: argument --lr: learning rate must be > 0, not -1\n"
    assert proc.stdout == ""
    proc = subprocess_gdsim("run", "nosuch")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "unknown scenario 'nosuch'" in proc.stderr


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_is_what_the_parser_prints_at_every_width(capsys, monkeypatch, flag):
    from gdsim.cli import build_parser

    for columns in range(10, 130):
        monkeypatch.setenv("COLUMNS", str(columns))
        rc, out, err = cli(capsys, flag)
        assert rc == 0 and err == ""
        assert out == build_parser(None).format_help(), f"at {columns} columns"


def test_help_exits_0(capsys):
    rc, out, _ = cli(capsys, "run", "--help")
    assert rc == 0 and "--history-out" in out and "--no-zero-grad" in out


# ----- bad weights files -----------------------------------------------------------------------------------------

def weights_case(tmp_path, kind):
    p = tmp_path / "w.npz"
    good = {"weight": np.zeros((2, 3)), "bias": np.zeros(2)}
    if kind == "missing":
        return tmp_path / "none.npz", "does not exist"
    if kind == "folder":
        return tmp_path, "is a folder, not a file"
    if kind == "text":
        p.write_text("weight = [[1, 2, 3]]\n")
        return p, "is not an .npz weights file"
    if kind == "npy":
        p = tmp_path / "w.npy"
        np.save(p, good["weight"])
        return p, "holds a single array"
    if kind == "missing_param":
        np.savez(p, weight=good["weight"])
        return p, "has no parameter 'bias' (it has: weight)"
    if kind == "extra_param":
        np.savez(p, **good, scale=np.ones(1))
        return p, "has parameter 'scale', which this model does not have"
    if kind == "shape":
        np.savez(p, weight=np.zeros((3, 2)), bias=good["bias"])
        return p, "parameter 'weight' has shape (3, 2)"
    if kind == "dtype":
        np.savez(p, weight=np.full((2, 3), "x"), bias=good["bias"])
        return p, "is not real numbers"
    if kind == "nan":
        np.savez(p, weight=np.full((2, 3), np.nan), bias=good["bias"])
        return p, "contains NaN or infinite values"
    if kind == "pickle":
        np.savez(p, weight=np.zeros((2, 3), dtype=object), bias=good["bias"])
        return p, "cannot read parameter 'weight'"
    if kind == "truncated":
        np.savez(p, **good)
        p.write_bytes(p.read_bytes()[:200])
        return p, str(p)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["missing", "folder", "text", "npy", "missing_param", "extra_param", "shape",
                                  "dtype", "nan", "pickle", "truncated"])
def test_bad_weights_in(capsys, tmp_path, kind):
    path, message = weights_case(tmp_path, kind)
    out_path = tmp_path / "out.npz"
    rc, out, err = cli(capsys, "run", "fruit", "--weights-in", path, "--weights-out", out_path)
    assert_one_line_error(rc, out, err, message, "gdsim: ")
    assert out == "" and not out_path.exists()


def test_wrong_shape_names_both_shapes(capsys, tmp_path):
    path, _ = weights_case(tmp_path, "shape")
    rc, out, err = cli(capsys, "run", "fruit", "--weights-in", path)
    assert_one_line_error(rc, out, err, "parameter 'weight' has shape (3, 2)", "but the model needs (2, 3)")


def test_weights_for_another_model(capsys, tmp_path):
    t = engine("micrograd")
    np.savez(tmp_path / "m.npz", **t.params.state_dict())
    rc, out, err = cli(capsys, "run", "fruit", "--weights-in", tmp_path / "m.npz")
    assert_one_line_error(rc, out, err, "has no parameter 'weight' (it has: layers.0.weight, ")


def test_zip_of_text_files_as_weights(capsys, tmp_path):
    path = tmp_path / "w.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("weight.npy", "1,2,3\n")
        z.writestr("bias.npy", "1,2\n")
    rc, out, err = cli(capsys, "run", "fruit", "--weights-in", path)
    assert_one_line_error(rc, out, err, "'weight'")


def test_overflowing_long_double_weights_one_line(tmp_path):
    p = tmp_path / "w.npz"
    np.savez(p, weight=np.full((2, 3), np.longdouble("1e4000"), dtype=np.longdouble), bias=np.zeros(2))
    if not np.isfinite(np.load(p)["weight"]).all():
        pytest.skip("longdouble is float64 on this platform")
    proc = subprocess_gdsim("run", "fruit", "--weights-in", p)
    assert proc.returncode == 2
    assert "contains NaN or infinite values" in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


# ----- outputs that cannot be written: exit 2 before any training ------------------------------------------------

@pytest.mark.parametrize("flag", ["--weights-out", "--history-out"])
def test_output_in_a_missing_folder(capsys, tmp_path, flag):
    target = tmp_path / "no" / "such" / "out.file"
    other = "--history-out" if flag == "--weights-out" else "--weights-out"
    other_path = tmp_path / "other.out"
    rc, out, err = cli(capsys, "run", "digits", "--steps", "3000", flag, target, other, other_path)
    assert_one_line_error(rc, out, err, f"cannot write {str(target)!r}", "does not exist")
    assert out == ""  # no header: training never started
    assert not other_path.exists() and not target.parent.exists()


@pytest.mark.parametrize("flag", ["--weights-out", "--history-out"])
def test_output_path_is_a_folder(capsys, tmp_path, flag):
    rc, out, err = cli(capsys, "run", "fruit", flag, tmp_path)
    assert_one_line_error(rc, out, err, f"cannot write {str(tmp_path)!r}: it is a folder")
    assert out == ""


def test_output_under_a_file(capsys, tmp_path):
    f = tmp_path / "plain.txt"
    f.write_text("x")
    rc, out, err = cli(capsys, "run", "fruit", "--history-out", f / "h.csv")
    assert_one_line_error(rc, out, err, "cannot write")
    assert f.read_text() == "x"


def test_failed_run_keeps_existing_outputs(capsys, tmp_path):
    h = tmp_path / "h.csv"
    h.write_text("precious\n")
    rc, _, _ = cli(capsys, "run", "fruit", "--lr", "0", "--history-out", h)
    assert rc == 2 and h.read_text() == "precious\n"
