"""The practical floor for NumPy: each scenario's training loop written by hand.

One plain function per scenario, no abstractions: the forward pass, the loss
(computed every step, as a tutorial prints it), the gradient written out, and an
in-place SGD update; float64, the scenario's data, shapes, learning rate and
(for digits) mini-batches of the same sizes in the same order. Each function
starts from the initial weights it is given (gdsim's ``state_dict()``, copied,
never modified) and returns the loss of every step, taken before that step's
update, exactly what gdsim's history records.

``benchmarks/engine.py`` times these against gdsim and checks that 20 steps of
each match gdsim's losses to 1e-9 relative. Importing this module has no side
effects.
"""

from __future__ import annotations

import numpy as np


def fruit(x, y, state, lr, steps):
    """Linear regression 3 -> 2, mean squared error."""
    w, b = state["weight"].copy(), state["bias"].copy()
    losses = np.empty(steps)
    for i in range(steps):
        pred = x @ w.T + b
        d = pred - y
        losses[i] = (d * d).mean()
        g = d * (2.0 / d.size)
        w -= lr * (g.T @ x)
        b -= lr * g.sum(0)
    return losses


def quadratic(t, y, state, lr, steps):
    """a*t**2 + b*t + c, mean squared error (the powers of t computed once)."""
    p = state["params"].copy()
    v = t[:, None] ** np.array([2.0, 1.0, 0.0])
    scale = 2.0 / len(y)
    losses = np.empty(steps)
    for i in range(steps):
        d = v @ p - y
        losses[i] = (d * d).mean()
        p -= lr * ((d * scale) @ v)
    return losses


def micrograd(x, y, state, lr, steps):
    """MLP 3-4-4-1, tanh after every layer, sum of squared errors."""
    w0, b0 = state["layers.0.weight"].copy(), state["layers.0.bias"].copy()
    w1, b1 = state["layers.1.weight"].copy(), state["layers.1.bias"].copy()
    w2, b2 = state["layers.2.weight"].copy(), state["layers.2.bias"].copy()
    losses = np.empty(steps)
    for i in range(steps):
        h1 = np.tanh(x @ w0.T + b0)
        h2 = np.tanh(h1 @ w1.T + b1)
        out = np.tanh(h2 @ w2.T + b2)
        d = out - y
        losses[i] = (d * d).sum()
        g3 = 2.0 * d * (1.0 - out * out)
        g2 = (g3 @ w2) * (1.0 - h2 * h2)
        g1 = (g2 @ w1) * (1.0 - h1 * h1)
        w2 -= lr * (g3.T @ h2)
        b2 -= lr * g3.sum(0)
        w1 -= lr * (g2.T @ h1)
        b1 -= lr * g2.sum(0)
        w0 -= lr * (g1.T @ x)
        b0 -= lr * g1.sum(0)
    return losses


def parabola(target, state, lr, steps):
    """f(x) = (x - target)**2 (the target is 0): one number rolling down a parabola."""
    x = state["x"].copy()
    losses = np.empty(steps)
    for i in range(steps):
        d = x - target
        losses[i] = d * d
        x -= lr * (2.0 * d)
    return losses


def digits_linear(x, y, state, lr, steps, batch_size, rng):
    """fastai's linear 784 -> 1 with ``mnist_loss``; shuffled mini-batches, the last one smaller.

    ``rng`` shuffles the rows at the start of every epoch. Returns (losses, samples seen).
    """
    w, b = state["weight"].copy(), state["bias"].copy()
    n = len(x)
    losses = np.empty(steps)
    samples = 0
    pos, order = n, None
    with np.errstate(over="ignore"):  # exp(-z) overflows to inf for z < -709: p is then 0, as it should be
        for i in range(steps):
            if pos >= n:
                order, pos = rng.permutation(n), 0
            idx = order[pos:pos + batch_size]
            pos += batch_size
            xb, yb = x[idx], y[idx]
            p = 1.0 / (1.0 + np.exp(-(xb @ w.T + b)))
            is3 = yb == 1
            losses[i] = np.where(is3, 1.0 - p, p).mean()
            dp = p * (1.0 - p)
            g = np.where(is3, -dp, dp) / p.size
            w -= lr * (g.T @ xb)
            b -= lr * g.sum(0)
            samples += len(idx)
    return losses, samples


def digits_mlp(x, y, state, lr, steps, batch_size, rng):
    """MLP 784-30-1 with a ReLU hidden layer and binary cross-entropy on the logit.

    Returns (losses, samples seen).
    """
    w0, b0 = state["layers.0.weight"].copy(), state["layers.0.bias"].copy()
    w1, b1 = state["layers.1.weight"].copy(), state["layers.1.bias"].copy()
    n = len(x)
    losses = np.empty(steps)
    samples = 0
    pos, order = n, None
    with np.errstate(over="ignore"):
        for i in range(steps):
            if pos >= n:
                order, pos = rng.permutation(n), 0
            idx = order[pos:pos + batch_size]
            pos += batch_size
            xb, yb = x[idx], y[idx]
            z1 = xb @ w0.T + b0
            h = np.maximum(z1, 0.0)
            z = h @ w1.T + b1
            losses[i] = (np.maximum(z, 0.0) - z * yb + np.log1p(np.exp(-np.abs(z)))).mean()
            g = (1.0 / (1.0 + np.exp(-z)) - yb) / z.size
            gz1 = (g @ w1) * (z1 > 0.0)
            w1 -= lr * (g.T @ h)
            b1 -= lr * g.sum(0)
            w0 -= lr * (gz1.T @ xb)
            b0 -= lr * gz1.sum(0)
            samples += len(idx)
    return losses, samples
