"""The neuron graph's numbers are the engine's: a weight's grad summed over the examples is the
gradient the vector engine computes, and each example's share is that example's loss's derivative."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from gdsim.core.engine.neuron_graph import neuron_graph, neuron_layers
from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings


def micrograd(steps: int = 0):
    t = build_trainer(Settings(scenario="micrograd"))
    for _ in range(steps):
        assert t.step() is None
    return t


def engine_gradient(t) -> np.ndarray:
    """dL/dw for every weight at the current weights: one backward pass of the vector engine."""
    grads = t.params.grads
    saved = grads.copy()
    grads[...] = 0.0
    loss = copy.copy(t.loss)
    loss.forward(t.model.forward(t.data.x), t.data.y)
    t.model.backward(loss.backward())
    out = grads.copy()
    grads[...] = saved
    return out


def by_name(graph) -> dict:
    return {n["name"]: n for n in graph["nodes"]}


def test_micrograds_layers_all_have_neurons_to_draw():
    assert neuron_layers(micrograd().model) == ((0, 4), (1, 4), (2, 1))


@pytest.mark.parametrize("steps", [0, 3])
@pytest.mark.parametrize("layer,unit", [(0, 0), (0, 3), (1, 0), (1, 2), (2, 0)])
def test_weight_grads_summed_over_the_examples_are_the_engines_gradient(steps, layer, unit):
    t = micrograd(steps)
    expected = engine_gradient(t)
    total = {}
    for example in range(len(t.data.x)):
        for node in neuron_graph(t.model, t.loss, t.data.x, t.data.y, layer, unit, example)["nodes"]:
            if "param" in node:
                total[node["param"]] = total.get(node["param"], 0.0) + node["grad"]
    fan_in = t.model.layers[layer].in_features
    assert len(total) == fan_in + 1
    for index, grad in total.items():
        assert grad == pytest.approx(expected[index], rel=1e-12, abs=1e-15)


def test_one_examples_share_is_that_examples_loss_derivative():
    t = micrograd(2)
    layer, unit, example = 1, 2, 3
    graph = neuron_graph(t.model, t.loss, t.data.x, t.data.y, layer, unit, example)
    x, y = t.data.x[example:example + 1], t.data.y[example:example + 1]
    values = t.params.values
    h = 1e-6
    for node in graph["nodes"]:
        if "param" not in node:
            continue
        i = node["param"]
        keep = values[i]
        values[i] = keep + h
        up = float(np.sum((t.model.predict(x) - y) ** 2))  # micrograd's loss, this example alone
        values[i] = keep - h
        down = float(np.sum((t.model.predict(x) - y) ** 2))
        values[i] = keep
        assert node["grad"] == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-9)


def test_the_neuron_is_micrograds_tanh_of_b_plus_w_dot_x_at_the_current_weights():
    t = micrograd(1)
    layer, unit, example = 0, 1, 2
    g = neuron_graph(t.model, t.loss, t.data.x, t.data.y, layer, unit, example)
    nodes = by_name(g)
    w = t.model.layers[layer].weight.value[unit]
    b = t.model.layers[layer].bias.value[unit]
    x = t.data.x[example]
    assert [nodes[f"x{j}"]["value"] for j in (1, 2, 3)] == list(x)
    assert [nodes[f"w{j}"]["value"] for j in (1, 2, 3)] == list(w)
    assert nodes["n"]["value"] == pytest.approx(b + w @ x, rel=1e-15)
    assert nodes["o"]["value"] == pytest.approx(np.tanh(b + w @ x), rel=1e-15)
    assert nodes["o"]["op"] == "tanh" and g["root"] == nodes["o"]["id"]
    assert {n["role"] for n in g["nodes"]} == {"input", "weight", "bias", "inner", "output"}
    assert g["about"]["upstream"] == nodes["o"]["grad"]
    assert g["about"]["target"] == [float(t.data.y[example, 0])]


def test_the_equations_name_the_loss_and_start_from_the_upstream_gradient():
    t = micrograd()
    g = neuron_graph(t.model, t.loss, t.data.x, t.data.y, 1, 0, 0)
    up = g["about"]["upstream"]
    assert g["steps"][0]["equation"] == f"dL/do = {up:.6g}"
    n = by_name(g)["n"]
    local = 1 - by_name(g)["o"]["value"] ** 2
    assert g["steps"][1]["equation"] == (f"dL/dn = dL/do x do/dn = {up:.6g} x {local:.6g} = "
                                         f"{n['grad']:.6g}")
    pass_grads = {m["id"]: m["pass_grad"] for m in g["nodes"]}
    assert [s["grad"] for s in g["steps"]] == [pass_grads[s["node"]] for s in g["steps"]]


def test_the_run_is_not_touched():
    t = micrograd(2)
    values, grads = t.params.values.copy(), t.params.grads.copy()
    neuron_graph(t.model, t.loss, t.data.x, t.data.y, 2, 0, 1)
    np.testing.assert_array_equal(t.params.values, values)
    np.testing.assert_array_equal(t.params.grads, grads)
    t2 = micrograd(2)
    assert t.step() is None and t2.step() is None
    np.testing.assert_array_equal(t.params.values, t2.params.values)


def test_models_without_neurons_to_draw():
    assert neuron_layers(build_trainer(Settings(scenario="fruit")).model) == ()
    digits_mlp = build_trainer(Settings(scenario="digits", model="mlp")).model
    assert neuron_layers(digits_mlp) == ()  # 784 and 30 inputs: too many to read as a graph
