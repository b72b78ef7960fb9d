"""Every page at 1280 px: whole values in the select boxes, and no code names on screen.

No code names: the visible text of every page (markdown, captions, headings, alerts,
metrics, widget labels and options, table headings and text cells) holds no snake_case
identifier such as ``victims_supported`` or ``women_16_plus`` (issue 21 item 7). File
names (``data/referral_routes.csv``) are where a reader finds the data and stay.

Issue 21 item 7. Streamlit draws columns in proportion to their weights, so the width a
select box gets at 1280 px can be worked out from the element tree that
``streamlit.testing.v1.AppTest`` gives, without a browser:

- the page (``layout="wide"``) is 1280 px less the sidebar (18.75 rem, 300 px) and the
  wide layout's side padding (5 rem a side): 820 px;
- an expander's padding and border take 34 px; columns are 1 rem (16 px) apart;
- a box shows about 8 px a character (Source Sans, 1 rem) after 56 px for its padding
  and arrow. This puts the old Map page's Service box at 144 px, the width the browser
  tour measured, and cuts "SARC (sexual assault referral centre)" after 11 characters,
  at "SARC (sexua", as seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Column, Expander, Node

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 240
#: Every page app.py navigates to, the Map once.
PAGES = list(
    dict.fromkeys(f"app/{n}" for n in re.findall(r'_PAGES / "(\w+\.py)"', Path(APP).read_text()))
)
PAGE_PX = 1280 - 300 - 2 * 80
EXPANDER_PX = 34
GAP_PX = 16
CHAR_PX = 8
BOX_PX = 56


def _boxes(node: Node, width: float) -> Iterator[tuple[str, float, list[str], int]]:
    """Each select box under ``node``: label, width (px), options, select boxes in its row."""
    if not isinstance(node, Block):
        if getattr(node, "type", "") == "selectbox":
            yield node.label, width, [str(o) for o in node.options], 1
        return
    columns = [c for c in node.children.values() if isinstance(c, Column)]
    if columns:
        free = width - GAP_PX * (len(columns) - 1)
        found = [box for c in columns for box in _boxes(c, free * c.weight)]
        for label, px, options, _ in found:
            yield label, px, options, len(found)
        return
    inner = width - EXPANDER_PX if isinstance(node, Expander) else width
    for child in node.children.values():
        yield from _boxes(child, inner)


#: A snake_case word; not part of a path or a file name (``data/gap_rules.toml``).
SNAKE = re.compile(r"(?<![\w/.-])[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+(?![\w/]|\.[a-z])")
#: Snake_case that must stay on screen, with the reason (none so far).
ALLOWED: dict[str, str] = {}
#: Table columns that quote the register as written (its compilers' notes name its
#: fields, e.g. "areas_served inferred"; a source can be a document's reference number,
#: "GN4_ART_1672195"): shown as the register holds them, the page's own words are checked.
QUOTED = frozenset({"Notes", "Source"})
_TEXT = ("markdown", "caption", "header", "subheader", "title", "info", "warning", "success")


def _visible(app: AppTest) -> Iterator[tuple[str, str]]:
    """``(where, text)`` for each piece of text the page shows."""
    for kind in _TEXT:
        for element in app.get(kind):
            yield kind, re.sub(r"<[^>]*>", " ", str(element.value))  # HTML tags are not text
    for metric in app.metric:
        yield f"metric {metric.label!r}", f"{metric.label} {metric.value}"
    for widget in (*app.selectbox, *app.radio, *app.multiselect):
        yield f"widget {widget.label!r}", " | ".join([widget.label, *map(str, widget.options)])
    for widget in (*app.number_input, *app.select_slider, *app.text_input, *app.button):
        yield "widget", str(widget.label)
    for table in app.dataframe:
        frame = table.value
        yield "table headings", " | ".join(map(str, frame.columns))
        for column in frame.columns:
            cells = frame[column]
            if column in QUOTED:
                continue
            if pd.api.types.is_string_dtype(cells) or cells.dtype == object:
                yield f"table column {column!r}", " | ".join(cells.dropna().astype(str).unique())


def test_the_snake_case_pattern() -> None:
    text = "victims_supported, women_16_plus; data/referral_routes.csv, gap_rules.toml, A-road"
    assert SNAKE.findall(text) == ["victims_supported", "women_16_plus"]


@pytest.mark.parametrize("page", PAGES)
def test_no_code_names_on_screen(pages: dict[str, AppTest], page: str) -> None:
    found = [
        (where, token)
        for where, text in _visible(pages[page])
        for token in SNAKE.findall(text)
        if token not in ALLOWED
    ]
    assert not found, f"{page}: code names on screen: {found}"


def _needed(text: str) -> float:
    return BOX_PX + CHAR_PX * len(text)


@pytest.fixture(scope="module")
def pages(built_data: Path) -> dict[str, AppTest]:
    """Every page, drawn once with its defaults in a session of its own."""
    drawn = {}
    for page in PAGES:
        app = AppTest.from_file(APP, default_timeout=TIMEOUT)
        app.run()
        app.switch_page(page).run()
        assert not app.exception, (page, [e.value for e in app.exception])
        drawn[page] = app
    return drawn


def test_the_width_model_reproduces_the_clipped_box() -> None:
    # The old Map page: five columns in an expander gave 144 px and "SARC (sexua".
    old = (PAGE_PX - EXPANDER_PX - 4 * GAP_PX) / 5
    assert round(old) == 144
    assert int((old - BOX_PX) // CHAR_PX) == len("SARC (sexua")


@pytest.mark.parametrize("page", PAGES)
def test_every_select_box_shows_its_longest_option(pages: dict[str, AppTest], page: str) -> None:
    boxes = list(_boxes(pages[page].main, PAGE_PX))
    crowded = [(label, n) for label, _, _, n in boxes if n > 3]
    assert not crowded, f"{page}: more than three select boxes in one row: {crowded}"
    cut = [
        (label, round(px), longest)
        for label, px, options, _ in boxes
        if options and _needed(longest := max(options, key=len)) > px
    ]
    assert not cut, f"{page}: boxes too narrow for their longest option at 1280 px: {cut}"
