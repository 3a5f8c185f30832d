"""``Trainer._steps`` against a plain training step, written the way a tutorial writes it.

``_steps`` is the measured hot loop: locals hoisted, buffers reused, the backward pass
allowed to overwrite instead of add when every ``.grad`` is known to be zero, weights
checked for overflow only past a bound. ``reference_step`` is the same step with none of
that, in micrograd's spirit, so every shortcut is checked against the rule it shortcuts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdsim.core.scenarios import SCENARIOS, build_trainer
from gdsim.core.settings import Settings


def reference_step(model, loss_fn, optimizer, values, grads, x, y, lr, zero_grad, l1=0.0, l2=0.0):
    """One step: loss, loss.backward() (which adds to .grad), optimizer.step(), maybe zero_grad()."""
    loss = loss_fn.forward(model.forward(x), y) + l1 * np.sum(np.abs(values)) + l2 * np.dot(values, values)
    model.backward(loss_fn.backward(), accumulate=True)
    grads += l1 * np.sign(values) + 2.0 * l2 * values
    grad_norm = math.sqrt(np.dot(grads, grads))
    optimizer.update(values, grads, lr)
    if zero_grad:
        grads[...] = 0.0
    return float(loss), grad_norm


def reference_run(settings: Settings, steps: int):
    """``steps`` reference steps on a fresh trainer: its model, loss, optimizer and batch order only."""
    t = build_trainer(settings)
    x, y, losses, norms = t.data.x, t.data.y, [], []
    for _ in range(steps):
        idx = None if t.sampler.full else t.sampler.next()[0]
        xb, yb = (x, y) if idx is None else (x[idx], y[idx])
        loss, norm = reference_step(t.model, t.loss, t.optimizer, t.params.values, t.params.grads,
                                    xb, yb, t.lr, t.zero_grad, t.l1, t.l2)
        losses.append(loss)
        norms.append(norm)
    return np.array(losses), np.array(norms), t.params.values.copy()


CASES = [
    *[dict(scenario=name) for name in SCENARIOS],
    *[dict(scenario=name, zero_grad=False) for name in ("fruit", "micrograd", "parabola", "chain-rule")],
    dict(scenario="quadratic", optimizer="adam", lr=0.1),
    dict(scenario="fruit", optimizer="momentum:0.9", l2=0.01),
    dict(scenario="micrograd", optimizer="nesterov:0.5", l1=0.001, zero_grad=False),
    dict(scenario="digits", optimizer="rmsprop", lr=0.001, batch_size=32),
    dict(scenario="digits", model="mlp", optimizer="adagrad", lr=0.01, batch_size=64),
]


@pytest.mark.parametrize("kw", CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_steps_match_the_reference_step(kw):
    steps = 25
    settings = Settings(**kw, steps=steps, until_loss=None)
    losses, norms, values = reference_run(settings, steps)

    t = build_trainer(settings)
    t.run()
    assert t.divergence is None and t.step_count == steps
    # Same NumPy calls in a different order of additions: equal to the last few bits.
    np.testing.assert_allclose(t.history.loss, losses, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(t.history.grad_norm, norms, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(t.params.values, values, rtol=1e-12, atol=1e-14)
