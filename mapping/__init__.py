"""Lancashire victim-service coverage map: data, routing, coverage and gaps."""

__version__ = "0.1.0"

#: Attribution that the app and every export must show (Open Government Licence v3.0).
ATTRIBUTION: tuple[str, ...] = (
    "Contains OS data © Crown copyright and database right 2025 (Code-Point Open, Open Roads).",
    "Contains Royal Mail data © Royal Mail copyright and database right 2025.",
    "Contains National Statistics data © Crown copyright and database right 2021-2025.",
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0.",
)
