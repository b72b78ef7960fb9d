"""AppTest checks of the Without a car page: the mode control and the no-car households."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from mapping.analysis.without_car import LIMITATION, headline
from mapping.study import Study

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 300


def _ok(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def _columns(app: AppTest, first: str) -> list[str]:
    table = next(d.value for d in app.dataframe if d.value.columns[0] == first)
    return list(table.columns)


def test_without_car_page_follows_mode_and_walking_threshold(study: Study) -> None:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    app.switch_page("app/without_car.py").run()
    _ok(app)
    texts = [m.value for m in app.markdown]
    assert f"**{headline(study.without_car('sarc', 'Tue 10:00', 30))}**" in texts
    assert any(f"Limitation: {LIMITATION}" in c.value for c in app.caption)
    assert "Within 90 min" in _columns(app, "Council area")
    app.radio(key="nocar_mode").set_value("walk").run()
    _ok(app)
    columns = _columns(app, "Council area")
    assert columns[-3:] == ["Within 15 min", "Within 30 min", "Within 45 min"]
    assert any(c.value.startswith("Walking thresholds: 15, 30, 45") for c in app.caption)
    app.radio(key="nocar_minutes").set_value(45).run()
    _ok(app)
    texts = [m.value for m in app.markdown]
    assert f"**{headline(study.without_car('sarc', 'Tue 10:00', 45))}**" in texts
    wards = next(d.value for d in app.dataframe if d.value.columns[0] == "Ward")
    assert len(wards) == 20 and "Beyond a 45-minute walk" in wards.columns
