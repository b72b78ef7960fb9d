"""Read a user's CSV file into numbered rows: the one reader of points, candidates, demand.

Rows are numbered as an editor shows them (the header is row 1), so every problem can be
reported as ``file:row:field: message``. A file that cannot be read at all (missing, a
folder, not UTF-8, broken quoting, empty) is refused with one clear message.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mapping.errors import ServiceMapError
from mapping.inputs.files import parse_decimal, read_csv_table

__all__ = ["Row", "column_index", "data_rows", "parse_number", "read_table"]


def read_table(
    path: Path, *, expected: str = "a header row such as 'id,postcode'"
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Read a CSV into its header (cells stripped) and ``(row number, cells)`` records.

    Parameters
    ----------
    path
        The CSV file (UTF-8, with one byte-order mark at most; see
        :func:`~mapping.inputs.files.read_csv_table`).
    expected
        What an empty file should have started with, for its message.

    Returns
    -------
    tuple
        The header, and each record with its row number: the header is row 1, and a
        record that spans several lines (a quoted newline) takes the number of its first.

    Raises
    ------
    ServiceMapError
        Naming the file: missing, a folder, unreadable, or empty.
    """
    header, records = read_csv_table(path)
    if header is None:
        raise ServiceMapError(f"{path}: empty file; expected {expected}")
    return [h.strip() for h in header], records


def column_index(header: Sequence[str]) -> dict[str, int]:
    """``{lower-case name: position}``; a name given twice means its first column.

    >>> column_index(["Name", "postcode", "NAME"])
    {'name': 0, 'postcode': 1}
    """
    return {name.lower(): i for i, name in reversed(list(enumerate(header)))}


@dataclass(frozen=True)
class Row:
    """One record of a CSV: its row number and its cells, read by column name."""

    number: int
    cells: list[str]
    columns: Mapping[str, int]

    def __getitem__(self, name: str) -> str:
        """The stripped cell of column ``name``; empty when the column or cell is absent."""
        i = self.columns.get(name)
        return self.cells[i].strip() if i is not None and i < len(self.cells) else ""


def data_rows(
    records: Sequence[tuple[int, list[str]]], columns: Mapping[str, int]
) -> Iterator[Row]:
    """The records that are not blank lines, as :class:`Row`."""
    for number, cells in records:
        if any(c.strip() for c in cells):
            yield Row(number, cells, columns)


def parse_number(text: str) -> float | None:
    """A finite number in ASCII digits, or ``None`` (see ``files.parse_decimal``).

    >>> parse_number("-2.5"), parse_number("inf"), parse_number("north"), parse_number("１６")
    (-2.5, None, None, None)
    """
    return parse_decimal(text)
