"""Optimise page: the options side by side, then the best extra hours and new sites.

The page leads with the appraisal (:meth:`Study.appraise`): each option in words ("Opening
X at night would leave ...") and the table of measures with their ranges.

Hours: the best extra staffed hours for one service (:meth:`Study.optimise_hours`), on the
week heat map, against the obvious alternative (the same hours spent on evenings,
16:00-24:00). Sites: the best new 24/7 sites for a category (:meth:`Study.optimise_sites`,
an exact MCLP or p-median solve), against a 24/7 site at each of the largest towns.
Either result opens on the Scenarios page as a what-if.
"""

from __future__ import annotations

import html
from typing import Any

import altair as alt
import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app import queries, url_state, widgets
from app import state as app_state
from app.week import heat_map
from mapping import formats
from mapping.analysis.optimise_hours import SHIFT_HOURS
from mapping.analysis.week import describe_worst_hour, hour_label
from mapping.inputs.scenario_file import HoursChange, Scenario
from mapping.inputs.vocabulary import siting_refusal
from mapping.inputs.when import NAMED_SLOTS
from mapping.outputs import maps
from mapping.outputs.maps import CATEGORY_LABELS
from mapping.outputs.script_text import ScriptTooltip

#: Where the Scenarios page keeps its scenario (see app/scenarios.py).
_SCENARIO_KEYS = ("sc_name", "sc_description", "sc_changes")
_PENDING = "opt_pending_scenario"  # a plan waiting for "replace it?"
_METHODS = {"mclp": "Most people within reach", "pmedian": "Shortest average drive"}
_OBJECTIVES = {"minutes": "Minutes saved", "coverage": "Residents within the threshold"}
#: The units in words, on the page (a phone or a printout has no tooltip).
_RESIDENT_HOURS = (
    "A resident-hour is one resident within the threshold of an open service for one hour "
    "of the week (1,000 resident-hours are 1,000 residents for one hour, or 100 for ten)."
)
_UNITS = (
    "A resident-minute saved is one resident's drive to the nearest open service made one "
    f"minute shorter in one hour of the week. {_RESIDENT_HOURS}"
)


def open_on_scenarios(scenario: Scenario) -> None:
    """Make ``scenario`` this session's scenario and go to the Scenarios page.

    A different scenario already being built is replaced only once the user says so.
    """
    current = st.session_state.get("sc_changes") or []
    new = [c.model_dump(exclude_none=True) for c in scenario.changes]
    if current and current != new:
        st.session_state[_PENDING] = queries.scenario_to_json(scenario)
        st.rerun()  # the page then asks first (:func:`_confirm_replace`)
    _replace(scenario)


def _confirm_replace() -> None:
    """Ask before a plan replaces the scenario being built (when one is waiting)."""
    pending = st.session_state.get(_PENDING)
    if not pending:
        return
    current = st.session_state.get("sc_changes") or []
    name = st.session_state.get("sc_name") or "unnamed"
    st.warning(
        f"The Scenarios page holds your scenario **{name}** ({len(current)} change"
        f"{'s' if len(current) != 1 else ''}). Opening this plan replaces it; save it there "
        "first (TOML or JSON) to keep it."
    )
    left, right, _ = st.columns([1, 1, 3])
    if left.button("Replace it", key="opt_replace_yes", type="primary"):
        st.session_state.pop(_PENDING, None)
        _replace(queries.scenario_from_json(pending))
    if right.button("Keep mine", key="opt_replace_no"):
        st.session_state.pop(_PENDING, None)
        st.rerun()


def _replace(scenario: Scenario) -> None:
    st.session_state["sc_name"] = scenario.name
    st.session_state["sc_description"] = scenario.description
    st.session_state["sc_changes"] = [c.model_dump(exclude_none=True) for c in scenario.changes]
    st.session_state.pop("sc_pack", None)
    st.switch_page("app/scenarios.py")


