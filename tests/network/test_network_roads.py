"""The 'A'-road layer and the service-area rule of the offline network (issue 10)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from mapping.inputs.sources import SourceError, Sources
from mapping.network import RoadNetwork, load_network, snap_or_raise
from mapping.network import params as netparams
from mapping.network.major_roads import (
    a_road_layer,
    motorway_link_mask,
    read_major_roads,
    service_area_ends,
)
from mapping.network.offline import _tidal_core
from mapping.network.params import OfflineParams
from mapping.network.validate import CHECKS, RULE_CHECKS, check_points

PARAMS = OfflineParams()

# ---- cited figures ------------------------------------------------------------------------


def test_main_road_circuity_is_road_length_over_straight_length(sources: Sources) -> None:
    # DfT Road lengths 2018: 31,800 miles of major road; the MRDB 2018 lines of the same
    # roads, junction to junction, are what the file holds.
    ends = read_major_roads(sources)
    assert len(ends) == 18_193
    straight_miles = np.hypot(*(ends[:, 1] - ends[:, 0]).T).sum() / 1609.344
    assert straight_miles == pytest.approx(netparams.MRDB_2018_STRAIGHT_MILES, abs=0.1)
    assert pytest.approx(31_800 / straight_miles) == netparams.MAIN_ROAD_CIRCUITY
    assert 1.10 < netparams.MAIN_ROAD_CIRCUITY < 1.12
    assert netparams.MAIN_ROAD_CIRCUITY < netparams.CIRCUITY  # a road between its own junctions


def test_speeds_by_road_class_follow_the_cited_figures() -> None:
    speeds = PARAMS.speeds_mph
    assert speeds["a_road"] == 50.0  # DfT 2019: free-flow cars on NSL single carriageways
    assert speeds["a_road_built_up"] == 31.0  # DfT 2019: free-flow cars on 30 mph roads
    assert speeds["rural"] == pytest.approx(40.0 * 50.0 / 60.0)  # minor: 40 mph x 50/60
    assert speeds["urban"] < speeds["suburban"] < speeds["rural"] < speeds["a_road"]
    assert speeds["a_road"] < speeds["motorway"] <= netparams.MOTORWAY_LIMIT_MPH


def test_no_chain_of_minor_links_beats_the_a_road_beside_it() -> None:
    """Per straight metre, minor links (1.2 circuity) are slower than the 'A' road (1.11)."""
    speeds = PARAMS.speeds_mph
    a_rural = speeds["a_road"] / PARAMS.main_road_circuity
    a_town = speeds["a_road_built_up"] / PARAMS.main_road_circuity
    for minor in ("rural", "suburban"):
        assert speeds[minor] / PARAMS.circuity < a_rural
    assert speeds["urban"] / PARAMS.circuity < a_town  # 25.0 < 27.9 straight-line mph


# ---- hand-worked examples of the rules ---------------------------------------------------


def test_motorway_links_are_told_apart_by_matching_the_motorways() -> None:
    motorway = np.array([shapely.linestrings([[0, 0], [5000, 300], [10_000, 0]])])
    ends = np.array(
        [
            [[1000, 60], [9000, 60]],  # along the motorway (bulge 240 m < 150 + 0.25 x 8 km)
            [[1000, 700], [9000, 700]],  # a parallel road 400-640 m away
            [[5000, 300], [5000, 3300]],  # a road leaving a junction at right angles
        ],
        dtype=float,
    )
    assert motorway_link_mask(ends, motorway, PARAMS).tolist() == [True, False, False]


def _cluster(centre: tuple[float, float], n: int, spread: float = 60.0) -> np.ndarray:
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    radius = spread * (1 + np.arange(n) % 3) / 3
    return np.c_[centre[0] + radius * np.cos(angle), centre[1] + radius * np.sin(angle)]


def test_a_road_is_cut_joined_in_the_village_it_passes_and_not_in_open_country() -> None:
    # One 'A' road 3 km long; a village of 30 postcodes 100 m north of its 1,000 m mark;
    # a farm 1.5 km south of its middle.
    village = _cluster((1000.0, 100.0), 30)
    farm = np.array([[1500.0, -1500.0]])
    pc_xy = np.vstack([village, farm])
    tree = cKDTree(pc_xy)
    ends = np.array([[[0.0, 0.0], [3000.0, 0.0]]])
    per_postcode = 37.7  # residents per postcode (Census 2021 / Code-Point Open)
    layer = a_road_layer(ends, np.array([False]), pc_xy, tree, PARAMS, per_postcode)
    # Cut every 500 m (5 cut points); the two settlement joins (v3) fall on cut points.
    assert layer.n_junctions == 2 and len(layer.node_xy) == 2 + 5
    assert np.allclose(layer.piece_length_m[:6], 500.0 * PARAMS.main_road_circuity)
    # The village lines the pieces either side of the 1,000 m mark: about half its 30
    # postcodes lie within 100 m of each, 30 per km or more (>= 6 per km: built up).
    built_up_pieces = layer.node_xy[layer.pieces[layer.piece_built_up]].mean(axis=1)[:, 0]
    assert set(np.round(built_up_pieces)) == {750.0, 1250.0}
    cut_joins = layer.join_a[layer.join_a >= layer.n_junctions]
    # The cut in the village (density rule), and the village joined at the nearest point
    # of each open piece within 750 m (0.25 x the 3 km link): their ends at 500 and 1,500
    # m. The farm (one postcode) is no settlement.
    assert sorted(layer.node_xy[cut_joins][:, 0]) == [500.0, 1000.0, 1500.0]
    assert layer.n_settlement_joins == 2
    # Junctions join their 3 nearest postcodes within 2 km: the west end reaches the village.
    west = layer.join_pc[layer.join_a == 0]
    assert len(west) == 3 and np.all(west < len(village))


def test_service_area_rule() -> None:
    """A site of slip-road ends is a service area only where the rule says so."""
    ends = np.array([[0.0, 0.0], [0.0, 300.0]])  # one site: two slip-road ends
    services = np.array([[120.0, 150.0]])  # the services' own postcode
    far_a_road = np.array([[3000.0, 0.0]])
    near_a_road = np.array([[500.0, 150.0]])

    def rule(postcodes: np.ndarray, a_roads: np.ndarray) -> list[bool]:
        return service_area_ends(ends, a_roads, cKDTree(postcodes), PARAMS).tolist()

    assert rule(services, far_a_road) == [True, True]
    assert rule(services, near_a_road) == [False, False]  # an 'A' road meets it: junction
    village = np.vstack([services, _cluster((250.0, 150.0), 8, 150.0)])
    assert rule(village, far_a_road) == [False, False]  # a village: a minor-road junction
    open_country = np.array([[900.0, 150.0]])
    assert rule(open_country, far_a_road) == [False, False]  # no site: a minor-road junction


def test_a_bad_major_road_file_names_the_row(tmp_path: Path) -> None:
    folder = tmp_path / "dft-major-roads"
    folder.mkdir()
    lines = [shapely.linestrings([[0, 0], [10, 0]]), shapely.linestrings([[0, 0], [5, 5], [9, 0]])]
    gpd.GeoDataFrame(geometry=lines, crs=27700).to_file(folder / "2018-MRDB-minimal.shp")
    with pytest.raises(SourceError, match="row 1, field geometry: a link has 3 points"):
        read_major_roads(Sources(root=tmp_path, origin="test"))


# ---- on the study-area network -----------------------------------------------------------

#: Centres of the OS Open Roads slip-road ends at each motorway service area.
SERVICE_AREAS = {
    "Forton (M6)": (350245.0, 452017.0),
    "Charnock Richard (M6)": (354470.0, 415231.0),
    "Rivington (M61)": (362119.0, 411670.0),
    "Burton-in-Kendal (M6)": (352117.0, 476055.0),
    "Killington Lake (M6)": (358667.0, 491134.0),
    "Tebay (M6)": (360646.0, 506179.0),
    "Southwaite (M6)": (344160.0, 545129.0),
}
#: Junctions onto minor roads that must stay junctions.
MINOR_ROAD_JUNCTIONS = {
    "M55 J2 (Preston Western Distributor)": (348963.0, 434045.0),
    "M6 J31A (Goss Lane, B6242)": (356541.0, 432797.0),
    "M6 J41 (B5305)": (349067.0, 533452.0),
}


@pytest.fixture(scope="module")
def offline() -> RoadNetwork:
    return load_network("offline")


def _exits(net: RoadNetwork) -> np.ndarray:
    """Motorway nodes with a ``link`` edge: the places a journey can leave the motorway."""
    tail, _head = net.edges()
    on_motorway = np.zeros(net.n_nodes, dtype=bool)
    on_motorway[tail[net.highway == "motorway"]] = True
    link = net.highway == "link"
    return np.unique(tail[link][on_motorway[tail[link]]])


def test_service_areas_are_not_motorway_exits(offline: RoadNetwork) -> None:
    exits = offline.node_xy[_exits(offline)]
    tree = cKDTree(exits)
    for name, xy in SERVICE_AREAS.items():
        assert not tree.query_ball_point(xy, r=700.0), f"{name} is a motorway exit"
    for name, xy in MINOR_ROAD_JUNCTIONS.items():
        assert tree.query_ball_point(xy, r=700.0), f"{name} lost its junction"
    assert offline.meta["motorway_service_area_ends"] == 24  # 7 sites + the cut M6 at the box


def _route(net: RoadNetwork, a: np.ndarray, b: np.ndarray, profile: str) -> list[int]:
    snapped = snap_or_raise(net, np.vstack([a, b]))
    o, d = int(snapped.node[0]), int(snapped.node[1])
    _, pred = dijkstra(net.seconds[profile], indices=o, return_predecessors=True)
    path = [d]
    while path[-1] != o:
        path.append(int(pred[path[-1]]))
    return path[::-1]


def test_no_journey_leaves_the_motorway_at_a_service_area(
    offline: RoadNetwork, sources: Sources
) -> None:
    """Every check journey, and a journey from each service area's own postcode."""
    service_tree = cKDTree(np.array(list(SERVICE_AREAS.values())))
    xy = check_points(sources)
    routes = [
        _route(offline, xy[str(c.origin)], xy[str(c.dest)], p)
        for c in CHECKS
        for p in ("free_flow", "daytime")
    ]
    # From beside each service area to Preston: the route must go round by a junction.
    preston = xy[str(CHECKS[2].dest)]
    routes += [_route(offline, np.array(s), preston, "free_flow") for s in SERVICE_AREAS.values()]
    tail, _head = offline.edges()
    is_motorway_node = np.zeros(offline.n_nodes, dtype=bool)
    is_motorway_node[tail[offline.highway == "motorway"]] = True
    for path in routes:
        nodes = np.array(path)
        moves = is_motorway_node[nodes[:-1]] != is_motorway_node[nodes[1:]]
        for i in np.flatnonzero(moves):  # on or off the motorway
            where = offline.node_xy[nodes[i] if is_motorway_node[nodes[i]] else nodes[i + 1]]
            dist, _ = service_tree.query(where)
            assert dist > 1500, f"a journey joins or leaves the motorway at {where}"
    assert len(routes) == 2 * len(CHECKS) + len(SERVICE_AREAS)


