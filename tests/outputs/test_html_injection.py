"""Names with HTML in them never run as script: the report in a real browser (issue 8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import offline_browser
import pytest
from hostile import TEMPLATE, TEMPLATE_LITERAL, TEMPLATE_RAN

pytestmark = pytest.mark.skipif(
    not offline_browser.CHROMIUM.exists(), reason=offline_browser.SKIP_REASON
)


@pytest.fixture(scope="module")
def report(export_pack: dict[str, Any]) -> Path:
    """The shared pack's report: SARC names and providers hold :data:`hostile.PAYLOAD`."""
    assert export_pack["code"] == 0, export_pack["err"]
    return export_pack["out"] / "report.html"


def test_html_in_names_is_shown_as_text_in_the_report(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert "<script>alert(2)</script>" not in text
    with offline_browser.offline_page({"width": 1300, "height": 1400}) as (page, _blocked):
        dialogs: list[str] = []
        errors: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(report.as_uri())
        title = page.title()
        page.locator("iframe.map").scroll_into_view_if_needed()
        frame = page.wait_for_selector("iframe.map").content_frame()
        frame.wait_for_load_state("load", timeout=120_000)
        # Open every marker's popup: each must show the name as text, run nothing.
        frame.evaluate(
            "() => { for (const k of Object.keys(window)) { try { const v = window[k];"
            " if (v && v.openPopup && v.getPopup && v.getPopup()) { v.openPopup(); } }"
            " catch (e) {} } }"
        )
        page.wait_for_timeout(500)
        body = page.inner_text("body")
        frame_title = frame.evaluate("() => document.title")
        # The map drew (its last script removed the "could not be drawn" note) ...
        fallback = frame.evaluate("() => document.querySelectorAll('.map-fallback').length")
        # ... and each marker's tooltip holds its name as text (issue 19: a backtick
        # or ${...} in a name ran, or broke the map's script).
        tooltips = frame.evaluate(
            "() => { const out = []; for (const k of Object.keys(window)) { try {"
            " const v = window[k]; if (v && v.getTooltip && v.getTooltip()) {"
            " out.push(String(v.getTooltip().getContent())); } } catch (e) {} }"
            " return out.join('\\n'); }"
        )
        # What the popups hold (Leaflet shows one popup at a time).
        popups = frame.evaluate(
            "() => { const out = []; for (const k of Object.keys(window)) { try {"
            " const v = window[k]; if (v && v.getPopup && v.getPopup()) {"
            " out.push(String(v.getPopup().getContent())); } } catch (e) {} }"
            " return out.join('\\n'); }"
        )
    assert dialogs == [] and errors == []
    assert fallback == 0
    assert TEMPLATE_LITERAL in tooltips
    assert title == "Lancashire victim services: drive-time coverage"
    assert frame_title != "pwned"
    assert "onerror=" in body  # the name is there, as visible text
    # The provider's Jinja expression is shown as written, never evaluated.
    assert TEMPLATE in popups
    assert TEMPLATE_RAN not in text and TEMPLATE_RAN not in popups
