"""Tests of the site optimiser (:mod:`mapping.analysis.optimise_sites`) and points files.

MCLP and p-median answers are checked against exhaustive search over every set of K
candidates; the real-data tests check the default candidates and that a chosen site
scores the same in its scenario's own comparison.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mapping.analysis.optimise_sites import (
    UNREACHED_MINUTES,
    SiteProblem,
    _Block,
    build_problem,
    evaluate_sites,
    optimise_sites,
)
from mapping.analysis.towns import settlement_candidates
from mapping.analysis.week import HourKey
from mapping.errors import ServiceMapError
from mapping.inputs.candidates import read_points


def random_problem(seed: int, n_origins: int = 40, n_candidates: int = 7) -> SiteProblem:
    """Origins and candidates on a 60 x 60 km square; minutes = km (night) or 1.5 km (day).

    Two blocks: 5 night hours (an existing site at the centre is open) and 3 day hours
    (it is closed), so fixed facilities and the hour weighting both matter.
    """
    rng = np.random.default_rng(seed)
    origins = rng.uniform(0, 60, (n_origins, 2))
    sites = rng.uniform(0, 60, (n_candidates, 2))
    km = np.linalg.norm(origins[:, None, :] - sites[None, :, :], axis=2)
    existing = np.linalg.norm(origins - 30.0, axis=1)
    night, day = HourKey(("existing",), "free_flow"), HourKey((), "daytime")
    return SiteProblem(
        candidates=pd.DataFrame(
            {
                "name": [f"c{j}" for j in range(n_candidates)],
                "easting": sites[:, 0],
                "northing": sites[:, 1],
            }
        ),
        weights=rng.integers(1, 100, n_origins).astype(float),
        threshold=18.0,
        blocks=[_Block(night, True, 5.0), _Block(day, True, 3.0)],
        baseline=[existing, np.full(n_origins, np.inf)],
        minutes={"free_flow": km, "daytime": 1.5 * km},
        groups=np.arange(n_origins),  # every origin its own demand unit
    )


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_mclp_agrees_with_exhaustive_search(seed: int, k: int) -> None:
    problem = random_problem(seed)
    plan = optimise_sites(problem, k, method="mclp", time_limit=30)
    best = max(
        evaluate_sites(problem, list(combo)).covered
        for combo in itertools.combinations(range(len(problem.candidates)), k)
    )
    assert plan.plan.covered == pytest.approx(best)
    assert plan.gap == 0.0 and plan.status == "Optimal"
    assert len(plan.chosen) == k
    assert plan.plan.covered >= plan.baseline.covered


def pmedian_cost(problem: SiteProblem, sites: list[int]) -> float:
    total = 0.0
    for b, block in enumerate(problem.blocks):
        best = np.minimum(problem.site_minutes(b, sites), UNREACHED_MINUTES)
        total += block.hours * float((problem.weights * best).sum())
    return total


@pytest.mark.parametrize("seed", range(3))
def test_pmedian_agrees_with_exhaustive_search(seed: int) -> None:
    problem = random_problem(seed, n_origins=25, n_candidates=6)
    plan = optimise_sites(problem, 2, method="pmedian", time_limit=30)
    best = min(
        pmedian_cost(problem, list(combo))
        for combo in itertools.combinations(range(len(problem.candidates)), 2)
    )
    assert pmedian_cost(problem, list(plan.chosen)) == pytest.approx(best)


def test_hours_weight_the_blocks_by_hand() -> None:
    problem = random_problem(0)
    w, t = problem.weights, problem.threshold
    expected = 5 * w[problem.baseline[0] <= t].sum()  # by day nobody is covered
    assert evaluate_sites(problem, []).covered == pytest.approx(expected)
    with pytest.raises(ServiceMapError, match="--add must be 1 to 7"):
        optimise_sites(problem, 8)


def test_scenario_of_a_plan_adds_the_sites() -> None:
    problem = random_problem(1)
    problem.candidates["postcode"] = ["PR1 1AA", "", "BB1 1AA", "", "", "", ""]
    problem.candidates["lon"], problem.candidates["lat"] = -2.7, 53.76
    plan = optimise_sites(problem, 2)
    scenario = plan.to_scenario(category="sarc")
    assert len(scenario.changes) == 2
    assert all(c.kind == "add" and c.opening_hours == "24/7" for c in scenario.changes)
    assert all(c.postcode or (c.lon is not None and c.lat is not None) for c in scenario.changes)


# ---- points files -----------------------------------------------------------------------


def fake_lookup(postcodes: list[str]) -> pd.DataFrame:
    known = {"PR2 9HT": (353532.0, 433031.0), "BB2 3HH": (366000.0, 427000.0)}
    rows = {p: {"easting": known[p][0], "northing": known[p][1]} for p in postcodes if p in known}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["easting", "northing"])


def test_points_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(
        "name,postcode,lat,lon\nRoyal Preston,pr29ht,,\nBurnley,,53.8055,-2.2300\n",
        encoding="utf-8",
    )
    points = read_points(path, lookup=fake_lookup)
    assert list(points["name"]) == ["Royal Preston", "Burnley"]
    assert points.loc[0, "postcode"] == "PR2 9HT" and points.loc[0, "easting"] == 353532.0
    assert 380_000 < points.loc[1, "easting"] < 390_000
    assert points.loc[0, "lat"] == pytest.approx(53.79, abs=0.01)


def test_points_file_problems_name_file_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "name,postcode,lat,lon\n"
        "A,ZZ1 1ZZ,,\n"  # row 2: unknown postcode
        ",PR2 9HT,,\n"  # row 3: no name
        "B,not a postcode,,\n"  # row 4
        "C,,95,-2\n"  # row 5: bad latitude
        "A,PR2 9HT,,\n"  # row 6: duplicate name
        "D,,,\n",  # row 7: nowhere
        encoding="utf-8",
    )
    with pytest.raises(ServiceMapError) as error:
        read_points(path, lookup=fake_lookup)
    message = str(error.value)
    for line in (
        f"{path}:2:postcode: unknown postcode 'ZZ1 1ZZ'",
        f"{path}:3:name: empty name",
        f"{path}:4:postcode: 'not a postcode' is not shaped like a UK postcode",
        f"{path}:5:lat: '95' is not a latitude in Britain",
        f"{path}:6:name: 'A' given twice (first on row 2)",
        f"{path}:7:postcode: no location given",
    ):
        assert line in message
    (tmp_path / "cols.csv").write_text("site,town\n", encoding="utf-8")
    with pytest.raises(ServiceMapError, match=r"cols.csv:1:name: needs a 'name' column"):
        read_points(tmp_path / "cols.csv", lookup=fake_lookup)
    with pytest.raises(ServiceMapError, match="no such file"):
        read_points(tmp_path / "absent.csv", lookup=fake_lookup)


# ---- the real network, origins and register -----------------------------------------


def test_real_default_candidates_are_the_towns(study) -> None:
    from mapping import geography

    candidates = settlement_candidates(
        study.origins,
        geography.load_postcodes(),
        area_names=study.area_names("district"),
    )
    # Every council area has a town; the largest settlements come first.
    text = " ".join(candidates["name"])
    for area in ("Blackpool", "Preston", "Blackburn with Darwen", "Burnley", "Lancaster"):
        assert area in text
    assert candidates["residents"].is_monotonic_decreasing
    assert (candidates["residents"] >= 5_000).all()
    assert 20 <= len(candidates) <= 60


def test_real_mclp_agrees_with_exhaustive_search_and_the_scenario(study) -> None:
    """Six town candidates, K = 2, Saturday 14:00: exhaustive search, then the scenario."""
    services = study.engine.services.set_index("id")
    hubs = ["hub-lvs-preston", "hub-lvs-accrington", "hub-lvs-lancaster", "hub-lvs-blackpool"]
    candidates = pd.DataFrame(
        {
            "name": hubs,
            "easting": services.loc[hubs, "x"].to_numpy(float),
            "northing": services.loc[hubs, "y"].to_numpy(float),
        }
    )
    from mapping.study_area import to_lonlat

    lon, lat = to_lonlat(candidates["easting"], candidates["northing"])
    candidates["lon"], candidates["lat"] = np.round(lon, 6), np.round(lat, 6)
    problem = build_problem(
        study.engine,
        "sarc",
        candidates,
        origins_xy=study.origins[["easting", "northing"]].to_numpy(float),
        weights=study.origins["population"].to_numpy(float),
        groups=study.origins["lsoa21_code"].to_numpy(),
        at=["Sat 14:00"],
    )
    plan = optimise_sites(problem, 2)
    best = max(
        evaluate_sites(problem, list(c)).covered for c in itertools.combinations(range(4), 2)
    )
    assert plan.plan.covered == pytest.approx(best)
    comparison = study.compare(plan.to_scenario(category="sarc"), slots=["Sat 14:00"])
    total = comparison.totals.iloc[0]
    assert total["scenario_population_within_60"] == pytest.approx(plan.plan.covered, abs=1)
    assert total["baseline_population_within_60"] == pytest.approx(plan.baseline.covered, abs=1)


def test_real_saturday_night_site_beats_every_hub_town(study) -> None:
    """Issue 13: the pick covers at least as many as a 24/7 SARC at any LVS hub town."""
    from mapping import geography

    origins = study.origins
    common = {
        "origins_xy": origins[["easting", "northing"]].to_numpy(float),
        "weights": origins["population"].to_numpy(float),
        "groups": origins["lsoa21_code"].to_numpy(),
        "at": ["Sat 02:00"],
    }
    towns = settlement_candidates(origins, geography.load_postcodes())
    plan = optimise_sites(build_problem(study.engine, "sarc", towns, **common), 1)
    services = study.engine.services.set_index("id")
    hubs = ["hub-lvs-preston", "hub-lvs-accrington", "hub-lvs-lancaster", "hub-lvs-blackpool"]
    hub_sites = pd.DataFrame(
        {
            "name": hubs,
            "easting": services.loc[hubs, "x"].to_numpy(float),
            "northing": services.loc[hubs, "y"].to_numpy(float),
        }
    )
    hub_problem = build_problem(study.engine, "sarc", hub_sites, **common)
    best_hub = max(evaluate_sites(hub_problem, [j]).covered for j in range(len(hubs)))
    assert plan.plan.covered >= best_hub
    assert plan.status == "Optimal" and plan.gap == 0.0
