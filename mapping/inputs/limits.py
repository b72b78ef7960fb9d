"""Documented limits on what one request may ask of the tool, with clear refusals.

The app serves many people from one process on a small machine, and the CLI runs
beside other work, so a request that would take minutes and gigabytes is refused up
front with the figure, instead of failing after seconds with ``MemoryError`` or
starving everyone else. The figures come from the load tests of issue 8 (measured on
the project's 2-core machine); README.md ("Limits") lists them for users.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sized
from pathlib import Path

from mapping.errors import ServiceMapError

__all__ = [
    "CANDIDATE_BYTES_PER_PAIR",
    "MATRIX_BYTES_PER_PAIR",
    "MATRIX_MEMORY_SHARE",
    "MAX_AT_TIMES",
    "MAX_CANDIDATES",
    "MAX_CSV_CELL_CHARS",
    "MAX_DEMAND_PER_HOUR",
    "MAX_DOCUMENT_BYTES",
    "MAX_NESTING_DEPTH",
    "MAX_SCENARIO_CHANGES",
    "MAX_UPLOAD_BYTES",
    "available_memory_bytes",
    "check_candidates",
    "check_matrix_size",
    "check_scenario_size",
    "check_times",
    "check_upload_size",
    "estimate_matrix_bytes",
]

#: Largest register or scenario file accepted by upload in the app (bytes). The
#: published register is 28 kB for about 100 services; 2 MB holds some 7,000.
MAX_UPLOAD_BYTES = 2_000_000

#: Largest scenario or rules file read (bytes); real ones are under 2 kB.
MAX_DOCUMENT_BYTES = 256_000

#: Largest cell of a CSV file read (characters): Python's ``csv`` limit (131,072), left
#: as it is. The register's longest cell is under 600; a larger
#: one is reported with its row and column (``mapping.inputs.files.csv_rows``).
MAX_CSV_CELL_CHARS = csv.field_size_limit()

#: Deepest nesting of tables/lists in a scenario or rules file. Real files nest 3 deep;
#: thousands of levels made the parser fail with ``RecursionError`` (issue 8).
MAX_NESTING_DEPTH = 32

#: Most changes in one scenario. A scenario with 1,000 added sites took 90 s and 2 GB
#: inside the shared app server, 10,000 over 15 minutes and 14 GB (issue 8); time grows
#: about linearly, so 200 changes is about 18 s and 0.4 GB (inferred from those runs).
MAX_SCENARIO_CHANGES = 200

#: Memory one origin-destination pair needs in ``service-map matrix``: the minutes of
#: the full and the kept matrix, three table columns and the CSV text. Measured: 200,000
#: x 100 pairs (20 million) peaked at 1.9 GB, about 95 bytes a pair (issue 8).
MATRIX_BYTES_PER_PAIR = 96

#: Share of the memory available now that one matrix may use.
MATRIX_MEMORY_SHARE = 0.5


def available_memory_bytes() -> int:
    """Memory available to a new allocation now (``MemAvailable``), in bytes.

    Falls back to the free physical pages where ``/proc/meminfo`` does not exist.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 8 << 30


def _size(n_bytes: float) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("kB", 1000)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes:,.0f} bytes"


def estimate_matrix_bytes(n_origins: int, n_destinations: int) -> int:
    """Peak memory of a drive-time matrix of this shape (see :data:`MATRIX_BYTES_PER_PAIR`)."""
    return int(n_origins) * int(n_destinations) * MATRIX_BYTES_PER_PAIR


def check_matrix_size(
    n_origins: int,
    n_destinations: int,
    origins: str | os.PathLike[str] = "origins",
    destinations: str | os.PathLike[str] = "destinations",
    *,
    available: int | None = None,
) -> int:
    """Refuse a matrix that would not fit in memory, before any routing.

    Parameters
    ----------
    n_origins, n_destinations
        Rows read from each input file.
    origins, destinations
        The input files, named in the message.
    available
        Memory available in bytes (default: :func:`available_memory_bytes`).

    Returns
    -------
    int
        The estimate in bytes, when it fits.

    Raises
    ------
    ServiceMapError
        Giving the estimate and the memory available, and what to do.
    """
    needed = estimate_matrix_bytes(n_origins, n_destinations)
    budget = (available_memory_bytes() if available is None else available) * MATRIX_MEMORY_SHARE
    if needed > budget:
        pairs = int(n_origins) * int(n_destinations)
        raise ServiceMapError(
            f"{Path(origins)} x {Path(destinations)}: {n_origins:,} origins x "
            f"{n_destinations:,} destinations = {pairs:,} pairs would need about "
            f"{_size(needed)} of memory; {_size(budget)} may be used now "
            f"({MATRIX_MEMORY_SHARE:.0%} of what is free). Split the origins into smaller "
            "files and run the matrix for each."
        )
    return needed


