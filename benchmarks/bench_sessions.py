"""Many people on one app server at once: N concurrent browser sessions; one JSON object.

Run from the repository root, with the data built (``service-map data build``)::

    nice python benchmarks/bench_sessions.py [--sessions 20] [--settle 150] [--page bare]

It starts ``streamlit run app.py`` on a free localhost port (the repository's data,
``.streamlit/config.toml`` settings), opens one warm-up session (the first session of a
process loads the study; that is ``warmup_first_page_s``), then N concurrent headless
Chromium sessions (Debian's ``/usr/bin/chromium`` through Playwright, one browser, one
context - hence one Streamlit session - each). Every request to a host other than the
server is refused (``tests/offline_browser.py``): the map's scripts come from the app
itself, so nothing leaves the machine. Each session:

1. opens the app and waits for its first page: the Map page's headline sentence
   (``first_page_s``) and then the drawn map (``map_s``);
2. once every session has its first page, does one action, alternating between
   sessions: ``scenario`` (Scenarios page, load the example scenario, wait for its
   per-area table) or ``upload`` (Services page, upload a register with one record
   fewer, confirm it, wait until the session uses it).

``--page bare`` opens ``benchmarks/bare_page.py`` (one ``st.write``) instead, first pages
only: what the same browsers on the same cores take to show *any* Streamlit page. The
browsers run on the server's two cores here, so that floor is part of every figure.

CPU seconds used by the server and by the browsers (with Playwright's driver) are
reported for the first pages and for the actions, to tell the two apart on a machine
where both compete for the same cores. The server's memory is the resident set size of
its process tree, sampled every 0.25 s: before the sessions (warm), the peak during them,
and 10 s, 60 s and ``--settle`` seconds after every session closed (Streamlit keeps a
closed session's state for ``server.disconnectedSessionTTL``, 120 s by default, in case
the browser reconnects). Browser CPU is only meaningful for the first pages: a closed
tab's process takes its CPU time with it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from offline_browser import (  # noqa: E402
    CANVAS_DRAWN,
    CHROMIUM,
    CHROMIUM_ARGS,
    MAP_FRAME,
    streamlit_server,
)

PAGES = {
    # page: (script, the first page's sentence)
    "app": (ROOT / "app.py", re.compile(r"would travel outside the county")),
    "bare": (ROOT / "benchmarks" / "bare_page.py", re.compile(r"^Bare Streamlit page")),
}
NON_LOCAL = re.compile(r"^https?://(?!127\.0\.0\.1|localhost)")
TIMEOUT_MS = int(os.environ.get("BENCH_TIMEOUT_MS", "300000"))


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return float("nan")
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total / 1e6


def _tree_cpu_s(root: psutil.Process, exclude: int | None = None) -> float:
    """CPU seconds (user + system) of a process and its children, less ``exclude``'s tree."""
    try:
        procs = [root, *root.children(recursive=True)]
        skip = set()
        if exclude is not None:
            skip = {exclude} | {c.pid for c in psutil.Process(exclude).children(recursive=True)}
    except psutil.Error:
        return float("nan")
    total = 0.0
    for proc in procs:
        if proc.pid in skip:
            continue
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


class _CpuClock:
    """CPU used by the server and by the browsers (with the driver) since the last lap."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.last = self._now()

    def _now(self) -> tuple[float, float]:
        server = _tree_cpu_s(psutil.Process(self.server_pid))
        browsers = _tree_cpu_s(psutil.Process(os.getpid()), exclude=self.server_pid)
        return server, browsers

    def lap(self) -> dict[str, float]:
        now = self._now()
        out = {
            "server": round(now[0] - self.last[0], 1),
            "browsers": round(now[1] - self.last[1], 1),
        }
        self.last = now
        return out


class _Sampler(threading.Thread):
    """Samples the server's memory in the background."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, float]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append((time.monotonic(), _tree_rss_mb(self.pid)))
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def peak_between(self, start: float, end: float) -> float:
        values = [mb for t, mb in self.samples if start <= t <= end]
        return max(values) if values else float("nan")


