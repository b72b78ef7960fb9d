"""Streamlit entry point: pages and widgets only; the analysis lives in ``mapping``."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from mapping import ATTRIBUTION, geography, maps, services
from mapping.errors import ServiceMapError
from mapping.sources import locate_sources

st.set_page_config(page_title="Lancashire victim-service coverage", layout="wide")


@st.cache_resource(show_spinner="Building the study-area data from the public sources…")
def _council_areas():
    # First run on a fresh machine builds the data; later runs find it fresh.
    sources = locate_sources()
    geography.build(sources)
    return geography.load_council_areas()


@st.cache_data(show_spinner=False)
def _register():
    return services.public_view(services.load_register())


st.title("Lancashire victim-service coverage")
try:
    areas = _council_areas()
    register = _register()
except ServiceMapError as exc:
    st.error(str(exc))
    st.stop()

located = register[register.geometry.notna() & ~register["confidential"]]
st.caption(
    f"{len(register)} services in the register: {len(located)} shown as points; "
    f"{int(register['confidential'].sum())} confidential sites shown only by council area."
)
fmap = maps.base_map()
maps.add_council_areas(fmap, areas)
maps.add_confidential_districts(fmap, areas, register)
maps.add_services(fmap, register)
st_folium(fmap, height=620, use_container_width=True, returned_objects=[])
st.dataframe(register.drop(columns="geometry"), hide_index=True)
st.caption(" ".join(ATTRIBUTION))
