"""Tests of the hours optimiser (:mod:`mapping.analysis.optimise_hours`) and demand files.

The optimality claims are checked against brute force: the shift dynamic programme on
random small cycles, and the whole optimiser end to end on a hand-built network where
every plan of a few hours is evaluated by the week profile with its hours applied.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from shapely.geometry import Point

from mapping.analysis.optimise_hours import (
    best_blocks,
    best_hours,
    covered_weight_hours,
    cyclic_runs,
    hour_gains,
    hours_rules,
    merge_hours,
    optimise_hours,
    week_weight_minutes,
)
from mapping.analysis.week import hour_label
from mapping.errors import ServiceMapError
from mapping.inputs.demand import read_demand, uniform_demand
from mapping.inputs.hours import is_open
from mapping.network.graph import RoadNetwork
from mapping.routing.engine import TravelEngine

SPACING = 500.0


def line_network(n: int = 8, seconds: float = 600.0) -> RoadNetwork:
    """Two-way road 0 - 1 - ... - n-1: 10 min a hop at free flow, 15 min by day."""
    xy = np.column_stack([350_000.0 + SPACING * np.arange(n), np.full(n, 430_000.0)])
    rows = [i for i in range(n - 1)] + [i + 1 for i in range(n - 1)]
    cols = [i + 1 for i in range(n - 1)] + [i for i in range(n - 1)]
    free = sp.csr_matrix((np.full(len(rows), seconds), (rows, cols)), shape=(n, n))
    day = free.copy()
    day.data = day.data * 1.5
    return RoadNetwork(
        node_xy=xy,
        seconds={"free_flow": free, "daytime": day},
        length_m=free.copy(),
        highway=np.full(free.nnz, "urban", dtype=object),
        source="offline",
        meta={"test": True},
    )


#: Open except 21:00-22:00 every day and 07:00-09:00 at weekends: 11 closed hours.
TARGET_HOURS = "Mo-Su 00:00-21:00,22:00-24:00; Sa,Su 00:00-07:00,09:00-21:00,22:00-24:00"


def small_engine() -> TravelEngine:
    """Target on node 2; a Saturday-only service on node 0; a 24/7 one on node 7.

    Origins on nodes 0, 3, 4 and 5. Within 25 minutes, opening the target gains 870 at
    night (origins 0, 3, 4), 370 on Saturday night (the Saturday service has origin 0)
    and 300 by day (origin 3 only: 15 min a hop), so hours differ by day and profile.
    """
    net = line_network()
    rows = [("target", 2, TARGET_HOURS), ("saturday", 0, "Sa 00:00-24:00"), ("far", 7, "24/7")]
    services = pd.DataFrame(
        [
            {
                "id": sid,
                "name": sid,
                "category": "sarc",
                "opening_hours": hours,
                "min_age": pd.NA,
                "max_age": pd.NA,
                "crime_types": ("all",),
                "provider_area": "Lancashire",
                "geometry": Point(350_000.0 + SPACING * node, 430_000.0),
            }
            for sid, node, hours in rows
        ]
    )
    return TravelEngine(net, net.node_xy[[0, 3, 4, 5]], services)


WEIGHTS = np.array([500.0, 300.0, 70.0, 40.0])


def brute_force_best(gain: np.ndarray, free: np.ndarray, budget: int, block: int) -> float:
    hours = np.flatnonzero(free)
    best = 0.0
    for k in range(1, min(budget, hours.size) + 1):
        for subset in itertools.combinations(hours, k):
            if all(length >= block for _, length in cyclic_runs(subset, gain.size)):
                best = max(best, float(gain[list(subset)].sum()))
    return best


def test_best_blocks_agrees_with_brute_force_on_random_cycles() -> None:
    rng = np.random.default_rng(13)
    for case in range(250):
        n = int(rng.integers(4, 12))
        gain = np.round(rng.exponential(10, n) * (rng.random(n) > 0.2), 1)
        free = rng.random(n) > 0.25
        budget = int(rng.integers(0, n + 1))
        block = int(rng.integers(1, 5))
        chosen, value = best_blocks(gain, free, budget, block)
        expected = brute_force_best(gain, free, budget, block)
        assert value == pytest.approx(expected), (case, gain, free, budget, block)
        assert value == pytest.approx(gain[list(chosen)].sum() if chosen else 0.0)
        assert len(chosen) <= budget and all(free[h] for h in chosen)
        assert all(length >= block for _, length in cyclic_runs(chosen, n))
        if block == 1:
            _, greedy = best_hours(gain, free, budget)
            assert greedy == pytest.approx(expected)


def test_blocks_wrap_round_the_week() -> None:
    gain = np.zeros(10)
    gain[[9, 0]] = 5.0  # a good pair across the wrap, nothing else
    chosen, value = best_blocks(gain, np.ones(10, bool), budget=3, min_block=3)
    assert value == 10.0
    assert cyclic_runs(chosen, 10) in ([(8, 3)], [(9, 3)])
    assert cyclic_runs([9, 0, 1, 5], 10) == [(5, 1), (9, 3)]
    assert cyclic_runs(range(10), 10) == [(0, 10)]


def test_hours_rules_and_merge() -> None:
    evenings = [d * 24 + h for d in range(7) for h in range(16, 24)]
    assert hours_rules(evenings) == "Mo-Su 16:00-24:00"
    odd = [0, 1, 2, 24 + 5, 48 + 5, 120 + 23, 144 + 23]
    assert hours_rules(odd) == "Mo 00:00-03:00, Tu,We 05:00-06:00, Sa,Su 23:00-24:00"
    merged = merge_hours("Mo-Fr 08:00-16:00", evenings)
    assert merged == "Mo-Fr 08:00-16:00, Mo-Su 16:00-24:00"
    assert is_open(merged, "Mon 10:00") and is_open(merged, "Sat 23:30")
    assert not is_open(merged, "Sat 10:00")
    assert merge_hours("", [3]) == "Mo 03:00-04:00"
    assert merge_hours("Mo-Fr 08:00-16:00", []) == "Mo-Fr 08:00-16:00"


def test_largest_gains_are_optimal_against_brute_force_end_to_end() -> None:
    """Every 3-hour plan, evaluated on the whole week with its hours applied."""
    engine = small_engine()
    kwargs = {"weights": WEIGHTS, "threshold": 25.0}
    plan = optimise_hours(engine, "target", 3, objective="coverage", **kwargs)
    gains = plan.gains
    closed = np.flatnonzero(gains.available)
    assert closed.size == 11
    # Gains differ by day and profile (the Saturday service covers node 0 on Saturday).
    assert sorted(set(np.round(gains.gain[closed], 6))) == [300.0, 370.0, 870.0]
    evaluated = {}
    for subset in itertools.combinations(closed, 3):
        expression = merge_hours(TARGET_HOURS, subset)
        evaluated[subset] = covered_weight_hours(
            engine, "sarc", hours_override={"target": expression}, **kwargs
        )
    best = max(evaluated.values())
    assert plan.plan_total == pytest.approx(best)
    assert evaluated[plan.chosen] == pytest.approx(best)
    # The plan's own figure agrees with the week evaluated under its hours.
    today = covered_weight_hours(engine, "sarc", **kwargs)
    assert plan.baseline_total == pytest.approx(today)
    assert plan.opening_hours.startswith(TARGET_HOURS + ", ")
    assert list(plan.per_hour()["time"]) == [hour_label(h) for h in plan.chosen]


def test_shift_plans_are_optimal_against_brute_force_end_to_end() -> None:
    engine = small_engine()
    kwargs = {"weights": WEIGHTS, "threshold": 25.0}
    plan = optimise_hours(engine, "target", 4, min_block=2, objective="coverage", **kwargs)
    closed = np.flatnonzero(plan.gains.available)
    best = 0.0
    for k in range(1, 5):
        for subset in itertools.combinations(closed, k):
            if all(length >= 2 for _, length in cyclic_runs(subset)):
                expression = merge_hours(TARGET_HOURS, subset)
                total = covered_weight_hours(
                    engine, "sarc", hours_override={"target": expression}, **kwargs
                )
                best = max(best, total - plan.baseline_total)
    assert plan.gain == pytest.approx(best)
    assert all(length >= 2 for _, length in plan.blocks)
    free = optimise_hours(engine, "target", 4, objective="coverage", **kwargs)
    assert plan.block_cost == pytest.approx(free.gain - plan.gain)
    assert plan.block_cost >= 0


def test_demand_changes_the_choice(tmp_path: Path) -> None:
    engine = small_engine()
    base = optimise_hours(
        engine, "target", 1, weights=WEIGHTS, threshold=25.0, objective="coverage"
    )
    demand = uniform_demand()
    demand[[d * 24 + 21 for d in range(7)]] = 0.0  # nobody needs the 21:00 hours
    demand[144 + 8] = 3.0  # Sunday 08:00 busy
    shifted = optimise_hours(
        engine, "target", 1, weights=WEIGHTS, threshold=25.0, demand=demand, objective="coverage"
    )
    assert shifted.chosen == (152,)
    assert base.chosen != shifted.chosen


def test_bad_requests_are_clear_errors() -> None:
    engine = small_engine()
    with pytest.raises(ServiceMapError, match="unknown service"):
        optimise_hours(engine, "nope", 3, weights=WEIGHTS)
    with pytest.raises(ServiceMapError, match="open in every hour"):
        optimise_hours(engine, "far", 3, weights=WEIGHTS)
    with pytest.raises(ServiceMapError, match="extra-hours"):
        optimise_hours(engine, "target", 0, weights=WEIGHTS)
    with pytest.raises(ServiceMapError, match="min-block"):
        optimise_hours(engine, "target", 3, weights=WEIGHTS, min_block=0)
    with pytest.raises(ServiceMapError, match="weights"):
        hour_gains(engine, "target", weights=np.ones(2))


# ---- demand files -----------------------------------------------------------------------


def write_demand(path: Path, rows: list[str]) -> Path:
    path.write_text("day,hour,demand\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def full_week_rows() -> list[str]:
    days = ("Mon", "Tuesday", "we", "Thu", "Fri", "Sat", "Sun")
    return [f"{d},{h},{1 + (h >= 18)}" for d in days for h in range(24)]


def test_demand_file_is_read_and_scaled(tmp_path: Path) -> None:
    demand = read_demand(write_demand(tmp_path / "d.csv", full_week_rows()))
    assert demand.shape == (168,)
    assert demand.mean() == pytest.approx(1.0)
    assert demand[18] == pytest.approx(2 * demand[17])  # Monday 18:00 twice Monday 17:00


def test_demand_file_problems_name_file_row_and_field(tmp_path: Path) -> None:
    rows = full_week_rows()
    rows[2] = "Mon,2,-1"  # row 4 in the file
    rows[3] = "Mun,3,1"  # row 5
    rows[4] = "Mon,24,1"  # row 6
    rows[5] = "Mon,1,1"  # row 7: a second Mon 01:00 (Mon 05:00 is then missing)
    path = write_demand(tmp_path / "bad.csv", rows)
    with pytest.raises(ServiceMapError) as error:
        read_demand(path)
    message = str(error.value)
    assert f"{path}:4:demand: '-1' is not a non-negative number" in message
    assert f"{path}:5:day: 'Mun' is not a day name" in message
    assert f"{path}:6:hour: '24' is not an hour of the day" in message
    assert f"{path}:7:day,hour: Mon 01:00 given twice (first on row 3)" in message
    short = write_demand(tmp_path / "short.csv", full_week_rows()[:-2])
    with pytest.raises(ServiceMapError, match=r"2 hour\(s\) of the week have no row: Sun 22:00"):
        read_demand(short)
    (tmp_path / "cols.csv").write_text("day,when,demand\n", encoding="utf-8")
    with pytest.raises(ServiceMapError, match=r"cols.csv:1:hour: missing column"):
        read_demand(tmp_path / "cols.csv")
    with pytest.raises(ServiceMapError, match="no such file"):
        read_demand(tmp_path / "absent.csv")
    zeros = [r.rsplit(",", 1)[0] + ",0" for r in full_week_rows()]
    with pytest.raises(ServiceMapError, match="zero demand"):
        read_demand(write_demand(tmp_path / "zero.csv", zeros))


# ---- the real network, origins and register -----------------------------------------


@pytest.fixture
def study_engine(study) -> TravelEngine:
    """The shared study's engine (real network, origins and register)."""
    return study.engine


