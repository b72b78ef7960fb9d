"""Scenarios page: build a what-if scenario, compare it with the baseline, save it.

The scenario lives in this browser session only (``st.session_state``): other sessions
never see it, and the register file is never changed. Added sites join the shared
travel engine under ids derived from the site, so they count only in the queries of a
scenario that lists them (see :mod:`mapping.analysis.scenarios`).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app import kept, scenario_results, tables, url_state, widgets
from app import state as app_state
from mapping.errors import ServiceMapError
from mapping.inputs.limits import MAX_SCENARIO_CHANGES, check_scenario_size
from mapping.inputs.register import public_view
from mapping.inputs.vocabulary import CATEGORIES, CRIME_TYPES
from mapping.inputs.when import NAMED_SLOTS, resolve_slot
from mapping.outputs import maps
from mapping.outputs.maps import CATEGORY_LABELS
from mapping.store import repo_root

_CHANGES = "sc_changes"
_NAME = "sc_name"
_DESCRIPTION = "sc_description"
_CLICK = "sc_click"
_LOADED = "sc_loaded"
_PACK = "sc_pack"
_GAPS_FOR = "sc_gaps_for"
_SOURCE = "this session's scenario"


def _init_state() -> None:
    st.session_state.setdefault(_CHANGES, [])
    st.session_state.setdefault(_NAME, "My scenario")
    st.session_state.setdefault(_DESCRIPTION, "")


def _set_scenario(scenario: Any) -> None:
    """Replace this session's scenario with a loaded one."""
    st.session_state[_NAME] = scenario.name
    st.session_state[_DESCRIPTION] = scenario.description
    st.session_state[_CHANGES] = [
        change.model_dump(exclude_none=True) for change in scenario.changes
    ]
    st.session_state.pop(_PACK, None)


def _load_controls(scenarios: Any) -> None:
    """Load a scenario from a file (TOML/JSON) or from the examples in data/scenarios."""
    left, right = st.columns(2)
    with left:
        uploaded = st.file_uploader(
            "Load a scenario file (TOML or JSON)", type=["toml", "json"], key="sc_upload"
        )
        digest = None if uploaded is None else hashlib.sha256(uploaded.getvalue()).hexdigest()
        if uploaded is not None and st.session_state.get(_LOADED) != digest:
            suffix = Path(uploaded.name).suffix.lower()
            with tempfile.TemporaryDirectory(prefix="service-map-scenario-") as folder:
                path = Path(folder) / f"scenario{suffix}"
                path.write_bytes(uploaded.getvalue())
                try:
                    scenario = scenarios.load_scenario(path)
                except ServiceMapError as exc:
                    # The scenario in use stays as it was; nothing says "Loaded".
                    st.error(str(exc).replace(str(path), uploaded.name))
                    scenario = None
            if scenario is not None:
                _set_scenario(scenario)
                st.session_state[_LOADED] = digest
                st.success(f"Loaded {uploaded.name}: {scenario.name}")
    with right:
        examples = sorted((repo_root() / "data" / "scenarios").glob("*.toml"))
        if examples:
            example = st.selectbox(
                "…or start from an example", examples, format_func=lambda p: p.name, key="sc_ex"
            )
            if st.button("Load example", key="sc_load_example"):
                _set_scenario(scenarios.load_scenario(example))
                # The file still in the uploader is marked as seen, so it does not
                # replace the example on the next run.
                st.session_state[_LOADED] = digest
                st.rerun()


def _service_options(register: pd.DataFrame) -> dict[str, str]:
    """``{id: name}`` of the register's services, for the change forms.

    Names, not register ids; a name two records share is told apart by the service's
    kind and council area ("Name (Refuge, Preston)").
    """
    rows = register.sort_values("name")
    shared = rows["name"].duplicated(keep=False)
    options = {}
    for (_, row), twin in zip(rows.iterrows(), shared, strict=True):
        text = str(row["name"])
        if twin:
            label = CATEGORY_LABELS.get(row["category"], str(row["category"]))
            text += f" ({label}, {row.get('district') or 'no area'})"
        options[str(row["id"])] = text
    return options


