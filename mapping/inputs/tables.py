"""Read a user's CSV file into numbered rows: the one reader of points, candidates, demand.

Rows are numbered as an editor shows them (the header is row 1), so every problem can be
reported as ``file:row:field: message``. A file that cannot be read at all (missing, a
folder, not UTF-8, broken quoting, empty) is refused with one clear message.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mapping.errors import ServiceMapError

__all__ = ["Row", "column_index", "data_rows", "parse_number", "read_table"]


def read_table(
    path: Path, *, expected: str = "a header row such as 'id,postcode'"
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Read a CSV into its header (cells stripped) and ``(row number, cells)`` records.

    Parameters
    ----------
    path
        The CSV file (UTF-8, with or without a byte-order mark).
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
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            records = []
            line = reader.line_num
            for cells in reader:
                records.append((line + 1, cells))
                line = reader.line_num
    except FileNotFoundError:
        raise ServiceMapError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ServiceMapError(f"{path}: is a folder, not a CSV file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ServiceMapError(f"{path}: not a readable CSV file ({exc})") from None
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
    """A finite number, or ``None``: ``"nan"``, ``"inf"`` and words are not numbers.

    >>> parse_number("-2.5"), parse_number("inf"), parse_number("north")
    (-2.5, None, None)
    """
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
