"""How the offline network's cost grows with the study area; print one JSON object.

Run from the repository root::

    python benchmarks/bench_scale.py            # every area (minutes; needs memory)
    python benchmarks/bench_scale.py --quick    # the two smallest areas only

For each area, in growing order, a fresh worker process builds the offline road network
(OS Code-Point Open GB, OS Open Roads motorways, DfT Major Road Database: the national
files, clipped to the area's box) and answers the all-services query: one search per
service of the register (``data/services.csv``, every service with a point) on the
reversed free-flow graph, then the nearest service for every postcode node. It reports
postcode nodes, edges, build seconds, peak memory (the worker's maximum resident set),
seconds per service search and for the whole query. The build-time exponent is the
least-squares slope of log(build seconds) against log(postcode nodes).

A worker runs with its address space capped (``--memory-gb``, 24 by default), so an area
that does not fit fails with a MemoryError instead of swapping; the run stops there and
says so. See benchmarks/README.md for the figures of the full run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np

#: Areas in growing order, as lon/lat boxes (west, south, east, north).
AREAS: dict[str, tuple[float, float, float, float] | None] = {
    # The project's study area (Lancashire and the corridors to Manchester and Carlisle).
    "lancashire_box": None,
    # North West England: Cumbria, Lancashire, Merseyside, Greater Manchester, Cheshire.
    "north_west_england": (-3.65, 52.94, -1.90, 55.19),
    # The North of England and North Wales, to the Humber and the Tees.
    "northern_england": (-4.80, 52.80, 0.20, 55.82),
    # England and Wales: the box of both, which takes in southern Scotland to the border.
    "england_and_wales_box": (-5.80, 49.85, 1.80, 55.82),
}

_WORKER_FLAG = "--worker"


def _bbox_27700(
    lonlat: tuple[float, float, float, float] | None,
) -> tuple[float, float, float, float] | None:
    if lonlat is None:
        return None
    from mapping.study_area import to_27700

    west, south, east, north = lonlat
    xs, ys = to_27700(np.array([west, east, west, east]), np.array([south, south, north, north]))
    return (float(np.min(xs)), float(np.min(ys)), float(np.max(xs)), float(np.max(ys)))


def _services_xy() -> np.ndarray:
    import pandas as pd

    from mapping.study_area import to_27700

    table = pd.read_csv("data/services.csv").dropna(subset=["lat", "lon"])
    x, y = to_27700(table["lon"].to_numpy(float), table["lat"].to_numpy(float))
    return np.c_[x, y]


def _worker(area: str) -> dict[str, Any]:
    """Build one area's network and answer the all-services query (in a fresh process)."""
    from scipy.sparse.csgraph import dijkstra

    from mapping.inputs.sources import locate_sources
    from mapping.network.offline import build_offline
    from mapping.network.params import OfflineParams
    from mapping.network.snap import snap

    sources = locate_sources()
    params = OfflineParams(bbox_27700=_bbox_27700(AREAS[area]))
    started = time.perf_counter()
    net = build_offline(sources, params)
    build_s = time.perf_counter() - started

    snapped = snap(net, _services_xy())
    nodes = np.unique(snapped.node[snapped.ok])
    # Searches run on the reversed graph: from each service to every node is the time
    # from every node to that service.
    reverse = net.seconds["free_flow"].T.tocsr()
    per_search = []
    nearest = np.full(net.n_nodes, np.inf)
    query_started = time.perf_counter()
    for node in nodes:
        t0 = time.perf_counter()
        times = dijkstra(reverse, indices=int(node))
        np.minimum(nearest, times, out=nearest)
        per_search.append(time.perf_counter() - t0)
    query_s = time.perf_counter() - query_started
    postcode_nodes = int(np.asarray(net.snappable).sum())
    return {
        "area": area,
        "bbox_27700": [round(v) for v in net.meta["bbox_27700"]],
        "postcode_units": net.meta["postcode_units"],
        "postcode_nodes": postcode_nodes,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "build_s": round(build_s, 2),
        "build_step_s": net.meta["step_seconds"],
        "peak_memory_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
        "services_searched": len(nodes),
        "search_s_median": round(float(np.median(per_search)), 3) if per_search else None,
        "all_services_query_s": round(query_s, 2),
        "postcode_nodes_reached": int(np.isfinite(nearest[:postcode_nodes]).sum()),
    }


def _run_area(area: str, memory_gb: float) -> dict[str, Any]:
    def cap() -> None:
        limit = int(memory_gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, _WORKER_FLAG, area],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=cap,  # the cap is set in the child before it starts
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"area": area, "failed": tail, "wall_s": round(time.perf_counter() - started, 1)}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the two smallest areas")
    parser.add_argument(
        "--memory-gb", type=float, default=24.0, help="address-space cap per area (GB)"
    )
    parser.add_argument(_WORKER_FLAG, dest="worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(args.worker)))
        return 0

    areas = list(AREAS)[:2] if args.quick else list(AREAS)
    results: list[dict[str, Any]] = []
    stopped_at = None
    for area in areas:
        result = _run_area(area, args.memory_gb)
        results.append(result)
        print(f"{area}: {result}", file=sys.stderr)
        if "failed" in result:
            stopped_at = area
            break
    done = [r for r in results if "failed" not in r]
    exponent = None
    if len(done) >= 2:
        slope, _ = np.polyfit(
            np.log([r["postcode_nodes"] for r in done]), np.log([r["build_s"] for r in done]), 1
        )
        exponent = round(float(slope), 2)
    print(
        json.dumps(
            {
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "memory_cap_gb": args.memory_gb,
                },
                "quick": args.quick,
                "areas": results,
                "build_time_exponent_vs_postcode_nodes": exponent,
                "stopped_at": stopped_at,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
