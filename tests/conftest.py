"""Shared fixtures: the raw sources and the built study-area data (built once, cached)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from worker_lock import exclusive

from mapping import geography
from mapping.geography import need
from mapping.inputs.sources import Sources, locate_sources
from mapping.network import build_network, offline_network_is_fresh
from mapping.store import default_data_dir
from mapping.study import Study

FIXTURES = Path(__file__).parent / "fixtures"


#: Tests kept on one xdist worker, in collection order, whatever their module: the
#: browser tests (one Chromium at a time) and the AppTest modules (the app caches its
#: study and answers per process, so one worker loads them once).
XDIST_GROUPS: dict[str, tuple[str, ...]] = {
    "browser": (
        # The hostile register first among the app's browser tests (its timeouts were
        # not the order: the Services page dropped its confirmation, issue 19).
        "tests/pages/test_a_hostile_browser.py::",
        "tests/pages/test_browser",  # test_browser.py and test_browser_*.py
        "tests/pages/test_browser_map_layout.py::",  # the map at 390 and 1280 px
        "tests/pages/test_pathways_browser.py::",
        "tests/outputs/test_script_text.py::",
        "tests/outputs/test_html_injection.py::",
        "tests/outputs/test_export.py::test_html_report_draws_its_map_from_a_file_with_no_network",
    ),
    "app": ("tests/pages/test_app",),
}
#: Long groups handed out first, so that no worker is left alone with one at the end.
XDIST_FIRST = ("browser", "tests/test_notebooks.py")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadscope`` (``make test``) with :data:`XDIST_GROUPS` as scopes too.

    loadscope keeps a module's tests on one worker, so its module-scoped fixtures (a
    server, an executed notebook, a loaded workbook) are made once. pytest-xdist's own
    ``loadgroup`` marks cannot be used: xdist 3.8 tags a group by rewriting the item's
    ``_nodeid``, which pytest 9 no longer reads. ``_split_scope`` is private to
    pytest-xdist: it is pinned <3.9 and tests/test_contracts.py checks it.
    """
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupedScopes(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for group, prefixes in XDIST_GROUPS.items():
                if nodeid.startswith(prefixes):
                    return group
            return str(super()._split_scope(nodeid))

        def schedule(self) -> None:
            first = self.collection is None
            super().schedule()
            if first:  # after the first scopes each worker was given
                for scope in reversed(XDIST_FIRST):
                    if scope in self.workqueue:
                        self.workqueue.move_to_end(scope, last=False)

    return GroupedScopes(config, log)


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
