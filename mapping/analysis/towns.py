"""Candidate sites for new services: the centres of towns and larger settlements.

There is no gazetteer offline, so settlements are derived from the data:

1. origins (population-weighted postcode points) less than :data:`LINK_M` (200 m) apart
   are linked into built-up areas: ONS builds its built-up areas by merging built-up
   land less than 200 m apart;
2. an area that spans several council areas is split at their boundaries, so that
   Blackburn, Accrington and Burnley (or Preston and Leyland) stay apart;
3. every part with at least :data:`TOWN_MIN_RESIDENTS` (5,000) residents is a
   settlement: the lower bound of a town in ONS, "Understanding towns in England and
   Wales" (2019);
4. its candidate site is the Lancashire postcode unit nearest its population-weighted
   centre, named by the unit's ward and council area.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["LINK_M", "TOWN_MIN_RESIDENTS", "settlement_candidates"]

#: Origins closer than this are one built-up area (ONS's 200 m built-up-land rule).
LINK_M = 200.0
#: Fewest residents of a settlement offered as a candidate (ONS: towns from 5,000).
TOWN_MIN_RESIDENTS = 5_000


def settlement_candidates(
    origins: pd.DataFrame,
    postcodes: pd.DataFrame,
    *,
    ward_names: Mapping[str, str] | None = None,
    area_names: Mapping[str, str] | None = None,
    link_m: float = LINK_M,
    min_residents: float = TOWN_MIN_RESIDENTS,
) -> pd.DataFrame:
    """Candidate sites at the centres of towns and larger settlements (module notes).

    Parameters
    ----------
    origins
        Population-weighted origins: ``easting``, ``northing``, ``population``,
        ``lad_code``.
    postcodes
        Postcode units: ``postcode``, ``easting``, ``northing``, ``lon``, ``lat``,
        ``ward_code`` and ``in_lancashire``.
    ward_names, area_names
        ``{code: name}`` of wards and council areas, for the candidates' names.
    link_m, min_residents
        The built-up-area link distance and the smallest settlement.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``postcode``, ``easting``, ``northing``, ``lon``, ``lat``,
        ``residents`` (of the settlement), largest settlement first.
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    xy = origins[["easting", "northing"]].to_numpy(float)
    pairs = cKDTree(xy).query_pairs(link_m, output_type="ndarray")
    links = sp.coo_matrix(
        (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(xy), len(xy))
    )
    _, label = connected_components(links, directed=False)
    people = origins["population"].to_numpy(float)
    parts = (
        pd.DataFrame(
            {
                "area": label,
                "lad_code": origins["lad_code"].to_numpy(),
                "residents": people,
                "wx": xy[:, 0] * people,
                "wy": xy[:, 1] * people,
            }
        )
        .groupby(["area", "lad_code"], as_index=False)
        .sum()
    )
    parts = parts[parts["residents"] >= min_residents].copy()
    parts["cx"] = parts["wx"] / parts["residents"]
    parts["cy"] = parts["wy"] / parts["residents"]
    units = postcodes[postcodes["in_lancashire"].astype(bool)].reset_index(drop=True)
    _, nearest = cKDTree(units[["easting", "northing"]].to_numpy(float)).query(
        parts[["cx", "cy"]].to_numpy(float)
    )
    picked = units.iloc[np.asarray(nearest, dtype=int)].reset_index(drop=True)
    wards, areas = dict(ward_names or {}), dict(area_names or {})
    names = [
        f"{wards.get(w, w)}, {areas.get(a, a)} ({p})"
        for w, a, p in zip(picked["ward_code"], parts["lad_code"], picked["postcode"], strict=True)
    ]
    out = pd.DataFrame(
        {
            "name": names,
            "postcode": picked["postcode"].to_numpy(),
            "easting": picked["easting"].to_numpy(float),
            "northing": picked["northing"].to_numpy(float),
            "lon": picked["lon"].to_numpy(float),
            "lat": picked["lat"].to_numpy(float),
            "residents": parts["residents"].to_numpy(float),
        }
    )
    out = out.drop_duplicates("postcode")
    return out.sort_values("residents", ascending=False, kind="mergesort").reset_index(drop=True)
