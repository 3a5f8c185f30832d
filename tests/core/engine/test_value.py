"""The scalar autograd engine (gdsim.core.engine.value): every operation against finite differences,
the chain rule it records, and the accumulation rule it shares with PyTorch."""

from __future__ import annotations

import math
import sys

import pytest
from value_cases import CASES, VALUE_OPS, value_result

from gdsim.core.engine.value import Value, backward_steps, graph_data, topological_order


def _at(case, name=None, x=None):
    """The case's output with leaf ``name`` moved to ``x`` (no leaf moved: the output itself)."""
    leaves = {n: Value(x if n == name else v) for n, v in case.leaves.items()}
    return case.fn(leaves, VALUE_OPS).data


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_gradient_matches_a_central_difference(case):
    out, grads = value_result(case)
    assert out == _at(case)
    for name, x in case.leaves.items():
        h = 1e-6 * max(1.0, abs(x))
        slope = (_at(case, name, x + h) - _at(case, name, x - h)) / (2 * h)
        assert grads[name] == pytest.approx(slope, rel=1e-6, abs=1e-8), name


def chain_rule_graph():
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    out = d * f
    out.label = "L"
    return {"a": a, "b": b, "c": c, "f": f, "e": e, "d": d, "L": out}


def test_the_article_s_expression_gives_the_article_s_numbers():
    v = chain_rule_graph()
    v["L"].backward()
    assert v["L"].data == -8.0
    assert {k: n.grad for k, n in v.items()} == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0,
                                                  "L": 1.0}
    assert [v["L"].op, v["d"].op, v["e"].op, v["a"].op] == ["*", "+", "*", ""]
    assert v["L"].children == (v["d"], v["f"]) and v["e"].children == (v["a"], v["b"])


def test_backward_twice_adds_the_gradients_again_like_pytorch():
    # PyTorch (retain_graph=True, retain_grad() on e, d and L) gives exactly these: every .grad
    # doubles. micrograd would give a: 24, because it passes e's accumulated -4 on the second time.
    v = chain_rule_graph()
    v["L"].backward()
    v["L"].backward()
    assert {k: n.grad for k, n in v.items()} == {"a": 12.0, "b": -8.0, "c": -4.0, "f": 8.0, "e": -4.0, "d": -4.0,
                                                  "L": 2.0}
    assert v["a"].pass_grad == 6.0  # what this pass alone contributed


def test_a_new_graph_on_the_same_leaves_accumulates_as_a_training_loop_without_zeroing():
    a = Value(3.0, label="a")
    (a * a).backward()
    (a * a).backward()
    assert a.grad == 12.0
    a.grad = 0.0  # zeroing, as p.grad = 0 in micrograd's loop
    (a * a).backward()
    assert a.grad == 6.0


def test_backward_from_an_upstream_gradient():
    a = Value(2.0)
    (a * 5).backward(0.5)
    assert a.grad == 2.5


def test_numbers_on_either_side_become_constant_leaves():
    a = Value(4.0)
    assert (2 + a).data == 6.0 and (a + 2).data == 6.0
    assert (10 - a).data == 6.0 and (a - 10).data == -6.0
    assert (3 * a).data == 12.0 and (a * 3).data == 12.0
    assert (2 / a).data == 0.5 and (a / 2).data == 2.0
    assert (a**2).data == 16.0 and (-a).data == -4.0
    out = 2 * a
    assert out.children[0] is a and out.children[1].data == 2.0 and out.children[1].op == ""


def test_operation_names_are_micrograd_s():
    a = Value(0.5)
    assert [(a + 1).op, (a * 2).op, (a**3).op, a.tanh().op, a.exp().op, a.relu().op] == \
        ["+", "*", "**3", "tanh", "exp", "ReLU"]
    # micrograd composes - and / from + * and **: a - b is a + (b * -1), a / b is a * b**-1.
    b = Value(2.0)
    assert (a - b).op == "+" and (a - b).children[1].op == "*"
    assert (a / b).op == "*" and (a / b).children[1].op == "**-1"


def test_relu_passes_no_gradient_at_or_below_zero():
    for x, grad in ((-1.0, 0.0), (0.0, 0.0), (2.0, 1.0)):
        a = Value(x)
        out = a.relu()
        out.backward()
        assert out.data == max(x, 0.0) and a.grad == grad


def test_powers_must_be_numbers():
    with pytest.raises(TypeError):
        Value(2.0) ** Value(3.0)


