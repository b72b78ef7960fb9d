"""Capacity benchmarks: the shipped file and its validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapping.inputs.benchmarks import BenchmarkError, default_benchmarks_path, load_benchmarks

SHIPPED = load_benchmarks()


def test_shipped_benchmarks_carry_source_wording_and_status() -> None:
    assert set(SHIPPED) == {"refuge", "sexual_violence_support", "idva", "sarc"}
    for bench in SHIPPED.values():
        assert bench.source and bench.wording and bench.wording_checked_against
        assert bench.wording_status in ("quoted", "paraphrased")
    # The SafeLives and Home Office wordings were checked against stored copies.
    assert SHIPPED["idva"].wording_status == "quoted"
    assert "40 cases per 10,000 of the adult female population" in SHIPPED["idva"].wording
    assert SHIPPED["sarc"].wording_status == "quoted"


def test_units_needed_by_hand() -> None:
    # Refuge: 1 place per 10,000 people; 1,531,079 residents -> 153.1079 places.
    assert SHIPPED["refuge"].units_needed(1_531_079) == pytest.approx(153.1079)
    # IDVA: 666,438 women 16+ / 10,000 * 40 cases / 100 cases per FTE = 26.66 FTE.
    assert SHIPPED["idva"].units_needed(666_438) == pytest.approx(26.65752)
    # Rape crisis: 1 per 200,000 women, or per 200,000 inhabitants when chosen.
    rape_crisis = SHIPPED["sexual_violence_support"]
    assert rape_crisis.denominator == "women_all_ages"
    assert rape_crisis.with_denominator("residents").denominator == "residents"
    assert rape_crisis.units_needed(400_000) == pytest.approx(2.0)
    with pytest.raises(BenchmarkError, match=r"women_16_plus.*not offered"):
        rape_crisis.with_denominator("women_16_plus")
    assert SHIPPED["sarc"].units_needed(1) == 1


def test_mistakes_are_reported_as_file_benchmark_field(tmp_path: Path) -> None:
    text = default_benchmarks_path().read_text(encoding="utf-8")
    broken = text.replace("rate = 40", "rate = -40").replace(
        'categories = ["refuge"]', 'categories = ["refuges"]'
    )
    broken += '\n[extra]\nservice_type = "x"\ncolour = "red"\n'
    path = tmp_path / "benchmarks.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(BenchmarkError) as error:
        load_benchmarks(path)
    message = str(error.value)
    assert f"{path}:idva:rate: Input should be greater than 0" in message
    assert f"{path}:refuge:categories: unknown category 'refuges'" in message
    assert f"{path}:extra:colour: unknown field" in message
    assert f"{path}:extra:title: is missing" in message


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match="benchmarks file not found"):
        load_benchmarks(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[refuge\n", encoding="utf-8")
    with pytest.raises(BenchmarkError, match="not valid TOML"):
        load_benchmarks(bad)
    both = tmp_path / "both.toml"
    text = default_benchmarks_path().read_text(encoding="utf-8")
    both.write_text(text.replace('per_area = "police_force_area"', "per = 5"), encoding="utf-8")
    with pytest.raises(BenchmarkError, match=r"sarc:-: .*police_force_area"):
        load_benchmarks(both)
