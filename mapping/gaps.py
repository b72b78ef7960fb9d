"""The gap register: rule-based gaps in victim-service provision, with their evidence.

Rules are read from a TOML file (default ``data/gap_rules.toml``) whose thresholds and
severity bands are parameters, each with a one-line description and the source of its
benchmark. :func:`evaluate` applies them to a :class:`mapping.coverage.Study` and
returns one row per gap::

    from mapping.coverage import Study
    from mapping.gaps import evaluate

    register = evaluate(Study.load())

Every figure comes from the Study (its effective register, so what-if changes flow
through, and its population-weighted coverage); nothing is hard-coded. The rules:

``sarc_travel``
    Residents more than N minutes from an open SARC at each slot, per council area.
``no_da_base``
    Council areas with no located domestic-abuse service base of their own.
``no_refuge``
    Council areas with no refuge filed under them or listing them as served.
``no_out_of_hours``
    Categories with no provision serving Lancashire open at night or at the weekend.
``young_people``
    Under-16s far from a service open to them; areas with no young people's site.
``refuge_capacity``
    Known refuge family places against one per 10,000 people (Istanbul Convention).
``stale_record``
    Register records not verified within N months of the as-of date; the evidence
    gives each record's confidence and what lowers it (assumed hours, a town point).

Confidential services (refuges) have no location in the register; gap records name
them by id and name only.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mapping.coverage import TOTAL_CODE, TimeSlot, resolve_slot
from mapping.errors import ServiceMapError
from mapping.geography import AGE_BANDS
from mapping.hours import is_open
from mapping.services import CATEGORIES, LANCASHIRE, LANCASHIRE_LAD_CODES, stale_mask
from mapping.store import repo_root

__all__ = [
    "COLUMNS",
    "RULE_IDS",
    "SEVERITIES",
    "GapRule",
    "default_rules_path",
    "evaluate",
    "format_gaps",
    "load_rules",
    "summarise_gaps",
]

#: Columns of the gap register, in order.
COLUMNS: tuple[str, ...] = (
    "gap_id",
    "rule_id",
    "rule_title",
    "area_level",
    "area_code",
    "area_name",
    "severity",
    "population_affected",
    "evidence",
    "services",
    "slot",
)
#: Severity levels, most severe first.
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
#: ``area_code`` of Lancashire-wide rows (the 14 council areas together).
LANCASHIRE_CODE = LANCASHIRE
#: ``areas_served`` values that cover Lancashire besides its council-area codes.
_COVERS_LANCASHIRE = frozenset({LANCASHIRE, "England", "England and Wales"})

#: Readable names of the categories, for evidence sentences.
_LABELS: dict[str, str] = {
    "sarc": "SARC",
    "isva": "ISVA service",
    "idva": "IDVA service",
    "da_outreach": "domestic-abuse outreach service",
    "refuge": "refuge",
    "young_people": "young people's service",
    "stalking": "stalking advocacy service",
    "hate_crime": "hate crime service",
    "counselling": "counselling service",
    "restorative_justice": "restorative justice service",
    "police_victim_care": "police victim care service",
    "multi_crime_hub": "multi-crime hub",
    "helpline": "helpline",
}


@dataclass(frozen=True)
class GapRule:
    """One rule as read from the rules file, with its parameters checked.

    Attributes
    ----------
    id
        Rule id (a key of :data:`RULE_IDS`), e.g. ``"sarc_travel"``.
    title, description, source
        Short title, one-line description and the source of its threshold.
    params
        Parameters, defaults filled in (slots as :class:`TimeSlot`).
    severity
        Severity bands: ``high`` and ``medium`` thresholds (or category lists) and the
        ``measure`` they apply to.
    enabled
        ``False`` skips the rule.
    """

    id: str
    title: str
    description: str
    source: str
    params: Mapping[str, Any] = field(default_factory=dict)
    severity: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True


# ---- parameter checks ------------------------------------------------------------
# Each check returns the normalised value or raises ValueError with the message shown
# after "file:rule:field: ".


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("must be a number")
    return float(value)


def _positive(value: Any) -> float:
    try:
        number = _number(value)
    except ValueError:
        number = -1.0
    if number <= 0:
        raise ValueError("must be a positive number")
    return number


def _non_negative_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("must be a whole number, 0 or more")
    return int(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be non-empty text")
    return value.strip()


def _severity_level(value: Any) -> str:
    if value not in SEVERITIES:
        raise ValueError(f"must be one of {', '.join(SEVERITIES)}")
    return str(value)


def _slot(value: Any) -> TimeSlot:
    if not isinstance(value, str):
        raise ValueError("must be a slot name or a time of week such as 'Sat 02:00'")
    try:
        return resolve_slot(value)
    except ServiceMapError as exc:
        raise ValueError(str(exc)) from None


def _slots(value: Any) -> tuple[TimeSlot, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError("must be a non-empty list of slots, e.g. ['weekend night']")
    return tuple(_slot(item) for item in value)


def _categories(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError("must be a non-empty list of categories")
    unknown = [item for item in value if item not in CATEGORIES]
    if unknown:
        raise ValueError(f"unknown category {unknown[0]!r}; known: {', '.join(CATEGORIES)}")
    return tuple(value)


def _age_band(value: Any) -> str:
    if value not in AGE_BANDS:
        raise ValueError(f"must be one of {', '.join(AGE_BANDS)}")
    return str(value)


def _optional_date(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("must be a date such as 2026-11-22")


def _numeric_bands(table: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"measure": _text(table.get("measure", "value"))}
    for level in ("high", "medium"):
        if level not in table:
            raise _FieldError(f"severity.{level}", "is missing")
        try:
            out[level] = _number(table[level])
        except ValueError as exc:
            raise _FieldError(f"severity.{level}", str(exc)) from None
        if out[level] < 0:
            raise _FieldError(f"severity.{level}", "must be 0 or more")
    if out["high"] < out["medium"]:
        raise _FieldError("severity.high", "must be at least severity.medium")
    return out


def _category_bands(table: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"measure": _text(table.get("measure", "service category"))}
    for level in ("high", "medium"):
        try:
            out[level] = frozenset(_categories(table.get(level, [])))
        except ValueError as exc:
            raise _FieldError(f"severity.{level}", str(exc)) from None
    return out


class _FieldError(Exception):
    """A problem in one field of one rule (turned into a ServiceMapError)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


