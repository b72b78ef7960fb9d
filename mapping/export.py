"""Exports: tables (CSV, XLSX), GIS layers (GeoPackage, GeoParquet) and an HTML report.

Everything a commissioner or researcher takes away leaves through this module, so the
rules every export must keep are enforced here, once:

Privacy
    Only :func:`mapping.services.public_view` of the study's *effective* register is
    exported. Confidential services (refuges, safe houses) have no coordinates in any
    file; on maps and GIS layers they appear only as a count on their council-area
    polygon. :func:`_assert_public` checks this again just before anything is written.
Formula safety
    A text cell beginning with ``=``, ``+``, ``-`` or ``@`` (also after leading
    whitespace), or with a tab or carriage return, is prefixed with ``'`` so a
    spreadsheet shows it as text (OWASP "CSV injection"). Numbers are never touched.
Attribution
    Every file carries the OS, Royal Mail and ONS attribution of
    :data:`mapping.ATTRIBUTION`: a README sheet in workbooks, a footer in the HTML
    report, file metadata in GeoPackage and GeoParquet, and a README text file beside
    CSVs (see :func:`write_table` for why not inside them).
Atomicity
    :func:`write_table` writes through :func:`mapping.store.atomic_path`;
    :func:`export_all` builds the whole export in a hidden folder beside the target and
    renames it into place only when complete, so an interrupted export never leaves a
    half-written folder, and a previous export stays intact until the new one is whole.
"""

from __future__ import annotations

import contextlib
import html
import json
import math
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from mapping import ATTRIBUTION, __version__
from mapping.coverage import DEFAULT_THRESHOLDS, NAMED_SLOTS, TimeSlot, resolve_slot
from mapping.errors import ServiceMapError
from mapping.store import atomic_path, pid_alive, sha256_file

if TYPE_CHECKING:
    import geopandas as gpd

    from mapping.coverage import Study
    from mapping.sources import Sources

__all__ = [
    "DEFAULT_AGE_BANDS",
    "DEFAULT_CATEGORIES",
    "HEADLINE_SLOTS",
    "ExportReport",
    "ExportedFile",
    "export_all",
    "neutralise_formula",
    "safe_frame",
    "write_table",
]

#: Categories exported by default: the SARC question plus the main commissioned services.
DEFAULT_CATEGORIES: tuple[str, ...] = (
    "sarc",
    "idva",
    "isva",
    "da_outreach",
    "young_people",
    "multi_crime_hub",
)
#: Census age band whose population a category's coverage is weighted by (and whose
#: ages its services must overlap); categories not listed serve everybody.
DEFAULT_AGE_BANDS: Mapping[str, str] = {"young_people": "age_0_15"}
#: The two slots the maps, GIS layers and headline figures compare.
HEADLINE_SLOTS: tuple[str, str] = ("weekday daytime", "weekend night")

_LEVELS: tuple[str, ...] = ("district", "ward", "lsoa")
_GENERATOR = "mapping.export"
_TMP_SUFFIX = ".exporting"
_OLD_SUFFIX = ".replaced"

# ---- formula safety -----------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@")
# Tab and carriage return start a cell that some spreadsheets re-parse (OWASP).
_CONTROL_START = ("\t", "\r")

_T = TypeVar("_T")


def neutralise_formula(value: _T) -> _T | str:
    """Return ``value`` made safe to open in a spreadsheet.

    A string that a spreadsheet could evaluate as a formula (first character ``=``,
    ``+``, ``-`` or ``@``, also after leading whitespace, or a leading tab or carriage
    return) is prefixed with a single quote ``'`` so it is shown as text. Anything that
    is not a string (numbers, including negative ones; dates; missing values) is
    returned unchanged, and so is an already neutralised string.

    Parameters
    ----------
    value
        A cell value.

    Returns
    -------
    object
        ``value`` itself, or ``"'" + value`` for a formula-like string.

    Examples
    --------
    >>> neutralise_formula('=HYPERLINK("x")')
    '\\'=HYPERLINK("x")'
    >>> neutralise_formula(-5)
    -5
    """
    if not isinstance(value, str):
        return value
    if value.startswith(_CONTROL_START) or value.lstrip().startswith(_FORMULA_START):
        return "'" + value
    return value


def _is_text_column(series: pd.Series) -> bool:
    dtype = series.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with every text cell and column name neutralised.

    See :func:`neutralise_formula`. Numeric, boolean, date and geometry columns are left
    as they are; text columns keep their missing values.

    Parameters
    ----------
    df
        Any table (a GeoDataFrame stays one).

    Returns
    -------
    pandas.DataFrame
        A new frame of the same type.
    """
    out = df.copy()
    geometry_name = getattr(out, "_geometry_column_name", None)
    for column in out.columns:
        if column == geometry_name or not _is_text_column(out[column]):
            continue
        values = out[column].astype(object)
        out[column] = values.map(neutralise_formula, na_action="ignore")
    renamed = {c: neutralise_formula(c) for c in out.columns if isinstance(c, str)}
    renamed = {old: new for old, new in renamed.items() if old != new}
    if renamed:
        if geometry_name in renamed:
            raise ServiceMapError(f"geometry column {geometry_name!r} looks like a formula")
        out = out.rename(columns=renamed)
    return out


def _tabular(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` as a flat table: sequences joined with ``;``, geometry as WKT."""
    out = pd.DataFrame(df).copy()
    for column in out.columns:
        series = out[column]
        if hasattr(series, "to_wkt") or str(series.dtype) == "geometry":
            out[column] = series.to_wkt() if hasattr(series, "to_wkt") else series.astype(str)
        else:
            out[column] = _join_sequences(series)
    return pd.DataFrame(out)


def _join_sequences(series: pd.Series) -> pd.Series:
    """Join tuple cells with ``;``: the register's list fields, as in its CSV file."""
    if not pd.api.types.is_object_dtype(series.dtype):
        return series
    return series.map(
        lambda v: (
            ";".join(str(x) for x in v) if isinstance(v, tuple | list | set | frozenset) else v
        )
    )


# ---- single tables ------------------------------------------------------------------


def _attribution_text() -> str:
    return "\n".join(ATTRIBUTION)


