"""Limits and clear messages of issue 19: candidates, ``--at`` times, demand values, dates."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapping.errors import ServiceMapError
from mapping.inputs.demand import read_demand
from mapping.inputs.hours import HoursError, parse_when
from mapping.inputs.limits import (
    MAX_AT_TIMES,
    MAX_CANDIDATES,
    MAX_DEMAND_PER_HOUR,
    check_candidates,
    check_times,
)

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _demand(path: Path, value: str) -> Path:
    rows = ["day,hour,demand"] + [f"{d},{h},{value}" for d in DAYS for h in range(24)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_candidates_over_the_limit_are_refused_with_the_figure() -> None:
    check_candidates(MAX_CANDIDATES, "c.csv")
    with pytest.raises(ServiceMapError, match=rf"c.csv: 50,000 candidate sites.*{MAX_CANDIDATES}"):
        check_candidates(50_000, "c.csv")


def test_candidates_memory_estimate() -> None:
    # 100 candidates x 39,387 origins x 56 bytes = 220,567,200 bytes (210.3 MiB): over
    # half of 400,000,000 bytes free (190.7 MiB).
    with pytest.raises(ServiceMapError, match=r"about 210.3 MiB of memory; 190.7 MiB"):
        check_candidates(100, "c.csv", n_origins=39_387, available=400_000_000)
    check_candidates(100, "c.csv", n_origins=39_387, available=500_000_000)


def test_at_times_over_the_limit_are_refused() -> None:
    check_times(["Sat 02:00"] * MAX_AT_TIMES)
    check_times(None)
    with pytest.raises(ServiceMapError, match=r"--at: 2,016 times given; at most 168"):
        check_times(["Sat 02:00"] * 2016)


def test_a_date_outside_the_calendar_is_a_clear_message() -> None:
    with pytest.raises(HoursError, match="outside the dates"):
        parse_when("0001-01-01T00:00+05:00")


def test_demand_must_be_finite_and_within_range(tmp_path: Path) -> None:
    with pytest.raises(ServiceMapError, match=r":2:demand: '1e308' is out of range"):
        read_demand(_demand(tmp_path / "d.csv", "1e308"))
    big = read_demand(_demand(tmp_path / "ok.csv", f"{MAX_DEMAND_PER_HOUR:.0f}"))
    assert big.sum() == pytest.approx(168)


@pytest.mark.parametrize("command", ["sarc", "equity", "optimise-sites", "scenario"])
def test_cli_refuses_year_one_in_a_far_time_zone(command: str, run_cli, tmp_path: Path) -> None:
    at = ["--at", "0001-01-01T00:00+05:00"]
    args = {
        "sarc": ["sarc", *at],
        "equity": ["equity", *at],
        "optimise-sites": [
            *("optimise", "sites", "--category", "sarc", "--add", "1"),
            *at,
            *("--out", str(tmp_path / "s.toml")),
        ],
        "scenario": ["scenario", str(tmp_path / "none.toml"), *at],
    }[command]
    code, _, err = run_cli(args)
    assert code == 1 and "outside the dates" in err, err


def test_cli_refuses_too_many_times(run_cli, tmp_path: Path) -> None:
    many = [x for _ in range(169) for x in ("--at", "Sat 02:00")]
    code, _, err = run_cli(
        [
            "optimise",
            "sites",
            "--category",
            "sarc",
            "--add",
            "1",
            *many,
            "--out",
            str(tmp_path / "s.toml"),
        ]
    )
    assert code == 1 and "at most 168" in err
    code, _, err = run_cli(["sarc", *many])
    assert code == 1 and "at most 168" in err


def test_cli_demand_of_1e308_is_refused_before_the_load(run_cli, tmp_path: Path) -> None:
    demand = _demand(tmp_path / "d.csv", "1e308")
    code, _, err = run_cli(
        [
            "optimise",
            "hours",
            "--service",
            "sarc-preston-safe-centre",
            "--extra-hours",
            "2",
            "--demand",
            str(demand),
            "--out",
            str(tmp_path / "p.toml"),
        ]
    )
    assert code == 1 and "out of range" in err and "Loading" not in err
