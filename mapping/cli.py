"""The ``service-map`` command.

It only parses options, calls the package and prints what the package computed. Every
user-caused problem arrives as a :class:`~mapping.errors.ServiceMapError` and is printed
as one clear message (exit code 1), never as a traceback.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mapping.cli_appraise import appraise_command
from mapping.cli_need import WeightOption, register_need_commands
from mapping.cli_network import network_app
from mapping.cli_optimise import optimise_app
from mapping.cli_options import (
    DataDirOption,
    ModeOption,
    NetworkOption,
    ScenarioOption,
    ServicesOption,
    SourcesOption,
)
from mapping.cli_pathways import register_pathway_commands
from mapping.cli_walk import register_walk_commands
from mapping.cli_week import week_command
from mapping.errors import ServiceMapError

if TYPE_CHECKING:  # heavy imports stay lazy so `service-map --help` is quick
    import pandas as pd

    from mapping.study import Study

app = typer.Typer(
    help="Drive-time coverage of Lancashire's victim services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data_app = typer.Typer(help="Build and check the analysis data.", no_args_is_help=True)
app.add_typer(data_app, name="data")
services_app = typer.Typer(help="Maintain the services register.", no_args_is_help=True)
app.add_typer(services_app, name="services")
app.add_typer(network_app, name="network")
app.add_typer(optimise_app, name="optimise")
app.command("week")(week_command)
app.command("appraise")(appraise_command)


@data_app.command("build")
def data_build(
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if up to date.")] = False,
) -> None:
    """Build boundaries, population, the postcode index, origins and need under data/."""
    from mapping import geography
    from mapping.geography import need
    from mapping.inputs.sources import locate_sources

    src = locate_sources(sources)
    typer.echo(f"Sources: {src.root} ({src.origin})", err=True)
    report = geography.build(src, data_dir, force=force, progress=True)
    try:  # the need layer is optional: the rest of the tool works without it
        report.update(need.build(src, data_dir, force=force))
    except ServiceMapError as exc:
        typer.echo(f"skipped: need layer ({exc})", err=True)
    for name, built in report.items():
        typer.echo(f"{'built' if built else 'up to date'}: {name}")


@data_app.command("check")
def data_check(
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    services: ServicesOption = None,
) -> None:
    """Verify the built data (counts, totals, CRS, each file's checksum against its build
    record, the road network too) and validate the services register."""
    from mapping import geography
    from mapping.inputs import register as services_mod
    from mapping.inputs.sources import locate_sources

    problems: list[str] = []
    if services is None:
        # The built data is only checked when no other register is named explicitly.
        from mapping.network import check_networks

        facts = geography.check(data_dir)
        for line in facts.lines:
            typer.echo(line)
        problems.extend(facts.problems)
        net_lines, net_problems = check_networks(data_dir)
        for line in net_lines:
            typer.echo(line)
        problems.extend(net_problems)
        from mapping.cli_need import check_need_layer

        problems.extend(check_need_layer(data_dir))
    src = locate_sources(sources)
    register_path = services or services_mod.default_register_path()
    register_problems = services_mod.validate_register(register_path, src)
    if register_problems:
        problems.extend(str(p) for p in register_problems)
    else:
        typer.echo(f"register: {register_path} is valid")
        from mapping.inputs.evidence import evidence_basis

        register = services_mod.load_register(register_path, src, check_postcodes=False)
        for line in evidence_basis(register).lines():
            typer.echo(line)
    if problems:
        for line in problems:
            typer.echo(line, err=True)
        typer.echo(f"{len(problems)} problem(s) found.", err=True)
        raise typer.Exit(code=1)
    typer.echo("All checks passed.")


@data_app.command("download")
def data_download(data_dir: DataDirOption = None) -> None:
    """Download the raw files from their publishers (needs internet; not used offline)."""
    from mapping.inputs.sources import download_sources

    target = download_sources(data_dir / "downloads" if data_dir else None)
    typer.echo(f"Downloaded into {target}")


@services_app.command("geocode")
def services_geocode(services: ServicesOption = None, sources: SourcesOption = None) -> None:
    """Fill lat/lon of postcode-located services from OS Code-Point Open (atomic rewrite)."""
    from mapping.inputs.geocode import geocode_register
    from mapping.inputs.sources import locate_sources

    report = geocode_register(services, locate_sources(sources))
    typer.echo(
        f"{report.path}: {report.geocoded} of {report.records} record(s) located by postcode, "
        f"{report.changed} updated."
    )


@app.command(
    "matrix",
    help="Drive minutes from every origin to every destination. Bad rows (unknown "
    "postcode, point over 5 km off the network) are reported on stderr as "
    "file:row:field: message and left out; the rest is still written. Exit code 0: every "
    "row used; 3: written, some rows skipped; 1: nothing written.",
    short_help="Drive minutes from origins to destinations (CSV in, CSV out).",
)
def matrix(
    origins: Annotated[
        Path, typer.Option("--origins", help="CSV with id and postcode, or id, lon, lat.")
    ],
    destinations: Annotated[
        Path, typer.Option("--destinations", help="CSV with id and postcode, or id, lon, lat.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Output CSV: origin_id,destination_id,minutes. An existing file is replaced "
            "only if it is a previous matrix; never an input or anything under the data folder.",
        ),
    ],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="When: a named slot ('weekend night'), 'Mon 10:00'…'Sun 23:59' or an ISO "
            "date-time; picks the speed profile (default: daytime).",
        ),
    ] = None,
    network: Annotated[
        str, typer.Option("--network", help="Road network: offline (default) or osm.")
    ] = "offline",
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write the origin-destination drive-time matrix (see the command's help)."""
    from mapping.routing.matrix import run_matrix

    _guard_out(out, "matrix", [origins, destinations], data_dir)
    report = run_matrix(
        origins, destinations, out, at=at, network=network, sources=sources, data_dir=data_dir
    )
    for line in report.problems:
        typer.echo(line, err=True)
    typer.echo(
        f"wrote {report.rows_written} rows ({report.n_origins} origins × "
        f"{report.n_destinations} destinations, {report.profile} profile) to {report.out}"
    )
    if report.exit_code:
        typer.echo(f"{len(report.problems)} input row(s) skipped.", err=True)
        raise typer.Exit(code=report.exit_code)


