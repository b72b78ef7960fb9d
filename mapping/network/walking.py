"""Walking on the road network: a travel mode beside driving, not a driving speed profile.

Walking uses the same graph as driving (the same nodes, links and modelled lengths), with
three differences:

* every link is walked at :data:`WALK_SPEED_KMH` (4.8 km/h, 1.33 m/s), whatever its
  class, day or hour;
* motorways and their slip links are excluded (pedestrians are prohibited on
  motorways: Highway Code rule 253 and the Motorways Traffic (England and Wales)
  Regulations 1982): the ``motorway`` and ``motorway_link`` classes, and in the offline
  network the ``link`` edges that touch a motorway node (the slip roads); ``link``
  edges that join an 'A' road to the local streets are kept as they are;
* a link can be walked both ways (one-way streets bind drivers, not pedestrians).

The walking seconds are derived from the network when first asked for and kept for the
life of the network object (they are never saved in the network cache, so the cache
and the driving profiles are untouched). The engine asks for them as the ``"walk"``
profile (:data:`WALK_PROFILE`), so its drive-time vectors and walking vectors are kept
apart (``mapping.routing.vectors`` keys every vector by its profile).

Speed source: 4.8 km/h (3 mph, 80 m a minute) is the pace behind the Manual for Streets'
"walkable neighbourhood" (Department for Transport, 2007, section 4.4.1: facilities
"within 10 minutes' (up to about 800 m) walking distance"), the usual planning figure in
Britain. Many people walk more slowly (older people, people with young children, people
who are injured or carrying things), so walking minutes are a lower bound.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np
import scipy.sparse as sp

from mapping.network.graph import RoadNetwork
from mapping.network.params import ACCESS_SPEED_MPH, mph_to_mps

__all__ = [
    "MODES",
    "MOTORWAY_CLASSES",
    "WALK_PROFILE",
    "WALK_SPEED_KMH",
    "WALK_SPEED_MPS",
    "WALK_THRESHOLDS",
    "access_factor",
    "walk_seconds",
    "walkable_edges",
]

#: Travel modes: by car (the driving speed profiles) or on foot.
MODES: tuple[str, ...] = ("drive", "walk")

#: The engine's profile name for walking (never a driving speed profile's name).
WALK_PROFILE = "walk"

#: Walking speed, km/h: 800 m in 10 minutes (Manual for Streets, DfT 2007, 4.4.1).
WALK_SPEED_KMH = 4.8

#: The same in metres per second.
WALK_SPEED_MPS = WALK_SPEED_KMH * 1000.0 / 3600.0

#: Minutes reported for walking answers (the drive thresholds, 60 and 90 minutes, mean
#: little on foot). Analysis parameters, not a standard.
WALK_THRESHOLDS: tuple[int, ...] = (15, 30, 45)

#: Road classes no one may walk on.
MOTORWAY_CLASSES: frozenset[str] = frozenset({"motorway", "motorway_link"})

_LOCK = threading.Lock()
_KEPT: dict[int, sp.csr_matrix] = {}


def walkable_edges(network: RoadNetwork) -> np.ndarray:
    """Boolean mask aligned with the CSR ``data``: which edges a pedestrian may use.

    Motorways and ``motorway_link`` edges are excluded, and so are the offline model's
    ``link`` edges with an end on a motorway node (its slip roads).
    """
    highway = np.asarray(network.highway, dtype=str)
    motorway = np.isin(highway, sorted(MOTORWAY_CLASSES))
    tail, head = network.edges()
    on_motorway = np.zeros(network.n_nodes, dtype=bool)
    on_motorway[tail[highway == "motorway"]] = True
    on_motorway[head[highway == "motorway"]] = True
    slip = (highway == "link") & (on_motorway[tail] | on_motorway[head])
    return ~(motorway | slip)


def _build(network: RoadNetwork) -> sp.csr_matrix:
    keep = walkable_edges(network)
    tail, head = network.edges()
    seconds = np.maximum(network.length_m.data / WALK_SPEED_MPS, 1e-3)
    t, h, s = tail[keep], head[keep], seconds[keep]
    # Both directions: the shorter of a link's two ways when both exist.
    both_t, both_h = np.concatenate([t, h]), np.concatenate([h, t])
    both_s = np.concatenate([s, s])
    order = np.lexsort((both_s, both_h, both_t))
    both_t, both_h, both_s = both_t[order], both_h[order], both_s[order]
    first = np.ones(both_t.size, dtype=bool)
    first[1:] = (both_t[1:] != both_t[:-1]) | (both_h[1:] != both_h[:-1])
    n = network.n_nodes
    matrix = sp.csr_matrix(
        (both_s[first], (both_t[first], both_h[first])), shape=(n, n), dtype=np.float64
    )
    matrix.sort_indices()
    return matrix


def walk_seconds(network: RoadNetwork) -> sp.csr_matrix:
    """Walking seconds of every walkable directed edge (built once per network object).

    Parameters
    ----------
    network
        The road network.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``[i, j]``: seconds to walk from node i to node j along one link; motorways and
        their slip links are absent.
    """
    key = id(network)
    with _LOCK:
        found = _KEPT.get(key)
    if found is not None:
        return found
    matrix = _build(network)
    with _LOCK:
        if key not in _KEPT:
            _KEPT[key] = matrix
            weakref.finalize(network, _KEPT.pop, key, None)
        return _KEPT[key]


def access_factor(profile: str) -> float:
    """How much longer the walk to or from the network takes than the modelled drive access.

    Access (a point to its nearest street node) is timed at the 20 mph lowest general
    limit for driving (:mod:`mapping.network.snap`); on foot it is walked at
    :data:`WALK_SPEED_KMH`, so its seconds scale by this factor (1 for driving).
    """
    if profile == WALK_PROFILE:
        return mph_to_mps(ACCESS_SPEED_MPH) / WALK_SPEED_MPS
    return 1.0
