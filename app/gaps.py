"""Gaps page: the rule-based gap register, filtered by rule, area and severity."""

from __future__ import annotations

import streamlit as st

from app import state as app_state
from app import tables, url_state, widgets

_SEVERITY_ORDER = ("high", "medium", "low")


def render() -> None:
    """Draw the page."""
    st.header("Gap register")
    from mapping.analysis import gaps

    register = app_state.gap_register()
    st.caption(
        "Each row is a gap found by a rule in data/gap_rules.toml (thresholds and severity "
        "bands are analysis parameters, each with its source). Evidence sentences quote the "
        "figures behind the gap."
    )
    if register.empty:
        st.success("No gaps found with the current rules.")
        return

    controls_in_address = url_state.page_controls("gaps")
    url_state.restore(controls_in_address)
    filters = st.columns(3)
    with filters[0]:
        rules = st.multiselect(
            "Rule",
            sorted(register["rule_title"].dropna().unique()),
            key="gaps_rule",
            placeholder="All rules",
        )
    with filters[1]:
        areas = st.multiselect(
            "Area",
            sorted(register["area_name"].dropna().unique()),
            key="gaps_area",
            placeholder="All areas",
        )
    with filters[2]:
        present = [s for s in _SEVERITY_ORDER if s in set(register["severity"])]
        severities = st.multiselect(
            "Severity", present, key="gaps_severity", placeholder="All severities"
        )
    url_state.remember(controls_in_address)
    shown = register
    if rules:
        shown = shown[shown["rule_title"].isin(rules)]
    if areas:
        shown = shown[shown["area_name"].isin(areas)]
    if severities:
        shown = shown[shown["severity"].isin(severities)]

    counts = shown["severity"].value_counts()
    metrics = st.columns(4)
    metrics[0].metric("Gaps shown", f"{len(shown)} of {len(register)}")
    for column, severity in zip(metrics[1:], _SEVERITY_ORDER, strict=True):
        column.metric(f"{severity.capitalize()} severity", int(counts.get(severity, 0)))

    if shown.empty:  # a filter can leave nothing: say so, draw no empty table or download
        st.info("No gap matches these filters: clear one to see more.")
        return
    names = app_state.current_service_names()
    tables.shown(
        tables.for_people(
            shown,
            service_names=names,
            first=("area_name", "severity", "population_affected"),
            drop=("area_level",),
            keep=("slot",),
        ),
        key="gaps_table",
        placeholder="not counted",  # rules about records or capacity count no people
        column_config={"Evidence": st.column_config.TextColumn("Evidence", width="large")},
    )
    widgets.download_buttons(shown.reset_index(drop=True), "gap_register", "gaps_download")

    with st.expander("Gaps by rule and severity"):
        tables.shown(tables.for_people(gaps.summarise_gaps(shown)))


if __name__ == "__main__":
    render()
