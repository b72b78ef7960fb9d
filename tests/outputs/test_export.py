"""Exports: formula safety, privacy, attribution, provenance and atomicity of every file."""

from __future__ import annotations

import csv
import functools
import hashlib
import html
import json
import re
import shutil
import time
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import offline_browser
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
from hostile import EAST_LANCS, EVIL, EVIL_REFUGE, EVIL_REFUGE_NAME, EVIL_SARC
from shapely.geometry import Point

from mapping import ATTRIBUTION, __version__, formats
from mapping.analysis.summary import TOTAL_CODE
from mapping.analysis.without_car import LIMITATION
from mapping.errors import ServiceMapError
from mapping.inputs.register import load_register
from mapping.inputs.sources import Sources
from mapping.outputs import export as export_mod
from mapping.outputs.export import export_all
from mapping.outputs.tables import write_table
from mapping.safety import neutralise_formula, safe_frame
from mapping.study import Study

EXPECTED_FILES = {
    "sarc_access.csv",
    "week_profile_sarc.csv",
    "gap_register.csv",
    *(
        f"coverage_{c}_{level}.csv"
        for c in ("sarc", "idva", "isva", "da_outreach", "young_people", "multi_crime_hub")
        for level in ("district", "ward", "lsoa")
    ),
    "services.csv",
    "services_not_routed.csv",
    "need_lsoa.csv",
    "equity_by_decile.csv",
    "equity_by_quintile.csv",
    "equity_by_rural_urban.csv",
    "without_car_sarc.csv",
    "capacity.csv",
    "need_lsoa.parquet",
    "scenario_by_area.csv",
    "scenario_totals.csv",
    "scenario_gaps.csv",
    "coverage.xlsx",
    "coverage.gpkg",
    "coverage_district.parquet",
    "coverage_ward.parquet",
    "coverage_lsoa.parquet",
    "services.parquet",
    "confidential_provision_by_district.parquet",
    "report.html",
    "README.txt",
    "manifest.json",
}
GIS_LAYERS = {
    "council_areas": "coverage_district.parquet",
    "wards": "coverage_ward.parquet",
    "lsoas": "coverage_lsoa.parquet",
    "services": "services.parquet",
    "confidential_provision_by_district": "confidential_provision_by_district.parquet",
    "need_lsoa": "need_lsoa.parquet",
}

# A cell a spreadsheet could evaluate: formula characters first (unless it is a plain
# number such as -3.2, 1e-05 or -2.7%), or a leading tab / carriage return.
_NUMBER = re.compile(r"^\s*[-+]?(?=[\d.,]*\d)[\d,]*\.?\d*(?:[eE][-+]?\d+)?%?\s*$")


def _dangerous(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    if value.startswith(("\t", "\r")):
        return True
    return value.lstrip()[:1] in ("=", "+", "-", "@") and not _NUMBER.match(value)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: _sha(p) for p in sorted(folder.iterdir())}


def _hidden_leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.")]


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def evil_register(export_pack: dict[str, Any]) -> Path:
    """The register of the shared export: formula-like names on a SARC and a refuge."""
    return export_pack["register"]


@pytest.fixture(scope="module")
def cli_export(export_pack: dict[str, Any]) -> dict[str, Any]:
    """``service-map export`` run in-process on the evil register, with a scenario."""
    return export_pack


@pytest.fixture(scope="module")
def out(cli_export: dict[str, Any]) -> Path:
    assert cli_export["code"] == 0, cli_export["err"]
    return cli_export["out"]


@pytest.fixture(scope="module")
def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def register(evil_register: Path) -> gpd.GeoDataFrame:
    return load_register(evil_register)


@pytest.fixture(scope="module")
def workbook(out: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's cell values (read-only, so formulas would come back as '=…' text)."""
    book = openpyxl.load_workbook(out / "coverage.xlsx", read_only=True)
    try:
        return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}
    finally:
        book.close()


# ---- neutralise_formula, safe_frame, write_table -------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("  =1+1", "'  =1+1"),
        ("\t=1", "'\t=1"),
        ("\rplain", "'\rplain"),
        ("\n@x", "'\n@x"),
        ("plain text", "plain text"),
        ("a = b", "a = b"),
        ("", ""),
        ("'=already", "'=already"),
    ],
)
def test_neutralise_formula_text(value: str, expected: str) -> None:
    assert neutralise_formula(value) == expected


@pytest.mark.parametrize("value", [-5, 3.2, -0.5, np.float64(-7.5), np.int64(-3), None, True])
def test_neutralise_formula_leaves_non_text_alone(value: Any) -> None:
    result = neutralise_formula(value)
    assert result is value


