"""Write one table as CSV or XLSX, formula-safe, atomically, with attribution beside it."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mapping import ATTRIBUTION, __version__, formats
from mapping.errors import ServiceMapError
from mapping.safety import neutralise_formula, safe_frame
from mapping.store import atomic_path


def tabular(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` as a flat table: sequences joined with ``;``, geometry as WKT."""
    out = pd.DataFrame(df).copy()
    for column in out.columns:
        series = out[column]
        if hasattr(series, "to_wkt") or str(series.dtype) == "geometry":
            out[column] = series.to_wkt() if hasattr(series, "to_wkt") else series.astype(str)
        else:
            out[column] = join_sequences(series)
    return pd.DataFrame(out)


def join_sequences(series: pd.Series) -> pd.Series:
    """Join tuple cells with ``;``: the register's list fields, as in its CSV file."""
    if not pd.api.types.is_object_dtype(series.dtype):
        return series
    return series.map(
        lambda v: (
            ";".join(str(x) for x in v) if isinstance(v, tuple | list | set | frozenset) else v
        )
    )


def add_minutes_band(
    frame: pd.DataFrame, minutes: str = "mean_minutes", band: str = "minutes_band"
) -> pd.DataFrame:
    """Insert ``band`` after ``minutes``: its class of :func:`mapping.formats.minute_classes`.

    The label (``30–45 min``, ``over 90 min``, ``no open service``) is the class the app
    map and the HTML report shade the same minutes with. ``frame`` is changed in place.
    """
    if minutes in frame.columns and band not in frame.columns:
        labels = formats.minute_classes().label(frame[minutes])
        frame.insert(frame.columns.get_loc(minutes) + 1, band, labels)
    return frame


def attribution_text() -> str:
    return "\n".join(ATTRIBUTION)


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _readme_for_table(path: Path, rows: int, generated_at: str) -> str:
    return (
        f"{path.name}\n{'=' * len(path.name)}\n\n"
        f"A table of {rows:,} rows written by lancashire-service-map {__version__} "
        f"(mapping.outputs.export) at {generated_at}.\n"
        "Text cells that a spreadsheet could read as a formula start with a single quote (').\n"
        "\nAttribution (Open Government Licence v3.0)\n"
        "------------------------------------------\n"
        f"{attribution_text()}\n"
    )


def write_table(table: pd.DataFrame, path: str | os.PathLike[str]) -> list[Path]:
    """Write a table as CSV or XLSX (by extension), atomically and formula-safe.

    Where the attribution goes
        A CSV file stays a plain rectangular table whose first line is the header, so
        ``pandas.read_csv``, R's ``read.csv``, csvkit and spreadsheets read it without
        options; a leading ``#`` comment block would break them (and ``comment="#"``
        would also cut any cell containing ``#``). Its attribution and provenance go
        into a sibling ``<stem>.README.txt`` written with it, the convention of
        published open data (and of ``export_all``, whose folder carries one
        ``README.txt`` for all its CSV files). An XLSX workbook carries them itself, in
        a ``README`` sheet after the data sheet.

    Parameters
    ----------
    table
        The table; a GeoDataFrame's geometry is written as WKT, tuple cells (the
        register's list fields) as ``;``-separated text. The index is not written.
    path
        Destination ending in ``.csv`` or ``.xlsx``.

    Returns
    -------
    list of Path
        The files written: the table, then (for CSV) its README.

    Raises
    ------
    ServiceMapError
        For any other extension.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ServiceMapError(
            f"{path}: cannot write a table as {suffix or 'a file without extension'!r}; "
            "use a name ending in .csv or .xlsx"
        )
    generated_at = now_utc()
    frame = safe_frame(tabular(table))
    if suffix == ".csv":
        readme = path.with_name(f"{path.stem}.README.txt")
        with atomic_path(readme) as tmp:
            tmp.write_text(_readme_for_table(path, len(frame), generated_at), encoding="utf-8")
        with atomic_path(path) as tmp:
            write_csv(frame, tmp)
        return [path, readme]
    sheet = sheet_name(path.stem, {"README"})
    readme_rows: list[list[Any]] = [
        ["About this workbook"],
        ["table", sheet],
        ["rows", len(frame)],
        ["software", f"lancashire-service-map {__version__}"],
        ["generated at (UTC)", generated_at],
        ["formulas", "text cells that look like formulas start with a single quote (')"],
        [],
        ["Attribution (Open Government Licence v3.0)"],
        *[[line] for line in ATTRIBUTION],
    ]
    with atomic_path(path) as tmp:
        write_workbook([(sheet, frame)], readme_rows, tmp, False)
    return [path]


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write an already safe frame as UTF-8 CSV (no index, ``\\n`` line ends)."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


_SHEET_MAX = 31


def sheet_name(name: str, used: set[str]) -> str:
    """Return a valid, unused Excel sheet name (≤ 31 characters, no ``[]:*?/\\``)."""
    base = _SHEET_BAD.sub("_", name).strip("'") or "sheet"
    candidate = base[:_SHEET_MAX]
    n = 2
    while candidate.lower() in {u.lower() for u in used}:
        tag = f"_{n}"
        candidate = base[: _SHEET_MAX - len(tag)] + tag
        n += 1
    used.add(candidate)
    return candidate


#: Characters an XLSX cell cannot hold (XML 1.0 control characters).
_ILLEGAL_XML = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
#: The most characters Excel shows in one cell.
_CELL_MAX = 32_767


def _text_cell(value: Any) -> str:
    """A text cell: characters XLSX cannot hold removed, formula-safe, within Excel's limit."""
    text = neutralise_formula(_ILLEGAL_XML.sub("", str(value)))
    return text if len(text) <= _CELL_MAX else text[: _CELL_MAX - 1] + "…"


