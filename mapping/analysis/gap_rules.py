"""The gap rules themselves: one function per rule, each returning its gap records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd

from mapping import formats
from mapping.analysis.gap_records import (
    LANCASHIRE_CODE,
    GapContext,
    area_fields,
    as_tuple,
    band_of,
    cap_severity,
    clean_text,
    evaluates,
    gap_record,
    label,
    located,
    serves_lancashire,
)
from mapping.analysis.out_of_hours import HourAccount, hour_account
from mapping.analysis.summary import TOTAL_CODE
from mapping.inputs.freshness import stale_mask, verification_age
from mapping.inputs.hours import is_open
from mapping.inputs.rules import (
    GapRule,
    NoDaBaseRule,
    NoOutOfHoursRule,
    NoRefugeRule,
    RefugeCapacityRule,
    SarcTravelRule,
    StaleRecordRule,
    YoungPeopleRule,
)
from mapping.inputs.vocabulary import AGE_BANDS, LANCASHIRE
from mapping.inputs.when import TimeSlot
from mapping.routing.eligibility import serves_ages


@evaluates(SarcTravelRule)
def _sarc_travel(ctx: GapContext, rule: GapRule[SarcTravelRule]) -> list[dict[str, Any]]:
    p = rule.model
    limit, also = p.minutes, p.also_minutes
    rows = []
    for slot in p.slots:
        table = ctx.study.coverage("sarc", slot, "district", thresholds=sorted({limit, also}))
        for row in table.to_dict("records"):
            eligible = float(row["eligible_population"])
            if eligible <= 0:
                continue
            beyond = eligible * (1 - row[f"share_within_{formats.compact(limit)}"])
            beyond_also = eligible * (1 - row[f"share_within_{formats.compact(also)}"])
            if round(beyond) < max(p.min_population, 1):
                continue
            share = beyond / eligible
            nearest = clean_text(row["nearest_service"])
            where = (
                f"nearest open SARC for most: {ctx.named(nearest)}"
                if nearest
                else "no SARC is open at that time"
            )
            evidence = (
                f"At {slot.at} ({slot.name}), {formats.people(beyond)} of "
                f"{formats.people(eligible)} "
                f"residents ({formats.share(share)}) are more than {formats.compact(limit)} "
                f"minutes from an open SARC ({formats.people(beyond_also)} more than "
                f"{formats.compact(also)} minutes); {where}."
            )
            rows.append(_area_slot_gap(ctx, rule, row, slot, share, beyond, evidence, nearest))
    return rows


def _area_slot_gap(
    ctx: GapContext,
    rule: GapRule,
    row: Mapping[str, Any],
    slot: TimeSlot,
    share: float,
    beyond: float,
    evidence: str,
    nearest: str,
) -> dict[str, Any]:
    """The gap of one council area at one slot: ``share`` of its people are beyond reach."""
    area = area_fields(ctx, str(row["area_code"]))
    return gap_record(
        rule,
        f"{area['area_code']}:{slot.at}",
        **area,
        severity=band_of(share, rule.severity),
        population=beyond,
        evidence=evidence,
        services=[nearest],
        slot=slot.at,
    )


@evaluates(NoDaBaseRule)
def _no_da_base(ctx: GapContext, rule: GapRule[NoDaBaseRule]) -> list[dict[str, Any]]:
    p = rule.model
    register = ctx.register
    categories = p.categories
    in_scope = register["category"].isin(categories)
    bases = register[in_scope & located(register)]
    based_in = set(bases["district"].map(clean_text))
    county_wide = register[
        in_scope & ~located(register) & register["areas_served"].map(serves_lancashire)
    ]
    slot, limit = p.slot, p.minutes
    table = ctx.study.coverage(
        list(categories), slot, "district", thresholds=(limit,), total_row=False
    ).set_index("area_code")
    rows = []
    for code in ctx.areas:
        if code in based_in:
            continue
        name = ctx.area_name(code)
        population = float(ctx.population[code])
        serving = bases[bases["areas_served"].map(lambda a, c=code: c in as_tuple(a))]
        access = table.loc[code] if code in table.index else None
        parts = [
            f"{name} ({formats.people(population)} residents) has no located domestic-abuse "
            f"service base of its own ({', '.join(map(label, categories))})."
        ]
        share_beyond = 1.0
        nearest = ""
        if access is not None and access["eligible_population"] > 0:
            share_beyond = 1 - float(access[f"share_within_{formats.compact(limit)}"])
            nearest = clean_text(access["nearest_service"])
        if nearest and access is not None:
            parts.append(
                f"At {slot.at} ({slot.name}) the nearest open base for most residents is "
                f"{ctx.named(nearest)}, median "
                f"{formats.minutes(access['median_minutes'], digits=0)} minutes; "
                f"{formats.share(share_beyond)} of residents are more than "
                f"{formats.compact(limit)} minutes from one."
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
            gap_record(
                rule,
                code,
                **area_fields(ctx, code),
                severity=band_of(share_beyond, rule.severity),
                population=population,
                evidence=" ".join(parts),
                services=[nearest, *serving["id"]],
                slot=slot.at,
            )
        )
    return rows


@evaluates(NoRefugeRule)
def _no_refuge(ctx: GapContext, rule: GapRule[NoRefugeRule]) -> list[dict[str, Any]]:
    per_place = rule.model.population_per_place
    refuges = ctx.register[ctx.register["category"] == "refuge"]
    districts = refuges["district"].map(clean_text)
    served = refuges["areas_served"].map(as_tuple)
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
            f"({formats.people(population)} residents: {needed:.1f} family places at one per "
            f"{formats.people(per_place)} people)."
        )
        if not county_wide.empty:
            evidence += (
                f" {len(county_wide)} refuge record(s) elsewhere take referrals from across "
                "Lancashire: " + ", ".join(ctx.named(s) for s in county_wide["id"]) + "."
            )
        evidence += " Refuge addresses are confidential: the register holds the council area only."
        rows.append(
            gap_record(
                rule,
                code,
                **area_fields(ctx, code),
                severity=band_of(needed, rule.severity),
                population=population,
                evidence=evidence,
                services=county_wide["id"],
            )
        )
    return rows


def _out_of_hours_open(register: pd.DataFrame, slots: Sequence[TimeSlot]) -> pd.Series:
    """Per record: open at one of the slots (what-if hours are already applied)."""

    def check(expr: Any) -> bool:
        text = clean_text(expr)
        return bool(text) and any(is_open(text, slot.at) for slot in slots)

    return register["opening_hours"].map(check).astype(bool)


def _crimes_overlap(helpline_crimes: Any, category_crimes: set[str]) -> bool:
    """Whether a helpline covers a crime type of the category's services."""
    crimes = set(as_tuple(helpline_crimes))
    return "all" in crimes or "all" in category_crimes or bool(crimes & category_crimes)