_REPLACE_HELP = (
    " An existing file is replaced only by a table of the same kind; never the register, "
    "an input, or anything under the data folder."
)


def _load_study(
    services: Path | None,
    scenario: Path | None,
    sources: Path | None,
    data_dir: Path | None,
    network: str = "offline",
) -> Study:
    """Load the study every analysis command shares, with a scenario applied if given."""
    from mapping.study import Study

    typer.echo("Loading data, register and road network…", err=True)
    study = Study.load(
        data_dir=data_dir, sources=sources, services=services, network=network, progress=True
    )
    if scenario is not None:
        study = study.with_scenario(scenario, sources=sources)
    return study


def _guard_out(
    out: Path | None, kind: str, reads: list[Path | None], data_dir: Path | None
) -> None:
    """Refuse a bad ``--out`` before any work (see :mod:`mapping.outputs.paths`)."""
    if out is None:
        return
    from mapping.outputs.paths import check_output_path

    check_output_path(out, kind, reads=reads, data_dir=data_dir)


def _check_scenario_file(scenario: Path | None) -> None:
    """Read a scenario file safely (size, BOM, nesting, change count) before any work."""
    if scenario is not None:
        from mapping.inputs.files import read_scenario_document

        read_scenario_document(scenario)


def _register(services: Path | None) -> Path:
    from mapping.inputs.register import default_register_path

    return services or default_register_path()


def _write_table(table: pd.DataFrame, out: Path) -> None:
    """Write a table as CSV or XLSX (by extension), atomically and formula-safe."""
    from mapping.outputs.tables import write_table

    write_table(table, out)
    typer.echo(f"wrote {out}")


