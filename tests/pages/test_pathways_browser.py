"""The Pathways page in a real, offline browser: the Sankey draws with no internet.

Like ``test_browser.py``: Debian's Chromium driven by Playwright, every request to
another host blocked (``offline_browser.offline_page``). Skipped, with the reason, only
when ``/usr/bin/chromium`` is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from offline_browser import (
    CHROMIUM,
    SKIP_REASON,
    code_or_styles,
    default_app_server,
    offline_page,
    settled,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 120_000

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)


@pytest.fixture(scope="module")
def server(built_data: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free port, on the default data; always stopped."""
    with default_app_server(built_data, "streamlit-server-pathways.log") as url:
        yield url


_LINKS = """() => Array.from(document.querySelectorAll('svg[data-sankey=pathways] path'))
  .map((p) => {
    const r = p.getBoundingClientRect();
    return {state: p.getAttribute('data-state'), width: r.width, height: r.height,
            opacity: parseFloat(getComputedStyle(p).strokeOpacity),
            dash: p.getAttribute('stroke-dasharray')};
  })"""


def test_pathways_sankey_draws_offline(server: str) -> None:
    with offline_page({"width": 1500, "height": 1300}) as (page, blocked):
        page.goto(f"{server}/pathways", timeout=TIMEOUT_MS)
        page.wait_for_selector("svg[data-sankey=pathways]", timeout=TIMEOUT_MS)
        settled(page, TIMEOUT_MS)
        links = page.evaluate(_LINKS)
        page.screenshot(path=str(ARTIFACTS / "pathways_sankey.png"), full_page=True)
        states = {link["state"] for link in links}
        assert {"open", "closed", "barred"} <= states, links
        # every link is drawn with a size on the page
        assert all(link["width"] > 0 for link in links), links  # a level link has no height
        opened = [link["opacity"] for link in links if link["state"] == "open"]
        faded = [link["opacity"] for link in links if link["state"] == "closed"]
        assert min(opened) > max(faded)  # open solid, closed faded
        assert all(link["dash"] for link in links if link["state"] == "barred")
        box = page.locator("svg[data-sankey=pathways]").bounding_box()
        assert box is not None and box["width"] > 600 and box["height"] > 200
        assert page.get_by_text("Pathway gaps").count() >= 1
        assert code_or_styles(blocked) == [], blocked
