"""Which hours should extra staffing buy? Choose a service's extra opening hours.

Objective
    Given one service, a budget of ``B`` extra hours a week and a threshold of ``T``
    minutes, choose hours of the reference week in which the service is closed today so
    that the weighted number of people within ``T`` minutes of an open eligible service
    of its category, summed over the 168 hours (each hour times its demand), is largest.
    Every other service keeps its hours.

Objectives
    ``objective="minutes"`` (the default) values an hour by the resident-minutes it saves:
    the weighted drop in minutes to the nearest open eligible service (people with none
    in reach count :data:`UNREACHED_MINUTES`, as the site optimiser counts them).
    ``objective="coverage"`` values it by the weight it brings within ``T`` minutes
    (resident-hours within the threshold). A hard cut-off values only people who cross
    it, so it can prefer hours where many people sit just beyond ``T`` over hours where
    everyone saves a long drive (docs/optimise.md).

Why taking the largest gains is exact
    Opening the service in hour ``h`` changes only hour ``h``: the gain of ``h`` depends
    on which other services are open in ``h`` and on its speed profile, never on the
    other chosen hours. The objective is therefore a sum of independent per-hour gains
    (all ``>= 0``: an extra open service can only bring people nearer) under a limit on
    how many hours are chosen, and the ``B`` largest gains are an optimal choice
    (exchange argument: swapping a chosen hour for an unchosen one of larger gain never
    lowers the sum). ``tests/test_optimise_hours.py`` checks it against brute force.

Shifts
    A real rota adds whole shifts. With ``min_block = H`` every run of consecutive
    chosen hours (cyclic: Sunday 23:00 runs into Monday 00:00) must be at least ``H``
    hours long. The gains stay independent but the constraint couples neighbours, so
    :func:`best_blocks` solves it exactly by dynamic programming over the hours of the
    week (state: length of the current run, length of the run that began the week, hours
    used). The cost of the constraint is the unconstrained best minus the shift best.
    The study, the command line and the app default to :data:`SHIFT_HOURS` (4 hours):
    with any hours allowed, the Preston SARC's 8 extra hours come out as eight one-hour
    stubs, which no rota staffs. A shift is never longer than the budget.

Hours are whole hours, each represented by its first minute (as in
:mod:`mapping.analysis.week`). The plan is written as OpenStreetMap ``opening_hours``
rules added to the service's current expression with the *additional-rule* separator
``,`` (so no current rule is overridden) and checked hour by hour with
``opening-hours-py`` before it is returned (:mod:`mapping.analysis.hours_expression`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mapping.analysis.age_split import AgePart
from mapping.analysis.hour_blocks import best_blocks, cyclic_runs
from mapping.analysis.hours_expression import hours_rules, merge_hours
from mapping.analysis.week import (
    HOURS_IN_WEEK,
    HourKey,
    hour_label,
    minutes_for_key,
    open_sets,
)
from mapping.errors import ServiceMapError

if TYPE_CHECKING:
    from mapping.routing.engine import TravelEngine


__all__ = [
    "OBJECTIVES",
    "SHIFT_HOURS",
    "UNREACHED_MINUTES",
    "HourGains",
    "HoursPlan",
    "best_blocks",
    "best_hours",
    "covered_weight_hours",
    "cyclic_runs",
    "hour_gains",
    "hours_rules",
    "merge_hours",
    "optimise_hours",
    "week_weight_minutes",
]

#: The shortest shift the study, the CLI and the app add unless told otherwise (hours).
SHIFT_HOURS = 4

#: What an hour is worth: resident-minutes saved, or resident-hours within the threshold.
OBJECTIVES: tuple[str, ...] = ("minutes", "coverage")
#: Minutes counted for people with no open eligible service in reach (as
#: :data:`mapping.analysis.optimise_sites.UNREACHED_MINUTES`).
UNREACHED_MINUTES = 240.0

# ---- the gains ------------------------------------------------------------------------


@dataclass(frozen=True)
class HourGains:
    """Per hour of the week: what the service adds if opened then.

    Attributes
    ----------
    service_id, category
        The service and its category.
    threshold
        Minutes.
    covered
        Per hour today: weight within ``threshold`` of an open eligible service
        (``coverage``), or weighted minutes to the nearest one (``minutes``).
    gain
        Per hour, times the hour's demand (``0`` where it is open already): the extra
        weight within ``threshold`` (``coverage``) or the weighted minutes saved
        (``minutes``) if the service were open in that hour.
    available
        Hours in which the service is closed today (the hours that can be bought).
    demand
        Demand per hour (average 1; all 1 when uniform).
    profile
        Speed profile per hour.
    computations
        Distinct open-set-and-profile keys evaluated.
    """

    service_id: str
    category: str
    threshold: float
    covered: np.ndarray
    gain: np.ndarray
    available: np.ndarray
    demand: np.ndarray
    profile: tuple[str, ...]
    computations: int
    objective: str = "coverage"

    @property
    def baseline_total(self) -> float:
        """Today's objective summed over the week (each hour times its demand)."""
        return float((self.covered * self.demand).sum())

    @property
    def sign(self) -> int:
        """+1 when a gain adds to the objective (coverage), -1 when it saves (minutes)."""
        return -1 if self.objective == "minutes" else 1


