"""``service-map optimise``: where and when to invest (staffing hours, new sites).

Both commands write a scenario file (the project's scenario format) so the answer flows
through ``service-map scenario``, ``gaps``, ``export`` and the app like any what-if.
Heavy imports stay inside the commands so ``service-map --help`` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mapping import formats
from mapping.cli_options import (
    DataDirOption,
    NetworkOption,
    ServicesOption,
    SourcesOption,
)
from mapping.errors import ServiceMapError

if TYPE_CHECKING:
    import numpy as np

    from mapping.study import Study

optimise_app = typer.Typer(
    help="Find the best extra opening hours or new sites, written as a scenario.",
    no_args_is_help=True,
)

_WEIGHT_HELP = (
    "Who counts: 'residents' (default, Census 2021 usual residents), 'women_16_plus' or "
    "'recorded_violence_sexual' (violence and sexual offences recorded in the area, "
    "January–April 2024, ×3 to a year: a proxy for need), 'crime_deprived_residents' "
    "(IoD 2025 crime domain: where victims live), or "
    "a Census age band (age_0_15 ... age_65_plus; services must then be eligible for it)."
)
OutOption = Annotated[
    Path,
    typer.Option("--out", help="Scenario file to write (.toml or .json).", dir_okay=False),
]
MinutesOption = Annotated[
    float, typer.Option("--minutes", help="Drive-time threshold in minutes.", min=1)
]
WeightOption = Annotated[str, typer.Option("--weight", help=_WEIGHT_HELP)]


def _check_out(out: Path, reads: list[Path | None], data_dir: Path | None) -> None:
    """Refuse a bad output name before the slow load (:mod:`mapping.outputs.paths`).

    Never an input, the register, generated data, a project file or a sidecar; an
    existing file only when it is a scenario this command wrote before.
    """
    from mapping.inputs.register import default_register_path
    from mapping.outputs.paths import check_output_path

    registers = [reads[0] or default_register_path(), *reads[1:]]
    check_output_path(out, "optimised_scenario", reads=registers, data_dir=data_dir)


def _weight_choice(weight: str) -> tuple[str, str | None, str]:
    """``--weight`` as ``(Study.weights name, age band, the people named)``.

    ``--weight`` also takes a Census age band: the residents of that band.
    """
    from mapping.inputs.vocabulary import AGE_BANDS

    _check_weight(weight)
    if weight in AGE_BANDS:
        lo, hi = AGE_BANDS[weight]
        ages = f"{lo}+" if hi is None else f"{lo}-{hi}"
        return "residents", weight, f"residents aged {ages}"
    people = {"residents": "residents", "women_16_plus": "women aged 16+"}
    return weight, None, people.get(weight, "recorded offences")


def _weights(study: Study, weight: str) -> tuple[np.ndarray, str | None, str]:
    """Per-origin weights (``Study.weights``), the age band they imply, the people named."""
    name, age_band, people = _weight_choice(weight)
    return study.weights(name, age_band), age_band, people


def _check_weight(weight: str) -> None:
    from mapping.inputs.vocabulary import AGE_BANDS, WEIGHTS

    if weight not in WEIGHTS and weight not in AGE_BANDS:
        known = ", ".join([*WEIGHTS, *AGE_BANDS])
        raise ServiceMapError(f"--weight {weight!r} is not known: use one of {known}")


def _load(
    services: Path | None, sources: Path | None, data_dir: Path | None, network: str
) -> Study:
    """Load the study as every analysis command does (building what is missing)."""
    from mapping.study import Study

    typer.echo("Loading data, register and road network…", err=True)
    return Study.load(
        data_dir=data_dir, sources=sources, services=services, network=network, progress=True
    )


def _hours_unit(people: str) -> str:
    """``residents`` -> ``resident-hours``; ``women aged 16+`` -> ``woman-hours (aged 16+)``."""
    if people.startswith("residents"):
        return "resident-hours" + people[len("residents") :]
    if people.startswith("women"):
        return "woman-hours (" + people[len("women ") :] + ")"
    return "offence-hours (recorded violence and sexual offences, a proxy for need)"


def _minutes_unit(people: str) -> str:
    """``residents`` -> ``resident-minutes`` (weighted drive minutes summed over the week)."""
    return _hours_unit(people).replace("-hours", "-minutes")


@optimise_app.command("hours")
def optimise_hours_command(
    service: Annotated[str, typer.Option("--service", help="Register id of the service.")],
    extra_hours: Annotated[
        int, typer.Option("--extra-hours", help="Extra staffed hours a week to place.", min=1)
    ],
    out: OutOption,
    minutes: MinutesOption = 60.0,
    weight: WeightOption = "residents",
    demand: Annotated[
        Path | None,
        typer.Option(
            "--demand",
            help="CSV of demand by hour of week (day,hour,demand; 168 rows). "
            "Default: every hour counts the same.",
            dir_okay=False,
        ),
    ] = None,
    min_block: Annotated[
        int,
        typer.Option(
            "--min-block",
            help="Add whole shifts of at least this many hours (1: any hours; a shift is "
            "never longer than --extra-hours).",
            min=1,
        ),
    ] = 4,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            help="Also score another plan: the service's full opening hours as an "
            "OpenStreetMap expression, e.g. 'Mo-Fr 08:00-16:00, Mo-Su 16:00-24:00'.",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Also run the scenario's own comparison over the changed hours (slower).",
        ),
    ] = False,
    objective: Annotated[
        str,
        typer.Option(
            "--objective",
            help="What an hour is worth: 'minutes' (default: resident-minutes saved) or "
            "'coverage' (resident-hours within --minutes). See docs/optimise.md.",
        ),
    ] = "minutes",
    services: ServicesOption = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = "offline",
) -> None:
    """Which hours should extra staffing buy? Best hours for one service, as a scenario."""
    from mapping.analysis.optimise_hours import (
        OBJECTIVES,
        covered_weight_hours,
        optimise_hours,
        week_weight_minutes,
    )
    from mapping.analysis.week import hour_label
    from mapping.inputs.demand import read_demand
    from mapping.inputs.hours import validate_hours
    from mapping.inputs.scenario_file import HoursChange, Scenario, save_scenario

    _check_out(out, [services, demand], data_dir)
    _check_weight(weight)
    if objective not in OBJECTIVES:
        raise ServiceMapError(f"--objective must be minutes or coverage, not {objective!r}")
    demand_values = read_demand(demand) if demand is not None else None
    if against is not None and (bad_hours := validate_hours(against)):
        raise ServiceMapError(f"--against: {bad_hours}")
    study = _load(services, sources, data_dir, network)
    weights, age_band, people = _weights(study, weight)
    # Children only against the services that see them (the register's ages).
    parts = study.service_age_parts(service, weights, _weight_choice(weight)[0], age_band)
    plan = optimise_hours(
        study.engine,
        service,
        extra_hours,
        weights=weights,
        threshold=minutes,
        demand=demand_values,
        min_block=min_block,
        age_band=age_band,
        objective=objective,
        parts=parts,
    )
    by_minutes = objective == "minutes"
    unit = _minutes_unit(people) if by_minutes else _hours_unit(people)
    unit += " (demand-weighted)" if demand_values is not None else ""
    measure = "minutes to the nearest open service" if by_minutes else f"within {minutes:g} min"
    typer.echo(
        f"{service}: {len(plan.chosen)} of {extra_hours} extra hours chosen "
        f"(objective {objective}: {unit}; {plan.gains.computations} distinct hours computed)"
    )
    table = plan.per_hour()
    for _, row in table.iterrows():
        typer.echo(
            f"  {row['time']}  {row['profile']:<9}  {formats.signed_people(row['gain'])} "
            f"({measure}: {formats.people(row['covered_before'])} -> "
            f"{formats.people(row['covered_after'])})"
        )
    if len(plan.chosen) < extra_hours:
        typer.echo(f"  the other {extra_hours - len(plan.chosen)} hour(s) would gain nothing")
    typer.echo(f"baseline: {formats.people(plan.baseline_total)} {unit}")
    change = plan.plan_total - plan.baseline_total
    gain_share = change / plan.baseline_total if plan.baseline_total else float("nan")
    typer.echo(
        f"with the plan: {formats.people(plan.plan_total)} {unit} "
        f"({formats.signed_people(change)}, {gain_share:+.2%})"
    )
    if plan.min_block > 1:
        shifts = ", ".join(f"{hour_label(s)} for {n} h" for s, n in plan.blocks)
        typer.echo(f"shifts of at least {plan.min_block} h: {shifts}")
        typer.echo(
            f"cost of whole shifts: {formats.people(plan.block_cost)} {unit} "
            f"(free choice of hours: {formats.signed_people(plan.unconstrained_gain)})"
        )
    if against is not None:
        week_kwargs: dict[str, Any] = {
            "weights": weights,
            "demand": demand_values,
            "age_band": age_band,
            "hours_override": {service: against},
            "parts": parts,
        }
        if by_minutes:
            other = week_weight_minutes(study.engine, plan.gains.category, **week_kwargs)
        else:
            other = covered_weight_hours(
                study.engine, plan.gains.category, threshold=minutes, **week_kwargs
            )
        typer.echo(
            f"against {against!r}: {formats.people(other)} {unit}; the plan gives "
            f"{formats.signed_people(plan.plan_total - other)}"
        )
    typer.echo(f"opening_hours: {plan.opening_hours}")
    name = str(study.engine.services.set_index("id").at[service, "name"])
    scenario = Scenario(
        name=f"{name}: {len(plan.chosen)} extra hours chosen by the optimiser",
        description=(
            f"service-map optimise hours: {extra_hours} extra hours, objective {objective}, "
            f"{minutes:g} min, "
            f"weight {weight}, demand {demand or 'uniform'}, min block {min_block} h. "
            f"Added: {plan.added_rules or 'nothing'}."
        ),
        changes=(HoursChange(kind="hours", service=service, opening_hours=plan.opening_hours),),
    )
    save_scenario(scenario, out)
    typer.echo(f"wrote {out}")
    if check and plan.chosen and by_minutes:
        checked = week_weight_minutes(
            study.engine,
            plan.gains.category,
            weights=weights,
            demand=demand_values,
            age_band=age_band,
            hours_override={service: plan.opening_hours},
            parts=parts,
        )
        typer.echo(
            f"check: the week evaluated with the plan's hours gives {formats.people(checked)} "
            f"{unit} (optimiser: {formats.people(plan.plan_total)})"
        )
    elif check and plan.chosen:
        from mapping.analysis.scenarios import compare

        comparison = compare(
            study.model,
            scenario,
            category=plan.gains.category,
            slots=[hour_label(h) for h in plan.chosen],
            threshold=minutes,
            age_band=age_band,
            sources=sources,
        )
        t = f"{minutes:g}"
        newly = comparison.totals[f"population_newly_within_{t}"].to_numpy(float)
        demand_of = plan.gains.demand[list(plan.chosen)]
        typer.echo(
            f"check: the scenario's comparison over the {len(plan.chosen)} changed hours "
            f"gives {formats.signed_people(float((newly * demand_of).sum()))} (optimiser: "
            f"{formats.signed_people(plan.gain)})"
        )


@optimise_app.command("sites")
def optimise_sites_command(
    category: Annotated[str, typer.Option("--category", help="Service category (sarc, ...).")],
    add: Annotated[int, typer.Option("--add", help="Number of new sites (K).", min=1)],
    out: OutOption,
    at: Annotated[
        list[str] | None,
        typer.Option(
            "--at",
            help="Times to serve (repeatable): 'Sat 02:00', an ISO date-time. "
            "Default: every hour of the week.",
        ),
    ] = None,
    minutes: MinutesOption = 60.0,
    weight: WeightOption = "residents",
    candidates: Annotated[
        Path | None,
        typer.Option(
            "--candidates",
            help="CSV of candidate sites (name and postcode, or lat and lon). Default: "
            "the centres of the towns of 5,000+ residents (see docs/optimise.md).",
            dir_okay=False,
        ),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="mclp (most people covered) or pmedian.")
    ] = "mclp",
    hours: Annotated[str, typer.Option("--hours", help="Opening hours of the new sites.")] = "24/7",
    min_age: Annotated[
        int | None, typer.Option("--min-age", help="Youngest age the new sites see.")
    ] = None,
    max_age: Annotated[
        int | None, typer.Option("--max-age", help="Oldest age the new sites see.")
    ] = None,
    crime_type: Annotated[
        list[str] | None,
        typer.Option("--crime-type", help="Crime types the new sites see (repeatable)."),
    ] = None,
    solver: Annotated[str, typer.Option("--solver", help="highs (default) or cbc.")] = "highs",
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Solver time limit in seconds.", min=1)
    ] = 120.0,
    services: ServicesOption = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = "offline",
) -> None:
    """Where should new sites go? MCLP or p-median over candidate sites, as a scenario."""
    from mapping.inputs.candidates import read_points
    from mapping.inputs.hours import parse_when, validate_hours
    from mapping.inputs.limits import check_candidates, check_times
    from mapping.inputs.scenario_file import save_scenario

    _check_out(out, [services, candidates], data_dir)
    from mapping.inputs.vocabulary import siting_refusal

    if (refusal := siting_refusal(category)) is not None:
        raise ServiceMapError(f"--category {category}: {refusal}")
    _check_weight(weight)
    if method not in ("mclp", "pmedian"):
        raise ServiceMapError(f"--method must be mclp or pmedian, not {method!r}")
    if solver not in ("highs", "cbc"):
        raise ServiceMapError(f"--solver must be highs or cbc, not {solver!r}")
    if bad_hours := validate_hours(hours):
        raise ServiceMapError(f"--hours: {bad_hours}")
    check_times(at)
    for when in at or ():
        parse_when(when)  # a typo fails before the slow load
    points = read_points(candidates, sources=sources) if candidates is not None else None
    if points is not None:
        check_candidates(len(points), candidates or "candidates")
    study = _load(services, sources, data_dir, network)
    if category not in set(study.register["category"]):
        known = ", ".join(sorted(set(study.register["category"])))
        raise ServiceMapError(f"--category {category!r} is not known; known: {known}")
    weight_name, age_band, people = _weight_choice(weight)
    if age_band is not None:
        from mapping.inputs.vocabulary import AGE_BANDS

        lo, hi = AGE_BANDS[age_band]
        if (max_age is not None and max_age < lo) or (
            min_age is not None and hi is not None and min_age > hi
        ):
            raise ServiceMapError(
                f"the new sites (ages {min_age}-{max_age}) would see nobody in {age_band}"
            )
    if points is None:
        points = study.candidate_sites()
        source = "town centres (5,000+ residents)"
    else:
        source = str(candidates)
    typer.echo(f"{len(points)} candidate sites from {source}; computing travel times…", err=True)
    plan, problem = study.optimise_sites(
        category,
        add,
        threshold=minutes,
        at=at,
        method=method,
        candidates=points,
        time_limit=time_limit,
        weight=weight_name,
        age_band=age_band,
        new_hours=hours,
        solver=solver,
        new_ages=(min_age, max_age),
    )
    one_time = at is not None and len(at) == 1
    if method == "mclp":
        from mapping.analysis.appraise_options import saturation_note, saturation_trade
        from mapping.analysis.optimise_sites import optimise_sites

        everyone = float(problem.weights.sum()) * sum(b.hours for b in problem.blocks)
        where = f"over {plan.times_label}" if at is None else f"at {plan.times_label}"
        note = saturation_note(plan.plan.covered, everyone, add, minutes, where)
        if note:
            # Every plan that covers everyone ties: rank them by mean minutes instead.
            covering = plan
            plan = optimise_sites(
                problem,
                add,
                method="pmedian",
                solver=solver,
                time_limit=time_limit,
                new_hours=hours,
            )
            method = "pmedian"
            trade = saturation_trade(
                covering, plan, minutes, people if one_time else _hours_unit(people)
            )
            typer.echo(f"Saturated: {note}" + (f"; {trade}." if trade else "."))
    unit = people if one_time else _hours_unit(people)
    gap = "unknown" if plan.gap is None else f"{plan.gap:.2%}"
    typer.echo(
        f"{method.upper()} for {add} new {category} site(s) open {hours!r}, within {minutes:g} "
        f"min, over {plan.times_label}: {plan.status}, gap {gap}, "
        f"{plan.solve_seconds:.1f} s ({plan.model_rows:,} demand rows)"
    )
    for _, site in plan.sites.iterrows():
        typer.echo(
            f"  {site['name']}: {formats.signed_people(site['marginal'])} {unit} "
            "(lost if this site alone were dropped)"
        )
    base, new = plan.baseline, plan.plan
    typer.echo(
        f"within {minutes:g} min: {formats.people(base.covered)} -> "
        f"{formats.people(new.covered)} {unit}"
    )
    typer.echo(
        f"mean minutes: {formats.minutes(base.mean_minutes)} -> {formats.minutes(new.mean_minutes)}"
    )
    scenario = plan.to_scenario(
        category=category, min_age=min_age, max_age=max_age, crime_types=crime_type
    )
    save_scenario(scenario, out)
    typer.echo(f"wrote {out}")
