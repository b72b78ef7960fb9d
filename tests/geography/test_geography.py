"""The built geography: counts, totals, CRS, origins, idempotence and atomicity."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from mapping import geography
from mapping.geography import EXPECTED, GeographyPaths
from mapping.inputs.sources import LANCASHIRE_LAD_CODES, Sources
from mapping.inputs.vocabulary import AGE_BANDS


def test_boundaries_counts_and_crs(built_data: Path) -> None:
    areas = geography.load_council_areas(built_data)
    lsoas = geography.load_lsoas(built_data)
    wards = geography.load_wards(built_data)
    assert sorted(areas["lad_code"]) == sorted(LANCASHIRE_LAD_CODES)
    assert (len(lsoas), len(wards)) == (945, 253)
    for frame in (areas, lsoas, wards):
        assert frame.crs.to_epsg() == 27700
        # British National Grid metres, not degrees.
        assert frame.total_bounds[0] > 300_000


def test_each_lsoa_is_tagged_with_its_council_area_and_wards(built_data: Path) -> None:
    lsoas = geography.load_lsoas(built_data)
    wards = geography.load_wards(built_data).set_index("ward_code")
    assert lsoas["lad_code"].isin(LANCASHIRE_LAD_CODES).all()
    for _, lsoa in lsoas.iterrows():
        codes = lsoa["ward_codes"].split(";")
        assert codes[0] == lsoa["main_ward_code"]
        # A ward named for an LSOA must lie in the same council area.
        assert (wards.loc[codes, "lad_code"] == lsoa["lad_code"]).all()


def test_population_matches_census_2021(built_data: Path) -> None:
    population = geography.load_population(built_data)
    assert len(population) == 945
    assert int(population["total"].sum()) == EXPECTED["population"] == 1_531_079
    assert (population[list(AGE_BANDS)].sum(axis=1) == population["total"]).all()


def test_postcode_index_covers_the_study_area_and_border_sarcs(built_data: Path) -> None:
    postcodes = geography.load_postcodes(built_data).set_index("postcode")
    # Royal Preston Hospital, Saint Mary's Manchester, and a Penrith postcode.
    for code in ("PR2 9HT", "M13 9WL", "CA11 8HX"):
        assert code in postcodes.index, code
    assert postcodes.loc["PR2 9HT", "in_lancashire"]
    assert not postcodes.loc["M13 9WL", "in_lancashire"]
    assert postcodes["lon"].between(-3.3, -2.0).all()
    assert postcodes["lat"].between(53.3, 54.95).all()


def test_origins_carry_each_lsoa_population_on_its_postcode_points(built_data: Path) -> None:
    origins = geography.load_origins(built_data)
    lsoas = geography.load_lsoas(built_data).set_index("lsoa21_code")
    population = geography.load_population(built_data).set_index("lsoa21_code")
    assert origins.crs.to_epsg() == 27700
    assert set(origins["lsoa21_code"]) == set(population.index)
    by_lsoa = origins.groupby("lsoa21_code")[["population", *AGE_BANDS]].sum()
    np.testing.assert_allclose(by_lsoa["population"], population.loc[by_lsoa.index, "total"])
    for band in AGE_BANDS:
        np.testing.assert_allclose(by_lsoa[band], population.loc[by_lsoa.index, band])
    # Every origin is a postcode point inside its own LSOA, not a centroid.
    joined = origins.join(lsoas.geometry.rename("lsoa_geometry"), on="lsoa21_code")
    inside = joined.geometry.within(joined["lsoa_geometry"].buffer(1))
    assert inside.all()
    assert origins["ward_code"].notna().all()


def test_origins_avoid_the_centroid_trap(built_data: Path) -> None:
    """Where an LSOA's centroid lies outside it, the origins still lie inside."""
    lsoas = geography.load_lsoas(built_data)
    origins = geography.load_origins(built_data)
    outside = lsoas[~lsoas.geometry.centroid.within(lsoas.geometry)]
    assert len(outside) > 0  # such LSOAs exist (coastal, estuary-side)
    sample = origins[origins["lsoa21_code"].isin(outside["lsoa21_code"])]
    shapes = lsoas.set_index("lsoa21_code").geometry
    own_shapes = gpd.GeoSeries(sample["lsoa21_code"].map(shapes), crs=27700, index=sample.index)
    assert sample.geometry.within(own_shapes.buffer(1)).all()


def test_check_passes_on_built_data(built_data: Path) -> None:
    report = geography.check(built_data)
    assert report.problems == []
    assert any("1,531,079" in line for line in report.lines)


def test_check_reports_missing_data_without_raising(tmp_path: Path) -> None:
    report = geography.check(tmp_path)
    assert report.problems and "not built yet" in report.problems[0]