def _service_row(engine: TravelEngine, service_id: str) -> Mapping[str, Any]:
    services = engine.services
    match = services[services["id"] == service_id]
    if match.empty:
        skipped = engine.skipped
        reason = skipped.loc[skipped["id"] == service_id, "reason"]
        if len(reason):
            raise ServiceMapError(f"service {service_id!r} cannot be routed to: {reason.iloc[0]}")
        raise ServiceMapError(f"unknown service {service_id!r}; see data/services.csv for ids")
    return dict(match.iloc[0])


def hour_gains(
    engine: TravelEngine,
    service_id: str,
    *,
    weights: np.ndarray,
    threshold: float = 60.0,
    demand: np.ndarray | None = None,
    age_band: str | tuple[int, int | None] | None = None,
    crime_type: str | None = None,
    exclude: Iterable[str] = (),
    extra_services: Iterable[str] = (),
    hours_override: Mapping[str, str] | None = None,
    objective: str = "coverage",
    parts: Sequence[AgePart] | None = None,
) -> HourGains:
    """The gain of opening ``service_id`` in each hour of the week.

    Parameters
    ----------
    engine
        A :class:`mapping.routing.engine.TravelEngine`.
    service_id
        A routable service of the engine.
    weights
        Per-origin weight (residents by default at the CLI).
    threshold
        Minutes.
    demand
        168 demand values (Monday 00:00 first; :func:`mapping.inputs.demand.read_demand`),
        or ``None`` for uniform.
    age_band, crime_type, exclude, extra_services, hours_override
        Eligibility filters and a scenario's changes, as for
        :func:`mapping.analysis.week.open_sets`.
    objective
        ``coverage`` (weight within the threshold) or ``minutes`` (weighted minutes
        saved); see the module notes.
    parts
        Age groups (:class:`~mapping.analysis.age_split.AgePart`; ``weights`` and
        ``age_band`` then unused): each group is measured against the services open to
        its band, the service counts only for the groups it sees, and the groups' values
        are added up. ``None``: one group, ``weights`` of ``age_band``.

    Raises
    ------
    ServiceMapError
        If the service is unknown or not routable, eligible for nobody under the
        filters, open all week, or an input has the wrong length.
    """
    if objective not in OBJECTIVES:
        raise ServiceMapError(f"objective must be minutes or coverage, not {objective!r}")
    row = _service_row(engine, service_id)
    category = str(row["category"])
    if parts is None:
        parts = (AgePart(age_band, np.asarray(weights, dtype=np.float64), np.asarray(weights)),)
    for part in parts:
        shape = np.shape(part.weights)
        if shape != (engine.n_origins,):
            raise ServiceMapError(
                f"weights: expected one value per origin ({engine.n_origins}), got {shape}"
            )
    demand = np.ones(HOURS_IN_WEEK) if demand is None else np.asarray(demand, dtype=np.float64)
    if demand.shape != (HOURS_IN_WEEK,):
        raise ServiceMapError(f"demand: expected {HOURS_IN_WEEK} values, got {demand.shape}")
    filters: dict[str, Any] = {
        "crime_type": crime_type,
        "exclude": list(exclude),
        "extra_services": list(extra_services),
    }
    if service_id in filters["exclude"]:
        raise ServiceMapError(f"service {service_id!r} is closed in this scenario")
    today, eligible = [], []
    for part in parts:
        today.append(
            open_sets(
                engine, category, age_band=part.band, hours_override=hours_override, **filters
            ).keys
        )
        # The same week with the service open around the clock: its eligibility for the
        # group decides whether it can count for it at all.
        opened = open_sets(
            engine,
            category,
            age_band=part.band,
            hours_override={**dict(hours_override or {}), service_id: "24/7"},
            **filters,
        )
        eligible.append(any(service_id in key.services for key in opened.keys))
    if not any(eligible):
        raise ServiceMapError(
            f"service {service_id!r} is not eligible under the chosen age band or crime type"
        )
    seen = today[eligible.index(True)]
    available = np.array([service_id not in key.services for key in seen])
    if not available.any():
        raise ServiceMapError(f"service {service_id!r} is open in every hour of the week already")
    cache: dict[HourKey, np.ndarray] = {}
    own: dict[str, np.ndarray] = {}
    covered = np.zeros(HOURS_IN_WEEK)
    gain = np.zeros(HOURS_IN_WEEK)
    summary: dict[tuple[int, HourKey], tuple[float, float]] = {}
    for p, part in enumerate(parts):
        w = np.asarray(part.weights, dtype=np.float64)
        for h, key in enumerate(today[p]):
            if (p, key) not in summary:
                base = minutes_for_key(engine, key, cache)
                before = after = _objective_value(w, base, threshold, objective)
                if eligible[p] and service_id not in key.services:
                    if key.profile not in own:
                        vector = engine.minutes_to([service_id], key.profile)[0]
                        own[key.profile] = np.asarray(vector, dtype=np.float64)
                    opened_minutes = np.minimum(base, own[key.profile])
                    after = _objective_value(w, opened_minutes, threshold, objective)
                summary[p, key] = (before, after)
            before, after = summary[p, key]
            covered[h] += before
            change = after - before if objective == "coverage" else before - after
            gain[h] += change * demand[h] if available[h] else 0.0
    return HourGains(
        service_id=service_id,
        category=category,
        threshold=float(threshold),
        covered=covered,
        gain=gain,
        available=available,
        demand=demand,
        profile=tuple(key.profile for key in today[0]),
        computations=len({key for _, key in summary}),
        objective=objective,
    )


