"""gdsim against PyTorch loops written the tutorial way (tests/torch_loops.py), to 1e-6 relative.

Skipped where PyTorch is not installed: it is not a dependency of gdsim.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch_loops  # noqa: E402  (needs torch)

from gdsim.core.data import BatchSampler  # noqa: E402
from gdsim.core.scenarios import build_trainer  # noqa: E402
from gdsim.core.settings import Settings  # noqa: E402

RTOL = 1e-6

ZEROING = pytest.mark.parametrize("zero_grad", [True, False], ids=["zeroing", "no-zeroing"])


def assert_close(actual, desired, what):
    actual, desired = np.asarray(actual), np.asarray(desired)
    assert actual.shape == desired.shape, what
    assert np.all(np.isfinite(desired)), what
    # A tiny absolute floor, for entries that pass through zero.
    atol = 1e-12 * max(1.0, float(np.max(np.abs(desired)))) if desired.size else 0.0
    np.testing.assert_allclose(actual, desired, rtol=RTOL, atol=atol, err_msg=what)


def gdsim_run(settings: Settings):
    t = build_trainer(settings)
    initial = t.params.state_dict()
    stop = t.run()
    assert stop.divergence is None, stop.message
    assert len(t.history) == t.settings.steps
    return t, initial


def assert_same_run(t, losses, final):
    assert_close(t.history.loss, losses, "per-step losses")
    state = t.params.state_dict()
    assert list(state) == list(final)
    for name in state:
        assert_close(state[name], final[name], f"final {name}")


def digits_data():
    d = build_trainer(Settings(scenario="digits")).data  # 0/1 targets, whatever the loss
    return d.x, d.y


def batch_order(t, steps):
    """The rows each step of ``t`` trains on: a fresh sampler with the trainer's seed."""
    sampler = BatchSampler(t.data.n_train, t.sampler.batch_size if not t.sampler.full else None,
                           np.random.SeedSequence([t.seed, 1]))
    return [sampler.next()[0] if not sampler.full else np.arange(t.data.n_train) for _ in range(steps)]


# ----- every scenario, plain SGD, with and without zeroing -------------------------------------------------

@ZEROING
def test_fruit(zero_grad):
    t, init = gdsim_run(Settings(scenario="fruit", zero_grad=zero_grad))
    losses, final = torch_loops.fruit(init, steps=100, lr=1e-5, zero_grad=zero_grad)
    assert_same_run(t, losses, final)


@ZEROING
def test_quadratic(zero_grad):
    t, init = gdsim_run(Settings(scenario="quadratic", zero_grad=zero_grad))
    losses, final = torch_loops.quadratic(init, steps=100, lr=1e-5, zero_grad=zero_grad)
    assert_same_run(t, losses, final)


@ZEROING
def test_micrograd(zero_grad):
    t, init = gdsim_run(Settings(scenario="micrograd", zero_grad=zero_grad))
    losses, final = torch_loops.micrograd(init, steps=50, lr=0.4, zero_grad=zero_grad)
    assert_same_run(t, losses, final)
    # The lesson holds in PyTorch too.
    if zero_grad:
        assert losses[29] < 0.05
    else:
        assert losses[49] > 1.0


@ZEROING
def test_digits_linear(zero_grad):
    t, init = gdsim_run(Settings(scenario="digits", zero_grad=zero_grad))
    x, y = digits_data()
    losses, final = torch_loops.digits(init, x, y, batch_order(t, 120), lr=1.0, loss="mnist", zero_grad=zero_grad)
    assert_same_run(t, losses, final)


@ZEROING
def test_digits_mlp_bce(zero_grad):
    t, init = gdsim_run(Settings(scenario="digits", model="mlp", zero_grad=zero_grad))
    x, y = digits_data()
    losses, final = torch_loops.digits(init, x, y, batch_order(t, 120), lr=0.1, loss="bce", zero_grad=zero_grad)
    assert_same_run(t, losses, final)


