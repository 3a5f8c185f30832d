"""MNIST images that digits10 never trains on: the 3s and 7s of the digits lesson's file that are
not in digits10's (the two files share 600 images, compared pixel for pixel)."""

from __future__ import annotations

import numpy as np

from gdsim.core.data.resources import resource_path


def load(name: str) -> tuple[np.ndarray, np.ndarray]:
    with np.load(resource_path(name), allow_pickle=False) as f:
        return f["images"], f["labels"]


def unseen_threes_and_sevens() -> tuple[np.ndarray, np.ndarray]:
    """(pixels / 255 flattened row-major, digit) of the 3s and 7s of mnist_3_7.npz that are not in
    mnist_digits.npz."""
    seen = {image.tobytes() for image in load("mnist_digits.npz")[0]}
    images, labels = load("mnist_3_7.npz")
    new = np.array([image.tobytes() not in seen for image in images])
    return images[new].reshape(-1, 784).astype(np.float64) / 255.0, labels[new].astype(np.intp)
