"""The Russian school year (1 September – 31 August) and its conventional parts.

A plan «на 2024/2025 учебный год» that says «Декабрь, июнь» means December 2024 and
June 2025: every month belongs to exactly one school year.  The boundaries of halves
(полугодия) and terms (четверти) below are the common convention; a school whose
calendar differs can see them here as named constants.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import NamedTuple


class MonthDay(NamedTuple):
    """A day of the year without the year: (month, day)."""

    month: int
    day: int


SCHOOL_YEAR_START = MonthDay(9, 1)
SCHOOL_YEAR_END = MonthDay(8, 31)

# The last day of lessons.  «Конец учебного года» in a plan means this day, not 31 August:
# the second half and the fourth term end here, and summer is not a teaching period.
TEACHING_YEAR_END = MonthDay(5, 31)

HALF_BOUNDARIES: dict[int, tuple[MonthDay, MonthDay]] = {
    1: (MonthDay(9, 1), MonthDay(12, 31)),
    2: (MonthDay(1, 1), TEACHING_YEAR_END),
}

TERM_BOUNDARIES: dict[int, tuple[MonthDay, MonthDay]] = {
    1: (MonthDay(9, 1), MonthDay(10, 31)),
    2: (MonthDay(11, 1), MonthDay(12, 31)),
    3: (MonthDay(1, 1), MonthDay(3, 31)),
    4: (MonthDay(4, 1), TEACHING_YEAR_END),
}

# Calendar quarters (for «ежеквартально» reporting).  A school year holds the four
# quarters whose last day falls inside it: III (July–September of the first calendar
# year), IV, then I and II of the second calendar year.
CALENDAR_QUARTER_BOUNDARIES: dict[int, tuple[MonthDay, MonthDay]] = {
    1: (MonthDay(1, 1), MonthDay(3, 31)),
    2: (MonthDay(4, 1), MonthDay(6, 30)),
    3: (MonthDay(7, 1), MonthDay(9, 30)),
    4: (MonthDay(10, 1), MonthDay(12, 31)),
}

MIN_START_YEAR = 1
MAX_START_YEAR = dt.MAXYEAR - 1  # the school year must end on a representable date

_FORMAT_HINT = "Учебный год указывается как 2024/2025"
_LABEL_RE = re.compile(
    r"\s*([0-9]{4})\s*[/\-\u2010-\u2015\u2212]\s*([0-9]{4}|[0-9]{2})"
    r"(?:\s*(?:учебный|уч\.)\s*(?:год|г\.?))?\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateSpan:
    """A closed range of days [start, end]."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"Начало периода ({self.start}) позже его окончания ({self.end})")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True, order=True)
