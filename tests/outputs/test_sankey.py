"""The SVG Sankey of referral pathways (mapping.outputs.sankey), on a hand-worked table."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd

from mapping.outputs.sankey import sankey_links, sankey_svg

TABLE = pd.DataFrame(
    {
        "route": ["police", "police", "police", "self", "self"],
        "services": ["b", "a", "a;c", "c", "a"],
        "steps_open": ["open", "closed", "closed;closed", "closed", "closed"],
        "status": ["open", "closed", "closed", "closed", "barred"],
    }
)


def test_links_are_counted_by_step_and_state() -> None:
    got = {(lk.source, lk.target, lk.state): lk.value for lk in sankey_links(TABLE)}
    # by hand: police->a closed twice (a, then a;c); police->b open; a->c closed once;
    # self->c closed; self->a barred
    assert got == {
        ((0, "route:police"), (1, "b"), "open"): 1,
        ((0, "route:police"), (1, "a"), "closed"): 2,
        ((1, "a"), (2, "c"), "closed"): 1,
        ((0, "route:self"), (1, "c"), "closed"): 1,
        ((0, "route:self"), (1, "a"), "barred"): 1,
    }


def test_svg_draws_open_solid_closed_faded_and_escapes_names() -> None:
    svg = sankey_svg(TABLE, {"a": "<script>alert(1)</script>", "b": "B & co"})
    root = ET.fromstring(svg)  # well-formed
    ns = "{http://www.w3.org/2000/svg}"
    paths = root.findall(f"{ns}path")
    assert len(paths) == 5
    states = {p.get("data-state"): p for p in paths}
    assert float(states["open"].get("stroke-opacity")) > float(
        states["closed"].get("stroke-opacity")
    )
    assert states["barred"].get("stroke-dasharray")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "B &amp; co" in svg
    # the police->a link is twice as wide as police->b
    widths = {p.find(f"{ns}title").text.split(":")[0]: float(p.get("stroke-width")) for p in paths}
    assert widths["police → <script>alert(1)</script>"] == 2 * widths["police → B & co"]
    # nodes: police and self; a, b, c at the first step; c again at the onward step
    assert len(re.findall("<rect", svg)) == 6


def test_empty_table_says_so() -> None:
    assert "No pathway" in sankey_svg(TABLE.iloc[0:0], {})
