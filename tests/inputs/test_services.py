"""The services register: its content, validation, geocoding and confidentiality."""

from __future__ import annotations

import csv
import hashlib
import io
import math
import shutil
import tempfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from mapping.cli import app
from mapping.errors import Problem
from mapping.inputs.evidence import evidence_basis
from mapping.inputs.geocode import geocode_register
from mapping.inputs.postcodes import lookup_postcodes, normalise_postcode
from mapping.inputs.record import ADDENDUM_CITATION, REFERENCE_CITATION, rule_confidence
from mapping.inputs.register import (
    COLUMNS,
    OPTIONAL_COLUMNS,
    RegisterError,
    default_register_path,
    load_register,
    public_view,
    validate_register,
)
from mapping.inputs.sources import LANCASHIRE_LAD_CODES, Sources
from mapping.inputs.vocabulary import CATEGORIES, CONFIDENCE_LEVELS
from mapping.study_area import to_27700

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BROKEN = FIXTURES / "services_broken.csv"
REGISTER = default_register_path()
REQUIRED_CATEGORIES = {
    "sarc",
    "refuge",
    "idva",
    "isva",
    "young_people",
    "stalking",
    "restorative_justice",
    "police_victim_care",
    "multi_crime_hub",
    "helpline",
}
OUT_OF_COUNTY = {"Greater Manchester", "Cumbria", "Merseyside", "West Yorkshire", "North Yorkshire"}

