"""Offline maps: local assets, the offline basemap, open/closed services, escaped text."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pytest
from branca.colormap import StepColormap
from folium.plugins import MarkerCluster
from shapely.geometry import LineString, Point, box

from mapping import geography
from mapping.inputs import register as services
from mapping.inputs.hours import is_open
from mapping.outputs import basemap, map_assets, maps, markers
from mapping.outputs.captions import service_caption
from mapping.outputs.script_text import js_literal

EVIL = '<img src=x onerror="alert(1)">'


def _decoded(uri: str) -> str:
    head, _, payload = uri.partition(",")
    assert head.endswith(";base64")
    return base64.b64decode(payload).decode("utf-8")


# ---- assets ---------------------------------------------------------------------------


def test_assets_are_the_packaged_leaflet_and_markercluster() -> None:
    leaflet = _decoded(map_assets.asset_uri("leaflet"))
    assert 't.version="1.9.3"' in leaflet
    assert "sourceMappingURL" not in leaflet
    cluster = _decoded(map_assets.asset_uri("markerclusterjs"))
    assert "MarkerClusterGroup" in cluster
    css = _decoded(map_assets.asset_uri("leaflet_css"))
    # The stylesheet's images are inside it: nothing relative is left to fetch.
    assert "url(images/" not in css
    assert css.count("url(data:image/png;base64,") == 3
    with pytest.raises(KeyError):
        map_assets.asset_uri("bootstrap")


def test_a_full_map_loads_nothing_from_the_internet(built_data: Path) -> None:
    register = services.load_register()
    areas = geography.load_council_areas(built_data)
    fmap = maps.base_map()
    maps.add_council_areas(fmap, areas)
    maps.add_area_labels(fmap, areas)
    maps.add_confidential_districts(fmap, areas, register)
    maps.add_services(fmap, services.public_view(register), open_at="Sat 02:00")
    maps.add_scenario_sites(fmap, register, added=[register["id"].iloc[0]])
    maps.add_point_marker(fmap, 53.8, -2.6, "Clicked point")
    maps.add_layer_control(fmap)
    page = fmap.get_root().render()
    assert map_assets.remote_assets(fmap) == []
    # Every script and stylesheet is inline; the only http URLs are the tile template
    # and plain links (attribution), never something the page loads.
    assert not re.findall(r'(?:src|href)="https?://', page)
    assert "jquery" not in page.lower() and "bootstrap" not in page.lower()
    # (Texts in the scripts are js_literal strings: braces are \u escapes there.)
    assert re.findall(r"https?://[^\"' )]+", _unescaped(page)) == [basemap.TILES_URL]


def test_a_map_that_would_use_a_cdn_refuses_to_render() -> None:
    for element in (
        folium.Marker([53.8, -2.6], icon=folium.Icon()),
        folium.Marker([53.8, -2.6], popup=folium.Popup("text")),
        MarkerCluster(),
        StepColormap(["#000000", "#ffffff"], index=[0, 1, 2]),
    ):
        fmap = maps.base_map(basemap=_tiny_basemap())
        element.add_to(fmap)
        problems = map_assets.remote_assets(fmap)
        assert len(problems) >= 1, element
        with pytest.raises(ValueError, match="would load from the internet"):
            fmap.get_root().render()


def test_the_fallback_message_stays_until_the_last_script() -> None:
    fmap = maps.base_map(basemap=_tiny_basemap())
    folium.GeoJson({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}).add_to(
        fmap
    )
    page = fmap.get_root().render()
    assert 'class="map-fallback"' in page
    removal = page.index("document.querySelectorAll('.map-fallback')")
    # The removal comes after every layer's script: an error before it leaves the message.
    assert removal > page.index("L.geoJson(") and removal > page.index("L.tileLayer(")


def test_a_map_laid_out_late_opens_on_its_first_view() -> None:
    fmap = maps.base_map(basemap=_tiny_basemap())
    page = fmap.get_root().render()
    name = fmap.get_name()
    fit = page.index(f"{name}.fitBounds(")
    # The late-layout watch (the map key has a ResizeObserver of its own).
    watch = page.index("new ResizeObserver(function ()")
    # After the map's own fit; it acts only when Leaflet measured a 0 x 0 map, then
    # fits the same bounds, without animation, once the frame has a size.
    assert fit < watch < page.index("document.querySelectorAll('.map-fallback')")
    script = page[watch : page.index(f"}})({name});", watch)]
    assert "map.invalidateSize({pan: false})" in script
    assert 'map.fitBounds([[53.48, -3.09], [54.24, -2.04]], {"animate": false})' in script
    plain = map_assets.OfflineMap(location=[54.0, -2.6], zoom_start=7, tiles=None)
    assert "map.setView([54.0, -2.6], 7, {animate: false})" in plain.get_root().render()


def _unescaped(page: str) -> str:
    """The page with the ``\\uXXXX`` escapes of its script strings read back."""
    return re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), page)


# ---- basemap --------------------------------------------------------------------------


def _tiny_basemap() -> basemap.OfflineBasemap:
    areas = gpd.GeoDataFrame(
        {"lad_code": ["A", "B"], "lad_name": ["West", "East"]},
        geometry=[box(350_000, 420_000, 360_000, 430_000), box(360_000, 420_000, 370_000, 430_000)],
        crs=27700,
    )
    motorways = gpd.GeoDataFrame(
        geometry=[LineString([(352_000, 419_000), (352_000, 431_000)])], crs=27700
    )
    wards = gpd.GeoDataFrame(
        {"ward_name": ["Fleetwood & <Pharos>"]},
        geometry=[box(350_000, 420_000, 351_000, 421_000)],
        crs=27700,
    )
    return basemap.build_basemap(areas, motorways=motorways, wards=wards)


def test_offline_basemap_is_land_roads_and_ward_names() -> None:
    import json

    base = _tiny_basemap()
    land = json.loads(base.land)["features"]
    # The two council areas share an edge: their union is one polygon, 20 km by 10 km.
    assert len(land) == 1 and land[0]["geometry"]["type"] == "Polygon"
    roads = json.loads(base.roads)["features"]
    assert [f["properties"]["kind"] for f in roads] == ["motorway"]
    places = json.loads(base.places)
    assert [p[2] for p in places] == ["Fleetwood & <Pharos>"]
    # A label is a [lat, lon, name] list, never a GeoJSON point (no site on the map).
    assert '"Point"' not in base.land + base.roads + base.places
    assert base.drawn_from == "council areas (ONS), motorways (OS Open Roads), ward names (ONS)"
    # The browser writes names with textContent; in the page "</" is never literal.
    page = maps.base_map(basemap=base).get_root().render()
    assert "label.textContent = p[2]" in page
    assert js_literal("Fleetwood & <Pharos>") in page and "</Pharos>" not in page


def test_a_roads_are_the_trunk_and_primary_edges_of_a_network() -> None:
    # Hand-worked: nodes 0-1-2 in a row; 0->1 and 1->0 primary (one road, both ways),
    # 1->2 residential. One A-road line, from node 0 to node 1.
    node_xy = np.array([[0.0, 0.0], [100.0, 0.0], [200.0, 0.0]])
    tail = np.array([0, 1, 1])
    head = np.array([1, 0, 2])
    highway = np.array(["primary", "primary", "residential"])
    lines = basemap.network_a_roads(node_xy, tail, head, highway)
    assert len(lines) == 1
    assert list(lines.geometry.iloc[0].coords) == [(0.0, 0.0), (100.0, 0.0)]
    offline = basemap.network_a_roads(node_xy, tail, head, np.array(["urban"] * 3))
    assert offline.empty


def test_tiles_are_attributed_only_once_they_load() -> None:
    page = maps.base_map(basemap=_tiny_basemap()).get_root().render()
    assert "tiles.once('tileload'" in page
    attribution_call = page.index("map.attributionControl.addAttribution(texts.attribution)")
    assert attribution_call > page.index("tiles.once('tileload'")
    assert '"attribution"' not in page.split("L.tileLayer(texts.url")[1].split(")")[0]


# ---- services: open and closed, siteless, keys -----------------------------------------


def test_closed_services_are_hollow_and_open_ones_filled(built_data: Path) -> None:
    register = services.public_view(services.load_register())
    sarcs = register[(register["category"] == "sarc") & register.geometry.notna()]
    expected_open = sum(is_open(h, "Sat 02:00") for h in sarcs["opening_hours"] if h.strip())
    assert 0 < expected_open < len(sarcs), "the test needs open and closed SARCs at 02:00"
    fmap = maps.base_map(basemap=_tiny_basemap())
    maps.add_services(fmap, register, ["sarc"], open_at="Sat 02:00", when="at Saturday 02:00")
    page = fmap.get_root().render()
    badges = re.findall(r"svc-mark (svc-open|svc-closed)", page)
    # Two more in the key: one open badge, one closed.
    assert badges.count("svc-open") == expected_open + 1
    assert badges.count("svc-closed") == len(sarcs) - expected_open + 1
    assert f"open at Saturday 02:00 ({expected_open})" in page
    assert f"closed at Saturday 02:00 ({len(sarcs) - expected_open})" in page


def test_siteless_services_are_counted_in_the_key_and_caption() -> None:
    register = services.public_view(services.load_register())
    fmap = maps.base_map(basemap=_tiny_basemap())
    maps.add_services(fmap, register, ["helpline"], open_at="Tue 10:00")
    page = fmap.get_root().render()
    helplines = int((register["category"] == "helpline").sum())
    assert f"{helplines} without a site (telephone or county-wide service)" in page
    caption = service_caption(register, "helpline", "Helpline", "on a weekday at 10:00")
    assert caption.startswith("No Helpline site is on the map.")
    assert f"{helplines} Helpline services have no site to drive to" in caption


def test_the_refuge_shading_has_a_key(built_data: Path) -> None:
    register = services.load_register()
    areas = geography.load_council_areas(built_data)
    fmap = maps.base_map(basemap=_tiny_basemap())
    maps.add_confidential_districts(fmap, areas, register, show=False)
    page = fmap.get_root().render()
    total = int(register["confidential"].sum())
    assert f"Council area with refuges or safe houses ({total} in all" in page
    assert "switch on in the layer list" in page


def test_register_and_user_text_is_escaped_on_the_map(built_data: Path) -> None:
    register = services.load_register()
    evil = register.copy()
    evil.loc[evil["category"] == "sarc", "name"] = EVIL
    evil.loc[evil["category"] == "sarc", "provider_area"] = EVIL
    areas = geography.load_council_areas(built_data).copy()
    areas.loc[areas.index[0], "lad_name"] = EVIL
    fmap = maps.base_map(basemap=_tiny_basemap())
    maps.add_council_areas(fmap, areas)
    maps.add_area_labels(fmap, areas)
    maps.add_confidential_districts(fmap, areas, register)
    maps.add_services(fmap, services.public_view(evil), name=EVIL, open_at="Sat 02:00")
    maps.add_scenario_sites(fmap, evil, added=list(evil["id"][evil["category"] == "sarc"]))
    maps.add_point_marker(fmap, 53.8, -2.6, EVIL)
    raw = fmap.get_root().render()
    assert EVIL not in raw
    # Escaped once (not twice) wherever it goes: tooltips, popups, labels, layer names
    # (read through the script's \u escapes of mapping.outputs.script_text).
    page = _unescaped(raw)
    assert EVIL not in page and EVIL.replace('"', '\\"') not in page
    assert "&lt;img src=x onerror=" in page
    assert "&amp;lt;img" not in page


def test_key_and_caption_texts_are_escaped() -> None:
    html_key = markers.key_html(EVIL, [(markers.swatch("#fff"), EVIL)], note=EVIL)
    assert EVIL not in html_key and html_key.count("&lt;img") == 3
    point = gpd.GeoDataFrame(
        {"category": ["sarc"], "confidential": [False]}, geometry=[Point(0, 0)]
    )
    assert service_caption(point, "sarc", "SARC", "at Saturday 02:00") == (
        "Markers: 1 SARC site, filled if open at Saturday 02:00 and hollow if closed."
    )
