"""Session files: a whole run in one file, to close and continue exactly where it was.

Format (version 3; version 2 lacks only branches, version 1 also multi-class data and the notes
of rows left out, and both still open): a zip archive holding

- ``session.json``: ``{"format": "gdsim-session", "version": 3, "gdsim": "...", "saved": "...",
  "settings": {...}, "scenario": {...}, "trainer": {...}, "app": {...}, "branch": "...",
  "branches": [...]}`` (plain values; the schema is ``session_schema.check_doc``);
- ``arrays.npz``: every array: weights, gradient buffers, optimizer state, batch order,
  the whole history, the weight trace, and for your own data the data itself;
- ``branch0.npz``, ``branch1.npz``, ...: the arrays of the run's other branches (the timeline's
  "Run from an earlier step"), whose names, settings and trainer states are in ``session.json``
  (``branch`` names the run itself, ``branches`` lists the others).

Reopening rebuilds the trainer from the settings and restores every array, so continuing
gives, bit for bit, the trajectory that continuing without closing would have given.

Opening never trusts the file. ``session.json`` is read (at most ``MAX_JSON_BYTES``) and every
field checked; the run is then built aside from the settings, which says how big every array
must be: ``arrays.npz`` is refused if it declares more than those arrays can take, and each
array if its dtype or shape is not the one expected, before its numbers are read. Only then
are the arrays' values checked and restored. Any problem is a ``GdsimError`` naming the file,
and nothing outside the new ``Session`` has changed.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from ..data.csv_reader import MAX_CELLS
from ..data.dataset import BINARY, MULTICLASS, Dataset
from ..engine.trainer import Trainer
from ..errors import GdsimError
from ..record.trace import DEFAULT_BUDGET
from ..scenarios import Scenario, custom_scenario, get_scenario
from ..settings import Settings
from .atomic import atomic_writer, open_regular
from .npz import MAX_HEADER_BYTES, ArchiveError, ZipReader
from .session_schema import FORMAT, VERSION, check_doc, check_version

__all__ = ["FORMAT", "VERSION", "MAX_JSON_BYTES", "Session", "save_session", "load_session"]

MAX_JSON_BYTES = 10 * 1024 * 1024
_JSON, _ARRAYS = "session.json", "arrays.npz"
_F8, _I8 = np.dtype("<f8"), np.dtype("<i8")
_VECTORS = ("values", "grads", "initial_values", "values_before", "last_grads")  # as format 1 names them
_DATA = ("data.x", "data.y", "data.x_val", "data.y_val")
# A member's zip headers (local and central, with NumPy's zip64 fields) and its .npy header.
_MEMBER_OVERHEAD = 256 + MAX_HEADER_BYTES + 12


@dataclass
class Session:
    """What a session file holds, rebuilt: the scenario, its settings and a trainer mid-run."""

    scenario: Scenario
    settings: Settings
    trainer: Trainer
    app: dict = field(default_factory=dict)  # view state the app keeps (tracked weight, speed)
    branch: str = "main"  # the run's name among its branches
    branches: list = field(default_factory=list)  # the run's other branches: (name, Trainer)
    pins: list = field(default_factory=list)  # runs pinned beside it: RunCurves


def save_session(path, trainer: Trainer, settings: Settings, scenario: Scenario, app: dict | None = None,
                 branch: str = "main", branches=(), pins=()) -> None:
    """``branches``: the run's other branches, (name, Trainer) each, saved beside it; ``pins``:
    the runs pinned beside it (RunCurves)."""
    from ... import __version__

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
        "trainer": _to_json(scalars), "app": app or {}, "branch": branch, "branches": [],
    }
    members = {_ARRAYS: _npz(arrays)}
    for i, (name, other) in enumerate(branches):
        other_scalars, other_arrays = other.get_state()
        doc["branches"].append({"name": name, "settings": other.settings.to_dict(), "trainer": _to_json(other_scalars)})
        members[_branch_member(i)] = _npz(other_arrays)
    # A pin of another model keeps its curves, not its tensors' norms (the run's have other tensors).
    pins = [p if p.tensor_norms is None or p.tensor_norms.shape[1:] == (len(trainer.params),)
            else dataclasses.replace(p, tensor_norms=None) for p in pins if p.settings.scenario == scenario.name]
    if pins:
        doc["pins"] = [{"name": p.name, "weight": p.weight, "settings": p.settings.to_dict()} for p in pins]
        members[_PINS] = _npz({f"{i}.{key}": np.ravel(getattr(p, key)) if key in _FLAT else getattr(p, key)
                               for i, p in enumerate(pins) for key in _PIN_ARRAYS if getattr(p, key) is not None})
    with atomic_writer(path, "wb") as fh:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr(_JSON, json.dumps(doc, indent=1, allow_nan=True))
            for member, data in members.items():
                z.writestr(member, data)


def _npz(arrays: dict) -> bytes:
    npz = io.BytesIO()
    np.savez(npz, **arrays)
    return npz.getvalue()


def _branch_member(i: int) -> str:
    return f"branch{i}.npz"


def load_session(path, **trainer_options) -> Session:
    """Read a session file; any problem is a ``GdsimError`` naming the file and what is wrong."""
    shown = repr(str(path))
    with open_regular(path, "session file") as fh:
        try:
            archive = ZipReader(fh, "a zip archive")
        except ArchiveError as exc:
            raise GdsimError(f"{shown} is not a gdsim session ({exc})") from None
        if _JSON not in archive.names or _ARRAYS not in archive.names:
            raise GdsimError(f"{shown} is not a gdsim session (it lacks {_JSON} or {_ARRAYS})")
        try:
            raw = archive.read_bytes(_JSON, MAX_JSON_BYTES)
            doc = _parse(raw)
            check_version(doc)
        except (ArchiveError, GdsimError) as exc:
            raise GdsimError(f"{shown} {_phrase(exc)}") from None
        try:
            return _rebuild(archive, check_doc(doc), trainer_options)
        except ArchiveError as exc:
            raise GdsimError(f"{shown} is damaged: {exc}") from None
        except GdsimError as exc:
            raise GdsimError(f"{shown} cannot be opened: {exc}") from None
        except ValueError as exc:  # what the trainer, history, trace or sampler refuse to restore
            raise GdsimError(f"{shown} is damaged: {exc}") from None


def _parse(raw: bytes):
    try:
        return json.loads(raw.decode("utf-8"))
    except Exception:  # UnicodeDecodeError, JSONDecodeError, RecursionError on deep nesting
        raise GdsimError("is damaged: session.json is not valid JSON") from None


def _phrase(exc: Exception) -> str:
    """A reason as the rest of a sentence that starts with the file's name."""
    text = str(exc)
    if text.startswith("it "):
        return text[len("it "):]
    return text if text.startswith("is ") else f"is damaged: {text}"


