"""Reading zip archives and the ``.npy`` arrays in them within bounds set before anything is read.

``zipfile`` and ``numpy.load`` trust a file: the sizes its directory declares, the shape an
array's header claims. A file of a few kilobytes can then expand to gigabytes, or make NumPy
allocate them, before any check of ours runs. Here the archive's directory is measured before
``zipfile`` parses it, only the members asked for are read, each member's declared size is
checked against what the caller expects before a byte is decompressed, an array's header is
checked (dtype and shape, by the caller) before its numbers are read, and every read stops at
the declared size. Sessions and weights files both read through this module.

Problems raise ``ArchiveError`` with a reason in plain words (never NumPy's advice about
pickles, never a parser's internals); callers add which file it was.
"""

from __future__ import annotations

import ast
import math
import os
import struct
import zipfile

import numpy as np

from ..errors import reason

MAX_DIRECTORY_BYTES = 1 << 20  # the archive's table of contents (a session's has two entries)
MAX_MEMBERS = 4096
MAX_HEADER_BYTES = 4096  # an .npy header (NumPy writes 128 bytes for the arrays here)
_CHUNK = 1 << 20

_LOCAL_HEADER = b"PK\x03\x04"
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_NPY_MAGIC = b"\x93NUMPY"


class ArchiveError(ValueError):
    """What is wrong with an archive or a member, for a person (callers add the file's name)."""


def megabytes(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n:,} bytes"


class ZipReader:
    """The members of a zip archive in an open binary file, read within limits."""

    def __init__(self, fh, kind: str = "a zip archive"):
        """``kind`` names what the file should be, for the message if it is no zip archive at all."""
        self._fh = fh
        _check_end_record(fh, kind)
        try:
            self._zip = zipfile.ZipFile(fh)
            self._infos = {info.filename: info for info in self._zip.infolist()}
        except Exception as exc:  # zipfile fails in many ways on a damaged archive
            raise ArchiveError(reason(exc)) from None

    @property
    def names(self) -> list[str]:
        return list(self._infos)

    def size(self, name: str) -> int:
        """The uncompressed size the directory declares (what a read will stop at)."""
        return self._infos[name].file_size

    def read_bytes(self, name: str, limit: int) -> bytes:
        """The whole member, refused without reading if it declares more than ``limit`` bytes."""
        self._check_size(name, limit)
        with self._open(name) as stream:
            data = _read_exact(stream, self.size(name), name)
            _expect_end(stream, name)
        return data

    def read_array(self, name: str, limit: int, check) -> np.ndarray:
        """An ``.npy`` member as an array. ``check(dtype, shape)`` sees the header first and raises
        (``ArchiveError`` or ``GdsimError``) if the array is not what the caller expects; only then
        are its numbers read. ``limit`` bounds the member's declared size."""
        self._check_size(name, limit)
        with self._open(name) as stream:
            dtype, shape, fortran, header_size = _npy_header(stream, name)
            check(dtype, shape)
            nbytes = math.prod(shape) * dtype.itemsize
            if header_size + nbytes != self.size(name):
                raise ArchiveError(f"{name} is damaged: its header does not match its size")
            data = _read_exact(stream, nbytes, name)
            _expect_end(stream, name)
        return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")

    def _check_size(self, name: str, limit: int) -> None:
        size = self.size(name)
        if size > limit:
            raise ArchiveError(f"{name} would expand to {megabytes(size)}, and at most {megabytes(limit)} "
                               f"is expected")

    def _open(self, name: str):
        try:
            return _Guarded(self._zip.open(name), name)
        except Exception as exc:
            raise ArchiveError(f"{name} cannot be read ({reason(exc)})") from None


class _Guarded:
    """A member's stream whose failures (bad CRC, damaged compressed data) become ArchiveError."""

    def __init__(self, stream, name: str):
        self._stream, self._name = stream, name

    def read(self, n: int) -> bytes:
        try:
            return self._stream.read(n)
        except Exception as exc:
            raise ArchiveError(f"{self._name} is damaged ({reason(exc)})") from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self._stream.close()
        except Exception:
            pass


def _check_end_record(fh, kind: str) -> None:
    """The archive's end record, read before zipfile is let loose on the directory it points to."""
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(0)
    start = fh.read(4)
    if not (start.startswith(_LOCAL_HEADER) or start.startswith(_END_RECORD)):
        raise ArchiveError(f"it is not {kind}")
    tail_size = min(size, _END_RECORD_SIZE + 0xFFFF)  # the record, and a comment of up to 64 KB
    fh.seek(size - tail_size)
    tail = fh.read(tail_size)
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < _END_RECORD_SIZE:
        raise ArchiveError(f"it is not {kind}")
    entries, directory_size, directory_offset = struct.unpack("<10xHII", tail[at:at + 20])
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF or directory_offset == 0xFFFFFFFF:
        raise ArchiveError("its directory is too large (a zip64 archive)")
    if entries > MAX_MEMBERS or directory_size > MAX_DIRECTORY_BYTES:
        raise ArchiveError(f"its directory lists {entries:,} entries in {megabytes(directory_size)}, more "
                           f"than gdsim reads ({MAX_MEMBERS:,} entries, {megabytes(MAX_DIRECTORY_BYTES)})")
    fh.seek(0)


def _npy_header(stream, name: str):
    """(dtype, shape, fortran_order, header size) of an .npy stream, read within MAX_HEADER_BYTES."""
    damaged = ArchiveError(f"{name} is not a NumPy array (.npy), or its header is damaged")
    magic = _read_exact(stream, 8, name, damaged)
    if magic[:6] != _NPY_MAGIC:
        raise damaged
    major = magic[6]
    if major not in (1, 2, 3):
        raise ArchiveError(f"{name} is an .npy array of format version {major}, which gdsim does not read")
    width = 2 if major == 1 else 4
    (length,) = struct.unpack("<H" if width == 2 else "<I", _read_exact(stream, width, name, damaged))
    if length > MAX_HEADER_BYTES:
        raise damaged
    raw = _read_exact(stream, length, name, damaged)
    try:
        header = ast.literal_eval(raw.decode("utf-8" if major == 3 else "latin1"))
    except Exception:  # SyntaxError, ValueError, RecursionError, MemoryError on a crafted header
        raise damaged from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise damaged
    descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    if (not isinstance(fortran, bool) or not isinstance(shape, tuple) or len(shape) > 32
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)):
        raise damaged
    try:
        dtype = np.lib.format.descr_to_dtype(descr)  # a list describes records; callers refuse them
    except Exception:
        raise damaged from None
    return dtype, shape, fortran, 8 + width + length


def _read_exact(stream, n: int, name: str, error: ArchiveError | None = None) -> bytes:
    parts = []
    left = n
    while left > 0:
        chunk = stream.read(min(left, _CHUNK))
        if not chunk:
            raise error or ArchiveError(f"{name} is cut short")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _expect_end(stream, name: str) -> None:
    # Reading past the last byte makes zipfile check the member's CRC.
    if stream.read(1):
        raise ArchiveError(f"{name} is damaged: it holds more than its header says")

