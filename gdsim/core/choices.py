"""Choices written as ``NAME`` or ``NAME:ARG,ARG`` (``uniform:-1,1``, ``huber:2``).

One small syntax serves the command line, the app's fields and saved sessions,
so a choice can be written down, shown and read back without loss.
"""

from __future__ import annotations

import math

from .errors import GdsimError


def parse_choice(text: str) -> tuple[str, tuple[float, ...]]:
    text = text.strip()
    name, _, rest = text.partition(":")
    name = name.strip().lower().replace("-", "_")
    if not name:
        raise GdsimError(f"empty choice {text!r}")
    args: list[float] = []
    if rest.strip():
        for part in rest.split(","):
            try:
                value = float(part)
            except ValueError:
                raise GdsimError(f"{text!r}: {part.strip()!r} is not a number") from None
            if not math.isfinite(value):
                raise GdsimError(f"{text!r}: {part.strip()!r} is not a finite number")
            args.append(value)
    return name, tuple(args)


def make_choice(kind: str, registry: dict, text: str):
    """Build ``registry[name](*args)``; any mistake becomes one clear ``GdsimError``."""
    name, args = parse_choice(text)
    if name not in registry:
        raise GdsimError(f"unknown {kind} {name!r}; choose from {', '.join(registry)}")
    try:
        return registry[name](*args)
    except TypeError:
        raise GdsimError(f"{kind} {name!r} does not take {len(args)} argument(s): {text!r}") from None
    except ValueError as exc:
        raise GdsimError(f"{kind} {text!r}: {exc}") from None


# ----- what the registries of losses, initializers and optimizers say about themselves ---------

def written(cls) -> str:
    """How a choice is written, arguments named: ``huber:DELTA``, ``sgd``."""
    return cls.syntax or cls.name


def listed(registry: dict) -> list[tuple[str, str, str]]:
    """(the choice, its label, its help) for each entry an app's list offers, in registry order."""
    return [(cls.offer or cls.name, cls.label, cls.help) for cls in registry.values() if cls.label]


def command_line_help(registry: dict) -> str:
    """The help of a --loss/--init/--optimizer option: every choice as it is written."""
    return ", ".join(written(cls) for cls in registry.values()) + " (NAME or NAME:ARGS)"


def markdown_table(kind: str, registry: dict) -> str:
    """The README's table of a registry (a test keeps the README's copy in sync)."""
    rows = [f"| {kind} | written | what it is |", "|---|---|---|"]
    rows += [f"| `{cls.name}` | `{written(cls)}` | {cls.help} |" for cls in registry.values()]
    return "\n".join(rows)