async def _map_drawn(page: Any) -> None:
    """Wait until Leaflet has drawn its overlay canvas in the map component's frame.

    Polled from here, each look bounded: Chromium throttles timers in the map's frame
    (see ``tests/offline_browser.py``), and a frame still loading may not answer.
    """
    frames = page.locator(MAP_FRAME)
    await frames.first.wait_for(state="attached", timeout=TIMEOUT_MS)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # a frame navigating away, or not answering
            handle = await frames.first.element_handle(timeout=5_000)
            frame = await handle.content_frame()
            if frame is not None and await asyncio.wait_for(frame.evaluate(CANVAS_DRAWN), 5):
                return
        await asyncio.sleep(0.25)
    raise TimeoutError("the map was not drawn")


async def _first_page(page: Any, url: str, headline: re.Pattern[str]) -> dict[str, float]:
    started = time.perf_counter()
    await page.goto(url, timeout=TIMEOUT_MS)
    await page.get_by_text(headline).first.wait_for(timeout=TIMEOUT_MS)
    first = time.perf_counter() - started
    if headline is not PAGES["app"][1]:
        return {"first_page_s": round(first, 2)}
    await _map_drawn(page)
    return {"first_page_s": round(first, 2), "map_s": round(time.perf_counter() - started, 2)}


async def _nav(page: Any, title: str) -> None:
    # The sidebar's menu is drawn with st.page_link (app.py).
    await page.locator("[data-testid='stPageLink-NavLink']").filter(has_text=title).first.click()


async def _scenario(page: Any) -> None:
    await _nav(page, "Scenarios")
    await page.get_by_role("button", name="Load example").click(timeout=TIMEOUT_MS)
    await page.get_by_text("By council area").first.wait_for(timeout=TIMEOUT_MS)


async def _upload(page: Any, register: bytes, name: str) -> None:
    await _nav(page, "Services")
    uploader = page.locator("[data-testid='stFileUploader'] input[type=file]")
    await uploader.first.wait_for(state="attached", timeout=TIMEOUT_MS)
    await uploader.first.set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": register}]
    )
    await page.get_by_role("button", name=f"Use {name} for this session").click(timeout=TIMEOUT_MS)
    # The confirmation is replaced at once by the page's "This session uses ..." note.
    await page.get_by_text(re.compile(r"This session (now )?uses")).first.wait_for(
        timeout=TIMEOUT_MS
    )


async def _refuse(route: Any) -> None:
    await route.abort()


async def _session(
    browser: Any,
    url: str,
    index: int,
    register: bytes,
    start: asyncio.Event,
    first_pages: asyncio.Barrier,
    page_kind: str,
    shared: Any = None,
) -> dict[str, Any]:
    action = "scenario" if index % 2 == 0 else "upload"
    result: dict[str, Any] = {"session": index}
    # A tab of the shared context, or a fresh context (own cache) per session.
    context = shared or await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)  # a click waits as long as the rest
    page = None
    try:
        if shared is None:
            await context.route(NON_LOCAL, _refuse)
        page = await context.new_page()
        await page.set_viewport_size({"width": 1400, "height": 1000})
        await start.wait()
        try:
            result.update(await _first_page(page, url, PAGES[page_kind][1]))
        finally:
            await first_pages.wait()  # every first page, then every action, at once
        if page_kind == "app":
            result["action"] = action
            started = time.perf_counter()
            if action == "scenario":
                await _scenario(page)
            else:
                await _upload(page, register, f"register_{index}.csv")
            result["action_s"] = round(time.perf_counter() - started, 2)
    except Exception as exc:  # a benchmark reports failures rather than stopping
        result["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        if shared is None:
            await context.close()
        elif page is not None:
            await page.close()
    print(json.dumps(result), file=sys.stderr, flush=True)  # progress; the report is stdout
    return result


def _smaller_register() -> bytes:
    """The published register without its last record: a valid, different upload."""
    lines = (ROOT / "data" / "services.csv").read_bytes().splitlines(keepends=True)
    return b"".join(lines[:-1])


def _summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p90": None, "max": None}
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 2),
        "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 2),
        "max": round(ordered[-1], 2),
    }