def _hours_tab() -> None:
    study = app_state.current_study()
    services = study.engine.services
    services = services[~services["what_if"].astype(bool)] if "what_if" in services else services
    names = dict(zip(services["id"], services["name"], strict=True))
    ids = list(names)
    default = ids.index("sarc-preston-safe-centre") if "sarc-preston-safe-centre" in ids else 0
    answer = st.container()
    with st.expander("Service, budget, threshold and shifts", expanded=True):
        # A wide box for the service's whole name, then the rest (widgets.control_rows).
        columns = widgets.control_rows((3, 1), (1, 1, 1))
        service: str = columns[0].selectbox(
            "Service", ids, index=default, format_func=lambda i: names[i], key="opt_service"
        )
        extra = int(
            columns[1].number_input("Extra hours a week", 1, 84, 8, step=1, key="opt_extra")
        )
        with columns[2]:
            threshold = widgets.threshold_select("opt_threshold")
        min_block = int(
            columns[3].number_input(
                "Shortest shift (hours)",
                1,
                12,
                SHIFT_HOURS,
                step=1,
                key="opt_block",
                help="Hours are added as whole shifts at least this long (1: any hours).",
            )
        )
        objective: str = columns[4].radio(
            "Value an hour by",
            list(_OBJECTIVES),
            format_func=lambda o: _OBJECTIVES[o],
            key="opt_objective",
            help="Minutes saved counts every resident's shorter drive; residents within the "
            "threshold counts only those who cross it (docs/optimise.md).",
        )
    result = queries.optimise_hours(service, extra, threshold, min_block, objective)
    gain = result.gain
    evening_gain = result.sign * (result.evening - result.baseline)
    unit = "resident-minutes saved" if objective == "minutes" else "resident-hours"
    scenario = Scenario(
        name=f"{names[service]}: {len(result.chosen)} extra hours chosen by the optimiser",
        description=(
            f"Optimise page: {extra} extra hours, {threshold} min, shortest shift "
            f"{min_block} h. Added: {result.added_rules or 'nothing'}."
        ),
        changes=(HoursChange(kind="hours", service=service, opening_hours=result.opening_hours),),
    )
    with answer:
        if not result.chosen:
            widgets.headline(f"No extra hour of {names[service]} would reach anybody new.")
            return
        within = "" if objective == "minutes" else f" within {threshold} minutes"
        widgets.headline(
            f"Open {names[service]} also {result.added_rules}: "
            f"{formats.signed_people(gain)} {unit} a week{within}."
        )
        other = "residents within the threshold" if objective == "minutes" else "minutes saved"
        st.markdown(
            f"Valued by {other} instead, the optimiser would pick: "
            f"{result.other_rules or 'no hour'}."
        )
        figures = st.columns(3)
        figures[0].metric(
            "Gain on today's hours",
            formats.signed_people(gain),
            help="Resident-minutes saved a week, or resident-hours a week within the "
            "threshold of an open service (by the objective chosen).",
        )
        figures[1].metric(
            f"Evenings 16:00-24:00 instead ({extra} h)",
            formats.signed_people(evening_gain),
            help=f"The same budget spent on evenings: {result.evening_hours}",
        )
        figures[2].metric("The plan's advantage", formats.signed_people(gain - evening_gain))
        st.caption(_UNITS)
        week = queries.scenario_week(scenario, result.category, threshold)
        sentence = describe_worst_hour(week)
        st.markdown(f"With the plan, {sentence}.")
        chosen = pd.DataFrame({"hour_of_week": result.chosen})
        chosen["day"] = week.set_index("hour_of_week").loc[chosen["hour_of_week"], "day"].to_list()
        chosen["hour"] = chosen["hour_of_week"] % 24
        share = heat_map(
            week, "share_beyond", f"With the plan: share beyond {threshold} min", ".0%"
        )
        marks = chosen.assign(mark="+")
        layer = (
            alt.Chart(marks)
            .mark_text(color="red", fontSize=14, fontWeight="bold")
            .encode(x="hour:O", y=alt.Y("day:N", sort=list(week["day"].unique())), text="mark:N")
        )
        st.altair_chart(share + layer, width="stretch")
        st.caption(
            "Red + marks the chosen extra hours: "
            + ", ".join(hour_label(h) for h in result.chosen)
            + f". Opening hours with the plan: {result.opening_hours}."
        )
        if st.button("Open this plan on the Scenarios page", key="opt_hours_open"):
            open_on_scenarios(scenario)