@ZEROING
@pytest.mark.parametrize("lr", [0.1, 0.9, 1.0])
def test_parabola(zero_grad, lr):
    t, init = gdsim_run(Settings(scenario="parabola", lr=lr, zero_grad=zero_grad))
    losses, final = torch_loops.parabola(init, steps=20, lr=lr, zero_grad=zero_grad)
    assert_same_run(t, losses, final)


def test_divergence_happens_at_the_step_pytorch_overflows():
    t = build_trainer(Settings(scenario="fruit", lr=1e-3, steps=200))
    init = t.params.state_dict()
    stop = t.run()
    k = stop.divergence.step
    with np.errstate(all="ignore"):
        losses, _ = torch_loops.fruit(init, steps=k, lr=1e-3)
    assert np.all(np.isfinite(losses[:-1])) and not np.isfinite(losses[-1])
    assert_close(t.history.loss, losses[:-1], "losses before the divergence")


# ----- the other optimizers against torch.optim ------------------------------------------------------------

OPTIMIZER_LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.01}


@ZEROING
@pytest.mark.parametrize("name", list(OPTIMIZER_LR))
def test_optimizers_micrograd(name, zero_grad):
    lr = OPTIMIZER_LR[name]
    t, init = gdsim_run(Settings(scenario="micrograd", optimizer=name, lr=lr, steps=40, zero_grad=zero_grad))
    losses, final = torch_loops.micrograd(init, steps=40, lr=lr, zero_grad=zero_grad,
                                          optimizer=torch_loops.OPTIMIZERS[name])
    assert_same_run(t, losses, final)


