"""Tests of ``service-map optimise hours`` and ``service-map optimise sites``."""

from __future__ import annotations

from pathlib import Path

from mapping.inputs.scenario_file import load_scenario


def test_bad_options_fail_before_loading(tmp_path: Path, run_cli) -> None:
    base = ["optimise", "hours", "--service", "sarc-preston-safe-centre", "--extra-hours", "4"]
    code, _, err = run_cli([*base, "--out", str(tmp_path / "plan.txt")])
    assert code == 1 and "ending in .toml or .json" in err
    code, _, err = run_cli([*base, "--out", str(tmp_path / "p.toml"), "--weight", "women"])
    assert code == 1 and "--weight 'women' is not known" in err
    bad = tmp_path / "demand.csv"
    bad.write_text("day,hour,demand\nMon,0,x\n", encoding="utf-8")
    code, _, err = run_cli([*base, "--out", str(tmp_path / "p.toml"), "--demand", str(bad)])
    assert code == 1 and f"{bad}:2:demand: 'x' is not a non-negative number" in err
    code, _, err = run_cli([*base, "--out", str(tmp_path / "p.toml"), "--objective", "hours"])
    assert code == 1 and "--objective must be minutes or coverage" in err
    assert "Traceback" not in err
    sites = ["optimise", "sites", "--category", "sarc", "--add", "1"]
    code, _, err = run_cli([*sites, "--out", str(tmp_path / "s.toml"), "--method", "best"])
    assert code == 1 and "--method must be mclp or pmedian" in err
    code, _, err = run_cli([*sites, "--out", str(tmp_path / "s.toml"), "--at", "Sat 25:00"])
    assert code == 1 and "not a time of week" in err
    assert not (tmp_path / "s.toml").exists()


def test_real_hours_command_writes_a_scenario(tmp_path: Path, run_cli, built_data) -> None:
    out = tmp_path / "plan.toml"
    code, stdout, err = run_cli(
        [
            "optimise",
            "hours",
            "--service",
            "sarc-preston-safe-centre",
            "--extra-hours",
            "6",
            "--min-block",
            "3",
            "--out",
            str(out),
            "--against",
            "Mo-Fr 08:00-16:00, Mo 16:00-22:00",
            "--objective",
            "coverage",
        ]
    )
    assert code == 0, err
    scenario = load_scenario(out)
    (change,) = scenario.changes
    assert change.kind == "hours" and change.service == "sarc-preston-safe-centre"
    assert change.opening_hours.startswith("Mo-Fr 08:00-16:00, ")
    assert "6 of 6 extra hours chosen" in stdout
    assert "cost of whole shifts:" in stdout
    assert "against 'Mo-Fr 08:00-16:00, Mo 16:00-22:00'" in stdout
    assert f"opening_hours: {change.opening_hours}" in stdout
    assert "objective coverage: resident-hours" in stdout


def test_real_sites_command_with_a_candidates_file(tmp_path: Path, run_cli, built_data) -> None:
    candidates = tmp_path / "candidates.csv"
    candidates.write_text(
        "name,postcode,lat,lon\nRoyal Preston Hospital,PR2 9HT,,\n"
        "Accrington,,53.754356,-2.362841\nLancaster,,54.050931,-2.79383\n",
        encoding="utf-8",
    )
    out = tmp_path / "sites.toml"
    code, stdout, err = run_cli(
        [
            "optimise",
            "sites",
            "--category",
            "sarc",
            "--add",
            "1",
            "--at",
            "Sat 14:00",
            "--candidates",
            str(candidates),
            "--out",
            str(out),
        ]
    )
    assert code == 0, err
    # On network v3 one site already reaches everyone within 60 minutes at Saturday 14:00:
    # the optimiser says so and ranks the sites by mean minutes (p-median) instead.
    assert "Saturated: one site already reaches everyone within 60 minutes" in stdout
    (change,) = load_scenario(out).changes
    assert change.kind == "add" and change.category == "sarc" and change.opening_hours == "24/7"
    # Saturday daytime: the Preston site is the shortest average drive of the three.
    assert change.postcode == "PR2 9HT"


def test_real_hours_command_weighs_women_16_plus(tmp_path: Path, run_cli, built_data) -> None:
    out = tmp_path / "women.toml"
    flat = tmp_path / "flat.csv"
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    flat.write_text(
        "day,hour,demand\n" + "".join(f"{d},{h},2\n" for d in days for h in range(24)),
        encoding="utf-8",
    )
    args = ["optimise", "hours", "--service", "sarc-preston-safe-centre", "--extra-hours", "2"]
    code, stdout, err = run_cli([*args, "--weight", "women_16_plus", "--out", str(out)])
    assert code == 0, err
    # The default objective: weighted minutes saved, checked against the week evaluated.
    assert "objective minutes: woman-minutes (aged 16+)" in stdout
    assert load_scenario(out).changes[0].kind == "hours"
    code, stdout, err = run_cli([*args, "--check", "--demand", str(flat), "--out", str(out)])
    assert code == 0, err
    line = next(x for x in stdout.splitlines() if x.startswith("check:"))
    checked, optimiser = (part.split()[0] for part in line.split("gives ")[1].split("optimiser: "))
    assert checked == optimiser.rstrip(")")
