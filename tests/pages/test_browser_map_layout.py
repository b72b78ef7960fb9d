"""The map on a phone (390 x 844) and on a desktop (1280 x 800), in Chromium, offline.

Issue 21 item 5. Measured with the boxes the browser laid out:

- the map's keys are one "Key" control, closed on a phone and open on a desktop; no
  key, legend or attribution box covers a SARC marker, and none covers more than a
  quarter of the map;
- an opened tooltip (a SARC marker's, tapped; an area's, on the right of the map) lies
  inside the map's box and is drawn above the key;
- on a phone the sidebar closes after a link in it is tapped;
- each page has one title (no app-wide title above the page's header).

Skipped, with the reason, only when ``/usr/bin/chromium`` is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from offline_browser import (
    CHROMIUM,
    MAP_FRAME,
    SKIP_REASON,
    default_app_server,
    offline_page,
    settled,
    wait_for_new_map,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 120_000
#: The SARCs the Map's Saturday 02:00 answer names (Preston, Saint Mary's, the
#: Bridgeway, Merseyside): all in its first view (issue 21 item 1), at least.
SARC_SITES = 4

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)


@pytest.fixture(scope="module")
def server(built_data: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free port, on the default data; always stopped."""
    with default_app_server(built_data, "streamlit-server-map-layout.log") as url:
        yield url


#: In the map's frame: the map's box, the boxes of its keys, legends and attribution,
#: its service markers, and whether the key is open (frame coordinates).
_LAYOUT = """() => {
  const box = (e) => { const r = e.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const keys = Array.from(document.querySelectorAll(
    '.map-key-box, .leaflet-control-attribution, .basemap-note, .map-key'))
    .filter((e) => e.checkVisibility()).map(box)
    .filter((b) => b.right > b.left && b.bottom > b.top);
  const details = document.querySelector('.map-key-box');
  return {map: box(document.querySelector('.leaflet-container')), keys: keys,
          markers: Array.from(document.querySelectorAll('.svc-icon')).map(box),
          open: details ? details.open : null};
}"""

