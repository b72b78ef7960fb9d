"""Referral routes (``data/referral_routes.csv``): who can refer a victim to a service, and when.

One row per service and route, keyed by the register's ``id`` (the register itself is
not changed). Routes come from a documented vocabulary (:data:`ROUTES`); each has the
hours it is open (OpenStreetMap ``opening_hours`` syntax, or ``as the service``), who it
is for (ages, crime types, a risk level where it is risk-based), the service it passes
through when it is ``another_service`` (``via_service_id``), its source, whether it is
inferred, and a confidence checked by one rule (:func:`route_confidence`).

Validation never raises for bad data: :func:`validate_routes` returns every
:class:`~mapping.errors.Problem` (``file:row:field: message``); :func:`load_routes`
raises :class:`RoutesError` listing them, or returns the typed :class:`Route` rows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mapping.errors import Problem, ServiceMapError
from mapping.inputs import hours
from mapping.inputs.files import CsvReadError, csv_rows, decode_csv
from mapping.inputs.record import rule_confidence
from mapping.inputs.vocabulary import CONFIDENCE_LEVELS, CRIME_TYPES
from mapping.store import repo_root

__all__ = [
    "AS_THE_SERVICE",
    "COLUMNS",
    "RISK_LEVELS",
    "ROUTES",
    "Route",
    "RoutesError",
    "default_routes_path",
    "load_routes",
    "route_confidence",
    "routes_frame",
    "validate_routes",
]

#: The route vocabulary: who refers a victim to a service.
ROUTES: dict[str, str] = {
    "self": "the victim themselves (or a parent or carer for a child)",
    "police": "the police",
    "professional": "any professional (social worker, school, housing, another agency)",
    "marac": "the Marac (Lancashire's MARRAC), for high-risk domestic abuse",
    "health": "a GP, hospital or other health service",
    "victim_services_hub": "the Lancashire Victim Services hub's triage",
    "another_service": "another service in the register (via_service_id) refers onward",
}
#: SafeLives' risk levels; empty = the route is not risk-based.
RISK_LEVELS: tuple[str, ...] = ("standard", "medium", "high")
#: ``opening_hours`` of a route open whenever its service is.
AS_THE_SERVICE = "as the service"
#: Columns of the file, in order.
COLUMNS: tuple[str, ...] = (
    "service_id",
    "route",
    "opening_hours",
    "min_age",
    "max_age",
    "crime_types",
    "risk_level",
    "via_service_id",
    "source",
    "inferred",
    "confidence",
    "notes",
)
_REFERENCE_FILES = (
    "lancashire-victim-services.md",
    "lancashire-victim-services-addendum-2026-12.md",
    "sarcs-england-wales-sources.md",
)
_INT = re.compile(r"^\d{1,3}$")


@dataclass(frozen=True)
class Route:
    """One referral route into one service.

    ``opening_hours`` is ``None`` when the route is open as the service is; ages and
    ``crime_types`` are ``None``/empty when the service's own apply; ``risk_level`` is
    ``None`` unless the route is for that risk level only.
    """

    service_id: str
    route: str
    opening_hours: str | None
    min_age: int | None
    max_age: int | None
    crime_types: tuple[str, ...]
    risk_level: str | None
    via_service_id: str | None
    source: str
    inferred: bool
    confidence: str
    notes: str = ""
    line: int = 0


class RoutesError(ServiceMapError):
    """The routes file is invalid; ``problems`` lists every problem found."""

    def __init__(self, path: str | os.PathLike[str], problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(
            f"{path}: the referral routes have {len(self.problems)} problem(s):\n{lines}"
        )


def default_routes_path() -> Path:
    """The committed routes file, ``<repo>/data/referral_routes.csv``."""
    return repo_root() / "data" / "referral_routes.csv"


def route_confidence(inferred: bool, service_confidence: str | None) -> str:
    """The confidence the documented rule gives a route (``data/README.md``).

    An inferred route is ``low``; a published one is as firm as its service (the
    service's hours and site decide when and where it can be used).

    Examples
    --------
    >>> route_confidence(True, "high")
    'low'
    >>> route_confidence(False, "medium")
    'medium'
    """
    if inferred:
        return "low"
    return service_confidence if service_confidence in CONFIDENCE_LEVELS else "low"


def _text(value: Any) -> str:
    return (
        "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()
    )


def _service_facts(register: pd.DataFrame | None) -> dict[str, Mapping[str, Any]]:
    if register is None:
        return {}
    facts: dict[str, Mapping[str, Any]] = {}
    for row in register.to_dict("records"):
        level = _text(row.get("confidence")) or rule_confidence(
            row.get("location_precision"), row.get("hours_basis")
        )
        facts[str(row["id"])] = {**row, "confidence": level}
    return facts


class _Checker:
    def __init__(self, label: str, services: dict[str, Mapping[str, Any]]) -> None:
        self.label = label
        self.services = services
        self.problems: list[Problem] = []

    def add(self, line: int, name: str, message: str) -> None:
        self.problems.append(Problem(self.label, line, name, message))

    def age(self, line: int, name: str, text: str) -> int | None:
        if not text:
            return None
        if not _INT.match(text) or int(text) > 120:
            self.add(line, name, f"{name} {text!r} is not a whole number of years from 0 to 120")
            return None
        return int(text)

    def row(self, line: int, cells: Mapping[str, str]) -> Route | None:
        start = len(self.problems)
        sid, route, via = cells["service_id"], cells["route"], cells["via_service_id"]
        if not sid:
            self.add(line, "service_id", "service_id is required")
        elif self.services and sid not in self.services:
            self.add(line, "service_id", f"unknown service id {sid!r}: not in the register")
        if route not in ROUTES:
            self.add(line, "route", f"unknown route {route!r}; use one of: {', '.join(ROUTES)}")
        if route == "another_service" and not via:
            self.add(
                line,
                "via_service_id",
                "route another_service needs the via_service_id it comes through",
            )
        if via and route != "another_service":
            self.add(line, "via_service_id", "via_service_id is only for route another_service")
        if via and via == sid:
            self.add(line, "via_service_id", "a service cannot refer to itself")
        elif via and self.services and via not in self.services:
            self.add(line, "via_service_id", f"unknown service id {via!r}: not in the register")
        expr = cells["opening_hours"] or AS_THE_SERVICE
        if expr != AS_THE_SERVICE:
            message = hours.validate_hours(expr)
            if message is not None:
                self.add(line, "opening_hours", f"{message} (or write {AS_THE_SERVICE!r})")
        low = self.age(line, "min_age", cells["min_age"])
        high = self.age(line, "max_age", cells["max_age"])
        if low is not None and high is not None and low > high:
            self.add(line, "max_age", f"max_age {high} is below min_age {low}")
        crimes = tuple(p.strip() for p in cells["crime_types"].split(";") if p.strip())
        bad = [c for c in crimes if c not in CRIME_TYPES]
        if bad:
            self.add(
                line,
                "crime_types",
                f"unknown crime type(s) {', '.join(map(repr, bad))}; use: {', '.join(CRIME_TYPES)}",
            )
        risk = cells["risk_level"]
        if risk and risk not in RISK_LEVELS:
            self.add(
                line,
                "risk_level",
                f"unknown risk_level {risk!r}; use one of: {', '.join(RISK_LEVELS)} or leave empty",
            )
        source = cells["source"]
        if not source:
            self.add(line, "source", "source is missing: cite where the route comes from")
        elif not any(name in source for name in _REFERENCE_FILES):
            self.add(
                line, "source", f"source must cite a reference file ({', '.join(_REFERENCE_FILES)})"
            )
        inferred_text = cells["inferred"].lower()
        if inferred_text not in ("yes", "no"):
            self.add(line, "inferred", f"inferred must be yes or no, not {cells['inferred']!r}")
        inferred = inferred_text != "no"
        notes = cells["notes"]
        if inferred and "[inferred]" not in notes:
            self.add(
                line,
                "notes",
                "an inferred route must say what is inferred with the word [inferred]",
            )
        confidence = cells["confidence"]
        service = self.services.get(sid)
        expected = route_confidence(inferred, service["confidence"] if service else None)
        if confidence not in CONFIDENCE_LEVELS:
            self.add(
                line,
                "confidence",
                f"unknown confidence {confidence!r}; use one of: {', '.join(CONFIDENCE_LEVELS)}",
            )
        elif service is not None and CONFIDENCE_LEVELS.index(confidence) < CONFIDENCE_LEVELS.index(
            expected
        ):
            self.add(
                line,
                "confidence",
                f"confidence {confidence!r} is above the rule's {expected!r} (data/README.md)",
            )
        elif service is not None and confidence != expected and "confidence" not in notes.lower():
            self.add(
                line,
                "confidence",
                f"confidence {confidence!r} is below the rule's {expected!r}: say why in notes",
            )
        if service is not None and route == "self" and low is not None:
            stated = service.get("self_referral_min_age")
            if stated is not None and not pd.isna(stated) and int(stated) != low:
                self.add(
                    line,
                    "min_age",
                    f"self-referral min_age {low} differs from the register's "
                    f"self_referral_min_age {int(stated)}",
                )
        if len(self.problems) > start:
            return None
        return Route(
            service_id=sid,
            route=route,
            opening_hours=None if expr == AS_THE_SERVICE else expr,
            min_age=low,
            max_age=high,
            crime_types=crimes,
            risk_level=risk or None,
            via_service_id=via or None,
            source=source,
            inferred=inferred,
            confidence=confidence,
            notes=notes,
            line=line,
        )


def _check(path: Path, register: pd.DataFrame | None) -> tuple[list[Problem], list[Route]]:
    checker = _Checker(str(path), _service_facts(register))
    try:
        payload = path.read_bytes()
    except OSError as exc:
        return [Problem(str(path), 0, "-", f"cannot read the file ({exc.strerror or exc})")], []
    try:
        rows, problem = csv_rows(decode_csv(payload, str(path)), str(path))
    except CsvReadError as exc:
        return [exc.problem], []
    if problem is not None:
        checker.problems.append(problem)
    rows = [(line, cells) for line, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        return [
            Problem(str(path), 0, "-", "the file is empty: expected a header line and routes")
        ], []
    header = [h.strip() for h in rows[0][1]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [Problem(str(path), rows[0][0], "-", f"missing column(s): {', '.join(missing)}")], []
    routes: list[Route] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, cells in rows[1:]:
        if len(cells) != len(header):
            checker.add(
                line,
                "-",
                f"has {len(cells)} fields but the header has {len(header)} "
                "(a stray comma or quote?)",
            )
            continue
        values = {name: cells[header.index(name)].strip() for name in COLUMNS}
        key = (values["service_id"], values["route"], values["via_service_id"])
        if key in seen:
            checker.add(line, "route", f"repeats the route on line {seen[key]}")
            continue
        seen[key] = line
        route = checker.row(line, values)
        if route is not None:
            routes.append(route)
    return checker.problems, routes


def validate_routes(
    path: str | os.PathLike[str] | None = None, register: pd.DataFrame | None = None
) -> list[Problem]:
    """Check the routes file (against the register when given); every problem, never raises.

    Parameters
    ----------
    path
        The routes CSV (default :func:`default_routes_path`).
    register
        The services register (:func:`~mapping.inputs.register.load_register`): service
        ids must be in it, and confidence and self-referral ages agree with it.

    Returns
    -------
    list of Problem
        Empty when the file is valid.
    """
    problems, _ = _check(Path(path or default_routes_path()), register)
    return problems


def load_routes(
    path: str | os.PathLike[str] | None = None, register: pd.DataFrame | None = None
) -> list[Route]:
    """Read and validate the routes.

    Raises
    ------
    RoutesError
        If any row has a problem; the message lists them all.
    """
    path = Path(path or default_routes_path())
    problems, routes = _check(path, register)
    if problems:
        raise RoutesError(path, problems)
    return routes


def routes_frame(routes: Sequence[Route]) -> pd.DataFrame:
    """The routes as a table (one row per route, the file's columns)."""
    rows = [
        {
            **{c: getattr(r, c) for c in COLUMNS},
            "opening_hours": r.opening_hours or AS_THE_SERVICE,
            "crime_types": ";".join(r.crime_types),
        }
        for r in routes
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS))
