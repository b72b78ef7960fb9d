"""The need part of the export pack: the need layer, equity and capacity tables, report.

:func:`need_pack` computes, for a study with a need layer, the tables
(``need_lsoa``, ``equity_by_decile``, ``equity_by_quintile``, ``capacity``), the GIS layer
``need_lsoa`` (LSOAs with IMD 2025 decile, women 16+, recorded violence as a proxy and the
Community Safety Partnership) and the method notes (sources and caveats) the README
repeats. Without a need layer it returns nothing and a note saying why, so the rest of
the export still stands. :func:`need_report_section` gives the report's short "Need and
equity" section, escaped like the rest of the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from mapping import formats
from mapping.analysis.without_car import LIMITATION
from mapping.errors import ServiceMapError
from mapping.inputs.vocabulary import RECORDED_VIOLENCE_CAVEAT, RECORDED_VIOLENCE_WHERE, WEIGHTS
from mapping.inputs.when import TimeSlot
from mapping.outputs.pack import PackTable
from mapping.outputs.report import Table, _generic, _pct, report_table
from mapping.outputs.without_car_pack import WithoutCarPack, without_car_pack
from mapping.safety import neutralise_formula

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel
    from mapping.analysis.equity import TheilSplit

__all__ = ["LAYER_COLUMNS", "NeedPack", "NeedSection", "need_pack", "need_report_section"]

#: Columns of the ``need_lsoa`` GIS layer (with its geometry).
LAYER_COLUMNS: tuple[str, ...] = (
    "lsoa21_code",
    "lsoa21_name",
    "lad_code",
    "lad_name",
    "csp_code",
    "csp_name",
    "imd_score",
    "imd_rank",
    "imd_decile",
    "crime_decile",
    "residents",
    "women_16_plus",
    "recorded_violence_sexual",
    "recorded_violence_sexual_annualised",
    "households",
    "no_car_households",
    "rural_urban",
)

#: Minutes beyond which the equity tables count people (as the gap rules).
EQUITY_THRESHOLD = 60.0


@dataclass
class NeedPack:
    """What the need layer adds to an export."""

    tables: list[PackTable] = field(default_factory=list)
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    method: list[str] = field(default_factory=list)
    theil: list[tuple[str, TheilSplit | None]] = field(default_factory=list)
    equity: pd.DataFrame | None = None
    capacity: pd.DataFrame | None = None
    without_car: WithoutCarPack | None = None


def _need_layer(study: CoverageModel) -> gpd.GeoDataFrame:
    """The study's need layer (read once per study and shared by its views)."""
    return study.need()


