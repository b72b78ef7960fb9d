"""The site optimiser never places refuges or safe houses at a point (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping.errors import ServiceMapError
from mapping.inputs.vocabulary import CONFIDENTIAL_CATEGORIES, siting_refusal

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_the_reason_is_given_in_words_for_each_confidential_category() -> None:
    for category in CONFIDENTIAL_CATEGORIES:
        reason = siting_refusal(category)
        assert reason is not None and "confidential" in reason and "council area" in reason
    assert siting_refusal("sarc") is None


@pytest.mark.parametrize("category", CONFIDENTIAL_CATEGORIES)
def test_study_optimise_sites_refuses(study, category: str) -> None:
    with pytest.raises(ServiceMapError, match="confidential"):
        study.optimise_sites(category, 1, at=["Sat 02:00"])


def test_cli_refuses_before_any_work(tmp_path: Path, run_cli) -> None:
    out = tmp_path / "r.toml"
    code, _, err = run_cli(
        [
            *("optimise", "sites", "--category", "refuge", "--add", "2"),
            *("--at", "Sat 02:00", "--out", str(out)),
        ]
    )
    assert code == 1 and "confidential" in err and "Traceback" not in err
    assert "Loading" not in err  # refused before the slow load
    assert not out.exists()


def test_app_optimise_page_refuses_with_the_reason(built_data: Path) -> None:
    app = AppTest.from_file(APP, default_timeout=240)
    app.run()
    app.switch_page("app/optimise.py").run()
    app.selectbox(key="opt_site_category").set_value("refuge").run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("confidential" in w.value for w in app.warning)
    assert "opt_site_go" not in [b.key for b in app.button]  # nothing to press
