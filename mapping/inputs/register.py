"""The services register (``data/services.csv``): schema, validation, geocoding, privacy.

The register lists every victim-service site or line a Lancashire resident could use,
one record per service and site, with its opening hours, eligibility and the source of
every fact. Its columns and controlled vocabularies are documented in
``data/README.md``; this module enforces them.

Validation never raises for bad data: :func:`validate_register` returns a list of
:class:`Problem` (``file:row:field: message``, row = the line number an editor shows),
all of them, not just the first. :func:`load_register` raises :class:`RegisterError`
listing them, or returns the register as a GeoDataFrame in British National Grid.

Locations
    ``lat``/``lon`` come from the postcode through OS Code-Point Open
    (``location_precision = postcode``; :func:`geocode_register` fills them), or from
    the approximate town-centre table of the reference file (``town``). Postcodes are
    looked up by reading only the postcode areas needed from the Code-Point zip, so a
    site outside the study area (the Hazlehurst Centre, LS27 7LE) still checks.

Extent
    The analysis study area (:data:`mapping.study_area.STUDY_AREA_LONLAT`) is
    Lancashire plus its corridors; the register legitimately holds SARCs east of it
    (Leeds, York). A point is reported as misplaced when it falls outside the wider
    :data:`REGISTER_EXTENT_LONLAT`, a box around northern England, or when no postcode
    unit lies within :data:`mapping.inputs.land.LAND_BUFFER_M` of it (at sea: the box
    holds part of the Irish Sea).

Confidentiality
    Refuge and safe-house addresses are confidential. A ``confidential`` record keeps
    its council area only: no address, postcode or coordinates
    (``location_precision = district``). :func:`public_view` strips any location from
    such records again before anything is shown or exported.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pydantic import ValidationError

from mapping.errors import Problem, ServiceMapError
from mapping.inputs.capacity_checks import (
    ADVOCATE_CATEGORIES,
    CAPACITY_FIELDS,
    CAPACITY_VALUE_COLUMNS,
    check_capacity,
)
from mapping.inputs.files import CsvReadError, csv_rows, decode_csv
from mapping.inputs.freshness import stale_mask
from mapping.inputs.land import points_at_sea
from mapping.inputs.postcodes import lookup_postcodes
from mapping.inputs.record import ServiceRecord, rule_confidence
from mapping.inputs.sources import LANCASHIRE_LAD_CODES, SourceError, Sources, locate_sources
from mapping.inputs.vocabulary import (
    CATEGORIES,
    CONFIDENCE_LEVELS,
    CONFIDENTIAL_CATEGORIES,
    CRIME_TYPES,
    LANCASHIRE,
    LOCATION_PRECISIONS,
    SEXES,
    is_confidential,
)
from mapping.store import repo_root
from mapping.study_area import ANALYSIS_CRS, to_27700

__all__ = [
    "ADVOCATE_CATEGORIES",
    "CAPACITY_FIELDS",
    "CATEGORIES",
    "COLUMNS",
    "CONFIDENCE_LEVELS",
    "CRIME_TYPES",
    "LANCASHIRE",
    "LANCASHIRE_LAD_CODES",
    "LOCATION_PRECISIONS",
    "OPTIONAL_COLUMNS",
    "POSTCODE_TOLERANCE_M",
    "REGISTER_EXTENT_LONLAT",
    "SEXES",
    "RegisterError",
    "ServiceRecord",
    "default_register_path",
    "load_register",
    "lookup_postcodes",
    "public_view",
    "stale_mask",
    "validate_register",
]

#: Columns of the register, in file order.
COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "provider",
    "category",
    "address",
    "postcode",
    "lat",
    "lon",
    "location_precision",
    "district",
    "areas_served",
    "opening_hours",
    "hours_basis",
    "min_age",
    "max_age",
    "sexes",
    "crime_types",
    "self_referral_min_age",
    "confidential",
    "source",
    "verified_on",
    "notes",
    "capacity_family_places",
    "capacity_family_places_source",
    "advocate_fte",
    "advocate_fte_source",
    "confidence",
    "capacity_value",
    "capacity_unit",
    "capacity_source",
)
#: Columns a register may leave out of its header: known capacity and its source, and
#: ``confidence`` (validated row by row when present, derived from the rule when not).
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "capacity_family_places_source",
    "advocate_fte",
    "advocate_fte_source",
    "confidence",
    *CAPACITY_VALUE_COLUMNS,
)
_POINT_PRECISIONS = ("postcode", "street", "town")
#: (min lon, min lat, max lon, max lat): northern England, wider than the study area so
#: the Leeds and York SARCs fit; a register point outside it is misplaced.
REGISTER_EXTENT_LONLAT: tuple[float, float, float, float] = (-3.8, 53.0, -0.5, 55.2)
#: Largest allowed distance between a postcode-located point and its Code-Point unit.
POSTCODE_TOLERANCE_M = 1000.0
_EARLIEST_VERIFIED = date(1990, 1, 1)

_LAD_RE = re.compile(r"^[EWSN]\d{8}$")


# ---- problems ------------------------------------------------------------------------


class RegisterError(ServiceMapError):
    """The services register is invalid; ``problems`` lists every problem found."""

    def __init__(self, path: str | os.PathLike[str], problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(
            f"{path}: the services register has {len(self.problems)} problem(s):\n{lines}"
        )


def default_register_path() -> Path:
    """Return the committed register, ``<repo>/data/services.csv``."""
    return repo_root() / "data" / "services.csv"


# ---- reading the file ----------------------------------------------------------------


@dataclass
class _Parsed:
    label: str
    problems: list[Problem] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    #: (line, record, fields that failed validation)
    records: list[tuple[int, ServiceRecord, set[str]]] = field(default_factory=list)

    def add(self, row: int, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.label, row, field_name, message))


def _read_text(path: Path, parsed: _Parsed) -> str | None:
    if not path.exists():
        parsed.add(0, "-", "file not found")
        return None
    if not path.is_file():
        parsed.add(0, "-", "not a file")
        return None
    try:
        payload = path.read_bytes()
    except OSError as exc:
        parsed.add(0, "-", f"cannot read the file ({exc.strerror or exc})")
        return None
    if not payload.strip():
        parsed.add(0, "-", "the file is empty: expected a header line and records")
        return None
    try:
        return decode_csv(payload, parsed.label)
    except CsvReadError as exc:
        parsed.problems.append(exc.problem)
        return None


def _read_rows(text: str, parsed: _Parsed) -> list[tuple[int, list[str]]]:
    rows, problem = csv_rows(text, parsed.label)
    if problem is not None:
        parsed.problems.append(problem)
    # blank lines and all-empty rows carry nothing
    return [(line, row) for line, row in rows if any(cell.strip() for cell in row)]


def _parse(
    path: str | os.PathLike[str],
    sources: Sources | None,
    check_postcodes: bool | None,
    today: date | None,
) -> _Parsed:
    parsed = _Parsed(label=str(path))
    text = _read_text(Path(path), parsed)
    if text is None:
        return parsed
    rows = _read_rows(text, parsed)
    if not rows:
        if not parsed.problems:
            parsed.add(0, "-", "no header line")
        return parsed
    header_line, raw_header = rows[0]
    header = [h.strip() for h in raw_header]
    parsed.header = header
    duplicated = sorted({h for h in header if header.count(h) > 1 and h})
    if duplicated:
        parsed.add(header_line, "-", f"repeated column(s): {', '.join(duplicated)}")
    missing = [c for c in COLUMNS if c not in header and c not in OPTIONAL_COLUMNS]
    if missing:
        parsed.add(0, "-", f"missing column(s): {', '.join(missing)}")
    if len(missing) == len(COLUMNS) - len(OPTIONAL_COLUMNS):
        return parsed  # not a register at all: row checks would only add noise
    if len(rows) == 1 and not parsed.problems:
        parsed.add(0, "-", "no records after the header line")
    index = {name: i for i, name in reversed(list(enumerate(header)))}
    for line, row in rows[1:]:
        if len(row) != len(header):
            parsed.add(
                line,
                "-",
                f"has {len(row)} fields but the header has {len(header)} (a stray comma or quote?)",
            )
            continue
        data = {c: row[index[c]] for c in COLUMNS if c in index}
        bad: set[str] = set()
        try:
            record = ServiceRecord.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                name = str(error["loc"][0]) if error["loc"] else "-"
                bad.add(name)
                parsed.add(line, name, error["msg"])
            record = ServiceRecord.model_validate({k: v for k, v in data.items() if k not in bad})
        parsed.records.append((line, record, bad | set(missing)))
    _check_records(parsed, today or date.today())
    _check_postcodes(parsed, sources, check_postcodes)
    _check_land(parsed, sources, check_postcodes)
    parsed.problems.sort(key=_problem_order)
    return parsed


def _problem_order(problem: Problem) -> tuple[int, int]:
    return problem.row, COLUMNS.index(problem.field) if problem.field in COLUMNS else -1


def _check_records(parsed: _Parsed, today: date) -> None:
    """Checks that look at several fields of a record, or at several records."""
    first_line: dict[str, int] = {}
    lon0, lat0, lon1, lat1 = REGISTER_EXTENT_LONLAT
    for line, rec, bad in parsed.records:
        add = parsed.add

        def ok(*names: str, bad: set[str] = bad) -> bool:
            return not any(n in bad for n in names)

        if rec.id is not None:
            if rec.id in first_line:
                add(line, "id", f"duplicate id {rec.id!r} (first on line {first_line[rec.id]})")
            else:
                first_line[rec.id] = line
        if rec.verified_on is not None:
            if rec.verified_on > today:
                add(line, "verified_on", f"verified_on {rec.verified_on} is in the future")
            elif rec.verified_on < _EARLIEST_VERIFIED:
                add(line, "verified_on", f"verified_on {rec.verified_on} is implausibly old")
        if rec.min_age is not None and rec.max_age is not None and rec.min_age > rec.max_age:
            add(line, "max_age", f"max_age {rec.max_age} is below min_age {rec.min_age}")
        if (
            rec.self_referral_min_age is not None
            and rec.max_age is not None
            and rec.self_referral_min_age > rec.max_age
        ):
            add(line, "self_referral_min_age", "self_referral_min_age is above max_age")

        has_lat, has_lon = rec.lat is not None, rec.lon is not None
        if ok("lat", "lon") and has_lat != has_lon:
            missing = "lon" if has_lat else "lat"
            add(line, missing, "lat and lon must be given together")
        has_point = has_lat and has_lon
        precision = rec.location_precision
        if rec.category in CONFIDENTIAL_CATEGORIES and not rec.confidential and ok("category"):
            add(
                line,
                "confidential",
                f"a {rec.category} is always confidential: set confidential to true and "
                "record its council area only (district), never a postcode, address or point",
            )
        if rec.confidential or rec.category in CONFIDENTIAL_CATEGORIES:
            if has_lat or has_lon:
                add(
                    line,
                    "lat",
                    "a confidential record must carry no coordinates (refuge and "
                    "safe-house locations are never stored as points): clear lat and lon",
                )
            if rec.postcode is not None:
                add(line, "postcode", "a confidential record must carry no postcode")
            if rec.address is not None:
                add(line, "address", "a confidential record must carry no address")
            if ok("location_precision") and precision not in (None, "district"):
                add(
                    line,
                    "location_precision",
                    "a confidential record is located by district only: use 'district'",
                )
        elif precision in _POINT_PRECISIONS and ok("lat", "lon") and not (has_lat or has_lon):
            add(line, "lat", f"location_precision {precision!r} needs lat and lon")
        elif precision in ("district", "none") and has_point:
            add(line, "lat", f"location_precision {precision!r} must not carry coordinates")
        if precision == "postcode" and rec.postcode is None and ok("postcode"):
            add(line, "postcode", "location_precision 'postcode' needs a postcode")
        if precision == "district" and rec.district is None and ok("district"):
            add(line, "district", "location_precision 'district' needs a district")
        if precision in _POINT_PRECISIONS and rec.district is None and ok("district"):
            add(line, "district", "a located site needs its district (council area)")
        if has_point and not rec.confidential:
            if not lon0 <= rec.lon <= lon1:  # type: ignore[operator]
                add(line, "lon", f"point outside the register extent (lon {lon0}…{lon1})")
            if not lat0 <= rec.lat <= lat1:  # type: ignore[operator]
                add(line, "lat", f"point outside the register extent (lat {lat0}…{lat1})")
        check_capacity(line, rec, ok, add)
        _check_confidence(line, rec, ok, add)


def _check_confidence(line: int, rec: ServiceRecord, ok: Any, add: Any) -> None:
    """A recorded confidence may not exceed the rule's, nor fall below it without a reason."""
    if rec.confidence is None or not ok("location_precision", "hours_basis"):
        return
    ceiling = rule_confidence(rec.location_precision, rec.hours_basis)
    level = CONFIDENCE_LEVELS.index
    if level(rec.confidence) < level(ceiling):
        add(
            line,
            "confidence",
            f"confidence {rec.confidence!r} is above what the rule allows ({ceiling!r}: "
            "high needs a published postcode and published hours; a town-level "
            "location or assumed hours is low)",
        )
    elif level(rec.confidence) > level(ceiling) and not re.search(
        r"confidence|CONFLICT", rec.notes or ""
    ):
        add(
            line,
            "confidence",
            f"confidence {rec.confidence!r} is below the rule's {ceiling!r}: say why "
            "in notes (mention 'confidence' or 'CONFLICT')",
        )


