"""The OpenStreetMap road network (the reference path), built with osmnx.

An ``.osm`` (XML) or ``.osm.pbf`` extract is first reduced with pyosmium to the ways a
car may drive on (the same tag rules as osmnx's ``network_type="drive"``) and the nodes
they use, written as OSM XML, and read by :func:`osmnx.graph_from_xml`. So both formats
take one path. Where there is internet the study area can instead be downloaded with
:func:`osmnx.graph_from_bbox`; that path is thin and untested here (no internet).

Speeds: a way's ``maxspeed`` tag (osmnx converts "30 mph" to km/h) or else the national
limit of its class; travel times from :func:`osmnx.routing.add_edge_travel_times`. The
daytime profile divides those by the same DfT ratios as the offline model.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import connected_components

from mapping.errors import ServiceMapError
from mapping.network.graph import RoadNetwork
from mapping.network.params import (
    BUILT_UP_LIMIT_MPH,
    DAYTIME_RATIO_LOCAL,
    DAYTIME_RATIO_SRN,
    OSM_HWY_SPEEDS_MPH,
    OSM_SRN_CLASSES,
    PROFILE_RATIOS,
    mph_to_kph,
)

__all__ = [
    "OSM_PARAMS",
    "download_graph",
    "drive_xml",
    "graph_from_osm_file",
    "graph_to_network",
    "is_drivable",
]

#: Everything that shapes an OSM-built network (part of its cache key).
OSM_PARAMS: dict[str, object] = {
    "hwy_speeds_mph": OSM_HWY_SPEEDS_MPH,
    "fallback_mph": BUILT_UP_LIMIT_MPH,
    "daytime_ratio_local": DAYTIME_RATIO_LOCAL,
    "daytime_ratio_srn": DAYTIME_RATIO_SRN,
    "profile_ratios": {k: list(v) for k, v in PROFILE_RATIOS.items()},
    "srn_classes": sorted(OSM_SRN_CLASSES),
}

# The exclusions of osmnx's "drive" network type. osmnx keeps its filter private, so it is
# copied here (osmnx pinned <2.2); tests/test_contracts.py compares the two.
_NOT_FOR_CARS = frozenset(
    [
        "abandoned",
        "bridleway",
        "bus_guideway",
        "construction",
        "corridor",
        "cycleway",
        "elevator",
        "escalator",
        "footway",
        "no",
        "path",
        "pedestrian",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "service",
        "services",
        "steps",
        "track",
    ]
)
_SERVICE_EXCLUDED = frozenset(
    ["alley", "driveway", "emergency_access", "parking", "parking_aisle", "private"]
)


def is_drivable(tags: dict[str, str]) -> bool:
    """Whether an OSM way with these tags belongs to a public driving network."""
    highway = tags.get("highway")
    if highway is None or highway in _NOT_FOR_CARS:
        return False
    if tags.get("area") == "yes" or tags.get("access") == "private":
        return False
    if tags.get("motor_vehicle") == "no" or tags.get("motorcar") == "no":
        return False
    return tags.get("service") not in _SERVICE_EXCLUDED


def drive_xml(osm_file: str | Path, out_xml: str | Path) -> int:
    """Write the drivable ways of an OSM file (XML or PBF) and their nodes as OSM XML.

    Returns
    -------
    int
        Number of ways written.

    Raises
    ------
    ServiceMapError
        If the file cannot be read as OSM data or holds no drivable way.
    """
    import osmium

    osm_file, out_xml = Path(osm_file), Path(out_xml)
    if not osm_file.is_file():
        raise ServiceMapError(f"{osm_file}: OSM file not found")
    written = 0
    try:
        writer = osmium.BackReferenceWriter(str(out_xml), ref_src=str(osm_file), overwrite=True)
        try:
            for way in osmium.FileProcessor(str(osm_file), osmium.osm.WAY):
                if is_drivable(dict(way.tags)):
                    writer.add_way(way)
                    written += 1
        finally:
            writer.close()
    except RuntimeError as exc:  # libosmium reports unreadable input as RuntimeError
        raise ServiceMapError(f"{osm_file}: not a readable OSM XML or PBF file ({exc})") from exc
    if written == 0:
        raise ServiceMapError(
            f"{osm_file}: no drivable roads (no way with a car-usable highway tag)"
        )
    return written


def _add_speeds(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    import osmnx as ox

    hwy_kph = {k: mph_to_kph(v) for k, v in OSM_HWY_SPEEDS_MPH.items()}
    graph = ox.routing.add_edge_speeds(
        graph, hwy_speeds=hwy_kph, fallback=mph_to_kph(BUILT_UP_LIMIT_MPH)
    )
    return ox.routing.add_edge_travel_times(graph)


def graph_from_osm_file(osm_file: str | Path) -> nx.MultiDiGraph:
    """Read a driving graph from ``.osm`` or ``.osm.pbf`` with speeds and travel times.

    Returns
    -------
    networkx.MultiDiGraph
        An osmnx graph (EPSG:4326) with ``speed_kph`` and ``travel_time`` on every edge;
        one-way streets have one directed edge only.
    """
    import osmnx as ox

    with tempfile.TemporaryDirectory(prefix="service-map-osm-") as tmp:
        xml = Path(tmp) / "drive.osm"
        drive_xml(osm_file, xml)
        graph = ox.graph_from_xml(xml, bidirectional=False, simplify=True, retain_all=True)
    return _add_speeds(graph)


def download_graph(bbox_lonlat: tuple[float, float, float, float]) -> nx.MultiDiGraph:
    """Download the driving network of a lon/lat box from Overpass (needs internet).

    Thin and untested (the project's tests run offline).
    """
    import osmnx as ox

    try:
        graph = ox.graph_from_bbox(bbox_lonlat, network_type="drive", retain_all=True)
    except Exception as exc:  # network errors come in many types
        raise ServiceMapError(f"could not download OpenStreetMap roads ({exc})") from exc
    return _add_speeds(graph)


def _first(value: object) -> str:
    # Simplification merges ways, so an attribute can be a list of the ways' values.
    if isinstance(value, list):
        return str(value[0])
    return str(value)


def graph_to_network(graph: nx.MultiDiGraph, *, meta: dict | None = None) -> RoadNetwork:
    """Convert an osmnx graph with ``travel_time`` into a :class:`RoadNetwork`.

    The graph is projected to EPSG:27700; between two nodes the fastest edge is kept;
    one-way streets stay one-way; only the largest strongly connected component is kept.
    """
    import osmnx as ox

    started = time.perf_counter()
    projected = ox.projection.project_graph(graph, to_crs="EPSG:27700")
    osm_ids = np.array(sorted(projected.nodes), dtype=np.int64)
    index = {int(n): i for i, n in enumerate(osm_ids)}
    node_xy = np.array([[projected.nodes[n]["x"], projected.nodes[n]["y"]] for n in osm_ids])
    rows = [
        (index[u], index[v], float(d["length"]), float(d["travel_time"]), _first(d["highway"]))
        for u, v, d in projected.edges(data=True)
    ]
    if not rows:
        raise ServiceMapError("the OpenStreetMap data holds no drivable road segment")
    tail, head, length, free, highway = (np.array(c) for c in zip(*rows, strict=True))
    srn = np.isin(highway, sorted(OSM_SRN_CLASSES))
    seconds = {
        profile: free / np.where(srn, on_srn, local)
        for profile, (local, on_srn) in PROFILE_RATIOS.items()
    }
    street = np.zeros(len(osm_ids), dtype=bool)
    motorway = np.isin(highway, ["motorway", "motorway_link"])
    street[tail[~motorway]] = True
    street[head[~motorway]] = True
    net = RoadNetwork.from_edges(
        node_xy,
        tail,
        head,
        length,
        seconds,
        highway,
        source="osm",
        snappable=street,
    )
    n_scc, label = connected_components(
        net.seconds["free_flow"], directed=True, connection="strong"
    )
    in_main = label == np.argmax(np.bincount(label))
    if n_scc > 1:
        net = net.subgraph(in_main)
    classes, counts = np.unique(net.highway, return_counts=True)
    net.meta = {
        "model": "OpenStreetMap via osmnx",
        "params": OSM_PARAMS,
        "osm_node_ids": osm_ids[in_main].tolist() if len(osm_ids) < 100_000 else None,
        "components_dropped": int(n_scc - 1),
        "nodes_dropped": int((~in_main).sum()),
        "edges_by_class": {str(c): int(n) for c, n in zip(classes, counts, strict=True)},
        **(meta or {}),
        "convert_seconds": round(time.perf_counter() - started, 2),
    }
    return net
