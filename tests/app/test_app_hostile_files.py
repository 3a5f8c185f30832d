"""Hostile files in the window: every bad session, weights or output the command line refuses is
refused in the window too, with one line in the banner, and the run on screen (its steps, its
file, what is unsaved) stays exactly as it was."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest
from gui_helpers import TIMEOUT, wait_paused_at, write_houses
from session_helpers import (
    BAD_VALUES, contents, lie_about_size, rewrite, save, trainer_for, with_values_header, write_session, zeros_member,
)

from gdsim.core.files.weights import save_weights

pytestmark = pytest.mark.gui


@pytest.fixture
def session(tmp_path):
    t = trainer_for(scenario="micrograd", optimizer="adam", lr=0.01)
    t.run(4)
    return save(tmp_path, t)


def bomb(tmp_path, session):
    doc, _ = contents(session)
    path = tmp_path / "bomb.gdsim"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("session.json", json.dumps(doc))
        zeros_member(z, "arrays.npz", 300)
    return path


def liar(tmp_path, session):
    doc, arrays = contents(session)
    doc["app"] = {"padding": "x" * 900}
    path = write_session(tmp_path / "liar.gdsim", doc, arrays)
    path.write_bytes(lie_about_size(path.read_bytes(), b"session.json", 100))
    return path


def billion(tmp_path, session):
    with_values_header(session, b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }")
    return session


def not_a_zip(tmp_path, session):
    doc, _ = contents(session)
    return write_session(tmp_path / "arrays.gdsim", doc, arrays_bytes=b"\x93NUMPY not an archive")


def fifo(tmp_path, session):
    path = tmp_path / "pipe.gdsim"
    os.mkfifo(path)
    return path


def device(tmp_path, session):
    return "/dev/zero"


def bad_value(case):
    def make(tmp_path, session):
        edit, _ = BAD_VALUES[case]
        rewrite(session, **edit)
        return session
    return make


HOSTILE = {"zip bomb": bomb, "a size that lies": liar, "a billion numbers": billion, "arrays not a zip": not_a_zip,
           "a FIFO": fifo, "a device": device}
HOSTILE.update({case: bad_value(case) for case in BAD_VALUES})


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_session_is_refused_and_the_run_on_screen_stays(make_window, qtbot, tmp_path, session, case):
    w = make_window(scenario="fruit")
    mine = tmp_path / "mine.gdsim"
    with qtbot.waitSignal(w.controller.finished_task, timeout=TIMEOUT):
        w.save_session(mine)
    w.step(3)
    wait_paused_at(qtbot, w, 3)
    qtbot.waitUntil(lambda: w.document.modified, timeout=TIMEOUT)
    run_id, values, document = w.info.run_id, w.last_snapshot.values.copy(), w.document
    path = HOSTILE[case](tmp_path, session)
    w.open_session(path)
    qtbot.waitUntil(lambda: w.banner.kind == "error", timeout=TIMEOUT)
    text = w.banner.text
    assert str(path) in text and "\n" not in text and "allow_pickle" not in text and "object at 0x" not in text
    assert "Something went wrong" not in text
    # The run on screen: the same run, the same file, still unsaved; it goes on as it would have.
    assert w.info.run_id == run_id and w.document == document and w.session_path == str(mine)
    np.testing.assert_array_equal(w.last_snapshot.values, values)
    w.step(1)
    wait_paused_at(qtbot, w, 4)


def test_weights_from_a_device_or_a_bomb_are_refused(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    run_id = w.info.run_id
    big = tmp_path / "big.npz"
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_DEFLATED) as z:
        zeros_member(z, "weight.npy", 200)
    for path in ("/dev/zero", big):
        w.banner.clear()
        w.load_weights(path)
        qtbot.waitUntil(lambda: w.banner.kind == "error", timeout=TIMEOUT)
        assert str(path) in w.banner.text and w.info.run_id == run_id


def test_a_good_session_still_opens(make_window, qtbot, session):
    w = make_window(scenario="fruit")
    with qtbot.waitSignal(w.controller.session_opened, timeout=TIMEOUT):
        w.open_session(session)
    wait_paused_at(qtbot, w, 4)
    assert w.info.scenario == "micrograd"


# ----- writing: exports that cannot be written completely replace nothing --------------------------------

def test_an_export_that_meets_a_full_disk_leaves_the_old_file_and_says_so(make_window, qtbot, tmp_path,
                                                                          monkeypatch):
    import errno

    w = make_window(scenario="fruit")
    path = tmp_path / "loss.png"
    w.export_view(w.loss_view, path)
    good = path.read_bytes()

    def full(fd):  # the disk fills while the file is flushed
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    w.step(2)
    wait_paused_at(qtbot, w, 2)
    w.export_view(w.loss_view, path)
    assert w.banner.kind == "error" and "loss" in w.banner.text and "space" in w.banner.text
    assert path.read_bytes() == good
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".gdsim-tmp")]


def test_exports_refuse_a_fifo_and_write_through_a_link(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    w.export_view(w.loss_view, pipe)
    assert w.banner.kind == "error" and "not a regular file" in w.banner.text
    target = tmp_path / "real.png"
    link = tmp_path / "link.png"
    link.symlink_to(target)
    w.banner.clear()
    w.export_view(w.loss_view, link)
    assert w.banner.text == "" and link.is_symlink() and target.read_bytes()[:4] == b"\x89PNG"


def test_a_file_name_too_long_for_the_disk_is_refused_in_words(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    path = tmp_path / ("x" * 300 + ".png")
    w.export_view(w.loss_view, path)
    assert w.banner.kind == "error" and "Traceback" not in w.banner.text
    with qtbot.waitSignal(w.controller.failed, timeout=TIMEOUT):
        w.save_session(tmp_path / ("y" * 300 + ".gdsim"))
    assert w.banner.kind == "error" and w.isVisible()


def test_weights_saved_over_a_device_are_refused(make_window, qtbot):
    w = make_window(scenario="fruit")
    with qtbot.waitSignal(w.controller.failed, timeout=TIMEOUT):
        w.save_weights("/dev/null")
    assert "not a regular file" in w.banner.text
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


# ----- a model too big is refused before anything is allocated ------------------------------------------------

def test_hidden_layers_too_big_are_refused_in_words(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    w.import_csv(write_houses(tmp_path / "houses.csv"))
    qtbot.waitUntil(lambda: w.import_dialog is not None, timeout=TIMEOUT)
    w.import_dialog.accept()
    qtbot.waitUntil(lambda: w.info.scenario == "csv:houses", timeout=TIMEOUT)
    i = w.controls.model.findData("mlp")
    w.controls.model.setCurrentIndex(i)
    w.controls.model.activated.emit(i)
    qtbot.waitUntil(lambda: w.info.model_text.startswith("MLP"), timeout=TIMEOUT)
    run_id = w.info.run_id
    w.controls.hidden.setText("4096,4096,4096,4096,4096,4096")
    w.controls.hidden.editingFinished.emit()
    qtbot.waitUntil(lambda: w.banner.kind == "error", timeout=TIMEOUT)
    assert "weights; gdsim trains at most 5,000,000" in w.banner.text
    assert w.info.run_id == run_id


def test_save_weights_then_load_round_trip_still_works(make_window, qtbot, tmp_path):
    w = make_window(scenario="fruit")
    path = tmp_path / "w.npz"
    save_weights(path, {"weight": np.ones((2, 3)), "bias": np.zeros(2)})
    with qtbot.waitSignal(w.controller.run_started, timeout=TIMEOUT):
        w.load_weights(path)
    wait_paused_at(qtbot, w, 0)
    np.testing.assert_array_equal(w.last_snapshot.values, [1, 1, 1, 1, 1, 1, 0, 0])
