"""The Streamlit app, page by page, with ``streamlit.testing.v1.AppTest``.

Every page runs without an exception and shows the attribution; the controls change the
figures; an invalid register upload is rejected row by row and changes nothing; a valid
one is confirmed for its session only; scenarios stay in their session; and no
confidential service reaches a map as a point.

The study is cached per process (``st.cache_resource``), so only the first test pays
for loading it.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.widgets import plain
from mapping.inputs.register import default_register_path, load_register
from mapping.study import Study

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAGES = [
    "app/map.py",
    "app/sarc.py",
    "app/week.py",
    "app/coverage.py",
    "app/need.py",
    "app/gaps.py",
    "app/scenarios.py",
    "app/optimise.py",
    "app/services.py",
    "app/about.py",
]
TIMEOUT = 240


def _open(page: str | None = None) -> AppTest:
    """A fresh session (its own session state) on ``page`` (default: the Map page)."""
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    if page is not None:
        app.switch_page(page).run()
    return app


def _ok(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def _table(app: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page with ``column``."""
    return next(d.value for d in app.dataframe if column in d.value.columns)


def _map_script(app: AppTest) -> str:
    """The Leaflet script the page sends to the map component."""
    components = [c for c in app.get("component_instance") if "st_folium" in c.proto.component_name]
    assert len(components) == 1
    return str(json.loads(components[0].proto.json_args)["script"])


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_and_shows_the_attribution(built_data: Path, page: str) -> None:
    app = _open(page)
    _ok(app)
    captions = " ".join(c.value for c in app.sidebar.caption)
    for publisher in ("Contains OS data", "Royal Mail", "National Statistics", "Licence v3.0"):
        assert publisher in captions
    # One title per page (issue 21): the page's header, no app-wide title above it.
    assert len(app.title) == 0 and len(app.header) == 1


def test_map_opens_on_the_sarc_headline(study: Study) -> None:
    app = _open()
    _ok(app)
    table = study.sarc_access(("weekday daytime", "weekend night"))
    totals = table[table["area_code"] == "TOTAL"].set_index("slot")
    night = round(100 * totals.at["Sat 02:00", "share_nearest_outside_lancashire"])
    day = round(100 * totals.at["Tue 10:00", "share_nearest_outside_lancashire"])
    headline = app.subheader[0].value
    assert headline == (
        f"At Saturday 02:00, {night}% of Lancashire's population would travel outside the "
        f"county to the nearest open SARC ({day}% on a weekday at 10:00)."
    )
    assert app.selectbox(key="map_category").value == "sarc"
    assert app.selectbox(key="map_slot").value == "weekend night"
    # The share beyond 60 minutes with its low and high values (docs/ranges.md).
    spread = study.beyond_range("sarc", "Sat 02:00")
    line = f"**Residents beyond 60 minutes: {spread.text()}**: {plain(spread.explain())}."
    assert line in [m.value for m in app.markdown]


def test_switching_the_slot_changes_the_headline_and_figures(built_data: Path) -> None:
    app = _open()
    night_headline = app.subheader[0].value
    night_metrics = [m.value for m in app.metric]
    night_script = _map_script(app)
    app.selectbox(key="map_slot").set_value("weekday daytime").run()
    _ok(app)
    day_headline = app.subheader[0].value
    assert day_headline.startswith("On a weekday at 10:00, ")
    assert day_headline != night_headline
    assert [m.value for m in app.metric] != night_metrics
    assert _map_script(app) != night_script  # the choropleth follows the slot


