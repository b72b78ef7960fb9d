"""Without a car: walking through the study and the command line, no-car households,
rural/urban equity, who is beyond a walk of help, and the GTFS placeholder.

The walking time itself is hand-worked in ``tests/routing/test_walking.py``; here the
real study must give walking answers that relate correctly to the driving ones, carry
their own thresholds and say so, and the commands must run or fail clearly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mapping.analysis.without_car import LIMITATION, beyond_walk, headline
from mapping.errors import ServiceMapError
from mapping.study import Study

RunCli = Callable[[list[str]], tuple[int, str, str]]
NO_CAR = 144_676


def test_beyond_walk_is_hand_worked() -> None:
    # Group a: 5 households at 10 min (within 30), 3 at 40 (beyond); b: 2 with none open.
    table = beyond_walk(
        np.array([10.0, 40.0, np.inf, np.nan]),
        np.array([5.0, 3.0, 2.0, 1.0]),
        np.array(["a", "a", "b", "b"]),
        30,
    )
    assert table.loc["a"].tolist() == pytest.approx([8.0, 3.0, 0.375, 0.0])
    assert table.loc["b"].tolist() == pytest.approx([3.0, 3.0, 1.0, 3.0])


def test_walking_is_never_faster_than_the_walked_access_and_uses_its_thresholds(
    study: Study,
) -> None:
    walk = study.coverage("sarc", "Tue 10:00", mode="walk")
    drive = study.coverage("sarc", "Tue 10:00")
    assert set(walk["mode"]) == {"walk"} and "mode" not in drive
    assert [c for c in walk if c.startswith("share_within_")] == [
        "share_within_15",
        "share_within_30",
        "share_within_45",
    ]
    total_walk = walk.set_index("area_code").loc["TOTAL"]
    total_drive = drive.set_index("area_code").loc["TOTAL"]
    # On foot at 4.8 km/h nobody is nearer in time than by car on the same roads.
    assert total_walk["mean_minutes"] > total_drive["mean_minutes"]
    assert total_walk["share_within_30"] <= total_drive["share_within_30"]
    # Walking minutes of one origin: at least its straight-line distance at 4.8 km/h.
    minutes = study.origin_minutes("sarc", "Tue 10:00", mode="walk")
    services = study.engine.services.set_index("id")
    reached = minutes.dropna(subset=["minutes"]).sample(200, random_state=1)
    origins = study.origins.set_index("origin_id").loc[reached["origin_id"]]
    sites = services.loc[reached["service_id"], ["x", "y"]].to_numpy(float)
    straight = np.hypot(*(origins[["easting", "northing"]].to_numpy(float) - sites).T)
    assert (reached["minutes"].to_numpy() >= straight / 80.0 - 1e-6).all()  # 80 m a minute


def test_sarc_access_on_foot_reports_walking_thresholds(study: Study) -> None:
    table = study.sarc_access(["Tue 10:00"], mode="walk")
    assert {"population_over_15", "population_over_30", "population_over_45"} <= set(table)
    assert "population_over_60" not in table and set(table["mode"]) == {"walk"}
    over = table[["population_over_15", "population_over_30", "population_over_45"]]
    assert (over.diff(axis=1).iloc[:, 1:] <= 1e-6).all().all()  # fewer beyond a longer walk


def test_without_car_by_area_and_ward_with_the_limitation(study: Study) -> None:
    short = study.without_car("sarc", "Tue 10:00", minutes=15)
    long = study.without_car("sarc", "Tue 10:00", minutes=45)
    for table in (short, long):
        assert set(table["area_level"]) == {"total", "district", "ward"}
        assert set(table["limitation"]) == {LIMITATION}
        total = table[table["area_level"] == "total"].iloc[0]
        assert total["no_car_households"] == pytest.approx(NO_CAR, rel=1e-3)
        for level in ("district", "ward"):
            part = table[table["area_level"] == level]
            assert part["no_car_beyond"].sum() == pytest.approx(total["no_car_beyond"])
            assert part["no_car_households"].sum() == pytest.approx(total["no_car_households"])
        assert table["share_beyond"].dropna().between(0, 1).all()
    assert long.iloc[0]["no_car_beyond"] <= short.iloc[0]["no_car_beyond"]
    assert LIMITATION in headline(short)
    with pytest.raises(ServiceMapError, match="positive"):
        study.without_car("sarc", "Tue 10:00", minutes=0)


def test_equity_by_rural_urban_adds_up(study: Study) -> None:
    result = study.equity("sarc", "Tue 10:00", weight="no_car_households")
    rural = result.by_rural_urban
    assert rural is not None and list(rural["rural_urban"]) == ["Urban", "Rural"]
    assert rural["population"].sum() == pytest.approx(result.by_decile["population"].sum())
    assert rural["population"].sum() == pytest.approx(NO_CAR)
    walked = study.equity("sarc", "Tue 10:00", mode="walk")
    assert walked.threshold == 30 and set(walked.by_decile["mode"]) == {"walk"}


def test_week_profile_on_foot(study: Study) -> None:
    frame = study.week_profile("sarc", mode="walk")
    assert set(frame["profile"]) == {"walk"} and frame.attrs["threshold"] == 30


def test_sarc_and_equity_commands(run_cli: RunCli) -> None:
    code, out, err = run_cli(["sarc", "--mode", "walk", "--at", "Tue 10:00"])
    assert code == 0, err
    assert ">15min" in out and ">45min" in out and "walked at 4.8 km/h" in out
    assert LIMITATION in out
    code, out, err = run_cli(["equity", "--weight", "no_car_households"])
    assert code == 0, err
    assert "no-car households" in out and "Rural" in out and "TS045" in out


def test_coverage_and_without_car_commands(run_cli: RunCli, tmp_path: Path) -> None:
    code, out, err = run_cli(["coverage", "--category", "sarc", "--mode", "walk"])
    assert code == 0, err
    assert "≤45 min" in out and "on foot" in out
    target = tmp_path / "no_car.csv"
    code, out, err = run_cli(["without-car", "--category", "sarc", "--out", str(target)])
    assert code == 0, err
    assert LIMITATION in out and "By council area" in out
    written = pd.read_csv(target)
    assert set(written["limitation"]) == {LIMITATION}


def test_bad_mode_and_gtfs_fail_clearly(run_cli: RunCli, tmp_path: Path) -> None:
    code, _, err = run_cli(["sarc", "--mode", "bike"])
    assert code == 1 and "unknown travel mode 'bike'" in err and "Traceback" not in err
    feed = tmp_path / "north-west.gtfs.zip"
    feed.write_bytes(b"PK")
    for args in (["network", "build", "--gtfs", str(feed)], ["coverage", "--gtfs", str(feed)]):
        code, out, err = run_cli(args)
        assert code == 1, out
        assert "not supported yet" in err and "docs/transit.md" in err
        assert "Traceback" not in err
