"""Reading a user's TOML or JSON file safely: one clear message naming the file.

Scenario and rules files come from users (and through the app from anyone), so reading
one must never end in a traceback. :func:`read_document` checks, in order: that the path
is a readable file, its size (:data:`~mapping.inputs.limits.MAX_DOCUMENT_BYTES`), a
byte-order mark (TOML and JSON allow none: the message points at it), UTF-8 text (the
byte and line that are not), the syntax (the parser's line and column), numbers too long
to convert (the line), the nesting depth
(:data:`~mapping.inputs.limits.MAX_NESTING_DEPTH`, also guarding against
``RecursionError``) and that the top level is a table.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import os
import re
import stat
import sys
import tomllib
from pathlib import Path
from typing import Any

from mapping.errors import Problem, ServiceMapError
from mapping.inputs.limits import (
    MAX_DOCUMENT_BYTES,
    MAX_NESTING_DEPTH,
    check_scenario_size,
    check_upload_size,
)

__all__ = [
    "CsvReadError",
    "csv_rows",
    "decode_csv",
    "lone_surrogate",
    "nesting_depth",
    "parse_decimal",
    "read_csv_table",
    "read_document",
    "read_scenario_document",
    "regular_file_problem",
]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "a UTF-8 byte-order mark (BOM, bytes EF BB BF)"),
    (b"\xff\xfe", "a UTF-16 byte-order mark (bytes FF FE): it was saved as UTF-16"),
    (b"\xfe\xff", "a UTF-16 byte-order mark (bytes FE FF): it was saved as UTF-16"),
)
_FORMATS = {".toml": "TOML", ".json": "JSON"}


def nesting_depth(value: Any) -> int:
    """How deep tables and lists nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def lone_surrogate(value: Any) -> str | None:
    """Where ``value`` holds text with a lone surrogate (``"\\ud800"``), or ``None``.

    JSON's ``\\uXXXX`` escapes can spell half of a UTF-16 pair, which Python keeps as a
    lone surrogate: not a character, so it cannot be printed, saved or shown. Returns
    the place (``name``, ``change 1.name``) of the first one found.
    """
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return where or "the text"
        elif isinstance(item, dict):
            for key, child in item.items():
                place = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and _SURROGATE.search(key):
                    return place
                stack.append((child, place))
        elif isinstance(item, list):
            stack.extend((child, f"{where} {n}") for n, child in enumerate(item, start=1))
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def regular_file_problem(path: Path, what: str) -> str | None:
    """Why ``path`` cannot be read as a ``what`` file, or ``None`` when it is a regular file.

    A named pipe would block the reader forever and a device never ends, so anything
    but a regular file (after following links) is refused; a link loop is named too.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return f"{path}: no such {what} file"
    except NotADirectoryError:
        return f"{path}: a parent in the path is a file, not a folder"
    except PermissionError:
        return f"{path}: permission denied reading the {what} file"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"{path}: a loop of symbolic links; it names no file"
        return f"{path}: cannot read the {what} file ({exc.strerror or exc})"
    if stat.S_ISDIR(mode):
        return f"{path}: is a folder, not a {what} file"
    if not stat.S_ISREG(mode):
        kind = "a named pipe" if stat.S_ISFIFO(mode) else "a device or socket"
        return f"{path}: is {kind}, not a regular file; give the {what} file itself"
    return None


def _read_bytes(path: Path, what: str, max_bytes: int) -> bytes:
    try:
        if (problem := regular_file_problem(path, what)) is not None:
            raise ServiceMapError(problem)
        size = path.stat().st_size
        check_upload_size(size, str(path), max_bytes)
        with open(path, "rb") as handle:
            payload = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise ServiceMapError(f"{path}: no such {what} file") from None
    except NotADirectoryError:
        raise ServiceMapError(f"{path}: a parent in the path is a file, not a folder") from None
    except PermissionError:
        raise ServiceMapError(f"{path}: permission denied reading the {what} file") from None
    except OSError as exc:
        raise ServiceMapError(f"{path}: cannot read the {what} file ({exc.strerror})") from None
    check_upload_size(len(payload), str(path), max_bytes)  # grew while being read
    return payload


def _decode(path: Path, payload: bytes, kind: str) -> str:
    for mark, described in _BOMS:
        if payload.startswith(mark):
            raise ServiceMapError(
                f"{path}:1: the file starts with {described}, which {kind} does not allow. "
                "Save it as UTF-8 without BOM (in Notepad: 'UTF-8', not 'UTF-8 with BOM')."
            )
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = payload[: exc.start].count(b"\n") + 1
        raise ServiceMapError(
            f"{path}:{line}: not UTF-8 text (byte 0x{payload[exc.start]:02x}); save it as UTF-8"
        ) from None


def _long_number_line(text: str) -> tuple[int, int] | None:
    """Line and length of the first run of digits Python refuses to convert."""
    limit = sys.get_int_max_str_digits() or 4300
    match = re.search(rf"\d{{{limit + 1},}}", text)
    if match is None:
        return None
    return text.count("\n", 0, match.start()) + 1, len(match.group())


def read_document(
    path: str | os.PathLike[str],
    *,
    what: str = "input",
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_depth: int = MAX_NESTING_DEPTH,
) -> dict[str, Any]:
    """Read a ``.toml`` or ``.json`` file (by extension) whose top level is a table.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for messages (``"scenario"``, ``"gap rules"``).
    max_bytes
        Largest file accepted.
    max_depth
        Deepest nesting of tables/lists accepted.

    Returns
    -------
    dict
        The parsed document.

    Raises
    ------
    ServiceMapError
        Naming the file (and line where there is one) for every problem listed in the
        module docstring.
    """
    path = Path(path)
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ServiceMapError(f"{path}: a {what} file must end in .toml or .json")
    text = _decode(path, _read_bytes(path, what, max_bytes), kind)
    try:
        data = tomllib.loads(text) if kind == "TOML" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ServiceMapError(f"{path}: not valid {kind} ({exc})") from None
    except RecursionError:
        raise ServiceMapError(
            f"{path}: nested too deeply to read (more than {max_depth} levels of tables or "
            "lists are not allowed)"
        ) from None
    except ValueError as exc:  # an integer longer than Python converts
        found = _long_number_line(text)
        if found is None:
            raise ServiceMapError(f"{path}: not valid {kind} ({exc})") from None
        line, digits = found
        raise ServiceMapError(
            f"{path}:{line}: a number with {digits:,} digits; no value here needs more than a "
            "few digits"
        ) from None
    depth = nesting_depth(data)
    if depth > max_depth:
        raise ServiceMapError(
            f"{path}: nested {depth} levels deep; at most {max_depth} levels of tables or "
            "lists are allowed"
        )
    if not isinstance(data, dict):
        raise ServiceMapError(f"{path}: expected a table/object at the top level")
    if (where := lone_surrogate(data)) is not None:
        raise ServiceMapError(
            f"{path}:{where}: holds a lone surrogate (a \\ud800-\\udfff escape that is half "
            "of a character); write the character itself"
        )
    return data


def read_scenario_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a scenario file with :func:`read_document` and check its number of changes.

    Raises
    ------
    ServiceMapError
        As :func:`read_document`, or when it holds more than
        :data:`~mapping.inputs.limits.MAX_SCENARIO_CHANGES` changes.
    """
    data = read_document(path, what="scenario")
    changes = data.get("change", data.get("changes", []))
    if isinstance(changes, list):
        check_scenario_size(len(changes), path)
    return data


