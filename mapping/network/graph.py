"""The one road-graph structure every network source produces.

Whichever source built it (the offline default from OS data, or OpenStreetMap through
osmnx), the travel engine sees only this: a directed sparse matrix of travel seconds per
speed profile over nodes with British National Grid coordinates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

__all__ = ["PROFILES", "PROFILE_FALLBACK", "RoadNetwork"]

#: Speed profiles: ``free_flow`` (night, uncongested), ``daytime`` (weekday inter-peak),
#: ``weekday_peak`` and ``weekend_day`` (v3; which hours take which:
#: :func:`mapping.network.profiles.profile_for`).
PROFILES: tuple[str, ...] = ("free_flow", "daytime", "weekday_peak", "weekend_day")

#: A network holding only ``free_flow`` and ``daytime`` (built before v3, or made by hand)
#: drives these profiles at the one named, as v2 drove every day's 07:00-19:00.
PROFILE_FALLBACK: dict[str, str] = {"weekday_peak": "daytime", "weekend_day": "daytime"}

#: Bumped whenever the saved layout changes, so old caches are rebuilt, never misread.
FORMAT_VERSION = 1


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
    snappable
        Boolean mask of the nodes a journey may start or end at (street nodes); motorway
        nodes are excluded so that a point beside a motorway is not put on it between
        junctions. ``None`` means every node.
    """

    node_xy: np.ndarray
    seconds: dict[str, sp.csr_matrix]
    length_m: sp.csr_matrix
    highway: np.ndarray
    source: str
    meta: dict[str, Any] = field(default_factory=dict)
    snappable: np.ndarray | None = None

    def __post_init__(self) -> None:
        for profile, base in PROFILE_FALLBACK.items():
            if profile not in self.seconds and base in self.seconds:
                self.seconds[profile] = self.seconds[base]  # the same matrix, no copy

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.length_m.nnz)

    @cached_property
    def snap_index(self) -> tuple[cKDTree, np.ndarray]:
        """KD-tree over the snappable nodes and the node ids it indexes (built once)."""
        ids = (
            np.arange(self.n_nodes)
            if self.snappable is None
            else np.flatnonzero(np.asarray(self.snappable, dtype=bool))
        )
        return cKDTree(self.node_xy[ids]), ids

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(tail, head)`` node arrays aligned with the CSR ``data`` and ``highway``."""
        csr = self.length_m
        tail = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
        return tail, csr.indices.astype(np.int64)

    # ---- persistence -------------------------------------------------------------------

    def save(self, target: str | Path | IO[bytes]) -> None:
        """Write the network to an uncompressed ``.npz`` (fast to load).

        Parameters
        ----------
        target
            A path or a binary file object. A path is written as given (no ``.npz`` is
            appended), so callers can write to a temporary name and rename it.
        """
        csr = self.length_m
        classes, codes = np.unique(np.asarray(self.highway, dtype=str), return_inverse=True)
        arrays: dict[str, np.ndarray] = {
            "format_version": np.array(FORMAT_VERSION),
            "node_xy": np.asarray(self.node_xy, dtype=np.float64),
            "indptr": csr.indptr.astype(np.int64),
            "indices": csr.indices.astype(np.int32),
            "length_m": csr.data.astype(np.float64),
            "highway_classes": classes.astype(str),
            "highway_codes": codes.astype(np.int16),
            "source": np.array(self.source),
            "meta_json": np.array(json.dumps(self.meta, default=str)),
            "profiles": np.array(list(self.seconds), dtype=str),
        }
        for profile, matrix in self.seconds.items():
            if matrix.nnz != csr.nnz or not np.array_equal(matrix.indices, csr.indices):
                raise ValueError(f"profile {profile!r} does not share the length pattern")
            arrays[f"seconds_{profile}"] = matrix.data.astype(np.float64)
        if self.snappable is not None:
            arrays["snappable"] = np.asarray(self.snappable, dtype=bool)
        if isinstance(target, str | Path):
            with open(target, "wb") as handle:
                np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy stubs: **kwds
        else:
            np.savez(target, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | Path) -> RoadNetwork:
        """Read a network written by :meth:`save`.

        Raises
        ------
        ValueError
            If the file was written in another layout version.
        """
        with np.load(path, allow_pickle=False) as data:
            version = int(data["format_version"])
            if version != FORMAT_VERSION:
                raise ValueError(f"{path}: network format {version}, expected {FORMAT_VERSION}")
            n = data["node_xy"].shape[0]
            indptr, indices = data["indptr"], data["indices"]

            def matrix(values: np.ndarray) -> sp.csr_matrix:
                m = sp.csr_matrix((values, indices, indptr), shape=(n, n))
                m.has_sorted_indices = True
                return m

            seconds = {str(p): matrix(data[f"seconds_{p}"]) for p in data["profiles"]}
            return cls(
                node_xy=data["node_xy"],
                seconds=seconds,
                length_m=matrix(data["length_m"]),
                highway=data["highway_classes"][data["highway_codes"]],
                source=str(data["source"]),
                meta=json.loads(str(data["meta_json"])),
                snappable=data["snappable"] if "snappable" in data.files else None,
            )

    @classmethod
    def from_edges(
        cls,
        node_xy: np.ndarray,
        tail: np.ndarray,
        head: np.ndarray,
        length_m: np.ndarray,
        seconds: dict[str, np.ndarray],
        highway: np.ndarray,
        *,
        source: str,
        meta: dict[str, Any] | None = None,
        snappable: np.ndarray | None = None,
        rank_by: str = "free_flow",
    ) -> RoadNetwork:
        """Assemble a network from edge lists, keeping the fastest edge per node pair.

        Parallel edges (two roads joining the same pair of nodes) collapse to the one
        with the least ``rank_by`` time; every profile, the length and the class are
        taken from that same edge so they stay consistent and share one pattern.
        """
        n = int(node_xy.shape[0])
        tail = np.asarray(tail, dtype=np.int64)
        head = np.asarray(head, dtype=np.int64)
        keep = tail != head  # self-loops never shorten a journey
        rank = np.asarray(seconds[rank_by], dtype=np.float64)
        order = np.lexsort((rank[keep], head[keep], tail[keep]))
        idx = np.flatnonzero(keep)[order]
        pair = tail[idx] * n + head[idx]
        first = np.ones(idx.size, dtype=bool)
        first[1:] = pair[1:] != pair[:-1]
        idx = idx[first]
        t, h = tail[idx], head[idx]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(t, minlength=n), out=indptr[1:])

        def matrix(values: np.ndarray) -> sp.csr_matrix:
            # Explicit zeros would read as missing edges in scipy.sparse.csgraph.
            data = np.maximum(np.asarray(values, dtype=np.float64)[idx], 1e-3)
            m = sp.csr_matrix((data, h.astype(np.int32), indptr), shape=(n, n))
            m.has_sorted_indices = True
            return m

        return cls(
            node_xy=np.asarray(node_xy, dtype=np.float64),
            seconds={p: matrix(v) for p, v in seconds.items()},
            length_m=matrix(length_m),
            highway=np.asarray(highway)[idx].astype(str),
            source=source,
            meta=dict(meta or {}),
            snappable=None if snappable is None else np.asarray(snappable, dtype=bool),
        )

    def subgraph(self, nodes: np.ndarray) -> RoadNetwork:
        """Return the network induced by ``nodes`` (a boolean mask or sorted ids)."""
        mask = np.zeros(self.n_nodes, dtype=bool)
        mask[nodes] = True
        new_id = np.full(self.n_nodes, -1, dtype=np.int64)
        new_id[mask] = np.arange(int(mask.sum()))
        tail, head = self.edges()
        keep = mask[tail] & mask[head]
        return RoadNetwork.from_edges(
            self.node_xy[mask],
            new_id[tail[keep]],
            new_id[head[keep]],
            self.length_m.data[keep],
            {p: m.data[keep] for p, m in self.seconds.items()},
            self.highway[keep],
            source=self.source,
            meta=self.meta,
            snappable=None if self.snappable is None else self.snappable[mask],
        )
