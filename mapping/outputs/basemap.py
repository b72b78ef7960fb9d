"""The basemap: online tiles when the browser can reach them, else the project's own layers.

Whether tiles can be reached is decided where it matters, in the browser that shows the
map (the app's server and a reader of ``report.html`` may be on different networks):

- an *offline basemap* is always drawn, in a map pane beneath the tiles: Lancashire's
  land (the union of the 14 ONS council areas) on a neutral background, motorways
  (OS Open Roads), A roads when the caller has them (the road network's ``trunk`` and
  ``primary`` links; the offline network has no road classes, so none there), and place
  names;
- the OpenStreetMap tile layer is drawn above it. Tiles that load cover the offline
  basemap; tiles that fail (no internet, a blocked host) are never shown, so the offline
  basemap stays visible: the map is never blank or grey.

A note on the map says which basemap is showing, and the tiles' attribution is added to
the map's attribution only once a tile has loaded.

Place names
    There is no gazetteer offline. Council-area names are drawn by the map pages
    (:func:`mapping.outputs.maps.add_area_labels`): most are named after their main town
    (Preston, Blackpool, Burnley, Lancaster, ...). The offline basemap adds the 253 ward
    names (ONS electoral wards 2025), which name towns and neighbourhoods (e.g.
    "Fleetwood - Pharos"), shown only from zoom 12, where they no longer crowd each
    other. A ward name is placed at a point inside the ward.
"""

from __future__ import annotations

import functools
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template

from mapping.errors import ServiceMapError
from mapping.outputs.map_assets import figure_of
from mapping.outputs.script_text import js_literal
from mapping.outputs.verbatim import Verbatim
from mapping.study_area import MAP_CRS

__all__ = [
    "TILES_ATTRIBUTION",
    "TILES_NOTE",
    "TILES_URL",
    "OfflineBasemap",
    "TilesOrOfflineBase",
    "build_basemap",
    "default_basemap",
    "network_a_roads",
]

#: OpenStreetMap's standard tiles and the attribution their licence asks for.
TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILES_ATTRIBUTION = "© OpenStreetMap contributors"
TILES_NOTE = "Basemap: OpenStreetMap tiles (© OpenStreetMap contributors)"
#: Road network classes drawn as A roads (OpenStreetMap ``highway`` values).
A_ROAD_CLASSES = ("trunk", "primary")
#: Coordinates go to the browser rounded to 4 decimal places (at most 11 m).
_DECIMALS = 4
#: Motorways are read this far around the council areas, so those leaving the county
#: (M6 north and south, M65 east, M61 and M58 south) do not stop at the boundary.
_ROADS_MARGIN_M = 15_000.0


@dataclass(frozen=True)
class OfflineBasemap:
    """The offline basemap's layers, as JSON text ready for the page (built once).

    Attributes
    ----------
    land
        GeoJSON FeatureCollection of the land drawn (EPSG:4326).
    roads
        GeoJSON FeatureCollection of road lines, each with ``kind`` ``motorway`` or
        ``a_road``.
    places
        JSON list of ``[lat, lon, name]`` labels (not GeoJSON points, so nothing on the
        map is mistaken for a site).
    drawn_from
        Plain words for the note: what the layers are.
    """

    land: str
    roads: str
    places: str
    drawn_from: str


def _rounded(geometries: np.ndarray) -> np.ndarray:
    return shapely.transform(geometries, lambda xy: np.round(xy, _DECIMALS))


def _feature_collection(geometries: np.ndarray, properties: list[dict[str, Any]]) -> str:
    features = [
        {"type": "Feature", "properties": props, "geometry": json.loads(text)}
        for text, props in zip(shapely.to_geojson(geometries), properties, strict=True)
    ]
    return js_literal({"type": "FeatureCollection", "features": features})


