"""``--out`` never destroys an input or built data, and fails clearly before any work.

Issue 8, defect 3 (and the write-side half of defect 6). Every refusal here happens before
the study is loaded, so these tests are quick; each names the file and exits 1.
"""

from __future__ import annotations

import errno
import os
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapping.errors import ServiceMapError
from mapping.inputs.register import default_register_path
from mapping.outputs.paths import check_output_path, describe_os_error
from mapping.store import default_data_dir, repo_root, sha256_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REGISTER = default_register_path()
SCENARIO = repo_root() / "data" / "scenarios" / "preston_sarc_24_7.toml"
RULES = repo_root() / "data" / "gap_rules.toml"

RunCli = Callable[[list[str]], tuple[int, str, str]]


def _commands(out: Path) -> dict[str, list[str]]:
    """Every command that writes, with ``out`` as its output."""
    return {
        "sarc": ["sarc", "--out", str(out)],
        "gaps": ["gaps", "--out", str(out)],
        "scenario": ["scenario", str(SCENARIO), "--out", str(out)],
        "matrix": [
            "matrix",
            "--origins",
            str(FIXTURES / "travel_origins.csv"),
            "--destinations",
            str(FIXTURES / "travel_destinations.csv"),
            "--out",
            str(out),
        ],
        "network export": ["network", "export", "--graphml", str(out)],
        "export": ["export", "--out", str(out)],
    }


@pytest.mark.parametrize("command", list(_commands(Path("x"))))
def test_no_command_writes_over_the_register(run_cli: RunCli, command: str) -> None:
    before = sha256_file(REGISTER)
    code, _, err = run_cli(_commands(REGISTER)[command])
    assert code == 1, err
    assert "services.csv" in err and "Traceback" not in err
    assert "Loading data" not in err  # refused before any work
    assert sha256_file(REGISTER) == before


@pytest.mark.parametrize("command", ["sarc", "gaps", "scenario"])
@pytest.mark.parametrize(
    "target",
    [
        "population/lsoa_population.csv",
        "gap_rules.csv",
        "scenarios/new.csv",
        "brand_new_file.xlsx",
    ],
)
def test_nothing_is_written_under_the_data_folder(
    run_cli: RunCli, command: str, target: str
) -> None:
    out = default_data_dir() / target
    existed = out.is_file()
    before = sha256_file(out) if existed else None
    code, _, err = run_cli(_commands(out)[command])
    assert code == 1
    assert "generated data folder" in err and str(out) in err
    assert out.is_file() == existed
    if existed:
        assert sha256_file(out) == before


def test_scenario_and_rules_files_read_are_never_overwritten(
    run_cli: RunCli, tmp_path: Path
) -> None:
    scenario = tmp_path / "plan.csv"  # a scenario file renamed: still an input
    scenario.write_text(SCENARIO.read_text())
    rules = tmp_path / "rules.csv"
    rules.write_text(RULES.read_text())
    code, _, err = run_cli(["scenario", str(scenario), "--out", str(scenario)])
    assert code == 1 and "which this command reads" in err
    assert scenario.read_text() == SCENARIO.read_text()
    code, _, err = run_cli(["gaps", "--rules", str(rules), "--out", str(rules)])
    assert code == 1 and "which this command reads" in err
    assert rules.read_text() == RULES.read_text()


def test_matrix_never_replaces_its_origins(run_cli: RunCli, tmp_path: Path) -> None:
    origins = tmp_path / "origins.csv"
    origins.write_bytes((FIXTURES / "travel_origins.csv").read_bytes())
    link = tmp_path / "link.csv"
    os.link(origins, link)  # the same file under another name
    dest = str(FIXTURES / "travel_destinations.csv")
    for out in (origins, link):
        code, _, err = run_cli(
            ["matrix", "--origins", str(origins), "--destinations", dest, "--out", str(out)]
        )
        assert code == 1 and "which this command reads" in err
    assert origins.read_bytes() == (FIXTURES / "travel_origins.csv").read_bytes()


def test_symlink_to_the_register_is_refused(run_cli: RunCli, tmp_path: Path) -> None:
    link = tmp_path / "table.csv"
    link.symlink_to(REGISTER)
    before = sha256_file(REGISTER)
    code, _, err = run_cli(["sarc", "--out", str(link)])
    assert code == 1 and "table.csv" in err
    assert sha256_file(REGISTER) == before


@pytest.mark.parametrize(
    ("command", "name", "expected"),
    [
        ("matrix", "m.xlsx", ".csv"),
        ("sarc", "x.txt", ".csv or .xlsx"),
        ("gaps", "gaps", "no extension"),
        ("scenario", "s.json", ".csv or .xlsx"),
        ("network export", "net.csv", ".graphml"),
    ],
)
def test_extension_is_checked_before_any_work(
    run_cli: RunCli, tmp_path: Path, command: str, name: str, expected: str
) -> None:
    out = tmp_path / name
    code, _, err = run_cli(_commands(out)[command])
    assert code == 1 and expected in err and name in err
    assert "Loading data" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_parent_file_and_long_names(run_cli: RunCli, tmp_path: Path) -> None:
    folder = tmp_path / "table.csv"
    folder.mkdir()
    code, _, err = run_cli(["sarc", "--out", str(folder)])
    assert code == 1 and "is a folder" in err and "table.csv" in err

    parent = tmp_path / "notes.txt"
    parent.write_text("keep me")
    code, _, err = run_cli(["gaps", "--out", str(parent / "gaps.csv")])
    assert code == 1 and "is a file, not a folder" in err and "notes.txt" in err
    assert parent.read_text() == "keep me"

    code, _, err = run_cli(["sarc", "--out", str(tmp_path / ("a" * 300 + ".csv"))])
    assert code == 1 and "longer than" in err
    code, _, err = run_cli(["sarc", "--out", str(tmp_path / ("b" * 240 + ".csv"))])
    assert code == 1 and "too long" in err  # fits alone, not with the temporary name
    code, _, err = run_cli(["export", "--out", str(parent)])
    assert code == 1 and "is a file" in err


