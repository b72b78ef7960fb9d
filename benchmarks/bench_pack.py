"""How long the Scenarios page's "Prepare the scenario pack" button takes, and where it goes.

Run from the repository root, in the project venv, with the data built::

    python benchmarks/bench_pack.py [--scenario data/scenarios/preston_sarc_24_7.toml]
                                    [--threshold 45] [--out benchmarks/bench_pack_run.json]

It loads the default study (not timed: the app has it loaded already), then does what
the button does, timed with a monotonic clock: ``Study.export`` of the whole pack for
the scenario at the threshold, the scenario saved beside it, the folder zipped. Each
phase of the export is timed by wrapping the export's own steps. It prints one JSON
object and writes it to ``--out``, with the machine's load average before and after
(the machine is shared: a busy one makes every wall time longer; the CPU seconds of the
process are what the button takes on an idle machine, its work being single-threaded).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: The export's steps timed one by one (functions of mapping.outputs.export).
PHASES = (
    "_gap_register",
    "_week_profile",
    "scenario_tables",
    "need_pack",
    "build_layers",
    "write_csv",
    "write_workbook",
    "write_layers",
    "render_report",
)


def _timed(module: Any, name: str, seconds: dict[str, float], cpu: dict[str, float]) -> None:
    original: Callable[..., Any] = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started, used = time.perf_counter(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
            cpu[name] = cpu.get(name, 0.0) + time.process_time() - used

    setattr(module, name, wrapper)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Time the pack; print and write the JSON record."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--scenario", type=Path, default=ROOT / "data" / "scenarios" / "preston_sarc_24_7.toml"
    )
    parser.add_argument("--threshold", type=float, default=45.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "bench_pack_run.json")
    args = parser.parse_args(argv)

    from mapping import Study
    from mapping.analysis.scenarios import load_scenario
    from mapping.inputs.scenario_file import save_scenario
    from mapping.outputs import export

    load_before = os.getloadavg()
    started = time.perf_counter()
    study = Study.load()
    load_s = time.perf_counter() - started
    scenario = load_scenario(args.scenario)
    phases: dict[str, float] = {}
    phases_cpu: dict[str, float] = {}
    for name in PHASES:
        _timed(export, name, phases, phases_cpu)
    with tempfile.TemporaryDirectory(prefix="bench-pack-") as folder:
        out = Path(folder) / "pack"
        started, used = time.perf_counter(), time.process_time()
        report = study.export(out, scenario=scenario, threshold=args.threshold)
        export_s = time.perf_counter() - started
        save_scenario(scenario, out / "scenario.toml")
        archive = shutil.make_archive(str(Path(folder) / "pack"), "zip", folder, "pack")
        button_s = time.perf_counter() - started
        button_cpu_s = time.process_time() - used
        zipped = Path(archive).stat().st_size
    record = {
        "what": "the Scenarios page's pack button: Study.export(scenario, threshold) of the "
        "whole pack, the scenario saved beside it, the folder zipped",
        "how": "benchmarks/bench_pack.py: one run in a fresh process after Study.load() "
        "(not timed); time.perf_counter (wall) and time.process_time (this process's "
        "CPU: what the wall time would be on an idle machine, the work being "
        "single-threaded) around each step; phases by wrapping the "
        "export's own functions (cold: each category's drive times are searched "
        "during the export, as on a session's first pack)",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": str(args.scenario.relative_to(ROOT)),
        "threshold": args.threshold,
        "study_load_s": round(load_s, 1),
        "export_s": round(export_s, 1),
        "button_s": round(button_s, 1),
        "button_cpu_s": round(button_cpu_s, 1),
        "phases_s": {k: round(v, 1) for k, v in phases.items()},
        "phases_cpu_s": {k: round(v, 1) for k, v in phases_cpu.items()},
        "files": len(report.files),
        "pack_bytes": report.total_bytes,
        "zip_bytes": zipped,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
    }
    text = json.dumps(record, indent=2)
    print(text)
    args.out.write_text(text + "\n", encoding="utf-8")
    return record


if __name__ == "__main__":
    main(sys.argv[1:])
