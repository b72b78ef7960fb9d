"""Services page: the register, its validation report, stale records, and uploads.

An uploaded replacement register is validated first; it replaces the register only if
it is valid and the user confirms, and then for this session only. The committed
``data/services.csv`` is never written from the app.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from app import kept, tables, widgets
from app import state as app_state
from mapping.errors import ServiceMapError
from mapping.inputs.limits import check_upload_size
from mapping.inputs.register import COLUMNS, default_register_path, public_view, stale_mask
from mapping.outputs.people import Vocabulary

_UPLOAD_KEY = "register_upload"
#: ``st.session_state`` key of the confirmation shown once, on the run after a switch.
_CONFIRMED = "register_confirmed"
_COLUMNS = [*COLUMNS, "provider_area"]


def _register_table() -> tuple[pd.DataFrame, pd.Series]:
    """The public view of this session's register as a flat table, and its stale flags."""
    study = app_state.current_study()
    view = public_view(study.register)
    table = pd.DataFrame(view[[c for c in _COLUMNS if c in view.columns]])
    for column in ("areas_served", "sexes", "crime_types"):
        if column in table:
            table[column] = table[column].map(
                lambda v: "; ".join(v) if isinstance(v, tuple | list) else v
            )
    stale = stale_mask(table)
    return table.assign(stale=stale.to_numpy()), stale


def _validation_report() -> None:
    """The current register's validation report."""
    entry = app_state.session_register()
    if entry is not None:
        st.success(
            f"Your upload {entry.name} passed validation when you confirmed it "
            f"({entry.records} records); it is this session's register."
        )
        return
    path = default_register_path()
    problems = app_state.register_problems(path.read_bytes(), path.name)
    if problems:
        st.error(f"The published register has {len(problems)} problem(s):")
        st.code("\n".join(problems), language=None)
    else:
        st.success(f"{path.name}: valid (every row checked, postcodes against Code-Point Open).")


def _upload() -> None:
    """Upload a replacement register: validate, report by row, confirm, use it."""
    st.subheader("Use a different register for this session")
    st.caption(
        "Upload a CSV in the register's format (see data/README.md). It is checked first; "
        "it replaces the register only if it is valid and you confirm, and only for you, in "
        "this browser session. The published register file is never changed by the app. "
        f"Moving between pages keeps it; {kept.survives_reload()}"
    )
    uploaded = st.file_uploader("Replacement register (CSV)", type=["csv"], key=_UPLOAD_KEY)
    if uploaded is None:
        return
    content = uploaded.getvalue()
    try:
        check_upload_size(len(content), uploaded.name)
    except ServiceMapError as exc:
        st.error(f"{exc}. The register in use has NOT been replaced.")
        return
    problems = app_state.register_problems(content, uploaded.name)
    if problems:
        st.error(
            f"{uploaded.name} has {len(problems)} problem(s), listed by row "
            "(file:row:field: message). The register in use has NOT been replaced."
        )
        st.code("\n".join(problems), language=None)
        return
    digest = hashlib.sha256(content).hexdigest()
    entry = app_state.session_register()
    if entry is not None and entry.sha256 == digest:
        st.info(f"{uploaded.name} is already this session's register.")
        return
    st.success(f"{uploaded.name} is a valid register.")
    if st.button(f"Use {uploaded.name} for this session", type="primary", key="register_use"):
        with st.spinner("Routing the new register's services…"):
            entry = app_state.use_session_register(content, uploaded.name)
        # Said on the next run, not here: st.rerun() drops what this run has not yet
        # sent to the browser, so a message written just before it may never show.
        st.session_state[_CONFIRMED] = (
            f"This session now uses {entry.name} ({entry.records} records)."
        )
        st.rerun()


def render() -> None:
    """Draw the page."""
    st.header("Services register")
    confirmed = st.session_state.pop(_CONFIRMED, None)
    if isinstance(confirmed, str):
        st.success(confirmed)
    entry = app_state.session_register()
    if entry is not None:
        st.info(f"This session uses your uploaded register {entry.name}.")
        if st.button("Go back to the published register", key="register_reset"):
            app_state.use_published_register()
            st.rerun()

    table, stale = _register_table()
    confidential = int(table["confidential"].sum())
    metrics = st.columns(4)
    metrics[0].metric("Records", len(table))
    metrics[1].metric("Shown as points", int((table["lat"].notna() & ~table["confidential"]).sum()))
    metrics[2].metric("Confidential (no location)", confidential)
    metrics[3].metric("Not verified in the last 12 months", int(stale.sum()))
    basis = app_state.current_study().evidence_basis()
    firmness = st.columns(3)
    firmness[0].metric(
        "With assumed hours",
        f"{basis.share(basis.assumed_hours):.0%}",
        help=f"{basis.assumed_hours} of {basis.records} records: hours_basis 'assumed'.",
    )
    firmness[1].metric(
        "Located only to a town",
        f"{basis.share(basis.town_level):.0%}",
        help=f"{basis.town_level} of {basis.records} records: a town-centre point (about 1 km).",
    )
    firmness[2].metric(
        "Confidence high / medium / low",
        " / ".join(str(basis.confidence[c]) for c in ("high", "medium", "low")),
    )
    st.caption(
        "Refuge and safe-house records are confidential: no address, postcode or "
        "coordinates, only their council area. Rows not verified within 12 months are "
        "highlighted. Confidence: high for a published postcode and published hours, low "
        "for assumed hours or a town-level location, medium otherwise (data/README.md); "
        "where sources conflict, notes say so under 'CONFLICT'."
    )
    vocabulary = Vocabulary(
        area_names=app_state.current_study().area_names("district"),
        first=("category", "district", "opening_hours", "confidence", "verified_on", "stale"),
        drop=("provider_area",),
    )
    people = tables.for_people(
        table,
        area_names=vocabulary.area_names,
        first=vocabulary.first,
        drop=vocabulary.drop,
    )
    stale_heading = tables.heading("stale")
    styled = people.style.apply(
        lambda row: ["background-color: #fff3cd" if row[stale_heading] else "" for _ in row],
        axis=1,
    )
    verified = tables.heading("verified_on")
    tables.shown(
        styled,
        key="register_table",
        column_config={
            stale_heading: st.column_config.CheckboxColumn(
                stale_heading, help="Verified more than 12 months ago (or never)"
            ),
            verified: st.column_config.DateColumn(verified, format="YYYY-MM-DD"),
        },
    )
    widgets.download_buttons(table, "services", "register_download", vocabulary)

    st.subheader("Validation report")
    _validation_report()
    if stale.any():
        with st.expander(f"{int(stale.sum())} stale record(s)"):
            rows = table.loc[stale.to_numpy(), ["name", "category", "verified_on", "source"]]
            tables.shown(tables.for_people(rows))
    _upload()


if __name__ == "__main__":
    render()
