"""Training data, a validation split, and the order in which batches are drawn."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# What a dataset's targets are for; a loss says which kind it takes.
REGRESSION = "regression"  # numbers to predict
BINARY = "binary"  # 0/1 targets
MULTICLASS = "multiclass"  # class indices (cross-entropy's targets)
OBJECTIVE = "objective"  # no targets: the model's output is what is minimised
TASKS = (REGRESSION, BINARY, MULTICLASS, OBJECTIVE)
TASK_NAMES = {REGRESSION: "regression", BINARY: "binary classification", MULTICLASS: "multi-class classification",
              OBJECTIVE: "an objective minimised as it is"}  # what a person reads
# More classes than this is almost always a column of names or IDs chosen as the target by mistake.
MAX_CLASSES = 100


@dataclass
class Dataset:
    """Inputs and targets, already in the shapes the model and loss expect.

    ``task`` is ``"regression"``, ``"binary"`` (targets 0/1), ``"multiclass"`` (targets are class
    indices 0 to k-1, as floats in one column like binary targets; ``notes["class_names"]`` names
    the k classes, class i first-to-last in the sorted order of their labels) or ``"objective"``
    (no targets: the model's output is minimised as it is).
    """

    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    input_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()
    task: str = REGRESSION
    notes: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}")
        if (self.x_val is None) != (self.y_val is None):
            raise ValueError("a validation split needs both inputs and targets")
        if self.task == MULTICLASS:
            names = tuple(str(n) for n in self.notes.get("class_names", ()))
            if not 2 <= len(names) <= MAX_CLASSES or len(set(names)) != len(names):
                raise ValueError(f"a multi-class dataset needs 2 to {MAX_CLASSES} different class names")
            self.notes["class_names"] = names  # a tuple, whatever a session's JSON made it

    @property
    def class_names(self) -> tuple[str, ...]:
        """The classes in the order of their indices: a multi-class task's k names, a binary task's
        (negative, positive); () for tasks without classes."""
        if self.task == MULTICLASS:
            return self.notes["class_names"]
        if self.task == BINARY:
            return (str(self.notes.get("negative", "0")), str(self.notes.get("positive", "1")))
        return ()

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_train(self) -> int:
        return int(self.x.shape[0]) if self.x.ndim else 1

    @property
    def has_validation(self) -> bool:
        return self.x_val is not None


class BatchSampler:
    """Which rows each step trains on.

    Full batch (``batch_size`` None or >= n): every step sees every row, and
    every step ends an epoch. Mini-batches: the rows are shuffled at the start of
    every epoch from a seeded generator and cut into consecutive batches, the
    last one smaller when ``n`` is not a multiple (PyTorch's DataLoader with
    ``shuffle=True, drop_last=False``).
    """

    def __init__(self, n: int, batch_size: int | None, seed_seq):
        self.n = n
        self.full = batch_size is None or batch_size >= n
        self.batch_size = n if self.full else int(batch_size)
        self._seed_seq = seed_seq  # a SeedSequence, or its entropy ([seed, 1]): default_rng takes either
        self.reset()

    def reset(self) -> None:
        self._generator = None  # made from the seed when first wanted: see _rng
        self._order = None
        self._pos = 0
        self._undo = None

    @property
    def _rng(self):
        # A full batch never shuffles, and NumPy's random module is 15 ms of `gdsim run`'s start-up
        # on a slow machine: the generator is made (always the same one) only when it is used.
        if self._generator is None:
            self._generator = np.random.default_rng(self._seed_seq)
        return self._generator

    @property
    def batches_per_epoch(self) -> int:
        return 1 if self.full else -(-self.n // self.batch_size)

    def next(self):
        """Return ``(indices, ends_epoch)``; indices is None for the full batch."""
        if self.full:
            return None, True
        if self._order is None or self._pos >= self.n:
            self._undo = (self._order, self._pos, self._rng.bit_generator.state)
            self._order = self._rng.permutation(self.n)
            self._pos = 0
        else:
            self._undo = (self._order, self._pos, None)
        start = self._pos
        self._pos = min(start + self.batch_size, self.n)
        return self._order[start:self._pos], self._pos >= self.n

    def undo(self) -> None:
        """Take back the last ``next()``: the step that drew that batch was not taken."""
        if self._undo is None:
            return
        self._order, self._pos, rng_state = self._undo
        if rng_state is not None:
            self._rng.bit_generator.state = rng_state
        self._undo = None

    # The sampler's position is part of a run's state (sessions save it).
    def get_state(self) -> dict:
        return {
            "rng": self._rng.bit_generator.state,
            "order": None if self._order is None else self._order.copy(),
            "pos": self._pos,
        }

    def set_state(self, state: dict) -> None:
        """Restore ``get_state``'s output; raises ValueError, changing nothing, if it cannot be this
        sampler's (a position past the rows, an order that is not a permutation of them, a random
        state the generator refuses)."""
        order, pos = state["order"], state["pos"]
        if isinstance(pos, bool) or not isinstance(pos, (int, np.integer)) or not 0 <= pos <= self.n:
            raise ValueError(f"the batch position {pos!r} is not between 0 and {self.n}")
        if order is not None:
            order = np.asarray(order)
            if self.full or order.shape != (self.n,) or not np.array_equal(np.sort(order), np.arange(self.n)):
                raise ValueError("the batch order is not a permutation of the training rows")
        rng = np.random.default_rng(self._seed_seq)
        try:
            rng.bit_generator.state = state["rng"]
        except Exception:  # TypeError, ValueError, OverflowError, KeyError: numpy checks it its own ways
            raise ValueError("the batch order's random state is damaged") from None
        self._generator = rng
        self._order = None if order is None else order.astype(np.intp)
        self._pos = int(pos)
