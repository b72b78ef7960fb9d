"""Times of the week as people say them: named slots, days and times, ISO date-times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mapping.inputs.hours import format_when, parse_when


@dataclass(frozen=True)
class TimeSlot:
    """A named time of week, e.g. weekend night = ``Sat 02:00``."""

    name: str
    at: str


#: The time slots a commissioner compares first; any other ``--at`` works as well.
NAMED_SLOTS: tuple[TimeSlot, ...] = (
    TimeSlot("weekday daytime", "Tue 10:00"),
    TimeSlot("weekday night", "Tue 02:00"),
    TimeSlot("weekend night", "Sat 02:00"),
    TimeSlot("weekend day", "Sat 14:00"),
)


def resolve_slot(slot: str | TimeSlot) -> TimeSlot:
    """Return a :class:`TimeSlot` for a slot name (``"weekend night"``) or a time.

    Raises
    ------
    ServiceMapError
        If the text is neither a named slot nor a time of week / ISO date-time.
    """
    if isinstance(slot, TimeSlot):
        return slot
    text = str(slot).strip()
    for named in NAMED_SLOTS:
        if text.lower() in (named.name, named.name.replace(" ", "_"), named.name.replace(" ", "-")):
            return named
    when = parse_when(text)  # raises a clear ServiceMapError for bad text
    label = format_when(when)
    for named in NAMED_SLOTS:
        if named.at == label:
            return named
    return TimeSlot(name=label, at=label)


def moment_of(at: str | datetime | TimeSlot) -> datetime:
    """The moment a slot name, time of week, ISO date-time or datetime stands for.

    Every ``--at`` goes through here, so ``"weekend night"`` works wherever ``"Sat 02:00"``
    does (the ``sarc``, ``scenario`` and ``matrix`` commands, the travel engine).

    Raises
    ------
    ServiceMapError
        If the text is neither a named slot nor a time of week / ISO date-time.
    """
    if isinstance(at, datetime):
        return parse_when(at)
    return parse_when(resolve_slot(at).at)
