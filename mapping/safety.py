"""Formula safety for every table the tool writes (OWASP "CSV injection").

Base layer: the OD matrix (routing), the exports (outputs) and the app's downloads all
write through :func:`safe_frame`, so one rule covers every CSV, XLSX, GeoPackage and
GeoParquet the tool writes.
"""

from __future__ import annotations

import unicodedata
from typing import TypeVar

import pandas as pd

from mapping.errors import ServiceMapError

# "|" starts a DDE call in some spreadsheets ("|cmd '/C calc'!A0").
_FORMULA_START = ("=", "+", "-", "@", "|")

# Tab and carriage return start a cell that some spreadsheets re-parse (OWASP).
_CONTROL_START = ("\t", "\r")


def _visible_start(value: str) -> str:
    """The text a spreadsheet sees first: NFKC-folded, without invisible leading marks.

    NFKC folds look-alikes such as the fullwidth "＝" (U+FF1D), "＋" and the small "﹦"
    (U+FE66) to "=" and "+"; format characters (category Cf: zero-width space, joiners,
    BOM, bidi marks) and whitespace in front are skipped, as a spreadsheet would.
    """
    folded = unicodedata.normalize("NFKC", value)
    index = 0
    while index < len(folded) and (
        folded[index].isspace() or unicodedata.category(folded[index]) in ("Cf", "Cc", "Zs")
    ):
        index += 1
    return folded[index:]


_T = TypeVar("_T")


def neutralise_formula(value: _T) -> _T | str:
    """Return ``value`` made safe to open in a spreadsheet.

    A string that a spreadsheet could evaluate as a formula (first visible character
    ``=``, ``+``, ``-``, ``@`` or ``|``, after NFKC folding of look-alikes such as ``＝``
    and skipping leading whitespace and invisible characters, or a leading tab or
    carriage return) is prefixed with a single quote ``'`` so it is shown as text. Anything that
    is not a string (numbers, including negative ones; dates; missing values) is
    returned unchanged, and so is an already neutralised string.

    Parameters
    ----------
    value
        A cell value.

    Returns
    -------
    object
        ``value`` itself, or ``"'" + value`` for a formula-like string.

    Examples
    --------
    >>> neutralise_formula('=HYPERLINK("x")')
    '\\'=HYPERLINK("x")'
    >>> neutralise_formula(-5)
    -5
    """
    if not isinstance(value, str):
        return value
    if value.startswith(_CONTROL_START) or _visible_start(value).startswith(_FORMULA_START):
        return "'" + value
    return value


def _is_text_column(series: pd.Series) -> bool:
    dtype = series.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with every text cell and column name neutralised.

    See :func:`neutralise_formula`. Numeric, boolean, date and geometry columns are left
    as they are; text columns keep their missing values.

    Parameters
    ----------
    df
        Any table (a GeoDataFrame stays one).

    Returns
    -------
    pandas.DataFrame
        A new frame of the same type.
    """
    out = df.copy()
    geometry_name = getattr(out, "_geometry_column_name", None)
    for column in out.columns:
        if column == geometry_name or not _is_text_column(out[column]):
            continue
        values = out[column].astype(object)
        out[column] = values.map(neutralise_formula, na_action="ignore")
    renamed = {c: neutralise_formula(c) for c in out.columns if isinstance(c, str)}
    renamed = {old: new for old, new in renamed.items() if old != new}
    if renamed:
        if geometry_name in renamed:
            raise ServiceMapError(f"geometry column {geometry_name!r} looks like a formula")
        out = out.rename(columns=renamed)
    return out
