"""The training loop: zeroing, history, reset, seeds, batches, divergence, stop conditions, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdsim.core.data.dataset import BatchSampler
from gdsim.core.engine.optimizers import Momentum
from gdsim.core.engine.trainer import STOP_DIVERGED, STOP_EARLY, STOP_STEPS, STOP_TARGET_LOSS
from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings

FRUIT_X = np.array([[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70]], dtype=float)
FRUIT_Y = np.array([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]], dtype=float)


def trainer(scenario, **kw):
    return build_trainer(Settings(scenario=scenario, **kw))


def fruit_numpy_loop(W, b, lr, steps, zero_grad):
    """The tutorial's loop in plain NumPy: loss before the update, grads accumulate unless zeroed."""
    W, b = W.copy(), b.copy()
    gW, gb = np.zeros_like(W), np.zeros_like(b)
    losses, norms, per_step_grads = [], [], []
    for _ in range(steps):
        d = X_pred(W, b) - FRUIT_Y
        losses.append(np.mean(d * d))
        grad_out = d * (2.0 / d.size)
        step_gW, step_gb = grad_out.T @ FRUIT_X, grad_out.sum(axis=0)
        per_step_grads.append(np.concatenate([step_gW.ravel(), step_gb]))
        gW += step_gW
        gb += step_gb
        norms.append(math.sqrt(np.sum(gW**2) + np.sum(gb**2)))
        W -= lr * gW
        b -= lr * gb
        if zero_grad:
            gW[...] = 0.0
            gb[...] = 0.0
    return np.array(losses), np.array(norms), W, b, per_step_grads


def X_pred(W, b):
    return FRUIT_X @ W.T + b


# ----- zeroing -------------------------------------------------------------------------------------

@pytest.mark.parametrize("zero_grad", [True, False])
def test_fruit_matches_numpy_loop(zero_grad):
    t = trainer("fruit", zero_grad=zero_grad, steps=20)
    init = t.params.state_dict()
    stop = t.run()
    assert stop.reason == STOP_STEPS and t.step_count == 20
    losses, norms, W, b, _ = fruit_numpy_loop(init["weight"], init["bias"], 1e-5, 20, zero_grad)
    np.testing.assert_allclose(t.history.loss, losses, rtol=1e-12)
    np.testing.assert_allclose(t.history.grad_norm, norms, rtol=1e-12)
    np.testing.assert_allclose(t.params["weight"].value, W, rtol=1e-12)
    np.testing.assert_allclose(t.params["bias"].value, b, rtol=1e-12)


def test_zeroing_off_updates_with_the_sum_of_all_gradients():
    t = trainer("fruit", zero_grad=False, steps=20)
    init = t.params.state_dict()
    _, _, _, _, per_step = fruit_numpy_loop(init["weight"], init["bias"], 1e-5, 20, False)
    for k in range(1, 21):
        assert t.step() is None
        total = np.sum(per_step[:k], axis=0)
        # The update of step k used g_1 + ... + g_k (each at the weights of its own step)...
        np.testing.assert_allclose(t.update_grads, total, rtol=1e-12)
        np.testing.assert_allclose(t.values_before - t.params.values, 1e-5 * total, rtol=1e-9, atol=1e-18)
        # ...and the buffer still holds it, ready for step k + 1 to add to.
        np.testing.assert_array_equal(t.params.grads, t.update_grads)
    # Not the same as zeroing: the trajectories part from step 3 on (step 2 already used g1 + g2).
    on = trainer("fruit", steps=20)
    on.run()
    assert t.history.loss[0] == on.history.loss[0]
    assert t.history.loss[1] == on.history.loss[1]
    assert abs(t.history.loss[2] - on.history.loss[2]) > 1e-3 * on.history.loss[2]


def test_zeroing_on_leaves_grads_zero_after_each_step():
    t = trainer("micrograd")
    for _ in range(3):
        t.step()
        assert not np.any(t.params.grads)
        assert np.any(t.update_grads)


