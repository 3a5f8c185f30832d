"""Weights files: round trips, and a clear GdsimError for every kind of bad file."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdsim.core.errors import GdsimError
from gdsim.core.files.weights import read_weights, save_weights
from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings


def specs(scenario="fruit", **kw):
    return build_trainer(Settings(scenario=scenario, **kw)).params.specs


FRUIT = {"weight": np.arange(6.0).reshape(2, 3) - 2.5, "bias": np.array([0.25, -4.0])}


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def read_error(path, spec=None) -> str:
    with pytest.raises(GdsimError) as exc:
        read_weights(path, spec or specs())
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


# ----- round trips ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("scenario,model", [
    ("fruit", None), ("quadratic", None), ("micrograd", None), ("digits", None), ("digits", "mlp"), ("parabola", None),
])
def test_save_read_round_trip(tmp_path, scenario, model):
    t = build_trainer(Settings(scenario=scenario, model=model, steps=3))
    t.run()
    state = t.params.state_dict()
    path = tmp_path / "w.npz"
    save_weights(path, state)
    back = read_weights(path, t.params.specs)
    assert list(back) == list(state)
    for k in state:
        assert back[k].dtype == np.float64 and back[k].shape == state[k].shape
        np.testing.assert_array_equal(back[k], state[k])
    # What was saved is a plain npz that numpy (and so PyTorch users) read directly.
    with np.load(path) as f:
        assert sorted(f.files) == sorted(state)
    # And loading it into a fresh trainer gives the same weights.
    fresh = build_trainer(Settings(scenario=scenario, model=model, seed=123))
    fresh.set_initial_weights(back)
    np.testing.assert_array_equal(fresh.params.values, t.params.values)


def test_save_overwrites_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "w.npz"
    save_weights(path, FRUIT)
    save_weights(path, {"weight": FRUIT["weight"] * 2, "bias": FRUIT["bias"]})
    np.testing.assert_array_equal(read_weights(path, specs())["weight"], FRUIT["weight"] * 2)
    assert os.listdir(tmp_path) == ["w.npz"]


def test_save_keeps_the_name_it_is_given(tmp_path):
    save_weights(tmp_path / "weights.bin", FRUIT)  # numpy.savez would add .npz to a name
    assert os.listdir(tmp_path) == ["weights.bin"]
    np.testing.assert_array_equal(read_weights(tmp_path / "weights.bin", specs())["bias"], FRUIT["bias"])


def test_integer_and_float32_arrays_are_accepted_as_float64(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, weight=np.arange(6, dtype=np.int32).reshape(2, 3), bias=np.array([1.5, 2.5], np.float32))
    back = read_weights(path, specs())
    assert back["weight"].dtype == np.float64 and back["bias"].dtype == np.float64
    np.testing.assert_array_equal(back["weight"], np.arange(6.0).reshape(2, 3))


def test_file_written_by_numpy_savez_with_any_name(tmp_path):
    path = tmp_path / "from_torch.weights"  # no .npz suffix: the contents decide
    path.write_bytes(npz_bytes(**FRUIT))
    np.testing.assert_array_equal(read_weights(path, specs())["bias"], FRUIT["bias"])


def test_compressed_npz_is_accepted(tmp_path):
    path = tmp_path / "w.npz"
    np.savez_compressed(path, **FRUIT)
    np.testing.assert_array_equal(read_weights(path, specs())["weight"], FRUIT["weight"])


def test_save_to_a_missing_folder_or_a_folder_fails_cleanly(tmp_path):
    with pytest.raises(GdsimError, match="cannot write"):
        save_weights(tmp_path / "nope" / "w.npz", FRUIT)
    with pytest.raises(GdsimError, match="it is a folder"):
        save_weights(tmp_path, FRUIT)


def test_failed_save_keeps_the_old_file(tmp_path):
    path = tmp_path / "w.npz"
    save_weights(path, FRUIT)
    before = path.read_bytes()

    class Boom:
        def __array__(self, *a, **k):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        save_weights(path, {"weight": Boom()})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.npz"]


# ----- bad files ------------------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    path = tmp_path / "none.npz"
    msg = read_error(path)
    assert msg == f"weights file {str(path)!r} does not exist"


def test_folder(tmp_path):
    assert read_error(tmp_path) == f"weights file {str(tmp_path)!r} is a folder, not a file"


@pytest.mark.parametrize("content", [b"weight,bias\n1,2\n", b"", b"PK", b"\x00" * 100])
def test_not_a_zip(tmp_path, content):
    path = tmp_path / "w.npz"
    path.write_bytes(content)
    msg = read_error(path)
    assert "is not an .npz weights file" in msg and str(path) in msg


def test_single_npy(tmp_path):
    path = tmp_path / "w.npy"
    np.save(path, FRUIT["weight"])
    msg = read_error(path)
    assert "holds a single array" in msg and "weight, bias" in msg
    # Renaming it .npz does not fool the check.
    renamed = tmp_path / "w.npz"
    path.rename(renamed)
    assert "holds a single array" in read_error(renamed)


def test_pickled_object_array(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, weight=np.array([[1, 2, 3], [4, 5, 6]], dtype=object), bias=FRUIT["bias"])
    msg = read_error(path)
    assert "'weight'" in msg and "cannot read parameter" in msg
    assert "Python objects" in msg


def test_missing_parameter_is_named(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, weight=FRUIT["weight"])
    assert read_error(path) == f"{str(path)!r} has no parameter 'bias' (it has: weight)"


def test_empty_npz(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path)
    assert read_error(path) == f"{str(path)!r} has no parameter 'weight' (it has: nothing)"


def test_extra_parameter_is_named(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, **FRUIT, momentum=np.zeros(3))
    msg = read_error(path)
    assert "'momentum'" in msg and "which this model does not have" in msg and "weight, bias" in msg


def test_wrong_shape_names_parameter_and_both_shapes(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, weight=FRUIT["weight"].T, bias=FRUIT["bias"])
    assert read_error(path) == (f"parameter 'weight' has shape (3, 2) in {str(path)!r}, "
                                f"but the model needs (2, 3)")


def test_wrong_shape_of_a_vector_and_a_scalar(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, weight=FRUIT["weight"], bias=np.zeros(3))
    assert "'bias' has shape (3,)" in read_error(path) and "needs (2,)" in read_error(path)
    np.savez(path, x=np.array([3.0]))
    msg = read_error(path, specs("parabola"))
    assert "'x' has shape (1,)" in msg and "needs ()" in msg


def test_wrong_shape_mlp_names_the_layer(tmp_path):
    t = build_trainer(Settings(scenario="micrograd"))
    state = t.params.state_dict()
    state["layers.1.weight"] = np.zeros((4, 5))
    path = tmp_path / "w.npz"
    np.savez(path, **state)
    msg = read_error(path, t.params.specs)
    assert "'layers.1.weight' has shape (4, 5)" in msg and "needs (4, 4)" in msg


@pytest.mark.parametrize("bad", [
    np.array([["a", "b", "c"], ["d", "e", "f"]]),
    np.zeros((2, 3), dtype=complex),
    np.ones((2, 3), dtype=bool),
    np.zeros((2, 3), dtype=[("a", "f8")]),
], ids=["str", "complex", "bool", "structured"])
def test_non_numeric_dtype(tmp_path, bad):
    path = tmp_path / "w.npz"
    np.savez(path, weight=bad, bias=FRUIT["bias"])
    msg = read_error(path)
    assert "parameter 'weight'" in msg and "is not real numbers" in msg and str(bad.dtype) in msg


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_values(tmp_path, value):
    path = tmp_path / "w.npz"
    w = FRUIT["weight"].copy()
    w[1, 2] = value
    np.savez(path, weight=w, bias=FRUIT["bias"])
    assert read_error(path) == f"parameter 'weight' in {str(path)!r} contains NaN or infinite values"


def longdouble_overflow_file(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, weight=np.full((2, 3), np.longdouble("1e4000"), dtype=np.longdouble), bias=FRUIT["bias"])
    if not np.isfinite(np.load(path)["weight"]).all():
        pytest.skip("longdouble is float64 on this platform")
    return path


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_values_that_overflow_float64(tmp_path):
    path = longdouble_overflow_file(tmp_path)
    assert "contains NaN or infinite values" in read_error(path)


@pytest.mark.filterwarnings("error")
def test_values_that_overflow_float64_warn_nothing(tmp_path):
    path = longdouble_overflow_file(tmp_path)
    assert "contains NaN or infinite values" in read_error(path)


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9, 0.99])
def test_truncated_zip(tmp_path, keep):
    data = npz_bytes(**FRUIT)
    path = tmp_path / "w.npz"
    path.write_bytes(data[: int(len(data) * keep)])
    # The end of a zip holds its directory: without it, it is no zip at all.
    assert read_error(path) == f"{str(path)!r} is not an .npz weights file (it is not a zip archive of arrays)"


def test_corrupted_member_data(tmp_path):
    data = bytearray(npz_bytes(**FRUIT))
    # Flip a byte in the middle of the first array's numbers: the zip's CRC no longer matches.
    i = data.index(b"\x00\x00\x00\x00\x00\x00\x04\xc0")  # -2.5 as little-endian float64
    data[i + 7] ^= 0xFF
    path = tmp_path / "w.npz"
    path.write_bytes(bytes(data))
    msg = read_error(path)
    assert "cannot read parameter 'weight'" in msg


def test_zip_with_junk_prepended(tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(b"junk" + npz_bytes(**FRUIT))
    assert "is not an .npz weights file" in read_error(path)


@pytest.mark.parametrize("names", [("weight", "bias"), ("weight.npy", "bias.npy")])
def test_zip_of_non_array_members(tmp_path, names):
    path = tmp_path / "w.npz"
    with zipfile.ZipFile(path, "w") as z:
        for n in names:
            z.writestr(n, "1,2,3\n4,5,6\n")
    msg = read_error(path)
    assert "'weight'" in msg


def with_bad_extract_version(data: bytes) -> bytes:
    """The central directory says a newer zip version is needed to extract the first member."""
    b = bytearray(data)
    cd = b.index(b"PK\x01\x02")
    b[cd + 6] = 100  # "version needed to extract" = 10.0, above what zipfile supports
    return bytes(b)


def test_zip_needing_an_unsupported_version(tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(with_bad_extract_version(npz_bytes(**FRUIT)))
    assert "is not an .npz weights file" in read_error(path)


# ----- properties --------------------------------------------------------------------------------------

VALID = npz_bytes(**FRUIT)
FRUIT_SPECS = specs()


def read_is_clean(path) -> None:
    """Reading either succeeds with the right shapes or raises GdsimError; the file is untouched."""
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    try:
        state = read_weights(path, FRUIT_SPECS)
    except GdsimError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert {k: v.shape for k, v in state.items()} == {"weight": (2, 3), "bias": (2,)}
        assert all(np.isfinite(v).all() for v in state.values())
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == mtime


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=600),
    st.binary(max_size=600).map(lambda b: b"PK\x03\x04" + b),
    st.binary(max_size=600).map(lambda b: b"\x93NUMPY" + b),
))
def test_random_bytes_only_ever_give_gdsim_error(tmp_path, data):
    path = tmp_path / "random.npz"
    path.write_bytes(data)
    with pytest.raises(GdsimError):
        read_weights(path, FRUIT_SPECS)
    assert path.read_bytes() == data


def corruptions():
    n = len(VALID)
    flip = st.tuples(st.just("set"), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 255)),
                                                min_size=1, max_size=4))
    cut = st.tuples(st.just("cut"), st.integers(0, n - 1))
    splice = st.tuples(st.just("splice"), st.tuples(st.integers(0, n - 1), st.binary(min_size=1, max_size=16)))
    return st.one_of(flip, cut, splice)


def corrupt(kind, arg) -> bytes:
    b = bytearray(VALID)
    if kind == "set":
        for i, v in arg:
            b[i] = v
    elif kind == "cut":
        b = b[:arg]
    else:
        i, junk = arg
        b[i:i + len(junk)] = junk
    return bytes(b)


# derandomize: the examples are the same on every run, so this test cannot be flaky.
@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(c=corruptions())
def test_corrupted_valid_files_only_ever_give_gdsim_error(tmp_path, c):
    path = tmp_path / "corrupt.npz"
    path.write_bytes(corrupt(*c))
    read_is_clean(path)


def test_valid_file_reads_clean(tmp_path):
    path = tmp_path / "ok.npz"
    path.write_bytes(VALID)
    read_is_clean(path)
    np.testing.assert_array_equal(read_weights(path, FRUIT_SPECS)["weight"], FRUIT["weight"])


# ----- hostile files: bounded before anything is decompressed or allocated ------------------------------

def traced_peak(fn):
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_header_claiming_a_billion_numbers_is_refused_before_allocating(tmp_path):
    import struct

    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 1000000), }"
    header += b" " * (118 - len(header)) + b"\n"
    path = tmp_path / "w.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("weight.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + bytes(48))
        z.writestr("bias.npy", npz_member(FRUIT["bias"]))
    messages = []
    peak = traced_peak(lambda: messages.append(read_error(path)))
    assert messages == [f"parameter 'weight' has shape (1000, 1000000) in {str(path)!r}, but the model needs (2, 3)"]
    assert peak < 8 * 2**20


def npz_member(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def test_a_member_that_expands_to_hundreds_of_megabytes_is_refused_unread(tmp_path):
    path = tmp_path / "w.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("weight.npy", "w", force_zip64=True) as fh:
            fh.write(npz_member(FRUIT["weight"]))
            for _ in range(300):
                fh.write(bytes(1 << 20))
        z.writestr("bias.npy", npz_member(FRUIT["bias"]))
    messages = []
    peak = traced_peak(lambda: messages.append(read_error(path)))
    assert "cannot read parameter 'weight'" in messages[0] and "would expand to 314.6 MB" in messages[0]
    assert peak < 8 * 2**20


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_not_read(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    assert read_error(device) == f"cannot read weights file {device!r}: it is not a regular file (a device, FIFO or socket)"


def test_a_malformed_header_is_called_damaged_in_words(tmp_path):
    import struct

    header = b"{'descr': __import__('os').getcwd(), 'fortran_order': False, 'shape': (2, 3), }"
    header += b" " * (127 - len(header) % 64) + b"\n"
    path = tmp_path / "w.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("weight.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + bytes(48))
        z.writestr("bias.npy", npz_member(FRUIT["bias"]))
    msg = read_error(path)
    assert "header is damaged" in msg and "ast." not in msg and "object at" not in msg