def _objective_value(
    weights: np.ndarray, minutes: np.ndarray, threshold: float, objective: str
) -> float:
    """Weight within ``threshold`` (coverage) or weighted capped minutes (minutes)."""
    if objective == "coverage":
        return float(weights[minutes <= threshold].sum())
    return float((weights * np.minimum(minutes, UNREACHED_MINUTES)).sum())


# ---- choosing hours -------------------------------------------------------------------


def best_hours(
    gain: Sequence[float] | np.ndarray, available: Sequence[bool] | np.ndarray, budget: int
) -> tuple[tuple[int, ...], float]:
    """The ``budget`` available hours of largest positive gain (exactly optimal).

    Hours that gain nothing are not bought. When hours tie at the last gain taken, those
    next to hours already open or chosen go first (a plan that extends existing shifts
    rather than scattering single hours; the total is the same), then the earlier hour.

    Returns
    -------
    tuple
        (chosen hours in week order, their total gain).
    """
    gain = np.asarray(gain, dtype=np.float64)
    free = np.asarray(available, dtype=bool)
    n, budget = gain.size, max(int(budget), 0)
    candidates = [h for h in range(n) if free[h] and gain[h] > 0]
    candidates.sort(key=lambda h: (-gain[h], h))
    if len(candidates) <= budget:
        chosen = sorted(candidates)
        return tuple(chosen), float(gain[chosen].sum()) if chosen else 0.0
    cut = gain[candidates[budget - 1]] if budget else np.inf
    tolerance = 1e-9 * max(abs(cut), 1.0) if budget else 0.0
    taken = [h for h in candidates if gain[h] > cut + tolerance]
    tied = [h for h in candidates if abs(gain[h] - cut) <= tolerance]
    while len(taken) < budget:
        held = set(taken) | {h for h in range(n) if not free[h]}
        beside = [h for h in tied if (h - 1) % n in held or (h + 1) % n in held]
        batch = beside or tied  # tied is in week order
        take = batch[: budget - len(taken)]
        taken += take
        tied = [h for h in tied if h not in take]
    chosen = sorted(taken)
    return tuple(chosen), float(gain[chosen].sum()) if chosen else 0.0


