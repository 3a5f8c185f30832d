"""What the model thread says about its run, in words the window and the worker share: the run's
state, what a failure is about, and the run as a file.

Apart from worker.py so that the window has them without importing the worker, whose engine,
files and snapshots the window's first frame does not wait for (controller.py makes the worker
when the model thread starts).
"""

from __future__ import annotations

from dataclasses import dataclass

RUNNING = "running"
PAUSED = "paused"
STOPPED = "stopped"  # a stop condition holds
DIVERGED = "diverged"

# What a failure is about; the window's banner for it lasts until that cause is settled.
SETTINGS, FILE, RUN_CAUSE = "settings", "file", "run"


@dataclass(frozen=True)
class Document:
    """The run as a file, for the window's title, Save, Undo and the question on closing."""

    path: str | None = None  # the session file the run was last saved to or opened from
    modified: bool = False  # changed since it was saved or opened (the title's *)
    unsaved_steps: bool = False  # it has steps that are in no file: closing asks first
    undo: str = ""  # the run Undo brings back, in words ("" when there is none)
    redo: str = ""
