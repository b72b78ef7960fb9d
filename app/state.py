"""Thin Streamlit helpers for the app: cached loaders, per-session state, messages.

Nothing here analyses anything: every figure comes from :class:`mapping.Study`. This module
only decides what is computed once per process, what once per query and what belongs
to one browser session:

Once per process (``st.cache_resource``)
    The baseline :class:`mapping.Study` (boundaries, origins, register, road
    network and the travel engine with its drive-time vectors), shared by every session.
    On a fresh machine the first session builds the data with a visible progress bar.
Once per query (``st.cache_data``)
    Coverage, SARC, per-origin and gap tables, keyed by the query's parameters and by
    which study they describe (the published register, or one session's upload).
    The Map page's map, built and rendered to Leaflet script once per query
    (:func:`app.map_view.show_map`): twenty people opening the app at once share one map instead of
    building twenty (issue 8: first pages took 28-46 s). Every cache is bounded
    (``max_entries``) and expires (``ttl``), so memory returns near its warm level.
Per session (``st.session_state``)
    An uploaded replacement register (after validation and confirmation) and the
    scenario being built. Sessions never see each other's uploads or scenarios, and the
    committed ``data/services.csv`` is never written. :mod:`app.kept` keeps both for a
    reload of the page, in the same browser only.

The raw sources folder comes from ``streamlit run app.py -- --sources DIR`` or the
``SERVICE_MAP_SOURCES`` environment variable (then ``../shared/data``), as for the CLI.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import os
import sys
import tempfile
import threading
import weakref
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from mapping import ATTRIBUTION, __version__, formats, geography
from mapping.analysis.summary import AreaLevel
from mapping.errors import ServiceMapError
from mapping.inputs.sources import SOURCES_ENV, Sources, locate_sources
from mapping.inputs.vocabulary import RECORDED_VIOLENCE_PERIOD
from mapping.inputs.when import TimeSlot, resolve_slot
from mapping.outputs import maps
from mapping.store import default_data_dir
from mapping.study import Study

__all__ = [
    "DAY_NAMES",
    "SESSION_REGISTER",
    "WEIGHT_PHRASES",
    "SessionRegister",
    "attribution_lines",
    "baseline_study",
    "council_areas",
    "coverage_table",
    "current_study",
    "describe_slot",
    "display_shapes",
    "folder_zip",
    "gap_register",
    "guard",
    "origin_minutes_table",
    "register_problems",
    "sarc_headline",
    "sarc_table",
    "scenario_comparison",
    "service_names",
    "session_register",
    "software_version",
    "sources_option",
    "study_key",
    "table_bytes",
    "use_published_register",
    "use_session_register",
]

#: ``st.session_state`` key of this session's uploaded register (a :class:`SessionRegister`).
SESSION_REGISTER = "session_register"
#: How long a cached table or map is kept after it was computed (seconds).
CACHE_TTL_S = 3600
_SLOTS_OPENING = ("weekday daytime", "weekend night")
DAY_NAMES: dict[str, str] = {
    "Mon": "Monday",
    "Tue": "Tuesday",
    "Wed": "Wednesday",
    "Thu": "Thursday",
    "Fri": "Friday",
    "Sat": "Saturday",
    "Sun": "Sunday",
}


# ---- errors -------------------------------------------------------------------------


@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Show any error raised in the block as a readable message, never a traceback.

    A :class:`~mapping.errors.ServiceMapError` is the user's to fix: its message is
    shown as it is. Anything else is a bug: a short message names it (set
    ``SERVICE_MAP_DEBUG=1`` to see the traceback too). Streamlit's own control flow
    (``st.stop``, ``st.rerun``) derives from ``BaseException`` and passes through.
    """
    try:
        yield
    except ServiceMapError as exc:
        st.error(str(exc))
    except Exception as exc:  # last-resort guard: the page stays usable
        st.error(
            f"Something went wrong ({type(exc).__name__}: {exc}). The rest of the app still "
            "works; please report this with what you clicked."
        )
        if os.environ.get("SERVICE_MAP_DEBUG"):
            st.exception(exc)


def attribution_lines() -> tuple[str, ...]:
    """The OS, Royal Mail and ONS attribution every page shows."""
    return ATTRIBUTION


