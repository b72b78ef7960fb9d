"""Read point CSVs (``id`` + ``postcode`` or ``lon``/``lat``) with row-level problems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mapping.errors import ServiceMapError
from mapping.inputs.tables import column_index, data_rows, parse_number, read_table


@dataclass
class Points:
    ids: list[str]
    xy: np.ndarray
    rows: list[int]
    fields: list[str]


def read_points(path: Path, problems: list[str], postcode_xy: Any) -> Points:
    """Read an ``id`` + (``postcode`` | ``lon``,``lat``) CSV; bad rows go to ``problems``.

    Returns the usable rows, in file order, with EPSG:27700 coordinates.
    """
    header, records = read_table(path)
    col = column_index(header)
    has_postcode = "postcode" in col
    has_lonlat = "lon" in col and "lat" in col
    if "id" not in col or not (has_postcode or has_lonlat):
        found = ", ".join(h for h in header if h) or "nothing"
        raise ServiceMapError(
            f"{path}: needs an 'id' column and either a 'postcode' column or 'lon' and "
            f"'lat' columns (WGS84 degrees); found: {found}"
        )

    found_at: dict[str, int] = {}
    located: list[tuple[int, str, str, tuple[float, float]]] = []  # row, id, field, lon/lat
    pending: list[tuple[int, str, str]] = []  # row, id, postcode
    for record in data_rows(records, col):
        row, cells = record.number, record.cells
        if len(cells) > len(header):
            problems.append(
                f"{path}:{row}:-: {len(cells)} cells but the header has {len(header)} columns"
            )
            continue
        ident = record["id"]
        if not ident:
            problems.append(f"{path}:{row}:id: empty id")
            continue
        if ident in found_at:
            first = found_at[ident]
            problems.append(f"{path}:{row}:id: duplicate id {ident!r} (first on row {first})")
            continue
        lon_text, lat_text = record["lon"], record["lat"]
        postcode = record["postcode"]
        if has_lonlat and (lon_text or lat_text):
            lon, lat = parse_number(lon_text), parse_number(lat_text)
            if lon is None or not -180 <= lon <= 180:
                problems.append(f"{path}:{row}:lon: {lon_text!r} is not a longitude in degrees")
                continue
            if lat is None or not -90 <= lat <= 90:
                problems.append(f"{path}:{row}:lat: {lat_text!r} is not a latitude in degrees")
                continue
            found_at[ident] = row
            located.append((row, ident, "lon,lat", (lon, lat)))
        elif postcode:
            found_at[ident] = row
            pending.append((row, ident, postcode))
        else:
            field_name = "postcode" if has_postcode else "lon,lat"
            problems.append(f"{path}:{row}:{field_name}: no location given")

    entries: list[tuple[int, str, str, tuple[float, float]]] = []
    if located:
        from mapping.study_area import to_27700

        lonlat = np.array([e[3] for e in located], dtype=float)
        east, north = to_27700(lonlat[:, 0], lonlat[:, 1])
        for (row, ident, fld, _), x, y in zip(located, east, north, strict=True):
            entries.append((row, ident, fld, (float(x), float(y))))
    if pending:
        # One lookup for the whole file: it reads each postcode area only once.
        where = postcode_xy([p for _, _, p in pending])
        for row, ident, postcode in pending:
            answer = where.get(postcode)
            if isinstance(answer, str):
                problems.append(f"{path}:{row}:postcode: {answer}")
            elif answer is None:
                problems.append(f"{path}:{row}:postcode: unknown postcode {postcode!r}")
            else:
                entries.append((row, ident, "postcode", answer))
    entries.sort(key=lambda e: e[0])
    return Points(
        ids=[e[1] for e in entries],
        xy=np.array([e[3] for e in entries], dtype=float).reshape(-1, 2),
        rows=[e[0] for e in entries],
        fields=[e[2] for e in entries],
    )


def postcode_resolver(sources: Any) -> Any:
    """Return ``f(postcodes) -> {postcode as given: (easting, northing) | message}``.

    Postcodes are looked up in OS Code-Point Open through the services module; a
    malformed postcode maps to a message, an unknown one is absent.
    """

    def resolve(postcodes: list[str]) -> dict[str, tuple[float, float] | str]:
        from mapping.inputs.postcodes import lookup_postcodes, normalise_postcode
        from mapping.inputs.sources import locate_sources

        out: dict[str, tuple[float, float] | str] = {}
        canonical: dict[str, str] = {}
        for given in postcodes:
            try:
                canonical[given] = normalise_postcode(given)
            except ValueError:
                out[given] = f"{given!r} is not shaped like a UK postcode (e.g. 'PR2 9HT')"
        if canonical:
            located = sources if hasattr(sources, "read_codepoint") else locate_sources(sources)
            table = lookup_postcodes(sorted(set(canonical.values())), located)
            for given, key in canonical.items():
                if key in table.index:
                    hit = table.loc[key]
                    out[given] = (float(hit["easting"]), float(hit["northing"]))
        return out

    return resolve
