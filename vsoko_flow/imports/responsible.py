"""«Ответственный» cells of school plans mapped to the positions of an organisation.

A cell names one or more executors, in the school's own words: «Заместитель директора по УВР
психолог», «Зам.директора по УВР», «Руководители МО», «Администрация», «ИМЦ, ЦОКО, ОО».
`resolve_responsible` splits such a text into parts (commas, «и», semicolons, line breaks,
a full stop before a capital letter, and position names that follow each other without
punctuation), reads abbreviations and plurals, and matches each part to the organisation's
positions by normalised title:

* a singular title names one position («Психолог» → «Педагог-психолог»); if several fit
  («Заместитель директора» in a school with three deputies) the part is ambiguous and flagged;
* a plural title names every position it starts («Руководители МО» → each «Руководитель МО …»),
  and so do group words («Администрация» → the director and the deputies);
* bodies outside the school (ИМЦ, ЦОКО, ОО, …) are external executors, never users;
* an elliptic part borrows the head of the part before it («учителя истории, географии»,
  «Заместитель директора по УВР, ВР»);
* people by name — «Петрова А.А.», «А.А. Петрова», «Петрова Анна Сергеевна», in any case
  («Петровой А.А.», read by pymorphy3 with the person's gender) — are matched to the staff by
  surname and initials; a position written beside the name («Иванова И.И. (зам. по УВР)») only
  tells apart two people who would both fit; two people who still both fit are flagged;
* groups named by role — «Рабочая группа по ВСОКО», «руководители ШМО» — are the people who hold
  that role in the organisation (and the positions the words name);
* a position cut short («Заместитель директора по») is flagged, never completed;
* anything else stays unresolved, with a Russian warning — never a guess.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
from typing import Any

from vsoko_flow.documents.russian import surname_readings


@dataclass(frozen=True)
class Position:
    """A position (должность) of the organisation and the users who hold it."""

    key: str
    title: str
    user_logins: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "user_logins", tuple(self.user_logins))


@dataclass(frozen=True)
class Person:
    """A member of the organisation, for cells that name people («Петрова А.А.»)."""

    login: str
    last_name: str
    first_name: str
    middle_name: str = ""
    gender: str = ""  # «m» or «f»; «» when not known
    position: str = ""  # the title of the person's position (a `Position.key`)
    roles: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name, self.middle_name) if part)


class PartKind(StrEnum):
    POSITION = "position"  # one position (or several with the very same title)
    GROUP = "group"  # a plural or a group word: every position it covers, or everyone with a role
    PERSON = "person"  # one member of the staff named by name
    EXTERNAL = "external"  # a body outside the organisation
    AMBIGUOUS = "ambiguous"  # several positions (people) fit a singular title (a name)
    CUT = "cut"  # a position cut short: «Заместитель директора по»
    UNRESOLVED = "unresolved"


@dataclass(frozen=True)
class ResponsiblePart:
    text: str  # the words as written
    normalized: str
    kind: PartKind
    position_keys: tuple[str, ...] = ()
    note: str | None = None  # a qualifier kept aside: «5, 6 классов», «по согласованию»
    logins: tuple[str, ...] = ()  # people named, or holding the role a group names
    candidates: tuple[str, ...] = ()  # everyone who fits an ambiguous name

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "normalized": self.normalized, "kind": str(self.kind),
                "position_keys": list(self.position_keys), "note": self.note, "logins": list(self.logins),
                "candidates": list(self.candidates)}


@dataclass(frozen=True)
class ResponsibleMatch:
    text: str
    parts: tuple[ResponsiblePart, ...]
    positions: tuple[Position, ...]  # every matched position, in order, once
    groups: tuple[str, ...]  # the group parts as written («Руководители МО»)
    external: tuple[str, ...]  # external executors as written («ИМЦ»)
    unresolved: tuple[str, ...]  # parts that matched nothing or were ambiguous
    warnings: tuple[str, ...]

    @property
    def resolved(self) -> bool:
        """Every part is understood and at least one executor is named."""
        return bool(self.parts) and not self.unresolved

    @property
    def people_logins(self) -> tuple[str, ...]:
        """The people named by name or by a role group (the positions' holders come on top)."""
        return tuple(dict.fromkeys(login for part in self.parts
                                   if part.kind in (PartKind.PERSON, PartKind.GROUP) for login in part.logins))

    @property
    def user_logins(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*(login for position in self.positions for login in position.user_logins),
                                    *self.people_logins]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "parts": [part.to_dict() for part in self.parts],
            "position_keys": [position.key for position in self.positions],
            "logins": list(self.people_logins),
            "groups": list(self.groups),
            "external": list(self.external),
            "unresolved": list(self.unresolved),
            "warnings": list(self.warnings),
            "resolved": self.resolved,
        }


