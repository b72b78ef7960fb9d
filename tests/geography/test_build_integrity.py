"""A failed build changes nothing saved; a damaged built file is noticed, never read.

Issue 8, defects 4 and 5: the build is all-or-nothing (every artefact built to a
temporary file, swapped in only when all succeeded), each build record holds its file's
size and SHA-256, and loaders, ``data build`` and ``data check`` compare them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapping import geography
from mapping.errors import ServiceMapError
from mapping.geography import GeographyPaths
from mapping.inputs.sources import SourceError, Sources
from mapping.network import build_network, load_network, network_path
from mapping.store import (
    BuildBatch,
    CorruptArtifactError,
    artifact_problem,
    build_artifact,
    read_meta,
    sha256_file,
)

RunCli = Callable[[list[str]], tuple[int, str, str]]
SMALL_OSM = Path(__file__).resolve().parents[1] / "fixtures" / "network_small.osm"
CENSUS = "census-2021/lsoa21_usual_residents_by_age.csv"


@pytest.fixture(scope="module")
def reference_build(sources: Sources, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("integrity")
    geography.build(sources, data_dir)
    return data_dir


@pytest.fixture
def data_dir(reference_build: Path, tmp_path: Path) -> Path:
    """A private copy of a complete build (timestamps kept)."""
    target = tmp_path / "data"
    shutil.copytree(reference_build, target)
    return target


def _state(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folder`` with its checksum and modification time."""
    return {
        str(p.relative_to(folder)): (sha256_file(p), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _shadow_sources(sources: Sources, target: Path, census: bytes | None, sums: bytes | None):
    """A sources folder linking to the real files, with the census (and sums) replaced."""
    target.mkdir()
    for item in sources.root.iterdir():
        if item.name not in ("census-2021", "SHA256SUMS"):
            os.symlink(item, target / item.name)
    (target / "census-2021").mkdir()
    original = (sources.root / CENSUS).read_bytes()
    (target / CENSUS).write_bytes(original if census is None else census)
    if sums is not None:
        (target / "SHA256SUMS").write_bytes(sums)
    return target


@pytest.mark.parametrize("force", [False, True], ids=["stale", "force"])
def test_failed_build_changes_nothing_saved(
    run_cli: RunCli, sources: Sources, data_dir: Path, tmp_path: Path, force: bool
) -> None:
    bad_census = b"lsoa21_code,total\nE01000001,not a number\n"
    shadow = _shadow_sources(sources, tmp_path / "src", bad_census, sums=None)
    before = _state(data_dir)
    args = ["data", "build", "--sources", str(shadow), "--data-dir", str(data_dir)]
    code, _, err = run_cli(args + (["--force"] if force else []))
    assert code != 0 and "Traceback" not in err
    assert _state(data_dir) == before  # no record deleted, boundaries not rewritten
    assert not [p for p in data_dir.rglob("*") if ".partial" in p.name]


def test_failed_batch_keeps_every_earlier_file_and_record(tmp_path: Path) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    build_artifact(first, {"v": 1}, lambda tmp: tmp.write_text("old a") and None)
    build_artifact(second, {"v": 1}, lambda tmp: tmp.write_text("old b") and None)
    before = _state(tmp_path)

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("source turned out bad")

    with pytest.raises(RuntimeError), BuildBatch() as batch:
        assert batch.stage(first, {"v": 2}, lambda tmp: tmp.write_text("new a") and None)
        assert batch.current(first) != first  # later steps read the staged file
        batch.stage(second, {"v": 2}, broken)
    assert _state(tmp_path) == before


def test_binary_checksum_list_names_the_file(
    run_cli: RunCli, sources: Sources, tmp_path: Path
) -> None:
    shadow = _shadow_sources(sources, tmp_path / "src", None, sums=bytes(range(256)) * 4)
    with pytest.raises(SourceError, match="SHA256SUMS: not a text checksum list"):
        Sources(root=shadow, origin="test")
    code, _, err = run_cli(["data", "build", "--sources", str(shadow), "--data-dir", str(tmp_path)])
    assert code == 1 and "SHA256SUMS" in err and "UnicodeDecodeError" not in err


def test_build_record_holds_size_and_checksum(reference_build: Path) -> None:
    paths = GeographyPaths(reference_build)
    for path in (paths.boundaries, paths.population, paths.postcodes, paths.origins):
        record = (read_meta(path) or {}).get("file")
        assert record == {"bytes": path.stat().st_size, "sha256": sha256_file(path)}


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("name", "load"),
    [
        ("boundaries", geography.load_lsoas),
        ("population", geography.load_population),
        ("postcodes", geography.load_postcodes),
        ("origins", geography.load_origins),
    ],
)
def test_truncated_built_file_is_named_then_rebuilt(
    run_cli: RunCli, sources: Sources, data_dir: Path, name: str, load: Callable
) -> None:
    path = getattr(GeographyPaths(data_dir), name)
    _truncate(path)
    with pytest.raises(CorruptArtifactError, match="truncated") as caught:
        load(data_dir)
    assert str(path) in str(caught.value)
    code, out, err = run_cli(["data", "check", "--data-dir", str(data_dir)])
    assert code == 1 and str(path) in err and "truncated" in err
    for raw in ("BadZipFile", "DataSourceError", "ArrowInvalid", "unexpected"):
        assert raw not in out + err
    report = geography.build(sources, data_dir)
    assert report[name] is True  # rebuilt, not "up to date"
    assert len(load(data_dir)) > 0


def test_same_size_corruption_is_caught_by_the_checksum(data_dir: Path) -> None:
    path = GeographyPaths(data_dir).boundaries
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\0" * 64
    path.write_bytes(bytes(data))
    assert "checksum differs" in (artifact_problem(path) or "")
    with pytest.raises(CorruptArtifactError, match="checksum"):
        geography.load_wards(data_dir)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.floats(0.0, 0.999), flip=st.integers(0, 2**31))
