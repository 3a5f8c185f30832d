"""Screen readers, the keyboard's focus and high contrast, in the real window (pytest-qt, offscreen)."""

from __future__ import annotations

import pytest
from gui_helpers import TIMEOUT, wait_paused_at
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QColor
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QWidget

from gdsim.app import theme
from gdsim.app.views.base import number

pytestmark = pytest.mark.gui


@pytest.fixture
def themes_back():
    """The application's palette, style sheet and the theme module as they were, after the test."""
    yield
    theme.apply_theme(QApplication.instance(), "system")


def test_each_view_says_what_it_shows_and_follows_the_run(make_window, qtbot):
    w = make_window(scenario="fruit")
    assert w.loss_view.accessibleName() == "Loss view"
    assert w.gradient_view.accessibleName() == "Gradients view"
    assert w.prediction_view.accessibleName() == "Predictions view"
    qtbot.waitUntil(lambda: w.loss_view.accessibleDescription().startswith("Loss curve: no steps yet"),
                    timeout=TIMEOUT)
    w.step(5)
    wait_paused_at(qtbot, w, 5)
    snap = w.last_snapshot
    j = w.gradient_view.tracked
    label = w.info.labels[j]
    # The description is written at most every DESCRIBE_SECONDS: the last one comes a moment later.
    qtbot.waitUntil(lambda: w.loss_view.accessibleDescription().startswith("Loss curve: step 5,"), timeout=TIMEOUT)
    assert f"loss {number(float(snap.loss[-1]))}, falling" in w.loss_view.accessibleDescription()
    qtbot.waitUntil(lambda: "step 5" in w.gradient_view.accessibleDescription(), timeout=TIMEOUT)
    update = (f"{label}: w ← w − lr·g: {number(float(snap.values[j]))} ← {number(float(snap.values_before[j]))} "
              f"− {snap.last_lr:g} × {number(float(snap.update_grads[j]))}")
    assert update in w.gradient_view.accessibleDescription()
    qtbot.waitUntil(lambda: "after step 5" in w.prediction_view.accessibleDescription(), timeout=TIMEOUT)
    assert "10 predictions against their targets" in w.prediction_view.accessibleDescription()
    # The canvas says the same, for a reader that lands on the plot itself.
    assert w.loss_view.canvas.accessibleDescription() == w.loss_view.accessibleDescription()


def test_descriptions_are_written_a_few_times_a_second_at_most(make_window, qtbot):
    w = make_window(scenario="fruit", steps=0)
    view = w.loss_view
    times = []
    original = view._describe_now

    def counted():
        import time

        times.append(time.perf_counter())
        original()

    view._describe_now = counted
    view._describe_timer.timeout.disconnect()
    view._describe_timer.timeout.connect(counted)
    drawn = []
    w.snapshot_drawn.connect(lambda snap: drawn.append(snap.step))
    w.toggle_run()
    qtbot.waitUntil(lambda: len(times) >= 3 and len(drawn) > 3 * len(times), timeout=TIMEOUT)
    w.toggle_run()
    qtbot.waitUntil(lambda: w.state == "paused", timeout=TIMEOUT)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= view.DESCRIBE_SECONDS * 0.95, gaps
    # ...and the last word is the step the run paused at.
    step = w.last_snapshot.step
    qtbot.waitUntil(lambda: view.accessibleDescription().startswith(f"Loss curve: step {step:,},"), timeout=TIMEOUT)


def test_every_control_has_an_accessible_name(make_window):
    w = make_window(scenario="digits")
    unnamed = []
    for widget in w.findChildren(QWidget):
        if not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus) or not widget.isVisibleTo(w):
            continue
        parent = widget.parentWidget()
        if widget is w.view_area:  # the views' keyboard sink, named by the window
            continue
        if isinstance(parent, QAbstractScrollArea) and widget is parent.viewport():
            continue  # a plot's viewport: the canvas is named
        if isinstance(parent, QAbstractSpinBox):
            continue  # a spin box's own field: the box is named
        face = QAccessible.queryAccessibleInterface(widget)
        name = face.text(QAccessible.Text.Name) if face is not None else ""
        if not name.strip():
            unnamed.append(f"{type(widget).__name__} {widget.toolTip()[:50]!r}")
    assert not unnamed, unnamed
    assert w.controls.lr_field.accessibleName() == "Learning rate"
    assert w.controls.run_button.accessibleName() == "Run or pause"