# A typical school's positions: for demonstrations and tests, not a rule.
TYPICAL_SCHOOL_POSITIONS: tuple[Position, ...] = tuple(
    Position(key, title)
    for key, title in (
        ("director", "Директор"),
        ("deputy_uvr", "Заместитель директора по УВР"),
        ("deputy_vr", "Заместитель директора по ВР"),
        ("deputy_ahr", "Заместитель директора по АХР"),
        ("psychologist", "Педагог-психолог"),
        ("social_pedagogue", "Социальный педагог"),
        ("librarian", "Педагог-библиотекарь"),
        ("methodist", "Методист"),
        ("mo_head_primary", "Руководитель ШМО учителей начальных классов"),
        ("mo_head_science", "Руководитель ШМО естественно-математического цикла"),
        ("mo_head_humanities", "Руководитель ШМО гуманитарного цикла"),
        ("class_teacher", "Классный руководитель"),
        ("subject_teacher", "Учитель-предметник"),
        ("primary_teacher", "Учитель начальных классов"),
        ("working_group", "Рабочая группа по ВСОКО"),
        ("council_secretary", "Секретарь педагогического совета"),
    )
)

# ---------------------------------------------------------------------------
# Normalisation: lower case, abbreviations spelt out, plurals made singular.

# token → (replacement, is_plural)
_TOKENS: dict[str, tuple[str, bool]] = {
    "зам": ("заместитель", False), "заместители": ("заместитель", True),
    "зав": ("заведующий", False), "заведующие": ("заведующий", True),
    "рук": ("руководитель", False), "руководители": ("руководитель", True),
    "кл": ("классный", False), "классные": ("классный", True),
    "дир": ("директора", False), "соц": ("социальный", False), "социальные": ("социальный", True),
    "учителя": ("учитель", True), "учителя-предметники": ("учитель-предметник", True),
    "педагоги": ("педагог", True), "педагоги-психологи": ("педагог-психолог", True),
    "педагоги-организаторы": ("педагог-организатор", True), "методисты": ("методист", True),
    "психологи": ("психолог", True), "члены": ("член", True), "специалисты": ("специалист", True),
    "воспитатели": ("воспитатель", True), "советники": ("советник", True),
    "председатели": ("председатель", True), "секретари": ("секретарь", True),
    "библиотекари": ("библиотекарь", True), "тьюторы": ("тьютор", True),
    "шмо": ("мо", False),
}
_ABBREVIATIONS = frozenset({"зам", "зав", "рук", "кл", "дир", "соц", "пед", "т", "д", "др", "г"})
# Word sequences made equal on both sides (the cell and the position title).
_REWRITES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("педагог-психолог",), ("психолог",)),
    (("педагог", "психолог"), ("психолог",)),
    (("педагог-библиотекарь",), ("библиотекарь",)),
    (("педагог", "библиотекарь"), ("библиотекарь",)),
    (("учитель", "предметник"), ("учитель-предметник",)),
) + tuple(
    ((adjective, noun), ("мо",))
    for adjective, noun in (
        ("методическое", "объединение"), ("методического", "объединения"), ("методические", "объединения"),
        ("методических", "объединений"),
    )
)
_LATIN_LOOKALIKES = str.maketrans("aeopcxykABEKMHOPCTXY", "аеорсхукАВЕКМНОРСТХУ")
# A word; a hyphen may have a space on one side: «Учителя -предметники», «учителями- предметниками».
_TOKEN_RE = re.compile(r"[0-9a-zа-яё]+(?:(?:-| -(?! )|- )[0-9a-zа-яё]+)*\.?", re.IGNORECASE)


