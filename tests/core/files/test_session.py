"""Session files: a saved run reopens and continues bit for bit; bad files are refused clearly."""

from __future__ import annotations

import dataclasses
import re
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from session_helpers import rewrite, save, trainer_for

from gdsim.core.data.dataset import BINARY, MULTICLASS, Dataset
from gdsim.core.errors import GdsimError
from gdsim.core.files.session import VERSION, load_session, save_session
from gdsim.core.scenarios import custom_scenario, get_scenario
from gdsim.core.settings import Settings


def assert_same_run(a, b):
    np.testing.assert_array_equal(a.params.values, b.params.values)
    np.testing.assert_array_equal(a.params.grads, b.params.grads)
    np.testing.assert_array_equal(a.history.loss, b.history.loss)
    np.testing.assert_array_equal(a.history.grad_norm, b.history.grad_norm)
    np.testing.assert_array_equal(a.history.tensor_grad_norms, b.history.tensor_grad_norms)
    np.testing.assert_array_equal(a.history.val_loss, b.history.val_loss)
    np.testing.assert_array_equal(a.trace.steps, b.trace.steps)
    np.testing.assert_array_equal(a.trace.values, b.trace.values)
    for key in a.optimizer.state:
        np.testing.assert_array_equal(a.optimizer.state[key], b.optimizer.state[key])
    assert (a.step_count, a.epoch_count) == (b.step_count, b.epoch_count)


@pytest.mark.parametrize("kw", [
    dict(scenario="fruit"),
    dict(scenario="fruit", zero_grad=False),
    dict(scenario="quadratic", optimizer="adam", lr=0.1),
    dict(scenario="micrograd", zero_grad=False, optimizer="momentum"),
    dict(scenario="micrograd", optimizer="rmsprop", lr=0.01, l1=0.01, l2=0.001),
    dict(scenario="digits"),  # 7 steps: mid-epoch, so the batch order and position matter
    dict(scenario="digits", model="mlp", optimizer="nesterov", zero_grad=False),
    dict(scenario="parabola", optimizer="adagrad"),
])
def test_a_reopened_session_continues_bit_for_bit(tmp_path, kw):
    a = trainer_for(**kw)
    a.run(7)
    path = save(tmp_path, a)
    b = load_session(path).trainer
    assert_same_run(a, b)
    a.run(13)
    b.run(13)
    assert_same_run(a, b)
    # Reset still goes back to the same initial weights.
    a.reset()
    b.reset()
    np.testing.assert_array_equal(a.params.values, b.params.values)


def test_settings_scenario_and_app_state_come_back(tmp_path):
    a = trainer_for(scenario="micrograd", lr=0.1, zero_grad=False, until_loss=0.01, l2=0.5)
    a.run(3)
    path = save(tmp_path, a, app={"tracked": 12, "speed": 5})
    s = load_session(path)
    assert s.settings == a.settings
    assert s.scenario is get_scenario("micrograd")
    assert s.app == {"tracked": 12, "speed": 5}
    assert s.trainer.lr == 0.1 and s.trainer.zero_grad is False and s.trainer.until_loss == 0.01


def test_a_session_of_your_own_data_carries_the_data(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(30, 2))
    y = (x[:, :1] + x[:, 1:] > 0).astype(float)
    data = Dataset(x[:24], y[:24], x[24:], y[24:], input_names=("a", "b"), target_names=("c",), task=BINARY)
    scenario = custom_scenario(data, "csv:points", "points.csv")
    a = scenario.build(Settings(scenario="csv:points", model="mlp:8", steps=0), track_tensor_norms=True)
    a.run(5)
    path = save(tmp_path, a, scenario=scenario)
    s = load_session(path)
    assert s.scenario.name == "csv:points" and s.scenario.data.task == BINARY
    np.testing.assert_array_equal(s.scenario.data.x_val, x[24:])
    b = s.trainer
    a.run(6)
    b.run(6)
    np.testing.assert_array_equal(a.params.values, b.params.values)
    np.testing.assert_array_equal(a.history.val_metric, b.history.val_metric)


