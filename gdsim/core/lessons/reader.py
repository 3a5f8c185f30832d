"""Reading a lesson file (docs/lesson-format.md): every line checked before anything is made, and
any mistake one ``GdsimError`` of one line naming the file and the line ("lesson.txt, line 12:
unknown setting 'lrr' (did you mean lr?)"). Settings are read by the code that reads `gdsim run`'s
options (``variants.setting_value``) and checked by building the page's trainer, as a run would."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ..errors import GdsimError, quoted
from ..settings import Number, Settings
from ..variants import CHOICES, KEYS, parse_variant, setting_value
from .claims import momentum_of, parse_challenge, parse_expectation, weight_names
from .pages import CONTROLS, SETTING_KEYS, VERSION, Action, Challenge, Expectation, Lesson, Page, Question

HEADER = "gdsim lesson"
TOP_KEYS = ("title", "about", "lock", "hide")
PAGE_KEYS = ("page", "scenario", *SETTING_KEYS, "text", "action", "question", "choice", "answer", "reveal",
             "expect", "challenge", "met", "lock", "hide")
TEXT_KEYS = ("about", "text", "question", "reveal", "met")  # may go on in indented lines
REPEATABLE = ("choice", "expect", "challenge", "met", "lock", "hide")
ACTION_STEPS = Number("the steps of an action", whole=True, low=1, high=100_000)
MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class _Entry:
    key: str
    value: str
    line: int


class _Mistake(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def load_lesson(path) -> Lesson:
    """The lesson in file ``path``; GdsimError naming the file (and the line) if it cannot be."""
    from pathlib import Path

    name = Path(path).name
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        from ..errors import reason

        raise GdsimError(f"{name}: cannot be read ({reason(exc)})") from None
    if len(data) > MAX_BYTES:
        raise GdsimError(f"{name}: a lesson file is at most {MAX_BYTES:,} bytes; this one is {len(data):,}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise GdsimError(f"{name}, line {line}: not UTF-8 text (save the lesson as UTF-8)") from None
    return parse_lesson(text, name)


def parse_lesson(text: str, name: str = "lesson") -> Lesson:
    """The lesson ``text`` writes (``name`` names it in messages)."""
    try:
        entries = _entries(text.splitlines())
        top, pages = _grouped(entries)
        return _lesson(top, pages, name, last_line=max(1, len(text.splitlines())))
    except _Mistake as exc:
        raise GdsimError(f"{name}, line {exc.line}: {exc}") from None


# ----- lines into entries -----------------------------------------------------------------------------

def _entries(lines: list[str]) -> list[_Entry]:
    entries, n, header = [], 0, False
    while n < len(lines):
        raw, number = lines[n], n + 1
        n += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if raw[0] in " \t":
            raise _Mistake(number, "an indented line belongs to a text: indent only the lines that go on "
                                   f"from {', '.join(k + ':' for k in TEXT_KEYS)}")
        if not header:
            _check_header(stripped, number)
            header = True
            continue
        key, value = _key_value(stripped, number)
        if key in TEXT_KEYS:
            block, n = _indented(lines, n)
            value = _paragraphs([value, *block])
        entries.append(_Entry(key, value, number))
    if not header:
        raise _Mistake(1, f"the file is empty: a lesson starts with '{HEADER} {VERSION}'")
    return entries


def _check_header(line: str, number: int) -> None:
    words = line.split()
    if " ".join(words[:2]).lower() != HEADER or len(words) != 3:
        raise _Mistake(number, f"a lesson file starts with '{HEADER} {VERSION}', not {quoted(line)}")
    if not words[2].isdigit():
        raise _Mistake(number, f"the lesson format is a whole number ('{HEADER} {VERSION}'), not {quoted(words[2])}")
    version = int(words[2])
    if version > VERSION:
        raise _Mistake(number, f"this lesson is written in lesson format {version}; this gdsim reads format "
                               f"{VERSION} (a newer gdsim may read it)")
    if version != VERSION:
        raise _Mistake(number, f"there is no lesson format {version}; write '{HEADER} {VERSION}'")


def _key_value(line: str, number: int) -> tuple[str, str]:
    key, colon, value = line.partition(":")
    key = key.strip().lower()
    if not colon or not key or " " in key:
        raise _Mistake(number, f"write 'name: value', not {quoted(line)}")
    if key not in TOP_KEYS + PAGE_KEYS:
        raise _Mistake(number, f"unknown setting {quoted(key)}{_did_you_mean(key, TOP_KEYS + PAGE_KEYS)}")
    return key, value.strip()


def _did_you_mean(word: str, names) -> str:
    close = difflib.get_close_matches(word, list(dict.fromkeys(names)), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else f"; choose from {', '.join(dict.fromkeys(names))}"


def _indented(lines: list[str], n: int) -> tuple[list[str], int]:
    """The indented lines (and blank lines among them) from line index ``n``; where they end."""
    block = []
    while n < len(lines) and (not lines[n].strip() or lines[n][0] in " \t"):
        block.append(lines[n].strip())
        n += 1
    return block, n


def _paragraphs(lines: list[str]) -> str:
    """Lines as paragraphs: a blank line ends one, the lines of one are joined by spaces."""
    paragraphs, current = [], []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def _grouped(entries: list[_Entry]) -> tuple[list[_Entry], list[list[_Entry]]]:
    top, pages = [], []
    for entry in entries:
        if entry.key == "page":
            pages.append([entry])
        elif not pages:
            if entry.key not in TOP_KEYS:
                raise _Mistake(entry.line, f"{entry.key!r} belongs to a page: start one with 'page: TITLE' first")
            top.append(entry)
        elif entry.key in ("title", "about"):
            raise _Mistake(entry.line, f"{entry.key!r} belongs at the top of the lesson, before the first page")
        else:
            pages[-1].append(entry)
    return top, pages


# ----- entries into a lesson ---------------------------------------------------------------------------

def _lesson(top: list[_Entry], pages: list[list[_Entry]], name: str, last_line: int) -> Lesson:
    once = _once(top)
    if "title" not in once or not once["title"].value:
        line = pages[0][0].line if pages else last_line
        raise _Mistake(once["title"].line if "title" in once else line,
                       "the lesson has no title: write 'title: ...' before the first page")
    if not pages:
        raise _Mistake(last_line, "the lesson has no pages: start one with 'page: TITLE'")
    built, scenario = [], None
    for entries in pages:
        page = _page(entries, scenario)
        scenario = page.settings.scenario
        built.append(page)
    locked, hidden = _controls(top)
    about = once["about"].value if "about" in once else ""
    return Lesson(once["title"].value, tuple(built), about, locked, hidden, VERSION, name)


def _once(entries: list[_Entry]) -> dict[str, _Entry]:
    """The entries that may be given once, by key; a second one is a mistake."""
    seen = {}
    for entry in entries:
        if entry.key in REPEATABLE:
            continue
        if entry.key in seen:
            raise _Mistake(entry.line, f"{entry.key!r} is given twice (first at line {seen[entry.key].line})")
        seen[entry.key] = entry
    return seen


def _controls(entries: list[_Entry]) -> tuple[frozenset, frozenset]:
    found = {"lock": set(), "hide": set()}
    for entry in entries:
        if entry.key in found:
            for name in (part.strip().lower() for part in entry.value.split(",")):
                if name not in CONTROLS:
                    raise _Mistake(entry.line, f"unknown control {quoted(name)}{_did_you_mean(name, CONTROLS)}")
                found[entry.key].add(name)
    return frozenset(found["lock"]), frozenset(found["hide"])


def _page(entries: list[_Entry], previous_scenario: str | None) -> Page:
    head, once = entries[0], _once(entries)
    if not head.value:
        raise _Mistake(head.line, "a page needs a title: 'page: TITLE'")
    where = f"page {quoted(head.value)}"
    settings, written, trainer = _settings(entries, once, previous_scenario, where)
    if "text" not in once or not once["text"].value:
        raise _Mistake(head.line, f"{where} has no text: write 'text:' and the page's explanation")
    action = _action(once["action"], settings) if "action" in once else None
    locked, hidden = _controls(entries)
    return Page(head.value, once["text"].value, settings, written, action, _question(entries, once, action),
                tuple(_expectations(entries, action, trainer)),
                tuple(_challenges(entries, trainer)), locked, hidden, head.line)


def _settings(entries, once, previous_scenario, where):
    """The page's Settings, each value read and checked at its own line; then the trainer they build."""
    from ..scenarios import build_trainer, get_scenario

    scenario_entry = once.get("scenario")
    scenario = scenario_entry.value if scenario_entry else previous_scenario
    line = scenario_entry.line if scenario_entry else entries[0].line
    if not scenario:
        raise _Mistake(line, f"{where} names no scenario: write 'scenario: NAME' (see gdsim list)")
    try:
        found = get_scenario(scenario)
    except GdsimError as exc:
        raise _Mistake(line, str(exc)) from None
    changes, written = {}, []
    for entry in entries:
        if entry.key in SETTING_KEYS:
            try:
                changes[KEYS[entry.key]] = setting_value(entry.key, entry.value)
            except GdsimError as exc:
                raise _Mistake(entry.line, f"{entry.key}: {exc}") from None
            written.append((entry.key, entry.value))
            _check_choice(found, entry, changes)
    settings = Settings(scenario=found.name, **changes)
    try:
        trainer = build_trainer(settings)
    except GdsimError as exc:  # settings that are each right and wrong together (a loss the model cannot fit)
        raise _Mistake(entries[0].line, f"{where}: {exc}") from None
    return settings, tuple(written), trainer


