"""The school year: 1 September – 31 August, its halves, terms and calendar quarters."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vsoko_flow.deadlines.school_year import (
    HALF_BOUNDARIES,
    TEACHING_YEAR_END,
    TERM_BOUNDARIES,
    DateSpan,
    MonthDay,
    SchoolYear,
)


@pytest.mark.parametrize(
    "label",
    ["2024/2025", "2024-2025", "2024/25", "2024–2025", "2024—2025", " 2024 / 2025 ", "2024/2025 учебный год"],
)
def test_parse_accepts_the_ways_schools_write_a_year(label):
    assert SchoolYear.parse(label) == SchoolYear(2024)


@pytest.mark.parametrize(
    "label", ["", "2024", "2024/2026", "2025/2024", "24/25", "2024/24", "двадцать четвёртый", "2024/2025/2026"]
)
def test_parse_rejects_anything_else_with_a_russian_hint(label):
    with pytest.raises(ValueError, match="Учебный год указывается как 2024/2025"):
        SchoolYear.parse(label)


def test_a_school_year_starts_on_1_september_and_ends_on_31_august():
    year = SchoolYear(2024)
    assert (year.start, year.end) == (date(2024, 9, 1), date(2025, 8, 31))
    assert year.label == str(year) == "2024/2025"
    assert year.next() == SchoolYear(2025)
    assert year.previous() == SchoolYear(2023)


@pytest.mark.parametrize(
    ("month", "calendar_year"),
    [(9, 2024), (10, 2024), (11, 2024), (12, 2024), (1, 2025), (5, 2025), (6, 2025), (8, 2025)],
)
def test_december_is_in_the_first_calendar_year_and_june_in_the_second(month, calendar_year):
    assert SchoolYear(2024).year_of_month(month) == calendar_year


@pytest.mark.parametrize("month", [0, 13, -1])
def test_year_of_month_rejects_a_month_that_does_not_exist(month):
    with pytest.raises(ValueError, match="Месяц"):
        SchoolYear(2024).year_of_month(month)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 8, 31), SchoolYear(2023)),
        (date(2024, 9, 1), SchoolYear(2024)),
        (date(2024, 12, 31), SchoolYear(2024)),
        (date(2025, 1, 1), SchoolYear(2024)),
        (date(2025, 8, 31), SchoolYear(2024)),
    ],
)
def test_containing_switches_on_1_september(day, expected):
    assert SchoolYear.containing(day) == expected


def test_start_year_must_be_a_representable_integer():
    with pytest.raises(TypeError):
        SchoolYear("2024")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="вне допустимого диапазона"):
        SchoolYear(9999)


def test_conventional_boundaries_are_named_constants():
    assert TEACHING_YEAR_END == MonthDay(5, 31)
    assert HALF_BOUNDARIES[1] == (MonthDay(9, 1), MonthDay(12, 31))
    assert HALF_BOUNDARIES[2] == (MonthDay(1, 1), MonthDay(5, 31))
    assert [TERM_BOUNDARIES[n] for n in (1, 2, 3, 4)] == [
        (MonthDay(9, 1), MonthDay(10, 31)),
        (MonthDay(11, 1), MonthDay(12, 31)),
        (MonthDay(1, 1), MonthDay(3, 31)),
        (MonthDay(4, 1), MonthDay(5, 31)),
    ]


@pytest.mark.parametrize("start_year", [2023, 2024])
def test_halves_and_terms_of_a_year(start_year):
    year = SchoolYear(start_year)
    y0, y1 = start_year, start_year + 1
    assert year.half(1) == DateSpan(date(y0, 9, 1), date(y0, 12, 31))
    assert year.half(2) == DateSpan(date(y1, 1, 1), date(y1, 5, 31))
    assert year.terms() == (
        DateSpan(date(y0, 9, 1), date(y0, 10, 31)),
        DateSpan(date(y0, 11, 1), date(y0, 12, 31)),
        DateSpan(date(y1, 1, 1), date(y1, 3, 31)),
        DateSpan(date(y1, 4, 1), date(y1, 5, 31)),
    )
    assert year.teaching_period == DateSpan(date(y0, 9, 1), date(y1, 5, 31))


@pytest.mark.parametrize("start_year", [2023, 2024])
def test_calendar_quarters_are_those_ending_inside_the_year(start_year):
    y0, y1 = start_year, start_year + 1
    assert SchoolYear(start_year).calendar_quarters() == (
        DateSpan(date(y0, 7, 1), date(y0, 9, 30)),
        DateSpan(date(y0, 10, 1), date(y0, 12, 31)),
        DateSpan(date(y1, 1, 1), date(y1, 3, 31)),
        DateSpan(date(y1, 4, 1), date(y1, 6, 30)),
    )


def test_teaching_months_run_from_september_to_may():
    months = SchoolYear(2023).teaching_months()
    assert [(m.start.year, m.start.month) for m in months] == [
        (2023, 9), (2023, 10), (2023, 11), (2023, 12), (2024, 1), (2024, 2), (2024, 3), (2024, 4), (2024, 5),
    ]
    assert months[5] == DateSpan(date(2024, 2, 1), date(2024, 2, 29))  # 2024 is a leap year


@pytest.mark.parametrize(("method", "number"), [("half", 0), ("half", 3), ("term", 5), ("calendar_quarter", 0)])
def test_parts_are_numbered_from_one(method, number):
    with pytest.raises(ValueError):
        getattr(SchoolYear(2024), method)(number)


def test_a_date_span_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        DateSpan(date(2025, 1, 2), date(2025, 1, 1))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
def test_every_day_belongs_to_exactly_one_school_year(day):
    year = SchoolYear.containing(day)
    assert day in year
    assert day not in year.next()
    assert day not in year.previous()
    assert year.year_of_month(day.month) == day.year


@given(st.integers(min_value=1900, max_value=2199))
def test_terms_and_halves_tile_the_teaching_period(start_year):
    year = SchoolYear(start_year)
    for parts in (year.terms(), year.halves()):
        assert parts[0].start == year.start
        assert parts[-1].end == year.teaching_period.end
        for left, right in zip(parts, parts[1:]):
            assert right.start == left.end + timedelta(days=1)
    assert sum(m.days for m in year.teaching_months()) == year.teaching_period.days
