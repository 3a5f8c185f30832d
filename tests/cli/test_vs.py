"""`gdsim run ... --vs KEY=VALUE`: variants trained beside the base, each row for row what the same
settings give alone, in one process or several; bad variants are bad input; one diverging run
does not stop the others."""

from __future__ import annotations

import signal
import subprocess

import pytest
from cli_helpers import read_csv, start_gdsim, subprocess_gdsim

from gdsim.cli import main
from gdsim.core.errors import GdsimError
from gdsim.core.variants import parse_variant


def cli(capsys, *args):
    """In this process: with --jobs 1 (the default here), or none; a test process that has started
    Qt's threads should not be forked."""
    args = [str(a) for a in args]
    if "--vs" in args and "--jobs" not in args:
        args += ["--jobs", "1"]
    rc = main(args)
    out, err = capsys.readouterr()
    return rc, out, err


def cli_in_processes(*args):
    """As a real process training its runs in worker processes (--jobs 2)."""
    proc = subprocess_gdsim(*args, "--jobs", 2)
    return proc.returncode, proc.stdout, proc.stderr


def rows_by_run(path):
    header, rows = read_csv(path)
    assert header[0] == "run"
    runs = {}
    for row in rows:
        runs.setdefault(row[0], []).append(row[1:])
    return header[1:], runs


def alone(capsys, tmp_path, name, *args):
    path = tmp_path / f"alone-{name}.csv"
    rc, _, _ = cli(capsys, "run", *args, "--history-out", path)
    header, rows = read_csv(path)
    return rc, header, rows


CASES = [
    # (scenario and base options, variants, each variant as options of a run alone)
    (["micrograd", "--steps", 40], ["zero-grad=off"], [["--no-zero-grad"]]),
    (["parabola", "--steps", 30], ["lr=0.9", "lr=1.1"], [["--lr", "0.9"], ["--lr", "1.1"]]),
    (["quadratic", "--steps", 60], ["optimizer=adam lr=0.01", "batch-size=5 seed=3"],
     [["--optimizer", "adam", "--lr", "0.01"], ["--batch-size", "5", "--seed", "3"]]),
    (["digits", "--steps", 12, "--model", "mlp"], ["l2=0.01 steps=8"], [["--l2", "0.01", "--steps", "8"]]),
]


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("base, variants, options", CASES, ids=[c[0][0] for c in CASES])
def test_each_run_has_the_rows_of_the_same_settings_run_alone(capsys, tmp_path, jobs, base, variants, options):
    both = tmp_path / "vs.csv"
    vs = [a for v in variants for a in ("--vs", v)]
    run = (lambda *a: cli(capsys, *a)) if jobs == 1 else cli_in_processes
    rc, out, err = run("run", *base, *vs, "--history-out", both)
    header, runs = rows_by_run(both)
    assert list(runs) == ["base", *variants]
    expected = [alone(capsys, tmp_path, "base", *base)] + [
        alone(capsys, tmp_path, str(i), *base, *extra) for i, extra in enumerate(options)]
    for name, (rc_alone, header_alone, rows_alone) in zip(runs, expected):
        assert header == header_alone
        assert runs[name] == rows_alone, name  # the same text: every number to the last bit
    assert rc == max(e[0] for e in expected)  # the worst of them


def test_one_process_and_two_write_the_same_file(capsys, tmp_path):
    files = []
    for jobs, run in ((1, lambda *a: cli(capsys, *a)), (2, cli_in_processes)):
        path = tmp_path / f"jobs{jobs}.csv"
        rc, out, err = run("run", "fruit", "--steps", 200, "--vs", "lr=2e-5", "--vs", "optimizer=momentum",
                           "--history-out", path, "--quiet")
        assert rc == 0, err
        files.append(path.read_bytes())
    assert files[0] == files[1]


