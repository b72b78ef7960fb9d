"""Every headline with its range: how far the figure moves under its two soft inputs.

A drive-time headline ("1.9% of residents are more than 60 minutes from an open SARC at
Saturday 02:00") rests on two inputs that are not known exactly (``docs/ranges.md``):

Drive times
    Modelled minutes on the road network. The band is ``±DRIVE_TIME_BAND`` (10%): every
    origin's minutes times 0.9 (the low case) and 1.1 (the high case). Scaling all
    minutes by ``f`` is the same as keeping them and moving the threshold to ``T / f``,
    so no journey is driven again.
Assumed opening hours
    A register record whose ``hours_basis`` does not read ``published: ...`` has assumed
    hours. For each such service of the category (routable, eligible for the age group)
    the figure is computed once with the service flipped at that hour: closed if the
    register has it open, open if the register has it closed (every other service and the
    drive times as the register and network say).

The range is the envelope of these one-at-a-time cases (the central figure included):
``low`` is the smallest, ``high`` the largest. The case that moves the figure farthest
from the central one is named, so a page can say which assumption matters most ("if the
Lancashire SAFE Centre were open at this hour: 0.0%"). Each case is one nearest-service
query over the engine's cached minute vectors, so a range costs a few milliseconds.

Functions take the engine and plain arrays (as :mod:`mapping.analysis.week` does); a
:class:`mapping.Study` passes its own scenario changes. Where the services differ in the
ages they see (a 16+ SARC), each age group (:class:`~mapping.analysis.age_split.AgePart`)
is counted against the services open to it in every case, as the central figure is
(:func:`beyond_range`): a case's figure is the sum over the groups.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mapping import formats
from mapping.analysis.age_split import AgePart

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel
    from mapping.inputs.when import TimeSlot

if TYPE_CHECKING:
    from mapping.routing.engine import TravelEngine


__all__ = [
    "DRIVE_TIME_BAND",
    "HeadlineRange",
    "RangeCase",
    "assumed_hours_ids",
    "beyond_range",
    "headline_range",
]

#: Relative band on every drive time (docs/ranges.md: why 10%).
DRIVE_TIME_BAND = 0.10


def assumed_hours_ids(register: pd.DataFrame) -> set[str]:
    """Ids of the register's records whose opening hours are assumed, not published.

    As :func:`mapping.inputs.evidence.evidence_basis` counts them: ``hours_basis`` does
    not start with ``published:``.
    """
    basis = register["hours_basis"].astype("string").fillna("").str.strip()
    return set(register.loc[~basis.str.startswith("published:"), "id"].astype(str))


@dataclass(frozen=True)
class RangeCase:
    """One case of a range: the figure under one changed assumption.

    Attributes
    ----------
    label
        The assumption in words ("drive times 10% longer", "if X were open at this hour").
    kind
        ``central``, ``drive`` or ``hours``.
    service_id
        The flipped service (``hours`` cases).
    minutes
        Per-origin minutes to the nearest open eligible service (``inf``: none).
    factor
        Drive-time factor applied to ``minutes`` (1 except ``drive`` cases).
    """

    label: str
    kind: str
    service_id: str | None
    minutes: np.ndarray = field(repr=False)
    factor: float = 1.0

    def beyond(self, threshold: float) -> np.ndarray:
        """Per origin: whether it is farther than ``threshold`` (or has nothing in reach)."""
        return ~(self.minutes * self.factor <= threshold)

    def mean_minutes(self, weights: np.ndarray) -> float:
        """Weighted mean minutes over the people who reach an open service."""
        reach = np.isfinite(self.minutes)
        total = float(weights[reach].sum())
        if total <= 0:
            return float("nan")
        return float((weights[reach] * self.minutes[reach]).sum() / total) * self.factor


@dataclass(frozen=True)
class HeadlineRange:
    """The share beyond a threshold (and mean minutes) with its low and high values.

    Attributes
    ----------
    threshold
        Minutes.
    weights
        Per-origin weight the figures count.
    cases
        The central case first, then the drive-time and assumed-hours cases.
    band
        The drive-time band (0.1 for ±10%).
    parts
        Age groups stacked in ``weights`` and each case's ``minutes`` (one block of
        rows per group, origins in engine order in each; 1 without an age split).
    """

    threshold: float
    weights: np.ndarray = field(repr=False)
    cases: tuple[RangeCase, ...]
    band: float = DRIVE_TIME_BAND
    parts: int = 1

    @property
    def population(self) -> float:
        """Total weight."""
        return float(self.weights.sum())

    def people(self, case: RangeCase) -> float:
        """Weight beyond the threshold in ``case``."""
        return float(self.weights[case.beyond(self.threshold)].sum())

    def share(self, case: RangeCase) -> float:
        """Share of the weight beyond the threshold in ``case`` (nan with no weight)."""
        total = self.population
        return self.people(case) / total if total > 0 else float("nan")

    @property
    def central(self) -> RangeCase:
        """The register's hours and the modelled drive times."""
        return self.cases[0]

    @property
    def people_beyond(self) -> tuple[float, float, float]:
        """(central, low, high) weight beyond the threshold."""
        values = [self.people(c) for c in self.cases]
        return values[0], min(values), max(values)

    @property
    def share_beyond(self) -> tuple[float, float, float]:
        """(central, low, high) share beyond the threshold."""
        central, low, high = self.people_beyond
        total = self.population
        if total <= 0:
            return (float("nan"),) * 3
        return central / total, low / total, high / total

    @property
    def mean_minutes(self) -> tuple[float, float, float]:
        """(central, low, high) weighted mean minutes over people who reach a service."""
        values = [c.mean_minutes(self.weights) for c in self.cases]
        finite = [v for v in values if np.isfinite(v)]
        if not finite:
            return (float("nan"),) * 3
        return values[0], min(finite), max(finite)

    def moves_most(self, kind: str | None = None) -> RangeCase | None:
        """The case (of ``kind``, or any) farthest from the central figure, if any moves."""
        central = self.people(self.central)
        pool = [c for c in self.cases[1:] if kind is None or c.kind == kind]
        if not pool:
            return None
        best = max(pool, key=lambda c: abs(self.people(c) - central))
        return best if abs(self.people(best) - central) > 0 else None

    def by_group(self, groups: Iterable[Any]) -> pd.DataFrame:
        """Per group (e.g. council area): ``people_beyond``, ``_low`` and ``_high``.

        Each group's low and high are the envelope of the same cases over its origins.
        ``groups`` has one code per origin (or per stacked row); each age group's rows
        of an origin fall in the origin's group.
        """
        codes = np.asarray(list(groups), dtype=object)
        if len(codes) * self.parts == len(self.weights):
            codes = np.tile(codes, self.parts)
        per_case = pd.DataFrame(
            {
                i: pd.Series(np.where(c.beyond(self.threshold), self.weights, 0.0))
                .groupby(codes)
                .sum()
                for i, c in enumerate(self.cases)
            }
        )
        return pd.DataFrame(
            {
                "people_beyond": per_case[0],
                "people_beyond_low": per_case.min(axis=1),
                "people_beyond_high": per_case.max(axis=1),
            }
        )

    def text(self, digits: int = 1) -> str:
        """The share as a page writes it: ``"1.9% (0.1–7.6%)"``."""
        central, low, high = self.share_beyond
        if not np.isfinite(central):
            return "no one counted"
        return format_range(central, low, high, functools.partial(formats.percent, digits=digits))

    def explain(self, digits: int = 1, limit: int = 3) -> str:
        """One sentence: the drive-time band, then the assumed hours that move it (most first).

        At most ``limit`` assumed-hours cases are named; the rest are counted.
        """
        parts = []
        drive = [c for c in self.cases if c.kind == "drive"]
        if drive:
            shares = sorted(100 * self.share(c) for c in drive)
            parts.append(
                f"with drive times {self.band:.0%} shorter or longer: "
                f"{shares[0]:.{digits}f}–{shares[-1]:.{digits}f}%"
            )
        central = self.people(self.central)
        moving = sorted(
            (c for c in self.cases if c.kind == "hours" and self.people(c) != central),
            key=lambda c: -abs(self.people(c) - central),
        )
        if moving:
            listed = "; ".join(
                f"{c.label}: {100 * self.share(c):.{digits}f}%" for c in moving[:limit]
            )
            more = len(moving) - limit
            parts.append(
                "assumed opening hours, the one that moves it most first: "
                + listed
                + (f"; and {more} more" if more > 0 else "")
            )
        elif any(c.kind == "hours" for c in self.cases):
            parts.append("no assumed opening hours change it at this hour")
        else:
            parts.append("no service it rests on has assumed opening hours")
        return "; ".join(parts)

    def summary(self) -> dict[str, float]:
        """Central, low and high people and share beyond, and mean minutes, for a table."""
        people, people_low, people_high = self.people_beyond
        share, share_low, share_high = self.share_beyond
        mean, mean_low, mean_high = self.mean_minutes
        return {
            "population": self.population,
            "people_beyond": people,
            "people_beyond_low": people_low,
            "people_beyond_high": people_high,
            "share_beyond": share,
            "share_beyond_low": share_low,
            "share_beyond_high": share_high,
            "mean_minutes": mean,
            "mean_minutes_low": mean_low,
            "mean_minutes_high": mean_high,
        }


