"""The need layer: deprivation, women 16+, recorded violence, cars and rurality per LSOA.

``build`` writes ``need/lsoa_need.csv`` under the data folder, atomically and keyed by
the checksums of its raw inputs and of the built Census population (see
:mod:`mapping.store`). One row per Lancashire LSOA 2021 (945):

``imd_score``, ``imd_rank``, ``imd_decile``
    English Indices of Deprivation 2025, Index of Multiple Deprivation (MHCLG, File 7).
    Rank 1 and decile 1 are the most deprived in England.
``crime_score``, ``crime_rank``, ``crime_decile``
    The IoD 2025 crime domain.
``residents``
    Census 2021 usual residents (the default weight everywhere).
``population_mid2024``, ``women_all_ages``, ``women_16_plus``
    ONS mid-2024 population estimates: all people, all women, and women aged 16 and
    over (the sum of the ``F16-29`` to ``F65+`` bands). A different year from
    ``residents``.
``recorded_violence_sexual``
    Police-recorded "Violence and sexual offences" in the LSOA over the months of
    :data:`mapping.inputs.sources.POLICE_MONTHS` (data.police.uk, street-level crime).
``recorded_violence_sexual_annualised``
    The same count times 12 / months available. Inferred: it assumes the missing
    months look like the available ones, which ignores seasonality.
``csp_code``, ``csp_name``, ``pfa_code``, ``pfa_name``
    The council area's Community Safety Partnership and police force area (ONS 2024).
``households``, ``no_car_households``
    Census 2021 TS045: households, and households with no car or van.
``ruc21_code``, ``ruc21_name``, ``rural_urban``
    The ONS 2021 Rural Urban Classification of the LSOA (``rural_urban``: Urban/Rural).

:func:`load_need` adds ``crime_deprived_residents`` (not stored): residents of LSOAs in
the most crime-deprived fifth of England on the IoD 2025 crime domain, a need weight by
where victims live (see :func:`crime_deprived_residents`).

The recorded-crime columns are a **proxy** for need, never a measure of it: see
:data:`RECORDED_VIOLENCE_CAVEAT`, which every table and page using them should carry.

This module will move to ``mapping/geography/need.py`` with the geography package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from mapping import geography
from mapping.errors import ServiceMapError
from mapping.inputs.sources import LANCASHIRE_LAD_CODES, POLICE_MONTHS, Sources
from mapping.inputs.vocabulary import (
    CRIME_DEPRIVED_DECILES,
    RECORDED_VIOLENCE_CAVEAT,
    WEIGHTS,
    weight_column,
)
from mapping.store import build_artifact, default_data_dir, read_meta

__all__ = [
    "COLUMNS",
    "CRIME_DEPRIVED",
    "EXPECTED_NO_CAR_HOUSEHOLDS",
    "EXPECTED_WOMEN_16_PLUS",
    "NEED_SOURCES",
    "RECORDED_VIOLENCE_CAVEAT",
    "VIOLENCE_CRIME_TYPE",
    "WEIGHTS",
    "NeedError",
    "NeedPaths",
    "build",
    "crime_deprived_residents",
    "lancashire_check",
    "load_need",
    "origin_values",
    "spread_weight",
]

#: Bump when the build changes what it writes, so caches rebuild.
BUILD_VERSION = 3

#: The police.uk crime type counted (its own spelling).
VIOLENCE_CRIME_TYPE = "Violence and sexual offences"


#: Women aged 16+ in Lancashire's 945 LSOAs, mid-2024 (sources README).
EXPECTED_WOMEN_16_PLUS = 666_438

#: Households with no car or van in Lancashire's 945 LSOAs, Census 2021 TS045 (sources
#: README: 144,676 of 648,761 households, 22.3%).
EXPECTED_NO_CAR_HOUSEHOLDS = 144_676

#: The raw sources the layer reads (keys of :data:`mapping.inputs.sources.CATALOGUE`).
NEED_SOURCES: tuple[str, ...] = (
    "iod2025",
    "population_mid2024",
    *(f"police/{month}" for month in POLICE_MONTHS),
    "csp_lookup",
    "cars_ts045",
    "ruc21",
)

#: Columns of ``need/lsoa_need.csv``, in order.
COLUMNS: tuple[str, ...] = (
    "lsoa21_code",
    "lsoa21_name",
    "lad_code",
    "lad_name",
    "csp_code",
    "csp_name",
    "pfa_code",
    "pfa_name",
    "imd_score",
    "imd_rank",
    "imd_decile",
    "crime_score",
    "crime_rank",
    "crime_decile",
    "residents",
    "population_mid2024",
    "women_all_ages",
    "women_16_plus",
    "recorded_violence_sexual",
    "recorded_violence_sexual_annualised",
    "households",
    "no_car_households",
    "ruc21_code",
    "ruc21_name",
    "rural_urban",
)
_INTEGER_COLUMNS = (
    "imd_rank",
    "imd_decile",
    "crime_rank",
    "crime_decile",
    "residents",
    "population_mid2024",
    "women_all_ages",
    "women_16_plus",
    "recorded_violence_sexual",
    "households",
    "no_car_households",
)
#: The derived weight column :func:`load_need` adds.
CRIME_DEPRIVED = "crime_deprived_residents"
_FLOAT_COLUMNS = ("imd_score", "crime_score", "recorded_violence_sexual_annualised")
_WOMEN_16_PLUS_BANDS = ("F16-29", "F30-44", "F45-64", "F65+")


class NeedError(ServiceMapError):
    """The need layer is missing, stale or unreadable; the message names the file."""


@dataclass(frozen=True)
class NeedPaths:
    """Where the need layer lives under a data folder."""

    data_dir: Path

    @property
    def need(self) -> Path:
        """CSV of need per LSOA."""
        return self.data_dir / "need" / "lsoa_need.csv"


def _paths(data_dir: Path | None) -> NeedPaths:
    return NeedPaths(Path(data_dir) if data_dir is not None else default_data_dir())


# ---- build ------------------------------------------------------------------------


def _need_table(sources: Sources, population: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Assemble the need table for the LSOAs of ``population`` (the built Census table)."""
    codes = population["lsoa21_code"].astype(str)
    base = population[["lsoa21_code", "lsoa21_name", "lad_code", "lad_name", "total"]].rename(
        columns={"total": "residents"}
    )
    base = base.assign(lsoa21_code=codes.to_numpy()).set_index("lsoa21_code")

    iod = sources.read_iod2025().set_index("lsoa21_code")
    missing = sorted(set(base.index) - set(iod.index))
    if missing:
        raise NeedError(
            f"{sources.path('iod2025')}: no IoD 2025 row for {len(missing)} Lancashire "
            f"LSOA(s), e.g. {missing[:3]}"
        )
    for domain in ("IMD", "Crime"):
        for measure in ("score", "rank", "decile"):
            base[f"{domain.lower()}_{measure}"] = iod.loc[base.index, f"{domain}_{measure}"]

    mid = sources.read_population_mid2024().set_index("lsoa21_code")
    missing = sorted(set(base.index) - set(mid.index))
    if missing:
        raise NeedError(
            f"{sources.path('population_mid2024')}: no mid-2024 row for {len(missing)} "
            f"Lancashire LSOA(s), e.g. {missing[:3]}"
        )
    base["population_mid2024"] = mid.loc[base.index, "total"]
    base["women_all_ages"] = mid.loc[base.index, ["F0-15", *_WOMEN_16_PLUS_BANDS]].sum(axis=1)
    base["women_16_plus"] = mid.loc[base.index, list(_WOMEN_16_PLUS_BANDS)].sum(axis=1)

    crimes = sources.read_police_street()
    violent = crimes[crimes["crime_type"] == VIOLENCE_CRIME_TYPE]
    counts = violent["lsoa21_code"].value_counts()
    base["recorded_violence_sexual"] = counts.reindex(base.index).fillna(0).astype("int64")
    months = crimes["month"].nunique()
    base["recorded_violence_sexual_annualised"] = base["recorded_violence_sexual"] * 12 / months

    lookup = sources.read_csp_lookup()
    # A few council areas elsewhere (new unitaries) span several CSPs; ours must not.
    lookup = lookup[lookup["lad_code"].isin(base["lad_code"])]
    split = sorted(lookup.loc[lookup["lad_code"].duplicated(), "lad_code"])
    missing = sorted(set(base["lad_code"]) - set(lookup["lad_code"]))
    if missing or split:
        problem = f"no row for {missing}" if missing else f"several CSPs for {split}"
        raise NeedError(f"{sources.path('csp_lookup')}: {problem} (council area codes)")
    lookup = lookup.set_index("lad_code")
    for column in ("csp_code", "csp_name", "pfa_code", "pfa_name"):
        base[column] = base["lad_code"].map(lookup[column])

    _add_households(sources, base)

    table = base.reset_index()[list(COLUMNS)].sort_values("lsoa21_code")
    facts = {
        "rows": len(table),
        "residents": int(table["residents"].sum()),
        "women_16_plus": int(table["women_16_plus"].sum()),
        "recorded_violence_sexual": int(table["recorded_violence_sexual"].sum()),
        "households": int(table["households"].sum()),
        "no_car_households": int(table["no_car_households"].sum()),
        "police_months": sorted(crimes["month"].dropna().unique().tolist()),
        # Recorded by Lancashire Constabulary but placed outside the 945 LSOAs, or with
        # no location at all: not in any LSOA's count.
        "violence_outside_lancashire_lsoas": int(
            (violent["lsoa21_code"].notna() & ~violent["lsoa21_code"].isin(base.index)).sum()
        ),
        "violence_without_location": int(violent["lsoa21_code"].isna().sum()),
        "caveat": RECORDED_VIOLENCE_CAVEAT,
    }
    return table, facts


