"""One builder at a time across pytest-xdist workers, and results made once per run.

``make test`` runs the suite on several worker processes (pytest-xdist). Each worker
has its own session fixtures, so without care two workers would build ``data/`` at the
same time, or compute the same export pack twice. :func:`exclusive` serialises them with
an advisory lock (``fcntl.flock``: released by the kernel even if a worker is killed);
:func:`run_root` is the folder every worker of one run shares. Without xdist (``-n 0``
or ``-p no:xdist``) both still work: the lock is simply never contended.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (created if missing) for the block."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder shared by every worker of this run (this run's only).

    Under xdist each worker's base folder is ``<run folder>/popen-gwN``; without xdist
    the base folder is the run folder itself. Its parent would be shared with other runs.
    """
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
