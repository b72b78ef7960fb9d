"""``Study.week_profile`` and ``service-map week`` on the real study."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mapping.errors import ServiceMapError


def test_study_week_matches_origin_minutes_in_one_area(study) -> None:
    code = next(iter(study.area_names("district")))
    frame = study.week_profile("sarc", threshold=60, area=code)
    assert len(frame) == 168
    row = frame.set_index("time").loc["Sat 02:00"]
    # The same hour by another route: per-origin nearest minutes, summed by hand.
    per_origin = study.origin_minutes("sarc", "Sat 02:00")
    mine = per_origin[per_origin["lad_code"] == code]
    minutes = mine["minutes"].to_numpy(float)
    people = mine["eligible_population"].to_numpy(float)
    beyond = people[~(minutes <= 60)].sum()
    assert row["population"] == pytest.approx(people.sum())
    assert row["people_beyond"] == pytest.approx(beyond)
    assert row["people_beyond_low"] <= row["people_beyond"] <= row["people_beyond_high"]


def test_study_week_ranges_are_the_headline_ranges(study) -> None:
    frame = study.week_profile("sarc", threshold=60).set_index("time")
    for at in ("Sat 02:00", "Sat 14:00"):
        spread = study.beyond_range("sarc", at)
        row = frame.loc[at]
        assert row["people_beyond"] == pytest.approx(spread.people_beyond[0])
        assert (row["people_beyond_low"], row["people_beyond_high"]) == pytest.approx(
            spread.people_beyond[1:]
        )


def test_study_week_follows_a_scenario_view(study) -> None:
    base = study.week_profile("sarc")
    ids = sorted({s for cell in base["open_services"] for s in cell.split(";") if s})
    from mapping.inputs.scenario_file import CloseChange, Scenario

    closed = study.with_scenario(
        Scenario(
            name="close all",
            changes=tuple(CloseChange(kind="close", service=i) for i in ids),
        )
    ).week_profile("sarc")
    assert (closed["n_open"] == 0).all()
    assert np.allclose(closed["people_beyond"], closed["population"])
    assert not np.allclose(base["people_beyond"], base["population"])


def test_study_week_refuses_an_unknown_area(study) -> None:
    with pytest.raises(ServiceMapError, match="not a district code"):
        study.week_profile("sarc", area="E99999999")


def test_week_command(tmp_path: Path, run_cli, built_data) -> None:
    code, _, err = run_cli(["week", "--category", "sarc", "--out", str(tmp_path / "w.txt")])
    assert code == 1 and "written as .csv" in err and "Traceback" not in err
    code, _, err = run_cli(["week", "--category", "nonsense"])
    assert code == 1 and "--category 'nonsense' is not known" in err
    out = tmp_path / "week.csv"
    code, stdout, err = run_cli(["week", "--category", "sarc", "--out", str(out)])
    assert code == 0, err
    assert stdout.startswith("The worst hour is ")
    assert "Range in that hour (drive times ±10%" in stdout
    assert "more than 60 minutes from an open SARC" in stdout
    for day in ("Monday", "Sunday"):
        assert any(line.startswith(day) for line in stdout.splitlines())
    table = pd.read_csv(out)
    assert len(table) == 168 and table["hour_of_week"].tolist() == list(range(168))
    assert list(table.columns[:12]) == [  # the central columns stay where they were
        "hour_of_week",
        "day",
        "hour",
        "time",
        "profile",
        "open_services",
        "n_open",
        "population",
        "people_beyond",
        "share_beyond",
        "people_unreached",
        "mean_minutes",
    ]
    assert {"people_beyond_low", "people_beyond_high"} <= set(table.columns)


def test_week_command_takes_a_scenario(tmp_path: Path, run_cli, study) -> None:
    """``week --scenario`` (issue 23): with every SARC closed, everyone is beyond, every hour."""
    ids = sorted(study.register.loc[study.register["category"] == "sarc", "id"])
    scenario = tmp_path / "close.toml"
    scenario.write_text(
        'name = "close every SARC"\n'
        + "".join(f'[[change]]\nkind = "close"\nservice = "{i}"\n' for i in ids),
        encoding="utf-8",
    )
    out = tmp_path / "week.csv"
    args = ["week", "--category", "sarc", "--scenario", str(scenario), "--out", str(out)]
    code, _, err = run_cli(args)
    assert code == 0, err
    table = pd.read_csv(out)
    assert len(table) == 168 and (table["n_open"] == 0).all()
    assert np.allclose(table["people_beyond"], table["population"])
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[change]]\nkind = "nope"\n', encoding="utf-8")
    code, _, err = run_cli(["week", "--category", "sarc", "--scenario", str(bad)])
    assert code == 1 and "bad.toml" in err and "Loading" not in err and "Traceback" not in err
