"""Exports: tables (CSV, XLSX), GIS layers (GeoPackage, GeoParquet) and an HTML report.

Everything a commissioner or researcher takes away leaves through this module, so the
rules every export must keep are enforced here, once:

Privacy
    Only :func:`mapping.inputs.register.public_view` of the study's *effective* register is
    exported. Confidential services (refuges, safe houses) have no coordinates in any
    file; on maps and GIS layers they appear only as a count on their council-area
    polygon. :func:`assert_public` checks this again just before anything is written.
Formula safety
    A text cell beginning with ``=``, ``+``, ``-`` or ``@`` (also after leading
    whitespace), or with a tab or carriage return, is prefixed with ``'`` so a
    spreadsheet shows it as text (OWASP "CSV injection"). Numbers are never touched.
Attribution
    Every file carries the OS, Royal Mail and ONS attribution of
    :data:`mapping.ATTRIBUTION`: a README sheet in workbooks, a footer in the HTML
    report, file metadata in GeoPackage and GeoParquet, and a README text file beside
    CSVs (see :func:`write_table` for why not inside them).
Atomicity
    :func:`write_table` writes through :func:`mapping.store.atomic_path`;
    :func:`export_all` builds the whole export in a hidden folder beside the target and
    renames it into place only when complete, so an interrupted export never leaves a
    half-written folder, and a previous export stays intact until the new one is whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mapping.analysis.out_of_hours import hour_account
from mapping.analysis.range_tables import ranges_last
from mapping.analysis.summary import DEFAULT_THRESHOLDS, AreaLevel
from mapping.errors import ServiceMapError
from mapping.inputs.area import study_area
from mapping.inputs.when import NAMED_SLOTS, TimeSlot, resolve_slot
from mapping.outputs.layers import assert_public, build_layers, slot_profile, write_layers
from mapping.outputs.need_pack import need_pack, need_report_section
from mapping.outputs.pack import (
    GENERATOR,
    ExportContext,
    ExportedFile,
    ExportReport,
    PackTable,
    ReportInputs,
    age_label,
)
from mapping.outputs.provenance import (
    manifest,
    method_notes,
    network_facts,
    parameters,
    readme_rows,
    readme_text,
    software,
    source_facts,
)
from mapping.outputs.report import render_report
from mapping.outputs.scenario_report import scenario_tables
from mapping.outputs.tables import (
    add_minutes_band,
    now_utc,
    sheet_name,
    tabular,
    write_csv,
    write_workbook,
)
from mapping.safety import safe_frame
from mapping.store import pid_alive, sha256_file

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel
    from mapping.inputs.scenario_file import Scenario
    from mapping.inputs.sources import Sources

    #: A scenario or the path of its file.
    ScenarioSource = Scenario | str | os.PathLike[str]

__all__ = [
    "DEFAULT_AGE_BANDS",
    "DEFAULT_CATEGORIES",
    "HEADLINE_SLOTS",
    "ExportReport",
    "ExportedFile",
    "check_export_folder",
    "export_all",
]

#: Categories exported by default: the SARC question plus the main commissioned services.
DEFAULT_CATEGORIES: tuple[str, ...] = (
    "sarc",
    "idva",
    "isva",
    "da_outreach",
    "young_people",
    "multi_crime_hub",
)
#: Census age band whose population a category's coverage is weighted by (and whose
#: ages its services must overlap); categories not listed serve everybody.
DEFAULT_AGE_BANDS: Mapping[str, str] = {"young_people": "age_0_15"}
#: The two slots the maps, GIS layers and headline figures compare.
HEADLINE_SLOTS: tuple[str, str] = ("weekday daytime", "weekend night")

_LEVELS: tuple[AreaLevel, ...] = ("district", "ward", "lsoa")
_TMP_SUFFIX = ".exporting"
_OLD_SUFFIX = ".replaced"

# ---- the export ---------------------------------------------------------------------


def export_all(
    study: CoverageModel,
    out_dir: str | os.PathLike[str],
    *,
    scenario: ScenarioSource | None = None,
    categories: Iterable[str] = DEFAULT_CATEGORIES,
    slots: Iterable[str | TimeSlot] = NAMED_SLOTS,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    age_bands: Mapping[str, str | None] | None = None,
    sources: Sources | str | os.PathLike[str] | None = None,
    progress: bool = False,
    threshold: float | None = None,
) -> ExportReport:
    """Write every table, a workbook, GIS layers and an HTML report into ``out_dir``.

    The export is built in a hidden folder beside ``out_dir`` and renamed into place
    when complete. An existing ``out_dir`` is replaced only if it is empty or holds a
    previous export (its ``manifest.json``); any other folder is refused, so a mistyped
    ``--out`` never deletes unrelated files.

    Files written (``<cat>``: each category, ``<level>``: district, ward, lsoa):

    - ``coverage_<cat>_<level>.csv``: :meth:`CoverageModel.compare_slots` at every slot,
      with ``minutes_band`` (the maps' class of ``mean_minutes``), then every other
      column's ``_low``/``_high`` (docs/ranges.md);
    - ``sarc_access.csv``: :meth:`CoverageModel.sarc_access` at every slot;
    - ``week_profile_sarc.csv``: :meth:`mapping.Study.week_profile` of SARCs (168
      hours, residents beyond 60 minutes), then ``people_beyond_low``/``_high`` and
      ``share_beyond_low``/``_high`` (docs/ranges.md);
    - ``gap_register.csv``: :func:`mapping.analysis.gaps.evaluate`;
    - ``services.csv``: the public register; ``services_not_routed.csv``: services the
      travel engine cannot route to, and why;
    - ``need_lsoa.csv``, ``equity_by_decile.csv``, ``equity_by_quintile.csv``,
      ``capacity.csv`` and the GIS layer ``need_lsoa`` when the need layer is built
      (:mod:`mapping.outputs.need_pack`);
    - ``scenario_by_area.csv``, ``scenario_totals.csv``, ``scenario_gaps.csv`` when a
      scenario is given;
    - ``coverage.xlsx``: a README sheet, then one sheet per table;
    - ``coverage.gpkg`` (layers ``council_areas``, ``wards``, ``lsoas``, ``services``,
      ``confidential_provision_by_district``) and the same as GeoParquet
      (``coverage_district.parquet``, ``coverage_ward.parquet``,
      ``coverage_lsoa.parquet``, ``services.parquet``,
      ``confidential_provision_by_district.parquet``), EPSG:27700; the area layers carry
      SARC coverage at the headline slots, each mean with its ``..._minutes_band``;
    - ``report.html``, ``README.txt`` and ``manifest.json`` (every other file's sha256).

    Parameters
    ----------
    study
        The loaded study; its effective register (what-if changes applied) is used.
        Coverage tables describe this study; a ``scenario`` is compared against it.
    out_dir
        Export folder.
    scenario
        A scenario file (TOML/JSON) or a loaded scenario for
        :func:`mapping.analysis.scenarios.compare`.
    categories
        Service categories for the coverage tables.
    slots
        Times of week (names or ``"Sat 02:00"``) for the coverage and SARC tables.
    thresholds
        Minutes for the ``share_within_<t>`` columns.
    age_bands
        ``{category: census age band}`` weighting a category by that band's population
        (and keeping its services that overlap the band); default
        :data:`DEFAULT_AGE_BANDS`. Other categories: everybody, no age filter.
    sources
        Raw sources folder for the data-source checksums (found when omitted).
    progress
        Show a progress bar on stderr.
    threshold
        Minutes of the scenario's comparison and of the report's scenario section (the
        screen's threshold); default 60 when ``thresholds`` holds it, else their largest.

    Returns
    -------
    ExportReport
        The files written, with their checksums and sizes.

    Raises
    ------
    ServiceMapError
        For an unknown category, age band or slot, or an ``out_dir`` that is a file or
        a non-empty folder that is not a previous export.
    """
    from mapping.inputs import register as services_mod
    from mapping.inputs.vocabulary import AGE_BANDS

    started = time.perf_counter()
    out = Path(out_dir).expanduser().resolve()
    categories = tuple(dict.fromkeys(categories))
    unknown = [c for c in categories if c not in services_mod.CATEGORIES]
    if unknown or not categories:
        raise ServiceMapError(
            f"unknown service category {', '.join(map(repr, unknown)) or '(none given)'}: "
            f"use {', '.join(services_mod.CATEGORIES)}"
        )
    bands = dict(DEFAULT_AGE_BANDS if age_bands is None else age_bands)
    for category, band in bands.items():
        if band is not None and band not in AGE_BANDS:
            raise ServiceMapError(
                f"unknown age band {band!r} for {category}: use one of {', '.join(AGE_BANDS)}"
            )
    slot_list = list(dict.fromkeys(resolve_slot(s) for s in slots))
    if not slot_list:
        raise ServiceMapError("export needs at least one time slot")
    thresholds = tuple(thresholds)
    if not thresholds or any(not t > 0 for t in thresholds):
        raise ServiceMapError(f"thresholds must be positive minutes, got {thresholds!r}")
    if threshold is not None and not threshold > 0:
        raise ServiceMapError(f"threshold must be positive minutes, got {threshold!r}")
    chosen = float(threshold or (60.0 if 60 in thresholds else max(thresholds)))
    _check_target(out)
    _remove_stale_temporaries(out)

    steps = len(categories) * len(_LEVELS) + 8
    bar = _progress(steps, progress)
    tmp = _make_build_folder(out)
    try:
        report = ExportReport(out_dir=out, generated_at=now_utc())
        tables, context, extras = _collect(
            study,
            scenario,
            categories,
            slot_list,
            (thresholds, chosen),
            bands,
            sources,
            report,
            bar,
        )
        written: list[ExportedFile] = []

        def record(name: str, kind: str, description: str) -> None:
            path = tmp / name
            written.append(
                ExportedFile(name, kind, description, sha256_file(path), path.stat().st_size)
            )

        used: set[str] = {"README"}
        sheets = [(sheet_name(t.sheet, used), t) for t in tables]
        safe = {t.name: safe_frame(tabular(t.frame)) for t in tables}
        for table in tables:
            write_csv(safe[table.name], tmp / f"{table.name}.csv")
            record(f"{table.name}.csv", "csv", table.description)
        bar.update(1)
        write_workbook(
            [(sheet, safe[t.name]) for sheet, t in sheets],
            readme_rows(context, sheets),
            tmp / "coverage.xlsx",
            True,
        )
        record("coverage.xlsx", "xlsx", "All tables, one sheet each, after a README sheet")
        bar.update(1)
        for name, kind, description in write_layers(tmp, extras, context):
            record(name, kind, description)
        bar.update(1)
        (tmp / "report.html").write_text(render_report(context, extras), encoding="utf-8")
        record("report.html", "html", "Self-contained HTML report with the map")
        bar.update(1)
        (tmp / "README.txt").write_text(readme_text(context, written), encoding="utf-8")
        record("README.txt", "txt", "What each file is, parameters, sources and attribution")
        pack_manifest = manifest(context, written)
        (tmp / "manifest.json").write_text(
            json.dumps(pack_manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        record("manifest.json", "json", "Every other file with its sha256")
        _fsync_tree(tmp)
        _swap_into_place(tmp, out)
        bar.update(1)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        bar.close()
    report.files = written
    report.notes = context.notes
    report.seconds = time.perf_counter() - started
    return report


def _make_build_folder(out: Path) -> Path:
    """Create the hidden folder beside ``out`` that the export is built in.

    Not :func:`tempfile.mkdtemp`, which makes the folder private (0700): the export is
    for sharing, so the folder is made with mode 0777 and the kernel applies the user's
    umask, as for any folder they make. The process umask is never read or changed
    (``os.umask`` is process-wide and would race with other threads creating files).
    """
    for _ in range(100):
        name = f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}{_TMP_SUFFIX}"
        tmp = out.parent / name
        try:
            tmp.mkdir(mode=0o777)
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"could not make a build folder beside {out}")


class _NoBar:
    def update(self, n: int = 1) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""


def _progress(total: int, show: bool) -> Any:
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="export", unit="step", file=sys.stderr)


# ---- target folder ------------------------------------------------------------------


def _check_target(out: Path) -> None:
    check_export_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)


def check_export_folder(out: Path) -> None:
    """Refuse an export target that is a file or a non-empty folder of other files.

    Called by :func:`export_all`, and by the ``export`` command before its slow load.

    Raises
    ------
    ServiceMapError
        Naming the path.
    """
    out = Path(out).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise ServiceMapError(f"{out}: exists and is not a folder; choose a folder to export to")
    if out.is_dir() and any(out.iterdir()) and not _is_previous_export(out):
        raise ServiceMapError(
            f"{out}: folder is not empty and holds no previous export (manifest.json); "
            "choose a new or empty folder so no unrelated file is replaced"
        )


def _is_previous_export(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("generator") == GENERATOR


def _pid_of(name: str) -> int | None:
    match = re.search(r"\.(\d+)\.[^.]+(?:\.exporting|\.replaced)$", name)
    return int(match.group(1)) if match else None


def _remove_stale_temporaries(out: Path) -> None:
    """Delete hidden folders left beside ``out`` by exports killed outright."""
    if not out.parent.is_dir():
        return
    for suffix in (_TMP_SUFFIX, _OLD_SUFFIX):
        for path in out.parent.glob(f".{_glob_escape(out.name)}.*{suffix}"):
            pid = _pid_of(path.name)
            if path.is_dir() and pid is not None and not pid_alive(pid):
                shutil.rmtree(path, ignore_errors=True)


def _glob_escape(text: str) -> str:
    """Escape glob metacharacters in a file name."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def _fsync_tree(folder: Path) -> None:
    """Flush the new files to disk before the rename makes them the export."""
    for path in folder.iterdir():
        with contextlib.suppress(OSError), open(path, "rb") as handle:
            os.fsync(handle.fileno())


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename the finished ``tmp`` folder onto ``out``, keeping ``out`` until then.

    POSIX cannot swap two directories in one rename, so an existing export is first
    renamed aside, the new one renamed into place, and the old one deleted; if the
    second rename fails the old export is put back.
    """
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        os.replace(tmp, out)
        return
    old = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}{_OLD_SUFFIX}")
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


# ---- computing the tables -----------------------------------------------------------


def _collect(
    study: CoverageModel,
    scenario: ScenarioSource | None,
    categories: tuple[str, ...],
    slots: list[TimeSlot],
    limits: tuple[tuple[float, ...], float],
    bands: dict[str, str | None],
    sources: Sources | str | os.PathLike[str] | None,
    report: ExportReport,
    bar: Any,
) -> tuple[list[PackTable], ExportContext, ReportInputs]:
    """Compute every table and the facts the README, report and manifest repeat.

    ``limits``: the coverage tables' thresholds and the scenario comparison's one.
    """
    from mapping import geography
    from mapping.inputs.record import rule_confidence
    from mapping.inputs.register import public_view

    thresholds, threshold = limits
    notes: list[str] = []
    tables: list[PackTable] = []
    slot_text = ", ".join(f"{s.name} ({s.at})" for s in slots)

    sarc = study.sarc_access(slots)
    tables.append(
        PackTable(
            "sarc_access",
            "sarc_access",
            "Nearest open SARC per council area and slot: where it is ("
            + ", ".join(study_area().sarc_group_labels.values())
            + "), drive minutes, people beyond 60/90 minutes",
            sarc,
        )
    )
    tables.append(
        PackTable(
            "week_profile_sarc",
            "week_profile_sarc",
            "SARC access in each of the 168 hours of the reference week (Monday 00:00 "
            "first): open SARCs, speed profile, residents beyond 60 minutes, mean minutes; "
            "low and high residents and share beyond (docs/ranges.md)",
            _week_profile(study, "sarc"),
        )
    )
    gaps = _gap_register(study)
    tables.append(PackTable("gap_register", "gap_register", "Gap register: rules evaluated", gaps))
    bar.update(1)

    coverage: dict[tuple[str, str], pd.DataFrame] = {}
    for category in categories:
        band = bands.get(category)
        for level in _LEVELS:
            frame = study.compare_slots(
                category, slots, level, age_band=band, thresholds=thresholds, ranges=True
            )
            frame.insert(2, "category", category)
            frame.insert(3, "age_band", age_label(band))
            add_minutes_band(frame)
            frame = ranges_last(frame, thresholds)  # old readers keep working
            coverage[(category, level)] = frame
            tables.append(
                PackTable(
                    f"coverage_{category}_{level}",
                    f"{category}_{level}",
                    f"Coverage of {category} services by {level} at {slot_text}; "
                    f"population: {age_label(band)}",
                    frame,
                )
            )
            bar.update(1)

    register = public_view(study.effective_register())
    assert_public(register)
    services_table = pd.DataFrame(register.drop(columns=register.geometry.name))
    # Every row says how firm it is; what-if sites carry no recorded confidence.
    derived = [
        rule_confidence(p, b)
        for p, b in zip(
            services_table["location_precision"], services_table["hours_basis"], strict=True
        )
    ]
    recorded = services_table.get("confidence", pd.Series(pd.NA, index=services_table.index))
    services_table["confidence"] = recorded.where(recorded.notna(), derived)
    tables.append(
        PackTable(
            "services",
            "services",
            "Services register (public view: confidential services have no address, "
            "postcode or coordinates); confidence high/medium/low per data/README.md",
            services_table,
        )
    )
    tables.append(
        PackTable(
            "services_not_routed",
            "services_not_routed",
            "Services the travel engine cannot route to (no site, confidential, off "
            "the road network), with the reason",
            study.engine.skipped.copy(),
        )
    )
    scenario_info: dict[str, str] = {}
    section = None
    if scenario is not None:
        scenario_info, compared, section = scenario_tables(
            study, scenario, categories, slots, threshold, bands, sources
        )
        tables.extend(compared)
    bar.update(1)

    headline = [resolve_slot(s) for s in HEADLINE_SLOTS]
    headline_sarc = (
        sarc
        if all(s in slots for s in headline)
        else study.sarc_access([*headline, *[s for s in slots if s not in headline]])
    )
    areas = geography.load_council_areas(study.data_dir)
    wards = geography.load_wards(study.data_dir)
    lsoas = geography.load_lsoas(study.data_dir)
    layers = build_layers(study, areas, wards, lsoas, headline, thresholds, register)
    need = need_pack(study, headline, notes)  # nothing (and a note) without the need layer
    tables.extend(need.tables)
    layers.update(need.layers)
    bar.update(1)

    context = ExportContext(
        generated_at=report.generated_at,
        network_source=study.network_source,
        parameters=parameters(study, categories, slots, thresholds, bands, headline, scenario_info),
        slots=[(s.name, s.at, slot_profile(s)) for s in slots],
        network=network_facts(study),
        sources=source_facts(study, sources, notes),
        software=software(),
        method=[*method_notes(study, bands), *need.method],
        notes=notes,
    )
    extras = ReportInputs(
        sarc=sarc,
        headline_sarc=headline_sarc,
        headline=headline,
        accounts=[hour_account(study, "sarc", slot) for slot in headline],  # as the app's
        gaps=gaps,
        coverage=coverage,
        register=register,
        areas=areas,
        layers=layers,
        scenario_tables=[t for t in tables if t.name.startswith("scenario_")],
        scenario_name=scenario_info.get("name"),
        scenario=section,
        need_section=need_report_section(need),
    )
    return tables, context, extras


def _week_profile(study: CoverageModel, category: str) -> pd.DataFrame:
    """The week table of ``category`` for this view (its scenario changes applied).

    :meth:`mapping.Study.week_profile`'s own code: the central columns first, then
    ``people_beyond_low`` / ``_high`` and ``share_beyond_low`` / ``_high``
    (docs/ranges.md), so readers of the central columns keep working.
    """
    from mapping.analysis.week_study import study_week_profile

    return study_week_profile(
        study,
        category,
        threshold=60,
        age_band=None,
        area=None,
        by="district",
        mode="drive",
        filters=study.data.change_filters(),
    )


def _gap_register(study: CoverageModel) -> pd.DataFrame:
    # The study keeps its register of the default rules for the day (the app and a
    # scenario's comparison ask for the same one).
    return study.default_gaps()
