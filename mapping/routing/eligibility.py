"""Who a service is for: the age rule shared by the travel engine and the gap rules.

A service counts for an age band when its ``[min_age, max_age]`` range *overlaps* the
band (``"overlap"``, the default) or, for sensitivity checks, *contains* it
(``"contains"``). Missing ages mean no limit. See :mod:`mapping.routing.engine` for why
overlap is the default. Both the engine and the gap rules call :func:`serves_ages`, so
the two can never disagree.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from mapping.inputs.vocabulary import AGE_BANDS

__all__ = ["AgeRule", "age_range", "serves_ages"]

AgeRule = Literal["overlap", "contains"]


def age_range(band: str | tuple[int, int | None]) -> tuple[float, float]:
    """``(low, high)`` ages of a Census band key or an explicit pair (``inf``: no limit)."""
    if isinstance(band, str):
        low, high = AGE_BANDS[band]
    else:
        low, high = band
    return float(low), (np.inf if high is None else float(high))


def serves_ages(
    min_age: Any,
    max_age: Any,
    band: str | tuple[int, int | None],
    rule: AgeRule = "overlap",
) -> Any:
    """Whether services with these age limits count for ``band`` under ``rule``.

    Parameters
    ----------
    min_age, max_age
        Scalars or array-likes (a register's columns); missing values mean no limit.
    band
        A Census age band key (``"age_0_15"``) or a ``(low, high)`` pair.
    rule
        ``"overlap"`` or ``"contains"``.

    Returns
    -------
    bool or numpy.ndarray of bool
    """
    low, high = age_range(band)
    if np.ndim(min_age) == 0 and np.ndim(max_age) == 0:
        # One service (the engine's per-row check): no pandas on the hot path.
        lo_one, hi_one = _limit(min_age, -np.inf), _limit(max_age, np.inf)
        if rule == "overlap":
            return bool(lo_one <= high and hi_one >= low)
        return bool(lo_one <= low and hi_one >= high)
    lo = pd.to_numeric(pd.Series(np.atleast_1d(min_age)), errors="coerce").astype(float)
    hi = pd.to_numeric(pd.Series(np.atleast_1d(max_age)), errors="coerce").astype(float)
    lo_arr, hi_arr = lo.fillna(-np.inf).to_numpy(), hi.fillna(np.inf).to_numpy()
    if rule == "overlap":
        ok = (lo_arr <= high) & (hi_arr >= low)
    else:
        ok = (lo_arr <= low) & (hi_arr >= high)
    return ok


def _limit(value: Any, missing: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return missing
    return missing if np.isnan(number) else number
