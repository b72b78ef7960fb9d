"""The people's version of a table (mapping.outputs.people), worked by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from mapping import ATTRIBUTION
from mapping.outputs.people import (
    Vocabulary,
    glossary,
    heading,
    kind,
    people_table,
    write_people_workbook,
)


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_code": ["E07000128", "TOTAL"],
            "area_name": ["Wyre", "=SUM(A1)"],
            "slot": ["Sat 02:00", "Sat 02:00"],
            "slot_name": ["weekend night", "weekend night"],
            "category": ["sarc", "sarc"],
            "population": [27535.9115349597, 1_531_079.5],
            "eligible_population": [27535.9115349597, 1_531_078.5],
            "mean_minutes": [41.5, np.nan],
            "share_within_45": [0.8349, 0.004],
            "population_beyond_45": [4546.4, 0.5],
            "population_beyond_45_low": [4000.6, 0.4],
            "nearest_service": ["sarc-a;sarc-b", None],
        }
    )


def test_headings_names_and_rounding_by_hand() -> None:
    table = _table()
    before = table.copy()
    people = people_table(table, Vocabulary(service_names={"sarc-a": "Alpha", "sarc-b": "Beta"}))
    frame = people.frame
    # Codes (area_code, slot) are left out; the area's name comes first.
    assert list(frame.columns) == [
        "Area",
        "Time slot",
        "Service",
        "Residents",
        "Residents who can use the service",
        "Average drive (min)",
        "Share within 45 min",
        "Residents beyond 45 min",
        "Residents beyond 45 min (low)",
        "Nearest open service (for most)",
    ]
    assert frame["Time slot"].tolist() == ["Weekend night (Sat 02:00)"] * 2
    assert frame["Service"].iloc[0] != "sarc"  # the category's label, not its code
    # 27535.91 -> 27536; 1,531,079.5 and 1,531,078.5 round half to even.
    assert frame["Residents"].tolist() == [27536, 1_531_080]
    assert frame["Residents who can use the service"].tolist() == [27536, 1_531_078]
    assert frame["Residents beyond 45 min"].tolist() == [4546, 0]
    assert frame["Residents beyond 45 min (low)"].tolist() == [4001, 0]
    assert str(frame["Residents"].dtype) == "Int64"
    # 0.8349 -> 83 (%), 0.004 -> 0; 41.5 minutes -> 42; unknown stays unknown (not 0).
    assert frame["Share within 45 min"].tolist() == [83.0, 0.0]
    assert frame["Average drive (min)"].iloc[0] == 42
    assert pd.isna(frame["Average drive (min)"].iloc[1])
    assert frame["Nearest open service (for most)"].iloc[0] == "Alpha; Beta"
    assert pd.isna(frame["Nearest open service (for most)"].iloc[1])
    assert people.kinds["Residents"] == "people"
    assert people.kinds["Share within 45 min"] == "share"
    assert people.sources["Residents beyond 45 min (low)"] == "population_beyond_45_low"
    assert table.equals(before)  # the machine version is untouched


def test_vocabulary_orders_keeps_and_renames() -> None:
    people = people_table(
        _table(),
        Vocabulary(
            who="Women 16+",
            first=("population_beyond_45",),
            keep=("area_code",),
            drop=("category",),
            headings={"area_name": "Council area"},
        ),
    )
    columns = list(people.frame.columns)
    assert columns[:4] == ["Council area", "Time slot", "Women 16+ beyond 45 min", "Area code"]
    assert "Service" not in columns
    # With both, population is residents and the eligible count is the weight's.
    assert {"Residents", "Women 16+"} <= set(columns)


def test_heading_and_kind_patterns() -> None:
    assert heading("baseline_population_within_45") == "Residents within 45 min (before)"
    assert heading("population_newly_within_45") == "Residents newly within 45 min"
    assert heading("scenario_share_nearest_outside_lancashire") == (
        "Nearest open service outside Lancashire (after)"
    )
    assert kind("minutes_saved") == "minutes" and kind("population_over_60_high") == "people"
    assert kind("baseline_nearest_service") == "other"


def test_two_columns_with_one_heading_are_told_apart() -> None:
    table = pd.DataFrame({"area_name": ["a"], "Area": ["b"], "population": [1.4]})
    assert list(people_table(table).frame.columns) == [
        "Area (area_name)",
        "Area (Area)",
        "Residents",
    ]


def test_glossary_names_each_heading_its_column_and_meaning() -> None:
    people = people_table(_table())
    rows = {h: (c, m) for h, c, m in glossary(people)}
    assert set(rows) == set(people.frame.columns)
    assert rows["Residents beyond 45 min"] == (
        "population_beyond_45",
        "Residents more than 45 minutes' drive from an open service; whole people.",
    )
    assert rows["Share within 45 min"][1] == (
        "Percentage of residents within 45 minutes' drive of an open service."
    )
    assert "10% shorter" in rows["Residents beyond 45 min (low)"][1]


def test_workbook_has_separators_percentages_glossary_and_attribution(tmp_path: Path) -> None:
    path = write_people_workbook(
        people_table(_table()), tmp_path / "t.xlsx", title="coverage_sarc", notes=("a note",)
    )
    book = load_workbook(path)
    assert book.sheetnames == ["coverage_sarc", "README"]
    sheet = book["coverage_sarc"]
    header = [c.value for c in sheet[1]]
    residents = sheet.cell(2, header.index("Residents") + 1)
    assert residents.value == 27536 and residents.number_format == "#,##0"
    share = sheet.cell(2, header.index("Share within 45 min") + 1)
    assert share.value == 83 and share.number_format == '0"%"'
    # A text cell that looks like a formula is text, quoted.
    assert sheet.cell(3, header.index("Area") + 1).value == "'=SUM(A1)"
    readme = [[c.value for c in row] for row in book["README"].iter_rows()]
    flat = [str(v) for row in readme for v in row if v is not None]
    assert "Glossary" in flat and "population_beyond_45" in flat and "a note" in flat
    assert all(line in flat for line in ATTRIBUTION)


def test_referral_volumes_read_in_words() -> None:
    # Issue 21: "victims_supported" was on the Pathways page.
    table = pd.DataFrame({"measure": ["victims_supported", "referrals"], "year": ["2024/25"] * 2})
    frame = people_table(table).frame
    assert list(frame.columns) == ["What is counted", "Year"]
    assert list(frame["What is counted"]) == ["victims supported", "referrals"]
