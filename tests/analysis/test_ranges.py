"""Every headline with its range (mapping.analysis.ranges), hand-worked on a line of roads.

Road 0 - 1 - ... - 7: 10 minutes a hop at night, 15 by day. Service A on node 2 has
assumed hours (Mo-Fr 08:00-16:00); B on node 7 is 24/7 and published. Origins on nodes
0, 3, 4, 5 weigh 500, 300, 70, 40 (910 in all). Threshold 42 minutes.

Saturday 02:00 (A closed, free flow): minutes to B are 70, 40, 30, 20.
* central: only origin 0 is beyond 42: 500 (54.9%);
* drive times 10% shorter: 63, 36, 27, 18: 500; 10% longer: 77, 44, 33, 22: 800 (87.9%);
* A open at 02:00: minutes 20, 10, 20, 20: nobody beyond (0.0%).
So 54.9% (0.0-87.9%), and A's hours move it most.

Tuesday 10:00 (A open, daytime): minutes 30, 15, 30, 30, nobody beyond; with A closed
105, 60, 45, 30: 870 beyond (95.6%); drive times 10% longer: 33, 16.5, 33, 33: none.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from mapping import formats
from mapping.analysis.ranges import (
    assumed_hours_ids,
    format_range,
    format_range_column,
    headline_range,
)
from mapping.routing.engine import TravelEngine
from tests.analysis.test_optimise_hours import SPACING, line_network

WEIGHTS = np.array([500.0, 300.0, 70.0, 40.0])
REGISTER = pd.DataFrame(
    {
        "id": ["a", "b"],
        "name": ["Service A", "Service B"],
        "hours_basis": ["assumed: phone-line hours", "published: open 24 hours"],
    }
)


def engine() -> TravelEngine:
    net = line_network()
    rows = [("a", 2, "Mo-Fr 08:00-16:00"), ("b", 7, "24/7")]
    services = pd.DataFrame(
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
    return TravelEngine(net, net.node_xy[[0, 3, 4, 5]], services)


def spread(at: str):  # type: ignore[no-untyped-def]
    return headline_range(
        engine(),
        "sarc",
        at,
        weights=WEIGHTS,
        threshold=42,
        assumed=assumed_hours_ids(REGISTER),
        names=dict(zip(REGISTER["id"], REGISTER["name"], strict=True)),
    )


def test_assumed_hours_are_those_not_published() -> None:
    assert assumed_hours_ids(REGISTER) == {"a"}


def test_night_band_is_hand_worked() -> None:
    r = spread("Sat 02:00")
    assert r.people_beyond == pytest.approx((500.0, 0.0, 800.0))
    assert r.share_beyond == pytest.approx((500 / 910, 0.0, 800 / 910))
    assert r.text() == "54.9% (0.0–87.9%)"
    # Only A has assumed hours: B (published) gets no case.
    assert [c.kind for c in r.cases] == ["central", "drive", "drive", "hours"]
    most = r.moves_most()
    assert most is not None and most.service_id == "a"
    assert most.label == "if Service A were open at this hour"
    assert r.explain() == (
        "with drive times 10% shorter or longer: 54.9–87.9%; assumed opening hours, the "
        "one that moves it most first: if Service A were open at this hour: 0.0%"
    )
    central = (70 * 500 + 40 * 300 + 30 * 70 + 20 * 40) / 910
    opened = (20 * 500 + 10 * 300 + 20 * 70 + 20 * 40) / 910
    assert r.mean_minutes == pytest.approx((central, opened, 1.1 * central))
    groups = r.by_group(["x", "x", "y", "y"])
    assert groups.loc["x"].tolist() == pytest.approx([500.0, 0.0, 800.0])
    assert groups.loc["y"].tolist() == pytest.approx([0.0, 0.0, 0.0])


def test_day_band_closes_the_open_assumed_service() -> None:
    r = spread("Tue 10:00")
    assert r.people_beyond == pytest.approx((0.0, 0.0, 870.0))
    assert r.text() == "0.0% (0.0–95.6%)"
    most = r.moves_most()
    assert most is not None and most.label == "if Service A were closed at this hour"


def test_no_assumed_hours_leaves_only_the_drive_band() -> None:
    r = headline_range(engine(), "sarc", "Sat 02:00", weights=WEIGHTS, threshold=42, assumed=set())
    assert r.people_beyond == pytest.approx((500.0, 500.0, 800.0))
    assert r.explain().endswith("no service it rests on has assumed opening hours")


def test_real_sarc_table_carries_low_and_high(study) -> None:  # type: ignore[no-untyped-def]
    table = study.sarc_access(["Sat 02:00"])
    low, mid, high = (
        table["population_over_60_low"],
        table["population_over_60"],
        table["population_over_60_high"],
    )
    assert (low <= mid + 1e-6).all() and (mid <= high + 1e-6).all()
    total = table[table["area_code"] == "TOTAL"].iloc[0]
    r = study.beyond_range("sarc", "Sat 02:00")
    assert total["population_over_60"] == pytest.approx(r.people_beyond[0], rel=1e-9)
    assert total["population_over_60_low"] == pytest.approx(r.people_beyond[1], rel=1e-9)
    # Every assumed-hours SARC of the register gets a case, named from the register.
    assumed = assumed_hours_ids(study.register[study.register["category"] == "sarc"])
    routable = set(study.engine.services["id"])
    flipped = {c.service_id for c in r.cases if c.kind == "hours"}
    assert flipped == assumed & routable


def test_week_bounds_are_the_same_cases_hour_by_hour() -> None:
    from mapping.analysis.ranges import week_bounds

    bounds = week_bounds(
        engine(), "sarc", weights=WEIGHTS, threshold=42, assumed=assumed_hours_ids(REGISTER)
    )
    assert len(bounds) == 168
    by_hour = bounds.set_index("hour_of_week")
    saturday_2am, tuesday_10am = 5 * 24 + 2, 24 + 10
    assert by_hour.loc[saturday_2am, ["people_beyond_low", "people_beyond_high"]].tolist() == (
        pytest.approx([0.0, 800.0])
    )
    assert by_hour.loc[tuesday_10am, ["people_beyond_low", "people_beyond_high"]].tolist() == (
        pytest.approx([0.0, 870.0])
    )
    assert by_hour.loc[tuesday_10am, "share_beyond_high"] == pytest.approx(870 / 910)
    # Each hour's envelope is the headline range at that time.
    for at, h in (("Sat 02:00", saturday_2am), ("Tue 10:00", tuesday_10am)):
        r = spread(at)
        assert r.people_beyond[1:] == pytest.approx(
            tuple(by_hour.loc[h, ["people_beyond_low", "people_beyond_high"]])
        )


def test_real_coverage_table_ranges_match_the_sarc_table(study) -> None:  # type: ignore[no-untyped-def]
    table = study.coverage("sarc", "Sat 02:00", "district", thresholds=(60,), ranges=True)
    central = table["population_beyond_60"]
    assert (table["population_beyond_60_low"] <= central + 1e-6).all()
    assert (central <= table["population_beyond_60_high"] + 1e-6).all()
    sarc = study.sarc_access(["Sat 02:00"]).set_index("area_code")
    mine = table.set_index("area_code")
    for end in ("low", "high"):
        assert mine[f"population_beyond_60_{end}"].to_numpy() == pytest.approx(
            sarc.loc[mine.index, f"population_over_60_{end}"].to_numpy()
        )
    for t in (30, 60):  # each share's range comes from the same cases, threshold by threshold
        both = study.coverage("sarc", "Sat 02:00", "district", thresholds=(t, 60), ranges=True)
        share = both[f"share_within_{t}"]
        assert (both[f"share_within_{t}_low"] <= share + 1e-9).all()
        assert (share <= both[f"share_within_{t}_high"] + 1e-9).all()
    # Without ranges=True the table is as before.
    assert "population_beyond_60_low" not in study.coverage("sarc", "Sat 02:00", thresholds=(60,))


def test_coverage_range_columns_are_hand_worked() -> None:
    # Areas x (origins 0, 1: 800) and y (origins 2, 3: 110); thresholds 30 and 42 at
    # Saturday 02:00 (module notes). Beyond 30 per case: central 70, 40 -> x 800;
    # shorter 63, 36 -> x 800; longer 77, 44, 33 -> x 800, y 70; A open -> nobody.
    # Beyond 42: central and shorter x 500, longer x 800, A open nobody; y never.
    from mapping.analysis.range_tables import (
        add_coverage_ranges,
        range_column_names,
        ranges_last,
    )

    table = pd.DataFrame(
        {"area_code": ["x", "y", "TOTAL"], "eligible_population": [800.0, 110.0, 910.0]}
    )
    out = add_coverage_ranges(table, spread("Sat 02:00"), np.array(["x", "x", "y", "y"]), (30, 42))
    assert list(out.columns) == ["area_code", "eligible_population", *range_column_names((30, 42))]
    assert range_column_names((30, 42)) == [
        "share_within_30_low",
        "share_within_30_high",
        "share_within_42_low",
        "share_within_42_high",
        "population_beyond_42_low",
        "population_beyond_42_high",
    ]
    rows = out.set_index("area_code")
    assert rows["share_within_30_low"].tolist() == pytest.approx([0.0, 40 / 110, 40 / 910])
    assert rows["share_within_30_high"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert rows["share_within_42_low"].tolist() == pytest.approx([0.0, 1.0, 110 / 910])
    assert rows["share_within_42_high"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert rows["population_beyond_42_low"].tolist() == pytest.approx([0.0, 0.0, 0.0])
    assert rows["population_beyond_42_high"].tolist() == pytest.approx([800.0, 0.0, 800.0])
    # A repeated threshold adds its columns once; later columns go before the ranges.
    again = add_coverage_ranges(
        table, spread("Sat 02:00"), np.array(["x", "x", "y", "y"]), (42, 42)
    )
    again["minutes_band"] = "x"
    assert list(ranges_last(again, (42, 42)).columns) == [
        "area_code",
        "eligible_population",
        "minutes_band",
        *range_column_names((42,)),
    ]


def test_worst_hour_range_takes_the_tied_hours_widest() -> None:
    from mapping.analysis.range_tables import worst_hour_range

    frame = pd.DataFrame(
        {
            "people_beyond": [10.0, 500.0, 499.8, 300.0],
            "share_beyond": [0.01, 0.50, 0.4998, 0.30],
            "share_beyond_low": [0.0, 0.40, 0.35, 0.20],
            "share_beyond_high": [0.02, 0.60, 0.70, 0.90],
        }
    )
    # Hours 1 and 2 tie within half a person: 50% (35–70%); hour 3's 90% is not the worst.
    assert worst_hour_range(frame) == pytest.approx((0.50, 0.35, 0.70))
    assert worst_hour_range(frame.drop(columns=["share_beyond_low"])) is None


def test_a_range_is_written_with_its_unit_once() -> None:
    pct = functools.partial(formats.percent, digits=1)
    assert format_range(0.019, 0.001, 0.076, pct) == "1.9% (0.1–7.6%)"
    assert format_range(29_496.4, 45.0, 195_953.0) == "29,496 (45–195,953)"
    # Low and high that print the same: the central figure alone.
    assert format_range(0.5, 0.4999, 0.5001, pct) == "50.0%"
    # A table column with its _low and _high (the report's glance table), and without.
    frame = pd.DataFrame(
        {
            "share": [500 / 910, 0.0, np.nan],
            "share_low": [0.0, 0.0, np.nan],
            "share_high": [800 / 910, 870 / 910, np.nan],
        }
    )
    shown = format_range_column(frame, "share", pct)
    assert shown.tolist() == ["54.9% (0.0–87.9%)", "0.0% (0.0–95.6%)", ""]
    plain = format_range_column(frame[["share"]], "share", pct)
    assert plain.tolist() == ["54.9%", "0.0%", ""]
    # The headline's text is the same formatter's.
    assert spread("Sat 02:00").text() == shown.iloc[0]
