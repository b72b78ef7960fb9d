"""Atomic, checksum-keyed writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mapping.store import (
    artifact_is_fresh,
    atomic_path,
    build_artifact,
    build_key,
    remove_stale_partials,
)


def test_failed_write_leaves_destination_untouched(tmp_path: Path) -> None:
    dest = tmp_path / "table.csv"
    dest.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        tmp.write_text("half a ne")
        raise RuntimeError("interrupted")
    assert dest.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [dest]


def test_artifact_is_rebuilt_only_when_its_inputs_change(tmp_path: Path) -> None:
    dest = tmp_path / "a.txt"
    calls: list[str] = []

    def write(text: str):
        def build(tmp: Path) -> None:
            calls.append(text)
            tmp.write_text(text)

        return build

    assert build_artifact(dest, {"input": "x"}, write("one")) is True
    assert build_artifact(dest, {"input": "x"}, write("two")) is False
    assert dest.read_text() == "one"
    assert build_artifact(dest, {"input": "y"}, write("three")) is True
    assert dest.read_text() == "three"
    assert calls == ["one", "three"]
    assert artifact_is_fresh(dest, build_key({"input": "y"}))


def test_partials_of_dead_writers_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(child.stdout)
    dead = tmp_path / f".lancashire.gpkg.meta.{dead_pid}.abc123.partial.json"
    live = tmp_path / f".lancashire.{os.getpid()}.def456.partial.gpkg"
    dead.write_text("x")
    live.write_text("y")
    removed = remove_stale_partials(tmp_path)
    assert removed == [dead]
    assert live.exists()


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_atomic_writes_get_the_users_ordinary_modes(tmp_path: Path, umask: int) -> None:
    """Issue 8, defect 10: published files and folders follow the umask, not mkstemp's 0600."""
    import numpy as np

    from mapping.store import atomic_write_text

    previous = os.umask(umask)
    try:
        text = tmp_path / "new" / "deeper" / "table.csv"  # folders made on the way
        atomic_write_text(text, "a,b\n")
        array = tmp_path / "array.npy"
        with atomic_path(array) as tmp:
            np.save(tmp, np.arange(3))
        built = tmp_path / "built.txt"
        build_artifact(built, {"input": "x"}, lambda tmp: {"bytes_written": tmp.write_text("x")})
    finally:
        os.umask(previous)
    for path in (text, array, built, built.with_name("built.txt.meta.json")):
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path
    for folder in (tmp_path / "new", text.parent):
        assert folder.stat().st_mode & 0o777 == 0o777 & ~umask, folder
