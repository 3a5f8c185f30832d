"""`gdsim` as a real process: Ctrl+C, a reader that goes away, what it imports, its BLAS threads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
from cli_helpers import ROOT, column, imported_by, read_csv, start_gdsim


def test_ctrl_c_stops_after_a_whole_step_and_writes_the_outputs(tmp_path):
    h, w, s = tmp_path / "h.csv", tmp_path / "w.npz", tmp_path / "s.gdsim"
    proc = start_gdsim("run", "fruit", "--steps", 10**9, "--history-out", h, "--weights-out", w,
                       "--session-out", s, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline().startswith("fruit: linear 3 -> 2")  # training has begun
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    step = int(err.split("interrupted at step ")[1].split(";")[0])
    assert err == f"gdsim: interrupted at step {step}; the outputs are of that step ({w}, {h}, {s})\n"
    assert f"stopped: interrupted (Ctrl+C) at step {step}" in out
    header, rows = read_csv(h)
    np.testing.assert_array_equal(column(rows, header, "step"), np.arange(1, step + 1))
    from gdsim.core.files.session import load_session

    t = load_session(s).trainer
    assert t.step_count == step
    with np.load(w) as f:
        np.testing.assert_array_equal(f["weight"], t.params["weight"].value)


def test_a_reader_that_goes_away_ends_the_run_quietly(tmp_path):
    # `gdsim run fruit | head -3`: once head has its lines, gdsim's next write finds no reader.
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = start_gdsim("run", "fruit", stdout=write_end, stderr=subprocess.PIPE)
    os.close(write_end)
    _, err = proc.communicate(timeout=120)
    assert err == ""
    assert proc.returncode == 141  # 128 + SIGPIPE, as for the tools a pipe usually ends in


def test_head_of_a_pipe_gets_its_lines(tmp_path):
    proc = subprocess.run(f"{sys.executable} -m gdsim run fruit | head -2", shell=True, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.stderr == "" and len(proc.stdout.splitlines()) == 2


def test_list_and_help_do_not_import_numpy():
    assert "numpy" not in imported_by((["list"], 0), (["--help"], 0))


def test_list_and_help_import_no_parser():
    # `gdsim --help` on a terminal of 80 columns (what a pipe counts as) prints the stored text.
    assert not {"argparse", "dataclasses"} & imported_by((["list"], 0), (["--help"], 0), (["-h"], 0))


def test_run_help_lists_every_choice_of_the_registries(capsys):
    # `gdsim run --help` is made from the registries themselves (which bring NumPy): nothing to keep in step.
    from gdsim.cli import main
    from gdsim.core.choices import written
    from gdsim.core.engine.registries import REGISTRIES

    assert main(["run", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for registry in REGISTRIES.values():
        for cls in registry.values():
            assert written(cls) in out, written(cls)


def test_headless_runs_use_one_blas_thread_unless_told_otherwise():
    code = (
        "import sys\n"
        "import gdsim.cli, numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "print(sorted({lib['num_threads'] for lib in threadpool_info() if lib['user_api'] == 'blas'}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith(("NUM_THREADS", "MAXIMUM_THREADS"))}
    for given, expected in ((None, "[1]"), ("2", "[2]")):
        if given:
            env["OPENBLAS_NUM_THREADS"] = given
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == expected, (given, proc.stdout)
