"""Helpers shared by the command-line tests."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from gdsim.core.files.history_csv import SETTINGS_COLUMNS

ROOT = Path(__file__).resolve().parent.parent


def subprocess_gdsim(*args, code=None, timeout=180):
    """``python -m gdsim ARGS`` (or ``python -c CODE``) as a real process, offscreen."""
    cmd = [sys.executable, "-m", "gdsim", *map(str, args)] if code is None else [sys.executable, "-c", code]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS",)}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)


def start_gdsim(*args, **popen):
    """``python -m gdsim ARGS`` started (offscreen), to talk to while it runs."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen([sys.executable, "-m", "gdsim", *map(str, args)], cwd=ROOT, env=env, text=True,
                            **popen)


def imported_by(*runs) -> set[str]:
    """The top-level packages a fresh interpreter has imported after ``gdsim.cli.main`` ran each of
    ``runs``, given as (argv, expected exit status); its output goes nowhere."""
    code = (
        "import contextlib, io, json, sys\n"
        "from gdsim.cli import main\n"
        f"for argv, expected in {[(list(map(str, argv)), rc) for argv, rc in runs]!r}:\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "        rc = main(argv)\n"
        "    assert rc == expected, (argv, rc)\n"
        "print('MODULES', json.dumps(sorted({m.split('.')[0] for m in sys.modules} | set(sys.modules))))\n"
    )
    proc = subprocess_gdsim(code=code)
    assert proc.returncode == 0, proc.stderr
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("MODULES ")][0]
    return set(json.loads(line[len("MODULES "):]))


QT = {"PySide6", "pyqtgraph", "shiboken6"}


def read_csv(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def column(rows, header, name):
    j = header.index(name)
    return np.array([float(r[j]) if r[j] != "" else np.nan for r in rows])


# The history CSV's last columns: how thinned it is, and the run's settings (the same on every row).
RUN_COLUMNS = ["steps_per_row", *SETTINGS_COLUMNS.values()]


def measured(header):
    """The columns of a history CSV that hold what each step measured (before the run's columns)."""
    return header[:header.index("steps_per_row")]
