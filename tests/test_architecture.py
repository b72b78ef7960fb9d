"""The package's shape, checked on its source: layers import only downwards, modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mapping"
MAX_LINES = 650

#: Layer of each top-level part of the package, lowest first (see docs/architecture.md).
RANKS: dict[str, int] = {
    "errors": 0,
    "store": 0,
    "study_area": 0,
    "formats": 0,
    "safety": 0,
    "caching": 0,
    "inputs": 1,
    "geography": 2,
    "network": 2,
    "routing": 3,
    "analysis": 4,
    "outputs": 5,
    "study": 6,
    "cli_options": 6,  # option declarations only: imports nothing of the package
    "cli_optimise": 7,
    "cli_week": 7,
    "cli_walk": 7,
    "cli_network": 7,
    "cli_pathways": 7,
    "cli_appraise": 7,
    "cli": 8,  # registers the sub-apps of the layer below (cli_optimise, cli_week, ...)
}
#: Modules that belong to another part's layer (the command line spans two modules).
PART_OF: dict[str, str] = {"cli_need": "cli", "study_invest": "study", "study_need": "study"}


def _part(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "mapping" or len(parts) < 2:
        return None
    return PART_OF.get(parts[1], parts[1])


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py")


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "mapping":
                found += [(node.lineno, f"mapping.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return found


def _own_part(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    part = rel.parts[0].removesuffix(".py")
    return PART_OF.get(part, part)


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {_own_part(p) for p in _modules()}
    assert parts <= set(RANKS), f"no layer for {sorted(parts - set(RANKS))}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_go_down(path: Path) -> None:
    own = _own_part(path)
    bad = []
    for line, module in _imports(path):
        target = _part(module)
        if target is None or target not in RANKS or target == own:
            continue
        upward = RANKS[target] > RANKS[own]
        # Base modules (errors, store, ...) may use each other; other layers of one rank
        # (geography and network) stay apart.
        sideways = RANKS[target] == RANKS[own] and RANKS[own] > 0
        if upward or sideways:
            bad.append(f"line {line}: {module} ({target}, layer {RANKS[target]})")
    assert not bad, f"{own} (layer {RANKS[own]}) imports upward or sideways: {bad}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_too_long(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines (limit {MAX_LINES})"


APP = PACKAGE.parent / "app"


@pytest.mark.parametrize("path", sorted(APP.glob("*.py")), ids=lambda p: p.name)
def test_no_app_module_is_too_long(path: Path) -> None:
    """The app's pages and helpers keep the package's module cap too."""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"app/{path.name} has {lines} lines (limit {MAX_LINES})"


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    # The rule itself can fail: an inputs module importing the analysis is caught.
    module = tmp_path / "bad.py"
    module.write_text("from mapping.analysis.coverage import CoverageModel\n")
    ((_line, imported),) = _imports(module)
    assert _part(imported) == "analysis" and RANKS["analysis"] > RANKS["inputs"]


def test_the_architecture_doc_names_the_base_parts() -> None:
    """docs/architecture.md's base layer is the parts ranked lowest here (issue 23)."""
    import re

    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    row = re.search(r"^\| base \(([^)]*)\)", doc, flags=re.MULTILINE)
    assert row is not None
    named = set(re.findall(r"`(\w+)`", row.group(1)))
    assert named == {part for part, rank in RANKS.items() if rank == 0}
