"""Debian's Chromium, driven by Playwright, with every non-local request blocked.

Shared by the browser tests (``test_browser.py``, ``test_export.py``) and the browser
benchmarks (``benchmarks/bench_browser.py``, ``bench_sessions.py``), with the one way
to start the app's server for them (:func:`streamlit_server`). Nothing is served
in place of a blocked request: the pages must draw from what the app or the file itself
holds. Blocked requests are recorded with their kind, so a test can check that no
script, stylesheet or font was asked of the network, and that a map asked only for its
tiles (which it expects to miss offline).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SKIP_REASON = "/usr/bin/chromium is not installed (apt-get install chromium; .ci/run does)"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
TILE_HOST = "tile.openstreetmap.org"
#: Request kinds without which a page or its map would not work.
NEEDED_KINDS = ("script", "stylesheet", "font", "xhr", "fetch", "document", "websocket")
#: The streamlit-folium frame that holds a page's map.
MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def streamlit_server(
    script: Path,
    *,
    cwd: Path,
    log: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``streamlit run script`` on a free localhost port; its URL and process; always stopped.

    Headless, no file watcher, no usage statistics; the server's output goes to ``log``
    (quoted when it does not become healthy within ``timeout`` seconds).
    """
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=cwd, env=env or dict(os.environ), stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200 and response.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"streamlit not healthy after {timeout:.0f} s:\n{log.read_text()}"
                )
            time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()  # the server never outlives its user
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def is_local(url: str) -> bool:
    """Whether a request stays on this machine (the app's server, a file, inline data)."""
    parts = urlsplit(url)
    if parts.scheme in ("file", "data", "blob", "about"):
        return True
    return parts.hostname in LOCAL_HOSTS


@contextmanager
def default_app_server(data_dir: Path, log_name: str) -> Iterator[str]:
    """``streamlit run app.py`` on a free port, on the default data; always stopped.

    ``data_dir`` is the built data folder (the tests' ``built_data``); the server's log
    goes to ``test-artifacts/<log_name>``.
    """
    from mapping.inputs.sources import SOURCES_ENV, locate_sources
    from mapping.store import DATA_DIR_ENV

    root = Path(__file__).resolve().parents[1]
    artifacts = root / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    env = dict(os.environ)
    env[DATA_DIR_ENV] = str(data_dir)
    env[SOURCES_ENV] = str(locate_sources().root)
    log = artifacts / log_name
    with streamlit_server(root / "app.py", cwd=root, log=log, env=env) as (url, _):
        yield url


def app_server_fixture(log_name: str) -> Any:
    """A module-scoped pytest fixture ``server``: :func:`default_app_server`'s URL.

    In a test module: ``server = app_server_fixture("streamlit-server-x.log")``.
    """
    import pytest

    @pytest.fixture(scope="module")
    def server(built_data: Path) -> Iterator[str]:
        """``streamlit run app.py`` on a free port, on the default data; always stopped."""
        with default_app_server(built_data, log_name) as url:
            yield url

    return server


@contextmanager
def offline_page(viewport: dict[str, int]) -> Iterator[tuple[Any, list[tuple[str, str]]]]:
    """A Chromium page whose non-local requests are aborted, and ``(kind, url)`` of each."""
    from playwright.sync_api import sync_playwright

    blocked: list[tuple[str, str]] = []

    def block(route: Any) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            blocked.append((route.request.resource_type, url))
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(viewport=viewport)
            context.route("**/*", block)
            yield context.new_page(), blocked
        finally:
            browser.close()


#: In a frame holding a Leaflet map: polygons drawn (projected into the view by the
#: renderer) and non-blank pixels of the overlay canvas.
_DRAWN = """() => {
  // Folium names its map map_<id>; streamlit-folium also sets window.map.
  const map = window.map || Object.keys(window).filter((k) => k.startsWith('map_'))
    .map((k) => window[k]).find((v) => v instanceof L.Map);
  let polygons = 0;
  const seen = new Set();
  const visit = (layer) => {
    if (seen.has(layer)) return;
    seen.add(layer);
    if (layer instanceof L.Polygon && layer._parts && layer._parts.length) polygons += 1;
    if (layer.eachLayer) layer.eachLayer(visit);
  };
  map.eachLayer(visit);
  let pixels = 0;
  document.querySelectorAll('.leaflet-overlay-pane canvas').forEach((canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) pixels += 1;
  });
  const note = document.querySelector('.basemap-note');
  return {polygons: polygons, pixels: pixels, note: note ? note.textContent : null,
          fallback: document.querySelectorAll('.map-fallback').length};
}"""


