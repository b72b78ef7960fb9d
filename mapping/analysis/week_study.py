"""A study's week profile: every hour of the week with this view's changes and its range.

:meth:`mapping.Study.week_profile` calls :func:`study_week_profile` (kept here to hold the
façade under the module cap).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mapping.errors import ServiceMapError

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel
    from mapping.analysis.study_data import ChangeFilters
    from mapping.analysis.summary import AreaLevel

__all__ = ["study_week_profile"]


def study_week_profile(
    model: CoverageModel,
    category: str,
    *,
    threshold: float | None,
    age_band: str | None,
    area: str | None,
    by: AreaLevel,
    mode: str,
    filters: ChangeFilters,
) -> pd.DataFrame:
    """See :meth:`mapping.Study.week_profile`; ``filters`` are the view's changes."""
    from mapping.analysis.coverage import default_threshold, mode_profile
    from mapping.analysis.week import week_profile

    profile = mode_profile(mode)
    if threshold is None:
        threshold = default_threshold(mode)
    mask = None
    if area is not None:
        column = {"district": "lad_code", "ward": "ward_code", "lsoa": "lsoa21_code"}[by]
        mask = model.origins[column].to_numpy() == area
        if not mask.any():
            raise ServiceMapError(f"area {area!r} is not a {by} code of the study area")
    from mapping.analysis.ranges import assumed_hours_ids, week_bounds

    weights = model.eligible_weights(age_band)
    # Each age group against the services that see it (the register's ages), as the
    # coverage and SARC tables count them.
    parts = model.age_parts(category, weights, "residents", age_band)
    frame = week_profile(
        model.engine,
        category,
        weights=weights,
        threshold=threshold,
        origin_mask=mask,
        profile=profile,
        parts=parts,
        **filters,
    )
    if mode != "drive":
        return frame  # the range is of drive times (docs/ranges.md)
    # Low and high beside each hour (docs/ranges.md), after the central columns.
    if mask is not None:
        parts = tuple(replace(p, weights=np.where(mask, p.weights, 0.0)) for p in parts)
    bounds = week_bounds(
        model.engine,
        category,
        weights=weights,
        threshold=threshold,
        assumed=assumed_hours_ids(model.effective_register()) - set(model.changes.hours),
        parts=parts,
        **filters,
    )
    for column in bounds.columns.drop("hour_of_week"):
        frame[column] = bounds[column].to_numpy()
    return frame
