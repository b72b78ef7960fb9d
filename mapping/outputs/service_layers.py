"""Service layers: sites as badges (open or closed at the time shown), scenario marks,
and confidential provision shaded by council area (never a point).

Every register or user text that reaches the map (tooltips, popups, keys, layer names)
is escaped here. Re-exported by :mod:`mapping.outputs.maps`, where the other layers are.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import cast

import folium
import geopandas as gpd
import pandas as pd

from mapping.errors import ServiceMapError
from mapping.inputs.hours import is_open
from mapping.inputs.vocabulary import LANCASHIRE, is_confidential
from mapping.outputs import markers
from mapping.outputs.map_assets import OfflineMarkerCluster, figure_of
from mapping.outputs.script_text import ScriptTooltip
from mapping.study_area import MAP_CRS

__all__ = [
    "CATEGORY_LABELS",
    "CATEGORY_STYLE",
    "add_confidential_districts",
    "add_point_marker",
    "add_scenario_sites",
    "add_services",
    "confidential_counts",
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
    "womens_centre": ("pink", "female"),
    "safe_house": ("cadetblue", "bed"),
}

#: Readable names of the register's categories (for layer names, legends, widgets).
CATEGORY_LABELS: dict[str, str] = {
    "sarc": "SARC (sexual assault referral centre)",
    "isva": "ISVA (independent sexual violence adviser)",
    "idva": "IDVA (independent domestic violence adviser)",
    "da_outreach": "Domestic-abuse outreach",
    "refuge": "Refuge",
    "young_people": "Young people's service",
    "stalking": "Stalking advocacy",
    "hate_crime": "Hate crime",
    "counselling": "Counselling",
    "restorative_justice": "Restorative justice",
    "police_victim_care": "Police victim care",
    "multi_crime_hub": "Multi-crime hub",
    "helpline": "Helpline",
    "womens_centre": "Women's centre",
    "safe_house": "Safe house",
}


def _escaped(values: pd.Series) -> pd.Series:
    """Text for a tooltip field: folium's ``GeoJsonTooltip`` inserts values as HTML."""
    return values.map(lambda v: v if v is None or pd.isna(v) else html.escape(str(v)))


def _popup_html(row: pd.Series) -> str:
    def field(label: str, value: object) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
            return ""
        if value is pd.NaT or (not isinstance(value, tuple | list) and pd.isna(value)):
            return ""
        if isinstance(value, tuple | list):
            value = ", ".join(str(v) for v in value)
        if isinstance(value, pd.Timestamp):
            value = value.date().isoformat()
        return f"<b>{html.escape(label)}:</b> {html.escape(str(value))}<br>"

    ages = _age_text(row.get("min_age"), row.get("max_age"))
    where = row.get("provider_area")
    outside = (
        f"<i>Outside {html.escape(LANCASHIRE)}: {html.escape(str(where))}</i><br>"
        if isinstance(where, str) and where and where != LANCASHIRE
        else ""
    )
    return (
        f"<div style='min-width:220px'><b>{html.escape(str(row['name']))}</b><br>"
        + outside
        + field("Provider", row.get("provider"))
        + field("Category", CATEGORY_LABELS.get(str(row.get("category")), row.get("category")))
        + field("Hours", row.get("opening_hours"))
        + field("Hours basis", row.get("hours_basis"))
        + field("Confidence", _confidence_text(row))
        + field("Ages", ages)
        + field("Sexes", row.get("sexes"))
        + field("Crime types", row.get("crime_types"))
        + field("Source", row.get("source"))
        + field("Verified on", row.get("verified_on"))
        + "</div>"
    )


def _confidence_text(row: pd.Series) -> str | None:
    """The record's confidence (data/README.md rule) and what lowers it."""
    level = row.get("confidence")
    if not isinstance(level, str) or not level:
        return None
    reasons = []
    if not str(row.get("hours_basis") or "").startswith("published:"):
        reasons.append("assumed hours")
    if row.get("location_precision") == "town":
        reasons.append("located only to a town, about 1 km")
    return f"{level} ({'; '.join(reasons)})" if reasons else level


def _age_text(min_age: object, max_age: object) -> str:
    low = None if min_age is None or pd.isna(min_age) else int(cast(float, min_age))
    high = None if max_age is None or pd.isna(max_age) else int(cast(float, max_age))
    if low is None and high is None:
        return "all ages"
    if high is None:
        return f"{low}+"
    return f"{low or 0}-{high}"