def _change_forms(register: pd.DataFrame) -> None:
    """Forms that add a change to this session's scenario."""
    options = _service_options(register)
    hours_tab, close_tab, add_tab = st.tabs(
        ["Change opening hours", "Close a service", "Add a site"]
    )
    with hours_tab, st.form("sc_hours_form", clear_on_submit=False):
        service = st.selectbox(
            "Service", list(options), format_func=options.__getitem__, key="sc_hours_service"
        )
        current = register.loc[register["id"] == service, "opening_hours"]
        hours = st.text_input(
            "New opening hours (OpenStreetMap syntax, e.g. 24/7 or Mo-Fr 08:00-20:00)",
            value="24/7",
            key="sc_hours_value",
            help=f"Now: {current.iloc[0] if len(current) else '?'}",
        )
        left, right = st.columns(2)
        if left.form_submit_button("Add this change"):
            _append({"kind": "hours", "service": service, "opening_hours": hours.strip()})
        if right.form_submit_button("Open it 24/7"):
            _append({"kind": "hours", "service": service, "opening_hours": "24/7"})
    with close_tab, st.form("sc_close_form"):
        service = st.selectbox(
            "Service", list(options), format_func=options.__getitem__, key="sc_close_service"
        )
        if st.form_submit_button("Add this change"):
            _append({"kind": "close", "service": service})
    with add_tab:
        click = st.session_state.get(_CLICK)
        where = st.radio(
            "Location",
            ["postcode", "map"],
            format_func={"postcode": "By postcode", "map": "Where I clicked on the map"}.get,
            horizontal=True,
            key="sc_add_where",
        )
        with st.form("sc_add_form"):
            name = st.text_input("Name", value="Hypothetical site", key="sc_add_name")
            category = st.selectbox(
                "Category",
                list(CATEGORIES),
                format_func=lambda c: CATEGORY_LABELS.get(c, c),
                key="sc_add_category",
            )
            hours = st.text_input("Opening hours", value="24/7", key="sc_add_hours")
            postcode = ""
            if where == "postcode":
                postcode = st.text_input("Postcode", value="", key="sc_add_postcode")
            elif click is None:
                st.info("Click the map below to choose where the site would be.")
            else:
                st.write(f"Clicked point: latitude {click[0]:.5f}, longitude {click[1]:.5f}")
            ages = st.columns(2)
            min_age = ages[0].number_input(
                "Youngest age served (optional)", 0, 120, value=None, key="sc_add_min"
            )
            max_age = ages[1].number_input(
                "Oldest age served (optional)", 0, 120, value=None, key="sc_add_max"
            )
            crimes = st.multiselect(
                "Crime types (empty: all)",
                [c for c in CRIME_TYPES if c != "all"],
                format_func=tables.words,
                key="sc_add_crimes",
            )
            if st.form_submit_button("Add this site"):
                change: dict[str, Any] = {
                    "kind": "add",
                    "name": name.strip(),
                    "category": category,
                    "opening_hours": hours.strip(),
                }
                if where == "postcode":
                    change["postcode"] = postcode.strip()
                elif click is not None:
                    change["lat"], change["lon"] = round(click[0], 6), round(click[1], 6)
                if min_age is not None:
                    change["min_age"] = int(min_age)
                if max_age is not None:
                    change["max_age"] = int(max_age)
                if crimes:
                    change["crime_types"] = list(crimes)
                _append(change)


