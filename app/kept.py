"""An uploaded register and the scenario being built, kept across a refresh of the page.

A reload starts a new Streamlit session with an empty ``st.session_state``. So that a
refresh does not lose them, this session's upload (its bytes and name) and its scenario
(name, description and changes) are also kept on the server, for this browser only:

- **The address carries a random token** (``?session=…``, 128 bits from
  :mod:`secrets`), written on every run. A reload sends it back.
- **The server keeps them per token and per browser**: the key is a hash of the token
  with the browser's ``_streamlit_xsrf`` cookie (its token part, which Streamlit keeps
  for the browser's life). A copied link opened in another browser carries the token
  but not the cookie, so it finds nothing and starts afresh: sessions never see each
  other's uploads or scenarios. Without that cookie (XSRF protection switched off,
  or a test harness) nothing is kept and the pages say so (:func:`available`).
- **Bounded**: at most :data:`MAX_KEPT` browsers, each for :data:`KEPT_TTL_S` seconds
  after its last use, each holding one upload within the upload limit and one
  scenario within the scenario limit. Only data is kept: the upload is validated again
  and re-routed through :func:`app.state.use_session_register`, and the scenario's
  changes are validated by the Scenarios page as when they were first made. Nothing
  kept is evaluated.

Kept apart from :mod:`app.state` (loaders and caches) and :mod:`app.url_state` (the
pages' controls in the address).
"""

from __future__ import annotations

import binascii
import copy
import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from app import state as app_state
from mapping.inputs.limits import MAX_SCENARIO_CHANGES, MAX_UPLOAD_BYTES

__all__ = [
    "KEPT_TTL_S",
    "MAX_KEPT",
    "SCENARIO_KEYS",
    "TOKEN_PARAM",
    "available",
    "cookie_token",
    "keep",
    "start",
    "survives_reload",
]

#: The address parameter holding this browser tab's token.
TOKEN_PARAM = "session"
#: At most this many browsers' uploads and scenarios are kept (the oldest goes first).
MAX_KEPT = 64
#: How long (seconds) what a browser kept lasts after its last use.
KEPT_TTL_S = 3600
#: The ``st.session_state`` keys of the scenario being built (:mod:`app.scenarios`).
SCENARIO_KEYS = ("sc_name", "sc_description", "sc_changes")
_TOKEN = "_kept_token"  # st.session_state: this session's token
_COOKIE = "_streamlit_xsrf"
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Kept:
    """What one browser keeps: its upload (or none) and its scenario's fields."""

    register_name: str | None = None
    register_content: bytes | None = None
    scenario: dict[str, Any] = field(default_factory=dict)

    def empty(self) -> bool:
        """Whether there is nothing worth keeping (no upload, no scenario change)."""
        return self.register_content is None and not self.scenario.get("sc_changes")


