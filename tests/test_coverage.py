"""Population-weighted coverage: the arithmetic on synthetic origins, then the study."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.coverage import NAMED_SLOTS, TOTAL_CODE, resolve_slot, summarise
from mapping.errors import ServiceMapError


def _origins(codes: list[str], population: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lad_code": codes,
            "ward_code": codes,
            "lsoa21_code": codes,
            "population": population,
        }
    )


def test_summary_of_a_hand_worked_example() -> None:
    origins = _origins(["A", "A", "A", "B"], [100, 300, 600, 50])
    minutes = np.array([10.0, 40.0, 70.0, np.inf])
    services = np.array(["s1", "s1", "s2", None], dtype=object)
    areas = np.array(["Lancashire", "Lancashire", "Greater Manchester", None], dtype=object)
    table = summarise(
        origins,
        minutes,
        services,
        areas,
        by="district",
        weights=origins["population"].to_numpy(float),
        thresholds=(30, 60),
        names={"A": "Area A", "B": "Area B"},
    ).set_index("area_code")
    a = table.loc["A"]
    assert a["area_name"] == "Area A"
    assert a["mean_minutes"] == pytest.approx((100 * 10 + 300 * 40 + 600 * 70) / 1000)
    assert a["median_minutes"] == 70  # 60% of the weight sits at 70 minutes
    assert a["share_within_30"] == pytest.approx(0.1)
    assert a["share_within_60"] == pytest.approx(0.4)
    assert a["population_beyond_60"] == pytest.approx(600)
    assert a["share_nearest_outside_lancashire"] == pytest.approx(0.6)
    assert a["nearest_service"] == "s2"  # serves 600 of the 1,000
    b = table.loc["B"]
    assert b["population_unreached"] == 50 and np.isnan(b["mean_minutes"])
    assert b["share_within_60"] == 0
    total = table.loc[TOTAL_CODE]
    assert total["area_name"] == "Lancashire"
    assert total["population"] == 1050
    assert total["share_within_30"] == pytest.approx(100 / 1050)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.floats(0.5, 500),
            st.one_of(st.floats(0, 200), st.just(float("inf"))),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_summary_agrees_with_a_direct_computation(rows: list[tuple[str, float, float]]) -> None:
    codes, weights, minutes = (list(x) for x in zip(*rows, strict=True))
    origins = _origins(codes, weights)
    minutes_arr = np.array(minutes)
    services = np.array([None if np.isinf(m) else "s" for m in minutes], dtype=object)
    table = summarise(
        origins,
        minutes_arr,
        services,
        services,
        by="ward",
        weights=np.array(weights),
        thresholds=(30, 60),
    ).set_index("area_code")
    for code in set(codes):
        mask = np.array(codes) == code
        w, m = np.array(weights)[mask], minutes_arr[mask]
        row = table.loc[code]
        assert row["eligible_population"] == pytest.approx(w.sum())
        assert row["share_within_30"] == pytest.approx(w[m <= 30].sum() / w.sum())
        reached = np.isfinite(m)
        if reached.any():
            assert row["mean_minutes"] == pytest.approx(np.average(m[reached], weights=w[reached]))
        # The weighted median: the smallest value with at least half the weight at or below.
        order = np.argsort(m, kind="mergesort")
        cum = np.cumsum(w[order]) / w.sum()
        expected = m[order][np.searchsorted(cum, 0.5 - 1e-12)]
        if np.isfinite(expected):
            assert row["median_minutes"] == pytest.approx(expected)
    assert table.loc[TOTAL_CODE, "eligible_population"] == pytest.approx(sum(weights))


def test_slots_resolve_by_name_and_time() -> None:
    assert resolve_slot("weekend night").at == "Sat 02:00"
    assert resolve_slot("Sat 02:00").name == "weekend night"
    assert resolve_slot("Wed 13:30").name == "Wed 13:30"
    assert {s.name for s in NAMED_SLOTS} >= {"weekday daytime", "weekend night"}
    with pytest.raises(ServiceMapError):
        resolve_slot("Caturday 02:00")
