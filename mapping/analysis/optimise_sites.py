"""Where should a new site go? Maximal covering (MCLP) and p-median with PySAL spopt.

The existing open services of the category are fixed facilities; ``K`` new sites are
chosen among candidate sites. Travel minutes from each candidate to every origin come
from one shortest-path search per candidate and speed profile on the same road network
and with the same snapping as the travel engine (:func:`mapping.routing.matrix.od_matrix`, which
runs :func:`scipy.sparse.csgraph.dijkstra` backwards from the candidates with
``indices``), so a chosen site scores the same here as in the scenario it is written to.

Times
    The objective is summed over the times asked for (``at``), or over the 168 hours of
    the week when none is given. Hours with the same open services and speed profile
    (and the same open state of the new site) are one demand block weighted by how many
    hours share it, as in :mod:`mapping.analysis.week`.

MCLP (``method="mclp"``)
    Maximise weight-hours within the threshold of an open facility. Demand points are the
    population-weighted origins themselves, not LSOA centroids: the scenario comparison
    and the coverage tables count origins, so the optimiser does too. The model is kept
    small *exactly*: only whether each facility covers each origin matters, so origins
    (and blocks of hours) with the same coverage pattern are merged into one demand row
    carrying their summed weight, and rows that nothing can cover are dropped. The open
    existing services enter as one fixed facility (spopt's
    ``predefined_facilities_arr``): forcing all of them open is the same as forcing open
    one column that covers what any of them covers.
P-median (``method="pmedian"``)
    Minimise weighted travel minutes to the nearest open facility. Its assignment
    variables grow with demand rows times facilities, so demand is aggregated to LSOAs
    (945 in Lancashire): the cost of an LSOA to a facility is the weighted mean of its
    origins' minutes. That is exact when all of an LSOA's origins share their nearest
    facility and an approximation otherwise; the chosen sites are then re-scored exactly
    at origin level. People with no facility within reach cost
    :data:`UNREACHED_MINUTES`. Rows no candidate can improve are left out, and
    assignments to a candidate no nearer than the existing services are fixed to zero
    (both exact: the existing services are always open).

Both are solved by HiGHS (default) or CBC through ``pulp``, with a time limit; the
status and the relative optimality gap are reported (0 when proven optimal).

Default candidates
    The centres of towns and larger settlements, derived from the data by
    :func:`mapping.analysis.towns.settlement_candidates`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from mapping.analysis.age_split import AgePart
from mapping.analysis.week import (
    HourKey,
    hour_times,
    minutes_for_key,
    open_sets,
)
from mapping.errors import ServiceMapError
from mapping.routing.eligibility import serves_ages

if TYPE_CHECKING:
    from mapping.network.graph import RoadNetwork
    from mapping.routing.engine import TravelEngine


__all__ = [
    "DEFAULT_TIME_LIMIT_S",
    "UNREACHED_MINUTES",
    "SiteProblem",
    "SitesPlan",
    "build_problem",
    "candidate_minutes",
    "evaluate_sites",
    "optimise_sites",
]

Method = Literal["mclp", "pmedian"]
#: Seconds the solver may take before it returns its best plan (with its gap).
DEFAULT_TIME_LIMIT_S = 120.0
#: P-median cost of having no open facility within reach: four hours (an assumption,
#: larger than any drive in the study area so the model always prefers reaching people).
UNREACHED_MINUTES = 240.0


# ---- travel times to candidates --------------------------------------------------------


def candidate_minutes(
    network: RoadNetwork, origins_xy: np.ndarray, candidates_xy: np.ndarray, profile: str
) -> np.ndarray:
    """Minutes from every origin to every candidate: ``(n_origins, n_candidates)``.

    One backward dijkstra per candidate (:func:`mapping.routing.matrix.od_matrix`), snap time at
    both ends; ``inf`` where unreachable. Rounded to float32 like the engine's vectors,
    so a threshold test gives the same answer here and in a scenario.

    Raises
    ------
    ServiceMapError
        If a candidate is off the road network.
    """
    from mapping.routing.matrix import od_matrix

    od = od_matrix(network, origins_xy, candidates_xy, profile)
    if not od.destination_ok.all():
        bad = np.flatnonzero(~od.destination_ok)
        raise ServiceMapError(f"candidate site(s) {bad.tolist()} are off the road network")
    minutes = np.where(np.isnan(od.minutes), np.inf, od.minutes)
    return minutes.astype(np.float32).astype(np.float64)


# ---- the problem ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """One distinct (open services, profile, new site open) state and its hours."""

    key: HourKey
    new_open: bool
    hours: float
    #: Each age group's key (one: ``(key,)``); ``key`` is the first group's.
    part_keys: tuple[HourKey, ...] = ()


@dataclass
class SiteProblem:
    """Everything the solvers and the evaluator need, computed once.

    Attributes
    ----------
    candidates
        The candidate sites (``name``, ``easting``, ``northing``, ...).
    weights
        Per demand row: the origins, once per age group (engine order in each).
    threshold
        Minutes.
    blocks
        Distinct states of the week (or of the times asked for) with their hours.
    baseline
        Per block: minutes from every origin to the nearest open existing service.
    minutes
        Per speed profile: ``(n_origins, n_candidates)`` minutes to each candidate.
    groups
        Per-origin LSOA (p-median demand unit).
    """

    candidates: pd.DataFrame
    weights: np.ndarray
    threshold: float
    blocks: list[_Block]
    baseline: list[np.ndarray]
    minutes: dict[str, np.ndarray]
    groups: np.ndarray
    times_label: str = "the whole week"
    build_seconds: float = 0.0

    def site_minutes(self, b: int, sites: Sequence[int]) -> np.ndarray:
        """Minutes to the nearest open facility in block ``b`` with ``sites`` added."""
        best = self.baseline[b]
        block = self.blocks[b]
        if block.new_open and len(sites):
            nearest_new = self.minutes[block.key.profile][:, list(sites)].min(axis=1)
            best = np.minimum(best, nearest_new)
        return best


def build_problem(
    engine: TravelEngine,
    category: str,
    candidates: pd.DataFrame,
    *,
    origins_xy: np.ndarray,
    weights: np.ndarray,
    groups: np.ndarray,
    threshold: float = 60.0,
    at: Iterable[str | datetime] | None = None,
    new_hours: str = "24/7",
    age_band: str | tuple[int, int | None] | None = None,
    exclude: Iterable[str] = (),
    extra_services: Iterable[str] = (),
    hours_override: Mapping[str, str] | None = None,
    parts: Sequence[AgePart] | None = None,
    new_ages: tuple[int | None, int | None] = (None, None),
) -> SiteProblem:
    """Compute the blocks of time, baseline minutes and candidate minutes.

    Parameters
    ----------
    engine
        A :class:`mapping.routing.engine.TravelEngine` (its register gives the fixed sites).
    category
        Category of the existing services and of the new site.
    candidates
        Candidate sites with ``easting``/``northing`` (EPSG:27700) and ``name``.
    origins_xy, weights, groups
        Per origin (engine order): position, weight and LSOA code.
    threshold
        Minutes.
    at
        Times of week (``"Sat 02:00"``) or ISO date-times; ``None`` for every hour.
    new_hours
        Opening hours of the new site (a new SARC is 24/7).
    age_band, exclude, extra_services, hours_override
        Eligibility and a scenario's changes, as for
        :func:`mapping.analysis.week.open_sets`.
    parts
        Age groups (:class:`~mapping.analysis.age_split.AgePart`; ``weights`` and
        ``age_band`` then unused). The demand rows are the origins once per group, each
        group's baseline the nearest open existing service that sees it, and a new site
        counts for a group only if ``new_ages`` (its ``min_age``, ``max_age``) see it.
        ``None``: one group, ``weights`` of ``age_band``.
    """
    from mapping.inputs.vocabulary import siting_refusal

    if (refusal := siting_refusal(category)) is not None:
        raise ServiceMapError(refusal)
    from mapping.inputs.hours import HoursError, is_open, parse_when, validate_hours

    started = time.perf_counter()
    problem = validate_hours(new_hours)
    if problem:
        raise HoursError(problem)
    if candidates.empty:
        raise ServiceMapError("no candidate sites")
    if parts is None:
        parts = (AgePart(age_band, np.asarray(weights, dtype=float), np.asarray(weights)),)
    filters: dict[str, Any] = {
        "exclude": list(exclude),
        "extra_services": list(extra_services),
        "hours_override": dict(hours_override or {}),
    }
    per_part: list[list[HourKey]] = []
    for part in parts:
        if at is None:
            per_part.append(list(open_sets(engine, category, age_band=part.band, **filters).keys))
            continue
        keys = []
        for when in (parse_when(t) for t in at):
            query = engine.query(category, when, part.band, None, **filters)
            rows = engine.eligible_rows(query)
            keys.append(HourKey(tuple(engine.service_ids[i] for i in rows), query.profile))
        per_part.append(keys)
    if at is None:
        times = hour_times()
        label = "the whole week"
    else:
        times = [parse_when(t) for t in at]
        if not times:
            raise ServiceMapError("give at least one time (--at)")
        label = ", ".join(str(t) for t in at)
    counts: dict[tuple[tuple[HourKey, ...], bool], float] = {}
    for hour, when in zip(zip(*per_part, strict=True), times, strict=True):
        state = (tuple(hour), bool(is_open(new_hours, when)))
        counts[state] = counts.get(state, 0.0) + 1.0
    blocks = [_Block(keys[0], new_open, hours, keys) for (keys, new_open), hours in counts.items()]
    cache: dict[HourKey, np.ndarray] = {}
    baseline = [
        np.concatenate([minutes_for_key(engine, key, cache) for key in block.part_keys])
        for block in blocks
    ]
    xy = candidates[["easting", "northing"]].to_numpy(float)
    # A new site counts for the groups whose ages it sees (inf minutes for the others).
    sees = [part.band is None or bool(serves_ages(*new_ages, part.band)) for part in parts]
    minutes = {}
    for profile in sorted({b.key.profile for b in blocks if b.new_open}):
        one = candidate_minutes(engine.network, origins_xy, xy, profile)
        minutes[profile] = np.vstack([one if ok else np.full_like(one, np.inf) for ok in sees])
    stacked = np.concatenate([np.asarray(p.weights, dtype=float) for p in parts])
    codes = np.asarray(groups).astype(str)
    if len(parts) > 1:  # p-median demand units: an LSOA's people of one age group
        codes = np.concatenate([np.char.add(codes, f"|{p.label}") for p in parts])
    return SiteProblem(
        candidates=candidates.reset_index(drop=True),
        weights=stacked,
        threshold=float(threshold),
        blocks=blocks,
        baseline=baseline,
        minutes=minutes,
        groups=codes,
        times_label=label,
        build_seconds=time.perf_counter() - started,
    )


# ---- exact evaluation -----------------------------------------------------------------


@dataclass(frozen=True)
class SiteScore:
    """Exact origin-level figures for a set of sites (summed over the blocks' hours)."""

    covered: float
    mean_minutes: float
    unreached: float


def evaluate_sites(problem: SiteProblem, sites: Sequence[int]) -> SiteScore:
    """Weight-hours within the threshold and weighted mean minutes with ``sites`` added."""
    covered = weighted = reached_weight = unreached = 0.0
    w = problem.weights
    for b, block in enumerate(problem.blocks):
        best = problem.site_minutes(b, sites)
        reached = np.isfinite(best)
        covered += block.hours * float(w[best <= problem.threshold].sum())
        weighted += block.hours * float((w[reached] * best[reached]).sum())
        reached_weight += block.hours * float(w[reached].sum())
        unreached += block.hours * float(w[~reached].sum())
    mean = weighted / reached_weight if reached_weight else float("nan")
    return SiteScore(covered=covered, mean_minutes=mean, unreached=unreached)


# ---- the models -----------------------------------------------------------------------


def _mclp_rows(problem: SiteProblem) -> tuple[np.ndarray, np.ndarray]:
    """Coverage patterns (existing + candidates) and their weights, merged exactly."""
    n_candidates = len(problem.candidates)
    patterns, weights = [], []
    keep = problem.weights > 0
    for b, block in enumerate(problem.blocks):
        covers = np.zeros((int(keep.sum()), 1 + n_candidates), dtype=bool)
        covers[:, 0] = problem.baseline[b][keep] <= problem.threshold
        if block.new_open:
            covers[:, 1:] = problem.minutes[block.key.profile][keep] <= problem.threshold
        patterns.append(covers)
        weights.append(problem.weights[keep] * block.hours)
    stacked = np.vstack(patterns)
    weight = np.concatenate(weights)
    useful = stacked.any(axis=1)
    stacked, weight = stacked[useful], weight[useful]
    unique, inverse = np.unique(np.packbits(stacked, axis=1), axis=0, return_inverse=True)
    merged = np.bincount(inverse.ravel(), weights=weight, minlength=len(unique))
    rows = np.unpackbits(unique, axis=1, count=stacked.shape[1]).astype(bool)
    return rows, merged


def _pmedian_rows(problem: SiteProblem) -> tuple[np.ndarray, np.ndarray]:
    """LSOA-by-block cost rows (existing + candidates) and their weights."""
    codes, group = np.unique(problem.groups, return_inverse=True)
    w = problem.weights
    n_candidates = len(problem.candidates)
    costs, weights = [], []
    group_weight = np.bincount(group, weights=w, minlength=len(codes))
    has = group_weight > 0
    for b, block in enumerate(problem.blocks):
        columns = [np.minimum(problem.baseline[b], UNREACHED_MINUTES)]
        if block.new_open:
            cand = np.minimum(problem.minutes[block.key.profile], UNREACHED_MINUTES)
            columns += [cand[:, j] for j in range(n_candidates)]
        else:
            columns += [np.full(len(w), UNREACHED_MINUTES)] * n_candidates
        cost = np.column_stack(
            [np.bincount(group, weights=w * c, minlength=len(codes)) for c in columns]
        )
        costs.append(cost[has] / group_weight[has, None])
        weights.append(group_weight[has] * block.hours)
    return np.vstack(costs), np.concatenate(weights)


def _solver(name: str, time_limit: float, method: str = "mclp") -> Any:
    import pulp

    if name == "highs":
        options: dict[str, Any] = {
            # gapRel=0: "optimal" means proven optimal, not within HiGHS's default 0.01%.
            "gapRel": 0.0,
            # Presolve probing spends minutes on the p-median's many binary assignment
            # variables (measured: no progress in 30 s on 945 LSOAs x 39 sites); switching
            # that one rule off (bit 15) lets the search start.
            "presolve_rule_off": 2**15,
        }
        if method == "pmedian":
            # Its LP relaxation is large and degenerate: the interior-point solver takes
            # the whole-week K = 1 model to proven optimality in about 50 s where dual
            # simplex was still at the root after 120 s (2-core machine, shared).
            options["mip_lp_solver"] = "ipm"
        return pulp.HiGHS(msg=False, timeLimit=time_limit, **options)
    if name == "cbc":
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=0.0)
    raise ServiceMapError(f"unknown solver {name!r}: use highs or cbc")


