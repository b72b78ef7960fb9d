"""One account of access at an hour: who an in-area service serves, who each cross-border one does.

For an hour of the week and a service category, every origin's nearest eligible open
service (the travel engine's answer, with the study's scenario changes) is either *in
the study area* (its ``provider_area`` is the study area's, which the register derives
from the study area's council areas) or *over the border* (any other provider area).
The account says, in figures and in one sentence:

- how many people have an in-area service as their nearest open one (and its mean
  minutes);
- how many have each cross-border service, named, with its share and mean minutes;
- how many have no open service within the threshold (or none at all).

Between two hours the change in people beyond the threshold is split into the part due
to opening hours (which services are open) and the part due to road speeds (the speed
profile of the hour): the counterfactual is the later hour's open services driven at the
earlier hour's speeds, so ``from_hours + from_speeds`` is exactly the whole change.

The Map headline, the Gaps rule "No out-of-hours provision", the Week page, the CLI's
``service-map sarc`` and the export report all read these figures, so they tell one story.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mapping import formats
from mapping.analysis.week import service_label
from mapping.inputs.vocabulary import LANCASHIRE
from mapping.inputs.when import TimeSlot, resolve_slot

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel


__all__ = [
    "HourAccount",
    "HourChange",
    "ServiceShare",
    "account_from_nearest",
    "change_between",
    "hour_account",
]


#: Who each weight counts, in a sentence.
_PEOPLE_WORDS = {
    "residents": "residents",
    "women_16_plus": "women aged 16 and over",
    "recorded_violence_sexual": "recorded violence and sexual offences a year",
}


def _ratio(part: float, whole: float) -> float:
    """``part / whole``; exactly 1 when they differ by rounding only (all, not ">99%")."""
    if whole <= 0:
        return float("nan")
    return 1.0 if abs(whole - part) < 1e-6 * whole else part / whole


@dataclass(frozen=True)
class ServiceShare:
    """The people whose nearest open service is one service (or the in-area ones together).

    Attributes
    ----------
    service_id, name, provider_area
        The service and where it is (``provider_area`` of the register).
    people
        Weighted people whose nearest open eligible service it is.
    share
        ``people`` over every weighted person of the account (reached or not).
    mean_minutes
        Their weighted mean drive minutes.
    people_beyond
        Of them, those more than the threshold away.
    """

    service_id: str
    name: str
    provider_area: str
    people: float
    share: float
    mean_minutes: float
    people_beyond: float


@dataclass(frozen=True)
class HourAccount:
    """Who is served by whom at one hour (see the module notes).

    Attributes
    ----------
    category, slot, profile, threshold
        What was asked: the category, the time (``slot.at``, e.g. ``"Sat 02:00"``), the
        speed profile of that time and the threshold in minutes.
    area_name
        The study area's name (``in_area`` services are its own).
    population
        Every weighted person counted.
    in_area
        One row per in-area service that is somebody's nearest, most people first.
    cross_border
        One row per cross-border service that is somebody's nearest, most people first.
    people_beyond
        People with no open service within ``threshold`` (including ``people_unreached``).
    people_unreached
        People with no open eligible service at all.
    mean_minutes
        Weighted mean minutes over those who reach one (``nan``: nobody does).
    people_word
        Who the weights count, for sentences (``"residents"``).
    """

    category: str
    slot: TimeSlot
    profile: str
    threshold: float
    area_name: str
    population: float
    in_area: tuple[ServiceShare, ...]
    cross_border: tuple[ServiceShare, ...]
    people_beyond: float
    people_unreached: float
    mean_minutes: float
    people_word: str = "residents"

    def _of_all(self, people: float) -> float:
        return _ratio(people, self.population)

    @property
    def people_in_area(self) -> float:
        """People whose nearest open service is in the study area."""
        return float(sum(s.people for s in self.in_area))

    @property
    def share_in_area(self) -> float:
        """:attr:`people_in_area` over :attr:`population` (``nan`` for nobody)."""
        return self._of_all(self.people_in_area)

    @property
    def people_cross_border(self) -> float:
        """People whose nearest open service is over the border."""
        return float(sum(s.people for s in self.cross_border))

    @property
    def share_cross_border(self) -> float:
        """:attr:`people_cross_border` over :attr:`population`."""
        return self._of_all(self.people_cross_border)

    @property
    def share_beyond(self) -> float:
        """:attr:`people_beyond` over :attr:`population`."""
        return self._of_all(self.people_beyond)

    @property
    def in_area_mean_minutes(self) -> float:
        """Weighted mean minutes of the people an in-area service serves."""
        people = self.people_in_area
        if people <= 0:
            return float("nan")
        return float(sum(s.people * s.mean_minutes for s in self.in_area) / people)

    @property
    def when(self) -> str:
        """``"Sat 02:00 (weekend night)"``, or the time alone when it has no other name."""
        slot = self.slot
        return slot.at if slot.name == slot.at else f"{slot.at} ({slot.name})"

    def cross_border_text(self) -> str:
        """The cross-border services in words: ``"82% Saint Mary's (Manchester, 41 min)"``."""
        parts = []
        for s in self.cross_border:
            minutes = formats.minutes(s.mean_minutes, digits=0, unit=" min")
            where = "" if s.provider_area in s.name else f"{s.provider_area}, "
            parts.append(f"{formats.share(s.share)} {s.name} ({where}{minutes})")
        return "; ".join(parts)

    def sentence(self) -> str:
        """The account in one paragraph, the same words wherever it is shown."""
        what = service_label(self.category)
        who = self.people_word
        parts = []
        if not self.in_area:
            parts.append(f"At {self.when} no {self.area_name} {what} is the nearest open one")
        else:
            parts.append(
                f"At {self.when} a {self.area_name} {what} is the nearest open one for "
                f"{formats.share(self.share_in_area)} of {who} "
                f"({formats.people(self.people_in_area)}, mean "
                f"{formats.minutes(self.in_area_mean_minutes, digits=0, unit=' min')})"
            )
        if self.cross_border:
            parts[-1] += (
                f"; {formats.share(self.share_cross_border)} "
                f"({formats.people(self.people_cross_border)}) have their nearest open {what} "
                f"over the border: {self.cross_border_text()}"
            )
        text = parts[0] + ". "
        text += (
            f"{formats.people(self.people_beyond)} {who} "
            f"({formats.share(self.share_beyond)}) have no open {what} within "
            f"{formats.compact(self.threshold)} minutes"
        )
        if self.people_unreached > 0:
            text += f" ({formats.people(self.people_unreached)} none at all)"
        return text + "."


@dataclass(frozen=True)
class HourChange:
    """How the people beyond the threshold change from one hour to another, and why.

    Attributes
    ----------
    start, end
        The two accounts.
    people_beyond_counterfactual
        People beyond the threshold with ``end``'s open services at ``start``'s speeds.
    """

    start: HourAccount
    end: HourAccount
    people_beyond_counterfactual: float

    @property
    def change(self) -> float:
        """People beyond at ``end`` minus at ``start``."""
        return self.end.people_beyond - self.start.people_beyond

    @property
    def from_hours(self) -> float:
        """The part of :attr:`change` due to which services are open."""
        return self.people_beyond_counterfactual - self.start.people_beyond

    @property
    def from_speeds(self) -> float:
        """The part of :attr:`change` due to the road speeds of the hour."""
        return self.end.people_beyond - self.people_beyond_counterfactual

    def sentence(self) -> str:
        """The change and its two causes in words."""
        what = service_label(self.start.category)
        minutes = formats.compact(self.start.threshold)
        head = (
            f"From {self.start.when} to {self.end.when} the {self.start.people_word} more than "
            f"{minutes} minutes from an open {what} go from "
            f"{formats.people(self.start.people_beyond)} to "
            f"{formats.people(self.end.people_beyond)}"
        )
        if round(self.change) == 0:
            return head + "."
        speeds = (
            "the same road speeds"
            if self.start.profile == self.end.profile
            else f"{self.end.profile.replace('_', ' ')} road speeds instead of "
            f"{self.start.profile.replace('_', ' ')}"
        )
        return (
            f"{head}: {formats.signed_people(self.from_hours)} from opening hours (which "
            f"services are open) and {formats.signed_people(self.from_speeds)} from road "
            f"speeds ({speeds})."
        )


def _shares(
    ids: np.ndarray,
    minutes: np.ndarray,
    weights: np.ndarray,
    threshold: float,
    total: float,
    names: Mapping[str, str],
    areas: Mapping[str, str],
) -> list[ServiceShare]:
    rows = []
    for sid in dict.fromkeys(s for s in ids if s is not None):
        mine = ids == sid
        people = float(weights[mine].sum())
        if people <= 0:
            continue
        rows.append(
            ServiceShare(
                service_id=str(sid),
                name=names.get(str(sid), str(sid)),
                provider_area=areas.get(str(sid), ""),
                people=people,
                share=_ratio(people, total),
                mean_minutes=float((weights[mine] * minutes[mine]).sum() / people),
                people_beyond=float(weights[mine & (minutes > threshold)].sum()),
            )
        )
    return sorted(rows, key=lambda s: (-s.people, s.name))


def account_from_nearest(
    category: str,
    slot: TimeSlot,
    profile: str,
    *,
    service_id: np.ndarray,
    minutes: np.ndarray,
    provider_area: np.ndarray,
    weights: np.ndarray,
    threshold: float,
    names: Mapping[str, str],
    area_name: str = LANCASHIRE,
    people_word: str = "residents",
) -> HourAccount:
    """The account from per-origin nearest services (the kernel; see :func:`hour_account`).

    Parameters
    ----------
    category, slot, profile
        What was asked and the speed profile used.
    service_id, minutes, provider_area
        Per origin: the nearest open eligible service (``None``: none), its drive minutes
        (``inf``: none) and its provider area.
    weights
        Per-origin weight (zero for origins left out).
    threshold
        Minutes.
    names
        ``{service id: name}``.
    area_name
        The study area's provider area: services with it are in-area.
    people_word
        Who the weights count.
    """
    ids = np.asarray(service_id, dtype=object)
    minutes = np.asarray(minutes, dtype=float)
    weights = np.asarray(weights, dtype=float)
    provider = np.asarray(provider_area, dtype=object)
    reached = np.array([s is not None for s in ids], dtype=bool) & np.isfinite(minutes)
    ids = ids.copy()
    ids[~reached] = None
    total = float(weights.sum())
    areas = {str(s): str(a) for s, a in zip(ids[reached], provider[reached], strict=True)}
    inside = np.array([a == area_name for a in provider], dtype=bool) & reached
    shares = _shares(ids, minutes, weights, threshold, total, names, areas)
    in_ids = {str(s) for s in ids[inside]}
    reached_weight = float(weights[reached].sum())
    mean = (
        float((weights[reached] * minutes[reached]).sum() / reached_weight)
        if reached_weight > 0
        else float("nan")
    )
    return HourAccount(
        category=category,
        slot=slot,
        profile=profile,
        threshold=float(threshold),
        area_name=area_name,
        population=total,
        in_area=tuple(s for s in shares if s.service_id in in_ids),
        cross_border=tuple(s for s in shares if s.service_id not in in_ids),
        people_beyond=total - float(weights[reached & (minutes <= threshold)].sum()),
        people_unreached=total - reached_weight,
        mean_minutes=mean,
        people_word=people_word,
    )


def hour_account(
    model: CoverageModel,
    category: str,
    at: str | TimeSlot,
    *,
    threshold: float = 60,
    weight: str = "residents",
    age_band: str | None = None,
    origin_mask: np.ndarray | None = None,
    profile: str | None = None,
    people_word: str | None = None,
) -> HourAccount:
    """The account of ``category`` at ``at`` for a study (with its scenario changes).

    Parameters
    ----------
    model
        A :class:`mapping.analysis.coverage.CoverageModel` (a :class:`mapping.Study`).
    category
        Service category.
    at
        A time of week or a named slot.
    threshold
        Minutes.
    weight, age_band
        What the figures count (as :meth:`CoverageModel.coverage` takes them).
    origin_mask
        Boolean per origin: count only these origins (a council area).
    profile
        Force a speed profile (default: the hour's own).
    people_word
        Who the weights count, for sentences (default from ``weight``).
    """
    from mapping.analysis.age_split import age_groups, split_by_age

    slot = resolve_slot(at)
    weights = np.asarray(model.weights(weight, age_band), dtype=float)
    register = model.effective_register()
    profiles: list[str] = []

    def nearest(span: Any) -> Any:
        result = model.engine.nearest(
            category,
            slot.at,
            age_band=age_band if span is None else span,
            exclude=sorted(model.changes.closed),
            extra_services=list(model.changes.added_ids),
            hours_override=dict(model.changes.hours),
            profile=profile,
        )
        profiles.append(result.query.profile)
        return result

    services = register[register["category"] == category]
    services = services[~services["id"].isin(model.changes.closed)]
    ages = ["id", "min_age", "max_age"]
    if age_band is None and set(ages) <= set(services) and len(age_groups(services[ages])) > 1:
        # Everybody, split by age where the services' ages differ, as the SARC and
        # coverage tables are (a 16+ SARC is no child's nearest SARC).
        split = split_by_age(model.origins, services[ages], weights, weight, nearest)
        repeat = len(split.groups)
        service_id, minutes = split.service_id, split.minutes
        provider_area, weights = split.provider_area, split.weights
    else:
        result = nearest(None)
        repeat = 1
        service_id, minutes = result.service_id, result.minutes
        provider_area = result.provider_area
    if origin_mask is not None:
        mask = np.tile(np.asarray(origin_mask, dtype=bool), repeat)
        weights = np.where(mask, weights, 0.0)
    names = dict(zip(register["id"].astype(str), register["name"].astype(str), strict=True))
    return account_from_nearest(
        category,
        slot,
        profiles[0],
        service_id=service_id,
        minutes=minutes,
        provider_area=provider_area,
        weights=weights,
        threshold=threshold,
        names=names,
        people_word=people_word or _PEOPLE_WORDS.get(weight, weight.replace("_", " ")),
    )


def change_between(
    model: CoverageModel, category: str, start: str | TimeSlot, end: str | TimeSlot, **options: Any
) -> HourChange:
    """The accounts at ``start`` and ``end`` and the split of the change between them.

    ``options`` go to :func:`hour_account` (``threshold``, ``weight``, ``age_band``,
    ``origin_mask``, ``people_word``).
    """
    first = hour_account(model, category, start, **options)
    last = hour_account(model, category, end, **options)
    counterfactual = hour_account(model, category, end, profile=first.profile, **options)
    return HourChange(first, last, counterfactual.people_beyond)
