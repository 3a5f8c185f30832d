"""Models: a forward pass that remembers what its backward pass needs.

A model declares its parameters as ``ParameterSpec`` s, is bound to a
``ParameterSet`` that holds them, and then

- ``forward(x)`` computes predictions and keeps the activations (the output may share
  memory with the weights, so read it before the update, as the trainer does);
- ``backward(grad_out)`` ADDS the gradient of the loss into every ``.grad``,
  exactly as PyTorch's ``loss.backward()`` accumulates; ``backward(grad_out, False)``
  writes it instead, which the trainer asks for when it knows every ``.grad`` is zero
  (the same numbers, one operation less per tensor);
- ``predict(x)`` computes predictions without touching the saved activations,
  so a view can be refreshed between a forward and a backward pass;
- ``plane_predictor(x, base, d1, d2)`` gives a function of (a, b) that computes them at many
  weight vectors at once, each ``base + a[g] * d1 + b[g] * d2`` (flat vectors in the buffer's
  order): a loss landscape's points in a few products, reading neither the weights' buffer nor
  the saved activations.

Names and shapes follow PyTorch ``state_dict`` conventions: ``nn.Linear``'s
weight is ``(out, in)``, MLP layers are ``layers.0.weight``, ``layers.0.bias``...
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import GdsimError
from .activations import Activation, make_activation
from .parameter import ParameterSet, ParameterSpec

# Bounds on what a person can ask for (``--model mlp:4096,4096``), checked before anything is
# allocated, so a typo is a message and not a MemoryError: the widest hidden layer, the weights of
# a model (a run keeps about ten copies of them: values, gradients, optimizer state, the last update,
# so 5 million weights take about 400 MB), and the numbers a forward pass keeps for the rows it is
# given (each hidden unit's input and output for every row: 20 million take 160 MB).
MAX_HIDDEN = 4096
MAX_WEIGHTS = 5_000_000
MAX_ACTIVATIONS = 20_000_000


DEFAULT_HIDDEN = (16,)  # an MLP of your own data, when no sizes are given


def hidden_sizes(args) -> tuple[int, ...]:
    """Hidden layer sizes as written after ``mlp:`` (``mlp:32,16``): whole numbers from 1 to
    MAX_HIDDEN; none given is DEFAULT_HIDDEN."""
    if any(a != int(a) or a < 1 or a > MAX_HIDDEN for a in args):
        shown = ",".join(f"{a:g}" for a in args)
        raise GdsimError(f"hidden layer sizes must be whole numbers from 1 to {MAX_HIDDEN} (like 16, or 32,16), "
                         f"not {shown}")
    return tuple(int(a) for a in args) or DEFAULT_HIDDEN


class Model:
    """Base class; subclasses set ``name`` and implement the four methods."""

    name = "model"
    params: ParameterSet

    def parameter_specs(self) -> list[ParameterSpec]:
        raise NotImplementedError

    def bind(self, params: ParameterSet) -> None:
        self.params = params

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray, accumulate: bool = True) -> None:
        raise NotImplementedError

    def predict(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def plane_predictor(self, x: np.ndarray, base: np.ndarray, d1: np.ndarray,
                        d2: np.ndarray) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """A function ``predict(a, b)`` giving ``predict(x)`` with the weights at each of the G points
        ``base + a[g] * d1 + b[g] * d2`` (``base``, ``d1``, ``d2`` flat, shape (P,); ``a``, ``b`` shape
        (G,)), stacked: shape (G, *predict(x).shape). The same numbers to rounding (sums may be taken
        in another order). What every point shares is computed here, once."""
        raise NotImplementedError

    def plane_numbers(self, rows: int) -> int:
        """How many numbers a plane predictor keeps for each point on ``rows`` rows (its outputs and
        hidden activations): what sets how many points a landscape computes at once."""
        raise NotImplementedError

    def describe(self) -> str:
        return self.name

    def activation_numbers(self, rows: int) -> int:
        """How many numbers a forward pass over ``rows`` rows keeps besides its input and output."""
        return 0


def tensor_of(flat: np.ndarray, param) -> np.ndarray:
    """``param``'s part of a flat vector laid out like the weights' buffer, in its shape."""
    return flat[param.offset:param.offset + param.size].reshape(param.shape)


class AlongPlane:
    """A quantity linear in the weights (a prediction of a linear model, a tensor of weights) over
    a plane: ``p0``, ``p1``, ``p2`` are its values for the weights ``base``, ``d1`` and ``d2``, so at
    the point (a, b) it is ``p0 + a p1 + b p2``, exactly as at the weights ``base + a d1 + b d2``."""

    def __init__(self, p0: np.ndarray, p1: np.ndarray, p2: np.ndarray):
        self.shape = np.shape(p0)
        self.terms = np.stack([np.ravel(p0), np.ravel(p1), np.ravel(p2)])

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Its values at the G points (a[g], b[g]), stacked: shape (G, *shape)."""
        return self.at(plane_coefficients(a, b))

    def at(self, coefficients: np.ndarray) -> np.ndarray:
        """Its values at the points whose ``plane_coefficients`` these are. One matrix product: no
        temporary the size of the result."""
        return (coefficients @ self.terms).reshape((len(coefficients),) + self.shape)


