"""A lesson file played in the window: each page loads its run, the action trains exactly what the
headless player trains (core.lessons.play, which `gdsim lesson --check` checks), questions are
marked and revealed after the run, challenges are met live, and the lesson's locks hold."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import TIMEOUT

from gdsim.core.lessons import find_lesson, load_lesson, play

pytestmark = pytest.mark.gui


def opened(qtbot, w, name):
    lesson = load_lesson(find_lesson(name))
    before = w.info.run_id
    assert w.open_lesson(name)
    qtbot.waitUntil(lambda: w.info.run_id > before and w.last_snapshot is not None, timeout=TIMEOUT)
    return lesson


def go_to(qtbot, w, index, lesson):
    """Page ``index``, its run started (a new run of the page's settings, at step 0)."""
    before = w.info.run_id
    w.lesson_panel.page_opened.emit(index)
    page = lesson.pages[index]
    qtbot.waitUntil(lambda: w.info.run_id > before and w.last_snapshot is not None
                    and w.last_snapshot.run_id == w.info.run_id, timeout=TIMEOUT)
    assert w.lesson_panel.index == index and w.settings.scenario == page.settings.scenario
    return page


def action_played(qtbot, w, steps):
    qtbot.waitUntil(lambda: w._lesson_awaits is None and w.state != "running" and w.last_snapshot.step >= steps,
                    timeout=TIMEOUT)


def test_a_page_loads_its_run_and_its_action_trains_what_the_headless_player_trains(qtbot, make_window):
    w = make_window(scenario="fruit")
    lesson = opened(qtbot, w, "parabola")
    page = lesson.pages[0]
    assert w.settings.scenario == "parabola" and w.settings.lr == 0.1
    panel = w.lesson_panel
    assert "Page 1 of 5" in panel.where.text() and not panel.reveal.isVisibleTo(panel)

    panel.action_button.click()  # no answer chosen yet: the panel asks for one, nothing runs
    assert "Choose an answer first" in panel.verdict.text() and w._lesson_awaits is None

    panel.choices.buttons()[page.question.answer].setChecked(True)
    panel.action_button.click()
    assert panel.verdict.text().startswith("✓ Right")
    action_played(qtbot, w, page.action.steps)
    assert panel.reveal.isVisibleTo(panel) and "0.035" in panel.reveal.text()
    run, _ = play(page)
    np.testing.assert_array_equal(w.controller.worker.trainer.history.loss, run.trainer.history.loss)
    assert w.last_snapshot.step == page.action.steps


def test_a_wrong_answer_is_marked_with_the_right_one(qtbot, make_window):
    w = make_window(scenario="parabola")
    lesson = opened(qtbot, w, "parabola")
    page = lesson.pages[0]
    wrong = next(i for i in range(len(page.question.choices)) if i != page.question.answer)
    w.lesson_panel.choices.buttons()[wrong].setChecked(True)
    w.lesson_panel.action_button.click()
    assert w.lesson_panel.verdict.text().startswith("✗ Not quite")
    assert page.question.choices[page.question.answer] in w.lesson_panel.verdict.text()


def test_next_page_starts_its_own_run_and_a_compared_run_is_pinned(qtbot, make_window):
    w = make_window(scenario="parabola")
    lesson = opened(qtbot, w, "parabola")
    index = next(i for i, p in enumerate(lesson.pages) if p.action is not None and p.action.compare is not None)
    page = go_to(qtbot, w, index, lesson)
    assert w.settings.lr == page.settings.lr
    if page.question is not None and page.question.choices:
        w.lesson_panel.choices.buttons()[0].setChecked(True)
    with qtbot.waitSignal(w.controller.pins_changed, timeout=TIMEOUT, check_params_cb=lambda pins: len(pins) == 1):
        w.lesson_panel.action_button.click()
    action_played(qtbot, w, page.action.steps)
    run, compared = play(page)
    np.testing.assert_array_equal(w.pins[0].loss, compared.trainer.history.loss)
    np.testing.assert_array_equal(w.controller.worker.trainer.history.loss, run.trainer.history.loss)

    go_to(qtbot, w, index - 1, lesson)  # the page before has no comparison: its pins go
    qtbot.waitUntil(lambda: not w.pins, timeout=TIMEOUT)


@pytest.mark.parametrize("scenario, compare", [("micrograd", "seed=7"), ("digits", "model=mlp")])
def test_a_compared_run_with_other_weights_is_the_headless_players_run(qtbot, make_window, tmp_path,
                                                                       scenario, compare):
    """A comparison that changes the seed or the model draws its own weights, in the window as in
    `gdsim lesson --check` (the window had trained it from the page's weights, which a model of
    another shape cannot even take)."""
    path = tmp_path / "teacher.txt"
    path.write_text(f"gdsim lesson 1\ntitle: T\npage: P\nscenario: {scenario}\ntext: Two draws.\n"
                    f"action: run 4, compare {compare}\n")
    w = make_window(scenario="parabola")
    page = opened(qtbot, w, str(path)).pages[0]
    with qtbot.waitSignal(w.controller.pins_changed, timeout=TIMEOUT, check_params_cb=lambda pins: len(pins) == 1):
        w.lesson_panel.action_button.click()
    action_played(qtbot, w, 4)
    run, compared = play(page)
    np.testing.assert_array_equal(w.pins[0].loss, compared.trainer.history.loss)
    np.testing.assert_array_equal(w.controller.worker.trainer.history.loss, run.trainer.history.loss)
    assert w.pins[0].loss[0] != run.trainer.history.loss[0]  # its own initial weights


def test_zeroing_switched_partway_is_the_headless_players_run(qtbot, make_window):
    w = make_window(scenario="micrograd")
    lesson = opened(qtbot, w, "micrograd")
    index = next(i for i, p in enumerate(lesson.pages) if p.action is not None and p.action.zeroing is not None)
    page = go_to(qtbot, w, index, lesson)
    if page.question is not None and page.question.choices:
        w.lesson_panel.choices.buttons()[0].setChecked(True)
    w.lesson_panel.action_button.click()
    action_played(qtbot, w, page.action.steps)
    run, _ = play(page)
    t = w.controller.worker.trainer
    assert t.zero_grad == page.action.zeroing[1] and t.step_count == page.action.steps
    np.testing.assert_array_equal(t.history.loss, run.trainer.history.loss)
    np.testing.assert_array_equal(t.params.values, run.trainer.params.values)


def test_a_challenge_met_is_said_and_stays_met(qtbot, make_window):
    w = make_window(scenario="parabola")
    lesson = opened(qtbot, w, "parabola")
    index = next(i for i, p in enumerate(lesson.pages) if p.challenges and "within" in p.challenges[0].text)
    page = go_to(qtbot, w, index, lesson)
    panel = w.lesson_panel
    assert "☐" in panel.challenge_list.text()
    w.controller.call("configure", w.settings.replace(lr=0.3))  # a learning rate that gets there
    with qtbot.waitSignal(w.controller.challenges_checked, timeout=TIMEOUT,
                          check_params_cb=lambda run_id, met: met[0]):
        w.step(20)
    qtbot.waitUntil(lambda: "☑" in panel.challenge_list.text(), timeout=TIMEOUT)
    assert page.challenges[0].message.split()[0] in panel.challenge_list.text()
    w.reset()  # a fresh run has not met it, but the page says it was met
    qtbot.waitUntil(lambda: w.last_snapshot.step == 0, timeout=TIMEOUT)
    assert "☑" in panel.challenge_list.text()


def test_locks_hold_while_the_lesson_is_open_and_go_with_it(qtbot, make_window):
    w = make_window(scenario="fruit")
    lesson = opened(qtbot, w, "parabola")
    locked, hidden = lesson.controls(lesson.pages[0])
    assert "optimizer" in locked and "scenario" in locked
    c = w.controls
    assert not c.optimizer.isEnabled() and not c.scenario.isEnabled() and not w.data_action.isEnabled()
    assert c.lr_field.isEnabled()  # the lesson is about it
    w.close_lesson()
    qtbot.waitUntil(lambda: c.optimizer.isEnabled() and c.scenario.isEnabled(), timeout=TIMEOUT)
    assert w.data_action.isEnabled() and not w.lesson_dock.isVisible()


def test_hidden_controls_are_hidden_with_their_labels(qtbot, make_window):
    w = make_window(scenario="fruit")
    w.controls.set_lesson_locks(frozenset(), frozenset({"optimizer", "zero-grad", "seed"}))
    c = w.controls
    assert not c.optimizer.isVisibleTo(c) and not c.zero_grad.isVisibleTo(c) and not c.new_button.isVisibleTo(c)
    assert c._model_form.labelForField(c.optimizer).isHidden()
    w.controls.set_lesson_locks(frozenset(), frozenset())
    assert c.optimizer.isVisibleTo(c) and c.zero_grad.isVisibleTo(c) and c.optimizer.isEnabled()


def test_a_lesson_with_a_mistake_is_refused_with_its_line_and_nothing_changes(qtbot, make_window, tmp_path,
                                                                          monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    w = make_window(scenario="fruit")
    bad = tmp_path / "bad.txt"
    bad.write_text("gdsim lesson 1\ntitle: T\npage: P\nscenario: parabola\nlrr: 0.1\ntext: hello\n")
    assert not w.open_lesson(str(bad))
    assert len(said) == 1 and "line 5" in said[0] and "lrr" in said[0]
    assert w.lesson_panel is None and w.settings.scenario == "fruit"


def test_gdsim_lesson_opens_the_window_at_the_lesson(monkeypatch, capsys):
    import gdsim.app.main as app_main
    from gdsim.cli import main

    opened_with = []
    monkeypatch.setattr(app_main, "run_app", lambda **kw: opened_with.append(kw) or 0)
    assert main(["lesson", "parabola"]) == 0
    assert opened_with and opened_with[0]["lesson"].endswith("parabola.txt")


def test_the_keyboard_answers_a_question_without_running_the_training(qtbot, make_window):
    from PySide6.QtCore import Qt

    w = make_window(scenario="parabola")
    lesson = opened(qtbot, w, "parabola")
    desktop_installed(qtbot, w)
    first = w.lesson_panel.choices.buttons()[0]
    first.setFocus()
    qtbot.waitUntil(first.hasFocus, timeout=TIMEOUT)
    qtbot.keyClick(first, Qt.Key.Key_Down)  # to the next choice, as radio buttons go
    second = w.lesson_panel.choices.buttons()[1]
    assert second.hasFocus()
    qtbot.keyClick(second, Qt.Key.Key_Space)
    assert second.isChecked() and w.state != "running" and w.last_snapshot.step == 0
    button = w.lesson_panel.action_button
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)  # the button, not Run: the page's action starts
    assert w._lesson_awaits == lesson.pages[0].action.steps
    action_played(qtbot, w, lesson.pages[0].action.steps)


def desktop_installed(qtbot, w):
    """The application's key rules are installed at the window's first paint."""
    from gdsim.app import desktop

    desktop.install()


def test_a_zeroing_switch_left_by_a_paused_action_does_not_reach_the_next_run(qtbot, make_window):
    w = make_window(scenario="micrograd")
    lesson = opened(qtbot, w, "micrograd")
    index = next(i for i, p in enumerate(lesson.pages) if p.action is not None and p.action.zeroing is not None)
    page = go_to(qtbot, w, index, lesson)
    w.controls.speed.setValue(0)  # one step a second: Pause comes before the switch
    if page.question is not None and page.question.choices:
        w.lesson_panel.choices.buttons()[0].setChecked(True)
    w.lesson_panel.action_button.click()
    qtbot.waitUntil(lambda: w.state == "running", timeout=TIMEOUT)
    w.toggle_run()  # Pause
    qtbot.waitUntil(lambda: w.state != "running", timeout=TIMEOUT)
    assert w.last_snapshot.step < page.action.zeroing[0] - 1
    w.controls.speed.setValue(w.controls.speed.maximum())
    w.reset()
    qtbot.waitUntil(lambda: w.last_snapshot.step == 0, timeout=TIMEOUT)
    w.step(page.action.zeroing[0] + 2)
    qtbot.waitUntil(lambda: w.last_snapshot.step == page.action.zeroing[0] + 2 and w.state != "running",
                    timeout=TIMEOUT)
    assert w.controller.worker.trainer.zero_grad == page.settings.zero_grad is not False


def test_f6_takes_the_keyboard_to_the_page_and_its_action_gives_it_back(qtbot, make_window):
    from PySide6.QtCore import Qt

    w = make_window(scenario="parabola")
    lesson = opened(qtbot, w, "parabola")
    desktop_installed(qtbot, w)
    w.view_area.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_F6)
    first = w.lesson_panel.choices.buttons()[0]
    assert first.hasFocus()
    answer = w.lesson_panel.choices.buttons()[lesson.pages[0].question.answer]
    answer.setFocus()
    qtbot.keyClick(answer, Qt.Key.Key_Space)
    button = w.lesson_panel.action_button
    qtbot.keyClick(answer, Qt.Key.Key_Tab)  # from the choices to the action, as they are laid out
    assert button.hasFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)
    assert w.view_area.hasFocus()  # Space and Right act on the run again
    action_played(qtbot, w, lesson.pages[0].action.steps)


def test_a_lesson_fits_a_1024x768_screen_beside_the_controls_and_its_headings_read_right(qtbot, make_window):
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QTextDocumentFragment
    from PySide6.QtWidgets import QApplication

    w = make_window(scenario="fruit")
    opened(qtbot, w, "fruit")
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    least = w.minimumSizeHint()
    # Inside a 1024x768 screen with a window frame of up to 7 pixels a side (it had been 1,024).
    assert least.width() <= 1010 and least.height() <= 768 - 60
    where = w.lesson_panel.where  # "The article's starting point": escaped, so shown as rich text
    assert where.textFormat() == Qt.TextFormat.RichText
    assert "The article's starting point" in QTextDocumentFragment.fromHtml(where.text()).toPlainText()