def _solver_report(model: Any, solver_name: str) -> tuple[str, float | None]:
    """The solver's status in words and its relative optimality gap (``None``: unknown)."""
    import pulp

    problem = model.problem
    if solver_name == "highs" and getattr(problem, "solverModel", None) is not None:
        highs = problem.solverModel
        status = highs.modelStatusToString(highs.getModelStatus())
        gap = float(highs.getInfo().mip_gap)
        if status == "Optimal":
            gap = max(gap, 0.0)
        return status, gap if np.isfinite(gap) else None
    status = pulp.LpStatus.get(problem.status, str(problem.status))
    proven = problem.sol_status == pulp.LpSolutionOptimal
    return status, 0.0 if proven else None


@dataclass(frozen=True)
class SitesPlan:
    """The chosen sites and what they buy.

    Attributes
    ----------
    method
        ``"mclp"`` or ``"pmedian"``.
    chosen
        Rows of ``candidates`` chosen, in order of their value alone.
    candidates
        The candidate sites.
    baseline, plan
        Exact origin-level scores without and with the chosen sites.
    marginal
        Per chosen site: weight-hours lost if it alone were dropped.
    status, gap
        Solver status and relative optimality gap (0 when proven optimal; ``None``
        when the solver does not say).
    solve_seconds, build_seconds
        Time to solve the model, and to compute its travel times.
    model_rows
        Demand rows of the model after merging.
    threshold, times_label, new_hours
        The threshold, which times were summed and the new sites' hours.
    """

    method: str
    chosen: tuple[int, ...]
    candidates: pd.DataFrame
    baseline: SiteScore
    plan: SiteScore
    marginal: tuple[float, ...]
    status: str
    gap: float | None
    solve_seconds: float
    build_seconds: float
    model_rows: int
    threshold: float
    times_label: str
    new_hours: str

    @property
    def sites(self) -> pd.DataFrame:
        """The chosen candidates with ``marginal`` weight-hours."""
        table = self.candidates.iloc[list(self.chosen)].copy()
        table["marginal"] = list(self.marginal)
        return table.reset_index(drop=True)

    def to_scenario(
        self,
        *,
        category: str,
        name: str | None = None,
        min_age: int | None = None,
        max_age: int | None = None,
        crime_types: Sequence[str] | None = None,
    ) -> Any:
        """A :class:`mapping.inputs.scenario_file.Scenario` adding the chosen sites."""
        from mapping.inputs.scenario_file import AddChange, Scenario

        changes = []
        for _, site in self.sites.iterrows():
            located: dict[str, Any] = {}
            if isinstance(site.get("postcode"), str) and site["postcode"]:
                located["postcode"] = site["postcode"]
            else:
                located.update(lon=float(site["lon"]), lat=float(site["lat"]))
            changes.append(
                AddChange(
                    kind="add",
                    name=f"New {category.upper() if category == 'sarc' else category}: "
                    f"{site['name']}",
                    category=category,
                    opening_hours=self.new_hours,
                    min_age=min_age,
                    max_age=max_age,
                    crime_types=tuple(crime_types) if crime_types else None,
                    **located,
                )
            )
        title = name or f"{len(changes)} new {category} site(s), {self.method.upper()}"
        description = (
            f"Chosen by service-map optimise sites ({self.method}, {self.threshold:g} min, "
            f"{self.times_label}; solver status {self.status}, gap "
            f"{'unknown' if self.gap is None else f'{self.gap:.2%}'})."
        )
        return Scenario(name=title, description=description, changes=tuple(changes))