def plane_coefficients(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(1, a[g], b[g]) for each point g: shape (G, 3). Made once for several ``AlongPlane``, as a
    small chunk of points costs more in these calls than in the arithmetic."""
    return np.stack([np.ones_like(a), a, b], axis=1)


def check_size(model: Model, rows: int) -> None:
    """Refuse, before any weight is allocated, a model too big to train here (see MAX_WEIGHTS)."""
    weights = sum(spec.size for spec in model.parameter_specs())
    if weights > MAX_WEIGHTS:
        raise GdsimError(f"{model.describe()} has {weights:,} weights; gdsim trains at most {MAX_WEIGHTS:,} "
                         f"(about {MAX_WEIGHTS * 80 // 10**6} MB of memory); choose smaller layers")
    kept = model.activation_numbers(rows)
    if kept > MAX_ACTIVATIONS:
        raise GdsimError(f"{model.describe()} would keep {kept:,} numbers for the {rows:,} rows it is given "
                         f"at once; gdsim keeps at most {MAX_ACTIVATIONS:,} (about "
                         f"{MAX_ACTIVATIONS * 8 // 10**6} MB); choose smaller layers or fewer rows")


class Linear(Model):
    """``y = x @ weight.T + bias`` with ``weight`` (out, in) and ``bias`` (out,)."""

    name = "linear"

    def __init__(self, in_features: int, out_features: int, prefix: str = ""):
        self.in_features = in_features
        self.out_features = out_features
        self.prefix = prefix
        self._x = None

    def parameter_specs(self):
        n_in, n_out = self.in_features, self.out_features
        return [
            ParameterSpec(self.prefix + "weight", (n_out, n_in), "weight", n_in, n_out),
            ParameterSpec(self.prefix + "bias", (n_out,), "bias", n_in, n_out),
        ]

    def bind(self, params):
        super().bind(params)
        self.weight = params[self.prefix + "weight"]
        self.bias = params[self.prefix + "bias"]
        # The views never change; holding them saves two lookups per use on the hot path.
        self._w, self._b = self.weight.value, self.bias.value
        self._gw, self._gb = self.weight.grad, self.bias.grad
        self._ones = np.ones(0)

    def forward(self, x):
        self._x = x
        out = x @ self._w.T
        out += self._b
        return out

    def backward(self, grad_out, accumulate=True):
        # The bias gradient sums over the rows; a product with ones does it in one BLAS call,
        # cheaper than a ufunc reduction on the small arrays of these lessons.
        ones = self._ones
        if ones.shape[0] != grad_out.shape[0]:
            ones = self._ones = np.ones(grad_out.shape[0])
        if accumulate:
            self._gw += grad_out.T @ self._x
            self._gb += ones @ grad_out
        else:
            np.matmul(grad_out.T, self._x, out=self._gw)
            np.matmul(ones, grad_out, out=self._gb)

    def predict(self, x):
        return x @ self._w.T + self._b

    def plane_predictor(self, x, base, d1, d2):
        # Each point's outputs are laid out output by output (a transposed view is returned):
        # cross-entropy's reductions over the classes then run along contiguous memory, which
        # takes half the time on digits10. One output is the same memory either way, and a plain
        # reshape keeps the strides NumPy's fast loops look for.
        along = AlongPlane(*(p.T for p in self.plane_terms(x, base, d1, d2)))
        if self.out_features == 1:
            return lambda a, b: along(a, b).reshape(len(a), -1, 1)
        return lambda a, b: along(a, b).transpose(0, 2, 1)

    def plane_terms(self, x, base, d1, d2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Predictions on ``x`` with the weights ``base``, ``d1`` and ``d2`` (flat): the terms of
        its predictions over their plane, as the model is linear in its weights."""
        return tuple(x @ tensor_of(flat, self.weight).T + tensor_of(flat, self.bias) for flat in (base, d1, d2))

    def plane_weights(self, base, d1, d2) -> tuple[AlongPlane, AlongPlane]:
        """Its weight and its bias over the plane."""
        return tuple(AlongPlane(*(tensor_of(flat, p) for flat in (base, d1, d2))) for p in (self.weight, self.bias))

    def plane_numbers(self, rows):
        return rows * self.out_features

    def describe(self):
        return f"linear {self.in_features} -> {self.out_features}"


class Polynomial(Model):
    """``a*t**2 + b*t + c`` (degree 2): one parameter ``params`` = [a, b, c].

    Coefficients run from the highest power down, as the tutorial writes them.
    """

    name = "polynomial"

    def __init__(self, degree: int = 2, name: str = "params"):
        if degree < 0:
            raise ValueError("degree must be >= 0")
        self.degree = degree
        self.param_name = name
        self._powers = np.arange(degree, -1, -1, dtype=np.float64)
        self._v = None

    def parameter_specs(self):
        n = self.degree + 1
        return [ParameterSpec(self.param_name, (n,), "weight", n, 1, self._letters())]

    def _letters(self) -> tuple[str, ...]:
        n = self.degree + 1
        return tuple("abcdefghijklmnopqrstuvwxyz"[:n]) if n <= 26 else tuple(f"c{i}" for i in range(n))

    def bind(self, params):
        super().bind(params)
        self.coef = params[self.param_name]
        self._c, self._gc = self.coef.value, self.coef.grad
        self._cache_t = self._cache_v = None

    def _vandermonde(self, t):
        # Full-batch training passes the same array every step: build its powers once.
        if t is self._cache_t:
            return self._cache_v
        v = np.asarray(t, dtype=np.float64)[..., None] ** self._powers
        self._cache_t, self._cache_v = t, v
        return v

    def forward(self, t):
        self._v = self._vandermonde(t)
        return self._v @ self._c

    def backward(self, grad_out, accumulate=True):
        if accumulate:
            self._gc += grad_out @ self._v
        else:
            np.matmul(grad_out, self._v, out=self._gc)

    def predict(self, t):
        return self._vandermonde(t) @ self._c

    def plane_predictor(self, t, base, d1, d2):
        # Linear in its coefficients, as Linear is in its weights.
        v = self._vandermonde(t)
        return AlongPlane(*(v @ tensor_of(flat, self.coef) for flat in (base, d1, d2)))

    def plane_numbers(self, rows):
        return rows

    def describe(self):
        terms = []
        for c, p in zip(self._letters(), range(self.degree, -1, -1)):
            terms.append(c if p == 0 else f"{c}*t" if p == 1 else f"{c}*t**{p}")
        return "polynomial " + " + ".join(terms)


class MLP(Model):
    """A stack of linear layers, each followed by its own activation.

    ``sizes`` = (in, hidden..., out); ``activations`` has one name per layer,
    the output layer included (use ``"identity"`` for a linear output).
    """

    name = "mlp"

    def __init__(self, sizes, activations):
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2:
            raise ValueError("an MLP needs at least an input and an output size")
        if isinstance(activations, str):
            activations = [activations] * (len(sizes) - 1)
        if len(activations) != len(sizes) - 1:
            raise ValueError(f"{len(sizes) - 1} layers need {len(sizes) - 1} activations, got {len(activations)}")
        self.sizes = sizes
        self.layers = [Linear(a, b, prefix=f"layers.{i}.") for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]
        self.activations: list[Activation] = [make_activation(a) for a in activations]
        self._cache = []

    def parameter_specs(self):
        return [spec for layer in self.layers for spec in layer.parameter_specs()]

    def bind(self, params):
        super().bind(params)
        for layer in self.layers:
            layer.bind(params)
        # One tuple per layer, so a step walks the layers without attribute or method lookups:
        # (weight, bias, weight grad, bias grad, activation, its derivative).
        self._plan = [(layer._w, layer._b, layer._gw, layer._gb, act.forward, act.backward)
                      for layer, act in zip(self.layers, self.activations)]
        self._ones = np.ones(0)

    def forward(self, x):
        hs = [x]  # each layer's input, then the output
        zs = []
        h = x
        for w, b, _, _, act, _ in self._plan:
            z = h @ w.T
            z += b
            zs.append(z)
            h = act(z)
            hs.append(h)
        self._hs, self._zs = hs, zs
        return h

    def forward_inputs(self) -> list[np.ndarray]:
        """Each layer's activation input (w.x + b) in the last forward pass."""
        return self._zs

    def backward(self, grad_out, accumulate=True):
        hs, zs, plan = self._hs, self._zs, self._plan
        ones = self._ones
        if ones.shape[0] != grad_out.shape[0]:
            ones = self._ones = np.ones(grad_out.shape[0])
        g = grad_out
        for i in range(len(plan) - 1, -1, -1):
            w, _, gw, gb, _, act_backward = plan[i]
            g = act_backward(zs[i], hs[i + 1], g)
            if accumulate:
                gw += g.T @ hs[i]
                gb += ones @ g  # the bias gradient: a sum over rows, as one BLAS call
            else:
                np.matmul(g.T, hs[i], out=gw)
                np.matmul(ones, g, out=gb)
            if i:
                g = g @ w

    def activation_numbers(self, rows):
        return 2 * rows * sum(self.sizes[1:-1])  # each hidden layer's input to its activation, and output

    def predict(self, x):
        h = x
        for layer, act in zip(self.layers, self.activations):
            h = act.forward(layer.predict(h))
        return h

    def plane_predictor(self, x, base, d1, d2):
        # The first layer's input is the same at every point: its outputs over the plane are
        # Linear's three products, made once. After it every point has inputs of its own, and
        # each later layer multiplies them by that point's own weights.
        first = AlongPlane(*self.layers[0].plane_terms(x, base, d1, d2))
        later = [(*layer.plane_weights(base, d1, d2), act.forward)
                 for layer, act in zip(self.layers[1:], self.activations[1:])]
        first_activation = self.activations[0].forward

        def predict(a, b):
            points = plane_coefficients(a, b)
            h = first_activation(first.at(points))
            for weight, bias, activation in later:
                z = h @ weight.at(points).transpose(0, 2, 1)
                z += bias.at(points)[:, None, :]
                h = activation(z)
            return h

        return predict

    def plane_numbers(self, rows):
        return self.activation_numbers(rows) + rows * self.sizes[-1]

    def describe(self):
        acts = [a.name for a in self.activations]
        if len(set(acts)) == 1:
            act = f"{acts[0]} after every layer"
        else:
            act = ", ".join(acts)
        return "MLP " + "-".join(str(s) for s in self.sizes) + f" ({act})"


class Scalar(Model):
    """A single number ``x`` (shape ``()``) and nothing else: the prediction is ``x``.

    With the sum-of-squares loss against a target of 0 the objective is
    ``f(x) = x**2``, the parabola of the learning-rate lesson.
    """

    name = "scalar"

    def __init__(self, name: str = "x"):
        self.param_name = name

    def parameter_specs(self):
        return [ParameterSpec(self.param_name, (), "weight", 1, 1)]

    def bind(self, params):
        super().bind(params)
        self.x = params[self.param_name]
        self._x, self._gx = self.x.value, self.x.grad

    def forward(self, _inputs):
        # The value itself: everything that reads the output does so before the update.
        return self._x

    def backward(self, grad_out, accumulate=True):
        if accumulate:
            self._gx += grad_out
        else:
            self._gx[()] = grad_out  # np.copyto's Python-level dispatch costs more than the copy

    def predict(self, _inputs):
        return self._x.copy()

    def plane_predictor(self, _inputs, base, d1, d2):
        return AlongPlane(*(tensor_of(flat, self.x) for flat in (base, d1, d2)))

    def plane_numbers(self, rows):
        return 1

    def describe(self):
        return f"one number {self.param_name}"
