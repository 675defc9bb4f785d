"""«Ответственный» cells of school plans mapped to a school's positions, table-driven.

Every responsible text of the project's plan tables (`tests/data/plans.py`) and of the five seed
documents (as the importer reads them, continuation lines joined) has a row below; a test checks
that none of the project's is missing, and `test_import_seeds` does the same for the seeds when
they are beside the project.  Parts are written «kind: keys».
"""
from __future__ import annotations

from collections.abc import Iterable

import pytest

from vsoko_flow.imports import (
    TYPICAL_SCHOOL_POSITIONS,
    ImportedPlan,
    PartKind,
    Position,
    normalize_position,
    resolve_responsible,
)

from .data.plans import TABLES
from .plan_files import flat, import_table

POSITIONS = TYPICAL_SCHOOL_POSITIONS + (
    Position("history_teacher", "Учитель истории", ["petrova"]),
    Position("geography_teacher", "Учитель географии", ("sidorov",)),
)
DEPUTIES = "deputy_uvr deputy_vr deputy_ahr"
MO_HEADS = "mo_head_primary mo_head_science mo_head_humanities"

# text → parts, each «kind: position keys» or «kind: words as written» for external/unresolved
RESPONSIBLE: dict[str, list[str]] = {
    # the project's tables, where the seeds do not have the same words
    "Заместители директора по УВР, по ИКТ, методисты": [
        "group: deputy_uvr", "unresolved: по ИКТ", "group: methodist",
    ],
    "ИМЦ, ЦОКО, ТПМПК": ["external: ИМЦ", "external: ЦОКО", "unresolved: ТПМПК"],
    # seed 000
    "Заместитель директора по УВР": ["position: deputy_uvr"],
    "Заместитель директора по ВР": ["position: deputy_vr"],
    "Психолог": ["position: psychologist"],
    "Заместитель директора по УВР психолог": ["position: deputy_uvr", "position: psychologist"],
    "Администрация": [f"group: director {DEPUTIES}"],
    "Заместитель директора по": ["cut: "],  # cut short: flagged, never completed
    "Директор": ["position: director"],
    "Руководители МО": [f"group: {MO_HEADS}"],
    "Библиотечная служба": ["group: librarian"],
    "Зам по УВР": ["position: deputy_uvr"],
    "зам по УВР": ["position: deputy_uvr"],
    "Зам директора по УВР": ["position: deputy_uvr"],
    # seed 001
    "Заместители директора по УВР, руководители МО": ["group: deputy_uvr", f"group: {MO_HEADS}"],
    "Заместитель директора по УВР, руководители МО": ["position: deputy_uvr", f"group: {MO_HEADS}"],
    "Заместители директора по УВР, по ВВВР, методисты": [
        "group: deputy_uvr", "unresolved: по ВВВР", "group: methodist",
    ],
    "Директор, заместители директора": ["position: director", f"group: {DEPUTIES}"],
    "Заместители директора": [f"group: {DEPUTIES}"],
    "Заместители директора, руководители МО": [f"group: {DEPUTIES}", f"group: {MO_HEADS}"],
    "Заместитель директора по АХР": ["position: deputy_ahr"],
    "Заместители директора по УВР, педагог-библиотекарь": ["group: deputy_uvr", "position: librarian"],
    "Методист": ["position: methodist"],
    # seed 002
    "Заместитель директора": [f"ambiguous: {DEPUTIES}"],
    "Рабочая группа по ВСОКО, Директор": ["position: working_group", "position: director"],
    "Рабочая группа по ВСОКО": ["position: working_group"],
    # seed 003
    "Зам.директора по УВР": ["position: deputy_uvr"],
    "Руководители ШМО, классные руководители, учителя-предметники": [
        f"group: {MO_HEADS}", "group: class_teacher", "group: subject_teacher",
    ],
    "Зам.директора по УВР Руководители ШМО, учителя-предметники, классные руководители": [
        "position: deputy_uvr", f"group: {MO_HEADS}", "group: subject_teacher", "group: class_teacher",
    ],
    "Зам.директора по УВР руководители ШМО, кл.руководители": [
        "position: deputy_uvr", f"group: {MO_HEADS}", "group: class_teacher",
    ],
    "Классные руководители": ["group: class_teacher"],
    "Зам.директора по УВР учителя-предметники": ["position: deputy_uvr", "group: subject_teacher"],
    "Учителя начальных классов": ["group: primary_teacher"],
    "Учителя начальных классов, учителя-предметники 5, 6 классов": [
        "group: primary_teacher", "group: subject_teacher",
    ],
    "Зам.директора по УВР Учителя -предметники": ["position: deputy_uvr", "group: subject_teacher"],
    "Зам.директора по УВР Учителя-предметники": ["position: deputy_uvr", "group: subject_teacher"],
    "Зам.директора по УВР Учителя начальных классов": ["position: deputy_uvr", "group: primary_teacher"],
    "Зам.директора по УВР Учителя-предметники, классные руководители": [
        "position: deputy_uvr", "group: subject_teacher", "group: class_teacher",
    ],
    "Учителя-предметники": ["group: subject_teacher"],
    "Учителя начальных классов, учителя истории, географии": [
        "group: primary_teacher", "group: history_teacher", "group: geography_teacher",
    ],
    # seed 004
    "АР, ИМЦ, ЦОКО": ["external: АР", "external: ИМЦ", "external: ЦОКО"],
    "ИМЦ, ЦОКО": ["external: ИМЦ", "external: ЦОКО"],
    "ИМЦ, ЦОКО, ПреОО": ["external: ИМЦ", "external: ЦОКО", "unresolved: ПреОО"],
    "АР, ИМЦ, ЦОКО, ОО": ["external: АР", "external: ИМЦ", "external: ЦОКО", "external: ОО"],
    "ИМЦ, ЦОКО. ОО": ["external: ИМЦ", "external: ЦОКО", "external: ОО"],
    "ИМЦ, ЦОКО, ОО": ["external: ИМЦ", "external: ЦОКО", "external: ОО"],
}
def described(text: str) -> list[str]:
    match = resolve_responsible(text, POSITIONS)
    out = []
    for part in match.parts:
        if part.kind in (PartKind.EXTERNAL, PartKind.UNRESOLVED):
            out.append(f"{part.kind}: {part.text}")
        else:
            out.append(f"{part.kind}: {' '.join(part.position_keys)}")
    return out


