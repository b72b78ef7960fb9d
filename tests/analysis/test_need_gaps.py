"""The gap rules that use need, on constructed cases worked by hand."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mapping.analysis import gaps, need_gaps  # noqa: F401  (gaps: every rule module registered)
from mapping.analysis.gap_records import GapContext as _Context
from mapping.analysis.gap_records import evaluator_for
from mapping.analysis.need_gaps import (
    capacity_gap_records,
    equity_gap_records,
    hot_spot_records,
)
from mapping.errors import ServiceMapError
from mapping.inputs.rules import RULE_IDS, GapRule, default_rules_path, load_rules
from mapping.inputs.when import resolve_slot

RULES = {r.id: r for r in load_rules()}
SLOT = resolve_slot("Sat 02:00")


def _ctx(study: Any = None, register: pd.DataFrame | None = None) -> _Context:
    return _Context(
        study=study,
        register=register if register is not None else pd.DataFrame(),
        as_of=None,
        names={"E1": "East", "E2": "West"},
        population=pd.Series({"E1": 30_000.0, "E2": 10_000.0}),
        age_population=pd.DataFrame(),
    )


def _rule(rule_id: str, **params: Any) -> GapRule:
    rule = RULES[rule_id]
    return replace(rule, model=rule.model.model_copy(update=params))


NEED_RULES = ("equity_gap", "capacity_below_benchmark", "need_hot_spots")


def test_need_rules_are_registered_in_file_order() -> None:
    # the need rules, then the referral-pathway rules (mapping.analysis.pathway_gaps)
    assert RULE_IDS[-7:-4] == NEED_RULES
    assert [r for r in RULES if evaluator_for(RULES[r]).__module__ == need_gaps.__name__] == list(
        NEED_RULES
    )


# ---- equity gap -------------------------------------------------------------------------


def _quintiles(most_beyond: float, least_beyond: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "imd_quintile": [1, 2, 3, 4, 5],
            "population": [1000.0, 0, 0, 0, 500.0],
            "mean_minutes": [50.0, np.nan, np.nan, np.nan, 30.0],
            "share_beyond_threshold": [most_beyond, 0, 0, 0, least_beyond],
            "population_beyond_threshold": [most_beyond * 1000, 0, 0, 0, least_beyond * 500],
        }
    )


def test_equity_gap_fires_only_beyond_the_parameter() -> None:
    rule = _rule("equity_gap", min_difference=0.05)
    # 20% of the most deprived fifth beyond, 4% of the least: 16 points (>= 15: high).
    records = equity_gap_records(
        _ctx(), rule, by_quintile=_quintiles(0.2, 0.04), category="sarc", slot=SLOT
    )
    assert len(records) == 1
    record = records[0]
    assert record["severity"] == "high" and record["population_affected"] == 200
    assert record["area_name"] == "Lancashire" and record["slot"] == "Sat 02:00"
    assert "16.0 percentage points" in record["evidence"]
    # 8% against 4%: 4 points, within the 5-point limit.
    assert (
        equity_gap_records(
            _ctx(), rule, by_quintile=_quintiles(0.08, 0.04), category="sarc", slot=SLOT
        )
        == []
    )
    # The least deprived worse off is not this gap.
    assert (
        equity_gap_records(
            _ctx(), rule, by_quintile=_quintiles(0.0, 0.3), category="sarc", slot=SLOT
        )
        == []
    )


class _FakeStudy:
    """Three LSOAs, one origin each: A and B in decile 1, C in decile 10."""

    def __init__(self, minutes: list[float]) -> None:
        self.origins = pd.DataFrame(
            {
                "lsoa21_code": ["A", "B", "C"],
                "n_postcodes": [1, 1, 1],
                "population": [100.0, 100.0, 100.0],
            }
        )
        self._minutes = minutes

    def need(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "lsoa21_code": ["A", "B", "C"],
                "lsoa21_name": ["A 001", "B 001", "C 001"],
                "lad_name": ["East", "East", "West"],
                "imd_decile": [1, 1, 10],
                "residents": [100, 100, 100],
                "women_16_plus": [40, 40, 40],
                "recorded_violence_sexual": [30, 5, 1],
            }
        )

    def origin_minutes(self, category: Any, slot: Any, weight: str = "residents") -> pd.DataFrame:
        frame = self.origins[["lsoa21_code"]].copy()
        frame["minutes"] = self._minutes
        frame["eligible_population"] = self.need()[weight].to_numpy(float)
        return frame


def test_equity_gap_rule_end_to_end_on_a_fake_study() -> None:
    # A 70 min, B 20 min (most deprived fifth: half beyond 60), C 10 min (none beyond).
    rule = _rule("equity_gap", slots=(SLOT,), categories=("sarc",))
    records = evaluator_for(RULES["equity_gap"])(_ctx(_FakeStudy([70.0, 20.0, 10.0])), rule)
    assert [r["severity"] for r in records] == ["high"]  # 50 points
    assert records[0]["population_affected"] == 100


# ---- capacity below benchmark ---------------------------------------------------------------


def _capacity(**overrides: Any) -> pd.DataFrame:
    row = {
        "area_level": "district",
        "area_code": "E1",
        "area_name": "East",
        "service_type": "idva",
        "benchmark_units": 4.0,
        "known_units": 1.0,
        "known_status": "known",
        "unit": "FTE advocates",
        "records": 1,
        "records_with_capacity": 1,
        "county_wide_records": 0,
        "benchmark": "40 per 10,000 women 16+",
        "source": "SafeLives.",
        "wording": "Based on the expected level ...",
        "wording_status": "quoted",
    }
    row.update(overrides)
    return pd.DataFrame([row])


def test_capacity_shortfall_severity_by_hand() -> None:
    rule = RULES["capacity_below_benchmark"]
    # 4 needed, 1 known: 75% short (>= 50%: high).
    (record,) = capacity_gap_records(_ctx(), rule, capacity=_capacity())
    assert record["severity"] == "high" and "3.0 short" in record["evidence"]
    assert "SafeLives" in record["evidence"]
    # 4 needed, 3.5 known: 12.5% short: low.
    (record,) = capacity_gap_records(_ctx(), rule, capacity=_capacity(known_units=3.5))
    assert record["severity"] == "low"
    # At or above the benchmark: no gap.
    assert capacity_gap_records(_ctx(), rule, capacity=_capacity(known_units=4.0)) == []


def test_partial_or_county_wide_capacity_caps_the_severity() -> None:
    rule = RULES["capacity_below_benchmark"]
    partial = _capacity(known_status="partly known (lower bound)", records=2)
    (record,) = capacity_gap_records(_ctx(), rule, capacity=partial)
    assert record["severity"] == "medium" and "lower bound" in record["evidence"]
    (record,) = capacity_gap_records(_ctx(), rule, capacity=_capacity(county_wide_records=1))
    assert record["severity"] == "medium"


def test_unknown_capacity_is_reported_for_the_county_never_estimated() -> None:
    rule = RULES["capacity_below_benchmark"]
    unknown = dict(known_status="unknown", known_units=np.nan)
    assert capacity_gap_records(_ctx(), rule, capacity=_capacity(**unknown)) == []
    county = _capacity(area_level="police_force_area", area_code="E23000003", **unknown)
    (record,) = capacity_gap_records(_ctx(), rule, capacity=county)
    assert record["severity"] == "low" and "unknown (never estimated)" in record["evidence"]
    assert record["area_name"] == "Lancashire"


def test_refuge_is_judged_for_the_county_only_and_small_areas_are_skipped() -> None:
    rule = RULES["capacity_below_benchmark"]
    refuge = _capacity(service_type="refuge", unit="family places")
    assert capacity_gap_records(_ctx(), rule, capacity=refuge) == []
    small = _capacity(service_type="sexual_violence_support", benchmark_units=0.4, known_units=0)
    assert capacity_gap_records(_ctx(), rule, capacity=small) == []


# ---- need hot spots ---------------------------------------------------------------------------


def test_hot_spots_are_top_decile_lsoas_beyond_the_threshold() -> None:
    # Ten LSOAs with 1..10 recorded offences: the top tenth is the one with 10.
    need = pd.DataFrame(
        {
            "lsoa21_code": [f"L{i}" for i in range(1, 11)],
            "lsoa21_name": [f"Town {i:03d}" for i in range(1, 11)],
            "lad_name": ["East"] * 10,
            "residents": [1500] * 10,
            "recorded_violence_sexual": list(range(1, 11)),
        }
    )
    rule = _rule("need_hot_spots", minutes=30)
    far = {f"L{i}": 50.0 for i in range(1, 11)}
    (record,) = hot_spot_records(_ctx(), rule, need=need, lsoa_minutes=far, slot=SLOT)
    assert record["area_code"] == "L10" and record["area_level"] == "lsoa"
    assert record["severity"] == "medium"  # 50 minutes: >= 45
    assert record["population_affected"] == 1500 and "proxy" in record["evidence"]
    near = {**far, "L10": 25.0}
    assert hot_spot_records(_ctx(), rule, need=need, lsoa_minutes=near, slot=SLOT) == []
    unreached = {**far, "L10": float("inf")}
    (record,) = hot_spot_records(_ctx(), rule, need=need, lsoa_minutes=unreached, slot=SLOT)
    assert record["severity"] == "high" and "no open service" in record["evidence"]


def test_hot_spot_rule_end_to_end_on_a_fake_study() -> None:
    # A has the most recorded offences (top tenth of three LSOAs = A) and is 40 min away.
    rule = _rule("need_hot_spots", slot=SLOT, minutes=30)
    records = evaluator_for(RULES["need_hot_spots"])(_ctx(_FakeStudy([40.0, 50.0, 5.0])), rule)
    assert [r["area_code"] for r in records] == ["A"]


def test_missing_need_layer_gives_one_not_evaluated_record() -> None:
    class _NoNeed(_FakeStudy):
        def need(self) -> pd.DataFrame:
            raise ServiceMapError("data/need/lsoa_need.csv: need layer not built yet")

    rule = _rule("need_hot_spots", slot=SLOT)
    (record,) = evaluator_for(RULES["need_hot_spots"])(_ctx(_NoNeed([1.0, 1.0, 1.0])), rule)
    assert record["severity"] == "low" and "lsoa_need.csv" in record["evidence"]


def test_bad_parameters_name_file_rule_and_field(tmp_path: Path) -> None:
    text = default_rules_path().read_text(encoding="utf-8")
    path = tmp_path / "rules.toml"
    path.write_text(text.replace('weight = "residents"', 'weight = "dogs"'), encoding="utf-8")
    with pytest.raises(ServiceMapError, match=r"rules\.toml:equity_gap:weight: must be one of"):
        load_rules(path)
