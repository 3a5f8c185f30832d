"""`gdsim run --session-out` and `gdsim run --session`: a headless run saved whole, and continued bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import column, read_csv
from session_helpers import rewrite

from gdsim.cli import main
from gdsim.core.files.session import load_session


def cli(capsys, *args):
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def losses(path):
    header, rows = read_csv(path)
    return column(rows, header, "step"), column(rows, header, "loss")


@pytest.mark.parametrize("options", [
    ["fruit"],
    ["fruit", "--no-zero-grad"],
    ["digits", "--optimizer", "adam", "--lr", "0.01"],  # step 5 is mid-epoch: the batch order matters
    ["micrograd", "--optimizer", "momentum", "--l2", "0.01"],
])
def test_continuing_a_saved_run_gives_the_steps_of_one_longer_run_bit_for_bit(capsys, tmp_path, options):
    s, h, whole = tmp_path / "s.gdsim", tmp_path / "h.csv", tmp_path / "whole.csv"
    assert cli(capsys, "run", *options, "--steps", 5, "--session-out", s, "--quiet")[0] == 0
    rc, out, err = cli(capsys, "run", "--session", s, "--steps", 5, "--history-out", h,
                       "--weights-out", tmp_path / "w.npz")
    assert rc == 0, err
    assert f"continuing {s} from step 5" in out and "stopped: reached the step limit of 10" in out
    assert cli(capsys, "run", *options, "--steps", 10, "--history-out", whole, "--weights-out",
               tmp_path / "whole.npz", "--quiet")[0] == 0
    steps, got = losses(h)
    np.testing.assert_array_equal(steps, np.arange(1, 11))
    np.testing.assert_array_equal(got, losses(whole)[1])  # bit for bit: steps 1-5 saved, 6-10 continued
    with np.load(tmp_path / "w.npz") as a, np.load(tmp_path / "whole.npz") as b:
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name])


def test_continuing_headless_is_continuing_as_the_window_does(capsys, tmp_path):
    s = tmp_path / "s.gdsim"
    assert cli(capsys, "run", "digits", "--model", "mlp", "--steps", 3, "--session-out", s, "--quiet")[0] == 0
    window = load_session(s).trainer  # what File > Open gives the window's model thread
    window.max_steps = None
    window.run(4)
    assert cli(capsys, "run", "--session", s, "--steps", 4, "--session-out", tmp_path / "t.gdsim",
               "--quiet")[0] == 0
    headless = load_session(tmp_path / "t.gdsim").trainer
    np.testing.assert_array_equal(headless.history.loss, window.history.loss)
    np.testing.assert_array_equal(headless.params.values, window.params.values)
    np.testing.assert_array_equal(headless.trace.values, window.trace.values)


def test_a_headless_session_holds_what_the_window_shows(capsys, tmp_path):
    s = tmp_path / "s.gdsim"
    assert cli(capsys, "run", "micrograd", "--steps", 7, "--session-out", s, "--quiet")[0] == 0
    session = load_session(s)
    t = session.trainer
    assert t.step_count == 7 and len(t.history) == 7 and session.settings.steps == 7
    assert t.history.track_tensor_norms and t.history.tensor_grad_sq_norms.shape == (7, 6)
    assert t.trace is not None and t.trace.n == 8  # the initial weights, then every step


def test_without_steps_a_session_runs_to_its_own_step_limit(capsys, tmp_path):
    s = tmp_path / "s.gdsim"
    assert cli(capsys, "run", "fruit", "--steps", 5, "--session-out", s, "--quiet")[0] == 0
    rc, out, _ = cli(capsys, "run", "--session", s)
    assert rc == 0 and "stopped: reached the step limit of 5" in out and "(0 steps in" in out


def test_a_session_without_a_step_limit_needs_steps(capsys, tmp_path):
    s = tmp_path / "s.gdsim"
    assert cli(capsys, "run", "fruit", "--steps", 2, "--session-out", s, "--quiet")[0] == 0
    rewrite(s, edit_doc=lambda d: d["settings"].update(steps=0))  # the window's "no step limit"
    rc, out, err = cli(capsys, "run", "--session", s)
    assert rc == 2 and out == "" and "has no stop condition" in err and "give --steps N" in err
    assert cli(capsys, "run", "--session", s, "--steps", 3, "--quiet")[0] == 0


def test_a_session_can_be_continued_into_itself(capsys, tmp_path):
    s = tmp_path / "s.gdsim"
    assert cli(capsys, "run", "quadratic", "--steps", 3, "--session-out", s, "--quiet")[0] == 0
    for _ in range(2):
        assert cli(capsys, "run", "--session", s, "--steps", 3, "--session-out", s, "--quiet")[0] == 0
    assert load_session(s).trainer.step_count == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.gdsim"]


@pytest.mark.parametrize("extra, message", [
    (["fruit"], "a scenario name cannot be used with --session"),
    (["--lr", "0.1"], "--lr cannot be used with --session"),
    (["--no-zero-grad"], "--no-zero-grad cannot be used with --session"),
    (["--data", "x.csv"], "--data cannot be used with --session"),
    (["--weights-in", "w.npz"], "--weights-in cannot be used with --session"),
])
def test_a_session_continues_with_its_own_settings(capsys, tmp_path, extra, message):
    s = tmp_path / "s.gdsim"
    assert cli(capsys, "run", "fruit", "--steps", 2, "--session-out", s, "--quiet")[0] == 0
    before = s.read_bytes()
    rc, out, err = cli(capsys, "run", "--session", s, *extra, "--session-out", s)
    assert rc == 2 and out == "" and err.count("\n") == 1 and message in err, err
    assert s.read_bytes() == before


def test_a_missing_session(capsys, tmp_path):
    rc, out, err = cli(capsys, "run", "--session", tmp_path / "none.gdsim")
    assert rc == 2 and err == f"gdsim: session file {str(tmp_path / 'none.gdsim')!r} does not exist\n"


def test_continuing_a_session_with_branches_keeps_them_in_the_file_it_writes(capsys, tmp_path):
    from gdsim.core.files.session import load_session, save_session
    from gdsim.core.scenarios import build_trainer, get_scenario
    from gdsim.core.settings import Settings

    shown, other = (build_trainer(Settings(scenario="micrograd", steps=0)) for _ in range(2))
    shown.run(5)
    other.apply(other.settings.replace(zero_grad=False))
    other.run(9)
    path = tmp_path / "b.gdsim"
    save_session(path, shown, shown.settings, get_scenario("micrograd"), {}, branch="lr from step 2",
                 branches=[("main", other)])
    from gdsim.cli import main

    assert main(["run", "--session", str(path), "--steps", "3", "--session-out", str(path), "--quiet"]) == 0
    s = load_session(path)
    assert s.trainer.step_count == 8 and s.branch == "lr from step 2"
    (name, kept), = s.branches
    assert name == "main" and kept.step_count == 9
    np.testing.assert_array_equal(kept.params.values, other.params.values)
