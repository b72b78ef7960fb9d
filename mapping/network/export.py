"""Export a :class:`RoadNetwork` as an osmnx-compatible networkx graph (and GraphML)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np

from mapping.network.graph import PROFILES, RoadNetwork
from mapping.study_area import ANALYSIS_CRS, to_lonlat

__all__ = ["save_graphml", "to_networkx"]


def to_networkx(network: RoadNetwork, profile: str = "free_flow") -> nx.MultiDiGraph:
    """Return the network as a graph osmnx can use (and save with ``osmnx.save_graphml``).

    Parameters
    ----------
    network
        The road network.
    profile
        Which speed profile's seconds become each edge's ``travel_time``.

    Returns
    -------
    networkx.MultiDiGraph
        Graph attribute ``crs`` (EPSG:27700); nodes ``x``, ``y`` (metres, EPSG:27700)
        plus ``lon``, ``lat``; edges ``length`` (m), ``travel_time`` (s), ``speed_kph``
        and ``highway``. Node ids are the network's node indices.
    """
    if profile not in network.seconds:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(network.seconds)}")
    graph = nx.MultiDiGraph(crs=ANALYSIS_CRS, source=network.source, profile=profile)
    lon, lat = to_lonlat(network.node_xy[:, 0], network.node_xy[:, 1])
    graph.add_nodes_from(
        (i, {"x": float(x), "y": float(y), "lon": float(lo), "lat": float(la)})
        for i, (x, y, lo, la) in enumerate(
            zip(network.node_xy[:, 0], network.node_xy[:, 1], lon, lat, strict=True)
        )
    )
    tail, head = network.edges()
    length = network.length_m.data
    seconds = network.seconds[profile].data
    speed = np.round(length / seconds * 3.6, 3)
    graph.add_edges_from(
        (
            int(u),
            int(v),
            {"length": float(m), "travel_time": float(s), "speed_kph": float(k), "highway": str(h)},
        )
        for u, v, m, s, k, h in zip(
            tail, head, length, seconds, speed, network.highway, strict=True
        )
    )
    return graph


def save_graphml(network: RoadNetwork, path: str | Path, profile: str = "free_flow") -> Path:
    """Write the network as GraphML with :func:`osmnx.save_graphml` (atomically).

    Returns
    -------
    Path
        The file written.
    """
    import osmnx as ox

    from mapping.store import atomic_path

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {PROFILES}")
    path = Path(path)
    with atomic_path(path) as tmp:
        ox.save_graphml(to_networkx(network, profile), filepath=tmp)
    return path
