"""Number formatters shared by the CLI, the report and the app: one spelling of a figure."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    pass


def minutes(value: float) -> str:
    return "" if pd.isna(value) else f"{value:.1f}"


def people(value: float) -> str:
    return "" if pd.isna(value) else f"{value:,.0f}"


def signed_people(value: float) -> str:
    return "" if pd.isna(value) else f"{value:+,.0f}"


def percent(value: float) -> str:
    return "-" if pd.isna(value) else f"{100 * value:.0f}%"
