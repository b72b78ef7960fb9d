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
