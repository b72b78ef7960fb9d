"""Atomic, checksum-keyed storage for generated data under ``data/``.

Every generated file is written to a temporary name beside its destination and renamed
into place only when complete, so an interrupted build never leaves a half-written
file. Each artefact carries a small ``<name>.meta.json`` sidecar recording the key
(a hash of its inputs' checksums and the build parameters); an artefact whose key no
longer matches is stale and is rebuilt.
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

__all__ = [
    "artifact_is_fresh",
    "atomic_path",
    "atomic_write_text",
    "build_artifact",
    "build_key",
    "default_data_dir",
    "pid_alive",
    "read_meta",
    "remove_stale_partials",
    "repo_root",
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


@contextlib.contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it onto ``dest`` on success.

    The temporary file lives in the same folder so the final ``os.replace`` is atomic.
    On any exception (including ``KeyboardInterrupt``) the temporary file is removed
    and ``dest`` is left exactly as it was.
    """
    dest = Path(dest)
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
        return json.loads(_meta_path(dest).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def artifact_is_fresh(dest: Path, key: str) -> bool:
    """Return True when ``dest`` exists and its sidecar records ``key``."""
    meta = read_meta(dest)
    return Path(dest).is_file() and meta is not None and meta.get("key") == key


def build_artifact(
    dest: Path,
    inputs: Mapping[str, Any],
    build: Callable[[Path], Mapping[str, Any] | None],
    *,
    force: bool = False,
    extra_meta: Mapping[str, Any] | None = None,
) -> bool:
    """Build ``dest`` with ``build(tmp_path)`` unless it is fresh for ``inputs``.

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
    key = build_key(inputs)
    remove_stale_partials(Path(dest).parent)
    if not force and artifact_is_fresh(dest, key):
        return False
    # Drop the old sidecar first: if we are interrupted after the data file is
    # replaced, a missing sidecar marks the artefact stale rather than fresh.
    with contextlib.suppress(FileNotFoundError):
        _meta_path(dest).unlink()
    with atomic_path(dest) as tmp:
        facts = build(tmp)
    meta = {
        "key": key,
        "inputs": dict(inputs),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **(dict(extra_meta) if extra_meta else {}),
        **(dict(facts) if facts else {}),
    }
    atomic_write_text(_meta_path(dest), json.dumps(meta, indent=2, default=str))
    return True
