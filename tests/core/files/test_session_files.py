"""Hostile session files, headless: `gdsim run --session FILE` answers each with one line and exit 2.

Zip bombs and sizes that lie, special files, and values no run can hold: every one is refused
before anything is built from it, within a fixed memory bound, and nothing changes.
"""

from __future__ import annotations

import json
import os
import tracemalloc
import zipfile

import numpy as np
import pytest
from cli_helpers import subprocess_gdsim
from session_helpers import (
    BAD_VALUES, contents, lie_about_size, npz_bytes, rewrite, save, trainer_for, with_values_header, write_session,
    zeros_member,
)

from gdsim.cli import main
from gdsim.core.data.dataset import Dataset
from gdsim.core.errors import GdsimError
from gdsim.core.files.session import load_session
from gdsim.core.record.trace import Trace
from gdsim.core.scenarios import custom_scenario
from gdsim.core.settings import Settings

MEMORY_BOUND = 40 * 2**20  # what refusing any of these files may allocate (Python and NumPy, traced)


def refused(capsys, path, *texts):
    """`gdsim run --session PATH` exits 2 with one line naming the file and saying ``texts``."""
    capsys.readouterr()
    tracemalloc.start()
    try:
        rc = main(["run", "--session", str(path), "--steps", "1"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    out, err = capsys.readouterr()
    assert rc == 2, (out, err)
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    assert str(path) in err, err
    for text in texts:
        assert text in err, err
    assert "allow_pickle" not in err and "object at 0x" not in err, err
    assert peak < MEMORY_BOUND, peak
    return err


@pytest.fixture
def session(tmp_path):
    t = trainer_for(scenario="micrograd", optimizer="adam", lr=0.01)
    t.run(4)
    return save(tmp_path, t)


def test_a_good_session_continues_headless(capsys, session):
    # The baseline of this file: the same file, unharmed, is accepted.
    assert main(["run", "--session", str(session), "--steps", "1", "--quiet"]) == 0


# ----- item 1: zip bombs and sizes that lie ------------------------------------------------------------

def test_arrays_that_expand_past_what_the_run_can_hold_are_refused_unread(capsys, tmp_path, session):
    doc, _ = contents(session)
    bomb = tmp_path / "bomb.gdsim"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("session.json", json.dumps(doc))
        zeros_member(z, "arrays.npz", 300)  # 300 MB of zeros in a file of 300 KB
    assert bomb.stat().st_size < 2 * 2**20
    refused(capsys, bomb, "is damaged: arrays.npz would expand to 314.6 MB", "at most")


def test_session_json_bigger_than_its_limit_is_refused_unread(capsys, tmp_path, session):
    _, arrays = contents(session)
    path = tmp_path / "big.gdsim"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        zeros_member(z, "session.json", 20)
        z.writestr("arrays.npz", npz_bytes(arrays))
    refused(capsys, path, "session.json would expand to 21.0 MB, and at most 10.5 MB is expected")


def test_a_member_whose_size_lies_reads_no_further_than_declared(capsys, tmp_path, session):
    doc, arrays = contents(session)
    doc["app"] = {"padding": "x" * 900}
    path = write_session(tmp_path / "liar.gdsim", doc, arrays)
    path.write_bytes(lie_about_size(path.read_bytes(), b"session.json", 100))
    refused(capsys, path, "is damaged")


def test_an_array_header_that_claims_a_billion_numbers_is_refused_before_allocating(capsys, session):
    with_values_header(session, b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }")
    refused(capsys, session, "array 'values' is float64 of shape (1000000000,), not float64 of shape (41,)")


def test_only_known_members_are_read(capsys, tmp_path, session):
    doc, arrays = contents(session)
    path = tmp_path / "extra.gdsim"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("session.json", json.dumps(doc))
        z.writestr("arrays.npz", npz_bytes(arrays))
        zeros_member(z, "notes.txt", 200)  # never decompressed
    tracemalloc.start()
    try:
        s = load_session(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert s.trainer.step_count == 4 and peak < MEMORY_BOUND


# ----- item 2: special files ----------------------------------------------------------------------------

@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused_without_reading(capsys, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    refused(capsys, device, "is not a regular file")


def test_a_fifo_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "pipe.gdsim"
    os.mkfifo(fifo)
    # A real process: opening a FIFO that nobody writes to would block it for ever.
    for command in (["run", "--session", fifo], ["open", fifo], ["run", "fruit", "--weights-in", fifo]):
        proc = subprocess_gdsim(*command, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("\n") == 1 and "is not a regular file" in proc.stderr, proc.stderr


# ----- item 3: values no run can hold, field by field -------------------------------------------------------

@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_every_field_is_checked(capsys, session, case):
    edit, message = BAD_VALUES[case]
    rewrite(session, **edit)
    before = session.read_bytes()
    refused(capsys, session, message)
    assert session.read_bytes() == before


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_nested_600_deep_is_a_value_of_the_wrong_type(capsys, session):
    doc, arrays = contents(session)
    doc["trainer"]["surprise"] = "NEST"
    write_session(session, json_text=json.dumps(doc).replace('"NEST"', nested(600)), arrays=arrays)
    refused(capsys, session, "has an unknown field 'surprise'")
    del doc["trainer"]["surprise"]
    doc["trainer"]["seed"] = "SEED"
    text = json.dumps(doc).replace('"SEED"', nested(600))
    write_session(session, json_text=text, arrays=arrays)
    refused(capsys, session, "seed must be a whole number", "not a list")
    write_session(session, json_text=nested(100_000), arrays=arrays)
    refused(capsys, session, "session.json is not valid JSON")


def test_the_trace_budget_comes_from_the_code_not_the_file(tmp_path, session):
    rewrite(session, edit_doc=lambda d: d["trainer"]["trace"].update(capacity=10**15))
    trace = load_session(session).trainer.trace
    assert trace.capacity == Trace(np.arange(41)).capacity


def custom_session(tmp_path, name="csv:points"):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(30, 2))
    y = (x[:, :1] > 0).astype(float)
    data = Dataset(x, y, input_names=("a", "b"), target_names=("c",), task="binary")
    scenario = custom_scenario(data, "csv:points", "points.csv")
    t = scenario.build(Settings(scenario="csv:points", steps=0), track_tensor_norms=True)
    t.run(3)
    path = save(tmp_path, t, name="own.gdsim", scenario=scenario)
    if name != "csv:points":
        rewrite(path, edit_doc=lambda d: (d["scenario"].update(name=name), d["settings"].update(scenario=name)))
    return path


def test_a_session_of_your_own_data_named_like_a_built_in_scenario_is_refused(capsys, tmp_path):
    path = custom_session(tmp_path, name="digits")
    refused(capsys, path, "own-data scenario is named 'digits'")


@pytest.mark.parametrize("case, message", [
    ("1-D targets", "array 'data.y' is float64 of shape (30,)"),
    ("targets not 0 or 1", "binary targets are not all 0 or 1"),
    ("NaN inputs", "data contains numbers that are not finite"),
    ("inputs without targets", "data arrays do not fit together"),
])
def test_your_own_data_in_a_session_is_checked(capsys, tmp_path, case, message):
    path = custom_session(tmp_path)
    edit = {
        "1-D targets": lambda a: a.update({"data.y": a["data.y"][:, 0]}),
        "targets not 0 or 1": lambda a: a.update({"data.y": a["data.y"] * 2}),
        "NaN inputs": lambda a: a["data.x"].__setitem__((3, 1), np.nan),
        "inputs without targets": lambda a: a.update({"data.y": a["data.y"][:5]}),
    }[case]
    rewrite(path, edit_arrays=edit)
    refused(capsys, path, message)


# ----- item 5: what a damaged file is called ---------------------------------------------------------------

def test_arrays_that_are_not_a_zip_are_called_damaged(capsys, session):
    doc, _ = contents(session)
    write_session(session, doc, arrays_bytes=b"\x80\x04 not an archive at all" * 10)
    err = refused(capsys, session, "is damaged", "arrays.npz")
    assert "pickle" not in err


def test_a_malformed_array_header_is_called_damaged(capsys, session):
    with_values_header(session, b"{'descr': dict(), 'fortran_order': False, 'shape': (41,), }")
    err = refused(capsys, session, "is damaged", "values.npy")
    assert "ast." not in err


def test_a_failed_open_raises_before_returning_anything(session):
    # Item 4 at the core: the loader builds the new run aside and hands back nothing half-made.
    rewrite(session, edit_arrays=lambda a: a.update({"history.loss": a["history.loss"][:2]}))
    with pytest.raises(GdsimError, match="history column 'loss' has 2 rows"):
        load_session(session)
