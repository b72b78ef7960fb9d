"""Putting points on the network, and single journeys through it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

from mapping.errors import ServiceMapError
from mapping.network.graph import RoadNetwork
from mapping.network.params import ACCESS_SPEED_MPH, CIRCUITY, mph_to_mps

__all__ = ["MAX_SNAP_M", "Journey", "SnapResult", "journey", "snap", "snap_or_raise"]

#: Farther than this from every street node, a point is not on the road network.
MAX_SNAP_M = 5000.0


@dataclass(frozen=True)
class SnapResult:
    """Where each point joins the network.

    Attributes
    ----------
    node
        Nearest snappable node per point; ``-1`` where ``ok`` is False.
    distance_m
        Straight-line distance from the point to that node (``inf`` beyond the limit).
    seconds
        Time to cover that distance by road: straight line × circuity (1.2) at the
        20 mph lowest general limit (DfT Circular 01/2013), the speed of the
        residential street, car park or drive that the point sits on.
    ok
        True where the point lies within the snapping limit.
    """

    node: np.ndarray
    distance_m: np.ndarray
    seconds: np.ndarray
    ok: np.ndarray


def snap(network: RoadNetwork, xy: np.ndarray, max_distance_m: float = MAX_SNAP_M) -> SnapResult:
    """Snap EPSG:27700 points to their nearest street node.

    Parameters
    ----------
    network
        The road network; its KD-tree over street nodes is built on first use and kept.
    xy
        ``(n, 2)`` (or ``(2,)``) easting/northing in metres.
    max_distance_m
        Points farther than this from every street node are not snapped (``ok`` False).

    Returns
    -------
    SnapResult
        Node, distance, access seconds and the ``ok`` mask for each point.
    """
    points = np.atleast_2d(np.asarray(xy, dtype=np.float64))
    if points.shape[-1] != 2:
        raise ValueError(f"expected (n, 2) easting/northing, got shape {points.shape}")
    tree, ids = network.snap_index
    distance, pos = tree.query(points, k=1, distance_upper_bound=max_distance_m)
    ok = np.isfinite(distance)
    node = np.full(len(points), -1, dtype=np.int64)
    node[ok] = ids[pos[ok]]
    seconds = np.where(ok, distance * CIRCUITY / mph_to_mps(ACCESS_SPEED_MPH), np.inf)
    return SnapResult(node=node, distance_m=distance, seconds=seconds, ok=ok)


def snap_or_raise(
    network: RoadNetwork,
    xy: np.ndarray,
    max_distance_m: float = MAX_SNAP_M,
    labels: Sequence[str] | None = None,
) -> SnapResult:
    """Snap points like :func:`snap`, raising if any is off the network.

    Parameters
    ----------
    labels
        A name per point (postcode, service name) used in the error message.

    Raises
    ------
    ServiceMapError
        Naming every point farther than ``max_distance_m`` from all street nodes.
    """
    result = snap(network, xy, max_distance_m)
    if not result.ok.all():
        points = np.atleast_2d(np.asarray(xy, dtype=np.float64))
        bad = np.flatnonzero(~result.ok)
        names = [
            (labels[i] if labels is not None else f"point {i}")
            + f" (E {points[i, 0]:.0f}, N {points[i, 1]:.0f})"
            for i in bad[:10]
        ]
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise ServiceMapError(
            f"{len(bad)} point(s) lie more than {max_distance_m / 1000:.0f} km from any road "
            f"of the {network.source} network: {', '.join(names)}{more}. Check their "
            "coordinates (EPSG:27700 easting/northing) or postcodes."
        )
    return result


@dataclass(frozen=True)
class Journey:
    """One door-to-door journey through the network."""

    seconds: float
    metres: float
    profile: str

    @property
    def minutes(self) -> float:
        """Journey time in minutes."""
        return self.seconds / 60.0

    @property
    def miles(self) -> float:
        """Road distance in miles."""
        return self.metres / 1609.344


def journey(
    network: RoadNetwork, origin_xy: np.ndarray, dest_xy: np.ndarray, profile: str
) -> Journey:
    """Fastest journey between two EPSG:27700 points, including the snapping legs.

    Raises
    ------
    ServiceMapError
        If either point is off the network, or the destination is unreachable.
    """
    snapped = snap_or_raise(
        network, np.vstack([origin_xy, dest_xy]), labels=["origin", "destination"]
    )
    o, d = int(snapped.node[0]), int(snapped.node[1])
    times, pred = dijkstra(network.seconds[profile], indices=o, return_predecessors=True)
    if not np.isfinite(times[d]):
        raise ServiceMapError("the destination cannot be reached from the origin on this network")
    metres = 0.0
    node = d
    while node != o:
        prev = int(pred[node])
        metres += float(network.length_m[prev, node])
        node = prev
    access = float(snapped.seconds.sum())
    access_m = float(snapped.distance_m.sum()) * CIRCUITY
    return Journey(seconds=float(times[d]) + access, metres=metres + access_m, profile=profile)
