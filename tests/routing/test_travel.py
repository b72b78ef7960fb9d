"""Tests of the travel-time engine (:mod:`mapping.routing.engine`) and the ``matrix`` command.

Most tests run on tiny road networks built by hand (node coordinates plus a CSR matrix
of edge seconds per profile), so they need no built data. The tests at the end use the
real default network and register.
"""

from __future__ import annotations

import csv
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from mapping import network as network_mod
from mapping.errors import ServiceMapError
from mapping.network.graph import RoadNetwork
from mapping.routing.engine import TravelEngine
from mapping.routing.loading import build_engine
from mapping.routing.matrix import MATRIX_PARTIAL_EXIT_CODE, od_matrix, run_matrix

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ORIGINS_CSV = FIXTURES / "travel_origins.csv"
DESTINATIONS_CSV = FIXTURES / "travel_destinations.csv"
MALFORMED_CSV = FIXTURES / "travel_malformed.csv"

#: Nodes of the hand-built networks sit on a line this far apart (metres, EPSG:27700).
SPACING = 500.0
ORIGIN_X, ORIGIN_Y = 350_000.0, 430_000.0
#: Daytime edges are this much slower than free-flow ones in the hand-built networks.
DAYTIME_FACTOR = 1.5


def make_network(
    n: int, edges: dict[tuple[int, int], float], xy: np.ndarray | None = None
) -> RoadNetwork:
    """A directed network of ``n`` nodes with free-flow seconds ``edges[(i, j)]``."""
    if xy is None:
        xy = np.column_stack(
            [ORIGIN_X + SPACING * np.arange(n), np.full(n, ORIGIN_Y) + 37.0 * (np.arange(n) % 3)]
        )
    rows = np.array([i for i, _ in edges], dtype=np.int64)
    cols = np.array([j for _, j in edges], dtype=np.int64)
    seconds = np.array(list(edges.values()), dtype=float)
    free = sp.csr_matrix((seconds, (rows, cols)), shape=(n, n))
    day = free.copy()
    day.data = day.data * DAYTIME_FACTOR
    length = free.copy()
    length.data = length.data * 10.0
    return RoadNetwork(
        node_xy=np.asarray(xy, dtype=float),
        seconds={"free_flow": free, "daytime": day},
        length_m=length,
        highway=np.full(free.nnz, "urban", dtype=object),
        source="offline",
        meta={"test": True},
    )


def service(
    sid: str,
    xy: tuple[float, float] | None,
    *,
    category: str = "sarc",
    hours: str = "24/7",
    min_age: int | None = None,
    max_age: int | None = None,
    crime_types: tuple[str, ...] = ("all",),
    area: str = "Lancashire",
    confidential: bool = False,
) -> dict:
    """One register row as :func:`mapping.inputs.register.load_register` returns it."""
    return {
        "id": sid,
        "name": sid.replace("-", " ").title(),
        "category": category,
        "opening_hours": hours,
        "min_age": min_age,
        "max_age": max_age,
        "crime_types": crime_types,
        "confidential": confidential,
        "provider_area": area,
        "geometry": None if xy is None else Point(*xy),
    }


def register(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    for name in ("min_age", "max_age"):
        frame[name] = pd.array(frame[name].tolist(), dtype="Int64")
    return frame


def node_xy(net: RoadNetwork, i: int) -> tuple[float, float]:
    return float(net.node_xy[i, 0]), float(net.node_xy[i, 1])


def snap_seconds(net: RoadNetwork, xy: np.ndarray) -> np.ndarray:
    """Snap time of points, as the network module reports it."""
    return np.asarray(network_mod.snap(net, np.asarray(xy, float).reshape(-1, 2)).seconds)


def nx_graph(net: RoadNetwork, profile: str) -> nx.DiGraph:
    coo = net.seconds[profile].tocoo()
    graph = nx.DiGraph()
    graph.add_nodes_from(range(net.n_nodes))
    for i, j, w in zip(coo.row, coo.col, coo.data, strict=True):
        graph.add_edge(int(i), int(j), weight=float(w))
    return graph


@st.composite
def small_graphs(draw: st.DrawFn) -> tuple[int, dict[tuple[int, int], float]]:
    n = draw(st.integers(min_value=2, max_value=9))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1])
    edges = draw(st.dictionaries(pairs, st.floats(min_value=1.0, max_value=900.0), max_size=3 * n))
    return n, edges