def test_zero_grad_can_change_between_steps():
    t = trainer("parabola", lr=0.1, zero_grad=False, steps=10)
    t.step()            # x: 3 -> 3 - 0.1*6 = 2.4, grad buffer 6
    assert t.params.grads[0] == 6.0
    t.zero_grad = True
    t.step()            # grad 6 + 4.8 = 10.8 -> x = 2.4 - 1.08 = 1.32, then zeroed
    assert t.params.values[0] == pytest.approx(1.32, rel=1e-14)
    assert t.params.grads[0] == 0.0
    assert t.history.grad_norm[1] == pytest.approx(10.8, rel=1e-14)


def test_lr_can_change_between_steps():
    t = trainer("parabola", lr=0.1, steps=10)
    t.step()            # 3 -> 2.4
    t.lr = 0.25
    t.step()            # 2.4 - 0.25*4.8 = 1.2
    assert t.params.values[0] == pytest.approx(1.2, rel=1e-14)


def test_set_optimizer_starts_with_empty_state():
    t = trainer("parabola", lr=0.1, optimizer="momentum", steps=10)
    t.run(limit=3)
    assert np.any(t.optimizer.state["momentum_buffer"])
    new = Momentum(0.9)
    t.set_optimizer(new)
    x = float(t.params.values[0])
    t.step()  # buffer starts at 0: plain SGD step
    assert t.params.values[0] == pytest.approx(x - 0.1 * 2 * x, rel=1e-14)


# ----- history ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 7, 100])
def test_history_has_one_row_per_step(n):
    t = trainer("fruit", steps=n)
    init = t.params.state_dict()
    t.run()
    assert len(t.history) == n == t.step_count
    assert len(t.history.loss) == len(t.history.grad_norm) == n
    np.testing.assert_array_equal(t.history.steps, np.arange(1, n + 1))
    # Row 1 is the loss of the initial weights, before any update.
    d = X_pred(init["weight"], init["bias"]) - FRUIT_Y
    assert t.history.loss[0] == pytest.approx(np.mean(d * d), rel=1e-14)
    g = d * 0.2
    norm = math.sqrt(np.sum((g.T @ FRUIT_X) ** 2) + np.sum(g.sum(axis=0) ** 2))
    assert t.history.grad_norm[0] == pytest.approx(norm, rel=1e-12)


def test_history_row_k_is_loss_before_update_k():
    # Parabola at lr 0.1: x_k = 3 * 0.8**k; row k holds f(x_{k-1}) = 9 * 0.64**(k-1).
    t = trainer("parabola", steps=1500)
    t.run()
    assert len(t.history) == 1500  # past the initial capacity of 1024 rows
    k = np.arange(1, 1501)
    np.testing.assert_allclose(t.history.loss, 9 * 0.64 ** (k - 1), rtol=1e-11)
    np.testing.assert_allclose(t.history.grad_norm, 6 * 0.8 ** (k - 1), rtol=1e-11)
    assert t.params.values[0] == pytest.approx(3 * 0.8**1500, rel=1e-11)


def test_metric_is_computed_on_the_pre_update_predictions():
    # Quadratic's metric is RMSE; with the MSE loss it is exactly sqrt(loss) of the same row.
    t = trainer("quadratic", steps=30)
    t.run()
    assert len(t.history.metric_values) == 30
    np.testing.assert_allclose(t.history.metric_values, np.sqrt(t.history.loss), rtol=1e-14)


def test_tensor_grad_norms_add_up_to_the_grad_norm():
    t = build_trainer(Settings(scenario="micrograd", steps=5), track_tensor_norms=True)
    t.run()
    norms = t.history.tensor_grad_norms
    assert norms.shape == (5, 6)
    np.testing.assert_allclose(np.sqrt((norms**2).sum(axis=1)), t.history.grad_norm, rtol=1e-12)
    w = t.update_grads[t.params["layers.2.weight"].offset:][:4]
    assert norms[-1, 4] == pytest.approx(np.linalg.norm(w), rel=1e-12)


