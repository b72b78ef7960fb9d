"""The whole week: access to a service category in each of the 168 hours of a week.

For every hour of the reference week (Monday 00:00 ... Sunday 23:00, the week of
:data:`mapping.inputs.hours.REFERENCE_WEEK_START`, which holds no public holiday) this module
finds which services of a category are open and eligible at the start of the hour
(``HH:00``), the speed profile of that hour (:func:`mapping.network.profile_for`), and
from the travel engine's per-service minute vectors the nearest open service for every
origin. It reports the weighted share and number of people beyond a threshold and the
weighted mean minutes.

An hour is represented by its first minute: a service open ``09:00-21:30`` counts as
open in the 21:00 hour. Hours with the same open services and the same speed profile
have the same answer, so each distinct ``(open services, profile)`` key is computed once
and shared (a week of SARC access is three computations, not 168).

The functions take the engine and plain arrays, not a ``Study``, so a study (with its
scenario changes) calls them with its own ``exclude`` / ``extra_services`` /
``hours_override``::

    frame = week_profile(engine, "sarc", weights=origins["population"].to_numpy())
    describe_worst_hour(frame)  # 'the worst hour is Saturday 14:00: ...'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mapping import formats
from mapping.analysis.age_split import AgePart
from mapping.errors import ServiceMapError
from mapping.inputs.hours import REFERENCE_WEEK_START
from mapping.inputs.when import NAMED_SLOTS

if TYPE_CHECKING:
    from mapping.routing.engine import TravelEngine


__all__ = [
    "DAY_NAMES",
    "HOURS_IN_WEEK",
    "TIE_PREFERENCE",
    "WEEK_COLUMNS",
    "HourKey",
    "WeekOpenSets",
    "describe_worst_hour",
    "hour_label",
    "hour_times",
    "minutes_for_key",
    "open_sets",
    "service_label",
    "week_profile",
    "worst_hour",
]

#: Hours in a week; hour ``h`` starts ``h`` hours after Monday 00:00.
HOURS_IN_WEEK = 168
#: Day names, Monday first (as :meth:`datetime.weekday` numbers them).
DAY_NAMES: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
#: Columns of :func:`week_profile`, in order.
WEEK_COLUMNS: tuple[str, ...] = (
    "hour_of_week",
    "day",
    "hour",
    "time",
    "profile",
    "open_services",
    "n_open",
    "population",
    "people_beyond",
    "share_beyond",
    "people_unreached",
    "mean_minutes",
)
#: Times named first when several hours are equally bad: the named slots that the other
#: tables report, so the reader can look them up.
TIE_PREFERENCE: tuple[str, ...] = tuple(slot.at for slot in NAMED_SLOTS)
# How a category is named in a sentence ("an open SARC"); others use the category words.
_CATEGORY_WORDS: dict[str, str] = {
    "sarc": "SARC",
    "isva": "ISVA service",
    "idva": "IDVA service",
    "da_outreach": "domestic-abuse outreach service",
    "multi_crime_hub": "Lancashire Victim Services hub",
    "young_people": "young people's service",
    "restorative_justice": "restorative-justice service",
    "police_victim_care": "police victim-care service",
    "hate_crime": "hate-crime service",
}


@dataclass(frozen=True)
class HourKey:
    """What decides an hour's answer: the open eligible services and the speed profile."""

    services: tuple[str, ...]
    profile: str


@dataclass(frozen=True)
class WeekOpenSets:
    """The key of every hour of the week, and the distinct keys among them.

    Attributes
    ----------
    keys
        One :class:`HourKey` per hour of the week (168, Monday 00:00 first).
    """

    keys: tuple[HourKey, ...]

    @property
    def distinct(self) -> tuple[HourKey, ...]:
        """The distinct keys, in order of first appearance."""
        return tuple(dict.fromkeys(self.keys))

    def hours_of(self, key: HourKey) -> np.ndarray:
        """Hours of the week that share ``key``."""
        return np.array([h for h, k in enumerate(self.keys) if k == key], dtype=np.int64)


def hour_times() -> list[datetime]:
    """The start of each hour of the reference week, Monday 00:00 first (168 times)."""
    return [REFERENCE_WEEK_START + timedelta(hours=h) for h in range(HOURS_IN_WEEK)]


def hour_label(hour_of_week: int, *, long: bool = False) -> str:
    """``"Sat 14:00"`` (or ``"Saturday 14:00"`` with ``long``) for an hour of the week."""
    day, hour = divmod(int(hour_of_week), 24)
    name = DAY_NAMES[day] if long else DAY_NAMES[day][:3]
    return f"{name} {hour:02d}:00"


