"""docs/lesson-format.md's example lesson reads and is true of the engine; its lock names are the
code's."""

from __future__ import annotations

import re
from pathlib import Path

from gdsim.core.lessons import CONTROLS, check_lesson, parse_lesson

DOC = Path(__file__).resolve().parents[2] / "docs" / "lesson-format.md"


def test_the_example_lesson_reads_and_holds():
    text = DOC.read_text()
    example = re.search(r"## An example\n\n```\n(.*?)```", text, re.DOTALL).group(1)
    lesson = parse_lesson(example, "example.txt")
    assert [p.title for p in lesson.pages] == ["Too small", "Too large"]
    assert all(v.holds for check in check_lesson(lesson) for _, v in check.verdicts)


def test_the_lock_names_are_the_code_s():
    section = DOC.read_text().split("## Controls to lock or hide")[1].split("## Messages")[0]
    assert set(re.findall(r"`([a-z0-9-]+)`", section)) == set(CONTROLS)
