"""Answers first: the headline sentence and the ranked council areas (with wards).

Everything here follows the page's controls (service, time, age group, threshold) and is
written for people: plain-English headings, whole people, rounded shares, names instead
of codes. Downloads keep the package's machine-readable columns.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app import no_site, queries, widgets
from app import state as app_state
from mapping import formats
from mapping.analysis.out_of_hours import HourAccount
from mapping.outputs.maps import CATEGORY_LABELS

__all__ = [
    "headline",
    "out_of_hours",
    "people_table",
    "ranked_areas",
    "routable",
    "ward_council_areas",
]


def routable(category: str) -> bool:
    """Whether the category has at least one site the travel engine can drive to."""
    services = app_state.current_study().engine.services
    return bool((services["category"] == category).any())


def _who(age_band: str | None, weight: str = "residents") -> str:
    if weight != "residents":
        return widgets.WEIGHT_SHORT[weight].lower()
    return "residents" if age_band is None else f"residents {widgets.age_label(age_band).lower()}"


def headline(
    category: str, at: str, age_band: str | None, threshold: int, weight: str = "residents"
) -> None:
    """The sentence above the map and the Lancashire figures, following every control."""
    label = CATEGORY_LABELS.get(category, category)
    when = app_state.describe_slot(at)
    when = when[0].upper() + when[1:]
    if no_site.show(
        category, headline=True
    ):  # the reason in words, with the count of such services
        return
    table = app_state.coverage_table(category, at, "district", age_band, (threshold,), weight)
    row = table[table["area_code"] == "TOTAL"].iloc[0]
    who = _who(age_band, weight)
    if row["population_unreached"] >= row["eligible_population"]:
        widgets.headline(f"{when}, no {label} that {who} can use is open.")
    elif category == "sarc" and age_band is None:
        slots = ["weekday daytime", at] if at != "Tue 10:00" else [at]
        widgets.headline(app_state.sarc_headline(app_state.sarc_table(slots, weight), at))
    elif category == "sarc":
        share = row["share_nearest_outside_lancashire"]
        widgets.headline(
            f"{when}, {formats.percent(share)} of {who} would travel outside the county to the "
            "nearest open SARC."
        )
    else:
        widgets.headline(
            f"{when}, {formats.percent(row[f'share_within_{threshold:g}'])} of eligible {who} "
            f"live within {threshold} minutes' drive of an open {label}."
        )
    reference = app_state.coverage_table(
        category, "Tue 10:00", "district", age_band, (threshold,), weight
    )
    base = reference[reference["area_code"] == "TOTAL"].iloc[0]
    difference = float(row["mean_minutes"]) - float(base["mean_minutes"])
    added = None if pd.isna(difference) else round(difference)
    mean = formats.minutes(row["mean_minutes"], digits=0, unit=" min", missing="none open")
    columns = st.columns(4)
    columns[0].metric(
        f"{who.capitalize()} beyond {threshold} min",
        formats.people(row[f"population_beyond_{threshold:g}"]),
        help="Farther than the threshold from an open service they can use, or with none.",
    )
    columns[1].metric(
        "Average drive",
        mean,
        # No arrow for no change: "+0 min" in red would say things got worse.
        # Short enough for a quarter of the page ("+15 min vs weekday dayti…" was cut).
        delta=None if not added or at == "Tue 10:00" else f"{added:+d} min vs weekday",
        delta_color="inverse",
    )
    columns[2].metric(
        "Nearest is outside Lancashire",
        formats.percent(row["share_nearest_outside_lancashire"]),
        help="Share whose nearest open service is outside Lancashire.",
    )
    columns[3].metric("No open service they can use", formats.people(row["population_unreached"]))
    range_line(category, at, age_band, threshold, weight)


def range_line(category: str, at: str, age_band: str | None, threshold: int, weight: str) -> None:
    """The share beyond the threshold with its low and high values (docs/ranges.md).

    Written as the headline is ("1.9% (0.1–7.6%)"), with the assumption that moves it most.
    """
    from app import queries

    spread = queries.beyond_range(category, at, threshold, weight, age_band)
    st.markdown(
        f"**{_who(age_band, weight).capitalize()} beyond {threshold} minutes: "
        f"{spread['text']}**: {widgets.plain(spread['explain'])}.",
        help="Low and high: drive times 10% shorter or longer, and each service whose "
        "opening hours are assumed (not published) open or closed at this hour, one "
        "at a time (docs/ranges.md).",
    )


def people_table(table: pd.DataFrame, threshold: int, name: str = "Council area") -> pd.DataFrame:
    """A coverage table for people: names first, whole people, rounded shares and minutes."""
    beyond = table[f"population_beyond_{threshold:g}"]
    eligible = table["eligible_population"]
    frame = pd.DataFrame(
        {
            name: table["area_name"],
            f"Residents beyond {threshold} min": beyond.round(0).astype("int64"),
            "Share beyond": (100 * beyond / eligible.where(eligible > 0)).round(0),
            "Average drive (min)": table["mean_minutes"].round(0),
            "Residents": eligible.round(0).astype("int64"),
        }
    )
    return frame.sort_values(
        [f"Residents beyond {threshold} min", "Average drive (min)"], ascending=False
    )


def _config(threshold: int) -> dict[str, Any]:
    return {
        f"Residents beyond {threshold} min": st.column_config.NumberColumn(format="%,d"),
        "Share beyond": st.column_config.NumberColumn(format="%d%%"),
        "Average drive (min)": st.column_config.NumberColumn(format="%d"),
        "Residents": st.column_config.NumberColumn(format="%,d"),
    }


@st.cache_data(show_spinner=False, max_entries=8)
def _ward_parents(key: str) -> dict[str, str]:
    """Each ward's council area: the one most of its origins lie in."""
    origins = app_state.current_study().origins
    return dict(origins.groupby("ward_code")["lad_code"].agg(lambda s: s.mode().iloc[0]))


