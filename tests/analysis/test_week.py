"""Tests of the week profile (:mod:`mapping.analysis.week`).

Hand-built road networks (a line of nodes, known seconds per hop) give figures worked
out by hand; the last tests use the real network, origins and register.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from shapely.geometry import Point

from mapping.analysis.week import (
    HOURS_IN_WEEK,
    describe_worst_hour,
    hour_label,
    hour_times,
    open_sets,
    week_profile,
)
from mapping.errors import ServiceMapError
from mapping.formats import round_people
from mapping.network.graph import RoadNetwork
from mapping.routing.engine import TravelEngine

SPACING = 500.0
#: Daytime hops take this much longer than free-flow ones.
DAYTIME_FACTOR = 1.5


def line_network(n: int = 6, seconds: float = 600.0) -> RoadNetwork:
    """Two-way road 0 - 1 - ... - n-1, ``seconds`` per hop at free flow."""
    xy = np.column_stack([350_000.0 + SPACING * np.arange(n), np.full(n, 430_000.0)])
    rows, cols = [], []
    for i in range(n - 1):
        rows += [i, i + 1]
        cols += [i + 1, i]
    free = sp.csr_matrix((np.full(len(rows), seconds), (rows, cols)), shape=(n, n))
    day = free.copy()
    day.data = day.data * DAYTIME_FACTOR
    return RoadNetwork(
        node_xy=xy,
        seconds={"free_flow": free, "daytime": day},
        length_m=free.copy(),
        highway=np.full(free.nnz, "urban", dtype=object),
        source="offline",
        meta={"test": True},
    )


def register(*rows: tuple[str, int, str]) -> pd.DataFrame:
    """Services ``(id, node, hours)`` of category ``sarc`` on the line network."""
    return pd.DataFrame(
        [
            {
                "id": sid,
                "name": sid,
                "category": "sarc",
                "opening_hours": hours,
                "min_age": pd.NA,
                "max_age": pd.NA,
                "crime_types": ("all",),
                "provider_area": "Lancashire",
                "geometry": Point(350_000.0 + SPACING * node, 430_000.0),
            }
            for sid, node, hours in rows
        ]
    )


def small_engine() -> TravelEngine:
    """Origins on nodes 0 and 5; a 9-to-5 service on node 1, a 24/7 one on node 5.

    Snap distance is zero (points on nodes), so minutes are hops x 10 (free flow) or
    hops x 15 (daytime).
    """
    net = line_network()
    services = register(("near", 1, "Mo-Fr 09:00-17:00"), ("far", 5, "24/7"))
    return TravelEngine(net, net.node_xy[[0, 5]], services)


def test_hours_of_the_reference_week() -> None:
    times = hour_times()
    assert len(times) == HOURS_IN_WEEK
    assert times[0].strftime("%a %H:%M") == "Mon 00:00"
    assert times[-1].strftime("%a %H:%M") == "Sun 23:00"
    assert hour_label(134) == "Sat 14:00"
    assert hour_label(122, long=True) == "Saturday 02:00"


def test_week_profile_by_hand() -> None:
    engine = small_engine()
    weights = np.array([1000.0, 10.0])
    frame = week_profile(engine, "sarc", weights=weights, threshold=40)
    rows = frame.set_index("time")
    # Tuesday 10:00: both open, daytime. Origin 0 -> near: 1 hop x 15 = 15 min;
    # origin 5 -> far: 0 min. Nobody beyond 40.
    tue = rows.loc["Tue 10:00"]
    assert tue["profile"] == "daytime" and tue["n_open"] == 2
    assert tue["people_beyond"] == 0
    assert tue["mean_minutes"] == pytest.approx((1000 * 15 + 10 * 0) / 1010)
    # Saturday 14:00: only far, daytime: origin 0 is 5 hops x 15 = 75 min > 40.
    sat = rows.loc["Sat 14:00"]
    assert sat["open_services"] == "far"
    assert sat["people_beyond"] == 1000 and sat["share_beyond"] == pytest.approx(1000 / 1010)
    assert sat["mean_minutes"] == pytest.approx(1000 * 75 / 1010)
    # Saturday 02:00: only far, free flow: 5 hops x 10 = 50 min > 40.
    night = rows.loc["Sat 02:00"]
    assert night["profile"] == "free_flow" and night["people_beyond"] == 1000
    assert night["mean_minutes"] == pytest.approx(1000 * 50 / 1010)
    # Five keys (network v3's profiles; this network drives the weekday peak and the
    # weekend day at its daytime seconds): near open at daytime and at the weekday peak,
    # near closed at the weekday peak, on the weekend day and at night.
    assert frame.attrs["computations"] == 5
    # Weekday hours 09-16 are the only good ones: 5 days x 8 hours.
    assert (frame["people_beyond"] == 0).sum() == 40
    assert list(frame.columns)[:4] == ["hour_of_week", "day", "hour", "time"]


def test_week_profile_matches_the_engine_hour_by_hour() -> None:
    engine = small_engine()
    weights = np.array([3.0, 7.0])
    frame = week_profile(engine, "sarc", weights=weights, threshold=60)
    for h, when in enumerate(hour_times()):
        nearest = engine.nearest("sarc", at=when)
        beyond = weights[~(nearest.minutes <= 60)].sum()
        assert frame["people_beyond"].iloc[h] == pytest.approx(beyond), h


def test_scenario_changes_and_masks_flow_through() -> None:
    engine = small_engine()
    weights = np.array([1000.0, 10.0])
    open_all_week = week_profile(
        engine, "sarc", weights=weights, threshold=40, hours_override={"near": "24/7"}
    )
    assert open_all_week["people_beyond"].max() == 0
    closed = week_profile(engine, "sarc", weights=weights, threshold=40, exclude=["far"])
    # With "far" closed, origin 5 is 4 hops from "near" (40 or 60 min) or has nothing.
    assert closed["people_unreached"].max() == 1010
    only_second = week_profile(
        engine, "sarc", weights=weights, threshold=40, origin_mask=np.array([False, True])
    )
    assert only_second["population"].iloc[0] == 10
    assert only_second["people_beyond"].max() == 0
    keys = open_sets(engine, "sarc").keys
    assert keys[34].services == ("near", "far") and keys[34].profile == "daytime"
    with pytest.raises(ServiceMapError):
        week_profile(engine, "sarc", weights=np.ones(3))


def test_worst_hour_in_words() -> None:
    engine = small_engine()
    frame = week_profile(engine, "sarc", weights=np.array([485_937.0, 10.0]), threshold=60)
    # Beyond 60 only at daytime speeds with "near" closed (75 min); Sat 14:00 is one of
    # those hours and is a named slot, so it is named first.
    sentence = describe_worst_hour(frame)
    assert sentence.startswith(
        "the worst hour is Saturday 14:00: 486,000 residents more than 60 minutes from an open SARC"
    )
    # 12 daytime hours at the weekend + 4 per weekday (07, 08, 17, 18), less this one.
    assert sentence.endswith("(43 other hours of the week as bad)")
    assert describe_worst_hour(frame, prefer=()).startswith("the worst hour is Monday 07:00")
    assert round_people(42_760.36) == "42,800"
    assert round_people(999.6) == "1,000"
    assert round_people(12.4) == "12"


# ---- the real network, origins and register -----------------------------------------


@pytest.fixture
def study_engine(study) -> TravelEngine:
    """The shared study's engine (real network, origins and register)."""
    return study.engine


