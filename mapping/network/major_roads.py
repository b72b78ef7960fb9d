"""The 'A'-road layer of the offline network and the motorway service-area rule.

The DfT Major Road Database 2018 ("minimal" geometry) holds every motorway and 'A'-road
link in Great Britain as a straight line between its two junctions, with no attributes.
This module

* tells its motorway links apart by matching the OS Open Roads motorways (which the
  network already uses, with their real geometry), so every other link is an 'A' road;
* cuts each 'A'-road link into pieces of at most ``a_road_step_m`` along its line, so
  that the road can be joined to the settlements it passes through and driven at the
  built-up speed where addresses line it (v3: from the postcodes along the piece, not the
  density of the 1 km² around it, so bypasses run at the rural speed);
* joins each settlement beside an 'A' road to it at the road's nearest point (v3);
* finds the motorway link ends that are service areas rather than junctions.

The rules and every figure are described, with citations, in ``docs/network.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyogrio
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from mapping.inputs.sources import SourceError, Sources
from mapping.network.params import OfflineParams

__all__ = [
    "ARoads",
    "a_road_layer",
    "frontage_per_km",
    "read_major_roads",
    "service_area_ends",
    "settlement_joins",
]

#: Points along a Major Road Database link at which its distance to a motorway is measured.
_MATCH_SAMPLES = np.linspace(0.0, 1.0, 9)


def read_major_roads(
    sources: Sources, bbox: tuple[float, float, float, float] | None = None
) -> np.ndarray:
    """Read the Major Road Database links as an ``(m, 2, 2)`` array of end points (EPSG:27700).

    Parameters
    ----------
    sources
        The located raw sources.
    bbox
        Keep links that meet ``(minx, miny, maxx, maxy)``; all of Great Britain if omitted.

    Raises
    ------
    SourceError
        If the file is missing, corrupt or not made of two-point lines.
    """
    path = sources.path("mrdb")
    for key in ("mrdb_shx", "mrdb_prj"):
        sources.path(key)  # the shapefile's index and projection must be present and verified
    try:
        frame = pyogrio.read_dataframe(path, bbox=bbox)
    except Exception as exc:  # pyogrio raises several error types for bad files
        raise SourceError(f"{path}: unreadable Major Road Database shapefile ({exc})") from exc
    if frame.crs is None or frame.crs.to_epsg() != 27700:
        raise SourceError(f"{path}: expected British National Grid (EPSG:27700), got {frame.crs}")
    lines = frame.geometry.values
    counts = shapely.get_num_coordinates(lines)
    if len(lines) and not np.all(counts == 2):
        row = int(np.flatnonzero(counts != 2)[0])
        raise SourceError(
            f"{path}: row {row}, field geometry: a link has {counts[row]} points, expected 2 "
            "(the 'minimal' Major Road Database is straight junction-to-junction lines)"
        )
    return shapely.get_coordinates(lines).reshape(-1, 2, 2)


def motorway_link_mask(
    ends: np.ndarray, motorway_lines: np.ndarray, params: OfflineParams
) -> np.ndarray:
    """Which Major Road Database links are motorways (True) rather than 'A' roads.

    A link is a motorway when both its ends lie within ``motorway_match_m`` of an OS Open
    Roads motorway line and no point of it strays farther from one than
    ``motorway_match_m`` plus ``motorway_match_bulge`` times its length: a straight line
    between two junctions of a curving road stands off the road by about a fifth of its
    length when the road is 1.11 times longer than the line (a circular arc).
    """
    if len(ends) == 0 or len(motorway_lines) == 0:
        return np.zeros(len(ends), dtype=bool)
    network = shapely.union_all(motorway_lines)
    shapely.prepare(network)
    a, b = ends[:, 0], ends[:, 1]
    dist = np.stack(
        [shapely.distance(network, shapely.points(a + (b - a) * t)) for t in _MATCH_SAMPLES],
        axis=1,
    )
    length = np.hypot(*(b - a).T)
    ends_near = np.maximum(dist[:, 0], dist[:, -1]) <= params.motorway_match_m
    hugs = dist.max(axis=1) <= params.motorway_match_m + params.motorway_match_bulge * length
    return ends_near & hugs


@dataclass
class ARoads:
    """The 'A'-road layer: its own nodes, pieces and the joins to the rest of the network.

    Node ids are local (0 .. len(node_xy) - 1); the builder offsets them.
    """

    node_xy: np.ndarray  # (n, 2) junctions first, then the points where links are cut
    n_junctions: int
    pieces: np.ndarray  # (m, 2) undirected pieces between a-road nodes
    piece_length_m: np.ndarray  # road length: straight length x main-road circuity
    piece_built_up: np.ndarray  # runs through a built-up place (driven at the built-up speed)
    join_a: np.ndarray  # a-road node of each join to a postcode node
    join_pc: np.ndarray  # postcode node of each join
    join_length_m: np.ndarray
    n_links: int  # 'A'-road links read
    n_motorway_links: int  # Major Road Database links matched to the motorways
    n_settlement_joins: int = 0  # joins of settlements at the road's nearest point (v3)


def _density(
    tree: cKDTree, points: np.ndarray, params: OfflineParams, per_postcode: float
) -> np.ndarray:
    """Inhabitants per km² in the 1 km² circle around each point (as for the local links)."""
    if len(points) == 0:
        return np.zeros(0)
    counts = tree.query_ball_point(points, r=params.density_radius_m, return_length=True)
    return counts * per_postcode / (np.pi * params.density_radius_m**2 / 1e6)


def _point_segment_distance(
    q: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each point ``q`` to the segment ``a``-``b`` (row-wise) and its fraction."""
    ab = b - a
    denom = np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-9)
    t = np.clip(np.einsum("ij,ij->i", q - a, ab) / denom, 0.0, 1.0)
    return np.hypot(*(q - (a + t[:, None] * ab)).T), t


