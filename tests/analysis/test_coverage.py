"""Population-weighted coverage: the arithmetic on synthetic origins, then the study."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping import geography
from mapping.analysis.coverage import SARC_COLUMNS
from mapping.analysis.summary import TOTAL_CODE, population_by_minutes, summarise
from mapping.cli import main
from mapping.errors import ServiceMapError
from mapping.inputs import hours
from mapping.inputs.when import NAMED_SLOTS, resolve_slot
from mapping.study import Study


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


def test_population_by_minutes_bands_include_their_upper_limit() -> None:
    origins = pd.DataFrame(
        {
            "minutes": [0.0, 15.0, 15.5, 30.0, 95.0, np.nan],
            "eligible_population": [1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
            "lad_code": ["A", "A", "B", "B", "B", "A"],
        }
    )
    whole = population_by_minutes(origins, (15, 30)).set_index("band")
    assert list(whole.index) == ["0–15 min", "15–30 min", "over 30 min", "no open service"]
    assert whole["residents"].tolist() == [3.0, 12.0, 16.0, 32.0]
    assert whole.loc["15–30 min", "band_start"] == 15 and np.isnan(
        whole.loc["no open service", "band_start"]
    )
    by_area = population_by_minutes(origins, (15, 30), by="district")
    assert len(by_area) == 8  # every band for every area, zeros included
    assert by_area.groupby("area_code")["residents"].sum().to_dict() == {"A": 35.0, "B": 28.0}


def test_slots_resolve_by_name_and_time() -> None:
    assert resolve_slot("weekend night").at == "Sat 02:00"
    assert resolve_slot("Sat 02:00").name == "weekend night"
    assert resolve_slot("Wed 13:30").name == "Wed 13:30"
    assert {s.name for s in NAMED_SLOTS} >= {"weekday daytime", "weekend night"}
    with pytest.raises(ServiceMapError):
        resolve_slot("Caturday 02:00")


# ---- the study on the default data -------------------------------------------------


SHARE_COLUMNS = [f"share_nearest_{p}" for p in ("preston", "manchester", "cumbria", "other")]


@pytest.fixture(scope="module")
def sarc_table(study: Study) -> pd.DataFrame:
    return study.sarc_access(["weekday daytime", "weekend night"])


def test_sarc_table_has_every_council_area_and_a_total_per_slot(sarc_table: pd.DataFrame) -> None:
    assert list(sarc_table.columns) == list(SARC_COLUMNS)
    for slot in ("Tue 10:00", "Sat 02:00"):
        rows = sarc_table[sarc_table["slot"] == slot]
        assert len(rows) == 15
        assert (rows["area_code"] == "TOTAL").sum() == 1
    assert set(sarc_table["slot_name"]) == {"weekday daytime", "weekend night"}


def test_sarc_figures_add_up(sarc_table: pd.DataFrame, built_data: Path) -> None:
    # The four destinations cover everybody who can reach an open SARC.
    np.testing.assert_allclose(sarc_table[SHARE_COLUMNS].sum(axis=1), 1.0)
    census = geography.load_population(built_data).groupby("lad_code")["total"].sum()
    for _, rows in sarc_table.groupby("slot"):
        areas = rows[rows["area_code"] != TOTAL_CODE].set_index("area_code")
        np.testing.assert_allclose(areas["population"], census.reindex(areas.index))
        total = rows[rows["area_code"] == TOTAL_CODE].iloc[0]
        assert total["population"] == pytest.approx(1_531_079)
        assert total["population_over_90"] <= total["population_over_60"]


def test_the_preston_sarc_is_chosen_only_when_it_is_open(
    sarc_table: pd.DataFrame, study: Study
) -> None:
    preston = study.register.set_index("id").loc["sarc-preston-safe-centre", "opening_hours"]
    for slot, rows in sarc_table.groupby("slot"):
        total = rows[rows["area_code"] == TOTAL_CODE].iloc[0]
        if hours.is_open(preston, slot):
            assert total["share_nearest_preston"] > 0.5
        else:
            assert total["share_nearest_preston"] == 0
            assert total["share_nearest_outside_lancashire"] == pytest.approx(1.0)


def test_coverage_rows_per_level_carry_the_whole_population(study: Study) -> None:
    expected = {"lsoa": 945, "ward": 253, "district": 14}
    for level, count in expected.items():
        table = study.coverage("sarc", "Tue 10:00", level)
        areas = table[table["area_code"] != TOTAL_CODE]
        assert len(areas) == count
        assert areas["population"].sum() == pytest.approx(1_531_079)
        assert areas["share_within_90"].between(0, 1).all()


def test_age_band_weights_by_the_band_population(study: Study) -> None:
    table = study.coverage("sarc", "Tue 10:00", "district", age_band="age_0_15")
    total = table[table["area_code"] == TOTAL_CODE].iloc[0]
    assert total["eligible_population"] == pytest.approx(study.origins["age_0_15"].sum())
    assert total["eligible_population"] < total["population"]
    with pytest.raises(ServiceMapError, match="unknown age band"):
        study.coverage("sarc", "Tue 10:00", "district", age_band="age_7")


def test_sarc_command_prints_and_writes_the_table(
    built_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sarc.csv"
    with pytest.raises(SystemExit) as exit_info:
        main(["sarc", "--out", str(out)])
    assert exit_info.value.code in (0, None)
    printed = capsys.readouterr().out
    for name in ("Blackburn with Darwen", "Wyre", "Lancashire"):
        assert name in printed
    written = pd.read_csv(out)
    assert len(written) == 30
    assert set(written["slot"]) == {"Tue 10:00", "Sat 02:00"}


def test_weighted_quantiles_take_the_lower_value_at_an_exact_share() -> None:
    from mapping.analysis.summary import weighted_quantiles

    minutes = np.array([10.0, 20.0, 30.0, 40.0, 5.0, 7.0, np.inf])
    groups = np.array(["a", "a", "a", "a", "b", "b", "b"])
    # a: shares 0.0625, 0.5 (as 0.8 / 1.6, a hair below 0.5 in floats), 0.625, 1.
    # b: the unweighted origin is left out; half the weight is unreached (inf).
    weights = np.array([0.1, 0.7, 0.2, 0.6, 1.0, 0.0, 1.0])
    table = weighted_quantiles(groups, minutes, weights, (0.5, 0.9))
    assert table.loc["a"].tolist() == [20.0, 40.0]
    assert table.loc["b"].tolist() == [5.0, np.inf]
    # numpy's inverted_cdf alone would give 30 for a's median: the round-off is real.
    plain = np.quantile(minutes[:4], 0.5, weights=weights[:4], method="inverted_cdf")
    assert plain == 30.0


def test_the_nearest_service_of_an_area_by_hand() -> None:
    """Most eligible weight wins; a tie goes to the first service; no service gives None."""
    from mapping.analysis.summary import _top_service

    area = np.array([0, 0, 0, 1, 1, 2])
    service = np.array(["s2", "s1", "s2", "s1", "s2", None], dtype=object)
    provider = np.array(["Lancashire", "Cumbria", "Lancashire", "Lancashire", "Lancashire", None])
    weights = np.array([1.0, 1.5, 1.0, 2.0, 2.0, 5.0])
    chosen, where = _top_service(area, 3, service, provider, weights)
    # Area 0: s2 has 2.0 against s1's 1.5. Area 1: 2.0 each, s1 first. Area 2: nobody served.
    assert chosen.tolist() == ["s2", "s1", None]
    assert where.tolist() == ["Lancashire", "Lancashire", None]


def test_weighted_quantiles_match_numpy_group_by_group() -> None:
    """The one-pass quantiles equal np.quantile(..., weights, 'inverted_cdf') per group."""
    from mapping.analysis.summary import weighted_quantiles

    rng = np.random.default_rng(7)
    groups = rng.choice(np.array(["a", "b", "c", "d"], dtype=object), 500)
    minutes = rng.choice([5.0, 12.0, 12.0, 30.0, 61.0, np.inf], 500)
    weights = rng.choice([0.0, 0.5, 0.8, 1.6, 3.0], 500)
    got = weighted_quantiles(groups, minutes, weights, (0.5, 0.9))
    for name in "abcd":
        keep = (groups == name) & (weights > 0)
        expected = np.quantile(
            minutes[keep], [0.5 - 1e-12, 0.9 - 1e-12], weights=weights[keep], method="inverted_cdf"
        )
        assert got.loc[name].tolist() == expected.tolist()