@dataclass(frozen=True)
class _Spec:
    params: Mapping[str, tuple[Any, Callable[[Any], Any]]]
    bands: Callable[[Mapping[str, Any]], dict[str, Any]]
    evaluate: Callable[[_Context, GapRule], list[dict[str, Any]]]


# ---- evaluation context ----------------------------------------------------------


@dataclass
class _Context:
    """What every rule reads: the study, its effective register and area facts."""

    study: Any
    register: pd.DataFrame
    as_of: date | None
    names: dict[str, str]
    population: pd.Series  # by lad_code
    age_population: pd.DataFrame  # age-band columns by lad_code

    @property
    def areas(self) -> list[str]:
        """Lancashire council-area codes present in the study, in code order."""
        return [code for code in LANCASHIRE_LAD_CODES if code in self.population.index]

    def area_name(self, code: Any) -> str:
        text = _clean(code)
        if text == TOTAL_CODE:
            return LANCASHIRE
        return self.names.get(text, text)

    def service_name(self, service_id: Any) -> str:
        text = _clean(service_id)
        hit = self.register.loc[self.register["id"] == text, "name"]
        return str(hit.iloc[0]) if len(hit) else text

    def where(self, service_id: Any) -> str:
        """A service's council area (by name) or outside area, never a location."""
        hit = self.register.loc[self.register["id"] == _clean(service_id)]
        if hit.empty:
            return ""
        district = _clean(hit["district"].iloc[0])
        if district:
            return self.area_name(district)
        return _clean(hit["provider_area"].iloc[0]) if "provider_area" in hit else ""

    def named(self, service_id: Any) -> str:
        where = self.where(service_id)
        name = self.service_name(service_id)
        # "The Bridgeway SARC (Cumbria)" already says where it is.
        return f"{name} ({where})" if where and where.lower() not in name.lower() else name


def _clean(value: Any) -> str:
    """Text of a cell, ``""`` for missing values."""
    if value is None:
        return ""
    try:
        if pd.isna(value):  # NaN, NA and NaT alike
            return ""
    except (TypeError, ValueError):  # list-like cells are not missing values
        pass
    return str(value).strip()


def _as_tuple(value: Any) -> tuple[str, ...]:
    """A ``;``-list cell (tuple, list or text) as a tuple of text."""
    if isinstance(value, tuple | list | set | frozenset | np.ndarray):
        return tuple(str(v).strip() for v in value if _clean(v))
    text = _clean(value)
    return tuple(part.strip() for part in text.split(";") if part.strip())


def _located(register: pd.DataFrame) -> pd.Series:
    """Records with a point (confidential records never have one)."""
    geometry = register["geometry"] if "geometry" in register else pd.Series(None, register.index)
    has_point = geometry.map(lambda g: g is not None and not getattr(g, "is_empty", True))
    confidential = register["confidential"].fillna(False).astype(bool)
    return has_point.astype(bool) & ~confidential


