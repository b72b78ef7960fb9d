"""The Without a car page in a real browser (Debian's Chromium driven by Playwright).

Starts ``streamlit run app.py`` as ``test_browser.py`` does (offline: every request to
another host is blocked), opens the page by its address, checks the walking answer and
the households with no car beyond a walk (with the limitation beside them) against the
study, switches the mode control from car to foot and checks the thresholds change, and
saves a screenshot under ``test-artifacts/``.
"""

from __future__ import annotations

import re
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

from mapping.analysis.without_car import LIMITATION
from mapping.study import Study

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 180_000

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)


@pytest.fixture(scope="module")
def server(built_data: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free port, on the default data; always stopped."""
    with default_app_server(built_data, "streamlit-server-without-car.log") as url:
        yield url


def test_without_a_car_page_in_a_browser(server: str, study: Study) -> None:
    table = study.without_car("sarc", "Tue 10:00", 30)
    total = table[table["area_level"] == "total"].iloc[0]
    beyond = f"{total['no_car_beyond']:,.0f} of Lancashire's 144,676 households with no car"
    with offline_page({"width": 1500, "height": 2200}) as (page, blocked):
        page.goto(f"{server}/without-car", timeout=TIMEOUT_MS)
        page.get_by_text("Who can reach help without a car").first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_text(re.compile(re.escape(beyond))).first.wait_for(timeout=TIMEOUT_MS)
        settled(page, TIMEOUT_MS)
        text = page.locator("[data-testid='stMain']").inner_text()
        assert f"Limitation: {LIMITATION}" in text
        # The mode control: by car first (the drive thresholds), then on foot.
        assert "shares within 15, 30, 45, 60, 90 minutes" in text
        assert "Walking thresholds" not in text
        page.get_by_text("On foot", exact=True).first.click()
        page.get_by_text(re.compile(r"^Walking thresholds: 15, 30, 45 minutes")).first.wait_for(
            timeout=TIMEOUT_MS
        )
        settled(page, TIMEOUT_MS)
        text = page.locator("[data-testid='stMain']").inner_text()
        assert "shares within 15, 30, 45, 60, 90 minutes" not in text
        assert "4.8 km/h" in text and LIMITATION[1:] in text
        # The coverage table, council areas and wards are all drawn.
        assert page.locator("[data-testid='stDataFrame']").count() == 3
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(ARTIFACTS / "page_without_car.png"), full_page=True)
    assert code_or_styles(blocked) == []
