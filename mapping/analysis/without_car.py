"""Who can reach help without a car: households with no car beyond a walk of every service.

For a service category and a time of the week, every population-weighted origin gets
the walking minutes to its nearest *open* eligible service (on foot at 4.8 km/h on the
road network, motorways excluded: :mod:`mapping.network.walking`). The households with
no car or van (Census 2021 TS045, spread over each LSOA's origins as residents are) that
are farther than the walking threshold from every open service, or have none open at
all, are counted by council area and by ward, with a Lancashire total.

The answer is by foot only: :data:`LIMITATION` says so, and every table, page and export
carrying these figures carries that sentence beside them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mapping.analysis.summary import TOTAL_CODE, TOTAL_NAME
from mapping.analysis.week import service_label
from mapping.errors import ServiceMapError
from mapping.inputs.when import TimeSlot, resolve_slot
from mapping.network.walking import WALK_SPEED_KMH, WALK_THRESHOLDS

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel

__all__ = [
    "COLUMNS",
    "DEFAULT_WALK_MINUTES",
    "LIMITATION",
    "beyond_walk",
    "headline",
    "mode_note",
    "without_car",
]

#: What these figures leave out, said wherever they are shown.
LIMITATION = "by foot only: buses and trains are not modelled (no timetable data)"

#: The walking threshold used by default (the middle of :data:`WALK_THRESHOLDS`).
DEFAULT_WALK_MINUTES: float = float(WALK_THRESHOLDS[1])

#: Columns of :func:`without_car`, in order.
COLUMNS: tuple[str, ...] = (
    "area_level",
    "area_code",
    "area_name",
    "lad_name",
    "category",
    "slot",
    "slot_name",
    "mode",
    "walk_minutes",
    "no_car_households",
    "no_car_beyond",
    "share_beyond",
    "no_car_no_service_open",
    "limitation",
)


def beyond_walk(
    minutes: np.ndarray, weights: np.ndarray, groups: np.ndarray, threshold: float
) -> pd.DataFrame:
    """Weight per group, weight beyond ``threshold`` minutes, and weight with none in reach.

    ``inf`` or NaN minutes (no open service in reach) count as beyond. Returns one row
    per group (sorted): ``no_car_households``, ``no_car_beyond``, ``share_beyond``,
    ``no_car_no_service_open``.

    Examples
    --------
    >>> beyond_walk(np.array([10.0, 40.0, np.inf]), np.array([5.0, 3.0, 2.0]),
    ...             np.array(["a", "a", "b"]), 30)
       no_car_households  no_car_beyond  share_beyond  no_car_no_service_open
    a                8.0            3.0         0.375                     0.0
    b                2.0            2.0         1.000                     2.0
    """
    minutes = np.where(np.isnan(minutes), np.inf, np.asarray(minutes, dtype=float))
    weights = np.asarray(weights, dtype=float)
    frame = pd.DataFrame(
        {
            "no_car_households": weights,
            "no_car_beyond": np.where(minutes > threshold, weights, 0.0),
            "no_car_no_service_open": np.where(np.isfinite(minutes), 0.0, weights),
        }
    )
    sums = frame.groupby(np.asarray(groups), sort=True).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = sums["no_car_beyond"] / sums["no_car_households"]
    sums.insert(2, "share_beyond", share)
    return sums


def without_car(
    model: CoverageModel,
    category: str = "sarc",
    at: str | TimeSlot = "Tue 10:00",
    *,
    minutes: float = DEFAULT_WALK_MINUTES,
) -> pd.DataFrame:
    """Households with no car farther than a ``minutes`` walk from every open service.

    Parameters
    ----------
    model
        A coverage model with the need layer (:class:`mapping.Study`).
    category
        Service category.
    at
        Time of week (``"Tue 10:00"``, a slot name, an ISO date-time): which services
        are open.
    minutes
        The walking threshold (default 30; the walking tables report 15, 30 and 45).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: a ``TOTAL`` (Lancashire) row, then one row per council
        area (``area_level`` ``district``) and per ward (``ward``), each by
        ``no_car_beyond`` (largest first); ``limitation`` carries :data:`LIMITATION`.

    Raises
    ------
    ServiceMapError
        For a threshold that is not positive, or no need layer.
    """
    if not minutes > 0:
        raise ServiceMapError(f"the walking threshold must be positive minutes, not {minutes!r}")
    slot = resolve_slot(at)
    frame = model.origin_minutes(category, slot, weight="no_car_households", mode="walk")
    values = frame["minutes"].to_numpy(float)
    weights = frame["eligible_population"].to_numpy(float)
    districts = model.area_names("district")
    parts = []
    for level, column, names in (
        ("total", None, {TOTAL_CODE: TOTAL_NAME}),
        ("district", "lad_code", districts),
        ("ward", "ward_code", model.area_names("ward")),
    ):
        groups = np.full(len(frame), TOTAL_CODE) if column is None else frame[column].to_numpy()
        table = beyond_walk(values, weights, groups, minutes).reset_index(names="area_code")
        table.insert(0, "area_level", level)
        table.insert(2, "area_name", table["area_code"].map(names).fillna(table["area_code"]))
        if column == "ward_code":
            lad_of = frame.groupby("ward_code")["lad_code"].first()
            table.insert(3, "lad_name", table["area_code"].map(lad_of).map(districts))
        elif column == "lad_code":
            table.insert(3, "lad_name", table["area_name"])
        else:
            table.insert(3, "lad_name", TOTAL_NAME)
        parts.append(table.sort_values("no_car_beyond", ascending=False, kind="stable"))
    out = pd.concat(parts, ignore_index=True)
    out["category"] = category
    out["slot"] = slot.at
    out["slot_name"] = slot.name
    out["mode"] = "walk"
    out["walk_minutes"] = float(minutes)
    out["limitation"] = LIMITATION
    return out[list(COLUMNS)]


def mode_note(mode: str) -> str:
    """The sentence saying how minutes were travelled (and what walking leaves out)."""
    if mode != "walk":
        return "Minutes are by car on the road network."
    limits = "/".join(str(t) for t in WALK_THRESHOLDS)
    return (
        f"Minutes are walked at {WALK_SPEED_KMH:g} km/h on the same roads, motorways and "
        f"their slip roads excluded; walking thresholds {limits} minutes; {LIMITATION}."
    )


def headline(table: pd.DataFrame) -> str:
    """One sentence from a :func:`without_car` table (its ``TOTAL`` row), with the limitation."""
    total = table[table["area_level"] == "total"].iloc[0]
    share = total["share_beyond"]
    words = "an unknown share" if share != share else f"{share:.0%}"
    return (
        f"{total['no_car_beyond']:,.0f} of Lancashire's {total['no_car_households']:,.0f} "
        f"households with no car ({words}) are more than a {total['walk_minutes']:g}-minute "
        f"walk (at {WALK_SPEED_KMH:g} km/h) from every open {service_label(total['category'])} "
        f"at {total['slot']}; {LIMITATION}."
    )
