"""Which speed profile a journey starting at a given time is driven at."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["DAYTIME_HOURS", "profile_for"]

#: Local hours [start, end) driven at daytime speeds, every day of the week. They span
#: the DfT congestion statistics' weekday periods from the start of the morning peak
#: (07:00-10:00) through the inter-peak (10:00-16:00) to the end of the evening peak
#: (16:00-19:00). Weekend daytime roads carry shopping and leisure traffic, so they are
#: driven at daytime speeds too: the free-flow (night) profile is kept for 19:00-07:00.
DAYTIME_HOURS: tuple[int, int] = (7, 19)

_UK = ZoneInfo("Europe/London")


def profile_for(when: datetime) -> str:
    """Return ``"daytime"`` or ``"free_flow"`` for a journey starting at ``when``.

    Parameters
    ----------
    when
        Start time; a naive datetime is read as UK local time, an aware one is
        converted to it.

    Returns
    -------
    str
        ``"daytime"`` from 07:00 to 19:00 on any day, else ``"free_flow"``.

    Examples
    --------
    >>> profile_for(datetime(2025, 6, 7, 2, 0))  # a Saturday, 02:00
    'free_flow'
    >>> profile_for(datetime(2025, 6, 9, 8, 30))  # a Monday, 08:30
    'daytime'
    """
    local = when.astimezone(_UK) if when.tzinfo is not None else when
    start, end = DAYTIME_HOURS
    return "daytime" if start <= local.hour < end else "free_flow"
