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
