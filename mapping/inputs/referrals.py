"""Published referral volumes (``data/referrals.csv``): counts by service, year and route, cited.

Each row is one published figure: the service (a display name and the register ids it
covers, ``;``-separated, since a published figure often covers several records, such as
Lancashire Victim Services' hubs and lines), the year (``2024/25`` or ``2024``), the route
when the publication splits by route (empty: all routes), what is counted (``measure``),
the count, whether the publication gave it exactly or as "over"/"about" (``qualifier``)
and its source. :func:`load_referrals` checks every row (``file:row:field: message``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from mapping.errors import Problem, ServiceMapError
from mapping.inputs.files import read_csv_table
from mapping.inputs.routes import ROUTES
from mapping.store import repo_root

__all__ = ["MEASURES", "QUALIFIERS", "Referral", "default_referrals_path", "load_referrals"]

#: What a published figure counts.
MEASURES: tuple[str, ...] = ("referrals", "victims_supported", "completed", "unclear")
#: How the publication gave it.
QUALIFIERS: tuple[str, ...] = ("exact", "over", "about")
_COLUMNS = (
    "service",
    "service_ids",
    "year",
    "route",
    "measure",
    "count",
    "qualifier",
    "source",
    "notes",
)
_YEAR = re.compile(r"^(19|20)\d\d(/\d\d)?$")


@dataclass(frozen=True)
class Referral:
    """One published count (see the module docstring)."""

    service: str
    service_ids: tuple[str, ...]
    year: str
    route: str | None
    measure: str
    count: int
    qualifier: str
    source: str
    notes: str = ""


def default_referrals_path() -> Path:
    """The committed file, ``<repo>/data/referrals.csv``."""
    return repo_root() / "data" / "referrals.csv"


def load_referrals(
    path: str | os.PathLike[str] | None = None, service_ids: set[str] | None = None
) -> list[Referral]:
    """Read and check the published referral volumes.

    Parameters
    ----------
    path
        The CSV (default :func:`default_referrals_path`).
    service_ids
        The register's ids; every id a row names must be among them.

    Raises
    ------
    ServiceMapError
        Listing every problem as ``file:row:field: message``.
    """
    path = Path(path or default_referrals_path())
    header, rows = read_csv_table(path)
    label = str(path)
    problems: list[Problem] = []
    if header is None:
        raise ServiceMapError(f"{label}: the file is empty")
    header = [h.strip() for h in header]
    missing = [c for c in _COLUMNS if c not in header]
    if missing:
        raise ServiceMapError(f"{label}:1:-: missing column(s): {', '.join(missing)}")
    out: list[Referral] = []
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(label, line, "-", f"has {len(cells)} fields, the header {len(header)}")
            )
            continue
        v = {c: cells[header.index(c)].strip() for c in _COLUMNS}
        start = len(problems)

        def bad(name: str, message: str, line: int = line) -> None:
            problems.append(Problem(label, line, name, message))

        ids = tuple(s.strip() for s in v["service_ids"].split(";") if s.strip())
        if not v["service"]:
            bad("service", "service is required")
        if not ids:
            bad("service_ids", "name the register id(s) the figure covers")
        elif service_ids is not None:
            unknown = [s for s in ids if s not in service_ids]
            if unknown:
                bad(
                    "service_ids",
                    f"unknown service id(s) {', '.join(map(repr, unknown))}: not in the register",
                )
        if not _YEAR.match(v["year"]):
            bad("year", f"year {v['year']!r} is not a year such as 2024 or 2024/25")
        if v["route"] and v["route"] not in ROUTES:
            bad(
                "route",
                f"unknown route {v['route']!r}; use one of: {', '.join(ROUTES)} or leave empty",
            )
        if v["measure"] not in MEASURES:
            bad("measure", f"unknown measure {v['measure']!r}; use one of: {', '.join(MEASURES)}")
        if not v["count"].isdigit():
            bad(
                "count",
                f"count {v['count']!r} is not a whole number "
                "(unknown figures are left out, never 0)",
            )
        if v["qualifier"] not in QUALIFIERS:
            bad(
                "qualifier",
                f"unknown qualifier {v['qualifier']!r}; use one of: {', '.join(QUALIFIERS)}",
            )
        if "shared/reference/" not in v["source"]:
            bad(
                "source",
                "source must name the publication and the reference file it is recorded in",
            )
        if len(problems) == start:
            out.append(
                Referral(
                    service=v["service"],
                    service_ids=ids,
                    year=v["year"],
                    route=v["route"] or None,
                    measure=v["measure"],
                    count=int(v["count"]),
                    qualifier=v["qualifier"],
                    source=v["source"],
                    notes=v["notes"],
                )
            )
    if problems:
        lines = "\n".join(str(p) for p in problems)
        raise ServiceMapError(
            f"{label}: the referral volumes have {len(problems)} problem(s):\n{lines}"
        )
    return out
