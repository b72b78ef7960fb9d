"""Boundaries, population and population-weighted origins, built from the raw sources.

``build`` turns the raw files into four analysis-ready artefacts under ``data/``, each
written atomically and keyed by the checksums of its inputs (see :mod:`mapping.store`):

``boundaries/lancashire.gpkg``
    Layers ``council_areas`` (14), ``lsoa`` (945, Census 2021) and ``wards`` (253, May
    2025), in EPSG:27700. Each LSOA carries its council area and the ward(s) it overlaps.
``population/lsoa_population.csv``
    Census 2021 usual residents by LSOA and the six published age bands.
``postcodes/study_area_postcodes.parquet``
    Every live Code-Point Open postcode unit in the study area, with grid reference,
    longitude/latitude and the council area it falls in.
``origins/lsoa_origins.parquet``
    Population-weighted origin points (GeoParquet, EPSG:27700): see :func:`build_origins`.

Method for origins
------------------
A polygon centroid can fall in a field, a reservoir or the Ribble estuary, far from
where anybody lives. Instead each LSOA's population is spread over the postcode units
that lie inside it, in equal shares: Code-Point Open places each unit at the mean
position of its delivery addresses, so the units trace the streets people live on.
Code-Point Open carries no address counts, hence equal shares; units at identical
coordinates are merged into one origin carrying their combined share. An LSOA whose
(generalised) polygon contains no unit would take its nearest units, but on the
published data every Lancashire LSOA contains at least one, and the build checks this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from tqdm import tqdm

from mapping.errors import ServiceMapError
from mapping.inputs.sources import CATALOGUE, LANCASHIRE_LAD_CODES, Sources
from mapping.inputs.vocabulary import AGE_BANDS
from mapping.store import (
    BuildBatch,
    artifact_is_fresh,
    artifact_problem,
    build_key,
    default_data_dir,
    read_meta,
    require_intact,
)
from mapping.study_area import ANALYSIS_CRS, STUDY_AREA_LONLAT, study_area_bbox_27700, to_lonlat

__all__ = [
    "AGE_BANDS",
    "EXPECTED",
    "CheckReport",
    "GeographyPaths",
    "build",
    "check",
    "load_council_areas",
    "load_lsoas",
    "load_origins",
    "load_population",
    "load_postcodes",
    "load_wards",
]

#: Bump when a build step changes what it writes, so caches rebuild.
BUILD_VERSION = 1

_CENSUS_LABELS: dict[str, str] = {
    "Aged 15 years and under": "age_0_15",
    "Aged 16 to 24 years": "age_16_24",
    "Aged 25 to 34 years": "age_25_34",
    "Aged 35 to 49 years": "age_35_49",
    "Aged 50 to 64 years": "age_50_64",
    "Aged 65 years and over": "age_65_plus",
}

#: Published facts the built data must reproduce (data README; ONS Census 2021).
EXPECTED: dict[str, int] = {
    "council_areas": 14,
    "lsoa": 945,
    "wards": 253,
    "population": 1_531_079,
}

#: A ward counts as covering part of an LSOA when it holds at least this share of the
#: LSOA's area; smaller overlaps are slivers between generalised boundaries.
WARD_OVERLAP_MIN_SHARE = 0.05


@dataclass(frozen=True)
class GeographyPaths:
    """Where the built geography lives under a data folder."""

    data_dir: Path

    @property
    def boundaries(self) -> Path:
        """GeoPackage of council areas, LSOAs and wards."""
        return self.data_dir / "boundaries" / "lancashire.gpkg"

    @property
    def population(self) -> Path:
        """CSV of population by LSOA and age band."""
        return self.data_dir / "population" / "lsoa_population.csv"

    @property
    def postcodes(self) -> Path:
        """Parquet postcode index of the study area."""
        return self.data_dir / "postcodes" / "study_area_postcodes.parquet"

    @property
    def origins(self) -> Path:
        """GeoParquet of population-weighted origin points."""
        return self.data_dir / "origins" / "lsoa_origins.parquet"


def _paths(data_dir: Path | None) -> GeographyPaths:
    return GeographyPaths(Path(data_dir) if data_dir is not None else default_data_dir())


def _published_form(postcodes: pd.Series) -> pd.Series:
    """Code-Point pads short postcodes to 7 characters (``"M1  1AE"``): use one space."""
    compact = postcodes.str.replace(r"\s+", "", regex=True).str.upper()
    return compact.str[:-3] + " " + compact.str[-3:]


# ---- build steps ------------------------------------------------------------------


def _build_boundaries(sources: Sources, dest: Path) -> dict[str, Any]:
    lads = sources.read_lad().to_crs(ANALYSIS_CRS)
    names = dict(zip(lads["lad_code"], lads["lad_name"], strict=True))
    lsoas = sources.read_lsoa().to_crs(ANALYSIS_CRS)
    wards = sources.read_wards().to_crs(ANALYSIS_CRS)
    lsoas["lad_name"] = lsoas["lad_code"].map(names)
    wards["lad_name"] = wards["lad_code"].map(names)

    # Tag each LSOA with the wards it overlaps, largest share first.
    pieces = gpd.overlay(
        lsoas[["lsoa21_code", "geometry"]],
        wards[["ward_code", "ward_name", "geometry"]],
        how="intersection",
        keep_geom_type=True,
    )
    pieces["overlap_m2"] = pieces.geometry.area
    pieces["share"] = pieces["overlap_m2"] / pieces["lsoa21_code"].map(
        lsoas.set_index("lsoa21_code").geometry.area
    )
    pieces = pieces.sort_values(["lsoa21_code", "share"], ascending=[True, False])
    main = pieces.groupby("lsoa21_code").head(1).set_index("lsoa21_code")
    kept = pieces[(pieces["share"] >= WARD_OVERLAP_MIN_SHARE)]
    kept = pd.concat([kept, main.reset_index()]).drop_duplicates(["lsoa21_code", "ward_code"])
    kept = kept.sort_values(["lsoa21_code", "share"], ascending=[True, False])
    lists = kept.groupby("lsoa21_code").agg(
        ward_codes=("ward_code", ";".join), ward_names=("ward_name", ";".join)
    )
    lsoas = lsoas.join(lists, on="lsoa21_code")
    lsoas["main_ward_code"] = lsoas["lsoa21_code"].map(main["ward_code"])
    lsoas["main_ward_name"] = lsoas["lsoa21_code"].map(main["ward_name"])
    lsoas["area_km2"] = lsoas.geometry.area / 1e6
    lsoas = lsoas[
        [
            "lsoa21_code",
            "lsoa21_name",
            "lad_code",
            "lad_name",
            "main_ward_code",
            "main_ward_name",
            "ward_codes",
            "ward_names",
            "area_km2",
            "geometry",
        ]
    ].sort_values("lsoa21_code")
    if lsoas["main_ward_code"].isna().any():
        missing = lsoas.loc[lsoas["main_ward_code"].isna(), "lsoa21_code"].tolist()
        raise ServiceMapError(f"LSOAs overlapping no ward: {missing[:5]}")

    lads = lads.sort_values("lad_code")
    wards = wards.sort_values(["lad_code", "ward_code"])
    for layer, frame in (("council_areas", lads), ("lsoa", lsoas), ("wards", wards)):
        frame.to_file(dest, layer=layer, driver="GPKG", engine="pyogrio")
    return {"counts": {"council_areas": len(lads), "lsoa": len(lsoas), "wards": len(wards)}}


def _build_population(sources: Sources, lsoas: gpd.GeoDataFrame, dest: Path) -> dict[str, Any]:
    census = sources.read_census()
    unknown = set(census["age_group"].dropna().unique()) - set(_CENSUS_LABELS)
    if unknown:
        raise ServiceMapError(
            f"{sources.path('census')}: unexpected age_group value(s) {sorted(unknown)}"
        )
    census = census[census["lsoa21_code"].isin(lsoas["lsoa21_code"])]
    wide = census.pivot_table(
        index="lsoa21_code", columns="age_group", values="usual_residents", aggfunc="sum"
    ).rename(columns=_CENSUS_LABELS)
    wide = wide.reindex(columns=list(AGE_BANDS)).fillna(0).round().astype("int64")
    missing = sorted(set(lsoas["lsoa21_code"]) - set(wide.index))
    if missing:
        raise ServiceMapError(
            f"{sources.path('census')}: no population for {len(missing)} LSOA(s), "
            f"e.g. {missing[:3]}"
        )
    wide["total"] = wide[list(AGE_BANDS)].sum(axis=1)
    table = lsoas[["lsoa21_code", "lsoa21_name", "lad_code", "lad_name"]].join(
        wide, on="lsoa21_code"
    )
    table.to_csv(dest, index=False, lineterminator="\n")
    return {"rows": len(table), "population": int(table["total"].sum())}


def _build_postcodes(sources: Sources, dest: Path) -> dict[str, Any]:
    units = sources.read_codepoint(bbox_27700=study_area_bbox_27700())
    lon, lat = to_lonlat(units["easting"].to_numpy(float), units["northing"].to_numpy(float))
    units["lon"] = np.round(lon, 6)
    units["lat"] = np.round(lat, 6)
    min_lon, min_lat, max_lon, max_lat = STUDY_AREA_LONLAT
    units = units[units["lon"].between(min_lon, max_lon) & units["lat"].between(min_lat, max_lat)]
    units = units.assign(
        postcode=_published_form(units["postcode"]),
        in_lancashire=units["district_code"].isin(LANCASHIRE_LAD_CODES),
    ).sort_values("postcode")
    units.reset_index(drop=True).to_parquet(dest, index=False)
    return {"rows": len(units), "lancashire_rows": int(units["in_lancashire"].sum())}


def _nearest_units(
    lsoas: gpd.GeoDataFrame, codes: list[str], points: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """The postcode unit nearest each LSOA in ``codes``, labelled with that LSOA.

    Generalised boundaries can miss a tiny LSOA's units; its origin is then the unit
    nearest a point inside it (one spatial-index query for all of them; of equally near
    units, the first in ``points``).
    """
    wanted = lsoas.set_index("lsoa21_code").loc[codes]
    anchors = wanted.geometry.representative_point().to_numpy()
    which, unit = points.sindex.nearest(anchors, return_all=True)
    first = pd.Series(unit).groupby(which).min()
    nearest = points.iloc[first.reindex(range(len(codes))).to_numpy()].copy()
    nearest["lsoa21_code"] = codes
    return nearest


def _build_origins(
    lsoas: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    population: pd.DataFrame,
    postcodes: pd.DataFrame,
    dest: Path,
) -> dict[str, Any]:
    points = gpd.GeoDataFrame(
        postcodes[["postcode", "easting", "northing"]],
        geometry=gpd.points_from_xy(postcodes["easting"], postcodes["northing"]),
        crs=ANALYSIS_CRS,
    )
    joined = gpd.sjoin(
        points, lsoas[["lsoa21_code", "geometry"]], how="inner", predicate="within"
    ).drop(columns="index_right")
    empty = sorted(set(lsoas["lsoa21_code"]) - set(joined["lsoa21_code"]))
    if empty:
        joined = pd.concat([joined, _nearest_units(lsoas, empty, points)], ignore_index=True)

    # Merge units at identical coordinates; each unit is one equal share of its LSOA.
    origins = (
        joined.groupby(["lsoa21_code", "easting", "northing"], as_index=False)
        .agg(n_postcodes=("postcode", "size"), example_postcode=("postcode", "first"))
        .sort_values(["lsoa21_code", "easting", "northing"])
        .reset_index(drop=True)
    )
    units_per_lsoa = origins.groupby("lsoa21_code")["n_postcodes"].transform("sum")
    share = origins["n_postcodes"] / units_per_lsoa
    pop = population.set_index("lsoa21_code")
    origins["lad_code"] = origins["lsoa21_code"].map(pop["lad_code"])
    origins["population"] = share * origins["lsoa21_code"].map(pop["total"])
    for band in AGE_BANDS:
        origins[band] = share * origins["lsoa21_code"].map(pop[band])
    origins.insert(0, "origin_id", np.arange(len(origins), dtype="int64"))
    lon, lat = to_lonlat(origins["easting"].to_numpy(float), origins["northing"].to_numpy(float))
    origins["lon"], origins["lat"] = np.round(lon, 6), np.round(lat, 6)
    frame = gpd.GeoDataFrame(
        origins,
        geometry=gpd.points_from_xy(origins["easting"], origins["northing"]),
        crs=ANALYSIS_CRS,
    )
    # The ward an origin lies in (points on a shared edge take the first ward).
    in_ward = gpd.sjoin(
        frame[["origin_id", "geometry"]],
        wards[["ward_code", "geometry"]],
        how="left",
        predicate="intersects",
    ).drop_duplicates("origin_id")
    frame["ward_code"] = (
        in_ward.set_index("origin_id")["ward_code"].reindex(frame["origin_id"]).to_numpy()
    )
    unmatched = frame["ward_code"].isna()
    if unmatched.any():
        nearest = gpd.sjoin_nearest(
            frame.loc[unmatched, ["origin_id", "geometry"]], wards[["ward_code", "geometry"]]
        ).drop_duplicates("origin_id")
        frame.loc[unmatched, "ward_code"] = (
            nearest.set_index("origin_id")["ward_code"]
            .reindex(frame.loc[unmatched, "origin_id"])
            .to_numpy()
        )
    frame.to_parquet(dest, index=False)
    return {
        "rows": len(frame),
        "population": float(frame["population"].sum()),
        "lsoas_by_nearest_unit": empty,
    }


def build(
    sources: Sources,
    data_dir: Path | None = None,
    *,
    force: bool = False,
    progress: bool = False,
) -> dict[str, bool]:
    """Build every geography artefact that is missing or stale.

    Parameters
    ----------
    sources
        The located raw files (see :func:`mapping.inputs.sources.locate_sources`).
    data_dir
        Folder for generated data (default :func:`mapping.store.default_data_dir`).
    force
        Rebuild everything even when up to date.
    progress
        Show a progress bar on standard error.

    Returns
    -------
    dict
        ``{artefact name: True if (re)built, False if the cached copy was kept}``.
    """
    paths = _paths(data_dir)
    boundary_keys = ["lad"] + [k for k in CATALOGUE if k.startswith(("lsoa21/", "ward25/"))]
    keys: dict[str, dict[str, Any]] = {}
    keys["boundaries"] = {
        "version": BUILD_VERSION,
        "sources": sources.checksums(boundary_keys),
        "ward_overlap_min_share": WARD_OVERLAP_MIN_SHARE,
    }
    keys["population"] = {
        "version": BUILD_VERSION,
        "sources": sources.checksums(["census"]),
        "boundaries": build_key(keys["boundaries"]),
    }
    keys["postcodes"] = {
        "version": BUILD_VERSION,
        "sources": sources.checksums(["codepoint"]),
        "study_area": STUDY_AREA_LONLAT,
    }
    keys["origins"] = {
        "version": BUILD_VERSION,
        "population": build_key(keys["population"]),
        "postcodes": build_key(keys["postcodes"]),
    }

    # Everything is built to temporaries and swapped in only when every step succeeded:
    # a failed build leaves each earlier file and build record as it was. Later steps
    # read what earlier ones staged.
    batch = BuildBatch()
    at = batch.current
    steps: list[tuple[str, Path, Callable[[Path], dict[str, Any]]]] = [
        ("boundaries", paths.boundaries, lambda tmp: _build_boundaries(sources, tmp)),
        (
            "population",
            paths.population,
            lambda tmp: _build_population(sources, _read_layer(at(paths.boundaries), "lsoa"), tmp),
        ),
        ("postcodes", paths.postcodes, lambda tmp: _build_postcodes(sources, tmp)),
        (
            "origins",
            paths.origins,
            lambda tmp: _build_origins(
                _read_layer(at(paths.boundaries), "lsoa"),
                _read_layer(at(paths.boundaries), "wards"),
                _read_population(at(paths.population)),
                _read_postcodes(at(paths.postcodes), lancashire_only=True),
                tmp,
            ),
        ),
    ]
    report: dict[str, bool] = {}
    # A bar only when there is something to build: a fresh cache stays quiet.
    pending = force or any(
        not artifact_is_fresh(dest, build_key(keys[name])) for name, dest, _ in steps
    )
    bar = tqdm(steps, desc="Building data", unit="step", disable=not (progress and pending))
    with batch:
        for name, dest, step in bar:
            bar.set_postfix_str(name)
            report[name] = batch.stage(dest, keys[name], step, force=force)
    return report


# ---- loaders ----------------------------------------------------------------------


_REBUILD = "Run `service-map data build` to rebuild it (`--force` if it persists)."


def _require(path: Path) -> Path:
    """The built file, checked against its build record (size; checksum once per process)."""
    if not path.is_file():
        raise ServiceMapError(
            f"{path}: not built yet. Run `service-map data build` (it reads the raw "
            "sources from --sources, $SERVICE_MAP_SOURCES or ../shared/data)."
        )
    return require_intact(path, _REBUILD)


def _read_layer(path: Path, layer: str) -> gpd.GeoDataFrame:
    return gpd.read_file(path, layer=layer)


def _read_population(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"lsoa21_code": "string"})


def _read_postcodes(path: Path, *, lancashire_only: bool = False) -> pd.DataFrame:
    table = pd.read_parquet(path)
    return table[table["in_lancashire"]].reset_index(drop=True) if lancashire_only else table


def load_council_areas(data_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Return the 14 council areas (``lad_code``, ``lad_name``) in EPSG:27700."""
    return _read_layer(_require(_paths(data_dir).boundaries), "council_areas")


