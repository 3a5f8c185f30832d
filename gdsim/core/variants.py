"""Variants of one run: the same settings with a few changed, to train side by side.

``gdsim run micrograd --vs zero-grad=off`` trains the base settings and each variant. A variant is
written ``KEY=VALUE [KEY=VALUE ...]`` with the ``run`` options' names without their dashes; its
values are read by the rules the options use (``Settings``' numbers, the registries' choices), so
a variant means exactly what the same options would mean alone.

Every run draws its initial weights and orders its mini-batches from its seed (and its initializer
and model), so a variant that changes neither starts from the base's weights and sees its batches
in the same order: its rows equal those of the same settings run alone, step for step.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .errors import GdsimError
from .settings import NUMBERS, Number, Settings

BASE = "base"  # the name of the run the variants vary
MOST_RUNS = 8  # the base and up to seven variants: beyond that no figure tells them apart

# KEY -> the Settings field it sets (zero-grad's value is on or off).
KEYS = {"lr": "lr", "optimizer": "optimizer", "loss": "loss", "init": "init", "zero-grad": "zero_grad",
        "l1": "l1", "l2": "l2", "batch-size": "batch_size", "seed": "seed", "model": "model", "steps": "steps"}
CHOICES = ("optimizer", "loss", "init", "model")  # text, checked when the run is built
SWITCHES = {"on": True, "off": False}
JOBS = Number("jobs", whole=True, low=1, high=MOST_RUNS)  # runs trained at once (processes)


@dataclass(frozen=True)
class Variant:
    name: str  # as written, spaces tidied: "optimizer=adam lr=0.01"
    changes: dict  # Settings field -> value

    def settings(self, base: Settings) -> Settings:
        return base.replace(**self.changes)


def parse_variant(text: str, what: str = "--vs") -> Variant:
    """``"optimizer=adam lr=0.01"`` -> a Variant; any mistake is one ``GdsimError`` naming it
    (``what`` says where it was written: ``--vs``, a lesson's ``compare``)."""
    words = text.split()
    if not words:
        raise GdsimError(f"{what} is empty: write KEY=VALUE, e.g. {what} lr=0.1")
    changes = {}
    for word in words:
        key, equals, value = word.partition("=")
        where = f"{what} {text.strip()!r}"
        if not equals or not key or not value:
            raise GdsimError(f"{where}: write KEY=VALUE, not {word!r} (keys: {', '.join(KEYS)})")
        key = key.lower()
        if key not in KEYS:
            raise GdsimError(f"{where}: unknown key {key!r}; choose from {', '.join(KEYS)}")
        field = KEYS[key]
        if field in changes:
            raise GdsimError(f"{where}: {key} is given twice")
        try:
            changes[field] = setting_value(key, value)
        except GdsimError as exc:
            raise GdsimError(f"{where}: {exc}") from None
    return Variant(" ".join(f"{k.lower()}={v}" for k, _, v in (w.partition("=") for w in words)), changes)


def setting_value(key: str, text: str):
    """The value of setting ``key`` (one of ``KEYS``) written ``text``, read by the rules the run
    options use; a lesson file's settings are read here too, so they mean what the options mean."""
    field = KEYS[key]
    if field == "zero_grad":
        if text.lower() not in SWITCHES:
            raise GdsimError(f"zero-grad is on or off, not {text!r}")
        return SWITCHES[text.lower()]
    if field in CHOICES:
        return text
    number = NUMBERS[field]
    if field == "steps":  # as --steps: a run without a window needs an end
        number = dataclasses.replace(number, low=1)
    return number.parse(text)


def parse_variants(texts: list[str]) -> list[Variant]:
    """Every ``--vs``, checked together: two variants with the same name would be one run twice."""
    variants = [parse_variant(t) for t in texts]
    names = [v.name for v in variants]
    for name in names:
        if names.count(name) > 1:
            raise GdsimError(f"--vs {name!r} is given twice")
    if len(variants) + 1 > MOST_RUNS:
        raise GdsimError(f"{len(variants)} variants: --vs compares at most {MOST_RUNS - 1} with the base")
    return variants


def differences(before: Settings, after: Settings) -> str:
    """What ``after`` changes of ``before``'s live settings and loss, in words: "lr 0.9, zeroing
    off" ("" when nothing): how a branch or a pinned run is told apart."""
    from .settings import LIVE

    words = []
    for field in (*LIVE, "loss"):
        old, new = getattr(before, field), getattr(after, field)
        if old == new:
            continue
        if field == "zero_grad":
            words.append(f"zeroing {'on' if new else 'off'}")
        elif field == "optimizer":
            words.append(str(new))
        elif isinstance(new, float):
            words.append(f"{field.replace('_', ' ')} {new:g}")
        else:
            words.append(f"{field.replace('_', ' ')} {new}")
    return ", ".join(words)
