"""Where bundled data lives, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

import gdsim

_PACKAGE = Path(gdsim.__file__).resolve().parent  # gdsim/, wherever this module sits inside it


def resource_path(name: str) -> Path:
    # An installed wheel carries resources/ inside the package; a checkout has it at the top.
    for base in (_PACKAGE / "resources", _PACKAGE.parent / "resources"):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"bundled file {name!r} is missing (looked in {_PACKAGE / 'resources'} "
                            f"and {_PACKAGE.parent / 'resources'})")
