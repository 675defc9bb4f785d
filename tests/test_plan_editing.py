"""Rows and sections written and deleted by hand (services.plans), and a meeting's agenda texts
(services.meetings), on the real database: numbering, order, checks, history, nothing written on
a refusal."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from vsoko_flow.db import transaction
from vsoko_flow.models import Artefact, HistoryEntry, PlanItem, PlanSection
from vsoko_flow.services.control import plan_table
from vsoko_flow.services.errors import Conflict, Forbidden, NotFound, Unprocessable
from vsoko_flow.services.meetings import (
    agenda_for_editing, create_meeting, edit_agenda_texts, record_agenda,
)
from vsoko_flow.services.organisations import create_organisation
from vsoko_flow.services.plans import add_item, add_section, commit_import, delete_item
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.services.users import add_membership, create_user

from .test_meetings import AGENDA, control_items, documents, journals, lines  # noqa: F401 - fixture
from .data.plans import first_section
from .test_plan_pages import counts, imported_plan, items_by_number, new_plan, plan_csv, plan_in_execution, \
    plan_version


def order(rt, school, plan_id: int) -> list[str]:
    """The row numbers as the plan page shows them, section by section."""
    return [row["number"] for section in plan_table(rt, plan_id, school["deputy"])["sections"]
            for row in section["items"]]


def history(rt, plan_id: int) -> list[HistoryEntry]:
    with rt.sessions() as session:
        return list(session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == plan_id)
                                    .order_by(HistoryEntry.sequence)))


def snapshot(rt, plan_id: int):
    """Everything a refused change must leave as it was."""
    with rt.sessions() as session:
        plan = session.get(Artefact, plan_id)
        items = [(i.id, i.number, i.position, i.section_id, dict(i.fields)) for i in session.scalars(
            select(PlanItem).where(PlanItem.artefact_id == plan_id).order_by(PlanItem.id))]
        sections = [(s.id, s.number, s.title) for s in session.scalars(
            select(PlanSection).where(PlanSection.artefact_id == plan_id).order_by(PlanSection.id))]
        head = plan.version, dict(plan.fields), items, sections
    return *head, counts(rt, plan_id)


@pytest.fixture
def stranger(rt) -> int:
    """A deputy director of another school."""
    with transaction(rt.sessions) as session:
        other = create_organisation(session, "school", "Другая школа № 7", "СОШ № 7")
        person = create_user(session, "other_deputy", "Другая", "Ольга", "Ивановна", "f")
        add_membership(session, person, other, ["deputy"], "Заместитель директора по УВР")
        return person.id


# --- Adding a row ----------------------------------------------------------------------------------------

def test_a_row_added_by_hand_takes_the_next_number_at_the_end_of_its_section(rt, school):
    plan_id = imported_plan(rt, school)
    version = plan_version(rt, plan_id)
    added = add_item(rt, plan_id, school["deputy"], version=version,
                     fields={"activity": "Анкетирование родителей о качестве образования", "result": "Справка"},
                     responsible_logins=["deputy", "psychologist"], external_executors=["ИМЦ", " "],
                     deadline_text="Декабрь, май")
    assert added.version == version + 1
    assert order(rt, school, plan_id) == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8"]
    item = items_by_number(rt, plan_id)["1.8"]
    assert item.id == added.id and item.fields == {"activity": "Анкетирование родителей о качестве образования",
                                                   "result": "Справка"}
    assert (item.responsible_logins, item.external_executors) == (["deputy", "psychologist"], ["ИМЦ"])
    assert item.responsible_text == "Иванова И.И., Орлова Е.А., ИМЦ"  # what the plan prints
    assert [p["due"] for p in item.schedule["periods"]] == ["2024-12-31", "2025-05-31"]
    assert item.warnings == [] and item.fingerprint
    entry = history(rt, plan_id)[-1]
    assert (entry.trigger, entry.fields["item_id"], entry.fields["number"]) == ("add_item", added.id, "1.8")


def test_a_row_without_deadline_or_person_is_flagged_like_an_imported_one(rt, school):
    plan_id = imported_plan(rt, school)
    added = add_item(rt, plan_id, school["deputy"], version=None, fields={"activity": "Круглый стол"})
    with rt.sessions() as session:
        item = session.get(PlanItem, added.id)
    assert item.warnings == ["срок не указан", "ответственный не указан"]
    rows = plan_table(rt, plan_id, school["deputy"])["flagged"]
    assert [row["number"] for row in rows][-1] == "1.8"


def test_sections_added_by_hand_are_numbered_and_take_their_rows(rt, school):
    plan_id = imported_plan(rt, school)
    section = add_section(rt, plan_id, school["deputy"], "  Мониторинг   удовлетворённости ", version=None)
    first = add_item(rt, plan_id, school["deputy"], version=None, section_id=section.id,
                     fields={"activity": "Опрос обучающихся"}, responsible_logins=["deputy"], deadline_text="Март")
    second = add_item(rt, plan_id, school["deputy"], version=None, fields={"activity": "Опрос родителей"},
                      responsible_logins=["deputy"], deadline_text="Апрель")  # default: the last section
    earlier = add_item(rt, plan_id, school["deputy"], version=None, section_id=section.id - 1,
                       fields={"activity": "Ещё один мониторинг"}, responsible_logins=["deputy"],
                       deadline_text="Май")
    table = plan_table(rt, plan_id, school["deputy"])
    assert [(s["number"], s["title"]) for s in table["sections"]] == [
        ("1", "Организационное обеспечение оценки качества образования"),
        ("2", "Мониторинг удовлетворённости")]
    assert [row["number"] for row in table["sections"][1]["items"]] == ["2.1", "2.2"]
    assert [row["id"] for row in table["sections"][1]["items"]] == [first.id, second.id]
    assert table["sections"][0]["items"][-1]["id"] == earlier.id
    assert order(rt, school, plan_id)[-4:] == ["1.7", "1.8", "2.1", "2.2"]
    with rt.sessions() as session:  # positions stay in the order shown: moving a row keeps to its neighbours
        positions = [i.position for i in session.scalars(select(PlanItem).where(PlanItem.artefact_id == plan_id)
                                                          .order_by(PlanItem.position))]
    assert len(set(positions)) == len(positions)
    assert [h.trigger for h in history(rt, plan_id)][-4:] == ["add_section", "add_item", "add_item", "add_item"]


def test_in_a_plan_numbered_through_the_rows_below_move_along(rt, school):
    """Sections without numbers, rows 1–4 through the plan: a row added to the first section is 3,
    and the second section's rows become 4 and 5."""
    header = first_section()[0]
    rows = [header, ["Раздел А"], ["1", "Первое", "Психолог", "", "Сентябрь"], ["2", "Второе", "Психолог", "", "Май"],
            ["Раздел Б"], ["3", "Третье", "Психолог", "", "Май"], ["4", "Четвёртое", "Психолог", "", "Май"]]
    plan_id = new_plan(rt, school)
    commit_import(rt, plan_id, school["deputy"], plan_csv(rows=rows), "plan.csv")
    assert order(rt, school, plan_id) == ["1", "2", "3", "4"]
    sections = plan_table(rt, plan_id, school["deputy"])["sections"]
    assert [s["number"] for s in sections] == ["", ""]
    add_item(rt, plan_id, school["deputy"], version=None, section_id=sections[0]["id"],
             fields={"activity": "Новое"}, responsible_logins=["psychologist"], deadline_text="Октябрь")
    table = plan_table(rt, plan_id, school["deputy"])
    assert [[(r["number"], r["cells"][0]["text"]) for r in s["items"]] for s in table["sections"]] == [
        [("1", "Первое"), ("2", "Второе"), ("3", "Новое")], [("4", "Третье"), ("5", "Четвёртое")]]
    assert history(rt, plan_id)[-1].fields["renumbered"] == 2