def _break_ties(problem: SiteProblem, sites: list[int]) -> list[int]:
    """Among plans covering as much, prefer lower mean minutes (swap search).

    MCLP often has many optimal plans (at night every town centre may reach everyone);
    the solver's pick among them is arbitrary. A chosen site is swapped for another
    candidate while coverage does not fall and mean minutes fall, so the primary
    objective stays optimal and the reported plan is a sensible representative.
    """
    best = list(sites)
    score = evaluate_sites(problem, best)
    tolerance = 1e-9 * max(score.covered, 1.0)
    improved = True
    while improved:
        improved = False
        for i in range(len(best)):
            for other in range(len(problem.candidates)):
                if other in best:
                    continue
                trial = [*best[:i], other, *best[i + 1 :]]
                result = evaluate_sites(problem, trial)
                if (
                    result.covered >= score.covered - tolerance
                    and result.mean_minutes < score.mean_minutes - 1e-9
                ):
                    best, score, improved = trial, result, True
    return best


def _build_model(problem: SiteProblem, add: int, method: str, fixed: np.ndarray) -> Any:
    """The spopt model: existing services as one predefined facility, then candidates."""
    from spopt.locate import MCLP, PMedian

    if method == "mclp":
        rows, weights = _mclp_rows(problem)
        # spopt reads coverage from costs: 0 covers, 2 does not (radius 1).
        cost = np.where(rows, 0.0, 2.0)
        return MCLP.from_cost_matrix(
            cost,
            weights,
            service_radius=1.0,
            p_facilities=add + 1,
            predefined_facilities_arr=fixed,
        )
    if method == "pmedian":
        cost, weights = _pmedian_rows(problem)
        # Exact reductions: the existing services are always open, so a row no candidate
        # beats costs the same in every plan (dropped; a constant), and a row is never
        # better off assigned to a candidate no nearer than them (variable fixed to 0).
        dominated = cost[:, 1:] >= cost[:, [0]]
        keep = ~dominated.all(axis=1)
        cost, weights, dominated = cost[keep], weights[keep], dominated[keep]
        model = PMedian.from_cost_matrix(
            cost, weights, p_facilities=add + 1, predefined_facilities_arr=fixed
        )
        # cli_assgn_vars is not among spopt's documented attributes: spopt is pinned <0.8
        # and tests/test_contracts.py checks what it holds.
        for i, j in zip(*np.nonzero(dominated), strict=True):
            model.cli_assgn_vars[i][j + 1].upBound = 0
        return model
    raise ServiceMapError(f"unknown method {method!r}: use mclp or pmedian")