# ----- reset and seeds -----------------------------------------------------------------------------

@pytest.mark.parametrize("scenario,kw", [
    ("fruit", {}), ("micrograd", {"zero_grad": False}), ("digits", {}), ("digits", {"model": "mlp"}),
    ("quadratic", {"optimizer": "adam", "lr": 0.1}),
])
def test_reset_reproduces_the_trajectory_exactly(scenario, kw):
    t = trainer(scenario, steps=7, **kw)
    init = t.params.values.copy()
    t.run()
    first = {k: v.copy() for k, v in t.history.as_arrays().items()}
    final = t.params.values.copy()
    t.reset()
    assert t.step_count == 0 and len(t.history) == 0 and len(t.history.val_steps) == 0
    np.testing.assert_array_equal(t.params.values, init)
    assert not np.any(t.params.grads)
    t.run()
    for k, v in t.history.as_arrays().items():
        np.testing.assert_array_equal(v, first[k])
    np.testing.assert_array_equal(t.params.values, final)


def test_same_seed_same_weights_different_seed_different():
    for scenario, init in (("fruit", "normal"), ("quadratic", "normal"), ("micrograd", None), ("digits", "normal")):
        a = trainer(scenario, seed=5, init=init).params.values
        b = trainer(scenario, seed=5, init=init).params.values
        c = trainer(scenario, seed=6, init=init).params.values
        np.testing.assert_array_equal(a, b)
        assert np.all(a != c), scenario


def test_seed_draws_from_numpy_default_rng_in_declared_order():
    t = trainer("fruit", seed=11, init="normal")
    rng = np.random.default_rng(11)
    np.testing.assert_array_equal(t.params["weight"].value, rng.normal(size=(2, 3)))
    np.testing.assert_array_equal(t.params["bias"].value, rng.normal(size=2))


def test_seed_changes_batch_order_and_draw_weights_restarts():
    a, b = trainer("digits", seed=1), trainer("digits", seed=2)
    ia, _ = a.sampler.next()
    ib, _ = b.sampler.next()
    assert not np.array_equal(ia, ib)
    t = trainer("fruit", steps=5)
    t.run()
    t.draw_weights(3)
    assert t.step_count == 0 and len(t.history) == 0
    np.testing.assert_array_equal(t.params.values, trainer("fruit", seed=3).params.values)


def test_set_initial_weights_starts_a_new_run_from_them():
    t = trainer("fruit", steps=5)
    t.run()
    w = {"weight": np.arange(6.0).reshape(2, 3) / 10, "bias": np.array([0.5, -0.5])}
    t.set_initial_weights(w)
    assert t.step_count == 0 and len(t.history) == 0
    t.run()
    t.reset()
    np.testing.assert_array_equal(t.params["weight"].value, w["weight"])
    np.testing.assert_array_equal(t.params["bias"].value, w["bias"])
    d = X_pred(w["weight"], w["bias"]) - FRUIT_Y
    t.step()
    assert t.history.loss[0] == pytest.approx(np.mean(d * d), rel=1e-14)


# ----- mini-batches ------------------------------------------------------------------------------------

def test_sampler_epochs_visit_every_row_once():
    s = BatchSampler(10, 4, np.random.SeedSequence([0, 1]))
    assert s.batches_per_epoch == 3 and not s.full
    epochs = []
    for _ in range(4):
        rows, sizes, ends = [], [], []
        for _ in range(3):
            idx, end = s.next()
            rows.extend(idx.tolist())
            sizes.append(len(idx))
            ends.append(end)
        assert sizes == [4, 4, 2]  # the last batch is smaller
        assert ends == [False, False, True]
        assert sorted(rows) == list(range(10))
        epochs.append(rows)
    # Shuffled afresh each epoch.
    assert len({tuple(e) for e in epochs}) == 4


def test_sampler_full_batch():
    for bs in (None, 10, 50):
        s = BatchSampler(10, bs, np.random.SeedSequence([0, 1]))
        assert s.full and s.batches_per_epoch == 1 and s.batch_size == 10
        assert s.next() == (None, True)


