"""The façade's questions of need: the need layer, equity, capacity and access.

:class:`NeedQueries` answers them over a :class:`~mapping.analysis.coverage.CoverageModel`
(the study's data and its coverage queries). :class:`mapping.Study` composes one and
forwards these methods; it sits beside ``study.py`` in the façade layer so that each
module stays under the size cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from mapping.analysis.coverage import CoverageModel

if TYPE_CHECKING:
    import geopandas as gpd

    from mapping.analysis.capacity import FcaResult
    from mapping.analysis.equity import EquityResult
    from mapping.inputs.when import TimeSlot

__all__ = ["NeedQueries"]


@dataclass(frozen=True)
class NeedQueries:
    """The need layer, equity, capacity and access over ``model`` (see :class:`mapping.Study`)."""

    model: CoverageModel

    def need(self) -> gpd.GeoDataFrame:
        """The need layer: one row per LSOA with its polygon (EPSG:27700), cached.

        IMD 2025 score, rank and decile, the crime domain, Census residents, women aged
        16+ (mid-2024), police-recorded violence and sexual offences (a proxy: see
        :data:`mapping.inputs.vocabulary.RECORDED_VIOLENCE_CAVEAT`) and each council
        area's Community Safety Partnership; see :mod:`mapping.geography.need`. Read once
        and shared by every view of this study (:meth:`StudyData.need`).

        Raises
        ------
        NeedError
            Naming ``need/lsoa_need.csv`` when it is missing or damaged. Every other
            method works without it.
        """
        return self.model.need()

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
        By car, for one category at one time, each table carries
        ``share_beyond_threshold_low`` / ``_high`` (docs/ranges.md) after its central
        columns. See :func:`mapping.analysis.equity.equity`.
        """
        from mapping.analysis.need_queries import equity_for

        return equity_for(
            self.model,
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

        return without_car(self.model, category, at, minutes=minutes)

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

        return capacity_for(
            self.model, self.need(), denominators=denominators, benchmarks=benchmarks
        )

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
            self.model,
            self.need(),
            category,
            weight=weight,
            catchment_minutes=catchment_minutes,
            at=at,
        )
