"""The export pack's data model: what is written, and the context every writer shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd

    from mapping.analysis.out_of_hours import HourAccount
    from mapping.inputs.when import TimeSlot
    from mapping.outputs.need_pack import NeedSection
    from mapping.outputs.scenario_report import ScenarioSection

GENERATOR = "mapping.outputs.export"


@dataclass(frozen=True)
class ExportedFile:
    """One file of an export: its path inside the folder, what it is and its checksum."""

    path: str
    kind: str
    description: str
    sha256: str
    bytes: int


@dataclass
class ExportReport:
    """What :func:`export_all` wrote.

    Attributes
    ----------
    out_dir
        The export folder.
    files
        Every file, ``manifest.json`` last (its own checksum cannot be inside it, so
        its ``sha256`` here is computed after writing).
    generated_at
        UTC ISO time stamp recorded in every file.
    seconds
        Wall time of the export.
    notes
        Anything a reader should know (a table not available, sources not verified).
    """

    out_dir: Path
    files: list[ExportedFile] = field(default_factory=list)
    generated_at: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        """Total size of the export."""
        return sum(f.bytes for f in self.files)

    @property
    def paths(self) -> list[Path]:
        """Absolute paths of the files written."""
        return [self.out_dir / f.path for f in self.files]


@dataclass(frozen=True)
class PackTable:
    name: str
    sheet: str
    description: str
    frame: pd.DataFrame


@dataclass
class ExportContext:
    """Facts every part of the export repeats: parameters, provenance, notes."""

    generated_at: str
    network_source: str
    parameters: list[tuple[str, str]]
    slots: list[tuple[str, str, str]]
    network: list[tuple[str, str]]
    sources: list[tuple[str, str, str, str]]
    software: list[tuple[str, str]]
    method: list[str]
    notes: list[str]


@dataclass(frozen=True)
class ReportInputs:
    """What the report and the GIS layers are drawn from, beside the pack's tables.

    Attributes
    ----------
    sarc
        The SARC access table at the pack's slots.
    headline_sarc
        The SARC access table at the headline slots (and the pack's).
    headline
        The headline slots (weekday daytime, weekend night).
    accounts
        The out-of-hours account of SARCs at each headline slot (as the app's).
    gaps
        The gap register.
    coverage
        Coverage tables by ``(category, level)``.
    register
        The public view of the effective register.
    areas
        Council-area polygons.
    layers
        GIS layers by name.
    scenario_tables
        The scenario's comparison tables (none without a scenario).
    scenario_name
        The scenario's name (``None`` without one).
    scenario
        The report's scenario section, in words (``None`` without a scenario).
    need_section
        The need section of the report (``None`` without the need layer).
    """

    sarc: pd.DataFrame
    headline_sarc: pd.DataFrame
    headline: list[TimeSlot]
    accounts: list[HourAccount]
    gaps: pd.DataFrame
    coverage: dict[tuple[str, str], pd.DataFrame]
    register: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    layers: dict[str, gpd.GeoDataFrame]
    scenario_tables: list[PackTable]
    scenario_name: str | None
    scenario: ScenarioSection | None
    need_section: NeedSection | None


def age_label(band: str | None) -> str:
    return "all ages" if band is None else band
