"""Every page at 1280 px: whole values in the select boxes, and no code names on screen.

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

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Column, Expander, Node

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 240
PAGES = [
    "app/map.py",
    "app/sarc.py",
    "app/week.py",
    "app/coverage.py",
    "app/need.py",
    "app/without_car.py",
    "app/gaps.py",
    "app/pathways.py",
    "app/scenarios.py",
    "app/optimise.py",
    "app/services.py",
    "app/about.py",
]
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
