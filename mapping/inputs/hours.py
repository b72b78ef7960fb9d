"""Opening hours: parse, validate and evaluate OpenStreetMap ``opening_hours`` expressions.

Service hours are stored in the register in OpenStreetMap ``opening_hours`` syntax
(``Mo-Fr 08:00-16:00``, ``24/7``, ``Mo-Fr 09:00-21:30; Sa,Su 12:00-21:00``) and
evaluated with the ``opening-hours-py`` library (``import opening_hours``).

Times of week
    The app asks "who can reach an open service on Saturday at 02:00?". A bare time of
    week (``Sat 02:00``) is placed on a fixed *reference week*, Monday 9 June to Sunday
    15 June 2025, which holds no UK public holiday (the nearest are the spring bank
    holiday on 26 May and the August bank holiday on 4 August in Scotland / 25 August in
    England and Wales), so a time of week never lands on ``PH`` rules by accident. A
    specific date is given as an ISO date-time (``2026-12-25T02:00``).

Public holidays
    Expressions are parsed with ``country="GB"`` so ``PH`` selects UK public holidays.
    The library's GB calendar (opening-hours-py 2.1) holds only the holidays common to
    the whole UK: Good Friday, the early-May and spring bank holidays, Christmas Day and
    Boxing Day (with substitute days). It does **not** know New Year's Day, Easter
    Monday or the August bank holiday in England and Wales, so ``PH off`` leaves a
    service open on those days. The tests pin this behaviour so an upgrade that changes
    it is noticed.

Unknown state
    An expression can leave a time *unknown* (``Mo-Fr 08:00-16:00 || unknown``, or the
    ``unknown`` keyword). For reachability an unknown state counts as **closed**: the
    analysis never promises a service is open without a published or stated basis.

Times are naive local (UK) clock times; a timezone-aware datetime is converted to
Europe/London and its timezone dropped.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import opening_hours

from mapping.errors import ServiceMapError

__all__ = [
    "COUNTRY",
    "REFERENCE_WEEK_START",
    "HoursError",
    "format_when",
    "is_open",
    "next_opening",
    "parse_hours",
    "parse_when",
    "validate_hours",
]

#: Country whose public holidays ``PH`` refers to.
COUNTRY = "GB"
#: Monday 00:00 of the reference week onto which bare times of week are placed.
REFERENCE_WEEK_START = datetime(2025, 6, 9)
_LONDON = ZoneInfo("Europe/London")
#: Safety bound on state changes walked by :func:`next_opening` (weeks of changes).
_MAX_CHANGES = 10_000
#: Minutes scanned when the library finds no further change (see :func:`next_opening`).
_SCAN_MINUTES = 8 * 24 * 60

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_ALIASES: dict[str, int] = {}
for _index, _forms in enumerate(
    (
        ("mo", "mon", "monday"),
        ("tu", "tue", "tues", "tuesday"),
        ("we", "wed", "weds", "wednesday"),
        ("th", "thu", "thur", "thurs", "thursday"),
        ("fr", "fri", "friday"),
        ("sa", "sat", "saturday"),
        ("su", "sun", "sunday"),
    )
):
    for _form in _forms:
        _DAY_ALIASES[_form] = _index

# A day then a clock time, as people write it: "Sat 02:00", "saturday 2am", "Sat 2.30pm",
# "sun 14:00", "Mon at 9", "Friday noon", "Sat midnight" (midnight = the start of the day).
_TIME_OF_WEEK = re.compile(
    r"^\s*(?P<day>[A-Za-z]+)\.?,?\s+(?:at\s+)?"
    r"(?:(?P<word>noon|midday|midnight)"
    r"|(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?)\s*$",
    re.IGNORECASE,
)


class HoursError(ServiceMapError):
    """An opening-hours expression or a time of week that cannot be understood."""


def _when_error(text: str) -> HoursError:
    return HoursError(
        f"{text!r} is not a time of week: use a day and a time such as 'Sat 02:00', "
        "'Saturday 2am' or 'sun 14:00', a named slot such as 'weekend night', or an ISO "
        "date-time such as '2026-12-25T02:00'"
    )


def _clock(match: re.Match[str]) -> tuple[int, int] | None:
    """``(hour, minute)`` of a matched time, or ``None`` when it is not a real time."""
    word = (match.group("word") or "").lower()
    if word:
        return (0, 0) if word == "midnight" else (12, 0)
    hour = int(match.group("hour"))
    minute = int(match.group("minute") or 0)
    ampm = (match.group("ampm") or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif match.group("minute") is None:
        return None  # a bare "Sat 2" is ambiguous: ask for "2am" or "02:00"
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _naive_local(dt: datetime) -> datetime:
    if dt.tzinfo is not None:
        return dt.astimezone(_LONDON).replace(tzinfo=None)
    return dt


def parse_when(text: str | datetime) -> datetime:
    """Turn a time of week or an ISO date-time into a naive local datetime.

    Parameters
    ----------
    text
        ``"Sat 02:00"`` (day as ``Sa``/``Sat``/``Saturday``, any case; a 24-hour clock
        ``00:00`` to ``23:59``, or ``2am``, ``2.30pm``, ``noon``, ``midnight``), placed
        on the reference week (Monday 9 June 2025 to
        Sunday 15 June 2025, no public holidays); or an ISO date-time such as
        ``"2026-12-25T02:00"``; or a ``datetime``, returned as naive local time.

    Returns
    -------
    datetime.datetime
        Naive local (UK) clock time.

    Raises
    ------
    HoursError
        If the text is neither form (e.g. ``"Sat 25:00"``).
    """
    if isinstance(text, datetime):
        return _naive_local(text)
    if not isinstance(text, str):
        raise _when_error(str(text))
    match = _TIME_OF_WEEK.match(text)
    if match:
        day = _DAY_ALIASES.get(match.group("day").lower())
        clock = _clock(match)
        if day is None or clock is None:
            raise _when_error(text)
        hour, minute = clock
        return REFERENCE_WEEK_START + timedelta(days=day, hours=hour, minutes=minute)
    try:
        return _naive_local(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise _when_error(text) from None
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is before year 1 in UK time
        raise HoursError(
            f"{text!r} is outside the dates this tool can place (years 1 to 9999 in UK time)"
        ) from None


def format_when(dt: datetime) -> str:
    """Format a datetime as :func:`parse_when` reads it back.

    Returns ``"Sat 02:00"`` for a time on the reference week, otherwise an ISO
    date-time to the minute (``"2026-12-25T02:00"``).
    """
    dt = _naive_local(dt)
    offset = dt - REFERENCE_WEEK_START
    if timedelta(0) <= offset < timedelta(days=7) and dt.second == 0 and dt.microsecond == 0:
        return f"{_DAY_NAMES[dt.weekday()]} {dt:%H:%M}"
    return dt.isoformat(timespec="minutes")


@lru_cache(maxsize=4096)
def parse_hours(expr: str) -> opening_hours.OpeningHours:
    """Parse an ``opening_hours`` expression once (cached: the same few are reused).

    Raises
    ------
    HoursError
        If the expression is empty or not valid ``opening_hours`` syntax.
    """
    if not isinstance(expr, str) or not expr.strip():
        raise HoursError("opening hours are empty: give e.g. 'Mo-Fr 09:00-17:00' or '24/7'")
    try:
        return opening_hours.OpeningHours(expr, country=COUNTRY)
    except (getattr(opening_hours, "ParserError", SyntaxError), SyntaxError, ValueError):
        # The parser's own message is a caret diagram in its grammar's words ("expected
        # weeknum"): say what to write instead, with examples (no link: the app is offline).
        raise HoursError(
            f"{expr!r} is not valid opening_hours syntax: write days then times, e.g. "
            "'Mo-Fr 09:00-17:00', 'Mo-Fr 09:00-17:00; Sa 10:00-14:00' or '24/7' (days: Mo Tu "
            "We Th Fr Sa Su; times: 24-hour HH:MM)"
        ) from None


def validate_hours(expr: str) -> str | None:
    """Return ``None`` if ``expr`` is a valid expression, else a readable message."""
    try:
        parse_hours(expr)
    except HoursError as exc:
        return str(exc)
    return None


def is_open(expr: str, when: str | datetime) -> bool:
    """Whether a service with hours ``expr`` is open at ``when``.

    An *unknown* state counts as closed. ``when`` is anything :func:`parse_when`
    accepts.

    Raises
    ------
    HoursError
        If the expression or the time is invalid.
    """
    return bool(parse_hours(expr).is_open(parse_when(when)))


def next_opening(expr: str, when: str | datetime) -> datetime | None:
    """Return the first time at or after ``when`` at which the service is open.

    Returns ``when`` itself if the service is open then, and ``None`` if it never opens
    again (``off``, or rules limited to past years). When the library finds no further
    change, the next 8 days are also checked minute by minute (its change search misses
    openings after some fallback rules), so "never" means "not within 8 days" then.

    Raises
    ------
    HoursError
        If the expression or the time is invalid.
    """
    hours = parse_hours(expr)
    moment = parse_when(when)
    for _ in range(_MAX_CHANGES):
        if hours.is_open(moment):
            return moment
        following = hours.next_change(moment)
        if following is None or following <= moment:
            break
        moment = _naive_local(following)
    # The library's change search gives up on some fallback rules
    # ("Mo-Fr 08:00-16:00 || unknown" reports no change from Saturday although Monday
    # 08:00 is open), so confirm "never" by a minute-by-minute look at the next 8 days.
    for step in range(_SCAN_MINUTES):
        candidate = moment + timedelta(minutes=step)
        if hours.is_open(candidate):
            return candidate
    return None
