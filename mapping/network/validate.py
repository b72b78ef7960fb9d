"""Journey checks against public facts (reported in docs/network.md, never fitted)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
from scipy.sparse.csgraph import dijkstra

from mapping.errors import ServiceMapError
from mapping.inputs.sources import Sources
from mapping.network.graph import PROFILES, RoadNetwork
from mapping.network.snap import journey, snap_or_raise
from mapping.study_area import to_27700

__all__ = [
    "CHECKS",
    "RULE_CHECKS",
    "V1_RESULTS",
    "V2_RESULTS",
    "V2_RULE_RESULTS",
    "Check",
    "RuleCheck",
    "before_after",
    "check_points",
    "route_classes",
    "rule_table",
    "run_checks",
    "run_rule_checks",
]


@dataclass(frozen=True)
class Check:
    """A named journey between two places, each a postcode or a lon/lat pair."""

    name: str
    origin: str | tuple[float, float]
    dest: str | tuple[float, float]
    fact: str


@dataclass(frozen=True)
class RuleCheck:
    """A journey that shows one build rule at work, and the bound it must meet.

    ``measure`` is ``"built_up_share"`` (share of the route's 'A'-road length driven at
    the built-up speed, free flow), ``"road_miles"`` (free-flow route length) or
    ``"reach_a_road_m"`` (straight distance from the origin to the first 'A'-road or
    motorway node of the route); the check passes when the measure is at most ``limit``.
    """

    name: str
    origin: str | tuple[float, float]
    dest: str | tuple[float, float]
    rule: str
    measure: str
    limit: float
    fact: str


def _place(value: Any) -> str | tuple[float, float]:
    return value if isinstance(value, str) else (float(value[0]), float(value[1]))


def _results(rows: list[dict[str, Any]], key: str) -> dict[str, tuple[float, float, float]]:
    return {
        r["name"]: (float(r[key][0]), float(r[key][1]), float(r[key][2])) for r in rows if key in r
    }


def _read_checks() -> dict[str, Any]:
    """The journey checks of ``checks.toml`` (data shipped with the package)."""
    text = resources.files("mapping.network").joinpath("checks.toml").read_text("utf-8")
    return tomllib.loads(text)


_RAW = _read_checks()

#: The journey checks (``checks.toml``).
CHECKS: tuple[Check, ...] = tuple(
    Check(c["name"], _place(c["origin"]), _place(c["dest"]), c["fact"]) for c in _RAW["check"]
)
#: The same checks on the v1 offline model (postcode links at density speeds and OS
#: motorways only, commit e795a93), for the before/after table of docs/network.md:
#: road miles, minutes free flow (night), minutes daytime.
V1_RESULTS = _results(_RAW["check"], "v1")
#: The same checks on the v2 network (commit 377638d, before issue 22's rules), as
#: ``V1_RESULTS``: road miles, minutes free flow (night), minutes daytime (Tue 10:00).
V2_RESULTS = _results(_RAW["check"], "v2")
#: One journey per v3 rule; each fails on the v2 network (``V2_RULE_RESULTS``).
RULE_CHECKS: tuple[RuleCheck, ...] = tuple(
    RuleCheck(
        c["name"],
        _place(c["origin"]),
        _place(c["dest"]),
        c["rule"],
        c["measure"],
        float(c["limit"]),
        c["fact"],
    )
    for c in _RAW["rule_check"]
)
#: The rule checks on the v2 network: measure, minutes free flow, minutes daytime.
V2_RULE_RESULTS = _results(_RAW["rule_check"], "v2")


def check_points(sources: Sources, checks: tuple[Check, ...] = CHECKS) -> dict[str, np.ndarray]:
    """Resolve every place of ``checks`` to EPSG:27700 (postcodes via Code-Point Open)."""
    places = {p for c in checks for p in (c.origin, c.dest)}
    codes = sorted(p for p in places if isinstance(p, str))
    table = sources.read_codepoint(areas={code.split()[0].rstrip("0123456789") for code in codes})
    found = table.set_index("postcode")[["easting", "northing"]]
    out: dict[str, np.ndarray] = {}
    for place in places:
        if isinstance(place, str):
            out[place] = found.loc[place].to_numpy(dtype=float)
        else:
            out[str(place)] = np.array(to_27700(*place), dtype=float)
    return out


def run_checks(
    network: RoadNetwork, sources: Sources, checks: tuple[Check, ...] = CHECKS
) -> list[dict[str, object]]:
    """Return, per check, road miles, straight-line miles and minutes per profile."""
    xy = check_points(sources, checks)
    rows: list[dict[str, object]] = []
    for check in checks:
        a, b = xy[str(check.origin)], xy[str(check.dest)]
        row: dict[str, object] = {
            "journey": check.name,
            "straight_miles": round(float(np.hypot(*(b - a))) / 1609.344, 1),
            "fact": check.fact,
        }
        for profile in PROFILES:
            j = journey(network, a, b, profile)
            row[f"{profile}_min"] = round(j.minutes, 1)
            if profile == "free_flow":
                row["road_miles"] = round(j.miles, 1)
        rows.append(row)
    return rows


def _markdown(header: str, lines: Iterable[str]) -> list[str]:
    """A Markdown table: its header row, the rule under it, then ``lines``."""
    return [header, "|---|---|---|---|---|---|", *lines]


def before_after(rows: list[dict[str, object]]) -> list[str]:
    """Format ``run_checks`` rows beside the v2 network's results as Markdown table lines."""
    nan3 = (float("nan"),) * 3
    return _markdown(
        "| journey | straight mi | road mi v2 → v3 | night min v2 → v3 | day min v2 → v3 | fact |",
        (
            f"| {row['journey']} | {row['straight_miles']} | {miles} → {row['road_miles']} "
            f"| {night} → {row['free_flow_min']} | {day} → {row['daytime_min']} "
            f"| {row['fact'] or 'no published time found'} |"
            for row in rows
            for miles, night, day in [V2_RESULTS.get(str(row["journey"]), nan3)]
        ),
    )


