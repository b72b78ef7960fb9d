"""``service-map coverage`` and ``service-map without-car``: by car or on foot.

``coverage`` prints population-weighted coverage by area for a category and time, by car
or (``--mode walk``) on foot; ``without-car`` counts the households with no car that are
beyond a walk of every open service, by council area and ward. Both only parse options,
call :class:`mapping.Study` and print what it computed. :func:`check_mode` and
:func:`mode_note` serve every command with ``--mode`` (``sarc``, ``equity``, ``week``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mapping import formats
from mapping.cli_options import (
    CategoryOption,
    DataDirOption,
    GtfsOption,
    ModeOption,
    NetworkOption,
    OutOption,
    ScenarioOption,
    ServicesOption,
    SourcesOption,
    WeightOption,
)
from mapping.errors import ServiceMapError

if TYPE_CHECKING:
    import pandas as pd

    from mapping.study import Study

__all__ = ["check_mode", "register_walk_commands"]


def check_mode(mode: str) -> None:
    """Refuse an unknown travel mode before any slow work (the analysis's own check)."""
    from mapping.analysis.coverage import mode_profile

    mode_profile(mode)


def _format_coverage(table: pd.DataFrame) -> str:
    out = table[["area_name"]].copy()
    out["people"] = table["eligible_population"].map(formats.people)
    out["mean min"] = table["mean_minutes"].map(formats.minutes)
    for column in [c for c in table.columns if c.startswith("share_within_")]:
        out[f"≤{column.removeprefix('share_within_')} min"] = table[column].map(formats.percent)
    return out.to_string(index=False)


def coverage(
    category: CategoryOption = "sarc",
    at: Annotated[
        str, typer.Option("--at", help="Time of week, e.g. 'Tue 10:00' or 'weekend night'.")
    ] = "Tue 10:00",
    by: Annotated[str, typer.Option("--by", help="district (default), ward or lsoa.")] = "district",
    mode: ModeOption = "drive",
    weight: WeightOption = "residents",
    out: OutOption = None,
    gtfs: GtfsOption = None,
    services: ServicesOption = None,
    scenario: ScenarioOption = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = "offline",
) -> None:
    """Coverage by area for a category and time of week, by car or on foot."""
    from mapping.analysis.without_car import mode_note
    from mapping.inputs.vocabulary import WEIGHTS
    from mapping.inputs.when import resolve_slot
    from mapping.network.transit import check_gtfs

    check_gtfs(gtfs)
    check_mode(mode)
    if weight not in WEIGHTS:
        raise ServiceMapError(f"unknown weight {weight!r}: use one of {', '.join(WEIGHTS)}")
    if by not in ("district", "ward", "lsoa"):
        raise ServiceMapError(f"unknown --by {by!r}: use district, ward or lsoa")
    slot = resolve_slot(at)
    _guard(out, "coverage", data_dir)
    study = _study(services, scenario, sources, data_dir, network)
    table = study.coverage(category, slot, by, weight=weight, mode=mode)  # type: ignore[arg-type]
    how = "on foot" if mode == "walk" else "by car"
    typer.echo(f"{category} at {slot.at} ({slot.name}), {how}:")
    typer.echo(_format_coverage(table))
    typer.echo(f"Network: {study.network_source}. {mode_note(mode)} Weight: {WEIGHTS[weight]}.")
    _write(table, out)


def without_car(
    category: CategoryOption = "sarc",
    at: Annotated[
        str, typer.Option("--at", help="Time of week: which services are open (default Tue 10:00).")
    ] = "Tue 10:00",
    minutes: Annotated[
        float, typer.Option("--minutes", help="Walking threshold in minutes (default 30).")
    ] = 30.0,
    wards: Annotated[
        int, typer.Option("--wards", help="How many wards to print, most households first.")
    ] = 10,
    out: OutOption = None,
    services: ServicesOption = None,
    scenario: ScenarioOption = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = "offline",
) -> None:
    """Households with no car beyond a walk of every open service, by area and ward."""
    from mapping.analysis.without_car import headline, mode_note
    from mapping.inputs.when import resolve_slot

    slot = resolve_slot(at)
    if not minutes > 0:
        raise ServiceMapError(f"--minutes must be positive, got {minutes:g}")
    _guard(out, "without-car", data_dir)
    study = _study(services, scenario, sources, data_dir, network)
    table = study.without_car(category, slot, minutes)
    typer.echo(headline(table))
    for level, limit in (("district", None), ("ward", wards)):
        rows = table[table["area_level"] == level].head(limit)
        shown = rows[["area_name", "lad_name"]].copy()
        shown["no-car households"] = rows["no_car_households"].map(formats.people)
        shown[f"beyond {minutes:g} min walk"] = rows["no_car_beyond"].map(formats.people)
        shown["share"] = rows["share_beyond"].map(formats.percent)
        typer.echo("")
        typer.echo("By council area:" if level == "district" else f"Top {limit} wards:")
        typer.echo(shown.to_string(index=False))
    typer.echo(f"Network: {study.network_source}. {mode_note('walk')}")
    _write(table, out)


def _study(
    services: Path | None,
    scenario: Path | None,
    sources: Path | None,
    data_dir: Path | None,
    network: str,
) -> Study:
    from mapping.study import Study

    typer.echo("Loading data, register and road network…", err=True)
    study = Study.load(
        data_dir=data_dir, sources=sources, services=services, network=network, progress=True
    )
    return study if scenario is None else study.with_scenario(scenario, sources=sources)


def _guard(out: Path | None, kind: str, data_dir: Path | None) -> None:
    """Refuse a bad ``--out`` before any work (see :mod:`mapping.outputs.paths`)."""
    if out is None:
        return
    from mapping.outputs.paths import check_output_path

    check_output_path(out, kind, reads=[], data_dir=data_dir)


def _write(table: pd.DataFrame, out: Path | None) -> None:
    if out is None:
        return
    from mapping.outputs.tables import write_table

    write_table(table, out)
    typer.echo(f"wrote {out}")


def register_walk_commands(app: typer.Typer) -> None:
    """Add ``coverage`` and ``without-car`` to the ``service-map`` command."""
    app.command("coverage")(coverage)
    app.command("without-car")(without_car)