#: (line, field) of each problem planted in the broken fixture, one per line.
BROKEN_EXPECTED = {
    (3, "category"),  # unknown category
    (4, "opening_hours"),  # Mo-Fr 25:00-26:00
    (5, "min_age"),  # negative
    (6, "max_age"),  # over 120
    (7, "max_age"),  # min above max
    (8, "min_age"),  # 12.5
    (9, "postcode"),  # not in Code-Point Open
    (10, "lat"),  # south of the register extent
    (11, "id"),  # duplicate of line 2
    (12, "lat"),  # confidential record with coordinates
    (13, "source"),  # missing
    (14, "verified_on"),  # 2026-13-01
    (15, "verified_on"),  # in the future
    (16, "location_precision"),  # 'exact'
    (17, "confidential"),  # 'yes'
    (18, "lon"),  # lat without lon
    (19, "district"),  # not a Lancashire council area
    (20, "lat"),  # 22 km from its postcode
    (21, "verified_on"),  # missing
    (22, "-"),  # too few fields
    # lines 23-24: one valid record whose note spans two lines
    (25, "crime_types"),  # 'burglary', numbered after the two-line record
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _raw_rows(path: Path = REGISTER) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def register(sources: Sources) -> gpd.GeoDataFrame:
    return load_register(REGISTER, sources)


# ---- the committed register --------------------------------------------------------------


def test_committed_register_is_valid(sources: Sources) -> None:
    problems = validate_register(REGISTER, sources)
    assert problems == [], "\n".join(map(str, problems))


def test_header_is_the_documented_schema() -> None:
    with open(REGISTER, encoding="utf-8", newline="") as handle:
        assert tuple(next(csv.reader(handle))) == COLUMNS


def test_register_covers_the_required_services(register: gpd.GeoDataFrame) -> None:
    assert len(register) >= 30
    assert set(register["category"]) >= REQUIRED_CATEGORIES
    assert set(register["category"]) <= set(CATEGORIES)
    sarcs = register[register["category"] == "sarc"]
    assert set(sarcs["district"]) >= OUT_OF_COUNTY
    assert "E07000123" in set(sarcs["district"])  # Preston
    assert register["id"].is_unique


def test_every_record_cites_its_source_and_the_reference() -> None:
    for row in _raw_rows():
        assert row["source"].strip(), row["id"]
        cited = REFERENCE_CITATION in row["source"] or ADDENDUM_CITATION in row["source"]
        assert cited, row["id"]
        assert row["hours_basis"].split(":")[0] in ("published", "assumed"), row["id"]


#: Records the December 2026 addendum changed (first set) or added (second set).
ADDENDUM_CHANGED = {
    "sarc-preston-safe-centre",
    "helpline-lancashire-victim-services",
    "young-people-nest-lancashire",
    "da-outreach-pendle-dvi-nelson",
    "young-people-the-lookout-nelson",
    "idva-wish-centre-blackburn",
    "isva-wish-centre-blackburn",
    "da-outreach-preston-dv-services",
    "da-outreach-liberty-centre-ormskirk",
    "idva-fylde-coast-womens-aid",
    "da-outreach-sahara-preston",
    "da-outreach-foxton-centre-preston",
    "counselling-birchall-trust-lancaster",
    "counselling-trust-house-lancashire",
}
ADDENDUM_ADDED = {
    "da-outreach-empowerment-blackpool",
    "counselling-chorley-womens-centre",
    "womens-centre-lancashire-women-blackburn",
    "womens-centre-lancashire-women-blackpool",
    "womens-centre-lancashire-women-accrington",
    "womens-centre-lancashire-women-burnley",
    "isva-health-lancashire",
    "hate-crime-disability-equality-north-west",
    "hate-crime-lancashire-council-of-mosques",
}


def test_records_from_the_addendum_cite_it_and_its_pages() -> None:
    rows = {row["id"]: row for row in _raw_rows()}
    assert set(rows) >= ADDENDUM_CHANGED | ADDENDUM_ADDED
    for service_id in ADDENDUM_CHANGED | ADDENDUM_ADDED:
        source = rows[service_id]["source"]
        assert ADDENDUM_CITATION in source, service_id
        # the page itself is named too, with its date or '(undated)'
        pages = source.replace(ADDENDUM_CITATION, "").replace(REFERENCE_CITATION, "")
        assert "(" in pages and ")" in pages, service_id
    # records the addendum did not touch still rest on the first compilation only
    untouched = set(rows) - ADDENDUM_CHANGED - ADDENDUM_ADDED
    assert all(ADDENDUM_CITATION not in rows[i]["source"] for i in untouched)
    assert all(REFERENCE_CITATION in rows[i]["source"] for i in untouched)


def test_addendum_facts_are_in_the_register() -> None:
    rows = {row["id"]: row for row in _raw_rows()}
    assert not any("star" in i.split("-") for i in rows)  # the STAR Centre closed in 2017
    assert not any("STAR Centre" in row["name"] for row in rows.values())
    assert rows["da-outreach-pendle-dvi-nelson"]["name"].startswith("Be Free")
    assert rows["da-outreach-sahara-preston"]["postcode"] == "PR1 4XT"
    assert rows["sarc-preston-safe-centre"]["hours_basis"].startswith("assumed:")
    assert "phone line" in rows["sarc-preston-safe-centre"]["hours_basis"]
    lvs_line = rows["helpline-lancashire-victim-services"]
    assert lvs_line["hours_basis"].startswith("assumed:") and "CONFLICT" in lvs_line["notes"]
    # street-level places without a postcode stay at town precision
    for service_id in ("idva-wish-centre-blackburn", "hate-crime-lancashire-council-of-mosques"):
        assert rows[service_id]["location_precision"] == "town"
        assert rows[service_id]["postcode"] == ""


def test_confidential_records_carry_no_location_anywhere(register: gpd.GeoDataFrame) -> None:
    raw = [row for row in _raw_rows() if row["confidential"] == "true"]
    assert len(raw) >= 7
    for row in raw:
        assert row["lat"] == row["lon"] == row["postcode"] == row["address"] == "", row["id"]
        assert row["location_precision"] == "district"
        assert row["district"] in LANCASHIRE_LAD_CODES
    assert {row["category"] for row in raw} == {"refuge"}
    assert all(row["confidential"] == "true" for row in _raw_rows() if row["category"] == "refuge")

    secret = register[register["confidential"]]
    assert len(secret) == len(raw)
    assert secret.geometry.isna().all()
    assert secret[["lat", "lon"]].isna().all().all()

    view = public_view(register)
    hidden = view[view["confidential"]]
    assert hidden.geometry.isna().all()
    assert hidden[["lat", "lon", "postcode", "address"]].isna().all().all()
    # Everything else keeps its point.
    shown = view[~view["confidential"] & view["location_precision"].isin(["postcode", "town"])]
    assert shown.geometry.notna().all()


def test_public_view_strips_a_point_that_slipped_through(register: gpd.GeoDataFrame) -> None:
    leaked = register.copy()
    first = leaked.index[leaked["confidential"]][0]
    leaked.loc[first, ["lat", "lon"]] = [53.7, -2.6]
    leaked.loc[first, "postcode"] = "PR2 9HT"
    geometry = leaked.geometry.copy()
    geometry[first] = gpd.points_from_xy([350000], [430000])[0]
    leaked = leaked.set_geometry(geometry)

    view = public_view(leaked)
    assert view.geometry[first] is None
    assert math.isnan(view.loc[first, "lat"]) and math.isnan(view.loc[first, "lon"])
    assert pd.isna(view.loc[first, "postcode"])
    assert leaked.geometry[first] is not None  # the input is untouched
    plain = public_view(pd.DataFrame(leaked.drop(columns="geometry")))
    assert math.isnan(plain.loc[first, "lat"])


def test_preston_sarc_is_at_its_code_point_postcode(
    register: gpd.GeoDataFrame, sources: Sources
) -> None:
    units = sources.read_codepoint(areas=["PR"])
    unit = units[units["postcode"] == "PR2 9HT"].iloc[0]
    sarc = register.set_index("id").loc["sarc-preston-safe-centre"]
    assert sarc["location_precision"] == "postcode"
    assert sarc.geometry.distance(gpd.points_from_xy([unit.easting], [unit.northing])[0]) < 100


def test_postcode_records_match_code_point(register: gpd.GeoDataFrame, sources: Sources) -> None:
    located = register[register["location_precision"] == "postcode"]
    assert {"PR2 9HT", "M13 9WL", "LS27 7LE", "PR1 1HQ", "L39 3AJ"} <= set(located["postcode"])
    units = lookup_postcodes(located["postcode"], sources)
    for _, rec in located.iterrows():
        unit = units.loc[rec["postcode"]]
        x, y = to_27700(rec["lon"], rec["lat"])
        assert math.hypot(x - unit["easting"], y - unit["northing"]) < 1, rec["id"]


def test_loaded_types(register: gpd.GeoDataFrame) -> None:
    assert register.crs.to_epsg() == 27700
    by_id = register.set_index("id")
    sarc = by_id.loc["sarc-preston-safe-centre"]
    assert sarc["crime_types"] == ("sexual_violence",)
    assert sarc["self_referral_min_age"] == 18
    assert sarc["provider_area"] == "Lancashire"
    assert by_id.loc["sarc-manchester-saint-marys", "provider_area"] == "Greater Manchester"
    assert by_id.loc["sarc-manchester-saint-marys", "areas_served"] == (
        "Greater Manchester",
        "Cheshire",
    )
    assert by_id.loc["stalking-paladin-lancashire", "provider_area"] == "Lancashire"
    assert by_id.loc["refuge-lancaster-safenet", "capacity_family_places"] == 20
    assert str(register["min_age"].dtype) == "Int64"
    assert register["confidential"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(register["verified_on"])
    nest = by_id.loc["young-people-nest-lancashire"]
    assert (nest["min_age"], nest["max_age"]) == (5, 18)  # nestlancashire.org (addendum)
    assert nest.geometry is None  # county-wide: no point


# ---- postcodes and geocoding -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pr29ht", "PR2 9HT"),
        (" PR2  9HT ", "PR2 9HT"),
        ("m139wl", "M13 9WL"),
        ("ls277le", "LS27 7LE"),
    ],
)
def test_normalise_postcode(text: str, expected: str) -> None:
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize("text", ["", "PR2", "12345", "PR2 9HTX", "QQ"])
def test_normalise_postcode_rejects_non_postcodes(text: str) -> None:
    with pytest.raises(ValueError, match="not a UK postcode"):
        normalise_postcode(text)


