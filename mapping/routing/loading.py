"""Build the study's travel engine: default network, Lancashire origins, the register."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from mapping.network.graph import RoadNetwork
from mapping.routing.engine import TravelEngine

__all__ = ["build_engine"]


def build_engine(
    network: str | RoadNetwork = "offline",
    *,
    data_dir: Path | None = None,
    sources: Any = None,
    register: Path | pd.DataFrame | None = None,
    origins: gpd.GeoDataFrame | None = None,
    build_if_missing: bool = True,
    **kwargs: Any,
) -> TravelEngine:
    """Build the engine for the study: default network, Lancashire origins, register.

    Parameters
    ----------
    network
        ``"offline"`` or ``"osm"`` (loaded with :func:`mapping.network.load_network`)
        or a network already loaded.
    data_dir
        Folder of generated data (default :func:`mapping.store.default_data_dir`).
    sources
        Raw sources folder (or located :class:`mapping.inputs.sources.Sources`).
    register
        Services register: a path, a loaded frame, or ``None`` for the default.
    origins
        Origins frame (default :func:`mapping.geography.load_origins`).
    build_if_missing
        Build the network if it is not cached yet.
    **kwargs
        Passed to :class:`TravelEngine` (``max_snap_m``, ``limit_minutes``).
    """
    from mapping import geography
    from mapping.inputs.sources import Sources, locate_sources

    if sources is not None and not isinstance(sources, Sources):
        sources = locate_sources(sources)
    if isinstance(network, str):
        from mapping.network import load_network

        network = load_network(
            network, data_dir=data_dir, sources=sources, build_if_missing=build_if_missing
        )
    if origins is None:
        origins = geography.load_origins(data_dir)
    if not isinstance(register, pd.DataFrame):
        from mapping.inputs.register import load_register

        register = load_register(register, sources=sources)
    if {"easting", "northing"} <= set(origins.columns):
        xy = origins[["easting", "northing"]].to_numpy(float)
    else:
        xy = np.column_stack([origins.geometry.x, origins.geometry.y])
    engine = TravelEngine(
        network, xy, register, origin_ids=origins["origin_id"].to_numpy(), **kwargs
    )
    engine.origins = origins
    return engine