def headline_range(
    engine: TravelEngine,
    category: str,
    at: Any,
    *,
    weights: np.ndarray,
    threshold: float,
    assumed: Iterable[str],
    names: Mapping[str, str] | None = None,
    age_band: str | None = None,
    exclude: Iterable[str] = (),
    extra_services: Iterable[str] = (),
    hours_override: Mapping[str, str] | None = None,
    band: float = DRIVE_TIME_BAND,
    parts: Sequence[AgePart] | None = None,
) -> HeadlineRange:
    """The share beyond ``threshold`` at ``at`` with its drive-time and assumed-hours cases.

    Parameters
    ----------
    engine
        A :class:`mapping.routing.engine.TravelEngine`.
    category, at, age_band
        What is measured and when (``at``: a datetime or a time the engine reads).
    weights
        Per-origin weight.
    threshold
        Minutes.
    assumed
        Ids of services whose hours are assumed (:func:`assumed_hours_ids`).
    names
        ``{service id: name}`` for the sentences (ids when missing).
    exclude, extra_services, hours_override
        A scenario's changes, as :meth:`TravelEngine.nearest` takes them.
    band
        Relative drive-time band (0.1: ±10%).
    parts
        Age groups (:meth:`CoverageModel.age_parts`): each group's weight is counted
        against the services of its band, in every case; ``None``: one group of
        ``weights`` and ``age_band``. ``weights`` and ``age_band`` are then unused.

    Returns
    -------
    HeadlineRange
    """
    if parts is None:
        parts = (AgePart(age_band, np.asarray(weights, dtype=np.float64), np.asarray(weights)),)
    base: dict[str, Any] = {
        "exclude": list(exclude),
        "extra_services": list(extra_services),
        "hours_override": dict(hours_override or {}),
    }
    names = dict(names or {})
    weights = np.concatenate([np.asarray(p.weights, dtype=np.float64) for p in parts])

    def nearest(when: Any, **changes: Any) -> tuple[np.ndarray, list[str]]:
        """Stacked minutes over the groups, and the services any group counts."""
        minutes, candidates = [], []
        for part in parts:
            result = engine.nearest(category, when, age_band=part.band, **{**base, **changes})
            minutes.append(np.asarray(result.minutes, dtype=np.float64))
            candidates += [c for c in result.candidates if c not in candidates]
        return np.concatenate(minutes), candidates

    minutes, open_now_ids = nearest(at)
    cases = [
        RangeCase("as the register and network say", "central", None, minutes),
        RangeCase(f"drive times {band:.0%} shorter", "drive", None, minutes, 1.0 - band),
        RangeCase(f"drive times {band:.0%} longer", "drive", None, minutes, 1.0 + band),
    ]
    open_now = set(open_now_ids)
    # Services of the category that could count at all (any hour), in register order.
    _, anytime = nearest(None)
    assumed = set(assumed)
    for sid in anytime:
        if sid not in assumed or sid in base["extra_services"]:
            continue
        name = names.get(sid, sid)
        if sid in open_now:
            flipped, _ = nearest(at, exclude=[*base["exclude"], sid])
            label = f"if {name} were closed at this hour"
        else:
            flipped, _ = nearest(at, hours_override={**base["hours_override"], sid: "24/7"})
            label = f"if {name} were open at this hour"
        cases.append(RangeCase(label, "hours", sid, flipped))
    return HeadlineRange(float(threshold), weights, tuple(cases), band, parts=len(parts))


