"""Tables for people on a page: :mod:`mapping.outputs.people` drawn with Streamlit.

One place, :mod:`mapping.outputs.people`, decides how the package's machine-readable
tables read for people (headings, rounding, names, codes left out); the pages pass the
package's table through :func:`for_people` and show the result with
:func:`column_config`. Their download buttons offer that version (with a glossary) and
the original table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from mapping.outputs.people import HEADINGS, Vocabulary, heading, kind, people_table, words

__all__ = [
    "HEADINGS",
    "MISSING",
    "column_config",
    "for_people",
    "heading",
    "kind",
    "shown",
    "words",
]


def for_people(
    table: pd.DataFrame,
    *,
    who: str = "Residents",
    service_names: Mapping[str, str] | None = None,
    area_names: Mapping[str, str] | None = None,
    first: Sequence[str] = (),
    drop: Sequence[str] = (),
    keep: Sequence[str] = (),
    headings: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``table`` as people read it (:func:`mapping.outputs.people.people_table`).

    The options are the fields of :class:`mapping.outputs.people.Vocabulary`. The
    result's ``attrs["kinds"]`` holds each heading's kind, for :func:`column_config`.
    """
    vocabulary = Vocabulary(
        who=who,
        service_names=service_names,
        area_names=area_names,
        first=first,
        drop=drop,
        keep=keep,
        headings=dict(headings or {}),
    )
    result = people_table(table, vocabulary)
    out = result.frame
    out.attrs["kinds"] = dict(result.kinds)
    return out


def column_config(frame: pd.DataFrame) -> dict[str, Any]:
    """Streamlit formats of a :func:`for_people` table: 1,234 people, 12%, 34 min."""
    config: dict[str, Any] = {}
    kinds = frame.attrs.get("kinds", {})
    if kinds and kinds.get(frame.columns[0]) == "other":
        # The naming column stays in view while the figures scroll sideways on a phone.
        # Long names (services) at most "medium" (200 px): pinned, they would fill a
        # phone's width; short ones (areas) keep their own, narrower width.
        # No rows (a filter that leaves none): no names to measure, the default width.
        longest = int(frame[frame.columns[0]].astype(str).str.len().max()) if len(frame) else 0
        config[frame.columns[0]] = st.column_config.Column(
            frame.columns[0], pinned=True, width="medium" if longest > 24 else None
        )
    for column, what in kinds.items():
        if what == "people":
            config[column] = st.column_config.NumberColumn(column, format="localized")
        elif what == "share":
            config[column] = st.column_config.NumberColumn(column, format="%d%%")
        elif what == "minutes":
            config[column] = st.column_config.NumberColumn(column, format="%d")
    return config


#: What an empty cell says (Streamlit would write "None").
MISSING = "not known"


def shown(
    frame: pd.DataFrame | Styler,
    *,
    key: str | None = None,
    placeholder: str = MISSING,
    **options: Any,
) -> None:
    """Draw a :func:`for_people` table (or its Styler) with its formats.

    A missing value reads ``placeholder`` in words ("not known", "not counted"), never
    "None" or 0. ``options`` go to ``st.dataframe``; a ``column_config`` there adds to
    the formats.
    """
    data = frame.data if isinstance(frame, Styler) else frame
    config = {**column_config(data), **options.pop("column_config", {})}
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config=config,
        key=key,
        placeholder=placeholder,
        **options,
    )
