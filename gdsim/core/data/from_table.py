"""From a ``Table`` to a ``Dataset``: chosen input and target columns, checked for the task.

``make_dataset`` picks input and target columns, works out the task when it is
not given (``infer_task``), checks the chosen columns (every problem of the file
together, in one message), leaves out the rows with missing values (or refuses
them, ``missing="error"``), numbers text class labels in sorted order, splits
off a fixed validation set and, if asked, standardises the inputs with the
training rows' mean and standard deviation. The columns nobody chose may hold
anything: they are never looked at.

``column_summary`` says what a column holds (numbers, text, missing values), for
the import dialog and for inferring the task.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..errors import GdsimError, quoted
from .csv_reader import Table, format_number, not_a_number
from .dataset import BINARY, MAX_CLASSES, MULTICLASS, REGRESSION, TASK_NAMES, Dataset

# What to do with a row that has a missing value in a chosen column.
DROP, ERROR = "drop", "error"
MISSING_RULES = (DROP, ERROR)
TASKS = (REGRESSION, BINARY, MULTICLASS)  # what a table can be trained for
MAX_PROBLEMS = 4  # problems of a file named in one message; the rest are counted
_LINES_SHOWN = 3  # lines listed for a problem that recurs down a column


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


# ----- what a column holds -------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnSummary:
    """What one column holds: how many numbers, text cells and missing values; for text, its class
    labels in class order (at most MAX_CLASSES + 1 of them are kept)."""

    name: str
    numbers: int
    text: int
    missing: int
    zero_one: bool  # it has numbers, and they are all 0 or 1
    labels: tuple[str, ...] = ()
    n_labels: int = 0

    @property
    def mostly_text(self) -> bool:
        """More text than numbers: a column of labels (a few words among numbers are typos, which
        the checks of a chosen column point at line by line)."""
        return self.text > self.numbers

    @property
    def usable_as_input(self) -> bool:
        """Numbers, give or take a few typos (which are pointed at, line by line, once it is chosen)."""
        return not self.mostly_text and self.numbers > 0

    def unused_reason(self) -> str | None:
        """Why the column cannot be an input, or None if it can."""
        if self.mostly_text:
            return f"text ({_few(self.labels, self.n_labels)})"
        if not self.numbers:
            return "no values (every cell is missing)"
        return None

    def about(self) -> str:
        """What it holds, in a few words (the import dialog's column)."""
        words = self.unused_reason() or ("0 and 1" if self.zero_one else "numbers")
        if self.text and not self.mostly_text:
            words += f", {self.text} not {'a number' if self.text == 1 else 'numbers'}"
        if self.missing and self.numbers + self.text:
            words += f", {self.missing} missing"
        return words


def column_summary(table: Table, name: str) -> ColumnSummary:
    values, text = table.column(name), table.text_rows(name)
    missing = np.isnan(values) & ~text
    numbers = values[~np.isnan(values)]
    summary = ColumnSummary(name, int(numbers.size), int(text.sum()), int(missing.sum()),
                            bool(numbers.size and np.all((numbers == 0) | (numbers == 1))))
    if summary.text:
        labels = _class_order(table, name, np.flatnonzero(~missing))[0]
        summary = replace(summary, labels=labels[:MAX_CLASSES + 1], n_labels=len(labels))
    return summary


def infer_task(summaries) -> tuple[str, str]:
    """(task, why) for targets of these summaries: text makes classes, 0/1 a binary task, other
    numbers a regression."""
    if any(s.mostly_text for s in summaries):
        return MULTICLASS, "the target holds text"
    if len(summaries) == 1 and summaries[0].zero_one:
        return BINARY, "the target holds only 0 and 1"
    return REGRESSION, "the target holds numbers"


def task_problem(task: str, targets, summaries: dict) -> str | None:
    """Why these targets cannot be trained for ``task`` (one target for classes; text only as classes)."""
    if task in (BINARY, MULTICLASS) and len(targets) != 1:
        return (f"{TASK_NAMES[task]} needs exactly one target column, not {len(targets)} "
                f"({', '.join(quoted(t) for t in targets)})")
    for name in targets:
        if summaries[name].mostly_text and task != MULTICLASS:
            return (f"target column {quoted(name)} holds text ({_few(summaries[name].labels, summaries[name].n_labels)}); "
                    f"text can only be class labels (task: multi-class classification)")
    return None


def preview(table: Table, rows: int = 5) -> dict:
    """What the import dialog shows: the names, each column's summary, the first rows as text, and
    for each column the rows where it is missing (to count the rows a choice leaves out)."""
    return {"path": table.path, "columns": list(table.columns), "n_rows": table.n_rows,
            "rows": [[table.cell(c, i) for c in table.columns] for i in range(min(rows, table.n_rows))],
            "summaries": [column_summary(table, c) for c in table.columns],
            "missing_rows": {c: np.flatnonzero(table.missing_rows(c)) for c in table.columns}}


def dropped_rows(missing_rows: dict, columns) -> tuple[int, tuple[str, ...]]:
    """(how many rows have a missing value in any of ``columns``, those of the columns that have one)."""
    rows = [missing_rows[c] for c in columns]
    union = np.unique(np.concatenate(rows)) if rows else np.empty(0)
    return int(union.size), tuple(c for c, r in zip(columns, rows) if r.size)


def dropped_text(dropped: int, total: int, columns) -> str:
    """'dropped 14 of 240 rows with missing values in x1' (the summary's, the lesson's, the dialog's)."""
    return f"dropped {dropped} of {total} rows with missing values in {_and(columns)}"


# ----- a Dataset from chosen columns ----------------------------------------------------------------

def make_dataset(table: Table, inputs, targets, *, task=None, missing=DROP, standardize=False,
                 val_fraction=0.0) -> tuple[Dataset, Standardization | None]:
    """The ``Dataset`` of the chosen input and target columns of ``table``.

    ``task`` None infers it from the target (``infer_task``). Rows with a missing value in a
    chosen column are left out (``missing="drop"``; the notes say how many) or refused
    (``"error"``). ``val_fraction`` (0 to 0.5) of the rows kept, chosen by a fixed permutation
    (``numpy.random.default_rng(0)``, independent of any training seed), become the validation
    split; rows keep the file's order within each part. With ``standardize`` every input becomes
    ``(x - mean) / std`` with the training rows' mean and population std, applied to both parts;
    the ``Standardization`` is returned (and kept in ``notes``), else ``None``. A multi-class
    target's labels are numbered in sorted order (``class_labels``).
    """
    if task is not None and task not in TASKS:
        raise GdsimError(f"unknown task {task!r}; use {', '.join(repr(t) for t in TASKS)}")
    if missing not in MISSING_RULES:
        raise GdsimError(f"unknown rule for missing values {missing!r}; use {DROP!r} or {ERROR!r}")
    inputs, targets = _chosen_columns(table, inputs, targets)
    fraction = check_fraction(val_fraction)
    summaries = {name: column_summary(table, name) for name in targets}
    task, why = (task, "chosen") if task is not None else infer_task(list(summaries.values()))
    problem = task_problem(task, targets, summaries)
    if problem:
        raise GdsimError(problem)
    keep, dropped_columns = _rows_to_use(table, inputs, targets, task, missing)
    rows = np.flatnonzero(keep)
    _check_rows(table, rows.size)
    notes = {"source": table.path, "standardization": None, "task_reason": why, "rows_read": table.n_rows,
             "dropped": int(table.n_rows - rows.size), "dropped_columns": dropped_columns}
    x_all = table.data[np.ix_(rows, [table.columns.index(c) for c in inputs])]
    y_all = _targets(table, targets, rows, task, notes)
    _check_constant(inputs, targets, x_all, y_all, task)
    parts, standardization = _split(inputs, x_all, y_all, fraction, standardize)
    notes.update(standardization=standardization, rows=int(len(parts[0])),
                 val_rows=0 if parts[2] is None else int(len(parts[2])))
    dataset = Dataset(*parts, input_names=inputs, target_names=targets, task=task, notes=notes)
    return dataset, standardization


def _targets(table: Table, targets, rows: np.ndarray, task: str, notes: dict) -> np.ndarray:
    """The targets of ``rows``, as the task takes them: class indices (the class names go into
    ``notes``), 0/1, or the numbers as they are."""
    if task == MULTICLASS:
        y, notes["class_names"] = class_labels(table, targets[0], rows)
        return y
    y = table.data[np.ix_(rows, [table.columns.index(c) for c in targets])]
    return (y == 1).astype(np.float64) if task == BINARY else y  # binary: 0/1 exactly (no -0.0)


def _split(inputs, x_all, y_all, fraction: float, standardize: bool):
    """((x, y, x_val, y_val), the Standardization or None): the fixed validation split, then the
    inputs standardised with the training rows' mean and std if asked."""
    train_rows, val_rows = split_rows(len(x_all), fraction)
    x, y = np.ascontiguousarray(x_all[train_rows]), np.ascontiguousarray(y_all[train_rows])
    x_val = y_val = None
    if len(val_rows):
        x_val, y_val = np.ascontiguousarray(x_all[val_rows]), np.ascontiguousarray(y_all[val_rows])
    standardization = None
    if standardize:
        x, x_val, standardization = _standardised(inputs, x, x_val)
    return (x, y, x_val, y_val), standardization


def class_labels(table: Table, name: str, rows: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """(each row's class index as a float column, the class names): classes numbered in the sorted
    order of their labels, numbers by value first, then text alphabetically (without regard to
    case). A number's label is ``format_number``'s: 2.0 and 2 are one class, '2'."""
    names, numbers, text_class = _class_order(table, name, rows)
    if len(names) == 1:
        raise GdsimError(f"target column {quoted(name)} has one class ({quoted(names[0])}) on every row"
                         f"{' kept' if len(rows) < table.n_rows else ''}; there is nothing to learn")
    if len(names) > MAX_CLASSES:
        raise GdsimError(f"target column {quoted(name)} has {len(names):,} different labels; gdsim trains at most "
                         f"{MAX_CLASSES} classes (is it a column of names or IDs?)")
    values = table.column(name)[rows]
    y = np.searchsorted(numbers, values).astype(np.float64)  # right for the numbers; text is set below
    cells = table.text.get(name)
    if cells is not None:
        codes = cells.codes[rows]
        y[codes >= 0] = text_class[codes[codes >= 0]]
    return y.reshape(-1, 1), names


def _class_order(table: Table, name: str, rows: np.ndarray):
    """(the labels of ``rows`` in class order, the distinct numbers among them, sorted, and for each
    text of the column its class index, -1 where none of ``rows`` holds it)."""
    values = table.column(name)[rows]
    numbers = np.unique(values[~np.isnan(values)])
    cells = table.text.get(name)
    texts = []
    if cells is not None:
        used = np.unique(cells.codes[rows])
        texts = sorted((cells.values[c] for c in used[used >= 0]), key=lambda t: (t.casefold(), t))
    names = tuple(format_number(v) for v in numbers) + tuple(texts)
    text_class = np.full(len(cells.values) if cells is not None else 0, -1, dtype=np.intp)
    if cells is not None:
        position = {t: len(numbers) + i for i, t in enumerate(texts)}
        text_class[:] = [position.get(t, -1) for t in cells.values]
    return names, numbers, text_class


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


def _rows_to_use(table: Table, inputs, targets, task: str, missing: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """(which rows to train on, the chosen columns with missing values); every problem of the chosen
    columns is gathered into one GdsimError: text or infinities where numbers are needed, targets
    that are not 0/1 or not class labels, and, with ``missing="error"``, missing values."""
    problems = []
    numeric = inputs + (() if task == MULTICLASS else targets)
    for name in numeric:
        problems += _not_numbers(table, name)
    if task == BINARY:
        problems += _not_zero_one(table, targets[0])
    if task == MULTICLASS:
        problems += _not_whole(table, targets[0])
    gaps = {name: table.missing_rows(name) for name in inputs + targets}
    if missing == ERROR:
        problems += [_cells_problem(table, name, rows, "is missing") for name, rows in gaps.items() if rows.any()]
    if problems:
        raise GdsimError(_together(repr(table.path), problems, missing == ERROR and any(g.any() for g in gaps.values())))
    keep = ~np.any(np.array(list(gaps.values())), axis=0)
    return keep, tuple(name for name, rows in gaps.items() if rows.any())


def _not_numbers(table: Table, name: str) -> list[str]:
    text = table.text_rows(name)
    column = table.column(name)
    bad = text | np.isinf(column)  # (infinities only in a table made by hand: the reader keeps them as text)
    if not bad.any():
        return []
    first = np.flatnonzero(bad)[0]
    reason = not_a_number(table.cell(name, first)) if text[first] else f"{column[first]} is not a finite number"
    return [_cells_problem(table, name, bad, reason)]


def _not_zero_one(table: Table, name: str) -> list[str]:
    y = table.column(name)
    bad = ~np.isnan(y) & (y != 0) & (y != 1)
    if not bad.any():
        return []
    first = format_number(y[np.flatnonzero(bad)[0]])
    return [_cells_problem(table, name, bad, f"{first} is not 0 or 1", "a binary target must be 0 or 1 on every row")]


def _not_whole(table: Table, name: str) -> list[str]:
    y = table.column(name)
    bad = np.isfinite(y) & (y != np.round(y))
    if not bad.any():
        return []
    first = format_number(y[np.flatnonzero(bad)[0]])
    return [_cells_problem(table, name, bad, f"{first} is not a whole number",
                           "class labels are text or whole numbers")]


def _cells_problem(table: Table, name: str, rows: np.ndarray, what: str, why: str = "") -> str:
    """'line 12, column 'x': <what> (and 3 more in this column: lines 15, 20, 31); <why>'."""
    lines = table.lines[np.flatnonzero(rows)]
    sep = " " if what.startswith("is ") else ": "
    text = f"line {lines[0]}, column {quoted(name)}{sep}{what}"
    if lines.size > 1:
        shown = ", ".join(str(n) for n in lines[1:1 + _LINES_SHOWN]) + (", ..." if lines.size > 1 + _LINES_SHOWN else "")
        text += f" (and {lines.size - 1} more in this column: line{'s' if lines.size > 2 else ''} {shown})"
    return text + (f"; {why}" if why else "")


def _together(shown: str, problems: list[str], missing_refused: bool) -> str:
    """One message for all of a file's problems: the first MAX_PROBLEMS in full, the rest counted."""
    end = (" (missing values are refused as asked; drop their rows instead, or fill them in)"
           if missing_refused else "")
    if len(problems) == 1:
        return f"{shown}, {problems[0]}{end}"
    listed = "; ".join(problems[:MAX_PROBLEMS])
    more = len(problems) - MAX_PROBLEMS
    return f"{shown} has {len(problems)} problems: {listed}" + (f"; and {more} more" if more > 0 else "") + end


def _check_rows(table: Table, n: int) -> None:
    """At least two rows to train on."""
    if n >= 2:
        return
    shown = repr(table.path)
    if n < table.n_rows:
        raise GdsimError(f"{shown} has {n} of its {table.n_rows} rows with a value in every chosen column; "
                         f"training needs at least 2")
    raise GdsimError(f"{shown} has {'only one row' if n == 1 else 'no rows'} of data; training needs at least 2")


def _check_constant(inputs, targets, x, y, task: str) -> None:
    """No input or target the same on every row (class targets: class_labels has checked them)."""
    for j, name in enumerate(inputs):
        col = x[:, j]
        if np.all(col == col[0]):
            raise GdsimError(f"input column {quoted(name)} has the same value ({_fmt(col[0])}) on every row; it "
                             f"cannot help the model, and standardising it would divide by zero")
    if task == MULTICLASS:
        return
    for j, name in enumerate(targets):
        col = y[:, j]
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


def default_target(summaries) -> str:
    """The target unless a person chooses: the last column with a value in at least half its rows
    (a file's last column is most often what it is about; a column of occasional notes is not)."""
    for s in reversed(summaries):
        if 2 * (s.numbers + s.text) >= s.numbers + s.text + s.missing:
            return s.name
    return summaries[-1].name


def default_inputs(table: Table, targets) -> list[str]:
    """The inputs unless a person chooses: every other column of numbers (not mostly text, not empty)."""
    return [c for c in table.columns if c not in targets and column_summary(table, c).usable_as_input]


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


def _few(labels, n: int, limit: int = 3) -> str:
    """A few labels for a message: 'setosa', 'versicolor', ... (3 of them)."""
    shown = ", ".join(quoted(label, 20) for label in labels[:limit])
    return shown + (f", ... ({n:,} different)" if n > limit else "")


def _and(names) -> str:
    """x1, 'x1 and x2', 'x1, x2 and x3'."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _listing(columns, limit: int = 20) -> str:
    shown = ", ".join(quoted(c) for c in columns[:limit])
    if len(columns) > limit:
        shown += f" and {len(columns) - limit} more"
    return shown


_fmt = format_number