def _check_choice(scenario, entry: _Entry, changes: dict) -> None:
    """A choice (model, loss, init, optimizer) checked at its line, by the code a run builds it with."""
    from ..choices import make_choice
    from ..engine.registries import REGISTRIES

    field = KEYS[entry.key]
    if field not in CHOICES:
        return
    try:
        if field == "model":
            scenario.model_choice(entry.value)
        elif field == "init":
            scenario.initializer(entry.value)
        else:
            choice = make_choice(field, REGISTRIES[field], entry.value)
            if field == "loss":
                scenario.data_for_loss(choice.target_kind)
    except GdsimError as exc:
        raise _Mistake(entry.line, str(exc)) from None


def _action(entry: _Entry, settings: Settings) -> Action:
    clauses = [c.strip() for c in entry.value.split(",")]
    run = re.fullmatch(r"run (\S+)(?: steps?)?", clauses[0], re.IGNORECASE)
    if not run:
        raise _Mistake(entry.line, f"an action starts with 'run N' (N steps), not {quoted(clauses[0])}")
    try:
        steps = ACTION_STEPS.parse(run.group(1))
    except GdsimError as exc:
        raise _Mistake(entry.line, str(exc)) from None
    zeroing, compare = None, None
    for clause in clauses[1:]:
        switch = re.fullmatch(r"zeroing (on|off) at step (\d+)", clause, re.IGNORECASE)
        if switch and zeroing is None:
            zeroing = (int(switch.group(2)), switch.group(1).lower() == "on")
            if not 1 <= zeroing[0] <= steps:
                raise _Mistake(entry.line, f"zeroing is switched at step {zeroing[0]}, not within the "
                                           f"action's {steps} steps")
        elif clause.lower().startswith("compare ") and compare is None:
            compare = _variant(entry, clause[len("compare "):], settings)
        else:
            raise _Mistake(entry.line, f"cannot read {quoted(clause)} in the action; after 'run N' write "
                                       "'zeroing on|off at step K' and/or 'compare KEY=VALUE ...', once each")
    return Action(steps, zeroing, compare, ", ".join(clauses), entry.line)