def _add_households(sources: Sources, base: pd.DataFrame) -> None:
    """Add TS045 households with no car and the 2021 rural/urban class (by LSOA index)."""
    from mapping.inputs.households import read_car_availability, read_rural_urban

    for key, table in (
        ("cars_ts045", read_car_availability(sources)),
        ("ruc21", read_rural_urban(sources)),
    ):
        table = table.set_index("lsoa21_code")
        missing = sorted(set(base.index) - set(table.index))
        if missing:
            raise NeedError(
                f"{sources.path(key)}: no row for {len(missing)} Lancashire LSOA(s), "
                f"e.g. {missing[:3]}"
            )
        for column in table.columns:
            base[column] = table.loc[base.index, column]


def build(
    sources: Sources,
    data_dir: Path | None = None,
    *,
    force: bool = False,
) -> dict[str, bool]:
    """Build the need layer when it is missing or stale.

    Run after :func:`mapping.geography.build`: the layer takes its LSOAs, council areas
    and Census residents from the built population table.

    Parameters
    ----------
    sources
        The located raw files.
    data_dir
        Folder for generated data (default :func:`mapping.store.default_data_dir`).
    force
        Rebuild even when up to date.

    Returns
    -------
    dict
        ``{"need": True if (re)built, False if the cached copy was kept}``.

    Raises
    ------
    mapping.inputs.sources.SourceError
        If a need source is missing, corrupt or not in the published layout.
    NeedError
        If the sources do not cover every Lancashire LSOA or council area.
    """
    paths = _paths(data_dir)
    geo = geography.GeographyPaths(paths.data_dir)
    population_meta = read_meta(geo.population)
    if population_meta is None:
        raise NeedError(f"{geo.population}: not built yet; run `service-map data build` first")
    inputs = {
        "version": BUILD_VERSION,
        "sources": sources.checksums(NEED_SOURCES),
        "population": population_meta.get("key"),
        "crime_type": VIOLENCE_CRIME_TYPE,
    }

    def write(tmp: Path) -> dict[str, Any]:
        table, facts = _need_table(sources, geography.load_population(paths.data_dir))
        table.to_csv(tmp, index=False, lineterminator="\n", float_format="%.6g")
        return facts

    return {"need": build_artifact(paths.need, inputs, write, force=force)}


