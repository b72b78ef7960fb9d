"""Without a car page: walking beside driving, and who cannot walk to help.

Two sections, every figure from :class:`mapping.Study`:

* **By car or on foot**: a mode control (drive or walk) over coverage by council area;
  walking answers use their own thresholds (15, 30 and 45 minutes) and say so;
* **Who can reach help without a car**: households with no car (Census 2021 TS045)
  beyond a walk of every open service, by council area and ward, with the limitation
  (by foot only: buses and trains are not modelled) beside the figures.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import state as app_state
from app import widgets
from mapping import formats
from mapping.analysis.without_car import LIMITATION, headline
from mapping.network.walking import WALK_SPEED_KMH, WALK_THRESHOLDS
from mapping.outputs.maps import CATEGORY_LABELS
from mapping.study import Study

_MODES = {"drive": "By car", "walk": "On foot"}
_DRIVE_THRESHOLDS = (15, 30, 45, 60, 90)


@st.cache_data(show_spinner="Computing minutes…", max_entries=32, ttl=app_state.CACHE_TTL_S)
def _coverage(_study: Study, key: str, category: str, at: str, mode: str) -> pd.DataFrame:
    return _study.coverage(category, at, "district", mode=mode)


@st.cache_data(show_spinner="Walking to every open service…", max_entries=32)
def _without_car(_study: Study, key: str, category: str, at: str, minutes: float) -> pd.DataFrame:
    return _study.without_car(category, at, minutes)


def _mode_note(mode: str) -> str:
    if mode == "drive":
        return (
            "Minutes are driven on the road network at the speeds of the time "
            f"(daytime traffic 07:00-19:00, free flow otherwise); shares within "
            f"{', '.join(str(t) for t in _DRIVE_THRESHOLDS)} minutes."
        )
    limits = ", ".join(str(t) for t in WALK_THRESHOLDS)
    return (
        f"Walking thresholds: {limits} minutes (a walk is not a drive: the 60 and 90 "
        f"minute drive thresholds mean little on foot). Walked at {WALK_SPEED_KMH:g} km/h "
        "on the same roads, motorways and their slip roads excluded; many people walk "
        f"more slowly. {LIMITATION[0].upper()}{LIMITATION[1:]}."
    )


def _coverage_section(category: str, at: str) -> None:
    st.subheader("By car or on foot")
    mode = st.radio(
        "Travel mode",
        list(_MODES),
        format_func=_MODES.get,
        horizontal=True,
        key="nocar_mode",
        help="Driving uses the speed profile of the time; walking is 4.8 km/h at any hour.",
    )
    table = _coverage(app_state.current_study(), app_state.study_key(), category, at, mode)
    shown = pd.DataFrame({"Council area": table["area_name"]})
    shown["Residents"] = table["eligible_population"].map(formats.people)
    shown["Mean minutes"] = table["mean_minutes"].map(formats.minutes)
    for column in [c for c in table.columns if c.startswith("share_within_")]:
        limit = column.removeprefix("share_within_")
        shown[f"Within {limit} min"] = table[column].map(formats.percent)
    st.dataframe(shown, hide_index=True, width="stretch", key="nocar_coverage")
    st.caption(_mode_note(mode))


def _people_table(rows: pd.DataFrame, first: str, minutes: float) -> pd.DataFrame:
    shown = pd.DataFrame({first: rows["area_name"]})
    if first == "Ward":
        shown["Council area"] = rows["lad_name"]
    shown["Households with no car"] = rows["no_car_households"].map(formats.people)
    shown[f"Beyond a {minutes:g}-minute walk"] = rows["no_car_beyond"].map(formats.people)
    shown["Share"] = rows["share_beyond"].map(formats.percent)
    return shown


def _without_car_section(category: str, at: str) -> None:
    st.subheader("Who can reach help without a car")
    minutes = st.radio(
        "Walking threshold",
        list(WALK_THRESHOLDS),
        index=1,
        format_func=lambda m: f"{m} minutes",
        horizontal=True,
        key="nocar_minutes",
    )
    table = _without_car(
        app_state.current_study(), app_state.study_key(), category, at, float(minutes)
    )
    st.markdown(f"**{headline(table)}**")
    st.caption(
        f"Limitation: {LIMITATION}. Households with no car or van: Census 2021 TS045 "
        "(ONS), spread over each LSOA's population-weighted points as its residents are."
    )
    left, right = st.columns(2)
    with left:
        st.markdown("By council area")
        rows = table[table["area_level"] == "district"]
        st.dataframe(
            _people_table(rows, "Council area", minutes),
            hide_index=True,
            width="stretch",
            key="nocar_districts",
        )
    with right:
        st.markdown("Wards with the most households beyond the walk (top 20)")
        rows = table[table["area_level"] == "ward"].head(20)
        st.dataframe(
            _people_table(rows, "Ward", minutes),
            hide_index=True,
            width="stretch",
            key="nocar_wards",
        )
    stem = f"without_car_{category}_{at.replace(' ', '_').replace(':', '')}_{minutes}min"
    widgets.download_buttons(table, stem, "nocar_download")


def render() -> None:
    """Draw the page."""
    st.header("Without a car")
    st.caption(
        "In Lancashire 144,676 of 648,761 households (22.3%) have no car or van (Census "
        "2021 TS045). Every other page gives drive times; this one asks who can reach a "
        "service on foot."
    )
    controls = widgets.control_rows(widgets.WIDE_NARROW)
    with controls[0]:
        category = widgets.category_select("nocar_category")
    with controls[1]:
        at = widgets.time_select("nocar_slot", default="weekday daytime")
    label = CATEGORY_LABELS.get(category, category)
    st.caption(f"Nearest {label} open {app_state.describe_slot(at)}.")
    _coverage_section(category, at)
    _without_car_section(category, at)


if __name__ == "__main__":
    render()