def _serves_lancashire(areas_served: Any) -> bool:
    served = set(_as_tuple(areas_served))
    return bool(served & _COVERS_LANCASHIRE) or bool(served & set(LANCASHIRE_LAD_CODES))


def _band(value: float, bands: Mapping[str, Any]) -> str:
    if value >= bands["high"]:
        return "high"
    if value >= bands["medium"]:
        return "medium"
    return "low"


def _cap(severity: str, limit: str) -> str:
    """The less severe of ``severity`` and ``limit``."""
    return SEVERITIES[max(SEVERITIES.index(severity), SEVERITIES.index(limit))]


def _pct(share: float) -> str:
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{share:.0%}"


def _minutes(value: float) -> str:
    return f"{value:g}"


def _label(category: str) -> str:
    return _LABELS.get(category, category)


def _join(items: Iterable[str]) -> str:
    return ";".join(dict.fromkeys(i for i in items if i))


def _record(
    rule: GapRule,
    key: str,
    *,
    area_level: str,
    area_code: str,
    area_name: str,
    severity: str,
    population: float | None,
    evidence: str,
    services: Iterable[str] = (),
    slot: str = "",
) -> dict[str, Any]:
    return {
        "gap_id": f"{rule.id}:{key}",
        "rule_id": rule.id,
        "rule_title": rule.title,
        "area_level": area_level,
        "area_code": area_code,
        "area_name": area_name,
        "severity": severity,
        "population_affected": None if population is None else round(float(population)),
        "evidence": evidence,
        "services": _join(services),
        "slot": slot,
    }


def _area_fields(ctx: _Context, code: str) -> dict[str, str]:
    if code == TOTAL_CODE:
        return {"area_level": "lancashire", "area_code": LANCASHIRE_CODE, "area_name": LANCASHIRE}
    return {"area_level": "district", "area_code": code, "area_name": ctx.area_name(code)}


# ---- rules -----------------------------------------------------------------------


def _sarc_travel(ctx: _Context, rule: GapRule) -> list[dict[str, Any]]:
    p = rule.params
    limit, also = p["minutes"], p["also_minutes"]
    rows = []
    for slot in p["slots"]:
        table = ctx.study.coverage("sarc", slot, "district", thresholds=sorted({limit, also}))
        for row in table.to_dict("records"):
            eligible = float(row["eligible_population"])
            if eligible <= 0:
                continue
            beyond = eligible * (1 - row[f"share_within_{_minutes(limit)}"])
            beyond_also = eligible * (1 - row[f"share_within_{_minutes(also)}"])
            if round(beyond) < max(p["min_population"], 1):
                continue
            share = beyond / eligible
            nearest = _clean(row["nearest_service"])
            where = (
                f"nearest open SARC for most: {ctx.named(nearest)}"
                if nearest
                else "no SARC is open at that time"
            )
            evidence = (
                f"At {slot.at} ({slot.name}), {round(beyond):,} of {round(eligible):,} "
                f"residents ({_pct(share)}) are more than {_minutes(limit)} minutes from an "
                f"open SARC ({round(beyond_also):,} more than {_minutes(also)} minutes); "
                f"{where}."
            )
            code = str(row["area_code"])
            area = _area_fields(ctx, code)
            rows.append(
                _record(
                    rule,
                    f"{area['area_code']}:{slot.at}",
                    **area,
                    severity=_band(share, rule.severity),
                    population=beyond,
                    evidence=evidence,
                    services=[nearest],
                    slot=slot.at,
                )
            )
    return rows


