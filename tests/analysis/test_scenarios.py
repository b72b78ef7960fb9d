"""What-if scenarios: reading, validation, applying without side effects, comparing."""

from __future__ import annotations

import hashlib
import sys
import tomllib
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mapping.analysis.scenarios import (
    AddChange,
    CloseChange,
    HoursChange,
    Scenario,
    apply_scenario,
    compare,
    load_scenario,
    parse_scenario,
    save_scenario,
    validate_scenario,
)
from mapping.analysis.summary import TOTAL_CODE
from mapping.caching import Cache
from mapping.cli import main
from mapping.errors import ServiceMapError
from mapping.inputs.sources import Sources
from mapping.study import Study

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCENARIOS = Path(__file__).resolve().parents[2] / "data" / "scenarios"
PRESTON_24_7 = SCENARIOS / "preston_sarc_24_7.toml"
EAST_LANCS = SCENARIOS / "east_lancashire_sarc.toml"
VALID_TOML = FIXTURES / "scenarios_valid.toml"
VALID_JSON = FIXTURES / "scenarios_valid.json"
INVALID = FIXTURES / "scenarios_invalid.toml"
MALFORMED = FIXTURES / "scenarios_malformed.toml"

PRESTON, BURNLEY, PENDLE, ROSSENDALE = "E07000123", "E07000117", "E07000122", "E07000125"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _row(table: pd.DataFrame, area: str, slot: str) -> pd.Series:
    hit = table[(table["area_code"] == area) & (table["slot_name"] == slot)]
    assert len(hit) == 1, (area, slot)
    return hit.iloc[0]


# ---- reading and writing ----------------------------------------------------------------


def test_toml_and_json_load_to_the_same_scenario() -> None:
    from_toml = load_scenario(VALID_TOML)
    from_json = load_scenario(VALID_JSON)
    assert from_toml == from_json
    assert from_toml.source == str(VALID_TOML) and from_json.source == str(VALID_JSON)
    assert [c.kind for c in from_toml.changes] == ["hours", "close", "add", "add"]
    assert from_toml.changes[2].crime_types == ("sexual_violence",)
    assert from_toml.changes[3].lon == pytest.approx(-2.801)


def test_a_different_scenario_is_not_equal() -> None:
    scenario = load_scenario(VALID_TOML)
    other = Scenario(scenario.name, scenario.description, scenario.changes[:-1])
    assert other != scenario
    # The fingerprint (the app's cache key) follows equality, not the file it came from.
    assert load_scenario(VALID_JSON).fingerprint == scenario.fingerprint
    assert other.fingerprint != scenario.fingerprint


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_save_and_load_round_trip(tmp_path: Path, suffix: str) -> None:
    tricky = 'Quote " backslash \\ tab \t newline \n accent é, control \x01'
    scenario = Scenario(
        name=tricky,
        description="line one\nline two",
        changes=(
            *load_scenario(VALID_TOML).changes,
            AddChange(
                name="Young people's site",
                category="young_people",
                lon=-2.5,
                lat=53.75,
                opening_hours='Mo-Fr 09:00-17:00; PH off "bank holidays"',
                min_age=8,
                max_age=18,
                crime_types=("domestic_abuse", "sexual_violence"),
            ),
        ),
    )
    path = save_scenario(scenario, tmp_path / f"round{suffix}")
    assert load_scenario(path) == scenario
    if suffix == ".toml":
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        assert raw["name"] == tricky
        assert raw["change"][-1]["crime_types"] == ["domestic_abuse", "sexual_violence"]


def test_save_refuses_other_extensions(tmp_path: Path) -> None:
    with pytest.raises(ServiceMapError, match=r"\.toml or \.json"):
        save_scenario(load_scenario(VALID_TOML), tmp_path / "scenario.yaml")
    assert not (tmp_path / "scenario.yaml").exists()


