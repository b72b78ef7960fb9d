"""``service-map network``: build, inspect and export the road network.

Registered by :mod:`mapping.cli` (kept apart to hold that module under the size cap).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mapping.cli_options import DataDirOption, GtfsOption, SourcesOption
from mapping.errors import ServiceMapError

__all__ = ["network_app"]

network_app = typer.Typer(help="Build, inspect and export the road network.", no_args_is_help=True)


NetworkSourceOption = Annotated[
    str, typer.Option("--source", help="Road network: offline (OS data, default) or osm.")
]


@network_app.command("build")
def network_build(
    source: NetworkSourceOption = "offline",
    osm_file: Annotated[
        Path | None,
        typer.Option(
            "--osm-file", help="OpenStreetMap .osm or .osm.pbf file (--source osm).", dir_okay=False
        ),
    ] = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if up to date.")] = False,
    gtfs: GtfsOption = None,
) -> None:
    """Build the road network (or confirm the cached one is up to date)."""
    import time

    from mapping.network import build_network
    from mapping.network.transit import check_gtfs

    check_gtfs(gtfs)

    started = time.perf_counter()
    net = build_network(
        source, sources=sources, osm_file=osm_file, data_dir=data_dir, force=force, progress=True
    )
    state = "up to date (loaded from cache)" if net.meta.get("from_cache") else "built"
    typer.echo(
        f"{source} network {state}: {net.n_nodes:,} nodes, {net.n_edges:,} edges, "
        f"{time.perf_counter() - started:.1f} s -> {net.meta.get('cache_path')}"
    )


@network_app.command("info")
def network_info(
    source: NetworkSourceOption = "offline",
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    checks: Annotated[
        bool, typer.Option("--checks", help="Also drive the public journey checks.")
    ] = False,
) -> None:
    """Describe the cached road network (without rebuilding it)."""
    from mapping.network import load_network

    net = load_network(source, data_dir=data_dir, sources=sources, build_if_missing=False)
    meta = net.meta
    typer.echo(f"source: {net.source} ({meta.get('model', '')})")
    typer.echo(f"nodes: {net.n_nodes:,}  edges: {net.n_edges:,}  file: {meta.get('cache_path')}")
    for name, count in sorted(meta.get("edges_by_class", {}).items()):
        typer.echo(f"  {name}: {count:,} edges")
    for key in (
        "build_seconds",
        "dropped_empty_gap",
        "dropped_tidal",
        "reattached_links",
        "motorway_junctions",
        "motorway_service_area_ends",
        "a_road_links",
        "a_road_joins",
        "lancashire_postcode_nodes",
        "lancashire_postcode_nodes_outside_main_component",
    ):
        if key in meta:
            typer.echo(f"{key}: {meta[key]}")
    for profile, speeds in meta.get("speeds_mph", {}).items():
        typer.echo(f"{profile} mph: " + ", ".join(f"{k} {v:.1f}" for k, v in speeds.items()))
    if not meta.get("verified", True):
        typer.echo("note: the inputs could not be checked (sources or OSM file not found)")
    if checks:
        from mapping.inputs.sources import locate_sources
        from mapping.network.validate import before_after, rule_table, run_checks, run_rule_checks

        located = locate_sources(sources)
        typer.echo("public journey checks, v2 network (before issue 22) → this network:")
        for line in before_after(run_checks(net, located)):
            typer.echo(line)
        typer.echo("build-rule checks (v3), v2 network → this network:")
        for line in rule_table(run_rule_checks(net, located)):
            typer.echo(line)


@network_app.command("export")
def network_export(
    graphml: Annotated[
        Path,
        typer.Option(
            "--graphml",
            help="GraphML file to write. An existing file is replaced only if it is GraphML; "
            "never anything under the data folder.",
        ),
    ],
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            help="Speed profile for travel_time: free_flow, daytime, weekday_peak or weekend_day.",
        ),
    ] = "free_flow",
    source: NetworkSourceOption = "offline",
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Export the road network as GraphML (osmnx-compatible: x, y, length, travel_time)."""
    from mapping.network import PROFILES, load_network, save_graphml
    from mapping.outputs.paths import check_output_path

    if profile not in PROFILES:
        raise ServiceMapError(f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)}")
    check_output_path(graphml, "graphml", reads=[], data_dir=data_dir)
    from mapping.network.export import estimate_graphml_bytes

    net = load_network(source, data_dir=data_dir, sources=sources)
    size = estimate_graphml_bytes(net, profile)
    typer.echo(
        f"exporting {net.n_nodes:,} nodes and {net.n_edges:,} edges ({profile}): the file "
        f"will be about {size / 1e6:,.0f} MB",
        err=True,
    )
    path = save_graphml(net, graphml, profile, progress=True)
    typer.echo(
        f"wrote {net.n_nodes:,} nodes and {net.n_edges:,} edges ({profile}) to {path} "
        f"({path.stat().st_size / 1e6:,.1f} MB)"
    )
