"""A Lesson written back as a lesson file: what ``reader.parse_lesson`` reads as the same lesson
(an editor that changes a lesson, a test that reads what it wrote)."""

from __future__ import annotations

from .pages import VERSION, Lesson, Page
from .reader import HEADER


def format_lesson(lesson: Lesson) -> str:
    lines = [f"{HEADER} {VERSION}", f"title: {lesson.title}"]
    if lesson.about:
        lines += _text("about", lesson.about)
    lines += _controls(lesson.locked, lesson.hidden)
    for page in lesson.pages:
        lines += [""] + _page(page)
    return "\n".join(lines) + "\n"


def _page(page: Page) -> list[str]:
    lines = [f"page: {page.title}", f"scenario: {page.settings.scenario}"]
    lines += [f"{key}: {value}" for key, value in page.written]
    lines += _text("text", page.text)
    if page.action is not None:
        lines.append(f"action: {page.action.text}")
    if page.question is not None:
        q = page.question
        lines += _text("question", q.text) + [f"choice: {c}" for c in q.choices]
        if q.answer is not None:
            lines.append(f"answer: {q.answer + 1}")
        if q.reveal:
            lines += _text("reveal", q.reveal)
    lines += [f"expect: {e.text}" for e in page.expectations]
    for challenge in page.challenges:
        lines += [f"challenge: {challenge.text}"] + _text("met", challenge.message)
    return lines + _controls(page.locked, page.hidden)


def _text(key: str, text: str) -> list[str]:
    """A text as an indented block, one line a paragraph, a blank line between them."""
    lines = [f"{key}:"]
    for k, paragraph in enumerate(text.split("\n\n")):
        lines += ([""] if k else []) + [f"  {paragraph}"]
    return lines


def _controls(locked, hidden) -> list[str]:
    return ([f"lock: {', '.join(sorted(locked))}"] if locked else []) + (
        [f"hide: {', '.join(sorted(hidden))}"] if hidden else [])
