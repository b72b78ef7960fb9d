"""Need wired through the study and the command line: weights, equity, capacity, access.

The kernels are checked against hand-worked examples in ``test_equity.py`` and
``test_capacity.py``; here the study and the CLI must give the same figures as a direct
computation on the built data, name their weight, and fail clearly without the layer.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mapping import formats
from mapping.analysis.equity import equity
from mapping.analysis.ranges import format_range
from mapping.errors import ServiceMapError
from mapping.geography.need import EXPECTED_WOMEN_16_PLUS, NeedError, origin_values
from mapping.inputs.when import resolve_slot
from mapping.outputs.need_pack import need_pack, need_report_section
from mapping.study import Study

RunCli = Callable[[list[str]], tuple[int, str, str]]
RESIDENTS = 1_531_079
COUNCIL_AREAS = 14


def test_need_weights_add_up_to_each_lsoa(study: Study) -> None:
    need = study.need()
    assert study.need() is need  # cached
    women = study.weights("women_16_plus")
    per_lsoa = pd.Series(women).groupby(study.origins["lsoa21_code"].to_numpy()).sum()
    expected = need.set_index("lsoa21_code")["women_16_plus"].reindex(per_lsoa.index)
    np.testing.assert_allclose(per_lsoa.to_numpy(), expected.to_numpy(float))
    assert women.sum() == pytest.approx(EXPECTED_WOMEN_16_PLUS)
    np.testing.assert_array_equal(study.weights(), study.origins["population"].to_numpy(float))


def test_an_age_band_with_a_need_weight_is_refused(study: Study) -> None:
    with pytest.raises(ServiceMapError, match="only be used with the residents weight"):
        study.coverage("idva", "Tue 10:00", weight="women_16_plus", age_band="age_0_15")
    with pytest.raises(ServiceMapError, match="unknown weight"):
        study.sarc_access(weight="women")


def test_sarc_access_by_women_16_plus_names_its_weight_and_changes_shares(study: Study) -> None:
    residents = study.sarc_access(["weekend night"])
    women = study.sarc_access(["weekend night"], weight="women_16_plus")
    total_r = residents.set_index("area_code").loc["TOTAL"]
    total_w = women.set_index("area_code").loc["TOTAL"]
    assert total_r["population"] == pytest.approx(RESIDENTS)
    assert total_w["population"] == pytest.approx(EXPECTED_WOMEN_16_PLUS)
    assert set(women["weight"]) == {"women_16_plus"}
    assert "women aged 16 and over" in women["weight_label"].iloc[0]
    assert total_w["share_nearest_manchester"] != total_r["share_nearest_manchester"]
    assert total_w["population_over_60"] < total_r["population_over_60"]
    # The share is a direct weighted count over the origins (and their age groups).
    frame = study.origin_minutes("sarc", "Sat 02:00", weight="women_16_plus")
    minutes = frame["minutes"].to_numpy(float)
    weights = frame["eligible_population"].to_numpy(float)
    beyond = weights[~(minutes <= 60)].sum()
    assert total_w["population_over_60"] == pytest.approx(beyond)


def test_coverage_and_compare_carry_the_weight(study: Study) -> None:
    table = study.coverage("sarc", "Sat 02:00", weight="recorded_violence_sexual")
    total = table.set_index("area_code").loc["TOTAL"]
    # The weight is a year's worth: the January-April 2024 count x3 (its label says so).
    assert total["eligible_population"] == pytest.approx(
        3 * study.need()["recorded_violence_sexual"].sum()
    )
    assert "January–April 2024, ×3 to a year" in set(table["weight_label"]).pop()
    assert total["population"] == pytest.approx(RESIDENTS)  # residents stay residents
    assert set(table["weight"]) == {"recorded_violence_sexual"}
    slots = study.compare_slots(
        "sarc", ["weekday daytime", "weekend night"], weight="women_16_plus"
    )
    assert set(slots["weight"]) == {"women_16_plus"}
    frame = study.origin_minutes("sarc", "Sat 02:00", weight="women_16_plus")
    assert frame["eligible_population"].sum() == pytest.approx(EXPECTED_WOMEN_16_PLUS)


def test_study_equity_matches_a_direct_computation(study: Study) -> None:
    result = study.equity("sarc", "Sat 02:00", 60, "women_16_plus")
    # By hand: one row per origin and age group, each against the SARCs that see it.
    frame = study.origin_minutes("sarc", "Sat 02:00", weight="women_16_plus")
    deciles = origin_values(study.origins, study.need(), "imd_decile").to_numpy()
    direct = equity(
        frame["minutes"].to_numpy(float),
        frame["eligible_population"].to_numpy(float),
        np.tile(deciles, len(frame) // len(study.origins)),
        threshold=60,
        weight="women_16_plus",
    )
    mine = result.by_decile.set_index("imd_decile")
    theirs = direct.by_decile.set_index("imd_decile")
    for column in ("population", "mean_minutes", "share_beyond_threshold"):
        np.testing.assert_allclose(mine[column], theirs[column])
    assert mine["population"].sum() == pytest.approx(EXPECTED_WOMEN_16_PLUS)
    assert set(mine["slot"]) == {"Sat 02:00"} and set(mine["category"]) == {"sarc"}
    # Each decile's range (docs/ranges.md) holds its central share, and the people
    # beyond at each end add up over the deciles to no more than the county's envelope
    # (each decile takes its own worst case, so the sum may exceed the county's high).
    share = mine["share_beyond_threshold"]
    assert (mine["share_beyond_threshold_low"] <= share + 1e-9).all()
    assert (share <= mine["share_beyond_threshold_high"] + 1e-9).all()
    county = study.beyond_range("sarc", "Sat 02:00", weight="women_16_plus").people_beyond
    lows = (mine["share_beyond_threshold_low"] * mine["population"]).sum()
    assert lows <= county[1] + 1e-6
    highs = (mine["share_beyond_threshold_high"] * mine["population"]).sum()
    assert highs >= county[2] - 1e-6
    # The rural/urban table has the same range, grouped by class (docs/ranges.md).
    rural = result.by_rural_urban
    assert rural is not None
    mid = rural["share_beyond_threshold"]
    assert (rural["share_beyond_threshold_low"] <= mid + 1e-9).all()
    assert (mid <= rural["share_beyond_threshold_high"] + 1e-9).all()
    people = rural[["share_beyond_threshold_low", "share_beyond_threshold_high"]].mul(
        rural["population"], axis=0
    )
    assert people.iloc[:, 0].sum() <= county[1] + 1e-6
    assert people.iloc[:, 1].sum() >= county[2] - 1e-6


def test_capacity_and_access(study: Study) -> None:
    table = study.capacity()
    districts = table[(table["area_level"] == "district")]
    assert districts.groupby("service_type")["area_code"].nunique().eq(COUNCIL_AREAS).all()
    assert (table["source"].str.len() > 10).all()
    inhabitants = study.capacity(denominators={"sexual_violence_support": "residents"})
    sv = inhabitants[inhabitants["service_type"] == "sexual_violence_support"]
    assert set(sv["denominator"]) == {"residents"}
    refuge = study.access("refuge")
    assert refuge.scale == "county" and "county scale" in refuge.note
    assert refuge.table["ratio_2sfca"].nunique() == 1
    idva = study.access("idva", weight="women_16_plus", catchment_minutes=45)
    assert idva.catchment_minutes == 45 and len(idva.table) == 945
    with pytest.raises(ServiceMapError, match="known capacity"):
        study.access("sarc")


def test_a_missing_or_damaged_need_layer_names_the_file_and_the_rest_works(
    study: Study, tmp_path: Path
) -> None:
    shutil.copytree(study.data_dir or Path("data"), tmp_path / "data", ignore=_only_boundaries)
    alone = Study(study.engine, study.origins, study.register, data_dir=tmp_path / "data")
    with pytest.raises(NeedError, match=r"lsoa_need\.csv"):
        alone.need()
    with pytest.raises(NeedError, match=r"lsoa_need\.csv"):
        alone.sarc_access(weight="women_16_plus")
    assert len(alone.sarc_access(["weekend night"])) == COUNCIL_AREAS + 1
    notes: list[str] = []
    empty = need_pack(alone, [resolve_slot("weekend night")], notes)
    assert not empty.tables and not empty.layers and need_report_section(empty) is None
    assert "not exported" in notes[0] and "lsoa_need.csv" in notes[0]
    (tmp_path / "data" / "need").mkdir()
    (tmp_path / "data" / "need" / "lsoa_need.csv").write_text("lsoa21_code\nx\n")
    with pytest.raises(NeedError, match=r"lsoa_need.csv: damaged"):
        alone.equity("sarc")


def _only_boundaries(folder: str, names: list[str]) -> list[str]:
    keep = {"boundaries", "lancashire.gpkg"}
    return [n for n in names if n not in keep and not n.startswith("lancashire.gpkg")]


# ---- the command line --------------------------------------------------------------------


def test_cli_equity_writes_ten_deciles_adding_up_to_the_census(
    built_data: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    out = tmp_path / "e.csv"
    code, stdout, err = run_cli(
        ["equity", "--category", "sarc", "--at", "Sat 02:00", "--out", str(out)]
    )
    assert code == 0, err
    table = pd.read_csv(out)
    assert list(table["imd_decile"]) == list(range(1, 11))
    for column in ("imd_decile", "population", "mean_minutes", "share_beyond_threshold"):
        assert column in table
    assert table["population"].sum() == pytest.approx(RESIDENTS)
    assert "Theil's T" in stdout and "between IMD deciles" in stdout
    assert "By quintile" in stdout
    # Each decile's share beyond with its range, as the table's _low and _high say.
    assert "beyond 60 min (low–high)" in stdout and "docs/ranges.md" in stdout
    first = table.iloc[0]
    assert (
        format_range(
            first["share_beyond_threshold"],
            first["share_beyond_threshold_low"],
            first["share_beyond_threshold_high"],
            fmt=formats.percent,
        )
        in stdout
    )
    # Replacing a previous equity table is fine; other files and the data folder are not.
    assert run_cli(["equity", "--minutes", "45", "--out", str(out)])[0] == 0
    assert pd.read_csv(out)["threshold_minutes"].eq(45).all()
    letter = tmp_path / "letter.csv"
    letter.write_text("dear,commissioner\n")
    code, _, err = run_cli(["equity", "--out", str(letter)])
    assert code == 1 and "not a previous equity table" in err
    assert letter.read_text() == "dear,commissioner\n"
    code, _, err = run_cli(["equity", "--out", str(built_data / "equity.csv")])
    assert code == 1 and "data folder" in err
    code, _, err = run_cli(["equity", "--weight", "women", "--out", str(out)])
    assert code == 1 and "unknown weight" in err


def test_cli_equity_by_recorded_violence_carries_the_caveat(
    built_data: Path, run_cli: RunCli
) -> None:
    code, stdout, err = run_cli(["equity", "--weight", "recorded_violence_sexual"])
    assert code == 0, err
    assert "proxy for need" in stdout and "recorded V&SO a year" in stdout
    assert "offences recorded in this area, January–April 2024, ×3 to a year" in stdout


def test_cli_capacity_covers_every_council_area_and_lancashire(
    built_data: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    out = tmp_path / "c.csv"
    code, stdout, err = run_cli(["capacity", "--out", str(out)])
    assert code == 0, err
    table = pd.read_csv(out)
    for column in ("area_code", "area_name", "service_type", "benchmark_units", "known_units"):
        assert column in table
    assert table["source"].notna().all()
    lancashire = table[table["area_level"] == "police_force_area"]
    assert set(lancashire["area_name"]) == {"Lancashire"}
    assert set(lancashire["service_type"]) == {
        "refuge",
        "idva",
        "sexual_violence_support",
        "sarc",
    }
    per_type = table[table["area_level"] == "district"].groupby("service_type")["area_code"]
    assert per_type.nunique().eq(COUNCIL_AREAS).all()
    assert "women of all ages" in stdout  # the sexual-violence denominator, said
    # Issue 20: no bare 0 where the county-wide IDVA service covers an area; the state
    # is in words, in the output and in the table.
    idva = [line for line in stdout.splitlines() if "FTE advocates" in line or "idva" in line]
    burnley = next(line for line in stdout.splitlines() if line.strip().startswith("Burnley"))
    assert "covered by a service based elsewhere: Lancashire Victim Services IDVA" in burnley
    assert idva and not any(line.rstrip().endswith(" 0") for line in idva)
    districts = table[(table["service_type"] == "idva") & (table["area_level"] == "district")]
    assert not (districts["known_units"] == 0).any()
    assert districts["capacity"].str.startswith(("covered by", "unknown")).all()
    # Rape crisis and sexual assault centres side by side, each counting its own kind;
    # the IDVA need as a range with both Marac rates.
    assert "rape crisis centres" in stdout and "sexual assault referral centres" in stdout
    assert "not classified as rape crisis centres, so not counted" in stdout
    assert "at 40 cases per 10,000" in stdout and "at 47 cases per 10,000" in stdout
    code, stdout, err = run_cli(["capacity", "--denominator", "residents", "--out", str(out)])
    assert code == 0, err
    sv = pd.read_csv(out).query("service_type == 'sexual_violence_support'")
    assert set(sv["denominator"]) == {"residents"}
    assert "1 per 200,000 usual residents" in stdout


def test_cli_sarc_by_women_16_plus(built_data: Path, run_cli: RunCli) -> None:
    code, women, err = run_cli(["sarc", "--at", "Sat 02:00", "--weight", "women_16_plus"])
    assert code == 0, err
    assert "666,438" in women and "women aged 16 and over" in women
    code, residents, _ = run_cli(["sarc", "--at", "Sat 02:00"])
    assert "1,531,079" in residents and "666,438" not in residents
    # The Lancashire row's shares and people beyond 60 minutes change with the weight.
    assert women.splitlines()[-2].split()[3:] != residents.splitlines()[-2].split()[3:]


def test_cli_access_says_refuge_is_county_scale(built_data: Path, run_cli: RunCli) -> None:
    code, stdout, err = run_cli(["access", "--category", "refuge"])
    assert code == 0, err
    assert "county scale" in stdout


def test_cli_access_says_idva_capacity_is_unknown_not_zero(
    built_data: Path, run_cli: RunCli
) -> None:
    code, stdout, err = run_cli(["access", "--category", "idva"])
    assert code == 0, err
    assert "Capacity unknown" in stdout and "0.0" not in stdout
    assert "Services used: 0;" in stdout and "left out, capacity unknown:" in stdout


def test_data_check_checks_the_need_layer(built_data: Path, run_cli: RunCli) -> None:
    code, stdout, err = run_cli(["data", "check"])
    assert code == 0, err
    assert "need: 945 LSOAs, 1,531,079 residents, 666,438 women 16+" in stdout, err
