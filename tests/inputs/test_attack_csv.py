"""Hostile CSV inputs and misplaced points: one message naming file, row and field.

Issue 8, defect 10 ("Minor"): a town-precision point in the Irish Sea passed because
it lay inside the register's latitude/longitude box; a double byte-order mark gave a
message that did not point at it; a 10 MB field was reported with field ``-``; ages and
coordinates in non-ASCII digits were accepted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.errors import ServiceMapError
from mapping.inputs import candidates, demand, land, points
from mapping.inputs.files import csv_rows
from mapping.inputs.land import LAND_BUFFER_M, near_land
from mapping.inputs.register import (
    RegisterError,
    default_register_path,
    load_register,
    validate_register,
)
from mapping.inputs.scenario_file import parse_change
from mapping.inputs.sources import Sources
from mapping.store import DATA_DIR_ENV, artifact_problem, read_meta
from mapping.study import Study
from mapping.study_area import to_27700

RunCli = Callable[[list[str]], tuple[int, str, str]]
REGISTER = default_register_path()
BIG = "x" * 10_000_000  # 10 MB in one cell


def _rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(REGISTER.read_text(encoding="utf-8"))))


def _write(path: Path, rows: list[list[str]], prefix: bytes = b"") -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_bytes(prefix + out.getvalue().encode("utf-8"))
    return path


def _edited(path: Path, edits: dict[str, str], precision: str = "town") -> tuple[Path, int]:
    """The committed register with one record (of ``precision``) edited; its line."""
    rows = _rows()
    header = rows[0]
    index = next(
        i for i, row in enumerate(rows) if row[header.index("location_precision")] == precision
    )
    for column, value in edits.items():
        rows[index][header.index(column)] = value
    return _write(path, rows), index + 1


# ---- (a) points at sea --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        ("53.9", "-3.6"),  # the Irish Sea, inside the register's lat/lon box (issue 8)
        ("53.85", "-3.2"),  # 10 km off Blackpool, inside the study area's box too
    ],
)
def test_a_point_at_sea_is_rejected(
    tmp_path: Path, sources: Sources, run_cli: RunCli, lat: str, lon: str
) -> None:
    path, line = _edited(tmp_path / "register.csv", {"lat": lat, "lon": lon})
    problems = validate_register(path, sources)
    assert [(p.row, p.field) for p in problems] == [(line, "lat")], problems
    assert str(problems[0]).startswith(f"{path}:{line}:lat: ")
    assert "at sea" in problems[0].message and f"{LAND_BUFFER_M / 1000:g} km" in str(problems[0])
    # the app's upload check, and the register the app would load
    assert [str(p) for p in Study.check_register(path, sources=sources)] == [str(problems[0])]
    with pytest.raises(RegisterError, match="at sea"):
        load_register(path, sources)
    code, _, err = run_cli(["data", "check", "--services", str(path)])
    assert code == 1 and f"{path}:{line}:lat:" in err and "Traceback" not in err


def test_points_over_the_border_and_on_the_coast_stay_valid(sources: Sources) -> None:
    # The SARCs over the border (Penrith, Liverpool, York at town precision; Manchester and
    # Leeds at their postcodes) and Blackpool's town centre on the coast.
    places = {
        "Penrith": (54.664, -2.752),
        "Liverpool": (53.408, -2.992),
        "York": (53.959, -1.082),
        "Saint Mary's, Manchester": (53.462436, -2.227711),
        "Hazlehurst, Leeds": (53.747323, -1.629229),
        "Blackpool": (53.818, -3.036),
        "Fleetwood pier": (53.9275, -3.0100),
    }
    lats = [lat for lat, _ in places.values()]
    lons = [lon for _, lon in places.values()]
    x, y = to_27700(lons, lats)
    assert near_land(x, y, sources).tolist() == [True] * len(places)
    x, y = to_27700([-3.6, -3.2, -2.95], [53.9, 53.85, 54.1])  # Irish Sea; Morecambe Bay
    assert near_land(x, y, sources).tolist() == [False, False, False]


def test_the_committed_register_has_no_point_at_sea(sources: Sources) -> None:
    assert not [p for p in validate_register(REGISTER, sources) if "sea" in p.message]


def _near_land_in(data_dir: Path, sources: Sources) -> list[bool]:
    """The land check with a fresh process's caches, its units built under ``data_dir``."""
    land._tree.cache_clear()
    try:
        x, y = to_27700([-2.7, -3.6], [53.76, 53.9])  # Preston; the Irish Sea
        return list(near_land(x, y, sources).tolist())
    finally:
        land._tree.cache_clear()


