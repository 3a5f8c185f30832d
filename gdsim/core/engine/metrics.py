"""Numbers a person reads beside the loss: RMSE for regression, accuracy for classes."""

from __future__ import annotations

import numpy as np

from .losses import apply_link


def rmse(output: np.ndarray, target: np.ndarray, link: str) -> float:
    d = apply_link(link, output) - target
    return float(np.sqrt(np.mean(d * d)))


def accuracy(output: np.ndarray, target: np.ndarray, link: str) -> float:
    """Fraction of rows whose predicted class is the target class.

    One output column: the class is 1 when the prediction is above 0.5 (for a
    sigmoid link that is a logit above 0). Several columns: the largest wins,
    and the targets are class indices.
    """
    if output.ndim == 2 and output.shape[1] > 1:
        return float(np.mean(np.argmax(output, axis=1) == target))
    if link == "sigmoid":
        predicted = output > 0.0
    else:
        predicted = apply_link(link, output) > 0.5
    return float(np.mean(predicted == (target > 0.5)))


METRICS = {"rmse": rmse, "accuracy": accuracy}
METRIC_TITLES = {"rmse": "RMSE", "accuracy": "accuracy"}
