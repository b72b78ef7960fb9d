"""Capacity against published benchmarks, and capacity-aware access (2SFCA, E2SFCA).

:func:`capacity_table`
    Per council area, per Community Safety Partnership and for Lancashire (its police
    force area): the units each benchmark of ``data/benchmarks.toml`` says the area
    needs, against the units the register knows. Known capacity comes only from the
    register's ``capacity_family_places`` and ``advocate_fte`` (each with its source);
    where a record gives none, the capacity is **unknown** and reported so, never
    estimated. Centres (rape crisis, SARC) are counted from register records.

:func:`floating_catchment`
    Supply-to-demand ratios per LSOA with PySAL's ``access`` package: the two-step
    floating catchment area (2SFCA; Luo and Wang 2003) and its enhanced form (E2SFCA;
    Luo and Qi 2009). Catchment: every site within ``catchment_minutes`` drive of the
    LSOA (the engine's minutes). E2SFCA decay: the catchment is cut into three equal
    zones weighted 1, 0.68 and 0.22 (Luo and Qi's weights for 0-10, 10-20 and 20-30
    minutes, scaled to the catchment), in both steps.

:func:`county_access`
    Refuge demand is regional: most women in refuge come from another local authority,
    so local catchments would mislead. Refuge access is one county-wide ratio: every
    LSOA reaches every Lancashire refuge (a 2SFCA with an unlimited catchment), and the
    result says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from access import Access, weights

from mapping.errors import ServiceMapError
from mapping.inputs.benchmarks import DENOMINATORS, Benchmark

__all__ = [
    "CAPACITY_COLUMNS",
    "COUNTY_SCALE_NOTE",
    "E2SFCA_ZONE_WEIGHTS",
    "FcaResult",
    "capacity_table",
    "county_access",
    "denominator_label",
    "floating_catchment",
    "lsoa_travel_costs",
]

#: Columns of :func:`capacity_table`, in order.
CAPACITY_COLUMNS: tuple[str, ...] = (
    "area_level",
    "area_code",
    "area_name",
    "service_type",
    "benchmark_units",
    "known_units",
    "known_status",
    "unit",
    "records",
    "records_with_capacity",
    "county_wide_records",
    "denominator",
    "denominator_value",
    "benchmark",
    "source",
    "wording",
    "wording_status",
    "capacity_sources",
    "note",
)

#: Luo and Qi's (2009) E2SFCA zone weights, nearest zone first.
E2SFCA_ZONE_WEIGHTS: tuple[float, float, float] = (1.0, 0.68, 0.22)

COUNTY_SCALE_NOTE = (
    "Refuge access is computed at county scale, not as local catchments: refuge demand "
    "is regional (most women in refuge come from another local authority), so every "
    "LSOA is taken to reach every Lancashire refuge and shares one county-wide ratio."
)

_LEVELS = ("district", "csp", "police_force_area")
_AREAS_BEYOND = frozenset({"Lancashire", "England", "England and Wales"})


# ---- capacity against benchmarks ---------------------------------------------------------


def _as_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, tuple | list | set | frozenset | np.ndarray):
        return tuple(str(v).strip() for v in value if str(v).strip())
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ()
    return tuple(part.strip() for part in str(value).split(";") if part.strip())


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _matching_records(register: pd.DataFrame, bench: Benchmark) -> pd.DataFrame:
    records = register[register["category"].isin(bench.categories)].copy()
    if bench.crime_type is not None:
        wanted = bench.crime_type
        records = records[records["crime_types"].map(lambda c: wanted in _as_tuple(c))]
    records["_district"] = records["district"].map(_text)
    if "what_if" in records:
        records = records[~records["what_if"].fillna(False).astype(bool)]
    return records


def _county_wide(records: pd.DataFrame, lad_codes: set[str]) -> pd.Series:
    """Records with no site of their own that serve the whole county."""
    served = records["areas_served"].map(lambda a: set(_as_tuple(a)))
    return (records["_district"] == "") & served.map(
        lambda s: bool(s & _AREAS_BEYOND) or lad_codes <= s
    )


def _known(group: pd.DataFrame, bench: Benchmark) -> tuple[float, str, int, int, str]:
    """(known units, status, records, records with capacity, capacity sources)."""
    if bench.known_capacity_field is None:
        # Centres are counted: each register record is one centre or service.
        return float(len(group)), "counted from the register", len(group), len(group), ""
    values = pd.to_numeric(group[bench.known_capacity_field], errors="coerce")
    with_value = group[values.notna()]
    source_column = f"{bench.known_capacity_field}_source"
    sources = (
        "; ".join(dict.fromkeys(_text(s) for s in with_value[source_column] if _text(s)))
        if source_column in group
        else ""
    )
    if group.empty:
        return 0.0, "none recorded", 0, 0, ""
    if values.notna().all():
        return float(values.sum()), "known", len(group), len(group), sources
    if values.notna().any():
        return (
            float(values.sum()),
            "partly known (lower bound)",
            len(group),
            len(with_value),
            sources,
        )
    return float("nan"), "unknown", len(group), 0, ""


def capacity_table(
    register: pd.DataFrame,
    need: pd.DataFrame,
    benchmarks: Mapping[str, Benchmark],
    *,
    denominators: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Benchmark units against known units per council area, CSP and police force area.

    Parameters
    ----------
    register
        The services register (:func:`mapping.inputs.register.load_register`, or a study's
        effective register: what-if records are left out).
    need
        The need layer (:func:`mapping.geography.need.load_need`): ``lad_code``, ``lad_name``,
        ``csp_code``, ``csp_name``, ``pfa_code`` and the denominator columns.
    benchmarks
        :func:`mapping.inputs.benchmarks.load_benchmarks`.
    denominators
        ``{benchmark id: denominator}`` to use another of a benchmark's
        ``denominator_choices`` (e.g. ``{"sexual_violence_support": "residents"}``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CAPACITY_COLUMNS`: one row per benchmark and area, ``area_level``
        ``district`` (14), ``csp`` and ``police_force_area`` (Lancashire).
        ``known_units`` is NaN when ``known_status`` is ``unknown``; a ``partly known``
        figure is a lower bound. District and CSP rows count only records filed under
        them (``county_wide_records`` says how many county-wide records also serve
        them). The SARC benchmark is set per police force area: its district and CSP
        rows have no ``benchmark_units``.
    """
    chosen = dict(denominators or {})
    unknown = sorted(set(chosen) - set(benchmarks))
    if unknown:
        raise ServiceMapError(f"no benchmark {unknown[0]!r}; known: {', '.join(benchmarks)}")
    lads = need.drop_duplicates("lad_code").set_index("lad_code")
    lad_codes = set(lads.index)
    areas: list[tuple[str, str, str, set[str]]] = []
    for code, row in lads.sort_index().iterrows():
        areas.append(("district", str(code), str(row["lad_name"]), {str(code)}))
    for code, group in lads.reset_index().groupby("csp_code", sort=True):
        areas.append(("csp", str(code), str(group["csp_name"].iloc[0]), set(group["lad_code"])))
    for code, group in lads.reset_index().groupby("pfa_code", sort=True):
        areas.append(
            ("police_force_area", str(code), str(group["pfa_name"].iloc[0]), set(group["lad_code"]))
        )

    rows = []
    for bench_id, base in benchmarks.items():
        bench = base.with_denominator(chosen[bench_id]) if bench_id in chosen else base
        records = _matching_records(register, bench)
        county_wide = records[_county_wide(records, lad_codes)]
        for level, code, name, members in areas:
            whole_force = level == "police_force_area"
            filed = records[records["_district"].isin(members)]
            group = pd.concat([filed, county_wide]) if whole_force else filed
            known, status, n_records, n_known, sources = _known(group, bench)
            note = ""
            if bench.per_area is not None:
                denominator_value = 1.0 if whole_force else float("nan")
                units = bench.units_needed(1) if whole_force else float("nan")
                if not whole_force:
                    note = "The benchmark is set per police force area, not per council area."
            else:
                denominator_value = float(
                    need.loc[need["lad_code"].isin(members), bench.denominator].sum()
                )
                units = bench.units_needed(denominator_value)
            if not whole_force and len(county_wide) and bench.known_capacity_field:
                note = (
                    f"{len(county_wide)} county-wide record(s) also serve this area; their "
                    "capacity is counted for Lancashire only, so this figure is a lower bound."
                )
            if bench.scale == "county" and not whole_force:
                note = (
                    "Refuge places serve the whole county (most women in refuge come from "
                    "another local authority): an area's own figure is context, not a gap."
                )
            rows.append(
                {
                    "area_level": level,
                    "area_code": code,
                    "area_name": name,
                    "service_type": bench.service_type,
                    "benchmark_units": units,
                    "known_units": known,
                    "known_status": status,
                    "unit": bench.unit,
                    "records": n_records,
                    "records_with_capacity": n_known,
                    "county_wide_records": 0 if whole_force else len(county_wide),
                    "denominator": bench.denominator,
                    "denominator_value": denominator_value,
                    "benchmark": bench.describe(),
                    "source": bench.source,
                    "wording": bench.wording,
                    "wording_status": bench.wording_status,
                    "capacity_sources": sources,
                    "note": note,
                }
            )
    table = pd.DataFrame(rows, columns=list(CAPACITY_COLUMNS))
    table["_level"] = table["area_level"].map(_LEVELS.index)
    table = table.sort_values(["service_type", "_level", "area_code"], kind="mergesort")
    return table.drop(columns="_level").reset_index(drop=True)


