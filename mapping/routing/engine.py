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

import csv
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from mapping.errors import ServiceMapError
from mapping.inputs.hours import is_open, parse_when
from mapping.network.graph import RoadNetwork
from mapping.network.profiles import profile_for
from mapping.network.snap import MAX_SNAP_M, snap

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "DEFAULT_PROFILE",
    "MATRIX_PARTIAL_EXIT_CODE",
    "MatrixReport",
    "NearestResult",
    "ODMatrix",
    "Query",
    "TravelEngine",
    "od_matrix",
    "run_matrix",
]

#: Profile used when a query names no time: typical daytime speeds (slower, cautious).
DEFAULT_PROFILE = "daytime"
#: Exit code of ``service-map matrix`` when the output was written but some input rows
#: were skipped (0: every row used; 1: nothing written; 2: command-line usage error).
MATRIX_PARTIAL_EXIT_CODE = 3
AgeRule = Literal["overlap", "contains"]

# Keep each block of dijkstra output under ~64 MB: rows × nodes × 8 bytes.
_BLOCK_BYTES = 64 * 2**20
# Unfilled rows kept at the end of each minutes matrix for what-if services.
_SPARE_ROWS = 16


# ---- low-level shortest paths -------------------------------------------------------


def _as_search_graph(matrix: sp.spmatrix | sp.sparray) -> sp.csr_matrix:
    """Return ``matrix`` as float64 CSR, the form csgraph uses without another copy."""
    graph = sp.csr_matrix(matrix, dtype=np.float64)
    graph.sort_indices()
    return graph