def _variant(entry: _Entry, text: str, settings: Settings):
    from ..scenarios import build_trainer

    try:
        variant = parse_variant(text, what="compare")
        build_trainer(variant.settings(settings))
    except GdsimError as exc:
        raise _Mistake(entry.line, str(exc)) from None
    return variant


def _question(entries: list[_Entry], once: dict, action: Action | None) -> Question | None:
    choices = [e for e in entries if e.key == "choice"]
    if "question" not in once:
        stray = choices[0] if choices else once.get("answer") or once.get("reveal")
        if stray is not None:
            raise _Mistake(stray.line, f"{stray.key!r} goes with a question: write 'question: ...' first")
        return None
    question = once["question"]
    if action is None:
        raise _Mistake(question.line, "a question is answered by running the page's action: "
                                      "give the page an 'action: run N'")
    if len(choices) == 1:
        raise _Mistake(choices[0].line, "a question offers two choices or more (or none, for an open question)")
    answer = _answer(once.get("answer"), choices, question)
    reveal = once["reveal"].value if "reveal" in once else ""
    return Question(question.value, tuple(c.value for c in choices), answer, reveal, question.line)


def _answer(entry: _Entry | None, choices: list[_Entry], question: _Entry) -> int | None:
    if entry is None:
        if choices:
            raise _Mistake(question.line, f"the question has {len(choices)} choices and no answer: "
                                          "write 'answer: N' (N the right choice's number, from 1)")
        return None
    if not choices:
        raise _Mistake(entry.line, "an answer names one of the question's choices: write 'choice: ...' lines")
    if not entry.value.isdigit() or not 1 <= int(entry.value) <= len(choices):
        raise _Mistake(entry.line, f"the answer is the right choice's number, 1 to {len(choices)}, "
                                   f"not {quoted(entry.value)}")
    return int(entry.value) - 1


