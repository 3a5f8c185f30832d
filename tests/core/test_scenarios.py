"""The built-in scenarios: their data, parameters, defaults, lessons, and the settings they refuse."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdsim.core.data.resources import resource_path
from gdsim.core.engine.losses import MSE, SSE, BCEWithLogits, CrossEntropy, MnistLoss
from gdsim.core.engine.models import MLP, Linear, Polynomial, Scalar
from gdsim.core.engine.optimizers import SGD
from gdsim.core.engine.trainer import STOP_DIVERGED, STOP_STEPS
from gdsim.core.errors import GdsimError
from gdsim.core.scenarios import QUADRATIC_PARAMS, QUADRATIC_SPEED, SCENARIOS, build_trainer, get_scenario
from gdsim.core.settings import Settings


def trainer(scenario, **kw):
    return build_trainer(Settings(scenario=scenario, **kw))


def test_the_built_in_scenarios():
    assert list(SCENARIOS) == ["fruit", "quadratic", "micrograd", "digits", "digits10", "parabola", "chain-rule"]
    for s in SCENARIOS.values():
        assert s.summary and "\n" not in s.summary


# ----- data ------------------------------------------------------------------------------------------

def test_fruit_data():
    d = trainer("fruit").data
    np.testing.assert_array_equal(d.x, [[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70]])
    np.testing.assert_array_equal(d.y, [[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]])
    assert d.x.dtype == np.float64 and d.y.dtype == np.float64
    assert not d.has_validation


def test_quadratic_data_is_fixed_and_independent_of_seed():
    for seed in (0, 1, 12345):
        d = trainer("quadratic", seed=seed).data
        np.testing.assert_array_equal(d.x, np.arange(20))
        np.testing.assert_array_equal(d.y, np.array(QUADRATIC_SPEED))
    # ...the article's a, b, c whatever the seed, while a drawn start changes with it.
    for seed in (0, 1):
        np.testing.assert_array_equal(trainer("quadratic", seed=seed).params.values, QUADRATIC_PARAMS)
    assert not np.array_equal(trainer("quadratic", seed=0, init="normal").params.values,
                              trainer("quadratic", seed=1, init="normal").params.values)


def test_micrograd_data():
    d = trainer("micrograd").data
    np.testing.assert_array_equal(d.x, [[2, 3, -1], [3, -1, 0.5], [0.5, 1, 1], [1, 1, -1]])
    np.testing.assert_array_equal(d.y.ravel(), [1, -1, -1, 1])


def test_digits_data():
    d = trainer("digits").data
    assert d.x.shape == (640, 784) and d.y.shape == (640, 1)
    assert d.x_val.shape == (160, 784) and d.y_val.shape == (160, 1)
    assert d.x.dtype == np.float64
    with np.load(resource_path("mnist_3_7.npz")) as f:
        images, labels = f["images"], f["labels"]
    assert images.shape == (800, 28, 28) and images.dtype == np.uint8
    flat = images.reshape(800, 784).astype(np.float64) / 255.0
    target = (labels == 3).astype(np.float64)
    # Every image lands in exactly one split, scaled to [0, 1], flattened row-major, 3 -> 1, 7 -> 0.
    allx = np.concatenate([d.x, d.x_val])
    ally = np.concatenate([d.y, d.y_val]).ravel()
    order_have = np.lexsort(allx.T[::-1])
    order_want = np.lexsort(flat.T[::-1])
    np.testing.assert_array_equal(allx[order_have], flat[order_want])
    np.testing.assert_array_equal(ally[order_have], target[order_want])
    assert d.x.min() == 0.0 and d.x.max() == 1.0
    # Row-major: pixel (r, c) of image i is feature 28*r + c.
    i = int(np.flatnonzero(labels == 3)[0])
    assert d.x[0, 28 * 14 + 10] == images[i, 14, 10] / 255.0
    np.testing.assert_array_equal(d.x[0], flat[i])
    # Balanced: 320 of each digit train, 80 of each validate.
    assert d.y.sum() == 320 and d.y_val.sum() == 80
    assert set(np.unique(d.y)) == {0.0, 1.0}


def test_parabola_data_and_start():
    t = trainer("parabola")
    assert float(t.params["x"].value) == 3.0
    assert float(trainer("parabola", seed=99).params["x"].value) == 3.0
    assert float(np.asarray(t.data.y)) == 0.0


# ----- parameters in PyTorch state_dict convention --------------------------------------------------------

@pytest.mark.parametrize("scenario,model,shapes", [
    ("fruit", None, {"weight": (2, 3), "bias": (2,)}),
    ("quadratic", None, {"params": (3,)}),
    ("micrograd", None, {"layers.0.weight": (4, 3), "layers.0.bias": (4,), "layers.1.weight": (4, 4),
                         "layers.1.bias": (4,), "layers.2.weight": (1, 4), "layers.2.bias": (1,)}),
    ("digits", None, {"weight": (1, 784), "bias": (1,)}),
    ("digits", "mlp", {"layers.0.weight": (30, 784), "layers.0.bias": (30,),
                       "layers.1.weight": (1, 30), "layers.1.bias": (1,)}),
    ("parabola", None, {"x": ()}),
])
def test_parameter_names_and_shapes(scenario, model, shapes):
    t = trainer(scenario, model=model)
    state = t.params.state_dict()
    assert list(state) == list(shapes)
    assert {k: v.shape for k, v in state.items()} == shapes
    assert all(v.dtype == np.float64 for v in state.values())
    assert t.params.size == sum(int(np.prod(s, dtype=int)) for s in shapes.values())


def test_cross_entropy_on_digits_has_two_outputs():
    t = trainer("digits", loss="cross_entropy")
    assert {k: v.shape for k, v in t.params.state_dict().items()} == {"weight": (2, 784), "bias": (2,)}
    assert t.data.y.dtype.kind == "i" and t.data.y.shape == (640,)
    assert set(np.unique(t.data.y)) == {0, 1}
    assert isinstance(t.loss, CrossEntropy)
    t.run(limit=3)
    assert len(t.history.val_steps) == 1


# ----- defaults ----------------------------------------------------------------------------------------

def test_fruit_defaults():
    t = trainer("fruit")
    s = t.settings
    assert (s.loss, s.init, s.optimizer, s.lr, s.batch_size) == ("mse", "article", "sgd", 1e-5, None)
    assert isinstance(t.model, Linear) and isinstance(t.loss, MSE) and isinstance(t.optimizer, SGD)
    assert t.zero_grad is True and t.metric is None


def test_quadratic_defaults():
    t = trainer("quadratic")
    s = t.settings
    assert (s.loss, s.init, s.optimizer, s.lr) == ("mse", "article", "sgd", 1e-5)
    assert isinstance(t.model, Polynomial) and t.metric == "rmse"


def test_micrograd_defaults():
    t = trainer("micrograd")
    s = t.settings
    assert (s.loss, s.init, s.optimizer, s.lr, s.seed) == ("sse", "uniform:-1,1", "sgd", 0.4, 31)
    assert isinstance(t.model, MLP) and isinstance(t.loss, SSE)
    assert [a.name for a in t.model.activations] == ["tanh", "tanh", "tanh"]
    assert np.all(np.abs(t.params.values) <= 1.0)
    # uniform(-1, 1) from default_rng(31), in declared order.
    rng = np.random.default_rng(31)
    expect = np.concatenate([rng.uniform(-1, 1, size=p.shape).ravel() for p in t.params])
    np.testing.assert_array_equal(t.params.values, expect)


def test_micrograd_outputs_are_tanh_squashed():
    t = trainer("micrograd")
    out = t.predict()
    assert out.shape == (4, 1) and np.all(np.abs(out) < 1)


def test_digits_defaults():
    t = trainer("digits")
    s = t.settings
    assert (s.loss, s.init, s.optimizer, s.lr, s.batch_size) == ("mnist", "zeros", "sgd", 1.0, 256)
    assert isinstance(t.loss, MnistLoss) and t.metric == "accuracy"
    assert t.sampler.batches_per_epoch == 3


def test_digits_mlp_defaults():
    t = trainer("digits", model="mlp")
    assert isinstance(t.loss, BCEWithLogits)
    assert [a.name for a in t.model.activations] == ["relu", "identity"]
    assert t.sampler.batch_size == 256


def test_parabola_defaults():
    t = trainer("parabola")
    assert isinstance(t.model, Scalar) and isinstance(t.loss, SSE)
    assert t.settings.lr == 0.1


def test_batch_size_at_least_n_means_full_batch():
    t = trainer("digits", batch_size=640)
    assert t.settings.batch_size is None and t.sampler.full
    t = trainer("digits", batch_size=100)
    assert t.sampler.batches_per_epoch == 7  # 6 x 100 + 40


# ----- the lessons -----------------------------------------------------------------------------------------

def test_digits_default_run_reaches_95_percent_validation_accuracy():
    t = trainer("digits")
    stop = t.run()
    assert stop.reason == STOP_STEPS and t.step_count == 120
    assert len(t.history.val_steps) == 40
    assert t.history.val_metric[-1] >= 0.95
    _, acc = t.evaluate("val")
    assert acc == t.history.val_metric[-1]


def test_digits_mlp_learns():
    t = trainer("digits", model="mlp", steps=30)
    t.run()
    assert t.history.val_metric[-1] >= 0.95
    assert np.all(np.diff(t.history.val_loss) < 0)


def test_micrograd_converges_with_zeroing():
    t = trainer("micrograd", steps=30)
    t.run()
    assert t.history.loss[0] > 5.0
    below = np.flatnonzero(t.history.loss < 0.05)
    assert below.size and below[0] + 1 <= 30
    assert t.history.loss[-1] < 0.05


def test_micrograd_stalls_without_zeroing():
    t = trainer("micrograd", zero_grad=False, steps=50)
    t.run()
    assert len(t.history) == 50
    assert t.history.loss[49] > 1.0
    on = trainer("micrograd", steps=50)
    on.run()
    assert t.history.loss[0] == on.history.loss[0] and t.history.loss[1] == on.history.loss[1]
    # Saturated: outputs pinned at +-1 on the wrong side for two examples, loss 8.
    assert t.history.loss[49] == pytest.approx(8.0, abs=1e-6)


@pytest.mark.parametrize("steps", [1, 2, 7, 20])
def test_parabola_lr_1_oscillates_between_3_and_minus_3(steps):
    t = trainer("parabola", lr=1.0, steps=steps)
    t.run()
    assert float(t.params["x"].value) == 3.0 * (-1) ** steps
    np.testing.assert_array_equal(t.history.loss, np.full(steps, 9.0))


def test_parabola_lr_above_1_diverges():
    for lr in (1.01, 1.5, 3.0):
        t = trainer("parabola", lr=lr, steps=100000)
        stop = t.run()
        assert stop.reason == STOP_DIVERGED and stop.divergence.quantity == "loss"
        # |x| grows by |1 - 2 lr| per step until x**2 overflows.
        growth = abs(1 - 2 * lr)
        expect = math.ceil(math.log(math.sqrt(np.finfo(float).max) / 3) / math.log(growth))
        assert abs(stop.divergence.step - 1 - expect) <= 1


def test_parabola_lr_0_1_converges():
    t = trainer("parabola", lr=0.1, steps=20)
    t.run()
    assert float(t.params["x"].value) == pytest.approx(3 * 0.8**20, rel=1e-13)
    assert abs(float(t.params["x"].value)) < 0.04
    assert np.all(np.diff(t.history.loss) < 0)


def test_parabola_lr_0_9_oscillates_inward():
    t = trainer("parabola", lr=0.9, steps=10)
    t.run()
    assert float(t.params["x"].value) == pytest.approx(3 * (-0.8) ** 10, rel=1e-13)


# ----- bad settings ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw,message", [
    ({"scenario": "nope"}, "unknown scenario 'nope'; choose from fruit, quadratic, micrograd, digits, digits10, parabola"),
    ({"scenario": "fruit", "model": "mlp"}, "scenario 'fruit' has no model 'mlp'; choose from linear"),
    ({"scenario": "digits", "model": "cnn"}, "scenario 'digits' has no model 'cnn'; choose from linear, mlp"),
    ({"loss": "hinge"}, "unknown loss 'hinge'; choose from mse, sse, mae, huber, bce, cross_entropy, mnist"),
    ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'"),
    ({"init": "orthogonal"}, "unknown initializer 'orthogonal'"),
    ({"loss": "bce"}, "scenario 'fruit' is a regression; a binary (0/1) loss needs a classification scenario"),
    ({"scenario": "quadratic", "loss": "mnist"}, "scenario 'quadratic' is a regression"),
    ({"scenario": "micrograd", "loss": "bce"}, "scenario 'micrograd' is a regression"),
    ({"scenario": "parabola", "loss": "cross_entropy"}, "a class loss needs a classification scenario"),
    ({"lr": 0.0}, "learning rate must be > 0, not 0"),
    ({"lr": -0.1}, "learning rate must be > 0, not -0.1"),
    ({"lr": math.inf}, "learning rate must be a finite number, not inf"),
    ({"lr": math.nan}, "learning rate must be a finite number, not nan"),
    ({"lr": 1e7}, "learning rate must be at most 1e+06, not 1e+07"),  # the command line's words too
    ({"lr": "0.1"}, "learning rate must be a number, not '0.1'"),
    ({"steps": -5}, "steps must be >= 0, not -5"),
    ({"steps": 2.5}, "steps must be a whole number, not 2.5"),
    ({"batch_size": 0}, "batch size must be >= 1, not 0"),
    ({"seed": -1}, "seed must be >= 0, not -1"),
    ({"seed": 2**63}, "seed is too large"),
    ({"patience": 0}, "patience must be >= 1, not 0"),
    ({"until_loss": math.nan}, "target loss must be a finite number"),
    ({"l1": -1.0}, "L1 penalty must be >= 0, not -1"),
    ({"l2": math.inf}, "L2 penalty must be a finite number"),
    ({"loss": "huber:-1"}, "Huber delta must be a finite number > 0"),
    ({"loss": "huber:1,2"}, "loss 'huber' does not take 2 argument(s)"),
    ({"loss": "huber:abc"}, "'abc' is not a number"),
    ({"optimizer": "momentum:1"}, "momentum must be in [0, 1), not 1.0"),
    ({"init": "uniform:1,-1"}, "uniform needs finite bounds with low <= high"),
    ({"init": "normal:0,-1"}, "normal needs a finite mean and a std >= 0"),
    ({"init": "zeros:1"}, "initializer 'zeros' does not take 1 argument(s)"),
    ({"init": ":1"}, "empty choice"),
])
def test_bad_settings_raise_gdsim_error(kw, message):
    kw = {"scenario": "fruit", **kw}
    with pytest.raises(GdsimError) as exc:
        build_trainer(Settings(**kw))
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_settings_from_dict_refuses_unknown_keys():
    with pytest.raises(GdsimError, match="unknown settings: 'colour'"):
        Settings.from_dict({"scenario": "fruit", "colour": "red"})
    assert Settings.from_dict(Settings(lr=0.5).to_dict()) == Settings(lr=0.5)


def test_get_scenario():
    assert get_scenario("digits").name == "digits"
    with pytest.raises(GdsimError, match="unknown scenario"):
        get_scenario("Fruit")


def test_settings_override_scenario_defaults():
    t = trainer("fruit", lr=2e-5, optimizer="adam", init="zeros", steps=3, seed=4, loss="huber:2")
    s = t.settings
    assert (s.lr, s.optimizer, s.init, s.steps, s.seed, s.loss) == (2e-5, "adam", "zeros", 3, 4, "huber:2")
    assert not np.any(t.params.values)
    assert t.loss.delta == 2.0
    assert t.run().step == 3
