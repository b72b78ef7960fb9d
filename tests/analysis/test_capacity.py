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
    # Named as people know them when the supply gives names (ids stay in the result).
    named = supply.assign(site_name=["Site one", "Site two"])
    result = floating_catchment(DEMAND, named, COSTS, catchment_minutes=15)
    assert result.sites_unknown_capacity == ("S2",)
    assert "(Site two)" in result.note and "S2" not in result.note


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
    # Three council areas in one CSP and one force: 30,000, 10,000 and 10,000 residents.
    return pd.DataFrame(
        {
            "lsoa21_code": ["L1", "L2", "L3", "L4"],
            "lad_code": ["E1", "E1", "E2", "E3"],
            "lad_name": ["East", "East", "West", "North"],
            "csp_code": ["C1", "C1", "C1", "C1"],
            "csp_name": ["All", "All", "All", "All"],
            "pfa_code": ["P1", "P1", "P1", "P1"],
            "pfa_name": ["Force", "Force", "Force", "Force"],
            "residents": [10_000, 20_000, 10_000, 10_000],
            "population_mid2024": [10_000, 20_000, 10_000, 10_000],
            "women_all_ages": [100_000, 200_000, 100_000, 100_000],
            "women_16_plus": [5_000, 10_000, 5_000, 5_000],
        }
    )


NONE4 = (None, None, None, None)
SARC_CASES = (None, None, 950.0, "annual cases")


def _register() -> pd.DataFrame:
    # id, name, category, district, areas_served, crime type, family places, advocate FTE,
    # capacity_value, capacity_unit
    rows = [
        ("r1", "East refuge", "refuge", "E1", "E1", "domestic_abuse", 2, None, None, None),
        ("r2", "East refuge 2", "refuge", "E1", "E1", "domestic_abuse", None, None, None, None),
        ("r3", "West refuge", "refuge", "E2", "E2", "domestic_abuse", 1, None, None, None),
        ("i1", "West IDVA", "idva", "E2", "E2", "domestic_abuse", None, 1.5, None, None),
        ("i2", "County IDVA", "idva", None, "Lancashire", "domestic_abuse", None, None, None, None),
        ("i3", "East IDVA", "idva", "E1", "E1", "domestic_abuse", None, None, 2.0, "FTE advocates"),
        ("s1", "East Rape Crisis", "isva", "E1", "E1", "sexual_violence", None, None, None, None),
        ("s3", "West SV counselling", "counselling", "E2", "E2", "sexual_violence", *NONE4),
        ("s2", "West DA counselling", "counselling", "E2", "E2", "domestic_abuse", *NONE4),
        ("sarc", "Force SARC", "sarc", "E2", "Lancashire", "sexual_violence", *SARC_CASES),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "name",
            "category",
            "district",
            "areas_served",
            "crime_types",
            "capacity_family_places",
            "advocate_fte",
            "capacity_value",
            "capacity_unit",
        ],
    )
    frame["provider"] = "a charity"
    frame["crime_types"] = frame["crime_types"].map(lambda c: (c,))
    frame["areas_served"] = frame["areas_served"].map(lambda a: (a,))
    frame["capacity_family_places_source"] = frame["capacity_family_places"].map(
        lambda v: "refuge website" if pd.notna(v) else None
    )
    frame["advocate_fte_source"] = frame["advocate_fte"].map(
        lambda v: "annual report" if pd.notna(v) else None
    )
    frame["capacity_source"] = frame["capacity_value"].map(
        lambda v: "commissioner's report" if pd.notna(v) else None
    )
    return frame


def _rows(register: pd.DataFrame | None = None, **kwargs: object) -> pd.DataFrame:
    table = capacity_table(
        _register() if register is None else register, _need(), load_benchmarks(), **kwargs
    )
    return table.set_index(["service_type", "area_level", "area_code"])


