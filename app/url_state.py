"""Each page's controls in the address, and kept for the session when the page changes.

A page lists its controls (:class:`Control`: a widget key and the values it may take)
and calls :func:`restore` before drawing them and :func:`remember` after::

    controls = url_state.page_controls("map")
    url_state.restore(controls)
    ...  # the widgets, with these keys
    url_state.remember(controls)

- **A link reproduces the view.** :func:`remember` writes every control's value to the
  address (``st.query_params``): ``/map?map_category=idva&map_slot=weekday+daytime``.
  Opened in a new browser, :func:`restore` sets the widgets from the address first.
- **Page changes keep the settings.** Streamlit forgets a widget's value once its page
  is left; :func:`remember` keeps a copy in the session and :func:`restore` puts it back
  when the page is drawn again, whatever the address holds.
- **Bad addresses are ignored.** A value the control cannot take (an unknown category,
  a threshold not offered) is left out, and the widget keeps its default.

Kept apart from :mod:`app.state` (loaders and caches).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

__all__ = ["Control", "enter", "page_controls", "remember", "restore"]

_WRITTEN = "_url_written"  # {key: value last written to the address}
_KEPT = "_url_kept"  # {key: value last seen on its page}
_PAGE = "_url_page"  # the page the last run drew
_ENTERED = "_url_entered"  # whether this run arrived at a page from another
_MISSING = object()


@dataclass(frozen=True)
class Control:
    """One widget whose value lives in the address.

    Attributes
    ----------
    key
        The widget's key (also the address parameter's name).
    options
        The values the widget may take, or a function returning them (read when the
        address is applied). An address value is matched to an option by its text.
    many
        A multiselect: the parameter is repeated, one value per option chosen.

    ``options=None`` is a text input: any one text is taken, and the page checks it
    (a bad time of week in the SARC page's extra slot is the page's readable error).
    """

    key: str
    options: Sequence[Any] | Callable[[], Sequence[Any]] | None
    many: bool = False

    def allowed(self) -> list[Any]:
        """The options, as a list (none for a text input)."""
        if self.options is None:
            return []
        return list(self.options() if callable(self.options) else self.options)

    def parse(self, texts: Sequence[str]) -> Any:
        """The widget value the address texts stand for (``_MISSING``: none valid)."""
        if self.options is None:
            return texts[0] if len(texts) == 1 else _MISSING
        by_text = {str(option): option for option in self.allowed()}
        values = [by_text[t] for t in texts if t in by_text]
        if self.many:
            return values if len(values) == len(texts) else _MISSING
        return values[0] if len(values) == 1 else _MISSING


def _state(name: str) -> dict[str, Any]:
    value = st.session_state.get(name)
    if not isinstance(value, dict):
        value = {}
        st.session_state[name] = value
    return value


def _from_address(control: Control) -> Any:
    if control.key not in st.query_params:
        return _MISSING
    texts = st.query_params.get_all(control.key)
    if control.many and texts == [""]:
        texts = []  # an empty multiselect is written as one empty parameter
    return control.parse(texts)


def enter(page: str) -> None:
    """Note the page this run draws (``app.py`` calls it before the page runs)."""
    st.session_state[_ENTERED] = st.session_state.get(_PAGE) != page
    st.session_state[_PAGE] = page


def restore(controls: Iterable[Control]) -> None:
    """Before the widgets: set them from the address (a link), else from the session.

    On arriving at a page its widgets are new to Streamlit, so they take the address's
    values, else the ones the session kept. On the page itself, an address value counts
    only when it differs from what this session last wrote there, so changing a widget
    is never undone by the address it left behind.
    """
    written, kept = _state(_WRITTEN), _state(_KEPT)
    arrived = bool(st.session_state.get(_ENTERED, True))
    for control in controls:
        value = _from_address(control)
        if value is not _MISSING and (arrived or value != written.get(control.key, _MISSING)):
            st.session_state[control.key] = value
            written[control.key] = value
        elif control.key in kept and (arrived or control.key not in st.session_state):
            st.session_state[control.key] = kept[control.key]


def remember(controls: Iterable[Control]) -> None:
    """After the widgets: keep their values for the session and write them to the address."""
    written, kept = _state(_WRITTEN), _state(_KEPT)
    for control in controls:
        if control.key not in st.session_state:
            continue  # not drawn this run (a day and hour for a named slot)
        value = st.session_state[control.key]
        kept[control.key] = value
        texts = [str(v) for v in value] if control.many else [str(value)]
        if st.query_params.get_all(control.key) != (texts or [""]):
            st.query_params[control.key] = texts or [""]
        written[control.key] = value


def _common(prefix: str, *, slot: bool = True, age: bool = True) -> list[Control]:
    """The shared widgets of :mod:`app.widgets` under ``prefix`` (``map`` -> ``map_category``)."""
    from app import widgets
    from app.state import DAY_NAMES
    from mapping.inputs.vocabulary import AGE_BANDS, CATEGORIES, WEIGHTS
    from mapping.inputs.when import NAMED_SLOTS

    found = [
        Control(f"{prefix}_category", CATEGORIES),
        Control(f"{prefix}_threshold", widgets.THRESHOLDS),
        Control(f"{prefix}_weight", list(WEIGHTS)),
    ]
    if slot:
        names = [s.name for s in NAMED_SLOTS]
        found += [
            Control(f"{prefix}_slot", [*names, widgets.CUSTOM_SLOT]),
            Control(f"{prefix}_slot_day", list(DAY_NAMES)),
            Control(f"{prefix}_slot_hour", range(24)),
        ]
    if age:
        found.append(Control(f"{prefix}_age", [widgets.EVERYBODY, *AGE_BANDS]))
    return found


def _gap_options(column: str) -> Callable[[], list[Any]]:
    def options() -> list[Any]:
        from app.state import gap_register

        register = gap_register()
        return sorted(register[column].dropna().unique()) if len(register) else []

    return options


def _areas() -> list[str]:
    from app.queries import area_choices

    return list(area_choices())


def _services() -> list[str]:
    """The register's service ids (the Optimise page's hours tab chooses one)."""
    from app.state import current_study

    services = current_study().engine.services
    if "what_if" in services:
        services = services[~services["what_if"].astype(bool)]
    return [str(i) for i in services["id"]]


def _invest_controls() -> list[Control]:
    """The Optimise page: the appraisal, the hours tab and the sites tab."""
    from app import widgets
    from mapping.inputs.vocabulary import CATEGORIES
    from mapping.inputs.when import NAMED_SLOTS

    return [
        Control("opt_appraise_category", CATEGORIES),
        Control("opt_appraise_hours", range(1, 85)),
        Control("opt_appraise_threshold", widgets.THRESHOLDS),
        Control("opt_service", _services),
        Control("opt_extra", range(1, 85)),
        Control("opt_threshold", widgets.THRESHOLDS),
        Control("opt_block", range(1, 13)),
        Control("opt_objective", ("minutes", "coverage")),
        Control("opt_site_category", CATEGORIES),
        Control("opt_site_k", range(1, 4)),
        Control("opt_site_at", ["week", *(s.at for s in NAMED_SLOTS)]),
        Control("opt_site_method", ("mclp", "pmedian")),
        Control("opt_site_threshold", widgets.THRESHOLDS),
    ]


def page_controls(page: str) -> list[Control]:
    """The controls of ``page`` (``map``, ``sarc``, ``week``, ``need``, ``coverage``,
    ``gaps``, ``scenarios``, ``optimise``)."""
    if page in ("sarc", "scenarios"):
        from app import widgets
        from mapping.inputs.vocabulary import CATEGORIES, WEIGHTS
        from mapping.inputs.when import NAMED_SLOTS

        names = [s.name for s in NAMED_SLOTS]
        if page == "sarc":
            return [
                Control("sarc_slots", names, many=True),
                Control("sarc_extra", None),
                Control("sarc_weight", list(WEIGHTS)),
            ]
        return [
            Control("sc_category", CATEGORIES),
            Control("sc_slots", names, many=True),
            Control("sc_threshold", widgets.THRESHOLDS),
            Control("sc_map_slot", [s.at for s in NAMED_SLOTS]),
        ]
    if page == "optimise":
        return _invest_controls()
    if page == "map":
        return _common("map")
    if page == "week":
        return [c for c in _common("week") if "weight" not in c.key and "slot" not in c.key] + [
            Control("week_area", _areas)
        ]
    if page == "need":
        from app.need import SV_DENOMINATORS

        return [*_common("need", age=False), Control("need_sv_denominator", list(SV_DENOMINATORS))]
    if page == "coverage":
        from app.coverage import LEVELS

        return [*_common("cov"), Control("cov_level", list(LEVELS))]
    if page == "gaps":
        return [
            Control("gaps_rule", _gap_options("rule_title"), many=True),
            Control("gaps_area", _gap_options("area_name"), many=True),
            Control("gaps_severity", ("high", "medium", "low"), many=True),
        ]
    raise KeyError(page)
