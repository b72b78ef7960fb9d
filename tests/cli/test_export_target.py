"""``service-map export`` refuses a bad folder before the slow load (issue 23)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapping.study import Study


@pytest.fixture
def no_load(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the study was loaded before the folder was checked")

    monkeypatch.setattr(Study, "load", refuse)


def test_a_folder_of_other_files_is_refused_before_loading(
    tmp_path: Path, run_cli, no_load: None
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me", encoding="utf-8")
    code, _, err = run_cli(["export", "--out", str(folder)])
    assert code == 1 and "folder is not empty and holds no previous export" in err
    assert "Loading" not in err and "Traceback" not in err
    assert (folder / "mine.txt").read_text(encoding="utf-8") == "keep me"


def test_a_file_is_refused_before_loading(tmp_path: Path, run_cli, no_load: None) -> None:
    target = tmp_path / "a-file"
    target.write_text("x", encoding="utf-8")
    code, _, err = run_cli(["export", "--out", str(target)])
    assert code == 1 and str(target) in err and "Traceback" not in err
