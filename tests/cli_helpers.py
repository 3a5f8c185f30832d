"""Helpers shared by the command-line tests."""

from __future__ import annotations

import csv
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