def beyond_range(
    model: CoverageModel,
    category: str = "sarc",
    at: str | TimeSlot = "Sat 02:00",
    *,
    threshold: float = 60,
    weight: str = "residents",
    age_band: str | None = None,
) -> HeadlineRange:
    """A study's headline range, split by age as its central figure is.

    :func:`headline_range` with the model's scenario changes, its assumed hours (less
    the hours the view itself sets: a what-if's hours are a choice) and its age groups
    (:meth:`CoverageModel.age_parts`): children are counted only against the services
    that see them in every case, so the central figure is the one the coverage and SARC
    tables give and the low and high hold it (docs/ranges.md).
    """
    from mapping.inputs.when import resolve_slot

    register = model.effective_register()
    weights = model.weights(weight, age_band)
    return headline_range(
        model.engine,
        category,
        resolve_slot(at).at,
        weights=weights,
        threshold=threshold,
        assumed=assumed_hours_ids(register) - set(model.changes.hours),
        names=dict(zip(register["id"].astype(str), register["name"].astype(str), strict=True)),
        exclude=sorted(model.changes.closed),
        extra_services=list(model.changes.added_ids),
        hours_override=dict(model.changes.hours),
        parts=model.age_parts(category, weights, weight, age_band),
    )


def range_columns(prefix: str, central: float, low: float, high: float) -> dict[str, float]:
    """``{prefix: central, prefix_low: low, prefix_high: high}`` for a table row."""
    return {prefix: central, f"{prefix}_low": low, f"{prefix}_high": high}


