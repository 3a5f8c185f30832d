"""One neuron of an MLP as micrograd builds it: ``act(b + w1*x1 + w2*x2 + ...)``, for one example.

What the numbers are, so that every one of them on screen is a true chain-rule number:

- ``x1, x2, ...`` are the neuron's inputs for that example (the data for the first layer, the
  previous layer's outputs after it), at the current weights; ``w1, w2, ...`` its weights and
  ``b`` its bias, now.
- L is the run's loss over all the training examples at the current weights (without an L1/L2
  penalty, which adds to the weights' gradients directly and passes through no neuron). Its
  gradient with respect to this neuron's output for this example, dL/do, is found by the
  vector engine's own rule: the loss's gradient for that example's prediction, carried back
  through the layers after this one.
- The graph's backward pass starts from ``o`` with that dL/do (``o.backward(dL/do)``). So a
  weight's ``grad`` is this example's share of dL/dw: summed over the examples it is the
  gradient the next step's backward computes for that weight (with gradient zeroing on).

Value nodes are built afresh for every call, so ``grad`` is always this pass alone.
"""

from __future__ import annotations

import copy

import numpy as np

# Activations the Value engine has as one operation (sigmoid would be four nodes of its own).
ACTIVATIONS = {"tanh": "tanh", "relu": "relu", "identity": None}
MAX_FAN_IN = 6  # inputs a neuron may have to be drawn as a graph that can be read


def neuron_layers(model) -> tuple[tuple[int, int], ...]:
    """(layer, units) for each layer of ``model`` whose neurons can be drawn: an MLP's layers with
    at most MAX_FAN_IN inputs and an activation the Value engine has. Empty for other models."""
    layers = getattr(model, "layers", None)
    activations = getattr(model, "activations", None)
    if not layers or activations is None:
        return ()
    return tuple((k, layer.out_features) for k, (layer, act) in enumerate(zip(layers, activations))
                 if layer.in_features <= MAX_FAN_IN and act.name in ACTIVATIONS)


def neuron_graph(model, loss, x, y, layer: int, unit: int, example: int) -> dict:
    """The graph of neuron ``unit`` of layer ``layer`` for example ``example``, after the backward
    pass described above, as ``value.graph_data`` gives it (with ``L`` as the output's name), plus:

    - each node's ``role``: "input", "weight", "bias", "inner" or "output", and for a weight or
      bias its flat ``param`` index in the run's parameters;
    - ``about``: the choice, dL/do (``upstream``), this example's prediction and target, and
      how many examples there are.
    """
    from .value import Value, graph_data

    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    hs, zs = _forward(model, x[example:example + 1])
    upstream = _upstream(model, loss, x, y, hs, zs, layer, example)[unit]
    lin = model.layers[layer]
    w, b = lin.weight.value[unit], lin.bias.value[unit]
    inputs = [Value(v, label=f"x{j + 1}") for j, v in enumerate(hs[layer][0])]
    weights = [Value(v, label=f"w{j + 1}") for j, v in enumerate(w)]
    bias = Value(b[()], label="b")
    total = bias
    for j, (wj, xj) in enumerate(zip(weights, inputs)):  # micrograd's sum((wi*xi ...), self.b)
        product = wj * xj
        product.label = f"p{j + 1}"
        total = total + product
        total.label = f"s{j + 1}"
    total.label = "n"
    op = ACTIVATIONS[model.activations[layer].name]
    out = getattr(total, op)() if op else total
    out.label = "o"
    out.backward(float(upstream))
    graph = graph_data(out, loss_name="L")
    roles = {v.label: role for vs, role in ((inputs, "input"), (weights, "weight"), ([bias], "bias")) for v in vs}
    params = {f"w{j + 1}": lin.weight.offset + unit * lin.in_features + j for j in range(lin.in_features)}
    params["b"] = lin.bias.offset + unit
    for node in graph["nodes"]:
        node["role"] = roles.get(node["label"], "output" if node["id"] == graph["root"] else "inner")
        if node["label"] in params and node["role"] in ("weight", "bias"):
            node["param"] = int(params[node["label"]])
    prediction = np.ravel(hs[-1][0])
    graph["about"] = {"kind": "neuron", "layer": int(layer), "unit": int(unit), "example": int(example),
                      "examples": int(len(x)), "upstream": float(upstream),
                      "prediction": [float(v) for v in prediction],
                      "target": [float(v) for v in np.ravel(np.asarray(y)[example])]}
    return graph


def _forward(model, x):
    """Each layer's input (then the output) and each layer's pre-activation, for the rows of ``x``."""
    hs, zs = [x], []
    h = x
    for lin, act in zip(model.layers, model.activations):
        z = h @ lin.weight.value.T + lin.bias.value
        zs.append(z)
        h = act.forward(z)
        hs.append(h)
    return hs, zs


def _upstream(model, loss, x, y, hs, zs, layer: int, example: int) -> np.ndarray:
    """dL/d(output of layer ``layer``) for one example: the loss's gradient for that example's
    prediction (the loss over all examples, as the trainer computes it), carried back through the
    later layers exactly as ``MLP.backward`` does."""
    loss = copy.copy(loss)  # forward keeps what backward needs: never touch the run's own
    with np.errstate(all="ignore"):
        loss.forward(model.predict(x), np.asarray(y))
        g = np.atleast_2d(np.asarray(loss.backward()).reshape(len(x), -1)[example])
        for k in range(len(model.layers) - 1, layer, -1):
            g = model.activations[k].backward(zs[k], hs[k + 1], g)
            g = g @ model.layers[k].weight.value
        return g[0]
