"""``service-map appraise``: the options for one category side by side (docs/optimise.md).

Extend an in-area service's hours (24/7, nights), the optimiser's best extra hours, the
best new site and the two together, on the same measures, each with its range. Heavy
imports stay inside the command so ``service-map --help`` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mapping import formats
from mapping.cli_options import DataDirOption, NetworkOption, ServicesOption, SourcesOption
from mapping.errors import ServiceMapError

if TYPE_CHECKING:
    from mapping.analysis.appraise import Appraisal

__all__ = ["appraise_command", "format_appraisal"]


#: Each measure and how the "moves it most" line names it.
_MOVES = (
    ("night_beyond", "Sat 02:00"),
    ("weekend_day_beyond", "Sat 14:00"),
    ("week_beyond", "average hour"),
    ("mean_minutes", "mean"),
    ("p90_minutes", "90th percentile"),
    ("minutes_saved", "saved"),
)


def _spread(row: object, name: str, fmt: object = formats.people) -> str:
    central, low, high = (row[f"{name}{end}"] for end in ("", "_low", "_high"))  # type: ignore[index]
    a, b, c = fmt(central), fmt(low), fmt(high)  # type: ignore[operator]
    return a if b == c else f"{a} ({b}–{c})"


def format_appraisal(appraisal: Appraisal) -> str:
    """The appraisal as text: one block per option, measures with their ranges, then notes."""
    t = f"{appraisal.threshold:g}"
    lines = []
    for _, row in appraisal.table.iterrows():
        staffing = f"+{row['extra_hours']} staffed h/week" if row["extra_hours"] else ""
        sites = f"+{row['new_sites']} new site" if row["new_sites"] else ""
        cost = ", ".join(x for x in (staffing, sites) if x) or "no change"
        lines.append(f"{row['option']} [{cost}]")
        lines.append(
            f"  beyond {t} min: Sat 02:00 {_spread(row, 'night_beyond')}; "
            f"Sat 14:00 {_spread(row, 'weekend_day_beyond')}; "
            f"average hour of the week {_spread(row, 'week_beyond')}"
        )
        lines.append(
            f"  week: mean {_spread(row, 'mean_minutes', formats.minutes)} min, "
            f"90th percentile {_spread(row, 'p90_minutes', formats.minutes)} min, "
            f"weight-minutes saved {_spread(row, 'minutes_saved')}"
        )
        moves = [
            f"{words}: {row[f'{name}_moves_most']}"
            for name, words in _MOVES
            if row.get(f"{name}_moves_most")
        ]
        if moves:
            lines.append("  moves it most: " + "; ".join(moves))
        if row["sentence"]:
            lines.append(f"  {row['sentence']}")
    lines += [f"Note: {note}." for note in appraisal.notes]
    return "\n".join(lines)


def appraise_command(
    category: Annotated[
        str, typer.Option("--category", help="Service category (default: sarc).")
    ] = "sarc",
    extra_hours: Annotated[
        int,
        typer.Option("--extra-hours", help="Budget for the optimiser's extra hours.", min=1),
    ] = 56,
    minutes: Annotated[
        float, typer.Option("--minutes", help="Drive-time threshold in minutes.", min=1)
    ] = 60.0,
    weight: Annotated[
        str,
        typer.Option(
            "--weight",
            help="residents (default), women_16_plus, recorded_violence_sexual (offences "
            "recorded in the area, January–April 2024, ×3 to a year) or "
            "crime_deprived_residents (IoD 2025 crime domain: where victims live).",
        ),
    ] = "residents",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the table (.csv or .xlsx).", dir_okay=False),
    ] = None,
    services: ServicesOption = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = "offline",
) -> None:
    """Which option buys the most? Extended hours, optimised hours, a new site, side by side."""
    from mapping.inputs.vocabulary import WEIGHTS
    from mapping.outputs.tables import write_table
    from mapping.study import Study

    if weight not in WEIGHTS:
        raise ServiceMapError(f"unknown weight {weight!r}: use one of {', '.join(WEIGHTS)}")
    if out is not None:  # before any work: never an input, data/ or a project file
        from mapping.inputs.register import default_register_path
        from mapping.outputs.paths import check_output_path

        check_output_path(
            out, "appraisal", reads=[services or default_register_path()], data_dir=data_dir
        )
    typer.echo("Loading data, register and road network…", err=True)
    study = Study.load(
        data_dir=data_dir, sources=sources, services=services, network=network, progress=True
    )
    if category not in set(study.register["category"]):
        known = ", ".join(sorted(set(study.register["category"])))
        raise ServiceMapError(f"--category {category!r} is not known; known: {known}")
    typer.echo("Finding the best hours and site, then measuring every option…", err=True)
    appraisal = study.appraise(
        category=category, extra_hours=extra_hours, threshold=minutes, weight=weight
    )
    typer.echo(format_appraisal(appraisal))
    if out is not None:
        write_table(appraisal.table, out)
        typer.echo(f"wrote {out}")