def test_real_preston_sarc_56_hours_beat_the_evenings(study_engine: TravelEngine) -> None:
    """Issue 13: the plan covers at least as many resident-hours as Mo-Su 16:00-24:00."""
    weights = study_engine.origins["population"].to_numpy(float)
    sid = "sarc-preston-safe-centre"
    plan = optimise_hours(
        study_engine, sid, 56, weights=weights, threshold=60, objective="coverage"
    )
    assert len(plan.chosen) == 56
    evenings = covered_weight_hours(
        study_engine,
        "sarc",
        weights=weights,
        hours_override={sid: "Mo-Fr 08:00-16:00, Mo-Su 16:00-24:00"},
    )
    checked = covered_weight_hours(
        study_engine, "sarc", weights=weights, hours_override={sid: plan.opening_hours}
    )
    assert checked == pytest.approx(plan.plan_total, rel=1e-9)
    assert plan.plan_total >= evenings
    assert plan.gains.computations <= 6


def test_ties_extend_the_opening_hours_first() -> None:
    # Open 4-5 on a 10-hour cycle; every closed hour gains the same.
    gain = np.ones(10)
    free = np.ones(10, bool)
    free[[4, 5]] = False
    chosen, value = best_hours(gain, free, 2)
    assert chosen == (3, 6) and value == 2.0  # both ends of the opening, not hours 0 and 1
    chosen, _ = best_hours(gain, free, 5)
    assert chosen == (1, 2, 3, 6, 7)  # grows both ends in turn; the earlier hour first
    gain[9] = 5.0
    assert best_hours(gain, free, 1)[0] == (9,)  # a larger gain still comes first