def test_lookup_reads_postcodes_outside_the_study_area(sources: Sources) -> None:
    found = lookup_postcodes(["ls277le", "PR2 9HT", "PR9 9ZZ", "nonsense"], sources)
    assert set(found.index) == {"LS27 7LE", "PR2 9HT"}
    assert found.loc["LS27 7LE", "lon"] == pytest.approx(-1.629, abs=0.01)
    assert found.loc["PR2 9HT", "district_code"] == "E07000123"


def test_geocode_reproduces_the_committed_coordinates(tmp_path: Path, sources: Sources) -> None:
    copy = tmp_path / "services.csv"
    shutil.copy(REGISTER, copy)
    report = geocode_register(copy, sources)
    assert report.changed == 0 and report.geocoded == 7
    assert copy.read_bytes() == REGISTER.read_bytes()

    rows = _raw_rows(copy)
    for row in rows:
        if row["location_precision"] == "postcode":
            row["lat"] = row["lon"] = ""
    with open(copy, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    report = geocode_register(copy, sources)
    assert report.changed == 7
    assert copy.read_bytes() == REGISTER.read_bytes()


def test_geocode_refuses_unknown_postcodes_and_writes_nothing(
    tmp_path: Path, sources: Sources
) -> None:
    copy = tmp_path / "broken.csv"
    shutil.copy(BROKEN, copy)
    before = _sha(copy)
    with pytest.raises(RegisterError, match="PR9 9ZZ"):
        geocode_register(copy, sources)
    assert _sha(copy) == before


def test_geocode_command(tmp_path: Path, sources: Sources) -> None:
    copy = tmp_path / "services.csv"
    shutil.copy(REGISTER, copy)
    result = CliRunner().invoke(
        app, ["services", "geocode", "--services", str(copy), "--sources", str(sources.root)]
    )
    assert result.exit_code == 0, result.output
    assert "located by postcode, 0 updated" in result.output
    assert copy.read_bytes() == REGISTER.read_bytes()


# ---- validation: the broken fixture ----------------------------------------------------------


def test_broken_fixture_reports_each_planted_problem(sources: Sources) -> None:
    problems = validate_register(BROKEN, sources)
    assert {(p.row, p.field) for p in problems} == BROKEN_EXPECTED
    assert len(problems) == len(BROKEN_EXPECTED)
    for problem in problems:
        assert str(problem) == f"{BROKEN}:{problem.row}:{problem.field}: {problem.message}"
        assert problem.message


def test_crlf_and_bom_do_not_change_line_numbers(tmp_path: Path, sources: Sources) -> None:
    text = BROKEN.read_text(encoding="utf-8").replace("\n", "\r\n")
    copy = tmp_path / "crlf.csv"
    copy.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    problems = validate_register(copy, sources)
    assert {(p.row, p.field) for p in problems} == BROKEN_EXPECTED


def test_load_register_raises_with_every_problem(sources: Sources) -> None:
    with pytest.raises(RegisterError) as caught:
        load_register(BROKEN, sources)
    assert len(caught.value.problems) == len(BROKEN_EXPECTED)
    assert f"{BROKEN}:3:category:" in str(caught.value)
    assert f"{BROKEN}:25:crime_types:" in str(caught.value)


def test_data_check_prints_each_problem_and_exits_1(sources: Sources) -> None:
    result = CliRunner().invoke(
        app, ["data", "check", "--services", str(BROKEN), "--sources", str(sources.root)]
    )
    assert result.exit_code == 1
    for problem in validate_register(BROKEN, sources):
        assert str(problem) in result.output
    assert "Traceback" not in result.output


def test_data_check_accepts_the_committed_register(sources: Sources) -> None:
    result = CliRunner().invoke(
        app, ["data", "check", "--services", str(REGISTER), "--sources", str(sources.root)]
    )
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output


def test_validation_never_modifies_the_file(sources: Sources) -> None:
    for path in (REGISTER, BROKEN):
        before = _sha(path)
        validate_register(path, sources)
        assert _sha(path) == before


def test_future_dates_are_relative_to_today(sources: Sources) -> None:
    problems = validate_register(REGISTER, sources, today=date(2026, 10, 1))
    assert problems and {p.field for p in problems} == {"verified_on"}


def test_missing_sources_are_a_problem_unless_optional(tmp_path: Path) -> None:
    empty = Sources(root=tmp_path, origin="test")
    problems = validate_register(REGISTER, empty)
    # neither the postcodes nor the points-on-land check can run (issue 8, defect 10)
    assert [(p.row, p.field) for p in problems] == [(0, "postcode"), (0, "lat")]
    assert all("Code-Point" in p.message for p in problems)
    assert validate_register(REGISTER, empty, check_postcodes=False) == []
    assert len(load_register(REGISTER, empty)) >= 30  # the app may lack the raw zip


# ---- validation: whole-file problems -----------------------------------------------------


def _header() -> str:
    return ",".join(COLUMNS) + "\n"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\xff\xfe\x80binary junk", "UTF-8"),
        (_header().encode() + "caf\xe9\n".encode("latin-1"), "line 2"),
        (_header().encode(), "no records"),
        (b"id,name\nx,y\n", "missing column(s)"),
        (b"foo;bar\n1;2\n", "missing column(s)"),
    ],
)
def test_whole_file_problems(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(content)
    problems = validate_register(path, check_postcodes=False)
    assert any(p.row == 0 and p.field == "-" and needle in p.message for p in problems), problems


def test_missing_file_and_folder_are_reported(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    assert [str(p) for p in validate_register(missing)] == [f"{missing}:0:-: file not found"]
    assert validate_register(tmp_path)[0].message == "not a file"
    with pytest.raises(RegisterError, match="file not found"):
        load_register(missing)


def test_missing_column_is_reported_once(tmp_path: Path, sources: Sources) -> None:
    rows = _raw_rows()
    columns = [c for c in COLUMNS if c != "opening_hours"]
    path = tmp_path / "register.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    problems = validate_register(path, sources)
    assert [(p.row, p.field) for p in problems] == [(0, "-")]
    assert "opening_hours" in problems[0].message


def test_extra_columns_are_allowed(tmp_path: Path, sources: Sources) -> None:
    rows = _raw_rows()
    path = tmp_path / "register.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*COLUMNS, "comment"])
        writer.writeheader()
        writer.writerows({**row, "comment": "x"} for row in rows)
    assert validate_register(path, sources) == []


# ---- confidence ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("precision", "basis", "expected"),
    [
        ("postcode", "published: CQC page", "high"),
        ("postcode", "assumed: office hours", "low"),
        ("town", "published: helpline page", "low"),
        ("town", "assumed: office hours", "low"),
        ("none", "published: national lines", "medium"),
        ("district", "published: 24/7 staffing", "medium"),
        ("street", "published: council page", "medium"),
        ("none", None, "low"),  # no basis at all is not published
    ],
)
def test_rule_confidence(precision: str, basis: str | None, expected: str) -> None:
    assert rule_confidence(precision, basis) == expected


def test_committed_confidence_follows_the_rule() -> None:
    for row in _raw_rows():
        assert row["confidence"] in CONFIDENCE_LEVELS, row["id"]
        assert row["confidence"] == rule_confidence(
            row["location_precision"], row["hours_basis"]
        ), row["id"]
    by_id = {row["id"]: row for row in _raw_rows()}
    # The SAFE Centre's hours are the phone line's (addendum): assumed, so low.
    assert by_id["sarc-preston-safe-centre"]["confidence"] == "low"
    assert by_id["sarc-west-yorkshire-hazlehurst"]["confidence"] == "high"
    assert by_id["helpline-victim-support-supportline"]["confidence"] == "medium"


def _register_with(tmp_path: Path, service_id: str, **values: str) -> tuple[Path, int]:
    """The committed register with some cells of one record changed; (path, its line)."""
    rows = _raw_rows()
    index = next(i for i, row in enumerate(rows) if row["id"] == service_id)
    rows[index].update(values)
    path = tmp_path / "register.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path, index + 2  # header is line 1; no record spans lines


@pytest.mark.parametrize(
    ("service_id", "values", "needle"),
    [
        ("idva-wish-centre-blackburn", {"confidence": "certain"}, "unknown confidence"),
        ("idva-wish-centre-blackburn", {"confidence": "HIGH"}, "unknown confidence"),
        ("idva-wish-centre-blackburn", {"confidence": "high"}, "above what the rule allows"),
        ("idva-wish-centre-blackburn", {"confidence": "medium"}, "above what the rule allows"),
        ("helpline-rape-crisis-24-7", {"confidence": "high"}, "above what the rule allows"),
        ("sarc-west-yorkshire-hazlehurst", {"confidence": "low"}, "say why in notes"),
    ],
)
def test_confidence_is_validated_row_by_row(
    tmp_path: Path, sources: Sources, service_id: str, values: dict[str, str], needle: str
) -> None:
    path, line = _register_with(tmp_path, service_id, **values)
    problems = validate_register(path, sources)
    assert [(p.row, p.field) for p in problems] == [(line, "confidence")]
    assert needle in problems[0].message


def test_confidence_below_the_rule_with_a_reason_and_empty_cells(
    tmp_path: Path, sources: Sources
) -> None:
    reason = "confidence lowered: the published 24/7 is the phone line's [inferred]."
    path, _ = _register_with(
        tmp_path, "sarc-west-yorkshire-hazlehurst", confidence="medium", notes=reason
    )
    assert validate_register(path, sources) == []
    assert (
        load_register(path, sources)
        .set_index("id")
        .at["sarc-west-yorkshire-hazlehurst", "confidence"]
        == "medium"
    )
    path, _ = _register_with(tmp_path, "sarc-west-yorkshire-hazlehurst", confidence="")
    assert validate_register(path, sources) == []
    loaded = load_register(path, sources).set_index("id")
    assert loaded.at["sarc-west-yorkshire-hazlehurst", "confidence"] == "high"  # derived


def test_a_register_without_the_confidence_column_is_valid(
    tmp_path: Path, sources: Sources
) -> None:
    columns = [c for c in COLUMNS if c != "confidence"]
    path = tmp_path / "register.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(_raw_rows())
    assert validate_register(path, sources) == []
    derived = load_register(path, sources)[["id", "confidence"]]
    committed = {row["id"]: row["confidence"] for row in _raw_rows()}
    assert dict(zip(derived["id"], derived["confidence"], strict=True)) == committed


def test_evidence_basis_hand_worked() -> None:
    frame = pd.DataFrame(
        {
            "category": ["sarc", "sarc", "sarc", "refuge", "helpline"],
            "location_precision": ["postcode", "town", "postcode", "district", "none"],
            "hours_basis": ["published: a", "published: b", "assumed: c", "assumed: d", None],
            "confidential": [False, False, False, True, False],
        }
    )
    every = evidence_basis(frame)
    # assumed: rows 3, 4 and 5 (no basis counts as assumed); town: row 2
    assert (every.records, every.assumed_hours, every.town_level) == (5, 3, 1)
    assert every.confidence == {"high": 1, "medium": 0, "low": 4}
    sarcs = evidence_basis(frame, ["sarc"], located_only=True)
    assert (sarcs.records, sarcs.assumed_hours, sarcs.town_level) == (3, 1, 1)
    assert sarcs.caption() == (
        "based on 3 records, 1 with assumed hours and 1 located only to a town (about 1 km)"
    )
    located = evidence_basis(frame, located_only=True)
    assert located.records == 3  # the refuge and the line have no public point
    assert (
        evidence_basis(frame, ["stalking"]).caption() == "based on 0 records, 0 with assumed hours"
    )
    assert (
        evidence_basis(frame.assign(confidence=["low", None, None, None, None])).confidence["high"]
        == 0
    )


def test_data_check_reports_assumed_hours_and_town_shares(sources: Sources) -> None:
    rows = _raw_rows()
    assumed = sum(not row["hours_basis"].startswith("published:") for row in rows)
    town = sum(row["location_precision"] == "town" for row in rows)
    assert (len(rows), assumed, town) == (51, 37, 25)  # 42, 29, 17 before the addendum
    result = CliRunner().invoke(
        app, ["data", "check", "--services", str(REGISTER), "--sources", str(sources.root)]
    )
    assert result.exit_code == 0, result.output
    assert f"{len(rows)} records; {assumed} ({assumed / len(rows):.0%}) with assumed hours" in (
        result.output
    )
    assert f"{town} ({town / len(rows):.0%}) located only to a town" in result.output
    assert "confidence 1 high, 6 medium, 44 low" in result.output


# ---- validation: random damage never raises --------------------------------------------------

_REAL = REGISTER.read_bytes()
_REAL_ROWS = list(csv.reader(io.StringIO(_REAL.decode("utf-8"), newline="")))
_BAD_DATES = ["2026-02-30", "yesterday", "01/11/2026", "2026-11", "9999-12-31", "20261101"]


def _write_rows(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


@st.composite
def damaged_registers(draw: st.DrawFn) -> tuple[str, bytes]:
    """The real register with one kind of damage; returns (kind, bytes)."""
    kind = draw(
        st.sampled_from(
            [
                "delete_column",
                "garbage_bytes",
                "shuffle_values",
                "bad_date",
                "non_utf8",
                "truncate",
                "random_cell",
                "drop_line",
            ]
        )
    )
    rows = [list(r) for r in _REAL_ROWS]
    record = draw(st.integers(1, len(rows) - 1))
    if kind == "delete_column":
        # A required column (optional ones are covered by the capacity tests below).
        required = [i for i, c in enumerate(COLUMNS) if c not in OPTIONAL_COLUMNS]
        column = draw(st.sampled_from(required))
        return kind, _write_rows([r[:column] + r[column + 1 :] for r in rows])
    if kind == "garbage_bytes":
        at = draw(st.integers(0, len(_REAL)))
        junk = draw(st.binary(min_size=1, max_size=64))
        return kind, _REAL[:at] + junk + _REAL[at:]
    if kind == "shuffle_values":
        rows[record] = draw(st.permutations(rows[record]))
        return kind, _write_rows(rows)
    if kind == "bad_date":
        rows[record][COLUMNS.index("verified_on")] = draw(st.sampled_from(_BAD_DATES))
        return kind, _write_rows(rows)
    if kind == "non_utf8":
        at = draw(st.integers(0, len(_REAL)))
        return kind, _REAL[:at] + draw(st.sampled_from([b"\xff", b"\x92", b"\xe9x", b"\xc3"])) + (
            b"(" + _REAL[at:]
        )
    if kind == "truncate":
        return kind, _REAL[: draw(st.integers(0, len(_REAL) - 1))]
    if kind == "random_cell":
        column = draw(st.integers(0, len(COLUMNS) - 1))
        rows[record][column] = draw(st.text(max_size=30))
        return kind, _write_rows(rows)
    lines = _REAL.split(b"\n")
    del lines[draw(st.integers(0, len(lines) - 1))]
    return kind, b"\n".join(lines)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged=damaged_registers())
def test_damaged_registers_give_problems_never_exceptions(
    damaged: tuple[str, bytes], sources: Sources
) -> None:
    kind, content = damaged
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "register.csv"
        path.write_bytes(content)
        _check_damaged(kind, content, path, sources)


def _check_damaged(kind: str, content: bytes, path: Path, sources: Sources) -> None:
    problems = validate_register(path, sources)
    assert isinstance(problems, list)
    assert all(isinstance(p, Problem) for p in problems)
    lines = content.count(b"\n") + 2
    for problem in problems:
        assert 0 <= problem.row <= lines
        assert problem.field in (*COLUMNS, "-")
        assert str(problem).startswith(f"{path}:{problem.row}:{problem.field}: ")
        # The last-resort guard would mean an internal error, not a data problem.
        assert "could not be checked" not in problem.message
    if kind in ("delete_column", "bad_date", "non_utf8"):
        assert problems
    if kind == "delete_column":
        assert any("missing column" in p.message for p in problems)
    try:
        frame = load_register(path, sources)
    except RegisterError as exc:
        assert exc.problems == problems
    else:
        assert not problems and isinstance(frame, gpd.GeoDataFrame)


def test_stale_mask_counts_calendar_months_and_missing_dates() -> None:
    from datetime import date

    from mapping.inputs.register import stale_mask

    frame = pd.DataFrame(
        {"verified_on": ["2025-11-22", "2025-11-21", "2024-02-29", "", "not a date"]}
    )
    stale = stale_mask(frame, as_of=date(2026, 11, 22), months=12)
    # Exactly twelve months old is still fresh; a day older is stale; no date is stale.
    assert stale.tolist() == [False, True, True, True, True]
    leap = stale_mask(pd.DataFrame({"verified_on": ["2024-02-29"]}), date(2025, 2, 28), 12)
    assert leap.tolist() == [False]


# ---- known capacity --------------------------------------------------------------------------


def _register_with_edits(
    tmp_path: Path, edits: dict[str, dict[str, str]], columns: tuple[str, ...]
) -> Path:
    rows = _raw_rows()
    for row in rows:
        row.update(edits.get(row["id"], {}))
    path = tmp_path / "register.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_capacity_fields_need_their_source_and_the_right_category(
    tmp_path: Path, sources: Sources
) -> None:
    edits = {
        "idva-harv-accrington": {"advocate_fte": "3.5"},  # no source
        "sarc-preston-safe-centre": {"advocate_fte": "2", "advocate_fte_source": "x.org"},
        "idva-wish-centre-blackburn": {"advocate_fte": "many"},
        "refuge-chorley": {"capacity_family_places_source": "somewhere"},  # no places
        "hub-lvs-preston": {"capacity_family_places": "4", "capacity_family_places_source": "y"},
    }
    path = _register_with_edits(tmp_path, edits, COLUMNS)
    lines = {row["id"]: n + 2 for n, row in enumerate(_raw_rows())}
    found = {(p.row, p.field) for p in validate_register(path, sources)}
    assert found == {
        (lines["idva-harv-accrington"], "advocate_fte_source"),
        (lines["sarc-preston-safe-centre"], "advocate_fte"),
        (lines["idva-wish-centre-blackburn"], "advocate_fte"),
        (lines["refuge-chorley"], "capacity_family_places_source"),
        (lines["hub-lvs-preston"], "capacity_family_places"),
    }


