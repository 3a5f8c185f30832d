"""Update rules against hand-computed sequences (torch.optim's documented formulas, no torch here)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdsim.core.choices import make_choice
from gdsim.core.engine.optimizers import OPTIMIZERS, SGD, AdaGrad, Adam, Momentum, Nesterov, RMSProp
from gdsim.core.errors import GdsimError

# Three steps of fixed gradients on a two-element parameter vector.
P0 = np.array([1.0, -2.0])
GRADS = [np.array([1.0, 0.5]), np.array([2.0, -1.0]), np.array([-1.0, 0.25])]
LR = 0.1


def run(opt, grads=GRADS, lr=LR, p0=P0):
    opt.reset(p0.size)
    values = p0.copy()
    trajectory = []
    for g in grads:
        g = g.copy()
        before = g.copy()
        opt.update(values, g, lr)
        np.testing.assert_array_equal(g, before)  # the gradient is read, never changed
        trajectory.append(values.copy())
    return trajectory


def test_registry():
    assert set(OPTIMIZERS) == {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}


def test_sgd_by_hand():
    traj = run(SGD())
    # p -= lr * g
    np.testing.assert_allclose(traj[0], [0.9, -2.05], rtol=1e-15)
    np.testing.assert_allclose(traj[1], [0.7, -1.95], rtol=1e-15)
    np.testing.assert_allclose(traj[2], [0.8, -1.975], rtol=1e-15)


def test_sgd_updates_in_place():
    opt = SGD()
    opt.reset(2)
    values = P0.copy()
    view = values[:]
    opt.update(values, np.array([1.0, 1.0]), 0.5)
    np.testing.assert_array_equal(view, [0.5, -2.5])


def test_momentum_by_hand():
    traj = run(Momentum(0.9))
    # buf1 = g1 = [1, .5]               p = [0.9, -2.05]
    # buf2 = .9*buf1 + g2 = [2.9, -0.55] p = [0.61, -1.995]
    # buf3 = .9*buf2 + g3 = [1.61, -0.245] p = [0.449, -1.9705]
    np.testing.assert_allclose(traj[0], [0.9, -2.05], rtol=1e-14)
    np.testing.assert_allclose(traj[1], [0.61, -1.995], rtol=1e-14)
    np.testing.assert_allclose(traj[2], [0.449, -1.9705], rtol=1e-14)


def test_nesterov_by_hand():
    traj = run(Nesterov(0.9))
    # update = g + mu*buf with buf as for momentum:
    # step 1: [1 + .9, .5 + .45] = [1.9, .95]          p = [0.81, -2.095]
    # step 2: [2 + 2.61, -1 - .495] = [4.61, -1.495]   p = [0.349, -1.9455]
    # step 3: [-1 + 1.449, .25 - .2205] = [.449, .0295] p = [0.3041, -1.94845]
    np.testing.assert_allclose(traj[0], [0.81, -2.095], rtol=1e-14)
    np.testing.assert_allclose(traj[1], [0.349, -1.9455], rtol=1e-14)
    np.testing.assert_allclose(traj[2], [0.3041, -1.94845], rtol=1e-14)


def test_momentum_other_coefficient():
    traj = run(Momentum(0.5), grads=[np.array([2.0, 0.0])] * 3)
    # buf: 2, 3, 3.5 -> p: 1-.2, .8-.3, .5-.35
    np.testing.assert_allclose([t[0] for t in traj], [0.8, 0.5, 0.15], rtol=1e-14)


def test_adagrad_by_hand():
    traj = run(AdaGrad())
    # sum = g**2 accumulated; p -= lr * g / (sqrt(sum) + 1e-10)
    s = np.zeros(2)
    p = P0.copy()
    for g, got in zip(GRADS, traj):
        s = s + g * g
        p = p - LR * g / (np.sqrt(s) + 1e-10)
        np.testing.assert_allclose(got, p, rtol=1e-14, atol=1e-14)
    # And in plain numbers for the first element: 0.9, 0.9 - 0.2/sqrt(5), + 0.1/sqrt(6)
    first = [0.9, 0.9 - 0.2 / math.sqrt(5), 0.9 - 0.2 / math.sqrt(5) + 0.1 / math.sqrt(6)]
    np.testing.assert_allclose([t[0] for t in traj], first, rtol=1e-9)


def test_rmsprop_by_hand():
    traj = run(RMSProp())
    v = np.zeros(2)
    p = P0.copy()
    for g, got in zip(GRADS, traj):
        v = 0.99 * v + 0.01 * g * g
        p = p - LR * g / (np.sqrt(v) + 1e-8)
        np.testing.assert_allclose(got, p, rtol=1e-14, atol=1e-14)
    # Step 1: v = 0.01 g**2, so the step is lr * g / (0.1 |g|) = 10 * lr * sign(g) (minus eps).
    np.testing.assert_allclose(traj[0], P0 - 1.0 * np.sign(GRADS[0]), rtol=1e-6, atol=1e-6)


def test_rmsprop_alpha_argument():
    traj = run(make_choice("optimizer", OPTIMIZERS, "rmsprop:0.5"))
    v = np.zeros(2)
    p = P0.copy()
    for g, got in zip(GRADS, traj):
        v = 0.5 * v + 0.5 * g * g
        p = p - LR * g / (np.sqrt(v) + 1e-8)
        np.testing.assert_allclose(got, p, rtol=1e-14, atol=1e-14)


def adam_reference(grads, p0, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Kingma & Ba / torch.optim.Adam docs: bias-corrected first and second moments."""
    m = np.zeros_like(p0)
    v = np.zeros_like(p0)
    p = p0.copy()
    out = []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p.copy())
    return out


