"""Low and high columns for an area table, from one headline range (docs/ranges.md).

A coverage table (:func:`mapping.analysis.summary.summarise`) gives, per area, the share
of the weight within each threshold and the weight beyond the largest. Its range comes
from the same one-at-a-time cases as the headline (:class:`HeadlineRange`: drive times
±10%, each assumed-hours service flipped at that hour), counted per area: the low and
high of an area are the smallest and largest figure of any case over its origins.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mapping.analysis.ranges import HeadlineRange
from mapping.analysis.summary import TOTAL_CODE

__all__ = ["add_coverage_ranges", "range_column_names", "ranges_last"]


def range_column_names(thresholds: Sequence[float]) -> list[str]:
    """The columns :func:`add_coverage_ranges` appends, in order."""
    thresholds = list(dict.fromkeys(float(t) for t in thresholds))
    names = [f"share_within_{t:g}_{end}" for t in thresholds for end in ("low", "high")]
    return [*names, *(f"population_beyond_{max(thresholds):g}_{end}" for end in ("low", "high"))]


def add_coverage_ranges(
    table: pd.DataFrame,
    spread: HeadlineRange,
    codes: np.ndarray,
    thresholds: Sequence[float],
) -> pd.DataFrame:
    """Append each share's and the weight beyond's ``_low`` and ``_high`` columns.

    ``share_within_<t>_low``/``_high`` per threshold, then
    ``population_beyond_<max t>_low``/``_high``.

    Parameters
    ----------
    table
        A coverage table: ``area_code`` (``TOTAL`` for the Lancashire row) and
        ``eligible_population``; its other columns are kept where they are.
    spread
        The headline range of the same query (any threshold: each is counted again).
    codes
        Per origin of ``spread``: the area code of the table's level.
    thresholds
        The table's thresholds.

    Returns
    -------
    pandas.DataFrame
        ``table`` with the new columns after all of its own. A share's low comes from
        the case with the most weight beyond the threshold, its high from the fewest.
    """
    thresholds = list(dict.fromkeys(float(t) for t in thresholds))
    out = table.copy()
    eligible = out["eligible_population"].to_numpy(float)
    beyond: dict[str, np.ndarray] = {}
    for t in thresholds:
        at_t = spread.at_threshold(t)
        bounds = at_t.by_group(codes)
        bounds.loc[TOTAL_CODE] = at_t.people_beyond
        for end in ("low", "high"):
            beyond[f"{t:g}_{end}"] = (
                out["area_code"].map(bounds[f"people_beyond_{end}"]).to_numpy(float)
            )
    with np.errstate(invalid="ignore", divide="ignore"):
        positive = np.where(eligible > 0, eligible, np.nan)
        for t in thresholds:
            out[f"share_within_{t:g}_low"] = 1.0 - beyond[f"{t:g}_high"] / positive
            out[f"share_within_{t:g}_high"] = 1.0 - beyond[f"{t:g}_low"] / positive
    top = f"{max(thresholds):g}"
    for end in ("low", "high"):
        out[f"population_beyond_{top}_{end}"] = beyond[f"{top}_{end}"]
    return out


def ranges_last(frame: pd.DataFrame, thresholds: Sequence[float]) -> pd.DataFrame:
    """``frame`` with the :func:`range_column_names` columns moved after every other one.

    Columns added after a coverage table is built (``minutes_added``, ``minutes_band``)
    stay before them, so a reader of the central columns finds them where they were.
    """
    spread = [c for c in range_column_names(thresholds) if c in frame.columns]
    return frame[[c for c in frame.columns if c not in spread] + spread]
