"""In front of a class: the whole interface zoomed and remembered, presentation mode giving the
views the screen while the run's keys still work, and full screen."""

from __future__ import annotations

import pytest
from gui_helpers import TIMEOUT
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

pytestmark = pytest.mark.gui


@pytest.fixture
def actual_size():
    """Every test starts and ends at zoom 1 (the zoom is the application's font, shared)."""
    yield
    from gdsim.app.presentation import Zoom

    Zoom(QApplication.instance()).set(1.0, remember=False)


@pytest.fixture
def projector(monkeypatch):
    """The window's screen is a 1280x720 projector (offscreen Qt's own screen is 800x800, where
    not even 100% fits)."""
    from PySide6.QtCore import QSize

    from gdsim.app.window import MainWindow

    monkeypatch.setattr(MainWindow, "room_on_screen", lambda self: QSize(1280, 720))


def scale_of(canvas) -> float:
    return canvas.transform().m11()


def test_zoom_scales_text_and_every_plot_and_is_remembered(qtbot, make_window, actual_size):
    w = make_window(scenario="fruit")
    base = QApplication.font().pointSizeF()
    assert scale_of(w.loss_view.canvas) == 1.0
    w.zoom.bigger()
    w.zoom.bigger()
    assert w.zoom.factor == 1.25
    assert w.font().pointSizeF() == pytest.approx(base * 1.25)
    assert w.controls.optimizer.font().pointSizeF() == pytest.approx(base * 1.25)
    # The plots' text is drawn at the application's font and zoomed once, by the view, with the lines.
    assert QApplication.font().pointSizeF() == base and w.loss_view.canvas.font().pointSizeF() == base
    w.resize(1400, 880)
    qtbot.waitUntil(lambda: w.width() == 1400, timeout=TIMEOUT)
    for view in w.views:  # fitInView keeps a 2 px margin
        z = view.canvas.effective_zoom()
        assert 1.0 <= z <= 1.25 and scale_of(view.canvas) == pytest.approx(z, rel=0.05)
    canvas = w.loss_view.canvas
    assert scale_of(canvas) == pytest.approx(1.25, rel=0.05)
    # The scene is laid out smaller, so what is drawn in it (ticks, lines) comes out larger.
    assert canvas.centralWidget.geometry().width() == pytest.approx(canvas.width() / 1.25, abs=1)
    # A canvas with little room zooms less rather than crowd its plots.
    w.resize(900, 600)
    qtbot.waitUntil(lambda: w.width() == 900, timeout=TIMEOUT)
    g = w.gradient_view.canvas
    assert g.effective_zoom() < 1.25
    assert g.centralWidget.geometry().width() >= min(g.smallest[0], g.width()) - 1

    second = make_window(scenario="parabola")  # a new window opens at the remembered zoom
    second.resize(1400, 880)
    qtbot.waitUntil(lambda: second.width() == 1400, timeout=TIMEOUT)
    assert second.zoom.factor == 1.25 and scale_of(second.loss_view.canvas) == pytest.approx(1.25, rel=0.05)
    assert second.font().pointSizeF() == pytest.approx(base * 1.25)  # not 1.25 x 1.25
    w.zoom.actual_size()
    assert w.font().pointSizeF() == pytest.approx(base) and scale_of(canvas) == 1.0


def test_a_dialog_opened_later_is_zoomed_too(qtbot, make_window, actual_size):
    from PySide6.QtWidgets import QDialog

    w = make_window(scenario="fruit")
    w.zoom.set(1.5, remember=False)
    dialog = QDialog(w)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.font().pointSizeF() == pytest.approx(QApplication.font().pointSizeF() * 1.5)


