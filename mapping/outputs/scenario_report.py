"""A scenario in words and figures for people: the export pack's scenario section.

What the scenario changes (sites added, services closed, hours changed) in sentences,
then, at each time slot, residents beyond the comparison's threshold before and after
and the average drive, spelt as the Scenarios page spells them (:mod:`mapping.formats`,
:func:`mapping.analysis.scenarios.residents_beyond`), then the comparison's tables in
their people's version (:mod:`mapping.outputs.people`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mapping import formats
from mapping.analysis.scenarios import AddChange, CloseChange, HoursChange, residents_beyond
from mapping.outputs.pack import PackTable, age_label
from mapping.outputs.people import PeopleTable, Vocabulary, people_table, slot_text
from mapping.outputs.report import Table, TableRow
from mapping.outputs.service_layers import CATEGORY_LABELS
from mapping.safety import neutralise_formula

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel
    from mapping.inputs.when import TimeSlot

__all__ = [
    "ScenarioSection",
    "change_sentences",
    "change_words",
    "people_report_table",
    "scenario_tables",
    "slot_sentences",
]


def change_words(change: int) -> str:
    """A change in people in words.

    >>> change_words(-12760), change_words(0), change_words(5)
    ('12,760 fewer', 'No change', '5 more')
    """
    if change == 0:
        return "No change"
    return f"{formats.people(abs(change))} {'fewer' if change < 0 else 'more'}"


def _label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


def change_sentences(
    changes: Sequence[AddChange | CloseChange | HoursChange],
    names: Mapping[str, str],
    hours: Mapping[str, str] | None = None,
) -> list[str]:
    """One sentence per change of a scenario.

    Parameters
    ----------
    changes
        The scenario's changes (``Scenario.changes``).
    names
        ``{service id: name}`` of the register.
    hours
        ``{service id: opening hours}`` before the scenario (say what hours change from).

    Examples
    --------
    >>> from mapping.analysis.scenarios import AddChange, CloseChange, HoursChange
    >>> change_sentences(
    ...     [HoursChange(service="s1", opening_hours="24/7"), CloseChange(service="s2"),
    ...      AddChange(name="New", category="sarc", postcode="BB11 1JH", opening_hours="24/7")],
    ...     {"s1": "Preston SARC", "s2": "Old hub"}, {"s1": "Mo-Fr 08:00-16:00"})
    ... # doctest: +NORMALIZE_WHITESPACE
    ['Preston SARC opens 24/7 instead of Mo-Fr 08:00-16:00.', 'Old hub closes.',
     'A new SARC, New, opens at postcode BB11 1JH, 24/7.']
    """
    hours = hours or {}
    out = []
    for change in changes:
        if isinstance(change, HoursChange):
            name = names.get(change.service, change.service)
            was = hours.get(change.service)
            instead = f" instead of {was}" if was and was != change.opening_hours else ""
            out.append(f"{name} opens {change.opening_hours}{instead}.")
        elif isinstance(change, CloseChange):
            out.append(f"{names.get(change.service, change.service)} closes.")
        else:
            if change.postcode:
                where = f"postcode {change.postcode}"
            else:
                where = f"latitude {change.lat:.5f}, longitude {change.lon:.5f}"
            label = _label(change.category)
            out.append(f"A new {label}, {change.name}, opens at {where}, {change.opening_hours}.")
    return out


def _changed(totals: pd.DataFrame, threshold: float) -> pd.Series:
    before, after = residents_beyond(totals, threshold)
    minutes = pd.to_numeric(totals["minutes_saved"], errors="coerce").fillna(0).round(1)
    return pd.Series((after != before).to_numpy() | (minutes != 0).to_numpy(), totals.index)


def slot_sentences(totals: pd.DataFrame, threshold: float, who: str = "residents") -> list[str]:
    """Per row of a comparison's totals: residents beyond the threshold, before and after.

    The figures are the Scenarios page's: whole people beyond ``threshold`` minutes
    before and after (:func:`residents_beyond`), the change in words, the average drive
    after to one decimal and the minutes it saves.
    """
    before, after = residents_beyond(totals, threshold)
    t = formats.compact(float(threshold))
    out = []
    for i, (_, row) in enumerate(totals.iterrows()):
        change = int(after.iloc[i] - before.iloc[i])
        when = slot_text(row["slot_name"], row["slot"])
        what = f"{_label(str(row['category']))}, " if "category" in row.index else ""
        words = change_words(change).lower()
        sentence = (
            f"{what}{when}: {formats.people(after.iloc[i])} {who} more than {t} minutes' "
            f"drive from an open service with the scenario, against "
            f"{formats.people(before.iloc[i])} now ({words})."
        )
        mean = formats.minutes(row["scenario_mean_minutes"], unit=" minutes")
        saved = row["minutes_saved"]
        if mean:
            if formats.is_missing(saved) or math.isclose(round(float(saved), 1), 0.0):
                sentence += f" Average drive {mean}, unchanged."
            else:
                verb = "shorter" if float(saved) > 0 else "longer"
                gain = formats.minutes(abs(float(saved)), unit=" minutes")
                sentence += f" Average drive {mean}, {gain} {verb}."
        out.append(sentence[0].upper() + sentence[1:])
    return out


def _cell(value: Any, what: str) -> str:
    if formats.is_missing(value):
        return ""
    if what == "people":
        return formats.people(value)
    if what == "share":
        return f"{float(value):.0f}%"
    if what == "minutes":
        return f"{float(value):.0f}"
    return str(neutralise_formula(value))


def people_report_table(table: PeopleTable) -> Table:
    """A people's table as the report's text table, spelt as on screen (the template's
    macro writes and escapes it)."""
    kinds = [table.kinds.get(str(h), "other") for h in table.frame.columns]
    rows = tuple(
        TableRow(cells=tuple(_cell(v, k) for v, k in zip(values, kinds, strict=True)))
        for values in table.frame.itertuples(index=False)
    )
    return Table(
        head=tuple(str(neutralise_formula(str(h))) for h in table.frame.columns), rows=rows
    )


@dataclass(frozen=True)
class ScenarioSection:
    """What the export's report says about a scenario.

    Attributes
    ----------
    name, description
        The scenario's name and description.
    threshold
        The comparison's threshold (minutes): the one the screen used.
    changes
        One sentence per change.
    figures
        One sentence per category and slot the scenario changes.
    unchanged
        Labels of the categories the scenario changes nothing for.
    tables
        ``(caption, table)`` of the comparison's tables, people's version.
    """

    name: str
    description: str
    threshold: float
    changes: list[str]
    figures: list[str]
    unchanged: list[str]
    tables: list[tuple[str, Table]]

    @classmethod
    def build(
        cls,
        scenario: Any,
        threshold: float,
        totals: pd.DataFrame,
        by_area: pd.DataFrame,
        gaps: pd.DataFrame | None,
        names: Mapping[str, str],
        hours: Mapping[str, str],
    ) -> ScenarioSection:
        """The section from a scenario and its comparison's tables (all categories)."""
        changed = _changed(totals, threshold)
        figures = slot_sentences(totals[changed], threshold)
        moved = set(totals.loc[changed, "category"]) if "category" in totals else set()
        unchanged = [_label(c) for c in dict.fromkeys(totals.get("category", [])) if c not in moved]
        vocabulary = Vocabulary(service_names=names, drop=("age_band",))
        t = formats.compact(float(threshold))
        tables = [
            (
                f"Lancashire, before and after, by service and time slot (within {t} minutes)",
                people_report_table(people_table(totals, vocabulary)),
            ),
            (
                f"By council area, for the services the scenario changes (within {t} minutes)",
                people_report_table(
                    people_table(by_area[by_area["category"].isin(moved)], vocabulary)
                ),
            ),
        ]
        if gaps is not None and not gaps.empty:
            tables.append(
                (
                    "Gaps the scenario resolves, creates or changes",
                    people_report_table(people_table(gaps, vocabulary)),
                )
            )
        return cls(
            name=str(getattr(scenario, "name", "") or "scenario"),
            description=str(getattr(scenario, "description", "") or ""),
            threshold=float(threshold),
            changes=[
                str(neutralise_formula(sentence))
                for sentence in change_sentences(
                    list(getattr(scenario, "changes", ())), names, hours
                )
            ],
            figures=figures,
            unchanged=unchanged,
            tables=tables,
        )


