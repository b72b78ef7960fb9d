"""Published referral volumes beside the benchmark for the services behind them.

A volume is compared with a benchmark only where both are known: the SafeLives IDVA
benchmark (about 100 referrals a year per full-time IDVA, ``data/benchmarks.toml``)
applies to the IDVA records a published figure covers, and only when every one of them
has a published ``advocate_fte`` and the figure covers IDVA records only. Otherwise the
table says why not ("not published"); unknown is never shown as zero.

Small counts: any count under :data:`MIN_SHOWN` (5) from a published table is shown as
"fewer than 5", never as the number, in every table, page and export, so a person
cannot be identified from it (none of the committed figures is that small).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from mapping.analysis.capacity import record_capacity
from mapping.inputs.benchmarks import Benchmark
from mapping.inputs.referrals import Referral

__all__ = ["MIN_SHOWN", "VOLUME_COLUMNS", "shown_count", "volume_table"]

#: Counts below this are never shown from a published table.
MIN_SHOWN = 5
#: Columns of :func:`volume_table`.
VOLUME_COLUMNS: tuple[str, ...] = (
    "service",
    "service_ids",
    "year",
    "route",
    "measure",
    "published",
    "count",
    "benchmark",
    "benchmark_capacity",
    "ratio",
    "source",
    "notes",
)


def shown_count(count: int | None, qualifier: str = "exact") -> str:
    """A published count as text: ``over 67,000``; ``fewer than 5`` for small counts.

    Examples
    --------
    >>> shown_count(52943)
    '52,943'
    >>> shown_count(67000, "over")
    'over 67,000'
    >>> shown_count(3)
    'fewer than 5'
    """
    if count is None:
        return "not published"
    if count < MIN_SHOWN:
        return f"fewer than {MIN_SHOWN}"
    prefix = "" if qualifier == "exact" else f"{qualifier} "
    return f"{prefix}{count:,}"


def _capacity(
    referral: Referral, register: pd.DataFrame, benchmarks: Mapping[str, Benchmark]
) -> tuple[str, float]:
    """(benchmark text, referrals a year the known capacity takes; NaN when unknown)."""
    records = register[register["id"].isin(referral.service_ids)]
    for bench in benchmarks.values():
        if bench.capacity_unit != "FTE advocates":
            continue  # only advocate posts have a referrals-per-year benchmark
        covered = records[records["category"].isin(bench.categories)]
        if covered.empty:
            continue
        what = (
            f"{bench.title}: about {bench.cases_per_unit:g} referrals a year per FTE "
            f"({bench.source.split(',')[0]})"
        )
        if len(covered) < len(records):
            return (
                f"{what}; not comparable: the figure covers other kinds of service too",
                float("nan"),
            )
        # FTE as the capacity table reads it (capacity_value in FTE advocates, else
        # advocate_fte): one reading of the register for both.
        fte = pd.Series(record_capacity(covered, bench.capacity_unit)[0], index=covered.index)
        if referral.measure != "referrals" or fte.isna().any():
            return f"{what}; the FTE is not published", float("nan")
        return f"{what}; {fte.sum():g} FTE known", float(fte.sum() * bench.cases_per_unit)
    return "not published (no benchmark for this kind of service)", float("nan")


def volume_table(
    referrals: Iterable[Referral],
    register: pd.DataFrame,
    benchmarks: Mapping[str, Benchmark],
) -> pd.DataFrame:
    """One row per published figure, with the benchmark beside it where one exists.

    ``count`` is the published number (missing below :data:`MIN_SHOWN`), ``published``
    its text; ``benchmark_capacity`` the referrals a year the services' known capacity
    takes at the benchmark and ``ratio`` count / capacity (both missing when unknown).
    """
    rows: list[dict[str, Any]] = []
    for ref in referrals:
        text, capacity = _capacity(ref, register, benchmarks)
        count = ref.count if ref.count >= MIN_SHOWN else None
        ratio = count / capacity if count is not None and capacity > 0 else np.nan
        rows.append(
            {
                "service": ref.service,
                "service_ids": ";".join(ref.service_ids),
                "year": ref.year,
                "route": ref.route or "all routes",
                "measure": ref.measure,
                "published": shown_count(ref.count, ref.qualifier),
                "count": count,
                "benchmark": text,
                "benchmark_capacity": capacity,
                "ratio": ratio,
                "source": ref.source,
                "notes": ref.notes,
            }
        )
    table = pd.DataFrame(rows, columns=list(VOLUME_COLUMNS))
    table["count"] = table["count"].astype("Int64")
    return table