def _wait_until(frame: Any, condition: str, timeout_ms: int) -> None:
    """Evaluate ``condition`` in ``frame`` from here until it holds.

    Polled from the test, not by a timer inside the frame: Chromium throttles timers and
    animation frames in a sandboxed (cross-origin) frame, so an in-frame poll can sleep
    long after the map has drawn.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            if frame.evaluate(condition):
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true after {timeout_ms / 1000:.0f} s: {condition}")
        frame.page.wait_for_timeout(250)


#: In a frame holding a Leaflet map: whether its overlay canvas has a size (is drawn).
CANVAS_DRAWN = (
    "() => { const c = document.querySelector('.leaflet-overlay-pane canvas');"
    " return c !== null && c.width > 0 && c.height > 0; }"
)


def wait_for_canvas(frame: Any, timeout_ms: int = 180_000) -> None:
    """Wait until the map's overlay canvas has a size."""
    _wait_until(frame, CANVAS_DRAWN, timeout_ms)


def drawn(frame: Any) -> dict[str, Any]:
    """What the Leaflet map in ``frame`` has drawn (see ``_DRAWN``)."""
    _wait_until(frame, "() => window.L !== undefined", 180_000)
    return dict(frame.evaluate(_DRAWN))


def not_tiles(blocked: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The blocked requests that were not map tiles."""
    return [(kind, url) for kind, url in blocked if urlsplit(url).hostname != TILE_HOST]


def code_or_styles(blocked: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The blocked requests for scripts, stylesheets, fonts or data (what a page needs)."""
    return [(kind, url) for kind, url in blocked if kind in NEEDED_KINDS]


def settled(page: Any, timeout_ms: int = 120_000) -> None:
    """Wait until Streamlit has finished its rerun (its "running" status widget is gone)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=timeout_ms,
        polling=50,
    )


#: Every text each Vega chart on the page drew (SVG renderer): its text, box, and whether
#: it shows.
CHART_TEXTS = """() => Array.from(document.querySelectorAll('[data-testid=stVegaLiteChart]'))
  .map((chart) => {
    const box = chart.getBoundingClientRect();
    const texts = Array.from(chart.querySelectorAll('svg text')).map((t) => {
      const r = t.getBoundingClientRect();
      const hidden = t.getAttribute('opacity') === '0' || getComputedStyle(t).opacity === '0';
      return {text: t.textContent, left: r.left, right: r.right, shown: !hidden};
    }).filter((t) => t.text);
    return {left: box.left, right: box.right, texts: texts};
  })"""


def drawn_charts(page: Any, timeout_ms: int = 120_000) -> list[dict[str, Any]]:
    """The page's Vega charts (:data:`CHART_TEXTS`) once every one has drawn its texts.

    Vega draws after Streamlit's rerun ends and may lay a chart out twice (once more when
    its width is known), so "drawn" is: every chart has texts, and two reads 100 ms apart
    agree.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    before: list[dict[str, Any]] | None = None
    while True:
        now = list(page.evaluate(CHART_TEXTS))
        if now and all(chart["texts"] for chart in now) and now == before:
            return now
        if time.monotonic() > deadline:
            raise TimeoutError(f"charts not drawn after {timeout_ms / 1000:.0f} s: {now}")
        before = now
        page.wait_for_timeout(100)


#: The map on show, as "<frame token>:<Leaflet's stamp of the map object>", and whether
#: its canvas is drawn. streamlit-folium names every map it draws ``map_div`` in the same
#: frame, so the name cannot tell a new map from the old one, but the map object (and,
#: when the frame reloads, the token) can.
MAP_STATE = """() => {
  const ids = Object.keys(window).filter((k) => k.startsWith('map_') &&
    window[k] instanceof L.Map && window[k]._container && window[k]._container.isConnected);
  if (!ids.length) return {id: null, drawn: false};
  window.__mapToken = window.__mapToken || String(Math.random());
  const map = window[ids[ids.length - 1]];
  const canvas = map._container.querySelector('.leaflet-overlay-pane canvas');
  return {id: window.__mapToken + ':' + L.stamp(map),
          drawn: canvas !== null && canvas.width > 0 && canvas.height > 0};
}"""


def map_state(page: Any) -> dict[str, Any] | None:
    """The page's folium map: its id (new with every map built) and whether it is drawn.

    None while there is no map, or two (a rerun briefly keeps the old beside the new),
    or its frame is still loading.
    """
    frames = page.locator(MAP_FRAME)
    if frames.count() != 1:
        return None
    frame = frames.first.element_handle().content_frame()
    if frame is None:
        return None
    try:
        return dict(frame.evaluate(MAP_STATE))
    except Exception:  # not loaded yet (no Leaflet), or navigating
        return None


def map_id(page: Any) -> str | None:
    """The id of the map on show now (None when there is none yet)."""
    state = map_state(page)
    return None if state is None else state["id"]


def wait_for_new_map(page: Any, before: str | None, timeout_ms: int = 120_000) -> None:
    """Wait until the page's one map is not the map ``before`` and its canvas is drawn."""
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        state = map_state(page)
        if state and state["drawn"] and state["id"] != before:
            return
        page.wait_for_timeout(20)
    raise TimeoutError("the new map was not drawn")