def test_any_damage_to_origins_is_reported_not_raised_raw(
    reference_build: Path, tmp_path: Path, cut: float, flip: int
) -> None:
    """Attack corpus: truncation at any point, or one altered byte anywhere."""
    original = GeographyPaths(reference_build).origins
    target = tmp_path / "origins" / original.name
    target.parent.mkdir(exist_ok=True)
    shutil.copy2(original, target)
    shutil.copy2(Path(f"{original}.meta.json"), Path(f"{target}.meta.json"))
    data = bytearray(original.read_bytes())
    if flip % 2:
        data = data[: int(len(data) * cut)]
    else:
        data[flip % len(data)] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(CorruptArtifactError, match=str(target)):
        geography.load_origins(tmp_path)


@pytest.fixture
def osm_data(tmp_path: Path) -> Path:
    data_dir = tmp_path / "net"
    build_network("osm", osm_file=SMALL_OSM, data_dir=data_dir)
    return data_dir


def test_truncated_network_is_reported_by_data_check_and_rebuilt(
    run_cli: RunCli, osm_data: Path
) -> None:
    cache = network_path("osm", osm_data)
    _truncate(cache)
    code, out, err = run_cli(["data", "check", "--data-dir", str(osm_data)])
    assert code == 1 and f"{cache}: is " in err and "truncated" in err
    code, out, err = run_cli(["network", "info", "--source", "osm", "--data-dir", str(osm_data)])
    assert code == 1 and str(cache) in err and "BadZipFile" not in err
    assert load_network("osm", data_dir=osm_data).meta["from_cache"] is False  # rebuilt
    code, out, err = run_cli(["data", "check", "--data-dir", str(osm_data)])
    assert "ok: osm network" in out and str(cache) not in err


def test_offline_network_damage_is_named_without_sources(
    osm_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An offline cache loaded "as it is" when the sources are gone is still checked.
    offline = network_path("offline", osm_data)
    shutil.copy2(network_path("osm", osm_data), offline)
    shutil.copy2(Path(f"{network_path('osm', osm_data)}.meta.json"), Path(f"{offline}.meta.json"))
    assert load_network("offline", data_dir=osm_data, sources=osm_data / "nowhere").n_nodes
    _truncate(offline)
    with pytest.raises(ServiceMapError, match="truncated"):
        load_network("offline", data_dir=osm_data, sources=osm_data / "nowhere")


def test_data_folder_under_a_file_is_one_message(run_cli: RunCli, tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("keep me")
    for args in (
        ["network", "build", "--source", "osm", "--osm-file", str(SMALL_OSM)],
        ["data", "build"],
    ):
        code, _, err = run_cli([*args, "--data-dir", str(blocker / "data")])
        assert code == 1, err
        assert str(blocker) in err and "is a file, not a folder" in err
        assert "unexpected" not in err
    assert blocker.read_text() == "keep me"
