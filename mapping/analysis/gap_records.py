"""What every gap rule shares: the evaluation context and how a gap record is written."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd
import shapely

from mapping.analysis.summary import TOTAL_CODE
from mapping.inputs.register import LANCASHIRE_LAD_CODES
from mapping.inputs.rules import SEVERITIES, GapRule, RuleModel
from mapping.inputs.vocabulary import LANCASHIRE

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel
    from mapping.inputs.referrals import Referral
    from mapping.inputs.routes import Route

#: Columns of the gap register, in order.
COLUMNS: tuple[str, ...] = (
    "gap_id",
    "rule_id",
    "rule_title",
    "area_level",
    "area_code",
    "area_name",
    "severity",
    "population_affected",
    "evidence",
    "services",
    "slot",
)


#: ``area_code`` of Lancashire-wide rows (the 14 council areas together).
LANCASHIRE_CODE = LANCASHIRE


#: ``areas_served`` values that cover Lancashire besides its council-area codes.
COVERS_LANCASHIRE = frozenset({LANCASHIRE, "England", "England and Wales"})


#: Readable names of the categories, for evidence sentences.
LABELS: dict[str, str] = {
    "sarc": "SARC",
    "isva": "ISVA service",
    "idva": "IDVA service",
    "da_outreach": "domestic-abuse outreach service",
    "refuge": "refuge",
    "young_people": "young people's service",
    "stalking": "stalking advocacy service",
    "hate_crime": "hate crime service",
    "counselling": "counselling service",
    "restorative_justice": "restorative justice service",
    "police_victim_care": "police victim care service",
    "multi_crime_hub": "multi-crime hub",
    "helpline": "helpline",
}


@dataclass
class GapContext:
    """What every rule reads: the study, its effective register and area facts.

    ``routes`` and ``referrals`` are the referral routes and published volumes the
    pathway rules read (``None``: the committed files).
    """

    study: CoverageModel
    register: pd.DataFrame
    as_of: date | None
    names: dict[str, str]
    population: pd.Series  # by lad_code
    age_population: pd.DataFrame  # age-band columns by lad_code
    routes: list[Route] | None = None
    referrals: list[Referral] | None = None

    @property
    def areas(self) -> list[str]:
        """Lancashire council-area codes present in the study, in code order."""
        return [code for code in LANCASHIRE_LAD_CODES if code in self.population.index]

    def area_name(self, code: Any) -> str:
        text = clean_text(code)
        if text == TOTAL_CODE:
            return LANCASHIRE
        return self.names.get(text, text)

    def service_name(self, service_id: Any) -> str:
        text = clean_text(service_id)
        hit = self.register.loc[self.register["id"] == text, "name"]
        return str(hit.iloc[0]) if len(hit) else text

    def where(self, service_id: Any) -> str:
        """A service's council area (by name) or outside area, never a location."""
        hit = self.register.loc[self.register["id"] == clean_text(service_id)]
        if hit.empty:
            return ""
        district = clean_text(hit["district"].iloc[0])
        if district:
            return self.area_name(district)
        return clean_text(hit["provider_area"].iloc[0]) if "provider_area" in hit else ""

    def named(self, service_id: Any) -> str:
        where = self.where(service_id)
        name = self.service_name(service_id)
        # "The Bridgeway SARC (Cumbria)" already says where it is.
        return f"{name} ({where})" if where and where.lower() not in name.lower() else name


def clean_text(value: Any) -> str:
    """Text of a cell, ``""`` for missing values."""
    if value is None:
        return ""
    try:
        if pd.isna(value):  # NaN, NA and NaT alike
            return ""
    except (TypeError, ValueError):  # list-like cells are not missing values
        pass
    return str(value).strip()


def as_tuple(value: Any) -> tuple[str, ...]:
    """A ``;``-list cell (tuple, list or text) as a tuple of text."""
    if isinstance(value, tuple | list | set | frozenset | np.ndarray):
        return tuple(str(v).strip() for v in value if clean_text(v))
    text = clean_text(value)
    return tuple(part.strip() for part in text.split(";") if part.strip())


def located(register: pd.DataFrame) -> pd.Series:
    """Records with a point (confidential records never have one)."""
    if "geometry" in register:
        geometry = np.asarray(register["geometry"], dtype=object)
    else:
        geometry = np.full(len(register), None, dtype=object)
    has_point = shapely.is_geometry(geometry)  # None and NaN are not
    has_point[has_point] = ~shapely.is_empty(geometry[has_point])
    confidential = register["confidential"].fillna(False).astype(bool)
    return pd.Series(has_point, index=register.index) & ~confidential


def serves_lancashire(areas_served: Any) -> bool:
    served = set(as_tuple(areas_served))
    return bool(served & COVERS_LANCASHIRE) or bool(served & set(LANCASHIRE_LAD_CODES))


def band_of(value: float, bands: Mapping[str, Any]) -> str:
    if value >= bands["high"]:
        return "high"
    if value >= bands["medium"]:
        return "medium"
    return "low"


def cap_severity(severity: str, limit: str) -> str:
    """The less severe of ``severity`` and ``limit``."""
    return SEVERITIES[max(SEVERITIES.index(severity), SEVERITIES.index(limit))]


def label(category: str) -> str:
    return LABELS.get(category, category)


def join_names(items: Iterable[str]) -> str:
    return ";".join(dict.fromkeys(i for i in items if i))


def gap_record(
    rule: GapRule,
    key: str,
    *,
    area_level: str,
    area_code: str,
    area_name: str,
    severity: str,
    population: float | None,
    evidence: str,
    services: Iterable[str] = (),
    slot: str = "",
) -> dict[str, Any]:
    return {
        "gap_id": f"{rule.id}:{key}",
        "rule_id": rule.id,
        "rule_title": rule.model.title,
        "area_level": area_level,
        "area_code": area_code,
        "area_name": area_name,
        "severity": severity,
        "population_affected": None if population is None else round(float(population)),
        "evidence": evidence,
        "services": join_names(services),
        "slot": slot,
    }


def area_fields(ctx: GapContext, code: str) -> dict[str, str]:
    if code == TOTAL_CODE:
        return {"area_level": "lancashire", "area_code": LANCASHIRE_CODE, "area_name": LANCASHIRE}
    return {"area_level": "district", "area_code": code, "area_name": ctx.area_name(code)}


_M = TypeVar("_M", bound=RuleModel)
#: A rule's evaluator: the gap records it finds.
Evaluator = Callable[[GapContext, GapRule[_M]], list[dict[str, Any]]]

#: The one registry of rule kinds: each rule model (inputs/rules.py ``RULE_MODELS``)
#: and the function that evaluates it, registered beside that function by
#: :func:`evaluates`.
_EVALUATORS: dict[type[RuleModel], Evaluator[Any]] = {}


def evaluates(model: type[_M]) -> Callable[[Evaluator[_M]], Evaluator[_M]]:
    """Register the decorated function as the evaluator of ``model``'s rules."""

    def register(function: Evaluator[_M]) -> Evaluator[_M]:
        if model in _EVALUATORS:
            raise ValueError(f"{model.__name__} already has an evaluator")
        _EVALUATORS[model] = function
        return function

    return register


def evaluator_for(rule: GapRule[Any]) -> Evaluator[Any]:
    """The evaluator registered for the rule's model."""
    return _EVALUATORS[type(rule.model)]


def evaluated_models() -> frozenset[type[RuleModel]]:
    """Every rule model with an evaluator."""
    return frozenset(_EVALUATORS)
