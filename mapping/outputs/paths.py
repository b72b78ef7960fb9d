"""Where a command may write: the one guard every ``--out`` passes before any work.

A command's ``--out`` is checked by :func:`check_output_path` *before* the slow load, so a
bad name fails at once and nothing is computed for nothing. The rules:

Never over an input
    Not the register, scenario, rules or input files the command reads (compared as
    resolved paths and as the same file on disk, so a symbolic or hard link to the
    register is refused too), and nothing under the generated data folder (``data/``
    holds the register, the gap rules, the scenarios and every built file).
Only over a previous output of the same kind
    An existing file is replaced only when it looks like what this command writes: a CSV
    or XLSX whose header holds the columns of this kind of table, a GraphML file for
    ``network export``; the ``<stem>.README.txt`` written beside a CSV table likewise
    replaces only a README this tool wrote. Anything else is refused, so a typo cannot
    destroy a document.
Extension first
    The name must end in a suffix the command can write (``matrix`` writes CSV only,
    the tables CSV or XLSX), checked before any work.
A place that can be written
    An existing folder, a parent path that is a file, a name too long for the file
    system (with room for the temporary name the atomic writer uses), a folder that
    cannot be written (permission denied, read-only file system) or a full disk are each
    one clear message naming the path.

:func:`describe_os_error` turns an :class:`OSError` raised while writing (disk full,
permission denied) into such a message, naming the destination rather than the
temporary file beside it.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mapping.errors import ServiceMapError
from mapping.inputs.area import study_area

#: The SARC table's first group column (the study area's own SARC).
_FIRST_SARC_GROUP = f"share_nearest_{study_area().sarc_group_keys[0]}"

__all__ = [
    "OUTPUT_KINDS",
    "OutputKind",
    "check_output_path",
    "describe_os_error",
]

#: Room the atomic writer's temporary name needs beyond the final name:
#: ``.<stem>.<pid>.<8 random>.partial<suffix>`` (see :func:`mapping.store.atomic_path`).
_TEMP_NAME_EXTRA = len(".") + 10 + len(".") + 8 + len(".partial") + 1
#: Refuse to start when the disk holding the output has less free space than this.
MIN_FREE_BYTES = 1 << 20
#: How much of an existing file is read to recognise its kind.
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class OutputKind:
    """What one command writes, and how a previous output of it is recognised.

    Parameters
    ----------
    label
        Name for messages (``"SARC table"``).
    suffixes
        File name endings the command can write (lower case, with the dot).
    columns
        Header columns every table of this kind has: an existing CSV or XLSX is
        replaced only when its header holds them all.
    marker
        For non-table files: text the first bytes of a previous output contain.
    folder
        The output is a folder (``export``); its contents are checked by the exporter.
    """

    label: str
    suffixes: tuple[str, ...]
    columns: tuple[str, ...] = ()
    marker: bytes = b""
    folder: bool = False


#: The outputs of the ``service-map`` commands that write files.
OUTPUT_KINDS: dict[str, OutputKind] = {
    "sarc": OutputKind(
        "SARC table",
        (".csv", ".xlsx"),
        columns=("area_name", "slot", _FIRST_SARC_GROUP, "minutes_added"),
    ),
    "gaps": OutputKind(
        "gap register", (".csv", ".xlsx"), columns=("gap_id", "rule_id", "severity", "evidence")
    ),
    "scenario": OutputKind(
        "scenario comparison",
        (".csv", ".xlsx"),
        columns=("area_code", "slot", "baseline_mean_minutes", "scenario_mean_minutes"),
    ),
    "matrix": OutputKind(
        "drive-time matrix", (".csv",), columns=("origin_id", "destination_id", "minutes")
    ),
    "coverage": OutputKind(
        "coverage table", (".csv", ".xlsx"), columns=("area_code", "eligible_population")
    ),
    "without-car": OutputKind(
        "without-car table", (".csv", ".xlsx"), columns=("area_level", "no_car_beyond")
    ),
    "appraisal": OutputKind(
        "options appraisal", (".csv", ".xlsx"), columns=("option", "kind", "extra_hours")
    ),
    "register": OutputKind("register", (".csv",), columns=("id", "category", "name")),
    "oruk": OutputKind("Open Referral UK folder", (), folder=True),
    "graphml": OutputKind("GraphML network", (".graphml",), marker=b"<graphml"),
    "export": OutputKind("export folder", (), folder=True),
    "week": OutputKind(
        "week table", (".csv",), columns=("hour_of_week", "day", "hour", "share_beyond")
    ),
    "equity": OutputKind(
        "equity table", (".csv", ".xlsx"), columns=("imd_decile", "population", "mean_minutes")
    ),
    "capacity": OutputKind(
        "capacity table",
        (".csv", ".xlsx"),
        columns=("area_code", "service_type", "benchmark_units"),
    ),
    "access": OutputKind("access table", (".csv", ".xlsx"), columns=("lsoa21_code", "ratio_2sfca")),
    # What ``service-map optimise`` writes: a scenario whose description names it.
    "optimised_scenario": OutputKind(
        "scenario written by service-map optimise",
        (".toml", ".json"),
        marker=b"service-map optimise",
    ),
}

#: Folders of the checkout that hold the project itself (code, tests, documents,
#: benchmarks): ``--out`` never writes in them.
PROJECT_FOLDERS = ("mapping", "app", "tests", "docs", "benchmarks", "notebooks", ".git", ".ci")
#: Files at the top of the checkout that are the project's own.
PROJECT_FILES = ("pyproject.toml", "README.md", "Makefile", "app.py", "LICENSE", ".gitignore")
#: Sidecars this tool writes beside its files: never an ``--out`` of their own.
SIDECAR_ENDINGS = (".readme.txt", ".meta.json", ".partial")


def _fail(path: Path, message: str) -> ServiceMapError:
    return ServiceMapError(f"{path}: {message}")


def _check_name_lengths(path: Path) -> None:
    """Refuse names the file system cannot hold, before anything is created."""
    anchor = _existing_ancestor(path.parent)
    try:
        name_max = os.pathconf(anchor, "PC_NAME_MAX")
        path_max = os.pathconf(anchor, "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    for part in path.parts:
        if len(os.fsencode(part)) > name_max:
            raise _fail(path, f"the name {part[:40]!r}… is longer than {name_max} bytes allowed")
    if len(os.fsencode(path.name)) + _TEMP_NAME_EXTRA > name_max:
        raise _fail(
            path,
            f"the file name is too long: at most {name_max - _TEMP_NAME_EXTRA} bytes "
            "(room is kept for the temporary file written first)",
        )
    if len(os.fsencode(str(path))) + _TEMP_NAME_EXTRA >= path_max:
        raise _fail(path, f"the path is longer than the {path_max} bytes allowed")


def _existing_ancestor(folder: Path) -> Path:
    """The nearest folder (or file) that exists on the way up from ``folder``."""
    current = folder
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _header_columns(path: Path, suffix: str) -> set[str]:
    """The header row of an existing CSV or XLSX table (empty when unreadable)."""
    try:
        if suffix == ".xlsx":
            from openpyxl import load_workbook

            if not zipfile.is_zipfile(path):
                return set()
            book = load_workbook(path, read_only=True)
            try:
                sheet = book.worksheets[0]
                row = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
                return {str(v) for v in row if v is not None}
            finally:
                book.close()
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
        first_line = head.decode("utf-8-sig", errors="replace").splitlines()[:1]
        return set(next(csv.reader(io.StringIO(first_line[0])), [])) if first_line else set()
    except Exception:  # any unreadable file is simply "not ours"
        return set()


def _is_our_readme(path: Path) -> bool:
    """Whether a ``<stem>.README.txt`` was written beside a table by this tool."""
    try:
        with open(path, "rb") as handle:
            return b"written by lancashire-service-map" in handle.read(_SNIFF_BYTES)
    except OSError:
        return False


def _is_same_kind(path: Path, kind: OutputKind) -> bool:
    if kind.marker:
        try:
            with open(path, "rb") as handle:
                return kind.marker in handle.read(_SNIFF_BYTES)
        except OSError:
            return False
    return bool(kind.columns) and set(kind.columns) <= _header_columns(path, path.suffix.lower())


def _check_writable(path: Path, anchor: Path) -> None:
    """The nearest existing folder must be writable and have some space left."""
    if not anchor.is_dir():
        raise _fail(path, f"cannot create it: {anchor} is a file, not a folder")
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise _fail(path, f"cannot write in {anchor}: permission denied or read-only file system")
    try:
        stats = os.statvfs(anchor)
    except OSError:
        return
    if stats.f_flag & os.ST_RDONLY:
        raise _fail(path, f"cannot write in {anchor}: the file system is read-only")
    free = stats.f_bavail * stats.f_frsize
    if free < MIN_FREE_BYTES:
        raise _fail(path, f"cannot write in {anchor}: the disk is full ({free:,} bytes free)")


def _check_project_and_sidecars(given: Path, target: Path) -> None:
    """Refuse the project's own files (``pyproject.toml``, code, tests) and sidecars."""
    from mapping.store import repo_root

    root = repo_root().resolve()
    lowered = target.name.lower()
    if any(lowered.endswith(end) for end in SIDECAR_ENDINGS) or ".partial" in lowered:
        raise _fail(
            given,
            "is the name of a sidecar this tool writes beside a table or a built file "
            "(README, build record or temporary file); choose another name",
        )
    if not ((root / "pyproject.toml").is_file() and (root / "mapping").is_dir()):
        return  # not run from a checkout: there are no project files to protect
    for folder in PROJECT_FOLDERS:
        if _is_within(target, root / folder):
            raise _fail(given, f"refusing to write inside the project folder {root / folder}")
    if target.parent == root and (
        target.name in PROJECT_FILES or target.suffix.lower() in (".py", ".md", ".cfg", ".lock")
    ):
        raise _fail(
            given,
            f"refusing to write over {target.name}, a file of the project itself; "
            "choose another name",
        )