# ----- rebuilding the run, aside -----------------------------------------------------------------

def _rebuild(archive: ZipReader, doc: dict, trainer_options: dict) -> Session:
    settings, info, scalars = doc["settings"], doc["scenario"], doc["trainer"]
    # The history's columns are as they were saved.
    options = dict(trainer_options, track_tensor_norms=scalars["track_tensor_norms"])
    if info["builtin"]:
        scenario = get_scenario(info["name"])
        trainer = scenario.build(settings, **options)
        arrays = _read_arrays(archive, _run_layout(trainer, scalars, trainer.data.n_train), {})
    else:
        # The run's arrays are sized by the model, the model by the data's columns: a stand-in
        # with the saved columns gives the sizes before the data itself is read.
        stand_in = _custom(info, _placeholder_data(info))
        rows = MAX_CELLS // (len(info["input_names"]) + len(info["target_names"]))
        layout = _run_layout(stand_in.build(settings, **options), scalars, rows)
        arrays = _read_arrays(archive, layout, _data_layout(info, rows))
        scenario = _custom(info, _dataset(arrays, info))
        trainer = scenario.build(settings, **options)
    if scalars["history_metric"] != trainer.history.metric:
        raise ValueError(f"its history records the metric {scalars['history_metric']!r}, but this run "
                         f"records {trainer.history.metric!r}")
    trainer.set_state(scalars, arrays)
    branches = []
    for i, b in enumerate(doc["branches"]):
        member = _branch_member(i)
        if member not in archive.names:
            raise ArchiveError(f"it lacks {member}, the arrays of branch {b['name']!r}")
        other = scenario.build(b["settings"], **dict(trainer_options, track_tensor_norms=b["trainer"]["track_tensor_norms"]))
        layout = _run_layout(other, b["trainer"], other.data.n_train)
        other.set_state(b["trainer"], _read_arrays(archive, layout, {}, member))
        branches.append((b["name"], other))
    return Session(scenario, trainer.settings, trainer, doc["app"], doc["branch"], branches,
                   _read_pins(archive, doc["pins"], trainer))


_PINS = "pins.npz"
_PIN_ARRAYS = ("steps", "loss", "grad_norm", "weight_steps", "weight_values", "tensor_norms", "predictions",
               "curve_predictions")
_FLAT = ("predictions",)  # saved as one column: the view reads it against the targets' shape


