"""What-if views of the travel engine: the base never changes, a view adds sites.

A view (:meth:`TravelEngine.with_sites`) is a shallow copy of the base engine that
shares the base's network, origin snapping, reversed graphs and per-service vectors
(read-only: the base computes them, once, for every view) and owns only the what-if
sites' rows and vectors. App sessions and notebooks can hold as many views as they like
without locks: a view never writes into its base. The base's shared vectors and
reversed graphs are filled by the base itself, under its own locks; a view's
opening-hours answers and its sites' vectors are its own.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mapping.caching import Cache
from mapping.errors import ServiceMapError
from mapping.inputs.vocabulary import LANCASHIRE
from mapping.routing.paths import off_network_reason, snap_arrays, snap_points
from mapping.routing.records import age_bound, crime_tuple

if TYPE_CHECKING:
    from mapping.routing.engine import TravelEngine

__all__ = ["add_site", "derive_view"]


def derive_view(root: TravelEngine, sites: Iterable[Mapping[str, Any]]) -> TravelEngine:
    """A new engine sharing ``root``'s services and vectors, plus ``sites`` of its own."""
    view = copy.copy(root)
    view._root = root
    view._rows = list(root._rows[: root._n_own])
    view._index = {r["id"]: i for i, r in enumerate(view._rows)}
    view._n_shared = root._n_own
    view._minutes = {}
    view._done = {}
    # The view's own opening-hours answers: its sites' hours never enter the base's.
    view._open_cache = Cache(maxsize=root._open_cache.maxsize)
    view._services_frame = None
    view._known_categories = set(root._known_categories)
    view._lock = threading.RLock()
    for spec in sites:
        add_site(view, **dict(spec))
    view._n_own = len(view._rows) - view._n_shared
    return view


def add_site(
    view: TravelEngine,
    id: str,
    xy: tuple[float, float] | None = None,
    *,
    lonlat: tuple[float, float] | None = None,
    category: str,
    name: str | None = None,
    opening_hours: str = "24/7",
    min_age: int | None = None,
    max_age: int | None = None,
    crime_types: Sequence[str] | str = ("all",),
    provider_area: str = LANCASHIRE,
    **_ignored: Any,
) -> str:
    """Add a what-if service; its minutes cost one search per profile when first used.

    Parameters
    ----------
    id
        New, unused service id.
    xy, lonlat
        Location as easting/northing (EPSG:27700) or longitude/latitude.
    category, name, opening_hours, min_age, max_age, crime_types, provider_area
        As in the register.

    Returns
    -------
    str
        The id. What-if services count only in queries that list them in
        ``extra_services`` or ``include`` (or through :meth:`update_nearest`).

    Raises
    ------
    ServiceMapError
        If the id is taken, no location is given, or the point is off the network.
    """
    sid = str(id)
    if sid in view._index:
        raise ServiceMapError(f"service id {sid!r} already exists")
    if xy is None:
        if lonlat is None:
            raise ServiceMapError(f"what-if service {sid!r}: give xy or lonlat")
        from mapping.study_area import to_27700

        east, north = to_27700(*lonlat)
        xy = (float(east), float(north))
    node, seconds, dist, ok = snap_arrays(
        snap_points(view.network, np.array([xy]), view.max_snap_m)
    )
    if not ok[0]:
        raise ServiceMapError(
            f"what-if service {sid!r}: {off_network_reason(dist[0], view.max_snap_m)}"
        )
    rec = {
        "id": sid,
        "name": name or sid,
        "category": category,
        "opening_hours": opening_hours or "",
        "min_age": age_bound(min_age, -np.inf),
        "max_age": age_bound(max_age, np.inf),
        "crime_types": crime_tuple(crime_types),
        "provider_area": provider_area,
        "xy": (float(xy[0]), float(xy[1])),
    }
    view._append(rec, int(node[0]), float(seconds[0]), what_if=True)
    view._known_categories.add(category)
    return sid
