"""Deadline phrases of real school plans, read for the school years 2023/2024 and 2024/2025.

Dates in the expectations are written as ``y0-MM-DD`` (the calendar year in which the school
year starts), ``y1-MM-DD`` (the next one) or a plain ISO date when the phrase names its year;
``last`` is the last day of the month (February differs between the two years).
"""
from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vsoko_flow.deadlines.phrases import Kind, Recurrence, Schedule, describe, parse_deadline
from vsoko_flow.deadlines.school_year import SchoolYear

SCHOOL_YEARS = (2023, 2024)

# «Deadline phrases» of DOMAIN.md, word for word.
DOMAIN_PHRASES = (
    "Сентябрь", "Октябрь", "Декабрь, июнь", "Декабрь, Май", "Январь, июнь", "Сентябрь, январь, май",
    "Сентябрь - май", "Январь – март 2020", "январь 2020", "май 2020 – май 2025", "20 января",
    "20 января 2023", "10 апреля 2023, 20 апреля 2023", "апрель-май 2023", "май-июль 2023",
    "сентябрь-октябрь 2023", "Ежегодно до 30 ноября", "Ежегодно, апрель, октябрь, декабрь",
    "В течение года", "В течение учебного года", "Постоянно по мере поступления", "Согласно ВШК",
    "По итогам ГИА", "На основании единого графика оценочных процедур",
    "В соответствии с графиком проведения", "Февраль 9-е классы Май 10-е классы", "НСОТ",
    "Март 2024г", "Октябрь-декабрь 2023г",
)

# Deadline cells of the seed documents, as they stand (markup and line breaks included).
SEED_CELLS = (
    # 000 — План ВСОКО 2023/24, «Срок исполнения»
    "Согласно ВШК", "Сентябрь", "Октябрь", "Ноябрь", "Март", "Май", "В течение года", "По итогам ГИА",
    "На основании единого графика оценочных процедур", "НСОТ",
    # 001 — план функционирования ВСОКО, «Сроки»
    "Декабрь, июнь (1 п/г, 2 п/г учеб. года)", "Июнь", "Февраль 9-е классы Май 10-е классы", "Август",
    "Декабрь, Май", "Сентябрь - май", "Сентябрь, январь, май", "Январь, июнь", "<p>Июнь</p>",
    # 001 — дорожная карта 2024–2025, «Сроки исполнения»
    "Ежегодно до 30 ноября", "Ежегодно, апрель, октябрь, декабрь", "декабрь", "апрель", "декабрь-январь",
    "в соответствии с графиком проведения",
    "В соответствии с инструктивными (или) правовыми актами Минпросвещения России и Рособнадзора",
    "В соответствии с планом-графиком, утвержденным Минпросвещения России и Рособнадзора",
    "Участие в совещаниях по вопросам обеспечения объективности процедур оценки качества образования",
    # 002 — план внедрения ВСОКО, «Сроки»
    "Февраль 2020", "Январь 2020", "январь 2020", "Январь – март 2020", "апрель 2020", "Июнь 2020",
    "май 2020 – май 2025", "сентябрь 2020 – сентябрь 2025",
    # 003 — решения органов управления, «Срок исполнения», «Дата», «Учебный год»
    "Октябрь-декабрь 2023г", "Сентябрь- ноябрь2023г ", "Октябрь-ноябрь 2023", "Октябрь-ноябрь 2023г",
    "Сентябрь 2023г", "Сентябрь-октябрь\n2023г", "Март 2024г", "Февраль-март 2024г", "октябрь",
    "Постоянно по мере поступления", "Июнь-август 2024г", "Август 2023", "Ноябрь 2023", "Сентябрь 2023",
    "Февраль 2024г", "Май 2024г", "2023-2024", "В течение 2021-2022 учебного года",
    # 004 — district monitoring plan, «Срок реализации»
    "январь 2023", "май 2023", "октябрь 2023", "декабрь 2023", "20 января", "20 января 2023",
    "10 апреля 2023, 20 апреля 2023", "апрель-май 2023", "май-июль 2023", "сентябрь-октябрь 2023",
)


