"""The travel-time engine: drive minutes from every origin to every service, once.

Travel is *to* a service, so shortest paths run on the reversed road graph (the
transpose of the CSR matrix of edge seconds) from each service's node with
:func:`scipy.sparse.csgraph.dijkstra`. One search per service node gives that service's
minutes from every origin; the engine keeps these vectors as a dense ``float32`` matrix
(services × origins) per speed profile, filled lazily, service by service, the first
time a query needs them. Snap time is included at both ends: origin point → its road
node, and the service's road node → the service.

Every question after that (which category, at what time of the week through opening
hours, which age band or crime type, with services added or removed) is a minimum over
a subset of rows of that matrix, not a new search. A what-if site costs one more search.

Rules
-----
Opening hours
    ``at`` picks both the services that are open (:func:`mapping.inputs.hours.is_open`) and the
    speed profile (:func:`mapping.network.profile_for`). With no ``at`` every service
    counts as open and the ``daytime`` profile is used (the slower, cautious choice).
    Hours count only as stated: an ``unknown`` state, or no hours at all, is closed.
Age eligibility (``age_rule="overlap"``, the default)
    A service counts for an age band when its ``[min_age, max_age]`` range *overlaps*
    the band. Census bands are coarse (16-24, 65+), and a commissioner asking "can young
    people reach a service?" expects Nest Lancashire (8-18) to count for both the 0-15
    and the 16-24 bands it serves; containment would make every age-limited service
    invisible to every band it only partly covers and overstate gaps. The cost: a band
    can show as served when only part of it is eligible (an 18+ service counts for
    16-24). ``age_rule="contains"`` is the strict reading (the service covers the whole
    band), for sensitivity checks. Missing ages mean no limit.
Crime type
    A service counts when its ``crime_types`` contain the requested type or ``"all"``.
Unroutable services
    Services without a point (confidential refuges, county-wide helplines) or more than
    ``max_snap_m`` from the road network are never routed to; they are listed in
    :attr:`TravelEngine.skipped` with the reason.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from mapping.caching import Cache
from mapping.errors import ServiceMapError
from mapping.inputs.hours import is_open
from mapping.inputs.vocabulary import CATEGORIES
from mapping.inputs.when import moment_of
from mapping.network.graph import RoadNetwork
from mapping.network.profiles import profile_for
from mapping.network.snap import MAX_SNAP_M
from mapping.routing.eligibility import AgeRule, serves_ages
from mapping.routing.paths import (
    as_search_graph,
    off_network_reason,
    profile_matrix,
    snap_arrays,
    snap_points,
)
from mapping.routing.records import (
    DEFAULT_PROFILE,
    SERVICE_COLUMNS,
    NearestResult,
    Query,
    service_records,
    skip_row,
)
from mapping.routing.vectors import service_minutes

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "DEFAULT_PROFILE",
    "NearestResult",
    "Query",
    "TravelEngine",
    "category_tuple",
]


#: (opening hours, moment) answers each engine keeps (a week of slots for every
#: distinct opening-hours expression of a register fits many times over).
OPEN_CACHE_SIZE = 65_536


def category_tuple(category: Any) -> tuple[str, ...] | None:
    """A query's categories as a tuple of words (``None``: every category).

    Raises
    ------
    ServiceMapError
        When ``category`` is not a word, an iterable of words or ``None``.
    """
    if category is None:
        return None
    if isinstance(category, str):
        return (category,)
    words = tuple(category) if isinstance(category, Iterable) else None
    if words is None or not all(isinstance(c, str) for c in words):
        raise ServiceMapError(
            "category must be a service category such as 'sarc', a list of them "
            f"or None (every category), not {category!r}"
        )
    return words


class TravelEngine:
    """Drive minutes from every origin to every routable service, computed once.

    Parameters
    ----------
    network
        The road network.
    origins_xy
        ``(n, 2)`` origin easting/northing (EPSG:27700 metres).
    services
        The services register (see :func:`mapping.inputs.register.load_register`): columns
        ``id``, ``category`` and, where known, ``name``, ``opening_hours``, ``min_age``,
        ``max_age``, ``crime_types``, ``provider_area``, ``confidential``, and a point
        ``geometry`` in EPSG:27700 (or ``easting``/``northing`` columns).
    origin_ids
        Identifiers of the origins (default ``0 .. n-1``).
    max_snap_m
        Origins or services farther than this from a road node are not routed.
    limit_minutes
        Optional search horizon: times beyond it are stored as ``inf``. Makes each
        search cheaper when only "within N minutes" matters; leave ``None`` for exact
        nearest-service times everywhere.

    Attributes
    ----------
    services
        Routable services with their road ``node`` and ``snap_seconds``, one row per
        row of the minutes matrices (what-if services are appended, ``what_if=True``).
    skipped
        Services that cannot be routed to: ``id``, ``name``, ``category``, ``reason``.
    origin_ok
        Whether each origin is within ``max_snap_m`` of the network.
    """

    def __init__(
        self,
        network: RoadNetwork,
        origins_xy: np.ndarray,
        services: pd.DataFrame,
        *,
        origin_ids: Sequence[Any] | np.ndarray | None = None,
        max_snap_m: float = MAX_SNAP_M,
        limit_minutes: float | None = None,
    ) -> None:
        self.network = network
        #: The origins frame when built by :func:`mapping.routing.loading.build_engine`.
        self.origins: gpd.GeoDataFrame | None = None
        self.max_snap_m = float(max_snap_m)
        self.limit_minutes = limit_minutes
        xy = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
        self.origin_ids = np.arange(xy.shape[0]) if origin_ids is None else np.asarray(origin_ids)
        if self.origin_ids.shape[0] != xy.shape[0]:
            raise ValueError("origin_ids and origins_xy differ in length")
        node, seconds, _, ok = snap_arrays(snap_points(network, xy, self.max_snap_m))
        self._origin_node = node
        self._origin_seconds = np.where(ok, seconds, np.inf)
        self.origin_ok = ok

        self._lock = threading.RLock()
        # A base engine owns all its rows; a what-if view (:meth:`with_sites`) shares
        # the base's first ``_n_shared`` rows and owns the rest.
        self._root: TravelEngine | None = None
        self._n_shared = 0
        self._n_own = 0
        self._reversed: Cache[str, sp.csr_matrix] = Cache(maxsize=8)
        self._minutes: dict[str, np.ndarray] = {}
        self._done: dict[str, np.ndarray] = {}
        # Each engine and each view its own (a view's hours never enter the base's).
        self._open_cache: Cache[tuple[str, datetime], bool] = Cache(maxsize=OPEN_CACHE_SIZE)
        self._rows: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}
        self._services_frame: pd.DataFrame | None = None
        skipped: list[dict[str, Any]] = []

        records = service_records(services)
        seen: set[str] = set()
        for rec in records:
            if rec["id"] in seen:
                raise ServiceMapError(f"services table: duplicate service id {rec['id']!r}")
            seen.add(rec["id"])
        routable = [r for r in records if r["xy"] is not None]
        for rec in records:
            if rec["xy"] is None:
                why = "confidential address" if rec["confidential"] else "no site address"
                skipped.append(skip_row(rec, f"{why}: no point to route to"))
        if routable:
            pts = np.array([r["xy"] for r in routable], dtype=float)
            s_node, s_sec, s_dist, s_ok = snap_arrays(snap_points(network, pts, self.max_snap_m))
            for i, rec in enumerate(routable):
                if not s_ok[i]:
                    skipped.append(skip_row(rec, off_network_reason(s_dist[i], self.max_snap_m)))
                    continue
                self._append(rec, int(s_node[i]), float(s_sec[i]), what_if=False)
        self.skipped = pd.DataFrame(skipped, columns=["id", "name", "category", "reason"])
        self._known_categories = {r["category"] for r in records}
        self._n_own = len(self._rows)

    def _append(self, rec: Mapping[str, Any], node: int, snap_s: float, *, what_if: bool) -> int:
        row = {k: rec[k] for k in SERVICE_COLUMNS}
        row["confidential"] = bool(rec.get("confidential", False))
        row.update(
            x=rec["xy"][0],
            y=rec["xy"][1],
            node=node,
            snap_seconds=snap_s,
            what_if=what_if,
        )
        self._index[row["id"]] = len(self._rows)
        self._rows.append(row)
        self._services_frame = None
        return len(self._rows) - 1

    # -- what-if views ----------------------------------------------------------------

    @property
    def root(self) -> TravelEngine:
        """The base engine this one derives from (itself for a base engine)."""
        return self._root if self._root is not None else self

    def with_sites(self, sites: Iterable[Mapping[str, Any]]) -> TravelEngine:
        """A new engine: the base engine's services plus what-if sites.

        Nothing is changed on this engine or its base: the view shares the base's
        (read-only) per-service vectors and keeps the what-if sites' own vectors, each
        costing one search per profile when first used. Views always derive from the
        base, so the sites of a view's own view replace, not add to, its sites.

        Parameters
        ----------
        sites
            Mappings of :func:`mapping.routing.overlay.add_site` arguments (``id``,
            ``xy`` or ``lonlat``,
            ``category`` and optional ``name``, ``opening_hours``, ``min_age``,
            ``max_age``, ``crime_types``, ``provider_area``).

        Raises
        ------
        ServiceMapError
            If a site's id is taken, it has no location, or it is off the network.
        """
        from mapping.routing.overlay import derive_view

        return derive_view(self.root, sites)

    # -- introspection ----------------------------------------------------------------

    @property
    def services(self) -> pd.DataFrame:
        """Routable services (one row per matrix row), what-if services last."""
        if self._services_frame is None:
            columns = [*SERVICE_COLUMNS, "x", "y", "node", "snap_seconds", "what_if"]
            frame = pd.DataFrame(self._rows, columns=columns)
            # Never hand out a confidential site's point, even if the register had one.
            secret = np.array([r.get("confidential", False) for r in self._rows], dtype=bool)
            frame.loc[secret, ["x", "y"]] = np.nan
            self._services_frame = frame
        return self._services_frame

    @property
    def service_ids(self) -> tuple[str, ...]:
        """Ids of the routable services, in matrix row order."""
        return tuple(r["id"] for r in self._rows)

    @property
    def n_origins(self) -> int:
        """Number of origins."""
        return int(self.origin_ids.shape[0])

    def computed(self, profile: str) -> np.ndarray:
        """Boolean array: which service rows already have minutes for ``profile``."""
        own = self._done.get(profile)
        own = np.zeros(self._n_own, bool) if own is None else own.copy()
        if self._root is None:
            return own
        shared = self._root.computed(profile)[: self._n_shared]
        return np.concatenate([shared, own])

    # -- the per-service vectors ------------------------------------------------------

    def _reversed_graph(self, profile: str) -> sp.csr_matrix:
        # Travel is to the service: searching backwards from it on the transpose
        # gives, in one pass, the time from every node to that service.
        return self._reversed.get(
            profile, lambda: as_search_graph(profile_matrix(self.network, profile).T)
        )

    def _ensure(self, rows: np.ndarray, profile: str) -> None:
        """Compute (once) the minutes vectors of the given service rows for ``profile``."""
        rows = np.asarray(rows, dtype=np.int64)
        if self._root is not None:
            # Shared rows are the base's: computed (once) there, for every view.
            self._root._ensure(rows[rows < self._n_shared], profile)
        own = rows[rows >= self._n_shared] - self._n_shared
        if own.size == 0:
            return
        graph = self.root._reversed_graph(profile)  # the base's, under its cache's lock
        with self._lock:
            if profile not in self._minutes:
                shape = (self._n_own, self.n_origins)
                self._minutes[profile] = np.full(shape, np.nan, np.float32)
                self._done[profile] = np.zeros(self._n_own, bool)
            todo = np.unique(own[~self._done[profile][own]])
            if todo.size == 0:
                return
            records = [self._rows[self._n_shared + i] for i in todo]
            services = [(int(r["node"]), float(r["snap_seconds"])) for r in records]
            # Searched once per process for every engine on this network (vectors.py).
            self._minutes[profile][todo] = service_minutes(self, graph, services, profile)
            self._done[profile][todo] = True

    def _block(self, rows: np.ndarray, profile: str) -> np.ndarray:
        """Minutes of the given rows (already computed) as a ``(rows, origins)`` array."""
        rows = np.asarray(rows, dtype=np.int64)
        if self._root is None:
            return self._minutes[profile][rows]
        out = np.empty((rows.size, self.n_origins), np.float32)
        shared = rows < self._n_shared
        if shared.any():
            out[shared] = self._root._minutes[profile][rows[shared]]
        if (~shared).any():
            out[~shared] = self._minutes[profile][rows[~shared] - self._n_shared]
        return out

    def minutes_to(self, service_ids: Iterable[str], profile: str = DEFAULT_PROFILE) -> np.ndarray:
        """Return minutes from every origin to each service.

        Parameters
        ----------
        service_ids
            Ids of routable services (see :attr:`service_ids`).
        profile
            Speed profile.

        Returns
        -------
        numpy.ndarray
            ``(len(service_ids), n_origins)`` float32, ``inf`` where unreachable.
        """
        rows = self._rows_of(service_ids)
        self._ensure(rows, profile)
        return self._block(rows, profile)

    def warm(self, profiles: Iterable[str] | None = None) -> None:
        """Compute every service's vector for the given profiles (default: all)."""
        rows = np.arange(len(self._rows))
        for profile in profiles if profiles is not None else self.network.seconds:
            self._ensure(rows, profile)

    def _rows_of(self, service_ids: Iterable[str]) -> np.ndarray:
        if isinstance(service_ids, str):
            service_ids = [service_ids]
        rows = []
        for sid in service_ids:
            key = str(sid)
            if key not in self._index:
                reason = self.skipped.loc[self.skipped["id"] == key, "reason"]
                why = f": skipped ({reason.iloc[0]})" if len(reason) else ""
                raise ServiceMapError(f"service {key!r} cannot be routed to{why}")
            rows.append(self._index[key])
        return np.asarray(rows, dtype=np.int64)

    # -- eligibility ------------------------------------------------------------------

    def _is_open(self, expr: str, at: datetime) -> bool:
        if not expr.strip():
            # No stated hours: like an "unknown" state, never promised as open.
            return False
        return self._open_cache.get((expr, at), lambda: bool(is_open(expr, at)))

    def query(
        self,
        category: str | Sequence[str] | None = None,
        at: datetime | str | None = None,
        age_band: str | tuple[int, int | None] | None = None,
        crime_type: str | None = None,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        extra_services: Iterable[str | Mapping[str, Any]] | None = None,
        hours_override: Mapping[str, str] | None = None,
        *,
        age_rule: AgeRule = "overlap",
        profile: str | None = None,
    ) -> Query:
        """Validate and normalise query arguments (see :meth:`nearest`)."""
        category = category_tuple(category)
        if category is not None:
            # A category of the vocabulary with no services in this register is a finding
            # (nobody is reached), not an error; only a word outside it is a mistake.
            unknown = [
                c for c in category if c not in self._known_categories and c not in CATEGORIES
            ]
            if unknown:
                known = ", ".join(CATEGORIES)
                raise ServiceMapError(f"unknown service category {unknown}; known: {known}")
        when = None
        if at is not None:
            when = moment_of(at)
        if profile is None:
            profile = DEFAULT_PROFILE if when is None else profile_for(when)
        profile_matrix(self.network, profile)
        if isinstance(age_band, str):
            from mapping.inputs.vocabulary import AGE_BANDS

            if age_band not in AGE_BANDS:
                raise ServiceMapError(
                    f"unknown age band {age_band!r}; known: {', '.join(AGE_BANDS)}"
                )
        if age_rule not in ("overlap", "contains"):
            raise ServiceMapError(f"age_rule must be 'overlap' or 'contains', not {age_rule!r}")
        extras: list[str] = []
        for item in extra_services or ():
            if isinstance(item, Mapping):
                raise ServiceMapError(
                    "what-if sites are added with TravelEngine.with_sites(), not per query"
                )
            else:
                extras.append(str(item))
        return Query(
            category=category,
            at=when,
            age_band=tuple(age_band) if isinstance(age_band, list) else age_band,
            crime_type=crime_type,
            include=tuple(str(s) for s in include or ()),
            exclude=tuple(str(s) for s in exclude or ()),
            extra_services=tuple(extras),
            hours_override=tuple(sorted((str(k), v) for k, v in (hours_override or {}).items())),
            age_rule=age_rule,
            profile=profile,
        )

    def _eligible(self, row: Mapping[str, Any], q: Query, overrides: Mapping[str, str]) -> bool:
        sid = row["id"]
        if sid in q.exclude:
            return False
        if sid not in q.include:
            if row["what_if"] and sid not in q.extra_services:
                return False
            if q.category is not None and row["category"] not in q.category:
                return False
        if q.age_band is not None and not serves_ages(
            row["min_age"], row["max_age"], q.age_band, q.age_rule
        ):
            return False
        if q.crime_type is not None and not (
            q.crime_type in row["crime_types"] or "all" in row["crime_types"]
        ):
            return False
        if q.at is not None:
            expr = overrides.get(sid, row["opening_hours"])
            if not self._is_open(expr, q.at):
                return False
        return True

    def eligible_rows(self, q: Query) -> np.ndarray:
        """Rows of :attr:`services` that are eligible and open for query ``q``."""
        overrides = dict(q.hours_override)
        for sid in (*q.include, *q.extra_services):
            if sid not in self._index:
                self._rows_of([sid])  # raises a clear error
        return np.array(
            [i for i, row in enumerate(self._rows) if self._eligible(row, q, overrides)],
            dtype=np.int64,
        )

    # -- queries ----------------------------------------------------------------------

    def nearest(
        self,
        category: str | Sequence[str] | None = None,
        at: datetime | str | None = None,
        age_band: str | tuple[int, int | None] | None = None,
        crime_type: str | None = None,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        extra_services: Iterable[str | Mapping[str, Any]] | None = None,
        hours_override: Mapping[str, str] | None = None,
        *,
        age_rule: AgeRule = "overlap",
        profile: str | None = None,
    ) -> NearestResult:
        """Return, for every origin, the nearest eligible open service.

        Parameters
        ----------
        category
            A category (``"sarc"``), several, or ``None`` for every category.
        at
            When the journey is made: a datetime, ``"Mon 10:00"`` ... ``"Sun 23:59"`` or
            an ISO date-time. Selects open services and the speed profile. ``None``:
            ignore opening hours and use the ``daytime`` profile.
        age_band
            An age band key (``"age_16_24"``) or ``(min_age, max_age)`` pair; services
            whose age range does not fit it under ``age_rule`` are left out.
        crime_type
            Keep services whose ``crime_types`` contain it or ``"all"``.
        include
            Service ids considered whatever their category (still subject to hours and
            eligibility), e.g. a what-if site of another category.
        exclude
            Service ids removed from consideration ("what if this closed?").
        extra_services
            What-if services of this view (see :meth:`with_sites`) to consider. They obey
            the category, hours and eligibility filters like registered services.
        hours_override
            ``{service_id: opening_hours}`` replacing a service's hours for this query
            ("what if the SARC examined 24/7?").
        age_rule
            ``"overlap"`` (default) or ``"contains"``; see the module notes.
        profile
            Force a speed profile instead of the one ``at`` implies.

        Returns
        -------
        NearestResult
        """
        q = self.query(
            category,
            at,
            age_band,
            crime_type,
            include,
            exclude,
            extra_services,
            hours_override,
            age_rule=age_rule,
            profile=profile,
        )
        return self._nearest(q)

    def _nearest(self, q: Query) -> NearestResult:
        rows = self.eligible_rows(q)
        n = self.n_origins
        if rows.size == 0:
            return self._result(q, np.full(n, -1), np.full(n, np.inf), ())
        self._ensure(rows, q.profile)
        block = self._block(rows, q.profile)
        best = np.argmin(block, axis=0)
        minutes = block[best, np.arange(n)].astype(np.float64)
        index = np.where(np.isfinite(minutes), rows[best], -1)
        candidates = tuple(self._rows[i]["id"] for i in rows)
        return self._result(q, index, minutes, candidates)

    def _result(
        self, q: Query, index: np.ndarray, minutes: np.ndarray, candidates: tuple[str, ...]
    ) -> NearestResult:
        ids = np.array([r["id"] for r in self._rows] + [None], dtype=object)
        areas = np.array([r["provider_area"] for r in self._rows] + [None], dtype=object)
        # Index -1 picks the trailing None: no service.
        index = np.asarray(index, dtype=np.int64)
        minutes = np.where(index >= 0, minutes, np.inf)
        return NearestResult(
            origin_ids=self.origin_ids,
            service_id=ids[index],
            minutes=minutes,
            provider_area=areas[index],
            service_index=index,
            candidates=candidates,
            query=q,
        )

    def update_nearest(self, result: NearestResult, service_id: str) -> NearestResult:
        """Return ``result`` with one more service considered, without re-running others.

        One search on the reversed graph (if the service's vector is not yet known) and
        an element-wise minimum: equal to re-running the query with the service listed
        in ``extra_services``.
        """
        sid = str(service_id)
        row = int(self._rows_of([sid])[0])
        q = result.query
        if sid not in q.extra_services and sid not in q.include:
            q = replace(q, extra_services=(*q.extra_services, sid))
        if not self._eligible(self._rows[row], q, dict(q.hours_override)):
            return replace(result, query=q)
        vec = self.minutes_to([sid], q.profile)[0].astype(np.float64)
        # Strict < keeps the earlier service on ties, as argmin over rows does.
        better = vec < result.minutes
        index = np.where(better, row, result.service_index)
        minutes = np.where(better, vec, result.minutes)
        return self._result(q, index, minutes, (*result.candidates, sid))
