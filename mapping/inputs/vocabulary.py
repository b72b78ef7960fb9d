"""Vocabularies shared by every input: service categories, crime types, age bands.

Each vocabulary is a ``Literal`` type, which the pydantic models of the inputs (the
register record, scenario changes, gap rules) validate against and mypy checks, and a
tuple of its values in order for the modules that list or loop over them.
"""

from __future__ import annotations

import calendar
from typing import Any, Literal, get_args

import pandas as pd

from mapping.inputs.area import study_area
from mapping.inputs.sources import POLICE_MONTHS

#: Census 2021 age bands (the column names used here).
AgeBand = Literal["age_0_15", "age_16_24", "age_25_34", "age_35_49", "age_50_64", "age_65_plus"]

#: Census 2021 age bands as published, with the column name used here and the ages
#: they cover (``None``: no upper limit).
AGE_BANDS: dict[str, tuple[int, int | None]] = dict(
    zip(
        get_args(AgeBand),
        ((0, 15), (16, 24), (25, 34), (35, 49), (50, 64), (65, None)),
        strict=True,
    )
)


#: Controlled vocabulary of ``category``.
Category = Literal[
    "sarc",
    "isva",
    "idva",
    "da_outreach",
    "refuge",
    "young_people",
    "stalking",
    "hate_crime",
    "counselling",
    "restorative_justice",
    "police_victim_care",
    "multi_crime_hub",
    "helpline",
    "womens_centre",
    "safe_house",
]
CATEGORIES: tuple[str, ...] = get_args(Category)
#: Categories whose sites are confidential by nature: a refuge or a safe house exists
#: only at district level (never a point, a postcode or an address) whatever a row's
#: ``confidential`` flag says. The register, scenarios, the engine, the maps and every
#: export apply this through :func:`is_confidential`.
CONFIDENTIAL_CATEGORIES: tuple[str, ...] = ("refuge", "safe_house")
#: ``confidence`` levels, firmest first (rule in data/README.md and
#: :func:`mapping.inputs.record.rule_confidence`).
CONFIDENCE_LEVELS: tuple[str, ...] = ("high", "medium", "low")


#: ``location_precision``: what the point stands for (``district``: confidential, no
#: point; ``none``: a county-wide or national service with no site).
LocationPrecision = Literal["postcode", "street", "town", "district", "none"]
LOCATION_PRECISIONS: tuple[str, ...] = get_args(LocationPrecision)


#: Controlled vocabulary of ``crime_types`` (``all`` stands alone).
CrimeType = Literal["all", "domestic_abuse", "sexual_violence", "stalking", "hate_crime", "other"]
CRIME_TYPES: tuple[str, ...] = get_args(CrimeType)


#: Controlled vocabulary of ``sexes`` (``all`` stands alone).
Sex = Literal["all", "female", "male"]
SEXES: tuple[str, ...] = get_args(Sex)


#: ``provider_area`` / ``areas_served`` value for the study area as a whole
#: (``study_area.toml``).
LANCASHIRE = study_area().name


def _months(first: str, last: str) -> str:
    """``("2024-01", "2024-04")`` -> ``"January–April 2024"``."""
    names = list(calendar.month_name)[1:]
    (y0, m0), (y1, m1) = first.split("-"), last.split("-")
    start = names[int(m0) - 1] + ("" if y0 == y1 else f" {y0}")
    return f"{start}–{names[int(m1) - 1]} {y1}"


#: The recorded-crime weight is the police.uk count for these months scaled to a year.
RECORDED_VIOLENCE_SCALE = 12 / len(POLICE_MONTHS)

#: When the recorded-crime weight was counted and how it is scaled ("January–April
#: 2024, ×3 to a year"), the one wording every label uses.
RECORDED_VIOLENCE_PERIOD = (
    f"{_months(POLICE_MONTHS[0], POLICE_MONTHS[-1])}, ×{RECORDED_VIOLENCE_SCALE:g} to a year"
)

#: What the recorded-crime weight counts (the issue's wording).
RECORDED_VIOLENCE_WHERE = f"offences recorded in this area, {RECORDED_VIOLENCE_PERIOD}"

#: Said wherever recorded violence is used as a weight or a measure.
RECORDED_VIOLENCE_CAVEAT = (
    "Recorded violence and sexual offences are a proxy for need, not a count of victims: "
    "they count offences where they were recorded (town centres hold many), not where "
    "victims live; police.uk publishes no domestic-abuse flag, anonymises each location "
    "to a nearby snap point, counts only crime reported to the police, and covers "
    f"{POLICE_MONTHS[0]} to {POLICE_MONTHS[-1]} only (annualised figures, ×3, assume the "
    "other months are alike). For where victims live, use the IoD 2025 crime-domain "
    "weight (residents of high-crime areas)."
)

