"""The SARC question as a table: each council area's nearest open SARC, per time slot.

:meth:`mapping.analysis.coverage.CoverageModel.sarc_access` calls
:func:`sarc_access_table`; it lives here to keep the coverage model within the module cap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mapping.analysis.summary import TOTAL_CODE, summarise
from mapping.inputs.area import study_area
from mapping.inputs.vocabulary import WEIGHTS
from mapping.inputs.when import TimeSlot, resolve_slot

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel

__all__ = ["sarc_access_table"]


def sarc_access_table(
    model: CoverageModel,
    slots: Iterable[str | TimeSlot],
    *,
    weight: str = "residents",
    mode: str = "drive",
) -> pd.DataFrame:
    """See :meth:`mapping.analysis.coverage.CoverageModel.sarc_access`."""
    from mapping.analysis.coverage import SARC_COLUMNS, mode_thresholds

    thresholds = (60, 90) if mode == "drive" else mode_thresholds(mode)
    base_weights = model.weights(weight)
    services = model.engine.services.set_index("id")
    # The effective register, so a what-if SARC is classed by where it stands.
    register = model.effective_register().set_index("id")
    rows = []
    resolved = [resolve_slot(s) for s in slots]
    first_mean: pd.Series | None = None
    for slot in resolved:
        # Each age group against the SARCs that see it (the register's ages).
        result = model.by_age("sarc", slot, base_weights, weight, mode=mode)
        weights = result.weights
        ids = pd.Series(result.service_id, dtype=object)
        groups = {sid: _sarc_group(sid, services, register) for sid in ids.dropna().unique()}
        group = ids.map(groups).astype(object).fillna("none").to_numpy(dtype=object)
        table = summarise(
            result.origins,
            result.minutes,
            result.service_id,
            result.provider_area,
            by="district",
            weights=weights,
            thresholds=thresholds,
            names=model.area_names("district"),
        )
        table = table.set_index("area_code")
        codes = result.origins["lad_code"].to_numpy()
        for label in study_area().sarc_group_keys:
            hit = np.where(group == label, weights, 0.0)
            per_area = pd.Series(hit).groupby(codes).sum()
            per_area[TOTAL_CODE] = hit.sum()
            reached = pd.Series(np.where(group != "none", weights, 0.0)).groupby(codes).sum()
            reached[TOTAL_CODE] = reached.sum()
            table[f"share_nearest_{label}"] = (per_area / reached).reindex(table.index)
        for limit in thresholds[:-1]:
            table[f"population_over_{limit}"] = table["eligible_population"] * (
                1 - table[f"share_within_{limit}"]
            )
        table[f"population_over_{thresholds[-1]}"] = table[f"population_beyond_{thresholds[-1]}"]
        if mode == "drive":
            # Low and high (docs/ranges.md): each area's envelope of the same cases, each
            # case split by age as the table is, so the central figure is the range's own.
            spread = model.beyond_range("sarc", slot, weight=weight)
            bounds = spread.by_group(model.origins["lad_code"].to_numpy())
            bounds.loc[TOTAL_CODE] = spread.people_beyond
            for end in ("", "_low", "_high"):
                people = bounds[f"people_beyond{end}"].reindex(table.index)
                table[f"population_over_60{end}"] = people
        if first_mean is None:
            first_mean = table["mean_minutes"]
        table["minutes_added"] = table["mean_minutes"] - first_mean.reindex(table.index)
        table = table.reset_index()
        table.insert(2, "slot", slot.at)
        table.insert(3, "slot_name", slot.name)
        table["population"] = table["eligible_population"]
        table["weight"] = weight
        table["weight_label"] = WEIGHTS[weight]
        rows.append(table)
    out = pd.concat(rows, ignore_index=True)
    if mode == "drive":
        return out[list(SARC_COLUMNS)]
    out["mode"] = mode
    over = [f"population_over_{limit}" for limit in thresholds]
    columns = [c for c in SARC_COLUMNS if not c.startswith("population_over")]
    at = columns.index("population_unreached")
    return out[[*columns[:at], *over, *columns[at:], "mode"]]


def _sarc_group(service_id: Any, services: pd.DataFrame, register: pd.DataFrame) -> str:
    """The SARC's group in the study area's settings (``none``: no SARC)."""
    if service_id is None:
        return "none"
    area = services.at[service_id, "provider_area"] if service_id in services.index else None
    district = register.at[service_id, "district"] if service_id in register.index else None
    return study_area().sarc_group(area, district)
