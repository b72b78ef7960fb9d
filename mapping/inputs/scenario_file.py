"""Scenario files: the model of a what-if (pydantic), reading and writing TOML/JSON."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import tomli_w
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from mapping.errors import ServiceMapError
from mapping.inputs.limits import check_scenario_size

#: What a change can do (the discriminator of :data:`Change`).
ChangeKind = Literal["hours", "add", "close"]

#: The change kinds, in the order messages list them.
CHANGE_KINDS: tuple[str, ...] = get_args(ChangeKind)


ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


MAX_AGE = 120


def _clean_text(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def _required_text(value: Any) -> Any:
    # A blank required field is as good as a missing one: say "required", not "not text".
    value = _clean_text(value)
    if value is None:
        raise PydanticCustomError("missing", "Field required")
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
_RequiredText = Annotated[str, BeforeValidator(_required_text)]


class _ChangeModel(BaseModel):
    """What every change shares: frozen, and a field its kind does not use is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class HoursChange(_ChangeModel):
    """New opening hours for a service of the register.

    Attributes
    ----------
    service
        Register id of the service.
    opening_hours
        OpenStreetMap ``opening_hours`` expression (checked by :func:`validate_scenario`).
    """

    kind: Literal["hours"] = "hours"
    service: _RequiredText
    opening_hours: _RequiredText


class CloseChange(_ChangeModel):
    """A service of the register closed for good.

    Attributes
    ----------
    service
        Register id of the service.
    """

    kind: Literal["close"] = "close"
    service: _RequiredText


class AddChange(_ChangeModel):
    """A new (hypothetical) site.

    Attributes
    ----------
    name, category
        Name and register category of the site.
    opening_hours
        OpenStreetMap ``opening_hours`` expression.
    postcode, lon, lat
        Location: a postcode (OS Code-Point Open) *or* WGS84 lon/lat (which one is given
        is checked by :func:`validate_scenario`, with the postcode look-up).
    min_age, max_age, crime_types
        Eligibility (default: all ages, ``("all",)``).
    id
        Id of the site (default: derived from the change, ``whatif-<slug>-<hash>``).
    """

    kind: Literal["add"] = "add"
    name: _RequiredText
    category: _RequiredText
    opening_hours: _RequiredText
    postcode: _Text = None
    lon: float | None = None
    lat: float | None = None
    min_age: int | None = None
    max_age: int | None = None
    crime_types: Annotated[tuple[str, ...] | None, BeforeValidator(_clean_list)] = None
    id: _Text = None


#: One change of a scenario: which fields it has (and needs) depends on ``kind``.
Change = Annotated[HoursChange | AddChange | CloseChange, Field(discriminator="kind")]

#: The model of each kind of change.
CHANGE_MODELS: dict[str, type[_ChangeModel]] = {
    "hours": HoursChange,
    "add": AddChange,
    "close": CloseChange,
}

_CHANGE = TypeAdapter[HoursChange | AddChange | CloseChange](Change)


def parse_change(data: Mapping[str, Any]) -> HoursChange | AddChange | CloseChange:
    """Build the change model its ``kind`` names from a ``[[change]]`` table.

    Raises
    ------
    pydantic.ValidationError
        If ``kind`` is missing or unknown, a field the kind needs is missing, a field it
        does not use is given, or a value has the wrong type.
    """
    item = dict(data)
    if isinstance(item.get("kind"), str):
        item["kind"] = item["kind"].strip()
    return _CHANGE.validate_python(item)


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
    from mapping.inputs.files import read_scenario_document

    path = Path(path)
    # Size, encoding, BOM, nesting depth and the number of changes, before any parsing.
    data = read_scenario_document(path)
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
    check_scenario_size(len(raw), source_name)
    changes: list[Change] = []
    for number, item in enumerate(raw, start=1):
        where = f"{source_name}:change {number}"
        if not isinstance(item, Mapping):
            problems.append(f"{where}:-: must be a table of fields (kind = ..., ...)")
            continue
        try:
            changes.append(parse_change(item))
        except ValidationError as exc:
            for error in exc.errors():
                field_name, message = _change_problem(item, error)
                problems.append(f"{where}:{field_name}: {message}")
    if problems:
        raise problems_error(source_name, problems)
    return Scenario(
        name=(name or "").strip() if isinstance(name, str) else "",
        description=(description or "").strip() if isinstance(description, str) else "",
        changes=tuple(changes),
        source=source_name,
    )


def _change_problem(item: Mapping[str, Any], error: Mapping[str, Any]) -> tuple[str, str]:
    """The field and the message of one pydantic error of a ``[[change]]`` table."""
    kinds = ", ".join(CHANGE_KINDS)
    error_type = str(error.get("type", ""))
    kind = item.get("kind")
    kind = kind.strip() if isinstance(kind, str) else kind
    if error_type == "union_tag_not_found" or (error_type == "union_tag_invalid" and not kind):
        return "kind", f"kind is required: one of {kinds}"
    if error_type == "union_tag_invalid":
        return "kind", f"unknown kind {kind!r}: use one of {kinds}"
    # Errors inside a kind's model are located as (kind, field, ...).
    loc = tuple(error.get("loc", ()))
    field_name = str(loc[1]) if len(loc) > 1 else "-"
    if error_type == "missing":
        return field_name, f"required when kind = {kind!r}"
    if error_type == "extra_forbidden":
        if any(field_name in model.model_fields for model in CHANGE_MODELS.values()):
            return field_name, f"not used when kind = {kind!r}; remove it"
        fields = ", ".join(CHANGE_MODELS[str(kind)].model_fields)
        return field_name, f"unknown field; a change of kind {kind!r} has {fields}"
    if error_type.startswith("int"):
        return field_name, f"must be a whole number, not {error.get('input')!r}"
    if error_type.startswith("float"):
        return field_name, f"must be a number, not {error.get('input')!r}"
    if error_type.startswith("string"):
        return field_name, f"must be text, not {error.get('input')!r}"
    return field_name, str(error.get("msg", "invalid value"))


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
