"""A register whose names attack the map's script, uploaded in the app (issue 19).

folium's tooltips pasted a service's name into a JavaScript template literal, so a
register uploaded on the Services page with a service named ``${alert(2)} The
Bridgeway`` ran its script when the Map opened, and a backtick in a name broke the
map's script so no map drew. Here Chromium uploads such a register as a person would,
opens the Map page and checks that the map draws, each name shows as text, and nothing
runs. Skipped only when ``/usr/bin/chromium`` is absent.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from offline_browser import (
    CHROMIUM,
    MAP_FRAME,
    SKIP_REASON,
    app_server_fixture,
    drawn,
    offline_page,
)

from mapping.inputs.register import default_register_path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 180_000
#: Runs if pasted into a template literal; the backtick ends one (breaking the script).
NAME = "${alert(2)}`;alert(3);`${window.__ran=1}</script>\u2028\"' "

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)


server = app_server_fixture("streamlit-server-hostile.log")


def _hostile_register(path: Path) -> Path:
    with open(default_register_path(), newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["category"] == "sarc":
            row["name"] = NAME + row["name"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


_TOOLTIPS = """() => {
  const out = [];
  const seen = new Set();
  const visit = (layer) => {
    if (!layer || seen.has(layer)) return;
    seen.add(layer);
    if (layer.getTooltip && layer.getTooltip()) {
      const c = layer.getTooltip().getContent();
      if (typeof c === 'string') out.push(c);
    }
    if (layer instanceof L.MarkerClusterGroup) layer.getLayers().forEach(visit);
    else if (layer.eachLayer) layer.eachLayer(visit);
  };
  window.map.eachLayer(visit);
  return out;
}"""


def test_a_register_with_script_in_its_names_draws_and_runs_nothing(
    server: str, tmp_path: Path
) -> None:
    register = _hostile_register(tmp_path / "xss.csv")
    dialogs: list[str] = []
    with offline_page({"width": 1500, "height": 1300}) as (page, _blocked):
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{server}/services", timeout=TIMEOUT_MS)
        page.get_by_text("Use a different register for this session").first.wait_for(
            timeout=TIMEOUT_MS
        )
        page.locator("input[type=file]").first.set_input_files(str(register))
        page.get_by_text("xss.csv is a valid register").first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Use xss.csv for this session").click()
        page.get_by_text("This session now uses xss.csv").first.wait_for(timeout=TIMEOUT_MS)
        # To the Map page by its link (a reload would start a new session).
        page.locator("[data-testid='stPageLink-NavLink'][href='map']").first.click()
        element = page.wait_for_selector(MAP_FRAME, timeout=TIMEOUT_MS)
        frame = element.content_frame()
        seen = drawn(frame)
        tooltips = frame.evaluate(_TOOLTIPS)
        ran = frame.evaluate("() => window.__ran")
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "map_hostile_names.png"), full_page=True)
    assert dialogs == [] and ran is None
    assert seen["fallback"] == 0, "the 'map could not be drawn' message is shown"
    assert seen["polygons"] >= 945, seen
    # Each SARC's tooltip holds its name as text (HTML-escaped for the tooltip's HTML).
    named = [t for t in tooltips if "${alert(2)}`;alert(3);`" in t]
    assert named, tooltips[:5]
