"""The scenarios' training loops written in PyTorch the way tutorials write them.

Each scenario function takes gdsim's initial weights (``trainer.params.state_dict()``:
NumPy arrays keyed by PyTorch ``state_dict`` names), trains in float64 with

    loss = loss_fn(model(x), y)
    loss.backward()
    with torch.no_grad():
        p -= lr * p.grad
    p.grad.zero_()          # only when zeroing

and returns ``(losses, final_state)``: the loss of every step as printed before that
step's update, and the final weights as NumPy arrays under the same names.

Options every function passes on to ``tutorial_loop``:

- ``zero_grad`` -- reset every ``.grad`` after each update (the default) or let them pile up;
- ``optimizer`` -- ``None`` for the hand-written ``p -= lr * p.grad``, or a function
  ``(params, lr) -> torch.optim.Optimizer`` (see ``OPTIMIZERS``);
- ``l1``, ``l2`` -- add ``l1 * sum|p| + l2 * sum p**2`` over all parameters to the loss.

Nothing here imports gdsim: these loops are the independent reference (the tests and
benchmarks hand them gdsim's initial weights and, for mini-batches, its batch order).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

DTYPE = torch.float64

FRUIT_INPUTS = [[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70]]
FRUIT_TARGETS = [[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]]

MICROGRAD_XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
MICROGRAD_YS = [1.0, -1.0, -1.0, 1.0]

# torch.optim with its default settings; gdsim's optimizers use the same defaults.
OPTIMIZERS = {
    "sgd": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "nesterov": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True),
    "adagrad": lambda params, lr: torch.optim.Adagrad(params, lr=lr),
    "rmsprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr),
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
}


def tensor(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=DTYPE)


def leaf(a) -> torch.Tensor:
    """A parameter tensor, as tutorials make them: ``torch.tensor(..., requires_grad=True)``."""
    return torch.tensor(np.array(a, dtype=np.float64), dtype=DTYPE, requires_grad=True)


def numpy_state(named) -> dict[str, np.ndarray]:
    return {name: p.detach().numpy().copy() for name, p in named}


def tutorial_loop(params, batch_loss, batches, lr, zero_grad=True, optimizer=None, l1=0.0, l2=0.0):
    """One step per item of ``batches``: loss, backward, update, and zeroing only if asked.

    ``batch_loss(batch)`` computes the loss of one batch (``batch`` is whatever ``batches``
    yields: row indices, or None for the full batch).
    """
    params = list(params)
    opt = optimizer(params, lr) if optimizer is not None else None
    losses = []
    for batch in batches:
        loss = batch_loss(batch)
        if l1:
            loss = loss + l1 * sum(p.abs().sum() for p in params)
        if l2:
            loss = loss + l2 * sum((p**2).sum() for p in params)
        losses.append(loss.item())
        loss.backward()
        if opt is None:
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
            if zero_grad:
                for p in params:
                    p.grad.zero_()
        else:
            opt.step()
            if zero_grad:
                opt.zero_grad()
    return np.array(losses)


def full_batches(steps):
    return [None] * steps


# ----- fruit: linear regression, jovian.ai's "PyTorch basics: linear regression" ------------------------

def fruit(state, steps=100, lr=1e-5, loss=None, **options):
    """``loss``: None for the tutorial's hand-written MSE, else a loss named as gdsim names it."""
    inputs, targets = tensor(FRUIT_INPUTS), tensor(FRUIT_TARGETS)
    w, b = leaf(state["weight"]), leaf(state["bias"])

    def model(x):
        return x @ w.t() + b

    def mse(t1, t2):
        diff = t1 - t2
        return torch.sum(diff * diff) / diff.numel()

    loss_fn = mse if loss is None else digits_loss_fn(loss)
    losses = tutorial_loop([w, b], lambda _: loss_fn(model(inputs), targets), full_batches(steps), lr, **options)
    return losses, numpy_state([("weight", w), ("bias", b)])


# ----- quadratic: fastai book chapter 4, a*t**2 + b*t + c ------------------------------------------------

def quadratic_data():
    """The article's speeds, as gdsim writes them out (tests/core/test_articles.py checks them
    against the article's own torch code)."""
    from gdsim.core.scenarios import QUADRATIC_SPEED

    return np.arange(20, dtype=np.float64), np.array(QUADRATIC_SPEED)