class SchoolYear:
    """A school year named by the calendar year in which it starts (2024 → 2024/2025)."""

    start_year: int

    def __post_init__(self) -> None:
        if isinstance(self.start_year, bool) or not isinstance(self.start_year, int):
            raise TypeError("start_year must be an int")
        if not MIN_START_YEAR <= self.start_year <= MAX_START_YEAR:
            raise ValueError(f"Учебный год вне допустимого диапазона: {self.start_year}")

    @classmethod
    def parse(cls, text: str) -> SchoolYear:
        """Read «2024/2025», «2024-2025», «2024–2025» or «2024/25»."""
        if not isinstance(text, str):
            raise TypeError("school year label must be a string")
        match = _LABEL_RE.fullmatch(text)
        if match is None:
            raise ValueError(f"{_FORMAT_HINT}, а указано «{text.strip()}»")
        first, second = int(match.group(1)), match.group(2)
        expected = first + 1 if len(second) == 4 else (first + 1) % 100
        if int(second) != expected:
            raise ValueError(
                f"{_FORMAT_HINT}: второй год должен следовать за первым, а указано «{text.strip()}»"
            )
        return cls(first)

    @classmethod
    def containing(cls, day: dt.date) -> SchoolYear:
        """The school year that the given day belongs to."""
        start = SCHOOL_YEAR_START
        if (day.month, day.day) >= (start.month, start.day):
            return cls(day.year)
        return cls(day.year - 1)

    @property
    def start(self) -> dt.date:
        return dt.date(self.start_year, SCHOOL_YEAR_START.month, SCHOOL_YEAR_START.day)

    @property
    def end(self) -> dt.date:
        return dt.date(self.start_year + 1, SCHOOL_YEAR_END.month, SCHOOL_YEAR_END.day)

    @property
    def span(self) -> DateSpan:
        return DateSpan(self.start, self.end)

    @property
    def label(self) -> str:
        return f"{self.start_year}/{self.start_year + 1}"

    def __str__(self) -> str:
        return self.label

    def __contains__(self, day: object) -> bool:
        return day in self.span

    def next(self) -> SchoolYear:
        return SchoolYear(self.start_year + 1)

    def previous(self) -> SchoolYear:
        return SchoolYear(self.start_year - 1)

    def year_of_month(self, month: int) -> int:
        """The calendar year in which `month` falls in this school year."""
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise ValueError(f"Месяц указывается числом от 1 до 12, а указано {month!r}")
        return self.start_year if month >= SCHOOL_YEAR_START.month else self.start_year + 1

    def date(self, month: int, day: int) -> dt.date:
        """The day `day` of `month` inside this school year (ValueError if there is none)."""
        return dt.date(self.year_of_month(month), month, day)

    def month(self, month: int) -> DateSpan:
        """The whole calendar month `month` as it falls in this school year."""
        year = self.year_of_month(month)
        last = calendar.monthrange(year, month)[1]
        return DateSpan(dt.date(year, month, 1), dt.date(year, month, last))

    def _span(self, bounds: tuple[MonthDay, MonthDay]) -> DateSpan:
        first, last = bounds
        return DateSpan(self.date(*first), self.date(*last))

    @property
    def teaching_period(self) -> DateSpan:
        """From the first school day to the last day of lessons (TEACHING_YEAR_END)."""
        return DateSpan(self.start, self.date(*TEACHING_YEAR_END))

    def teaching_months(self) -> tuple[DateSpan, ...]:
        """Every calendar month of the teaching period, September to May."""
        months = []
        month = SCHOOL_YEAR_START.month
        while True:
            months.append(self.month(month))
            if month == TEACHING_YEAR_END.month:
                return tuple(months)
            month = month % 12 + 1

    def half(self, number: int) -> DateSpan:
        """I полугодие (number=1) or II полугодие (number=2)."""
        if number not in HALF_BOUNDARIES:
            raise ValueError(f"Полугодие указывается номером 1 или 2, а указано {number!r}")
        return self._span(HALF_BOUNDARIES[number])

    def halves(self) -> tuple[DateSpan, ...]:
        return tuple(self.half(number) for number in sorted(HALF_BOUNDARIES))

    def term(self, number: int) -> DateSpan:
        """A четверть, 1 to 4."""
        if number not in TERM_BOUNDARIES:
            raise ValueError(f"Четверть указывается номером от 1 до 4, а указано {number!r}")
        return self._span(TERM_BOUNDARIES[number])

    def terms(self) -> tuple[DateSpan, ...]:
        return tuple(self.term(number) for number in sorted(TERM_BOUNDARIES))

    def calendar_quarter(self, number: int) -> DateSpan:
        """Calendar quarter `number` (1–4) whose last day falls in this school year."""
        if number not in CALENDAR_QUARTER_BOUNDARIES:
            raise ValueError(f"Квартал указывается номером от 1 до 4, а указано {number!r}")
        first, last = CALENDAR_QUARTER_BOUNDARIES[number]
        year = self.year_of_month(last.month)
        return DateSpan(dt.date(year, first.month, first.day), dt.date(year, last.month, last.day))

    def calendar_quarters(self) -> tuple[DateSpan, ...]:
        """The four calendar quarters of this school year in chronological order."""
        quarters = (self.calendar_quarter(n) for n in CALENDAR_QUARTER_BOUNDARIES)
        return tuple(sorted(quarters, key=lambda span: span.start))