# ---- the plan -------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursPlan:
    """The chosen extra hours of one service and what they buy.

    Attributes
    ----------
    gains
        The per-hour gains the plan was chosen from.
    budget, min_block
        Extra hours allowed and the shortest shift.
    chosen
        Hours of the week chosen (0 = Monday 00:00).
    current_hours, opening_hours, added_rules
        The service's hours today, with the plan (one OpenStreetMap expression), and the
        rules added.
    unconstrained_gain
        The best gain without the shift constraint (equal to :attr:`gain` when
        ``min_block`` is 1).
    """

    gains: HourGains
    budget: int
    min_block: int
    chosen: tuple[int, ...]
    current_hours: str
    opening_hours: str
    added_rules: str
    unconstrained_gain: float

    @property
    def gain(self) -> float:
        """Covered weight-hours the plan adds."""
        return float(self.gains.gain[list(self.chosen)].sum()) if self.chosen else 0.0

    @property
    def baseline_total(self) -> float:
        """Covered weight-hours today."""
        return self.gains.baseline_total

    @property
    def plan_total(self) -> float:
        """The objective over the week with the plan (weight-hours or weight-minutes)."""
        return self.baseline_total + self.gains.sign * self.gain

    @property
    def block_cost(self) -> float:
        """Weight-hours given up to keep whole shifts (0 without ``min_block``)."""
        return self.unconstrained_gain - self.gain

    @property
    def blocks(self) -> list[tuple[int, int]]:
        """The chosen shifts as ``(first hour, length)``."""
        return cyclic_runs(self.chosen)

    def per_hour(self) -> pd.DataFrame:
        """One row per chosen hour: time, profile, covered before and after, gain."""
        g = self.gains
        rows = [
            {
                "hour_of_week": h,
                "time": hour_label(h),
                "profile": g.profile[h],
                "demand": g.demand[h],
                "covered_before": g.covered[h],
                "covered_after": g.covered[h] + g.sign * g.gain[h] / g.demand[h]
                if g.demand[h]
                else 0,
                "gain": g.gain[h],
            }
            for h in self.chosen
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "hour_of_week",
                "time",
                "profile",
                "demand",
                "covered_before",
                "covered_after",
                "gain",
            ],
        )


