"""Pathways page: every way in for a victim, as a Sankey diagram, the gaps in words and a table."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from app import state as app_state
from app import tables, widgets
from mapping.analysis.referrals import MIN_SHOWN, volume_table
from mapping.errors import ServiceMapError
from mapping.inputs.benchmarks import load_benchmarks
from mapping.inputs.needs import load_needs
from mapping.inputs.referrals import load_referrals
from mapping.outputs.sankey import sankey_svg

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SHOWN = {
    "path": "Pathway",
    "status": "Status at the hour",
    "closed_at": "Closed at",
    "reason": "Barred because",
    "drive": "Drive to the service",
    "inferred": "Rests on an inferred route",
}


def _drive(minutes: float) -> str:
    if minutes is None or (isinstance(minutes, float) and math.isnan(minutes)):
        return "no site (line, refuge or off the network)"
    return f"{minutes:.0f} min"


def _gaps_in_words(result: object) -> list[str]:
    """The pathway gaps for this victim, as sentences."""
    table: pd.DataFrame = result.table  # type: ignore[attr-defined]
    need, age, slot = result.need, result.age, result.slot  # type: ignore[attr-defined]
    lines = []
    open_rows = table[table["status"] == "open"]
    if open_rows.empty:
        lines.append(f"No pathway is open at {slot.at} for {need.label}, age {age}: none at all.")
    elif open_rows["police"].all():
        lines.append(
            f"At {slot.at} the only open ways in for {need.label}, age {age}, go through "
            "the police."
        )
    barred = table[table["status"] == "barred"]
    for reason, block in barred.groupby("reason"):
        firsts = sorted({p.split(" → ")[1] for p in block["path"]})
        lines.append(f"Barred by age or risk ({reason}): {', '.join(firsts)}.")
    names = app_state.current_service_names()
    for service in result.single_points:  # type: ignore[attr-defined]
        lines.append(f"Every pathway passes through {names.get(service, service)}.")
    return lines


def render() -> None:
    """Draw the page."""
    st.header("Referral pathways")
    st.caption(
        "Every way a victim can get to a service that meets their need: the entry route "
        "(themselves, the police, a professional, the Marac, health, the Victim Services hub) "
        "to a service, and on to the services it refers to. Routes are in "
        "data/referral_routes.csv; most are inferred from the kind of service and say so."
    )
    needs = load_needs()
    controls = widgets.control_rows(widgets.WIDE_NARROW, (1, 1, 1))
    with controls[0]:
        need = st.selectbox("Need", needs, format_func=lambda n: n.label, key="pw_need")
    with controls[1]:
        home = st.text_input("Home postcode or LSOA", value="BB11 1JA", key="pw_home")
    with controls[2]:
        age = int(st.number_input("Age", 0, 120, value=17, step=1, key="pw_age"))
    with controls[3]:
        day = st.selectbox("Day", _DAYS, index=5, key="pw_day")
    with controls[4]:
        hour = st.selectbox(
            "Hour", list(range(24)), index=2, format_func=lambda h: f"{h:02d}:00", key="pw_hour"
        )
    at = f"{day} {hour:02d}:00"
    try:
        result = app_state.current_study().pathways(need.id, age, at, home)
    except ServiceMapError as exc:
        st.error(str(exc))
        return
    table = result.table
    counts = table["status"].value_counts()
    widgets.headline(
        f"{need.label.capitalize()}, age {age}, at {at}: {counts.get('open', 0)} of "
        f"{len(table)} pathways open, {counts.get('barred', 0)} barred by age or risk."
    )
    if result.note:
        st.caption(result.note)
    names = app_state.current_service_names()
    st.markdown(
        '<div data-testid="pathway-sankey">' + sankey_svg(table, names) + "</div>",
        unsafe_allow_html=True,
    )
    st.caption(
        "Green, solid: the step is open at that hour. Purple, faded: closed. Grey, dashed: "
        "barred by the victim's age or risk. Width: the number of pathways taking the step."
    )
    st.subheader("Pathway gaps")
    for line in _gaps_in_words(result) or ["No pathway gap for this victim at this hour."]:
        st.markdown(f"- {line}", help=None)
    st.subheader("Every way in")
    shown = table.assign(drive=table["minutes"].map(_drive))[list(_SHOWN)].rename(columns=_SHOWN)
    st.dataframe(shown, hide_index=True, use_container_width=True, key="pw_table")
    widgets.download_buttons(table, "pathways", "pw_download")

    with st.expander("Published referral volumes"):
        study = app_state.current_study()
        register = study.effective_register()
        # Not checked against the study's register: an uploaded one may lack the ids
        # (a figure's services then have no benchmark); `service-map referrals` checks.
        volumes = volume_table(load_referrals(), register, load_benchmarks())
        # Plain headings and measures in words ("victims supported", not the code).
        tables.shown(
            tables.for_people(
                volumes[["service", "year", "route", "measure", "published", "benchmark", "source"]]
            ),
            key="pw_volumes",
        )
        st.caption(
            f"Counts under {MIN_SHOWN} from a published table are never shown (they read "
            f"'fewer than {MIN_SHOWN}'), so no person can be identified; none is expected here."
        )


if __name__ == "__main__":
    render()
