"""The app's documented limits: uploads and scenarios too large are refused in the page.

Issue 8, "limits under load": each refusal is a message in the page (never an exception)
and leaves the session's scenario and register as they were.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from mapping.inputs.limits import MAX_SCENARIO_CHANGES, MAX_UPLOAD_BYTES

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
CLOSE = {"kind": "close", "service": "sarc-cumbria-bridgeway"}


def _open(page: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=240)
    app.run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_hostile_scenario_uploads_are_refused_in_the_page(built_data: Path) -> None:
    app = _open("app/scenarios.py")
    too_many = "\n".join(
        [
            'name = "many"',
            *['[[change]]\nkind = "close"\nservice = "x"'] * (MAX_SCENARIO_CHANGES + 1),
        ]
    ).encode()
    cases = {
        "deep.toml": ("v = " + "[" * 5000 + "]" * 5000).encode(),
        "bom.toml": b'\xef\xbb\xbfname = "x"\n',
        "many.toml": too_many,
    }
    for name, content in cases.items():
        app.file_uploader(key="sc_upload").set_value((name, content, "application/toml"))
        app.run()
        assert not app.exception, name
        assert app.error and name in app.error[0].value, name
        assert app.session_state["sc_changes"] == []


def test_scenario_built_in_the_page_is_limited(built_data: Path) -> None:
    app = _open("app/scenarios.py")
    app.session_state["sc_changes"] = [dict(CLOSE)] * (MAX_SCENARIO_CHANGES + 1)
    app.run()
    assert not app.exception
    assert any(f"at most {MAX_SCENARIO_CHANGES}" in e.value for e in app.error)


def test_register_upload_over_the_size_limit_is_refused(built_data: Path) -> None:
    app = _open("app/services.py")
    header = (ROOT / "data" / "services.csv").read_bytes().splitlines()[0]
    content = header + b"\n" + b"x," * (MAX_UPLOAD_BYTES // 2 + 10)
    app.file_uploader(key="register_upload").set_value(("big.csv", content, "text/csv"))
    app.run()
    assert not app.exception
    assert app.error and "big.csv" in app.error[0].value and "larger than" in app.error[0].value
    assert "session_register" not in app.session_state


def _map_script(app: AppTest) -> str:
    components = [c for c in app.get("component_instance") if "st_folium" in c.proto.component_name]
    assert len(components) == 1
    return str(json.loads(components[0].proto.json_args)["script"])


def test_the_shared_map_cache_never_shows_one_session_another_upload(built_data: Path) -> None:
    """The Map page's map is built once per query for all sessions, keyed by the study."""
    published = (ROOT / "data" / "services.csv").read_text(encoding="utf-8")
    register = pd.read_csv(io.StringIO(published), dtype=str, keep_default_na=False)
    first_sarc = register.index[register["category"] == "sarc"][0]
    marker = "Session A only SARC"
    register.loc[first_sarc, "name"] = marker
    content = register.to_csv(index=False, lineterminator="\n").encode("utf-8")

    mine = _open("app/services.py")
    mine.file_uploader(key="register_upload").set_value(("mine.csv", content, "text/csv"))
    mine.run()
    mine.button(key="register_use").click().run()
    assert not mine.exception and not mine.error
    mine.switch_page("app/map.py").run()
    assert marker in _map_script(mine)

    other = AppTest.from_file(APP, default_timeout=240)
    other.run()  # the Map page, same query, another session on the published register
    assert not other.exception
    assert marker not in _map_script(other)
