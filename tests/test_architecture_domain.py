"""Domain values are data, not code: no module of ``mapping/`` names a place's code.

The study area (its council areas, neighbours and SARC groups) is
``mapping/inputs/study_area.toml``; the road network's journey checks are
``mapping/network/checks.toml``; the register and scenarios are under ``data/``. The
code reads them and names none of these places itself (issue 23 item 9), so another
area is other files, not other code. Prose (docstrings and comments) may still say
where the figures come from; values the code uses may not.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

MAPPING = Path(__file__).resolve().parents[1] / "mapping"
#: The only files of ``mapping/`` allowed to name the study area's places and codes.
ALLOWED = {MAPPING / "inputs" / "study_area.toml", MAPPING / "network" / "checks.toml"}
#: An ONS code of an English council area (E06 unitary, E07 district, E08 metropolitan,
#: E09 London borough): none belongs in code, comments included.
GSS = re.compile(r"\bE0[6-9]\d{6}\b")
#: Places the code once named as values: the home SARC's town and the SARCs over the border.
PLACES = re.compile(r"preston|saint mary|bridgeway", re.IGNORECASE)


def _docstring_lines(tree: ast.Module) -> set[int]:
    """Line numbers of every module, class and function docstring."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                first = body[0]
                if isinstance(first.value.value, str):
                    lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def place_values(source: str) -> list[tuple[int, str]]:
    """``(line, token)`` of each name or string outside docstrings naming a place."""
    docstrings = _docstring_lines(ast.parse(source))
    kinds = {tokenize.NAME, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        wanted = token.type in kinds and token.start[0] not in docstrings
        if wanted and PLACES.search(token.string):
            found.append((token.start[0], token.string))
    return found


def _files() -> list[Path]:
    return sorted(p for p in MAPPING.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def test_the_scan_finds_what_it_looks_for() -> None:
    source = '"""Preston\'s SARC is a docstring."""\n# Preston in a comment\nx = "Preston"\n'
    assert place_values(source) == [(3, '"Preston"')]
    assert GSS.search('code = "E07000123"') and not GSS.search("E12000002")


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(MAPPING)))
def test_no_module_names_a_council_area_code_or_a_place(path: Path) -> None:
    if path in ALLOWED:
        return
    text = path.read_text(encoding="utf-8")
    codes = sorted(set(GSS.findall(text)))
    assert not codes, f"{path}: council-area codes in code {codes}: read them from data"
    if path.suffix == ".py":
        values = place_values(text)
        assert not values, f"{path}: places named as values {values}: read them from data"
    else:
        assert not PLACES.search(text), f"{path}: names a place: read it from data"