def test_capacity_source_columns_are_optional_but_a_figure_still_needs_one(
    tmp_path: Path, sources: Sources
) -> None:
    optional = ("capacity_family_places_source", "advocate_fte", "advocate_fte_source")
    columns = tuple(c for c in COLUMNS if c not in optional)
    path = _register_with_edits(tmp_path, {}, columns)
    problems = validate_register(path, sources)
    # Only SafeNet's 20 family places lose their source; no "missing column" problem.
    assert [p.field for p in problems] == ["capacity_family_places_source"]
    loaded = load_register(REGISTER, sources).set_index("id")
    assert loaded.loc["refuge-lancaster-safenet", "capacity_family_places_source"]
    assert loaded["advocate_fte"].isna().all()  # no source gives an FTE yet: unknown


def test_capacity_value_needs_a_unit_from_the_list_and_a_source(
    tmp_path: Path, sources: Sources
) -> None:
    edits = {
        "idva-harv-accrington": {"capacity_value": "3.5", "capacity_unit": "FTE advocates"},
        "idva-wish-centre-blackburn": {"capacity_value": "2", "capacity_source": "x.org"},
        "isva-lvs-lancashire": {
            "capacity_value": "4",
            "capacity_unit": "posts",
            "capacity_source": "y",
        },
        "refuge-chorley": {"capacity_unit": "family places"},  # no value
        "hub-lvs-preston": {
            "capacity_value": "6",
            "capacity_unit": "family places",
            "capacity_source": "z",
        },
        "refuge-burnley-safenet": {
            "capacity_value": "a dozen",
            "capacity_unit": "family places",
            "capacity_source": "z",
        },
        "refuge-lancaster-safenet": {
            "capacity_value": "20",
            "capacity_unit": "family places",
            "capacity_source": "z",
        },  # already in capacity_family_places
        "sarc-preston-safe-centre": {
            "capacity_value": "400",
            "capacity_unit": "annual cases",
            "capacity_source": "an annual report",
        },  # valid
    }
    path = _register_with_edits(tmp_path, edits, COLUMNS)
    lines = {row["id"]: n + 2 for n, row in enumerate(_raw_rows())}
    problems = validate_register(path, sources)
    found = {(p.row, p.field) for p in problems}
    assert found == {
        (lines["idva-harv-accrington"], "capacity_source"),
        (lines["idva-wish-centre-blackburn"], "capacity_unit"),
        (lines["isva-lvs-lancashire"], "capacity_unit"),
        (lines["refuge-chorley"], "capacity_unit"),
        (lines["hub-lvs-preston"], "capacity_unit"),
        (lines["refuge-burnley-safenet"], "capacity_value"),
        (lines["refuge-lancaster-safenet"], "capacity_value"),
    }
    unit = next(p for p in problems if p.row == lines["isva-lvs-lancashire"])
    assert "unknown capacity_unit 'posts'" in unit.message and "FTE advocates" in unit.message
    assert all(p.file == str(path) for p in problems)