def _no_da_base(ctx: _Context, rule: GapRule) -> list[dict[str, Any]]:
    p = rule.params
    register = ctx.register
    categories = p["categories"]
    in_scope = register["category"].isin(categories)
    bases = register[in_scope & _located(register)]
    based_in = set(bases["district"].map(_clean))
    county_wide = register[
        in_scope & ~_located(register) & register["areas_served"].map(_serves_lancashire)
    ]
    slot, limit = p["slot"], p["minutes"]
    table = ctx.study.coverage(
        list(categories), slot, "district", thresholds=(limit,), total_row=False
    ).set_index("area_code")
    rows = []
    for code in ctx.areas:
        if code in based_in:
            continue
        name = ctx.area_name(code)
        population = float(ctx.population[code])
        serving = bases[bases["areas_served"].map(lambda a, c=code: c in _as_tuple(a))]
        access = table.loc[code] if code in table.index else None
        parts = [
            f"{name} ({round(population):,} residents) has no located domestic-abuse "
            f"service base of its own (categories: {', '.join(categories)})."
        ]
        share_beyond = 1.0
        nearest = ""
        if access is not None and access["eligible_population"] > 0:
            share_beyond = 1 - float(access[f"share_within_{_minutes(limit)}"])
            nearest = _clean(access["nearest_service"])
        if nearest:
            parts.append(
                f"At {slot.at} ({slot.name}) the nearest open base for most residents is "
                f"{ctx.named(nearest)}, median {float(access['median_minutes']):.0f} minutes; "
                f"{_pct(share_beyond)} of residents are more than {_minutes(limit)} minutes "
                "from one."
            )
        else:
            parts.append(f"At {slot.at} ({slot.name}) no base of these categories is open.")
        if not serving.empty:
            parts.append(
                f"Based elsewhere but listing {name} as served: "
                + ", ".join(ctx.named(s) for s in serving["id"])
                + "."
            )
        if not county_wide.empty:
            parts.append(
                "County-wide without a site: " + ", ".join(map(str, county_wide["name"])) + "."
            )
        rows.append(
            _record(
                rule,
                code,
                **_area_fields(ctx, code),
                severity=_band(share_beyond, rule.severity),
                population=population,
                evidence=" ".join(parts),
                services=[nearest, *serving["id"]],
                slot=slot.at,
            )
        )
    return rows


def _no_refuge(ctx: _Context, rule: GapRule) -> list[dict[str, Any]]:
    per_place = rule.params["population_per_place"]
    refuges = ctx.register[ctx.register["category"] == "refuge"]
    districts = refuges["district"].map(_clean)
    served = refuges["areas_served"].map(_as_tuple)
    county_wide = refuges[served.map(lambda a: LANCASHIRE in a)]
    rows = []
    for code in ctx.areas:
        local = refuges[(districts == code) | served.map(lambda a, c=code: c in a)]
        if not local.empty:
            continue
        name = ctx.area_name(code)
        population = float(ctx.population[code])
        needed = population / per_place
        evidence = (
            f"No refuge is recorded in {name} or lists it among the areas it serves "
            f"({round(population):,} residents: {needed:.1f} family places at one per "
            f"{per_place:,.0f} people)."
        )
        if not county_wide.empty:
            evidence += (
                f" {len(county_wide)} refuge record(s) elsewhere take referrals from across "
                "Lancashire: " + ", ".join(ctx.named(s) for s in county_wide["id"]) + "."
            )
        evidence += " Refuge addresses are confidential: the register holds the council area only."
        rows.append(
            _record(
                rule,
                code,
                **_area_fields(ctx, code),
                severity=_band(needed, rule.severity),
                population=population,
                evidence=evidence,
                services=county_wide["id"],
            )
        )
    return rows


def _out_of_hours_open(register: pd.DataFrame, slots: Sequence[TimeSlot]) -> pd.Series:
    """Per record: open at one of the slots (what-if hours are already applied)."""

    def check(expr: Any) -> bool:
        text = _clean(expr)
        return bool(text) and any(is_open(text, slot.at) for slot in slots)

    return register["opening_hours"].map(check).astype(bool)


def _crimes_overlap(helpline_crimes: Any, category_crimes: set[str]) -> bool:
    """Whether a helpline covers a crime type of the category's services."""
    crimes = set(_as_tuple(helpline_crimes))
    return "all" in crimes or "all" in category_crimes or bool(crimes & category_crimes)


def _no_out_of_hours(ctx: _Context, rule: GapRule) -> list[dict[str, Any]]:
    p = rule.params
    slots = p["slots"]
    register = ctx.register
    serving = (
        register["areas_served"].map(_serves_lancashire)
        if p["lancashire_only"]
        else pd.Series(True, index=register.index)
    )
    open_then = _out_of_hours_open(register, slots)
    helplines = register[(register["category"] == "helpline") & serving & open_then]
    times = ", ".join(slot.at for slot in slots)
    total = float(ctx.population[ctx.areas].sum())
    rows = []
    for category in p["categories"]:
        records = register[(register["category"] == category) & serving]
        if (open_then[records.index]).any():
            continue
        crimes = {c for value in records["crime_types"] for c in _as_tuple(value)}
        related = helplines[
            helplines["crime_types"].map(lambda v, cs=crimes: _crimes_overlap(v, cs))
        ]
        if p["include_helplines"] and not related.empty:
            continue  # a related helpline open out of hours counts as provision here
        label = _label(category)
        if records.empty:
            parts = [f"No {label} serving Lancashire is recorded."]
        else:
            listed = "; ".join(
                f"{name} ({_clean(hours)})"
                for name, hours in zip(records["name"], records["opening_hours"], strict=True)
            )
            parts = [
                f"No {label} serving Lancashire is open at any of the out-of-hours "
                f"times checked ({times}): {listed}."
            ]
        elsewhere = register[
            (register["category"] == category) & ~serving & open_then & _located(register)
        ]
        if not elsewhere.empty:
            parts.append(
                "Open then but serving other areas: "
                + ", ".join(ctx.named(s) for s in elsewhere["id"])
                + "."
            )
        if not related.empty:
            parts.append(
                "Helplines are not counted (a phone line is not a site); open then: "
                + ", ".join(map(str, related["name"]))
                + "."
            )
        severity = next(
            (level for level in ("high", "medium") if category in rule.severity[level]), "low"
        )
        rows.append(
            _record(
                rule,
                f"{LANCASHIRE_CODE}:{category}",
                area_level="lancashire",
                area_code=LANCASHIRE_CODE,
                area_name=LANCASHIRE,
                severity=severity,
                population=total,
                evidence=" ".join(parts),
                services=records["id"],
                slot="; ".join(slot.at for slot in slots),
            )
        )
    return rows