def _site_map(sites: pd.DataFrame, hubs: list[str]) -> folium.Map:
    fmap = maps.base_map()
    for _, site in sites.iterrows():
        # A circle, not an icon marker: icons would load a font from the internet.
        marker = folium.CircleMarker(
            [float(site["lat"]), float(site["lon"])],
            radius=9,
            color="#b2182b",
            fill=True,
            fill_opacity=0.9,
        ).add_to(fmap)
        # The name is escaped for HTML, then for the map's script (never folium.Tooltip).
        ScriptTooltip(html.escape(f"Chosen: {site['name']}")).add_to(marker)
    return fmap


def _sites_tab() -> None:
    answer = st.container()
    times = {"week": "The whole week", **{s.at: f"{s.name} ({s.at})" for s in NAMED_SLOTS}}
    with st.expander("Service, number of sites, time and method", expanded=True):
        columns = widgets.control_rows(widgets.WIDE_NARROW, (1, 1, 1))
        with columns[0]:
            category = widgets.category_select("opt_site_category")
        add = int(columns[2].number_input("New sites", 1, 3, 1, key="opt_site_k"))
        at: str = columns[1].selectbox(
            "Serve",
            list(times),
            index=list(times).index("Sat 02:00"),
            format_func=lambda t: times[t],
            key="opt_site_at",
        )
        method: str = columns[3].radio(
            "Method",
            ["mclp", "pmedian"],
            key="opt_site_method",
            format_func=lambda m: {
                "mclp": "Most people within reach",
                "pmedian": "Shortest average drive",
            }[m],
        )
        with columns[4]:
            threshold = widgets.threshold_select("opt_site_threshold")
    label = CATEGORY_LABELS.get(category, category)
    with answer:
        if (refusal := siting_refusal(category)) is not None:
            st.warning(refusal[0].upper() + refusal[1:])
            return
        question = (category, add, threshold, at, method)
        if st.button("Find the best sites", key="opt_site_go", type="primary"):
            st.session_state["opt_site_question"] = question
        # Keep showing the answer (and its "open" button) until a control changes.
        if st.session_state.get("opt_site_question") != question:
            st.info(
                f"Press the button to place {add} new 24/7 {label} site(s) among the town "
                "centres (an exact solve; tens of seconds the first time, then cached)."
            )
            return
        with st.spinner("Solving (tens of seconds)…"):
            result = queries.optimise_sites(category, add, threshold, at, method)
        base, plan, hubs = result.baseline, result.plan, result.hubs
        names = ", ".join(result.sites["name"])
        unit = "residents" if at != "week" else "resident-hours"
        widgets.headline(
            f"New 24/7 {label}: {names}, "
            f"{formats.signed_people(plan.covered - base.covered)} {unit} "
            f"within {threshold} minutes over {result.times}."
        )
        if at == "week":
            st.caption(_RESIDENT_HOURS)
        if result.saturation:
            st.info(result.saturation[0].upper() + result.saturation[1:] + ".")
        figures = st.columns(3)
        figures[0].metric(
            "Gain on today's sites", formats.signed_people(plan.covered - base.covered)
        )
        figures[1].metric(
            "24/7 at the largest towns instead",
            formats.signed_people(hubs.covered - base.covered),
            help="A new 24/7 site at each of: " + ", ".join(result.hub_names),
        )
        figures[2].metric(
            "Average drive",
            formats.minutes(plan.mean_minutes, digits=0, unit=" min"),
            delta=f"{plan.mean_minutes - base.mean_minutes:+.0f} min"
            if round(plan.mean_minutes - base.mean_minutes)
            else None,
            delta_color="inverse",
        )
        shown = (
            result.sites[["name", "residents", "marginal"]]
            .rename(
                columns={
                    "name": "Site",
                    "residents": "Town residents",
                    "marginal": f"Lost without it ({unit})",
                }
            )
            .round(0)
        )
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            placeholder="none",
            column_config={
                column: st.column_config.NumberColumn(format="%,.0f")
                for column in shown.columns[1:]
            },
        )
        st_folium(
            _site_map(result.sites, result.hub_names),
            height=380,
            use_container_width=True,
            returned_objects=[],
            key="opt_site_map",
            render=False,
        )
        if st.button("Open these sites on the Scenarios page", key="opt_sites_open"):
            open_on_scenarios(queries.scenario_from_json(result.scenario))


