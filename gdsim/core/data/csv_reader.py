"""A person's own data, read: a CSV file as a ``Table``.

``read_table`` reads a header row of column names and then rows of cells,
separated by commas, semicolons or tabs (chosen from the header line and the
first data line: the separator that cuts both into as many cells). Every cell
is a number, a missing value (``MISSING_VALUES``) or text; any column may hold
any of them, and only the columns chosen for training must be numbers (that is
checked when they are chosen, in ``gdsim.core.data.from_table``). It reads the
file line by line and refuses, with one line that names the file and, where it
applies, the line (as a text editor counts them), everything it cannot turn
into a table: a missing or binary file, no header, ragged rows, a single row,
a file too big to read.

``gdsim.core.data.from_table`` turns chosen columns of a table into a Dataset.
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

from ..errors import GdsimError, quoted, reason
from ..files.atomic import open_regular

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
# The cells that mean "no value here", compared without case after the spaces around them are
# removed: the README's list. Anything else that is not a number is text.
MISSING_VALUES = ("", "NA", "N/A", "#N/A", "NaN", "null", "?")
_MISSING = frozenset(v.lower() for v in MISSING_VALUES)
_INFINITE = frozenset({"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})
_SEPARATED_DIGITS = re.compile(r"\d[,' ]\d")
_LINE_ENDS = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


@dataclass(frozen=True, eq=False)
class TextCells:
    """The text cells of one column: ``codes[i]`` is -1 where row i holds a number or nothing, else
    the index of its text in ``values`` (each text once, in the order first met)."""

    codes: np.ndarray  # int32, shape (rows,)
    values: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Table:
    """The cells of a CSV file: one column per header name, one row per data line.

    ``data`` holds every number, and NaN where a cell is missing or text; ``text``
    holds the text cells of the columns that have any (a column without text is
    not in it). ``lines`` holds, for every row, its line number in the file
    (1-based, as a text editor counts), so that later checks can point at the line.
    """

    path: str
    columns: tuple[str, ...]
    data: np.ndarray  # float64, shape (rows, len(columns))
    lines: np.ndarray | None = field(default=None, repr=False)
    text: dict = field(default_factory=dict, repr=False)  # column name -> TextCells

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
        for name, cells in self.text.items():
            if name not in self.columns or cells.codes.shape != (data.shape[0],):
                raise ValueError(f"text cells of {name!r} do not match the table")
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "lines", lines)

    @property
    def n_rows(self) -> int:
        return int(self.data.shape[0])

    def column(self, name: str) -> np.ndarray:
        return self.data[:, self.columns.index(name)]

    def text_rows(self, name: str) -> np.ndarray:
        """Where ``name`` holds text (a bool per row)."""
        cells = self.text.get(name)
        return np.zeros(self.n_rows, dtype=bool) if cells is None else cells.codes >= 0

    def missing_rows(self, name: str) -> np.ndarray:
        """Where ``name`` holds nothing: a missing value (NaN that is not text)."""
        return np.isnan(self.column(name)) & ~self.text_rows(name)

    def cell(self, name: str, row: int) -> str:
        """A cell as a person reads it: its text, its number, or '' where it is missing."""
        cells = self.text.get(name)
        if cells is not None and cells.codes[row] >= 0:
            return cells.values[cells.codes[row]]
        value = float(self.column(name)[row])
        return "" if math.isnan(value) else format_number(value)


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
            raise GdsimError(f"cannot read {shown}: {reason(exc)}") from None



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
        self.text: dict[int, _TextColumn] = {}  # the columns that have shown text so far, by index

    def read(self) -> Table:
        reader, header_line, skipped, delimiter = self._open()
        columns = self._columns(self._next(reader, header_line) or [], header_line)
        data, row_lines = self._rows(reader, skipped, columns, delimiter)
        if len(row_lines) == 0:
            raise GdsimError(f"{self.shown} has a header (line {header_line}) but no data rows")
        if len(row_lines) == 1:
            raise GdsimError(f"{self.shown} has only one row of data (line {row_lines[0]}); training needs at least 2")
        if self.progress is not None:
            self._report(1.0)
        data.flags.writeable = False
        line_numbers = np.frombuffer(row_lines, dtype=np.int64).copy()
        line_numbers.flags.writeable = False
        text = {columns[j]: column.cells() for j, column in sorted(self.text.items())}
        return Table(self.name, columns, data, line_numbers, text)

    def _open(self):
        """(a csv reader at the header, the header's line, blank lines before it, the delimiter):
        the file is text, not empty, and its delimiter is chosen from the header and a sample."""
        head = self.fh.read(_HEAD_BYTES)
        self.fh.seek(0)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise GdsimError(f"{self.shown} is UTF-16 text; save it as UTF-8 CSV (\"CSV UTF-8\")")
        if b"\0" in head:
            raise GdsimError(f"{self.shown} is not a CSV text file: it holds binary data (zero bytes)")
        lines = _text_lines(self.fh, self.shown, self.max_bytes)
        first = None
        skipped = 0  # blank lines before the header
        for text in lines:
            if text.strip():
                first = text
                break
            skipped += 1
        if first is None:
            raise GdsimError(f"{self.shown} is empty" + (" (it has only blank lines)" if skipped else ""))
        peeked, header_text, sample = _peek(first, lines)
        delimiter = _choose_delimiter(header_text, sample)
        reader = csv.reader(itertools.chain(peeked, lines), delimiter=delimiter, skipinitialspace=True)
        return reader, skipped + 1, skipped, delimiter

    def _rows(self, reader, skipped: int, columns, delimiter: str):
        """Every data row as numbers (one float64 array) and the line each row started on."""
        ncol = len(columns)
        max_rows = MAX_CELLS // ncol
        chunks: list[np.ndarray] = []
        chunk: list[list[float]] = []
        row_lines = array("q")
        end = skipped + reader.line_num  # the last line read so far
        next_report = PROGRESS_LINES if self.progress is not None else -1
        while True:
            start = end + 1
            row = self._next(reader, start)
            if row is None:
                break
            end = skipped + reader.line_num
            if 0 <= next_report <= end:
                next_report = end + PROGRESS_LINES
                self._report()
            values = self._values(row, start, end, columns, delimiter)
            if values is None:
                continue
            if len(row_lines) >= max_rows:
                raise GdsimError(f"{self.shown} holds more than {MAX_CELLS:,} cells (rows x columns), the most "
                                 f"gdsim reads; line {start} goes over (use fewer rows or columns)")
            values, texts = values
            if texts or self.text:
                self._add_text(texts or {}, len(row_lines))
            chunk.append(values)
            row_lines.append(start)
            if len(chunk) == _CHUNK_ROWS:
                chunks.append(np.array(chunk, dtype=np.float64))
                chunk = []
        if chunk:
            chunks.append(np.array(chunk, dtype=np.float64))
        data = chunks[0] if len(chunks) == 1 else np.concatenate(chunks) if chunks else np.empty((0, ncol))
        return data, row_lines

    def _values(self, row, start: int, end: int, columns, delimiter: str):
        """A row as (numbers, text cells), None for a blank row: each number in its place, NaN where a
        cell is missing or text, and the text cells as {column index: text} (None if there are none)."""
        ncol = len(columns)
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
                if joined.isascii() and "_" not in joined and total - total == 0.0:
                    return values, None  # (an overflowing sum of finite values only costs time)
        if (len(row) <= 1 or len(row) == ncol) and not any(cell.strip() for cell in row):
            return None  # a blank line, or one of empty cells only, as spreadsheets leave at the end
        if len(row) != ncol:
            message = self._ragged(row, start, ncol, delimiter)
            if end > start:  # the row ran on over several lines
                message += (f" (a quote (\") opened on line {start} runs on to line {end}, so they read as "
                            f"one row)")
            raise GdsimError(message)
        values, texts = [], None
        for j, cell in enumerate(row):
            try:  # most cells of a row with text in it are still plain numbers: float() is quickest
                value = float(cell)
                if value - value != 0.0 or "_" in cell or not cell.isascii():
                    raise ValueError  # nan, inf, 1_000 and other digits: the careful way
            except ValueError:
                value = parse_cell(cell)
                if isinstance(value, str):
                    texts = texts or {}
                    texts[j] = value
                    value = math.nan
            values.append(value)
        return values, texts

    def _add_text(self, texts: dict, row: int) -> None:
        """Record row ``row``'s text cells; a column's first text starts its record."""
        for j in texts:
            if j not in self.text:
                self.text[j] = _TextColumn(row)
        for j, column in self.text.items():
            column.add(texts.get(j))

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
                raise GdsimError(f"{shown}, line {lineno}: column name {quoted(n)} appears twice "
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


class _TextColumn:
    """A column's text cells as they are read: a code per row (-1: no text), each text once."""

    def __init__(self, rows_before: int):
        self.codes = array("i", [-1]) * rows_before
        self.index: dict[str, int] = {}

    def add(self, text: str | None) -> None:
        self.codes.append(-1 if text is None else self.index.setdefault(text, len(self.index)))

    def cells(self) -> TextCells:
        codes = np.frombuffer(self.codes, dtype=np.int32).copy() if len(self.codes) else np.empty(0, np.int32)
        codes.flags.writeable = False
        return TextCells(codes, tuple(self.index))


def parse_cell(cell: str):
    """A cell's meaning: a finite number (float), NaN for a missing value, or else its text (str,
    without the spaces around it)."""
    text = cell.strip()
    if _NUMBER.match(text):
        value = float(text)
        if math.isfinite(value):
            return value
        return text  # 1e999: too large for a number, so text (said so if the column is chosen)
    if text.lower() in _MISSING:
        return math.nan
    return text


def not_a_number(text: str) -> str:
    """Why a text cell cannot be an input or a regression target, for the end of a message."""
    if _NUMBER.match(text):
        return f"{quoted(text)} is too large to be a finite number"
    if text.lower() in _INFINITE:
        return f"{quoted(text)} is not a finite number"
    hint = ""
    if _SEPARATED_DIGITS.search(text):
        hint = " (write numbers without thousands separators, with a point for decimals)"
    return f"{quoted(text)} is not a number{hint}"


def format_number(value: float) -> str:
    """A number for a message or a label: whole numbers without '.0', others as Python writes them."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


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
    that cuts the header into most. Empty cells at the end of the header do not count, and a line
    fits if its cells reach the header's last name and nothing but empty cells go past it (a last
    column that is often empty leaves lines ending in the delimiter)."""
    counts = {d: _cells(header, d) for d in _DELIMITERS}
    readable = [d for d in _DELIMITERS if counts[d] is not None] or [","]
    fits = {d: sum(1 for line in sample if _fits(_cells(line, d), counts[d])) for d in readable}
    consistent = [d for d in readable if 2 * fits[d] >= len(sample)]
    return max(consistent or readable, key=lambda d: (counts[d][0] if counts[d] else 0, fits[d],
                                                        -_DELIMITERS.index(d)))


def _fits(line, header) -> bool:
    return line is not None and header is not None and line[0] <= header[0] <= line[1]


def _cells(line: str, delimiter: str) -> tuple[int, int] | None:
    """How many cells ``delimiter`` cuts ``line`` into: (not counting empty ones at its end, all of
    them); None if the csv module cannot cut it so (one cell would be longer than it allows)."""
    try:
        cells = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter, skipinitialspace=True), [])
    except csv.Error:
        return None
    total = len(cells)
    while len(cells) > 1 and not cells[-1].strip():
        cells.pop()
    return len(cells), total


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



