"""The Streamlit app runs on the default data and shows no confidential point."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_app_renders_without_exception(built_data: Path) -> None:
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    assert not app.exception
    assert app.title[0].value == "Lancashire victim-service coverage"
    assert any("confidential sites shown only by council area" in c.value for c in app.caption)
    assert any("Royal Mail" in c.value for c in app.caption)
    table = app.dataframe[0].value
    confidential = table[table["confidential"]]
    assert len(confidential) > 0
    assert confidential[["lat", "lon"]].isna().all().all()
