"""The report's tables come from the template's macros: every cell autoescaped (issue 23)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
from hostile import PAYLOAD, TEMPLATE, TEMPLATE_RAN

from mapping import formats
from mapping.outputs.need_pack import NeedSection
from mapping.outputs.report import _TEMPLATES, Table, TableRow, every_column, report_table

REPORT_PY = Path(__file__).resolve().parents[2] / "mapping" / "outputs" / "report.py"
HOSTILE = PAYLOAD + TEMPLATE


class _Text(HTMLParser):
    """The text of every ``th``/``td``/``li``/``h3``/``p`` and every tag opened."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.tags: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in {"th", "td", "li", "h2", "h3", "p", "title"}:
            self.texts.append("")
            self._open = True

    def handle_endtag(self, tag: str) -> None:
        if tag in {"th", "td", "li", "h2", "h3", "p", "title"}:
            self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.texts[-1] += data


def test_report_table_is_text_with_totals_marked_and_formulas_neutralised() -> None:
    frame = pd.DataFrame(
        {"area": ["Pendle", "=1+1", "TOTAL"], "people": [1234.4, 5.6, 1240.0]},
    )
    table = report_table(
        frame,
        [("area", "Area", str), ("people", "People", formats.people)],
        emphasise=lambda row: row["area"] == "TOTAL",
    )
    assert table == Table(
        head=("Area", "People"),
        rows=(
            TableRow(("Pendle", "1,234")),
            TableRow(("'=1+1", "6")),
            TableRow(("TOTAL", "1,240"), total=True),
        ),
    )
    # A heading from the data (the gap and scenario tables) is neutralised too.
    assert every_column(pd.DataFrame({"@x": ["a"]})).head == ("'@x",)


def _hostile_table() -> Table:
    return every_column(pd.DataFrame({HOSTILE: [HOSTILE, HOSTILE]}))


def test_a_hostile_name_in_any_table_cell_is_escaped() -> None:
    hostile = _hostile_table()
    need = NeedSection(
        equity=hostile,
        equity_threshold=60.0,
        theil=(HOSTILE,),
        capacity=hostile,
        without_car=(HOSTILE,),
        without_car_limitation=HOSTILE,
        caveat=HOSTILE,
    )
    page = _TEMPLATES.get_template("report.html.j2").render(
        title=HOSTILE,
        area=HOSTILE,
        version="0",
        generated_at="2026-12-08T00:00:00",
        network_source=HOSTILE,
        headline=[HOSTILE],
        map_doc=HOSTILE,
        sarc_table=hostile,
        glance_table=hostile,
        gaps_table=hostile,
        need=need,
        scenario_name=HOSTILE,
        scenario_tables=[(HOSTILE, hostile)],
        method=[HOSTILE],
        parameters=[(HOSTILE, HOSTILE)],
        sources=[(HOSTILE, HOSTILE, HOSTILE, HOSTILE)],
        notes=[HOSTILE],
        attribution=[HOSTILE],
    )
    # Nothing of the name's markup reaches the page as markup, and no template ran.
    for fragment in ("<img", "<script>alert(2)", 'onerror="document', TEMPLATE_RAN):
        assert fragment not in page
    parser = _Text()
    parser.feed(page)
    assert "img" not in parser.tags and parser.tags.count("script") == 0
    # Every table cell (8 tables: SARC, glance, gaps, equity, capacity, scenario, plus the
    # parameters and sources) shows the name as text, whole.
    cells = [t for t in parser.texts if HOSTILE in t]
    assert sum(t == HOSTILE for t in parser.texts) >= 6 * 3 + 2 + 4
    assert len(cells) >= 30
    # The map document is escaped as an attribute value.
    srcdoc = re.search(r'srcdoc="([^"]*)"', page)
    assert srcdoc is not None and html.unescape(srcdoc.group(1)) == HOSTILE


def test_report_builds_no_html_in_python() -> None:
    source = REPORT_PY.read_text(encoding="utf-8")
    assert "Markup(" not in source and "markupsafe" not in source
    assert not re.search(r"""f["'][^"']*<(table|tr|td|th|ul|li)\b""", source)
