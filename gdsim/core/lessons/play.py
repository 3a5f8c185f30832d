"""Playing a page's action with the real engine, and checking what the lesson says of it.

``play(page)`` trains what the page's action does (its settings from fresh weights, ``run N``
steps, gradient zeroing switched at a step, a compared run beside it) exactly as the window will;
``check_lesson`` plays every page and checks every ``expect:`` line against the runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..scenarios import build_trainer
from .claims import Claim, settings_regime, weight_names


@dataclass
class Snapshot:
    """What a claim may ask of the weights after a step: the weights and their evaluations."""

    weights: np.ndarray
    training: tuple  # (loss, metric) on the training rows
    validation: tuple | None  # (loss, metric) on the validation rows, if the run has them


@dataclass
class Played:
    """One run of an action: its trainer when the action ended, the Stop that ended it early (a
    divergence) and snapshots after the steps some claim asks about."""

    trainer: object
    stop: object = None
    snapshots: dict = field(default_factory=dict)


def play(page, snapshot_steps=()) -> tuple[Played, Played | None]:
    """The page's action played: (its run, the compared run or None). ``snapshot_steps``: steps after
    which to keep the weights and their evaluations (0: the initial weights)."""
    action = page.action
    runs = [page.settings]
    if action.compare is not None:
        runs.append(action.compare.settings(page.settings))
    played = [_play(settings, action, sorted(set(snapshot_steps))) for settings in runs]
    return played[0], (played[1] if len(played) > 1 else None)


def _play(settings, action, wanted) -> Played:
    trainer = build_trainer(settings)
    run = Played(trainer)
    stops = sorted({s for s in wanted if s <= action.steps} | {action.steps}
                   | ({action.zeroing[0] - 1} if action.zeroing else set()))
    for stop in stops:
        if trainer.step_count < stop:
            run.stop = trainer.advance(stop - trainer.step_count)
        if run.stop is not None:
            break
        if stop in wanted:
            run.snapshots[stop] = _snapshot(trainer)
        if action.zeroing and stop == action.zeroing[0] - 1:
            trainer.apply(trainer.settings.replace(zero_grad=action.zeroing[1]))
    return run


def _snapshot(trainer) -> Snapshot:
    validation = trainer.evaluate("val") if trainer.data.has_validation else None
    return Snapshot(trainer.params.values.copy(), trainer.evaluate("train"), validation)


# ----- checking -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    holds: bool
    found: str  # what the run showed, in words: "144", "diverged at step 512"


def snapshot_steps(claims) -> set[int]:
    return {c.step for c in claims if c.kind in ("evaluated", "weight")}


def verdict(claim: Claim, page, played: Played, compared: Played | None) -> Verdict:
    run = compared if claim.compared else played
    settings = run.trainer.settings
    if claim.kind == "regime":
        found = settings_regime(settings, run.trainer.initial_values, page.action.steps)
        return Verdict(found == claim.regime, f"regime {found}")
    divergence = run.stop.divergence if run.stop is not None else None
    if claim.kind in ("diverges", "steady"):
        return _divergence(claim, divergence)
    if claim.kind == "note":
        steps = [note.step for note in run.trainer.notes]
        return Verdict(claim.step in steps, f"notes at steps {steps}" if steps else "no note")
    if claim.kind in ("row", "below_from", "falls"):
        return _history(claim, run.trainer, divergence)
    if claim.step not in run.snapshots:
        return Verdict(False, f"diverged at step {divergence.step}, before" if divergence else "no such step")
    return _snapshot_verdict(claim, page, run)


def _divergence(claim: Claim, divergence) -> Verdict:
    found = f"diverged at step {divergence.step}" if divergence else "did not diverge"
    if claim.kind == "steady":
        return Verdict(divergence is None, found)
    return Verdict(divergence is not None and claim.step in (None, divergence.step), found)


def _history(claim: Claim, trainer, divergence) -> Verdict:
    h = trainer.history
    values = h.loss if claim.name == "loss" else h.metric_values
    if claim.kind == "falls":
        rises = np.flatnonzero(np.diff(values) >= 0)
        return Verdict(len(rises) == 0, f"rises at step {int(h.steps[rises[0] + 1])}" if len(rises) else "falls")
    if claim.kind == "below_from":
        below = values < claim.value.number
        if not below.any():
            return Verdict(False, f"never below {claim.value.text}")
        first = int(np.argmax(below))
        since = bool(below[first:].all())
        return Verdict(since and int(h.steps[first]) == claim.step,
                       f"below from step {int(h.steps[first])}" + ("" if since else ", then above again"))
    row = np.flatnonzero(h.steps == claim.step)
    if len(row) == 0:
        return Verdict(False, f"diverged at step {divergence.step}, before" if divergence else "no such step")
    actual = float(values[row[0]])
    return Verdict(claim.value.holds(actual), claim.value.shown(actual))


def _snapshot_verdict(claim: Claim, page, run: Played) -> Verdict:
    snap = run.snapshots[claim.step]
    if claim.kind == "weight":
        actual = float(snap.weights[weight_names(run.trainer)[claim.name]])
    else:
        split, quantity = claim.name.split(" ")
        loss, metric = snap.training if split == "training" else snap.validation
        actual = float(loss if quantity == "loss" else metric)
    return Verdict(claim.value.holds(actual), claim.value.shown(actual))


@dataclass(frozen=True)
class PageCheck:
    """A page played: what its action did and each expectation's verdict, in order."""

    page: object
    summary: str
    verdicts: tuple  # (Expectation, Verdict)


def check_page(page) -> PageCheck:
    if page.action is None:
        return PageCheck(page, "no action", ())
    claims = [e.claim for e in page.expectations]
    played, compared = play(page, snapshot_steps(claims))
    verdicts = tuple((e, verdict(e.claim, page, played, compared)) for e in page.expectations)
    return PageCheck(page, _summary(page, played, compared), verdicts)


def _summary(page, played: Played, compared: Played | None) -> str:
    def ended(run):
        last = run.trainer.last_loss
        return f"{run.trainer.step_count} steps, loss {'-' if last is None else f'{last:.6g}'}" + (
            f", {run.stop.message}" if run.stop is not None else "")

    text = f"{page.action.text}: {ended(played)}"
    if compared is not None:
        text += f"; compared ({page.action.compare.name}): {ended(compared)}"
    return text


def check_lesson(lesson) -> list[PageCheck]:
    """Every page played and every expectation checked, in the lesson's order."""
    return [check_page(page) for page in lesson.pages]