@ZEROING
@pytest.mark.parametrize("name", ["momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_optimizers_digits_minibatches(name, zero_grad):
    lr = {"momentum": 0.1, "nesterov": 0.1}.get(name, 0.01)
    t, init = gdsim_run(Settings(scenario="digits", optimizer=name, lr=lr, steps=24, zero_grad=zero_grad))
    x, y = digits_data()
    losses, final = torch_loops.digits(init, x, y, batch_order(t, 24), lr=lr, zero_grad=zero_grad,
                                       optimizer=torch_loops.OPTIMIZERS[name])
    assert_same_run(t, losses, final)


@ZEROING
@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_optimizers_quadratic(name, zero_grad):
    lr = 1e-5 if name == "momentum" else 0.1
    t, init = gdsim_run(Settings(scenario="quadratic", optimizer=name, lr=lr, steps=50, zero_grad=zero_grad))
    losses, final = torch_loops.quadratic(init, steps=50, lr=lr, zero_grad=zero_grad,
                                          optimizer=torch_loops.OPTIMIZERS[name])
    assert_same_run(t, losses, final)


def test_hand_written_sgd_equals_torch_optim_sgd():
    t, init = gdsim_run(Settings(scenario="micrograd", steps=20))
    by_hand, _ = torch_loops.micrograd(init, steps=20)
    with_optim, _ = torch_loops.micrograd(init, steps=20, optimizer=torch_loops.OPTIMIZERS["sgd"])
    # torch.optim.SGD fuses the update (p.add_(grad, alpha=-lr)): equal up to rounding.
    np.testing.assert_allclose(by_hand, with_optim, rtol=1e-12)
    assert_close(t.history.loss, by_hand, "losses")


# ----- the other losses against torch.nn.functional ---------------------------------------------------------

@ZEROING
@pytest.mark.parametrize("loss,lr", [
    ("mnist", 1.0), ("bce", 0.5), ("mse", 0.1), ("mae", 0.1), ("huber", 0.1), ("huber:0.5", 0.1),
    ("cross_entropy", 0.5),
])
def test_losses_on_digits(loss, lr, zero_grad):
    t, init = gdsim_run(Settings(scenario="digits", loss=loss, lr=lr, steps=15, zero_grad=zero_grad))
    x, y = digits_data()
    losses, final = torch_loops.digits(init, x, y, batch_order(t, 15), lr=lr, loss=loss, zero_grad=zero_grad)
    assert_same_run(t, losses, final)


@pytest.mark.parametrize("loss", ["mae", "huber:20"])
def test_regression_losses_on_fruit(loss):
    t, init = gdsim_run(Settings(scenario="fruit", loss=loss, lr=1e-3, steps=30))

    def run_torch():
        # The fruit loop with the loss swapped for torch.nn.functional's.
        inputs, targets = torch_loops.tensor(torch_loops.FRUIT_INPUTS), torch_loops.tensor(torch_loops.FRUIT_TARGETS)
        w, b = torch_loops.leaf(init["weight"]), torch_loops.leaf(init["bias"])
        fn = torch_loops.digits_loss_fn(loss)
        losses = torch_loops.tutorial_loop([w, b], lambda _: fn(inputs @ w.t() + b, targets),
                                           torch_loops.full_batches(30), 1e-3)
        return losses, {"weight": w.detach().numpy(), "bias": b.detach().numpy()}

    assert_same_run(t, *run_torch())


def test_digits_mlp_cross_entropy():
    t, init = gdsim_run(Settings(scenario="digits", model="mlp", loss="cross_entropy", steps=12))
    assert init["layers.1.weight"].shape == (2, 30)
    x, y = digits_data()
    losses, final = torch_loops.digits(init, x, y, batch_order(t, 12), lr=0.1, loss="cross_entropy")
    assert_same_run(t, losses, final)


# ----- L1 / L2 penalties written into the torch loss --------------------------------------------------------

@ZEROING
@pytest.mark.parametrize("l1,l2", [(0.1, 0.0), (0.0, 0.05), (0.02, 0.03)])
def test_penalties_micrograd(l1, l2, zero_grad):
    t, init = gdsim_run(Settings(scenario="micrograd", l1=l1, l2=l2, lr=0.1, steps=30, zero_grad=zero_grad))
    losses, final = torch_loops.micrograd(init, steps=30, lr=0.1, zero_grad=zero_grad, l1=l1, l2=l2)
    assert_same_run(t, losses, final)


@ZEROING
def test_penalties_fruit(zero_grad):
    t, init = gdsim_run(Settings(scenario="fruit", l1=2.0, l2=5.0, steps=50, zero_grad=zero_grad))
    losses, final = torch_loops.fruit(init, steps=50, lr=1e-5, zero_grad=zero_grad, l1=2.0, l2=5.0)
    assert_same_run(t, losses, final)


@ZEROING
def test_penalties_digits_with_adam(zero_grad):
    t, init = gdsim_run(Settings(scenario="digits", optimizer="adam", lr=0.01, l1=1e-4, l2=1e-3, steps=15,
                                 zero_grad=zero_grad))
    x, y = digits_data()
    losses, final = torch_loops.digits(init, x, y, batch_order(t, 15), lr=0.01, zero_grad=zero_grad,
                                       optimizer=torch_loops.OPTIMIZERS["adam"], l1=1e-4, l2=1e-3)
    assert_same_run(t, losses, final)


# ----- weights move between gdsim and PyTorch without renaming -----------------------------------------------

def test_state_dict_names_load_into_torch_modules(tmp_path):
    from gdsim.core.weights import read_weights

    for scenario, model, sizes, acts in [("micrograd", None, (3, 4, 4, 1), [torch.tanh] * 3),
                                         ("digits", "mlp", (784, 30, 1), [torch.relu, lambda z: z])]:
        t = build_trainer(Settings(scenario=scenario, model=model))
        net = torch_loops.load(torch_loops.MLP(sizes, acts), t.params.state_dict())
        x = t.data.x[:7]
        with torch.no_grad():
            out = net(torch_loops.tensor(x)).numpy()
        assert_close(t.predict(x), out, f"{scenario} outputs")
        # A file written the PyTorch way reads straight into gdsim.
        path = tmp_path / f"{scenario}.npz"
        np.savez(path, **{k: v.detach().numpy() for k, v in net.state_dict().items()})
        back = read_weights(path, t.params.specs)
        for name, value in t.params.state_dict().items():
            np.testing.assert_array_equal(back[name], value)
