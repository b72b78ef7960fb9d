"""Vocabularies shared by every input: service categories, crime types, age bands."""

from __future__ import annotations

from mapping.inputs.sources import POLICE_MONTHS

#: Census 2021 age bands as published, with the column name used here and the ages
#: they cover (``None``: no upper limit).
AGE_BANDS: dict[str, tuple[int, int | None]] = {
    "age_0_15": (0, 15),
    "age_16_24": (16, 24),
    "age_25_34": (25, 34),
    "age_35_49": (35, 49),
    "age_50_64": (50, 64),
    "age_65_plus": (65, None),
}


#: Controlled vocabulary of ``category``.
CATEGORIES: tuple[str, ...] = (
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
)
#: ``confidence`` levels, firmest first (rule in data/README.md and
#: :func:`mapping.inputs.record.rule_confidence`).
CONFIDENCE_LEVELS: tuple[str, ...] = ("high", "medium", "low")


#: ``location_precision``: what the point stands for (``district``: confidential, no
#: point; ``none``: a county-wide or national service with no site).
LOCATION_PRECISIONS: tuple[str, ...] = ("postcode", "street", "town", "district", "none")


#: Controlled vocabulary of ``crime_types`` (``all`` stands alone).
CRIME_TYPES: tuple[str, ...] = (
    "all",
    "domestic_abuse",
    "sexual_violence",
    "stalking",
    "hate_crime",
    "other",
)


#: Controlled vocabulary of ``sexes`` (``all`` stands alone).
SEXES: tuple[str, ...] = ("all", "female", "male")


#: ``provider_area`` / ``areas_served`` value for the county as a whole.
LANCASHIRE = "Lancashire"


#: Said wherever recorded violence is used as a weight or a measure.
RECORDED_VIOLENCE_CAVEAT = (
    "Recorded violence and sexual offences are a proxy for need, not a count of victims: "
    "police.uk publishes no domestic-abuse flag, anonymises each location to a nearby "
    "snap point, counts only crime reported to the police, and covers "
    f"{POLICE_MONTHS[0]} to {POLICE_MONTHS[-1]} only (annualised figures assume the "
    "other months are alike)."
)


#: The weights a coverage, SARC or equity figure can use, with what each one counts.
WEIGHTS: dict[str, str] = {
    "residents": "usual residents (Census 2021)",
    "women_16_plus": "women aged 16 and over (ONS mid-2024 population estimates)",
    "recorded_violence_sexual": (
        "police-recorded violence and sexual offences, "
        f"{POLICE_MONTHS[0]} to {POLICE_MONTHS[-1]} (data.police.uk; a proxy for need)"
    ),
}
