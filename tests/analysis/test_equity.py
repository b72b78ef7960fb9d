"""The equity table and Theil's decomposition against a three-LSOA example by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from mapping.analysis.equity import decile_to_quintile, equity, weighted_quantile
from mapping.errors import ServiceMapError
from mapping.study import Study

# Three LSOAs, four origins. A and B are in IMD decile 1, C in decile 10.
#   A: 60 people at 10 min, 40 at 40 min   (LSOA mean 22)
#   B: 100 people at 20 min                (LSOA mean 20)
#   C: 50 people at 5 min                  (LSOA mean 5)
LSOA = ["A", "A", "B", "C"]
MINUTES = [10.0, 40.0, 20.0, 5.0]
WEIGHTS = [60.0, 40.0, 100.0, 50.0]
DECILES = [1, 1, 1, 10]


def test_decile_table_matches_the_hand_computation() -> None:
    result = equity(MINUTES, WEIGHTS, DECILES, threshold=30, lsoa=LSOA, weight="residents")
    table = result.by_decile.set_index("imd_decile")
    assert list(table.index) == list(range(1, 11))
    first = table.loc[1]
    assert first["population"] == 200
    # (60*10 + 40*40 + 100*20) / 200 = 4200 / 200
    assert first["mean_minutes"] == pytest.approx(21.0)
    # Sorted: 10 (cum 60/200 = .3), 20 (.8), 40 (1.0): the 90th percentile is 40.
    assert first["p90_minutes"] == 40
    assert first["share_beyond_threshold"] == pytest.approx(40 / 200)
    tenth = table.loc[10]
    assert (tenth["population"], tenth["mean_minutes"], tenth["p90_minutes"]) == (50, 5, 5)
    assert tenth["share_beyond_threshold"] == 0
    assert table["population"].sum() == sum(WEIGHTS)
    assert table.loc[2:9, "population"].eq(0).all()
    assert table.loc[2:9, "mean_minutes"].isna().all()
    assert set(table["weight"]) == {"residents"}


def test_quintiles_group_pairs_of_deciles() -> None:
    assert decile_to_quintile([1, 2, 3, 4, 9, 10]).tolist() == [1, 1, 2, 2, 5, 5]
    result = equity(MINUTES, WEIGHTS, DECILES, threshold=30)
    table = result.by_quintile.set_index("imd_quintile")
    assert list(table.index) == [1, 2, 3, 4, 5]
    assert table.loc[1, "mean_minutes"] == pytest.approx(21.0)
    assert table.loc[5, "population"] == 50
    assert result.theil is None  # no LSOA codes given


def test_theil_split_matches_the_formula() -> None:
    theil = equity(MINUTES, WEIGHTS, DECILES, threshold=30, lsoa=LSOA).theil
    assert theil is not None
    y = np.array([22.0, 20.0, 5.0])
    s = y / y.sum()
    total = float((s * np.log(3 * s)).sum())
    between = 42 / 47 * math.log(3 / 2 * 42 / 47) + 5 / 47 * math.log(3 * 5 / 47)
    assert theil.total == pytest.approx(total)
    assert theil.between == pytest.approx(between)
    assert theil.within == pytest.approx(total - between)
    assert theil.observations == 3 and theil.left_out == 0
    assert "between IMD deciles" in theil.meaning


def test_unreached_origins_count_as_beyond_and_leave_the_mean() -> None:
    minutes = [10.0, np.inf, 20.0, np.nan]
    result = equity(minutes, WEIGHTS, DECILES, threshold=30, lsoa=LSOA)
    table = result.by_decile.set_index("imd_decile")
    assert table.loc[1, "mean_minutes"] == pytest.approx((600 + 2000) / 160)
    assert table.loc[1, "population_unreached"] == 40
    assert table.loc[1, "share_beyond_threshold"] == pytest.approx(0.2)
    assert np.isnan(table.loc[10, "p90_minutes"])  # nobody in decile 10 is in reach
    assert result.theil is not None and result.theil.left_out == 1


def test_weighted_quantile_convention() -> None:
    assert weighted_quantile([1, 2, 3], [1, 1, 2], 0.5) == 2
    assert math.isnan(weighted_quantile([1, 2], [0, 0], 0.5))


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ServiceMapError, match="one value per origin"):
        equity([1.0], [1.0, 2.0], [1], threshold=30)
    with pytest.raises(ServiceMapError, match="IMD decile from 1 to 10"):
        equity([1.0], [1.0], [11], threshold=30)
    with pytest.raises(ServiceMapError, match="0 or more"):
        equity([1.0], [-1.0], [1], threshold=30)


def test_sarc_equity_on_lancashire_adds_up_to_the_census_and_women_16_plus(
    built_data: Path, study: Study
) -> None:
    from mapping.geography.need import load_need, origin_values, spread_weight

    need = load_need(built_data, geometry=False)
    # One nearest SARC per origin (no age split): the kernel's sums are what is tested.
    minutes = np.asarray(study.nearest("sarc", "Sat 02:00").minutes, float)
    deciles = origin_values(study.origins, need, "imd_decile")
    lsoa = study.origins["lsoa21_code"]
    residents = equity(
        minutes,
        spread_weight(study.origins, need, "residents"),
        deciles,
        threshold=60,
        lsoa=lsoa,
    )
    table = residents.by_decile
    assert list(table["imd_decile"]) == list(range(1, 11))
    assert table["population"].sum() == pytest.approx(1_531_079)
    assert residents.by_quintile["population"].sum() == pytest.approx(1_531_079)
    assert residents.theil is not None and residents.theil.observations == 945
    women = equity(
        minutes,
        spread_weight(study.origins, need, "women_16_plus"),
        deciles,
        threshold=60,
        weight="women_16_plus",
    )
    assert women.by_decile["population"].sum() == pytest.approx(666_438)
    assert set(women.by_decile["weight"]) == {"women_16_plus"}
