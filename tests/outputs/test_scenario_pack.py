"""The scenario pack's report: the scenario in words, figures as on screen, its threshold."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from mapping.analysis.scenarios import (
    AddChange,
    CloseChange,
    HoursChange,
    load_scenario,
    residents_beyond,
)
from mapping.outputs.people import Vocabulary, people_table
from mapping.outputs.report import _TEMPLATES
from mapping.outputs.scenario_report import change_sentences, people_report_table, slot_sentences
from mapping.study import Study

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "scenarios" / "preston_sarc_24_7.toml"


def test_each_change_is_a_sentence() -> None:
    sentences = change_sentences(
        [
            HoursChange(service="sarc-a", opening_hours="24/7"),
            CloseChange(service="hub-b"),
            AddChange(name="New SARC", category="sarc", lon=-2.5, lat=53.75, opening_hours="Sa"),
        ],
        {"sarc-a": "Alpha SARC", "hub-b": "Beta hub"},
        {"sarc-a": "Mo-Fr 09:00-17:00"},
    )
    assert sentences[0] == "Alpha SARC opens 24/7 instead of Mo-Fr 09:00-17:00."
    assert sentences[1] == "Beta hub closes."
    assert sentences[2].startswith("A new ") and "New SARC" in sentences[2]
    assert "latitude 53.75000, longitude -2.50000" in sentences[2]


def _totals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_code": ["TOTAL", "TOTAL"],
            "slot": ["Sat 02:00", "Tue 10:00"],
            "slot_name": ["weekend night", "weekday daytime"],
            "category": ["sarc", "sarc"],
            "eligible_population": [154_700.4, 1000.0],
            "baseline_mean_minutes": [50.0, 30.0],
            "scenario_mean_minutes": [41.26, 30.0],
            "minutes_saved": [8.74, 0.0],
            "baseline_population_within_45": [100_000.0, 1000.0],
            "scenario_population_within_45": [130_200.6, 1000.0],
        }
    )


def test_slot_sentences_by_hand() -> None:
    # Before: 154,700.4 - 100,000 = 54,700; after: 154,700.4 - 130,200.6 = 24,499.8 -> 24,500.
    first, second = slot_sentences(_totals(), 45)
    assert first == (
        "SARC (sexual assault referral centre), Weekend night (Sat 02:00): 24,500 residents "
        "more than 45 minutes' drive from an open service with the scenario, against 54,700 "
        "now (30,200 fewer). Average drive 41.3 minutes, 8.7 minutes shorter."
    )
    assert second.endswith(
        "0 residents more than 45 minutes' drive from an open service with the scenario, "
        "against 0 now (no change). Average drive 30.0 minutes, unchanged."
    )


def test_people_tables_spell_figures_as_on_screen_and_are_escaped() -> None:
    table = pd.DataFrame(
        {"area_name": ["<b>x</b>"], "population": [154_700.4], "share_within_45": [0.8349]}
    )
    report_table = people_report_table(people_table(table, Vocabulary()))
    assert report_table.rows[0].cells == ("<b>x</b>", "154,700", "83%")
    page = _TEMPLATES.get_template("report_macros.j2").module.table(report_table)
    assert "<td>154,700</td>" in page and "<td>83%</td>" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x" not in page and "1.547e+05" not in page


@pytest.mark.parametrize("threshold", [45])
def test_the_pack_compares_at_the_threshold_requested(
    study: Study, tmp_path: Path, threshold: int
) -> None:
    scenario = load_scenario(EXAMPLE)
    out = tmp_path / "pack"
    study.export(
        out, scenario=scenario, threshold=threshold, categories=["sarc"], slots=["weekend night"]
    )
    by_area = pd.read_csv(out / "scenario_by_area.csv")
    t = f"{threshold:g}"
    assert f"population_newly_within_{t}" in by_area.columns
    assert not [c for c in by_area.columns if c.endswith("within_60")]
    totals = pd.read_csv(out / "scenario_totals.csv")
    before, after = residents_beyond(totals, threshold)
    page = (out / "report.html").read_text(encoding="utf-8")
    section = page[page.index('id="scenario"') : page.index("Baseline headline")]
    # The sentences say the threshold asked for (the gap rules' evidence keeps its own).
    words = section[: section.index("Lancashire, before and after")]
    assert f"more than {t} minutes" in words and "60 minutes" not in words
    assert f"(within {t} minutes)" in section
    assert "Lancashire SAFE Centre" in section and "opens 24/7" in section
    # The figures of the sentence are the screen's: whole people with separators.
    assert f"{after.iloc[0]:,}" in section and f"{before.iloc[0]:,}" in section
    assert not re.search(r"\d\.\d+e[+-]\d", section)
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert re.search(rf"scenario threshold \(minutes\)\W+{t}\b", readme)
