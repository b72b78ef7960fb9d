"""The app in a real browser: Debian's Chromium driven by Playwright.

Starts ``streamlit run app.py`` on a free port with the default data, waits for its
health check, opens the Map page, switches the time slot from weekday daytime to
Saturday 02:00 and checks that the headline changes, checks that no confidential
service reaches the page or the map, opens every other page, and saves screenshots
under ``test-artifacts/`` (git-ignored).

Offline browsers
    Every request to another host is blocked (``offline_browser.offline_page``), and
    nothing is served in its place: the map's scripts come from the app itself
    (``mapping.outputs.map_assets``), so the Map and Scenarios pages must draw their
    polygons with no internet. Only map tiles may be asked for; the offline basemap
    shows instead.

Skipped, with the reason, only when ``/usr/bin/chromium`` is absent (``.ci/run``
installs it, so CI runs this test).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from offline_browser import (
    CHROMIUM,
    MAP_FRAME,
    SKIP_REASON,
    code_or_styles,
    default_app_server,
    drawn,
    drawn_charts,
    map_id,
    not_tiles,
    offline_page,
    settled,
    wait_for_new_map,
)

from mapping.inputs.register import load_register

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 120_000

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)


@pytest.fixture(scope="module")
def server(built_data: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free port, on the default data; always stopped."""
    with default_app_server(built_data, "streamlit-server.log") as url:
        yield url


def _headline(page: object) -> str:
    locator = page.get_by_text(re.compile(r"would travel outside the county"))  # type: ignore[attr-defined]
    locator.first.wait_for(timeout=TIMEOUT_MS)
    return str(locator.first.inner_text())


def _open(page: Any, server: str, path: str) -> None:
    """Go to the app's page ``path`` as a person would: by its link in the sidebar.

    Moving within the app keeps the session (a reload starts a new one, which costs
    seconds and is not what a person does). The first visit, or a narrow screen whose
    sidebar is folded away, loads the page's address instead.
    """
    link = page.locator(f"[data-testid='stPageLink-NavLink'][href='{path}']")
    box = link.first.bounding_box() if page.url.startswith(server) and link.count() else None
    if box is not None and box["x"] >= 0 and box["width"] > 0:  # not folded off-screen
        link.first.click()
    else:
        page.goto(f"{server}/{path}", timeout=TIMEOUT_MS)


def _choose_slot(page: object, label: str) -> None:
    """Pick ``label`` in the Time slot box, as a person would: open it, click the option.

    A rerun of the page can close an open list before the option is clicked (the box is
    drawn again), so the list is opened again, up to three times.
    """
    box = page.locator("[data-testid='stSelectbox']").filter(has_text="Time slot")  # type: ignore[attr-defined]
    option = page.get_by_role("option", name=label)  # type: ignore[attr-defined]
    for attempt in range(3):
        settled(page, TIMEOUT_MS)
        box.first.click()
        try:
            option.first.wait_for(timeout=10_000)
        except Exception:  # the list closed or never opened: open it again
            if attempt == 2:
                raise
            page.keyboard.press("Escape")  # type: ignore[attr-defined]
            continue
        option.first.click()
        return


