"""Russian-language formatting for official documents.

Pure functions only: no Flask, no database. Everything here is deterministic and
safe to call from any thread (the morphological analyser is created once, lazily,
under a lock, and is read-only afterwards).

* dates: «03.04.2025» and «3 апреля 2025 г.» (ГОСТ Р 7.0.97);
* personal names: declined by grammatical gender with pytrovich (pymorphy mistakes
  «Иванова» for a masculine genitive, so it is never used for names);
* positions, act titles and collegial bodies: only the head noun and the words that
  agree with it are declined, the dependent tail («директора по УВР») is kept as is.
"""

from __future__ import annotations

from functools import lru_cache

import re
import threading
from datetime import date
from enum import Enum
from typing import Any

from babel.dates import format_date
from pytrovich.enums import Case as _TrovichCase
from pytrovich.enums import Gender as _TrovichGender
from pytrovich.enums import NamePart as _TrovichNamePart
from pytrovich.maker import PetrovichDeclinationMaker

__all__ = [
    "Case",
    "date_digits",
    "date_words",
    "decline_person",
    "surname_initials",
    "initials_surname",
    "person_in_case",
    "decline_phrase",
    "position_forms",
    "lower_first",
    "upper_first",
]


# --------------------------------------------------------------------------- dates


def date_digits(d: date) -> str:
    """Date in the digital ГОСТ form: «03.04.2025»."""
    return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"


def date_words(d: date) -> str:
    """Date in the verbal-digital ГОСТ form: «3 апреля 2025 г.» (month in genitive)."""
    return f"{format_date(d, 'd MMMM y', locale='ru')} г."


# --------------------------------------------------------------------------- cases


class Case(str, Enum):
    """Grammatical case; the values are pymorphy (OpenCorpora) grammemes."""

    NOMINATIVE = "nomn"
    GENITIVE = "gent"
    DATIVE = "datv"
    ACCUSATIVE = "accs"
    INSTRUMENTAL = "ablt"
    PREPOSITIONAL = "loct"


_TROVICH_CASES = {
    Case.NOMINATIVE: _TrovichCase.NOMINATIVE,
    Case.GENITIVE: _TrovichCase.GENITIVE,
    Case.DATIVE: _TrovichCase.DATIVE,
    Case.ACCUSATIVE: _TrovichCase.ACCUSATIVE,
    Case.INSTRUMENTAL: _TrovichCase.INSTRUMENTAL,
    Case.PREPOSITIONAL: _TrovichCase.PREPOSITIONAL,
}

_GENDERS = {"f": _TrovichGender.FEMALE, "m": _TrovichGender.MALE}


def _as_case(case: Case | str) -> Case:
    return case if isinstance(case, Case) else Case(case)


# --------------------------------------------------------------------------- names

_trovich_lock = threading.Lock()
_trovich: PetrovichDeclinationMaker | None = None


def _name_maker() -> PetrovichDeclinationMaker:
    global _trovich
    if _trovich is None:
        with _trovich_lock:
            if _trovich is None:
                _trovich = PetrovichDeclinationMaker()
    return _trovich


@lru_cache(maxsize=4096)  # pure, and every document declines the same few people again
def decline_person(
    last: str, first: str, middle: str, gender: str, case: Case
) -> tuple[str, str, str]:
    """Decline surname, first name and patronymic by the person's gender ("f"/"m").

    An empty part stays empty (people without a patronymic). Surnames that do not
    decline («Гриценко», «Черных») are returned unchanged by the rules.
    """
    key = (gender or "").strip().lower()
    if key not in _GENDERS:
        raise ValueError(f"gender must be 'f' or 'm', got {gender!r}")
    trovich_gender = _GENDERS[key]
    trovich_case = _TROVICH_CASES[_as_case(case)]
    maker = _name_maker()

    def one(part: _TrovichNamePart, value: str) -> str:
        value = (value or "").strip()
        if not value:
            return ""
        return maker.make(part, trovich_gender, trovich_case, value)

    return (
        one(_TrovichNamePart.LASTNAME, last),
        one(_TrovichNamePart.FIRSTNAME, first),
        one(_TrovichNamePart.MIDDLENAME, middle),
    )