def test_minutes_objective_is_optimal_against_brute_force_end_to_end() -> None:
    """Every 3-hour plan, its resident-minutes over the whole week from the week profile."""
    engine = small_engine()
    plan = optimise_hours(engine, "target", 3, weights=WEIGHTS, threshold=25.0)
    assert plan.gains.objective == "minutes"
    closed = np.flatnonzero(plan.gains.available)
    evaluated = {
        subset: week_weight_minutes(
            engine,
            "sarc",
            weights=WEIGHTS,
            hours_override={"target": merge_hours(TARGET_HOURS, subset)},
        )
        for subset in itertools.combinations(closed, 3)
    }
    best = min(evaluated.values())
    assert plan.plan_total == pytest.approx(best)
    assert evaluated[plan.chosen] == pytest.approx(best)
    assert plan.baseline_total == pytest.approx(
        week_weight_minutes(engine, "sarc", weights=WEIGHTS)
    )
    # Hand-worked night gain (free flow, 10 min a hop): with the target on node 2 the
    # origins on nodes 0, 3, 4, 5 drive 20, 10, 20, 20 instead of 70, 40, 30, 20 to the
    # far service: 500*50 + 300*30 + 70*10 = 34,700 resident-minutes (Monday 21:00). By
    # day (15 min a hop) Sunday 08:00 saves 500*75 + 300*45 + 70*15 = 52,050.
    assert plan.gains.gain[21] == pytest.approx(34_700.0)
    assert plan.gains.gain[152] == pytest.approx(52_050.0)
    # The coverage objective picks differently here: it values only people crossing 25.
    coverage = optimise_hours(
        engine, "target", 3, weights=WEIGHTS, threshold=25.0, objective="coverage"
    )
    assert coverage.gains.gain.max() == pytest.approx(870.0)


