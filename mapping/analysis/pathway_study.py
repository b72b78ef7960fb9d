"""Pathways for a victim at home: where the home is, and the drive to each service.

:func:`victim_pathways` is what :meth:`mapping.Study.pathways` runs: it finds the home's
LSOA (from a postcode or an LSOA code), takes the drive minutes from that LSOA's
population-weighted origin to every service with a site on the road network (the
study's travel engine, at the speed profile of the hour), and lists every pathway
(:mod:`mapping.analysis.pathways`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mapping.analysis.pathways import Pathway, find_pathways, pathways_frame, single_points
from mapping.errors import ServiceMapError
from mapping.inputs.needs import Need, find_need, load_needs
from mapping.inputs.routes import Route, load_routes
from mapping.inputs.when import TimeSlot, moment_of, resolve_slot
from mapping.network.profiles import profile_for

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel


__all__ = ["PathwayResult", "home_origin", "victim_pathways"]


@dataclass(frozen=True)
class PathwayResult:
    """Every way in for one victim.

    Attributes
    ----------
    need, age, slot
        Who and when.
    home
        The home as given; ``lsoa`` the LSOA its drive times start from.
    pathways
        The :class:`~mapping.analysis.pathways.Pathway` objects.
    table
        :func:`~mapping.analysis.pathways.pathways_frame` of them, with drive minutes.
    single_points
        Services every usable pathway passes through.
    note
        How the home was placed when its postcode is not in Code-Point Open.
    """

    need: Need
    age: int
    slot: TimeSlot
    home: str
    lsoa: str
    pathways: tuple[Pathway, ...]
    table: pd.DataFrame
    single_points: tuple[str, ...]
    note: str = ""

    @property
    def open_without_police(self) -> bool:
        """Whether some pathway is open now without starting with the police."""
        return any(p.open and p.route != "police" for p in self.pathways)


def home_origin(study: CoverageModel, home: str) -> tuple[int, str, str]:
    """The origin row, LSOA code and a note (how the home was placed) for a postcode or LSOA code.

    Raises
    ------
    ServiceMapError
        For a postcode not in the study area or an unknown LSOA code.
    """
    from mapping.geography import load_postcodes
    from mapping.inputs.postcodes import normalise_postcode

    origins = study.origins
    note = ""
    text = str(home).strip()
    codes = origins["lsoa21_code"].astype(str)
    if text.upper() in set(codes):
        lsoa = text.upper()
    else:
        try:
            postcode = normalise_postcode(text)
        except ValueError:
            raise ServiceMapError(
                f"home {text!r} is neither a postcode (e.g. 'BB11 1JA') nor an LSOA code (E01...)"
            ) from None
        table = load_postcodes(study.data_dir)
        hit = table[table["postcode"] == postcode]
        if hit.empty:
            # A postcode Code-Point Open lacks (new, retired, or a large user's): the
            # centre of the units that share all but its last letter, said in the note.
            hit = table[table["postcode"].str.startswith(postcode[:-1])]
            if hit.empty:
                raise ServiceMapError(
                    f"postcode {postcode} is not in the study area's Code-Point Open units"
                )
            note = (
                f"{postcode} is not in OS Code-Point Open: the home is placed at the centre "
                f"of the {len(hit)} postcode units {postcode[:-1]}*."
            )
            hit = hit[["easting", "northing"]].astype(float).mean().to_frame().T
        import geopandas as gpd

        lsoas = study.data.boundaries("lsoa")
        point = gpd.GeoSeries(
            gpd.points_from_xy(hit["easting"].astype(float), hit["northing"].astype(float)),
            crs=lsoas.crs,
        )
        inside = lsoas[lsoas.contains(point.iloc[0])]
        if inside.empty:
            raise ServiceMapError(f"postcode {postcode} is outside Lancashire's LSOAs")
        lsoa = str(inside.iloc[0]["lsoa21_code"])
    rows = np.flatnonzero(codes.to_numpy() == lsoa)
    if not len(rows):
        raise ServiceMapError(f"no origin for LSOA {lsoa} in the study")
    return int(rows[0]), lsoa, note


def service_minutes(
    study: CoverageModel, row: int, service_ids: list[str], at: TimeSlot
) -> dict[str, float]:
    """Drive minutes from origin ``row`` to each routable service of ``service_ids``."""
    engine = study.engine
    routable = [s for s in service_ids if s in set(engine.service_ids)]
    if not routable:
        return {}
    block = engine.minutes_to(routable, profile_for(moment_of(at)))
    out = {}
    for sid, value in zip(routable, block[:, row], strict=True):
        if np.isfinite(value):
            out[sid] = float(value)
    return out


def victim_pathways(
    study: CoverageModel,
    need: str | Need,
    age: int,
    at: str | TimeSlot,
    home: str,
    *,
    routes: list[Route] | None = None,
) -> PathwayResult:
    """Every way in for a victim (see :meth:`mapping.Study.pathways`)."""
    if isinstance(need, str):
        need = find_need(need, load_needs())
    if not 0 <= int(age) <= 120:
        raise ServiceMapError(f"age {age} must be a whole number of years from 0 to 120")
    slot = resolve_slot(at)
    register = study.effective_register()
    if routes is None:
        routes = load_routes()  # routes into ids not in this register are left out
    found = find_pathways(register, routes, need, int(age), moment_of(slot))
    row, lsoa, note = home_origin(study, home)
    on_paths = sorted({s for p in found for s in p.services})
    minutes = service_minutes(study, row, on_paths, slot)
    names = dict(zip(register["id"].astype(str), register["name"].astype(str), strict=True))
    return PathwayResult(
        need=need,
        age=int(age),
        slot=slot,
        home=str(home),
        lsoa=lsoa,
        pathways=tuple(found),
        table=pathways_frame(found, names, minutes),
        single_points=tuple(single_points(found)),
        note=note,
    )