def _initials(first: str, middle: str) -> str:
    letters = [p.strip()[0].upper() + "." for p in (first, middle) if p and p.strip()]
    return "".join(letters)


def surname_initials(last: str, first: str, middle: str) -> str:
    """«Иванова И.И.» — surname, a space, initials without spaces between them."""
    initials = _initials(first, middle)
    last = (last or "").strip()
    return f"{last} {initials}" if initials else last


def initials_surname(last: str, first: str, middle: str) -> str:
    """«И.И. Иванова» — the ГОСТ form of the signature requisite."""
    initials = _initials(first, middle)
    last = (last or "").strip()
    return f"{initials} {last}" if initials else last


def person_in_case(
    last: str,
    first: str,
    middle: str,
    gender: str,
    case: Case,
    style: str = "surname_initials",
) -> str:
    """A person's name in a case and style: "surname_initials" («Иванову И.И.»),
    "initials_surname" («И.И. Ивановой») or "full" («Ивановой Ирины Игоревны»)."""
    d_last, d_first, d_middle = decline_person(last, first, middle, gender, case)
    if style == "surname_initials":
        # initials do not change; only the surname is declined
        return surname_initials(d_last, first, middle)
    if style == "initials_surname":
        return initials_surname(d_last, first, middle)
    if style == "full":
        return " ".join(p for p in (d_last, d_first, d_middle) if p)
    raise ValueError(f"unknown style {style!r}")


# --------------------------------------------------------------------------- phrases

_morph_lock = threading.Lock()
_morph: Any = None


def _analyzer() -> Any:
    global _morph
    if _morph is None:
        with _morph_lock:
            if _morph is None:
                import pymorphy3

                _morph = pymorphy3.MorphAnalyzer()
    return _morph


@lru_cache(maxsize=4096)
def surname_readings(word: str) -> tuple[tuple[str, str, bool], ...]:
    """How a surname written in a text may be read: (lemma, gender «m»/«f»/«» for both, nominative?) for
    every reading pymorphy knows as a surname — «Ивановой» is иванов, f, not nominative; «Иванова» is
    иванов, f, nominative, or иванов, m, genitive. A word it does not know as a surname is read as itself."""
    readings = []
    for parse in _analyzer().parse(word):
        if "Surn" not in parse.tag:
            continue
        gender = "m" if "masc" in parse.tag else "f" if "femn" in parse.tag else ""
        readings.append((parse.normal_form.replace("ё", "е"), gender, "nomn" in parse.tag))
    return tuple(dict.fromkeys(readings)) or ((word.lower().replace("ё", "е"), "", True),)


_TOKEN_SPLIT = re.compile(r"(\s+)")
# leading / trailing characters that are not part of the word itself
_EDGE = re.compile(r"^([^\w]*)(.*?)([^\w]*)$", re.DOTALL)
_CYRILLIC_WORD = re.compile(r"^[а-яё]+(?:-[а-яё]+)*$", re.IGNORECASE)
_ADJ_POS = {"ADJF", "PRTF"}
_GENDER_GRAMMEMES = ("masc", "femn", "neut")


def _is_abbreviation(word: str) -> bool:
    """«УВР», «МО», «ВСОКО», «МБОУ»: two or more letters, all capitals."""
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _nominative_parses(word: str, pos: set[str]) -> list[Any]:
    return [
        p
        for p in _analyzer().parse(word.lower())
        if p.tag.POS in pos and p.tag.case == "nomn"
    ]


def _agrees(adj: Any, noun_or_adj: Any) -> bool:
    """Does an adjective parse agree in number (and gender) with the next word?"""
    if adj.tag.number != noun_or_adj.tag.number:
        return False
    if adj.tag.number == "plur":
        return True
    other = noun_or_adj.tag.gender
    if other is None or "ms-f" in noun_or_adj.tag:  # «судья», «коллега»
        return True
    return str(other) == str(adj.tag.gender)