def _now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _readme_for_table(path: Path, rows: int, generated_at: str) -> str:
    return (
        f"{path.name}\n{'=' * len(path.name)}\n\n"
        f"A table of {rows:,} rows written by lancashire-service-map {__version__} "
        f"(mapping.export) at {generated_at}.\n"
        "Text cells that a spreadsheet could read as a formula start with a single quote (').\n"
        "\nAttribution (Open Government Licence v3.0)\n"
        "------------------------------------------\n"
        f"{_attribution_text()}\n"
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
    generated_at = _now_utc()
    frame = safe_frame(_tabular(table))
    if suffix == ".csv":
        readme = path.with_name(f"{path.stem}.README.txt")
        with atomic_path(readme) as tmp:
            tmp.write_text(_readme_for_table(path, len(frame), generated_at), encoding="utf-8")
        with atomic_path(path) as tmp:
            _write_csv(frame, tmp)
        return [path, readme]
    sheet = _sheet_name(path.stem, {"README"})
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
        _write_workbook([(sheet, frame)], readme_rows, tmp, False)
    return [path]


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write an already safe frame as UTF-8 CSV (no index, ``\\n`` line ends)."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


# ---- XLSX ---------------------------------------------------------------------------

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_SHEET_MAX = 31


def _sheet_name(name: str, used: set[str]) -> str:
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


def _cell_value(value: Any) -> Any:
    """Convert a pandas/numpy value to what openpyxl writes, formula-safe."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

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
    return neutralise_formula(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _write_workbook(
    sheets: Sequence[tuple[str, pd.DataFrame]],
    readme_rows: Sequence[Sequence[Any]],
    path: Path,
    readme_first: bool,
) -> None:
    """Write data sheets and a README sheet into one workbook (write-only, streamed)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def add_readme() -> None:
        sheet = workbook.create_sheet("README")
        sheet.column_dimensions["A"].width = 34
        sheet.column_dimensions["B"].width = 70
        sheet.column_dimensions["C"].width = 66
        for row in readme_rows:
            cells = [_cell_value(v) for v in row]
            if len(cells) == 1 and isinstance(cells[0], str):
                header = WriteOnlyCell(sheet, value=cells[0])
                header.font = bold
                sheet.append([header])
            else:
                sheet.append(cells)

    if readme_first:
        add_readme()
    for name, frame in sheets:
        sheet = workbook.create_sheet(name)
        sheet.freeze_panes = "A2"
        columns = list(frame.columns)
        for i, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(
                max(10, len(str(column)) + 2), 40
            )
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=_cell_value(str(column)))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        shares = [str(c).startswith("share_") for c in columns]
        for row in frame.itertuples(index=False, name=None):
            values = []
            for value, is_share in zip(row, shares, strict=True):
                value = _cell_value(value)
                if is_share and isinstance(value, float):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "0.0%"
                    values.append(cell)
                else:
                    values.append(value)
            sheet.append(values)
    if not readme_first:
        add_readme()
    workbook.save(path)


# ---- export report ------------------------------------------------------------------


@dataclass(frozen=True)
class ExportedFile:
    """One file of an export: its path inside the folder, what it is and its checksum."""

    path: str
    kind: str
    description: str
    sha256: str
    bytes: int


@dataclass
class ExportReport:
    """What :func:`export_all` wrote.

    Attributes
    ----------
    out_dir
        The export folder.
    files
        Every file, ``manifest.json`` last (its own checksum cannot be inside it, so
        its ``sha256`` here is computed after writing).
    generated_at
        UTC ISO time stamp recorded in every file.
    seconds
        Wall time of the export.
    notes
        Anything a reader should know (a table not available, sources not verified).
    """

    out_dir: Path
    files: list[ExportedFile] = field(default_factory=list)
    generated_at: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        """Total size of the export."""
        return sum(f.bytes for f in self.files)

    @property
    def paths(self) -> list[Path]:
        """Absolute paths of the files written."""
        return [self.out_dir / f.path for f in self.files]


@dataclass(frozen=True)
class _Table:
    name: str
    sheet: str
    description: str
    frame: pd.DataFrame


@dataclass
class _Context:
    """Facts every part of the export repeats: parameters, provenance, notes."""

    generated_at: str
    network_source: str
    parameters: list[tuple[str, str]]
    slots: list[tuple[str, str, str]]
    network: list[tuple[str, str]]
    sources: list[tuple[str, str, str, str]]
    software: list[tuple[str, str]]
    method: list[str]
    notes: list[str]


# ---- the export ---------------------------------------------------------------------