def check_scenario_size(n_changes: int, source: str | os.PathLike[str] = "scenario") -> None:
    """Refuse a scenario with more than :data:`MAX_SCENARIO_CHANGES` changes.

    Raises
    ------
    ServiceMapError
        Naming the scenario, the count and the limit.
    """
    if n_changes > MAX_SCENARIO_CHANGES:
        raise ServiceMapError(
            f"{source}: {n_changes:,} changes; a scenario may hold at most "
            f"{MAX_SCENARIO_CHANGES:,} (each added or changed site is re-routed for the "
            "whole county). Split it into smaller scenarios."
        )


def check_upload_size(n_bytes: int, name: str, limit: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse an uploaded or read file larger than ``limit`` bytes.

    Raises
    ------
    ServiceMapError
        Naming the file, its size and the limit.
    """
    if n_bytes > limit:
        raise ServiceMapError(
            f"{name}: {_size(n_bytes)} is larger than the {_size(limit)} allowed for this file"
        )


#: Most candidate sites one site optimisation may weigh. 2,000 candidates took 4.1 GB
#: and 441 s and 50,000 grew to 20.6 GB before the kernel stopped it (issue 19); time
#: and memory grow with the candidates, so 500 is about 1 GB and two minutes.
MAX_CANDIDATES = 500

#: Memory one origin-candidate pair needs in the site optimiser: 4.1 GB for 2,000
#: candidates x 39,387 origins is about 52 bytes a pair (issue 19).
CANDIDATE_BYTES_PER_PAIR = 56

#: Most times (``--at``) one command may ask for: every hour of the week. 2,016 values
#: ran 676 s (issue 19).
MAX_AT_TIMES = 168

#: Largest demand of one hour in a demand file (any unit). Demand is rescaled to a mean
#: of 1 per hour, so only its shape matters; 1e308 an hour overflowed the total.
MAX_DEMAND_PER_HOUR = 1e12


def check_candidates(
    n_candidates: int,
    source: str | os.PathLike[str] = "candidates",
    *,
    n_origins: int | None = None,
    available: int | None = None,
) -> None:
    """Refuse more than :data:`MAX_CANDIDATES` candidate sites, or more than memory allows.

    Parameters
    ----------
    n_candidates
        Candidate sites read.
    source
        The candidates file (or description), named in the message.
    n_origins
        Origins of the study, for the memory estimate (``None``: rows only).
    available
        Memory available in bytes (default: :func:`available_memory_bytes`).

    Raises
    ------
    ServiceMapError
        Naming the source, the count and the limit, or the estimate and the memory.
    """
    if n_candidates > MAX_CANDIDATES:
        raise ServiceMapError(
            f"{source}: {n_candidates:,} candidate sites; the site optimiser weighs at most "
            f"{MAX_CANDIDATES:,} (2,000 took 4 GB and over 7 minutes). Keep the likeliest "
            "sites, or run it for each part of the county."
        )
    if n_origins is None:
        return
    needed = int(n_candidates) * int(n_origins) * CANDIDATE_BYTES_PER_PAIR
    budget = (available_memory_bytes() if available is None else available) * MATRIX_MEMORY_SHARE
    if needed > budget:
        raise ServiceMapError(
            f"{source}: {n_candidates:,} candidate sites x {n_origins:,} origins would need "
            f"about {_size(needed)} of memory; {_size(budget)} may be used now "
            f"({MATRIX_MEMORY_SHARE:.0%} of what is free). Give fewer candidates."
        )


def check_times(times: Sized | None, option: str = "--at") -> None:
    """Refuse more than :data:`MAX_AT_TIMES` times in one request.

    Raises
    ------
    ServiceMapError
        Naming the option, the count and the limit.
    """
    count = 0 if times is None else len(times)
    if count > MAX_AT_TIMES:
        raise ServiceMapError(
            f"{option}: {count:,} times given; at most {MAX_AT_TIMES} (every hour of the "
            "week) are computed in one run. Leave --at out to use every hour of the week."
        )
