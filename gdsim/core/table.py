"""A person's own data: a CSV file of numbers, and the Dataset made from its columns.

``read_table`` reads a header row of column names and then rows of numbers,
separated by commas, semicolons or tabs (chosen from the header line and the
first data line: the separator that cuts both into as many cells). It reads
the file line by line and refuses, with one line that names the file and,
where it applies, the line (as a text editor counts them) and the column,
everything it cannot turn into a table of finite numbers: a missing or binary
file, no header, ragged rows, text or missing values in a cell, a single row,
a file too big to read.

``make_dataset`` picks input and target columns, checks them for the task
(regression, or binary classification with a 0/1 target), splits off a fixed
validation set and, if asked, standardises the inputs with the training rows'
mean and standard deviation.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
import re
from array import array
from dataclasses import dataclass, field

import numpy as np

from .data import Dataset
from .errors import GdsimError
from .files import open_regular
from .losses import BINARY, REGRESSION

MAX_CSV_BYTES = 20 * 1024 * 1024  # bigger files are refused with a size message
MAX_CELLS = 5_000_000  # numbers in one table (rows x columns)
PROGRESS_LINES = 20_000  # read_table reports progress about this often

_MB = 1024 * 1024
_DELIMITERS = (",", ";", "\t")  # in order of preference when the lines leave a choice
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}
_UTF8_BOM = b"\xef\xbb\xbf"
_HEADER_LINES = 100  # lines looked at to choose the delimiter
_SAMPLE_LINES = 20  # data lines among them that the delimiter should cut like the header
_HEAD_BYTES = 8192  # the start of the file, looked at for signs of a binary file
_CHUNK_ROWS = 8192  # rows gathered as Python floats before they become one numpy block

# A number as a person writes it: sign, digits with an optional point, optional exponent.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z", re.ASCII)
_MISSING = frozenset({"na", "n/a", "#n/a", "nan", "+nan", "-nan", "null", "none", "nil", "missing",
                      "?", "-", "--", "."})
_INFINITE = frozenset({"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})
_SEPARATED_DIGITS = re.compile(r"\d[,' ]\d")
_LINE_ENDS = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


@dataclass(frozen=True, eq=False)
class Table:
    """The numbers of a CSV file: one column per header name, one row per data line.

    ``lines`` holds, for every row, its line number in the file (1-based, as a
    text editor counts), so that later checks can point at the line.
    """

    path: str
    columns: tuple[str, ...]
    data: np.ndarray  # float64, shape (rows, len(columns))
    lines: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self):
        data = np.asarray(self.data, dtype=np.float64)
        if data.ndim != 2 or data.shape[1] != len(self.columns):
            raise ValueError(f"table data of shape {data.shape} does not match {len(self.columns)} columns")
        lines = self.lines
        if lines is None:
            lines = np.arange(2, data.shape[0] + 2, dtype=np.int64)  # header on line 1, no blank lines
        lines = np.asarray(lines, dtype=np.int64)
        if lines.shape != (data.shape[0],):
            raise ValueError(f"{lines.shape[0] if lines.ndim else 1} line numbers for {data.shape[0]} rows")
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "lines", lines)

    @property
    def n_rows(self) -> int:
        return int(self.data.shape[0])


# ----- reading ---------------------------------------------------------------------------------

def read_table(path, *, max_bytes=None, progress=None) -> Table:
    """Read a CSV file of numbers with a header row of column names.

    ``progress``, if given, is called as ``progress(fraction_done)`` about every
    20,000 lines and once at the end; if it returns ``False`` the reading stops
    with a ``GdsimError`` saying it was cancelled. Every problem with the file
    is a ``GdsimError`` whose one-line message names the file and, where it
    applies, the line and the column.
    """
    if max_bytes is None:
        max_bytes = MAX_CSV_BYTES  # read at call time, so the limit can be changed
    name = os.fsdecode(os.fspath(path))
    shown = repr(name)
    with open_regular(name, "CSV file") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise GdsimError(_too_big(shown, size, max_bytes))
        try:
            return _Reader(fh, name, size, max_bytes, progress).read()
        except OSError as exc:
            raise GdsimError(f"cannot read {shown}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc)


def _too_big(shown: str, size: int, limit: int) -> str:
    # Enough decimals that a file just over the limit does not read as equal to it.
    for decimals in range(1, 7):
        a, b = _mb(size, decimals), _mb(limit, decimals)
        if a != b:
            break
    return (f"{shown} is too big to read: {a} MB, and the limit is {b} MB "
            f"(use fewer rows, or split the file)")


def _mb(n: int, decimals: int) -> str:
    text = f"{n / _MB:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _text_lines(fh, shown: str, max_bytes: int):
    """The file's lines as text, for ``csv.reader``: decoded and checked, one at a time.

    Old Mac line ends (a lone CR) count as line ends, as editors count them.
    """
    lineno = 0
    total = 0
    for raw in fh:
        total += len(raw)
        if total > max_bytes:  # the file grew after it was measured
            raise GdsimError(_too_big(shown, total, max_bytes))
        if lineno == 0 and raw.startswith(_UTF8_BOM):
            raw = raw[len(_UTF8_BOM):]
        lineno += 1
        if b"\0" in raw:
            raise GdsimError(f"{shown} is not a CSV text file: line {lineno} contains binary data (a zero byte)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise GdsimError(f"{shown} is not UTF-8 text: line {lineno} has bytes that are not UTF-8 "
                             f"(save it as UTF-8 CSV)") from None
        if "\r" in text and "\r" in (text[:-2] if text.endswith("\r\n") else text[:-1]):
            pieces = _LINE_ENDS.findall(text)
            lineno += len(pieces) - 1
            yield from pieces
        else:
            yield text


class _Reader:
    def __init__(self, fh, name: str, size: int, max_bytes: int, progress):
        self.fh = fh
        self.name = name
        self.shown = repr(name)
        self.size = size
        self.progress = progress
        self.max_bytes = max_bytes

    def read(self) -> Table:
        shown = self.shown
        head = self.fh.read(_HEAD_BYTES)
        self.fh.seek(0)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise GdsimError(f"{shown} is UTF-16 text; save it as UTF-8 CSV (\"CSV UTF-8\")")
        if b"\0" in head:
            raise GdsimError(f"{shown} is not a CSV text file: it holds binary data (zero bytes)")
        lines = _text_lines(self.fh, shown, self.max_bytes)
        first = None
        skipped = 0  # blank lines before the header
        for text in lines:
            if text.strip():
                first = text
                break
            skipped += 1
        if first is None:
            raise GdsimError(f"{shown} is empty" + (" (it has only blank lines)" if skipped else ""))
        header_line = skipped + 1
        peeked, header_text, sample = _peek(first, lines)
        delimiter = _choose_delimiter(header_text, sample)
        reader = csv.reader(itertools.chain(peeked, lines), delimiter=delimiter, skipinitialspace=True)
        header = self._next(reader, header_line) or []
        columns = self._columns(header, header_line)
        ncol = len(columns)
        max_rows = MAX_CELLS // ncol

        chunks: list[np.ndarray] = []
        chunk: list[list[float]] = []
        row_lines = array("q")
        nrows = 0
        end = skipped + reader.line_num  # the last line read so far
        next_report = PROGRESS_LINES if self.progress is not None else -1
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise GdsimError(f"{shown}, line {start} cannot be read as CSV: {_csv_problem(exc)}") from None
            end = skipped + reader.line_num
            if 0 <= next_report <= end:
                next_report = end + PROGRESS_LINES
                self._report()
            values = None
            if len(row) > ncol and end == start and not any(cell.strip() for cell in row[ncol:]):
                del row[ncol:]  # empty cells after the last column, as some spreadsheets leave them
            if len(row) == ncol:
                try:
                    values = [float(cell) for cell in row]
                except ValueError:
                    pass
                else:
                    # float() also takes '1_000', non-ASCII digits, 'nan' and 'inf': those go the careful way.
                    joined = "".join(row)
                    total = sum(values)
                    if not joined.isascii() or "_" in joined or total - total != 0.0:
                        values = None  # (an overflowing sum of finite values only costs time)
            if values is None:
                if (len(row) <= 1 or len(row) == ncol) and not any(cell.strip() for cell in row):
                    continue  # a blank line, or one of empty cells only, as spreadsheets leave at the end
                try:
                    if len(row) != ncol:
                        raise GdsimError(self._ragged(row, start, ncol, delimiter))
                    values = [self._number(cell, start, name) for cell, name in zip(row, columns)]
                except GdsimError as exc:
                    if end > start:  # the row ran on over several lines
                        raise GdsimError(f"{exc} (a quote (\") opened on line {start} runs on to line {end}, "
                                         f"so they read as one row)") from None
                    raise
            if nrows >= max_rows:
                raise GdsimError(f"{shown} holds more than {MAX_CELLS:,} numbers (rows x columns), the most "
                                 f"gdsim reads; line {start} goes over (use fewer rows or columns)")
            chunk.append(values)
            row_lines.append(start)
            nrows += 1
            if len(chunk) == _CHUNK_ROWS:
                chunks.append(np.array(chunk, dtype=np.float64))
                chunk = []
        if chunk:
            chunks.append(np.array(chunk, dtype=np.float64))
        if nrows == 0:
            raise GdsimError(f"{shown} has a header (line {header_line}) but no data rows")
        if nrows == 1:
            raise GdsimError(f"{shown} has only one row of data (line {row_lines[0]}); training needs at least 2")
        if self.progress is not None:
            self._report(1.0)
        data = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
        data.flags.writeable = False
        line_numbers = np.frombuffer(row_lines, dtype=np.int64).copy()
        line_numbers.flags.writeable = False
        return Table(self.name, columns, data, line_numbers)

    def _report(self, fraction=None) -> None:
        if fraction is None:
            fraction = min(1.0, self.fh.tell() / self.size) if self.size else 1.0
        if self.progress(fraction) is False:
            raise GdsimError(f"reading {self.shown} was cancelled")

    def _next(self, reader, start: int):
        try:
            return next(reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            raise GdsimError(f"{self.shown}, line {start} cannot be read as CSV: {_csv_problem(exc)}") from None

    def _columns(self, header, lineno: int) -> tuple[str, ...]:
        shown = self.shown
        names = [cell.strip() for cell in header]
        while len(names) > 1 and not names[-1]:
            names.pop()  # empty cells after the last name, as some spreadsheets leave them
        if not names:
            raise GdsimError(f"{shown}, line {lineno}: the header row names no columns")
        filled = [n for n in names if n]
        if filled and all(_NUMBER.match(n) for n in filled):
            raise GdsimError(f"{shown}: line {lineno} looks like numbers; the file needs a header row of "
                             f"column names first")
        for i, n in enumerate(names):
            if not n:
                raise GdsimError(f"{shown}, line {lineno}: column {i + 1} of the header has no name "
                                 f"(every column needs a name)")
        seen: dict[str, int] = {}
        for i, n in enumerate(names):
            if n in seen:
                raise GdsimError(f"{shown}, line {lineno}: column name {_show(n)} appears twice "
                                 f"(columns {seen[n] + 1} and {i + 1}); names must differ")
            seen[n] = i
        return tuple(names)

    def _ragged(self, row, start: int, ncol: int, delimiter: str) -> str:
        message = (f"{self.shown}, line {start} has {_count(len(row), 'cell')}, but the header names "
                   f"{_count(ncol, 'column')}")
        if len(row) == 1:
            others = [d for d in _DELIMITERS if d != delimiter and d in row[0]]
            if others:
                message += (f" (the header is separated by {_DELIMITER_NAMES[delimiter]}, this line by "
                            f"{_DELIMITER_NAMES[others[0]]})")
        return message

    def _number(self, cell: str, start: int, column: str) -> float:
        where = f"{self.shown}, line {start}, column {_show(column)}"
        text = cell.strip()
        if not text:
            raise GdsimError(f"{where} is empty (missing values are not supported; remove or fill the row)")
        if _NUMBER.match(text):
            value = float(text)
            if math.isfinite(value):
                return value
            raise GdsimError(f"{where} is {_show(text)}, too large to be a finite number (remove or fill the row)")
        low = text.lower()
        if low in _MISSING:
            raise GdsimError(f"{where} is {_show(text)}, a missing value (missing values are not supported; "
                             f"remove or fill the row)")
        if low in _INFINITE:
            raise GdsimError(f"{where} is {_show(text)}, not a finite number (remove or fill the row)")
        hint = ""
        if _SEPARATED_DIGITS.search(text):
            hint = " (write numbers without thousands separators, with a point for decimals)"
        raise GdsimError(f"{where}: {_show(text)} is not a number{hint}")


def _peek(first: str, lines):
    """The header's lines (its quotes may hold line ends) and up to ``_SAMPLE_LINES`` data lines
    after it, to choose the delimiter from: (every line read, the header's text, the sample)."""
    peeked = [first]
    quotes = first.count('"')
    while quotes % 2 and len(peeked) < _HEADER_LINES:
        more = next(lines, None)
        if more is None:
            break
        peeked.append(more)
        quotes += more.count('"')
    header = "".join(peeked)
    sample = []
    while len(peeked) < _HEADER_LINES and len(sample) < _SAMPLE_LINES:
        more = next(lines, None)
        if more is None:
            break
        peeked.append(more)
        if more.strip(" \t,;\r\n"):  # lines of empty cells only are skipped when read, so here too
            sample.append(more)
    return peeked, header, sample


def _choose_delimiter(header: str, sample: list[str]) -> str:
    """Commas, semicolons or tabs: of those that cut at least half of the sample data lines into
    as many cells as the header, the one that cuts the header into most; failing that, the one
    that cuts the header into most. Empty cells at the end of a line do not count."""
    counts = {d: _cells(header, d) for d in _DELIMITERS}
    readable = [d for d in _DELIMITERS if counts[d] is not None] or [","]
    fits = {d: sum(1 for line in sample if _cells(line, d) == counts[d]) for d in readable}
    consistent = [d for d in readable if 2 * fits[d] >= len(sample)]
    return max(consistent or readable, key=lambda d: (counts[d] or 0, fits[d], -_DELIMITERS.index(d)))


def _cells(line: str, delimiter: str) -> int | None:
    """How many cells ``delimiter`` cuts ``line`` into, not counting empty ones at its end (None if
    the csv module cannot cut it so: then one cell would be longer than it allows)."""
    try:
        cells = next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])
    except csv.Error:
        return None
    while len(cells) > 1 and not cells[-1].strip():
        cells.pop()
    return len(cells)


