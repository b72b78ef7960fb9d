"""Tables for people: plain-English headings, rounded figures, whole people, names first.

One place decides how the package's machine-readable tables look on a page: the
heading of each column (:data:`HEADINGS` and the patterns in :func:`heading`), how its
figures are rounded (whole people, whole-number percentages, whole minutes), which
columns are dropped from the screen (codes kept for the downloads) and which come first.
The pages pass the package's table through :func:`for_people` and show the result with
:func:`column_config`; their download buttons keep the original table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from mapping.outputs.maps import CATEGORY_LABELS

__all__ = [
    "HEADINGS",
    "MISSING",
    "column_config",
    "for_people",
    "heading",
    "kind",
    "shown",
    "words",
]

Kind = Literal["people", "share", "minutes", "text", "other"]

#: Plain-English headings of the package's columns (the patterns are in :func:`heading`).
HEADINGS: dict[str, str] = {
    "area_name": "Area",
    "name": "Name",
    "slot_name": "Time slot",
    "slot": "Time of week",
    "mean_minutes": "Average drive (min)",
    "median_minutes": "Median drive (min)",
    "p90_minutes": "Drive for the farthest 10% (min)",
    "minutes_added": "Minutes added",
    "minutes_saved": "Minutes saved",
    "share_nearest_preston": "Nearest is Preston",
    "share_nearest_manchester": "Nearest is Manchester",
    "share_nearest_cumbria": "Nearest is Cumbria",
    "share_nearest_other": "Nearest is another SARC",
    "share_nearest_outside_lancashire": "Nearest open service outside Lancashire",
    "share_within_60_change": "Change in share within 60 min",
    "nearest_service": "Nearest open service (for most)",
    "nearest_provider_area": "Nearest service's area",
    # The gap register.
    "rule_title": "Gap",
    "severity": "Severity",
    "evidence": "Evidence",
    "status": "Status",
    "services": "Services",
    "area_level": "Area level",
    "category": "Service",
    # The services register.
    "provider": "Provider",
    "address": "Address",
    "postcode": "Postcode",
    "location_precision": "Located to",
    "district": "Council area",
    "areas_served": "Areas served",
    "opening_hours": "Opening hours",
    "hours_basis": "Where the hours come from",
    "min_age": "Youngest age",
    "max_age": "Oldest age",
    "sexes": "Sexes",
    "crime_types": "Crime types",
    "self_referral_min_age": "Self-referral from age",
    "confidential": "Confidential",
    "source": "Source",
    "verified_on": "Verified on",
    "notes": "Notes",
    "capacity_family_places": "Family places",
    "capacity_family_places_source": "Family places: source",
    "advocate_fte": "Advocates (full-time equivalent)",
    "advocate_fte_source": "Advocates: source",
    "confidence": "Confidence",
    "stale": "Not verified in 12 months",
}

#: Codes and constants the screen leaves out (the downloads keep them).
DROPPED: tuple[str, ...] = (
    "area_code",
    "id",
    "gap_id",
    "rule_id",
    "slot",
    "weight",
    "weight_label",
    "lat",
    "lon",
)

#: Columns that name what a row is about: they come first.
_NAMES: tuple[str, ...] = ("area_name", "name", "rule_title", "status", "slot_name")

_PEOPLE = re.compile(
    r"^(?:(baseline|scenario)_)?population(?:_(beyond|over|within|newly_within)_(\d+(?:\.\d+)?))?$"
)
_SHARE_WITHIN = re.compile(r"^share_within_(\d+(?:\.\d+)?)$")


#: A range's ends (``population_over_60_low``): rounded and headed as the measure.
_ENDS = {"_low": "low", "_high": "high"}


def kind(column: str) -> Kind:
    """How a column's figures are rounded: whole people, percentages or minutes."""
    for end in _ENDS:
        if column.endswith(end):
            return kind(column.removesuffix(end))
    if column in ("population_unreached", "population_affected") or _PEOPLE.match(column):
        return "people"
    if column.endswith("_population") or column.startswith("population_affected_"):
        return "people"
    if column.startswith("share_") or "_share_" in column:
        return "share"
    if column.endswith("minutes") or column in ("minutes_added", "minutes_saved"):
        return "minutes"
    return "other"


