"""The need layer: build, load, damage and spreading weights over origins."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from mapping import geography
from mapping.errors import ServiceMapError
from mapping.geography import need
from mapping.geography.need import NeedError, load_need, spread_weight
from mapping.inputs.sources import Sources
from mapping.store import read_meta


@pytest.fixture(scope="module")
def need_data(sources: Sources, built_data: Path) -> Path:
    need.build(sources, built_data)
    return built_data


def test_need_layer_reproduces_the_published_totals(need_data: Path) -> None:
    table = load_need(need_data)
    assert len(table) == 945
    assert table.crs.to_epsg() == 27700
    assert table.geometry.notna().all()
    assert int(table["residents"].sum()) == 1_531_079  # Census 2021
    assert int(table["women_16_plus"].sum()) == 666_438  # ONS mid-2024, sources README
    assert table["imd_decile"].between(1, 10).all()
    assert table["crime_decile"].between(1, 10).all()
    assert set(table["pfa_code"]) == {"E23000003"}
    assert table["csp_code"].nunique() == 14
    assert need.lancashire_check(table) == []
    # Annualised = four months x 3, and labelled as a proxy in the build record.
    four_months = table["recorded_violence_sexual"]
    assert (table["recorded_violence_sexual_annualised"] == four_months * 3).all()
    meta = read_meta(need.NeedPaths(need_data).need)
    assert meta is not None and "proxy" in meta["caveat"]
    assert meta["recorded_violence_sexual"] == int(four_months.sum())


def test_crime_domain_weight_counts_residents_of_the_most_crime_deprived_fifth(
    need_data: Path,
) -> None:
    table = load_need(need_data, geometry=False)
    high = table["crime_decile"] <= 2
    assert table["crime_deprived_residents"].sum() == table.loc[high, "residents"].sum()
    assert (table.loc[~high, "crime_deprived_residents"] == 0).all()
    assert 0 < table["crime_deprived_residents"].sum() < table["residents"].sum()


def test_recorded_violence_counts_match_the_police_files(need_data: Path, sources: Sources) -> None:
    crimes = sources.read_police_street()
    violent = crimes[crimes["crime_type"] == "Violence and sexual offences"]
    table = load_need(need_data, geometry=False).set_index("lsoa21_code")
    code = table["recorded_violence_sexual"].idxmax()
    assert table.loc[code, "recorded_violence_sexual"] == (violent["lsoa21_code"] == code).sum()


def test_rebuild_is_skipped_when_inputs_are_unchanged(need_data: Path, sources: Sources) -> None:
    assert need.build(sources, need_data) == {"need": False}


def test_missing_need_layer_is_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(NeedError, match=r"need/lsoa_need\.csv: need layer not built"):
        load_need(tmp_path)


def test_damaged_need_layer_names_file_row_and_field(need_data: Path, tmp_path: Path) -> None:
    target = need.NeedPaths(tmp_path).need
    target.parent.mkdir(parents=True)
    shutil.copy(need.NeedPaths(need_data).need, target)
    table = pd.read_csv(target, dtype=str)
    table.loc[4, "women_16_plus"] = "lots"
    table.to_csv(target, index=False)
    with pytest.raises(NeedError, match=r"lsoa_need\.csv:6:women_16_plus: 'lots'"):
        load_need(tmp_path, geometry=False)
    table.drop(columns="imd_decile").to_csv(target, index=False)
    with pytest.raises(NeedError, match=r"lsoa_need\.csv: damaged need layer.*imd_decile"):
        load_need(tmp_path, geometry=False)


def test_spread_weight_shares_an_lsoa_as_residents_are_shared() -> None:
    # Hand-worked: LSOA A has three postcode units on two origins (2 + 1), B one origin.
    origins = pd.DataFrame(
        {
            "lsoa21_code": ["A", "A", "B"],
            "n_postcodes": [2, 1, 4],
            "population": [200.0, 100.0, 50.0],
        }
    )
    table = pd.DataFrame({"lsoa21_code": ["A", "B"], "women_16_plus": [120, 30]})
    women = spread_weight(origins, table, "women_16_plus")
    assert women.tolist() == pytest.approx([80.0, 40.0, 30.0])
    assert spread_weight(origins, table, "residents").tolist() == [200.0, 100.0, 50.0]
    # The recorded-crime weight is a year's worth: the four-month count (A 4, B 2) ×3.
    crime = table.assign(
        recorded_violence_sexual=[4, 2], recorded_violence_sexual_annualised=[12.0, 6.0]
    )
    assert spread_weight(origins, crime, "recorded_violence_sexual").tolist() == pytest.approx(
        [8.0, 4.0, 6.0]
    )
    with pytest.raises(ServiceMapError, match="unknown weight"):
        spread_weight(origins, table, "dogs")
    with pytest.raises(ServiceMapError, match="LSOA B"):
        spread_weight(origins, table.iloc[:1], "women_16_plus")


def test_weights_spread_over_real_origins_keep_every_lsoa_total(need_data: Path) -> None:
    origins = geography.load_origins(need_data)
    table = load_need(need_data, geometry=False)
    for weight in ("women_16_plus", "recorded_violence_sexual", "crime_deprived_residents"):
        spread = spread_weight(origins, table, weight)
        per_lsoa = spread.groupby(origins["lsoa21_code"]).sum()
        expected = table.set_index("lsoa21_code")[weight].reindex(per_lsoa.index)
        if weight == "recorded_violence_sexual":  # the weight is the count ×3 to a year
            expected = 3 * expected
        assert per_lsoa.to_numpy() == pytest.approx(expected.to_numpy())
    assert spread_weight(origins, table, "women_16_plus").sum() == pytest.approx(666_438)
    deciles = need.origin_values(origins, table, "imd_decile")
    assert deciles.notna().all()


def test_data_build_reports_the_need_layer_and_survives_without_its_sources(
    need_data: Path,
    sources: Sources,
    tmp_path: Path,
    run_cli: Callable[[list[str]], tuple[int, str, str]],
) -> None:
    code, out, _ = run_cli(["data", "build", "--sources", str(sources.root)])
    assert code == 0 and "up to date: need" in out
    # The same sources without iod-2025/: the geography still builds, need is skipped.
    partial = tmp_path / "sources"
    partial.mkdir()
    for entry in sources.root.iterdir():
        if entry.name != "iod-2025":
            (partial / entry.name).symlink_to(entry)
    code, out, err = run_cli(["data", "build", "--sources", str(partial)])
    assert code == 0
    assert "up to date: origins" in out
    assert "skipped: need layer" in err and "imd2025_england_lsoa21_scores.csv" in err
