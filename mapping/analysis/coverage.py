"""Population-weighted coverage by area, time of week and eligibility.

The travel engine answers, for every population-weighted origin, "which eligible open
service is nearest and how many minutes away?". This module weights those answers by
the Census 2021 population the origins carry and summarises them by LSOA, ward or
council area, for any time of week. :class:`CoverageModel` holds the study's data and
answers these queries; :class:`mapping.Study`, the one entry point that the CLI, the app
and notebooks share, is a coverage model with the rest of the analysis on top::

    import mapping
    study = mapping.Study.load()
    study.coverage(category="sarc", at="Sat 02:00", by="district")

Statistics are weighted by the *eligible* population: everybody for an all-ages
service, or the chosen Census age band. Any figure can instead be weighted by one of
:data:`mapping.inputs.vocabulary.WEIGHTS` (``women_16_plus``, ``recorded_violence_sexual``)
through :meth:`CoverageModel.weights`: :class:`mapping.Study` supplies those from the need
layer; every table names its weight (``weight``, ``weight_label``). Minutes are drive
minutes on the road network under the speed profile the time implies (night: free flow;
day: typical daytime).
People with no eligible open service within reach count as beyond every threshold.

Every query takes a travel ``mode``: ``"drive"`` (the default, the speed profile of the
time) or ``"walk"`` (on foot at 4.8 km/h, motorways excluded: see
:mod:`mapping.network.walking`). Walking tables carry ``mode = "walk"`` and report
their own thresholds (:data:`WALK_THRESHOLDS`: 15, 30 and 45 minutes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import numpy as np
import pandas as pd

from mapping.analysis.age_split import AgePart, AgeSplit, age_parts, split_by_age
from mapping.analysis.ranges import beyond_range
from mapping.analysis.study_data import RegisterChanges, StudyData
from mapping.analysis.summary import _AREA_KEY, DEFAULT_THRESHOLDS, AreaLevel, summarise
from mapping.caching import Cache
from mapping.errors import ServiceMapError
from mapping.inputs.area import study_area
from mapping.inputs.vocabulary import AGE_BANDS, WEIGHTS
from mapping.inputs.when import TimeSlot, resolve_slot
from mapping.network.walking import MODES, WALK_PROFILE, WALK_THRESHOLDS
from mapping.routing.engine import category_tuple

if TYPE_CHECKING:
    import geopandas as gpd
    from typing_extensions import Unpack

    from mapping.routing.engine import TravelEngine
    from mapping.routing.records import NearestResult

__all__ = [
    "SARC_COLUMNS",
    "CoverageModel",
    "CoverageOptions",
    "RegisterChanges",
    "StudyData",
    "default_threshold",
    "mode_profile",
    "mode_thresholds",
]

#: Columns of :meth:`CoverageModel.sarc_access`, in order.
SARC_COLUMNS: tuple[str, ...] = (
    "area_code",
    "area_name",
    "slot",
    "slot_name",
    "weight",
    "weight_label",
    "population",
    *(f"share_nearest_{key}" for key in study_area().sarc_group_keys),
    "share_nearest_outside_lancashire",
    "mean_minutes",
    "median_minutes",
    "p90_minutes",
    "minutes_added",
    "population_over_60",
    "population_over_90",
    "population_unreached",
    "nearest_service",
    "population_over_60_low",
    "population_over_60_high",
)


def mode_profile(mode: str) -> str | None:
    """The engine profile a travel mode forces: ``"walk"``, or ``None`` (the time's own)."""
    if mode not in MODES:
        raise ServiceMapError(f"unknown travel mode {mode!r}: use {' or '.join(MODES)}")
    return WALK_PROFILE if mode == "walk" else None


def mode_thresholds(mode: str) -> tuple[int, ...]:
    """The thresholds reported by default: 15/30/45/60/90 minutes by car, 15/30/45 on foot."""
    mode_profile(mode)
    return WALK_THRESHOLDS if mode == "walk" else DEFAULT_THRESHOLDS


def default_threshold(mode: str) -> float:
    """The one threshold a single-threshold answer uses by default: 60 min by car, 30 on foot."""
    mode_profile(mode)
    return 30.0 if mode == "walk" else 60.0


class CoverageOptions(TypedDict, total=False):
    """The keyword arguments of :meth:`CoverageModel.coverage` (see it for each)."""

    age_band: str | None
    crime_type: str | None
    thresholds: Sequence[float] | None
    total_row: bool
    weight: str
    mode: str
    ranges: bool


class CoverageModel:
    """Coverage queries over a study's data (:class:`StudyData`), with its changes applied.

    It holds nothing but the data (and the gap register of the day, which depends on the
    view's changes): :meth:`with_changes` gives a what-if view over the same base data
    that never alters the baseline. :class:`mapping.Study` composes one.
    """

    def __init__(self, data: StudyData) -> None:
        self.data = data
        #: The default gap register, by day; a view's own (it depends on the changes).
        self._gaps: Cache[date, pd.DataFrame] = Cache(maxsize=1)

    # ---- the data ---------------------------------------------------------------

    @property
    def engine(self) -> TravelEngine:
        """The travel engine (a what-if view's own, over the base engine's vectors)."""
        return self.data.engine

    @property
    def origins(self) -> gpd.GeoDataFrame:
        """Population-weighted origins (EPSG:27700)."""
        return self.data.origins

    @property
    def register(self) -> gpd.GeoDataFrame:
        """The baseline services register (see :meth:`effective_register`)."""
        return self.data.register

    @property
    def data_dir(self) -> Path | None:
        """Generated-data folder (``None``: the default)."""
        return self.data.data_dir

    @property
    def services_path(self) -> Path | None:
        """The register's file, if it came from one."""
        return self.data.services_path

    @property
    def changes(self) -> RegisterChanges:
        """The register changes this view applies."""
        return self.data.changes

    def with_changes(self, changes: RegisterChanges) -> CoverageModel:
        """A view of this study with ``changes`` applied; this study is never modified.

        What-if sites are routed on a view of the base engine (its vectors shared,
        read-only), so views cost one search per added site and profile.
        """
        return CoverageModel(self.data.with_changes(changes))

    def default_gaps(self) -> pd.DataFrame:
        """The gap register of the default rules as of today, kept for the day.

        Every scenario is compared with the same baseline register: this study never
        changes, so it is evaluated once a day instead of once per comparison.
        """
        from mapping.analysis.gaps import evaluate

        return self._gaps.get(date.today(), lambda: evaluate(self)).copy()

    # ---- facts ------------------------------------------------------------------

    def effective_register(self) -> gpd.GeoDataFrame:
        """The register as this study sees it: changed hours, closures, what-if sites.

        The baseline register object is never modified; a new frame is returned.
        """
        return self.data.effective_register()

    @property
    def network_source(self) -> str:
        """Which network the minutes come from (``offline`` or ``osm``)."""
        return self.data.network_source

    def area_names(self, by: AreaLevel) -> dict[str, str]:
        """``{code: name}`` for LSOAs, wards or council areas."""
        return self.data.area_names(by)

    def need(self) -> gpd.GeoDataFrame:
        """The need layer, one row per LSOA with its polygon (see :meth:`StudyData.need`)."""
        return self.data.need()

    def weights(self, weight: str = "residents", age_band: str | None = None) -> np.ndarray:
        """Per-origin weight: eligible residents, or a need weight spread over the origins.

        Parameters
        ----------
        weight
            One of :data:`~mapping.inputs.vocabulary.WEIGHTS`. ``residents`` (the default)
            are Census 2021 residents of ``age_band``; the others come from the need layer
            through :meth:`need_weights` (which :class:`mapping.Study` provides).
        age_band
            A Census age band, only with ``residents`` (the need weights have no ages).

        Raises
        ------
        ServiceMapError
            For an unknown weight, or an age band with a weight other than residents.
        """
        if weight not in WEIGHTS:
            raise ServiceMapError(f"unknown weight {weight!r}: use one of {', '.join(WEIGHTS)}")
        if weight == "residents":
            return self.eligible_weights(age_band)
        if age_band is not None:
            raise ServiceMapError(
                f"an age band ({age_band}) can only be used with the residents weight: "
                f"{weight} has no age bands; choose residents or drop the age band"
            )
        return self.need_weights(weight)

    def need_weights(self, weight: str) -> np.ndarray:
        """Per-origin need weight, spread over each LSOA's origins as residents are.

        Raises
        ------
        NeedError
            Naming ``need/lsoa_need.csv`` when the need layer is missing or damaged.
        """
        from mapping.geography.need import spread_weight

        return spread_weight(self.origins, self.data.need(), weight).to_numpy(float)

    def eligible_weights(self, age_band: str | None) -> np.ndarray:
        """Per-origin population eligible for the age band (everybody for ``None``)."""
        if age_band is None:
            return self.origins["population"].to_numpy(float)
        if age_band not in AGE_BANDS:
            raise ServiceMapError(
                f"unknown age band {age_band!r}: use one of {', '.join(AGE_BANDS)}"
            )
        return self.origins[age_band].to_numpy(float)

    # ---- queries ----------------------------------------------------------------

    def nearest(
        self,
        category: str | Sequence[str] | None = "sarc",
        at: str | TimeSlot | None = "Tue 10:00",
        *,
        age_band: str | tuple[int, int | None] | None = None,
        crime_type: str | None = None,
        mode: str = "drive",
    ) -> NearestResult:
        """Nearest eligible open service for every origin, with this study's changes.

        ``mode="walk"`` gives walking minutes (see :mod:`mapping.network.walking`).
        """
        profile = mode_profile(mode)
        when = resolve_slot(at).at if at is not None else None
        return self.engine.nearest(
            category,
            when,
            age_band=age_band,
            crime_type=crime_type,
            profile=profile,
            **self.data.change_filters(),
        )

    def by_age(
        self,
        category: str | Sequence[str] | None,
        slot: TimeSlot | None,
        values: np.ndarray,
        weight: str,
        age_band: str | None = None,
        crime_type: str | None = None,
        mode: str = "drive",
    ) -> AgeSplit:
        """Nearest open service per origin, split by age where the services' ages differ.

        With an ``age_band`` (or services that all see every age) this is
        :meth:`nearest` for the origins as they are; for everybody it is
        :func:`mapping.analysis.age_split.split_by_age` over the category's services,
        ages taken from the register (a 16+ SARC is no child's nearest SARC).
        """
        if age_band is not None:
            result = self.nearest(
                category, slot, age_band=age_band, crime_type=crime_type, mode=mode
            )
            return AgeSplit(
                self.origins,
                np.asarray(result.minutes, float),
                np.asarray(result.service_id, dtype=object),
                np.asarray(result.provider_area, dtype=object),
                np.asarray(values, float),
                ((0, None),),
            )
        return split_by_age(
            self.origins,
            self._age_limits(category),
            values,
            weight,
            lambda span: self.nearest(
                category, slot, age_band=span, crime_type=crime_type, mode=mode
            ),
        )

    def _age_limits(self, category: str | Sequence[str] | None) -> pd.DataFrame:
        """``id``, ``min_age``, ``max_age`` of the category's services (this view's)."""
        wanted = category_tuple(category)  # a wrong type is a clear error, as in the engine
        register = self.effective_register()
        services = register if wanted is None else register[register["category"].isin(wanted)]
        services = services[~services["id"].isin(self.changes.closed)]
        return services[["id", "min_age", "max_age"]]

    def age_parts(
        self,
        category: str | Sequence[str] | None,
        values: np.ndarray,
        weight: str = "residents",
        age_band: str | None = None,
    ) -> tuple[AgePart, ...]:
        """The age groups :meth:`by_age` splits people into, for the per-origin kernels.

        One part (``age_band``, or everybody) when an age band is asked for or the
        category's services all see every age; see :func:`~mapping.analysis.age_split.age_parts`.
        """
        if age_band is not None:
            people = self.eligible_weights(age_band)
            return (AgePart(age_band, np.asarray(values, float), people),)
        return age_parts(self.origins, self._age_limits(category), values, weight)

    def origin_minutes(
        self,
        category: str | Sequence[str] | None = "sarc",
        at: str | TimeSlot | None = "Tue 10:00",
        *,
        age_band: str | None = None,
        crime_type: str | None = None,
        weight: str = "residents",
        mode: str = "drive",
    ) -> pd.DataFrame:
        """Per-origin nearest service, minutes (by ``mode``), provider area and weight.

        ``eligible_population`` holds the chosen ``weight`` (eligible residents by
        default); the ``weight`` column names it. Where the category's services differ
        in the ages they see (and no ``age_band`` is asked for) there is one row per
        origin and age group (:meth:`by_age`), each counted against the services open
        to it, so sums over the rows count children only against services that see them.
        """
        values = self.weights(weight, age_band)  # a bad weight fails before routing
        slot = resolve_slot(at) if at is not None else None
        result = self.by_age(category, slot, values, weight, age_band, crime_type, mode=mode)
        keys = ["origin_id", "lsoa21_code", "ward_code", "lad_code"]
        frame = result.origins[keys].reset_index(drop=True)
        frame["eligible_population"] = result.weights
        frame["weight"] = weight
        frame["service_id"] = result.service_id
        frame["minutes"] = np.where(np.isfinite(result.minutes), result.minutes, np.nan)
        frame["provider_area"] = result.provider_area
        return frame

    #: People beyond a threshold with low and high values, split by age as the tables
    #: are (docs/ranges.md): :func:`mapping.analysis.ranges.beyond_range`.
    beyond_range = beyond_range

    def coverage(
        self,
        category: str | Sequence[str] | None = "sarc",
        at: str | TimeSlot | None = "Tue 10:00",
        by: AreaLevel = "district",
        *,
        age_band: str | None = None,
        crime_type: str | None = None,
        thresholds: Sequence[float] | None = None,
        total_row: bool = True,
        weight: str = "residents",
        mode: str = "drive",
        ranges: bool = False,
    ) -> pd.DataFrame:
        """Population-weighted coverage by area (see :func:`summarise` for the columns).

        ``eligible_population`` and every share and minute figure are weighted by
        ``weight``; ``population`` stays Census residents; ``weight`` and
        ``weight_label`` name the weight.

        Parameters
        ----------
        category
            Service category or categories (``None``: any).
        at
            Time of week (``"Sat 02:00"``), ISO date-time, or slot name
            (``"weekend night"``); ``None`` ignores opening hours.
        by
            ``"lsoa"``, ``"ward"`` or ``"district"``.
        age_band
            A Census age band (``"age_0_15"`` …) or ``None`` for everybody.
        crime_type
            Keep services for this crime type (or ``all``).
        thresholds
            Minutes for the ``share_within_`` columns (default: :func:`mode_thresholds`).
        total_row
            Append a Lancashire total row (``area_code`` = ``TOTAL``).
        weight
            ``residents`` (default), ``women_16_plus``, ``recorded_violence_sexual`` or
            ``no_car_households``.
        mode
            ``"drive"`` (default) or ``"walk"``; a walking table has a ``mode`` column.
        ranges
            Append ``share_within_<t>_low``/``_high`` per threshold and
            ``population_beyond_<max t>_low``/``_high`` after every other column
            (docs/ranges.md, :func:`mapping.analysis.range_tables.add_coverage_ranges`;
            one category at one time, without ``crime_type``; driving only).
        """
        if thresholds is None:
            thresholds = mode_thresholds(mode)
        if by not in _AREA_KEY:
            raise ServiceMapError(f"unknown area level {by!r}: use lsoa, ward or district")
        values = self.weights(weight, age_band)
        slot = resolve_slot(at) if at is not None else None
        result = self.by_age(category, slot, values, weight, age_band, crime_type, mode=mode)
        table = summarise(
            result.origins,
            result.minutes,
            result.service_id,
            result.provider_area,
            by=by,
            weights=result.weights,
            thresholds=thresholds,
            names=self.area_names(by),
            total_row=total_row,
        )
        table.insert(2, "slot", slot.at if slot else "any time")
        table.insert(3, "slot_name", slot.name if slot else "opening hours ignored")
        table.insert(4, "weight", weight)
        table.insert(5, "weight_label", WEIGHTS[weight])
        if mode == "walk":
            table.insert(6, "mode", mode)
        if (
            ranges
            and mode == "drive"
            and isinstance(category, str)
            and slot is not None
            and crime_type is None
        ):
            from mapping.analysis.range_tables import add_coverage_ranges

            spread = self.beyond_range(
                category, slot, threshold=max(thresholds), weight=weight, age_band=age_band
            )
            codes = self.origins[_AREA_KEY[by]].to_numpy()
            table = add_coverage_ranges(table, spread, codes, thresholds)
        return table

    def compare_slots(
        self,
        category: str | Sequence[str] | None = "sarc",
        slots: Iterable[str | TimeSlot] = ("weekday daytime", "weekend night"),
        by: AreaLevel = "district",
        **options: Unpack[CoverageOptions],
    ) -> pd.DataFrame:
        """Coverage at several slots, with the change from the first slot per area.

        Adds ``minutes_added`` (mean minutes minus the first slot's) and
        ``share_within_60_change``: the out-of-hours gap when the first slot is
        weekday daytime. ``options`` are :meth:`coverage`'s keyword arguments
        (:class:`CoverageOptions`: ``age_band``, ``weight``, ...).
        """
        tables = [self.coverage(category, s, by, **options) for s in slots]
        base = tables[0].set_index("area_code")
        for table in tables:
            table["minutes_added"] = (
                table["mean_minutes"].to_numpy()
                - base["mean_minutes"].reindex(table["area_code"]).to_numpy()
            )
            if "share_within_60" in table:
                table["share_within_60_change"] = (
                    table["share_within_60"].to_numpy()
                    - base["share_within_60"].reindex(table["area_code"]).to_numpy()
                )
        return pd.concat(tables, ignore_index=True)

    def sarc_access(
        self,
        slots: Iterable[str | TimeSlot] = ("weekday daytime", "weekend night"),
        *,
        weight: str = "residents",
        mode: str = "drive",
    ) -> pd.DataFrame:
        """The SARC question: where is each council area's nearest open SARC, per slot?

        One row per council area and slot, and a Lancashire ``TOTAL`` row per slot:
        ``share_nearest_<group>`` for each SARC group of the study area's settings
        (``study_area.toml``: for Lancashire ``preston``, ``manchester``, ``cumbria``)
        and ``share_nearest_other`` (any other: Merseyside, Yorkshire, a what-if site
        elsewhere in the area) — these sum to 1 over the population that can reach an
        open SARC — with
        ``share_nearest_outside_lancashire``, mean/median/p90 minutes, ``minutes_added``
        against the first slot, and ``population_over_60`` / ``population_over_90``.
        ``population`` and every share are of ``weight`` (residents by default; or
        ``women_16_plus``, ``recorded_violence_sexual``), named in ``weight`` and
        ``weight_label``. With ``mode="walk"`` the minutes are walked and the
        ``population_over_60``/``_90`` columns become ``population_over_15``, ``_30`` and
        ``_45`` (:data:`WALK_THRESHOLDS`), with a ``mode`` column.
        """
        from mapping.analysis.sarc_table import sarc_access_table

        return sarc_access_table(self, slots, weight=weight, mode=mode)
