"""About page: method, data sources with checksums, attribution and limitations."""

from __future__ import annotations

import os
import re

import pandas as pd
import streamlit as st

from app import state as app_state
from app.tables import words
from mapping.errors import ServiceMapError
from mapping.geography import GeographyPaths
from mapping.inputs.sources import CATALOGUE, SOURCES_ENV, locate_sources
from mapping.inputs.when import NAMED_SLOTS
from mapping.store import default_data_dir, read_meta, repo_root


@st.cache_data(show_spinner="Verifying the raw sources' checksums…")
def _source_table(explicit: str | None, env: str) -> tuple[pd.DataFrame, str]:
    """Every catalogued source with its SHA-256, verified against SHA256SUMS."""
    sources = locate_sources(explicit)
    sums = sources.verify_all()  # raises SourceError naming a missing or corrupt file
    rows = [
        {
            "file": spec.relpath,
            "sha256": sums.get(spec.relpath, ""),
            "title": spec.title,
            "publisher": spec.publisher,
            "converted": "yes" if spec.converted else "",
        }
        for spec in CATALOGUE.values()
    ]
    checked = "checked against SHA256SUMS" if sources.has_checksums else "no SHA256SUMS to check"
    # The folder's name only: a page must not show where files sit on the server.
    return pd.DataFrame(rows), f"the folder '{sources.root.name}' ({checked})"


def _doc_section(path: str, heading: str) -> str | None:
    """One ``## heading`` section of a Markdown file in the repository (None if absent)."""
    try:
        text = (repo_root() / path).read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match.group(1).strip() if match else None


#: The offline network's edge classes in words (mapping.network.params.OfflineParams).
_ROAD_CLASSES = {
    "urban": "minor road, built up",
    "suburban": "minor road, suburban",
    "rural": "minor road, rural",
    "link": "link to the streets (slip road, 'A'-road junction)",
    "a_road": "'A' road, national speed limit",
    "a_road_built_up": "'A' road, 30 mph",
    "motorway": "motorway",
}


def _network() -> None:
    study = app_state.current_study()
    meta = study.engine.network.meta
    st.subheader("Drive times")
    st.markdown(
        f"Drive minutes come from the **{study.network_source}** road network "
        "(docs/network.md). The offline default is built from OS Code-Point Open postcodes "
        "(local roads joined between neighbouring postcodes, lengths times a circuity of "
        "1.2) as minor roads, the real motorways of OS Open Roads and the real 'A' roads "
        "of the DfT Major Road Database (service areas are not exits). Speeds follow DfT "
        "road-traffic statistics by road class and settlement density; the weekday peak "
        "(07:00-10:00, 16:00-19:00), the weekday inter-peak (10:00-16:00) and the weekend "
        "day (07:00-19:00) divide them by DfT-based ratios of average to free-flow speed "
        "(the weekend ratio is inferred), night uses free-flow speeds."
    )
    speeds = meta.get("speeds_mph") or meta.get("params", {}).get("speeds_mph") or {}
    if speeds:
        # Per profile ({profile: {road class: mph}}) as built, or one profile's speeds.
        profiles = (
            speeds if all(isinstance(v, dict) for v in speeds.values()) else {"free_flow": speeds}
        )
        table = pd.DataFrame(profiles).rename(index=lambda c: _ROAD_CLASSES.get(c, words(c)))
        table = table.rename_axis("Road class").reset_index()
        table = table.rename(
            columns={
                "free_flow": "night: free flow (mph)",
                "daytime": "weekday inter-peak (mph)",
                "weekday_peak": "weekday peak (mph)",
                "weekend_day": "weekend day (mph)",
            }
        )
        st.dataframe(table.round(1), hide_index=True)
    params = meta.get("params", {})
    st.caption(
        "Daytime speed ratio: motorways "
        f"{params.get('daytime_ratio_motorway', float('nan')):.3f}, other roads "
        f"{params.get('daytime_ratio_local', float('nan')):.3f}; circuity "
        f"{params.get('circuity', float('nan'))}. Network: {study.engine.network.n_nodes:,} "
        f"nodes, {study.engine.network.n_edges:,} links. Weekday peaks 07:00-10:00 and "
        "16:00-19:00, inter-peak 10:00-16:00, weekend day 07:00-19:00."
    )