def export_all(
    study: Study,
    out_dir: str | os.PathLike[str],
    *,
    scenario: Any = None,
    categories: Iterable[str] = DEFAULT_CATEGORIES,
    slots: Iterable[str | TimeSlot] = NAMED_SLOTS,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    age_bands: Mapping[str, str | None] | None = None,
    sources: Sources | str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> ExportReport:
    """Write every table, a workbook, GIS layers and an HTML report into ``out_dir``.

    The export is built in a hidden folder beside ``out_dir`` and renamed into place
    when complete. An existing ``out_dir`` is replaced only if it is empty or holds a
    previous export (its ``manifest.json``); any other folder is refused, so a mistyped
    ``--out`` never deletes unrelated files.

    Files written (``<cat>``: each category, ``<level>``: district, ward, lsoa):

    - ``coverage_<cat>_<level>.csv``: :meth:`Study.compare_slots` at every slot;
    - ``sarc_access.csv``: :meth:`Study.sarc_access` at every slot;
    - ``gap_register.csv``: :func:`mapping.gaps.evaluate`;
    - ``services.csv``: the public register; ``services_not_routed.csv``: services the
      travel engine cannot route to, and why;
    - ``scenario_by_area.csv``, ``scenario_totals.csv``, ``scenario_gaps.csv`` when a
      scenario is given;
    - ``coverage.xlsx``: a README sheet, then one sheet per table;
    - ``coverage.gpkg`` (layers ``council_areas``, ``wards``, ``lsoas``, ``services``,
      ``confidential_provision_by_district``) and the same as GeoParquet
      (``coverage_district.parquet``, ``coverage_ward.parquet``,
      ``coverage_lsoa.parquet``, ``services.parquet``,
      ``confidential_provision_by_district.parquet``), EPSG:27700;
    - ``report.html``, ``README.txt`` and ``manifest.json`` (every other file's sha256).

    Parameters
    ----------
    study
        The loaded study; its effective register (what-if changes applied) is used.
        Coverage tables describe this study; a ``scenario`` is compared against it.
    out_dir
        Export folder.
    scenario
        A scenario file (TOML/JSON) or a loaded scenario for
        :func:`mapping.scenarios.compare`.
    categories
        Service categories for the coverage tables.
    slots
        Times of week (names or ``"Sat 02:00"``) for the coverage and SARC tables.
    thresholds
        Minutes for the ``share_within_<t>`` columns.
    age_bands
        ``{category: census age band}`` weighting a category by that band's population
        (and keeping its services that overlap the band); default
        :data:`DEFAULT_AGE_BANDS`. Other categories: everybody, no age filter.
    sources
        Raw sources folder for the data-source checksums (found when omitted).
    progress
        Show a progress bar on stderr.

    Returns
    -------
    ExportReport
        The files written, with their checksums and sizes.

    Raises
    ------
    ServiceMapError
        For an unknown category, age band or slot, or an ``out_dir`` that is a file or
        a non-empty folder that is not a previous export.
    """
    from mapping import services as services_mod
    from mapping.geography import AGE_BANDS

    started = time.perf_counter()
    out = Path(out_dir).expanduser().resolve()
    categories = tuple(dict.fromkeys(categories))
    unknown = [c for c in categories if c not in services_mod.CATEGORIES]
    if unknown or not categories:
        raise ServiceMapError(
            f"unknown service category {', '.join(map(repr, unknown)) or '(none given)'}: "
            f"use {', '.join(services_mod.CATEGORIES)}"
        )
    bands = dict(DEFAULT_AGE_BANDS if age_bands is None else age_bands)
    for category, band in bands.items():
        if band is not None and band not in AGE_BANDS:
            raise ServiceMapError(
                f"unknown age band {band!r} for {category}: use one of {', '.join(AGE_BANDS)}"
            )
    slot_list = list(dict.fromkeys(resolve_slot(s) for s in slots))
    if not slot_list:
        raise ServiceMapError("export needs at least one time slot")
    thresholds = tuple(thresholds)
    if not thresholds or any(not t > 0 for t in thresholds):
        raise ServiceMapError(f"thresholds must be positive minutes, got {thresholds!r}")
    _check_target(out)
    _remove_stale_temporaries(out)

    steps = len(categories) * len(_LEVELS) + 8
    bar = _progress(steps, progress)
    tmp = Path(
        tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=_TMP_SUFFIX, dir=out.parent)
    )
    try:
        report = ExportReport(out_dir=out, generated_at=_now_utc())
        tables, context, extras = _collect(
            study, scenario, categories, slot_list, thresholds, bands, sources, report, bar
        )
        written: list[ExportedFile] = []

        def record(name: str, kind: str, description: str) -> None:
            path = tmp / name
            written.append(
                ExportedFile(name, kind, description, sha256_file(path), path.stat().st_size)
            )

        used: set[str] = {"README"}
        sheets = [(_sheet_name(t.sheet, used), t) for t in tables]
        safe = {t.name: safe_frame(_tabular(t.frame)) for t in tables}
        for table in tables:
            _write_csv(safe[table.name], tmp / f"{table.name}.csv")
            record(f"{table.name}.csv", "csv", table.description)
        bar.update(1)
        _write_workbook(
            [(sheet, safe[t.name]) for sheet, t in sheets],
            _readme_rows(context, sheets),
            tmp / "coverage.xlsx",
            True,
        )
        record("coverage.xlsx", "xlsx", "All tables, one sheet each, after a README sheet")
        bar.update(1)
        for name, kind, description in _write_layers(tmp, extras, context):
            record(name, kind, description)
        bar.update(1)
        (tmp / "report.html").write_text(_report_html(context, extras), encoding="utf-8")
        record("report.html", "html", "Self-contained HTML report with the map")
        bar.update(1)
        (tmp / "README.txt").write_text(_readme_text(context, written), encoding="utf-8")
        record("README.txt", "txt", "What each file is, parameters, sources and attribution")
        manifest = _manifest(context, written)
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        record("manifest.json", "json", "Every other file with its sha256")
        _fsync_tree(tmp)
        _swap_into_place(tmp, out)
        bar.update(1)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        bar.close()
    report.files = written
    report.notes = context.notes
    report.seconds = time.perf_counter() - started
    return report


class _NoBar:
    def update(self, n: int = 1) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""


def _progress(total: int, show: bool) -> Any:
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="export", unit="step", file=sys.stderr)


# ---- target folder ------------------------------------------------------------------


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ServiceMapError(f"{out}: exists and is not a folder; choose a folder to export to")
    if out.is_dir() and any(out.iterdir()) and not _is_previous_export(out):
        raise ServiceMapError(
            f"{out}: folder is not empty and holds no previous export (manifest.json); "
            "choose a new or empty folder so no unrelated file is replaced"
        )
    out.parent.mkdir(parents=True, exist_ok=True)


def _is_previous_export(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("generator") == _GENERATOR


def _pid_of(name: str) -> int | None:
    match = re.search(r"\.(\d+)\.[^.]+(?:\.exporting|\.replaced)$", name)
    return int(match.group(1)) if match else None


def _remove_stale_temporaries(out: Path) -> None:
    """Delete hidden folders left beside ``out`` by exports killed outright."""
    if not out.parent.is_dir():
        return
    for suffix in (_TMP_SUFFIX, _OLD_SUFFIX):
        for path in out.parent.glob(f".{_glob_escape(out.name)}.*{suffix}"):
            pid = _pid_of(path.name)
            if path.is_dir() and pid is not None and not pid_alive(pid):
                shutil.rmtree(path, ignore_errors=True)


def _glob_escape(text: str) -> str:
    """Escape glob metacharacters in a file name."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def _fsync_tree(folder: Path) -> None:
    """Flush the new files to disk before the rename makes them the export."""
    for path in folder.iterdir():
        with contextlib.suppress(OSError), open(path, "rb") as handle:
            os.fsync(handle.fileno())


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename the finished ``tmp`` folder onto ``out``, keeping ``out`` until then.

    POSIX cannot swap two directories in one rename, so an existing export is first
    renamed aside, the new one renamed into place, and the old one deleted; if the
    second rename fails the old export is put back.
    """
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        os.replace(tmp, out)
        return
    old = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}{_OLD_SUFFIX}")
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


# ---- computing the tables -----------------------------------------------------------


def _age_label(band: str | None) -> str:
    return "all ages" if band is None else band


