"""Streamlit entry point: navigation, sidebar and attribution; the pages are in app/.

Run ``streamlit run app.py`` (``make app``). The raw public sources are found as for
the CLI: ``streamlit run app.py -- --sources DIR``, else ``$SERVICE_MAP_SOURCES``, else
``../shared/data``. There is no analysis here: pages call the ``mapping`` package.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import kept, url_state
from app import state as app_state

st.set_page_config(
    page_title="Lancashire victim-service coverage",
    page_icon="🗺️",  # an emoji: a material icon would fetch a font from the network
    layout="wide",
)

_PAGES = Path(__file__).parent / "app"
#: Streamlit's own sidebar menu folds itself away after a tap on a phone; its page links
#: (``st.page_link``, used here so that every page has a deep link) do not. Below
#: Streamlit's ``md`` breakpoint (768 px), where the sidebar covers the page, a tap on a
#: link presses the sidebar's own collapse button. A constant script: no text in it
#: comes from a user.
_CLOSE_SIDEBAR_ON_NAVIGATION = """<script>
(function () {
  if (window.closeSidebarOnNavigation) { return; }
  window.closeSidebarOnNavigation = true;
  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest(
      '[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]');
    if (!link || window.innerWidth > 768) { return; }
    var button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (button) { button.click(); }
  }, true);
})();
</script>"""

pages = [
    st.Page(_PAGES / "map.py", title="Map", icon=":material/map:", url_path="map"),
    st.Page(
        _PAGES / "sarc.py", title="SARC access", icon=":material/local_hospital:", url_path="sarc"
    ),
    st.Page(_PAGES / "week.py", title="Week", icon=":material/calendar_month:", url_path="week"),
    st.Page(
        _PAGES / "coverage.py", title="Coverage", icon=":material/table_chart:", url_path="coverage"
    ),
    st.Page(
        _PAGES / "need.py", title="Need and equity", icon=":material/balance:", url_path="need"
    ),
    st.Page(
        _PAGES / "without_car.py",
        title="Without a car",
        icon=":material/directions_walk:",
        url_path="without-car",
    ),
    st.Page(_PAGES / "gaps.py", title="Gaps", icon=":material/warning:", url_path="gaps"),
    st.Page(_PAGES / "pathways.py", title="Pathways", icon=":material/route:", url_path="pathways"),
    st.Page(
        _PAGES / "scenarios.py",
        title="Scenarios",
        icon=":material/alt_route:",
        url_path="scenarios",
    ),
    st.Page(_PAGES / "optimise.py", title="Optimise", icon=":material/tune:", url_path="optimise"),
    st.Page(
        _PAGES / "services.py", title="Services", icon=":material/list_alt:", url_path="services"
    ),
    st.Page(_PAGES / "about.py", title="About", icon=":material/info:", url_path="about"),
]
# Streamlit serves its default page only at the root, so "/map" would be "Page not
# found": the root is its own page (the Map again) and the menu is drawn below, so
# every page, the Map included, has a working deep link.
home = st.Page(_PAGES / "map.py", title="Map", icon=":material/map:", url_path="home", default=True)
page = st.navigation([home, *pages], position="hidden")
with app_state.guard():
    kept.start()  # this tab's token in the address; a reload gets its upload and scenario back

with st.sidebar:
    for entry_page in pages:
        st.page_link(entry_page)
    st.divider()
    st.markdown("**Lancashire victim-service coverage**")
    entry = app_state.session_register()
    if entry is None:
        st.caption("Register: the published register (data/services.csv).")
    else:
        st.caption(
            f"Register: your upload **{entry.name}** ({entry.records} records), this session only."
        )

    # Attribution on every page (Open Government Licence v3.0), drawn before the page so
    # it shows while the page computes.
    st.divider()
    for line in app_state.attribution_lines():
        st.caption(line)
    st.caption(f"lancashire-service-map {app_state.software_version()}")
    # On a narrow screen the sidebar lies over the page: a tapped link closes it.
    st.html(_CLOSE_SIDEBAR_ON_NAVIGATION, unsafe_allow_javascript=True)

# One title per page: the page's own header (the app's name is the browser tab's title
# and heads the sidebar), so a phone's first screen is not half titles.
with app_state.guard():
    # Every page needs the study: load it here so the first run shows its progress once.
    app_state.current_study()
    url_state.enter(page.url_path)  # a page arrived at takes its kept (or linked) settings
    try:
        page.run()
    finally:
        kept.keep()  # also when the page stops or reruns early