def _check_postcodes(parsed: _Parsed, sources: Sources | None, check: bool | None) -> None:
    """Check postcodes against OS Code-Point Open, and points against their postcodes."""
    located = [(line, rec, bad) for line, rec, bad in parsed.records if rec.postcode is not None]
    if not located or check is False:
        return
    try:
        if sources is None:
            sources = locate_sources()
        found = lookup_postcodes([rec.postcode for _, rec, _ in located], sources)  # type: ignore[misc]
    except SourceError as exc:
        if check is None:
            return  # optional check: no sources here, the stored coordinates stand
        parsed.add(0, "postcode", f"cannot check postcodes against Code-Point Open: {exc}")
        return
    for line, rec, bad in located:
        if rec.postcode not in found.index:
            parsed.add(
                line,
                "postcode",
                f"{rec.postcode} is not in OS Code-Point Open (a typo, or a retired postcode?)",
            )
            continue
        unit = found.loc[rec.postcode]
        district = str(unit["district_code"])
        if (
            rec.district is not None
            and "district" not in bad
            and rec.district != district
            and (rec.district in LANCASHIRE_LAD_CODES or district in LANCASHIRE_LAD_CODES)
        ):
            parsed.add(
                line,
                "district",
                f"district {rec.district} does not match {rec.postcode}'s council area {district}",
            )
        if (
            rec.location_precision == "postcode"
            and rec.lat is not None
            and rec.lon is not None
            and not rec.confidential
        ):
            x, y = to_27700(rec.lon, rec.lat)
            gap = math.hypot(x - float(unit["easting"]), y - float(unit["northing"]))
            if gap > POSTCODE_TOLERANCE_M:
                parsed.add(
                    line,
                    "lat",
                    f"point is {gap / 1000:.1f} km from {rec.postcode}'s Code-Point location "
                    f"({unit['lat']:.6f}, {unit['lon']:.6f}); run `service-map services geocode`",
                )


