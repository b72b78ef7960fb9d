"""Tests of the one account of access at an hour (:mod:`mapping.analysis.out_of_hours`).

A line network (10 free-flow or 15 daytime minutes a hop) with a 9-to-5 in-area SARC on
node 1 and a 24/7 cross-border one on node 5 gives figures worked out by hand; the last
test checks the real study against its own coverage table.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mapping.analysis.coverage import RegisterChanges
from mapping.analysis.out_of_hours import account_from_nearest, change_between, hour_account
from mapping.inputs.when import resolve_slot
from mapping.routing.engine import TravelEngine
from tests.analysis.test_week import line_network, register


def small_model() -> SimpleNamespace:
    """Origins on nodes 0 (1,000 people) and 5 (10 people) of the line network."""
    net = line_network()
    services = register(("near", 1, "Mo-Fr 09:00-17:00"), ("far", 5, "24/7"))
    services.loc[services["id"] == "far", "provider_area"] = "Greater Manchester"
    services["name"] = ["Near SARC", "Far SARC"]
    engine = TravelEngine(net, net.node_xy[[0, 5]], services)
    weights = np.array([1000.0, 10.0])
    return SimpleNamespace(
        engine=engine,
        changes=RegisterChanges(),
        weights=lambda weight="residents", age_band=None: weights,
        effective_register=lambda: services,
    )


def test_saturday_night_is_all_over_the_border() -> None:
    account = hour_account(small_model(), "sarc", "Sat 02:00", threshold=40)
    # Only "far" is open, at free flow: origin 0 is 5 hops x 10 = 50 min, origin 5 is 0.
    assert account.in_area == ()
    assert account.profile == "free_flow"
    (far,) = account.cross_border
    assert (far.service_id, far.name, far.provider_area) == (
        "far",
        "Far SARC",
        "Greater Manchester",
    )
    assert far.people == 1010 and far.share == 1.0
    assert far.mean_minutes == pytest.approx(1000 * 50 / 1010)
    assert far.people_beyond == 1000
    assert account.people_beyond == 1000 and account.people_unreached == 0
    assert account.share_in_area == 0 and account.share_cross_border == 1.0
    text = account.sentence()
    assert text.startswith("At Sat 02:00 (weekend night) no Lancashire SARC is the nearest open")
    assert "100% (1,010) have their nearest open SARC over the border" in text
    assert "100% Far SARC (Greater Manchester, 50 min)" in text
    assert "1,000 residents (99%) have no open SARC within 40 minutes." in text


def test_weekday_daytime_is_mostly_in_area() -> None:
    account = hour_account(small_model(), "sarc", "Tue 10:00", threshold=40)
    # Both open, daytime: origin 0 -> near 1 hop x 15 = 15 min; origin 5 -> far, 0 min.
    (near,) = account.in_area
    (far,) = account.cross_border
    assert near.people == 1000 and near.mean_minutes == 15
    assert far.people == 10 and far.mean_minutes == 0
    assert account.people_beyond == 0
    assert account.in_area_mean_minutes == 15
    assert account.mean_minutes == pytest.approx(15_000 / 1010)
    assert (
        "a Lancashire SARC is the nearest open one for 99% of residents (1,000, mean 15 min)"
        in (account.sentence())
    )


def test_the_change_is_split_into_hours_and_speeds() -> None:
    model = small_model()
    # Sat 02:00 -> Sat 14:00 at 60 min: the same service open; only the speeds change
    # (50 min at free flow, 75 min by day), so all 1,000 are from road speeds.
    change = change_between(model, "sarc", "Sat 02:00", "Sat 14:00", threshold=60)
    assert (change.start.people_beyond, change.end.people_beyond) == (0, 1000)
    assert change.from_hours == 0 and change.from_speeds == 1000
    assert "+0 from opening hours" in change.sentence()
    assert (
        "+1,000 from road speeds (weekend day road speeds instead of free flow)"
        in change.sentence()
    )
    # Tue 10:00 -> Sat 14:00: both daytime; "near" closes, so all 1,000 are from hours.
    change = change_between(model, "sarc", "Tue 10:00", "Sat 14:00", threshold=60)
    assert change.from_hours == 1000 and change.from_speeds == 0
    assert change.from_hours + change.from_speeds == change.change


def test_nobody_reached_and_nobody_counted() -> None:
    slot = resolve_slot("Sat 02:00")
    empty = account_from_nearest(
        "sarc",
        slot,
        "free_flow",
        service_id=np.array([None, None], dtype=object),
        minutes=np.array([np.inf, np.inf]),
        provider_area=np.array([None, None], dtype=object),
        weights=np.array([2.0, 3.0]),
        threshold=60,
        names={},
    )
    assert empty.people_beyond == 5 and empty.people_unreached == 5
    assert np.isnan(empty.mean_minutes)
    assert "(5 none at all)" in empty.sentence()
    nobody = account_from_nearest(
        "sarc",
        slot,
        "free_flow",
        service_id=np.array([], dtype=object),
        minutes=np.array([]),
        provider_area=np.array([], dtype=object),
        weights=np.array([]),
        threshold=60,
        names={},
    )
    assert nobody.population == 0 and np.isnan(nobody.share_beyond)


def test_the_real_study_agrees_with_its_coverage_table(study) -> None:
    account = study.out_of_hours("sarc", "Sat 02:00", threshold=60)
    table = study.coverage("sarc", "Sat 02:00", "district", thresholds=(60,))
    total = table[table["area_code"] == "TOTAL"].iloc[0]
    assert account.population == pytest.approx(total["eligible_population"])
    assert account.people_beyond == pytest.approx(total["population_beyond_60"])
    assert account.mean_minutes == pytest.approx(total["mean_minutes"])
    assert account.share_cross_border == pytest.approx(total["share_nearest_outside_lancashire"])
    # Every cross-border service is named and none is in the study area.
    register = study.effective_register().set_index("id")
    for row in account.cross_border:
        assert row.name == register.at[row.service_id, "name"]
        assert row.provider_area != "Lancashire"
    assert sum(s.people for s in (*account.in_area, *account.cross_border)) == pytest.approx(
        account.population - account.people_unreached
    )
    change = study.hour_change("sarc", "Sat 02:00", "Sat 14:00")
    assert change.from_hours + change.from_speeds == pytest.approx(change.change)
    assert isinstance(change.sentence(), str) and pd.notna(change.start.people_beyond)
