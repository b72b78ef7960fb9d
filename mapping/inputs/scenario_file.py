"""Scenario files: the model of a what-if (pydantic), reading and writing TOML/JSON."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import tomli_w
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from mapping.errors import ServiceMapError

if TYPE_CHECKING:
    pass


#: What a change can do.
CHANGE_KINDS: tuple[str, ...] = ("hours", "add", "close")


REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "hours": ("service", "opening_hours"),
    "close": ("service",),
    "add": ("name", "category", "opening_hours"),
}


ALLOWED_FIELDS: dict[str, tuple[str, ...]] = {
    "hours": ("service", "opening_hours"),
    "close": ("service",),
    "add": (
        "name",
        "category",
        "postcode",
        "lon",
        "lat",
        "opening_hours",
        "min_age",
        "max_age",
        "crime_types",
        "id",
    ),
}


ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


MAX_AGE = 120


def _clean_text(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def _clean_list(value: Any) -> Any:
    # "domestic_abuse;sexual_violence" (the register's spelling) or a list.
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(";") if p.strip()]
        return tuple(parts) or None
    if isinstance(value, list):
        return tuple(str(v).strip() if isinstance(v, str) else v for v in value)
    return value


_Text = Annotated[str | None, BeforeValidator(_clean_text)]


class Change(BaseModel):
    """One change of a scenario (which fields apply depends on ``kind``).

    Attributes
    ----------
    kind
        ``"hours"`` (new opening hours for a service), ``"add"`` (a new site) or
        ``"close"`` (a service closed for good).
    service
        Register id of the service changed or closed (``hours``, ``close``).
    opening_hours
        OpenStreetMap ``opening_hours`` expression (``hours``, ``add``).
    name, category
        Name and register category of an added site.
    postcode, lon, lat
        Location of an added site: a postcode (OS Code-Point Open) *or* WGS84 lon/lat.
    min_age, max_age, crime_types
        Eligibility of an added site (default: all ages, ``("all",)``).
    id
        Id of an added site (default: derived from the change, ``whatif-<slug>-<hash>``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: _Text = None
    service: _Text = None
    opening_hours: _Text = None
    name: _Text = None
    category: _Text = None
    postcode: _Text = None
    lon: float | None = None
    lat: float | None = None
    min_age: int | None = None
    max_age: int | None = None
    crime_types: Annotated[tuple[str, ...] | None, BeforeValidator(_clean_list)] = None
    id: _Text = None


@dataclass(frozen=True)
class Scenario:
    """A named set of changes to the register.

    ``source`` names the file the scenario came from (used in problem messages); it does
    not take part in equality, so the same scenario read from TOML and JSON is equal.
    """

    name: str
    description: str = ""
    changes: tuple[Change, ...] = ()
    source: str = field(default="scenario", compare=False)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the name, description and changes: equal scenarios share it."""
        content = [
            self.name,
            self.description,
            [change.model_dump(exclude_none=True) for change in self.changes],
        ]
        return hashlib.sha256(
            json.dumps(content, sort_keys=True, default=list).encode("utf-8")
        ).hexdigest()


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (``.toml`` or ``.json``, by extension).

    Raises
    ------
    ServiceMapError
        If the file is missing, unreadable, not valid TOML/JSON, or its structure is
        wrong (unknown keys, values of the wrong type); every problem is listed as
        ``file:change N:field: message``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise ServiceMapError(f"{path}: a scenario file must end in .toml or .json")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ServiceMapError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise ServiceMapError(f"{path}: is a folder, not a scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ServiceMapError(f"{path}: cannot be read ({exc})") from None
    try:
        data = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        kind = "TOML" if suffix == ".toml" else "JSON"
        raise ServiceMapError(f"{path}: not valid {kind} ({exc})") from None
    if not isinstance(data, dict):
        raise ServiceMapError(f"{path}: expected a table/object at the top level")
    return parse_scenario(data, str(path))


def parse_scenario(mapping: Mapping[str, Any], source_name: str = "scenario") -> Scenario:
    """Build a :class:`Scenario` from the structure of a scenario file.

    Parameters
    ----------
    mapping
        ``{"name": ..., "description": ..., "change": [{...}, ...]}`` (``changes`` is
        accepted for ``change``).
    source_name
        The file name used in problem messages.

    Raises
    ------
    ServiceMapError
        Listing every structural problem (unknown keys, wrong types). Problems of
        meaning (unknown service, bad hours, ...) are left to :func:`validate_scenario`.
    """
    problems: list[str] = []
    allowed_top = ("name", "description", "change", "changes")
    for key in mapping:
        if key not in allowed_top:
            problems.append(
                f"{source_name}:{key}: unknown key; a scenario has name, description and "
                "[[change]] tables"
            )
    name = mapping.get("name", "")
    description = mapping.get("description", "")
    for key, value in (("name", name), ("description", description)):
        if value is not None and not isinstance(value, str):
            problems.append(f"{source_name}:{key}: must be text")
    if "change" in mapping and "changes" in mapping:
        problems.append(f"{source_name}:change: give 'change' or 'changes', not both")
    raw = mapping.get("change", mapping.get("changes", []))
    if isinstance(raw, Mapping):
        raw = [raw]  # a single [change] table rather than [[change]]
    if not isinstance(raw, list):
        problems.append(f"{source_name}:change: must be a list of [[change]] tables")
        raw = []
    changes: list[Change] = []
    for number, item in enumerate(raw, start=1):
        where = f"{source_name}:change {number}"
        if not isinstance(item, Mapping):
            problems.append(f"{where}:-: must be a table of fields (kind = ..., ...)")
            continue
        try:
            changes.append(Change.model_validate(dict(item)))
        except ValidationError as exc:
            for error in exc.errors():
                field_name = ".".join(str(p) for p in error["loc"][:1]) or "-"
                problems.append(f"{where}:{field_name}: {_pydantic_message(error)}")
    if problems:
        raise problems_error(source_name, problems)
    return Scenario(
        name=(name or "").strip() if isinstance(name, str) else "",
        description=(description or "").strip() if isinstance(description, str) else "",
        changes=tuple(changes),
        source=source_name,
    )


def _pydantic_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field; a change has " + ", ".join(Change.model_fields)
    if kind.startswith("int"):
        return f"must be a whole number, not {error.get('input')!r}"
    if kind.startswith("float"):
        return f"must be a number, not {error.get('input')!r}"
    return str(error.get("msg", "invalid value"))


def problems_error(source_name: str, problems: list[str]) -> ServiceMapError:
    return ServiceMapError(
        f"{source_name}: the scenario has {len(problems)} problem(s):\n" + "\n".join(problems)
    )


def _as_mapping(scenario: Scenario) -> dict[str, Any]:
    out: dict[str, Any] = {"name": scenario.name}
    if scenario.description:
        out["description"] = scenario.description
    out["change"] = []
    for change in scenario.changes:
        record = change.model_dump(exclude_none=True)
        if "crime_types" in record:
            record["crime_types"] = list(record["crime_types"])
        out["change"].append(record)
    return out


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write a scenario as TOML or JSON (by extension), atomically.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from mapping.store import atomic_write_text

    path = Path(path)
    suffix = path.suffix.lower()
    data = _as_mapping(scenario)
    if suffix == ".json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    elif suffix == ".toml":
        text = tomli_w.dumps(data)
    else:
        raise ServiceMapError(f"{path}: a scenario file must end in .toml or .json")
    atomic_write_text(path, text)
    return path