def test_refuge_states_by_hand() -> None:
    row = _rows()
    # One place per 10,000 residents. East: r1 gives 2, r2 nothing: a lower bound.
    east = row.loc[("refuge", "district", "E1")]
    assert east["benchmark_units"] == pytest.approx(3.0)
    assert (east["known_units"], east["capacity_state"]) == (2, "partly known")
    assert east["known_status"] == "partly known (lower bound)"
    assert east["capacity"] == (
        "at least 2 family places (source: refuge website); no family places figure for "
        "East refuge 2"
    )
    west = row.loc[("refuge", "district", "E2")]
    assert (west["benchmark_units"], west["known_units"], west["capacity_state"]) == (1, 1, "known")
    assert west["capacity"] == "1 family places (source: refuge website)"
    assert west["capacity_sources"] == "refuge website"
    # North has no refuge and none serves it: a true "none recorded", the only 0.
    north = row.loc[("refuge", "district", "E3")]
    assert (north["known_units"], north["capacity_state"]) == (0, "none recorded")
    force = row.loc[("refuge", "police_force_area", "P1")]
    assert force["benchmark_units"] == pytest.approx(5.0) and force["known_units"] == 3


def test_idva_states_and_range_by_hand() -> None:
    row = _rows()
    # East: i3 gives 2.0 FTE in the new capacity_value / capacity_unit columns.
    east = row.loc[("idva", "district", "E1")]
    assert (east["known_units"], east["capacity_state"]) == (2.0, "known")
    assert east["capacity_sources"] == "commissioner's report"
    assert "County IDVA" in east["note"] and east["covered_by"] == "County IDVA"
    # women 16+ / 10,000 * 40 / 100: East 15,000 -> 0.6; high 1.5 * 47 / 60 = 1.175.
    assert east["benchmark_units"] == pytest.approx(0.6)
    assert east["benchmark_units_low"] == pytest.approx(0.6)
    assert east["benchmark_units_high"] == pytest.approx(1.175)
    # North has no IDVA of its own: covered by the county-wide one, never 0.
    north = row.loc[("idva", "district", "E3")]
    assert north["capacity_state"] == "covered elsewhere" and np.isnan(north["known_units"])
    assert north["capacity"] == "covered by a service based elsewhere: County IDVA"
    assert north["known_status"] == "covered by a service based elsewhere"
    # The force: 1.5 + 2.0 known, the county-wide i2 gives none: a lower bound.
    force = row.loc[("idva", "police_force_area", "P1")]
    assert (force["known_units"], force["capacity_state"]) == (3.5, "partly known")
    assert force["benchmark_units"] == pytest.approx(1.0)
    assert force["benchmark_units_high"] == pytest.approx(2.5 * 47 / 60)
    assert "no FTE advocates figure for County IDVA" in force["capacity"]
    # Both Marac rates and both caseloads in words.
    assert force["benchmark_range"] == (
        "1.0 to 2.0 FTE advocates: 1.0 at 40 cases per 10,000 and 100 cases per FTE "
        "advocate; 1.7 at 40 cases per 10,000 and 60 cases per FTE advocate; 1.2 at 47 "
        "cases per 10,000 and 100 cases per FTE advocate; 2.0 at 47 cases per 10,000 and "
        "60 cases per FTE advocate"
    )


def test_idva_unknown_capacity_is_never_zero() -> None:
    register = _register()
    register.loc[register["id"] == "i1", ["advocate_fte", "advocate_fte_source"]] = None
    row = _rows(register)
    west = row.loc[("idva", "district", "E2")]
    assert west["capacity_state"] == "unknown" and np.isnan(west["known_units"])
    assert west["capacity"] == "unknown: no FTE advocates figure for West IDVA"
    # A capacity_value in another unit is not a figure of this one.
    register.loc[register["id"] == "i1", ["capacity_value", "capacity_unit"]] = (
        400.0,
        "annual cases",
    )
    assert _rows(register).loc[("idva", "district", "E2"), "capacity_state"] == "unknown"


