"""Everybody's nearest service when a service sees adults only (issue 20, item 5)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mapping.analysis.age_split import age_groups, split_by_age
from mapping.analysis.summary import summarise

BANDS = ("age_0_15", "age_16_24", "age_25_34", "age_35_49", "age_50_64", "age_65_plus")


def _origins() -> pd.DataFrame:
    # Two origins in one area: 100 people each, 20 of them under 16.
    frame = pd.DataFrame({"lad_code": ["A", "A"], "ward_code": ["A", "A"], "lsoa21_code": "A"})
    frame["population"] = [100.0, 100.0]
    for band, people in zip(BANDS, (20, 16, 16, 16, 16, 16), strict=True):
        frame[band] = float(people)
    return frame


SERVICES = pd.DataFrame(
    {"id": ["adults", "everyone"], "min_age": [16, np.nan], "max_age": [np.nan, np.nan]}
)


def _nearest(span: tuple[int, int | None] | None) -> SimpleNamespace:
    """A stub engine: 'adults' is 10 minutes away, 'everyone' 70 (both origins)."""
    if span is not None and span[1] is not None and span[1] < 16:
        return SimpleNamespace(
            minutes=[70.0, 70.0], service_id=["everyone"] * 2, provider_area=["X"] * 2
        )
    return SimpleNamespace(minutes=[10.0, 10.0], service_id=["adults"] * 2, provider_area=["X"] * 2)


def test_age_groups_join_bands_that_see_the_same_services() -> None:
    assert age_groups(SERVICES) == [("age_0_15",), BANDS[1:]]
    everyone = SERVICES.assign(min_age=np.nan)
    assert age_groups(everyone) == [BANDS]


def test_under_16s_are_counted_against_the_services_that_see_them() -> None:
    origins = _origins()
    split = split_by_age(origins, SERVICES, origins["population"].to_numpy(), "residents", _nearest)
    assert split.groups == ((0, 15), (16, None))
    # 40 children at 70 minutes, 160 adults at 10: not everybody at 10 minutes.
    assert split.weights.tolist() == [20, 20, 80, 80]
    table = summarise(
        split.origins,
        split.minutes,
        split.service_id,
        split.provider_area,
        by="district",
        weights=split.weights,
        thresholds=(60,),
    ).set_index("area_code")
    assert table.loc["A", "population"] == 200
    assert table.loc["A", "mean_minutes"] == pytest.approx((40 * 70 + 160 * 10) / 200)
    assert table.loc["A", "share_within_60"] == pytest.approx(160 / 200)


def test_women_16_plus_put_no_weight_on_children() -> None:
    origins = _origins()
    women = np.array([50.0, 30.0])
    split = split_by_age(origins, SERVICES, women, "women_16_plus", _nearest)
    assert split.weights.tolist() == [0, 0, 50, 30]


def test_one_group_when_every_service_sees_every_age() -> None:
    origins = _origins()
    everyone = SERVICES.assign(min_age=np.nan)
    split = split_by_age(origins, everyone, origins["population"].to_numpy(), "residents", _nearest)
    assert len(split.origins) == 2 and split.minutes.tolist() == [10, 10]
