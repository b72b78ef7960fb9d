"""Children counted only against the services that see them, everywhere (issue 20, item 5).

Hand-worked on a line of roads (``line_network``: 10 minutes a hop at night, 15 by day).
"adults" on node 1 is 24/7 and sees people aged 16+ only (as SAFE Place Merseyside does);
"everyone" on node 6 is 24/7, sees every age and its hours are assumed. Two origins, in
LSOAs L1 (node 0: 100 residents, 20 under 16) and L2 (node 3: 100, 40 under 16).

Saturday 02:00 (free flow), minutes to adults / everyone: L1 10 / 60, L2 20 / 30.
Without the age split everybody's nearest is "adults" (10 and 20 minutes). With it the
under-16s go to "everyone": L1's 20 children at 60 minutes, L2's 40 at 30; the adults at
10 and 20. Threshold 45 minutes:

* beyond: L1's 20 children (10.0% of 200), where one nearest service per origin says 0;
* drive times ±10%: 54 / 66 and 27 / 33 minutes for the children: still 20;
* "everyone" (assumed hours) closed: every child has no service: 60 beyond (30.0%);
* mean minutes: (20 x 60 + 40 x 30 + 80 x 10 + 60 x 20) / 200 = 22.0.

Tuesday 10:00 (15 minutes a hop): children at 90 and 45, adults at 15 and 30: 20 beyond;
drive times 10% longer put L2's children at 49.5: 60 beyond. Mean 6,600 / 200 = 33.0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from mapping.analysis.age_split import age_parts
from mapping.analysis.coverage import CoverageModel
from mapping.analysis.need_queries import equity_for
from mapping.analysis.optimise_hours import hour_gains
from mapping.analysis.optimise_sites import build_problem, evaluate_sites
from mapping.analysis.ranges import assumed_hours_ids, headline_range, week_bounds
from mapping.analysis.study_data import StudyData
from mapping.analysis.week import week_profile
from mapping.analysis.week_study import study_week_profile
from mapping.routing.engine import TravelEngine
from tests.analysis.test_optimise_hours import SPACING, line_network

BANDS = ("age_0_15", "age_16_24", "age_25_34", "age_35_49", "age_50_64", "age_65_plus")
SAT_NIGHT = 5 * 24 + 2  # hour of the week of Saturday 02:00
TUE_DAY = 24 + 10


def _services(kids: bool = False) -> pd.DataFrame:
    rows = [
        ("adults", 1, "24/7", 16, "published: open 24 hours"),
        ("everyone", 6, "24/7", None, "assumed: not published"),
    ]
    if kids:  # an all-ages service open on weekday days only, between the two origins
        rows.append(("kids", 2, "Mo-Fr 08:00-18:00", None, "published: clinic hours"))
    return pd.DataFrame(
        [
            {
                "id": sid,
                "name": f"Service {sid}",
                "category": "sarc",
                "opening_hours": hours,
                "hours_basis": basis,
                "min_age": pd.NA if low is None else low,
                "max_age": pd.NA,
                "crime_types": ("all",),
                "provider_area": "Lancashire",
                "geometry": Point(350_000.0 + SPACING * node, 430_000.0),
            }
            for sid, node, hours, low, basis in rows
        ]
    )


def _origins() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "origin_id": [0, 1],
            "lsoa21_code": ["L1", "L2"],
            "ward_code": ["W", "W"],
            "lad_code": ["A", "A"],
            "population": [100.0, 100.0],
        }
    )
    for band, l1, l2 in zip(BANDS, (20, 16, 16, 16, 16, 16), (40, 12, 12, 12, 12, 12), strict=True):
        frame[band] = [float(l1), float(l2)]
    return frame


def _engine(kids: bool = False) -> TravelEngine:
    net = line_network()
    return TravelEngine(net, net.node_xy[[0, 3]], _services(kids))


def _model(kids: bool = False) -> CoverageModel:
    return CoverageModel(StudyData.of(_engine(kids), _origins(), _services(kids)))


def _parts(kids: bool = False):  # type: ignore[no-untyped-def]
    services = _services(kids)[["id", "min_age", "max_age"]]
    origins = _origins()
    return age_parts(origins, services, origins["population"].to_numpy(), "residents")


def test_parts_are_the_register_age_groups() -> None:
    parts = _parts()
    assert [p.band for p in parts] == [(0, 15), (16, None)]
    assert parts[0].weights.tolist() == [20, 40] and parts[1].weights.tolist() == [80, 60]
    # The model gives the same groups (its register's ages), one group for an age band.
    model = _model()
    weights = model.eligible_weights(None)
    assert [p.band for p in model.age_parts("sarc", weights)] == [(0, 15), (16, None)]
    assert [p.band for p in model.age_parts("sarc", weights, age_band="age_0_15")] == ["age_0_15"]


def test_the_headline_range_splits_by_age_as_its_central_figure() -> None:
    r = _model().beyond_range("sarc", "Sat 02:00", threshold=45)
    assert r.people_beyond == pytest.approx((20.0, 20.0, 60.0))
    assert r.text() == "10.0% (10.0–30.0%)"
    assert r.mean_minutes[0] == pytest.approx(22.0)
    assert "if Service everyone were closed at this hour: 30.0%" in r.explain()
    by_lsoa = r.by_group(["L1", "L2"])  # one code per origin: each group's rows with it
    assert by_lsoa.loc["L1"].tolist() == pytest.approx([20, 20, 20])
    assert by_lsoa.loc["L2"].tolist() == pytest.approx([0, 0, 40])
    # One nearest service per origin, as before: nobody beyond and no band at all.
    engine = _engine()
    flat = headline_range(
        engine,
        "sarc",
        "Sat 02:00",
        weights=np.array([100.0, 100.0]),
        threshold=45,
        assumed=assumed_hours_ids(_services()),
    )
    assert flat.people_beyond == pytest.approx((0.0, 0.0, 0.0))


def test_the_week_counts_children_against_the_services_that_see_them() -> None:
    frame = study_week_profile(
        _model(),
        "sarc",
        threshold=45,
        age_band=None,
        area=None,
        by="district",
        mode="drive",
        filters={},
    ).set_index("hour_of_week")
    night, day = frame.loc[SAT_NIGHT], frame.loc[TUE_DAY]
    assert night["population"] == 200
    assert night["people_beyond"] == pytest.approx(20)
    assert night["mean_minutes"] == pytest.approx(22.0)
    assert (night["people_beyond_low"], night["people_beyond_high"]) == pytest.approx((20, 60))
    assert day["people_beyond"] == pytest.approx(20)
    assert day["mean_minutes"] == pytest.approx(33.0)
    assert (day["people_beyond_low"], day["people_beyond_high"]) == pytest.approx((20, 60))
    assert night["open_services"] == "adults;everyone" and night["n_open"] == 2
    # The week's hour and the headline range are the same figures.
    spread = _model().beyond_range("sarc", "Sat 02:00", threshold=45)
    assert night["people_beyond"] == pytest.approx(spread.people_beyond[0])
    # Without the split (one group of everybody) the children would be 10 minutes away.
    flat = week_profile(_engine(), "sarc", weights=np.array([100.0, 100.0]), threshold=45)
    assert flat.loc[SAT_NIGHT, "people_beyond"] == 0
    bounds = week_bounds(
        _engine(),
        "sarc",
        weights=np.zeros(2),
        threshold=45,
        assumed={"everyone"},
        parts=_parts(),
    )
    assert bounds.loc[SAT_NIGHT, "people_beyond_high"] == pytest.approx(60)


def test_equity_counts_children_against_the_services_that_see_them() -> None:
    need = pd.DataFrame({"lsoa21_code": ["L1", "L2"], "imd_decile": [1, 10]})
    result = equity_for(_model(), need, "sarc", "Sat 02:00", minutes=45)
    table = result.by_decile.set_index("imd_decile")
    # Decile 1 (L1): 20 children at 60 minutes, 80 adults at 10.
    assert table.loc[1, "population"] == 100
    assert table.loc[1, "share_beyond_threshold"] == pytest.approx(0.2)
    assert table.loc[1, "mean_minutes"] == pytest.approx((20 * 60 + 80 * 10) / 100)
    # Decile 10 (L2): 40 children at 30, 60 adults at 20; all within 45 unless
    # "everyone" is closed (its children then have no service: 40%).
    assert table.loc[10, "share_beyond_threshold"] == 0
    assert table.loc[10, "mean_minutes"] == pytest.approx((40 * 30 + 60 * 20) / 100)
    assert table.loc[10, "share_beyond_threshold_low"] == 0
    assert table.loc[10, "share_beyond_threshold_high"] == pytest.approx(0.4)
    assert table.loc[1, "share_beyond_threshold_low"] == pytest.approx(0.2)


def test_equity_by_rural_urban_has_the_same_range() -> None:
    # L1 Rural, L2 Urban: each class's range is the decile table's of its one LSOA.
    need = pd.DataFrame(
        {"lsoa21_code": ["L1", "L2"], "imd_decile": [1, 10], "rural_urban": ["Rural", "Urban"]}
    )
    result = equity_for(_model(), need, "sarc", "Sat 02:00", minutes=45)
    assert result.by_rural_urban is not None
    table = result.by_rural_urban.set_index("rural_urban")
    ends = ["share_beyond_threshold", "share_beyond_threshold_low", "share_beyond_threshold_high"]
    # The range columns come after the central ones (existing readers keep working).
    assert list(result.by_rural_urban.columns[-2:]) == ends[1:]
    # Rural (L1): its 20 children beyond in every case (60 minutes, 54 and 66 with
    # drive times 10% shorter or longer, no service when "everyone" is closed).
    assert table.loc["Rural", ends].tolist() == pytest.approx([0.2, 0.2, 0.2])
    # Urban (L2): nobody beyond unless "everyone" is closed (its 40 children: 40%).
    assert table.loc["Urban", ends].tolist() == pytest.approx([0.0, 0.0, 0.4])
    # Both Urban, Tuesday 10:00: children at 90 and 45, 20 beyond; drive times 10%
    # longer put L2's children at 49.5 (60 beyond), as does "everyone" closed; 10%
    # shorter leaves L1's at 81 (20). Rural counts no one: its range is unknown, not 0.
    need["rural_urban"] = "Urban"
    day = equity_for(_model(), need, "sarc", "Tue 10:00", minutes=45).by_rural_urban
    assert day is not None
    day = day.set_index("rural_urban")
    assert day.loc["Urban", ends].tolist() == pytest.approx([0.1, 0.1, 0.3])
    assert day.loc["Rural", "population"] == 0
    assert day.loc["Rural", ends].isna().all()


def test_the_map_minutes_have_a_row_per_origin_and_age_group() -> None:
    frame = _model().origin_minutes("sarc", "Sat 02:00")
    assert list(frame.columns) == [
        "origin_id",
        "lsoa21_code",
        "ward_code",
        "lad_code",
        "eligible_population",
        "weight",
        "service_id",
        "minutes",
        "provider_area",
    ]
    assert frame["service_id"].tolist() == ["everyone", "everyone", "adults", "adults"]
    assert frame["minutes"].tolist() == pytest.approx([60, 30, 10, 20])
    assert frame["eligible_population"].tolist() == [20, 40, 80, 60]
    # An age band asked for: one row per origin, that band's services only.
    children = _model().origin_minutes("sarc", "Sat 02:00", age_band="age_0_15")
    assert children["minutes"].tolist() == pytest.approx([60, 30])


def test_the_hours_optimiser_values_the_children_it_reaches() -> None:
    # Opening "kids" (node 2) at Saturday 02:00 brings L1's 20 children from 60 minutes
    # to 20: within 45. One nearest service per origin saw no one gain (adults at 10, 20).
    engine = _engine(kids=True)
    split = hour_gains(engine, "kids", weights=np.zeros(2), threshold=45, parts=_parts(True))
    assert split.gain[SAT_NIGHT] == pytest.approx(20)
    assert not split.available[TUE_DAY]
    flat = hour_gains(engine, "kids", weights=np.array([100.0, 100.0]), threshold=45)
    assert flat.gain[SAT_NIGHT] == 0
    # Minutes saved: L1's children 60 -> 20 (800), L2's 30 -> 10 (800), L2's adults
    # 20 -> 10 (600); L1's adults keep "adults" at 10.
    minutes = hour_gains(
        engine,
        "kids",
        weights=np.zeros(2),
        threshold=45,
        parts=_parts(True),
        objective="minutes",
    )
    assert minutes.gain[SAT_NIGHT] == pytest.approx(2200)
    # A 16+ service gains nothing for children: only L2's adults (20 -> 10 minutes).
    adult_kids = _services(True)
    adult_kids.loc[adult_kids["id"] == "kids", "min_age"] = 16
    net = line_network()
    engine = TravelEngine(net, net.node_xy[[0, 3]], adult_kids)
    parts = age_parts(_origins(), adult_kids, np.array([100.0, 100.0]), "residents")
    adult = hour_gains(
        engine, "kids", weights=np.zeros(2), threshold=45, parts=parts, objective="minutes"
    )
    assert adult.gain[SAT_NIGHT] == pytest.approx(600)


def test_the_site_optimiser_counts_children_against_the_services_that_see_them() -> None:
    engine = _engine()
    net = engine.network
    candidates = pd.DataFrame(
        {
            "name": ["node 0", "node 7"],
            "easting": net.node_xy[[0, 7], 0],
            "northing": net.node_xy[[0, 7], 1],
        }
    )
    common = {
        "origins_xy": net.node_xy[[0, 3]],
        "weights": np.zeros(2),
        "groups": np.array(["L1", "L2"]),
        "threshold": 45.0,
        "at": ["Sat 02:00"],
    }
    problem = build_problem(engine, "sarc", candidates, parts=_parts(), **common)
    assert problem.weights.tolist() == [20, 40, 80, 60]
    assert problem.groups.tolist() == ["L1|0-15", "L2|0-15", "L1|16+", "L2|16+"]
    assert evaluate_sites(problem, []).covered == pytest.approx(180)
    assert evaluate_sites(problem, [0]).covered == pytest.approx(200)  # L1's children
    assert evaluate_sites(problem, [1]).covered == pytest.approx(180)  # 70 min from L1
    # A 16+ new site cannot take the children: nothing gained.
    adult = build_problem(engine, "sarc", candidates, parts=_parts(), new_ages=(16, None), **common)
    assert evaluate_sites(adult, [0]).covered == pytest.approx(180)
    # One nearest service per origin: everybody is covered already.
    flat = build_problem(engine, "sarc", candidates, **{**common, "weights": np.full(2, 100.0)})
    assert evaluate_sites(flat, []).covered == pytest.approx(200)


def test_the_appraisal_week_counts_children_against_the_services_that_see_them() -> None:
    from mapping.analysis.appraise import week_figures

    # Every hour: L1's 20 children beyond 45 minutes (60 at night, 90 by day); L2's at
    # 30 or 45 minutes are within. One nearest service per origin would say nobody.
    model = _model()
    figures = week_figures(model, "sarc", model.eligible_weights(None), threshold=45)
    assert figures["week_beyond"] == pytest.approx(20)