def test_safe_frame_neutralises_cells_and_column_names_only() -> None:
    frame = pd.DataFrame(
        {
            "name": [EVIL, "Preston", None],
            "=cmd": ["+1", "ok", "-x"],
            "minutes": [-5.0, 3.2, np.nan],
            "count": pd.array([-1, 2, None], dtype="Int64"),
            "label": pd.array(["@a", "b", None], dtype="string"),
        }
    )
    safe = safe_frame(frame)
    assert list(safe.columns) == ["name", "'=cmd", "minutes", "count", "label"]
    assert safe["name"].tolist()[:2] == ["'" + EVIL, "Preston"] and pd.isna(safe["name"][2])
    assert safe["'=cmd"].tolist() == ["'+1", "ok", "'-x"]
    assert safe["label"].tolist()[:2] == ["'@a", "b"]
    assert safe["minutes"].dtype == float and safe["minutes"].tolist()[:2] == [-5.0, 3.2]
    assert safe["count"].tolist()[:2] == [-1, 2]
    assert frame["name"][0] == EVIL and "=cmd" in frame.columns  # input untouched


def test_write_table_rejects_other_extensions(tmp_path: Path) -> None:
    for name in ("table.txt", "table.json", "table"):
        with pytest.raises(ServiceMapError, match=r"\.csv or \.xlsx"):
            write_table(pd.DataFrame({"a": [1]}), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_write_table_csv_is_plain_with_a_readme_beside_it(tmp_path: Path) -> None:
    frame = pd.DataFrame({"name": [EVIL, "Preston"], "minutes": [-5, 3.2]})
    path = tmp_path / "table.csv"
    written = write_table(frame, path)
    assert written == [path, tmp_path / "table.README.txt"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "name,minutes"  # a plain header: any CSV reader works unchanged
    back = pd.read_csv(path)
    assert back["name"].tolist() == ["'" + EVIL, "Preston"]
    assert back["minutes"].tolist() == [-5.0, 3.2]  # still numbers
    readme = (tmp_path / "table.README.txt").read_text(encoding="utf-8")
    for line in ATTRIBUTION:
        assert line in readme
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.README.txt", "table.csv"]


def test_write_table_xlsx_has_text_cells_and_a_readme_sheet(tmp_path: Path) -> None:
    frame = pd.DataFrame({"name": [EVIL], "minutes": [-5], "areas": [("A", "B")]})
    path = tmp_path / "table.xlsx"
    assert write_table(frame, path) == [path]
    book = openpyxl.load_workbook(path)
    data, readme = book.worksheets
    assert data.title == "table" and readme.title == "README"
    cell = data["A2"]
    assert cell.data_type == "s" and cell.value == "'" + EVIL
    assert data["B2"].data_type == "n" and data["B2"].value == -5
    assert data["C2"].value == "A;B"
    text = "\n".join(str(c) for row in readme.iter_rows(values_only=True) for c in row if c)
    for line in ATTRIBUTION:
        assert line in text
    assert __version__ in text


def test_xlsx_cells_keep_their_types_and_text_stays_text(tmp_path: Path) -> None:
    # Text that a spreadsheet writer could turn into a number, a link or a date stays text;
    # numbers, missing values, booleans, dates and shares keep theirs.
    frame = pd.DataFrame(
        {
            "code": ["0123", "1e5", "http://evil.example", "2026-01-31", "x" * 40_000],
            "count": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "minutes": [1.5, float("nan"), float("inf"), -2.0, 0.0],
            "open": [True, False, True, False, True],
            "verified_on": pd.to_datetime(["2026-11-30", None, "2025-01-31", None, None]),
            "share_within_60": [0.25, 1.0, 0.0, 0.5, 0.125],
        }
    )
    path = tmp_path / "types.xlsx"
    write_table(frame, path)
    sheet = openpyxl.load_workbook(path)["types"]
    codes = [sheet.cell(row, 1) for row in range(2, 7)]
    assert [c.data_type for c in codes] == ["s"] * 5
    assert [c.value for c in codes[:4]] == ["0123", "1e5", "http://evil.example", "2026-01-31"]
    assert len(codes[4].value) == 32_767 and codes[4].value.endswith("…")  # Excel's limit
    assert [sheet.cell(row, 2).value for row in range(2, 7)] == [1, None, 3, 4, 5]
    assert [sheet.cell(row, 3).value for row in range(2, 7)] == [1.5, None, None, -2.0, 0.0]
    assert [sheet.cell(row, 4).value for row in range(2, 4)] == [True, False]
    assert sheet.cell(2, 5).value == datetime(2026, 11, 30) and sheet.cell(3, 5).value is None
    assert sheet.cell(2, 6).value == 0.25 and sheet.cell(2, 6).number_format == "0.0%"
    assert sheet.cell(1, 1).font.bold and sheet.freeze_panes == "A2"


# ---- the full export (CLI, evil register, scenario) ----------------------------------------


def test_cli_export_exits_0_and_prints_every_file(cli_export: dict[str, Any], out: Path) -> None:
    assert cli_export["code"] == 0
    printed = [Path(line) for line in cli_export["stdout"].splitlines() if line.strip()]
    assert {p.name for p in printed} == EXPECTED_FILES
    assert all(p.parent == out.resolve() and p.is_file() for p in printed)


def test_export_writes_exactly_the_listed_files(out: Path, manifest: dict[str, Any]) -> None:
    assert {p.name for p in out.iterdir()} == EXPECTED_FILES
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == EXPECTED_FILES - {"manifest.json"}
    for name, entry in listed.items():
        assert entry["sha256"] == _sha(out / name), name
        assert entry["bytes"] == (out / name).stat().st_size
        assert entry["description"]
    assert manifest["generator"] == "mapping.outputs.export"
    assert manifest["network_source"] == "offline"
    assert not _hidden_leftovers(out)


def test_formula_name_is_text_in_csv_and_xlsx(out: Path) -> None:
    table = pd.read_csv(out / "services.csv", dtype=str, keep_default_na=False)
    names = dict(zip(table["id"], table["name"], strict=True))
    assert names[EVIL_SARC] == "'" + EVIL
    assert names[EVIL_REFUGE] == "'" + EVIL_REFUGE_NAME
    # Read-only cells keep their types too (a formula reads as data_type "f"), and only
    # this sheet is parsed, not the whole workbook.
    book = openpyxl.load_workbook(out / "coverage.xlsx", read_only=True)
    try:
        rows = book["services"].iter_rows()
        header = [c.value for c in next(rows)]
        id_col, name_col = header.index("id"), header.index("name")
        cells = {row[id_col].value: row[name_col] for row in rows}
    finally:
        book.close()
    for service_id, name in ((EVIL_SARC, EVIL), (EVIL_REFUGE, EVIL_REFUGE_NAME)):
        assert cells[service_id].data_type == "s"
        assert cells[service_id].value == "'" + name


def test_no_formula_in_any_csv(out: Path) -> None:
    for path in sorted(out.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows, path
        bad = [cell for row in rows for cell in row if _dangerous(cell)]
        assert not bad, (path.name, bad[:5])


def test_no_formula_in_the_workbook(workbook: dict[str, list[tuple[Any, ...]]]) -> None:
    assert sum(len(rows) for rows in workbook.values()) > 10_000
    for name, rows in workbook.items():
        assert len(name) <= 31
        bad = [v for row in rows for v in row if _dangerous(v)]
        assert not bad, (name, bad[:5])


def test_no_formula_in_gis_layers(out: Path) -> None:
    for layer, filename in GIS_LAYERS.items():
        for frame in (
            gpd.read_file(out / "coverage.gpkg", layer=layer),
            gpd.read_parquet(out / filename),
        ):
            texts = frame.drop(columns="geometry").select_dtypes(exclude="number")
            bad = [v for column in texts for v in texts[column] if _dangerous(v)]
            assert not bad, (layer, bad[:5])
            assert all(not _dangerous(c) for c in frame.columns)


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("td", "th"):
            self._depth += 1
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.cells[-1] += data


def test_html_report_is_escaped_and_formula_safe(out: Path) -> None:
    page = (out / "report.html").read_text(encoding="utf-8")
    # Escaped everywhere: the raw name, quotes included, never reaches the markup.
    assert EVIL not in page and '"http://evil"' not in page
    parser = _Cells()
    parser.feed(page)
    assert len(parser.cells) > 100
    assert not [c for c in parser.cells if _dangerous(c)]
    # The SARC table names the nearest SARC: the formula-like name is shown as text.
    assert "'" + EVIL in parser.cells


def test_no_formula_in_manifest(manifest: dict[str, Any]) -> None:
    def strings(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [s for v in node.values() for s in strings(v)] + list(node)
        if isinstance(node, list):
            return [s for v in node for s in strings(v)]
        return [node] if isinstance(node, str) else []

    values = strings(manifest)
    assert len(values) > 50
    assert not [v for v in values if _dangerous(v)]


# ---- privacy ----------------------------------------------------------------------------


def test_services_layers_hold_exactly_the_public_located_services(
    out: Path, register: gpd.GeoDataFrame
) -> None:
    public = register[~register["confidential"] & register.geometry.notna()]
    expected = set(public["id"])
    secret = set(register.loc[register["confidential"], "id"])
    assert expected and secret and EVIL_REFUGE in secret
    for frame in (
        gpd.read_file(out / "coverage.gpkg", layer="services"),
        gpd.read_parquet(out / "services.parquet"),
    ):
        assert set(frame["id"]) == expected
        assert not set(frame["id"]) & secret
        assert set(frame.geom_type) == {"Point"}
        assert frame.crs.to_epsg() == 27700
        # The points are the register's own, not shifted or re-projected wrongly.
        mine = public.set_index("id").geometry
        for row in frame.itertuples():
            assert row.geometry.distance(mine[row.id]) < 0.01


def test_confidential_records_have_no_location_in_tables(out: Path, register: Any) -> None:
    secret = set(register.loc[register["confidential"], "id"])
    table = pd.read_csv(out / "services.csv", dtype=str, keep_default_na=False)
    assert "geometry" not in table.columns
    rows = table[table["id"].isin(secret)]
    assert set(rows["id"]) == secret
    for column in ("lat", "lon", "postcode", "address"):
        assert (rows[column] == "").all(), column


def test_services_table_says_how_firm_each_record_is(
    out: Path, register: Any, workbook: dict[str, list[tuple[Any, ...]]]
) -> None:
    table = pd.read_csv(out / "services.csv", dtype=str, keep_default_na=False)
    assert set(table["confidence"]) <= {"high", "medium", "low"}
    assert (table["confidence"] != "").all()
    by_id = table.set_index("id")["confidence"]
    assert by_id["sarc-preston-safe-centre"] == "low"  # the phone line's hours, assumed
    assert by_id["sarc-west-yorkshire-hazlehurst"] == "high"
    assert "confidence" in [c for c in workbook["services"][0] if c]
    notes = readme_text(workbook)
    assert "Its confidence column grades each record" in notes
    assert "the SARC figures are based on 6 records, 2 with assumed hours" in notes


def test_confidential_provision_is_polygons_with_counts(out: Path, register: Any) -> None:
    secret = register[register["confidential"]]
    expected = secret.groupby("district").size()
    for frame in (
        gpd.read_file(out / "coverage.gpkg", layer="confidential_provision_by_district"),
        gpd.read_parquet(out / "confidential_provision_by_district.parquet"),
    ):
        assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}
        assert len(frame) == 14
        counts = frame.set_index("lad_code")["confidential_services"]
        assert counts.sum() == len(secret) > 0
        for district, n in expected.items():
            assert counts[district] == n
        assert not {"id", "name", "lat", "lon"} & set(frame.columns)


def test_only_the_services_layers_hold_points(out: Path) -> None:
    for layer, _ in pyogrio.list_layers(out / "coverage.gpkg"):
        frame = gpd.read_file(out / "coverage.gpkg", layer=layer)
        assert frame.crs.to_epsg() == 27700
        if layer != "services":
            assert "Point" not in set(frame.geom_type), layer


def test_a_leaked_confidential_location_is_never_exported(study: Study, tmp_path: Path) -> None:
    """Even if a confidential record carried a point, no export file would show it."""
    register = study.register.copy()
    leaked = register["id"] == EVIL_REFUGE
    assert leaked.sum() == 1 and register.loc[leaked, "confidential"].all()
    x, y = 358_421.0, 417_613.0  # a point in Chorley
    register.loc[leaked, "lat"] = 53.654321
    register.loc[leaked, "lon"] = -2.632109
    register.loc[leaked, "postcode"] = "PR7 9ZZ"
    geometry = register.geometry.copy()
    geometry[leaked] = Point(x, y)
    register = register.set_geometry(geometry)
    leaky = Study(study.engine, study.origins, register, data_dir=study.data_dir)
    target = tmp_path / "leaky"
    export_all(leaky, target, categories=("sarc",), slots=("weekday daytime",))
    for path in target.iterdir():
        if path.suffix in (".csv", ".html", ".json", ".txt"):
            text = path.read_text(encoding="utf-8")
            for secret in ("53.654321", "-2.632109", "PR7 9ZZ", "358421", "417613"):
                assert secret not in text, (path.name, secret)
    book = openpyxl.load_workbook(target / "coverage.xlsx", read_only=True)
    values = {v for ws in book for row in ws.iter_rows(values_only=True) for v in row}
    book.close()
    assert not {53.654321, -2.632109, "PR7 9ZZ"} & values
    for layer, filename in GIS_LAYERS.items():
        for frame in (
            gpd.read_file(target / "coverage.gpkg", layer=layer),
            gpd.read_parquet(target / filename),
        ):
            points = frame[frame.geom_type == "Point"]
            assert not (points.distance(Point(x, y)) < 50).any(), layer
            if "id" in frame.columns:
                assert EVIL_REFUGE not in set(frame["id"])


def test_export_refuses_a_register_that_public_view_did_not_clean(
    study: Study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register = study.register.copy()
    leaked = register["id"] == EVIL_REFUGE
    geometry = register.geometry.copy()
    geometry[leaked] = Point(358_421.0, 417_613.0)
    leaky = Study(study.engine, study.origins, register.set_geometry(geometry))
    monkeypatch.setattr("mapping.inputs.register.public_view", lambda frame: frame.copy())
    target = tmp_path / "refused"
    with pytest.raises(ServiceMapError, match=EVIL_REFUGE):
        export_all(leaky, target, categories=("sarc",), slots=("weekday daytime",))
    assert not target.exists() and not _hidden_leftovers(target)


def test_a_what_if_study_exports_its_effective_register(study: Study, tmp_path: Path) -> None:
    from mapping.analysis.scenarios import apply_scenario, load_scenario

    what_if = apply_scenario(study, load_scenario(EAST_LANCS)).study
    added = set(what_if.changes.added_ids)
    assert added
    target = tmp_path / "what_if"
    export_all(what_if, target, categories=("sarc",), slots=("weekend night",))
    table = pd.read_csv(target / "services.csv", dtype=str, keep_default_na=False)
    assert added <= set(table["id"])
    # what-if sites carry no recorded confidence: the export gives them the rule's level
    levels = table.set_index("id")["confidence"]
    assert set(levels[sorted(added)]) <= {"high", "medium", "low"}
    layer = gpd.read_parquet(target / "services.parquet")
    assert added <= set(layer["id"])  # a located public site, not a confidential one
    secret = gpd.read_parquet(target / "confidential_provision_by_district.parquet")
    assert secret["confidential_services"].sum() == study.register["confidential"].sum()
    sheet = pd.read_excel(target / "coverage.xlsx", sheet_name="README", header=None)
    assert sheet.astype(str).apply(lambda c: c.str.contains("added: whatif-")).any().any()


# ---- provenance and attribution --------------------------------------------------------------


def readme_text(workbook: dict[str, list[tuple[Any, ...]]]) -> str:
    return "\n".join(" | ".join(str(v) for v in row if v is not None) for row in workbook["README"])


def test_readme_sheet_records_parameters_sources_and_attribution(
    workbook: dict[str, list[tuple[Any, ...]]],
    sources: Sources,
    evil_register: Path,
    manifest: dict[str, Any],
) -> None:
    assert next(iter(workbook)) == "README"
    text = readme_text(workbook)
    assert "network source | offline" in text
    assert "params.circuity" in text  # the network's parameters, not just its name
    for relpath, digest in sources.verify_all().items():
        assert f"{relpath} | {digest}" in text
    assert _sha(evil_register) in text  # the register the export was made from
    for line in ATTRIBUTION:
        assert line in text
    for expected in ("Ordnance Survey", "Royal Mail", "Office for National Statistics"):
        assert expected in text
    assert f"lancashire-service-map | {__version__}" in text
    assert f"generated at (UTC) | {manifest['generated_at']}" in text
    for fragment in ("weekend night | Sat 02:00 | free_flow", "young_people: age_0_15"):
        assert fragment in text
    assert "population-weighted origins on postcode units" in text
    assert "Hypothetical East Lancashire SARC" in text  # the scenario compared


def test_every_file_carries_the_attribution(
    out: Path, workbook: dict[str, list[tuple[Any, ...]]]
) -> None:
    readme = (out / "README.txt").read_text(encoding="utf-8")
    page = (out / "report.html").read_text(encoding="utf-8")
    outside_map = html.unescape(re.sub(r'srcdoc="[^"]*"', "", page))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    workbook_text = readme_text(workbook)
    gpkg = [pyogrio.read_info(out / "coverage.gpkg", layer=la) for la in GIS_LAYERS]
    parquet = [pq.read_schema(out / f).metadata for f in GIS_LAYERS.values()]
    for line in ATTRIBUTION:
        assert line in readme  # the folder's README covers its CSV files
        assert line in workbook_text
        assert line in outside_map  # the report's own footer, not only the map's
        assert line in manifest["attribution"]
        assert all(line in info["layer_metadata"]["attribution"] for info in gpkg)
        assert all(line in meta[b"service_map:attribution"].decode() for meta in parquet)
    for path in out.glob("*.csv"):
        assert path.name in readme


def test_gis_layers_carry_sarc_coverage_by_area(out: Path, study: Study) -> None:
    night = study.coverage("sarc", "weekend night", "district").set_index("area_code")
    day = study.coverage("sarc", "weekday daytime", "ward").set_index("area_code")
    areas = gpd.read_parquet(out / "coverage_district.parquet").set_index("lad_code")
    wards = gpd.read_file(out / "coverage.gpkg", layer="wards").set_index("ward_code")
    assert len(areas) == 14 and len(wards) == 253
    for code in areas.index:
        assert areas.at[code, "sarc_weekend_night_mean_minutes"] == pytest.approx(
            night.at[code, "mean_minutes"]
        )
    for code in wards.index:
        assert wards.at[code, "sarc_weekday_daytime_share_within_60"] == pytest.approx(
            day.at[code, "share_within_60"], nan_ok=True
        )
    assert areas.crs.to_epsg() == 27700


def test_html_report_holds_the_headline_tables_and_notes(out: Path, study: Study) -> None:
    page = (out / "report.html").read_text(encoding="utf-8")
    # The page's own text: the map document and the tags removed.
    text = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r'srcdoc="[^"]*"', "", page)))
    text = re.sub(r"\s+", " ", text)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "<title>Lancashire victim services: drive-time coverage</title>" in page
    assert manifest["generated_at"] in text and "Road network: offline" in text
    totals = study.sarc_access(["weekday daytime", "weekend night"])
    totals = totals[totals["area_code"] == TOTAL_CODE].set_index("slot")
    night = totals.loc["Sat 02:00", "share_nearest_outside_lancashire"]
    day = totals.loc["Tue 10:00", "share_nearest_outside_lancashire"]
    assert (
        f"At Sat 02:00 (weekend night) {100 * night:.1f}% of Lancashire's population have "
        f"their nearest open SARC outside the county, against {100 * day:.1f}% at Tue 10:00"
    ) in text
    over = totals.loc["Sat 02:00", "population_over_60"]
    low, high = (totals.loc["Sat 02:00", f"population_over_60_{e}"] for e in ("low", "high"))
    assert f"{over:,.0f} ({low:,.0f}–{high:,.0f}) people are more than 60 minutes' drive" in text
    for name in study.area_names("district").values():
        assert name in text
    gaps = pd.read_csv(out / "gap_register.csv", dtype=str, keep_default_na=False)
    assert len(gaps) > 0 and all(gap_id in text for gap_id in gaps["gap_id"])
    assert "Drive times:" in text and "Opening hours:" in text and "Eligibility:" in text
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    assert "L.map(" in srcdoc and "leaflet" in srcdoc.lower()


def test_exported_minutes_bands_are_the_classes_the_maps_shade(out: Path) -> None:
    # One classification (mapping.formats): the LSOA layer's and the coverage table's
    # minutes_band columns, and the fills of the report's map, all follow it.
    classes = formats.minute_classes()
    lsoas = gpd.read_parquet(out / "coverage_lsoa.parquet")
    bands = [c for c in lsoas.columns if c.endswith("_minutes_band")]
    assert len(bands) == 2  # the two headline slots
    fills: dict[str, int] = {}
    for band in bands:
        minutes = lsoas[band.replace("_minutes_band", "_mean_minutes")]
        assert lsoas[band].tolist() == classes.label(minutes).tolist()
        for colour in classes.colour(minutes):
            fills[colour] = fills.get(colour, 0) + 1
    table = pd.read_csv(out / "coverage_sarc_lsoa.csv")
    columns = list(table.columns)
    assert columns[columns.index("mean_minutes") + 1] == "minutes_band"
    assert table["minutes_band"].tolist() == classes.label(table["mean_minutes"]).tolist()
    page = (out / "report.html").read_text(encoding="utf-8")
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    drawn = re.findall(r'"colour": "(#[0-9a-f]{6})"', srcdoc)
    assert {c: drawn.count(c) for c in set(drawn)} == fills


# ---- atomicity -------------------------------------------------------------------------------


SMALL = {"categories": ("sarc",), "slots": ("weekday daytime",)}


@pytest.fixture(scope="module")
def previous_export(study: Study, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small export (SARCs, one slot), made once and copied by each test that needs one."""
    folder = tmp_path_factory.mktemp("previous") / "export"
    export_all(study, folder, **SMALL)
    return folder


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_an_interrupted_export_leaves_the_previous_one_intact(
    study: Study,
    previous_export: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
) -> None:
    target = tmp_path / "export"
    shutil.copytree(previous_export, target)  # a previous export, as export_all made it
    before = _snapshot(target)
    written: list[str] = []

    def fail_midway(folder: Path, *args: Any, **kwargs: Any) -> Any:
        written.extend(p.name for p in folder.iterdir())  # tables already written
        raise error

    monkeypatch.setattr(export_mod, "write_layers", fail_midway)
    with pytest.raises(type(error)):
        export_all(study, target, **SMALL)
    assert "coverage.xlsx" in written and "services.csv" in written
    assert _snapshot(target) == before
    assert not _hidden_leftovers(target)

    monkeypatch.undo()
    # What an export killed outright (SIGKILL) would leave: removed by the next one.
    stale = tmp_path / ".export.999999999.abcd1234.exporting"
    stale.mkdir()
    report = export_all(study, target, **SMALL)  # a later export replaces it whole
    assert _snapshot(target) != before
    assert {f.path for f in report.files} == {p.name for p in target.iterdir()}
    assert not _hidden_leftovers(target)


def test_export_refuses_a_folder_that_is_not_an_export(study: Study, tmp_path: Path) -> None:
    target = tmp_path / "documents"
    target.mkdir()
    (target / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ServiceMapError, match="not empty"):
        export_all(study, target, categories=("sarc",))
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    file_target = tmp_path / "file"
    file_target.write_text("x", encoding="utf-8")
    with pytest.raises(ServiceMapError, match="not a folder"):
        export_all(study, file_target)


def test_export_rejects_unknown_parameters(study: Study, tmp_path: Path) -> None:
    with pytest.raises(ServiceMapError, match="unknown service category"):
        export_all(study, tmp_path / "x", categories=("sarc", "nonsense"))
    with pytest.raises(ServiceMapError, match="unknown age band"):
        export_all(study, tmp_path / "x", age_bands={"sarc": "age_200"})
    with pytest.raises(ServiceMapError):
        export_all(study, tmp_path / "x", slots=("Funday 25:00",))
    assert not (tmp_path / "x").exists()


@pytest.mark.skipif(not offline_browser.CHROMIUM.exists(), reason=offline_browser.SKIP_REASON)
def test_html_report_draws_its_map_from_a_file_with_no_network(out: Path) -> None:
    """report.html opened as a file, every non-local request blocked: the map draws."""
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with offline_browser.offline_page({"width": 1300, "height": 1400}) as (page, blocked):
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((out / "report.html").as_uri())
        # As a reader would: Chromium defers drawing a cross-origin frame (the sandboxed
        # map) until it is on screen. Its map script may run before the frame has a
        # layout; the map must then still open on Lancashire (map_assets._ViewOnceSized).
        page.locator("iframe.map").scroll_into_view_if_needed()
        frame = page.wait_for_selector("iframe.map").content_frame()
        offline_browser.wait_for_canvas(frame)
        page.wait_for_timeout(1000)
        seen = offline_browser.drawn(frame)
        # The map asks for its tiles as it lays out; on a busy machine (tests on every
        # core) that can come after the drawing, so give it time before the check below.
        deadline = time.monotonic() + 60
        while not blocked and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        page.locator("iframe.map").screenshot(path=str(artifacts / "report_offline.png"))
    assert errors == []
    # The LSOA shading of the headline slot and the council areas, drawn on the canvas.
    assert seen["polygons"] > 900
    assert seen["pixels"] > 50_000
    assert seen["fallback"] == 0  # the "map could not be drawn" message was removed
    assert seen["note"].startswith("Basemap: offline")
    # Only the map tiles were asked of the network: every script and style is in the file.
    # (On a busy machine the tile requests may not have come yet; none may be anything else.)
    assert offline_browser.not_tiles(blocked) == []


def test_the_need_layer_equity_and_capacity_are_exported(out: Path, study: Study) -> None:
    layer = gpd.read_parquet(out / "need_lsoa.parquet")
    assert len(layer) == 945 and layer.crs.to_epsg() == 27700
    for column in ("imd_decile", "women_16_plus", "recorded_violence_sexual", "csp_code"):
        assert column in layer
    assert layer["women_16_plus"].sum() == 666_438
    assert set(layer.geom_type) <= {"Polygon", "MultiPolygon"}
    deciles = pd.read_csv(out / "equity_by_decile.csv")
    night = deciles[(deciles["slot"] == "Sat 02:00") & (deciles["weight"] == "residents")]
    assert list(night["imd_decile"]) == list(range(1, 11))
    assert night["population"].sum() == pytest.approx(1_531_079)
    assert set(deciles["weight"]) == {
        "residents",
        "women_16_plus",
        "recorded_violence_sexual",
        "no_car_households",
        "crime_deprived_residents",
    }
    assert layer["no_car_households"].sum() == 144_676
    rural = pd.read_csv(out / "equity_by_rural_urban.csv")
    assert set(rural["rural_urban"]) == {"Urban", "Rural"}
    by_weight = rural[rural["slot"] == "Sat 02:00"].groupby("weight")["population"].sum()
    assert by_weight["residents"] == pytest.approx(1_531_079)
    walk = pd.read_csv(out / "without_car_sarc.csv")
    assert set(walk["limitation"]) == {LIMITATION}
    totals = walk[walk["area_level"] == "total"]
    assert totals["no_car_households"].tolist() == pytest.approx([144_676] * len(totals))
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Without a car" in report and LIMITATION in report
    capacity = pd.read_csv(out / "capacity.csv")
    assert capacity["source"].notna().all()
    assert "Lancashire" in set(capacity["area_name"])
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert "proxy for need" in readme and "Indices of Deprivation 2025" in readme
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>Need and equity</h2>" in page and "IMD decile" in page


def test_coverage_tables_carry_low_and_high_after_the_central_columns(
    out: Path, study: Study
) -> None:
    # docs/ranges.md: the central columns stay where they were; each share within a
    # threshold and the weight beyond the largest gain _low and _high at the end.
    table = pd.read_csv(out / "coverage_sarc_district.csv")
    columns = list(table.columns)
    spread = [c for c in columns if c.endswith(("_low", "_high"))]
    assert spread and columns[-len(spread) :] == spread
    central = [c for c in columns if c not in spread]
    assert central.index("minutes_band") == central.index("mean_minutes") + 1
    assert "population_beyond_90_low" in spread and "share_within_60_high" in spread
    for column in [c for c in central if re.fullmatch(r"share_within_\d+", c)]:
        assert (table[f"{column}_low"] <= table[column] + 1e-9).all()
        assert (table[column] <= table[f"{column}_high"] + 1e-9).all()
    night = table[(table["area_code"] == TOTAL_CODE) & (table["slot"] == "Sat 02:00")].iloc[0]
    sarc = study.sarc_access(["Sat 02:00"]).set_index("area_code").loc[TOTAL_CODE]
    assert 1 - night["share_within_60_high"] == pytest.approx(
        sarc["population_over_60_low"] / sarc["population"]
    )


def _glance_rows(page: str) -> list[list[str]]:
    """The report's coverage-at-a-glance table, each row's cells as text."""
    part = page.split("Coverage at a glance", 1)[1].split("<h2>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", part, flags=re.S)
    return [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]


def test_report_glance_shows_each_share_with_its_range(out: Path) -> None:
    # docs/ranges.md: "1.9% (0.1–7.6%)" where the coverage table carries low and high.
    from mapping.analysis.ranges import format_range

    page = (out / "report.html").read_text(encoding="utf-8")
    table = pd.read_csv(out / "coverage_sarc_district.csv")
    totals = table[table["area_code"] == TOTAL_CODE]
    rows = [r for r in _glance_rows(page) if r and r[0] == "sarc"]
    assert len(rows) == len(totals) > 0
    within = [c for c in table.columns if re.fullmatch(r"share_within_\d+", c)]
    beyond = next(c for c in table.columns if c.startswith("population_beyond_"))
    pct = functools.partial(formats.percent, digits=1)
    for row, (_, total) in zip(rows, totals.iterrows(), strict=True):
        assert row[2] == total["slot"]
        shown = [
            format_range(*(total[f"{c}{e}"] for e in ("", "_low", "_high")), pct) for c in within
        ]
        assert row[7 : 7 + len(within)] == shown
        ends = [total[f"{beyond}{e}"] for e in ("", "_low", "_high")]
        assert row[7 + len(within)] == format_range(*ends, formats.people)
        assert ends[1] <= ends[0] <= ends[2]
    night = next(r for r in rows if r[2] == "Sat 02:00")
    assert any(" (" in cell and "–" in cell for cell in night[7:])
    assert "In brackets, low and high: drive times 10% shorter or longer" in page


def test_week_profile_carries_low_and_high_after_the_central_columns(out: Path) -> None:
    from mapping.analysis.week import WEEK_COLUMNS

    week = pd.read_csv(out / "week_profile_sarc.csv")
    spread = ["people_beyond_low", "people_beyond_high", "share_beyond_low", "share_beyond_high"]
    assert list(week.columns) == [*WEEK_COLUMNS, *spread]
    assert len(week) == 168
    for column in ("people_beyond", "share_beyond"):
        assert (week[f"{column}_low"] <= week[column] + 1e-9).all()
        assert (week[column] <= week[f"{column}_high"] + 1e-9).all()
