"""Drive-time vectors, searched once per process for every engine on the same network.

A service's vector (minutes from every origin to it, for one speed profile, or on foot
for the ``"walk"`` profile of :mod:`mapping.network.walking`) depends
only on the road network, the origins (their snapped nodes and access seconds), the
service's snapped node and access seconds, and the time limit: not on the register it
came from. Every :class:`~mapping.routing.engine.TravelEngine` built on one network
object (``mapping.network.load_network`` gives the same object for the same cache
file) therefore gets its vectors from :func:`service_minutes`, which searches the graph
only for the services no engine on that network has asked for yet. A study loaded
again, the same study on an uploaded register (most of its services unchanged), or a
what-if site asked for twice costs no second search.

The vectors kept are the float32 rows the engines hold, so a figure is the same
whichever engine asked first. The store lives as long as its network object (a weak
reference), and :func:`clear` empties it (a benchmark timing a cold engine calls it).
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from mapping.network.walking import access_factor
from mapping.routing.paths import seconds_between

if TYPE_CHECKING:
    from mapping.routing.engine import TravelEngine


__all__ = ["clear", "service_minutes"]

#: Vectors for one network, origins, profile and time limit, keyed by the service's
#: (snapped node, access seconds).
_Vectors = dict[tuple[int, float], np.ndarray]

_LOCK = threading.Lock()
#: Per network object (by ``id``; the entry goes when the network is collected).
_STORE: dict[int, dict[tuple[str, str, float | None], _Vectors]] = {}
#: The origins' fingerprint, per engine (computed once per engine, not per query).
_ORIGINS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _origins_key(engine: TravelEngine) -> str:
    with _LOCK:
        key = _ORIGINS.get(engine)
    if key is None:
        digest = hashlib.blake2b(digest_size=16)
        for array in (engine._origin_node, engine._origin_seconds):
            digest.update(np.ascontiguousarray(array).tobytes())
        key = digest.hexdigest()
        with _LOCK:
            _ORIGINS[engine] = key
    return key


def service_minutes(
    engine: TravelEngine,
    graph: sp.csr_matrix,
    services: Sequence[tuple[int, float]],
    profile: str,
) -> np.ndarray:
    """Minutes from every origin of ``engine`` to each service, as ``(services, origins)``.

    Parameters
    ----------
    engine
        The :class:`~mapping.routing.engine.TravelEngine` asking (its network, origins
        and ``limit_minutes``).
    graph
        The reversed search graph of ``profile`` on the engine's network.
    services
        Each service's snapped node and access (snap) seconds.
    profile
        The speed profile.

    Returns
    -------
    numpy.ndarray
        float32 minutes; ``inf`` where the service cannot be reached (or is beyond the
        engine's ``limit_minutes``).
    """
    limit_minutes = engine.limit_minutes
    key = (_origins_key(engine), profile, limit_minutes)
    with _LOCK:
        network = engine.network
        if id(network) not in _STORE:
            _STORE[id(network)] = {}
            weakref.finalize(network, _forget, id(network))
        known = _STORE[id(network)].setdefault(key, {})
        found = [known.get((int(node), float(snap))) for node, snap in services]
    todo = [i for i, row in enumerate(found) if row is None]
    if todo:
        nodes = np.array([services[i][0] for i in todo], dtype=np.int64)
        snap_s = np.array([services[i][1] for i in todo], dtype=float)
        limit = np.inf if limit_minutes is None else limit_minutes * 60.0
        ok = engine.origin_ok
        road = seconds_between(graph, nodes, engine._origin_node[ok], limit)
        block = np.full((len(todo), engine.n_origins), np.inf)
        # Access to and from the network is walked on foot (timed at 20 mph by car).
        access = access_factor(profile)
        origin_s = engine._origin_seconds[ok][None, :] * access
        block[:, ok] = road + origin_s + snap_s[:, None] * access
        block /= 60.0
        if limit_minutes is not None:
            block[block > limit_minutes] = np.inf
        rows = block.astype(np.float32)
        rows.setflags(write=False)  # shared: an engine copies its rows, never writes here
        with _LOCK:
            for i, row in zip(todo, rows, strict=True):
                found[i] = known.setdefault((int(services[i][0]), float(services[i][1])), row)
    rows_found = [row for row in found if row is not None]
    return np.stack(rows_found) if rows_found else np.empty((0, engine.n_origins), np.float32)


def _forget(network_id: int) -> None:
    with _LOCK:
        _STORE.pop(network_id, None)


def clear() -> None:
    """Forget every kept vector (the next engine searches the graph again)."""
    with _LOCK:
        _STORE.clear()
