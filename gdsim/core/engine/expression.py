"""Expressions of a few named numbers, trained like any other model.

An ``Expression`` is a formula written with ``Value`` arithmetic over named leaves. As a
gdsim model (``ExpressionModel``) each leaf is a parameter of shape ``()``, the forward pass
evaluates the formula, and the quantity minimised is the formula's value itself (the
``value`` loss: L = output, dL/doutput = 1). The trainer does everything else (zeroing,
optimizers, divergence) exactly as for the other models.

The chain-rule lesson is ``CHAIN_RULE``: e = a*b, d = e + c, L = d*f, which at a = 2,
b = -3, c = 10, f = -2 gives L = -8 and the gradients a: 6, b: -4, c: -2, f: 4, e: -2, d: -2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from ..data.dataset import OBJECTIVE, Dataset
from .models import AlongPlane, Model, plane_coefficients
from .parameter import ParameterSpec
from .value import Composed, Value, graph_data


@dataclass(frozen=True)
class Expression:
    """A formula over named leaves: ``build`` takes the leaves (a dict of labelled Values) and
    returns the output Value, labelling the inner nodes it wants drawn by name."""

    leaves: tuple[str, ...]
    build: Callable[[dict[str, Value]], Value]
    formula: str  # how the lesson writes it

    def evaluate(self, values: Mapping[str, float]) -> tuple[dict[str, Value], Value]:
        """Fresh leaves holding ``values``, and the output computed from them (no backward yet)."""
        leaves = {name: Value(float(values[name]), label=name) for name in self.leaves}
        return leaves, self.build(leaves)

    def graph(self, values: Mapping[str, float], grads: Mapping[str, float] | None = None) -> dict:
        """The expression at ``values`` after one backward pass, as ``value.graph_data`` describes it.

        ``grads`` is what the leaves' ``.grad`` held before the pass (a run's gradient buffer:
        nonzero when zeroing is off), so their ``grad`` shows the sum that piles up and their
        ``pass_grad`` this pass alone. Inner nodes are made afresh each pass, as the graph of a
        PyTorch forward pass is, so their ``grad`` is this pass's.
        """
        leaves, out = self.evaluate(values)
        for name, leaf in leaves.items():
            leaf.grad = float(grads[name]) if grads is not None else 0.0
        out.backward()
        return graph_data(out)


class Values(Composed):
    """Many values of one node at once: ``Value``'s arithmetic on an array, with no graph and no
    gradients, so an ``Expression``'s ``build`` evaluates it at thousands of points in one pass.
    Each operation gives what ``Value``'s gives at each point, overflow and 0 ** -1 included
    (NumPy's IEEE arithmetic, as Value's ``_power`` and ``_exp`` reproduce it)."""

    __slots__ = ("data", "label")

    def __init__(self, data):
        self.data = np.asarray(data, dtype=np.float64)
        self.label = ""  # build() labels the nodes it draws; here the label is not used

    def __add__(self, other):
        return Values(self.data + _data(other))

    def __mul__(self, other):
        return Values(self.data * _data(other))

    def __pow__(self, k):
        if isinstance(k, bool) or not isinstance(k, (int, float)):
            raise TypeError(f"a Value's power must be a plain int or float, not {type(k).__name__}")
        return Values(np.power(self.data, float(k)))

    def tanh(self):
        return Values(np.tanh(self.data))

    def exp(self):
        return Values(np.exp(self.data))

    def relu(self):
        return Values(np.where(self.data < 0, 0.0, self.data))



def _data(x):
    return x.data if isinstance(x, Values) else x


def _chain_rule(v: dict[str, Value]) -> Value:
    e = v["a"] * v["b"]
    e.label = "e"
    d = e + v["c"]
    d.label = "d"
    out = d * v["f"]
    out.label = "L"
    return out


CHAIN_RULE = Expression(("a", "b", "c", "f"), _chain_rule, "e = a*b, d = e + c, L = d*f")


class ExpressionModel(Model):
    """An ``Expression`` as a model: one parameter of shape ``()`` per leaf, named after it.

    The input is ignored; the "prediction" is the expression's value (shape ``()``), which
    the ``value`` loss minimises as it is.
    """

    name = "expression"

    def __init__(self, expression: Expression):
        self.expression = expression
        self._leaves: dict[str, Value] = {}
        self._out: Value | None = None

    def parameter_specs(self):
        return [ParameterSpec(name, (), "weight", 1, 1) for name in self.expression.leaves]

    def bind(self, params):
        super().bind(params)
        # Flat positions of the leaves in the value and gradient buffers.
        self._slots = [(name, params[name].offset) for name in self.expression.leaves]

    def values(self) -> dict[str, float]:
        """The leaves' current values, by name."""
        v = self.params.values
        return {name: float(v[i]) for name, i in self._slots}

    def forward(self, _inputs):
        self._leaves, self._out = self.expression.evaluate(self.values())
        return np.array(self._out.data)

    def backward(self, grad_out, accumulate=True):
        self._out.backward(float(grad_out))
        grads = self.params.grads
        for name, i in self._slots:
            if accumulate:
                grads[i] += self._leaves[name].grad
            else:
                grads[i] = self._leaves[name].grad

    def predict(self, _inputs):
        return np.array(self.expression.evaluate(self.values())[1].data)

    def plane_predictor(self, _inputs, base, d1, d2):
        # The formula once, on arrays of the points' leaves, rather than a graph of Values per point.
        leaves = {name: AlongPlane(base[i], d1[i], d2[i]) for name, i in self._slots}

        def predict(a, b):
            points = plane_coefficients(a, b)
            out = self.expression.build({name: Values(leaf.at(points)) for name, leaf in leaves.items()})
            return np.broadcast_to(out.data, np.shape(a)).astype(np.float64)

        return predict

    def plane_numbers(self, rows):
        return len(self.expression.leaves)  # the leaves; each node after them is one more, freed as it goes

    def graph(self) -> dict:
        """The graph at the current weights after one more backward pass, as plain data
        (``Expression.graph``): what ``.grad`` would hold after the next step's backward.
        Reads the run's buffers and changes nothing."""
        g = self.params.grads
        return self.expression.graph(self.values(), {name: float(g[i]) for name, i in self._slots})

    def describe(self):
        return self.expression.formula


def expression_data(output_name: str) -> Dataset:
    """The data of an expression scenario: one empty row (the model reads no input) and no
    target (the ``value`` loss ignores it)."""
    return Dataset(np.zeros(1), np.array(0.0), input_names=(), target_names=(output_name,), task=OBJECTIVE)