def _problems(change: dict[str, Any]) -> list[str]:
    """What is wrong with one change, checked against this session's study."""
    from mapping.inputs.scenario_file import parse_scenario

    if change.get("kind") == "add" and "postcode" not in change and "lat" not in change:
        return ["Click the map below to choose where the site would be."]
    if change.get("kind") == "add" and not str(change.get("postcode", "x")).strip():
        return ["Type the postcode of the site."]
    try:
        scenario = parse_scenario({"name": "change", "change": [change]}, "change")
        problems = app_state.current_study().check_scenario(scenario)
    except ServiceMapError as exc:
        problems = [str(exc)]
    # "change:change 1:postcode: ..." -> "postcode: ..." (the form is the change).
    return [p.split("change 1:", 1)[-1] for p in problems]


def _append(change: dict[str, Any]) -> None:
    if len(st.session_state[_CHANGES]) >= MAX_SCENARIO_CHANGES:
        st.error(
            f"A scenario may hold at most {MAX_SCENARIO_CHANGES} changes (each is re-routed "
            "for the whole county on a shared server); remove one first."
        )
        return
    if problems := _problems(change):
        for problem in problems:
            st.error(problem)
        return
    st.session_state[_CHANGES] = [*st.session_state[_CHANGES], change]
    st.session_state.pop(_PACK, None)
    st.rerun()


def _describe(change: dict[str, Any], names: dict[str, str]) -> str:
    kind = change.get("kind")
    if kind == "hours":
        service = change.get("service", "?")
        return f"{names.get(service, service)}: open {change.get('opening_hours')}"
    if kind == "close":
        service = change.get("service", "?")
        return f"Close {names.get(service, service)}"
    if "postcode" in change:
        where = f"postcode {change['postcode']}"
    else:
        where = f"lat {change.get('lat')}, lon {change.get('lon')}"
    label = CATEGORY_LABELS.get(change.get("category", ""), change.get("category"))
    return f"Add {change.get('name')} ({label}) at {where}, open {change.get('opening_hours')}"


def _change_list(names: dict[str, str]) -> None:
    changes = st.session_state[_CHANGES]
    if not changes:
        st.info("No changes yet: add one below, load a scenario file or start from an example.")
        return
    for number, change in enumerate(changes, start=1):
        text, button = st.columns([8, 1])
        text.write(f"{number}. {_describe(change, names)}")
        if button.button("Remove", key=f"sc_remove_{number}"):
            del changes[number - 1]
            st.session_state[_CHANGES] = list(changes)
            st.session_state.pop(_PACK, None)
            st.rerun()


def _scenario_bytes(scenarios: Any, scenario: Any, suffix: str) -> bytes:
    """The scenario as a TOML or JSON file (through mapping.analysis.scenarios.save_scenario)."""
    with tempfile.TemporaryDirectory(prefix="service-map-scenario-") as folder:
        path = scenarios.save_scenario(scenario, Path(folder) / f"scenario{suffix}")
        return Path(path).read_bytes()


def _file_stem(name: str) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")
    return stem or "scenario"


#: The pack button's words: what it really takes (see ``benchmarks/bench_pack_run.json``).
PACK_LABEL = "Prepare the scenario pack (1 to 2 minutes; longer on a busy server)"
PACK_HELP = (
    "Every table for every service and time slot, GIS layers and an HTML report that "
    "opens with this scenario in words, compared at the threshold chosen above."
)


def _pack(scenario: Any, threshold: int) -> None:
    """Export the scenario pack (every table, GIS layers and report.html) as a zip.

    The pack compares the scenario at the threshold on screen; a new threshold needs a
    new pack.
    """
    key = f"{scenario.fingerprint}:{threshold}"
    pack = st.session_state.get(_PACK)
    if pack is not None and pack[0] == key:
        st.download_button(
            "Download the scenario pack (zip)",
            pack[1],
            file_name=f"{_file_stem(scenario.name)}_pack.zip",
            mime="application/zip",
            key="sc_pack_download",
            on_click="ignore",
        )
        return

    # What it takes: benchmarks/bench_pack.py (benchmarks/bench_pack_run.json records a
    # run with its CPU seconds, the time on an idle server, and the load it ran under).
    if st.button(PACK_LABEL, key="sc_pack_build", help=PACK_HELP):
        with (
            st.spinner(
                "Exporting every table, GIS layers and the HTML report: a minute or two, "
                "longer when the server is busy…"
            ),
            tempfile.TemporaryDirectory(prefix="service-map-pack-") as folder,
        ):
            out = Path(folder) / _file_stem(scenario.name)
            app_state.current_study().export(out, scenario=scenario, threshold=threshold)
            # The scenario itself travels with its results, to be loaded again.
            from mapping.inputs.scenario_file import save_scenario

            save_scenario(scenario, out / "scenario.toml")
            st.session_state[_PACK] = (key, app_state.folder_zip(out))
        st.rerun()


