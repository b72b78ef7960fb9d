"""Benchmark the optimisers on the real study data; print one JSON object.

Run from the repository root::

    python benchmarks/bench_optimise.py

Measured in this one run, on this machine, against the default offline network, the
Lancashire origins and the services register (benchmarks/README.md explains each key):

* the week profile of SARC access (168 hours, shared computations);
* the hours optimiser for every routable service that is closed some of the week
  (``EXTRA_HOURS`` extra hours, residents within 60 minutes), with and without 8-hour
  shifts;
* the site optimiser for K = 1, 2, 3 new 24/7 SARCs over all the default candidates
  (town centres), summed over the whole week: MCLP and p-median, with the solver's
  status and optimality gap.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

CATEGORY = "sarc"
THRESHOLD = 60.0
#: Extra hours a week placed for each service (the issue's Preston SARC example).
EXTRA_HOURS = 56
#: Shift length for the constrained run (a typical 8-hour rota shift).
SHIFT_HOURS = 8
#: Solver time limit per site model (seconds).
TIME_LIMIT_S = 120.0


def main() -> dict[str, Any]:
    """Run every measurement and return the JSON-ready result."""
    from mapping.analysis.optimise_hours import optimise_hours
    from mapping.analysis.optimise_sites import (
        build_problem,
        optimise_sites,
    )
    from mapping.analysis.week import week_profile
    from mapping.study import Study

    started = time.perf_counter()
    study = Study.load()
    engine = study.engine
    weights = study.origins["population"].to_numpy(float)
    result: dict[str, Any] = {"load_s": round(time.perf_counter() - started, 2)}

    t = time.perf_counter()
    week = week_profile(engine, CATEGORY, weights=weights, threshold=THRESHOLD)
    result["week_profile_sarc_s"] = round(time.perf_counter() - t, 3)
    result["week_profile_computations"] = week.attrs["computations"]

    hours: dict[str, Any] = {}
    for sid in engine.service_ids:
        record: dict[str, Any] = {}
        for label, block in (("free", 1), (f"shifts_{SHIFT_HOURS}h", SHIFT_HOURS)):
            t = time.perf_counter()
            try:
                plan = optimise_hours(
                    engine,
                    sid,
                    EXTRA_HOURS,
                    weights=weights,
                    threshold=THRESHOLD,
                    min_block=block,
                )
            except Exception as exc:  # a service open all week has nothing to optimise
                record = {"skipped": str(exc)}
                break
            record[label] = {
                "seconds": round(time.perf_counter() - t, 3),
                "hours_chosen": len(plan.chosen),
                "gain_resident_hours": round(plan.gain),
                "block_cost_resident_hours": round(plan.block_cost),
            }
        hours[sid] = record
    solved = [r for r in hours.values() if "free" in r]
    result["hours"] = hours
    result["hours_services_solved"] = len(solved)
    result["hours_total_s"] = round(
        sum(r["free"]["seconds"] + r[f"shifts_{SHIFT_HOURS}h"]["seconds"] for r in solved), 2
    )

    t = time.perf_counter()
    candidates = study.candidate_sites()
    problem = build_problem(
        engine,
        CATEGORY,
        candidates,
        origins_xy=study.origins[["easting", "northing"]].to_numpy(float),
        weights=weights,
        groups=study.origins["lsoa21_code"].to_numpy(),
        threshold=THRESHOLD,
    )
    result["sites_candidates"] = len(candidates)
    result["sites_blocks_of_hours"] = len(problem.blocks)
    result["sites_travel_times_s"] = round(time.perf_counter() - t, 2)
    sites: dict[str, Any] = {}
    for method in ("mclp", "pmedian"):
        for k in (1, 2, 3):
            plan = optimise_sites(problem, k, method=method, time_limit=TIME_LIMIT_S)
            sites[f"{method}_k{k}"] = {
                "solve_s": round(plan.solve_seconds, 2),
                "status": plan.status,
                "gap": plan.gap,
                "model_rows": plan.model_rows,
                "chosen": plan.sites["name"].tolist(),
                "covered_resident_hours": round(plan.plan.covered),
                "baseline_resident_hours": round(plan.baseline.covered),
                "mean_minutes": round(plan.plan.mean_minutes, 2),
            }
    result["sites"] = sites
    result["total_s"] = round(time.perf_counter() - started, 1)
    return result


if __name__ == "__main__":
    print(
        json.dumps(
            main(), indent=2, default=lambda v: v.item() if isinstance(v, np.generic) else str(v)
        )
    )