# ---- shortest paths -----------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=small_graphs(), data=st.data())
def test_minutes_agree_with_networkx(graph, data) -> None:
    n, edges = graph
    net = make_network(n, edges)
    targets = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
    services = register(*(service(f"s{t}", node_xy(net, t)) for t in targets))
    engine = TravelEngine(net, net.node_xy, services)
    origin_snap = snap_seconds(net, net.node_xy)
    for profile in ("free_flow", "daytime"):
        # Reversing the graph by hand: networkx lengths *to* each target.
        reverse = nx_graph(net, profile).reverse(copy=True)
        got = engine.minutes_to([f"s{t}" for t in targets], profile)
        for k, t in enumerate(targets):
            lengths = nx.single_source_dijkstra_path_length(reverse, t, weight="weight")
            road = np.array([lengths.get(i, np.inf) for i in range(n)])
            target_snap = snap_seconds(net, net.node_xy[t])[0]
            expected = (road + origin_snap + target_snap) / 60.0
            np.testing.assert_allclose(got[k], expected, rtol=1e-5)


@settings(max_examples=40, deadline=None)
@given(graph=small_graphs(), data=st.data())
def test_od_matrix_agrees_with_networkx(graph, data) -> None:
    n, edges = graph
    net = make_network(n, edges)
    # Both search directions: fewer destinations than origins, and more.
    o = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n))
    d = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n))
    od = od_matrix(net, net.node_xy[o], net.node_xy[d], "free_flow")
    lengths = dict(nx.all_pairs_dijkstra_path_length(nx_graph(net, "free_flow")))
    o_snap, d_snap = snap_seconds(net, net.node_xy[o]), snap_seconds(net, net.node_xy[d])
    for a, i in enumerate(o):
        for b, j in enumerate(d):
            expected = (lengths[i].get(j, np.inf) + o_snap[a] + d_snap[b]) / 60.0
            assert od.minutes[a, b] == pytest.approx(expected, rel=1e-9)


def test_travel_is_to_the_service_on_one_way_roads() -> None:
    # 0 -> 1 is a one-minute one-way street; getting back 1 -> 2 -> 0 takes 20 minutes.
    net = make_network(3, {(0, 1): 60.0, (1, 2): 600.0, (2, 0): 600.0})
    services = register(service("at-1", node_xy(net, 1)), service("at-0", node_xy(net, 0)))
    engine = TravelEngine(net, net.node_xy[[0, 1]], services, origin_ids=["from-0", "from-1"])
    snaps = snap_seconds(net, net.node_xy[[0, 1]])
    to_1 = engine.minutes_to(["at-1"], "free_flow")[0]
    to_0 = engine.minutes_to(["at-0"], "free_flow")[0]
    assert to_1[0] == pytest.approx((60.0 + snaps[0] + snaps[1]) / 60.0)
    assert to_0[1] == pytest.approx((1200.0 + snaps[0] + snaps[1]) / 60.0)
    # The same pair the other way round in the origin-destination matrix.
    od = od_matrix(net, net.node_xy[[0, 1]], net.node_xy[[0, 1]], "free_flow")
    assert od.minutes[0, 1] == pytest.approx(to_1[0]) and od.minutes[1, 0] == pytest.approx(to_0[1])