def _wait_for_map(page: object) -> object:
    page.wait_for_selector(MAP_FRAME, timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    frame = page.frame_locator(MAP_FRAME)  # type: ignore[attr-defined]
    frame.locator(".leaflet-container").first.wait_for(timeout=TIMEOUT_MS)
    frame.locator(".leaflet-overlay-pane canvas").first.wait_for(timeout=TIMEOUT_MS)
    return frame


def _assert_map_drawn(page: object, name: str) -> None:
    """The map frame has a visible height and its polygons are drawn on the canvas."""
    element = page.wait_for_selector(MAP_FRAME)  # type: ignore[attr-defined]
    box = element.bounding_box()
    assert box is not None and box["height"] > 300, f"{name}: map frame is {box}"
    seen = drawn(element.content_frame())
    # The 945 LSOAs (shaded) and the 14 council areas, projected and drawn.
    assert seen["polygons"] >= 945, f"{name}: {seen}"
    # The Map's first view also takes in the SARCs over the border that its answer names
    # (issue 21), so Lancashire fills less of it than a county-only view: 20,000, not 50,000.
    assert seen["pixels"] > 20_000, f"{name}: {seen}"
    assert seen["fallback"] == 0, f"{name}: the 'map could not be drawn' message is shown"
    assert seen["note"].startswith("Basemap: offline"), f"{name}: {seen}"


def _marker_positions(page: object) -> list[tuple[float, float]]:
    """Every service marker on the Leaflet map (clustered ones included), as (lat, lon)."""
    element = page.wait_for_selector(MAP_FRAME)  # type: ignore[attr-defined]
    frame = element.content_frame()
    return [
        (float(lat), float(lon))
        for lat, lon in frame.evaluate(
            """() => {
              const out = [];
              const seen = new Set();
              const add = (layer) => {
                if (seen.has(layer)) return;
                seen.add(layer);
                if (layer instanceof L.MarkerClusterGroup) {
                  layer.getLayers().forEach(add);
                } else if (layer instanceof L.Marker) {
                  const icon = layer.options.icon;
                  // Council-area and ward names are text markers inside each area.
                  const name = icon && icon.options.className;
                  if (name === 'area-label' || name === 'offline-place') return;
                  const p = layer.getLatLng();
                  out.push([p.lat, p.lng]);
                } else if (layer.eachLayer) {
                  layer.eachLayer(add);
                }
              };
              window.map.eachLayer(add);
              return out;
            }"""
        )
    ]


def test_map_page_in_a_browser(server: str) -> None:
    register = load_register()
    confidential = register[register["confidential"]]
    assert len(confidential) > 0
    # The register itself holds no location for a confidential record.
    assert confidential.geometry.isna().all()
    assert confidential[["lat", "lon"]].isna().all().all()
    public = register[~register["confidential"] & register.geometry.notna()].to_crs(4326)
    public_points = {(round(p.y, 4), round(p.x, 4)) for p in public.geometry}

    with offline_page({"width": 1500, "height": 1300}) as (page, blocked):
        page.goto(server, timeout=TIMEOUT_MS)

        # The page opens on Saturday 02:00; start from weekday daytime as a user would.
        _headline(page)
        wait_for_new_map(page, None, TIMEOUT_MS)
        settled(page, TIMEOUT_MS)
        opening_map = map_id(page)
        _choose_slot(page, "Weekday daytime (Tue 10:00)")
        page.get_by_text(re.compile(r"^On a weekday at 10:00")).first.wait_for(timeout=TIMEOUT_MS)
        weekday = _headline(page)
        wait_for_new_map(page, opening_map, TIMEOUT_MS)
        settled(page, TIMEOUT_MS)
        page.screenshot(path=str(ARTIFACTS / "map_weekday_daytime.png"), full_page=True)

        weekday_map = map_id(page)
        _choose_slot(page, "Weekend night (Sat 02:00)")
        page.get_by_text(re.compile(r"^At Saturday 02:00")).first.wait_for(timeout=TIMEOUT_MS)
        night = _headline(page)
        assert weekday != night
        assert re.search(r"^On a weekday at 10:00, \d+% of Lancashire", weekday)
        assert re.search(r"^At Saturday 02:00, \d+% of Lancashire", night)
        assert "(" in night and "on a weekday at 10:00" in night
        # Read the Saturday map, not the weekday one it replaces.
        wait_for_new_map(page, weekday_map, TIMEOUT_MS)
        frame = _wait_for_map(page)
        page.screenshot(path=str(ARTIFACTS / "map_saturday_0200.png"), full_page=True)

        # No confidential record anywhere: not in the page, not in the map.
        html_page = page.content()
        html_map = page.wait_for_selector(MAP_FRAME).content_frame().content()
        for _, record in confidential.iterrows():
            for text in (record["id"], record["name"]):
                assert text not in html_page
                assert text not in html_map
        markers = _marker_positions(page)
        assert markers, "the SARC markers should be on the map"
        for lat, lon in markers:
            assert (round(lat, 4), round(lon, 4)) in public_points
        assert frame.locator(".leaflet-container").count() == 1
        # Answers first: the council areas ranked by residents beyond the threshold.
        page.get_by_text("Council areas by residents beyond 60 minutes").first.wait_for(
            timeout=TIMEOUT_MS
        )

        _assert_map_drawn(page, "Map page")
        page.wait_for_selector(MAP_FRAME).screenshot(path=str(ARTIFACTS / "map_offline.png"))
    # No script, stylesheet or font was asked of the network (nothing is served instead),
    # and the map frame asked only for its tiles (the page icon is an emoji: no font).
    assert code_or_styles(blocked) == []
    assert not_tiles(blocked) == []


#: Each page, and a text that shows it has drawn its main content.
PAGES = {
    "map": "Council areas by residents beyond",
    "sarc": "Each bar counts",
    "week": "The worst hour is",
    "optimise": "The plan's advantage",
    "coverage": "Distribution of drive minutes by council area",
    "need": "Capacity against published benchmarks",
    "gaps": "Gaps shown",
    "pathways": "Every way in",
    "scenarios": "Slot shown on the map",
    "services": "Use a different register for this session",
    "about": "Limitations of the road network model",
}


def test_every_page_in_a_browser(server: str) -> None:
    # Tall enough that each page's charts and tables are in the screenshot.
    with offline_page({"width": 1500, "height": 2400}) as (page, blocked):
        for path, marker in PAGES.items():
            _open(page, server, path)
            page.get_by_text(marker).first.wait_for(timeout=TIMEOUT_MS)
            # Streamlit shows a spinner while a rerun is going; wait until it is done.
            settled(page, TIMEOUT_MS)
            if page.locator("[data-testid=stVegaLiteChart]").count():
                drawn_charts(page, TIMEOUT_MS)  # drawn, for the screenshot
            assert page.locator("[data-testid='stException']").count() == 0, path
            attribution = page.locator("[data-testid='stSidebar']").inner_text()
            assert "Royal Mail" in attribution and "Contains OS data" in attribution
            page.screenshot(path=str(ARTIFACTS / f"page_{path}.png"), full_page=True)

        # A scenario compared in the browser: the example SARC in Burnley.
        _open(page, server, "scenarios")
        settled(page, TIMEOUT_MS)
        before = map_id(page)
        page.get_by_role("button", name="Load example").click(timeout=TIMEOUT_MS)
        page.get_by_text("Save and export").first.wait_for(timeout=TIMEOUT_MS)
        wait_for_new_map(page, before, TIMEOUT_MS)
        settled(page, TIMEOUT_MS)
        assert page.locator("[data-testid='stException']").count() == 0
        _assert_map_drawn(page, "Scenarios page")
        page.screenshot(path=str(ARTIFACTS / "page_scenarios_compared.png"), full_page=True)
    assert code_or_styles(blocked) == []


def _charts(page: Any, path: str, marker: str, server: str) -> list[dict[str, Any]]:
    _open(page, server, path)
    page.get_by_text(marker).first.wait_for(timeout=TIMEOUT_MS)
    settled(page, TIMEOUT_MS)
    return drawn_charts(page, TIMEOUT_MS)


def _top(page: Any, locator: Any) -> float:
    box = locator.first.bounding_box()
    assert box is not None
    return float(box["y"])


@pytest.mark.parametrize("width", [390, 1280])
def test_narrow_screens_answer_first_and_whole_chart_labels(server: str, width: int) -> None:
    days = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
    with offline_page({"width": width, "height": 900}) as (page, _):
        charts = {
            "week": _charts(page, "week", "The worst hour is", server),
            "sarc": _charts(page, "sarc", "Each bar counts", server),
            "coverage": _charts(page, "coverage", "Distribution of drive minutes", server),
        }
        for path, drawn_charts in charts.items():
            assert drawn_charts, path
            for chart in drawn_charts:
                for text in chart["texts"]:
                    # Inside its chart and the window, and never cut short with an ellipsis.
                    assert chart["left"] - 1 <= text["left"], (width, path, text)
                    assert text["right"] <= min(chart["right"], width) + 1, (width, path, text)
                    assert not text["text"].endswith("…"), (width, path, text)
        for chart in charts["week"]:
            assert days <= {t["text"] for t in chart["texts"] if t["shown"]}, width
        names = {t["text"] for t in charts["coverage"][0]["texts"] if t["shown"]}
        assert {"Blackburn with Darwen", "West Lancashire", "Wyre"} <= names, width
        page.screenshot(path=str(ARTIFACTS / f"coverage_{width}px.png"))

        if width > 400:
            return
        # On a phone the columns stack: the answer must come before the controls.
        page.goto(server, timeout=TIMEOUT_MS)
        headline = page.get_by_text(re.compile(r"would travel outside the county"))
        headline.first.wait_for(timeout=TIMEOUT_MS)
        ranked = page.get_by_text("Council areas by residents beyond 60 minutes")
        ranked.first.wait_for(timeout=TIMEOUT_MS)
        control = page.locator("[data-testid='stSelectbox']").filter(has_text="Service")
        assert _top(page, headline) < _top(page, ranked) < _top(page, control)
        page.screenshot(path=str(ARTIFACTS / "map_390px.png"))
        page.goto(f"{server}/sarc", timeout=TIMEOUT_MS)
        headline = page.get_by_text(re.compile(r"would travel outside the county"))
        headline.first.wait_for(timeout=TIMEOUT_MS)
        slots = page.locator("[data-testid='stMultiSelect']")
        assert _top(page, headline) < _top(page, slots)


def test_optimise_page_leads_with_the_options_in_words(server: str) -> None:
    """Issue 20: the appraisal, in words first, then its table with ranges."""
    with offline_page({"width": 1400, "height": 2000}) as (page, _):
        _open(page, server, "optimise")
        heading = page.get_by_text("The options side by side")
        heading.first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Compare the options").click(timeout=TIMEOUT_MS)
        words = page.get_by_text(re.compile(r"^Opening .* at night \(19:00-07:00\) would leave"))
        words.first.wait_for(timeout=4 * TIMEOUT_MS)
        settled(page, TIMEOUT_MS)
        assert page.locator("[data-testid='stException']").count() == 0
        sentence = words.first.inner_text()
        assert "beyond 60 minutes at Sat 02:00" in sentence and "(today " in sentence
        # The section comes before the hours and sites tabs.
        tabs = page.get_by_role("tab", name="Extra opening hours")
        assert _top(page, heading) < _top(page, words) < _top(page, tabs)
        assert page.get_by_text(re.compile(r"^A new 24/7 site at ")).count() >= 1
        assert page.get_by_text("already reaches everyone within 60 minutes").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "optimise_appraisal.png"), full_page=True)