@dataclass
class _Store:
    """The kept entries of every browser, by key, oldest first; bounded and expiring."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    entries: OrderedDict[str, tuple[float, Kept]] = field(default_factory=OrderedDict)

    def _expire(self, now: float) -> None:
        while self.entries:
            key, (stamp, _) = next(iter(self.entries.items()))
            if now - stamp <= KEPT_TTL_S and len(self.entries) <= MAX_KEPT:
                return
            del self.entries[key]

    def get(self, key: str, now: float) -> Kept | None:
        with self.lock:
            self._expire(now)
            found = self.entries.get(key)
            return None if found is None else found[1]

    def put(self, key: str, kept: Kept, now: float) -> None:
        with self.lock:
            self.entries.pop(key, None)
            if not kept.empty():
                self.entries[key] = (now, kept)
            self._expire(now)


@st.cache_resource(show_spinner=False)
def _store() -> _Store:
    return _Store()


def cookie_token(raw: str) -> str | None:
    """The lasting token in an XSRF cookie's value (hex), or None when it is not one.

    The cookie reads ``2|mask|masked token|timestamp`` (hex, Tornado's version 2);
    Streamlit masks it afresh on every response, so the unmasked token is what stays
    the same for the browser.
    """
    parts = raw.strip("\"'").split("|")
    if len(parts) == 4 and parts[0] == "2":
        try:
            mask, masked = binascii.a2b_hex(parts[1]), binascii.a2b_hex(parts[2])
        except (binascii.Error, ValueError):
            return None
        if len(mask) != 4 or len(masked) < 16:
            return None
        return bytes(b ^ mask[i % 4] for i, b in enumerate(masked)).hex()
    return raw if len(raw) >= 16 and "|" not in raw else None


def _browser() -> str | None:
    """This browser's lasting secret (:func:`cookie_token`), or None without the cookie."""
    try:
        raw = st.context.cookies.get(_COOKIE)
    except Exception:  # no request behind this run (a test harness)
        return None
    return cookie_token(raw) if isinstance(raw, str) and raw else None


def _key(token: str, browser: str) -> str:
    return hashlib.sha256(f"{token}\0{browser}".encode()).hexdigest()


def available() -> bool:
    """Whether this browser's upload and scenario survive a refresh of the page."""
    return _browser() is not None


def survives_reload() -> str:
    """The sentence a page says about a reload, true for this browser."""
    if available():
        return (
            "reloading the page keeps it too, in this browser only, for up to an hour after "
            "you last used the app; another browser, or the app opened afresh without this "
            "page's address, starts without it."
        )
    return "reloading the page (or a new tab) starts a new session without it."


def _restore(kept: Kept) -> None:
    """Put a kept upload and scenario back into this (new) session."""
    for name, value in kept.scenario.items():
        st.session_state[name] = copy.deepcopy(value)
    if kept.register_content is not None and kept.register_name is not None:
        with st.spinner(f"Restoring your register {kept.register_name}…"):
            # Checked again as on upload: the published data may have changed since.
            problems = app_state.register_problems(kept.register_content, kept.register_name)
            if not problems:
                app_state.use_session_register(kept.register_content, kept.register_name)
    if kept.register_name is not None and app_state.session_register() is None:
        st.warning(
            f"Your register {kept.register_name} no longer passes validation, so this "
            "session uses the published register. Upload it again to see its problems."
        )


def start() -> None:
    """At the top of every run: this session's token, in the address; restored on reload.

    A new session whose address holds a token this browser kept something under takes
    that token and what it kept; otherwise it draws a new token.
    """
    browser = _browser()
    if browser is None:
        return
    token = st.session_state.get(_TOKEN)
    if not isinstance(token, str):
        given = st.query_params.get(TOKEN_PARAM)
        kept = None
        if isinstance(given, str) and _TOKEN_SHAPE.fullmatch(given):
            kept = _store().get(_key(given, browser), time.monotonic())
        token = given if kept is not None and given is not None else secrets.token_urlsafe(16)
        st.session_state[_TOKEN] = token
        if kept is not None:
            _restore(kept)
    if st.query_params.get(TOKEN_PARAM) != token:
        st.query_params[TOKEN_PARAM] = token


def keep() -> None:
    """At the end of every run: keep this session's upload and scenario for a reload."""
    browser, token = _browser(), st.session_state.get(_TOKEN)
    if browser is None or not isinstance(token, str):
        return
    key, now = _key(token, browser), time.monotonic()
    before = _store().get(key, now) or Kept()
    scenario = dict(before.scenario)
    for name in SCENARIO_KEYS:  # a widget's key is gone on pages without the widget
        if name in st.session_state:
            scenario[name] = copy.deepcopy(st.session_state[name])
    changes = scenario.get("sc_changes")
    if not isinstance(changes, list) or len(changes) > MAX_SCENARIO_CHANGES:
        scenario.pop("sc_changes", None)
    entry = app_state.session_register()
    content = None if entry is None else entry.content
    if content is not None and len(content) > MAX_UPLOAD_BYTES:
        content = None
    kept = Kept(
        register_name=None if content is None or entry is None else entry.name,
        register_content=content,
        scenario=scenario,
    )
    _store().put(key, kept, now)  # also renews its time