def _seconds_between(
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
    block = max(1, _BLOCK_BYTES // (8 * max(graph.shape[0], 1)))
    for start in range(0, unique.size, block):
        chunk = unique[start : start + block]
        dist = dijkstra(graph, directed=True, indices=chunk, limit=limit)
        dist = np.atleast_2d(dist)[:, targets]
        rows = (inverse >= start) & (inverse < start + chunk.size)
        out[rows] = dist[inverse[rows] - start]
    return out


def _snap(network: RoadNetwork, xy: np.ndarray, max_snap_m: float) -> Any:
    """Snap points with the network module (one snapping rule for the whole package)."""
    return snap(network, np.asarray(xy, dtype=float).reshape(-1, 2), max_distance_m=max_snap_m)


def _snap_arrays(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    node = np.asarray(result.node)
    ok = np.asarray(result.ok, dtype=bool)
    seconds = np.asarray(result.seconds, dtype=float)
    distance = np.asarray(result.distance_m, dtype=float)
    return np.where(ok, node, 0).astype(np.int64), seconds, distance, ok


# ---- origin-destination matrix ------------------------------------------------------


@dataclass(frozen=True)
class ODMatrix:
    """Drive minutes between origin and destination points.

    Attributes
    ----------
    minutes
        ``(n_origins, n_destinations)`` float array: minutes from origin i to
        destination j including snap time at both ends; ``nan`` where either point is
        off the network and ``inf`` where no road route exists.
    origin_ok, destination_ok
        Whether each point was within the snap distance of the network.
    origin_snap_m, destination_snap_m
        Distance from each point to its road node (metres).
    profile
        The speed profile used.
    """

    minutes: np.ndarray
    origin_ok: np.ndarray
    destination_ok: np.ndarray
    origin_snap_m: np.ndarray
    destination_snap_m: np.ndarray
    profile: str


def od_matrix(
    network: RoadNetwork,
    origins_xy: np.ndarray,
    destinations_xy: np.ndarray,
    profile: str = DEFAULT_PROFILE,
    *,
    max_snap_m: float = MAX_SNAP_M,
    max_minutes: float | None = None,
) -> ODMatrix:
    """Return drive minutes from every origin to every destination.

    Searches run from whichever side has fewer distinct road nodes: backwards from the
    destinations on the reversed graph, or forwards from the origins; both give the same
    times, the smaller side means fewer searches.

    Parameters
    ----------
    network
        The road network.
    origins_xy, destinations_xy
        ``(n, 2)`` easting/northing arrays in EPSG:27700 metres.
    profile
        Speed profile (a key of ``network.seconds``).
    max_snap_m
        Points farther than this from the network are not routed (``nan`` minutes).
    max_minutes
        Stop searching beyond this many minutes (pairs beyond it get ``inf``).

    Returns
    -------
    ODMatrix
    """
    graph = _profile_matrix(network, profile)
    o_node, o_sec, o_dist, o_ok = _snap_arrays(_snap(network, origins_xy, max_snap_m))
    d_node, d_sec, d_dist, d_ok = _snap_arrays(_snap(network, destinations_xy, max_snap_m))
    limit = np.inf if max_minutes is None else float(max_minutes) * 60.0
    minutes = np.full((o_node.size, d_node.size), np.nan)
    oi, di = np.flatnonzero(o_ok), np.flatnonzero(d_ok)
    if oi.size and di.size:
        if np.unique(d_node[di]).size <= np.unique(o_node[oi]).size:
            reverse = _as_search_graph(graph.T)
            road = _seconds_between(reverse, d_node[di], o_node[oi], limit).T
        else:
            road = _seconds_between(_as_search_graph(graph), o_node[oi], d_node[di], limit)
        total = (road + o_sec[oi, None] + d_sec[None, di]) / 60.0
        if max_minutes is not None:
            total[total > max_minutes] = np.inf
        minutes[np.ix_(oi, di)] = total
    return ODMatrix(minutes, o_ok, d_ok, o_dist, d_dist, profile)


def _profile_matrix(network: RoadNetwork, profile: str) -> sp.csr_matrix:
    try:
        return network.seconds[profile]
    except KeyError:
        known = ", ".join(sorted(network.seconds))
        raise ServiceMapError(f"unknown speed profile {profile!r}; known: {known}") from None


# ---- services table -----------------------------------------------------------------

_SERVICE_COLUMNS = (
    "id",
    "name",
    "category",
    "opening_hours",
    "min_age",
    "max_age",
    "crime_types",
    "provider_area",
)


def _crime_tuple(value: Any) -> tuple[str, ...]:
    """Normalise a ``crime_types`` cell: a tuple/list, or text split on ``;`` or ``,``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ("all",)
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(",", ";").split(";")]
        return tuple(p for p in parts if p) or ("all",)
    return tuple(str(v).strip() for v in value) or ("all",)


def _age_bound(value: Any, missing: float) -> float:
    if value is None or value is pd.NA:
        return missing
    try:
        number = float(value)
    except (TypeError, ValueError):
        return missing
    return missing if math.isnan(number) else number


def _point_xy(geometry: Any) -> tuple[float, float] | None:
    if geometry is None or getattr(geometry, "is_empty", True):
        return None
    return float(geometry.x), float(geometry.y)


def _text(value: Any, default: str = "") -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return default
    return str(value)


def _service_records(services: pd.DataFrame) -> list[dict[str, Any]]:
    """Turn a register frame into plain records with ``xy`` (or ``None``) per service."""
    missing = [c for c in ("id", "category") if c not in services.columns]
    if missing:
        raise ServiceMapError(f"services table lacks column(s) {missing}")
    has_geometry = "geometry" in services.columns
    has_xy = {"easting", "northing"} <= set(services.columns)
    records = []
    for row in services.to_dict("records"):
        xy = None
        if has_geometry:
            xy = _point_xy(row.get("geometry"))
        elif has_xy and pd.notna(row["easting"]) and pd.notna(row["northing"]):
            xy = (float(row["easting"]), float(row["northing"]))
        records.append(
            {
                "id": str(row["id"]),
                "name": _text(row.get("name"), str(row["id"])),
                "category": _text(row.get("category")),
                "opening_hours": _text(row.get("opening_hours")),
                "min_age": _age_bound(row.get("min_age"), -np.inf),
                "max_age": _age_bound(row.get("max_age"), np.inf),
                "crime_types": _crime_tuple(row.get("crime_types")),
                "provider_area": _text(row.get("provider_area"), "Lancashire"),
                "confidential": bool(row.get("confidential", False) or False),
                "xy": xy,
            }
        )
    return records


# ---- queries and results ------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """What a :meth:`TravelEngine.nearest` call asked, kept with its answer.

    ``category`` is ``None`` (every category) or a tuple of categories; ``at`` the
    moment of the week (``None``: ignore opening hours); ``age_band`` an
    :data:`mapping.geography.AGE_BANDS` key or an ``(min_age, max_age)`` pair;
    ``hours_override`` maps service ids to replacement opening-hours expressions.
    """

    category: tuple[str, ...] | None = None
    at: datetime | None = None
    age_band: str | tuple[int, int | None] | None = None
    crime_type: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extra_services: tuple[str, ...] = ()
    hours_override: tuple[tuple[str, str], ...] = ()
    age_rule: AgeRule = "overlap"
    profile: str = DEFAULT_PROFILE


@dataclass(frozen=True)
class NearestResult:
    """For every origin, the nearest eligible open service and the drive time to it.

    Attributes
    ----------
    origin_ids
        Origin identifiers, in the engine's origin order.
    service_id
        Object array: id of the nearest service, ``None`` where no eligible open service
        can be reached (or the origin is off the network).
    minutes
        Float array of drive minutes to it; ``inf`` where ``service_id`` is ``None``.
    provider_area
        Object array: the service's provider area (``"Lancashire"``, ``"Greater
        Manchester"``, ...), ``None`` where there is no service.
    service_index
        Row of the chosen service in :attr:`TravelEngine.services` (``-1``: none).
    candidates
        Ids of the services that were eligible and open for this query.
    query
        The query that produced this result (profile included).
    """

    origin_ids: np.ndarray
    service_id: np.ndarray
    minutes: np.ndarray
    provider_area: np.ndarray
    service_index: np.ndarray
    candidates: tuple[str, ...]
    query: Query = field(default_factory=Query)

    @property
    def profile(self) -> str:
        """The speed profile the minutes were computed with."""
        return self.query.profile

    def within(self, minutes: float) -> np.ndarray:
        """Boolean array: origins whose nearest service is at most ``minutes`` away."""
        return self.minutes <= minutes

    def to_frame(self) -> pd.DataFrame:
        """Return ``origin_id, service_id, minutes, provider_area`` (``NaN`` for none)."""
        minutes = np.where(np.isfinite(self.minutes), self.minutes, np.nan)
        return pd.DataFrame(
            {
                "origin_id": self.origin_ids,
                "service_id": self.service_id,
                "minutes": minutes,
                "provider_area": self.provider_area,
            }
        )


# ---- the engine ---------------------------------------------------------------------


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
        #: The origins frame when built by :meth:`from_study` (else ``None``).
        self.origins: gpd.GeoDataFrame | None = None
        self.max_snap_m = float(max_snap_m)
        self.limit_minutes = limit_minutes
        xy = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
        self.origin_ids = np.arange(xy.shape[0]) if origin_ids is None else np.asarray(origin_ids)
        if self.origin_ids.shape[0] != xy.shape[0]:
            raise ValueError("origin_ids and origins_xy differ in length")
        node, seconds, _, ok = _snap_arrays(_snap(network, xy, self.max_snap_m))
        self._origin_node = node
        self._origin_seconds = np.where(ok, seconds, np.inf)
        self.origin_ok = ok

        self._lock = threading.RLock()
        self._reversed: dict[str, sp.csr_matrix] = {}
        self._minutes: dict[str, np.ndarray] = {}
        self._done: dict[str, np.ndarray] = {}
        self._open_cache: dict[tuple[str, datetime], bool] = {}
        self._rows: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}
        self._services_frame: pd.DataFrame | None = None
        skipped: list[dict[str, Any]] = []

        records = _service_records(services)
        seen: set[str] = set()
        for rec in records:
            if rec["id"] in seen:
                raise ServiceMapError(f"services table: duplicate service id {rec['id']!r}")
            seen.add(rec["id"])
        routable = [r for r in records if r["xy"] is not None]
        for rec in records:
            if rec["xy"] is None:
                why = "confidential address" if rec["confidential"] else "no site address"
                skipped.append(_skip_row(rec, f"{why}: no point to route to"))
        if routable:
            pts = np.array([r["xy"] for r in routable], dtype=float)
            s_node, s_sec, s_dist, s_ok = _snap_arrays(_snap(network, pts, self.max_snap_m))
            for i, rec in enumerate(routable):
                if not s_ok[i]:
                    skipped.append(_skip_row(rec, _off_network(s_dist[i], self.max_snap_m)))
                    continue
                self._append(rec, int(s_node[i]), float(s_sec[i]), what_if=False)
        self.skipped = pd.DataFrame(skipped, columns=["id", "name", "category", "reason"])
        self._known_categories = {r["category"] for r in records}

    # -- construction helpers ---------------------------------------------------------

    @classmethod
    def from_study(
        cls,
        network: str | RoadNetwork = "offline",
        *,
        data_dir: Path | None = None,
        sources: Any = None,
        register: Path | pd.DataFrame | None = None,
        origins: gpd.GeoDataFrame | None = None,
        build_if_missing: bool = True,
        **kwargs: Any,
    ) -> TravelEngine:
        """Build the engine for the study: default network, Lancashire origins, register.

        Parameters
        ----------
        network
            ``"offline"`` or ``"osm"`` (loaded with :func:`mapping.network.load_network`)
            or a network already loaded.
        data_dir
            Folder of generated data (default :func:`mapping.store.default_data_dir`).
        sources
            Raw sources folder (or located :class:`mapping.inputs.sources.Sources`).
        register
            Services register: a path, a loaded frame, or ``None`` for the default.
        origins
            Origins frame (default :func:`mapping.geography.load_origins`).
        build_if_missing
            Build the network if it is not cached yet.
        **kwargs
            Passed to :class:`TravelEngine` (``max_snap_m``, ``limit_minutes``).
        """
        from mapping import geography
        from mapping.inputs.sources import Sources, locate_sources

        if sources is not None and not isinstance(sources, Sources):
            sources = locate_sources(sources)
        if isinstance(network, str):
            from mapping.network import load_network

            network = load_network(
                network, data_dir=data_dir, sources=sources, build_if_missing=build_if_missing
            )
        if origins is None:
            origins = geography.load_origins(data_dir)
        if not isinstance(register, pd.DataFrame):
            from mapping.inputs.register import load_register

            register = load_register(register, sources=sources)
        if {"easting", "northing"} <= set(origins.columns):
            xy = origins[["easting", "northing"]].to_numpy(float)
        else:
            xy = np.column_stack([origins.geometry.x, origins.geometry.y])
        engine = cls(network, xy, register, origin_ids=origins["origin_id"].to_numpy(), **kwargs)
        engine.origins = origins
        return engine

    def _append(self, rec: Mapping[str, Any], node: int, snap_s: float, *, what_if: bool) -> int:
        row = {k: rec[k] for k in _SERVICE_COLUMNS}
        row["confidential"] = bool(rec.get("confidential", False))
        row.update(
            x=rec["xy"][0],
            y=rec["xy"][1],
            node=node,
            snap_seconds=snap_s,
            what_if=what_if,
        )
        with self._lock:
            self._index[row["id"]] = len(self._rows)
            self._rows.append(row)
            self._services_frame = None
            for profile, matrix in self._minutes.items():
                if matrix.shape[0] < len(self._rows):
                    # Grow with spare rows so a run of what-ifs does not copy every time.
                    spare = max(_SPARE_ROWS, matrix.shape[0] // 4)
                    pad = np.full((spare, matrix.shape[1]), np.nan, np.float32)
                    self._minutes[profile] = np.vstack([matrix, pad])
                    self._done[profile] = np.concatenate(
                        [self._done[profile], np.zeros(spare, bool)]
                    )
                self._done[profile][len(self._rows) - 1] = False
        return len(self._rows) - 1

    # -- introspection ----------------------------------------------------------------

    @property
    def services(self) -> pd.DataFrame:
        """Routable services (one row per matrix row), what-if services last."""
        if self._services_frame is None:
            columns = [*_SERVICE_COLUMNS, "x", "y", "node", "snap_seconds", "what_if"]
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
        done = self._done.get(profile)
        n = len(self._rows)
        return np.zeros(n, bool) if done is None else done[:n].copy()

    # -- the per-service vectors ------------------------------------------------------

    def _reversed_graph(self, profile: str) -> sp.csr_matrix:
        graph = self._reversed.get(profile)
        if graph is None:
            # Travel is to the service: searching backwards from it on the transpose
            # gives, in one pass, the time from every node to that service.
            graph = _as_search_graph(_profile_matrix(self.network, profile).T)
            self._reversed[profile] = graph
        return graph

    def _ensure(self, rows: np.ndarray, profile: str) -> None:
        """Compute (once) the minutes vectors of the given service rows for ``profile``."""
        with self._lock:
            graph = self._reversed_graph(profile)
            if profile not in self._minutes:
                # Spare rows for what-if services, so adding one copies nothing.
                n = len(self._rows) + _SPARE_ROWS
                self._minutes[profile] = np.full((n, self.n_origins), np.nan, np.float32)
                self._done[profile] = np.zeros(n, bool)
            todo = np.unique(rows[~self._done[profile][rows]])
            if todo.size == 0:
                return
            nodes = np.array([self._rows[i]["node"] for i in todo], dtype=np.int64)
            snap_s = np.array([self._rows[i]["snap_seconds"] for i in todo])
            limit = np.inf
            if self.limit_minutes is not None:
                limit = self.limit_minutes * 60.0
            ok = self.origin_ok
            road = _seconds_between(graph, nodes, self._origin_node[ok], limit)
            block = np.full((todo.size, self.n_origins), np.inf)
            block[:, ok] = road + self._origin_seconds[ok][None, :] + snap_s[:, None]
            block /= 60.0
            if self.limit_minutes is not None:
                block[block > self.limit_minutes] = np.inf
            self._minutes[profile][todo] = block.astype(np.float32)
            self._done[profile][todo] = True

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
        return self._minutes[profile][rows]

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
        key = (expr, at)
        cached = self._open_cache.get(key)
        if cached is None:
            cached = bool(is_open(expr, at))
            self._open_cache[key] = cached
        return cached

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
        if isinstance(category, str):
            category = (category,)
        if category is not None:
            category = tuple(category)
            unknown = [c for c in category if c not in self._known_categories]
            if unknown:
                known = ", ".join(sorted(self._known_categories))
                raise ServiceMapError(f"unknown service category {unknown}; known: {known}")
        when = None
        if at is not None:
            when = parse_when(at)
        if profile is None:
            profile = DEFAULT_PROFILE if when is None else profile_for(when)
        _profile_matrix(self.network, profile)
        if isinstance(age_band, str):
            from mapping.geography import AGE_BANDS

            if age_band not in AGE_BANDS:
                raise ServiceMapError(
                    f"unknown age band {age_band!r}; known: {', '.join(AGE_BANDS)}"
                )
        if age_rule not in ("overlap", "contains"):
            raise ServiceMapError(f"age_rule must be 'overlap' or 'contains', not {age_rule!r}")
        extras: list[str] = []
        for item in extra_services or ():
            if isinstance(item, Mapping):
                sid = str(item["id"])
                if sid not in self._index:
                    self.add_service(**item)
                extras.append(sid)
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

    def _age_range(self, band: str | tuple[int, int | None]) -> tuple[float, float]:
        if isinstance(band, str):
            from mapping.geography import AGE_BANDS

            lo, hi = AGE_BANDS[band]
        else:
            lo, hi = band
        return float(lo), (np.inf if hi is None else float(hi))

    def _eligible(self, row: Mapping[str, Any], q: Query, overrides: Mapping[str, str]) -> bool:
        sid = row["id"]
        if sid in q.exclude:
            return False
        if sid not in q.include:
            if row["what_if"] and sid not in q.extra_services:
                return False
            if q.category is not None and row["category"] not in q.category:
                return False
        if q.age_band is not None:
            lo, hi = self._age_range(q.age_band)
            if q.age_rule == "overlap":
                if row["min_age"] > hi or row["max_age"] < lo:
                    return False
            elif row["min_age"] > lo or row["max_age"] < hi:
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
            What-if services to consider: ids returned by :meth:`add_service`, or
            mappings of :meth:`add_service` arguments (added on first use). They obey
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
        block = self._minutes[q.profile][rows]
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

    # -- what-if ----------------------------------------------------------------------

    def add_service(
        self,
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
        provider_area: str = "Lancashire",
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
        if sid in self._index:
            raise ServiceMapError(f"service id {sid!r} already exists")
        if xy is None:
            if lonlat is None:
                raise ServiceMapError(f"what-if service {sid!r}: give xy or lonlat")
            from mapping.study_area import to_27700

            xy = tuple(float(v) for v in to_27700(*lonlat))
        node, seconds, dist, ok = _snap_arrays(_snap(self.network, np.array([xy]), self.max_snap_m))
        if not ok[0]:
            raise ServiceMapError(
                f"what-if service {sid!r}: {_off_network(dist[0], self.max_snap_m)}"
            )
        rec = {
            "id": sid,
            "name": name or sid,
            "category": category,
            "opening_hours": opening_hours or "",
            "min_age": _age_bound(min_age, -np.inf),
            "max_age": _age_bound(max_age, np.inf),
            "crime_types": _crime_tuple(crime_types),
            "provider_area": provider_area,
            "xy": (float(xy[0]), float(xy[1])),
        }
        self._append(rec, int(node[0]), float(seconds[0]), what_if=True)
        self._known_categories.add(category)
        return sid

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

    def remove_service(self, service_id: str) -> None:
        """Forget a what-if service (registered services are excluded per query instead)."""
        sid = str(service_id)
        row = int(self._rows_of([sid])[0])
        if not self._rows[row]["what_if"]:
            raise ServiceMapError(
                f"service {sid!r} is in the register; use exclude=[...] to leave it out"
            )
        with self._lock:
            del self._rows[row]
            self._index = {r["id"]: i for i, r in enumerate(self._rows)}
            self._services_frame = None
            for profile in self._minutes:
                # Shift the later rows up; the freed last row becomes spare capacity.
                self._minutes[profile][row:-1] = self._minutes[profile][row + 1 :]
                self._done[profile][row:-1] = self._done[profile][row + 1 :]
                self._done[profile][-1] = False


def _off_network(distance_m: float, limit_m: float) -> str:
    """Say how far off the network a point is (the snapper reports ``inf`` past the limit)."""
    if math.isfinite(distance_m):
        how_far = f"{distance_m / 1000:.1f} km from the nearest road"
    else:
        how_far = f"more than {limit_m / 1000:g} km from any road"
    return f"off the road network ({how_far}; limit {limit_m / 1000:g} km)"


def _skip_row(rec: Mapping[str, Any], reason: str) -> dict[str, Any]:
    return {"id": rec["id"], "name": rec["name"], "category": rec["category"], "reason": reason}


# ---- the matrix command -------------------------------------------------------------


@dataclass
class MatrixReport:
    """What :func:`run_matrix` did.

    ``problems`` holds one ``file:row:field: message`` line per skipped input row (rows
    counted as in a spreadsheet: the header is row 1). ``exit_code`` is 0 when every
    row was used and :data:`MATRIX_PARTIAL_EXIT_CODE` when some were skipped.
    """

    out: Path
    rows_written: int
    n_origins: int
    n_destinations: int
    profile: str
    problems: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 if every input row was used, else :data:`MATRIX_PARTIAL_EXIT_CODE`."""
        return MATRIX_PARTIAL_EXIT_CODE if self.problems else 0


@dataclass
class _Points:
    ids: list[str]
    xy: np.ndarray
    rows: list[int]
    fields: list[str]


def _read_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Read a CSV into its header and ``(row number, cells)`` records.

    Rows are numbered as an editor shows them: the header is row 1, and a record that
    spans several lines (a quoted newline) takes the number of its first line.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            records = []
            line = reader.line_num
            for cells in reader:
                records.append((line + 1, cells))
                line = reader.line_num
    except FileNotFoundError:
        raise ServiceMapError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ServiceMapError(f"{path}: is a folder, not a CSV file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ServiceMapError(f"{path}: not a readable CSV file ({exc})") from None
    if header is None:
        raise ServiceMapError(f"{path}: empty file; expected a header row such as 'id,postcode'")
    return [h.strip() for h in header], records


def _read_points(path: Path, problems: list[str], postcode_xy: Any) -> _Points:
    """Read an ``id`` + (``postcode`` | ``lon``,``lat``) CSV; bad rows go to ``problems``.

    Returns the usable rows, in file order, with EPSG:27700 coordinates.
    """
    header, records = _read_table(path)
    col = {name.lower(): i for i, name in reversed(list(enumerate(header)))}
    has_postcode = "postcode" in col
    has_lonlat = "lon" in col and "lat" in col
    if "id" not in col or not (has_postcode or has_lonlat):
        found = ", ".join(h for h in header if h) or "nothing"
        raise ServiceMapError(
            f"{path}: needs an 'id' column and either a 'postcode' column or 'lon' and "
            f"'lat' columns (WGS84 degrees); found: {found}"
        )

    def cell(cells: list[str], name: str) -> str:
        i = col.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    found_at: dict[str, int] = {}
    located: list[tuple[int, str, str, tuple[float, float]]] = []  # row, id, field, lon/lat
    pending: list[tuple[int, str, str]] = []  # row, id, postcode
    for row, cells in records:
        if not any(c.strip() for c in cells):
            continue  # blank line
        if len(cells) > len(header):
            problems.append(
                f"{path}:{row}:-: {len(cells)} cells but the header has {len(header)} columns"
            )
            continue
        ident = cell(cells, "id")
        if not ident:
            problems.append(f"{path}:{row}:id: empty id")
            continue
        if ident in found_at:
            first = found_at[ident]
            problems.append(f"{path}:{row}:id: duplicate id {ident!r} (first on row {first})")
            continue
        lon_text, lat_text = cell(cells, "lon"), cell(cells, "lat")
        postcode = cell(cells, "postcode")
        if has_lonlat and (lon_text or lat_text):
            lon, lat = _number(lon_text), _number(lat_text)
            if lon is None or not -180 <= lon <= 180:
                problems.append(f"{path}:{row}:lon: {lon_text!r} is not a longitude in degrees")
                continue
            if lat is None or not -90 <= lat <= 90:
                problems.append(f"{path}:{row}:lat: {lat_text!r} is not a latitude in degrees")
                continue
            found_at[ident] = row
            located.append((row, ident, "lon,lat", (lon, lat)))
        elif postcode:
            found_at[ident] = row
            pending.append((row, ident, postcode))
        else:
            field_name = "postcode" if has_postcode else "lon,lat"
            problems.append(f"{path}:{row}:{field_name}: no location given")

    entries: list[tuple[int, str, str, tuple[float, float]]] = []
    if located:
        from mapping.study_area import to_27700

        lonlat = np.array([e[3] for e in located], dtype=float)
        east, north = to_27700(lonlat[:, 0], lonlat[:, 1])
        for (row, ident, fld, _), x, y in zip(located, east, north, strict=True):
            entries.append((row, ident, fld, (float(x), float(y))))
    if pending:
        # One lookup for the whole file: it reads each postcode area only once.
        where = postcode_xy([p for _, _, p in pending])
        for row, ident, postcode in pending:
            answer = where.get(postcode)
            if isinstance(answer, str):
                problems.append(f"{path}:{row}:postcode: {answer}")
            elif answer is None:
                problems.append(f"{path}:{row}:postcode: unknown postcode {postcode!r}")
            else:
                entries.append((row, ident, "postcode", answer))
    entries.sort(key=lambda e: e[0])
    return _Points(
        ids=[e[1] for e in entries],
        xy=np.array([e[3] for e in entries], dtype=float).reshape(-1, 2),
        rows=[e[0] for e in entries],
        fields=[e[2] for e in entries],
    )


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _postcode_resolver(sources: Any) -> Any:
    """Return ``f(postcodes) -> {postcode as given: (easting, northing) | message}``.

    Postcodes are looked up in OS Code-Point Open through the services module; a
    malformed postcode maps to a message, an unknown one is absent.
    """

    def resolve(postcodes: list[str]) -> dict[str, tuple[float, float] | str]:
        from mapping.inputs.register import lookup_postcodes, normalise_postcode
        from mapping.inputs.sources import locate_sources

        out: dict[str, tuple[float, float] | str] = {}
        canonical: dict[str, str] = {}
        for given in postcodes:
            try:
                canonical[given] = normalise_postcode(given)
            except ValueError:
                out[given] = f"{given!r} is not shaped like a UK postcode (e.g. 'PR2 9HT')"
        if canonical:
            located = sources if hasattr(sources, "read_codepoint") else locate_sources(sources)
            table = lookup_postcodes(sorted(set(canonical.values())), located)
            for given, key in canonical.items():
                if key in table.index:
                    hit = table.loc[key]
                    out[given] = (float(hit["easting"]), float(hit["northing"]))
        return out

    return resolve


def run_matrix(
    origins_csv: Path,
    destinations_csv: Path,
    out: Path,
    *,
    at: datetime | str | None = None,
    network: str | RoadNetwork = "offline",
    sources: Any = None,
    data_dir: Path | None = None,
    postcode_xy: Any = None,
) -> MatrixReport:
    """Write ``origin_id,destination_id,minutes`` for every usable pair of input rows.

    Parameters
    ----------
    origins_csv, destinations_csv
        CSV files with an ``id`` column and either ``postcode`` or ``lon`` and ``lat``
        (WGS84 degrees). A row with both uses ``lon``/``lat``.
    out
        Output CSV, written atomically: one row per (usable origin, usable destination)
        pair in input order; ``minutes`` has two decimals and is empty where no road
        route exists.
    at
        Time of the journey (``"Mon 10:00"`` or an ISO date-time): picks the speed
        profile. Default: the ``daytime`` profile.
    network
        ``"offline"``, ``"osm"`` or a loaded network.
    sources, data_dir
        Raw sources folder (or located sources) and generated-data folder.
    postcode_xy
        Postcode resolver ``f(list) -> {postcode: (easting, northing)}`` (default:
        OS Code-Point Open through :func:`mapping.inputs.register.lookup_postcodes`).

    Returns
    -------
    MatrixReport
        Rows written and one ``file:row:field: message`` line per skipped input row
        (unknown postcode, point off the network, bad or duplicate id).

    Raises
    ------
    ServiceMapError
        If an input file is unreadable or lacks the columns, ``at`` or ``network`` is
        invalid, or no row of a file is usable (nothing is written then).
    """
    from mapping.inputs.limits import check_matrix_size
    from mapping.store import atomic_path

    profile = DEFAULT_PROFILE
    if at is not None:
        profile = profile_for(parse_when(at))
    if isinstance(network, str) and network not in ("offline", "osm"):
        raise ServiceMapError(f"--network must be 'offline' or 'osm', not {network!r}")

    problems: list[str] = []
    resolver = postcode_xy or _postcode_resolver(sources)
    origins = _read_points(Path(origins_csv), problems, resolver)
    destinations = _read_points(Path(destinations_csv), problems, resolver)
    check_matrix_size(len(origins.ids), len(destinations.ids), origins_csv, destinations_csv)
    if isinstance(network, str):
        from mapping.network import load_network

        network = load_network(network, data_dir=data_dir, sources=sources)
    od = od_matrix(network, origins.xy, destinations.xy, profile)
    for pts, ok, dist, path in (
        (origins, od.origin_ok, od.origin_snap_m, origins_csv),
        (destinations, od.destination_ok, od.destination_snap_m, destinations_csv),
    ):
        for i in np.flatnonzero(~ok):
            problems.append(
                f"{path}:{pts.rows[i]}:{pts.fields[i]}: {_off_network(dist[i], MAX_SNAP_M)}"
            )
    problems.sort(key=_problem_sort_key(Path(origins_csv), Path(destinations_csv)))
    o_keep, d_keep = np.flatnonzero(od.origin_ok), np.flatnonzero(od.destination_ok)
    for keep, path in ((o_keep, origins_csv), (d_keep, destinations_csv)):
        if keep.size == 0:
            detail = "".join(f"\n{line}" for line in problems)
            raise ServiceMapError(f"{path}: no usable rows, nothing written{detail}")
    minutes = od.minutes[np.ix_(o_keep, d_keep)]
    o_ids = np.asarray(origins.ids, dtype=object)[o_keep]
    d_ids = np.asarray(destinations.ids, dtype=object)[d_keep]
    table = pd.DataFrame(
        {
            "origin_id": np.repeat(o_ids, d_ids.size),
            "destination_id": np.tile(d_ids, o_ids.size),
            "minutes": np.where(np.isfinite(minutes), minutes, np.nan).ravel(),
        }
    )
    out = Path(out)
    with atomic_path(out) as tmp:
        table.to_csv(tmp, index=False, float_format="%.2f", lineterminator="\n")
    return MatrixReport(
        out=out,
        rows_written=len(table),
        n_origins=int(o_keep.size),
        n_destinations=int(d_keep.size),
        profile=profile,
        problems=problems,
    )


def _problem_sort_key(first: Path, second: Path) -> Any:
    """Order problem lines by file (origins first) then row."""

    def key(line: str) -> tuple[int, int]:
        for which, path in enumerate((first, second)):
            prefix = f"{path}:"
            if line.startswith(prefix):
                head = line[len(prefix) :].split(":", 1)[0]
                return which, int(head) if head.isdigit() else 0
        return 2, 0

    return key
