"""Locating, verifying and reading the raw public files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mapping.inputs.sources import (
    CATALOGUE,
    LANCASHIRE_LAD_CODES,
    SOURCES_ENV,
    SourceError,
    Sources,
    locate_sources,
)
from mapping.study_area import study_area_bbox_27700


def test_every_catalogued_file_is_present_and_matches_sha256sums(sources: Sources) -> None:
    checksums = sources.verify_all()
    assert set(checksums) == {spec.relpath for spec in CATALOGUE.values()}
    assert sources.has_checksums


def test_explicit_folder_must_exist_and_is_named_in_the_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(SourceError, match="nowhere"):
        locate_sources(missing)


def test_environment_variable_is_honoured(
    sources: Sources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SOURCES_ENV, str(sources.root))
    located = locate_sources()
    assert located.root == sources.root
    assert located.origin == f"${SOURCES_ENV}"


def test_missing_file_names_the_file_and_where_it_was_looked_for(tmp_path: Path) -> None:
    located = locate_sources(tmp_path)
    with pytest.raises(SourceError) as error:
        located.path("codepoint")
    message = str(error.value)
    assert "os-code-point-open/codepo_gb.zip" in message
    assert str(tmp_path) in message


def test_corrupt_file_fails_its_checksum(sources: Sources, tmp_path: Path) -> None:
    relpath = CATALOGUE["lad"].relpath
    (tmp_path / relpath).parent.mkdir(parents=True)
    shutil.copy(sources.root / "SHA256SUMS", tmp_path / "SHA256SUMS")
    original = (sources.root / relpath).read_bytes()
    (tmp_path / relpath).write_bytes(original.replace(b"Preston", b"Prestom", 1))
    with pytest.raises(SourceError, match="checksum mismatch"):
        locate_sources(tmp_path).read_lad()


def test_codepoint_is_read_in_its_published_layout(sources: Sources) -> None:
    units = sources.read_codepoint(areas=["PR"])
    # The data README gives 13,617 PR rows, a handful without coordinates.
    assert 13_500 < len(units) <= 13_617
    row = units.set_index("postcode").loc["PR2 9HT"]
    assert row["district_code"] == "E07000123"  # Preston
    assert (units["easting"] > 0).all()


def test_codepoint_bbox_keeps_only_the_study_area(sources: Sources) -> None:
    minx, miny, maxx, maxy = study_area_bbox_27700()
    units = sources.read_codepoint(areas=["LA", "LS"], bbox_27700=(minx, miny, maxx, maxy))
    assert units["easting"].between(minx, maxx).all()
    assert not units["postcode"].str.startswith("LS").any()  # Leeds lies east of it
    assert units["postcode"].str.startswith("LA").any()


def test_boundaries_have_the_published_counts(sources: Sources) -> None:
    assert sorted(sources.read_lad()["lad_code"]) == sorted(LANCASHIRE_LAD_CODES)
    assert len(sources.read_lsoa()) == 945
    assert len(sources.read_wards()) == 253


def test_need_sources_read_with_their_published_quirks(sources: Sources) -> None:
    iod = sources.read_iod2025()
    assert len(iod) == 33_755
    assert iod["IMD_decile"].between(1, 10).all()
    population = sources.read_population_mid2024()
    # The published header is "LSOA21CD " with a trailing space.
    assert "lsoa21_code" in population.columns
    bands = [c for c in population.columns if c[:1] in "FM"]
    assert (population[bands].sum(axis=1) == population["total"]).all()
    crimes = sources.read_police_street()
    assert len(crimes) == 58_881
    assert set(crimes["month"]) == {"2024-01", "2024-02", "2024-03", "2024-04"}
    lookup = sources.read_csp_lookup().set_index("lad_code")
    assert set(lookup.loc[list(LANCASHIRE_LAD_CODES), "pfa_code"]) == {"E23000003"}


def test_need_source_with_a_missing_column_names_the_file(sources: Sources, tmp_path: Path) -> None:
    relpath = CATALOGUE["csp_lookup"].relpath
    (tmp_path / relpath).parent.mkdir(parents=True)
    text = (sources.root / relpath).read_text(encoding="utf-8")
    (tmp_path / relpath).write_text(text.replace("csp24_code", "csp_code_x"), encoding="utf-8")
    with pytest.raises(SourceError, match=r"lad24_csp24_pfa24_ew_lu\.csv: missing column"):
        locate_sources(tmp_path).read_csp_lookup()