def _near_segments(
    tree: cKDTree, a: np.ndarray, b: np.ndarray, reach: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (segment, point) pair within ``reach`` of the segment, with distance and fraction."""
    if len(a) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), np.zeros(0)
    half = np.hypot(*(b - a).T) / 2.0
    hits = tree.query_ball_point((a + b) / 2.0, r=half + reach)
    seg = np.repeat(np.arange(len(a)), [len(h) for h in hits])
    pt = np.fromiter((i for h in hits for i in h), dtype=np.int64, count=len(seg))
    dist, frac = _point_segment_distance(tree.data[pt], a[seg], b[seg])
    ok = dist <= reach[seg]
    return seg[ok], pt[ok], dist[ok], frac[ok]


def frontage_per_km(
    tree: cKDTree, a: np.ndarray, b: np.ndarray, radius_m: float, min_length_m: float = 250.0
) -> np.ndarray:
    """Postcode nodes within ``radius_m`` of each segment a→b, per km of the segment.

    A short segment counts as ``min_length_m`` long, so that one house beside a 50 m
    piece does not make it a street.
    """
    seg, _, _, _ = _near_segments(tree, a, b, np.full(len(a), radius_m))
    count = np.bincount(seg, minlength=len(a)).astype(float)
    return count / (np.maximum(np.hypot(*(b - a).T), min_length_m) / 1000.0)


def settlement_joins(
    tree: cKDTree,
    a: np.ndarray,
    b: np.ndarray,
    link_length_m: np.ndarray,
    params: OfflineParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Join each settlement beside an 'A'-road piece a→b to the piece's nearest point.

    A postcode node is part of a settlement when at least ``settlement_postcodes``
    postcode nodes lie within ``a_road_join_m`` of it (a village street, not a farm). A
    piece is joined to the settlement node nearest to it when that node lies within
    ``settlement_bulge`` times the length of the piece's whole link (the stand-off of a
    straight junction-to-junction line from a road 1.11 times longer, as for the
    motorway match), at least ``a_road_join_m`` and at most ``settlement_reach_m``.

    Returns
    -------
    tuple of numpy.ndarray
        Piece index, fraction along the piece of its nearest point, postcode node and
        straight distance, one row per joined piece.
    """
    reach = np.clip(
        params.settlement_bulge * link_length_m, params.a_road_join_m, params.settlement_reach_m
    )
    seg, pt, dist, frac = _near_segments(tree, a, b, reach)
    near, back = np.unique(pt, return_inverse=True)
    counts = tree.query_ball_point(tree.data[near], r=params.a_road_join_m, return_length=True)
    ok = (counts >= params.settlement_postcodes)[back.ravel()]
    seg, pt, dist, frac = seg[ok], pt[ok], dist[ok], frac[ok]
    order = np.lexsort((dist, seg))
    seg, pt, dist, frac = seg[order], pt[order], dist[order], frac[order]
    first = np.ones(len(seg), dtype=bool)
    first[1:] = seg[1:] != seg[:-1]
    return seg[first], frac[first], pt[first], dist[first]


def a_road_layer(
    ends: np.ndarray,
    is_motorway: np.ndarray,
    pc_xy: np.ndarray,
    pc_tree: cKDTree,
    params: OfflineParams,
    per_postcode: float,
) -> ARoads:
    """Build the 'A'-road nodes, pieces and joins from the non-motorway links.

    Joins, each a ``link`` edge (straight length x local circuity, 30 mph):

    * every junction node (a link end) is joined to its ``junction_links`` nearest
      postcode nodes within ``junction_reach_m``, as a motorway junction is;
    * every cut point whose 1 km² circle is built up (at least ``suburban_density``
      inhabitants per km², the urban-cluster density of DEGURBA) is joined to its
      nearest postcode node within ``a_road_join_m``: the road passes through that
      settlement. In open country an 'A' road has no joins between its junctions;
    * every settlement beside a piece is joined to it at the piece's nearest point
      (:func:`settlement_joins`): a new node splits the piece there.

    A piece is built up (driven at the built-up speed) when at least
    ``frontage_per_km`` postcode nodes per km lie within ``frontage_radius_m`` of it:
    addresses line it. The builder then drops any join that crosses tidal water (the
    estuary rule).
    """
    a_ends = ends[~is_motorway]
    if len(a_ends) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return ARoads(
            np.zeros((0, 2)),
            0,
            np.zeros((0, 2), np.int64),
            np.zeros(0),
            np.zeros(0, bool),
            empty,
            empty,
            np.zeros(0),
            0,
            int(is_motorway.sum()),
        )
    # Junctions: link ends that coincide (to 1 m) are one node.
    junction_xy, inverse = np.unique(
        np.round(a_ends.reshape(-1, 2), 0), axis=0, return_inverse=True
    )
    inverse = inverse.ravel().reshape(-1, 2)
    n_junctions = len(junction_xy)
    a, b = junction_xy[inverse[:, 0]], junction_xy[inverse[:, 1]]
    length = np.hypot(*(b - a).T)
    n_pieces = np.maximum(1, np.ceil(length / params.a_road_step_m).astype(np.int64))
    # Cut points: for a link of k pieces, k - 1 interior points, numbered after the junctions.
    n_cut = int((n_pieces - 1).sum())
    link_of_cut = np.repeat(np.arange(len(a)), n_pieces - 1)
    first_cut = np.concatenate([[0], np.cumsum(n_pieces - 1)[:-1]])
    step_of_cut = np.arange(n_cut) - first_cut[link_of_cut] + 1
    frac = step_of_cut / n_pieces[link_of_cut]
    cut_xy = a[link_of_cut] + (b - a)[link_of_cut] * frac[:, None]
    node_xy = np.vstack([junction_xy, cut_xy])
    # Pieces: junction a -> cut 1 -> ... -> cut k-1 -> junction b.
    tails, heads, piece_link = [], [], []
    for k in np.unique(n_pieces):
        links = np.flatnonzero(n_pieces == k)
        piece_link.append(np.repeat(links, k))
        chain = np.empty((len(links), k + 1), dtype=np.int64)
        chain[:, 0] = inverse[links, 0]
        chain[:, -1] = inverse[links, 1]
        if k > 1:
            chain[:, 1:-1] = n_junctions + first_cut[links][:, None] + np.arange(k - 1)
        tails.append(chain[:, :-1].ravel())
        heads.append(chain[:, 1:].ravel())
    pieces = np.stack([np.concatenate(tails), np.concatenate(heads)], axis=1)
    p_a, p_b = node_xy[pieces[:, 0]], node_xy[pieces[:, 1]]
    piece_length = np.hypot(*(p_b - p_a).T) * params.main_road_circuity
    frontage = frontage_per_km(pc_tree, p_a, p_b, params.frontage_radius_m)
    built_up = frontage >= params.frontage_per_km
    # Settlements beside a piece that no address lines (a built-up piece is in a town,
    # joined at its cut points): a new node at the piece's nearest point splits it.
    link_len = length[np.concatenate(piece_link)]
    open_ = np.flatnonzero(~built_up)
    s_piece, s_frac, s_pc, s_dist = settlement_joins(
        pc_tree, p_a[open_], p_b[open_], link_len[open_], params
    )
    s_piece = open_[s_piece]
    # Nearest point at a piece's end: joined at that node; inside it: a new node.
    at_end = np.where(s_frac <= 1e-6, pieces[s_piece, 0], pieces[s_piece, 1])
    inside = (s_frac > 1e-6) & (s_frac < 1.0 - 1e-6)
    cut_at = s_piece[inside]
    split = n_junctions + n_cut + np.arange(len(cut_at))
    f = s_frac[inside]
    node_xy = np.vstack([node_xy, p_a[cut_at] + (p_b - p_a)[cut_at] * f[:, None]])
    pieces = np.vstack(
        [
            pieces,
            np.stack([pieces[cut_at, 0], split], axis=1),
            np.stack([split, pieces[cut_at, 1]], axis=1),
        ]
    )
    piece_length = np.concatenate(
        [piece_length, piece_length[cut_at] * f, piece_length[cut_at] * (1 - f)]
    )
    built_up = np.concatenate([built_up, built_up[cut_at], built_up[cut_at]])
    settlement_node = at_end.copy()
    settlement_node[inside] = split

    # Joins at junctions.
    k = min(params.junction_links, len(pc_xy))
    dist, near = pc_tree.query(junction_xy, k=k, distance_upper_bound=params.junction_reach_m)
    dist, near = dist.reshape(n_junctions, k), near.reshape(n_junctions, k)
    ok = np.isfinite(dist)
    join_a = [np.repeat(np.arange(n_junctions), k)[ok.ravel()]]
    join_pc = [near[ok]]
    join_len = [dist[ok]]
    # Joins where the road passes through a built-up place.
    if n_cut:
        in_town = _density(pc_tree, cut_xy, params, per_postcode) >= params.suburban_density
        d_cut, n_near = pc_tree.query(cut_xy, distance_upper_bound=params.a_road_join_m)
        use = in_town & np.isfinite(d_cut)
        join_a.append(n_junctions + np.flatnonzero(use))
        join_pc.append(n_near[use])
        join_len.append(d_cut[use])
    join_a.append(settlement_node)
    join_pc.append(s_pc)
    join_len.append(s_dist)
    return ARoads(
        node_xy=node_xy,
        n_junctions=n_junctions,
        pieces=pieces,
        piece_length_m=piece_length,
        piece_built_up=built_up,
        join_a=np.concatenate(join_a).astype(np.int64),
        join_pc=np.concatenate(join_pc).astype(np.int64),
        join_length_m=np.concatenate(join_len) * params.circuity,
        n_links=len(a),
        n_motorway_links=int(is_motorway.sum()),
        n_settlement_joins=len(settlement_node),
    )


def service_area_ends(
    junction_xy: np.ndarray,
    a_junction_xy: np.ndarray,
    pc_tree: cKDTree,
    params: OfflineParams,
) -> np.ndarray:
    """Which motorway junction ends are service areas (True), not junctions.

    The dangling ends of the motorway links (slip roads that end off the motorway) are
    grouped into sites: ends within ``service_cluster_m`` of each other. A site is a
    service area when

    * no 'A' road of the Major Road Database has a junction within
      ``service_a_road_m`` of any of its ends (no major road meets the motorway there),
      and
    * its postcodes are one site beside the motorway, not a settlement or a road to
      one: at least one postcode node within ``service_site_m`` of the site's centre
      (the services' own address) and at most ``service_max_postcodes`` within
      ``service_area_m``.

    A junction onto a minor road in open country (no postcode at the roundabout) or in
    a village (many postcodes) stays a junction.
    """
    n = len(junction_xy)
    if n == 0:
        return np.zeros(0, dtype=bool)
    pairs = cKDTree(junction_xy).query_pairs(params.service_cluster_m, output_type="ndarray")
    graph = sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    n_sites, site = connected_components(graph, directed=False)
    to_a_road = (
        cKDTree(a_junction_xy).query(junction_xy)[0]
        if len(a_junction_xy)
        else np.full(n, np.inf)  # no 'A' road in the area: none meets the motorway
    )
    near_a_road = np.zeros(n_sites, dtype=bool)
    np.logical_or.at(near_a_road, site, to_a_road <= params.service_a_road_m)
    centre = np.zeros((n_sites, 2))
    np.add.at(centre, site, junction_xy)
    centre /= np.bincount(site, minlength=n_sites)[:, None]
    on_site = pc_tree.query_ball_point(centre, r=params.service_site_m, return_length=True)
    around = pc_tree.query_ball_point(centre, r=params.service_area_m, return_length=True)
    is_service = ~near_a_road & (on_site >= 1) & (around <= params.service_max_postcodes)
    return is_service[site]