def test_minutes_objective_shifts_with_demand() -> None:
    engine = small_engine()
    demand = uniform_demand()
    demand[[d * 24 + 21 for d in range(7)]] = 0.0
    demand[144 + 8] = 3.0
    plan = optimise_hours(engine, "target", 1, weights=WEIGHTS, threshold=25.0, demand=demand)
    assert plan.chosen == (152,)
    with pytest.raises(ServiceMapError, match="objective"):
        optimise_hours(engine, "target", 1, weights=WEIGHTS, objective="hours")


def test_a_shift_is_never_longer_than_the_budget() -> None:
    engine = small_engine()
    kwargs = {"weights": WEIGHTS, "threshold": 25.0, "objective": "coverage"}
    # A 2-hour budget with 4-hour shifts buys one 2-hour shift, not nothing.
    capped = optimise_hours(engine, "target", 2, min_block=4, **kwargs)
    assert capped.min_block == 2
    two = optimise_hours(engine, "target", 2, min_block=2, **kwargs)
    assert capped.gain == pytest.approx(two.gain)
    assert len(capped.chosen) == 2 and capped.blocks == [(capped.chosen[0], 2)]


def test_study_cli_and_app_default_to_four_hour_shifts() -> None:
    import inspect

    from mapping.analysis.optimise_hours import SHIFT_HOURS
    from mapping.cli_optimise import optimise_hours_command
    from mapping.study import Study

    assert SHIFT_HOURS == 4
    study_default = inspect.signature(Study.optimise_hours).parameters["min_block"].default
    cli_default = inspect.signature(optimise_hours_command).parameters["min_block"].default
    assert study_default == cli_default == SHIFT_HOURS
