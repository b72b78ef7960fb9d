"""Contracts with other packages where their public API lacks what the code needs.

Each package is pinned below its next minor release in pyproject.toml, and each test
here fails loudly when that package changes what the code relies on, rather than the
code breaking silently (issue 23). tests/test_architecture_hygiene.py lists the same
places in its ``ALLOWED`` table.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _version(module: object) -> tuple[int, int]:
    major, minor = str(getattr(module, "__version__", "0.0")).split(".")[:2]
    return int(major), int(minor)


def test_osmnx_drive_filter_is_the_one_copied() -> None:
    """mapping/network/osm.py copies osmnx's private ``drive`` filter (osmnx <2.2)."""
    osmnx = pytest.importorskip("osmnx")
    from osmnx import _overpass

    from mapping.network import osm

    assert _version(osmnx) < (2, 2)
    text = _overpass._get_network_filter("drive")
    excluded = {
        key: set(values.split("|")) for key, values in re.findall(r'\["(\w+)"!~"([^"]+)"\]', text)
    }
    required = re.findall(r'\["(\w+)"\]', text)
    assert required == ["highway"]
    assert excluded == {
        "area": {"yes"},
        "access": {"private"},
        "highway": set(osm._NOT_FOR_CARS),
        "motor_vehicle": {"no"},
        "motorcar": {"no"},
        "service": set(osm._SERVICE_EXCLUDED),
    }
    # And is_drivable applies each exclusion.
    for key, values in excluded.items():
        for value in values:
            assert not osm.is_drivable({"highway": "residential", key: value}), (key, value)
    assert osm.is_drivable({"highway": "residential"})
    assert not osm.is_drivable({"name": "no highway tag"})


def _call_keywords(tree: ast.AST, name: str) -> set[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called == name:
                return {k.arg for k in node.keywords if k.arg is not None}
    raise AssertionError(f"no call to {name}")


def test_streamlit_folium_component_call_is_the_one_mirrored() -> None:
    """app/map_view.py sends a map rendered once to ``_component_func`` (streamlit-folium <0.28).

    ``st_folium`` renders the map again on every run; the app renders it once per query
    for every session (issue 8) and calls the component as ``st_folium`` does. Checked
    here: the helpers exist, and ``st_folium`` passes the component exactly the
    arguments the app passes.
    """
    sf = pytest.importorskip("streamlit_folium")
    from importlib.metadata import version

    assert tuple(int(p) for p in version("streamlit-folium").split(".")[:2]) < (0, 28)
    for name in ("_component_func", "_get_html", "_get_header", "_get_map_string"):
        assert callable(getattr(sf, name)), name
    for name in ("_get_html", "_get_header", "_get_map_string"):
        assert len(inspect.signature(getattr(sf, name)).parameters) == 1, name
    assert list(inspect.signature(sf.generate_js_hash).parameters)[:3] == [
        "js_string",
        "key",
        "return_on_hover",
    ]
    theirs = _call_keywords(
        ast.parse(textwrap.dedent(inspect.getsource(sf.st_folium))), "_component_func"
    )
    ours = _call_keywords(ast.parse((ROOT / "app" / "map_view.py").read_text()), "_component_func")
    assert ours == theirs


def test_folium_geojson_bounds_come_from_get_self_bounds() -> None:
    """mapping/outputs/maps.py gives GeoJson layers known bounds (folium <0.21)."""
    folium = pytest.importorskip("folium")

    from mapping.outputs.maps import _GeoJson

    assert _version(folium) < (0, 21)
    assert "_get_self_bounds" in vars(folium.GeoJson)
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Point", "coordinates": [-2.7, 53.8]},
    }
    layer = _GeoJson({"type": "FeatureCollection", "features": [feature]}, [[1.0, 2.0], [3.0, 4.0]])
    fmap = folium.Map()
    layer.add_to(fmap)
    assert fmap.get_bounds() == [[1.0, 2.0], [3.0, 4.0]]


def test_spopt_pmedian_assignment_variables() -> None:
    """mapping/analysis/optimise_sites.py fixes dominated assignments (spopt <0.8).

    ``PMedian.cli_assgn_vars[i][j]`` (not in spopt's documented attributes) must be the
    PuLP variable assigning client ``i`` to facility ``j``, costed ``weight_i * cost_ij``.
    """
    spopt = pytest.importorskip("spopt")
    from spopt.locate import PMedian

    assert _version(spopt) < (0, 8)
    cost = np.array([[1.0, 5.0, 7.0], [4.0, 2.0, 9.0]])
    weights = np.array([3.0, 10.0])
    model = PMedian.from_cost_matrix(cost, weights, p_facilities=2)
    objective = model.problem.objective
    for i in range(2):
        for j in range(3):
            assert objective[model.cli_assgn_vars[i][j]] == pytest.approx(weights[i] * cost[i, j])


def test_xdist_split_scope() -> None:
    """tests/conftest.py overrides ``LoadScopeScheduling._split_scope`` (pytest-xdist <3.9).

    It must still exist, take a node id and give the module as the scope, and be what
    the scheduler calls to group tests; otherwise the browser tests and AppTest modules
    would be spread over workers without any error.
    """
    xdist = pytest.importorskip("xdist")
    from xdist.scheduler import LoadScopeScheduling

    assert _version(xdist) < (3, 9)
    split = LoadScopeScheduling._split_scope
    assert list(inspect.signature(split).parameters) == ["self", "nodeid"]
    assert split(None, "tests/pages/test_app.py::test_x[1]") == "tests/pages/test_app.py"
    assert "self._split_scope(" in inspect.getsource(LoadScopeScheduling)
