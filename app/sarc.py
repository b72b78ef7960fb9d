"""SARC access page: where each council area's nearest open SARC is, slot by slot."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from app import state as app_state
from app import tables, url_state, widgets
from mapping import formats
from mapping.analysis.summary import population_by_minutes
from mapping.inputs.when import NAMED_SLOTS, resolve_slot


def _slots() -> list[str]:
    """The slots the user compares (named ones, plus any day and hour)."""
    names = [slot.name for slot in NAMED_SLOTS]
    chosen = st.multiselect(
        "Time slots to compare (the first is the reference for 'minutes added')",
        names,
        default=["weekday daytime", "weekend night"],
        format_func=widgets.slot_label,
        key="sarc_slots",
    )
    extra = st.text_input(
        "Add another time of week (optional, e.g. Sun 20:00)", key="sarc_extra", value=""
    )
    slots = [next(s.at for s in NAMED_SLOTS if s.name == name) for name in chosen]
    if extra.strip():
        slots.append(resolve_slot(extra.strip()).at)  # a bad time is a readable error
    return list(dict.fromkeys(slots))


def render() -> None:
    """Draw the page."""
    st.header("SARC access: the nearest open Sexual Assault Referral Centre")
    # The answer comes first (on a phone, above the controls); the controls fill it in.
    answer = st.container()
    controls_in_address = url_state.page_controls("sarc")
    url_state.restore(controls_in_address)
    with st.expander("Time slots and what to count", expanded=True):
        slots = _slots()
        weight = widgets.weight_select("sarc_weight")
    url_state.remember(controls_in_address)
    if not slots:
        answer.info("Choose at least one time slot.")
        return
    table = app_state.sarc_table(slots, weight)
    totals = table[table["area_code"] == "TOTAL"].reset_index(drop=True)

    with answer:
        for sentence_slot in slots[1:] or slots:
            widgets.headline(app_state.sarc_headline(table, sentence_slot, slots[0]))
        columns = st.columns(len(totals))
        for column, (_, row) in zip(columns, totals.iterrows(), strict=True):
            column.metric(
                f"Outside Lancashire: {row['slot_name']} ({row['slot']})",
                formats.percent(row["share_nearest_outside_lancashire"]),
                help=f"Share of {app_state.WEIGHT_PHRASES[weight]} whose nearest open SARC "
                "is outside the county.",
            )

    st.subheader("By council area")
    names = app_state.current_service_names()
    tables.shown(
        tables.for_people(
            table,
            who=widgets.WEIGHT_SHORT[weight],
            service_names=names,
            first=("share_nearest_outside_lancashire", "population_over_60", "mean_minutes"),
        ),
        key="sarc_table",
        placeholder="none open",
    )
    widgets.weight_caption(weight)
    st.caption(
        "Shares are of those who can reach an open SARC; Preston is the Lancashire SAFE "
        "Centre, 'other' any other open SARC (Merseyside, Yorkshire). Minutes are "
        "population-weighted drive times; 'minutes added' is against the first slot. "
        + widgets.evidence_caption("sarc")
    )
    widgets.download_buttons(table, "sarc_access", "sarc_download")

    who = widgets.WEIGHT_SHORT[weight]
    st.subheader(f"{who} by drive time to the nearest open SARC")
    frames = []
    for slot in slots:
        minutes = app_state.origin_minutes_table("sarc", slot, weight=weight)
        # 5-minute bands up to the longest drive; people with no open SARC are left out.
        top = 5 * (int(np.nanmax(minutes["minutes"], initial=0) // 5) + 1)
        bands = population_by_minutes(minutes, range(5, top + 5, 5))
        frames.append(
            bands[bands["band_start"].notna()].assign(
                slot=widgets.slot_label(resolve_slot(slot).name)
            )
        )
    data = pd.concat(frames, ignore_index=True).drop(columns="band")
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "band_start:O",
                title="Drive minutes (5-minute bands, lower limit)",
                axis=alt.Axis(labelAngle=0),
            ),
            xOffset=alt.XOffset("slot:N", sort=None),
            y=alt.Y("residents:Q", title=who, axis=alt.Axis(format="~s")),
            # Below the chart, not beside it: on a phone a side legend squeezes the bars
            # and cuts its own labels short.
            color=alt.Color(
                "slot:N",
                title="Time slot",
                scale=alt.Scale(scheme="viridis"),
                sort=None,
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0),
            ),
            tooltip=[
                alt.Tooltip("slot:N", title="Slot"),
                alt.Tooltip("band_start:O", title="Minutes from"),
                alt.Tooltip("residents:Q", title=who, format=",.0f"),
            ],
        )
        # Room on the left for the rotated axis title, which would otherwise touch the edge.
        .properties(height=320, padding={"left": 8, "top": 5, "right": 5, "bottom": 5})
    )
    st.altair_chart(chart, width="stretch")
    st.caption(
        f"Each bar counts {widgets.WEIGHTS[weight]} (spread over population-weighted "
        "origins) whose nearest open SARC is that many minutes' drive away."
    )


if __name__ == "__main__":
    render()
