"""The schema of a session file's ``session.json``: every field's type and range.

``check_doc`` walks the parsed JSON field by field (never recursing into what a field does
not allow, so a value nested 600 deep is just a value of the wrong type) and returns plain,
checked values; anything else is a ``GdsimError`` that names the field. Limits come from
this code (``MAX_WEIGHTS``, ``MAX_CELLS``, the trace budget), never from the file.
"""

from __future__ import annotations

import math

from ..catalog import CATALOG
from ..data.csv_reader import MAX_CELLS
from ..data.dataset import BINARY, MAX_CLASSES, MULTICLASS, REGRESSION
from ..errors import GdsimError
from ..settings import NUMBERS, Settings

FORMAT = "gdsim-session"
# 2: your own data may be multi-class (task "multiclass", notes "class_names") and its notes say what
# was read and left out ("rows_read", "dropped", "dropped_columns", "task_reason"). Files of version 1
# have none of these and open as they are.
# 3: a run may have branches (gdsim's timeline): "branch" names the one saved as the session's run,
# "branches" holds the others, each with its settings and trainer state (its arrays in branch<i>.npz);
# "pins" the runs pinned beside it: name, followed weight and settings (their curves in pins.npz).
VERSION = 3
MAX_BRANCHES = 16
CUSTOM_PREFIX = "csv:"  # your own data's scenarios are named csv:NAME; built-in names are never that

_BIG = 2**63 - 1  # counters and seeds are int64 everywhere else
_TEXT = 1000  # a name, a title, a version string
_LONG_TEXT = 100_000  # a description
_TOP = ("format", "version", "gdsim", "saved", "settings", "scenario", "trainer", "app")
_TRAINER = ("seed", "lr", "last_lr", "zero_grad", "step_count", "epoch_count", "best_val_loss",
            "best_val_step", "epochs_since_best", "last", "optimizer_keys", "sampler", "history_metric",
            "track_tensor_norms", "trace")
_NOTES = {"source": str, "rows": int, "val_rows": int, "positive": str, "negative": str, "standardization": None,
          "rows_read": int, "dropped": int, "dropped_columns": list, "task_reason": str, "class_names": list}
_APP_ENTRIES = 64


def check_version(doc) -> None:
    """Is it a gdsim session, and one of a format this gdsim reads? (Before anything else.)"""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise GdsimError("it is not a gdsim session")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise GdsimError("it is damaged: it has no format version")
    if version > VERSION:
        saved_by = doc.get("gdsim")
        saved_by = saved_by if isinstance(saved_by, str) and len(saved_by) <= 40 else "?"
        raise GdsimError(f"it was saved by a newer gdsim ({saved_by}, session format {version}); this gdsim "
                         f"reads format {VERSION}: please update gdsim")
    if version < 1:
        raise GdsimError(f"it is damaged: unknown format version {version}")


def check_doc(doc: dict) -> dict:
    """The checked contents: ``settings`` (a ``Settings``), ``scenario``, ``trainer``, ``app``,
    ``branch`` (the run's name among its branches) and ``branches`` (the others: name, settings,
    trainer)."""
    extra = {key: doc[key] for key in _BRANCHING if isinstance(doc, dict) and key in doc}
    doc = _fields({k: v for k, v in doc.items() if k not in _BRANCHING} if isinstance(doc, dict) else doc,
                  "the session", _TOP)
    _text(doc["gdsim"], "the gdsim version")
    _text(doc["saved"], "the time it was saved")
    settings = _settings(doc["settings"])
    scenario = _scenario(doc["scenario"])
    if settings.scenario != scenario["name"]:
        raise GdsimError(f"its settings are for scenario {settings.scenario!r}, not {scenario['name']!r}")
    return {"settings": settings, "scenario": scenario, "trainer": _trainer(doc["trainer"]), "app": _app(doc["app"]),
            "branch": _text(extra.get("branch", "main"), "the run's branch name"),
            "branches": _branches(extra.get("branches", []), scenario["name"]),
            "pins": _pins(extra.get("pins", []), scenario["name"])}


_BRANCHING = ("branch", "branches", "pins")  # optional: sessions of format 3
MAX_PINS = 5  # the window pins at most this many (a race: five optimizers beside the run)


def _pins(value, scenario: str) -> list[dict]:
    return _runs(value, scenario, "pinned run", "its pinned runs", MAX_PINS,
                 {"name": _text, "weight": _text})


def _branches(value, scenario: str) -> list[dict]:
    return _runs(value, scenario, "branch", "its branches", MAX_BRANCHES,
                 {"name": _text, "trainer": lambda v, where: _trainer(v)})