def _collect(
    study: Study,
    scenario: Any,
    categories: tuple[str, ...],
    slots: list[TimeSlot],
    thresholds: tuple[float, ...],
    bands: dict[str, str | None],
    sources: Any,
    report: ExportReport,
    bar: Any,
) -> tuple[list[_Table], _Context, dict[str, Any]]:
    """Compute every table and the facts the README, report and manifest repeat."""
    from mapping import geography
    from mapping.services import public_view, rule_confidence

    notes: list[str] = []
    tables: list[_Table] = []
    slot_text = ", ".join(f"{s.name} ({s.at})" for s in slots)

    sarc = study.sarc_access(slots)
    tables.append(
        _Table(
            "sarc_access",
            "sarc_access",
            "Nearest open SARC per council area and slot: where it is (Preston, "
            "Manchester, Cumbria, other), drive minutes, people beyond 60/90 minutes",
            sarc,
        )
    )
    gaps = _gap_register(study)
    tables.append(_Table("gap_register", "gap_register", "Gap register: rules evaluated", gaps))
    bar.update(1)

    coverage: dict[tuple[str, str], pd.DataFrame] = {}
    for category in categories:
        band = bands.get(category)
        for level in _LEVELS:
            frame = study.compare_slots(
                category, slots, level, age_band=band, thresholds=thresholds
            )
            frame.insert(2, "category", category)
            frame.insert(3, "age_band", _age_label(band))
            coverage[(category, level)] = frame
            tables.append(
                _Table(
                    f"coverage_{category}_{level}",
                    f"{category}_{level}",
                    f"Coverage of {category} services by {level} at {slot_text}; "
                    f"population: {_age_label(band)}",
                    frame,
                )
            )
            bar.update(1)

    register = public_view(study.effective_register())
    _assert_public(register)
    services_table = pd.DataFrame(register.drop(columns=register.geometry.name))
    # Every row says how firm it is; what-if sites carry no recorded confidence.
    derived = [
        rule_confidence(p, b)
        for p, b in zip(
            services_table["location_precision"], services_table["hours_basis"], strict=True
        )
    ]
    recorded = services_table.get("confidence", pd.Series(pd.NA, index=services_table.index))
    services_table["confidence"] = recorded.where(recorded.notna(), derived)
    tables.append(
        _Table(
            "services",
            "services",
            "Services register (public view: confidential services have no address, "
            "postcode or coordinates); confidence high/medium/low per data/README.md",
            services_table,
        )
    )
    skipped = getattr(study.engine, "skipped", None)
    if isinstance(skipped, pd.DataFrame):
        tables.append(
            _Table(
                "services_not_routed",
                "services_not_routed",
                "Services the travel engine cannot route to (no site, confidential, off "
                "the road network), with the reason",
                skipped.copy(),
            )
        )
    scenario_info: dict[str, str] = {}
    if scenario is not None:
        scenario_info, scenario_tables = _scenario_tables(
            study, scenario, categories, slots, thresholds, bands, sources
        )
        tables.extend(scenario_tables)
    bar.update(1)

    headline = [resolve_slot(s) for s in HEADLINE_SLOTS]
    headline_sarc = (
        sarc
        if all(s in slots for s in headline)
        else study.sarc_access([*headline, *[s for s in slots if s not in headline]])
    )
    areas = geography.load_council_areas(study.data_dir)
    wards = geography.load_wards(study.data_dir)
    lsoas = geography.load_lsoas(study.data_dir)
    layers = _layers(study, areas, wards, lsoas, headline, thresholds, register)
    bar.update(1)

    context = _Context(
        generated_at=report.generated_at,
        network_source=study.network_source,
        parameters=_parameters(
            study, categories, slots, thresholds, bands, headline, scenario_info
        ),
        slots=[(s.name, s.at, _profile(s)) for s in slots],
        network=_network_facts(study),
        sources=_source_facts(study, sources, notes),
        software=_software(),
        method=_method_notes(study, bands),
        notes=notes,
    )
    extras = {
        "sarc": sarc,
        "headline_sarc": headline_sarc,
        "headline": headline,
        "gaps": gaps,
        "coverage": coverage,
        "register": register,
        "areas": areas,
        "layers": layers,
        "scenario_tables": [t for t in tables if t.name.startswith("scenario_")],
        "scenario_name": scenario_info.get("name"),
    }
    return tables, context, extras


def _gap_register(study: Study) -> pd.DataFrame:
    from mapping import gaps

    return gaps.evaluate(study)


def _scenario_tables(
    study: Study,
    scenario: Any,
    categories: tuple[str, ...],
    slots: list[TimeSlot],
    thresholds: tuple[float, ...],
    bands: dict[str, str | None],
    sources: Any,
) -> tuple[dict[str, str], list[_Table]]:
    """Baseline against scenario for every category, by council area and slot."""
    from mapping import scenarios

    loaded = (
        scenarios.load_scenario(Path(scenario))
        if isinstance(scenario, str | os.PathLike)
        else scenario
    )
    name = str(getattr(loaded, "name", None) or "scenario")
    info = {
        "name": name,
        "description": str(getattr(loaded, "description", "") or ""),
        "source": str(getattr(loaded, "source", "") or ""),
    }
    threshold = 60.0 if 60 in thresholds else float(max(thresholds))
    by_area, totals = [], []
    gaps = None
    for i, category in enumerate(categories):
        band = bands.get(category)
        result = scenarios.compare(
            study,
            loaded,
            category=category,
            slots=slots,
            by="district",
            threshold=threshold,
            age_band=band,
            sources=sources,
        )
        for frame, into in ((result.by_area, by_area), (result.totals, totals)):
            frame = frame.copy()
            frame.insert(2, "category", category)
            frame.insert(3, "age_band", _age_label(band))
            into.append(frame)
        if i == 0:
            gaps = result.gaps  # the same for every category: the register's gaps
    slot_text = ", ".join(s.at for s in slots)
    tables = [
        _Table(
            "scenario_by_area",
            "scenario_by_area",
            f"Scenario {name!r} against baseline by council area, category and slot "
            f"({slot_text}); within = {threshold:g} minutes",
            pd.concat(by_area, ignore_index=True),
        ),
        _Table(
            "scenario_totals",
            "scenario_totals",
            f"Scenario {name!r} against baseline, Lancashire totals by category and slot",
            pd.concat(totals, ignore_index=True),
        ),
    ]
    if isinstance(gaps, pd.DataFrame):
        tables.append(
            _Table(
                "scenario_gaps",
                "scenario_gaps",
                f"Gaps the scenario {name!r} resolves, creates or changes",
                gaps,
            )
        )
    return info, tables


def _secret(register: pd.DataFrame) -> pd.Series:
    """Confidential rows; a missing flag (a what-if site) is not confidential."""
    flags = register["confidential"].astype(object)
    return flags.map(lambda v: str(v).strip().lower() in ("true", "1", "yes")).astype(bool)