@app.command("sarc")
def sarc(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write the table (.csv or .xlsx)." + _REPLACE_HELP,
        ),
    ] = None,
    at: Annotated[
        list[str] | None,
        typer.Option(
            "--at",
            help="Time slots to compare (repeatable): 'Tue 10:00', 'Sat 02:00', a slot name "
            "such as 'weekend night', or an ISO date-time. Default: weekday daytime and "
            "weekend night.",
        ),
    ] = None,
    services: ServicesOption = None,
    scenario: ScenarioOption = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = "offline",
    weight: WeightOption = "residents",
    mode: ModeOption = "drive",
) -> None:
    """Where is each council area's nearest open SARC, in hours and out of hours?"""
    from mapping.analysis.without_car import mode_note
    from mapping.cli_need import check_weight, weight_note
    from mapping.cli_walk import check_mode
    from mapping.inputs.limits import check_times
    from mapping.inputs.when import resolve_slot

    # Check the times and the weight before the slow load, so a typo fails at once.
    check_times(at)
    slots = [resolve_slot(s) for s in at or ["weekday daytime", "weekend night"]]
    check_weight(weight)
    check_mode(mode)
    _guard_out(out, "sarc", [_register(services), scenario], data_dir)
    _check_scenario_file(scenario)
    study = _load_study(services, scenario, sources, data_dir, network)
    table = study.sarc_access(slots, weight=weight, mode=mode)
    from mapping.outputs.text import format_sarc_table

    typer.echo(format_sarc_table(table))
    if mode == "drive":
        for slot in slots:  # each headline with its range (docs/ranges.md)
            spread = study.beyond_range("sarc", slot, weight=weight)
            typer.echo(
                f"{slot.at} ({slot.name}): {spread.text()} beyond 60 minutes of an open SARC; "
                f"{spread.explain()}."
            )
        # The same account (and words) as the app's Map, Gaps and Week pages and the report.
        for slot in slots:
            typer.echo(study.out_of_hours("sarc", slot, threshold=60, weight=weight).sentence())
    typer.echo(f"Network: {study.network_source}. {mode_note(mode)} {weight_note(weight)}")
    if out is not None:
        _write_table(table, out)


@app.command("scenario")
def scenario_command(
    file: Annotated[
        Path, typer.Argument(help="What-if scenario file (.toml or .json).", metavar="FILE")
    ],
    category: Annotated[
        str, typer.Option("--category", help="Service category measured (default: sarc).")
    ] = "sarc",
    at: Annotated[
        list[str] | None,
        typer.Option(
            "--at",
            help="Time slots (repeatable), as for `sarc`. Default: weekday daytime and "
            "weekend night.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write the per-area table (.csv or .xlsx)." + _REPLACE_HELP,
        ),
    ] = None,
    services: ServicesOption = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = "offline",
    weight: WeightOption = "residents",
) -> None:
    """What if? Compare a scenario with the baseline per council area and time slot."""
    from mapping.cli_need import check_weight, weight_note
    from mapping.inputs.limits import check_times
    from mapping.inputs.register import default_register_path
    from mapping.inputs.scenario_file import load_scenario
    from mapping.inputs.when import resolve_slot
    from mapping.outputs.text import format_comparison
    from mapping.store import sha256_file

    check_weight(weight)
    check_times(at)
    for slot in at or ():
        resolve_slot(slot)  # a bad or out-of-range time fails before the slow load
    register_path = services or default_register_path()
    _guard_out(out, "scenario", [file, register_path], data_dir)
    _check_scenario_file(file)
    plan = load_scenario(file)  # a malformed file fails before the slow load
    checksum = sha256_file(register_path) if register_path.is_file() else None
    study = _load_study(services, None, sources, data_dir, network)
    comparison = study.compare(
        plan,
        category=category,
        slots=at or ("weekday daytime", "weekend night"),
        sources=sources,
        weight=weight,
    )
    typer.echo(format_comparison(comparison))
    typer.echo(f"Network: {study.network_source}. {weight_note(weight)}")
    if out is not None:
        _write_table(comparison.by_area, out)
    if checksum is not None and sha256_file(register_path) != checksum:
        raise ServiceMapError(f"{register_path} changed while the scenario ran (not by it?)")
    typer.echo(f"Baseline register {register_path} unchanged: the scenario is applied in memory.")


