"""Writing outputs: checked before the rename, through links, never over what is not ours, all or none.

A full disk is a real one as far as gdsim can tell: the process runs with a file-size limit
(RLIMIT_FSIZE), so every write past it fails the way writes to a full disk do.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import numpy as np
import pytest
from cli_helpers import read_csv, subprocess_gdsim

from gdsim.cli import main
from gdsim.core.errors import GdsimError
from gdsim.core.files import atomic as files
from gdsim.core.files.atomic import TEMP_PREFIX, all_or_none, atomic_path, atomic_writer

OLD = b"the previous file, which must survive\n"


def cli(capsys, *args):
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(rc, out, err, *texts):
    assert rc == 2, (rc, out, err)
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for text in texts:
        assert text in err, err


def with_disk_full_after(limit: int, *args):
    """`gdsim ARGS` in a process that cannot write past ``limit`` bytes in any file."""
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, as on a full disk\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "from gdsim.cli import main\n"
        f"sys.exit(main({[str(a) for a in args]!r}))\n"
    )
    return subprocess_gdsim(code=code)


# ----- item 6: a full disk never replaces a good file with a cut one ----------------------------------------

@pytest.mark.parametrize("name", ["figure.svg", "figure.png"])
def test_a_figure_cut_short_by_a_full_disk_replaces_nothing(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(OLD)
    proc = with_disk_full_after(40_000, "run", "fruit", "--steps", "5", "--plot-out", path, "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"gdsim: cannot write {str(path)!r}") and proc.stderr.count("\n") == 1, proc.stderr
    assert path.read_bytes() == OLD
    assert os.listdir(tmp_path) == [name]


def test_a_writer_that_does_not_report_a_full_disk_is_caught_by_the_check(tmp_path):
    # What Qt's exporters do: write part of a PNG and say nothing.
    path = tmp_path / "view.png"
    path.write_bytes(OLD)
    png = subprocess_gdsim("run", "fruit", "--steps", "1", "--plot-out", tmp_path / "whole.png", "--quiet")
    assert png.returncode == 0, png.stderr
    whole = (tmp_path / "whole.png").read_bytes()
    with pytest.raises(GdsimError, match="the written file is incomplete"):
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(whole[: len(whole) // 2])
    assert path.read_bytes() == OLD
    for cut_svg in (b'<?xml version="1.0"?><svg><g>', b""):
        with pytest.raises(GdsimError):
            with atomic_path(tmp_path / "view.svg") as tmp:
                with open(tmp, "wb") as fh:
                    fh.write(cut_svg)
    assert sorted(os.listdir(tmp_path)) == ["view.png", "whole.png"]


# ----- item 9: several outputs are written all together, or none is ----------------------------------------

def test_a_full_disk_while_writing_the_history_leaves_the_weights_as_they_were(tmp_path):
    w, h = tmp_path / "w.npz", tmp_path / "h.csv"
    w.write_bytes(OLD)
    h.write_bytes(OLD)
    proc = with_disk_full_after(30_000, "run", "fruit", "--steps", "2000", "--weights-out", w, "--history-out", h,
                                "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert f"cannot write {str(h)!r}" in proc.stderr and "no output was written" in proc.stderr
    assert w.read_bytes() == OLD and h.read_bytes() == OLD
    assert sorted(os.listdir(tmp_path)) == ["h.csv", "w.npz"]


def test_a_rename_that_fails_halfway_says_which_files_were_written(capsys, tmp_path, monkeypatch):
    w, h = tmp_path / "w.npz", tmp_path / "h.csv"
    real_replace = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", replace)
    rc, out, err = cli(capsys, "run", "fruit", "--steps", 3, "--weights-out", w, "--history-out", h, "--quiet")
    one_line_error(rc, out, err, f"cannot write {str(h)!r}: Input/output error; written: {str(w)!r}")
    assert w.exists() and not h.exists()
    assert sorted(os.listdir(tmp_path)) == ["w.npz"]


def test_all_or_none_removes_what_it_wrote_when_a_later_file_fails(tmp_path):
    a = tmp_path / "a.csv"
    with pytest.raises(GdsimError, match="no output was written"):
        with all_or_none():
            with atomic_writer(a, "w") as fh:
                fh.write("written first\n")
            raise GdsimError("the second file could not be made")
    assert os.listdir(tmp_path) == []


# ----- item 7: links are written through, special files are refused ---------------------------------------

def test_a_link_is_written_through_to_its_target(capsys, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "history.csv"
    target.write_bytes(OLD)
    link = tmp_path / "h.csv"
    link.symlink_to(target)
    dangling = tmp_path / "w.npz"
    dangling.symlink_to(elsewhere / "weights.npz")
    assert cli(capsys, "run", "fruit", "--steps", 3, "--history-out", link, "--weights-out", dangling, "--quiet")[0] == 0
    assert link.is_symlink() and dangling.is_symlink()
    assert len(read_csv(target)[1]) == 3
    with np.load(elsewhere / "weights.npz") as f:
        assert f["weight"].shape == (2, 3)
    assert sorted(os.listdir(tmp_path)) == ["elsewhere", "h.csv", "w.npz"]
    assert sorted(os.listdir(elsewhere)) == ["history.csv", "weights.npz"]


def test_a_fifo_given_as_an_output_is_refused(capsys, tmp_path):
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    rc, out, err = cli(capsys, "run", "fruit", "--history-out", fifo)
    one_line_error(rc, out, err, f"cannot write {str(fifo)!r}: it is not a regular file")
    assert out == "" and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_device_given_as_an_output_is_refused(capsys, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root (and root is who could replace one)")
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of our own
    rc, out, err = cli(capsys, "run", "fruit", "--weights-out", device)
    one_line_error(rc, out, err, "it is not a regular file (a device, FIFO or socket)")
    assert stat.S_ISCHR(os.lstat(device).st_mode)


# ----- item 8: names, checked before training with the temporary name a write will use ----------------------

def test_a_name_too_long_for_the_disk_is_refused_before_training(capsys, tmp_path):
    path = tmp_path / ("h" * 252 + ".csv")
    rc, out, err = cli(capsys, "run", "fruit", "--history-out", path)
    one_line_error(rc, out, err, "File name too long")
    assert out == ""


def test_the_longest_name_the_disk_takes_is_written(capsys, tmp_path):
    path = tmp_path / ("h" * 251 + ".csv")  # 255 characters: a temporary named after it would not fit
    assert cli(capsys, "run", "fruit", "--steps", 4, "--history-out", path, "--quiet")[0] == 0
    assert len(read_csv(path)[1]) == 4 and os.listdir(tmp_path) == [path.name]


def test_temporary_files_are_plainly_gdsims(tmp_path):
    with atomic_writer(tmp_path / "a.csv", "w") as fh:
        name = os.path.basename(fh.name)
        assert name.startswith(f"{TEMP_PREFIX}{os.getpid()}-") and name.endswith(".csv")
        fh.write("x\n")
    assert os.listdir(tmp_path) == ["a.csv"]


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporaries_of_killed_runs_are_removed(tmp_path):
    an_hour_ago = time.time() - 2 * files.STALE_SECONDS
    dead = dead_pid()
    stale = tmp_path / f"{TEMP_PREFIX}{dead}-0badc0de.csv"
    recent = tmp_path / f"{TEMP_PREFIX}{dead}-0000cafe.csv"  # perhaps being written still, on another machine
    ours = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-00c0ffee.csv"  # this process is alive
    other = tmp_path / ".h.csv.swp"  # not ours at all
    for p in (stale, recent, ours, other):
        p.write_bytes(b"x" * 1000)
    for p in (stale, ours, other):
        os.utime(p, (an_hour_ago, an_hour_ago))
    with atomic_writer(tmp_path / "h.csv", "w") as fh:
        fh.write("step\n")
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in (recent, ours, other)) + ["h.csv"] or \
        sorted(os.listdir(tmp_path)) == sorted([recent.name, ours.name, other.name, "h.csv"])
    assert not stale.exists()
