"""Element-wise activations with their derivatives.

``backward`` takes the activation's *output* ``a`` as well as its input ``z``,
because tanh and sigmoid have cheap derivatives in terms of the output.
"""

from __future__ import annotations

import math
import sys

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function: no overflow, and full relative precision on both tails."""
    # exp(-log(1 + exp(-z))): logaddexp never overflows, and for z << 0 the result
    # keeps all its digits (1 + tanh(z/2) would cancel to 0 there).
    return np.exp(-np.logaddexp(0.0, -z))


class Activation:
    name = "identity"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        return grad_a


class Identity(Activation):
    name = "identity"


class Tanh(Activation):
    name = "tanh"

    def forward(self, z):
        return np.tanh(z)

    def backward(self, z, a, grad_a):
        # g * (1 - a**2), written without the scalar-minus-array step (a third cheaper here).
        return grad_a - (grad_a * a) * a


# micrograd's Value.tanh computes math.exp(2*x), which raises "OverflowError: math range error"
# once 2x passes the log of float64's largest number: at inputs above this.
MICROGRAD_TANH_LIMIT = math.log(sys.float_info.max) / 2  # 354.891...


class MicrogradTanhOverflow:
    """A watch (``Trainer.watch``) for the step whose forward pass gives a tanh unit an input
    micrograd's scalar tanh cannot take. There the micrograd article's run without zeroing
    stopped with an OverflowError; NumPy's tanh gives 1.0 and gdsim goes on, so a lesson says
    where micrograd would have stopped."""

    mark = "micrograd stops here"  # short: it labels a line in a plot a third of the window wide
    note = (f"micrograd would stop here with OverflowError: math range error (a tanh input passed "
            f"{MICROGRAD_TANH_LIMIT:.1f}, where its exp(2x) overflows); gdsim's tanh gives 1 and goes on")

    def over(self, model) -> bool:
        """The last forward pass gave some tanh an input past the limit (``model`` an MLP)."""
        return any(isinstance(act, Tanh) and float(z.max()) > MICROGRAD_TANH_LIMIT
                   for act, z in zip(model.activations, model.forward_inputs()))


class ReLU(Activation):
    name = "relu"

    def forward(self, z):
        return np.maximum(z, 0.0)

    def backward(self, z, a, grad_a):
        # PyTorch takes the derivative at 0 to be 0; so do we.
        return grad_a * (z > 0.0)


class Sigmoid(Activation):
    name = "sigmoid"

    def forward(self, z):
        return sigmoid(z)

    def backward(self, z, a, grad_a):
        return grad_a * a * (1.0 - a)


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Identity, Tanh, ReLU, Sigmoid)
}


def make_activation(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}") from None
