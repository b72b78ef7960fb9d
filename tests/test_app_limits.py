"""The app's documented limits: uploads and scenarios too large are refused in the page.

Issue 8, "limits under load": each refusal is a message in the page (never an exception)
and leaves the session's scenario and register as they were.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from mapping.inputs.limits import MAX_SCENARIO_CHANGES, MAX_UPLOAD_BYTES

ROOT = Path(__file__).resolve().parents[1]
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
