"""Shared fixtures: the raw sources and the built study-area data (built once, cached)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from worker_lock import exclusive

from mapping import geography
from mapping.geography import need
from mapping.inputs.sources import Sources, locate_sources
from mapping.network import build_network, offline_network_is_fresh
from mapping.store import default_data_dir
from mapping.study import Study

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the tests of a module that shares a module-scoped fixture on one xdist worker.

    ``make test`` runs ``pytest -n auto --dist loadgroup``: tests are spread one by one,
    except that tests with the same ``xdist_group`` run on one worker, in order. A
    module-scoped fixture (a server, an executed notebook, a loaded workbook) would
    otherwise be made once on every worker; so each such test is put in its module's
    group unless it already names one (the browser tests share the group ``browser``,
    so two Chromiums never run at once). Without xdist the marks change nothing.
    """
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        info = getattr(item, "_fixtureinfo", None)
        definitions = info.name2fixturedefs.values() if info is not None else ()
        if any(d.scope == "module" for defs in definitions for d in defs):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


@pytest.fixture(scope="session")
def sources() -> Sources:
    """The raw public files (../shared/data or $SERVICE_MAP_SOURCES)."""
    return locate_sources()


@pytest.fixture(scope="session")
def built_data(sources: Sources) -> Path:
    """The default data folder with the geography, need and road network built.

    Each is a no-op when fresh. Under pytest-xdist every worker asks for this fixture:
    the lock beside the data folder makes the first build while the others wait, then
    find everything fresh (the road network too, which ``Study.load`` would otherwise
    build in every worker at once on a clean checkout).
    """
    data = default_data_dir()
    with exclusive(data.with_name(f".{data.name}.build.lock")):
        geography.build(sources, data)
        need.build(sources, data)
        if not offline_network_is_fresh(sources, data):
            build_network("offline", sources=sources, data_dir=data)
    return data


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
