"""Deadline phrases that real plans use and the parser used to get wrong or refuse (issue 11).

Each phrase becomes a date, a set of dates, a schedule, a deadline counted from an event, or
stays text with its reason — and none is guessed. Read for the school year 2024/2025 and
again for 2025/2026, so no date is tied to one calendar.
"""
from __future__ import annotations

import datetime as dt

import pytest

from vsoko_flow.deadlines.phrases import (
    AS_NEEDED_REASON, HOLIDAYS_REASON, Kind, Offset, Recurrence, Schedule, describe, parse_deadline,
)
from vsoko_flow.deadlines.school_year import SchoolYear


def d(year_offset: int, month: int, day: int, start: int) -> dt.date:
    return dt.date(start + year_offset, month, day)


@pytest.fixture(params=[2024, 2025], ids=["2024/2025", "2025/2026"])
def start(request) -> int:
    return request.param


def read(phrase: str, start: int) -> Schedule:
    schedule = parse_deadline(phrase, SchoolYear(start))
    assert Schedule.from_dict(schedule.to_dict()) == schedule  # what is stored reads back the same
    return schedule


def periods(schedule: Schedule) -> list[tuple[dt.date, dt.date]]:
    return [(p.start, p.end) for p in schedule.periods]


def test_as_needed_stays_text_with_its_reason_not_a_whole_year_on_control(start):
    for phrase in ("по мере необходимости", "По мере необходимости", "при необходимости"):
        schedule = read(phrase, start)
        assert schedule.kind is Kind.TEXT and schedule.periods == ()
        assert schedule.messages == (AS_NEEDED_REASON,)
        assert schedule.attention == ()  # a reason, not something to fix
        assert describe(schedule) == f"без даты: {phrase}"


def test_results_of_both_halves_are_two_dates_the_first_one_not_lost(start):
    schedule = read("по итогам I и II полугодия", start)
    assert schedule.kind is Kind.DATES
    assert periods(schedule) == [(d(0, 12, 31, start),) * 2, (d(1, 5, 31, start),) * 2]
    assert read("по итогам 1 и 2 полугодия", start).due_dates == schedule.due_dates
    terms = read("по итогам I, II, III и IV четверти", start)
    assert terms.due_dates == (d(0, 10, 31, start), d(0, 12, 31, start), d(1, 3, 31, start), d(1, 5, 31, start))


def test_a_range_of_days_in_one_month(start):
    schedule = read("с 15 по 25 мая", start)
    assert schedule.kind is Kind.DATES and periods(schedule) == [(d(1, 5, 15, start), d(1, 5, 25, start))]
    assert read("с 15 до 25 мая", start).periods == schedule.periods
    assert read("с 1 сентября", start).kind is Kind.UNRESOLVED  # the end is still never made up


def test_a_day_of_every_month_is_a_monthly_schedule(start):
    schedule = read("до 5 числа каждого месяца", start)
    assert schedule.kind is Kind.RECURRING and schedule.recurrence is Recurrence.MONTHLY
    months = [(0, 9), (0, 10), (0, 11), (0, 12), (1, 1), (1, 2), (1, 3), (1, 4), (1, 5)]
    assert schedule.due_dates == tuple(d(offset, month, 5, start) for offset, month in months)
    assert read("ежемесячно до 5 числа", start).due_dates == schedule.due_dates
    refused = read("до 31 числа каждого месяца", start)
    assert refused.kind is Kind.UNRESOLVED and "феврал" in refused.messages[0]
    assert read("до 5 числа", start).kind is Kind.UNRESOLVED  # of which month? not guessed


def test_working_days_without_an_event_are_linked_and_say_the_event_is_missing(start):
    schedule = read("в течение 10 рабочих дней", start)
    assert schedule.kind is Kind.LINKED and schedule.periods == () and schedule.linked_to is None
    assert schedule.offset == Offset(10, working=True, before=False)
    assert "событие в сроке не названо" in schedule.messages[0]
    assert schedule.attention == schedule.messages  # the row needs a person: name the event
    after = read("в течение 10 рабочих дней после педсовета", start)
    assert after.linked_to == "педсовета" and after.offset == Offset(10, working=True) and after.attention == ()


def test_days_before_an_event(start):
    schedule = read("за 10 дней до педсовета", start)
    assert schedule.kind is Kind.LINKED and schedule.periods == ()
    assert schedule.linked_to == "педсовета" and schedule.offset == Offset(10, working=False, before=True)
    assert describe(schedule) == "от события: за 10 дней до педсовета"
    assert read("не позднее чем за 3 рабочих дня до заседания", start).offset == Offset(3, working=True, before=True)


def test_twice_a_year_takes_exactly_the_months_named(start):
    schedule = read("2 раза в год (декабрь, май)", start)
    assert schedule.kind is Kind.RECURRING and schedule.recurrence is Recurrence.YEARLY
    assert periods(schedule) == [(d(0, 12, 1, start), d(0, 12, 31, start)), (d(1, 5, 1, start), d(1, 5, 31, start))]
    assert read("2 раза в год: декабрь, май", start).periods == schedule.periods
    too_few = read("3 раза в год (декабрь, май)", start)
    assert too_few.kind is Kind.UNRESOLVED and "сроков названо 2" in too_few.messages[0]
    unnamed = read("2 раза в год", start)
    assert unnamed.kind is Kind.UNRESOLVED and "не указано когда" in unnamed.messages[0]


def test_holidays_are_linked_to_the_school_calendar(start):
    for phrase, name in (("в период каникул", "каникулы"), ("во время летних каникул", "летние каникулы"),
                         ("в каникулярное время", "каникулы")):
        schedule = read(phrase, start)
        assert (schedule.kind, schedule.linked_to, schedule.periods) == (Kind.LINKED, name, ())
        assert schedule.messages == (HOLIDAYS_REASON,)


def test_last_week_of_every_term(start):
    schedule = read("на последней неделе четверти", start)
    assert schedule.kind is Kind.RECURRING and schedule.recurrence is Recurrence.PER_TERM
    ends = [d(0, 10, 31, start), d(0, 12, 31, start), d(1, 3, 31, start), d(1, 5, 31, start)]
    assert periods(schedule) == [(end - dt.timedelta(days=6), end) for end in ends]
    one = read("на последней неделе II четверти", start)
    assert one.kind is Kind.DATES and periods(one) == [(d(0, 12, 25, start), d(0, 12, 31, start))]
    assert read("на последней неделе V четверти", start).kind is Kind.UNRESOLVED


@pytest.mark.parametrize("phrase", [
    "по мере необходимости", "по итогам I и II полугодия", "с 15 по 25 мая", "до 5 числа каждого месяца",
    "в течение 10 рабочих дней", "за 10 дней до педсовета", "2 раза в год (декабрь, май)", "в период каникул",
    "на последней неделе четверти",
])
def test_every_phrase_of_the_issue_is_handled_never_refused(phrase, start):
    schedule = read(phrase, start)
    assert schedule.kind is not Kind.UNRESOLVED, schedule.messages
    assert schedule.text == phrase
    # A date, a set of dates or a schedule carries dates; a link or a text carries its reason instead.
    assert bool(schedule.periods) != bool(schedule.messages)