def test_unreachable_and_off_network_origins_get_no_service() -> None:
    net = make_network(3, {(0, 1): 60.0})
    far = np.array([[ORIGIN_X, ORIGIN_Y + 50_000.0]])
    xy = np.vstack([net.node_xy, far])
    engine = TravelEngine(net, xy, register(service("s", node_xy(net, 1))))
    result = engine.nearest()
    assert list(engine.origin_ok) == [True, True, True, False]
    assert list(result.service_id) == ["s", "s", None, None]
    assert np.isinf(result.minutes[2:]).all()
    assert list(result.provider_area) == ["Lancashire", "Lancashire", None, None]
    assert result.to_frame()["minutes"].isna().tolist() == [False, False, True, True]


# ---- opening hours, eligibility, what-if --------------------------------------------


def line_network(n: int = 6, seconds: float = 300.0) -> RoadNetwork:
    """Two-way road 0 - 1 - ... - n-1, ``seconds`` per hop (free flow)."""
    edges = {}
    for i in range(n - 1):
        edges[(i, i + 1)] = seconds
        edges[(i + 1, i)] = seconds
    return make_network(n, edges)


def test_opening_hours_pick_the_open_service_and_the_profile() -> None:
    net = line_network()
    services = register(
        service("near-9-to-5", node_xy(net, 1), hours="Mo-Fr 09:00-17:00"),
        service("far-24-7", node_xy(net, 5), hours="24/7", area="Greater Manchester"),
    )
    engine = TravelEngine(net, net.node_xy[[0]], services)
    snaps = snap_seconds(net, net.node_xy[[0, 1, 5]])

    night = engine.nearest("sarc", at="Sat 02:00")
    assert night.service_id[0] == "far-24-7"
    assert night.provider_area[0] == "Greater Manchester"
    assert night.profile == "free_flow"
    assert night.minutes[0] == pytest.approx((5 * 300.0 + snaps[0] + snaps[2]) / 60.0, rel=1e-6)
    assert night.candidates == ("far-24-7",)

    day = engine.nearest("sarc", at="Tue 10:00")
    assert day.service_id[0] == "near-9-to-5"
    assert day.profile == "daytime"
    expected = (300.0 * DAYTIME_FACTOR + snaps[0] + snaps[1]) / 60.0
    assert day.minutes[0] == pytest.approx(expected, rel=1e-6)

    # No time given: every service counts as open.
    assert engine.nearest("sarc").service_id[0] == "near-9-to-5"
    # A 24/7 override for the near one ("what if it examined out of hours?").
    overridden = engine.nearest("sarc", at="Sat 02:00", hours_override={"near-9-to-5": "24/7"})
    assert overridden.service_id[0] == "near-9-to-5"
    with pytest.raises(ServiceMapError):
        engine.nearest("sarc", at="Sat 25:00")


def test_age_band_eligibility_overlap_and_contains() -> None:
    net = line_network()
    services = register(
        service("adults-near", node_xy(net, 1), min_age=18),
        service("young-mid", node_xy(net, 3), min_age=8, max_age=18),
        service("everyone-far", node_xy(net, 5)),
    )
    engine = TravelEngine(net, net.node_xy[[0]], services)

    def pick(band, rule="overlap"):
        return engine.nearest(age_band=band, age_rule=rule).service_id[0]

    assert pick(None) == "adults-near"
    assert pick((0, 15)) == "young-mid"  # 18+ does not overlap 0-15
    assert pick((16, 24)) == "adults-near"  # overlap: 18+ serves part of 16-24
    assert pick((16, 24), "contains") == "everyone-far"  # neither covers all of 16-24
    assert pick((10, 15), "contains") == "young-mid"
    assert pick((65, None)) == "adults-near"
    assert pick("age_0_15") == "young-mid"  # the Census band names work too
    with pytest.raises(ServiceMapError):
        pick("age_200_plus")


