"""``service-map`` commands that weigh provision against need: equity, capacity, access.

Registered on the main command by :func:`register_need_commands` (``mapping/cli.py``).
Like the other commands they only parse options, call :class:`mapping.Study` and print
what it computed; every user-caused problem is a :class:`~mapping.errors.ServiceMapError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mapping import formats
from mapping.cli_options import (
    CategoryOption,
    DataDirOption,
    ModeOption,
    NetworkOption,
    OutOption,
    ScenarioOption,
    ServicesOption,
    SourcesOption,
    WeightOption,
)
from mapping.errors import ServiceMapError
from mapping.inputs.vocabulary import RECORDED_VIOLENCE_CAVEAT, WEIGHTS, weight_short

if TYPE_CHECKING:
    import pandas as pd

    from mapping.study import Study

__all__ = [
    "WeightOption",
    "check_need_layer",
    "check_weight",
    "guard_table_out",
    "register_need_commands",
    "weight_note",
    "weight_short",
]


def check_weight(weight: str) -> None:
    """Refuse an unknown weight before any slow work."""
    if weight not in WEIGHTS:
        raise ServiceMapError(f"unknown weight {weight!r}: use one of {', '.join(WEIGHTS)}")


def weight_note(weight: str) -> str:
    """The sentence saying what the figures count (with the caveat for recorded crime)."""
    note = f"Figures and shares are of {WEIGHTS[weight]}."
    if weight == "recorded_violence_sexual":
        note += " " + RECORDED_VIOLENCE_CAVEAT
    return note


# ---- where a table may be written ---------------------------------------------------------


def guard_table_out(
    out: Path | None, kind: str, reads: list[Path | None], data_dir: Path | None
) -> None:
    """Refuse a bad ``--out`` before any work: :func:`mapping.outputs.paths.check_output_path`.

    Never an input (the register, the scenario), the generated data, a project file or a
    sidecar; an existing table (or its ``README.txt``) only when it is a previous
    ``kind`` table this tool wrote.
    """
    if out is None:
        return
    from mapping.inputs.register import default_register_path
    from mapping.outputs.paths import check_output_path

    registers = [reads[0] or default_register_path(), *reads[1:]]
    check_output_path(out, kind, reads=registers, data_dir=data_dir)


def _write(table: pd.DataFrame, out: Path | None) -> None:
    if out is None:
        return
    from mapping.outputs.tables import write_table

    write_table(table, out)
    typer.echo(f"wrote {out}")


# ---- data check -------------------------------------------------------------------------


def check_need_layer(data_dir: Path | None) -> list[str]:
    """Print the need layer's totals; return its problems (missing, damaged, wrong totals)."""
    from mapping.geography.need import lancashire_check, load_need

    try:
        table = load_need(data_dir, geometry=False)
    except ServiceMapError as exc:
        return [f"need: {exc}"]
    typer.echo(
        f"need: {len(table)} LSOAs, {int(table['residents'].sum()):,} residents, "
        f"{int(table['women_16_plus'].sum()):,} women 16+, "
        f"{int(table['recorded_violence_sexual'].sum()):,} recorded violence and sexual "
        f"offences (a proxy), {int(table['no_car_households'].sum()):,} households with no "
        f"car, {table['csp_code'].nunique()} Community Safety Partnerships"
    )
    return [f"need: {problem}" for problem in lancashire_check(table)]


# ---- commands -----------------------------------------------------------------------------


def _format_decile_table(table: pd.DataFrame, key: str) -> str:
    """A decile or quintile table for a terminal: people, minutes and shares rounded."""

    out = table[[key]].copy()
    out[weight_short(str(table["weight"].iloc[0]))] = table["population"].map(formats.people)
    out["mean min"] = table["mean_minutes"].map(formats.minutes)
    out["90th pct min"] = table["p90_minutes"].map(formats.minutes)
    beyond = f"beyond {table['threshold_minutes'].iloc[0]:g} min"
    out[beyond] = table["share_beyond_threshold"].map(formats.percent)
    if "share_beyond_threshold_low" in table:  # with its range (docs/ranges.md)
        from mapping.analysis.ranges import format_range_column

        out[f"{beyond} (low–high)"] = format_range_column(
            table, "share_beyond_threshold", formats.percent
        )
        out = out.drop(columns=beyond)
    return out.to_string(index=False)


def _study(
    services: Path | None,
    scenario: Path | None,
    sources: Path | None,
    data_dir: Path | None,
    network: str,
) -> Study:
    from mapping.cli import _load_study

    return _load_study(services, scenario, sources, data_dir, network)


