"""Tables for people: plain headings, names instead of ids, rounded figures, a glossary.

The one place that decides how the package's machine-readable tables read for a person,
on an app page, in the people's download and in the export pack's report:

- each column's heading (:data:`HEADINGS` and the patterns in :func:`heading`);
- how its figures are rounded (:func:`kind`): whole people, whole percentages (0-100),
  whole minutes;
- which codes are left out (:data:`DROPPED`; the machine version keeps them) and which
  columns come first (the names of what a row is about);
- what each heading means (:func:`glossary`), for the README sheet of the people's
  workbook.

:func:`people_table` takes a table and a :class:`Vocabulary` (who the figures count,
service and area names, columns to put first, drop or keep) and returns a
:class:`PeopleTable`; :func:`write_people_workbook` writes it as an XLSX workbook whose
first sheet is the table (counts with thousands separators, percentages with ``%``) and
whose README sheet holds the glossary and the attribution. The machine version of every
download stays :func:`mapping.outputs.tables.write_table` of the original table: codes,
package column names, full precision.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from mapping import ATTRIBUTION, __version__
from mapping.inputs.area import OTHER_GROUP, study_area
from mapping.inputs.vocabulary import LANCASHIRE
from mapping.outputs.service_layers import CATEGORY_LABELS

__all__ = [
    "DROPPED",
    "HEADINGS",
    "Kind",
    "PeopleTable",
    "Vocabulary",
    "glossary",
    "heading",
    "kind",
    "people_table",
    "slot_text",
    "words",
    "write_people_workbook",
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
    "minutes_band": "Drive-time band",
    # The SARC table's groups come from the study area's settings (study_area.toml).
    **{
        f"share_nearest_{key}": (
            "Nearest is another SARC" if key == OTHER_GROUP else f"Nearest is {label}"
        )
        for key, label in study_area().sarc_group_labels.items()
    },
    "share_nearest_outside_lancashire": f"Nearest open service outside {LANCASHIRE}",
    "share_within_60_change": "Change in share within 60 min",
    "nearest_service": "Nearest open service (for most)",
    "nearest_provider_area": "Nearest service's area",
    "age_band": "Age group",
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
    # Published referral volumes (mapping.analysis.referrals.volume_table).
    "service": "Service",
    "year": "Year",
    "route": "Referral route",
    "measure": "What is counted",
    "published": "Published figure",
    "benchmark": "Benchmark",
}

#: Columns of register codes shown in words (``victims_supported`` -> "victims supported").
_CODES: tuple[str, ...] = ("crime_types", "measure")

#: Codes and constants left out of the people's version (the machine version keeps them).
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

#: What a heading means, for the glossary (patterns and kinds are in :func:`_meaning`).
MEANINGS: dict[str, str] = {
    "area_name": "The council area, ward or LSOA the row is about (Lancashire: the county).",
    "name": "The service's name as published.",
    "slot_name": "The time of the week the figures are for (a weekday is a Tuesday).",
    "mean_minutes": "Average drive time to the nearest open service, weighted by population.",
    "median_minutes": "Half the people drive less than this to the nearest open service.",
    "p90_minutes": "Nine in ten people drive less than this to the nearest open service.",
    "minutes_added": "Average minutes added against the first time slot.",
    "minutes_saved": "Average minutes saved by the scenario (negative: longer drives).",
    "minutes_band": "The class of the average drive the maps shade the area with.",
    "nearest_service": "The nearest open service for most of the area's people.",
    "category": "The kind of service.",
    "age_band": "The people counted: all ages or one Census age group.",
    "population_unreached": "People with no open service they can use within reach.",
}

#: Columns that name what a row is about: they come first.
_NAMES: tuple[str, ...] = ("area_name", "name", "rule_title", "status", "slot_name")

_PEOPLE = re.compile(
    r"^(?:(baseline|scenario)_)?population(?:_(beyond|over|within|newly_within)_(\d+(?:\.\d+)?))?$"
)
_SHARE_WITHIN = re.compile(r"^share_within_(\d+(?:\.\d+)?)$")

#: A range's ends (``population_over_60_low``): rounded and headed as the measure.
_ENDS = {"_low": "low", "_high": "high"}


@dataclass(frozen=True)
class Vocabulary:
    """What a table's columns mean for people: who is counted, names for codes.

    Attributes
    ----------
    who
        What the population columns count ("Residents", "Women 16+"...).
    service_names
        ``{service id: name}``: service-id columns show names.
    area_names
        ``{council area code: name}``: the register's ``district`` and ``areas_served``
        show names.
    first
        Package columns to put first (after the naming columns).
    drop
        Further package columns to leave out.
    keep
        Columns of :data:`DROPPED` to show after all.
    headings
        Headings that override :func:`heading` for this table.
    """

    who: str = "Residents"
    service_names: Mapping[str, str] | None = None
    area_names: Mapping[str, str] | None = None
    first: Sequence[str] = ()
    drop: Sequence[str] = ()
    keep: Sequence[str] = ()
    headings: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PeopleTable:
    """A table as people read it.

    Attributes
    ----------
    frame
        Plain headings; people whole (nullable integers), shares whole percentages
        (0-100), minutes whole minutes; names instead of ids.
    kinds
        ``{heading: kind}`` (:func:`kind` of its package column).
    sources
        ``{heading: package column}``: where each heading comes from.
    """

    frame: pd.DataFrame
    kinds: dict[str, Kind]
    sources: dict[str, str]


def kind(column: str) -> Kind:
    """How a column's figures are rounded: whole people, percentages or minutes.

    >>> kind("population_beyond_60"), kind("share_within_45"), kind("mean_minutes")
    ('people', 'share', 'minutes')
    >>> kind("area_name")
    'other'
    """
    for end in _ENDS:  # a low or high value is rounded as its central one is
        if column.endswith(end) and column != end:
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
    """The plain-English heading of a package column (``who``: what the figures count).

    >>> heading("population_beyond_45"), heading("share_within_45")
    ('Residents beyond 45 min', 'Share within 45 min')
    >>> heading("scenario_mean_minutes"), heading("odd_column")
    ('Average drive (min) (after)', 'Odd column')
    """
    if column in HEADINGS:
        return HEADINGS[column]
    for end, word in _ENDS.items():  # "Share within 60 min (low)" (docs/ranges.md)
        if column.endswith(end) and column != end:
            return f"{heading(column.removesuffix(end), who)} ({word})"
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


def slot_text(name: Any, at: Any) -> str:
    """A slot for people: ``"Weekend night (Sat 02:00)"``, or the time alone.

    >>> slot_text("weekend night", "Sat 02:00"), slot_text("Sat 02:00", "Sat 02:00")
    ('Weekend night (Sat 02:00)', 'Sat 02:00')
    """
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


def _rounded(values: pd.Series, column: str, vocabulary: Vocabulary) -> pd.Series:
    """One column's cells for people (see :func:`people_table`)."""
    what = kind(column)
    if what == "people":
        return pd.to_numeric(values, errors="coerce").round(0).astype("Int64")
    if what == "share":
        return (100 * pd.to_numeric(values, errors="coerce")).round(0)
    if what == "minutes":
        return pd.to_numeric(values, errors="coerce").round(0)
    if column == "category":
        return values.map(lambda c: CATEGORY_LABELS.get(c, c))
    names = vocabulary.service_names
    if names is not None and column.endswith(("nearest_service", "services")):
        return values.map(lambda ids: _names(ids, names))
    if column in _CODES:
        return values.map(lambda codes: words(_joined(codes)))
    areas = vocabulary.area_names
    if areas is not None and column in ("district", "areas_served"):
        return values.map(lambda codes: _names(_joined(codes), areas))
    if values.dtype == object:
        return values.map(_joined)
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        return values.astype("Int64")  # ages, counts: 16, not 16.0
    return values


