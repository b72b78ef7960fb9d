"""One register record as a pydantic model: every field's check and its message."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from mapping.inputs import hours
from mapping.inputs.area import study_area
from mapping.inputs.files import parse_decimal
from mapping.inputs.postcodes import normalise_postcode
from mapping.inputs.sources import LANCASHIRE_LAD_CODES
from mapping.inputs.vocabulary import (
    CAPACITY_UNITS,
    CATEGORIES,
    CONFIDENCE_LEVELS,
    CRIME_TYPES,
    LANCASHIRE,
    LOCATION_PRECISIONS,
    SEXES,
    Category,
    CrimeType,
    LocationPrecision,
    Sex,
)


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


def _one_of(name: str, allowed: tuple[str, ...]) -> WrapValidator:
    """The field's ``Literal`` type checks the value; the message names field and choices."""

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        text = _required(name, value)
        try:
            return handler(text)
        except ValidationError:
            raise _bad(f"unknown {name} {text!r}; use one of: {', '.join(allowed)}") from None

    return WrapValidator(check)


def _many_of(name: str, allowed: tuple[str, ...]) -> WrapValidator:
    """A ``;``-separated list checked by the ``Literal`` type of its items; ``all`` alone."""

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        parts = _list(_required(name, value))
        try:
            checked = handler(parts)
        except ValidationError as exc:
            bad = [parts[int(e["loc"][0])] for e in exc.errors() if e["loc"]]
            message = f"unknown {name} {', '.join(map(repr, bad))}; use: {', '.join(allowed)}"
            raise _bad(message) from None
        if "all" in parts and len(parts) > 1:
            raise _bad(f"{name} 'all' must stand alone")
        if len(set(parts)) != len(parts):
            raise _bad(f"{name} repeats a value")
        return checked

    return WrapValidator(check)


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
    if not text.isascii():
        raise _bad(f"{name} {text!r} is not a number in ASCII digits (0-9)")
    number = parse_decimal(text)
    if number is None:
        raise _bad(f"{name} {text!r} is not a number")
    if abs(number) > limit:
        raise _bad(f"impossible {name} {text!r} (must be within ±{limit:g})")
    return number


def _v_lat(value: Any) -> float | None:
    return _coordinate("latitude", 90.0, value)


def _v_lon(value: Any) -> float | None:
    return _coordinate("longitude", 180.0, value)


def _v_district(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if text not in LANCASHIRE_LAD_CODES and text not in OUTSIDE_DISTRICTS:
        raise _bad(
            f"invalid district {text!r}: use a {LANCASHIRE} council-area code "
            f"({', '.join(LANCASHIRE_LAD_CODES)}) or one of: "
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


def _v_fte(value: Any) -> float | None:
    text = _text(value)
    if text is None:
        return None
    number = parse_decimal(text)
    if number is None or number < 0 or number > 1000:
        raise _bad(f"advocate_fte {text!r} is not a number of full-time posts from 0 to 1000")
    return number


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


def _v_capacity(value: Any) -> int | None:
    text = _text(value)
    if text is None:
        return None
    if not _INT_RE.match(text) or int(text) < 0:
        raise _bad(f"capacity_family_places {text!r} is not a whole number ≥ 0")
    return int(text)


def _v_capacity_value(value: Any) -> float | None:
    text = _text(value)
    if text is None:
        return None  # unknown: never read as 0
    number = parse_decimal(text)
    if number is None or number < 0 or number > 1_000_000:
        raise _bad(f"capacity_value {text!r} is not a number from 0 to 1,000,000")
    return number


def _v_capacity_unit(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if text not in CAPACITY_UNITS:
        raise _bad(
            f"unknown capacity_unit {text!r}; use one of: {', '.join(CAPACITY_UNITS)} "
            "(see data/README.md)"
        )
    return text


class ServiceRecord(BaseModel):
    """One register record, parsed from the CSV's text cells.

    Every field defaults to ``None`` and is only validated when its column is present,
    so a file missing a column reports that once rather than on every row.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=False)

    id: Annotated[str | None, BeforeValidator(_v_id)] = None
    name: Annotated[str | None, BeforeValidator(_v_name)] = None
    provider: Annotated[str | None, BeforeValidator(_text)] = None
    category: Annotated[Category | None, _one_of("category", CATEGORIES)] = None
    address: Annotated[str | None, BeforeValidator(_text)] = None
    postcode: Annotated[str | None, BeforeValidator(_v_postcode)] = None
    lat: Annotated[float | None, BeforeValidator(_v_lat)] = None
    lon: Annotated[float | None, BeforeValidator(_v_lon)] = None
    location_precision: Annotated[
        LocationPrecision | None, _one_of("location_precision", LOCATION_PRECISIONS)
    ] = None
    district: Annotated[str | None, BeforeValidator(_v_district)] = None
    areas_served: Annotated[tuple[str, ...] | None, BeforeValidator(_v_areas)] = None
    opening_hours: Annotated[str | None, BeforeValidator(_v_hours)] = None
    hours_basis: Annotated[str | None, BeforeValidator(_v_basis)] = None
    min_age: Annotated[int | None, BeforeValidator(_v_min_age)] = None
    max_age: Annotated[int | None, BeforeValidator(_v_max_age)] = None
    sexes: Annotated[tuple[Sex, ...] | None, _many_of("sexes", SEXES)] = None
    crime_types: Annotated[tuple[CrimeType, ...] | None, _many_of("crime_types", CRIME_TYPES)] = (
        None
    )
    self_referral_min_age: Annotated[int | None, BeforeValidator(_v_self_age)] = None
    confidential: Annotated[bool | None, BeforeValidator(_v_confidential)] = None
    source: Annotated[str | None, BeforeValidator(_v_source)] = None
    verified_on: Annotated[date | None, BeforeValidator(_v_date)] = None
    notes: Annotated[str | None, BeforeValidator(_text)] = None
    capacity_family_places: Annotated[int | None, BeforeValidator(_v_capacity)] = None
    capacity_family_places_source: Annotated[str | None, BeforeValidator(_text)] = None
    advocate_fte: Annotated[float | None, BeforeValidator(_v_fte)] = None
    advocate_fte_source: Annotated[str | None, BeforeValidator(_text)] = None
    confidence: Annotated[str | None, BeforeValidator(_v_confidence)] = None
    capacity_value: Annotated[float | None, BeforeValidator(_v_capacity_value)] = None
    capacity_unit: Annotated[str | None, BeforeValidator(_v_capacity_unit)] = None
    capacity_source: Annotated[str | None, BeforeValidator(_text)] = None


#: ``district`` values for sites outside the study area (``study_area.toml``).
OUTSIDE_DISTRICTS: tuple[str, ...] = study_area().neighbour_districts


#: Named areas allowed in ``areas_served`` besides the study area's LAD codes.
AREA_NAMES: tuple[str, ...] = (
    LANCASHIRE,
    *study_area().other_areas_served,
    *OUTSIDE_DISTRICTS,
)


#: The reference file every record must cite.
REFERENCE_CITATION = "shared/reference/lancashire-victim-services.md"
#: The December 2026 second pass over the public pages; records it changed or added cite it.
ADDENDUM_CITATION = "shared/reference/lancashire-victim-services-addendum-2026-12.md"


_MAX_AGE = 120


_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# ASCII digits only ("\d" would accept Arabic-Indic and other digits), at most 4 of them:
# a longer number is no age and must not reach int() (Python refuses 4,300+ digits).
_INT_RE = re.compile(r"^[+-]?[0-9]{1,4}$")