# ---- load -------------------------------------------------------------------------


def load_need(data_dir: Path | None = None, *, geometry: bool = True) -> gpd.GeoDataFrame:
    """Return the need layer, one row per LSOA, joined to the LSOA polygons.

    Parameters
    ----------
    data_dir
        Folder of generated data (default :func:`mapping.store.default_data_dir`).
    geometry
        Join the LSOA polygons (EPSG:27700) from the built boundaries; ``False`` returns
        the table without geometry (a GeoDataFrame with no geometry column).

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :data:`COLUMNS` (counts and ranks as integers) and ``geometry``.

    Raises
    ------
    NeedError
        If ``need/lsoa_need.csv`` is missing, unreadable or damaged; the message names
        the file and how to rebuild it. Nothing else in the tool needs this file.
    """
    path = _paths(data_dir).need
    rebuild = "Run `service-map data build` to rebuild it."
    if not path.is_file():
        raise NeedError(
            f"{path}: need layer not built yet. Run `service-map data build` (it reads "
            "iod-2025/, ons-population/, police-uk/ and ons-lookups/ from the sources)."
        )
    try:
        table = pd.read_csv(path, dtype={"lsoa21_code": "string", "lad_code": "string"})
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise NeedError(f"{path}: unreadable need layer ({exc}). {rebuild}") from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise NeedError(f"{path}: damaged need layer, missing column(s) {missing}. {rebuild}")
    for column in (*_INTEGER_COLUMNS, *_FLOAT_COLUMNS):
        numbers = pd.to_numeric(table[column], errors="coerce")
        if numbers.isna().any():
            row = int(numbers.isna().to_numpy().nonzero()[0][0])
            raise NeedError(
                f"{path}:{row + 2}:{column}: {table[column].iloc[row]!r} is not a number "
                f"(damaged need layer). {rebuild}"
            )
        table[column] = numbers.astype("int64") if column in _INTEGER_COLUMNS else numbers
    if table["lsoa21_code"].duplicated().any():
        raise NeedError(f"{path}: damaged need layer, repeated LSOA codes. {rebuild}")
    table[CRIME_DEPRIVED] = crime_deprived_residents(table)
    if not geometry:
        return gpd.GeoDataFrame(table)
    lsoas = geography.load_lsoas(data_dir)[["lsoa21_code", "geometry"]]
    joined = lsoas.merge(table, on="lsoa21_code", how="right")
    if joined.geometry.isna().any():
        code = joined.loc[joined.geometry.isna(), "lsoa21_code"].iloc[0]
        raise NeedError(f"{path}: LSOA {code} is not in the built boundaries. {rebuild}")
    return gpd.GeoDataFrame(
        joined[[*COLUMNS, CRIME_DEPRIVED, "geometry"]], geometry="geometry", crs=lsoas.crs
    )