def test_crime_type_eligibility() -> None:
    net = line_network()
    services = register(
        service("sv-near", node_xy(net, 1), category="isva", crime_types=("sexual_violence",)),
        service("all-far", node_xy(net, 4), category="multi_crime_hub", crime_types=("all",)),
    )
    engine = TravelEngine(net, net.node_xy[[0]], services)
    assert engine.nearest(crime_type="sexual_violence").service_id[0] == "sv-near"
    assert engine.nearest(crime_type="stalking").service_id[0] == "all-far"
    assert engine.nearest(category="isva", crime_type="stalking").service_id[0] is None
    assert engine.nearest(category=["isva", "multi_crime_hub"]).service_id[0] == "sv-near"
    with pytest.raises(ServiceMapError, match="unknown service category"):
        engine.nearest(category="sarcs")


def test_include_and_exclude() -> None:
    net = line_network()
    services = register(
        service("sarc-far", node_xy(net, 5)),
        service("hub-near", node_xy(net, 1), category="multi_crime_hub"),
        service("sarc-mid", node_xy(net, 3)),
    )
    engine = TravelEngine(net, net.node_xy[[0]], services)
    assert engine.nearest("sarc").service_id[0] == "sarc-mid"
    assert engine.nearest("sarc", exclude=["sarc-mid"]).service_id[0] == "sarc-far"
    assert engine.nearest("sarc", include=["hub-near"]).service_id[0] == "hub-near"
    assert engine.nearest("sarc", exclude=["sarc-mid", "sarc-far"]).service_id[0] is None


def test_unroutable_services_are_skipped_and_reported() -> None:
    net = line_network()
    services = register(
        service("refuge", None, category="refuge", confidential=True),
        service("helpline", None, category="helpline"),
        service("offshore", (ORIGIN_X, ORIGIN_Y - 40_000.0)),
        service("ok", node_xy(net, 2)),
    )
    engine = TravelEngine(net, net.node_xy, services)
    assert engine.service_ids == ("ok",)
    skipped = engine.skipped.set_index("id")["reason"]
    assert set(skipped.index) == {"refuge", "helpline", "offshore"}
    assert "confidential" in skipped["refuge"]
    assert "off the road network" in skipped["offshore"]
    # A category with no routable service gives "none", not an error.
    assert (engine.nearest("helpline").service_id == None).all()  # noqa: E711
    with pytest.raises(ServiceMapError, match="cannot be routed"):
        engine.minutes_to(["refuge"])


@settings(max_examples=40, deadline=None)
@given(graph=small_graphs(), data=st.data())
def test_what_if_service_equals_full_recomputation(graph, data) -> None:
    n, edges = graph
    net = make_network(n, edges)
    existing = data.draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True))
    new_node = data.draw(st.integers(0, n - 1))
    rows = [service(f"s{t}", node_xy(net, t)) for t in existing]
    engine = TravelEngine(
        net, net.node_xy, register(*rows) if rows else register(service("x", None))
    )
    before = engine.nearest("sarc", profile="free_flow")
    view = engine.with_sites([{"id": "what-if", "xy": node_xy(net, new_node), "category": "sarc"}])
    sid = "what-if"
    # The base engine is untouched; in the view a what-if counts only where asked for.
    assert engine.service_ids == before.candidates or "what-if" not in engine.service_ids
    assert view.nearest("sarc", profile="free_flow").candidates == before.candidates
    updated = view.update_nearest(before, sid)
    requeried = view.nearest("sarc", profile="free_flow", extra_services=[sid])
    full = TravelEngine(
        net, net.node_xy, register(*rows, service("what-if", node_xy(net, new_node)))
    ).nearest("sarc", profile="free_flow")
    for other in (requeried, full):
        np.testing.assert_array_equal(updated.minutes, other.minutes)
        assert list(updated.service_id) == list(other.service_id)


