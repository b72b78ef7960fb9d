"""Where public transport will enter the network: a GTFS feed (not supported yet).

No bus or rail timetable is held offline (no GTFS or NaPTAN file), so buses and trains
are not modelled: every travel time is by car or on foot. The network and routing
commands accept ``--gtfs FILE`` so that the place for a feed is fixed; today they stop
with :data:`NOT_SUPPORTED` (exit code 1). ``docs/transit.md`` says what would be needed
(a GTFS extract for the North West and NaPTAN stops) and how it would enter the engine.
"""

from __future__ import annotations

import os
from pathlib import Path

from mapping.errors import ServiceMapError

__all__ = ["NOT_SUPPORTED", "TransitNotSupportedError", "check_gtfs"]

#: What a user who supplies a GTFS feed is told today.
NOT_SUPPORTED = (
    "public transport (GTFS) is not supported yet: buses and trains are not modelled, "
    "so travel times are by car or on foot only. See docs/transit.md for what is needed "
    "(a GTFS extract for the North West and NaPTAN) and how it would enter the engine"
)


class TransitNotSupportedError(ServiceMapError):
    """A GTFS feed was supplied; public transport is not modelled yet."""


def check_gtfs(path: str | os.PathLike[str] | None) -> None:
    """Refuse a GTFS feed with a clear message (nothing is read or changed).

    Parameters
    ----------
    path
        The ``--gtfs`` file, or ``None`` (no feed: nothing to do).

    Raises
    ------
    TransitNotSupportedError
        Whenever a feed is given, naming the file (and saying when it does not exist).
    """
    if path is None:
        return
    feed = Path(path)
    where = f"{feed}: " if feed.is_file() else f"{feed}: no such file; and "
    raise TransitNotSupportedError(where + NOT_SUPPORTED)
