"""The map's one key, its attribution, and tooltips that stay inside the map.

Every legend and key of a map (drive minutes, the services' open and closed badges,
refuges and safe houses, the basemap note) is a section of one Leaflet control,
:class:`MapKey`: a ``<details>`` element titled "Key", open when the map is at least
:data:`WIDE_PX` wide and closed (a small button) on a phone. Its corner is chosen in the
browser: the one where it covers the fewest service markers (on the first view, and
again whenever the map is resized or zoomed), so that no key hides a site.

The data attribution is a compact Leaflet attribution entry: the short form always
shows and opens on a tap or click to the full statements.

Tooltips are drawn above the keys and inside the map: the tooltip pane is moved out of
the map pane (whose stacking context sits below every control) into the map's
container, kept in step with the map pane as the map moves, and each opened tooltip is
shifted back inside the map's box (and given at most the map's width).

Every text reaches the script as a :func:`mapping.outputs.script_text.js_literal`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template

from mapping.outputs.map_assets import figure_of
from mapping.outputs.script_text import js_literal
from mapping.outputs.verbatim import Verbatim

__all__ = ["WIDE_PX", "MapKey", "map_key"]

#: Maps at least this wide (CSS pixels) open their key and attribution; narrower ones
#: (a phone) show a "Key" button and the short attribution.
WIDE_PX = 600

_CSS = (
    "<style>"
    ".map-key-box{background:rgba(255,255,255,0.94);border:1px solid #999;border-radius:4px;"
    "font:12px/16px sans-serif;color:#222;max-width:260px}"
    ".map-key-box>summary{cursor:pointer;padding:4px 8px;font-weight:600;list-style-position:"
    "inside}"
    ".map-key-body{padding:0 8px 6px;overflow:auto}"
    ".map-key-body .map-key{margin-top:6px}"
    ".map-key-body .basemap-note{background:none;padding:0;margin-top:6px;max-width:none}"
    ".map-key .svc-mark{display:inline-block;vertical-align:middle;margin-right:5px}"
    ".map-key .swatch{display:inline-block;width:14px;height:12px;margin-right:5px;"
    "vertical-align:middle;border:1px solid #777}"
    ".map-attribution{font-size:10px;line-height:13px}"
    ".map-attribution>summary{cursor:pointer}"
    ".map-attribution div{margin-top:2px}"
    ".leaflet-tooltip.kept-inside{white-space:normal;width:max-content;box-sizing:border-box}"
    ".leaflet-tooltip.kept-inside:before{display:none}"
    "</style>"
)


class MapKey(MacroElement):
    """The map's one key control and its attribution (one per map, see :func:`map_key`).

    Attributes
    ----------
    sections
        The key's sections, in the order added: HTML made by
        :func:`mapping.outputs.markers.key_html` (texts already escaped).
    attribution
        The attribution statements (plain text), shown in full when opened.
    short_attribution
        The attribution's always-visible short form (plain text).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
  var texts = {{ this.texts_js }};
  var wide = {{ this.wide_px }};
  var container = map.getContainer();
  var box = null, body = null;
  if (texts.sections.length) {
    var Key = L.Control.extend({
      options: {position: 'topright'},
      onAdd: function () {  // built once: a move to another corner re-adds the same box
        if (box) { return box; }
        box = L.DomUtil.create('details', 'map-key-box leaflet-control-key');
        var summary = L.DomUtil.create('summary', '', box);
        summary.textContent = texts.title;
        body = L.DomUtil.create('div', 'map-key-body', box);
        texts.sections.forEach(function (section) {
          L.DomUtil.create('div', 'map-key', body).innerHTML = section;
        });
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    var key = new Key().addTo(map);
    box.querySelector('summary').addEventListener('click', function () { chosen = true; });
    // The basemap's note (mapping.outputs.basemap) is a section of the key too.
    container.querySelectorAll('.leaflet-control.basemap-note').forEach(function (note) {
      body.appendChild(note);
    });
  }
  var credit = document.createElement('details');
  credit.className = 'map-attribution';
  var short = document.createElement('summary');
  short.textContent = texts.short_attribution;
  credit.appendChild(short);
  texts.attribution.forEach(function (line) {
    var row = document.createElement('div');
    row.textContent = line;
    credit.appendChild(row);
  });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(credit.outerHTML);

  var markersIn = function (rect) {
    var n = 0;
    container.querySelectorAll('.svc-icon, .marker-cluster').forEach(function (m) {
      var r = m.getBoundingClientRect();
      if (r.width && r.right > rect.left && r.left < rect.right &&
          r.bottom > rect.top && r.top < rect.bottom) { n += 1; }
    });
    return n;
  };
  var chosen = false;  // the reader opened or closed the key: leave it so
  var place = function () {
    // The container's own size: Leaflet's may not have caught up with a frame's resize.
    var size = L.point(container.clientWidth, container.clientHeight);
    if (size.x === 0 || size.y === 0) { return; }
    var credits = container.querySelector('.leaflet-control-attribution');
    if (credits) { credits.style.maxWidth = Math.max(120, size.x - 120) + 'px'; }
    if (box && !chosen) { box.open = size.x >= wide; }
    if (!box) { return; }
    body.style.maxHeight = Math.max(80, Math.round(size.y * 0.55)) + 'px';
    box.style.maxWidth = Math.min(260, Math.round(size.x * 0.75)) + 'px';
    var best = null, fewest = Infinity;
    ['topright', 'bottomright', 'bottomleft', 'topleft'].forEach(function (corner) {
      key.setPosition(corner);
      var n = markersIn(box.getBoundingClientRect());
      if (n < fewest) { fewest = n; best = corner; }
    });
    key.setPosition(best);
  };
  var later = function (f) { return function () { L.Util.requestAnimFrame(f); }; };
  place();
  map.on('resize zoomend', later(place));
  if (typeof ResizeObserver === 'function') { new ResizeObserver(later(place)).observe(container); }

  // Tooltips above the keys: their pane leaves the map pane for the container.
  var tips = map.getPane('tooltipPane');
  var mapPane = map.getPane('mapPane');
  container.appendChild(tips);
  tips.style.zIndex = 1100;
  var follow = function () { L.DomUtil.setPosition(tips, L.DomUtil.getPosition(mapPane)); };
  var inside = function () {
    follow();
    var outer = container.getBoundingClientRect();
    var margin = 4;
    tips.querySelectorAll('.leaflet-tooltip').forEach(function (tip) {
      tip.classList.add('kept-inside');
      tip.style.maxWidth = Math.max(120, outer.width - 2 * margin) + 'px';
      var r = tip.getBoundingClientRect();
      var dx = 0, dy = 0;
      if (r.right > outer.right - margin) { dx = outer.right - margin - r.right; }
      if (r.left + dx < outer.left + margin) { dx = outer.left + margin - r.left; }
      if (r.bottom > outer.bottom - margin) { dy = outer.bottom - margin - r.bottom; }
      if (r.top + dy < outer.top + margin) { dy = outer.top + margin - r.top; }
      if (dx || dy) {
        L.DomUtil.setPosition(tip, L.DomUtil.getPosition(tip).add(L.point(dx, dy)));
      }
    });
  };
  map.on('move zoom viewreset moveend zoomend resize', follow);
  map.on('tooltipopen mousemove moveend zoomend', inside);
  follow();
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapKey"
        self.sections: list[str] = []
        self.attribution: Sequence[str] = ()
        self.short_attribution = ""
        self.wide_px = WIDE_PX

    def render(self, **kwargs: Any) -> Any:
        """Encode the texts for the script, add the styles to the page, then render."""
        self.texts_js = js_literal(
            {
                "title": "Key",
                "sections": list(self.sections),
                "attribution": list(self.attribution),
                "short_attribution": self.short_attribution,
            }
        )
        figure_of(self).header.add_child(Verbatim(_CSS), name="map_key_css")
        return super().render(**kwargs)


def map_key(fmap: folium.Map) -> MapKey:
    """The map's one :class:`MapKey`, added to ``fmap`` on first use."""
    key = fmap._children.get("map_key")
    if not isinstance(key, MapKey):
        key = MapKey()
        fmap.add_child(key, name="map_key")
    return key
