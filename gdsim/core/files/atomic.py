"""Opening files to read, and writing files so that a failure never destroys what was there.

Reading: ``open_regular`` opens regular files only. A FIFO, a device (``/dev/zero``,
``/dev/urandom``) or a folder is refused at once: the open never blocks and nothing is read.

Writing: every writer writes a temporary file beside the file it replaces, checks it, then
renames it over the target, so a crash or a full disk leaves the previous file as it was.

- The target of a symbolic link is written (atomically, in the target's folder), and the link
  stays a link. An output that exists and is not a regular file (a FIFO, a device) is refused.
- Temporary files are named ``.gdsim-tmp-<pid>-<random><suffix>``: plainly gdsim's, and short
  whatever the target's name, so a name that fits on the disk fits its temporary too. One
  left behind by a process that was killed (``kill -9``, a power cut) is removed by the next
  write to that folder once its process is gone and it is an hour old.
- Before the rename the written file is checked: not empty, and for PNG, SVG, GIF and zip files
  (``.npz``, ``.gdsim``) complete to their last byte, because some writers (Qt's image and SVG
  writers) do not report a full disk.
- Inside ``all_or_none()`` the renames wait until every file of the block has been written and
  checked; if one fails, none is renamed (and if a rename itself fails, the message says which
  files were written).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import stat
import time
from pathlib import Path

from ..errors import GdsimError, reason

TEMP_PREFIX = ".gdsim-tmp-"
STALE_SECONDS = 3600  # a temporary file of a dead process, untouched this long, is removed
_MAX_TEMP_SUFFIX = 16

_pending: contextvars.ContextVar = contextvars.ContextVar("gdsim_pending_renames", default=None)


# ----- reading ---------------------------------------------------------------------------------

def open_regular(path, what: str):
    """``path`` opened for reading in binary mode, if it is a regular file; else a ``GdsimError``.

    ``what`` names the kind of file in messages ("weights file", "session file").
    """
    shown = repr(os.fsdecode(os.fspath(path)))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)  # O_NONBLOCK: opening a FIFO with no writer returns at once
    except FileNotFoundError:
        raise GdsimError(f"{what} {shown} does not exist") from None
    except IsADirectoryError:
        raise GdsimError(f"{what} {shown} is a folder, not a file") from None
    except PermissionError:
        raise GdsimError(f"cannot read {what} {shown}: permission denied") from None
    except (OSError, ValueError) as exc:
        raise GdsimError(f"cannot read {what} {shown}: {reason(exc)}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise GdsimError(f"{what} {shown} is a folder, not a file")
        raise GdsimError(f"cannot read {what} {shown}: it is not a regular file (a device, FIFO or socket)")
    return os.fdopen(fd, "rb")


# ----- writing ---------------------------------------------------------------------------------

def describe_os_error(exc: OSError, path) -> str:
    return f"cannot write {str(path)!r}: {reason(exc)}"


def output_target(path) -> Path:
    """The file a write to ``path`` replaces: ``path``, or the target of the link it is.

    Refused with a ``GdsimError``: a folder, an existing file that is not a regular file, a
    name the system cannot hold.
    """
    path = Path(path)
    try:
        target = Path(os.path.realpath(path)) if path.is_symlink() else path
        info = os.stat(target)
    except FileNotFoundError:
        return target
    except (OSError, ValueError) as exc:
        raise GdsimError(f"cannot write {str(path)!r}: {reason(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise GdsimError(f"cannot write {str(path)!r}: it is a folder")
    if not stat.S_ISREG(info.st_mode):
        raise GdsimError(f"cannot write {str(path)!r}: it is not a regular file (a device, FIFO or socket); "
                         f"gdsim only replaces regular files")
    return target


def check_writable(path) -> None:
    """Fail early, before a long run, if ``path`` could not be written later.

    Creates (and removes) a temporary file of the very name a write would use.
    """
    target = output_target(path)
    directory = _folder(target)
    if not directory.is_dir():
        raise GdsimError(f"cannot write {str(path)!r}: folder {str(directory)!r} does not exist")
    if target.exists() and not os.access(target, os.W_OK):
        raise GdsimError(f"cannot write {str(path)!r}: the file is read-only")
    tmp = _new_temporary(target, path)
    _remove_quietly(tmp)


@contextlib.contextmanager
def atomic_path(path):
    """A temporary file name beside ``path``'s target (same suffix), renamed over it on success.

    For writers that want a file name (Qt's image and SVG writers). After the block the file
    is checked (see the module's notes). A crash, a full disk or an exception inside the block
    leaves the previous file untouched and no temporary file behind; OS errors become a
    ``GdsimError`` that names ``path``.
    """
    target = output_target(path)
    _remove_stale_temporaries(_folder(target))
    tmp = _new_temporary(target, path)
    try:
        yield str(tmp)
        check_written(tmp, path)
        # mkstemp-style files are private (0600); give it the mode a plain open() would.
        os.chmod(tmp, _existing_mode(target))
        pending = _pending.get()
        if pending is None:
            os.replace(tmp, target)
        else:
            pending.append((tmp, target, str(path)))
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


@contextlib.contextmanager
def all_or_none():
    """Every file written inside the block is renamed into place at its end, or none is. Inside
    another such block it is part of that one: its files wait for the outer block's end."""
    if _pending.get() is not None:
        yield
        return
    pending: list = []
    token = _pending.set(pending)
    try:
        yield
    except GdsimError as exc:
        _discard(pending)
        raise GdsimError(f"{exc}; no output was written") from None
    except BaseException:
        _discard(pending)
        raise
    finally:
        _pending.reset(token)
    done: list[str] = []
    for i, (tmp, target, shown) in enumerate(pending):
        try:
            os.replace(tmp, target)
        except OSError as exc:
            _discard(pending[i:])
            written = f"written: {', '.join(repr(d) for d in done)}" if done else "no output was written"
            raise GdsimError(f"{describe_os_error(exc, shown)}; {written}") from None
        done.append(shown)


def check_written(tmp, shown) -> None:
    """The checks a written file passes before it may replace anything (see the module's notes)."""
    size = os.path.getsize(tmp)
    if size == 0:
        raise GdsimError(f"cannot write {str(shown)!r}: nothing was written")
    complete = _COMPLETE.get(Path(str(shown)).suffix.lower())
    if complete is not None:
        with open(tmp, "rb") as fh:
            head = fh.read(16)
            fh.seek(max(0, size - 256))
            tail = fh.read()
        if not complete(head, tail):
            raise GdsimError(f"cannot write {str(shown)!r}: the written file is incomplete (is the disk full?)")


_COMPLETE = {
    ".png": lambda head, tail: head.startswith(b"\x89PNG\r\n\x1a\n") and tail.endswith(b"IEND\xaeB`\x82"),
    ".svg": lambda head, tail: tail.rstrip().endswith(b"</svg>"),
    ".npz": lambda head, tail: head.startswith((b"PK\x03\x04", b"PK\x05\x06")) and b"PK\x05\x06" in tail,
    ".gdsim": lambda head, tail: head.startswith(b"PK\x03\x04") and b"PK\x05\x06" in tail,
    ".gif": lambda head, tail: head.startswith((b"GIF89a", b"GIF87a")) and tail.endswith(b";"),
}


def _folder(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def _new_temporary(target: Path, shown) -> Path:
    """A new, empty temporary file beside ``target``; see the module's notes for its name."""
    import secrets  # here: it imports hashlib and hmac, which a run that writes nothing never needs

    suffix = target.suffix if len(target.suffix) <= _MAX_TEMP_SUFFIX else ".tmp"
    for _ in range(100):
        tmp = _folder(target) / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{suffix}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        except FileExistsError:
            continue
        except FileNotFoundError:
            raise GdsimError(f"cannot write {str(shown)!r}: folder {str(_folder(target))!r} does not exist") from None
        except OSError as exc:
            raise GdsimError(describe_os_error(exc, shown)) from None
        os.close(fd)
        return tmp
    raise GdsimError(f"cannot write {str(shown)!r}: no free temporary name in {str(_folder(target))!r}")


def _remove_stale_temporaries(directory: Path) -> None:
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        if entry.name.startswith(TEMP_PREFIX) and _stale(entry, now):
            _remove_quietly(entry.path)


def _stale(entry, now: float) -> bool:
    try:
        pid = int(entry.name[len(TEMP_PREFIX):].split("-", 1)[0])
        info = entry.stat(follow_symlinks=False)
    except (ValueError, OSError):
        return False
    if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < STALE_SECONDS or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError, ValueError):
        return False  # alive (another user's), or not a process id this system has
    return False


def _discard(pending) -> None:
    for tmp, _, _ in pending:
        _remove_quietly(tmp)


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

