"""Demand by hour of the week, from a user CSV: when are services needed?

The hours optimiser (:mod:`mapping.analysis.optimise_hours`) weighs each hour of the
week by the demand in it. Demand is never invented: with no file every hour counts the
same (uniform). A file gives one row per hour of the week (168 rows)::

    day,hour,demand
    Mon,0,1.8
    Mon,1,1.6
    ...
    Sun,23,2.1

``day`` is a day name (``Mon``, ``Monday``, ``Mo``; any case), ``hour`` the hour of the
day (0-23, or ``14:00``), ``demand`` a non-negative number in any unit (referrals,
calls, incidents in that hour over some period). Only the relative sizes matter: the
values are scaled to average 1, so a week of weight-hours keeps the size of the uniform
case and the totals stay comparable. Every problem is reported as ``file:row:field:
message`` (the header is row 1).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from mapping.errors import ServiceMapError
from mapping.inputs.hours import REFERENCE_WEEK_START, HoursError, parse_when
from mapping.inputs.limits import MAX_DEMAND_PER_HOUR
from mapping.inputs.tables import column_index, data_rows, parse_number, read_table

__all__ = ["DEMAND_COLUMNS", "read_demand", "uniform_demand"]

#: Columns a demand file must have.
DEMAND_COLUMNS: tuple[str, ...] = ("day", "hour", "demand")
_HOURS = 168


def uniform_demand() -> np.ndarray:
    """Every hour of the week weighs 1 (what is used when no demand file is given)."""
    return np.ones(_HOURS)


def _hour_of_day(text: str) -> int | None:
    text = text.strip()
    if text.endswith(":00"):
        text = text[:-3]
    if not (text.isascii() and text.isdigit()):  # isdigit alone takes "١٦" and "１６"
        return None
    value = int(text)
    return value if 0 <= value <= 23 else None


def read_demand(path: str | Path) -> np.ndarray:
    """Read and validate a demand-by-hour CSV.

    Parameters
    ----------
    path
        CSV with columns ``day``, ``hour``, ``demand`` and one row per hour of the week.

    Returns
    -------
    numpy.ndarray
        168 values, Monday 00:00 first, scaled to average 1.

    Raises
    ------
    ServiceMapError
        Listing every problem: unreadable file, missing columns, a bad day, hour or
        demand (``file:row:field: message``), an hour given twice, hours missing, or
        no demand at all.
    """
    path = Path(path)
    header, records = read_table(path, expected="the header 'day,hour,demand'")
    columns = column_index(header)
    missing = [c for c in DEMAND_COLUMNS if c not in columns]
    if missing:
        found = ", ".join(h for h in header if h) or "nothing"
        raise ServiceMapError(
            f"{path}:1:{','.join(missing)}: missing column(s); a demand file has columns "
            f"day, hour, demand (found: {found})"
        )
    demand = np.full(_HOURS, np.nan)
    first_row: dict[int, int] = {}
    problems: list[str] = []
    for record in data_rows(records, columns):
        row = record.number
        day_text, hour_text, value_text = record["day"], record["hour"], record["demand"]
        hour = _hour_of_day(hour_text)
        if hour is None:
            problems.append(f"{path}:{row}:hour: {hour_text!r} is not an hour of the day (0-23)")
            continue
        try:
            when = parse_when(f"{day_text} {hour:02d}:00")
        except HoursError:
            problems.append(f"{path}:{row}:day: {day_text!r} is not a day name (Mon ... Sun)")
            continue
        value = parse_number(value_text)
        if value is None or value < 0:
            problems.append(f"{path}:{row}:demand: {value_text!r} is not a non-negative number")
            continue
        if not math.isfinite(value) or value > MAX_DEMAND_PER_HOUR:
            problems.append(
                f"{path}:{row}:demand: {value_text!r} is out of range: give a finite number "
                f"from 0 to {MAX_DEMAND_PER_HOUR:,.0f} (only the shape of demand matters)"
            )
            continue
        h = int((when - REFERENCE_WEEK_START).total_seconds() // 3600)
        if h in first_row:
            problems.append(
                f"{path}:{row}:day,hour: {day_text} {hour:02d}:00 given twice "
                f"(first on row {first_row[h]})"
            )
            continue
        first_row[h] = row
        demand[h] = value
    if not problems:
        absent = np.flatnonzero(np.isnan(demand))
        if absent.size:
            names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
            listed = ", ".join(f"{names[h // 24]} {h % 24:02d}:00" for h in absent[:6])
            more = f" and {absent.size - 6} more" if absent.size > 6 else ""
            problems.append(
                f"{path}: {absent.size} hour(s) of the week have no row: {listed}{more}; "
                "give all 168"
            )
        elif demand.sum() <= 0:
            problems.append(f"{path}:demand: every hour has zero demand")
    if problems:
        raise ServiceMapError(
            f"{path}: the demand file has {len(problems)} problem(s):\n" + "\n".join(problems)
        )
    return demand * (_HOURS / demand.sum())
