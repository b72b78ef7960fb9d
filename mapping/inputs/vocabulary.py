"""Vocabularies shared by every input: service categories, crime types, age bands."""

from __future__ import annotations

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
)


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