def render() -> None:
    """Draw the page."""
    st.header("About this tool")
    st.markdown(
        "This tool answers one question for Lancashire's victim-service commissioners: "
        "**how far is each resident, by car, from the nearest service of a kind that is "
        "open at a given time and open to them?** It is open source; every figure is "
        "computed by the `mapping` package from open public data, and can be reproduced "
        "with its command line (`service-map`)."
    )
    _network()
    st.subheader("Population")
    st.markdown(
        "Residents are the Census 2021 usual residents of Lancashire's 945 LSOAs "
        "(1,531,079 people), in six age bands. A polygon's centroid can fall in a field or "
        "a reservoir, so each LSOA's residents are spread in equal shares over the OS "
        "Code-Point Open postcode units inside it (units trace the streets people live on); "
        "drive times are measured from those population-weighted origins and every "
        "statistic (mean, median, 90th percentile, shares within N minutes) is weighted by "
        "the eligible residents: everybody, or the chosen age band."
    )
    st.subheader("Opening hours and eligibility")
    slots = ", ".join(f"{s.name} = {s.at}" for s in NAMED_SLOTS)
    st.markdown(
        "Each service's hours are stored in OpenStreetMap opening-hours syntax in the "
        "register (data/services.csv), with whether they are published or assumed. A time "
        "of week is checked on a reference week with no public holiday (9-15 June 2025); "
        f"the named slots are {slots}. A time the hours leave unknown counts as closed. A "
        "service counts for a resident only if it is open then, serves their age band and "
        "(where chosen) the crime type. Refuges and safe houses are confidential: they are "
        "never routed to or shown as points, only counted by council area."
    )
    st.subheader("Data sources")
    try:
        table, where = _source_table(app_state.sources_option(), os.environ.get(SOURCES_ENV, ""))
        st.caption(f"Raw files read from {where}.")
        st.dataframe(table, hide_index=True, width="stretch")
    except ServiceMapError as exc:
        st.warning(f"The raw sources cannot be verified here: {exc}")
    built = []
    paths = GeographyPaths(app_state.current_study().data_dir or default_data_dir())
    for name, path in (
        ("boundaries", paths.boundaries),
        ("population", paths.population),
        ("postcodes", paths.postcodes),
        ("origins", paths.origins),
    ):
        meta = read_meta(path) or {}
        built.append({"built data": name, "file": path.name, "built at": meta.get("built_at")})
    st.dataframe(pd.DataFrame(built), hide_index=True)

    st.subheader("Attribution")
    st.markdown("\n".join(f"- {line}" for line in app_state.attribution_lines()))
    st.caption("All data are open data under the Open Government Licence v3.0.")

    st.subheader("Limitations")
    st.markdown(
        "- Drive times are **modelled**, not measured: no traffic incidents, no public "
        "transport, no walking. Most victims reach a SARC by police or health transport; "
        "the figures compare access between places and times, they are not journey "
        "promises.\n"
        "- No official travel-time standard exists for these services: every minute "
        "threshold is an analysis choice.\n"
        "- Opening hours marked *assumed* in the register are office hours where no hours "
        "were published; the Preston SAFE Centre's weekday hours are the reference's own "
        "inference. Public holidays: the opening-hours library knows only the UK-wide ones.\n"
        "- Services by phone, video or outreach at home are not drive-time questions; "
        "county-wide helplines have no site and are not routed."
    )
    network_limits = _doc_section("docs/network.md", "Limitations")
    if network_limits:
        with st.expander("Limitations of the road network model (docs/network.md)"):
            st.markdown(network_limits)


if __name__ == "__main__":
    render()
