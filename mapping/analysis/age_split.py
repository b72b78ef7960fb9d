"""Everybody's nearest service when services differ in the ages they see.

"Everybody" must not mean "every service serves every age". A SARC that sees people
aged 16 and over (SAFE Place Merseyside: under-16s go to Alder Hey) is no one's nearest
SARC for a child. When the services of a category differ in age eligibility (the
register's ``min_age`` and ``max_age``), an origin's people are split into the Census
age bands, consecutive bands that see the same services are grouped, and each group
gets its own nearest eligible service (:func:`mapping.routing.eligibility.serves_ages`,
the engine's rule). The groups' rows are stacked, each carrying its share of the
origin's population and weight, so the usual summaries (:func:`summarise`) count each
group against the services open to it.

Kernels that work on the engine's per-origin arrays (the week, the ranges, both
optimisers) take the same groups as :class:`AgePart` objects (:func:`age_parts`): each
group's age band (the engine's eligibility filter) and its share of the weight; they run
once per part and add the parts' figures up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mapping.inputs.vocabulary import AGE_BANDS
from mapping.routing.eligibility import serves_ages

__all__ = ["AgePart", "AgeSplit", "age_groups", "age_parts", "split_by_age", "stack_parts"]

#: Weights with no people under 16 (their whole weight is in the 16+ bands).
_ADULT_WEIGHTS = frozenset({"women_16_plus"})


@dataclass(frozen=True)
class AgeSplit:
    """Per-row inputs of :func:`mapping.analysis.summary.summarise`, split by age group.

    ``origins`` repeats the origins once per group (``population`` and ``age_group``
    set for the group); the arrays follow its rows. With one group it is the input.
    """

    origins: pd.DataFrame
    minutes: np.ndarray
    service_id: np.ndarray
    provider_area: np.ndarray
    weights: np.ndarray
    groups: tuple[tuple[int, int | None], ...]


@dataclass(frozen=True)
class AgePart:
    """One age group of every origin: the band the engine filters by, and its people.

    Attributes
    ----------
    band
        The engine's ``age_band`` for the group: a Census band key, an ``(min, max)``
        pair, or ``None`` (everybody, when the services see every age alike).
    weights
        Per origin: the group's share of the weight.
    population
        Per origin: the group's residents.
    """

    band: str | tuple[int, int | None] | None
    weights: np.ndarray
    population: np.ndarray

    @property
    def label(self) -> str:
        """``"0-15"``, ``"16+"`` (``"all"`` for everybody; the key for a Census band)."""
        if self.band is None:
            return "all"
        if isinstance(self.band, str):
            return self.band
        low, high = self.band
        return f"{low}+" if high is None else f"{low}-{high}"


def stack_parts(parts: tuple[AgePart, ...] | list[AgePart], values: Any) -> np.ndarray:
    """Per-origin ``values`` repeated once per part (the stacked rows' order)."""
    return np.tile(np.asarray(values), len(parts))


def age_groups(services: pd.DataFrame) -> list[tuple[str, ...]]:
    """Consecutive Census age bands that see the same services, in age order.

    Parameters
    ----------
    services
        The category's services: ``id``, ``min_age``, ``max_age`` (missing: no limit).

    Returns
    -------
    list of tuple of str
        One tuple of band keys per group; a single group when every service sees every
        band alike.
    """
    groups: list[tuple[str, ...]] = []
    previous: frozenset[str] | None = None
    ids = services["id"].astype(str).to_numpy()
    low = pd.to_numeric(services["min_age"], errors="coerce").to_numpy(float)
    high = pd.to_numeric(services["max_age"], errors="coerce").to_numpy(float)
    for band in AGE_BANDS:
        seen = frozenset(ids[np.asarray(serves_ages(low, high, band), dtype=bool)])
        if groups and seen == previous:
            groups[-1] = (*groups[-1], band)
        else:
            groups.append((band,))
        previous = seen
    return groups


def split_by_age(
    origins: pd.DataFrame,
    services: pd.DataFrame,
    weights: np.ndarray,
    weight: str,
    nearest: Callable[[Any], Any],
) -> AgeSplit:
    """Stack each age group's nearest service, population and weight.

    Parameters
    ----------
    origins
        Origins with ``population`` and the Census age-band columns (``age_0_15`` ...).
    services
        The category's services (``id``, ``min_age``, ``max_age``).
    weights
        Per-origin weight (residents, women 16+, recorded crime ...).
    weight
        Its name: ``women_16_plus`` puts the whole weight in the 16+ bands; any other
        weight is shared as the origin's residents are.
    nearest
        ``nearest(age_range)``: the engine's result (``minutes``, ``service_id``,
        ``provider_area`` per origin) for an ``(min_age, max_age)`` pair, or ``None``
        for everybody.

    Returns
    -------
    AgeSplit
    """
    parts = age_parts(origins, services, weights, weight)
    if parts[0].band is None:
        result = nearest(None)
        return AgeSplit(
            origins,
            np.asarray(result.minutes, float),
            np.asarray(result.service_id, dtype=object),
            np.asarray(result.provider_area, dtype=object),
            np.asarray(weights, float),
            ((0, None),),
        )
    frames, minutes, ids, areas = [], [], [], []
    for part in parts:
        result = nearest(part.band)
        frame = origins.copy()
        frame["population"] = part.population
        frame["age_group"] = part.label
        frames.append(frame)
        minutes.append(np.asarray(result.minutes, float))
        ids.append(np.asarray(result.service_id, dtype=object))
        areas.append(np.asarray(result.provider_area, dtype=object))
    parts_weights = [p.weights for p in parts]
    spans = tuple(p.band for p in parts if isinstance(p.band, tuple))
    return AgeSplit(
        pd.concat(frames, ignore_index=True),
        np.concatenate(minutes),
        np.concatenate(ids),
        np.concatenate(areas),
        np.concatenate(parts_weights),
        spans,
    )


def age_parts(
    origins: pd.DataFrame, services: pd.DataFrame, weights: np.ndarray, weight: str
) -> tuple[AgePart, ...]:
    """The age groups of :func:`age_groups` as :class:`AgePart` objects.

    Parameters
    ----------
    origins
        Origins with ``population`` and the Census age-band columns.
    services
        The category's services (``id``, ``min_age``, ``max_age``).
    weights, weight
        Per-origin weight and its name, as :func:`split_by_age` takes them.

    Returns
    -------
    tuple of AgePart
        One part with band ``None`` (everybody, the whole weight) when every service
        sees every age alike; otherwise one per group, ``(min, max)`` ages as the band.
    """
    weights = np.asarray(weights, float)
    groups = age_groups(services)
    if len(groups) <= 1:
        return (AgePart(None, weights, origins["population"].to_numpy(float)),)
    counted = [b for b in AGE_BANDS if weight not in _ADULT_WEIGHTS or AGE_BANDS[b][0] >= 16]
    counted_people = origins[counted].to_numpy(float).sum(axis=1)
    parts = []
    for bands in groups:
        span = (AGE_BANDS[bands[0]][0], AGE_BANDS[bands[-1]][1])
        in_weight = origins[[b for b in bands if b in counted]].to_numpy(float).sum(axis=1)
        share = np.divide(
            in_weight, counted_people, out=np.zeros(len(origins)), where=counted_people > 0
        )
        people = origins[list(bands)].to_numpy(float).sum(axis=1)
        parts.append(AgePart(span, weights * share, people))
    return tuple(parts)
