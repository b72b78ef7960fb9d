"""Atomic, checksum-keyed storage for generated data under ``data/``.

Every generated file is written to a temporary name beside its destination and renamed
into place only when complete, so an interrupted build never leaves a half-written
file. Each artefact carries a small ``<name>.meta.json`` sidecar (its build record)
holding the key (a hash of its inputs' checksums and the build parameters) and the
size and SHA-256 of the file written; an artefact whose key no longer matches is stale
and is rebuilt.

Several artefacts built together go through a :class:`BuildBatch`: each is built to a
temporary file, and all are swapped in only when every one succeeded, so a failed
build leaves every earlier file and record exactly as it was.

A built file is checked against its record before it is trusted
(:func:`artifact_problem`): its size every time (one ``stat``), its checksum the first
time this process meets that version of the file, and always in ``data check``. A
truncated or altered file is then rebuilt or reported by name, never read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mapping.errors import ServiceMapError

__all__ = [
    "BuildBatch",
    "CorruptArtifactError",
    "artifact_is_fresh",
    "artifact_problem",
    "atomic_path",
    "atomic_write_text",
    "build_artifact",
    "build_key",
    "default_data_dir",
    "pid_alive",
    "read_meta",
    "remove_stale_partials",
    "repo_root",
    "require_intact",
    "sha256_file",
]

DATA_DIR_ENV = "SERVICE_MAP_DATA"


def repo_root() -> Path:
    """Return the checkout this package lives in (the folder holding ``pyproject.toml``).

    Returns
    -------
    Path
        The repository root when the package is installed from a checkout (editable
        install), otherwise the current working directory.
    """
    candidate = Path(__file__).resolve().parents[1]
    if (candidate / "pyproject.toml").is_file():
        return candidate
    return Path.cwd()


def default_data_dir() -> Path:
    """Return the folder for generated data: ``$SERVICE_MAP_DATA`` or ``<repo>/data``."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser().resolve() if env else repo_root() / "data"


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Return the hex SHA-256 digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def build_key(inputs: Mapping[str, Any]) -> str:
    """Hash a mapping of input checksums and parameters into one stable key."""
    canonical = json.dumps(inputs, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


_TMP_MARK = ".partial"
# ".<stem>.<pid>.<random>.partial<suffix>": the stem may itself contain dots.
_PARTIAL_NAME = re.compile(r"\.(\d+)\.[A-Za-z0-9_]+\.partial")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id is running (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(folder: Path) -> list[Path]:
    """Delete temporary files left in ``folder`` by writers that no longer run.

    A build killed outright (SIGKILL, power loss) cannot tidy up; its temporary files
    are never mistaken for data, and the next build removes them here. Files of a
    writer that is still running (another session building now) are left alone.

    Returns
    -------
    list of Path
        The files removed.
    """
    removed: list[Path] = []
    if not Path(folder).is_dir():
        return removed
    for path in Path(folder).glob(f".*{_TMP_MARK}*"):
        match = _PARTIAL_NAME.search(path.name)
        if match is None or not pid_alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def _meta_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".meta.json")


def _temp_beside(dest: Path) -> Path:
    """A fresh, not yet existing temporary name in ``dest``'s folder."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Keep the real extension last (GDAL picks the format from it) and our PID in the
    # name, so a later build can tell a dead writer's leftovers from a live one's.
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{dest.stem}.{os.getpid()}.", suffix=f"{_TMP_MARK}{dest.suffix}", dir=dest.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    # Writers such as GDAL refuse to open an existing empty file as a new dataset.
    tmp.unlink()
    return tmp


@contextlib.contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it onto ``dest`` on success.

    The temporary file lives in the same folder so the final ``os.replace`` is atomic.
    On any exception (including ``KeyboardInterrupt``) the temporary file is removed
    and ``dest`` is left exactly as it was.
    """
    dest = Path(dest)
    tmp = _temp_beside(dest)
    try:
        yield tmp
        if not tmp.exists():
            raise RuntimeError(f"nothing was written for {dest}")
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_text(dest: Path, text: str) -> None:
    """Write ``text`` to ``dest`` atomically (UTF-8)."""
    with atomic_path(dest) as tmp:
        tmp.write_text(text, encoding="utf-8")


def read_meta(dest: Path) -> dict[str, Any] | None:
    """Return the metadata sidecar of an artefact, or ``None`` if absent or unreadable."""
    try:
        meta = json.loads(_meta_path(dest).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return meta if isinstance(meta, dict) else None


class CorruptArtifactError(ServiceMapError):
    """A built file does not match its build record (truncated, altered or unrecorded)."""


# (resolved path, size, mtime in ns, recorded sha256) of files whose checksum matched
# in this process: each version of a file is hashed once, not on every load.
_VERIFIED: set[tuple[str, int, int, str]] = set()


def file_record(path: Path) -> dict[str, Any]:
    """The size and SHA-256 of a file, as kept in its build record."""
    return {"bytes": Path(path).stat().st_size, "sha256": sha256_file(path)}


def artifact_problem(dest: Path, *, full: bool = False) -> str | None:
    """Say what is wrong with a built file, judged against its build record.

    Parameters
    ----------
    dest
        The built file.
    full
        Recompute the checksum even if this process verified the file before (``data
        check``). Otherwise the size is compared every time and the checksum once per
        version of the file per process.

    Returns
    -------
    str or None
        ``None`` when the file is intact; otherwise a short description (missing, no
        record, truncated, checksum differs).
    """
    dest = Path(dest)
    if not dest.is_file():
        return "missing"
    meta = read_meta(dest)
    if meta is None:
        return "has no readable build record"
    record = meta.get("file")
    if not isinstance(record, dict) or not {"bytes", "sha256"} <= set(record):
        return "its build record has no checksum (built by an older version)"
    stat = dest.stat()
    if stat.st_size != record["bytes"]:
        return (
            f"is {stat.st_size:,} bytes but was built as {record['bytes']:,} bytes "
            "(truncated or changed since it was built)"
        )
    token = (str(dest.resolve()), stat.st_size, stat.st_mtime_ns, str(record["sha256"]))
    if token in _VERIFIED and not full:
        return None
    if sha256_file(dest) != record["sha256"]:
        _VERIFIED.discard(token)
        return "its checksum differs from its build record (corrupt or changed since built)"
    _VERIFIED.add(token)
    return None


def require_intact(dest: Path, fix: str, *, full: bool = False) -> Path:
    """Return ``dest`` if it matches its build record, else raise naming it.

    Parameters
    ----------
    dest
        The built file.
    fix
        What the user should run to rebuild it (for the message).
    full
        Recompute the checksum even if verified before in this process.

    Raises
    ------
    CorruptArtifactError
        If the file is missing, unrecorded, truncated or altered.
    """
    problem = artifact_problem(dest, full=full)
    if problem is not None:
        raise CorruptArtifactError(f"{dest}: {problem}. {fix}")
    return Path(dest)


def artifact_is_fresh(dest: Path, key: str) -> bool:
    """Return True when ``dest`` is intact and its build record holds ``key``."""
    meta = read_meta(dest)
    return meta is not None and meta.get("key") == key and artifact_problem(dest) is None


class BuildBatch:
    """Build several artefacts to temporaries; swap them in only when all succeeded.

    Use as a context manager: leaving it normally commits every staged artefact (data
    file, then its record); leaving it with an exception deletes the temporaries and
    leaves every existing file and record exactly as it was. A step may read what an
    earlier step staged through :meth:`current`.
    """

    def __init__(self) -> None:
        self._staged: dict[Path, tuple[Path, dict[str, Any]]] = {}

    def __enter__(self) -> BuildBatch:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def current(self, dest: Path) -> Path:
        """The file to read for ``dest``: the staged build if there is one, else ``dest``."""
        staged = self._staged.get(Path(dest))
        return staged[0] if staged else Path(dest)

    def stage(
        self,
        dest: Path,
        inputs: Mapping[str, Any],
        build: Callable[[Path], Mapping[str, Any] | None],
        *,
        force: bool = False,
        extra_meta: Mapping[str, Any] | None = None,
    ) -> bool:
        """Build ``dest`` to a temporary file unless it is fresh (see :func:`build_artifact`).

        Returns
        -------
        bool
            True if it was built (and will be swapped in on commit).
        """
        dest = Path(dest)
        key = build_key(inputs)
        remove_stale_partials(dest.parent)
        if not force and artifact_is_fresh(dest, key):
            return False
        tmp = _temp_beside(dest)
        try:
            facts = build(tmp)
            if not tmp.is_file():
                raise RuntimeError(f"nothing was written for {dest}")
            meta = {
                "key": key,
                "inputs": dict(inputs),
                "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                **(dict(extra_meta) if extra_meta else {}),
                **(dict(facts) if facts else {}),
                "file": file_record(tmp),
            }
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        self._staged[dest] = (tmp, meta)
        return True

    def commit(self) -> None:
        """Swap every staged artefact in: record removed, file replaced, record written.

        Interrupted half-way, each artefact is either as before, complete, or new with
        no record (hence stale and rebuilt next time), never a file with a wrong record.
        """
        try:
            for dest, (tmp, meta) in list(self._staged.items()):
                with contextlib.suppress(FileNotFoundError):
                    _meta_path(dest).unlink()
                os.replace(tmp, dest)
                atomic_write_text(_meta_path(dest), json.dumps(meta, indent=2, default=str))
                del self._staged[dest]
        finally:
            self.discard()

    def discard(self) -> None:
        """Delete every staged temporary file; nothing saved changes."""
        for tmp, _meta in self._staged.values():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._staged.clear()


def build_artifact(
    dest: Path,
    inputs: Mapping[str, Any],
    build: Callable[[Path], Mapping[str, Any] | None],
    *,
    force: bool = False,
    extra_meta: Mapping[str, Any] | None = None,
) -> bool:
    """Build ``dest`` with ``build(tmp_path)`` unless it is fresh for ``inputs``.

    The file and its record are replaced only when the build succeeded; a failure
    leaves both as they were.

    Parameters
    ----------
    dest
        Final location of the artefact.
    inputs
        Checksums of the input files and the build parameters; their hash is the key.
    build
        Callable writing the complete artefact to the temporary path it is given; it
        may return facts about what it wrote (row counts, totals) for the sidecar.
    force
        Rebuild even when the artefact is fresh.
    extra_meta
        More facts to record in the sidecar (row counts, totals).

    Returns
    -------
    bool
        True if the artefact was (re)built, False if the cached one was kept.
    """
    with BuildBatch() as batch:
        return batch.stage(dest, inputs, build, force=force, extra_meta=extra_meta)
