"""The gap register: rules file, each rule against the data it reads, what-ifs, CLI."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mapping.analysis.coverage import RegisterChanges
from mapping.analysis.gaps import COLUMNS, evaluate, summarise_gaps
from mapping.errors import ServiceMapError
from mapping.inputs.register import LANCASHIRE_LAD_CODES
from mapping.inputs.rules import RULE_IDS, SEVERITIES, GapRule, default_rules_path, load_rules
from mapping.outputs.text import format_gaps
from mapping.study import Study

AS_OF = date(2026, 11, 22)
WYRE, BLACKPOOL, CHORLEY = "E07000128", "E06000009", "E07000118"
NO_PERMANENT_REFUGE = {"E07000120", "E07000124", "E07000125"}  # Hyndburn, Ribble V., Rossendale


@pytest.fixture(scope="module")
def rules() -> list[GapRule]:
    return load_rules()


@pytest.fixture(scope="module")
def gaps(study: Study, rules: list[GapRule]) -> pd.DataFrame:
    return evaluate(study, rules, as_of=AS_OF)


def _rule(rules: list[GapRule], rule_id: str, **params: object) -> GapRule:
    rule = next(r for r in rules if r.id == rule_id)
    return dataclasses.replace(rule, model=rule.model.model_copy(update=params)) if params else rule


def _with_register(study: Study, register: pd.DataFrame) -> Study:
    """A study over an edited register (for rules that read the register only)."""
    return Study(study.engine, study.origins, register, data_dir=study.data_dir)


def _rows(gaps: pd.DataFrame, rule_id: str) -> pd.DataFrame:
    return gaps[gaps["rule_id"] == rule_id]


# ---- rules file --------------------------------------------------------------------


def test_the_rules_file_loads_with_every_rule_documented(rules: list[GapRule]) -> None:
    assert default_rules_path().name == "gap_rules.toml"
    assert [r.id for r in rules] == list(RULE_IDS)
    for rule in rules:
        assert rule.model.title and rule.model.description and rule.model.source
        assert rule.severity["measure"]
    sarc = _rule(rules, "sarc_travel")
    assert sarc.params["minutes"] == 60 and sarc.params["also_minutes"] == 90
    assert "Sat 02:00" in [slot.at for slot in sarc.params["slots"]]
    assert "no official" in sarc.model.source.lower()
    assert _rule(rules, "no_out_of_hours").params["include_helplines"] is False
    assert _rule(rules, "stale_record").params["max_age_months"] == 12


_META = 'title = "t"\ndescription = "d"\nsource = "s"\n'
_BANDS = "[{rule}.severity]\nhigh = 0.25\nmedium = 0.05\n"


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        (
            f"[sarc_travel]\n{_META}minutes = -5\n" + _BANDS.format(rule="sarc_travel"),
            "sarc_travel:minutes",
            "must be a positive number",
        ),
        (
            f"[sarc_travel]\n{_META}minutes = 'sixty'\n" + _BANDS.format(rule="sarc_travel"),
            "sarc_travel:minutes",
            "must be a positive number",
        ),
        (
            f"[sarc_travel]\n{_META}slots = ['Sat 25:00']\n" + _BANDS.format(rule="sarc_travel"),
            "sarc_travel:slots",
            "not a time of week",
        ),
        (
            f"[no_da_base]\n{_META}categories = ['idva', 'shelter']\n"
            + _BANDS.format(rule="no_da_base"),
            "no_da_base:categories",
            "unknown category 'shelter'",
        ),
        (
            f"[no_refuge]\n{_META}population_per_plaice = 10000\n"
            + _BANDS.format(rule="no_refuge"),
            "no_refuge:population_per_plaice",
            "unknown field",
        ),
        (
            f"[stale_record]\n{_META}[stale_record.severity]\nhigh = 12\nmedium = 36\n",
            "stale_record:severity.high",
            "must be at least severity.medium",
        ),
        (
            "[stale_record]\ntitle = 't'\nsource = 's'\n" + _BANDS.format(rule="stale_record"),
            "stale_record:description",
            "is missing",
        ),
        (f"[sarc_travle]\n{_META}", "sarc_travle", "unknown rule"),
    ],
)
def test_a_broken_rules_file_names_file_rule_and_field(
    tmp_path: Path, body: str, where: str, message: str
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ServiceMapError) as caught:
        load_rules(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:{where}: "), text
    assert message in text


_OOH_BANDS = "[no_out_of_hours.severity]\nhigh = ['sarc']\nmedium = ['idva']\n"


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        (
            f"[no_refuge]\n{_META}enabled = 'yes'\n" + _BANDS.format(rule="no_refuge"),
            "no_refuge:enabled",
            "must be true or false",
        ),
        (f"[no_refuge]\n{_META}", "no_refuge:severity", "is missing: give a [rule.severity]"),
        (
            f"[no_refuge]\n{_META}[no_refuge.severity]\nhigh = -1\nmedium = -2\n",
            "no_refuge:severity.medium",
            "must be 0 or more",
        ),
        (
            f"[no_refuge]\n{_META}[no_refuge.severity]\nhigh = 'x'\nmedium = 1\n",
            "no_refuge:severity.high",
            "must be a number",
        ),
        (
            f"[no_refuge]\n{_META}[no_refuge.severity]\nmedium = 1\n",
            "no_refuge:severity.high",
            "is missing",
        ),
        (
            f"[sarc_travel]\n{_META}min_population = 1.5\n" + _BANDS.format(rule="sarc_travel"),
            "sarc_travel:min_population",
            "must be a whole number, 0 or more",
        ),
        (
            f"[sarc_travel]\n{_META}slots = []\n" + _BANDS.format(rule="sarc_travel"),
            "sarc_travel:slots",
            "must be a non-empty list of slots",
        ),
        (
            f"[young_people]\n{_META}age_band = 'age_0_17'\n" + _BANDS.format(rule="young_people"),
            "young_people:age_band",
            "must be one of age_0_15, age_16_24",
        ),
        (
            f"[refuge_capacity]\n{_META}incomplete_max_severity = 'severe'\n"
            + _BANDS.format(rule="refuge_capacity"),
            "refuge_capacity:incomplete_max_severity",
            "must be one of high, medium, low",
        ),
        (
            f"[stale_record]\n{_META}as_of = 'last year'\n" + _BANDS.format(rule="stale_record"),
            "stale_record:as_of",
            "must be a date such as 2026-11-22",
        ),
        (
            f"[no_out_of_hours]\n{_META}" + _OOH_BANDS.replace("['idva']", "['idva', 'bakery']"),
            "no_out_of_hours:severity.medium",
            "unknown category 'bakery'",
        ),
        (
            "[no_refuge]\ntitle = '  '\ndescription = 'd'\nsource = 's'\n"
            + _BANDS.format(rule="no_refuge"),
            "no_refuge:title",
            "must be non-empty text",
        ),
    ],
)
def test_each_rule_model_checks_its_fields(
    tmp_path: Path, body: str, where: str, message: str
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ServiceMapError) as caught:
        load_rules(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:{where}: "), text
    assert message in text


def test_rules_are_pydantic_models_and_every_problem_is_listed(tmp_path: Path) -> None:
    from pydantic import BaseModel

    from mapping.inputs.rules import RULE_MODELS

    assert tuple(RULE_MODELS) == RULE_IDS
    assert all(issubclass(model, BaseModel) for model in RULE_MODELS.values())
    path = tmp_path / "rules.toml"
    path.write_text(
        f"[sarc_travel]\n{_META}minutes = 0\nslots = ['Sat 25:00']\n"
        + _BANDS.format(rule="sarc_travel")
        + f"[no_out_of_hours]\n{_META}colour = 'red'\n"
        + _OOH_BANDS,
        encoding="utf-8",
    )
    with pytest.raises(ServiceMapError) as caught:
        load_rules(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{path}:sarc_travel:minutes: must be a positive number"
    assert lines[1].startswith(f"{path}:sarc_travel:slots: ") and "not a time of week" in lines[1]
    assert lines[2].startswith(f"{path}:no_out_of_hours:colour: unknown field; known: title")
    assert len(lines) == 3
    # The defaults fill in what a table leaves out, and the bands are read as before.
    path.write_text(f"[no_out_of_hours]\n{_META}" + _OOH_BANDS, encoding="utf-8")
    (rule,) = load_rules(path)
    assert rule.params["include_helplines"] is False and rule.params["lancashire_only"] is True
    assert [slot.at for slot in rule.params["slots"]] == ["Tue 02:00", "Sat 02:00", "Sat 14:00"]
    assert rule.severity["high"] == frozenset({"sarc"})
    assert rule.severity["measure"] == "service category"


def test_a_rules_file_that_is_not_toml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[sarc_travel\nminutes = 60\n", encoding="utf-8")
    with pytest.raises(ServiceMapError, match=re.escape(f"{path}: not valid TOML")):
        load_rules(path)
    with pytest.raises(ServiceMapError, match="not found"):
        load_rules(tmp_path / "missing.toml")


# ---- the register as a whole -------------------------------------------------------


def test_register_columns_order_and_ids(gaps: pd.DataFrame) -> None:
    assert list(gaps.columns) == list(COLUMNS)
    assert gaps["gap_id"].is_unique
    assert set(gaps["severity"]) <= set(SEVERITIES)
    assert set(gaps["area_level"]) <= {"district", "lancashire", "register", "lsoa"}
    ranks = gaps["severity"].map(SEVERITIES.index).to_numpy()
    assert (np.diff(ranks) >= 0).all()
    for _, block in gaps.groupby("severity"):
        population = block["population_affected"].astype("Float64").fillna(-1).to_numpy(float)
        assert (np.diff(population) <= 0).all()
    # Every rule finds something on real data, except two need rules that find no gap:
    # SARC's most deprived fifth is 3.5 points worse at Sat 02:00 (limit 5), and no
    # top-decile violence LSOA is over 30 minutes from a domestic-abuse base.
    # Nor do two pathway rules: every refuge has a door besides the county line (the
    # Wish Centre's), and no service with a published volume has a published FTE.
    quiet = {
        "equity_gap",
        "need_hot_spots",
        "single_point_of_failure",
        "referral_volume_above_benchmark",
    }
    assert set(RULE_IDS) - quiet == set(gaps["rule_id"])
    summary = summarise_gaps(gaps)
    assert summary["total"].sum() == len(gaps)
    assert (summary[list(SEVERITIES)].sum(axis=1) == summary["total"]).all()


def test_no_gap_record_carries_coordinates(study: Study, gaps: pd.DataFrame) -> None:
    register = study.effective_register()
    secret = register[register["confidential"]]
    assert not secret.empty
    assert secret["lat"].isna().all() and secret["lon"].isna().all()
    assert secret.geometry.isna().all()
    text = " ".join(gaps["evidence"]) + " " + " ".join(gaps["services"])
    for lat, lon in register[["lat", "lon"]].dropna().itertuples(index=False):
        assert f"{lat:.3f}" not in text and f"{lon:.3f}" not in text
    assert not re.search(r"-?\d{1,2}\.\d{3,}", text)  # nothing that looks like a coordinate
    assert not re.search(r"\b(lat|lon|latitude|longitude|postcode)\b", text, re.IGNORECASE)
    # Refuges are named (by id) without any location beyond their council area.
    assert secret["id"].isin(gaps["services"].str.split(";").explode()).any()


# ---- rules against the data they read ----------------------------------------------


def test_no_refuge_finds_the_areas_the_register_has_no_refuge_for(
    study: Study, gaps: pd.DataFrame
) -> None:
    register = study.effective_register()
    refuges = register[register["category"] == "refuge"]
    covered = set(refuges["district"].dropna())
    for served in refuges["areas_served"]:
        covered |= set(served)
    expected = set(LANCASHIRE_LAD_CODES) - covered
    found = set(_rows(gaps, "no_refuge")["area_code"])
    assert found == expected
    assert found >= NO_PERMANENT_REFUGE
    assert CHORLEY not in found
    assert all(_rows(gaps, "no_refuge")["area_level"] == "district")


def test_no_refuge_follows_the_effective_register(study: Study, rules: list[GapRule]) -> None:
    closed = study.with_changes(RegisterChanges(closed=frozenset({"refuge-chorley"})))
    found = evaluate(closed, [_rule(rules, "no_refuge")])
    assert CHORLEY in set(found["area_code"])


def test_sarc_travel_matches_coverage_for_wyre_at_weekend_night(
    study: Study, gaps: pd.DataFrame, rules: list[GapRule]
) -> None:
    coverage = study.coverage("sarc", "Sat 02:00").set_index("area_code").loc[WYRE]
    beyond = round(coverage["eligible_population"] * (1 - coverage["share_within_60"]))
    assert beyond > 0
    row = gaps.set_index("gap_id").loc[f"sarc_travel:{WYRE}:Sat 02:00"]
    assert row["population_affected"] == beyond
    assert row["area_name"] == "Wyre" and row["slot"] == "Sat 02:00"
    assert f"{beyond:,} of {round(coverage['eligible_population']):,}" in row["evidence"]
    bands = _rule(rules, "sarc_travel").severity
    share = beyond / coverage["eligible_population"]
    expected = "high" if share >= bands["high"] else "medium" if share >= bands["medium"] else "low"
    assert row["severity"] == expected
    assert row["services"] == coverage["nearest_service"]
    total = gaps.set_index("gap_id").loc["sarc_travel:Lancashire:Sat 02:00"]
    assert total["area_level"] == "lancashire"
    # Areas with everybody within 60 minutes get no record.
    sat = study.coverage("sarc", "Sat 02:00").set_index("area_code")
    within = set(sat.index[sat["share_within_60"] >= 1.0])
    at_sat = _rows(gaps, "sarc_travel").query("slot == 'Sat 02:00'")
    assert not within & set(at_sat["area_code"])


def test_no_da_base_lists_areas_without_a_located_base(study: Study, gaps: pd.DataFrame) -> None:
    register = study.effective_register()
    categories = ["idva", "da_outreach", "isva", "multi_crime_hub"]
    located = register[
        register["category"].isin(categories)
        & register.geometry.notna()
        & ~register["confidential"]
    ]
    expected = set(LANCASHIRE_LAD_CODES) - set(located["district"])
    assert set(_rows(gaps, "no_da_base")["area_code"]) == expected
    assert "E07000123" not in expected  # Preston has bases


def test_no_out_of_hours_excludes_helplines_unless_asked(
    study: Study, gaps: pd.DataFrame, rules: list[GapRule]
) -> None:
    found = _rows(gaps, "no_out_of_hours").set_index("gap_id")
    sarc = found.loc["no_out_of_hours:Lancashire:sarc"]
    assert sarc["severity"] == "high"
    assert "not counted" in sarc["evidence"] and "phone line is not a site" in sarc["evidence"]
    assert "Saint Mary's" in sarc["evidence"]  # open elsewhere, serving other areas
    assert "no_out_of_hours:Lancashire:da_outreach" not in found.index  # SafeNet is 24/7
    with_lines = evaluate(study, [_rule(rules, "no_out_of_hours", include_helplines=True)])
    # The Rape Crisis line (sexual violence, 24/7) now counts for ISVAs and SARCs.
    assert "no_out_of_hours:Lancashire:isva" not in set(with_lines["gap_id"])
    assert len(with_lines) < len(found)


def test_young_people_uses_the_under_16_coverage(
    study: Study, gaps: pd.DataFrame, rules: list[GapRule]
) -> None:
    rule = _rule(rules, "young_people")
    minutes = rule.params["minutes"]
    table = study.coverage(
        list(rule.params["categories"]),
        "Tue 10:00",
        age_band="age_0_15",
        thresholds=(minutes,),
    ).set_index("area_code")
    row = table.loc[WYRE]
    beyond = round(row["eligible_population"] * (1 - row[f"share_within_{minutes:g}"]))
    assert beyond > 0
    record = gaps.set_index("gap_id").loc[f"young_people:{WYRE}:Tue 10:00"]
    assert record["population_affected"] == beyond
    assert (
        row["eligible_population"]
        == study.origins.loc[study.origins["lad_code"] == WYRE, "age_0_15"].sum()
    )
    register = study.effective_register()
    local = register[(register["category"] == "young_people") & register.geometry.notna()]
    no_local = _rows(gaps, "young_people")
    no_local = no_local[no_local["gap_id"].str.endswith(":no_local_service")]
    assert set(no_local["area_code"]) == set(LANCASHIRE_LAD_CODES) - set(local["district"])


def test_refuge_capacity_uses_known_capacity_only(
    study: Study, gaps: pd.DataFrame, rules: list[GapRule]
) -> None:
    refuges = study.register[study.register["category"] == "refuge"]
    known = int(refuges["capacity_family_places"].dropna().sum())
    unknown = int(refuges["capacity_family_places"].isna().sum())
    assert known > 0 and unknown > 0
    row = gaps.set_index("gap_id").loc["refuge_capacity:Lancashire"]
    population = int(study.origins["population"].sum())
    assert row["population_affected"] == population
    assert f"{known:,} refuge family place(s)" in row["evidence"]
    assert f"benchmark of {population / 10000:,.1f} places" in row["evidence"]
    assert f"Capacity is unknown for {unknown} refuge record(s)" in row["evidence"]
    assert "lower bound" in row["evidence"]
    cap = _rule(rules, "refuge_capacity").params["incomplete_max_severity"]
    assert SEVERITIES.index(row["severity"]) >= SEVERITIES.index(cap)
    # No capacity is invented for areas whose refuges give none.
    areas = set(_rows(gaps, "refuge_capacity")["area_code"])
    unknown_only = set(
        refuges.groupby("district")["capacity_family_places"]
        .count()
        .pipe(lambda counts: counts[counts == 0].index)
    )
    assert not areas & unknown_only

    # Give Burnley's refuge 2 places: its own row appears, fully known, so uncapped.
    edited = study.register.copy()
    edited["capacity_family_places"] = edited["capacity_family_places"].astype("Int64")
    edited.loc[edited["id"] == "refuge-burnley-safenet", "capacity_family_places"] = 2
    found = evaluate(_with_register(study, edited), [_rule(rules, "refuge_capacity")])
    burnley = found.set_index("area_code").loc["E07000117"]
    assert "2 refuge family place(s)" in burnley["evidence"]
    assert "unknown" not in burnley["evidence"] and burnley["severity"] == "high"
    total = found.set_index("area_code").loc["Lancashire"]
    assert f"{known + 2:,} refuge family place(s)" in total["evidence"]


def test_stale_record_flags_old_verification_dates(
    study: Study, gaps: pd.DataFrame, rules: list[GapRule]
) -> None:
    flagged = set(_rows(gaps, "stale_record")["services"])
    register = study.register
    verified = register.set_index("id")["verified_on"]
    assert verified["da-outreach-preston-dv-services"].year == 2015
    assert "da-outreach-preston-dv-services" in flagged
    assert verified["hub-lvs-preston"] == pd.Timestamp("2026-11-01")
    assert "hub-lvs-preston" not in flagged
    # The addendum dates the SAFE Centre's hours to a 5 Feb 2025 page: 21 months old.
    assert verified["sarc-preston-safe-centre"] == pd.Timestamp("2025-02-05")
    safe = _rows(gaps, "stale_record").set_index("services").loc["sarc-preston-safe-centre"]
    assert "21 months" in safe["evidence"] and safe["severity"] == "low"
    assert safe["evidence"].endswith("Confidence: low (assumed hours).")
    mosques = _rows(gaps, "stale_record").set_index("services")
    mosques = mosques.loc["hate-crime-lancashire-council-of-mosques", "evidence"]
    assert mosques.endswith("Confidence: low (a town-level location).")  # published hours

    edited = register.copy()
    dates = {
        "sarc-preston-safe-centre": "2015-06-30",
        "hub-lvs-preston": "2026-11-01",
        "hub-lvs-accrington": "2025-11-22",  # exactly 12 months: not yet stale
        "hub-lvs-lancaster": "2025-11-21",  # a day more: stale
    }
    edited["verified_on"] = pd.Timestamp("2026-11-01")
    for service_id, day in dates.items():
        edited.loc[edited["id"] == service_id, "verified_on"] = pd.Timestamp(day)
    found = evaluate(_with_register(study, edited), [_rule(rules, "stale_record")], as_of=AS_OF)
    assert set(found["services"]) == {"sarc-preston-safe-centre", "hub-lvs-lancaster"}
    old = found.set_index("services").loc["sarc-preston-safe-centre"]
    assert old["severity"] == "high" and old["area_level"] == "register"
    assert "2015-06-30" in old["evidence"] and "136 months" in old["evidence"]
    later = evaluate(
        _with_register(study, edited), [_rule(rules, "stale_record")], as_of=date(2027, 12, 1)
    )
    assert "hub-lvs-preston" in set(later["services"])
    # Issue 9: stale and its evidence agree at month ends (31 January to 28 February).
    edited.loc[edited["id"] == "hub-lvs-preston", "verified_on"] = pd.Timestamp("2025-01-31")
    month_end = evaluate(
        _with_register(study, edited), [_rule(rules, "stale_record")], as_of=date(2026, 2, 28)
    )
    preston = month_end.set_index("services").loc["hub-lvs-preston"]
    assert "2025-01-31, 13 months before 2026-02-28 (limit 12 months)" in preston["evidence"]
    lancaster = found.set_index("services").loc["hub-lvs-lancaster"]
    assert "12 months and 1 day(s) before" in lancaster["evidence"]


def test_a_24_7_preston_sarc_removes_out_of_hours_sarc_gaps_near_preston(
    study: Study, gaps: pd.DataFrame, rules: list[GapRule]
) -> None:
    night = {"Tue 02:00", "Sat 02:00"}
    base = _rows(gaps, "sarc_travel")
    base_night = set(base.loc[base["slot"].isin(night), "area_code"])
    # Wyre has night-time residents beyond 60 minutes; Blackpool no longer does since the
    # road network has its 'A' roads (594 residents on the v1 network, 0 on v2).
    assert WYRE in base_night and BLACKPOOL not in base_night
    assert "no_out_of_hours:Lancashire:sarc" in set(gaps["gap_id"])

    what_if = study.with_changes(RegisterChanges(hours={"sarc-preston-safe-centre": "24/7"}))
    chosen = [_rule(rules, "sarc_travel"), _rule(rules, "no_out_of_hours")]
    found = evaluate(what_if, chosen, as_of=AS_OF)
    travel = _rows(found, "sarc_travel")
    assert not {WYRE, BLACKPOOL} & set(travel.loc[travel["slot"].isin(night), "area_code"])
    assert "no_out_of_hours:Lancashire:sarc" not in set(found["gap_id"])
    # The baseline study is untouched.
    assert (
        study.effective_register().set_index("id").at["sarc-preston-safe-centre", "opening_hours"]
        == "Mo-Fr 08:00-16:00"
    )


def test_format_gaps_truncates_evidence(gaps: pd.DataFrame) -> None:
    text = format_gaps(gaps, evidence_width=40)
    assert "…" in text
    assert max(len(e) for e in gaps["evidence"]) > 40
    assert format_gaps(gaps.iloc[0:0]) == "No gaps found."


# ---- CLI ---------------------------------------------------------------------------


def test_cli_writes_the_register(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], gaps: pd.DataFrame
) -> None:
    from mapping.cli import main

    out = tmp_path / "gaps.csv"
    with pytest.raises(SystemExit) as caught:  # typer exits, 0 on success
        main(["gaps", "--out", str(out)])
    assert caught.value.code == 0
    printed = capsys.readouterr().out
    assert "sarc_travel" in printed and "gap(s)" in printed
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(written.columns) == list(COLUMNS)
    # stale_record depends on today's date; the other rules do not.
    same = written[written["rule_id"] != "stale_record"]
    expected = gaps[gaps["rule_id"] != "stale_record"]
    assert sorted(same["gap_id"]) == sorted(expected["gap_id"])


def test_cli_reports_a_broken_rules_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mapping.cli import main

    path = tmp_path / "rules.toml"
    path.write_text(f"[no_refuge]\n{_META}population_per_place = 0\n", encoding="utf-8")
    with pytest.raises(SystemExit) as caught:
        main(["gaps", "--rules", str(path)])
    assert caught.value.code == 1
    assert f"{path}:no_refuge:population_per_place: must be a positive number" in (
        capsys.readouterr().err
    )


def test_located_means_a_non_empty_point_and_not_confidential() -> None:
    from shapely.geometry import Point

    from mapping.analysis.gap_records import located

    register = pd.DataFrame(
        {
            "geometry": [Point(1, 2), None, np.nan, Point(), Point(3, 4)],
            "confidential": [False, False, None, False, True],
        }
    )
    assert located(register).tolist() == [True, False, False, False, False]
    assert not located(register.drop(columns="geometry")).any()
