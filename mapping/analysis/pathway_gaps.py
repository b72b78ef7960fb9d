"""Gap rules about referral pathways (routes, needs and published referral volumes).

Shaped like the rules of :mod:`mapping.analysis.gap_rules` and registered in
:func:`mapping.analysis.gaps.evaluate` through their :func:`evaluates` registration, so
``data/gap_rules.toml`` configures them like the others:

``pathway_police_only``
    A need (at its default age, ``data/needs.toml``) with no pathway open at a slot
    without going through the police: none open at all, or only police ones.
``self_referral_age_bar``
    A service whose self-referral route starts at an older age than the service
    itself sees (the SAFE Centre sees all ages but takes self-referrals from 18).
``single_point_of_failure``
    A need whose every usable pathway passes through one service (the county refuge
    line before every refuge).
``referral_volume_above_benchmark``
    A published referral volume far above what the known capacity of the services
    behind it takes at the benchmark (IDVA FTE x about 100 referrals a year), where
    both are known.

Routes and volumes come from the study when it offers them (``referral_routes``,
``referral_volumes`` attributes: tests and what-ifs), else from the committed files.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mapping.analysis.gap_records import (
    GapContext,
    area_fields,
    band_of,
    evaluates,
    gap_record,
    label,
    serves_lancashire,
)
from mapping.analysis.pathways import Pathway, find_pathways, single_points
from mapping.analysis.referrals import volume_table
from mapping.inputs.benchmarks import load_benchmarks
from mapping.inputs.needs import Need, find_need, load_needs
from mapping.inputs.referrals import Referral, load_referrals
from mapping.inputs.routes import Route, load_routes
from mapping.inputs.rules import (
    GapRule,
    PathwayPoliceOnlyRule,
    ReferralVolumeRule,
    SelfReferralAgeBarRule,
    SinglePointOfFailureRule,
)
from mapping.inputs.when import moment_of

__all__: list[str] = []


def _routes(ctx: GapContext) -> list[Route]:
    given = ctx.routes
    if given is not None:
        return list(given)
    # Not checked against this register: an uploaded or what-if register may lack some
    # committed ids, whose routes are then simply not in the graph (validation of the
    # committed file against the committed register: ``service-map services routes``).
    return load_routes()


def _referrals(ctx: GapContext) -> list[Referral]:
    given = ctx.referrals
    if given is not None:
        return list(given)
    return load_referrals(service_ids=set(ctx.register["id"].astype(str)))


def _needs(rule: GapRule[PathwayPoliceOnlyRule | SinglePointOfFailureRule]) -> list[Need]:
    every = load_needs()
    wanted = rule.model.needs
    return [find_need(n, every) for n in wanted] if wanted else every


def _scope(
    ctx: GapContext, rule: GapRule[PathwayPoliceOnlyRule | SinglePointOfFailureRule]
) -> pd.DataFrame:
    """The services that count as ways in: those serving Lancashire, if the rule says so."""
    register = ctx.register
    if rule.model.lancashire_only:
        register = register[register["areas_served"].map(serves_lancashire)]
    return register


def _lancashire(ctx: GapContext) -> dict[str, str]:
    return area_fields(ctx, "TOTAL")


# ---- no route open without the police -------------------------------------------------


@evaluates(PathwayPoliceOnlyRule)
def _police_only(ctx: GapContext, rule: GapRule[PathwayPoliceOnlyRule]) -> list[dict[str, Any]]:
    routes = _routes(ctx)
    scope = _scope(ctx, rule)
    records: list[dict[str, Any]] = []
    for need in _needs(rule):
        for slot in rule.model.slots:
            found = find_pathways(scope, routes, need, need.default_age, moment_of(slot))
            open_paths = [p for p in found if p.open]
            if any(p.route != "police" for p in open_paths):
                continue
            police = sorted({p.target for p in open_paths})
            elsewhere = (
                _open_elsewhere(ctx, routes, need, slot, scope) if scope is not ctx.register else []
            )
            if police:
                severity = rule.severity["police_only"]
                reached = ", ".join(ctx.named(s) for s in police)
                what = (
                    f"only through the police: {len(open_paths)} open pathway(s), all "
                    f"starting with a police referral (to {reached})"
                )
            else:
                severity = rule.severity["no_open_pathway"]
                what = "by no route at all: every pathway is closed or barred"
            evidence = (
                f"At {slot.at} ({slot.name}), a victim aged {need.default_age} with need "
                f"'{need.label}' can reach a {'/'.join(label(c) for c in need.categories)} "
                f"{what}."
            )
            if elsewhere:
                evidence += (
                    " Open without the police outside Lancashire's own services: "
                    f"{', '.join(ctx.named(s) for s in elsewhere)}."
                )
            evidence += " Routes: data/referral_routes.csv (most are [inferred])."
            records.append(
                gap_record(
                    rule,
                    f"{need.id}:{slot.name.replace(' ', '_')}",
                    **_lancashire(ctx),
                    severity=severity,
                    population=None,
                    evidence=evidence,
                    services=police,
                    slot=slot.name,
                )
            )
    return records


def _open_elsewhere(
    ctx: GapContext, routes: list[Route], need: Need, slot: Any, scope: pd.DataFrame
) -> list[str]:
    every = find_pathways(ctx.register, routes, need, need.default_age, moment_of(slot))
    inside = set(scope["id"])
    return sorted(
        {p.target for p in every if p.open and p.route != "police" and p.target not in inside}
    )


# ---- self-referral barred by age ------------------------------------------------------------


@evaluates(SelfReferralAgeBarRule)
def _age_bar(ctx: GapContext, rule: GapRule[SelfReferralAgeBarRule]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    by_id = {str(r["id"]): r for r in ctx.register.to_dict("records")}
    for route in _routes(ctx):
        service = by_id.get(route.service_id)
        if route.route != "self" or route.min_age is None or service is None:
            continue
        low = service.get("min_age")
        low = 0 if low is None or pd.isna(low) else int(low)
        if route.min_age <= low:
            continue
        category = str(service["category"])
        bands = rule.severity
        severity = (
            "high"
            if category in bands["high"]
            else ("medium" if category in bands["medium"] else "low")
        )
        sees = "people of all ages" if low == 0 else f"people aged {low} and over"
        evidence = (
            f"{ctx.named(route.service_id)} sees {sees} but takes "
            f"self-referrals only from {route.min_age}: a victim aged {low}-{route.min_age - 1} "
            "must be referred by the police or another agency "
            f"({'inferred' if route.inferred else 'published'}: {route.source.split(';')[0]})."
        )
        records.append(
            gap_record(
                rule,
                route.service_id,
                area_level="register",
                area_code=route.service_id,
                area_name=ctx.where(route.service_id),
                severity=severity,
                population=None,
                evidence=evidence,
                services=[route.service_id],
            )
        )
    return records


# ---- single point of failure --------------------------------------------------------------


@evaluates(SinglePointOfFailureRule)
def _single_point(ctx: GapContext, rule: GapRule[SinglePointOfFailureRule]) -> list[dict[str, Any]]:
    routes = _routes(ctx)
    scope = _scope(ctx, rule)
    records: list[dict[str, Any]] = []
    for need in _needs(rule):
        # Hours do not matter here: a pathway that exists at any time counts.
        found = [p for p in _any_time(scope, routes, need) if not p.barred]
        for service in single_points(found):
            targets = sorted({p.target for p in found})
            evidence = (
                f"Every one of the {len(found)} pathway(s) for need '{need.label}' (age "
                f"{need.default_age}) passes through {ctx.named(service)}: if it is closed, "
                f"full or unreachable there is no other way to "
                f"{', '.join(ctx.named(t) for t in targets if t != service) or ctx.named(service)}."
            )
            records.append(
                gap_record(
                    rule,
                    f"{need.id}:{service}",
                    **_lancashire(ctx),
                    severity=rule.severity["level"],
                    population=None,
                    evidence=evidence,
                    services=[service],
                )
            )
    return records


def _any_time(register: pd.DataFrame, routes: list[Route], need: Need) -> list[Pathway]:
    always = register.assign(opening_hours="24/7")
    timeless = [
        Route(**{**r.__dict__, "opening_hours": None}) if r.opening_hours else r for r in routes
    ]
    return find_pathways(always, timeless, need, need.default_age, moment_of("Tue 10:00"))


# ---- referral volume above the benchmark ------------------------------------------------------


@evaluates(ReferralVolumeRule)
def _volume(ctx: GapContext, rule: GapRule[ReferralVolumeRule]) -> list[dict[str, Any]]:
    table = volume_table(_referrals(ctx), ctx.register, load_benchmarks())
    ratio = pd.to_numeric(table["ratio"], errors="coerce").to_numpy(dtype=float)
    records: list[dict[str, Any]] = []
    for row, value in zip(table.to_dict("records"), ratio, strict=True):
        if not np.isfinite(value) or value < rule.model.min_ratio:
            continue
        ids = row["service_ids"].split(";")
        evidence = (
            f"{row['service']} received {row['published']} {row['measure']} in {row['year']} "
            f"({row['route']}), {value:.1f} times the {row['benchmark_capacity']:,.0f} a year its "
            f"known capacity takes at the benchmark ({row['benchmark']}). Source: {row['source']}."
        )
        records.append(
            gap_record(
                rule,
                f"{ids[0]}:{row['year']}:{row['route']}",
                **_lancashire(ctx),
                severity=band_of(value, rule.severity),
                population=None,
                evidence=evidence,
                services=ids,
            )
        )
    return records
