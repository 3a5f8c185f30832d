"""From a ``Table`` to a ``Dataset``: chosen input and target columns, checked for the task.

``make_dataset`` picks input and target columns, checks them for the task
(regression, or binary classification with a 0/1 target), splits off a fixed
validation set and, if asked, standardises the inputs with the training rows'
mean and standard deviation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import GdsimError, quoted
from .csv_reader import Table
from .dataset import BINARY, REGRESSION, Dataset


@dataclass(frozen=True)
class Standardization:
    """How the inputs were standardised: ``(x - mean) / std``, both from the training rows.

    ``std`` is the population standard deviation (ddof=0).
    """

    columns: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def describe(self) -> str:
        parts = ", ".join(f"{name} (mean {m:.4g}, std {s:.4g})"
                          for name, m, s in zip(self.columns, self.mean, self.std))
        return f"inputs standardised with the training rows' mean and std: {parts}"

    def apply(self, x) -> np.ndarray:
        """Standardise raw inputs (rows of the input columns, in ``columns`` order)."""
        x = np.asarray(x, dtype=np.float64)
        return (x - np.asarray(self.mean)) / np.asarray(self.std)


def make_dataset(table: Table, inputs, targets, *, task=REGRESSION, standardize=False,
                 val_fraction=0.0) -> tuple[Dataset, Standardization | None]:
    """The ``Dataset`` of the chosen input and target columns of ``table``.

    ``val_fraction`` (0 to 0.5) of the rows, chosen by a fixed permutation
    (``numpy.random.default_rng(0)``, independent of any training seed), become
    the validation split; rows keep the file's order within each part. With
    ``standardize`` every input becomes ``(x - mean) / std`` with the training
    rows' mean and population std, applied to both parts; the ``Standardization``
    is returned (and kept in ``notes``), else ``None``.
    """
    if task not in (REGRESSION, BINARY):
        raise GdsimError(f"unknown task {task!r}; use {REGRESSION!r} or {BINARY!r}")
    inputs, targets = _chosen_columns(table, inputs, targets)
    fraction = check_fraction(val_fraction)
    _check_values(table, inputs, targets, task)
    train_rows, val_rows = split_rows(table.n_rows, fraction)
    x_all = table.data[:, [table.columns.index(c) for c in inputs]]
    y_all = table.data[:, [table.columns.index(c) for c in targets]]
    if task == BINARY:
        y_all = (y_all == 1).astype(np.float64)  # 0/1 exactly (no -0.0)
    x, y = np.ascontiguousarray(x_all[train_rows]), np.ascontiguousarray(y_all[train_rows])
    x_val = y_val = None
    if len(val_rows):
        x_val, y_val = np.ascontiguousarray(x_all[val_rows]), np.ascontiguousarray(y_all[val_rows])
    standardization = None
    if standardize:
        x, x_val, standardization = _standardised(inputs, x, x_val)
    dataset = Dataset(x, y, x_val, y_val, input_names=inputs, target_names=targets, task=task,
                      notes={"source": table.path, "standardization": standardization,
                             "rows": int(len(train_rows)), "val_rows": int(len(val_rows))})
    return dataset, standardization


def _chosen_columns(table: Table, inputs, targets) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names of the input and target columns, each a column of the table, none both."""
    inputs = _column_names(inputs, "input")
    targets = _column_names(targets, "target")
    for name in inputs + targets:
        if name not in table.columns:
            raise GdsimError(f"{table.path!r} has no column {quoted(name)}; its columns are {_listing(table.columns)}")
    both = [n for n in inputs if n in targets]
    if both:
        raise GdsimError(f"column {quoted(both[0])} is both an input and a target; a column can only be one")
    return inputs, targets


def _check_values(table: Table, inputs, targets, task: str) -> None:
    """Enough rows, finite numbers, 0/1 targets for a binary task, no constant column."""
    shown, data, lines, n = repr(table.path), table.data, table.lines, table.n_rows
    if n < 2:
        raise GdsimError(f"{shown} has {'only one row' if n == 1 else 'no rows'} of data; training needs at least 2")
    column = {name: data[:, table.columns.index(name)] for name in inputs + targets}
    for name, col in column.items():
        bad = np.flatnonzero(~np.isfinite(col))
        if bad.size:
            raise GdsimError(f"{shown}, line {lines[bad[0]]}, column {quoted(name)}: {col[bad[0]]!r} is not "
                             f"a finite number")
    if task == BINARY:
        if len(targets) != 1:
            raise GdsimError(f"binary classification needs exactly one target column, not "
                             f"{len(targets)} ({', '.join(quoted(t) for t in targets)})")
        y_col = column[targets[0]]
        bad = np.flatnonzero((y_col != 0) & (y_col != 1))
        if bad.size:
            i = bad[0]
            raise GdsimError(f"{shown}, line {lines[i]}, column {quoted(targets[0])}: {_fmt(y_col[i])} is not 0 or 1 "
                             f"(a binary target must be 0 or 1 on every row)")
    for name in inputs:
        col = column[name]
        if np.all(col == col[0]):
            raise GdsimError(f"input column {quoted(name)} has the same value ({_fmt(col[0])}) on every row; it "
                             f"cannot help the model, and standardising it would divide by zero")
    for name in targets:
        col = column[name]
        if np.all(col == col[0]):
            raise GdsimError(f"target column {quoted(name)} has the same value ({_fmt(col[0])}) on every row; "
                             f"there is nothing to learn")


