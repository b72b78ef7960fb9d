"""The Scenarios page's answer: before/after figures and the areas ranked by change.

Built from :meth:`mapping.Study.compare` tables (through ``app.state``); residents
beyond the threshold, before and after, come from
:func:`mapping.analysis.scenarios.residents_beyond`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app import answers, tables, widgets
from app import state as app_state
from mapping import formats
from mapping.analysis.scenarios import residents_beyond
from mapping.analysis.summary import TOTAL_CODE
from mapping.outputs.scenario_report import change_words

__all__ = ["change_words", "gaps_table", "headline_figures", "ranked_changes", "ranked_tables"]


def _slot(row: pd.Series) -> str:
    name, at = str(row["slot_name"]), str(row["slot"])
    return at if name == at else f"{name[0].upper()}{name[1:]} ({at})"


def headline_figures(totals: pd.DataFrame, threshold: int) -> None:
    """Per time slot: residents beyond the threshold before, after and the change."""
    before, after = residents_beyond(totals, threshold)
    for index, row in totals.reset_index(drop=True).iterrows():
        change = int(after.iloc[index] - before.iloc[index])
        st.markdown(f"**{_slot(row)}**")
        columns = st.columns(4)
        columns[0].metric(
            f"Residents beyond {threshold} min, before", formats.people(before.iloc[index])
        )
        columns[1].metric(
            f"Residents beyond {threshold} min, after",
            formats.people(after.iloc[index]),
            # Fewer people beyond reach is good (green, down); no change has no arrow.
            delta=None if change == 0 else formats.people(change, signed=True),
            delta_color="inverse",
        )
        # The direction in the label, the number alone as the value: "512,840 fewer"
        # would not fit a quarter of the page ("512,840 few…").
        columns[2].metric(
            "Change"
            if change == 0
            else f"{'Fewer' if change < 0 else 'More'} beyond {threshold} min",
            "No change" if change == 0 else formats.people(abs(change)),
            help=f"Change in residents beyond {threshold} min: {change_words(change)}.",
        )
        saved = float(row["minutes_saved"]) if pd.notna(row["minutes_saved"]) else 0.0
        mean = row["scenario_mean_minutes"]
        columns[3].metric(
            "Average drive, after",
            formats.minutes(mean, unit=" min", missing="none open"),
            delta=None
            if round(saved, 1) == 0
            else formats.minutes(-saved, signed=True, unit=" min"),
            delta_color="inverse",
        )
        st.caption(
            "Nearest open service outside Lancashire: "
            f"{formats.percent(row['baseline_share_nearest_outside_lancashire'])} before, "
            f"{formats.percent(row['scenario_share_nearest_outside_lancashire'])} after."
        )


def ranked_changes(
    by_area: pd.DataFrame,
    threshold: float,
    name: str = "Council area",
    parents: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Areas by the change in residents beyond ``threshold``: changed areas first.

    Parameters
    ----------
    by_area
        ``Comparison.by_area`` (one row per area and slot; the ``TOTAL`` rows are left out).
    threshold
        The comparison's threshold (minutes).
    name
        Heading of the area-name column.
    parents
        ``{area_code: council area name}``: adds a "Council area" column (for wards).

    Returns
    -------
    pandas.DataFrame
        ``name``, ["Council area"], "Change" (after less before), ["Time slot" when
        several], "Residents beyond <t> min before", "... after", "Average drive before
        (min)", "... after (min)";
        sorted by the absolute change (largest first), then by the change in average
        drive, so areas the scenario leaves unchanged come last.
    """
    rows = by_area[by_area["area_code"] != TOTAL_CODE].reset_index(drop=True)
    before, after = residents_beyond(rows, threshold)
    t = f"{float(threshold):g}"
    frame = pd.DataFrame({name: rows["area_name"]})
    if parents is not None:
        frame["Council area"] = rows["area_code"].map(parents)
    # The change right after the name: on a phone it is what shows without scrolling.
    frame["Change"] = after - before
    if rows["slot"].nunique() > 1:
        frame["Time slot"] = [_slot(row) for _, row in rows.iterrows()]
    frame[f"Residents beyond {t} min before"] = before
    frame[f"Residents beyond {t} min after"] = after
    frame["Average drive before (min)"] = rows["baseline_mean_minutes"].round(1)
    frame["Average drive after (min)"] = rows["scenario_mean_minutes"].round(1)
    minutes = (frame["Average drive after (min)"] - frame["Average drive before (min)"]).abs()
    order = pd.DataFrame(
        {
            "people": -frame["Change"].abs(),
            "minutes": -minutes.fillna(0),
            "name": frame[name],
        }
    ).sort_values(["people", "minutes", "name"], kind="mergesort")
    return frame.loc[order.index].reset_index(drop=True)


def _config(frame: pd.DataFrame) -> dict[str, Any]:
    config: dict[str, Any] = {
        "Change": st.column_config.NumberColumn(
            "Change", format="localized", help="After less before: negative is fewer people."
        )
    }
    name = str(frame.columns[0])
    # The name stays in view while the figures scroll sideways on a narrow screen.
    config[name] = st.column_config.TextColumn(name, pinned=True)
    for column in frame.columns:
        if column.startswith("Residents"):
            config[column] = st.column_config.NumberColumn(column, format="localized")
        elif column.startswith("Average drive"):
            config[column] = st.column_config.NumberColumn(column, format="%.1f")
    return config


def ranked_tables(scenario: object, category: str, slots: list[str], threshold: int) -> None:
    """The ranked council areas and, in an expander, the ranked wards."""
    by_area, _ = app_state.scenario_comparison(  # the figures' call: cached
        scenario, category=category, slots=slots, by="district", threshold=threshold
    )
    areas = ranked_changes(by_area, threshold)
    changed = int((areas["Change"] != 0).sum())
    st.subheader("By council area, changed areas first")
    st.caption(
        f"{changed} of {len(areas)} rows change the residents beyond {threshold} minutes. "
        "Change is after less before: negative means fewer people beyond reach."
    )
    _ranked_shown(areas, "sc_by_area")
    # The download keeps the package's columns and codes.
    widgets.download_buttons(by_area, "scenario_by_area", "sc_by_area_download")
    with st.expander("Wards, changed wards first"):
        wards, _ = app_state.scenario_comparison(
            scenario, category=category, slots=slots, by="ward", threshold=threshold
        )
        ranked = ranked_changes(wards, threshold, "Ward", answers.ward_council_areas())
        _ranked_shown(ranked, "sc_by_ward")


def _ranked_shown(frame: pd.DataFrame, key: str) -> None:
    """A ranked table on the page (an area with no open service reads "none open")."""
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config=_config(frame),
        key=key,
        placeholder="none open",
    )


def gaps_table(gaps: pd.DataFrame) -> None:
    """Gap-register rows the scenario resolves, creates or changes, for people."""
    tables.shown(tables.for_people(gaps), key="sc_gaps", placeholder="not counted")
