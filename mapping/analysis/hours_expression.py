"""Hours of the week as OpenStreetMap ``opening_hours`` rules, added to a service's own.

The optimiser's plan is a set of whole hours of the reference week; these functions turn
it into rules (``Mo-Fr 16:00-24:00``), add them to the service's current expression with
the *additional-rule* separator ``,`` (so no current rule is overridden) and check the
result hour by hour with ``opening-hours-py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np

from mapping.analysis.week import HOURS_IN_WEEK, hour_label, hour_times
from mapping.errors import ServiceMapError
from mapping.inputs.hours import is_open, validate_hours

__all__ = ["hours_rules", "merge_hours", "open_hours"]

_OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def _day_ranges(day_hours: Sequence[int]) -> str:
    runs = []
    for _, group in itertools.groupby(enumerate(sorted(day_hours)), lambda p: p[1] - p[0]):
        hours = [h for _, h in group]
        runs.append(f"{hours[0]:02d}:00-{hours[-1] + 1:02d}:00")
    return ",".join(runs)


def hours_rules(hours: Iterable[int]) -> str:
    """OpenStreetMap rules opening exactly these hours of the week.

    Days with the same ranges are grouped (``Mo-Fr 16:00-24:00``); groups are joined with
    the additional-rule separator ``,`` so that they add to, never override, other rules.
    Returns ``""`` for no hours.
    """
    by_day: dict[int, list[int]] = {}
    for h in sorted(set(int(h) for h in hours)):
        by_day.setdefault(h // 24, []).append(h % 24)
    ranges: dict[str, list[int]] = {}
    for day, day_hours in by_day.items():
        ranges.setdefault(_day_ranges(day_hours), []).append(day)
    rules = []
    for times, days in ranges.items():
        spans = []
        for _, group in itertools.groupby(enumerate(days), lambda p: p[1] - p[0]):
            run = [d for _, d in group]
            if len(run) == 1:
                spans.append(_OSM_DAYS[run[0]])
            elif len(run) == 2:
                spans.append(f"{_OSM_DAYS[run[0]]},{_OSM_DAYS[run[1]]}")
            else:
                spans.append(f"{_OSM_DAYS[run[0]]}-{_OSM_DAYS[run[-1]]}")
        rules.append(f"{','.join(spans)} {times}")
    return ", ".join(rules)


def open_hours(expression: str) -> np.ndarray:
    """Whether ``expression`` is open at the start of each hour of the reference week."""
    if not expression.strip():
        return np.zeros(HOURS_IN_WEEK, dtype=bool)
    return np.array([is_open(expression, when) for when in hour_times()])


def merge_hours(current: str, hours: Iterable[int]) -> str:
    """The service's current hours with ``hours`` added, as one validated expression.

    Raises
    ------
    ServiceMapError
        If the result is not valid ``opening_hours`` syntax or does not open exactly
        the current hours plus ``hours`` on the reference week (checked hour by hour).
    """
    added = sorted(set(int(h) for h in hours))
    rules = hours_rules(added)
    current = (current or "").strip()
    merged = current if not rules else (f"{current}, {rules}" if current else rules)
    problem = validate_hours(merged) if merged else None
    if problem:
        raise ServiceMapError(f"the merged hours are invalid: {problem}")
    expected = open_hours(current)
    expected[added] = True
    if merged and not np.array_equal(open_hours(merged), expected):
        wrong = np.flatnonzero(open_hours(merged) != expected)
        raise ServiceMapError(
            f"the merged hours {merged!r} do not open exactly the planned hours "
            f"(first difference {hour_label(int(wrong[0]))})"
        )
    return merged
