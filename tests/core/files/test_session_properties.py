"""Properties of the session schema (hypothesis).

Any run saved is read back bit for bit and continues as it would have. Any change to any field
of session.json or to any array of arrays.npz ends, through `gdsim run --session`, in a run
(exit 0 or 3) or in one line and exit 2: never a traceback, never more than a fixed memory bound.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from session_helpers import contents, save, trainer_for, write_session

from gdsim.cli import main
from gdsim.core.data.dataset import Dataset
from gdsim.core.files.session import load_session
from gdsim.core.scenarios import custom_scenario
from gdsim.core.settings import Settings

MEMORY_BOUND = 60 * 2**20
SAFE_LR = {"sgd": None, "momentum": 1e-6, "nesterov": 1e-6, "adagrad": 0.01, "rmsprop": 0.001, "adam": 0.001}


def assert_same_state(a, b):
    sa, aa = a.get_state()
    sb, ab = b.get_state()
    assert sa == sb
    assert aa.keys() == ab.keys()
    for key in aa:
        assert aa[key].dtype == ab[key].dtype and aa[key].shape == ab[key].shape, key
        np.testing.assert_array_equal(aa[key], ab[key], err_msg=key)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=st.sampled_from(["fruit", "quadratic", "micrograd", "parabola", "digits"]),
       optimizer=st.sampled_from(list(SAFE_LR)), zero_grad=st.booleans(), steps=st.integers(0, 12),
       seed=st.integers(0, 2**63 - 1), l2=st.sampled_from([0.0, 0.01]))
def test_any_saved_run_reads_back_bit_for_bit_and_continues_alike(tmp_path_factory, scenario, optimizer, zero_grad,
                                                                  steps, seed, l2):
    lr = SAFE_LR[optimizer] if scenario != "parabola" else 0.1
    a = trainer_for(scenario=scenario, optimizer=optimizer, lr=lr, zero_grad=zero_grad, seed=seed, l2=l2)
    a.run(steps)
    path = save(tmp_path_factory.mktemp("round"), a)
    b = load_session(path).trainer
    assert_same_state(a, b)
    a.run(3)
    b.run(3)
    assert_same_state(a, b)


# ----- corruptions ------------------------------------------------------------------------------------------

def _sessions(tmp_path_factory):
    """Three saved runs whose files cover every field: Adam with a trace, mini-batches, your own data."""
    folder = tmp_path_factory.mktemp("bases")
    a = trainer_for(scenario="micrograd", optimizer="adam", lr=0.01)
    a.run(4)
    b = trainer_for(scenario="digits", optimizer="momentum", lr=0.1, zero_grad=False)
    b.run(3)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(30, 2))
    data = Dataset(x[:24], (x[:24, :1] > 0).astype(float), x[24:], (x[24:, :1] > 0).astype(float),
                   input_names=("a", "b"), target_names=("c",), task="binary")
    own = custom_scenario(data, "csv:points", "points.csv")
    c = own.build(Settings(scenario="csv:points", model="mlp:4", steps=0), track_tensor_norms=True)
    c.run(5)
    return [contents(save(folder, t, f"{i}.gdsim", scenario=s))
            for i, (t, s) in enumerate([(a, None), (b, None), (c, own)])]


BASES = None


def bases(tmp_path_factory):
    global BASES
    if BASES is None:
        BASES = _sessions(tmp_path_factory)
    return BASES


def paths(value, prefix=()):
    """Every place in a JSON document: (path, value), containers and leaves alike."""
    yield prefix, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, prefix + (i,))


def json_values():
    leaves = st.one_of(st.none(), st.booleans(), st.integers(-2**130, 2**130), st.sampled_from([10**4000 // 10**3900]),
                       st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                       st.sampled_from([{"float": "inf"}, {"float": "nan"}, "PCG64", "adam", "csv:x", "digits"]))
    nested = st.integers(1, 700).map(lambda depth: eval("[" * depth + "]" * depth) if depth < 90 else None)
    return st.one_of(leaves, nested, st.recursive(leaves, lambda inner: st.lists(inner, max_size=3) |
                                                  st.dictionaries(st.text(max_size=8), inner, max_size=3),
                                                  max_leaves=6))


def arrays_for(dtype_names):
    def build(args):
        dtype, shape, fill = args
        a = np.zeros(shape, dtype=dtype)
        if a.size and dtype.kind in "fc":
            a.flat[0] = fill
        elif a.size and dtype.kind in "iu":
            a.flat[0] = int(fill) % 100 if math.isfinite(fill) else 7
        return a
    return st.tuples(st.sampled_from([np.dtype(d) for d in dtype_names]),
                     st.lists(st.integers(0, 6), max_size=3).map(tuple),
                     st.floats(allow_nan=True, allow_infinity=True, width=32)).map(build)


ARRAYS = arrays_for(["<f8", ">f8", "<f4", "<i8", "<i4", "|u1", "|b1", "<c16", "<f16"])


@st.composite
def corruption(draw, tmp_path_factory):
    doc, arrays = draw(st.sampled_from(range(3)).map(lambda i: bases(tmp_path_factory)[i]))
    doc = __import__("copy").deepcopy(doc)
    arrays = dict(arrays)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["replace", "delete", "add", "array", "drop-array", "scale-array"]))
        if kind in ("replace", "delete", "add"):
            places = [p for p, _ in paths(doc) if p]
            path = draw(st.sampled_from(places))
            parent = doc
            for key in path[:-1]:
                parent = parent[key]
            if kind == "replace":
                parent[path[-1]] = draw(json_values())
            elif kind == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(st.text(max_size=8))] = draw(json_values())
        else:
            name = draw(st.sampled_from(sorted(arrays)))
            if kind == "array":
                arrays[name] = draw(ARRAYS)
            elif kind == "drop-array":
                del arrays[name]
            else:
                factor = draw(st.sampled_from([-1, 0, 2, 10**6, np.nan, np.inf, 1e308]))
                with np.errstate(all="ignore"):
                    arrays[name] = (arrays[name].astype(np.int64) * factor if arrays[name].dtype.kind in "iu"
                                    and isinstance(factor, int) else arrays[name] * factor)
    return doc, arrays


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_corrupted_field_or_array_ends_in_one_line_or_a_run(capsys, tmp_path_factory, data):
    doc, arrays = data.draw(corruption(tmp_path_factory))
    path = tmp_path_factory.mktemp("bad") / "s.gdsim"
    try:
        write_session(path, doc, arrays)
    except (ValueError, TypeError, OverflowError, RecursionError):
        reject()  # json or numpy cannot write this corruption: not a file anyone could make
    capsys.readouterr()
    tracemalloc.start()
    try:
        rc = main(["run", "--session", str(path), "--steps", "2", "--quiet"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    out, err = capsys.readouterr()
    assert rc in (0, 2, 3), (rc, err)
    if rc == 2:
        assert err.startswith("gdsim: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and out == ""
    assert peak < MEMORY_BOUND, peak