def _age_text(band: str) -> str:
    low, high = AGE_BANDS[band]
    return f"aged {low}+" if high is None else f"aged {low}-{high}"


def _eligible_for(register: pd.DataFrame, band: str) -> pd.Series:
    """Records whose age range overlaps the band (the travel engine's default rule)."""
    low, high = AGE_BANDS[band]
    top = math.inf if high is None else high
    min_age = pd.to_numeric(register["min_age"], errors="coerce").astype(float).fillna(-math.inf)
    max_age = pd.to_numeric(register["max_age"], errors="coerce").astype(float).fillna(math.inf)
    return (min_age <= top) & (max_age >= low)


def _young_people(ctx: _Context, rule: GapRule) -> list[dict[str, Any]]:
    p = rule.params
    band, limit, categories = p["age_band"], p["minutes"], list(p["categories"])
    ages = _age_text(band)
    rows = []
    for slot in p["slots"]:
        table = ctx.study.coverage(categories, slot, "district", age_band=band, thresholds=(limit,))
        for row in table.to_dict("records"):
            eligible = float(row["eligible_population"])
            if eligible <= 0:
                continue
            beyond = eligible * (1 - row[f"share_within_{_minutes(limit)}"])
            if round(beyond) < max(p["min_population"], 1):
                continue
            share = beyond / eligible
            nearest = _clean(row["nearest_service"])
            where = (
                f"nearest open for most: {ctx.named(nearest)}" if nearest else "none is open then"
            )
            evidence = (
                f"At {slot.at} ({slot.name}), {round(beyond):,} of {round(eligible):,} "
                f"children {ages} ({_pct(share)}) are more than {_minutes(limit)} minutes from "
                f"a located service open to them ({', '.join(categories)}); {where}."
            )
            area = _area_fields(ctx, str(row["area_code"]))
            rows.append(
                _record(
                    rule,
                    f"{area['area_code']}:{slot.at}",
                    **area,
                    severity=_band(share, rule.severity),
                    population=beyond,
                    evidence=evidence,
                    services=[nearest],
                    slot=slot.at,
                )
            )
    register = ctx.register
    kinds = register["category"].isin(p["local_categories"]) & _eligible_for(register, band)
    local = register[kinds & _located(register)]
    county_wide = register[
        kinds & ~_located(register) & register["areas_served"].map(_serves_lancashire)
    ]
    based_in = set(local["district"].map(_clean))
    wanted = " or ".join(_label(c) for c in p["local_categories"])
    for code in ctx.areas:
        if code in based_in:
            continue
        children = float(ctx.age_population.at[code, band])
        evidence = (
            f"No located {wanted} open to children {ages} has its site in "
            f"{ctx.area_name(code)} ({round(children):,} children {ages})."
        )
        if not local.empty:
            evidence += " Sites elsewhere: " + ", ".join(ctx.named(s) for s in local["id"]) + "."
        if not county_wide.empty:
            evidence += " County-wide without a site: " + ", ".join(
                f"{name} (ages {_age_range(lo, hi)})"
                for name, lo, hi in zip(
                    county_wide["name"], county_wide["min_age"], county_wide["max_age"], strict=True
                )
            )
            evidence += "."
        rows.append(
            _record(
                rule,
                f"{code}:no_local_service",
                **_area_fields(ctx, code),
                severity=p["no_local_service_severity"],
                population=children,
                evidence=evidence,
                services=county_wide["id"],
            )
        )
    return rows


def _age_range(low: Any, high: Any) -> str:
    lo, hi = _clean(low), _clean(high)
    if lo and hi:
        return f"{lo}-{hi}"
    if lo:
        return f"{lo}+"
    return f"up to {hi}" if hi else "all"