def _match_case(original: str, new: str) -> str:
    """Carry the capitalisation of *original* over to *new*, part by part."""
    orig_parts = original.split("-")
    new_parts = new.split("-")
    if len(orig_parts) != len(new_parts):
        orig_parts, new_parts = [original], [new]
    out = []
    for o, n in zip(orig_parts, new_parts):
        if len(o) > 1 and o.isupper():
            out.append(n.upper())
        elif o[:1].isupper():
            out.append(n[:1].upper() + n[1:])
        else:
            out.append(n)
    return "-".join(out)


def _inflect(parse: Any, grammemes: set[str]) -> str | None:
    form = parse.inflect(grammemes)
    return form.word if form is not None else None


def _inflect_noun(parse: Any, case: Case, animate: bool) -> str | None:
    """Inflect one noun; for the accusative honour the requested animacy."""
    if case is not Case.ACCUSATIVE:
        return _inflect(parse, {case.value})
    accs = _inflect(parse, {"accs"})
    if accs is None:
        return None
    lexeme_animate = "anim" in parse.tag
    if animate == lexeme_animate:
        return accs
    # Only the «accusative = genitive / nominative» type depends on animacy
    # (masculine 2nd declension and all plurals); «мужчину», «судью» do not.
    gent = _inflect(parse, {"gent"})
    nomn = parse.word
    if parse.tag.number == "plur" or parse.tag.gender == "masc":
        if animate and accs == nomn and gent:
            return gent
        if not animate and accs == gent:
            return nomn
    return accs


def _inflect_adjective(
    parse: Any, case: Case, number: str, gender: str | None, animate: bool
) -> str | None:
    grammemes = {case.value, number}
    if number == "sing":
        grammemes.add(gender if gender in _GENDER_GRAMMEMES else parse.tag.gender)
    if case is Case.ACCUSATIVE and (number == "plur" or gender == "masc"):
        grammemes.add("anim" if animate else "inan")
    return _inflect(parse, {g for g in grammemes if g})


def _inflect_head_word(core: str, parse: Any, case: Case, animate: bool) -> str | None:
    """The head noun; hyphenated heads («педагог-психолог») decline every noun part."""
    if "-" in core:
        parts = core.split("-")
        out, changed = [], False
        for part in parts:
            noun = _nominative_parses(part, {"NOUN"})
            if part and noun and not _is_abbreviation(part):
                word = _inflect_noun(noun[0], case, animate)
                if word is not None:
                    out.append(word)
                    changed = True
                    continue
            out.append(part.lower())
        if changed:
            return "-".join(out)
    return _inflect_noun(parse, case, animate)


