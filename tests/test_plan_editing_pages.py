"""The browser forms for rows and sections written by hand and for a meeting's agenda, through the
Flask test client on the real database: «Добавить пункт», «Удалить» with its confirmation page,
«Добавить раздел» / «Добавить вопрос повестки», «Повестка и ход заседания». No JavaScript; CSRF."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from vsoko_flow.models import Artefact
from vsoko_flow.services.control import plan_table
from vsoko_flow.services.meetings import create_meeting
from vsoko_flow.services.plans import add_item, add_section

from .test_meetings import journals  # noqa: F401 - fixture
from .test_plan_editing import snapshot
from .test_plan_pages import (
    counts, imported_plan, items_by_number, other_client, plan_in_execution, plan_version, post_form, signed_in,
    text_of, words_of,
)

MEETING_DAY = dt.date(2024, 2, 15)


def section_id(rt, school, plan_id: int) -> int:
    """The plan's first section."""
    return plan_table(rt, plan_id, school["deputy"])["sections"][0]["id"]


def new_meeting(rt, school, body: str = "pedsovet") -> int:
    return create_meeting(rt, school["secretary"], school.id, body, MEETING_DAY, school_year="2023/2024",
                          today=MEETING_DAY)


def stored_agenda(rt, meeting_id: int):
    with rt.sessions() as session:
        return session.get(Artefact, meeting_id).fields.get("agenda")


# --- «Добавить пункт» ---------------------------------------------------------------------------------

def test_a_row_is_added_by_hand_at_the_end_of_its_section(rt, school, app):
    plan_id = imported_plan(rt, school)
    section = section_id(rt, school, plan_id)
    deputy = signed_in(app, "deputy")
    page = text_of(deputy.get(f"/artefacts/{plan_id}"))
    assert f'href="/plans/{plan_id}/items/new?section={section}"' in page
    url = f"/plans/{plan_id}/items/new?section={section}"
    form = words_of(deputy.get(url))
    assert "Новый пункт" in form and "В конце раздела «1. Организационное обеспечение оценки качества" in form
    assert "Иванова И.И. — Заместитель директора по УВР" in form

    before = counts(rt, plan_id)
    checked = post_form(deputy, url, {"version": plan_version(rt, plan_id), "action": "check",
                                      "deadline_text": "Декабрь, май", "field_activity": "Анкетирование"})
    assert checked.status_code == 200 and "Будет понято как: 31.12.2024; 31.05.2025" in words_of(checked)
    assert counts(rt, plan_id) == before                                          # checking stores nothing

    saved = post_form(deputy, url, {
        "version": plan_version(rt, plan_id), "action": "save", "field_activity": "Анкетирование родителей",
        "field_result": "Справка", "deadline_text": "Декабрь, май", "responsible": ["deputy"], "external": "ИМЦ"})
    assert saved.status_code == 302, text_of(saved)[:1000]
    item = items_by_number(rt, plan_id)["1.8"]
    assert saved.headers["Location"].endswith(f"/artefacts/{plan_id}#item-{item.id}")
    assert (item.section_id, item.fields["activity"], item.external_executors) == (section, "Анкетирование родителей",
                                                                                   ["ИМЦ"])
    page = words_of(deputy.get(f"/artefacts/{plan_id}"))
    assert "Пункт 1.8 добавлен. Срок: 31.12.2024; 31.05.2025. Ответственные: Иванова И.И. — Заместитель " \
           "директора по УВР, ИМЦ." in page
    assert "Добавлен пункт плана" in page                                         # the history entry has a label


def test_a_refused_new_row_keeps_what_was_typed(rt, school, app):
    plan_id = imported_plan(rt, school)
    url = f"/plans/{plan_id}/items/new?section={section_id(rt, school, plan_id)}"
    deputy = signed_in(app, "deputy")
    before = snapshot(rt, plan_id)
    empty = post_form(deputy, url, {"version": plan_version(rt, plan_id), "action": "save", "field_activity": " ",
                                    "deadline_text": "Мой срок"})
    assert empty.status_code == 422
    assert "Впишите «Мероприятия»" in text_of(empty) and 'value="Мой срок"' in text_of(empty)
    stale = post_form(deputy, url, {"version": 1, "action": "save", "field_activity": "Мой текст"})
    assert stale.status_code == 409 and "План уже изменён" in text_of(stale) and "Мой текст" in text_of(stale)
    assert snapshot(rt, plan_id) == before
    assert deputy.get(f"/plans/{plan_id}/items/new?section=999999").status_code == 404
    without_token = deputy.post(url, data={"version": plan_version(rt, plan_id), "action": "save",
                                           "field_activity": "Текст"})
    assert without_token.status_code == 400 and snapshot(rt, plan_id) == before