def _check_land(parsed: _Parsed, sources: Sources | None, check: bool | None) -> None:
    """A point inside the register's box can still be at sea: test it against land."""
    located = [
        (line, rec.lon, rec.lat)
        for line, rec, bad in parsed.records
        if rec.lat is not None and rec.lon is not None and not rec.confidential
        if not {"lat", "lon"} & bad
    ]
    if not located or check is False:
        return
    try:
        at_sea = points_at_sea(located, sources or locate_sources())
    except SourceError as exc:
        if check:
            parsed.add(0, "lat", f"cannot check points against land (Code-Point Open): {exc}")
        return
    for line, message in at_sea:
        parsed.add(line, "lat", message)


# ---- public API ----------------------------------------------------------------------


def validate_register(
    path: str | os.PathLike[str],
    sources: Sources | None = None,
    *,
    check_postcodes: bool = True,
    today: date | None = None,
) -> list[Problem]:
    """Check the services register and return every problem found (never raises).

    Parameters
    ----------
    path
        The register CSV.
    sources
        Located raw sources, for the Code-Point Open postcode checks; found with
        :func:`~mapping.inputs.sources.locate_sources` when omitted.
    check_postcodes
        Check postcodes and postcode/point agreement against Code-Point Open. When the
        sources cannot be found this is itself reported as a problem.
    today
        The date against which ``verified_on`` must not lie in the future.

    Returns
    -------
    list of Problem
        Empty when the register is valid; sorted by line.
    """
    try:
        return _parse(path, sources, check_postcodes, today).problems
    except Exception as exc:  # the contract is "report, never raise": last-resort guard
        return [Problem(str(path), 0, "-", f"could not be checked ({type(exc).__name__}: {exc})")]