def check_every_responsible_text_is_known(plans: Iterable[tuple[str, ImportedPlan]], actions_key: str) -> int:
    """Every responsible text of the plans is in the table above, except in the plan `actions_key`, whose
    «Действия по реализации мероприятий (исполнители)» holds actions, not people: each of those is one
    unresolved text with one warning, not one per comma. Returns how many different actions there are."""
    actions = set()
    for key, plan in plans:
        for item in plan.items:
            text = flat(item.responsible)
            if not text:
                continue
            if key == actions_key:
                actions.add(text)
            else:
                assert text in RESPONSIBLE, text
    for text in actions:
        match = resolve_responsible(text, POSITIONS)
        assert [part.kind for part in match.parts] == [PartKind.UNRESOLVED]
        assert match.warnings == (f"ответственный не найден: «{text}»",)
    return len(actions)


@pytest.mark.parametrize("text, parts", RESPONSIBLE.items(), ids=list(RESPONSIBLE))
def test_responsible_texts(text, parts):
    assert described(text) == parts
    match = resolve_responsible(text, POSITIONS)
    flagged = [part for part in parts if part.startswith(("unresolved", "ambiguous", "cut"))]
    assert match.resolved == (not flagged)
    assert len(match.warnings) == len(flagged)
    assert len(match.unresolved) == len(flagged)


def test_every_responsible_text_of_the_project_tables_is_in_the_table():
    plans = ((key, import_table(table, "csv-utf8-bom").plan) for key, table in TABLES.items())
    assert check_every_responsible_text_is_known(plans, actions_key="roadmap") == 14


def test_warnings_are_russian_and_name_the_part():
    match = resolve_responsible("Заместители директора по УВР, по ВВВР, методисты", POSITIONS)
    assert match.warnings == ("ответственный не найден: «по ВВВР»",)
    ambiguous = resolve_responsible("Заместитель директора", POSITIONS)
    assert ambiguous.warnings == (
        "ответственный неоднозначен: «Заместитель директора» — подходят: Заместитель директора по УВР, "
        "Заместитель директора по ВР, Заместитель директора по АХР",
    )
    assert resolve_responsible("", POSITIONS).warnings == ("ответственный не указан",)


def test_several_executors_and_their_users():
    match = resolve_responsible("Учителя начальных классов, учителя истории, географии", POSITIONS)
    assert [p.key for p in match.positions] == ["primary_teacher", "history_teacher", "geography_teacher"]
    assert match.user_logins == ("petrova", "sidorov")
    assert match.groups == ("Учителя начальных классов", "учителя истории", "географии")


def test_external_bodies_are_not_users():
    match = resolve_responsible("ИМЦ, ЦОКО, ОО", POSITIONS)
    assert match.external == ("ИМЦ", "ЦОКО", "ОО") and match.positions == () and match.resolved


def test_qualifiers_and_remarks_are_kept_as_notes():
    match = resolve_responsible("Учителя-предметники 5, 6 классов; Психолог (по согласованию)", POSITIONS)
    assert [(part.text, part.note) for part in match.parts] == [
        ("Учителя-предметники 5, 6 классов", "5 6 классов"), ("Психолог", "по согласованию"),
    ]


def test_elliptic_parts_borrow_the_head_of_the_part_before():
    assert described("Заместитель директора по УВР, ВР") == ["position: deputy_uvr", "position: deputy_vr"]
    assert described("Заместитель директора по УВР и по АХР") == ["position: deputy_uvr", "position: deputy_ahr"]


def test_an_organisation_of_its_own_words():
    positions = [
        Position("head", "Директор школы", ["boss"]),
        Position("uvr1", "Заместитель директора по учебно-воспитательной работе"),
        Position("mo_math", "Руководитель методического объединения учителей математики"),
        Position("mo_ru", "Руководитель ШМО учителей русского языка"),
    ]
    assert [p.key for p in resolve_responsible("Руководители МО", positions).positions] == ["mo_math", "mo_ru"]
    assert [p.key for p in resolve_responsible("Администрация", positions).positions] == ["head", "uvr1"]
    assert [p.key for p in resolve_responsible("Директор", positions).positions] == ["head"]
    unknown = resolve_responsible("Психолог", positions)
    assert not unknown.resolved and unknown.unresolved == ("Психолог",)


@pytest.mark.parametrize("text, normal", [
    ("Зам.директора по УВР", "заместитель директора по увр"),
    ("Зам по УВР", "заместитель директора по увр"),
    ("Заместители директора по УВР", "заместитель директора по увр"),
    ("кл.руководители", "классный руководитель"),
    ("Руководитель ШМО учителей начальных классов", "руководитель мо учителей начальных классов"),
    ("Руководитель методического объединения", "руководитель мо"),
    ("Педагог-психолог", "психолог"),
    ("Учителя -предметники", "учитель-предметник"),
    ("Заместитель директора по УBP", "заместитель директора по увр"),  # Latin B and P typed by mistake
])
def test_normalisation(text, normal):
    assert normalize_position(text) == normal
