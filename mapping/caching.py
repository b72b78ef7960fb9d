"""One cache for the package: locked, bounded, least recently used first out.

The app serves every session from one process, so a value computed on first use (the
need layer, a network read from disk, an engine's opening-hours answers) may be asked
for by several threads at once. :class:`Cache` computes each key once under its lock,
keeps at most ``maxsize`` keys, and drops the least recently used first.

A cache belongs to one object (or, at module level, to the process); a what-if view
makes its own rather than writing into its base's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Cache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Cache(Generic[K, V]):
    """A thread-safe, bounded mapping of computed values.

    Parameters
    ----------
    maxsize
        Keys kept at most (at least 1); the least recently used goes first.

    Examples
    --------
    >>> calls = []
    >>> cache: Cache[str, int] = Cache(maxsize=2)
    >>> cache.get("a", lambda: calls.append("a") or 1)
    1
    >>> cache.get("a", lambda: calls.append("a") or 2)  # computed once
    1
    >>> calls
    ['a']
    """

    def __init__(self, maxsize: int = 128) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, not {maxsize}")
        self.maxsize = int(maxsize)
        self._lock = threading.RLock()
        self._values: OrderedDict[K, V] = OrderedDict()

    def __repr__(self) -> str:
        return f"Cache({len(self)}/{self.maxsize} keys)"

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def keys(self) -> list[K]:
        """The keys held now, least recently used first."""
        with self._lock:
            return list(self._values)

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value of ``key``, calling ``compute()`` (once, under the lock) if absent.

        An exception from ``compute`` propagates and nothing is stored.
        """
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            value = compute()
            self._store(key, value)
            return value

    def peek(self, key: K) -> V | None:
        """The value of ``key`` if held (``None`` otherwise); nothing is computed."""
        with self._lock:
            return self._values.get(key)

    def put(self, key: K, value: V) -> None:
        """Store ``value`` for ``key`` (replacing any)."""
        with self._lock:
            self._store(key, value)

    def discard(self, predicate: Callable[[K], bool]) -> None:
        """Drop every key for which ``predicate(key)`` is true."""
        with self._lock:
            for key in [k for k in self._values if predicate(k)]:
                del self._values[key]

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._values.clear()

    def _store(self, key: K, value: V) -> None:
        self._values[key] = value
        self._values.move_to_end(key)
        while len(self._values) > self.maxsize:
            self._values.popitem(last=False)
