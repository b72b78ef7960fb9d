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


class _RangeView:
    """A study view on the line of tests/analysis/test_ranges.py: A (node 2, Mo-Fr
    08:00-16:00, assumed hours) and B (node 7, 24/7, published); origins on nodes 0, 3,
    4, 5 weighing 500, 300, 70, 40."""

    def __init__(self, changes: RegisterChanges | None = None) -> None:
        from tests.analysis.test_ranges import engine

        self.engine = engine()
        self.changes = changes or RegisterChanges()

    def effective_register(self) -> pd.DataFrame:
        from tests.analysis.test_ranges import REGISTER

        return REGISTER.assign(opening_hours=["Mo-Fr 08:00-16:00", "24/7"])

    def weights(self, weight: str) -> np.ndarray:
        from tests.analysis.test_ranges import WEIGHTS as LINE_WEIGHTS

        return LINE_WEIGHTS

    def age_parts(self, category: str, weights: np.ndarray, weight: str) -> tuple[AgePart, ...]:
        return (AgePart(None, weights, weights),)  # every service sees every age

    def beyond_range(self, category: str, slot, *, threshold: float, weight: str):  # type: ignore[no-untyped-def]
        from mapping.analysis.ranges import assumed_hours_ids, headline_range

        register = self.effective_register()
        return headline_range(
            self.engine,
            category,
            slot.at,
            weights=self.weights(weight),
            threshold=threshold,
            assumed=assumed_hours_ids(register) - set(self.changes.hours),
            names=dict(zip(register["id"], register["name"], strict=True)),
            exclude=sorted(self.changes.closed),
            hours_override=dict(self.changes.hours),
        )


def test_whole_week_range_carries_the_assumed_hours_by_hand() -> None:
    # Threshold 42. Hops to B: 7, 4, 3, 2; to A: 2, 1, 2, 3. 84 night hours (10 min a
    # hop) and 84 day hours (15 min), A open in 40 of the day hours (Mo-Fr 08-16).
    # Beyond 42 with B alone: night 500 (origin 0), day 870 (origins 0, 1, 2); with A
    # open: nobody. Drive times x0.9: night 500, day 800; x1.1: night 800, day 870.
    from mapping.analysis.appraise import measure, week_cases

    view = _RangeView()
    cases = week_cases(view, "sarc")
    assert [c.label for c in cases] == [
        "drive times 10% shorter",
        "drive times 10% longer",
        "if Service A were open all week",
        "if Service A were closed all week",
    ]
    out, own = measure(view, "sarc", threshold=42, weight="residents", cases=cases)
    central = (44 * 870 + 84 * 500) / 168
    closed = (84 * 870 + 84 * 500) / 168
    assert out["week_beyond"] == pytest.approx(central)
    assert out["week_beyond_low"] == pytest.approx(0.0)  # A open all week
    assert out["week_beyond_high"] == pytest.approx(closed)  # more than x1.1's 628.2
    assert out["week_beyond_moves_most"] == "if Service A were open all week"
    # Mean minutes: night 49,900/910 (B), day with A closed 74,850/910, A open 22,800/910.
    mean = (84 * 49_900 + 44 * 74_850 + 40 * 22_800) / (168 * 910)
    opened = (84 * 15_200 + 84 * 22_800) / (168 * 910)  # A open: 20, 10, 20, 20 at night
    assert out["mean_minutes"] == pytest.approx(mean)
    assert out["mean_minutes_low"] == pytest.approx(opened)
    assert out["mean_minutes_high"] == pytest.approx((84 * 49_900 + 84 * 74_850) / (168 * 910))
    assert out["minutes_saved"] == out["minutes_saved_low"] == out["minutes_saved_high"] == 0
    assert out["night_beyond_moves_most"] == "if Service A were open at this hour"
    # An option that sets A's hours makes them a choice: its A cases are its own central
    # figure, and the minutes it saves are counted against today under the same case.
    option = _RangeView(RegisterChanges(hours={"a": "24/7"}))
    mine, _ = measure(
        option, "sarc", threshold=42, weight="residents", baseline_minutes=own, cases=cases
    )
    assert mine["week_beyond"] == mine["week_beyond_low"] == mine["week_beyond_high"] == 0
    assert mine["minutes_saved"] == pytest.approx(own[""] - own["if Service A were open all week"])
    assert mine["minutes_saved_low"] == pytest.approx(0.0)  # if A were open all week anyway
    assert mine["minutes_saved_high"] == pytest.approx(
        own["if Service A were closed all week"] - own["if Service A were open all week"]
    )
    assert mine["minutes_saved_moves_most"] == "if Service A were open all week"
