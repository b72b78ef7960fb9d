"""Cached answers for the Week and Optimise pages (once per query, per study).

Kept apart from :mod:`app.state` (loaders, session state) so each page's cache lives
beside the questions it answers; every function here calls a :class:`mapping.Study`
method and keys its cache by :func:`app.state.study_key`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app import state as app_state
from mapping.study import Study

__all__ = ["week_profile"]


@st.cache_data(show_spinner=False, max_entries=256)
def _week(
    _study: Study,
    key: str,
    category: str,
    threshold: float,
    age_band: str | None,
    area: str | None,
) -> pd.DataFrame:
    return _study.week_profile(category, threshold=threshold, age_band=age_band, area=area)


def week_profile(
    category: str, threshold: float, age_band: str | None = None, area: str | None = None
) -> pd.DataFrame:
    """:meth:`Study.week_profile` of this session's study, cached per question.

    Hours with the same open services and speed profile share one computation inside
    the kernel; this cache keeps the whole week per (study, category, threshold, age
    group, area).
    """
    return _week(
        app_state.current_study(), app_state.study_key(), category, float(threshold), age_band, area
    )


def area_choices() -> dict[str, str]:
    """Council-area codes and names, Lancashire first as ``""`` (all residents)."""
    names: dict[str, Any] = app_state.current_study().area_names("district")
    return {"": "All Lancashire", **dict(sorted(names.items(), key=lambda kv: str(kv[1])))}
