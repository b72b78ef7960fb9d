"""Journey checks against public facts (reported in docs/network.md, never fitted)."""

from __future__ import annotations

from dataclasses import dataclass

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


#: Town-centre coordinates are those of the project's reference file (about ±1 km).
CHECKS: tuple[Check, ...] = (
    Check(
        "Penrith → Royal Preston Hospital",
        (-2.752, 54.664),
        "PR2 9HT",
        'before Dec 2015 the nearest SARC for north Cumbria was "68 miles away in Preston" '
        "(ITV Border)",
    ),
    Check(
        "Royal Preston Hospital → Saint Mary's, Manchester",
        "PR2 9HT",
        "M13 9WL",
        "the two SARCs a Lancashire resident is most often referred between",
    ),
    Check("Blackpool → Preston (town centres)", (-3.036, 53.818), (-2.699, 53.759), ""),
    Check("Lancaster → Penrith (town centres)", (-2.801, 54.047), (-2.752, 54.664), ""),
    Check(
        "Lytham (FY8 5LA) → Southport (PR8 1AA)",
        "FY8 5LA",
        "PR8 1AA",
        "no road crosses the Ribble estuary below Preston",
    ),
    Check(
        "Knott End (FY6 0AA) → Fleetwood (FY7 6AA)",
        "FY6 0AA",
        "FY7 6AA",
        "only a foot ferry crosses the Wyre mouth: by road over Shard Bridge",
    ),
    Check(
        "Morecambe (LA4 4AA) → Grange (LA11 6AA)",
        "LA4 4AA",
        "LA11 6AA",
        "no road crosses Morecambe Bay: by road round by the A6/A590",
    ),
    Check(
        "Burnley → Saint Mary's, Manchester",
        (-2.241, 53.789),
        "M13 9WL",
        "the East Lancashire SARC route (M65/A56/M66 or the A671/A6068)",
    ),
    Check(
        "Nelson → Royal Preston Hospital",
        (-2.218, 53.835),
        "PR2 9HT",
        "East Lancashire to the Preston SARC (M65/M6 or the A59/A6068)",
    ),
)

#: The same checks on the v1 offline model (postcode links at density speeds and OS
#: motorways only, commit e795a93), for the before/after table of docs/network.md:
#: road miles, minutes free flow (night), minutes daytime.
V1_RESULTS: dict[str, tuple[float, float, float]] = {
    "Penrith → Royal Preston Hospital": (66.9, 59.8, 71.8),
    "Royal Preston Hospital → Saint Mary's, Manchester": (38.9, 38.2, 47.3),
    "Blackpool → Preston (town centres)": (18.3, 23.7, 31.5),
    "Lancaster → Penrith (town centres)": (48.4, 45.6, 55.8),
    "Lytham (FY8 5LA) → Southport (PR8 1AA)": (27.7, 48.4, 69.7),
    "Knott End (FY6 0AA) → Fleetwood (FY7 6AA)": (13.0, 23.2, 33.4),
    "Morecambe (LA4 4AA) → Grange (LA11 6AA)": (29.8, 41.1, 56.5),
    "Burnley → Saint Mary's, Manchester": (27.8, 42.7, 57.9),
    "Nelson → Royal Preston Hospital": (31.4, 29.2, 35.5),
}


#: The same checks on the v2 network (commit 377638d, before issue 22's rules), as
#: ``V1_RESULTS``: road miles, minutes free flow (night), minutes daytime (Tue 10:00).
V2_RESULTS: dict[str, tuple[float, float, float]] = {
    "Penrith → Royal Preston Hospital": (66.9, 59.8, 71.7),
    "Royal Preston Hospital → Saint Mary's, Manchester": (38.7, 37.8, 46.8),
    "Blackpool → Preston (town centres)": (18.1, 23.0, 30.5),
    "Lancaster → Penrith (town centres)": (48.2, 44.8, 54.6),
    "Lytham (FY8 5LA) → Southport (PR8 1AA)": (26.4, 44.7, 64.3),
    "Knott End (FY6 0AA) → Fleetwood (FY7 6AA)": (13.6, 23.4, 33.7),
    "Morecambe (LA4 4AA) → Grange (LA11 6AA)": (29.9, 37.8, 51.9),
    "Burnley → Saint Mary's, Manchester": (26.7, 40.4, 55.8),
    "Nelson → Royal Preston Hospital": (31.3, 29.1, 35.3),
}


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


#: One journey per v3 rule; each fails on the v2 network (``V2_RULE_RESULTS``).
RULE_CHECKS: tuple[RuleCheck, ...] = (
    RuleCheck(
        "Clitheroe → Saint Mary's, Manchester",
        (-2.392, 53.871),
        "M13 9WL",
        "built-up from the addresses along the road",
        "built_up_share",
        0.5,
        "the A59 Clitheroe bypass and the A56 Accrington-Edenfield have no "
        "houses along them: most of the 'A'-road miles are open road",
    ),
    RuleCheck(
        "Slaidburn → Lancaster (town centre)",
        (-2.442, 53.966),
        (-2.801, 54.047),
        "empty-gap rule only over water",
        "road_miles",
        30.0,
        "by the Trough of Bowland or Cross of Greet roads, not round by the A59 and M6 "
        "(over 45 miles)",
    ),
    RuleCheck(
        "Belmont → Bolton (town centre)",
        (-2.497, 53.640),
        (-2.429, 53.578),
        "settlements joined to their 'A' road",
        "reach_a_road_m",
        1500.0,
        "Belmont lies on the A675 (whose straight junction-to-junction line passes about "
        "700 m east of the village): a journey joins it there, not at the next junction",
    ),
)

#: The rule checks on the v2 network: measure, minutes free flow, minutes daytime.
V2_RULE_RESULTS: dict[str, tuple[float, float, float]] = {
    "Clitheroe → Saint Mary's, Manchester": (0.67, 51.2, 69.1),
    "Slaidburn → Lancaster (town centre)": (52.2, 73.4, 100.8),
    "Belmont → Bolton (town centre)": (3319.0, 11.9, 17.0),
}


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


def before_after(rows: list[dict[str, object]]) -> list[str]:
    """Format ``run_checks`` rows beside the v2 network's results as Markdown table lines."""
    lines = [
        "| journey | straight mi | road mi v2 → v3 | night min v2 → v3 | day min v2 → v3 | fact |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        miles, night, day = V2_RESULTS.get(str(row["journey"]), (float("nan"),) * 3)
        lines.append(
            f"| {row['journey']} | {row['straight_miles']} | {miles} → {row['road_miles']} "
            f"| {night} → {row['free_flow_min']} | {day} → {row['daytime_min']} "
            f"| {row['fact'] or 'no published time found'} |"
        )
    return lines


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
    lines = [
        "| journey | rule | measure (limit) v2 → v3 | night min v2 → v3 | day min v2 → v3 "
        "| holds |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        before, night, day = V2_RULE_RESULTS.get(str(row["journey"]), (float("nan"),) * 3)
        lines.append(
            f"| {row['journey']} | {row['rule']} | {row['measure']} (≤ {row['limit']:g}) "
            f"{before:g} → {row['value']} | {night} → {row['free_flow_min']} "
            f"| {day} → {row['daytime_min']} | {'yes' if row['passes'] else 'NO'} |"
        )
    return lines