@pytest.mark.parametrize("change, error, message", [
    ({"fields": {"activity": "Текст", "colour": "red"}}, Unprocessable, "В таблице нет столбцов: colour"),
    ({"fields": {"activity": "Текст", "deadline": "Май"}}, Unprocessable, "В таблице нет столбцов: deadline"),
    ({"fields": {"activity": "   "}}, Unprocessable, "Впишите «Мероприятия»"),
    ({"fields": {"activity": "Текст"}, "responsible_logins": ["nobody"]}, Unprocessable,
     "Нет таких сотрудников в организации: nobody"),
    ({"fields": {"activity": "Текст"}, "section_id": 999999}, NotFound, "Раздел № 999999 в этом плане не найден"),
    ({"fields": {"activity": "Текст"}, "version": 1}, Conflict, "План уже изменён (версия 2, у вас 1)"),
])
def test_a_refused_row_writes_nothing(rt, school, change, error, message):
    plan_id = imported_plan(rt, school)
    before = snapshot(rt, plan_id)
    with pytest.raises(error) as failure:
        add_item(rt, plan_id, school["deputy"], **{"version": None, **change})
    assert failure.value.message.startswith(message), failure.value.message
    assert snapshot(rt, plan_id) == before


def test_only_the_plan_roles_of_its_school_add_delete_and_only_in_draft(rt, school, stranger):
    plan_id = imported_plan(rt, school)
    item_id = items_by_number(rt, plan_id)["1.2"].id
    before = snapshot(rt, plan_id)
    for call in (lambda who: add_item(rt, plan_id, who, version=None, fields={"activity": "Текст"}),
                 lambda who: delete_item(rt, plan_id, item_id, who, version=None),
                 lambda who: add_section(rt, plan_id, who, "Раздел", version=None)):
        with pytest.raises(Forbidden, match="нет права редактировать"):
            call(school["teacher"])
        with pytest.raises(NotFound, match=f"Документ № {plan_id} не найден"):
            call(stranger)
    assert snapshot(rt, plan_id) == before

    executing = plan_in_execution(rt, school)
    executing_item = items_by_number(rt, executing)["1.2"].id
    before = snapshot(rt, executing)
    with pytest.raises(Conflict, match="Пункты можно менять только в состоянии «Проект»"):
        delete_item(rt, executing, executing_item, school["deputy"], version=None)
    with pytest.raises(Conflict, match="только в состоянии «Проект»"):
        add_item(rt, executing, school["deputy"], version=None, fields={"activity": "Текст"})
    assert snapshot(rt, executing) == before


