"""Named points from a user CSV: candidate sites for new services.

A points file has a ``name`` and either a ``postcode`` or ``lat`` and ``lon`` (WGS84
degrees) per row, for example hospitals or council buildings that could host a new
site::

    name,postcode,lat,lon
    Royal Blackburn Hospital,BB2 3HH,,
    Burnley General Hospital,,53.8055,-2.2300

A row with both uses ``lat``/``lon``. Postcodes are looked up in OS Code-Point Open.
Every problem is reported as ``file:row:field: message`` (the header is row 1), all at
once, and nothing is returned unless every row is usable.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mapping.errors import ServiceMapError
from mapping.inputs.tables import column_index, data_rows, parse_number, read_table

__all__ = ["POINT_COLUMNS", "read_points"]

#: Columns of :func:`read_points`' result.
POINT_COLUMNS: tuple[str, ...] = ("row", "name", "postcode", "easting", "northing", "lon", "lat")
#: Look-up: normalised postcodes -> frame indexed by postcode with easting, northing.
PostcodeLookup = Callable[[list[str]], pd.DataFrame]


def _default_lookup(sources: Any) -> PostcodeLookup:
    def lookup(postcodes: list[str]) -> pd.DataFrame:
        from mapping.inputs.postcodes import lookup_postcodes
        from mapping.inputs.sources import Sources, locate_sources

        located = sources if isinstance(sources, Sources) else locate_sources(sources)
        return lookup_postcodes(postcodes, located)

    return lookup


def read_points(
    path: str | Path,
    *,
    lookup: PostcodeLookup | None = None,
    sources: Any = None,
) -> pd.DataFrame:
    """Read and validate a CSV of named points.

    Parameters
    ----------
    path
        CSV with ``name`` and ``postcode`` or ``lat`` and ``lon``.
    lookup
        Postcode look-up (default: OS Code-Point Open through
        :func:`mapping.inputs.postcodes.lookup_postcodes`).
    sources
        Raw sources folder for the default look-up.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`POINT_COLUMNS`, in file order: the file ``row``, ``name``,
        normalised ``postcode`` (empty for lon/lat rows), ``easting``/``northing``
        (EPSG:27700) and ``lon``/``lat``.

    Raises
    ------
    ServiceMapError
        Listing every problem as ``file:row:field: message``.
    """
    from mapping.inputs.postcodes import normalise_postcode
    from mapping.study_area import to_27700, to_lonlat

    path = Path(path)
    header, records = read_table(path, expected="a header such as 'name,postcode'")
    header = [h.lower() for h in header]
    column = column_index(header)
    has_lonlat = "lon" in column and "lat" in column
    if "name" not in column or not ("postcode" in column or has_lonlat):
        found = ", ".join(h for h in header if h) or "nothing"
        raise ServiceMapError(
            f"{path}:1:name: needs a 'name' column and either 'postcode' or 'lat' and 'lon' "
            f"(WGS84 degrees); found: {found}"
        )
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    for line in data_rows(records, column):
        row = line.number
        name = line["name"]
        if not name:
            problems.append(f"{path}:{row}:name: empty name")
            continue
        if name in names:
            problems.append(f"{path}:{row}:name: {name!r} given twice (first on row {names[name]})")
            continue
        names[name] = row
        lon_text, lat_text, postcode = line["lon"], line["lat"], line["postcode"]
        if lon_text or lat_text:
            lon, lat = parse_number(lon_text), parse_number(lat_text)
            if lat is None or not 49.0 <= lat <= 61.0:
                problems.append(f"{path}:{row}:lat: {lat_text!r} is not a latitude in Britain")
                continue
            if lon is None or not -9.0 <= lon <= 2.5:
                problems.append(f"{path}:{row}:lon: {lon_text!r} is not a longitude in Britain")
                continue
            rows.append({"row": row, "name": name, "postcode": "", "lon": lon, "lat": lat})
        elif postcode:
            try:
                rows.append({"row": row, "name": name, "postcode": normalise_postcode(postcode)})
            except ValueError:
                problems.append(
                    f"{path}:{row}:postcode: {postcode!r} is not shaped like a UK postcode "
                    "(e.g. 'PR2 9HT')"
                )
        else:
            where = "postcode" if "postcode" in column else "lat,lon"
            problems.append(f"{path}:{row}:{where}: no location given")
    wanted = sorted({r["postcode"] for r in rows if r["postcode"]})
    if wanted:
        found_table = (lookup or _default_lookup(sources))(wanted)
        for record in rows:
            code = record["postcode"]
            if not code:
                continue
            if code not in found_table.index:
                problems.append(
                    f"{path}:{record['row']}:postcode: unknown postcode {code!r} "
                    "(not in OS Code-Point Open)"
                )
                continue
            hit = found_table.loc[code]
            record["easting"], record["northing"] = float(hit["easting"]), float(hit["northing"])
    if problems:
        raise ServiceMapError(
            f"{path}: the points file has {len(problems)} problem(s):\n" + "\n".join(problems)
        )
    if not rows:
        raise ServiceMapError(f"{path}: no points; give one row per candidate site")
    frame = pd.DataFrame(rows)
    for name in ("easting", "northing", "lon", "lat"):
        if name not in frame:
            frame[name] = np.nan
    by_lonlat = frame["easting"].isna()
    if by_lonlat.any():
        east, north = to_27700(frame.loc[by_lonlat, "lon"], frame.loc[by_lonlat, "lat"])
        frame.loc[by_lonlat, "easting"] = np.asarray(east, dtype=float)
        frame.loc[by_lonlat, "northing"] = np.asarray(north, dtype=float)
    by_postcode = frame["lon"].isna()
    if by_postcode.any():
        lon, lat = to_lonlat(frame.loc[by_postcode, "easting"], frame.loc[by_postcode, "northing"])
        frame.loc[by_postcode, "lon"] = np.round(np.asarray(lon, dtype=float), 6)
        frame.loc[by_postcode, "lat"] = np.round(np.asarray(lat, dtype=float), 6)
    return frame[list(POINT_COLUMNS)]
