"""Map page: drive minutes to the nearest open service, by LSOA, with the services.

Opens on the headline question: where is the nearest open SARC on a weekday daytime
and at Saturday 02:00? The sentence above the map comes from ``Study.sarc_access``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from app import answers, map_view, url_state, widgets
from app import state as app_state
from mapping.analysis.out_of_hours import HourAccount
from mapping.inputs.register import public_view
from mapping.inputs.when import resolve_slot
from mapping.outputs import maps
from mapping.outputs.captions import service_caption
from mapping.outputs.maps import CATEGORY_LABELS
from mapping.study_area import MAP_CRS


def render() -> None:
    """Draw the page."""
    st.header("Drive time to the nearest open service")
    # The answer comes first (on a phone, above the controls); the controls fill it in.
    answer = st.container()
    controls_in_address = url_state.page_controls("map")
    url_state.restore(controls_in_address)
    with st.expander("Service, time, age group and threshold", expanded=True):
        # Rows of two, so each box shows its whole value at 1280 px (widgets.WIDE_NARROW).
        controls = widgets.control_rows(*[widgets.WIDE_NARROW] * 3)
        with controls[0]:
            category = widgets.category_select("map_category")
        with controls[1]:
            at = widgets.time_select("map_slot", default="weekend night")
        with controls[2]:
            weight = widgets.weight_select("map_weight")
        with controls[3]:
            age_band = widgets.age_select("map_age")
        with controls[4]:
            threshold = widgets.threshold_select("map_threshold")
    url_state.remember(controls_in_address)
    age_band = widgets.weight_and_age(weight, age_band)
    with answer:
        answers.headline(category, at, age_band, threshold, weight)
        account = answers.out_of_hours(category, at, age_band, threshold, weight)
        answers.ranked_areas(category, at, age_band, threshold, weight)

    study = app_state.current_study()
    register = public_view(study.effective_register())
    lsoa = app_state.coverage_table(
        category, at, "lsoa", age_band, (15, 30, 45, 60, 90, threshold), weight
    )
    district = app_state.coverage_table(category, at, "district", age_band, (threshold,), weight)
    areas = app_state.council_areas()

    label = CATEGORY_LABELS.get(category, category)

    sited = answers.routable(category)

    def build() -> object:
        fmap = maps.base_map()
        if sited:  # no drive minutes (and no empty shading) for services without a site
            maps.add_minutes_choropleth(
                fmap,
                app_state.display_shapes("lsoa"),
                lsoa,
                threshold,
                service_names=app_state.service_names(register),
                title=f"Drive to the nearest open {label.split(' (')[0]}",
            )
        maps.add_council_areas(fmap, areas, district, threshold, services=register)
        maps.add_area_labels(fmap, areas)
        # Refuge shading would hide the choropleth: on for refuges only, else in the list.
        maps.add_confidential_districts(fmap, areas, register, show=category == "refuge")
        # Only the chosen category's sites: every extra marker costs render time.
        maps.add_services(
            fmap,
            register,
            categories=[category],
            name=f"Services: {label}",
            show=True,
            open_at=resolve_slot(at).at,
            when=app_state.describe_slot(at),
        )
        maps.add_layer_control(fmap)
        if account is not None:  # the first view shows every service the answer names
            fmap.fit_bounds(view_bounds(areas, register, account))
        return fmap

    # Built and rendered once per query for every session (issue 8: 20 people opening the
    # app at once each built the same 1.5 MB map); the study key keeps uploads apart.
    map_view.show_map(
        build,
        ("map", category, at, age_band, threshold, weight),
        key="coverage_map",
        height=600,
    )
    confidential = int(register["confidential"].sum())
    widgets.weight_caption(weight)
    shading = (
        f"Shading: population-weighted mean drive minutes per LSOA to the nearest {label} "
        f"open {app_state.describe_slot(at)} ({resolve_slot(at).at}) and open to "
        f"{widgets.age_label(age_band).lower()}. "
        if sited
        else f"No shading: {label} has no site to drive to. "
    )
    st.caption(
        shading
        + service_caption(register, category, label, app_state.describe_slot(at))
        + f" Sites outside Lancashire are drawn too. {confidential} refuges and safe houses "
        "are confidential: they appear only as a count per council area (layer 'Refuges and "
        "safe houses', and the council-area tooltips), never as a point. Minutes are "
        f"modelled drive times on the {study.network_source} road network. "
        + (widgets.evidence_caption(category) if sited else "")
    )


def view_bounds(areas: Any, register: Any, account: HourAccount) -> list[list[float]]:
    """``[[south, west], [north, east]]`` around the council areas and the named services."""
    named = [s.service_id for s in (*account.in_area, *account.cross_border)]
    shown = register[register["id"].isin(named) & register.geometry.notna()]
    frames = [areas.to_crs(MAP_CRS)]
    if len(shown):
        frames.append(shown.to_crs(MAP_CRS))
    west, south, east, north = np.array([f.total_bounds for f in frames]).T
    return [[float(south.min()), float(west.min())], [float(north.max()), float(east.max())]]


if __name__ == "__main__":
    render()
