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


def _link(app: AppTest, prefix: str) -> dict[str, list[str]]:
    """The address's parameters of one page, as a copied link holds them."""
    return {
        k: list(v) if isinstance(v, list) else [v]
        for k, v in app.query_params.items()
        if k.startswith(prefix)
    }


def test_a_sarc_link_reproduces_the_view_in_a_new_session(built_data: Path) -> None:
    first = _session("app/sarc.py")
    first.multiselect(key="sarc_slots").set_value(["weekday daytime", "weekend day"]).run()
    first.text_input(key="sarc_extra").set_value("Sun 20:00").run()
    first.selectbox(key="sarc_weight").set_value("women_16_plus").run()
    _ok(first)
    link = _link(first, "sarc_")
    assert link["sarc_slots"] == ["weekday daytime", "weekend day"]
    assert link["sarc_extra"] == ["Sun 20:00"] and link["sarc_weight"] == ["women_16_plus"]
    headlines = [s.value for s in first.subheader]
    metrics = [(m.label, m.value) for m in first.metric]
    assert len(metrics) == 3  # the two named slots and Sunday 20:00
    second = _session("app/sarc.py", **link)
    assert second.multiselect(key="sarc_slots").value == ["weekday daytime", "weekend day"]
    assert second.text_input(key="sarc_extra").value == "Sun 20:00"
    assert second.selectbox(key="sarc_weight").value == "women_16_plus"
    assert [s.value for s in second.subheader] == headlines
    assert [(m.label, m.value) for m in second.metric] == metrics


def test_a_scenarios_link_reproduces_the_comparison_controls(built_data: Path) -> None:
    first = _session("app/scenarios.py")
    first.selectbox(key="sc_category").set_value("idva").run()
    first.multiselect(key="sc_slots").set_value(["weekday night", "weekend day"]).run()
    first.select_slider(key="sc_threshold").set_value(45).run()
    first.radio(key="sc_map_slot").set_value("Sat 14:00").run()
    _ok(first)
    link = _link(first, "sc_")
    assert link == {
        "sc_category": ["idva"],
        "sc_slots": ["weekday night", "weekend day"],
        "sc_threshold": ["45"],
        "sc_map_slot": ["Sat 14:00"],
    }
    second = _session("app/scenarios.py", **link)
    assert second.selectbox(key="sc_category").value == "idva"
    assert second.multiselect(key="sc_slots").value == ["weekday night", "weekend day"]
    assert second.select_slider(key="sc_threshold").value == 45
    assert second.radio(key="sc_map_slot").value == "Sat 14:00"
    # A map slot the link does not compare is ignored: the first compared slot is shown.
    third = _session("app/scenarios.py", sc_slots=["weekday night"], sc_map_slot="Sat 14:00")
    assert third.radio(key="sc_map_slot").value == "Tue 02:00"


def test_an_optimise_link_reproduces_the_plan_and_survives_a_trip(built_data: Path) -> None:
    first = _session("app/optimise.py")
    first.number_input(key="opt_extra").set_value(6).run()
    first.number_input(key="opt_block").set_value(3).run()
    first.radio(key="opt_objective").set_value("coverage").run()
    first.selectbox(key="opt_site_category").set_value("isva").run()
    first.select_slider(key="opt_appraise_threshold").set_value(45).run()
    _ok(first)
    link = _link(first, "opt_")
    assert link["opt_extra"] == ["6"] and link["opt_block"] == ["3"]
    assert link["opt_objective"] == ["coverage"] and link["opt_site_category"] == ["isva"]
    assert link["opt_service"] == ["sarc-preston-safe-centre"]
    headline = next(s.value for s in first.subheader if s.value.startswith("Open "))
    second = _session("app/optimise.py", **link)
    assert second.number_input(key="opt_extra").value == 6
    assert second.number_input(key="opt_block").value == 3
    assert second.radio(key="opt_objective").value == "coverage"
    assert second.selectbox(key="opt_site_category").value == "isva"
    assert second.select_slider(key="opt_appraise_threshold").value == 45
    assert next(s.value for s in second.subheader if s.value.startswith("Open ")) == headline
    # To another page and back: the settings stay for the session.
    second.switch_page("app/sarc.py").run()
    second.switch_page("app/optimise.py").run()
    _ok(second)
    assert second.number_input(key="opt_extra").value == 6
    assert second.radio(key="opt_objective").value == "coverage"
    # A service id the register does not hold is ignored: the default service.
    bad = _session("app/optimise.py", opt_service="no-such-service", opt_block="99")
    assert bad.selectbox(key="opt_service").value == "sarc-preston-safe-centre"
    assert bad.number_input(key="opt_block").value == 4
