"""Capacity against benchmarks and 2SFCA / E2SFCA against hand-worked examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mapping.analysis.capacity import (
    COUNTY_SCALE_NOTE,
    capacity_table,
    county_access,
    floating_catchment,
    lsoa_travel_costs,
)
from mapping.inputs.benchmarks import load_benchmarks
from mapping.inputs.sources import Sources

# Three LSOAs (demand) and two sites (capacity), with drive minutes:
#            S1 (6 units)   S2 (2 units)
#   A 1000      10             40
#   B 2000      20             25
#   C 1000      50              5
DEMAND = pd.DataFrame({"lsoa21_code": ["A", "B", "C"], "demand": [1000.0, 2000.0, 1000.0]})
SUPPLY = pd.DataFrame({"site_id": ["S1", "S2"], "capacity": [6.0, 2.0]})
COSTS = pd.DataFrame(
    {
        "lsoa21_code": ["A", "A", "B", "B", "C", "C"],
        "site_id": ["S1", "S2", "S1", "S2", "S1", "S2"],
        "minutes": [10.0, 40.0, 20.0, 25.0, 50.0, 5.0],
    }
)


def test_2sfca_matches_the_hand_computation() -> None:
    result = floating_catchment(DEMAND, SUPPLY, COSTS, catchment_minutes=30)
    ratio = result.table.set_index("lsoa21_code")["ratio_2sfca"]
    # Step 1: S1 reaches A and B (3000 people): 6 / 3000; S2 reaches B and C: 2 / 3000.
    r1, r2 = 6 / 3000, 2 / 3000
    # Step 2: each LSOA sums the ratios of the sites in its catchment.
    assert ratio["A"] == pytest.approx(r1)
    assert ratio["B"] == pytest.approx(r1 + r2)
    assert ratio["C"] == pytest.approx(r2)
    assert result.table.set_index("lsoa21_code").loc["B", "per_10000_2sfca"] == pytest.approx(
        (r1 + r2) * 10_000
    )
    assert result.catchment_minutes == 30 and result.scale == "local catchments"


def test_e2sfca_matches_the_hand_computation() -> None:
    result = floating_catchment(DEMAND, SUPPLY, COSTS, catchment_minutes=30)
    ratio = result.table.set_index("lsoa21_code")["ratio_e2sfca"]
    # Zones 0-10, 10-20, 20-30 minutes weigh 1, 0.68, 0.22 in both steps.
    r1 = 6 / (1000 * 1 + 2000 * 0.68)  # A at 10 min, B at 20 min
    r2 = 2 / (2000 * 0.22 + 1000 * 1)  # B at 25 min, C at 5 min
    assert ratio["A"] == pytest.approx(1 * r1)
    assert ratio["B"] == pytest.approx(0.68 * r1 + 0.22 * r2)
    assert ratio["C"] == pytest.approx(1 * r2)
    assert "0.68" in result.decay


def test_lsoa_beyond_every_catchment_gets_zero_and_unknown_sites_are_named() -> None:
    supply = pd.DataFrame({"site_id": ["S1", "S2"], "capacity": [6.0, np.nan]})
    result = floating_catchment(DEMAND, supply, COSTS, catchment_minutes=15)
    ratio = result.table.set_index("lsoa21_code")["ratio_2sfca"]
    assert ratio["A"] == pytest.approx(6 / 1000)  # only A is within 15 min of S1
    assert ratio["B"] == 0 and ratio["C"] == 0
    assert result.sites_unknown_capacity == ("S2",)
    assert "lower bounds" in result.note


def test_county_access_is_total_capacity_over_total_demand() -> None:
    result = county_access(DEMAND, SUPPLY)
    assert result.table["ratio_2sfca"].to_numpy() == pytest.approx([8 / 4000] * 3)
    assert result.scale == "county" and result.catchment_minutes is None
    assert COUNTY_SCALE_NOTE in result.note


def test_lsoa_travel_costs_weight_origins_by_residents() -> None:
    origins = pd.DataFrame({"lsoa21_code": ["A", "A", "B"], "population": [300.0, 100.0, 50.0]})
    minutes = np.array([[10.0, 30.0, np.inf], [5.0, 5.0, 8.0]])
    costs = lsoa_travel_costs(origins, minutes, ["S1", "S2"]).set_index(["lsoa21_code", "site_id"])
    assert costs.loc[("A", "S1"), "minutes"] == pytest.approx((300 * 10 + 100 * 30) / 400)
    assert ("B", "S1") not in costs.index  # out of reach
    assert costs.loc[("B", "S2"), "minutes"] == 8


# ---- capacity against benchmarks on a constructed register ---------------------------------


def _need() -> pd.DataFrame:
    # Two council areas in one CSP and one force: 30,000 and 10,000 residents.
    return pd.DataFrame(
        {
            "lsoa21_code": ["L1", "L2", "L3"],
            "lad_code": ["E1", "E1", "E2"],
            "lad_name": ["East", "East", "West"],
            "csp_code": ["C1", "C1", "C1"],
            "csp_name": ["Both", "Both", "Both"],
            "pfa_code": ["P1", "P1", "P1"],
            "pfa_name": ["Force", "Force", "Force"],
            "residents": [10_000, 20_000, 10_000],
            "population_mid2024": [10_000, 20_000, 10_000],
            "women_all_ages": [100_000, 200_000, 100_000],
            "women_16_plus": [5_000, 10_000, 5_000],
        }
    )


def _register() -> pd.DataFrame:
    rows = [
        ("r1", "refuge", "E1", "E1", "domestic_abuse", 2, None),
        ("r2", "refuge", "E1", "E1", "domestic_abuse", None, None),
        ("r3", "refuge", "E2", "E2", "domestic_abuse", 1, None),
        ("i1", "idva", "E2", "E2", "domestic_abuse", None, 1.5),
        ("i2", "idva", None, "Lancashire", "domestic_abuse", None, None),
        ("s1", "isva", "E1", "E1", "sexual_violence", None, None),
        ("s2", "counselling", "E2", "E2", "domestic_abuse", None, None),  # not SV
        ("sarc", "sarc", "E2", "Lancashire", "sexual_violence", None, None),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "category",
            "district",
            "areas_served",
            "crime_types",
            "capacity_family_places",
            "advocate_fte",
        ],
    )
    frame["crime_types"] = frame["crime_types"].map(lambda c: (c,))
    frame["areas_served"] = frame["areas_served"].map(lambda a: (a,))
    frame["capacity_family_places_source"] = frame["capacity_family_places"].map(
        lambda v: "refuge website" if pd.notna(v) else None
    )
    frame["advocate_fte_source"] = frame["advocate_fte"].map(
        lambda v: "annual report" if pd.notna(v) else None
    )
    return frame


def test_capacity_table_by_hand() -> None:
    table = capacity_table(_register(), _need(), load_benchmarks())
    row = table.set_index(["service_type", "area_level", "area_code"])
    # Refuge: one place per 10,000 residents.
    east = row.loc[("refuge", "district", "E1")]
    assert east["benchmark_units"] == pytest.approx(3.0)
    assert east["known_units"] == 2 and east["known_status"] == "partly known (lower bound)"
    west = row.loc[("refuge", "district", "E2")]
    assert (west["benchmark_units"], west["known_units"], west["known_status"]) == (1, 1, "known")
    assert west["capacity_sources"] == "refuge website"
    force = row.loc[("refuge", "police_force_area", "P1")]
    assert force["benchmark_units"] == pytest.approx(4.0) and force["known_units"] == 3
    # IDVA: women 16+ / 10,000 * 40 / 100 -> East 15,000 -> 0.6 FTE; unknown, not 0.
    idva_east = row.loc[("idva", "district", "E1")]
    assert idva_east["benchmark_units"] == pytest.approx(0.6)
    assert idva_east["known_status"] == "none recorded" and idva_east["county_wide_records"] == 1
    idva_force = row.loc[("idva", "police_force_area", "P1")]
    assert idva_force["benchmark_units"] == pytest.approx(0.8)
    # i2 (county-wide) has no FTE: the force figure is a lower bound, never an estimate.
    assert idva_force["known_units"] == 1.5
    assert idva_force["known_status"] == "partly known (lower bound)"
    # Rape crisis: one centre per 200,000 women; only sexual-violence records count.
    rape = row.loc[("sexual_violence_support", "police_force_area", "P1")]
    assert rape["benchmark_units"] == pytest.approx(2.0) and rape["known_units"] == 1
    # SARC: one per police force area, nothing set per council area.
    sarc = row.loc[("sarc", "police_force_area", "P1")]
    assert (sarc["benchmark_units"], sarc["known_units"]) == (1, 1)
    assert np.isnan(row.loc[("sarc", "district", "E1"), "benchmark_units"])
    assert set(table["source"]) and table["source"].str.len().min() > 10


def test_capacity_table_with_the_inhabitants_denominator() -> None:
    table = capacity_table(
        _register(),
        _need(),
        load_benchmarks(),
        denominators={"sexual_violence_support": "residents"},
    )
    rape = table[(table["service_type"] == "sexual_violence_support")].set_index("area_code")
    assert rape.loc["P1", "benchmark_units"] == pytest.approx(40_000 / 200_000)
    assert rape.loc["P1", "denominator"] == "residents"


def test_idva_unknown_capacity_is_never_zero() -> None:
    register = _register()
    register.loc[register["id"] == "i1", ["advocate_fte", "advocate_fte_source"]] = None
    table = capacity_table(register, _need(), load_benchmarks())
    west = table[(table["service_type"] == "idva") & (table["area_code"] == "E2")].iloc[0]
    assert west["known_status"] == "unknown" and np.isnan(west["known_units"])


def test_capacity_for_lancashire_on_the_real_register(sources: Sources, built_data: Path) -> None:
    from mapping.geography import need
    from mapping.inputs.register import load_register

    need.build(sources, built_data)
    table = capacity_table(
        load_register(check_postcodes=False),
        need.load_need(built_data, geometry=False),
        load_benchmarks(),
    )
    for service in ("refuge", "idva", "sexual_violence_support", "sarc"):
        rows = table[table["service_type"] == service]
        assert (rows["area_level"] == "district").sum() == 14
        force = rows[rows["area_level"] == "police_force_area"].iloc[0]
        assert force["area_code"] == "E23000003" and force["area_name"] == "Lancashire"
    force = table[table["area_level"] == "police_force_area"].set_index("service_type")
    # 1,531,079 residents / 10,000 = 153.1 family places; SafeNet Lancaster's 20 are known.
    assert force.loc["refuge", "benchmark_units"] == pytest.approx(153.1079)
    assert force.loc["refuge", "known_units"] == 20
    # 666,438 women 16+ -> 2,666 Marac cases -> 26.7 FTE; no FTE is on record: unknown.
    assert force.loc["idva", "benchmark_units"] == pytest.approx(26.65752)
    assert force.loc["idva", "known_status"] == "unknown"
    assert force.loc["sarc", "known_units"] == 1