def test_a_diverging_variant_does_not_stop_the_others(capsys, tmp_path):
    path = tmp_path / "h.csv"
    rc, out, err = cli(capsys, "run", "parabola", "--steps", 2000, "--vs", "lr=1.5", "--vs", "lr=0.5",
                       "--history-out", path)
    assert rc == 3
    assert err.startswith("gdsim: lr=1.5: ") and err.count("\n") == 1, err
    header, runs = rows_by_run(path)
    assert len(runs["base"]) == 2000 and len(runs["lr=0.5"]) == 2000
    assert len(runs["lr=1.5"]) < 2000
    lines = out.splitlines()
    table = lines[lines.index(next(ln for ln in lines if ln.startswith("run "))):]
    assert [ln.split()[0] for ln in table[1:4]] == ["base", "lr=1.5", "lr=0.5"]
    assert "reached the step limit of 2000" in table[1] and "diverged" in table[2]


def test_the_summary_has_a_line_per_run_with_its_final_loss_and_metric(capsys):
    rc, out, err = cli(capsys, "run", "digits", "--steps", 5, "--vs", "lr=0.5")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[1] .startswith("comparing 2 runs") and lines[1].endswith("base, lr=0.5")
    header = lines[2].split()
    assert header[:4] == ["run", "steps", "final", "loss"] and "accuracy" in header
    for line, name in zip(lines[3:5], ["base", "lr=0.5"]):
        cells = line.split()
        assert cells[0] == name and cells[1] == "5" and cells[3].endswith("%")
        float(cells[2])


@pytest.mark.parametrize("args, message", [
    (["--vs", "foo=1"], "--vs 'foo=1': unknown key 'foo'; choose from lr, optimizer"),
    (["--vs", "lr"], "--vs 'lr': write KEY=VALUE, not 'lr'"),
    (["--vs", "lr=abc"], "--vs 'lr=abc': learning rate must be a number, not 'abc'"),
    (["--vs", "lr=-1"], "--vs 'lr=-1': learning rate must be > 0, not -1"),
    (["--vs", "steps=0"], "--vs 'steps=0': steps must be >= 1, not 0"),
    (["--vs", "zero-grad=maybe"], "--vs 'zero-grad=maybe': zero-grad is on or off, not 'maybe'"),
    (["--vs", "lr=0.1 lr=0.2"], "--vs 'lr=0.1 lr=0.2': lr is given twice"),
    (["--vs", "optimizer=nope"], "--vs 'optimizer=nope': unknown optimizer 'nope'"),
    (["--vs", "model=mlp"], "--vs 'model=mlp':"),
    (["--vs", " "], "--vs is empty"),
    (["--vs", "lr=0.1", "--vs", "lr=0.1"], "--vs 'lr=0.1' is given twice"),
    (["--vs", "lr=0.1", "--weights-out", "w.npz"], "--weights-out writes one run"),
    (["--jobs", "2"], "--jobs goes with --vs"),
    (["--vs", "lr=0.1", "--jobs", "0"], "jobs must be >= 1"),
])
def test_a_bad_variant_is_one_line_and_nothing_is_trained_or_written(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    rc, out, err = cli(capsys, "run", "fruit", "--history-out", "h.csv", *args)
    assert rc == 2, (out, err)
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert message in err, err
    assert out == "" and list(tmp_path.iterdir()) == []


def test_a_variant_reads_its_values_as_the_options_do():
    v = parse_variant("  optimizer=adam   LR=1e-2 zero-grad=OFF batch-size=4 ")
    assert v.name == "optimizer=adam lr=1e-2 zero-grad=OFF batch-size=4"  # keys as the options spell them
    assert v.changes == {"optimizer": "adam", "lr": 0.01, "zero_grad": False, "batch_size": 4}
    with pytest.raises(GdsimError, match="batch size must be a whole number"):
        parse_variant("batch-size=2.5")


def test_ctrl_c_stops_every_run_and_writes_nothing(tmp_path):
    h = tmp_path / "h.csv"
    proc = start_gdsim("run", "fruit", "--steps", 10**9, "--vs", "lr=2e-5", "--history-out", h,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline().startswith("fruit: ")
        assert proc.stdout.readline().startswith("comparing 2 runs")  # training has begun
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert err == "gdsim: interrupted; nothing written (--vs writes its files once every run has finished)\n"
    assert not h.exists()


@pytest.mark.gui
def test_plot_out_draws_every_run_in_its_own_colour(capsys, tmp_path):
    from PySide6.QtGui import QColor, QImage

    from gdsim.app import theme

    path = tmp_path / "vs.png"
    rc, out, err = cli(capsys, "run", "micrograd", "--vs", "zero-grad=off", "--vs", "lr=0.1", "--plot-out", path)
    assert rc == 0, err
    image = QImage(str(path))
    assert image.width() >= 1000
    pixels = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)}
    for colour in theme.COMPARED[:3]:
        assert QColor(colour).name() in pixels, colour


