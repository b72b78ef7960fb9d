"""Confidential sites exist only at district level: it follows from the category (issue 8)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import Point

from mapping.errors import ServiceMapError
from mapping.inputs.register import COLUMNS, public_view, validate_register
from mapping.inputs.scenario_file import AddChange, Scenario
from mapping.inputs.vocabulary import CONFIDENTIAL_CATEGORIES, is_confidential
from mapping.outputs import maps
from mapping.outputs.layers import secret_rows
from mapping.routing.records import service_records
from mapping.study import Study

REPO = Path(__file__).resolve().parents[2]
REGISTER = REPO / "data" / "services.csv"


def _rows() -> list[dict[str, str]]:
    with open(REGISTER, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_refuges_and_safe_houses_are_confidential_categories() -> None:
    assert set(CONFIDENTIAL_CATEGORIES) == {"refuge", "safe_house"}
    frame = pd.DataFrame(
        {"category": ["refuge", "sarc", "safe_house"], "confidential": [False, "true", "no"]}
    )
    assert is_confidential(frame).tolist() == [True, True, True]
    assert is_confidential({"category": "refuge", "confidential": "false"}) is True
    assert is_confidential({"category": "idva", "confidential": "false"}) is False


def test_a_refuge_row_that_switches_confidentiality_off_is_refused(tmp_path: Path, sources) -> None:
    rows = _rows()
    refuge = next(r for r in rows if r["category"] == "refuge")
    refuge.update(
        confidential="false",
        postcode="PR1 2HE",
        lat="53.76",
        lon="-2.70",
        location_precision="postcode",
    )
    path = tmp_path / "register.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    problems = [p for p in validate_register(path, sources) if p.field == "confidential"]
    assert problems and "always confidential" in problems[0].message


def test_a_leaked_refuge_point_never_reaches_the_engine_the_map_or_a_layer() -> None:
    # Even a frame that slipped past validation (confidential=false, with a point).
    frame = pd.DataFrame(
        {
            "id": ["refuge-x", "sarc-y"],
            "name": ["Refuge X", "SARC Y"],
            "category": ["refuge", "sarc"],
            "confidential": [False, False],
            "lat": [53.76, 53.79],
            "lon": [-2.70, -2.70],
            "postcode": ["PR1 2HE", "PR2 9HT"],
            "address": ["1 Secret St", "Hospital"],
            "geometry": [Point(354000, 429000), Point(354000, 432000)],
        }
    )
    import geopandas as gpd

    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:27700")
    assert secret_rows(frame).tolist() == [True, False]
    public = public_view(frame)
    assert pd.isna(public.loc[0, "lat"]) and pd.isna(public.loc[0, "postcode"])
    records = {r["id"]: r for r in service_records(frame)}
    assert records["refuge-x"]["confidential"] is True
    fmap = maps.base_map()
    maps.add_services(fmap, frame)
    page = fmap.get_root().render()
    assert "Refuge X" not in page and "1 Secret St" not in page
    assert "SARC Y" in page


def test_a_scenario_cannot_add_a_refuge_at_a_point(study: Study) -> None:
    add = AddChange(
        kind="add",
        name="New refuge",
        category="refuge",
        postcode="PR1 2HE",
        opening_hours="24/7",
    )
    scenario = Scenario(name="refuge", changes=(add,), source="refuge.toml")
    problems = study.check_scenario(scenario)
    assert any("confidential" in p and "change 1:category" in p for p in problems)
    with pytest.raises(ServiceMapError, match="confidential"):
        study.with_scenario(scenario)