def test_what_if_view_keeps_hours_and_leaves_the_base_alone() -> None:
    net = line_network()
    engine = TravelEngine(net, net.node_xy[[0]], register(service("far", node_xy(net, 5))))
    spec = {
        "id": "pop-up",
        "xy": node_xy(net, 1),
        "category": "sarc",
        "opening_hours": "Sa 00:00-06:00",
    }
    view = engine.with_sites([spec])
    assert view.nearest("sarc", at="Sat 02:00", extra_services=["pop-up"]).service_id[0] == "pop-up"
    assert view.nearest("sarc", at="Tue 10:00", extra_services=["pop-up"]).service_id[0] == "far"
    # An update honours the result's query: the pop-up is shut on Tuesday morning.
    tuesday = view.nearest("sarc", at="Tue 10:00")
    assert view.update_nearest(tuesday, "pop-up").service_id[0] == "far"
    assert engine.service_ids == ("far",) and view.service_ids == ("far", "pop-up")
    # A view of a view derives from the base: its sites replace the first view's.
    assert view.with_sites([]).service_ids == ("far",)
    with pytest.raises(ServiceMapError, match="with_sites"):
        engine.nearest("sarc", extra_services=[spec])
    with pytest.raises(ServiceMapError, match="already exists"):
        engine.with_sites([{"id": "far", "xy": node_xy(net, 2), "category": "sarc"}])


def test_limit_minutes_cuts_off_but_keeps_nearer_times() -> None:
    net = line_network(n=6, seconds=600.0)  # 10 minutes a hop
    services = register(service("s", node_xy(net, 0)))
    full = TravelEngine(net, net.node_xy, services).minutes_to(["s"], "free_flow")[0]
    cut = TravelEngine(net, net.node_xy, services, limit_minutes=25.0).minutes_to(
        ["s"], "free_flow"
    )[0]
    near = full <= 25.0
    np.testing.assert_array_equal(cut[near], full[near])
    assert np.isinf(cut[~near]).all() and (~near).sum() == 3


def test_vectors_are_computed_lazily_per_service_and_profile() -> None:
    net = line_network()
    services = register(
        service("a", node_xy(net, 1)), service("b", node_xy(net, 4), category="refuge")
    )
    engine = TravelEngine(net, net.node_xy, services)
    assert not engine.computed("daytime").any()
    engine.nearest("sarc")
    assert list(engine.computed("daytime")) == [True, False]
    assert not engine.computed("free_flow").any()
    engine.warm()
    assert engine.computed("free_flow").all() and engine.computed("daytime").all()


def test_engines_on_one_network_search_each_service_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mapping.routing import vectors

    searched: list[int] = []
    search = vectors.seconds_between

    def counted(graph: sp.csr_matrix, sources: np.ndarray, *args: object) -> np.ndarray:
        searched.extend(int(n) for n in sources)
        return search(graph, sources, *args)

    monkeypatch.setattr(vectors, "seconds_between", counted)
    net = line_network(n=6, seconds=600.0)  # 10 minutes a hop
    only_a = register(service("a", node_xy(net, 1)))
    first = TravelEngine(net, net.node_xy, only_a)
    a = first.minutes_to(["a"], "free_flow")[0]
    assert searched == [1]
    # Another register on the same network: only its new service is searched, and the
    # shared one has the same minutes (hand-worked: 10 minutes a hop from node 1).
    second = TravelEngine(
        net, net.node_xy, register(service("a", node_xy(net, 1)), service("b", node_xy(net, 4)))
    )
    both = second.minutes_to(["a", "b"], "free_flow")
    assert searched == [1, 4]
    np.testing.assert_array_equal(both[0], a)
    np.testing.assert_allclose(both[0], [10.0, 0.0, 10.0, 20.0, 30.0, 40.0])
    assert second.computed("free_flow").all() and not second.computed("daytime").any()
    # What the vector depends on is part of the key: the time limit, the profile,
    # other origins, another network (even an equal one).
    TravelEngine(net, net.node_xy, only_a, limit_minutes=25.0).minutes_to(["a"], "free_flow")
    first.minutes_to(["a"], "daytime")
    TravelEngine(net, net.node_xy[:3], only_a).minutes_to(["a"], "free_flow")
    other = line_network(n=6, seconds=600.0)
    TravelEngine(other, other.node_xy, only_a).minutes_to(["a"], "free_flow")
    assert searched == [1, 4, 1, 1, 1, 1]
    vectors.clear()  # a cold engine, as a benchmark wants it
    TravelEngine(net, net.node_xy, only_a).minutes_to(["a"], "free_flow")
    assert searched == [1, 4, 1, 1, 1, 1, 1]


