"""Tables for people (issue 12): plain headings, whole people, names, changed areas first.

The display helpers are checked on hand-made tables (every figure worked by hand), then
every page's tables in ``AppTest``, and the Scenarios page's before/after figures and
ranked areas against :meth:`mapping.Study.compare`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app import scenario_results, tables
from mapping.study import Study

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 240
EXAMPLE = ROOT / "data" / "scenarios" / "preston_sarc_24_7.toml"


def _coverage_like() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_code": ["E1", "TOTAL"],
            "area_name": ["Wyre", "Lancashire"],
            "slot": ["Sat 02:00", "Sat 02:00"],
            "slot_name": ["weekend night", "weekend night"],
            "weight": ["residents", "residents"],
            "population": [1000.4, 3000.6],
            "eligible_population": [900.5, 2000.49],
            "mean_minutes": [41.26, np.nan],
            "share_within_60": [0.8349, 0.5],
            "population_beyond_60": [148.6, 1000.2],
            "nearest_service": ["sarc-a", None],
        }
    )


def test_for_people_headings_rounding_and_names() -> None:
    table = _coverage_like()
    before = table.copy()
    shown = tables.for_people(table, service_names={"sarc-a": "Alpha SARC"})
    assert list(shown.columns) == [
        "Area",
        "Time slot",
        "Residents",
        "Residents who can use the service",
        "Average drive (min)",
        "Share within 60 min",
        "Residents beyond 60 min",
        "Nearest open service (for most)",
    ]
    assert shown["Time slot"].tolist() == ["Weekend night (Sat 02:00)"] * 2
    # Whole people (900.5 rounds half to even: 900), whole percentages, whole minutes.
    assert shown["Residents"].tolist() == [1000, 3001]
    assert shown["Residents who can use the service"].tolist() == [900, 2000]
    assert shown["Residents beyond 60 min"].tolist() == [149, 1000]
    assert shown["Share within 60 min"].tolist() == [83.0, 50.0]
    assert shown["Average drive (min)"].iloc[0] == 41 and pd.isna(shown["Average drive (min)"][1])
    assert shown["Nearest open service (for most)"].iloc[0] == "Alpha SARC"
    # The table the download gets is untouched.
    assert table.equals(before)


def test_for_people_weighted_counts_and_first_columns() -> None:
    shown = tables.for_people(
        _coverage_like(), who="Women 16+", first=("population_beyond_60",), keep=("area_code",)
    )
    assert list(shown.columns[:4]) == ["Area", "Time slot", "Women 16+ beyond 60 min", "Area code"]
    # With both, population is residents and the eligible count is the weight's.
    assert {"Residents", "Women 16+"} <= set(shown.columns)
    assert tables.heading("population", "Women 16+") == "Women 16+"  # alone: the weight
    assert tables.heading("baseline_population_within_60") == "Residents within 60 min (before)"
    assert tables.heading("population_affected_scenario") == "People affected (after)"


def test_ranked_changes_hand_worked() -> None:
    """Three areas in two slots; beyond = eligible - within, rounded before subtracting."""
    by_area = pd.DataFrame(
        {
            "area_code": ["A", "B", "C", "TOTAL"] * 2,
            "area_name": ["Ash", "Birch", "Cedar", "Lancashire"] * 2,
            "slot": ["Tue 10:00"] * 4 + ["Sat 02:00"] * 4,
            "slot_name": ["weekday daytime"] * 4 + ["weekend night"] * 4,
            "eligible_population": [100.0, 200.0, 300.0, 600.0] * 2,
            # Weekday daytime first (nothing changes), then weekend night.
            "baseline_population_within_60": [100.0, 200.0, 300.0, 600.0, 40.4, 200, 100, 340.4],
            "scenario_population_within_60": [100.0, 200.0, 300.0, 600.0, 90.0, 200, 290, 580.0],
            "baseline_mean_minutes": [10.0, 20.0, 30.0, 25.0, 70.0, 50.0, 80.0, 70.0],
            "scenario_mean_minutes": [10.0, 20.0, 30.0, 25.0, 50.0, 45.0, 40.0, 45.0],
        }
    )
    ranked = scenario_results.ranked_changes(by_area, 60)
    before, after = "Residents beyond 60 min before", "Residents beyond 60 min after"
    # Cedar 200 -> 10 (-190), Ash 60 -> 10 (-50; 59.6 rounds to 60), then Birch (no
    # change in people but 5 minutes faster), then the unchanged weekday rows by name.
    assert ranked["Council area"].tolist() == ["Cedar", "Ash", "Birch", "Ash", "Birch", "Cedar"]
    assert ranked["Change"].tolist() == [-190, -50, 0, 0, 0, 0]
    assert ranked[before].tolist()[:2] == [200, 60] and ranked[after].tolist()[:2] == [10, 10]
    assert (ranked[after] - ranked[before] == ranked["Change"]).all()
    assert ranked["Time slot"].iloc[0] == "Weekend night (Sat 02:00)"
    assert "Lancashire" not in set(ranked["Council area"])
    assert scenario_results.change_words(-190) == "190 fewer"
    assert scenario_results.change_words(0) == "No change"
    assert scenario_results.change_words(1234) == "1,234 more"


def _open(page: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


_PEOPLE_HEADING = re.compile(r"^(Residents|People affected|Women 16\+|Number more than)")


def _check_for_people(frame: pd.DataFrame, where: str) -> None:
    for column in frame.columns:
        # Plain English: no snake_case, no bare code names.
        assert "_" not in column and not column[:1].islower(), (where, column)
        if _PEOPLE_HEADING.match(column):
            values = pd.to_numeric(frame[column], errors="coerce").dropna()
            assert (values % 1 == 0).all(), (where, column)


@pytest.mark.parametrize(
    "page",
    [
        "app/map.py",
        "app/sarc.py",
        "app/week.py",
        "app/coverage.py",
        "app/need.py",
        "app/gaps.py",
        "app/services.py",
    ],
)
def test_every_table_is_for_people(built_data: Path, page: str) -> None:
    app = _open(page)
    assert app.dataframe, page
    for table in app.dataframe:
        _check_for_people(table.value, page)
    # Names, not ids or codes (the gap evidence sentences quote both, by design).
    text = " ".join(
        str(v)
        for t in app.dataframe
        for v in t.value.drop(columns="Evidence", errors="ignore").astype(str).to_numpy().ravel()
    )
    assert not re.search(r"\bE0[5-9]\d{6}\b", text), page
    assert "sarc-preston-safe-centre" not in text, page


def test_scenario_figures_and_areas_changed_first(study: Study) -> None:
    app = _open("app/scenarios.py")
    app.selectbox(key="sc_ex").set_value(EXAMPLE)
    app.button(key="sc_load_example").click().run()
    assert not app.exception and not app.error
    comparison = study.compare(EXAMPLE, slots=["Tue 10:00", "Sat 02:00"], threshold=60)
    totals = comparison.totals.set_index("slot")
    beyond = (totals["eligible_population"] - totals["baseline_population_within_60"]).round()
    after = (totals["eligible_population"] - totals["scenario_population_within_60"]).round()
    metrics = {(m.label, i // 4): m for i, m in enumerate(app.metric)}
    # Weekday daytime: Preston is open anyway, so nothing changes and no arrow shows.
    day = metrics[("Residents beyond 60 min, after", 0)]
    assert day.value == f"{after['Tue 10:00']:,.0f}" and not day.delta
    assert metrics[("Change", 0)].value == "No change"
    # Weekend night: fewer people beyond reach, a green arrow pointing down.
    night = metrics[("Residents beyond 60 min, after", 1)]
    fewer = int(beyond["Sat 02:00"] - after["Sat 02:00"])
    assert fewer > 0
    assert metrics[("Residents beyond 60 min, before", 1)].value == f"{beyond['Sat 02:00']:,.0f}"
    assert night.value == f"{after['Sat 02:00']:,.0f}" and night.delta == f"{-fewer:+,d}"
    assert night.proto.color == night.proto.MetricColor.GREEN
    assert night.proto.direction == night.proto.MetricDirection.DOWN
    # The direction is in the label, so the figure fits its quarter of the page.
    assert metrics[("Fewer beyond 60 min", 1)].value == f"{fewer:,}"

    for name in ("Council area", "Ward"):
        ranked = next(t.value for t in app.dataframe if t.value.columns[0] == name)
        _check_for_people(ranked, name)
        change = ranked["Change"].abs()
        changed = int((change > 0).sum())
        assert changed > 0
        assert change.is_monotonic_decreasing  # changed first, the largest change on top
        assert (change.iloc[changed:] == 0).all()
    areas = next(t.value for t in app.dataframe if t.value.columns[0] == "Council area")
    # Each area is rounded on its own: the sum is the county's change within rounding.
    assert abs(areas["Change"].sum() + fewer) <= len(areas)
    assert len(areas) == 14 * 2  # two slots, no Lancashire total row
    # The download keeps the package's columns.
    assert {"Download CSV", "Download XLSX"} <= {b.label for b in app.download_button}


def test_range_ends_are_people_with_plain_headings() -> None:
    frame = tables.for_people(
        pd.DataFrame({"population_over_60_low": [12.4], "population_over_60_high": [1234.6]})
    )
    assert list(frame.columns) == ["Residents over 60 min (low)", "Residents over 60 min (high)"]
    assert frame.iloc[0].tolist() == [12, 1235]
    assert tables.column_config(frame)["Residents over 60 min (high)"] is not None
    crimes = tables.for_people(pd.DataFrame({"crime_types": [("sexual_violence", "hate_crime")]}))
    assert crimes.iloc[0, 0] == "sexual violence; hate crime"


def test_missing_values_read_in_words_and_counts_have_separators(built_data: Path) -> None:
    import json

    gaps = _open("app/gaps.py")
    table = next(d for d in gaps.dataframe if "Evidence" in d.value.columns)
    assert table.value["People affected"].isna().any()  # rules that count no people
    assert table.proto.placeholder == "not counted"  # not "None"
    need = _open("app/need.py")
    equity = next(d for d in need.dataframe if "IMD decile (1 = most deprived)" in d.value.columns)
    formats = {
        v.get("label", k): (v.get("type_config") or {}).get("format")
        for k, v in json.loads(equity.proto.columns).items()
    }
    counts = [c for c in equity.value.columns if c == "Residents" or c.startswith("Number")]
    assert counts and all("," in str(formats.get(c)) for c in counts), formats
    assert "refuge-" not in " ".join(i.value for i in need.info)  # names, not register ids
    scenarios = _open("app/scenarios.py")
    labels = scenarios.selectbox(key="sc_hours_service").options
    assert not any("(sarc-" in label or "(refuge-" in label for label in labels)
    assert "sexual violence" in scenarios.multiselect(key="sc_add_crimes").options
