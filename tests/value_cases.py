"""Expressions for testing the scalar ``Value`` engine, written once for any engine.

Each case is a function of its leaves and an ``ops`` namespace (``tanh``, ``exp``, ``relu``);
the arithmetic is Python's operators with plain numbers on either side, so the same case runs
on ``gdsim.core.engine.value.Value`` (``VALUE_OPS``) and on PyTorch tensors (``torch_ops()``).
Leaf values keep clear of kinks (relu at 0), so finite differences are meaningful.

Used by tests/core/engine/test_value.py (finite differences), tests/core/engine/test_value_pytorch.py (PyTorch, live
and stored) and tests/make_value_golden.py (which stores PyTorch's numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

from gdsim.core.engine.value import Value

VALUE_OPS = SimpleNamespace(tanh=lambda x: x.tanh(), exp=lambda x: x.exp(), relu=lambda x: x.relu())


def torch_ops():
    import torch

    return SimpleNamespace(tanh=torch.tanh, exp=torch.exp, relu=torch.relu)


@dataclass(frozen=True)
class Case:
    id: str
    leaves: dict[str, float]
    fn: Callable  # fn(leaves: dict, ops) -> output


def _neuron(v, ops):
    return ops.tanh(v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"])


def _neuron_by_exp(v, ops):
    e = ops.exp(2 * (v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]))
    return (e - 1) / (e + 1)


def _tiny_mlp(v, ops):
    """2-2-1 tanh network on two examples, sum of squared errors (micrograd's training loss)."""
    loss = 0
    for (x1, x2), y in (((1.0, -2.0), 1.0), ((0.5, 3.0), -1.0)):
        h1 = ops.tanh(v["w11"] * x1 + v["w12"] * x2 + v["b1"])
        h2 = ops.tanh(v["w21"] * x1 + v["w22"] * x2 + v["b2"])
        out = ops.tanh(v["u1"] * h1 + v["u2"] * h2 + v["c"])
        loss = loss + (out - y) ** 2
    return loss


NEURON = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}  # Karpathy's o = 0.7071

CASES = [
    Case("chain_rule", {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}, lambda v, ops: (v["a"] * v["b"] + v["c"]) * v["f"]),
    Case("add_numbers_either_side", {"a": 1.5}, lambda v, ops: 3 + v["a"] + 2.5),
    Case("sub", {"a": 1.5, "b": -0.25}, lambda v, ops: v["a"] - v["b"]),
    Case("sub_numbers_either_side", {"a": 1.5}, lambda v, ops: (5 - v["a"]) * (v["a"] - 0.5)),
    Case("mul_numbers_either_side", {"a": -1.25}, lambda v, ops: 2 * v["a"] * 3),
    Case("div", {"a": 1.5, "b": -0.4}, lambda v, ops: v["a"] / v["b"]),
    Case("div_numbers_either_side", {"a": 1.5}, lambda v, ops: 3 / v["a"] + v["a"] / 4),
    Case("pow_int", {"a": 1.7}, lambda v, ops: v["a"] ** 3),
    Case("pow_negative", {"a": -1.7}, lambda v, ops: v["a"] ** -2),
    Case("pow_fraction", {"a": 1.7}, lambda v, ops: v["a"] ** 0.5 + v["a"] ** 2.5),
    Case("neg", {"a": 0.3, "b": 2.0}, lambda v, ops: -v["a"] * v["b"]),
    Case("tanh", {"a": 0.8}, lambda v, ops: ops.tanh(v["a"])),
    Case("tanh_negative", {"a": -2.3}, lambda v, ops: ops.tanh(v["a"])),
    Case("exp", {"a": 1.3}, lambda v, ops: ops.exp(v["a"]) + ops.exp(-v["a"])),
    Case("relu_positive", {"a": 1.2}, lambda v, ops: ops.relu(v["a"]) * 3),
    Case("relu_negative", {"a": -0.7, "b": 0.4}, lambda v, ops: ops.relu(v["a"]) + v["b"]),
    Case("reuse", {"a": 1.1, "b": -0.6}, lambda v, ops: v["a"] * v["a"] + v["a"] * v["b"] + v["b"] * v["b"] * v["a"]),
    Case("neuron", NEURON, _neuron),
    Case("neuron_by_exp", NEURON, _neuron_by_exp),
    Case("composition", {"a": 0.7, "b": -1.3, "c": 2.2},
         lambda v, ops: (ops.tanh(v["a"] * v["b"]) + (v["c"] / v["a"]) ** 2 - ops.exp(ops.relu(v["c"]) + 1) / 10)
         / (v["a"] + 3)),
    Case("tiny_mlp", {"w11": 0.3, "w12": -0.8, "b1": 0.1, "w21": -0.5, "w22": 0.2, "b2": -0.3,
                      "u1": 0.9, "u2": -1.1, "c": 0.05}, _tiny_mlp),
]


def value_result(case: Case) -> tuple[float, dict[str, float]]:
    """The output and every leaf's gradient, by the ``Value`` engine."""
    leaves = {name: Value(x, label=name) for name, x in case.leaves.items()}
    out = case.fn(leaves, VALUE_OPS)
    out.backward()
    return out.data, {name: leaf.grad for name, leaf in leaves.items()}


def torch_result(case: Case) -> tuple[float, dict[str, float]]:
    """The output and every leaf's gradient, by PyTorch in float64."""
    import torch

    leaves = {name: torch.tensor(x, dtype=torch.float64, requires_grad=True) for name, x in case.leaves.items()}
    out = case.fn(leaves, torch_ops())
    out.backward()
    return out.item(), {name: leaf.grad.item() for name, leaf in leaves.items()}
