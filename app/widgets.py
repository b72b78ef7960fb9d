"""Widgets the pages share: category, time of week, age band, threshold, downloads.

Widgets only: each returns what the user chose, in the form the package's functions
take (``"sarc"``, ``"Sat 02:00"``, ``"age_0_15"``, minutes).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app import state as app_state
from mapping.inputs.vocabulary import (
    AGE_BANDS,
    CATEGORIES,
    RECORDED_VIOLENCE_CAVEAT,
    RECORDED_VIOLENCE_WHERE,
    WEIGHTS,
)
from mapping.inputs.when import NAMED_SLOTS
from mapping.outputs.maps import CATEGORY_LABELS
from mapping.outputs.people import Vocabulary, people_table, write_people_workbook

#: Thresholds offered (minutes); the report thresholds plus a few in between.
THRESHOLDS: tuple[int, ...] = (10, 15, 20, 30, 45, 60, 75, 90, 120)
_CUSTOM = "another day and hour…"
_EVERYBODY = "everybody"
#: The slot and age options beside the named ones (the address can hold them).
CUSTOM_SLOT, EVERYBODY = _CUSTOM, _EVERYBODY
_DAYS = tuple(app_state.DAY_NAMES)


#: Column weights of a row of a page's controls: a wide box for a service or what the
#: figures count (the longest options, "IDVA (independent domestic violence adviser)",
#: about 410 px) beside a narrower one (a time slot, an age group, a threshold). At
#: 1280 px the page is about 820 px wide (786 px in an expander): five or six controls in
#: a row left about 144 px a box and cut "SARC (sexual assault referral centre)" to
#: "SARC (sexua" (issue 21). tests/pages/test_app_layout.py checks every box's width.
WIDE_NARROW: tuple[float, float] = (3, 2)


def control_rows(*rows: Sequence[float]) -> list[DeltaGenerator]:
    """The columns of a page's controls, row by row (each row's column weights), in order.

    ``control_rows((3, 2), (3, 2))`` gives four cells: the first row's wide and narrow
    column, then the second's. At most three select boxes go in one row.
    """
    return [cell for weights in rows for cell in st.columns(list(weights))]


def slot_label(name: str) -> str:
    """``"weekend night"`` -> ``"Weekend night (Sat 02:00)"``."""
    for slot in NAMED_SLOTS:
        if slot.name == name:
            return f"{slot.name[0].upper()}{slot.name[1:]} ({slot.at})"
    return name


def age_label(band: str | None) -> str:
    """``"age_0_15"`` -> ``"Aged 0-15"``; ``None`` -> ``"Everybody (all ages)"``."""
    if band is None:
        return "Everybody (all ages)"
    low, high = AGE_BANDS[band]
    return f"Aged {low}+" if high is None else f"Aged {low}-{high}"


def category_select(key: str, default: str = "sarc", label: str = "Service") -> str:
    """Choose a service category (returns its register code)."""
    options = list(CATEGORIES)
    return st.selectbox(
        label,
        options,
        index=options.index(default),
        format_func=lambda c: CATEGORY_LABELS.get(c, c),
        key=key,
        help="Drive time to the nearest service of this kind that is open at the chosen "
        "time and open to the chosen age group.",
    )


def time_select(key: str, default: str = "weekend night", label: str = "Time slot") -> str:
    """Choose a named time slot, or any day and hour; returns e.g. ``"Sat 02:00"``."""
    names = [slot.name for slot in NAMED_SLOTS]
    options = [*names, _CUSTOM]
    choice = st.selectbox(
        label,
        options,
        index=options.index(default),
        format_func=lambda n: n if n == _CUSTOM else slot_label(n),
        key=key,
        help="Opening hours are checked at this time of week (a week with no public "
        "holiday). Drive speeds are daytime traffic 07:00-19:00, free flow otherwise.",
    )
    if choice != _CUSTOM:
        return next(slot.at for slot in NAMED_SLOTS if slot.name == choice)
    day_col, hour_col = st.columns(2)
    with day_col:
        day = st.selectbox(
            "Day", _DAYS, index=2, format_func=lambda d: app_state.DAY_NAMES[d], key=f"{key}_day"
        )
    with hour_col:
        hour = st.slider("Hour", 0, 23, 13, key=f"{key}_hour", format="%02d:00")
    return f"{day} {hour:02d}:00"


def age_select(key: str, label: str = "Age group") -> str | None:
    """Choose a Census age band (``None``: everybody)."""
    options = [_EVERYBODY, *AGE_BANDS]
    choice = st.selectbox(
        label,
        options,
        format_func=lambda band: age_label(None if band == _EVERYBODY else band),
        key=key,
        help="Figures are weighted by the Census 2021 residents of this age group, and "
        "only services open to it count.",
    )
    return None if choice == _EVERYBODY else choice


#: Short names of the weights for metric labels and headings.
WEIGHT_SHORT: dict[str, str] = {
    "residents": "Residents",
    "women_16_plus": "Women 16+",
    "recorded_violence_sexual": "Recorded violence and sexual offences a year",
    "no_car_households": "Households with no car",
    "crime_deprived_residents": "Residents of high-crime areas (IoD 2025)",
}


def weight_select(key: str, label: str = "Count") -> str:
    """Choose what the figures count: residents, women 16+ or recorded violence."""
    options = list(WEIGHTS)
    return st.selectbox(
        label,
        options,
        # The short name only: the long one would be cut in its box ("Residents: usual");
        # the page says in full what the figures count (weight_caption).
        format_func=WEIGHT_SHORT.__getitem__,
        key=key,
        help="Residents (Census 2021) by default; women aged 16+ (ONS mid-2024), "
        f"police-recorded violence and sexual offences ({RECORDED_VIOLENCE_WHERE}: where "
        "offences were recorded, a proxy for need, not a count of victims) or residents of "
        "the most crime-deprived fifth of LSOAs (IoD 2025 crime domain: where victims "
        "live) weigh each LSOA by that instead.",
    )


def weight_and_age(weight: str, age_band: str | None) -> str | None:
    """The age band to use with ``weight``: none for a need weight, said on the page."""
    if weight != "residents" and age_band is not None:
        st.warning(
            f"Age groups apply to residents only: {WEIGHT_SHORT[weight].lower()} have no "
            "age bands, so all ages are shown. Choose 'Residents' to use an age group."
        )
        return None
    return age_band


def weight_caption(weight: str) -> None:
    """Say what the figures count, with the caveat for recorded crime."""
    text = f"Figures are weighted by {WEIGHTS[weight]}."
    if weight == "recorded_violence_sexual":
        text += " " + RECORDED_VIOLENCE_CAVEAT
    st.caption(text)


def threshold_select(key: str, default: int = 60, label: str = "Threshold (minutes)") -> int:
    """Choose a drive-time threshold in minutes."""
    return int(
        st.select_slider(
            label,
            options=list(THRESHOLDS),
            value=default,
            key=key,
            help="No official travel-time standard exists for these services: the "
            "threshold is an analysis choice. It is a class boundary on the map.",
        )
    )


def evidence_caption(category: str) -> str:
    """What a coverage figure rests on: "Based on N records, M with assumed hours…".

    Counts the located public sites of ``category`` in this session's effective
    register, the records the drive times are computed to.
    """
    basis = app_state.current_study().evidence_basis([category], located_only=True)
    text = basis.caption()
    return f"{text[0].upper()}{text[1:]}; see each service's confidence on the Services page."


def headline(text: str) -> None:
    """The sentence that answers the page's question, in large type above the figures."""
    st.subheader(text, anchor=False)


