"""The options an appraisal compares by default, derived from the register and optimisers.

See :mod:`mapping.analysis.appraise`. Nothing here names a service: the in-area services
of the category come from the register, the hours from the hours optimiser, the site
from the site optimiser.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from mapping import formats
from mapping.analysis.appraise import NIGHT, AppraisalOption, extension_options
from mapping.analysis.week import hour_label
from mapping.inputs.scenario_file import HoursChange, Scenario

if TYPE_CHECKING:
    import pandas as pd

    from mapping.analysis.coverage import CoverageModel
    from mapping.analysis.optimise_hours import HoursPlan
    from mapping.analysis.optimise_sites import SiteProblem, SitesPlan

__all__ = [
    "Optimisers",
    "best_site_option",
    "default_options",
    "hours_options",
    "saturation_note",
    "saturation_trade",
]


class Optimisers(Protocol):
    """What the default options need: a study view's coverage queries and its optimisers.

    :class:`mapping.study_invest.InvestQueries` is one.
    """

    @property
    def model(self) -> CoverageModel:
        """The study view's coverage queries over its data."""
        ...

    def candidate_sites(self) -> pd.DataFrame:
        """Default candidate sites."""
        ...

    def optimise_sites(
        self,
        category: str,
        add: int,
        *,
        threshold: float,
        at: Sequence[str] | None,
        candidates: pd.DataFrame | None,
        weight: str,
    ) -> tuple[SitesPlan, SiteProblem]:
        """The best ``add`` new sites of ``category``."""
        ...

    def optimise_hours(
        self, service: str, extra_hours: int, *, threshold: float, objective: str
    ) -> HoursPlan:
        """The best ``extra_hours`` a week to add to ``service``."""
        ...


def saturation_note(covered: float, total: float, add: int, threshold: float, when: str) -> str:
    """The sentence a saturated covering model earns, or ``""`` when it is not saturated.

    ``when`` completes the sentence: ``"at Sat 02:00"``, ``"over the whole week"``.
    """
    if total <= 0 or covered < total * (1 - 1e-9):
        return ""
    sites = "one site" if add == 1 else f"{add} sites"
    return (
        f"{sites} already reach{'es' if add == 1 else ''} everyone within {threshold:g} "
        f"minutes {when}, so covering more is impossible: the "
        f"{'site is' if add == 1 else 'sites are'} chosen by the shortest mean drive "
        "(p-median) instead"
    )


def saturation_trade(covering: SitesPlan, shortest: SitesPlan, threshold: float, unit: str) -> str:
    """What the p-median's plan trades against the covering plan, in words (or ``""``).

    ``covering`` and ``shortest`` are :class:`~mapping.analysis.optimise_sites.SitesPlan`
    of MCLP and p-median on the same problem.
    """
    if tuple(covering.chosen) == tuple(shortest.chosen):
        return ""
    names = [", ".join(plan.sites["name"]) for plan in (shortest, covering)]
    lost = covering.plan.covered - shortest.plan.covered
    left = (
        f"leaves {formats.people(lost)} {unit} more beyond {threshold:g} minutes"
        if lost > 0.5
        else f"keeps everyone within {threshold:g} minutes"
    )
    return (
        f"the shortest mean drive ({names[0]}: {formats.minutes(shortest.plan.mean_minutes)} "
        f"minutes) {left}; the covering plan ({names[1]}) has a mean of "
        f"{formats.minutes(covering.plan.mean_minutes)} minutes"
    )


