"""The referral routes file (mapping.inputs.routes, data/referral_routes.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mapping.errors import ServiceMapError
from mapping.inputs.needs import find_need, load_needs
from mapping.inputs.register import load_register
from mapping.inputs.routes import (
    COLUMNS,
    ROUTES,
    RoutesError,
    default_routes_path,
    load_routes,
    validate_routes,
)

REF = "shared/reference/lancashire-victim-services.md"


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    return load_register(check_postcodes=False)


def test_committed_routes_valid_and_cover_every_service(register: pd.DataFrame) -> None:
    assert validate_routes(register=register) == []
    routes = load_routes(register=register)
    assert {r.service_id for r in routes} == set(register["id"])
    assert {r.route for r in routes} <= set(ROUTES)
    # every inferred route says so, every route cites a reference file
    assert all("[inferred]" in r.notes for r in routes if r.inferred)
    assert all("shared/reference/" in r.source for r in routes)


def test_committed_self_referral_ages_match_the_register(register: pd.DataFrame) -> None:
    routes = load_routes(register=register)
    safe = next(
        r for r in routes if r.service_id == "sarc-preston-safe-centre" and r.route == "self"
    )
    assert safe.min_age == 18 and not safe.inferred


def _write(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "routes.csv"
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).fillna("")
    frame.to_csv(path, index=False)
    return path


def _row(**kw: str) -> dict[str, str]:
    row = {c: "" for c in COLUMNS}
    row.update(
        service_id="helpline-victim-support-supportline",
        route="self",
        opening_hours="as the service",
        source=REF,
        inferred="no",
        confidence="medium",
    )
    row.update(kw)
    return row


def test_bad_rows_are_reported_by_row_and_field(tmp_path: Path, register: pd.DataFrame) -> None:
    path = _write(
        tmp_path,
        [
            _row(),
            _row(service_id="no-such-service"),
            _row(route="carrier-pigeon", service_id="sarc-preston-safe-centre"),
            _row(opening_hours="Mo-Fr 25:00-26:00", route="police"),
            _row(route="another_service"),
            _row(route="professional", risk_level="extreme", source="a web page"),
            _row(route="health", confidence="high"),
            _row(route="marac", inferred="yes", confidence="low", notes="guess"),
            _row(
                service_id="sarc-preston-safe-centre", route="self", min_age="16", confidence="low"
            ),
            _row(),
        ],
    )
    problems = {(p.row, p.field): p.message for p in validate_routes(path, register)}
    assert "unknown service id 'no-such-service'" in problems[(3, "service_id")]
    assert "unknown route 'carrier-pigeon'" in problems[(4, "route")]
    assert (5, "opening_hours") in problems
    assert "needs the via_service_id" in problems[(6, "via_service_id")]
    assert "unknown risk_level 'extreme'" in problems[(7, "risk_level")]
    assert "must cite a reference file" in problems[(7, "source")]
    assert "above the rule's 'medium'" in problems[(8, "confidence")]
    assert "[inferred]" in problems[(9, "notes")]
    assert "differs from the register's self_referral_min_age 18" in problems[(10, "min_age")]
    assert "repeats the route on line 2" in problems[(11, "route")]
    assert (2, "service_id") not in problems
    with pytest.raises(RoutesError, match=r"routes\.csv:3:service_id"):
        load_routes(path, register)


def test_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "routes.csv"
    path.write_text("service_id,route\nx,self\n", encoding="utf-8")
    [problem] = validate_routes(path)
    assert "missing column(s)" in problem.message


def test_needs_file_and_lookup() -> None:
    needs = load_needs()
    assert find_need("Adult, recent rape", needs).crime_type == "sexual_violence"
    assert find_need("high_risk_domestic_abuse", needs).risk_level == "high"
    with pytest.raises(ServiceMapError, match="unknown need 'burglary'"):
        find_need("burglary", needs)


def test_bad_needs_file(tmp_path: Path) -> None:
    path = tmp_path / "needs.toml"
    path.write_text('[x]\nlabel = "x"\ncrime_type = "theft"\ncategories = []\ndefault_age = 3\n')
    with pytest.raises(ServiceMapError) as err:
        load_needs(path)
    assert "needs.toml:x:crime_type" in str(err.value)
    assert "needs.toml:x:categories" in str(err.value)


def test_default_path_is_committed() -> None:
    assert default_routes_path().name == "referral_routes.csv"
