"""Households with no car (Census 2021 TS045) and rural/urban (RUC 2021) in the need layer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mapping.geography.need import EXPECTED_NO_CAR_HOUSEHOLDS, load_need, spread_weight
from mapping.inputs.catalogue import CATALOGUE
from mapping.inputs.households import read_car_availability, read_rural_urban
from mapping.inputs.sources import SourceError, Sources
from mapping.study import Study

HEADER = (
    "date,geography,geography code,Number of cars or vans: Total: All households,"
    "Number of cars or vans: No cars or vans in household,"
    "Number of cars or vans: 1 car or van in household,"
    "Number of cars or vans: 2 cars or vans in household,"
    "Number of cars or vans: 3 or more cars or vans in household"
)


def fixture_sources(tmp_path: Path, rows: list[str]) -> Sources:
    """A sources folder (no SHA256SUMS) holding only a TS045 file of ``rows``."""
    path = tmp_path / CATALOGUE["cars_ts045"].relpath
    path.parent.mkdir(parents=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return Sources(tmp_path, origin="test")


def test_no_car_weight_of_three_lsoas_is_hand_worked(tmp_path: Path) -> None:
    src = fixture_sources(
        tmp_path,
        [
            "2021,Aaa 001A,E0000000A,500,150,250,80,20",
            "2021,Bbb 001B,E0000000B,400,40,200,120,40",
            "2021,Ccc 001C,E0000000C,300,210,80,10,0",
        ],
    )
    cars = read_car_availability(src)
    assert cars["no_car_households"].tolist() == [150, 40, 210]
    assert cars["households"].tolist() == [500, 400, 300]
    # Spread over origins as residents are: A's 150 over 3 + 1 postcode units
    # (112.5 + 37.5), B's 40 on one origin, C's 210 over 2 + 5 units (60 + 150).
    origins = pd.DataFrame(
        {
            "lsoa21_code": ["E0000000A", "E0000000A", "E0000000B", "E0000000C", "E0000000C"],
            "n_postcodes": [3, 1, 6, 2, 5],
            "population": [1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )
    weight = spread_weight(origins, cars, "no_car_households")
    assert weight.tolist() == pytest.approx([112.5, 37.5, 40.0, 60.0, 150.0])


def test_a_bad_count_names_file_row_and_column(tmp_path: Path) -> None:
    src = fixture_sources(tmp_path, ["2021,Aaa,E0000000A,500,lots,250,80,20"])
    with pytest.raises(SourceError, match=r"ts045-lsoa\.csv:2:no_car_households: 'lots'"):
        read_car_availability(src)


def test_rural_urban_is_read_for_every_lsoa(sources: Sources) -> None:
    table = read_rural_urban(sources)
    assert len(table) == 35_672
    assert set(table["rural_urban"]) == {"Urban", "Rural"}


def test_lancashire_no_car_households_total_in_the_need_layer(built_data: Path) -> None:
    table = load_need(built_data, geometry=False)
    total = int(table["no_car_households"].sum())
    assert total == pytest.approx(144_676, rel=1e-3)  # sources README, TS045
    assert total == EXPECTED_NO_CAR_HOUSEHOLDS
    assert int(table["households"].sum()) == pytest.approx(648_761, rel=1e-3)
    assert (table["no_car_households"] <= table["households"]).all()
    assert set(table["rural_urban"]) == {"Urban", "Rural"}
    # 36 LSOAs with over half their households without a car (issue 27).
    share = table["no_car_households"] / table["households"]
    assert int((share > 0.5).sum()) == 36


def test_study_no_car_weight_of_three_real_lsoas(study: Study, sources: Sources) -> None:
    raw = pd.read_csv(sources.path("cars_ts045"), dtype={"geography code": "string"})
    raw = raw.set_index("geography code")
    column = "Number of cars or vans: No cars or vans in household"
    weight = (
        pd.Series(study.weights("no_car_households"))
        .groupby(study.origins["lsoa21_code"].to_numpy())
        .sum()
    )
    for code, households in (("E01012571", 128), ("E01012572", 187), ("E01012573", 116)):
        assert raw.at[code, column] == households  # TS045 as published
        assert weight[code] == pytest.approx(households)
    assert weight.sum() == pytest.approx(144_676)
