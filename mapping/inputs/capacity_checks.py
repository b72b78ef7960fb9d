"""Known capacity on a register record: which record may carry which figure, with its source.

A record may give its capacity in three ways, each only with the source of the figure:

``capacity_family_places`` (refuges) and ``advocate_fte`` (advocacy services)
    The original columns, each with its ``*_source`` column.
``capacity_value``, ``capacity_unit``, ``capacity_source``
    Any published figure in one of :data:`~mapping.inputs.vocabulary.CAPACITY_UNITS`
    (bed spaces, family places, FTE advocates, annual cases). Optional columns, at the end
    of the register; a register without them stays valid.

Where no column gives a figure the record's capacity is **unknown**: nothing here, or
anywhere downstream, turns it into 0.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ADVOCATE_CATEGORIES",
    "CAPACITY_FIELDS",
    "CAPACITY_VALUE_COLUMNS",
    "UNIT_FIELDS",
    "check_capacity",
]

#: Categories whose staff are advocates, the only ones that may carry ``advocate_fte``.
ADVOCATE_CATEGORIES: tuple[str, ...] = (
    "idva",
    "isva",
    "da_outreach",
    "stalking",
    "young_people",
    "multi_crime_hub",
)
#: Known-capacity fields and the column that must give each one's source.
CAPACITY_FIELDS: dict[str, str] = {
    "capacity_family_places": "capacity_family_places_source",
    "advocate_fte": "advocate_fte_source",
}
#: The general capacity columns, in file order (the last columns of the register).
CAPACITY_VALUE_COLUMNS: tuple[str, ...] = ("capacity_value", "capacity_unit", "capacity_source")
#: The original column that carries a unit of :data:`CAPACITY_UNITS`, where there is one.
UNIT_FIELDS: dict[str, str] = {
    "family places": "capacity_family_places",
    "FTE advocates": "advocate_fte",
}


def check_capacity(line: int, rec: Any, ok: Any, add: Any) -> None:
    """Known capacity: on the right kind of record, in a known unit, never without its source.

    Parameters
    ----------
    line
        The record's line in the file.
    rec
        The parsed :class:`~mapping.inputs.record.ServiceRecord`.
    ok
        ``ok(*fields)``: whether those fields parsed (a field that failed is not judged
        again).
    add
        ``add(line, field, message)`` records a problem.
    """
    if rec.capacity_family_places is not None and ok("category") and rec.category != "refuge":
        add(line, "capacity_family_places", "family places are recorded for refuges only")
    if rec.advocate_fte is not None and ok("category") and rec.category not in ADVOCATE_CATEGORIES:
        add(
            line,
            "advocate_fte",
            f"advocate FTE is recorded for {', '.join(ADVOCATE_CATEGORIES)} only",
        )
    for name, source in CAPACITY_FIELDS.items():
        value, cited = getattr(rec, name), getattr(rec, source)
        if value is not None and cited is None and ok(name):
            add(line, source, f"{name} needs its source: say where the figure comes from")
        if value is None and cited is not None and ok(name):
            add(line, source, f"{source} is given but {name} is empty")
    if not ok("capacity_value", "capacity_unit"):
        return
    value, unit, source = rec.capacity_value, rec.capacity_unit, rec.capacity_source
    if value is not None:
        if unit is None:
            add(line, "capacity_unit", "capacity_value needs its unit (capacity_unit)")
        if source is None:
            add(line, "capacity_source", "capacity_value needs its source: say where it comes from")
    elif unit is not None or source is not None:
        given = "capacity_unit" if unit is not None else "capacity_source"
        add(line, given, f"{given} is given but capacity_value is empty")
    if value is not None and unit in UNIT_FIELDS and getattr(rec, UNIT_FIELDS[unit]) is not None:
        add(
            line,
            "capacity_value",
            f"{unit} are already given in {UNIT_FIELDS[unit]}: give the figure once",
        )
    if unit == "family places" and ok("category") and rec.category != "refuge":
        add(line, "capacity_unit", "family places are recorded for refuges only")
    if unit == "FTE advocates" and ok("category") and rec.category not in ADVOCATE_CATEGORIES:
        add(
            line,
            "capacity_unit",
            f"FTE advocates are recorded for {', '.join(ADVOCATE_CATEGORIES)} only",
        )
