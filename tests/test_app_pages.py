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