def build_basemap(
    council_areas: gpd.GeoDataFrame,
    *,
    motorways: gpd.GeoDataFrame | None = None,
    a_roads: gpd.GeoDataFrame | None = None,
    wards: gpd.GeoDataFrame | None = None,
) -> OfflineBasemap:
    """Build the offline basemap from the project's layers (all in EPSG:27700).

    Parameters
    ----------
    council_areas
        The council areas: their union is the land drawn.
    motorways
        Motorway lines (e.g. :meth:`mapping.inputs.sources.Sources.read_motorways`).
    a_roads
        A-road lines (e.g. :func:`network_a_roads`), if the caller has them.
    wards
        Wards with ``ward_name``: their names label the map from zoom 12.
    """
    land = shapely.union_all(council_areas.geometry.to_numpy()).simplify(50.0)
    land_4326 = gpd.GeoSeries([land], crs=council_areas.crs).to_crs(MAP_CRS).to_numpy()
    parts = ["council areas (ONS)"]
    lines: list[shapely.Geometry] = []
    kinds: list[str] = []
    for frame, kind, words in (
        (motorways, "motorway", "motorways (OS Open Roads)"),
        (a_roads, "a_road", "A roads (road network)"),
    ):
        if frame is None or frame.empty:
            continue
        # One merged multi-line per kind: a feature per link would triple the bytes.
        merged = shapely.line_merge(shapely.union_all(frame.geometry.simplify(30.0).to_numpy()))
        lines.append(gpd.GeoSeries([merged], crs=frame.crs).to_crs(MAP_CRS).iloc[0])
        kinds.append(kind)
        parts.append(words)
    roads = _rounded(np.array(lines, dtype=object))
    places: list[list[object]] = []
    if wards is not None and not wards.empty:
        points = wards.geometry.representative_point().to_crs(MAP_CRS)
        places = [
            [round(p.y, _DECIMALS), round(p.x, _DECIMALS), str(name)]
            for p, name in zip(points, wards["ward_name"], strict=True)
        ]
        parts.append("ward names (ONS)")
    return OfflineBasemap(
        land=_feature_collection(_rounded(land_4326), [{}]),
        roads=_feature_collection(roads, [{"kind": k} for k in kinds]),
        places=js_literal(places),
        drawn_from=", ".join(parts),
    )


def network_a_roads(
    node_xy: np.ndarray, tail: np.ndarray, head: np.ndarray, highway: np.ndarray
) -> gpd.GeoDataFrame:
    """A-road lines of a road network (``trunk`` and ``primary`` edges), EPSG:27700.

    Arguments are a :class:`mapping.network.graph.RoadNetwork`'s ``node_xy``, its
    :meth:`~mapping.network.graph.RoadNetwork.edges` and ``highway``. The offline network
    classes its edges by speed (``urban``, ``rural``, ...), not by road number, so it
    gives none.
    """
    keep = np.isin(np.asarray(highway, dtype=str), A_ROAD_CLASSES)
    pairs = np.unique(np.sort(np.column_stack([tail[keep], head[keep]]), axis=1), axis=0)
    coords = np.stack([node_xy[pairs[:, 0]], node_xy[pairs[:, 1]]], axis=1)
    return gpd.GeoDataFrame(geometry=shapely.linestrings(coords), crs=27700)


@functools.cache
def _default_basemap(data_dir: str) -> OfflineBasemap | None:
    from mapping import geography
    from mapping.inputs.sources import locate_sources

    try:
        areas = geography.load_council_areas(Path(data_dir))
        wards = geography.load_wards(Path(data_dir))
    except (ServiceMapError, OSError):
        return None
    west, south, east, north = (float(v) for v in areas.total_bounds)
    margin = _ROADS_MARGIN_M
    try:
        motorways = locate_sources().read_motorways(
            (west - margin, south - margin, east + margin, north + margin)
        )
    except (ServiceMapError, OSError):
        motorways = None  # the land and names still draw
    return build_basemap(areas, motorways=motorways, wards=wards)


def default_basemap(data_dir: Path | None = None) -> OfflineBasemap | None:
    """The offline basemap of the built data (once per process), or ``None`` if unbuilt.

    Reads the council areas and wards of ``data_dir`` (default: the project's data
    folder) and the motorways of the raw sources (left out if the sources are absent).
    """
    from mapping.store import default_data_dir

    return _default_basemap(str(Path(data_dir or default_data_dir()).resolve()))


