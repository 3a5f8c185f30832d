"""Weights files: an ``.npz`` of arrays keyed by PyTorch ``state_dict`` names.

``numpy.savez("w.npz", **{k: v.numpy() for k, v in model.state_dict().items()})``
writes one from PyTorch; ``read_weights`` checks a file against a model's
parameters and says exactly what does not fit.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from .errors import GdsimError
from .files import atomic_writer
from .parameter import ParameterSpec


def save_weights(path, state: dict[str, np.ndarray]) -> None:
    with atomic_writer(path, "wb") as fh:
        np.savez(fh, **{name: np.asarray(value) for name, value in state.items()})


def read_weights(path, specs: list[ParameterSpec] | tuple[ParameterSpec, ...]) -> dict[str, np.ndarray]:
    """Every parameter in ``specs`` from ``path``, as float64 arrays of the right shapes."""
    path = Path(path)
    shown = str(path)
    if not path.exists():
        raise GdsimError(f"weights file {shown!r} does not exist")
    if path.is_dir():
        raise GdsimError(f"weights file {shown!r} is a folder, not a file")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
    except PermissionError:
        raise GdsimError(f"cannot read weights file {shown!r}: permission denied") from None
    except OSError as exc:
        raise GdsimError(f"cannot read weights file {shown!r}: {_reason(exc)}") from None
    if magic == b"\x93NUMPY":
        raise GdsimError(f"{shown!r} holds a single array; a weights file is an .npz of named arrays "
                         f"({', '.join(s.name for s in specs)})")
    if not zipfile.is_zipfile(path):
        raise GdsimError(f"{shown!r} is not an .npz weights file (it is not a zip archive of arrays)")
    try:
        loaded = np.load(path, allow_pickle=False)
    except PermissionError:
        raise GdsimError(f"cannot read weights file {shown!r}: permission denied") from None
    except Exception as exc:  # zipfile and numpy fail in many ways on a damaged file
        raise GdsimError(f"{shown!r} is not an .npz weights file ({_damage(exc)})") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise GdsimError(f"{shown!r} holds a single array; a weights file is an .npz of named arrays "
                         f"({', '.join(s.name for s in specs)})")
    with loaded:
        names = list(loaded.files)
        wanted = [s.name for s in specs]
        for spec in specs:
            if spec.name not in names:
                has = ", ".join(names) if names else "nothing"
                raise GdsimError(f"{shown!r} has no parameter {spec.name!r} (it has: {has})")
        extra = [n for n in names if n not in wanted]
        if extra:
            raise GdsimError(f"{shown!r} has parameter {extra[0]!r}, which this model does not have "
                             f"(its parameters: {', '.join(wanted)})")
        state = {}
        for spec in specs:
            try:
                arr = loaded[spec.name]
            except Exception as exc:  # a damaged member can fail in many ways inside zipfile/numpy
                if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
                    reason = "it holds Python objects, not numbers (gdsim never unpickles)"
                else:
                    reason = _damage(exc)
                raise GdsimError(f"cannot read parameter {spec.name!r} from {shown!r}: {reason}") from None
            if not isinstance(arr, np.ndarray):  # a member that is not a .npy array comes back as bytes
                raise GdsimError(f"parameter {spec.name!r} in {shown!r} is not a NumPy array")
            if arr.dtype.kind not in "fiu" or arr.dtype == np.bool_:
                raise GdsimError(f"parameter {spec.name!r} in {shown!r} is not real numbers (dtype {arr.dtype})")
            if tuple(arr.shape) != tuple(spec.shape):
                raise GdsimError(f"parameter {spec.name!r} has shape {_shape(arr.shape)} in {shown!r}, "
                                 f"but the model needs {_shape(spec.shape)}")
            with np.errstate(over="ignore", invalid="ignore"):  # reported just below, in words
                arr = arr.astype(np.float64)
            if not np.all(np.isfinite(arr)):
                raise GdsimError(f"parameter {spec.name!r} in {shown!r} contains NaN or infinite values")
            state[spec.name] = arr
    return state


def _shape(shape) -> str:
    shape = tuple(int(s) for s in shape)
    return "()" if not shape else "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")


def _damage(exc: BaseException) -> str:
    """What went wrong reading a damaged file, without NumPy's advice about pickles."""
    text = _reason(exc)
    if "pickle" in text:
        return "damaged, or not written by numpy.savez"
    return text


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
