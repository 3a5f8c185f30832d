"""The README's tables of losses, initializers and optimizers are the registries' own."""

from __future__ import annotations

from pathlib import Path

from gdsim.core.choices import markdown_table
from gdsim.core.engine.registries import REGISTRIES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_tables_are_the_registries():
    text = README.read_text()
    for kind, registry in REGISTRIES.items():
        assert markdown_table(kind, registry) in text, f"README's {kind} table is out of step: regenerate it"
