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
    (Leeds, York). A point is only reported as misplaced when it falls outside the wider
    :data:`REGISTER_EXTENT_LONLAT`, a box around northern England.

Confidentiality
    Refuge and safe-house addresses are confidential. A ``confidential`` record keeps
    its council area only: no address, postcode or coordinates
    (``location_precision = district``). :func:`public_view` strips any location from
    such records again before anything is shown or exported.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError
from shapely.geometry import Point

from mapping import hours
from mapping.errors import ServiceMapError
from mapping.sources import LANCASHIRE_LAD_CODES, SourceError, Sources, locate_sources
from mapping.store import atomic_write_text, repo_root
from mapping.study_area import ANALYSIS_CRS, to_27700, to_lonlat

__all__ = [
    "ADDENDUM_CITATION",
    "AREA_NAMES",
    "CATEGORIES",
    "COLUMNS",
    "CONFIDENCE_LEVELS",
    "CRIME_TYPES",
    "LANCASHIRE",
    "LANCASHIRE_LAD_CODES",
    "LOCATION_PRECISIONS",
    "OPTIONAL_COLUMNS",
    "OUTSIDE_DISTRICTS",
    "POSTCODE_TOLERANCE_M",
    "REFERENCE_CITATION",
    "REGISTER_EXTENT_LONLAT",
    "SEXES",
    "EvidenceBasis",
    "GeocodeReport",
    "Problem",
    "RegisterError",
    "ServiceRecord",
    "default_register_path",
    "evidence_basis",
    "geocode_register",
    "load_register",
    "lookup_postcodes",
    "normalise_postcode",
    "public_view",
    "rule_confidence",
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
    "confidence",
)
#: Columns a register may leave out: validated row by row when present, derived when not.
OPTIONAL_COLUMNS: tuple[str, ...] = ("confidence",)
#: ``confidence`` levels, firmest first (rule in data/README.md and :func:`rule_confidence`).
CONFIDENCE_LEVELS: tuple[str, ...] = ("high", "medium", "low")

#: Controlled vocabulary of ``category``.
CATEGORIES: tuple[str, ...] = (
    "sarc",
    "isva",
    "idva",
    "da_outreach",
    "refuge",
    "young_people",
    "stalking",
    "hate_crime",
    "counselling",
    "restorative_justice",
    "police_victim_care",
    "multi_crime_hub",
    "helpline",
    "womens_centre",
)
#: ``location_precision``: what the point stands for (``district``: confidential, no
#: point; ``none``: a county-wide or national service with no site).
LOCATION_PRECISIONS: tuple[str, ...] = ("postcode", "street", "town", "district", "none")
_POINT_PRECISIONS = ("postcode", "street", "town")
#: Controlled vocabulary of ``crime_types`` (``all`` stands alone).
CRIME_TYPES: tuple[str, ...] = (
    "all",
    "domestic_abuse",
    "sexual_violence",
    "stalking",
    "hate_crime",
    "other",
)
#: Controlled vocabulary of ``sexes`` (``all`` stands alone).
SEXES: tuple[str, ...] = ("all", "female", "male")
#: ``provider_area`` / ``areas_served`` value for the county as a whole.
LANCASHIRE = "Lancashire"
#: ``district`` values for sites outside Lancashire's 14 council areas.
OUTSIDE_DISTRICTS: tuple[str, ...] = (
    "Greater Manchester",
    "Cumbria",
    "Merseyside",
    "West Yorkshire",
    "North Yorkshire",
)
#: Named areas allowed in ``areas_served`` besides Lancashire's LAD codes.
AREA_NAMES: tuple[str, ...] = (
    LANCASHIRE,
    "England and Wales",
    "England",
    "Cheshire",
    "York",
    *OUTSIDE_DISTRICTS,
)
#: (min lon, min lat, max lon, max lat): northern England, wider than the study area so
#: the Leeds and York SARCs fit; a register point outside it is misplaced.
REGISTER_EXTENT_LONLAT: tuple[float, float, float, float] = (-3.8, 53.0, -0.5, 55.2)
#: Largest allowed distance between a postcode-located point and its Code-Point unit.
POSTCODE_TOLERANCE_M = 1000.0
#: The reference file every record must cite (or the addendum, below).
REFERENCE_CITATION = "shared/reference/lancashire-victim-services.md"
#: The December 2026 second pass over the public pages; records it changed or added cite it.
ADDENDUM_CITATION = "shared/reference/lancashire-victim-services-addendum-2026-12.md"
_EARLIEST_VERIFIED = date(1990, 1, 1)
_MAX_AGE = 120

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_LAD_RE = re.compile(r"^[EWSN]\d{8}$")
_INT_RE = re.compile(r"^[+-]?\d+$")


