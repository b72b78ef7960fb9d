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
what-if view of a :class:`~mapping.analysis.coverage.Study` (the baseline study, its register and
the register file are never modified); :func:`compare` puts the baseline and the
scenario side by side per council area and time slot.

Added sites get a deterministic id derived from the change (``whatif-<slug>-<hash>``)
and are routed on the what-if view's own engine (:meth:`TravelEngine.with_sites`): the
base engine shared by every session is never changed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from shapely.geometry import Point

from mapping.errors import ServiceMapError
from mapping.inputs.scenario_file import (
    ALLOWED_FIELDS,
    CHANGE_KINDS,
    ID_PATTERN,
    MAX_AGE,
    REQUIRED_FIELDS,
    Change,
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
    from mapping.routing.engine import TravelEngine

__all__ = [
    "CHANGE_KINDS",
    "Change",
    "Comparison",
    "Scenario",
    "ScenarioResult",
    "apply_scenario",
    "compare",
    "load_scenario",
    "parse_scenario",
    "save_scenario",
    "scenario_changes",
    "validate_scenario",
]

#: ``provider_area`` / ``district`` of an added site outside Lancashire's council areas.
OUTSIDE_LANCASHIRE = "Outside Lancashire"


# ---- the model ------------------------------------------------------------------------


# ---- reading and writing --------------------------------------------------------------


# ---- validation -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Site:
    """Where an added site is, once its postcode or lon/lat is resolved."""

    easting: float
    northing: float
    lon: float
    lat: float
    postcode: str | None
    precision: str


def _resolve_postcodes(
    postcodes: Iterable[str], sources: Path | Sources | None, data_dir: Path | None
) -> tuple[dict[str, tuple[float, float]], str]:
    """``{postcode: (easting, northing)}`` and a phrase naming what was searched.

    Code-Point Open in the raw sources is authoritative; a deployed app may carry only
    the built study-area postcode index (itself made from Code-Point), used as fallback.
    The phrase completes "<postcode> is not in ..." or "<postcode> cannot be checked".
    """
    from mapping.inputs.postcodes import lookup_postcodes
    from mapping.inputs.sources import Sources, locate_sources

    wanted = sorted(set(postcodes))
    searched = "OS Code-Point Open"
    if not wanted:
        return {}, searched
    try:
        located = sources if isinstance(sources, Sources) else locate_sources(sources)
        table = lookup_postcodes(wanted, located)
        return {
            str(pc): (float(row.easting), float(row.northing)) for pc, row in table.iterrows()
        }, searched
    except ServiceMapError as exc:
        reason = str(exc)
    try:
        from mapping import geography

        index = geography.load_postcodes(data_dir)
    except (ServiceMapError, OSError) as exc:
        return {}, f"cannot be checked: no Code-Point Open ({reason}) and no postcode index ({exc})"
    index = index[index["postcode"].isin(wanted)]
    found = {
        str(r.postcode): (float(r.easting), float(r.northing))
        for r in index.itertuples(index=False)
    }
    return found, "the study-area postcode index (OS Code-Point Open itself was not found)"


def _check(
    scenario: Scenario,
    register: pd.DataFrame,
    sources: Path | Sources | None = None,
    *,
    engine: TravelEngine | None = None,
    data_dir: Path | None = None,
) -> tuple[list[str], dict[int, _Site]]:
    """Every problem of the scenario, and the resolved location of each added site."""
    from mapping.inputs import hours
    from mapping.inputs.postcodes import normalise_postcode
    from mapping.inputs.vocabulary import CATEGORIES, CRIME_TYPES
    from mapping.study_area import STUDY_AREA_LONLAT, to_27700, to_lonlat

    src = scenario.source
    problems: list[str] = []
    if not scenario.name:
        problems.append(f'{src}:name: a scenario needs a name (name = "...")')
    if not scenario.changes:
        problems.append(f"{src}:change: no changes: add at least one [[change]] table")
    known_ids = set(register["id"].astype(str))
    hours_seen: dict[str, int] = {}
    closed_seen: dict[str, int] = {}
    add_ids: dict[str, int] = {}
    sites: dict[int, _Site] = {}
    pending_postcodes: dict[int, str] = {}
    for number, change in enumerate(scenario.changes, start=1):
        where = f"{src}:change {number}"

        def bad(field_name: str, message: str, where: str = where) -> None:
            problems.append(f"{where}:{field_name}: {message}")

        kind = change.kind
        if kind is None:
            bad("kind", f"kind is required: one of {', '.join(CHANGE_KINDS)}")
            continue
        if kind not in CHANGE_KINDS:
            bad("kind", f"unknown kind {kind!r}: use one of {', '.join(CHANGE_KINDS)}")
            continue
        given = change.model_dump(exclude_none=True)
        for field_name in given:
            if field_name != "kind" and field_name not in ALLOWED_FIELDS[kind]:
                bad(field_name, f"not used when kind = {kind!r}; remove it")
        for field_name in REQUIRED_FIELDS[kind]:
            if field_name not in given:
                bad(field_name, f"required when kind = {kind!r}")
        if change.opening_hours is not None and kind != "close":
            message = hours.validate_hours(change.opening_hours)
            if message:
                bad("opening_hours", message)
        if kind in ("hours", "close") and change.service is not None:
            sid = change.service
            if sid not in known_ids:
                bad("service", f"unknown service id {sid!r}: not in the register")
            seen = hours_seen if kind == "hours" else closed_seen
            if sid in seen:
                bad("service", f"{sid!r} is already {_verb(kind)} by change {seen[sid]}")
            else:
                seen[sid] = number
            other = closed_seen if kind == "hours" else hours_seen
            if sid in other:
                bad("service", f"{sid!r} is both given new hours and closed (change {other[sid]})")
        if kind != "add":
            continue
        if change.category is not None and change.category not in CATEGORIES:
            bad(
                "category",
                f"unknown category {change.category!r}: use one of " + ", ".join(CATEGORIES),
            )
        if change.id is not None:
            if not ID_PATTERN.match(change.id):
                bad("id", f"{change.id!r}: use lower-case letters, digits and hyphens")
            elif change.id in known_ids:
                bad("id", f"{change.id!r} is already a service in the register")
            elif change.id in add_ids:
                bad("id", f"{change.id!r} is already used by change {add_ids[change.id]}")
            else:
                add_ids[change.id] = number
        for field_name in ("min_age", "max_age"):
            value = getattr(change, field_name)
            if value is not None and not 0 <= value <= MAX_AGE:
                bad(field_name, f"{value} is not an age between 0 and {MAX_AGE}")
        if (
            change.min_age is not None
            and change.max_age is not None
            and change.min_age > change.max_age
        ):
            bad("max_age", f"max_age {change.max_age} is below min_age {change.min_age}")
        if change.crime_types is not None:
            unknown = [c for c in change.crime_types if c not in CRIME_TYPES]
            if unknown:
                bad("crime_types", f"unknown {unknown}: use " + ", ".join(CRIME_TYPES))
            elif not change.crime_types:
                bad("crime_types", "empty: leave it out for all crime types")
            elif "all" in change.crime_types and len(change.crime_types) > 1:
                bad("crime_types", "'all' stands alone")
        has_point = change.lon is not None or change.lat is not None
        if change.postcode is not None and has_point:
            bad("postcode", "give a postcode or lon/lat, not both")
            continue
        if change.postcode is None and not has_point:
            bad("postcode", "no location: give a postcode, or lon and lat")
            continue
        if change.postcode is not None:
            try:
                pending_postcodes[number] = normalise_postcode(change.postcode)
            except ValueError as exc:
                bad("postcode", str(exc))
            continue
        if change.lon is None or change.lat is None:
            bad("lat" if change.lat is None else "lon", "give both lon and lat")
            continue
        if not (math.isfinite(change.lon) and -180 <= change.lon <= 180):
            bad("lon", f"{change.lon} is not a longitude")
            continue
        if not (math.isfinite(change.lat) and -90 <= change.lat <= 90):
            bad("lat", f"{change.lat} is not a latitude")
            continue
        easting, northing = (float(v) for v in to_27700(change.lon, change.lat))
        # Whole metres: ample for a site, and the same site always gets the same id.
        easting, northing = round(easting), round(northing)
        sites[number] = _Site(easting, northing, change.lon, change.lat, None, "street")

    found, searched = _resolve_postcodes(pending_postcodes.values(), sources, data_dir)
    for number, postcode in pending_postcodes.items():
        where = f"{src}:change {number}"
        if postcode not in found:
            why = searched if searched.startswith("cannot") else f"is not in {searched}"
            problems.append(f"{where}:postcode: {postcode} {why}")
            continue
        easting, northing = found[postcode]
        lon, lat = (float(v) for v in to_lonlat(easting, northing))
        sites[number] = _Site(easting, northing, round(lon, 6), round(lat, 6), postcode, "postcode")

    min_lon, min_lat, max_lon, max_lat = STUDY_AREA_LONLAT
    for number, site in list(sites.items()):
        where = f"{src}:change {number}"
        field_name = "postcode" if site.postcode else "lon"
        label = site.postcode or f"({site.lon:g}, {site.lat:g})"
        if not (min_lon <= site.lon <= max_lon and min_lat <= site.lat <= max_lat):
            problems.append(
                f"{where}:{field_name}: {label} is outside the study area (lon {min_lon:g} to "
                f"{max_lon:g}, lat {min_lat:g} to {max_lat:g})"
            )
            del sites[number]
            continue
        if engine is not None:
            off = _site_off_network(engine, site)
            if off:
                problems.append(f"{where}:{field_name}: {label} is {off}")
                del sites[number]
    derived: dict[str, int] = {}
    for number, site in sites.items():
        change = scenario.changes[number - 1]
        sid = _site_id(change, site)
        if change.id is None and sid in derived:
            problems.append(
                f"{src}:change {number}:name: the same site as change {derived[sid]}; "
                "give it another name or an id"
            )
        derived.setdefault(sid, number)
    problems.sort(key=_problem_order)
    return problems, sites


def _verb(kind: str) -> str:
    return "given new hours" if kind == "hours" else "closed"


def _problem_order(line: str) -> int:
    # Whole-scenario problems first, then by change (postcodes are checked in one batch).
    match = re.search(r":change (\d+):", line)
    return int(match.group(1)) if match else 0


def _site_off_network(engine: TravelEngine, site: _Site) -> str | None:
    """Why the travel engine cannot route to the site, or ``None`` if it can."""
    from mapping.network.snap import snap

    limit = float(engine.max_snap_m)
    result = snap(engine.network, np.array([[site.easting, site.northing]]), limit)
    if bool(np.asarray(result.ok)[0]):
        return None
    distance = float(np.asarray(result.distance_m)[0])
    if math.isfinite(distance):
        how_far = f"{distance / 1000:.1f} km from the nearest road"
    else:
        how_far = f"more than {limit / 1000:g} km from any road"
    return f"off the road network ({how_far}; limit {limit / 1000:g} km)"


def validate_scenario(
    scenario: Scenario,
    register: pd.DataFrame,
    sources: Path | Sources | None = None,
    *,
    engine: TravelEngine | None = None,
    data_dir: Path | None = None,
) -> list[str]:
    """Return every problem of a scenario as ``file:change N:field: message``.

    Parameters
    ----------
    scenario
        The scenario (its ``source`` names the file in the messages).
    register
        The register it applies to (its ``id`` column is what ``service`` must name).
    sources
        Raw sources folder or located :class:`mapping.inputs.sources.Sources` for the postcode
        look-up in OS Code-Point Open (found when omitted; the built postcode index is
        the fallback when there are no raw sources).
    engine
        The travel engine: when given, added sites must be on its road network.
    data_dir
        Generated-data folder (for the fallback postcode index).

    Returns
    -------
    list of str
        Empty when the scenario can be applied; ``N`` counts changes from 1.
    """
    return _check(scenario, register, sources, engine=engine, data_dir=data_dir)[0]


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


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:40].strip("-") or "site"


