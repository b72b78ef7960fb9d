"""``service-map week``: access to a service category in each hour of the week.

Prints the worst hour in words and the 7 x 24 table (share of residents beyond the
threshold, day by hour); ``--out`` writes the 168-row table as CSV. Heavy imports stay
inside the command so ``service-map --help`` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mapping import formats
from mapping.cli_options import ModeOption, ScenarioOption
from mapping.errors import ServiceMapError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["week_command", "week_table"]


def week_table(frame: pd.DataFrame, value: str = "share_beyond") -> pd.DataFrame:
    """The 168-row week frame as 7 rows (Monday first) by 24 hour columns of ``value``."""
    from mapping.analysis.week import DAY_NAMES

    table = frame.pivot(index="day", columns="hour", values=value)
    return table.reindex(list(DAY_NAMES))


def week_command(
    category: Annotated[str, typer.Option("--category", help="Service category (sarc, ...).")],
    minutes: Annotated[
        float | None,
        typer.Option(
            "--minutes", help="Threshold in minutes (default 60; 30 with --mode walk).", min=1
        ),
    ] = None,
    mode: ModeOption = "drive",
    area: Annotated[
        str | None,
        typer.Option("--area", help="Only this council area's residents (ONS code, E07...)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the 168-row week table to this CSV.", dir_okay=False),
    ] = None,
    services: Annotated[
        Path | None,
        typer.Option("--services", help="Services register CSV (default: data/services.csv)."),
    ] = None,
    scenario: ScenarioOption = None,
    sources: Annotated[
        Path | None, typer.Option("--sources", help="Folder of raw public files.", file_okay=False)
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Folder for generated data (default: ./data)."),
    ] = None,
    network: Annotated[
        str, typer.Option("--network", help="Road network: offline (default) or osm.")
    ] = "offline",
) -> None:
    """Which hour of the week is worst? Share of residents beyond the threshold, by hour."""
    from mapping.analysis.coverage import default_threshold, mode_profile
    from mapping.analysis.week import describe_worst_hour
    from mapping.analysis.without_car import mode_note
    from mapping.inputs.register import default_register_path
    from mapping.outputs.paths import check_output_path
    from mapping.outputs.tables import write_table
    from mapping.study import Study

    mode_profile(mode)  # an unknown mode fails before the slow load
    if minutes is None:
        minutes = default_threshold(mode)
    if out is not None:  # before any work: never an input, data/ or a project file
        reads = [services or default_register_path(), *([scenario] if scenario else [])]
        check_output_path(out, "week", reads=reads, data_dir=data_dir)
    plan = None
    if scenario is not None:
        from mapping.inputs.scenario_file import load_scenario

        plan = load_scenario(scenario)  # a malformed file fails before the slow load
    typer.echo("Loading data, register and road network…", err=True)
    study = Study.load(
        data_dir=data_dir, sources=sources, services=services, network=network, progress=True
    )
    if plan is not None:
        study = study.with_scenario(plan, sources=sources)
    if category not in set(study.register["category"]):
        known = ", ".join(sorted(set(study.register["category"])))
        raise ServiceMapError(f"--category {category!r} is not known; known: {known}")
    if area is not None and area not in study.area_names("district"):
        known = ", ".join(f"{c} ({n})" for c, n in study.area_names("district").items())
        raise ServiceMapError(f"--area {area!r} is not a council area; known: {known}")
    frame = study.week_profile(category, threshold=minutes, area=area, mode=mode)
    where = "" if area is None else f" in {study.area_names('district')[area]}"
    sentence = describe_worst_hour(frame)
    typer.echo(sentence[0].upper() + sentence[1:] + where + ".")
    on_foot = " on foot" if mode == "walk" else ""
    if "people_beyond_low" in frame:
        worst = frame[frame["people_beyond"] >= frame["people_beyond"].max() - 0.5]
        typer.echo(
            f"Range in that hour (drive times ±10%, each assumed-hours service open or closed; "
            f"docs/ranges.md): {formats.people(worst['people_beyond_low'].min())}–"
            f"{formats.people(worst['people_beyond_high'].max())} residents."
        )
    typer.echo(
        f"Share of residents{where} more than {minutes:g} minutes{on_foot} from an open service "
        f"(%; {frame.attrs['computations']} distinct hours computed):"
    )
    table = (week_table(frame) * 100).round(0)
    header = "day        " + " ".join(f"{h:>3d}" for h in table.columns)
    typer.echo(header)
    for day, row in table.iterrows():
        cells = " ".join("  -" if v != v else f"{v:3.0f}" for v in row.to_numpy(float))
        typer.echo(f"{day!s:<10} {cells}")
    typer.echo(mode_note(mode))
    if out is not None:
        write_table(frame, out)  # atomic, with its README beside it
        typer.echo(f"wrote {out}")
