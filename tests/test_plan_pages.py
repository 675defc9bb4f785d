"""Plan pages through the Flask test client on the real database: importing a table with a
preview that stores nothing, fixing flagged rows, reordering, rolling over, the control items
of a plan in execution, evidence files, and the .ics feed of a person's deadlines.

The plan file is built here from the project's activity plan (`tests/data/plans.py`: its first
section — a row without a number, an «S» in place of «5», a deputy for upbringing the demo school
does not have)."""
from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import html
import io
import re
import zipfile
from urllib.parse import quote

import pytest
from docx import Document
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from vsoko_flow.db import transaction
from vsoko_flow.models import Artefact, Evidence, HistoryEntry, PlanItem, PlanSection
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.control import control_children, plan_table
from vsoko_flow.services.organisations import create_organisation
from vsoko_flow.services.plans import commit_import, update_item
from vsoko_flow.services.reminders import calendar_token
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.services.demo import DEMO_PASSWORD
from vsoko_flow.services.users import add_membership, create_user, set_password

from .data.plans import first_section
from .web_helpers import counted_queries, csrf_token, login, post_form

YEAR = "2024/2025"
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_0-9]+)" value="([^"]*)"')


# --- Files built from the project's activity plan ------------------------------------------------------

def plan_docx(rows: list[list[str]] | None = None) -> bytes:
    """A Word table as in the school's file: the section row is one cell spanning the table."""
    rows = rows or first_section()
    width = max(len(row) for row in rows)
    document = Document()
    document.add_paragraph("План внутренней системы оценки качества образования (ВСОКО)")
    table = document.add_table(rows=0, cols=width)
    for row in rows:
        cells = table.add_row().cells
        if re.match(r"^\d+\.\s", row[0]) and not any(row[1:]):
            cells[0].merge(cells[-1]).text = row[0]
        else:
            for index, text in enumerate(row):
                cells[index].text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def plan_csv(encoding: str = "utf-8", rows: list[list[str]] | None = None) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows or first_section())
    return buffer.getvalue().encode(encoding)


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<a>" + b"0" * 8 * 1024 * 1024 + b"</a>")
    return buffer.getvalue()


# --- Helpers -----------------------------------------------------------------------------------------

def signed_in(app, login_name: str):
    client = app.test_client()
    login(client, login_name)
    return client


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def words_of(response) -> str:
    """The page as a person reads it: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def new_plan(rt, school, kind: str = "activity_plan", year: str = YEAR) -> int:
    return create_artefact(rt, school["deputy"], school.id, kind, school_year=year, today=dt.date(2024, 8, 20))


def post_files(client, url: str, fields: dict, form_page: str):
    """A multipart POST built in memory (the test client would spool a large body to a temporary
    file and leave it open when the server refuses the request early)."""
    values = {name: FileStorage(io.BytesIO(value[0]), filename=value[1]) if isinstance(value, tuple) else value
              for name, value in {**fields, "csrf_token": csrf_token(client, form_page)}.items()}
    boundary, body = encode_multipart(values)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def upload(client, plan_id: int, data: bytes, name: str):
    return post_files(client, f"/plans/{plan_id}/import", {"file": (data, name)}, f"/plans/{plan_id}/import")


def attach(client, control_id: int, file: tuple[bytes, str] | None = None, link_url: str = ""):
    fields = {"file": file} if file else {}
    if link_url:
        fields["link_url"] = link_url
    return post_files(client, f"/plans/control/{control_id}/evidence", fields, f"/artefacts/{control_id}")


def save_from(client, plan_id: int, preview) -> object:
    """Press «Сохранить в план» on the preview page: post back its hidden fields."""
    fields = dict(_HIDDEN.findall(preview.get_data(as_text=True)))
    assert {"content", "sha256", "signature", "file_name", "version", "csrf_token"} <= fields.keys()
    fields = {name: html.unescape(value) for name, value in fields.items()}
    return client.post(f"/plans/{plan_id}/import/save", data=fields)


def import_file(client, plan_id: int, data: bytes, name: str = "plan.docx"):
    preview = upload(client, plan_id, data, name)
    assert preview.status_code == 200, text_of(preview)[:1000]
    return save_from(client, plan_id, preview)


def counts(rt, plan_id: int) -> tuple[int, int, int]:
    """(items, sections, history entries) of the plan."""
    with rt.sessions() as session:
        return tuple(session.scalar(select(func.count()).select_from(model).where(model.artefact_id == plan_id))
                     for model in (PlanItem, PlanSection, HistoryEntry))


def items_by_number(rt, plan_id: int) -> dict[str, PlanItem]:
    with rt.sessions() as session:
        return {item.number: item for item in session.scalars(select(PlanItem).where(PlanItem.artefact_id == plan_id))}


def plan_version(rt, plan_id: int) -> int:
    with rt.sessions() as session:
        return session.get(Artefact, plan_id).version


def other_client(app, rt):
    """A signed-in deputy of another school."""
    with transaction(rt.sessions) as session:
        other = create_organisation(session, "school", "Другая школа № 7", "СОШ № 7")
        user = create_user(session, "other_deputy", "Другая", "Ольга", "Ивановна", "f")
        set_password(user, DEMO_PASSWORD)
        add_membership(session, user, other, ["deputy"], "Заместитель директора по УВР")
    client = app.test_client()
    login(client, "other_deputy")
    return client


def imported_plan(rt, school, kind: str = "activity_plan") -> int:
    plan_id = new_plan(rt, school, kind)
    commit_import(rt, plan_id, school["deputy"], plan_docx(), "plan.docx")
    return plan_id


def resolve_flagged(rt, school, plan_id: int) -> None:
    """The rows for the deputy for upbringing (absent in the demo school) go to the deputy for УВР."""
    with rt.sessions() as session:
        items = session.scalars(select(PlanItem).where(PlanItem.artefact_id == plan_id)).all()
    for item in items:
        if item.warnings and not item.responsible_logins:
            update_item(rt, plan_id, item.id, school["deputy"], version=None, responsible_logins=["deputy"])


def plan_in_execution(rt, school) -> int:
    plan_id = imported_plan(rt, school)
    resolve_flagged(rt, school, plan_id)
    fire_transition(rt, plan_id, "send_to_council", school["deputy"], today=dt.date(2024, 8, 26))
    fire_transition(rt, plan_id, "adopt", school["secretary"], today=dt.date(2024, 8, 30), fields={
        "protocol_date": "2024-08-30", "present": 30, "votes_for": 30, "votes_against": 0, "votes_abstained": 0})
    fire_transition(rt, plan_id, "approve", school["director"], today=dt.date(2024, 9, 2),
                    fields={"order_date": "2024-09-02", "responsible": "deputy"})
    return plan_id


def control_item(rt, plan_id: int, number: str) -> int:
    with rt.sessions() as session:
        return session.scalars(select(Artefact.id).where(
            Artefact.parent_id == plan_id, Artefact.fields["item_number"].as_string() == number)).one()


# --- Import ---------------------------------------------------------------------------------------------

def test_import_preview_shows_every_row_and_stores_nothing_then_save_stores_the_items(rt, school, app):
    plan_id = new_plan(rt, school)
    deputy = signed_in(app, "deputy")
    before = counts(rt, plan_id)

    form = deputy.get(f"/plans/{plan_id}/import")
    assert form.status_code == 200 and 'type="file"' in text_of(form)
    assert 'enctype="multipart/form-data"' in text_of(form)
    preview = upload(deputy, plan_id, plan_docx(), "План ВСОКО 2023-24.docx")
    page = text_of(preview)
    assert preview.status_code == 200
    assert counts(rt, plan_id) == before                                   # nothing stored, not even history
    assert "строк в файле: 9 = заголовок 1 + разделы 1 + пункты 7 + продолжения 0 + пустые 0" in page
    assert "1. Организационное обеспечение оценки качества образования" in page
    for number in ("1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"):
        assert f'<td class="plan-table__num">{number}' in page
    assert "номер восстановлен: (пусто) → 1" in page and "номер восстановлен: S → 5" in page
    assert "в файле: «S»" in page and "в файле: без номера" in page
    assert "Иванова И.И. — Заместитель директора по УВР" in page           # the responsible, by name
    assert "Орлова Е.А. — Педагог-психолог" in page                       # «Психолог» understood
    assert "ответственный не найден: «Заместитель директора по ВР»" in page
    assert page.count('class="plan-row plan-row--flagged"') == 4           # 1.1, 1.3, 1.4, 1.5
    assert "30.09.2024" in page and "31.10.2024" in page                  # «Сентябрь», «Октябрь» of 2024/2025
    assert "по графику: Согласно ВШК" in page
    assert "уже есть в плане" not in page

    saved = save_from(deputy, plan_id, preview)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/artefacts/{plan_id}#plan-items")
    items, sections, history = counts(rt, plan_id)
    assert (items, sections, history) == (7, 1, before[2] + 1)
    stored = items_by_number(rt, plan_id)
    assert stored["1.5"].fields["activity"].startswith("Диагностика готовности первоклассников")
    assert stored["1.6"].responsible_logins == ["deputy", "psychologist"]
    shown = text_of(deputy.get(f"/artefacts/{plan_id}"))
    assert "Импортировано из «План ВСОКО 2023-24.docx»: пунктов 7, разделов 1." in shown
    assert "Импортированы пункты плана" in shown                          # the history entry has a label


def test_importing_the_same_file_twice_adds_no_duplicates(rt, school, app):
    plan_id = new_plan(rt, school)
    deputy = signed_in(app, "deputy")
    assert import_file(deputy, plan_id, plan_docx()).status_code == 302
    assert counts(rt, plan_id)[:2] == (7, 1)

    again = upload(deputy, plan_id, plan_docx(), "plan.docx")
    page = text_of(again)
    assert page.count("уже есть в плане") >= 7 and page.count("plan-row--duplicate") >= 7
    assert save_from(deputy, plan_id, again).status_code == 302
    assert counts(rt, plan_id)[:2] == (7, 1)
    page = text_of(deputy.get(f"/artefacts/{plan_id}"))
    assert "Новых пунктов нет: 7 строк из «plan.docx» уже есть в плане." in page


def test_a_csv_in_windows_1251_imports(rt, school, app):
    plan_id = new_plan(rt, school)
    deputy = signed_in(app, "deputy")
    data = plan_csv("cp1251")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    preview = upload(deputy, plan_id, data, "plan.csv")
    assert preview.status_code == 200 and "Мониторинг предметных результатов" in text_of(preview)
    assert save_from(deputy, plan_id, preview).status_code == 302
    assert counts(rt, plan_id)[:2] == (7, 1)
    assert items_by_number(rt, plan_id)["1.7"].deadline_text == "Октябрь"


@pytest.mark.parametrize("name, data, message", [
    ("plan.docx", b"%PDF-1.4 not a word file at all", "Файл не принят"),
    ("bomb.docx", None, "zip-бомбу"),
    ("plan.csv", "Это просто текст;без таблицы\nи ещё строка;вторая\n".encode("utf-8"), "Не найдена строка заголовков"),
    ("plan.doc", b"\xd0\xcf\x11\xe0", "сохраните его как .docx"),
    ("plan.csv", b"", "Файл пуст"),
])
def test_a_hostile_or_broken_file_is_refused_with_422_and_nothing_is_stored(rt, school, app, name, data, message):
    plan_id = new_plan(rt, school)
    deputy = signed_in(app, "deputy")
    before = counts(rt, plan_id)
    response = upload(deputy, plan_id, zip_bomb() if data is None else data, name)
    assert response.status_code == 422
    page = text_of(response)
    assert message in page and "Ничего не сохранено" in page and 'type="file"' in page
    assert counts(rt, plan_id) == before


def test_a_file_over_ten_megabytes_gets_the_form_again(rt, school, app):
    plan_id = new_plan(rt, school)
    deputy = signed_in(app, "deputy")
    response = upload(deputy, plan_id, b"x" * (10 * 1024 * 1024 + 1), "plan.csv")
    assert response.status_code == 413
    assert "Файл слишком большой: не более 10 МБ." in text_of(response) and 'type="file"' in text_of(response)
    assert counts(rt, plan_id)[0] == 0


def test_save_refuses_a_file_changed_after_the_preview(rt, school, app):
    plan_id = new_plan(rt, school)
    deputy = signed_in(app, "deputy")
    preview = upload(deputy, plan_id, plan_docx(), "plan.docx")
    fields = {k: html.unescape(v) for k, v in _HIDDEN.findall(preview.get_data(as_text=True))}
    other = plan_csv()
    fields.update(content=base64.b64encode(other).decode(), sha256=hashlib.sha256(other).hexdigest())
    response = deputy.post(f"/plans/{plan_id}/import/save", data=fields)
    assert response.status_code == 422 and "загрузите его ещё раз" in text_of(response)
    assert counts(rt, plan_id)[0] == 0
    without_token = {k: v for k, v in fields.items() if k != "csrf_token"}
    assert deputy.post(f"/plans/{plan_id}/import/save", data=without_token).status_code == 400


def test_save_with_a_stale_version_is_a_conflict(rt, school, app):
    plan_id = new_plan(rt, school)
    deputy = signed_in(app, "deputy")
    preview = upload(deputy, plan_id, plan_docx(), "plan.docx")
    commit_import(rt, plan_id, school["deputy"], plan_csv(rows=first_section()[:3]), "part.csv")
    response = save_from(deputy, plan_id, preview)
    assert response.status_code == 409 and "План уже изменён" in text_of(response)
    assert counts(rt, plan_id)[0] == 1


def test_only_the_plan_roles_may_import_and_only_in_draft(rt, school, app):
    plan_id = new_plan(rt, school)
    teacher = signed_in(app, "teacher")
    assert teacher.get(f"/plans/{plan_id}/import").status_code == 403
    assert teacher.get(f"/artefacts/{plan_id}").status_code == 200
    assert "Импортировать из файла" not in text_of(teacher.get(f"/artefacts/{plan_id}"))
    executing = plan_in_execution(rt, school)
    deputy = signed_in(app, "deputy")
    refused = deputy.get(f"/plans/{executing}/import")
    assert refused.status_code == 302
    assert "Пункты можно менять только в состоянии «Проект»" in text_of(deputy.get(refused.headers["Location"]))


# --- The plan page and its rows --------------------------------------------------------------------------

def test_plan_page_shows_the_table_in_column_order_and_the_flagged_rows_first(rt, school, app):
    plan_id = imported_plan(rt, school)
    page = text_of(signed_in(app, "deputy").get(f"/artefacts/{plan_id}"))
    assert page.index("Требуют внимания") < page.index("Пункты плана")
    headings = re.findall(r'<th scope="col">([^<]+)</th>', page[page.index('id="plan-items"'):])
    assert headings[:4] == ["Мероприятия", "Ответственный", "Индикатор/результат", "Срок исполнения"]
    assert '<th scope="colgroup"' in page and "1. Организационное обеспечение оценки качества" in page
    assert "Октябрь" in page and "31.10.2024" in page
    flagged = page[page.index('id="plan-flagged"'):page.index('id="plan-items"')]
    assert flagged.count("flagged__item") == 4 and "ответственный не найден: «Заместитель директора по ВР»" in flagged
    assert "Изменить текст" not in page                                    # a plan has rows, not an act's text
    assert 'aria-label="Переместить пункт 1.2 вверх"' in page


def test_editing_a_flagged_row_clears_its_warning(rt, school, app):
    plan_id = imported_plan(rt, school)
    item = items_by_number(rt, plan_id)["1.3"]
    assert item.warnings == ["ответственный не найден: «Заместитель директора по ВР»"]
    deputy = signed_in(app, "deputy")
    url = f"/plans/{plan_id}/items/{item.id}/edit"
    form = text_of(deputy.get(url))
    assert "Иванова И.И. — Заместитель директора по УВР" in form and 'name="responsible"' in form
    assert "В исходной таблице: «Заместитель директора по ВР»" in form and "Сейчас понято как" in form

    checked = post_form(deputy, url, {"version": plan_version(rt, plan_id), "action": "check",
                                      "deadline_text": "Декабрь, июнь", "field_activity": item.fields["activity"]})
    assert checked.status_code == 200 and "Будет понято как: 31.12.2024; 30.06.2025" in words_of(checked)
    assert items_by_number(rt, plan_id)["1.3"].deadline_text == "Согласно ВШК"      # checking saves nothing

    saved = post_form(deputy, url, {
        "version": plan_version(rt, plan_id), "action": "save", "deadline_text": "Декабрь, июнь",
        "field_activity": item.fields["activity"], "field_result": item.fields["result"],
        "responsible": ["deputy", "psychologist"], "external": "ИМЦ\n"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"#item-{item.id}")
    fixed = items_by_number(rt, plan_id)["1.3"]
    assert fixed.warnings == [] and fixed.responsible_logins == ["deputy", "psychologist"]
    assert fixed.external_executors == ["ИМЦ"] and [p["due"] for p in fixed.schedule["periods"]] == [
        "2024-12-31", "2025-06-30"]
    page = text_of(deputy.get(f"/artefacts/{plan_id}"))
    assert "Пункт 1.3 сохранён. Срок: 31.12.2024; 30.06.2025." in page
    assert f'/plans/{plan_id}/items/{item.id}/edit">Пункт 1.3: исправить' not in page
    assert "Изменён пункт плана" in page


def test_an_edit_with_a_stale_version_is_409_and_keeps_the_text(rt, school, app):
    plan_id = imported_plan(rt, school)
    item = items_by_number(rt, plan_id)["1.2"]
    deputy = signed_in(app, "deputy")
    url = f"/plans/{plan_id}/items/{item.id}/edit"
    stale = plan_version(rt, plan_id)
    update_item(rt, plan_id, item.id, school["deputy"], version=None, deadline_text="Ноябрь")
    response = post_form(deputy, url, {"version": stale, "action": "save", "deadline_text": "Моя правка срока",
                                       "field_activity": "Мой текст"})
    assert response.status_code == 409
    page = text_of(response)
    assert "План уже изменён" in page and "Моя правка срока" in page and "Мой текст" in page
    assert items_by_number(rt, plan_id)["1.2"].deadline_text == "Ноябрь"


def test_an_unknown_member_is_refused_with_422(rt, school, app):
    plan_id = imported_plan(rt, school)
    item = items_by_number(rt, plan_id)["1.2"]
    deputy = signed_in(app, "deputy")
    response = post_form(deputy, f"/plans/{plan_id}/items/{item.id}/edit", {
        "version": plan_version(rt, plan_id), "action": "save", "deadline_text": "Май", "responsible": ["nobody"]})
    assert response.status_code == 422 and "Нет таких сотрудников в организации: nobody" in text_of(response)


def test_rows_move_up_and_down(rt, school, app):
    plan_id = imported_plan(rt, school)
    items = items_by_number(rt, plan_id)
    deputy = signed_in(app, "deputy")
    moved = post_form(deputy, f"/plans/{plan_id}/items/{items['1.2'].id}/move",
                      {"direction": "up", "version": plan_version(rt, plan_id)}, form_page=f"/artefacts/{plan_id}")
    assert moved.status_code == 302
    rows = plan_table(rt, plan_id, school["deputy"])["sections"][0]["items"]
    assert [row["number"] for row in rows[:3]] == ["1.1", "1.2", "1.3"]  # the numbers follow the new order
    assert [row["id"] for row in rows[:2]] == [items["1.2"].id, items["1.1"].id]
    assert "Пункты 1.1–1.2 перенумерованы." in text_of(deputy.get(f"/artefacts/{plan_id}"))
    stale = post_form(deputy, f"/plans/{plan_id}/items/{items['1.2'].id}/move",
                      {"direction": "down", "version": 1}, form_page=f"/artefacts/{plan_id}")
    assert stale.status_code == 409 and "План уже изменён" in text_of(stale)
    assert post_form(deputy, f"/plans/{plan_id}/items/{items['1.2'].id}/move", {"direction": "sideways", "version": 1},
                     form_page=f"/artefacts/{plan_id}").status_code == 400


def test_another_schools_plan_rows_and_files_are_not_found(rt, school, app):
    plan_id = plan_in_execution(rt, school)
    item = items_by_number(rt, plan_id)["1.5"]
    control_id = control_item(rt, plan_id, "1.5")
    psychologist = signed_in(app, "psychologist")
    attach(psychologist, control_id, (b"data", "a.txt"))
    with rt.sessions() as session:
        evidence_id = session.scalars(select(Evidence.id)).one()
    stranger = other_client(app, rt)
    token = csrf_token(stranger, "/")
    assert stranger.get(f"/plans/{plan_id}/import").status_code == 404
    assert stranger.get(f"/plans/{plan_id}/items/{item.id}/edit").status_code == 404
    assert stranger.post(f"/plans/{plan_id}/items/{item.id}/move",
                         data={"csrf_token": token, "direction": "up", "version": 1}).status_code == 404
    assert stranger.post(f"/plans/{plan_id}/rollover", data={"csrf_token": token}).status_code == 404
    assert stranger.get(f"/plans/evidence/{evidence_id}").status_code == 404
    boundary, body = encode_multipart({"csrf_token": token, "file": FileStorage(io.BytesIO(b"x"), filename="x.txt")})
    assert stranger.post(f"/plans/control/{control_id}/evidence", data=body,
                         content_type=f"multipart/form-data; boundary={boundary}").status_code == 404
    assert stranger.get(f"/artefacts/{control_id}").status_code == 404
    assert stranger.get("/plans/evidence/999999").status_code == 404


# --- Execution: control items, evidence -------------------------------------------------------------------

def test_plan_in_execution_lists_its_control_items_with_overdue_in_red(rt, school, app):
    plan_id = plan_in_execution(rt, school)
    children = control_children(rt, plan_id, school["deputy"], today=dt.date(2024, 10, 15))
    by_number = {c["item_number"]: c for c in children}
    assert by_number["1.5"]["due_date"] == dt.date(2024, 9, 30) and by_number["1.5"]["overdue"]
    assert not by_number["1.7"]["overdue"] and by_number["1.2"]["due_date"] is None and not by_number["1.2"]["overdue"]
    assert [a["name"] for a in by_number["1.6"]["assignees"]] == ["Иванова И.И.", "Орлова Е.А."]

    page = text_of(signed_in(app, "deputy").get(f"/artefacts/{plan_id}"))
    listing = page[page.index('id="control-items"'):page.index('id="plan-items"')]
    assert "Пункты на контроле" in listing and "30.09.2024" in listing and "по графику" in listing
    assert "control-row--overdue" in listing and "просрочено" in listing       # the real today is past 2024/2025
    assert "Орлова Е.А." in listing and "Запланировано" in listing
    assert "Требуют внимания" not in page and "Импортировать из файла" not in page
    assert "Перенести в следующий учебный год" in page


def test_control_item_page_shows_due_date_plan_assignees_and_takes_evidence(rt, school, app):
    plan_id = plan_in_execution(rt, school)
    control_id = control_item(rt, plan_id, "1.5")
    psychologist = signed_in(app, "psychologist")
    page = text_of(psychologist.get(f"/artefacts/{control_id}"))
    assert "Исполнение пункта" in page and "30.09.2024" in page and "Орлова Е.А. — Педагог-психолог" in page
    assert f'href="/artefacts/{plan_id}#control-items"' in page and "пункт 1.5" in page
    assert "в плане: «Сентябрь»" in page and 'enctype="multipart/form-data"' in page
    assert page.index('id="t-report"') < page.index('id="evidence"')          # next to «Отчитаться»
    assert "plan_item_id" not in page and "Номер пункта плана" in page

    content = "%PDF-1.4 справка о диагностике".encode()
    name = "Справка о диагностике 1-х классов.pdf"
    uploaded = attach(psychologist, control_id, (content, name))
    assert uploaded.status_code == 302 and uploaded.headers["Location"].endswith("#evidence")
    with rt.sessions() as session:
        evidence = session.scalars(select(Evidence)).one()
        assert (evidence.file_name, evidence.sha256, evidence.size) == (name, hashlib.sha256(content).hexdigest(),
                                                                         len(content))
        assert evidence.uploaded_by == school["psychologist"]
    page = text_of(psychologist.get(f"/artefacts/{control_id}"))
    assert name in page and "Приложен материал исполнения" in page and "Материал добавлен к пункту." in page

    download = psychologist.get(f"/plans/evidence/{evidence.id}")
    assert download.status_code == 200 and download.data == content
    disposition = download.headers["Content-Disposition"]
    assert f"filename*=UTF-8''{quote(name)}" in disposition and f'filename="evidence-{evidence.id}.pdf"' in disposition
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert signed_in(app, "director").get(f"/plans/evidence/{evidence.id}").status_code == 200

    link = attach(psychologist, control_id, link_url="https://school29.example/diagnostika")
    assert link.status_code == 302
    assert 'href="https://school29.example/diagnostika"' in text_of(psychologist.get(f"/artefacts/{control_id}"))
    listing = control_children(rt, plan_id, school["deputy"])
    assert next(c for c in listing if c["id"] == control_id)["evidence"] == 2


def test_evidence_refusals(rt, school, app):
    plan_id = plan_in_execution(rt, school)
    control_id = control_item(rt, plan_id, "1.5")
    teacher = signed_in(app, "teacher")                                   # not an assignee of 1.5
    refused = attach(teacher, control_id, (b"x", "x.txt"))
    assert refused.status_code == 403
    psychologist = signed_in(app, "psychologist")
    empty = attach(psychologist, control_id, (b"", "x.txt"))
    assert empty.status_code == 422 and "Файл пуст" in text_of(empty) and "Материал не добавлен" in text_of(empty)
    nothing = attach(psychologist, control_id, link_url="javascript:alert(1)")
    assert nothing.status_code == 422 and "http://" in text_of(nothing)
    big = attach(psychologist, control_id, (b"x" * (10 * 1024 * 1024 + 1), "big.bin"))
    assert big.status_code == 413
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Evidence)) == 0
    fire_transition(rt, control_id, "cancel", school["deputy"], comment="Не проводится")
    closed = attach(psychologist, control_id, (b"x", "x.txt"))
    assert closed.status_code == 409 and "Пункт уже закрыт" in text_of(closed)


def test_plan_page_queries_do_not_grow_with_the_rows(rt, school, app):
    def queries(plan_id: int) -> int:
        client = signed_in(app, "deputy")
        with counted_queries(rt) as counter:
            assert client.get(f"/artefacts/{plan_id}").status_code == 200
        return counter["n"]

    small = plan_in_execution(rt, school)
    big = imported_plan(rt, school)
    rows = first_section()
    bigger = [rows[0]] + [[rows[1][0]]] + [[str(n), f"Мероприятие {n}", "Заместитель директора по УВР", "Отчёт",
                                             "Декабрь, май"] for n in range(1, 81)]
    commit_import(rt, big, school["deputy"], plan_csv(rows=bigger), "big.csv")
    resolve_flagged(rt, school, big)
    fire_transition(rt, big, "send_to_council", school["deputy"], today=dt.date(2024, 8, 26))
    fire_transition(rt, big, "adopt", school["secretary"], today=dt.date(2024, 8, 30), fields={
        "protocol_date": "2024-08-30", "present": 30, "votes_for": 30, "votes_against": 0, "votes_abstained": 0})
    fire_transition(rt, big, "approve", school["director"], today=dt.date(2024, 9, 2),
                    fields={"order_date": "2024-09-02", "responsible": "deputy"})
    assert len(control_children(rt, big, school["deputy"])) > 150
    assert queries(big) == queries(small)


# --- Next school year, calendar --------------------------------------------------------------------------

def test_rollover_makes_a_draft_for_the_next_school_year(rt, school, app):
    plan_id = plan_in_execution(rt, school)
    teacher = signed_in(app, "teacher")
    assert post_form(teacher, f"/plans/{plan_id}/rollover", {}, form_page="/").status_code == 403
    deputy = signed_in(app, "deputy")
    response = post_form(deputy, f"/plans/{plan_id}/rollover", {}, form_page=f"/artefacts/{plan_id}")
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    with rt.sessions() as session:
        new = session.get(Artefact, new_id)
        assert (new.kind, new.state, new.school_year) == ("activity_plan", "draft", "2025/2026")
    page = text_of(deputy.get(f"/artefacts/{new_id}"))
    assert "Создан проект плана на 2025/2026 учебный год" in page and "перенесено" in page
    assert "31.10.2025" in page                                           # «Октябрь» of the new year
    assert "Создан переносом из прошлого учебного года" in page


def test_calendar_feed_by_its_secret_address(rt, school, app):
    plan_id = plan_in_execution(rt, school)
    psychologist = signed_in(app, "psychologist")
    tasks = text_of(psychologist.get("/"))
    match = re.search(r'href="(http://localhost/calendar/(\d+)/([0-9a-f]+)\.ics)"', tasks)
    assert match and "Подписаться на календарь сроков" in tasks
    assert int(match.group(2)) == school["psychologist"]

    anonymous = app.test_client()
    feed = anonymous.get(match.group(1).replace("http://localhost", ""))
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    body = feed.get_data(as_text=True)
    assert "BEGIN:VEVENT" in body and "DTSTART;VALUE=DATE:20240930" in body
    assert f"control-{control_item(rt, plan_id, '1.5')}@vsoko-flow" in body
    assert anonymous.get(f"/calendar/{school['psychologist']}/{'0' * 40}.ics").status_code == 404
    assert anonymous.get(f"/calendar/{school['teacher']}/{match.group(3)}.ics").status_code == 404
    assert anonymous.get(f"/calendar/999999/{match.group(3)}.ics").status_code == 404
    with rt.sessions() as session:
        from vsoko_flow.models import User

        assert calendar_token(rt, session.get(User, school["psychologist"])) == match.group(3)
