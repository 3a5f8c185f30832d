"""The README's reliability promises name the tests that check them: those tests exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_the_reliability_section_names_exists():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    named = []
    for row in (line for line in section.splitlines() if line.startswith("| ") and "::" in line):
        module = None
        for ref in re.findall(r"`([\w.]*)::(\w+)`", row):
            module = ref[0] or module  # `::name` is in the module named before it
            named.append((module, ref[1]))
    assert len(named) >= 30
    for module, name in named:
        found = list((ROOT / "tests").rglob(module))  # the tests are filed by what they test
        assert len(found) == 1, f"README names {module}, found {len(found)} times"
        tree = ast.parse(found[0].read_text())
        tests = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert name in tests, f"README names {module}::{name}, which does not exist"