@dataclass(frozen=True)
class Expected:
    kind: Kind
    periods: tuple[tuple[str, ...], ...] = ()  # (start, end) or (start, end, note)
    recurrence: Recurrence | None = None
    linked_to: str | None = None
    warns_in: tuple[int, ...] = ()  # school years (by start) whose plan gets an «outside» warning


def dates(*periods: tuple[str, ...], warns_in: tuple[int, ...] = ()) -> Expected:
    return Expected(Kind.DATES, periods, warns_in=warns_in)


def month(spec: str, note: str | None = None) -> tuple[str, ...]:
    """A whole month: ``month("y0-12")`` → 1–31 December of the first calendar year."""
    period = (f"{spec}-01", f"{spec}-last")
    return period if note is None else (*period, note)


def day(spec: str) -> tuple[str, str]:
    return (spec, spec)


def yearly(*periods: tuple[str, ...]) -> Expected:
    return Expected(Kind.RECURRING, periods, Recurrence.YEARLY)


def linked(name: str) -> Expected:
    return Expected(Kind.LINKED, linked_to=name)


UNRESOLVED = Expected(Kind.UNRESOLVED)
WHOLE_YEAR = Expected(Kind.CONTINUOUS, (("y0-09-01", "y1-08-31"),))
BOTH = SCHOOL_YEARS
ONLY_2024 = (2024,)
ONLY_2023 = (2023,)