@dataclass(frozen=True)
class _Words:
    tokens: tuple[str, ...]
    plurals: tuple[bool, ...]  # per token: written in plural
    spans: tuple[tuple[int, int], ...] = ()  # per token: where it was written in the source text

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    @property
    def plural(self) -> bool:
        """The head was written in plural («Руководители МО», «кл. руководители»): everyone it covers."""
        return any(self.plurals[:2])

    def slice(self, start: int, end: int) -> _Words:
        return _Words(self.tokens[start:end], self.plurals[start:end], self.spans[start:end])

    def source(self, text: str) -> str:
        """The words as written in `text`."""
        if not self.spans:
            return self.text
        return text[self.spans[0][0]:self.spans[-1][1]].strip(" .,")


@lru_cache(maxsize=4096)  # plans repeat the same few titles hundreds of times
def _words(text: str) -> _Words:
    text = text.replace("ё", "е").replace("Ё", "Е")
    tokens: list[str] = []
    plurals: list[bool] = []
    spans: list[tuple[int, int]] = []
    for found in _TOKEN_RE.finditer(text):
        raw = found.group().replace(" ", "")
        if re.search(r"[а-яё]", raw, re.IGNORECASE) and re.search(r"[a-z]", raw, re.IGNORECASE):
            raw = raw.translate(_LATIN_LOOKALIKES)
        word = raw.lower().rstrip(".")
        replacement, plural = _TOKENS.get(word, (word, False))
        tokens.append(replacement)
        plurals.append(plural)
        spans.append(found.span())
    return _rewrite(tokens, plurals, spans)


def _rewrite(tokens: list[str], plurals: list[bool], spans: list[tuple[int, int]]) -> _Words:
    out: list[tuple[str, bool, tuple[int, int]]] = []
    index = 0
    while index < len(tokens):
        for pattern, replacement in _REWRITES:
            if tuple(tokens[index:index + len(pattern)]) == pattern:
                span = (spans[index][0], spans[index + len(pattern) - 1][1])
                out.extend((token, plurals[index], span) for token in replacement)
                index += len(pattern)
                break
        else:
            out.append((tokens[index], plurals[index], spans[index]))
            if tokens[index] == "заместитель" and tokens[index + 1:index + 2] == ["по"]:
                out.append(("директора", plurals[index], spans[index]))  # «Зам по УВР»
            index += 1
    return _Words(tuple(t for t, _, _ in out), tuple(p for _, p, _ in out), tuple(s for _, _, s in out))


def normalize_position(text: str) -> str:
    """The comparable form of a position title: «Зам.директора по УВР» → «заместитель директора по увр»."""
    return _words(text).text


# ---------------------------------------------------------------------------
# Groups and external bodies.

_GROUPS: dict[str, tuple[str, ...]] = {
    "администрация": ("директор", "заместитель директора"),
    "администрация школы": ("директор", "заместитель директора"),
    "администрация оо": ("директор", "заместитель директора"),
    "администрация оу": ("директор", "заместитель директора"),
    "библиотечная служба": ("библиотекарь", "заведующий библиотекой"),
    "служба ппс": ("психолог", "социальный педагог"),
    "психологическая служба": ("психолог", "социальный педагог"),
    "педагогический коллектив": ("учитель",),
}
# Groups that name a role of the organisation (models.organisation.ROLES), normalised: their members are
# everyone who holds the role, besides the positions the words name.
_ROLE_GROUPS: dict[str, str] = {
    "рабочая группа по всоко": "working_group", "рабочая группа": "working_group",
    "член рабочей группы": "working_group", "член рабочей группы по всоко": "working_group",
    "руководитель мо": "mo_head",
    "секретарь педагогического совета": "secretary", "секретарь педсовета": "secretary",
}
# A part ending with one of these was cut (a line break, a narrow cell): «Заместитель директора по».
_DANGLING = frozenset({"по", "и", "для", "в", "во", "с", "со", "на", "при", "к", "от", "из", "за", "о", "об"})
# When a plural names no position of its own, these wider prefixes are tried.
_FALLBACK_PREFIXES: dict[str, tuple[str, ...]] = {"учитель-предметник": ("учитель",)}
_EXTERNAL = frozenset({
    "имц", "цоко", "рцоко", "оо", "оу", "ар", "иоц", "мау иоц", "гбу имц", "ппмс-центр", "ппмс центр",
    "администрация района", "управление образования", "отдел образования", "комитет по образованию",
    "департамент образования", "министерство образования", "минпросвещения", "минпросвещения россии",
    "рособнадзор", "фипи", "фиоко",
})
_QUALIFIER_TOKENS = re.compile(r"^(?:[0-9]+(?:-[а-я]+)?|класс[а-я]*|х|е|параллел[а-я]*)$")
_HEAD_NOUNS = frozenset({
    "директор", "заместитель", "руководитель", "учитель", "учитель-предметник", "психолог", "педагог",
    "методист", "библиотекарь", "классный", "социальный", "секретарь", "председатель", "член",
    "специалист", "воспитатель", "советник", "тьютор", "рабочая", "администрация",
})


