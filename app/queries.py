"""Cached answers for the Week and Optimise pages (once per query, per study).

Kept apart from :mod:`app.state` (loaders, session state) so each page's cache lives
beside the questions it answers; every function here calls a :class:`mapping.Study`
method and keys its cache by :func:`app.state.study_key`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from app import state as app_state
from mapping.analysis.out_of_hours import HourAccount, HourChange
from mapping.study import Study

if TYPE_CHECKING:
    from mapping.analysis.appraise import Appraisal
    from mapping.analysis.optimise_sites import SiteScore
    from mapping.inputs.scenario_file import Scenario

__all__ = ["HoursAnswer", "SitesAnswer", "hour_change", "out_of_hours", "week_profile"]


@st.cache_data(show_spinner=False, max_entries=256)
def _week(
    _study: Study,
    key: str,
    category: str,
    threshold: float,
    age_band: str | None,
    area: str | None,
) -> pd.DataFrame:
    return _study.week_profile(category, threshold=threshold, age_band=age_band, area=area)


def week_profile(
    category: str, threshold: float, age_band: str | None = None, area: str | None = None
) -> pd.DataFrame:
    """:meth:`Study.week_profile` of this session's study, cached per question.

    Hours with the same open services and speed profile share one computation inside
    the kernel; this cache keeps the whole week per (study, category, threshold, age
    group, area).
    """
    return _week(
        app_state.current_study(), app_state.study_key(), category, float(threshold), age_band, area
    )


@st.cache_data(show_spinner=False, max_entries=256)
def _account(
    _study: Study, key: str, question: tuple[Any, ...], start: str | None
) -> HourAccount | HourChange:
    category, at, threshold, weight, age_band, area = question
    options = {"threshold": threshold, "weight": weight, "age_band": age_band, "area": area}
    if start is None:
        return _study.out_of_hours(category, at, **options)
    return _study.hour_change(category, start, at, **options)


def out_of_hours(
    category: str,
    at: str,
    threshold: float = 60,
    weight: str = "residents",
    age_band: str | None = None,
    area: str | None = None,
) -> HourAccount:
    """:meth:`Study.out_of_hours` (the one account every page shows), cached."""
    question = (category, at, float(threshold), weight, age_band, area or None)
    answer = _account(app_state.current_study(), app_state.study_key(), question, None)
    assert isinstance(answer, HourAccount)
    return answer


def hour_change(
    category: str,
    start: str,
    end: str,
    threshold: float = 60,
    age_band: str | None = None,
    area: str | None = None,
) -> HourChange:
    """:meth:`Study.hour_change` from ``start`` to ``end``, cached."""
    question = (category, end, float(threshold), "residents", age_band, area or None)
    answer = _account(app_state.current_study(), app_state.study_key(), question, start)
    assert isinstance(answer, HourChange)
    return answer


def area_choices() -> dict[str, str]:
    """Council-area codes and names, Lancashire first as ``""`` (all residents)."""
    names: dict[str, Any] = app_state.current_study().area_names("district")
    return {"": "All Lancashire", **dict(sorted(names.items(), key=lambda kv: str(kv[1])))}


def scenario_to_json(scenario: Scenario) -> str:
    """A scenario as JSON text (hashable, for cache keys and session state)."""
    data = {
        "name": scenario.name,
        "description": scenario.description,
        "change": [change.model_dump(exclude_none=True) for change in scenario.changes],
    }
    return json.dumps(data, sort_keys=True)


def scenario_from_json(text: str) -> Scenario:
    """The scenario :func:`scenario_to_json` wrote."""
    from mapping.inputs.scenario_file import parse_scenario

    return parse_scenario(json.loads(text))


@dataclass(frozen=True)
class HoursAnswer:
    """The Optimise page's hours answer: the plan, the other objective's, the evenings.

    ``sign`` is +1 when the objective grows with a better plan, -1 when it shrinks
    (minutes); ``baseline``, ``plan`` and ``evening`` are the objective's totals today,
    with the plan and with the evenings alternative (``evening_hours``).
    """

    objective: str
    sign: int
    gain: float
    other_rules: str
    other_chosen: list[int]
    chosen: list[int]
    category: str
    current_hours: str
    opening_hours: str
    added_rules: str
    baseline: float
    plan: float
    evening_hours: str
    evening: float


@dataclass(frozen=True)
class SitesAnswer:
    """The Optimise page's sites answer: the plan and the largest-towns alternative.

    ``baseline``, ``plan`` and ``hubs`` are the optimiser's scores today, with the plan
    and with a 24/7 site at each of the largest towns (``hub_names``); ``scenario`` is the
    plan as scenario JSON (:func:`scenario_to_json`); ``saturation`` the covering model's
    note (``""`` when it was not saturated).
    """

    sites: pd.DataFrame
    baseline: SiteScore
    plan: SiteScore
    hubs: SiteScore
    hub_names: list[str]
    times: str
    status: str
    saturation: str
    scenario: str


@st.cache_data(show_spinner="Finding the best hours…", max_entries=64)
def _hours(
    _study: Study,
    key: str,
    service: str,
    extra_hours: int,
    threshold: float,
    min_block: int,
    objective: str = "minutes",
) -> HoursAnswer:
    plan = _study.optimise_hours(
        service, extra_hours, threshold=threshold, min_block=min_block, objective=objective
    )
    other = _study.optimise_hours(
        service,
        extra_hours,
        threshold=threshold,
        min_block=min_block,
        objective="coverage" if objective == "minutes" else "minutes",
    )
    evening_hours, evening_total = _study.evening_hours(plan)
    return HoursAnswer(
        objective=objective,
        sign=plan.gains.sign,
        gain=plan.gain,
        other_rules=other.added_rules,
        other_chosen=list(other.chosen),
        chosen=list(plan.chosen),
        category=plan.gains.category,
        current_hours=plan.current_hours,
        opening_hours=plan.opening_hours,
        added_rules=plan.added_rules,
        baseline=plan.baseline_total,
        plan=plan.plan_total,
        evening_hours=evening_hours,
        evening=evening_total,
    )


def optimise_hours(
    service: str, extra_hours: int, threshold: float, min_block: int, objective: str = "minutes"
) -> HoursAnswer:
    """:meth:`Study.optimise_hours`, the evenings alternative and the other objective's
    choice, cached per question."""
    return _hours(
        app_state.current_study(),
        app_state.study_key(),
        service,
        int(extra_hours),
        float(threshold),
        int(min_block),
        objective,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _scenario_week(
    _study: Study, key: str, scenario_json: str, category: str, threshold: float
) -> pd.DataFrame:
    view = _study.with_scenario(scenario_from_json(scenario_json))
    return view.week_profile(category, threshold=threshold)


def scenario_week(scenario: Any, category: str, threshold: float) -> pd.DataFrame:
    """The week profile of this session's study with ``scenario`` applied, cached."""
    return _scenario_week(
        app_state.current_study(),
        app_state.study_key(),
        scenario_to_json(scenario),
        category,
        float(threshold),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _sites(
    _study: Study, key: str, category: str, add: int, threshold: float, at: str, method: str
) -> SitesAnswer:
    import numpy as np

    from mapping.analysis.appraise_options import saturation_note, saturation_trade
    from mapping.analysis.optimise_sites import evaluate_sites, optimise_sites

    plan, problem = _study.optimise_sites(
        category, add, threshold=threshold, at=None if at == "week" else [at], method=method
    )
    note = ""
    if method == "mclp":
        everyone = float(problem.weights.sum()) * sum(b.hours for b in problem.blocks)
        where = "over the whole week" if at == "week" else f"at {at}"
        note = saturation_note(plan.plan.covered, everyone, add, threshold, where)
        if note:  # every plan covering everyone ties: rank them by mean minutes instead
            covering, plan = plan, optimise_sites(problem, add, method="pmedian")
            unit = "residents" if at != "week" else "resident-hours"
            trade = saturation_trade(covering, plan, threshold, unit)
            note += f"; {trade}" if trade else ""
    # The obvious alternative: a 24/7 site at each of the largest towns (the hubs).
    largest = list(np.argsort(-problem.candidates["residents"].to_numpy(float))[:add])
    hubs = evaluate_sites(problem, [int(i) for i in largest])
    return SitesAnswer(
        sites=plan.sites,
        baseline=plan.baseline,
        plan=plan.plan,
        hubs=hubs,
        hub_names=problem.candidates["name"].iloc[largest].tolist(),
        times=plan.times_label,
        status=plan.status,
        saturation=note,
        scenario=scenario_to_json(plan.to_scenario(category=category)),
    )


def optimise_sites(category: str, add: int, threshold: float, at: str, method: str) -> SitesAnswer:
    """:meth:`Study.optimise_sites` and the largest-towns alternative, cached per question."""
    return _sites(
        app_state.current_study(),
        app_state.study_key(),
        category,
        int(add),
        float(threshold),
        at,
        method,
    )


@st.cache_data(show_spinner=False, max_entries=256)
def _beyond_range(
    _study: Study,
    key: str,
    category: str,
    at: str,
    threshold: float,
    weight: str,
    age_band: str | None,
) -> dict[str, Any]:
    spread = _study.beyond_range(
        category, at, threshold=threshold, weight=weight, age_band=age_band
    )
    return {"text": spread.text(), "explain": spread.explain(), "people": spread.people_beyond}


def beyond_range(
    category: str, at: str, threshold: float, weight: str, age_band: str | None
) -> dict[str, Any]:
    """:meth:`Study.beyond_range` in words (``text``, ``explain``), cached per query."""
    return _beyond_range(
        app_state.current_study(),
        app_state.study_key(),
        category,
        at,
        float(threshold),
        weight,
        age_band,
    )


@st.cache_data(show_spinner="Comparing the options (a minute the first time)…", max_entries=16)
def _appraisal(
    _study: Study, key: str, category: str, extra_hours: int, threshold: float
) -> Appraisal:
    return _study.appraise(category=category, extra_hours=extra_hours, threshold=threshold)


def appraisal(category: str, extra_hours: int, threshold: float) -> Appraisal:
    """:meth:`Study.appraise` of this session's study (table and notes), cached per question."""
    return _appraisal(
        app_state.current_study(),
        app_state.study_key(),
        category,
        int(extra_hours),
        float(threshold),
    )
