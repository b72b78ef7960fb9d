"""Gap-rule files: read ``data/gap_rules.toml`` and check every parameter of every rule.

Each rule's table is a pydantic model (:data:`RULE_MODELS`: one per rule id, its severity
bands a model too); a problem reads ``file:rule:field: message``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)
from pydantic_core import PydanticCustomError

from mapping.errors import ServiceMapError
from mapping.inputs.vocabulary import AGE_BANDS, CATEGORIES, WEIGHTS, AgeBand, Category
from mapping.inputs.when import TimeSlot, resolve_slot
from mapping.store import repo_root

#: Severity levels, most severe first.
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")


#: A rule's model (one of :data:`RULE_MODELS`).
M = TypeVar("M", bound="RuleModel", covariant=True)


@dataclass(frozen=True)
class GapRule(Generic[M]):
    """One rule as read from the rules file: its id and its validated model.

    Attributes
    ----------
    id
        Rule id (a key of :data:`RULE_MODELS`), e.g. ``"sarc_travel"``.
    model
        The rule's table as its pydantic model (:data:`RULE_MODELS`), defaults filled
        in (slots as :class:`TimeSlot`): title, description, source, enabled, severity
        bands and the rule's own parameters, which the evaluators read as typed fields.
    """

    id: str
    model: M

    @property
    def params(self) -> dict[str, Any]:
        """The rule's own parameters (every field but the common ones), by name."""
        return {k: v for k, v in dict(self.model).items() if k not in _META_KEYS}

    @property
    def severity(self) -> dict[str, Any]:
        """Severity bands: ``high`` and ``medium`` thresholds (or category lists) and the
        ``measure`` they apply to."""
        return dict(self.model.severity)


# ---- field types: pydantic checks the value, the annotation carries the message ----------


def _says(message: str) -> WrapValidator:
    """Replace pydantic's message for a field by ``message`` (the rules file's wording)."""

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise _problem(message) from None

    return WrapValidator(check)


def _problem(message: str) -> PydanticCustomError:
    # The message goes through the context so braces in it are not templated.
    return PydanticCustomError("gap_rule", "{message}", {"message": message})


def _at_least_zero(value: float) -> float:
    if value < 0:
        raise _problem("must be 0 or more")
    return value


def _slot(value: Any) -> TimeSlot:
    if isinstance(value, TimeSlot):  # a default
        return value
    if not isinstance(value, str):
        raise _problem("must be a slot name or a time of week such as 'Sat 02:00'")
    try:
        return resolve_slot(value)
    except ServiceMapError as exc:
        raise _problem(str(exc)) from None


def _non_empty_list(what: str) -> WrapValidator:
    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if not isinstance(value, list | tuple) or not value:
            raise _problem(f"must be a non-empty list of {what}")
        return handler(value)

    return WrapValidator(check)


def _known_categories(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError as exc:
        first = next(e for e in exc.errors() if e["loc"])
        unknown = value[int(first["loc"][0])]
        raise _problem(f"unknown category {unknown!r}; known: {', '.join(CATEGORIES)}") from None


PositiveNumber = Annotated[
    float, Field(strict=True, gt=0, allow_inf_nan=False), _says("must be a positive number")
]
BandNumber = Annotated[
    float,
    Field(strict=True, allow_inf_nan=False),
    _says("must be a number"),
    AfterValidator(_at_least_zero),
]
Count = Annotated[int, Field(strict=True, ge=0), _says("must be a whole number, 0 or more")]
Flag = Annotated[bool, Field(strict=True), _says("must be true or false")]
Text = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, min_length=1),
    _says("must be non-empty text"),
]
SeverityLevel = Annotated[
    Literal["high", "medium", "low"], _says(f"must be one of {', '.join(SEVERITIES)}")
]
AgeBandName = Annotated[AgeBand, _says(f"must be one of {', '.join(AGE_BANDS)}")]
Slot = Annotated[TimeSlot, PlainValidator(_slot)]
Slots = Annotated[tuple[Slot, ...], _non_empty_list("slots, e.g. ['weekend night']")]
Categories = Annotated[
    tuple[Category, ...], WrapValidator(_known_categories), _non_empty_list("categories")
]
CategorySet = Annotated[
    frozenset[Category], WrapValidator(_known_categories), _non_empty_list("categories")
]
AsOf = Annotated[
    Annotated[date, Field(strict=True)] | None,
    BeforeValidator(lambda v: date.fromisoformat(v.strip()) if isinstance(v, str) else v),
    _says("must be a date such as 2026-11-22"),
]


#: Service types of ``data/benchmarks.toml`` the capacity rule may judge.
CapacityType = Literal["refuge", "idva", "sexual_violence_support"]
_CAPACITY_TYPES: tuple[str, ...] = get_args(CapacityType)


