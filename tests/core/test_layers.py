"""Imports in gdsim.core go one way, down its layers, and never to Qt, the window or the CLI.

The layers, from the bottom: the words of errors; reading and writing any file (files.atomic,
files.npz); choices, settings and the catalog; data and what a run records; the engine; the
scenarios; what leaves the engine (snapshots, the file formats); the loss surface and lessons,
which play runs; animations, whose frames may show the surface. A module may import from its own
package and from lower layers only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import gdsim

CORE = Path(gdsim.__file__).resolve().parent / "core"
LAYERS = [{"errors"}, {"files.atomic", "files.npz"}, {"choices", "settings", "catalog"}, {"data", "record"},
          {"engine"}, {"scenarios"}, {"snapshot", "files", "variants", "timeline", "landscape", "lr_find", "stability"},
          {"surface", "lessons"}, {"animation"}]
RANK = {part: i for i, layer in enumerate(LAYERS) for part in layer}


def core_modules():
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(CORE).with_suffix("").parts
        if parts[-1] != "__init__":
            yield path, parts


def imports(path: Path, parts: tuple[str, ...]):
    """Every module ``path`` imports (inside functions too), as dotted names."""
    package = ["gdsim", "core", *parts[:-1]]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            yield module
            if not node.module:  # from . import x: x is a module of that package
                yield from (f"{module}.{alias.name}" for alias in node.names)


def layer(parts) -> tuple[str, int]:
    """(the unit a module belongs to, its layer): a module named in LAYERS, else its package."""
    unit = ".".join(parts[:2]) if ".".join(parts[:2]) in RANK else parts[0]
    return unit, RANK[unit]


def test_core_imports_only_go_down_its_layers():
    for path, parts in core_modules():
        own, rank = layer(parts)
        for name in imports(path, parts):
            assert not name.startswith(("PySide6", "pyqtgraph", "shiboken6", "gdsim.app", "gdsim.cli")), (path, name)
            if not name.startswith("gdsim.core.") or name.count(".") < 2:
                continue
            target, target_rank = layer(name.split(".")[2:])
            if target == own or (target.split(".")[0] == own and target_rank < rank):
                continue
            assert target_rank < rank, f"gdsim/core/{'/'.join(parts)}.py imports {name}, which is not below it"
