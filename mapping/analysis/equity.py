"""Drive minutes by deprivation: the equity table and Theil's decomposition.

Given, for every origin point, the drive minutes to the nearest open eligible service,
a weight (residents, women aged 16+ or recorded violence: see
:data:`mapping.geography.need.WEIGHTS`) and the IMD 2025 decile of its LSOA, :func:`equity`
returns:

* per IMD decile 1-10 (1 = most deprived tenth of LSOAs in England) and per quintile
  (1 = deciles 1-2, ..., 5 = deciles 9-10): the weight, weighted mean and 90th
  percentile minutes, and the weighted share beyond a threshold;
* Theil's T of drive minutes across LSOAs, split between and within deciles with
  PySAL's :class:`inequality.theil.TheilD`, with its meaning in one sentence;
* when given each origin's 2021 rural/urban class (ONS RUC 2021), the same figures for
  Urban and Rural LSOAs (``by_rural_urban``).

Origins with no open eligible service in reach (``inf`` or NaN minutes) count as
beyond every threshold, are left out of the mean and push the 90th percentile to
"none in reach" (NaN) when they are more than a tenth of the group, as in
:func:`mapping.analysis.coverage.summarise`. Percentiles use numpy's weighted
``inverted_cdf`` quantile: the smallest minutes at which the cumulative weight reaches
the share asked for, the same convention as the coverage tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from inequality.theil import TheilD
from numpy.typing import ArrayLike

from mapping.errors import ServiceMapError
from mapping.inputs.households import RURAL_URBAN

__all__ = [
    "DECILES",
    "QUINTILES",
    "TABLE_COLUMNS",
    "EquityResult",
    "TheilSplit",
    "decile_to_quintile",
    "equity",
    "theil_by_decile",
    "weighted_quantile",
]

DECILES: tuple[int, ...] = tuple(range(1, 11))
QUINTILES: tuple[int, ...] = tuple(range(1, 6))

#: Columns of the decile and quintile tables (``imd_decile`` or ``imd_quintile`` first).
TABLE_COLUMNS: tuple[str, ...] = (
    "weight",
    "population",
    "mean_minutes",
    "p90_minutes",
    "threshold_minutes",
    "share_beyond_threshold",
    "population_beyond_threshold",
    "population_unreached",
)


@dataclass(frozen=True)
class TheilSplit:
    """Theil's T of drive minutes across LSOAs, split between and within IMD deciles.

    Attributes
    ----------
    total, between, within
        Theil's T and its two parts (``between + within == total``).
    observations
        LSOAs counted (those with an open service in reach).
    left_out
        LSOAs left out because no origin in them reaches an open service.
    meaning
        One sentence saying what the figures mean.
    """

    total: float
    between: float
    within: float
    observations: int
    left_out: int
    meaning: str


@dataclass(frozen=True)
class EquityResult:
    """The equity tables and the inequality measure for one weight and threshold."""

    by_decile: pd.DataFrame
    by_quintile: pd.DataFrame
    theil: TheilSplit | None
    weight: str
    threshold: float
    by_rural_urban: pd.DataFrame | None = None


def decile_to_quintile(deciles: ArrayLike) -> np.ndarray:
    """IMD quintile of each decile: 1-2 -> 1, 3-4 -> 2, ..., 9-10 -> 5."""
    return (np.asarray(deciles, dtype=int) + 1) // 2


def weighted_quantile(values: ArrayLike, weights: ArrayLike, q: float) -> float:
    """Weighted ``q`` quantile (numpy ``inverted_cdf``); NaN when the weights sum to 0.

    ``inf`` values (no service in reach) take part; an infinite result is returned as
    NaN ("none in reach" at this quantile).
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    values = np.where(np.isnan(values), np.inf, values)
    keep = weights > 0
    if not keep.any():
        return float("nan")
    result = float(np.quantile(values[keep], q, method="inverted_cdf", weights=weights[keep]))
    return result if np.isfinite(result) else float("nan")


def _group_rows(
    key: str,
    groups: np.ndarray,
    labels: tuple[int, ...] | tuple[str, ...],
    minutes: np.ndarray,
    weights: np.ndarray,
    threshold: float,
    weight: str,
) -> pd.DataFrame:
    reached = np.isfinite(minutes)
    rows = []
    for label in labels:
        inside = groups == label
        w, m, r = weights[inside], minutes[inside], reached[inside]
        total = float(w.sum())
        beyond = float(w[~r | (m > threshold)].sum())
        reached_weight = float(w[r].sum())
        rows.append(
            {
                key: label,
                "weight": weight,
                "population": total,
                "mean_minutes": float((w[r] * m[r]).sum() / reached_weight)
                if reached_weight > 0
                else float("nan"),
                "p90_minutes": weighted_quantile(m, w, 0.9),
                "threshold_minutes": threshold,
                "share_beyond_threshold": beyond / total if total > 0 else float("nan"),
                "population_beyond_threshold": beyond,
                "population_unreached": float(w[~r].sum()),
            }
        )
    return pd.DataFrame(rows, columns=[key, *TABLE_COLUMNS])