def ward_council_areas() -> dict[str, str]:
    """``{ward code: council area name}`` (the area most of the ward's origins lie in)."""
    names = app_state.current_study().area_names("district")
    parents = _ward_parents(app_state.study_key())
    return {ward: names.get(code, code) for ward, code in parents.items()}


def ranked_areas(
    category: str, at: str, age_band: str | None, threshold: int, weight: str = "residents"
) -> None:
    """Council areas ranked by residents beyond the threshold; open one for its wards."""
    if not routable(category):
        return
    district = app_state.coverage_table(category, at, "district", age_band, (threshold,), weight)
    areas = district[district["area_code"] != "TOTAL"]
    ranked = people_table(areas, threshold)
    st.markdown(f"**Council areas by {_who(age_band, weight)} beyond {threshold} minutes**")
    st.dataframe(
        ranked,
        hide_index=True,
        width="stretch",
        column_config=_config(threshold),
        key="ranked",
        placeholder="none open",
    )
    wards = app_state.coverage_table(category, at, "ward", age_band, (threshold,), weight)
    wards = wards[wards["area_code"] != "TOTAL"]
    parents = _ward_parents(app_state.study_key())
    codes = dict(zip(areas["area_name"], areas["area_code"], strict=True))
    beyond = f"Residents beyond {threshold} min"
    for _, area in ranked[ranked[beyond] > 0].iterrows():
        code = codes[area["Council area"]]
        mine = wards[wards["area_code"].map(parents) == code]
        with st.expander(f"{area['Council area']}: wards ({area[beyond]:,} beyond)"):
            st.dataframe(
                people_table(mine, threshold, "Ward"),
                hide_index=True,
                width="stretch",
                column_config=_config(threshold),
                placeholder="none open",
            )


def out_of_hours(
    category: str, at: str, age_band: str | None, threshold: int, weight: str = "residents"
) -> HourAccount | None:
    """Who an in-area service serves, who each cross-border one does, who none (one account).

    The same figures and words as the Gaps rule, the Week page, ``service-map sarc`` and
    the report (:meth:`mapping.Study.out_of_hours`). ``None`` for a category without a site.
    """
    if not routable(category):
        return None
    account = queries.out_of_hours(category, at, threshold, weight, age_band)
    st.markdown(account.sentence(), help=_ACCOUNT_HELP)
    return account


_ACCOUNT_HELP = (
    "Each resident counts once, at the nearest service of this kind that is open then and "
    "would see them. In-area services are those the register places in the study area; "
    "every other is over the border. The Gaps, Week and About pages, the command line and "
    "the export report use the same figures."
)
