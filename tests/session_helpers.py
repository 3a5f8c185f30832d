"""Making session files, good and bad, for the tests of sessions."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.session import save_session
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


def write_session(path, doc=None, arrays=None, json_text=None, arrays_bytes=None, drop=None):
    """A session file from its parts; ``json_text``/``arrays_bytes`` stand for the members as they are."""
    text = json_text if json_text is not None else json.dumps(doc, allow_nan=True)
    blob = arrays_bytes if arrays_bytes is not None else npz_bytes(arrays)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        if drop != "session.json":
            z.writestr("session.json", text)
        if drop != "arrays.npz":
            z.writestr("arrays.npz", blob)
    return path


def rewrite(path, edit_doc=None, edit_arrays=None, drop=None):
    doc, arrays = contents(path)
    if edit_doc:
        edit_doc(doc)
    if edit_arrays:
        edit_arrays(arrays)
    return write_session(path, doc, arrays, drop=drop)