def format_range(central: float, low: float, high: float, fmt: Any = None) -> str:
    """``"central (low–high)"`` with ``fmt`` (default: people), or just central if equal.

    A percent sign is written once after the range, as the headline writes it:

    >>> format_range(0.019, 0.001, 0.076, functools.partial(formats.percent, digits=1))
    '1.9% (0.1–7.6%)'
    >>> format_range(29_496, 45, 195_953)
    '29,496 (45–195,953)'
    """
    fmt = fmt or formats.people
    a, b, c = fmt(central), fmt(low), fmt(high)
    if b == c:
        return a
    if b.endswith("%") and c.endswith("%"):
        b = b.removesuffix("%")
    return f"{a} ({b}–{c})"


def format_range_column(frame: pd.DataFrame, column: str, fmt: Any = None) -> pd.Series:
    """``column`` of ``frame`` as text, with ``<column>_low``/``_high`` where it has them.

    Each cell is :func:`format_range` of the row (``"1.9% (0.1–7.6%)"``); a frame without
    the range columns gives ``fmt`` of the central value alone.
    """
    fmt = fmt or formats.people
    if f"{column}_low" not in frame.columns or f"{column}_high" not in frame.columns:
        return frame[column].map(fmt)
    ends = frame[[column, f"{column}_low", f"{column}_high"]]
    return pd.Series(
        [format_range(c, low, high, fmt) for c, low, high in ends.itertuples(index=False)],
        index=frame.index,
        dtype=object,
    )


