"""Check a scenario against the study: services exist, sites resolve and reach the network."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mapping.errors import ServiceMapError
from mapping.inputs.scenario_file import (
    ID_PATTERN,
    MAX_AGE,
    AddChange,
    CloseChange,
    HoursChange,
    Scenario,
)

if TYPE_CHECKING:
    from mapping.inputs.sources import Sources
    from mapping.routing.engine import TravelEngine


#: ``provider_area`` / ``district`` of an added site outside Lancashire's council areas.
OUTSIDE_LANCASHIRE = "Outside Lancashire"


@dataclass(frozen=True)
class Site:
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


#: A problem reporter for one change: ``bad(field, message)``.
_Bad = Callable[[str, str], None]


@dataclass
class _Seen:
    """What earlier changes of the scenario did: change numbers by service or id."""

    hours: dict[str, int] = field(default_factory=dict)
    closed: dict[str, int] = field(default_factory=dict)
    add_ids: dict[str, int] = field(default_factory=dict)


def check_scenario(
    scenario: Scenario,
    register: pd.DataFrame,
    sources: Path | Sources | None = None,
    *,
    engine: TravelEngine | None = None,
    data_dir: Path | None = None,
) -> tuple[list[str], dict[int, Site]]:
    """Every problem of the scenario, and the resolved location of each added site."""
    from mapping.inputs import hours

    src = scenario.source
    problems: list[str] = []
    if not scenario.name:
        problems.append(f'{src}:name: a scenario needs a name (name = "...")')
    if not scenario.changes:
        problems.append(f"{src}:change: no changes: add at least one [[change]] table")
    known_ids = set(register["id"].astype(str))
    seen = _Seen()
    sites: dict[int, Site] = {}
    pending_postcodes: dict[int, str] = {}
    for number, change in enumerate(scenario.changes, start=1):
        where = f"{src}:change {number}"

        def bad(field_name: str, message: str, where: str = where) -> None:
            problems.append(f"{where}:{field_name}: {message}")

        # The kind's model already holds exactly the fields it needs (see scenario_file).
        if isinstance(change, HoursChange | AddChange):
            message = hours.validate_hours(change.opening_hours)
            if message:
                bad("opening_hours", message)
        if isinstance(change, HoursChange | CloseChange):
            _check_service_change(change, number, known_ids, seen, bad)
        if not isinstance(change, AddChange):
            continue
        _check_added(change, number, known_ids, seen, bad)
        located = _added_location(change, bad)
        if isinstance(located, Site):
            sites[number] = located
        elif located is not None:
            pending_postcodes[number] = located
    sites.update(_postcode_sites(pending_postcodes, src, sources, data_dir, problems))
    sites = _sites_in_reach(sites, src, engine, problems)
    derived: dict[str, int] = {}
    for number, site in sites.items():
        added = scenario.changes[number - 1]
        assert isinstance(added, AddChange)  # only added sites have a location
        sid = site_id(added, site)
        if added.id is None and sid in derived:
            problems.append(
                f"{src}:change {number}:name: the same site as change {derived[sid]}; "
                "give it another name or an id"
            )
        derived.setdefault(sid, number)
    problems.sort(key=_problem_order)
    return problems, sites


def _check_service_change(
    change: HoursChange | CloseChange, number: int, known_ids: set[str], seen: _Seen, bad: _Bad
) -> None:
    """A change of a register service: it exists, and no other change touched it."""
    kind, sid = change.kind, change.service
    if sid not in known_ids:
        bad("service", f"unknown service id {sid!r}: not in the register")
    same = seen.hours if kind == "hours" else seen.closed
    if sid in same:
        bad("service", f"{sid!r} is already {_verb(kind)} by change {same[sid]}")
    else:
        same[sid] = number
    other = seen.closed if kind == "hours" else seen.hours
    if sid in other:
        bad("service", f"{sid!r} is both given new hours and closed (change {other[sid]})")


def _check_added(
    change: AddChange, number: int, known_ids: set[str], seen: _Seen, bad: _Bad
) -> None:
    """An added service's category, id, ages and crime types."""
    from mapping.inputs.vocabulary import CATEGORIES, CONFIDENTIAL_CATEGORIES, CRIME_TYPES

    if change.category not in CATEGORIES:
        bad(
            "category",
            f"unknown category {change.category!r}: use one of " + ", ".join(CATEGORIES),
        )
    elif change.category in CONFIDENTIAL_CATEGORIES:
        bad(
            "category",
            f"a {change.category} is confidential: a what-if cannot place one at a point "
            "(refuges and safe houses exist only at council-area level)",
        )
    if change.id is not None:
        if not ID_PATTERN.match(change.id):
            bad("id", f"{change.id!r}: use lower-case letters, digits and hyphens")
        elif change.id in known_ids:
            bad("id", f"{change.id!r} is already a service in the register")
        elif change.id in seen.add_ids:
            bad("id", f"{change.id!r} is already used by change {seen.add_ids[change.id]}")
        else:
            seen.add_ids[change.id] = number
    for field_name in ("min_age", "max_age"):
        value = getattr(change, field_name)
        if value is not None and not 0 <= value <= MAX_AGE:
            bad(field_name, f"{value} is not an age between 0 and {MAX_AGE}")
    low, high = change.min_age, change.max_age
    if low is not None and high is not None and low > high:
        bad("max_age", f"max_age {high} is below min_age {low}")
    if change.crime_types is not None:
        unknown = [c for c in change.crime_types if c not in CRIME_TYPES]
        if unknown:
            bad("crime_types", f"unknown {unknown}: use " + ", ".join(CRIME_TYPES))
        elif not change.crime_types:
            bad("crime_types", "empty: leave it out for all crime types")
        elif "all" in change.crime_types and len(change.crime_types) > 1:
            bad("crime_types", "'all' stands alone")


