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
        # Each names what it counts and for whom.
        assert bench.counts and bench.qualifier and bench.scope
    # The SafeLives wording was checked against a stored copy.
    assert SHIPPED["idva"].wording_status == "quoted"
    assert "40 cases per 10,000 of the adult female population" in SHIPPED["idva"].wording
    assert "high-risk" in SHIPPED["idva"].scope
    # Sexual assault centres: Council of Europe, not the Home Office's 2009 pledge.
    assert "400,000 women" in SHIPPED["sarc"].source
    assert SHIPPED["sexual_violence_support"].qualifier_terms == ("rape crisis",)


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
    # Sexual assault centres: 1 per 400,000 women; 800,000 women -> 2.0.
    assert SHIPPED["sarc"].units_needed(800_000) == pytest.approx(2.0)


def test_idva_range_by_hand() -> None:
    idva = SHIPPED["idva"]
    # 100,000 women 16+: 40 cases per 10,000 over 100 per FTE = 4.0 FTE (low); 47 over
    # 60 = 7.8333 FTE (high).
    low, high = idva.units_range(100_000)
    assert (low, high) == (pytest.approx(4.0), pytest.approx(470 / 60))
    assert idva.describe_range(100_000).startswith("4.0 to 7.8 FTE advocates: 4.0 at 40")
    assert "47 cases per 10,000 and 60 cases per FTE advocate" in idva.describe_range(100_000)
    # Without a range both ends are the central figure and there are no words.
    assert SHIPPED["refuge"].units_range(50_000) == (5.0, 5.0)
    assert SHIPPED["refuge"].describe_range(50_000) == ""


def test_records_count_only_when_of_the_kind() -> None:
    rape_crisis = SHIPPED["sexual_violence_support"]
    assert rape_crisis.of_kind("Central Lancashire Rape Crisis", "a charity")
    assert rape_crisis.of_kind("Survivors' service", "Rape Crisis England and Wales")
    assert not rape_crisis.of_kind("Health ISVA service", "NHS trust")
    assert SHIPPED["sarc"].of_kind("Any SARC", "")  # no terms: the category decides


def test_ranges_and_units_are_validated(tmp_path: Path) -> None:
    text = default_benchmarks_path().read_text(encoding="utf-8")
    broken = (
        text.replace("rate_range = [40, 47]", "rate_range = [47, 40]")
        .replace('capacity_unit = "family places"', 'capacity_unit = "rooms"', 1)
        .replace("cases_per_unit_range = [60, 100]", "cases_per_unit_range = [120, 200]")
    )
    path = tmp_path / "benchmarks.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(BenchmarkError) as error:
        load_benchmarks(path)
    message = str(error.value)
    assert f"{path}:idva:rate_range: give [low, high]" in message
    assert f"{path}:refuge:capacity_unit: unknown capacity unit 'rooms'" in message
    no_source = tmp_path / "no_source.toml"
    lines = [line for line in text.splitlines() if not line.startswith("range_source")]
    no_source.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(BenchmarkError, match=r"idva:-: .*range needs its range_source"):
        load_benchmarks(no_source)


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
    both.write_text(
        text.replace("per = 400000", 'per = 400000\nper_area = "police_force_area"'),
        encoding="utf-8",
    )
    with pytest.raises(BenchmarkError, match=r"sarc:-: .*exactly one of `per`"):
        load_benchmarks(both)
