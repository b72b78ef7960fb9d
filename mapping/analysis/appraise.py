"""Options appraisal: the decision as it is made, every option on the same measures.

For one category, the options a commissioner weighs are put side by side
(``docs/optimise.md``):

* **extend an existing service's hours**: every in-area service of the category (provider
  area Lancashire, from the register) that is not open all week, opened 24/7, or at
  night only (the hours outside the daytime speed profile, 19:00-07:00);
* **the optimiser's best extra hours** for that service under a budget of staffed hours,
  by resident-minutes saved (:mod:`mapping.analysis.optimise_hours`, ``minutes``), and
  what the 60-minute cut-off objective (``coverage``) would pick instead;
* **the best new site** (a new 24/7 site among the town-centre candidates at the weekend
  night, :mod:`mapping.analysis.optimise_sites`: MCLP, and when one site already brings
  everyone within the threshold, the p-median: the shortest mean drive);
* **a combination**: the optimiser's hours and the new site together.

Each option is a :class:`~mapping.inputs.scenario_file.Scenario` applied to the study, and
is measured by :func:`measure`: the weight beyond the threshold at the weekend night
(Saturday 02:00) and at weekend daytime (Saturday 14:00), each with its range
(:mod:`mapping.analysis.ranges`: drive times ±10% and each assumed-hours service flipped;
a service whose hours the option sets is no longer an assumption); and over the whole
week (168 hours): the average weight beyond the threshold in an hour, the mean and 90th
percentile minutes, and the weight-minutes saved against today, each with its range from
the same two sources (:func:`week_cases`): drive times 10% shorter or longer, and each
service of the category whose hours are assumed open all week or closed all week, one at
a time (at every hour this is the hour's flip of docs/ranges.md, or no change). Each
measure's ``_moves_most`` column names the case that moves it farthest from the central
figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mapping import formats
from mapping.analysis.hours_expression import merge_hours
from mapping.analysis.optimise_hours import UNREACHED_MINUTES
from mapping.analysis.ranges import DRIVE_TIME_BAND, assumed_hours_ids
from mapping.analysis.week import HOURS_IN_WEEK, hour_times, minutes_for_key, open_sets
from mapping.inputs.scenario_file import HoursChange, Scenario
from mapping.inputs.vocabulary import LANCASHIRE
from mapping.inputs.when import NAMED_SLOTS

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel


__all__ = [
    "APPRAISAL_COLUMNS",
    "Appraisal",
    "AppraisalOption",
    "appraise",
    "extension_options",
    "measure",
    "night_hours",
    "week_cases",
    "week_figures",
]

#: The weekend night and weekend daytime of the named slots (Saturday 02:00 and 14:00).
NIGHT = next(s for s in NAMED_SLOTS if s.name == "weekend night")
WEEKEND_DAY = next(s for s in NAMED_SLOTS if s.name == "weekend day")
_MEASURES = (
    "night_beyond",
    "weekend_day_beyond",
    "week_beyond",
    "mean_minutes",
    "p90_minutes",
    "minutes_saved",
)
_MINUTES_UNIT = {
    "residents": "resident-minutes",
    "women aged 16+": "woman-minutes",
    "recorded offences": "offence-minutes",
}
#: Columns of :attr:`Appraisal.table`, in order: every measure with ``_low`` and ``_high``.
APPRAISAL_COLUMNS: tuple[str, ...] = (
    "option",
    "kind",
    "extra_hours",
    "new_sites",
    *[f"{m}{end}" for m in _MEASURES for end in ("", "_low", "_high")],
    "sentence",
    *[f"{m}_moves_most" for m in _MEASURES],
)


@dataclass(frozen=True)
class AppraisalOption:
    """One option: a name, what it changes (a scenario) and what it costs in staffing.

    Attributes
    ----------
    name
        How the option reads at the start of a sentence ("Opening X at night").
    kind
        ``today``, ``extend_hours``, ``optimised_hours``, ``new_site`` or ``combination``.
    scenario
        The changes (empty for today).
    extra_hours
        Staffed hours a week added at existing services.
    new_sites
        New sites opened.
    """

    name: str
    kind: str
    scenario: Scenario
    extra_hours: int = 0
    new_sites: int = 0


@dataclass(frozen=True)
class Appraisal:
    """The options on the same measures, and the notes a reader needs beside them.

    Attributes
    ----------
    table
        One row per option (:data:`APPRAISAL_COLUMNS`); ``today`` first.
    category, threshold, weight
        What was measured.
    notes
        Sentences: saturation of the site optimiser, what the other hours objective picks.
    """

    table: pd.DataFrame
    category: str
    threshold: float
    weight: str
    notes: tuple[str, ...] = field(default=())


def _open_hours(expression: str) -> list[bool]:
    from mapping.inputs.hours import is_open

    return [bool(is_open(expression, when)) for when in hour_times()]


def night_hours() -> list[int]:
    """Hours of the week at night: the free-flow speed profile (19:00-07:00)."""
    from mapping.network import profile_for

    return [h for h, when in enumerate(hour_times()) if profile_for(when) == "free_flow"]


def extension_options(study: CoverageModel, category: str) -> list[AppraisalOption]:
    """24/7 and nights-only for every in-area service of ``category`` not open all week.

    In-area: the service's provider area is Lancashire (from the register); services
    without a point to drive to are not routable and are left out.
    """
    services = study.engine.services
    mine = services[
        (services["category"] == category)
        & (services["provider_area"] == LANCASHIRE)
        & ~services.get("what_if", pd.Series(False, index=services.index)).astype(bool)
    ]
    options = []
    nights = night_hours()
    for _, row in mine.iterrows():
        sid = str(row["id"])
        expression = str(study.changes.hours.get(sid, row["opening_hours"]))
        now = _open_hours(expression)
        if all(now):
            continue
        name = str(row["name"]).split(" (")[0]
        closed_nights = [h for h in nights if not now[h]]
        options.append(
            AppraisalOption(
                f"Opening {name} 24/7",
                "extend_hours",
                Scenario(f"{name} 24/7", changes=(HoursChange(service=sid, opening_hours="24/7"),)),
                extra_hours=HOURS_IN_WEEK - sum(now),
            )
        )
        if closed_nights:
            hours = merge_hours(expression, closed_nights)
            options.append(
                AppraisalOption(
                    f"Opening {name} at night (19:00-07:00)",
                    "extend_hours",
                    Scenario(
                        f"{name} at night",
                        changes=(HoursChange(service=sid, opening_hours=hours),),
                    ),
                    extra_hours=len(closed_nights),
                )
            )
    return options


@dataclass(frozen=True)
class WeekCase:
    """One case of a whole-week range: a drive-time factor or one service's hours.

    Attributes
    ----------
    label
        The assumption in words ("drive times 10% longer", "if X were open all week").
    factor
        Drive-time factor (1 for an hours case).
    service_id
        The service whose assumed hours the case replaces (``None``: a drive case).
    open_all_week
        The replacement: open 24/7 (``True``) or closed all week (``False``).
    """

    label: str
    factor: float = 1.0
    service_id: str | None = None
    open_all_week: bool = False


def week_cases(study: CoverageModel, category: str) -> list[WeekCase]:
    """The drive-time band, then each assumed-hours service open all week and closed all week.

    The services: those of ``category`` that could serve anyone at some hour (routable,
    not closed by a what-if) whose ``hours_basis`` is not published
    (:func:`mapping.analysis.ranges.assumed_hours_ids`) and whose hours no what-if sets.
    A replacement equal to the register's hours (a 24/7 service "open all week") is
    no case.
    """
    cases = [
        WeekCase(f"drive times {DRIVE_TIME_BAND:.0%} shorter", 1.0 - DRIVE_TIME_BAND),
        WeekCase(f"drive times {DRIVE_TIME_BAND:.0%} longer", 1.0 + DRIVE_TIME_BAND),
    ]
    changes = study.changes
    register = study.effective_register()
    assumed = assumed_hours_ids(register) - set(changes.hours)
    names = dict(zip(register["id"].astype(str), register["name"].astype(str), strict=True))
    anytime = study.engine.nearest(
        category, None, exclude=sorted(changes.closed), extra_services=list(changes.added_ids)
    ).candidates
    hours = dict(zip(register["id"].astype(str), register["opening_hours"], strict=True))
    for sid in anytime:
        if sid not in assumed or sid in changes.added_ids:
            continue
        now = _open_hours(str(hours.get(sid) or ""))
        name = names.get(sid, sid)
        if not all(now):
            cases.append(WeekCase(f"if {name} were open all week", 1.0, sid, True))
        if any(now):
            cases.append(WeekCase(f"if {name} were closed all week", 1.0, sid, False))
    return cases


def week_figures(
    view: CoverageModel,
    category: str,
    weights: np.ndarray,
    threshold: float,
    factor: float = 1.0,
    weight: str = "residents",
    case: WeekCase | None = None,
    cache: dict[Any, np.ndarray] | None = None,
) -> dict[str, float]:
    """Whole-week figures of a study view, drive times times ``factor``.

    ``week_beyond``: weight beyond ``threshold`` averaged over the 168 hours;
    ``mean_minutes`` and ``p90_minutes`` over every hour and every person who reaches an
    open service (weighted by weight times hours); ``weight_minutes``: weighted minutes
    summed over the week, people with none in reach counting ``UNREACHED_MINUTES``. Each
    age group (``weight`` shared as :meth:`CoverageModel.age_parts` shares it) counts
    against the services that see it. ``case``: one service's hours replaced (open 24/7
    or closed all week) on top of the view's changes. ``cache``: minute vectors by open
    set, shared between calls on the same view.
    """
    from mapping.analysis.summary import weighted_quantiles

    changes = view.changes
    closed, overrides = set(changes.closed), dict(changes.hours)
    if case is not None and case.service_id is not None:
        if case.open_all_week:
            overrides[case.service_id] = "24/7"
        else:
            closed.add(case.service_id)
    cache = {} if cache is None else cache
    beyond = total = reached_w = reached_m = 0.0
    stacks: list[np.ndarray] = []
    stack_w: list[np.ndarray] = []
    blocks = []
    for part in view.age_parts(category, weights, weight):
        sets = open_sets(
            view.engine,
            category,
            age_band=part.band,
            exclude=sorted(closed),
            extra_services=list(changes.added_ids),
            hours_override=overrides,
        )
        blocks += [(part.weights, sets, key) for key in sets.distinct]
    for weights, sets, key in blocks:
        hours = float(len(sets.hours_of(key)))
        minutes = minutes_for_key(view.engine, key, cache) * factor
        reach = np.isfinite(minutes)
        beyond += hours * float(weights[~(minutes <= threshold)].sum())
        total += hours * float((weights * np.minimum(minutes, UNREACHED_MINUTES)).sum())
        reached_w += hours * float(weights[reach].sum())
        reached_m += hours * float((weights[reach] * minutes[reach]).sum())
        stacks.append(minutes[reach])
        stack_w.append(weights[reach] * hours)
    values, value_weights = np.concatenate(stacks), np.concatenate(stack_w)
    p90 = float("nan")
    if value_weights.sum() > 0:
        quantile = weighted_quantiles(np.zeros(values.size), values, value_weights, (0.9,))
        p90 = float(quantile.iloc[0, 0])
    return {
        "week_beyond": beyond / HOURS_IN_WEEK,
        "mean_minutes": reached_m / reached_w if reached_w else float("nan"),
        "p90_minutes": p90,
        "weight_minutes": total,
    }


def measure(
    view: CoverageModel,
    category: str,
    *,
    threshold: float,
    weight: str,
    baseline_minutes: dict[str, float] | None = None,
    cases: Sequence[WeekCase] = (),
) -> tuple[dict[str, Any], dict[str, float]]:
    """Every measure of one study view, with ``_low``, ``_high`` and ``_moves_most``.

    ``cases``: today's :func:`week_cases`; a case whose service this view closes or
    whose hours it sets is not an assumption here, and counts as the central figure.
    ``baseline_minutes``: today's weight-minutes per case label (``""``: central), for
    the minutes saved (``None``: this view is today, nothing saved). Returns the
    measures and this view's weight-minutes per case label.
    """
    out: dict[str, Any] = {}
    for label, slot in (("night_beyond", NIGHT), ("weekend_day_beyond", WEEKEND_DAY)):
        spread = view.beyond_range(category, slot, threshold=threshold, weight=weight)
        out[label], out[f"{label}_low"], out[f"{label}_high"] = spread.people_beyond
        most = spread.moves_most()
        out[f"{label}_moves_most"] = "" if most is None else most.label
    weights = view.weights(weight)
    cache: dict[Any, np.ndarray] = {}
    central = week_figures(view, category, weights, threshold, weight=weight, cache=cache)
    figures: dict[str, dict[str, float]] = {"": central}
    set_here = set(view.changes.closed) | set(view.changes.hours)
    for case in cases:
        if case.service_id in set_here:
            figures[case.label] = dict(central)
        else:
            figures[case.label] = week_figures(
                view, category, weights, threshold, case.factor, weight, case, cache
            )
    own = {label: f["weight_minutes"] for label, f in figures.items()}
    base = own if baseline_minutes is None else baseline_minutes
    for label, f in figures.items():
        f["minutes_saved"] = base[label] - own[label]
    for name in ("week_beyond", "mean_minutes", "p90_minutes", "minutes_saved"):
        values = {label: f[name] for label, f in figures.items()}
        out[name], out[f"{name}_moves_most"] = values[""], _moves_most(values)
        finite = [v for v in values.values() if np.isfinite(v)]
        out[f"{name}_low"] = min(finite) if finite else float("nan")
        out[f"{name}_high"] = max(finite) if finite else float("nan")
    return out, own


def _moves_most(values: dict[str, float]) -> str:
    """The label whose figure is farthest from the central one (``""``), or ``""``."""
    central = values[""]
    moved = {k: abs(v - central) for k, v in values.items() if k and np.isfinite(v)}
    if not moved or not np.isfinite(central) or max(moved.values()) <= 1e-9:
        return ""
    return max(moved, key=moved.__getitem__)


def _sentence(row: dict[str, Any], today: dict[str, Any], threshold: float, who: str) -> str:
    """'Opening X at night would leave ... beyond 60 minutes at Saturday 02:00 ...'."""

    def people(prefix: str) -> str:
        low, high = formats.people(row[f"{prefix}_low"]), formats.people(row[f"{prefix}_high"])
        spread = "" if low == high else f" ({low}–{high})"
        return f"{formats.people(row[prefix])}{spread}"

    saved = row["minutes_saved"]
    return (
        f"{row['option']} would leave {people('night_beyond')} {who} beyond {threshold:g} "
        f"minutes at {NIGHT.at} (today {formats.people(today['night_beyond'])}) and "
        f"{people('weekend_day_beyond')} at {WEEKEND_DAY.at} (today "
        f"{formats.people(today['weekend_day_beyond'])}); over the week it would save "
        f"{formats.people(saved)} {_MINUTES_UNIT.get(who, 'weight-minutes')} "
        f"({formats.people(row['minutes_saved_low'])}–{formats.people(row['minutes_saved_high'])}),"
        f" a mean drive of {formats.minutes(row['mean_minutes'])} minutes (today "
        f"{formats.minutes(today['mean_minutes'])})."
    )


def appraise(
    study: CoverageModel,
    options: Sequence[AppraisalOption],
    *,
    category: str,
    threshold: float = 60,
    weight: str = "residents",
    who: str = "residents",
    notes: Sequence[str] = (),
) -> Appraisal:
    """Measure ``options`` (and today) on the same measures; see the module notes.

    ``study`` is a :class:`mapping.Study`; each option's scenario is applied to it with
    :func:`mapping.analysis.scenarios.apply_scenario`.
    """
    from mapping.analysis.scenarios import apply_scenario

    today_option = AppraisalOption("Today's services and hours", "today", Scenario("today"))
    cases = week_cases(study, category)
    today, base_minutes = measure(study, category, threshold=threshold, weight=weight, cases=cases)
    rows = []
    for option in (today_option, *options):
        if option.kind == "today":
            figures = dict(today)
        else:
            view = apply_scenario(study, option.scenario).study
            figures, _ = measure(
                view,
                category,
                threshold=threshold,
                weight=weight,
                baseline_minutes=base_minutes,
                cases=cases,
            )
        row: dict[str, Any] = {
            "option": option.name,
            "kind": option.kind,
            "extra_hours": option.extra_hours,
            "new_sites": option.new_sites,
            **figures,
        }
        row["sentence"] = "" if option.kind == "today" else _sentence(row, today, threshold, who)
        rows.append(row)
    table = pd.DataFrame(rows)[list(APPRAISAL_COLUMNS)]
    return Appraisal(table, category, float(threshold), weight, tuple(notes))
