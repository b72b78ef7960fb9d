"""The one road-graph structure every network source produces.

Whichever source built it (the offline default from OS data, or OpenStreetMap through
osmnx), the travel engine sees only this: a directed sparse matrix of travel seconds per
speed profile over nodes with British National Grid coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["PROFILES", "RoadNetwork"]

#: Speed profiles: ``free_flow`` (night, uncongested) and ``daytime`` (typical weekday).
PROFILES: tuple[str, ...] = ("free_flow", "daytime")


@dataclass
class RoadNetwork:
    """A directed road graph with travel times in seconds.

    Attributes
    ----------
    node_xy
        ``(n, 2)`` float array of node easting/northing in EPSG:27700 metres.
    seconds
        ``{profile: csr_matrix}``: entry ``[i, j]`` is the travel time in seconds of the
        directed edge i → j under that profile. All profiles share one sparsity pattern.
    length_m
        CSR matrix (same pattern) of edge lengths in metres along the road.
    highway
        Array aligned with the CSR ``data`` of each edge's class (``motorway``,
        ``urban``, ``suburban``, ``rural``, ``link``, or an OSM ``highway`` value).
    source
        Which source built it: ``"offline"`` (OS Code-Point Open + OS Open Roads) or
        ``"osm"`` (OpenStreetMap via osmnx). Shown in the UI and every export.
    meta
        Parameters, input checksums and build facts (for the About page and exports).
    """

    node_xy: np.ndarray
    seconds: dict[str, sp.csr_matrix]
    length_m: sp.csr_matrix
    highway: np.ndarray
    source: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.length_m.nnz)