def _read_pins(archive: ZipReader, pins: list[dict], trainer: Trainer) -> list:
    """The pinned runs' curves, each array checked as the run's are: bounded, the right dtype and
    shape, the numbers a run records."""
    from ..record.curves import CURVE_POINTS, MOST_POINTS, RunCurves

    if not pins:
        return []
    if _PINS not in archive.names:
        raise ArchiveError(f"it lacks {_PINS}, the curves of its pinned runs")
    rows = MOST_POINTS + 1
    outputs = np.asarray(trainer.predict()).size  # the run's predictions on its training rows
    layout = {}
    for i in range(len(pins)):
        for key in ("steps", "loss", "grad_norm", "weight_steps", "weight_values"):
            layout[f"{i}.{key}"] = _Member(_F8, (), rows)
        layout[f"{i}.tensor_norms"] = _Member(_F8, (len(trainer.params),), rows, required=False)
        layout[f"{i}.predictions"] = _Member(_F8, (), outputs, required=False)  # as the run's, flat
        layout[f"{i}.curve_predictions"] = _Member(_F8, (), CURVE_POINTS, required=False)
    arrays = _read_arrays(archive, layout, {}, _PINS)
    out = []
    for i, p in enumerate(pins):
        a = {key: arrays.get(f"{i}.{key}") for key in _PIN_ARRAYS}
        n = len(a["steps"])
        curves_fit = (len(a["loss"]) == len(a["grad_norm"]) == n and len(a["weight_steps"]) == len(a["weight_values"])
                      and (a["tensor_norms"] is None or len(a["tensor_norms"]) == n))
        recorded = all(np.all(np.isfinite(a[k])) for k in ("steps", "loss", "grad_norm", "weight_steps"))
        in_order = all(np.all(np.diff(a[k]) > 0) for k in ("steps", "weight_steps"))
        if not (curves_fit and recorded and in_order):
            raise ValueError(f"the curves of pinned run {p['name']!r} do not fit together")
        out.append(RunCurves(name=p["name"], weight=p["weight"], settings=p["settings"], **a))
    return out


def _custom(info: dict, data: Dataset) -> Scenario:
    return custom_scenario(data, info["name"], info["title"], info["description"])


def _placeholder_data(info: dict) -> Dataset:
    k, t = len(info["input_names"]), len(info["target_names"])
    x, y = np.tile([[0.0], [1.0]], (1, k)), np.tile([[0.0], [1.0]], (1, t))
    return Dataset(x, y, input_names=info["input_names"], target_names=info["target_names"], task=info["task"],
                   notes=dict(info["notes"]))  # a multi-class model is sized by its class names


def _dataset(arrays: dict, info: dict) -> Dataset:
    x, y = arrays["data.x"], arrays["data.y"]
    x_val, y_val = arrays.get("data.x_val"), arrays.get("data.y_val")
    if (x_val is None) != (y_val is None):
        raise ValueError("its validation data lacks inputs or targets")
    parts = [a for a in (x, y, x_val, y_val) if a is not None]
    if len(x) != len(y) or len(x) < 2 or x_val is not None and (len(x_val) != len(y_val) or len(x_val) < 1):
        raise ValueError("its data arrays do not fit together")
    if sum(a.size for a in parts) > MAX_CELLS:
        raise ValueError(f"its data holds more than {MAX_CELLS:,} numbers, the most gdsim reads")
    if not all(np.all(np.isfinite(a)) for a in parts):
        raise ValueError("its data contains numbers that are not finite")
    if info["task"] == BINARY and not all(np.all((a == 0) | (a == 1)) for a in (y, y_val) if a is not None):
        raise ValueError("its binary targets are not all 0 or 1")
    if info["task"] == MULTICLASS:
        k = len(info["notes"]["class_names"])
        if not all(np.all((a == np.round(a)) & (a >= 0) & (a < k)) for a in (y, y_val) if a is not None):
            raise ValueError(f"its class targets are not all class numbers from 0 to {k - 1}")
    copy = [None if a is None else np.array(a, dtype=np.float64) for a in (x, y, x_val, y_val)]
    return Dataset(*copy, input_names=info["input_names"], target_names=info["target_names"], task=info["task"],
                   notes=dict(info["notes"]))


# ----- which arrays, of what dtype and shape --------------------------------------------------------

