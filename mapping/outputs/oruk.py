"""Open Referral UK (HSDS 3.0) out: the register as ORUK JSON.

``export_oruk(register_csv, routes, out)`` writes three files:

``services.json``
    A list of HSDS ``service`` objects, each with its ``organization``, ``schedules``
    (the opening hours: ``description`` holds the register's ``opening_hours`` exactly;
    simple day ranges are also RRULE-style ``freq``/``byday``/``opens_at``/``closes_at``),
    ``service_areas`` (one per ``areas_served`` entry; a confidential refuge's council
    area), eligibility (``eligibility_description``, ``minimum_age``, ``maximum_age``),
    ``contacts`` (its referral routes, from ``data/referral_routes.csv``),
    ``service_at_locations`` with the ``location`` (never for a confidential record) and
    ``attributes`` carrying every register column HSDS has no field for
    (:data:`mapping.inputs.oruk.TAXONOMY`).
``organizations.json``, ``locations.json``
    The same organisations and locations as lists.

Identifiers are UUID 5 of the register id, so an export is stable from run to run.
Confidential records (refuges, safe houses) get a service area and contact routes
only: no location, address, postcode or coordinates, whatever the row says.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mapping.inputs.oruk import NO_PROVIDER, TAXONOMY
from mapping.inputs.routes import ROUTES, Route
from mapping.inputs.vocabulary import is_confidential

__all__ = ["export_oruk", "oruk_services"]

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/lancashire-service-map")
#: Register columns an HSDS field carries exactly (every other travels as an attribute,
#: the location's too, so coordinates come back as written).
_NATIVE = {"name", "min_age", "max_age", "verified_on", "notes", "areas_served", "opening_hours"}
_LOCATION = {"address", "postcode", "lat", "lon"}
_DAYS = {"Mo": "MO", "Tu": "TU", "We": "WE", "Th": "TH", "Fr": "FR", "Sa": "SA", "Su": "SU"}
_ORDER = list(_DAYS)
_SIMPLE = re.compile(
    r"^([A-Z][a-z](?:-[A-Z][a-z])?(?:,[A-Z][a-z](?:-[A-Z][a-z])?)*) (\d\d:\d\d)-(\d\d:\d\d)$"
)


def _id(kind: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def _days(spec: str) -> list[str]:
    out: list[str] = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        start, end = _ORDER.index(first), _ORDER.index(last or first)
        out.extend(_DAYS[d] for d in _ORDER[start : end + 1])
    return out


def _schedules(sid: str, hours: str) -> list[dict[str, Any]]:
    """One schedule per ``;`` rule of the hours; the first carries the full expression."""
    parts = [p.strip() for p in hours.split(";") if p.strip()] or [""]
    out = []
    for i, part in enumerate(parts):
        entry: dict[str, Any] = {
            "id": _id("schedule", f"{sid}:{i}"),
            "service_id": _id("service", sid),
        }
        entry["description"] = hours
        match = _SIMPLE.match(part)
        if part == "24/7":
            entry.update(
                freq="WEEKLY", byday="MO,TU,WE,TH,FR,SA,SU", opens_at="00:00", closes_at="23:59"
            )
        elif match and "," not in match.group(2):
            entry.update(
                freq="WEEKLY",
                byday=",".join(_days(match.group(1))),
                opens_at=match.group(2),
                closes_at=match.group(3),
            )
        out.append(entry)
    return out[:1] if len(out) == 1 else out


def _eligibility(row: Mapping[str, str]) -> str:
    ages = (
        f"ages {row['min_age'] or 0}-{row['max_age']}"
        if row["max_age"]
        else (f"ages {row['min_age']}+" if row["min_age"] else "all ages")
    )
    crimes = row.get("crime_types", "").replace(";", ", ")
    return f"{ages}; sexes: {row.get('sexes', '').replace(';', ', ')}; crime types: {crimes}"


def _attribute(sid: str, column: str, value: str) -> dict[str, Any]:
    return {
        "id": _id("attribute", f"{sid}:{column}"),
        "link_id": _id("service", sid),
        "link_type": "service",
        "taxonomy_term": {
            "id": _id("term", f"{column}:{value}"),
            "name": value,
            "description": f"register column {column}",
            "taxonomy": TAXONOMY,
            "term": column,
        },
    }


def _organization(provider: str) -> dict[str, Any]:
    name = provider or NO_PROVIDER
    return {
        "id": _id("organization", name),
        "name": name,
        "description": name if provider else "The sources do not name the provider.",
    }


def _location(sid: str, row: Mapping[str, str]) -> dict[str, Any] | None:
    if not row["lat"] or not row["lon"]:
        return None
    location: dict[str, Any] = {
        "id": _id("location", sid),
        "location_type": "physical",
        "name": row["name"],
        "latitude": float(row["lat"]),
        "longitude": float(row["lon"]),
    }
    if row["address"]:
        location["addresses"] = [
            {
                "id": _id("address", sid),
                "location_id": location["id"],
                "address_1": row["address"],
                "city": "",
                "state_province": row.get("district", ""),
                "postal_code": row["postcode"],
                "country": "GB",
                "address_type": "physical",
            }
        ]
    return location


def _contacts(sid: str, routes: Iterable[Route]) -> list[dict[str, Any]]:
    out = []
    for route in routes:
        via = f" via {route.via_service_id}" if route.via_service_id else ""
        hours = route.opening_hours or "as the service"
        out.append(
            {
                "id": _id("contact", f"{sid}:{route.route}:{route.via_service_id or ''}"),
                "service_id": _id("service", sid),
                "name": f"Referral route: {route.route}{via}",
                "title": f"{ROUTES[route.route]}; hours {hours}"
                + (" [inferred]" if route.inferred else ""),
            }
        )
    return out


def oruk_services(register: pd.DataFrame, routes: Iterable[Route] = ()) -> list[dict[str, Any]]:
    """The register (read as text, one row per record) as HSDS service objects."""
    by_service: dict[str, list[Route]] = {}
    for route in routes:
        by_service.setdefault(route.service_id, []).append(route)
    services = []
    for row in register.fillna("").astype(str).to_dict("records"):
        sid = row["id"]
        secret = bool(is_confidential(row))
        service: dict[str, Any] = {
            "id": _id("service", sid),
            "name": row["name"],
            "status": "active",
            "organization": _organization(row["provider"]),
            "eligibility_description": _eligibility(row),
        }
        service["organization_id"] = service["organization"]["id"]
        if row["notes"]:
            service["description"] = row["notes"]
        for column, key in (("min_age", "minimum_age"), ("max_age", "maximum_age")):
            if row[column]:
                service[key] = int(row[column])
        if row["verified_on"]:
            service["assured_date"] = row["verified_on"]
        service["schedules"] = _schedules(sid, row["opening_hours"])
        areas = [a for a in row["areas_served"].split(";") if a]
        service["service_areas"] = [
            {"id": _id("area", f"{sid}:{a}"), "service_id": service["id"], "name": a} for a in areas
        ]
        service["contacts"] = _contacts(sid, by_service.get(sid, []))
        location = None if secret else _location(sid, row)
        if location is not None:
            service["service_at_locations"] = [
                {
                    "id": _id("service_at_location", sid),
                    "service_id": service["id"],
                    "location_id": location["id"],
                    "location": location,
                }
            ]
        skip = _NATIVE | (_LOCATION if secret else set())
        service["attributes"] = [
            _attribute(sid, column, row[column])
            for column in register.columns
            if column not in skip and row[column] != ""
        ]
        services.append(service)
    return services


def export_oruk(register_csv: Path, routes: Iterable[Route], out: Path) -> list[Path]:
    """Write ``services.json``, ``organizations.json`` and ``locations.json`` into ``out``.

    The register is read as text from ``register_csv`` (so every value travels as
    written) after it has been validated by the caller.
    """
    register = pd.read_csv(register_csv, dtype=str, keep_default_na=False)
    services = oruk_services(register, routes)
    organizations = list({s["organization"]["id"]: s["organization"] for s in services}.values())
    locations = [link["location"] for s in services for link in s.get("service_at_locations", [])]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, payload in (
        ("services.json", services),
        ("organizations.json", organizations),
        ("locations.json", locations),
    ):
        path = out / name
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written