# ---- sources --------------------------------------------------------------------------


def sources_option(argv: Sequence[str] | None = None) -> str | None:
    """The ``--sources DIR`` given after ``streamlit run app.py --``, if any.

    Parsed by hand (not argparse) so an unrelated command line, such as pytest's when
    the app runs under ``AppTest``, is never rejected.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(args):
        if arg == "--sources" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--sources="):
            return arg.split("=", 1)[1]
    return None


def _locate(explicit: str | None) -> Sources | None:
    """The raw sources, or ``None`` when only built data is deployed (no raw files)."""
    try:
        return locate_sources(explicit)
    except ServiceMapError:
        if explicit is not None or os.environ.get(SOURCES_ENV):
            raise  # a folder the user named must exist: say so rather than carry on
        return None


# ---- the baseline study (once per process) ---------------------------------------------


@dataclass
class _StudySlot:
    """The process-wide study, filled by the first session that needs it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    study: Study | None = None


@st.cache_resource(show_spinner=False)
def _study_slot(explicit: str | None, env: str, data_dir: str) -> _StudySlot:
    # Keyed by where the sources and the data are, so a changed environment reloads.
    return _StudySlot()


def baseline_study() -> Study:
    """The study on the published register, loaded once per process.

    The first call on a fresh machine builds the geography and the road network from
    the raw sources (about 15 s) and shows each step in the page; every later call, in
    any session, returns the same object at once.
    """
    explicit = sources_option()
    slot = _study_slot(explicit, os.environ.get(SOURCES_ENV, ""), str(default_data_dir()))
    if slot.study is None:
        with slot.lock:
            if slot.study is None:
                slot.study = _load_with_progress(explicit)
    return slot.study


def _load_with_progress(explicit: str | None) -> Study:
    """Build what is missing and load the study, showing each step (first run only)."""
    with st.status("Preparing the data…", expanded=True) as status:
        bar = st.progress(0.0, text="Looking for the raw public sources")
        sources = _locate(explicit)
        if sources is None:
            bar.progress(0.3, text="No raw sources here: loading the data already built")
            study = Study.load(build=False)
        else:
            bar.progress(
                0.1,
                text="Checking the sources and building boundaries, population and origins "
                "(first run only)",
            )
            geography.build(sources)
            bar.progress(
                0.4,
                text="Loading the road network, the services register and the travel engine "
                "(the first run builds the network: about 15 s)",
            )
            study = Study.load(sources=sources, build=True)
        bar.progress(0.8, text="Computing drive times for the opening view")
        study.sarc_access(_SLOTS_OPENING)  # warms both speed profiles for every SARC
        bar.progress(1.0, text="Ready")
        status.update(label="Data ready", state="complete", expanded=False)
    return study


# ---- per-session register ------------------------------------------------------------


@dataclass
class SessionRegister:
    """A replacement register one session uploaded, validated and confirmed."""

    name: str
    sha256: str
    records: int
    study: Study
    content: bytes = field(default=b"", repr=False)  # kept for a reload (app.kept)


def session_register() -> SessionRegister | None:
    """This session's uploaded register, or ``None`` when it uses the published one."""
    entry = st.session_state.get(SESSION_REGISTER)
    return entry if isinstance(entry, SessionRegister) else None


def current_study() -> Study:
    """The study this session looks at: its uploaded register's, else the baseline."""
    entry = session_register()
    return entry.study if entry is not None else baseline_study()


def study_key() -> str:
    """Identifies :func:`current_study` in cache keys (``baseline`` or the upload's hash)."""
    entry = session_register()
    return "baseline" if entry is None else f"register:{entry.sha256}"


def register_problems(content: bytes, display_name: str) -> list[str]:
    """Validate an uploaded register; return its problems as ``name:row:field: message``.

    The upload is written to a private temporary file for
    :func:`mapping.inputs.register.validate_register` and removed again. The check is
    cached by content (not by the file's name), so the same file uploaded under another
    name, or by another session, is not checked again.
    """
    problems = _register_problems(content, sources_option())
    return [
        f"{display_name}:{row}:{field_name}: {message}" for row, field_name, message in problems
    ]