def heading(column: str, who: str = "Residents") -> str:
    """The plain-English heading of a package column (``who``: what the figures count)."""
    if column in HEADINGS:
        return HEADINGS[column]
    for end, word in _ENDS.items():
        if column.endswith(end) and column != end:
            return f"{heading(column.removesuffix(end), who)}: {word}"
    if column == "population":
        return who
    if column == "eligible_population":
        return f"{who} who can use the service" if who == "Residents" else who
    if column == "population_unreached":
        return f"{who} with no open service"
    if column == "population_affected":
        return "People affected"
    if match := _PEOPLE.match(column):
        when, relation, minutes = match.groups()
        words = {
            "beyond": "beyond",
            "over": "over",
            "within": "within",
            "newly_within": "newly within",
        }
        text = f"{who} {words[relation]} {minutes} min" if relation else who
        return text + (f" ({'before' if when == 'baseline' else 'after'})" if when else "")
    if match := _SHARE_WITHIN.match(column):
        return f"Share within {match.group(1)} min"
    for prefix, word in (("baseline_", "before"), ("scenario_", "after")):
        if column.startswith(prefix):
            return f"{heading(column.removeprefix(prefix), who)} ({word})"
    for suffix, word in (("_baseline", "before"), ("_scenario", "after")):
        if column.endswith(suffix):
            return f"{heading(column.removesuffix(suffix), who)} ({word})"
    return column.replace("_", " ").capitalize()


def _slot_text(name: Any, at: Any) -> str:
    name, at = str(name), str(at)
    if not name or name == at or name == "nan":
        return at
    return f"{name[0].upper()}{name[1:]} ({at})"


def _names(ids: Any, names: Mapping[str, str]) -> Any:
    """``"a;b"`` ids or codes -> ``"Name A; Name B"`` (empty stays empty)."""
    if not isinstance(ids, str) or not ids:
        return ids
    return "; ".join(names.get(i.strip(), i.strip()) for i in ids.split(";"))


def words(code: Any) -> Any:
    """A register code in words: ``"sexual_violence"`` -> ``"sexual violence"``."""
    return code.replace("_", " ") if isinstance(code, str) else code


def _joined(value: Any) -> Any:
    return "; ".join(map(str, value)) if isinstance(value, tuple | list) else value


