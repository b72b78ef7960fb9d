"""One spelling of a figure: the number formatters and the classes of drive minutes.

Every table, map, report, export and app page formats its figures here, so a share, a
count of people or a drive time reads the same wherever it is shown. Each formatter
takes a number (a float, an int, a numpy or pandas scalar) and treats a missing value
(``None``, ``NaN``, ``pd.NA``) and an infinite one (no service within reach) alike: it
returns the ``missing`` text, blank unless the caller names another (a map tooltip says
"–", a sentence "an unknown share").

The classes of drive minutes (:class:`MinuteClasses`) are the one classification the app
map, the HTML report's map, their legends, the app's charts and the exported tables and
GIS layers share: ``0–15 min``, ``15–30 min``, ... ``over 90 min``, each class including
its upper limit, coloured with viridis (perceptually uniform, readable under the common
colour-vision deficiencies and in greyscale), short drives light and long drives dark.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "NO_DATA_COLOUR",
    "NO_SERVICE",
    "SHARE_EDGES",
    "SHARE_EDGES_WORDS",
    "STANDARD_LIMITS",
    "MinuteClasses",
    "compact",
    "is_missing",
    "minute_classes",
    "minutes",
    "number",
    "people",
    "percent",
    "round_people",
    "share",
    "signed_people",
    "viridis",
]

#: Upper limits (minutes) of the standard classes; the last class, over 90, is open.
STANDARD_LIMITS: tuple[float, ...] = (15.0, 30.0, 45.0, 60.0, 90.0)
#: Label of the class of places with no open service within reach (``NaN`` minutes).
NO_SERVICE = "no open service"
#: Fill of areas with no eligible open service within reach.
NO_DATA_COLOUR = "#bdbdbd"
#: What :func:`percent` shows for a share that would round to 0% or 100% but is neither.
SHARE_EDGES: tuple[str, str] = ("<1%", ">99%")
#: The same in words, for sentences.
SHARE_EDGES_WORDS: tuple[str, str] = ("under 1%", "over 99%")


def is_missing(value: Any) -> bool:
    """True for ``None``, ``NaN``, ``pd.NA``, ``NaT`` and infinities.

    >>> is_missing(None), is_missing(float("nan")), is_missing(float("inf")), is_missing(0)
    (True, True, True, False)
    >>> is_missing("text")
    False
    """
    if value is None:
        return True
    try:
        if bool(pd.isna(value)):
            return True
        return isinstance(value, float | np.floating) and math.isinf(value)
    except (TypeError, ValueError):  # an array or another object: not a missing scalar
        return False


def _rounded(value: float, digits: int) -> float:
    # Rounding first, then "+ 0.0", turns a tiny negative into "0.0", not "-0.0".
    return round(float(value), digits) + 0.0


def number(
    value: Any, *, digits: int = 1, unit: str = "", signed: bool = False, missing: str = ""
) -> str:
    """A measure to ``digits`` decimals, with an optional ``unit``; never ``-0.0``.

    Parameters
    ----------
    value
        The number; missing or infinite gives ``missing``.
    digits
        Decimals shown.
    unit
        Text after the number (``" min"``).
    signed
        Show ``+`` before a positive value (minutes saved).
    missing
        Text for a missing value.

    Examples
    --------
    >>> number(2.25), number(-0.04), number(3, digits=0, unit=" places")
    ('2.2', '0.0', '3 places')
    >>> number(2.25, signed=True, unit=" min"), number(float("inf"), missing="none")
    ('+2.2 min', 'none')
    """
    if is_missing(value):
        return missing
    sign = "+" if signed else ""
    return f"{_rounded(value, digits):{sign}.{digits}f}{unit}"


def minutes(
    value: Any, *, digits: int = 1, unit: str = "", signed: bool = False, missing: str = ""
) -> str:
    """Drive minutes: :func:`number` with the same options (missing: nothing in reach).

    >>> minutes(44.94), minutes(-0.04), minutes(float("nan"))
    ('44.9', '0.0', '')
    >>> minutes(44.5, digits=0, unit=" min", missing="none open")
    '44 min'
    >>> minutes(None, digits=0, unit=" min", missing="none open")
    'none open'
    """
    return number(value, digits=digits, unit=unit, signed=signed, missing=missing)


def people(value: Any, *, signed: bool = False, missing: str = "") -> str:
    """A count of people, whole, with thousands separators.

    >>> people(485937.4), people(None), people(float("nan"), missing="–")
    ('485,937', '', '–')
    >>> people(1234, signed=True), people(-0.2, signed=True)
    ('+1,234', '+0')
    """
    if is_missing(value):
        return missing
    return f"{_rounded(value, 0):{'+' if signed else ''},.0f}"


def signed_people(value: Any, *, missing: str = "") -> str:
    """A change in people, always signed: ``+1,234``, ``-56``.

    >>> signed_people(-56.4), signed_people(float("nan"))
    ('-56', '')
    """
    return people(value, signed=True, missing=missing)


def round_people(value: Any, *, missing: str = "") -> str:
    """People in words: three significant figures from 1,000 up.

    >>> round_people(485_937), round_people(999.6), round_people(12.4)
    ('486,000', '1,000', '12')
    """
    if is_missing(value):
        return missing
    value = float(value)
    if abs(value) < 1000:
        return f"{value:,.0f}"
    digits = int(np.floor(np.log10(abs(value)))) - 2
    return f"{round(value, -digits):,.0f}"


def percent(
    share: Any,
    *,
    digits: int = 0,
    missing: str = "",
    edges: tuple[str, str] | None = None,
) -> str:
    """A share (0-1) as a percentage.

    Parameters
    ----------
    share
        The share, 0 to 1.
    digits
        Decimals shown.
    missing
        Text for a missing share.
    edges
        Text for a share that is above 0 but would round to ``0%``, and one that is below 1
        but would round to ``100%`` (:data:`SHARE_EDGES` or :data:`SHARE_EDGES_WORDS`), so
        that a few people are never shown as none, nor most as all. ``None`` rounds plainly.

    Examples
    --------
    >>> percent(0.374), percent(0.374, digits=1), percent(None, missing="-")
    ('37%', '37.4%', '-')
    >>> percent(0.004), percent(0.004, edges=SHARE_EDGES), percent(0.996, edges=SHARE_EDGES)
    ('0%', '<1%', '>99%')
    >>> percent(0.0, edges=SHARE_EDGES_WORDS), percent(0.007, edges=SHARE_EDGES_WORDS)
    ('0%', '1%')
    >>> percent(-0.0001, digits=1)
    '0.0%'
    """
    if is_missing(share):
        return missing
    value = 100 * float(share)
    rounded = _rounded(value, digits)
    if edges is not None and rounded == 0 < value:
        return edges[0]
    if edges is not None and rounded == 100 > value:
        return edges[1]
    return f"{rounded:.{digits}f}%"


def share(value: Any, *, words: bool = False, missing: str = "") -> str:
    """A share in evidence and sentences: ``0%`` and ``100%`` only when exactly so.

    >>> share(0.004), share(0.37), share(0.996), share(1.0)
    ('<1%', '37%', '>99%', '100%')
    >>> share(0.004, words=True), share(None, missing="an unknown share")
    ('under 1%', 'an unknown share')
    """
    edges = SHARE_EDGES_WORDS if words else SHARE_EDGES
    return percent(value, missing=missing, edges=edges)


def compact(value: float) -> str:
    """The shortest spelling of a parameter such as a limit in minutes: ``60``, ``22.5``.

    It names columns too (``share_within_60``), so it must not change.

    >>> compact(60.0), compact(22.5), compact(90)
    ('60', '22.5', '90')
    """
    return f"{value:g}"


# ---- classes of drive minutes ----------------------------------------------------------


def viridis(n_classes: int) -> list[str]:
    """``n_classes`` viridis colours, light (short drives) to dark (long drives).

    >>> viridis(2)
    ['#fde725', '#440154']
    """
    import branca.colormap

    if n_classes < 1:
        return []
    scale = branca.colormap.linear.viridis  # type: ignore[attr-defined]
    if n_classes == 1:
        return [scale.rgb_hex_str(1.0)]
    return [scale.rgb_hex_str(1.0 - i / (n_classes - 1)) for i in range(n_classes)]


@dataclass(frozen=True)
class MinuteClasses:
    """Classes of drive minutes: ``[0, l1]``, ``(l1, l2]``, ... ``(lk, ∞)``, and no service.

    A class includes its upper limit (45.0 minutes is ``30–45 min``, 45.1 is ``45–60
    min``), so "within N minutes" is exactly the classes up to N. Missing (``NaN``) or
    infinite minutes fall in the class :attr:`missing`.

    >>> classes = minute_classes()
    >>> classes.labels
    ['0–15 min', '15–30 min', '30–45 min', '45–60 min', '60–90 min', 'over 90 min']
    >>> classes.label([44.9, 45, 45.1, 90, 200, float("nan")]).tolist()
    ['30–45 min', '30–45 min', '45–60 min', '60–90 min', 'over 90 min', 'no open service']
    """

    limits: tuple[float, ...] = STANDARD_LIMITS
    missing: str = NO_SERVICE

    def __post_init__(self) -> None:
        limits = list(self.limits)
        if limits != sorted(set(limits)) or (limits and limits[0] <= 0):
            raise ValueError(f"class limits must be positive and ascending, got {limits!r}")

    @property
    def breaks(self) -> list[float]:
        """``0`` and the limits: the lower end of each class."""
        return [0.0, *self.limits]

    @property
    def labels(self) -> list[str]:
        """One label per class, shortest drives first (the missing class not included)."""
        edges = self.breaks
        out = [f"{low:g}–{high:g} min" for low, high in itertools.pairwise(edges)]
        return [*out, f"over {edges[-1]:g} min"]

    @property
    def colours(self) -> list[str]:
        """One viridis colour per class, light to dark (no service: :data:`NO_DATA_COLOUR`)."""
        return viridis(len(self.limits) + 1)

    def index(self, values: Any) -> np.ndarray:
        """Class of each value: ``0`` for the shortest drives, ``-1`` when missing."""
        array = pd.to_numeric(pd.Series(np.atleast_1d(np.asarray(values, dtype=object))))
        numbers = array.to_numpy(dtype=float, na_value=np.nan)
        found = np.searchsorted(np.asarray(self.limits, dtype=float), numbers, side="left")
        return np.where(np.isfinite(numbers), found, -1)

    def label(self, values: Any) -> np.ndarray:
        """The label of each value's class (:attr:`missing` where there is no service)."""
        names = np.array([*self.labels, self.missing], dtype=object)
        return names[self.index(values)]

    def colour(self, values: Any, missing: str = NO_DATA_COLOUR) -> np.ndarray:
        """The colour of each value's class."""
        colours = np.array([*self.colours, missing], dtype=object)
        return colours[self.index(values)]

    def legend(
        self, highlight: float | None = None, mark: str = " ◀ threshold"
    ) -> list[tuple[str, str]]:
        """``(colour, label)`` per class; the class whose upper limit is ``highlight`` is marked."""
        entries = []
        for colour, label, high in zip(
            self.colours, self.labels, [*self.limits, None], strict=True
        ):
            marked = highlight is not None and high is not None and math.isclose(high, highlight)
            entries.append((colour, label + mark if marked else label))
        return entries


def minute_classes(
    threshold: float | None = None, limits: Iterable[float] = STANDARD_LIMITS
) -> MinuteClasses:
    """The standard classes, with the user's ``threshold`` as one more limit.

    >>> minute_classes(20).breaks
    [0.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0]
    >>> minute_classes(60) == minute_classes()
    True
    """
    chosen = {float(t) for t in limits if t > 0}
    if threshold is not None:
        chosen.add(float(threshold))
    return MinuteClasses(tuple(sorted(chosen)))
