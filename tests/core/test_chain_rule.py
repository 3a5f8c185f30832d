"""The chain-rule lesson: e = a*b, d = e + c, L = d*f trained as a gdsim model.

The article's numbers at the start, the command line's outputs after SGD steps computed by
hand, zeroing, optimizers and divergence through the ordinary Trainer, the ``value`` loss and
the ``values`` initializer, and every sentence of the lesson checked against the default run.
"""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import column, read_csv

from gdsim.cli import main
from gdsim.core.choices import make_choice
from gdsim.core.engine.expression import CHAIN_RULE, ExpressionModel
from gdsim.core.engine.losses import OutputValue
from gdsim.core.engine.optimizers import OPTIMIZERS
from gdsim.core.engine.value import Value
from gdsim.core.errors import GdsimError
from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.settings import Settings

ARTICLE = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
ARTICLE_GRADS = {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "d": -2.0}


def trainer(**kw):
    return build_trainer(Settings(scenario="chain-rule", **kw))


def by_hand(a, b, c, f):
    """L and dL/d(a, b, c, f) of L = (a*b + c)*f, from the derivatives written out."""
    return (a * b + c) * f, np.array([b * f, a * f, f, a * b + c])


# ----- the model ------------------------------------------------------------------------------------------------

def test_four_leaves_of_shape_0_named_as_in_the_article_start_at_its_values():
    t = trainer()
    assert t.params.names == ["a", "b", "c", "f"]
    assert all(p.shape == () for p in t.params) and t.params.labels() == ["a", "b", "c", "f"]
    assert t.model.values() == ARTICLE
    assert t.settings.init == "values:2,-3,10,-2" and t.settings.loss == "value"
    assert (t.settings.optimizer, t.settings.lr, t.settings.steps) == ("sgd", 0.01, 10)
    assert get_scenario("chain-rule").view == "graph"


def test_at_the_start_the_graph_holds_the_article_s_numbers():
    t = trainer()
    g = t.model.graph()
    nodes = {n["name"]: n for n in g["nodes"]}
    assert nodes["L"]["value"] == -8.0 and t.evaluate("train")[0] == -8.0
    assert {k: nodes[k]["grad"] for k in ARTICLE_GRADS} == ARTICLE_GRADS
    assert {k: nodes[k]["op"] for k in ("e", "d", "L")} == {"e": "*", "d": "+", "L": "*"}
    assert "dL/de = dL/dd x dd/de = -2 x 1 = -2" in [s["equation"] for s in g["steps"]]
    assert not t.params.grads.any()  # reading the graph changes nothing


def test_the_first_step_uses_the_article_s_gradients():
    t = trainer()
    t.step()
    assert t.history.loss[0] == -8.0
    np.testing.assert_array_equal(t.update_grads, [6.0, -4.0, -2.0, 4.0])
    np.testing.assert_array_equal(t.params.values, [2 - 0.06, -3 + 0.04, 10 + 0.02, -2 - 0.04])


def test_forward_and_backward_write_or_add_into_the_flat_gradient_buffer():
    t = trainer()
    model: ExpressionModel = t.model
    out = model.forward(None)
    assert out.shape == () and float(out) == -8.0
    model.backward(np.array(1.0), accumulate=False)
    np.testing.assert_array_equal(t.params.grads, [6.0, -4.0, -2.0, 4.0])
    model.forward(None)
    model.backward(np.array(1.0))  # accumulates, as loss.backward() does
    np.testing.assert_array_equal(t.params.grads, [12.0, -8.0, -4.0, 8.0])
    model.forward(None)
    model.backward(np.array(0.5), accumulate=False)  # dL/doutput scales every gradient
    np.testing.assert_array_equal(t.params.grads, [3.0, -2.0, -1.0, 2.0])
    assert float(model.predict(None)) == -8.0


