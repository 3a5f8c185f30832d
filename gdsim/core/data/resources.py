"""Where bundled data lives, in a source checkout and in an installed wheel."""

from __future__ import annotations

import gdsim


def resource_path(name: str):
    """The ``pathlib.Path`` of a bundled file (pathlib is imported here: only the lessons with
    bundled data need it, and a headless run of another starts without it)."""
    from pathlib import Path

    package = Path(gdsim.__file__).resolve().parent  # gdsim/, wherever this module sits inside it
    # An installed wheel carries resources/ inside the package; a checkout has it at the top.
    for base in (package / "resources", package.parent / "resources"):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"bundled file {name!r} is missing (looked in {package / 'resources'} "
                            f"and {package.parent / 'resources'})")