def optimise_hours(
    engine: TravelEngine,
    service_id: str,
    extra_hours: int,
    *,
    weights: np.ndarray,
    threshold: float = 60.0,
    demand: np.ndarray | None = None,
    min_block: int = 1,
    objective: str = "minutes",
    **filters: Any,
) -> HoursPlan:
    """Choose up to ``extra_hours`` hours to open ``service_id`` (see the module notes).

    Parameters
    ----------
    engine
        A :class:`mapping.routing.engine.TravelEngine`.
    service_id
        The service to staff for longer.
    extra_hours
        Budget: most hours a week to add.
    weights, threshold, demand
        As for :func:`hour_gains`.
    min_block
        Shortest shift in hours (``1``: any hours); a shift longer than the budget is
        cut to the budget (a 2-hour budget buys one 2-hour shift).
    objective
        ``minutes`` (default: weighted minutes saved) or ``coverage`` (weight-hours
        within the threshold).
    **filters
        ``age_band``, ``crime_type``, ``exclude``, ``extra_services``,
        ``hours_override`` (a scenario's changes).

    Returns
    -------
    HoursPlan
    """
    if int(extra_hours) < 1:
        raise ServiceMapError(f"--extra-hours must be at least 1, not {extra_hours}")
    if not 1 <= int(min_block) <= HOURS_IN_WEEK:
        raise ServiceMapError(f"--min-block must be 1 to {HOURS_IN_WEEK} hours, not {min_block}")
    gains = hour_gains(
        engine,
        service_id,
        weights=weights,
        threshold=threshold,
        demand=demand,
        objective=objective,
        **filters,
    )
    free_chosen, free_gain = best_hours(gains.gain, gains.available, extra_hours)
    min_block = min(int(min_block), int(extra_hours))
    if min_block > 1:
        chosen, _ = best_blocks(gains.gain, gains.available, extra_hours, min_block)
    else:
        chosen = free_chosen
    current = _current_hours(engine, service_id, filters.get("hours_override"))
    merged = merge_hours(current, chosen)
    return HoursPlan(
        gains=gains,
        budget=int(extra_hours),
        min_block=int(min_block),
        chosen=chosen,
        current_hours=current,
        opening_hours=merged,
        added_rules=hours_rules(chosen),
        unconstrained_gain=free_gain,
    )


def _current_hours(
    engine: TravelEngine, service_id: str, overrides: Mapping[str, str] | None
) -> str:
    if overrides and service_id in overrides:
        return str(overrides[service_id])
    return str(_service_row(engine, service_id)["opening_hours"] or "")


def covered_weight_hours(
    engine: TravelEngine,
    category: str,
    *,
    weights: np.ndarray,
    threshold: float = 60.0,
    demand: np.ndarray | None = None,
    **filters: Any,
) -> float:
    """Weight within ``threshold`` of an open service, summed over the week's hours.

    An independent check of a plan: evaluate the week with the plan's hours as an
    ``hours_override`` (``filters`` as for :func:`mapping.analysis.week.week_profile`).
    """
    from mapping.analysis.week import week_profile

    frame = week_profile(engine, category, weights=weights, threshold=threshold, **filters)
    covered = (frame["population"] - frame["people_beyond"]).to_numpy(float)
    demand = np.ones(HOURS_IN_WEEK) if demand is None else np.asarray(demand, dtype=float)
    return float((covered * demand).sum())


def week_weight_minutes(
    engine: TravelEngine,
    category: str,
    *,
    weights: np.ndarray,
    demand: np.ndarray | None = None,
    **filters: Any,
) -> float:
    """Weighted minutes to the nearest open service, summed over the week's hours.

    The minutes objective's independent check, from the week profile's mean minutes and
    unreached people (``UNREACHED_MINUTES`` each): evaluate the week with a plan's hours
    as an ``hours_override``.
    """
    from mapping.analysis.week import week_profile

    frame = week_profile(engine, category, weights=weights, threshold=UNREACHED_MINUTES, **filters)
    reached = (frame["population"] - frame["people_unreached"]).to_numpy(float)
    mean = frame["mean_minutes"].fillna(0.0).to_numpy(float)
    total = reached * mean + UNREACHED_MINUTES * frame["people_unreached"].to_numpy(float)
    demand = np.ones(HOURS_IN_WEEK) if demand is None else np.asarray(demand, dtype=float)
    return float((total * demand).sum())
