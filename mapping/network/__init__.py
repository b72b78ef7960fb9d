"""The road network: build it (offline from OS data, or from OpenStreetMap), cache it,
load it, snap points to it and export it.

Both sources produce one structure, :class:`~mapping.network.graph.RoadNetwork`, cached
as ``data/network/<source>.npz`` with a ``<source>.npz.meta.json`` sidecar holding the
key (input checksums and parameters) and the build facts. A cache whose key no longer
matches is stale and is rebuilt. See ``docs/network.md`` for the model and its sources.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from mapping.caching import Cache
from mapping.errors import ServiceMapError
from mapping.inputs.sources import SourceError, Sources, locate_sources
from mapping.network.export import save_graphml, to_networkx
from mapping.network.graph import FORMAT_VERSION, PROFILES, RoadNetwork
from mapping.network.params import OfflineParams
from mapping.network.profiles import profile_for
from mapping.network.snap import MAX_SNAP_M, Journey, SnapResult, journey, snap, snap_or_raise
from mapping.store import (
    artifact_is_fresh,
    artifact_problem,
    build_artifact,
    build_key,
    default_data_dir,
    read_meta,
    require_intact,
    sha256_file,
)
from mapping.study_area import STUDY_AREA_LONLAT

__all__ = [
    "MAX_SNAP_M",
    "NETWORK_SOURCES",
    "PROFILES",
    "Journey",
    "OfflineParams",
    "RoadNetwork",
    "SnapResult",
    "build_network",
    "check_networks",
    "journey",
    "load_network",
    "network_path",
    "offline_network_is_fresh",
    "profile_for",
    "save_graphml",
    "snap",
    "snap_or_raise",
    "to_networkx",
]

#: The network sources: the offline default and OpenStreetMap.
NETWORK_SOURCES: tuple[str, ...] = ("offline", "osm")

#: Bumped when the offline model's algorithm changes (part of the cache key).
OFFLINE_MODEL_VERSION = 3

SourcesArg = Sources | str | os.PathLike[str] | None


def network_path(source: str = "offline", data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the cache file of a network source: ``<data>/network/<source>.npz``."""
    _check_source(source)
    base = Path(data_dir) if data_dir is not None else default_data_dir()
    return base / "network" / f"{source}.npz"


def _check_source(source: str) -> None:
    if source not in NETWORK_SOURCES:
        raise ServiceMapError(
            f"unknown network source {source!r}: choose one of {', '.join(NETWORK_SOURCES)}"
        )


def _sources(sources: SourcesArg) -> Sources:
    return sources if isinstance(sources, Sources) else locate_sources(sources)


def _offline_inputs(src: Sources, params: OfflineParams) -> dict[str, Any]:
    from mapping.network.params import OFFLINE_INPUTS

    return {
        "source": "offline",
        "format": FORMAT_VERSION,
        "model_version": OFFLINE_MODEL_VERSION,
        "params": params.as_dict(),
        "checksums": src.checksums(OFFLINE_INPUTS),
    }


def _osm_inputs(osm_file: str | os.PathLike[str] | None) -> dict[str, Any]:
    from mapping.network.osm import OSM_PARAMS

    inputs: dict[str, Any] = {"source": "osm", "format": FORMAT_VERSION, "params": OSM_PARAMS}
    if osm_file is None:
        inputs["download_bbox_lonlat"] = list(STUDY_AREA_LONLAT)
        return inputs
    path = Path(osm_file).expanduser().resolve()
    if not path.is_file():
        raise ServiceMapError(f"{path}: OSM file not found (give an .osm or .osm.pbf file)")
    inputs["osm_file"] = str(path)
    inputs["osm_sha256"] = sha256_file(path)
    return inputs


def _finish(
    network: RoadNetwork, dest: Path, from_cache: bool, verified: bool = True
) -> RoadNetwork:
    network.meta["from_cache"] = from_cache
    network.meta["cache_path"] = str(dest)
    network.meta["verified"] = verified
    return network


