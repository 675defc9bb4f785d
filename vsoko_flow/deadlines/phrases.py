"""Deadline phrases of school plans («Декабрь, июнь», «Ежегодно до 30 ноября», «Согласно ВШК»).

`parse_deadline(text, school_year)` turns the words of a «Срок» cell into a `Schedule`:

* ``dates`` — one or more fixed days or periods («20 января», «Сентябрь - май», «Март 2024г»);
* ``recurring`` — a repeating deadline with its occurrences in this school year
  («Ежегодно до 30 ноября», «ежеквартально», «1 раз в четверть», «по итогам полугодия»);
* ``continuous`` — work that goes on all year («В течение года», «Постоянно по мере
  поступления»): one period, the whole school year;
* ``linked`` — not a date but a reference to another schedule or event («Согласно ВШК»,
  «По итогам ГИА», «НСОТ», «в течение месяца после утверждения»);
* ``unresolved`` — anything else.  The parser never guesses: a phrase it cannot read with
  certainty («до мая», «в начале мая», «31 февраля») is returned unresolved with a Russian
  explanation in ``messages``.

Conventions (see also `school_year`): months without a year fall in the given school year;
an explicit year wins, and a period outside the school year earns a warning, not an error.
A range names its year once («Январь – март 2020») and the year serves both ends; so does a
year at the end of a list («январь, июнь 2024»).  «2023-2024» and «2023/24 учебный год» are
school years, «2024-2025 годы» two calendar years.  «Конец учебного года» is the last day of
lessons (TEACHING_YEAR_END).  Occurrences of recurring work: «ежегодно» alone — the whole
school year once; «ежеквартально» — the calendar quarters ending inside the school year;
«ежемесячно» — every month of the teaching period, September to May; per term and per
half — the conventional четверти and полугодия.  A deadline relative to an event
(«в течение месяца после утверждения») is ``linked`` to that event: the date exists only
once the event has happened.  Parenthetical remarks and HTML tags are ignored for parsing
but kept in ``text``; words beside a date that cannot change it («9-е классы») become the
period's note.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from vsoko_flow.deadlines.school_year import DateSpan, SchoolYear


class Kind(StrEnum):
    DATES = "dates"
    RECURRING = "recurring"
    CONTINUOUS = "continuous"
    LINKED = "linked"
    TEXT = "text"  # not a deadline at all («по мере необходимости»): kept as written, with the reason
    UNRESOLVED = "unresolved"


class Recurrence(StrEnum):
    YEARLY = "yearly"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"
    PER_TERM = "per_term"
    PER_HALF = "per_half"


# Explicit years outside this range are read as typos, not as dates.
MIN_YEAR = 1900
MAX_YEAR = 2199


def _iso(day: dt.date) -> str:
    return day.isoformat()


@dataclass(frozen=True)
class Period:
    """A period of work; its deadline (`due`) is the last day."""

    start: dt.date
    end: dt.date
    note: str | None = None

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"Начало периода ({self.start}) позже его окончания ({self.end})")

    @property
    def due(self) -> dt.date:
        return self.end

    def to_dict(self) -> dict[str, Any]:
        return {"start": _iso(self.start), "end": _iso(self.end), "due": _iso(self.due), "note": self.note}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Period:
        return cls(dt.date.fromisoformat(data["start"]), dt.date.fromisoformat(data["end"]), data.get("note"))


@dataclass(frozen=True)
class Offset:
    """A deadline counted from an event: «за 10 дней до педсовета», «в течение 10 рабочих дней»."""

    days: int
    working: bool = False  # working days of the Russian production calendar
    before: bool = False  # «за N дней до …»; otherwise N days after the event

    def to_dict(self) -> dict[str, Any]:
        return {"days": self.days, "working": self.working, "before": self.before}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Offset:
        return cls(int(data["days"]), bool(data.get("working")), bool(data.get("before")))

    def describe(self) -> str:
        unit = _plural(self.days, "рабочий день", "рабочих дня", "рабочих дней") if self.working else _plural(
            self.days, "день", "дня", "дней")
        return f"за {self.days} {unit} до события" if self.before else f"{self.days} {unit} после события"


@dataclass(frozen=True)
class Schedule:
    """What a deadline phrase means in one school year."""

    kind: Kind
    periods: tuple[Period, ...]
    recurrence: Recurrence | None
    text: str
    linked_to: str | None = None
    messages: tuple[str, ...] = field(default=())
    offset: Offset | None = None  # LINKED to an event: how far from it the deadline lies

    @property
    def due_dates(self) -> tuple[dt.date, ...]:
        return tuple(period.due for period in self.periods)

    @property
    def resolved(self) -> bool:
        return self.kind is not Kind.UNRESOLVED

    @property
    def attention(self) -> tuple[str, ...]:
        """The messages a person should act on: a date outside the school year, an event never named.
        The reason kept with a link or a text («по графику ВШК», «по мере необходимости») is not one."""
        if self.kind in (Kind.DATES, Kind.RECURRING) or (self.offset is not None and not self.linked_to):
            return self.messages
        return ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "periods": [period.to_dict() for period in self.periods],
            "recurrence": None if self.recurrence is None else str(self.recurrence),
            "text": self.text,
            "linked_to": self.linked_to,
            "messages": list(self.messages),
            "offset": None if self.offset is None else self.offset.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schedule:
        recurrence = data.get("recurrence")
        return cls(
            kind=Kind(data["kind"]),
            periods=tuple(Period.from_dict(item) for item in data.get("periods", ())),
            recurrence=None if recurrence is None else Recurrence(recurrence),
            text=data["text"],
            linked_to=data.get("linked_to"),
            messages=tuple(data.get("messages", ())),
            offset=Offset.from_dict(data["offset"]) if data.get("offset") else None,
        )


# ---------------------------------------------------------------------------
# Cleaning.  Every step keeps the length of the text, so positions found in the
# cleaned text point at the same characters of the original (notes keep their case).

_RE_FLAGS = re.IGNORECASE | re.VERBOSE
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"})
_YO = str.maketrans({"ё": "е", "Ё": "Е"})
_MARKUP = re.compile(r"<[^<>]*>|&(?:[a-z]+|\#[0-9]+);", re.IGNORECASE)
_INNER_PARENTHESES = re.compile(r"\([^()]*\)")


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def _clean(text: str) -> str:
    work = _MARKUP.sub(_blank, text)
    while True:
        stripped = _INNER_PARENTHESES.sub(_blank, work)
        if stripped == work:
            break
        work = stripped
    opening = work.find("(")
    if opening >= 0:  # an unclosed remark runs to the end of the cell
        work = work[:opening] + " " * (len(work) - opening)
    work = work.replace(")", " ").translate(_DASHES).translate(_YO)
    return re.sub(r"\s", " ", work)


def _flatten(work: str) -> str:
    """Single spaces, no punctuation at the edges: the phrase as a whole."""
    return " ".join(work.split()).strip(" .,;:-")


# ---------------------------------------------------------------------------
# Whole-phrase patterns.

_CONTINUOUS = re.compile(
    r"""
      постоянно(?:\s.*)?
    | (?:в\s+течение|на\s+протяжении)\s+(?:всего\s+)?(?:текущего\s+)?
      (?:учебного\s+|уч(?:еб)?\.\s*)?года
    | (?:весь|целый)\s+(?:учебный\s+)?год
    | круглогодично | систематически | ежедневно | еженедельно
    | по\s+мере\s+(?:поступления|обновления|появления)(?:\s.*)?
    """,
    _RE_FLAGS,
)

# A reference to another schedule; the name that follows becomes `linked_to`.
_SCHEDULE_MARKERS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"(?<![а-яё]){pattern}(?![а-яё])\s*", re.IGNORECASE), name)
    for pattern, name in (
        (r"согласно", ""),
        (r"в\s+соответствии\s+(?:с|со)", ""),
        (r"на\s+основании", ""),
        (r"в\s+рамках", ""),
        (r"по\s+графику", "график"),
        (r"по\s+плану", "план"),
        (r"по\s+расписанию", "расписание"),
        (r"в\s+установленные\s+сроки", "установленные сроки"),
        (r"в\s+сроки", "сроки"),
    )
)
# Tried only after the phrase failed to read as dates: «по итогам I полугодия» is a date.
_RESULT_MARKERS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"(?<![а-яё]){pattern}(?![а-яё])\s*", re.IGNORECASE), "")
    for pattern in (r"по\s+итогам", r"по\s+результатам")
)
_RELATIVE = re.compile(
    r"(?<![а-яё])(?:после|с\s+момента|со\s+дня|с\s+даты|по\s+истечении)\s+(?P<event>.+)$",
    re.IGNORECASE,
)
# Canonical names of the schedules the seeds refer to, by the words that name them.
_KNOWN_SCHEDULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), name)
    for pattern, name in (
        (r"(?:план[а-яё]*\s+)?(?:вшк|внутришкольн[а-яё]*\s+контрол[а-яё]*)", "ВШК"),
        (r"гиа", "ГИА"),
        (r"един[а-яё]*\s+график[а-яё]*\s+оценочных\s+процедур", "единый график оценочных процедур"),
        (r"график[а-яё]*\s+проведения", "график проведения"),
    )
)
_ABBREVIATIONS = re.compile(r"[А-ЯЁA-Z]{2,10}(?:(?:\s*[,/]\s*|\s+-\s+|\s+)[А-ЯЁA-Z]{2,10})*")

# ---------------------------------------------------------------------------
# Recurrence words.  They are cut out of the phrase; what remains must be dates
# (for «ежегодно») or nothing at all (for the others, whose occurrences are fixed).

_NOT_LETTER_BEFORE = r"(?<![а-яёa-z0-9])"
_NOT_LETTER_AFTER = r"(?![а-яёa-z])"
_ONCE = r"(?:(?:1|один)\s+)?раз\s+в"

_RECURRENCE_WORDS: tuple[tuple[Recurrence, re.Pattern[str]], ...] = tuple(
    (recurrence, re.compile(_NOT_LETTER_BEFORE + f"(?:{pattern})" + _NOT_LETTER_AFTER, _RE_FLAGS))
    for recurrence, pattern in (
        (Recurrence.YEARLY, rf"ежегодн[а-яё]* | каждый\s+год | {_ONCE}\s+год(?:у)?"),
        (Recurrence.QUARTERLY, rf"ежекварталь?н[а-яё]* | поквартально | каждый\s+квартал | {_ONCE}\s+квартал"),
        (Recurrence.MONTHLY, rf"ежемесячн[а-яё]* | помесячно | каждый\s+месяц | {_ONCE}\s+месяц"),
        (
            Recurrence.PER_TERM,
            rf"""ежечетвертн[а-яё]* | {_ONCE}\s+четверть | кажд(?:ую|ой)\s+четверт[ьи] | по\s+четвертям
            | (?:по\s+итогам|по\s+окончании|в\s+конце)\s+(?:каждой\s+)?четверти""",
        ),
        (
            Recurrence.PER_HALF,
            rf"""{_ONCE}\s+(?:полугодие|полгода) | кажд(?:ое|ого)\s+полугоди[ея] | каждые\s+полгода
            | по\s+полугодиям | (?:по\s+итогам|по\s+окончании|в\s+конце)\s+(?:каждого\s+)?полугодия""",
        ),
    )
)

# ---------------------------------------------------------------------------
# Date atoms: the smallest pieces that name a day or a period.

_MONTH = (
    _NOT_LETTER_BEFORE.replace("0-9", "")
    + r"""(?:январ(?:ь|я|е|ю|ем) | феврал(?:ь|я|е|ю|ем) | март(?:а|е|у|ом)? | апрел(?:ь|я|е|ю|ем)
        | ма(?:й|я|е|ю|ем) | июн(?:ь|я|е|ю|ем) | июл(?:ь|я|е|ю|ем) | август(?:а|е|у|ом)?
        | сентябр(?:ь|я|е|ю|ем) | октябр(?:ь|я|е|ю|ем) | ноябр(?:ь|я|е|ю|ем) | декабр(?:ь|я|е|ю|ем)
        | янв\.? | февр?\.? | апр\.? | авг\.? | сент?\.? | окт\.? | нояб?\.? | дек\.?)"""
    + _NOT_LETTER_AFTER
)
_MONTH_PREFIXES = (
    ("январ", 1), ("янв", 1), ("феврал", 2), ("фев", 2), ("март", 3), ("апр", 4), ("ма", 5),
    ("июн", 6), ("июл", 7), ("авг", 8), ("сен", 9), ("окт", 10), ("ноя", 11), ("дек", 12),
)
_ORDINAL_WORDS = (("перв", 1), ("втор", 2), ("трет", 3), ("четв", 4))
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_DAY = r"(?<![0-9.])[0-9]{1,2}"


def _year(name: str) -> str:
    return rf"(?P<{name}>[0-9]{{4}})(?![0-9])(?:\s*(?:год(?:а|у|ы|ов|ах)?|гг|г)\.?(?![а-яё]))?"


def _ordinal(name: str, endings: str) -> str:
    return (
        rf"(?P<{name}>iv|i{{1,3}}|[1-4]|перв[а-яё]* | втор[а-яё]* | трет[а-яё]* | четв[её]рт(?:ая|ой|ую|ый|ого|ом))"
        rf"(?:\s*-?\s*(?:{endings}))?\s*"
    )


_QUALIFIERS = r"""
    до\s+конца | к\s+концу | в\s+конце | на\s+конец | конец
  | по\s+окончании | по\s+завершении | после\s+окончания | после\s+завершения | по\s+итогам | окончание
  | в\s+начале | начало
  | не\s+позднее | не\s+позже | до | к | по
  | с | со
  | в\s+течение | во | в | на
