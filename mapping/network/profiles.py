"""Which speed profile a journey starting at a given time is driven at.

The profiles (``mapping.network.graph.PROFILES``) differ by day type and hour. The DfT
congestion statistics define the weekday periods: morning peak 07:00-10:00, inter-peak
10:00-16:00, evening peak 16:00-19:00. Their speeds and sources are in
``mapping.network.params`` and ``docs/network.md``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = [
    "DAYTIME_HOURS",
    "PEAK_HOURS",
    "WEEKEND_DAY_HOURS",
    "profile_for",
    "profile_of",
]

#: Local hours [start, end) of the day on any day: outside them roads are at free flow
#: (``free_flow``, the night profile), 19:00-07:00.
DAYTIME_HOURS: tuple[int, int] = (7, 19)

#: Weekday peak periods [start, end) of the DfT statistics: 07:00-10:00 and 16:00-19:00.
PEAK_HOURS: tuple[tuple[int, int], ...] = ((7, 10), (16, 19))

#: Weekend hours [start, end) at the weekend-day profile (the same day as on weekdays).
WEEKEND_DAY_HOURS: tuple[int, int] = DAYTIME_HOURS

_UK = ZoneInfo("Europe/London")


def profile_of(weekday: int, hour: int) -> str:
    """Return the speed profile of a local ``weekday`` (Monday 0) and ``hour`` (0-23).

    Examples
    --------
    >>> profile_of(1, 8), profile_of(1, 10), profile_of(5, 14), profile_of(5, 2)
    ('weekday_peak', 'daytime', 'weekend_day', 'free_flow')
    """
    if weekday >= 5:
        start, end = WEEKEND_DAY_HOURS
        return "weekend_day" if start <= hour < end else "free_flow"
    if any(start <= hour < end for start, end in PEAK_HOURS):
        return "weekday_peak"
    start, end = DAYTIME_HOURS
    return "daytime" if start <= hour < end else "free_flow"


def profile_for(when: datetime) -> str:
    """Return the speed profile for a journey starting at ``when``.

    Parameters
    ----------
    when
        Start time; a naive datetime is read as UK local time, an aware one is
        converted to it.

    Returns
    -------
    str
        ``"weekday_peak"`` Monday to Friday 07:00-10:00 and 16:00-19:00, ``"daytime"``
        (the weekday inter-peak) 10:00-16:00, ``"weekend_day"`` Saturday and Sunday
        07:00-19:00, else ``"free_flow"`` (night). Bank holidays count as the weekday
        they fall on.

    Examples
    --------
    >>> profile_for(datetime(2025, 6, 7, 2, 0))  # a Saturday, 02:00
    'free_flow'
    >>> profile_for(datetime(2025, 6, 9, 8, 30))  # a Monday, 08:30
    'weekday_peak'
    >>> profile_for(datetime(2025, 6, 10, 10, 0))  # a Tuesday, 10:00
    'daytime'
    """
    local = when.astimezone(_UK) if when.tzinfo is not None else when
    return profile_of(local.weekday(), local.hour)
