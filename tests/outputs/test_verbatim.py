"""No text on a map is evaluated as a Jinja template (``mapping.outputs.verbatim``)."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import geopandas as gpd
import pytest

from mapping import geography
from mapping.inputs import register as services
from mapping.outputs import maps, service_layers
from mapping.outputs.verbatim import Verbatim, VerbatimMacro, verbatim_tree

#: Evaluated by Jinja, this would read "191919000 ran" and lose its comment; kept
#: verbatim, it reads as written. Nothing in it is changed by HTML escaping or JSON.
HOSTILE = "A {{ 191919 * 1000 }} B {# comment #} C {% if true %}ran{% endif %}"
RAN = "191919000"


def _hostile_register() -> gpd.GeoDataFrame:
    register = services.public_view(services.load_register())
    located = register.geometry.notna()
    for column in ("name", "provider", "source"):
        register.loc[located, column] = HOSTILE
    return register


def test_no_register_or_area_text_is_evaluated_on_a_map(built_data: Path) -> None:
    areas = geography.load_council_areas(built_data).copy()
    areas["lad_name"] = HOSTILE  # tooltips and the area labels
    register = _hostile_register()
    fmap = maps.base_map()
    maps.add_council_areas(fmap, areas)
    maps.add_services(fmap, register)
    located = register.loc[register.geometry.notna(), "id"]
    # The what-if layer: an added site's star.
    service_layers.add_scenario_sites(fmap, register, added=[located.iloc[0]])
    page = fmap.get_root().render()
    assert RAN not in page
    assert "ran{% endif %}" in page
    # Every drawn service's popup, every tooltip and the what-if site keep the text
    # (inside the script's strings its braces are \u escapes: mapping.outputs.script_text).
    page = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), page)
    assert page.count("{{ 191919 * 1000 }}") > int(register.geometry.notna().sum())


def _plain_map() -> folium.Map:
    fmap = folium.Map(location=[53.8, -2.6], zoom_start=9)
    shapes = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Preston & Chorley <b>"},
                "geometry": {"type": "Point", "coordinates": [-2.7, 53.76]},
            }
        ],
    }
    folium.GeoJson(shapes, tooltip=folium.GeoJsonTooltip(["name"])).add_to(fmap)
    folium.Marker([53.76, -2.7], tooltip="Royal Preston Hospital").add_to(fmap)
    fmap.get_root().html.add_child(Verbatim("<div>note</div>"))
    folium.LayerControl().add_to(fmap)
    return fmap


def test_verbatim_pages_equal_brancas_for_text_without_template_syntax() -> None:
    ids = re.compile(r"[0-9a-f]{32}")
    branca_page = _plain_map().get_root().render()
    fmap = _plain_map()
    verbatim_tree(fmap)
    verbatim_page = fmap.get_root().render()
    assert "Royal Preston Hospital" in verbatim_page and "<div>note</div>" in verbatim_page
    assert ids.sub("id", verbatim_page) == ids.sub("id", branca_page)


@pytest.mark.parametrize("text", ["{{ 6 * 7 }}", "{% if true %}x{% endif %}", "{#", "}}"])
def test_a_verbatim_element_is_its_text(text: str) -> None:
    assert Verbatim(text).render() == text


def test_branca_itself_is_not_changed() -> None:
    """Issue 19/23: no import-time patch of branca; other folium maps keep its behaviour."""
    import branca.element

    import mapping.outputs.maps  # importing the package's maps changes nothing

    assert branca.element.MacroElement.render.__module__ == "branca.element"
    assert not issubclass(folium.Marker, VerbatimMacro)
    plain = folium.Map(location=[53.8, -2.6], zoom_start=9)
    folium.Marker([53.76, -2.7], tooltip="{{ 191919 * 1000 }}").add_to(plain)
    # branca's own behaviour, for a map this package did not make: the text is a template.
    assert RAN in plain.get_root().render()
    ours = mapping.outputs.maps.base_map()
    folium.Marker([53.76, -2.7]).add_to(ours)
    ours.get_root().render()
    marker = next(c for c in ours._children.values() if isinstance(c, folium.Marker))
    assert isinstance(marker, VerbatimMacro) and type(marker).__name__ == "Marker"
    assert not isinstance(next(iter(plain._children.values())), VerbatimMacro)
