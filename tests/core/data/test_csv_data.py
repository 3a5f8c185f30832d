"""Reading a person's CSV file (gdsim.core.data) and making a Dataset from its columns."""

from __future__ import annotations

import csv
import io
import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gdsim.core.data import csv_reader as table_module
from gdsim.core.data.csv_reader import MAX_CELLS, MAX_CSV_BYTES, Table, read_table
from gdsim.core.data.from_table import Standardization, make_dataset
from gdsim.core.errors import GdsimError

FUZZ = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def write(tmp_path, content, name="data.csv"):
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def error_of(path, **kwargs) -> str:
    with pytest.raises(GdsimError) as info:
        read_table(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    return message


def chosen_error(path, **kwargs) -> str:
    """The message for the file's columns chosen as they come: all but the last as inputs, the last
    as the target (the reader itself takes text and missing values anywhere)."""
    t = read_table(path)
    kwargs.setdefault("task", "regression")  # (text in the target would make it a class target)
    return dataset_error(t, t.columns[:-1] or t.columns, t.columns[-1:] if len(t.columns) > 1 else ["nope"],
                         **kwargs)


def dataset_error(*args, **kwargs) -> str:
    with pytest.raises(GdsimError) as info:
        make_dataset(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message, message
    return message


def table_of(columns, rows, lines=None, path="t.csv") -> Table:
    return Table(path, tuple(columns), np.array(rows, dtype=np.float64),
                 None if lines is None else np.array(lines))


# ----- reading valid files --------------------------------------------------------------------

def test_small_file_reads_back_exactly(tmp_path):
    path = write(tmp_path, "size,rooms,price\n120.5,3,0.1\n-7,4,1e-3\n0,5,123456789.125\n")
    t = read_table(path)
    assert t.path == str(path)
    assert t.columns == ("size", "rooms", "price")
    assert t.data.dtype == np.float64
    assert t.data.shape == (3, 3)
    assert t.data.tolist() == [[120.5, 3.0, 0.1], [-7.0, 4.0, 0.001], [0.0, 5.0, 123456789.125]]
    assert t.lines.tolist() == [2, 3, 4]
    assert t.n_rows == 3


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_each_delimiter(tmp_path, delimiter):
    text = delimiter.join(["a", "b c", "d"]) + "\n" + "\n".join(
        delimiter.join(row) for row in [["1", "2", "3"], ["4.5", "-6", "7e2"]]) + "\n"
    t = read_table(write(tmp_path, text))
    assert t.columns == ("a", "b c", "d")
    assert t.data.tolist() == [[1, 2, 3], [4.5, -6, 700]]


def test_semicolon_file_with_commas_in_names_and_comma_file_with_semicolons_in_names(tmp_path):
    t = read_table(write(tmp_path, "a,1;b,2\n1;2\n3;4\n", "semi.csv"))
    assert t.columns == ("a,1", "b,2") and t.data.tolist() == [[1, 2], [3, 4]]
    t = read_table(write(tmp_path, "x;y;z,w\n1,2\n3,4\n", "comma.csv"))
    assert t.columns == ("x;y;z", "w") and t.data.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_empty_cells_at_the_end_of_every_line_are_left_out(tmp_path, delimiter):
    # What some spreadsheets export: a separator after the last cell of every data line (or every line).
    rows = [["1", "2.5", "3"], ["4", "-6", "7e2"], ["8", "9", "10"]]
    for header_end in ("", delimiter):
        text = delimiter.join(["a", "b", "y"]) + header_end + "\n"
        text += "".join(delimiter.join(row) + delimiter + "\n" for row in rows)
        t = read_table(write(tmp_path, text))
        assert t.columns == ("a", "b", "y")
        assert t.data.tolist() == [[1, 2.5, 3], [4, -6, 700], [8, 9, 10]]


def test_a_wide_file_within_the_limits_reads(tmp_path):
    # 15,001 columns, 3 MB: cut by the wrong delimiter its lines are single cells longer than the csv
    # module allows, which once made it look like a quote left open.
    n, rows = 15_001, 20
    rng = np.random.default_rng(3)
    data = rng.integers(100_000_000, 999_999_999, size=(rows, n))  # lines of 150,000 characters
    text = ",".join(f"col{j}" for j in range(n)) + "\n"
    text += "".join(",".join(map(str, row)) + "\n" for row in data)
    path = write(tmp_path, text)
    assert 2_000_000 < path.stat().st_size < 20 * 2**20
    t = read_table(path)
    assert t.data.shape == (rows, n) and t.columns[-1] == "col15000"
    np.testing.assert_array_equal(t.data, data)


def test_a_file_wider_than_the_limits_says_which_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(table_module, "MAX_CELLS", 100_000)
    n = 15_001
    text = ",".join(f"c{j}" for j in range(n)) + "\n" + "".join(",".join(["1"] * n) + "\n" for _ in range(8))
    path = write(tmp_path, text)
    assert error_of(path) == (f"{str(path)!r} holds more than 100,000 cells (rows x columns), the most gdsim "
                              f"reads; line 8 goes over (use fewer rows or columns)")


def test_bom_crlf_quotes_whitespace_and_blank_lines(tmp_path):
    content = (b"\xef\xbb\xbf  size ,  \"rooms\" ,\"price, USD\"\r\n"
               b"\r\n"
               b" 120 , \"3\" ,  \"1.5\" \r\n"
               b"   \r\n"
               b"130,4,2\r\n"
               b",,\r\n"
               b"\r\n\r\n")
    t = read_table(write(tmp_path, content))
    assert t.columns == ("size", "rooms", "price, USD")
    assert t.data.tolist() == [[120, 3, 1.5], [130, 4, 2]]
    assert t.lines.tolist() == [3, 5]


def test_blank_lines_keep_line_numbers_in_messages(tmp_path):
    path = write(tmp_path, "\n\na,b\n1,2\n\n\n3,x\n")
    assert "line 7, column 'b': 'x' is not a number" in chosen_error(path)
    t = read_table(write(tmp_path, "\n\na,b\n1,2\n\n\n3,4\n", "ok.csv"))
    assert t.lines.tolist() == [4, 7]


def test_old_mac_line_ends(tmp_path):
    t = read_table(write(tmp_path, "a,b\r1,2\r3,4\r"))
    assert t.data.tolist() == [[1, 2], [3, 4]] and t.lines.tolist() == [2, 3]
    assert "line 3, column 'a'" in chosen_error(write(tmp_path, "a,b\r1,2\rz,4\r", "bad.csv"))


def test_number_forms(tmp_path):
    t = read_table(write(tmp_path, "a,b,c,d,e,f,g\n1e-3,-0.5,+2, 3 ,.5,5.,1E+2\n0,0,0,0,0,0,-0.0\n"))
    assert t.data[0].tolist() == [0.001, -0.5, 2.0, 3.0, 0.5, 5.0, 100.0]


@pytest.mark.parametrize("cell", ["\"1,000\"", "1_000", "\uff11\uff12", "0x10", "1.2.3", "1e", "12abc"])
def test_thousands_separators_and_odd_numbers_are_text(tmp_path, cell):
    path = write(tmp_path, f"a,b\n1,2\n3,{cell}\n")
    shown = cell.strip('"')
    t = read_table(path)
    assert np.isnan(t.data[1, 1]) and t.cell("b", 1) == shown and t.text_rows("b").tolist() == [False, True]
    assert f"line 3, column 'b': {shown!r} is not a number" in chosen_error(path)


def test_thousands_separator_hint(tmp_path):
    message = chosen_error(write(tmp_path, "a;b\n1;2\n3;1,000\n"))
    assert "line 3, column 'b': '1,000' is not a number (write numbers without thousands separators" in message


def test_single_column_file(tmp_path):
    t = read_table(write(tmp_path, "y\n1\n\n2\n"))
    assert t.columns == ("y",) and t.data.shape == (2, 1) and t.data[:, 0].tolist() == [1, 2]


def test_quoted_header_over_two_lines_counts_lines(tmp_path):
    t = read_table(write(tmp_path, "\"a\nb\",c\n1,2\n3,4\n"))
    assert t.columns == ("a\nb", "c") and t.lines.tolist() == [3, 4]


def test_table_is_read_only(tmp_path):
    t = read_table(write(tmp_path, "a,b\n1,2\n3,4\n"))
    with pytest.raises(ValueError):
        t.data[0, 0] = 5


# ----- bad files --------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    assert error_of(path) == f"CSV file {str(path)!r} does not exist"


def test_folder(tmp_path):
    assert error_of(tmp_path) == f"CSV file {str(tmp_path)!r} is a folder, not a file"


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_device_is_not_a_regular_file():
    assert "not a regular file" in error_of("/dev/null")


def test_binary_file(tmp_path):
    path = write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.png")
    message = error_of(path)
    assert message == f"{str(path)!r} is not a CSV text file: it holds binary data (zero bytes)"
    late = write(tmp_path, b"a,b\n" + b"1,2\n" * 3000 + b"3,\x00\n")  # past the first 8 KB
    assert error_of(late) == f"{str(late)!r} is not a CSV text file: line 3002 contains binary data (a zero byte)"


def test_not_utf8(tmp_path):
    path = write(tmp_path, "name,price\n1,2\ncaf\xe9,3\n".encode("latin-1"))
    message = error_of(path)
    assert "is not UTF-8 text: line 3" in message and str(path) in message


def test_utf16(tmp_path):
    assert "UTF-16" in error_of(write(tmp_path, "a,b\n1,2\n3,4\n".encode("utf-16")))


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\n  \n", b"\r\n"])
def test_empty_file(tmp_path, content):
    path = write(tmp_path, content)
    assert error_of(path).startswith(f"{str(path)!r} is empty")


@pytest.mark.parametrize("content", ["a,b\n", "a,b", "a,b\n\n\n", "a,b\n,\n"])
def test_header_without_rows(tmp_path, content):
    path = write(tmp_path, content)
    assert error_of(path) == f"{str(path)!r} has a header (line 1) but no data rows"


def test_no_header(tmp_path):
    path = write(tmp_path, "1,2,3\n4,5,6\n")
    message = error_of(path)
    assert message == (f"{str(path)!r}: line 1 looks like numbers; the file needs a header row of column "
                       f"names first")


def test_blank_column_name(tmp_path):
    message = error_of(write(tmp_path, "a,,c\n1,2,3\n4,5,6\n"))
    assert "line 1: column 2 of the header has no name" in message


def test_duplicate_column_name(tmp_path):
    message = error_of(write(tmp_path, "a,b, a\n1,2,3\n4,5,6\n"))
    assert "line 1: column name 'a' appears twice (columns 1 and 3)" in message


def test_wrong_number_of_cells(tmp_path):
    rows = "\n".join("1,2,3,4" for _ in range(5))
    path = write(tmp_path, f"a,b,c,d\n{rows}\n1,2,3\n1,2,3,4\n")
    assert error_of(path) == f"{str(path)!r}, line 7 has 3 cells, but the header names 4 columns"
    path = write(tmp_path, "a,b\n1,2\n1,2,3\n", "extra.csv")
    assert error_of(path).endswith("line 3 has 3 cells, but the header names 2 columns")
    path = write(tmp_path, "a,b\n1,2\n1\n", "one.csv")
    assert error_of(path).endswith("line 3 has 1 cell, but the header names 2 columns")


def test_delimiter_mixup_is_explained(tmp_path):
    message = error_of(write(tmp_path, "a;b\n1;2\n3,4\n"))
    assert message.endswith("line 3 has 1 cell, but the header names 2 columns (the header is separated by "
                            "semicolons, this line by commas)")


def test_non_numeric_cell(tmp_path):
    rows = "".join(f"{i},{i * 2}\n" for i in range(10))
    path = write(tmp_path, f"size,price\n{rows}11,abc\n")
    assert chosen_error(path) == f"{str(path)!r}, line 12, column 'price': 'abc' is not a number"


def test_long_cell_is_shortened_in_message(tmp_path):
    message = chosen_error(write(tmp_path, "a,b\n1,2\n3," + "x" * 500 + "\n"))
    assert "line 3, column 'b': 'xxx" in message and len(message) < 200


@pytest.mark.parametrize("cell", ["", "  ", "NA", "na", "N/A", "#N/A", "NaN", "nan", "null", "NULL", "?", " ? "])
def test_missing_values_are_read_as_missing(tmp_path, cell):
    rows = "".join(f"{i},{i}\n" for i in range(10))
    path = write(tmp_path, f"size,price\n{rows}11,{cell}\n")
    t = read_table(path)
    assert t.missing_rows("price").tolist() == [False] * 10 + [True] and "price" not in t.text
    assert t.cell("price", 10) == ""
    # Chosen, the row is left out by default, and refused when asked.
    data, _ = make_dataset(t, ["size"], ["price"])
    assert data.n_train == 10 and data.notes["dropped"] == 1 and data.notes["dropped_columns"] == ("price",)
    assert chosen_error(path, missing="error") == (
        f"{str(path)!r}, line 12, column 'price' is missing (missing values are refused as asked; drop their "
        f"rows instead, or fill them in)")


def test_the_missing_values_are_the_documented_ones():
    assert table_module.MISSING_VALUES == ("", "NA", "N/A", "#N/A", "NaN", "null", "?")


@pytest.mark.parametrize("cell,shown", [
    ("inf", "'inf' is not a finite number"),
    ("-Infinity", "'-Infinity' is not a finite number"),
    ("1e999", "'1e999' is too large to be a finite number"),
    ("-", "'-' is not a number"),
    ("None", "'None' is not a number"),
])
def test_infinities_and_other_words_are_text_and_refused_where_numbers_are_needed(tmp_path, cell, shown):
    rows = "".join(f"{i},{i}\n" for i in range(10))
    path = write(tmp_path, f"size,price\n{rows}11,{cell}\n")
    assert read_table(path).text_rows("price")[-1]
    assert chosen_error(path) == f"{str(path)!r}, line 12, column 'price': {shown}"


def test_missing_value_in_first_column(tmp_path):
    path = write(tmp_path, "size,price\n1,2\n,3\n4,5\n")
    assert "line 3, column 'size' is missing" in chosen_error(path, missing="error")


def test_single_row(tmp_path):
    path = write(tmp_path, "a,b\n\n1,2\n\n")
    assert error_of(path) == f"{str(path)!r} has only one row of data (line 3); training needs at least 2"


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as fh:  # a sparse file of zero bytes: reading it would say "binary"
        fh.truncate(MAX_CSV_BYTES + 1024 * 1024)
    assert error_of(path) == (f"{str(path)!r} is too big to read: 21 MB, and the limit is 20 MB (use fewer "
                              f"rows, or split the file)")
    small = write(tmp_path, "a,b\n" + "1,2\n" * 100, "small.csv")  # 404 bytes
    assert "too big to read" in error_of(small, max_bytes=400)
    assert read_table(small, max_bytes=404).n_rows == 100


def test_size_message_tells_a_file_just_over_the_limit_apart(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as fh:
        fh.truncate(MAX_CSV_BYTES + 1)
    message = error_of(path)
    assert "20.000001 MB, and the limit is 20 MB" in message


def test_too_many_cells(tmp_path, monkeypatch):
    monkeypatch.setattr(table_module, "MAX_CELLS", 7)
    path = write(tmp_path, "a,b,c\n1,2,3\n4,5,6\n\n7,8,9\n")
    message = error_of(path)
    assert message == (f"{str(path)!r} holds more than 7 cells (rows x columns), the most gdsim reads; "
                       f"line 5 goes over (use fewer rows or columns)")
    monkeypatch.setattr(table_module, "MAX_CELLS", 9)
    assert read_table(path).n_rows == 3
    assert MAX_CELLS == 5_000_000


def test_unterminated_field_limit_is_a_clear_error(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3,\"" + "9" * 200_000 + "\n")
    assert error_of(path) == (f"{str(path)!r}, line 3 cannot be read as CSV: a cell is longer than 131,072 "
                              f"characters (is a quote (\") left open from here on?)")
    path = write(tmp_path, "a,b\n1,2\n3,\"4\n\n5,6,\",\n", "open.csv")
    assert error_of(path) == (f"{str(path)!r}, line 3 has 3 cells, but the header names 2 columns (a quote (\") "
                              f"opened on line 3 runs on to line 5, so they read as one row)")


# ----- progress and cancelling ---------------------------------------------------------------------

def test_progress_is_reported(tmp_path):
    path = write(tmp_path, "a,b\n" + "1,2\n" * 45_000)
    calls = []
    t = read_table(path, progress=lambda f: calls.append(f))
    assert t.n_rows == 45_000
    assert len(calls) == 3  # after about 20,000 and 40,000 lines, and at the end
    assert calls[-1] == 1.0
    assert 0.3 < calls[0] < 0.6 and 0.75 < calls[1] < 1.0
    assert calls == sorted(calls)


def test_progress_returning_false_cancels(tmp_path):
    path = write(tmp_path, "a,b\n" + "1,2\n" * 45_000)
    calls = []

    def cancel_second(fraction):
        calls.append(fraction)
        return len(calls) < 2

    assert error_of(path, progress=cancel_second) == f"reading {str(path)!r} was cancelled"
    assert len(calls) == 2
    small = write(tmp_path, "a,b\n1,2\n3,4\n", "small.csv")
    assert "cancelled" in error_of(small, progress=lambda f: False)
    assert read_table(small, progress=lambda f: None).n_rows == 2  # only False cancels


# ----- make_dataset -------------------------------------------------------------------------------

HOUSES = "size,rooms,age,price,sold\n" + "".join(
    f"{s},{r},{a},{p},{b}\n" for s, r, a, p, b in [
        (100, 1, 5, 200, 0), (120, 2, 3, 250, 1), (90, 1, 8, 180, 0), (150, 3, 1, 320, 1),
        (110, 2, 9, 215, 0), (130, 3, 4, 270, 1), (95, 1, 2, 190, 0), (160, 4, 7, 330, 1),
        (140, 3, 6, 300, 1), (105, 2, 10, 205, 0)])


@pytest.fixture
def houses(tmp_path):
    return read_table(write(tmp_path, HOUSES, "houses.csv"))


def test_regression_dataset(houses):
    data, std = make_dataset(houses, ["rooms", "size"], ["price", "age"])
    assert std is None
    assert data.x.shape == (10, 2) and data.y.shape == (10, 2)
    assert data.x.dtype == np.float64 and data.y.dtype == np.float64
    assert data.x[:3].tolist() == [[1, 100], [2, 120], [1, 90]]  # in the order asked for
    assert data.y[:3].tolist() == [[200, 5], [250, 3], [180, 8]]
    assert data.x_val is None and data.y_val is None and not data.has_validation
    assert data.input_names == ("rooms", "size") and data.target_names == ("price", "age")
    assert data.task == "regression"
    assert data.notes == {"source": houses.path, "standardization": None, "rows": 10, "val_rows": 0,
                          "task_reason": "the target holds numbers", "rows_read": 10, "dropped": 0,
                          "dropped_columns": ()}
    data.x[0, 0] = 99  # a copy, not a view of the read-only table
    assert houses.data[0, 1] == 1


def test_single_names_may_be_strings(houses):
    data, _ = make_dataset(houses, "size", "price")
    assert data.x.shape == (10, 1) and data.y[:, 0].tolist() == houses.data[:, 3].tolist()


def test_binary_dataset(houses):
    data, _ = make_dataset(houses, ["size", "rooms"], ["sold"], task="binary")
    assert data.task == "binary" and data.y.shape == (10, 1) and data.y.dtype == np.float64
    assert data.y[:, 0].tolist() == [0, 1, 0, 1, 0, 1, 0, 1, 1, 0]


def test_binary_target_must_be_0_or_1_and_names_the_line(tmp_path):
    path = write(tmp_path, "x,label\n1,0\n\n2,1\n3,1\n4,2\n5,0.5\n")
    t = read_table(path)
    message = dataset_error(t, ["x"], ["label"], task="binary")
    assert message == (f"{str(path)!r}, line 6, column 'label': 2 is not 0 or 1 (and 1 more in this column: line "
                       f"7); a binary target must be 0 or 1 on every row")
    t = read_table(write(tmp_path, "x,label\n1,0\n2,0.5\n", "half.csv"))
    assert "line 3, column 'label': 0.5 is not 0 or 1" in dataset_error(t, ["x"], ["label"], task="binary")


def test_binary_needs_one_target(houses):
    message = dataset_error(houses, ["size"], ["sold", "rooms"], task="binary")
    assert "exactly one target column" in message and "'sold', 'rooms'" in message


def test_binary_target_without_lines_counts_from_line_2():
    t = table_of(["x", "y"], [[1, 0], [2, 1], [3, 7]])
    assert "line 4, column 'y': 7 is not 0 or 1" in dataset_error(t, ["x"], ["y"], task="binary")


def test_unknown_task(houses):
    assert dataset_error(houses, ["size"], ["price"], task="ordinal") == (
        "unknown task 'ordinal'; use 'regression', 'binary', 'multiclass'")
    assert dataset_error(houses, ["size"], ["price"], missing="fill") == (
        "unknown rule for missing values 'fill'; use 'drop' or 'error'")


def test_unknown_column_lists_the_columns(houses):
    message = dataset_error(houses, ["size", "colour"], ["price"])
    assert message == (f"{houses.path!r} has no column 'colour'; its columns are 'size', 'rooms', 'age', "
                       f"'price', 'sold'")
    assert "no column 'cost'" in dataset_error(houses, ["size"], ["cost"])


def test_column_choice_errors(houses):
    assert dataset_error(houses, ["size"], ["size"]) == (
        "column 'size' is both an input and a target; a column can only be one")
    assert dataset_error(houses, ["size", "size"], ["price"]) == "column 'size' is listed twice as an input"
    assert dataset_error(houses, ["size"], ["price", "price"]) == "column 'price' is listed twice as a target"
    assert dataset_error(houses, [], ["price"]) == "choose at least one input column"
    assert dataset_error(houses, ["size"], ()) == "choose at least one target column"


def test_constant_columns(tmp_path):
    t = read_table(write(tmp_path, "a,b,y,z\n1,2.5,3,4\n2,2.5,3,5\n3,2.5,3,6\n"))
    assert dataset_error(t, ["a", "b"], ["z"]) == (
        "input column 'b' has the same value (2.5) on every row; it cannot help the model, and standardising "
        "it would divide by zero")
    assert dataset_error(t, ["a"], ["y"]) == (
        "target column 'y' has the same value (3) on every row; there is nothing to learn")
    t2 = read_table(write(tmp_path, "x,label\n1,1\n2,1\n", "ones.csv"))
    assert "target column 'label' has the same value (1)" in dataset_error(t2, ["x"], ["label"], task="binary")


def test_non_finite_values_in_a_hand_made_table():
    t = table_of(["x", "y"], [[1, 0], [np.inf, 1], [3, 2]])
    assert "line 3, column 'x': inf is not a finite number" in dataset_error(t, ["x"], ["y"])
    t = table_of(["x", "y"], [[1, 0], [np.nan, 1], [3, 2], [4, 3]])  # NaN: a missing value
    assert "line 3, column 'x' is missing" in dataset_error(t, ["x"], ["y"], missing="error")
    assert make_dataset(t, ["x"], ["y"])[0].notes["dropped"] == 1


@pytest.mark.parametrize("fraction", [-0.1, 0.51, 1.0, float("nan"), "half", True])
def test_validation_fraction_range(houses, fraction):
    assert "validation fraction must be" in dataset_error(houses, ["size"], ["price"], val_fraction=fraction)


@pytest.mark.parametrize("n,fraction,n_val", [
    (10, 0.2, 2), (10, 0.25, 3), (10, 0.5, 5), (10, 0.01, 1), (4, 0.5, 2), (3, 0.1, 1), (1000, 0.3, 300),
])
def test_split_sizes(n, fraction, n_val):
    t = table_of(["x", "y"], [[i, i * i] for i in range(n)])
    data, _ = make_dataset(t, ["x"], ["y"], val_fraction=fraction)
    assert data.x_val.shape == (n_val, 1) and data.y_val.shape == (n_val, 1)
    assert data.x.shape == (n - n_val, 1)
    assert data.notes["rows"] == n - n_val and data.notes["val_rows"] == n_val
    rows = np.concatenate([data.x[:, 0], data.x_val[:, 0]])
    assert sorted(rows.tolist()) == list(range(n))  # every row in exactly one part
    assert (data.y[:, 0] == data.x[:, 0] ** 2).all() and (data.y_val[:, 0] == data.x_val[:, 0] ** 2).all()


@pytest.mark.parametrize("n,fraction", [(3, 0.5), (2, 0.1), (2, 0.5)])
def test_split_must_leave_two_training_rows(n, fraction):
    t = table_of(["x", "y"], [[i, i * i] for i in range(n)])
    message = dataset_error(t, ["x"], ["y"], val_fraction=fraction)
    assert "training needs at least 2" in message


def test_split_is_fixed(houses):
    np.random.seed(123)
    first, _ = make_dataset(houses, ["size"], ["price"], val_fraction=0.3)
    np.random.seed(456)
    np.random.default_rng(9).random(5)
    second, _ = make_dataset(houses, ["size"], ["price"], val_fraction=0.3)
    assert first.x_val.tolist() == second.x_val.tolist() and first.x.tolist() == second.x.tolist()
    expected = np.sort(np.random.default_rng(0).permutation(10)[:3])
    assert first.x_val[:, 0].tolist() == houses.data[expected, 0].tolist()
    train = np.setdiff1d(np.arange(10), expected)
    assert first.x[:, 0].tolist() == houses.data[train, 0].tolist()


def test_standardisation_uses_training_rows_only(houses):
    data, std = make_dataset(houses, ["size", "rooms"], ["price"], standardize=True, val_fraction=0.3)
    val_rows = np.sort(np.random.default_rng(0).permutation(10)[:3])
    train_rows = np.setdiff1d(np.arange(10), val_rows)
    raw_train = houses.data[train_rows][:, [0, 1]]
    raw_val = houses.data[val_rows][:, [0, 1]]
    mean, sd = raw_train.mean(axis=0), raw_train.std(axis=0)
    assert isinstance(std, Standardization)
    assert std.columns == ("size", "rooms")
    assert std.mean == (float(mean[0]), float(mean[1])) and std.std == (float(sd[0]), float(sd[1]))
    assert np.allclose(data.x.mean(axis=0), 0, atol=1e-12)
    assert np.allclose(data.x.std(axis=0), 1, atol=1e-12)
    assert np.array_equal(data.x_val, (raw_val - mean) / sd)  # the training rows' numbers, not their own
    assert not np.allclose(data.x_val.mean(axis=0), 0)
    assert np.array_equal(std.apply(raw_val), data.x_val)
    assert data.y[:, 0].tolist() == houses.data[train_rows, 3].tolist()  # targets untouched
    assert data.notes["standardization"] is std


def test_standardisation_describe():
    t = table_of(["size", "rooms", "y"], [[100, 1, 0], [140, 3, 1], [120, 2, 5]])
    data, std = make_dataset(t, ["size", "rooms"], ["y"], standardize=True)
    assert std.mean == (120.0, 2.0)
    assert std.std == (float(np.std([100, 140, 120])), float(np.std([1, 3, 2])))
    assert std.describe() == ("inputs standardised with the training rows' mean and std: "
                              "size (mean 120, std 16.33), rooms (mean 2, std 0.8165)")
    assert data.x[:, 0].tolist() == pytest.approx([-1.224744871391589, 1.224744871391589, 0.0])


def test_standardisation_of_a_column_constant_on_training_rows():
    rows = [[5.0, i] for i in range(10)]
    val_rows = np.sort(np.random.default_rng(0).permutation(10)[:1])
    rows[val_rows[0]][0] = 7.0  # differs only in the validation row
    t = table_of(["x", "y"], rows)
    message = dataset_error(t, ["x"], ["y"], standardize=True, val_fraction=0.1)
    assert message.startswith("input column 'x' has the same value (5) on every training row")
    data, _ = make_dataset(t, ["x"], ["y"], val_fraction=0.1)  # fine without standardising
    assert data.x_val[:, 0].tolist() == [7.0]


# ----- property tests --------------------------------------------------------------------------

def _read_or_gdsim_error(path):
    """read_table's result or its GdsimError; anything else fails the test. The file must not change."""
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    try:
        result = read_table(path)
    except GdsimError as exc:
        message = str(exc)
        assert message and "\n" not in message and "\r" not in message
        result = exc
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    if isinstance(result, Table):
        assert result.data.shape == (len(result.lines), len(result.columns))
        assert len(result.lines) >= 2 and not np.isinf(result.data).any()
        for name in result.columns:  # NaN exactly where a cell is missing or text
            text = result.text_rows(name)
            np.testing.assert_array_equal(np.isnan(result.column(name)), text | result.missing_rows(name))
            assert not (text & result.missing_rows(name)).any()
        assert all(c and c == c.strip() for c in result.columns)
        assert len(set(result.columns)) == len(result.columns)
        assert (np.diff(result.lines) > 0).all()
    return result


NAME = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]),
               min_size=1, max_size=8).map(str.strip).filter(bool)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
