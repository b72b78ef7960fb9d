"""The app's maps: a folium map built and rendered once per query, shared by sessions.

Kept apart from :mod:`app.state` (the session's study, cached tables and words) because
it is the one place that reaches into streamlit-folium's internals (pinned <0.28 and
checked by tests/test_contracts.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app.state import CACHE_TTL_S, study_key

__all__ = ["show_map"]


@st.cache_resource(show_spinner=False, max_entries=16, ttl=CACHE_TTL_S)
def _map_payload(cache_key: tuple[Any, ...], _build: Callable[[], Any]) -> dict[str, Any] | None:
    """What ``st_folium`` sends the browser for the map ``_build()`` makes, computed once.

    Mirrors ``streamlit_folium.st_folium`` (0.27) up to its component call: render the
    figure, take its HTML, header and Leaflet script, and the CSS/JS links it needs.
    ``None`` when this streamlit-folium lacks those helpers (then the caller uses
    ``st_folium`` itself). st_folium has no public way to take a map rendered once, so
    streamlit-folium is pinned <0.28 and tests/test_contracts.py checks that st_folium
    still calls its component with the arguments :func:`show_map` passes.
    """
    import branca
    import folium
    import streamlit_folium as sf

    needed = ("_component_func", "_get_html", "_get_header", "_get_map_string", "get_full_id")
    if not all(hasattr(sf, name) for name in needed):
        return None
    fmap = _build()
    fmap.get_root().render()
    fmap.render()
    html, header = sf._get_html(fmap), sf._get_header(fmap)
    script = sf._get_map_string(fmap)
    css: list[str] = []
    js: list[str] = []
    stack = [fmap]
    while stack:
        element = stack.pop(0)
        if isinstance(element, branca.colormap.ColorMap):
            # A branca colour map needs d3 from a CDN; our legends are plain HTML, so one
            # here is unexpected: fall back to st_folium, whose offline guard refuses it.
            return None
        if isinstance(element, folium.elements.JSCSSMixin | branca.colormap.ColorMap):
            css.extend(href for _, href in getattr(element, "default_css", []))
            js.extend(src for _, src in getattr(element, "default_js", []))
        stack.extend(getattr(element, "_children", {}).values())
    return {
        "script": script,
        "header": header,
        "html": html,
        "id": sf.get_full_id(fmap),
        "css_links": list(dict.fromkeys(css)),
        "js_links": list(dict.fromkeys(js)),
        "hash": sf.generate_js_hash(script, cache_key[-1], False),
    }


def show_map(build: Callable[[], Any], query: tuple[Any, ...], *, key: str, height: int) -> None:
    """Show a folium map that only reads data (``returned_objects=[]``), cached per query.

    Parameters
    ----------
    build
        Makes the ``folium.Map``; called only when no session asked this query before.
    query
        The map's parameters; :func:`study_key` is added, so one session's upload never
        reaches another session's map.
    key
        The widget key.
    height
        Height in pixels.
    """
    import streamlit_folium as sf

    payload = _map_payload((study_key(), *query, key), build)
    if payload is None:
        sf.st_folium(build(), height=height, use_container_width=True, returned_objects=[], key=key)
        return
    sf._component_func(
        script=payload["script"],
        header=payload["header"],
        html=payload["html"],
        id=payload["id"],
        key=payload["hash"],
        height=height,
        width=None,
        returned_objects=[],
        default={},
        zoom=None,
        center=None,
        feature_group=None,
        return_on_hover=False,
        layer_control=None,
        pixelated=False,
        css_links=payload["css_links"],
        js_links=payload["js_links"],
        on_change=None,
        wrap_longitude=False,
    )