# ---- numbers in text cells ------------------------------------------------------------------

# ASCII only: float() also takes Arabic-Indic, fullwidth and other scripts' digits,
# underscores ("5_3.9"), "inf" and "nan", none of which a user means as a coordinate.
_DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")


def parse_decimal(text: str) -> float | None:
    """A finite number written with ASCII digits (``-2.7``, ``53.76``, ``1e3``), else ``None``.

    Examples
    --------
    >>> [parse_decimal(t) for t in (" 53.818 ", "-3e0", "٥٣.٨١٨", "１６", "5_3", "nan")]
    [53.818, -3.0, None, None, None, None]
    """
    text = text.strip()
    if not _DECIMAL_RE.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


# ---- CSV ---------------------------------------------------------------------------------

_UTF8_BOM = _BOMS[0][0]
_CSV_SPECIAL = re.compile(r'[",\r\n]')


class CsvReadError(ServiceMapError):
    """A CSV file cannot be read past some point; ``problem`` says where and why."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def decode_csv(payload: bytes, label: str) -> str:
    """The text of a CSV file: UTF-8, with one optional UTF-8 byte-order mark removed.

    Spreadsheets save "CSV UTF-8" with a byte-order mark, so one is accepted; a second
    (a file saved "with BOM" twice) or a UTF-16 one would otherwise end up in the first
    column's name and be reported as a missing column.

    Raises
    ------
    CsvReadError
        ``label:1:-:`` for a doubled or UTF-16 byte-order mark, ``label:0:-:`` naming the
        byte and line that are not UTF-8.
    """
    body = payload[len(_UTF8_BOM) :] if payload.startswith(_UTF8_BOM) else payload
    if body.startswith(_UTF8_BOM):
        raise CsvReadError(
            Problem(
                label,
                1,
                "-",
                "the file starts with two UTF-8 byte-order marks (BOM, bytes EF BB BF EF BB "
                "BF): it was saved 'with BOM' twice. Save it as UTF-8 (one BOM at most).",
            )
        )
    for mark, described in _BOMS[1:]:
        if body.startswith(mark):
            raise CsvReadError(
                Problem(label, 1, "-", f"the file starts with {described}; save it as UTF-8")
            )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise CsvReadError(
            Problem(
                label,
                0,
                "-",
                f"not UTF-8 text (byte 0x{body[exc.start]:02x} on line {line}); save it as UTF-8",
            )
        ) from None


def _line_offset(text: str, line: int) -> int:
    """Offset in ``text`` of line ``line`` (1-based), counting lines as ``csv`` does."""
    offset = 0
    for number, content in enumerate(io.StringIO(text, newline=""), start=1):
        if number == line:
            return offset
        offset += len(content)
    return offset


def _long_cell(text: str, start: int, limit: int) -> tuple[int, int] | None:
    """``(column index, length)`` of the first cell over ``limit`` characters in the
    record starting at ``start`` (the default dialect: ``,`` and ``"``), or ``None``."""
    column, length, i, n = 0, 0, start, len(text)
    while True:
        match = _CSV_SPECIAL.search(text, i)
        end = n if match is None else match.start()
        length += end - i
        char = "" if match is None else match.group()
        if char == '"':  # a quoted part, to its closing quote ("" is a quote inside it)
            i = end + 1
            while True:
                j = text.find('"', i)
                if j == -1:
                    length, i = length + n - i, n
                    break
                length += j - i
                if text.startswith('"', j + 1):
                    length, i = length + 1, j + 2
                    continue
                i = j + 1
                break
            continue
        if length > limit:
            return column, length
        if char != ",":
            return None  # the record ended with no cell over the limit
        column, length, i = column + 1, 0, end + 1


def csv_rows(text: str, label: str) -> tuple[list[tuple[int, list[str]]], Problem | None]:
    """Parse CSV text into ``(line, cells)`` rows, numbered as an editor shows them.

    A record spanning several lines (a quoted newline) takes the number of its first
    line. Parsing stops at the first malformed record: the rows before it are returned
    with a problem naming its line, and for a cell larger than ``csv`` allows (131,072
    characters, :data:`mapping.inputs.limits.MAX_CSV_CELL_CHARS`) its column too.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    next_line = 1
    try:
        for cells in reader:
            start, next_line = next_line, reader.line_num + 1
            rows.append((start, cells))
    except csv.Error as exc:
        limit = csv.field_size_limit()
        cell = _long_cell(text, _line_offset(text, next_line), limit)
        if "field larger than field limit" not in str(exc) or cell is None:
            message = f"malformed CSV ({exc}); later lines were not read"
            return rows, Problem(label, next_line, "-", message)
        column, length = cell
        header = next((c for _, c in rows if any(x.strip() for x in c)), None)
        name = (header[column].strip() if header and column < len(header) else "") or (
            f"column {column + 1}"
        )
        message = (
            f"a cell of {length:,} characters; a CSV cell may hold at most {limit:,} "
            "(a quote left open?); later lines were not read"
        )
        return rows, Problem(label, next_line, name, message)
    return rows, None


def read_csv_table(
    path: str | os.PathLike[str],
) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """Read a user's CSV file into its header and ``(line, cells)`` records.

    Returns
    -------
    tuple
        The first row (``None`` for an empty file) and the rows after it, numbered as
        an editor shows them (header = 1).

    Raises
    ------
    ServiceMapError
        ``file:row:field: message`` for a file that is missing, a folder, unreadable,
        not UTF-8, has a doubled or UTF-16 byte-order mark, or a malformed record (a cell
        over the size ``csv`` allows is named by its column).
    """
    path = Path(path)
    if os.path.lexists(path) and (unreadable := regular_file_problem(path, "CSV")) is not None:
        raise ServiceMapError(unreadable)
    try:
        payload = path.read_bytes()
    except FileNotFoundError:
        raise ServiceMapError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ServiceMapError(f"{path}: is a folder, not a CSV file") from None
    except NotADirectoryError:
        raise ServiceMapError(f"{path}: a parent in the path is a file, not a folder") from None
    except PermissionError:
        raise ServiceMapError(f"{path}: permission denied reading the file") from None
    except OSError as exc:
        raise ServiceMapError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    rows, problem = csv_rows(decode_csv(payload, str(path)), str(path))
    if problem is not None:
        raise CsvReadError(problem)
    if not rows:
        return None, []
    return rows[0][1], rows[1:]