def test_overflow_gives_infinities_as_pytorch_does_not_micrograd_s_errors():
    assert Value(400.0).tanh().data == 1.0  # micrograd: exp(800) -> OverflowError: math range error
    assert Value(1000.0).exp().data == math.inf
    assert (Value(1e200) ** 2).data == math.inf and (Value(-1e200) ** 3).data == -math.inf
    assert (1 / Value(0.0)).data == math.inf
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)
    big = Value(1e300) * Value(1e300)  # plain float arithmetic overflows without an error
    big.backward()
    assert big.data == math.inf


def test_topological_order_puts_every_node_after_its_children():
    v = chain_rule_graph()
    order = topological_order(v["L"])
    assert [n.label for n in order] == ["a", "b", "e", "c", "d", "f", "L"]  # micrograd's build_topo order
    shared = Value(1.0)
    out = (shared * 2) + (shared * 3)
    order = topological_order(out)
    assert order.count(shared) == 1 and order[-1] is out


def test_a_deep_graph_needs_no_recursion():
    x = Value(0.0)
    out = x
    for _ in range(3 * sys.getrecursionlimit()):
        out = out + 1
    out.backward()
    assert out.data == 3 * sys.getrecursionlimit() and x.grad == 1.0


def test_chain_terms_are_the_backward_pass_edge_by_edge():
    v = chain_rule_graph()
    assert v["L"].chain_terms() == []
    v["L"].backward()
    terms = [(t.node.label, t.child.label, t.local, t.upstream, t.contribution) for t in v["L"].chain_terms()]
    assert terms == [("L", "d", -2.0, 1.0, -2.0), ("L", "f", 4.0, 1.0, 4.0),
                     ("d", "e", 1.0, -2.0, -2.0), ("d", "c", 1.0, -2.0, -2.0),
                     ("e", "a", -3.0, -2.0, 6.0), ("e", "b", 2.0, -2.0, -4.0)]


def test_backward_steps_write_the_chain_rule_with_the_numbers():
    v = chain_rule_graph()
    v["L"].backward()
    equations = [s["equation"] for s in backward_steps(v["L"])]
    assert equations == ["dL/dL = 1", "dL/df = dL/dL x dL/df = 1 x 4 = 4", "dL/dd = dL/dL x dL/dd = 1 x -2 = -2",
                         "dL/dc = dL/dd x dd/dc = -2 x 1 = -2", "dL/de = dL/dd x dd/de = -2 x 1 = -2",
                         "dL/db = dL/de x de/db = -2 x 2 = -4", "dL/da = dL/de x de/da = -2 x -3 = 6"]


def test_a_node_used_twice_sums_what_each_use_passes_back():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    y.backward()
    assert x.grad == 6.0
    assert backward_steps(y)[-1]["equation"] == "dy/dx = dy/dy x dy/dx + dy/dy x dy/dx = 1 x 3 + 1 x 3 = 6"


def test_graph_data_is_plain_and_drawable():
    v = chain_rule_graph()
    before = graph_data(v["L"])
    assert before["steps"] == [] and all(e["upstream"] is None for e in before["edges"])
    v["L"].backward()
    g = graph_data(v["L"])
    nodes = {n["name"]: n for n in g["nodes"]}
    assert g["root"] == nodes["L"]["id"] and g["nodes"][-1]["name"] == "L"
    assert {k: (n["op"], n["value"], n["grad"], n["depth"]) for k, n in nodes.items()} == {
        "a": ("", 2.0, 6.0, 0), "b": ("", -3.0, -4.0, 0), "c": ("", 10.0, -2.0, 0), "f": ("", -2.0, 4.0, 0),
        "e": ("*", -6.0, -2.0, 1), "d": ("+", 4.0, -2.0, 2), "L": ("*", -8.0, 1.0, 3)}
    assert nodes["e"]["children"] == [nodes["a"]["id"], nodes["b"]["id"]]
    edge = next(e for e in g["edges"] if e["node"] == nodes["d"]["id"] and e["child"] == nodes["e"]["id"])
    assert (edge["local"], edge["upstream"], edge["contribution"]) == (1.0, -2.0, -2.0)
    assert graph_data(chain_rule_graph()["L"])["nodes"][2]["id"] == g["nodes"][2]["id"]  # ids are stable
    unlabelled = graph_data(Value(1.0) + 2)
    assert [n["name"] for n in unlabelled["nodes"]] == ["n0", "n1", "n2"]


def test_the_value_module_is_pure_python():
    import gdsim.core.engine.value as value

    source = open(value.__file__).read()
    assert "import numpy" not in source and "PySide6" not in source
