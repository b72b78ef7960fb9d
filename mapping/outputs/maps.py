"""Folium layers: council areas, services, district-level confidential provision, and
LSOA choropleths of drive minutes.

Maps only draw what the analysis computed. Geometry arrives in EPSG:27700 and is
converted to EPSG:4326 here, at the last moment. Confidential services (refuges, safe
houses) are never drawn as points: only as a count shaded on their council area. The
service layers live in :mod:`mapping.outputs.service_layers` and are re-exported here;
the basemap in :mod:`mapping.outputs.basemap`, the map's scripts in
:mod:`mapping.outputs.map_assets`.

Colours
    Minutes use viridis (perceptually uniform, readable under the common colour-vision
    deficiencies and in greyscale), short drives light and long drives dark. Scenario
    differences use ColorBrewer's PuOr, a diverging scheme marked colour-blind safe.
    Classes always include the threshold the user chose, so "within N minutes" is a
    class boundary on the map. They are :class:`mapping.formats.MinuteClasses`, the one
    classification the HTML report's map and the export's ``minutes_band`` columns use.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.utilities import JsCode

from mapping import ATTRIBUTION, formats
from mapping.formats import NO_DATA_COLOUR, STANDARD_LIMITS, minute_classes, viridis
from mapping.outputs import markers
from mapping.outputs.basemap import OfflineBasemap, TilesOrOfflineBase, default_basemap
from mapping.outputs.map_assets import OfflineMap, figure_of
from mapping.outputs.map_key import map_key
from mapping.outputs.service_layers import (
    CATEGORY_LABELS,
    CATEGORY_STYLE,
    add_confidential_districts,
    add_point_marker,
    add_scenario_sites,
    add_services,
    confidential_counts,
)
from mapping.outputs.verbatim import Verbatim
from mapping.study_area import MAP_CRS

__all__ = [
    "CATEGORY_LABELS",
    "CATEGORY_STYLE",
    "DIFFERENCE_BREAKS",
    "DIFFERENCE_COLOURS",
    "NO_DATA_COLOUR",
    "Shapes",
    "add_area_labels",
    "add_confidential_districts",
    "add_council_areas",
    "add_difference_choropleth",
    "add_layer_control",
    "add_minutes_choropleth",
    "add_point_marker",
    "add_scenario_sites",
    "add_services",
    "base_map",
    "confidential_counts",
    "display_shapes",
    "minute_breaks",
    "minute_colours",
]

#: Class limits of "minutes saved" (scenario minus baseline, positive = faster).
DIFFERENCE_BREAKS: tuple[float, ...] = (-20.0, -10.0, -2.0, 2.0, 10.0, 20.0)
#: ColorBrewer PuOr (7 classes, colour-blind safe): orange = longer, purple = shorter.
DIFFERENCE_COLOURS: tuple[str, ...] = (
    "#b35806",
    "#f1a340",
    "#fee0b6",
    "#f7f7f7",
    "#d8daeb",
    "#998ec3",
    "#542788",
)

_LANCASHIRE_CENTRE = (53.85, -2.6)
#: [[south, west], [north, east]] of the 14 council areas, to open the map on them.
_LANCASHIRE_BOUNDS = [[53.48, -3.09], [54.24, -2.04]]
#: Coordinates are rounded to 4 decimal places (at most 11 m, below the 25 m
#: simplification) before they go to the browser: a third less to send.
_DECIMALS = 4


#: The attribution's short form, always on the map (the full statements open from it).
SHORT_ATTRIBUTION = "Data © Crown copyright, © Royal Mail 2025 (OS, ONS); OGL v3.0"


def base_map(zoom_start: int = 9, basemap: OfflineBasemap | None = None) -> folium.Map:
    """Return an empty map of Lancashire, carrying the data attribution.

    The map needs no internet: its scripts come from installed packages
    (:mod:`mapping.outputs.map_assets`), and online tiles are drawn above an offline
    basemap (``basemap``, default: :func:`mapping.outputs.basemap.default_basemap`), so
    it is never blank when the tiles cannot be reached.
    """
    fmap = OfflineMap(
        location=_LANCASHIRE_CENTRE,
        zoom_start=zoom_start,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
    )
    TilesOrOfflineBase(basemap if basemap is not None else default_basemap()).add_to(fmap)
    fmap.fit_bounds(_LANCASHIRE_BOUNDS)
    # The OS, Royal Mail and ONS attribution travels with every map we draw: short on a
    # phone, in full when opened (and opened on a wide map).
    key = map_key(fmap)
    key.attribution = ATTRIBUTION
    key.short_attribution = SHORT_ATTRIBUTION
    return fmap


def display_shapes(
    areas: gpd.GeoDataFrame, tolerance_m: float = 25.0, columns: Sequence[str] | None = None
) -> gpd.GeoDataFrame:
    """Return polygons ready for the browser: simplified, in EPSG:4326, rounded.

    Parameters
    ----------
    areas
        Polygons in EPSG:27700 (LSOAs, wards or council areas).
    tolerance_m
        Douglas-Peucker tolerance in metres; 25 m is invisible at county zoom and
        halves what the browser must load.
    columns
        Attribute columns to keep (default: all).

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in EPSG:4326 with coordinates rounded to about 10 m.
    """
    keep = list(columns) if columns is not None else [c for c in areas.columns]
    if areas.geometry.name not in keep:
        keep.append(areas.geometry.name)
    shapes = areas[keep].copy()
    shapes = shapes.set_geometry(shapes.geometry.simplify(tolerance_m, preserve_topology=True))
    shapes = shapes.to_crs(MAP_CRS)
    rounded = shapely.transform(shapes.geometry.to_numpy(), lambda xy: np.round(xy, _DECIMALS))
    return shapes.set_geometry(gpd.GeoSeries(rounded, index=shapes.index, crs=MAP_CRS))


@dataclass(frozen=True)
class Shapes:
    """Browser-ready polygons, converted to GeoJSON once and reused by every map.

    Building a choropleth then only attaches per-query properties to geometry that is
    already GeoJSON, which keeps a re-render well under a second.

    Attributes
    ----------
    table
        The attribute columns (codes, names), one row per polygon.
    geometries
        GeoJSON geometry dicts in EPSG:4326, in the rows' order (shared, never modified).
    bounds
        ``[[south, west], [north, east]]`` of all polygons.
    """

    table: pd.DataFrame
    geometries: tuple[dict[str, Any], ...]
    bounds: list[list[float]]

    @classmethod
    def from_frame(cls, frame: gpd.GeoDataFrame) -> Shapes:
        """Convert a GeoDataFrame (any CRS) of polygons."""
        shown = frame.to_crs(MAP_CRS) if frame.crs is not None else frame
        geometries = tuple(
            json.loads(text) for text in shapely.to_geojson(shown.geometry.to_numpy())
        )
        west, south, east, north = (float(v) for v in shown.total_bounds)
        table = pd.DataFrame(shown.drop(columns=shown.geometry.name)).reset_index(drop=True)
        return cls(table=table, geometries=geometries, bounds=[[south, west], [north, east]])


class _GeoJson(folium.GeoJson):
    """A GeoJson layer whose bounds are known in advance (not recomputed point by point)."""

    def __init__(self, data: dict[str, Any], bounds: list[list[float]], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self._known_bounds = bounds

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._known_bounds  # type: ignore[return-value]


def _shapes(shapes: Shapes | gpd.GeoDataFrame) -> Shapes:
    return shapes if isinstance(shapes, Shapes) else Shapes.from_frame(shapes)


def shaded_layer(shapes: Shapes, properties: pd.DataFrame, **kwargs: Any) -> folium.GeoJson:
    """A GeoJson layer of ``shapes`` with one ``properties`` row per polygon.

    The geometry is the GeoJSON ``shapes`` holds (made once); ``kwargs`` go to
    :class:`folium.GeoJson` (``name``, ``show``, ``style_function``, ``tooltip``).
    """
    return _GeoJson(_collection(shapes, properties), shapes.bounds, **kwargs)


def _collection(shapes: Shapes, properties: pd.DataFrame) -> dict[str, Any]:
    """A FeatureCollection of ``shapes`` with one properties row per polygon."""
    records = properties.to_dict("records")
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": str(i), "properties": record, "geometry": geometry}
            for i, (record, geometry) in enumerate(zip(records, shapes.geometries, strict=True))
        ],
    }


# ---- classes and colours ------------------------------------------------------------


def minute_breaks(threshold: float, thresholds: Iterable[float] = STANDARD_LIMITS) -> list[float]:
    """Class limits in minutes: ``0``, the report thresholds and the chosen threshold.

    The classes are :func:`mapping.formats.minute_classes`'; the last is open-ended.

    >>> minute_breaks(20)
    [0.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0]
    """
    return minute_classes(threshold, thresholds).breaks


def minute_colours(n_classes: int) -> list[str]:
    """``n_classes`` viridis colours, light (short drives) to dark (long drives)."""
    return viridis(n_classes)


def _legend(
    fmap: folium.Map, title: str, entries: Sequence[tuple[str, str]], note: str = ""
) -> None:
    """Add a legend (one swatch per class) to the map's key."""
    rows = [(markers.swatch(colour), label) for colour, label in entries]
    markers.KeyControl(markers.key_html(title, rows, note)).add_to(fmap)