def test_a_register_without_the_capacity_value_columns_is_valid(
    tmp_path: Path, sources: Sources
) -> None:
    columns = tuple(c for c in COLUMNS if not c.startswith("capacity_value"))
    columns = tuple(c for c in columns if c not in ("capacity_unit", "capacity_source"))
    path = _register_with_edits(tmp_path, {}, columns)
    assert validate_register(path, sources) == []
    loaded = load_register(path, sources).set_index("id")
    assert loaded["capacity_value"].isna().all()  # unknown, not 0
    # The committed register gives Saint Mary's published 950 examinations a year.
    committed = load_register(REGISTER, sources).set_index("id")
    saint_marys = committed.loc["sarc-manchester-saint-marys"]
    assert (saint_marys["capacity_value"], saint_marys["capacity_unit"]) == (950, "annual cases")
    assert "GMCA decision notice" in saint_marys["capacity_source"]


def test_stale_mask_and_the_gap_evidence_follow_one_rule() -> None:
    """Issue 9: verified 2025-01-31 is stale on 2026-02-28, and is 13 months old, not 12."""
    from datetime import date, timedelta

    from mapping.inputs.freshness import stale_mask, verification_age

    assert verification_age(date(2025, 1, 31), date(2026, 2, 28)) == (13, 0)
    assert verification_age(date(2025, 11, 21), date(2026, 11, 22)) == (12, 1)
    assert verification_age(date(2015, 6, 30), date(2026, 11, 22)) == (136, 23)
    assert verification_age(date(2024, 2, 29), date(2025, 2, 28)) == (12, 0)
    # Every day of two years, at month ends and leap days included: stale exactly when
    # the age is more than twelve months.
    as_of = date(2026, 2, 28)
    days = [as_of - timedelta(days=n) for n in range(300, 1030)]
    stale = stale_mask(pd.DataFrame({"verified_on": [d.isoformat() for d in days]}), as_of, 12)
    over = [verification_age(d, as_of) > (12, 0) for d in days]
    assert stale.tolist() == over
    assert stale[days.index(date(2025, 1, 31))]


