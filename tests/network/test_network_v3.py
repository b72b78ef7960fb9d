"""Road network v3 (issue 22): the three build rules and the speed profiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from scipy.spatial import cKDTree

from mapping.inputs.sources import Sources
from mapping.network import RoadNetwork, load_network
from mapping.network import params as netparams
from mapping.network.major_roads import a_road_layer, frontage_per_km, settlement_joins
from mapping.network.offline import empty_gap_rule
from mapping.network.params import OfflineParams
from mapping.network.profiles import profile_of
from mapping.network.validate import RULE_CHECKS, V2_RULE_RESULTS, run_rule_checks

PARAMS = OfflineParams()
PER_POSTCODE = 37.7  # residents per postcode (Census 2021 / Code-Point Open)


def _grid(x0: float, y0: float, x1: float, y1: float, step: float) -> np.ndarray:
    xs, ys = np.meshgrid(np.arange(x0, x1 + 1, step), np.arange(y0, y1 + 1, step))
    return np.c_[xs.ravel(), ys.ravel()]


# ---- rule 1: built up from the addresses along the piece -----------------------------------


def test_frontage_counts_the_postcodes_within_100_m_of_the_piece() -> None:
    pc = np.array([[100, 50], [500, -90], [900, 99], [500, 150], [1200, 0]], dtype=float)
    tree = cKDTree(pc)
    a, b = np.array([[0.0, 0.0]]), np.array([[1000.0, 0.0]])
    # (100, 50), (500, -90) and (900, 99) are within 100 m; (500, 150) is 150 m off and
    # (1200, 0) is 200 m past the end: 3 postcodes along 1 km.
    assert frontage_per_km(tree, a, b, 100.0).tolist() == [3.0]
    # A 100 m piece with one postcode beside it counts as 250 m long: 4 per km.
    one = cKDTree(np.array([[50.0, 10.0]]))
    assert frontage_per_km(one, a, np.array([[100.0, 0.0]]), 100.0).tolist() == [4.0]


def test_a_bypass_beside_a_town_runs_at_the_rural_speed_its_high_street_does_not() -> None:
    # A town of postcodes every 50 m over x 0-1,000, y 300-1,300; a bypass along y = 0 and
    # a high street along y = 800, both 1 km.
    town = _grid(0, 300, 1000, 1300, 50)
    tree = cKDTree(town)
    ends = np.array([[[0.0, 0.0], [1000.0, 0.0]], [[0.0, 800.0], [1000.0, 800.0]]])
    layer = a_road_layer(ends, np.array([False, False]), town, tree, PARAMS, PER_POSTCODE)
    mid_y = layer.node_xy[layer.pieces].mean(axis=1)[:, 1]
    assert not layer.piece_built_up[mid_y == 0.0].any()  # no address within 100 m
    assert layer.piece_built_up[mid_y == 800.0].all()  # 5 rows of 21: 105 per km
    # The v2 rule, by the density of the 1 km² circle, made the bypass built up: the town
    # puts 200+ postcodes (7,500 residents) inside it, far over 300 per km².
    circle = tree.query_ball_point([500.0, 0.0], r=PARAMS.density_radius_m, return_length=True)
    assert circle * PER_POSTCODE / 1.0 >= PARAMS.suburban_density


# ---- rule 2: the empty-gap rule only over water -------------------------------------------


def test_empty_gap_rule_keeps_a_moor_road_on_land_and_drops_water_crossings() -> None:
    pc = np.array([[0, 0], [0, 100], [-100, 50], [3000, 0], [3000, 100], [3100, 50], [5000, 0]])
    tree = cKDTree(pc.astype(float))
    a = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 100.0]])
    b = np.array([[3000.0, 0.0], [5000.0, 0.0], [0.0, 0.0]])
    # Link 0: 3 km with 1.5 km of nobody in the middle; link 1: 5 km; link 2: 100 m.
    land = shapely.box(-1000, -1000, 6000, 1000)
    dropped, on_land = empty_gap_rule(tree, a, b, land, PARAMS)
    assert on_land.tolist() == [True, False, False]  # the moor road is kept
    assert dropped.tolist() == [False, True, False]  # 5 km is over land_gap_max_m (4 km)
    # A channel of water across the middle: the same link crosses it and is dropped.
    channel = land.difference(shapely.box(1400, -1100, 1600, 1100))
    dropped, on_land = empty_gap_rule(tree, a, b, channel, PARAMS)
    assert dropped.tolist() == [True, True, False] and not on_land.any()
    # Without land polygons (outside Lancashire) the v2 rule holds: both long links go.
    dropped, _ = empty_gap_rule(tree, a, b, None, PARAMS)
    assert dropped.tolist() == [True, True, False]


# ---- rule 3: settlements joined to their 'A' road -------------------------------------------


def _village(centre: tuple[float, float], n: int, spread: float = 60.0) -> np.ndarray:
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.c_[centre[0] + spread * np.cos(angle), centre[1] + spread * np.sin(angle)]


def test_a_village_beside_a_winding_roads_line_is_joined_at_its_nearest_point() -> None:
    # A 4 km link, cut into 8 pieces; a village of 12 postcodes 700 m off its 2,100 m mark
    # (the road bends through it: a straight line between junctions stands off by up to
    # 0.2 of its length); a farm 300 m off at 3,500 m.
    village = _village((2100.0, 700.0), 12)
    farm = np.array([[3500.0, 300.0]])
    pc = np.vstack([village, farm])
    tree = cKDTree(pc)
    ends = np.array([[[0.0, 0.0], [4000.0, 0.0]]])
    layer = a_road_layer(ends, np.array([False]), pc, tree, PARAMS, PER_POSTCODE)
    joined = layer.join_a >= layer.n_junctions  # joins off the junctions
    assert joined.sum() == layer.n_settlement_joins > 0
    assert set(layer.join_pc[joined]) <= set(range(len(village)))  # never the farm
    # The shortest join: the village's nearest postcode (2100, 640) to a new node splitting
    # the 2,000-2,500 m piece straight below it, 640 m x the 1.2 circuity.
    best = np.argmin(np.where(joined, layer.join_length_m, np.inf))
    assert layer.join_a[best] == 2 + 7  # the first node after the junctions and cuts
    assert layer.node_xy[layer.join_a[best]] == pytest.approx([2100.0, 0.0])
    assert layer.join_length_m[best] == pytest.approx(640.0 * PARAMS.circuity)
    # The split piece's halves add up to it: 100 m and 400 m of road.
    halves = layer.piece_length_m[np.any(layer.pieces == 2 + 7, axis=1)]
    assert sorted(halves) == pytest.approx(np.array([100.0, 400.0]) * PARAMS.main_road_circuity)
    # Pieces whose nearest point is their end are joined at that cut node: no new node.
    assert len(layer.node_xy) == 2 + 7 + 1
    # v2 joined it nowhere: no cut point's 1 km² circle is built up (the farm's one
    # postcode is 37.7 residents per km², the village is beyond 564 m of every cut).
    counts = tree.query_ball_point(layer.node_xy[2:9], r=PARAMS.density_radius_m)
    assert max(len(hits) for hits in counts) * PER_POSTCODE < PARAMS.suburban_density


def test_settlement_joins_need_a_settlement_and_stay_within_reach() -> None:
    village = _village((500.0, 400.0), 12, 40.0)
    tree = cKDTree(village)
    a, b = np.array([[0.0, 0.0]]), np.array([[1000.0, 0.0]])
    # Reach: 0.25 x a 1 km link is 250 m (the a_road_join_m floor): 360 m is too far.
    assert len(settlement_joins(tree, a, b, np.array([1000.0]), PARAMS)[0]) == 0
    # On a 2 km link the reach is 500 m: joined at the foot of the nearest postcode.
    piece, frac, _node, dist = settlement_joins(tree, a, b, np.array([2000.0]), PARAMS)
    assert piece.tolist() == [0] and frac[0] == pytest.approx(0.5)
    assert dist[0] == pytest.approx(360.0)
    few = OfflineParams(settlement_postcodes=13)  # 12 postcodes: a hamlet, not joined
    assert len(settlement_joins(tree, a, b, np.array([2000.0]), few)[0]) == 0


# ---- speed profiles ---------------------------------------------------------------------


def test_profile_ratios_follow_the_cited_and_inferred_figures() -> None:
    assert pytest.approx(24.4 / netparams.LOCAL_A_FREE_FLOW_MPH) == netparams.PEAK_RATIO_LOCAL
    assert netparams.PEAK_RATIO_SRN == netparams.DAYTIME_RATIO_SRN  # inferred: no SRN figure
    # Weekend day, inferred: half the all-period delay per mile.
    weekend_s_per_mile = 3600 / netparams.LOCAL_A_FREE_FLOW_MPH + 43.2 / 2
    assert (
        pytest.approx(3600 / weekend_s_per_mile)
        == netparams.WEEKEND_RATIO_LOCAL * netparams.LOCAL_A_FREE_FLOW_MPH
    )
    local = [netparams.PROFILE_RATIOS[p][0] for p in ("weekday_peak", "daytime", "weekend_day")]
    assert local == sorted(local) and local[-1] < 1.0
    assert PARAMS.profile_ratios() == netparams.PROFILE_RATIOS


def test_profile_of_every_hour_of_the_week() -> None:
    week = [[profile_of(day, hour) for hour in range(24)] for day in range(7)]
    weekday = ["free_flow"] * 7 + ["weekday_peak"] * 3 + ["daytime"] * 6
    weekday += ["weekday_peak"] * 3 + ["free_flow"] * 5
    weekend = ["free_flow"] * 7 + ["weekend_day"] * 12 + ["free_flow"] * 5
    assert week == [weekday] * 5 + [weekend] * 2


# ---- the rules on the default network -----------------------------------------------------


@pytest.fixture(scope="module")
def offline() -> RoadNetwork:
    return load_network("offline")


def test_rule_checks_hold_on_the_default_network_and_failed_on_v2(
    offline: RoadNetwork, sources: Sources
) -> None:
    rows = run_rule_checks(offline, sources)
    assert [r["journey"] for r in rows] == [c.name for c in RULE_CHECKS]
    for row, check in zip(rows, RULE_CHECKS, strict=True):
        assert row["passes"], row
        before = V2_RULE_RESULTS[check.name][0]
        assert math.isfinite(before) and before > check.limit  # each failed on v2
    # The rules shorten these journeys; none gets slower than on v2.
    for row in rows:
        assert row["free_flow_min"] <= V2_RULE_RESULTS[str(row["journey"])][1]


def test_the_build_records_the_rules(offline: RoadNetwork) -> None:
    meta = offline.meta
    assert meta["inputs"]["model_version"] == 3
    params = meta["inputs"]["params"]
    for key in ("frontage_per_km", "land_gap_max_m", "settlement_postcodes", "weekend_ratio_local"):
        assert key in params
    assert meta["kept_empty_gap_on_land"] > 0 and meta["a_road_settlement_joins"] > 0
    assert set(meta["speeds_mph"]) == set(netparams.PROFILE_RATIOS)


def test_a_new_rule_version_makes_the_cached_network_stale(
    offline: RoadNetwork, sources: Sources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build record holds the rules' version: bumping it rebuilds, never reuses."""
    import mapping.network as network

    assert network.offline_network_is_fresh(sources)
    monkeypatch.setattr(network, "OFFLINE_MODEL_VERSION", 2)  # a v2 build record
    assert not network.offline_network_is_fresh(sources)


def test_a_network_with_only_a_daytime_profile_drives_peak_and_weekend_at_it() -> None:
    """A network built before v3 (or by hand) keeps working at every time of the week."""
    xy = np.array([[0.0, 0.0], [100.0, 0.0]])
    seconds = {"free_flow": np.array([10.0, 10.0]), "daytime": np.array([14.0, 14.0])}
    net = RoadNetwork.from_edges(
        xy,
        np.array([0, 1]),
        np.array([1, 0]),
        np.array([100.0, 100.0]),
        seconds,
        np.array(["urban", "urban"]),
        source="offline",
    )
    assert set(net.seconds) == {"free_flow", "daytime", "weekday_peak", "weekend_day"}
    assert net.seconds["weekday_peak"] is net.seconds["daytime"]
    assert net.seconds["weekend_day"] is net.seconds["daytime"]
