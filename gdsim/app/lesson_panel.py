"""A lesson file played in the window: one page at a time beside the views.

The panel only shows a page and says what the person asked for (open a page, play its action);
the window turns that into the model thread's commands, and tells the panel what came back (the
action's run finished, a challenge met). It never touches the engine.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QButtonGroup, QHBoxLayout, QLabel, QPushButton, QRadioButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget,
)

from ..core.lessons import Lesson, Page
from .presentation import font_scale


# Keys a focused choice or button of the panel keeps (app.desktop honours ``takes_keys``): without
# this, Space on a focused choice would run the training (the window's shortcut) instead of choosing.
CHOICE_KEYS = frozenset({Qt.Key.Key_Space, Qt.Key.Key_Up, Qt.Key.Key_Down})
BUTTON_KEYS = frozenset({Qt.Key.Key_Space})


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n") if p.strip())


class LessonPanel(QScrollArea):
    page_opened = Signal(int)  # the page to load (its index): the window starts its run
    action_asked = Signal(int)  # play the page's action (its index)
    closed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.lesson: Lesson | None = None
        self.index = 0
        self._answered = False
        self._revealed = False
        self._met: list[bool] = []
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._fit_to_font()
        self.setAccessibleName("Lesson")
        body = QWidget()
        self.setWidget(body)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(8, 6, 8, 6)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.where.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # a palette role, not a style
        # sheet: a style sheet would keep the font the label was first polished with (the zoom)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.question = QLabel()
        self.question.setWordWrap(True)
        self.choices = QButtonGroup(self)
        self.choice_box = QVBoxLayout()
        self.action_button = QPushButton()
        self.action_button.clicked.connect(self._act)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.reveal = QLabel()
        self.reveal.setWordWrap(True)
        self.challenge_title = QLabel("<b>Challenges</b>")
        self.challenge_list = QLabel()
        self.challenge_list.setWordWrap(True)
        self.challenge_list.setTextFormat(Qt.TextFormat.RichText)
        self.locks = QLabel()
        self.locks.setWordWrap(True)
        self.locks.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        nav = QHBoxLayout()
        self.back_button = QPushButton("◀ Previous")
        self.back_button.setToolTip("The page before (Alt+Left)")
        self.back_button.clicked.connect(self.previous_page)
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip("The next page (Alt+Right)")
        self.next_button.clicked.connect(self.next_page)
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Leave the lesson: every control is unlocked again")
        self.close_button.clicked.connect(self.closed)
        for b in (self.back_button, self.next_button, self.close_button):
            nav.addWidget(b)
        for b in (self.action_button, self.back_button, self.next_button, self.close_button):
            b.takes_keys = lambda: BUTTON_KEYS
            # A narrow panel (zoomed, on a small screen) wraps its text rather than cut it off at the
            # width of its widest button.
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        for w in (self.title, self.where, self.text, self.question):
            lay.addWidget(w)
        # Rich text always: these carry escaped text ("article&#x27;s"), which a label guessing the
        # format from the absence of tags showed as it is.
        for label in (self.title, self.where, self.question, self.verdict, self.reveal):
            label.setTextFormat(Qt.TextFormat.RichText)
        lay.addLayout(self.choice_box)
        for w in (self.action_button, self.verdict, self.reveal, self.challenge_title, self.challenge_list,
                  self.locks):
            lay.addWidget(w)
        lay.addStretch(1)
        lay.addLayout(nav)

    # ----- what the window calls -------------------------------------------------------------------

    def _fit_to_font(self) -> None:
        # 230 pixels at the usual font: with the controls (280) and the views (484) at their
        # narrowest, 1,000 pixels, inside a 1024x768 screen's window frame (260 had pushed the window
        # past it, cutting the controls). Zoomed, wider with the text, for the lines to stay readable.
        self.setMinimumWidth(int(230 * font_scale(self)))

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_to_font()

    def open(self, lesson: Lesson) -> None:
        self.lesson = lesson
        self.title.setText(f"<b>{html.escape(lesson.title)}</b>")
        self.title.setToolTip(lesson.about)
        self.show_page(0)

    @property
    def page(self) -> Page | None:
        return None if self.lesson is None else self.lesson.pages[self.index]

    def show_page(self, index: int) -> None:
        """Show page ``index`` (the window has been asked, by ``page_opened``, to load its run)."""
        lesson = self.lesson
        self.index = index
        page = lesson.pages[index]
        self._answered = self._revealed = False
        self._met = [False] * len(page.challenges)
        self.where.setText(f"Page {index + 1} of {len(lesson.pages)}: {html.escape(page.title)}")
        self.text.setText(_paragraphs(page.text))
        self._show_question(page)
        self._show_action(page)
        self.verdict.clear()
        self.reveal.clear()
        self.reveal.hide()
        self._show_challenges()
        locked, hidden = lesson.controls(page)
        locked = sorted(locked - hidden)
        words = ([f"locked: {', '.join(locked)}"] if locked else []) + ([f"hidden: {', '.join(sorted(hidden))}"]
                                                                         if hidden else [])
        self.locks.setText(("This lesson keeps these controls as they are: " + "; ".join(words) + ".") if words
                           else "")
        self.back_button.setEnabled(index > 0)
        self.next_button.setEnabled(index + 1 < len(lesson.pages))
        self.setAccessibleDescription(f"{lesson.title}, page {index + 1} of {len(lesson.pages)}: {page.title}")
        self.verticalScrollBar().setValue(0)

    def take_keyboard(self) -> None:
        """The keyboard to the page: its first answer not yet given, else its action, else Next."""
        choices = self.choices.buttons()
        for w in ([choices[0]] if choices and choices[0].isEnabled() else []) + [self.action_button, self.next_button]:
            if w.isVisible() and w.isEnabled():
                w.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return

    def action_done(self, step: int) -> None:
        """The page's run reached ``step`` with its action's steps taken (or stopped early)."""
        page = self.page
        if page is None or page.action is None or self._revealed:
            return
        self._revealed = True
        if page.question is not None and page.question.reveal:
            self.reveal.setText(_paragraphs(page.question.reveal))
            self.reveal.show()
        self.action_button.setText(f"Again: {page.action.text or 'run the action'}")

    def challenges_checked(self, met) -> None:
        """Which challenges the run meets now; a challenge once met stays met on this page."""
        newly = [i for i, m in enumerate(met) if m and i < len(self._met) and not self._met[i]]
        for i in newly:
            self._met[i] = True
        if newly:
            self._show_challenges()
        return newly

    # ----- pages --------------------------------------------------------------------------------------

    def next_page(self) -> None:
        if self.lesson is not None and self.index + 1 < len(self.lesson.pages):
            self.page_opened.emit(self.index + 1)

    def previous_page(self) -> None:
        if self.lesson is not None and self.index > 0:
            self.page_opened.emit(self.index - 1)

    def _show_question(self, page: Page) -> None:
        for b in self.choices.buttons():
            self.choices.removeButton(b)
            b.deleteLater()
        q = page.question
        self.question.setVisible(q is not None)
        if q is None:
            return
        self.question.setText(f"<b>Predict first:</b> {html.escape(q.text)}")
        for i, choice in enumerate(q.choices):
            b = QRadioButton(choice.replace("&", "&&"))  # a button's & marks its shortcut letter
            b.setAccessibleName(f"Answer {i + 1}: {choice}")
            b.takes_keys = lambda: CHOICE_KEYS
            self.choices.addButton(b, i)
            self.choice_box.addWidget(b)
        # The choices are made after the buttons below them: Tab goes from the choices to the action,
        # then the page buttons, as they are laid out (not in the order they were made).
        chain = self.choices.buttons()[-1:] + [self.action_button, self.back_button, self.next_button,
                                               self.close_button]
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)

    def _show_action(self, page: Page) -> None:
        a = page.action
        self.action_button.setVisible(a is not None)
        if a is None:
            return
        what = a.text or f"run {a.steps} steps"
        if page.question is not None:
            self.action_button.setText(f"Check my answer: {what}")
            self.action_button.setToolTip("Runs the page's action, then shows what happened and why")
        else:
            self.action_button.setText(f"Run the action: {what}")
            self.action_button.setToolTip("Starts the page's run afresh and takes its steps at the chosen speed")

    def _act(self) -> None:
        page = self.page
        if page is None or page.action is None:
            return
        q = page.question
        if q is not None and q.choices and not self._answered:
            chosen = self.choices.checkedId()
            if chosen < 0:
                self.verdict.setText("Choose an answer first: what do you expect?")
                return
            self._answered = True
            for b in self.choices.buttons():
                b.setEnabled(False)
            right = q.answer is not None and chosen == q.answer  # an index of choices, from 0
            if q.answer is None:
                self.verdict.setText("Noted. Watch the run:")
            elif right:
                self.verdict.setText("✓ Right. Watch the run:")
            else:
                self.verdict.setText(f"✗ Not quite: the answer is “{html.escape(q.choices[q.answer])}”. "
                                     f"Watch the run:")
        self._revealed = False
        self.action_asked.emit(self.index)

    def _show_challenges(self) -> None:
        page = self.page
        has = page is not None and bool(page.challenges)
        self.challenge_title.setVisible(has)
        self.challenge_list.setVisible(has)
        if not has:
            return
        rows = []
        for challenge, met in zip(page.challenges, self._met):
            mark = "☑" if met else "☐"
            row = f"{mark} {html.escape(challenge.text)}"
            if met:
                row += f"<br><i>{html.escape(challenge.message)}</i>"
            rows.append(row)
        self.challenge_list.setText("<br>".join(rows) + ("" if all(self._met) else
                                    "<br><small>Change the settings the lesson leaves free, and train.</small>"))