def load_lsoas(data_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Return the 945 LSOAs with council area and ward(s), in EPSG:27700."""
    return _read_layer(_require(_paths(data_dir).boundaries), "lsoa")


def load_wards(data_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Return the 253 wards (``ward_code``, ``ward_name``, ``lad_code``) in EPSG:27700."""
    return _read_layer(_require(_paths(data_dir).boundaries), "wards")


def load_population(data_dir: Path | None = None) -> pd.DataFrame:
    """Return Census 2021 population by LSOA: one column per age band and ``total``."""
    return _read_population(_require(_paths(data_dir).population))


def load_postcodes(data_dir: Path | None = None, *, lancashire_only: bool = False) -> pd.DataFrame:
    """Return the study-area postcode index (``postcode``, ``easting``, ``northing``, ...)."""
    return _read_postcodes(_require(_paths(data_dir).postcodes), lancashire_only=lancashire_only)


def load_origins(data_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Return the population-weighted origin points (EPSG:27700).

    Columns: ``origin_id``, ``lsoa21_code``, ``lad_code``, ``ward_code``, ``easting``,
    ``northing``, ``lon``, ``lat``, ``n_postcodes``, ``example_postcode``, ``population``
    and one column per age band of :data:`AGE_BANDS`.
    """
    return gpd.read_parquet(_require(_paths(data_dir).origins))


# ---- check ------------------------------------------------------------------------


@dataclass
class CheckReport:
    """What ``data check`` found: lines to print and problems (empty when all is well)."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def expect(self, ok: bool, message: str, where: Path) -> None:
        """Record ``message`` as a passed line or as a problem naming ``where``."""
        if ok:
            self.lines.append(f"ok: {message}")
        else:
            self.problems.append(f"{where}: {message}")


def check(data_dir: Path | None = None) -> CheckReport:
    """Verify the built geography: counts, population total, CRS, origins, freshness.

    Never raises for missing or damaged artefacts: each becomes a problem line.
    """
    paths = _paths(data_dir)
    report = CheckReport()
    damaged = False
    for path in (paths.boundaries, paths.population, paths.postcodes, paths.origins):
        problem = artifact_problem(path, full=True) if path.is_file() else None
        if problem is not None:
            report.problems.append(f"{path}: {problem}. {_REBUILD}")
            damaged = True
    if damaged:
        return report
    try:
        layers = {
            "council_areas": load_council_areas(data_dir),
            "lsoa": load_lsoas(data_dir),
            "wards": load_wards(data_dir),
        }
        population = load_population(data_dir)
        postcodes = load_postcodes(data_dir)
        origins = load_origins(data_dir)
    except ServiceMapError as exc:
        report.problems.append(str(exc))
        return report
    except Exception as exc:  # a damaged file: report it, never a traceback
        report.problems.append(f"{paths.data_dir}: built data unreadable ({exc})")
        return report

    for name, frame in layers.items():
        report.expect(
            len(frame) == EXPECTED[name],
            f"{name}: {len(frame)} features (expected {EXPECTED[name]})",
            paths.boundaries,
        )
        report.expect(
            frame.crs is not None and frame.crs.to_epsg() == 27700,
            f"{name}: CRS {frame.crs.to_string() if frame.crs else None} (expected EPSG:27700)",
            paths.boundaries,
        )
    lsoas = layers["lsoa"]
    report.expect(
        lsoas["lad_code"].isin(LANCASHIRE_LAD_CODES).all()
        and lsoas["main_ward_code"].notna().all(),
        "lsoa: every LSOA tagged with a council area and a ward",
        paths.boundaries,
    )
    total = int(population["total"].sum())
    report.expect(
        len(population) == EXPECTED["lsoa"] and total == EXPECTED["population"],
        f"population: {len(population)} LSOAs, {total:,} usual residents "
        f"(Census 2021: {EXPECTED['population']:,})",
        paths.population,
    )
    report.expect(
        len(postcodes) > 0 and postcodes["in_lancashire"].any(),
        f"postcodes: {len(postcodes):,} units in the study area, "
        f"{int(postcodes['in_lancashire'].sum()):,} in Lancashire",
        paths.postcodes,
    )
    per_lsoa = origins.groupby("lsoa21_code")["population"].sum()
    pop_total = population.set_index("lsoa21_code")["total"]
    aligned = per_lsoa.reindex(pop_total.index)
    report.expect(
        aligned.notna().all() and np.allclose(aligned.to_numpy(), pop_total.to_numpy(), atol=1e-6),
        f"origins: {len(origins):,} points, every LSOA has at least one and they carry its "
        f"population ({origins['population'].sum():,.0f} in all)",
        paths.origins,
    )
    report.expect(
        origins.crs is not None and origins.crs.to_epsg() == 27700,
        "origins: CRS EPSG:27700",
        paths.origins,
    )
    for name, path in (
        ("boundaries", paths.boundaries),
        ("population", paths.population),
        ("postcodes", paths.postcodes),
        ("origins", paths.origins),
    ):
        report.expect(
            read_meta(path) is not None,
            f"{name}: build record present, size and checksum match it",
            path,
        )
    return report
