"""Options appraisal (mapping.analysis.appraise): the same measures for every option.

The real-data test runs ``Study.appraise`` on the committed register: every figure
depends on road speeds, so it checks relations (ranges contain the central value, 24/7
saves at least as much as nights only, the options come from the register), not values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mapping.analysis.age_split import AgePart
from mapping.analysis.appraise import APPRAISAL_COLUMNS, night_hours, week_figures
from mapping.analysis.appraise_options import saturation_note
from mapping.analysis.coverage import RegisterChanges
from mapping.analysis.optimise_hours import week_weight_minutes
from mapping.analysis.week import week_profile
from mapping.cli_appraise import format_appraisal
from tests.analysis.test_optimise_hours import WEIGHTS, small_engine


class _View:
    """What week_figures needs of a study view: an engine, its changes, its age groups."""

    def __init__(self) -> None:
        self.engine = small_engine()
        self.changes = RegisterChanges()

    def age_parts(self, category: str, weights: np.ndarray, weight: str) -> tuple[AgePart, ...]:
        return (AgePart(None, weights, weights),)  # every service sees every age


def test_night_hours_are_the_free_flow_hours() -> None:
    hours = night_hours()
    assert len(hours) == 84  # 19:00-07:00, seven nights
    assert 2 in hours and 19 in hours and 6 in hours and 7 not in hours and 18 not in hours


def test_week_figures_agree_with_the_week_profile() -> None:
    view = _View()
    figures = week_figures(view, "sarc", WEIGHTS, threshold=25.0)
    frame = week_profile(view.engine, "sarc", weights=WEIGHTS, threshold=25.0)
    assert figures["week_beyond"] == pytest.approx(frame["people_beyond"].mean())
    reached = frame["population"] - frame["people_unreached"]
    mean = (frame["mean_minutes"] * reached).sum() / reached.sum()
    assert figures["mean_minutes"] == pytest.approx(mean)
    assert figures["weight_minutes"] == pytest.approx(
        week_weight_minutes(view.engine, "sarc", weights=WEIGHTS)
    )
    # Drive times 10% longer: every origin's minutes times 1.1.
    longer = week_figures(view, "sarc", WEIGHTS, threshold=25.0, factor=1.1)
    assert longer["mean_minutes"] == pytest.approx(1.1 * mean)
    assert longer["week_beyond"] >= figures["week_beyond"]
    assert longer["p90_minutes"] == pytest.approx(1.1 * figures["p90_minutes"])


def test_saturation_note() -> None:
    assert saturation_note(99.0, 100.0, 1, 60, "at Sat 02:00") == ""
    note = saturation_note(100.0, 100.0, 1, 60, "at Sat 02:00")
    assert note.startswith("one site already reaches everyone within 60 minutes at Sat 02:00")
    assert "p-median" in note and "the site is chosen" in note
    two = saturation_note(300.0, 300.0, 2, 45, "over the whole week")
    assert two.startswith("2 sites already reach everyone within 45 minutes over the whole week")


def test_real_appraisal_of_sarc_options(study) -> None:  # type: ignore[no-untyped-def]
    appraisal = study.appraise(category="sarc", extra_hours=56)
    table = appraisal.table
    assert list(table.columns) == list(APPRAISAL_COLUMNS)
    assert table["kind"].iloc[0] == "today" and table["minutes_saved"].iloc[0] == 0
    for name in ("night_beyond", "weekend_day_beyond", "week_beyond", "mean_minutes"):
        central, low, high = (table[f"{name}{e}"].to_numpy(float) for e in ("", "_low", "_high"))
        assert np.all(low <= central + 1e-6) and np.all(central <= high + 1e-6), name
    # Options are derived from the register: every in-area SARC not open all week.
    services = study.engine.services
    in_area = services[
        (services["category"] == "sarc") & (services["provider_area"] == "Lancashire")
    ]
    shut = [r for _, r in in_area.iterrows() if r["opening_hours"] != "24/7"]
    assert shut, "the committed register has an in-area SARC with limited hours"
    kinds = table["kind"].tolist()
    assert kinds.count("extend_hours") == 2 * len(shut)
    assert {"optimised_hours", "new_site", "combination"} <= set(kinds)
    first = str(shut[0]["name"]).split(" (")[0]
    allday = table[table["option"] == f"Opening {first} 24/7"].iloc[0]
    nights = table[table["option"] == f"Opening {first} at night (19:00-07:00)"].iloc[0]
    best = table[table["kind"] == "optimised_hours"].iloc[0]
    assert best["extra_hours"] == 56
    # 24/7 is nights plus days: it saves at least as much as either partial plan.
    assert allday["minutes_saved"] >= nights["minutes_saved"] - 1e-6
    assert allday["minutes_saved"] >= best["minutes_saved"] - 1e-6
    assert nights["night_beyond"] <= table["night_beyond"].iloc[0]
    assert nights["sentence"].startswith(f"Opening {first} at night (19:00-07:00) would leave")
    # The site optimiser saturates at the weekend night and says so.
    assert any(
        "already reaches everyone within 60 minutes at Sat 02:00" in n for n in appraisal.notes
    )
    text = format_appraisal(appraisal)
    assert f"Opening {first} 24/7 [+{int(allday['extra_hours'])} staffed h/week]" in text
    assert isinstance(table, pd.DataFrame)


def test_appraise_command_refuses_bad_options_before_loading(tmp_path, run_cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli(["appraise", "--weight", "women"])
    assert code == 1 and "unknown weight 'women'" in err and "Traceback" not in err
    code, _, err = run_cli(["appraise", "--out", str(tmp_path / "a.txt")])
    assert code == 1 and "written as .csv or .xlsx" in err
    assert not (tmp_path / "a.txt").exists()


def test_saturation_trade_says_what_the_shortest_drive_gives_up() -> None:
    from types import SimpleNamespace

    from mapping.analysis.appraise_options import saturation_trade

    def plan(name: str, chosen: int, covered: float, mean: float) -> SimpleNamespace:
        return SimpleNamespace(
            chosen=(chosen,),
            sites=pd.DataFrame({"name": [name]}),
            plan=SimpleNamespace(covered=covered, mean_minutes=mean),
        )

    covering, shortest = plan("Village", 1, 1000.0, 25.04), plan("Town", 2, 955.0, 20.07)
    assert saturation_trade(covering, shortest, 60, "residents") == (
        "the shortest mean drive (Town: 20.1 minutes) leaves 45 residents more beyond 60 "
        "minutes; the covering plan (Village) has a mean of 25.0 minutes"
    )
    assert saturation_trade(covering, covering, 60, "residents") == ""
