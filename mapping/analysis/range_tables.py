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

__all__ = ["add_coverage_ranges", "range_column_names", "ranges_last", "worst_hour_range"]


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
        Per origin of ``spread`` (or per origin and age group): the area code of the
        table's level.
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
    # Areas as integer codes once: grouping the origins' code strings again for every
    # case and threshold cost most of a table.
    codes = np.asarray(codes, dtype=object)
    if len(codes) * spread.parts == len(spread.weights):
        # One code per origin; the range holds one row per origin and age group.
        codes = np.tile(codes, spread.parts)
    area, labels = pd.factorize(codes)
    rows = pd.Index(labels).get_indexer(out["area_code"])
    known = rows >= 0
    weights = np.asarray(spread.weights, dtype=float)
    beyond: dict[str, np.ndarray] = {}
    for t in thresholds:
        # Per case: weight beyond t per area (the last column: Lancashire).
        per_case = np.array(
            [
                np.append(
                    np.bincount(area, np.where(c.beyond(t), weights, 0.0), len(labels)),
                    weights[c.beyond(t)].sum(),
                )
                for c in spread.cases
            ]
        )
        for end, values in (("low", per_case.min(axis=0)), ("high", per_case.max(axis=0))):
            column = np.where(known, values[np.where(known, rows, 0)], np.nan)
            column[(out["area_code"] == TOTAL_CODE).to_numpy()] = values[-1]
            beyond[f"{t:g}_{end}"] = column
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


def worst_hour_range(frame: pd.DataFrame) -> tuple[float, float, float] | None:
    """The worst hour's share beyond with its low and high, from a week profile.

    ``frame``: :meth:`mapping.Study.week_profile` (``people_beyond``, ``share_beyond``
    and their ``_low``/``_high``). Hours tied with the worst (within half a person) give
    the widest range. ``None`` when the profile carries no range (walking).
    """
    if "share_beyond_low" not in frame or frame.empty:
        return None
    people = frame["people_beyond"].to_numpy(float)
    worst = frame[people >= people.max() - 0.5]
    return (
        float(worst["share_beyond"].max()),
        float(worst["share_beyond_low"].min()),
        float(worst["share_beyond_high"].max()),
    )
