"""Provenance of an export: parameters, sources, software, README and manifest."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mapping import ATTRIBUTION, __version__
from mapping.errors import ServiceMapError
from mapping.inputs.when import TimeSlot
from mapping.outputs.pack import GENERATOR, ExportContext, ExportedFile, PackTable, age_label
from mapping.store import sha256_file

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel


def parameters(
    study: CoverageModel,
    categories: tuple[str, ...],
    slots: list[TimeSlot],
    thresholds: tuple[float, ...],
    bands: dict[str, str | None],
    headline: list[TimeSlot],
    scenario: Mapping[str, str],
) -> list[tuple[str, str]]:
    changes = study.changes
    rows = [
        ("categories", ", ".join(categories)),
        ("time slots", "; ".join(f"{s.name} = {s.at}" for s in slots)),
        ("thresholds (minutes)", ", ".join(f"{t:g}" for t in thresholds)),
        (
            "age handling",
            "; ".join(f"{c}: {age_label(bands.get(c))}" for c in categories)
            + " (a service counts for an age band when its ages overlap the band)",
        ),
        ("area levels", "council area (district), ward (May 2025), LSOA (Census 2021)"),
        ("map and GIS slots", "; ".join(f"{s.name} = {s.at}" for s in headline)),
        ("network source", study.network_source),
        ("scenario", scenario.get("name") or "none (baseline)"),
    ]
    if scenario:
        rows.append(("scenario description", scenario.get("description", "")))
        rows.append(("scenario file", scenario.get("source", "")))
        rows.append(("scenario threshold (minutes)", scenario.get("threshold", "")))
    if not changes.is_empty:
        rows.append(
            (
                "register changes",
                f"closed: {', '.join(sorted(changes.closed)) or 'none'}; "
                f"hours changed: {', '.join(sorted(changes.hours)) or 'none'}; "
                f"added: {', '.join(changes.added_ids) or 'none'}",
            )
        )
    return rows


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        for key in sorted(value, key=str):
            _flatten(f"{prefix}.{key}" if prefix else str(key), value[key], out)
    elif isinstance(value, float):
        out.append((prefix, f"{value:.6g}"))
    elif isinstance(value, list | tuple):
        out.append((prefix, json.dumps(value, default=str)))
    else:
        out.append((prefix, str(value)))


def network_facts(study: CoverageModel) -> list[tuple[str, str]]:
    meta = dict(study.engine.network.meta)
    # Local paths and cache state say nothing about the network itself.
    for key in ("cache_path", "from_cache"):
        meta.pop(key, None)
    rows: list[tuple[str, str]] = [("source", study.network_source)]
    _flatten("", meta, rows)
    return rows


def source_facts(
    study: CoverageModel, sources: Any, notes: list[str]
) -> list[tuple[str, str, str, str]]:
    """``(file, sha256, title, publisher)`` of every raw source and the register."""
    from mapping.inputs.sources import CATALOGUE, Sources, locate_sources

    rows: list[tuple[str, str, str, str]] = []
    by_path = {spec.relpath: spec for spec in CATALOGUE.values()}
    try:
        located = sources if isinstance(sources, Sources) else locate_sources(sources)
        sums = located.verify_all()
        basis = "verified against SHA256SUMS" if located.has_checksums else "no SHA256SUMS"
        for relpath, digest in sums.items():
            spec = by_path[relpath]
            rows.append((relpath, digest, f"{spec.title} ({basis})", spec.publisher))
    except ServiceMapError as exc:
        notes.append(f"raw sources not verified: {exc}")
        rows.append(("raw sources", "not verified", str(exc), ""))
    path = study.services_path
    if path is not None and Path(path).is_file():
        rows.append(
            (
                f"services register: {Path(path).name}",
                sha256_file(Path(path)),
                f"{len(study.register)} records (before what-if changes)",
                "this project",
            )
        )
    else:
        rows.append(("services register", "in-memory register (no file)", "", "this project"))
    return rows


def software() -> list[tuple[str, str]]:
    import platform

    rows = [("lancashire-service-map", __version__), ("python", platform.python_version())]
    for module in ("pandas", "geopandas", "numpy", "scipy", "pyogrio", "xlsxwriter", "folium"):
        with contextlib.suppress(Exception):
            rows.append((module, str(__import__(module).__version__)))
    return rows


def evidence_note(study: CoverageModel) -> str:
    """How firm the register behind the figures is, in one sentence for the README."""
    from mapping.inputs.evidence import evidence_basis

    register = study.effective_register()
    every = evidence_basis(register)
    sarcs = evidence_basis(register, ["sarc"], located_only=True)
    return (
        f"The register has {every.records} records, {every.assumed_hours} with assumed hours "
        f"and {every.town_level} located only to a town; the SARC figures are "
        f"{sarcs.caption()}."
    )


def method_notes(study: CoverageModel, bands: dict[str, str | None]) -> list[str]:
    meta = study.engine.network.meta
    model = meta.get("model", study.network_source)
    banded = ", ".join(f"{c} ({b})" for c, b in bands.items() if b) or "none"
    return [
        "Origins: each LSOA's Census 2021 population is spread in equal shares over the "
        "OS Code-Point Open postcode units inside it (population-weighted origins on "
        "postcode units, not polygon centroids); every figure is weighted by population.",
        f"Drive times: minutes on the road network ({model}) to the nearest eligible open "
        "service, including the snap from each point to its nearest road node. Journeys "
        "starting 07:00-19:00 use daytime speeds, others free-flow (night) speeds.",
        "Opening hours: a service counts only if its register hours (OpenStreetMap "
        "opening_hours syntax) say it is open at the slot; 'unknown' counts as closed. "
        "The register's hours_basis column says which hours are published and which "
        "are assumed. Its confidence column grades each record: high for a published "
        "postcode and published hours, low for assumed hours or a town-level location "
        f"(about 1 km), medium otherwise. {evidence_note(study)}",
        "Eligibility: a service counts for a Census age band when its age range overlaps "
        f"the band. Categories weighted by an age band: {banded}; the others count "
        "everybody and filter no ages.",
        "Thresholds (minutes) are analysis parameters: no official drive-time standard "
        "exists for these services.",
        "minutes_band columns class mean_minutes as the app map and the HTML report shade "
        "it: 0-15, 15-30, 30-45, 45-60, 60-90 and over 90 minutes, each class including "
        "its upper limit (45.0 is 30-45), and 'no open service' where none is in reach.",
        "Services outside Lancashire (Manchester, Cumbria, Merseyside SARCs) are reachable "
        "and reported as such (share_nearest_outside_lancashire, share_nearest_*).",
        "Confidential services (refuges, safe houses) are never located: they are shown "
        "only as a count per council area, and the travel engine does not route to them.",
        "Services without a site (county-wide and national lines) are listed in "
        "services_not_routed and do not count towards drive-time coverage.",
    ]


def readme_rows(context: ExportContext, sheets: list[tuple[str, PackTable]]) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["Lancashire victim services: drive-time coverage export"],
        ["generated at (UTC)", context.generated_at],
        ["network source", context.network_source],
        [],
        ["Attribution (Open Government Licence v3.0)"],
        *[[line] for line in ATTRIBUTION],
        [],
        ["Parameters"],
        *[list(row) for row in context.parameters],
        [],
        ["Time slots", "time of week", "speed profile"],
        *[list(row) for row in context.slots],
        [],
        ["Sheets"],
        *[[sheet, t.description] for sheet, t in sheets],
        [],
        ["Method notes"],
        *[[str(i), note] for i, note in enumerate(context.method, start=1)],
        [],
        ["Data sources", "sha256", "title", "publisher"],
        *[list(row) for row in context.sources],
        [],
        ["Road network", "value"],
        *[list(row) for row in context.network],
        [],
        ["Software", "version"],
        *[list(row) for row in context.software],
    ]
    if context.notes:
        rows += [[], ["Notes"], *[[str(i), n] for i, n in enumerate(context.notes, start=1)]]
    rows += [[], ["Formulas: text cells that look like formulas start with a single quote (')"]]
    return rows


def readme_text(context: ExportContext, files: list[ExportedFile]) -> str:
    def section(title: str) -> list[str]:
        return ["", title, "-" * len(title)]

    lines = [
        "Lancashire victim services: drive-time coverage export",
        "=" * 54,
        f"Generated at (UTC): {context.generated_at}",
        f"Network source: {context.network_source}",
        *section("Attribution (Open Government Licence v3.0)"),
        *ATTRIBUTION,
        "The attribution applies to every file in this folder, including the CSV files.",
        *section("Files"),
        *[f"{f.path}: {f.description}" for f in files],
        "README.txt: this file",
        "manifest.json: every file above with its size and sha256",
        *section("Parameters"),
        *[f"{k}: {v}" for k, v in context.parameters],
        *section("Method notes"),
        *[f"{i}. {note}" for i, note in enumerate(context.method, start=1)],
        *section("Data sources (sha256)"),
        *[
            f"{digest}  {name}  ({title}; {publisher})"
            for name, digest, title, publisher in context.sources
        ],
        *section("Software"),
        *[f"{k} {v}" for k, v in context.software],
    ]
    if context.notes:
        lines += [*section("Notes"), *context.notes]
    lines += [
        "",
        "CSV files are UTF-8, comma-separated, with a header line. Text cells that a "
        "spreadsheet could read as a formula start with a single quote (').",
    ]
    return "\n".join(lines) + "\n"


def manifest(context: ExportContext, files: list[ExportedFile]) -> dict[str, Any]:
    return {
        "generator": GENERATOR,
        "software": f"lancashire-service-map {__version__}",
        "generated_at": context.generated_at,
        "network_source": context.network_source,
        "parameters": dict(context.parameters),
        "attribution": list(ATTRIBUTION),
        "notes": list(context.notes),
        "files": [
            {
                "path": f.path,
                "kind": f.kind,
                "description": f.description,
                "bytes": f.bytes,
                "sha256": f.sha256,
            }
            for f in files
        ],
    }
