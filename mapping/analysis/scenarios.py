"""What-if scenarios: change opening hours, close services or add sites, then compare.

A scenario is a small TOML (or JSON) file, kept beside the analysis rather than in the
register, so the committed ``data/services.csv`` is never edited to ask "what if?"::

    name = "Preston SARC staffed out of hours"
    description = "optional"

    [[change]]
    kind = "hours"                  # hours | add | close
    service = "sarc-preston-safe-centre"
    opening_hours = "24/7"

    [[change]]
    kind = "add"
    name = "Hypothetical East Lancashire SARC"
    category = "sarc"
    postcode = "BB11 1JH"           # or lon = ..., lat = ...
    opening_hours = "24/7"
    # optional: min_age, max_age, crime_types = ["sexual_violence"], id

    [[change]]
    kind = "close"
    service = "sarc-manchester-saint-marys"

:func:`apply_scenario` turns it into :class:`mapping.analysis.coverage.RegisterChanges` and a
what-if view of a :class:`~mapping.Study` (the baseline study, its register and
the register file are never modified); :func:`compare` puts the baseline and the
scenario side by side per council area and time slot.

Added sites get a deterministic id derived from the change (``whatif-<slug>-<hash>``)
and are routed on the what-if view's own engine (:meth:`TravelEngine.with_sites`): the
base engine shared by every session is never changed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from shapely.geometry import Point

from mapping.analysis.scenario_check import (
    OUTSIDE_LANCASHIRE,
    Site,
    check_scenario,
    site_id,
    validate_scenario,
)
from mapping.analysis.summary import AreaLevel
from mapping.inputs.scenario_file import (
    CHANGE_KINDS,
    AddChange,
    Change,
    CloseChange,
    HoursChange,
    Scenario,
    load_scenario,
    parse_scenario,
    problems_error,
    save_scenario,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from mapping.analysis.coverage import CoverageModel, RegisterChanges
    from mapping.inputs.sources import Sources
    from mapping.inputs.when import TimeSlot

__all__ = [
    "CHANGE_KINDS",
    "AddChange",
    "Change",
    "CloseChange",
    "Comparison",
    "HoursChange",
    "Scenario",
    "ScenarioResult",
    "apply_scenario",
    "compare",
    "compare_gaps",
    "load_scenario",
    "parse_scenario",
    "residents_beyond",
    "save_scenario",
    "scenario_changes",
    "validate_scenario",
]


# ---- applying -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioResult:
    """A scenario applied to a study.

    Attributes
    ----------
    study
        The what-if view (``baseline.with_changes(changes)``), sharing the engine.
    scenario
        The scenario applied.
    changes
        The :class:`~mapping.analysis.coverage.RegisterChanges` it amounts to (merged with any
        changes the study already had).
    register
        The register as the scenario sees it (``study.effective_register()``).
    added_ids
        Ids of the sites the scenario added, in change order.
    """

    study: CoverageModel
    scenario: Scenario
    changes: RegisterChanges
    register: gpd.GeoDataFrame
    added_ids: tuple[str, ...] = ()


def _council_area_of(site: Site, data_dir: Path | None) -> str | None:
    """The Lancashire council area (LAD code) the site is in, or ``None``."""
    from mapping import geography

    areas = geography.load_council_areas(data_dir)
    point = Point(site.easting, site.northing)
    hits = areas[areas.geometry.covers(point)]
    return str(hits["lad_code"].iloc[0]) if len(hits) else None


def scenario_changes(
    study: CoverageModel, scenario: Scenario, *, sources: Path | Sources | None = None
) -> tuple[RegisterChanges, tuple[str, ...]]:
    """Validate ``scenario`` against ``study`` and return its ``RegisterChanges``.

    Added sites are put on the study's travel engine (reused when already there). The
    result is merged with any changes the study already carries.

    Raises
    ------
    ServiceMapError
        Listing every problem (``file:change N:field: message``).
    """
    from mapping.analysis.coverage import RegisterChanges
    from mapping.inputs.vocabulary import LANCASHIRE

    register = study.effective_register()
    problems, sites = check_scenario(
        scenario, register, sources, engine=study.engine, data_dir=study.data_dir
    )
    if problems:
        raise problems_error(scenario.source, problems)
    hours: dict[str, str] = {}
    closed: set[str] = set()
    added: list[dict[str, Any]] = []
    taken = set(register["id"].astype(str))
    for number, change in enumerate(scenario.changes, start=1):
        if change.kind == "hours":
            hours[change.service] = change.opening_hours
        elif change.kind == "close":
            closed.add(change.service)
        else:
            site = sites[number]
            district = _council_area_of(site, study.data_dir)
            provider_area = LANCASHIRE if district else OUTSIDE_LANCASHIRE
            sid = site_id(change, site)
            if sid in taken:
                raise problems_error(
                    scenario.source,
                    [f"{scenario.source}:change {number}:id: {sid!r} is already a service id"],
                )
            taken.add(sid)
            added.append(_added_record(sid, change, site, district, provider_area, scenario))
    base = study.changes
    changes = RegisterChanges(
        hours={**dict(base.hours), **hours},
        closed=frozenset(base.closed) | frozenset(closed),
        added=(*base.added, *added),
    )
    return changes, tuple(record["id"] for record in added)


def _added_record(
    sid: str,
    change: AddChange,
    site: Site,
    district: str | None,
    provider_area: str,
    scenario: Scenario,
) -> dict[str, Any]:
    """A register-like record for an added site (what the register would hold)."""
    return {
        "id": sid,
        "name": change.name,
        "provider": None,
        "category": change.category,
        "address": None,
        "postcode": site.postcode,
        "lat": site.lat,
        "lon": site.lon,
        "location_precision": site.precision,
        "district": district or OUTSIDE_LANCASHIRE,
        "areas_served": (provider_area,),
        "opening_hours": change.opening_hours,
        "hours_basis": f"what-if scenario: {scenario.name}",
        "min_age": change.min_age,
        "max_age": change.max_age,
        "sexes": ("all",),
        "crime_types": tuple(change.crime_types or ("all",)),
        "self_referral_min_age": None,
        "confidential": False,
        "source": f"what-if scenario: {scenario.name}",
        "verified_on": pd.NaT,
        "notes": scenario.description or None,
        "capacity_family_places": None,
        "provider_area": provider_area,
        "geometry": Point(site.easting, site.northing),
    }


def apply_scenario(
    study: CoverageModel, scenario: Scenario, *, sources: Path | Sources | None = None
) -> ScenarioResult:
    """Apply a scenario to a study without modifying it.

    Parameters
    ----------
    study
        A :class:`mapping.Study` (possibly itself a what-if view: its changes
        are kept and the scenario's added on top).
    scenario
        The scenario.
    sources
        Raw sources for the postcode look-up (found when omitted).

    Returns
    -------
    ScenarioResult
        ``.study`` is ``study.with_changes(...)``: the baseline study, its register
        frame and the register file stay exactly as they were.

    Raises
    ------
    ServiceMapError
        If the scenario has any problem; the message lists them all.
    """
    changes, added_ids = scenario_changes(study, scenario, sources=sources)
    view = study.with_changes(changes)
    return ScenarioResult(
        study=view,
        scenario=scenario,
        changes=changes,
        register=view.effective_register(),
        added_ids=added_ids,
    )


# ---- comparing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Baseline against scenario, per area and time slot.

    Attributes
    ----------
    by_area
        One row per area and slot, with a Lancashire ``TOTAL`` row per slot (see
        :func:`compare` for the columns).
    totals
        The ``TOTAL`` rows only, one per slot.
    result
        The applied scenario.
    threshold
        The minutes of the ``population_within_<threshold>`` columns.
    baseline
        The baseline study.
    """

    by_area: pd.DataFrame
    totals: pd.DataFrame
    result: ScenarioResult
    threshold: float
    baseline: CoverageModel

    @property
    def scenario(self) -> Scenario:
        """The scenario compared."""
        return self.result.scenario

    @functools.cached_property
    def gaps(self) -> pd.DataFrame:
        """Gap-rule rows the scenario resolves, creates or changes (``status``).

        Evaluated on first use: the gap register does not depend on the category or
        slots compared, and evaluating it twice costs more than the comparison itself.
        """
        return compare_gaps(self.baseline, self.result.study)


def compare(
    study: CoverageModel,
    scenario: Scenario,
    *,
    category: str | Sequence[str] | None = "sarc",
    slots: Iterable[str | TimeSlot] = ("weekday daytime", "weekend night"),
    by: AreaLevel = "district",
    threshold: float = 60,
    age_band: str | None = None,
    sources: Path | Sources | None = None,
    weight: str = "residents",
) -> Comparison:
    """Compare a study with the scenario applied to it, slot by slot.

    Parameters
    ----------
    study
        The baseline study.
    scenario
        The scenario to apply.
    category
        Service category (or categories) whose nearest open site is measured.
    slots
        Slot names or times of week (see :func:`mapping.analysis.coverage.resolve_slot`).
    by
        ``"district"`` (council area), ``"ward"`` or ``"lsoa"``.
    threshold
        Minutes for the "within" population columns.
    age_band
        Census age band of the eligible population (``None``: everybody).
    sources
        Raw sources for the postcode look-up (found when omitted).
    weight
        What the figures count: ``residents`` (default), ``women_16_plus`` or
        ``recorded_violence_sexual`` (see :meth:`CoverageModel.weights`).

    Returns
    -------
    Comparison
        ``by_area`` columns: ``area_code``, ``area_name``, ``slot``, ``slot_name``,
        ``weight``, ``weight_label``, ``population``, ``eligible_population``,
        ``baseline_mean_minutes``,
        ``scenario_mean_minutes``, ``minutes_saved`` (baseline minus scenario
        population-weighted mean: positive is faster), ``baseline_population_within_<t>``,
        ``scenario_population_within_<t>``, ``population_newly_within_<t>`` (the net
        change: negative when people lose access), ``baseline_/scenario_share_nearest_
        outside_lancashire``, ``baseline_/scenario_nearest_service``.

    Raises
    ------
    ServiceMapError
        If the scenario is invalid, or a slot, category or area level is unknown.
    """
    from mapping.analysis.summary import TOTAL_CODE

    study.weights(weight, age_band)  # a bad weight or age band fails before the work
    result = apply_scenario(study, scenario, sources=sources)
    t = f"{threshold:g}"
    frames = []
    for slot in slots:
        tables = {}
        for label, which in (("baseline", study), ("scenario", result.study)):
            table = which.coverage(
                category, slot, by, age_band=age_band, thresholds=(threshold,), weight=weight
            )
            tables[label] = table.set_index("area_code")
        base, scen = tables["baseline"], tables["scenario"]
        scen = scen.reindex(base.index)
        shared = ["area_name", "slot", "slot_name", "weight", "weight_label", "population"]
        out = base[[*shared, "eligible_population"]].copy()
        out["baseline_mean_minutes"] = base["mean_minutes"]
        out["scenario_mean_minutes"] = scen["mean_minutes"]
        out["minutes_saved"] = base["mean_minutes"] - scen["mean_minutes"]
        within = f"share_within_{t}"
        out[f"baseline_population_within_{t}"] = base["eligible_population"] * base[within]
        out[f"scenario_population_within_{t}"] = scen["eligible_population"] * scen[within]
        out[f"population_newly_within_{t}"] = (
            out[f"scenario_population_within_{t}"] - out[f"baseline_population_within_{t}"]
        )
        outside = "share_nearest_outside_lancashire"
        out[f"baseline_{outside}"] = base[outside]
        out[f"scenario_{outside}"] = scen[outside]
        out["baseline_nearest_service"] = base["nearest_service"]
        out["scenario_nearest_service"] = scen["nearest_service"]
        frames.append(out.reset_index())
    by_area = pd.concat(frames, ignore_index=True)
    totals = by_area[by_area["area_code"] == TOTAL_CODE].reset_index(drop=True)
    return Comparison(
        by_area=by_area,
        totals=totals,
        result=result,
        threshold=threshold,
        baseline=study,
    )


_GAP_STATUSES = ("resolved", "new", "changed")


def compare_gaps(baseline: CoverageModel, scenario_study: CoverageModel) -> pd.DataFrame:
    """Gap rows the scenario resolves, creates or changes, matched by ``gap_id``.

    ``changed``: the gap is in both registers but its severity or population affected
    differs. Columns: ``status``, ``gap_id`` and the descriptive columns the gap
    register has (``rule_id``, ``rule_title``, ``area_code``, ``area_name``), then
    ``severity``, ``population_affected`` and ``evidence`` as ``*_baseline`` and
    ``*_scenario``.
    """
    before = baseline.default_gaps()
    after = scenario_study.default_gaps()
    keys = [c for c in ("rule_id", "rule_title", "area_code", "area_name") if c in before]
    compared = [c for c in ("severity", "population_affected") if c in before]
    shown = [*compared, *(["evidence"] if "evidence" in before else [])]
    merged = pd.merge(
        before[["gap_id", *keys, *shown]],
        after[["gap_id", *keys, *shown]],
        on="gap_id",
        how="outer",
        suffixes=("_baseline", "_scenario"),
        indicator=True,
    )
    for key in keys:
        merged[key] = merged[f"{key}_baseline"].combine_first(merged[f"{key}_scenario"])
    merged["status"] = np.select(
        [merged["_merge"] == "left_only", merged["_merge"] == "right_only"],
        ["resolved", "new"],
        default="unchanged",
    )
    differs = pd.Series(False, index=merged.index)
    for value in compared:
        a, b = merged[f"{value}_baseline"], merged[f"{value}_scenario"]
        differs |= ~((a == b).fillna(False).astype(bool) | (a.isna() & b.isna()))
    merged.loc[(merged["_merge"] == "both") & differs, "status"] = "changed"
    out = merged[merged["status"] != "unchanged"]
    out = out.assign(_order=out["status"].map({s: i for i, s in enumerate(_GAP_STATUSES)}))
    out = out.sort_values(["_order", "gap_id"], kind="mergesort")
    columns = ["status", "gap_id", *keys]
    columns += [f"{v}_{w}" for v in shown for w in ("baseline", "scenario")]
    return out[columns].reset_index(drop=True)


def residents_beyond(table: pd.DataFrame, threshold: float) -> tuple[pd.Series, pd.Series]:
    """Whole eligible people beyond ``threshold`` minutes, before and after the scenario.

    From a :func:`compare` table (``by_area`` or ``totals``): the eligible population
    less those within the threshold, rounded to whole people before anything subtracts
    them, so a row's before, after and change always add up.

    Examples
    --------
    >>> table = pd.DataFrame({"eligible_population": [100.0],
    ...     "baseline_population_within_60": [90.4], "scenario_population_within_60": [99.6]})
    >>> [s.tolist() for s in residents_beyond(table, 60)]
    [[10], [0]]
    """
    t = f"{float(threshold):g}"
    eligible = table["eligible_population"]
    before = (eligible - table[f"baseline_population_within_{t}"]).round(0).astype("int64")
    after = (eligible - table[f"scenario_population_within_{t}"]).round(0).astype("int64")
    return before, after
