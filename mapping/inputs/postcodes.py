"""Postcodes: normalise them and look them up in OS Code-Point Open."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mapping.caching import Cache
from mapping.inputs.sources import Sources
from mapping.store import artifact_is_fresh, build_artifact, build_key, default_data_dir
from mapping.study_area import to_lonlat

_POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def normalise_postcode(text: str) -> str:
    """Return a UK postcode in its usual form (``"pr29ht"`` -> ``"PR2 9HT"``).

    Raises
    ------
    ValueError
        If ``text`` is not shaped like a UK postcode.
    """
    compact = re.sub(r"\s+", "", str(text)).upper()
    match = _POSTCODE_RE.match(compact)
    if not match:
        raise ValueError(f"{text!r} is not a UK postcode (e.g. 'PR2 9HT')")
    return f"{match.group(1)} {match.group(2)}"


def _postcode_area(postcode: str) -> str:
    return re.match(r"[A-Z]+", postcode).group(0)  # type: ignore[union-attr]


# Code-Point areas already read, keyed by the zip's identity: validation runs often
# (tests, the app) and always needs the same few areas.
_AREA_CACHE: Cache[tuple[str, int, int, str], pd.DataFrame] = Cache(maxsize=32)


def _read_area(sources: Sources, area: str) -> pd.DataFrame:
    path = sources.path("codepoint")
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, area)

    def read() -> pd.DataFrame:
        return _area_units(sources, area)

    return _AREA_CACHE.get(key, read)


#: Code-Point areas as built binary files (under the data folder), one per area read,
#: keyed by the zip's checksum: a start reads them instead of the zip's CSVs.
AREA_DIR = Path("postcodes") / "codepoint_areas"


def _area_units(sources: Sources, area: str) -> pd.DataFrame:
    """One postcode area's units, indexed by the postcode without spaces (upper case).

    From the built file when it is intact and was built from this zip; else read from
    the zip (one vectorised pass over the area's tens of thousands of units) and the
    file rebuilt. A read-only data folder is not an error: the units are used as read.
    """
    dest = default_data_dir() / AREA_DIR / f"{area.upper()}.npz"
    inputs = {"codepoint_sha256": sources.checksum("codepoint"), "area": area.upper()}
    if artifact_is_fresh(dest, build_key(inputs)):
        with np.load(dest, allow_pickle=False) as built:
            return pd.DataFrame(
                {
                    "easting": built["easting"],
                    "northing": built["northing"],
                    "district_code": built["district_code"].astype(object),
                },
                index=pd.Index(built["compact"].astype(object), name="compact"),
            )
    table = sources.read_codepoint(areas=[area])
    compact = table["postcode"].astype(str).str.replace(" ", "", regex=False).str.upper()
    units = table.assign(compact=compact).set_index("compact")[
        ["easting", "northing", "district_code"]
    ]

    def write(tmp: Path) -> dict[str, int]:
        with open(tmp, "wb") as handle:
            np.savez(
                handle,
                compact=units.index.to_numpy(object).astype("U"),
                easting=units["easting"].to_numpy(np.int64),
                northing=units["northing"].to_numpy(np.int64),
                district_code=units["district_code"].astype(str).to_numpy(object).astype("U"),
            )
        return {"units": len(units)}

    with contextlib.suppress(OSError):
        build_artifact(dest, inputs, write, force=True)
    return units


def _canonical_or_none(text: Any) -> str | None:
    try:
        return normalise_postcode(text)
    except ValueError:
        return None


def lookup_postcodes(postcodes: Iterable[str], sources: Sources) -> pd.DataFrame:
    """Look postcodes up in OS Code-Point Open, reading only the areas they fall in.

    Parameters
    ----------
    postcodes
        Postcodes in any case and spacing; ones not shaped like a postcode are ignored.
    sources
        The located raw sources (see :func:`mapping.inputs.sources.locate_sources`).

    Returns
    -------
    pandas.DataFrame
        Indexed by normalised postcode, one row per postcode found: ``easting``,
        ``northing`` (EPSG:27700), ``district_code`` (ONS LAD code), ``lon``, ``lat``
        (WGS84, 6 decimal places). Postcodes not in Code-Point Open are absent.

    Raises
    ------
    mapping.inputs.sources.SourceError
        If the Code-Point zip is missing or unreadable.
    """
    wanted = sorted({pc for pc in map(_canonical_or_none, postcodes) if pc is not None})
    canonical = {pc.replace(" ", ""): pc for pc in wanted}
    frames = []
    for area in sorted({_postcode_area(pc) for pc in wanted}):
        table = _read_area(sources, area)
        rows = table.loc[table.index.intersection(list(canonical))]
        frames.append(rows.set_axis(rows.index.map(canonical), axis=0))
    if frames:
        found = pd.concat(frames)
    else:
        found = pd.DataFrame(
            {
                "easting": pd.Series(dtype="int64"),
                "northing": pd.Series(dtype="int64"),
                "district_code": pd.Series(dtype="object"),
            }
        )
    found = found[~found.index.duplicated()].copy()
    found.index.name = "postcode"
    lon, lat = to_lonlat(found["easting"].to_numpy(float), found["northing"].to_numpy(float))
    found["lon"] = np.round(np.asarray(lon, dtype=float), 6)
    found["lat"] = np.round(np.asarray(lat, dtype=float), 6)
    return found
