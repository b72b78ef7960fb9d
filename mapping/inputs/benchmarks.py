"""Published capacity benchmarks (``data/benchmarks.toml``), read and validated.

Each benchmark says how many units of a service (refuge family places, FTE advocates,
centres) an area needs, with its source, its wording and whether that wording is quoted
or paraphrased. It also names the kind of provision it counts (``counts``: categories of
the register plus a documented ``qualifier``, and the ``qualifier_terms`` a record's name
or provider must carry to be of that kind), the cases it is about (``scope``, e.g.
"high-risk cases only") and, where the literature gives one, a range
(``rate_range``, ``cases_per_unit_range``). :func:`load_benchmarks` checks the file
with pydantic and reports every mistake as ``file:benchmark:field: problem``, like the gap rules.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mapping.errors import ServiceMapError
from mapping.inputs.vocabulary import CAPACITY_UNITS, CATEGORIES, CRIME_TYPES
from mapping.store import repo_root

__all__ = [
    "DENOMINATORS",
    "Benchmark",
    "BenchmarkError",
    "default_benchmarks_path",
    "load_benchmarks",
]

#: Population columns of the need layer a benchmark may be set against, with what each
#: counts; ``police_force_area`` means one unit per force area (no population).
DENOMINATORS: dict[str, str] = {
    "residents": "usual residents (Census 2021)",
    "population_mid2024": "all people (ONS mid-2024 estimate)",
    "women_all_ages": "women of all ages (ONS mid-2024 estimate)",
    "women_16_plus": "women aged 16 and over (ONS mid-2024 estimate)",
    "police_force_area": "police force areas",
}

Denominator = Literal[
    "residents", "population_mid2024", "women_all_ages", "women_16_plus", "police_force_area"
]


class BenchmarkError(ServiceMapError):
    """The benchmarks file is missing, not TOML or has an invalid field."""


class Benchmark(BaseModel):
    """One capacity benchmark.

    The units an area needs are ``denominator / per * rate / cases_per_unit`` (for
    IDVAs: women 16+ / 10,000 * 40 Marac cases / 100 cases per FTE), or ``rate`` per
    police force area when ``per_area`` is set. With ``rate_range`` or
    ``cases_per_unit_range`` the need is also a range (:meth:`units_range`): the lowest
    rate over the highest caseload to the highest rate over the lowest caseload.

    Known units are counted in ``capacity_unit`` (a register figure in that unit), or,
    when it is empty, as one unit per register record of the right kind: a record of
    ``categories`` (with ``crime_type``) whose name or provider contains one of
    ``qualifier_terms`` (any record of the categories when there are none).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    service_type: str = Field(min_length=1)
    title: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    categories: tuple[str, ...] = Field(min_length=1)
    crime_type: str | None = None
    counts: str = Field(min_length=5)
    qualifier: str = Field(min_length=5)
    qualifier_terms: tuple[str, ...] = ()
    scope: str = Field(min_length=5)
    capacity_unit: str | None = None
    rate: float = Field(gt=0)
    rate_range: tuple[float, float] | None = None
    cases_per_unit_range: tuple[float, float] | None = None
    range_source: str | None = None
    per: float | None = Field(default=None, gt=0)
    per_area: Literal["police_force_area"] | None = None
    denominator: Denominator
    denominator_choices: tuple[Denominator, ...] = Field(min_length=1)
    cases_per_unit: float = Field(default=1.0, gt=0)
    source: str = Field(min_length=10)
    wording: str = Field(min_length=5)
    wording_status: Literal["quoted", "paraphrased"]
    wording_checked_against: str = Field(min_length=5)
    scale: Literal["area", "county", "police_force_area"]

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown category {unknown[0]!r}; known: {', '.join(CATEGORIES)}")
        return value

    @field_validator("crime_type")
    @classmethod
    def _known_crime_type(cls, value: str | None) -> str | None:
        if value is not None and value not in CRIME_TYPES:
            raise ValueError(f"unknown crime type {value!r}; known: {', '.join(CRIME_TYPES)}")
        return value

    @field_validator("capacity_unit")
    @classmethod
    def _known_unit(cls, value: str | None) -> str | None:
        if value is not None and value not in CAPACITY_UNITS:
            raise ValueError(f"unknown capacity unit {value!r}; known: {', '.join(CAPACITY_UNITS)}")
        return value

    @field_validator("rate_range", "cases_per_unit_range")
    @classmethod
    def _ordered(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not (
            all(math.isfinite(v) and v > 0 for v in value) and value[0] <= value[1]
        ):
            raise ValueError("give [low, high]: two positive finite numbers, low first")
        return value

    @field_validator("rate", "per", "cases_per_unit")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Benchmark:
        if (self.per is None) == (self.per_area is None):
            raise ValueError("give exactly one of `per` (a population) or `per_area`")
        if self.per_area is not None and self.denominator != "police_force_area":
            raise ValueError("a `per_area` benchmark needs denominator = 'police_force_area'")
        if self.per is not None and self.denominator == "police_force_area":
            raise ValueError("denominator 'police_force_area' needs `per_area`, not `per`")
        if self.denominator not in self.denominator_choices:
            raise ValueError("denominator must be one of denominator_choices")
        ranged = self.rate_range is not None or self.cases_per_unit_range is not None
        if ranged and not self.range_source:
            raise ValueError("a range needs its range_source (where the low and high come from)")
        for name, span, central in (
            ("rate", self.rate_range, self.rate),
            ("cases_per_unit", self.cases_per_unit_range, self.cases_per_unit),
        ):
            if span is not None and not span[0] <= central <= span[1]:
                raise ValueError(f"{name} {central:g} lies outside its range {list(span)}")
        return self

    def units_needed(self, denominator_value: float) -> float:
        """Benchmark units for an area whose denominator is ``denominator_value``.

        For a ``per_area`` benchmark ``denominator_value`` is the number of such areas.
        """
        if self.per_area is not None:
            return self.rate * denominator_value
        assert self.per is not None
        return denominator_value / self.per * self.rate / self.cases_per_unit

    def units_range(self, denominator_value: float) -> tuple[float, float]:
        """(low, high) units needed: the lowest rate over the highest caseload, and back.

        Without a range both are :meth:`units_needed`.
        """
        if self.per_area is not None or self.per is None:
            central = self.units_needed(denominator_value)
            return central, central
        rates = self.rate_range or (self.rate, self.rate)
        loads = self.cases_per_unit_range or (self.cases_per_unit, self.cases_per_unit)
        base = denominator_value / self.per
        return base * rates[0] / loads[1], base * rates[1] / loads[0]

    def describe_range(self, denominator_value: float) -> str:
        """The need at each end of the range, in words ("" without a range).

        E.g. "26.7 to 52.2 FTE advocates: 26.7 at 40 cases per 10,000 and 100 cases per
        FTE advocate; 31.3 at 47 and 100; 44.4 at 40 and 60; 52.2 at 47 and 60".
        """
        if self.per is None or (self.rate_range is None and self.cases_per_unit_range is None):
            return ""
        if not math.isfinite(denominator_value):
            return ""
        rates = self.rate_range or (self.rate, self.rate)
        loads = self.cases_per_unit_range or (self.cases_per_unit, self.cases_per_unit)
        low, high = self.units_range(denominator_value)
        base = denominator_value / self.per
        corners = [
            f"{base * rate / load:.1f} at {rate:g} cases per {self.per:,.0f} and {load:g} cases "
            f"per {self.unit.rstrip('s')}"
            for rate in dict.fromkeys(rates)
            for load in dict.fromkeys(reversed(loads))
        ]
        return f"{low:.1f} to {high:.1f} {self.unit}: " + "; ".join(corners)

    def of_kind(self, name: str, provider: str) -> bool:
        """Whether a record of the benchmark's categories is of the kind it counts."""
        if not self.qualifier_terms:
            return True
        text = f"{name} {provider}".casefold()
        return any(term.casefold() in text for term in self.qualifier_terms)

    def with_denominator(self, denominator: str) -> Benchmark:
        """This benchmark against another of its ``denominator_choices``.

        Raises
        ------
        BenchmarkError
            If ``denominator`` is not one of the benchmark's choices.
        """
        if denominator not in self.denominator_choices:
            raise BenchmarkError(
                f"benchmark {self.id!r}: denominator {denominator!r} is not offered; choose "
                f"one of {', '.join(self.denominator_choices)}"
            )
        return self.model_copy(update={"denominator": denominator})

    def describe(self) -> str:
        """One line: the benchmark as applied, with its denominator."""
        if self.per_area is not None:
            return f"{self.rate:g} {self.unit} per police force area"
        rule = f"{self.rate:g} per {self.per:,.0f} {DENOMINATORS[self.denominator]}"
        if self.cases_per_unit != 1:
            rule += f", {self.cases_per_unit:g} cases a year per {self.unit.rstrip('s')}"
        if self.rate_range is not None or self.cases_per_unit_range is not None:
            rates = self.rate_range or (self.rate, self.rate)
            loads = self.cases_per_unit_range or (self.cases_per_unit, self.cases_per_unit)
            rule += (
                f" (range: {_span(rates)} per {self.per:,.0f}, {_span(loads)} cases per "
                f"{self.unit.rstrip('s')})"
            )
        return f"{self.unit}: {rule}"


def _span(pair: tuple[float, float]) -> str:
    return f"{pair[0]:g}" if pair[0] == pair[1] else f"{pair[0]:g}-{pair[1]:g}"


def default_benchmarks_path() -> Path:
    """The benchmarks file shipped with the repository: ``data/benchmarks.toml``."""
    return repo_root() / "data" / "benchmarks.toml"


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(repo_root().resolve()).as_posix()
    except ValueError:
        return str(path)


def load_benchmarks(path: Path | str | None = None) -> dict[str, Benchmark]:
    """Read and validate the capacity benchmarks.

    Parameters
    ----------
    path
        The TOML file (default :func:`default_benchmarks_path`).

    Returns
    -------
    dict
        ``{benchmark id: Benchmark}`` in file order.

    Raises
    ------
    BenchmarkError
        If the file is missing or not TOML, or any field is invalid; the message lists
        every problem as ``file:benchmark:field: problem``.
    """
    source = Path(path) if path is not None else default_benchmarks_path()
    shown = _display(source)
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchmarkError(f"{shown}: benchmarks file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkError(f"{shown}: cannot read the benchmarks file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise BenchmarkError(f"{shown}: not valid TOML: {exc}") from None
    if not document:
        raise BenchmarkError(f"{shown}: no benchmarks")
    problems: list[str] = []
    benchmarks: dict[str, Benchmark] = {}
    for key, table in document.items():
        if not isinstance(table, dict):
            problems.append(f"{shown}:{key}:-: must be a table ([{key}] with its fields)")
            continue
        try:
            benchmarks[key] = Benchmark.model_validate({**table, "id": key})
        except ValidationError as exc:
            problems.extend(f"{shown}:{key}:{_field(e)}: {_message(e)}" for e in exc.errors())
    types = [b.service_type for b in benchmarks.values()]
    for key, bench in benchmarks.items():
        if types.count(bench.service_type) > 1:
            problems.append(
                f"{shown}:{key}:service_type: {bench.service_type!r} is used by another benchmark"
            )
    if problems:
        raise BenchmarkError("\n".join(problems))
    return benchmarks


def _field(error: Any) -> str:
    loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
    return loc[0] if loc else "-"


def _message(error: Any) -> str:
    if error.get("type") == "extra_forbidden":
        return f"unknown field; known: {', '.join(Benchmark.model_fields)}"
    if error.get("type") == "missing":
        return "is missing"
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")