def _provider_area(district: str | None, areas: tuple[str, ...]) -> str:
    if district in LANCASHIRE_LAD_CODES:
        return LANCASHIRE
    if district:
        return district
    if LANCASHIRE in areas or any(a in LANCASHIRE_LAD_CODES for a in areas):
        return LANCASHIRE
    return "; ".join(areas)


def load_register(
    path: str | os.PathLike[str] | None = None,
    sources: Sources | None = None,
    *,
    check_postcodes: bool | None = None,
) -> gpd.GeoDataFrame:
    """Read and validate the register into a GeoDataFrame in EPSG:27700.

    Parameters
    ----------
    path
        The register CSV (default :func:`default_register_path`).
    sources
        Located raw sources for the postcode checks (found when omitted).
    check_postcodes
        ``True``: postcodes must be checked (missing sources are a problem); ``False``:
        skip; ``None`` (default): check when the sources can be found, as a deployed app
        may carry the built data but not the raw Code-Point zip.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per record in file order, with the register's columns parsed:
        ``areas_served``, ``sexes`` and ``crime_types`` as tuples of str; ages and
        ``capacity_family_places`` as nullable ``Int64``; ``advocate_fte`` and
        ``capacity_value`` as float (NaN when unknown), each with its ``*_source`` text
        (and ``capacity_unit``); ``confidential`` as bool;
        ``verified_on`` as ``datetime64``; ``lat``/``lon`` as float (NaN when absent);
        text as pandas' string dtype, empty cells missing (NA). ``provider_area`` is
        ``"Lancashire"`` for a site in a Lancashire council area or a Lancashire-wide
        service, else the district (e.g.
        ``"Greater Manchester"``) or, for national lines, the areas served. The
        geometry is a Point for located records and ``None`` for confidential and
        location-less ones. ``confidence`` is the recorded level, or the one
        :func:`~mapping.inputs.record.rule_confidence` gives when the cell or the column
        is empty.

    Raises
    ------
    RegisterError
        If the register has any problem; the message lists them all.
    """
    path = default_register_path() if path is None else path
    parsed = _parse(path, sources, check_postcodes, None)
    if parsed.problems:
        raise RegisterError(path, parsed.problems)
    rows = []
    for _, rec, _ in parsed.records:
        row = rec.model_dump()
        if rec.category in CONFIDENTIAL_CATEGORIES:
            row["confidential"] = True  # follows from the category, whatever the row says
        if row["confidential"]:
            row.update(lat=None, lon=None, postcode=None, address=None)
        row["provider_area"] = _provider_area(rec.district, rec.areas_served or ())
        if rec.confidence is None:
            row["confidence"] = rule_confidence(rec.location_precision, rec.hours_basis)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "provider_area"])
    for name in ("lat", "lon"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    # Points for located records, projected and built in one go (confidential records
    # have no lat/lon left, so they get none).
    located = (
        frame["location_precision"].isin(_POINT_PRECISIONS).to_numpy()
        & frame["lat"].notna().to_numpy()
        & frame["lon"].notna().to_numpy()
        & ~frame["confidential"].astype(bool).to_numpy()
    )
    easting, northing = to_27700(frame["lon"].to_numpy()[located], frame["lat"].to_numpy()[located])
    geometry = np.full(len(frame), None, dtype=object)
    geometry[located] = shapely.points(easting, northing)
    for name in ("min_age", "max_age", "self_referral_min_age", "capacity_family_places"):
        frame[name] = pd.array(frame[name].tolist(), dtype="Int64")
    for name in ("advocate_fte", "capacity_value"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    frame["confidential"] = frame["confidential"].astype(bool)
    frame["verified_on"] = pd.to_datetime(frame["verified_on"])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=ANALYSIS_CRS)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value) if value is not None and not pd.isna(value) else False


def public_view(register: pd.DataFrame) -> pd.DataFrame:
    """Return the register as it may be shown or exported.

    Confidential records lose their coordinates, geometry, postcode and address even
    if some slipped through (belt and braces: :func:`load_register` already drops
    them). Works on a GeoDataFrame or a plain DataFrame; the input is not modified.

    Parameters
    ----------
    register
        The register from :func:`load_register` (or a table with a ``confidential``
        column).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        A copy of the same type.
    """
    view = register.copy()
    if "confidential" not in view.columns:
        raise ServiceMapError("public_view needs the register's 'confidential' column")
    secret = is_confidential(view).to_numpy()
    if not secret.any():
        return view
    for name in ("lat", "lon"):
        if name in view.columns:
            view[name] = view[name].astype(float)
            view.loc[secret, name] = np.nan
    for name in ("postcode", "address"):
        if name in view.columns:
            view.loc[secret, name] = None
    if isinstance(view, gpd.GeoDataFrame) and view.geometry.name in view.columns:
        geometry = view.geometry.copy()
        geometry[secret] = None
        view = view.set_geometry(geometry)
    return view