@dataclass(frozen=True)
class _Indexed:
    position: Position
    words: str


class _Matcher:
    def __init__(self, positions: Sequence[Position]) -> None:
        self.indexed = [_Indexed(position, normalize_position(position.title)) for position in positions]

    def starting(self, prefixes: Iterable[str]) -> list[Position]:
        found = []
        for entry in self.indexed:
            if any(entry.words == prefix or entry.words.startswith(prefix + " ") for prefix in prefixes):
                found.append(entry.position)
        return found

    def exact(self, words: str) -> list[Position]:
        return [entry.position for entry in self.indexed if entry.words == words]

    def match(self, words: _Words) -> tuple[PartKind, list[Position]]:
        """One part, whole: what it names, without splitting it further."""
        text = words.text
        if text in _EXTERNAL:
            return PartKind.EXTERNAL, []
        if text in _GROUPS:
            found = self.starting(_GROUPS[text])
            return (PartKind.GROUP, found) if found else (PartKind.UNRESOLVED, [])
        if words.plural:
            found = self.starting([text]) or self.starting(_FALLBACK_PREFIXES.get(text, ()))
            return (PartKind.GROUP, found) if found else (PartKind.UNRESOLVED, [])
        exact = self.exact(text)
        if exact:
            return PartKind.POSITION, exact
        wider = self.starting([text])
        if len(wider) == 1:
            return PartKind.POSITION, wider
        if wider:
            return PartKind.AMBIGUOUS, wider
        return PartKind.UNRESOLVED, []


@lru_cache(maxsize=32)
def _matcher(positions: tuple[Position, ...]) -> _Matcher:
    return _Matcher(positions)


# ---------------------------------------------------------------------------
# People by name.

_UP, _LO = "А-ЯЁ", "а-яё"
_SURNAME = rf"[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?"
_NAME_PATTERNS = tuple(re.compile(pattern) for pattern in (
    # «Петрова Анна Сергеевна»: a patronymic makes it a name for certain
    rf"(?<![{_LO}{_UP}])(?P<surname>{_SURNAME})\s+(?P<first>[{_UP}][{_LO}]+)\s+"
    rf"(?P<middle>[{_UP}][{_LO}]+(?:вич|вна|ична|инична|ич))(?![{_LO}])",
    # «А.А. Петрова», «А. Петрова»
    rf"(?<![{_LO}{_UP}])(?P<first>[{_UP}])\.\s*(?:(?P<middle>[{_UP}])\.\s*)?(?P<surname>{_SURNAME})(?![{_LO}])",
    # «Петрова А.А.», «Петрова А. А.», «Петрова А.»
    rf"(?<![{_LO}{_UP}])(?P<surname>{_SURNAME})\s+(?P<first>[{_UP}])\.\s*(?:(?P<middle>[{_UP}])\.?)?(?![{_LO}])",
))


