"""Importing a school's plan the way schools write it (issue 11, point 10), on the real database.

The tables are written here for the project (no seed text): sections numbered I, II in a spanning
row or in the № column, people named by surname and initials (with and without a position, several
in a cell, in another case), groups named by role, a position cut short, rows without numbers, a
month already past, a CSV in windows-1251 — and what the import, the preview and the council make
of them.
"""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from docx import Document
from sqlalchemy import select

from vsoko_flow.db import transaction
from vsoko_flow.deadlines.school_year import SchoolYear
from vsoko_flow.models import HistoryEntry, PlanItem
from vsoko_flow.services.artefacts import create_artefact, show_artefact
from vsoko_flow.services.control import import_preview, plan_table
from vsoko_flow.services.errors import Unprocessable
from vsoko_flow.services.organisations import create_organisation
from vsoko_flow.services.plans import accept_restored_numbers, add_section, commit_import
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.services.users import add_membership, create_user, hash_password

from .test_api import Api
from .web_helpers import login, post_form

YEAR = "2024/2025"
PASSWORD = "Пароль-для-проверки-5"
# login, last, first, middle, gender, roles, position — two Ивановы И.И. on purpose
STAFF = [
    ("sokolova", "Соколова", "Марина", "Борисовна", "f", ["director"], "Директор"),
    ("ivanova", "Иванова", "Ирина", "Игоревна", "f", ["deputy", "working_group"], "Заместитель директора по УВР"),
    ("ivanova_i", "Иванова", "Инна", "Ивановна", "f", ["executor"], "Учитель физики"),
    ("petrova", "Петрова", "Анна", "Алексеевна", "f", ["secretary", "executor", "working_group"],
     "Учитель русского языка"),
    ("smirnov", "Смирнов", "Алексей", "Викторович", "m", ["mo_head", "executor"],
     "Руководитель ШМО учителей математики"),
    ("orlova", "Орлова", "Елена", "Павловна", "f", ["mo_head", "executor"], "Руководитель ШМО учителей начальных классов"),
    ("kuznetsov", "Кузнецов", "Дмитрий", "Олегович", "m", ["executor"], "Учитель истории"),
]
HEADER = ["№ п/п", "Мероприятия", "Ответственный", "Индикатор/результат", "Срок исполнения"]


@pytest.fixture
def staff(rt) -> dict[str, int]:
    """A school of its own, with the people above (and the journals a council needs)."""
    with transaction(rt.sessions) as session:
        school = create_organisation(session, "school", "Муниципальное бюджетное общеобразовательное учреждение "
                                     "«Средняя школа № 5»", "МБОУ СШ № 5", city="г. Новоград")
        ids = {"school": school.id}
        password = hash_password(PASSWORD)
        for login_name, last, first, middle, gender, roles, position in STAFF:
            user = create_user(session, login_name, last, first, middle, gender)
            user.password_hash = password
            add_membership(session, user, school, roles, position)
            ids[login_name] = user.id
        return ids


def new_plan(rt, staff, year: str = YEAR) -> int:
    return create_artefact(rt, staff["ivanova"], staff["school"], "activity_plan", school_year=year)


def docx_of(rows: list[list[str]]) -> bytes:
    """A Word table; a row of one text is written as one cell spanning the table (a section row)."""
    document = Document()
    document.add_paragraph("План мероприятий ВСОКО на учебный год")
    table = document.add_table(rows=0, cols=len(HEADER))
    for row in rows:
        cells = table.add_row().cells
        if len(row) == 1:
            cells[0].merge(cells[-1]).text = row[0]
        else:
            for cell, text in zip(cells, row):
                cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def csv_of(rows: list[list[str]], encoding: str = "cp1251") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    return buffer.getvalue().encode(encoding)


def rows_of(rt, plan_id: int) -> dict[str, PlanItem]:
    with rt.sessions() as session:
        return {item.fields["activity"]: item for item in session.scalars(
            select(PlanItem).where(PlanItem.artefact_id == plan_id).order_by(PlanItem.position))}


# --- Sections numbered in roman and arabic ---------------------------------------------------------------