def test_the_graph_shows_grad_piling_up_when_zeroing_is_off():
    t = trainer(zero_grad=False)
    t.step()
    nodes = {n["name"]: n for n in t.model.graph()["nodes"]}
    _, g2 = by_hand(*t.params.values)
    assert nodes["a"]["pass_grad"] == pytest.approx(g2[0]) and nodes["a"]["grad"] == pytest.approx(6.0 + g2[0])
    assert nodes["e"]["grad"] == nodes["e"]["pass_grad"]  # inner nodes are made afresh each pass
    t.step()
    np.testing.assert_allclose(t.update_grads, [6.0, -4.0, -2.0, 4.0] + g2, rtol=1e-15)


def test_an_expression_graph_is_evaluated_from_plain_numbers():
    g = CHAIN_RULE.graph(ARTICLE, {"a": 1.0, "b": 0.0, "c": 0.0, "f": 0.0})
    nodes = {n["name"]: n for n in g["nodes"]}
    assert nodes["a"]["grad"] == 7.0 and nodes["a"]["pass_grad"] == 6.0
    leaves, out = CHAIN_RULE.evaluate(ARTICLE)
    assert isinstance(out, Value) and out.data == -8.0 and list(leaves) == ["a", "b", "c", "f"]


# ----- the command line -----------------------------------------------------------------------------------------

def _run_cli(tmp_path, *extra):
    h, w = tmp_path / "h.csv", tmp_path / "w.npz"
    rc = main(["run", "chain-rule", "--steps", "2", "--lr", "0.01", "--history-out", str(h), "--weights-out", str(w),
               "--quiet", *extra])
    assert rc == 0
    header, rows = read_csv(h)
    with np.load(w) as f:
        weights = {name: f[name] for name in f.files}
    return column(rows, header, "loss"), weights


def test_gdsim_run_records_l_and_the_weights_after_two_sgd_steps(tmp_path):
    losses, weights = _run_cli(tmp_path)
    x0 = np.array([2.0, -3.0, 10.0, -2.0])
    l0, g0 = by_hand(*x0)
    x1 = x0 - 0.01 * g0  # a = 2 - 0.01 * 6 = 1.94, b = -3 + 0.01 * 4 = -2.96, ...
    l1, g1 = by_hand(*x1)
    x2 = x1 - 0.01 * g1
    assert l0 == -8.0
    np.testing.assert_allclose(losses, [l0, l1], rtol=1e-15)  # L = -8.726304
    assert list(weights) == ["a", "b", "c", "f"] and all(v.shape == () for v in weights.values())
    np.testing.assert_allclose([weights[k] for k in "abcf"], x2, rtol=1e-15)
    np.testing.assert_allclose(x2, [1.879616, -2.920424, 10.0404, -2.082776], rtol=1e-15)


def test_gdsim_run_without_zeroing_steps_with_the_summed_gradient(tmp_path):
    losses, weights = _run_cli(tmp_path, "--no-zero-grad")
    x0 = np.array([2.0, -3.0, 10.0, -2.0])
    _, g0 = by_hand(*x0)
    x1 = x0 - 0.01 * g0
    _, g1 = by_hand(*x1)
    x2 = x1 - 0.01 * (g0 + g1)  # .grad still holds step 1's gradient when step 2's is added
    np.testing.assert_allclose([weights[k] for k in "abcf"], x2, rtol=1e-15)


def test_the_weights_file_starts_another_run(tmp_path):
    _, weights = _run_cli(tmp_path)
    rc = main(["run", "chain-rule", "--steps", "1", "--weights-in", str(tmp_path / "w.npz"), "--quiet",
               "--history-out", str(tmp_path / "h2.csv")])
    header, rows = read_csv(tmp_path / "h2.csv")
    assert rc == 0 and column(rows, header, "loss")[0] == by_hand(*(weights[k] for k in "abcf"))[0]


# ----- the trainer does the rest, as for every scenario -------------------------------------------------------

@pytest.mark.parametrize("optimizer", ["momentum:0.9", "adam", "rmsprop"])
def test_every_optimizer_steps_on_the_expression_s_gradients(optimizer):
    t = trainer(optimizer=optimizer, lr=0.05)
    t.run(5)
    rule = make_choice("optimizer", OPTIMIZERS, optimizer)
    rule.reset(4)
    x = np.array([2.0, -3.0, 10.0, -2.0])
    for k in range(5):
        loss, g = by_hand(*x)
        assert t.history.loss[k] == pytest.approx(loss, rel=1e-14)
        rule.update(x, g, 0.05)
    np.testing.assert_allclose(t.params.values, x, rtol=1e-14)


