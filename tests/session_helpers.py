"""Making session files, good and bad, for the tests of sessions."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np

from gdsim.core.files.session import save_session
from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.settings import Settings


def trainer_for(**kw):
    """A trainer as the window makes one: per-tensor gradient norms, and a weight trace."""
    t = build_trainer(Settings(steps=0, **kw), track_tensor_norms=True)
    t.start_trace(range(t.params.size) if t.params.size <= 300 else [400])
    return t


def save(tmp_path, t, name="run.gdsim", scenario=None, app=None):
    path = tmp_path / name
    save_session(path, t, t.settings, scenario or get_scenario(t.settings.scenario), app)
    return path


def contents(path):
    """(the session.json document, the arrays) of a session file."""
    with zipfile.ZipFile(path) as z:
        doc = json.loads(z.read("session.json"))
        with np.load(io.BytesIO(z.read("arrays.npz")), allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    return doc, arrays


def npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def write_session(path, doc=None, arrays=None, json_text=None, arrays_bytes=None, drop=None, extra=None):
    """A session file from its parts; ``json_text``/``arrays_bytes`` stand for the members as they are;
    ``extra``: other members (name -> bytes)."""
    text = json_text if json_text is not None else json.dumps(doc, allow_nan=True)
    blob = arrays_bytes if arrays_bytes is not None else npz_bytes(arrays)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        if drop != "session.json":
            z.writestr("session.json", text)
        if drop != "arrays.npz":
            z.writestr("arrays.npz", blob)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def rewrite(path, edit_doc=None, edit_arrays=None, drop=None):
    """The file with its session.json or arrays edited; its other members (branches) as they were."""
    doc, arrays = contents(path)
    with zipfile.ZipFile(path) as z:
        extra = {n: z.read(n) for n in z.namelist() if n not in ("session.json", "arrays.npz")}
    if edit_doc:
        edit_doc(doc)
    if edit_arrays:
        edit_arrays(arrays)
    return write_session(path, doc, arrays, drop=drop, extra=extra)


# ----- hostile files: what the headless and the window tests both throw at the reader ---------

def zeros_member(z: zipfile.ZipFile, name: str, megabytes: int) -> None:
    with z.open(name, "w", force_zip64=True) as fh:
        block = bytes(2**20)
        for _ in range(megabytes):
            fh.write(block)


def lie_about_size(data: bytes, name: bytes, size: int) -> bytes:
    """The zip's directory says member ``name`` is ``size`` bytes long."""
    b = bytearray(data)
    at = b.index(b"PK\x01\x02" + bytes(24)[:0])
    while b[at + 46:at + 46 + len(name)] != name:
        at = b.index(b"PK\x01\x02", at + 1)
    struct.pack_into("<I", b, at + 24, size)
    return bytes(b)


def with_values_header(session, header: bytes) -> None:
    """The session, with its 41 weights under an .npy header of our own making."""
    doc, arrays = contents(session)
    header += b" " * (118 - len(header)) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + bytes(8 * 41)
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(npz_bytes(arrays))) as src, zipfile.ZipFile(buf, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, npy if name == "values.npy" else src.read(name))
    write_session(session, doc, arrays_bytes=buf.getvalue())


def edit_trainer(**values):
    return dict(edit_doc=lambda d: d["trainer"].update(values))


def edit_array(name, value):
    return dict(edit_arrays=lambda a: a.update({name: value}))


BAD_VALUES = {
    "infinite step count": (edit_trainer(step_count=float("inf")), "step count must be a whole number"),
    "huge integer in the random state": (
        dict(edit_doc=lambda d: d["trainer"]["sampler"]["rng"]["state"].update(state=10**60)), "random state"),
    "NaN learning rate": (edit_trainer(lr=float("nan")), "learning rate must be a finite number"),
    "negative learning rate": (edit_trainer(lr=-0.5), "learning rate must be > 0"),
    "trace stride 0": (dict(edit_doc=lambda d: d["trainer"]["trace"].update(stride=0)), "trace's thinning"),
    "negative Adam step": (edit_array("optimizer.step", np.array(-3)), "optimizer state 'step'"),
    "2-D trace indices": (edit_array("trace.indices", np.arange(41).reshape(1, 41)), "array 'trace.indices'"),
    "float128 weights": (edit_array("values", np.full(41, np.longdouble(2.0))), "array 'values' is float128"),
    "NaN weights": (edit_array("values", np.full(41, np.nan)), "values holds numbers that are not finite"),
    "unknown scenario": (dict(edit_doc=lambda d: d["scenario"].update(name="nope")), "unknown scenario 'nope'"),
    "settings of a string type": (dict(edit_doc=lambda d: d["settings"].update(zero_grad="yes")),
                                  "gradient zeroing must be on or off"),
    "a list for an optimizer": (dict(edit_doc=lambda d: d["settings"].update(optimizer=["adam"])),
                                "the optimizer must be a choice"),
    "epochs past steps": (edit_trainer(epoch_count=10**6), "counters do not fit together"),
    "history past the steps": (edit_array("history.step", np.array([1, 2, 3, 9])), "history goes past step 4"),
    "batch position past the rows": (dict(edit_doc=lambda d: d["trainer"]["sampler"].update(pos=99)),
                                      "batch position 99"),
    "unknown field": (edit_trainer(surprise=1), "unknown field 'surprise'"),
    "missing app state": (dict(edit_doc=lambda d: d.pop("app")), "lacks 'app'"),
    "nested app state": (dict(edit_doc=lambda d: d.update(app={"tracked": [[1]]})), "view state 'tracked'"),
}