@st.cache_data(show_spinner="Checking the register…", max_entries=32, ttl=CACHE_TTL_S)
def _register_problems(content: bytes, explicit: str | None) -> tuple[tuple[int, str, str], ...]:
    with tempfile.TemporaryDirectory(prefix="service-map-upload-") as folder:
        path = Path(folder) / "services.csv"
        path.write_bytes(content)
        problems = Study.check_register(path, sources=_locate(explicit))
    return tuple((p.row, p.field, p.message) for p in problems)


@dataclass
class _UploadStudies:
    """Studies of uploaded registers, shared while some session uses them, then freed.

    Sessions that upload byte-identical files would compute the same engine; they share
    one. Entries are weak: when the last session using an upload closes (Streamlit drops
    it after ``server.disconnectedSessionTTL``), its engine is freed, so memory returns
    to its warm level. Any other content is another key: no session sees another's
    different upload.
    """

    lock: threading.Lock = field(default_factory=threading.Lock)
    studies: weakref.WeakValueDictionary[str, Study] = field(
        default_factory=weakref.WeakValueDictionary
    )


@st.cache_resource(show_spinner=False)
def _upload_studies() -> _UploadStudies:
    return _UploadStudies()


def _upload_study(sha256: str, content: bytes, explicit: str | None) -> Study:
    """The study of an uploaded register, built once per content while in use."""
    shared = _upload_studies()
    with shared.lock:
        study = shared.studies.get(sha256)
        if study is not None:
            return study
        base = baseline_study()
        with tempfile.TemporaryDirectory(prefix="service-map-upload-") as folder:
            path = Path(folder) / "services.csv"
            path.write_bytes(content)
            study = base.with_register(path, sources=_locate(explicit))
        shared.studies[sha256] = study
        # When the last session using it is gone, hand the freed heap back to the system.
        weakref.finalize(study, _release_freed_memory)
        return study


def _release_freed_memory() -> None:
    """Return freed heap pages to the operating system (glibc ``malloc_trim``).

    Session threads allocate from their own malloc arenas, which keep freed memory; a
    measured upload study left about 60 MB more resident without this (issue 8).
    Elsewhere than glibc this does nothing.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def use_session_register(content: bytes, display_name: str) -> SessionRegister:
    """Make a validated upload this session's register (only this session's).

    The road network and origins are shared with the baseline; only the travel engine's
    services are this register's.

    Raises
    ------
    ServiceMapError
        If the upload is not a valid register (nothing is replaced then).
    """
    digest = hashlib.sha256(content).hexdigest()
    study = _upload_study(digest, content, sources_option())
    entry = SessionRegister(
        name=display_name, sha256=digest, records=len(study.register), study=study, content=content
    )
    st.session_state[SESSION_REGISTER] = entry
    return entry


def use_published_register() -> None:
    """Go back to the published register for this session."""
    st.session_state.pop(SESSION_REGISTER, None)


# ---- cached tables (once per query) ----------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=512, ttl=CACHE_TTL_S)
def _coverage(
    _study: Study,
    key: str,
    category: str | None,
    at: str,
    by: AreaLevel,
    age_band: str | None,
    thresholds: tuple[float, ...],
    weight: str = "residents",
    ranges: bool = False,
) -> pd.DataFrame:
    return _study.coverage(
        category, at, by, age_band=age_band, thresholds=thresholds, weight=weight, ranges=ranges
    )


def coverage_table(
    category: str | None,
    at: str,
    by: AreaLevel = "district",
    age_band: str | None = None,
    thresholds: Sequence[float] = (15, 30, 45, 60, 90),
    weight: str = "residents",
    ranges: bool = False,
) -> pd.DataFrame:
    """:meth:`Study.coverage` of this session's study, cached per query.

    ``ranges``: with each share's and the weight beyond's ``_low`` and ``_high`` columns.
    """
    thresholds = tuple(sorted({float(t) for t in thresholds}))
    study = current_study()
    return _coverage(study, study_key(), category, at, by, age_band, thresholds, weight, ranges)


@st.cache_data(show_spinner=False, max_entries=128, ttl=CACHE_TTL_S)
def _sarc(
    _study: Study, key: str, slots: tuple[str, ...], weight: str = "residents"
) -> pd.DataFrame:
    return _study.sarc_access(slots, weight=weight)


def sarc_table(slots: Sequence[str], weight: str = "residents") -> pd.DataFrame:
    """:meth:`Study.sarc_access` of this session's study for ``slots``, cached."""
    return _sarc(current_study(), study_key(), tuple(slots), weight)