def test_a_road_joins_never_cross_tidal_water(offline: RoadNetwork, sources: Sources) -> None:
    tail, head = offline.edges()
    a_node = np.zeros(offline.n_nodes, dtype=bool)
    a_node[tail[np.isin(offline.highway, ["a_road", "a_road_built_up"])]] = True
    lancs = load_lancashire_nodes(offline, sources)
    joins = (offline.highway == "link") & a_node[tail] & lancs[head]
    assert joins.sum() > 1000
    core = _tidal_core(sources, PARAMS.tidal_width_m)
    segments = shapely.linestrings(
        np.stack([offline.node_xy[tail[joins]], offline.node_xy[head[joins]]], axis=1)
    )
    assert not shapely.intersects(core, segments).any()
    assert offline.meta["a_road_joins_dropped_tidal"] >= 1  # the rule had work to do


def load_lancashire_nodes(net: RoadNetwork, sources: Sources) -> np.ndarray:
    """Nodes that hold a Lancashire postcode (by exact grid reference)."""
    from mapping.inputs.sources import LANCASHIRE_LAD_CODES

    table = sources.read_codepoint(areas=["PR", "BB", "FY", "LA", "L", "WN", "BL", "OL", "BD"])
    table = table[table["district_code"].isin(LANCASHIRE_LAD_CODES)]
    dist, node = cKDTree(net.node_xy).query(table[["easting", "northing"]].to_numpy(float))
    mask = np.zeros(net.n_nodes, dtype=bool)
    mask[node[dist == 0]] = True
    return mask & np.asarray(net.snappable, dtype=bool)


