"""Issue 19, items 7 and 8: exits that were "unexpected" (exit 2) or hung, now clear.

A JSON scenario named ``"\\ud800"``, a loop of symbolic links as an input, a named pipe
or a device as an input file, SIGTERM landing inside pandas' parser, a malformed census
table without ``SHA256SUMS``, and ``services geocode`` on a broken register.
"""

from __future__ import annotations

import csv
import os
import signal
import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping.errors import ServiceMapError
from mapping.inputs.files import read_csv_table, read_scenario_document
from mapping.inputs.register import default_register_path
from mapping.inputs.sources import SourceError, locate_sources

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SURROGATE = '{"name": "\\ud800", "change": [{"kind": "close", "service": "x"}]}'


def test_a_lone_surrogate_in_a_scenario_is_named(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "s.json"
    path.write_text(SURROGATE, encoding="utf-8")
    with pytest.raises(ServiceMapError, match=r"s.json:name: holds a lone surrogate"):
        read_scenario_document(path)
    code, _, err = run_cli(["scenario", str(path), "--at", "Sat 02:00"])
    assert code == 1 and "lone surrogate" in err and "Loading" not in err


def test_a_lone_surrogate_upload_is_refused_in_the_app(built_data: Path) -> None:
    app = AppTest.from_file(APP, default_timeout=240)
    app.run()
    app.switch_page("app/scenarios.py").run()
    app.file_uploader(key="sc_upload").set_value(
        ("s.json", SURROGATE.encode("utf-8"), "application/json")
    )
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("lone surrogate" in e.value for e in app.error), [e.value for e in app.error]


def _finishes(call, seconds: float = 20.0) -> BaseException | None:
    """Run ``call`` in a thread; fail if it is still running after ``seconds``."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, "the read did not return: it would hang the command"
    return outcome[0]


def test_a_named_pipe_or_device_is_refused_without_hanging(tmp_path: Path) -> None:
    pipe = tmp_path / "scenario.toml"
    os.mkfifo(pipe)
    error = _finishes(lambda: read_scenario_document(pipe))
    assert isinstance(error, ServiceMapError) and "is a named pipe" in str(error)
    csv_pipe = tmp_path / "demand.csv"
    os.mkfifo(csv_pipe)
    error = _finishes(lambda: read_csv_table(csv_pipe))
    assert isinstance(error, ServiceMapError) and "is a named pipe" in str(error)
    error = _finishes(lambda: read_csv_table(Path("/dev/zero")))
    assert isinstance(error, ServiceMapError) and "device" in str(error)


def test_a_symlink_loop_as_an_input_with_out(tmp_path: Path, run_cli) -> None:
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    code, _, err = run_cli(
        ["sarc", "--services", str(tmp_path / "a.csv"), "--out", str(tmp_path / "o.csv")]
    )
    assert code == 1 and "cannot resolve this input" in err, err
    error = _finishes(lambda: read_scenario_document(tmp_path / "a.toml"))
    assert isinstance(error, ServiceMapError)
    (tmp_path / "c.toml").symlink_to(tmp_path / "d.toml")
    (tmp_path / "d.toml").symlink_to(tmp_path / "c.toml")
    error = _finishes(lambda: read_scenario_document(tmp_path / "c.toml"))
    assert isinstance(error, ServiceMapError) and "loop of symbolic links" in str(error)


def test_sigterm_inside_a_parser_is_reported_as_a_stop(monkeypatch, run_cli) -> None:
    """pandas' C parser turned the SIGTERM exit into ``TypeError`` (exit 2 before)."""
    import mapping.geography as geography

    def build(*_args: object, **_kwargs: object) -> None:
        try:
            os.kill(os.getpid(), signal.SIGTERM)  # the handler runs here: SystemExit
        except SystemExit:  # what pandas' parser does with it
            raise TypeError("raise: exception class must be a subclass of BaseException") from None

    monkeypatch.setattr(geography, "build", build)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        code, _, err = run_cli(["data", "build"])
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert code == 143 and "stopped by a termination signal" in err, err
    assert "unexpected" not in err


def test_a_malformed_census_table_without_checksums(tmp_path: Path) -> None:
    folder = tmp_path / "census-2021"
    folder.mkdir()
    (folder / "lsoa21_usual_residents_by_age.csv").write_text("foo,bar\n1,2\n")
    sources = locate_sources(tmp_path)
    assert not (tmp_path / "SHA256SUMS").exists()
    with pytest.raises(SourceError, match=r"missing column.*age_group"):
        sources.read_census()


def _register_variant(tmp_path: Path, name: str) -> Path:
    with open(default_register_path(), newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    if name == "duplicate":
        rows[1]["id"] = rows[0]["id"]
    elif name == "no-category":
        fields.remove("category")
    else:
        row = next(r for r in rows if r["lat"])
        row["lat"] = "91"
    path = tmp_path / f"{name}.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=fields, lineterminator="\n", extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("duplicate", "duplicate id"),
        ("no-category", "missing column(s): category"),
        ("lat91", "impossible latitude '91'"),
    ],
)
def test_geocode_refuses_a_broken_register(
    variant: str, message: str, tmp_path: Path, run_cli
) -> None:
    path = _register_variant(tmp_path, variant)
    before = path.read_bytes()
    code, _, err = run_cli(["services", "geocode", "--services", str(path)])
    assert code == 1 and message in err, err
    assert path.read_bytes() == before