def test_a_plan_of_a_kind_without_rows_has_no_rows_to_add(rt, school):
    from .flows import new_draft

    act = new_draft(rt, school)
    with pytest.raises(Unprocessable, match="нет таблицы пунктов"):
        add_item(rt, act, school["deputy"], version=None, fields={"activity": "Текст"})


# --- Deleting a row ----------------------------------------------------------------------------------------

def test_deleting_a_row_closes_the_gap_and_keeps_its_text_in_the_history(rt, school):
    plan_id = imported_plan(rt, school)
    doomed = items_by_number(rt, plan_id)["1.3"]
    version = plan_version(rt, plan_id)
    assert delete_item(rt, plan_id, doomed.id, school["deputy"], version=version).version == version + 1
    assert order(rt, school, plan_id) == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6"]
    assert items_by_number(rt, plan_id)["1.3"].fields["activity"].startswith("Изучение условий социализации")
    entry = history(rt, plan_id)[-1]
    assert entry.trigger == "delete_item" and entry.fields["number"] == "1.3"
    assert entry.fields["fields"]["activity"] == doomed.fields["activity"] and entry.fields["renumbered"] == 4
    with pytest.raises(NotFound, match="Пункт плана не найден"):
        delete_item(rt, plan_id, doomed.id, school["deputy"], version=None)


def test_a_stale_delete_or_another_plans_row_deletes_nothing(rt, school):
    plan_id = imported_plan(rt, school)
    other_plan = imported_plan(rt, school)
    item_id = items_by_number(rt, plan_id)["1.1"].id
    before = snapshot(rt, plan_id)
    with pytest.raises(Conflict):
        delete_item(rt, plan_id, item_id, school["deputy"], version=1)
    with pytest.raises(NotFound):
        delete_item(rt, other_plan, item_id, school["deputy"], version=None)
    assert snapshot(rt, plan_id) == before


# --- A meeting built by hand -------------------------------------------------------------------------------