EXPECTED: dict[str, Expected] = {
    # single months and lists of months
    "Сентябрь": dates(month("y0-09")),
    "Октябрь": dates(month("y0-10")),
    "Ноябрь": dates(month("y0-11")),
    "Март": dates(month("y1-03")),
    "Май": dates(month("y1-05")),
    "Июнь": dates(month("y1-06")),
    "Август": dates(month("y1-08")),
    "<p>Июнь</p>": dates(month("y1-06")),
    "декабрь": dates(month("y0-12")),
    "апрель": dates(month("y1-04")),
    "октябрь": dates(month("y0-10")),
    "Декабрь, июнь": dates(month("y0-12"), month("y1-06")),
    "Декабрь, Май": dates(month("y0-12"), month("y1-05")),
    "Январь, июнь": dates(month("y1-01"), month("y1-06")),
    "Сентябрь, январь, май": dates(month("y0-09"), month("y1-01"), month("y1-05")),
    "Декабрь, июнь (1 п/г, 2 п/г учеб. года)": dates(month("y0-12"), month("y1-06")),
    "Февраль 9-е классы Май 10-е классы": dates(month("y1-02", "9-е классы"), month("y1-05", "10-е классы")),
    # ranges inside the school year
    "Сентябрь - май": dates(("y0-09-01", "y1-05-31")),
    "Сентябрь – май": dates(("y0-09-01", "y1-05-31")),
    "Сентябрь — май": dates(("y0-09-01", "y1-05-31")),
    "декабрь-январь": dates(("y0-12-01", "y1-01-31")),
    # explicit years
    "Январь – март 2020": dates(("2020-01-01", "2020-03-31"), warns_in=BOTH),
    "январь 2020": dates(("2020-01-01", "2020-01-31"), warns_in=BOTH),
    "Январь 2020": dates(("2020-01-01", "2020-01-31"), warns_in=BOTH),
    "Февраль 2020": dates(("2020-02-01", "2020-02-29"), warns_in=BOTH),
    "апрель 2020": dates(("2020-04-01", "2020-04-30"), warns_in=BOTH),
    "Июнь 2020": dates(("2020-06-01", "2020-06-30"), warns_in=BOTH),
    "май 2020 – май 2025": dates(("2020-05-01", "2025-05-31"), warns_in=BOTH),
    "сентябрь 2020 – сентябрь 2025": dates(("2020-09-01", "2025-09-30"), warns_in=BOTH),
    "январь 2023": dates(("2023-01-01", "2023-01-31"), warns_in=BOTH),
    "май 2023": dates(("2023-05-01", "2023-05-31"), warns_in=BOTH),
    "октябрь 2023": dates(("2023-10-01", "2023-10-31"), warns_in=ONLY_2024),
    "декабрь 2023": dates(("2023-12-01", "2023-12-31"), warns_in=ONLY_2024),
    "20 января 2023": dates(day("2023-01-20"), warns_in=BOTH),
    "10 апреля 2023, 20 апреля 2023": dates(day("2023-04-10"), day("2023-04-20"), warns_in=BOTH),
    "апрель-май 2023": dates(("2023-04-01", "2023-05-31"), warns_in=BOTH),
    "май-июль 2023": dates(("2023-05-01", "2023-07-31"), warns_in=BOTH),
    "сентябрь-октябрь 2023": dates(("2023-09-01", "2023-10-31"), warns_in=ONLY_2024),
    "Март 2024г": dates(("2024-03-01", "2024-03-31"), warns_in=ONLY_2024),
    "Октябрь-декабрь 2023г": dates(("2023-10-01", "2023-12-31"), warns_in=ONLY_2024),
    "Сентябрь- ноябрь2023г ": dates(("2023-09-01", "2023-11-30"), warns_in=ONLY_2024),
    "Октябрь-ноябрь 2023": dates(("2023-10-01", "2023-11-30"), warns_in=ONLY_2024),
    "Октябрь-ноябрь 2023г": dates(("2023-10-01", "2023-11-30"), warns_in=ONLY_2024),
    "Сентябрь 2023г": dates(("2023-09-01", "2023-09-30"), warns_in=ONLY_2024),
    "Сентябрь 2023": dates(("2023-09-01", "2023-09-30"), warns_in=ONLY_2024),
    "Сентябрь-октябрь\n2023г": dates(("2023-09-01", "2023-10-31"), warns_in=ONLY_2024),
    "Февраль-март 2024г": dates(("2024-02-01", "2024-03-31"), warns_in=ONLY_2024),
    "Июнь-август 2024г": dates(("2024-06-01", "2024-08-31"), warns_in=ONLY_2024),
    "Август 2023": dates(("2023-08-01", "2023-08-31"), warns_in=BOTH),
    "Ноябрь 2023": dates(("2023-11-01", "2023-11-30"), warns_in=ONLY_2024),
    "Февраль 2024г": dates(("2024-02-01", "2024-02-29"), warns_in=ONLY_2024),
    "Май 2024г": dates(("2024-05-01", "2024-05-31"), warns_in=ONLY_2024),
    "Март 2024 г.": dates(("2024-03-01", "2024-03-31"), warns_in=ONLY_2024),
    "Март 2024 года": dates(("2024-03-01", "2024-03-31"), warns_in=ONLY_2024),
    "в марте 2024 года.": dates(("2024-03-01", "2024-03-31"), warns_in=ONLY_2024),
    "Январь, июнь 2024": dates(("2024-01-01", "2024-01-31"), ("2024-06-01", "2024-06-30"), warns_in=ONLY_2024),
    "2023-2024": dates(("2023-09-01", "2024-08-31"), warns_in=ONLY_2024),
    "В течение 2021-2022 учебного года": dates(("2021-09-01", "2022-08-31"), warns_in=BOTH),
    "2024-2025 годы": dates(("2024-01-01", "2025-12-31"), warns_in=BOTH),
    "I квартал 2024": dates(("2024-01-01", "2024-03-31"), warns_in=ONLY_2024),
    # days
    "20 января": dates(day("y1-01-20")),
    "до 20 апреля": dates(day("y1-04-20")),
    "до 20.04": dates(day("y1-04-20")),
    "не позднее 25 мая": dates(day("y1-05-25")),
    "к 1 сентября": dates(day("y0-09-01")),
    "Срок: до 20 апреля.": dates(day("y1-04-20")),
    "с 1 сентября по 31 мая": dates(("y0-09-01", "y1-05-31")),
    "10–20 апреля": dates(("y1-04-10", "y1-04-20")),
    "до 31.12.2024": dates(day("2024-12-31"), warns_in=ONLY_2023),
    # cases, spaces, full stops, declensions
    "ДЕКАБРЬ": dates(month("y0-12")),
    "дЕкАбРь, ИЮНЬ.": dates(month("y0-12"), month("y1-06")),
    "  Сентябрь   -   май  ": dates(("y0-09-01", "y1-05-31")),
    "в мае": dates(month("y1-05")),
    "в декабре и июне": dates(month("y0-12"), month("y1-06")),
    "в конце мая": dates(day("y1-05-31")),
    "9-е классы — февраль; 10-е классы — май": dates(month("y1-02", "9-е классы"), month("y1-05", "10-е классы")),
    # parts of the school year
    "по окончании I полугодия": dates(day("y0-12-31")),
    "по итогам I четверти": dates(day("y0-10-31")),
    "в конце учебного года": dates(day("y1-05-31")),
    "по итогам года": dates(day("y1-05-31")),
    "в начале учебного года": dates(month("y0-09")),
    "в течение I полугодия": dates(("y0-09-01", "y0-12-31")),
    "II полугодие": dates(("y1-01-01", "y1-05-31")),
    "IV четверть": dates(("y1-04-01", "y1-05-31")),
    # recurring
    "Ежегодно до 30 ноября": yearly(day("y0-11-30")),
    "Ежегодно, апрель, октябрь, декабрь": yearly(month("y0-10"), month("y0-12"), month("y1-04")),
    "ежегодно": yearly(("y0-09-01", "y1-08-31")),
    "1 раз в год, в мае": yearly(month("y1-05")),
    "ежеквартально": Expected(
        Kind.RECURRING,
        (("y0-07-01", "y0-09-30"), ("y0-10-01", "y0-12-31"), ("y1-01-01", "y1-03-31"), ("y1-04-01", "y1-06-30")),
        Recurrence.QUARTERLY,
    ),
    "1 раз в четверть": Expected(
        Kind.RECURRING,
        (("y0-09-01", "y0-10-31"), ("y0-11-01", "y0-12-31"), ("y1-01-01", "y1-03-31"), ("y1-04-01", "y1-05-31")),
        Recurrence.PER_TERM,
    ),
    "по итогам четверти": Expected(
        Kind.RECURRING,
        (("y0-09-01", "y0-10-31"), ("y0-11-01", "y0-12-31"), ("y1-01-01", "y1-03-31"), ("y1-04-01", "y1-05-31")),
        Recurrence.PER_TERM,
    ),
    "по итогам полугодия": Expected(
        Kind.RECURRING, (("y0-09-01", "y0-12-31"), ("y1-01-01", "y1-05-31")), Recurrence.PER_HALF
    ),
    "Ежемесячно": Expected(
        Kind.RECURRING,
        tuple(month(f"y0-{m:02d}") for m in (9, 10, 11, 12)) + tuple(month(f"y1-{m:02d}") for m in (1, 2, 3, 4, 5)),
        Recurrence.MONTHLY,
    ),
    # the whole year
    "В течение года": WHOLE_YEAR,
    "В течение учебного года": WHOLE_YEAR,
    "Постоянно по мере поступления": WHOLE_YEAR,
    "постоянно": WHOLE_YEAR,
    "по мере необходимости": Expected(Kind.TEXT),
    # other schedules
    "Согласно ВШК": linked("ВШК"),
    "По итогам ГИА": linked("ГИА"),
    "На основании единого графика оценочных процедур": linked("единый график оценочных процедур"),
    "В соответствии с графиком проведения": linked("график проведения"),
    "в соответствии с графиком проведения": linked("график проведения"),
    "НСОТ": linked("НСОТ"),
    "ВПР": linked("ВПР"),
    "В соответствии с инструктивными (или) правовыми актами Минпросвещения России и Рособнадзора": linked(
        "инструктивными правовыми актами Минпросвещения России и Рособнадзора"
    ),
    "В соответствии с планом-графиком, утвержденным Минпросвещения России и Рособнадзора": linked(
        "планом-графиком, утвержденным Минпросвещения России и Рособнадзора"
    ),
    "в течение месяца после утверждения плана": linked("утверждения плана"),
    "в течение 10 рабочих дней со дня утверждения": linked("утверждения"),
    # never guessed
    "Участие в совещаниях по вопросам обеспечения объективности процедур оценки качества образования": UNRESOLVED,
    "до мая": UNRESOLVED,
    "в начале мая": UNRESOLVED,
    "середина октября": UNRESOLVED,
    "с 1 сентября": UNRESOLVED,
    "31 февраля": UNRESOLVED,
    "май следующего года": UNRESOLVED,
    "Декабрь или январь": UNRESOLVED,
    "май 2025 – май 2020": UNRESOLVED,
    "20–10 апреля": UNRESOLVED,
    "2 раза в год": UNRESOLVED,
    "ежеквартально до 5 числа": UNRESOLVED,
    "5 четверть": UNRESOLVED,
    "2020-2025 учебный год": UNRESOLVED,
    "май 1850": UNRESOLVED,
    "": UNRESOLVED,
    "(уточняется)": UNRESOLVED,
}