def best_site_option(
    study: Optimisers, category: str, *, threshold: float, weight: str
) -> tuple[AppraisalOption, str]:
    """The best new 24/7 site at the weekend night: MCLP, then p-median if it saturates.

    Returns the option and the saturation note (``""`` when MCLP was not saturated).
    """
    candidates = study.candidate_sites()
    at = [NIGHT.at]
    plan, problem = study.optimise_sites(
        category, 1, threshold=threshold, at=at, candidates=candidates, weight=weight
    )
    note = saturation_note(
        plan.plan.covered, float(problem.weights.sum()), 1, threshold, f"at {NIGHT.at}"
    )
    if note:  # the same problem (travel times computed once), ranked by mean minutes
        from mapping.analysis.optimise_sites import optimise_sites

        covering, plan = plan, optimise_sites(problem, 1, method="pmedian")
        trade = saturation_trade(covering, plan, threshold, "people")
        note += f"; {trade}" if trade else ""
    site = str(plan.sites["name"].iloc[0])
    scenario = plan.to_scenario(category=category)
    option = AppraisalOption(
        f"A new 24/7 site at {site}", "new_site", scenario, extra_hours=0, new_sites=1
    )
    return option, note


def hours_options(
    study: Optimisers, service: str, name: str, *, extra_hours: int, threshold: float
) -> tuple[AppraisalOption | None, str]:
    """The optimiser's best ``extra_hours`` (minutes objective), and what coverage picks.

    Returns the option (``None`` when no hour helps) and a sentence comparing the two
    objectives' choices.
    """
    plans = {
        objective: study.optimise_hours(
            service, extra_hours, threshold=threshold, objective=objective
        )
        for objective in ("minutes", "coverage")
    }
    best, other = plans["minutes"], plans["coverage"]
    if not best.chosen:
        return None, ""
    night = sum(1 for h in best.chosen if h % 24 >= 19 or h % 24 < 7)
    other_night = sum(1 for h in other.chosen if h % 24 >= 19 or h % 24 < 7)
    note = (
        f"For {name}, the optimiser by minutes saved picks {len(best.chosen)} hours "
        f"({night} at night, from {hour_label(best.chosen[0])}); by residents within "
        f"{threshold:g} minutes (a hard cut-off) it would pick {len(other.chosen)} hours "
        f"({other_night} at night): {other.added_rules or 'nothing'}"
    )
    option = AppraisalOption(
        f"Opening {name} for the optimiser's best {len(best.chosen)} extra hours "
        f"({best.added_rules})",
        "optimised_hours",
        Scenario(
            f"{name}: best {len(best.chosen)} extra hours",
            changes=(HoursChange(service=service, opening_hours=best.opening_hours),),
        ),
        extra_hours=len(best.chosen),
    )
    return option, note


def default_options(
    study: Optimisers, category: str, *, extra_hours: int, threshold: float, weight: str
) -> tuple[list[AppraisalOption], tuple[str, ...]]:
    """Every in-area service 24/7 and at night, its optimised hours, the best new site
    and the first service's optimised hours with that site; and the notes."""
    options = extension_options(study.model, category)
    notes: list[str] = []
    services = study.model.engine.services.set_index("id")
    seen: list[AppraisalOption] = []
    for option in options:
        (change,) = option.scenario.changes
        if option.name.endswith("24/7") and isinstance(change, HoursChange):
            name = str(services.at[change.service, "name"]).split(" (")[0]
            found, note = hours_options(
                study, change.service, name, extra_hours=extra_hours, threshold=threshold
            )
            if found is not None:
                seen.append(found)
                notes.append(note)
    options += seen
    site, saturation = best_site_option(study, category, threshold=threshold, weight=weight)
    options.append(site)
    if saturation:
        notes.append(saturation[0].upper() + saturation[1:])
    if seen:
        both = seen[0]
        options.append(
            AppraisalOption(
                f"{both.name.split(' (')[0]} and {site.name[0].lower()}{site.name[1:]}",
                "combination",
                Scenario(
                    f"{both.scenario.name} and {site.scenario.name}",
                    changes=both.scenario.changes + site.scenario.changes,
                ),
                extra_hours=both.extra_hours,
                new_sites=1,
            )
        )
    notes.append(
        f"Ranges: drive times {formats.percent(0.1)} shorter or longer, and each service "
        "with assumed hours open or closed at that hour (docs/ranges.md)"
    )
    return options, tuple(notes)
