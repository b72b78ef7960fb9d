"""The analysis notebooks run top to bottom on the default data."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if "text" in output:
            parts.append(output["text"])
        parts.extend(str(v) for k, v in output.get("data", {}).items() if k == "text/plain")
    return "\n".join(parts)


@pytest.fixture(scope="module")
def executed(built_data: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOKS / "coverage_analysis.ipynb", as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": NOTEBOOKS}}
    ).execute()
    return notebook


def test_coverage_notebook_runs_and_answers_the_sarc_question(
    executed: nbformat.NotebookNode,
) -> None:
    outputs = "\n".join(_text(c) for c in executed.cells if c.cell_type == "code")
    shares = dict(
        re.findall(r"(\w{3} \d\d:\d\d): (\d+)% of Lancashire's population would travel", outputs)
    )
    assert set(shares) == {"Tue 10:00", "Sat 02:00"}
    # Out of hours far more of the county must leave Lancashire for an open SARC.
    assert int(shares["Sat 02:00"]) > int(shares["Tue 10:00"])
    assert "report.html" in outputs
    # Study.export(categories=["sarc"]): the SARC evidence pack, with the scenario compared.
    assert "'coverage_sarc_lsoa.csv'" in outputs and "'scenario_by_area.csv'" in outputs
    assert "coverage_idva" not in outputs
    assert any(
        o.get("output_type") == "display_data" for c in executed.cells for o in c.get("outputs", [])
    )


def test_coverage_notebook_has_the_need_and_equity_section(
    executed: nbformat.NotebookNode,
) -> None:
    outputs = "\n".join(_text(c) for c in executed.cells if c.cell_type == "code")
    assert "residents in the ten deciles: 1,531,079" in outputs
    assert "Theil's T of" in outputs and "between IMD deciles" in outputs
    assert "women 16+ beyond 60 minutes at Sat 02:00" in outputs
    assert "sexual_violence_support" in outputs