def test_zoom_keys_step_through_the_zooms_and_stop_at_the_ends(qtbot, make_window, actual_size, projector):
    w = make_window(scenario="fruit")
    w.view_area.setFocus()
    for _ in range(12):
        qtbot.keyClick(w, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert w.zoom.factor == 2.0
    qtbot.keyClick(w, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert w.zoom.factor == 1.75
    qtbot.keyClick(w, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert w.zoom.factor == 1.0
    for _ in range(12):
        qtbot.keyClick(w, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert w.zoom.factor == 0.8


def fits(w) -> bool:
    least = w.minimumSizeHint()
    return least.width() <= 1280 and least.height() <= 720 and w.width() <= 1280 and w.height() <= 720


def test_the_zoom_stops_where_the_window_would_outgrow_the_screen(qtbot, make_window, actual_size, projector):
    w = make_window(scenario="parabola")
    w.resize(1280, 720)
    assert w.open_lesson("parabola")
    w.view_area.setFocus()
    for _ in range(8):
        qtbot.keyClick(w, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    # The controls and the lesson beside the views at 200% need about 1,300 pixels.
    assert 1.25 <= w.zoom.factor < 2.0 and fits(w)
    assert f"Zoom {w.zoom.factor:.0%}, the most that fits" in w.statusBar().currentMessage()
    qtbot.keyClick(w, Qt.Key.Key_F5)  # without the controls there is room for more
    for _ in range(3):
        qtbot.keyClick(w, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert w.zoom.factor == 2.0 and fits(w)
    qtbot.keyClick(w, Qt.Key.Key_F5)  # the controls come back, at a zoom at which they fit
    assert w.zoom.factor < 2.0 and fits(w)
    w.close_lesson()
    for _ in range(3):
        qtbot.keyClick(w, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert w.zoom.factor == 2.0 and fits(w)
    w.zoom.set(2.0, remember=False)
    assert w.open_lesson("parabola")  # a lesson opened at a zoom too large for it
    assert w.zoom.factor < 2.0 and fits(w)


def test_presentation_mode_gives_the_views_a_1280x720_screen_and_the_keys_still_run(qtbot, make_window):
    w = make_window(scenario="fruit")
    w.resize(1280, 720)
    qtbot.waitUntil(lambda: w.width() == 1280, timeout=TIMEOUT)
    before = w.view_area.width()
    qtbot.keyClick(w, Qt.Key.Key_F5)
    assert w.presenting and not w.controls.isVisible() and w.slim_bar.isVisible()
    qtbot.waitUntil(lambda: w.view_area.width() > before, timeout=TIMEOUT)
    assert w.view_area.width() + w.slim_bar.width() >= 1280 - 20  # all but a frame's width
    assert w.slim_bar.width() < 100

    qtbot.keyClick(w, Qt.Key.Key_Right)  # Step
    qtbot.waitUntil(lambda: w.last_snapshot.step == 1, timeout=TIMEOUT)
    qtbot.keyClick(w, Qt.Key.Key_Space)  # Run: to fruit's step limit
    qtbot.waitUntil(lambda: w.last_snapshot.step == 100 and w.state == "stopped", timeout=TIMEOUT)
    qtbot.keyClick(w, Qt.Key.Key_R)  # Reset
    qtbot.waitUntil(lambda: w.last_snapshot.step == 0, timeout=TIMEOUT)

    w.slim_bar.controls_button.click()  # the slim bar's own way back
    assert not w.presenting and w.controls.isVisible() and not w.slim_bar.isVisible()


def test_the_slim_bar_shows_the_step(qtbot, make_window):
    w = make_window(scenario="fruit")
    w.set_presentation(True)
    w.step(3)
    qtbot.waitUntil(lambda: w.last_snapshot.step == 3 and "3" in w.slim_bar.step_label.text(), timeout=TIMEOUT)


def test_full_screen_and_back(qtbot, make_window):
    w = make_window(scenario="fruit")
    w.view_area.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: w.isFullScreen(), timeout=TIMEOUT)
    assert w.full_screen_action.isChecked()
    w.toggle_full_screen()
    qtbot.waitUntil(lambda: not w.isFullScreen(), timeout=TIMEOUT)
    assert not w.full_screen_action.isChecked()


def test_a_legend_in_a_narrow_column_puts_fewer_entries_on_a_line(qtbot):
    """Beside a lesson at 1280x720 the parabola's legend was cut at both ends ("oss f(x) ... x no")."""
    import pyqtgraph as pg

    from gdsim.app import theme
    from gdsim.app.views.base import _text_width, legend_title

    canvas = pg.GraphicsLayoutWidget()
    qtbot.addWidget(canvas)
    plot = canvas.addPlot()
    entries = [(theme.TRAIN, "━", "loss f(x)"), (theme.PREDICTION, "●", "x after each step"),
               (theme.PREDICTION, "○", "x now")]
    legend_title(plot, entries)
    label = plot.titleLabel

    def lines_fit() -> bool:
        return all(_text_width(line, "8pt", label.item.font()) <= label.width() for line in label.text.split("<br>"))

    canvas.resize(600, 300)
    canvas.show()
    qtbot.waitUntil(lambda: label.width() > 400, timeout=TIMEOUT)
    assert "<br>" not in label.text, (label.width(), label.text)
    assert lines_fit()  # three entries on one line
    canvas.resize(270, 300)
    qtbot.waitUntil(lambda: label.width() < 240 and "<br>" in label.text, timeout=TIMEOUT)
    assert lines_fit(), (label.width(), [_text_width(t, "8pt", label.item.font()) for t in label.text.split("<br>")])
    assert label.text.count("<br>") == 1 and all(t in label.text for _, _, t in entries)
    canvas.resize(120, 300)  # too narrow even for two lines: the row stays two lines high, cut
    qtbot.waitUntil(lambda: label.width() < 130, timeout=TIMEOUT)
    assert label.text.count("<br>") == 1
    canvas.resize(600, 300)  # and back to one line
    qtbot.waitUntil(lambda: "<br>" not in label.text, timeout=TIMEOUT)


def test_a_legend_allowed_three_lines_takes_the_fewest_that_fit_its_entries_shared_evenly(qtbot):
    """micrograd's six gradient norms were always three lines of two, leaving the plot a few
    pixels tall beside the graph at 1280x720."""
    import pyqtgraph as pg

    from gdsim.app import theme
    from gdsim.app.views.base import _text_width, legend_title

    canvas = pg.GraphicsLayoutWidget()
    qtbot.addWidget(canvas)
    plot = canvas.addPlot()
    names = ("0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias")
    legend_title(plot, [(theme.series(i), "━", name) for i, name in enumerate(names)], lines=3)
    label = plot.titleLabel

    def lines() -> list[str]:
        return label.text.split("<br>")

    def fit() -> bool:
        return all(_text_width(line, "8pt", label.item.font()) <= label.width() for line in lines())

    canvas.show()
    for width, count in ((600, 1), (300, 2), (200, 3)):
        canvas.resize(width, 300)
        qtbot.waitUntil(lambda: len(lines()) == count, timeout=TIMEOUT)
        assert fit(), (width, label.width(), label.text)
        assert [line.count("━") for line in lines()] == [6 // count] * count  # 3 and 3, not 5 and 1
    canvas.resize(60, 300)  # too narrow for anything: three lines, cut
    qtbot.waitUntil(lambda: label.width() < 60, timeout=TIMEOUT)
    assert len(lines()) == 3
    legend_title(plot, [], lines=3)  # no entries (the landscape before its map): no legend, no error
    assert label.text == ""


def test_the_shortcut_sheet_fits_a_1280x720_screen_and_lists_every_shortcut(qtbot, make_window, projector):
    w = make_window(scenario="fruit")
    w.view_area.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_F1)
    sheet = w.shortcut_sheet
    qtbot.waitUntil(sheet.isVisible, timeout=TIMEOUT)
    # Fifty rows in one column had run past the screen's bottom, the OK button with them.
    assert sheet.height() <= 720 and sheet.width() <= 1280
    from PySide6.QtWidgets import QTextBrowser

    text = sheet.findChild(QTextBrowser).toPlainText()
    assert all(what in text for _, what in w.shortcut_rows())
    assert "F11" in text and "F5" in text and "Ctrl+0" in text
    qtbot.keyClick(sheet, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not sheet.isVisible(), timeout=TIMEOUT)
