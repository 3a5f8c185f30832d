"""What a lesson says of a run, in words a teacher writes, and how each is checked.

An *expectation* (``expect:``) is a sentence about the page's action, checked by playing it with the
engine (``play.check_lesson``): "loss at step 100 is 144", "x after step 20 is 2.0", "diverges at
step 512". A *challenge* (``challenge:``) is a goal for the learner, checked against the run they
are training, after every frame: "loss below 1 within 50 steps", "regime oscillates".

A number written "is 144" holds when the run's value, rounded to as many decimals as the number is
written with, is that number: "2.0" is 1.95 to 2.05, "0.035" is 0.0345 to 0.0355, "98.1%" is
0.9805 to 0.9815. "is below 1e16" and "is above 25000" are plain comparisons.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..errors import GdsimError

REGIME_WORDS = ("converges", "too slow", "oscillates", "diverges")  # stability.REGIMES, in words
_NUMBER = r"(-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?%?)"
_VALUE = rf"is(?: (below|above))? {_NUMBER}"
_PREFIX = r"(compared )?"
_REGIME = "|".join(REGIME_WORDS)

# Every form of expectation: (kind, pattern). The groups after the first (``compared``) are the kind's.
_EXPECTATIONS = (
    ("row", rf"{_PREFIX}(\S+) at step (\d+) {_VALUE}"),
    ("evaluated", rf"{_PREFIX}(training|validation) (\S+) after step (\d+) {_VALUE}"),
    ("weight", rf"{_PREFIX}(\S+) after step (\d+) {_VALUE}"),
    ("below_from", rf"{_PREFIX}loss is below {_NUMBER} from step (\d+)"),
    ("falls", rf"{_PREFIX}loss falls at every step"),
    ("diverges", rf"{_PREFIX}diverges(?: at step (\d+))?"),
    ("steady", rf"{_PREFIX}does not diverge"),
    ("regime", rf"{_PREFIX}regime is ({_REGIME})"),
    ("note", rf"{_PREFIX}note at step (\d+)"),
)
_CHALLENGES = (
    ("below_within", rf"loss below {_NUMBER} within (\d+) steps?"),
    ("below", rf"loss below {_NUMBER}"),
    ("validation", rf"validation (\S+) (above|below) {_NUMBER}"),
    ("regime", rf"regime ({_REGIME})"),
)
EXPECTATION_FORMS = ("loss at step K is V", "METRIC at step K is V", "WEIGHT after step K is V",
                     "training|validation loss|METRIC after step K is V", "loss is below V from step K",
                     "loss falls at every step", "diverges [at step K]", "does not diverge",
                     "regime is converges|too slow|oscillates|diverges", "note at step K")
CHALLENGE_FORMS = ("loss below V within N steps", "loss below V", "validation loss|METRIC above|below V",
                   "regime converges|too slow|oscillates|diverges")


@dataclass(frozen=True)
class Value:
    """A number as written in a claim: "is 2.0", "is below 1e16", "is 98.1%"."""

    relation: str  # "is", "below" or "above"
    text: str

    @property
    def number(self) -> float:
        return float(self.text.rstrip("%")) / (100 if self.text.endswith("%") else 1)

    def holds(self, actual: float) -> bool:
        if not math.isfinite(actual):
            return False
        if self.relation == "below":
            return actual < self.number
        if self.relation == "above":
            return actual > self.number
        return round(actual * self._scale, self._decimals) == round(self.number * self._scale, self._decimals)

    def shown(self, actual: float) -> str:
        """``actual`` as the claim writes its number, so a teacher sees the two side by side."""
        if self.relation != "is" or not math.isfinite(actual) or "e" in self.text.lower():
            return f"{actual:.6g}"
        return f"{actual * self._scale:.{self._decimals}f}" + ("%" if self._scale == 100 else "")

    @property
    def _scale(self) -> int:
        return 100 if self.text.endswith("%") else 1

    @property
    def _decimals(self) -> int:
        digits = self.text.rstrip("%").lower().split("e")[0]
        return len(digits.partition(".")[2])


@dataclass(frozen=True)
class Claim:
    """One parsed expectation or challenge: its kind and the words it was parsed from."""

    kind: str
    compared: bool  # of the run an action compares with, not the page's own
    name: str | None = None  # a quantity (loss, rmse), weight or split the claim is about
    step: int | None = None
    value: Value | None = None
    regime: str | None = None


def parse_expectation(text: str) -> Claim:
    """An ``expect:`` sentence; GdsimError listing the forms if it is none of them."""
    for kind, pattern in _EXPECTATIONS:
        match = re.fullmatch(pattern, _tidy(text), re.IGNORECASE)
        if match:
            return _claim(kind, match)
    raise GdsimError(f"cannot read the expectation {text!r}; write one of: {'; '.join(EXPECTATION_FORMS)}")


def parse_challenge(text: str) -> Claim:
    for kind, pattern in _CHALLENGES:
        match = re.fullmatch(pattern, _tidy(text), re.IGNORECASE)
        if match:
            return _challenge(kind, match.groups())
    raise GdsimError(f"cannot read the challenge {text!r}; write one of: {'; '.join(CHALLENGE_FORMS)}")


def _tidy(text: str) -> str:
    return " ".join(text.split()).rstrip(".")


def _claim(kind: str, match: re.Match) -> Claim:
    compared, *g = match.groups()
    compared = bool(compared)
    if kind == "row":
        return Claim(kind, compared, g[0].lower(), int(g[1]), Value(g[2] or "is", g[3]))
    if kind == "evaluated":
        return Claim(kind, compared, f"{g[0].lower()} {g[1].lower()}", int(g[2]), Value(g[3] or "is", g[4]))
    if kind == "weight":
        return Claim(kind, compared, g[0], int(g[1]), Value(g[2] or "is", g[3]))
    if kind == "below_from":
        return Claim(kind, compared, "loss", int(g[1]), Value("below", g[0]))
    if kind in ("diverges", "note"):
        return Claim(kind, compared, step=int(g[0]) if g[0] else None)
    if kind == "regime":
        return Claim(kind, compared, regime=g[0].lower())
    return Claim(kind, compared)


def _challenge(kind: str, g: tuple) -> Claim:
    if kind == "below_within":
        return Claim(kind, False, "loss", int(g[1]), Value("below", g[0]))
    if kind == "below":
        return Claim(kind, False, "loss", value=Value("below", g[0]))
    if kind == "validation":
        return Claim(kind, False, g[0].lower(), value=Value(g[1].lower(), g[2]))
    return Claim(kind, False, regime=g[0].lower())


def weight_names(trainer) -> dict[str, int]:
    """Each weight's index by the names a claim may give it: its label in the gradient view
    (``weight[0,1]``, ``params[0] (a)``), that label without its note (``params[0]``), or the note
    (``a``)."""
    names = {}
    for k, label in enumerate(trainer.params.labels()):
        base, _, note = label.partition(" (")
        names.setdefault(label, k)
        names.setdefault(base, k)
        if note:
            names.setdefault(note.rstrip(")"), k)
    return names


# ----- challenges, against a run as it trains ------------------------------------------------------

def challenge_met(claim: Claim, trainer) -> bool:
    """Whether ``trainer``'s run so far meets the challenge: read from its history, settings and
    step count only (the weights it started from, for a regime), so the window can ask after every
    frame and a test can ask of a headless run. A goal reached once stays met: a loss below 1 at
    some step within the limit, a validation measurement past the mark at some epoch."""
    h = trainer.history
    if claim.kind in ("below_within", "below"):
        loss = h.loss
        if claim.step is not None:
            loss = loss[h.steps <= claim.step]
        return bool(np.any(loss < claim.value.number))
    if claim.kind == "validation":
        values = h.val_loss if claim.name == "loss" else h.val_metric
        return any(claim.value.holds(float(v)) for v in values)
    return trainer.step_count > 0 and trainer.divergence is None and settings_regime(
        trainer.settings, trainer.initial_values) == claim.regime


def settings_regime(settings, initial, steps: int | None = None) -> str | None:
    """The stability map's regime (``stability.REGIMES``) of a run of ``settings`` from the weights
    ``initial`` over ``steps`` steps (the map's own default if None); None where the map has none
    (not an SGD or momentum run of the parabola or the quadratic)."""
    momentum = momentum_of(settings)
    if momentum is None:
        return None
    key = (settings, np.asarray(initial, dtype=np.float64).tobytes(), steps)
    if key not in _REGIMES:
        from .. import stability

        if len(_REGIMES) > 256:
            _REGIMES.clear()
        found = stability.stability_map(settings, [settings.lr], [momentum], steps, initial=initial)
        _REGIMES[key] = found.regime_name(0, 0)
    return _REGIMES[key]


_REGIMES: dict = {}  # a challenge asks every frame of the same settings: each is mapped once


def momentum_of(settings) -> float | None:
    """The momentum of an SGD (0) or heavy-ball momentum run of a lesson the stability map draws;
    None for any other."""
    from ..choices import make_choice
    from ..engine.optimizers import OPTIMIZERS, SGD, Momentum
    from ..stability import LOSSES, SCENARIOS

    if settings.scenario not in SCENARIOS or settings.loss not in LOSSES:
        return None
    optimizer = make_choice("optimizer", OPTIMIZERS, settings.optimizer)
    if type(optimizer) is SGD:
        return 0.0
    return optimizer.momentum if type(optimizer) is Momentum else None