def test_unreadable_files_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ServiceMapError, match="no such scenario file"):
        load_scenario(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "unterminated\n', encoding="utf-8")
    with pytest.raises(ServiceMapError, match="not valid TOML"):
        load_scenario(bad)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{", encoding="utf-8")
    with pytest.raises(ServiceMapError, match="not valid JSON"):
        load_scenario(bad_json)


def test_structural_problems_are_all_listed_when_reading() -> None:
    with pytest.raises(ServiceMapError) as caught:
        load_scenario(MALFORMED)
    message = str(caught.value)
    assert f"{MALFORMED}:colour: unknown key" in message
    assert f"{MALFORMED}:change 1:lon: must be a number" in message
    assert f"{MALFORMED}:change 2:servise: unknown field" in message
    assert f"{MALFORMED}:change 2:service: required when kind = 'close'" in message
    assert f"{MALFORMED}:change 3:kind: unknown kind 'open': use one of hours, add, close" in (
        message
    )
    assert f"{MALFORMED}:change 4:name: required when kind = 'add'" in message
    assert f"{MALFORMED}:change 5:opening_hours: not used when kind = 'close'; remove it" in (
        message
    )
    assert "7 problem(s)" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"service": "x"}, "change 1:kind: kind is required: one of hours, add, close"),
        ({"kind": " ", "service": "x"}, "change 1:kind: kind is required"),
        ({"kind": "open"}, "change 1:kind: unknown kind 'open': use one of hours, add, close"),
        ({"kind": "hours", "service": "x"}, "change 1:opening_hours: required when kind = 'hours'"),
        (
            {"kind": "add", "name": "  ", "category": "sarc", "opening_hours": "24/7"},
            "change 1:name: required when kind = 'add'",
        ),
        ({"kind": "close", "service": "x", "lon": 1.0}, "change 1:lon: not used when kind"),
        (
            {"kind": "close", "service": "x", "colour": "red"},
            "change 1:colour: unknown field; a change of kind 'close' has kind, service",
        ),
        ({"kind": "close", "service": 7}, "change 1:service: must be text, not 7"),
        (
            {"kind": "add", "name": "n", "category": "c", "opening_hours": "24/7", "min_age": "x"},
            "change 1:min_age: must be a whole number, not 'x'",
        ),
    ],
)
def test_each_kind_of_change_has_its_own_fields(change: dict, expected: str) -> None:
    # The kind's pydantic model says which fields it needs and which it does not use.
    with pytest.raises(ServiceMapError) as caught:
        parse_scenario({"name": "x", "change": [change]}, "inline")
    assert f"inline:{expected}" in str(caught.value)
    assert "1 problem(s)" in str(caught.value)


def test_changes_are_the_model_of_their_kind() -> None:
    scenario = parse_scenario(
        {
            "name": "x",
            "change": [
                {"kind": " hours ", "service": "s", "opening_hours": "24/7"},
                {"kind": "close", "service": "s2"},
                {"kind": "add", "name": "n", "category": "sarc", "opening_hours": "24/7"},
            ],
        }
    )
    assert [type(c) for c in scenario.changes] == [HoursChange, CloseChange, AddChange]
    assert scenario.changes[0] == HoursChange(service="s", opening_hours="24/7")
    assert scenario.changes[2].model_dump(exclude_none=True) == {
        "kind": "add",
        "name": "n",
        "category": "sarc",
        "opening_hours": "24/7",
    }


def test_parse_accepts_semicolon_crime_types() -> None:
    scenario = parse_scenario(
        {
            "name": "x",
            "change": [
                {
                    "kind": "add",
                    "name": "n",
                    "category": "sarc",
                    "opening_hours": "24/7",
                    "crime_types": "stalking; hate_crime",
                }
            ],
        },
        "inline",
    )
    assert scenario.changes[0].crime_types == ("stalking", "hate_crime")


# ---- validation -------------------------------------------------------------------------

# change number -> (field, a fragment of the message); one problem per change.
INVALID_EXPECTED = {
    1: ("service", "unknown service id 'sarc-nowhere'"),
    2: ("postcode", "PR1 9ZZ is not in OS Code-Point Open"),
    3: ("opening_hours", "not valid opening_hours syntax"),
    4: ("postcode", "no location"),
    5: ("category", "unknown category 'sarcophagus'"),
    6: ("lon", "off the road network"),
    7: ("lon", "outside the study area"),
    8: ("postcode", "not both"),
    9: ("service", "unknown service id 'sarc-atlantis'"),
}


