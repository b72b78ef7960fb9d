"""Export a :class:`RoadNetwork` as an osmnx-compatible networkx graph (and GraphML)."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mapping.network.graph import PROFILES, RoadNetwork
from mapping.study_area import ANALYSIS_CRS, to_lonlat

if TYPE_CHECKING:  # networkx takes a second to import: only exports need it
    import networkx as nx

__all__ = ["estimate_graphml_bytes", "save_graphml", "to_networkx"]


def to_networkx(
    network: RoadNetwork,
    profile: str = "free_flow",
    *,
    progress: bool = False,
    edges: np.ndarray | None = None,
) -> nx.MultiDiGraph:
    """Return the network as a graph osmnx can use (and save with ``osmnx.save_graphml``).

    Parameters
    ----------
    network
        The road network.
    profile
        Which speed profile's seconds become each edge's ``travel_time``.
    progress
        Show a progress bar over the edges.
    edges
        Only these edge indices (positions in the CSR ``data``) and their end nodes: a
        sample, used to estimate the size of a GraphML file.

    Returns
    -------
    networkx.MultiDiGraph
        Graph attribute ``crs`` (EPSG:27700); nodes ``x``, ``y`` (metres, EPSG:27700)
        plus ``lon``, ``lat``; edges ``length`` (m), ``travel_time`` (s), ``speed_kph``
        and ``highway``. Node ids are the network's node indices.
    """
    import networkx as nx
    from tqdm.auto import tqdm

    if profile not in network.seconds:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(network.seconds)}")
    graph = nx.MultiDiGraph(crs=ANALYSIS_CRS, source=network.source, profile=profile)
    tail, head = network.edges()
    pick = np.arange(len(tail)) if edges is None else np.asarray(edges, dtype=np.int64)
    nodes = np.arange(network.n_nodes) if edges is None else np.unique([tail[pick], head[pick]])
    xy = network.node_xy[nodes]
    lon, lat = to_lonlat(xy[:, 0], xy[:, 1])
    graph.add_nodes_from(
        (int(i), {"x": float(x), "y": float(y), "lon": float(lo), "lat": float(la)})
        for i, x, y, lo, la in zip(nodes, xy[:, 0], xy[:, 1], lon, lat, strict=True)
    )
    length = network.length_m.data[pick]
    seconds = network.seconds[profile].data[pick]
    speed = np.round(length / seconds * 3.6, 3)
    rows = zip(tail[pick], head[pick], length, seconds, speed, network.highway[pick], strict=True)
    graph.add_edges_from(
        (
            int(u),
            int(v),
            {"length": float(m), "travel_time": float(s), "speed_kph": float(k), "highway": str(h)},
        )
        for u, v, m, s, k, h in tqdm(
            rows, total=len(pick), desc="graph edges", unit="edge", disable=not progress
        )
    )
    return graph


def estimate_graphml_bytes(
    network: RoadNetwork, profile: str = "free_flow", sample_edges: int = 5000
) -> int:
    """Estimate the size of the GraphML file of ``network`` by writing a sample of it.

    A sample of edges (evenly spread over the CSR order) and their end nodes is written
    with :func:`osmnx.save_graphml` four times: half and all of its nodes without edges,
    then all its nodes with half and all of its edges. The differences give the bytes per
    node and per edge (and the fixed header), which are scaled to the whole network.
    """
    import networkx as nx
    import osmnx as ox

    n_edges = network.n_edges
    if n_edges == 0:
        return 0
    pick = np.unique(np.linspace(0, n_edges - 1, min(sample_edges, n_edges)).astype(np.int64))
    full = to_networkx(network, profile, edges=pick)
    nodes = list(full.nodes(data=True))
    edges = list(full.edges(keys=True, data=True))

    def graph(n_nodes: int, n_edges: int) -> nx.MultiDiGraph:
        g = nx.MultiDiGraph(full.graph)
        g.add_nodes_from(nodes[:n_nodes])
        g.add_edges_from(edges[:n_edges])
        return g

    half_n, half_e = len(nodes) // 2, len(edges) // 2
    samples = [graph(half_n, 0), graph(len(nodes), 0), graph(len(nodes), half_e), full]
    sizes = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, sample in enumerate(samples):
            target = Path(tmp) / f"sample{i}.graphml"
            ox.save_graphml(sample, filepath=target)
            sizes.append(target.stat().st_size)
    per_node = (sizes[1] - sizes[0]) / max(len(nodes) - half_n, 1)
    per_edge = (sizes[3] - sizes[2]) / max(len(edges) - half_e, 1)
    edge_header = sizes[3] - sizes[1] - per_edge * len(edges)
    header = sizes[1] - per_node * len(nodes)
    return int(header + per_node * network.n_nodes + edge_header + per_edge * n_edges)


def save_graphml(
    network: RoadNetwork, path: str | Path, profile: str = "free_flow", *, progress: bool = False
) -> Path:
    """Write the network as GraphML with :func:`osmnx.save_graphml` (atomically).

    Parameters
    ----------
    progress
        Show a bar over the edges while the graph is assembled, then the seconds spent
        writing (networkx builds the whole XML document before writing it, so the file
        cannot be watched as it grows).

    Returns
    -------
    Path
        The file written.
    """
    import osmnx as ox
    from tqdm.auto import tqdm

    from mapping.store import atomic_path

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {PROFILES}")
    path = Path(path)
    graph = to_networkx(network, profile, progress=progress)
    with atomic_path(path) as tmp:
        if not progress:
            ox.save_graphml(graph, filepath=tmp)
            return path
        done = threading.Event()
        bar = tqdm(desc="writing GraphML", unit="s", bar_format="{desc}: {elapsed}")

        def tick() -> None:
            while not done.wait(1.0):
                bar.update(1)

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            ox.save_graphml(graph, filepath=tmp)
        finally:
            done.set()
            ticker.join()
            bar.close()
    return path