def _cell_value(value: Any) -> Any:
    """Convert a pandas/numpy value to what an XLSX cell holds, formula-safe."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # Excel has no NaN or infinity; an empty cell reads as missing
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, bool | int | float | date):
        return value
    # Strip characters XLSX cannot hold first, then neutralise what is left.
    return _text_cell(value)


def _column_cells(series: pd.Series) -> list[Any]:
    """One column's cells (:func:`_cell_value`), converted a column at a time where it can."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        return [_cell_value(v) for v in series.tolist()]
    values = series.to_numpy(dtype=float, na_value=np.nan)
    integers = pd.api.types.is_integer_dtype(dtype)
    return [
        (int(v) if integers else float(v)) if math.isfinite(v) else None for v in values.tolist()
    ]


def _writer(sheet: Any, cell_format: Any) -> Any:
    """Write one converted cell with the method for its type (never a formula or URL)."""

    def write(row: int, column: int, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, str):
            sheet.write_string(row, column, value)
        elif isinstance(value, bool):
            sheet.write_boolean(row, column, value)
        elif isinstance(value, int | float):
            sheet.write_number(row, column, value, cell_format)
        elif isinstance(value, datetime | date):
            sheet.write_datetime(row, column, value)
        else:  # pragma: no cover - _cell_value returns only the types above
            sheet.write_string(row, column, _text_cell(value))

    return write


def write_workbook(
    sheets: Sequence[tuple[str, pd.DataFrame]],
    readme_rows: Sequence[Sequence[Any]],
    path: Path,
    readme_first: bool,
    column_formats: Mapping[str, str] | None = None,
) -> None:
    """Write data sheets and a README sheet into one workbook, streamed row by row.

    XlsxWriter writes each cell with the method for its type: a string is always a text
    cell (never a formula, number or link, whatever it looks like), and is neutralised
    besides (:func:`mapping.safety.neutralise_formula`). ``column_formats`` gives a
    number format by column heading (``"#,##0"``); without it, ``share_`` columns show
    as percentages.
    """
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,  # rows go to disk as they are written
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    bold = workbook.add_format({"bold": True})
    share = workbook.add_format({"num_format": "0.0%"})
    chosen = {
        column: workbook.add_format({"num_format": spec})
        for column, spec in (column_formats or {}).items()
    }

    def _column_format(column: Any) -> Any:
        if column_formats is not None:
            return chosen.get(str(column))
        return share if str(column).startswith("share_") else None

    def add_readme() -> None:
        sheet = workbook.add_worksheet("README")
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, 1, 70)
        sheet.set_column(2, 2, 66)
        write = _writer(sheet, None)
        for r, row in enumerate(readme_rows):
            cells = [_cell_value(v) for v in row]
            if len(cells) == 1 and isinstance(cells[0], str):
                sheet.write_string(r, 0, cells[0], bold)
            else:
                for c, value in enumerate(cells):
                    write(r, c, value)

    if readme_first:
        add_readme()
    for name, frame in sheets:
        sheet = workbook.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        for c, column in enumerate(frame.columns):
            sheet.set_column(c, c, min(max(10, len(str(column)) + 2), 40))
            sheet.write_string(0, c, _text_cell(column), bold)
        columns = [_column_cells(frame[column]) for column in frame.columns]
        writers = [_writer(sheet, _column_format(column)) for column in frame.columns]
        for r, row in enumerate(zip(*columns, strict=True), start=1):
            for c, value in enumerate(row):
                writers[c](r, c, value)
    if not readme_first:
        add_readme()
    workbook.close()