def resolve(spec: str, start_year: int) -> date:
    year, month_number, day_spec = spec.split("-")
    calendar_year = {"y0": start_year, "y1": start_year + 1}.get(year) or int(year)
    last = calendar.monthrange(calendar_year, int(month_number))[1]
    return date(calendar_year, int(month_number), last if day_spec == "last" else int(day_spec))


def expected_periods(expected: Expected, start_year: int) -> list[tuple[date, date, str | None]]:
    return [
        (resolve(period[0], start_year), resolve(period[1], start_year), period[2] if len(period) > 2 else None)
        for period in expected.periods
    ]


def test_every_domain_phrase_and_seed_cell_has_an_expectation():
    assert set(DOMAIN_PHRASES + SEED_CELLS) <= set(EXPECTED)


@pytest.mark.parametrize("start_year", SCHOOL_YEARS)
@pytest.mark.parametrize("phrase", list(EXPECTED))
def test_phrase_means_what_a_school_means(phrase, start_year):
    expected = EXPECTED[phrase]
    schedule = parse_deadline(phrase, SchoolYear(start_year))

    assert schedule.kind == expected.kind, schedule.messages
    assert [(p.start, p.end, p.note) for p in schedule.periods] == expected_periods(expected, start_year)
    assert schedule.recurrence == expected.recurrence
    assert schedule.linked_to == expected.linked_to
    assert schedule.text == phrase
    if expected.kind is Kind.UNRESOLVED:
        assert len(schedule.messages) == 1 and re.search("[А-Яа-я]", schedule.messages[0])
    elif expected.kind not in (Kind.LINKED, Kind.TEXT):
        assert bool(schedule.messages) == (start_year in expected.warns_in), schedule.messages