# ---- capacity-aware access -----------------------------------------------------------------


@dataclass(frozen=True)
class FcaResult:
    """Supply-to-demand ratios per LSOA, with the method's parameters spelled out.

    Attributes
    ----------
    table
        One row per LSOA: ``lsoa21_code``, ``demand``, ``ratio_2sfca`` and
        ``ratio_e2sfca`` (units of supply per unit of demand; 0 where no site is in
        reach), and ``per_10000_2sfca``, ``per_10000_e2sfca`` (the same per 10,000).
    catchment_minutes
        The catchment (``None``: unlimited, county scale).
    decay
        How E2SFCA weights travel time, in words.
    scale
        ``"local catchments"`` or ``"county"``.
    sites_unknown_capacity
        Sites left out because their capacity is unknown: the ratios are lower bounds.
    note
        What the numbers mean, for the output.
    """

    table: pd.DataFrame
    catchment_minutes: float | None
    decay: str
    scale: str
    sites_unknown_capacity: tuple[str, ...] = field(default=())
    note: str = ""


def _zone_weights(catchment: float) -> Any:
    cuts = [catchment * k / 3 for k in (1, 2, 3)]
    return weights.step_fn(dict(zip(cuts, E2SFCA_ZONE_WEIGHTS, strict=True)))


