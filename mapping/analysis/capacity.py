"""Capacity against published benchmarks, and capacity-aware access (2SFCA, E2SFCA).

:func:`capacity_table`
    Per council area, per Community Safety Partnership and for Lancashire (its police
    force area): the units each benchmark of ``data/benchmarks.toml`` says the area
    needs (with its range), against what the register knows, as a state
    (:data:`CAPACITY_STATES`): a known number with its source, "covered by a service
    based elsewhere" (named), or "unknown" (saying which figure is missing). Known
    capacity comes only from the register's ``capacity_value`` in the benchmark's
    ``capacity_unit``, or ``capacity_family_places`` / ``advocate_fte`` (each with its
    source); nothing is estimated and unknown is never 0. Centres (rape crisis, sexual
    assault centres) are counted from register records of the benchmark's kind only.

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
from mapping.inputs.capacity_checks import UNIT_FIELDS

__all__ = [
    "CAPACITY_COLUMNS",
    "CAPACITY_STATES",
    "COUNTY_SCALE_NOTE",
    "E2SFCA_ZONE_WEIGHTS",
    "FcaResult",
    "capacity_table",
    "county_access",
    "denominator_label",
    "floating_catchment",
    "lsoa_travel_costs",
    "record_capacity",
]

#: Columns of :func:`capacity_table`, in order (new columns go at the end, so readers of
#: older exports keep working).
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
    "benchmark_units_low",
    "benchmark_units_high",
    "capacity_state",
    "capacity",
    "covered_by",
    "not_classified",
    "counts",
    "scope",
    "benchmark_range",
)

#: ``capacity_state`` values: what an area's known capacity is, in words.
CAPACITY_STATES: dict[str, str] = {
    "known": "a known number, with its source",
    "partly known": "a lower bound: some records give no figure",
    "counted": "records of the right kind counted from the register",
    "covered elsewhere": "no service of its own; covered by a service based elsewhere (named)",
    "unknown": "records exist but none gives the figure (named)",
    "none recorded": "the register records no such service here or serving here",
}

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
        keep = records["crime_types"].map(lambda c: wanted in _as_tuple(c)).astype(bool)
        records = records.loc[keep]  # .loc: an empty mask must not select columns
    records["_district"] = records["district"].map(_text)
    if "what_if" in records:
        records = records[~records["what_if"].fillna(False).astype(bool)]
    names = (records["name"] if "name" in records else records["id"]).map(_text)
    providers = records["provider"].map(_text) if "provider" in records else names.map(lambda _: "")
    records["_name"] = names
    records["_of_kind"] = [bench.of_kind(n, p) for n, p in zip(names, providers, strict=True)]
    records["_value"], records["_source"] = record_capacity(records, bench.capacity_unit)
    return records


def record_capacity(records: pd.DataFrame, unit: str | None) -> tuple[list[float], list[str]]:
    """Each record's figure in ``unit`` and its source: NaN and "" when it gives none.

    The figure is ``capacity_value`` when ``capacity_unit`` is ``unit``, else the original
    column for that unit (``capacity_family_places``, ``advocate_fte``), else unknown.
    """
    values, sources = [], []
    legacy = UNIT_FIELDS.get(unit or "")
    for _, rec in records.iterrows():
        value, source = float("nan"), ""
        if unit is not None and _text(rec.get("capacity_unit")) == unit:
            value = _number(rec.get("capacity_value"))
            source = _text(rec.get("capacity_source"))
        if legacy is not None and np.isnan(value):
            value = _number(rec.get(legacy))
            source = _text(rec.get(f"{legacy}_source"))
        values.append(value)
        sources.append(source if not np.isnan(value) else "")
    return values, sources


def _number(value: Any) -> float:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return float(number) if pd.notna(number) else float("nan")


def _county_wide(records: pd.DataFrame, lad_codes: set[str]) -> pd.Series:
    """Records with no site of their own that serve the whole county."""
    served = records["areas_served"].map(lambda a: set(_as_tuple(a)))
    return (records["_district"] == "") & served.map(
        lambda s: bool(s & _AREAS_BEYOND) or lad_codes <= s
    )


def _serving(records: pd.DataFrame, members: set[str]) -> pd.DataFrame:
    """Records based outside ``members`` whose ``areas_served`` include part of them."""
    served = records["areas_served"].map(lambda a: set(_as_tuple(a)))
    covers = served.map(lambda s: bool(s & _AREAS_BEYOND) or bool(s & members))
    return records[covers & ~records["_district"].isin(members)]


def _names(records: pd.DataFrame) -> str:
    return "; ".join(dict.fromkeys(_text(n) for n in records["_name"]))


@dataclass(frozen=True)
class _Cell:
    known: float
    state: str
    status: str
    words: str
    records: int
    with_capacity: int
    sources: str = ""


def _cell(group: pd.DataFrame, elsewhere: pd.DataFrame, bench: Benchmark) -> _Cell:
    """One area's known capacity as a state, never a 0 standing in for unknown."""
    unit = bench.unit
    if bench.capacity_unit is None:
        kind = group[group["_of_kind"]]
        unsure = group[~group["_of_kind"]]
        if kind.empty and not elsewhere[elsewhere["_of_kind"]].empty:
            served = _names(elsewhere[elsewhere["_of_kind"]])
            words = f"none based here; covered by a service based elsewhere: {served}"
            return _Cell(np.nan, "covered elsewhere", _ELSEWHERE, words, 0, 0)
        words = f"{len(kind)} counted ({bench.counts})"
        if len(unsure):
            words += f"; {len(unsure)} record(s) not classified, not counted: {_names(unsure)}"
        status = "counted from the register"
        return _Cell(float(len(kind)), "counted", status, words, len(kind), len(kind))
    if group.empty:
        if not elsewhere.empty:
            words = f"covered by a service based elsewhere: {_names(elsewhere)}"
            return _Cell(np.nan, "covered elsewhere", _ELSEWHERE, words, 0, 0)
        return _Cell(0.0, "none recorded", "none recorded", f"no {bench.counts} recorded", 0, 0)
    values = group["_value"].astype(float)
    known = group[values.notna()]
    sources = "; ".join(dict.fromkeys(s for s in known["_source"] if s))
    missing = group[values.isna()]
    lacking = f"no {bench.capacity_unit} figure for {_names(missing)}"
    if missing.empty:
        words = f"{values.sum():g} {unit} (source: {sources})"
        return _Cell(float(values.sum()), "known", "known", words, len(group), len(group), sources)
    if len(known):
        words = f"at least {values.sum():g} {unit} (source: {sources}); {lacking}"
        status = "partly known (lower bound)"
        total = float(values.sum())
        return _Cell(total, "partly known", status, words, len(group), len(known), sources)
    return _Cell(np.nan, "unknown", "unknown", f"unknown: {lacking}", len(group), 0)


