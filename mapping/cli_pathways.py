"""``service-map pathways`` (every way in for a victim) and the routes check.

Registered on the main command by :func:`register_pathway_commands` (``mapping/cli.py``).
The command parses options, calls :meth:`mapping.Study.pathways` and prints what it
computed; every user-caused problem is a :class:`~mapping.errors.ServiceMapError`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mapping.cli_options import DataDirOption, ServicesOption, SourcesOption

if TYPE_CHECKING:
    from mapping.analysis.pathway_study import PathwayResult

__all__ = ["pathways_command", "pathways_report", "register_pathway_commands"]


def pathways_report(result: PathwayResult) -> list[str]:
    """The lines ``service-map pathways`` prints: a heading, then every way in."""
    table = result.table
    lines = [
        f"Ways in for: {result.need.label}, age {result.age}, at {result.slot.at}"
        f" ({result.slot.name}), from {result.home} (LSOA {result.lsoa})",
    ]
    if result.note:
        lines.append(result.note)
    counts = table["status"].value_counts()
    lines.append(
        f"{len(table)} pathway(s): {counts.get('open', 0)} open, {counts.get('closed', 0)} "
        f"closed, {counts.get('barred', 0)} barred by age or risk."
    )
    if not result.open_without_police:
        lines.append("No pathway is open at this hour without going through the police.")
    if result.single_points:
        lines.append(f"Every pathway passes through: {', '.join(result.single_points)}.")
    lines.append("")
    for row in table.to_dict("records"):
        minutes = row["minutes"]
        drive = "no site" if minutes is None or math.isnan(minutes) else f"{minutes:.0f} min drive"
        extra = ""
        if row["status"] == "closed":
            extra = f" (closed: {row['closed_at']})"
        elif row["status"] == "barred":
            extra = f" ({row['reason']})"
        inferred = " [inferred]" if row["inferred"] else ""
        lines.append(f"  {row['status'].upper():7} {row['path']} | {drive}{extra}{inferred}")
    lines.append("")
    lines.append(
        "Drive minutes run from the home LSOA's population-weighted origin to the service "
        "that meets the need; 'no site' is a telephone line, a confidential refuge or a site "
        "off the study's road network. [inferred] marks a pathway resting on an inferred route "
        "(data/referral_routes.csv)."
    )
    return lines


def pathways_command(
    need: Annotated[
        str, typer.Option("--need", help="A need from data/needs.toml, e.g. 'adult, recent rape'.")
    ],
    age: Annotated[int, typer.Option("--age", help="The victim's age in years.", min=0, max=120)],
    at: Annotated[
        str, typer.Option("--at", help="When: 'Sat 02:00', a slot name, an ISO date-time.")
    ],
    home: Annotated[
        str, typer.Option("--from", help="Home postcode (e.g. 'BB11 1JA') or LSOA code.")
    ],
    services: ServicesOption = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Every way in for a victim: route -> service (-> onward), open or closed, drive times."""
    from mapping.analysis.pathway_study import victim_pathways
    from mapping.inputs.needs import find_need
    from mapping.inputs.when import resolve_slot
    from mapping.study import Study

    chosen = find_need(need)  # a bad need or time fails before the slow load
    resolve_slot(at)
    typer.echo("Loading data, register and road network…", err=True)
    study = Study.load(data_dir=data_dir, sources=sources, services=services, progress=True)
    result = victim_pathways(study.model, chosen, age, at, home)
    typer.echo("\n".join(pathways_report(result)))


def routes_check(
    routes: Annotated[
        Path | None, typer.Option("--routes", help="Routes CSV (default data/referral_routes.csv).")
    ] = None,
    services: ServicesOption = None,
) -> None:
    """Validate the referral routes against the register: file:row:field: message, exit 1."""
    from mapping.inputs.register import load_register
    from mapping.inputs.routes import default_routes_path, validate_routes

    register = load_register(services, check_postcodes=False)
    path = routes or default_routes_path()
    problems = validate_routes(path, register)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"routes: {path} is valid")


