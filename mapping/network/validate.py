"""Journey checks against public facts (reported in docs/network.md, never fitted)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mapping.inputs.sources import Sources
from mapping.network.graph import PROFILES, RoadNetwork
from mapping.network.snap import journey
from mapping.study_area import to_27700

__all__ = ["CHECKS", "V1_RESULTS", "Check", "before_after", "check_points", "run_checks"]


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
    """Format ``run_checks`` rows beside the v1 model's results as Markdown table lines."""
    lines = [
        "| journey | straight mi | road mi v1 → v2 | night min v1 → v2 | day min v1 → v2 | fact |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        miles, night, day = V1_RESULTS.get(str(row["journey"]), (float("nan"),) * 3)
        lines.append(
            f"| {row['journey']} | {row['straight_miles']} | {miles} → {row['road_miles']} "
            f"| {night} → {row['free_flow_min']} | {day} → {row['daytime_min']} "
            f"| {row['fact'] or 'no published time found'} |"
        )
    return lines