@pytest.mark.parametrize(
    ("phrase", "start_year", "description"),
    [
        ("Декабрь, июнь", 2024, "31.12.2024; 30.06.2025"),
        ("Февраль 9-е классы Май 10-е классы", 2023, "29.02.2024 (9-е классы); 31.05.2024 (10-е классы)"),
        ("Сентябрь - май", 2024, "01.09.2024–31.05.2025"),
        ("до 20 апреля", 2024, "20.04.2025"),
        ("Ежегодно до 30 ноября", 2024, "ежегодно: 30.11.2024"),
        ("Ежегодно, апрель, октябрь, декабрь", 2023, "ежегодно: 31.10.2023; 31.12.2023; 30.04.2024"),
        ("ежеквартально", 2024, "ежеквартально: 30.09.2024; 31.12.2024; 31.03.2025; 30.06.2025"),
        ("1 раз в четверть", 2024, "каждую четверть: 31.10.2024; 31.12.2024; 31.03.2025; 31.05.2025"),
        ("В течение года", 2024, "в течение учебного года (до 31.08.2025)"),
        ("Согласно ВШК", 2024, "по графику: Согласно ВШК"),
        ("в течение месяца после утверждения плана", 2024, "от события: в течение месяца после утверждения плана"),
        ("Участие в совещаниях", 2024, "не распознано: Участие в совещаниях"),
    ],
)
def test_describe_for_the_ui(phrase, start_year, description):
    assert describe(parse_deadline(phrase, SchoolYear(start_year))) == description


