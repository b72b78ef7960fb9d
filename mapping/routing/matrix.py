"""Origin-destination matrices: ``service-map matrix`` and :func:`od_matrix`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mapping.errors import ServiceMapError
from mapping.inputs.limits import check_matrix_size
from mapping.inputs.points import postcode_resolver, read_points
from mapping.inputs.when import moment_of
from mapping.network.graph import RoadNetwork
from mapping.network.profiles import profile_for
from mapping.network.snap import MAX_SNAP_M
from mapping.routing.paths import (
    as_search_graph,
    off_network_reason,
    profile_matrix,
    seconds_between,
    snap_arrays,
    snap_points,
)
from mapping.routing.records import DEFAULT_PROFILE
from mapping.safety import safe_frame

#: Exit code of ``service-map matrix`` when the output was written but some input rows
#: were skipped (0: every row used; 1: nothing written; 2: command-line usage error).
MATRIX_PARTIAL_EXIT_CODE = 3


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
    graph = profile_matrix(network, profile)
    o_node, o_sec, o_dist, o_ok = snap_arrays(snap_points(network, origins_xy, max_snap_m))
    d_node, d_sec, d_dist, d_ok = snap_arrays(snap_points(network, destinations_xy, max_snap_m))
    limit = np.inf if max_minutes is None else float(max_minutes) * 60.0
    minutes = np.full((o_node.size, d_node.size), np.nan)
    oi, di = np.flatnonzero(o_ok), np.flatnonzero(d_ok)
    if oi.size and di.size:
        if np.unique(d_node[di]).size <= np.unique(o_node[oi]).size:
            reverse = as_search_graph(graph.T)
            road = seconds_between(reverse, d_node[di], o_node[oi], limit).T
        else:
            road = seconds_between(as_search_graph(graph), o_node[oi], d_node[di], limit)
        total = (road + o_sec[oi, None] + d_sec[None, di]) / 60.0
        if max_minutes is not None:
            total[total > max_minutes] = np.inf
        minutes[np.ix_(oi, di)] = total
    return ODMatrix(minutes, o_ok, d_ok, o_dist, d_dist, profile)


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
        OS Code-Point Open through :func:`mapping.inputs.postcodes.lookup_postcodes`).

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
    from mapping.store import atomic_path

    profile = DEFAULT_PROFILE
    if at is not None:
        profile = profile_for(moment_of(at))
    if isinstance(network, str) and network not in ("offline", "osm"):
        raise ServiceMapError(f"--network must be 'offline' or 'osm', not {network!r}")

    problems: list[str] = []
    resolver = postcode_xy or postcode_resolver(sources)
    origins = read_points(Path(origins_csv), problems, resolver)
    destinations = read_points(Path(destinations_csv), problems, resolver)
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
                f"{path}:{pts.rows[i]}:{pts.fields[i]}: {off_network_reason(dist[i], MAX_SNAP_M)}"
            )
    problems.sort(key=problem_sort_key(Path(origins_csv), Path(destinations_csv)))
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
    # Ids come from the user's files: neutralise formula-like ones ("=HYPERLINK(...)").
    table = safe_frame(table)
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


def problem_sort_key(first: Path, second: Path) -> Any:
    """Order problem lines by file (origins first) then row."""

    def key(line: str) -> tuple[int, int]:
        for which, path in enumerate((first, second)):
            prefix = f"{path}:"
            if line.startswith(prefix):
                head = line[len(prefix) :].split(":", 1)[0]
                return which, int(head) if head.isdigit() else 0
        return 2, 0

    return key