def _check_inputs(demand: pd.DataFrame, supply: pd.DataFrame, costs: pd.DataFrame) -> None:
    for frame, name, columns in (
        (demand, "demand", ("lsoa21_code", "demand")),
        (supply, "supply", ("site_id", "capacity")),
        (costs, "costs", ("lsoa21_code", "site_id", "minutes")),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ServiceMapError(f"{name} table needs column(s) {', '.join(missing)}")
    if (demand["demand"] < 0).any() or (pd.to_numeric(supply["capacity"]) < 0).any():
        raise ServiceMapError("demand and capacity must be 0 or more")


def floating_catchment(
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    costs: pd.DataFrame,
    *,
    catchment_minutes: float | None,
) -> FcaResult:
    """2SFCA and E2SFCA supply-to-demand ratios per LSOA with PySAL ``access``.

    Parameters
    ----------
    demand
        ``lsoa21_code``, ``demand`` (the weight: residents, women 16+, ...).
    supply
        ``site_id``, ``capacity`` (known units: family places, FTE, centres). Sites
        with unknown (NaN) capacity are left out and named in the result.
    costs
        ``lsoa21_code``, ``site_id``, ``minutes`` (drive minutes, e.g. from
        :func:`lsoa_travel_costs`); pairs out of reach may be absent or ``inf``.
    catchment_minutes
        Sites within this many minutes are in an LSOA's catchment; ``None`` for no
        limit (every LSOA reaches every site: the county ratio).

    Returns
    -------
    FcaResult
    """
    _check_inputs(demand, supply, costs)
    supply = supply.assign(capacity=pd.to_numeric(supply["capacity"], errors="coerce"))
    unknown = tuple(supply.loc[supply["capacity"].isna(), "site_id"].astype(str))
    supply = supply[supply["capacity"].notna()]
    costs = costs[np.isfinite(costs["minutes"].astype(float))]
    table = demand[["lsoa21_code", "demand"]].drop_duplicates("lsoa21_code").copy()
    if supply.empty or costs.empty:
        for column in ("ratio_2sfca", "ratio_e2sfca"):
            table[column] = 0.0
    else:
        model = Access(
            demand_df=table.set_index("lsoa21_code"),
            demand_index=True,
            demand_value="demand",
            supply_df=supply[["site_id", "capacity"]].set_index("site_id"),
            supply_index=True,
            supply_value="capacity",
            cost_df=costs[["lsoa21_code", "site_id", "minutes"]],
            cost_origin="lsoa21_code",
            cost_dest="site_id",
            cost_name="minutes",
        )
        plain = model.two_stage_fca(name="r2", max_cost=catchment_minutes)["r2_capacity"]
        if catchment_minutes is None:
            enhanced = plain  # no catchment to divide into zones: E2SFCA is 2SFCA
        else:
            enhanced = model.enhanced_two_stage_fca(
                name="re2", max_cost=catchment_minutes, weight_fn=_zone_weights(catchment_minutes)
            )["re2_capacity"]
        codes = table["lsoa21_code"]
        table["ratio_2sfca"] = codes.map(plain).fillna(0.0).to_numpy(float)
        table["ratio_e2sfca"] = codes.map(enhanced).fillna(0.0).to_numpy(float)
    table["per_10000_2sfca"] = table["ratio_2sfca"] * 10_000
    table["per_10000_e2sfca"] = table["ratio_e2sfca"] * 10_000
    if catchment_minutes is None:
        decay = "none (unlimited catchment: every LSOA reaches every site)"
    else:
        a, b = catchment_minutes / 3, 2 * catchment_minutes / 3
        decay = (
            f"E2SFCA zones 0-{a:g}, {a:g}-{b:g} and {b:g}-{catchment_minutes:g} minutes "
            "weighted 1, 0.68 and 0.22 (Luo and Qi 2009); 2SFCA: no decay"
        )
    note = ""
    if unknown:
        note = (
            f"Capacity unknown for {len(unknown)} site(s) ({', '.join(unknown)}): they are "
            "left out, so the ratios are lower bounds."
        )
    return FcaResult(
        table=table.reset_index(drop=True),
        catchment_minutes=catchment_minutes,
        decay=decay,
        scale="local catchments" if catchment_minutes is not None else "county",
        sites_unknown_capacity=unknown,
        note=note,
    )


def county_access(demand: pd.DataFrame, supply: pd.DataFrame) -> FcaResult:
    """Refuge access at county scale: one supply-to-demand ratio for every LSOA.

    Every LSOA is joined to every site at zero cost and the 2SFCA is run without a
    catchment, so each LSOA gets total known capacity / total demand. The result's
    ``note`` carries :data:`COUNTY_SCALE_NOTE`.
    """
    costs = pd.MultiIndex.from_product(
        [demand["lsoa21_code"].unique(), supply["site_id"].astype(str).unique()],
        names=["lsoa21_code", "site_id"],
    ).to_frame(index=False)
    costs["minutes"] = 0.0
    supply = supply.assign(site_id=supply["site_id"].astype(str))
    result = floating_catchment(demand, supply, costs, catchment_minutes=None)
    note = " ".join(part for part in (COUNTY_SCALE_NOTE, result.note) if part)
    return FcaResult(
        table=result.table,
        catchment_minutes=None,
        decay=result.decay,
        scale="county",
        sites_unknown_capacity=result.sites_unknown_capacity,
        note=note,
    )


def lsoa_travel_costs(
    origins: pd.DataFrame, minutes: np.ndarray, site_ids: Sequence[str] | Iterable[str]
) -> pd.DataFrame:
    """LSOA-to-site drive minutes from per-origin minutes, weighted by residents.

    Parameters
    ----------
    origins
        Origin points (``lsoa21_code``, ``population``) in the engine's origin order.
    minutes
        ``(n_sites, n_origins)`` minutes, ``inf`` where unreachable (the engine's
        ``minutes_to(site_ids, profile)``).
    site_ids
        The sites, in the rows' order.

    Returns
    -------
    pandas.DataFrame
        ``lsoa21_code``, ``site_id``, ``minutes``: the resident-weighted mean over the
        LSOA's origins that reach the site (pairs no origin reaches are left out).
    """
    ids = list(site_ids)
    matrix = np.asarray(minutes, dtype=float)
    if matrix.shape != (len(ids), len(origins)):
        raise ServiceMapError("minutes must have one row per site and one column per origin")
    weight = origins["population"].to_numpy(float)
    codes = origins["lsoa21_code"].astype(str).to_numpy()
    frames = []
    for row, site in zip(matrix, ids, strict=True):
        reached = np.isfinite(row) & (weight > 0)
        part = (
            pd.DataFrame(
                {
                    "lsoa21_code": codes[reached],
                    "wm": row[reached] * weight[reached],
                    "w": weight[reached],
                }
            )
            .groupby("lsoa21_code", as_index=False)[["wm", "w"]]
            .sum()
        )
        frames.append(
            pd.DataFrame(
                {
                    "lsoa21_code": part["lsoa21_code"],
                    "site_id": site,
                    "minutes": part["wm"] / part["w"],
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["lsoa21_code", "site_id", "minutes"])
    return pd.concat(frames, ignore_index=True)


def denominator_label(denominator: str) -> str:
    """What a benchmark denominator counts, for table captions."""
    return DENOMINATORS.get(denominator, denominator)
