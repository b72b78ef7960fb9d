"""Low-level shortest paths and snapping shared by the engine and the matrix."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from mapping.errors import ServiceMapError
from mapping.network.graph import RoadNetwork
from mapping.network.snap import snap
from mapping.network.walking import WALK_PROFILE, walk_seconds

# Keep each block of dijkstra output under ~64 MB: rows × nodes × 8 bytes.
BLOCK_BYTES = 64 * 2**20


def as_search_graph(matrix: sp.spmatrix | sp.sparray) -> sp.csr_matrix:
    """Return ``matrix`` as float64 CSR, the form csgraph uses without another copy."""
    graph = sp.csr_matrix(matrix, dtype=np.float64)
    graph.sort_indices()
    return graph


def seconds_between(
    graph: sp.csr_matrix,
    sources: np.ndarray,
    targets: np.ndarray,
    limit: float = np.inf,
) -> np.ndarray:
    """Shortest-path seconds from each source node to each target node on ``graph``.

    Runs one dijkstra per *distinct* source, in blocks that bound memory, and keeps only
    the target columns. Returns a ``(len(sources), len(targets))`` float64 array with
    ``inf`` where a target is unreachable (or beyond ``limit``).
    """
    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    out = np.full((sources.size, targets.size), np.inf)
    if sources.size == 0 or targets.size == 0:
        return out
    unique, inverse = np.unique(sources, return_inverse=True)
    block = max(1, BLOCK_BYTES // (8 * max(graph.shape[0], 1)))
    for start in range(0, unique.size, block):
        chunk = unique[start : start + block]
        dist = dijkstra(graph, directed=True, indices=chunk, limit=limit)
        dist = np.atleast_2d(dist)[:, targets]
        rows = (inverse >= start) & (inverse < start + chunk.size)
        out[rows] = dist[inverse[rows] - start]
    return out


def snap_points(network: RoadNetwork, xy: np.ndarray, max_snap_m: float) -> Any:
    """Snap points with the network module (one snapping rule for the whole package)."""
    return snap(network, np.asarray(xy, dtype=float).reshape(-1, 2), max_distance_m=max_snap_m)


def snap_arrays(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    node = np.asarray(result.node)
    ok = np.asarray(result.ok, dtype=bool)
    seconds = np.asarray(result.seconds, dtype=float)
    distance = np.asarray(result.distance_m, dtype=float)
    return np.where(ok, node, 0).astype(np.int64), seconds, distance, ok


def profile_matrix(network: RoadNetwork, profile: str) -> sp.csr_matrix:
    """Edge seconds of a driving speed profile, or of walking (``"walk"``)."""
    if profile == WALK_PROFILE:
        return walk_seconds(network)
    try:
        return network.seconds[profile]
    except KeyError:
        known = ", ".join([*sorted(network.seconds), WALK_PROFILE])
        raise ServiceMapError(f"unknown speed profile {profile!r}; known: {known}") from None


def off_network_reason(distance_m: float, limit_m: float) -> str:
    """Say how far off the network a point is (the snapper reports ``inf`` past the limit)."""
    if math.isfinite(distance_m):
        how_far = f"{distance_m / 1000:.1f} km from the nearest road"
    else:
        how_far = f"more than {limit_m / 1000:g} km from any road"
    return f"off the road network ({how_far}; limit {limit_m / 1000:g} km)"