#: In the map's frame: the open tooltip's box, and whether it is the topmost element at
#: its centre (drawn above the keys).
_TOOLTIP = """() => {
  const tip = document.querySelector('.leaflet-tooltip');
  if (!tip) return null;
  const r = tip.getBoundingClientRect();
  tip.style.pointerEvents = 'auto';
  const keys = Array.from(document.querySelectorAll('.map-key-box'));
  let above = true;
  for (const k of keys) {
    const b = k.getBoundingClientRect();
    const left = Math.max(b.left, r.left), right = Math.min(b.right, r.right);
    const top = Math.max(b.top, r.top), bottom = Math.min(b.bottom, r.bottom);
    if (left < right && top < bottom) {
      const hit = document.elementFromPoint((left + right) / 2, (top + bottom) / 2);
      above = above && tip.contains(hit);
    }
  }
  tip.style.pointerEvents = '';
  return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, above: above,
          text: tip.textContent};
}"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> float:
    width = min(a["right"], b["right"]) - max(a["left"], b["left"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return max(width, 0.0) * max(height, 0.0)


def _area(a: dict[str, float]) -> float:
    return (a["right"] - a["left"]) * (a["bottom"] - a["top"])


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["left"] >= outer["left"] - 0.5
        and inner["right"] <= outer["right"] + 0.5
        and inner["top"] >= outer["top"] - 0.5
        and inner["bottom"] <= outer["bottom"] + 0.5
    )


def _open_map(page: Any, server: str) -> tuple[Any, Any]:
    """The Map page, its map drawn and its key placed: (frame element, frame)."""
    page.goto(f"{server}/map", timeout=TIMEOUT_MS)
    # The server's first map builds the study's tables: slow on a busy machine.
    wait_for_new_map(page, None, 3 * TIMEOUT_MS)
    settled(page, TIMEOUT_MS)
    element = page.wait_for_selector(MAP_FRAME)
    element.scroll_into_view_if_needed()
    frame = element.content_frame()
    # The key settles after the frame has its size: two reads alike, 300 ms apart.
    before = None
    for _ in range(60):
        now = frame.evaluate(_LAYOUT)
        if now == before and now["map"]["right"] > 300:
            break
        before = now
        page.wait_for_timeout(300)
    return element, frame


def _hover(page: Any, element: Any, x: float, y: float, *, click: bool) -> None:
    """Move to (or tap) the point (x, y) of the map's frame."""
    frame_box = element.bounding_box()
    page.mouse.move(frame_box["x"] + x, frame_box["y"] + y)
    if click:
        page.mouse.click(frame_box["x"] + x, frame_box["y"] + y)
    page.wait_for_timeout(300)


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)])
def test_keys_leave_the_sarcs_in_view_and_tooltips_stay_inside(
    server: str, width: int, height: int
) -> None:
    with offline_page({"width": width, "height": height}) as (page, _):
        element, frame = _open_map(page, server)
        layout = frame.evaluate(_LAYOUT)
        page.screenshot(path=str(ARTIFACTS / f"map_layout_{width}px.png"))
        shown = layout["map"]
        markers = [m for m in layout["markers"] if _inside(m, shown)]
        assert len(markers) >= SARC_SITES, layout
        # One key: a button on a phone, open on a desktop.
        assert layout["open"] is (width >= 600), layout
        assert layout["keys"], layout
        for key in layout["keys"]:
            assert _area(key) <= 0.25 * _area(shown), (width, key)
            for marker in markers:
                assert _overlap(key, marker) == 0, (width, key, marker)

        # A SARC marker's tooltip: the marker furthest right.
        right = max(markers, key=lambda m: m["right"])
        _hover(page, element, right["left"] + 9, right["top"] + 9, click=False)
        tip = frame.evaluate(_TOOLTIP)
        assert tip is not None and tip["text"], tip
        assert _inside(tip, shown), (width, tip, shown)
        assert tip["above"], tip

        # An area's tooltip (seven rows), on the right of the county.
        point = frame.evaluate(
            "() => { const m = window.map || Object.values(window).find("
            "(v) => v instanceof L.Map); const p = m.latLngToContainerPoint([53.80, -2.24]);"
            " return [p.x, p.y]; }"
        )
        _hover(page, element, point[0], point[1], click=width < 600)
        tip = frame.evaluate(_TOOLTIP)
        assert tip is not None and "Mean drive" in tip["text"], tip
        assert _inside(tip, shown), (width, tip, shown)
        assert tip["above"], tip
        element.screenshot(path=str(ARTIFACTS / f"map_layout_tooltip_{width}px.png"))


def test_a_phone_has_one_title_and_the_sidebar_closes_after_a_link(server: str) -> None:
    with offline_page({"width": 390, "height": 844}) as (page, _):
        page.goto(f"{server}/map", timeout=TIMEOUT_MS)
        headline = page.get_by_text("would travel outside the county").first
        headline.wait_for(timeout=TIMEOUT_MS)
        settled(page, TIMEOUT_MS)
        main = page.locator("[data-testid='stMain']")
        assert main.locator("h1").count() == 0
        assert main.locator("h2").count() == 1
        # The answer starts in the top half of the first screen.
        box = headline.bounding_box()
        assert box is not None and box["y"] < 844 / 2, box

        sidebar = page.locator("[data-testid='stSidebar']")
        assert sidebar.get_attribute("data-collapsed") == "true"
        page.locator("[data-testid='stExpandSidebarButton']").first.click()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=stSidebar]')"
            ".getAttribute('data-collapsed') === 'false'",
            timeout=TIMEOUT_MS,
        )
        page.locator("[data-testid='stPageLink-NavLink'][href='week']").first.click()
        page.get_by_text("The worst hour is").first.wait_for(timeout=TIMEOUT_MS)
        settled(page, TIMEOUT_MS)
        assert sidebar.get_attribute("data-collapsed") == "true"
        assert main.locator("h1").count() == 0 and main.locator("h2").count() == 1
        page.screenshot(path=str(ARTIFACTS / "week_after_link_390px.png"))