def test_each_invalid_change_is_reported_where_it_is(study: Study, sources: Sources) -> None:
    scenario = load_scenario(INVALID)
    problems = validate_scenario(scenario, study.register, sources, engine=study.engine)
    assert len(problems) == len(INVALID_EXPECTED), "\n".join(problems)
    for number, (field_name, fragment) in INVALID_EXPECTED.items():
        prefix = f"{INVALID}:change {number}:{field_name}: "
        hits = [p for p in problems if p.startswith(prefix)]
        assert len(hits) == 1, (prefix, problems)
        assert fragment in hits[0]


def test_the_valid_fixture_and_examples_have_no_problems(study: Study, sources: Sources) -> None:
    for path in (VALID_TOML, PRESTON_24_7, EAST_LANCS):
        assert validate_scenario(load_scenario(path), study.register, sources) == []


def test_conflicting_and_incomplete_changes(study: Study, sources: Sources) -> None:
    scenario = Scenario(
        name="",
        changes=(
            HoursChange(service="sarc-preston-safe-centre", opening_hours="24/7"),
            CloseChange(service="sarc-preston-safe-centre"),
            AddChange(name="x", category="sarc", lon=-2.5, opening_hours="24/7"),
            CloseChange(service="sarc-preston-safe-centre"),
        ),
        source="inline",
    )
    problems = validate_scenario(scenario, study.register, sources)
    assert problems[0] == 'inline:name: a scenario needs a name (name = "...")'
    assert any(p.startswith("inline:change 2:service: ") and "both" in p for p in problems)
    assert "inline:change 3:lat: give both lon and lat" in problems
    assert "inline:change 4:service: 'sarc-preston-safe-centre' is already closed by change 2" in (
        problems
    )


def test_the_same_site_twice_is_a_problem(study: Study, sources: Sources) -> None:
    add = AddChange(name="Twin", category="sarc", postcode="BB11 1JH", opening_hours="24/7")
    scenario = Scenario(name="twins", changes=(add, add), source="twins.toml")
    problems = validate_scenario(scenario, study.register, sources)
    assert problems == [
        "twins.toml:change 2:name: the same site as change 1; give it another name or an id"
    ]


def test_apply_refuses_an_invalid_scenario_and_adds_nothing(study: Study) -> None:
    services_before = len(study.engine.services)
    with pytest.raises(ServiceMapError) as caught:
        apply_scenario(study, load_scenario(INVALID))
    message = str(caught.value)
    assert f"{len(INVALID_EXPECTED)} problem(s)" in message
    for number, (field_name, _) in INVALID_EXPECTED.items():
        assert f"{INVALID}:change {number}:{field_name}: " in message
    assert len(study.engine.services) == services_before


# ---- applying and comparing -------------------------------------------------------------


def test_preston_24_7_closes_the_out_of_hours_gap(study: Study) -> None:
    result = compare(study, load_scenario(PRESTON_24_7))
    night = _row(result.totals, TOTAL_CODE, "weekend night")
    # Baseline: at Sat 02:00 nearly everybody's nearest open SARC is over the border.
    assert night["baseline_share_nearest_outside_lancashire"] > 0.95
    assert night["scenario_share_nearest_outside_lancashire"] < 0.25
    assert night["population_newly_within_60"] > 0
    assert night["minutes_saved"] > 0
    preston = _row(result.by_area, PRESTON, "weekend night")
    assert preston["scenario_mean_minutes"] < preston["baseline_mean_minutes"]
    assert preston["scenario_nearest_service"] == "sarc-preston-safe-centre"
    # Tue 10:00: the SARC is already open, so nothing changes anywhere.
    day = result.by_area[result.by_area["slot_name"] == "weekday daytime"]
    assert len(day) == 15
    assert (day["minutes_saved"] == 0).all()
    assert (day["population_newly_within_60"] == 0).all()
    assert list(result.totals["slot_name"]) == ["weekday daytime", "weekend night"]


def test_an_east_lancashire_sarc_shortens_burnley_and_pendle_journeys(study: Study) -> None:
    result = compare(study, load_scenario(EAST_LANCS))
    (site,) = result.result.added_ids
    assert site.startswith("whatif-hypothetical-east-lancashire-sarc-")
    record = result.result.register.set_index("id").loc[site]
    assert record["district"] == BURNLEY and record["provider_area"] == "Lancashire"
    assert record["postcode"] == "BB11 1JH" and bool(record["what_if"])
    for area in (BURNLEY, PENDLE):
        for slot in ("weekday daytime", "weekend night"):
            row = _row(result.by_area, area, slot)
            assert row["minutes_saved"] > 0, (area, slot)
            assert row["scenario_nearest_service"] == site