def _runs(value, scenario: str, what: str, all_of_them: str, most: int, checks: dict) -> list[dict]:
    """A list of at most ``most`` records, each with ``settings`` of ``scenario`` and the fields
    ``checks`` names (field -> check(value, where))."""
    if not isinstance(value, list) or len(value) > most:
        raise GdsimError(f"{all_of_them} are damaged (at most {most})")
    out = []
    for i, entry in enumerate(value):
        where = f"{what} {i + 1}"
        record = _fields(entry, where, ("settings", *checks))
        settings = _settings(record["settings"])
        if settings.scenario != scenario:
            raise GdsimError(f"{where} is of scenario {settings.scenario!r}, not {scenario!r}")
        out.append({"settings": settings, **{k: check(record[k], f"{where}'s {k}") for k, check in checks.items()}})
    return out


def _settings(value) -> Settings:
    if not isinstance(value, dict):
        raise GdsimError("its settings are not a record of settings")
    settings = Settings.from_dict(value)
    settings.validate()
    return settings


def _scenario(value) -> dict:
    if not isinstance(value, dict):
        raise GdsimError("the scenario is not a record")
    builtin = _flag(value.get("builtin"), "the scenario's 'builtin'")
    if builtin:
        info = _fields(value, "the scenario", ("name", "builtin"))
        if _text(info["name"], "the scenario's name") not in CATALOG:
            raise GdsimError(f"unknown scenario {info['name']!r}; choose from {', '.join(CATALOG)}")
        return info
    info = _fields(value, "the scenario", ("name", "builtin", "title", "task", "input_names", "target_names",
                                           "description", "notes"))
    name = _text(info["name"], "the scenario's name")
    if not name.startswith(CUSTOM_PREFIX):
        # Else a session of your own data named "digits" would open as the built-in digits.
        raise GdsimError(f"its own-data scenario is named {name[:60]!r}; such names start with {CUSTOM_PREFIX!r}")
    if info["task"] not in (REGRESSION, BINARY, MULTICLASS):
        raise GdsimError(f"its task {str(info['task'])[:60]!r} is none of {REGRESSION!r}, {BINARY!r}, {MULTICLASS!r}")
    inputs = _names(info["input_names"], "input")
    targets = _names(info["target_names"], "target")
    if info["task"] in (BINARY, MULTICLASS) and len(targets) != 1:
        raise GdsimError(f"its {info['task']} classification has more than one target")
    notes = _notes(info["notes"])
    if (info["task"] == MULTICLASS) != ("class_names" in notes):
        raise GdsimError("its class names do not fit its task")
    return {"name": name, "builtin": False, "title": _text(info["title"], "the scenario's title"),
            "task": info["task"], "input_names": inputs, "target_names": targets,
            "description": _text(info["description"], "the scenario's description", _LONG_TEXT),
            "notes": notes}


