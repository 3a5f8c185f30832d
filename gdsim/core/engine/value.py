"""A scalar autograd engine: micrograd's ``Value``, with PyTorch's rule for ``.grad``.

``Value(2.0)`` holds one number. Arithmetic on Values (``+ - * / **`` with a Value or a
plain number on either side, ``tanh()``, ``exp()``, ``relu()``) builds a graph in which each
node remembers its operation, its children and, for each child, the local derivative
d(node)/d(child) at the forward values. ``out.backward()`` walks the graph in reverse
topological order and applies the chain rule, as micrograd's ``engine.py`` does.

Gradients are ADDED into ``.grad``, never written: a second ``backward()`` without zeroing
adds the same gradients again, like PyTorch's ``loss.backward()`` (and gdsim's vector engine).
Every node's ``.grad`` accumulates, the way a PyTorch tensor's does with ``retain_grad()``;
what flows back through the graph is always the gradient of this pass alone. (micrograd
differs only when ``backward()`` is called twice on the same graph: it resets the output's
gradient to 1 and passes the inner nodes' accumulated gradients on. In its training loop the
graph is rebuilt before every backward pass and the two rules give the same numbers.)

Where micrograd raises and PyTorch does not, this follows PyTorch: ``tanh`` of a large
number is 1 (micrograd's ``exp(2x)`` overflows past x = 354.9, "math range error"); ``exp``
and ``**`` overflow to infinity; ``0 ** -1`` is infinite and a negative number to a
fractional power is NaN. So a diverging run ends in numbers gdsim can report, not a crash.

Pure Python floats: a Value graph is for reading and drawing, a handful of nodes at a time.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class ChainTerm(NamedTuple):
    """One use of the chain rule in a backward pass: the gradient ``child`` gets through ``node``.

    ``contribution = local * upstream``: ``local`` is d(node)/d(child) at the forward values,
    ``upstream`` is dL/d(node) in that pass (L the output backward started from).
    """

    node: "Value"
    child: "Value"
    local: float
    upstream: float
    contribution: float


class Composed:
    """The operations micrograd writes in terms of +, * and **: its ``Value`` and the landscape's
    ``Values`` (expression.py) compose them the same way, so they round the same way."""

    __slots__ = ()  # Value keeps its own: no __dict__ for a misspelt attribute to land in

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1


class Value(Composed):
    """One number in a computation graph, with the gradient of the output with respect to it.

    ``data`` is the value, ``grad`` the sum of dL/d(this) over the backward passes so far,
    ``label`` a name to draw it by (leaves ``a``, ``b``; inner nodes ``e``, ``L``), ``op`` the
    operation that made it (``""`` for a leaf) and ``children`` its operands, in order (a
    node that uses one operand twice, ``a * a``, lists it twice). ``pass_grad`` is dL/d(this)
    in the last backward pass that reached it (None before any).
    """

    __slots__ = ("data", "grad", "label", "op", "children", "local", "pass_grad")

    def __init__(self, data, _children=(), _op="", label="", _local=()):
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.op = _op
        self.children = tuple(_children)
        self.local = tuple(_local)  # d(self)/d(child) for each child, at the forward values
        self.pass_grad = None

    # ----- operations (micrograd's, and its way of composing - and / from them) ---------------

    def __add__(self, other):
        other = _as_value(other)
        return Value(self.data + other.data, (self, other), "+", _local=(1.0, 1.0))

    def __mul__(self, other):
        other = _as_value(other)
        return Value(self.data * other.data, (self, other), "*", _local=(other.data, self.data))

    def __pow__(self, k):
        if isinstance(k, bool) or not isinstance(k, (int, float)):
            raise TypeError(f"a Value's power must be a plain int or float, not {type(k).__name__}")
        return Value(_power(self.data, k), (self,), f"**{k}", _local=(k * _power(self.data, k - 1),))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), "tanh", _local=(1 - t**2,))

    def exp(self):
        e = _exp(self.data)
        return Value(e, (self,), "exp", _local=(e,))

    def relu(self):
        out = 0.0 if self.data < 0 else self.data
        return Value(out, (self,), "ReLU", _local=(1.0 if out > 0 else 0.0,))


    # ----- backward ------------------------------------------------------------------------------

    def backward(self, gradient: float = 1.0) -> None:
        """Add dL/dv to ``v.grad`` for every node v under this one (L = this node).

        ``gradient`` is dL/d(this), 1 unless this node is itself inside a larger expression
        (PyTorch's ``out.backward(gradient)``).
        """
        order = topological_order(self)
        upstream = {self: float(gradient)}
        for node in reversed(order):
            g = upstream[node]  # complete: every node that uses this one came earlier
            node.pass_grad = g
            node.grad += g
            for child, local in zip(node.children, node.local):
                upstream[child] = upstream.get(child, 0.0) + local * g

    def chain_terms(self) -> list[ChainTerm]:
        """The chain rule as the last ``backward()`` from this node applied it, edge by edge.

        In backward order: node by node in reverse topological order, each node's children
        in order. Empty before any backward pass.
        """
        if self.pass_grad is None:
            return []
        terms = []
        for node in reversed(topological_order(self)):
            for child, local in zip(node.children, node.local):
                terms.append(ChainTerm(node, child, local, node.pass_grad, local * node.pass_grad))
        return terms

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data}, grad={self.grad})"


def _as_value(x) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _power(x: float, k: float) -> float:
    """``x ** k`` as ``torch.pow`` gives it: infinity for overflow and 0 ** -k, NaN for (-x) ** 0.5."""
    whole = math.isfinite(k) and float(k).is_integer()
    if x < 0 and math.isfinite(k) and not whole:
        return math.nan
    odd = whole and int(k) % 2 == 1
    try:
        return x**k
    except (OverflowError, ZeroDivisionError):
        return math.copysign(math.inf, x) if odd else math.inf


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def topological_order(root: Value) -> list[Value]:
    """Every node under ``root``, each after all its children (leaves first, ``root`` last).

    The order micrograd's recursive ``build_topo`` gives, found without recursion so a deep
    graph cannot reach Python's recursion limit.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.children) if child not in seen)
    return order


# ----- the graph as plain data, for a view ---------------------------------------------------------

def graph_data(root: Value, loss_name: str | None = None) -> dict:
    """The graph under ``root`` as plain numbers and strings (no Value objects), for drawing.

    ``loss_name`` names the quantity backward started from when it is not ``root`` itself (a
    neuron inside a network: ``root.backward(dL/droot)``), so the equations read dL/dw, not do/dw.

    - ``nodes``: leaves first, ``root`` last; each ``{"id", "name", "label", "op", "value",
      "grad", "pass_grad", "depth", "children"}``. ``id`` is ``n<position>``, the same for the
      same expression evaluated again; ``name`` is the label, or the id for an unlabelled node;
      ``depth`` is 0 for a leaf and one more than the deepest child otherwise (the column to
      draw it in); ``children`` are ids.
    - ``edges``: one per (node, child) in backward order, ``{"node", "child", "local",
      "upstream", "contribution"}``, the last two None before any backward pass.
    - ``steps``: the last backward pass from ``root``, as ``backward_steps`` gives it.
    - ``root``: the id of ``root``.
    """
    order = topological_order(root)
    ids, names = _naming(order)
    depth: dict[Value, int] = {}
    for node in order:
        depth[node] = 1 + max((depth[c] for c in node.children), default=-1)
    nodes = [{"id": ids[n], "name": names[n], "label": n.label, "op": n.op, "value": n.data, "grad": n.grad,
              "pass_grad": n.pass_grad, "depth": depth[n], "children": [ids[c] for c in n.children]}
             for n in order]
    edges = []
    for node in reversed(order):
        for child, local in zip(node.children, node.local):
            up = node.pass_grad
            edges.append({"node": ids[node], "child": ids[child], "local": local, "upstream": up,
                          "contribution": None if up is None else local * up})
    return {"nodes": nodes, "edges": edges, "steps": backward_steps(root, loss_name), "root": ids[root]}


def backward_steps(root: Value, loss_name: str | None = None) -> list[dict]:
    """The last backward pass from ``root``, one node at a time, each with its chain rule in numbers.

    In the order the pass completes the nodes' gradients (``root`` first), each ``{"node" (its
    id, as in ``graph_data``), "grad" (dL/dnode in that pass), "equation"}``, e.g.
    ``dL/de = dL/dd x dd/de = -2 x 1 = -2``. A node that several others use sums what each
    passes back: ``dL/da = dL/dp x dp/da + dL/dq x dq/da = 2 x 3 + 1 x 4 = 10``.
    With ``loss_name`` (``graph_data``'s) the output is written by that name and the first step
    gives ``root``'s gradient as it came from outside: ``dL/do = 0.42``.
    Empty before any backward pass.
    """
    if root.pass_grad is None:
        return []
    order = topological_order(root)
    ids, names = _naming(order)
    out = loss_name or names[root]
    into: dict[Value, list[ChainTerm]] = {}
    for term in root.chain_terms():
        into.setdefault(term.child, []).append(term)
    steps = [{"node": ids[root], "grad": root.pass_grad,
              "equation": f"d{out}/d{names[root]} = {_num(root.pass_grad)}"}]
    for node in reversed(order[:-1]):
        terms, name = into[node], names[node]
        symbols = " + ".join(f"d{out}/d{names[t.node]} x d{names[t.node]}/d{name}" for t in terms)
        numbers = " + ".join(f"{_num(t.upstream)} x {_num(t.local)}" for t in terms)
        steps.append({"node": ids[node], "grad": node.pass_grad,
                      "equation": f"d{out}/d{name} = {symbols} = {numbers} = {_num(node.pass_grad)}"})
    return steps


def _naming(order: list[Value]) -> tuple[dict[Value, str], dict[Value, str]]:
    """Each node's id (its position in ``order``) and the name it is written with (label, else id)."""
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    return ids, {node: node.label or ids[node] for node in order}


def _num(x: float) -> str:
    return f"{x:.6g}"
