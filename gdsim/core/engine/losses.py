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

``many(preds, target)`` is ``forward`` for many predictions at once (a loss landscape): ``preds``
stacks G arrays shaped like ``forward``'s ``pred`` (shape (G, ...)), and the result holds the G
losses, each by ``forward``'s formula; only the order of the sums may differ, so the numbers agree
to rounding. Nothing is kept for a backward pass.
"""

from __future__ import annotations

import numpy as np

from ..data.dataset import BINARY, MULTICLASS, OBJECTIVE, REGRESSION
from .activations import sigmoid


class Loss:
    name = "loss"
    title = "loss"
    # What the app and the command line say of it (gdsim.core.choices reads these): the label in
    # the app's list (None: typed with its arguments instead), one line of help, how it is written.
    label: str | None = None
    help = ""
    syntax: str | None = None  # "huber:DELTA"; None: its name alone
    offer: str | None = None  # the choice its list entry stands for; None: its name
    target_kind = REGRESSION
    link = "identity"  # what turns a model output into a prediction a person reads

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def many(self, preds: np.ndarray, target) -> np.ndarray:
        """The loss of each of the G predictions stacked in ``preds`` (see the module): shape (G,)."""
        raise NotImplementedError

    def each(self, pred: np.ndarray, target) -> np.ndarray | None:
        """The loss of each element of ``pred`` alone (N = 1) against ``target``: what ``forward``
        gives for that one number, bit for bit, for thousands at once (a one-weight model's path
        and landscape). None where no elementwise form is written: the caller asks one by one."""
        return None

    def describe(self) -> str:
        return self.title


_FLOAT64 = np.dtype(np.float64)


def _error(pred: np.ndarray, target: np.ndarray):
    """``pred - target``. For one number (the parabola's x) a Python float: the same IEEE
    subtraction at a fifth of the cost of NumPy's on 0-d arrays, which dominates a step there."""
    if pred.ndim == 0 and target.ndim == 0 and pred.dtype is _FLOAT64:
        return pred.item() - target.item()
    return pred - target


def _sum_of_squares(d) -> float:
    # Of one number, vdot's one product is d * d: no need to make arrays of it first.
    return d * d if isinstance(d, float) else float(np.vdot(d, d))


def _rows(stacked: np.ndarray) -> np.ndarray:
    """(G, ...) as (G, numbers of one prediction): each row one prediction's numbers, in order."""
    return stacked.reshape(len(stacked), -1)


def _sums_of_squares(d: np.ndarray) -> np.ndarray:
    d = _rows(d)
    return np.einsum("gi,gi->g", d, d)


def _means(per_element: np.ndarray) -> np.ndarray:
    return _rows(per_element).mean(axis=1)


class MSE(Loss):
    """``F.mse_loss``: L = sum((p - y)**2) / N over all N elements; dL/dp = 2 (p - y) / N."""

    name = "mse"
    label = "MSE"
    help = "mean of the squared errors over all elements"
    title = "mean squared error"

    def forward(self, pred, target):
        self._diff = d = _error(pred, target)
        n = 1 if isinstance(d, float) else d.size or 1
        self._scale = 2.0 / n
        return _sum_of_squares(d) / n

    def backward(self):
        return self._diff * self._scale

    def many(self, preds, target):
        d = preds - target
        return _sums_of_squares(d) / (d[0].size or 1)

    def each(self, pred, target):
        d = pred - target
        return d * d


class SSE(Loss):
    """micrograd's hand-written loss: L = sum((p - y)**2); dL/dp = 2 (p - y)."""

    name = "sse"
    label = "sum of squared errors"
    help = "sum of the squared errors (micrograd writes it by hand)"
    title = "sum of squared errors"

    def forward(self, pred, target):
        self._diff = d = _error(pred, target)
        return _sum_of_squares(d)

    def backward(self):
        return 2.0 * self._diff

    def many(self, preds, target):
        return _sums_of_squares(preds - target)

    each = MSE.each  # of one number, the sum and the mean of its squared error are the same


class MAE(Loss):
    """``F.l1_loss``: L = sum(|p - y|) / N; dL/dp = sign(p - y) / N (0 where p == y, as PyTorch)."""

    name = "mae"
    label = "MAE"
    help = "mean absolute error"
    title = "mean absolute error"

    def forward(self, pred, target):
        self._diff = d = pred - target
        return float(np.mean(np.abs(d)))

    def backward(self):
        # sign(0) = 0 matches PyTorch's subgradient of |x| at 0.
        return np.sign(self._diff) / max(self._diff.size, 1)

    def many(self, preds, target):
        return _means(np.abs(preds - target))

    def each(self, pred, target):
        return np.abs(pred - target)


class Huber(Loss):
    """``F.huber_loss``: with e = p - y, each element costs e**2 / 2 where |e| <= delta and
    delta (|e| - delta / 2) beyond; L is their mean; dL/dp = clip(e, -delta, delta) / N."""

    name = "huber"
    label = "Huber"
    help = "quadratic near the target, linear beyond DELTA (default 1)"
    syntax = "huber:DELTA"
    title = "Huber loss"

    def __init__(self, delta: float = 1.0):
        delta = float(delta)
        if not np.isfinite(delta) or delta <= 0:
            raise ValueError(f"Huber delta must be a finite number > 0, not {delta}")
        self.delta = delta

    def forward(self, pred, target):
        self._diff = d = pred - target
        return float(np.mean(self._per_element(d)))

    def _per_element(self, d):
        a = np.abs(d)
        return np.where(a < self.delta, 0.5 * d * d, self.delta * (a - 0.5 * self.delta))

    def many(self, preds, target):
        return _means(self._per_element(preds - target))

    def each(self, pred, target):
        return self._per_element(pred - target)

    def backward(self):
        d = self._diff
        return np.clip(d, -self.delta, self.delta) / max(d.size, 1)

    def describe(self):
        return f"Huber loss (delta {self.delta:g})"


class BCEWithLogits(Loss):
    """``F.binary_cross_entropy_with_logits``: with s the output and y in {0, 1},
    L = mean(max(s, 0) - s y + log(1 + exp(-|s|))) (the overflow-free form of -[y log p + (1 - y)
    log(1 - p)], p = sigmoid(s)); dL/ds = (sigmoid(s) - y) / N."""

    name = "bce"
    label = "binary cross-entropy"
    help = "binary cross-entropy on logits, for 0/1 targets"
    title = "binary cross-entropy"
    target_kind = BINARY
    link = "sigmoid"

    def forward(self, pred, target):
        self._z, self._t = pred, target
        return float(np.mean(self._per_element(pred, target)))

    def many(self, preds, target):
        return _means(self._per_element(preds, target))

    @staticmethod
    def _per_element(pred, target):
        # log(1 + exp(z)) - z*t, written so no exp of a large positive number is taken.
        return np.maximum(pred, 0.0) - pred * target + np.log1p(np.exp(-np.abs(pred)))

    def backward(self):
        return (sigmoid(self._z) - self._t) / max(self._z.size, 1)


class CrossEntropy(Loss):
    """``F.cross_entropy`` on logits s of shape (n, classes) with class-index targets c:
    L = mean over rows of logsumexp(s) - s[c]; dL/ds = (softmax(s) - onehot(c)) / n."""

    name = "cross_entropy"
    label = "cross-entropy"
    help = "softmax cross-entropy, for class targets"
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

    def many(self, preds, target):
        # Classes on the middle axis, (G, classes, n): a linear model's predictor lays them out so,
        # and the reductions over them then run along contiguous rows.
        s = np.moveaxis(preds, 2, 1)
        top = s.max(axis=1)
        shifted = s - top[:, None, :]
        picked = np.take_along_axis(shifted, np.asarray(target)[None, None, :], axis=1)[:, 0, :]
        log_norm = np.log(np.exp(shifted, out=shifted).sum(axis=1))
        return -(picked - log_norm).mean(axis=1)

    def backward(self):
        g = np.exp(self._log_p)
        g[self._rows, self._t] -= 1.0
        return g / self._log_p.shape[0]


class MnistLoss(Loss):
    """fastai's ``mnist_loss``: L = mean(where(y == 1, 1 - p, p)) with p = sigmoid(s);
    dL/ds = where(y == 1, -1, 1) p (1 - p) / N."""

    name = "mnist"
    label = "fastai MNIST loss"
    help = "fastai's where(target == 1, 1 - p, p).mean() on sigmoid outputs"
    title = "fastai MNIST loss"
    target_kind = BINARY
    link = "sigmoid"

    def forward(self, pred, target):
        p = sigmoid(pred)
        self._p, self._pos = p, target == 1
        return float(np.mean(np.where(self._pos, 1.0 - p, p)))

    def many(self, preds, target):
        p = sigmoid(preds)
        return _means(np.where(target == 1, 1.0 - p, p))

    def backward(self):
        p = self._p
        dp = p * (1.0 - p)
        return np.where(self._pos, -dp, dp) / max(p.size, 1)


class OutputValue(Loss):
    """The model's output itself, one number: L = output, dL/doutput = 1 (PyTorch's
    ``out.backward()`` on a scalar). The target is ignored."""

    name = "value"
    label = "the output itself"
    help = "the model's output L itself (expression lessons such as chain-rule)"
    title = "the output itself"
    target_kind = OBJECTIVE

    def forward(self, pred, target):
        self._shape = np.shape(pred)
        return float(pred)

    def many(self, preds, target):
        return np.asarray(preds, dtype=np.float64).reshape(len(preds))

    def backward(self):
        return np.ones(self._shape)

    def describe(self):
        return "the output itself (L is minimised)"


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (MSE, SSE, MAE, Huber, BCEWithLogits, CrossEntropy, MnistLoss, OutputValue)
}


def apply_link(link: str, output: np.ndarray) -> np.ndarray:
    """Turn raw model outputs into the predictions a person reads."""
    if link == "sigmoid":
        return sigmoid(output)
    if link == "softmax":
        e = np.exp(output - output.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return output