def _site_id(change: Change, site: _Site) -> str:
    """A deterministic id: the same site, hours and eligibility always get the same one."""
    if change.id:
        return change.id
    key = json.dumps(
        [
            change.name,
            change.category,
            round(site.easting),
            round(site.northing),
            change.opening_hours,
            change.min_age,
            change.max_age,
            list(change.crime_types or ("all",)),
        ]
    )
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    return f"whatif-{_slug(change.name or '')}-{digest}"


def _council_area_of(site: _Site, data_dir: Path | None) -> str | None:
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
    problems, sites = _check(
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
            hours[str(change.service)] = str(change.opening_hours)
        elif change.kind == "close":
            closed.add(str(change.service))
        else:
            site = sites[number]
            district = _council_area_of(site, study.data_dir)
            provider_area = LANCASHIRE if district else OUTSIDE_LANCASHIRE
            sid = _site_id(change, site)
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
    change: Change,
    site: _Site,
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
        A :class:`mapping.analysis.coverage.Study` (possibly itself a what-if view: its changes
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
        return _compare_gaps(self.baseline, self.result.study)


def compare(
    study: CoverageModel,
    scenario: Scenario,
    *,
    category: str | Sequence[str] | None = "sarc",
    slots: Iterable[str | TimeSlot] = ("weekday daytime", "weekend night"),
    by: str = "district",
    threshold: float = 60,
    age_band: str | None = None,
    sources: Path | Sources | None = None,
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

    Returns
    -------
    Comparison
        ``by_area`` columns: ``area_code``, ``area_name``, ``slot``, ``slot_name``,
        ``population``, ``eligible_population``, ``baseline_mean_minutes``,
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

    result = apply_scenario(study, scenario, sources=sources)
    t = f"{threshold:g}"
    frames = []
    for slot in slots:
        tables = {}
        for label, which in (("baseline", study), ("scenario", result.study)):
            table = which.coverage(category, slot, by, age_band=age_band, thresholds=(threshold,))
            tables[label] = table.set_index("area_code")
        base, scen = tables["baseline"], tables["scenario"]
        scen = scen.reindex(base.index)
        out = base[["area_name", "slot", "slot_name", "population", "eligible_population"]].copy()
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


def _compare_gaps(baseline: CoverageModel, scenario_study: CoverageModel) -> pd.DataFrame:
    """Gap rows the scenario resolves, creates or changes, matched by ``gap_id``.

    ``changed``: the gap is in both registers but its severity or population affected
    differs. Columns: ``status``, ``gap_id`` and the descriptive columns the gap
    register has (``rule_id``, ``rule_title``, ``area_code``, ``area_name``), then
    ``severity``, ``population_affected`` and ``evidence`` as ``*_baseline`` and
    ``*_scenario``.
    """
    from mapping.analysis.gaps import evaluate

    before = evaluate(baseline)
    after = evaluate(scenario_study)
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