def _refuge_capacity(ctx: _Context, rule: GapRule) -> list[dict[str, Any]]:
    p = rule.params
    per_place = p["population_per_place"]
    refuges = ctx.register[ctx.register["category"] == "refuge"].copy()
    refuges["_district"] = refuges["district"].map(_clean)
    refuges = refuges[refuges["_district"].isin(ctx.areas)]
    refuges["_places"] = pd.to_numeric(refuges["capacity_family_places"], errors="coerce")
    rows = []
    groups: list[tuple[str, pd.DataFrame, float]] = [
        (code, group, float(ctx.population[code]))
        for code, group in refuges.groupby("_district", sort=True)
        if group["_places"].notna().any()  # per area only where some capacity is known
    ]
    groups.append((TOTAL_CODE, refuges, float(ctx.population[ctx.areas].sum())))
    for code, group, population in groups:
        known = group[group["_places"].notna()]
        unknown = group[group["_places"].isna()]
        places = float(known["_places"].sum())
        benchmark = population / per_place
        shortfall = benchmark - places
        if shortfall <= 0 or benchmark <= 0:
            continue
        area = _area_fields(ctx, code)
        severity = _band(shortfall / benchmark, rule.severity)
        evidence = (
            f"{places:,.0f} refuge family place(s) are recorded in {area['area_name']} "
            f"({len(known)} of {len(group)} refuge record(s) give a capacity) against a "
            f"benchmark of {benchmark:,.1f} places (one per {per_place:,.0f} of "
            f"{round(population):,} residents): {shortfall:,.1f} places short on the known "
            "capacity."
        )
        if not unknown.empty:
            severity = _cap(severity, p["incomplete_max_severity"])
            evidence += (
                f" Capacity is unknown for {len(unknown)} refuge record(s) "
                f"({', '.join(map(str, unknown['name']))}), so {places:,.0f} is a lower bound "
                "and the shortfall an upper bound."
            )
        rows.append(
            _record(
                rule,
                area["area_code"],
                **area,
                severity=severity,
                population=population,
                evidence=evidence,
                services=group["id"],
            )
        )
    return rows


def _months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


def _confidence_text(record: Mapping[Any, Any]) -> str:
    """The record's confidence (data/README.md rule) and what lowers it, for the evidence."""
    level = _clean(record.get("confidence"))
    if not level:
        return ""
    reasons = []
    if not _clean(record.get("hours_basis")).startswith("published:"):
        reasons.append("assumed hours")
    if _clean(record.get("location_precision")) == "town":
        reasons.append("a town-level location")
    why = f" ({' and '.join(reasons)})" if reasons else ""
    return f" Confidence: {level}{why}."


def _stale_record(ctx: _Context, rule: GapRule) -> list[dict[str, Any]]:
    p = rule.params
    as_of = ctx.as_of or p["as_of"] or date.today()
    limit = p["max_age_months"]
    register = ctx.register
    if "what_if" in register:
        register = register[~register["what_if"].fillna(False).astype(bool)]
    stale = register[stale_mask(register, as_of, limit).to_numpy()]
    rows = []
    for record in stale.to_dict("records"):
        stamp = pd.to_datetime(record.get("verified_on"), errors="coerce")
        service_id = str(record["id"])
        district = _clean(record.get("district"))
        area_name = ctx.area_name(district) if district else "county-wide or national"
        label = f"{record['name']} ({service_id}, {record['category']})"
        if pd.isna(stamp):
            months, severity = None, "high"
            evidence = f"{label} has no verified_on date."
        else:
            verified = stamp.date()
            months = _months_between(verified, as_of)
            severity = _band(months, rule.severity)
            evidence = (
                f"{label} was last verified on {verified.isoformat()}, {months} months before "
                f"{as_of.isoformat()} (limit {limit} months): its site, hours or eligibility "
                "may have changed."
            )
        evidence += _confidence_text(record)
        rows.append(
            _record(
                rule,
                service_id,
                area_level="register",
                area_code=district,
                area_name=area_name,
                severity=severity,
                population=None,
                evidence=evidence,
                services=[service_id],
            )
        )
    return rows