def _expectations(entries: list[_Entry], action: Action | None, trainer):
    from ..scenarios import build_trainer

    for entry in (e for e in entries if e.key == "expect"):
        if action is None:
            raise _Mistake(entry.line, "an expectation is checked by playing the page's action: "
                                       "give the page an 'action: run N'")
        try:
            claim = parse_expectation(entry.value)
            if claim.compared and action.compare is None:
                raise GdsimError("'compared' needs an action that compares: 'action: run N, compare KEY=VALUE'")
            run = build_trainer(action.compare.settings(trainer.settings)) if claim.compared else trainer
            _check_claim(claim, run, action.steps)
        except GdsimError as exc:
            raise _Mistake(entry.line, str(exc)) from None
        yield Expectation(entry.value, claim, entry.line)


def _check_claim(claim, trainer, steps: int) -> None:
    """A claim the run can answer: a quantity it records, a weight it has, a step it reaches."""
    if claim.step is not None and claim.step > steps:
        raise GdsimError(f"step {claim.step} is past the action's {steps} steps")
    if claim.kind == "row":
        _quantity(claim.name, trainer, "at each step", zero_ok=False, step=claim.step)
    elif claim.kind == "evaluated":
        split, quantity = claim.name.split(" ")
        if split == "validation" and not trainer.data.has_validation:
            raise GdsimError(f"scenario {trainer.settings.scenario!r} has no validation images or rows")
        _quantity(quantity, trainer, "to evaluate")
    elif claim.kind == "weight" and claim.name not in weight_names(trainer):
        raise GdsimError(f"the model has no weight {quoted(claim.name)}{_did_you_mean(claim.name, weight_names(trainer))}")
    elif claim.kind == "regime" and momentum_of(trainer.settings) is None:
        raise GdsimError("a regime is the stability map's: an SGD or momentum run of the parabola or quadratic")


def _quantity(name: str, trainer, what: str, zero_ok: bool = True, step: int | None = 1) -> None:
    names = ["loss"] + ([trainer.metric] if trainer.metric else [])
    if name not in names:
        raise GdsimError(f"the run has no {quoted(name)} {what}; choose from {', '.join(names)}")
    if step == 0 and not zero_ok:
        raise GdsimError("step 0 has no loss yet: a step's loss is the one before its update, from step 1")


def _challenges(entries: list[_Entry], trainer):
    pending = None
    for entry in entries:
        if entry.key == "challenge":
            if pending is not None:
                raise _Mistake(pending.line, "a challenge needs 'met: MESSAGE' (shown when it is met) after it")
            pending = entry
        elif entry.key == "met":
            if pending is None:
                raise _Mistake(entry.line, "'met' is the message of a challenge: write 'challenge: ...' first")
            yield _challenge(pending, entry, trainer)
            pending = None
    if pending is not None:
        raise _Mistake(pending.line, "a challenge needs 'met: MESSAGE' (shown when it is met) after it")


def _challenge(entry: _Entry, met: _Entry, trainer) -> Challenge:
    try:
        claim = parse_challenge(entry.value)
        if claim.kind == "validation":
            if not trainer.data.has_validation:
                raise GdsimError(f"scenario {trainer.settings.scenario!r} has no validation images or rows")
            _quantity(claim.name, trainer, "to validate")
        if claim.kind == "regime" and momentum_of(trainer.settings) is None:
            raise GdsimError("a regime is the stability map's: an SGD or momentum run of the parabola or "
                             "quadratic")
    except GdsimError as exc:
        raise _Mistake(entry.line, str(exc)) from None
    if not met.value:
        raise _Mistake(met.line, "'met' needs the message to show when the challenge is met")
    return Challenge(entry.value, claim, met.value, entry.line)