def check_output_path(
    path: str | os.PathLike[str],
    kind: str,
    *,
    reads: Iterable[str | os.PathLike[str] | None] = (),
    data_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Check that a command may write its output at ``path``; return the path.

    Call it before any slow work. It creates nothing.

    Parameters
    ----------
    path
        The ``--out`` the user gave.
    kind
        A key of :data:`OUTPUT_KINDS`: what the command writes.
    reads
        Every file the command reads (register, scenario, rules, input CSVs); ``None``
        entries are ignored.
    data_dir
        The generated-data folder (default :func:`mapping.store.default_data_dir`):
        nothing under it is ever written by ``--out``.

    Returns
    -------
    Path
        ``path`` as given (not resolved), for the writer.

    Raises
    ------
    ServiceMapError
        Naming the path, for each rule of this module it breaks.
    """
    from mapping.store import default_data_dir, repo_root

    spec = OUTPUT_KINDS[kind]
    raw = str(os.fspath(path))
    if not raw.strip() or "\x00" in raw:
        raise ServiceMapError(f"{raw!r}: not a usable output name")
    given = Path(raw).expanduser()
    if not spec.folder and given.suffix.lower() not in spec.suffixes:
        shown = given.suffix or "no extension"
        raise _fail(
            given,
            f"a {spec.label} is written as {' or '.join(spec.suffixes)}, not {shown}; "
            "choose a name ending in " + " or ".join(spec.suffixes),
        )
    _check_name_lengths(given.absolute())
    try:
        target = given.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise _fail(given, f"cannot resolve the path ({exc})") from exc

    _check_project_and_sidecars(given, target)
    # The folder named by --data-dir and the default one (which holds the register).
    data_dirs = {default_data_dir().resolve(), (repo_root() / "data").resolve()}
    if data_dir is not None:
        data_dirs.add(Path(data_dir).expanduser().resolve())
    for data in sorted(data_dirs):
        if _is_within(target, data) or (spec.folder and _is_within(data, target)):
            raise _fail(
                given,
                f"refusing to write inside the generated data folder {data} (it holds the "
                "register, the rules, the scenarios and the built data); choose another place",
            )
    for read in reads:
        if read is None:
            continue
        source = Path(read).expanduser()
        try:
            resolved = source.resolve()
        except (OSError, RuntimeError) as exc:  # a loop of symbolic links
            raise ServiceMapError(
                f"{source}: cannot resolve this input ({exc}); it names no file"
            ) from exc
        if target == resolved or _same_file(target, source):
            raise _fail(given, f"refusing to write over {source}, which this command reads")
        if spec.folder and _is_within(resolved, target):
            raise _fail(given, f"refusing to replace a folder holding {source}, which is read")
    if not spec.folder and target.suffix.lower() == ".csv":
        readme = target.with_name(f"{target.stem}.README.txt")
        if any(_is_within(readme, d) for d in data_dirs) or any(
            r is not None and _same_file(readme, Path(r)) for r in reads
        ):
            raise _fail(given, f"its README {readme} would overwrite an input")
        if readme.is_dir() or (readme.exists() and not _is_our_readme(readme)):
            raise _fail(
                given,
                f"a CSV table is written with its README {readme.name}, and a file of that "
                "name that this tool did not write is already there; choose another name",
            )

    if target.exists():
        if spec.folder:
            if not target.is_dir():
                raise _fail(given, "exists and is a file; the export needs a folder")
        elif target.is_dir():
            raise _fail(given, f"is a folder; give a file name ending in {spec.suffixes[0]}")
        elif not _is_same_kind(target, spec):
            raise _fail(
                given,
                f"exists and is not a previous {spec.label}; it is only replaced by an "
                "output of the same kind. Choose another name or move the file away.",
            )
    _check_writable(given, _existing_ancestor(target.parent))
    return given


# ".<stem>.<pid>.<random>.partial<suffix>" written by mapping.store.atomic_path
_PARTIAL = re.compile(r"^\.(?P<stem>.*)\.\d+\.[A-Za-z0-9_]+\.partial(?P<suffix>.*)$")

_PLAIN_REASONS: dict[int, str] = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ENOTDIR: "a parent in the path is a file, not a folder",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOENT: "no such file or folder",
    errno.EEXIST: "it already exists",
}


def _destination_name(filename: str | os.PathLike[str] | bytes) -> str:
    """The final name for a temporary ``.partial`` file; other names unchanged."""
    text = os.fsdecode(filename)
    path = Path(text)
    match = _PARTIAL.match(path.name)
    if match is None:
        return text
    return str(path.with_name(match["stem"] + match["suffix"]))


def describe_os_error(exc: OSError) -> str:
    """One clear sentence for an operating-system error, naming the file involved.

    Parameters
    ----------
    exc
        The error (``PermissionError``, disk full, read-only file system, ...).

    Returns
    -------
    str
        ``"<path>: cannot write/read it: <reason>"`` with a temporary file's name
        replaced by its destination's.
    """
    reason = _PLAIN_REASONS.get(exc.errno or -1) or (exc.strerror or str(exc))
    names = [n for n in (exc.filename, exc.filename2) if n is not None]
    if not names:
        return f"{reason} ({exc})" if str(exc) and reason != str(exc) else reason
    where = " -> ".join(_destination_name(n) for n in names)
    return f"{where}: {reason}"
