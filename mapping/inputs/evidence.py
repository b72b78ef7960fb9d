"""How firm the records behind a figure are: assumed hours, town-level sites, confidence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from mapping.inputs.record import rule_confidence
from mapping.inputs.register import _POINT_PRECISIONS, _truthy
from mapping.inputs.vocabulary import CONFIDENCE_LEVELS

__all__ = ["EvidenceBasis", "evidence_basis"]


@dataclass(frozen=True)
class EvidenceBasis:
    """How firm the records behind a figure are: counts from :func:`evidence_basis`."""

    records: int
    assumed_hours: int
    town_level: int
    confidence: dict[str, int]

    def share(self, count: int) -> float:
        """``count`` as a share of :attr:`records` (0 when there are none)."""
        return count / self.records if self.records else 0.0

    def caption(self) -> str:
        """One sentence for a figure: 'based on N records, M with assumed hours'."""
        text = (
            f"based on {self.records} record{'s' if self.records != 1 else ''}, "
            f"{self.assumed_hours} with assumed hours"
        )
        if self.town_level:
            text += f" and {self.town_level} located only to a town (about 1 km)"
        return text

    def lines(self) -> list[str]:
        """The summary ``service-map data check`` prints."""
        levels = ", ".join(f"{self.confidence.get(c, 0)} {c}" for c in CONFIDENCE_LEVELS)
        return [
            f"register: {self.records} records; {self.assumed_hours} "
            f"({self.share(self.assumed_hours):.0%}) with assumed hours",
            f"register: {self.town_level} ({self.share(self.town_level):.0%}) located only "
            "to a town (about 1 km; no postcode or street position)",
            f"register: confidence {levels}",
        ]


def evidence_basis(
    register: pd.DataFrame,
    categories: Iterable[str] | None = None,
    *,
    located_only: bool = False,
) -> EvidenceBasis:
    """Count the records behind a figure: how many have assumed hours or a town point.

    Parameters
    ----------
    register
        The register (from :func:`load_register`, a study's effective register, or a
        table with ``hours_basis`` and ``location_precision``).
    categories
        Count only these categories (default: every record).
    located_only
        Count only records with a public point, the ones drive-time figures rest on.

    Returns
    -------
    EvidenceBasis
        A record counts as having assumed hours when its ``hours_basis`` does not read
        ``published: …`` (what-if records without a basis count as assumed).
    """
    rows = register
    if categories is not None:
        rows = rows[rows["category"].isin(list(categories))]
    precision = rows["location_precision"].astype("string").fillna("")
    if located_only:
        keep = precision.isin(_POINT_PRECISIONS).to_numpy(dtype=bool, copy=True)
        if "confidential" in rows.columns:
            keep &= ~rows["confidential"].map(_truthy).to_numpy(dtype=bool)
        rows, precision = rows[keep], precision[keep]
    basis = rows["hours_basis"].astype("string").fillna("")
    assumed = ~basis.str.strip().str.startswith("published:")
    recorded = rows["confidence"] if "confidence" in rows.columns else [None] * len(rows)
    derived = [
        rule_confidence(p, b) if c is None or pd.isna(c) else str(c)
        for p, b, c in zip(precision, basis, recorded, strict=True)
    ]
    counts = pd.Series(derived, dtype="object").value_counts()
    return EvidenceBasis(
        records=len(rows),
        assumed_hours=int(assumed.sum()),
        town_level=int((precision == "town").sum()),
        confidence={c: int(counts.get(c, 0)) for c in CONFIDENCE_LEVELS},
    )
