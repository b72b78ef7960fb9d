"""Plain-text renderings for the terminal: comparisons, SARC tables, gap registers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mapping import formats
from mapping.analysis.scenarios import Comparison
from mapping.inputs.scenario_file import Change


def format_comparison(comparison: Comparison) -> str:
    """Render a comparison for a terminal: the scenario, Lancashire totals, then areas.

    Minutes are population-weighted means to the nearest open site; "newly within" is
    the net change in people within the threshold (negative: access lost).
    """
    from mapping.analysis.summary import TOTAL_CODE

    scenario = comparison.scenario
    t = f"{comparison.threshold:g}"
    lines = [f"Scenario: {scenario.name} ({scenario.source})"]
    if scenario.description:
        lines.append(f"  {scenario.description}")
    for number, change in enumerate(scenario.changes, start=1):
        lines.append(f"  {number}. {_describe(change)}")
    lines.append("")

    def shown(table: pd.DataFrame, with_area: bool) -> pd.DataFrame:
        out = pd.DataFrame(index=table.index)
        if with_area:
            out["council area"] = table["area_name"]
        out["slot"] = table["slot_name"] + " (" + table["slot"] + ")"
        out["baseline min"] = table["baseline_mean_minutes"].map(formats.minutes)
        out["scenario min"] = table["scenario_mean_minutes"].map(formats.minutes)
        out["min saved"] = table["minutes_saved"].map(formats.minutes)
        out[f"newly within {t}"] = table[f"population_newly_within_{t}"].map(formats.signed_people)
        out[f"within {t} (scenario)"] = table[f"scenario_population_within_{t}"].map(formats.people)
        out["outside Lancs"] = (
            table["baseline_share_nearest_outside_lancashire"].map(formats.percent)
            + " -> "
            + table["scenario_share_nearest_outside_lancashire"].map(formats.percent)
        )
        return out

    totals = comparison.totals
    lines.append("Lancashire totals (minutes: population-weighted mean drive time to the nearest")
    lines.append("open site; 'outside Lancs': share whose nearest open site is outside Lancashire)")
    lines.append(shown(totals, with_area=False).to_string(index=False))
    lines.append("")
    areas = comparison.by_area[comparison.by_area["area_code"] != TOTAL_CODE]
    areas = areas.sort_values("area_name", kind="mergesort")  # slots keep their order
    lines.append("By council area")
    lines.append(shown(areas, with_area=True).to_string(index=False))
    if comparison.gaps is not None:
        lines.append("")
        if comparison.gaps.empty:
            lines.append("Gaps: none resolved, new or changed.")
        else:
            counts = comparison.gaps["status"].value_counts()
            lines.append(
                "Gaps: "
                + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("resolved", "new", "changed"))
            )
            gaps = comparison.gaps
            brief = pd.DataFrame({"status": gaps["status"], "gap": gaps["gap_id"]})
            for value in ("severity", "population_affected"):
                if f"{value}_baseline" in gaps:
                    brief[value.replace("_", " ")] = (
                        gaps[f"{value}_baseline"].map(_gap_value)
                        + " -> "
                        + gaps[f"{value}_scenario"].map(_gap_value)
                    )
            lines.append(brief.to_string(index=False))
    return "\n".join(lines)


def _describe(change: Change) -> str:
    if change.kind == "hours":
        return f"hours: {change.service} open {change.opening_hours}"
    if change.kind == "close":
        return f"close: {change.service}"
    where = change.postcode or f"lon {change.lon:g}, lat {change.lat:g}"
    return f"add: {change.name} ({change.category}, {where}, open {change.opening_hours})"


def _gap_value(value: Any) -> str:
    if value is None or pd.isna(value):
        return "-"
    return f"{value:,}" if isinstance(value, int | np.integer) else str(value)


def format_gaps(register: pd.DataFrame, evidence_width: int = 90) -> str:
    """Render the gap register for a terminal, evidence truncated to ``evidence_width``.

    Parameters
    ----------
    register
        The gap register from :func:`evaluate`.
    evidence_width
        Characters of evidence shown; longer evidence ends with ``…``.

    Returns
    -------
    str
        A plain-text table: rule, area, slot, severity, population and evidence.
    """
    if register.empty:
        return "No gaps found."

    def cut(text: str) -> str:
        return text if len(text) <= evidence_width else text[: evidence_width - 1] + "…"

    shown = pd.DataFrame(
        {
            "rule": register["rule_id"],
            "area": register["area_name"],
            "slot": register["slot"].map(lambda s: s if len(s) <= 9 else "several"),
            "severity": register["severity"],
            "population": register["population_affected"].map(formats.people),
            "evidence": register["evidence"].map(cut),
        }
    )
    return shown.to_string(index=False, justify="left")


def format_sarc_table(table: pd.DataFrame) -> str:
    """Render the SARC table for a terminal: shares as percentages, minutes rounded.

    The population columns are headed by what they count (the table's ``weight``).
    """
    from mapping.inputs.area import study_area
    from mapping.inputs.vocabulary import weight_short

    labels = study_area().sarc_group_labels
    groups = {f"share_nearest_{key}": label for key, label in labels.items()}
    shown = table.copy()
    for column in [c for c in shown.columns if c.startswith("share_")]:
        shown[column] = shown[column].map(formats.percent)
    for column in ("mean_minutes", "median_minutes", "p90_minutes", "minutes_added"):
        shown[column] = shown[column].map(formats.minutes)
    over = [c for c in table.columns if c.startswith("population_over_")]
    for column in ("population", *over):
        shown[column] = shown[column].map(formats.people)
    columns = [
        "area_name",
        "slot",
        "population",
        *groups,
        "mean_minutes",
        "minutes_added",
        *over,
    ]
    headers = {
        "area_name": "council area",
        **groups,
        "mean_minutes": "mean min",
        "minutes_added": "+min",
    }
    short = "pop"
    if "weight" in table and len(table):
        short = weight_short(str(table["weight"].iloc[0]))
        headers["population"] = short
    for column in over:
        headers[column] = f"{short} >{column.removeprefix('population_over_')}min"
    return shown[columns].rename(columns=headers).to_string(index=False)
