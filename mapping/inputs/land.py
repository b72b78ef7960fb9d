"""Is a point where people live, or at sea? Judged against OS Code-Point Open.

A register point inside the register's latitude/longitude box can still be in the
Irish Sea (53.9, -3.6 passed before issue 8). The ONS boundaries among the sources
cover Lancashire only, and the register legitimately holds SARCs over the border as far
as Leeds and York, so land is judged by the one source that covers all of Great Britain:
every address has a postcode unit in Code-Point Open. A point counts as on land when a
postcode unit lies within :data:`LAND_BUFFER_M` of it. A service site is at an address
and a town-precision point is a town centre, so a real site always passes; a point at
sea (or in the middle of an empty moor, where no service sits) does not.

The units of the register's extent are read from the zip once (about 1 s), kept as a
built file keyed by the zip's checksum (``data/land/codepoint_units.npy``, 8 MB, read in
milliseconds by every later process), and put in a k-d tree
(:class:`scipy.spatial.cKDTree`) once per process and version of the zip. When the data
folder cannot be written, the units are read from the zip in every process instead.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from mapping.inputs.sources import SourceError, Sources, _codepoint_headers
from mapping.store import artifact_is_fresh, build_artifact, build_key, default_data_dir
from mapping.study_area import to_27700

__all__ = ["LAND_BUFFER_M", "LAND_EXTENT_27700", "near_land", "points_at_sea"]

#: Largest distance from a point to the nearest postcode unit for it to count as on land.
#: Town-centre points are about ±1 km; 2 km keeps every coastal town centre and pier
#: (Blackpool, Fleetwood, Morecambe) and rejects the sea a few km out.
LAND_BUFFER_M = 2_000.0

#: (minx, miny, maxx, maxy), EPSG:27700, of the units read: the register extent
#: (lon -3.8…-0.5, lat 53.0…55.2, see ``mapping.inputs.register``; in EPSG:27700 about
#: 279,300…500,800 E, 344,700…591,000 N) with a margin of more than
#: :data:`LAND_BUFFER_M`. A point outside it is never near land here, and the register
#: rejects it as outside its extent anyway.
LAND_EXTENT_27700: tuple[float, float, float, float] = (270_000.0, 335_000.0, 510_000.0, 600_000.0)


#: The built file of the units read (inside the data folder).
UNITS_FILE = Path("land") / "codepoint_units.npy"


def _read_units(path: str) -> np.ndarray:
    """Eastings and northings (float, n x 2) of every unit in :data:`LAND_EXTENT_27700`."""
    x0, y0, x1, y1 = LAND_EXTENT_27700
    parts: list[np.ndarray] = []
    with zipfile.ZipFile(path) as archive:
        headers = _codepoint_headers(archive)
        columns = [headers.index("Eastings"), headers.index("Northings")]
        for name in archive.namelist():
            if not (name.startswith("Data/CSV/") and name.endswith(".csv")):
                continue
            with archive.open(name) as handle:
                table = pd.read_csv(handle, header=None, usecols=columns, dtype="int64")
            xy = table.to_numpy(dtype=float)
            inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
            parts.append(xy[inside])
    return np.concatenate(parts) if parts else np.empty((0, 2))


def _units(path: str, checksum: str, data_dir: Path) -> np.ndarray:
    """The units, from the built file when it is intact and fresh, else from the zip.

    A build record that does not match (truncated, altered, another zip) is not
    trusted: the units are read from the zip again and the file rebuilt.
    """
    dest = data_dir / UNITS_FILE
    inputs = {"codepoint_sha256": checksum, "extent_27700": list(LAND_EXTENT_27700)}
    if artifact_is_fresh(dest, build_key(inputs)):
        units = np.load(dest, allow_pickle=False)
        if units.ndim == 2 and units.shape[1] == 2:
            return np.asarray(units, dtype=float)
    units = _read_units(path)

    def write(tmp: Path) -> dict[str, int]:
        with open(tmp, "wb") as handle:
            np.save(handle, units, allow_pickle=False)
        return {"units": len(units)}

    with contextlib.suppress(OSError):  # a read-only data folder: used from memory
        build_artifact(dest, inputs, write, force=True)
    return units


@lru_cache(maxsize=2)
def _tree(path: str, checksum: str, data_dir: str) -> cKDTree:
    # Unbalanced, uncompacted: built about three times faster at start-up, same answers.
    return cKDTree(_units(path, checksum, Path(data_dir)), balanced_tree=False, compact_nodes=False)


def near_land(easting: ArrayLike, northing: ArrayLike, sources: Sources) -> np.ndarray:
    """Whether each point lies within :data:`LAND_BUFFER_M` of a postcode unit.

    Parameters
    ----------
    easting, northing
        Points in EPSG:27700.
    sources
        The located raw sources (for the Code-Point Open zip).

    Returns
    -------
    numpy.ndarray
        Booleans, one per point.

    Raises
    ------
    mapping.inputs.sources.SourceError
        If the Code-Point zip is missing or unreadable.
    """
    path = Path(sources.path("codepoint"))
    try:
        tree = _tree(str(path), sources.checksum("codepoint"), str(default_data_dir()))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SourceError(f"{path}: not a readable Code-Point Open zip ({exc})") from exc
    xy = np.column_stack([np.atleast_1d(easting), np.atleast_1d(northing)]).astype(float)
    if len(xy) == 0 or tree.n == 0:
        return np.zeros(len(xy), dtype=bool)
    distance, _ = tree.query(xy, distance_upper_bound=LAND_BUFFER_M)
    return np.isfinite(distance)


def points_at_sea(
    points: Sequence[tuple[int, float, float]], sources: Sources
) -> list[tuple[int, str]]:
    """The ``(key, message)`` of each ``(key, lon, lat)`` point not near land.

    Points outside :data:`LAND_EXTENT_27700` are not judged here (the register reports
    them as outside its extent).

    Raises
    ------
    mapping.inputs.sources.SourceError
        If the Code-Point zip is missing or unreadable.
    """
    if not points:
        return []
    lonlat = np.array([(lon, lat) for _, lon, lat in points], dtype=float)
    x, y = (np.asarray(v, dtype=float) for v in to_27700(lonlat[:, 0], lonlat[:, 1]))
    x0, y0, x1, y1 = LAND_EXTENT_27700
    judged = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    on_land = near_land(x, y, sources) | ~judged
    return [
        (
            key,
            f"point ({lat}, {lon}) is at sea or far from any address: no postcode unit lies "
            f"within {LAND_BUFFER_M / 1000:g} km of it (OS Code-Point Open); check lat and lon "
            "(swapped, or a sign or digit lost?)",
        )
        for (key, lon, lat), ok in zip(points, on_land, strict=True)
        if not ok
    ]
