"""The scripts and stylesheets of the maps, from installed packages, never from a CDN.

folium 0.20 makes every map load Leaflet, jQuery, Bootstrap, Font Awesome,
Leaflet.awesome-markers and (for clustering) Leaflet.markercluster from public CDNs
(``folium.Map.default_js`` / ``default_css``). Without internet the map does not draw:
streamlit-folium waits for every script and gives its frame no height, and a standalone
page shows nothing. Here the maps need only Leaflet 1.9.3 and Leaflet.markercluster
1.4.1, both taken from pinned PyPI packages of plain files:

- ``xstatic-leaflet`` 1.9.3.0 (the Leaflet version folium 0.20 asks for), and
- ``xstatic-leaflet-markercluster`` 1.4.1.1.

The rest of folium's list is dropped through folium's own API (the ``default_js`` and
``default_css`` class attributes of :class:`OfflineMap` and :class:`OfflineMarkerCluster`):
markers are Leaflet ``DivIcon`` s styled by the page, so neither Font Awesome nor
awesome-markers is needed, and nothing on our maps uses jQuery or Bootstrap.

Each file is embedded as a ``data:`` URI (images inside the stylesheets too), which
serves both outputs with one mechanism:

- in the Streamlit app, streamlit-folium loads ``default_js`` / ``default_css`` into its
  component frame as ``<script src>`` / ``<link href>``: a ``data:`` URI needs no route
  on the server (Streamlit's static serving would need a copied ``static/`` folder beside
  the app, because it refuses symlinks out of it);
- in a standalone page (the export's ``report.html``) folium writes the same links into
  the page's head, so the file opens from disk with no network.

:meth:`OfflineMap.render` refuses a map that would still fetch something from the
internet (an element with a CDN asset, an awesome-markers icon, a branca colour map that
streamlit-folium pairs with d3 from a CDN), so a regression fails loudly in the tests.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import branca.colormap
import branca.element
import folium
from branca.element import MacroElement
from folium.plugins import MarkerCluster
from jinja2 import Template

from mapping.outputs.verbatim import Verbatim, VerbatimMacro, verbatim_tree

__all__ = [
    "ASSET_PACKAGES",
    "FALLBACK_HTML",
    "OfflineMap",
    "OfflineMarkerCluster",
    "asset_uri",
    "figure_of",
    "remote_assets",
]

#: The installed packages the assets come from (distribution name, import name).
ASSET_PACKAGES: dict[str, str] = {
    "xstatic-leaflet": "xstatic.pkg.leaflet",
    "xstatic-leaflet-markercluster": "xstatic.pkg.leaflet_markercluster",
}

#: Shown where the map should be until the map's last script removes it.
FALLBACK_HTML = (
    '<div class="map-fallback" role="alert" style="position:absolute;top:0;left:0;right:0;'
    "z-index:10000;margin:12px;padding:10px 14px;background:#fff4e5;border:1px solid #e0a040;"
    'font:14px/1.4 sans-serif;color:#222">The map could not be drawn: this browser did not '
    "run the map's scripts (Leaflet). The tables give the same figures.</div>"
)

#: name -> (import name of the package, file under its ``data/`` folder, MIME type)
_FILES: dict[str, tuple[str, str, str]] = {
    "leaflet": ("xstatic.pkg.leaflet", "leaflet.js", "text/javascript"),
    "leaflet_css": ("xstatic.pkg.leaflet", "leaflet.css", "text/css"),
    "markerclusterjs": (
        "xstatic.pkg.leaflet_markercluster",
        "leaflet.markercluster.js",
        "text/javascript",
    ),
    "markerclustercss": ("xstatic.pkg.leaflet_markercluster", "MarkerCluster.css", "text/css"),
    "markerclusterdefaultcss": (
        "xstatic.pkg.leaflet_markercluster",
        "MarkerCluster.Default.css",
        "text/css",
    ),
}

#: ``url(images/x.png)`` in Leaflet's stylesheet (the layer-control and default-marker
#: images), inlined too so that the stylesheet needs nothing beside it.
_CSS_URL = re.compile(r"url\((['\"]?)(images/[\w.-]+\.png)\1\)")
#: A source-map comment points at a file next to the script, which a data: URI has not.
_SOURCE_MAP = re.compile(rb"\n//# sourceMappingURL=\S+\s*$")


def _read(package: str, name: str) -> bytes:
    return resources.files(package).joinpath("data", name).read_bytes()


def _data_uri(content: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


@functools.cache
def asset_uri(name: str) -> str:
    """Return one asset (a key of folium's asset lists, e.g. ``"leaflet"``) as a data URI.

    Read from its installed package once per process.

    Raises
    ------
    KeyError
        If there is no local copy of ``name``.
    """
    package, filename, mime = _FILES[name]
    content = _SOURCE_MAP.sub(b"\n", _read(package, filename))
    if mime == "text/css":
        text = content.decode("utf-8")
        text = _CSS_URL.sub(
            lambda m: f"url({_data_uri(_read(package, m.group(2)), 'image/png')})", text
        )
        content = text.encode("utf-8")
    return _data_uri(content, mime)


def figure_of(element: branca.element.Element) -> branca.element.Figure:
    """The page (folium ``Figure``) an element is on, whose header and body we add to."""
    root = element.get_root()
    if not isinstance(root, branca.element.Figure):
        raise ValueError(f"{type(element).__name__} is not on a folium page (Figure)")
    return root


class _LocalAssets:
    """A descriptor: a class's asset list, resolved to data URIs when first read."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def __get__(self, obj: object, owner: type | None = None) -> list[tuple[str, str]]:
        return [(name, asset_uri(name)) for name in self.names]


class OfflineMap(folium.Map, VerbatimMacro):
    """A :class:`folium.Map` whose scripts and stylesheets are local (Leaflet only)."""

    default_js = _LocalAssets("leaflet")
    default_css = _LocalAssets("leaflet_css")

    def render(self, **kwargs: Any) -> Any:
        """Render, after checking that nothing on the map needs the internet.

        Every element's text is kept verbatim (:mod:`mapping.outputs.verbatim`): no text
        on the map is ever evaluated as a Jinja template.
        """
        remote = remote_assets(self)
        if remote:
            raise ValueError(
                "this map would load from the internet or run its text as script: "
                + "; ".join(remote)
                + ". Use mapping.outputs.map_assets.OfflineMarkerCluster, DivIcon markers "
                "and ScriptTooltip."
            )
        # Shown until the map's last script removes it: if Leaflet or a layer fails, the
        # page says so instead of showing an empty frame.
        figure_of(self).html.add_child(Verbatim(FALLBACK_HTML), name="map_fallback")
        self._children.pop("map_drawn", None)
        # The map's key (mapping.outputs.map_key) after every layer: it places itself
        # where it covers the fewest markers, so they must be drawn first.
        key = self._children.pop("map_key", None)
        if key is not None:
            self.add_child(key, name="map_key")
        self._children.pop("view_once_sized", None)
        self.add_child(_ViewOnceSized(self), name="view_once_sized")
        self.add_child(_MapDrawn(), name="map_drawn")  # last, after every layer
        verbatim_tree(self)
        return super().render(**kwargs)


class _ViewOnceSized(MacroElement):
    """Set the map's first view again once its frame has a size, if it had none.

    Chromium puts a sandboxed frame (the report's map, an opaque origin) in a renderer
    process of its own, which gives the frame no layout until the page's process has sent
    it its size. The map's script can run before that: Leaflet then measures a 0 x 0 map,
    fits Lancashire at zoom 0 and sizes its canvas 0 x 0, and no window ``resize`` event
    need follow (the viewport size was known; only the layout was missing). A
    ``ResizeObserver`` on the map's container sees the first real size; the map then
    takes that size and the view it was meant to open at.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
  var size = map.getSize();
  if ((size.x > 0 && size.y > 0) || typeof ResizeObserver !== 'function') { return; }
  var observer = new ResizeObserver(function () {
    map.invalidateSize({pan: false});
    var now = map.getSize();
    if (now.x === 0 || now.y === 0) { return; }
    observer.disconnect();
    {%- if this.bounds is not none %}
    map.fitBounds({{ this.bounds|tojson }}, {{ this.options|tojson }});
    {%- else %}
    map.setView({{ this.location|tojson }}, {{ this.zoom|tojson }}, {animate: false});
    {%- endif %}
  });
  observer.observe(map.getContainer());
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, fmap: folium.Map) -> None:
        super().__init__()
        self._name = "ViewOnceSized"
        # The last fit_bounds wins in the map's own script, so it wins here too.
        fits = [c for c in fmap._children.values() if isinstance(c, folium.FitBounds)]
        self.bounds = fits[-1].bounds if fits else None
        self.options = {**(fits[-1].options if fits else {}), "animate": False}
        self.location = fmap.location
        self.zoom = fmap.options.get("zoom")


class _MapDrawn(MacroElement):
    """The map's last script: it removes the "map could not be drawn" message."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
document.querySelectorAll('.map-fallback').forEach(function (e) { e.remove(); });
{% endmacro %}
"""
    )


class OfflineMarkerCluster(MarkerCluster):
    """:class:`folium.plugins.MarkerCluster` with Leaflet.markercluster from its package."""

    default_js = _LocalAssets("markerclusterjs")
    default_css = _LocalAssets("markerclustercss", "markerclusterdefaultcss")


def _walk(element: branca.element.Element) -> Iterator[branca.element.Element]:
    yield element
    for child in element._children.values():
        yield from _walk(child)


def remote_assets(fmap: folium.Map) -> list[str]:
    """Everything on ``fmap`` that would be fetched from another host (empty: none).

    Looks at what folium and streamlit-folium read: each element's ``default_js`` and
    ``default_css``, awesome-markers icons (:class:`folium.Icon`, whose script is not on
    an :class:`OfflineMap`) and branca colour maps (streamlit-folium adds d3 from a CDN).
    """
    problems = []
    for element in _walk(fmap):
        kind = type(element).__name__
        assets = [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]
        for name, url in assets:
            if not str(url).startswith("data:"):
                problems.append(f"{kind} loads {name} from {url}")
        if isinstance(element, folium.Tooltip):
            problems.append(
                f"{kind} pastes its text into a JavaScript template literal "
                "(use mapping.outputs.script_text.ScriptTooltip)"
            )
        if isinstance(element, folium.Popup):
            problems.append(f"{kind} needs jQuery (use mapping.outputs.markers.HtmlPopup)")
        if isinstance(element, folium.Icon):
            problems.append(f"{kind} needs Leaflet.awesome-markers and Font Awesome")
        if isinstance(element, branca.colormap.ColorMap):
            problems.append(f"{kind} makes streamlit-folium load d3 from a CDN")
    return problems