# ---- problems ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One problem in the register, located as an editor shows it.

    ``row`` is the line number in the file (header = 1, first record = 2; a record
    spanning several lines is numbered by its first line); ``row = 0`` and
    ``field = "-"`` mark whole-file problems.
    """

    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.field}: {self.message}"


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


# ---- postcodes -----------------------------------------------------------------------


def normalise_postcode(text: str) -> str:
    """Return a UK postcode in its usual form (``"pr29ht"`` -> ``"PR2 9HT"``).

    Raises
    ------
    ValueError
        If ``text`` is not shaped like a UK postcode.
    """
    compact = re.sub(r"\s+", "", str(text)).upper()
    match = _POSTCODE_RE.match(compact)
    if not match:
        raise ValueError(f"{text!r} is not a UK postcode (e.g. 'PR2 9HT')")
    return f"{match.group(1)} {match.group(2)}"


def _postcode_area(postcode: str) -> str:
    return re.match(r"[A-Z]+", postcode).group(0)  # type: ignore[union-attr]


# Code-Point areas already read, keyed by the zip's identity: validation runs often
# (tests, the app) and always needs the same few areas.
_AREA_CACHE: dict[tuple[str, int, int, str], pd.DataFrame] = {}


def _read_area(sources: Sources, area: str) -> pd.DataFrame:
    path = sources.path("codepoint")
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, area)
    if key not in _AREA_CACHE:
        table = sources.read_codepoint(areas=[area])
        table = table.assign(postcode=table["postcode"].map(_canonical_or_none))
        _AREA_CACHE[key] = table.dropna(subset=["postcode"]).set_index("postcode")[
            ["easting", "northing", "district_code"]
        ]
    return _AREA_CACHE[key]


def _canonical_or_none(text: Any) -> str | None:
    try:
        return normalise_postcode(text)
    except ValueError:
        return None


def lookup_postcodes(postcodes: Iterable[str], sources: Sources) -> pd.DataFrame:
    """Look postcodes up in OS Code-Point Open, reading only the areas they fall in.

    Parameters
    ----------
    postcodes
        Postcodes in any case and spacing; ones not shaped like a postcode are ignored.
    sources
        The located raw sources (see :func:`mapping.sources.locate_sources`).

    Returns
    -------
    pandas.DataFrame
        Indexed by normalised postcode, one row per postcode found: ``easting``,
        ``northing`` (EPSG:27700), ``district_code`` (ONS LAD code), ``lon``, ``lat``
        (WGS84, 6 decimal places). Postcodes not in Code-Point Open are absent.

    Raises
    ------
    mapping.sources.SourceError
        If the Code-Point zip is missing or unreadable.
    """
    wanted = sorted({pc for pc in map(_canonical_or_none, postcodes) if pc is not None})
    frames = []
    for area in sorted({_postcode_area(pc) for pc in wanted}):
        table = _read_area(sources, area)
        frames.append(table.loc[table.index.intersection(wanted)])
    if frames:
        found = pd.concat(frames)
    else:
        found = pd.DataFrame(
            {
                "easting": pd.Series(dtype="int64"),
                "northing": pd.Series(dtype="int64"),
                "district_code": pd.Series(dtype="object"),
            }
        )
    found = found[~found.index.duplicated()].copy()
    found.index.name = "postcode"
    lon, lat = to_lonlat(found["easting"].to_numpy(float), found["northing"].to_numpy(float))
    found["lon"] = np.round(np.asarray(lon, dtype=float), 6)
    found["lat"] = np.round(np.asarray(lat, dtype=float), 6)
    return found


# ---- the row schema (pydantic) -------------------------------------------------------


def _bad(message: str) -> PydanticCustomError:
    # The message goes through the context so braces in user data are not templated.
    return PydanticCustomError("register", "{message}", {"message": message})


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _required(name: str, value: Any) -> str:
    text = _text(value)
    if text is None:
        raise _bad(f"{name} is required")
    return text


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(";") if part.strip())


def _v_id(value: Any) -> str:
    text = _required("id", value)
    if not _ID_RE.match(text):
        raise _bad(f"{text!r} is not a slug: use lower-case letters, digits and hyphens")
    return text


def _v_name(value: Any) -> str:
    return _required("name", value)


def _v_category(value: Any) -> str:
    text = _required("category", value)
    if text not in CATEGORIES:
        raise _bad(f"unknown category {text!r}; use one of: {', '.join(CATEGORIES)}")
    return text


def _v_postcode(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return normalise_postcode(text)
    except ValueError as exc:
        raise _bad(str(exc)) from None


def _coordinate(name: str, limit: float, value: Any) -> float | None:
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise _bad(f"{name} {text!r} is not a number") from None
    if not math.isfinite(number) or abs(number) > limit:
        raise _bad(f"impossible {name} {text!r} (must be within ±{limit:g})")
    return number


def _v_lat(value: Any) -> float | None:
    return _coordinate("latitude", 90.0, value)


def _v_lon(value: Any) -> float | None:
    return _coordinate("longitude", 180.0, value)


def _v_precision(value: Any) -> str:
    text = _required("location_precision", value)
    if text not in LOCATION_PRECISIONS:
        raise _bad(
            f"unknown location_precision {text!r}; use one of: {', '.join(LOCATION_PRECISIONS)}"
        )
    return text


def _v_district(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if text not in LANCASHIRE_LAD_CODES and text not in OUTSIDE_DISTRICTS:
        raise _bad(
            f"invalid district {text!r}: use a Lancashire council-area code "
            f"(E06000008, E06000009, E07000117…E07000128) or one of: "
            f"{', '.join(OUTSIDE_DISTRICTS)}"
        )
    return text


def _v_areas(value: Any) -> tuple[str, ...]:
    parts = _list(_required("areas_served", value))
    bad = [p for p in parts if p not in LANCASHIRE_LAD_CODES and p not in AREA_NAMES]
    if bad or not parts:
        raise _bad(
            f"unknown area(s) {', '.join(map(repr, bad))}: use Lancashire council-area codes "
            f"or {', '.join(AREA_NAMES)}, separated by ';'"
        )
    return parts


def _v_hours(value: Any) -> str:
    text = _required("opening_hours", value)
    message = hours.validate_hours(text)
    if message is not None:
        raise _bad(message)
    return text


def _v_basis(value: Any) -> str:
    text = _required("hours_basis", value)
    prefix, _, rest = text.partition(":")
    if prefix not in ("published", "assumed") or not rest.strip():
        raise _bad("hours_basis must read 'published: <where>' or 'assumed: <why>'")
    return text


def _age(name: str, value: Any) -> int | None:
    text = _text(value)
    if text is None:
        return None
    if not _INT_RE.match(text):
        raise _bad(f"{name} {text!r} is not a whole number of years")
    age = int(text)
    if age < 0:
        raise _bad(f"impossible {name} {age}: ages cannot be negative")
    if age > _MAX_AGE:
        raise _bad(f"impossible {name} {age}: more than {_MAX_AGE}")
    return age


def _v_min_age(value: Any) -> int | None:
    return _age("min_age", value)


def _v_max_age(value: Any) -> int | None:
    return _age("max_age", value)


def _v_self_age(value: Any) -> int | None:
    return _age("self_referral_min_age", value)


def _vocabulary(name: str, allowed: tuple[str, ...], value: Any) -> tuple[str, ...]:
    parts = _list(_required(name, value))
    bad = [p for p in parts if p not in allowed]
    if bad:
        raise _bad(f"unknown {name} {', '.join(map(repr, bad))}; use: {', '.join(allowed)}")
    if "all" in parts and len(parts) > 1:
        raise _bad(f"{name} 'all' must stand alone")
    if len(set(parts)) != len(parts):
        raise _bad(f"{name} repeats a value")
    return parts


def _v_sexes(value: Any) -> tuple[str, ...]:
    return _vocabulary("sexes", SEXES, value)


def _v_crimes(value: Any) -> tuple[str, ...]:
    return _vocabulary("crime_types", CRIME_TYPES, value)


def _v_confidential(value: Any) -> bool:
    text = _required("confidential", value).lower()
    if text not in ("true", "false"):
        raise _bad(f"confidential must be true or false, not {text!r}")
    return text == "true"


def _v_source(value: Any) -> str:
    text = _text(value)
    if text is None:
        raise _bad("source is missing: cite where each fact comes from")
    if not any(Path(ref).name in text for ref in (REFERENCE_CITATION, ADDENDUM_CITATION)):
        raise _bad(
            f"source must cite the reference file {REFERENCE_CITATION} "
            f"or its addendum {ADDENDUM_CITATION}"
        )
    return text


def _v_date(value: Any) -> date:
    text = _text(value)
    if text is None:
        raise _bad("verified_on is missing: give the ISO date the facts were last verified")
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise _bad(f"verified_on {text!r} is not a date (use YYYY-MM-DD)") from None


def _v_capacity(value: Any) -> int | None:
    text = _text(value)
    if text is None:
        return None
    if not _INT_RE.match(text) or int(text) < 0:
        raise _bad(f"capacity_family_places {text!r} is not a whole number ≥ 0")
    return int(text)


def _v_confidence(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None  # derived from the rule when left empty
    if text not in CONFIDENCE_LEVELS:
        raise _bad(
            f"unknown confidence {text!r}; use one of: {', '.join(CONFIDENCE_LEVELS)} "
            "(or leave it empty to derive it, see data/README.md)"
        )
    return text


def rule_confidence(location_precision: Any, hours_basis: Any) -> str:
    """The confidence the documented rule gives a record (``data/README.md``).

    ``low`` when the hours are assumed or the site is known only to a town; ``high``
    for a published postcode with published hours; ``medium`` otherwise (published
    hours for a county-wide line or a confidential site, located by district only).

    Examples
    --------
    >>> rule_confidence("postcode", "published: CQC page")
    'high'
    >>> rule_confidence("postcode", "assumed: office hours")
    'low'
    >>> rule_confidence("town", "published: helpline page")
    'low'
    >>> rule_confidence("none", "published: national lines")
    'medium'
    """
    basis = _text(hours_basis) or ""
    if basis.partition(":")[0].strip() != "published" or location_precision == "town":
        return "low"
    return "high" if location_precision == "postcode" else "medium"


class ServiceRecord(BaseModel):
    """One register record, parsed from the CSV's text cells.

    Every field defaults to ``None`` and is only validated when its column is present,
    so a file missing a column reports that once rather than on every row.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=False)

    id: Annotated[str | None, BeforeValidator(_v_id)] = None
    name: Annotated[str | None, BeforeValidator(_v_name)] = None
    provider: Annotated[str | None, BeforeValidator(_text)] = None
    category: Annotated[str | None, BeforeValidator(_v_category)] = None
    address: Annotated[str | None, BeforeValidator(_text)] = None
    postcode: Annotated[str | None, BeforeValidator(_v_postcode)] = None
    lat: Annotated[float | None, BeforeValidator(_v_lat)] = None
    lon: Annotated[float | None, BeforeValidator(_v_lon)] = None
    location_precision: Annotated[str | None, BeforeValidator(_v_precision)] = None
    district: Annotated[str | None, BeforeValidator(_v_district)] = None
    areas_served: Annotated[tuple[str, ...] | None, BeforeValidator(_v_areas)] = None
    opening_hours: Annotated[str | None, BeforeValidator(_v_hours)] = None
    hours_basis: Annotated[str | None, BeforeValidator(_v_basis)] = None
    min_age: Annotated[int | None, BeforeValidator(_v_min_age)] = None
    max_age: Annotated[int | None, BeforeValidator(_v_max_age)] = None
    sexes: Annotated[tuple[str, ...] | None, BeforeValidator(_v_sexes)] = None
    crime_types: Annotated[tuple[str, ...] | None, BeforeValidator(_v_crimes)] = None
    self_referral_min_age: Annotated[int | None, BeforeValidator(_v_self_age)] = None
    confidential: Annotated[bool | None, BeforeValidator(_v_confidential)] = None
    source: Annotated[str | None, BeforeValidator(_v_source)] = None
    verified_on: Annotated[date | None, BeforeValidator(_v_date)] = None
    notes: Annotated[str | None, BeforeValidator(_text)] = None
    capacity_family_places: Annotated[int | None, BeforeValidator(_v_capacity)] = None
    confidence: Annotated[str | None, BeforeValidator(_v_confidence)] = None


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
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = payload[: exc.start].count(b"\n") + 1
        byte = payload[exc.start]
        parsed.add(0, "-", f"not UTF-8 text (byte 0x{byte:02x} on line {line}); save it as UTF-8")
        return None


