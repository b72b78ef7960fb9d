"""Coverage page: population-weighted coverage tables by LSOA, ward or council area."""

from __future__ import annotations

import altair as alt
import streamlit as st

from app import answers, tables, url_state, widgets
from app import state as app_state
from mapping import formats
from mapping.analysis.summary import DEFAULT_THRESHOLDS, AreaLevel, population_by_minutes
from mapping.outputs.maps import CATEGORY_LABELS
from mapping.outputs.people import Vocabulary

#: Viridis from light (short) to dark (long), grey for "no open service", as on the map.
_BAND_COLOURS = [*formats.minute_classes().colours, formats.NO_DATA_COLOUR]
_LEVELS: dict[AreaLevel, str] = {"district": "Council area", "ward": "Ward", "lsoa": "LSOA"}
LEVELS = _LEVELS


def render() -> None:
    """Draw the page."""
    st.header("Coverage by area")
    controls_in_address = url_state.page_controls("coverage")
    url_state.restore(controls_in_address)
    # Rows of two, so each box shows its whole value at 1280 px (widgets.WIDE_NARROW).
    controls = widgets.control_rows(*[widgets.WIDE_NARROW] * 3)
    with controls[0]:
        category = widgets.category_select("cov_category")
    with controls[1]:
        at = widgets.time_select("cov_slot", default="weekday daytime")
    with controls[2]:
        weight = widgets.weight_select("cov_weight")
    with controls[3]:
        age_band = widgets.age_select("cov_age")
    with controls[4]:
        by = st.radio(
            "Areas",
            list(_LEVELS),
            format_func=_LEVELS.__getitem__,
            horizontal=True,
            key="cov_level",
        )
    with controls[5]:
        threshold = widgets.threshold_select("cov_threshold")
    url_state.remember(controls_in_address)
    age_band = widgets.weight_and_age(weight, age_band)

    thresholds = (15, 30, 45, 60, 90, threshold)
    table = app_state.coverage_table(category, at, by, age_band, thresholds, weight, ranges=True)
    label = CATEGORY_LABELS.get(category, category)
    # The headline with its range and the assumption that moves it most, as on the map.
    answers.range_line(category, at, age_band, threshold, weight)
    st.caption(
        f"{len(table) - 1} areas and a Lancashire total. Nearest {label} open "
        f"{app_state.describe_slot(at)} and open to {widgets.age_label(age_band).lower()}; "
        f"statistics are weighted by {widgets.WEIGHTS[weight]}"
        + (" (the eligible population)" if weight == "residents" else "")
        + ". Click a column heading to sort. "
        + widgets.evidence_caption(category)
    )
    if weight == "recorded_violence_sexual":
        st.caption(widgets.RECORDED_VIOLENCE_CAVEAT)
    names = app_state.current_service_names()
    within, beyond = f"share_within_{threshold:g}", f"population_beyond_{max(thresholds):g}"
    shown = (within, f"{within}_low", f"{within}_high", beyond, f"{beyond}_low", f"{beyond}_high")
    other_ranges = [c for c in table if c.endswith(("_low", "_high")) and c not in shown]
    tables.shown(
        tables.for_people(
            table,
            who=widgets.WEIGHT_SHORT[weight],
            service_names=names,
            first=shown,
            drop=other_ranges,
            headings={"area_name": _LEVELS[by]},
        ),
        key="coverage_table",
        placeholder="none open",
    )
    st.caption(
        "Low and high: drive times 10% shorter or longer, and each service whose opening "
        "hours are assumed (not published) open or closed at this hour, one at a time "
        "(docs/ranges.md); the download has them for every threshold."
    )
    stem = f"coverage_{category}_{by}_{at.replace(' ', '_').replace(':', '')}"
    if age_band:
        stem += f"_{age_band}"
    if weight != "residents":
        stem += f"_{weight}"
    widgets.download_buttons(
        table,
        stem,
        "coverage_download",
        Vocabulary(
            who=widgets.WEIGHT_SHORT[weight],
            service_names=names,
            first=(f"share_within_{threshold:g}", f"population_beyond_{max(thresholds):g}"),
            headings={"area_name": _LEVELS[by]},
        ),
    )

    st.subheader("Distribution of drive minutes by council area")
    minutes = app_state.origin_minutes_table(category, at, age_band, weight)
    names = app_state.current_study().area_names("district")
    data = population_by_minutes(minutes, DEFAULT_THRESHOLDS, by="district")
    data["council_area"] = data["area_code"].map(names)
    band_names = list(data["band"].cat.categories)
    data["band"] = data["band"].astype(str)
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            # Whole names (no "Blackburn with D…"), and the legend below the bars, so a
            # phone's width goes to the bars.
            y=alt.Y(
                "council_area:N",
                title=None,
                sort="ascending",
                axis=alt.Axis(labelLimit=0, labelOverlap=False),
            ),
            x=alt.X(
                "residents:Q",
                stack="normalize",
                title=f"Share of {widgets.WEIGHT_SHORT[weight].lower()}",
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color(
                "band:N",
                title="Drive minutes",
                sort=band_names,
                scale=alt.Scale(domain=band_names, range=_BAND_COLOURS),
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0),
            ),
            tooltip=[
                alt.Tooltip("council_area:N", title="Council area"),
                alt.Tooltip("band:N", title="Minutes"),
                alt.Tooltip("residents:Q", title=widgets.WEIGHT_SHORT[weight], format=",.0f"),
            ],
        )
        .properties(height=540)  # legend and axis included: about 20 px a bar
    )
    st.altair_chart(chart, width="stretch")


if __name__ == "__main__":
    render()
