"""What a browser keeps for a refresh (:mod:`app.kept`): bound to the browser, bounded, expiring.

Hand-worked cases: the browser's secret is the XSRF cookie's token unmasked (so the
same for every masking of it); a token is worth nothing without that browser's cookie;
the store holds at most ``MAX_KEPT`` browsers, each for ``KEPT_TTL_S`` seconds after its
last use, and drops an entry with nothing to keep. The real-browser refresh is in
``test_browser_refresh.py``; without a cookie (AppTest) the page says a reload loses it.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from app import kept

ROOT = Path(__file__).resolve().parents[2]
TOKEN = bytes(range(16))


def _cookie(mask: bytes, token: bytes = TOKEN, stamp: int = 1_765_000_000) -> str:
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
    return f"2|{mask.hex()}|{masked.hex()}|{stamp}"


def test_the_browser_secret_is_the_cookie_token_whatever_its_mask() -> None:
    one = kept.cookie_token(_cookie(b"\x01\x02\x03\x04"))
    two = kept.cookie_token(_cookie(b"\xff\x00\xaa\x55"))
    assert one == two == TOKEN.hex()
    assert kept.cookie_token(_cookie(b"\x01\x02\x03\x04", token=bytes(16))) != one
    # Not a cookie Streamlit wrote: no secret, so nothing is kept.
    for bad in ("", "2|zz|00|1", "2|0102|00|1", "2|01020304|0011|1", "short"):
        assert kept.cookie_token(bad) is None, bad


def test_a_token_without_its_browser_finds_nothing() -> None:
    store = kept._Store()
    upload = kept.Kept(register_name="a.csv", register_content=b"id,name\n")
    store.put(kept._key("t" * 22, "browser-1"), upload, now=0.0)
    assert store.get(kept._key("t" * 22, "browser-1"), now=1.0) == upload
    assert store.get(kept._key("t" * 22, "browser-2"), now=1.0) is None
    assert store.get(kept._key("u" * 22, "browser-1"), now=1.0) is None


def test_the_store_is_bounded_expires_and_drops_what_is_empty() -> None:
    store = kept._Store()
    entry = kept.Kept(scenario={"sc_changes": [{"kind": "close", "service": "x"}]})
    for i in range(kept.MAX_KEPT + 3):
        store.put(f"k{i}", entry, now=float(i))
    assert len(store.entries) == kept.MAX_KEPT
    assert store.get("k0", now=70.0) is None  # the oldest went first
    assert store.get(f"k{kept.MAX_KEPT + 2}", now=70.0) == entry
    # An hour after its last use it is gone; each use renews it.
    store.put("k3", entry, now=100.0)
    assert store.get("k3", now=100.0 + kept.KEPT_TTL_S) == entry
    assert store.get("k3", now=101.0 + kept.KEPT_TTL_S) is None
    # Nothing to keep (no upload, no change): the entry goes.
    store.put("k5", entry, now=200.0)
    store.put("k5", kept.Kept(scenario={"sc_changes": []}), now=201.0)
    assert store.get("k5", now=202.0) is None


def test_without_a_browser_cookie_the_pages_say_a_reload_loses_it(built_data: Path) -> None:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    app.run()
    app.switch_page("app/services.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert any(
        "reloading the page (or a new tab) starts a new session" in c.value for c in app.caption
    )
    assert kept.TOKEN_PARAM not in app.query_params
