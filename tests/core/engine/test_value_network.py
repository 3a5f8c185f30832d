"""The vector engine against the scalar ``Value`` engine on the micrograd lesson's network.

The MLP 3-4-4-1 (tanh after every layer, sum of squared errors) is built from Values the way
micrograd builds it, one neuron at a time, from the trainer's own initial weights, and trained
the way micrograd's loop does (forward, backward, p.data -= lr * p.grad, p.grad = 0 when
zeroing). Step for step the loss, every gradient and every weight agree to 1e-12.

Four steps: without zeroing, step 5 saturates the tanh units (the lesson's point), where
1 - tanh**2 cancels to a few digits and the engines' last-bit differences (NumPy's tanh
against ``math.tanh``, ``g - g*a*a`` against micrograd's ``(1 - t**2) * g``, BLAS sums against
sums in order) grow to 1e-11 relative.
"""

from __future__ import annotations

import numpy as np
import pytest

from gdsim.core.engine.value import Value
from gdsim.core.scenarios import build_trainer
from gdsim.core.settings import Settings

STEPS = 4


def value_leaves(trainer) -> dict[str, np.ndarray]:
    """One Value per weight, shaped like each parameter (object arrays), in the buffer's order."""
    return {p.name: np.array([Value(x, label=f"{p.name}{list(i)}") for i, x in np.ndenumerate(p.value)],
                             dtype=object).reshape(p.shape)
            for p in trainer.params}


def sse_loss(leaves, x, y, n_layers):
    loss = 0
    for row, target in zip(x, y):
        h = list(row)
        for k in range(n_layers):
            w, b = leaves[f"layers.{k}.weight"], leaves[f"layers.{k}.bias"]
            # micrograd's Neuron: sum((wi*xi for wi, xi in zip(self.w, x)), self.b).tanh()
            h = [sum((wi * xi for wi, xi in zip(w[j], h)), b[j]).tanh() for j in range(len(b))]
        loss = loss + (h[0] - float(target[0])) ** 2
    return loss


def flat(leaves, attr):
    return np.array([getattr(v, attr) for tensor in leaves.values() for v in tensor.ravel()])


@pytest.mark.parametrize("zero_grad", [True, False], ids=["zeroing", "no zeroing"])
def test_vector_and_value_engines_agree_step_for_step(zero_grad):
    t = build_trainer(Settings(scenario="micrograd", zero_grad=zero_grad))
    leaves = value_leaves(t)
    np.testing.assert_array_equal(flat(leaves, "data"), t.params.values)
    n_layers, lr = len(t.model.layers), t.lr
    x, y = t.data.x, t.data.y
    for step in range(1, STEPS + 1):
        loss = sse_loss(leaves, x, y, n_layers)
        loss.backward()
        assert t.step() is None
        assert loss.data == pytest.approx(t.history.loss[-1], rel=1e-12, abs=1e-12), f"loss at step {step}"
        # The gradient the update used: this step's, or with zeroing off the sum of all so far.
        np.testing.assert_allclose(flat(leaves, "grad"), t.update_grads, rtol=1e-12, atol=1e-12,
                                   err_msg=f"gradients at step {step}")
        for v in (v for tensor in leaves.values() for v in tensor.ravel()):
            v.data -= lr * v.grad
            if zero_grad:
                v.grad = 0.0
        np.testing.assert_allclose(flat(leaves, "data"), t.params.values, rtol=1e-12, atol=1e-12,
                                   err_msg=f"weights after step {step}")
    if not zero_grad:
        np.testing.assert_allclose(flat(leaves, "grad"), t.params.grads, rtol=1e-12, atol=1e-12)
