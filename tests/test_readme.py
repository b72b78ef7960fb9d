"""README.md says what the code does: its commands, their options, and the app's pages.

The command list is compared with the CLI itself (the click command tree typer builds,
``typer.main.get_command``), and the page list with ``app.py``'s ``st.Page`` titles.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from mapping.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, set[str]]]:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            yield from _walk(sub, (*path, name))
    else:
        options = {o for p in command.params for o in p.opts if o.startswith("--")}
        yield " ".join(path), options


CLI: dict[str, set[str]] = dict(_walk(typer.main.get_command(app)))


def _readme_commands() -> dict[str, set[str]]:
    """``{command: options}`` of each ``service-map ...`` line of the Command line block."""
    block = _section("Command line").split("```bash", 1)[1].split("```", 1)[0]
    found: dict[str, set[str]] = {}
    for line in block.splitlines():
        if not line.startswith("service-map "):
            continue
        words = line.split("#", 1)[0].split()[1:]
        name = words[0]
        if name not in CLI and len(words) > 1 and f"{name} {words[1]}" in CLI:
            name = f"{name} {words[1]}"
        found[name] = set(re.findall(r"(--[a-z][a-z-]*)", line.split("#", 1)[0]))
    return found


def test_the_readme_lists_every_command_and_no_other() -> None:
    assert sorted(_readme_commands()) == sorted(CLI)


@pytest.mark.parametrize("command", sorted(_readme_commands()))
def test_the_readme_options_exist(command: str) -> None:
    unknown = _readme_commands()[command] - CLI.get(command, set())
    assert not unknown, f"README's `service-map {command}` line names {unknown}"


def test_the_readme_names_the_commands_that_take_a_scenario() -> None:
    text = _section("Command line")
    sentence = re.search(r"The analysis commands \(([^)]*)\) also take `--scenario FILE`", text)
    assert sentence is not None
    named = set(re.findall(r"`([a-z -]+)`", sentence.group(1)))
    assert named == {name for name, options in CLI.items() if "--scenario" in options}
    # and every command that reads the register takes --services
    assert named <= {name for name, options in CLI.items() if "--services" in options}


def test_the_readme_names_every_page_of_the_app() -> None:
    titles = []
    for node in ast.walk(ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page":
            titles += [k.value.value for k in node.keywords if k.arg == "title"]  # type: ignore[attr-defined]
    text = _section("The app")
    missing = [title for title in dict.fromkeys(titles) if f"**{title}**" not in text]
    assert titles and not missing, f"pages missing from README's 'The app': {missing}"
