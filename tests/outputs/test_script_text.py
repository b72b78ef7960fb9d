"""Names never run as script on a map (issue 19): one encoder for every map text.

folium's ``Tooltip`` pasted a service's name into a JavaScript template literal, where
``${...}`` ran and a backtick broke the map's script. Every text now reaches the script
through :func:`mapping.outputs.script_text.js_literal`; here every element kind the
project draws is rendered with hostile names, and Chromium proves that the page's
scripts parse, the map draws, the names show as text and nothing runs.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import offline_browser
import pandas as pd
import pytest

from mapping import geography
from mapping.inputs import register as services
from mapping.outputs import maps
from mapping.outputs.basemap import OfflineBasemap
from mapping.outputs.markers import KeyControl, key_html
from mapping.outputs.script_text import ScriptTooltip, js_literal

#: Template-literal, script-ending, Jinja, line-separator and quote attacks in one name.
HOSTILE = (
    "${alert(3)}`;alert(4);`${window.__ran=1}</script><script>alert(5)</script>"
    "\u2028\u2029\"'{{ 7*7 }}{% raw %}<!--"
)


def test_js_literal_round_trips_and_leaves_nothing_active() -> None:
    for value in (HOSTILE, {"a{{": [1, 2.5, None, True, HOSTILE]}, ["\\", '\\"}']):
        text = js_literal(value)
        assert json.loads(text) == value
        for active in ("${", "`", "</", "<!--", "\u2028", "\u2029", "'", "{{", "{%"):
            assert active not in text
    with pytest.raises(ValueError):
        js_literal(float("nan"))


def test_folium_tooltip_is_refused_on_our_maps() -> None:
    fmap = maps.base_map()
    folium.CircleMarker([53.8, -2.6], tooltip="x").add_to(fmap)
    with pytest.raises(ValueError, match="ScriptTooltip"):
        fmap.get_root().render()


def _hostile_register() -> gpd.GeoDataFrame:
    register = services.public_view(services.load_register())
    register = register.copy()
    register["name"] = HOSTILE + " " + register["name"].astype(str)
    return register


def _page(built_data: Path) -> str:
    """A map with every element kind this package draws, every name hostile."""
    from app.optimise import _site_map

    register = _hostile_register()
    areas = geography.load_council_areas(built_data).copy()
    areas["lad_name"] = HOSTILE + " " + areas["lad_name"].astype(str)
    places = [[53.76, -2.70, HOSTILE + " Preston"], [53.75, -2.48, HOSTILE]]
    basemap = OfflineBasemap(
        land=js_literal({"type": "FeatureCollection", "features": []}),
        roads=js_literal({"type": "FeatureCollection", "features": []}),
        places=js_literal(places),
        drawn_from=HOSTILE,
    )
    fmap = maps.base_map(basemap=basemap)
    maps.add_council_areas(fmap, areas)
    maps.add_area_labels(fmap, areas)
    maps.add_confidential_districts(fmap, areas, register)
    maps.add_services(fmap, register, open_at="Sat 02:00")
    located = register[register.geometry.notna()]
    maps.add_scenario_sites(
        fmap,
        register,
        added=list(located["id"][:1]),
        closed=list(located["id"][1:2]),
        changed=list(located["id"][2:3]),
    )
    maps.add_point_marker(fmap, 53.8, -2.6, HOSTILE)
    KeyControl(key_html(HOSTILE, [("", HOSTILE)], note=HOSTILE)).add_to(fmap)
    ScriptTooltip(html.escape(HOSTILE)).add_to(folium.CircleMarker([53.9, -2.5]).add_to(fmap))
    maps.add_layer_control(fmap)
    page = fmap.get_root().render()
    # The app's Optimise map (chosen sites named from a candidates file).
    sites = pd.DataFrame({"name": [HOSTILE], "lat": [53.7], "lon": [-2.4]})
    app_page = _site_map(sites, []).get_root().render()
    return page + "\n<!-- app -->\n" + app_page


@pytest.fixture(scope="module")
def page(built_data: Path) -> str:
    return _page(built_data)


def test_no_name_reaches_a_script_unencoded(page: str) -> None:
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
    joined = "\n".join(scripts)
    assert "\u2028" not in joined and "\u2029" not in joined
    # Names are data: in double-quoted string literals (js_literal, or folium's JSON of
    # GeoJSON properties); outside them nothing of the names is left.
    code = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', joined)
    for part in ("alert(", "__ran", "7*7"):
        assert part not in code


pytestmark_browser = pytest.mark.skipif(
    not offline_browser.CHROMIUM.exists(), reason=offline_browser.SKIP_REASON
)

_OPEN_TOOLTIPS = """() => {
  const out = [];
  const seen = new Set();
  const visit = (layer) => {
    if (!layer || seen.has(layer)) return;
    seen.add(layer);
    try {
      if (layer.getTooltip && layer.getTooltip()) {
        const t = layer.getTooltip();
        const c = t.getContent();
        out.push(typeof c === 'function' ? c(layer).innerHTML : String(c));
      }
      if (layer.getPopup && layer.getPopup()) {
        out.push(String(layer.getPopup().getContent()));
      }
    } catch (e) { out.push('error: ' + e); }
    if (layer.eachLayer) layer.eachLayer(visit);
    if (layer.getLayers) layer.getLayers().forEach(visit);
  };
  for (const k of Object.keys(window)) {
    if (k.startsWith('map_') && window[k] instanceof L.Map) window[k].eachLayer(visit);
  }
  return out;
}"""

_SCRIPTS_PARSE = """() => Array.from(document.querySelectorAll('script:not([src])'))
  .map((s) => { try { new Function(s.textContent); return null; }
                catch (e) { return String(e); } }).filter((e) => e !== null)"""


@pytestmark_browser
@pytest.mark.parametrize("which", [0, 1], ids=["package-maps", "app-optimise-map"])
def test_hostile_names_draw_and_run_nothing_in_chromium(
    page: str, which: int, tmp_path: Path
) -> None:
    path = tmp_path / "map.html"
    path.write_text(page.split("\n<!-- app -->\n")[which], encoding="utf-8")
    dialogs: list[str] = []
    errors: list[str] = []
    with offline_browser.offline_page({"width": 1100, "height": 900}) as (tab, _blocked):
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(path.as_uri())
        tab.wait_for_load_state("load")
        unparsed = tab.evaluate(_SCRIPTS_PARSE)
        fallback = tab.evaluate("() => document.querySelectorAll('.map-fallback').length")
        shown = tab.evaluate(_OPEN_TOOLTIPS)
        tab.wait_for_timeout(300)
        ran = tab.evaluate("() => window.__ran")
        body = tab.inner_text("body")
    assert unparsed == []  # every inline script parses
    assert fallback == 0  # the map drew: its last script ran
    assert dialogs == [] and errors == [] and ran is None, (dialogs, errors)
    # The names are there, shown as text (HTML-escaped in the tooltips' HTML).
    assert any("${alert(3)}`;alert(4);`" in html.unescape(t) for t in shown), shown[:3]
    if which == 0:
        assert "${alert(3)}" in body  # keys and the basemap note show it as text