def equity(
    category: CategoryOption = "sarc",
    at: Annotated[
        str, typer.Option("--at", help="Time of week, e.g. 'Sat 02:00' or 'weekend night'.")
    ] = "Sat 02:00",
    minutes: Annotated[
        float | None,
        typer.Option("--minutes", help="Threshold in minutes (default 60; 30 with --mode walk)."),
    ] = None,
    weight: WeightOption = "residents",
    mode: ModeOption = "drive",
    out: OutOption = None,
    services: ServicesOption = None,
    scenario: ScenarioOption = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = "offline",
) -> None:
    """Minutes by IMD 2025 decile and quintile (Theil's T), and by rural/urban class."""
    from mapping.analysis.coverage import default_threshold
    from mapping.analysis.without_car import mode_note
    from mapping.cli_walk import check_mode
    from mapping.inputs.vocabulary import CATEGORIES
    from mapping.inputs.when import resolve_slot

    check_weight(weight)
    check_mode(mode)
    if minutes is None:
        minutes = default_threshold(mode)
    if category not in CATEGORIES:
        raise ServiceMapError(f"unknown category {category!r}: use {', '.join(CATEGORIES)}")
    slot = resolve_slot(at)
    if not minutes > 0:
        raise ServiceMapError(f"--minutes must be positive, got {minutes:g}")
    guard_table_out(out, "equity", [services, scenario], data_dir)
    study = _study(services, scenario, sources, data_dir, network)
    result = study.equity(category, slot, minutes, weight, mode=mode)
    how = "on foot" if mode == "walk" else "by car"
    typer.echo(
        f"{category} at {slot.at} ({slot.name}), {how}, threshold {minutes:g} minutes, "
        f"by IMD 2025 decile (1 = most deprived tenth of LSOAs in England):"
    )
    typer.echo(_format_decile_table(result.by_decile, "imd_decile"))
    typer.echo("")
    typer.echo("By quintile (1 = deciles 1-2, most deprived):")
    typer.echo(_format_decile_table(result.by_quintile, "imd_quintile"))
    if "share_beyond_threshold_low" in result.by_decile:
        typer.echo(
            "Low–high: drive times 10% shorter or longer, and each service whose opening "
            "hours are assumed open or closed at this hour, one at a time (docs/ranges.md)."
        )
    if result.theil is not None:
        t = result.theil
        typer.echo("")
        typer.echo(
            f"Theil's T {t.total:.4f} = between deciles {t.between:.4f} + within "
            f"deciles {t.within:.4f} ({t.observations} LSOAs)."
        )
        typer.echo(t.meaning)
    if result.by_rural_urban is not None:
        typer.echo("")
        typer.echo("By rural/urban class of the LSOA (ONS 2021 Rural Urban Classification):")
        typer.echo(_format_decile_table(result.by_rural_urban, "rural_urban"))
    typer.echo(f"Network: {study.network_source}. {mode_note(mode)} {weight_note(weight)}")
    _write(result.by_decile, out)


def capacity(
    out: OutOption = None,
    denominator: Annotated[
        list[str] | None,
        typer.Option(
            "--denominator",
            help="Denominator of the rape crisis benchmark (sexual_violence_support): "
            "women_all_ages (Council of Europe, 1 centre per 200,000 women: default) or "
            "residents (the Istanbul Convention explanatory report's 'inhabitants'). Also "
            "BENCHMARK=DENOMINATOR for another benchmark's choices, e.g. sarc=residents "
            "(repeatable).",
        ),
    ] = None,
    services: ServicesOption = None,
    scenario: ScenarioOption = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = "offline",
) -> None:
    """Capacity against published benchmarks per council area, CSP and Lancashire.

    Each area's capacity is said in words: a known number with its source, covered by a
    service based elsewhere (named), or unknown (saying which figure is missing).
    """
    chosen: dict[str, str] = {}
    for value in denominator or []:
        bench, _, name = value.rpartition("=")
        chosen[bench.strip() or "sexual_violence_support"] = name.strip()
    guard_table_out(out, "capacity", [services, scenario], data_dir)
    study = _study(services, scenario, sources, data_dir, network)
    table = study.capacity(denominators=chosen)
    typer.echo(_format_capacity(table))
    typer.echo("")
    for bench, group in table.groupby("service_type", sort=False):
        row = group.iloc[0]
        typer.echo(
            f"{bench}: counts {row['counts']}; scope: {row['scope']}. {row['benchmark']}. "
            f"Denominator: {row['denominator_label']}. Source: {row['source']}"
        )
        force = group[group["area_level"] == "police_force_area"]
        for _, area in force.iterrows():
            if area["not_classified"]:
                typer.echo(
                    f"  {area['area_name']}: not classified as {area['counts']}, so not "
                    f"counted: {area['not_classified']}."
                )
    typer.echo(
        "Known units come only from the register (capacity_value in the benchmark's unit, "
        "capacity_family_places, advocate_fte; each with its source); 'unknown' is never "
        "estimated and never 0, and an area covered by a service based elsewhere says so. "
        "Refuge demand is regional: judge refuge against the Lancashire row."
    )
    _write(table, out)