def _csv_problem(exc: csv.Error) -> str:
    """The csv module's complaint in words for a person (it speaks to programmers)."""
    text = str(exc)
    if "new-line" in text:
        return "a quoted cell is not closed where it should be (check the quotes (\") from here on)"
    if "field limit" in text:
        return (f"a cell is longer than {csv.field_size_limit():,} characters (is a quote (\") left open from "
                f"here on?)")
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _show(text: str, limit: int = 40) -> str:
    """A cell or name as it appears in a message: quoted, on one line, not too long."""
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return repr(text)


# ----- from a table to a dataset ----------------------------------------------------------------

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
    shown = repr(table.path)
    if task not in (REGRESSION, BINARY):
        raise GdsimError(f"unknown task {task!r}; use {REGRESSION!r} or {BINARY!r}")
    inputs = _column_names(inputs, "input")
    targets = _column_names(targets, "target")
    columns = table.columns
    for name in inputs + targets:
        if name not in columns:
            raise GdsimError(f"{shown} has no column {_show(name)}; its columns are {_listing(columns)}")
    both = [n for n in inputs if n in targets]
    if both:
        raise GdsimError(f"column {_show(both[0])} is both an input and a target; a column can only be one")
    fraction = _fraction(val_fraction)

    data, lines = table.data, table.lines
    n = table.n_rows
    if n < 2:
        raise GdsimError(f"{shown} has {'only one row' if n == 1 else 'no rows'} of data; training needs at least 2")
    in_idx = [columns.index(c) for c in inputs]
    out_idx = [columns.index(c) for c in targets]
    for name, j in zip(inputs + targets, in_idx + out_idx):
        bad = np.flatnonzero(~np.isfinite(data[:, j]))
        if bad.size:
            raise GdsimError(f"{shown}, line {lines[bad[0]]}, column {_show(name)}: {data[bad[0], j]!r} is not "
                             f"a finite number")

    if task == BINARY:
        if len(targets) != 1:
            raise GdsimError(f"binary classification needs exactly one target column, not "
                             f"{len(targets)} ({', '.join(_show(t) for t in targets)})")
        y_col = data[:, out_idx[0]]
        bad = np.flatnonzero((y_col != 0) & (y_col != 1))
        if bad.size:
            i = bad[0]
            raise GdsimError(f"{shown}, line {lines[i]}, column {_show(targets[0])}: {_fmt(y_col[i])} is not 0 or 1 "
                             f"(a binary target must be 0 or 1 on every row)")

    for name, j in zip(inputs, in_idx):
        col = data[:, j]
        if np.all(col == col[0]):
            raise GdsimError(f"input column {_show(name)} has the same value ({_fmt(col[0])}) on every row; it "
                             f"cannot help the model, and standardising it would divide by zero")
    for name, j in zip(targets, out_idx):
        col = data[:, j]
        if np.all(col == col[0]):
            raise GdsimError(f"target column {_show(name)} has the same value ({_fmt(col[0])}) on every row; "
                             f"there is nothing to learn")

    n_val = 0
    if fraction > 0:
        n_val = max(1, int(math.floor(n * fraction + 0.5)))
        if n - n_val < 2:
            raise GdsimError(f"a validation fraction of {fraction:g} takes {n_val} of the {n} rows, which leaves "
                             f"{n - n_val} for training; training needs at least 2 (use more rows or a smaller "
                             f"fraction)")
    order = np.random.default_rng(0).permutation(n)
    val_rows = np.sort(order[:n_val])
    train_rows = np.sort(order[n_val:])

    x_all = data[:, in_idx]
    y_all = data[:, out_idx]
    if task == BINARY:
        y_all = (y_all == 1).astype(np.float64)  # 0/1 exactly (no -0.0)
    x, y = np.ascontiguousarray(x_all[train_rows]), np.ascontiguousarray(y_all[train_rows])
    x_val = y_val = None
    if n_val:
        x_val, y_val = np.ascontiguousarray(x_all[val_rows]), np.ascontiguousarray(y_all[val_rows])

    standardization = None
    if standardize:
        with np.errstate(all="ignore"):  # overflow and underflow are reported below, in words
            mean = x.mean(axis=0)
            std = x.std(axis=0)
            for j, name in enumerate(inputs):
                col = x[:, j]
                if not (np.isfinite(mean[j]) and np.isfinite(std[j])):
                    raise GdsimError(f"input column {_show(name)} holds numbers too large to standardise "
                                     f"(up to {_fmt(float(np.max(np.abs(col))))}); rescale it, or do not standardise")
                if not std[j] > 0:
                    if np.all(col == col[0]):
                        raise GdsimError(f"input column {_show(name)} has the same value ({_fmt(col[0])}) on every "
                                         f"training row; standardising it would divide by zero (use more rows, "
                                         f"or do not standardise)")
                    raise GdsimError(f"input column {_show(name)} holds values too close together to standardise "
                                     f"(their spread is below what a float64 holds); rescale it, or do not "
                                     f"standardise")
            x = (x - mean) / std
            if x_val is not None:
                x_val = (x_val - mean) / std
        if not (np.all(np.isfinite(x)) and (x_val is None or np.all(np.isfinite(x_val)))):
            raise GdsimError("the standardised inputs are not all finite numbers; rescale the inputs, or do not "
                             "standardise")
        standardization = Standardization(tuple(inputs), tuple(float(m) for m in mean),
                                          tuple(float(s) for s in std))

    dataset = Dataset(x, y, x_val, y_val, input_names=tuple(inputs), target_names=tuple(targets), task=task,
                      notes={"source": table.path, "standardization": standardization,
                             "rows": int(len(train_rows)), "val_rows": int(n_val)})
    return dataset, standardization


def _column_names(names, kind: str) -> tuple[str, ...]:
    if isinstance(names, str):
        names = [names]
    result = tuple(str(n).strip() for n in names)
    if not result:
        raise GdsimError(f"choose at least one {kind} column")
    seen = set()
    for n in result:
        if n in seen:
            raise GdsimError(f"column {_show(n)} is listed twice as {'an' if kind == 'input' else 'a'} {kind}")
        seen.add(n)
    return result


def _fraction(value) -> float:
    try:
        fraction = float(value)
    except (TypeError, ValueError):
        raise GdsimError(f"the validation fraction must be a number from 0 to 0.5, not {value!r}") from None
    if isinstance(value, bool) or not (0.0 <= fraction <= 0.5):
        raise GdsimError(f"the validation fraction must be from 0 to 0.5, not {value!r}")
    return fraction


def _listing(columns, limit: int = 20) -> str:
    shown = ", ".join(_show(c) for c in columns[:limit])
    if len(columns) > limit:
        shown += f" and {len(columns) - limit} more"
    return shown


def _fmt(value: float) -> str:
    """A number for a message: whole numbers without '.0', others as Python writes them."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
