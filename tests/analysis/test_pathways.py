"""Referral pathways on a small hand-worked fixture (mapping.analysis.pathways)."""

from __future__ import annotations

import pandas as pd
import pytest

from mapping.analysis.pathways import find_pathways, pathway_graph, pathways_frame, single_points
from mapping.inputs.hours import parse_when
from mapping.inputs.needs import Need
from mapping.inputs.routes import Route

RAPE = Need(
    "adult_recent_rape", "adult, recent rape", "sexual_violence", ("sarc", "isva"), None, 30
)
REFUGE = Need("refuge_space", "refuge space", "domestic_abuse", ("refuge",), None, 30)
HIGH_RISK = Need("hr", "high-risk domestic abuse", "domestic_abuse", ("idva",), "high", 30)
SAT_2AM = parse_when("Sat 02:00")
TUE_10AM = parse_when("Tue 10:00")


def _service(sid: str, category: str, hours: str, crimes: tuple[str, ...], **ages: int) -> dict:
    return {
        "id": sid,
        "name": sid.upper(),
        "category": category,
        "opening_hours": hours,
        "crime_types": crimes,
        "min_age": ages.get("min_age"),
        "max_age": ages.get("max_age"),
    }


def _route(sid: str, route: str, **kw: object) -> Route:
    fields: dict = {
        "opening_hours": None,
        "min_age": None,
        "max_age": None,
        "crime_types": (),
        "risk_level": None,
        "via_service_id": None,
        "source": "test",
        "inferred": False,
        "confidence": "high",
    }
    fields.update(kw)
    return Route(service_id=sid, route=route, **fields)


REGISTER = pd.DataFrame(
    [
        _service("a", "sarc", "Mo-Fr 08:00-16:00", ("sexual_violence",)),
        _service("b", "sarc", "24/7", ("sexual_violence",)),
        _service("c", "isva", "Mo-Fr 09:00-17:00", ("sexual_violence",)),
        _service("d", "idva", "24/7", ("domestic_abuse",)),
    ]
)
ROUTES = [
    _route("a", "self", min_age=18),
    _route("a", "police"),
    _route("b", "police"),
    _route("c", "another_service", via_service_id="a"),
    _route("c", "self"),
    _route("d", "marac", risk_level="high"),
    _route("d", "self"),
]


def _paths(found: list) -> dict[tuple[str, ...], str]:
    return {(p.route, *p.services): p.status for p in found}


def test_graph_has_route_nodes_and_onward_edges() -> None:
    graph = pathway_graph(ROUTES, REGISTER["id"])
    assert set(graph.successors("route:police")) == {"a", "b"}
    assert set(graph.successors("a")) == {"c"}  # a refers onward to c
    assert graph.nodes["route:self"]["kind"] == "route"


def test_age_17_saturday_night_hand_worked() -> None:
    found = find_pathways(REGISTER, ROUTES, RAPE, 17, SAT_2AM)
    # Worked by hand: b is the only service open at Sat 02:00, reached by the police; a
    # (weekdays) and c (weekdays) are closed; self-referral to a is for 18+.
    assert _paths(found) == {
        ("police", "b"): "open",
        ("police", "a"): "closed",
        ("police", "a", "c"): "closed",
        ("self", "c"): "closed",
        ("self", "a"): "barred",
        ("self", "a", "c"): "barred",
    }
    assert found[0].open and found[0].route == "police"  # open first
    barred = next(p for p in found if p.services == ("a",) and p.route == "self")
    assert barred.barred == "self referral is for ages 18+"
    assert single_points(found) == []


def test_age_18_weekday_every_step_open() -> None:
    found = find_pathways(REGISTER, ROUTES, RAPE, 18, TUE_10AM)
    assert _paths(found) == {
        ("police", "a"): "open",
        ("police", "a", "c"): "open",
        ("police", "b"): "open",
        ("self", "a"): "open",
        ("self", "a", "c"): "open",
        ("self", "c"): "open",
    }


def test_steps_open_and_route_hours() -> None:
    routes = [*ROUTES[:4], _route("c", "self", opening_hours="Mo 09:00-10:00")]
    found = find_pathways(REGISTER, routes, RAPE, 30, TUE_10AM)
    status = _paths(found)
    assert status[("self", "c")] == "closed"  # the route's own hours, not the service's
    onward = next(p for p in found if p.services == ("a", "c") and p.route == "police")
    assert onward.steps_open == (True, True)


def test_risk_based_route_needs_a_high_risk_need() -> None:
    standard = Need("da", "domestic abuse", "domestic_abuse", ("idva",), None, 30)
    assert _paths(find_pathways(REGISTER, ROUTES, standard, 30, SAT_2AM)) == {
        ("self", "d"): "open",
        ("marac", "d"): "barred",
    }
    assert _paths(find_pathways(REGISTER, ROUTES, HIGH_RISK, 30, SAT_2AM)) == {
        ("marac", "d"): "open",
        ("self", "d"): "open",
    }


def test_single_point_of_failure() -> None:
    register = pd.DataFrame(
        [
            _service("spoa", "helpline", "24/7", ("domestic_abuse",)),
            _service("r1", "refuge", "24/7", ("domestic_abuse",)),
            _service("r2", "refuge", "24/7", ("domestic_abuse",)),
        ]
    )
    routes = [
        _route("spoa", "self"),
        _route("spoa", "professional"),
        _route("r1", "another_service", via_service_id="spoa"),
        _route("r2", "another_service", via_service_id="spoa"),
    ]
    found = find_pathways(register, routes, REFUGE, 30, SAT_2AM)
    assert len(found) == 4
    assert single_points(found) == ["spoa"]
    direct = [*routes, _route("r2", "police")]
    assert single_points(find_pathways(register, direct, REFUGE, 30, SAT_2AM)) == []


def test_frame_minutes_never_zero_for_unknown() -> None:
    found = find_pathways(REGISTER, ROUTES, RAPE, 17, SAT_2AM)
    table = pathways_frame(found, {"a": "A centre"}, {"a": 12.0, "b": 40.0})
    row = table[table["services"] == "a;c"].iloc[0]
    assert pd.isna(row["minutes"])  # c has no site: unknown, not 0
    assert row["steps_minutes"] == "12;"
    assert table.loc[table["service_id"] == "b", "minutes"].iloc[0] == pytest.approx(40.0)
    assert "A centre" in row["path"]