"""
_END_QUALIFIERS = frozenset(
    {"до конца", "к концу", "в конце", "на конец", "конец", "по окончании", "по завершении",
     "после окончания", "после завершения", "по итогам", "окончание"}
)
_START_QUALIFIERS = frozenset({"в начале", "начало"})
_BY_QUALIFIERS = frozenset({"не позднее", "не позже", "до", "к", "по"})
_FROM_QUALIFIERS = frozenset({"с", "со"})
_NEUTRAL_QUALIFIERS = frozenset({"в", "во", "на", "в течение"})
_RANGE_END_QUALIFIERS = frozenset({"по", "до"})  # «с 1 сентября по 31 мая»
_END = "end"  # an atom reduced to its last day

_ATOM = re.compile(
    rf"""
    (?<![а-яёa-z0-9])(?:(?P<qual>{_QUALIFIERS})\s+)?
    (?:
        (?P<iso>(?P<iso_y>[0-9]{{4}})-(?P<iso_m>[0-9]{{2}})-(?P<iso_d>[0-9]{{2}}))(?![0-9])
      | (?P<pair>(?P<pair_a>[0-9]{{4}})\s*[-/]\s*(?P<pair_b>[0-9]{{4}}|[0-9]{{2}})(?![0-9])
          (?:\s*(?:(?P<pair_school>(?:учебн[а-яё]*|уч(?:еб)?\.)\s*(?:год[а-яё]*|г\.?))
                  |(?P<pair_calendar>гг\.?|годы|годов|годах)))?)
      | (?P<days>(?P<days_a>{_DAY})\s*(?:-|по|до)\s*(?P<days_b>[0-9]{{1,2}})\s*(?P<days_m>{_MONTH})
          (?:\s*{_year("days_y")})?)
      | (?P<num>(?P<num_d>{_DAY})\.(?P<num_m>[0-9]{{2}})(?:\.(?P<num_y>[0-9]{{4}}|[0-9]{{2}}))?(?![0-9])
          (?:\s*(?:года|г)\.?(?![а-яё]))?)
      | (?P<dm>(?P<dm_d>{_DAY})(?:-?(?:го|е|ое))?\s*(?P<dm_m>{_MONTH})(?:\s*{_year("dm_y")})?)
      | (?P<mon>(?P<mon_m>{_MONTH})(?:\s*{_year("mon_y")})?)
      | (?P<half>{_ordinal("half_n", "е|ое|го|ом|м")}(?:полугоди[а-яё]*|п/г)){_NOT_LETTER_AFTER}
      | (?P<term>{_ordinal("term_n", "я|ая|й|ой|ую|ей")}четверт[а-яё]*){_NOT_LETTER_AFTER}
      | (?P<quarter>{_ordinal("quarter_n", "й|ый|ого|ом|м")}квартал[а-яё]*(?:\s*{_year("quarter_y")})?)
      | (?P<year>(?P<year_y>[0-9]{{4}})\s*(?:год(?:а|у)?|г)\.?(?![а-яё]))
      | (?P<teaching>(?:текущего\s+)?(?:учебного\s+|уч(?:еб)?\.\s*)?года(?![а-яё]))
    )
    """,
    _RE_FLAGS,
)

# What may stand between atoms without meaning anything.
_FILLERS = re.compile(
    r"""(?<![а-яё])(?:срок[иа]?(?:\s+(?:исполнения|реализации|выполнения|проведения))?
        | (?:текущего\s+)?(?:учебного|уч(?:еб)?\.)\s*года | текущего\s+года | и | а\s+также)(?![а-яё])""",
    _RE_FLAGS,
)
_CLASS_NOTE = re.compile(
    r"[0-9]+(?:\s*[-,]\s*[0-9]+)*(?:\s*-?\s*[а-яё]{1,3})?\s+класс[а-яё]*", re.IGNORECASE
)
# Words that change a date's meaning: if one is left over, the phrase is not understood.
_TEMPORAL_WORDS = re.compile(
    r"""(?<![а-яё])(?:начал|середин|конец|конц|после|ранее|раньше|позднее|позже|через|спустя|кажд
        |раза?(?![а-яё])|недел|дн[еяи]|день|месяц|год|лет(?![а-яё])|числ|декад|полугод|четверт|квартал
        |триместр|каникул|следующ|прошл|предыдущ|течени|период|еже|до(?![а-яё])|или(?![а-яё])
        |либо|кроме|исключени)""",
    _RE_FLAGS,
)
_EDGE_SEPARATORS = " ,;:.!?-/«»\"'"
_EDGE_FILLER = re.compile(
    r"^(?:и|а\s+также|срок[иа]?)(?![а-яё])\s*:?\s*|\s*(?<![а-яё])(?:и|а\s+также)$", re.IGNORECASE
)

_HINT = "Укажите срок, например: «до 20 апреля», «сентябрь – май», «ежегодно до 30 ноября»."


class _NotUnderstood(Exception):
    """Raised inside the parser with the Russian explanation for `messages`."""


@dataclass(frozen=True)
class _Point:
    """A day or month without a known year yet: the pieces a range needs to borrow a year."""

    month: int
    day: int | None  # None: the whole month
    year: int | None


@dataclass
class _Atom:
    start: int
    end: int
    qualifier: str | None
    span: DateSpan | None = None  # resolved period (for atoms that need no year)
    point: _Point | None = None  # unresolved day/month (may borrow a year)
    source: str = ""  # the words of the atom, for messages
    day_precise: bool = False
    warn_outside: bool = True  # False where the school year itself put the period outside
    note: str | None = None
    is_range: bool = False  # «15–25 мая»: both ends named, so «с 15 по 25 мая» is whole


# ---------------------------------------------------------------------------
# Public API.


def parse_deadline(text: str, school_year: SchoolYear | str) -> Schedule:
    """Read a deadline phrase for the plan of `school_year`; never raises on any text."""
    if isinstance(school_year, str):
        school_year = SchoolYear.parse(school_year)
    work = _clean(_opened_list(text))
    flat = _flatten(work)
    if not flat:
        return _unresolved(text, "Срок не указан.")
    if _AS_NEEDED.fullmatch(flat):
        return Schedule(Kind.TEXT, (), None, text, messages=(AS_NEEDED_REASON,))
    if _CONTINUOUS.fullmatch(flat):
        return Schedule(Kind.CONTINUOUS, (Period(school_year.start, school_year.end),), None, text)
    linked = _schedule_link(flat, _SCHEDULE_MARKERS)
    if linked is not None:
        return Schedule(Kind.LINKED, (), None, text, linked_to=linked)
    try:
        schedule = _parse_whole_phrase(text, flat, school_year) or _parse_dated(text, work, school_year)
    except _NotUnderstood as problem:
        return _unresolved(text, str(problem))
    return schedule or _parse_undated(text, flat)


def describe(schedule: Schedule) -> str:
    """A short Russian description for the UI."""
    if schedule.kind is Kind.DATES:
        return "; ".join(_describe_period(period, due_only=False) for period in schedule.periods)
    if schedule.kind is Kind.RECURRING:
        label = _RECURRENCE_LABELS[schedule.recurrence or Recurrence.YEARLY]
        dates = "; ".join(_describe_period(period, due_only=True) for period in schedule.periods)
        return f"{label}: {dates}"
    if schedule.kind is Kind.CONTINUOUS:
        return f"в течение учебного года (до {_format_date(schedule.periods[-1].end)})"
    words = " ".join(_MARKUP.sub(_blank, schedule.text).split())
    if schedule.kind is Kind.LINKED:
        relative = schedule.offset is not None or _RELATIVE.search(_flatten(_clean(schedule.text)))
        return f"{'от события' if relative else 'по графику'}: {words}"
    if schedule.kind is Kind.TEXT:
        return f"без даты: {words}"
    return f"не распознано: {words}"


_RECURRENCE_LABELS = {
    Recurrence.YEARLY: "ежегодно",
    Recurrence.QUARTERLY: "ежеквартально",
    Recurrence.MONTHLY: "ежемесячно",
    Recurrence.PER_TERM: "каждую четверть",
    Recurrence.PER_HALF: "каждое полугодие",
}



def describe_stored(schedule: dict[str, Any] | None) -> str:
    """What a stored schedule (`Schedule.to_dict`) means in words; "" when there is none or it is unreadable."""
    if not schedule:
        return ""
    try:
        return describe(Schedule.from_dict(schedule))
    except (KeyError, TypeError, ValueError):
        return ""

def _format_date(day: dt.date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def _is_whole_month(period: Period) -> bool:
    last = calendar.monthrange(period.start.year, period.start.month)[1]
    return period.start.day == 1 and period.end == period.start.replace(day=last)


def _describe_period(period: Period, *, due_only: bool) -> str:
    if due_only or period.start == period.end or _is_whole_month(period):
        text = _format_date(period.due)
    else:
        text = f"{_format_date(period.start)}–{_format_date(period.end)}"
    return f"{text} ({period.note})" if period.note else text


def _unresolved(text: str, message: str) -> Schedule:
    return Schedule(Kind.UNRESOLVED, (), None, text, messages=(message,))


# ---------------------------------------------------------------------------
# Phrases with dates (possibly recurring).


def _parse_dated(text: str, work: str, school_year: SchoolYear) -> Schedule | None:
    """Dates or a recurrence; None when the phrase names no date at all."""
    times, work = _cut_times_a_year(_expand_ordinal_lists(work))
    recurrence, rest = _cut_recurrence(work)
    bare = not _flatten(_FILLERS.sub(_blank, rest))
    if times is not None:
        return _times_a_year(text, rest, bare, times, recurrence, school_year)
    if recurrence is not None and recurrence is not Recurrence.YEARLY:
        if not bare:
            raise _NotUnderstood(
                f"Не понято уточнение к периодичности: «{_flatten(rest)}». Повторяющийся срок "
                f"ставится на конец каждого периода, уточнять его не нужно. {_HINT}"
            )
        periods = tuple(Period(span.start, span.end) for span in _occurrences(recurrence, school_year))
        return Schedule(Kind.RECURRING, periods, recurrence, text)
    if recurrence is Recurrence.YEARLY and bare:  # once a year, any time in the year
        return Schedule(Kind.RECURRING, (Period(school_year.start, school_year.end),), recurrence, text)
    atoms = _find_atoms(rest, school_year)
    if not atoms:
        return None
    periods, warnings = _periods(atoms, school_year)
    kind = Kind.DATES if recurrence is None else Kind.RECURRING
    return Schedule(kind, periods, recurrence, text, messages=warnings)


def _times_a_year(text: str, rest: str, bare: bool, times: int, recurrence: Recurrence | None,
                  school_year: SchoolYear) -> Schedule:
    """«2 раза в год (декабрь, май)»: exactly that many dates, named in the phrase — never chosen for it."""
    if recurrence not in (None, Recurrence.YEARLY):
        raise _NotUnderstood(f"В сроке указаны две разные периодичности. {_HINT}")
    atoms = [] if bare else _find_atoms(rest, school_year)
    if not atoms:
        raise _NotUnderstood(
            f"Указано «{times} {_plural(times, 'раз', 'раза', 'раз')} в год», но не указано когда. "
            "Допишите месяцы или даты, например «2 раза в год (декабрь, май)».")
    periods, warnings = _periods(atoms, school_year)
    if len(periods) != times:
        raise _NotUnderstood(
            f"Указано «{times} {_plural(times, 'раз', 'раза', 'раз')} в год», а сроков названо {len(periods)}: "
            "исправьте число или список сроков.")
    return Schedule(Kind.RECURRING, periods, Recurrence.YEARLY, text, messages=warnings)


def _cut_recurrence(work: str) -> tuple[Recurrence | None, str]:
    found: Recurrence | None = None
    for recurrence, pattern in _RECURRENCE_WORDS:
        if pattern.search(work) is None:
            continue
        if found is not None and found is not recurrence:
            raise _NotUnderstood(f"В сроке указаны две разные периодичности. {_HINT}")
        found = recurrence
        work = pattern.sub(_blank, work)
    return found, work


def _occurrences(recurrence: Recurrence, school_year: SchoolYear) -> tuple[DateSpan, ...]:
    if recurrence is Recurrence.QUARTERLY:
        return school_year.calendar_quarters()
    if recurrence is Recurrence.MONTHLY:
        return school_year.teaching_months()
    if recurrence is Recurrence.PER_TERM:
        return school_year.terms()
    if recurrence is Recurrence.PER_HALF:
        return school_year.halves()
    return (school_year.span,)


def _outside_warning(period: Period, school_year: SchoolYear) -> str:
    if period.start == period.end:
        what = f"Дата {_format_date(period.start)}"
    else:
        what = f"Период {_format_date(period.start)}–{_format_date(period.end)}"
    return f"{what} выходит за рамки {school_year.label} учебного года."


# ---------------------------------------------------------------------------
# Atoms and the text between them.


def _find_atoms(work: str, school_year: SchoolYear) -> list[_Atom]:
    atoms = []
    for match in _ATOM.finditer(work):
        atom = _read_atom(match, school_year)
        if atom is not None:
            atoms.append(atom)
    if not atoms:
        return []
    gaps = [work[:atoms[0].start]]
    gaps += [work[left.end:right.start] for left, right in zip(atoms, atoms[1:])]
    gaps.append(work[atoms[-1].end:])
    atoms, gaps = _join_ranges(atoms, gaps, school_year)
    _share_trailing_year(atoms)
    return _attach_notes(atoms, gaps)


def _qualifier(match: re.Match[str]) -> str | None:
    qualifier = match.group("qual")
    return " ".join(qualifier.lower().split()) if qualifier else None


def _read_atom(match: re.Match[str], school_year: SchoolYear) -> _Atom | None:
    """One match as an atom; None for a match that only looks like one («учебного года»)."""
    atom = _Atom(match.start(), match.end(), _qualifier(match), source=" ".join(match.group(0).split()))
    for kind, reader in _ATOM_READERS:
        if match.group(kind) is not None:
            return reader(atom, match.group, school_year)
    raise AssertionError("every alternative of _ATOM has a reader")


_Group = Callable[[str], Any]


def _read_teaching(atom: _Atom, group: _Group, school_year: SchoolYear) -> _Atom | None:
    if atom.qualifier in _END_QUALIFIERS:
        atom.span = school_year.teaching_period
    elif atom.qualifier in _START_QUALIFIERS:
        atom.span, atom.qualifier = school_year.month(school_year.start.month), None
    else:
        return None  # «учебного года» after a month adds nothing
    return atom


def _read_iso(atom: _Atom, group: _Group, school_year: SchoolYear) -> _Atom:
    atom.point = _Point(_number(group("iso_m"), 1, 12), int(group("iso_d")), _explicit_year(group("iso_y")))
    atom.day_precise = True
    return atom


def _read_pair(atom: _Atom, group: _Group, school_year: SchoolYear) -> _Atom:
    if group("pair_calendar") is not None:
        reading = "calendar"
    elif group("pair_school") is not None:
        reading = "school"
    else:
        reading = None
    atom.span = _year_pair(group("pair_a"), group("pair_b"), reading)
    return atom


def _read_days(atom: _Atom, group: _Group, school_year: SchoolYear) -> _Atom:
    month, year = _month_number(group("days_m")), _explicit_year(group("days_y"))
    first, last = _Point(month, int(group("days_a")), year), _Point(month, int(group("days_b")), year)
    atom.span = DateSpan(*_range_dates(first, last, school_year))
    atom.day_precise = True
    atom.is_range = True
    return atom


def _read_numeric(atom: _Atom, group: _Group, school_year: SchoolYear) -> _Atom:
    year = group("num_y")
    if year is not None and len(year) == 2:
        year = "20" + year
    atom.point = _Point(_number(group("num_m"), 1, 12), int(group("num_d")), _explicit_year(year))
    atom.day_precise = True
    return atom


def _read_day_month(atom: _Atom, group: _Group, school_year: SchoolYear) -> _Atom:
    atom.point = _Point(_month_number(group("dm_m")), int(group("dm_d")), _explicit_year(group("dm_y")))
    atom.day_precise = True
    return atom


def _read_month(atom: _Atom, group: _Group, school_year: SchoolYear) -> _Atom:
    atom.point = _Point(_month_number(group("mon_m")), None, _explicit_year(group("mon_y")))
    return atom


def _read_half(atom: _Atom, group: _Group, school_year: SchoolYear) -> _Atom:
    atom.span = school_year.half(_ordinal_number(group("half_n"), 2, "полугодия"))
    return atom


def _read_term(atom: _Atom, group: _Group, school_year: SchoolYear) -> _Atom:
    atom.span = school_year.term(_ordinal_number(group("term_n"), 4, "четверти"))
    return atom


def _read_quarter(atom: _Atom, group: _Group, school_year: SchoolYear) -> _Atom:
    atom.span = _quarter(_ordinal_number(group("quarter_n"), 4, "квартала"), group("quarter_y"), school_year)
    atom.warn_outside = group("quarter_y") is not None  # quarter III starts in July, before the year
    return atom


def _read_year(atom: _Atom, group: _Group, school_year: SchoolYear) -> _Atom:
    year = _explicit_year(group("year_y"))
    assert year is not None
    atom.span = DateSpan(dt.date(year, 1, 1), dt.date(year, 12, 31))
    return atom


_ATOM_READERS: tuple[tuple[str, Callable[[_Atom, _Group, SchoolYear], _Atom | None]], ...] = (
    ("teaching", _read_teaching),
    ("iso", _read_iso),
    ("pair", _read_pair),
    ("days", _read_days),
    ("num", _read_numeric),
    ("dm", _read_day_month),
    ("mon", _read_month),
    ("half", _read_half),
    ("term", _read_term),
    ("quarter", _read_quarter),
    ("year", _read_year),
)


def _number(digits: str, low: int, high: int) -> int:
    value = int(digits)
    if not low <= value <= high:
        raise _NotUnderstood(f"Не понят номер месяца «{digits}». {_HINT}")
    return value


def _explicit_year(digits: str | None) -> int | None:
    if digits is None:
        return None
    year = int(digits)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _NotUnderstood(f"Год {digits} вне допустимого диапазона ({MIN_YEAR}–{MAX_YEAR}). {_HINT}")
    return year


def _month_number(word: str) -> int:
    word = word.lower().rstrip(".")
    for prefix, number in _MONTH_PREFIXES:
        if word.startswith(prefix):  # «март» is listed before «ма»
            return number
    raise _NotUnderstood(f"Не понят месяц «{word}». {_HINT}")


def _ordinal_number(word: str, highest: int, what: str) -> int:
    lowered = word.lower()
    number = _ROMAN.get(lowered)
    if number is None and lowered.isdigit():
        number = int(lowered)
    if number is None:
        number = next((n for prefix, n in _ORDINAL_WORDS if lowered.startswith(prefix)), None)
    if number is None or not 1 <= number <= highest:
        raise _NotUnderstood(f"Не понят номер {what}: «{word}». {_HINT}")
    return number


def _year_pair(first: str, second: str, reading: str | None) -> DateSpan:
    """«2023-2024» or «2023/24 учебный год» is a school year; «2024-2025 годы» two calendar years."""
    start = _explicit_year(first)
    assert start is not None
    end = int(second) if len(second) == 4 else start - start % 100 + int(second)
    if end < start and len(second) == 2:
        end += 100
    _explicit_year(str(end))
    consecutive = end == start + 1
    if reading == "school" and not consecutive:
        raise _NotUnderstood(f"Учебный год {first}/{second}: годы должны идти подряд, например 2024/2025.")
    if reading != "calendar" and consecutive:
        return SchoolYear(start).span
    if end < start:
        raise _NotUnderstood(f"Период {first}–{second}: начало позже окончания. {_HINT}")
    return DateSpan(dt.date(start, 1, 1), dt.date(end, 12, 31))


def _quarter(number: int, year: str | None, school_year: SchoolYear) -> DateSpan:
    span = school_year.calendar_quarter(number)
    explicit = _explicit_year(year)
    if explicit is None:
        return span
    return DateSpan(span.start.replace(year=explicit), span.end.replace(year=explicit))


# --- ranges


def _join_ranges(
    atoms: list[_Atom], gaps: list[str], school_year: SchoolYear
) -> tuple[list[_Atom], list[str]]:
    """Merge «A - B» and «с A по B» into one atom; gaps[i] stays the text before atom i."""
    merged: list[_Atom] = []
    merged_gaps = [gaps[0]]
    index = 0
    while index < len(atoms):
        atom = atoms[index]
        if index + 1 < len(atoms) and _is_range(atom, gaps[index + 1], atoms[index + 1]):
            merged.append(_range_atom(atom, atoms[index + 1], school_year))
            index += 2
        else:
            merged.append(_single_atom(atom))
            index += 1
        merged_gaps.append(gaps[index])
    return merged, merged_gaps


def _is_range(left: _Atom, gap: str, right: _Atom) -> bool:
    between = gap.strip()
    if between == "-":
        return right.qualifier is None and (
            left.qualifier is None or left.qualifier in _FROM_QUALIFIERS | _NEUTRAL_QUALIFIERS
        )
    return between == "" and left.qualifier in _FROM_QUALIFIERS and right.qualifier in _RANGE_END_QUALIFIERS


def _range_atom(left: _Atom, right: _Atom, school_year: SchoolYear) -> _Atom:
    if left.point is not None and right.point is not None:
        start, end = _range_dates(left.point, right.point, school_year)
    else:
        start, end = _bounds(left, school_year)[0], _bounds(right, school_year)[1]
        _check_order(start, end)
    return _Atom(
        left.start,
        right.end,
        None,
        span=DateSpan(start, end),
        source=f"{left.source} – {right.source}",
        day_precise=left.day_precise and right.day_precise,
        warn_outside=left.warn_outside or right.warn_outside,
    )


def _single_atom(atom: _Atom) -> _Atom:
    qualifier = atom.qualifier
    if qualifier is None or qualifier in _NEUTRAL_QUALIFIERS or (qualifier in _FROM_QUALIFIERS and atom.is_range):
        atom.qualifier = None
        return atom
    if qualifier in _FROM_QUALIFIERS:
        raise _NotUnderstood(
            f"В сроке «{atom.source}» указано только начало, окончание неизвестно. "
            "Укажите период, например «с 1 сентября по 31 мая»."
        )
    if qualifier in _START_QUALIFIERS:
        raise _NotUnderstood(
            f"Срок «{atom.source}» неоднозначен: «начало» может означать разные дни. "
            "Укажите дату, например «до 10 мая»."
        )
    if qualifier in _BY_QUALIFIERS and not atom.day_precise:
        raise _NotUnderstood(
            f"Срок «{atom.source}» неоднозначен: непонятно, входит ли в него сам названный период. "
            "Укажите число, например «до 30 апреля» или «до 31 мая»."
        )
    if qualifier not in _END_QUALIFIERS and qualifier not in _BY_QUALIFIERS:
        raise _NotUnderstood(f"Не понято слово «{qualifier}» в сроке «{atom.source}». {_HINT}")
    atom.qualifier = _END  # «до 20 апреля», «по окончании I полугодия»: the last day only
    return atom


def _share_trailing_year(atoms: list[_Atom]) -> None:
    """«Январь, июнь 2024»: a year named only at the end of a list belongs to the whole list."""
    if len(atoms) < 2 or atoms[-1].point is None or atoms[-1].point.year is None:
        return
    earlier = atoms[:-1]
    if any(atom.point is None or atom.point.year is not None for atom in earlier):
        return
    following = atoms[-1].point
    for atom in reversed(earlier):
        point = atom.point
        assert point is not None and following.year is not None
        year = following.year if _order_key(point) <= _order_key(following) else following.year - 1
        atom.point = _Point(point.month, point.day, year)
        following = atom.point


def _order_key(point: _Point) -> tuple[int, int]:
    return point.month, point.day or 0


def _range_dates(first: _Point, last: _Point, school_year: SchoolYear | None) -> tuple[dt.date, dt.date]:
    """Both ends of «first – last», letting a year named at one end serve the other."""
    if first.year is None and last.year is not None:
        shift = 0 if _order_key(first) <= _order_key(last) else -1
        first = _Point(first.month, first.day, last.year + shift)
    elif last.year is None and first.year is not None:
        shift = 0 if _order_key(last) >= _order_key(first) else 1
        last = _Point(last.month, last.day, first.year + shift)
    start = _point_dates(first, school_year)[0]
    end = _point_dates(last, school_year)[1]
    if first.year is None and last.year is None and end < start:
        # «май – сентябрь»: the next September after that May
        end = _point_dates(_Point(last.month, last.day, start.year + (last.month < start.month)), None)[1]
    _check_order(start, end)
    return start, end


def _check_order(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise _NotUnderstood(
            f"Начало срока ({_format_date(start)}) позже окончания ({_format_date(end)}). {_HINT}"
        )


def _point_dates(point: _Point, school_year: SchoolYear | None) -> tuple[dt.date, dt.date]:
    year = point.year
    if year is None:
        if school_year is None:
            raise _NotUnderstood(f"Не удалось определить год. {_HINT}")
        year = school_year.year_of_month(point.month)
    last_day = calendar.monthrange(year, point.month)[1]
    if point.day is None:
        return dt.date(year, point.month, 1), dt.date(year, point.month, last_day)
    if not 1 <= point.day <= last_day:
        raise _NotUnderstood(
            f"Такой даты нет: {point.day:02d}.{point.month:02d}.{year}. {_HINT}"
        )
    day = dt.date(year, point.month, point.day)
    return day, day


def _bounds(atom: _Atom, school_year: SchoolYear | None) -> tuple[dt.date, dt.date]:
    if atom.span is not None:
        return atom.span.start, atom.span.end
    assert atom.point is not None
    return _point_dates(atom.point, school_year)


def _periods(atoms: list[_Atom], school_year: SchoolYear) -> tuple[tuple[Period, ...], tuple[str, ...]]:
    """The periods of the atoms in time order, and a warning for each outside the school year."""
    periods = []
    warnings = []
    for atom in atoms:
        start, end = _bounds(atom, school_year)
        if atom.qualifier == _END:
            start = end
        period = Period(start, end, atom.note)
        periods.append(period)
        if atom.warn_outside and not (start in school_year and end in school_year):
            warnings.append(_outside_warning(period, school_year))
    return tuple(sorted(periods, key=lambda period: (period.start, period.end))), tuple(warnings)


# --- notes


def _attach_notes(atoms: list[_Atom], gaps: list[str]) -> list[_Atom]:
    """Text between dates is a note («Февраль 9-е классы») unless it could change a date."""
    notes = [_note(gap) for gap in gaps]
    leading = notes[0] is not None  # «9-е классы — февраль»: notes come before their dates
    for index, note in enumerate(notes):
        if note is None:
            continue
        if leading:
            target = atoms[min(index, len(atoms) - 1)]
        else:
            target = atoms[max(index - 1, 0)]
        target.note = note if target.note is None else f"{target.note}; {note}"
    return atoms


def _note(gap: str) -> str | None:
    without_fillers = _FILLERS.sub(_blank, gap)
    if not _flatten(without_fillers).strip(_EDGE_SEPARATORS):
        return None
    checked = _CLASS_NOTE.sub(_blank, without_fillers)
    if re.search(r"[0-9]", checked) or _TEMPORAL_WORDS.search(checked):
        raise _NotUnderstood(f"Не удалось понять часть срока: «{_flatten(gap)}». {_HINT}")
    note = " ".join(gap.split())
    while True:
        trimmed = _EDGE_FILLER.sub("", note.strip(_EDGE_SEPARATORS))
        if trimmed == note:
            return note or None
        note = trimmed


# ---------------------------------------------------------------------------
# Phrases without dates.


def _parse_undated(text: str, flat: str) -> Schedule:
    relative = _RELATIVE.search(flat)
    if relative is not None:
        event = relative.group("event").strip(" .,;:")
        message = f"Срок отсчитывается от события «{event}»: дата станет известна, когда оно наступит."
        return Schedule(Kind.LINKED, (), None, text, linked_to=event, messages=(message,))
    linked = _schedule_link(flat, _RESULT_MARKERS)
    if linked is not None:
        return Schedule(Kind.LINKED, (), None, text, linked_to=linked)
    if _ABBREVIATIONS.fullmatch(flat):
        return Schedule(Kind.LINKED, (), None, text, linked_to=flat)
    return _unresolved(text, f"Срок не распознан: «{flat}». {_HINT}")


def _schedule_link(flat: str, markers: tuple[tuple[re.Pattern[str], str], ...]) -> str | None:
    """The name of the schedule a phrase refers to, or None when it refers to none."""
    for pattern, noun in markers:
        match = pattern.search(flat)
        if match is None:
            continue
        rest = flat[match.end():].strip(" .,;:-")
        for known, name in _KNOWN_SCHEDULES:
            if known.fullmatch(rest):
                return name
        return f"{noun} {rest}".strip() or flat
    return None


# ---------------------------------------------------------------------------
# Whole phrases that are not a list of dates: a reason instead of a date, a deadline counted
# from an event, a day of every month, the last week of every term, the school's holidays.

AS_NEEDED_REASON = (
    "«По мере необходимости» — не срок: пункт исполняется, когда в нём возникает нужда, поэтому он "
    "ставится на контроль без даты, а не на весь учебный год."
)
HOLIDAYS_REASON = (
    "Даты каникул задаёт календарный учебный график школы, а не план: срок привязан к нему и не угадывается."
)
def _phrase(*parts: str) -> re.Pattern[str]:
    return re.compile("".join(parts), re.IGNORECASE)


_AS_NEEDED = _phrase(r"(?:по\s+мере|при|по|в\s+случае)\s+необходимости(?:\s+в\s+течение\s+(?:учебного\s+)?года)?")
_COUNT_WORDS = {
    "один": 1, "одного": 1, "два": 2, "двух": 2, "три": 3, "трех": 3, "четыре": 4, "четырех": 4, "пять": 5,
    "пяти": 5, "шесть": 6, "шести": 6, "семь": 7, "семи": 7, "десять": 10, "десяти": 10, "пятнадцать": 15,
    "пятнадцати": 15, "тридцать": 30, "тридцати": 30,
}
_COUNT = r"(?P<n>[0-9]{1,3}|" + "|".join(_COUNT_WORDS) + r")"
_DAYS_UNIT = r"(?:(?P<unit>рабоч[а-яё]*|календарн[а-яё]*)\s+)?(?:дн[а-яё]*|день|сут[а-яё]*)"
_BEFORE_EVENT = _phrase(r"(?:не\s+(?:позднее|позже)\s+(?:чем\s+)?)?за\s+", _COUNT, r"\s+", _DAYS_UNIT,
                        r"\s+до\s+(?P<event>\S.*)")
_AFTER_EVENT = _phrase(r"(?:в\s+течение|не\s+(?:позднее|позже)|через|в\s+срок\s+до)\s+", _COUNT, r"\s+", _DAYS_UNIT,
                       r"(?:\s+(?:после|с\s+момента|со\s+дня|с\s+даты|по\s+истечении|от\s+даты|от)\s+(?P<event>\S.*))?")
_MONTHLY_DAY = _phrase(r"(?P<every1>ежемесячно\s*,?\s*)?(?:до|к|не\s+(?:позднее|позже))\s+(?P<day>[0-9]{1,2})",
                       r"(?:\s*-?\s*го)?\s+числа(?P<every2>\s+(?:каждого|ежемесячно)\s+месяца|\s+ежемесячно|\s+месяца)?")
_LAST_WEEK = _phrase(r"(?:(?:на|в\s+течение|в)\s+)?последн(?:ей|яя|юю)\s+недел[а-яё]*\s+",
                     r"(?:(?P<number>iv|i{1,3}|[1-4])(?:\s*-?\s*(?:й|я|ой|ая|го|е|ого))?\s+)?(?:каждо(?:й|го)\s+)?",
                     r"(?P<unit>четверт[а-яё]*|полугоди[а-яё]*|учебного\s+года)")
_HOLIDAYS = _phrase(r"(?:(?:в\s+(?:период|время)|во\s+время|в\s+дни|на|в)\s+)?",
                    r"(?P<which>осенн[а-яё]*|зимн[а-яё]*|весенн[а-яё]*|летн[а-яё]*)?",
                    r"\s*(?:каникул[а-яё]*|каникулярн[а-яё]*\s+(?:время|период))")
_TIMES_A_YEAR = _phrase(r"(?<![а-яё0-9])(?P<n>[2-9]|два|три|четыре)\s+раза?\s+в\s+(?:учебный\s+)?год(?:у)?(?![а-яё])")
_ORDINAL_ITEM = r"(?:iv|i{1,3}|[1-4])(?:\s*-?\s*(?:й|я|е|го|ой|ая|ое))?"
_ORDINAL_LIST = _phrase(
    r"(?<![а-яёa-z0-9])(?P<qual>(?:по\s+итогам|по\s+окончании|по\s+завершении|в\s+конце|до\s+конца|к\s+концу",
    r"|на\s+конец)\s+)?(?P<list>", _ORDINAL_ITEM, r"(?:\s*(?:,|и)\s*", _ORDINAL_ITEM, r")+)\s+",
    r"(?P<unit>полугоди[а-яё]*|четверт[а-яё]*|квартал[а-яё]*)(?![а-яё])")


def _plural(count: int, one: str, few: str, many: str) -> str:
    n = abs(count)
    if n % 10 == 1 and n % 100 != 11:
        return one
    return few if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else many


def _opened_list(text: str) -> str:
    """«2 раза в год (декабрь, май)»: here the parentheses hold the dates, not a remark."""
    if not _TIMES_A_YEAR.search(text):
        return text
    return text.replace("(", " ").replace(")", " ")


def _cut_times_a_year(work: str) -> tuple[int | None, str]:
    found = _TIMES_A_YEAR.search(work)
    if found is None:
        return None, work
    raw = found.group("n").lower()
    count = int(raw) if raw.isdigit() else _COUNT_WORDS[raw]
    return count, work[:found.start()] + " " * (found.end() - found.start()) + work[found.end():]


def _expand_ordinal_lists(work: str) -> str:
    """«по итогам I и II полугодия» → «по итогам I полугодия и по итогам II полугодия»: each part its own date."""
    def expand(found: re.Match[str]) -> str:
        qualifier = found.group("qual") or ""
        numbers = re.split(r"\s*(?:,|\sи\s)\s*", found.group("list"))
        return " и ".join(f"{qualifier}{number.strip()} {found.group('unit')}" for number in numbers if number.strip())

    return _ORDINAL_LIST.sub(expand, work)


def _count(raw: str) -> int:
    return int(raw) if raw.isdigit() else _COUNT_WORDS[raw.lower()]


def _parse_whole_phrase(text: str, flat: str, school_year: SchoolYear) -> Schedule | None:
    for reader in (_event_offset, _monthly_day, _last_week, _holidays):
        schedule = reader(text, flat, school_year)
        if schedule is not None:
            return schedule
    return None


def _event_offset(text: str, flat: str, school_year: SchoolYear) -> Schedule | None:
    """«за 10 дней до педсовета», «в течение 10 рабочих дней [после …]»: a date only once the event is."""
    found = _BEFORE_EVENT.fullmatch(flat) or _AFTER_EVENT.fullmatch(flat)
    if found is None:
        return None
    offset = Offset(_count(found.group("n")), working=(found.group("unit") or "").lower().startswith("рабоч"),
                    before=found.re is _BEFORE_EVENT)
    if offset.days <= 0:
        raise _NotUnderstood(f"Срок «{flat}»: число дней должно быть больше нуля. {_HINT}")
    event = (found.group("event") or "").strip(" .,;:") or None
    if event is None:
        message = (f"Срок — {offset.describe()}, но событие в сроке не названо: дата не вычисляется. Чтобы она "
                   "появилась, назовите событие, например «в течение 10 рабочих дней после педсовета».")
    else:
        message = f"Срок отсчитывается от события ({flat}): дата станет известна, когда оно будет назначено."
    return Schedule(Kind.LINKED, (), None, text, linked_to=event, messages=(message,), offset=offset)


def _monthly_day(text: str, flat: str, school_year: SchoolYear) -> Schedule | None:
    """«до 5 числа каждого месяца»: that day of every month of lessons (September – May)."""
    found = _MONTHLY_DAY.fullmatch(flat)
    if found is None or not (found.group("every1") or (found.group("every2") or "").strip()):
        return None
    day = int(found.group("day"))
    if not 1 <= day <= 28:
        raise _NotUnderstood(
            f"Срок «{flat}»: числа {day} нет в каждом месяце (в феврале 28 или 29 дней). Укажите число от 1 до 28 "
            "или «ежемесячно» (срок — последний день месяца).")
    periods = tuple(Period(month.start, month.start.replace(day=day)) for month in school_year.teaching_months())
    return Schedule(Kind.RECURRING, periods, Recurrence.MONTHLY, text)


def _last_week(text: str, flat: str, school_year: SchoolYear) -> Schedule | None:
    """«на последней неделе четверти»: the last seven days of every term (of the one named)."""
    found = _LAST_WEEK.fullmatch(flat)
    if found is None:
        return None
    unit = found.group("unit").lower()
    number = found.group("number")
    if unit.startswith("четверт"):
        spans, recurrence, what = school_year.terms(), Recurrence.PER_TERM, "четверти"
    elif unit.startswith("полугод"):
        spans, recurrence, what = school_year.halves(), Recurrence.PER_HALF, "полугодия"
    else:
        spans, recurrence, what = (school_year.teaching_period,), None, "учебного года"
        if number:
            raise _NotUnderstood(f"Не понят номер {what}: «{number}». {_HINT}")
    if number:
        spans, recurrence = (spans[_ordinal_number(number, len(spans), what) - 1],), None
    periods = tuple(Period(span.end - dt.timedelta(days=6), span.end) for span in spans)
    return Schedule(Kind.RECURRING if recurrence else Kind.DATES, periods, recurrence, text)


def _holidays(text: str, flat: str, school_year: SchoolYear) -> Schedule | None:
    """«в период каникул»: the school's own calendar says when; linked to it, never guessed."""
    found = _HOLIDAYS.fullmatch(flat)
    if found is None:
        return None
    which = found.group("which")
    name = f"{which.lower()[:-2]}ие каникулы" if which else "каникулы"
    return Schedule(Kind.LINKED, (), None, text, linked_to=name, messages=(HOLIDAYS_REASON,))