def crime_deprived_residents(table: pd.DataFrame) -> pd.Series:
    """Residents of LSOAs in the IoD 2025 crime-domain deciles of ``CRIME_DEPRIVED_DECILES``.

    The crime domain measures the risk of personal and material victimisation where
    people live (recorded crime rates by victims' area, MHCLG), unlike police.uk's
    counts of where offences were recorded. Residents elsewhere count 0.

    Examples
    --------
    >>> crime_deprived_residents(pd.DataFrame({"residents": [100, 50], "crime_decile": [2, 3]}))
    0    100
    1      0
    Name: crime_deprived_residents, dtype: int64
    """
    high = table["crime_decile"].isin(CRIME_DEPRIVED_DECILES)
    return table["residents"].where(high, 0).astype("int64").rename(CRIME_DEPRIVED)


# ---- weights over origins -----------------------------------------------------------


def spread_weight(origins: pd.DataFrame, need: pd.DataFrame, weight: str) -> pd.Series:
    """Spread an LSOA weight over the LSOA's origin points as residents are spread.

    :func:`mapping.geography.build` gives each origin point an equal share of its LSOA
    per postcode unit it stands for (``n_postcodes``); the same shares carry any other
    LSOA weight, so an LSOA's origins always add up to its weight.

    Parameters
    ----------
    origins
        Origin points with ``lsoa21_code``, ``n_postcodes`` and ``population``
        (:func:`mapping.geography.load_origins`).
    need
        The need layer (:func:`load_need`), or any table with ``lsoa21_code`` and the
        weight column.
    weight
        One of :data:`WEIGHTS`. ``residents`` returns the origins' own ``population``;
        ``recorded_violence_sexual`` reads ``recorded_violence_sexual_annualised`` (the
        four-month count ×3 to a year, :data:`mapping.inputs.vocabulary.WEIGHT_COLUMNS`).

    Returns
    -------
    pandas.Series
        The weight per origin, aligned with ``origins`` and named ``weight``.

    Raises
    ------
    ServiceMapError
        For an unknown weight, or an origin whose LSOA the need table lacks.
    """
    if weight not in WEIGHTS:
        raise ServiceMapError(f"unknown weight {weight!r}; choose one of {', '.join(WEIGHTS)}")
    if weight == "residents":
        return origins["population"].astype(float).rename(weight)
    values = need.set_index(need["lsoa21_code"].astype(str))[weight_column(weight)].astype(float)
    codes = origins["lsoa21_code"].astype(str)
    lsoa_value = codes.map(values)
    if lsoa_value.isna().any():
        code = codes[lsoa_value.isna()].iloc[0]
        raise ServiceMapError(f"the need layer has no {weight} for LSOA {code}")
    units = origins["n_postcodes"].astype(float)
    share = units / units.groupby(codes).transform("sum")
    return (share * lsoa_value).rename(weight)