# ---- the matrix command -------------------------------------------------------------

#: BNG coordinates of the fixture postcodes (OS Code-Point Open).
FIXTURE_POSTCODES = {
    "PR2 9HT": (353532.0, 433031.0),
    "PR1 1HQ": (354442.0, 429660.0),
    "L39 3AJ": (341307.0, 408344.0),
}


def fixture_network() -> RoadNetwork:
    """Nodes on the fixture points (Preston x2, Ormskirk, Lancaster, Accrington)."""
    from mapping.study_area import to_27700

    lancaster = to_27700(-2.79383, 54.050931)
    accrington = to_27700(-2.362841, 53.754356)
    xy = np.array([*FIXTURE_POSTCODES.values(), lancaster, accrington])
    hub = {(0, 1): 300.0, (1, 0): 300.0}  # the two Preston points
    for other, secs in ((2, 1500.0), (3, 1800.0), (4, 1500.0)):
        hub[(1, other)] = secs
        hub[(other, 1)] = secs
    return make_network(5, hub, xy=xy)


def fake_postcodes(postcodes: list[str]) -> dict:
    from mapping.inputs.postcodes import normalise_postcode

    out = {}
    for text in postcodes:
        key = normalise_postcode(text)
        if key in FIXTURE_POSTCODES:
            out[text] = FIXTURE_POSTCODES[key]
    return out


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_run_matrix_writes_good_rows_and_reports_bad_ones(tmp_path: Path) -> None:
    out = tmp_path / "matrix.csv"
    report = run_matrix(
        ORIGINS_CSV,
        DESTINATIONS_CSV,
        out,
        network=fixture_network(),
        postcode_xy=fake_postcodes,
        at="Tue 10:00",
    )
    rows = read_rows(out)
    assert list(rows[0]) == ["origin_id", "destination_id", "minutes"]
    pairs = [(r["origin_id"], r["destination_id"]) for r in rows]
    assert pairs == [
        (o, d)
        for o in ("preston-hospital", "preston-centre", "ormskirk")
        for d in ("lancaster", "accrington")
    ]
    assert all(float(r["minutes"]) > 0 for r in rows)
    # Preston centre -> Lancaster is one 30-minute daytime-scaled hop plus snap times.
    first = {(r["origin_id"], r["destination_id"]): float(r["minutes"]) for r in rows}
    assert first[("preston-centre", "lancaster")] == pytest.approx(
        1800 * DAYTIME_FACTOR / 60.0, abs=0.01
    )
    assert report.profile == "daytime"
    assert report.rows_written == 6
    assert report.exit_code == MATRIX_PARTIAL_EXIT_CODE
    assert report.problems == [
        f"{ORIGINS_CSV}:4:postcode: unknown postcode 'ZZ9 9ZZ'",
        report.problems[1],
    ]
    assert report.problems[1].startswith(f"{DESTINATIONS_CSV}:4:lon,lat: off the road network")


def test_run_matrix_all_good_exit_zero_and_bad_values(tmp_path: Path) -> None:
    origins = tmp_path / "o.csv"
    origins.write_text("ID,Lon,Lat\na,-2.706844,53.791506\nb,east,53.7\na,-2.7,53.7\n,-2.7,53.7\n")
    destinations = tmp_path / "d.csv"
    destinations.write_text("id,lon,lat\nx,-2.692533,53.76129\n")
    report = run_matrix(origins, destinations, tmp_path / "m.csv", network=fixture_network())
    assert [p.split(":", 2)[1:] for p in report.problems] == [
        ["3", "lon: 'east' is not a longitude in degrees"],
        ["4", "id: duplicate id 'a' (first on row 2)"],
        ["5", "id: empty id"],
    ]
    clean = run_matrix(destinations, destinations, tmp_path / "n.csv", network=fixture_network())
    assert clean.exit_code == 0 and clean.problems == []
    assert read_rows(tmp_path / "n.csv") == [
        {"origin_id": "x", "destination_id": "x", "minutes": "0.00"}
    ]


