"""Gap rules that weigh provision against need (deprivation, benchmarks, recorded violence).

They are shaped like the rules of :mod:`mapping.analysis.gaps` (a function of the evaluation
context and the rule, returning gap records) and registered there through
:data:`NEED_RULE_SPECS`, so ``data/gap_rules.toml`` configures them like the others:

``equity_gap``
    The most deprived fifth of LSOAs (IMD 2025 quintile 1) is worse served than the least
    deprived fifth (quintile 5): the share of the chosen weight beyond ``minutes`` differs
    by more than ``min_difference``.
``capacity_below_benchmark``
    Known capacity below a published benchmark (``data/benchmarks.toml``) for refuge,
    IDVA and sexual-violence support; unknown capacity is reported as unknown, never
    estimated. Refuge is judged for Lancashire only (its demand is regional).
``need_hot_spots``
    LSOAs in the top tenth of police-recorded violence and sexual offences (a proxy for
    need, see :data:`mapping.geography.need.RECORDED_VIOLENCE_CAVEAT`) whose residents are, on
    average, more than ``minutes`` from an open service of ``categories``.

When the need layer is missing or damaged each rule returns one low-severity record
saying it was not evaluated and why, so the rest of the gap register still stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mapping import formats
from mapping.analysis.capacity import capacity_table
from mapping.analysis.equity import equity
from mapping.analysis.gap_records import (
    GapContext,
    area_fields,
    band_of,
    cap_severity,
    evaluates,
    gap_record,
    label,
)
from mapping.errors import ServiceMapError
from mapping.geography.need import origin_values
from mapping.inputs.benchmarks import load_benchmarks
from mapping.inputs.rules import (
    CapacityBelowBenchmarkRule,
    EquityGapRule,
    GapRule,
    NeedHotSpotsRule,
)
from mapping.inputs.vocabulary import RECORDED_VIOLENCE_CAVEAT, WEIGHTS

__all__ = [
    "capacity_gap_records",
    "equity_gap_records",
    "hot_spot_records",
]


# ---- what the rules read ---------------------------------------------------------------


def _need(ctx: GapContext) -> pd.DataFrame:
    """The study's need layer (read once per study and shared by its views)."""
    return pd.DataFrame(ctx.study.need())


def _not_evaluated(rule: GapRule, error: ServiceMapError) -> list[dict[str, Any]]:
    return [
        gap_record(
            rule,
            "not-evaluated",
            area_level="register",
            area_code="",
            area_name="need layer",
            severity="low",
            population=None,
            evidence=f"Not evaluated: the need layer is unavailable ({error}).",
        )
    ]


def _lancashire(ctx: GapContext) -> dict[str, str]:
    return area_fields(ctx, "TOTAL")


# ---- equity gap ------------------------------------------------------------------------------


def equity_gap_records(
    ctx: GapContext,
    rule: GapRule[EquityGapRule],
    *,
    by_quintile: pd.DataFrame,
    category: str,
    slot: Any,
) -> list[dict[str, Any]]:
    """The equity-gap record for one category and slot, if the gap exceeds the parameter.

    ``by_quintile`` is :attr:`mapping.analysis.equity.EquityResult.by_quintile`.
    """
    p = rule.model
    rows = {int(r["imd_quintile"]): r for r in by_quintile.to_dict("records")}
    most, least = rows[1], rows[5]
    if most["population"] <= 0 or least["population"] <= 0:
        return []
    gap = float(most["share_beyond_threshold"] - least["share_beyond_threshold"])
    if gap <= p.min_difference:
        return []
    weight = WEIGHTS[p.weight]
    evidence = (
        f"At {slot.at} ({slot.name}), {formats.share(most['share_beyond_threshold'])} of "
        f"{weight} in the most deprived fifth of LSOAs (IMD 2025 deciles 1-2) are more than "
        f"{formats.compact(p.minutes)} minutes from an open {label(category)}, against "
        f"{formats.share(least['share_beyond_threshold'])} in the least deprived fifth (deciles "
        f"9-10): {gap * 100:.1f} percentage points worse (limit {p.min_difference * 100:g}). "
        f"Mean minutes {formats.minutes(most['mean_minutes'], digits=0, missing='none')} "
        f"against {formats.minutes(least['mean_minutes'], digits=0, missing='none')}."
    )
    if p.weight == "recorded_violence_sexual":
        evidence += " " + RECORDED_VIOLENCE_CAVEAT
    return [
        gap_record(
            rule,
            f"{category}:{slot.at}",
            **_lancashire(ctx),
            severity=band_of(gap, rule.severity),
            population=float(most["population_beyond_threshold"]),
            evidence=evidence,
            slot=slot.at,
        )
    ]