def theil_by_decile(
    minutes: ArrayLike, weights: ArrayLike, deciles: ArrayLike, lsoa: ArrayLike
) -> TheilSplit | None:
    """Theil's T of LSOA mean drive minutes, decomposed between and within deciles.

    Each LSOA is one observation, its minutes the weighted mean over its origins that
    reach a service (LSOAs are drawn to hold similar populations, 1,000 to 3,000
    residents, so they count equally). PySAL's ``TheilD`` does the decomposition.

    Returns
    -------
    TheilSplit or None
        ``None`` when fewer than two LSOAs reach a service.
    """
    frame = pd.DataFrame(
        {
            "lsoa": np.asarray(lsoa),
            "decile": np.asarray(deciles, dtype=int),
            "m": np.asarray(minutes, dtype=float),
            "w": np.asarray(weights, dtype=float),
        }
    )
    frame["reached"] = np.isfinite(frame["m"]) & (frame["w"] > 0)
    all_lsoas = frame["lsoa"].nunique()
    frame = frame[frame["reached"]]
    frame = frame.assign(wm=frame["w"] * frame["m"])
    per = frame.groupby("lsoa").agg(wm=("wm", "sum"), w=("w", "sum"), decile=("decile", "first"))
    if len(per) < 2:
        return None
    y = (per["wm"] / per["w"]).to_numpy(float)
    split = TheilD(y, per["decile"].to_numpy())
    total, between = float(np.asarray(split.T).ravel()[0]), float(np.asarray(split.bg).ravel()[0])
    within = total - between
    share = between / total if total > 0 else 0.0
    meaning = (
        f"Theil's T of {total:.3f} measures how unevenly drive minutes fall across "
        f"{len(per)} LSOAs (0 = all equally far); {share:.0%} of it lies between IMD "
        "deciles, so "
        + (
            "deprivation explains much of who is far from a service."
            if share >= 0.5
            else "most of the unevenness is within deciles, not between them."
        )
    )
    return TheilSplit(
        total=total,
        between=between,
        within=within,
        observations=len(per),
        left_out=all_lsoas - len(per),
        meaning=meaning,
    )


def equity(
    minutes: ArrayLike,
    weights: ArrayLike,
    deciles: ArrayLike,
    *,
    threshold: float,
    lsoa: ArrayLike | None = None,
    weight: str = "residents",
    rural_urban: ArrayLike | None = None,
) -> EquityResult:
    """Drive minutes by IMD decile and quintile, and Theil's split between deciles.

    Parameters
    ----------
    minutes
        Per origin: drive minutes to the nearest open eligible service (``inf`` or NaN:
        none in reach).
    weights
        Per origin: the weight (residents, women 16+, recorded violence).
    deciles
        Per origin: the IMD 2025 decile (1-10) of its LSOA.
    threshold
        Minutes beyond which an origin counts in ``share_beyond_threshold``.
    lsoa
        Per origin: its LSOA code, for Theil's T (omitted: no Theil).
    weight
        Name of the weight, carried into every row (``weight`` column).
    rural_urban
        Per origin: ``Urban`` or ``Rural`` (ONS RUC 2021 of its LSOA); omitted: no
        ``by_rural_urban`` table.

    Returns
    -------
    EquityResult
        ``by_decile`` (ten rows, ``imd_decile`` 1-10, empty deciles with population 0),
        ``by_quintile`` (five rows, ``imd_quintile``), ``theil`` and the parameters.

    Raises
    ------
    ServiceMapError
        If the arrays differ in length, a decile is outside 1-10, or a weight is negative.
    """
    m = np.asarray(minutes, dtype=float)
    w = np.asarray(weights, dtype=float)
    d = np.asarray(deciles)
    if not len(m) == len(w) == len(d):
        raise ServiceMapError("minutes, weights and deciles must have one value per origin")
    if pd.isna(d).any() or not np.isin(d, DECILES).all():
        raise ServiceMapError("every origin needs an IMD decile from 1 to 10")
    if (w < 0).any() or np.isnan(w).any():
        raise ServiceMapError("weights must be 0 or more")
    m = np.where(np.isnan(m), np.inf, m)
    d = d.astype(int)
    by_decile = _group_rows("imd_decile", d, DECILES, m, w, threshold, weight)
    by_quintile = _group_rows(
        "imd_quintile", decile_to_quintile(d), QUINTILES, m, w, threshold, weight
    )
    theil = theil_by_decile(m, w, d, lsoa) if lsoa is not None else None
    by_class = None
    if rural_urban is not None:
        classes = np.asarray(rural_urban, dtype=object)
        if len(classes) != len(m) or not np.isin(classes, RURAL_URBAN).all():
            raise ServiceMapError("every origin needs a rural/urban class (Urban or Rural)")
        by_class = _group_rows("rural_urban", classes, RURAL_URBAN, m, w, threshold, weight)
    return EquityResult(
        by_decile=by_decile,
        by_quintile=by_quintile,
        theil=theil,
        weight=weight,
        threshold=float(threshold),
        by_rural_urban=by_class,
    )
