"""benchmarks/bench_browser.py records a timed-out step as a figure and carries on (issue 23).

No browser or server here: the page and the server are stand-ins, and the steps that
"time out" raise what offline_browser and Playwright raise.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_browser.py"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> Any:
    pytest.importorskip("playwright")
    spec = importlib.util.spec_from_file_location("bench_browser_under_test", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the module adds tests/ to it
    spec.loader.exec_module(module)
    return module


class FakePage:
    """Any attribute, call or chain of them is a no-op that gives the page back."""

    def __getattr__(self, name: str) -> FakePage:
        return self

    def __call__(self, *args: object, **kwargs: object) -> FakePage:
        return self


def _fake_browser(bench: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    @contextlib.contextmanager
    def server(*args: object, **kwargs: object) -> Iterator[tuple[str, None]]:
        yield "http://127.0.0.1:1", None

    @contextlib.contextmanager
    def page(viewport: object) -> Iterator[tuple[FakePage, list[tuple[str, str]]]]:
        yield FakePage(), []

    monkeypatch.setattr(bench, "streamlit_server", server)
    monkeypatch.setattr(bench, "offline_page", page)
    monkeypatch.setattr(bench, "settled", lambda page: None)
    monkeypatch.setattr(bench, "map_id", lambda page: None)
    monkeypatch.setattr(bench, "_map_drawn", lambda page: None)


def test_a_timed_out_run_is_a_figure(bench: Any) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    runs = bench.Runs()
    runs.measure(lambda: 0.25)

    def slow(error: BaseException) -> float:
        bench._STARTED[0] = time.perf_counter() - 3.0  # the step began 3 s ago
        raise error

    runs.measure(lambda: slow(TimeoutError("the new map was not drawn")))
    runs.measure(lambda: slow(PlaywrightTimeout("Timeout 120000ms exceeded.\nCall log: ...")))
    assert runs[0] == 0.25 and len(runs) == 3
    assert 3.0 <= runs[1] <= runs[2] < 60.0  # the seconds waited: a lower bound
    assert runs.timed_out == [
        {"run": 1, "error": "TimeoutError: the new map was not drawn"},
        {"run": 2, "error": "TimeoutError: Timeout 120000ms exceeded."},
    ]
    summary = bench.summarise(runs)
    assert summary["timed_out"] == runs.timed_out and summary["meets_targets"] is False
    assert summary["median_s"] == runs[1]
    with pytest.raises(ValueError):  # anything else still fails loudly
        runs.measure(lambda: slow(ValueError("a bug")))


def test_the_json_is_printed_when_steps_time_out(
    bench: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_browser(bench, monkeypatch)
    steps = iter(range(1000))

    def timed(page: object, act: object, done: object) -> float:
        bench._STARTED[0] = 0.0
        if next(steps) == 2:  # the third step of the run (map: time slot, second time)
            raise TimeoutError("the new map was not drawn")
        return 0.5

    monkeypatch.setattr(bench, "_timed", timed)
    sarc_fails = {"n": 0}
    real_open = bench._open

    def open_page(page: object, url: str, text: str) -> None:
        if url.endswith("/sarc"):
            sarc_fails["n"] += 1
            raise TimeoutError("the SARC page did not draw")
        real_open(page, url, text)

    monkeypatch.setattr(bench, "_open", open_page)
    bench.main()
    out = json.loads(capsys.readouterr().out)
    controls = out["controls"]
    assert list(controls) == [
        "map: time slot",
        "map: service",
        "map: age group",
        "coverage: service",
        "scenarios: load example",
    ]
    slot = controls["map: time slot"]
    assert slot["timed_out"] == [{"run": 2, "error": "TimeoutError: the new map was not drawn"}]
    assert slot["meets_targets"] is False and len(slot["runs_s"]) == 4
    assert controls["map: service"]["meets_targets"] is True
    assert out["errors"] == [
        "sarc: the page did not open (TimeoutError: the SARC page did not draw)"
    ]
    assert sarc_fails["n"] == 1


def test_the_json_is_printed_when_the_server_does_not_start(
    bench: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_browser(bench, monkeypatch)

    @contextlib.contextmanager
    def broken(*args: object, **kwargs: object) -> Iterator[None]:
        raise RuntimeError("streamlit exited with 1:\nTraceback ...")
        yield None

    monkeypatch.setattr(bench, "streamlit_server", broken)
    bench.main()
    out = json.loads(capsys.readouterr().out)
    assert out["errors"] == ["stopped: RuntimeError: streamlit exited with 1:"]
    assert out["controls"] == {} and out["first_page_warm_server_s"] is None
    assert out["first_page_meets_target"] is False