_SPECS: dict[str, _Spec] = {
    "sarc_travel": _Spec(
        params={
            "minutes": (60, _positive),
            "also_minutes": (90, _positive),
            "slots": (["weekday daytime", "weekday night", "weekend night", "weekend day"], _slots),
            "min_population": (1, _non_negative_int),
        },
        bands=_numeric_bands,
        evaluate=_sarc_travel,
    ),
    "no_da_base": _Spec(
        params={
            "categories": (["idva", "da_outreach", "isva", "multi_crime_hub"], _categories),
            "slot": ("weekday daytime", _slot),
            "minutes": (30, _positive),
        },
        bands=_numeric_bands,
        evaluate=_no_da_base,
    ),
    "no_refuge": _Spec(
        params={"population_per_place": (10000, _positive)},
        bands=_numeric_bands,
        evaluate=_no_refuge,
    ),
    "no_out_of_hours": _Spec(
        params={
            "categories": (
                ["sarc", "idva", "isva", "da_outreach", "young_people", "stalking", "counselling"],
                _categories,
            ),
            "slots": (["weekday night", "weekend night", "weekend day"], _slots),
            "include_helplines": (False, _boolean),
            "lancashire_only": (True, _boolean),
        },
        bands=_category_bands,
        evaluate=_no_out_of_hours,
    ),
    "young_people": _Spec(
        params={
            "categories": (["young_people", "isva", "counselling", "sarc"], _categories),
            "local_categories": (["young_people"], _categories),
            "age_band": ("age_0_15", _age_band),
            "minutes": (30, _positive),
            "slots": (["weekday daytime"], _slots),
            "min_population": (1, _non_negative_int),
            "no_local_service_severity": ("low", _severity_level),
        },
        bands=_numeric_bands,
        evaluate=_young_people,
    ),
    "refuge_capacity": _Spec(
        params={
            "population_per_place": (10000, _positive),
            "incomplete_max_severity": ("medium", _severity_level),
        },
        bands=_numeric_bands,
        evaluate=_refuge_capacity,
    ),
    "stale_record": _Spec(
        params={"max_age_months": (12, _non_negative_int), "as_of": (None, _optional_date)},
        bands=_numeric_bands,
        evaluate=_stale_record,
    ),
}

#: The rule ids :func:`load_rules` knows, in evaluation order.
RULE_IDS: tuple[str, ...] = tuple(_SPECS)
_META_KEYS = ("title", "description", "source", "enabled", "severity")


# ---- loading ---------------------------------------------------------------------


def default_rules_path() -> Path:
    """The rules file shipped with the repository: ``data/gap_rules.toml``."""
    return repo_root() / "data" / "gap_rules.toml"


def _display(path: Path) -> str:
    """The path as a user would type it: relative to the repository when inside it."""
    try:
        return path.resolve().relative_to(repo_root().resolve()).as_posix()
    except ValueError:
        return str(path)


def _parse_rule(rule_id: str, table: Any) -> GapRule:
    if not isinstance(table, dict):
        raise _FieldError("-", "must be a table ([rule_id] with its fields)")
    spec = _SPECS[rule_id]
    meta: dict[str, Any] = {}
    for key in ("title", "description", "source"):
        if key not in table:
            raise _FieldError(key, "is missing")
        try:
            meta[key] = _text(table[key])
        except ValueError as exc:
            raise _FieldError(key, str(exc)) from None
    try:
        enabled = _boolean(table.get("enabled", True))
    except ValueError as exc:
        raise _FieldError("enabled", str(exc)) from None
    unknown = [k for k in table if k not in spec.params and k not in _META_KEYS]
    if unknown:
        known = ", ".join([*spec.params, *_META_KEYS])
        raise _FieldError(unknown[0], f"unknown field; known: {known}")
    params: dict[str, Any] = {}
    for name, (default, check) in spec.params.items():
        try:
            params[name] = check(table.get(name, default))
        except ValueError as exc:
            raise _FieldError(name, str(exc)) from None
    severity = table.get("severity")
    if not isinstance(severity, dict):
        raise _FieldError("severity", "is missing: give a [rule.severity] table of bands")
    return GapRule(
        id=rule_id,
        params=params,
        severity=spec.bands(severity),
        enabled=enabled,
        **meta,
    )


def load_rules(path: Path | str | None = None) -> list[GapRule]:
    """Read and check the gap rules.

    Parameters
    ----------
    path
        Rules file (default :func:`default_rules_path`, ``data/gap_rules.toml``).

    Returns
    -------
    list of GapRule
        The rules in file order, parameters checked and defaults filled in.

    Raises
    ------
    ServiceMapError
        If the file is missing or not TOML, names an unknown rule, or a field is
        missing or invalid; the message reads ``file:rule:field: problem``.
    """
    source = Path(path) if path is not None else default_rules_path()
    shown = _display(source)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ServiceMapError(f"{shown}: rules file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ServiceMapError(f"{shown}: cannot read the rules file ({exc})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ServiceMapError(f"{shown}: not valid TOML: {exc}") from None
    if not document:
        raise ServiceMapError(f"{shown}: no rules; known rules: {', '.join(RULE_IDS)}")
    rules = []
    for rule_id, table in document.items():
        if rule_id not in _SPECS:
            raise ServiceMapError(
                f"{shown}:{rule_id}: unknown rule; known rules: {', '.join(RULE_IDS)}"
            )
        try:
            rules.append(_parse_rule(rule_id, table))
        except _FieldError as exc:
            raise ServiceMapError(f"{shown}:{rule_id}:{exc.field_name}: {exc.message}") from None
    return rules


# ---- evaluation ------------------------------------------------------------------


def _empty_register() -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series(dtype=object) for column in COLUMNS})
    frame["population_affected"] = frame["population_affected"].astype("Int64")
    return frame


