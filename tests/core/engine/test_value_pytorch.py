"""The scalar ``Value`` engine against PyTorch (float64), to 1e-12 relative.

Stored numbers (tests/golden/value_pytorch.json, made by tests/make_value_golden.py) are
compared in every run, CI on a fresh clone included; the live comparisons run where torch is
installed and are skipped elsewhere (PyTorch is not a dependency of gdsim).
"""

from __future__ import annotations

import json

import pytest
from parity_cases import GOLDEN_DIR
from value_cases import CASES, torch_result, value_result

from gdsim.core.engine.value import Value

GOLDEN = GOLDEN_DIR / "value_pytorch.json"


def assert_same(got, want, what):
    out, grads = got
    w_out, w_grads = want
    assert out == pytest.approx(w_out, rel=1e-12, abs=1e-300), f"{what}: output"
    assert set(grads) == set(w_grads)
    for name in grads:
        assert grads[name] == pytest.approx(w_grads[name], rel=1e-12, abs=1e-300), f"{what}: d/d{name}"


@pytest.fixture(scope="module")
def golden():
    return json.loads(GOLDEN.read_text())


def test_the_stored_numbers_are_pytorch_s_for_every_case(golden):
    assert set(golden["cases"]) == {case.id for case in CASES}, "regenerate them: see tests/make_value_golden.py"
    assert golden["about"].startswith("PyTorch ")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_value_matches_pytorch_s_stored_numbers(golden, case):
    stored = golden["cases"][case.id]
    assert_same(value_result(case), (stored["value"], stored["grads"]), case.id)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_value_matches_pytorch_live(case):
    pytest.importorskip("torch")
    assert_same(value_result(case), torch_result(case), case.id)


def test_backward_twice_accumulates_every_grad_as_pytorch_does():
    torch = pytest.importorskip("torch")
    leaves = {k: torch.tensor(x, dtype=torch.float64, requires_grad=True)
              for k, x in {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}.items()}
    e = leaves["a"] * leaves["b"]
    d = e + leaves["c"]
    out = d * leaves["f"]
    for t in (e, d, out):
        t.retain_grad()
    values = {k: Value(t.item(), label=k) for k, t in leaves.items()}
    ve = values["a"] * values["b"]
    vd = ve + values["c"]
    vout = vd * values["f"]
    for _ in range(2):
        out.backward(retain_graph=True)
        vout.backward()
    for t, v in [*zip(leaves.values(), values.values()), (e, ve), (d, vd), (out, vout)]:
        assert v.grad == t.grad.item()
