"""AppTest check of the Pathways page (issue 25)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from mapping.study import Study

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def test_pathways_page_draws_sankey_gaps_and_table(study: Study) -> None:
    app = AppTest.from_file(APP, default_timeout=240)
    app.run()
    app.switch_page("app/pathways.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    html = "".join(m.value for m in app.markdown)
    assert 'data-sankey="pathways"' in html and 'data-state="open"' in html
    assert "Barred by age or risk (self referral is for ages 18+)" in html
    expected = study.pathways("adult, recent rape", 17, "Sat 02:00", "BB11 1JA").table
    [table] = [d.value for d in app.dataframe if "Pathway" in d.value.columns]
    assert len(table) == len(expected)
    assert table["Status at the hour"].tolist() == expected["status"].tolist()
    # another need and a bad home
    app.selectbox(key="pw_need").select_index(5).run()  # stalking
    assert not app.exception
    app.text_input(key="pw_home").input("nowhere").run()
    assert any("neither a postcode" in e.value for e in app.error)


def test_gaps_page_lists_the_pathway_rules(study: Study) -> None:
    app = AppTest.from_file(APP, default_timeout=240)
    app.run()
    app.switch_page("app/gaps.py").run()
    assert not app.exception, [e.value for e in app.exception]
    [rules] = [m for m in app.multiselect if m.label == "Rule"]
    assert {"Self-referral barred by age", "No way in without the police at that hour"} <= set(
        rules.options
    )