def week_bounds(
    engine: TravelEngine,
    category: str,
    *,
    weights: np.ndarray,
    threshold: float,
    assumed: Iterable[str],
    age_band: str | None = None,
    exclude: Iterable[str] = (),
    extra_services: Iterable[str] = (),
    hours_override: Mapping[str, str] | None = None,
    band: float = DRIVE_TIME_BAND,
    parts: Sequence[AgePart] | None = None,
) -> pd.DataFrame:
    """Low and high weight beyond ``threshold`` in each hour of the week.

    The same one-at-a-time cases as :func:`headline_range`, hour by hour: drive times
    ``±band``, and each assumed-hours service that could serve these people flipped (open
    where the register has it closed, closed where open). ``weights`` may be zero outside
    an area. Each distinct set of open services is computed once. With ``parts`` (age
    groups; ``weights`` and ``age_band`` then unused) each case adds up the groups, a
    service flipped only for the groups it sees.

    Returns
    -------
    pandas.DataFrame
        168 rows: ``hour_of_week``, ``people_beyond_low``, ``people_beyond_high``,
        ``share_beyond_low``, ``share_beyond_high``.
    """
    from mapping.analysis.week import HourKey, minutes_for_key, open_sets

    if parts is None:
        parts = (AgePart(age_band, np.asarray(weights, dtype=np.float64), np.asarray(weights)),)
    filters: dict[str, Any] = {"exclude": list(exclude), "extra_services": list(extra_services)}
    keys, seen, flips = [], [], []
    for part in parts:
        keys.append(
            open_sets(
                engine, category, age_band=part.band, hours_override=hours_override, **filters
            ).keys
        )
        anytime = engine.nearest(category, None, age_band=part.band, **filters).candidates
        seen.append(set(anytime))
        flips += [
            sid
            for sid in anytime
            if sid in set(assumed) and sid not in filters["extra_services"] and sid not in flips
        ]
    order = {sid: i for i, sid in enumerate(engine.service_ids)}
    cache: dict[Any, np.ndarray] = {}
    total = float(sum(np.asarray(p.weights, dtype=np.float64).sum() for p in parts))

    def beyond(p: int, key: HourKey, factor: float = 1.0) -> float:
        minutes = minutes_for_key(engine, key, cache)
        return float(parts[p].weights[~(minutes * factor <= threshold)].sum())

    def flipped(key: HourKey, sid: str) -> HourKey:
        services = set(key.services) ^ {sid}
        return HourKey(tuple(sorted(services, key=order.__getitem__)), key.profile)

    bounds: dict[Any, tuple[float, float]] = {}
    hours = list(zip(*keys, strict=True))
    for hour in dict.fromkeys(hours):
        values = [
            sum(beyond(p, key, f) for p, key in enumerate(hour))
            for f in (1.0, 1.0 - band, 1.0 + band)
        ]
        for sid in flips:
            values.append(
                sum(
                    beyond(p, flipped(key, sid) if sid in seen[p] else key)
                    for p, key in enumerate(hour)
                )
            )
        bounds[hour] = (min(values), max(values))
    low = np.array([bounds[k][0] for k in hours])
    high = np.array([bounds[k][1] for k in hours])
    share = (lambda v: v / total) if total > 0 else (lambda v: v * np.nan)
    return pd.DataFrame(
        {
            "hour_of_week": np.arange(len(hours)),
            "people_beyond_low": low,
            "people_beyond_high": high,
            "share_beyond_low": share(low),
            "share_beyond_high": share(high),
        }
    )