def split_rows(n: int, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows), each in the file's order: ``fraction`` of the rows by a fixed
    permutation (``default_rng(0)``, whatever the training seed), at least one when asked for any."""
    n_val = 0
    if fraction > 0:
        n_val = max(1, int(math.floor(n * fraction + 0.5)))
        if n - n_val < 2:
            raise GdsimError(f"a validation fraction of {fraction:g} takes {n_val} of the {n} rows, which leaves "
                             f"{n - n_val} for training; training needs at least 2 (use more rows or a smaller "
                             f"fraction)")
    order = np.random.default_rng(0).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _standardised(inputs, x, x_val):
    """(x, x_val, Standardization): every input as (x - mean) / std, both from the training rows."""
    with np.errstate(all="ignore"):  # overflow and underflow are reported below, in words
        mean = x.mean(axis=0)
        std = x.std(axis=0)
        for j, name in enumerate(inputs):
            col = x[:, j]
            if not (np.isfinite(mean[j]) and np.isfinite(std[j])):
                raise GdsimError(f"input column {quoted(name)} holds numbers too large to standardise "
                                 f"(up to {_fmt(float(np.max(np.abs(col))))}); rescale it, or do not standardise")
            if not std[j] > 0:
                if np.all(col == col[0]):
                    raise GdsimError(f"input column {quoted(name)} has the same value ({_fmt(col[0])}) on every "
                                     f"training row; standardising it would divide by zero (use more rows, "
                                     f"or do not standardise)")
                raise GdsimError(f"input column {quoted(name)} holds values too close together to standardise "
                                 f"(their spread is below what a float64 holds); rescale it, or do not "
                                 f"standardise")
        x = (x - mean) / std
        if x_val is not None:
            x_val = (x_val - mean) / std
    if not (np.all(np.isfinite(x)) and (x_val is None or np.all(np.isfinite(x_val)))):
        raise GdsimError("the standardised inputs are not all finite numbers; rescale the inputs, or do not "
                         "standardise")
    return x, x_val, Standardization(tuple(inputs), tuple(float(m) for m in mean), tuple(float(s) for s in std))


def _column_names(names, kind: str) -> tuple[str, ...]:
    if isinstance(names, str):
        names = [names]
    result = tuple(str(n).strip() for n in names)
    if not result:
        raise GdsimError(f"choose at least one {kind} column")
    seen = set()
    for n in result:
        if n in seen:
            raise GdsimError(f"column {quoted(n)} is listed twice as {'an' if kind == 'input' else 'a'} {kind}")
        seen.add(n)
    return result


MAX_VAL_FRACTION = 0.5


def default_val_fraction(n_rows: int) -> float:
    """The share of rows kept for validation unless a person chooses: a fifth, from 10 rows up."""
    return 0.2 if n_rows >= 10 else 0.0


def check_fraction(value, typed: str | None = None) -> float:
    """A validation share, 0 to MAX_VAL_FRACTION (the command line's and the import dialog's)."""
    shown = typed if typed is not None else repr(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GdsimError(f"validation fraction must be a number, not {shown}")
    if not math.isfinite(value):
        raise GdsimError(f"validation fraction must be a finite number, not {shown}")
    if not 0.0 <= value <= MAX_VAL_FRACTION:
        raise GdsimError(f"validation fraction must be from 0 to {MAX_VAL_FRACTION}, not {typed or value}")
    return float(value)


def parse_fraction(text: str) -> float:
    """A validation share as typed: ``check_fraction``'s words, the text quoted where it is not a number."""
    try:
        value = float(text)
    except ValueError:
        raise GdsimError(f"validation fraction must be a number, not {text!r}") from None
    return check_fraction(value, typed=text if math.isfinite(value) else repr(text))


def _listing(columns, limit: int = 20) -> str:
    shown = ", ".join(quoted(c) for c in columns[:limit])
    if len(columns) > limit:
        shown += f" and {len(columns) - limit} more"
    return shown


def _fmt(value: float) -> str:
    """A number for a message: whole numbers without '.0', others as Python writes them."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