def test_any_day_and_hour_and_other_controls(study: Study) -> None:
    app = _open()
    app.selectbox(key="map_slot").set_value("another day and hour…").run()
    app.selectbox(key="map_slot_day").set_value("Sun").run()
    app.slider(key="map_slot_hour").set_value(20).run()
    _ok(app)
    assert app.subheader[0].value.startswith("At Sunday 20:00, ")
    app.selectbox(key="map_category").set_value("idva").run()
    app.selectbox(key="map_age").set_value("age_0_15").run()
    app.select_slider(key="map_threshold").set_value(30).run()
    _ok(app)
    # The sentence states the package's figure for exactly these controls.
    coverage = study.coverage("idva", "Sun 20:00", age_band="age_0_15", thresholds=(30,))
    total = coverage[coverage["area_code"] == "TOTAL"].iloc[0]
    assert total["population_unreached"] < total["eligible_population"]  # FCWA opens Sundays
    expected = (
        f"{100 * total['share_within_30']:.0f}% of eligible residents aged 0-15 live within 30"
    )
    assert expected in app.subheader[0].value


def test_no_confidential_service_reaches_the_map(built_data: Path) -> None:
    register = load_register()
    confidential = register[register["confidential"]]
    assert len(confidential) > 0
    assert confidential.geometry.isna().all()
    public = register[~register["confidential"] & register.geometry.notna()].to_crs(4326)
    public_points = {(round(p.y, 4), round(p.x, 4)) for p in public.geometry}
    for category in ("sarc", "refuge", "idva"):
        app = _open()
        app.selectbox(key="map_category").set_value(category).run()
        _ok(app)
        script = _map_script(app)
        for _, record in confidential.iterrows():
            assert record["id"] not in script
            assert record["name"] not in script
        markers = re.findall(r"L\.marker\(\s*\[([-\d.]+),\s*([-\d.]+)\]", script)
        for lat, lon in markers:
            assert (round(float(lat), 4), round(float(lon), 4)) in public_points
        # Refuges appear only as a count shaded on their council area.
        assert "Refuges and safe houses (location withheld)" in script


def test_sarc_page_follows_the_chosen_slots(built_data: Path) -> None:
    app = _open("app/sarc.py")
    _ok(app)
    first = app.dataframe[0].value
    day, night = "Weekday daytime (Tue 10:00)", "Weekend night (Sat 02:00)"
    assert set(first["Time slot"]) == {day, night}
    outside = first.set_index(["Area", "Time slot"])["Nearest open service outside Lancashire"]
    assert outside[("Lancashire", night)] > outside[("Lancashire", day)]
    app.multiselect(key="sarc_slots").set_value(["weekday daytime", "weekday night"]).run()
    _ok(app)
    second = app.dataframe[0].value
    assert set(second["Time slot"]) == {day, "Weekday night (Tue 02:00)"}
    assert not first.equals(second)
    assert any("Tue 02:00" in m.label for m in app.metric)


def test_a_bad_time_is_a_message_not_a_traceback(built_data: Path) -> None:
    app = _open("app/sarc.py")
    app.text_input(key="sarc_extra").set_value("Sat 25:00").run()
    assert not app.exception
    assert app.error and "Sat 25:00" in app.error[0].value


def test_coverage_tables_by_level_with_downloads(built_data: Path) -> None:
    app = _open("app/coverage.py")
    _ok(app)
    districts = app.dataframe[0].value
    assert len(districts) == 15  # 14 council areas and Lancashire
    assert "Share within 60 min" in districts.columns
    labels = {b.label for b in app.download_button}
    assert {"Download for reading (XLSX)", "Download CSV", "Download XLSX"} <= labels
    app.radio(key="cov_level").set_value("lsoa").run()
    _ok(app)
    assert len(app.dataframe[0].value) == 946
    app.radio(key="cov_level").set_value("ward").run()
    app.selectbox(key="cov_category").set_value("idva").run()
    _ok(app)
    wards = app.dataframe[0].value
    assert wards.columns[0] == "Ward" and wards["Ward"].iloc[-1] == "Lancashire"


