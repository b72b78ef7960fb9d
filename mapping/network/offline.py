"""The offline road network, built from OS Code-Point Open and OS Open Roads motorways.

There is no street network in the open data this project may use offline, so the local
roads are modelled from where people live: every postcode unit's grid reference sits on
or beside the street it is delivered on. The postcodes are joined to their natural
neighbours (a Delaunay triangulation), each link's length is the straight line times a
published circuity factor, and its speed comes from how densely built-up its
surroundings are. The motorways are real OS Open Roads geometry, joined to the streets
only where their slip roads end. The model and every figure are described, with
citations, in ``docs/network.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree
from tqdm.auto import tqdm

from mapping.errors import ServiceMapError
from mapping.inputs.area import study_area
from mapping.inputs.sources import LANCASHIRE_LAD_CODES, Sources
from mapping.network.graph import RoadNetwork
from mapping.network.major_roads import (
    ARoads,
    a_road_layer,
    motorway_link_mask,
    read_major_roads,
    service_area_ends,
)
from mapping.network.params import OFFLINE_INPUTS, OfflineParams, mph_to_mps
from mapping.study_area import study_area_bbox_27700

__all__ = ["OFFLINE_INPUTS", "build_offline", "empty_gap_rule"]

#: Code-Point Open postcode units in the study area's council areas (``study_area.toml``):
#: with the Census 2021 residents it converts postcodes per km² into inhabitants per km².
LANCASHIRE_POSTCODES = study_area().postcode_units

#: Samples along a long link at which the distance to the nearest postcode is measured.
_GAP_SAMPLES = np.arange(1, 8) / 8.0


@dataclass
class _Postcodes:
    xy: np.ndarray  # (n, 2) unique coordinates
    lancashire: np.ndarray  # node holds at least one Lancashire postcode
    n_units: int  # postcode units read (before de-duplication)


def _read_postcodes(sources: Sources, bbox: tuple[float, float, float, float]) -> _Postcodes:
    table = sources.read_codepoint(bbox_27700=bbox)
    if len(table) < 3:
        raise ServiceMapError(
            f"Code-Point Open has {len(table)} postcodes inside {bbox}: too few for a network."
        )
    xy_all = table[["easting", "northing"]].to_numpy(dtype=np.float64)
    # Several units share one grid reference (flats, large users): one node each.
    xy, inverse = np.unique(xy_all, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    lancs = np.zeros(len(xy), dtype=bool)
    lancs[inverse[table["district_code"].isin(LANCASHIRE_LAD_CODES).to_numpy()]] = True
    return _Postcodes(xy=xy, lancashire=lancs, n_units=len(table))


def _delaunay_links(xy: np.ndarray) -> np.ndarray:
    """Return the unique undirected Delaunay edges as an ``(m, 2)`` array (i < j)."""
    simplices = Delaunay(xy).simplices
    pairs = np.vstack([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]])
    pairs.sort(axis=1)
    return np.unique(pairs, axis=0)


def _largest_gap(tree: cKDTree, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Largest distance from a point of each segment a→b to its nearest postcode."""
    gaps = np.zeros(len(a))
    for t in _GAP_SAMPLES:
        d, _ = tree.query(a + (b - a) * t)
        np.maximum(gaps, d, out=gaps)
    return gaps


def _land(sources: Sources) -> shapely.Geometry:
    """The land of the 14 Lancashire council areas (ONS, clipped to mean high water)."""
    lad = sources.read_lad().to_crs(27700)
    land = shapely.coverage_union_all(lad.geometry.values)
    shapely.prepare(land)
    return land


def _tidal_core(
    sources: Sources, width_m: float, land: shapely.Geometry | None = None
) -> shapely.Geometry:
    """Tidal water wider than ``width_m`` around Lancashire, as one (prepared) geometry.

    The ONS boundaries are clipped to the coastline (mean high water), so everything
    outside the 14 council areas is sea, estuary or a neighbouring area. Shrinking that
    outside by half the width keeps only channels wider than ``width_m``: a link between
    two points on land crosses such a channel exactly when it meets the shrunk region.
    """
    land = _land(sources) if land is None else land
    frame = shapely.box(*land.buffer(width_m * 2).bounds)
    core = frame.difference(land).buffer(-width_m / 2.0)
    shapely.prepare(core)
    return core


