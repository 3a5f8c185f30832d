"""The views of a multi-class run: the confusion matrix and what its cells hold, the chosen image's
probabilities, each class's weight image, export and --plot-out, and digits10 in the window."""

from __future__ import annotations

import numpy as np
import pytest

from gdsim.core.scenarios import build_trainer, get_scenario
from gdsim.core.settings import Settings
from gdsim.core.snapshot import SnapshotTaker, run_info

pytestmark = pytest.mark.gui


def trained(scenario: str, steps: int, **settings):
    t = build_trainer(Settings(scenario=scenario, **settings))
    for _ in range(steps):
        assert t.step() is None
    return t


def expected_counts(y, probabilities, k):
    counts = np.zeros((k, k), dtype=int)
    for true, p in zip(np.asarray(y).ravel(), probabilities):
        counts[int(true), int(np.argmax(p))] += 1
    return counts


@pytest.fixture
def feed(qtbot):
    """``feed(view_class, trainer, scenario=None)``: a view on its own, shown, given the run's
    RunInfo and a snapshot of the trainer; returns (view, info, snapshot)."""
    from gdsim.app import theme

    theme.configure_plots()

    def make(view_class, trainer, scenario=None):
        view = view_class()
        view.resize(900, 520)
        qtbot.addWidget(view)
        view.show()
        s = scenario or get_scenario(trainer.settings.scenario)
        info = run_info(1, s, trainer, trainer.settings)
        snap = SnapshotTaker(1, info).take(trainer)
        view.begin_run(info)
        view.show_snapshot(snap)
        qtbot.waitExposed(view)
        return view, info, snap

    return make


def prediction_view():
    from gdsim.app.views.prediction_view import PredictionView

    return PredictionView


def test_confusion_counts_are_the_snapshots_on_the_validation_images(feed):
    view, info, snap = feed(prediction_view(), trained("digits10", 30))
    panel = view.multiclass
    expected = expected_counts(info.y_val, snap.val_predictions, 10)
    np.testing.assert_array_equal(panel.counts, expected)
    assert expected.sum() == 600 and np.trace(expected) < 600  # some are wrong after 30 steps
    accuracy = np.trace(expected) / 600
    title = view.title_label.text()
    assert "600 validation images" in title and f"accuracy {accuracy:.1%}" in title
    assert panel.matrix.texts.texts == [str(c) for c in expected.ravel()]


def gradient_view():
    from gdsim.app.views.gradient_view import GradientView

    return GradientView


def test_each_class_weight_image_is_its_row_of_the_weight_and_its_gradient(feed):
    t = trained("digits10", 20)
    view, info, snap = feed(gradient_view(), t)
    assert view.class_images is not None and len(view.class_images) == 2
    weight = t.model.weight.value  # (10, 784)
    grad = t.update_grads[:7840].reshape(10, 784)
    shown_w = view.class_images[0][1].image
    shown_g = view.class_images[1][1].image
    for cls in range(10):
        r, c = divmod(cls, 5)
        tile = (slice(r * 29, r * 29 + 28), slice(c * 29, c * 29 + 28))
        np.testing.assert_array_equal(shown_w[tile], weight[cls].reshape(28, 28))
        np.testing.assert_array_equal(shown_g[tile], grad[cls].reshape(28, 28))
    # Symmetric colour scales that hold every weight and gradient.
    for (_plot, img, bar, _mark), values in zip(view.class_images, (weight, grad)):
        lo, hi = bar.levels()
        assert lo == -hi and hi >= np.abs(values).max()


def test_clicking_a_pixel_of_a_class_image_follows_that_weight(feed, qtbot):
    from PySide6.QtCore import QPoint, Qt

    view, info, snap = feed(gradient_view(), trained("digits10", 5))
    asked = []
    view.weight_selected.connect(asked.append)
    plot, img, _bar, _mark = view.class_images[0]
    cls, row, col = 7, 9, 20  # class 7's tile is row 1, column 2 of the grid
    scene = img.mapToScene(pg_point(2 * 29 + col + 0.5, 1 * 29 + row + 0.5))
    where = view.canvas.mapFromScene(scene)
    qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(where.x(), where.y()))
    index = cls * 784 + row * 28 + col
    assert asked == [index] and info.labels[index] == f"weight[7,{row * 28 + col}]"
    # The worker answers with a snapshot that follows it: the title names the class and pixel.
    snap.tracked = index
    view.show_snapshot(snap)
    assert "(class 7, pixel 9,20)" in view.value_plot.titleLabel.text


def pg_point(x, y):
    from PySide6.QtCore import QPointF

    return QPointF(x, y)
