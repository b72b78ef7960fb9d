"""Fill in a register's coordinates from its postcodes (OS Code-Point Open)."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

from mapping.errors import Problem
from mapping.inputs.postcodes import _canonical_or_none, lookup_postcodes
from mapping.inputs.register import (
    RegisterError,
    _Parsed,
    _read_rows,
    _read_text,
    default_register_path,
    validate_register,
)
from mapping.inputs.sources import Sources, locate_sources
from mapping.store import atomic_write_text


@dataclass(frozen=True)
class GeocodeReport:
    """What :func:`geocode_register` did."""

    path: Path
    records: int
    geocoded: int
    changed: int


def geocode_register(
    path: str | os.PathLike[str] | None = None,
    sources: Sources | None = None,
) -> GeocodeReport:
    """(Re)fill ``lat``/``lon`` from OS Code-Point Open for postcode-located records.

    Only non-confidential records with ``location_precision = postcode`` are touched;
    every other value is written back unchanged. The file is replaced atomically, and
    only when something changed.

    Parameters
    ----------
    path
        The register CSV (default :func:`default_register_path`).
    sources
        Located raw sources (found when omitted).

    Raises
    ------
    RegisterError
        If the file cannot be read as a register, or a postcode is not in Code-Point
        Open (nothing is written then).
    mapping.inputs.sources.SourceError
        If the Code-Point zip cannot be found or read.
    """
    path = Path(default_register_path() if path is None else path)
    parsed = _Parsed(label=str(path))
    text = _read_text(path, parsed)
    rows = _read_rows(text, parsed) if text is not None else []
    if parsed.problems or not rows:
        raise RegisterError(path, parsed.problems or [Problem(str(path), 0, "-", "no header")])
    header = [h.strip() for h in rows[0][1]]
    needed = ("postcode", "lat", "lon", "location_precision", "confidential")
    missing = [c for c in needed if c not in header]
    if missing:
        raise RegisterError(path, [Problem(str(path), 0, "-", f"missing column(s): {missing}")])
    # The rest of the register must be valid too (ids unique, every column, coordinates
    # in range): geocoding fills points, it never writes back a broken register. A
    # postcode-located record may still lack its point: that is what is filled here.
    invalid = [
        p
        for p in validate_register(path, sources, check_postcodes=False)
        if not (p.field in ("lat", "lon") and "needs lat and lon" in p.message)
    ]
    col = {name: header.index(name) for name in needed}
    targets: list[tuple[int, list[str], str]] = []
    problems: list[Problem] = list(invalid)  # reported with the postcodes' problems
    for line, row in rows[1:]:
        if len(row) != len(header):
            if not any(p.row == line for p in invalid):
                problems.append(Problem(str(path), line, "-", "wrong number of fields"))
            continue
        if row[col["location_precision"]].strip() != "postcode":
            continue
        if row[col["confidential"]].strip().lower() == "true":
            continue  # never give a confidential record a point
        postcode = _canonical_or_none(row[col["postcode"]])
        if postcode is None:
            problems.append(Problem(str(path), line, "postcode", "not a UK postcode"))
            continue
        targets.append((line, row, postcode))
    sources = sources or locate_sources()
    found = lookup_postcodes([pc for _, _, pc in targets], sources)
    for line, _, postcode in targets:
        if postcode not in found.index:
            problems.append(
                Problem(str(path), line, "postcode", f"{postcode} is not in OS Code-Point Open")
            )
    if problems:
        raise RegisterError(path, sorted(problems, key=lambda p: p.row))
    changed = 0
    for _, row, postcode in targets:
        lat, lon = f"{found.at[postcode, 'lat']:.6f}", f"{found.at[postcode, 'lon']:.6f}"
        if (row[col["lat"]], row[col["lon"]]) != (lat, lon):
            row[col["lat"]], row[col["lon"]] = lat, lon
            changed += 1
    if changed:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for _, row in rows:
            writer.writerow(row)
        atomic_write_text(path, out.getvalue())
    return GeocodeReport(path=path, records=len(rows) - 1, geocoded=len(targets), changed=changed)
