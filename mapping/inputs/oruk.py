"""Open Referral UK (HSDS 3.0) in: read a service directory into the register's schema.

The export (:mod:`mapping.outputs.oruk`) writes each register record as an HSDS
``service`` with its organisation, schedules, service areas, eligibility, contacts
(the referral routes) and, unless confidential, its location. Every register column
HSDS has no field for travels as an ``attribute`` whose taxonomy term is in the
project's taxonomy (:data:`TAXONOMY`): ``term`` the column, ``name`` the value. So an
export read back gives the same register, and a council's own directory (no such
attributes) still seeds a register from the HSDS fields it has.

:func:`read_oruk` returns the rows, the register problems of every row (each row is
validated as the register is) and every field it dropped, by path.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mapping.errors import Problem, ServiceMapError
from mapping.inputs.register import COLUMNS, validate_register

__all__ = ["NO_PROVIDER", "TAXONOMY", "OrukImport", "read_oruk"]

#: The taxonomy of the attributes that carry register columns HSDS has no field for.
TAXONOMY = "lancashire-service-map/register"
#: The organisation name the export gives a record without a provider.
NO_PROVIDER = "Provider not recorded"
#: HSDS service fields the import reads (the rest are reported as dropped).
_READ = {
    "id",
    "name",
    "status",
    "organization_id",
    "organization",
    "description",
    "eligibility_description",
    "minimum_age",
    "maximum_age",
    "assured_date",
    "schedules",
    "service_areas",
    "service_at_locations",
    "attributes",
    "contacts",
}


@dataclass
class OrukImport:
    """What :func:`read_oruk` read.

    Attributes
    ----------
    register
        One row per service, the register's columns, as text.
    problems
        Register problems of the rows (``file:row:field: message``, row = the service's
        position in the file + 1, as if the file were the register with a header).
    dropped
        Every field present in the file that the register has no column for.
    """

    register: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _age(value: Any) -> str:
    if value is None or value == "":
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


def _row(service: dict[str, Any], where: str, dropped: list[str]) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    for key in service:
        if key not in _READ:
            dropped.append(f"{where}.{key}")
    org = service.get("organization") or {}
    row["name"] = _text(service.get("name"))
    provider = _text(org.get("name"))
    row["provider"] = "" if provider == NO_PROVIDER else provider
    row["min_age"] = _age(service.get("minimum_age"))
    row["max_age"] = _age(service.get("maximum_age"))
    row["verified_on"] = _text(service.get("assured_date"))
    row["notes"] = _text(service.get("description"))
    schedules = service.get("schedules") or []
    row["opening_hours"] = "; ".join(
        dict.fromkeys(_text(s.get("description")) for s in schedules if s.get("description"))
    )
    row["areas_served"] = ";".join(_text(a.get("name")) for a in service.get("service_areas") or [])
    for i, link in enumerate(service.get("service_at_locations") or []):
        location = link.get("location") or {}
        if location.get("latitude") is not None:
            row["lat"] = f"{float(location['latitude']):.6f}"
            row["lon"] = f"{float(location['longitude']):.6f}"
        addresses = location.get("addresses") or []
        if addresses:
            row["address"] = _text(addresses[0].get("address_1"))
            row["postcode"] = _text(addresses[0].get("postal_code"))
        if i:
            dropped.append(f"{where}.service_at_locations[{i}]: one site per register record")
    if service.get("contacts"):
        dropped.append(
            f"{where}.contacts: referral routes live in data/referral_routes.csv, not the register"
        )
    for attribute in service.get("attributes") or []:
        term = attribute.get("taxonomy_term") or {}
        if term.get("taxonomy") == TAXONOMY and _text(term.get("term")):
            row[str(term["term"])] = _text(term.get("name"))
        else:
            dropped.append(f"{where}.attributes[{_text(term.get('name'))!r}]")
    return row


def read_oruk(path: str | os.PathLike[str], *, check_postcodes: bool = False) -> OrukImport:
    """Read an ORUK/HSDS 3.0 service list (a JSON list of services, or ``{"contents": [...]}``).

    Parameters
    ----------
    path
        ``services.json`` as :func:`mapping.outputs.oruk.export_oruk` writes it, or any
        HSDS 3.0 service list.
    check_postcodes
        Also check postcodes against Code-Point Open (needs the raw sources).

    Raises
    ------
    ServiceMapError
        If the file is missing or not a JSON list of services.
    """
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ServiceMapError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ServiceMapError(f"{path}: not a readable JSON file ({exc})") from None
    services = document.get("contents") if isinstance(document, dict) else document
    if not isinstance(services, list) or not all(isinstance(s, dict) for s in services):
        raise ServiceMapError(f"{path}: expected a JSON list of HSDS services")
    dropped: list[str] = []
    rows = [_row(s, f"services[{i}]", dropped) for i, s in enumerate(services)]
    extra = [c for c in dict.fromkeys(k for r in rows for k in r) if c not in COLUMNS]
    frame = pd.DataFrame(rows, columns=[*COLUMNS, *extra]).fillna("")
    with tempfile.TemporaryDirectory() as folder:
        staged = Path(folder) / "register.csv"
        frame.to_csv(staged, index=False)
        problems = [
            Problem(str(path), p.row, p.field, p.message)
            for p in validate_register(staged, check_postcodes=check_postcodes)
        ]
    return OrukImport(register=frame, problems=problems, dropped=dropped)