def test_an_empty_meeting_gets_its_agenda_and_decisions_by_hand_and_is_held(rt, school, journals):  # noqa: F811
    day = dt.date(2024, 2, 15)
    meeting_id = create_meeting(rt, school["secretary"], school.id, "pedsovet", day, school_year="2023/2024",
                                today=day)
    with pytest.raises(Unprocessable, match="Впишите название вопроса повестки"):
        add_section(rt, meeting_id, school["secretary"], " ", version=None)
    question = add_section(rt, meeting_id, school["secretary"], "О подготовке к ВПР", version=None)
    decision = add_item(rt, meeting_id, school["secretary"], version=question.version, section_id=question.id,
                        fields={"activity": "Провести пробные работы в формате ВПР"},
                        responsible_logins=["mo_head"], deadline_text="Март 2024")
    edit_agenda_texts(rt, meeting_id, school["secretary"], [{
        "title": "О подготовке к всероссийским проверочным работам", "heard": "Иванову И.И. о графике ВПР.",
        "spoke": ["Смирнов А.В. предложил пробные работы."], "votes_for": "20", "votes_against": "0",
        "votes_abstained": "1"}], version=decision.version)
    fired = fire_transition(rt, meeting_id, "hold", school["secretary"], today=day,
                            fields={"present": 21, "chair": "director"})
    assert fired.to_state == "held"
    protocol = lines(documents(rt, meeting_id, "meeting_protocol")[0])
    for line in ("1. О подготовке к всероссийским проверочным работам", "1. СЛУШАЛИ:",
                 "Иванову И.И. о графике ВПР.", "РЕШИЛИ:", "1.1. Провести пробные работы в формате ВПР",
                 "Срок: Март 2024", "Ответственный: Смирнов А.В.",
                 "Голосовали: «за» — 20, «против» — 0, «воздержались» — 1"):
        assert line in protocol, line
    assert {number: item.due_date for number, item in control_items(rt, meeting_id).items()} == {
        "1.1": dt.date(2024, 3, 31)}


def test_the_agenda_form_keeps_numbers_and_decisions_written_into_the_agenda(rt, school, journals):  # noqa: F811
    day = dt.date(2024, 2, 15)
    meeting_id = create_meeting(rt, school["secretary"], school.id, "pedsovet", day, today=day)
    add_section(rt, meeting_id, school["secretary"], "О подготовке к ВПР", version=None)
    record_agenda(rt, meeting_id, school["secretary"], [
        {**AGENDA[0], "number": "3"},
        {"title": "Разное", "heard": "Информация о дежурстве.",
         "decisions": [{"text": "Принять к сведению", "deadline_text": "", "responsible_text": ""}]}])
    shown = agenda_for_editing(rt, meeting_id, school["secretary"])
    assert [(a["number"], a["title"], a["decisions"], a["section_id"] is None) for a in shown] == [
        ("3", AGENDA[0]["title"], 0, False), ("2", "Разное", 1, True)]
    assert shown[0]["spoke"] == AGENDA[0]["spoke"][0] and shown[0]["votes_for"] == "20"
    assert shown[0]["heard"] == AGENDA[0]["heard"]

    edit_agenda_texts(rt, meeting_id, school["secretary"], [
        {"title": "О ВПР", "heard": "Иванову И.И.", "spoke": [], "votes_for": "19"},
        {"title": "Разное", "heard": "О дежурстве."}])
    with rt.sessions() as session:
        agenda = session.get(Artefact, meeting_id).fields["agenda"]
    assert agenda[0] == {"number": "3", "title": "О ВПР", "heard": "Иванову И.И.", "spoke": [], "votes_for": 19}
    assert agenda[1]["decisions"] == [{"text": "Принять к сведению", "deadline_text": "", "responsible_text": ""}]

    # A question added now comes before «Разное», which keeps its texts.
    add_section(rt, meeting_id, school["secretary"], "Об итогах четверти", version=None)
    shown = agenda_for_editing(rt, meeting_id, school["secretary"])
    assert [(a["title"], a["heard"]) for a in shown] == [("О ВПР", "Иванову И.И."), ("Об итогах четверти", ""),
                                                         ("Разное", "О дежурстве.")]


def test_agenda_texts_are_checked_and_only_a_meeting_has_them(rt, school, journals):  # noqa: F811
    day = dt.date(2024, 2, 15)
    meeting_id = create_meeting(rt, school["secretary"], school.id, "pedsovet", day, today=day)
    before = snapshot(rt, meeting_id)
    with pytest.raises(Unprocessable) as failure:
        edit_agenda_texts(rt, meeting_id, school["secretary"], [{"title": "x", "votes_for": "-1"}])
    assert failure.value.details == {"agenda": ["вопрос 1: ожидается целое неотрицательное число"]}
    with pytest.raises(Conflict, match="Запись о заседании уже изменена"):
        edit_agenda_texts(rt, meeting_id, school["secretary"], [{"title": "x"}], version=5)
    with pytest.raises(Forbidden):
        edit_agenda_texts(rt, meeting_id, school["teacher"], [{"title": "x"}])
    assert snapshot(rt, meeting_id) == before
    plan_id = new_plan(rt, school)
    with pytest.raises(NotFound, match=f"Заседание № {plan_id} не найдено"):
        agenda_for_editing(rt, plan_id, school["deputy"])