@pytest.mark.parametrize(
    ("start", "classes"),
    [
        ("Lytham", ("a_road", "a_road_built_up")),  # A584/A59/A565 round the Ribble
        ("Morecambe", ("a_road", "a_road_built_up", "motorway")),  # M6 J35, A590 round the bay
    ],
)
def test_a_roads_carry_the_journeys_round_the_estuaries(
    offline: RoadNetwork, sources: Sources, start: str, classes: tuple[str, ...]
) -> None:
    xy = check_points(sources)
    check = next(c for c in CHECKS if c.name.startswith(start))
    path = np.array(_route(offline, xy[str(check.origin)], xy[str(check.dest)], "free_flow"))
    lengths = np.asarray(offline.length_m[path[:-1], path[1:]]).ravel()
    tail, head = offline.edges()
    order = np.lexsort((head, tail))
    key = tail[order] * offline.n_nodes + head[order]
    found = np.searchsorted(key, path[:-1] * offline.n_nodes + path[1:])
    on_class = np.isin(offline.highway[order][found], classes)
    assert lengths[on_class].sum() > 0.7 * lengths.sum()


# ---- GraphML export: progress and size -----------------------------------------------------


def test_graphml_size_estimate_matches_the_file(tmp_path: Path) -> None:
    from mapping.network import build_network
    from mapping.network.export import estimate_graphml_bytes, save_graphml

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "network_small.osm"
    net = build_network("osm", osm_file=fixture, data_dir=tmp_path)
    # 20 of its 27 edges: the estimate extrapolates from them to every edge.
    estimate = estimate_graphml_bytes(net, sample_edges=20)
    written = save_graphml(net, tmp_path / "small.graphml", progress=True).stat().st_size
    assert estimate == pytest.approx(written, rel=0.1)
    assert estimate_graphml_bytes(net, sample_edges=10_000) == pytest.approx(written, rel=0.01)