def test_only_an_output_of_the_same_kind_is_replaced(tmp_path: Path) -> None:
    previous = tmp_path / "m.csv"
    previous.write_text("origin_id,destination_id,minutes\na,b,1.00\n")
    assert check_output_path(previous, "matrix") == previous
    # the same file is not a SARC table, and a document is nobody's output
    with pytest.raises(ServiceMapError, match="not a previous SARC table"):
        check_output_path(previous, "sarc")
    letter = tmp_path / "letter.csv"
    letter.write_text("name,phone\nAlice,0123\n")
    with pytest.raises(ServiceMapError, match=r"letter\.csv: exists and is not a previous"):
        check_output_path(letter, "matrix")
    binary = tmp_path / "photo.xlsx"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    with pytest.raises(ServiceMapError, match=r"photo\.xlsx"):
        check_output_path(binary, "gaps")
    graph = tmp_path / "g.graphml"
    graph.write_text('<?xml version="1.0"?>\n<graphml xmlns="x"></graphml>\n')
    assert check_output_path(graph, "graphml") == graph


def test_a_csv_table_never_replaces_someone_elses_readme(tmp_path: Path) -> None:
    import pandas as pd

    from mapping.outputs.tables import write_table

    out = tmp_path / "gaps.csv"
    notes = tmp_path / "gaps.README.txt"
    notes.write_text("my own notes")
    with pytest.raises(ServiceMapError, match=r"gaps\.README\.txt"):
        check_output_path(out, "gaps")
    notes.unlink()
    write_table(pd.DataFrame(columns=["gap_id", "rule_id", "severity", "evidence"]), out)
    assert check_output_path(out, "gaps") == out  # its own README is replaced with it


def test_previous_xlsx_table_is_recognised(tmp_path: Path) -> None:
    import pandas as pd

    from mapping.outputs.tables import write_table

    out = tmp_path / "gaps.xlsx"
    write_table(pd.DataFrame(columns=["gap_id", "rule_id", "severity", "evidence"]), out)
    assert check_output_path(out, "gaps") == out
    with pytest.raises(ServiceMapError):
        check_output_path(out, "sarc")


def test_help_says_what_is_replaced(run_cli: RunCli) -> None:
    for command in (["sarc"], ["gaps"], ["matrix"], ["network", "export"]):
        code, out, _ = run_cli([*command, "--help"])
        assert code == 0
        assert "replaced only" in " ".join(out.split())


def test_read_only_and_full_disks_are_refused_up_front(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, where chmod cannot deny access: simulate what the kernel says.
    monkeypatch.setattr(os, "access", lambda *_a, **_k: False)
    with pytest.raises(ServiceMapError, match="permission denied or read-only"):
        check_output_path(tmp_path / "t.csv", "sarc")
    monkeypatch.undo()

    real = os.statvfs(tmp_path)

    class Full:
        f_bavail = 0
        f_frsize = real.f_frsize
        f_flag = real.f_flag

    monkeypatch.setattr(os, "statvfs", lambda _p: Full())
    with pytest.raises(ServiceMapError, match="disk is full"):
        check_output_path(tmp_path / "t.csv", "sarc")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "permission denied"),
        (errno.ENAMETOOLONG, "too long"),
        (errno.ENOTDIR, "is a file"),
    ],
)
def test_write_failure_is_one_message_naming_the_destination(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, reason: str
) -> None:
    from mapping.routing import matrix as engine

    temp = tmp_path / f".m.{os.getpid()}.k3j2h1g0.partial.csv"

    def fail(*_args: object, **_kwargs: object) -> None:
        raise OSError(code, os.strerror(code), str(temp))

    monkeypatch.setattr(engine, "run_matrix", fail)
    code_, _, err = run_cli(_commands(tmp_path / "m.csv")["matrix"])
    assert code_ == 1
    assert f"{tmp_path / 'm.csv'}: " in err and reason in err
    assert "partial" not in err and "unexpected" not in err


def test_describe_os_error_without_a_file() -> None:
    assert "disk is full" in describe_os_error(OSError(errno.ENOSPC, "No space left"))


_NAME_CHARS = string.ascii_letters + string.digits + "._-/ ~" + "éß漢\u200b"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(alphabet=_NAME_CHARS, min_size=0, max_size=80),
    suffix=st.sampled_from(["", ".csv", ".xlsx", ".CSV", ".txt", ".graphml", "/"]),
    kind=st.sampled_from(["sarc", "gaps", "scenario", "matrix", "graphml", "export"]),
)
def test_any_name_is_accepted_safely_or_refused_clearly(
    tmp_path: Path, name: str, suffix: str, kind: str
) -> None:
    """Attack corpus: arbitrary names, inside and outside the data folder."""
    for base in (tmp_path, default_data_dir(), REGISTER.parent):
        candidate = base / (name + suffix) if name + suffix else base
        try:
            accepted = check_output_path(candidate, kind, reads=[REGISTER])
        except ServiceMapError as exc:
            assert str(exc)
            continue
        resolved = accepted.resolve()
        assert default_data_dir().resolve() not in (resolved, *resolved.parents)
        assert resolved != REGISTER.resolve()
        assert not resolved.is_dir() or kind == "export"