#: The IoD 2025 crime-domain deciles whose residents the ``crime_deprived_residents``
#: weight counts (1 = the most crime-deprived tenth of LSOAs in England).
CRIME_DEPRIVED_DECILES: tuple[int, ...] = (1, 2)

#: The weights a coverage, SARC or equity figure can use, with what each one counts.
WEIGHTS: dict[str, str] = {
    "residents": "usual residents (Census 2021)",
    "women_16_plus": "women aged 16 and over (ONS mid-2024 population estimates)",
    "recorded_violence_sexual": (
        f"violence and sexual offences: {RECORDED_VIOLENCE_WHERE} "
        "(data.police.uk; a proxy for need)"
    ),
    "crime_deprived_residents": (
        "residents (Census 2021) of LSOAs in the most crime-deprived fifth of England "
        "(IoD 2025 crime domain, deciles 1-2: a measure of where victims live, not "
        "where offences are recorded)"
    ),
    "no_car_households": "households with no car or van (Census 2021 TS045)",
}


#: The need-layer column a need weight reads, where it is not the weight's own name: the
#: recorded-crime weight is the four-month count ×3 (``recorded_violence_sexual``
#: itself stays the count, as the police files give it).
WEIGHT_COLUMNS: dict[str, str] = {
    "recorded_violence_sexual": "recorded_violence_sexual_annualised",
}


def weight_column(weight: str) -> str:
    """The need-layer column that ``weight`` reads (:data:`WEIGHT_COLUMNS`)."""
    return WEIGHT_COLUMNS.get(weight, weight)


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def is_confidential(records: Any) -> Any:
    """Which records are confidential: flagged so, or of a confidential category.

    Parameters
    ----------
    records
        A register-like ``DataFrame`` (``category`` and, if present, ``confidential``)
        or one record as a mapping.

    Returns
    -------
    pandas.Series of bool, or bool for one record
        A row cannot switch confidentiality off: the category decides it too.
    """
    if isinstance(records, pd.DataFrame):
        by_category = records["category"].isin(CONFIDENTIAL_CATEGORIES)
        if "confidential" not in records.columns:
            return by_category.astype(bool)
        flagged = records["confidential"].map(_flag).astype(bool)
        return (flagged | by_category).astype(bool)
    return _flag(records.get("confidential", False)) or (
        records.get("category") in CONFIDENTIAL_CATEGORIES
    )


def siting_refusal(category: str) -> str | None:
    """Why new sites of ``category`` cannot be placed by the optimiser (``None``: they can).

    Refuges and safe houses are confidential: their addresses are never published and
    this tool shows them only as counts per council area. A site optimiser answers with
    points (a postcode or a town centre), so it is refused for these categories.
    """
    if category not in CONFIDENTIAL_CATEGORIES:
        return None
    words = category.replace("_", " ")
    return (
        f"new {words} sites are not placed by the optimiser: {words}s are confidential "
        "(their addresses are never published, and this tool shows them only as counts "
        "per council area), while the optimiser answers with points such as a postcode or "
        "a town centre. Plan them with the council areas' counts instead."
    )


#: Short names of the weights, for table headings.
WEIGHT_SHORT_NAMES: dict[str, str] = {
    "residents": "residents",
    "women_16_plus": "women 16+",
    "recorded_violence_sexual": "recorded V&SO a year",
    "no_car_households": "no-car households",
    "crime_deprived_residents": "residents, high crime (IoD)",
}


def weight_short(weight: str) -> str:
    """``women_16_plus`` -> ``women 16+`` (table headings)."""
    return WEIGHT_SHORT_NAMES.get(weight, weight)


#: Units a register's ``capacity_value`` may be counted in (``capacity_unit``), with what
#: each one counts. A benchmark names the unit it compares (``data/benchmarks.toml``).
CAPACITY_UNITS: dict[str, str] = {
    "bed spaces": "beds or rooms for one adult each (e.g. safe-house rooms)",
    "family places": "refuge units for one woman and her children (Council of Europe)",
    "FTE advocates": "full-time-equivalent advocate posts (IDVA, ISVA and the like)",
    "annual cases": "people supported, or examinations made, in a year",
}