def test_closing_saint_marys_lengthens_rossendale_daytime_journeys(study: Study) -> None:
    scenario = Scenario(
        name="Saint Mary's closed",
        changes=(CloseChange(service="sarc-manchester-saint-marys"),),
    )
    result = compare(study, scenario, slots=("weekday daytime",))
    rossendale = _row(result.by_area, ROSSENDALE, "weekday daytime")
    assert rossendale["baseline_nearest_service"] == "sarc-manchester-saint-marys"
    assert rossendale["scenario_mean_minutes"] > rossendale["baseline_mean_minutes"]
    assert rossendale["minutes_saved"] < 0
    assert "sarc-manchester-saint-marys" not in set(result.result.register["id"])


def test_the_baseline_and_the_register_file_are_never_modified(study: Study) -> None:
    register_file = study.services_path
    assert register_file is not None and register_file.is_file()
    checksum = _sha(register_file)
    register_before = study.register.copy()
    coverage_before = study.coverage("sarc", "Sat 02:00")
    for path in (PRESTON_24_7, EAST_LANCS, VALID_TOML):
        result = apply_scenario(study, load_scenario(path))
        assert result.study is not study
        result.study.coverage("sarc", "Sat 02:00")
    assert _sha(register_file) == checksum
    assert study.changes.is_empty
    pd.testing.assert_frame_equal(study.register, register_before)
    pd.testing.assert_frame_equal(study.coverage("sarc", "Sat 02:00"), coverage_before)
    assert not study.effective_register()["id"].str.startswith("whatif-").any()


def test_two_scenarios_on_one_study_do_not_see_each_other(study: Study) -> None:
    east = apply_scenario(study, load_scenario(EAST_LANCS))
    east_night = east.study.coverage("sarc", "Sat 02:00")
    west = Scenario(
        name="Lancaster SARC",
        changes=(
            AddChange(
                name="Lancaster SARC",
                category="sarc",
                lon=-2.80,
                lat=54.05,
                opening_hours="24/7",
            ),
        ),
    )
    lancaster = apply_scenario(study, west)
    (east_id,), (west_id,) = east.added_ids, lancaster.added_ids
    assert east_id != west_id
    assert west_id not in set(east.register["id"]) and east_id not in set(lancaster.register["id"])
    # The east view's answer is the same after the other site joined the shared engine.
    pd.testing.assert_frame_equal(east.study.coverage("sarc", "Sat 02:00"), east_night)
    served = set(lancaster.study.origin_minutes("sarc", "Sat 02:00")["service_id"].dropna())
    assert west_id in served and east_id not in served


def test_what_ifs_never_change_the_base_engine_and_ids_are_per_view(study: Study) -> None:
    base_ids = study.engine.service_ids
    first = apply_scenario(study, load_scenario(EAST_LANCS))
    again = apply_scenario(study, load_scenario(EAST_LANCS))
    assert again.added_ids == first.added_ids  # the same site gets the same id
    assert study.engine.service_ids == base_ids  # the shared engine is untouched
    assert first.study.engine is not study.engine and first.study.engine.root is study.engine

    def named(lon: float, site_id: str = "test-clash") -> Scenario:
        add = AddChange(
            id=site_id,
            name="Clash",
            category="sarc",
            lon=lon,
            lat=53.76,
            opening_hours="24/7",
        )
        return Scenario(name="clash", changes=(add,), source="clash.toml")

    # Two views may use one id for different sites: each routes its own.
    west, east = apply_scenario(study, named(-2.70)), apply_scenario(study, named(-2.40))
    west_xy = west.study.engine.services.set_index("id").loc["test-clash", "x"]
    east_xy = east.study.engine.services.set_index("id").loc["test-clash", "x"]
    assert west_xy < east_xy
    # An id the register already uses is refused.
    taken = str(study.register["id"].iloc[0])
    with pytest.raises(ServiceMapError, match=r"clash\.toml:change 1:id: .*already"):
        apply_scenario(study, named(-2.70, taken))