ROMAN = [
    HEADER,
    ["I. Оценка качества образовательных условий"],
    ["1.1", "Мониторинг укомплектованности кадрами", "Иванова И.И. (зам. по УВР)", "Справка", "Сентябрь"],
    ["1.2", "Проверка библиотечного фонда", "Петрова А.А.", "Акт", "Октябрь"],
    ["II", "Оценка качества образовательных результатов", "", "", ""],
    ["2.1", "Анализ результатов ВПР", "Смирнов А.В., руководители ШМО", "Аналитическая справка", "Май"],
    ["3. Оценка качества процессов"],
    ["3.1", "Посещение уроков", "Рабочая группа по ВСОКО", "Справка", "по итогам I и II полугодия"],
]


def test_roman_and_arabic_section_numbers_are_sections_and_their_rows_keep_arabic_numbers(rt, staff):
    plan_id = new_plan(rt, staff)
    commit_import(rt, plan_id, staff["ivanova"], docx_of(ROMAN), "план.docx")
    table = plan_table(rt, plan_id, staff["ivanova"])
    assert [(s["number"], s["title"]) for s in table["sections"]] == [
        ("I", "Оценка качества образовательных условий"), ("II", "Оценка качества образовательных результатов"),
        ("3", "Оценка качества процессов")]
    assert [[row["number"] for row in s["items"]] for s in table["sections"]] == [["1.1", "1.2"], ["2.1"], ["3.1"]]
    assert all(not any(w.startswith("номер") for w in row["warnings"]) for row in table["flagged"])


# --- People by name, groups by role, a cut position -------------------------------------------------------

def numbered(section: str, rows: list[tuple[str, str, str]]) -> list[list[str]]:
    """Rows 1.1, 1.2, … of section 1: (activity, responsible, deadline), each with a «Справка» as result."""
    return [HEADER, [f"1. {section}"]] + [[f"1.{n}", activity, responsible, "Справка", deadline]
                                         for n, (activity, responsible, deadline) in enumerate(rows, start=1)]


PEOPLE_ROWS = numbered("Кадровые условия", [
    ("Анкетирование педагогов", "Петрова А.А.", "Октябрь"),
    ("Мониторинг аттестации", "Иванова И.И. (зам. по УВР)", "Ноябрь"),
    ("Анализ результатов ВПР", "Смирнов А.В., руководители ШМО", "Май"),
    ("Контроль журналов", "зам. директора по УВР Иванова И.И.", "Декабрь"),
    ("Отчёт о самообследовании", "Иванова И.И.", "Апрель"),
    ("Проверка личных дел", "Заместитель директора по", "Март"),
    ("Мониторинг сайта", "Рабочая группа по ВСОКО", "Январь"),
    ("Поручение о подготовке доклада", "поручено Петровой А.А. и А.А. Петровой", "Февраль"),
    ("Проверка расписания", "Кузнецов Д.О., Белов С.С.", "Март"),
    ("Проверка дневников", "Петрова Анна Алексеевна", "Апрель"),
])


@pytest.fixture
def people_plan(rt, staff) -> int:
    plan_id = new_plan(rt, staff)
    commit_import(rt, plan_id, staff["ivanova"], docx_of(PEOPLE_ROWS), "план.docx")
    return plan_id


def test_people_named_by_surname_and_initials_are_matched(rt, staff, people_plan):
    rows = rows_of(rt, people_plan)
    assert rows["Анкетирование педагогов"].responsible_logins == ["petrova"]
    assert rows["Проверка дневников"].responsible_logins == ["petrova"]  # written in full
    # Two Ивановы И.И.: the position beside the name tells them apart, in brackets or before it.
    assert rows["Мониторинг аттестации"].responsible_logins == ["ivanova"]
    assert rows["Контроль журналов"].responsible_logins == ["ivanova"]
    for row in (rows["Анкетирование педагогов"], rows["Мониторинг аттестации"], rows["Контроль журналов"]):
        assert not any(w.startswith("ответственный") for w in row.warnings), row.warnings


def test_several_people_and_a_role_group_in_one_cell(rt, staff, people_plan):
    rows = rows_of(rt, people_plan)
    assert rows["Анализ результатов ВПР"].responsible_logins == ["orlova", "smirnov"]  # Смирнов and every ШМО head
    assert rows["Мониторинг сайта"].responsible_logins == ["ivanova", "petrova"]  # the working group by its role
    assert rows["Поручение о подготовке доклада"].responsible_logins == ["petrova"]  # declined, initials first


