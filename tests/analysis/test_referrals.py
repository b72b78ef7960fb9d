"""Published referral volumes beside the benchmark (mapping.analysis.referrals)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mapping.analysis.referrals import shown_count, volume_table
from mapping.errors import ServiceMapError
from mapping.inputs.benchmarks import load_benchmarks
from mapping.inputs.referrals import Referral, load_referrals
from mapping.inputs.register import load_register


def test_small_counts_are_never_shown() -> None:
    assert shown_count(4) == "fewer than 5"
    assert shown_count(5) == "5"
    assert shown_count(67000, "over") == "over 67,000"
    table = volume_table(
        [Referral("X", ("x",), "2024", None, "referrals", 3, "exact", "s")],
        pd.DataFrame({"id": ["x"], "category": ["idva"], "advocate_fte": [1.0]}),
        load_benchmarks(),
    )
    assert table["published"].tolist() == ["fewer than 5"]
    assert table["count"].isna().all() and table["ratio"].isna().all()


def test_benchmark_only_where_both_known() -> None:
    register = pd.DataFrame(
        {
            "id": ["x", "y", "h"],
            "category": ["idva", "idva", "multi_crime_hub"],
            "advocate_fte": [2.0, None, None],
        }
    )
    bench = load_benchmarks()
    ref = Referral("X", ("x",), "2024", "marac", "referrals", 300, "exact", "s")
    [row] = volume_table([ref], register, bench).to_dict("records")
    # hand-worked: 2 FTE x 100 referrals a year = 200; 300 / 200 = 1.5
    assert row["benchmark_capacity"] == pytest.approx(200) and row["ratio"] == pytest.approx(1.5)
    unknown = Referral("Y", ("y",), "2024", None, "referrals", 300, "exact", "s")
    mixed = Referral("XH", ("x", "h"), "2024", None, "referrals", 300, "exact", "s")
    rows = volume_table([unknown, mixed], register, bench)
    assert rows["ratio"].isna().all()
    assert "not published" in rows["benchmark"].iloc[0]
    assert "not comparable" in rows["benchmark"].iloc[1]


def test_committed_referrals_are_cited_and_valid() -> None:
    register = load_register(check_postcodes=False)
    referrals = load_referrals(service_ids=set(register["id"]))
    assert len(referrals) == 12
    assert all("shared/reference/" in r.source for r in referrals)
    lvs = [
        r for r in referrals if r.service == "Lancashire Victim Services" and r.year == "2024/25"
    ]
    assert lvs[0].count == 52943


def test_bad_referrals_file(tmp_path: Path) -> None:
    path = tmp_path / "referrals.csv"
    path.write_text(
        "service,service_ids,year,route,measure,count,qualifier,source,notes\n"
        "X,nope,last year,fax,calls,lots,roughly,a page,\n",
        encoding="utf-8",
    )
    with pytest.raises(ServiceMapError) as err:
        load_referrals(path, service_ids={"x"})
    text = str(err.value)
    for field in ("service_ids", "year", "route", "measure", "count", "qualifier", "source"):
        assert f"referrals.csv:2:{field}:" in text
