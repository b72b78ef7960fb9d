"""The road network: the OSM reference path on a hand-written file, and the offline model
on the real study-area data (built once per run into the default cache)."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components, dijkstra

from mapping.errors import ServiceMapError
from mapping.inputs.sources import LANCASHIRE_LAD_CODES, Sources
from mapping.network import (
    PROFILES,
    OfflineParams,
    RoadNetwork,
    build_network,
    journey,
    load_network,
    network_path,
    profile_for,
    snap,
    snap_or_raise,
    to_networkx,
)
from mapping.network import params as netparams
from mapping.network.osm import graph_from_osm_file, graph_to_network
from mapping.study_area import to_27700

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SMALL_OSM = FIXTURES / "network_small.osm"
MILE = 1609.344


# ---- OpenStreetMap path, on a hand-written file ------------------------------------------


@pytest.fixture(scope="module")
def osm_graph() -> nx.MultiDiGraph:
    return graph_from_osm_file(SMALL_OSM)


@pytest.fixture(scope="module")
def osm_net(osm_graph: nx.MultiDiGraph) -> RoadNetwork:
    return graph_to_network(osm_graph)


@pytest.fixture(scope="module")
def small_pbf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import osmium

    path = tmp_path_factory.mktemp("pbf") / "network_small.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    try:
        for obj in osmium.FileProcessor(str(SMALL_OSM)):
            writer.add(obj)
    finally:
        writer.close()
    return path


def _node(net: RoadNetwork, osm_id: int) -> int:
    return net.meta["osm_node_ids"].index(osm_id)


def _edge_attr(graph: nx.MultiDiGraph, u: int, v: int, name: str) -> float:
    return min(float(d[name]) for d in graph.get_edge_data(u, v).values())


def test_osm_keeps_only_public_driving_ways(osm_graph: nx.MultiDiGraph) -> None:
    assert 12 not in osm_graph  # reached only by a private drive
    assert not osm_graph.has_edge(1, 5) and not osm_graph.has_edge(5, 1)  # footway
    assert osm_graph.has_edge(2, 5)


def test_osm_one_way_street_is_respected(osm_graph: nx.MultiDiGraph, osm_net: RoadNetwork) -> None:
    assert osm_graph.has_edge(2, 5) and not osm_graph.has_edge(5, 2)  # Fishergate
    a, b = _node(osm_net, 2), _node(osm_net, 5)
    assert osm_net.seconds["free_flow"][a, b] > 0
    assert osm_net.seconds["free_flow"][b, a] == 0  # no edge against the one-way
    times = dijkstra(osm_net.seconds["free_flow"], indices=[a, b])
    assert times[1, a] > times[0, b] + 30  # back round the block, not straight up


def test_osm_maxspeed_in_mph_is_parsed(osm_graph: nx.MultiDiGraph) -> None:
    # osmnx converts with 1.60934 km per mile.
    king = _edge_attr(osm_graph, 4, 5, "speed_kph")  # maxspeed "20 mph"
    assert king == pytest.approx(20 * 1.609344, rel=1e-5)
    fishergate = _edge_attr(osm_graph, 2, 5, "speed_kph")  # "30 mph"
    assert fishergate == pytest.approx(30 * 1.609344, rel=1e-5)
    # The southbound carriageway has no maxspeed: the 70 mph motorway limit applies.
    assert _edge_attr(osm_graph, 204, 202, "speed_kph") == pytest.approx(70 * 1.609344)
    length = _edge_attr(osm_graph, 4, 5, "length")
    assert _edge_attr(osm_graph, 4, 5, "travel_time") == pytest.approx(length / (king / 3.6))


def test_osm_shortest_paths_agree_with_networkx(
    osm_graph: nx.MultiDiGraph, osm_net: RoadNetwork
) -> None:
    ids = osm_net.meta["osm_node_ids"]
    ours = dijkstra(osm_net.seconds["free_flow"])
    theirs = dict(nx.all_pairs_dijkstra_path_length(osm_graph, weight="travel_time"))
    for (i, a), (j, b) in itertools.product(enumerate(ids), repeat=2):
        assert ours[i, j] == pytest.approx(theirs[a][b], rel=1e-9, abs=1e-6)
    assert osm_net.n_edges == len({(u, v) for u, v in osm_graph.edges()})


def test_osm_daytime_uses_the_dft_ratios(osm_net: RoadNetwork) -> None:
    free, day = osm_net.seconds["free_flow"].data, osm_net.seconds["daytime"].data
    motorway = np.isin(osm_net.highway, ["motorway", "motorway_link"])
    assert np.allclose(free[motorway] / day[motorway], netparams.DAYTIME_RATIO_SRN)
    assert np.allclose(free[~motorway] / day[~motorway], netparams.DAYTIME_RATIO_LOCAL)


def test_osm_motorway_nodes_are_not_snapped_to(osm_net: RoadNetwork) -> None:
    on_motorway = osm_net.node_xy[_node(osm_net, 102)]
    result = snap(osm_net, on_motorway)
    assert result.ok[0] and result.node[0] != _node(osm_net, 102)
    assert result.distance_m[0] > 0


def test_pbf_gives_the_same_network(osm_net: RoadNetwork, small_pbf: Path) -> None:
    from_pbf = graph_to_network(graph_from_osm_file(small_pbf))
    assert from_pbf.meta["osm_node_ids"] == osm_net.meta["osm_node_ids"]
    assert np.allclose(from_pbf.node_xy, osm_net.node_xy)
    for profile in ("free_flow", "daytime"):
        diff = from_pbf.seconds[profile] - osm_net.seconds[profile]
        assert abs(diff).max() < 1e-9
    assert list(from_pbf.highway) == list(osm_net.highway)


def test_unreadable_osm_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.osm"
    bad.write_text("this is not OpenStreetMap XML")
    with pytest.raises(ServiceMapError, match=r"broken\.osm"):
        graph_from_osm_file(bad)
    with pytest.raises(ServiceMapError, match="not found"):
        build_network("osm", osm_file=tmp_path / "missing.osm.pbf", data_dir=tmp_path)


def test_graphml_export_round_trips_through_osmnx(osm_net: RoadNetwork, tmp_path: Path) -> None:
    import osmnx as ox

    graph = to_networkx(osm_net, "daytime")
    assert graph.graph["crs"] == "EPSG:27700"
    path = tmp_path / "small.graphml"
    ox.save_graphml(graph, filepath=path)
    back = ox.load_graphml(path)
    assert back.number_of_nodes() == osm_net.n_nodes
    assert back.number_of_edges() == osm_net.n_edges
    # osmnx can route on it, and gets the network's own times.
    route_time = nx.shortest_path_length(back, 0, osm_net.n_nodes - 1, weight="travel_time")
    ours = dijkstra(osm_net.seconds["daytime"], indices=0)[osm_net.n_nodes - 1]
    assert route_time == pytest.approx(ours, rel=1e-9)
    u, _v, data = next(iter(back.edges(data=True)))
    assert {"length", "travel_time", "highway"} <= set(data)
    assert {"x", "y"} <= set(back.nodes[u])


def test_network_cli_build_info_export(tmp_path: Path, run_cli) -> None:
    # The export goes beside the data folder: nothing is written inside it (issue 8).
    base = ["--source", "osm", "--data-dir", str(tmp_path / "data")]
    code, out, _ = run_cli(["network", "build", *base, "--osm-file", str(SMALL_OSM)])
    assert code == 0 and "osm network built" in out and "12 nodes" in out
    code, out, _ = run_cli(["network", "build", *base, "--osm-file", str(SMALL_OSM)])
    assert code == 0 and "up to date" in out
    code, out, _ = run_cli(["network", "info", *base])
    assert code == 0 and "nodes: 12" in out and "motorway" in out
    target = tmp_path / "out.graphml"
    code, out, _ = run_cli(
        ["network", "export", *base, "--graphml", str(target), "--profile", "daytime"]
    )
    assert code == 0 and target.is_file() and "daytime" in out
    code, _, err = run_cli(
        ["network", "export", *base, "--graphml", str(target), "--profile", "rush"]
    )
    assert code == 1 and "unknown profile" in err


def test_osm_cache_is_reused_and_checked(tmp_path: Path) -> None:
    osm = tmp_path / "copy.osm"
    osm.write_bytes(SMALL_OSM.read_bytes())
    first = build_network("osm", osm_file=osm, data_dir=tmp_path)
    assert not first.meta["from_cache"]
    assert load_network("osm", data_dir=tmp_path).meta["from_cache"]
    # Editing the extract makes the cache stale.
    osm.write_text(osm.read_text().replace('v="20 mph"', 'v="10 mph"'))
    with pytest.raises(ServiceMapError, match="changed"):
        load_network("osm", data_dir=tmp_path, build_if_missing=False)
    rebuilt = load_network("osm", data_dir=tmp_path)
    assert not rebuilt.meta["from_cache"]
    assert rebuilt.seconds["free_flow"].sum() > first.seconds["free_flow"].sum()


# ---- when: speed profiles ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2025, 6, 7, 2, 0), "free_flow"),  # Saturday 02:00
        (datetime(2025, 6, 7, 11, 0), "weekend_day"),  # Saturday 11:00
        (datetime(2025, 6, 8, 18, 59), "weekend_day"),  # Sunday 18:59
        (datetime(2025, 6, 8, 19, 0), "free_flow"),  # Sunday 19:00
        (datetime(2025, 6, 10, 10, 0), "daytime"),  # Tuesday 10:00: inter-peak
        (datetime(2025, 6, 10, 15, 59), "daytime"),
        (datetime(2025, 6, 10, 16, 0), "weekday_peak"),  # evening peak
        (datetime(2025, 6, 10, 7, 0), "weekday_peak"),  # morning peak
        (datetime(2025, 6, 10, 9, 59), "weekday_peak"),
        (datetime(2025, 6, 10, 6, 59), "free_flow"),
        (datetime(2025, 6, 10, 19, 0), "free_flow"),
        (datetime(2025, 7, 1, 6, 30, tzinfo=UTC), "weekday_peak"),  # Tuesday 07:30 BST
        (datetime(2025, 7, 1, 9, 30, tzinfo=UTC), "daytime"),  # Tuesday 10:30 BST
        (datetime(2025, 1, 7, 6, 30, tzinfo=UTC), "free_flow"),  # 06:30 GMT
    ],
)
def test_profile_for(when: datetime, expected: str) -> None:
    assert profile_for(when) == expected


def test_cited_speed_figures_hold() -> None:
    # DfT SRN delay is measured against the limits: its zero-delay speed is the 70 mph limit.
    assert 69.0 < netparams.SRN_FREE_FLOW_MPH <= 70.0
    assert 36.0 < netparams.LOCAL_A_FREE_FLOW_MPH < 37.5
    speeds = OfflineParams().speeds_mph
    assert (
        speeds["urban"]
        < speeds["suburban"]
        < speeds["rural"]
        < netparams.SINGLE_CARRIAGEWAY_LIMIT_MPH
    )
    assert speeds["motorway"] <= netparams.MOTORWAY_LIMIT_MPH


# ---- the offline network on the real data ----------------------------------------------


@pytest.fixture(scope="session")
def offline() -> RoadNetwork:
    """The study-area network from the default cache (built once if missing or stale)."""
    return load_network("offline")


@pytest.fixture(scope="session")
def postcode_xy(sources: Sources):
    table = sources.read_codepoint(areas=["FY", "PR", "M", "LA", "BB", "L", "WN", "BL"])
    return table.set_index("postcode")[["easting", "northing"]]


def _minutes(net: RoadNetwork, a: np.ndarray, b: np.ndarray, profile: str = "free_flow") -> float:
    return journey(net, np.asarray(a, float), np.asarray(b, float), profile).minutes


def _xy(postcode_xy, code: str) -> np.ndarray:
    return postcode_xy.loc[code].to_numpy(float)


def test_offline_is_one_component_covering_every_lancashire_postcode(
    offline: RoadNetwork, sources: Sources
) -> None:
    n_comp, _ = connected_components(offline.seconds["free_flow"], connection="strong")
    assert n_comp == 1
    table = sources.read_codepoint(areas=["PR", "BB", "FY", "LA", "L", "WN", "BL", "OL", "BD"])
    lancs = table[table["district_code"].isin(LANCASHIRE_LAD_CODES)]
    assert len(lancs) > 40_000
    result = snap(offline, lancs[["easting", "northing"]].to_numpy(float))
    # Every Lancashire postcode is itself a node of the (single) component.
    assert result.ok.all() and np.all(result.distance_m == 0)
    assert offline.meta["lancashire_postcode_nodes_outside_main_component"] == 0


def test_offline_no_link_across_the_ribble_estuary(offline: RoadNetwork, postcode_xy) -> None:
    lytham, southport = _xy(postcode_xy, "FY8 5LA"), _xy(postcode_xy, "PR8 1AA")
    assert np.hypot(*(lytham - southport)) < 11_000  # 6 miles apart across the water
    # ... but the drive goes round by Preston.
    assert _minutes(offline, lytham, southport) > 40


def test_offline_no_link_across_the_wyre(offline: RoadNetwork, postcode_xy) -> None:
    knott_end, fleetwood = _xy(postcode_xy, "FY6 0AA"), _xy(postcode_xy, "FY7 6AA")
    assert np.hypot(*(knott_end - fleetwood)) < 1000  # a foot ferry apart
    assert _minutes(offline, knott_end, fleetwood) > 15  # by road over Shard Bridge


def test_offline_no_link_across_morecambe_bay(offline: RoadNetwork, postcode_xy) -> None:
    morecambe, grange = _xy(postcode_xy, "LA4 4AA"), _xy(postcode_xy, "LA11 6AA")
    assert np.hypot(*(morecambe - grange)) < 14_000  # 8.6 miles across the bay
    # Only a railway viaduct crosses the Kent channel: by road it is round by Levens.
    assert _minutes(offline, morecambe, grange) > 35


def test_offline_preston_to_manchester_is_plausible(offline: RoadNetwork, postcode_xy) -> None:
    rph, st_marys = _xy(postcode_xy, "PR2 9HT"), _xy(postcode_xy, "M13 9WL")
    night = _minutes(offline, rph, st_marys, "free_flow")
    day = _minutes(offline, rph, st_marys, "daytime")
    # 30 miles as the crow flies: at 70 mph throughout it would take 26 minutes.
    assert 30 < night < 60
    assert night < day < 75


def test_offline_blackpool_to_preston(offline: RoadNetwork) -> None:
    blackpool = np.array(to_27700(-3.036, 53.818))
    preston = np.array(to_27700(-2.699, 53.759))
    night = _minutes(offline, blackpool, preston, "free_flow")
    assert 15 < night < 35
    assert night < _minutes(offline, blackpool, preston, "daytime") < 45


def test_offline_penrith_to_preston_matches_the_68_miles(offline: RoadNetwork, postcode_xy) -> None:
    penrith = np.array(to_27700(-2.752, 54.664))
    trip = journey(offline, penrith, _xy(postcode_xy, "PR2 9HT"), "free_flow")
    # ITV Border: the nearest SARC before 2015 was "68 miles away in Preston".
    assert 61 < trip.miles < 75
    assert 50 < trip.minutes < 80


def test_offline_motorways_are_faster_than_local_roads(offline: RoadNetwork) -> None:
    for profile in ("free_flow", "daytime"):
        mps = offline.length_m.data / offline.seconds[profile].data
        motorway = offline.highway == "motorway"
        local = np.isin(offline.highway, ["urban", "suburban", "rural"])
        assert motorway.sum() > 1000 and local.sum() > 100_000
        assert mps[motorway].min() > mps[local].max()
        assert set(np.unique(offline.highway)) == {
            "motorway",
            "a_road",
            "a_road_built_up",
            "link",
            "urban",
            "suburban",
            "rural",
        }
        a_road = offline.highway == "a_road"
        assert mps[a_road].min() > mps[local].max()


def test_offline_daytime_is_slower_everywhere(offline: RoadNetwork) -> None:
    ratio = offline.seconds["free_flow"].data / offline.seconds["daytime"].data
    motorway = offline.highway == "motorway"
    assert np.allclose(ratio[motorway], netparams.DAYTIME_RATIO_SRN)
    assert np.allclose(ratio[~motorway], netparams.DAYTIME_RATIO_LOCAL)


def test_offline_profiles_follow_their_ratios(offline: RoadNetwork) -> None:
    """Every profile is free flow divided by its (local, motorway) ratio, edge by edge."""
    assert tuple(offline.seconds) == PROFILES
    free = offline.seconds["free_flow"].data
    motorway = offline.highway == "motorway"
    for profile, (local, on_motorway) in netparams.PROFILE_RATIOS.items():
        ratio = free / offline.seconds[profile].data
        assert np.allclose(ratio[motorway], on_motorway)
        assert np.allclose(ratio[~motorway], local)
    # Slowest to fastest: weekday peak, inter-peak, weekend day, night.
    seconds = {p: offline.seconds[p].data for p in PROFILES}
    assert np.all(seconds["weekday_peak"] >= seconds["daytime"] - 1e-9)
    assert np.all(seconds["daytime"] > seconds["weekend_day"])
    assert np.all(seconds["weekend_day"] > seconds["free_flow"])


def test_snapping_far_from_any_road_raises(offline: RoadNetwork) -> None:
    irish_sea = np.array([[300_000.0, 430_000.0]])
    result = snap(offline, irish_sea)
    assert not result.ok[0] and result.node[0] == -1
    with pytest.raises(ServiceMapError, match="Buoy 7"):
        snap_or_raise(offline, irish_sea, labels=["Buoy 7"])
    # A postcode's own grid reference is a node: zero distance, zero access time.
    on_node = offline.node_xy[np.flatnonzero(offline.snappable)[100]]
    near = snap_or_raise(offline, np.vstack([on_node, on_node + np.array([300.0, 0.0])]))
    assert near.distance_m[0] == 0 and near.seconds[0] == 0
    assert near.seconds[1] == pytest.approx(
        near.distance_m[1] * netparams.CIRCUITY / netparams.mph_to_mps(netparams.ACCESS_SPEED_MPH)
    )
    # Snapping never lands on a motorway node (no junction there).
    assert offline.snappable[near.node].all()


# ---- cache behaviour, on a small box so each build takes a second ------------------------

PRESTON_BOX = (350_000.0, 425_000.0, 358_000.0, 433_000.0)


def test_offline_cache_reuse_and_rebuild(tmp_path: Path, sources: Sources) -> None:
    params = OfflineParams(bbox_27700=PRESTON_BOX)
    first = build_network("offline", sources=sources, data_dir=tmp_path, params=params)
    assert not first.meta["from_cache"]
    cache = network_path("offline", tmp_path)
    stamp = cache.stat().st_mtime_ns
    again = load_network("offline", sources=sources, data_dir=tmp_path, params=params)
    assert again.meta["from_cache"] and cache.stat().st_mtime_ns == stamp
    assert load_network("offline", sources=sources, data_dir=tmp_path, params=params) is again
    assert again.n_edges == first.n_edges
    assert abs(again.seconds["daytime"] - first.seconds["daytime"]).max() == 0
    changed = OfflineParams(bbox_27700=PRESTON_BOX, circuity=1.3)
    with pytest.raises(ServiceMapError, match="out of date"):
        load_network(
            "offline", sources=sources, data_dir=tmp_path, params=changed, build_if_missing=False
        )
    rebuilt = load_network("offline", sources=sources, data_dir=tmp_path, params=changed)
    assert not rebuilt.meta["from_cache"] and cache.stat().st_mtime_ns != stamp
    local = np.isin(rebuilt.highway, ["urban", "suburban", "rural", "link"])
    assert np.allclose(rebuilt.length_m.data[local], first.length_m.data[local] * 1.3 / 1.2)
    # One network object per version of the cache file in a process (the drive-time
    # vectors searched on it are shared by every engine on it): the rebuilt file is read
    # anew, then shared.
    read = load_network("offline", sources=sources, data_dir=tmp_path, params=changed)
    assert read is not again and read.meta["from_cache"]
    assert load_network("offline", sources=sources, data_dir=tmp_path, params=changed) is read


def test_interrupted_build_leaves_the_old_cache_untouched(
    tmp_path: Path, sources: Sources, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = OfflineParams(bbox_27700=PRESTON_BOX)
    build_network("offline", sources=sources, data_dir=tmp_path, params=params)
    cache = network_path("offline", tmp_path)
    before = cache.read_bytes()
    record = Path(f"{cache}.meta.json").read_bytes()

    def half_written(self: RoadNetwork, target: os.PathLike[str]) -> None:
        Path(target).write_bytes(b"PK\x03\x04 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(RoadNetwork, "save", half_written)
    with pytest.raises(KeyboardInterrupt):
        build_network("offline", sources=sources, data_dir=tmp_path, params=params, force=True)
    assert cache.read_bytes() == before
    # No temporary file left, and the build record of the good file is kept (issue 8,
    # defect 4: a failed build changes nothing saved) ...
    assert sorted(p.name for p in cache.parent.iterdir()) == [
        "offline.npz",
        "offline.npz.meta.json",
    ]
    assert Path(f"{cache}.meta.json").read_bytes() == record
    monkeypatch.undo()
    # ... so the old cache, checked against its record, is still used as it is.
    assert load_network("offline", sources=sources, data_dir=tmp_path, params=params).meta[
        "from_cache"
    ]


def test_unknown_source_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ServiceMapError, match="unknown network source"):
        load_network("google", data_dir=tmp_path)
    with pytest.raises(ServiceMapError, match="no OpenStreetMap network"):
        load_network("osm", data_dir=tmp_path)
