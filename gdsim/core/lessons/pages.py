"""A lesson as the app plays it: a title and pages, each page a text, the settings to load, and
what to do with them. Made only by ``reader.parse_lesson`` (which checks everything first), so a
``Lesson`` is always whole and valid. Line numbers are kept for messages, not compared."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..settings import Settings
from ..variants import KEYS, Variant
from .claims import Claim, challenge_met

VERSION = 1  # the lesson format this gdsim reads and writes: "gdsim lesson 1"

SETTING_KEYS = tuple(KEYS)  # a page's settings, named and read as `gdsim run --vs` names them
# What a lesson may lock or hide: every setting, and the window's other controls a lesson is not
# about. The app maps each name onto its widgets.
CONTROLS = SETTING_KEYS + ("scenario", "data", "speed", "until-loss", "patience")


@dataclass(frozen=True)
class Action:
    """``run N[, zeroing off at step K][, compare KEY=VALUE ...]``: train the page's settings from
    their initial weights for ``steps`` steps; ``zeroing`` = (K, on) switches gradient zeroing on
    or off from step K on; ``compare`` trains the settings so changed beside it, from the same
    weights (the window pins it)."""

    steps: int
    zeroing: tuple[int, bool] | None = None
    compare: Variant | None = None
    text: str = ""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Question:
    """A prediction asked before the action runs; ``answer`` indexes ``choices`` (None: an open
    question, nothing to mark). ``reveal`` is shown once the action has run."""

    text: str
    choices: tuple[str, ...] = ()
    answer: int | None = None
    reveal: str = ""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Expectation:
    """``expect: TEXT``: a sentence the page's action must make true (``play.check_lesson``)."""

    text: str
    claim: Claim
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Challenge:
    """``challenge: TEXT`` and its ``met: MESSAGE``: a goal checked against the learner's run."""

    text: str
    claim: Claim
    message: str
    line: int = field(default=0, compare=False)

    def met(self, trainer) -> bool:
        return challenge_met(self.claim, trainer)


@dataclass(frozen=True)
class Page:
    title: str
    text: str  # paragraphs separated by a blank line ("\n\n")
    settings: Settings  # what to load: unset fields are the scenario's defaults
    written: tuple[tuple[str, str], ...] = ()  # the settings as the file writes them (key, value)
    action: Action | None = None
    question: Question | None = None
    expectations: tuple[Expectation, ...] = ()
    challenges: tuple[Challenge, ...] = ()
    locked: frozenset = frozenset()  # this page's own; Lesson.controls adds the lesson's
    hidden: frozenset = frozenset()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Lesson:
    title: str
    pages: tuple[Page, ...]
    about: str = ""
    locked: frozenset = frozenset()  # on every page
    hidden: frozenset = frozenset()
    version: int = VERSION
    source: str = field(default="", compare=False)  # the file it was read from, as named to the reader

    def controls(self, page: Page) -> tuple[frozenset, frozenset]:
        """(locked, hidden) control names (``CONTROLS``) on ``page``: the lesson's and the page's.
        A hidden control is locked too."""
        hidden = self.hidden | page.hidden
        return self.locked | page.locked | hidden, hidden


def challenges_met(page: Page, trainer) -> list[bool]:
    """Whether each of ``page``'s challenges is met by ``trainer``'s run so far, in order."""
    return [challenge.met(trainer) for challenge in page.challenges]
