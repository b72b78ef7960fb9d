"""Options shared by the ``service-map`` commands, declared once (typer ``Annotated`` aliases).

Every command module (``cli.py``, ``cli_need.py``, ``cli_optimise.py``) takes these from
here, so ``--sources`` or ``--network`` reads and behaves the same in every command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "CategoryOption",
    "DataDirOption",
    "GtfsOption",
    "ModeOption",
    "NetworkOption",
    "OutOption",
    "ScenarioOption",
    "ServicesOption",
    "SourcesOption",
    "WeightOption",
]

SourcesOption = Annotated[
    Path | None,
    typer.Option(
        "--sources",
        help="Folder of raw public files (default: $SERVICE_MAP_SOURCES, then ../shared/data).",
        file_okay=False,
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Folder for generated data (default: $SERVICE_MAP_DATA or ./data)."
    ),
]
ServicesOption = Annotated[
    Path | None,
    typer.Option("--services", help="Services register CSV (default: data/services.csv)."),
]
ScenarioOption = Annotated[
    Path | None,
    typer.Option("--scenario", help="What-if scenario (TOML or JSON) applied to the register."),
]
NetworkOption = Annotated[
    str, typer.Option("--network", help="Road network: offline (default) or osm.")
]
ModeOption = Annotated[
    str,
    typer.Option(
        "--mode",
        help="How people travel: drive (default; the speed profile of the time) or walk "
        "(4.8 km/h on the same roads, motorways excluded; thresholds 15/30/45 minutes).",
    ),
]
GtfsOption = Annotated[
    Path | None,
    typer.Option(
        "--gtfs",
        help="A GTFS public-transport feed. Not supported yet: says so and exits "
        "(see docs/transit.md).",
        dir_okay=False,
    ),
]
CategoryOption = Annotated[
    str, typer.Option("--category", help="Service category (default: sarc).")
]
#: What ``--weight`` may count.
_WEIGHT_HELP = (
    "What the figures count: residents (Census 2021, default), women_16_plus "
    "(ONS mid-2024), recorded_violence_sexual (offences recorded in each area, "
    "January-April 2024, police.uk: a proxy for need) or crime_deprived_residents "
    "(residents of the most crime-deprived fifth of LSOAs, IoD 2025 crime domain: "
    "where victims live) or no_car_households (Census 2021 TS045)."
)
WeightOption = Annotated[str, typer.Option("--weight", help=_WEIGHT_HELP)]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Also write the table (.csv or .xlsx). An existing file is replaced only by "
        "a table of the same kind; never anything under the data folder.",
    ),
]