def test_l_has_no_minimum_so_a_run_without_a_step_limit_diverges_and_keeps_the_last_weights():
    t = trainer(steps=0)
    stop = t.run()
    assert stop.divergence is not None and stop.divergence.step == 82 and stop.divergence.quantity == "loss"
    assert t.step_count == 81 and np.all(np.isfinite(t.params.values))
    assert "diverged at step 82" in stop.message


def test_new_weights_keep_the_article_s_values_whatever_the_seed():
    t = trainer(seed=5)
    assert t.model.values() == ARTICLE
    t.draw_weights(123)
    assert t.model.values() == ARTICLE


# ----- the value loss and the values initializer ----------------------------------------------------------------

def test_the_value_loss_is_the_output_itself():
    loss = OutputValue()
    assert loss.forward(np.array(-8.0), np.array(0.0)) == -8.0
    grad = loss.backward()
    assert grad.shape == () and grad == 1.0
    assert "output itself" in loss.describe()


def test_the_value_loss_and_the_expression_scenario_go_only_together():
    assert get_scenario("chain-rule").loss_names == ["value"]
    for name in ("fruit", "quadratic", "micrograd", "digits", "parabola"):
        assert "value" not in get_scenario(name).loss_names
    with pytest.raises(GdsimError, match="scenario 'fruit' has targets"):
        build_trainer(Settings(scenario="fruit", loss="value"))
    with pytest.raises(GdsimError, match="'chain-rule' has no targets"):
        trainer(loss="mse")


def test_values_gives_one_number_per_weight():
    t = build_trainer(Settings(scenario="parabola", init="values:1.5"))
    assert float(t.params.values[0]) == 1.5
    with pytest.raises(GdsimError, match=r"values gives 3 numbers; this model has 4 weights \(a, b, c, f\)"):
        trainer(init="values:1,2,3")
    with pytest.raises(GdsimError, match="values gives 1 number; this model has 41 weights$"):
        build_trainer(Settings(scenario="micrograd", init="values:1"))
    with pytest.raises(GdsimError, match="one number per weight"):
        trainer(init="values")
    assert trainer().initializer.describe() == "the values 2, -3, 10, -2"


# ----- the lesson says only what the default run shows -----------------------------------------------------------

def says(*phrases):
    lesson = get_scenario("chain-rule").lesson
    for phrase in phrases:
        assert phrase in lesson, f"the lesson no longer says {phrase!r}"


def test_lesson_the_article_s_numbers():
    g = {n["name"]: n for n in trainer().model.graph()["nodes"]}
    assert g["L"]["value"] == -8 and g["d"]["grad"] == g["f"]["value"] == -2
    says("a = 2, b = -3, c = 10, f = -2: L = -8", "dL/dd = f = -2", "dL/de = dL/dd x dd/de = -2 x 1 = -2",
         "a: 6, b: -4, c: -2, f: 4")


def test_lesson_the_default_run_falls_step_by_step():
    t = trainer()
    t.run()
    loss = t.history.loss
    assert len(loss) == 10 and np.all(np.diff(loss) < 0)
    assert round(loss[1], 2) == -8.73 and round(loss[9], 1) == -15.6
    assert t.initial_values[0] - 0.01 * 6 == 1.94
    says("lr 0.01", "(a: 2 -> 1.94)", "-8.73 at step 2, -15.6 at step 10", "diverged at step 82")


def test_lesson_without_zeroing():
    t = trainer(zero_grad=False)
    t.run(2)
    assert round(t.update_grads[0], 2) == 12.04 and round(t.update_grads[0] - 6, 2) == 6.04
    t.run()
    assert round(t.history.loss[9], 1) == -56.2
    says("step 2 updates with the sum of two gradients (a: 6 + 6.04 = 12.04)", "L reaches -56.2 at step 10")