def _read_rows(text: str, parsed: _Parsed) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    next_line = 1
    try:
        for row in reader:
            start, next_line = next_line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue  # blank lines and all-empty rows carry nothing
            rows.append((start, row))
    except csv.Error as exc:
        parsed.add(next_line, "-", f"malformed CSV ({exc}); later lines were not read")
    return rows


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
        if rec.confidence is not None and ok("location_precision", "hours_basis"):
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

        has_lat, has_lon = rec.lat is not None, rec.lon is not None
        if ok("lat", "lon") and has_lat != has_lon:
            missing = "lon" if has_lat else "lat"
            add(line, missing, "lat and lon must be given together")
        has_point = has_lat and has_lon
        precision = rec.location_precision
        if rec.confidential:
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
        :func:`~mapping.sources.locate_sources` when omitted.
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
        ``capacity_family_places`` as nullable ``Int64``; ``confidential`` as bool;
        ``verified_on`` as ``datetime64``; ``lat``/``lon`` as float (NaN when absent);
        text as pandas' string dtype, empty cells missing (NA). ``provider_area`` is
        ``"Lancashire"`` for a site in a Lancashire council area or a Lancashire-wide
        service, else the district (e.g.
        ``"Greater Manchester"``) or, for national lines, the areas served. The
        geometry is a Point for located records and ``None`` for confidential and
        location-less ones. ``confidence`` is the recorded level, or the one
        :func:`rule_confidence` gives when the cell or the column is empty.

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
    geometry = []
    for _, rec, _ in parsed.records:
        row = rec.model_dump()
        located = (
            not rec.confidential
            and rec.location_precision in _POINT_PRECISIONS
            and rec.lat is not None
            and rec.lon is not None
        )
        if rec.confidential:
            row.update(lat=None, lon=None, postcode=None, address=None)
        row["provider_area"] = _provider_area(rec.district, rec.areas_served or ())
        if rec.confidence is None:
            row["confidence"] = rule_confidence(rec.location_precision, rec.hours_basis)
        rows.append(row)
        geometry.append(Point(*to_27700(rec.lon, rec.lat)) if located else None)
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "provider_area"])
    for name in ("lat", "lon"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    for name in ("min_age", "max_age", "self_referral_min_age", "capacity_family_places"):
        frame[name] = pd.array(frame[name].tolist(), dtype="Int64")
    frame["confidential"] = frame["confidential"].astype(bool)
    frame["verified_on"] = pd.to_datetime(frame["verified_on"])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=ANALYSIS_CRS)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value) if value is not None and not pd.isna(value) else False


