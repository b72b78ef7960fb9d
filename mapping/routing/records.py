"""Services as the engine sees them (records), and the shape of a query and its answer."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from mapping.errors import ServiceMapError
from mapping.inputs.vocabulary import LANCASHIRE, is_confidential
from mapping.routing.eligibility import AgeRule

#: Profile used when a query names no time: typical daytime speeds (slower, cautious).
DEFAULT_PROFILE = "daytime"


SERVICE_COLUMNS = (
    "id",
    "name",
    "category",
    "opening_hours",
    "min_age",
    "max_age",
    "crime_types",
    "provider_area",
)


def crime_tuple(value: Any) -> tuple[str, ...]:
    """Normalise a ``crime_types`` cell: a tuple/list, or text split on ``;`` or ``,``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ("all",)
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(",", ";").split(";")]
        return tuple(p for p in parts if p) or ("all",)
    return tuple(str(v).strip() for v in value) or ("all",)


def age_bound(value: Any, missing: float) -> float:
    if value is None or value is pd.NA:
        return missing
    try:
        number = float(value)
    except (TypeError, ValueError):
        return missing
    return missing if math.isnan(number) else number


def point_xy(geometry: Any) -> tuple[float, float] | None:
    if geometry is None or getattr(geometry, "is_empty", True):
        return None
    return float(geometry.x), float(geometry.y)


def _text(value: Any, default: str = "") -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return default
    return str(value)


def service_records(services: pd.DataFrame) -> list[dict[str, Any]]:
    """Turn a register frame into plain records with ``xy`` (or ``None``) per service."""
    missing = [c for c in ("id", "category") if c not in services.columns]
    if missing:
        raise ServiceMapError(f"services table lacks column(s) {missing}")
    has_geometry = "geometry" in services.columns
    has_xy = {"easting", "northing"} <= set(services.columns)
    records = []
    for row in services.to_dict("records"):
        xy = None
        if has_geometry:
            xy = point_xy(row.get("geometry"))
        elif has_xy and pd.notna(row["easting"]) and pd.notna(row["northing"]):
            xy = (float(row["easting"]), float(row["northing"]))
        records.append(
            {
                "id": str(row["id"]),
                "name": _text(row.get("name"), str(row["id"])),
                "category": _text(row.get("category")),
                "opening_hours": _text(row.get("opening_hours")),
                "min_age": age_bound(row.get("min_age"), -np.inf),
                "max_age": age_bound(row.get("max_age"), np.inf),
                "crime_types": crime_tuple(row.get("crime_types")),
                "provider_area": _text(row.get("provider_area"), LANCASHIRE),
                "confidential": bool(is_confidential(row)),
                "xy": xy,
            }
        )
    return records


@dataclass(frozen=True)
class Query:
    """What a :meth:`TravelEngine.nearest` call asked, kept with its answer.

    ``category`` is ``None`` (every category) or a tuple of categories; ``at`` the
    moment of the week (``None``: ignore opening hours); ``age_band`` an
    :data:`mapping.geography.AGE_BANDS` key or an ``(min_age, max_age)`` pair;
    ``hours_override`` maps service ids to replacement opening-hours expressions.
    """

    category: tuple[str, ...] | None = None
    at: datetime | None = None
    age_band: str | tuple[int, int | None] | None = None
    crime_type: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extra_services: tuple[str, ...] = ()
    hours_override: tuple[tuple[str, str], ...] = ()
    age_rule: AgeRule = "overlap"
    profile: str = DEFAULT_PROFILE


@dataclass(frozen=True)
class NearestResult:
    """For every origin, the nearest eligible open service and the drive time to it.

    Attributes
    ----------
    origin_ids
        Origin identifiers, in the engine's origin order.
    service_id
        Object array: id of the nearest service, ``None`` where no eligible open service
        can be reached (or the origin is off the network).
    minutes
        Float array of drive minutes to it; ``inf`` where ``service_id`` is ``None``.
    provider_area
        Object array: the service's provider area (``"Lancashire"``, ``"Greater
        Manchester"``, ...), ``None`` where there is no service.
    service_index
        Row of the chosen service in :attr:`TravelEngine.services` (``-1``: none).
    candidates
        Ids of the services that were eligible and open for this query.
    query
        The query that produced this result (profile included).
    """

    origin_ids: np.ndarray
    service_id: np.ndarray
    minutes: np.ndarray
    provider_area: np.ndarray
    service_index: np.ndarray
    candidates: tuple[str, ...]
    query: Query = field(default_factory=Query)

    @property
    def profile(self) -> str:
        """The speed profile the minutes were computed with."""
        return self.query.profile

    def within(self, minutes: float) -> np.ndarray:
        """Boolean array: origins whose nearest service is at most ``minutes`` away."""
        return self.minutes <= minutes

    def to_frame(self) -> pd.DataFrame:
        """Return ``origin_id, service_id, minutes, provider_area`` (``NaN`` for none)."""
        minutes = np.where(np.isfinite(self.minutes), self.minutes, np.nan)
        return pd.DataFrame(
            {
                "origin_id": self.origin_ids,
                "service_id": self.service_id,
                "minutes": minutes,
                "provider_area": self.provider_area,
            }
        )


def skip_row(rec: Mapping[str, Any], reason: str) -> dict[str, Any]:
    return {"id": rec["id"], "name": rec["name"], "category": rec["category"], "reason": reason}