# --- «Удалить» with its confirmation ----------------------------------------------------------------------

def test_a_row_is_deleted_after_its_confirmation_page(rt, school, app):
    plan_id = imported_plan(rt, school)
    doomed = items_by_number(rt, plan_id)["1.3"]
    deputy = signed_in(app, "deputy")
    assert f'href="/plans/{plan_id}/items/{doomed.id}/delete"' in text_of(deputy.get(f"/artefacts/{plan_id}"))
    url = f"/plans/{plan_id}/items/{doomed.id}/delete"
    confirm = deputy.get(url)
    page = words_of(confirm)
    assert confirm.status_code == 200 and "Удалить пункт 1.3?" in page
    assert doomed.fields["activity"] in page and "Его текст останется в истории документа" in page
    before = snapshot(rt, plan_id)
    assert before[4][0] == 7                                                      # showing it deleted nothing
    assert deputy.post(url, data={"version": plan_version(rt, plan_id)}).status_code == 400  # no CSRF token

    stale = post_form(deputy, url, {"version": 1})
    assert stale.status_code == 409 and "План уже изменён" in text_of(stale)
    assert snapshot(rt, plan_id) == before
    deleted = post_form(deputy, url, {"version": plan_version(rt, plan_id)})
    assert deleted.status_code == 302 and deleted.headers["Location"].endswith("#plan-items")
    assert sorted(items_by_number(rt, plan_id)) == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6"]
    page = words_of(deputy.get(f"/artefacts/{plan_id}"))
    assert "Пункт 1.3 удалён: «Мониторинг реализации рабочей программы воспитания" in page
    assert "Удалён пункт плана" in page
    assert deputy.get(url).status_code == 404


def test_only_editors_of_a_draft_see_and_use_the_row_buttons(rt, school, app):
    plan_id = imported_plan(rt, school)
    item = items_by_number(rt, plan_id)["1.1"]
    teacher = signed_in(app, "teacher")
    page = text_of(teacher.get(f"/artefacts/{plan_id}"))
    assert "Добавить пункт" not in page and "Удалить" not in page and "Добавить раздел" not in page
    assert teacher.get(f"/plans/{plan_id}/items/new").status_code == 403
    assert teacher.get(f"/plans/{plan_id}/items/{item.id}/delete").status_code == 403
    assert post_form(teacher, f"/plans/{plan_id}/sections", {"title": "Раздел", "version": 2},
                     form_page="/").status_code == 403
    stranger = other_client(app, rt)
    assert stranger.get(f"/plans/{plan_id}/items/new").status_code == 404
    assert stranger.get(f"/plans/{plan_id}/items/{item.id}/delete").status_code == 404

    executing = plan_in_execution(rt, school)
    deputy = signed_in(app, "deputy")
    page = text_of(deputy.get(f"/artefacts/{executing}"))
    assert "Добавить пункт" not in page and "Добавить раздел" not in page and "/delete" not in page
    refused = deputy.get(f"/plans/{executing}/items/{items_by_number(rt, executing)['1.1'].id}/delete")
    assert refused.status_code == 302
    assert "Пункты можно менять только в состоянии «Проект»" in text_of(deputy.get(refused.headers["Location"]))


# --- «Добавить раздел» -------------------------------------------------------------------------------------

