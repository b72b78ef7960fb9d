"""Gap-rule files: read ``data/gap_rules.toml`` and check every parameter of every rule."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mapping.errors import ServiceMapError
from mapping.inputs.vocabulary import AGE_BANDS, CATEGORIES, WEIGHTS
from mapping.inputs.when import TimeSlot, resolve_slot
from mapping.store import repo_root

#: Severity levels, most severe first.
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")


@dataclass(frozen=True)
class GapRule:
    """One rule as read from the rules file, with its parameters checked.

    Attributes
    ----------
    id
        Rule id (a key of :data:`RULE_IDS`), e.g. ``"sarc_travel"``.
    title, description, source
        Short title, one-line description and the source of its threshold.
    params
        Parameters, defaults filled in (slots as :class:`TimeSlot`).
    severity
        Severity bands: ``high`` and ``medium`` thresholds (or category lists) and the
        ``measure`` they apply to.
    enabled
        ``False`` skips the rule.
    """

    id: str
    title: str
    description: str
    source: str
    params: Mapping[str, Any] = field(default_factory=dict)
    severity: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("must be a number")
    return float(value)


def _positive(value: Any) -> float:
    try:
        number = _number(value)
    except ValueError:
        number = -1.0
    if number <= 0:
        raise ValueError("must be a positive number")
    return number


def _non_negative_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("must be a whole number, 0 or more")
    return int(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be non-empty text")
    return value.strip()


def _severity_level(value: Any) -> str:
    if value not in SEVERITIES:
        raise ValueError(f"must be one of {', '.join(SEVERITIES)}")
    return str(value)


def _slot(value: Any) -> TimeSlot:
    if not isinstance(value, str):
        raise ValueError("must be a slot name or a time of week such as 'Sat 02:00'")
    try:
        return resolve_slot(value)
    except ServiceMapError as exc:
        raise ValueError(str(exc)) from None


def _slots(value: Any) -> tuple[TimeSlot, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError("must be a non-empty list of slots, e.g. ['weekend night']")
    return tuple(_slot(item) for item in value)


def _categories(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError("must be a non-empty list of categories")
    unknown = [item for item in value if item not in CATEGORIES]
    if unknown:
        raise ValueError(f"unknown category {unknown[0]!r}; known: {', '.join(CATEGORIES)}")
    return tuple(value)


def _age_band(value: Any) -> str:
    if value not in AGE_BANDS:
        raise ValueError(f"must be one of {', '.join(AGE_BANDS)}")
    return str(value)


def _optional_date(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("must be a date such as 2026-11-22")


def _numeric_bands(table: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"measure": _text(table.get("measure", "value"))}
    for level in ("high", "medium"):
        if level not in table:
            raise _FieldError(f"severity.{level}", "is missing")
        try:
            out[level] = _number(table[level])
        except ValueError as exc:
            raise _FieldError(f"severity.{level}", str(exc)) from None
        if out[level] < 0:
            raise _FieldError(f"severity.{level}", "must be 0 or more")
    if out["high"] < out["medium"]:
        raise _FieldError("severity.high", "must be at least severity.medium")
    return out


def _category_bands(table: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"measure": _text(table.get("measure", "service category"))}
    for level in ("high", "medium"):
        try:
            out[level] = frozenset(_categories(table.get(level, [])))
        except ValueError as exc:
            raise _FieldError(f"severity.{level}", str(exc)) from None
    return out


class _FieldError(Exception):
    """A problem in one field of one rule (turned into a ServiceMapError)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


_META_KEYS = ("title", "description", "source", "enabled", "severity")


def default_rules_path() -> Path:
    """The rules file shipped with the repository: ``data/gap_rules.toml``."""
    return repo_root() / "data" / "gap_rules.toml"


def _display(path: Path) -> str:
    """The path as a user would type it: relative to the repository when inside it."""
    try:
        return path.resolve().relative_to(repo_root().resolve()).as_posix()
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class RuleParams:
    """What a rule accepts: ``{name: (default, check)}`` and its severity-band reader."""

    params: Mapping[str, tuple[Any, Callable[[Any], Any]]]
    bands: Callable[[Mapping[str, Any]], dict[str, Any]]


RULE_PARAMS: dict[str, RuleParams] = {
    "sarc_travel": RuleParams(
        params={
            "minutes": (60, _positive),
            "also_minutes": (90, _positive),
            "slots": (["weekday daytime", "weekday night", "weekend night", "weekend day"], _slots),
            "min_population": (1, _non_negative_int),
        },
        bands=_numeric_bands,
    ),
    "no_da_base": RuleParams(
        params={
            "categories": (["idva", "da_outreach", "isva", "multi_crime_hub"], _categories),
            "slot": ("weekday daytime", _slot),
            "minutes": (30, _positive),
        },
        bands=_numeric_bands,
    ),
    "no_refuge": RuleParams(
        params={"population_per_place": (10000, _positive)},
        bands=_numeric_bands,
    ),
    "no_out_of_hours": RuleParams(
        params={
            "categories": (
                ["sarc", "idva", "isva", "da_outreach", "young_people", "stalking", "counselling"],
                _categories,
            ),
            "slots": (["weekday night", "weekend night", "weekend day"], _slots),
            "include_helplines": (False, _boolean),
            "lancashire_only": (True, _boolean),
        },
        bands=_category_bands,
    ),
    "young_people": RuleParams(
        params={
            "categories": (["young_people", "isva", "counselling", "sarc"], _categories),
            "local_categories": (["young_people"], _categories),
            "age_band": ("age_0_15", _age_band),
            "minutes": (30, _positive),
            "slots": (["weekday daytime"], _slots),
            "min_population": (1, _non_negative_int),
            "no_local_service_severity": ("low", _severity_level),
        },
        bands=_numeric_bands,
    ),
    "refuge_capacity": RuleParams(
        params={
            "population_per_place": (10000, _positive),
            "incomplete_max_severity": ("medium", _severity_level),
        },
        bands=_numeric_bands,
    ),
    "stale_record": RuleParams(
        params={"max_age_months": (12, _non_negative_int), "as_of": (None, _optional_date)},
        bands=_numeric_bands,
    ),
}