def need_pack(study: CoverageModel, slots: list[TimeSlot], notes: list[str]) -> NeedPack:
    """Tables, the GIS layer and method notes for the need layer (empty without it).

    Parameters
    ----------
    study
        The study exported.
    slots
        Slots of the equity tables (the export's headline slots).
    notes
        The export's notes; a missing need layer adds one here.
    """
    from mapping.analysis.capacity import COUNTY_SCALE_NOTE
    from mapping.analysis.need_queries import capacity_for, equity_for

    try:
        need = _need_layer(study)
    except ServiceMapError as exc:
        notes.append(f"need, equity and capacity not exported: {exc}")
        return NeedPack()
    pack = NeedPack()
    table = pd.DataFrame(need.drop(columns=need.geometry.name))
    pack.tables.append(
        PackTable(
            "need_lsoa",
            "need_lsoa",
            "Need per LSOA: IMD 2025 and crime domain, residents, women 16+, police-recorded "
            "violence and sexual offences (a proxy for need), Community Safety Partnership",
            table,
        )
    )
    deciles, quintiles, rural = [], [], []
    for slot in slots:
        for weight in WEIGHTS:
            result = equity_for(study, need, "sarc", slot, minutes=EQUITY_THRESHOLD, weight=weight)
            deciles.append(result.by_decile)
            quintiles.append(result.by_quintile)
            if result.by_rural_urban is not None:
                rural.append(result.by_rural_urban)
            if weight == "residents":
                pack.theil.append((f"{slot.name} ({slot.at})", result.theil))
    pack.equity = pd.concat(deciles, ignore_index=True)
    for name, frames, what in (
        ("equity_by_decile", deciles, "IMD 2025 decile (1 = most deprived tenth in England)"),
        ("equity_by_quintile", quintiles, "IMD 2025 quintile (1 = deciles 1-2)"),
        ("equity_by_rural_urban", rural, "rural/urban class of the LSOA (ONS RUC 2021)"),
    ):
        if not frames:
            continue
        pack.tables.append(
            PackTable(
                name,
                name,
                f"Drive minutes to the nearest open SARC by {what}, per headline "
                f"slot and weight; share beyond {EQUITY_THRESHOLD:g} minutes",
                pd.concat(frames, ignore_index=True),
            )
        )
    try:
        pack.capacity = capacity_for(study, need)
    except ServiceMapError as exc:
        notes.append(f"capacity not exported: {exc}")
    else:
        pack.tables.append(
            PackTable(
                "capacity",
                "capacity",
                "Capacity against published benchmarks per council area, CSP and Lancashire, "
                "each with its source and wording; unknown capacity is never estimated",
                pack.capacity,
            )
        )
    pack.without_car = without_car_pack(study, slots, notes)
    pack.tables.extend(pack.without_car.tables)
    layer = need[[*LAYER_COLUMNS, need.geometry.name]].copy()
    pack.layers["need_lsoa"] = gpd.GeoDataFrame(layer, geometry=need.geometry.name, crs=need.crs)
    pack.method = [
        "Need layer: English Indices of Deprivation 2025 (MHCLG) by LSOA 2021, decile 1 = "
        "most deprived tenth in England; women aged 16+ from ONS mid-2024 population "
        "estimates; police-recorded 'Violence and sexual offences' from data.police.uk; "
        "Community Safety Partnerships from the ONS council area to CSP lookup.",
        f"Recorded violence (weight recorded_violence_sexual): {RECORDED_VIOLENCE_CAVEAT}",
        "Weights: residents (Census 2021), women_16_plus, recorded_violence_sexual "
        f"({RECORDED_VIOLENCE_WHERE}) or "
        "crime_deprived_residents (residents of LSOAs in IoD 2025 crime-domain deciles "
        "1-2: where victims live), each spread over an LSOA's origins in the same shares "
        "as its residents; no_car_households (Census 2021 TS045) likewise. Rural/urban: "
        "ONS 2021 Rural Urban Classification.",
        *pack.without_car.method,
        "Equity: weighted mean and 90th-percentile minutes and the share beyond the "
        "threshold by IMD decile and quintile; Theil's T of LSOA mean minutes split "
        "between and within deciles (PySAL inequality).",
        "Capacity: benchmark units from data/benchmarks.toml (each with its source, "
        "wording, what it counts, its scope and, where published, its range) against the "
        "register, as a state in words: a known number with its source, covered by a "
        "service based elsewhere (named), or unknown (saying which figure is missing); "
        "'unknown' is never estimated or 0. Centres count only records of the kind; "
        "records the tool cannot classify are listed. " + COUNTY_SCALE_NOTE,
    ]
    return pack


@dataclass(frozen=True)
class NeedSection:
    """The report's "Need and equity" section as text and tables (the template's
    ``need_section`` macro lays it out and escapes it)."""

    equity: Table
    equity_threshold: float
    theil: tuple[str, ...]
    capacity: Table | None
    without_car: tuple[str, ...]
    without_car_limitation: str
    caveat: str


def need_report_section(pack: NeedPack | None) -> NeedSection | None:
    """The report's "Need and equity" section (``None`` without a need layer)."""
    if pack is None or pack.equity is None:
        return None
    residents = pack.equity[pack.equity["weight"] == "residents"]
    equity_table = report_table(
        residents,
        [
            ("slot", "Slot", _generic),
            ("imd_decile", "IMD decile (1 = most deprived)", _generic),
            ("population", "Residents", formats.people),
            ("mean_minutes", "Mean minutes", formats.minutes),
            ("p90_minutes", "90th percentile minutes", formats.minutes),
            ("share_beyond_threshold", f"Beyond {EQUITY_THRESHOLD:g} minutes", _pct),
        ],
    )
    theil = tuple(
        f"{neutralise_formula(slot)}: {neutralise_formula(split.meaning)}"
        for slot, split in pack.theil
        if split is not None
    )
    capacity_table = None
    if pack.capacity is not None:
        rows = pack.capacity[pack.capacity["area_level"] == "police_force_area"]
        capacity_table = report_table(
            rows,
            [
                ("service_type", "Service", _generic),
                ("benchmark_units", "Benchmark units", formats.number),
                ("benchmark_range", "Range", _generic),
                ("capacity", "Known capacity", _generic),
                ("counts", "Counts", _generic),
                ("scope", "Scope", _generic),
                ("benchmark", "Benchmark", _generic),
                ("source", "Source", _generic),
            ],
        )
    walk = pack.without_car
    return NeedSection(
        equity=equity_table,
        equity_threshold=EQUITY_THRESHOLD,
        theil=theil,
        capacity=capacity_table,
        without_car=tuple(walk.sentences) if walk is not None else (),
        without_car_limitation=LIMITATION,
        caveat=RECORDED_VIOLENCE_CAVEAT,
    )