def service_label(category: str) -> str:
    """How a category reads in a sentence: ``"sarc"`` -> ``"SARC"``."""
    return _CATEGORY_WORDS.get(category, category.replace("_", " ") + " service")


def open_sets(
    engine: TravelEngine,
    category: str | Sequence[str],
    *,
    age_band: str | tuple[int, int | None] | None = None,
    crime_type: str | None = None,
    exclude: Iterable[str] = (),
    extra_services: Iterable[str] = (),
    hours_override: Mapping[str, str] | None = None,
    profile: str | None = None,
) -> WeekOpenSets:
    """Which eligible services of ``category`` are open in each hour, and its profile.

    Parameters
    ----------
    engine
        A :class:`mapping.routing.engine.TravelEngine`.
    category
        Service category (or several).
    age_band, crime_type
        Eligibility filters, as :meth:`TravelEngine.nearest` takes them.
    exclude, extra_services, hours_override
        A scenario's closures, what-if services (ids already on the engine) and hours
        changes, as :meth:`TravelEngine.nearest` takes them.
    profile
        Force one profile for every hour (``"walk"`` for walking); ``None``: each
        hour's own driving speed profile.

    Returns
    -------
    WeekOpenSets
    """
    ids = engine.service_ids
    keys = []
    for when in hour_times():
        query = engine.query(
            category,
            when,
            age_band,
            crime_type,
            exclude=list(exclude),
            extra_services=list(extra_services),
            hours_override=dict(hours_override or {}),
            profile=profile,
        )
        rows = engine.eligible_rows(query)
        keys.append(HourKey(tuple(ids[i] for i in rows), query.profile))
    return WeekOpenSets(tuple(keys))


def minutes_for_key(
    engine: TravelEngine, key: HourKey, cache: dict[HourKey, np.ndarray] | None = None
) -> np.ndarray:
    """Minutes from every origin to the nearest of ``key.services`` (``inf``: none).

    ``cache`` (optional) maps keys to answers already computed and is filled in.
    """
    if cache is not None and key in cache:
        return cache[key]
    if key.services:
        minutes = engine.minutes_to(list(key.services), key.profile).min(axis=0)
        minutes = np.asarray(minutes, dtype=np.float64)
    else:
        minutes = np.full(engine.n_origins, np.inf)
    if cache is not None:
        cache[key] = minutes
    return minutes


def week_profile(
    engine: TravelEngine,
    category: str,
    *,
    weights: np.ndarray,
    threshold: float = 60.0,
    origin_mask: np.ndarray | None = None,
    age_band: str | tuple[int, int | None] | None = None,
    crime_type: str | None = None,
    exclude: Iterable[str] = (),
    extra_services: Iterable[str] = (),
    hours_override: Mapping[str, str] | None = None,
    profile: str | None = None,
    parts: Sequence[AgePart] | None = None,
) -> pd.DataFrame:
    """Access to ``category`` in each of the 168 hours of the week.

    Parameters
    ----------
    engine
        A :class:`mapping.routing.engine.TravelEngine`.
    category
        Service category.
    weights
        Per-origin weight (residents, or an age band's residents), in engine order.
    threshold
        Minutes: people farther than this from an open eligible service are "beyond".
    origin_mask
        Boolean per origin: restrict the figures to these origins (a council area).
    age_band, crime_type, exclude, extra_services, hours_override, profile
        As for :func:`open_sets` (``profile="walk"``: walking minutes every hour).
    parts
        Age groups (:class:`~mapping.analysis.age_split.AgePart`): each group's weight
        is counted against the services open to its band and the groups are added up
        (``open_services`` lists what any group counts); ``weights`` and ``age_band``
        are then unused. ``None``: one group, ``weights`` of ``age_band``.

    Returns
    -------
    pandas.DataFrame
        One row per hour, columns :data:`WEEK_COLUMNS`: ``hour_of_week`` (0 = Monday
        00:00), ``day`` (``"Monday"``), ``hour`` (0-23), ``time`` (``"Mon 00:00"``),
        ``profile``, ``open_services`` (ids joined with ``;``), ``n_open``,
        ``population`` (total weight), ``people_beyond`` (weight beyond ``threshold``
        or with no open service), ``share_beyond``, ``people_unreached`` (no open
        service at all) and ``mean_minutes`` (weighted, over people who reach one).
        ``frame.attrs`` holds ``threshold``, ``category`` and ``computations`` (the
        number of distinct open-set-and-profile keys actually computed).
    """
    if parts is None:
        parts = (AgePart(age_band, np.asarray(weights, dtype=np.float64), np.asarray(weights)),)
    mask = None if origin_mask is None else np.asarray(origin_mask, dtype=bool)
    part_weights = []
    for part in parts:
        w = np.asarray(part.weights, dtype=np.float64)
        if w.shape != (engine.n_origins,):
            raise ServiceMapError(
                f"weights: expected one value per origin ({engine.n_origins}), got {w.shape}"
            )
        if mask is not None:
            if mask.shape != w.shape:
                raise ServiceMapError("origin_mask: expected one value per origin")
            w = np.where(mask, w, 0.0)
        part_weights.append(w)
    keys = [
        open_sets(
            engine,
            category,
            age_band=part.band,
            crime_type=crime_type,
            exclude=exclude,
            extra_services=extra_services,
            hours_override=hours_override,
            profile=profile,
        ).keys
        for part in parts
    ]
    total = float(sum(w.sum() for w in part_weights))
    # Per group and key: weight within the threshold, reached, and weighted minutes.
    summaries: dict[tuple[int, HourKey], tuple[float, float, float]] = {}
    for p, part_keys in enumerate(keys):
        w = part_weights[p]
        for key in dict.fromkeys(part_keys):
            minutes = minutes_for_key(engine, key)
            reached = np.isfinite(minutes)
            summaries[p, key] = (
                float(w[minutes <= threshold].sum()),
                float(w[reached].sum()),
                float((w[reached] * minutes[reached]).sum()),
            )
    order = {sid: i for i, sid in enumerate(engine.service_ids)}
    rows = []
    for h, hour in enumerate(zip(*keys, strict=True)):
        sums = np.sum([summaries[p, k] for p, k in enumerate(hour)], axis=0)
        within, reached_weight, weighted = (float(v) for v in sums)
        services = sorted({s for key in hour for s in key.services}, key=order.__getitem__)
        day, hour_of_day = divmod(h, 24)
        beyond = total - within
        rows.append(
            {
                "hour_of_week": h,
                "day": DAY_NAMES[day],
                "hour": hour_of_day,
                "time": hour_label(h),
                "profile": hour[0].profile,
                "open_services": ";".join(services),
                "n_open": len(services),
                "population": total,
                "people_beyond": beyond,
                "share_beyond": beyond / total if total > 0 else np.nan,
                "people_unreached": total - reached_weight,
                "mean_minutes": weighted / reached_weight if reached_weight > 0 else np.nan,
            }
        )
    frame = pd.DataFrame(rows, columns=list(WEEK_COLUMNS))
    computed = len({key for _, key in summaries})
    frame.attrs.update(threshold=float(threshold), category=category, computations=computed)
    return frame


