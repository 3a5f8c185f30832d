"""Session files: a whole run in one file, to close and continue exactly where it was.

Format (version 1): a zip archive holding

- ``session.json``: ``{"format": "gdsim-session", "version": 1, "gdsim": "...", "saved": "...",
  "settings": {...}, "scenario": {...}, "trainer": {...}, "app": {...}}`` (plain values);
- ``arrays.npz``: every array: weights, gradient buffers, optimizer state, batch order,
  the whole history, the weight trace, and for your own data the data itself.

Reopening rebuilds the trainer from the settings and restores every array, so continuing
gives, bit for bit, the trajectory that continuing without closing would have given. A file
from a newer gdsim, or a damaged one, is refused with a message that says which.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .data import Dataset
from .errors import GdsimError
from .files import atomic_writer
from .scenarios import Scenario, custom_scenario, get_scenario
from .settings import Settings
from .trainer import Trainer

FORMAT = "gdsim-session"
VERSION = 1
MAX_JSON_BYTES = 10 * 1024 * 1024


@dataclass
class Session:
    """What a session file holds, rebuilt: the scenario, its settings and a trainer mid-run."""

    scenario: Scenario
    settings: Settings
    trainer: Trainer
    app: dict = field(default_factory=dict)  # view state the app keeps (tracked weight, speed)


def save_session(path, trainer: Trainer, settings: Settings, scenario: Scenario, app: dict | None = None) -> None:
    from .. import __version__

    scalars, arrays = trainer.get_state()
    scenario_info: dict = {"name": scenario.name, "builtin": _is_builtin(scenario)}
    if not scenario_info["builtin"]:
        data = scenario.data
        scenario_info.update(
            title=scenario.title, task=data.task, input_names=list(data.input_names),
            target_names=list(data.target_names), description=_description(data),
            notes={k: v for k, v in data.notes.items() if _jsonable(v)},
        )
        arrays["data.x"], arrays["data.y"] = np.asarray(data.x), np.asarray(data.y)
        if data.has_validation:
            arrays["data.x_val"], arrays["data.y_val"] = np.asarray(data.x_val), np.asarray(data.y_val)
    doc = {
        "format": FORMAT, "version": VERSION, "gdsim": __version__,
        "saved": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": settings.to_dict(), "scenario": scenario_info,
        "trainer": _to_json(scalars), "app": app or {},
    }
    npz = io.BytesIO()
    np.savez(npz, **arrays)
    with atomic_writer(path, "wb") as fh:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("session.json", json.dumps(doc, indent=1, allow_nan=True))
            z.writestr("arrays.npz", npz.getvalue())


def load_session(path, **trainer_options) -> Session:
    """Read a session file; any problem is a ``GdsimError`` naming the file and what is wrong."""
    path = Path(path)
    shown = str(path)
    doc, arrays = _read(path, shown)
    try:
        return _rebuild(doc, arrays, trainer_options)
    except GdsimError as exc:
        raise GdsimError(f"{shown!r} cannot be opened: {exc}") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise GdsimError(f"{shown!r} is damaged: {_what(exc)}") from None


def _read(path: Path, shown: str):
    if not path.exists():
        raise GdsimError(f"session file {shown!r} does not exist")
    if path.is_dir():
        raise GdsimError(f"session file {shown!r} is a folder, not a file")
    try:
        if not zipfile.is_zipfile(path):
            raise GdsimError(f"{shown!r} is not a gdsim session (it is not a zip archive)")
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if "session.json" not in names or "arrays.npz" not in names:
                raise GdsimError(f"{shown!r} is not a gdsim session (it lacks session.json or arrays.npz)")
            info = z.getinfo("session.json")
            if info.file_size > MAX_JSON_BYTES:
                raise GdsimError(f"{shown!r} is damaged: session.json is implausibly large")
            raw = z.read("session.json")
            npz_bytes = z.read("arrays.npz")
    except GdsimError:
        raise
    except PermissionError:
        raise GdsimError(f"cannot read session file {shown!r}: permission denied") from None
    except Exception as exc:  # zipfile fails in many ways on a damaged archive
        raise GdsimError(f"{shown!r} is damaged: {_what(exc)}") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except Exception:
        raise GdsimError(f"{shown!r} is damaged: session.json is not valid JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise GdsimError(f"{shown!r} is not a gdsim session")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise GdsimError(f"{shown!r} is damaged: it has no format version")
    if version > VERSION:
        raise GdsimError(f"{shown!r} was saved by a newer gdsim ({doc.get('gdsim', '?')}, session format "
                         f"{version}); this gdsim reads format {VERSION}: please update gdsim")
    if version < 1:
        raise GdsimError(f"{shown!r} is damaged: unknown format version {version}")
    try:
        with np.load(io.BytesIO(npz_bytes), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:
        raise GdsimError(f"{shown!r} is damaged: its arrays cannot be read ({_what(exc)})") from None
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiub":
            raise GdsimError(f"{shown!r} is damaged: {key!r} is not an array of numbers")
    return doc, arrays


def _rebuild(doc: dict, arrays: dict, trainer_options: dict) -> Session:
    settings = Settings.from_dict(doc["settings"])
    settings.validate()
    info = doc["scenario"]
    if info["builtin"]:
        scenario = get_scenario(info["name"])
    else:
        data = Dataset(
            np.asarray(arrays["data.x"], dtype=np.float64), np.asarray(arrays["data.y"], dtype=np.float64),
            _optional(arrays, "data.x_val"), _optional(arrays, "data.y_val"),
            input_names=tuple(info["input_names"]), target_names=tuple(info["target_names"]),
            task=info["task"], notes=dict(info.get("notes", {})),
        )
        _check_data(data)
        scenario = custom_scenario(data, info["name"], info["title"], info.get("description", ""))
    if settings.scenario != scenario.name:
        raise ValueError(f"its settings are for scenario {settings.scenario!r}, not {scenario.name!r}")
    scalars = _from_json(doc["trainer"])
    # The history's columns are as they were saved.
    trainer_options = dict(trainer_options, track_tensor_norms=bool(scalars.get("track_tensor_norms", False)))
    trainer = scenario.build(settings, **trainer_options)
    trainer.set_state(scalars, arrays)
    return Session(scenario, trainer.settings, trainer, dict(doc.get("app") or {}))


def _check_data(data: Dataset) -> None:
    for name, a in (("inputs", data.x), ("targets", data.y), ("validation inputs", data.x_val),
                    ("validation targets", data.y_val)):
        if a is not None and not np.all(np.isfinite(a)):
            raise ValueError(f"its {name} contain non-finite numbers")
    if data.x.ndim != 2 or len(data.x) != len(data.y) or len(data.x) < 2:
        raise ValueError("its data arrays do not fit together")
    if data.x.shape[1] != len(data.input_names):
        raise ValueError("its data has a different number of inputs than input names")


def _optional(arrays, key):
    return np.asarray(arrays[key], dtype=np.float64) if key in arrays else None


def _is_builtin(scenario: Scenario) -> bool:
    try:
        return get_scenario(scenario.name) is scenario
    except GdsimError:
        return False


def _description(data: Dataset) -> str:
    std = data.notes.get("standardization")
    return std.describe() if hasattr(std, "describe") else (std or "")


def _jsonable(value) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


# Infinities (best validation loss before any epoch) survive JSON as strings.
def _to_json(value):
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return _to_json(float(value))
    return value


def _from_json(value):
    if isinstance(value, dict):
        if set(value) == {"float"}:
            return float(value["float"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _what(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    if isinstance(exc, KeyError):
        return f"{text[0] if text else 'an entry'} is missing"
    return text[0] if text else type(exc).__name__
