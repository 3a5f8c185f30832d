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
        if self.lr is not None:
            check_lr(self.lr)
        if self.steps is not None:
            check_int("steps", self.steps, 0)
        if self.batch_size is not None:
            check_int("batch size", self.batch_size, 1)
        if self.seed is not None:
            check_int("seed", self.seed, 0, 2**63 - 1)
        if self.until_loss is not None:
            check_finite("target loss", self.until_loss)
        if self.patience is not None:
            check_int("patience", self.patience, 1)
        for name, value in (("L1 penalty", self.l1), ("L2 penalty", self.l2)):
            check_finite(name, value)
            if value < 0:
                raise GdsimError(f"{name} must be >= 0, not {value:g}")


def check_lr(lr) -> float:
    lr = check_finite("learning rate", lr)
    if lr <= 0:
        raise GdsimError(f"learning rate must be > 0, not {lr:g}")
    if lr > MAX_LR:
        raise GdsimError(f"learning rate {lr:g} is too large (at most {MAX_LR:g})")
    return lr


def check_finite(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GdsimError(f"{name} must be a number, not {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise GdsimError(f"{name} must be a finite number, not {value}")
    return value


def check_int(name: str, value, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GdsimError(f"{name} must be a whole number, not {value!r}")
    if value < low:
        raise GdsimError(f"{name} must be >= {low}, not {value}")
    if high is not None and value > high:
        raise GdsimError(f"{name} must be <= {high}, not {value}")
    return value
