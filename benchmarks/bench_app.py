"""Benchmark the Streamlit app's re-render time per control change; print one JSON object.

Run from the repository root::

    python benchmarks/bench_app.py

The app runs under ``streamlit.testing.v1.AppTest`` (the whole script, as a browser
session would run it, without the browser). Each control is changed in turn and the
rerun is timed end to end; a "cold" change asks for a query nobody asked before (its
tables are computed), a "warm" change comes back to one already cached. The target is a
re-render within 1 second; the numbers are reported, not asserted (the tests never time
anything). The browser's own drawing of the map is not included.
"""

from __future__ import annotations

import json
import logging
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TARGET_S = 1.0
TIMEOUT = 300


def _timed(run: Any) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _changes(app: AppTest, steps: list[tuple[str, str, Any]]) -> list[dict[str, Any]]:
    """Apply ``(widget kind, key, value)`` changes one at a time; time each rerun."""
    out = []
    for kind, key, value in steps:
        widget = getattr(app, kind)(key=key)
        seconds = _timed(lambda w=widget, v=value: w.set_value(v).run())
        if app.exception:
            raise RuntimeError(f"{key}={value!r}: {app.exception[0].value}")
        out.append({"control": key, "value": str(value), "seconds": round(seconds, 3)})
    return out


def main() -> None:
    """Run the benchmark and print the JSON report."""
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    report: dict[str, Any] = {"python": platform.python_version(), "target_s": TARGET_S}

    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    report["first_run_s"] = round(_timed(app.run), 3)  # loads (or builds) the study
    report["second_session_first_run_s"] = round(
        _timed(AppTest.from_file(APP, default_timeout=TIMEOUT).run), 3
    )

    map_steps = [
        ("selectbox", "map_slot", "weekday daytime"),
        ("selectbox", "map_slot", "weekend night"),
        ("selectbox", "map_slot", "weekday night"),
        ("selectbox", "map_slot", "weekend day"),
        ("selectbox", "map_slot", "weekend night"),
        ("select_slider", "map_threshold", 30),
        ("select_slider", "map_threshold", 60),
        ("selectbox", "map_age", "age_0_15"),
        ("selectbox", "map_age", "everybody"),
        ("selectbox", "map_category", "idva"),
        ("selectbox", "map_category", "isva"),
        ("selectbox", "map_category", "sarc"),
    ]
    report["map"] = _changes(app, map_steps)

    app.switch_page("app/sarc.py")
    report["sarc_page_open_s"] = round(_timed(app.run), 3)
    report["sarc"] = _changes(
        app,
        [
            ("multiselect", "sarc_slots", ["weekday daytime", "weekday night"]),
            ("multiselect", "sarc_slots", ["weekday daytime", "weekend night"]),
        ],
    )

    app.switch_page("app/coverage.py")
    report["coverage_page_open_s"] = round(_timed(app.run), 3)
    report["coverage"] = _changes(
        app,
        [
            ("radio", "cov_level", "lsoa"),
            ("radio", "cov_level", "ward"),
            ("selectbox", "cov_slot", "weekend night"),
            ("radio", "cov_level", "district"),
        ],
    )

    every = [step["seconds"] for page in ("map", "sarc", "coverage") for step in report[page]]
    report["summary"] = {
        "changes": len(every),
        "median_s": round(statistics.median(every), 3),
        "max_s": round(max(every), 3),
        "within_target": sum(s <= TARGET_S for s in every),
        "map_median_s": round(statistics.median(s["seconds"] for s in report["map"]), 3),
        "map_max_s": round(max(s["seconds"] for s in report["map"]), 3),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
