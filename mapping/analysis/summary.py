"""Population-weighted summaries of per-origin drive minutes: by area, by drive-time band."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

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
    weight is at least ``q``: numpy's ``inverted_cdf`` method with weights.

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted) with a weight above zero, one column per quantile.
    """
    keep = np.asarray(weights, dtype=float) > 0
    codes, labels = pd.factorize(np.asarray(groups)[keep], sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    values = np.split(np.asarray(minutes, dtype=float)[keep][order], bounds)
    shares = np.split(np.asarray(weights, dtype=float)[keep][order], bounds)
    q = np.asarray(quantiles, dtype=float) - _ROUND_OFF
    rows = [
        np.quantile(v, q, weights=w, method="inverted_cdf")
        for v, w in zip(values, shares, strict=True)
        if v.size
    ]
    return pd.DataFrame(rows, index=labels, columns=list(quantiles))


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
    minutes = np.asarray(minutes, dtype=float)
    weights = np.asarray(weights, dtype=float)
    reached = np.isfinite(minutes)
    outside = reached & (np.asarray(provider_area, dtype=object) != "Lancashire")
    codes = origins[key].to_numpy()
    frames = [(codes, False)]
    if total_row:
        frames.append((np.full(len(codes), TOTAL_CODE, dtype=object), True))
    results = []
    for group_codes, _ in frames:
        base = pd.DataFrame(
            {
                "area_code": group_codes,
                "population": origins["population"].to_numpy(float),
                "eligible_population": weights,
                "w_reached": np.where(reached, weights, 0.0),
                "w_minutes": np.where(reached, weights * np.where(reached, minutes, 0.0), 0.0),
                "w_outside": np.where(outside, weights, 0.0),
                "w_unreached": np.where(reached, 0.0, weights),
            }
        )
        for t in thresholds:
            base[f"w_within_{t:g}"] = np.where(minutes <= t, weights, 0.0)
        sums = base.groupby("area_code").sum()
        table = pd.DataFrame(index=sums.index)
        table["population"] = sums["population"]
        table["eligible_population"] = sums["eligible_population"]
        with np.errstate(invalid="ignore", divide="ignore"):
            table["mean_minutes"] = sums["w_minutes"] / sums["w_reached"]
            quant = weighted_quantiles(group_codes, minutes, weights, (0.5, 0.9))
            table["median_minutes"] = quant[0.5].reindex(table.index)
            table["p90_minutes"] = quant[0.9].reindex(table.index)
            for t in thresholds:
                table[f"share_within_{t:g}"] = sums[f"w_within_{t:g}"] / sums["eligible_population"]
            table[f"population_beyond_{max(thresholds):g}"] = (
                sums["eligible_population"] - sums[f"w_within_{max(thresholds):g}"]
            )
            table["population_unreached"] = sums["w_unreached"]
            table["share_nearest_outside_lancashire"] = (
                sums["w_outside"] / sums["eligible_population"]
            )
        served = pd.DataFrame(
            {"area_code": group_codes, "service": service_id, "area": provider_area, "w": weights}
        ).dropna(subset=["service"])
        top = (
            served.groupby(["area_code", "service", "area"])["w"]
            .sum()
            .reset_index()
            .sort_values(["area_code", "w"], ascending=[True, False])
            .drop_duplicates("area_code")
            .set_index("area_code")
        )
        table["nearest_service"] = top["service"].reindex(table.index)
        table["nearest_provider_area"] = top["area"].reindex(table.index)
        results.append(table)
    out = pd.concat(results).reset_index()
    # Infinite minutes (nobody reached) would break exports: leave them empty.
    out = out.replace([np.inf, -np.inf], np.nan)
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