@evaluates(NoOutOfHoursRule)
def _no_out_of_hours(ctx: GapContext, rule: GapRule[NoOutOfHoursRule]) -> list[dict[str, Any]]:
    p = rule.model
    slots = p.slots
    register = ctx.register
    serving = (
        register["areas_served"].map(serves_lancashire)
        if p.lancashire_only
        else pd.Series(True, index=register.index)
    )
    open_then = _out_of_hours_open(register, slots)
    helplines = register[(register["category"] == "helpline") & serving & open_then]
    times = ", ".join(slot.at for slot in slots)
    total = float(ctx.population[ctx.areas].sum())
    rows = []
    for category in p.categories:
        records = register[(register["category"] == category) & serving]
        if (open_then[records.index]).any():
            continue
        crimes = {c for value in records["crime_types"] for c in as_tuple(value)}
        related = helplines[
            helplines["crime_types"].map(lambda v, cs=crimes: _crimes_overlap(v, cs))
        ]
        if p.include_helplines and not related.empty:
            continue  # a related helpline open out of hours counts as provision here
        category_label = label(category)
        if records.empty:
            parts = [f"No {category_label} serving Lancashire is recorded."]
        else:
            listed = "; ".join(
                f"{name} ({clean_text(hours)})"
                for name, hours in zip(records["name"], records["opening_hours"], strict=True)
            )
            parts = [
                f"No {category_label} serving Lancashire is open at any of the out-of-hours "
                f"times checked ({times}): {listed}."
            ]
        # Residents still reach services over the border then: the same account as the
        # Map, Week, the CLI and the report, and the people it leaves beyond the limit.
        population = total
        accounts = _accounts(ctx, category, slots, p.minutes)
        if accounts:
            parts.append("Over-the-border services count where they are the nearest open one:")
            parts += [account.sentence() for account in accounts]
            population = max(account.people_beyond for account in accounts)
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
            gap_record(
                rule,
                f"{LANCASHIRE_CODE}:{category}",
                area_level="lancashire",
                area_code=LANCASHIRE_CODE,
                area_name=LANCASHIRE,
                severity=severity,
                population=population,
                evidence=" ".join(parts),
                services=records["id"],
                slot="; ".join(slot.at for slot in slots),
            )
        )
    return rows