def test_real_week_reproduces_the_sarc_table(study_engine: TravelEngine, study) -> None:
    """Issue 12 quoted 485,937 (Sat 14:00) and 42,760 (Sat 02:00) residents beyond 60 min
    on the v1 network; with the 'A' roads (issue 10) they were 453,317 and 29,496; on
    network v3 (issue 22: its rules, and the weekend-day profile) 150,980 and 23,656. The
    week profile must agree with the SARC table hour for hour."""
    weights = study_engine.origins["population"].to_numpy(float)
    frame = week_profile(study_engine, "sarc", weights=weights, threshold=60).set_index("time")
    table = study.sarc_access(["weekend day", "weekend night"]).set_index(["area_code", "slot"])
    for slot in ("Sat 14:00", "Sat 02:00"):
        expected = table.loc[("TOTAL", slot), "population_over_60"]
        assert frame.loc[slot, "people_beyond"] == pytest.approx(expected, rel=1e-9)
    assert round(frame.loc["Sat 14:00", "people_beyond"]) == 150_980
    assert round(frame.loc["Sat 02:00", "people_beyond"]) == 23_656
    # One search set per (profile, open services) pair: v3's four profiles make five.
    assert frame.attrs["computations"] == 5
    # The weekday peak hours the Preston SARC is closed are now the worst (v2: Saturday
    # 14:00, driven at weekday speeds).
    assert describe_worst_hour(frame.reset_index()).startswith(
        "the worst hour is Monday 07:00: 408,000 residents more than 60 minutes from an open SARC"
    )


def test_real_week_of_a_scenario_view_matches_its_queries(study) -> None:
    """How Study.week_profile should call it: the view's engine and its changes."""
    view = study.with_scenario("data/scenarios/east_lancashire_sarc.toml")
    weights = view.origins["population"].to_numpy(float)
    frame = week_profile(
        view.engine,
        "sarc",
        weights=weights,
        threshold=60,
        exclude=sorted(view.changes.closed),
        extra_services=list(view.changes.added_ids),
        hours_override=dict(view.changes.hours),
    ).set_index("time")
    for when in ("Sat 14:00", "Tue 10:00"):
        nearest = view.nearest("sarc", when)
        beyond = weights[~(nearest.minutes <= 60)].sum()
        assert frame.loc[when, "people_beyond"] == pytest.approx(beyond)
    baseline = week_profile(study.engine, "sarc", weights=weights, threshold=60)
    assert frame["people_beyond"].sum() < baseline["people_beyond"].sum()