def test_the_units_are_kept_as_a_built_file_and_a_damaged_one_is_rebuilt(
    tmp_path: Path, sources: Sources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    built = tmp_path / land.UNITS_FILE
    assert _near_land_in(tmp_path, sources) == [True, False]
    units = np.load(built)
    assert units.shape[1] == 2 and len(units) > 400_000  # every unit from Leeds to the sea
    assert read_meta(built)["inputs"]["codepoint_sha256"] == sources.checksum("codepoint")

    # A later process reads the built file, not the zip.
    def no_zip(path: str) -> np.ndarray:
        raise AssertionError("read the Code-Point zip although the built units were fresh")

    with monkeypatch.context() as patch:
        patch.setattr(land, "_read_units", no_zip)
        assert _near_land_in(tmp_path, sources) == [True, False]

    # A damaged file (here: every unit moved out to sea) is detected, never trusted.
    np.save(built, units + 500_000)
    assert artifact_problem(built) is not None
    assert _near_land_in(tmp_path, sources) == [True, False]
    assert artifact_problem(built) is None and np.array_equal(np.load(built), units)


def test_an_unwritable_data_folder_still_gets_the_land_check(
    tmp_path: Path, sources: Sources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A data folder that cannot be made (a file is in the way; root ignores permissions).
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(DATA_DIR_ENV, str(blocker / "data"))
    assert _near_land_in(blocker / "data", sources) == [True, False]
    assert blocker.read_text(encoding="utf-8") == "not a folder"


# ---- (b) byte-order marks ----------------------------------------------------------------


BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    ("prefix", "words"),
    [(BOM * 2, "two UTF-8 byte-order marks"), (b"\xff\xfe", "UTF-16 byte-order mark")],
)
def test_a_doubled_or_utf16_bom_in_a_register_is_named(
    tmp_path: Path, prefix: bytes, words: str
) -> None:
    path = _write(tmp_path / "register.csv", _rows(), prefix)
    problems = validate_register(path, check_postcodes=False)
    assert len(problems) == 1 and words in problems[0].message, problems
    assert str(problems[0]).startswith(f"{path}:1:-: ")


def test_one_bom_is_still_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path / "register.csv", _rows(), BOM)
    assert validate_register(path, check_postcodes=False) == []


POINT_FILES = {
    # reader: (header line, a good row, the reader called on a path)
    "matrix points": (
        "id,lon,lat",
        "a,-2.7,53.76",
        lambda path: points.read_table(path),
    ),
    "optimise candidates": (
        "name,lat,lon",
        "a,53.76,-2.7",
        lambda path: candidates.read_points(path, lookup=lambda pcs: None),
    ),
    "demand": (
        "day,hour,demand",
        "Mo,0,1",
        lambda path: demand.read_demand(path),
    ),
}


@pytest.mark.parametrize("kind", list(POINT_FILES))
def test_a_doubled_bom_in_other_csvs_is_named(tmp_path: Path, kind: str) -> None:
    header, row, read = POINT_FILES[kind]
    path = tmp_path / "in.csv"
    path.write_bytes(BOM * 2 + f"{header}\n{row}\n".encode())
    with pytest.raises(ServiceMapError) as caught:
        read(path)
    assert str(caught.value).startswith(f"{path}:1:-: ")
    assert "two UTF-8 byte-order marks" in str(caught.value)


# ---- (c) a 10 MB field ---------------------------------------------------------------------


def test_a_huge_field_in_the_register_names_its_row_and_column(tmp_path: Path) -> None:
    path, line = _edited(tmp_path / "register.csv", {"notes": BIG})
    problems = validate_register(path, check_postcodes=False)
    assert [(p.row, p.field) for p in problems] == [(line, "notes")], problems
    assert "10,000,000 characters" in problems[0].message


