"""Population-weighted summaries of per-origin drive minutes: by area, by drive-time band."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from mapping.errors import ServiceMapError
from mapping.formats import NO_SERVICE, MinuteClasses

#: Drive-time thresholds (minutes) reported by default. No official "SARC within N
#: minutes" standard exists (reference file): these are analysis parameters.
DEFAULT_THRESHOLDS: tuple[int, ...] = (15, 30, 45, 60, 90)


AreaLevel = Literal["lsoa", "ward", "district"]


_AREA_KEY: dict[str, str] = {"lsoa": "lsoa21_code", "ward": "ward_code", "district": "lad_code"}


TOTAL_CODE = "TOTAL"


TOTAL_NAME = "Lancashire"


#: Cumulative weight shares are compared with a quantile less this: float round-off can
#: put an exact share (0.8 / 1.6) a hair below it (0.49999999999999994).
_ROUND_OFF = 1e-12


def weighted_quantiles(
    groups: np.ndarray, minutes: np.ndarray, weights: np.ndarray, quantiles: Sequence[float]
) -> pd.DataFrame:
    """Weighted quantiles of ``minutes`` within each group (lower-value convention).

    The quantile ``q`` of a group is its smallest value whose cumulative share of the
    weight is at least ``q``: numpy's ``inverted_cdf`` method with weights, computed for
    every group at once (one sort by group and value, then a count per group of the
    values whose cumulative share is still below ``q``) instead of one ``np.quantile``
    call per group, which cost a second per coverage table of LSOAs.

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted) with a weight above zero, one column per quantile.

    Examples
    --------
    >>> weighted_quantiles(
    ...     np.array(["a", "a", "a", "b"]), np.array([10.0, 20.0, 30.0, 5.0]),
    ...     np.array([1.0, 1.0, 2.0, 3.0]), (0.5, 0.9))
        0.5   0.9
    a  20.0  30.0
    b   5.0   5.0
    """
    weights = np.asarray(weights, dtype=float)
    keep = weights > 0
    codes, labels = pd.factorize(np.asarray(groups)[keep], sort=True)
    values = np.asarray(minutes, dtype=float)[keep]
    order = np.lexsort((values, codes))
    codes, values, weights = codes[order], values[order], weights[keep][order]
    if not len(codes):
        return pd.DataFrame(index=labels, columns=list(quantiles), dtype=float)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    # Cumulated within each group in order (as numpy's cumsum of the group's weights).
    cumulative = pd.Series(weights).groupby(codes, sort=False).cumsum().to_numpy()
    share = cumulative / np.repeat(cumulative[ends - 1], ends - starts)
    columns = {}
    for q in quantiles:
        below = np.add.reduceat((share < q - _ROUND_OFF).astype(np.int64), starts)
        columns[q] = values[np.minimum(starts + below, ends - 1)]
    return pd.DataFrame(columns, index=labels[codes[starts]], columns=list(quantiles))


def _top_service(
    area: np.ndarray,
    n_areas: int,
    service_id: np.ndarray,
    provider_area: np.ndarray,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per area, the (service, provider area) pair serving the most eligible weight.

    Ties go to the pair first in (service, provider area) order; an area none of whose
    origins has a service gets ``None``.
    """
    service_id = np.asarray(service_id, dtype=object)
    provider_area = np.asarray(provider_area, dtype=object)
    served = ~(pd.isna(service_id) | pd.isna(provider_area))
    none = np.full(n_areas, None, dtype=object)
    if not served.any():
        return none, none.copy()
    services, service_names = pd.factorize(service_id[served], sort=True)
    providers, provider_names = pd.factorize(provider_area[served], sort=True)
    # A pair's number orders pairs as (service, provider area) sort.
    pair = services * len(provider_names) + providers
    pairs, pair_codes = pd.factorize(pair, sort=True)
    n_pairs = len(pair_codes)
    cell = area[served] * n_pairs + pairs
    totals = np.bincount(cell, weights=weights[served], minlength=n_areas * n_pairs)
    present = np.bincount(cell, minlength=n_areas * n_pairs) > 0
    totals = np.where(present, totals, -np.inf).reshape(n_areas, n_pairs)
    best = totals.argmax(axis=1)  # the first of equal totals: the smallest pair
    has = present.reshape(n_areas, n_pairs).any(axis=1)
    chosen = np.asarray(pair_codes)[best]
    service = np.asarray(service_names, dtype=object)[chosen // len(provider_names)]
    provider = np.asarray(provider_names, dtype=object)[chosen % len(provider_names)]
    service[~has] = None
    provider[~has] = None
    return service, provider


def checked_thresholds(thresholds: object) -> tuple[float, ...]:
    """Drive-time thresholds as a tuple of positive minutes, or a clear error.

    Raises
    ------
    ServiceMapError
        For a string, a single number, or anything that is not positive minutes.
    """
    message = f"thresholds must be positive minutes such as (30, 45, 60), not {thresholds!r}"
    if isinstance(thresholds, str | bytes) or not isinstance(thresholds, Iterable):
        raise ServiceMapError(message)
    values = tuple(thresholds)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise ServiceMapError(message)
        if not value > 0:
            raise ServiceMapError(message)
    if not values:
        raise ServiceMapError(message)
    return tuple(float(v) for v in values)


def summarise(
    origins: pd.DataFrame,
    minutes: np.ndarray,
    service_id: np.ndarray,
    provider_area: np.ndarray,
    *,
    by: AreaLevel,
    weights: np.ndarray,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    names: Mapping[str, str] | None = None,
    total_row: bool = True,
) -> pd.DataFrame:
    """Summarise per-origin drive minutes into population-weighted figures per area.

    Parameters
    ----------
    origins
        The origins (``population`` and the area key columns), in the order of the
        other arrays.
    minutes, service_id, provider_area
        Per origin: minutes to the nearest eligible open service (``inf``: none), its id
        and the area that provides it.
    by
        ``"lsoa"``, ``"ward"`` or ``"district"`` (council area).
    weights
        Per-origin eligible population.
    thresholds
        Minutes for the ``share_within_<t>`` columns.
    names
        ``{area_code: area_name}``.
    total_row
        Append a Lancashire row with ``area_code`` ``TOTAL``.

    Returns
    -------
    pandas.DataFrame
        One row per area: ``area_code``, ``area_name``, ``population``,
        ``eligible_population``, ``mean_minutes``, ``median_minutes``, ``p90_minutes``,
        ``share_within_<t>`` per threshold, ``population_beyond_<max t>``,
        ``population_unreached`` (no eligible open service at all),
        ``share_nearest_outside_lancashire``, ``nearest_service`` (the one serving most
        of the eligible population) and ``nearest_provider_area``.
    """
    key = _AREA_KEY[by]
    thresholds = checked_thresholds(thresholds)
    minutes = np.asarray(minutes, dtype=float)
    weights = np.asarray(weights, dtype=float)
    reached = np.isfinite(minutes)
    outside = reached & (np.asarray(provider_area, dtype=object) != "Lancashire")
    codes = origins[key].to_numpy()
    frames = [(codes, False)]
    if total_row:
        frames.append((np.full(len(codes), TOTAL_CODE, dtype=object), True))
    population = origins["population"].to_numpy(float)
    columns = pd.DataFrame(
        {
            "population": population,
            "eligible_population": weights,
            "w_reached": np.where(reached, weights, 0.0),
            "w_minutes": np.where(reached, weights * np.where(reached, minutes, 0.0), 0.0),
            "w_outside": np.where(outside, weights, 0.0),
            "w_unreached": np.where(reached, 0.0, weights),
            **{f"w_within_{t:g}": np.where(minutes <= t, weights, 0.0) for t in thresholds},
        }
    )
    results = []
    for group_codes, _ in frames:
        # Grouped by the areas' integer codes: a groupby on the area strings (made into
        # a new string column each time) cost most of a coverage table. pandas' sums are
        # compensated, so whole numbers of people stay whole.
        area, labels = pd.factorize(group_codes, sort=True)
        sums = {k: v.to_numpy() for k, v in columns.groupby(area).sum().items()}
        eligible = sums["eligible_population"]
        # Quantiles by the integer codes too (sorted as the labels are): no second sort
        # of strings. Areas with no eligible weight have none.
        quant = weighted_quantiles(area, minutes, weights, (0.5, 0.9))
        median = np.full(len(labels), np.nan)
        p90 = np.full(len(labels), np.nan)
        median[quant.index.to_numpy()] = quant[0.5].to_numpy()
        p90[quant.index.to_numpy()] = quant[0.9].to_numpy()
        service, provider = _top_service(area, len(labels), service_id, provider_area, weights)
        with np.errstate(invalid="ignore", divide="ignore"):
            table = {
                "area_code": labels,
                "population": sums["population"],
                "eligible_population": eligible,
                "mean_minutes": sums["w_minutes"] / sums["w_reached"],
                "median_minutes": median,
                "p90_minutes": p90,
                **{f"share_within_{t:g}": sums[f"w_within_{t:g}"] / eligible for t in thresholds},
                f"population_beyond_{max(thresholds):g}": (
                    eligible - sums[f"w_within_{max(thresholds):g}"]
                ),
                "population_unreached": sums["w_unreached"],
                "share_nearest_outside_lancashire": sums["w_outside"] / eligible,
                "nearest_service": service,
                "nearest_provider_area": provider,
            }
        results.append(pd.DataFrame(table))
    out = pd.concat(results, ignore_index=True)
    # Infinite minutes (nobody reached) would break exports: leave them empty.
    numbers = out.select_dtypes("number").columns
    out[numbers] = out[numbers].replace([np.inf, -np.inf], np.nan)
    lookup = dict(names or {})
    lookup[TOTAL_CODE] = TOTAL_NAME
    out.insert(1, "area_name", out["area_code"].map(lookup).fillna(out["area_code"]))
    return out


NO_SERVICE_BAND = NO_SERVICE


def population_by_minutes(
    origin_minutes: pd.DataFrame,
    limits: Sequence[float] = DEFAULT_THRESHOLDS,
    by: AreaLevel | None = None,
) -> pd.DataFrame:
    """Eligible population per drive-time band, for Lancashire or per area.

    Parameters
    ----------
    origin_minutes
        Per-origin minutes and eligible population, as :meth:`Study.origin_minutes`
        returns (``minutes`` is ``NaN`` where no eligible open service is reachable).
    limits
        Upper limits of the bands in minutes, ascending: ``(15, 30)`` gives ``0–15 min``,
        ``15–30 min`` and ``over 30 min`` (:class:`mapping.formats.MinuteClasses`, the
        classes of the maps and the exports). A band includes its upper limit.
    by
        ``"lsoa"``, ``"ward"`` or ``"district"`` for one row per area and band (column
        ``area_code``); ``None`` for Lancashire as a whole.

    Returns
    -------
    pandas.DataFrame
        ``[area_code,] band, band_start, residents``: every band appears, in order
        (``band`` is an ordered categorical; ``band_start`` is ``NaN`` for
        ``no open service``), with ``residents`` zero where nobody falls in it.
    """
    classes = MinuteClasses(tuple(float(v) for v in limits))
    labels = [*classes.labels, classes.missing]
    starts = dict(zip(labels, [*classes.breaks, np.nan], strict=True))
    index = classes.index(origin_minutes["minutes"])
    index = np.where(index < 0, len(labels) - 1, index)
    frame = pd.DataFrame(
        {
            "band": pd.Categorical.from_codes(index, categories=labels, ordered=True),
            "residents": origin_minutes["eligible_population"].to_numpy(float),
        }
    )
    keys = ["band"]
    if by is not None:
        frame.insert(0, "area_code", origin_minutes[_AREA_KEY[by]].to_numpy())
        keys = ["area_code", "band"]
    out = frame.groupby(keys, observed=False)["residents"].sum().reset_index()
    out.insert(len(keys), "band_start", out["band"].map(starts).astype(float))
    return out