CSVISH = st.text(alphabet=st.sampled_from(list("0123456789.,;\t\n\r \"eE+-_abNAn\xe9\x00")) | st.characters(),
                 max_size=300)
JUNK = st.sampled_from(["", " ", "NA", "nan", "-inf", "a", "b", "\"x\"", "\"1,0\"", "1_0", "\"", "\ufeff", "\xa0",
                        "1e999", "\r", "\n", ",", ";", "\t", "\"\"", "-", "\uff11"]) | st.text(max_size=3)
NUMBERISH = st.sampled_from(["1", "2.5", "-3e2", "+.5", " 4 ", "\"7\"", "0", "-0.0", "1E-3"])


@st.composite
def tableish(draw):
    """Text shaped like a table (a header, rows of about as many cells), with junk here and there."""
    ncol = draw(st.integers(1, 4))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    lines = []
    for k in range(draw(st.integers(0, 6))):
        n = ncol + draw(st.sampled_from([0, 0, 0, 0, 1, -1]))
        cells = draw(st.lists((NAME if k == 0 else NUMBERISH) | JUNK, min_size=n, max_size=n)) if n > 0 else []
        lines.append(delimiter.join(cells))
    end = draw(st.sampled_from(["\n", "\r\n", "\r", ""]))
    return ("\ufeff" if draw(st.booleans()) else "") + end.join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))