def _public_points(services: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Located, non-confidential records only, in EPSG:4326 (the one gate to the map)."""
    shown = services[~is_confidential(services) & services.geometry.notna()]
    shown = shown[~shown.geometry.is_empty]
    return shown.to_crs(MAP_CRS)


def _open_now(row: pd.Series, at: str | None) -> bool | None:
    """Whether a service is open at ``at`` (``None``: no time given).

    Like the travel engine, a service without stated hours or with hours that cannot be
    read is never counted as open.
    """
    if at is None:
        return None
    expr = row.get("opening_hours")
    if not isinstance(expr, str) or not expr.strip():
        return False
    try:
        return is_open(expr, at)
    except ServiceMapError:
        return False


def _siteless(services: pd.DataFrame, categories: Iterable[str] | None) -> pd.DataFrame:
    """Public records without a site (telephone lines, county-wide services)."""
    rows = services[~is_confidential(services)]
    if categories is not None:
        rows = rows[rows["category"].isin(list(categories))]
    geometry = rows.geometry if isinstance(rows, gpd.GeoDataFrame) else None
    if geometry is None:
        return rows
    return rows[geometry.isna() | geometry.is_empty]


def add_services(
    fmap: folium.Map,
    services: gpd.GeoDataFrame,
    categories: Iterable[str] | None = None,
    cluster: bool = True,
    *,
    name: str = "Services",
    show: bool = True,
    open_at: str | None = None,
    when: str = "",
) -> folium.FeatureGroup:
    """Draw located, non-confidential services as badges coloured by category.

    Confidential records and records without a point are skipped here by rule, whatever
    the caller passes in: they are shown by :func:`add_confidential_districts`, and the
    map's key counts the records without a site.

    Parameters
    ----------
    fmap
        The map.
    services
        The register (or :func:`mapping.inputs.register.public_view` of it), EPSG:27700.
    categories
        Categories to draw (default: all).
    cluster
        Cluster nearby markers.
    name
        Layer name (one layer per category lets the user switch categories on and off).
    show
        Whether the layer is switched on.
    open_at
        The time shown (anything :func:`mapping.hours.parse_when` reads, e.g.
        ``"Sat 02:00"``): services closed then are drawn hollow, open ones filled, and
        the key says which is which. ``None``: every badge filled, no open/closed key.
    when
        Words for that time in the key and tooltips (default: ``open_at``).
    """
    layer = folium.FeatureGroup(name=html.escape(name), show=show)
    target: folium.Element = layer
    if cluster:
        target = OfflineMarkerCluster(name=html.escape(name))
        target.add_to(layer)
    shown = _public_points(services)
    if categories is not None:
        shown = shown[shown["category"].isin(list(categories))]
    when = when or (open_at or "")
    states = []
    for _, row in shown.iterrows():
        colour, _ = CATEGORY_STYLE.get(row["category"], ("gray", ""))
        state = _open_now(row, open_at)
        states.append(state)
        status = "" if state is None else (f" (open {when})" if state else f" (closed {when})")
        marker = folium.Marker(
            location=(row.geometry.y, row.geometry.x),
            icon=markers.service_icon(colour, is_open=state is not False),
        ).add_to(target)
        ScriptTooltip(html.escape(f"{row['name']}{status}")).add_to(marker)
        headline = html.escape(status.strip(" ()").capitalize())
        markers.HtmlPopup((f"<b>{headline}</b><br>" if status else "") + _popup_html(row)).add_to(
            marker
        )
    layer.add_to(fmap)
    figure_of(fmap).header.add_child(markers.marker_css(), name="marker_css")
    _add_services_key(fmap, services, categories, states, open_at is not None, when)
    return layer


def _add_services_key(
    fmap: folium.Map,
    services: pd.DataFrame,
    categories: Iterable[str] | None,
    states: Sequence[bool | None],
    timed: bool,
    when: str,
) -> None:
    """The services' key: open and closed badges, and the records without a site."""
    chosen = list(categories) if categories is not None else None
    colour = "gray"
    if chosen is not None and len(chosen) == 1:
        colour = CATEGORY_STYLE.get(chosen[0], ("gray", ""))[0]
    rows: list[tuple[str, str]] = []
    if timed and states:  # no "open (0) closed (0)" for a category with no site drawn
        n_open = sum(1 for s in states if s)
        rows.append((markers.badge_swatch(colour, is_open=True), f"open {when} ({n_open})".strip()))
        rows.append(
            (
                markers.badge_swatch(colour, is_open=False),
                f"closed {when} ({len(states) - n_open})".strip(),
            )
        )
    siteless = _siteless(services, chosen)
    note = ""
    if len(siteless):
        note = (
            f"{len(siteless)} without a site (telephone or county-wide service): not on the "
            "map, and no drive time"
        )
    if rows or note:
        title = "Services"
        if chosen is not None and len(chosen) == 1:
            title = CATEGORY_LABELS.get(chosen[0], chosen[0]).split(" (")[0]
        markers.KeyControl(markers.key_html(title, rows, note)).add_to(fmap)


def add_scenario_sites(
    fmap: folium.Map,
    register: gpd.GeoDataFrame,
    *,
    added: Iterable[str] = (),
    closed: Iterable[str] = (),
    changed: Iterable[str] = (),
) -> folium.FeatureGroup:
    """Mark a scenario's sites: added (star), closed (cross) and re-timed (clock).

    ``register`` is the scenario's effective register (closed services are looked up in
    the baseline register by the caller and passed in the same frame). Confidential
    records are never drawn, as everywhere.
    """
    layer = folium.FeatureGroup(name="Scenario changes", show=True)
    points = _public_points(register).set_index("id", drop=False)
    groups = (
        (added, "green", "★", "Added (what-if)"),
        (closed, "black", "✕", "Closed"),
        (changed, "orange", "◷", "New opening hours"),
    )
    for ids, colour, symbol, label in groups:
        for sid in ids:
            if sid not in points.index:
                continue
            row = points.loc[sid]
            if isinstance(row, pd.DataFrame):
                row = row.iloc[0]
            marker = folium.Marker(
                location=(row.geometry.y, row.geometry.x),
                icon=markers.symbol_icon(colour, symbol),
                z_index_offset=1000,
            ).add_to(layer)
            ScriptTooltip(html.escape(f"{label}: {row['name']}")).add_to(marker)
            markers.HtmlPopup(f"<b>{html.escape(label)}</b><br>" + _popup_html(row)).add_to(marker)
    layer.add_to(fmap)
    figure_of(fmap).header.add_child(markers.marker_css(), name="marker_css")
    return layer


def add_point_marker(fmap: folium.Map, lat: float, lon: float, label: str) -> folium.Marker:
    """Mark one point the user chose (e.g. where a what-if site would go)."""
    marker = folium.Marker(location=(lat, lon), icon=markers.symbol_icon("lightgreen", "+"))
    ScriptTooltip(html.escape(label)).add_to(marker)
    marker.add_to(fmap)
    figure_of(fmap).header.add_child(markers.marker_css(), name="marker_css")
    return marker


def confidential_counts(services: pd.DataFrame) -> pd.Series:
    """Number of confidential services per ``district`` (a count, never a location)."""
    confidential = services[is_confidential(services)]
    return confidential.groupby("district").size()


def add_confidential_districts(
    fmap: folium.Map, areas: gpd.GeoDataFrame, services: pd.DataFrame, *, show: bool = True
) -> folium.FeatureGroup:
    """Shade each council area by its number of confidential services (never a point).

    ``show=False`` adds the layer switched off (the layer control turns it on), for maps
    where the shading would hide a choropleth beneath it.
    """
    counts = confidential_counts(services)
    shaded = areas[["lad_code", "lad_name", "geometry"]].copy()
    shaded["confidential_services"] = shaded["lad_code"].map(counts).fillna(0).astype(int)
    shaded = shaded[shaded["confidential_services"] > 0].to_crs(MAP_CRS)
    shaded["lad_name"] = _escaped(shaded["lad_name"])
    layer = folium.FeatureGroup(name="Refuges and safe houses (district level)", show=show)
    folium.GeoJson(
        shaded,
        style_function=lambda _: {
            "color": "#0072B2",
            "weight": 0.5,
            "fillColor": "#56B4E9",
            "fillOpacity": 0.35,
            "dashArray": "4 4",
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["lad_name", "confidential_services"],
            aliases=["Council area", "Confidential sites (location withheld)"],
        ),
    ).add_to(layer)
    layer.add_to(fmap)
    label = (
        f"Council area with refuges or safe houses ({int(counts.sum())} in all; count in the "
        "tooltip, addresses withheld)"
    )
    if not show:
        label += ": switch on in the layer list"
    rows = [(markers.swatch("rgba(86,180,233,0.45)", "#0072B2", dashed=True), label)]
    markers.KeyControl(markers.key_html("Refuges and safe houses", rows)).add_to(fmap)
    return layer