def worst_hour(frame: pd.DataFrame, *, prefer: Iterable[str] | None = None) -> tuple[int, int]:
    """The row of the worst hour of a :func:`week_profile` frame, and how many tie with it.

    Ties go to the times in ``prefer`` (default :data:`TIE_PREFERENCE`), else the earliest.
    """
    if frame.empty:
        raise ServiceMapError("the week profile is empty")
    worst = frame["people_beyond"].to_numpy(float)
    tied = np.flatnonzero(np.isclose(worst, worst.max(), rtol=0, atol=0.5))
    prefer = TIE_PREFERENCE if prefer is None else tuple(prefer)
    times = frame["time"].to_numpy(dtype=object)
    preferred = [i for t in prefer for i in tied if times[i] == t]
    return int(preferred[0] if preferred else tied[0]), int(tied.size - 1)


def describe_worst_hour(
    frame: pd.DataFrame,
    *,
    people: str = "residents",
    what: str | None = None,
    prefer: Iterable[str] | None = None,
) -> str:
    """Name the worst hour of a :func:`week_profile` frame in words.

    Parameters
    ----------
    frame
        A :func:`week_profile` frame.
    people
        Who the weights count (``"residents"``, ``"residents aged 16-24"``).
    what
        What they are far from (default from the category: ``"SARC"``).
    prefer
        Times of week named first when several hours tie (default
        :data:`TIE_PREFERENCE`); otherwise the earliest tied hour is named.

    Returns
    -------
    str
        ``"the worst hour is Saturday 14:00: 486,000 residents more than 60 minutes from
        an open SARC"``, with how many other hours are as bad when there are any.
    """
    threshold = float(frame.attrs.get("threshold", np.nan))
    label = what or service_label(str(frame.attrs.get("category", "service")))
    top, alike = worst_hour(frame, prefer=prefer)
    worst = frame["people_beyond"].to_numpy(float)
    on_foot = " on foot" if (frame["profile"] == "walk").all() else ""
    sentence = (
        f"the worst hour is {hour_label(int(frame['hour_of_week'].iloc[top]), long=True)}: "
        f"{formats.round_people(worst[top])} {people} more than {threshold:g} minutes{on_foot} "
        f"from an open {label}"
    )
    if alike:
        sentence += f" ({alike} other hour{'s' if alike > 1 else ''} of the week as bad)"
    return sentence