def people_table(table: pd.DataFrame, vocabulary: Vocabulary | None = None) -> PeopleTable:
    """``table`` as people read it: plain headings, rounded figures, names first.

    Parameters
    ----------
    table
        A table of the package (machine-readable columns); it is not changed.
    vocabulary
        Who the figures count, names for ids and codes, columns to order, drop or keep.

    Returns
    -------
    PeopleTable
        People are whole numbers (nullable integers), shares whole percentages
        (0-100), minutes whole minutes; ``slot``/``slot_name`` become one "Time slot";
        categories are their labels; service ids are names; codes are left out.
        Two columns whose headings would be the same are told apart by their column
        names in brackets.
    """
    vocabulary = vocabulary or Vocabulary()
    keep = vocabulary.keep
    frame = table.copy()
    if "slot_name" in frame and "slot" in frame and "slot" not in keep:
        frame["slot_name"] = [
            slot_text(n, a) for n, a in zip(frame["slot_name"], frame["slot"], strict=True)
        ]
    gone = [c for c in (*DROPPED, *vocabulary.drop) if c in frame and c not in keep]
    frame = frame.drop(columns=gone)
    names = [c for c in _NAMES if c in frame]
    first = [c for c in vocabulary.first if c in frame]
    ordered = list(dict.fromkeys([*names, *first, *map(str, frame.columns)]))
    frame = frame[ordered].copy()
    for column in ordered:
        frame[column] = _rounded(frame[column], column, vocabulary)
    # Where a table has both, ``population`` is residents and ``eligible_population`` the
    # weighted count (coverage tables); alone, ``population`` is the weighted count.
    own = {"population": "Residents"} if "eligible_population" in frame else {}
    own.update(vocabulary.headings)
    renamed = {c: own.get(c) or heading(c, vocabulary.who) for c in ordered}
    taken = list(renamed.values())
    for column, text in renamed.items():
        if taken.count(text) > 1:  # two columns, one heading: each says where it is from
            renamed[column] = f"{text} ({column})"
    return PeopleTable(
        frame=frame.rename(columns=renamed),
        kinds={renamed[c]: kind(c) for c in ordered},
        sources={renamed[c]: c for c in ordered},
    )