def scenario_tables(
    study: CoverageModel,
    scenario: Any,
    categories: tuple[str, ...],
    slots: list[TimeSlot],
    threshold: float,
    bands: dict[str, str | None],
    sources: Any,
) -> tuple[dict[str, str], list[PackTable], ScenarioSection]:
    """Baseline against scenario for every category, by council area and slot.

    Returns the scenario's facts for the README (name, description, file, threshold),
    the tables ``scenario_by_area``, ``scenario_totals`` and ``scenario_gaps`` (machine
    version) and the report's :class:`ScenarioSection`.
    """
    from mapping.analysis import scenarios
    from mapping.inputs.register import public_view

    loaded = (
        scenarios.load_scenario(Path(scenario))
        if isinstance(scenario, str | os.PathLike)
        else scenario
    )
    name = str(getattr(loaded, "name", None) or "scenario")
    info = {
        "name": name,
        "description": str(getattr(loaded, "description", "") or ""),
        "source": str(getattr(loaded, "source", "") or ""),
        "threshold": f"{threshold:g}",
    }
    by_area: list[pd.DataFrame] = []
    totals: list[pd.DataFrame] = []
    gaps = None
    for i, category in enumerate(categories):
        band = bands.get(category)
        result = scenarios.compare(
            study,
            loaded,
            category=category,
            slots=slots,
            by="district",
            threshold=threshold,
            age_band=band,
            sources=sources,
        )
        for frame, into in ((result.by_area, by_area), (result.totals, totals)):
            frame = frame.copy()
            frame.insert(2, "category", category)
            frame.insert(3, "age_band", age_label(band))
            into.append(frame)
        if i == 0:
            gaps = result.gaps  # the same for every category: the register's gaps
            after = public_view(result.result.register)
    slot_text = ", ".join(s.at for s in slots)
    tables = [
        PackTable(
            "scenario_by_area",
            "scenario_by_area",
            f"Scenario {name!r} against baseline by council area, category and slot "
            f"({slot_text}); within = {threshold:g} minutes",
            pd.concat(by_area, ignore_index=True),
        ),
        PackTable(
            "scenario_totals",
            "scenario_totals",
            f"Scenario {name!r} against baseline, Lancashire totals by category and slot",
            pd.concat(totals, ignore_index=True),
        ),
    ]
    if isinstance(gaps, pd.DataFrame):
        tables.append(
            PackTable(
                "scenario_gaps",
                "scenario_gaps",
                f"Gaps the scenario {name!r} resolves, creates or changes",
                gaps,
            )
        )
    before = study.effective_register()
    section = ScenarioSection.build(
        loaded,
        threshold,
        tables[1].frame,
        tables[0].frame,
        gaps if isinstance(gaps, pd.DataFrame) else None,
        dict(zip(after["id"].astype(str), after["name"].astype(str), strict=True)),
        dict(zip(before["id"].astype(str), before["opening_hours"].astype(str), strict=True)),
    )
    return info, tables, section