@app.command("gaps")
def gaps(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write the full gap register (.csv or .xlsx)." + _REPLACE_HELP,
        ),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option(
            "--rules", help="Gap rules TOML (default: data/gap_rules.toml).", dir_okay=False
        ),
    ] = None,
    services: ServicesOption = None,
    scenario: ScenarioOption = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = "offline",
) -> None:
    """The gap register: each rule's gaps by area, with severity and evidence."""
    from mapping.analysis import gaps as gaps_mod
    from mapping.inputs.files import read_document
    from mapping.inputs.rules import default_rules_path, load_rules
    from mapping.outputs.text import format_gaps

    rules_path = rules or default_rules_path()
    _guard_out(out, "gaps", [_register(services), scenario, rules_path], data_dir)
    _check_scenario_file(scenario)
    read_document(rules_path, what="gap rules")  # size, BOM, nesting: before the parser
    checked = load_rules(rules)  # a broken rules file fails before the slow load
    study = _load_study(services, scenario, sources, data_dir, network)
    register = study.gaps(checked)
    typer.echo(format_gaps(register))
    typer.echo(gaps_mod.summarise_gaps(register).to_string(index=False))
    typer.echo(f"{len(register)} gap(s). Network: {study.network_source}.")
    if out is not None:
        _write_table(register, out)


@app.command("export")
def export(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder to write. A previous export there is replaced only once the new "
            "one is complete; any other non-empty folder, and anything under the data "
            "folder, is refused.",
        ),
    ],
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Also compare a what-if scenario (TOML or JSON)."),
    ] = None,
    services: ServicesOption = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = "offline",
    minutes: Annotated[
        float | None,
        typer.Option(
            "--minutes", min=0.1, help="Threshold of the scenario's comparison (default 60)."
        ),
    ] = None,
) -> None:
    """Export tables (CSV, XLSX), GIS layers (GeoPackage, GeoParquet) and an HTML report."""
    from mapping.outputs.export import check_export_folder

    _guard_out(out, "export", [_register(services), scenario], data_dir)
    check_export_folder(out)  # before the slow load, not after it
    _check_scenario_file(scenario)
    plan = None
    if scenario is not None:
        from mapping.inputs.scenario_file import load_scenario

        plan = load_scenario(scenario)  # a malformed file fails before the slow load
    study = _load_study(services, None, sources, data_dir, network)
    report = study.export(out, scenario=plan, sources=sources, progress=True, threshold=minutes)
    for path in report.paths:
        typer.echo(path)
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(
        f"{len(report.files)} files, {report.total_bytes / 1e6:.1f} MB in "
        f"{report.seconds:.0f} s -> {report.out_dir}",
        err=True,
    )


# Need, equity and capacity commands live in their own module (equity, capacity, access).
register_need_commands(app)
register_walk_commands(app)
register_pathway_commands(app, services_app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command, turning errors into one clear message.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``); tests pass them directly.
    """
    # Turn SIGTERM into an ordinary exit so atomic writers remove their temporary files.
    # The exit can land inside a C extension that mangles it (pandas' CSV parser turns it
    # into a TypeError): whatever then arrives is reported as the stop it is.
    terminated: list[int] = []

    def _stop(signum: int, _frame: object) -> None:
        terminated.append(signum)
        sys.exit(143)

    signal.signal(signal.SIGTERM, _stop)
    try:
        app(args=argv, prog_name="service-map")
    except ServiceMapError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        # Disk full, read-only, permission denied, a name too long: the environment,
        # not a bug. Name the file (the destination, not its temporary twin).
        from mapping.outputs.paths import describe_os_error

        typer.echo(f"error: {describe_os_error(exc)}", err=True)
        sys.exit(1)
    except RecursionError:
        typer.echo(
            "error: an input file is nested too deeply to read (thousands of levels of "
            "tables or lists); flatten it",
            err=True,
        )
        sys.exit(1)
    except Exception as exc:
        if terminated:
            typer.echo(
                "error: stopped by a termination signal (SIGTERM); files already built are "
                "kept, and the step that was running left nothing behind",
                err=True,
            )
            sys.exit(143)
        # A bug rather than bad input: still no traceback unless asked for one.
        if os.environ.get("SERVICE_MAP_DEBUG"):
            raise
        typer.echo(
            f"error: unexpected {type(exc).__name__}: {exc} "
            "(set SERVICE_MAP_DEBUG=1 to see the traceback and please report it)",
            err=True,
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