def multiclass_session(tmp_path):
    """A session of your own three-class data, 5 steps in, and its trainer."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(40, 2))
    y = np.digitize(x[:, :1] + x[:, 1:], [-0.5, 0.5]).astype(float)  # classes 0, 1, 2
    data = Dataset(x[:32], y[:32], x[32:], y[32:], input_names=("a", "b"), target_names=("kind",),
                   task=MULTICLASS, notes={"class_names": ("low", "middle", "high"), "dropped": 2,
                                           "rows_read": 42, "dropped_columns": ("a",), "task_reason": "chosen"})
    scenario = custom_scenario(data, "csv:kinds", "kinds.csv")
    a = scenario.build(Settings(scenario="csv:kinds", steps=0, lr=0.5), track_tensor_norms=True)
    a.run(5)
    return save(tmp_path, a, scenario=scenario), a


def test_a_session_of_multiclass_data_carries_its_classes_and_continues_bit_for_bit(tmp_path):
    path, a = multiclass_session(tmp_path)
    s = load_session(path)
    data = s.scenario.data
    assert data.task == MULTICLASS and data.class_names == ("low", "middle", "high")
    assert data.notes["dropped"] == 2 and data.notes["dropped_columns"] == ("a",)
    assert s.trainer.params["weight"].shape == (3, 2)
    assert "into 3 classes" in s.scenario.lesson and "dropped 2 of 42 rows with missing values in a" in s.scenario.lesson
    b = s.trainer
    a.run(6)
    b.run(6)
    np.testing.assert_array_equal(a.params.values, b.params.values)
    np.testing.assert_array_equal(a.history.val_metric, b.history.val_metric)


@pytest.mark.parametrize("edit, expected", [
    (lambda n: n.pop("class_names"), "its class names do not fit its task"),
    (lambda n: n.update(class_names=["one"]), "has 1 class names; a multi-class task has 2 to 100"),
    (lambda n: n.update(class_names=["a", "a", "b"]), "names are empty or repeated"),
    (lambda n: n.update(class_names="abc"), "names are not a list of names"),
    (lambda n: n.update(dropped=-1), "note 'dropped' must be a whole number"),
    (lambda n: n.update(dropped_columns=[3]), "is not a text"),
])
def test_damaged_class_notes_are_refused(tmp_path, edit, expected):
    path, _ = multiclass_session(tmp_path)
    rewrite(path, edit_doc=lambda d: edit(d["scenario"]["notes"]))
    assert expected in error_of(path)


def test_class_targets_beyond_the_classes_are_refused(tmp_path):
    path, _ = multiclass_session(tmp_path)
    rewrite(path, edit_arrays=lambda a: a.update({"data.y": np.full_like(a["data.y"], 3.0)}))
    assert "its class targets are not all class numbers from 0 to 2" in error_of(path)


def as_version(version: int):
    """A file as an older gdsim wrote it: its version, and none of the fields it did not know."""
    def edit(doc):
        doc.update(version=version)
        doc.pop("branch")  # version 3's
        doc.pop("branches")
    return edit


def test_a_version_1_session_still_opens(tmp_path):
    """Version 2 added multi-class data and the notes of rows left out; a version-1 file has neither."""
    a = trainer_for(scenario="fruit")
    a.run(3)
    path = save(tmp_path, a)
    rewrite(path, edit_doc=as_version(1))
    assert VERSION == 3
    np.testing.assert_array_equal(load_session(path).trainer.params.values, a.params.values)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(30, 2))
    data = Dataset(x, (x[:, :1] > 0).astype(float), input_names=("a", "b"), target_names=("c",), task=BINARY,
                   notes={"source": "points.csv", "rows": 30, "val_rows": 0})  # the notes version 1 knew
    scenario = custom_scenario(data, "csv:points", "points.csv")
    b = scenario.build(Settings(scenario="csv:points", steps=0))
    b.run(2)
    path = save(tmp_path, b, name="old.gdsim", scenario=scenario)
    rewrite(path, edit_doc=as_version(1))
    assert load_session(path).scenario.data.task == BINARY


def test_a_version_2_session_still_opens_as_one_branch(tmp_path):
    a = trainer_for(scenario="micrograd")
    a.run(4)
    path = save(tmp_path, a)
    rewrite(path, edit_doc=as_version(2))
    s = load_session(path)
    np.testing.assert_array_equal(s.trainer.params.values, a.params.values)
    assert s.branch == "main" and s.branches == []


def test_branches_are_saved_beside_the_run_and_continue_exactly(tmp_path):
    from gdsim.core.files.session import save_session

    a = trainer_for(scenario="micrograd")
    a.run(10)
    b = trainer_for(scenario="micrograd")
    b.apply(b.settings.replace(zero_grad=False))
    b.run(7)
    c = trainer_for(scenario="micrograd")
    c.apply(c.settings.replace(lr=0.1))
    c.run(12)
    path = tmp_path / "branches.gdsim"
    save_session(path, a, a.settings, get_scenario("micrograd"), {}, branch="lr 0.1 from step 3",
                 branches=[("main", b), ("zeroing off from step 0", c)])
    s = load_session(path)
    assert s.branch == "lr 0.1 from step 3"
    assert [name for name, _ in s.branches] == ["main", "zeroing off from step 0"]
    for original, (_, loaded) in zip((b, c), s.branches):
        assert loaded.settings == original.settings and loaded.step_count == original.step_count
        np.testing.assert_array_equal(loaded.history.loss, original.history.loss)
        original.run(5)
        loaded.run(5)
        np.testing.assert_array_equal(loaded.params.values, original.params.values)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["branches"][0].update(name=7), "branch 1's name is not a text"),
    (lambda d: d["branches"][0]["settings"].update(scenario="quadratic"), "branch 1 is of scenario 'quadratic'"),
    (lambda d: d["branches"][0]["trainer"].pop("lr"), "lacks 'lr'"),
    (lambda d: d.update(branches=[d["branches"][0]] * 17), "its branches are damaged (at most 16)"),
    (lambda d: d.update(branches="x"), "its branches are damaged"),
])
def test_a_damaged_branch_is_refused_with_its_reason(tmp_path, edit, message):
    from gdsim.core.files.session import save_session

    a = trainer_for(scenario="fruit")
    a.run(3)
    b = trainer_for(scenario="fruit")
    b.run(2)
    path = tmp_path / "b.gdsim"
    save_session(path, a, a.settings, get_scenario("fruit"), {}, branches=[("main", b)])
    rewrite(path, edit_doc=edit)
    with pytest.raises(GdsimError, match=re.escape(message)):
        load_session(path)


def test_a_branch_whose_arrays_are_missing_is_refused(tmp_path):
    import zipfile

    from gdsim.core.files.session import save_session

    a = trainer_for(scenario="fruit")
    b = trainer_for(scenario="fruit")
    b.run(2)
    path = tmp_path / "b.gdsim"
    save_session(path, a, a.settings, get_scenario("fruit"), {}, branches=[("main", b)])
    with zipfile.ZipFile(path) as z:
        kept = {n: z.read(n) for n in z.namelist() if n != "branch0.npz"}
    with zipfile.ZipFile(path, "w") as z:
        for n, data in kept.items():
            z.writestr(n, data)
    with pytest.raises(GdsimError, match="lacks branch0.npz"):
        load_session(path)


def test_saving_replaces_the_file_atomically(tmp_path, monkeypatch):
    a = trainer_for(scenario="fruit")
    a.run(2)
    path = save(tmp_path, a)
    before = path.read_bytes()
    a.run(5)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", disk_full)
    with pytest.raises(GdsimError, match="No space left"):
        save_session(path, a, a.settings, get_scenario("fruit"))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.gdsim"]  # no temporary file left behind


@pytest.fixture
def saved(tmp_path):
    a = trainer_for(scenario="digits")
    a.run(4)
    return save(tmp_path, a)


def error_of(path):
    with pytest.raises(GdsimError) as info:
        load_session(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_file_from_a_newer_gdsim_says_so(saved):
    rewrite(saved, edit_doc=lambda d: d.update(version=VERSION + 1, gdsim="9.0"))
    msg = error_of(saved)
    assert "newer gdsim (9.0" in msg and f"format {VERSION + 1}" in msg and "update gdsim" in msg


@pytest.mark.parametrize("case, expected", [
    (dict(drop="arrays.npz"), "not a gdsim session"),
    (dict(drop="session.json"), "not a gdsim session"),
    (dict(edit_doc=lambda d: d.update(format="other")), "not a gdsim session"),
    (dict(edit_doc=lambda d: d.pop("version")), "no format version"),
    (dict(edit_doc=lambda d: d["settings"].update(lr=-1.0)), "learning rate must be > 0"),
    (dict(edit_doc=lambda d: d["settings"].update(bogus=1)), "unknown settings: 'bogus'"),
    (dict(edit_doc=lambda d: d["scenario"].update(name="nope")), "unknown scenario 'nope'"),
    (dict(edit_doc=lambda d: d.pop("trainer")), "damaged"),
    (dict(edit_arrays=lambda a: a.update(values=a["values"][:10])), "array 'values' is float64 of shape (10,), not float64 of shape (785,)"),
    (dict(edit_arrays=lambda a: a.pop("history.loss")), "damaged"),
    (dict(edit_arrays=lambda a: a.update({"history.loss": a["history.loss"][:2]})), "history column 'loss' has 2 rows, not 4"),
    (dict(edit_arrays=lambda a: a.update({"sampler.order": a["sampler.order"] * 0})), "not a permutation"),
    (dict(edit_arrays=lambda a: a.update({"trace.indices": a["trace.indices"] + 10_000})), "weights this model does not have"),
])
def test_damaged_sessions_are_refused_with_a_clear_message(saved, case, expected):
    rewrite(saved, **case)
    assert expected in error_of(saved)


def test_not_a_session_at_all(tmp_path):
    (tmp_path / "a.gdsim").write_text("hello")
    assert "not a zip archive" in error_of(tmp_path / "a.gdsim")
    assert "does not exist" in error_of(tmp_path / "missing.gdsim")
    assert "is a folder" in error_of(tmp_path)
    with zipfile.ZipFile(tmp_path / "b.gdsim", "w") as z:
        z.writestr("session.json", "{not json")
        z.writestr("arrays.npz", b"")
    assert "not valid JSON" in error_of(tmp_path / "b.gdsim")


VALID = None


def valid_bytes(tmp_path_factory):
    global VALID
    if VALID is None:
        a = trainer_for(scenario="micrograd")
        a.run(3)
        path = tmp_path_factory.mktemp("valid") / "v.gdsim"
        save_session(path, a, a.settings, get_scenario("micrograd"))
        VALID = path.read_bytes()
    return VALID


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_corrupted_sessions_give_a_clear_error_or_a_correct_session(tmp_path_factory, data):
    good = valid_bytes(tmp_path_factory)
    kind = data.draw(st.sampled_from(["flip", "truncate", "junk", "random"]))
    b = bytearray(good)
    if kind == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(b) - 1))
            b[i] ^= data.draw(st.integers(1, 255))
    elif kind == "truncate":
        b = b[: data.draw(st.integers(0, len(b) - 1))]
    elif kind == "junk":
        i = data.draw(st.integers(0, len(b)))
        b[i:i] = data.draw(st.binary(min_size=1, max_size=64))
    else:
        b = bytearray(data.draw(st.binary(max_size=2048)))
    path = tmp_path_factory.mktemp("fuzz") / "f.gdsim"
    path.write_bytes(bytes(b))
    try:
        s = load_session(path)
    except GdsimError as exc:
        assert "\n" not in str(exc)
    else:
        # It read: then it must be a usable, consistent run.
        assert s.trainer.step_count == len(s.trainer.history)
        s.trainer.run(1)
    assert path.read_bytes() == bytes(b)  # reading never changes the file


def test_pinned_runs_are_saved_with_the_session(tmp_path):
    from gdsim.core.record.curves import run_curves, thinned

    a = trainer_for(scenario="quadratic")
    a.run(30)
    b = trainer_for(scenario="quadratic")
    b.run(12)
    pin = thinned(run_curves("main", b, 0, "params[0] (a)"))
    pin = dataclasses.replace(pin, predictions=np.arange(20.0), curve_predictions=np.linspace(0, 1, 200))
    path = tmp_path / "pins.gdsim"
    save_session(path, a, a.settings, get_scenario("quadratic"), {}, pins=[pin])
    (loaded,) = load_session(path).pins
    assert (loaded.name, loaded.weight, loaded.settings) == (pin.name, pin.weight, pin.settings)
    for key in ("steps", "loss", "grad_norm", "weight_steps", "weight_values", "predictions", "curve_predictions"):
        np.testing.assert_array_equal(getattr(loaded, key), getattr(pin, key), err_msg=key)


@pytest.mark.parametrize("edit_doc, edit_arrays, message", [
    (lambda d: d["pins"][0].update(weight=3), None, "pinned run 1's weight is not a text"),
    (lambda d: d.update(pins=[d["pins"][0]] * 6), None, "its pinned runs are damaged (at most 5)"),
    (lambda d: d["pins"][0]["settings"].update(scenario="fruit"), None, "pinned run 1 is of scenario 'fruit'"),
])
def test_damaged_pins_are_refused_with_their_reason(tmp_path, edit_doc, edit_arrays, message):
    from gdsim.core.record.curves import run_curves

    a = trainer_for(scenario="quadratic")
    a.run(5)
    path = tmp_path / "pins.gdsim"
    save_session(path, a, a.settings, get_scenario("quadratic"), {}, pins=[run_curves("main", a, 0, "a")])
    rewrite(path, edit_doc=edit_doc)
    with pytest.raises(GdsimError, match=re.escape(message)):
        load_session(path)


def test_pinned_curves_out_of_order_are_refused(tmp_path):
    import io

    from gdsim.core.record.curves import run_curves

    a = trainer_for(scenario="quadratic")
    a.run(5)
    path = tmp_path / "pins.gdsim"
    save_session(path, a, a.settings, get_scenario("quadratic"), {}, pins=[run_curves("main", a, 0, "a")])
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    with np.load(io.BytesIO(members["pins.npz"])) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["0.steps"] = arrays["0.steps"][::-1].copy()
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    members["pins.npz"] = buf.getvalue()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    with pytest.raises(GdsimError, match="the curves of pinned run 'main' do not fit together"):
        load_session(path)


def test_a_pin_of_another_model_is_saved_without_its_tensors_norms(tmp_path):
    from gdsim.core.record.curves import run_curves

    linear = trainer_for(scenario="digits")
    linear.run(3)
    mlp = trainer_for(scenario="digits", model="mlp")
    mlp.run(2)
    path = tmp_path / "mixed.gdsim"
    save_session(path, mlp, mlp.settings, get_scenario("digits"), {}, pins=[run_curves("main", linear, 0, "w")])
    (pin,) = load_session(path).pins
    assert pin.tensor_norms is None and len(pin.loss) == 3