def test_the_cache_key_holds_the_major_road_files_and_the_new_parameters(
    sources: Sources,
) -> None:
    from mapping.network import _offline_inputs

    inputs = _offline_inputs(sources, PARAMS)
    assert {
        "dft-major-roads/2018-MRDB-minimal.shp",
        "dft-major-roads/2018-MRDB-minimal.shx",
        "dft-major-roads/2018-MRDB-minimal.prj",
    } <= set(inputs["checksums"])
    assert inputs["model_version"] == 3
    changed = _offline_inputs(sources, OfflineParams(a_road_step_m=400.0))
    assert changed["params"] != inputs["params"]


def test_network_info_checks_prints_the_before_and_after_table(run_cli) -> None:
    code, out, _ = run_cli(["network", "info", "--checks"])
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("| ")]
    assert lines[0].startswith("| journey | straight mi | road mi v2 → v3")
    rules = lines.index(next(line for line in lines if line.startswith("| journey | rule")))
    assert rules == 1 + len(CHECKS)  # the header and one row per journey, then the rules
    assert len(lines) == rules + 1 + len(RULE_CHECKS)
    assert all(line.endswith("| yes |") for line in lines[rules + 1 :])
    penrith = next(line for line in lines if line.startswith("| Penrith"))
    assert "| 66.9 → " in penrith and "68 miles away in Preston" in penrith
    assert "a_road 50.0" in out and "motorway_service_area_ends: 24" in out


def test_service_area_rule_without_any_a_road() -> None:
    ends = np.array([[0.0, 0.0], [0.0, 300.0]])
    services = cKDTree(np.array([[120.0, 150.0]]))
    assert service_area_ends(ends, np.zeros((0, 2)), services, PARAMS).tolist() == [True, True]
