"""Plain-English captions of a service map, per service type.

The map's key says what the badges mean; the caption under the map says how many sites
are drawn, how many services have no site to draw (and why that means no drive time),
and how confidential provision is shown instead.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["service_caption"]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def service_caption(register: pd.DataFrame, category: str, label: str, when: str) -> str:
    """Caption of the services of ``category`` on a map of time ``when``.

    Parameters
    ----------
    register
        The register (or its public view): ``category``, ``confidential`` and geometry.
    category
        The register category drawn.
    label
        Its readable name (e.g. ``"SARC (sexual assault referral centre)"``).
    when
        Words for the time shown (e.g. ``"at Saturday 02:00"``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> register = gpd.GeoDataFrame(
    ...     {"category": ["sarc", "sarc", "sarc"], "confidential": [False, False, False]},
    ...     geometry=[Point(0, 0), Point(1, 1), None],
    ... )
    >>> service_caption(register, "sarc", "SARC", "at Saturday 02:00")  # doctest: +ELLIPSIS
    'Markers: 2 SARC sites, filled if open at Saturday 02:00 and hollow if closed. 1 SARC ...'
    """
    rows = register[register["category"] == category]
    confidential = rows["confidential"].astype(bool)
    geometry = rows.geometry
    located = ~confidential & geometry.notna() & ~geometry.is_empty
    siteless = ~confidential & ~located
    short = label.split(" (")[0]
    parts = [
        f"Markers: {_plural(int(located.sum()), f'{short} site', f'{short} sites')}, "
        f"filled if open {when} and hollow if closed."
        if located.any()
        else f"No {short} site is on the map."
    ]
    if siteless.any():
        n = int(siteless.sum())
        parts.append(
            f"{_plural(n, f'{short} service has', f'{short} services have')} no site to "
            "drive to (a telephone line or a county-wide service): not on the map, and no "
            "drive time is computed for them."
        )
    if confidential.any():
        n = int(confidential.sum())
        parts.append(
            f"{_plural(n, f'{short} address is', f'{short} addresses are')} confidential: "
            "shown only as a count per council area (the shaded layer and the council-area "
            "tooltips), never as a point."
        )
    return " ".join(parts)