class TilesOrOfflineBase(MacroElement):
    """Online tiles above an always-drawn offline basemap, and a note of which shows.

    Parameters
    ----------
    basemap
        The offline layers, or ``None`` (then only the background is drawn offline).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var base = {{ this.base_js }};
  var texts = {{ this.texts_js }};
  map.getContainer().style.background = '#e9edf0';
  var pane = map.createPane('offlineBasemap');
  pane.style.zIndex = 150;
  pane.style.pointerEvents = 'none';
  var labels = map.createPane('offlineLabels');
  labels.style.zIndex = 160;
  labels.style.pointerEvents = 'none';
  if (base) {
    L.geoJSON(base.land, {pane: 'offlineBasemap', interactive: false,
      style: {color: '#8c8c7a', weight: 1, fillColor: '#f5f2e8', fillOpacity: 1}}).addTo(map);
    L.geoJSON(base.roads, {pane: 'offlineBasemap', interactive: false,
      style: function (f) {
        return f.properties.kind === 'motorway'
          ? {color: '#4a74b8', weight: 3, opacity: 0.9}
          : {color: '#c46a3a', weight: 2, opacity: 0.9};
      }}).addTo(map);
    var names = L.layerGroup();
    base.places.forEach(function (p) {
      var label = document.createElement('span');
      label.textContent = p[2];
      L.marker([p[0], p[1]], {pane: 'offlineLabels', interactive: false, keyboard: false,
        icon: L.divIcon({className: 'offline-place', iconSize: null, html: label})})
        .addTo(names);
    });
    var showNames = function () {
      if (map.getZoom() >= 12) { names.addTo(map); } else { names.remove(); }
    };
    map.on('zoomend', showNames);
    showNames();
  }
  var Note = L.Control.extend({
    options: {position: 'bottomleft'},
    onAdd: function () {
      var div = L.DomUtil.create('div', 'basemap-note');
      div.textContent = texts.offline;
      return div;
    }
  });
  var note = new Note().addTo(map);
  var tiles = L.tileLayer(texts.url, {maxZoom: 19});
  tiles.once('tileload', function () {
    note.getContainer().textContent = texts.online;
    map.getContainer().classList.add('tiles-shown');
    map.attributionControl.addAttribution(texts.attribution);
  });
  tiles.addTo(map);
})();
{% endmacro %}
"""
    )

    def __init__(self, basemap: OfflineBasemap | None) -> None:
        super().__init__()
        self._name = "TilesOrOfflineBase"
        if basemap is None:
            self.base_js = "null"
            offline = (
                "Basemap: none (online map tiles could not be reached, and the offline "
                "basemap needs the built data)"
            )
        else:
            self.base_js = (
                f'{{"land":{basemap.land},"roads":{basemap.roads},"places":{basemap.places}}}'
            )
            offline = (
                f"Basemap: offline, from the project's data ({basemap.drawn_from}); "
                "online map tiles not reached"
            )
        texts = {
            "url": TILES_URL,
            "attribution": html.escape(TILES_ATTRIBUTION),
            "online": TILES_NOTE,
            "offline": offline,
        }
        # Inside a <script>: every text encoded for it (mapping.outputs.script_text).
        self.texts_js = js_literal(texts)

    def render(self, **kwargs: Any) -> Any:
        """Add the styles of the note and the place names to the page, then render."""
        figure_of(self).header.add_child(
            Verbatim(
                "<style>.basemap-note{background:rgba(255,255,255,0.85);padding:1px 5px;"
                "font-size:11px;color:#333;max-width:360px}"
                ".offline-place span{font-size:10px;color:#555;white-space:nowrap;"
                "text-shadow:0 0 2px #fff,0 0 2px #fff;display:inline-block;"
                "transform:translate(-50%,-50%)}</style>"
            ),
            name="basemap_styles",
        )
        return super().render(**kwargs)