def test_a_section_is_added_from_the_plan_page(rt, school, app):
    plan_id = imported_plan(rt, school)
    deputy = signed_in(app, "deputy")
    page = text_of(deputy.get(f"/artefacts/{plan_id}"))
    assert 'id="add-section"' in page and "Добавить раздел" in page
    before = snapshot(rt, plan_id)
    empty = post_form(deputy, f"/plans/{plan_id}/sections", {"title": "  ", "version": plan_version(rt, plan_id)},
                      form_page=f"/artefacts/{plan_id}")
    assert empty.status_code == 422
    refused = text_of(empty)
    assert 'id="section-title-error"' in refused and "Впишите название раздела" in refused
    assert 'id="plan-items"' in refused                                           # the plan page again
    stale = post_form(deputy, f"/plans/{plan_id}/sections", {"title": "Мой раздел", "version": 1},
                      form_page=f"/artefacts/{plan_id}")
    assert stale.status_code == 409 and 'value="Мой раздел"' in text_of(stale)
    assert snapshot(rt, plan_id) == before

    added = post_form(deputy, f"/plans/{plan_id}/sections", {"title": "Мониторинг удовлетворённости",
                                                             "version": plan_version(rt, plan_id)},
                      form_page=f"/artefacts/{plan_id}")
    assert added.status_code == 302
    new_id = int(re.search(r"#section-(\d+)$", added.headers["Location"]).group(1))
    page = words_of(deputy.get(f"/artefacts/{plan_id}"))
    assert "Добавлен раздел «Мониторинг удовлетворённости». Добавьте в него пункты." in page
    assert "2. Мониторинг удовлетворённости" in page and "В этом разделе пока нет пунктов." in page
    assert f'href="/plans/{plan_id}/items/new?section={new_id}"' in text_of(deputy.get(f"/artefacts/{plan_id}"))


# --- A meeting: its questions and «Повестка и ход заседания» ----------------------------------------------

def test_an_empty_meeting_gets_a_question_and_its_agenda_texts(rt, school, app, journals):  # noqa: F811
    meeting_id = new_meeting(rt, school)
    secretary = signed_in(app, "secretary")
    page = words_of(secretary.get(f"/artefacts/{meeting_id}"))
    assert "В повестке пока нет вопросов." in page and "Добавить вопрос повестки" in page
    assert "Повестка и ход заседания" in page

    added = post_form(secretary, f"/plans/{meeting_id}/sections", {"title": "О подготовке к ВПР",
                                                                   "version": plan_version(rt, meeting_id)},
                      form_page=f"/artefacts/{meeting_id}")
    assert added.status_code == 302
    page = text_of(secretary.get(f"/artefacts/{meeting_id}"))
    assert "Добавлен вопрос повестки «О подготовке к ВПР»." in page
    assert 'name="agenda-0-title" value="О подготовке к ВПР"' in page and 'name="agenda-0-votes_for"' in page
    assert 'name="agenda_count" value="1"' in page

    saved = post_form(secretary, f"/plans/{meeting_id}/agenda", {
        "version": plan_version(rt, meeting_id), "agenda_count": "1",
        "agenda-0-title": "О подготовке к всероссийским проверочным работам",
        "agenda-0-heard": "Иванову И.И., заместителя директора по УВР, — о графике ВПР.",
        "agenda-0-spoke": "Смирнов А.В. предложил пробные работы.\r\n\r\nПетрова А.С. — о расписании.",
        "agenda-0-votes_for": "20", "agenda-0-votes_against": "0", "agenda-0-votes_abstained": "1"},
        form_page=f"/artefacts/{meeting_id}")
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/artefacts/{meeting_id}#agenda")
    assert stored_agenda(rt, meeting_id) == [{
        "title": "О подготовке к всероссийским проверочным работам",
        "heard": "Иванову И.И., заместителя директора по УВР, — о графике ВПР.",
        "spoke": ["Смирнов А.В. предложил пробные работы.", "Петрова А.С. — о расписании."],
        "votes_for": 20, "votes_against": 0, "votes_abstained": 1}]
    page = text_of(secretary.get(f"/artefacts/{meeting_id}"))
    assert "Повестка и ход заседания сохранены." in page and "Записаны повестка и ход заседания" in page
    assert "Смирнов А.В. предложил пробные работы.\nПетрова А.С. — о расписании.</textarea>" in page
    assert 'name="agenda-0-votes_for" value="20"' in page


