"""GIS layers of the export pack (GeoPackage, GeoParquet): public points only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mapping import __version__
from mapping.analysis.summary import AreaLevel
from mapping.errors import ServiceMapError
from mapping.inputs.vocabulary import is_confidential
from mapping.inputs.when import TimeSlot
from mapping.outputs.pack import ExportContext, ReportInputs
from mapping.outputs.tables import add_minutes_band, attribution_text, join_sequences
from mapping.safety import safe_frame

if TYPE_CHECKING:
    import geopandas as gpd

    from mapping.analysis.coverage import CoverageModel


def secret_rows(register: pd.DataFrame) -> pd.Series:
    """Confidential rows: flagged, or of a confidential category (refuge, safe house)."""
    return is_confidential(register)


def assert_public(register: pd.DataFrame) -> None:
    """Refuse to export a register in which a confidential record has a location."""
    secret = secret_rows(register).to_numpy()
    located = np.zeros(len(register), dtype=bool)
    for name in ("lat", "lon"):
        if name in register.columns:
            located |= pd.to_numeric(register[name], errors="coerce").notna().to_numpy()
    for name in ("postcode", "address"):
        if name in register.columns:
            located |= register[name].notna().to_numpy()
    if hasattr(register, "geometry"):
        geometry = register.geometry
        located |= (geometry.notna() & ~geometry.is_empty).to_numpy()
    leaked = register.loc[secret & located, "id"].tolist()
    if leaked:
        raise ServiceMapError(
            f"refusing to export: confidential service(s) {', '.join(leaked)} carry a location"
        )


def slot_profile(slot: TimeSlot) -> str:
    from mapping.inputs.hours import parse_when
    from mapping.network.profiles import profile_for

    return profile_for(parse_when(slot.at))


def slot_key(slot: TimeSlot) -> str:
    return re.sub(r"[^a-z0-9]+", "_", slot.name.lower()).strip("_")


def build_layers(
    study: CoverageModel,
    areas: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    lsoas: gpd.GeoDataFrame,
    headline: list[TimeSlot],
    thresholds: tuple[float, ...],
    register: gpd.GeoDataFrame,
) -> dict[str, gpd.GeoDataFrame]:
    """Area polygons with SARC coverage at the headline slots, services, confidential."""
    import geopandas as gpd

    from mapping.study_area import ANALYSIS_CRS

    measures = [
        "mean_minutes",
        "median_minutes",
        "p90_minutes",
        *[f"share_within_{t:g}" for t in thresholds],
        f"population_beyond_{max(thresholds):g}",
        "population_unreached",
        "share_nearest_outside_lancashire",
        "nearest_service",
    ]
    layers: dict[str, gpd.GeoDataFrame] = {}
    levels: tuple[tuple[AreaLevel, str, gpd.GeoDataFrame, str], ...] = (
        ("district", "lad_code", areas, "council_areas"),
        ("ward", "ward_code", wards, "wards"),
        ("lsoa", "lsoa21_code", lsoas, "lsoas"),
    )
    for level, key, base, layer in levels:
        frame = base.copy()
        for i, slot in enumerate(headline):
            table = study.coverage(
                "sarc", slot, level, thresholds=thresholds, total_row=False
            ).set_index("area_code")
            if i == 0:
                frame["population"] = frame[key].map(table["population"])
            prefix = f"sarc_{slot_key(slot)}_"
            for measure in measures:
                frame[prefix + measure] = frame[key].map(table[measure])
            add_minutes_band(frame, prefix + "mean_minutes", prefix + "minutes_band")
        layers[layer] = gpd.GeoDataFrame(frame, geometry="geometry", crs=ANALYSIS_CRS)

    hidden = secret_rows(register)
    public = register[~hidden]
    public = public[public.geometry.notna() & ~public.geometry.is_empty]
    layers["services"] = gpd.GeoDataFrame(public, geometry=public.geometry.name).to_crs(
        ANALYSIS_CRS
    )
    secret = register[secret_rows]
    counts = secret.groupby("district").size()
    kinds = secret.groupby("district")["category"].agg(lambda c: ";".join(sorted(set(c))))
    confidential = areas[["lad_code", "lad_name", "geometry"]].copy()
    confidential["confidential_services"] = (
        confidential["lad_code"].map(counts).fillna(0).astype("int64")
    )
    confidential["categories"] = confidential["lad_code"].map(kinds).fillna("")
    layers["confidential_provision_by_district"] = gpd.GeoDataFrame(
        confidential, geometry="geometry", crs=ANALYSIS_CRS
    )
    return layers


LAYER_FILES: dict[str, tuple[str, str]] = {
    "council_areas": (
        "coverage_district.parquet",
        "Council areas with SARC coverage at the headline slots",
    ),
    "wards": ("coverage_ward.parquet", "Wards with SARC coverage at the headline slots"),
    "lsoas": ("coverage_lsoa.parquet", "LSOAs with SARC coverage at the headline slots"),
    "services": ("services.parquet", "Located non-confidential services (points)"),
    "confidential_provision_by_district": (
        "confidential_provision_by_district.parquet",
        "Council areas with their number of confidential services (no points)",
    ),
    "need_lsoa": (
        "need_lsoa.parquet",
        "LSOAs with IMD 2025 decile, women 16+, police-recorded violence and sexual offences "
        "(a proxy for need) and Community Safety Partnership",
    ),
}


def write_layers(
    folder: Path, extras: ReportInputs, context: ExportContext
) -> list[tuple[str, str, str]]:
    """Write the layers to one GeoPackage and one GeoParquet file each."""
    import pyarrow.parquet as pq

    metadata = {
        "attribution": attribution_text(),
        "generated_at": context.generated_at,
        "software": f"lancashire-service-map {__version__}",
        "network_source": context.network_source,
    }
    gpkg = folder / "coverage.gpkg"
    written = []
    for name, layer in extras.layers.items():
        frame = safe_frame(tabular_geo(layer))
        frame.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio", metadata=metadata)
        filename, description = LAYER_FILES[name]
        path = folder / filename
        frame.to_parquet(path, index=False)
        # Attribution travels in the file's key-value metadata beside GeoParquet's "geo".
        table = pq.read_table(path)
        extra = {f"service_map:{k}".encode(): v.encode() for k, v in metadata.items()}
        pq.write_table(table.replace_schema_metadata({**table.schema.metadata, **extra}), path)
        written.append((filename, "geoparquet", f"{description}; EPSG:27700"))
    layer_list = ", ".join(extras.layers)
    written.insert(0, ("coverage.gpkg", "gpkg", f"GeoPackage, EPSG:27700, layers: {layer_list}"))
    return written


def tabular_geo(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Flatten list cells and nullable integers so every GIS format can hold them."""
    import geopandas as gpd

    frame = layer.copy()
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        series = join_sequences(frame[column])
        frame[column] = (
            series.astype(object) if isinstance(series.dtype, pd.StringDtype) else series
        )
    return gpd.GeoDataFrame(frame, geometry=layer.geometry.name, crs=layer.crs)
