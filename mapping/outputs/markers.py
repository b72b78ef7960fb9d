"""Service markers and map keys drawn with Leaflet alone (no icon font, no plugin).

A marker is a Leaflet ``DivIcon``: a round badge in the category's colour, filled when
the service is open at the time shown and hollow (white, dashed ring) when it is closed,
so open and closed differ in shape as well as colour (readable in greyscale and under
the common colour-vision deficiencies). Scenario marks (added, closed, re-timed) are
badges carrying a symbol.

Keys are sections of the map's one key (:mod:`mapping.outputs.map_key`), whose HTML is
built here with every text escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import folium
from branca.element import MacroElement
from jinja2 import Template

from mapping.outputs.map_key import map_key
from mapping.outputs.script_text import js_literal
from mapping.outputs.verbatim import Verbatim

__all__ = [
    "MARKER_COLOURS",
    "HtmlPopup",
    "KeyControl",
    "badge_swatch",
    "key_html",
    "marker_css",
    "service_icon",
    "swatch",
    "symbol_icon",
]

#: Hex of folium's named marker colours (Leaflet.awesome-markers' palette), so that the
#: categories keep the colours chosen for them in :data:`mapping.maps.CATEGORY_STYLE`.
MARKER_COLOURS: dict[str, str] = {
    "red": "#d63e2a",
    "darkred": "#a23336",
    "orange": "#f69730",
    "green": "#72b026",
    "darkgreen": "#728224",
    "lightgreen": "#9ccc65",
    "blue": "#38aadd",
    "darkblue": "#0067a3",
    "cadetblue": "#436978",
    "purple": "#d252b9",
    "darkpurple": "#5b396b",
    "gray": "#575757",
    "lightgray": "#a3a3a3",
    "black": "#303030",
    "pink": "#ff8ed1",
}

_CSS = (
    "<style>"
    ".svc-mark{box-sizing:border-box;width:18px;height:18px;border-radius:50%;"
    "border:2px solid #fff;box-shadow:0 0 0 1px #333;font:bold 11px/14px sans-serif;"
    "color:#fff;text-align:center}"
    ".svc-closed{background:#fff !important;border:2px dashed;box-shadow:0 0 0 1px #777;"
    "color:#555}"
    ".svc-symbol{width:22px;height:22px;font-size:13px;line-height:18px}"
    "</style>"
)


def marker_css() -> Verbatim:
    """The markers' and keys' styles, for the page header (add once, by name)."""
    return Verbatim(_CSS)


def _badge(colour: str, *, is_open: bool, text: str = "", extra: str = "") -> str:
    state = "svc-open" if is_open else "svc-closed"
    style = f"background:{colour};border-color:{colour}" if not is_open else f"background:{colour}"
    return f'<div class="svc-mark {state} {extra}" style="{style}">{html.escape(text)}</div>'


def service_icon(colour_name: str, *, is_open: bool = True) -> folium.DivIcon:
    """A service badge in folium colour ``colour_name``: filled if open, hollow if closed."""
    colour = MARKER_COLOURS.get(colour_name, MARKER_COLOURS["gray"])
    return folium.DivIcon(
        html=_badge(colour, is_open=is_open),
        icon_size=(18, 18),
        icon_anchor=(9, 9),
        class_name="svc-icon",
    )


def symbol_icon(colour_name: str, symbol: str) -> folium.DivIcon:
    """A filled badge carrying ``symbol`` (for scenario marks and chosen points)."""
    colour = MARKER_COLOURS.get(colour_name, colour_name)
    return folium.DivIcon(
        html=_badge(colour, is_open=True, text=symbol, extra="svc-symbol"),
        icon_size=(22, 22),
        icon_anchor=(11, 11),
        class_name="svc-icon",
    )


def key_html(
    title: str,
    rows: Sequence[tuple[str, str]],
    note: str = "",
) -> str:
    """The HTML of a map key: a title and ``(swatch html, label)`` rows; texts escaped.

    The swatch is HTML made by :func:`swatch` or :func:`badge_swatch` (not user text).
    """
    body = "".join(f"<div>{sample}{html.escape(label)}</div>" for sample, label in rows)
    extra = f'<div style="margin-top:3px;color:#444">{html.escape(note)}</div>' if note else ""
    return f"<b>{html.escape(title)}</b>{body}{extra}"


def swatch(fill: str, border: str = "#777", dashed: bool = False) -> str:
    """A small filled rectangle for a key row (``fill`` and ``border`` are colours)."""
    style = "dashed" if dashed else "solid"
    return f'<span class="swatch" style="background:{fill};border:1px {style} {border}"></span>'


def badge_swatch(colour_name: str, *, is_open: bool) -> str:
    """A service badge for a key row."""
    colour = MARKER_COLOURS.get(colour_name, MARKER_COLOURS["gray"])
    return _badge(colour, is_open=is_open).replace("<div", "<span").replace("</div>", "</span>")


class HtmlPopup(MacroElement):
    """A popup on its parent marker, without jQuery (folium's ``Popup`` needs it).

    Parameters
    ----------
    content
        The popup's HTML (every register or user text in it already escaped).
    max_width
        Widest the popup may be, in pixels.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.bindPopup({{ this.content_js }}, {maxWidth: {{ this.max_width }}});
{% endmacro %}
"""
    )

    def __init__(self, content: str, max_width: int = 320) -> None:
        super().__init__()
        self._name = "HtmlPopup"
        self.max_width = int(max_width)
        self.content_js = js_literal(str(content))


class KeyControl:
    """A key (legend): one section of the map's one key (:class:`~mapping.outputs.map_key.MapKey`).

    Parameters
    ----------
    content
        The key's HTML, built by :func:`key_html` (texts already escaped).
    """

    def __init__(self, content: str) -> None:
        self.content = str(content)

    def add_to(self, fmap: folium.Map) -> KeyControl:
        """Add this key as a section of ``fmap``'s key."""
        map_key(fmap).sections.append(self.content)
        return self