def stale_mask(register: pd.DataFrame, as_of: date | None = None, months: int = 12) -> pd.Series:
    """True for records whose ``verified_on`` is more than ``months`` before ``as_of``.

    A record without a readable date counts as stale: nobody has verified it. Months
    are calendar months, clamped to the month's end (29 February less 12 months is
    28 February).

    Parameters
    ----------
    register
        The register (any frame with a ``verified_on`` column).
    as_of
        The date staleness is measured from (default: today).
    months
        How old a verification may be before the record is stale.
    """
    cutoff = pd.Timestamp(as_of or date.today()) - pd.DateOffset(months=months)
    verified = pd.to_datetime(register["verified_on"], errors="coerce")
    return (verified.isna() | (verified < cutoff)).rename("stale")


@dataclass(frozen=True)
class EvidenceBasis:
    """How firm the records behind a figure are: counts from :func:`evidence_basis`."""

    records: int
    assumed_hours: int
    town_level: int
    confidence: dict[str, int]

    def share(self, count: int) -> float:
        """``count`` as a share of :attr:`records` (0 when there are none)."""
        return count / self.records if self.records else 0.0

    def caption(self) -> str:
        """One sentence for a figure: 'based on N records, M with assumed hours'."""
        text = (
            f"based on {self.records} record{'s' if self.records != 1 else ''}, "
            f"{self.assumed_hours} with assumed hours"
        )
        if self.town_level:
            text += f" and {self.town_level} located only to a town (about 1 km)"
        return text

    def lines(self) -> list[str]:
        """The summary ``service-map data check`` prints."""
        levels = ", ".join(f"{self.confidence.get(c, 0)} {c}" for c in CONFIDENCE_LEVELS)
        return [
            f"register: {self.records} records; {self.assumed_hours} "
            f"({self.share(self.assumed_hours):.0%}) with assumed hours",
            f"register: {self.town_level} ({self.share(self.town_level):.0%}) located only "
            "to a town (about 1 km; no postcode or street position)",
            f"register: confidence {levels}",
        ]