_REBUILD = "Rebuild it with `service-map network build --force`."


#: Networks read in this process, by (cache file, size, modification time): a study
#: loaded again, or on another register, shares the network object, and with it the
#: drive-time vectors already searched on it (``mapping.routing.vectors``).
#: At most two (a whole-county network is about 100 MB in memory).
_READ: Cache[tuple[str, int, int], RoadNetwork] = Cache(maxsize=2)


def _load_cached(dest: Path) -> RoadNetwork:
    """Load a cache file after checking it against its build record, never a raw error.

    The file is checked on every call; its network is read once per version of the file.
    """
    require_intact(dest, _REBUILD)
    stat = dest.stat()
    key = (str(dest.resolve()), stat.st_size, stat.st_mtime_ns)

    def read() -> RoadNetwork:
        try:
            network = RoadNetwork.load(dest)
        except Exception as exc:  # matches its record yet unreadable: say so, by name
            raise ServiceMapError(
                f"{dest}: the cached network cannot be read ({exc}). {_REBUILD}"
            ) from exc
        _READ.discard(lambda k: k[0] == key[0])  # an earlier version of this file
        return network

    return _READ.get(key, read)


def check_networks(data_dir: str | os.PathLike[str] | None = None) -> tuple[list[str], list[str]]:
    """Check every cached network against its build record (size and full checksum).

    A network not built yet is a note (analyses build it when first needed); a
    truncated or altered one is a problem.

    Returns
    -------
    tuple of list of str
        Lines to print and problems, each naming the file.
    """
    lines: list[str] = []
    problems: list[str] = []
    for source in NETWORK_SOURCES:
        dest = network_path(source, data_dir)
        if not dest.is_file():
            if source == "offline":
                lines.append(f"note: {source} network not built yet ({dest}); built on first use")
            continue
        problem = artifact_problem(dest, full=True)
        if problem is not None:
            problems.append(f"{dest}: {problem}. {_REBUILD}")
            continue
        try:
            net = RoadNetwork.load(dest)
        except Exception as exc:
            problems.append(f"{dest}: the cached network cannot be read ({exc}). {_REBUILD}")
            continue
        lines.append(
            f"ok: {source} network: {net.n_nodes:,} nodes, {net.n_edges:,} edges, "
            "size and checksum match its build record"
        )
    return lines, problems


def build_network(
    source: str = "offline",
    *,
    sources: SourcesArg = None,
    osm_file: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    force: bool = False,
    progress: bool = False,
    params: OfflineParams | None = None,
) -> RoadNetwork:
    """Build a road network and cache it, or load the cached one if it is fresh.

    Parameters
    ----------
    source
        ``"offline"`` (OS Code-Point Open + OS Open Roads; the default) or ``"osm"``.
    sources
        Raw sources folder or located :class:`~mapping.inputs.sources.Sources` (offline).
    osm_file
        ``.osm`` or ``.osm.pbf`` file for ``source="osm"``; without it the study area is
        downloaded from OpenStreetMap (needs internet).
    data_dir
        Folder for generated data (default ``$SERVICE_MAP_DATA`` or ``<repo>/data``).
    force
        Rebuild even if the cache is fresh.
    progress
        Show progress bars.
    params
        Offline model parameters (cited defaults when omitted); part of the cache key.

    Returns
    -------
    RoadNetwork
        The network; ``meta["from_cache"]`` says whether it was loaded or built.

    Raises
    ------
    ServiceMapError
        For an unknown source, missing inputs or an unreadable OSM file.
    """
    _check_source(source)
    dest = network_path(source, data_dir)
    if source == "offline":
        from mapping.network.offline import build_offline

        src = _sources(sources)
        params = params or OfflineParams()
        inputs = _offline_inputs(src, params)

        def make() -> RoadNetwork:
            return build_offline(src, params, progress=progress)

    else:
        from mapping.network.osm import download_graph, graph_from_osm_file, graph_to_network

        inputs = _osm_inputs(osm_file)

        def make() -> RoadNetwork:
            started = time.perf_counter()
            graph = (
                graph_from_osm_file(inputs["osm_file"])
                if osm_file is not None
                else download_graph(STUDY_AREA_LONLAT)
            )
            net = graph_to_network(graph)
            net.meta["build_seconds"] = round(time.perf_counter() - started, 2)
            return net

    built: dict[str, RoadNetwork] = {}

    def write(tmp: Path) -> dict[str, Any]:
        net = make()
        net.meta["inputs"] = inputs
        net.save(tmp)
        built["net"] = net
        return {
            "nodes": net.n_nodes,
            "edges": net.n_edges,
            "build_seconds": net.meta.get("build_seconds"),
        }

    rebuilt = build_artifact(dest, inputs, write, force=force)
    if rebuilt:
        return _finish(built["net"], dest, from_cache=False)
    return _finish(_load_cached(dest), dest, from_cache=True)


