"""Need questions asked of a coverage model: equity, capacity and capacity-aware access.

These join a :class:`~mapping.analysis.coverage.CoverageModel` (its origins, register and
engine) to the need layer (:func:`mapping.geography.need.load_need`) and call the kernels
of :mod:`mapping.analysis.equity` and :mod:`mapping.analysis.capacity`.
:class:`mapping.Study` exposes them as ``equity``, ``capacity`` and ``access``; the export
pack calls them too (it sits below the façade and so takes a coverage model).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mapping.analysis.capacity import (
    FcaResult,
    capacity_table,
    county_access,
    denominator_label,
    floating_catchment,
    lsoa_travel_costs,
    record_capacity,
)
from mapping.analysis.equity import EquityResult, decile_to_quintile, equity
from mapping.errors import ServiceMapError
from mapping.geography.need import origin_values
from mapping.inputs.benchmarks import load_benchmarks
from mapping.inputs.hours import parse_when
from mapping.inputs.vocabulary import WEIGHTS, weight_column
from mapping.inputs.when import TimeSlot, resolve_slot
from mapping.network.profiles import profile_for

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel

__all__ = [
    "ACCESS_CATEGORIES",
    "DEFAULT_CATCHMENT_MINUTES",
    "access_for",
    "capacity_for",
    "equity_for",
]

#: Categories whose capacity the register can give, and in which unit of
#: :data:`~mapping.inputs.vocabulary.CAPACITY_UNITS`: refuge by family places, IDVA by
#: advocate FTE (``capacity_value`` in that unit, or the original columns).
ACCESS_CATEGORIES: dict[str, str] = {
    "refuge": "family places",
    "idva": "FTE advocates",
}

#: Default catchment for the local 2SFCA: the 60 minutes the gap rules and equity use
#: (an analysis choice: there is no published catchment for advocacy services).
DEFAULT_CATCHMENT_MINUTES = 60.0


def equity_for(
    model: CoverageModel,
    need: pd.DataFrame,
    category: str | Sequence[str] | None,
    at: str | TimeSlot | None,
    *,
    minutes: float | None = None,
    weight: str = "residents",
    age_band: str | None = None,
    mode: str = "drive",
) -> EquityResult:
    """Minutes to the nearest open ``category`` by IMD 2025 decile, quintile and rurality.

    The tables gain ``category``, ``slot``, ``slot_name`` and ``weight_label`` columns
    (and ``mode`` when walking); see :func:`mapping.analysis.equity.equity` for the
    rest. ``by_rural_urban`` groups by the ONS 2021 rural/urban class of each LSOA.
    By car, for one category at one time, the decile, quintile and rural/urban tables
    end with ``share_beyond_threshold_low`` / ``_high``: one
    :meth:`~mapping.analysis.coverage.CoverageModel.beyond_range` grouped each way.
    ``minutes`` defaults to 60 by car and 30 on foot (``mode="walk"``).
    """
    if minutes is None:
        from mapping.analysis.coverage import default_threshold

        minutes = default_threshold(mode)
    if not minutes > 0:
        raise ServiceMapError(f"the threshold must be positive minutes, got {minutes!r}")
    slot = resolve_slot(at) if at is not None else None
    # One row per origin and age group: children against the services that see them.
    frame = model.origin_minutes(category, slot, age_band=age_band, weight=weight, mode=mode)
    repeat = len(frame) // len(model.origins)
    deciles = origin_values(model.origins, need, "imd_decile").to_numpy()
    classes = None
    if "rural_urban" in need:
        classes = origin_values(model.origins, need, "rural_urban").to_numpy(dtype=object)
    result = equity(
        frame["minutes"].to_numpy(float),
        frame["eligible_population"].to_numpy(float),
        np.tile(deciles, repeat),
        threshold=minutes,
        lsoa=frame["lsoa21_code"].to_numpy(),
        weight=weight,
        rural_urban=None if classes is None else np.tile(classes, repeat),
    )
    name = category if isinstance(category, str) or category is None else "+".join(category)
    labels = {
        "category": name or "any",
        "slot": slot.at if slot else "any time",
        "slot_name": slot.name if slot else "opening hours ignored",
    }

    def label(table: pd.DataFrame) -> pd.DataFrame:
        table = table.copy()
        for position, (column, value) in enumerate(labels.items(), start=1):
            table.insert(position, column, value)
        table.insert(table.columns.get_loc("weight") + 1, "weight_label", WEIGHTS[weight])
        if mode == "walk":
            table["mode"] = mode
        return table

    by_class = result.by_rural_urban
    theil = result.theil
    if theil is not None and mode == "walk":
        walked = theil.meaning.replace("drive minutes", "walking minutes")
        theil = dataclasses.replace(theil, meaning=walked)
    by_decile, by_quintile = label(result.by_decile), label(result.by_quintile)
    by_rural_urban = None if by_class is None else label(by_class)
    if mode == "drive" and isinstance(category, str) and slot is not None:
        # Low and high share beyond the threshold per decile, quintile and rural/urban
        # class (docs/ranges.md): one range, grouped three ways.
        spread = model.beyond_range(
            category, slot, threshold=minutes, weight=weight, age_band=age_band
        )
        for table, key, groups in (
            (by_decile, "imd_decile", deciles),
            (by_quintile, "imd_quintile", decile_to_quintile(deciles)),
            (by_rural_urban, "rural_urban", classes),
        ):
            if table is None or groups is None or key not in table.columns:
                continue
            bounds = spread.by_group(groups)
            population = table["population"].where(table["population"] > 0)
            for end in ("low", "high"):
                people = table[key].map(bounds[f"people_beyond_{end}"]).astype(float)
                table[f"share_beyond_threshold_{end}"] = (people / population).to_numpy()
    return dataclasses.replace(
        result,
        theil=theil,
        by_decile=by_decile,
        by_quintile=by_quintile,
        by_rural_urban=by_rural_urban,
    )


def capacity_for(
    model: CoverageModel,
    need: pd.DataFrame,
    *,
    denominators: Mapping[str, str] | None = None,
    benchmarks: Path | str | None = None,
) -> pd.DataFrame:
    """Benchmark units against known units per council area, CSP and Lancashire.

    :func:`mapping.analysis.capacity.capacity_table` on the model's effective register
    (what-if records left out), with a ``denominator_label`` column saying what each
    benchmark's denominator counts.
    """
    table = capacity_table(
        model.effective_register(),
        need,
        load_benchmarks(Path(benchmarks) if benchmarks is not None else None),
        denominators=denominators,
    )
    position = table.columns.get_loc("denominator") + 1
    table.insert(position, "denominator_label", table["denominator"].map(denominator_label))
    return table


def _demand(need: pd.DataFrame, weight: str) -> pd.DataFrame:
    if weight not in WEIGHTS:
        raise ServiceMapError(f"unknown weight {weight!r}: use one of {', '.join(WEIGHTS)}")
    return pd.DataFrame(
        {
            "lsoa21_code": need["lsoa21_code"].astype(str).to_numpy(),
            "demand": need[weight_column(weight)].astype(float).to_numpy(),
        }
    )


def access_for(
    model: CoverageModel,
    need: pd.DataFrame,
    category: str,
    *,
    weight: str = "residents",
    catchment_minutes: float = DEFAULT_CATCHMENT_MINUTES,
    at: str | TimeSlot = "weekday daytime",
) -> FcaResult:
    """Capacity-aware access per LSOA (2SFCA and E2SFCA) for a category with capacity.

    Parameters
    ----------
    category
        ``idva`` (advocate FTE, local catchments) or ``refuge`` (family places, at county
        scale: refuge demand is regional; the result's ``note`` says so).
    weight
        The demand: ``residents``, ``women_16_plus`` or ``recorded_violence_sexual`` per
        LSOA.
    catchment_minutes
        Sites within this drive of an LSOA are in its catchment (not used for refuge).
    at
        Picks the speed profile of the drive minutes (capacity is taken as available at
        any hour).

    Returns
    -------
    FcaResult
        Its table gains ``lsoa21_name``, ``lad_code``, ``lad_name``, ``category``,
        ``weight`` and ``weight_label`` (the demand).
    """
    if category not in ACCESS_CATEGORIES:
        raise ServiceMapError(
            f"capacity-aware access needs known capacity: use {' or '.join(ACCESS_CATEGORIES)}"
        )
    if not catchment_minutes > 0:
        raise ServiceMapError(f"the catchment must be positive minutes, got {catchment_minutes!r}")
    demand = _demand(need, weight)
    register = model.effective_register()
    records = register[register["category"] == category].copy()
    values, _ = record_capacity(records, ACCESS_CATEGORIES[category])
    supply = pd.DataFrame(
        {
            "site_id": records["id"].astype(str).to_numpy(),
            "site_name": records["name"].astype(str).to_numpy(),
            "capacity": np.asarray(values, float),
        }
    )
    if category == "refuge":
        result = county_access(demand, supply)
    else:
        routable = set(model.engine.service_ids)
        off_network = supply[~supply["site_id"].isin(routable)]
        supply = supply[supply["site_id"].isin(routable)]
        slot = resolve_slot(at)
        matrix = (
            model.engine.minutes_to(list(supply["site_id"]), profile_for(parse_when(slot.at)))
            if len(supply)
            else np.zeros((0, len(model.origins)))
        )
        costs = lsoa_travel_costs(model.origins, matrix, list(supply["site_id"]))
        result = floating_catchment(demand, supply, costs, catchment_minutes=catchment_minutes)
        if len(off_network):
            extra = (
                f"{len(off_network)} record(s) with no site to drive to (county-wide or "
                "confidential) are left out."
            )
            if not result.capacity_known and off_network["capacity"].notna().any():
                extra += " Their capacity is known but cannot be placed in a catchment."
            note = " ".join(part for part in (result.note, extra) if part)
            why = tuple(
                (str(site), "no site to drive to (county-wide or confidential)")
                for site in off_network["site_id"]
            )
            result = dataclasses.replace(result, note=note, left_out=result.left_out + why)
    unique = need.drop_duplicates("lsoa21_code")
    names = unique.set_index(unique["lsoa21_code"].astype(str))
    table = result.table.copy()
    for column in ("lad_name", "lad_code", "lsoa21_name"):
        table.insert(1, column, table["lsoa21_code"].map(names[column]))
    table.insert(1, "category", category)
    table.insert(2, "weight", weight)
    table.insert(3, "weight_label", WEIGHTS[weight])
    return dataclasses.replace(result, table=table)