def test_a_refused_agenda_keeps_the_text_and_shows_why(rt, school, app, journals):  # noqa: F811
    meeting_id = new_meeting(rt, school)
    add_section(rt, meeting_id, school["secretary"], "О подготовке к ВПР", version=None)
    secretary = signed_in(app, "secretary")
    before = snapshot(rt, meeting_id)
    fields = {"agenda_count": "1", "agenda-0-title": "Мой вопрос", "agenda-0-heard": "Мой текст СЛУШАЛИ",
              "agenda-0-votes_for": "-1"}
    bad = post_form(secretary, f"/plans/{meeting_id}/agenda", {**fields, "version": plan_version(rt, meeting_id)},
                    form_page=f"/artefacts/{meeting_id}")
    assert bad.status_code == 422
    page = text_of(bad)
    assert "Повестка не сохранена: Проверьте повестку заседания" in page
    assert "вопрос 1: ожидается целое неотрицательное число" in page
    assert "Мой текст СЛУШАЛИ</textarea>" in page and 'value="Мой вопрос"' in page
    assert page.index('id="agenda"') < page.index("вопрос 1: ожидается целое")    # next to the form
    stale = post_form(secretary, f"/plans/{meeting_id}/agenda", {**fields, "agenda-0-votes_for": "20",
                                                                 "version": 1}, form_page=f"/artefacts/{meeting_id}")
    assert stale.status_code == 409 and "Запись о заседании уже изменена" in text_of(stale)
    assert "Мой текст СЛУШАЛИ</textarea>" in text_of(stale)
    assert secretary.post(f"/plans/{meeting_id}/agenda", data={**fields, "version": 2}).status_code == 400  # CSRF
    teacher = signed_in(app, "teacher")
    assert "Повестка и ход заседания" not in text_of(teacher.get(f"/artefacts/{meeting_id}"))
    assert post_form(teacher, f"/plans/{meeting_id}/agenda", {**fields, "version": 2},
                     form_page="/").status_code == 403
    assert snapshot(rt, meeting_id) == before


def test_a_directors_meeting_has_no_votes_and_a_held_meeting_no_form(rt, school, app, journals):  # noqa: F811
    meeting_id = new_meeting(rt, school, "director_meeting")
    question = add_section(rt, meeting_id, school["secretary"], "О системе оценочных процедур", version=None)
    add_item(rt, meeting_id, school["secretary"], version=None, section_id=question.id,
             fields={"activity": "Разработать систему процедур"}, responsible_logins=["deputy"], deadline_text="Март")
    secretary = signed_in(app, "secretary")
    page = text_of(secretary.get(f"/artefacts/{meeting_id}"))
    assert 'name="agenda-0-heard"' in page and "votes_for" not in page[page.index('id="agenda"'):]
    saved = post_form(secretary, f"/plans/{meeting_id}/agenda", {
        "version": plan_version(rt, meeting_id), "agenda_count": "1", "agenda-0-title": "О системе процедур",
        "agenda-0-heard": "Соколову М.Б., директора"}, form_page=f"/artefacts/{meeting_id}")
    assert saved.status_code == 302
    held = post_form(secretary, f"/artefacts/{meeting_id}/fire/hold", {
        "version": plan_version(rt, meeting_id), "present": "6"}, form_page=f"/artefacts/{meeting_id}")
    assert held.status_code == 302, words_of(held)[:2000]
    page = text_of(secretary.get(f"/artefacts/{meeting_id}"))
    assert 'id="agenda"' not in page and "Добавить вопрос повестки" not in page
    late = post_form(secretary, f"/plans/{meeting_id}/agenda", {
        "version": plan_version(rt, meeting_id), "agenda_count": "1", "agenda-0-heard": "Поздно"},
        form_page=f"/artefacts/{meeting_id}")
    assert late.status_code == 302 and stored_agenda(rt, meeting_id)[0]["heard"] == "Соколову М.Б., директора"


@pytest.mark.parametrize("count", ["", "abc", "-1", "101"])
def test_an_agenda_form_without_its_count_is_400_and_changes_nothing(rt, school, app, journals, count):  # noqa: F811
    meeting_id = new_meeting(rt, school)
    add_section(rt, meeting_id, school["secretary"], "О подготовке к ВПР", version=None)
    secretary = signed_in(app, "secretary")
    before = snapshot(rt, meeting_id)
    response = post_form(secretary, f"/plans/{meeting_id}/agenda", {"version": plan_version(rt, meeting_id),
                                                                    "agenda_count": count},
                         form_page=f"/artefacts/{meeting_id}")
    assert response.status_code == 400 and "Форма повестки пришла неполной" in text_of(response)
    assert snapshot(rt, meeting_id) == before