@FUZZ
@given(content=st.binary(max_size=400) | (CSVISH | tableish()).map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_fuzz_random_files_only_raise_gdsim_error(tmp_path, content):
    _read_or_gdsim_error(write(tmp_path, content, "fuzz.csv"))




@st.composite
def tables(draw):
    names = draw(st.lists(NAME, min_size=1, max_size=5, unique=True))
    assume(not all(re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", n, re.ASCII) for n in names))
    rows = draw(st.lists(st.lists(FINITE, min_size=len(names), max_size=len(names)), min_size=2, max_size=12))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    line_end = draw(st.sampled_from(["\n", "\r\n"]))
    return names, rows, delimiter, line_end


def render(names, rows, delimiter, line_end, bom=False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(names)
    for row in rows:
        writer.writerow([repr(v) for v in row])
    return ("\ufeff" if bom else "") + out.getvalue()


@FUZZ
@given(case=tables(), bom=st.booleans())
def test_fuzz_valid_tables_read_back_exactly(tmp_path, case, bom):
    names, rows, delimiter, line_end = case
    path = write(tmp_path, render(names, rows, delimiter, line_end, bom), "valid.csv")
    t = _read_or_gdsim_error(path)
    assert isinstance(t, Table), t
    assert t.columns == tuple(names)
    assert t.data.tolist() == rows
    assert np.array_equal(np.signbit(t.data), np.signbit(np.array(rows)))  # even -0.0
    assert t.lines.tolist() == list(range(2, len(rows) + 2))


@FUZZ
@given(case=tables(), how=st.sampled_from(["cell", "delete", "duplicate", "truncate"]), data=st.data())
def test_fuzz_corrupted_tables_read_correctly_or_fail_clearly(tmp_path, case, how, data):
    names, rows, delimiter, line_end = case
    lines = render(names, rows, delimiter, line_end).split(line_end)[:-1]
    expected = None  # the table, where a corruption leaves one that must read exactly
    if how == "cell":
        i = data.draw(st.integers(0, len(rows) - 1))
        k = i + 1
        j = data.draw(st.integers(0, len(names) - 1))
        text = data.draw(st.text(max_size=12) | JUNK | NUMBERISH)
        cells = [repr(v) for v in rows[i]]
        cells[j] = text
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator="").writerow(cells)
        lines[i + 1] = buf.getvalue()
    else:
        k = data.draw(st.integers(0, len(lines) - 1))
        if how == "delete":
            del lines[k]
            if k >= 1 and len(rows) > 2:
                expected = rows[:k - 1] + rows[k:]
        elif how == "duplicate":
            lines.insert(k, lines[k])
            if k >= 1:
                expected = rows[:k] + rows[k - 1:]
        else:
            lines[k] = lines[k][:data.draw(st.integers(0, len(lines[k])))]
    path = write(tmp_path, line_end.join(lines) + line_end, "corrupt.csv")
    result = _read_or_gdsim_error(path)
    if expected is not None:
        assert isinstance(result, Table), result
        assert result.data.tolist() == expected
    if isinstance(result, Table) and not (how == "truncate" and k == 0):  # (a shortened header is a new header)
        assert result.columns == tuple(names)
    if how == "cell" and not any(c.strip() for c in cells):
        # one column and its cell emptied: a blank line, skipped
        assert isinstance(result, Table) == (len(rows) > 2), result
        if isinstance(result, Table):
            assert result.data.tolist() == rows[:i] + rows[i + 1:]
    elif how == "cell" and isinstance(result, Table) and result.n_rows == len(rows):
        # The cell is a number, a missing value or text, whatever it holds: the file still reads.
        value, name = result.data[i, j], result.columns[j]
        number = re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text.strip(), re.ASCII)
        if number and np.isfinite(float(text)):
            assert value == float(text)
        elif text.strip().lower() in {m.lower() for m in table_module.MISSING_VALUES}:
            assert np.isnan(value) and result.missing_rows(name)[i]
        else:
            assert np.isnan(value) and result.cell(name, i) == text.strip()
