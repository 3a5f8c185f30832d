"""The views of a multi-class run: the confusion matrix and what its cells hold, the chosen image's
probabilities, each class's weight image, export and --plot-out, and digits10 in the window."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import trained

from gdsim.core.scenarios import get_scenario
from gdsim.core.settings import Settings
from gdsim.core.snapshot import SnapshotTaker, run_info

pytestmark = pytest.mark.gui


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
    assert "600 validation images" in title and f"accuracy after step 30: {accuracy:.1%}" in title
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


def click_item(qtbot, view, plot, item, x, y):
    """Click point (x, y) of ``item`` once the plot's layout has put it inside the plot."""
    qtbot.waitUntil(lambda: plot.vb.sceneBoundingRect().contains(item.mapToScene(pg_point(x, y))))
    click_scene(qtbot, view, item.mapToScene(pg_point(x, y)))


def click_scene(qtbot, view, scene_point):
    from PySide6.QtCore import QPoint, Qt

    where = view.canvas.mapFromScene(scene_point)
    qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(where.x(), where.y()))


def test_clicking_a_cell_shows_exactly_its_images_and_clicking_one_chooses_it(feed, qtbot):
    view, info, snap = feed(prediction_view(), trained("digits10", 30))
    panel = view.multiclass
    predicted = np.argmax(snap.val_predictions, axis=1)
    # By default: the biggest confusion.
    off = expected_counts(info.y_val, snap.val_predictions, 10)
    np.fill_diagonal(off, 0)
    assert panel.cell == np.unravel_index(np.argmax(off), off.shape)
    i, j = 4, 9  # true 4, taken for 9
    vb = panel.matrix.plot.vb
    click_scene(qtbot, view, vb.mapViewToScene(pg_point(j + 0.5, i + 0.5)))
    assert panel.cell == (4, 9) and panel.cell_choice == (4, 9)
    assert view.mc_controls.cell_box.currentText() == "true 4, predicted 9"
    rows = np.flatnonzero((info.y_val == 4) & (predicted == 9))
    assert len(rows) > 0
    np.testing.assert_array_equal(panel.cell_rows, rows)
    np.testing.assert_array_equal(panel.mosaic_rows, rows[:40])
    shown = panel.mosaic.image
    for tile, row in enumerate(panel.mosaic_rows):
        r, c = divmod(tile, 10)
        np.testing.assert_array_equal(shown[r * 29:r * 29 + 28, c * 29:c * 29 + 28], info.x_val[row].reshape(28, 28))
    assert f"4 taken for 9: {len(rows)} image" in panel.mosaic_plot.titleLabel.text
    # Clicking the second image of the mosaic chooses it (once the new title's layout has settled).
    tile = min(1, len(rows) - 1)
    click_item(qtbot, view, panel.mosaic_plot, panel.mosaic, tile * 29 + 14, 14)
    assert panel.chosen == rows[tile] and view.mc_controls.row_box.value() == rows[tile]
    np.testing.assert_array_equal(panel.chosen_image.image, info.x_val[rows[tile]].reshape(28, 28))
    np.testing.assert_array_equal(panel.bars.opts["height"], snap.val_predictions[rows[tile]])
    # The keyboard's way: the combo box and the spin box.
    view.mc_controls.cell_box.setCurrentIndex(1 + 3 * 10 + 5)
    assert panel.cell == (3, 5)
    np.testing.assert_array_equal(panel.cell_rows, np.flatnonzero((info.y_val == 3) & (predicted == 5)))
    view.mc_controls.row_box.setValue(123)
    assert panel.chosen == 123
    np.testing.assert_array_equal(panel.chosen_probabilities, snap.val_predictions[123])
    np.testing.assert_array_equal(panel.bars.opts["height"], snap.val_predictions[123])
    assert f"a {info.y_val[123]}" in panel.image_plot.titleLabel.text


