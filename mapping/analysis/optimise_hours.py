"""Which hours should extra staffing buy? Choose a service's extra opening hours.

Objective
    Given one service, a budget of ``B`` extra hours a week and a threshold of ``T``
    minutes, choose hours of the reference week in which the service is closed today so
    that the weighted number of people within ``T`` minutes of an open eligible service
    of its category, summed over the 168 hours (each hour times its demand), is largest.
    Every other service keeps its hours.

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

Hours are whole hours, each represented by its first minute (as in
:mod:`mapping.analysis.week`). The plan is written as OpenStreetMap ``opening_hours``
rules added to the service's current expression with the *additional-rule* separator
``,`` (so no current rule is overridden) and checked hour by hour with
``opening-hours-py`` before it is returned (:mod:`mapping.analysis.hours_expression`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mapping.analysis.hours_expression import hours_rules, merge_hours
from mapping.analysis.week import (
    HOURS_IN_WEEK,
    HourKey,
    hour_label,
    minutes_for_key,
    open_sets,
)
from mapping.errors import ServiceMapError

__all__ = [
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
]

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
        Weight within ``threshold`` of an open eligible service today, per hour.
    gain
        Extra weight within ``threshold`` if the service were open in that hour, times
        the hour's demand (``0`` where it is open already).
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

    @property
    def baseline_total(self) -> float:
        """Covered weight-hours today (each hour times its demand)."""
        return float((self.covered * self.demand).sum())


def _service_row(engine: Any, service_id: str) -> Mapping[str, Any]:
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
    engine: Any,
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

    Raises
    ------
    ServiceMapError
        If the service is unknown or not routable, eligible for nobody under the
        filters, open all week, or an input has the wrong length.
    """
    row = _service_row(engine, service_id)
    category = str(row["category"])
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (engine.n_origins,):
        raise ServiceMapError(
            f"weights: expected one value per origin ({engine.n_origins}), got {weights.shape}"
        )
    demand = np.ones(HOURS_IN_WEEK) if demand is None else np.asarray(demand, dtype=np.float64)
    if demand.shape != (HOURS_IN_WEEK,):
        raise ServiceMapError(f"demand: expected {HOURS_IN_WEEK} values, got {demand.shape}")
    filters: dict[str, Any] = {
        "age_band": age_band,
        "crime_type": crime_type,
        "exclude": list(exclude),
        "extra_services": list(extra_services),
    }
    today = open_sets(engine, category, hours_override=hours_override, **filters)
    # The same week with the service open around the clock: its eligibility decides
    # whether it can count at all.
    opened = open_sets(
        engine,
        category,
        hours_override={**dict(hours_override or {}), service_id: "24/7"},
        **filters,
    )
    if service_id in filters["exclude"]:
        raise ServiceMapError(f"service {service_id!r} is closed in this scenario")
    if not any(service_id in key.services for key in opened.keys):
        raise ServiceMapError(
            f"service {service_id!r} is not eligible under the chosen age band or crime type"
        )
    available = np.array([service_id not in key.services for key in today.keys])
    if not available.any():
        raise ServiceMapError(f"service {service_id!r} is open in every hour of the week already")
    cache: dict[HourKey, np.ndarray] = {}
    own: dict[str, np.ndarray] = {}
    covered = np.zeros(HOURS_IN_WEEK)
    gain = np.zeros(HOURS_IN_WEEK)
    summary: dict[HourKey, tuple[float, float]] = {}
    for h, key in enumerate(today.keys):
        if key not in summary:
            base = minutes_for_key(engine, key, cache)
            before = float(weights[base <= threshold].sum())
            after = before
            if service_id not in key.services:
                if key.profile not in own:
                    vector = engine.minutes_to([service_id], key.profile)[0]
                    own[key.profile] = np.asarray(vector, dtype=np.float64)
                after = float(weights[np.minimum(base, own[key.profile]) <= threshold].sum())
            summary[key] = (before, after)
        before, after = summary[key]
        covered[h] = before
        gain[h] = (after - before) * demand[h] if available[h] else 0.0
    return HourGains(
        service_id=service_id,
        category=category,
        threshold=float(threshold),
        covered=covered,
        gain=gain,
        available=available,
        demand=demand,
        profile=tuple(key.profile for key in today.keys),
        computations=len(summary),
    )


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


def cyclic_runs(hours: Iterable[int], n: int = HOURS_IN_WEEK) -> list[tuple[int, int]]:
    """Maximal runs of consecutive hours on a cycle of ``n``: ``[(start, length), ...]``.

    A run may wrap from hour ``n - 1`` to hour 0; the full cycle is one run ``(0, n)``.
    """
    chosen = sorted(set(int(h) for h in hours))
    if not chosen:
        return []
    if len(chosen) == n:
        return [(0, n)]
    member = set(chosen)
    runs = []
    for h in chosen:
        if (h - 1) % n not in member:  # a run starts here
            length = 1
            while (h + length) % n in member:
                length += 1
            runs.append((h, length))
    return runs