def quadratic(state, steps=100, lr=1e-5, **options):
    t_np, speed_np = quadratic_data()
    time, speed = tensor(t_np), tensor(speed_np)
    params = leaf(state["params"])

    def f(t, params):
        a, b, c = params
        return a * (t**2) + (b * t) + c

    def mse(preds, targets):
        return ((preds - targets) ** 2).mean()

    losses = tutorial_loop([params], lambda _: mse(f(time, params), speed), full_batches(steps), lr, **options)
    return losses, numpy_state([("params", params)])


# ----- micrograd: Karpathy's 3-4-4-1 tanh network, sum of squared errors -------------------------------

class MLP(nn.Module):
    """Linear layers in ``self.layers`` (so names are layers.0.weight, ...), one activation after each."""

    def __init__(self, sizes, activations):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b, dtype=DTYPE) for a, b in zip(sizes[:-1], sizes[1:]))
        self.activations = activations

    def forward(self, x):
        for layer, act in zip(self.layers, self.activations):
            x = act(layer(x))
        return x


def load(model: nn.Module, state) -> nn.Module:
    # strict=True: gdsim's names and shapes are PyTorch's, nothing is renamed.
    model.load_state_dict({name: tensor(value) for name, value in state.items()}, strict=True)
    return model


def micrograd(state, steps=50, lr=0.4, **options):
    xs, ys = tensor(MICROGRAD_XS), tensor(MICROGRAD_YS).reshape(-1, 1)
    model = load(MLP((3, 4, 4, 1), [torch.tanh] * 3), state)

    def batch_loss(_):
        ypred = model(xs)
        return ((ypred - ys) ** 2).sum()

    losses = tutorial_loop(model.parameters(), batch_loss, full_batches(steps), lr, **options)
    return losses, numpy_state(model.named_parameters())


# ----- digits: fastai's 3-versus-7 (linear + mnist_loss), or an MLP --------------------------------------

def mnist_loss(predictions, targets):
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


def digits_loss_fn(name: str):
    """The loss ``name`` (gdsim's spelling, e.g. ``huber:0.5``) as a function of logits and 0/1 targets."""
    kind, _, arg = name.partition(":")
    if kind == "mnist":
        return mnist_loss
    if kind == "bce":
        return F.binary_cross_entropy_with_logits
    if kind == "mse":
        return F.mse_loss
    if kind == "mae":
        return F.l1_loss
    if kind == "huber":
        delta = float(arg) if arg else 1.0
        return lambda out, y: F.huber_loss(out, y, delta=delta)
    if kind == "cross_entropy":
        return lambda out, y: F.cross_entropy(out, y.reshape(-1).long())
    raise ValueError(f"no PyTorch loss for {name!r}")


def digits(state, x, y, batches, lr=1.0, loss="mnist", **options):
    """``x`` (n, 784) pixels in [0, 1], ``y`` (n, 1) with 1 for a 3 (or, for digits10, the digit of each
    image, shape (n,)); one step per index array in ``batches``.

    The model follows the names in ``state``: ``weight``/``bias`` is fastai's linear1 (one output, or
    one per class), ``layers.*`` the MLP 784-30-k with a ReLU hidden layer.
    """
    x, y = tensor(x), tensor(y)
    loss_fn = digits_loss_fn(loss)
    if "weight" in state:
        weights, bias = leaf(state["weight"]), leaf(state["bias"])

        def model(xb):
            return xb @ weights.T + bias

        params, named = [weights, bias], lambda: [("weight", weights), ("bias", bias)]
    else:
        net = load(MLP((784, 30, state["layers.1.weight"].shape[0]), [torch.relu, lambda z: z]), state)
        model, params, named = net, list(net.parameters()), net.named_parameters

    def batch_loss(idx):
        xb, yb = x[torch.as_tensor(idx)], y[torch.as_tensor(idx)]
        return loss_fn(model(xb), yb)

    losses = tutorial_loop(params, batch_loss, batches, lr, **options)
    return losses, numpy_state(named())


# ----- parabola: f(x) = x**2 from x = 3 ------------------------------------------------------------------

def parabola(state, steps=20, lr=0.1, **options):
    x = leaf(state["x"])
    target = tensor(0.0)
    losses = tutorial_loop([x], lambda _: ((x - target) ** 2).sum(), full_batches(steps), lr, **options)
    return losses, numpy_state([("x", x)])