def _found_names(piece: str) -> list[re.Match[str]]:
    """The names written in a piece, left to right, none overlapping, none a position word («Директор М.Б.»)."""
    found: list[re.Match[str]] = []
    for pattern in _NAME_PATTERNS:
        for match in pattern.finditer(piece):
            surname = _words(match.group("surname")).tokens
            if surname and surname[0] in _HEAD_NOUNS | _POSITION_WORDS:
                continue
            if all(match.end() <= other.start() or match.start() >= other.end() for other in found):
                found.append(match)
    return sorted(found, key=lambda match: match.start())


# Words of position titles that look like a capitalised surname in front of initials.
_POSITION_WORDS = frozenset({"заведующий", "завуч", "зам", "заместитель", "председатель", "член", "инспектор",
                             "тьютор", "вожатый", "логопед", "дефектолог", "библиотекарь", "воспитатель"})


def _same(a: str, b: str) -> bool:
    return a.lower().replace("ё", "е") == b.lower().replace("ё", "е")


def _surname_fits(word: str, person: Person, nominative: bool) -> bool:
    """The written surname is this person's, in the nominative (or, when asked, in any case)."""
    own = {lemma for lemma, gender, nomn in surname_readings(person.last_name)
           if nomn and gender in ("", person.gender or gender)} or {person.last_name.lower().replace("ё", "е")}
    return any(lemma in own and gender in ("", person.gender or gender) and (nomn or not nominative)
               for lemma, gender, nomn in surname_readings(word))


def _name_fits(match: re.Match[str], person: Person) -> bool:
    first, middle = match.group("first"), match.group("middle")
    if len(first) > 1:  # written in full
        return _same(first, person.first_name) and (middle is None or _same(middle, person.middle_name))
    return (_same(first, person.first_name[:1])
            and (middle is None or _same(middle[:1], person.middle_name[:1])))


def _people_fitting(match: re.Match[str], people: Sequence[Person]) -> list[Person]:
    named = [person for person in people if _name_fits(match, person)]
    for nominative in (True, False):  # «Иванова» is a woman before it is a man in the genitive
        fitting = [person for person in named if _surname_fits(match.group("surname"), person, nominative)]
        if fitting:
            return fitting
    return []


def _person_part(match: re.Match[str], people: Sequence[Person], hints: list[Position]) -> ResponsiblePart:
    """One name: the person it names; the position written beside it only tells two namesakes apart."""
    text = " ".join(match.group(0).split())
    if match.group("surname") != text.split()[-1] and not text.endswith("."):
        text += "."  # «Петрова А.А»: the cell's full stop went with the separators
    fitting = _people_fitting(match, people)
    if len(fitting) > 1 and hints:
        by_position = [person for person in fitting if person.position in {p.key for p in hints}]
        fitting = by_position or fitting
    if len(fitting) == 1:
        return ResponsiblePart(text, fitting[0].label.lower(), PartKind.PERSON, logins=(fitting[0].login,))
    if fitting:
        return ResponsiblePart(text, text.lower(), PartKind.AMBIGUOUS,
                               candidates=tuple(f"{p.label} ({p.position})" if p.position else p.label
                                                for p in fitting))
    return ResponsiblePart(text, text.lower(), PartKind.UNRESOLVED)


def _named_people(piece: str, notes: list[str], matcher: _Matcher, people: Sequence[Person]
                  ) -> tuple[list[ResponsiblePart], str]:
    """Parts for the people named in a piece, and what is left of it (their position, if written)."""
    names = _found_names(piece) if people else []
    if not names:
        return [], piece
    rest = piece
    for match in names:
        rest = rest.replace(match.group(0), " ")
    hints: list[Position] = []
    for written in [rest, *notes]:
        words = _words(written)
        if words.tokens:
            kind, found = matcher.match(words)
            hints += found if kind in (PartKind.POSITION, PartKind.AMBIGUOUS, PartKind.GROUP) else []
    return [_person_part(match, people, hints) for match in names], ""


def _surname_alone(piece: str, people: Sequence[Person]) -> ResponsiblePart | None:
    """A cell with a surname only («Петрова»): the one person of the staff with it, or None."""
    if not people or not re.fullmatch(rf"{_SURNAME}", piece.strip()):
        return None
    for nominative in (True, False):
        fitting = [person for person in people if _surname_fits(piece.strip(), person, nominative)]
        if len(fitting) == 1:
            return ResponsiblePart(piece, fitting[0].label.lower(), PartKind.PERSON, logins=(fitting[0].login,))
        if fitting:
            return ResponsiblePart(piece, piece.lower(), PartKind.AMBIGUOUS,
                                   candidates=tuple(person.label for person in fitting))
    return None