def _map(
    scenarios: Any,
    scenario: Any | None,
    category: str,
    map_slot: str,
    threshold: int,
) -> None:
    """The comparison map (or the baseline while the scenario is empty); clicks are kept."""
    study = app_state.current_study()
    register = public_view(study.effective_register())
    areas = app_state.council_areas()
    fmap = maps.base_map()
    shapes = app_state.display_shapes("lsoa")
    if scenario is not None:
        by_area, _ = app_state.scenario_comparison(
            scenario, category=category, slots=[map_slot], by="lsoa", threshold=threshold
        )
        maps.add_difference_choropleth(fmap, shapes, by_area, threshold=threshold)
        view = study.with_scenario(scenario)
        scenario_register = public_view(view.effective_register())
        changes = view.changes
        markers = pd.concat(
            [register, scenario_register[scenario_register["id"].isin(changes.added_ids)]],
            ignore_index=True,
        )
        maps.add_scenario_sites(
            fmap,
            markers,
            added=changes.added_ids,
            closed=sorted(changes.closed),
            changed=sorted(changes.hours),
        )
    else:
        table = app_state.coverage_table(category, map_slot, "lsoa", None, (threshold,))
        maps.add_minutes_choropleth(
            fmap, shapes, table, threshold, service_names=app_state.service_names(register)
        )
    maps.add_council_areas(fmap, areas)
    maps.add_area_labels(fmap, areas)
    maps.add_services(
        fmap,
        register,
        categories=[category],
        name=f"Services: {CATEGORY_LABELS[category]}",
        open_at=resolve_slot(map_slot).at,
        when=app_state.describe_slot(map_slot),
    )
    click = st.session_state.get(_CLICK)
    if click is not None:
        maps.add_point_marker(fmap, click[0], click[1], "Clicked point (for 'Add a site')")
    maps.add_layer_control(fmap)
    output = st_folium(
        fmap,
        height=520,
        width="stretch",
        returned_objects=["last_clicked"],
        key="scenario_map",
        # The page's map is built fresh each run; st_folium renders it once itself.
        render=False,
    )
    clicked = (output or {}).get("last_clicked")
    if clicked and (clicked.get("lat"), clicked.get("lng")) != (click or (None, None)):
        st.session_state[_CLICK] = (float(clicked["lat"]), float(clicked["lng"]))
        st.rerun()


def _gaps(scenario: Any) -> None:
    """The gaps the scenario resolves, creates or changes: on request, once per scenario.

    Every gap rule is evaluated again for the what-if, which takes longer than all the
    figures above, so it is not done on every change of the scenario.
    """
    st.subheader("Gaps resolved, new or changed")
    asked = st.session_state.get(_GAPS_FOR) == scenario.fingerprint
    if not asked:
        st.caption(
            "Which gaps of the gap register (Gaps page) this scenario resolves, creates or "
            "changes: every gap rule is evaluated again for the what-if (a few seconds)."
        )
        if not st.button("Check the gap rules with this scenario", key="sc_gaps_check"):
            return
        st.session_state[_GAPS_FOR] = scenario.fingerprint
    gaps = app_state.scenario_gap_changes(scenario)
    if gaps.empty:
        st.write("None.")
    else:
        scenario_results.gaps_table(gaps)