def evaluate(
    study: Any,
    rules: Sequence[GapRule] | Path | str | None = None,
    *,
    as_of: date | None = None,
) -> pd.DataFrame:
    """Apply the gap rules to a study and return the gap register.

    Parameters
    ----------
    study
        A :class:`mapping.coverage.Study`; its effective register is used, so what-if
        changes (:meth:`Study.with_changes`, scenarios) flow through.
    rules
        Rules from :func:`load_rules`, or a rules file (default: ``data/gap_rules.toml``).
    as_of
        Date ``stale_record`` measures from (default: the rule's ``as_of``, else today).

    Returns
    -------
    pandas.DataFrame
        One row per gap, columns :data:`COLUMNS`, sorted by severity (high first), then
        population affected (largest first, empty last), then ``gap_id``.
        ``population_affected`` is a nullable integer.
    """
    if rules is None or isinstance(rules, str | Path):
        rules = load_rules(rules)
    register = study.effective_register()
    origins = study.origins
    population = origins.groupby("lad_code")["population"].sum()
    ages = origins.groupby("lad_code")[list(AGE_BANDS)].sum()
    ctx = _Context(
        study=study,
        register=register.reset_index(drop=True),
        as_of=as_of,
        names=study.area_names("district"),
        population=population,
        age_population=ages,
    )
    records: list[dict[str, Any]] = []
    for rule in rules:
        if rule.enabled:
            records.extend(_SPECS[rule.id].evaluate(ctx, rule))
    if not records:
        return _empty_register()
    table = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    table["population_affected"] = table["population_affected"].astype("Int64")
    table["_rank"] = table["severity"].map(SEVERITIES.index)
    table["_pop"] = table["population_affected"].astype("Float64").fillna(-1.0)
    table = table.sort_values(
        ["_rank", "_pop", "gap_id"], ascending=[True, False, True], kind="mergesort"
    )
    return table.drop(columns=["_rank", "_pop"]).reset_index(drop=True)


def summarise_gaps(register: pd.DataFrame) -> pd.DataFrame:
    """Count gaps by rule and severity.

    Parameters
    ----------
    register
        The gap register from :func:`evaluate`.

    Returns
    -------
    pandas.DataFrame
        One row per rule (in order of first appearance): ``rule_id``, ``rule_title``,
        ``high``, ``medium``, ``low`` and ``total``.
    """
    columns = ["rule_id", "rule_title", *SEVERITIES, "total"]
    if register.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    counts = (
        register.groupby(["rule_id", "rule_title", "severity"], sort=False)
        .size()
        .unstack("severity", fill_value=0)
        .reindex(columns=list(SEVERITIES), fill_value=0)
    )
    counts["total"] = counts.sum(axis=1)
    order = list(dict.fromkeys(register["rule_id"]))
    out = counts.reset_index()
    out["_order"] = out["rule_id"].map(order.index)
    return out.sort_values("_order").drop(columns="_order")[columns].reset_index(drop=True)


def format_gaps(register: pd.DataFrame, evidence_width: int = 90) -> str:
    """Render the gap register for a terminal, evidence truncated to ``evidence_width``.

    Parameters
    ----------
    register
        The gap register from :func:`evaluate`.
    evidence_width
        Characters of evidence shown; longer evidence ends with ``…``.

    Returns
    -------
    str
        A plain-text table: rule, area, slot, severity, population and evidence.
    """
    if register.empty:
        return "No gaps found."

    def cut(text: str) -> str:
        return text if len(text) <= evidence_width else text[: evidence_width - 1] + "…"

    shown = pd.DataFrame(
        {
            "rule": register["rule_id"],
            "area": register["area_name"],
            "slot": register["slot"].map(lambda s: s if len(s) <= 9 else "several"),
            "severity": register["severity"],
            "population": register["population_affected"].map(
                lambda v: "" if pd.isna(v) else f"{int(v):,}"
            ),
            "evidence": register["evidence"].map(cut),
        }
    )
    return shown.to_string(index=False, justify="left")