def _snapshot(data_dir: Path) -> dict[str, pd.DataFrame]:
    return {
        "lsoa": geography.load_lsoas(data_dir).drop(columns="geometry"),
        "population": geography.load_population(data_dir),
        "postcodes": geography.load_postcodes(data_dir),
        "origins": geography.load_origins(data_dir).drop(columns="geometry"),
    }


def _assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_like=True, obj=name)


def _no_partials(data_dir: Path) -> None:
    leftovers = [p for p in data_dir.rglob("*") if ".partial" in p.name]
    assert leftovers == []


@pytest.fixture(scope="module")
def reference_build(sources: Sources, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("reference")
    assert all(geography.build(sources, data_dir).values())
    return data_dir


def test_rebuild_with_unchanged_inputs_does_nothing(
    sources: Sources, reference_build: Path
) -> None:
    stamps = {p: p.stat().st_mtime_ns for p in reference_build.rglob("*") if p.is_file()}
    assert geography.build(sources, reference_build) == {
        "boundaries": False,
        "population": False,
        "postcodes": False,
        "origins": False,
    }
    assert stamps == {p: p.stat().st_mtime_ns for p in reference_build.rglob("*") if p.is_file()}


def test_changed_input_rebuilds_what_depends_on_it(
    sources: Sources, reference_build: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(reference_build, data_dir)  # a build of the current inputs
    # A different census file (another checksum) must rebuild population and origins.
    shadow = tmp_path / "sources"
    for item in sources.root.iterdir():
        (shadow / item.name).parent.mkdir(parents=True, exist_ok=True)
        if item.name != "census-2021":
            os.symlink(item, shadow / item.name)
    census = shadow / "census-2021" / "lsoa21_usual_residents_by_age.csv"
    census.parent.mkdir()
    census.write_bytes(
        (sources.root / "census-2021" / "lsoa21_usual_residents_by_age.csv").read_bytes() + b"\n"
    )
    (shadow / "SHA256SUMS").unlink()
    os.symlink(sources.root / "SHA256SUMS", shadow / "SHA256SUMS.orig")
    report = geography.build(Sources(root=shadow, origin="test"), data_dir)
    assert report == {
        "boundaries": False,
        "population": True,
        "postcodes": False,
        "origins": True,
    }


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
def test_interrupted_build_leaves_nothing_half_written(
    sig: signal.Signals, sources: Sources, reference_build: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    command = [
        sys.executable,
        "-c",
        "from mapping.cli import main; main()",
        "data",
        "build",
        "--sources",
        str(sources.root),
        "--data-dir",
        str(data_dir),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    paths = GeographyPaths(data_dir)
    # Wait until the build is under way (the first artefact is being written to its
    # temporary file; nothing is swapped in before every step succeeded), then stop it.
    deadline = time.monotonic() + 60
    while (
        not any(paths.boundaries.parent.glob("*")) if paths.boundaries.parent.is_dir() else True
    ) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(sig)
    process.wait(timeout=60)
    if sig == signal.SIGTERM:
        _no_partials(data_dir)
    # Whatever reached its final name is complete: it reads without error.
    loaders = {
        paths.boundaries: geography.load_lsoas,
        paths.population: geography.load_population,
        paths.postcodes: geography.load_postcodes,
        paths.origins: geography.load_origins,
    }
    for dest, load in loaders.items():
        if dest.exists():
            assert len(load(data_dir)) > 0
    geography.build(sources, data_dir)
    _no_partials(data_dir)
    _assert_same(_snapshot(data_dir), _snapshot(reference_build))


def test_an_lsoa_without_units_takes_the_nearest_unit() -> None:
    from shapely.geometry import box

    from mapping.geography import _nearest_units

    lsoas = gpd.GeoDataFrame(
        {"lsoa21_code": ["A", "B", "C"]},
        geometry=[box(0, 0, 10, 10), box(100, 0, 110, 10), box(200, 0, 210, 10)],
        crs="EPSG:27700",
    )
    # B's centre (105, 5) is 15 m from u2 and 25 m from u1; C's centre (205, 5) is
    # 15 m from both u3 and u4: the first of them in the table wins.
    xy = {"u1": (80, 5), "u2": (120, 5), "u3": (190, 5), "u4": (220, 5)}
    points = gpd.GeoDataFrame(
        {"postcode": list(xy)},
        geometry=gpd.points_from_xy([x for x, _ in xy.values()], [y for _, y in xy.values()]),
        crs="EPSG:27700",
    )
    nearest = _nearest_units(lsoas, ["B", "C"], points)
    assert nearest["postcode"].tolist() == ["u2", "u3"]
    assert nearest["lsoa21_code"].tolist() == ["B", "C"]