def test_rape_crisis_and_sexual_assault_centres_count_only_their_kind() -> None:
    row = _rows()
    # Rape crisis: 1 per 200,000 women (500,000 -> 2.5). s1 is named a Rape Crisis centre
    # and counts; s3 (sexual-violence counselling) cannot be classified: listed, not
    # counted; s2 is not a sexual-violence service at all.
    rape = row.loc[("sexual_violence_support", "police_force_area", "P1")]
    assert rape["benchmark_units"] == pytest.approx(2.5)
    assert (rape["known_units"], rape["capacity_state"]) == (1, "counted")
    assert rape["not_classified"] == "West SV counselling"
    assert "West DA counselling" not in rape["capacity"]
    west = row.loc[("sexual_violence_support", "district", "E2")]
    assert west["known_units"] == 0 and west["not_classified"] == "West SV counselling"
    # Sexual assault centres: 1 per 400,000 women (1.25); the SARC in West counts.
    sarc = row.loc[("sarc", "police_force_area", "P1")]
    assert sarc["benchmark_units"] == pytest.approx(500_000 / 400_000)
    assert (sarc["known_units"], sarc["capacity_state"]) == (1, "counted")
    # East has no SARC of its own; the force's SARC covers it: not a bare 0.
    east = row.loc[("sarc", "district", "E1")]
    assert east["capacity_state"] == "covered elsewhere" and np.isnan(east["known_units"])
    assert east["capacity"] == "none based here; covered by a service based elsewhere: Force SARC"
    assert set(row["source"]) and row["source"].str.len().min() > 10


def test_a_register_without_sarcs_counts_none_and_says_so() -> None:
    register = _register()
    row = _rows(register[register["category"] != "sarc"])
    force = row.loc[("sarc", "police_force_area", "P1")]
    assert (force["known_units"], force["capacity_state"]) == (0, "counted")
    assert row.loc[("sarc", "district", "E1"), "covered_by"] == ""


def test_capacity_table_with_the_inhabitants_denominator() -> None:
    rape = _rows(denominators={"sexual_violence_support": "residents"}).loc[
        "sexual_violence_support"
    ]
    assert rape.loc[("police_force_area", "P1"), "benchmark_units"] == pytest.approx(
        50_000 / 200_000
    )
    assert rape.loc[("police_force_area", "P1"), "denominator"] == "residents"


def test_floating_catchment_with_no_known_capacity_is_unknown_not_zero() -> None:
    supply = pd.DataFrame({"site_id": ["S1", "S2"], "capacity": [np.nan, np.nan]})
    result = floating_catchment(DEMAND, supply, COSTS, catchment_minutes=30)
    assert result.table["ratio_2sfca"].isna().all()
    assert result.table["per_10000_e2sfca"].isna().all()
    assert not result.capacity_known and result.sites_used == 0
    assert result.left_out == (("S1", "capacity unknown"), ("S2", "capacity unknown"))
    assert "unknown" in result.note and "not 0" in result.note


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
    # At 47 cases per 10,000 and 60 per FTE: 666,438 / 10,000 * 47 / 60 = 52.2.
    assert force.loc["idva", "benchmark_units"] == pytest.approx(26.65752)
    assert force.loc["idva", "benchmark_units_high"] == pytest.approx(66.6438 * 47 / 60)
    assert force.loc["idva", "known_status"] == "unknown"
    assert force.loc["sarc", "known_units"] == 1
    # No council area shows a bare 0 for IDVAs: the county-wide service covers them.
    idva = table[(table["service_type"] == "idva") & (table["area_level"] == "district")]
    assert set(idva["capacity_state"]) <= {"unknown", "covered elsewhere", "known"}
    assert not (idva["known_units"] == 0).any()
    # No record is named a rape crisis centre: none counted, the others listed.
    assert force.loc["sexual_violence_support", "known_units"] == 0
    assert (
        "Lancashire Victim Services ISVA service"
        in (force.loc["sexual_violence_support", "not_classified"])
    )