def test_sampler_is_reproducible_and_reset():
    a = BatchSampler(640, 256, np.random.SeedSequence([7, 1]))
    b = BatchSampler(640, 256, np.random.SeedSequence([7, 1]))
    first = [a.next()[0].copy() for _ in range(7)]
    for f in first:
        np.testing.assert_array_equal(f, b.next()[0])
    a.reset()
    for f in first:
        np.testing.assert_array_equal(f, a.next()[0])


@pytest.mark.parametrize("taken", [1, 2, 3, 4, 6])
def test_sampler_undo_restores_exactly(taken):
    # taken = 3 and 6: the undone draw starts a new epoch (a new permutation from the generator).
    s = BatchSampler(10, 4, np.random.SeedSequence([3, 1]))
    for _ in range(taken):
        s.next()
    before = s.get_state()
    idx, end = s.next()
    s.undo()
    after = s.get_state()
    assert after["pos"] == before["pos"]
    assert after["rng"] == before["rng"]
    np.testing.assert_array_equal(after["order"], before["order"])
    again, end2 = s.next()
    np.testing.assert_array_equal(again, idx)
    assert end2 == end
    # The rest of the sequence is that of a sampler that never undid anything.
    twin = BatchSampler(10, 4, np.random.SeedSequence([3, 1]))
    for _ in range(taken + 1):
        twin.next()
    for _ in range(5):
        np.testing.assert_array_equal(s.next()[0], twin.next()[0])


def test_sampler_undo_twice_is_harmless():
    s = BatchSampler(10, 4, np.random.SeedSequence([3, 1]))
    s.next()
    s.next()
    s.undo()
    s.undo()
    twin = BatchSampler(10, 4, np.random.SeedSequence([3, 1]))
    twin.next()
    np.testing.assert_array_equal(s.next()[0], twin.next()[0])


def test_sampler_state_round_trip():
    s = BatchSampler(10, 4, np.random.SeedSequence([5, 1]))
    for _ in range(4):
        s.next()
    state = s.get_state()
    ahead = [s.next()[0].copy() for _ in range(6)]
    other = BatchSampler(10, 4, np.random.SeedSequence([5, 1]))
    other.set_state(state)
    for a in ahead:
        np.testing.assert_array_equal(other.next()[0], a)