def test_coverage_page_gives_the_headline_and_table_with_their_ranges(study: Study) -> None:
    # docs/ranges.md: the share beyond the threshold written "1.9% (0.1–7.6%)" with what
    # moves it most, as the map's headline; the table's chosen share and the people
    # beyond carry their low and high values, which bracket the central ones.
    app = _open("app/coverage.py")
    app.selectbox(key="cov_slot").set_value("weekend night").run()
    _ok(app)
    spread = study.beyond_range("sarc", "Sat 02:00", threshold=60)
    line = f"**Residents beyond 60 minutes: {spread.text()}**: {plain(spread.explain())}."
    assert line in [m.value for m in app.markdown]
    table = _table(app, "Share within 60 min (low)")
    assert "Share within 30 min (low)" not in table.columns  # the download has those
    for stem in ("Share within 60 min", "Residents beyond 90 min"):
        low, mid, high = (table[f"{stem}{end}"] for end in (" (low)", "", " (high)"))
        assert (low <= mid).all() and (mid <= high).all(), stem


def test_downloads_are_formula_safe(built_data: Path) -> None:
    from app import state as app_state

    table = pd.DataFrame({"name": ["=HYPERLINK(1)", "+1", "plain"], "n": [-1, 2, 3]})
    with zipfile.ZipFile(io.BytesIO(app_state.table_bytes(table, "check", "zip"))) as archive:
        assert sorted(archive.namelist()) == ["check.README.txt", "check.csv"]
        text = archive.read("check.csv").decode("utf-8")
        readme = archive.read("check.README.txt").decode("utf-8")
    for publisher in ("Contains OS data", "Royal Mail", "National Statistics"):
        assert publisher in readme
    assert "'=HYPERLINK(1)" in text
    assert "'+1" in text
    # Numbers are untouched: a negative number stays a number, not quoted text.
    assert pd.read_csv(io.StringIO(text))["n"].tolist() == [-1, 2, 3]
    assert app_state.table_bytes(table, "check", "xlsx")[:2] == b"PK"


def test_gaps_page_filters(built_data: Path) -> None:
    app = _open("app/gaps.py")
    _ok(app)
    everything = app.dataframe[0].value
    assert len(everything) > 0
    app.multiselect(key="gaps_severity").set_value(["high"]).run()
    _ok(app)
    high = app.dataframe[0].value
    assert 0 < len(high) <= len(everything)
    assert set(high["Severity"]) == {"high"}


def test_scenario_from_an_example_is_compared_and_saved(built_data: Path) -> None:
    app = _open("app/scenarios.py")
    _ok(app)
    assert "preston_sarc_24_7.toml" in app.selectbox(key="sc_ex").options
    app.selectbox(key="sc_ex").set_value(ROOT / "data" / "scenarios" / "preston_sarc_24_7.toml")
    app.button(key="sc_load_example").click().run()
    _ok(app)
    assert app.session_state["sc_changes"] == [
        {"kind": "hours", "service": "sarc-preston-safe-centre", "opening_hours": "24/7"}
    ]
    table = _table(app, "Average drive after (min)")
    night = table[table["Time slot"] == "Weekend night (Sat 02:00)"]
    assert (night["Average drive after (min)"] <= night["Average drive before (min)"]).all()
    labels = {b.label for b in app.download_button}
    assert {"Save scenario (TOML)", "Save scenario (JSON)"} <= labels
    # Another session has its own, empty scenario.
    other = _open("app/scenarios.py")
    assert other.session_state["sc_changes"] == []


def test_scenario_changes_are_validated_in_the_page(built_data: Path) -> None:
    app = _open("app/scenarios.py")
    app.selectbox(key="sc_hours_service").set_value("sarc-preston-safe-centre")
    app.text_input(key="sc_hours_value").set_value("Mo-Fr 25:00-26:00")
    submit = next(b for b in app.button if b.label == "Add this change")
    submit.click().run()
    assert not app.exception
    assert app.error and app.error[0].value.startswith("opening_hours")
    # A site added where the user clicked the map.
    app.session_state["sc_click"] = (53.789, -2.243)  # Burnley
    app.session_state["sc_changes"] = []
    app.run()
    app.radio(key="sc_add_where").set_value("map").run()
    submit = next(b for b in app.button if b.label == "Add this site")
    submit.click().run()
    _ok(app)
    change = app.session_state["sc_changes"][0]
    assert change["kind"] == "add" and change["lat"] == 53.789 and change["lon"] == -2.243
    table = _table(app, "Average drive after (min)")
    assert (table["Average drive after (min)"] < table["Average drive before (min)"]).any()