def _accounts(
    ctx: GapContext, category: str, slots: Sequence[TimeSlot], minutes: float
) -> list[HourAccount]:
    """The account at each slot (:meth:`Study.out_of_hours`; none for a category with no site)."""
    if not (ctx.study.engine.services["category"] == category).any():
        return []
    return [hour_account(ctx.study, category, slot, threshold=minutes) for slot in slots]


def _age_text(band: str) -> str:
    low, high = AGE_BANDS[band]
    return f"aged {low}+" if high is None else f"aged {low}-{high}"


def _eligible_for(register: pd.DataFrame, band: str) -> pd.Series:
    """Records whose age range overlaps the band (the travel engine's own rule)."""
    ok = serves_ages(register["min_age"].to_numpy(), register["max_age"].to_numpy(), band)
    return pd.Series(ok, index=register.index)


@evaluates(YoungPeopleRule)
def _young_people(ctx: GapContext, rule: GapRule[YoungPeopleRule]) -> list[dict[str, Any]]:
    p = rule.model
    band, limit, categories = p.age_band, p.minutes, list(p.categories)
    ages = _age_text(band)
    rows = []
    for slot in p.slots:
        table = ctx.study.coverage(categories, slot, "district", age_band=band, thresholds=(limit,))
        for row in table.to_dict("records"):
            eligible = float(row["eligible_population"])
            if eligible <= 0:
                continue
            beyond = eligible * (1 - row[f"share_within_{formats.compact(limit)}"])
            if round(beyond) < max(p.min_population, 1):
                continue
            share = beyond / eligible
            nearest = clean_text(row["nearest_service"])
            where = (
                f"nearest open for most: {ctx.named(nearest)}" if nearest else "none is open then"
            )
            evidence = (
                f"At {slot.at} ({slot.name}), {formats.people(beyond)} of "
                f"{formats.people(eligible)} "
                f"children {ages} ({formats.share(share)}) are more than "
                f"{formats.compact(limit)} minutes from "
                f"a located service open to them ({', '.join(map(label, categories))}); {where}."
            )
            rows.append(_area_slot_gap(ctx, rule, row, slot, share, beyond, evidence, nearest))
    register = ctx.register
    kinds = register["category"].isin(p.local_categories) & _eligible_for(register, band)
    local = register[kinds & located(register)]
    county_wide = register[
        kinds & ~located(register) & register["areas_served"].map(serves_lancashire)
    ]
    based_in = set(local["district"].map(clean_text))
    wanted = " or ".join(label(c) for c in p.local_categories)
    for code in ctx.areas:
        if code in based_in:
            continue
        children = float(ctx.age_population.at[code, band])
        evidence = (
            f"No located {wanted} open to children {ages} has its site in "
            f"{ctx.area_name(code)} ({formats.people(children)} children {ages})."
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
            gap_record(
                rule,
                f"{code}:no_local_service",
                **area_fields(ctx, code),
                severity=p.no_local_service_severity,
                population=children,
                evidence=evidence,
                services=county_wide["id"],
            )
        )
    return rows