def _names(value, kind: str, allow_empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not int(not allow_empty) <= len(value) <= MAX_CELLS:
        raise GdsimError(f"its {kind} names are not a list of names")
    names = tuple(_text(v, f"an {kind} name") for v in value)
    if len(set(names)) != len(names) or not all(names):
        raise GdsimError(f"its {kind} names are empty or repeated")
    return names


def _notes(value) -> dict:
    notes = _fields(value, "the data's notes", tuple(_NOTES), optional=True)
    for key, kind in _NOTES.items():
        if key not in notes:
            continue
        if kind is None and notes[key] is not None or kind is str and not isinstance(notes[key], str):
            raise GdsimError(f"the data's note {key!r} is damaged")
        if kind is int:
            _whole(notes[key], f"the data's note {key!r}", 0, _BIG)
        if kind is list:
            notes[key] = _names(notes[key], f"the data's note {key!r}:", allow_empty=key == "dropped_columns")
    if "class_names" in notes and not 2 <= len(notes["class_names"]) <= MAX_CLASSES:
        raise GdsimError(f"its data has {len(notes['class_names'])} class names; a multi-class task has 2 to "
                         f"{MAX_CLASSES}")
    return notes


def _trainer(value) -> dict:
    t = _fields(value, "the trainer state", _TRAINER)
    out = {key: _whole(t[key], key.replace("_", " "), 0, _BIG)
           for key in ("seed", "step_count", "epoch_count", "best_val_step", "epochs_since_best")}
    out["lr"] = NUMBERS["lr"].check(_real(t["lr"], "the learning rate"))
    out["last_lr"] = NUMBERS["lr"].check(_real(t["last_lr"], "the last learning rate"))
    out["zero_grad"] = _flag(t["zero_grad"], "zero_grad")
    out["track_tensor_norms"] = _flag(t["track_tensor_norms"], "track_tensor_norms")
    out["best_val_loss"] = _real(t["best_val_loss"], "the best validation loss", allow=("inf",))
    last = t["last"]
    if not isinstance(last, list) or len(last) != 3:
        raise GdsimError("the last step's numbers are damaged")
    out["last"] = [None if last[0] is None else _real(last[0], "the last loss"),
                   None if last[1] is None else _real(last[1], "the last gradient norm"),
                   None if last[2] is None else _real(last[2], "the last metric", allow=("nan",))]
    keys = t["optimizer_keys"]
    if not isinstance(keys, list) or len(keys) > 8 or not all(isinstance(k, str) and len(k) <= 40 for k in keys):
        raise GdsimError("the optimizer's state names are damaged")
    out["optimizer_keys"] = keys
    metric = t["history_metric"]
    if metric is not None and not (isinstance(metric, str) and len(metric) <= 40):
        raise GdsimError("the history's metric is damaged")
    out["history_metric"] = metric
    sampler = _fields(t["sampler"], "the batch order", ("rng", "pos"))
    out["sampler"] = {"rng": _rng(sampler["rng"]), "pos": _whole(sampler["pos"], "the batch position", 0, _BIG)}
    out["trace"] = None
    if t["trace"] is not None:
        trace = _fields(t["trace"], "the weight trace", ("start_step", "stride", "capacity"))
        out["trace"] = {"start_step": _whole(trace["start_step"], "the trace's first step", 0, _BIG),
                        "stride": _whole(trace["stride"], "the trace's thinning", 1, 2**62),
                        "capacity": _whole(trace["capacity"], "the trace's budget", 0, _BIG)}  # not used
    return out


def _rng(value) -> dict:
    """NumPy's PCG64 state: the only generator gdsim uses. NumPy checks it again when it is set."""
    rng = _fields(value, "the random state", ("bit_generator", "state", "has_uint32", "uinteger"))
    if rng["bit_generator"] != "PCG64":
        raise GdsimError("its random state is not of NumPy's PCG64 generator")
    state = _fields(rng["state"], "the random state", ("state", "inc"))
    return {"bit_generator": "PCG64",
            "state": {k: _whole(state[k], "the random state", 0, 2**128 - 1) for k in ("state", "inc")},
            "has_uint32": _whole(rng["has_uint32"], "the random state", 0, 1),
            "uinteger": _whole(rng["uinteger"], "the random state", 0, 2**32 - 1)}


def _app(value) -> dict:
    """The window's view state: a few plain values (the window checks what each means)."""
    if not isinstance(value, dict) or len(value) > _APP_ENTRIES:
        raise GdsimError("its view state is damaged")
    for key, v in value.items():
        ok = v is None or isinstance(v, (bool, int, str)) or isinstance(v, float) and math.isfinite(v)
        if len(key) > 100 or not ok or isinstance(v, str) and len(v) > _TEXT:
            raise GdsimError(f"its view state {key[:40]!r} is damaged")
    return dict(value)


# ----- field types ------------------------------------------------------------------------------

def _fields(value, where: str, names: tuple, optional: bool = False) -> dict:
    """A JSON object with exactly ``names`` (all required unless ``optional``)."""
    if not isinstance(value, dict):
        raise GdsimError(f"{where} is not a record")
    for key in value:
        if key not in names:
            raise GdsimError(f"{where} has an unknown field {str(key)[:40]!r}")
    if not optional:
        for key in names:
            if key not in value:
                raise GdsimError(f"{where} lacks {key!r}")
    return value


def _whole(value, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise GdsimError(f"{where} must be a whole number from {low} to {high}, not {_shown(value)}")
    return value


def _real(value, where: str, allow: tuple = ()) -> float:
    """A number; infinities and NaN only as ``allow`` says, written ``{"float": "inf"}`` as the
    saver writes them."""
    if isinstance(value, dict) and set(value) == {"float"} and value["float"] in ("inf", "-inf", "nan"):
        value = float(value["float"])
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GdsimError(f"{where} must be a number, not {_shown(value)}")
    value = float(value)
    if not math.isfinite(value) and not (math.isnan(value) and "nan" in allow or value == math.inf and "inf" in allow):
        raise GdsimError(f"{where} must be a finite number, not {value}")
    return value


def _flag(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise GdsimError(f"{where} must be true or false, not {_shown(value)}")
    return value


def _text(value, where: str, limit: int = _TEXT) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise GdsimError(f"{where} is not a text of at most {limit:,} characters")
    return value


def _shown(value) -> str:
    if isinstance(value, (dict, list)):
        return "a " + ("record" if isinstance(value, dict) else "list")
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