def optimise_sites(
    problem: SiteProblem,
    add: int,
    *,
    method: Method = "mclp",
    solver: str = "highs",
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    new_hours: str = "24/7",
) -> SitesPlan:
    """Choose ``add`` new sites among the problem's candidates.

    Parameters
    ----------
    problem
        From :func:`build_problem`.
    add
        Number of new sites (``K``).
    method
        ``"mclp"`` (most weight-hours within the threshold) or ``"pmedian"`` (least
        weighted minutes).
    solver
        ``"highs"`` (default) or ``"cbc"``.
    time_limit
        Seconds before the solver returns its best plan so far.
    new_hours
        Hours of the new sites (recorded in the plan and its scenario).

    Returns
    -------
    SitesPlan
    """
    n_candidates = len(problem.candidates)
    if not 1 <= int(add) <= n_candidates:
        raise ServiceMapError(f"--add must be 1 to {n_candidates} (the candidates), not {add}")
    fixed = np.zeros(1 + n_candidates, dtype=int)
    fixed[0] = 1  # the open existing services, as one facility that is always open
    started = time.perf_counter()
    with warnings.catch_warnings():
        # spopt builds variables the way PuLP 4 will deprecate; nothing for us to act on.
        warnings.simplefilter("ignore", DeprecationWarning)
        model = _build_model(problem, int(add), method, fixed)
    try:
        # Quiet through the solvers' own options (msg=False). HiGHS still writes its
        # two-line banner once per process when its first instance is made, before any
        # option can be set (ERGO-Code/HiGHS#1932); the process's streams are not touched.
        model.solve(_solver(solver, time_limit, method), results=False)
    except RuntimeError as exc:  # spopt: the model is not solved
        raise ServiceMapError(f"the {method} model was not solved: {exc}") from None
    seconds = time.perf_counter() - started
    status, gap = _solver_report(model, solver)
    opened = [j - 1 for j, var in enumerate(model.fac_vars) if j and (var.value() or 0) > 0.5]
    if method == "mclp":
        opened = _break_ties(problem, opened)
    plan = evaluate_sites(problem, opened)
    marginal = [
        plan.covered - evaluate_sites(problem, [s for s in opened if s != site]).covered
        for site in opened
    ]
    order = sorted(range(len(opened)), key=lambda i: -marginal[i])
    return SitesPlan(
        method=method,
        chosen=tuple(opened[i] for i in order),
        candidates=problem.candidates,
        baseline=evaluate_sites(problem, []),
        plan=plan,
        marginal=tuple(marginal[i] for i in order),
        status=status,
        gap=gap,
        solve_seconds=seconds,
        build_seconds=problem.build_seconds,
        model_rows=len(model.cli_vars) if method == "mclp" else len(model.cli_assgn_vars),
        threshold=problem.threshold,
        times_label=problem.times_label,
        new_hours=new_hours,
    )
