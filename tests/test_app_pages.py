"""AppTest checks of the pages added for issues 12 and 13: Week and Optimise."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from mapping.analysis.week import describe_worst_hour
from mapping.study import Study

ROOT = Path(__file__).resolve().parents[1]
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
    sentence = describe_worst_hour(study.week_profile("sarc", threshold=60))
    assert app.subheader[0].value == sentence[0].upper() + sentence[1:] + "."
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
