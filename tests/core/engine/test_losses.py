"""Loss values against closed forms, stability at extreme logits, links and metrics."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from gdsim.core.engine.activations import sigmoid
from gdsim.core.engine.losses import LOSSES, MAE, MSE, SSE, BCEWithLogits, CrossEntropy, Huber, MnistLoss, apply_link
from gdsim.core.engine.metrics import accuracy, rmse


@pytest.fixture
def strict_float():
    """Any overflow, division by zero or invalid operation is an error, as is any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            yield


def test_registry_has_every_loss():
    assert set(LOSSES) == {"mse", "sse", "mae", "huber", "bce", "cross_entropy", "mnist", "value"}


def test_mse_is_mean_over_all_elements():
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    target = np.array([[0.0, 0.0], [1.0, 1.0]])
    # squares 1, 4, 4, 9 -> mean 4.5
    assert MSE().forward(pred, target) == 4.5


def test_mse_fruit_closed_form():
    pred = np.array([[56.5, 70.0], [80.0, 101.0], [119.0, 130.0], [22.0, 37.0], [103.0, 119.0]])
    target = np.array([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]], dtype=float)
    assert MSE().forward(pred, target) == pytest.approx((0.25 + 1 + 9) / 10, rel=1e-15)


def test_sse_is_sum():
    assert SSE().forward(np.array([[1.0], [-2.0], [0.5]]), np.zeros((3, 1))) == 1 + 4 + 0.25
    # The parabola: x**2 against target 0.
    loss = SSE()
    assert loss.forward(np.array(3.0), np.array(0.0)) == 9.0
    assert loss.backward() == 6.0


def test_mae():
    pred = np.array([1.0, -2.0, 0.5, 4.0])
    target = np.array([0.0, 0.0, 1.0, 4.0])
    assert MAE().forward(pred, target) == (1 + 2 + 0.5 + 0) / 4
    loss = MAE()
    loss.forward(pred, target)
    # sign(0) = 0 at an exact fit, as PyTorch.
    np.testing.assert_array_equal(loss.backward(), [0.25, -0.25, -0.25, 0.0])


@pytest.mark.parametrize("delta,d,expected", [
    (1.0, 0.5, 0.125),        # quadratic: 0.5 d**2
    (1.0, -0.5, 0.125),
    (1.0, 3.0, 2.5),          # linear: delta * (|d| - delta/2)
    (1.0, -2.0, 1.5),
    (1.0, 1.0, 0.5),          # both pieces meet at |d| = delta
    (2.0, 1.0, 0.5),
    (2.0, 5.0, 8.0),
    (2.0, -2.0, 2.0),
    (0.5, 0.25, 0.03125),
    (0.5, 3.0, 1.375),
])
def test_huber_known_points(delta, d, expected):
    loss = Huber(delta)
    assert loss.forward(np.array([d]), np.array([0.0])) == pytest.approx(expected, rel=1e-15)


def test_huber_mean_over_elements_and_gradient():
    loss = Huber(1.0)
    value = loss.forward(np.array([0.5, 3.0, -2.0, 0.0]), np.zeros(4))
    assert value == pytest.approx((0.125 + 2.5 + 1.5 + 0.0) / 4, rel=1e-15)
    np.testing.assert_allclose(loss.backward(), [0.5 / 4, 1 / 4, -1 / 4, 0.0], rtol=1e-15)


def test_huber_matches_mse_half_inside_delta():
    d = np.array([0.1, -0.3, 0.2])
    assert Huber(1.0).forward(d, np.zeros(3)) == pytest.approx(0.5 * MSE().forward(d, np.zeros(3)), rel=1e-14)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_huber_delta_must_be_positive_finite(bad):
    with pytest.raises(ValueError, match="delta"):
        Huber(bad)


def test_bce_at_zero_logit_is_log2():
    assert BCEWithLogits().forward(np.zeros((3, 1)), np.array([[1.0], [0.0], [1.0]])) == pytest.approx(
        math.log(2), rel=1e-15)


def test_bce_matches_textbook_formula_for_moderate_logits():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, size=(20, 1))
    t = rng.integers(0, 2, size=(20, 1)).astype(float)
    p = 1 / (1 + np.exp(-z))
    expect = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert BCEWithLogits().forward(z, t) == pytest.approx(expect, rel=1e-12)


def test_bce_stable_at_800(strict_float):
    z = np.array([[800.0], [800.0], [-800.0], [-800.0]])
    t = np.array([[1.0], [0.0], [0.0], [1.0]])
    loss = BCEWithLogits()
    # Right and confident: 0. Wrong and confident: |z|. Mean of (0, 800, 0, 800) = 400.
    assert loss.forward(z, t) == 400.0
    np.testing.assert_array_equal(loss.backward(), [[0.0], [0.25], [0.0], [-0.25]])
    assert loss.forward(np.array([[800.0]]), np.array([[1.0]])) == 0.0
    assert loss.forward(np.array([[-800.0]]), np.array([[1.0]])) == 800.0


def test_bce_large_but_representable_logits(strict_float):
    # log(1 + exp(-30)) ~ exp(-30): the stable formula keeps these tiny losses exactly.
    loss = BCEWithLogits().forward(np.array([[30.0]]), np.array([[1.0]]))
    assert loss == pytest.approx(math.exp(-30), rel=1e-12)
    loss = BCEWithLogits().forward(np.array([[-30.0]]), np.array([[1.0]]))
    assert loss == pytest.approx(30 + math.log1p(math.exp(-30)), rel=1e-15)