async def _run(
    url: str, sessions: int, sampler: _Sampler, settle: float, browsers: str, page_kind: str
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    register = _smaller_register()
    report: dict[str, Any] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            # Warm-up: the first session of the process loads the study for everyone.
            warm = await browser.new_context(viewport={"width": 1400, "height": 1000})
            await warm.route(NON_LOCAL, _refuse)
            page = await warm.new_page()
            warmup = await _first_page(page, url, PAGES[page_kind][1])
            report["warmup_first_page_s"] = warmup["first_page_s"]
            await page.close()
            shared = warm if browsers == "shared" else None
            if shared is None:
                await warm.close()
            await asyncio.sleep(5)
            report["server_rss_warm_mb"] = round(_tree_rss_mb(sampler.pid), 1)

            start = asyncio.Event()
            first_pages = asyncio.Barrier(sessions + 1)
            tasks = [
                asyncio.create_task(
                    _session(browser, url, i, register, start, first_pages, page_kind, shared)
                )
                for i in range(sessions)
            ]
            await asyncio.sleep(1)  # every context ready, then all open at once
            cpu = _CpuClock(sampler.pid)
            began = time.monotonic()
            start.set()
            await first_pages.wait()
            report["first_pages_wall_s"] = round(time.monotonic() - began, 1)
            report["cpu_s_during_first_pages"] = cpu.lap()
            results = await asyncio.gather(*tasks)
            ended = time.monotonic()
            report["cpu_s_during_actions"] = cpu.lap()
            if shared is not None:
                await shared.close()
        finally:
            await browser.close()
    report["server_rss_peak_mb"] = round(sampler.peak_between(began, ended), 1)
    report["wall_s"] = round(ended - began, 1)
    # Streamlit keeps a closed session's state for server.disconnectedSessionTTL (120 s
    # by default) in case the browser reconnects; sample before and after that.
    after: dict[str, float] = {}
    closed = time.monotonic()
    for mark in sorted({10.0, 60.0, settle}):
        await asyncio.sleep(max(0.0, closed + mark - time.monotonic()))
        after[f"{mark:g}s"] = round(_tree_rss_mb(sampler.pid), 1)
    report["server_rss_after_close_mb"] = after
    report["sessions"] = results
    ok = [r for r in results if "error" not in r]
    report["errors"] = len(results) - len(ok)
    report["first_page_s"] = _summary([r["first_page_s"] for r in ok])
    if page_kind == "app":
        report["map_s"] = _summary([r["map_s"] for r in ok])
        for action in ("scenario", "upload"):
            report[f"{action}_s"] = _summary([r["action_s"] for r in ok if r["action"] == action])
    return report


def main() -> None:
    """Run the benchmark and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument(
        "--browsers",
        choices=["cold", "shared"],
        default="cold",
        help="cold: each session its own browser context and cache (as separate people "
        "on first visit); shared: each session a tab of one browser context, so the "
        "Streamlit scripts are fetched and compiled once (people on their own machines, "
        "app already visited), leaving the server's share of the cores to the server",
    )
    parser.add_argument(
        "--settle", type=float, default=150.0, help="last memory sample, seconds after closing"
    )
    parser.add_argument(
        "--page",
        choices=list(PAGES),
        default="app",
        help="app: the app's Map page, then one action each; bare: a one-sentence "
        "Streamlit page (benchmarks/bare_page.py), first pages only: the browsers' floor",
    )
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is not installed (apt-get install chromium)")
    script = PAGES[args.page][0]
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as folder:
        log = Path(folder) / "streamlit.log"
        with streamlit_server(script, cwd=ROOT, log=log) as (url, server):
            sampler = _Sampler(server.pid)
            sampler.start()
            try:
                report = asyncio.run(
                    _run(url, args.sessions, sampler, args.settle, args.browsers, args.page)
                )
            finally:
                sampler.stop()
    report = {
        "page": args.page,
        "n_sessions": args.sessions,
        "browsers": args.browsers,
        "cpus": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "target_first_page_s": 10.0,
        **report,
    }
    report["meets_first_page_target"] = (report["first_page_s"]["max"] or 1e9) < 10.0
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