def test_the_school_year_may_be_given_as_its_label():
    assert parse_deadline("Декабрь, июнь", "2024/2025") == parse_deadline("Декабрь, июнь", SchoolYear(2024))


def test_29_february_exists_only_in_a_leap_year():
    assert parse_deadline("29 февраля", SchoolYear(2023)).due_dates == (date(2024, 2, 29),)
    schedule = parse_deadline("29 февраля", SchoolYear(2024))
    assert schedule.kind == "unresolved"
    assert "29.02.2025" in schedule.messages[0]


def test_a_school_year_written_out_is_one_period_of_dates():
    for start_year in SCHOOL_YEARS:
        schedule = parse_deadline("2024/2025 учебный год", SchoolYear(start_year))
        assert schedule.kind == "dates"
        assert schedule.periods[0].start == date(2024, 9, 1) and schedule.due_dates == (date(2025, 8, 31),)
        assert bool(schedule.messages) == (start_year != 2024)


def test_an_ambiguous_phrase_explains_itself_in_russian():
    message = parse_deadline("до мая", SchoolYear(2024)).messages[0]
    assert "«до мая»" in message and "до 30 апреля" in message


def test_a_relative_deadline_names_its_event():
    schedule = parse_deadline("в течение месяца после утверждения плана", SchoolYear(2024))
    assert schedule.periods == ()
    assert "утверждения плана" in schedule.messages[0]


def test_a_warning_names_the_period_and_the_year():
    schedule = parse_deadline("Март 2024г", SchoolYear(2024))
    assert schedule.messages == ("Период 01.03.2024–31.03.2024 выходит за рамки 2024/2025 учебного года.",)


def test_schedule_round_trips_through_json():
    schedule = parse_deadline("Февраль 9-е классы Май 10-е классы", SchoolYear(2024))
    data = json.loads(json.dumps(schedule.to_dict(), ensure_ascii=False))
    assert data["kind"] == "dates"
    assert data["periods"][0] == {"start": "2025-02-01", "end": "2025-02-28", "due": "2025-02-28", "note": "9-е классы"}
    assert Schedule.from_dict(data) == schedule


VOCABULARY = (
    "до", "с", "по", "в", "в конце", "в начале", "мая", "Декабрь", "июнь", "20", "31", "2024", "2023г", "-", "–",
    ",", "(", ")", "ежегодно", "ежеквартально", "I", "II", "полугодия", "четверти", "квартал", "года",
    "учебного", "после", "согласно", "ВШК", "12.12", "2024/25", "9-е классы", "п/г", "<p>", "29 февраля",
    "0", "99", "1899", "раз в", "İ", "\n", ".",
)


@settings(max_examples=400, deadline=None)
@given(
    phrase=st.one_of(st.text(), st.lists(st.sampled_from(VOCABULARY), max_size=8).map(" ".join)),
    start_year=st.sampled_from(SCHOOL_YEARS),
)
def test_any_text_parses_without_raising(phrase, start_year):
    schedule = parse_deadline(phrase, SchoolYear(start_year))
    assert schedule.kind in set(Kind)
    assert all(period.start <= period.end for period in schedule.periods)
    if schedule.kind == "unresolved":
        assert schedule.messages
    json.dumps(schedule.to_dict())
    assert describe(schedule)
