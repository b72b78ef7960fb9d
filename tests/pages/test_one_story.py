"""The app tells one story (issue 21): the same out-of-hours answer on every page.

Saturday 02:00, SARCs, 60 minutes: the Map headline, the Gaps rule "No out-of-hours
provision in the county", the Week page, ``service-map sarc`` and the export report all
state :meth:`mapping.Study.out_of_hours` in the same words and figures, naming the
cross-border SARCs. Services without a site get the reason in words and no figure on
the Map, Week and Need pages, and every Gaps filter that leaves no rows is a message,
not a crash.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping.inputs.vocabulary import CATEGORIES
from mapping.study import Study

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 240


def _open(page: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    app.switch_page(page).run()
    _ok(app)
    return app


def _ok(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def _texts(app: AppTest) -> list[str]:
    return [m.value for m in app.markdown] + [i.value for i in app.info]


@pytest.fixture(scope="module")
def saturday(study: Study) -> str:
    """The one account at Saturday 02:00, in words."""
    account = study.out_of_hours("sarc", "Sat 02:00", threshold=60)
    # The cross-border SARCs are named with their shares: Manchester, Cumbria, Merseyside.
    assert len(account.cross_border) >= 2 and not account.in_area
    for row in account.cross_border:
        assert row.name in account.sentence()
    return account.sentence()


def test_saturday_night_is_one_story_on_every_page(
    study: Study, saturday: str, run_cli, tmp_path: Path
) -> None:
    # Map: opens on Saturday 02:00 (weekend night) at 60 minutes.
    app = _open("app/map.py")
    assert saturday in _texts(app)
    # Week: Saturday 02:00 in the same words, then the worst hour against it.
    app = _open("app/week.py")
    texts = _texts(app)
    assert saturday in texts
    assert any("from opening hours" in t and "from road speeds" in t for t in texts)
    # Gaps: the out-of-hours rule quotes the same account (cross-border SARCs count).
    app = _open("app/gaps.py")
    table = next(d.value for d in app.dataframe if "Evidence" in d.value.columns)
    evidence = " ".join(table["Evidence"].astype(str))
    assert saturday in evidence
    gaps = study.gaps()
    row = gaps[gaps["gap_id"] == "no_out_of_hours:Lancashire:sarc"].iloc[0]
    assert row["population_affected"] == pytest.approx(
        max(
            study.out_of_hours("sarc", s).people_beyond
            for s in ("Tue 02:00", "Sat 02:00", "Sat 14:00")
        ),
        abs=0.5,  # the gap register holds whole people
    )
    # The command line.
    code, out, _ = run_cli(["sarc", "--at", "Sat 02:00"])
    assert code == 0 and saturday in out
    # The export report.
    study.export(tmp_path / "pack", categories=["sarc"], slots=["weekday daytime", "weekend night"])
    report = html.unescape((tmp_path / "pack" / "report.html").read_text(encoding="utf-8"))
    assert saturday in report


def test_the_maps_first_view_shows_every_named_sarc(study: Study) -> None:
    from app.map import view_bounds
    from mapping.inputs.register import public_view
    from mapping.outputs.maps import display_shapes

    account = study.out_of_hours("sarc", "Sat 02:00")
    register = public_view(study.effective_register())
    areas = display_shapes(study.boundaries("district"))
    (south, west), (north, east) = view_bounds(areas, register, account)
    named = register[register["id"].isin([s.service_id for s in account.cross_border])]
    points = named.to_crs("EPSG:4326").geometry
    assert len(points) == len(account.cross_border)
    assert ((points.y >= south) & (points.y <= north)).all()
    assert ((points.x >= west) & (points.x <= east)).all()


def _siteless(study: Study) -> list[str]:
    routed = set(study.engine.services["category"])
    return [c for c in CATEGORIES if c not in routed]


@pytest.mark.parametrize(
    "page, key",
    [
        ("app/map.py", "map_category"),
        ("app/week.py", "week_category"),
        ("app/need.py", "need_category"),
    ],
)
def test_every_category_on_map_week_and_need(study: Study, page: str, key: str) -> None:
    app = _open(page)
    siteless = _siteless(study)
    assert {"refuge", "helpline"} <= set(siteless)
    app.selectbox(key=key).set_value("sarc").run()
    charts = len(app.get("vega_lite_chart")) + (page == "app/map.py")  # the Map has none
    for category in CATEGORIES:
        app.selectbox(key=key).set_value(category).run()
        _ok(app)
        texts = " ".join(
            [*_texts(app), *(s.value for s in app.subheader), *(c.value for c in app.caption)]
        )
        assert not re.search(r"\bnan\b", texts, re.IGNORECASE), category
        if category in siteless:
            said = " ".join([*(i.value for i in app.info), *(s.value for s in app.subheader)])
            assert "no site to drive to" in said, category
            reason = (
                "confidential" if category in ("refuge", "safe_house") else "telephone or outreach"
            )
            assert reason in said, category
            assert "record" in said and "in the register" in said, category
            assert "worst hour is" not in texts, category
            assert len(app.get("vega_lite_chart")) < charts, category


def test_every_gaps_filter_with_no_rows_is_a_message(study: Study) -> None:
    app = _open("app/gaps.py")
    register = study.gaps()
    areas = sorted(register["area_name"].dropna().unique())
    severities = [s for s in ("high", "medium", "low") if s in set(register["severity"])]
    tried = 0
    for rule in sorted(register["rule_title"].dropna().unique()):
        mine = register[register["rule_title"] == rule]
        app.multiselect(key="gaps_area").set_value([]).run()
        app.multiselect(key="gaps_severity").set_value([]).run()
        app.multiselect(key="gaps_rule").set_value([rule]).run()
        for area in sorted(set(areas) - set(mine["area_name"])):
            app.multiselect(key="gaps_area").set_value([area]).run()
            _ok(app)
            assert any("No gap matches" in i.value for i in app.info), (rule, area)
            assert not app.dataframe and not app.get("download_button"), (rule, area)
            tried += 1
        app.multiselect(key="gaps_area").set_value([]).run()
        for severity in sorted(set(severities) - set(mine["severity"])):
            app.multiselect(key="gaps_severity").set_value([severity]).run()
            _ok(app)
            assert any("No gap matches" in i.value for i in app.info), (rule, severity)
            tried += 1
        app.multiselect(key="gaps_severity").set_value([]).run()
    assert tried > 0


def test_need_page_says_sources_in_words_and_no_codes(built_data: Path) -> None:
    app = _open("app/need.py")
    captions = [c.value for c in app.caption]
    assert any(c.startswith("Benchmark: ") and "Source:" in c for c in captions)
    assert not any("women_16_plus" in c for c in captions)
