"""The app tells one story, in a real browser (issue 21): Chromium, network blocked.

- every service category on the Map, Week and Need pages (opened by their addresses):
  no error, no "NaN", and for services without a site the reason in words;
- a Gaps filter with no rows, for every rule: a message, no error;
- a copied deep link reopened in a new browser context shows the same view, at 390 and
  1280 px, and a trip to another page and back keeps the settings.

Skipped, with the reason, only when ``/usr/bin/chromium`` is absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from offline_browser import CHROMIUM, SKIP_REASON, default_app_server, offline_page, settled

from mapping.inputs.vocabulary import CATEGORIES
from mapping.study import Study

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 120_000
NAN = re.compile(r"\bNaN\b")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)


@pytest.fixture(scope="module")
def server(built_data: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free port, on the default data; always stopped."""
    with default_app_server(built_data, "streamlit-server-story.log") as url:
        yield url


def _visit(page: Any, url: str, marker: str | re.Pattern[str]) -> str:
    """Open ``url``, wait for ``marker`` and the end of the run; the page's text."""
    page.goto(url, timeout=TIMEOUT_MS)
    page.get_by_text(marker).first.wait_for(timeout=TIMEOUT_MS)
    settled(page, TIMEOUT_MS)
    main = page.locator("[data-testid='stMain']")
    assert page.locator("[data-testid='stException']").count() == 0, url
    text = str(main.inner_text())
    assert "Something went wrong" not in text, url
    assert not NAN.search(text), url
    return text


#: Each page, its category control and a text that shows it has drawn its answer.
_PAGES = {
    "map": ("map_category", "Service, time, age group and threshold"),
    "week": ("week_category", "Service, area, age group and threshold"),
    "need": ("need_category", "Capacity against published benchmarks"),
}


def test_every_category_on_map_week_and_need(server: str, study: Study) -> None:
    routed = set(study.engine.services["category"])
    with offline_page({"width": 1280, "height": 1000}) as (page, _):
        for path, (key, marker) in _PAGES.items():
            for category in CATEGORIES:
                url = f"{server}/{path}?{urlencode({key: category})}"
                text = _visit(page, url, marker)
                if category not in routed:
                    assert "no site to drive to" in text, url
                    assert "worst hour is" not in text, url
                    assert page.locator("[data-testid=stVegaLiteChart]").count() <= (
                        1 if path == "need" else 0  # the Need page's capacity chart stays
                    ), url
            page.screenshot(path=str(ARTIFACTS / f"story_{path}_last_category.png"))


def test_a_gaps_filter_with_no_rows_for_every_rule(server: str, study: Study) -> None:
    register = study.gaps()
    areas = sorted(register["area_name"].unique())
    with offline_page({"width": 1280, "height": 1000}) as (page, _):
        for rule in sorted(register["rule_title"].unique()):
            empty = sorted(
                set(areas) - set(register.loc[register["rule_title"] == rule, "area_name"])
            )
            if not empty:
                continue
            url = f"{server}/gaps?{urlencode({'gaps_rule': rule, 'gaps_area': empty[0]})}"
            _visit(page, url, "No gap matches these filters")
        page.screenshot(path=str(ARTIFACTS / "story_gaps_no_rows.png"))


@pytest.mark.parametrize("width", [390, 1280])
def test_a_deep_link_opens_the_same_view_in_a_new_browser(server: str, width: int) -> None:
    link = f"{server}/map?" + urlencode(
        {"map_category": "idva", "map_slot": "weekday daytime", "map_threshold": "30"}
    )
    weekday = re.compile(r"^On a weekday at 10:00")
    with offline_page({"width": width, "height": 900}) as (page, _):
        first = _visit(page, link, weekday)
        copied = page.url  # the address as the app wrote it back: every control
        assert "map_category=idva" in copied and "map_threshold=30" in copied
        assert "map_weight=residents" in copied
        headline = str(page.get_by_text(weekday).first.inner_text())
        assert "30 minutes" in headline
        if width > 400:  # the sidebar is open: to the Week page and back by its links
            page.locator("[data-testid='stPageLink-NavLink'][href='week']").first.click()
            page.get_by_text("The worst hour is").first.wait_for(timeout=TIMEOUT_MS)
            settled(page, TIMEOUT_MS)
            page.locator("[data-testid='stPageLink-NavLink'][href='map']").first.click()
            page.get_by_text(weekday).first.wait_for(timeout=TIMEOUT_MS)
            settled(page, TIMEOUT_MS)
            assert str(page.get_by_text(weekday).first.inner_text()) == headline
    with offline_page({"width": width, "height": 900}) as (page, _):
        again = _visit(page, copied, weekday)
        assert str(page.get_by_text(weekday).first.inner_text()) == headline
        assert again.count("\n") > 3 and first.count("\n") > 3
        page.screenshot(path=str(ARTIFACTS / f"story_deep_link_{width}px.png"))