def three_class_scenario():
    """Own data with three classes and no images: 4 inputs, 90 training and 30 validation rows."""
    from gdsim.core.data.dataset import MULTICLASS, Dataset
    from gdsim.core.engine.models import Linear
    from gdsim.core.scenarios import ModelChoice, Scenario

    rng = np.random.default_rng(3)
    centres = rng.normal(0, 2, (3, 4))
    y = np.repeat(np.arange(3), 40)
    x = centres[y] + rng.normal(0, 1.5, (120, 4))
    order = rng.permutation(120)
    x, y = x[order], y[order].astype(np.float64).reshape(-1, 1)
    data = Dataset(x[:90], y[:90], x[90:], y[90:], input_names=("a", "b", "c", "d"), target_names=("kind",),
                   task=MULTICLASS, notes={"class_names": ("setosa", "versicolor", "virginica")})
    return Scenario(name="csv:three", title="three.csv", summary="three classes", lesson="",
                    load_data=lambda: data, models=(ModelChoice("linear", "linear 4 -> 3",
                                                                lambda d, n: Linear(4, n)),),
                    loss="cross_entropy", init="zeros", optimizer="sgd", lr=0.1, steps=50,
                    metric="accuracy", view="multiclass", x_label="true class", y_label="probability")


def test_three_classes_without_images_get_the_matrix_and_the_probabilities(feed, qtbot):
    scenario = three_class_scenario()
    t = scenario.build(Settings(scenario="fruit", steps=50))
    for _ in range(3):
        assert t.step() is None
    pv, info, snap = feed(prediction_view(), t, scenario)
    panel = pv.multiclass
    assert panel.images is None and info.image_shape is None
    np.testing.assert_array_equal(panel.counts, expected_counts(info.y_val, snap.val_predictions, 3))
    assert panel.counts.sum() == 30 and "30 validation rows" in pv.title_label.text()
    pv.mc_controls.row_box.setValue(7)
    np.testing.assert_array_equal(panel.bars.opts["height"], snap.val_predictions[7])
    click_scene(qtbot, pv, panel.matrix.plot.vb.mapViewToScene(pg_point(1.5, 2.5)))
    rows = np.flatnonzero((info.y_val == 2) & (np.argmax(snap.val_predictions, axis=1) == 1))
    np.testing.assert_array_equal(panel.cell_rows, rows)
    assert panel.row_list.text.startswith(f"virginica taken for versicolor: {len(rows)} row")
    # The gradients fall back to a bar per weight (15 weights).
    gv, _info, _snap = feed(gradient_view(), t, scenario)
    assert gv.bars is not None and gv.class_images is None


def test_plot_out_of_digits10_draws_the_matrix_and_the_class_images(tmp_path):
    from cli_helpers import subprocess_gdsim
    from PySide6.QtGui import QImage

    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    proc = subprocess_gdsim("run", "digits10", "--steps", "50", "--plot-out", png, "--quiet")
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(png))
    assert image.width() >= 1000 and image.height() >= 600
    proc = subprocess_gdsim("run", "digits10", "--steps", "5", "--plot-out", svg, "--quiet")
    assert proc.returncode == 0, proc.stderr
    text = svg.read_text()
    assert "confusion matrix of the 600 validation images" in text
    assert "each class's weights (28x28)" in text


def test_each_multiclass_view_exports_as_png_and_svg(make_window, qtbot, tmp_path):
    import xml.etree.ElementTree as ET

    from gui_helpers import wait_paused_at
    from PySide6.QtGui import QImage

    w = make_window(scenario="digits10")
    w.step(3)
    wait_paused_at(qtbot, w, 3)
    for view in (w.prediction_view, w.gradient_view):
        png, svg = tmp_path / f"{view.name}.png", tmp_path / f"{view.name}.svg"
        w.export_view(view, png)
        w.export_view(view, svg)
        assert not QImage(str(png)).isNull()
        ET.parse(svg)  # well-formed
    assert "confusion matrix" in (tmp_path / "predictions.svg").read_text()