_ELSEWHERE = "covered by a service based elsewhere"


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
        ``district`` (14), ``csp`` and ``police_force_area`` (Lancashire). Each area's
        ``capacity_state`` is one of :data:`CAPACITY_STATES` and ``capacity`` says it in
        words (the figure with its source; the services based elsewhere that cover the
        area; or which figure is missing). ``known_units`` is NaN when the state is
        ``unknown`` or ``covered elsewhere``, never 0; a ``partly known`` figure is a lower
        bound. District and CSP rows count only records filed under them; records based
        elsewhere that serve them are named in ``covered_by`` (``county_wide_records``
        counts those with no site). Counted benchmarks count only records of the kind
        (``counts``); records of the categories the tool cannot classify are named in
        ``not_classified``. ``benchmark_units_low`` and ``_high`` give the benchmark's
        range where the literature gives one (else both equal ``benchmark_units``).
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
            elsewhere = records.iloc[0:0] if whole_force else _serving(records, members)
            cell = _cell(group, elsewhere, bench)
            note = ""
            if bench.per_area is not None:
                denominator_value = 1.0 if whole_force else float("nan")
                units = bench.units_needed(1) if whole_force else float("nan")
                low, high = units, units
                if not whole_force:
                    note = "The benchmark is set per police force area, not per council area."
            else:
                denominator_value = float(
                    need.loc[need["lad_code"].isin(members), bench.denominator].sum()
                )
                units = bench.units_needed(denominator_value)
                low, high = bench.units_range(denominator_value)
            if not whole_force and len(elsewhere) and cell.state != "covered elsewhere":
                note = (
                    f"Also served by {len(elsewhere)} service(s) based elsewhere "
                    f"({_names(elsewhere)}): their capacity is not counted here, so this "
                    "figure is a lower bound."
                )
            if bench.scale == "county" and not whole_force:
                note = (
                    "Refuge places serve the whole county (most women in refuge come from "
                    "another local authority): an area's own figure is context, not a gap."
                )
            unsure = group[~group["_of_kind"]]
            rows.append(
                {
                    "area_level": level,
                    "area_code": code,
                    "area_name": name,
                    "service_type": bench.service_type,
                    "benchmark_units": units,
                    "known_units": cell.known,
                    "known_status": cell.status,
                    "unit": bench.unit,
                    "records": cell.records,
                    "records_with_capacity": cell.with_capacity,
                    "county_wide_records": 0 if whole_force else len(county_wide),
                    "denominator": bench.denominator,
                    "denominator_value": denominator_value,
                    "benchmark": bench.describe(),
                    "source": bench.source,
                    "wording": bench.wording,
                    "wording_status": bench.wording_status,
                    "capacity_sources": cell.sources,
                    "note": note,
                    "benchmark_units_low": low,
                    "benchmark_units_high": high,
                    "capacity_state": cell.state,
                    "capacity": cell.words,
                    "covered_by": _names(elsewhere) if len(elsewhere) else "",
                    "not_classified": _names(unsure) if len(unsure) else "",
                    "counts": bench.counts,
                    "scope": bench.scope,
                    "benchmark_range": bench.describe_range(denominator_value),
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
        ``ratio_e2sfca`` (units of supply per unit of demand; 0 where no site with a
        known capacity is in reach; NaN, unknown, when no site has a known capacity),
        and ``per_10000_2sfca``, ``per_10000_e2sfca`` (the same per 10,000).
    catchment_minutes
        The catchment (``None``: unlimited, county scale).
    decay
        How E2SFCA weights travel time, in words.
    scale
        ``"local catchments"`` or ``"county"``.
    sites_unknown_capacity
        Sites left out because their capacity is unknown: the ratios are lower bounds
        (or unknown, when no site has a capacity).
    note
        What the numbers mean, for the output.
    sites_used
        Sites with a known capacity that the ratios use.
    left_out
        ``(site id, why)`` for every site left out: "capacity unknown", or no site to
        drive to (county-wide or confidential records).
    """

    table: pd.DataFrame
    catchment_minutes: float | None
    decay: str
    scale: str
    sites_unknown_capacity: tuple[str, ...] = field(default=())
    note: str = ""
    sites_used: int = 0
    left_out: tuple[tuple[str, str], ...] = field(default=())

    @property
    def capacity_known(self) -> bool:
        """Whether any site had a known capacity (else every ratio is unknown)."""
        return self.sites_used > 0


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
        ``site_id``, ``capacity`` (known units: family places, FTE, centres) and
        optionally ``site_name`` (how the note names a site). Sites with unknown (NaN)
        capacity are left out and named in the result.
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
    # The note names sites as people know them (an optional ``site_name``), not by id.
    said = ", ".join(
        supply.loc[supply["capacity"].isna(), "site_name" if "site_name" in supply else "site_id"]
        .astype(str)
        .tolist()
    )
    supply = supply[supply["capacity"].notna()]
    costs = costs[np.isfinite(costs["minutes"].astype(float))]
    table = demand[["lsoa21_code", "demand"]].drop_duplicates("lsoa21_code").copy()
    if supply.empty:
        # No site with a known capacity: the ratio is unknown, not 0.
        for column in ("ratio_2sfca", "ratio_e2sfca"):
            table[column] = np.nan
    elif costs.empty:
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
    if unknown and supply.empty:
        note = (
            f"Capacity is unknown: none of the {len(unknown)} site(s) ({said}) "
            "gives a figure in the register, so no access ratio can be computed. The "
            "ratios are unknown (empty), not 0."
        )
    elif unknown:
        note = (
            f"Capacity unknown for {len(unknown)} site(s) ({said}): they are "
            "left out, so the ratios are lower bounds."
        )
    return FcaResult(
        table=table.reset_index(drop=True),
        catchment_minutes=catchment_minutes,
        decay=decay,
        scale="local catchments" if catchment_minutes is not None else "county",
        sites_unknown_capacity=unknown,
        note=note,
        sites_used=len(supply),
        left_out=tuple((site, "capacity unknown") for site in unknown),
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
        sites_used=result.sites_used,
        left_out=result.left_out,
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
