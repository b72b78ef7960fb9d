"""One full export pack, made once per run and read by every test of a whole pack.

A full export takes about 20 s, so the tests that read a whole pack (formula safety,
privacy, provenance and attribution in ``test_export.py``, names holding HTML in
``test_html_injection.py``, file modes in ``test_safety.py``) share one, made by
``service-map export`` in-process from a hostile register, with a scenario, under a
umask that is not the usual 022. Under pytest-xdist the first worker to need it makes it
and the others read the same folder (:mod:`worker_lock`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hostile import EAST_LANCS, EXPORT_UMASK, write_hostile_register
from worker_lock import exclusive, run_root

from mapping.cli import main


def _export(register: Path, out: Path) -> dict[str, Any]:
    """``service-map export`` in-process under :data:`EXPORT_UMASK`: exit code and output."""
    stdout, stderr = io.StringIO(), io.StringIO()
    umask = os.umask(EXPORT_UMASK)
    try:
        with (
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
            pytest.raises(SystemExit) as caught,
        ):
            main(
                [
                    "export",
                    *("--out", str(out)),
                    *("--services", str(register)),
                    *("--scenario", str(EAST_LANCS)),
                ]
            )
    finally:
        os.umask(umask)
    return {"code": caught.value.code, "stdout": stdout.getvalue(), "err": stderr.getvalue()}


@pytest.fixture(scope="session")
def export_pack(built_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The shared pack: ``register``, ``out`` (the folder), exit ``code``, ``stdout``, ``err``.

    Made once per run; a worker that finds it made (its ``result.json``) reads it.
    """
    folder = run_root(tmp_path_factory) / "shared-export"
    register, out, result = folder / "services.csv", folder / "export", folder / "result.json"
    with exclusive(folder.with_name(f".{folder.name}.lock")):
        if not result.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            write_hostile_register(register)
            result.write_text(json.dumps(_export(register, out)), encoding="utf-8")
    return {"register": register, "out": out, **json.loads(result.read_text(encoding="utf-8"))}