def test_scenario_upload(built_data: Path) -> None:
    app = _open("app/scenarios.py")
    content = (FIXTURES / "scenarios_valid.toml").read_bytes()
    app.file_uploader(key="sc_upload").set_value(("mine.toml", content, "application/toml"))
    app.run()
    _ok(app)
    assert app.session_state["sc_changes"]
    broken = (FIXTURES / "scenarios_malformed.toml").read_bytes()
    other = _open("app/scenarios.py")
    other.file_uploader(key="sc_upload").set_value(("bad.toml", broken, "application/toml"))
    other.run()
    assert not other.exception
    assert other.error and "bad.toml" in other.error[0].value
    assert other.session_state["sc_changes"] == []


def _published_sha() -> str:
    return hashlib.sha256(default_register_path().read_bytes()).hexdigest()


def test_invalid_upload_is_rejected_by_row_and_changes_nothing(built_data: Path) -> None:
    before = _published_sha()
    app = _open("app/services.py")
    _ok(app)
    published = _table(app, "Verified on")
    content = (FIXTURES / "services_broken.csv").read_bytes()
    app.file_uploader(key="register_upload").set_value(("services_broken.csv", content, "text/csv"))
    app.run()
    assert not app.exception
    assert app.error and "NOT been replaced" in app.error[0].value
    report = app.code[-1].value.splitlines()
    assert len(report) > 5
    assert all(re.match(r"^services_broken\.csv:\d+:[\w-]+: ", line) for line in report)
    assert any(line.startswith("services_broken.csv:3:category: ") for line in report)
    # Nothing to confirm, and the register in use is still the published one.
    assert not [b for b in app.button if b.label.startswith("Use ")]
    assert "session_register" not in app.session_state
    assert _table(app, "Verified on").equals(published)
    assert any("published register" in c.value for c in app.sidebar.caption)
    assert _published_sha() == before


def test_upload_with_a_point_at_sea_is_rejected(built_data: Path) -> None:
    """Issue 8, defect 10: the upload check tests points against land, not a lat/lon box."""
    import csv

    rows = list(csv.reader(io.StringIO(default_register_path().read_text(encoding="utf-8"))))
    header = rows[0]
    line = next(i for i, r in enumerate(rows) if r[header.index("location_precision")] == "town")
    rows[line][header.index("lat")], rows[line][header.index("lon")] = "53.9", "-3.6"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    app = _open("app/services.py")
    app.file_uploader(key="register_upload").set_value(
        ("sea.csv", out.getvalue().encode(), "text/csv")
    )
    app.run()
    assert not app.exception
    assert app.error and "NOT been replaced" in app.error[0].value
    report = app.code[-1].value.splitlines()
    assert [r for r in report if r.startswith(f"sea.csv:{line + 1}:lat: ") and "at sea" in r]
    assert "session_register" not in app.session_state


def test_valid_upload_needs_confirmation_and_stays_in_its_session(built_data: Path) -> None:
    before = _published_sha()
    original = default_register_path().read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    # The published register without its last record: valid, and recognisably different.
    dropped = next(csv.reader([lines[-1]]))[1]  # its name
    content = "".join(lines[:-1]).encode("utf-8")
    app = _open("app/services.py")
    app.file_uploader(key="register_upload").set_value(("smaller.csv", content, "text/csv"))
    app.run()
    _ok(app)
    assert "session_register" not in app.session_state  # not before confirming
    app.button(key="register_use").click().run()
    _ok(app)
    # The confirmation outlives the rerun that follows it (issue 19: it was written just
    # before st.rerun(), which drops what the browser has not yet been sent).
    assert any("This session now uses smaller.csv" in s.value for s in app.success)
    table = _table(app, "Verified on")
    assert dropped not in set(table["Name"])
    assert any("smaller.csv" in c.value for c in app.sidebar.caption)
    # A new session still sees the published register; the file is untouched.
    other = _open("app/services.py")
    assert dropped in set(_table(other, "Verified on")["Name"])
    assert _published_sha() == before


