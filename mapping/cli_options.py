"""Options shared by the ``service-map`` commands, declared once (typer ``Annotated`` aliases).

Every command module (``cli.py``, ``cli_need.py``, ``cli_optimise.py``) takes these from
here, so ``--sources`` or ``--network`` reads and behaves the same in every command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "DataDirOption",
    "GtfsOption",
    "ModeOption",
    "NetworkOption",
    "ScenarioOption",
    "ServicesOption",
    "SourcesOption",
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