@pytest.mark.parametrize("kind", list(POINT_FILES))
def test_a_huge_field_in_other_csvs_names_its_row_and_column(tmp_path: Path, kind: str) -> None:
    header, row, read = POINT_FILES[kind]
    column = header.split(",")[1]
    cells = row.split(",")
    cells[1] = '"' + BIG + '"'
    path = tmp_path / "in.csv"
    path.write_text(f"{header}\n{row}\n{','.join(cells)}\n", encoding="utf-8")
    with pytest.raises(ServiceMapError) as caught:
        read(path)
    assert str(caught.value).startswith(f"{path}:3:{column}: "), str(caught.value)[:300]
    assert "characters" in str(caught.value)


def test_a_huge_header_cell_names_the_column_by_number(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(f"id,{BIG}\na,b\n", encoding="utf-8")
    with pytest.raises(ServiceMapError, match=rf"^{path}:1:column 2: "):
        points.read_table(path)


# ---- (d) digits that are not ASCII ---------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("min_age", "١٦"),  # Arabic-Indic 16
        ("max_age", "１６"),  # fullwidth 16
        ("self_referral_min_age", "१६"),  # Devanagari 16
        ("lat", "٥٣.٨١٨"),  # Arabic-Indic 53.818
        ("lon", "-３.036"),  # fullwidth 3
    ],
)
def test_non_ascii_digits_are_rejected_in_the_register(
    tmp_path: Path, column: str, value: str
) -> None:
    path, line = _edited(tmp_path / "register.csv", {column: value})
    problems = validate_register(path, check_postcodes=False)
    assert (line, column) in [(p.row, p.field) for p in problems], problems
    message = next(p.message for p in problems if (p.row, p.field) == (line, column))
    assert "ASCII" in message or "whole number" in message


@pytest.mark.parametrize("value", ["١٦", "１６"])
def test_non_ascii_ages_are_rejected_in_a_scenario(value: str) -> None:
    with pytest.raises(ValueError, match="min_age"):
        parse_change(
            {
                "kind": "add",
                "name": "x",
                "category": "sarc",
                "opening_hours": "24/7",
                "postcode": "PR1 1AA",
                "min_age": value,
            }
        )


def test_non_ascii_digits_are_rejected_in_point_files() -> None:
    assert points.parse_number("٥٣.٨") is None and points.parse_number("53.8") == 53.8


@pytest.mark.parametrize(
    ("cells", "field"), [("Mo,١٦,1", "hour"), ("Mo,１６,1", "hour"), ("Mo,16,١", "demand")]
)
def test_non_ascii_digits_are_rejected_in_a_demand_file(
    tmp_path: Path, cells: str, field: str
) -> None:
    path = tmp_path / "demand.csv"
    path.write_text(f"day,hour,demand\n{cells}\n", encoding="utf-8")
    with pytest.raises(ServiceMapError, match=rf"{path}:2:{field}: "):
        demand.read_demand(path)


_CELL = st.text(alphabet=st.sampled_from('ab,"\n\r é'), max_size=8)


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    # "\r\n" as spreadsheets write it; with "\n" csv.writer leaves a lone "\r" unquoted
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.lists(_CELL, min_size=3, max_size=3), min_size=1, max_size=4),
    at=st.tuples(st.integers(0, 3), st.integers(0, 2)),
    filler=st.sampled_from(["x", '"', ",", "\n", 'a"b,\n']),
)
def test_the_huge_cell_is_found_whatever_the_quoting(
    rows: list[list[str]], at: tuple[int, int], filler: str
) -> None:
    """The row and column of a too-large cell are where csv.writer put it."""
    limit = 40
    row, column = at[0] % len(rows), at[1]
    rows[row][column] = filler * (limit + 1)
    header = ["first", "second", "third"]
    text = _csv_text([header, *rows])
    previous = csv.field_size_limit(limit)
    try:
        parsed, problem = csv_rows(text, "f.csv")
    finally:
        csv.field_size_limit(previous)
    # lines as csv counts them (a lone "\r" inside quotes ends a line too)
    line = 1 + len(io.StringIO(_csv_text([header, *rows[:row]]), newline="").readlines())
    assert problem is not None, rows
    assert (problem.row, problem.field) == (line, header[column]), (problem, rows)
    assert len(parsed) == 1 + row  # the header and the rows before the bad one
