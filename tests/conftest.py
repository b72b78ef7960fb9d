"""Shared fixtures: the raw sources and the built study-area data (built once, cached)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mapping import geography
from mapping.geography import need
from mapping.inputs.sources import Sources, locate_sources
from mapping.store import default_data_dir
from mapping.study import Study

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def sources() -> Sources:
    """The raw public files (../shared/data or $SERVICE_MAP_SOURCES)."""
    return locate_sources()


@pytest.fixture(scope="session")
def built_data(sources: Sources) -> Path:
    """The default data folder with the geography and need built (no-ops when fresh)."""
    geography.build(sources, default_data_dir())
    need.build(sources, default_data_dir())
    return default_data_dir()


@pytest.fixture(scope="session")
def study(built_data: Path, sources: Sources) -> Study:
    """The baseline study, loaded once for the whole run.

    Safe to share: a what-if is a view (its own engine over the base's vectors), so no
    test can change what another sees.
    """
    return Study.load(sources=sources)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[[list[str]], tuple[int, str, str]]:
    """Run ``service-map`` in-process as the console script does: (exit code, out, err)."""
    from mapping import cli

    def run(args: list[str]) -> tuple[int, str, str]:
        try:
            cli.main(args)
            code = 0
        except SystemExit as stop:
            code = int(stop.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