def evidence_basis(
    register: pd.DataFrame,
    categories: Iterable[str] | None = None,
    *,
    located_only: bool = False,
) -> EvidenceBasis:
    """Count the records behind a figure: how many have assumed hours or a town point.

    Parameters
    ----------
    register
        The register (from :func:`load_register`, a study's effective register, or a
        table with ``hours_basis`` and ``location_precision``).
    categories
        Count only these categories (default: every record).
    located_only
        Count only records with a public point, the ones drive-time figures rest on.

    Returns
    -------
    EvidenceBasis
        A record counts as having assumed hours when its ``hours_basis`` does not read
        ``published: …`` (what-if records without a basis count as assumed).
    """
    rows = register
    if categories is not None:
        rows = rows[rows["category"].isin(list(categories))]
    precision = rows["location_precision"].astype("string").fillna("")
    if located_only:
        keep = precision.isin(_POINT_PRECISIONS).to_numpy(dtype=bool, copy=True)
        if "confidential" in rows.columns:
            keep &= ~rows["confidential"].map(_truthy).to_numpy(dtype=bool)
        rows, precision = rows[keep], precision[keep]
    basis = rows["hours_basis"].astype("string").fillna("")
    assumed = ~basis.str.strip().str.startswith("published:")
    recorded = rows["confidence"] if "confidence" in rows.columns else [None] * len(rows)
    derived = [
        rule_confidence(p, b) if c is None or pd.isna(c) else str(c)
        for p, b, c in zip(precision, basis, recorded, strict=True)
    ]
    counts = pd.Series(derived, dtype="object").value_counts()
    return EvidenceBasis(
        records=len(rows),
        assumed_hours=int(assumed.sum()),
        town_level=int((precision == "town").sum()),
        confidence={c: int(counts.get(c, 0)) for c in CONFIDENCE_LEVELS},
    )


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
    secret = view["confidential"].map(_truthy).astype(bool).to_numpy()
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


