"""Whole shifts: the best hours when every run of added hours is at least ``H`` long.

Split from :mod:`mapping.analysis.optimise_hours` (which re-exports these). The gains
of the hours are independent, but a minimum run length couples neighbours, so
:func:`best_blocks` solves it exactly by dynamic programming over the hours of the week
(state: length of the current run, length of the run that began the week, hours used).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from mapping.analysis.week import HOURS_IN_WEEK

__all__ = ["best_blocks", "cyclic_runs"]


def cyclic_runs(hours: Iterable[int], n: int = HOURS_IN_WEEK) -> list[tuple[int, int]]:
    """Maximal runs of consecutive hours on a cycle of ``n``: ``[(start, length), ...]``.

    A run may wrap from hour ``n - 1`` to hour 0; the full cycle is one run ``(0, n)``.
    """
    chosen = sorted(set(int(h) for h in hours))
    if not chosen:
        return []
    if len(chosen) == n:
        return [(0, n)]
    member = set(chosen)
    runs = []
    for h in chosen:
        if (h - 1) % n not in member:  # a run starts here
            length = 1
            while (h + length) % n in member:
                length += 1
            runs.append((h, length))
    return runs


def _relax(
    tables: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    src: int,
    dst: int,
    step: float | None,
) -> None:
    """One DP transition: state ``src`` to ``dst``, choosing the hour when ``step`` is set."""
    value, new, pointer, took = tables
    if step is None:
        candidate = value[src]
    else:
        candidate = np.full(value.shape[1], -np.inf)
        candidate[1:] = value[src, :-1] + step
    better = candidate > new[dst]
    new[dst, better] = candidate[better]
    pointer[dst, better] = src
    took[dst, better] = step is not None


def _ends_validly(state: tuple[Any, ...], cap: int) -> bool:
    """Whether a DP state at the end of the cycle leaves no run shorter than ``cap``."""
    if state[0] == "open":
        return bool(state[1] > 0)  # every hour chosen: one block round the clock
    _, pre, run = state
    if pre and run:
        return bool(pre + run >= cap)  # the first and last runs join across the wrap
    return bool(max(pre, run) >= cap or pre == run == 0)


def best_blocks(
    gain: Sequence[float] | np.ndarray,
    available: Sequence[bool] | np.ndarray,
    budget: int,
    min_block: int,
) -> tuple[tuple[int, ...], float]:
    """Best hours when every run of chosen hours is at least ``min_block`` long (cyclic).

    Exact dynamic programming over the hours ``0 .. n-1``. The state after each hour is
    the length of the run that began the cycle (closed once an hour is not chosen; its
    check waits until the end, where it may join the last run across the wrap), the
    length of the current run (both capped at ``min_block``) and the hours used. Among
    equally good plans the one with fewer hours is returned.

    Parameters
    ----------
    gain
        Gain per hour (``n`` values).
    available
        Which hours may be chosen.
    budget
        Most hours to choose.
    min_block
        Shortest allowed run (``1``: no constraint).

    Returns
    -------
    tuple
        (chosen hours in order, total gain). ``((), 0.0)`` when no feasible plan gains.
    """
    gain = np.asarray(gain, dtype=np.float64)
    free = np.asarray(available, dtype=bool)
    n, cap, budget = gain.size, max(int(min_block), 1), max(int(budget), 0)
    states: list[tuple[Any, ...]] = [("open", p) for p in range(cap + 1)]
    states += [("closed", pre, run) for pre in range(cap + 1) for run in range(cap + 1)]
    index = {state: i for i, state in enumerate(states)}
    value = np.full((len(states), budget + 1), -np.inf)
    value[index[("open", 0)], 0] = 0.0
    history: list[tuple[np.ndarray, np.ndarray]] = []
    for h in range(n):
        new = np.full_like(value, -np.inf)
        pointer = np.full(value.shape, -1, dtype=np.int64)
        took = np.zeros(value.shape, dtype=bool)

        tables = (value, new, pointer, took)
        step = float(gain[h])
        for state, i in index.items():
            if not np.isfinite(value[i]).any():
                continue
            if state[0] == "open":
                p = state[1]
                if free[h]:
                    _relax(tables, i, index[("open", min(p + 1, cap))], step)
                _relax(tables, i, index[("closed", p, 0)], None)
            else:
                _, pre, run = state
                if free[h]:
                    _relax(tables, i, index[("closed", pre, min(run + 1, cap))], step)
                if run == 0 or run >= cap:
                    _relax(tables, i, index[("closed", pre, 0)], None)
        value = new
        history.append((pointer, took))

    best_value, best_state, best_k = 0.0, index[("closed", 0, 0)], 0
    found = False
    for state, i in index.items():
        if not _ends_validly(state, cap):
            continue
        for k in range(budget + 1):
            v = value[i, k]
            tolerance = 1e-9 * max(1.0, abs(best_value))
            if np.isfinite(v) and (
                not found
                or v > best_value + tolerance
                or (abs(v - best_value) <= tolerance and k < best_k)
            ):
                best_value, best_state, best_k, found = float(v), i, k, True
    chosen = []
    at, k = best_state, best_k
    for h in range(n - 1, -1, -1):
        pointer, took = history[h]
        if took[at, k]:
            chosen.append(h)
            at, k = int(pointer[at, k]), k - 1
        else:
            at = int(pointer[at, k])
    return tuple(sorted(chosen)), best_value
