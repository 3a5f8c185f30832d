"""What the window remembers between sessions: folders, export scale, window size, questions.

One ``QSettings`` store (``gdsim/gdsim``, in the platform's usual place); tests point
it at a temporary folder with ``QSettings.setPath``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

# Kinds of file a dialog asks for; each remembers its own last folder.
SESSION, WEIGHTS, DATA, EXPORT, LESSON = "session", "weights", "data", "export", "lesson"


def store() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "gdsim", "gdsim")


def folder(kind: str) -> str:
    """The folder a dialog for ``kind`` opens in: the last one used for it, else the documents folder."""
    last = store().value(f"folders/{kind}", "", str)
    if last and Path(last).is_dir():
        return last
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return docs if docs and Path(docs).is_dir() else str(Path.home())


def remember_folder(kind: str, path: str) -> None:
    store().setValue(f"folders/{kind}", str(Path(path).parent))


def get_bool(key: str, default: bool) -> bool:
    return store().value(key, default, bool)


def set_value(key: str, value) -> None:
    store().setValue(key, value)


def get_int(key: str, default: int) -> int:
    try:
        return int(store().value(key, default))
    except (TypeError, ValueError):
        return default
