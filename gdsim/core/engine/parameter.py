"""Named parameters whose values and gradients live in two flat buffers.

Every parameter is a view into one contiguous vector of values and one of
gradients. Models read and write their own shaped views; the trainer and the
optimizers work on the whole vectors at once, so zeroing, an update, a norm or
a finiteness check is a single NumPy call however many tensors a model has.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ParameterSpec:
    """What a model asks for: a name (PyTorch ``state_dict`` style) and a shape.

    ``role`` is ``"weight"`` or ``"bias"``; ``fan_in`` and ``fan_out`` are what
    Xavier and He initializers scale by.
    """

    name: str
    shape: tuple[int, ...]
    role: str = "weight"
    fan_in: int = 1
    fan_out: int = 1
    element_names: tuple[str, ...] = ()  # what each element means, e.g. ("a", "b", "c")

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


class Parameter:
    """One named tensor: ``value`` and ``grad`` are views into the flat buffers.

    Assigning to them (``p.grad += g``, ``p.value = x``) writes into the
    buffers; the views themselves are never replaced.
    """

    __slots__ = ("spec", "_value", "_grad", "offset")

    def __init__(self, spec: ParameterSpec, value: np.ndarray, grad: np.ndarray, offset: int):
        self.spec = spec
        self._value = value
        self._grad = grad
        self.offset = offset

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def shape(self) -> tuple[int, ...]:
        return self.spec.shape

    @property
    def size(self) -> int:
        return self.spec.size

    @property
    def value(self) -> np.ndarray:
        return self._value

    @value.setter
    def value(self, new) -> None:
        if new is not self._value:  # ``p.value -= x`` has already written in place
            self._value[...] = new

    @property
    def grad(self) -> np.ndarray:
        return self._grad

    @grad.setter
    def grad(self, new) -> None:
        if new is not self._grad:
            self._grad[...] = new

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.shape})"


class ParameterSet:
    """All parameters of a model, backed by the flat ``values`` and ``grads``."""

    def __init__(self, specs: list[ParameterSpec] | tuple[ParameterSpec, ...], dtype=np.float64):
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names in {names}")
        self.specs = tuple(specs)
        self.dtype = np.dtype(dtype)
        total = sum(s.size for s in specs)
        self.values = np.zeros(total, dtype=self.dtype)
        self.grads = np.zeros(total, dtype=self.dtype)
        self._params: dict[str, Parameter] = {}
        offset = 0
        for spec in specs:
            end = offset + spec.size
            value = self.values[offset:end].reshape(spec.shape)
            grad = self.grads[offset:end].reshape(spec.shape)
            self._params[spec.name] = Parameter(spec, value, grad, offset)
            offset = end
        # Start offsets of every tensor, for per-tensor reductions in one call.
        self.offsets = np.array([p.offset for p in self._params.values()], dtype=np.intp)
        self._squares = np.empty(total, dtype=self.dtype)  # scratch for tensor_sq_norms
        self._all_single = total == len(specs)  # every tensor one number (the parabola, the chain rule)

    def __iter__(self):
        return iter(self._params.values())

    def __len__(self) -> int:
        return len(self._params)

    def __getitem__(self, name: str) -> Parameter:
        return self._params[name]

    def __contains__(self, name: str) -> bool:
        return name in self._params

    @property
    def names(self) -> list[str]:
        return list(self._params)

    @property
    def size(self) -> int:
        return self.values.size

    def zero_grad(self) -> None:
        self.grads.fill(0.0)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every value, keyed by name (safe to keep while training goes on)."""
        return {p.name: p.value.copy() for p in self}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Replace every value; the caller has checked names and shapes."""
        for p in self:
            p.value[...] = state[p.name]

    def tensor_sq_norms(self, flat: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Squared 2-norm of each tensor's slice of a flat vector (values or grads), written into
        ``out`` (one number per tensor) if given: the trainer calls this every step."""
        if out is None:
            out = np.empty(len(self), dtype=self.dtype)
        if flat.size == 0:
            out.fill(0.0)
        elif self._all_single:  # a slice of one number sums to itself: reduceat would only copy
            np.multiply(flat, flat, out=out)
        else:
            np.multiply(flat, flat, out=self._squares)
            np.add.reduceat(self._squares, self.offsets, out=out)
        return out

    def sums_per_tensor(self, rows: np.ndarray) -> np.ndarray:
        """Each row's sum over each tensor's slice: ``rows`` is (n, size), the result (n, tensors).
        The trainer sums a block of steps' squared gradients at once, not a step at a time."""
        if rows.shape[1] == 0:
            return np.zeros((rows.shape[0], len(self)), dtype=rows.dtype)
        if self._all_single:
            return rows
        return np.add.reduceat(rows, self.offsets, axis=1)

    def labels(self) -> list[str]:
        """One label per scalar weight, e.g. ``weight[0,2]``, in buffer order."""
        out = []
        for p in self:
            if p.shape == ():
                out.append(p.name)
                continue
            extra = p.spec.element_names
            for k, idx in enumerate(np.ndindex(*p.shape)):
                label = f"{p.name}[{','.join(str(i) for i in idx)}]"
                out.append(f"{label} ({extra[k]})" if k < len(extra) else label)
        return out
