"""Map layers: services drawn by category; confidential sites never as points."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from shapely.geometry import Point

from mapping import geography
from mapping.inputs import register as services
from mapping.outputs import maps
from mapping.study_area import to_lonlat


@pytest.fixture(scope="module")
def rendered(built_data: Path) -> tuple[str, object]:
    register = services.load_register()
    areas = geography.load_council_areas(built_data)
    fmap = maps.base_map()
    maps.add_council_areas(fmap, areas)
    maps.add_confidential_districts(fmap, areas, services.public_view(register))
    maps.add_services(fmap, services.public_view(register))
    return fmap.get_root().render(), register


def _marker_points(page: str) -> list[tuple[float, float]]:
    return [
        (float(lat), float(lon))
        for lat, lon in re.findall(r"L\.marker\(\s*\[([-\d.]+),\s*([-\d.]+)\]", page)
    ]


def test_every_located_public_service_is_a_marker(rendered: tuple[str, object]) -> None:
    page, register = rendered
    located = register[register.geometry.notna() & ~register["confidential"]]
    assert len(_marker_points(page)) == len(located) > 0


def test_no_confidential_point_reaches_the_map(rendered: tuple[str, object]) -> None:
    page, register = rendered
    confidential = register[register["confidential"]]
    assert len(confidential) > 0
    # No confidential record has a point, and no marker sits inside a confidential
    # record's district at a position that is not a public service's.
    assert confidential.geometry.isna().all()
    public = register[~register["confidential"] & register.geometry.notna()].to_crs(4326)
    public_points = {(round(p.y, 5), round(p.x, 5)) for p in public.geometry}
    for lat, lon in _marker_points(page):
        assert (round(lat, 5), round(lon, 5)) in public_points


def test_confidential_provision_is_shaded_by_district(rendered: tuple[str, object]) -> None:
    page, _ = rendered
    assert "Confidential sites (location withheld)" in page
    assert "Point" not in re.findall(r'"type":\s*"(\w+)"', page)


def test_attribution_is_on_the_map(rendered: tuple[str, object]) -> None:
    page, _ = rendered
    for publisher in ("Contains OS data", "Royal Mail", "National Statistics"):
        assert publisher in page


def test_a_confidential_record_with_a_point_is_still_not_drawn(built_data: Path) -> None:
    """Belt and braces: even a register that wrongly carries a refuge point leaks nothing."""
    register = services.load_register()
    leaked = register.copy()
    idx = leaked.index[leaked["confidential"]][0]
    leaked.loc[idx, "geometry"] = Point(354000, 429000)
    lon, lat = to_lonlat(354000, 429000)
    fmap = maps.base_map()
    maps.add_services(fmap, leaked)
    markers = _marker_points(fmap.get_root().render())
    assert (round(lat, 4), round(lon, 4)) not in {(round(a, 4), round(b, 4)) for a, b in markers}
    assert len(markers) == int((~register["confidential"] & register.geometry.notna()).sum())


def test_popups_say_how_firm_each_service_is(rendered: tuple[str, object]) -> None:
    page, register = rendered
    # Popups are bound as js_literal strings, whose "<", ">", "'" are \\u escapes.
    page = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), page)
    popups = [p for p in re.findall(r"<div style='min-width:220px'>.*?</div>", page)]
    located = register[register.geometry.notna() & ~register["confidential"]]
    assert len(popups) == len(located)
    assert all("Confidence:</b>" in popup for popup in popups)
    safe = next(p for p in popups if "Lancashire SAFE Centre" in p)
    assert "<b>Confidence:</b> low (assumed hours)<br>" in safe
    leeds = next(p for p in popups if "Hazlehurst Centre" in p)
    assert "<b>Confidence:</b> high<br>" in leeds
    wish = next(p for p in popups if "Wish Centre sexual-violence adviser" in p)
    assert "low (assumed hours; located only to a town, about 1 km)" in wish
