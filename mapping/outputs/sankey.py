"""A Sankey diagram of referral pathways, drawn as plain SVG (no script, no CDN).

Vega and Altair have no Sankey mark and plotly would be a new dependency loading its
library into the page, so the diagram is built here: columns are the steps of a
pathway (entry routes, then the first service, then onward services); a link joins
the nodes of one step, as wide as the number of pathways taking it. A link is drawn
solid when its step is open at the hour, faded when closed, dashed and faint when the
victim's age or risk bars the pathway. Every label is escaped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from itertools import pairwise

import pandas as pd

__all__ = ["LINK_STYLES", "SankeyLink", "sankey_links", "sankey_svg"]

#: Stroke colour, opacity and dash of a link in each state.
LINK_STYLES: dict[str, tuple[str, float, str]] = {
    "open": ("#1b7837", 0.75, ""),
    "closed": ("#762a83", 0.2, ""),
    "barred": ("#777777", 0.15, "6 4"),
}
_WIDTH, _NODE_W, _PAD, _UNIT_MAX, _TOP = 1100, 12, 14, 14.0, 24


@dataclass(frozen=True)
class SankeyLink:
    """``value`` pathways take the step from ``source`` to ``target`` (nodes ``(column, id)``)."""

    source: tuple[int, str]
    target: tuple[int, str]
    state: str
    value: int


def sankey_links(table: pd.DataFrame) -> list[SankeyLink]:
    """Aggregate the pathways table (:func:`mapping.analysis.pathways.pathways_frame`) to links.

    A step's state is ``barred`` when the pathway is barred, else ``open`` or
    ``closed`` as the step is at the hour.
    """
    counts: dict[tuple[tuple[int, str], tuple[int, str], str], int] = defaultdict(int)
    for row in table.to_dict("records"):
        nodes = [(0, f"route:{row['route']}")] + [
            (i + 1, s) for i, s in enumerate(str(row["services"]).split(";"))
        ]
        states = str(row["steps_open"]).split(";")
        for (a, b), state in zip(pairwise(nodes), states, strict=True):
            key = "barred" if row["status"] == "barred" else state
            counts[(a, b, key)] += 1
    order = {"open": 0, "closed": 1, "barred": 2}
    links = [SankeyLink(a, b, s, v) for (a, b, s), v in counts.items()]
    return sorted(links, key=lambda lk: (lk.source, order[lk.state], lk.target))


def _label(node: tuple[int, str], names: Mapping[str, str]) -> str:
    key = node[1]
    if key.startswith("route:"):
        return key.removeprefix("route:").replace("_", " ")
    return names.get(key, key)


def sankey_svg(table: pd.DataFrame, names: Mapping[str, str], *, height: int = 520) -> str:
    """The pathways as an SVG Sankey diagram (a string to put in a page as it is).

    Parameters
    ----------
    table
        The pathways (``route``, ``services``, ``steps_open``, ``status``).
    names
        Service id -> name for the labels.
    height
        Drawing height in pixels (the SVG scales to its container's width).
    """
    links = sankey_links(table)
    if not links:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {_WIDTH} 60" '
            'data-sankey="empty"><text x="10" y="30">No pathway for this need and age.</text></svg>'
        )
    through: dict[tuple[int, str], int] = defaultdict(int)
    incoming: dict[tuple[int, str], int] = defaultdict(int)
    for link in links:
        through[link.source] += link.value
        incoming[link.target] += link.value
    for node, value in incoming.items():
        through[node] = max(through[node], value)
    columns: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for node in sorted(through, key=lambda n: (n[0], -through[n], _label(n, names))):
        columns[node[0]].append(node)
    usable = height - _TOP - 10
    unit = min(
        _UNIT_MAX,
        *(
            (usable - _PAD * (len(nodes) - 1)) / max(1, sum(through[n] for n in nodes))
            for nodes in columns.values()
        ),
    )
    unit = max(unit, 1.0)
    n_cols = max(columns) + 1
    gap = (_WIDTH - 140 - 260 - _NODE_W) / max(1, n_cols - 1)
    xs = {c: 140 + c * gap for c in range(n_cols)}
    ys: dict[tuple[int, str], float] = {}
    for nodes in columns.values():
        y = float(_TOP)
        for node in nodes:
            ys[node] = y
            y += through[node] * unit + _PAD
    out_y = dict(ys)
    in_y = dict(ys)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {_WIDTH} {height}" '
        'width="100%" data-sankey="pathways" font-family="sans-serif" font-size="12">',
        "<title>Referral pathways: entry routes to services</title>",
    ]
    for link in links:
        width = link.value * unit
        y0 = out_y[link.source] + width / 2
        y1 = in_y[link.target] + width / 2
        out_y[link.source] += width
        in_y[link.target] += width
        x0, x1 = xs[link.source[0]] + _NODE_W, xs[link.target[0]]
        mid = (x0 + x1) / 2
        colour, opacity, dash = LINK_STYLES[link.state]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        title = escape(
            f"{_label(link.source, names)} → {_label(link.target, names)}: "
            f"{link.value} pathway(s), {link.state}"
        )
        parts.append(
            f'<path class="link {link.state}" data-state="{link.state}" '
            f'd="M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f}" '
            f'fill="none" stroke="{colour}" stroke-opacity="{opacity}" '
            f'stroke-width="{max(width, 1.0):.1f}"{dash_attr}><title>{title}</title></path>'
        )
    for node, y in ys.items():
        h = max(through[node] * unit, 2.0)
        x = xs[node[0]]
        label = escape(_label(node, names))
        parts.append(
            f'<rect class="node" x="{x:.1f}" y="{y:.1f}" width="{_NODE_W}" height="{h:.1f}" '
            f'fill="#444"><title>{label}</title></rect>'
        )
        # entry routes are labelled on their left, services on their right
        tx, anchor = (x - 4, "end") if node[0] == 0 else (x + _NODE_W + 4, "start")
        room = 42 if node[0] in (0, n_cols - 1) else max(12, int((gap - _NODE_W - 12) / 6.5))
        short = label if len(label) <= room else label[: room - 1] + "…"
        parts.append(
            f'<text x="{tx:.1f}" y="{y + h / 2 + 4:.1f}" text-anchor="{anchor}">{short}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
