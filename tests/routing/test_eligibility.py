"""The age rule shared by the travel engine and the gap rules, worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from mapping.routing.eligibility import age_range, serves_ages


def test_age_range_of_a_band_and_of_a_pair() -> None:
    assert age_range("age_0_15") == (0.0, 15.0)
    assert age_range("age_65_plus") == (65.0, np.inf)
    assert age_range((8, 18)) == (8.0, 18.0)


@pytest.mark.parametrize(
    ("min_age", "max_age", "band", "overlap", "contains"),
    [
        (8, 18, "age_0_15", True, False),  # Nest (8-18) overlaps 0-15 but does not cover it
        (8, 18, "age_16_24", True, False),
        (18, None, "age_16_24", True, False),  # an 18+ service counts for 16-24 by overlap
        (18, None, "age_0_15", False, False),
        (None, None, "age_0_15", True, True),  # no limits: everybody
        (0, 25, "age_16_24", True, True),
    ],
)
def test_overlap_and_contains(min_age, max_age, band, overlap, contains) -> None:
    assert serves_ages(min_age, max_age, band, "overlap") is overlap
    assert serves_ages(min_age, max_age, band, "contains") is contains


def test_columns_give_the_same_answer_as_each_row() -> None:
    mins = np.array([8, 18, np.nan, 0], dtype=float)
    maxs = np.array([18, np.nan, np.nan, 25], dtype=float)
    together = serves_ages(mins, maxs, "age_0_15")
    one_by_one = [serves_ages(a, b, "age_0_15") for a, b in zip(mins, maxs, strict=True)]
    assert together.tolist() == one_by_one == [True, False, True, True]
