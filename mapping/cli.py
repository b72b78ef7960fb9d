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
from typing import Annotated

import typer

from mapping.errors import ServiceMapError

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

SourcesOption = Annotated[
    Path | None,
    typer.Option(
        "--sources",
        help="Folder of raw public files (default: $SERVICE_MAP_SOURCES, then ../shared/data).",
        file_okay=False,
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Folder for generated data (default: $SERVICE_MAP_DATA or ./data)."
    ),
]
ServicesOption = Annotated[
    Path | None,
    typer.Option("--services", help="Services register CSV (default: data/services.csv)."),
]


@data_app.command("build")
def data_build(
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if up to date.")] = False,
) -> None:
    """Build boundaries, population, the postcode index and origins under data/."""
    from mapping import geography
    from mapping.sources import locate_sources

    src = locate_sources(sources)
    typer.echo(f"Sources: {src.root} ({src.origin})", err=True)
    report = geography.build(src, data_dir, force=force, progress=True)
    for name, built in report.items():
        typer.echo(f"{'built' if built else 'up to date'}: {name}")


@data_app.command("check")
def data_check(
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    services: ServicesOption = None,
) -> None:
    """Verify the built data (counts, totals, CRS) and validate the services register."""
    from mapping import geography
    from mapping import services as services_mod
    from mapping.sources import locate_sources

    problems: list[str] = []
    if services is None:
        # The built data is only checked when no other register is named explicitly.
        facts = geography.check(data_dir)
        for line in facts.lines:
            typer.echo(line)
        problems.extend(facts.problems)
    src = locate_sources(sources)
    register_path = services or services_mod.default_register_path()
    register_problems = services_mod.validate_register(register_path, src)
    if register_problems:
        problems.extend(str(p) for p in register_problems)
    else:
        typer.echo(f"register: {register_path} is valid")
    if problems:
        for line in problems:
            typer.echo(line, err=True)
        typer.echo(f"{len(problems)} problem(s) found.", err=True)
        raise typer.Exit(code=1)
    typer.echo("All checks passed.")


@data_app.command("download")
def data_download(data_dir: DataDirOption = None) -> None:
    """Download the raw files from their publishers (needs internet; not used offline)."""
    from mapping.sources import download_sources

    target = download_sources(data_dir / "downloads" if data_dir else None)
    typer.echo(f"Downloaded into {target}")


@services_app.command("geocode")
def services_geocode(services: ServicesOption = None, sources: SourcesOption = None) -> None:
    """Fill lat/lon of postcode-located services from OS Code-Point Open (atomic rewrite)."""
    from mapping import services as services_mod
    from mapping.sources import locate_sources

    report = services_mod.geocode_register(services, locate_sources(sources))
    typer.echo(
        f"{report.path}: {report.geocoded} of {report.records} record(s) located by postcode, "
        f"{report.changed} updated."
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command, turning errors into one clear message.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``); tests pass them directly.
    """
    # Turn SIGTERM into an ordinary exit so atomic writers remove their temporary files.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        app(args=argv, prog_name="service-map")
    except ServiceMapError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:
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