def _assert_public(register: pd.DataFrame) -> None:
    """Refuse to export a register in which a confidential record has a location."""
    secret = _secret(register).to_numpy()
    located = np.zeros(len(register), dtype=bool)
    for name in ("lat", "lon"):
        if name in register.columns:
            located |= pd.to_numeric(register[name], errors="coerce").notna().to_numpy()
    for name in ("postcode", "address"):
        if name in register.columns:
            located |= register[name].notna().to_numpy()
    if hasattr(register, "geometry"):
        geometry = register.geometry
        located |= (geometry.notna() & ~geometry.is_empty).to_numpy()
    leaked = register.loc[secret & located, "id"].tolist()
    if leaked:
        raise ServiceMapError(
            f"refusing to export: confidential service(s) {', '.join(leaked)} carry a location"
        )


def _profile(slot: TimeSlot) -> str:
    from mapping.hours import parse_when
    from mapping.network.profiles import profile_for

    return profile_for(parse_when(slot.at))


# ---- GIS layers ---------------------------------------------------------------------


def _slot_key(slot: TimeSlot) -> str:
    return re.sub(r"[^a-z0-9]+", "_", slot.name.lower()).strip("_")


def _layers(
    study: Study,
    areas: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    lsoas: gpd.GeoDataFrame,
    headline: list[TimeSlot],
    thresholds: tuple[float, ...],
    register: gpd.GeoDataFrame,
) -> dict[str, gpd.GeoDataFrame]:
    """Area polygons with SARC coverage at the headline slots, services, confidential."""
    import geopandas as gpd

    from mapping.study_area import ANALYSIS_CRS

    measures = [
        "mean_minutes",
        "median_minutes",
        "p90_minutes",
        *[f"share_within_{t:g}" for t in thresholds],
        f"population_beyond_{max(thresholds):g}",
        "population_unreached",
        "share_nearest_outside_lancashire",
        "nearest_service",
    ]
    layers: dict[str, gpd.GeoDataFrame] = {}
    for level, key, base, layer in (
        ("district", "lad_code", areas, "council_areas"),
        ("ward", "ward_code", wards, "wards"),
        ("lsoa", "lsoa21_code", lsoas, "lsoas"),
    ):
        frame = base.copy()
        for i, slot in enumerate(headline):
            table = study.coverage(
                "sarc", slot, level, thresholds=thresholds, total_row=False
            ).set_index("area_code")
            if i == 0:
                frame["population"] = frame[key].map(table["population"])
            for measure in measures:
                frame[f"sarc_{_slot_key(slot)}_{measure}"] = frame[key].map(table[measure])
        layers[layer] = gpd.GeoDataFrame(frame, geometry="geometry", crs=ANALYSIS_CRS)

    secret_rows = _secret(register)
    public = register[~secret_rows]
    public = public[public.geometry.notna() & ~public.geometry.is_empty]
    layers["services"] = gpd.GeoDataFrame(public, geometry=public.geometry.name).to_crs(
        ANALYSIS_CRS
    )
    secret = register[secret_rows]
    counts = secret.groupby("district").size()
    kinds = secret.groupby("district")["category"].agg(lambda c: ";".join(sorted(set(c))))
    confidential = areas[["lad_code", "lad_name", "geometry"]].copy()
    confidential["confidential_services"] = (
        confidential["lad_code"].map(counts).fillna(0).astype("int64")
    )
    confidential["categories"] = confidential["lad_code"].map(kinds).fillna("")
    layers["confidential_provision_by_district"] = gpd.GeoDataFrame(
        confidential, geometry="geometry", crs=ANALYSIS_CRS
    )
    return layers


_LAYER_FILES: dict[str, tuple[str, str]] = {
    "council_areas": (
        "coverage_district.parquet",
        "Council areas with SARC coverage at the headline slots",
    ),
    "wards": ("coverage_ward.parquet", "Wards with SARC coverage at the headline slots"),
    "lsoas": ("coverage_lsoa.parquet", "LSOAs with SARC coverage at the headline slots"),
    "services": ("services.parquet", "Located non-confidential services (points)"),
    "confidential_provision_by_district": (
        "confidential_provision_by_district.parquet",
        "Council areas with their number of confidential services (no points)",
    ),
}


def _write_layers(
    folder: Path, extras: dict[str, Any], context: _Context
) -> list[tuple[str, str, str]]:
    """Write the layers to one GeoPackage and one GeoParquet file each."""
    import pyarrow.parquet as pq

    metadata = {
        "attribution": _attribution_text(),
        "generated_at": context.generated_at,
        "software": f"lancashire-service-map {__version__}",
        "network_source": context.network_source,
    }
    gpkg = folder / "coverage.gpkg"
    written = []
    for name, layer in extras["layers"].items():
        frame = safe_frame(_tabular_geo(layer))
        frame.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio", metadata=metadata)
        filename, description = _LAYER_FILES[name]
        path = folder / filename
        frame.to_parquet(path, index=False)
        # Attribution travels in the file's key-value metadata beside GeoParquet's "geo".
        table = pq.read_table(path)
        extra = {f"service_map:{k}".encode(): v.encode() for k, v in metadata.items()}
        pq.write_table(table.replace_schema_metadata({**table.schema.metadata, **extra}), path)
        written.append((filename, "geoparquet", f"{description}; EPSG:27700"))
    layer_list = ", ".join(extras["layers"])
    written.insert(0, ("coverage.gpkg", "gpkg", f"GeoPackage, EPSG:27700, layers: {layer_list}"))
    return written