def test_adam_by_hand():
    traj = run(Adam())
    for got, want in zip(traj, adam_reference(GRADS, P0, LR)):
        np.testing.assert_allclose(got, want, rtol=1e-13)
    # The first Adam step moves every weight by lr in the direction of -sign(g).
    np.testing.assert_allclose(traj[0], P0 - LR * np.sign(GRADS[0]), rtol=1e-7)
    assert int(Adam().state.get("step", 0)) == 0


def test_adam_betas_argument_and_step_count():
    opt = make_choice("optimizer", OPTIMIZERS, "adam:0.5,0.9")
    traj = run(opt)
    for got, want in zip(traj, adam_reference(GRADS, P0, LR, 0.5, 0.9)):
        np.testing.assert_allclose(got, want, rtol=1e-13)
    assert int(opt.state["step"]) == 3


def test_learning_rate_may_change_between_updates():
    opt = Momentum(0.9)
    opt.reset(1)
    p = np.array([0.0])
    opt.update(p, np.array([1.0]), 0.1)   # buf 1   -> p = -0.1
    opt.update(p, np.array([1.0]), 1.0)   # buf 1.9 -> p = -2.0
    np.testing.assert_allclose(p, [-2.0], rtol=1e-15)


def test_reset_forgets_state():
    opt = Adam()
    run(opt)
    opt.reset(2)
    assert int(opt.state["step"]) == 0
    assert not np.any(opt.state["exp_avg"]) and not np.any(opt.state["exp_avg_sq"])
    # After a reset the sequence starts over.
    np.testing.assert_array_equal(run(opt)[2], run(Adam())[2])


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_backup_restore_is_exact(name):
    opt = OPTIMIZERS[name]()
    rng = np.random.default_rng(0)
    opt.reset(5)
    values = rng.normal(size=5)
    for _ in range(3):
        opt.update(values, rng.normal(size=5), 0.01)
    saved = {k: np.array(v, copy=True) for k, v in opt.state.items()}
    opt.backup()
    opt.update(values, rng.normal(size=5) * 1e3, 0.5)
    if saved:
        assert any(not np.array_equal(opt.state[k], saved[k]) for k in saved)
    opt.restore()
    assert opt.state.keys() == saved.keys()
    for k in saved:
        np.testing.assert_array_equal(opt.state[k], saved[k])
        assert opt.state[k].dtype == saved[k].dtype
    # Continuing after a restore is the same as never having taken the undone update.
    twin = OPTIMIZERS[name]()
    twin.reset(5)
    for k in saved:
        np.copyto(twin.state[k], saved[k])
    g = rng.normal(size=5)
    a, b = values.copy(), values.copy()
    opt.update(a, g, 0.01)
    twin.update(b, g, 0.01)
    np.testing.assert_array_equal(a, b)


def test_backup_twice_then_restore_gives_latest_backup():
    opt = Momentum(0.9)
    opt.reset(2)
    v = np.zeros(2)
    opt.update(v, np.array([1.0, 2.0]), 0.1)
    opt.backup()
    opt.update(v, np.array([3.0, 4.0]), 0.1)
    opt.backup()  # reuses the saved arrays
    latest = opt.state["momentum_buffer"].copy()
    opt.update(v, np.array([5.0, 6.0]), 0.1)
    opt.restore()
    np.testing.assert_array_equal(opt.state["momentum_buffer"], latest)
    np.testing.assert_allclose(latest, [0.9 * 1 + 3, 0.9 * 2 + 4], rtol=1e-15)


def test_backup_is_a_copy_not_a_reference():
    opt = Adam()
    opt.reset(2)
    v = np.zeros(2)
    opt.update(v, np.array([1.0, 1.0]), 0.1)
    opt.backup()
    opt.update(v, np.array([1.0, 1.0]), 0.1)
    assert int(opt.state["step"]) == 2
    opt.restore()
    assert int(opt.state["step"]) == 1


@pytest.mark.parametrize("text,match", [
    ("momentum:1", "momentum must be in"),
    ("momentum:-0.1", "momentum must be in"),
    ("nesterov:1.5", "momentum must be in"),
    ("rmsprop:1", "alpha must be in"),
    ("adam:1,0.9", "betas must be in"),
    ("adam:0.9,1.0", "betas must be in"),
    ("sgd:0.5", "does not take 1 argument"),
    ("adam:1,2,3,4", "does not take 4 argument"),
    ("adam:x", "'x' is not a number"),
    ("adam:nan", "not a finite number"),
    ("lbfgs", "unknown optimizer 'lbfgs'; choose from sgd, momentum, nesterov, adagrad, rmsprop, adam"),
])
def test_bad_optimizer_specs(text, match):
    with pytest.raises(GdsimError, match=match.replace("(", r"\(").replace(")", r"\)")):
        make_choice("optimizer", OPTIMIZERS, text)


def test_spec_names_are_normalised():
    opt = make_choice("optimizer", OPTIMIZERS, " Momentum:0.5 ")
    assert isinstance(opt, Momentum) and opt.momentum == 0.5