def test_applying_on_a_what_if_view_keeps_its_changes(study: Study) -> None:
    preston = apply_scenario(study, load_scenario(PRESTON_24_7))
    both = apply_scenario(preston.study, load_scenario(EAST_LANCS))
    assert both.changes.hours == {"sarc-preston-safe-centre": "24/7"}
    assert both.added_ids[0] in set(both.register["id"])
    hours = both.register.set_index("id").loc["sarc-preston-safe-centre", "opening_hours"]
    assert hours == "24/7"


def test_gap_differences_by_gap_id(study: Study, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in for mapping.analysis.gaps: one gap per council area beyond 45 minutes at night.
    def evaluate(which: Study) -> pd.DataFrame:
        table = which.coverage("sarc", "Sat 02:00", total_row=False)
        table = table[table["mean_minutes"] > 45]
        return pd.DataFrame(
            {
                "gap_id": "night-sarc-" + table["area_code"],
                "rule_id": "night-sarc",
                "area_code": table["area_code"],
                "severity": np.where(table["mean_minutes"] > 55, "high", "medium"),
                "population_affected": table["population"],
            }
        )

    monkeypatch.setitem(
        sys.modules, "mapping.analysis.gaps", types.SimpleNamespace(evaluate=evaluate)
    )
    # The baseline's register of the day is kept by the study: forget the real one.
    monkeypatch.setattr(study.model, "_gaps", Cache(maxsize=1))
    result = compare(study, load_scenario(PRESTON_24_7))
    before = set(evaluate(study)["gap_id"])
    after = set(evaluate(result.result.study)["gap_id"])
    assert before - after  # the stand-in has gaps to resolve, so the test can fail
    gaps = result.gaps
    assert gaps is not None
    assert set(gaps.loc[gaps["status"] == "resolved", "gap_id"]) == before - after
    assert set(gaps.loc[gaps["status"] == "new", "gap_id"]) == after - before
    assert set(gaps["status"]) <= {"resolved", "new", "changed"}
    assert {"severity_baseline", "population_affected_scenario"} <= set(gaps.columns)


# ---- the command ------------------------------------------------------------------------


def test_the_command_prints_totals_first(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["scenario", str(PRESTON_24_7)])
    assert exited.value.code in (0, None)
    out = capsys.readouterr().out
    assert out.index("Lancashire totals") < out.index("By council area")
    assert "weekend night (Sat 02:00)" in out
    assert "Preston" in out
    assert "unchanged" in out and "services.csv" in out


def test_the_command_lists_every_problem_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["scenario", str(INVALID)])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    for number, (field_name, _) in INVALID_EXPECTED.items():
        assert f"change {number}:{field_name}: " in captured.err
    assert "Traceback" not in captured.err + captured.out
    # A malformed file fails when read, before the study loads, listing every problem.
    with pytest.raises(SystemExit) as exited:
        main(["scenario", str(MALFORMED)])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert "7 problem(s)" in captured.err and "change 3:kind: unknown kind 'open'" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_the_command_writes_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "east.csv"
    with pytest.raises(SystemExit) as exited:
        main(["scenario", str(EAST_LANCS), "--at", "Sat 02:00", "--out", str(out)])
    assert exited.value.code in (0, None), capsys.readouterr().err
    table = pd.read_csv(out, comment="#")
    assert set(table["slot"]) == {"Sat 02:00"}
    assert (table["area_code"] == TOTAL_CODE).sum() == 1
    assert {"minutes_saved", "population_newly_within_60"} <= set(table.columns)


def test_residents_beyond_rounds_whole_people_before_the_change() -> None:
    import doctest

    from mapping.analysis import scenarios as scenarios_module
    from mapping.analysis.scenarios import residents_beyond

    # Hand-worked: 100 eligible; 90.4 within 60 before (9.6 -> 10 beyond), 99.6 after
    # (0.4 -> 0); a second area with nobody eligible has nobody beyond.
    table = pd.DataFrame(
        {
            "eligible_population": [100.0, 0.0],
            "baseline_population_within_60": [90.4, 0.0],
            "scenario_population_within_60": [99.6, 0.0],
        }
    )
    before, after = residents_beyond(table, 60)
    assert before.tolist() == [10, 0] and after.tolist() == [0, 0]
    assert (after - before).tolist() == [-10, 0]
    finder = doctest.DocTestFinder()
    tests = finder.find(scenarios_module.residents_beyond, globs=vars(scenarios_module).copy())
    assert sum(doctest.DocTestRunner().run(t).failed for t in tests) == 0