def route_classes(
    network: RoadNetwork, origin_xy: np.ndarray, dest_xy: np.ndarray, profile: str
) -> tuple[list[str], list[float], list[int]]:
    """The fastest route's edges in order: class, length (m) and head node of each."""
    snapped = snap_or_raise(
        network, np.vstack([origin_xy, dest_xy]), labels=["origin", "destination"]
    )
    o, d = int(snapped.node[0]), int(snapped.node[1])
    _, pred = dijkstra(network.seconds[profile], indices=o, return_predecessors=True)
    classes: list[str] = []
    lengths: list[float] = []
    heads: list[int] = []
    node = d
    csr = network.length_m
    while node != o:
        prev = int(pred[node])
        if prev < 0:
            raise ServiceMapError("the destination cannot be reached from the origin")
        lo, hi = csr.indptr[prev], csr.indptr[prev + 1]
        k = lo + int(np.flatnonzero(csr.indices[lo:hi] == node)[0])
        classes.append(str(network.highway[k]))
        lengths.append(float(csr.data[k]))
        heads.append(node)
        node = prev
    return classes[::-1], lengths[::-1], heads[::-1]


def _measure(check: RuleCheck, network: RoadNetwork, a: np.ndarray, b: np.ndarray) -> float:
    classes, lengths, heads = route_classes(network, a, b, "free_flow")
    cls = np.asarray(classes)
    length = np.asarray(lengths)
    if check.measure == "built_up_share":
        on_a = np.isin(cls, ["a_road", "a_road_built_up"])
        total = float(length[on_a].sum())
        return float(length[cls == "a_road_built_up"].sum()) / total if total else float("nan")
    if check.measure == "road_miles":
        return float(length.sum()) / 1609.344
    if check.measure == "reach_a_road_m":
        major = np.flatnonzero(np.isin(cls, ["a_road", "a_road_built_up", "motorway"]))
        if not len(major):
            return float("inf")
        first = heads[int(major[0]) - 1] if major[0] > 0 else heads[0]
        return float(np.hypot(*(network.node_xy[first] - a)))
    raise ValueError(f"unknown rule-check measure {check.measure!r}")


def run_rule_checks(
    network: RoadNetwork, sources: Sources, checks: tuple[RuleCheck, ...] = RULE_CHECKS
) -> list[dict[str, object]]:
    """Return, per rule check, its measure, whether it holds, and minutes per profile."""
    as_checks = tuple(Check(c.name, c.origin, c.dest, c.fact) for c in checks)
    xy = check_points(sources, as_checks)
    rows: list[dict[str, object]] = []
    for check in checks:
        a, b = xy[str(check.origin)], xy[str(check.dest)]
        value = _measure(check, network, a, b)
        rows.append(
            {
                "journey": check.name,
                "rule": check.rule,
                "measure": check.measure,
                "value": round(value, 2),
                "limit": check.limit,
                "passes": bool(value <= check.limit),
                "free_flow_min": round(journey(network, a, b, "free_flow").minutes, 1),
                "daytime_min": round(journey(network, a, b, "daytime").minutes, 1),
                "fact": check.fact,
            }
        )
    return rows


def rule_table(rows: list[dict[str, object]]) -> list[str]:
    """Format ``run_rule_checks`` rows beside the v2 network's as Markdown table lines."""
    nan3 = (float("nan"),) * 3
    return _markdown(
        "| journey | rule | measure (limit) v2 → v3 | night min v2 → v3 | day min v2 → v3 "
        "| holds |",
        (
            f"| {row['journey']} | {row['rule']} | {row['measure']} (≤ {row['limit']:g}) "
            f"{before:g} → {row['value']} | {night} → {row['free_flow_min']} "
            f"| {day} → {row['daytime_min']} | {'yes' if row['passes'] else 'NO'} |"
            for row in rows
            for before, night, day in [V2_RULE_RESULTS.get(str(row["journey"]), nan3)]
        ),
    )