def _meaning(column: str, who: str) -> str:
    """What a package column means, in a sentence."""
    if column in MEANINGS:
        return MEANINGS[column]
    lower = who.lower()
    if column in ("population", "eligible_population"):
        return f"{who} counted (Census 2021), whole people."
    if column.endswith(("_low", "_high")) and column.startswith("population_"):
        end = "shorter" if column.endswith("_low") else "longer"
        return f"The same count with drive times 10% {end} (the range of the estimate)."
    if match := _PEOPLE.match(column):
        when, relation, minutes = match.groups()
        if relation is None:
            return f"{who} counted, whole people."
        text = {
            "beyond": f"{who} more than {minutes} minutes' drive from an open service",
            "over": f"{who} more than {minutes} minutes' drive from an open service",
            "within": f"{who} within {minutes} minutes' drive of an open service",
            "newly_within": f"Change in {lower} within {minutes} minutes (after less before)",
        }[relation]
        when_text = {"baseline": ", before the scenario", "scenario": ", with the scenario"}
        return f"{text}{when_text.get(when or '', '')}; whole people."
    if match := _SHARE_WITHIN.match(column):
        return f"Percentage of {lower} within {match.group(1)} minutes' drive of an open service."
    for prefix, word in (("baseline_", "before the scenario"), ("scenario_", "with the scenario")):
        if column.startswith(prefix):
            return f"{_meaning(column.removeprefix(prefix), who).rstrip('.')}, {word}."
    what = kind(column)
    if what == "share":
        return "A percentage, rounded to a whole percent."
    if what == "minutes":
        return "Drive minutes by car, rounded to whole minutes."
    if what == "people":
        return "People, whole."
    return "As in the machine-readable table."


def glossary(table: PeopleTable, who: str = "Residents") -> list[tuple[str, str, str]]:
    """``(heading, machine-readable column, meaning)`` for each column of ``table``."""
    return [(h, c, _meaning(c, who)) for h, c in table.sources.items()]


#: XLSX number formats of each kind: separators for counts, ``%`` after percentages.
_FORMATS: dict[Kind, str] = {"people": "#,##0", "share": '0"%"', "minutes": "0"}


def write_people_workbook(
    table: PeopleTable,
    path: str | Path,
    *,
    title: str,
    who: str = "Residents",
    notes: Sequence[str] = (),
) -> Path:
    """Write the people's version of a table as XLSX: the table, then a README sheet.

    Counts show thousands separators and percentages a ``%`` (cell formats: the cells
    stay numbers); text cells that look like formulas are neutralised
    (:func:`mapping.outputs.tables.write_workbook`). The README sheet holds the glossary
    (each heading, its machine-readable column and what it means), the notes and the
    attribution. Written atomically.
    """
    from mapping.outputs.tables import now_utc, sheet_name, tabular, write_workbook
    from mapping.safety import safe_frame
    from mapping.store import atomic_path

    path = Path(path)
    sheet = sheet_name(title, {"README"})
    frame = safe_frame(tabular(table.frame))
    readme: list[list[Any]] = [
        [f"{title}: for reading"],
        ["rows", len(frame)],
        ["software", f"lancashire-service-map {__version__}"],
        ["generated at (UTC)", now_utc()],
        ["rounding", "people whole, percentages whole, minutes whole; blank: not known"],
        ["machine version", "the CSV and XLSX downloads keep codes and full precision"],
        ["formulas", "text cells that look like formulas start with a single quote (')"],
        *[["note", n] for n in notes],
        [],
        ["Glossary"],
        ["heading", "machine-readable column", "meaning"],
        *[list(row) for row in glossary(table, who)],
        [],
        ["Attribution (Open Government Licence v3.0)"],
        *[[line] for line in ATTRIBUTION],
    ]
    formats = {h: _FORMATS[k] for h, k in table.kinds.items() if k in _FORMATS}
    with atomic_path(path) as tmp:
        write_workbook([(sheet, frame)], readme, tmp, False, column_formats=formats)
    return path
