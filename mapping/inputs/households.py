"""Households without a car (Census 2021 TS045) and the rural/urban class of each LSOA.

Two raw files of the sources folder (see its README):

``census-2021/census2021-ts045-lsoa.csv``
    ONS Census 2021 TS045 "Car or van availability", the Nomis bulk file unchanged:
    households by the number of cars or vans they have, per LSOA 2021 in England and
    Wales. ONS perturbs small counts, so sums over LSOAs differ slightly from published
    totals.
``ons-rural-urban/ruc21_lsoa21_ew.csv``
    ONS 2021 Rural Urban Classification of every LSOA 2021 (``ruc21_code``, its
    ``classification`` and the broad ``ruc``: Urban or Rural).
"""

from __future__ import annotations

import pandas as pd

from mapping.inputs.sources import SourceError, Sources, _require_columns, _whole_numbers

__all__ = ["RURAL_URBAN", "TS045_COLUMNS", "read_car_availability", "read_rural_urban"]

#: Published TS045 headers we read, and the names they are given here.
TS045_COLUMNS: dict[str, str] = {
    "geography code": "lsoa21_code",
    "Number of cars or vans: Total: All households": "households",
    "Number of cars or vans: No cars or vans in household": "no_car_households",
}

#: The broad classes of the 2021 Rural Urban Classification, in the order shown.
RURAL_URBAN: tuple[str, ...] = ("Urban", "Rural")


def read_car_availability(sources: Sources) -> pd.DataFrame:
    """Households and households with no car or van, per LSOA 2021 (TS045).

    Returns
    -------
    pandas.DataFrame
        ``lsoa21_code``, ``households`` and ``no_car_households`` (integers).

    Raises
    ------
    SourceError
        Naming the file (and row and column for a bad count) when it is missing,
        corrupt, not in the published layout or has a repeated LSOA.
    """
    path = sources.path("cars_ts045")
    try:
        table = pd.read_csv(path, dtype={"geography code": "string"})
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: unreadable car availability table ({exc})") from exc
    _require_columns(table, path, list(TS045_COLUMNS))
    table = table[list(TS045_COLUMNS)].rename(columns=TS045_COLUMNS)
    table["lsoa21_code"] = table["lsoa21_code"].str.strip()
    for column in ("households", "no_car_households"):
        table[column] = _whole_numbers(table[column], path, column)
    _unique(table, path)
    return table


def read_rural_urban(sources: Sources) -> pd.DataFrame:
    """The 2021 Rural Urban Classification of every LSOA 2021.

    Returns
    -------
    pandas.DataFrame
        ``lsoa21_code``, ``ruc21_code``, ``ruc21_name`` (the classification's words) and
        ``rural_urban`` (``Urban`` or ``Rural``).
    """
    path = sources.path("ruc21")
    try:
        table = pd.read_csv(path, dtype="string")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: unreadable rural urban classification ({exc})") from exc
    _require_columns(table, path, ["lsoa21_code", "ruc21_code", "classification", "ruc"])
    table = table.rename(columns={"classification": "ruc21_name", "ruc": "rural_urban"})
    table = table[["lsoa21_code", "ruc21_code", "ruc21_name", "rural_urban"]].copy()
    for column in table.columns:
        table[column] = table[column].str.strip()
    bad = ~table["rural_urban"].isin(RURAL_URBAN)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        value = table["rural_urban"].iloc[row]
        raise SourceError(f"{path}:{row + 2}:ruc: {value!r} is not Urban or Rural")
    _unique(table, path)
    return table


def _unique(table: pd.DataFrame, path: object) -> None:
    repeated = table["lsoa21_code"].duplicated()
    if repeated.any():
        row = int(repeated.to_numpy().nonzero()[0][0])
        code = table["lsoa21_code"].iloc[row]
        raise SourceError(f"{path}:{row + 2}:lsoa21_code: LSOA {code} appears twice")