def _role_group(piece: str, words: _Words, matcher: _Matcher, people: Sequence[Person]) -> ResponsiblePart | None:
    """«Рабочая группа по ВСОКО», «руководители ШМО»: everyone with that role, and the positions named."""
    role = _ROLE_GROUPS.get(words.text)
    if role is None:
        return None
    holders = tuple(person.login for person in people if role in person.roles)
    if not holders:  # nobody has the role: the words may still name a position
        return None
    kind, found = matcher.match(words)
    positions = tuple(p.key for p in found) if kind in (PartKind.POSITION, PartKind.GROUP) else ()
    return ResponsiblePart(piece, words.text, PartKind.GROUP, positions, logins=holders)


# ---------------------------------------------------------------------------
# Splitting a cell into parts.

_PARENTHESES = re.compile(r"\(([^()]*)\)")
_SEPARATORS = re.compile(r"[;\n\r/]+|,(?!\s*[0-9])|\s+и\s+|\s+а\s+также\s+")
_EDGES = " \t.,:;-–—"
_SENTENCE_STOP = re.compile(r"(?P<word>[^\W\d_]+)\.\s+(?=[А-ЯЁA-Z])")


def _split(text: str) -> list[str]:
    pieces = []
    for chunk in _SEPARATORS.split(text):
        start = 0
        for stop in _SENTENCE_STOP.finditer(chunk):
            word = stop.group("word")
            if len(word) < 2 or word.lower() in _ABBREVIATIONS:  # initials, «Зам. Директора»
                continue
            pieces.append(chunk[start:stop.end("word")])
            start = stop.end()
        pieces.append(chunk[start:])
    return [piece.strip(_EDGES) for piece in pieces if piece.strip(_EDGES)]


def resolve_responsible(text: str, positions: Sequence[Position], people: Sequence[Person] = ()) -> ResponsibleMatch:
    """Map the words of an «Ответственный» cell to positions, groups, people and external bodies."""
    matcher = _matcher(tuple(positions))
    parts: list[ResponsiblePart] = []
    previous: _Words | None = None
    for piece in _split(text or ""):
        notes = [note.strip() for note in _PARENTHESES.findall(piece) if note.strip()]
        bare = _PARENTHESES.sub(" ", piece).strip()
        if not bare:
            continue
        named, bare = _named_people(bare, notes, matcher, people)
        parts += named
        if not bare.strip(_EDGES):
            continue
        resolved = _resolve_piece(bare, matcher, previous, people)
        for part in resolved:
            if notes:
                joined = "; ".join(filter(None, [part.note, *notes]))
                part = replace(part, note=joined)
            parts.append(part)
        last = resolved[-1]
        if last.kind in (PartKind.POSITION, PartKind.GROUP):
            tokens = tuple(last.normalized.split())
            previous = _Words(tokens, (last.kind is PartKind.GROUP,) * len(tokens))
    understood = (PartKind.POSITION, PartKind.GROUP, PartKind.PERSON, PartKind.EXTERNAL, PartKind.AMBIGUOUS,
                  PartKind.CUT)
    if len(parts) > 1 and not any(part.kind in understood for part in parts):
        # Not a list of executors at all (an action written in the column): one warning, not ten.
        whole = " ".join(text.split())
        parts = [ResponsiblePart(whole, normalize_position(whole), PartKind.UNRESOLVED)]
    return _summarise(text, parts, positions)


