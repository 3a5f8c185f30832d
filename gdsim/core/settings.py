"""Every choice a person makes about a run, in one plain record.

``None`` means "the scenario's default"; ``Scenario.resolve`` fills those in.
The same record goes down from the app's controls and the command line's
flags to the engine, and is saved with a session.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from .errors import GdsimError

# Past this the updates of any lesson here are astronomically large; a bound keeps
# every step's arithmetic inside float64 and catches typing 1e10 for 1e-10.
MAX_LR = 1e6
MAX_CHOICE = 1000  # characters in a choice such as "mlp:32,16" or a scenario's name

# The settings a running trainer takes at its next step (Trainer.apply); a change to any other
# starts a new run.
LIVE = ("lr", "zero_grad", "optimizer", "l1", "l2", "steps", "until_loss", "patience")


@dataclass(frozen=True)
class Settings:
    scenario: str = "fruit"
    model: str | None = None
    loss: str | None = None
    init: str | None = None
    optimizer: str | None = None
    lr: float | None = None
    steps: int | None = None  # stop after this many steps; 0 = no limit
    batch_size: int | None = None  # resolved: None = the full batch
    seed: int | None = None  # None = the scenario's seed
    zero_grad: bool = True
    until_loss: float | None = None
    patience: int | None = None
    l1: float = 0.0
    l2: float = 0.0

    def replace(self, **changes) -> "Settings":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Settings":
        """Settings from a record such as ``to_dict`` gives (unchecked: call ``validate``)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise GdsimError(f"unknown settings: {', '.join(sorted(repr(k)[:40] for k in unknown))}")
        return cls(**data)

    def validate(self) -> None:
        """Check every field; raise ``GdsimError`` naming the first bad one."""
        if not isinstance(self.scenario, str) or not 0 < len(self.scenario) <= MAX_CHOICE:
            raise GdsimError(f"the scenario must be a name, not {self.scenario!r:.60}")
        for name in ("model", "loss", "init", "optimizer"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, str) and len(value) <= MAX_CHOICE):
                raise GdsimError(f"the {name} must be a choice like 'sgd' or 'uniform:-1,1', not {value!r:.60}")
        if not isinstance(self.zero_grad, bool):
            raise GdsimError(f"gradient zeroing must be on or off (true or false), not {self.zero_grad!r:.60}")
        for name, number in NUMBERS.items():
            value = getattr(self, name)
            if value is not None:
                number.check(value)


@dataclass(frozen=True)
class Number:
    """A number a setting holds, and the one place its range is checked: the window's fields,
    the command line's options and a session's values all come through ``check`` or ``parse``."""

    words: str  # how a message names it: "learning rate"
    whole: bool = False
    low: float | None = None
    above_low: bool = False  # > low (a learning rate), not >= low
    high: float | None = None

    def check(self, value, typed: str | None = None):
        """``value`` if it is in range, else a GdsimError that names it as the person wrote it
        (``typed``, for a number read from text)."""
        shown = typed if typed is not None else (f"{value:g}" if isinstance(value, float) else repr(value)[:60])
        kind = "whole number" if self.whole else "number"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (self.whole and not isinstance(value, int)):
            raise GdsimError(f"{self.words} must be a {kind}, not {value!r:.60}")
        if not self.whole:
            value = float(value)
            if not math.isfinite(value):
                raise GdsimError(f"{self.words} must be a finite number, not {_quoted_if_typed(shown, typed)}")
        if self.low is not None and (value <= self.low if self.above_low else value < self.low):
            raise GdsimError(f"{self.words} must be {'>' if self.above_low else '>='} {self.low:g}, not {shown}")
        if self.high is not None and value > self.high:
            if self.whole:
                raise GdsimError(f"{self.words} is too large: {shown} (at most {self.high:,})")
            raise GdsimError(f"{self.words} must be at most {self.high:g}, not {shown}")
        return value

    def parse(self, text: str):
        """A number typed by a person (a field, an option): checked as ``check`` does."""
        text = text.strip()
        try:
            value = int(text) if self.whole else float(text)
        except ValueError:
            kind = "whole number" if self.whole else "number"
            raise GdsimError(f"{self.words} must be a {kind}, not {text!r:.60}") from None
        return self.check(value, typed=text)


def _quoted_if_typed(shown: str, typed: str | None) -> str:
    return repr(typed) if typed is not None else shown


# Every number of a run, by field: how it is named and the range it must be in.
NUMBERS = {
    "lr": Number("learning rate", low=0, above_low=True, high=MAX_LR),
    "steps": Number("steps", whole=True, low=0),
    "batch_size": Number("batch size", whole=True, low=1),
    "seed": Number("seed", whole=True, low=0, high=2**63 - 1),
    "until_loss": Number("target loss"),
    "patience": Number("patience", whole=True, low=1),
    "l1": Number("L1 penalty", low=0),
    "l2": Number("L2 penalty", low=0),
}
