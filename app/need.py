"""Need and equity page: drive minutes by deprivation, the weights, capacity against need.

Every figure comes from :class:`mapping.Study` (``equity``, ``capacity``, ``access``);
this page only chooses, caches and shows them.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app import no_site, url_state, widgets
from app import state as app_state
from mapping import formats
from mapping.errors import ServiceMapError
from mapping.inputs.vocabulary import RECORDED_VIOLENCE_CAVEAT, WEIGHTS
from mapping.outputs.maps import CATEGORY_LABELS
from mapping.study import Study

#: Sexual-violence support benchmark denominators offered, in words.
SV_DENOMINATORS = _SV_DENOMINATORS = {
    "women_all_ages": "per 200,000 women (Council of Europe minimum standards)",
    "residents": "per 200,000 inhabitants (Istanbul Convention explanatory report)",
}
_SERVICE_NAMES = {
    "refuge": "Refuge (family places)",
    "idva": "Independent domestic violence advisers (FTE)",
    "sexual_violence_support": "Rape crisis centres (Council of Europe: 1 per 200,000 women)",
    "sarc": "Sexual assault centres (Council of Europe: 1 per 400,000 women)",
}


@st.cache_data(show_spinner="Computing drive minutes by deprivation…", max_entries=64)
def _equity(
    _study: Study, key: str, category: str, at: str, minutes: float, weight: str
) -> tuple[pd.DataFrame, pd.DataFrame, str, tuple[float, float, float] | None]:
    result = _study.equity(category, at, minutes, weight)
    theil = result.theil
    parts = None if theil is None else (theil.total, theil.between, theil.within)
    return result.by_decile, result.by_quintile, theil.meaning if theil else "", parts


@st.cache_data(show_spinner="Comparing capacity with the benchmarks…", max_entries=16)
def _capacity(_study: Study, key: str, denominator: str) -> pd.DataFrame:
    return _study.capacity(denominators={"sexual_violence_support": denominator})


@st.cache_data(show_spinner=False, max_entries=8)
def _refuge_access(_study: Study, key: str) -> tuple[float, str]:
    result = _study.access("refuge")
    return float(result.table["per_10000_2sfca"].iloc[0]), result.note


def _headline(quintiles: pd.DataFrame, at: str, minutes: float, weight: str) -> str:
    rows = quintiles.set_index("imd_quintile")
    most, least = rows.loc[1], rows.loc[5]
    when = app_state.describe_slot(at)
    who = widgets.WEIGHT_SHORT[weight].lower()
    return (
        f"{when[0].upper()}{when[1:]}, {formats.percent(most['share_beyond_threshold'])} of {who} "
        f"in the most deprived fifth of LSOAs are more than {minutes:g} minutes' drive from "
        f"an open service, against {formats.percent(least['share_beyond_threshold'])} in the least "
        "deprived fifth."
    )


def _equity_section() -> None:
    controls = widgets.control_rows(widgets.WIDE_NARROW, widgets.WIDE_NARROW)
    with controls[0]:
        category = widgets.category_select("need_category")
    with controls[1]:
        at = widgets.time_select("need_slot", default="weekend night")
    with controls[2]:
        weight = widgets.weight_select("need_weight")
    with controls[3]:
        minutes = widgets.threshold_select("need_threshold")
    if no_site.show(category):  # no "100% against 100%", no empty chart
        return
    study = app_state.current_study()
    deciles, quintiles, meaning, theil = _equity(
        study, app_state.study_key(), category, at, float(minutes), weight
    )
    widgets.headline(_headline(quintiles, at, minutes, weight))
    who = widgets.WEIGHT_SHORT[weight]
    label = CATEGORY_LABELS.get(category, category)
    st.subheader(f"Drive minutes to the nearest open {label} by deprivation")
    if deciles["mean_minutes"].isna().all():  # nothing open: no minutes, no empty chart
        st.info(
            f"No {label} is open at {at}, so nobody has a drive time to compare by "
            "deprivation. Choose another time to see the minutes."
        )
        return
    chart = (
        alt.Chart(deciles)
        .mark_bar()
        .encode(
            x=alt.X("imd_decile:O", title="IMD 2025 decile (1 = most deprived tenth in England)"),
            y=alt.Y("mean_minutes:Q", title="Mean drive minutes"),
            color=alt.Color(
                "share_beyond_threshold:Q",
                title=f"Share beyond {minutes} min",
                scale=alt.Scale(scheme="viridis", reverse=True),
                legend=alt.Legend(format="%"),
            ),
            tooltip=[
                alt.Tooltip("imd_decile:O", title="IMD decile"),
                alt.Tooltip("population:Q", title=who, format=",.0f"),
                alt.Tooltip("mean_minutes:Q", title="Mean minutes", format=".1f"),
                alt.Tooltip("p90_minutes:Q", title="90th percentile minutes", format=".1f"),
                alt.Tooltip(
                    "share_beyond_threshold:Q", title=f"Beyond {minutes} min", format=".0%"
                ),
            ],
        )
        .properties(height=320)
    )
    st.altair_chart(chart, width="stretch")
    shown = pd.DataFrame(
        {
            "IMD decile (1 = most deprived)": deciles["imd_decile"],
            who: deciles["population"].round(0),
            "Mean drive (minutes)": deciles["mean_minutes"],
            "90th percentile drive (minutes)": deciles["p90_minutes"],
            f"Share more than {minutes} minutes away": deciles["share_beyond_threshold"],
            f"Number more than {minutes} minutes away": deciles[
                "population_beyond_threshold"
            ].round(0),
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key="need_equity_table",
        placeholder="none open",
        column_config={
            who: st.column_config.NumberColumn(format="%,.0f"),
            "Mean drive (minutes)": st.column_config.NumberColumn(format="%.1f"),
            "90th percentile drive (minutes)": st.column_config.NumberColumn(format="%.1f"),
            f"Share more than {minutes} minutes away": st.column_config.NumberColumn(
                format="percent"
            ),
            f"Number more than {minutes} minutes away": st.column_config.NumberColumn(
                format="%,.0f"
            ),
        },
    )
    if theil is not None:
        st.markdown(
            f"**Inequality (Theil's T):** {theil[0]:.3f}, of which {theil[1]:.4f} between "
            f"deciles and {theil[2]:.4f} within them. {meaning}"
        )
    widgets.weight_caption(weight)
    widgets.download_buttons(deciles, f"equity_{category}_{weight}", "need_equity_download")


def _capacity_section() -> None:
    st.subheader("Capacity against published benchmarks")
    denominator = st.radio(
        "Rape crisis benchmark",
        list(_SV_DENOMINATORS),
        format_func=_SV_DENOMINATORS.get,
        horizontal=True,
        key="need_sv_denominator",
        help="The Council of Europe minimum standards say one rape crisis centre per "
        "200,000 women; the Istanbul Convention explanatory report says per 200,000 "
        "inhabitants.",
    )
    study = app_state.current_study()
    table = _capacity(study, app_state.study_key(), denominator)
    st.caption(
        "Known capacity comes only from the register (refuge family places, advocate FTE, "
        "each with its source): 'unknown' is never estimated or shown as 0, an area served "
        "by a service based elsewhere names it, and a partly known figure is a lower bound. "
        "Centres are counted only when the record is of the benchmark's kind. Each "
        "benchmark's source and wording is under its table."
    )
    for service_type, group in table.groupby("service_type", sort=False):
        first = group.iloc[0]
        rows = group[group["area_level"].isin(["district", "police_force_area"])]
        shown = pd.DataFrame(
            {
                "Area": rows["area_name"],
                "Needed (benchmark)": rows["benchmark_units"],
                "Range": [
                    "" if lo == hi else f"{lo:.1f}–{hi:.1f}"
                    for lo, hi in zip(
                        rows["benchmark_units_low"], rows["benchmark_units_high"], strict=True
                    )
                ],
                "Known capacity": rows["capacity"],
                "Note": rows["note"],
            }
        )
        source = (
            f"{first['benchmark']}. Denominator: {first['denominator_label']}. Source: "
            f"{first['source']} Wording ({first['wording_status']}): {first['wording']}"
        )
        st.markdown(
            f"**{_SERVICE_NAMES.get(str(service_type), service_type)}**: counts "
            f"{first['counts']}; scope: {first['scope']}."
        )
        force = group[group["area_level"] == "police_force_area"]
        for _, area in force.iterrows():
            if area["benchmark_range"]:
                st.caption(f"{area['area_name']} needs {area['benchmark_range']}.")
            if area["not_classified"]:
                st.caption(
                    f"Not classified as {area['counts']}, so not counted: {area['not_classified']}."
                )
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            key=f"need_capacity_{service_type}",
            column_config={
                "Needed (benchmark)": st.column_config.NumberColumn(format="%.1f", help=source),
                "Known capacity": st.column_config.TextColumn(
                    help="From the register, in words: a known number with its source, "
                    "covered by a service based elsewhere (named), or unknown (saying which "
                    "figure is missing); unknown is never shown as 0. Sources: "
                    + (
                        "; ".join(s for s in group["capacity_sources"].dropna().unique() if s)
                        or "none recorded"
                    ),
                ),
            },
        )
        # In words too: a phone or a printout has no hover.
        st.caption(f"Benchmark: {source}")
    ratio, note = _refuge_access(study, app_state.study_key())
    known = (
        f"{ratio:.2f} known family places per 10,000 residents"
        if ratio == ratio
        else "unknown (no refuge gives its family places)"
    )
    st.info(f"Refuge access at county scale: {known}. {note}")
    widgets.download_buttons(table, "capacity", "need_capacity_download")


def render() -> None:
    """Draw the page."""
    st.header("Need and equity")
    study = app_state.current_study()
    try:
        study.need()
    except ServiceMapError as exc:
        st.error(f"The need layer is not available, so this page cannot show it: {exc}")
        return
    st.info(
        "Weights: figures can count residents (Census 2021), women aged 16+ (ONS mid-2024), "
        "police-recorded violence and sexual offences (offences recorded in each area, "
        "January–April 2024), or residents of the most crime-deprived fifth of LSOAs "
        f"(IoD 2025 crime domain: where victims live). {RECORDED_VIOLENCE_CAVEAT}"
    )
    controls_in_address = url_state.page_controls("need")
    url_state.restore(controls_in_address)
    _equity_section()
    _capacity_section()
    url_state.remember(controls_in_address)
    # Names people read ("Women 16+"), not the codes ("women_16_plus").
    st.caption(
        "; ".join(f"{widgets.WEIGHT_SHORT[name]}: {label}" for name, label in WEIGHTS.items())
    )


if __name__ == "__main__":
    render()