def referrals_command(services: ServicesOption = None) -> None:
    """Published referral volumes, each cited, beside the benchmark where one exists."""
    from mapping.analysis.referrals import MIN_SHOWN, volume_table
    from mapping.inputs.benchmarks import load_benchmarks
    from mapping.inputs.referrals import load_referrals
    from mapping.inputs.register import load_register

    register = load_register(services, check_postcodes=False)
    referrals = load_referrals(service_ids=set(register["id"].astype(str)))
    table = volume_table(referrals, register, load_benchmarks())
    for row in table.to_dict("records"):
        typer.echo(
            f"{row['service']} {row['year']} ({row['route']}): {row['published']} "
            f"{row['measure'].replace('_', ' ')}. Benchmark: {row['benchmark']}. "
            f"Source: {row['source']}"
        )
    typer.echo(
        f"Counts under {MIN_SHOWN} from a published table are shown as 'fewer than {MIN_SHOWN}'."
    )


FormatOption = Annotated[str, typer.Option("--format", help="Directory standard: oruk.")]


def _check_format(fmt: str) -> None:
    from mapping.errors import ServiceMapError

    if fmt.lower() != "oruk":
        raise ServiceMapError(f"unknown --format {fmt!r}; known: oruk (Open Referral UK, HSDS 3.0)")


def services_export(
    out: Annotated[Path, typer.Option("--out", help="Folder for the JSON files.", file_okay=False)],
    fmt: FormatOption = "oruk",
    services: ServicesOption = None,
) -> None:
    """Write the register as Open Referral UK (HSDS 3.0) JSON."""
    from mapping.inputs.register import default_register_path, load_register
    from mapping.inputs.routes import load_routes
    from mapping.outputs.oruk import export_oruk
    from mapping.outputs.paths import check_output_path

    _check_format(fmt)
    path = services or default_register_path()
    check_output_path(out, "oruk", reads=[path])
    register = load_register(path, check_postcodes=False)  # refuses an invalid register
    known = set(register["id"].astype(str))
    routes = [r for r in load_routes() if r.service_id in known]
    for written in export_oruk(path, routes, out):
        typer.echo(f"wrote {written}")
    typer.echo("Confidential services carry their service area and referral routes only.")


def services_import(
    file: Annotated[
        Path, typer.Argument(help="An ORUK/HSDS 3.0 services JSON file.", dir_okay=False)
    ],
    fmt: FormatOption = "oruk",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write the register CSV here when every row is valid.", dir_okay=False
        ),
    ] = None,
) -> None:
    """Read an ORUK/HSDS 3.0 directory as a register; report problems and dropped fields."""
    from mapping.errors import ServiceMapError
    from mapping.inputs.oruk import read_oruk
    from mapping.outputs.paths import check_output_path

    _check_format(fmt)
    if out is not None:  # before any work: never the input, data/ or a project file
        check_output_path(out, "register", reads=[file])
    result = read_oruk(file)
    for dropped in result.dropped:
        typer.echo(f"dropped: {dropped}")
    typer.echo(f"read {len(result.register)} service(s); {len(result.dropped)} field(s) dropped")
    if result.problems:
        lines = "\n".join(str(p) for p in result.problems)
        raise ServiceMapError(f"{file}: {len(result.problems)} problem(s) as a register:\n{lines}")
    if out is not None:
        tmp = out.with_name(f".{out.name}.tmp")
        result.register.to_csv(tmp, index=False)
        tmp.replace(out)
        typer.echo(f"wrote {out}")


def register_pathway_commands(app: typer.Typer, services_app: typer.Typer) -> None:
    """Add ``pathways`` and ``referrals`` to ``app`` and ``routes`` (check) to ``services``."""
    app.command("pathways")(pathways_command)
    app.command("referrals")(referrals_command)
    services_app.command("routes")(routes_check)
    services_app.command("export")(services_export)
    services_app.command("import")(services_import)