@lru_cache(maxsize=4096)  # pure: positions and titles repeat in every document
def decline_phrase(text: str, case: Case, animate: bool | None = None) -> str:
    """Decline a noun phrase whose head is its first noun.

    Leading adjectives/participles that agree with the head and the head noun itself
    are inflected («Главный бухгалтер» → «Главного бухгалтера»); everything after the
    head («директора по УВР», «о внутренней системе …») is left untouched, and so are
    abbreviations. Each word keeps its capitalisation.

    *animate* decides the accusative of masculine and plural phrases: positions are
    people (True: «Заместителя директора»), acts and bodies are not (False:
    «Педагогический совет»). None takes the dictionary's reading of the head noun.
    If no head can be found the text is returned unchanged; so is a phrase written
    in capitals, whose words are indistinguishable from abbreviations.
    """
    case = _as_case(case)
    if case is Case.NOMINATIVE or not text or not text.strip():
        return text

    tokens = _TOKEN_SPLIT.split(text)
    word_idx = [i for i, t in enumerate(tokens) if t and not t.isspace()]

    # (token index, lead, core, trail, parse, role) for the words to inflect
    group: list[tuple[int, str, str, str, Any, str]] = []
    head = None
    for pos_in_words, i in enumerate(word_idx):
        lead, core, trail = _EDGE.match(tokens[i]).groups()
        if not core or _is_abbreviation(core) or not _CYRILLIC_WORD.match(core):
            break
        nouns = _nominative_parses(core, {"NOUN"})
        adjs = _nominative_parses(core, _ADJ_POS)
        is_last_word = pos_in_words + 1 >= len(word_idx)

        # an adjective is a modifier if the next word agrees with it and nothing
        # (comma, bracket, quote) separates them
        if adjs and not trail and not is_last_word:
            nxt_lead, nxt_core, _ = _EDGE.match(tokens[word_idx[pos_in_words + 1]]).groups()
            agreeing = None
            if nxt_core and not nxt_lead and _CYRILLIC_WORD.match(nxt_core) and not _is_abbreviation(nxt_core):
                following = _nominative_parses(nxt_core, {"NOUN"} | _ADJ_POS)
                for adj in adjs:
                    if any(_agrees(adj, f) for f in following):
                        agreeing = adj
                        break
            if agreeing is not None:
                group.append((i, lead, core, trail, agreeing, "adj"))
                continue
        if nouns:
            head = nouns[0]
            group.append((i, lead, core, trail, head, "noun"))
            break
        if adjs:  # a substantivised adjective as head: «Ответственный за …»
            head = adjs[0]
            group.append((i, lead, core, trail, head, "adj_head"))
            break
        break

    if head is None:
        return text

    if animate is None:
        animate = "anim" in head.tag if head.tag.POS == "NOUN" else True
    number = head.tag.number or "sing"
    gender = head.tag.gender

    result = list(tokens)
    for i, lead, core, trail, parse, role in group:
        if role == "noun":
            new = _inflect_head_word(core, parse, case, animate)
        elif role == "adj_head":
            new = _inflect_adjective(parse, case, parse.tag.number or "sing", parse.tag.gender, animate)
        else:
            new = _inflect_adjective(parse, case, number, gender, animate)
        if new is None:
            return text  # pymorphy cannot build the form: do not produce half a phrase
        result[i] = f"{lead}{_match_case(core, new)}{trail}"
    return "".join(result)


def position_forms(text: str) -> dict[str, str]:
    """Pre-filled declined forms of a position (a person, so animate) for editing."""
    forms = {"nomn": text}
    for case in (Case.GENITIVE, Case.DATIVE, Case.ACCUSATIVE, Case.INSTRUMENTAL):
        forms[case.value] = decline_phrase(text, case, animate=True)
    return forms


# --------------------------------------------------------------------------- helpers


def lower_first(s: str) -> str:
    """Lowercase the first letter («Заместитель …» → «заместитель …»), but keep an
    abbreviation at the start («МО …», «УВР») as it is."""
    if not s:
        return s
    first_word = s.split(maxsplit=1)[0]
    if _is_abbreviation(first_word):
        return s
    return s[0].lower() + s[1:]


def upper_first(s: str) -> str:
    """Uppercase the first letter, leave the rest alone."""
    if not s:
        return s
    return s[0].upper() + s[1:]


def count_noun(count: int, word: str) -> str:
    """«1 документ», «3 документа», «7 документов» — the noun agreed with the number."""
    parsed = _analyzer().parse(word)[0]
    agreed = parsed.make_agree_with_number(abs(count))
    return f"{count} {agreed.word if agreed else word}"


def preposition_s(next_word: str) -> str:
    """«с» or «со» before the word: «со статьёй», «со своим», «со всеми», «с частью» (before с, з, ш, ж
    followed by a consonant, and before «мн…», «вс…»)."""
    word = (next_word or "").strip().lower()
    if len(word) >= 2 and word[0] in "сзшжмв" and word[1] not in "аеёиоуыэюя":
        if word[0] in "сзшж" or word[:2] in ("мн", "вс"):
            return "со"
    return "с"