def _range(row: pd.Series, name: str, fmt: Any = formats.people) -> str:
    """``"central (low–high)"`` for one measure of an appraisal row."""
    central, low, high = (row[f"{name}{end}"] for end in ("", "_low", "_high"))
    a, b, c = fmt(central), fmt(low), fmt(high)
    return a if b == c else f"{a} ({b}–{c})"


def appraisal_table(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The appraisal for people: one row per option, each measure with its range."""
    return pd.DataFrame(
        {
            "Option": table["option"],
            "Extra staffed hours a week": table["extra_hours"],
            "New sites": table["new_sites"],
            f"Residents beyond {threshold} min, Sat 02:00": [
                _range(r, "night_beyond") for _, r in table.iterrows()
            ],
            f"Beyond {threshold} min, Sat 14:00": [
                _range(r, "weekend_day_beyond") for _, r in table.iterrows()
            ],
            f"Beyond {threshold} min, average hour": [
                _range(r, "week_beyond") for _, r in table.iterrows()
            ],
            "Mean drive (min)": [
                _range(r, "mean_minutes", formats.minutes) for _, r in table.iterrows()
            ],
            "90th percentile (min)": [
                _range(r, "p90_minutes", formats.minutes) for _, r in table.iterrows()
            ],
            "Resident-minutes saved a week": [
                _range(r, "minutes_saved") for _, r in table.iterrows()
            ],
            # docs/ranges.md: drive times ±10%, or an assumed-hours service open or closed
            "What moves the average hour most": table.get(
                "week_beyond_moves_most", pd.Series("", index=table.index)
            ).replace("", "nothing"),
        }
    )


def _appraisal_section() -> None:
    """The options side by side, in words first (Study.appraise)."""
    st.subheader("The options side by side", anchor=False)
    answer = st.container()
    with st.expander("Service, budget and threshold", expanded=False):
        columns = widgets.control_rows(widgets.WIDE_NARROW, widgets.WIDE_NARROW)
        with columns[0]:
            category = widgets.category_select("opt_appraise_category")
        extra = int(
            columns[1].number_input(
                "Optimiser's budget (extra hours a week)", 1, 84, 56, key="opt_appraise_hours"
            )
        )
        with columns[2]:
            threshold = widgets.threshold_select("opt_appraise_threshold")
    with answer:
        question = (category, extra, threshold)
        if st.button("Compare the options", key="opt_appraise_go", type="primary"):
            st.session_state["opt_appraise_question"] = question
        if st.session_state.get("opt_appraise_question") != question:
            st.info(
                "Extending each in-area service's hours (24/7, or nights only), the "
                f"optimiser's best {extra} extra hours, the best new site and the two "
                "together, on the same measures with their ranges. Press the button (about "
                "a minute the first time, then cached)."
            )
            return
        result = queries.appraisal(category, extra, threshold)
        table = result.table
        options = table[table["kind"] != "today"]
        if options.empty:
            st.info("No option to compare: every in-area service is open all week already.")
            return
        for sentence in options["sentence"]:
            st.markdown(f"- {widgets.plain(sentence)}")
        st.dataframe(appraisal_table(table, threshold), hide_index=True, width="stretch")
        for note in result.notes:
            st.caption(note + ".")
        widgets.download_buttons(table, "appraisal", key="opt_appraise_download")


def render() -> None:
    """Draw the page."""
    st.header("Optimise: where and when to invest")
    controls_in_address = url_state.page_controls("optimise")
    url_state.restore(controls_in_address)
    _confirm_replace()
    _appraisal_section()
    hours_tab, sites_tab = st.tabs(["Extra opening hours", "New sites"])
    with hours_tab:
        _hours_tab()
    with sites_tab:
        _sites_tab()
    url_state.remember(controls_in_address)


if __name__ == "__main__":
    render()
