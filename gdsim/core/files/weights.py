"""Weights files: an ``.npz`` of arrays keyed by PyTorch ``state_dict`` names.

``numpy.savez("w.npz", **{k: v.numpy() for k, v in model.state_dict().items()})``
writes one from PyTorch; ``read_weights`` checks a file against a model's
parameters and says exactly what does not fit. The model's shapes are known
before the file is opened, so no array bigger than a parameter is ever read.
"""

from __future__ import annotations

import numpy as np

from ..engine.parameter import ParameterSpec
from ..errors import GdsimError
from .atomic import atomic_writer, open_regular
from .npz import MAX_HEADER_BYTES, ArchiveError, ZipReader

# The widest numbers a weights file may hold (long double); each is converted to float64.
_MAX_ITEMSIZE = 16


def save_weights(path, state: dict[str, np.ndarray]) -> None:
    with atomic_writer(path, "wb") as fh:
        np.savez(fh, **{name: np.asarray(value) for name, value in state.items()})


def read_weights(path, specs: list[ParameterSpec] | tuple[ParameterSpec, ...]) -> dict[str, np.ndarray]:
    """Every parameter in ``specs`` from ``path``, as float64 arrays of the right shapes."""
    shown = str(path)
    wanted = [s.name for s in specs]
    with open_regular(path, "weights file") as fh:
        if fh.read(6) == b"\x93NUMPY":
            raise GdsimError(f"{shown!r} holds a single array; a weights file is an .npz of named arrays "
                             f"({', '.join(wanted)})")
        try:
            archive = ZipReader(fh, "a zip archive of arrays")
        except ArchiveError as exc:
            raise GdsimError(f"{shown!r} is not an .npz weights file ({exc})") from None
        # numpy.savez names each member NAME.npy; numpy.load lists it as NAME.
        members = {(m[:-4] if m.endswith(".npy") else m): m for m in archive.names}
        for spec in specs:
            if spec.name not in members:
                has = ", ".join(members) if members else "nothing"
                raise GdsimError(f"{shown!r} has no parameter {spec.name!r} (it has: {has})")
        extra = [n for n in members if n not in wanted]
        if extra:
            raise GdsimError(f"{shown!r} has parameter {extra[0]!r}, which this model does not have "
                             f"(its parameters: {', '.join(wanted)})")
        return {spec.name: _parameter(archive, members[spec.name], spec, shown) for spec in specs}


def _parameter(archive: ZipReader, member: str, spec: ParameterSpec, shown: str) -> np.ndarray:
    def check(dtype, shape):
        if dtype.hasobject:
            raise ArchiveError("it holds Python objects, not numbers (gdsim never unpickles)")
        if dtype.kind not in "fiu":
            raise GdsimError(f"parameter {spec.name!r} in {shown!r} is not real numbers (dtype {dtype})")
        if tuple(shape) != tuple(spec.shape):
            raise GdsimError(f"parameter {spec.name!r} has shape {_shape(shape)} in {shown!r}, "
                             f"but the model needs {_shape(spec.shape)}")

    limit = MAX_HEADER_BYTES + 12 + _MAX_ITEMSIZE * spec.size
    try:
        arr = archive.read_array(member, limit, check)
    except ArchiveError as exc:
        raise GdsimError(f"cannot read parameter {spec.name!r} from {shown!r}: {exc}") from None
    with np.errstate(over="ignore", invalid="ignore"):  # reported just below, in words
        arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise GdsimError(f"parameter {spec.name!r} in {shown!r} contains NaN or infinite values")
    return arr


def _shape(shape) -> str:
    shape = tuple(int(s) for s in shape)
    return "()" if not shape else "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")