def _tabular_geo(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Flatten list cells and nullable integers so every GIS format can hold them."""
    import geopandas as gpd

    frame = layer.copy()
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        series = _join_sequences(frame[column])
        frame[column] = (
            series.astype(object) if isinstance(series.dtype, pd.StringDtype) else series
        )
    return gpd.GeoDataFrame(frame, geometry=layer.geometry.name, crs=layer.crs)


# ---- provenance ---------------------------------------------------------------------


def _parameters(
    study: Study,
    categories: tuple[str, ...],
    slots: list[TimeSlot],
    thresholds: tuple[float, ...],
    bands: dict[str, str | None],
    headline: list[TimeSlot],
    scenario: Mapping[str, str],
) -> list[tuple[str, str]]:
    changes = study.changes
    rows = [
        ("categories", ", ".join(categories)),
        ("time slots", "; ".join(f"{s.name} = {s.at}" for s in slots)),
        ("thresholds (minutes)", ", ".join(f"{t:g}" for t in thresholds)),
        (
            "age handling",
            "; ".join(f"{c}: {_age_label(bands.get(c))}" for c in categories)
            + " (a service counts for an age band when its ages overlap the band)",
        ),
        ("area levels", "council area (district), ward (May 2025), LSOA (Census 2021)"),
        ("map and GIS slots", "; ".join(f"{s.name} = {s.at}" for s in headline)),
        ("network source", study.network_source),
        ("scenario", scenario.get("name") or "none (baseline)"),
    ]
    if scenario:
        rows.append(("scenario description", scenario.get("description", "")))
        rows.append(("scenario file", scenario.get("source", "")))
    if not changes.is_empty:
        rows.append(
            (
                "register changes",
                f"closed: {', '.join(sorted(changes.closed)) or 'none'}; "
                f"hours changed: {', '.join(sorted(changes.hours)) or 'none'}; "
                f"added: {', '.join(changes.added_ids) or 'none'}",
            )
        )
    return rows


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        for key in sorted(value, key=str):
            _flatten(f"{prefix}.{key}" if prefix else str(key), value[key], out)
    elif isinstance(value, float):
        out.append((prefix, f"{value:.6g}"))
    elif isinstance(value, list | tuple):
        out.append((prefix, json.dumps(value, default=str)))
    else:
        out.append((prefix, str(value)))


def _network_facts(study: Study) -> list[tuple[str, str]]:
    meta = dict(getattr(study.engine.network, "meta", {}) or {})
    # Local paths and cache state say nothing about the network itself.
    for key in ("cache_path", "from_cache"):
        meta.pop(key, None)
    rows: list[tuple[str, str]] = [("source", study.network_source)]
    _flatten("", meta, rows)
    return rows


def _source_facts(study: Study, sources: Any, notes: list[str]) -> list[tuple[str, str, str, str]]:
    """``(file, sha256, title, publisher)`` of every raw source and the register."""
    from mapping.sources import CATALOGUE, Sources, locate_sources

    rows: list[tuple[str, str, str, str]] = []
    by_path = {spec.relpath: spec for spec in CATALOGUE.values()}
    try:
        located = sources if isinstance(sources, Sources) else locate_sources(sources)
        sums = located.verify_all()
        basis = "verified against SHA256SUMS" if located.has_checksums else "no SHA256SUMS"
        for relpath, digest in sums.items():
            spec = by_path[relpath]
            rows.append((relpath, digest, f"{spec.title} ({basis})", spec.publisher))
    except ServiceMapError as exc:
        notes.append(f"raw sources not verified: {exc}")
        rows.append(("raw sources", "not verified", str(exc), ""))
    path = study.services_path
    if path is not None and Path(path).is_file():
        rows.append(
            (
                f"services register: {Path(path).name}",
                sha256_file(Path(path)),
                f"{len(study.register)} records (before what-if changes)",
                "this project",
            )
        )
    else:
        rows.append(("services register", "in-memory register (no file)", "", "this project"))
    return rows


def _software() -> list[tuple[str, str]]:
    import platform

    rows = [("lancashire-service-map", __version__), ("python", platform.python_version())]
    for module in ("pandas", "geopandas", "numpy", "scipy", "pyogrio", "openpyxl", "folium"):
        with contextlib.suppress(Exception):
            rows.append((module, str(__import__(module).__version__)))
    return rows


def _evidence_note(study: Study) -> str:
    from mapping import services as services_mod

    register = study.effective_register()
    every = services_mod.evidence_basis(register)
    sarcs = services_mod.evidence_basis(register, ["sarc"], located_only=True)
    return (
        f"The register has {every.records} records, {every.assumed_hours} with assumed hours "
        f"and {every.town_level} located only to a town; the SARC figures are "
        f"{sarcs.caption()}."
    )


def _method_notes(study: Study, bands: dict[str, str | None]) -> list[str]:
    meta = getattr(study.engine.network, "meta", {}) or {}
    model = meta.get("model", study.network_source)
    banded = ", ".join(f"{c} ({b})" for c, b in bands.items() if b) or "none"
    return [
        "Origins: each LSOA's Census 2021 population is spread in equal shares over the "
        "OS Code-Point Open postcode units inside it (population-weighted origins on "
        "postcode units, not polygon centroids); every figure is weighted by population.",
        f"Drive times: minutes on the road network ({model}) to the nearest eligible open "
        "service, including the snap from each point to its nearest road node. Journeys "
        "starting 07:00-19:00 use daytime speeds, others free-flow (night) speeds.",
        "Opening hours: a service counts only if its register hours (OpenStreetMap "
        "opening_hours syntax) say it is open at the slot; 'unknown' counts as closed. "
        "The register's hours_basis column says which hours are published and which "
        "are assumed. Its confidence column grades each record: high for a published "
        "postcode and published hours, low for assumed hours or a town-level location "
        f"(about 1 km), medium otherwise. {_evidence_note(study)}",
        "Eligibility: a service counts for a Census age band when its age range overlaps "
        f"the band. Categories weighted by an age band: {banded}; the others count "
        "everybody and filter no ages.",
        "Thresholds (minutes) are analysis parameters: no official drive-time standard "
        "exists for these services.",
        "Services outside Lancashire (Manchester, Cumbria, Merseyside SARCs) are reachable "
        "and reported as such (share_nearest_outside_lancashire, share_nearest_*).",
        "Confidential services (refuges, safe houses) are never located: they are shown "
        "only as a count per council area, and the travel engine does not route to them.",
        "Services without a site (county-wide and national lines) are listed in "
        "services_not_routed and do not count towards drive-time coverage.",
    ]


# ---- README, manifest ---------------------------------------------------------------


def _readme_rows(context: _Context, sheets: list[tuple[str, _Table]]) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["Lancashire victim services: drive-time coverage export"],
        ["generated at (UTC)", context.generated_at],
        ["network source", context.network_source],
        [],
        ["Attribution (Open Government Licence v3.0)"],
        *[[line] for line in ATTRIBUTION],
        [],
        ["Parameters"],
        *[list(row) for row in context.parameters],
        [],
        ["Time slots", "time of week", "speed profile"],
        *[list(row) for row in context.slots],
        [],
        ["Sheets"],
        *[[sheet, t.description] for sheet, t in sheets],
        [],
        ["Method notes"],
        *[[str(i), note] for i, note in enumerate(context.method, start=1)],
        [],
        ["Data sources", "sha256", "title", "publisher"],
        *[list(row) for row in context.sources],
        [],
        ["Road network", "value"],
        *[list(row) for row in context.network],
        [],
        ["Software", "version"],
        *[list(row) for row in context.software],
    ]
    if context.notes:
        rows += [[], ["Notes"], *[[str(i), n] for i, n in enumerate(context.notes, start=1)]]
    rows += [[], ["Formulas: text cells that look like formulas start with a single quote (')"]]
    return rows


def _readme_text(context: _Context, files: list[ExportedFile]) -> str:
    def section(title: str) -> list[str]:
        return ["", title, "-" * len(title)]

    lines = [
        "Lancashire victim services: drive-time coverage export",
        "=" * 54,
        f"Generated at (UTC): {context.generated_at}",
        f"Network source: {context.network_source}",
        *section("Attribution (Open Government Licence v3.0)"),
        *ATTRIBUTION,
        "The attribution applies to every file in this folder, including the CSV files.",
        *section("Files"),
        *[f"{f.path}: {f.description}" for f in files],
        "README.txt: this file",
        "manifest.json: every file above with its size and sha256",
        *section("Parameters"),
        *[f"{k}: {v}" for k, v in context.parameters],
        *section("Method notes"),
        *[f"{i}. {note}" for i, note in enumerate(context.method, start=1)],
        *section("Data sources (sha256)"),
        *[
            f"{digest}  {name}  ({title}; {publisher})"
            for name, digest, title, publisher in context.sources
        ],
        *section("Software"),
        *[f"{k} {v}" for k, v in context.software],
    ]
    if context.notes:
        lines += [*section("Notes"), *context.notes]
    lines += [
        "",
        "CSV files are UTF-8, comma-separated, with a header line. Text cells that a "
        "spreadsheet could read as a formula start with a single quote (').",
    ]
    return "\n".join(lines) + "\n"


def _manifest(context: _Context, files: list[ExportedFile]) -> dict[str, Any]:
    return {
        "generator": _GENERATOR,
        "software": f"lancashire-service-map {__version__}",
        "generated_at": context.generated_at,
        "network_source": context.network_source,
        "parameters": dict(context.parameters),
        "attribution": list(ATTRIBUTION),
        "notes": list(context.notes),
        "files": [
            {
                "path": f.path,
                "kind": f.kind,
                "description": f.description,
                "bytes": f.bytes,
                "sha256": f.sha256,
            }
            for f in files
        ],
    }


# ---- HTML report --------------------------------------------------------------------


def _esc(value: Any) -> str:
    return html.escape(str(neutralise_formula(value)), quote=True)


def _pct(value: Any) -> str:
    # Rounding first, then "+ 0.0", turns a tiny negative into "0.0%", not "-0.0%".
    return "" if value is None or pd.isna(value) else f"{round(100 * float(value), 1) + 0.0:.1f}%"


def _mins(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{round(float(value), 1) + 0.0:.1f}"


def _people(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):,.0f}"


def _generic(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    if isinstance(value, tuple | list | set | frozenset):
        return ";".join(str(v) for v in value)
    return str(value)


def _html_table(
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str, Callable[[Any], str]]],
    *,
    emphasise: Callable[[pd.Series], bool] | None = None,
) -> str:
    def cell(value: Any, fmt: Callable[[Any], str]) -> str:
        text = fmt(value)
        # Text from the data is neutralised; numbers we formatted ("-3.2") are not.
        return _esc(text) if isinstance(value, str) else html.escape(text, quote=True)

    head = "".join(f"<th>{_esc(label)}</th>" for _, label, _ in columns)
    body = []
    for _, row in frame.iterrows():
        cells = "".join(f"<td>{cell(row[col], fmt)}</td>" for col, _, fmt in columns)
        attr = ' class="total"' if emphasise is not None and emphasise(row) else ""
        body.append(f"<tr{attr}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _headline_html(extras: dict[str, Any]) -> str:
    table = extras["headline_sarc"]
    totals = table[table["area_code"] == "TOTAL"].set_index("slot")
    day, night = extras["headline"]
    if day.at not in totals.index or night.at not in totals.index:
        return ""
    d, n = totals.loc[day.at], totals.loc[night.at]
    points = [
        f"At {night.at} ({night.name}) {_pct(n['share_nearest_outside_lancashire'])} of "
        f"Lancashire's population have their nearest open SARC outside the county, against "
        f"{_pct(d['share_nearest_outside_lancashire'])} at {day.at} ({day.name}).",
        f"{_people(n['population_over_60'])} people are more than 60 minutes' drive from an "
        f"open SARC at {night.at}, against {_people(d['population_over_60'])} at {day.at}.",
        f"Mean drive time to the nearest open SARC: {_mins(n['mean_minutes'])} minutes at "
        f"{night.at}, {_mins(d['mean_minutes'])} minutes at {day.at}.",
    ]
    if n["population_unreached"] > 0 or d["population_unreached"] > 0:
        points.append(
            f"People with no open SARC within reach: {_people(n['population_unreached'])} at "
            f"{night.at}, {_people(d['population_unreached'])} at {day.at}."
        )
    return "<ul class='headline'>" + "".join(f"<li>{_esc(p)}</li>" for p in points) + "</ul>"


def _service_names(register: pd.DataFrame) -> dict[str, str]:
    return dict(zip(register["id"].astype(str), register["name"].astype(str), strict=True))


def _report_map(extras: dict[str, Any]) -> str:
    """Render the folium map (council areas, SARC minutes by LSOA, services)."""
    import folium
    import shapely
    from branca.colormap import StepColormap

    from mapping import maps
    from mapping.study_area import MAP_CRS

    register = extras["register"]
    fmap = maps.base_map()
    bins = [0, 15, 30, 45, 60, 90, 120]
    # Viridis steps: ordered, print-safe and readable with colour-vision deficiencies.
    colours = ["#fde725", "#90d743", "#35b779", "#21918c", "#31688e", "#443983"]
    scale = StepColormap(
        colours, index=bins, vmin=0, vmax=120, caption="Drive minutes to the nearest open SARC"
    )
    lsoas = extras["layers"]["lsoas"]
    # Simplified to 40 m and rounded to 1e-5 degrees (about 1 m): LSOA shapes stay
    # recognisable while the page shrinks from about 5 MB to under 2 MB.
    simplified = lsoas[["lsoa21_name", "geometry"]].copy()
    simplified["geometry"] = lsoas.geometry.simplify(40, preserve_topology=True)
    simplified = simplified.to_crs(MAP_CRS)
    simplified["geometry"] = shapely.set_precision(simplified.geometry.values, 1e-5)
    for i, slot in enumerate(extras["headline"]):
        column = f"sarc_{_slot_key(slot)}_mean_minutes"
        shown = simplified.copy()
        shown["minutes"] = lsoas[column].round(1)
        shown["label"] = shown["minutes"].map(
            lambda v: "no open SARC" if pd.isna(v) else f"{v:.1f} min"
        )

        def style(feature: dict[str, Any]) -> dict[str, Any]:
            value = feature["properties"]["minutes"]
            fill = "#bbbbbb" if value is None else scale(min(float(value), 119.9))
            return {"fillColor": fill, "color": fill, "weight": 0.2, "fillOpacity": 0.6}

        folium.GeoJson(
            shown[["lsoa21_name", "label", "minutes", "geometry"]],
            name=f"SARC minutes, {slot.name} ({slot.at})",
            show=i == len(extras["headline"]) - 1,
            style_function=style,
            tooltip=folium.GeoJsonTooltip(
                fields=["lsoa21_name", "label"], aliases=["LSOA", "Mean minutes"]
            ),
        ).add_to(fmap)
    scale.add_to(fmap)
    areas = extras["areas"].copy()
    areas["geometry"] = areas.geometry.simplify(40, preserve_topology=True)
    maps.add_council_areas(fmap, areas)
    maps.add_confidential_districts(fmap, areas, register)
    maps.add_services(fmap, register)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap.get_root().render()


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5rem auto;
max-width:1200px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.82rem;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}tr.total td{font-weight:bold;background:#fafafa}
.map{width:100%;height:620px;border:1px solid #ccc}
.meta{color:#555}.attribution{font-size:.8rem;color:#444;border-top:1px solid #ccc;
margin-top:2rem;padding-top:.5rem}.headline li{margin:.3rem 0}
.scroll{max-height:32rem;overflow:auto}
"""


def _report_html(context: _Context, extras: dict[str, Any]) -> str:
    names = _service_names(extras["register"])
    sarc = extras["sarc"].copy()
    sarc["nearest_service_name"] = sarc["nearest_service"].map(
        lambda sid: names.get(str(sid), str(sid)) if isinstance(sid, str) else ""
    )
    sarc_table = _html_table(
        sarc,
        [
            ("area_name", "Council area", _generic),
            ("slot", "Slot", _generic),
            ("slot_name", "", _generic),
            ("population", "Population", _people),
            ("share_nearest_preston", "Nearest: Preston", _pct),
            ("share_nearest_manchester", "Manchester", _pct),
            ("share_nearest_cumbria", "Cumbria", _pct),
            ("share_nearest_other", "Other", _pct),
            ("share_nearest_outside_lancashire", "Outside Lancashire", _pct),
            ("mean_minutes", "Mean min", _mins),
            ("minutes_added", "Minutes added vs first slot", _mins),
            ("population_over_60", "People > 60 min", _people),
            ("population_over_90", "People > 90 min", _people),
            ("nearest_service_name", "Nearest open SARC (most residents)", _generic),
        ],
        emphasise=lambda row: row["area_code"] == "TOTAL",
    )
    glance = []
    for (_, level), frame in extras["coverage"].items():
        if level == "district":
            glance.append(frame[frame["area_code"] == "TOTAL"])
    glance_frame = pd.concat(glance, ignore_index=True)
    beyond = next(c for c in glance_frame.columns if c.startswith("population_beyond_"))
    within = [c for c in glance_frame.columns if re.fullmatch(r"share_within_[\d.]+", c)]
    glance_table = _html_table(
        glance_frame,
        [
            ("category", "Category", _generic),
            ("age_band", "Population", _generic),
            ("slot", "Slot", _generic),
            ("slot_name", "", _generic),
            ("eligible_population", "People", _people),
            ("mean_minutes", "Mean min", _mins),
            ("p90_minutes", "90th pct min", _mins),
            *[(c, f"Within {c.removeprefix('share_within_')} min", _pct) for c in within],
            (beyond, f"People beyond {beyond.removeprefix('population_beyond_')} min", _people),
            ("share_nearest_outside_lancashire", "Nearest outside Lancashire", _pct),
        ],
    )
    gaps = extras["gaps"]
    if gaps.empty:
        gaps_html = "<p>No gaps found by the rules.</p>"
    else:
        gaps_html = (
            "<div class='scroll'>"
            + _html_table(gaps, [(c, str(c), _generic) for c in gaps.columns])
            + "</div>"
        )
    scenario_html = ""
    if extras["scenario_tables"]:
        parts = [f"<h2>Scenario: {_esc(extras['scenario_name'])}</h2>"]
        for table in extras["scenario_tables"]:
            parts.append(f"<h3>{_esc(table.description)}</h3><div class='scroll'>")
            parts.append(
                _html_table(table.frame, [(c, str(c), _generic) for c in table.frame.columns])
            )
            parts.append("</div>")
        scenario_html = "".join(parts)
    map_doc = _report_map(extras)
    parameters = "".join(
        f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in context.parameters
    )
    sources = "".join(
        f"<tr><td>{_esc(n)}</td><td>{_esc(t)}</td><td>{_esc(p)}</td><td><code>{_esc(d)}</code>"
        "</td></tr>"
        for n, d, t, p in context.sources
    )
    method = "".join(f"<li>{_esc(note)}</li>" for note in context.method)
    notes = "".join(f"<li>{_esc(note)}</li>" for note in context.notes)
    attribution = "<br>".join(_esc(line) for line in ATTRIBUTION)
    title = "Lancashire victim services: drive-time coverage"
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="lancashire-service-map {_esc(__version__)}">
<title>{_esc(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{_esc(title)}</h1>
<p class="meta">Generated {_esc(context.generated_at)} (UTC) by lancashire-service-map
{_esc(__version__)}. Road network: <strong>{_esc(context.network_source)}</strong>.</p>
<h2>Headline: the out-of-hours SARC gap</h2>
{_headline_html(extras)}
<h2>Map</h2>
<p>Mean drive minutes to the nearest open SARC by LSOA at each headline slot (switch
layers at the top right), services, and council areas holding confidential services
(refuges and safe houses are never shown as points). The map loads Leaflet and the base
map tiles from the internet.</p>
<iframe class="map" title="Coverage map" sandbox="allow-scripts allow-popups"
srcdoc="{html.escape(map_doc, quote=True)}"></iframe>
<h2>Where is the nearest open SARC?</h2>
<p>Shares of each council area's population, by where its nearest open SARC is.</p>
<div class="scroll">{sarc_table}</div>
<h2>Coverage at a glance (Lancashire)</h2>
{glance_table}
<h2>Gap register</h2>
{gaps_html}
{scenario_html}
<h2>Method</h2>
<ol>{method}</ol>
<h2>Parameters</h2>
<table>{parameters}</table>
<h2>Data sources</h2>
<table><thead><tr><th>File</th><th>Title</th><th>Publisher</th><th>sha256</th></tr></thead>
<tbody>{sources}</tbody></table>
{f"<h2>Notes</h2><ul>{notes}</ul>" if notes else ""}
<footer class="attribution"><strong>Attribution</strong> (Open Government Licence
v3.0)<br>{attribution}<br>Base map © OpenStreetMap contributors.</footer>
</body>
</html>
"""
