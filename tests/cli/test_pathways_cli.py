"""`Study.pathways` and `service-map pathways` on the committed register and built data."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from mapping.errors import ServiceMapError
from mapping.inputs.when import moment_of
from mapping.network.profiles import profile_for
from mapping.study import Study

RunCli = Callable[[list[str]], tuple[int, str, str]]


def test_study_pathways_age_bar_and_drive_times(study: Study) -> None:
    result = study.pathways("adult, recent rape", 17, "Sat 02:00", "BB11 1JA")
    table = result.table
    safe_self = table[
        (table["route"] == "self") & (table["services"] == "sarc-preston-safe-centre")
    ]
    assert safe_self["status"].tolist() == ["barred"]  # self-referral is 18+
    adult = study.pathways("adult, recent rape", 18, "Sat 02:00", "BB11 1JA").table
    safe_adult = adult[
        (adult["route"] == "self") & (adult["services"] == "sarc-preston-safe-centre")
    ]
    assert safe_adult["status"].tolist() == ["closed"]  # weekday hours only (assumed)
    # drive minutes are the engine's from the home LSOA's origin, at the night profile
    row = int(np.flatnonzero(study.origins["lsoa21_code"].to_numpy() == result.lsoa)[0])
    expected = study.engine.minutes_to(
        ["sarc-preston-safe-centre"], profile_for(moment_of("Sat 02:00"))
    )[0, row]
    assert safe_self["minutes"].iloc[0] == pytest.approx(float(expected))
    # a line without a site has no drive time (unknown, not zero)
    assert table.loc[table["service_id"] == "isva-lvs-lancashire", "minutes"].isna().all()
    assert "BB11 1JA is not in OS Code-Point Open" in result.note


def test_study_pathways_by_lsoa_and_bad_home(study: Study) -> None:
    lsoa = str(study.origins["lsoa21_code"].iloc[0])
    result = study.pathways("stalking", 30, "Tue 10:00", lsoa)
    assert result.lsoa == lsoa and result.note == ""
    assert result.open_without_police
    with pytest.raises(ServiceMapError, match="neither a postcode"):
        study.pathways("stalking", 30, "Tue 10:00", "nowhere")


def test_cli_pathways_prints_every_way_in(run_cli: RunCli) -> None:
    code, out, _ = run_cli(
        [
            "pathways",
            "--need",
            "adult, recent rape",
            "--age",
            "17",
            "--at",
            "Sat 02:00",
            "--from",
            "BB11 1JA",
        ]
    )
    assert code == 0
    assert "Ways in for: adult, recent rape, age 17, at Sat 02:00" in out
    assert "BARRED  self → Lancashire SAFE Centre" in out and "ages 18+" in out
    assert "OPEN    police → Saint Mary's" in out and "min drive" in out
    assert "CLOSED  police → Lancashire SAFE Centre" in out


def test_cli_pathways_unknown_need(run_cli: RunCli) -> None:
    code, _, err = run_cli(
        ["pathways", "--need", "burglary", "--age", "30", "--at", "Sat 02:00", "--from", "PR1 1HQ"]
    )
    assert code == 1 and "unknown need 'burglary'" in err


def test_cli_routes_check(run_cli: RunCli) -> None:
    code, out, _ = run_cli(["services", "routes"])
    assert code == 0 and "is valid" in out


def test_cli_referrals_cited_beside_benchmark(run_cli: RunCli) -> None:
    code, out, _ = run_cli(["referrals"])
    assert code == 0
    assert "Lancashire Victim Services 2024/25 (all routes): 52,943 referrals" in out
    assert "not comparable: the figure covers other kinds" in out  # LVS is multi-crime
    assert "Restorative Justice Team 2024/25 (all routes): 350 referrals" in out
    assert "not published (no benchmark" in out
    assert out.count("Source:") == 12


def test_cli_gaps_has_the_pathway_rules(run_cli: RunCli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "gaps.csv"
    code, _, _ = run_cli(["gaps", "--out", str(out)])
    assert code == 0
    import pandas as pd

    gaps = pd.read_csv(out, dtype=str)
    assert "self_referral_age_bar:sarc-preston-safe-centre" in set(gaps["gap_id"])
    police = gaps[gaps["rule_id"] == "pathway_police_only"]
    assert "pathway_police_only:stalking:weekend_night" in set(police["gap_id"])