@st.cache_data(show_spinner=False, max_entries=64, ttl=CACHE_TTL_S)
def _origin_minutes(
    _study: Study,
    key: str,
    category: str | None,
    at: str,
    age_band: str | None,
    weight: str = "residents",
) -> pd.DataFrame:
    return _study.origin_minutes(category, at, age_band=age_band, weight=weight)


def origin_minutes_table(
    category: str | None, at: str, age_band: str | None = None, weight: str = "residents"
) -> pd.DataFrame:
    """:meth:`Study.origin_minutes` of this session's study, cached.

    One row per origin, or per origin and age group where the services' ages differ.
    """
    return _origin_minutes(current_study(), study_key(), category, at, age_band, weight)


@st.cache_data(show_spinner="Evaluating the gap rules…", max_entries=16, ttl=CACHE_TTL_S)
def _gaps(_study: Study, key: str, today: str) -> pd.DataFrame:
    return _study.gaps(as_of=date.fromisoformat(today))


def gap_register() -> pd.DataFrame:
    """The gap register (:meth:`mapping.Study.gaps`), cached daily."""
    return _gaps(current_study(), study_key(), date.today().isoformat())


@st.cache_data(
    show_spinner="Comparing the scenario with the baseline…", max_entries=64, ttl=CACHE_TTL_S
)
def _comparison(
    _study: Study,
    _scenario: Any,
    key: str,
    scenario_key: str,
    category: str | None,
    slots: tuple[str, ...],
    by: AreaLevel,
    threshold: float,
    age_band: str | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    result = _study.compare(
        _scenario,
        category=category,
        slots=slots,
        by=by,
        threshold=threshold,
        age_band=age_band,
    )
    # Only the tables are cached: the comparison also holds the what-if study.
    return result.by_area, result.totals


def scenario_comparison(
    scenario: Any,
    *,
    category: str | None,
    slots: Sequence[str],
    by: AreaLevel,
    threshold: float,
    age_band: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:meth:`mapping.Study.compare` tables (by area, totals), cached per scenario."""
    return _comparison(
        current_study(),
        scenario,
        study_key(),
        scenario.fingerprint,
        category,
        tuple(slots),
        by,
        float(threshold),
        age_band,
    )


@st.cache_data(show_spinner=False, max_entries=32, ttl=CACHE_TTL_S)
def _gap_changes(_study: Study, _scenario: Any, key: str, scenario_key: str) -> pd.DataFrame:
    return _study.gap_changes(_scenario)


def scenario_gap_changes(scenario: Any) -> pd.DataFrame:
    """:meth:`mapping.Study.gap_changes`, once per scenario (it has no other parameter).

    Apart from the comparisons: every gap rule evaluated for the what-if costs more than
    the figures, so the page shows those first and the gaps at its foot.
    """
    return _gap_changes(current_study(), scenario, study_key(), scenario.fingerprint)


@st.cache_resource(show_spinner=False)
def _shapes(level: str, data_dir: str) -> maps.Shapes:
    loaders = {
        "lsoa": (geography.load_lsoas, ["lsoa21_code", "lsoa21_name", "lad_code", "lad_name"]),
        "ward": (geography.load_wards, ["ward_code", "ward_name", "lad_code"]),
        "district": (geography.load_council_areas, ["lad_code", "lad_name"]),
    }
    loader, columns = loaders[level]
    return maps.Shapes.from_frame(maps.display_shapes(loader(Path(data_dir)), columns=columns))


def display_shapes(level: str) -> maps.Shapes:
    """Browser-ready polygons of ``lsoa``, ``ward`` or ``district`` (cached per process)."""
    study = current_study()
    return _shapes(level, str(study.data_dir or default_data_dir()))


@st.cache_resource(show_spinner=False)
def _council_areas(data_dir: str) -> gpd.GeoDataFrame:
    # Simplified for the browser: full-resolution outlines would triple what a map sends.
    return maps.display_shapes(
        geography.load_council_areas(Path(data_dir)), columns=["lad_code", "lad_name"]
    )


def council_areas() -> gpd.GeoDataFrame:
    """The 14 council areas, simplified for maps, in EPSG:4326 (cached per process)."""
    study = current_study()
    return _council_areas(str(study.data_dir or default_data_dir()))


def service_names(register: pd.DataFrame) -> dict[str, str]:
    """``{service id: name}`` for tooltips and tables."""
    return dict(zip(register["id"].astype(str), register["name"].astype(str), strict=True))


def current_service_names() -> dict[str, str]:
    """``{service id: name}`` of this session's study (uploads and what-ifs included)."""
    return service_names(current_study().effective_register())


# ---- downloads ------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=64, ttl=CACHE_TTL_S)
def table_bytes(table: pd.DataFrame, stem: str, fmt: str) -> bytes:
    """A table as a download, through :func:`mapping.outputs.tables.write_table`.

    Formula-safe (text cells a spreadsheet would evaluate are quoted). ``fmt="xlsx"``
    gives the workbook, whose README sheet carries the attribution; ``fmt="zip"`` gives
    the CSV together with the ``<stem>.README.txt`` that carries it, since a plain CSV
    has nowhere to put it without breaking CSV readers.
    """
    from mapping.outputs.tables import write_table

    with tempfile.TemporaryDirectory(prefix="service-map-download-") as folder:
        if fmt == "zip":
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for written in write_table(table, Path(folder) / f"{stem}.csv"):
                    archive.write(written, written.name)
            return buffer.getvalue()
        path = Path(folder) / f"{stem}.{fmt}"
        write_table(table, path)
        return path.read_bytes()


def folder_zip(folder: Path) -> bytes:
    """Zip a folder (an export) into bytes for a download button."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder.parent).as_posix())
    return buffer.getvalue()


# ---- words ----------------------------------------------------------------------------


def describe_slot(slot: str | TimeSlot) -> str:
    """Say when a slot is, for a sentence: ``"on a weekday at 10:00"``, ``"at Saturday 02:00"``.

    The weekday slots stand for any Monday to Friday (they are computed on a Tuesday).
    """
    resolved = resolve_slot(slot)
    day, _, clock = resolved.at.partition(" ")
    if resolved.name.startswith("weekday") and day == "Tue":
        return f"on a weekday at {clock}"
    if day in DAY_NAMES and clock:
        return f"at {DAY_NAMES[day]} {clock}"
    return f"at {resolved.at}"


def _share(share: float) -> str:
    return formats.share(share, words=True, missing="an unknown share")


#: How a headline names what its figures count, per weight.
WEIGHT_PHRASES: dict[str, str] = {
    "residents": "Lancashire's population",
    "women_16_plus": "Lancashire's women aged 16 and over",
    "recorded_violence_sexual": (
        "the violence and sexual offences recorded in Lancashire's areas "
        f"({RECORDED_VIOLENCE_PERIOD})"
    ),
    "crime_deprived_residents": "Lancashire's residents of high-crime areas (IoD 2025)",
    "no_car_households": "Lancashire's households with no car or van",
}


def sarc_headline(table: pd.DataFrame, slot: str, reference: str = "weekday daytime") -> str:
    """The headline sentence from a :meth:`Study.sarc_access` table.

    E.g. "At Saturday 02:00, 100% of Lancashire's population would travel outside the
    county to the nearest open SARC (6% on a weekday at 10:00)."
    """
    totals = table[table["area_code"] == "TOTAL"].set_index("slot")
    chosen, base = resolve_slot(slot), resolve_slot(reference)
    share = totals.at[chosen.at, "share_nearest_outside_lancashire"]
    when = describe_slot(chosen)
    weight = str(table["weight"].iloc[0]) if "weight" in table and len(table) else "residents"
    sentence = (
        f"{when[0].upper()}{when[1:]}, {_share(share)} of {WEIGHT_PHRASES[weight]} would "
        "travel outside the county to the nearest open SARC"
    )
    if base.at != chosen.at and base.at in totals.index:
        other = totals.at[base.at, "share_nearest_outside_lancashire"]
        sentence += f" ({_share(other)} {describe_slot(base)})"
    return sentence + "."


def software_version() -> str:
    """The package version shown in the sidebar."""
    return __version__
