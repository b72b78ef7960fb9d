"""The one CSV reader of user files (points, candidate sites, demand), by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapping.errors import ServiceMapError
from mapping.inputs.tables import column_index, data_rows, parse_number, read_table


def test_rows_are_numbered_as_an_editor_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    # Row 1 header (with a byte-order mark), row 2 a record, row 3 blank, rows 4-5 one
    # record with a quoted newline, row 6 a record.
    path.write_bytes(
        b'\xef\xbb\xbf Name ,postcode\nA,PR1 1AA\n\n"B\nsecond line",PR2 2BB\nC, PR3 3CC \n'
    )
    header, records = read_table(path)
    assert header == ["Name", "postcode"]
    rows = list(data_rows(records, column_index(header)))
    assert [r.number for r in rows] == [2, 4, 6]
    assert [r["name"] for r in rows] == ["A", "B\nsecond line", "C"]
    assert rows[2]["postcode"] == "PR3 3CC"  # stripped
    assert rows[0]["lat"] == ""  # no such column


def test_a_short_row_reads_as_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    path.write_text("day,hour,demand\nMon\n", encoding="utf-8")
    header, records = read_table(path)
    (row,) = data_rows(records, column_index(header))
    assert (row.number, row["day"], row["hour"], row["demand"]) == (2, "Mon", "", "")


def test_the_first_of_two_same_named_columns_counts() -> None:
    assert column_index(["id", "ID", "lon"]) == {"id": 0, "lon": 2}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("", "empty file; expected the header 'day,hour,demand'"),
        (b"\xff\xfe\x00bad", "byte-order mark"),  # UTF-16, named as such
        (b"\xe9t\xe9", "not UTF-8"),
    ],
)
def test_an_unreadable_file_is_named(tmp_path: Path, content: object, message: str) -> None:
    path = tmp_path / "demand.csv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(ServiceMapError, match=message) as caught:
        read_table(path, expected="the header 'day,hour,demand'")
    assert str(caught.value).startswith(f"{path}:")


def test_a_folder_is_not_a_csv_file(tmp_path: Path) -> None:
    with pytest.raises(ServiceMapError, match="is a folder, not a CSV file"):
        read_table(tmp_path)


def test_numbers_must_be_finite() -> None:
    assert parse_number(" 2.5") == 2.5
    assert parse_number("1e3") == 1000.0
    assert [parse_number(t) for t in ("", "nan", "-inf", "north", "1,5")] == [None] * 5
