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

import functools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

import numpy as np
import pandas as pd

from mapping.analysis.coverage import CoverageModel
from mapping.analysis.study_data import RegisterChanges, StudyData
from mapping.analysis.summary import AreaLevel
from mapping.errors import Problem, ServiceMapError
from mapping.inputs.scenario_file import Scenario, load_scenario, parse_scenario
from mapping.study_invest import InvestQueries
from mapping.study_need import NeedQueries

if TYPE_CHECKING:
    import geopandas as gpd

    from mapping.analysis.out_of_hours import HourAccount, HourChange
    from mapping.analysis.scenarios import Comparison
    from mapping.inputs.evidence import EvidenceBasis
    from mapping.inputs.rules import GapRule
    from mapping.inputs.sources import Sources
    from mapping.inputs.when import TimeSlot
    from mapping.network.graph import RoadNetwork
    from mapping.outputs.pack import ExportReport
    from mapping.routing.engine import TravelEngine

__all__ = ["Study"]

#: A scenario, the path of a scenario file, or a dict in a scenario file's structure.
ScenarioLike = Scenario | str | os.PathLike[str] | Mapping[str, object]

_P = ParamSpec("_P")
_R = TypeVar("_R")


_S = TypeVar("_S")


def _forward(
    part: Callable[[Study], _S], method: Callable[Concatenate[_S, _P], _R]
) -> Callable[Concatenate[Study, _P], _R]:
    """``method`` of the part of the study ``part`` gives, as a method of :class:`Study`."""

    @functools.wraps(method)
    def call(self: Study, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return method(part(self), *args, **kwargs)

    return call


def _model(study: Study) -> CoverageModel:
    return study.model


def _invest(study: Study) -> InvestQueries:
    return study.invest


def _need(study: Study) -> NeedQueries:
    return study.needs


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


class Study:
    """The study area, its services and their drive times: the whole analysis API.

    Build it with :meth:`Study.load`. A study composes its data (:attr:`data`, a frozen
    :class:`~mapping.analysis.study_data.StudyData`: engine, origins, register, need
    layer), the coverage queries over it (:attr:`model`, a
    :class:`~mapping.analysis.coverage.CoverageModel`: :meth:`coverage`,
    :meth:`sarc_access`, :meth:`origin_minutes`, :meth:`compare_slots`, :meth:`nearest`)
    where and when to invest (:attr:`invest`, an
    :class:`~mapping.study_invest.InvestQueries`: optimisers, appraisal, pathways) and
    need (:attr:`needs`, a :class:`~mapping.study_need.NeedQueries`: need layer, equity,
    capacity, access); gaps, what-ifs and exports are methods here.

    Attributes
    ----------
    scenario
        The scenario this view applies (``None`` for the baseline).
    """

    def __init__(
        self,
        engine: TravelEngine,
        origins: gpd.GeoDataFrame,
        register: gpd.GeoDataFrame,
        *,
        data_dir: Path | None = None,
        services_path: Path | None = None,
        changes: RegisterChanges | None = None,
    ) -> None:
        data = StudyData.of(
            engine,
            origins,
            register,
            data_dir=data_dir,
            services_path=services_path,
            changes=changes,
        )
        self._compose(CoverageModel(data), None)

    def _compose(self, model: CoverageModel, scenario: Scenario | None) -> None:
        self.model = model
        self.invest = InvestQueries(model)
        self.needs = NeedQueries(model)
        self.scenario = scenario

    @classmethod
    def of(cls, data: StudyData, scenario: Scenario | None = None) -> Study:
        """The study over ``data`` (a view's, with ``scenario`` when it applies one)."""
        study = cls.__new__(cls)
        study._compose(CoverageModel(data), scenario)
        return study

    @classmethod
    def load(
        cls,
        *,
        data_dir: Path | None = None,
        sources: Path | Sources | None = None,
        services: Path | pd.DataFrame | None = None,
        network: str = "offline",
        build: bool = True,
        progress: bool = False,
    ) -> Study:
        """Load (building what is missing) the data, the register and the engine.

        See :meth:`mapping.analysis.study_data.StudyData.load` for the parameters.
        """
        return cls.of(
            StudyData.load(
                data_dir=data_dir,
                sources=sources,
                services=services,
                network=network,
                build=build,
                progress=progress,
            )
        )

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
    def data(self) -> StudyData:
        """The study's data: engine, origins, register, changes, need layer (immutable)."""
        return self.model.data

    @property
    def engine(self) -> TravelEngine:
        """The travel engine (a what-if view's own, over the base engine's vectors)."""
        return self.model.engine

    @property
    def origins(self) -> gpd.GeoDataFrame:
        """Population-weighted origins (EPSG:27700)."""
        return self.model.origins

    @property
    def register(self) -> gpd.GeoDataFrame:
        """The baseline services register (see :meth:`effective_register`)."""
        return self.model.register

    @property
    def data_dir(self) -> Path | None:
        """Generated-data folder (``None``: the default ``data/``)."""
        return self.model.data_dir

    @property
    def services_path(self) -> Path | None:
        """The register's file, if it came from one."""
        return self.model.services_path

    @property
    def changes(self) -> RegisterChanges:
        """The register changes this view applies (empty for the baseline)."""
        return self.model.changes

    @property
    def network_source(self) -> str:
        """Which network the minutes come from (``offline`` or ``osm``)."""
        return self.model.network_source

    @property
    def network(self) -> RoadNetwork:
        """The road network the drive times come from (:class:`RoadNetwork`)."""
        return self.engine.network

    @property
    def network_meta(self) -> dict[str, object]:
        """How the road network was built (source, parameters, input checksums)."""
        return dict(self.engine.network.meta)

    @property
    def services_not_routed(self) -> pd.DataFrame:
        """Services with no point to route to (confidential, county-wide) and why."""
        return self.engine.skipped.copy()

    # ---- coverage (CoverageModel), investment (InvestQueries), need (NeedQueries) ---

    effective_register = _forward(_model, CoverageModel.effective_register)
    area_names = _forward(_model, CoverageModel.area_names)
    weights = _forward(_model, CoverageModel.weights)
    need_weights = _forward(_model, CoverageModel.need_weights)
    eligible_weights = _forward(_model, CoverageModel.eligible_weights)
    nearest = _forward(_model, CoverageModel.nearest)
    by_age = _forward(_model, CoverageModel.by_age)
    age_parts = _forward(_model, CoverageModel.age_parts)
    origin_minutes = _forward(_model, CoverageModel.origin_minutes)
    beyond_range = _forward(_model, CoverageModel.beyond_range)
    coverage = _forward(_model, CoverageModel.coverage)
    compare_slots = _forward(_model, CoverageModel.compare_slots)
    sarc_access = _forward(_model, CoverageModel.sarc_access)
    default_gaps = _forward(_model, CoverageModel.default_gaps)
    optimise_hours = _forward(_invest, InvestQueries.optimise_hours)
    evening_hours = _forward(_invest, InvestQueries.evening_hours)
    service_age_parts = _forward(_invest, InvestQueries.service_age_parts)
    candidate_sites = _forward(_invest, InvestQueries.candidate_sites)
    optimise_sites = _forward(_invest, InvestQueries.optimise_sites)
    pathways = _forward(_invest, InvestQueries.pathways)
    appraise = _forward(_invest, InvestQueries.appraise)
    need = _forward(_need, NeedQueries.need)
    equity = _forward(_need, NeedQueries.equity)
    without_car = _forward(_need, NeedQueries.without_car)
    capacity = _forward(_need, NeedQueries.capacity)
    access = _forward(_need, NeedQueries.access)

    def with_changes(self, changes: RegisterChanges) -> Study:
        """A view of this study with ``changes`` applied over the same base data."""
        return Study.of(self.data.with_changes(changes))

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
        view = apply_scenario(self.model, plan, sources=sources).study
        return Study.of(view.data, plan)

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
            self.model,
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

        return compare_gaps(self.model, self.with_scenario(scenario).model)

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
            self.model,
            category,
            threshold=threshold,
            age_band=age_band,
            area=area,
            by=by,
            mode=mode,
            filters=self.data.change_filters(),
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
            self.model,
            category,
            at,
            threshold=threshold,
            weight=weight,
            age_band=age_band,
            origin_mask=self._area_mask(area),
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

        return change_between(
            self.model,
            category,
            start,
            end,
            threshold=threshold,
            weight=weight,
            age_band=age_band,
            origin_mask=self._area_mask(area),
        )

    def _area_mask(self, area: str | None) -> np.ndarray | None:
        """Origins of the council area ``area`` (``None``: every origin)."""
        if area is None:
            return None
        mask = self.origins["lad_code"].to_numpy() == area
        if not mask.any():
            raise ServiceMapError(f"area {area!r} is not a council-area code of the study")
        return mask

    # ---- gaps and exports ---------------------------------------------------------

    def gaps(
        self, rules: Sequence[GapRule] | Path | str | None = None, *, as_of: date | None = None
    ) -> pd.DataFrame:
        """The gap register: one row per gap found by the rules (default rules file)."""
        from mapping.analysis.gaps import evaluate

        return evaluate(self.model, rules, as_of=as_of)

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
        from mapping.inputs.when import NAMED_SLOTS
        from mapping.outputs.export import DEFAULT_CATEGORIES, export_all

        return export_all(
            self.model,
            Path(out),
            scenario=None if scenario is None else _as_scenario(scenario),
            sources=sources,
            progress=progress,
            categories=DEFAULT_CATEGORIES if categories is None else tuple(categories),
            slots=NAMED_SLOTS if slots is None else tuple(slots),
            threshold=threshold,
        )

    # ---- registers and boundaries -------------------------------------------------

    def with_register(
        self, register: str | Path | pd.DataFrame, *, sources: Sources | None = None
    ) -> Study:
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
        # Area names and the need layer do not depend on the register: they are shared.
        return Study.of(self.data.with_engine(engine, frame))

    @staticmethod
    def check_register(path: str | Path, *, sources: Sources | None = None) -> list[Problem]:
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

    def boundaries(self, level: AreaLevel = "district") -> gpd.GeoDataFrame:
        """Council areas, wards or LSOAs as a GeoDataFrame (EPSG:27700)."""
        return self.data.boundaries(level)
