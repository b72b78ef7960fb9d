"""Settings that stay and travel (issue 21): each page's controls in the address.

A link with the controls in its address opens the same view in a new session; moving
to another page and back keeps the page's settings; a bad value in the address is
ignored, not an error.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 240


def _ok(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def _session(page: str, **params: str | list[str]) -> AppTest:
    """A new session opened on ``page`` at an address holding ``params``."""
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.query_params.update(params)
    app.run()
    app.switch_page(page).run()
    _ok(app)
    return app


def test_a_map_link_reproduces_the_view_in_a_new_session(built_data: Path) -> None:
    first = _session("app/map.py")
    first.selectbox(key="map_category").set_value("idva").run()
    first.selectbox(key="map_slot").set_value("weekday daytime").run()
    first.select_slider(key="map_threshold").set_value(30).run()
    _ok(first)
    link = {k: v for k, v in first.query_params.items() if k.startswith("map_")}
    assert link["map_category"] in ("idva", ["idva"])
    assert link["map_threshold"] in ("30", ["30"])
    headline = first.subheader[0].value
    second = _session("app/map.py", **link)
    assert second.selectbox(key="map_category").value == "idva"
    assert second.selectbox(key="map_slot").value == "weekday daytime"
    assert second.select_slider(key="map_threshold").value == 30
    assert second.subheader[0].value == headline


def test_settings_survive_a_trip_to_another_page(built_data: Path) -> None:
    app = _session("app/map.py")
    app.selectbox(key="map_category").set_value("isva").run()
    app.select_slider(key="map_threshold").set_value(45).run()
    app.switch_page("app/week.py").run()
    app.selectbox(key="week_category").set_value("idva").run()
    _ok(app)
    app.switch_page("app/map.py").run()
    _ok(app)
    assert app.selectbox(key="map_category").value == "isva"
    assert app.select_slider(key="map_threshold").value == 45
    app.switch_page("app/week.py").run()
    assert app.selectbox(key="week_category").value == "idva"


def test_gaps_filters_and_week_area_travel_and_bad_values_are_ignored(built_data: Path) -> None:
    app = _session("app/gaps.py", gaps_severity=["high"], gaps_rule=["no such rule"])
    assert app.multiselect(key="gaps_severity").value == ["high"]
    assert app.multiselect(key="gaps_rule").value == []  # unknown: ignored
    app = _session("app/week.py", week_category="bakery", week_threshold="30")
    assert app.selectbox(key="week_category").value == "sarc"  # unknown: the default
    assert app.select_slider(key="week_threshold").value == 30


def test_opening_a_plan_asks_before_replacing_a_scenario(built_data: Path) -> None:
    app = _session("app/optimise.py")
    mine = [{"kind": "close", "service": "sarc-preston-safe-centre"}]
    app.session_state["sc_changes"] = mine
    app.session_state["sc_name"] = "Mine"
    app.button(key="opt_hours_open").click().run()
    _ok(app)
    assert app.session_state["sc_changes"] == mine  # nothing replaced yet
    assert any("replaces it" in w.value for w in app.warning)
    app.button(key="opt_replace_no").click().run()
    _ok(app)
    assert app.session_state["sc_changes"] == mine
    app.button(key="opt_hours_open").click().run()
    app.button(key="opt_replace_yes").click().run()
    _ok(app)
    (change,) = app.session_state["sc_changes"]
    assert change["kind"] == "hours"
