"""The façade for a notebook user: discoverable, a short repr, clear errors (issue 23)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import mapping
from mapping.analysis.summary import checked_thresholds
from mapping.errors import ServiceMapError
from mapping.study import Study

PRESTON = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "preston_sarc_24_7.toml"


def test_the_public_names_are_in_dir() -> None:
    names = dir(mapping)
    assert {"Study", "Scenario", "TimeSlot", "ServiceMapError", "formats"} <= set(names)
    assert set(mapping.__all__) <= set(names)


def test_the_repr_is_one_short_line(study: Study) -> None:
    text = repr(study)
    assert "\n" not in text and len(text) < 150
    assert text.startswith("Study(baseline: ") and f"{len(study.register)} services" in text


def test_a_scenario_can_be_a_dict_in_the_files_structure(study: Study) -> None:
    as_dict = tomllib.loads(PRESTON.read_text(encoding="utf-8"))
    from_dict = study.with_scenario(as_dict)
    from_file = study.with_scenario(PRESTON)
    assert from_dict.scenario is not None and from_file.scenario is not None
    assert from_dict.scenario.name == from_file.scenario.name
    assert from_dict.changes == from_file.changes
    with pytest.raises(ServiceMapError, match=r"scenario \(a dict\)"):
        study.with_scenario({"name": "x", "change": [{"kind": "hours"}]})


@pytest.mark.parametrize("wrong", [5, 2.5, ["a.toml"], None])
def test_a_wrong_scenario_type_is_a_clear_error(study: Study, wrong: object) -> None:
    with pytest.raises(ServiceMapError, match=rf"not {type(wrong).__name__}$"):
        study.with_scenario(wrong)  # type: ignore[arg-type]


@pytest.mark.parametrize("wrong", [5, [5], ("sarc", 2)])
def test_a_wrong_category_type_is_a_clear_error(study: Study, wrong: object) -> None:
    with pytest.raises(ServiceMapError, match="category must be a service category"):
        study.coverage(category=wrong)  # type: ignore[arg-type]


@pytest.mark.parametrize("wrong", ["30", 30, [], [30, "45"], [0], [True], None])
def test_thresholds_must_be_positive_minutes(wrong: object) -> None:
    with pytest.raises(ServiceMapError, match="thresholds must be positive minutes"):
        checked_thresholds(wrong)


def test_thresholds_are_given_back_as_floats() -> None:
    assert checked_thresholds([30, 45.5]) == (30.0, 45.5)
    assert checked_thresholds(range(10, 31, 10)) == (10.0, 20.0, 30.0)
