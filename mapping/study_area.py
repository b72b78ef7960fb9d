"""The study area: Lancashire plus the corridors to Manchester, Merseyside and Cumbria.

Postcodes, the offline road network and snapping all use this one extent, so a service
over the border (Saint Mary's in Manchester, the Bridgeway in Penrith, Liverpool) is
reachable on the same graph as Lancashire's own origins.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from numpy.typing import ArrayLike
from pyproj import Transformer

__all__ = [
    "ANALYSIS_CRS",
    "MAP_CRS",
    "STUDY_AREA_LONLAT",
    "study_area_bbox_27700",
    "to_27700",
    "to_lonlat",
]

#: British National Grid, metres: every analysis geometry is stored in it.
ANALYSIS_CRS = "EPSG:27700"
#: WGS84 longitude/latitude: what web maps draw.
MAP_CRS = "EPSG:4326"

#: (min lon, min lat, max lon, max lat) of the study area.
STUDY_AREA_LONLAT: tuple[float, float, float, float] = (-3.3, 53.3, -2.0, 54.95)


@cache
def _to_bng() -> Transformer:
    return Transformer.from_crs(MAP_CRS, ANALYSIS_CRS, always_xy=True)


@cache
def _to_wgs() -> Transformer:
    return Transformer.from_crs(ANALYSIS_CRS, MAP_CRS, always_xy=True)


def to_27700(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Project longitude/latitude (EPSG:4326) to easting/northing (EPSG:27700)."""
    return _to_bng().transform(lon, lat)


def to_lonlat(easting: ArrayLike, northing: ArrayLike) -> tuple[Any, Any]:
    """Project easting/northing (EPSG:27700) to longitude/latitude (EPSG:4326)."""
    return _to_wgs().transform(easting, northing)


@cache
def study_area_bbox_27700() -> tuple[float, float, float, float]:
    """Return the study area as ``(minx, miny, maxx, maxy)`` in EPSG:27700.

    The lon/lat box is densified before projection so the grid box encloses it fully.
    """
    return _to_bng().transform_bounds(*STUDY_AREA_LONLAT, densify_pts=21)
