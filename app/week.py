"""Week page: access to a service in each of the 168 hours of the week, as a heat map."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app import no_site, queries, url_state, widgets
from mapping import formats
from mapping.analysis.range_tables import worst_hour_range
from mapping.analysis.ranges import format_range
from mapping.analysis.week import DAY_NAMES, describe_worst_hour, worst_hour
from mapping.inputs.when import resolve_slot
from mapping.outputs.maps import CATEGORY_LABELS

#: What the download keeps (machine-readable) and what people see (plain English).
_SHOWN = {
    "day": "Day",
    "hour": "Hour",
    "n_open": "Services open",
    "people_beyond": "Residents beyond the threshold",
    "share_beyond": "Share beyond the threshold",
    "mean_minutes": "Average drive (minutes)",
}


def heat_map(frame: pd.DataFrame, value: str, title: str, fmt: str) -> alt.Chart:
    """A day (rows, Monday first) by hour (columns) heat map of ``value``."""
    data = frame[["day", "hour", "time", value, "n_open"]].rename(columns={value: "value"})
    return (
        alt.Chart(data, title=title)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="Hour of the day", axis=alt.Axis(labelAngle=0)),
            # Every day named, even when a phone makes the rows short.
            y=alt.Y(
                "day:N",
                title=None,
                sort=list(DAY_NAMES),
                axis=alt.Axis(labelLimit=0, labelOverlap=False),
            ),
            color=alt.Color(
                "value:Q",
                title=None,
                scale=alt.Scale(scheme="viridis", reverse=True),
                legend=alt.Legend(format=fmt),
            ),
            tooltip=[
                alt.Tooltip("time:N", title="Hour"),
                alt.Tooltip("value:Q", title=title, format=fmt),
                alt.Tooltip("n_open:Q", title="Services open"),
            ],
        )
        .properties(height=300)  # with title and axes: about 28 px a day
    )


def explain(
    frame: pd.DataFrame, category: str, threshold: int, age_band: str | None, area: str
) -> None:
    """Saturday 02:00 in the one account (as the Map and Gaps say it), and the worst hour
    against it: how much of the difference comes from opening hours and from road speeds."""
    night = resolve_slot("weekend night").at
    account = queries.out_of_hours(category, night, threshold, "residents", age_band, area)
    st.markdown(account.sentence())
    worst = str(frame["time"].iloc[worst_hour(frame)[0]])
    if worst != night:
        change = queries.hour_change(category, night, worst, threshold, age_band, area)
        st.markdown(change.sentence())


def render() -> None:
    """Draw the page: the worst hour in words, then the heat maps, then the controls."""
    st.header("The whole week: when is access worst?")
    answer = st.container()
    controls_in_address = url_state.page_controls("week")
    url_state.restore(controls_in_address)
    with st.expander("Service, area, age group and threshold", expanded=True):
        columns = widgets.control_rows(widgets.WIDE_NARROW, widgets.WIDE_NARROW)
        with columns[0]:
            category = widgets.category_select("week_category")
        with columns[1]:
            areas = queries.area_choices()
            codes: list[str] = list(areas)
            area: str = st.selectbox(
                "Council area", codes, format_func=lambda code: areas[code], key="week_area"
            )
        with columns[2]:
            age_band = widgets.age_select("week_age")
        with columns[3]:
            threshold = widgets.threshold_select("week_threshold")
    url_state.remember(controls_in_address)
    with answer:
        if no_site.show(category):  # no worst hour, no heat map, no table for them
            return
    frame = queries.week_profile(category, threshold, age_band, area or None)
    people = "residents" if age_band is None else widgets.age_label(age_band).lower()
    people = people if age_band is None else f"residents {people}"
    where = "" if not area else f" in {areas[area]}"
    label = CATEGORY_LABELS.get(category, category)
    with answer:
        if frame["population"].iloc[0] <= 0:
            st.info(f"No {people} live{where}.")
            return
        sentence = describe_worst_hour(frame, people=people)
        widgets.headline(f"{sentence[0].upper()}{sentence[1:]}{where}.")
        spread = worst_hour_range(frame)
        if spread is not None:  # docs/ranges.md
            central, low, high = spread
            st.markdown(
                f"In that hour, {format_range(central, low, high, formats.percent)} are beyond "
                f"{threshold} minutes: low and high with drive times 10% shorter or longer "
                "and each service whose opening hours are assumed open or closed, one at a "
                "time."
            )
        explain(frame, category, threshold, age_band, area)
        share = heat_map(frame, "share_beyond", f"Share beyond {threshold} minutes", ".0%")
        st.altair_chart(share, width="stretch")
        if frame["mean_minutes"].notna().any():
            mean = heat_map(frame, "mean_minutes", "Average drive (minutes)", ".0f")
            st.altair_chart(mean, width="stretch")
        else:
            st.info(f"No {label} that {people} can use is open in any hour: no drive times.")
        st.caption(
            f"Each square is one hour of a week with no public holiday: the share of "
            f"{people}{where} more than {threshold} minutes' drive from an open {label} "
            "that would see them, and their average drive to the nearest one. An hour "
            "counts a service open at its first minute. Daytime traffic 07:00-19:00, free "
            f"flow otherwise. {frame.attrs['computations']} distinct hours computed."
            + no_site.note(category)
        )
    st.subheader("Hour by hour")
    shown = frame[list(_SHOWN)].rename(columns=_SHOWN).copy()
    shown["Residents beyond the threshold"] = shown["Residents beyond the threshold"].round(0)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "Share beyond the threshold": st.column_config.NumberColumn(format="percent"),
            "Average drive (minutes)": st.column_config.NumberColumn(format="%.0f"),
            "Residents beyond the threshold": st.column_config.NumberColumn(format="%,.0f"),
        },
        key="week_table",
        placeholder="none open",
    )
    stem = f"week_{category}_{threshold}" + (f"_{area}" if area else "")
    widgets.download_buttons(frame, stem, "week_download")


if __name__ == "__main__":
    render()