@dataclass(frozen=True)
class GeocodeReport:
    """What :func:`geocode_register` did."""

    path: Path
    records: int
    geocoded: int
    changed: int


def geocode_register(
    path: str | os.PathLike[str] | None = None,
    sources: Sources | None = None,
) -> GeocodeReport:
    """(Re)fill ``lat``/``lon`` from OS Code-Point Open for postcode-located records.

    Only non-confidential records with ``location_precision = postcode`` are touched;
    every other value is written back unchanged. The file is replaced atomically, and
    only when something changed.

    Parameters
    ----------
    path
        The register CSV (default :func:`default_register_path`).
    sources
        Located raw sources (found when omitted).

    Raises
    ------
    RegisterError
        If the file cannot be read as a register, or a postcode is not in Code-Point
        Open (nothing is written then).
    mapping.sources.SourceError
        If the Code-Point zip cannot be found or read.
    """
    path = Path(default_register_path() if path is None else path)
    parsed = _Parsed(label=str(path))
    text = _read_text(path, parsed)
    rows = _read_rows(text, parsed) if text is not None else []
    if parsed.problems or not rows:
        raise RegisterError(path, parsed.problems or [Problem(str(path), 0, "-", "no header")])
    header = [h.strip() for h in rows[0][1]]
    needed = ("postcode", "lat", "lon", "location_precision", "confidential")
    missing = [c for c in needed if c not in header]
    if missing:
        raise RegisterError(path, [Problem(str(path), 0, "-", f"missing column(s): {missing}")])
    col = {name: header.index(name) for name in needed}
    targets: list[tuple[int, list[str], str]] = []
    problems: list[Problem] = []
    for line, row in rows[1:]:
        if len(row) != len(header):
            problems.append(Problem(str(path), line, "-", "wrong number of fields"))
            continue
        if row[col["location_precision"]].strip() != "postcode":
            continue
        if row[col["confidential"]].strip().lower() == "true":
            continue  # never give a confidential record a point
        postcode = _canonical_or_none(row[col["postcode"]])
        if postcode is None:
            problems.append(Problem(str(path), line, "postcode", "not a UK postcode"))
            continue
        targets.append((line, row, postcode))
    sources = sources or locate_sources()
    found = lookup_postcodes([pc for _, _, pc in targets], sources)
    for line, _, postcode in targets:
        if postcode not in found.index:
            problems.append(
                Problem(str(path), line, "postcode", f"{postcode} is not in OS Code-Point Open")
            )
    if problems:
        raise RegisterError(path, problems)
    changed = 0
    for _, row, postcode in targets:
        lat, lon = f"{found.at[postcode, 'lat']:.6f}", f"{found.at[postcode, 'lon']:.6f}"
        if (row[col["lat"]], row[col["lon"]]) != (lat, lon):
            row[col["lat"]], row[col["lon"]] = lat, lon
            changed += 1
    if changed:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for _, row in rows:
            writer.writerow(row)
        atomic_write_text(path, out.getvalue())
    return GeocodeReport(path=path, records=len(rows) - 1, geocoded=len(targets), changed=changed)
