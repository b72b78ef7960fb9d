"""Every number the road models use, each with the published figure it comes from.

Speeds are kept in miles per hour, as published, and converted once to metres per
second. Nothing here is fitted to journey times: the validation in ``docs/network.md``
compares the model's results with public journey facts after the fact.

Sources
-------
DfT-TT-2019
    Department for Transport, *Travel time measures for the Strategic Road Network and
    local 'A' roads: July 2018 to June 2019* (published 19 September 2019, tables
    CGN0501/CGN0502). SRN: average speed 59.0 mph, average delay 9.4 s per vehicle-mile
    against the speed limits. Local 'A' roads: average speed 25.4 mph across all time
    periods, average delay 43.2 s per vehicle-mile against free flow. Earlier releases
    (2017-2019) give 59.0-59.4 mph and 25.2-25.4 mph; the weekday morning peak on local
    'A' roads was 24.4-25.1 mph.
DfT-SPE-2019
    Department for Transport, *Vehicle speed compliance statistics for Great Britain:
    2019*: at free-flowing sites "average free flow speeds were very close to the speed
    limits on 30mph roads (28-33mph) and under or near to the speed limit ... on
    motorways and national speed limit single carriageways".
LIMITS
    National speed limits for cars (Road Traffic Regulation Act 1984 ss. 81-86 and the
    Motorways Traffic (Speed Limit) Regulations 1974): 70 mph on motorways and dual
    carriageways, 60 mph on single carriageways, 30 mph on restricted (street-lit,
    built-up) roads. DfT Circular 01/2013 *Setting local speed limits* adds 20 mph limits
    and zones for residential streets.
DEGURBA
    Eurostat (2021), *Applying the Degree of Urbanisation: a methodological manual*:
    1 km² grid cells with at least 1,500 inhabitants per km² form urban centres, cells
    with at least 300 inhabitants per km² form urban clusters, the rest are rural.
CENSUS-2021
    ONS Census 2021: 1,531,079 usual residents in the 14 Lancashire council areas.
CIRCUITY
    Newell (1980), *Traffic flow on transportation networks*, via Levinson and
    El-Geneidy (2009), "The minimum circuity frontier and the journey to work", Regional
    Science and Urban Economics 39(6): network distance between random points of a road
    network is about 1.2 times the straight-line distance; O'Sullivan (1996) finds
    1.21-1.23. Ballou, Rahardja and Sakai (2002), "Selected country circuity factors for
    road travel distance estimation", Transportation Research Part A 36(9), tabulate
    national factors of the same order for Europe.
DfT-CGN-2014
    Department for Transport, *Congestion on local 'A' roads, England: April to June
    2014* (statistical release, 14 August 2014): in the year ending June 2014 the
    average speed on local 'A' roads in England during the weekday morning peak
    (07:00-10:00) was 24.4 mph.
DfT-SPE-2019-MEANS
    The same DfT release (2019) gives the average car speeds under free-flow conditions:
    69 mph on motorways, 50 mph on national speed limit (60 mph) single carriageways and
    31 mph on 30 mph roads (as reported by Fleetpoint, "Speed compliance highest on
    60mph roads", on the 2019 release; 9 % of cars exceeded the limit on NSL single
    carriageways, 50 % on motorways, 54 % on 30 mph roads).
DfT-RL-2018
    Department for Transport, *Road lengths in Great Britain: 2018* (statistical release,
    14 May 2019): 31,800 miles of major road (2,300 miles of motorway and 29,400 miles of
    'A' road), measured along the road.
DfT-MRDB-2018
    Department for Transport, Major Road Database 2018, "minimal" geometry: every GB
    motorway and 'A'-road link as a straight line between its two junctions; the 18,193
    links sum to 28,640 miles. Against DfT-RL-2018 of the same year that gives the
    circuity of a major road between its own junctions: 31,800 / 28,640 = 1.110.
RURAL-HIERARCHY
    DfT / TRL, *Development of a rural road hierarchy for speed management* (as reported
    by speedlimit.org.uk, "Towards a Rural Speed Hierarchy", and echoed in DfT Circular
    01/2013): 60 mph for major routes with a high proportion of through traffic, 50 mph
    for intermediate routes, **40 mph for minor rural roads mainly used for local
    access**, 30 mph for built-up roads in villages.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mapping.inputs.area import study_area

__all__ = [
    "ACCESS_SPEED_MPH",
    "A_ROAD_BUILT_UP_MPH",
    "A_ROAD_RURAL_MPH",
    "CIRCUITY",
    "DAYTIME_RATIO_LOCAL",
    "DAYTIME_RATIO_SRN",
    "LANCASHIRE_RESIDENTS_2021",
    "LOCAL_A_AVG_MPH",
    "LOCAL_A_FREE_FLOW_MPH",
    "MAIN_ROAD_CIRCUITY",
    "MINOR_ROAD_MPH",
    "MPH",
    "OSM_HWY_SPEEDS_MPH",
    "PEAK_RATIO_LOCAL",
    "PEAK_RATIO_SRN",
    "PROFILE_RATIOS",
    "SRN_AVG_MPH",
    "SRN_FREE_FLOW_MPH",
    "WEEKEND_RATIO_LOCAL",
    "WEEKEND_RATIO_SRN",
    "OfflineParams",
    "mph_to_kph",
    "mph_to_mps",
]

#: Metres per second in one mile per hour.
MPH = 1609.344 / 3600.0


#: The raw sources the offline network is built from (their checksums key the build).
OFFLINE_INPUTS: tuple[str, ...] = ("codepoint", "motorways", "lad", "mrdb", "mrdb_shx", "mrdb_prj")


def mph_to_mps(mph: float) -> float:
    """Convert miles per hour to metres per second."""
    return mph * MPH


def mph_to_kph(mph: float) -> float:
    """Convert miles per hour to kilometres per hour."""
    return mph * 1.609344


# ---- DfT travel-time statistics (DfT-TT-2019) -----------------------------------------

#: Strategic Road Network average speed, all periods (DfT-TT-2019).
SRN_AVG_MPH = 59.0
#: SRN delay against the speed limits, seconds per vehicle-mile (DfT-TT-2019).
SRN_DELAY_S_PER_MILE = 9.4
#: SRN speed at zero delay: 3600 / (3600/59.0 - 9.4) = 69.8 mph, i.e. the 70 mph limit.
SRN_FREE_FLOW_MPH = 3600.0 / (3600.0 / SRN_AVG_MPH - SRN_DELAY_S_PER_MILE)

#: Local 'A' roads average speed, all periods (DfT-TT-2019).
LOCAL_A_AVG_MPH = 25.4
#: Local 'A' roads delay against free flow, seconds per vehicle-mile (DfT-TT-2019).
LOCAL_A_DELAY_S_PER_MILE = 43.2
#: Local 'A' roads free-flow journey speed: 3600 / (3600/25.4 - 43.2) = 36.5 mph.
LOCAL_A_FREE_FLOW_MPH = 3600.0 / (3600.0 / LOCAL_A_AVG_MPH - LOCAL_A_DELAY_S_PER_MILE)

#: Daytime / free-flow speed ratio on motorways (SRN): 59.0 / 69.8 = 0.845.
DAYTIME_RATIO_SRN = SRN_AVG_MPH / SRN_FREE_FLOW_MPH
#: Daytime / free-flow speed ratio on local roads: 25.4 / 36.5 = 0.696.
DAYTIME_RATIO_LOCAL = LOCAL_A_AVG_MPH / LOCAL_A_FREE_FLOW_MPH

# ---- speed profiles by day type and hour (v3) -------------------------------------------

#: Local 'A' roads, weekday morning peak (07:00-10:00) average speed, England, year ending
#: June 2014 (DfT-CGN-2014).
LOCAL_A_PEAK_MPH = 24.4
#: Weekday-peak / free-flow speed ratio on local roads: 24.4 / 36.5 = 0.668.
PEAK_RATIO_LOCAL = LOCAL_A_PEAK_MPH / LOCAL_A_FREE_FLOW_MPH
#: Weekday-peak ratio on motorways: **inferred** (no SRN figure by period was found), the
#: SRN all-period ratio 0.845.
PEAK_RATIO_SRN = DAYTIME_RATIO_SRN
#: Weekend-day ratios: **inferred**, no published average speed for weekend daytime was
#: found. Half the all-period delay: local 3600 / (3600/36.5 + 43.2/2) = 29.9 mph (0.820),
#: motorways 3600 / (3600/69.8 + 9.4/2) = 64.0 mph (0.917). docs/network.md shows how the
#: headline figures move between this and the weekday ratio.
WEEKEND_RATIO_LOCAL = (
    3600.0 / (3600.0 / LOCAL_A_FREE_FLOW_MPH + LOCAL_A_DELAY_S_PER_MILE / 2.0)
) / LOCAL_A_FREE_FLOW_MPH
WEEKEND_RATIO_SRN = (
    3600.0 / (3600.0 / SRN_FREE_FLOW_MPH + SRN_DELAY_S_PER_MILE / 2.0)
) / SRN_FREE_FLOW_MPH

# ---- national limits (LIMITS, DfT-SPE-2019) -------------------------------------------

#: Built-up ("restricted road") limit; free-flow car speeds there average 28-33 mph.
BUILT_UP_LIMIT_MPH = 30.0
#: Motorway limit, which the SRN free-flow speed above reproduces.
MOTORWAY_LIMIT_MPH = 70.0
#: Single-carriageway national limit: an upper bound, never exceeded by a local class.
SINGLE_CARRIAGEWAY_LIMIT_MPH = 60.0
#: Lowest general limit (20 mph residential streets, DfT Circular 01/2013): the speed
#: at which the stretch between a point and its nearest network node is driven.
ACCESS_SPEED_MPH = 20.0

# ---- 'A' roads and minor roads (DfT-SPE-2019-MEANS, RURAL-HIERARCHY) ------------------

#: Average free-flow car speed on national-speed-limit single carriageways (2019): an 'A'
#: road between settlements at night.
A_ROAD_RURAL_MPH = 50.0
#: Average free-flow car speed on 30 mph roads (2019): an 'A' road through a built-up place.
A_ROAD_BUILT_UP_MPH = 31.0
#: Speed limit the DfT rural road hierarchy gives minor rural roads used for local access.
MINOR_ROAD_LIMIT_MPH = 40.0
#: Minor rural roads at free flow: their 40 mph limit times the share of the limit that
#: free-flowing cars hold on rural single carriageways (50 of 60 mph, DfT-SPE-2019-MEANS):
#: 40 x 50/60 = 33.3 mph. Derived: no published survey of minor-road free-flow speeds
#: was found.
MINOR_ROAD_MPH = MINOR_ROAD_LIMIT_MPH * A_ROAD_RURAL_MPH / SINGLE_CARRIAGEWAY_LIMIT_MPH

# ---- geometry ---------------------------------------------------------------------------

#: Road length of GB major roads, miles (DfT-RL-2018).
MAJOR_ROAD_MILES_2018 = 31_800.0
#: Straight junction-to-junction length of the DfT-MRDB-2018 links, miles.
MRDB_2018_STRAIGHT_MILES = 28_639.9
#: Road length per straight metre of a major road between its own junctions:
#: 31,800 / 28,640 = 1.110 (DfT-RL-2018 over DfT-MRDB-2018, the same year).
MAIN_ROAD_CIRCUITY = MAJOR_ROAD_MILES_2018 / MRDB_2018_STRAIGHT_MILES

#: Road distance / straight-line distance (CIRCUITY).
CIRCUITY = 1.2

#: Census 2021 usual residents of the study area's council areas (CENSUS-2021), from
#: ``study_area.toml``.
LANCASHIRE_RESIDENTS_2021 = study_area().residents_2021

#: Default speeds per OSM ``highway`` class (mph) where a way has no ``maxspeed`` tag,
#: from the national limits (LIMITS): motorways 70, other classified roads 60 (single
#: carriageway), streets 30 (built-up). Other classes take the mean of the tagged ways
#: of that class in the file, or 30 mph.
OSM_HWY_SPEEDS_MPH: dict[str, float] = {
    "motorway": MOTORWAY_LIMIT_MPH,
    "motorway_link": MOTORWAY_LIMIT_MPH,
    "trunk": SINGLE_CARRIAGEWAY_LIMIT_MPH,
    "trunk_link": SINGLE_CARRIAGEWAY_LIMIT_MPH,
    "primary": SINGLE_CARRIAGEWAY_LIMIT_MPH,
    "primary_link": SINGLE_CARRIAGEWAY_LIMIT_MPH,
    "residential": BUILT_UP_LIMIT_MPH,
    "living_street": ACCESS_SPEED_MPH,
    "unclassified": BUILT_UP_LIMIT_MPH,
}

#: OSM classes on the Strategic Road Network side of the daytime ratio.
OSM_SRN_CLASSES: frozenset[str] = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})


#: (local, motorway-or-SRN) speed / free-flow speed of every speed profile (defaults).
PROFILE_RATIOS: dict[str, tuple[float, float]] = {
    "free_flow": (1.0, 1.0),
    "daytime": (DAYTIME_RATIO_LOCAL, DAYTIME_RATIO_SRN),
    "weekday_peak": (PEAK_RATIO_LOCAL, PEAK_RATIO_SRN),
    "weekend_day": (WEEKEND_RATIO_LOCAL, WEEKEND_RATIO_SRN),
}


@dataclass(frozen=True)
class OfflineParams:
    """Parameters of the offline network model (all part of the cache key).

    Attributes
    ----------
    speeds_mph
        Free-flow speed per edge class. ``urban`` is the 30 mph built-up limit, which
        free-flowing cars hold (DfT-SPE-2019); ``suburban`` the harmonic mean of urban
        and rural (a suburban link is as much street as through road); ``rural`` the
        minor-road speed (33.3 mph: the 40 mph limit of the rural road hierarchy times the
        50/60 share of the limit free-flowing cars hold, RURAL-HIERARCHY,
        DfT-SPE-2019-MEANS); ``a_road`` the free-flow car speed on national-speed-limit
        single carriageways (50 mph) and ``a_road_built_up`` that on 30 mph roads (31 mph,
        DfT-SPE-2019-MEANS); ``motorway`` the SRN free-flow speed (69.8 mph,
        DfT-TT-2019); ``link`` (slip road or 'A'-road junction to the nearest streets) is
        driven as a built-up street.
    daytime_ratio_local, daytime_ratio_motorway
        Daytime (weekday inter-peak) speed / free-flow speed (DfT-TT-2019, all-period
        averages): 0.696 and 0.845.
    peak_ratio_local, peak_ratio_motorway, weekend_ratio_local, weekend_ratio_motorway
        The same for the weekday peaks (local 0.668 from DfT-CGN-2014; motorway
        inferred 0.845) and weekend days (inferred: half the all-period delay, 0.820 and
        0.917).
    circuity
        Road distance per straight-line metre on local links (CIRCUITY).
    urban_density, suburban_density
        Inhabitants per km² above which a link is urban or suburban (DEGURBA).
    density_radius_m
        Radius of the 1 km² circle in which postcodes are counted (DEGURBA's 1 km² cell).
    residents
        Residents of the Lancashire postcodes, turning postcode counts into inhabitants
        (CENSUS-2021 / Code-Point Open postcodes of the 14 areas).
    empty_gap_m
        A link with a point farther than this from every postcode crosses uninhabited
        land or sea (estuary, bay, open moor) and is dropped. A design threshold, not a
        published figure: the narrowest sea crossing it must cut, the Kent channel of
        Morecambe Bay between Arnside and Grange, passes 830-970 m from the nearest
        postcode; docs/network.md shows the journey checks do not change between 600 m
        and 1 km.
    tidal_width_m
        Tidal water (outside the ONS coastline-clipped boundaries) wider than this is
        never crossed by a local link between two Lancashire postcodes (design rule:
        the Ribble at Preston, the Lune at Lancaster and the Wyre at Shard Bridge, all
        bridged, are narrower; the Wyre mouth and the Lune estuary are wider).
    junction_reach_m, junction_links
        A motorway-class link end that meets no other motorway link (a slip road's end
        or a motorway's end) is a junction: it is joined to its ``junction_links``
        nearest postcode nodes within ``junction_reach_m``.
    main_road_circuity
        Road length per straight metre of an 'A' road between its own junctions
        (1.110, DfT-RL-2018 over DfT-MRDB-2018).
    a_road_step_m, a_road_join_m
        'A'-road links are cut into pieces of at most ``a_road_step_m``; a cut point in
        a built-up place (``suburban_density`` or more) is joined to its nearest postcode
        node within ``a_road_join_m`` (design values: a postcode's grid reference lies on
        or beside its street, and 500 m is about the length of a village street).
    motorway_match_m, motorway_match_bulge
        A Major Road Database link is a motorway when both ends are within
        ``motorway_match_m`` of an OS Open Roads motorway and no point of it is farther
        than ``motorway_match_m + motorway_match_bulge * length`` (design values: a
        straight line between the junctions of a road 1.11 times longer stands off it by
        about 0.2 of its length).
    motorway_a_road_m
        A motorway junction is joined to every 'A'-road junction within this distance.
    service_cluster_m, service_a_road_m, service_site_m, service_area_m, service_max_postcodes
        The service-area rule (``major_roads.service_area_ends``): dangling motorway
        ends within ``service_cluster_m`` form one site; a site with no 'A'-road junction
        within ``service_a_road_m``, a postcode node within ``service_site_m`` and at
        most ``service_max_postcodes`` postcode nodes within ``service_area_m`` is a
        service area and is not joined to the local roads. Design values, checked
        against the seven service areas and three minor-road junctions named in
        docs/network.md.
    frontage_radius_m, frontage_per_km
        An 'A'-road piece is built up (``a_road_built_up``) when at least
        ``frontage_per_km`` postcode nodes per km of it lie within ``frontage_radius_m``
        of its line: addresses line it (v3). 6 per km is where, on the study area, the
        pieces in urban centres (1,500+ inhabitants per km²) that fall below it (4.4 %:
        the bypasses and dual carriageways) and the rural pieces (under 300) that reach
        it (1.0 %) balance best; docs/network.md gives the table.
    land_gap_max_m
        The empty-gap rule drops a link only where the gap may be water: a link lying
        wholly on the land of the ONS boundaries (Lancashire, clipped to the coastline)
        is kept up to this length even across empty moor (v3; design value, see
        docs/network.md).
    settlement_postcodes, settlement_bulge, settlement_reach_m
        A postcode node with at least ``settlement_postcodes`` postcode nodes within
        ``a_road_join_m`` is in a settlement; a settlement within ``settlement_bulge``
        times its link's length of an 'A'-road piece (between ``a_road_join_m`` and
        ``settlement_reach_m``) is joined to the piece's nearest point (v3).
    bbox_27700
        Extent ``(minx, miny, maxx, maxy)``; ``None`` for the whole study area.
    """

    speeds_mph: dict[str, float] = field(
        default_factory=lambda: {
            "urban": BUILT_UP_LIMIT_MPH,
            "suburban": 2.0 / (1.0 / BUILT_UP_LIMIT_MPH + 1.0 / MINOR_ROAD_MPH),
            "rural": MINOR_ROAD_MPH,
            "link": BUILT_UP_LIMIT_MPH,
            "a_road": A_ROAD_RURAL_MPH,
            "a_road_built_up": A_ROAD_BUILT_UP_MPH,
            "motorway": SRN_FREE_FLOW_MPH,
        }
    )
    daytime_ratio_local: float = DAYTIME_RATIO_LOCAL
    daytime_ratio_motorway: float = DAYTIME_RATIO_SRN
    peak_ratio_local: float = PEAK_RATIO_LOCAL
    peak_ratio_motorway: float = PEAK_RATIO_SRN
    weekend_ratio_local: float = WEEKEND_RATIO_LOCAL
    weekend_ratio_motorway: float = WEEKEND_RATIO_SRN
    circuity: float = CIRCUITY
    urban_density: float = 1500.0
    suburban_density: float = 300.0
    density_radius_m: float = 564.19  # sqrt(1e6 / pi): a circle of 1 km²
    residents: int = LANCASHIRE_RESIDENTS_2021
    empty_gap_m: float = 750.0
    tidal_width_m: float = 200.0
    junction_reach_m: float = 2000.0
    junction_links: int = 3
    main_road_circuity: float = MAIN_ROAD_CIRCUITY
    a_road_step_m: float = 500.0
    a_road_join_m: float = 250.0
    motorway_match_m: float = 150.0
    motorway_match_bulge: float = 0.25
    motorway_a_road_m: float = 1000.0
    service_cluster_m: float = 1500.0
    service_a_road_m: float = 1000.0
    service_site_m: float = 250.0
    service_area_m: float = 500.0
    service_max_postcodes: int = 4
    frontage_radius_m: float = 100.0
    frontage_per_km: float = 6.0
    land_gap_max_m: float = 4000.0
    settlement_postcodes: int = 10
    settlement_bulge: float = 0.25
    settlement_reach_m: float = 1000.0
    bbox_27700: tuple[float, float, float, float] | None = None

    def profile_ratios(self) -> dict[str, tuple[float, float]]:
        """(local, motorway) speed / free-flow speed of every speed profile."""
        return {
            "free_flow": (1.0, 1.0),
            "daytime": (self.daytime_ratio_local, self.daytime_ratio_motorway),
            "weekday_peak": (self.peak_ratio_local, self.peak_ratio_motorway),
            "weekend_day": (self.weekend_ratio_local, self.weekend_ratio_motorway),
        }

    def as_dict(self) -> dict[str, Any]:
        """Return the parameters as plain JSON-able values (for the cache key)."""
        out = asdict(self)
        out["speeds_mph"] = {k: round(v, 6) for k, v in sorted(self.speeds_mph.items())}
        if self.bbox_27700 is not None:
            out["bbox_27700"] = [float(v) for v in self.bbox_27700]
        return out