def origin_values(origins: pd.DataFrame, need: pd.DataFrame, column: str) -> pd.Series:
    """An LSOA attribute (``imd_decile``, ``csp_code``, ...) repeated on its origin points."""
    values = need.set_index(need["lsoa21_code"].astype(str))[column]
    return origins["lsoa21_code"].astype(str).map(values).rename(column)


def lancashire_check(table: pd.DataFrame) -> list[str]:
    """Problems with a built need table against the published totals (empty when sound)."""
    problems = []
    if len(table) != geography.EXPECTED["lsoa"]:
        problems.append(f"{len(table)} LSOAs (expected {geography.EXPECTED['lsoa']})")
    if int(table["residents"].sum()) != geography.EXPECTED["population"]:
        problems.append(f"residents {int(table['residents'].sum()):,}")
    if int(table["women_16_plus"].sum()) != EXPECTED_WOMEN_16_PLUS:
        problems.append(f"women 16+ {int(table['women_16_plus'].sum()):,}")
    if int(table["no_car_households"].sum()) != EXPECTED_NO_CAR_HOUSEHOLDS:
        problems.append(f"households with no car {int(table['no_car_households'].sum()):,}")
    if not table["lad_code"].isin(LANCASHIRE_LAD_CODES).all():
        problems.append("LSOAs outside the 14 council areas")
    if set(table["csp_code"].dropna()) and table["csp_code"].isna().any():
        problems.append("LSOAs without a Community Safety Partnership")
    return problems
