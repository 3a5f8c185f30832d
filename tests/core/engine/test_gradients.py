"""Analytic gradients against central finite differences, in float64.

Every model (with every activation), every loss (in every regime), and the L1/L2
penalties added by the trainer. Data is random but kept away from the kinks of
ReLU, |x| and Huber, where a finite difference straddles two pieces.
"""

from __future__ import annotations

import numpy as np
import pytest

from gdsim.core.engine.activations import ACTIVATIONS
from gdsim.core.engine.losses import MAE, MSE, SSE, BCEWithLogits, CrossEntropy, Huber, MnistLoss
from gdsim.core.engine.models import MLP, Linear, Polynomial, Scalar
from gdsim.core.engine.parameter import ParameterSet
from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings

EPS = 1e-6
RTOL = 1e-6


def numeric_grad(f, v: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to every element of ``v`` (in place)."""
    g = np.zeros(v.size)
    flat = v.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        g[i] = (up - down) / (2 * eps)
    return g.reshape(v.shape)


def assert_grad_close(analytic, numeric, rtol=RTOL):
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    assert analytic.shape == numeric.shape
    # Absolute floor: the round-off of a central difference, scaled to the gradient's size.
    atol = 1e-8 * max(1.0, float(np.max(np.abs(numeric))))
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol)
    # And the check must be able to fail: the gradient is not trivially zero.
    assert np.max(np.abs(numeric)) > 1e-3


def bound(model, rng, scale=1.0):
    params = ParameterSet(model.parameter_specs())
    model.bind(params)
    params.values[...] = rng.normal(0.0, scale, size=params.size)
    return params


def check_model(model, x, rng, scale=1.0):
    params = bound(model, rng, scale)
    out = model.forward(x)
    np.testing.assert_array_equal(out, model.predict(x))
    r = rng.normal(size=np.shape(out))  # objective: sum(out * r), so dL/dout = r

    params.zero_grad()
    model.forward(x)
    model.backward(r)
    analytic = params.grads.copy()

    numeric = numeric_grad(lambda: float(np.sum(model.predict(x) * r)), params.values)
    assert_grad_close(analytic, numeric)
    return params, analytic


# ----- models ---------------------------------------------------------------------------------

def test_linear_gradient():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(7, 3))
    check_model(Linear(3, 2), x, rng)


def test_linear_gradient_matches_closed_form():
    rng = np.random.default_rng(2)
    model = Linear(4, 3)
    params = bound(model, rng)
    x = rng.normal(size=(5, 4))
    r = rng.normal(size=(5, 3))
    model.forward(x)
    model.backward(r)
    np.testing.assert_allclose(params["weight"].grad, r.T @ x, rtol=1e-14)
    np.testing.assert_allclose(params["bias"].grad, r.sum(axis=0), rtol=1e-14)


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
def test_polynomial_gradient(degree):
    rng = np.random.default_rng(3 + degree)
    t = rng.uniform(-2, 2, size=11)
    check_model(Polynomial(degree), t, rng)


def test_polynomial_is_a_t2_plus_b_t_plus_c():
    model = Polynomial(2)
    params = ParameterSet(model.parameter_specs())
    model.bind(params)
    params["params"].value[...] = [2.0, -3.0, 0.5]
    t = np.array([0.0, 1.0, 2.0, -1.5])
    np.testing.assert_allclose(model.forward(t), 2 * t**2 - 3 * t + 0.5, rtol=1e-15)


def pre_activations(model, x):
    zs, h = [], x
    for layer, act in zip(model.layers, model.activations):
        z = layer.predict(h)
        zs.append(z)
        h = act.forward(z)
    return zs


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_mlp_gradient_each_activation(activation):
    rng = np.random.default_rng(4)
    model = MLP((3, 5, 4, 2), activation)
    x = rng.normal(size=(6, 3))
    if activation == "relu":
        # Find a draw whose pre-activations all stay away from ReLU's kink at 0.
        for seed in range(200):
            bound(model, np.random.default_rng(seed))
            if min(np.min(np.abs(z)) for z in pre_activations(model, x)) > 1e-3:
                break
        else:
            pytest.fail("no draw of weights keeps every ReLU input away from 0")
        rng = np.random.default_rng(seed)
    check_model(model, x, rng)
    if activation == "relu":
        # The draw really has units switched off, so the mask is exercised.
        assert any(np.any(z < 0) for z in pre_activations(model, x))


def test_mlp_gradient_mixed_activations():
    rng = np.random.default_rng(5)
    model = MLP((4, 6, 5, 3, 2), ("tanh", "sigmoid", "identity", "tanh"))
    x = rng.normal(size=(8, 4))
    check_model(model, x, rng, scale=0.7)


def test_mlp_micrograd_shape_gradient():
    rng = np.random.default_rng(6)
    model = MLP((3, 4, 4, 1), "tanh")
    x = np.array([[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]])
    check_model(model, x, rng, scale=0.5)


def test_scalar_gradient():
    model = Scalar("x")
    params = ParameterSet(model.parameter_specs())
    model.bind(params)
    params["x"].value[...] = 1.7
    out = model.forward(None)
    assert out.shape == ()
    model.backward(np.float64(2.5))
    assert params.grads[0] == 2.5
    numeric = numeric_grad(lambda: float(model.predict(None) * 2.5), params.values)
    assert_grad_close(params.grads, numeric)


def test_scalar_loss_is_taken_before_the_update():
    # Scalar.forward hands out the weight itself (no copy on the hot path); the trainer reads the
    # output only before updating, so each recorded loss is f of the weight before that step.
    from gdsim.core.scenarios import build_trainer
    from gdsim.core.settings import Settings

    t = build_trainer(Settings(scenario="parabola", steps=5))
    xs = [float(t.params.values[0])]
    for _ in range(5):
        assert t.step() is None
        xs.append(float(t.params.values[0]))
    assert list(t.history.loss) == [x * x for x in xs[:-1]]


# ----- accumulation ---------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: (Linear(3, 2), np.random.default_rng(0).normal(size=(5, 3))),
    lambda: (Polynomial(2), np.linspace(-1, 1, 9)),
    lambda: (MLP((3, 4, 1), "tanh"), np.random.default_rng(0).normal(size=(5, 3))),
    lambda: (MLP((3, 4, 2), ("sigmoid", "identity")), np.random.default_rng(0).normal(size=(5, 3))),
    lambda: (Scalar(), None),
], ids=["linear", "polynomial", "mlp_tanh", "mlp_sigmoid", "scalar"])
def test_backward_accumulates(make):
    model, x = make()
    rng = np.random.default_rng(7)
    params = bound(model, rng)
    out = model.forward(x)
    r = rng.normal(size=np.shape(out))
    model.backward(r)
    once = params.grads.copy()
    assert np.any(once != 0)
    model.backward(r)
    np.testing.assert_allclose(params.grads, 2 * once, rtol=1e-15)
    # A third pass after a fresh forward on the same weights adds the same again.
    model.forward(x)
    model.backward(r)
    np.testing.assert_allclose(params.grads, 3 * once, rtol=1e-14)
    params.zero_grad()
    assert not np.any(params.grads)


def test_parameter_views_share_the_flat_buffers():
    model = MLP((3, 4, 2), "tanh")
    params = ParameterSet(model.parameter_specs())
    model.bind(params)
    w = params["layers.1.weight"]
    assert w.shape == (2, 4)
    w.value[...] = 5.0
    w.grad += 1.5
    lo, hi = w.offset, w.offset + w.size
    assert np.all(params.values[lo:hi] == 5.0)
    assert np.all(params.grads[lo:hi] == 1.5)
    assert np.count_nonzero(params.values) == w.size
    assert np.shares_memory(w.value, params.values)
    assert np.shares_memory(w.grad, params.grads)


# ----- losses -----------------------------------------------------------------------------------

def loss_grad_check(loss, pred, target, eps=EPS, rtol=RTOL):
    value = loss.forward(pred, target)
    g = loss.backward()
    assert g.shape == pred.shape
    p = pred.copy()
    numeric = numeric_grad(lambda: loss.forward(p, target), p, eps)
    assert_grad_close(g, numeric, rtol=rtol)
    return value, g


def test_mse_gradient():
    rng = np.random.default_rng(10)
    pred, target = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    _, g = loss_grad_check(MSE(), pred, target)
    np.testing.assert_allclose(g, 2 * (pred - target) / 10, rtol=1e-15)


def test_sse_gradient():
    rng = np.random.default_rng(11)
    pred, target = rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    _, g = loss_grad_check(SSE(), pred, target)
    np.testing.assert_allclose(g, 2 * (pred - target), rtol=1e-15)


def test_mae_gradient_away_from_zero():
    rng = np.random.default_rng(12)
    d = rng.uniform(0.1, 2.0, size=(6, 2)) * rng.choice([-1, 1], size=(6, 2))
    target = rng.normal(size=(6, 2))
    loss_grad_check(MAE(), target + d, target)


@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
def test_huber_gradient_both_regimes(delta):
    rng = np.random.default_rng(13)
    # Half the residuals inside (quadratic), half outside (linear), none near |d| = delta.
    inside = rng.uniform(0.05, 0.9, size=10) * delta * rng.choice([-1, 1], size=10)
    outside = rng.uniform(1.1, 4.0, size=10) * delta * rng.choice([-1, 1], size=10)
    d = np.concatenate([inside, outside]).reshape(10, 2)
    target = rng.normal(size=(10, 2))
    _, g = loss_grad_check(Huber(delta), target + d, target)
    # Linear regime: the gradient is +-delta/n; quadratic: d/n.
    n = d.size
    expect = np.where(np.abs(d) < delta, d, delta * np.sign(d)) / n
    np.testing.assert_allclose(g, expect, rtol=1e-12)


def test_bce_gradient_moderate_logits():
    rng = np.random.default_rng(14)
    z = rng.normal(0, 3, size=(12, 1))
    t = rng.integers(0, 2, size=(12, 1)).astype(np.float64)
    loss_grad_check(BCEWithLogits(), z, t)


def test_bce_gradient_large_logits():
    # |logit| up to 800: exp(800) overflows, so only a stable formula gets a gradient at all.
    z = np.array([[800.0], [-800.0], [40.0], [-40.0], [35.0], [-35.0], [0.3], [-0.7]])
    t = np.array([[0.0], [1.0], [0.0], [1.0], [1.0], [0.0], [1.0], [0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, g = loss_grad_check(BCEWithLogits(), z, t)
    assert np.all(np.isfinite(g))
    # Wrong and confident: the gradient is +-1/n, the loss about |z|/n.
    np.testing.assert_allclose(g[:4, 0], [1 / 8, -1 / 8, 1 / 8, -1 / 8], rtol=1e-12)
    assert np.isfinite(value) and value > 1600 / 8


def test_cross_entropy_gradient():
    rng = np.random.default_rng(15)
    z = rng.normal(0, 2, size=(9, 4))
    t = rng.integers(0, 4, size=9)
    value, g = loss_grad_check(CrossEntropy(), z, t)
    # Closed form: (softmax - onehot) / n.
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    onehot = np.eye(4)[t]
    np.testing.assert_allclose(g, (p - onehot) / 9, rtol=1e-12, atol=1e-16)


def test_cross_entropy_gradient_large_logits():
    z = np.array([[900.0, -900.0, 0.0], [0.5, 1000.0, -3.0], [2.0, 1.0, 0.0]])
    t = np.array([1, 1, 2])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = CrossEntropy()
        value = loss.forward(z, t)
        g = loss.backward()
    assert np.isfinite(value) and np.all(np.isfinite(g))
    loss_grad_check(CrossEntropy(), z, t)


def test_mnist_loss_gradient():
    rng = np.random.default_rng(16)
    z = rng.normal(0, 2, size=(10, 1))
    t = rng.integers(0, 2, size=(10, 1)).astype(np.float64)
    _, g = loss_grad_check(MnistLoss(), z, t)
    p = 1 / (1 + np.exp(-z))
    expect = np.where(t == 1, -p * (1 - p), p * (1 - p)) / 10
    np.testing.assert_allclose(g, expect, rtol=1e-12)


# ----- through a whole model: loss(model(x)) -----------------------------------------------------

@pytest.mark.parametrize("loss,target_kind", [
    (MSE(), "real"), (SSE(), "real"), (Huber(0.5), "real"),
    (BCEWithLogits(), "binary"), (MnistLoss(), "binary"), (CrossEntropy(), "class"),
], ids=["mse", "sse", "huber", "bce", "mnist", "cross_entropy"])
def test_loss_through_mlp(loss, target_kind):
    rng = np.random.default_rng(17)
    n_out = 3 if target_kind == "class" else 2
    if target_kind == "binary":
        n_out = 1
    model = MLP((4, 5, n_out), ("tanh", "identity"))
    params = bound(model, rng)
    x = rng.normal(size=(6, 4))
    if target_kind == "real":
        y = rng.normal(size=(6, n_out))
    elif target_kind == "binary":
        y = rng.integers(0, 2, size=(6, 1)).astype(np.float64)
    else:
        y = rng.integers(0, 3, size=6)
    params.zero_grad()
    loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    analytic = params.grads.copy()
    numeric = numeric_grad(lambda: loss.forward(model.predict(x), y), params.values)
    assert_grad_close(analytic, numeric)


@pytest.mark.parametrize("k", [2, 3, 10])
def test_cross_entropy_through_a_linear_model_of_k_classes(k):
    """Multi-class: k logits per row, a class index per row; every weight's gradient, numerically."""
    rng = np.random.default_rng(18 + k)
    model = Linear(6, k)
    params = bound(model, rng, scale=0.5)
    x = rng.normal(size=(12, 6))
    y = rng.integers(0, k, size=12)
    loss = CrossEntropy()
    params.zero_grad()
    loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    analytic = params.grads.copy()
    numeric = numeric_grad(lambda: loss.forward(model.predict(x), y), params.values)
    assert_grad_close(analytic, numeric)


def test_multiclass_gradients_through_the_trainer_match_finite_differences():
    """The gradient a step of a multi-class run uses (digits10's data, 10 classes) is the derivative of
    the loss that step records."""
    base = build_trainer(Settings(scenario="digits10", batch_size=2400, steps=1))
    rng = np.random.default_rng(21)
    # A few weights of each class's row, and every bias: all 7,850 would take minutes.
    state = {"weight": rng.normal(0, 0.05, size=(10, 784)), "bias": rng.normal(0, 0.5, size=10)}
    base.set_initial_weights(state)
    assert base.step() is None
    grad = base.update_grads
    picks = [c * 784 + p for c in range(10) for p in (300, 406, 500)] + list(range(7840, 7850))

    def loss_at(flat):
        t = build_trainer(Settings(scenario="digits10", batch_size=2400, steps=1))
        t.set_initial_weights({"weight": flat[:7840].reshape(10, 784), "bias": flat[7840:]})
        t.step()
        return float(t.history.loss[0])

    flat = np.concatenate([state["weight"].ravel(), state["bias"]])
    numeric = []
    for i in picks:
        up, down = flat.copy(), flat.copy()
        up[i] += EPS
        down[i] -= EPS
        numeric.append((loss_at(up) - loss_at(down)) / (2 * EPS))
    assert_grad_close(grad[picks], np.array(numeric))


# ----- penalties, through the trainer -----------------------------------------------------------

def trainer_objective_and_grad(scenario, state, **settings):
    """Loss recorded at step 1 and the gradient step 1's update used, from ``state``."""
    t = build_trainer(Settings(scenario=scenario, steps=1, **settings))
    t.set_initial_weights(state)
    assert t.step() is None
    return float(t.history.loss[0]), t.update_grads.copy(), t


@pytest.mark.parametrize("scenario,l1,l2", [
    ("fruit", 0.3, 0.0), ("fruit", 0.0, 0.7), ("fruit", 0.2, 0.5),
    ("micrograd", 0.05, 0.1), ("quadratic", 1.5, 2.0), ("parabola", 0.4, 0.25),
])
def test_penalty_gradients_through_trainer(scenario, l1, l2):
    base = build_trainer(Settings(scenario=scenario))
    rng = np.random.default_rng(20)
    # Random weights well away from 0, where |p| has its kink.
    state = {}
    for p in base.params:
        v = rng.uniform(0.2, 1.0, size=p.shape) * rng.choice([-1.0, 1.0], size=p.shape)
        state[p.name] = np.asarray(v, dtype=np.float64)
    loss, grad, t = trainer_objective_and_grad(scenario, state, l1=l1, l2=l2)

    flat = np.concatenate([state[n].reshape(-1) for n in t.params.names])
    loss0, grad0, _ = trainer_objective_and_grad(scenario, state)
    # The value: the plain loss plus l1*sum|p| + l2*sum p**2 over every parameter.
    np.testing.assert_allclose(loss, loss0 + l1 * np.abs(flat).sum() + l2 * (flat**2).sum(), rtol=1e-13)
    # The gradient: the plain gradient plus l1*sign(p) + 2*l2*p.
    np.testing.assert_allclose(grad, grad0 + l1 * np.sign(flat) + 2 * l2 * flat, rtol=1e-12, atol=1e-12)

    # And against finite differences of the recorded step-1 loss.
    names, shapes = t.params.names, [state[n].shape for n in t.params.names]
    sizes = [int(np.prod(s, dtype=int)) for s in shapes]

    def f():
        parts = np.split(flat, np.cumsum(sizes)[:-1])
        st = {n: part.reshape(s) for n, part, s in zip(names, parts, shapes)}
        return trainer_objective_and_grad(scenario, st, l1=l1, l2=l2)[0]

    numeric = numeric_grad(f, flat)
    assert_grad_close(grad, numeric)
