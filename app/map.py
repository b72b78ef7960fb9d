"""Map page: drive minutes to the nearest open service, by LSOA, with the services.

Opens on the headline question: where is the nearest open SARC on a weekday daytime
and at Saturday 02:00? The sentence above the map comes from ``Study.sarc_access``.
"""

from __future__ import annotations

import streamlit as st

from app import state as app_state
from app import widgets
from mapping.inputs.register import public_view
from mapping.inputs.when import resolve_slot
from mapping.outputs import maps
from mapping.outputs.captions import service_caption
from mapping.outputs.maps import CATEGORY_LABELS


def _headline(
    category: str, at: str, age_band: str | None, threshold: int, weight: str = "residents"
) -> None:
    """The sentence above the map, and the Lancashire figures as metrics."""
    who = widgets.WEIGHT_SHORT[weight]
    if category == "sarc":
        slots = ["weekday daytime", at] if resolve_slot(at).name != "weekday daytime" else [at]
        table = app_state.sarc_table(slots, weight)
        widgets.headline(app_state.sarc_headline(table, at))
        totals = table[table["area_code"] == "TOTAL"].reset_index(drop=True)
        chosen = totals[totals["slot"] == resolve_slot(at).at].iloc[0]
        columns = st.columns(4)
        columns[0].metric(
            "Nearest open SARC outside Lancashire",
            f"{100 * chosen['share_nearest_outside_lancashire']:.0f}%",
        )
        columns[1].metric(
            "Mean drive to the nearest open SARC",
            f"{chosen['mean_minutes']:.0f} min",
            delta=(
                f"{chosen['minutes_added']:+.0f} min vs weekday daytime"
                if len(totals) > 1
                else None
            ),
            delta_color="inverse",
        )
        columns[2].metric(f"{who} over 60 min away", f"{chosen['population_over_60']:,.0f}")
        columns[3].metric(f"{who} over 90 min away", f"{chosen['population_over_90']:,.0f}")
        return
    total = app_state.coverage_table(category, at, "district", age_band, (threshold,), weight)
    row = total[total["area_code"] == "TOTAL"].iloc[0]
    label = CATEGORY_LABELS.get(category, category)
    when = app_state.describe_slot(at)
    if row["population_unreached"] >= row["eligible_population"]:
        widgets.headline(f"{when[0].upper()}{when[1:]}, no {label} is open and within reach.")
        return
    counted = "eligible residents live" if weight == "residents" else f"{who.lower()} are"
    widgets.headline(
        f"{when[0].upper()}{when[1:]}, {100 * row[f'share_within_{threshold:g}']:.0f}% "
        f"of {counted} within {threshold} minutes' drive of an open {label}."
    )
    columns = st.columns(3)
    columns[0].metric("Mean drive", f"{row['mean_minutes']:.0f} min")
    columns[1].metric(
        "Nearest open service outside Lancashire",
        f"{100 * row['share_nearest_outside_lancashire']:.0f}%",
    )
    columns[2].metric(
        "No eligible open service", f"{row['population_unreached']:,.0f} {who.lower()}"
    )


def render() -> None:
    """Draw the page."""
    st.header("Drive time to the nearest open service")
    controls = st.columns(5)
    with controls[0]:
        category = widgets.category_select("map_category")
    with controls[1]:
        at = widgets.time_select("map_slot", default="weekend night")
    with controls[2]:
        age_band = widgets.age_select("map_age")
    with controls[3]:
        threshold = widgets.threshold_select("map_threshold")
    with controls[4]:
        weight = widgets.weight_select("map_weight")
    age_band = widgets.weight_and_age(weight, age_band)

    _headline(category, at, age_band, threshold, weight)

    study = app_state.current_study()
    register = public_view(study.effective_register())
    lsoa = app_state.coverage_table(
        category, at, "lsoa", age_band, (15, 30, 45, 60, 90, threshold), weight
    )
    district = app_state.coverage_table(category, at, "district", age_band, (threshold,), weight)
    areas = app_state.council_areas()

    label = CATEGORY_LABELS.get(category, category)

    def build() -> object:
        fmap = maps.base_map()
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
        return fmap

    # Built and rendered once per query for every session (issue 8: 20 people opening the
    # app at once each built the same 1.5 MB map); the study key keeps uploads apart.
    app_state.show_map(
        build,
        ("map", category, at, age_band, threshold, weight),
        key="coverage_map",
        height=600,
    )
    confidential = int(register["confidential"].sum())
    widgets.weight_caption(weight)
    st.caption(
        f"Shading: population-weighted mean drive minutes per LSOA to the nearest {label} "
        f"open {app_state.describe_slot(at)} ({resolve_slot(at).at}) and open to "
        f"{widgets.age_label(age_band).lower()}. "
        + service_caption(register, category, label, app_state.describe_slot(at))
        + f" Sites outside Lancashire are drawn too. {confidential} refuges and safe houses "
        "are confidential: they appear only as a count per council area (layer 'Refuges and "
        "safe houses', and the council-area tooltips), never as a point. Minutes are "
        f"modelled drive times on the {study.network_source} road network. "
        + widgets.evidence_caption(category)
    )
    if category in ("refuge", "helpline"):
        st.info(
            f"{label} records have no public site to drive to (confidential addresses or "
            "telephone lines), so no drive time is computed for them."
        )


if __name__ == "__main__":
    render()