def test_digits_batches_follow_a_fresh_sampler_and_loss_matches_numpy():
    t = trainer("digits", steps=9)
    sampler = BatchSampler(640, 256, np.random.SeedSequence([t.seed, 1]))
    x, y = t.data.x, t.data.y
    W, b = t.params["weight"].value.copy(), t.params["bias"].value.copy()
    t.run()
    for k in range(9):
        idx, _ = sampler.next()
        assert len(idx) == (128 if k % 3 == 2 else 256)
        xb, yb = x[idx], y[idx]
        z = xb @ W.T + b
        p = 1 / (1 + np.exp(-z))
        loss = np.mean(np.where(yb == 1, 1 - p, p))
        assert t.history.loss[k] == pytest.approx(loss, rel=1e-12)
        assert t.history.metric_values[k] == np.mean((z > 0) == (yb > 0.5))
        dp = p * (1 - p)
        g = np.where(yb == 1, -dp, dp) / len(idx)
        W = W - 1.0 * (g.T @ xb)
        b = b - 1.0 * g.sum(axis=0)
    np.testing.assert_allclose(t.params["weight"].value, W, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(t.params["bias"].value, b, rtol=1e-10)


# ----- divergence ---------------------------------------------------------------------------------------

def assert_same_state(a, b):
    np.testing.assert_array_equal(a.params.values, b.params.values)
    np.testing.assert_array_equal(a.params.grads, b.params.grads)
    assert a.optimizer.state.keys() == b.optimizer.state.keys()
    for k in a.optimizer.state:
        np.testing.assert_array_equal(a.optimizer.state[k], b.optimizer.state[k])
    ha, hb = a.history.as_arrays(), b.history.as_arrays()
    assert ha.keys() == hb.keys()
    for k in ha:
        np.testing.assert_array_equal(ha[k], hb[k])
    sa, sb = a.sampler.get_state(), b.sampler.get_state()
    assert sa["pos"] == sb["pos"] and sa["rng"] == sb["rng"]
    if sa["order"] is None:
        assert sb["order"] is None
    else:
        np.testing.assert_array_equal(sa["order"], sb["order"])
    assert (a.step_count, a.epoch_count) == (b.step_count, b.epoch_count)
    assert (a.best_val_loss, a.epochs_since_best) == (b.best_val_loss, b.epochs_since_best)


def test_parabola_lr_1_5_diverges_at_step_512():
    # x_k = 3 * (-2)**k; step k's loss is x_{k-1}**2, which overflows first at k - 1 = 511.
    t = trainer("parabola", lr=1.5, steps=1000)
    stop = t.run()
    assert stop.reason == STOP_DIVERGED
    assert stop.step == 511 == t.step_count
    d = stop.divergence
    assert (d.step, d.quantity, d.value) == (512, "loss", math.inf)
    assert stop.message == "diverged at step 512: the loss is infinite; the weights after step 511 are kept"
    assert d.message == stop.message and t.divergence == d
    assert len(t.history) == 511
    assert float(t.params["x"].value) == 3.0 * (-2.0) ** 511
    np.testing.assert_array_equal(t.history.loss, 9.0 * 4.0 ** np.arange(511))
    assert np.isfinite(t.history.loss).all()

    twin = trainer("parabola", lr=1.5, steps=1000)
    assert twin.run(limit=511) is None
    assert_same_state(t, twin)

    # Stepping again reports the same divergence and changes nothing.
    assert t.step() == d
    assert_same_state(t, twin)


@pytest.mark.parametrize("kw,step", [
    ({"scenario": "fruit", "lr": 1e-3}, 125),
    ({"scenario": "quadratic", "lr": 1e-2}, 57),
    ({"scenario": "digits", "init": "normal", "loss": "mse", "lr": 3.0}, 65),          # mid-epoch
    ({"scenario": "digits", "init": "normal", "loss": "mse", "lr": 2.5, "zero_grad": False}, 67),  # epoch start
    ({"scenario": "digits", "init": "normal", "loss": "mse", "lr": 5.0, "optimizer": "momentum"}, 59),
    ({"scenario": "digits", "init": "normal", "loss": "mse", "lr": 1.0, "optimizer": "nesterov",
      "zero_grad": False}, 70),
], ids=["fruit", "quadratic", "digits", "digits-nozero-epoch-start", "digits-momentum", "digits-nesterov-nozero"])
def test_divergence_keeps_the_state_after_the_previous_step(kw, step):
    t = build_trainer(Settings(steps=5000, **kw))
    stop = t.run()
    assert stop.reason == STOP_DIVERGED
    assert stop.divergence.step == step and stop.divergence.quantity == "loss"
    assert f"diverged at step {step}:" in stop.message
    assert f"the weights after step {step - 1} are kept" in stop.message
    assert len(t.history) == step - 1 == t.step_count
    assert np.all(np.isfinite(t.params.values)) and np.all(np.isfinite(t.history.loss))
    twin = build_trainer(Settings(steps=5000, **kw))
    assert twin.run(limit=step - 1) is None
    assert_same_state(t, twin)
    # The next attempt draws the very batch the failed step drew.
    assert t.step() == stop.divergence
    assert_same_state(t, twin)


@pytest.mark.parametrize("zero_grad", [True, False])
def test_parameter_overflow_is_undone_with_optimizer_state(zero_grad):
    t = trainer("fruit", optimizer="momentum", zero_grad=zero_grad, steps=100)
    twin = trainer("fruit", optimizer="momentum", zero_grad=zero_grad, steps=100)
    t.run(limit=5)
    twin.run(limit=5)
    assert np.any(t.optimizer.state["momentum_buffer"])
    # A huge L1 pull: the loss (~1e304) and the gradient (~1e303) are finite, the update is not.
    t.l1, t.lr = 1e303, 1e6
    d = t.step()
    assert d is not None and d.step == 6 and d.quantity == "parameters"
    assert d.message == ("diverged at step 6: the update made the parameters overflow; "
                         "the weights after step 5 are kept")
    assert_same_state(t, twin)
    if not zero_grad:
        assert np.any(t.params.grads)  # the accumulated gradient of steps 1..5 is still there
    # Nothing is lost: back to sane settings, training goes on as if step 6 had never been tried.
    t.l1, t.lr = 0.0, 1e-5
    for _ in range(3):
        assert t.step() is None and twin.step() is None
    assert_same_state(t, twin)


@pytest.mark.parametrize("zero_grad", [True, False])
def test_gradient_overflow_is_undone(zero_grad):
    small = {"weight": np.full((2, 3), 0.01), "bias": np.full(2, 0.01)}
    t = trainer("fruit", lr=1e-7, zero_grad=zero_grad, steps=100)
    twin = trainer("fruit", lr=1e-7, zero_grad=zero_grad, steps=100)
    for tr in (t, twin):
        tr.set_initial_weights(small)
        tr.run(limit=5)
    # l1 * sum|p| stays finite (sum|p| < 1); the gradient's norm l1 * sqrt(8) does not.
    t.l1 = 1e308
    d = t.step()
    assert d is not None and (d.step, d.quantity, d.value) == (6, "gradient", math.inf)
    assert "diverged at step 6: the gradient norm is infinite" in d.message
    assert_same_state(t, twin)


def test_divergence_at_step_1_keeps_the_initial_weights():
    t = trainer("fruit", steps=10)
    big = {"weight": np.full((2, 3), 1e200), "bias": np.zeros(2)}
    t.set_initial_weights(big)
    stop = t.run()
    assert stop.reason == STOP_DIVERGED and stop.step == 0
    assert stop.message == "diverged at step 1: the loss is infinite; the initial weights are kept"
    assert len(t.history) == 0
    np.testing.assert_array_equal(t.params["weight"].value, big["weight"])
    assert not np.any(t.params.grads)


def test_nan_loss_is_reported_as_nan():
    t = trainer("fruit", steps=10)
    t.set_initial_weights({"weight": np.array([[np.nan, 0.0, 0.0], [0.0, 0.0, 0.0]]), "bias": np.zeros(2)})
    d = t.step()
    assert d.step == 1 and d.quantity == "loss" and math.isnan(d.value)
    assert "the loss is NaN" in d.message


def test_large_finite_weights_are_not_a_divergence():
    t = trainer("micrograd", steps=10)
    # 41 weights of 1e307: every forward and backward value is finite (tanh saturates,
    # the gradient is 0), so the step leaves the weights as they are.
    t.set_initial_weights({k: np.full(v.shape, 1e307) for k, v in t.params.state_dict().items()})
    assert t.step() is None
    assert t.step_count == 1 and t.history.loss[0] == 8.0


# ----- stop conditions -------------------------------------------------------------------------------------

def test_stop_after_n_steps():
    t = trainer("fruit", steps=17)
    stop = t.run()
    assert (stop.reason, stop.step, stop.message) == (STOP_STEPS, 17, "reached the step limit of 17")
    assert stop.divergence is None
    # A stop condition that already holds returns at once.
    again = t.run()
    assert again.reason == STOP_STEPS and t.step_count == 17


def test_run_with_limit_returns_none_until_a_stop():
    t = trainer("fruit", steps=10)
    assert t.run(limit=4) is None and t.step_count == 4
    assert t.run(limit=4) is None and t.step_count == 8
    stop = t.run(limit=4)
    assert stop.reason == STOP_STEPS and t.step_count == 10


def test_until_loss_fires_at_the_first_step_below_target():
    # Parabola, lr 0.1: row k = 9 * 0.64**(k-1) first drops below 0.01 at k = 17.
    t = trainer("parabola", lr=0.1, steps=100, until_loss=0.01)
    stop = t.run()
    assert stop.reason == STOP_TARGET_LOSS and stop.step == 17 == len(t.history)
    assert t.history.loss[16] < 0.01 <= t.history.loss[15]
    assert stop.message == f"loss {t.history.loss[16]:.6g} fell below the target 0.01 at step 17"


def test_until_loss_never_reached_stops_at_steps():
    t = trainer("parabola", lr=0.1, steps=5, until_loss=1e-9)
    assert t.run().reason == STOP_STEPS


def expected_early_stop(val_loss, val_steps, patience):
    best, since = math.inf, 0
    for vl, step in zip(val_loss, val_steps):
        if vl < best:
            best, since = vl, 0
        else:
            since += 1
        if since >= patience:
            return int(step), best
    return None, best


@pytest.mark.parametrize("patience", [1, 2, 3])
def test_patience_on_digits(patience):
    t = trainer("digits", steps=3000, patience=patience)
    stop = t.run()
    assert stop.reason == STOP_EARLY
    step, best = expected_early_stop(t.history.val_loss, t.history.val_steps, patience)
    assert stop.step == step == t.step_count == len(t.history)
    assert step % 3 == 0 and t.history.val_steps[-1] == step
    assert t.best_val_loss == best
    assert f"validation loss has not improved for {patience} epochs" in stop.message
    assert f"stopped at step {step}" in stop.message
    assert f"after step {t.best_val_step})" in stop.message


def test_patience_longer_than_the_run_stops_at_steps():
    t = trainer("digits", steps=30, patience=50)
    assert t.run().reason == STOP_STEPS and t.step_count == 30


def test_patience_is_ignored_without_a_validation_split():
    t = trainer("fruit", steps=20, patience=1)
    assert t.run().reason == STOP_STEPS


# ----- validation ------------------------------------------------------------------------------------------

def digits_val(t):
    z = t.data.x_val @ t.params["weight"].value.T + t.params["bias"].value
    p = 1 / (1 + np.exp(-z))
    y = t.data.y_val
    return np.mean(np.where(y == 1, 1 - p, p)), np.mean((z > 0) == (y > 0.5))


def test_validation_once_per_epoch_on_digits():
    t = trainer("digits", steps=30)
    expected = []
    for k in range(1, 31):
        t.step()
        if k % 3 == 0:
            expected.append(digits_val(t))
    np.testing.assert_array_equal(t.history.val_steps, np.arange(3, 31, 3))
    assert t.epoch_count == 10
    np.testing.assert_allclose(t.history.val_loss, [e[0] for e in expected], rtol=1e-12)
    np.testing.assert_allclose(t.history.val_metric, [e[1] for e in expected], rtol=0)


def test_evaluate_does_not_change_history_or_training():
    t = trainer("digits", steps=12, init="normal")
    twin = trainer("digits", steps=12, init="normal")
    for _ in range(12):
        before = {key: v.copy() for key, v in t.history.as_arrays().items()}
        loss, metric = t.evaluate("val")
        assert (loss, metric) == pytest.approx(digits_val(t), rel=1e-12)
        train_loss, _ = t.evaluate("train")
        assert train_loss != loss
        for key, v in t.history.as_arrays().items():
            np.testing.assert_array_equal(v, before[key])
        t.step()
        twin.step()
    assert_same_state(t, twin)


def test_full_batch_scenarios_record_no_validation():
    t = trainer("fruit", steps=5)
    t.run()
    assert len(t.history.val_steps) == 0 and t.epoch_count == 5


def test_evaluate_leaves_out_penalties():
    t = trainer("fruit", steps=1, l2=0.5)
    t.step()
    t.reset()
    loss, _ = t.evaluate("train")
    flat = t.params.values.copy()
    assert t.history.loss.size == 0
    t.step()
    assert t.history.loss[0] == pytest.approx(loss + 0.5 * np.dot(flat, flat), rel=1e-14)
