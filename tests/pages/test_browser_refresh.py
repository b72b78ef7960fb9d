"""An uploaded register and the scenario being built survive a refresh (issue 21, item 4).

Chromium uploads a register on the Services page, loads an example scenario on the
Scenarios page, reloads the page and finds both still in use; a second browser (its own
cookies) opening the very same address, token and all, finds neither. Skipped only when
``/usr/bin/chromium`` is absent.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from offline_browser import CHROMIUM, SKIP_REASON, app_server_fixture, offline_page, settled

from mapping.inputs.register import default_register_path

TIMEOUT_MS = 180_000
UPLOADED = "Register: your upload smaller.csv"
PUBLISHED = "Register: the published register"
CHANGE = "(SARC (sexual assault referral centre)) at postcode BB11 1JH, open 24/7"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)


server = app_server_fixture("streamlit-server-refresh.log")


def _smaller_register(path: Path) -> tuple[Path, str]:
    """The published register without its last record, and that record's name."""
    with open(default_register_path(), newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows[:-1])
    return path, rows[-1]["name"]


def _wait_text(page: object, text: str) -> None:
    page.get_by_text(text).first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]


def test_an_upload_and_a_scenario_survive_a_reload_in_this_browser_only(
    server: str, tmp_path: Path
) -> None:
    register, _ = _smaller_register(tmp_path / "smaller.csv")
    with offline_page({"width": 1400, "height": 1000}) as (page, _blocked):
        page.goto(f"{server}/services", timeout=TIMEOUT_MS)
        _wait_text(page, "Use a different register for this session")
        page.locator("input[type=file]").first.set_input_files(str(register))
        _wait_text(page, "smaller.csv is a valid register")
        page.get_by_role("button", name="Use smaller.csv for this session").click()
        _wait_text(page, "This session now uses smaller.csv")
        _wait_text(page, UPLOADED)
        page.locator("[data-testid='stPageLink-NavLink'][href='scenarios']").first.click()
        page.get_by_role("button", name="Load example").click()
        _wait_text(page, CHANGE)
        settled(page, TIMEOUT_MS)
        address = page.url
        assert "session=" in address, address

        page.reload(timeout=TIMEOUT_MS)  # a new Streamlit session on the same address
        _wait_text(page, UPLOADED)
        _wait_text(page, CHANGE)
        settled(page, TIMEOUT_MS)
        assert page.get_by_label("Scenario name").input_value() == (
            "Hypothetical East Lancashire SARC"
        )
        assert page.url == address

    # Another browser with the same address (the token, not the cookie) gets neither.
    with offline_page({"width": 1400, "height": 1000}) as (other, _blocked):
        other.goto(address, timeout=TIMEOUT_MS)
        _wait_text(other, PUBLISHED)
        _wait_text(other, "No changes yet")
        settled(other, TIMEOUT_MS)
        assert other.get_by_text(UPLOADED).count() == 0
        assert other.get_by_text(CHANGE).count() == 0
        assert "session=" in other.url and other.url != address  # a token of its own
