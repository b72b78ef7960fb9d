"""The package's one cache (:mod:`mapping.caching`): computed once, bounded, locked."""

from __future__ import annotations

import threading
import time

import pytest

from mapping.caching import Cache


def test_each_key_is_computed_once_and_the_least_recently_used_goes() -> None:
    calls: list[str] = []
    cache: Cache[str, str] = Cache(maxsize=2)

    def compute(key: str) -> str:
        calls.append(key)
        return key.upper()

    assert cache.get("a", lambda: compute("a")) == "A"
    assert cache.get("b", lambda: compute("b")) == "B"
    assert cache.get("a", lambda: compute("a")) == "A"  # held: not computed again
    assert cache.get("c", lambda: compute("c")) == "C"  # "b" was used least recently
    assert cache.keys() == ["a", "c"]
    assert cache.peek("b") is None and "b" not in cache
    assert calls == ["a", "b", "c"]
    cache.put("d", "D")
    assert cache.keys() == ["c", "d"] and len(cache) == 2
    cache.discard(lambda key: key == "c")
    assert cache.keys() == ["d"]
    cache.clear()
    assert len(cache) == 0


def test_a_failed_computation_stores_nothing() -> None:
    cache: Cache[int, int] = Cache(maxsize=4)

    def fail() -> int:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        cache.get(1, fail)
    assert 1 not in cache
    assert cache.get(1, lambda: 7) == 7


def test_threads_asking_at_once_share_one_computation() -> None:
    cache: Cache[str, object] = Cache(maxsize=1)
    calls = []
    start = threading.Barrier(8)
    got: list[object] = []

    def slow() -> object:
        calls.append(1)
        time.sleep(0.05)
        return object()

    def ask() -> None:
        start.wait()
        got.append(cache.get("need", slow))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len(got) == 8 and all(value is got[0] for value in got)


def test_maxsize_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Cache(maxsize=0)