def offline_network_is_fresh(
    sources: SourcesArg = None,
    data_dir: str | os.PathLike[str] | None = None,
    params: OfflineParams | None = None,
) -> bool:
    """Whether the cached offline network is intact and built from the current inputs.

    Cheaper than :func:`load_network` when only freshness matters (nothing is loaded).
    """
    inputs = _offline_inputs(_sources(sources), params or OfflineParams())
    return artifact_is_fresh(network_path("offline", data_dir), build_key(inputs))


def load_network(
    source: str = "offline",
    *,
    data_dir: str | os.PathLike[str] | None = None,
    sources: SourcesArg = None,
    build_if_missing: bool = True,
    params: OfflineParams | None = None,
) -> RoadNetwork:
    """Load a cached network, rebuilding it first if it is missing or stale.

    Freshness is checked against the checksums of the current inputs and the
    parameters. When the raw sources cannot be found at all, an existing offline cache
    is loaded as it is (``meta["verified"]`` is then False).

    Parameters
    ----------
    source
        ``"offline"`` or ``"osm"``.
    data_dir
        Folder for generated data.
    sources
        Raw sources folder or located :class:`~mapping.inputs.sources.Sources`.
    build_if_missing
        Build when the cache is missing or stale; otherwise raise.
    params
        Offline model parameters (cited defaults when omitted).

    Raises
    ------
    ServiceMapError
        If the cache is missing or stale and ``build_if_missing`` is False, or an OSM
        network was never built.
    """
    _check_source(source)
    dest = network_path(source, data_dir)
    if source == "offline":
        try:
            src = _sources(sources)
        except SourceError:
            if dest.is_file():
                return _finish(_load_cached(dest), dest, from_cache=True, verified=False)
            raise
        if offline_network_is_fresh(src, data_dir, params):  # a damaged file rebuilds
            return _finish(_load_cached(dest), dest, from_cache=True)
        if not build_if_missing:
            damage = artifact_problem(dest) if dest.is_file() else None
            raise ServiceMapError(
                f"{dest}: the offline road network is "
                + (f"damaged: it {damage}" if damage else "missing or out of date")
                + ". Run `service-map network build`."
            )
        return build_network("offline", sources=src, data_dir=data_dir, params=params)

    meta = read_meta(dest)
    if meta is None or not dest.is_file():
        raise ServiceMapError(
            f"{dest}: no OpenStreetMap network has been built. Run "
            "`service-map network build --source osm --osm-file FILE.osm.pbf`."
        )
    osm_file = meta.get("inputs", {}).get("osm_file")
    if osm_file is None or not Path(osm_file).is_file():
        # The extract it was built from is gone: nothing to check against.
        return _finish(_load_cached(dest), dest, from_cache=True, verified=osm_file is None)
    if artifact_is_fresh(dest, build_key(_osm_inputs(osm_file))):
        return _finish(_load_cached(dest), dest, from_cache=True)
    if not build_if_missing:
        raise ServiceMapError(f"{dest}: {osm_file} has changed since the network was built.")
    return build_network("osm", osm_file=osm_file, data_dir=data_dir)