def _added_location(change: AddChange, bad: _Bad) -> Site | str | None:
    """An added site's place: a :class:`Site` from lon/lat, a postcode still to be looked
    up, or ``None`` (the problem reported)."""
    from mapping.inputs.postcodes import normalise_postcode
    from mapping.study_area import to_27700

    has_point = change.lon is not None or change.lat is not None
    if change.postcode is not None and has_point:
        bad("postcode", "give a postcode or lon/lat, not both")
        return None
    if change.postcode is None and not has_point:
        bad("postcode", "no location: give a postcode, or lon and lat")
        return None
    if change.postcode is not None:
        try:
            return normalise_postcode(change.postcode)
        except ValueError as exc:
            bad("postcode", str(exc))
            return None
    if change.lon is None or change.lat is None:
        bad("lat" if change.lat is None else "lon", "give both lon and lat")
        return None
    if not (math.isfinite(change.lon) and -180 <= change.lon <= 180):
        bad("lon", f"{change.lon} is not a longitude")
        return None
    if not (math.isfinite(change.lat) and -90 <= change.lat <= 90):
        bad("lat", f"{change.lat} is not a latitude")
        return None
    easting, northing = (float(v) for v in to_27700(change.lon, change.lat))
    # Whole metres: ample for a site, and the same site always gets the same id.
    return Site(round(easting), round(northing), change.lon, change.lat, None, "street")


def _postcode_sites(
    pending: dict[int, str],
    src: str,
    sources: Path | Sources | None,
    data_dir: Path | None,
    problems: list[str],
) -> dict[int, Site]:
    """The sites given by postcode, looked up together (a problem for each not found)."""
    from mapping.study_area import to_lonlat

    found, searched = _resolve_postcodes(pending.values(), sources, data_dir)
    sites: dict[int, Site] = {}
    for number, postcode in pending.items():
        if postcode not in found:
            why = searched if searched.startswith("cannot") else f"is not in {searched}"
            problems.append(f"{src}:change {number}:postcode: {postcode} {why}")
            continue
        easting, northing = found[postcode]
        lon, lat = (float(v) for v in to_lonlat(easting, northing))
        sites[number] = Site(easting, northing, round(lon, 6), round(lat, 6), postcode, "postcode")
    return sites


def _sites_in_reach(
    sites: dict[int, Site], src: str, engine: TravelEngine | None, problems: list[str]
) -> dict[int, Site]:
    """The sites inside the study area and (with an engine) on its road network."""
    from mapping.study_area import STUDY_AREA_LONLAT

    min_lon, min_lat, max_lon, max_lat = STUDY_AREA_LONLAT
    kept: dict[int, Site] = {}
    for number, site in sites.items():
        where = f"{src}:change {number}"
        field_name = "postcode" if site.postcode else "lon"
        label = site.postcode or f"({site.lon:g}, {site.lat:g})"
        if not (min_lon <= site.lon <= max_lon and min_lat <= site.lat <= max_lat):
            problems.append(
                f"{where}:{field_name}: {label} is outside the study area (lon {min_lon:g} to "
                f"{max_lon:g}, lat {min_lat:g} to {max_lat:g})"
            )
            continue
        off = _site_off_network(engine, site) if engine is not None else None
        if off:
            problems.append(f"{where}:{field_name}: {label} is {off}")
            continue
        kept[number] = site
    return kept


def _verb(kind: str) -> str:
    return "given new hours" if kind == "hours" else "closed"


def _problem_order(line: str) -> int:
    # Whole-scenario problems first, then by change (postcodes are checked in one batch).
    match = re.search(r":change (\d+):", line)
    return int(match.group(1)) if match else 0


def _site_off_network(engine: TravelEngine, site: Site) -> str | None:
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
    return check_scenario(scenario, register, sources, engine=engine, data_dir=data_dir)[0]


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:40].strip("-") or "site"


def site_id(change: AddChange, site: Site) -> str:
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
    return f"whatif-{_slug(change.name)}-{digest}"