def render() -> None:
    """Draw the page."""
    st.header("Scenarios: what if a service changed?")
    st.caption(
        f"Your scenario stays while you move between pages; {kept.survives_reload()} "
        "Save it (TOML or JSON) to keep it."
    )
    from mapping.analysis import scenarios

    _init_state()
    st.caption(
        "Change a service's opening hours, close a service or add a hypothetical site, and "
        "compare with the published baseline. Your scenario stays in this browser session; "
        "save it as a file to keep it."
    )
    _load_controls(scenarios)
    study = app_state.current_study()
    register = public_view(study.effective_register())
    names = app_state.service_names(register)

    st.text_input("Scenario name", key=_NAME)
    st.text_input("Description (optional)", key=_DESCRIPTION)
    st.subheader("Changes")
    # Containers hold a fixed place whatever they show, so the map below keeps its place
    # in the page when changes come and go: the browser keeps its frame, not a new one.
    with st.container():
        _change_list(names)
    _change_forms(register)

    st.subheader("Compare with the baseline")
    controls_in_address = url_state.page_controls("scenarios")
    url_state.restore(controls_in_address)
    controls = widgets.control_rows(widgets.WIDE_NARROW, widgets.WIDE_NARROW)
    with controls[0]:
        category = widgets.category_select("sc_category")
    with controls[2]:
        names_slots = [slot.name for slot in NAMED_SLOTS]
        slot_names = st.multiselect(
            "Time slots",
            names_slots,
            default=["weekday daytime", "weekend night"],
            format_func=widgets.slot_label,
            key="sc_slots",
        ) or ["weekday daytime"]
    with controls[1]:
        threshold = widgets.threshold_select("sc_threshold")
    slots = [resolve_slot(name).at for name in slot_names]
    if st.session_state.get("sc_map_slot") not in slots:
        st.session_state.pop("sc_map_slot", None)  # a slot no longer compared (or linked)
    map_slot = st.radio(
        "Slot shown on the map",
        slots,
        horizontal=True,
        format_func=lambda at: widgets.slot_label(resolve_slot(at).name),
        key="sc_map_slot",
    )
    url_state.remember(controls_in_address)

    figures = st.container()  # the message or the before/after figures, above the map
    scenario = None
    changes = st.session_state[_CHANGES]
    if changes:
        try:
            check_scenario_size(len(changes), _SOURCE)
            scenario = scenarios.parse_scenario(
                {
                    "name": st.session_state[_NAME],
                    "description": st.session_state[_DESCRIPTION],
                    "change": changes,
                },
                _SOURCE,
            )
            problems = study.check_scenario(scenario)
        except ServiceMapError as exc:
            problems = str(exc).splitlines()
        if problems:
            figures.error(
                "The scenario cannot be applied yet:\n\n" + "\n".join(f"- {p}" for p in problems)
            )
            scenario = None

    if scenario is not None:
        _, totals = app_state.scenario_comparison(
            scenario, category=category, slots=slots, by="district", threshold=threshold
        )
        with figures:
            scenario_results.headline_figures(totals, threshold)
    _map(scenarios, scenario, category, map_slot, threshold)

    if scenario is None:
        return
    scenario_results.ranked_tables(scenario, category, slots, threshold)
    _gaps(scenario)

    st.subheader("Save and export")
    columns = st.columns(3)
    with columns[0]:
        st.download_button(
            "Save scenario (TOML)",
            _scenario_bytes(scenarios, scenario, ".toml"),
            file_name=f"{_file_stem(scenario.name)}.toml",
            mime="application/toml",
            key="sc_save_toml",
            on_click="ignore",
        )
    with columns[1]:
        st.download_button(
            "Save scenario (JSON)",
            _scenario_bytes(scenarios, scenario, ".json"),
            file_name=f"{_file_stem(scenario.name)}.json",
            mime="application/json",
            key="sc_save_json",
            on_click="ignore",
        )
    with columns[2]:
        _pack(scenario, threshold)


if __name__ == "__main__":
    render()
