"""How old a register record's verification is: one rule for the register and the gap rules.

A record is stale when its ``verified_on`` is *more than* ``months`` calendar months before
the as-of date. Months are added to the verification date and clamped to the month's end
(31 January plus one month is 28 February), so "exactly twelve months old" is still fresh
and a day more is stale. :func:`stale_mask` (the register, the app's services page) and
:func:`verification_age` (the stale-record gap rule's evidence and severity) both follow
this rule, so a stale record's evidence always reads as more than the limit.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

__all__ = ["stale_mask", "verification_age"]


def verification_age(verified: date, as_of: date) -> tuple[int, int]:
    """Whole calendar months and remaining days from ``verified`` to ``as_of``.

    ``months`` is the largest ``m`` with ``verified + m months <= as_of`` (month ends
    clamped, as :class:`pandas.DateOffset` does); ``days`` is what is left over. A
    record is stale for a limit of ``L`` months exactly when ``(months, days) > (L, 0)``.

    Examples
    --------
    >>> verification_age(date(2025, 1, 31), date(2026, 2, 28))
    (13, 0)
    >>> verification_age(date(2025, 11, 21), date(2026, 11, 22))
    (12, 1)
    """
    start, end = pd.Timestamp(verified), pd.Timestamp(as_of)
    if end < start:
        return 0, 0
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and start + pd.DateOffset(months=months) > end:
        months -= 1
    anniversary = start + pd.DateOffset(months=months)
    return months, int((end - anniversary).days)


def stale_mask(register: pd.DataFrame, as_of: date | None = None, months: int = 12) -> pd.Series:
    """True for records whose ``verified_on`` is more than ``months`` before ``as_of``.

    A record without a readable date counts as stale: nobody has verified it. Months
    are calendar months added to the verification date and clamped to the month's end
    (29 February plus 12 months is 28 February), the rule :func:`verification_age`
    follows.

    Parameters
    ----------
    register
        The register (any frame with a ``verified_on`` column).
    as_of
        The date staleness is measured from (default: today).
    months
        How old a verification may be before the record is stale.
    """
    as_of_stamp = pd.Timestamp(as_of or date.today())
    verified = pd.to_datetime(register["verified_on"], errors="coerce")
    due = verified + pd.DateOffset(months=months)
    return (verified.isna() | (due < as_of_stamp)).rename("stale")
