"""Referral pathways as a graph: every way a victim can get from harm to a service.

The graph (:func:`pathway_graph`, a :class:`networkx.DiGraph`) has one node per entry
route (``route:self``, ``route:police``, ...; the vocabulary of
:data:`mapping.inputs.routes.ROUTES`) and one per service; an edge ``route:R -> S`` for
each route R into service S, and ``V -> S`` when S takes referrals from service V
(route ``another_service``). A *pathway* for a victim (a need from ``data/needs.toml``,
an age and a time) is a simple path from a route node to a service that meets the need:
entry route -> service (-> onward service), every service on it eligible for the
victim's age and crime type.

Each step is *open* when the route's hours (or the service's, "as the service") and the
service's own hours are open at that time; a step whose route the victim's age or risk
level bars makes the pathway *barred* (shown, with the reason, but not a way in). Drive
minutes come from the caller (``minutes``: service id -> minutes from the victim's home),
so this module needs no road network; :meth:`mapping.Study.pathways` supplies them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

import networkx as nx
import pandas as pd

from mapping.inputs.hours import is_open
from mapping.inputs.needs import Need
from mapping.inputs.routes import Route

__all__ = [
    "PATHWAY_COLUMNS",
    "Pathway",
    "find_pathways",
    "pathway_graph",
    "pathways_frame",
    "single_points",
]

#: Columns of :func:`pathways_frame`, in order.
PATHWAY_COLUMNS: tuple[str, ...] = (
    "route",
    "path",
    "services",
    "service_id",
    "status",
    "open",
    "steps_open",
    "closed_at",
    "reason",
    "minutes",
    "steps_minutes",
    "police",
    "inferred",
)
_MAX_STEPS = 3  # route -> service -> onward service -> onward service


def route_node(route: str) -> str:
    """The graph node of an entry route."""
    return f"route:{route}"


@dataclass(frozen=True)
class Pathway:
    """One way in: an entry route then the services the referral passes through.

    Attributes
    ----------
    route
        The entry route (``self``, ``police``, ...).
    services
        Service ids in order; the last meets the need.
    steps_open
        For each step (entry route -> first service, then each onward referral) whether
        it is open at the time asked.
    barred
        Why the victim cannot use the pathway (an age or risk bar), or ``""``.
    inferred
        Whether any step rests on an inferred route.
    """

    route: str
    services: tuple[str, ...]
    steps_open: tuple[bool, ...]
    barred: str = ""
    inferred: bool = False

    @property
    def open(self) -> bool:
        """Every step open and nothing barred."""
        return not self.barred and all(self.steps_open)

    @property
    def status(self) -> str:
        return "barred" if self.barred else ("open" if self.open else "closed")

    @property
    def target(self) -> str:
        return self.services[-1]


def pathway_graph(routes: Iterable[Route], service_ids: Iterable[str]) -> nx.DiGraph:
    """The routes as a directed graph (edge attribute ``routes``: the :class:`Route` rows)."""
    graph = nx.DiGraph()
    known = set(service_ids)
    graph.add_nodes_from(known, kind="service")
    for route in routes:
        if route.service_id not in known:
            continue
        if route.route == "another_service":
            if route.via_service_id not in known:
                continue
            source = str(route.via_service_id)
        else:
            source = route_node(route.route)
            graph.add_node(source, kind="route")
        if graph.has_edge(source, route.service_id):
            graph.edges[source, route.service_id]["routes"].append(route)
        else:
            graph.add_edge(source, route.service_id, routes=[route])
    return graph


def _ages(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _serves(service: Mapping[str, Any], need: Need, age: int) -> bool:
    crimes = tuple(service.get("crime_types") or ())
    if isinstance(crimes, str):
        crimes = tuple(c.strip() for c in crimes.split(";"))
    if "all" not in crimes and need.crime_type not in crimes:
        return False
    low, high = _ages(service.get("min_age")), _ages(service.get("max_age"))
    return (low is None or age >= low) and (high is None or age <= high)


def _bar(route: Route, need: Need, age: int) -> str:
    if route.min_age is not None and age < route.min_age:
        return f"{route.route} referral is for ages {route.min_age}+"
    if route.max_age is not None and age > route.max_age:
        return f"{route.route} referral is for ages up to {route.max_age}"
    if (
        route.crime_types
        and need.crime_type not in route.crime_types
        and "all" not in route.crime_types
    ):
        return f"{route.route} referral is for {', '.join(route.crime_types)} only"
    if route.risk_level == "high" and need.risk_level != "high":
        return f"{route.route} referral is for high-risk cases only"
    return ""


def _open(expr: Any, when: datetime) -> bool:
    text = "" if expr is None or (isinstance(expr, float) and pd.isna(expr)) else str(expr)
    return bool(text.strip()) and is_open(text, when)


def _step(
    options: Sequence[Route], service: Mapping[str, Any], need: Need, age: int, when: datetime
) -> tuple[bool, str, bool]:
    """(open, bar reason, inferred) of the best of the parallel routes on one edge."""
    usable = [r for r in options if not _bar(r, need, age)]
    if not usable:
        return False, _bar(options[0], need, age), options[0].inferred
    service_open = _open(service.get("opening_hours"), when)
    for route in usable:
        if service_open and _open(route.opening_hours or service.get("opening_hours"), when):
            return True, "", route.inferred
    return False, "", usable[0].inferred


def find_pathways(
    register: pd.DataFrame,
    routes: Iterable[Route],
    need: Need,
    age: int,
    when: datetime,
) -> list[Pathway]:
    """Every pathway for a victim with ``need`` aged ``age`` at ``when``.

    Parameters
    ----------
    register
        The services register (``id``, ``category``, ``crime_types``, ``min_age``,
        ``max_age``, ``opening_hours``).
    routes
        The referral routes (:func:`mapping.inputs.routes.load_routes`).
    need, age, when
        Who the victim is and when they seek help.

    Returns
    -------
    list of Pathway
        Sorted: open first, then by route and services.
    """
    records = {str(r["id"]): r for r in register.to_dict("records")}
    graph = pathway_graph(routes, records)
    eligible = {sid for sid, rec in records.items() if _serves(rec, need, age)}
    targets = sorted(sid for sid in eligible if records[sid]["category"] in need.categories)
    # Only services the victim could be seen by may carry a referral.
    keep = [n for n in graph if graph.nodes[n]["kind"] == "route" or n in eligible]
    sub = graph.subgraph(keep)
    starts = sorted(n for n in sub if sub.nodes[n]["kind"] == "route")
    found: list[Pathway] = []
    for target in targets:
        for start in starts:
            for path in nx.all_simple_paths(sub, start, target, cutoff=_MAX_STEPS):
                steps = [
                    _step(sub.edges[u, v]["routes"], records[v], need, age, when)
                    for u, v in pairwise(path)
                ]
                bar = next((reason for _, reason, _ in steps if reason), "")
                found.append(
                    Pathway(
                        route=start.removeprefix("route:"),
                        services=tuple(path[1:]),
                        steps_open=tuple(ok for ok, _, _ in steps),
                        barred=bar,
                        inferred=any(inf for _, _, inf in steps),
                    )
                )
    order = {"open": 0, "closed": 1, "barred": 2}
    return sorted(found, key=lambda p: (order[p.status], p.route, p.services))


def single_points(pathways: Sequence[Pathway]) -> list[str]:
    """Services every usable (not barred) pathway passes through: single points of failure."""
    usable = [set(p.services) for p in pathways if not p.barred]
    if not usable:
        return []
    return sorted(set.intersection(*usable))


def pathways_frame(
    pathways: Sequence[Pathway],
    names: Mapping[str, str],
    minutes: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The pathways as a table, one row each (:data:`PATHWAY_COLUMNS`).

    ``minutes`` maps a service id to its drive minutes from the victim's home; a service
    without a site (a telephone line, a confidential refuge) has none (empty, never 0).
    ``minutes`` is the drive to the service that meets the need, ``steps_minutes`` the
    drive to each service on the way.
    """
    minutes = minutes or {}
    rows = []
    for p in pathways:
        closed = [names.get(s, s) for s, ok in zip(p.services, p.steps_open, strict=True) if not ok]
        drive = [minutes.get(s) for s in p.services]
        rows.append(
            {
                "route": p.route,
                # The entry route in words, as the Sankey labels it ("victim services hub").
                "path": " → ".join(
                    [p.route.replace("_", " "), *(names.get(s, s) for s in p.services)]
                ),
                "services": ";".join(p.services),
                "service_id": p.target,
                "status": p.status,
                "open": p.open,
                "steps_open": ";".join("open" if ok else "closed" for ok in p.steps_open),
                "closed_at": "" if p.barred else "; ".join(closed),
                "reason": p.barred,
                "minutes": minutes.get(p.target, float("nan")),
                "steps_minutes": ";".join("" if m is None else f"{m:.0f}" for m in drive),
                "police": p.route == "police",
                "inferred": p.inferred,
            }
        )
    return pd.DataFrame(rows, columns=list(PATHWAY_COLUMNS))
