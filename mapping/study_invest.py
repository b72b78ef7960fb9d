"""The façade's questions of where and when to invest, and of referral pathways.

:class:`InvestQueries` answers the optimisers, the options appraisal and the pathways over
a :class:`~mapping.analysis.coverage.CoverageModel` (the study's data and its coverage
queries). :class:`mapping.Study` composes one and forwards these methods; it sits beside
``study.py`` in the façade layer so that each module stays under the size cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mapping.analysis.coverage import CoverageModel, RegisterChanges
from mapping.errors import ServiceMapError

if TYPE_CHECKING:
    from mapping.analysis.age_split import AgePart
    from mapping.analysis.appraise import Appraisal, AppraisalOption
    from mapping.analysis.optimise_hours import HoursPlan
    from mapping.analysis.optimise_sites import SiteProblem, SitesPlan
    from mapping.analysis.pathway_study import PathwayResult
    from mapping.analysis.study_data import ChangeFilters
    from mapping.inputs.when import TimeSlot
    from mapping.routing.engine import TravelEngine

__all__ = ["WEIGHT_PEOPLE", "InvestQueries"]

#: How each weight's people are named in a sentence.
WEIGHT_PEOPLE = {
    "residents": "residents",
    "women_16_plus": "women aged 16+",
    "recorded_violence_sexual": "recorded offences a year",
    "no_car_households": "households with no car",
    "crime_deprived_residents": "residents of high-crime areas",
}


@dataclass(frozen=True)
class InvestQueries:
    """Optimisers, the options appraisal and referral pathways over ``model``.

    ``model`` is the study view's coverage queries over its data; see :class:`mapping.Study`.
    """

    model: CoverageModel

    @property
    def engine(self) -> TravelEngine:
        """The study view's travel engine."""
        return self.model.engine

    @property
    def changes(self) -> RegisterChanges:
        """The register changes the study view applies."""
        return self.model.changes

    # ---- where and when to invest -------------------------------------------------

    def _change_filters(self) -> ChangeFilters:
        """This view's scenario changes as the analysis kernels take them."""
        return self.model.data.change_filters()

    def optimise_hours(
        self,
        service: str,
        extra_hours: int,
        *,
        threshold: float = 60,
        min_block: int = 4,
        age_band: str | None = None,
        objective: str = "minutes",
        demand: np.ndarray | None = None,
    ) -> HoursPlan:
        """The best ``extra_hours`` a week to add to ``service`` (docs/optimise.md).

        See :func:`mapping.analysis.optimise_hours.optimise_hours`; weights are the
        residents (of ``age_band``) and this view's scenario changes apply. ``objective``
        is ``minutes`` (resident-minutes saved, the default) or ``coverage``
        (resident-hours within ``threshold``). Hours are added as whole shifts of at
        least ``min_block`` hours (default 4,
        :data:`mapping.analysis.optimise_hours.SHIFT_HOURS`; ``1``: any hours).
        """
        from mapping.analysis.optimise_hours import optimise_hours

        weights = self.model.eligible_weights(age_band)
        return optimise_hours(
            self.engine,
            service,
            extra_hours,
            weights=weights,
            threshold=threshold,
            min_block=min_block,
            age_band=age_band,
            objective=objective,
            demand=demand,
            parts=self.service_age_parts(service, weights, age_band=age_band),
            **self._change_filters(),
        )

    def service_age_parts(
        self,
        service: str,
        weights: np.ndarray,
        weight: str = "residents",
        age_band: str | None = None,
    ) -> tuple[AgePart, ...] | None:
        """:meth:`age_parts` of ``service``'s category, for the hours optimiser.

        Children are measured only against services that see them. ``None`` for a
        service the engine does not know (the optimiser then says why).
        """
        services = self.engine.services
        category = services.loc[services["id"] == service, "category"]
        if category.empty:
            return None
        return self.model.age_parts(str(category.iloc[0]), weights, weight, age_band)

    def evening_hours(
        self, plan: HoursPlan, *, start: int = 16, age_band: str | None = None
    ) -> tuple[str, float]:
        """The obvious alternative to ``plan``: the same budget spent on evenings.

        The first ``plan.budget`` closed hours from ``start``:00 to midnight, Monday
        first, added to the service's hours. Returns the opening hours and the plan's
        objective with them (resident-hours within the threshold, or resident-minutes:
        comparable to ``plan.plan_total``).
        """
        from mapping.analysis.hours_expression import merge_hours
        from mapping.analysis.optimise_hours import covered_weight_hours, week_weight_minutes

        gains = plan.gains
        evenings = [h for h in range(len(gains.available)) if h % 24 >= start]
        chosen = [h for h in evenings if gains.available[h]][: plan.budget]
        hours = merge_hours(plan.current_hours, chosen)
        filters = self._change_filters()
        filters["hours_override"] = {**filters["hours_override"], gains.service_id: hours}
        weights = self.model.eligible_weights(age_band)
        parts = self.service_age_parts(gains.service_id, weights, age_band=age_band)
        if gains.objective == "minutes":
            total = week_weight_minutes(
                self.engine,
                gains.category,
                weights=weights,
                age_band=age_band,
                parts=parts,
                **filters,
            )
            return hours, total
        covered = covered_weight_hours(
            self.engine,
            gains.category,
            weights=weights,
            threshold=gains.threshold,
            age_band=age_band,
            parts=parts,
            **filters,
        )
        return hours, covered

    def candidate_sites(self) -> pd.DataFrame:
        """Default candidates for new sites: the centres of towns of 5,000+ residents.

        See :func:`mapping.analysis.towns.settlement_candidates`.
        """
        from mapping import geography
        from mapping.analysis.towns import settlement_candidates

        return settlement_candidates(
            self.model.origins,
            geography.load_postcodes(self.model.data_dir),
            ward_names=self.model.area_names("ward"),
            area_names=self.model.area_names("district"),
        )

    def optimise_sites(
        self,
        category: str,
        add: int,
        *,
        threshold: float = 60,
        at: Sequence[str] | None = None,
        method: str = "mclp",
        candidates: pd.DataFrame | None = None,
        time_limit: float = 120.0,
        weight: str = "residents",
        age_band: str | None = None,
        new_hours: str = "24/7",
        solver: str = "highs",
        new_ages: tuple[int | None, int | None] = (None, None),
    ) -> tuple[SitesPlan, SiteProblem]:
        """The best ``add`` new sites of ``category`` (open ``new_hours``) among candidates.

        Candidates default to the centres of towns of 5,000+ residents
        (:func:`mapping.analysis.towns.settlement_candidates`). People are counted by
        :meth:`weights` (``weight``, ``age_band``); the age band also limits the existing
        services to those open to it. Without one, each age group is measured against
        the services that see it (the register's ages) and the new sites count for the
        groups their ``new_ages`` (``min_age``, ``max_age``; ``None``: no limit) see.
        Returns the plan and the problem (to score other choices with
        :func:`mapping.analysis.optimise_sites.evaluate_sites`).
        """
        from mapping.analysis.optimise_sites import build_problem, optimise_sites
        from mapping.inputs.limits import check_candidates, check_times
        from mapping.inputs.vocabulary import siting_refusal

        if (refusal := siting_refusal(category)) is not None:
            raise ServiceMapError(refusal)
        if method not in ("mclp", "pmedian"):
            raise ServiceMapError(f"method must be mclp or pmedian, not {method!r}")
        check_times(list(at) if at is not None else None, "at")
        if candidates is None:
            candidates = self.candidate_sites()
        check_candidates(len(candidates), "candidates", n_origins=len(self.model.origins))
        weights = self.model.weights(weight, age_band)
        problem = build_problem(
            self.engine,
            category,
            candidates,
            origins_xy=self.model.origins[["easting", "northing"]].to_numpy(float),
            weights=weights,
            groups=self.model.origins["lsoa21_code"].to_numpy(),
            threshold=threshold,
            at=at,
            new_hours=new_hours,
            age_band=age_band,
            parts=self.model.age_parts(category, weights, weight, age_band),
            new_ages=new_ages,
            **self._change_filters(),
        )
        plan = optimise_sites(
            problem,
            add,
            method="pmedian" if method == "pmedian" else "mclp",
            solver=solver,
            time_limit=time_limit,
            new_hours=new_hours,
        )
        return plan, problem

    # ---- referral pathways ----------------------------------------------------------

    def pathways(self, need: str, age: int, at: str | TimeSlot, home: str) -> PathwayResult:
        """Every way in for a victim: entry route -> service (-> onward service).

        ``need`` is a label or id from ``data/needs.toml`` ("adult, recent rape"), ``home``
        a postcode or LSOA code; each step says whether it is open ``at`` that time, and
        every service with a site has its drive minutes from the home LSOA's origin
        (:mod:`mapping.analysis.pathway_study`).
        """
        from mapping.analysis.pathway_study import victim_pathways

        return victim_pathways(self.model, need, age, at, home)

    def appraise(
        self,
        options: Sequence[AppraisalOption] | None = None,
        *,
        category: str = "sarc",
        extra_hours: int = 56,
        threshold: float = 60,
        weight: str = "residents",
    ) -> Appraisal:
        """Options side by side on the same measures, each with its range (docs/optimise.md).

        Without ``options``: :func:`mapping.analysis.appraise_options.default_options`
        (each in-area service 24/7 and at night, the optimiser's best ``extra_hours``, the
        best new site, and the hours with the site). See
        :func:`mapping.analysis.appraise.appraise` for the measures.
        """
        from mapping.analysis.appraise import appraise
        from mapping.analysis.appraise_options import default_options

        notes: tuple[str, ...] = ()
        if options is None:
            options, notes = default_options(
                self, category, extra_hours=extra_hours, threshold=threshold, weight=weight
            )
        return appraise(
            self.model,
            options,
            category=category,
            threshold=threshold,
            weight=weight,
            who=WEIGHT_PEOPLE.get(weight, weight),
            notes=notes,
        )
