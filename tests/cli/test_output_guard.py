"""One output guard for every command that writes (issue 19).

``week`` and ``optimise hours|sites`` wrote over the register, the gap rules and
``pyproject.toml``; ``equity``, ``capacity`` and ``access`` replaced a README beside
their table. Every ``--out`` now goes through :func:`mapping.outputs.paths.check_output_path`
before any work, and a test walks the CLI so that a new command cannot skip it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import typer.main

from mapping.errors import ServiceMapError
from mapping.store import repo_root

ROOT = repo_root()

#: Options that name a file or folder a command writes.
WRITE_OPTIONS = {"out", "graphml"}

#: Values for the required options of the commands that write, so each can be started.
REQUIRED_VALUES = {
    "category": "sarc",
    "service": "x",
    "extra_hours": "1",
    "add": "1",
    "origins": "origins.csv",
    "destinations": "destinations.csv",
    "file": "scenario.toml",
}

#: Per command, a name its ``--out`` accepts.
OUT_NAMES = {"export": "folder", "network export": "n.graphml", "optimise hours": "s.toml"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leaf_commands() -> list[tuple[str, object]]:
    from mapping.cli import app

    found: list[tuple[str, object]] = []

    def walk(command: object, path: list[str]) -> None:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                walk(child, [*path, name])
        else:
            found.append((" ".join(path), command))

    walk(typer.main.get_command(app), [])
    return found


def _writers() -> list[tuple[str, object]]:
    return [
        (name, command)
        for name, command in _leaf_commands()
        if any(p.name in WRITE_OPTIONS for p in command.params)  # type: ignore[attr-defined]
    ]


def test_the_cli_walk_finds_every_writing_command() -> None:
    names = {name for name, _ in _writers()}
    assert {
        "week",
        "matrix",
        "sarc",
        "scenario",
        "gaps",
        "export",
        "equity",
        "capacity",
        "access",
        "network export",
        "optimise hours",
        "optimise sites",
    } <= names


@pytest.mark.parametrize("name", [n for n, _ in _writers()])
def test_every_writing_command_checks_its_output_first(
    name: str, run_cli, monkeypatch, tmp_path: Path
) -> None:
    """Each command calls the one guard, before any other work (the guard here stops it)."""
    import mapping.outputs.paths as paths

    calls: list[tuple[str, str]] = []

    def spy(path: object, kind: str, **_: object) -> None:
        calls.append((str(path), kind))
        raise ServiceMapError("stopped by the output guard")

    monkeypatch.setattr(paths, "check_output_path", spy)
    # If a command skipped the guard it would start loading: make that fail fast.
    monkeypatch.setenv("SERVICE_MAP_SOURCES", str(tmp_path / "no-sources"))
    monkeypatch.setenv("SERVICE_MAP_DATA", str(tmp_path / "no-data"))
    monkeypatch.chdir(tmp_path)
    command = dict(_writers())[name]
    args = name.split()
    for param in command.params:  # type: ignore[attr-defined]
        if param.name in WRITE_OPTIONS:
            args += [param.opts[0], str(tmp_path / OUT_NAMES.get(name, "t.csv"))]
        elif param.required:
            value = REQUIRED_VALUES[param.name]
            args += [value] if param.param_type_name == "argument" else [param.opts[0], value]
    code, _, err = run_cli(args)
    assert code == 1 and "stopped by the output guard" in err, (name, err)
    assert calls, name


PROTECTED = [
    ROOT / "data" / "services.csv",
    ROOT / "data" / "gap_rules.toml",
    ROOT / "data" / "scenarios" / "preston_sarc_24_7.toml",
    ROOT / "pyproject.toml",
    ROOT / "benchmarks" / "bench_browser_run.json",
]


@pytest.mark.parametrize("target", PROTECTED, ids=lambda p: p.name)
@pytest.mark.parametrize(
    "command",
    [
        ["week", "--category", "sarc"],
        ["optimise", "hours", "--service", "x", "--extra-hours", "1"],
        ["optimise", "sites", "--category", "sarc", "--add", "1"],
    ],
    ids=["week", "optimise-hours", "optimise-sites"],
)
def test_week_and_optimise_refuse_project_and_data_files(
    command: list[str], target: Path, run_cli
) -> None:
    before = _digest(target)
    code, _, err = run_cli([*command, "--out", str(target)])
    assert code == 1, err
    assert "refusing" in err or "written as" in err or "not a previous" in err, err
    assert "Traceback" not in err
    assert _digest(target) == before


def test_week_and_optimise_refuse_a_sidecar(tmp_path: Path, run_cli) -> None:
    sidecar = tmp_path / "t.README.txt"
    sidecar.write_text("my notes\n", encoding="utf-8")
    meta = tmp_path / "t.toml.meta.json"
    meta.write_text("{}", encoding="utf-8")
    for command in (
        ["week", "--category", "sarc", "--out", str(sidecar)],
        ["optimise", "sites", "--category", "sarc", "--add", "1", "--out", str(meta)],
    ):
        code, _, err = run_cli(command)
        assert code == 1 and ("sidecar" in err or "written as" in err), err
    assert sidecar.read_text(encoding="utf-8") == "my notes\n"
    assert meta.read_text(encoding="utf-8") == "{}"


def test_optimise_refuses_an_input_and_a_foreign_scenario(tmp_path: Path, run_cli) -> None:
    demand = tmp_path / "demand.json"
    demand.write_text("{}", encoding="utf-8")
    code, _, err = run_cli(
        [
            *("optimise", "hours", "--service", "x", "--extra-hours", "1"),
            *("--demand", str(demand), "--out", str(demand)),
        ]
    )
    assert code == 1 and "which this command reads" in err, err
    mine = tmp_path / "mine.toml"
    mine.write_text('name = "my own what-if"\n', encoding="utf-8")
    code, _, err = run_cli(
        ["optimise", "sites", "--category", "sarc", "--add", "1", "--out", str(mine)]
    )
    assert code == 1 and "not a previous scenario written by service-map optimise" in err
    assert mine.read_text(encoding="utf-8") == 'name = "my own what-if"\n'


@pytest.mark.parametrize("command", ["equity", "capacity", "access"])
def test_need_tables_keep_a_foreign_readme(command: str, tmp_path: Path, run_cli) -> None:
    readme = tmp_path / "x.README.txt"
    readme.write_text("notes I wrote\n", encoding="utf-8")
    code, _, err = run_cli([command, "--out", str(tmp_path / "x.csv")])
    assert code == 1 and "README" in err, err
    assert readme.read_text(encoding="utf-8") == "notes I wrote\n"
    assert not (tmp_path / "x.csv").exists()


def test_week_writes_atomically_with_its_readme(tmp_path: Path, run_cli, built_data) -> None:
    out = tmp_path / "week.csv"
    code, _, err = run_cli(["week", "--category", "sarc", "--out", str(out)])
    assert code == 0, err
    assert (tmp_path / "week.README.txt").is_file()
    assert not list(tmp_path.glob(".*partial*"))
    # A second run replaces its own previous table.
    code, _, err = run_cli(["week", "--category", "sarc", "--out", str(out)])
    assert code == 0, err
