"""The "without a car" part of the export pack: who cannot walk to help, and why it is partial.

:func:`without_car_pack` adds the table ``without_car_sarc``: for each headline slot,
the households with no car (Census 2021 TS045) farther than a 30-minute walk from every
open SARC, by council area and ward, each row carrying the limitation (by foot only:
buses and trains are not modelled). The report's short
section (the template's ``need_section``) gives the sentences with the same limitation
beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from mapping.analysis.without_car import DEFAULT_WALK_MINUTES, LIMITATION, headline, without_car
from mapping.errors import ServiceMapError
from mapping.inputs.when import TimeSlot
from mapping.network.walking import WALK_SPEED_KMH
from mapping.outputs.pack import PackTable

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel

__all__ = ["WithoutCarPack", "without_car_pack"]

#: The category of the pack's table (the headline question of the tool).
CATEGORY = "sarc"


@dataclass
class WithoutCarPack:
    """The table, method note and headline sentences the export gains."""

    tables: list[PackTable] = field(default_factory=list)
    method: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)


def without_car_pack(
    study: CoverageModel, slots: list[TimeSlot], notes: list[str]
) -> WithoutCarPack:
    """Households with no car beyond a walk of every open SARC, per headline slot."""
    pack = WithoutCarPack()
    frames = []
    try:
        for slot in slots:
            frames.append(without_car(study, CATEGORY, slot, minutes=DEFAULT_WALK_MINUTES))
    except ServiceMapError as exc:
        notes.append(f"households without a car not exported: {exc}")
        return pack
    pack.sentences = [headline(frame) for frame in frames]
    pack.tables.append(
        PackTable(
            "without_car_sarc",
            "without_car_sarc",
            f"Households with no car or van (Census 2021 TS045) more than a "
            f"{DEFAULT_WALK_MINUTES:g}-minute walk from every open SARC, by council area and "
            f"ward, per headline slot; {LIMITATION}",
            pd.concat(frames, ignore_index=True),
        )
    )
    pack.method = [
        f"Walking: {WALK_SPEED_KMH:g} km/h (800 m in 10 minutes, Manual for Streets 4.4.1) "
        "on the same road network, motorways and their slip roads excluded, links walked "
        "both ways; walking thresholds 15, 30 and 45 minutes. Households with no car: "
        f"Census 2021 TS045, spread over each LSOA's origins as residents are. {LIMITATION}.",
    ]
    return pack