def empty_gap_rule(
    tree: cKDTree,
    a: np.ndarray,
    b: np.ndarray,
    land: shapely.Geometry | None,
    params: OfflineParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Which links a→b the empty-gap rule drops, and which it keeps because they are on land.

    A link with a point farther than ``empty_gap_m`` from every postcode (tested at seven
    points; only links longer than twice the gap can have one) crosses land or water
    where nobody lives. v3 drops it only where the gap may be water: a link lying wholly
    inside ``land`` (the ONS boundaries, clipped to the coastline) and no longer than
    ``land_gap_max_m`` is kept, as a road over empty moor. Without ``land`` every such
    link is dropped (the v2 rule).

    Returns
    -------
    tuple of numpy.ndarray
        Boolean masks: dropped, and kept on land.
    """
    straight = np.hypot(*(b - a).T)
    gap = params.empty_gap_m
    empty = np.zeros(len(a), dtype=bool)
    long_ = np.flatnonzero(straight > 2 * gap)
    empty[long_] = _largest_gap(tree, a[long_], b[long_]) > gap
    on_land = np.zeros(len(a), dtype=bool)
    cand = np.flatnonzero(empty & (straight <= params.land_gap_max_m))
    if len(cand) and land is not None:
        segments = shapely.linestrings(np.stack([a[cand], b[cand]], axis=1))
        on_land[cand] = shapely.contains(land, segments)
    return empty & ~on_land, on_land


def _reattach(
    n: int, kept: np.ndarray, dropped: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, int]:
    """Re-add the fewest, shortest dropped links that make the local graph connected.

    People live at every postcode, so a road reaches it: a cluster cut off by the
    gap rules (an island of farms between moors) is joined back through its shortest
    dropped link (a minimum spanning forest over the clusters).
    """
    graph = sp.coo_matrix((np.ones(len(kept)), (kept[:, 0], kept[:, 1])), shape=(n, n))
    n_comp, label = connected_components(graph, directed=False)
    if n_comp == 1 or len(dropped) == 0:
        return np.zeros(0, dtype=np.int64), n_comp
    ca, cb = label[dropped[:, 0]], label[dropped[:, 1]]
    between = np.flatnonzero(ca != cb)
    lo, hi = np.minimum(ca, cb)[between], np.maximum(ca, cb)[between]
    order = np.lexsort((weight[between], hi, lo))
    between, lo, hi = between[order], lo[order], hi[order]
    first = np.ones(len(between), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    between, lo, hi = between[first], lo[first], hi[first]
    comp_graph = sp.csr_matrix((weight[between], (lo, hi)), shape=(n_comp, n_comp))
    tree = minimum_spanning_tree(comp_graph).tocoo()
    lookup = {(int(a), int(b)): int(e) for a, b, e in zip(lo, hi, between, strict=True)}
    chosen = np.array(
        [lookup[(int(min(a, b)), int(max(a, b)))] for a, b in zip(tree.row, tree.col, strict=True)],
        dtype=np.int64,
    )
    return chosen, n_comp


def _motorways(
    sources: Sources, bbox: tuple[float, float, float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Motorway nodes, undirected links and lengths, which nodes are junctions, the lines.

    OS Open Roads splits its links where roads meet and includes motorway slip roads, so
    a link end that touches no other motorway link is where a slip road (or a motorway)
    hands over to the ordinary road network: a junction.
    """
    frame = sources.read_motorways(bbox)
    if frame.empty:
        none = np.zeros(0, dtype=object)
        return np.zeros((0, 2)), np.zeros((0, 2), np.int64), np.zeros(0), np.zeros(0, bool), none
    lines = frame.geometry.values
    first = shapely.get_coordinates(shapely.get_point(lines, 0))
    last = shapely.get_coordinates(shapely.get_point(lines, -1))
    # Ends of adjacent links coincide to the millimetre; 1 m rounding merges them.
    node_xy, inverse = np.unique(np.round(np.vstack([first, last]), 0), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    links = np.stack([inverse[: len(lines)], inverse[len(lines) :]], axis=1)
    lengths = shapely.length(lines)
    degree = np.bincount(links.ravel(), minlength=len(node_xy))
    minx, miny, maxx, maxy = bbox
    inside = (
        (node_xy[:, 0] >= minx)
        & (node_xy[:, 0] <= maxx)
        & (node_xy[:, 1] >= miny)
        & (node_xy[:, 1] <= maxy)
    )
    return node_xy, links, lengths, (degree == 1) & inside, lines


@dataclass
class _LocalRoads:
    """The local roads: Delaunay links between postcodes after the two gap rules."""

    links: np.ndarray  # every Delaunay link (m, 2)
    keep: np.ndarray  # links kept (the gap rules, then cut-off clusters reattached)
    length_m: np.ndarray  # kept links' road length
    road_class: np.ndarray  # kept links' density class
    empty: np.ndarray  # dropped by the empty-gap rule
    on_land: np.ndarray  # kept by the empty-gap rule as wholly on land
    tidal: np.ndarray  # dropped across tidal water
    n_clusters: int  # clusters before reattaching
    n_readded: int  # dropped links added back
    core: shapely.Geometry | None  # tidal water (None without the area's coastline)


@dataclass
class _Joins:
    """Links joining the layers: motorway junctions and 'A'-road joins to local roads."""

    tail: np.ndarray
    head: np.ndarray
    length_m: np.ndarray
    junctions: np.ndarray  # motorway nodes that are junctions
    service_ends: np.ndarray  # motorway nodes that are service-area ends
    across: np.ndarray  # 'A'-road joins dropped across tidal water


def _per_postcode(params: OfflineParams) -> float:
    """Residents per postcode unit of the study area (postcodes into inhabitants)."""
    return params.residents / LANCASHIRE_POSTCODES


def _local_roads(
    sources: Sources,
    pcs: _Postcodes,
    tree: cKDTree,
    params: OfflineParams,
    step: Callable[[str], None],
) -> _LocalRoads:
    """Triangulate the postcodes, apply the gap rules and class each link by density."""
    links = _delaunay_links(pcs.xy)
    a, b = pcs.xy[links[:, 0]], pcs.xy[links[:, 1]]
    straight = np.hypot(*(b - a).T)
    step("triangulation")

    # Rule 1: a link passing farther than empty_gap_m from every postcode crosses
    # uninhabited land or water. Only links longer than twice the gap can do so. It is
    # dropped unless it lies wholly on known land (v3): moor roads are kept, up to
    # land_gap_max_m, while water (sea, estuaries, and anywhere outside the study
    # area's boundaries, where the coastline is not held) still cuts it.
    land = _land(sources) if pcs.lancashire.any() else None
    empty, on_land = empty_gap_rule(tree, a, b, land, params)
    # Rule 2: no local link across tidal water wider than tidal_width_m, for links
    # between two postcodes of the area (where the ONS coastline is known).
    tidal = np.zeros(len(links), dtype=bool)
    cand = np.flatnonzero(
        ~empty
        & (straight > params.tidal_width_m)
        & pcs.lancashire[links[:, 0]]
        & pcs.lancashire[links[:, 1]]
    )
    core = _tidal_core(sources, params.tidal_width_m, land) if land is not None else None
    if len(cand) and core is not None:
        segments = shapely.linestrings(np.stack([a[cand], b[cand]], axis=1))
        tidal[cand] = shapely.intersects(core, segments)
    dropped = empty | tidal
    # Reattach cut-off clusters, preferring a dry gap to a tidal crossing.
    weight = straight[dropped] + np.where(tidal[dropped], 1e7, 0.0)
    readd, n_clusters = _reattach(len(pcs.xy), links[~dropped], links[dropped], weight)
    keep = ~dropped
    keep[np.flatnonzero(dropped)[readd]] = True
    step("gap rules")

    # Density class of each link: inhabitants per km² around its two ends (DEGURBA).
    area_km2 = np.pi * params.density_radius_m**2 / 1e6
    counts = tree.query_ball_point(pcs.xy, r=params.density_radius_m, return_length=True)
    density = counts * _per_postcode(params) / area_km2
    local = links[keep]
    link_density = (density[local[:, 0]] + density[local[:, 1]]) / 2.0
    road_class = np.where(
        link_density >= params.urban_density,
        "urban",
        np.where(link_density >= params.suburban_density, "suburban", "rural"),
    )
    step("speeds")
    return _LocalRoads(
        links=links,
        keep=keep,
        length_m=straight[keep] * params.circuity,
        road_class=road_class,
        empty=empty,
        on_land=on_land,
        tidal=tidal,
        n_clusters=int(n_clusters),
        n_readded=len(readd),
        core=core,
    )


def _joins(
    mw_xy: np.ndarray,
    is_junction: np.ndarray,
    aroads: ARoads,
    pcs: _Postcodes,
    tree: cKDTree,
    core: shapely.Geometry | None,
    params: OfflineParams,
) -> _Joins:
    """Join the motorways and 'A' roads to the local roads (and to each other)."""
    n_pc, a_off = len(pcs.xy), len(pcs.xy) + len(mw_xy)
    a_junction_xy = aroads.node_xy[: aroads.n_junctions]
    # Motorway junctions: dangling link ends, except at service areas.
    ends = np.flatnonzero(is_junction)
    services = service_area_ends(mw_xy[ends], a_junction_xy, tree, params)
    junctions = ends[~services]
    j_tail, j_head, j_len = [], [], []
    if len(junctions):
        k = min(params.junction_links, n_pc)
        dist, near = tree.query(mw_xy[junctions], k=k, distance_upper_bound=params.junction_reach_m)
        dist, near = dist.reshape(len(junctions), k), near.reshape(len(junctions), k)
        ok = np.isfinite(dist)
        j_tail.append(np.repeat(junctions + n_pc, k)[ok.ravel()])
        j_head.append(near[ok])
        j_len.append(dist[ok] * params.circuity)
        # ... and to the 'A' roads that meet the motorway there.
        if aroads.n_junctions:
            hits = cKDTree(a_junction_xy).query_ball_point(
                mw_xy[junctions], r=params.motorway_a_road_m
            )
            tails = np.repeat(junctions, [len(h) for h in hits])
            heads = np.asarray([i for h in hits for i in h], dtype=np.int64)
            j_tail.append(tails + n_pc)
            j_head.append(heads + a_off)
            j_len.append(np.hypot(*(mw_xy[tails] - a_junction_xy[heads]).T) * params.circuity)
    # 'A'-road joins to the local roads, except across tidal water (the estuary rule).
    join_xy_a = aroads.node_xy[aroads.join_a]
    join_xy_pc = pcs.xy[aroads.join_pc]
    across = np.zeros(len(aroads.join_a), dtype=bool)
    check = np.flatnonzero(pcs.lancashire[aroads.join_pc])
    if len(check) and core is not None:
        segments = shapely.linestrings(np.stack([join_xy_a[check], join_xy_pc[check]], axis=1))
        across[check] = shapely.intersects(core, segments)
    j_tail.append(aroads.join_a[~across] + a_off)
    j_head.append(aroads.join_pc[~across])
    j_len.append(aroads.join_length_m[~across])
    return _Joins(
        tail=np.concatenate(j_tail).astype(np.int64),
        head=np.concatenate(j_head).astype(np.int64),
        length_m=np.concatenate(j_len),
        junctions=junctions,
        service_ends=ends[services],
        across=across,
    )


def _directed_network(
    node_xy: np.ndarray,
    n_pc: int,
    tail: np.ndarray,
    head: np.ndarray,
    length_m: np.ndarray,
    road_class: np.ndarray,
    params: OfflineParams,
) -> RoadNetwork:
    """The network of the undirected links, each as two directed edges (no one-way data
    offline), timed per profile at each class's speed."""
    mps = np.full(len(road_class), np.nan)
    for name, mph in params.speeds_mph.items():
        mps[road_class == name] = mph_to_mps(mph)
    if np.isnan(mps).any():
        missing = sorted(set(road_class[np.isnan(mps)]))
        raise ServiceMapError(f"offline model parameters give no speed for {missing}")
    is_motorway = road_class == "motorway"
    free = length_m / mps
    seconds = {
        profile: np.tile(free / np.where(is_motorway, motorway, local), 2)
        for profile, (local, motorway) in params.profile_ratios().items()
    }
    snappable = np.zeros(len(node_xy), dtype=bool)
    snappable[:n_pc] = True
    return RoadNetwork.from_edges(
        node_xy,
        np.concatenate([tail, head]),
        np.concatenate([head, tail]),
        np.concatenate([length_m, length_m]),
        seconds,
        np.concatenate([road_class, road_class]),
        source="offline",
        snappable=snappable,
    )


def _main_component(net: RoadNetwork, in_area: np.ndarray) -> tuple[RoadNetwork, int, int, int]:
    """Keep the largest strongly connected component: the network, the components
    dropped, the nodes dropped and the area's postcode nodes among them."""
    n_scc, label = connected_components(
        net.seconds["free_flow"], directed=True, connection="strong"
    )
    in_main = label == np.argmax(np.bincount(label))
    area_nodes = np.zeros(len(label), dtype=bool)
    area_nodes[: len(in_area)] = in_area
    lost_area = int((area_nodes & ~in_main).sum())
    if n_scc > 1:
        net = net.subgraph(in_main)
    return net, int(n_scc - 1), int((~in_main).sum()), lost_area


def _build_record(
    params: OfflineParams,
    bbox: tuple[float, float, float, float],
    pcs: _Postcodes,
    roads: _LocalRoads,
    joins: _Joins,
    aroads: ARoads,
    *,
    highway: np.ndarray,
    motorway_links: int,
    service_ends_xy: np.ndarray,
    mrdb_links: int,
    dropped: tuple[int, int, int],
    seconds: tuple[float, dict[str, float]],
) -> dict[str, Any]:
    """The build record (``RoadNetwork.meta``): the model, its parameters and counts."""
    components_dropped, nodes_dropped, lost_area = dropped
    classes, class_counts = np.unique(highway, return_counts=True)
    per_postcode = _per_postcode(params)
    return {
        "model": "offline v3: Code-Point Open postcodes (Delaunay) + OS Open Roads motorways"
        " + DfT Major Road Database 'A' roads",
        "params": params.as_dict(),
        "bbox_27700": [float(v) for v in bbox],
        "postcode_units": pcs.n_units,
        "postcode_nodes": len(pcs.xy),
        "lancashire_postcode_nodes": int(pcs.lancashire.sum()),
        "lancashire_postcode_nodes_outside_main_component": lost_area,
        "delaunay_links": len(roads.links),
        "dropped_empty_gap": int(roads.empty.sum()),
        "kept_empty_gap_on_land": int(roads.on_land.sum()),
        "dropped_tidal": int(roads.tidal.sum()),
        "clusters_before_reattach": roads.n_clusters,
        "reattached_links": roads.n_readded,
        "motorway_links": motorway_links,
        "motorway_junctions": len(joins.junctions),
        "motorway_service_area_ends": len(joins.service_ends),
        "service_area_ends_xy": [[float(v) for v in xy] for xy in service_ends_xy],
        "mrdb_links": mrdb_links,
        "mrdb_motorway_links": aroads.n_motorway_links,
        "a_road_links": aroads.n_links,
        "a_road_junctions": aroads.n_junctions,
        "a_road_pieces": len(aroads.pieces),
        "a_road_joins": int((~joins.across).sum()),
        "a_road_joins_dropped_tidal": int(joins.across.sum()),
        "a_road_settlement_joins": aroads.n_settlement_joins,
        "a_road_pieces_built_up": int(aroads.piece_built_up.sum()),
        "junction_links": len(joins.tail),
        "components_dropped": components_dropped,
        "nodes_dropped": nodes_dropped,
        "edges_by_class": {str(c): int(n) for c, n in zip(classes, class_counts, strict=True)},
        "density_thresholds_postcodes_per_km2": {
            "urban": params.urban_density / per_postcode,
            "suburban": params.suburban_density / per_postcode,
        },
        "speeds_mph": {
            profile: {
                c: v * (motorway if c == "motorway" else local)
                for c, v in params.speeds_mph.items()
            }
            for profile, (local, motorway) in params.profile_ratios().items()
        },
        "build_seconds": seconds[0],
        "step_seconds": seconds[1],
    }


def build_offline(
    sources: Sources, params: OfflineParams | None = None, *, progress: bool = False
) -> RoadNetwork:
    """Build the offline road network for the study area (or ``params.bbox_27700``).

    Parameters
    ----------
    sources
        The located raw sources (Code-Point Open, OS Open Roads motorways, ONS LADs).
    params
        Model parameters; the cited defaults when omitted.
    progress
        Show a tqdm progress bar of the build steps.

    Returns
    -------
    RoadNetwork
        One strongly connected network: postcode nodes first, then motorway nodes.
    """
    params = params or OfflineParams()
    started = time.perf_counter()
    bbox: tuple[float, float, float, float] = (
        params.bbox_27700 if params.bbox_27700 is not None else study_area_bbox_27700()
    )
    steps = tqdm(total=8, desc="offline network", disable=not progress, unit="step")
    step_seconds: dict[str, float] = {}
    last = [started]

    def step(label: str) -> None:
        now = time.perf_counter()
        step_seconds[label] = round(now - last[0], 2)
        last[0] = now
        steps.set_postfix_str(label)
        steps.update(1)

    pcs = _read_postcodes(sources, bbox)
    n_pc = len(pcs.xy)
    tree = cKDTree(pcs.xy)
    step("postcodes")
    roads = _local_roads(sources, pcs, tree, params, step)

    mw_xy, mw_links, mw_len, is_junction, mw_lines = _motorways(sources, bbox)
    mw_links = mw_links + n_pc
    step("motorways")

    # 'A' roads from the DfT Major Road Database: motorway links matched to OS Open
    # Roads are dropped (the OS geometry is kept), the rest become the 'A'-road layer.
    mrdb = read_major_roads(sources, bbox)
    is_mw_link = motorway_link_mask(mrdb, mw_lines, params)
    aroads = a_road_layer(mrdb, is_mw_link, pcs.xy, tree, params, _per_postcode(params))
    joins = _joins(mw_xy, is_junction, aroads, pcs, tree, roads.core, params)
    a_pieces = aroads.pieces + n_pc + len(mw_xy)
    step("'A' roads")

    local = roads.links[roads.keep]
    net = _directed_network(
        np.vstack([pcs.xy, mw_xy, aroads.node_xy]),
        n_pc,
        np.concatenate([local[:, 0], mw_links[:, 0], a_pieces[:, 0], joins.tail]),
        np.concatenate([local[:, 1], mw_links[:, 1], a_pieces[:, 1], joins.head]),
        np.concatenate([roads.length_m, mw_len, aroads.piece_length_m, joins.length_m]),
        np.concatenate(
            [
                roads.road_class,
                np.full(len(mw_links), "motorway"),
                np.where(aroads.piece_built_up, "a_road_built_up", "a_road"),
                np.full(len(joins.tail), "link"),
            ]
        ),
        params,
    )
    step("graph")
    net, components_dropped, nodes_dropped, lost_area = _main_component(net, pcs.lancashire)
    step("components")
    steps.close()

    net.meta = _build_record(
        params,
        bbox,
        pcs,
        roads,
        joins,
        aroads,
        highway=net.highway,
        motorway_links=len(mw_links),
        service_ends_xy=mw_xy[joins.service_ends],
        mrdb_links=len(mrdb),
        dropped=(components_dropped, nodes_dropped, lost_area),
        seconds=(round(time.perf_counter() - started, 2), step_seconds),
    )
    return net


def link_table(network: RoadNetwork) -> pd.DataFrame:
    """Return the network's directed edges as a table (for inspection and tests)."""
    tail, head = network.edges()
    return pd.DataFrame(
        {
            "tail": tail,
            "head": head,
            "length_m": network.length_m.data,
            "highway": network.highway,
            **{f"seconds_{p}": m.data for p, m in network.seconds.items()},
        }
    )
