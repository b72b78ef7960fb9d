"""Folium layers: council areas, services and district-level confidential provision.

Maps only draw what the analysis computed. Geometry arrives in EPSG:27700 and is
converted to EPSG:4326 here, at the last moment. Confidential services (refuges, safe
houses) are never drawn as points: only as a count shaded on their council area.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import folium
import geopandas as gpd
import pandas as pd
from folium.plugins import MarkerCluster

from mapping import ATTRIBUTION
from mapping.study_area import MAP_CRS

__all__ = [
    "CATEGORY_STYLE",
    "add_confidential_districts",
    "add_council_areas",
    "add_services",
    "base_map",
]

#: Marker colour (folium's named palette, chosen to stay distinguishable under the
#: common colour-vision deficiencies alongside the icon) and Font Awesome icon.
CATEGORY_STYLE: dict[str, tuple[str, str]] = {
    "sarc": ("red", "plus-square"),
    "isva": ("purple", "user"),
    "idva": ("darkblue", "user"),
    "da_outreach": ("blue", "home"),
    "refuge": ("cadetblue", "bed"),
    "young_people": ("orange", "child"),
    "stalking": ("darkpurple", "eye"),
    "hate_crime": ("darkred", "bullhorn"),
    "counselling": ("green", "comments"),
    "restorative_justice": ("darkgreen", "handshake-o"),
    "police_victim_care": ("gray", "shield"),
    "multi_crime_hub": ("black", "building"),
    "helpline": ("lightgray", "phone"),
}

_TILES = "OpenStreetMap"
_LANCASHIRE_CENTRE = (53.85, -2.6)


def _attribution() -> str:
    return " | ".join(html.escape(line) for line in ATTRIBUTION)


def base_map(zoom_start: int = 9) -> folium.Map:
    """Return an empty map centred on Lancashire, carrying the data attribution."""
    fmap = folium.Map(
        location=_LANCASHIRE_CENTRE,
        zoom_start=zoom_start,
        tiles=None,
        control_scale=True,
    )
    folium.TileLayer(_TILES, name="Base map", control=False).add_to(fmap)
    # The OS, Royal Mail and ONS attribution travels with every map we draw.
    fmap.get_root().html.add_child(
        folium.Element(
            '<div style="position:fixed;bottom:2px;left:60px;z-index:9999;font-size:10px;'
            f'background:rgba(255,255,255,0.8);padding:1px 4px;">{_attribution()}</div>'
        )
    )
    return fmap


def add_council_areas(fmap: folium.Map, areas: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Draw council-area outlines with their names as tooltips."""
    layer = folium.FeatureGroup(name="Council areas", show=True)
    folium.GeoJson(
        areas[["lad_code", "lad_name", "geometry"]].to_crs(MAP_CRS),
        style_function=lambda _: {"color": "#333333", "weight": 1.5, "fillOpacity": 0.0},
        tooltip=folium.GeoJsonTooltip(fields=["lad_name"], aliases=["Council area"]),
    ).add_to(layer)
    layer.add_to(fmap)
    return layer


def _popup_html(row: pd.Series) -> str:
    def field(label: str, value: object) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
            return ""
        if isinstance(value, tuple | list):
            value = ", ".join(str(v) for v in value)
        return f"<b>{html.escape(label)}:</b> {html.escape(str(value))}<br>"

    ages = _age_text(row.get("min_age"), row.get("max_age"))
    return (
        f"<div style='min-width:220px'><b>{html.escape(str(row['name']))}</b><br>"
        + field("Provider", row.get("provider"))
        + field("Category", row.get("category"))
        + field("Hours", row.get("opening_hours"))
        + field("Hours basis", row.get("hours_basis"))
        + field("Ages", ages)
        + field("Crime types", row.get("crime_types"))
        + field("Source", row.get("source"))
        + field("Verified on", row.get("verified_on"))
        + "</div>"
    )


def _age_text(min_age: object, max_age: object) -> str:
    low = None if min_age is None or pd.isna(min_age) else int(min_age)
    high = None if max_age is None or pd.isna(max_age) else int(max_age)
    if low is None and high is None:
        return "all ages"
    if high is None:
        return f"{low}+"
    return f"{low or 0}-{high}"


def add_services(
    fmap: folium.Map,
    services: gpd.GeoDataFrame,
    categories: Iterable[str] | None = None,
    cluster: bool = True,
) -> folium.FeatureGroup:
    """Draw located, non-confidential services as markers styled by category.

    Confidential records and records without a point are skipped here by rule, whatever
    the caller passes in: they are shown by :func:`add_confidential_districts`.
    """
    layer = folium.FeatureGroup(name="Services", show=True)
    target: folium.map.Layer = MarkerCluster(name="Services").add_to(layer) if cluster else layer
    shown = services[~services["confidential"].astype(bool) & services.geometry.notna()]
    if categories is not None:
        shown = shown[shown["category"].isin(list(categories))]
    shown = shown.to_crs(MAP_CRS)
    for _, row in shown.iterrows():
        colour, icon = CATEGORY_STYLE.get(row["category"], ("gray", "info-sign"))
        folium.Marker(
            location=(row.geometry.y, row.geometry.x),
            tooltip=html.escape(str(row["name"])),
            popup=folium.Popup(_popup_html(row), max_width=320),
            icon=folium.Icon(color=colour, icon=icon, prefix="fa"),
        ).add_to(target)
    layer.add_to(fmap)
    return layer


def add_confidential_districts(
    fmap: folium.Map, areas: gpd.GeoDataFrame, services: pd.DataFrame
) -> folium.FeatureGroup:
    """Shade each council area by its number of confidential services (never a point)."""
    confidential = services[services["confidential"].astype(bool)]
    counts = confidential.groupby("district").size()
    shaded = areas[["lad_code", "lad_name", "geometry"]].copy()
    shaded["confidential_services"] = shaded["lad_code"].map(counts).fillna(0).astype(int)
    shaded = shaded[shaded["confidential_services"] > 0].to_crs(MAP_CRS)
    layer = folium.FeatureGroup(name="Refuges and safe houses (district level)", show=True)
    folium.GeoJson(
        shaded,
        style_function=lambda _: {
            "color": "#0072B2",
            "weight": 0.5,
            "fillColor": "#56B4E9",
            "fillOpacity": 0.25,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["lad_name", "confidential_services"],
            aliases=["Council area", "Confidential sites (location withheld)"],
        ),
    ).add_to(layer)
    layer.add_to(fmap)
    return layer
