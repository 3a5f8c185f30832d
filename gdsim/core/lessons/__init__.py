"""Lessons as files: a plain-text format a teacher writes by hand (docs/lesson-format.md).

What the app calls:

- ``load_lesson(path)`` / ``parse_lesson(text, name)`` -> ``Lesson`` (GdsimError of one line,
  naming the line, for any mistake); ``shipped_lesson(name)`` for a lesson gdsim ships and
  ``shipped_lessons()`` for their names.
- ``Lesson.pages``: ``Page`` objects with ``text``, ``settings`` (a ``Settings`` to build the run
  from), ``action`` (``Action``: steps, zeroing switch, compared ``Variant``), ``question``,
  ``challenges``; ``Lesson.controls(page)`` -> (locked, hidden) names from ``CONTROLS``.
- ``challenges_met(page, trainer)`` after every frame; ``play(page)`` trains a page's action as the
  window would; ``check_lesson(lesson)`` checks every ``expect:`` line against the engine.
"""

from .files import find_lesson, shipped_lesson, shipped_lessons
from .pages import CONTROLS, VERSION, Action, Challenge, Expectation, Lesson, Page, Question, challenges_met
from .play import PageCheck, Played, check_lesson, check_page, play
from .reader import load_lesson, parse_lesson
from .writer import format_lesson

__all__ = ["CONTROLS", "VERSION", "Action", "Challenge", "Expectation", "Lesson", "Page", "PageCheck", "Played",
           "Question", "challenges_met", "check_lesson", "check_page", "find_lesson", "format_lesson",
           "load_lesson", "parse_lesson", "play", "shipped_lesson", "shipped_lessons"]