_CAPACITY_TYPES = ("refuge", "idva", "sexual_violence_support")


def _weight(value: Any) -> str:
    if value not in WEIGHTS:
        raise ValueError(f"must be one of {', '.join(WEIGHTS)}")
    return str(value)


def _service_types(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError("must be a non-empty list of service types")
    unknown = [v for v in value if v not in _CAPACITY_TYPES]
    if unknown:
        raise ValueError(
            f"unknown service type {unknown[0]!r}; known: {', '.join(_CAPACITY_TYPES)}"
        )
    return tuple(value)


def _share(value: Any) -> float:
    number = _positive(value)
    if number > 1:
        raise ValueError("must be a share between 0 and 1")
    return number


def _difference(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError("must be a share difference from 0 to 1")
    return float(value)


def _denominator(value: Any) -> str:
    if value not in ("women_all_ages", "residents"):
        raise ValueError("must be 'women_all_ages' (per 200,000 women) or 'residents'")
    return str(value)


#: Parameters of the gap rules that read the need layer.
RULE_PARAMS |= {
    "equity_gap": RuleParams(
        params={
            "categories": (["sarc"], _categories),
            "slots": (["weekday daytime", "weekend night"], _slots),
            "minutes": (60, _positive),
            "weight": ("residents", _weight),
            "min_difference": (0.05, _difference),
        },
        bands=_numeric_bands,
    ),
    "capacity_below_benchmark": RuleParams(
        params={
            "service_types": (list(_CAPACITY_TYPES), _service_types),
            "per_council_area": (True, _boolean),
            "sexual_violence_denominator": ("women_all_ages", _denominator),
            "min_benchmark_units": (1, _positive),
            "incomplete_max_severity": ("medium", _severity_level),
            "unknown_severity": ("low", _severity_level),
        },
        bands=_numeric_bands,
    ),
    "need_hot_spots": RuleParams(
        params={
            "categories": (["idva", "da_outreach", "isva", "multi_crime_hub"], _categories),
            "slot": ("weekday daytime", _slot),
            "minutes": (30, _positive),
            "top_share": (0.1, _share),
            "min_recorded": (1, _non_negative_int),
        },
        bands=_numeric_bands,
    ),
}

#: The rule ids :func:`load_rules` knows, in evaluation order.
RULE_IDS: tuple[str, ...] = tuple(RULE_PARAMS)


# ---- loading ---------------------------------------------------------------------


def _parse_rule(rule_id: str, table: Any) -> GapRule:
    if not isinstance(table, dict):
        raise _FieldError("-", "must be a table ([rule_id] with its fields)")
    spec = RULE_PARAMS[rule_id]
    meta: dict[str, Any] = {}
    for key in ("title", "description", "source"):
        if key not in table:
            raise _FieldError(key, "is missing")
        try:
            meta[key] = _text(table[key])
        except ValueError as exc:
            raise _FieldError(key, str(exc)) from None
    try:
        enabled = _boolean(table.get("enabled", True))
    except ValueError as exc:
        raise _FieldError("enabled", str(exc)) from None
    unknown = [k for k in table if k not in spec.params and k not in _META_KEYS]
    if unknown:
        known = ", ".join([*spec.params, *_META_KEYS])
        raise _FieldError(unknown[0], f"unknown field; known: {known}")
    params: dict[str, Any] = {}
    for name, (default, check) in spec.params.items():
        try:
            params[name] = check(table.get(name, default))
        except ValueError as exc:
            raise _FieldError(name, str(exc)) from None
    severity = table.get("severity")
    if not isinstance(severity, dict):
        raise _FieldError("severity", "is missing: give a [rule.severity] table of bands")
    return GapRule(
        id=rule_id,
        params=params,
        severity=spec.bands(severity),
        enabled=enabled,
        **meta,
    )


def load_rules(path: Path | str | None = None) -> list[GapRule]:
    """Read and check the gap rules.

    Parameters
    ----------
    path
        Rules file (default :func:`default_rules_path`, ``data/gap_rules.toml``).

    Returns
    -------
    list of GapRule
        The rules in file order, parameters checked and defaults filled in.

    Raises
    ------
    ServiceMapError
        If the file is missing or not TOML, names an unknown rule, or a field is
        missing or invalid; the message reads ``file:rule:field: problem``.
    """
    source = Path(path) if path is not None else default_rules_path()
    shown = _display(source)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ServiceMapError(f"{shown}: rules file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ServiceMapError(f"{shown}: cannot read the rules file ({exc})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ServiceMapError(f"{shown}: not valid TOML: {exc}") from None
    if not document:
        raise ServiceMapError(f"{shown}: no rules; known rules: {', '.join(RULE_IDS)}")
    rules = []
    for rule_id, table in document.items():
        if rule_id not in RULE_PARAMS:
            raise ServiceMapError(
                f"{shown}:{rule_id}: unknown rule; known rules: {', '.join(RULE_IDS)}"
            )
        try:
            rules.append(_parse_rule(rule_id, table))
        except _FieldError as exc:
            raise ServiceMapError(f"{shown}:{rule_id}:{exc.field_name}: {exc.message}") from None
    return rules


#: Service types of ``data/benchmarks.toml`` the capacity rule may judge.
