"""Services without a site: one honest treatment on every page.

Telephone lines, outreach and county-wide services have no site to drive to; refuges
and safe houses have confidential addresses. No drive time, worst hour or chart is ever
shown for them: each page says why in words and how many such services the register
holds (:func:`message`), and draws nothing that would read as a figure.
"""

from __future__ import annotations

import streamlit as st

from app import state as app_state
from mapping.inputs.vocabulary import CONFIDENTIAL_CATEGORIES
from mapping.outputs.maps import CATEGORY_LABELS

__all__ = ["counts", "message", "note", "reason", "show"]


def reason(category: str) -> str:
    """Why a service of ``category`` without a site has none, in words."""
    if category in CONFIDENTIAL_CATEGORIES:
        return (
            "refuges and safe houses have confidential addresses, so they are counted per "
            "council area only and never placed on a map"
        )
    return "it is reached by telephone or outreach, not at a site"


def counts(category: str) -> tuple[int, int]:
    """``(records of the category, those with no site to drive to)`` in this session's register."""
    study = app_state.current_study()
    register = study.effective_register()
    ids = set(register.loc[register["category"] == category, "id"].astype(str))
    routed = set(study.engine.services["id"].astype(str))
    return len(ids), len(ids - routed)


def message(category: str) -> str | None:
    """The sentence for a category with no site at all (``None`` when one can be driven to)."""
    total, without = counts(category)
    if total > without:
        return None
    label = CATEGORY_LABELS.get(category, category)
    records = f"{without} record{'s' if without != 1 else ''}"
    return (
        f"{label}: no site to drive to, because {reason(category)}. No drive time, worst "
        f"hour or chart applies ({records} in the register, none with a site)."
    )


def show(category: str, *, headline: bool = False) -> bool:
    """Say so on the page when ``category`` has no site; ``True`` when it was said.

    ``headline``: as the page's answer (large type), else as a note.
    """
    text = message(category)
    if text is None:
        return False
    if headline:
        st.subheader(text, anchor=False)
    else:
        st.info(text)
    return True


def note(category: str) -> str:
    """For a category with sites: how many of its records have none (or nothing)."""
    total, without = counts(category)
    if not without or without == total:
        return ""
    label = CATEGORY_LABELS.get(category, category)
    return (
        f" {without} of {total} {label} records have no site ({reason(category)}): they are "
        "not in the drive times."
    )