def test_run_matrix_rejects_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ServiceMapError, match="needs an 'id' column"):
        run_matrix(MALFORMED_CSV, DESTINATIONS_CSV, tmp_path / "m.csv", network=fixture_network())
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ServiceMapError, match="empty file"):
        run_matrix(empty, DESTINATIONS_CSV, tmp_path / "m.csv", network=fixture_network())
    with pytest.raises(ServiceMapError, match="no such file"):
        run_matrix(tmp_path / "nope.csv", DESTINATIONS_CSV, tmp_path / "m.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00id,postcode\x00\x81")
    with pytest.raises(ServiceMapError):
        run_matrix(binary, DESTINATIONS_CSV, tmp_path / "m.csv", network=fixture_network())
    only_bad = tmp_path / "bad.csv"
    only_bad.write_text("id,lon,lat\nsea,-4.2,54.0\n")
    with pytest.raises(ServiceMapError, match="no usable rows"):
        run_matrix(only_bad, DESTINATIONS_CSV, tmp_path / "m.csv", network=fixture_network())
    assert not (tmp_path / "m.csv").exists()


def test_matrix_command_partial_success(tmp_path: Path, monkeypatch, run_cli) -> None:
    import mapping.inputs.postcodes
    import mapping.network

    monkeypatch.setattr(mapping.network, "load_network", lambda *a, **k: fixture_network())
    monkeypatch.setattr(
        mapping.inputs.postcodes,
        "lookup_postcodes",
        lambda postcodes, sources: pd.DataFrame(
            [FIXTURE_POSTCODES[p] for p in postcodes if p in FIXTURE_POSTCODES],
            columns=["easting", "northing"],
            index=[p for p in postcodes if p in FIXTURE_POSTCODES],
        ),
    )
    monkeypatch.setattr("mapping.inputs.sources.locate_sources", lambda *a, **k: "sources")
    out = tmp_path / "out.csv"
    args = ["matrix", "--origins", str(ORIGINS_CSV), "--destinations", str(DESTINATIONS_CSV)]
    code, stdout, stderr = run_cli([*args, "--out", str(out), "--at", "Sat 02:00"])
    night_stdout = stdout
    assert code == MATRIX_PARTIAL_EXIT_CODE
    assert f"{ORIGINS_CSV}:4:postcode: unknown postcode 'ZZ9 9ZZ'" in stderr
    assert f"{DESTINATIONS_CSV}:4:lon,lat: off the road network" in stderr
    assert "Traceback" not in stderr
    assert len(read_rows(out)) == 6
    assert "6 rows" in stdout
    # Issue 9: the named slots the README promises work for matrix as for sarc.
    named = tmp_path / "named.csv"
    code, stdout, stderr = run_cli([*args, "--out", str(named), "--at", "weekend night"])
    assert code == MATRIX_PARTIAL_EXIT_CODE, stderr
    assert named.read_bytes() == out.read_bytes()
    assert stdout.replace(str(named), str(out)) == night_stdout

    code, _, stderr = run_cli(
        [
            "matrix",
            "--origins",
            str(MALFORMED_CSV),
            "--destinations",
            str(DESTINATIONS_CSV),
            "--out",
            str(tmp_path / "x.csv"),
        ],
    )
    assert code == 1
    assert "needs an 'id' column" in stderr and "Traceback" not in stderr
    code, _, stderr = run_cli([*args, "--out", str(out), "--at", "Caturday"])
    assert code == 1 and "not a time of week" in stderr


# ---- the real network, origins and register -----------------------------------------