def _resolve_piece(piece: str, matcher: _Matcher, previous: _Words | None,
                   people: Sequence[Person] = ()) -> list[ResponsiblePart]:
    words = _words(piece)
    if not words.tokens:
        return [ResponsiblePart(piece, "", PartKind.UNRESOLVED)]
    if words.tokens[-1] in _DANGLING or piece.rstrip().endswith(("-", "–")):
        return [ResponsiblePart(piece, words.text, PartKind.CUT)]
    role_group = _role_group(piece, words, matcher, people)
    if role_group is not None:
        return [role_group]
    kind, found = matcher.match(words)
    if kind in (PartKind.POSITION, PartKind.GROUP, PartKind.EXTERNAL):
        return [_part(piece, words, kind, found)]
    alone = _surname_alone(piece, people)
    if alone is not None:
        return [alone]
    segments = _segment(words, matcher)
    if segments is not None:
        single = len(segments) == 1
        return [
            _part(piece if single else segment.source(piece), segment, *matcher.match(segment), note=note)
            for segment, note in segments
        ]
    elliptic = _elliptic(words, previous, matcher)
    if elliptic is not None:
        return [_part(piece, elliptic, *matcher.match(elliptic))]
    return [_part(piece, words, kind, found)]


def _segment(words: _Words, matcher: _Matcher) -> list[tuple[_Words, str | None]] | None:
    """Position names one after another («…по УВР психолог»), or a name and a qualifier («5, 6 классов»)."""
    result: list[tuple[_Words, str | None]] = []
    start = 0
    size = len(words.tokens)
    while start < size:
        for end in range(size, start, -1):
            chunk = words.slice(start, end)
            if matcher.match(chunk)[0] in (PartKind.POSITION, PartKind.GROUP, PartKind.EXTERNAL):
                result.append((chunk, None))
                start = end
                break
        else:
            rest = words.tokens[start:]
            if result and all(_QUALIFIER_TOKENS.match(token) for token in rest):
                result[-1] = (result[-1][0], " ".join(rest))
                return result
            return None
    return result if len(result) > 1 else None


def _elliptic(words: _Words, previous: _Words | None, matcher: _Matcher) -> _Words | None:
    """«…по УВР, ВР», «учителя истории, географии»: borrow the head of the previous part."""
    if previous is None or words.tokens[0] in _HEAD_NOUNS:
        return None
    own = words.tokens[1:] if words.tokens[0] == "по" else words.tokens
    for keep in range(len(previous.tokens) - 1, 0, -1):
        head = previous.tokens[:keep]
        tokens = head + (own if head[-1] == "по" else words.tokens)
        candidate = _Words(tokens, (previous.plural,) * len(tokens), words.spans[:1] * len(tokens))
        if matcher.match(candidate)[0] in (PartKind.POSITION, PartKind.GROUP):
            return candidate
    return None


def _part(
    text: str, words: _Words, kind: PartKind, found: list[Position], note: str | None = None
) -> ResponsiblePart:
    return ResponsiblePart(text, words.text, kind, tuple(position.key for position in found), note)


def _summarise(text: str, parts: list[ResponsiblePart], positions: Sequence[Position]) -> ResponsibleMatch:
    by_key = {position.key: position for position in positions}
    matched = dict.fromkeys(
        key for part in parts if part.kind in (PartKind.POSITION, PartKind.GROUP) for key in part.position_keys
    )
    warnings = []
    for part in parts:
        if part.kind is PartKind.UNRESOLVED:
            warnings.append(f"ответственный не найден: «{part.text}»")
        elif part.kind is PartKind.CUT:
            warnings.append(f"ответственный записан не полностью: «{part.text}» — допишите должность или "
                            "выберите сотрудника")
        elif part.kind is PartKind.AMBIGUOUS:
            titles = ", ".join(part.candidates or [by_key[key].title for key in part.position_keys])
            warnings.append(f"ответственный неоднозначен: «{part.text}» — подходят: {titles}")
    if not parts:
        warnings.append("ответственный не указан")
    return ResponsibleMatch(
        text=text,
        parts=tuple(parts),
        positions=tuple(by_key[key] for key in matched),
        groups=tuple(part.text for part in parts if part.kind is PartKind.GROUP),
        external=tuple(part.text for part in parts if part.kind is PartKind.EXTERNAL),
        unresolved=tuple(part.text for part in parts
                         if part.kind in (PartKind.UNRESOLVED, PartKind.AMBIGUOUS, PartKind.CUT)),
        warnings=tuple(warnings),
    )