def test_cross_entropy_uniform_logits_is_log_c(strict_float):
    for c in (2, 3, 10):
        z = np.full((4, c), 7.25)
        t = np.arange(4) % c
        assert CrossEntropy().forward(z, t) == pytest.approx(math.log(c), rel=1e-14)


def test_cross_entropy_known_value():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, math.log(2.0)]])
    t = np.array([2, 0])
    e = math.exp
    row0 = -math.log(e(3) / (e(1) + e(2) + e(3)))
    row1 = -math.log(1 / (1 + 1 + 2))
    assert CrossEntropy().forward(z, t) == pytest.approx((row0 + row1) / 2, rel=1e-14)


def test_cross_entropy_stable_at_huge_logits(strict_float):
    z = np.array([[1000.0, 0.0], [0.0, 1000.0]])
    # Right: ~0; wrong: 1000.
    assert CrossEntropy().forward(z, np.array([0, 0])) == pytest.approx(500.0, rel=1e-15)
    assert CrossEntropy().forward(z, np.array([0, 1])) == 0.0


def test_mnist_loss_by_hand():
    # sigmoid(0) = 0.5; sigmoid(ln 3) = 0.75; sigmoid(-ln 3) = 0.25
    z = np.array([[0.0], [math.log(3)], [math.log(3)], [-math.log(3)]])
    t = np.array([[1.0], [1.0], [0.0], [0.0]])
    # where(t==1, 1-p, p): 0.5, 0.25, 0.75, 0.25 -> mean 0.4375
    assert MnistLoss().forward(z, t) == pytest.approx(0.4375, rel=1e-14)


def test_mnist_loss_fastai_example():
    # fastai's book: trgts = [1,0,1], prds = [0.9, 0.4, 0.2] -> mnist_loss = 0.4333...
    p = np.array([0.9, 0.4, 0.2])
    z = np.log(p / (1 - p)).reshape(-1, 1)
    t = np.array([[1.0], [0.0], [1.0]])
    assert MnistLoss().forward(z, t) == pytest.approx((0.1 + 0.4 + 0.8) / 3, rel=1e-13)


def test_mnist_loss_extreme_logits(strict_float):
    loss = MnistLoss()
    assert loss.forward(np.array([[800.0], [-800.0]]), np.array([[1.0], [0.0]])) == 0.0
    assert loss.forward(np.array([[800.0], [-800.0]]), np.array([[0.0], [1.0]])) == 1.0


def reference_sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def test_sigmoid_stable_and_correct(strict_float):
    z = np.array([-800.0, -30.0, -1.0, 0.0, 2.0, 30.0, 800.0])
    s = sigmoid(z)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    # Correct to full relative precision where the value is not tiny...
    np.testing.assert_allclose(s[2:], reference_sigmoid(z[2:]), rtol=1e-14)
    # ...and to within 1e-16 absolute everywhere (what losses and gradients need).
    wide = np.linspace(-60, 60, 2001)
    np.testing.assert_allclose(sigmoid(wide), reference_sigmoid(wide), rtol=1e-15, atol=1e-16)


def test_sigmoid_relative_precision_for_negative_inputs():
    z = np.linspace(-60.0, -10.0, 51)
    np.testing.assert_allclose(sigmoid(z), reference_sigmoid(z), rtol=1e-12)


def test_links():
    z = np.array([[0.0, math.log(3.0)]])
    np.testing.assert_allclose(apply_link("softmax", z), [[0.25, 0.75]], rtol=1e-15)
    np.testing.assert_allclose(apply_link("sigmoid", np.array([math.log(3.0)])), [0.75], rtol=1e-15)
    np.testing.assert_array_equal(apply_link("identity", z), z)
    assert BCEWithLogits.link == "sigmoid" and MnistLoss.link == "sigmoid"
    assert CrossEntropy.link == "softmax" and MSE.link == "identity"


def test_metrics():
    out = np.array([[1.0], [3.0], [2.0]])
    tgt = np.array([[0.0], [3.0], [4.0]])
    assert rmse(out, tgt, "identity") == pytest.approx(math.sqrt((1 + 0 + 4) / 3), rel=1e-15)
    logits = np.array([[2.0], [-1.0], [0.5], [-3.0]])
    labels = np.array([[1.0], [1.0], [0.0], [0.0]])
    assert accuracy(logits, labels, "sigmoid") == 0.5
    two = np.array([[2.0, 1.0], [0.0, 5.0], [1.0, 0.0]])
    assert accuracy(two, np.array([0, 1, 1]), "softmax") == pytest.approx(2 / 3)


@pytest.mark.parametrize("loss", ["mse", "sse", "mae", "huber", "huber:0.5"])
def test_each_is_forward_of_one_number_bit_for_bit(loss):
    """A one-weight model's path and landscape use ``each`` for thousands of points at once."""
    from gdsim.core.choices import make_choice
    from gdsim.core.engine.losses import LOSSES

    fn = make_choice("loss", LOSSES, loss)
    xs = np.concatenate([np.linspace(-5, 5, 101), [0.0, -0.0, 1e-320, 1e154, -1e200, 3.0]])
    for target in (np.array(0.0), np.array(1.5)):
        with np.errstate(all="ignore"):
            each = fn.each(xs, target)
            one_by_one = [fn.forward(np.asarray(x), target) for x in xs]
        np.testing.assert_array_equal(each, one_by_one)