@pytest.fixture(scope="module")
def study_engine(request) -> TravelEngine:
    request.getfixturevalue("built_data")
    return build_engine("offline")


def test_real_sarc_out_of_hours_goes_out_of_county(study_engine: TravelEngine) -> None:
    engine = study_engine
    day = engine.nearest("sarc", at="Tue 10:00")
    night = engine.nearest("sarc", at="Sat 02:00")
    assert np.isfinite(day.minutes).mean() > 0.99
    assert (day.provider_area == "Lancashire").mean() > 0.5
    # The SAFE Centre is modelled as in-hours only: at night Lancashire goes elsewhere.
    assert "Lancashire" not in set(night.provider_area[night.service_index >= 0])
    assert np.nanmedian(night.minutes) > np.nanmedian(day.minutes)
    # Confidential refuges have no point: skipped and reported, never routed to.
    assert engine.skipped["category"].eq("refuge").any()


def test_every_lancashire_lsoa_origin_reaches_the_network(study_engine: TravelEngine) -> None:
    """The default network is connected over every origin of all 945 LSOAs."""
    engine = study_engine
    assert engine.origins["lsoa21_code"].nunique() == 945
    assert engine.origin_ok.all()
    for profile in ("free_flow", "daytime"):
        minutes = engine.minutes_to(["sarc-preston-safe-centre"], profile)[0]
        assert np.isfinite(minutes).all(), profile
        # Nowhere in Lancashire is more than two hours from Preston by road.
        assert minutes.max() < 120


def test_real_minutes_agree_with_networkx_for_a_few_origins(study_engine: TravelEngine) -> None:
    engine = study_engine
    net = engine.network
    sid = engine.services.loc[engine.services["category"] == "sarc", "id"].iloc[0]
    row = engine.services.set_index("id").loc[sid]
    vec = engine.minutes_to([sid], "daytime")[0]
    graph = nx.from_scipy_sparse_array(net.seconds["daytime"], create_using=nx.DiGraph)
    rng = np.random.default_rng(3)
    picks = rng.choice(np.flatnonzero(engine.origin_ok), size=3, replace=False)
    origin_xy = engine.origins[["easting", "northing"]].to_numpy(float)[picks]
    snapped = network_mod.snap(net, origin_xy)
    for k, i in enumerate(picks):
        road = nx.shortest_path_length(
            graph, int(snapped.node[k]), int(row["node"]), weight="weight"
        )
        expected = (road + snapped.seconds[k] + row["snap_seconds"]) / 60.0
        assert vec[i] == pytest.approx(expected, rel=1e-4)


def test_real_matrix_command(tmp_path: Path, monkeypatch, run_cli, built_data) -> None:
    out = tmp_path / "matrix.csv"
    args = ["matrix", "--origins", str(ORIGINS_CSV), "--destinations", str(DESTINATIONS_CSV)]
    code, _, stderr = run_cli([*args, "--out", str(out)])
    assert code == MATRIX_PARTIAL_EXIT_CODE, stderr
    rows = {(r["origin_id"], r["destination_id"]): r["minutes"] for r in read_rows(out)}
    assert len(rows) == 6
    assert 15 < float(rows[("preston-hospital", "lancaster")]) < 75
    assert "ZZ9 9ZZ" in stderr and "off the road network" in stderr


def test_matrix_output_neutralises_formula_ids(tmp_path: Path) -> None:
    points = tmp_path / "p.csv"
    points.write_text(
        'id,lon,lat\n"=HYPERLINK(""http://x"")",-2.692533,53.76129\n@SUM(1),-2.706844,53.791506\n'
        "\uff1dcmd,-2.7,53.77\n",
        encoding="utf-8",
    )
    run_matrix(points, points, tmp_path / "m.csv", network=fixture_network())
    ids = {row["origin_id"] for row in read_rows(tmp_path / "m.csv")}
    assert ids == {'\'=HYPERLINK("http://x")', "'@SUM(1)", "'\uff1dcmd"}