@st.cache_data(show_spinner=False, max_entries=64, ttl=app_state.CACHE_TTL_S)
def _people_bytes(table: pd.DataFrame, stem: str, _vocabulary: Vocabulary, shape: str) -> bytes:
    """The people's workbook of ``table`` (``shape``: the vocabulary, for the cache key)."""
    with tempfile.TemporaryDirectory(prefix="service-map-download-") as folder:
        path = Path(folder) / f"{stem}.xlsx"
        title = stem.replace("_", " ").capitalize()
        write_people_workbook(
            people_table(table, _vocabulary), path, title=title, who=_vocabulary.who
        )
        return path.read_bytes()


def download_buttons(
    table: pd.DataFrame, stem: str, key: str, vocabulary: Vocabulary | None = None
) -> None:
    """Downloads of a table: for reading (XLSX), and the data itself (CSV, XLSX).

    The version for reading is :func:`mapping.outputs.people.people_table` of the table
    (plain headings, names instead of ids, whole people, whole percentages and minutes)
    in a workbook whose README sheet is the glossary (each heading, its column in the
    data version and what it means) with the attribution. The data version keeps the
    package's column names, codes and full precision: the CSV comes zipped with its
    README (attribution), the XLSX carries the same in a README sheet. Both are
    formula-safe. ``vocabulary`` says who the figures count and names the ids (default:
    residents, with this session's service names).
    """
    if vocabulary is None:
        vocabulary = Vocabulary(service_names=app_state.current_service_names())
    people, left, right, _ = st.columns([1.4, 1, 1, 1.6])
    with people:
        st.download_button(
            "Download for reading (XLSX)",
            _people_bytes(table, stem, vocabulary, repr(vocabulary)),
            file_name=f"{stem}_for_reading.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{key}_people",
            on_click="ignore",
            help="Plain headings, names instead of codes, whole numbers with separators, "
            "and a glossary sheet.",
        )
    with left:
        st.download_button(
            "Download CSV",
            app_state.table_bytes(table, stem, "zip"),
            file_name=f"{stem}.zip",
            mime="application/zip",
            key=f"{key}_csv",
            on_click="ignore",
            help="The data for analysis (codes, full precision): the CSV zipped with its "
            "README (data sources and attribution).",
        )
    with right:
        st.download_button(
            "Download XLSX",
            app_state.table_bytes(table, stem, "xlsx"),
            file_name=f"{stem}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{key}_xlsx",
            on_click="ignore",
            help="The data for analysis (codes, full precision) with a README sheet.",
        )


#: Characters Markdown (and Streamlit's LaTeX ``$`` and emoji ``:``) would interpret.
_MARKDOWN = frozenset("\\`*_{}[]()#+-.!|<>~$:")


def plain(text: str) -> str:
    """``text`` with every Markdown character escaped, so a name shows as written."""
    return "".join("\\" + c if c in _MARKDOWN else c for c in str(text))