def test_two_people_who_both_fit_are_never_guessed(rt, staff, people_plan):
    row = rows_of(rt, people_plan)["Отчёт о самообследовании"]
    assert row.responsible_logins == []
    assert ("ответственный неоднозначен: «Иванова И.И.» — подходят: Иванова Ирина Игоревна (Заместитель директора "
            "по УВР), Иванова Инна Ивановна (Учитель физики)") in row.warnings


def test_a_cut_position_is_flagged_never_matched(rt, staff, people_plan):
    row = rows_of(rt, people_plan)["Проверка личных дел"]
    assert row.responsible_logins == []  # the school has one deputy, and still she is not guessed
    assert ("ответственный записан не полностью: «Заместитель директора по» — допишите должность или выберите "
            "сотрудника") in row.warnings


def test_a_person_not_on_the_staff_is_named_in_the_warning_and_the_other_is_matched(rt, staff, people_plan):
    row = rows_of(rt, people_plan)["Проверка расписания"]
    assert row.responsible_logins == ["kuznetsov"]
    assert "ответственный не найден: «Белов С.С.»" in row.warnings
    assert not any("Кузнецов" in w for w in row.warnings)


def test_a_windows_1251_csv_with_people_in_a_cell_imports_the_same(rt, staff):
    plan_id = new_plan(rt, staff)
    commit_import(rt, plan_id, staff["ivanova"], csv_of([HEADER, ["Кадровые условия"],
                                                          ["1", "Анкетирование педагогов", "Петрова А.А., Кузнецов Д.О.",
                                                           "Справка", "Октябрь"]]), "план.csv")
    (row,) = rows_of(rt, plan_id).values()
    assert row.responsible_logins == ["kuznetsov", "petrova"] and row.warnings == []


# --- Numbers restored on import, accepted at once ---------------------------------------------------------

UNNUMBERED = [
    HEADER, ["1. Условия"],
    ["", "Первое мероприятие", "Петрова А.А.", "Справка", "Май"],
    ["", "Второе мероприятие", "Петрова А.А.", "Справка", "Май"],
    ["1.S", "Третье мероприятие", "Белов С.С.", "Справка", "Май"],
    ["1.4", "Четвёртое мероприятие", "Петрова А.А.", "Справка", "Май"],
]


def test_all_restored_numbers_are_accepted_at_once_and_other_warnings_stay(rt, staff):
    plan_id = new_plan(rt, staff)
    commit_import(rt, plan_id, staff["ivanova"], docx_of(UNNUMBERED), "план.docx")
    before = {text: row.warnings for text, row in rows_of(rt, plan_id).items()}
    assert [text for text, warnings in before.items() if any(w.startswith("номер") for w in warnings)] == [
        "Первое мероприятие", "Второе мероприятие", "Третье мероприятие"]
    assert plan_table(rt, plan_id, staff["ivanova"])["numbers_to_accept"] == 3
    version = plan_table(rt, plan_id, staff["ivanova"])["version"]
    change = accept_restored_numbers(rt, plan_id, staff["ivanova"], version=version)
    assert (change.id, change.version) == (3, version + 1)
    after = {text: row.warnings for text, row in rows_of(rt, plan_id).items()}
    assert after == {"Первое мероприятие": [], "Второе мероприятие": [],
                     "Третье мероприятие": ["ответственный не найден: «Белов С.С.»"], "Четвёртое мероприятие": []}
    with rt.sessions() as session:
        entry = session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == plan_id)
                                .order_by(HistoryEntry.sequence.desc())).first()
    assert (entry.trigger, entry.fields["numbers"]) == ("accept_numbers", ["1.1", "1.2", "1.3"])
    with pytest.raises(Unprocessable, match="принимать нечего"):
        accept_restored_numbers(rt, plan_id, staff["ivanova"], version=None)