@dataclass(frozen=True)
class _Member:
    dtype: np.dtype
    shape: tuple  # the exact shape, or with max_rows: the shape of one row
    max_rows: int | None = None
    required: bool = True

    @property
    def max_bytes(self) -> int:
        rows = 1 if self.max_rows is None else self.max_rows
        return rows * math.prod(self.shape) * self.dtype.itemsize

    def check(self, name: str):
        def check(dtype, shape):
            rows_ok = self.max_rows is None or (len(shape) == len(self.shape) + 1 and shape[0] <= self.max_rows)
            tail = tuple(shape) if self.max_rows is None else tuple(shape[1:])
            if dtype != self.dtype or tail != self.shape or not rows_ok:
                raise ArchiveError(f"array {name!r} is {dtype} of shape {tuple(shape)}, not {self._expected()}")
        return check

    def _expected(self) -> str:
        if self.max_rows is None:
            return f"{self.dtype} of shape {self.shape}"
        return f"{self.dtype} of shape (rows,{''.join(f' {s},' for s in self.shape)[:-1]}) with at most {self.max_rows:,} rows"


def _run_layout(trainer: Trainer, scalars: dict, train_rows: int) -> dict[str, _Member]:
    """The arrays of ``trainer``'s state after ``scalars['step_count']`` steps, at their largest."""
    n, steps = trainer.params.size, scalars["step_count"]
    history = trainer.history
    rows, val_rows = min(history.max_rows, steps), min(history.max_rows, scalars["epoch_count"])
    layout = {key: _Member(_F8, (n,)) for key in _VECTORS}
    for key, value in trainer.optimizer.state.items():
        layout[f"optimizer.{key}"] = _Member(np.asarray(value).dtype.newbyteorder("<"), np.shape(value))
    layout["sampler.order"] = _Member(_I8, (), train_rows, required=False)
    columns = {"step": _I8, "loss": _F8, "grad_norm": _F8, **({"metric": _F8} if history.metric else {})}
    for key, dtype in columns.items():
        layout[f"history.{key}"] = _Member(dtype, (), rows)
    if history.track_tensor_norms:
        layout["history.tensor_grad_sq_norms"] = _Member(_F8, (len(history.tensor_names),), rows)
    layout["history.stride"] = _Member(_I8, (3,))
    for key, dtype in (("val_step", _I8), ("val_loss", _F8), ("val_metric", _F8)):
        layout[f"history.{key}"] = _Member(dtype, (), val_rows)
    if scalars["trace"] is not None:
        # Rows times weights followed stays within the trace's budget (or 16 rows, for many weights).
        trace_rows = min(steps + 1, DEFAULT_BUDGET)
        layout["trace.indices"] = _Member(_I8, (), n)
        layout["trace.steps"] = _Member(_I8, (), trace_rows)
        for key in ("trace.values", "trace.grads"):
            layout[key] = _Member(_F8, (), max(16 * n, DEFAULT_BUDGET))  # rows x weights, checked later
    return layout


def _data_layout(info: dict, rows: int) -> dict[str, _Member]:
    k, t = len(info["input_names"]), len(info["target_names"])
    return {"data.x": _Member(_F8, (k,), rows), "data.y": _Member(_F8, (t,), rows),
            "data.x_val": _Member(_F8, (k,), rows, required=False),
            "data.y_val": _Member(_F8, (t,), rows, required=False)}


def _read_arrays(archive: ZipReader, layout: dict, data_layout: dict, source: str = _ARRAYS) -> dict[str, np.ndarray]:
    """The members of ``source`` (``arrays.npz``, or a branch's) that ``layout`` names, each
    checked before it is read."""
    data_bytes = MAX_CELLS * 8 if data_layout else 0  # all of the data together is one table's numbers
    limit = sum(m.max_bytes + _MEMBER_OVERHEAD for m in layout.values()) + data_bytes + 4 * _MEMBER_OVERHEAD
    blob = archive.read_bytes(source, limit)
    try:
        inner = ZipReader(io.BytesIO(blob), "a zip archive of arrays")
    except ArchiveError as exc:
        text = str(exc)
        raise ArchiveError(f"{source} {text[3:]}" if text.startswith("it ") else f"{source}: {text}") from None
    present = set(inner.names)
    arrays = {}
    for name, member in {**layout, **data_layout}.items():
        stored = f"{name}.npy"
        if stored not in present:
            if member.required:
                raise ArchiveError(f"{source} lacks the array {name!r}")
            continue
        if name in ("trace.values", "trace.grads"):  # now that the trace's width is known
            width = max(1, len(arrays["trace.indices"]))
            member = _Member(_F8, (width,), min(member.max_rows // width, layout["trace.steps"].max_rows))
        arrays[name] = inner.read_array(stored, member.max_bytes + _MEMBER_OVERHEAD, member.check(name))
    return arrays


# ----- saving helpers -----------------------------------------------------------------------------

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
