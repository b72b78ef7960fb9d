"""Walking on the road network (:mod:`mapping.network.walking`), hand-worked.

The fixture: a street from node 0 to node 3 (0 -1- 1 -2- 2 -3- 3, 1,600 m) and a
motorway shortcut 0 -> M1 -> M2 -> 3 (slip 100 m, motorway 500 m, slip 100 m). The
street 0-1 is one-way towards 0 for cars, and 1-2 is an 'A'-road join (class ``link``
touching no motorway). A car must take the motorway; a walker may not, and walks the
street, against the one-way, at 4.8 km/h (4/3 m/s):

* road: 1,600 m / (4/3 m/s) = 1,200 s;
* access: the origin stands 100 m west of node 0, walked at 100 x 1.2 (circuity) /
  (4/3) = 90 s; the service stands on node 3 (0 s);
* total 1,290 s = 21.5 minutes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from shapely.geometry import Point

from mapping.network.graph import RoadNetwork
from mapping.network.walking import (
    WALK_PROFILE,
    WALK_SPEED_MPS,
    access_factor,
    walk_seconds,
    walkable_edges,
)
from mapping.routing import vectors
from mapping.routing.engine import TravelEngine

X0, Y0 = 350_000.0, 430_000.0
#: Node coordinates: 0, 1, 2, 3 on the street; 4 = M1, 5 = M2 on the motorway.
XY = np.array(
    [
        [X0, Y0],
        [X0 + 400, Y0],
        [X0 + 1200, Y0],
        [X0 + 1600, Y0],
        [X0 + 100, Y0 + 300],
        [X0 + 600, Y0 + 300],
    ]
)
#: (tail, head): (metres, class). Cars: 70 mph motorway, 30 mph elsewhere.
EDGES = {
    (1, 0): (400.0, "urban"),  # one-way for cars: 1 -> 0 only
    (1, 2): (800.0, "link"),
    (2, 1): (800.0, "link"),
    (2, 3): (400.0, "rural"),
    (3, 2): (400.0, "rural"),
    (0, 4): (100.0, "link"),  # slip road onto the motorway
    (4, 5): (500.0, "motorway"),
    (5, 3): (100.0, "link"),  # slip road off it
}


def fixture_network() -> RoadNetwork:
    tails = np.array([t for t, _ in EDGES])
    heads = np.array([h for _, h in EDGES])
    length = np.array([m for m, _ in EDGES.values()])
    highway = np.array([c for _, c in EDGES.values()])
    mps = np.where(highway == "motorway", 70 * 0.44704, 30 * 0.44704)
    snappable = np.array([True, True, True, True, False, False])
    return RoadNetwork.from_edges(
        XY,
        tails,
        heads,
        length,
        {"free_flow": length / mps, "daytime": length / mps},
        highway,
        source="offline",
        snappable=snappable,
    )


def sarc_at(xy: tuple[float, float]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "id": "sarc-1",
                "name": "Sarc",
                "category": "sarc",
                "opening_hours": "24/7",
                "min_age": None,
                "max_age": None,
                "crime_types": ("all",),
                "confidential": False,
                "provider_area": "Lancashire",
                "geometry": Point(*xy),
            }
        ]
    )
    for name in ("min_age", "max_age"):
        frame[name] = pd.array(frame[name].tolist(), dtype="Int64")
    return frame


def test_motorway_and_its_slip_roads_are_not_walkable() -> None:
    net = fixture_network()
    tail, head = net.edges()
    ok = walkable_edges(net)
    walkable = {(int(t), int(h)) for t, h in zip(tail[ok], head[ok], strict=True)}
    assert walkable == {(1, 0), (1, 2), (2, 1), (2, 3), (3, 2)}
    matrix = walk_seconds(net)
    assert matrix[0, 1] == pytest.approx(300.0)  # 400 m against the one-way: 300 s
    assert matrix[0, 4] == 0 and matrix[4, 5] == 0  # no walking on the motorway
    assert walk_seconds(net) is matrix  # derived once per network object


def test_walking_minutes_are_hand_worked_and_driving_is_unchanged() -> None:
    vectors.clear()
    net = fixture_network()
    origin = np.array([[X0 - 100.0, Y0]])
    engine = TravelEngine(net, origin, sarc_at(tuple(XY[3])))
    walked = engine.nearest("sarc", profile=WALK_PROFILE)
    assert pytest.approx(4 / 3) == WALK_SPEED_MPS
    assert walked.minutes[0] == pytest.approx(21.5, abs=1e-3)
    assert walked.query.profile == "walk"
    # By car: 100 m access at 20 mph, then slip 100 m + motorway 500 m + slip 100 m.
    access = 100 * 1.2 / (20 * 0.44704)
    road = 100 / (30 * 0.44704) + 500 / (70 * 0.44704) + 100 / (30 * 0.44704)
    driven = engine.nearest("sarc", profile="daytime")
    assert driven.minutes[0] == pytest.approx((access + road) / 60, abs=1e-3)
    # Walk and drive vectors are kept apart: asking again gives the same figures.
    assert engine.nearest("sarc", profile=WALK_PROFILE).minutes[0] == pytest.approx(21.5, abs=1e-3)
    assert engine.computed("walk").all() and engine.computed("daytime").all()


def test_access_factor_is_walking_over_20_mph() -> None:
    assert access_factor("daytime") == 1.0
    assert access_factor(WALK_PROFILE) == pytest.approx(20 * 0.44704 / (4 / 3))


def test_walk_graph_is_symmetric_even_when_driving_is_one_way() -> None:
    matrix = walk_seconds(fixture_network())
    assert abs(matrix - matrix.T).max() == pytest.approx(0.0)
    assert isinstance(matrix, sp.csr_matrix)
