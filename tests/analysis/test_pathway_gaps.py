"""The referral-pathway gap rules on hand-worked fixtures (mapping.analysis.pathway_gaps).

Each test shows the gap, then removes its condition and shows it gone.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from mapping.analysis import pathway_gaps  # noqa: F401  (registers the pathway rules)
from mapping.analysis.gap_records import GapContext, evaluator_for
from mapping.inputs.referrals import Referral
from mapping.inputs.routes import Route
from mapping.inputs.rules import GapRule, load_rules


@pytest.fixture(scope="module")
def rules() -> dict[str, GapRule]:
    return {rule.id: rule for rule in load_rules()}


def _service(sid: str, category: str, hours: str, crimes: tuple[str, ...], **extra: Any) -> dict:
    row = {
        "id": sid,
        "name": sid.upper(),
        "category": category,
        "opening_hours": hours,
        "crime_types": crimes,
        "min_age": None,
        "max_age": None,
        "areas_served": ("Lancashire",),
        "district": "E07000123",
        "provider_area": "Lancashire",
        "advocate_fte": float("nan"),
    }
    row.update(extra)
    return row


def _route(sid: str, route: str, **kw: Any) -> Route:
    fields: dict[str, Any] = {
        "opening_hours": None,
        "min_age": None,
        "max_age": None,
        "crime_types": (),
        "risk_level": None,
        "via_service_id": None,
        "source": "fixture",
        "inferred": False,
        "confidence": "high",
    }
    fields.update(kw)
    return Route(service_id=sid, route=route, **fields)


def _run(rule: GapRule, services: list[dict], routes: list[Route], volumes: Any = ()) -> list[dict]:
    ctx = GapContext(
        study=SimpleNamespace(),
        register=pd.DataFrame(services),
        as_of=None,
        names={"E07000123": "Preston"},
        population=pd.Series(dtype=float),
        age_population=pd.DataFrame(),
        routes=routes,
        referrals=list(volumes),
    )
    return evaluator_for(rule)(ctx, rule)


def _with(rule: GapRule, **params: Any) -> GapRule:
    return dataclasses.replace(rule, model=rule.model.model_copy(update=params))


SARCS = [
    _service("a", "sarc", "Mo-Fr 08:00-16:00", ("sexual_violence",)),
    _service("b", "sarc", "24/7", ("sexual_violence",)),
]


def test_police_only(rules: dict[str, GapRule]) -> None:
    rule = _with(rules["pathway_police_only"], needs=("adult_recent_rape",))
    routes = [_route("a", "self"), _route("b", "police")]
    found = _run(rule, SARCS, routes)
    # three out-of-hours slots: only the police reach b (24/7); a is closed
    assert [r["severity"] for r in found] == ["medium"] * 3
    assert found[0]["services"] == "b"
    assert "only through the police" in found[0]["evidence"]
    # remove the condition: b takes self-referrals too
    assert _run(rule, SARCS, [*routes, _route("b", "self")]) == []
    # and with no police route either, nothing is open at all: high
    none_open = _run(rule, SARCS, [_route("a", "self")])
    assert {r["severity"] for r in none_open} == {"high"}


def test_police_only_counts_only_lancashire_services(rules: dict[str, GapRule]) -> None:
    rule = _with(rules["pathway_police_only"], needs=("adult_recent_rape",))
    services = [SARCS[0], {**SARCS[1], "areas_served": ("Greater Manchester",)}]
    routes = [_route("a", "police"), _route("b", "self")]
    found = _run(rule, services, routes)
    assert len(found) == 3 and "B (Preston)" in found[0]["evidence"]  # named as elsewhere
    assert _run(_with(rule, lancashire_only=False), services, routes) == []


def test_self_referral_age_bar(rules: dict[str, GapRule]) -> None:
    rule = rules["self_referral_age_bar"]
    [gap] = _run(rule, SARCS, [_route("a", "self", min_age=18), _route("b", "self")])
    assert gap["gap_id"] == "self_referral_age_bar:a" and gap["severity"] == "high"
    assert "aged 0-17" in gap["evidence"]
    # remove the condition: the service itself is for 18+ too
    adults = [{**SARCS[0], "min_age": 18}, SARCS[1]]
    assert _run(rule, adults, [_route("a", "self", min_age=18)]) == []


def test_single_point_of_failure(rules: dict[str, GapRule]) -> None:
    rule = _with(rules["single_point_of_failure"], needs=("refuge_space",))
    services = [
        _service("spoa", "helpline", "24/7", ("domestic_abuse",)),
        _service("r1", "refuge", "24/7", ("domestic_abuse",)),
        _service("r2", "refuge", "Mo 09:00-10:00", ("domestic_abuse",)),
    ]
    routes = [
        _route("spoa", "self"),
        _route("r1", "another_service", via_service_id="spoa"),
        _route("r2", "another_service", via_service_id="spoa"),
    ]
    [gap] = _run(rule, services, routes)
    assert gap["services"] == "spoa" and gap["severity"] == "medium"
    assert "Every one of the 2 pathway(s)" in gap["evidence"]
    # remove the condition: a second door to r2
    assert _run(rule, services, [*routes, _route("r2", "police")]) == []


def _volume(count: int) -> Referral:
    return Referral("X IDVAs", ("x",), "2024/25", "marac", "referrals", count, "exact", "fixture")


def test_referral_volume_above_benchmark(rules: dict[str, GapRule]) -> None:
    rule = rules["referral_volume_above_benchmark"]
    idva = [_service("x", "idva", "24/7", ("domestic_abuse",), advocate_fte=2.0)]
    # 2 FTE x 100 referrals a year (SafeLives) = 200; 500 published is 2.5 times: high
    [gap] = _run(rule, idva, [], [_volume(500)])
    assert gap["severity"] == "high" and "2.5 times the 200" in gap["evidence"]
    [gap] = _run(rule, idva, [], [_volume(320)])  # 1.6: medium
    assert gap["severity"] == "medium"
    # remove the condition: volume within capacity, or capacity unknown
    assert _run(rule, idva, [], [_volume(200)]) == []
    unknown = [{**idva[0], "advocate_fte": float("nan")}]
    assert _run(rule, unknown, [], [_volume(5000)]) == []
