"""Losses with their gradients with respect to the model's output.

``forward(pred, target)`` returns the loss as a Python float and keeps what
``backward()`` needs; ``backward()`` returns dLoss/dpred with ``pred``'s shape.
Classification losses take raw model outputs (logits) and apply the sigmoid
or softmax themselves, as ``BCEWithLogitsLoss`` and ``CrossEntropyLoss`` do;
``link`` turns outputs into what a person reads (probabilities).

Targets: regression losses take an array of ``pred``'s shape; the binary
losses take 0/1 floats of ``pred``'s shape; cross-entropy takes integer class
indices, one per row. The ``value`` loss takes no target: it is for a model whose output is
itself the quantity minimised (an expression such as the chain-rule lesson's L).
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid

REGRESSION = "regression"
BINARY = "binary"
MULTICLASS = "multiclass"
OBJECTIVE = "objective"  # no targets: the model's output is what is minimised


class Loss:
    name = "loss"
    title = "loss"
    target_kind = REGRESSION
    link = "identity"  # what turns a model output into a prediction a person reads

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def describe(self) -> str:
        return self.title


class MSE(Loss):
    name = "mse"
    title = "mean squared error"

    def forward(self, pred, target):
        self._diff = d = pred - target
        n = d.size or 1
        self._scale = 2.0 / n
        return float(np.vdot(d, d)) / n

    def backward(self):
        return self._diff * self._scale


class SSE(Loss):
    name = "sse"
    title = "sum of squared errors"

    def forward(self, pred, target):
        self._diff = d = pred - target
        return float(np.vdot(d, d))

    def backward(self):
        return 2.0 * self._diff


class MAE(Loss):
    name = "mae"
    title = "mean absolute error"

    def forward(self, pred, target):
        self._diff = d = pred - target
        return float(np.mean(np.abs(d)))

    def backward(self):
        # sign(0) = 0 matches PyTorch's subgradient of |x| at 0.
        return np.sign(self._diff) / max(self._diff.size, 1)


class Huber(Loss):
    """PyTorch's ``HuberLoss``: quadratic within ``delta`` of the target, linear beyond."""

    name = "huber"
    title = "Huber loss"

    def __init__(self, delta: float = 1.0):
        delta = float(delta)
        if not np.isfinite(delta) or delta <= 0:
            raise ValueError(f"Huber delta must be a finite number > 0, not {delta}")
        self.delta = delta

    def forward(self, pred, target):
        self._diff = d = pred - target
        a = np.abs(d)
        quad = a < self.delta
        per = np.where(quad, 0.5 * d * d, self.delta * (a - 0.5 * self.delta))
        return float(np.mean(per))

    def backward(self):
        d = self._diff
        return np.clip(d, -self.delta, self.delta) / max(d.size, 1)

    def describe(self):
        return f"Huber loss (delta {self.delta:g})"


class BCEWithLogits(Loss):
    """Binary cross-entropy on logits, computed without overflow."""

    name = "bce"
    title = "binary cross-entropy"
    target_kind = BINARY
    link = "sigmoid"

    def forward(self, pred, target):
        self._z, self._t = pred, target
        # log(1 + exp(z)) - z*t, written so no exp of a large positive number is taken.
        per = np.maximum(pred, 0.0) - pred * target + np.log1p(np.exp(-np.abs(pred)))
        return float(np.mean(per))

    def backward(self):
        return (sigmoid(self._z) - self._t) / max(self._z.size, 1)


class CrossEntropy(Loss):
    """Softmax cross-entropy on logits of shape (n, classes) with class-index targets."""

    name = "cross_entropy"
    title = "cross-entropy"
    target_kind = MULTICLASS
    link = "softmax"

    def forward(self, pred, target):
        shifted = pred - pred.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_p = shifted - log_norm
        rows = np.arange(pred.shape[0])
        self._log_p, self._t, self._rows = log_p, target, rows
        return float(-np.mean(log_p[rows, target]))

    def backward(self):
        g = np.exp(self._log_p)
        g[self._rows, self._t] -= 1.0
        return g / self._log_p.shape[0]


class MnistLoss(Loss):
    """fastai's ``mnist_loss``: ``where(target == 1, 1 - p, p).mean()`` with ``p = sigmoid(output)``."""

    name = "mnist"
    title = "fastai MNIST loss"
    target_kind = BINARY
    link = "sigmoid"

    def forward(self, pred, target):
        p = sigmoid(pred)
        self._p, self._pos = p, target == 1
        return float(np.mean(np.where(self._pos, 1.0 - p, p)))

    def backward(self):
        p = self._p
        dp = p * (1.0 - p)
        return np.where(self._pos, -dp, dp) / max(p.size, 1)


class OutputValue(Loss):
    """The model's output itself, one number: L = output, dL/doutput = 1 (PyTorch's
    ``out.backward()`` on a scalar). The target is ignored."""

    name = "value"
    title = "the output itself"
    target_kind = OBJECTIVE

    def forward(self, pred, target):
        self._shape = np.shape(pred)
        return float(pred)

    def backward(self):
        return np.ones(self._shape)

    def describe(self):
        return "the output itself (L is minimised)"


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (MSE, SSE, MAE, Huber, BCEWithLogits, CrossEntropy, MnistLoss, OutputValue)
}

LOSS_HELP = {
    "mse": "mean of squared errors over all elements",
    "sse": "sum of squared errors",
    "mae": "mean absolute error",
    "huber": "Huber loss, huber:DELTA (default delta 1)",
    "bce": "binary cross-entropy on logits (0/1 targets)",
    "cross_entropy": "softmax cross-entropy (class targets)",
    "mnist": "fastai's where(target==1, 1-p, p).mean() on sigmoid outputs",
    "value": "the model's output itself, L (expression scenarios such as chain-rule)",
}


def apply_link(link: str, output: np.ndarray) -> np.ndarray:
    """Turn raw model outputs into the predictions a person reads."""
    if link == "sigmoid":
        return sigmoid(output)
    if link == "softmax":
        e = np.exp(output - output.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return output