def for_people(
    table: pd.DataFrame,
    *,
    who: str = "Residents",
    service_names: Mapping[str, str] | None = None,
    area_names: Mapping[str, str] | None = None,
    first: Sequence[str] = (),
    drop: Sequence[str] = (),
    keep: Sequence[str] = (),
    headings: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``table`` as people read it: plain headings, rounded figures, names first.

    Parameters
    ----------
    table
        A table of the package (machine-readable columns).
    who
        What the population columns count ("Residents", "Women 16+"...).
    service_names
        ``{service id: name}``: service-id columns show names.
    area_names
        ``{council area code: name}``: the register's ``district`` and
        ``areas_served`` show names.
    first
        Package columns to put first (after the naming columns).
    drop
        Further package columns to leave off the screen.
    keep
        Columns of :data:`DROPPED` to show after all.
    headings
        Headings that override :func:`heading` for this table.

    Returns
    -------
    pandas.DataFrame
        People are whole numbers (nullable integers), shares whole percentages
        (0-100), minutes whole minutes; ``slot``/``slot_name`` become one "Time slot";
        categories are their labels; service ids are names.
    """
    frame = table.copy()
    if "slot_name" in frame and "slot" in frame and "slot" not in keep:
        frame["slot_name"] = [
            _slot_text(n, a) for n, a in zip(frame["slot_name"], frame["slot"], strict=True)
        ]
    gone = [c for c in (*DROPPED, *drop) if c in frame and c not in keep]
    frame = frame.drop(columns=gone)
    names = [c for c in _NAMES if c in frame]
    ordered = list(dict.fromkeys([*names, *(c for c in first if c in frame), *frame.columns]))
    frame = frame[ordered].copy()
    for column in frame.columns:
        values = frame[column]
        what = kind(column)
        if what == "people":
            frame[column] = pd.to_numeric(values, errors="coerce").round(0).astype("Int64")
        elif what == "share":
            frame[column] = (100 * pd.to_numeric(values, errors="coerce")).round(0)
        elif what == "minutes":
            frame[column] = pd.to_numeric(values, errors="coerce").round(0)
        elif column == "category":
            frame[column] = values.map(lambda c: CATEGORY_LABELS.get(c, c))
        elif service_names is not None and column.endswith(("nearest_service", "services")):
            frame[column] = values.map(lambda ids: _names(ids, service_names))
        elif column == "crime_types":
            frame[column] = values.map(lambda codes: words(_joined(codes)))
        elif area_names is not None and column in ("district", "areas_served"):
            frame[column] = values.map(lambda codes: _names(_joined(codes), area_names))
        elif values.dtype == object:
            frame[column] = values.map(_joined)
        elif pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
            frame[column] = values.astype("Int64")  # ages, counts: 16, not 16.0
    # Where a table has both, ``population`` is residents and ``eligible_population`` the
    # weighted count (coverage tables); alone, ``population`` is the weighted count.
    own = {"population": "Residents"} if "eligible_population" in frame else {}
    own.update(headings or {})
    renamed = {c: own.get(c) or heading(c, who) for c in frame.columns}
    if len(set(renamed.values())) < len(renamed):
        raise ValueError(f"two columns would share a heading: {sorted(renamed.values())}")
    out = frame.rename(columns=renamed)
    out.attrs["kinds"] = {renamed[c]: kind(c) for c in frame.columns}
    return out


def column_config(frame: pd.DataFrame) -> dict[str, Any]:
    """Streamlit formats of a :func:`for_people` table: 1,234 people, 12%, 34 min."""
    config: dict[str, Any] = {}
    kinds = frame.attrs.get("kinds", {})
    if kinds and kinds.get(frame.columns[0]) == "other":
        # The naming column stays in view while the figures scroll sideways on a phone.
        # Long names (services) at most "medium" (200 px): pinned, they would fill a
        # phone's width; short ones (areas) keep their own, narrower width.
        # No rows (a filter that leaves none): no names to measure, the default width.
        longest = int(frame[frame.columns[0]].astype(str).str.len().max()) if len(frame) else 0
        config[frame.columns[0]] = st.column_config.Column(
            frame.columns[0], pinned=True, width="medium" if longest > 24 else None
        )
    for column, what in kinds.items():
        if what == "people":
            config[column] = st.column_config.NumberColumn(column, format="localized")
        elif what == "share":
            config[column] = st.column_config.NumberColumn(column, format="%d%%")
        elif what == "minutes":
            config[column] = st.column_config.NumberColumn(column, format="%d")
    return config


#: What an empty cell says (Streamlit would write "None").
MISSING = "not known"


def shown(
    frame: pd.DataFrame | Styler,
    *,
    key: str | None = None,
    placeholder: str = MISSING,
    **options: Any,
) -> None:
    """Draw a :func:`for_people` table (or its Styler) with its formats.

    A missing value reads ``placeholder`` in words ("not known", "not counted"), never
    "None" or 0. ``options`` go to ``st.dataframe``; a ``column_config`` there adds to
    the formats.
    """
    data = frame.data if isinstance(frame, Styler) else frame
    config = {**column_config(data), **options.pop("column_config", {})}
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config=config,
        key=key,
        placeholder=placeholder,
        **options,
    )
