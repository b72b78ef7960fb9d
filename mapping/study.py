"""`Study`: the one façade that the app, the CLI and notebooks call.

A :class:`Study` is the study area's data (boundaries, population-weighted origins), the
services register and the travel engine, loaded once; every question is a method::

    import mapping

    study = mapping.Study.load()
    study.sarc_access()  # where is each council area's nearest open SARC?
    study.coverage("idva", at="Sat 02:00", by="ward")
    what_if = study.with_scenario("data/scenarios/preston_sarc_24_7.toml")
    what_if.sarc_access(["weekend night"])
    study.compare("data/scenarios/preston_sarc_24_7.toml").totals
    study.gaps()
    study.need()  # the need layer: IMD 2025, women 16+, recorded violence per LSOA
    study.sarc_access(weight="women_16_plus")
    study.equity("sarc", at="Sat 02:00")  # minutes by IMD decile, with Theil's T
    study.sarc_access(mode="walk")  # on foot (4.8 km/h), thresholds 15/30/45 minutes
    study.without_car("sarc", "Tue 10:00")  # no-car households beyond a 30-minute walk
    study.capacity()  # benchmark units against known units per area
    study.export("out/")

A what-if is an immutable view: :meth:`with_scenario` returns a new :class:`Study` whose
register changes and added sites are held by the view (its own engine view over the
shared base engine's vectors); the study it came from is never changed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mapping.analysis.summary import AreaLevel
from mapping.errors import Problem, ServiceMapError
from mapping.inputs.scenario_file import Scenario, load_scenario, parse_scenario
from mapping.study_invest import InvestQueries

if TYPE_CHECKING:
    import geopandas as gpd

    from mapping.analysis.capacity import FcaResult
    from mapping.analysis.equity import EquityResult
    from mapping.analysis.out_of_hours import HourAccount, HourChange
    from mapping.analysis.scenarios import Comparison
    from mapping.inputs.evidence import EvidenceBasis
    from mapping.inputs.rules import GapRule
    from mapping.inputs.sources import Sources
    from mapping.inputs.when import TimeSlot
    from mapping.outputs.pack import ExportReport

__all__ = ["Study"]

#: A scenario, the path of a scenario file, or a dict in a scenario file's structure.
ScenarioLike = Scenario | str | os.PathLike[str] | Mapping[str, Any]


def _as_scenario(scenario: ScenarioLike) -> Scenario:
    """The scenario, read from its file or built from its dict (validated either way).

    Raises
    ------
    ServiceMapError
        For anything else (a clear message, not a raw ``TypeError``), or a scenario
        file or dict with problems (each listed).
    """
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | os.PathLike):
        return load_scenario(Path(scenario))
    if isinstance(scenario, Mapping):
        return parse_scenario(scenario, "scenario (a dict)")
    raise ServiceMapError(
        "a scenario is a mapping.Scenario, the path of a .toml or .json scenario file, or a "
        'dict in that file\'s structure ({"name": ..., "change": [...]}), '
        f"not {type(scenario).__name__}"
    )


class Study(InvestQueries):
    """The study area, its services and their drive times: the whole analysis API.

    Build it with :meth:`Study.load`. Coverage queries (:meth:`coverage`,
    :meth:`sarc_access`, :meth:`origin_minutes`, :meth:`compare_slots`, :meth:`nearest`)
    come from :class:`~mapping.analysis.coverage.CoverageModel`; where and when to invest
    (optimisers, appraisal) and referral pathways from
    :class:`~mapping.study_invest.InvestQueries`; gaps, what-ifs and exports are methods
    here.

    Attributes
    ----------
    scenario
        The scenario this view applies (``None`` for the baseline).
    """

    scenario: Scenario | None = None

    def __repr__(self) -> str:
        routable = len(self.engine.service_ids)
        what = "baseline" if self.scenario is None else f"scenario {self.scenario.name!r}"
        return (
            f"Study({what}: {len(self.register)} services ({routable} routable), "
            f"{len(self.origins):,} origins, {self.network_source} network "
            f"of {self.network.n_nodes:,} nodes)"
        )

    # ---- facts ------------------------------------------------------------------

    @property
    def network(self) -> Any:
        """The road network the drive times come from (:class:`RoadNetwork`)."""
        return self.engine.network

    @property
    def network_meta(self) -> dict[str, Any]:
        """How the road network was built (source, parameters, input checksums)."""
        return dict(self.engine.network.meta)

    @property
    def services_not_routed(self) -> pd.DataFrame:
        """Services with no point to route to (confidential, county-wide) and why."""
        return self.engine.skipped.copy()

    # ---- need, equity and capacity ----------------------------------------------------

    def need(self) -> gpd.GeoDataFrame:
        """The need layer: one row per LSOA with its polygon (EPSG:27700), cached.

        IMD 2025 score, rank and decile, the crime domain, Census residents, women aged
        16+ (mid-2024), police-recorded violence and sexual offences (a proxy: see
        :data:`mapping.inputs.vocabulary.RECORDED_VIOLENCE_CAVEAT`) and each council
        area's Community Safety Partnership; see :mod:`mapping.geography.need`.

        Raises
        ------
        NeedError
            Naming ``need/lsoa_need.csv`` when it is missing or damaged. Every other
            method works without it.
        """
        from mapping.geography.need import load_need

        need: gpd.GeoDataFrame = self._data.get("need", lambda: load_need(self.data_dir))
        return need

    def need_weights(self, weight: str) -> np.ndarray:
        """Per-origin need weight, spread over each LSOA's origins as residents are."""
        from mapping.geography.need import spread_weight

        return spread_weight(self.origins, self.need(), weight).to_numpy(float)

    def equity(
        self,
        category: str | Sequence[str] | None = "sarc",
        at: str | TimeSlot | None = "Sat 02:00",
        minutes: float | None = None,
        weight: str = "residents",
        *,
        age_band: str | None = None,
        mode: str = "drive",
    ) -> EquityResult:
        """Minutes by IMD 2025 decile and quintile, Theil's T, and by rural/urban class.

        ``by_decile`` has ten rows (``imd_decile``, ``population`` of ``weight``,
        ``mean_minutes``, ``p90_minutes``, ``share_beyond_threshold``, ...); ``theil``
        carries the split and its meaning; ``by_rural_urban`` has Urban and Rural rows
        (ONS RUC 2021). ``minutes`` defaults to 60 by car, 30 on foot (``mode="walk"``).
        See :func:`mapping.analysis.equity.equity`.
        """
        from mapping.analysis.need_queries import equity_for

        return equity_for(
            self,
            self.need(),
            category,
            at,
            minutes=minutes,
            weight=weight,
            age_band=age_band,
            mode=mode,
        )

    def without_car(
        self, category: str = "sarc", at: str | TimeSlot = "Tue 10:00", minutes: float = 30
    ) -> pd.DataFrame:
        """Households with no car beyond a ``minutes`` walk of every open ``category`` service.

        By council area and ward, with a Lancashire total; by foot only (buses and trains
        are not modelled). See :func:`mapping.analysis.without_car.without_car`.
        """
        from mapping.analysis.without_car import without_car

        return without_car(self, category, at, minutes=minutes)

    def capacity(
        self,
        *,
        denominators: dict[str, str] | None = None,
        benchmarks: str | Path | None = None,
    ) -> pd.DataFrame:
        """Capacity against the published benchmarks per council area, CSP and Lancashire.

        ``denominators`` picks another denominator for a benchmark, e.g.
        ``{"sexual_violence_support": "residents"}`` (the Istanbul Convention report's
        "inhabitants") instead of women. See :func:`mapping.analysis.capacity.capacity_table`.
        """
        from mapping.analysis.need_queries import capacity_for

        return capacity_for(self, self.need(), denominators=denominators, benchmarks=benchmarks)

    def access(
        self,
        category: str = "idva",
        *,
        weight: str = "residents",
        catchment_minutes: float = 60,
        at: str | TimeSlot = "weekday daytime",
    ) -> FcaResult:
        """Capacity-aware access per LSOA (2SFCA, E2SFCA) for ``idva`` or ``refuge``.

        Refuge access is computed at county scale (its demand is regional) and the
        result's ``note`` says so. See :func:`mapping.analysis.need_queries.access_for`.
        """
        from mapping.analysis.need_queries import access_for

        return access_for(
            self,
            self.need(),
            category,
            weight=weight,
            catchment_minutes=catchment_minutes,
            at=at,
        )

    # ---- what-ifs -----------------------------------------------------------------

    def with_scenario(self, scenario: ScenarioLike, *, sources: Path | None = None) -> Study:
        """A new view of this study with ``scenario`` applied (this study is unchanged).

        Parameters
        ----------
        scenario
            A :class:`~mapping.inputs.scenario_file.Scenario` or the path of a scenario
            file (``.toml`` or ``.json``).
        sources
            Raw sources for looking up an added site's postcode (found when omitted).

        Raises
        ------
        ServiceMapError
            Listing every problem of the scenario (``file:change N:field: message``).
        """
        from mapping.analysis.scenarios import apply_scenario

        plan = _as_scenario(scenario)
        view = apply_scenario(self, plan, sources=sources).study
        assert isinstance(view, Study)
        view.scenario = plan
        return view

    def check_scenario(self, scenario: ScenarioLike, *, sources: Path | None = None) -> list[str]:
        """Every problem of ``scenario`` against this study (``file:change N:field: ...``)."""
        from mapping.analysis.scenario_check import validate_scenario

        return list(
            validate_scenario(
                _as_scenario(scenario),
                self.effective_register(),
                sources,
                engine=self.engine,
                data_dir=self.data_dir,
            )
        )

    def compare(
        self,
        scenario: ScenarioLike,
        *,
        category: str | Sequence[str] | None = "sarc",
        slots: Iterable[str | TimeSlot] = ("weekday daytime", "weekend night"),
        by: AreaLevel = "district",
        threshold: float = 60,
        age_band: str | None = None,
        sources: Path | Sources | None = None,
        weight: str = "residents",
    ) -> Comparison:
        """This study against ``scenario``, per area and time slot.

        See :func:`mapping.analysis.scenarios.compare` for the columns.
        """
        from mapping.analysis.scenarios import compare

        return compare(
            self,
            _as_scenario(scenario),
            category=category,
            slots=slots,
            by=by,
            threshold=threshold,
            age_band=age_band,
            sources=sources,
            weight=weight,
        )

    def gap_changes(self, scenario: ScenarioLike) -> pd.DataFrame:
        """Gap-rule rows ``scenario`` resolves, creates or changes (see ``compare(...).gaps``).

        The gap register does not depend on a category or time slot, so a page can ask
        for it once per scenario, apart from the comparisons it shows.
        """
        from mapping.analysis.scenarios import compare_gaps

        return compare_gaps(self, self.with_scenario(scenario))

    # ---- the whole week -----------------------------------------------------------

    def week_profile(
        self,
        category: str = "sarc",
        *,
        threshold: float | None = None,
        age_band: str | None = None,
        area: str | None = None,
        by: AreaLevel = "district",
        mode: str = "drive",
    ) -> pd.DataFrame:
        """Access to ``category`` in each of the 168 hours of the week, with this view's changes.

        Parameters
        ----------
        category
            Service category.
        threshold
            Minutes: people farther than this from an open eligible service are "beyond"
            (default 60 by car, 30 on foot).
        age_band
            Count only residents of this Census age band (and services eligible for it).
        area
            Restrict the figures to one area's residents (a code at level ``by``).
        by
            The level ``area`` is a code of (``district``, ``ward`` or ``lsoa``).
        mode
            ``"drive"`` (each hour's speed profile) or ``"walk"``.

        Returns
        -------
        pandas.DataFrame
            See :func:`mapping.analysis.week.week_profile`; one row per hour of the week,
            with ``people_beyond_low`` / ``_high`` and ``share_beyond_low`` / ``_high``
            (:func:`mapping.analysis.ranges.week_bounds`) after the central columns.
        """
        from mapping.analysis.week_study import study_week_profile

        return study_week_profile(
            self,
            category,
            threshold=threshold,
            age_band=age_band,
            area=area,
            by=by,
            mode=mode,
            filters=self._change_filters(),
        )

    def out_of_hours(
        self,
        category: str = "sarc",
        at: str | TimeSlot = "weekend night",
        *,
        threshold: float = 60,
        weight: str = "residents",
        age_band: str | None = None,
        area: str | None = None,
    ) -> HourAccount:
        """Who an in-area service serves at ``at``, who each cross-border one does, who none.

        ``area`` (a council-area code) counts only its residents. See
        :mod:`mapping.analysis.out_of_hours`: the Map, Gaps, Week, the CLI and the report
        all read this one account.
        """
        from mapping.analysis.out_of_hours import hour_account

        return hour_account(
            self, category, at, **self._account_options(threshold, weight, age_band, area)
        )

    def hour_change(
        self,
        category: str,
        start: str | TimeSlot,
        end: str | TimeSlot,
        *,
        threshold: float = 60,
        weight: str = "residents",
        age_band: str | None = None,
        area: str | None = None,
    ) -> HourChange:
        """The accounts at ``start`` and ``end``: the change split into hours and speeds."""
        from mapping.analysis.out_of_hours import change_between

        options = self._account_options(threshold, weight, age_band, area)
        return change_between(self, category, start, end, **options)

    def _account_options(
        self, threshold: float, weight: str, age_band: str | None, area: str | None
    ) -> dict[str, Any]:
        mask = None
        if area is not None:
            mask = self.origins["lad_code"].to_numpy() == area
            if not mask.any():
                raise ServiceMapError(f"area {area!r} is not a council-area code of the study")
        return {"threshold": threshold, "weight": weight, "age_band": age_band, "origin_mask": mask}

    # ---- gaps and exports ---------------------------------------------------------

    def gaps(
        self, rules: Sequence[GapRule] | Path | str | None = None, *, as_of: date | None = None
    ) -> pd.DataFrame:
        """The gap register: one row per gap found by the rules (default rules file)."""
        from mapping.analysis.gaps import evaluate

        return evaluate(self, rules, as_of=as_of)

    def export(
        self,
        out: str | Path,
        *,
        scenario: ScenarioLike | None = None,
        categories: Iterable[str] | None = None,
        slots: Iterable[str | TimeSlot] | None = None,
        sources: Path | Sources | None = None,
        progress: bool = False,
        threshold: float | None = None,
    ) -> ExportReport:
        """Write the export pack (tables, GIS layers, report) to the folder ``out``.

        ``categories`` and ``slots`` narrow the coverage tables (and a scenario's
        comparison) to those service categories and times; by default every category of
        the pack at every named slot (see :func:`mapping.outputs.export.export_all`).
        ``threshold`` is the minutes of the scenario's comparison and of the report's
        scenario section (the screen's; default 60).
        """
        from mapping.outputs.export import export_all

        plan = None if scenario is None else _as_scenario(scenario)
        narrowed: dict[str, Any] = {}
        if categories is not None:
            narrowed["categories"] = tuple(categories)
        if slots is not None:
            narrowed["slots"] = tuple(slots)
        return export_all(
            self,
            Path(out),
            scenario=plan,
            sources=sources,
            progress=progress,
            threshold=threshold,
            **narrowed,
        )

    # ---- registers and boundaries -------------------------------------------------

    def with_register(self, register: str | Path | pd.DataFrame, *, sources: Any = None) -> Study:
        """This study on another services register (an upload, a draft), sharing the rest.

        The road network and origins are shared; only the travel engine's services are
        the new register's. The register file is validated first.

        Raises
        ------
        RegisterError
            Listing every problem as ``file:row:field: message`` (nothing is loaded).
        """
        from mapping.inputs.register import load_register
        from mapping.routing.loading import build_engine

        frame = (
            register
            if isinstance(register, pd.DataFrame)
            else load_register(Path(register), sources=sources)
        )
        engine = build_engine(
            self.engine.network, register=frame, origins=self.origins, data_dir=self.data_dir
        )
        study = Study(engine, self.origins, frame, data_dir=self.data_dir)
        study._data = self._data  # area names and the need layer do not depend on it
        return study

    @staticmethod
    def check_register(path: str | Path, *, sources: Any = None) -> list[Problem]:
        """Every problem of a register file, without loading it (empty when valid)."""
        from mapping.inputs.register import validate_register

        return list(validate_register(Path(path), sources))

    def evidence_basis(
        self, categories: Sequence[str] | None = None, *, located_only: bool = False
    ) -> EvidenceBasis:
        """How firm the records behind a figure are (this view's effective register).

        Counts records (of ``categories``; only those with a public point when
        ``located_only``) with assumed hours, town-level sites and each confidence level.
        """
        from mapping.inputs.evidence import evidence_basis

        return evidence_basis(self.effective_register(), categories, located_only=located_only)

    def boundaries(self, level: AreaLevel = "district") -> Any:
        """Council areas, wards or LSOAs as a GeoDataFrame (EPSG:27700)."""
        from mapping import geography

        loader = {
            "district": geography.load_council_areas,
            "ward": geography.load_wards,
            "lsoa": geography.load_lsoas,
        }[level]
        return loader(self.data_dir)
