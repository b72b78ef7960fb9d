"""The façade: `import mapping` is light, `Study` answers every question, what-ifs are views."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import mapping
from mapping.study import Study

REPO = Path(__file__).resolve().parents[1]
PRESTON_24_7 = REPO / "data" / "scenarios" / "preston_sarc_24_7.toml"


def test_import_mapping_never_imports_streamlit_or_the_analysis() -> None:
    code = (
        "import sys, mapping; "
        "assert 'streamlit' not in sys.modules; "
        "assert 'mapping.study' not in sys.modules; "
        "print(mapping.Study.__module__, mapping.__version__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("mapping.study ")


def test_public_names_resolve_and_unknown_names_fail() -> None:
    assert mapping.Study is Study
    assert mapping.Scenario.__name__ == "Scenario"
    with pytest.raises(AttributeError):
        _ = mapping.NoSuchThing  # type: ignore[attr-defined]
    assert any("police.uk" in line for line in mapping.ATTRIBUTION)


def test_repr_says_what_the_study_is(study: Study) -> None:
    text = repr(study)
    assert text.startswith("Study(baseline: ")
    assert f"{len(study.origins):,} origins" in text


def test_with_scenario_is_a_view_with_the_cli_figures(study: Study, run_cli) -> None:
    before = study.sarc_access(["weekend night"]).set_index("area_code")
    view = study.with_scenario(PRESTON_24_7)
    assert view is not study and view.scenario is not None
    assert "scenario 'Preston SARC staffed out of hours'" in repr(view)
    after = view.sarc_access(["weekend night"]).set_index("area_code")
    # The baseline is untouched by the view.
    pd.testing.assert_frame_equal(
        study.sarc_access(["weekend night"]).set_index("area_code"), before
    )
    # At Saturday 02:00 the nearest open SARC is out of county for everyone before, and
    # for few after; the comparison (as `service-map scenario` prints it) agrees.
    assert before.loc["TOTAL", "share_nearest_outside_lancashire"] == pytest.approx(1.0)
    assert after.loc["TOTAL", "share_nearest_outside_lancashire"] < 0.15
    comparison = study.compare(PRESTON_24_7, slots=["weekend night"])
    total = comparison.totals.iloc[0]
    assert total["baseline_mean_minutes"] == pytest.approx(before.loc["TOTAL", "mean_minutes"])
    assert total["scenario_mean_minutes"] == pytest.approx(after.loc["TOTAL", "mean_minutes"])
    code, out, _ = run_cli(["scenario", str(PRESTON_24_7), "--at", "weekend night"])
    assert code == 0
    assert f"{total['scenario_mean_minutes']:.1f}" in out


def test_with_register_shares_the_network(study: Study) -> None:
    other = study.with_register(study.register.iloc[:5].copy())
    assert other.engine.network is study.engine.network
    assert len(other.register) == 5 and len(study.register) > 5


def test_a_register_without_a_category_reports_none_instead_of_failing(
    study: Study, tmp_path: Path, run_cli
) -> None:
    # Defect 7 of issue 8: a valid register with no SARC broke `sarc`, `gaps` and `export`.
    no_sarc = study.register[study.register["category"] != "sarc"].copy()
    other = study.with_register(no_sarc)
    table = other.sarc_access(["weekend night"]).set_index("area_code")
    assert table.loc["TOTAL", "population_unreached"] == pytest.approx(
        len(other.origins) and other.origins["population"].sum()
    )
    assert table["nearest_service"].isna().all()
    gaps = other.gaps()
    sarc_gaps = gaps[gaps["rule_id"] == "sarc_travel"]
    assert len(sarc_gaps) > 0  # everybody is beyond reach: the rule says so
    register_csv = tmp_path / "no_sarc.csv"
    import csv

    with open(REPO / "data" / "services.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    category = rows[0].index("category")
    with open(register_csv, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([rows[0], *(r for r in rows[1:] if r[category] != "sarc")])
    code, _out, err = run_cli(["sarc", "--services", str(register_csv), "--at", "Sat 02:00"])
    assert code == 0, err
    assert "Traceback" not in err


def test_the_baseline_gap_register_is_evaluated_once_a_day(
    study: Study, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every comparison reuses the baseline's register of the day; a copy each time."""
    import mapping.analysis.gaps as gaps_module

    calls = []
    real = gaps_module.evaluate

    def counted(which: Study, *args: object, **kwargs: object) -> object:
        calls.append(which)
        return real(which, *args, **kwargs)

    monkeypatch.setattr(gaps_module, "evaluate", counted)
    from mapping.caching import Cache

    monkeypatch.setattr(study.model, "_gaps", Cache(maxsize=1))
    first = study.default_gaps()
    second = study.default_gaps()
    assert len(calls) == 1 and first.equals(second) and first is not second
    assert first.equals(real(study.model))
    # A what-if view has its own register.
    view = study.with_scenario("data/scenarios/preston_sarc_24_7.toml")
    view.default_gaps()
    assert len(calls) == 2 and calls[-1] is view.model
