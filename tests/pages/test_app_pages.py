"""AppTest checks of the pages added for issues 12 and 13: Week and Optimise."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from mapping import formats
from mapping.analysis.range_tables import worst_hour_range
from mapping.analysis.ranges import format_range
from mapping.analysis.week import describe_worst_hour
from mapping.study import Study

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 240


def _open(page: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    app.switch_page(page).run()
    _ok(app)
    return app


def _ok(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def test_week_page_names_the_worst_hour(study: Study) -> None:
    app = _open("app/week.py")
    frame = study.week_profile("sarc", threshold=60)
    sentence = describe_worst_hour(frame)
    assert app.subheader[0].value == sentence[0].upper() + sentence[1:] + "."
    # The worst hour's share with its range (docs/ranges.md), as the profile gives it.
    central, low, high = worst_hour_range(frame)  # type: ignore[misc]
    spread = format_range(central, low, high, formats.percent)
    assert any(m.value.startswith(f"In that hour, {spread} are beyond 60") for m in app.markdown)
    assert len(app.get("vega_lite_chart")) == 2
    table = next(d.value for d in app.dataframe if "Day" in d.value.columns)
    assert len(table) == 168 and table.columns[0] == "Day"


def test_week_page_follows_area_category_and_threshold(study: Study) -> None:
    app = _open("app/week.py")
    code, name = next(iter(study.area_names("district").items()))
    app.selectbox(key="week_area").set_value(code).run()
    app.selectbox(key="week_category").set_value("idva").run()
    app.select_slider(key="week_threshold").set_value(30).run()
    _ok(app)
    frame = study.week_profile("idva", threshold=30, area=code)
    sentence = describe_worst_hour(frame)
    assert app.subheader[0].value == f"{sentence[0].upper()}{sentence[1:]} in {name}."


def _ranked(app: AppTest) -> object:
    return next(d.value for d in app.dataframe if "Council area" in d.value.columns)


def test_map_answers_first_follow_every_control(study: Study) -> None:
    app = _open("app/map.py")
    ranked = _ranked(app)
    coverage = study.coverage("sarc", "Sat 02:00", "district", thresholds=(60,))
    areas = coverage[coverage["area_code"] != "TOTAL"]
    assert list(ranked.columns[:2]) == ["Council area", "Residents beyond 60 min"]
    assert sorted(ranked["Council area"]) == sorted(areas["area_name"])
    expected = areas.set_index("area_name")["population_beyond_60"].round(0)
    got = ranked.set_index("Council area")["Residents beyond 60 min"]
    assert (got.sort_index() == expected.sort_index().astype("int64")).all()
    assert got.is_monotonic_decreasing
    # Age group and threshold change the headline figures and the ranked list.
    app.selectbox(key="map_age").set_value("age_16_24").run()
    app.select_slider(key="map_threshold").set_value(30).run()
    _ok(app)
    young = study.coverage("sarc", "Sat 02:00", "district", age_band="age_16_24", thresholds=(30,))
    total = young[young["area_code"] == "TOTAL"].iloc[0]
    assert app.subheader[0].value.startswith("At Saturday 02:00, ")
    assert "residents aged 16-24" in app.subheader[0].value
    beyond = next(m for m in app.metric if "beyond 30 min" in m.label)
    assert beyond.value == f"{total['population_beyond_30']:,.0f}"
    assert "Residents beyond 30 min" in _ranked(app).columns


def test_map_headline_for_weekday_has_no_zero_delta_and_siteless_services(
    built_data: Path,
) -> None:
    app = _open("app/map.py")
    app.selectbox(key="map_slot").set_value("weekday daytime").run()
    _ok(app)
    assert all(not m.proto.delta for m in app.metric)
    app.selectbox(key="map_category").set_value("helpline").run()
    _ok(app)
    headline = app.subheader[0].value
    assert "no site to drive to" in headline and "telephone or outreach" in headline
    assert "is open and within reach" not in headline


def test_optimise_hours_shows_the_plan_and_the_evening_alternative(study: Study) -> None:
    app = _open("app/optimise.py")
    plan = study.optimise_hours("sarc-preston-safe-centre", 8, threshold=60)
    _, evening = study.evening_hours(plan)
    # Whole 4-hour shifts by default, not one-hour stubs (issue 21, item 7).
    assert app.number_input(key="opt_block").value == 4
    assert plan.min_block == 4 and all(length >= 4 for _, length in plan.blocks)
    # What the units mean is on the page, not only in a tooltip.
    assert any("A resident-minute saved is" in c.value for c in app.caption)
    # The default objective is resident-minutes saved (evenings: minutes they save).
    headline = next(s.value for s in app.subheader if s.value.startswith("Open "))
    assert f"+{plan.gain:,.0f} resident-minutes saved" in headline
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Gain on today's hours"] == f"+{plan.gain:,.0f}"
    saved = plan.baseline_total - evening
    assert metrics["Evenings 16:00-24:00 instead (8 h)"] == f"{saved:+,.0f}"
    assert plan.gain >= saved  # the optimiser is never worse
    # The page says what the other objective (the 60-minute cut-off) would pick.
    other = study.optimise_hours("sarc-preston-safe-centre", 8, threshold=60, objective="coverage")
    picked = [m.value for m in app.markdown if m.value.startswith("Valued by residents within")]
    assert picked and other.added_rules in picked[0]
    assert len(app.get("vega_lite_chart")) >= 1
    app.button(key="opt_hours_open").click().run()
    _ok(app)
    changes = app.session_state["sc_changes"]
    assert changes == [
        {
            "kind": "hours",
            "service": "sarc-preston-safe-centre",
            "opening_hours": plan.opening_hours,
        }
    ]


def test_optimise_sites_solves_on_request(built_data: Path) -> None:
    app = _open("app/optimise.py")
    assert any("Press the button" in i.value for i in app.info)
    app.button(key="opt_site_go").click().run()
    _ok(app)
    headline = [s.value for s in app.subheader if s.value.startswith("New 24/7")]
    assert headline and "within 60 minutes" in headline[0]
    # At Saturday 02:00 one site already reaches everyone: said, then ranked by minutes.
    assert any(i.value.startswith("One site already reaches everyone") for i in app.info)
    labels = [m.label for m in app.metric]
    assert "24/7 at the largest towns instead" in labels
    app.button(key="opt_sites_open").click().run()
    _ok(app)
    (change,) = app.session_state["sc_changes"]
    assert change["kind"] == "add" and change["category"] == "sarc"


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_scenario_example_loads_while_a_file_sits_in_the_uploader(built_data: Path) -> None:
    app = _open("app/scenarios.py")
    content = (FIXTURES / "scenarios_valid.toml").read_bytes()
    app.file_uploader(key="sc_upload").set_value(("mine.toml", content, "application/toml"))
    app.run()
    uploaded = list(app.session_state["sc_changes"])
    example = ROOT / "data" / "scenarios" / "preston_sarc_24_7.toml"
    app.selectbox(key="sc_ex").set_value(example)
    app.button(key="sc_load_example").click().run()
    _ok(app)
    assert app.session_state["sc_changes"] != uploaded
    assert app.session_state["sc_name"] != "" and "Preston" in app.session_state["sc_name"]


def test_bad_upload_keeps_the_good_scenario(built_data: Path) -> None:
    app = _open("app/scenarios.py")
    app.selectbox(key="sc_ex").set_value(ROOT / "data" / "scenarios" / "preston_sarc_24_7.toml")
    app.button(key="sc_load_example").click().run()
    good = list(app.session_state["sc_changes"])
    broken = (FIXTURES / "scenarios_malformed.toml").read_bytes()
    app.file_uploader(key="sc_upload").set_value(("bad.toml", broken, "application/toml"))
    app.run()
    assert app.error and "bad.toml" in app.error[0].value
    assert not [s for s in app.success if "Loaded" in s.value]
    assert app.session_state["sc_changes"] == good


def test_changes_are_checked_before_they_join_the_list(built_data: Path) -> None:
    app = _open("app/scenarios.py")
    app.radio(key="sc_add_where").set_value("map").run()
    next(b for b in app.button if b.label == "Add this site").click().run()
    assert app.error and "Click the map" in app.error[0].value
    assert app.session_state["sc_changes"] == []
    app.radio(key="sc_add_where").set_value("postcode").run()
    app.text_input(key="sc_add_postcode").set_value("ZZ99 9ZZ")
    next(b for b in app.button if b.label == "Add this site").click().run()
    assert app.error and "postcode" in app.error[0].value
    assert app.session_state["sc_changes"] == []
    app.selectbox(key="sc_hours_service").set_value("sarc-preston-safe-centre")
    next(b for b in app.button if b.label == "Open it 24/7").click().run()
    _ok(app)
    assert app.session_state["sc_changes"] == [
        {"kind": "hours", "service": "sarc-preston-safe-centre", "opening_hours": "24/7"}
    ]


def test_about_page_shows_no_server_path(built_data: Path) -> None:
    app = _open("app/about.py")
    text = " ".join(c.value for c in app.caption) + " ".join(m.value for m in app.markdown)
    assert str(ROOT) not in text and "/work/" not in text
    assert "Raw files read from the folder 'data'" in text


def test_scenario_gaps_are_checked_on_request_and_match_the_study(
    built_data: Path, study: Study
) -> None:
    """The gap comparison waits for its button, then shows what Study.gap_changes finds."""
    app = _open("app/scenarios.py")
    example = ROOT / "data" / "scenarios" / "preston_sarc_24_7.toml"
    app.selectbox(key="sc_ex").set_value(example)
    app.button(key="sc_load_example").click().run()
    _ok(app)
    tables = len(app.dataframe)  # areas and wards, ranked; no gaps yet
    app.button(key="sc_gaps_check").click().run()
    _ok(app)
    assert len(app.dataframe) == tables + 1
    shown = app.dataframe[-1].value
    expected = study.gap_changes(example)
    assert len(shown) == len(expected) > 0
    assert set(shown.astype(str).stack()) & {"resolved", "Resolved"}
    # Asked once for this scenario: shown again on the next run without the button.
    app.run()
    assert len(app.dataframe) == tables + 1