def test_the_plan_page_accepts_the_numbers_with_one_button_and_the_api_too(rt, staff, app):
    plan_id = new_plan(rt, staff)
    commit_import(rt, plan_id, staff["ivanova"], docx_of(UNNUMBERED), "план.docx")
    client = app.test_client()
    login(client, "ivanova", PASSWORD)
    page = client.get(f"/artefacts/{plan_id}").get_data(as_text=True)
    assert "Принять все восстановленные номера (3)" in page
    version = plan_table(rt, plan_id, staff["ivanova"])["version"]
    done = post_form(client, f"/plans/{plan_id}/accept-numbers", {"version": version}, form_page=f"/artefacts/{plan_id}")
    assert done.status_code == 302
    page = client.get(f"/artefacts/{plan_id}").get_data(as_text=True)
    assert "Номера приняты у пунктов: 3." in page and "Принять все восстановленные номера" not in page

    other = new_plan(rt, staff)
    commit_import(rt, other, staff["ivanova"], docx_of(UNNUMBERED), "план.docx")
    from vsoko_flow.services.api_tokens import issue_token
    api = Api(app.test_client(), {"ivanova": issue_token(rt, "ivanova", "проверка")})
    version = plan_table(rt, other, staff["ivanova"])["version"]
    body = api.ok("POST", f"/artefacts/{other}/items/accept-numbers", "ivanova", json={"version": version})
    assert body == {"artefact_id": other, "version": version + 1, "accepted": 3}
    assert api.error("POST", f"/artefacts/{other}/items/accept-numbers", "ivanova", 409, json={"version": version})


# --- Deadlines already past, seen before saving ---------------------------------------------------------

def test_the_preview_warns_of_deadlines_already_past_and_stores_nothing(rt, staff):
    plan_id = new_plan(rt, staff)
    file = docx_of([HEADER, ["1. Условия"], ["1.1", "Сентябрьская проверка", "Петрова А.А.", "Справка", "Сентябрь"],
                    ["1.2", "Ежемесячный отчёт", "Петрова А.А.", "Отчёт", "до 5 числа каждого месяца"],
                    ["1.3", "Весенний мониторинг", "Петрова А.А.", "Справка", "Май"]])
    preview = import_preview(rt, plan_id, staff["ivanova"], file, "план.docx", today=dt.date(2024, 12, 10))
    items = {i["cells"][0]["text"]: i for i in preview["items"]}
    assert items["Сентябрьская проверка"]["past_due"] == ["2024-09-30"]
    assert items["Сентябрьская проверка"]["past_due_warning"] == (
        "срок уже прошёл (30.09.2024; сегодня 10.12.2024): после утверждения пункт сразу окажется просроченным — "
        "исправьте срок или отметьте исполнение")
    assert items["Ежемесячный отчёт"]["past_due"] == ["2024-09-05", "2024-10-05", "2024-11-05", "2024-12-05"]
    assert items["Весенний мониторинг"]["past_due"] == [] and items["Весенний мониторинг"]["past_due_warning"] == ""
    assert preview["past_due"] == 2
    assert rows_of(rt, plan_id) == {}


def test_the_preview_page_says_how_many_rows_are_already_overdue(rt, staff, app):
    past_year = SchoolYear.containing(dt.date.today()).previous().previous().label  # always in the past
    plan_id = new_plan(rt, staff, past_year)
    client = app.test_client()
    login(client, "ivanova", PASSWORD)
    from .test_plan_pages import upload

    page = upload(client, plan_id, docx_of([HEADER, ["1. Условия"],
                                            ["1.1", "Проверка", "Петрова А.А.", "Справка", "Сентябрь"]]), "план.docx")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "со сроком, который уже прошёл" in text and "срок уже прошёл (30.09." in text


# --- An empty section at the council ---------------------------------------------------------------------

def test_an_empty_section_is_refused_at_the_council_and_said_before_the_form(rt, staff):
    plan_id = new_plan(rt, staff)
    commit_import(rt, plan_id, staff["ivanova"], docx_of(ROMAN[:4]), "план.docx")
    add_section(rt, plan_id, staff["ivanova"], "Оценка качества результатов", version=None)
    message = ("Раздел «II Оценка качества результатов» без пунктов: добавьте в него пункты («Добавить пункт» в "
               "разделе) или удалите пустой раздел («Удалить» в строке раздела), чтобы в плане для совета не было "
               "пустых разделов")
    offered = {t["trigger"]: t for t in show_artefact(rt, plan_id, staff["ivanova"])["available_transitions"]}
    assert offered["send_to_council"]["blocked"] == [message]
    with pytest.raises(Unprocessable) as refused:
        fire_transition(rt, plan_id, "send_to_council", staff["ivanova"], today=dt.date(2024, 8, 26))
    assert refused.value.details["rules"] == [message]
