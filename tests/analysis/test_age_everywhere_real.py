"""On the real register: the age split never makes under-16s' figures better (issue 20).

SAFE Place Merseyside sees people aged 16 and over only. With the age split a child's
nearest SARC is the nearest one that sees children, never a nearer adult-only one, so
every figure for under-16s is at least as far (and at least as many beyond a threshold)
as with one nearest service per origin. No figure depending on road speeds is pinned:
each is compared with the same computation without the split.
"""

from __future__ import annotations

import numpy as np
import pytest

from mapping.analysis.week import week_profile
from mapping.inputs.when import resolve_slot

TIMES = ("Tue 10:00", "Sat 02:00", "Sat 14:00", "Mon 07:00")


def test_sarcs_differ_in_the_ages_they_see(study) -> None:  # type: ignore[no-untyped-def]
    parts = study.age_parts("sarc", study.eligible_weights(None))
    assert len(parts) > 1 and parts[0].band[0] == 0
    # The groups share out everybody: no one is lost or counted twice.
    total = sum(p.weights for p in parts)
    np.testing.assert_allclose(total, study.origins["population"].to_numpy(float))


@pytest.mark.parametrize("at", TIMES)
def test_children_are_never_nearer_with_the_split(study, at: str) -> None:  # type: ignore[no-untyped-def]
    split = study.by_age("sarc", resolve_slot(at), study.eligible_weights(None), "residents")
    children = (split.origins["age_group"] == "0-15").to_numpy()
    flat = np.asarray(study.nearest("sarc", at).minutes, float)
    with np.errstate(invalid="ignore"):
        assert (split.minutes[children] >= flat).all()
    # Children's figures over the county: never fewer beyond 60 minutes.
    weights = split.weights[children]
    assert weights[~(split.minutes[children] <= 60)].sum() >= weights[~(flat <= 60)].sum()
    # The map's per-origin minutes are the same rows.
    frame = study.origin_minutes("sarc", at)
    np.testing.assert_allclose(frame["minutes"].fillna(np.inf), split.minutes)


def test_somewhere_a_child_is_sent_past_an_adult_only_sarc(study) -> None:  # type: ignore[no-untyped-def]
    split = study.by_age(
        "sarc", resolve_slot("Sat 02:00"), study.eligible_weights(None), "residents"
    )
    children = (split.origins["age_group"] == "0-15").to_numpy()
    flat = study.nearest("sarc", "Sat 02:00")
    adult_only = set(
        study.register.loc[
            (study.register["category"] == "sarc") & (study.register["min_age"] >= 16), "id"
        ]
    )
    sent_past = np.isin(np.asarray(flat.service_id, dtype=object), list(adult_only))
    assert sent_past.any()
    assert (split.minutes[children][sent_past] > np.asarray(flat.minutes)[sent_past]).all()


def test_the_week_is_never_better_with_the_split(study) -> None:  # type: ignore[no-untyped-def]
    split = study.week_profile("sarc", threshold=60)
    flat = week_profile(study.engine, "sarc", weights=study.eligible_weights(None), threshold=60)
    np.testing.assert_allclose(split["population"], flat["population"])
    assert (split["people_beyond"] >= flat["people_beyond"] - 1e-6).all()
    assert (split["people_unreached"] >= flat["people_unreached"] - 1e-6).all()
    # Its range holds the central figure without any widening.
    assert (split["people_beyond_low"] <= split["people_beyond"]).all()
    assert (split["people_beyond"] <= split["people_beyond_high"]).all()


def test_equity_for_children_is_never_better_with_the_split(study) -> None:  # type: ignore[no-untyped-def]
    from mapping.analysis.equity import equity
    from mapping.geography.need import origin_values

    split = study.equity("sarc", "Sat 02:00", 60).by_decile.set_index("imd_decile")
    deciles = origin_values(study.origins, study.need(), "imd_decile").to_numpy()
    flat = equity(
        np.asarray(study.nearest("sarc", "Sat 02:00").minutes, float),
        study.eligible_weights(None),
        deciles,
        threshold=60,
    ).by_decile.set_index("imd_decile")
    np.testing.assert_allclose(split["population"], flat["population"])
    assert (split["share_beyond_threshold"] >= flat["share_beyond_threshold"] - 1e-12).all()
    assert (split["mean_minutes"] >= flat["mean_minutes"] - 1e-9).all()
    # Children alone (an age band: their own eligible SARCs) as the split counts them.
    children = study.equity("sarc", "Sat 02:00", 60, age_band="age_0_15").by_decile
    assert children["population"].sum() == pytest.approx(study.origins["age_0_15"].sum())


@pytest.mark.parametrize("weight", ["residents", "women_16_plus"])
def test_sarc_table_range_holds_its_central_figure(study, weight: str) -> None:  # type: ignore[no-untyped-def]
    table = study.sarc_access(["weekday daytime", "Sat 02:00", "Sat 14:00"], weight=weight)
    low, mid, high = (table[f"population_over_60{end}"] for end in ("_low", "", "_high"))
    # No widening (no np.fmin / np.fmax): the cases are split by age as the table is.
    assert (low <= mid).all() and (mid <= high).all()
    # The central figure is the coverage table's count beyond 60 minutes (split by age).
    night = table[table["slot"] == "Sat 02:00"].set_index("area_code")
    coverage = study.coverage("sarc", "Sat 02:00", thresholds=(60,), weight=weight)
    beyond = coverage.set_index("area_code")["population_beyond_60"].reindex(night.index)
    np.testing.assert_allclose(night["population_over_60"], beyond, rtol=1e-9, atol=1e-6)


def test_the_export_week_is_the_study_week(study) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from mapping.analysis.week import WEEK_COLUMNS
    from mapping.outputs.export import _week_profile

    exported = _week_profile(study.model, "sarc")
    ranges = ["people_beyond_low", "people_beyond_high", "share_beyond_low", "share_beyond_high"]
    # The central columns where they were, the range columns after them.
    assert list(exported.columns) == [*WEEK_COLUMNS, *ranges]
    week = study.week_profile("sarc", threshold=60)
    pd.testing.assert_frame_equal(exported, week)
    assert exported["open_services"].tolist() == week["open_services"].tolist()
    for column in ("people_beyond", "share_beyond"):
        mid = exported[column].to_numpy(float)
        low = exported[f"{column}_low"].to_numpy(float)
        high = exported[f"{column}_high"].to_numpy(float)
        assert (low <= mid).all() and (mid <= high).all()
    # The range moves somewhere in the week (drive times alone do at some hour).
    assert (exported["people_beyond_high"] > exported["people_beyond_low"]).any()