def test_vocabularies_are_literal_types_the_record_model_checks() -> None:
    from typing import get_args

    from mapping.inputs import vocabulary
    from mapping.inputs.record import ServiceRecord

    assert get_args(vocabulary.Category) == vocabulary.CATEGORIES
    assert get_args(vocabulary.CrimeType) == vocabulary.CRIME_TYPES
    assert get_args(vocabulary.Sex) == vocabulary.SEXES
    assert get_args(vocabulary.LocationPrecision) == vocabulary.LOCATION_PRECISIONS
    assert tuple(vocabulary.AGE_BANDS) == get_args(vocabulary.AgeBand)
    fields = ServiceRecord.model_fields
    assert vocabulary.Category in get_args(fields["category"].annotation)
    assert vocabulary.LocationPrecision in get_args(fields["location_precision"].annotation)
    assert get_args(fields["sexes"].annotation)[0] == tuple[vocabulary.Sex, ...]
    assert get_args(fields["crime_types"].annotation)[0] == tuple[vocabulary.CrimeType, ...]
    record = ServiceRecord.model_validate({"category": " sarc ", "sexes": "female"})
    assert record.category == "sarc" and record.sexes == ("female",)
    with pytest.raises(ValidationError, match="unknown sexes 'x', 'y'; use: all, female, male"):
        ServiceRecord.model_validate({"sexes": "female; x; y"})
    with pytest.raises(ValidationError, match="unknown category 'sarcophagus'; use one of: sarc"):
        ServiceRecord.model_validate({"category": "sarcophagus"})
