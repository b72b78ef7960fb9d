"""The app's need wiring with ``AppTest``: the "Need and equity" page and the weight controls.

Figures on the page must be the study's own (``Study.equity``, ``Study.capacity``), the
weight must change them and be named, and the recorded-violence caveat must be visible.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping.study import Study

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 240


def _open(page: str | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    if page is not None:
        app.switch_page(page).run()
    _ok(app)
    return app


def _ok(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def _caveat_shown(app: AppTest) -> bool:
    texts = [i.value for i in app.info] + [c.value for c in app.caption]
    return any("proxy for need" in t for t in texts)


def test_need_page_shows_minutes_by_decile_from_the_study(study: Study) -> None:
    app = _open("app/need.py")
    assert _caveat_shown(app)
    table = next(d.value for d in app.dataframe if "IMD decile (1 = most deprived)" in d.value)
    assert list(table["IMD decile (1 = most deprived)"]) == list(range(1, 11))
    assert table["Residents"].sum() == pytest.approx(1_531_079)
    expected = study.equity("sarc", "Sat 02:00", 60, "residents").by_decile
    assert table["Mean drive (minutes)"].tolist() == pytest.approx(
        expected["mean_minutes"].tolist()
    )
    assert "most deprived fifth" in app.subheader[0].value
    assert any("Theil's T" in m.value for m in app.markdown)
    assert len(app.get("vega_lite_chart")) >= 1


def test_need_page_weight_changes_the_figures_and_is_named(built_data: Path) -> None:
    app = _open("app/need.py")
    app.selectbox(key="need_weight").set_value("women_16_plus").run()
    _ok(app)
    table = next(d.value for d in app.dataframe if "IMD decile (1 = most deprived)" in d.value)
    assert "Women 16+" in table.columns
    assert table["Women 16+"].sum() == pytest.approx(666_438)
    assert "women 16+" in app.subheader[0].value


def _benchmark_help(app: AppTest) -> list[str]:
    """The hover text of each capacity table's benchmark column, in page order."""
    return [
        json.loads(d.proto.columns)["Needed (benchmark)"]["help"]
        for d in app.dataframe
        if "Needed (benchmark)" in d.value.columns
    ]


def test_need_page_capacity_per_area_with_its_source_on_hover(built_data: Path) -> None:
    app = _open("app/need.py")
    tables = [d.value for d in app.dataframe if "Needed (benchmark)" in d.value.columns]
    assert len(tables) == 4  # refuge, IDVA, rape crisis, sexual assault centres
    for table in tables:
        assert len(table) == 15 and "Lancashire" in set(table["Area"])
    helps = _benchmark_help(app)
    assert any("SafeLives" in h for h in helps)
    assert any("Home Office" in h for h in helps)
    assert all("Source:" in h for h in helps)
    # Rape crisis (1 per 200,000 women) and sexual assault centres (1 per 400,000 women).
    assert sum("women of all ages" in h for h in helps) == 2
    assert any("county scale" in i.value for i in app.info)
    # Capacity in words: the county-wide IDVA service covers areas, never a bare 0.
    idva = next(t for t in tables if t["Known capacity"].str.contains("FTE advocates").any())
    assert idva["Known capacity"].str.contains("covered by a service based elsewhere").any()
    assert not idva["Known capacity"].isin(["0", "0.0"]).any()
    assert idva["Range"].str.contains("–").all()  # 40 to 47 Marac cases, 60 to 100 per FTE
    app.radio(key="need_sv_denominator").set_value("residents").run()
    _ok(app)
    assert sum("women of all ages" in h for h in _benchmark_help(app)) == 1


def test_map_sarc_and_coverage_pages_take_a_weight(built_data: Path) -> None:
    app = _open()
    app.selectbox(key="map_weight").set_value("women_16_plus").run()
    _ok(app)
    assert "Lancashire's women aged 16 and over" in app.subheader[0].value
    assert any("Women 16+" in m.label for m in app.metric)
    app.selectbox(key="map_age").set_value("age_0_15").run()
    assert not app.exception and not app.error
    assert app.warning and "residents only" in app.warning[0].value

    sarc = _open("app/sarc.py")
    sarc.selectbox(key="sarc_weight").set_value("recorded_violence_sexual").run()
    _ok(sarc)
    assert "Recorded violence and sexual offences a year" in sarc.dataframe[0].value.columns
    assert _caveat_shown(sarc)

    coverage = _open("app/coverage.py")
    coverage.selectbox(key="cov_weight").set_value("women_16_plus").run()
    _ok(coverage)
    table = coverage.dataframe[0].value
    assert {"Residents", "Women 16+"} <= set(table.columns)
    total = table.set_index("Council area").at["Lancashire", "Women 16+"]
    assert total == pytest.approx(666_438, abs=1)
    assert any("women aged 16 and over" in c.value for c in coverage.caption)