def _relax(
    tables: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    src: int,
    dst: int,
    step: float | None,
) -> None:
    """One DP transition: state ``src`` to ``dst``, choosing the hour when ``step`` is set."""
    value, new, pointer, took = tables
    if step is None:
        candidate = value[src]
    else:
        candidate = np.full(value.shape[1], -np.inf)
        candidate[1:] = value[src, :-1] + step
    better = candidate > new[dst]
    new[dst, better] = candidate[better]
    pointer[dst, better] = src
    took[dst, better] = step is not None


def _ends_validly(state: tuple[Any, ...], cap: int) -> bool:
    """Whether a DP state at the end of the cycle leaves no run shorter than ``cap``."""
    if state[0] == "open":
        return bool(state[1] > 0)  # every hour chosen: one block round the clock
    _, pre, run = state
    if pre and run:
        return bool(pre + run >= cap)  # the first and last runs join across the wrap
    return bool(max(pre, run) >= cap or pre == run == 0)


def best_blocks(
    gain: Sequence[float] | np.ndarray,
    available: Sequence[bool] | np.ndarray,
    budget: int,
    min_block: int,
) -> tuple[tuple[int, ...], float]:
    """Best hours when every run of chosen hours is at least ``min_block`` long (cyclic).

    Exact dynamic programming over the hours ``0 .. n-1``. The state after each hour is
    the length of the run that began the cycle (closed once an hour is not chosen; its
    check waits until the end, where it may join the last run across the wrap), the
    length of the current run (both capped at ``min_block``) and the hours used. Among
    equally good plans the one with fewer hours is returned.

    Parameters
    ----------
    gain
        Gain per hour (``n`` values).
    available
        Which hours may be chosen.
    budget
        Most hours to choose.
    min_block
        Shortest allowed run (``1``: no constraint).

    Returns
    -------
    tuple
        (chosen hours in order, total gain). ``((), 0.0)`` when no feasible plan gains.
    """
    gain = np.asarray(gain, dtype=np.float64)
    free = np.asarray(available, dtype=bool)
    n, cap, budget = gain.size, max(int(min_block), 1), max(int(budget), 0)
    states: list[tuple[Any, ...]] = [("open", p) for p in range(cap + 1)]
    states += [("closed", pre, run) for pre in range(cap + 1) for run in range(cap + 1)]
    index = {state: i for i, state in enumerate(states)}
    value = np.full((len(states), budget + 1), -np.inf)
    value[index[("open", 0)], 0] = 0.0
    history: list[tuple[np.ndarray, np.ndarray]] = []
    for h in range(n):
        new = np.full_like(value, -np.inf)
        pointer = np.full(value.shape, -1, dtype=np.int64)
        took = np.zeros(value.shape, dtype=bool)

        tables = (value, new, pointer, took)
        step = float(gain[h])
        for state, i in index.items():
            if not np.isfinite(value[i]).any():
                continue
            if state[0] == "open":
                p = state[1]
                if free[h]:
                    _relax(tables, i, index[("open", min(p + 1, cap))], step)
                _relax(tables, i, index[("closed", p, 0)], None)
            else:
                _, pre, run = state
                if free[h]:
                    _relax(tables, i, index[("closed", pre, min(run + 1, cap))], step)
                if run == 0 or run >= cap:
                    _relax(tables, i, index[("closed", pre, 0)], None)
        value = new
        history.append((pointer, took))

    best_value, best_state, best_k = 0.0, index[("closed", 0, 0)], 0
    found = False
    for state, i in index.items():
        if not _ends_validly(state, cap):
            continue
        for k in range(budget + 1):
            v = value[i, k]
            tolerance = 1e-9 * max(1.0, abs(best_value))
            if np.isfinite(v) and (
                not found
                or v > best_value + tolerance
                or (abs(v - best_value) <= tolerance and k < best_k)
            ):
                best_value, best_state, best_k, found = float(v), i, k, True
    chosen = []
    at, k = best_state, best_k
    for h in range(n - 1, -1, -1):
        pointer, took = history[h]
        if took[at, k]:
            chosen.append(h)
            at, k = int(pointer[at, k]), k - 1
        else:
            at = int(pointer[at, k])
    return tuple(sorted(chosen)), best_value


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
        """Covered weight-hours with the plan."""
        return self.baseline_total + self.gain

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
                "covered_after": g.covered[h] + g.gain[h] / g.demand[h] if g.demand[h] else 0,
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
    engine: Any,
    service_id: str,
    extra_hours: int,
    *,
    weights: np.ndarray,
    threshold: float = 60.0,
    demand: np.ndarray | None = None,
    min_block: int = 1,
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
        Shortest shift in hours (``1``: any hours).
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
        engine, service_id, weights=weights, threshold=threshold, demand=demand, **filters
    )
    free_chosen, free_gain = best_hours(gains.gain, gains.available, extra_hours)
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


def _current_hours(engine: Any, service_id: str, overrides: Mapping[str, str] | None) -> str:
    if overrides and service_id in overrides:
        return str(overrides[service_id])
    return str(_service_row(engine, service_id)["opening_hours"] or "")


def covered_weight_hours(
    engine: Any,
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