def test_a_variant_that_ends_before_its_first_validation_still_writes_its_rows(capsys, tmp_path):
    path = tmp_path / "h.csv"
    rc, out, err = cli(capsys, "run", "digits", "--steps", 3, "--vs", "steps=1", "--history-out", path)
    assert rc == 0, err
    header, runs = rows_by_run(path)
    assert "val_loss" in header and len(runs["base"]) == 3 and len(runs["steps=1"]) == 1
    j = header.index("val_loss")
    assert runs["base"][-1][j] != "" and runs["steps=1"][0][j] == ""


def test_a_worker_process_that_dies_is_one_line_not_a_hang(tmp_path):
    """--jobs 2 with a worker killed mid-run: the parent says so and writes nothing."""
    import os
    import time

    h = tmp_path / "h.csv"
    proc = start_gdsim("run", "fruit", "--steps", 10**9, "--vs", "lr=2e-5", "--history-out", h, "--jobs", 2,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline().startswith("fruit: ")
        assert proc.stdout.readline().startswith("comparing 2 runs, 2 at a time")
        children = []
        deadline = time.monotonic() + 60
        while not children and time.monotonic() < deadline:  # the workers, once forked
            children = [int(p) for p in os.popen(f"pgrep -P {proc.pid}").read().split()]
        assert children
        os.kill(children[0], signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 2
    assert err.startswith("gdsim: a process training the runs died") and err.count("\n") == 1, err
    assert not h.exists()


def test_a_worker_that_dies_while_the_runs_are_handed_out_is_one_line_too(tmp_path, capsys, monkeypatch):
    """Killed before every run was handed to the pool, a worker breaks it for the next submit: that
    too is the one line, not a traceback (the test above, under load, killed one that early)."""
    import concurrent.futures as cf

    def broken(self, *args, **kwargs):
        raise cf.process.BrokenProcessPool("A child process terminated abruptly")

    monkeypatch.setattr(cf.ProcessPoolExecutor, "submit", broken)  # so nothing is forked here
    h = tmp_path / "h.csv"
    rc, out, err = cli(capsys, "run", "fruit", "--steps", 5, "--vs", "lr=2e-5", "--history-out", h, "--jobs", 2)
    assert rc == 2
    assert err.startswith("gdsim: a process training the runs died") and err.count("\n") == 1, err
    assert not h.exists()


def test_fair_lr_gives_every_run_its_own_range_tests_learning_rate(tmp_path, capsys):
    from gdsim.core.lr_find import find_lr, typed
    from gdsim.core.scenarios import build_trainer, get_scenario
    from gdsim.core.settings import Settings

    out = tmp_path / "h.csv"
    rc, printed, err = cli(capsys, "run", "quadratic", "--steps", 30, "--vs", "optimizer=adam", "--fair-lr",
                           "--history-out", out)
    assert rc == 0, err
    header, runs = rows_by_run(out)
    loss = header.index("loss")
    for name, optimizer in (("base", None), ("optimizer=adam", "adam")):
        t = build_trainer(Settings(scenario="quadratic", optimizer=optimizer, steps=30))
        lr = typed(find_lr(get_scenario("quadratic"), t).suggestion)
        t.apply(t.settings.replace(lr=lr))
        t.run()
        assert [float(row[loss]) for row in runs[name]] == list(t.history.loss)
        assert f"{name} {lr:.3g}" in printed


def test_fair_lr_without_vs_is_a_usage_error(capsys):
    rc, _, err = cli(capsys, "run", "quadratic", "--steps", 3, "--fair-lr")
    assert rc == 2 and "--fair-lr goes with --vs" in err