def test_the_keyboard_focus_has_a_ring_of_the_themes_focus_colour(make_window, qtbot):
    w = make_window(scenario="fruit")
    ring = w.focus_ring
    field = w.controls.lr_field
    field.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: ring.isVisible() and ring.target is field, timeout=TIMEOUT)
    inside = ring.geometry().adjusted(2, 2, -2, -2)
    seen = field.visibleRegion().boundingRect()  # the panel may cut the field short at its edge
    assert inside.contains(field.mapTo(w, seen.topLeft())) and inside.contains(field.mapTo(w, seen.bottomRight()))
    picture = ring.grab().toImage()
    edge = QColor(picture.pixel(ring.width() // 2, 0))
    assert edge.name().upper() == QColor(theme.FOCUS).name().upper()
    # The ring moves with the keyboard, and leaves the views' own area alone.
    w.controls.seed.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: ring.target is w.controls.seed, timeout=TIMEOUT)
    w.view_area.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(lambda: not ring.isVisible(), timeout=TIMEOUT)


def test_high_contrast_is_remembered_and_redraws_the_run_thick_on_black(make_window, qtbot, themes_back):
    from gdsim.app import prefs

    w = make_window(scenario="fruit")
    w.step(4)
    wait_paused_at(qtbot, w, 4)
    assert not w.high_contrast_action.isChecked()
    run_id = w.info.run_id
    w.high_contrast_action.trigger()
    assert theme.high_contrast() and prefs.get_bool(theme.HIGH_CONTRAST_KEY, False)
    assert QApplication.palette().color(QApplication.palette().ColorRole.Window).name() == "#000000"
    # The views build their plots again from the whole run, in the new colours and widths.
    qtbot.waitUntil(lambda: w.info.run_id != run_id and w.last_snapshot.step == 4
                    and w.loss_view.train.count == 4, timeout=TIMEOUT)
    pen = w.loss_view.train_curve.opts["pen"]
    assert pen.widthF() == 2.0 and pen.color().name().upper() == theme.HIGH_CONTRAST.train.upper()
    assert w.loss_view.canvas.backgroundBrush().color().name() == "#000000"
    assert w.state == "paused"
    w.high_contrast_action.trigger()
    assert not theme.high_contrast() and not prefs.get_bool(theme.HIGH_CONTRAST_KEY, True)
    qtbot.waitUntil(lambda: w.loss_view.train_curve.opts["pen"].widthF() == 1.0, timeout=TIMEOUT)
    # The lesson's text (a style sheet in palette(placeholder-text)) takes the palette back too,
    # not high contrast's pale grey.
    lesson = w.controls.lesson
    placeholder = QApplication.palette().color(QApplication.palette().ColorRole.PlaceholderText)
    assert lesson.palette().color(lesson.foregroundRole()).name() == placeholder.name()


def test_the_app_command_takes_a_high_contrast_theme():
    from gdsim.cli import build_parser

    args = build_parser("app").parse_args(["app", "--theme", "high-contrast"])
    assert args.theme == "high-contrast"
    assert build_parser("open").parse_args(["open", "x.gdsim", "--theme", "high-contrast"]).theme == "high-contrast"


def test_the_drawn_pairs_differ_in_style_not_only_in_colour(make_window, qtbot):
    w = make_window(scenario="digits")
    w.step(3)
    wait_paused_at(qtbot, w, 3)
    loss = w.loss_view
    assert loss.train_curve.opts["pen"].style() == Qt.PenStyle.SolidLine and loss.train_curve.opts["symbol"] == "o"
    assert loss.val_curve.opts["pen"].style() == Qt.PenStyle.DashLine and loss.val_curve.opts["symbol"] == "s"
    assert w.prediction_view.val_points.opts["symbol"] != w.prediction_view.train_points.opts["symbol"]

    w = make_window(scenario="fruit")
    w.step(30)  # the article's weights: every gradient negative at first, of both signs by step 30
    wait_paused_at(qtbot, w, 30)
    grads = w.last_snapshot.update_grads
    assert (grads < 0).any() and (grads > 0).any()
    brushes = w.gradient_view.bars.opts["brushes"]
    hatched = [b.style() == Qt.BrushStyle.BDiagPattern for b in brushes]
    assert hatched == [bool(g < 0) for g in grads]


def test_a_dialog_of_the_window_gets_a_focus_ring_too(make_window, qtbot):
    from gdsim.app.focus import FocusRing

    w = make_window(scenario="quadratic")
    w.race()
    dialog = w.race_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=TIMEOUT)
    field = dialog.steps
    field.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: dialog.findChild(FocusRing) is not None, timeout=TIMEOUT)
    ring = dialog.findChild(FocusRing)
    qtbot.waitUntil(lambda: ring.isVisible() and ring.target is field, timeout=TIMEOUT)
    assert not w.focus_ring.isVisible()  # the window's own ring leaves the window's controls
    dialog.reject()


def test_the_ring_lets_go_of_a_control_deleted_while_it_had_the_keyboard(make_window, qtbot):
    import shiboken6
    from PySide6.QtWidgets import QComboBox

    w = make_window(scenario="fruit")
    box = QComboBox(w.controls.widget())
    box.show()
    box.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: w.focus_ring.target is box, timeout=TIMEOUT)
    shiboken6.delete(box)  # as a view's list rebuilt, or a window closed, under the ring
    w.controls.ensureWidgetVisible(w.controls.seed)  # as Tab scrolls the panel to it
    w.controls.seed.setFocus(Qt.FocusReason.TabFocusReason)  # had raised: C++ object already deleted
    qtbot.waitUntil(lambda: w.focus_ring.target is w.controls.seed and w.focus_ring.isVisible(), timeout=TIMEOUT)
    w.focus_ring.place()