# ---- formatting ---------------------------------------------------------------------


def _fmt_minutes(value: object) -> str:
    return formats.minutes(value, digits=0, unit=" min", missing="no open service within reach")


def _fmt_share(value: object) -> str:
    return formats.percent(value, missing="–")


def _fmt_people(value: object, *, signed: bool = False) -> str:
    return formats.people(value, signed=signed, missing="–")


def _escaped(values: pd.Series) -> pd.Series:
    """Text for a tooltip field: folium's ``GeoJsonTooltip`` inserts values as HTML."""
    return values.map(lambda v: v if formats.is_missing(v) else html.escape(str(v)))


# ---- layers ---------------------------------------------------------------------------


def add_council_areas(
    fmap: folium.Map,
    areas: gpd.GeoDataFrame,
    figures: pd.DataFrame | None = None,
    threshold: float | None = None,
    services: pd.DataFrame | None = None,
) -> folium.FeatureGroup:
    """Draw council-area outlines with their names (and figures) as tooltips.

    The outlines are not filled, so the shading beneath (an LSOA choropleth) keeps its
    own tooltips; the council-area tooltip shows when the pointer is on a boundary.

    Parameters
    ----------
    fmap
        The map.
    areas
        Council areas (``lad_code``, ``lad_name``, geometry in any CRS).
    figures
        Optional coverage table by council area (:meth:`Study.coverage` with
        ``by="district"``): its mean minutes, share within ``threshold`` and share whose
        nearest open service is outside Lancashire are added to the tooltip.
    threshold
        The minutes of the ``share_within_<threshold>`` column shown.
    services
        Optional register: the number of confidential sites (refuges, safe houses) per
        council area is added to the tooltip (a count, never a location).
    """
    layer = folium.FeatureGroup(name="Council areas", show=True)
    shown = areas[["lad_code", "lad_name", "geometry"]].to_crs(MAP_CRS)
    shown["lad_name"] = _escaped(shown["lad_name"])
    fields, aliases = ["lad_name"], ["Council area"]
    if figures is not None:
        table = figures.set_index("area_code")
        within = f"share_within_{threshold:g}" if threshold is not None else None
        shown = shown.copy()
        shown["mean"] = shown["lad_code"].map(table["mean_minutes"]).map(_fmt_minutes)
        fields.append("mean")
        aliases.append("Mean drive to nearest open service")
        if within is not None and within in table:
            shown["within"] = shown["lad_code"].map(table[within]).map(_fmt_share)
            fields.append("within")
            aliases.append(f"Eligible residents within {threshold:g} min")
        if "share_nearest_outside_lancashire" in table:
            shown["outside"] = (
                shown["lad_code"].map(table["share_nearest_outside_lancashire"]).map(_fmt_share)
            )
            fields.append("outside")
            aliases.append("Nearest open service outside Lancashire")
    if services is not None:
        counts = confidential_counts(services)
        shown = shown.copy()
        shown["confidential"] = shown["lad_code"].map(counts).fillna(0).astype(int)
        fields.append("confidential")
        aliases.append("Refuges and safe houses (location withheld)")
    folium.GeoJson(
        shown,
        style_function=lambda _: {"color": "#222222", "weight": 2, "fill": False},
        highlight_function=lambda _: {"weight": 4, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
    ).add_to(layer)
    layer.add_to(fmap)
    return layer


def add_area_labels(fmap: folium.Map, areas: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Write each council area's name on the map, at a point inside the area.

    One layer of permanent labels (not one marker per area), so it costs the page
    almost nothing to draw.
    """
    layer = folium.FeatureGroup(name="Council-area names", show=True)
    points = areas[["lad_name", "geometry"]].copy()
    points["geometry"] = points.geometry.representative_point()
    # The browser puts the name in as HTML.
    points["lad_name"] = _escaped(points["lad_name"])
    # One layer whose markers get their text in the browser: a marker per area built in
    # Python would cost the page ~0.1 s of rendering for 14 labels.
    folium.GeoJson(
        points.to_crs(MAP_CRS),
        marker=folium.Marker(icon=folium.DivIcon(html="")),
        on_each_feature=JsCode(
            "function (feature, layer) {"
            " layer.setIcon(L.divIcon({className: 'area-label', iconSize: [140, 16],"
            " iconAnchor: [70, 8], html: feature.properties.lad_name}));"
            " layer.options.interactive = false; }"
        ),
    ).add_to(layer)
    figure_of(fmap).header.add_child(
        Verbatim(
            "<style>.area-label{font-size:11px;font-weight:600;color:#111;"
            "text-align:center;white-space:nowrap;pointer-events:none;"
            "text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff;}</style>"
        )
    )
    layer.add_to(fmap)
    return layer


def add_minutes_choropleth(
    fmap: folium.Map,
    shapes: Shapes | gpd.GeoDataFrame,
    table: pd.DataFrame,
    threshold: float,
    *,
    code_column: str = "lsoa21_code",
    name_column: str = "lsoa21_name",
    service_names: Mapping[str, str] | None = None,
    thresholds: Iterable[float] = STANDARD_LIMITS,
    title: str = "Drive to the nearest open service",
    layer_name: str = "Drive minutes by LSOA",
) -> folium.FeatureGroup:
    """Shade areas by the population-weighted mean drive minutes of a coverage table.

    Parameters
    ----------
    fmap
        The map.
    shapes
        Area polygons (:class:`Shapes`, or a GeoDataFrame such as
        :func:`display_shapes` returns) with ``code_column`` and ``name_column``; a
        ``lad_name`` column is shown in the tooltip when present.
    table
        :meth:`mapping.Study.coverage` output at the same area level.
    threshold
        The user's threshold: a class limit, and the ``share_within`` shown.
    service_names
        ``{service id: name}`` to name the nearest service in tooltips.
    thresholds
        The other class limits (minutes).
    title, layer_name
        Legend title and layer name.
    """
    classes = minute_classes(threshold, thresholds)
    figures = table.set_index("area_code")
    shapes = _shapes(shapes)
    shown = shapes.table.copy()
    code = shown[code_column]
    mean = code.map(figures["mean_minutes"])
    within = f"share_within_{threshold:g}"
    shown["colour"] = classes.colour(mean)
    shown["t_area"] = _escaped(shown[name_column].astype(str) + " (" + code.astype(str) + ")")
    shown["t_mean"] = mean.map(_fmt_minutes)
    shown["t_median"] = code.map(figures["median_minutes"]).map(_fmt_minutes)
    shown["t_within"] = code.map(figures[within]).map(_fmt_share) if within in figures else "–"
    shown["t_eligible"] = code.map(figures["eligible_population"]).map(_fmt_people)
    names = dict(service_names or {})
    nearest = code.map(figures["nearest_service"])
    shown["t_nearest"] = [
        "none open" if formats.is_missing(s) else html.escape(names.get(str(s), str(s)))
        for s in nearest
    ]
    provider = code.map(figures["nearest_provider_area"])
    shown["t_provider"] = ["–" if formats.is_missing(p) else html.escape(str(p)) for p in provider]
    fields = ["t_area"]
    aliases = ["Area"]
    if "lad_name" in shown:
        shown["lad_name"] = _escaped(shown["lad_name"])
        fields.append("lad_name")
        aliases.append("Council area")
    fields += ["t_mean", "t_median", "t_within", "t_eligible", "t_nearest", "t_provider"]
    aliases += [
        "Mean drive (population-weighted)",
        "Median drive",
        f"Eligible residents within {threshold:g} min",
        "Eligible residents",
        "Nearest open service (most residents)",
        "Provided from",
    ]
    layer = folium.FeatureGroup(name=layer_name, show=True)
    _GeoJson(
        _collection(shapes, shown[[*fields, "colour"]]),
        shapes.bounds,
        style_function=lambda feature: {
            "fillColor": feature["properties"]["colour"],
            "fillOpacity": 0.65,
            "color": "#555555",
            "weight": 0.3,
        },
        highlight_function=lambda _: {"weight": 2.5, "color": "#000000", "fillOpacity": 0.8},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
    ).add_to(layer)
    layer.add_to(fmap)
    entries = classes.legend(highlight=float(threshold))
    entries.append((NO_DATA_COLOUR, "no eligible open service"))
    _legend(fmap, f"{title} (minutes)", entries, "Population-weighted mean per area")
    return layer


def add_difference_choropleth(
    fmap: folium.Map,
    shapes: Shapes | gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    code_column: str = "lsoa21_code",
    name_column: str = "lsoa21_name",
    threshold: float = 60,
    layer_name: str = "Minutes saved by the scenario",
) -> folium.FeatureGroup:
    """Shade areas by the minutes a scenario saves (``minutes_saved`` of a comparison).

    Parameters
    ----------
    fmap
        The map.
    shapes
        Area polygons (:class:`Shapes` or a GeoDataFrame).
    table
        :func:`mapping.analysis.scenarios.compare` ``by_area`` rows for one slot and this level.
    threshold
        Minutes of its ``population_newly_within_<t>`` column.
    layer_name
        Layer name.
    """
    figures = table.set_index("area_code")
    shapes = _shapes(shapes)
    shown = shapes.table.copy()
    code = shown[code_column]
    saved = code.map(figures["minutes_saved"])
    # A class includes its upper limit, as the classes of minutes do.
    classes = np.searchsorted(DIFFERENCE_BREAKS, saved.to_numpy(dtype=float), side="left")
    shown["colour"] = [
        NO_DATA_COLOUR if formats.is_missing(v) else DIFFERENCE_COLOURS[c]
        for v, c in zip(saved, classes, strict=True)
    ]
    shown["t_area"] = _escaped(shown[name_column].astype(str) + " (" + code.astype(str) + ")")
    shown["t_base"] = code.map(figures["baseline_mean_minutes"]).map(_fmt_minutes)
    shown["t_scen"] = code.map(figures["scenario_mean_minutes"]).map(_fmt_minutes)
    shown["t_saved"] = saved.map(
        lambda v: formats.minutes(v, signed=True, unit=" min", missing="–")
    )
    newly = f"population_newly_within_{threshold:g}"
    shown["t_newly"] = (
        code.map(figures[newly]).map(lambda v: _fmt_people(v, signed=True))
        if newly in figures
        else "–"
    )
    fields = ["t_area", "t_base", "t_scen", "t_saved", "t_newly"]
    aliases = [
        "Area",
        "Baseline mean drive",
        "Scenario mean drive",
        "Minutes saved",
        f"Residents newly within {threshold:g} min",
    ]
    layer = folium.FeatureGroup(name=layer_name, show=True)
    _GeoJson(
        _collection(shapes, shown[[*fields, "colour"]]),
        shapes.bounds,
        style_function=lambda feature: {
            "fillColor": feature["properties"]["colour"],
            "fillOpacity": 0.7,
            "color": "#555555",
            "weight": 0.3,
        },
        highlight_function=lambda _: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
    ).add_to(layer)
    layer.add_to(fmap)
    labels = [
        "over 20 min longer",
        "10–20 min longer",
        "2–10 min longer",
        "within 2 min (no real change)",
        "2–10 min shorter",
        "10–20 min shorter",
        "over 20 min shorter",
    ]
    _legend(
        fmap,
        "Scenario against baseline (minutes)",
        list(zip(DIFFERENCE_COLOURS, labels, strict=True)),
        "Change in population-weighted mean drive",
    )
    return layer


def add_layer_control(fmap: folium.Map) -> folium.LayerControl:
    """Let the user switch layers (categories, shading, labels) on and off."""
    control = folium.LayerControl(collapsed=True, position="topright")
    control.add_to(fmap)
    return control
