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
percentile minutes, and the weight-minutes saved against today, each with the drive-time
band (low: drive times 10% shorter, high: 10% longer).
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
from mapping.analysis.ranges import DRIVE_TIME_BAND
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


def week_figures(
    view: CoverageModel, category: str, weights: np.ndarray, threshold: float, factor: float = 1.0
) -> dict[str, float]:
    """Whole-week figures of a study view, drive times times ``factor``.

    ``week_beyond``: weight beyond ``threshold`` averaged over the 168 hours;
    ``mean_minutes`` and ``p90_minutes`` over every hour and every person who reaches an
    open service (weighted by weight times hours); ``weight_minutes``: weighted minutes
    summed over the week, people with none in reach counting ``UNREACHED_MINUTES``.
    """
    from mapping.analysis.summary import weighted_quantiles

    changes = view.changes
    sets = open_sets(
        view.engine,
        category,
        exclude=sorted(changes.closed),
        extra_services=list(changes.added_ids),
        hours_override=dict(changes.hours),
    )
    cache: dict[Any, np.ndarray] = {}
    beyond = total = reached_w = reached_m = 0.0
    stacks: list[np.ndarray] = []
    stack_w: list[np.ndarray] = []
    for key in sets.distinct:
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
    baseline_minutes: Sequence[float] | None = None,
) -> tuple[dict[str, float], list[float]]:
    """Every measure of one study view, with ``_low`` and ``_high`` (see the module notes).

    ``baseline_minutes``: today's weight-minutes at factors (0.9, 1, 1.1), for the
    minutes saved (``None``: this view is today, nothing saved). Returns the measures
    and this view's weight-minutes at those factors.
    """
    out: dict[str, float] = {}
    for label, slot in (("night_beyond", NIGHT), ("weekend_day_beyond", WEEKEND_DAY)):
        spread = view.beyond_range(category, slot, threshold=threshold, weight=weight)
        out[label], out[f"{label}_low"], out[f"{label}_high"] = spread.people_beyond
    weights = view.weights(weight)
    factors = (1.0 - DRIVE_TIME_BAND, 1.0, 1.0 + DRIVE_TIME_BAND)
    figures = [week_figures(view, category, weights, threshold, f) for f in factors]
    short, central, long = figures
    for name in ("week_beyond", "mean_minutes", "p90_minutes"):
        out[name], out[f"{name}_low"], out[f"{name}_high"] = (
            central[name],
            short[name],
            long[name],
        )
    own = [f["weight_minutes"] for f in figures]
    base = own if baseline_minutes is None else list(baseline_minutes)
    saved = [b - o for b, o in zip(base, own, strict=True)]
    out["minutes_saved"] = saved[1]
    out["minutes_saved_low"], out["minutes_saved_high"] = min(saved), max(saved)
    return out, own


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
    today, base_minutes = measure(study, category, threshold=threshold, weight=weight)
    rows = []
    for option in (today_option, *options):
        if option.kind == "today":
            figures = dict(today)
        else:
            view = apply_scenario(study, option.scenario).study
            figures, _ = measure(
                view, category, threshold=threshold, weight=weight, baseline_minutes=base_minutes
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
