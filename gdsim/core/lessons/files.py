"""The lessons gdsim ships (resources/lessons/NAME.txt), and finding a lesson by file or name."""

from __future__ import annotations

from ..errors import GdsimError, quoted

SUFFIX = ".txt"


def _folder():
    from ..data.resources import resource_path

    return resource_path("lessons")


def shipped_lessons() -> list[str]:
    """The shipped lessons' names, alphabetically."""
    return sorted(p.name[:-len(SUFFIX)] for p in _folder().glob("*" + SUFFIX))


def shipped_lesson(name: str):
    """The path of the shipped lesson ``name``."""
    if name not in shipped_lessons():
        raise GdsimError(f"no shipped lesson {quoted(name)}; choose from {', '.join(shipped_lessons())}")
    return _folder() / (name + SUFFIX)


def find_lesson(text: str):
    """A lesson file named as a person names it: a path, else a shipped lesson's bare name."""
    from pathlib import Path

    path = Path(text)
    if path.is_file():
        return path
    if path.suffix or len(path.parts) > 1:
        raise GdsimError(f"no lesson file {quoted(text)}")
    if text not in shipped_lessons():
        raise GdsimError(f"no lesson file {quoted(text)} and no shipped lesson of that name; shipped lessons: "
                         f"{', '.join(shipped_lessons())}")
    return shipped_lesson(text)
