"""Writing files so that a failure never destroys what was there before."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import GdsimError


def describe_os_error(exc: OSError, path) -> str:
    reason = exc.strerror or str(exc)
    return f"cannot write {str(path)!r}: {reason}"


@contextlib.contextmanager
def atomic_path(path):
    """A temporary file name beside ``path`` (same suffix), renamed over ``path`` on success.

    For writers that want a file name (Qt's image and SVG writers). After the block the
    temporary file must be non-empty. A crash, a full disk or an exception inside the block
    leaves the previous file untouched and no temporary file behind; OS errors become a
    ``GdsimError`` that names the path.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise GdsimError(f"cannot write {str(path)!r}: it is a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix or ".tmp", dir=directory)
        os.close(fd)
    except OSError as exc:
        raise GdsimError(describe_os_error(exc, path)) from None
    try:
        yield tmp
        if os.path.getsize(tmp) == 0:
            raise GdsimError(f"cannot write {str(path)!r}: nothing was written")
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, _existing_mode(path))
        os.replace(tmp, path)
    except OSError as exc:
        _remove_quietly(tmp)
        raise GdsimError(describe_os_error(exc, path)) from None
    except BaseException:
        _remove_quietly(tmp)
        raise


@contextlib.contextmanager
def atomic_writer(path, mode: str = "wb", **kwargs):
    """``atomic_path`` for writers that want an open file: flushed to disk before the rename."""
    with atomic_path(path) as tmp:
        try:
            fh = open(tmp, mode, **kwargs)
        except OSError as exc:
            raise GdsimError(describe_os_error(exc, path)) from None
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


def _existing_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove_quietly(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def check_writable(path) -> None:
    """Fail early, before a long run, if ``path`` could not be written later."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise GdsimError(f"cannot write {str(path)!r}: it is a folder")
    if not directory.is_dir():
        raise GdsimError(f"cannot write {str(path)!r}: folder {str(directory)!r} does not exist")
    if not os.access(directory, os.W_OK):
        raise GdsimError(f"cannot write {str(path)!r}: folder {str(directory)!r} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise GdsimError(f"cannot write {str(path)!r}: the file is read-only")