def _known_service_types(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError as exc:
        first = next(e for e in exc.errors() if e["loc"])
        unknown = value[int(first["loc"][0])]
        known = ", ".join(_CAPACITY_TYPES)
        raise _problem(f"unknown service type {unknown!r}; known: {known}") from None


def _one_of_weights(value: str) -> str:
    if value not in WEIGHTS:
        raise _problem(f"must be one of {', '.join(WEIGHTS)}")
    return value


WeightName = Annotated[
    str,
    Field(strict=True),
    _says(f"must be one of {', '.join(WEIGHTS)}"),
    AfterValidator(_one_of_weights),
]
ServiceTypes = Annotated[
    tuple[CapacityType, ...],
    WrapValidator(_known_service_types),
    _non_empty_list("service types"),
]
Share = Annotated[
    float,
    Field(strict=True, gt=0, le=1, allow_inf_nan=False),
    _says("must be a share between 0 and 1"),
]
ShareDifference = Annotated[
    float,
    Field(strict=True, ge=0, le=1, allow_inf_nan=False),
    _says("must be a share difference from 0 to 1"),
]
Denominator = Annotated[
    Literal["women_all_ages", "residents"],
    _says("must be 'women_all_ages' (per 200,000 women) or 'residents'"),
]


def _named(*names: str) -> tuple[TimeSlot, ...]:
    """Default slots, by name."""
    return tuple(resolve_slot(name) for name in names)


# ---- severity bands ----------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class NumericBands(_Model):
    """``value >= high`` is high, ``value >= medium`` medium, any other gap low."""

    measure: Text = "value"
    medium: BandNumber
    high: BandNumber

    @field_validator("high")
    @classmethod
    def _high_at_least_medium(cls, high: float, info: ValidationInfo) -> float:
        medium = info.data.get("medium")
        if medium is not None and high < medium:
            raise _problem("must be at least severity.medium")
        return high


class CategoryBands(_Model):
    """Categories whose gap is high or medium severity (any other category: low)."""

    measure: Text = "service category"
    high: CategorySet
    medium: CategorySet


# ---- one model per rule ------------------------------------------------------------


class RuleModel(_Model):
    """What every rule has: title, description, source, enabled and its severity bands."""

    title: Text
    description: Text
    source: Text
    enabled: Flag = True
    severity: NumericBands


class SarcTravelRule(RuleModel):
    minutes: PositiveNumber = 60
    also_minutes: PositiveNumber = 90
    slots: Slots = _named("weekday daytime", "weekday night", "weekend night", "weekend day")
    min_population: Count = 1


class NoDaBaseRule(RuleModel):
    categories: Categories = ("idva", "da_outreach", "isva", "multi_crime_hub")
    slot: Slot = resolve_slot("weekday daytime")
    minutes: PositiveNumber = 30


class NoRefugeRule(RuleModel):
    population_per_place: PositiveNumber = 10000


class NoOutOfHoursRule(RuleModel):
    categories: Categories = (
        "sarc",
        "idva",
        "isva",
        "da_outreach",
        "young_people",
        "stalking",
        "counselling",
    )
    slots: Slots = _named("weekday night", "weekend night", "weekend day")
    minutes: PositiveNumber = 60
    include_helplines: Flag = False
    lancashire_only: Flag = True
    severity: CategoryBands  # type: ignore[assignment]


class YoungPeopleRule(RuleModel):
    categories: Categories = ("young_people", "isva", "counselling", "sarc")
    local_categories: Categories = ("young_people",)
    age_band: AgeBandName = "age_0_15"
    minutes: PositiveNumber = 30
    slots: Slots = _named("weekday daytime")
    min_population: Count = 1
    no_local_service_severity: SeverityLevel = "low"


class RefugeCapacityRule(RuleModel):
    population_per_place: PositiveNumber = 10000
    incomplete_max_severity: SeverityLevel = "medium"


class StaleRecordRule(RuleModel):
    max_age_months: Count = 12
    as_of: AsOf = None


class EquityGapRule(RuleModel):
    categories: Categories = ("sarc",)
    slots: Slots = _named("weekday daytime", "weekend night")
    minutes: PositiveNumber = 60
    weight: WeightName = "residents"
    min_difference: ShareDifference = 0.05


class CapacityBelowBenchmarkRule(RuleModel):
    service_types: ServiceTypes = _CAPACITY_TYPES  # type: ignore[assignment]
    per_council_area: Flag = True
    sexual_violence_denominator: Denominator = "women_all_ages"
    min_benchmark_units: PositiveNumber = 1
    incomplete_max_severity: SeverityLevel = "medium"
    unknown_severity: SeverityLevel = "low"


class NeedHotSpotsRule(RuleModel):
    categories: Categories = ("idva", "da_outreach", "isva", "multi_crime_hub")
    slot: Slot = resolve_slot("weekday daytime")
    minutes: PositiveNumber = 30
    top_share: Share = 0.1
    min_recorded: Count = 1


# ---- the pathway rules (mapping/analysis/pathway_gaps.py) ----------------------------

NeedIds = Annotated[
    tuple[Annotated[str, StringConstraints(min_length=1)], ...],
    _says("must be a list of need ids from data/needs.toml (empty: every need)"),
]


class LevelBands(_Model):
    """One severity for every gap the rule finds (``level``), and what it measures."""

    measure: Text = "gap"
    level: SeverityLevel = "medium"


class PathwayBands(_Model):
    """Severity when no pathway is open at all, and when only police pathways are."""

    measure: Text = "open pathways at the hour"
    no_open_pathway: SeverityLevel = "high"
    police_only: SeverityLevel = "medium"


class PathwayPoliceOnlyRule(RuleModel):
    needs: NeedIds = ()
    slots: Slots = _named("weekday night", "weekend night", "weekend day")
    lancashire_only: Flag = True
    severity: PathwayBands  # type: ignore[assignment]


class SelfReferralAgeBarRule(RuleModel):
    severity: CategoryBands  # type: ignore[assignment]


class SinglePointOfFailureRule(RuleModel):
    needs: NeedIds = ()
    lancashire_only: Flag = True
    severity: LevelBands  # type: ignore[assignment]


class ReferralVolumeRule(RuleModel):
    min_ratio: PositiveNumber = 1.2


#: The model of each rule's table, by rule id, in evaluation order.
RULE_MODELS: dict[str, type[RuleModel]] = {
    "sarc_travel": SarcTravelRule,
    "no_da_base": NoDaBaseRule,
    "no_refuge": NoRefugeRule,
    "no_out_of_hours": NoOutOfHoursRule,
    "young_people": YoungPeopleRule,
    "refuge_capacity": RefugeCapacityRule,
    "stale_record": StaleRecordRule,
    # The gap rules that read the need layer.
    "equity_gap": EquityGapRule,
    "capacity_below_benchmark": CapacityBelowBenchmarkRule,
    "need_hot_spots": NeedHotSpotsRule,
    # The referral-pathway rules.
    "pathway_police_only": PathwayPoliceOnlyRule,
    "self_referral_age_bar": SelfReferralAgeBarRule,
    "single_point_of_failure": SinglePointOfFailureRule,
    "referral_volume_above_benchmark": ReferralVolumeRule,
}

#: The rule ids :func:`load_rules` knows, in evaluation order.
RULE_IDS: tuple[str, ...] = tuple(RULE_MODELS)

_META_KEYS = frozenset(RuleModel.model_fields)


def default_rules_path() -> Path:
    """The rules file shipped with the repository: ``data/gap_rules.toml``."""
    return repo_root() / "data" / "gap_rules.toml"


def _display(path: Path) -> str:
    """The path as a user would type it: relative to the repository when inside it."""
    try:
        return path.resolve().relative_to(repo_root().resolve()).as_posix()
    except ValueError:
        return str(path)


# ---- loading ---------------------------------------------------------------------


def _field_problem(model: type[RuleModel], error: Mapping[str, Any]) -> tuple[str, str]:
    """``(field, message)`` of one pydantic error; list items are reported as their list."""
    field_name = ".".join(str(p) for p in error["loc"] if not isinstance(p, int)) or "-"
    kind = error["type"]
    if kind == "missing":
        if field_name == "severity":
            return field_name, "is missing: give a [rule.severity] table of bands"
        return field_name, "is missing"
    if kind == "extra_forbidden":
        if "." in field_name:
            return field_name, "unknown field; a severity table has measure, high and medium"
        return field_name, f"unknown field; known: {', '.join(model.model_fields)}"
    if kind in ("model_type", "model_attributes_type", "dataclass_type"):
        return field_name, "must be a table of fields"
    return field_name, str(error["msg"])


def _parse_rule(rule_id: str, table: Any, shown: str) -> tuple[GapRule | None, list[str]]:
    where = f"{shown}:{rule_id}"
    if not isinstance(table, dict):
        return None, [f"{where}:-: must be a table ([rule_id] with its fields)"]
    model = RULE_MODELS[rule_id]
    try:
        checked = model.model_validate(table)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field_name, message = _field_problem(model, error)
            problems.append(f"{where}:{field_name}: {message}")
        return None, problems
    return GapRule(id=rule_id, model=checked), []


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
    if not source.exists():
        raise ServiceMapError(f"{shown}: rules file not found")
    from mapping.inputs.files import read_document

    # Size, encoding, BOM and nesting depth are checked before the TOML parser runs.
    document = read_document(source, what="gap rules")
    if not document:
        raise ServiceMapError(f"{shown}: no rules; known rules: {', '.join(RULE_IDS)}")
    rules: list[GapRule] = []
    problems: list[str] = []
    for rule_id, table in document.items():
        if rule_id not in RULE_MODELS:
            problems.append(f"{shown}:{rule_id}: unknown rule; known rules: {', '.join(RULE_IDS)}")
            continue
        rule, found = _parse_rule(rule_id, table, shown)
        problems.extend(found)
        if rule is not None:
            rules.append(rule)
    if problems:
        raise ServiceMapError("\n".join(problems))
    return rules