@evaluates(EquityGapRule)
def _equity_gap(ctx: GapContext, rule: GapRule[EquityGapRule]) -> list[dict[str, Any]]:
    p = rule.model
    try:
        need = _need(ctx)
    except ServiceMapError as exc:
        return _not_evaluated(rule, exc)
    origins = ctx.study.origins
    deciles = origin_values(origins, need, "imd_decile").to_numpy()
    rows = []
    for category in p.categories:
        for slot in p.slots:
            # One row per origin and age group where the services' ages differ.
            frame = ctx.study.origin_minutes(category, slot, weight=p.weight)
            result = equity(
                frame["minutes"].to_numpy(float),
                frame["eligible_population"].to_numpy(float),
                np.tile(deciles, len(frame) // len(origins)),
                threshold=p.minutes,
                weight=p.weight,
            )
            rows.extend(
                equity_gap_records(
                    ctx, rule, by_quintile=result.by_quintile, category=category, slot=slot
                )
            )
    return rows


# ---- capacity below benchmark ----------------------------------------------------------------


def capacity_gap_records(
    ctx: GapContext, rule: GapRule[CapacityBelowBenchmarkRule], *, capacity: pd.DataFrame
) -> list[dict[str, Any]]:
    """Gap records from a :func:`mapping.analysis.capacity.capacity_table`."""
    p = rule.model
    rows = []
    table = capacity[capacity["service_type"].isin(p.service_types)]
    for row in table.to_dict("records"):
        whole_force = row["area_level"] == "police_force_area"
        county_scale = row["service_type"] == "refuge"
        if row["area_level"] == "csp" or (county_scale and not whole_force):
            continue  # CSPs repeat the council areas here; refuge demand is county-wide
        if row["area_level"] == "district" and not p.per_council_area:
            continue
        needed = float(row["benchmark_units"])
        if not np.isfinite(needed) or needed <= 0:
            continue
        if not whole_force and needed < p.min_benchmark_units:
            continue  # an area needing less than one unit cannot be a whole unit short
        area = (
            _lancashire(ctx)
            if whole_force
            else {
                "area_level": "district",
                "area_code": str(row["area_code"]),
                "area_name": str(row["area_name"]),
            }
        )
        unit, status = row["unit"], row["known_status"]
        context = (
            f"Benchmark: {row['benchmark']} ({row['source']} Wording "
            f'{row["wording_status"]}: "{row["wording"]}")'
        )
        if row.get("capacity_state") == "covered elsewhere":
            continue  # served by a service based elsewhere: its capacity is not split by area
        if status == "unknown":
            if not whole_force:
                continue  # an area with unknown capacity says nothing the county row does not
            rows.append(
                gap_record(
                    rule,
                    f"{row['service_type']}:{area['area_code']}:unknown",
                    **area,
                    severity=p.unknown_severity,
                    population=None,
                    evidence=(
                        f"{area['area_name']} would need {needed:,.1f} {unit}; the register "
                        f"gives no capacity for its {row['records']} record(s), so whether it "
                        f"meets the benchmark is unknown (never estimated). {context}"
                    ),
                )
            )
            continue
        known = float(row["known_units"])
        shortfall = needed - known
        if shortfall <= 0:
            continue
        severity = band_of(shortfall / needed, rule.severity)
        evidence = (
            f"{area['area_name']} has {known:,.1f} known {unit} against a benchmark of "
            f"{needed:,.1f}: {shortfall:,.1f} short. {context}"
        )
        if row.get("not_classified"):
            evidence += (
                f" Records the tool cannot classify as {row.get('counts', unit)} are not "
                f"counted: {row['not_classified']}."
            )
        if status.startswith("partly"):
            severity = cap_severity(severity, p.incomplete_max_severity)
            evidence += (
                f" Only {row['records_with_capacity']} of {row['records']} record(s) give a "
                "capacity: the known figure is a lower bound and the shortfall an upper bound."
            )
        if row["county_wide_records"]:
            severity = cap_severity(severity, p.incomplete_max_severity)
            evidence += (
                f" {row['county_wide_records']} county-wide record(s) also serve the area; "
                "their capacity is counted for Lancashire only, so the area's known figure is "
                "a lower bound."
            )
        rows.append(
            gap_record(
                rule,
                f"{row['service_type']}:{area['area_code']}",
                **area,
                severity=severity,
                population=None,
                evidence=evidence,
            )
        )
    return rows


@evaluates(CapacityBelowBenchmarkRule)
def _capacity_below_benchmark(
    ctx: GapContext, rule: GapRule[CapacityBelowBenchmarkRule]
) -> list[dict[str, Any]]:
    p = rule.model
    try:
        need = _need(ctx)
        capacity = capacity_table(
            ctx.register,
            need,
            load_benchmarks(),
            denominators={"sexual_violence_support": p.sexual_violence_denominator},
        )
    except ServiceMapError as exc:
        return _not_evaluated(rule, exc)
    return capacity_gap_records(ctx, rule, capacity=capacity)


# ---- need hot spots --------------------------------------------------------------------------


def hot_spot_records(
    ctx: GapContext,
    rule: GapRule[NeedHotSpotsRule],
    *,
    need: pd.DataFrame,
    lsoa_minutes: Mapping[str, float],
    slot: Any,
) -> list[dict[str, Any]]:
    """Records for top-decile recorded-violence LSOAs beyond ``minutes``.

    ``lsoa_minutes`` maps LSOA code to its residents' mean minutes to the nearest open
    service of the rule's categories (``inf``: none in reach).
    """
    p = rule.model
    counts = need.set_index("lsoa21_code")["recorded_violence_sexual"].astype(float)
    # The top tenth of LSOAs by count; ties at the cut-off are all included.
    cut = float(np.quantile(counts.to_numpy(), 1 - p.top_share, method="higher"))
    hot = counts[(counts >= cut) & (counts >= p.min_recorded)]
    rows = []
    names = need.set_index("lsoa21_code")
    for code, count in hot.sort_values(ascending=False).items():
        minutes = float(lsoa_minutes.get(str(code), np.inf))
        if minutes <= p.minutes:
            continue
        residents = float(names.loc[code, "residents"])
        far = formats.minutes(
            minutes, digits=0, unit=" minutes", missing="no open service in reach"
        )
        evidence = (
            f"{names.loc[code, 'lsoa21_name']} ({names.loc[code, 'lad_name']}) is in the top "
            f"{p.top_share:.0%} of Lancashire LSOAs for police-recorded violence and sexual "
            f"offences ({formats.people(count)} recorded, {int(cut)} or more puts an LSOA in "
            "the top "
            f"tenth); its residents are on average {far} from an open "
            f"{' or '.join(label(c) for c in p.categories)} at {slot.at} (limit "
            f"{formats.compact(p.minutes)}). {RECORDED_VIOLENCE_CAVEAT}"
        )
        severity = "high" if not np.isfinite(minutes) else band_of(minutes, rule.severity)
        rows.append(
            gap_record(
                rule,
                f"{code}:{slot.at}",
                area_level="lsoa",
                area_code=str(code),
                area_name=str(names.loc[code, "lsoa21_name"]),
                severity=severity,
                population=residents,
                evidence=evidence,
                slot=slot.at,
            )
        )
    return rows


@evaluates(NeedHotSpotsRule)
def _need_hot_spots(ctx: GapContext, rule: GapRule[NeedHotSpotsRule]) -> list[dict[str, Any]]:
    p = rule.model
    try:
        need = _need(ctx)
    except ServiceMapError as exc:
        return _not_evaluated(rule, exc)
    slot = p.slot
    frame = ctx.study.origin_minutes(list(p.categories), slot)
    weight = frame["eligible_population"].to_numpy(float)
    minutes = frame["minutes"].to_numpy(float)
    minutes = np.where(np.isnan(minutes), np.inf, minutes)
    per = pd.DataFrame({"lsoa": frame["lsoa21_code"].astype(str), "m": minutes, "w": weight})
    per["wm"] = per["w"] * per["m"]
    sums = per.groupby("lsoa")[["wm", "w"]].sum()
    with np.errstate(invalid="ignore"):
        lsoa_minutes = {str(k): float(v) for k, v in (sums["wm"] / sums["w"]).items()}
    return hot_spot_records(ctx, rule, need=need, lsoa_minutes=lsoa_minutes, slot=slot)
