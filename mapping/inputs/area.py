"""The study area as data: its name, council areas, neighbours and SARC groups.

Read from ``mapping/inputs/study_area.toml`` (shipped with the package), so no module
names a place of the study area in code; another area is another file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["OTHER_GROUP", "SarcGroup", "StudyArea", "study_area"]

#: Key of the SARC table's group for a SARC in none of the named groups.
OTHER_GROUP = "other"


@dataclass(frozen=True)
class SarcGroup:
    """One group of the SARC table: the SARCs of one ``provider_area`` (and district).

    Attributes
    ----------
    key
        Names the table's column ``share_nearest_<key>``.
    label
        What a reader sees, e.g. the town.
    provider_area
        The register's ``provider_area`` of the group's SARCs.
    district
        When set, only the group's SARCs standing in this council area (LAD code).
    """

    key: str
    label: str
    provider_area: str
    district: str | None = None

    def holds(self, provider_area: Any, district: Any) -> bool:
        """Whether a SARC with this ``provider_area`` and ``district`` is in the group."""
        if provider_area != self.provider_area:
            return False
        return self.district is None or district == self.district


@dataclass(frozen=True)
class StudyArea:
    """The study area read from its settings file.

    Attributes
    ----------
    name
        The area's name, the register's ``provider_area`` for a site inside it.
    residents_2021
        Census 2021 usual residents of its council areas.
    postcode_units
        Code-Point Open postcode units in its council areas.
    districts
        Council area (LAD 2021) code to name, in the file's order.
    neighbour_districts
        Register ``district`` values for sites outside the area.
    other_areas_served
        Other named areas allowed in ``areas_served``.
    sarc_groups
        The SARC table's groups, in order (``other`` comes after them).
    """

    name: str
    residents_2021: int
    postcode_units: int
    districts: dict[str, str]
    neighbour_districts: tuple[str, ...]
    other_areas_served: tuple[str, ...]
    sarc_groups: tuple[SarcGroup, ...]

    @property
    def district_codes(self) -> tuple[str, ...]:
        """The council area codes, in the file's order."""
        return tuple(self.districts)

    def sarc_group(self, provider_area: Any, district: Any) -> str:
        """The key of the first group holding a SARC, else :data:`OTHER_GROUP`."""
        for group in self.sarc_groups:
            if group.holds(provider_area, district):
                return group.key
        return OTHER_GROUP

    @property
    def sarc_group_keys(self) -> tuple[str, ...]:
        """Every group's key, :data:`OTHER_GROUP` last."""
        return (*(g.key for g in self.sarc_groups), OTHER_GROUP)

    @property
    def sarc_group_labels(self) -> dict[str, str]:
        """Group key to label, :data:`OTHER_GROUP` included (``"other"``)."""
        return {**{g.key: g.label for g in self.sarc_groups}, OTHER_GROUP: OTHER_GROUP}


@cache
def study_area() -> StudyArea:
    """Read the package's study-area settings (``study_area.toml``), once."""
    text = resources.files("mapping.inputs").joinpath("study_area.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    area, neighbours = raw["area"], raw["neighbours"]
    return StudyArea(
        name=str(area["name"]),
        residents_2021=int(area["residents_2021"]),
        postcode_units=int(area["postcode_units"]),
        districts={str(k): str(v) for k, v in area["districts"].items()},
        neighbour_districts=tuple(neighbours["districts"]),
        other_areas_served=tuple(neighbours["areas_served"]),
        sarc_groups=tuple(SarcGroup(**g) for g in raw["sarc_groups"]),
    )