def _age_range(low: Any, high: Any) -> str:
    lo, hi = clean_text(low), clean_text(high)
    if lo and hi:
        return f"{lo}-{hi}"
    if lo:
        return f"{lo}+"
    return f"up to {hi}" if hi else "all"


@evaluates(RefugeCapacityRule)
def _refuge_capacity(ctx: GapContext, rule: GapRule[RefugeCapacityRule]) -> list[dict[str, Any]]:
    p = rule.model
    per_place = p.population_per_place
    refuges = ctx.register[ctx.register["category"] == "refuge"].copy()
    refuges["_district"] = refuges["district"].map(clean_text)
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
        area = area_fields(ctx, code)
        severity = band_of(shortfall / benchmark, rule.severity)
        evidence = (
            f"{places:,.0f} refuge family place(s) are recorded in {area['area_name']} "
            f"({len(known)} of {len(group)} refuge record(s) give a capacity) against a "
            f"benchmark of {benchmark:,.1f} places (one per {formats.people(per_place)} of "
            f"{formats.people(population)} residents): {shortfall:,.1f} places short on the known "
            "capacity."
        )
        if not unknown.empty:
            severity = cap_severity(severity, p.incomplete_max_severity)
            evidence += (
                f" Capacity is unknown for {len(unknown)} refuge record(s) "
                f"({', '.join(map(str, unknown['name']))}), so {places:,.0f} is a lower bound "
                "and the shortfall an upper bound."
            )
        rows.append(
            gap_record(
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


def _confidence_text(record: Mapping[Any, Any]) -> str:
    """The record's confidence (data/README.md rule) and what lowers it, for the evidence."""
    level = clean_text(record.get("confidence"))
    if not level:
        return ""
    reasons = []
    if not clean_text(record.get("hours_basis")).startswith("published:"):
        reasons.append("assumed hours")
    if clean_text(record.get("location_precision")) == "town":
        reasons.append("a town-level location")
    why = f" ({' and '.join(reasons)})" if reasons else ""
    return f" Confidence: {level}{why}."


@evaluates(StaleRecordRule)
def _stale_record(ctx: GapContext, rule: GapRule[StaleRecordRule]) -> list[dict[str, Any]]:
    p = rule.model
    as_of = ctx.as_of or p.as_of or date.today()
    limit = p.max_age_months
    register = ctx.register
    if "what_if" in register:
        register = register[~register["what_if"].fillna(False).astype(bool)]
    stale = register[stale_mask(register, as_of, limit).to_numpy()]
    rows = []
    for record in stale.to_dict("records"):
        stamp = pd.to_datetime(record.get("verified_on"), errors="coerce")
        service_id = str(record["id"])
        district = clean_text(record.get("district"))
        area_name = ctx.area_name(district) if district else "county-wide or national"
        named = f"{record['name']} ({label(record['category'])})"
        if pd.isna(stamp):
            months, severity = None, "high"
            evidence = f"{named} has no date of verification."
        else:
            verified = stamp.date()
            months, days = verification_age(verified, as_of)
            severity = band_of(months, rule.severity)
            age = f"{months} months" + (f" and {days} day(s)" if days else "")
            evidence = (
                f"{named} was last verified on {verified.isoformat()}, {age} before "
                f"{as_of.isoformat()} (limit {limit} months): its site, hours or eligibility "
                "may have changed."
            )
        evidence += _confidence_text(record)
        rows.append(
            gap_record(
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
