"""digits10: its data, its split, its model and what it gives the views (the lesson's numbers are in
test_lessons.py)."""

from __future__ import annotations

import numpy as np
import pytest
from digits_helpers import load, unseen_threes_and_sevens

from gdsim.core.data.dataset import MULTICLASS
from gdsim.core.engine.losses import CrossEntropy
from gdsim.core.errors import GdsimError
from gdsim.core.scenarios import DIGITS10_TRAIN_PER_CLASS, build_trainer, get_scenario
from gdsim.core.settings import Settings
from gdsim.core.snapshot import SnapshotTaker, run_info


def trainer(**kw):
    return build_trainer(Settings(scenario="digits10", **kw))


def test_the_file_holds_300_images_of_each_digit():
    images, labels = load("mnist_digits.npz")
    assert images.shape == (3000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [300] * 10
    assert len({image.tobytes() for image in images}) == 3000  # no image twice


def test_pixels_over_255_row_major_and_a_stratified_fixed_split():
    d = get_scenario("digits10").data
    assert d.task == MULTICLASS and d.class_names == tuple("0123456789")
    assert d.x.shape == (2400, 784) and d.x_val.shape == (600, 784)
    assert np.bincount(d.y[:, 0].astype(int)).tolist() == [DIGITS10_TRAIN_PER_CLASS] * 10 == [240] * 10
    assert np.bincount(d.y_val[:, 0].astype(int)).tolist() == [60] * 10
    images, labels = load("mnist_digits.npz")
    # The first 240 of each digit (in the file's order) train, the last 60 validate.
    fives = np.flatnonzero(labels == 5)
    np.testing.assert_array_equal(d.x[5 * 240], images[fives[0]].reshape(-1) / 255.0)
    np.testing.assert_array_equal(d.x_val[5 * 60], images[fives[240]].reshape(-1) / 255.0)
    assert d.x[0, 28 * 14 + 10] == images[np.flatnonzero(labels == 0)[0], 14, 10] / 255.0  # pixel (14, 10)
    every = {row.tobytes() for row in np.concatenate([d.x, d.x_val])}
    assert len(every) == 3000  # every image in exactly one part


def test_the_default_model_is_linear_784_to_10_with_softmax_cross_entropy():
    t = trainer()
    assert {k: v.shape for k, v in t.params.state_dict().items()} == {"weight": (10, 784), "bias": (10,)}
    assert isinstance(t.loss, CrossEntropy) and t.metric == "accuracy" and t.batch_size == 256
    assert t.data.y.dtype.kind == "i" and t.data.y.shape == (2400,)  # class indices, as F.cross_entropy takes
    mlp = trainer(model="mlp")
    assert {k: v.shape for k, v in mlp.params.state_dict().items()} == {
        "layers.0.weight": (30, 784), "layers.0.bias": (30,), "layers.1.weight": (10, 30), "layers.1.bias": (10,)}
    assert get_scenario("digits10").loss_names == ["cross_entropy"]


@pytest.mark.parametrize("loss", ["mse", "bce", "mnist"])
def test_losses_other_than_cross_entropy_are_refused_with_the_reason(loss):
    with pytest.raises(GdsimError, match="has 10 classes; only cross-entropy"):
        trainer(loss=loss)


def test_the_views_get_the_classes_and_k_probabilities_per_example():
    scenario = get_scenario("digits10")
    t = trainer(steps=3)
    t.run()
    info = run_info(1, scenario, t, t.settings)
    assert info.task == "multiclass" and info.classes == tuple("0123456789") and info.view == "multiclass"
    assert info.y.shape == (2400,) and info.y_val.shape == (600,) and info.image_shape == (28, 28)
    snap = SnapshotTaker(1, info).take(t)
    assert snap.predictions.shape == (2400, 10) and snap.val_predictions.shape == (600, 10)
    np.testing.assert_allclose(snap.predictions.sum(axis=1), 1.0, rtol=1e-12)
    assert np.mean(np.argmax(snap.val_predictions, axis=1) == info.y_val) == t.evaluate("val")[1]


def test_binary_data_keeps_its_two_class_names():
    t = build_trainer(Settings(scenario="digits", loss="cross_entropy", steps=1))
    info = run_info(1, get_scenario("digits"), t, t.settings)
    assert info.task == "binary" and info.classes == ("7", "3") == info.class_names


def test_the_unseen_3s_and_7s_are_really_unseen():
    x, labels = unseen_threes_and_sevens()
    d = get_scenario("digits10").data
    seen = {row.tobytes() for row in np.concatenate([d.x, d.x_val])}
    assert not any(row.tobytes() in seen for row in x)
    assert np.bincount(labels, minlength=8)[[3, 7]].tolist() == [100, 100]


def test_trained_weights_generalise_to_mnist_images_never_seen():
    t = trainer()
    t.run()
    x, labels = unseen_threes_and_sevens()
    accuracy = np.mean(np.argmax(t.predict(x), axis=1) == labels)
    assert accuracy > 0.85  # chance, among ten digits, is 0.1