def test_digits10_in_the_window_draws_the_engines_numbers(make_window, qtbot):
    from gui_helpers import TIMEOUT, wait_paused_at

    w = make_window(scenario="digits10")
    assert w.prediction_view.mc_controls.isVisible() and w.prediction_view.multiclass is not None
    w.step(12)
    wait_paused_at(qtbot, w, 12)
    t = trained("digits10", 12)
    snap = w.last_snapshot
    np.testing.assert_array_equal(snap.values, t.params.values)
    panel = w.prediction_view.multiclass
    qtbot.waitUntil(lambda: panel.counts.sum() == 600, timeout=TIMEOUT)
    probs = t.predict(t.data.x_val)
    np.testing.assert_array_equal(panel.counts, expected_counts(t.data.y_val, snap.val_predictions, 10))
    assert np.array_equal(np.argmax(probs, axis=1), np.argmax(snap.val_predictions, axis=1))
    grid = w.gradient_view.class_images[0][1].image
    np.testing.assert_array_equal(grid[:28, 29:57], t.model.weight.value[1].reshape(28, 28))
    # Running on, then pausing: the views keep up and show the last step.
    w.toggle_run()
    qtbot.waitUntil(lambda: w.last_snapshot.step >= 40, timeout=TIMEOUT)
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state != "running", timeout=TIMEOUT)
    last = w.last_snapshot
    np.testing.assert_array_equal(panel.counts, expected_counts(w.info.y_val, last.val_predictions, 10))


def test_frames_that_reuse_the_last_pass_over_the_data_say_its_step_and_pause_makes_a_new_one(
        make_window, qtbot, monkeypatch):
    """digits10's pass over its 3,000 images costs more than a frame: at full speed its frames
    carry the last pass's accuracy and predictions, and the confusion matrix says which step
    those are of. The status bar reads the step's own row, as the curves do."""
    from gui_helpers import TIMEOUT

    from gdsim.app import worker

    monkeypatch.setattr(worker, "EVALUATION_SHARE", 1e-12)  # never due while running: every frame reuses step 0's
    w = make_window(scenario="digits10")
    frames = []
    w.controller.snapshot.connect(frames.append)
    panel = w.prediction_view.multiclass
    w.toggle_run()
    qtbot.waitUntil(lambda: w.last_snapshot.step > 0 and "accuracy after step 0:" in panel.title.text(),
                    timeout=TIMEOUT)
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state != "running", timeout=TIMEOUT)
    *running, last = frames
    assert running and all(f.step > 0 and f.evaluated == 0 for f in running)
    start = trained("digits10", 0)
    assert (running[-1].current_loss, running[-1].current_metric) == start.evaluate("train")
    t = trained("digits10", last.step)
    assert last.evaluated == last.step and (last.current_loss, last.current_metric) == t.evaluate("train")
    assert f"accuracy after step {last.step:,}: " in panel.title.text()
    assert f"(training {last.current_metric:.1%})" in panel.title.text()
    # The status bar: the last step's loss and accuracy, the newest points of the curves.
    assert (last.step_loss, last.step_metric) == (t.history.loss[-1], t.history.metric_values[-1])
    assert w.status_loss.text() == f"loss {last.step_loss:.6g}   batch accuracy {last.step_metric:.1%}"


def test_class_names_along_an_axis_never_run_into_one_another(qtbot):
    """A CSV's six text labels read "betadeltaepsgammazeta" under the matrix, the first dropped
    (found by a helper trying the app under Xvfb): the names where they fit, else the numbers."""
    import pyqtgraph as pg
    from gui_helpers import TIMEOUT
    from PySide6.QtGui import QFontMetrics

    from gdsim.app.views.confusion_view import class_ticks

    names = ("alpha", "beta", "delta", "epsilon", "gamma", "zeta")
    canvas = pg.GraphicsLayoutWidget()
    qtbot.addWidget(canvas)
    plot = canvas.addPlot()
    plot.setXRange(0, 6, padding=0)
    class_ticks(plot, "bottom", list(zip(np.arange(6) + 0.5, names)), most=20)
    axis = plot.getAxis("bottom")
    canvas.show()
    for width, first in ((1000, "alpha"), (260, "0")):  # too narrow for the names: their numbers
        canvas.resize(width, 200)
        qtbot.waitUntil(lambda: abs(plot.vb.width() - (width - 60)) < 40, timeout=TIMEOUT)
        shown = axis._tickLevels[0]
        assert len(shown) == 6 and shown[0][1] == first, (width, shown)
        gap_px = (shown[1][0] - shown[0][0]) * plot.vb.width() / 6
        assert gap_px >= max(QFontMetrics(axis.font()).horizontalAdvance(t) for _, t in shown)
    canvas.resize(150, 200)  # not even every number: every other one, from the first
    qtbot.waitUntil(lambda: len(axis._tickLevels[0]) < 6, timeout=TIMEOUT)
    assert [t for _, t in axis._tickLevels[0]][:2] in (["0", "2"], ["0", "3"])
