"""Opening hours: times of week, edge times, overnight ranges and public holidays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import opening_hours
import pytest

from mapping.errors import ServiceMapError
from mapping.inputs.hours import (
    REFERENCE_WEEK_START,
    HoursError,
    format_when,
    is_open,
    next_opening,
    parse_hours,
    parse_when,
    validate_hours,
)

OFFICE = "Mo-Fr 08:00-16:00"


# ---- parse_when / format_when ------------------------------------------------------------


def test_reference_week_starts_on_a_monday_without_public_holidays():
    assert REFERENCE_WEEK_START.weekday() == 0
    holidays = opening_hours.OpeningHours("PH", country="GB")
    for day in range(7):
        assert not holidays.is_open(REFERENCE_WEEK_START + timedelta(days=day, hours=12))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon 10:00", datetime(2025, 6, 9, 10, 0)),
        ("mo 10:00", datetime(2025, 6, 9, 10, 0)),
        ("MONDAY 10:00", datetime(2025, 6, 9, 10, 0)),
        ("Tue 9:05", datetime(2025, 6, 10, 9, 5)),
        ("Sat 02:00", datetime(2025, 6, 14, 2, 0)),
        ("sat 02:00", datetime(2025, 6, 14, 2, 0)),
        ("Sunday 23:59", datetime(2025, 6, 15, 23, 59)),
        ("  Fri   00:00 ", datetime(2025, 6, 13, 0, 0)),
        ("2026-12-25T02:00", datetime(2026, 12, 25, 2, 0)),
        ("2026-12-25 02:00", datetime(2026, 12, 25, 2, 0)),
    ],
)
def test_parse_when_forms(text, expected):
    assert parse_when(text) == expected


def test_parse_when_converts_aware_times_to_uk_local():
    # 01:00 UTC in June is 02:00 BST.
    aware = datetime(2025, 6, 14, 1, 0, tzinfo=UTC)
    assert parse_when(aware) == datetime(2025, 6, 14, 2, 0)
    assert parse_when("2025-06-14T01:00+00:00") == datetime(2025, 6, 14, 2, 0)
    naive = datetime(2025, 6, 14, 2, 0)
    assert parse_when(naive) is naive


@pytest.mark.parametrize(
    "text",
    ["Sat 25:00", "Sat 23:60", "Mon 24:00", "Xyz 10:00", "Sat", "10:00", "", "tomorrow", "Sat 2"],
)
def test_parse_when_rejects_nonsense_with_a_clear_message(text):
    with pytest.raises(ServiceMapError) as caught:
        parse_when(text)
    assert isinstance(caught.value, HoursError)
    message = str(caught.value)
    assert repr(text) in message
    assert "'Sat 02:00'" in message and "'Saturday 2am'" in message and "ISO" in message


def test_format_when_round_trips():
    assert format_when(datetime(2025, 6, 14, 2, 0)) == "Sat 02:00"
    assert format_when(datetime(2025, 6, 9, 0, 0)) == "Mon 00:00"
    assert format_when(datetime(2025, 6, 15, 23, 59)) == "Sun 23:59"
    # Outside the reference week: an ISO date-time.
    assert format_when(datetime(2025, 6, 16, 0, 0)) == "2025-06-16T00:00"
    assert format_when(datetime(2026, 12, 25, 2, 0)) == "2026-12-25T02:00"
    for text in ("Mon 00:00", "Wed 13:37", "Sun 23:59", "2026-12-25T02:00"):
        assert format_when(parse_when(text)) == text


# ---- validate_hours ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr", ["24/7", "off", OFFICE, "Mo-Fr 09:00-21:30; Sa,Su 12:00-21:00", "Fr 22:00-02:00"]
)
def test_valid_expressions(expr):
    assert validate_hours(expr) is None


@pytest.mark.parametrize(
    "expr", ["", "   ", "Mo-Fr 25:00-26:00", "Mo-Fr 08:00-", "Monday to Friday 9-5", "Xx 10:00"]
)
def test_invalid_expressions_give_a_message(expr):
    message = validate_hours(expr)
    assert isinstance(message, str) and message
    with pytest.raises(HoursError):
        is_open(expr, "Mon 10:00")


def test_invalid_hours_say_what_to_write_in_plain_words():
    message = validate_hours("Mo-Fx 09:00-17:00")
    assert message is not None and "'Mo-Fr 09:00-17:00'" in message and "24/7" in message
    # Neither the parser's grammar words nor a link to an online page.
    assert "expected" not in message and "http" not in message


def test_parser_is_cached():
    assert parse_hours(OFFICE) is parse_hours(OFFICE)


# ---- is_open: edge times -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("Sat 02:00", False),
        ("Tue 10:00", True),
        ("Mon 08:00", True),  # the start minute is open
        ("Mon 07:59", False),
        ("Mon 15:59", True),
        ("Mon 16:00", False),  # ranges are half-open: 16:00 itself is closed
        ("Fri 23:59", False),
        ("Mon 00:00", False),
    ],
)
def test_office_hours(when, expected):
    assert is_open(OFFICE, when) is expected


def test_24_7_and_off():
    for when in ("Mon 00:00", "Sat 02:00", "Sun 23:59", "2026-12-25T02:00"):
        assert is_open("24/7", when)
        assert not is_open("off", when)


def test_midnight_and_the_turn_of_the_week():
    late_sunday = "Su 23:00-24:00"
    early_monday = "Mo 00:00-01:00"
    assert is_open(late_sunday, "Sun 23:59")
    assert not is_open(late_sunday, "Mon 00:00")
    assert is_open(early_monday, "Mon 00:00")
    assert not is_open(early_monday, "Sun 23:59")
    # Sunday 23:59 -> next minute is Monday 00:00 of the following week.
    sunday = parse_when("Sun 23:59")
    assert next_opening(early_monday, sunday) == sunday + timedelta(minutes=1)


def test_overnight_range_spills_into_the_next_day():
    expr = "Fr 22:00-02:00"
    assert is_open(expr, "Fri 22:00")
    assert is_open(expr, "Sat 01:00")
    assert not is_open(expr, "Sat 02:00")
    assert not is_open(expr, "Fri 21:59")
    assert not is_open(expr, "Thu 23:00")


def test_unknown_counts_as_closed():
    assert not is_open("unknown", "Mon 10:00")
    assert not is_open(f"{OFFICE} || unknown", "Sat 02:00")
    assert is_open(f"{OFFICE} || unknown", "Mon 10:00")


# ---- next_opening --------------------------------------------------------------------------


def test_next_opening_is_now_when_open():
    when = parse_when("Tue 10:00")
    assert next_opening(OFFICE, when) == when
    assert next_opening("24/7", "Sat 02:00") == parse_when("Sat 02:00")


def test_next_opening_across_the_weekend():
    assert next_opening(OFFICE, "Fri 16:00") == datetime(2025, 6, 16, 8, 0)
    assert next_opening(OFFICE, "Sat 02:00") == datetime(2025, 6, 16, 8, 0)
    assert next_opening(OFFICE, "Sun 23:59") == datetime(2025, 6, 16, 8, 0)
    assert next_opening(OFFICE, "Mon 07:00") == datetime(2025, 6, 9, 8, 0)


def test_next_opening_never():
    assert next_opening("off", "Mon 10:00") is None
    assert next_opening("2020 Mo-Fr 08:00-16:00", "Mon 10:00") is None


def test_next_opening_after_a_fallback_rule():
    # The library's own change search gives up here; the minute scan finds Monday.
    assert next_opening(f"{OFFICE} || unknown", "Sat 02:00") == datetime(2025, 6, 16, 8, 0)


# ---- public holidays (country GB) ----------------------------------------------------------


def test_christmas_2026_is_a_public_holiday():
    expr = f"{OFFICE}; PH off"
    assert not is_open(expr, "2026-12-25T10:00")  # Friday, Christmas Day
    assert is_open(expr, "2026-12-24T10:00")
    assert is_open(OFFICE, "2026-12-25T10:00")  # without PH the weekday rule applies
    assert is_open("PH 10:00-12:00", "2026-12-25T11:00")
    assert not is_open("PH 10:00-12:00", "2026-12-24T11:00")
    # Boxing Day falls on a Saturday: the substitute Monday 28th is a holiday too.
    assert next_opening(expr, "2026-12-24T17:00") == datetime(2026, 12, 29, 8, 0)


def test_gb_calendar_gaps_are_as_documented():
    """opening-hours-py's GB calendar holds only UK-wide holidays (see mapping.inputs.hours).

    If an upgrade adds the England and Wales holidays, update the module docstring.
    """
    expr = f"{OFFICE}; PH off"
    assert not is_open(expr, "2026-04-03T10:00")  # Good Friday
    assert not is_open(expr, "2026-05-04T10:00")  # early May bank holiday
    assert not is_open(expr, "2026-05-25T10:00")  # spring bank holiday
    assert is_open(expr, "2026-01-01T10:00")  # New Year's Day: not known
    assert is_open(expr, "2026-04-06T10:00")  # Easter Monday: not known
    assert is_open(expr, "2026-08-31T10:00")  # August bank holiday (E&W): not known


@pytest.mark.parametrize(
    ("text", "slot_at"),
    [
        ("Saturday 2am", "Sat 02:00"),
        ("saturday 2AM", "Sat 02:00"),
        ("sat 14:00", "Sat 14:00"),
        ("Sat 2.30pm", "Sat 14:30"),
        ("Sat 12am", "Sat 00:00"),
        ("Sat 12pm", "Sat 12:00"),
        ("Friday noon", "Fri 12:00"),
        ("Sun midnight", "Sun 00:00"),
        ("Mon at 9am", "Mon 09:00"),
        ("weekend day", "Sat 14:00"),
        ("Weekend Night", "Sat 02:00"),
        ("2026-12-25T02:00", "2026-12-25T02:00"),
    ],
)
def test_times_in_plain_words(text: str, slot_at: str) -> None:
    from mapping.inputs.when import resolve_slot

    assert resolve_slot(text).at == slot_at


@pytest.mark.parametrize("text", ["Sat 2", "Sat 13pm", "Sat 0am", "Sat 25:00", "Funday 10:00"])
def test_ambiguous_or_impossible_times_are_refused_with_examples(text: str) -> None:
    from mapping.inputs.when import resolve_slot

    with pytest.raises(ServiceMapError, match="Saturday 2am"):
        resolve_slot(text)