def access(
    category: Annotated[
        str, typer.Option("--category", help="idva (advocate FTE) or refuge (family places).")
    ] = "idva",
    weight: WeightOption = "residents",
    catchment: Annotated[
        float, typer.Option("--catchment", help="Catchment in drive minutes (default 60).")
    ] = 60,
    out: OutOption = None,
    services: ServicesOption = None,
    scenario: ScenarioOption = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = "offline",
) -> None:
    """Capacity-aware access per LSOA (2SFCA and enhanced 2SFCA, PySAL access)."""
    check_weight(weight)
    guard_table_out(out, "access", [services, scenario], data_dir)
    study = _study(services, scenario, sources, data_dir, network)
    result = study.access(category, weight=weight, catchment_minutes=catchment)
    table = result.table
    typer.echo(f"{category}: known capacity per 10,000 {WEIGHTS[weight]} (mean of LSOAs)")
    if not result.capacity_known:
        typer.echo(
            f"Capacity unknown: no {category} service in the register gives its capacity, "
            "so access cannot be computed (shown as unknown, not 0)."
        )
    else:
        by_area = table.groupby("lad_name")[["per_10000_2sfca", "per_10000_e2sfca"]].mean()
        typer.echo(by_area.round(3).to_string())
    scale = (
        "county scale (one county-wide ratio)"
        if result.catchment_minutes is None
        else f"catchment {result.catchment_minutes:g} minutes"
    )
    typer.echo(
        f"Scale: {scale}. Decay: {result.decay}. Services used: {result.sites_used}; "
        f"left out: {len(result.left_out)}."
    )
    reasons: dict[str, list[str]] = {}
    for site, why in result.left_out:
        reasons.setdefault(why, []).append(site)
    for why, sites in reasons.items():
        typer.echo(f"  left out, {why}: {len(sites)} ({', '.join(sites)})")
    if result.note:
        typer.echo(result.note)
    _write(table, out)


def register_need_commands(app: typer.Typer) -> None:
    """Add ``equity``, ``capacity`` and ``access`` to the ``service-map`` command."""
    app.command("equity")(equity)
    app.command("capacity")(capacity)
    app.command("access")(access)


def _format_capacity(table: pd.DataFrame) -> str:
    """Council areas and Lancashire, per benchmark: units needed against capacity in words."""
    shown = table[table["area_level"] != "csp"]
    lines = []
    for service, group in shown.groupby("service_type", sort=False):
        first = group.iloc[0]
        lines.append(f"{service}: {first['counts']} ({first['unit']}), scope: {first['scope']}")
        needed = [
            _needed(c, lo, hi)
            for c, lo, hi in zip(
                group["benchmark_units"],
                group["benchmark_units_low"],
                group["benchmark_units_high"],
                strict=True,
            )
        ]
        name_width = max(len(str(n)) for n in group["area_name"])
        need_width = max(len("needed"), *(len(n) for n in needed))
        lines.append(f"  {'area':<{name_width}}  {'needed':<{need_width}}  known capacity")
        for name, need, words in zip(group["area_name"], needed, group["capacity"], strict=True):
            lines.append(f"  {name:<{name_width}}  {need:<{need_width}}  {words}")
        if first["benchmark_range"]:
            force = group[group["area_level"] == "police_force_area"]
            for _, row in force.iterrows():
                lines.append(f"  {row['area_name']} needs {row['benchmark_range']}")
        lines.append("")
    return "\n".join(lines).rstrip()


def _needed(central: float, low: float, high: float) -> str:
    if central != central:
        return ""
    if low == high:
        return formats.number(central)
    return f"{formats.number(central)} ({formats.number(low)}-{formats.number(high)})"