def test_services_page_shows_stale_records_and_no_confidential_location(
    built_data: Path,
) -> None:
    app = _open("app/services.py")
    _ok(app)
    table = _table(app, "Verified on")
    confidential = table[table["Confidential"]]
    assert len(confidential) > 0
    assert not {"lat", "lon", "Latitude", "Longitude"} & set(table.columns)
    assert confidential["Postcode"].isna().all() and confidential["Address"].isna().all()
    # e.g. the Preston HOPE drop-in, verified c. 2015
    assert table["Not verified in 12 months"].any()
    assert any("valid" in s.value for s in app.success)


def test_about_page_lists_checksums_and_attribution(built_data: Path) -> None:
    app = _open("app/about.py")
    _ok(app)
    sources = next(d.value for d in app.dataframe if "sha256" in d.value.columns)
    assert sources["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    text = " ".join(m.value for m in app.markdown)
    assert "Royal Mail" in text and "Open Government Licence" in text


@pytest.mark.slow
def test_scenario_pack_is_a_zip_of_the_export(
    built_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page's part: the button, the scenario saved beside its results, the zip, the
    # download. A whole pack is tested file by file in tests/outputs/test_export.py, so
    # here the pack holds SARC coverage at the two headline slots only.
    from mapping.outputs import export

    small = functools.partial(export.export_all, categories=("sarc",), slots=export.HEADLINE_SLOTS)
    monkeypatch.setattr(export, "export_all", small)
    app = _open("app/scenarios.py")
    app.selectbox(key="sc_ex").set_value(ROOT / "data" / "scenarios" / "preston_sarc_24_7.toml")
    app.button(key="sc_load_example").click().run()
    app.button(key="sc_pack_build").click().run()
    _ok(app)
    assert "Download the scenario pack (zip)" in {b.label for b in app.download_button}
    with zipfile.ZipFile(io.BytesIO(app.session_state["sc_pack"][1])) as archive:
        names = {Path(name).name for name in archive.namelist()}
    assert {"report.html", "scenario_by_area.csv", "manifest.json", "scenario.toml"} <= names


def test_a_missing_sources_folder_is_a_message(
    built_data: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SERVICE_MAP_SOURCES", str(tmp_path / "nowhere"))
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    assert not app.exception
    assert app.error and "nowhere" in app.error[0].value
    # The attribution is still on the page.
    assert any("Royal Mail" in c.value for c in app.sidebar.caption)


def test_services_page_shows_how_firm_the_register_is(built_data: Path) -> None:
    app = _open("app/services.py")
    _ok(app)
    rows = load_register()
    assumed = int((~rows["hours_basis"].str.startswith("published:")).sum())
    town = int((rows["location_precision"] == "town").sum())
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["With assumed hours"] == f"{assumed / len(rows):.0%}" == "73%"  # 37 of 51
    assert metrics["Located only to a town"] == f"{town / len(rows):.0%}" == "49%"  # 25 of 51
    assert metrics["Confidence high / medium / low"] == "1 / 6 / 44"
    table = _table(app, "Confidence")
    assert set(table["Confidence"]) == {"high", "medium", "low"}


def test_coverage_captions_say_what_the_figures_rest_on(built_data: Path) -> None:
    # The SARCs: SAFE Centre and Saint Mary's have assumed hours; Bridgeway, SAFE Place
    # Merseyside and Acer House are town-level points; Hazlehurst is firm (6 in all).
    sarc = "Based on 6 records, 2 with assumed hours and 3 located only to a town"
    for page in ("app/sarc.py", "app/map.py"):
        app = _open(page)
        _ok(app)
        assert any(sarc in c.value for c in app.caption), page
    app = _open("app/coverage.py")
    app.selectbox(key="cov_category").set_value("hate_crime").run()
    _ok(app)
    # Disability Equality North West and the Council of Mosques: town points, published hours
    hate = "Based on 2 records, 0 with assumed hours and 2 located only to a town"
    assert any(hate in c.value for c in app.caption)
