"""The rows of plans and meetings through the JSON API: reading them, importing a table (preview that
stores nothing, then the import; the project's plan tables built into files), adding, editing, moving and
deleting rows, adding sections, a meeting's agenda, and the contracts of every write: 409 for a
stale version with nothing written, 404 for another school, 403 for a teacher, 422 for bad input."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from vsoko_flow.models import Artefact, HistoryEntry, PlanItem

from .flows import docx_text, new_draft
from .test_api import Api, api, stranger  # noqa: F401 - fixtures
from .data.plans import TABLES
from .plan_files import build_csv, build_docx
from .test_meetings import journals  # noqa: F401 - fixture
from .test_plan_pages import counts, new_plan, plan_csv, plan_docx, plan_in_execution, zip_bomb

YEAR = "2024/2025"


# --- Helpers ------------------------------------------------------------------------------------------

def upload(api: Api, plan_id: int, data: bytes, name: str, who: str = "deputy", *, version: int | None = None,
           preview: bool = False, **extra):
    """POST …/items/import as multipart/form-data, built in memory."""
    fields = {"file": FileStorage(io.BytesIO(data), filename=name), **extra}
    if version is not None:
        fields["version"] = str(version)
    boundary, body = encode_multipart(fields)
    query = "?preview=true" if preview else ""
    return api("POST", f"/artefacts/{plan_id}/items/import{query}", who, data=body,
               content_type=f"multipart/form-data; boundary={boundary}")


def version_of(rt, artefact_id: int) -> int:
    with rt.sessions() as session:
        return session.get(Artefact, artefact_id, populate_existing=True).version


def rows(api: Api, plan_id: int, who: str = "deputy") -> dict[str, dict]:
    """The plan's rows by number, as GET …/items gives them."""
    data = api.ok("GET", f"/artefacts/{plan_id}/items", who)
    return {row["number"]: row for section in data["sections"] for row in section["items"]}


def numbers(api: Api, plan_id: int) -> list[str]:
    data = api.ok("GET", f"/artefacts/{plan_id}/items", "deputy")
    return [row["number"] for section in data["sections"] for row in section["items"]]


def stored(rt, plan_id: int):
    """What a refused request must leave untouched: version, rows with their texts, history length."""
    with rt.sessions() as session:
        items = [(i.id, i.number, i.position, i.section_id, dict(i.fields), i.deadline_text,
                  list(i.responsible_logins)) for i in session.scalars(
            select(PlanItem).where(PlanItem.artefact_id == plan_id).order_by(PlanItem.id))]
        plan = session.get(Artefact, plan_id)
        head = plan.version, dict(plan.fields), items
    return *head, counts(rt, plan_id)


def imported_plan(api: Api, rt, school) -> int:
    plan_id = new_plan(rt, school)
    assert upload(api, plan_id, plan_docx(), "plan.docx", version=1).status_code == 200
    return plan_id


# --- Reading and importing --------------------------------------------------------------------------

def test_import_preview_stores_nothing_then_the_import_stores_the_rows(api, rt, school):
    plan_id = new_plan(rt, school)
    before = stored(rt, plan_id)
    preview = upload(api, plan_id, plan_docx(), "План ВСОКО.docx", preview=True)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    body = preview.get_json()
    assert stored(rt, plan_id) == before                                   # not even a history entry
    assert (body["preview"], body["version"], body["file_name"]) == (True, 1, "План ВСОКО.docx")
    assert (body["items_added"], body["sections_added"], body["duplicates"]) == (7, 1, 0)
    rows_shown = body["rows"]
    assert rows_shown["accounting_text"] == ("строк в файле: 9 = заголовок 1 + разделы 1 + пункты 7 + продолжения 0 "
                                             "+ пустые 0")
    (section,) = rows_shown["sections"]
    assert section["number"] == "1" and not section["existing"]
    by_number = {row["number"]: row for row in section["items"]}
    assert list(by_number) == [f"1.{n}" for n in range(1, 8)]
    assert by_number["1.6"]["responsible_logins"] == ["deputy", "psychologist"]
    assert "номер восстановлен: S → 5" in by_number["1.5"]["warnings"]
    assert by_number["1.2"]["schedule"]["kind"] == "linked"              # «Согласно ВШК», never guessed
    assert by_number["1.7"]["deadline_description"] == "31.10.2024"

    saved = upload(api, plan_id, plan_docx(), "План ВСОКО.docx", version=1)
    assert saved.status_code == 200
    result = saved.get_json()
    assert (result["preview"], result["items_added"], result["sections_added"], result["rows"]) == (False, 7, 1, None)
    assert result["version"] == version_of(rt, plan_id) == 2
    shown = api.ok("GET", f"/artefacts/{plan_id}/items", "teacher")        # anyone of the school reads them
    assert (shown["version"], shown["items_total"], shown["editable"]) == (2, 7, False)
    assert [c["key"] for c in shown["columns"] if c["text"]] == ["activity", "result"]
    row = {r["number"]: r for r in shown["sections"][0]["items"]}["1.3"]
    assert row["warnings"] == ["ответственный не найден: «Заместитель директора по ВР»"]
    assert row["fields"]["activity"] == "Мониторинг реализации рабочей программы воспитания и планов классных " \
                                        "руководителей"
    assert api.ok("GET", f"/artefacts/{plan_id}/items/{row['id']}", "deputy") == row
    with rt.sessions() as session:
        entry = session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == plan_id)
                                .order_by(HistoryEntry.sequence.desc())).first()
    assert entry.trigger == "import_items" and entry.fields["file_sha256"] == result["sha256"]

    again = upload(api, plan_id, plan_docx(), "plan.docx", version=2).get_json()
    assert (again["items_added"], again["duplicates"], again["sections_added"]) == (0, 7, 0)


@pytest.mark.parametrize("key, form, kind, sections, total, last_numbers", [
    ("functioning", "docx", "vsoko_plan", 3, 15, [f"3.{n}" for n in range(1, 7)]),
    ("roadmap", "csv", "roadmap", 2, 18, [f"2.{n}" for n in range(1, 13)]),
    ("district", "docx", "roadmap", 2, 16, [f"2.{n}" for n in range(1, 13)]),
])
def test_a_plan_table_imports_through_the_api(api, rt, school, key, form, kind, sections, total, last_numbers):
    table = TABLES[key]
    data = build_docx(table)[0] if form == "docx" else build_csv(table, "cp1251", ";")[0]
    plan_id = api.ok("POST", "/artefacts", "deputy", status=201,
                     json={"kind": kind, "organisation_id": school.id, "school_year": table.school_year})["id"]
    preview = upload(api, plan_id, data, f"{key}.{form}", preview=True).get_json()
    assert preview["items_added"] == total and preview["version"] == 1
    result = upload(api, plan_id, data, f"{key}.{form}", version=1).get_json()
    assert (result["items_added"], result["sections_added"]) == (total, sections)
    shown = api.ok("GET", f"/artefacts/{plan_id}/items", "deputy")
    assert len(shown["sections"]) == sections and shown["items_total"] == total
    assert [row["number"] for row in shown["sections"][-1]["items"]] == last_numbers
    if key == "functioning":
        first = shown["sections"][0]["items"][0]
        assert first["fields"]["document_format"] == "Статистико-аналитическая справка"
        assert [p["due"] for p in first["schedule"]["periods"]] == ["2024-12-31", "2025-06-30"]


@pytest.mark.parametrize("name, data, status, message", [
    ("plan.docx", b"%PDF-1.4 not a word file at all", 422, "Это не документ Word (.docx)"),
    ("bomb.docx", None, 422, "zip-бомбу"),
    ("plan.csv", "Это просто текст;без таблицы\nи ещё;строка\n".encode(), 422, "Не найдена строка заголовков"),
    ("plan.doc", b"\xd0\xcf\x11\xe0", 422, "сохраните его как .docx"),
    ("plan.csv", b"", 422, "Файл пуст"),
    ("plan.csv", b"x" * (10 * 1024 * 1024 + 1), 413, "слишком большой"),
])
def test_a_hostile_or_broken_file_is_refused_and_nothing_is_stored(api, rt, school, name, data, status, message):
    plan_id = new_plan(rt, school)
    before = stored(rt, plan_id)
    for preview in (True, False):
        response = upload(api, plan_id, zip_bomb() if data is None else data, name, preview=preview, version=1)
        assert response.status_code == status, response.get_data(as_text=True)[:500]
        body = response.get_json()
        assert set(body) == {"error", "message", "details"} and message in body["message"], body
    assert stored(rt, plan_id) == before


def test_import_requests_that_do_not_fit_are_400(api, rt, school):
    plan_id = new_plan(rt, school)
    before = stored(rt, plan_id)
    no_version = upload(api, plan_id, plan_csv(), "plan.csv")
    assert no_version.status_code == 400 and "version" in no_version.get_json()["details"]["fields"]
    for fields, field in (({"version": "первая"}, "version"), ({"version": "0"}, "version"),
                          ({"colour": "red", "version": "1"}, "colour")):
        response = upload(api, plan_id, plan_csv(), "plan.csv", **fields)
        assert response.status_code == 400 and field in response.get_json()["details"]["fields"], fields
    boundary, body = encode_multipart({"version": "1"})
    missing = api("POST", f"/artefacts/{plan_id}/items/import", "deputy", data=body,
                  content_type=f"multipart/form-data; boundary={boundary}")
    assert missing.status_code == 400 and missing.get_json()["details"]["fields"] == {"file": "обязательное поле"}
    as_json = api("POST", f"/artefacts/{plan_id}/items/import", "deputy", json={"file": "x", "version": 1})
    assert as_json.status_code == 400 and "multipart/form-data" in as_json.get_json()["message"]
    assert stored(rt, plan_id) == before


# --- Rows by hand -------------------------------------------------------------------------------------

def test_add_edit_move_and_delete_rows(api, rt, school):
    plan_id = imported_plan(api, rt, school)
    version = version_of(rt, plan_id)
    section_id = api.ok("GET", f"/artefacts/{plan_id}/items", "deputy")["sections"][0]["id"]
    response = api("POST", f"/artefacts/{plan_id}/items", "deputy", json={
        "version": version, "section_id": section_id,
        "fields": {"activity": "Анкетирование родителей", "result": "Справка"},
        "responsible_logins": ["deputy"], "external_executors": ["ИМЦ"], "deadline_text": "Декабрь, май"})
    assert response.status_code == 201, response.get_data(as_text=True)
    added = response.get_json()
    assert added["version"] == version_of(rt, plan_id) == version + 1
    item = added["item"]
    assert response.headers["Location"] == f"/api/v1/artefacts/{plan_id}/items/{item['id']}"
    assert (item["number"], item["warnings"], item["deadline_description"]) == ("1.8", [], "31.12.2024; 31.05.2025")
    assert item["responsible_text"] == "Иванова И.И., ИМЦ"
    assert item["responsible_names"] == ["Иванова И.И. — Заместитель директора по УВР"]

    fixed = api.ok("PATCH", f"/artefacts/{plan_id}/items/{rows(api, plan_id)['1.3']['id']}", "deputy", json={
        "version": added["version"], "responsible_logins": ["psychologist"], "deadline_text": "Март"})
    assert fixed["item"]["warnings"] == [] and fixed["item"]["responsible_logins"] == ["psychologist"]
    assert fixed["item"]["fields"]["activity"].startswith("Мониторинг реализации рабочей программы воспитания")
    moved = api.ok("POST", f"/artefacts/{plan_id}/items/{item['id']}/move", "deputy",
                   json={"version": fixed["version"], "direction": "up"})
    assert numbers(api, plan_id)[-2:] == ["1.7", "1.8"] and moved["version"] == fixed["version"] + 1
    assert moved["item"]["number"] == "1.7"  # the numbers follow the new order
    assert moved["renumbered"] == [{"from": "1.8", "to": "1.7"}, {"from": "1.7", "to": "1.8"}]
    assert moved["message"] == "Пункты 1.7–1.8 перенумерованы."

    doomed = rows(api, plan_id)["1.2"]["id"]
    deleted = api("DELETE", f"/artefacts/{plan_id}/items/{doomed}?version={moved['version']}", "deputy")
    assert deleted.status_code == 200, deleted.get_data(as_text=True)
    assert deleted.get_json() == {
        "artefact_id": plan_id, "version": moved["version"] + 1, "deleted_item_id": doomed,
        "renumbered": [{"from": f"1.{n}", "to": f"1.{n - 1}"} for n in range(3, 9)],
        "message": "Пункты 1.2–1.7 перенумерованы."}
    assert numbers(api, plan_id) == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"]  # the gap closed
    assert rows(api, plan_id)["1.6"]["id"] == item["id"]
    assert api.error("GET", f"/artefacts/{plan_id}/items/{doomed}", "deputy", 404)["message"] == \
        "Пункт плана не найден"
    triggers = [h["trigger"] for h in api.ok("GET", f"/artefacts/{plan_id}", "deputy")["history"]]
    assert triggers[-4:] == ["add_item", "edit_item", "move_item", "delete_item"]


def test_sections_and_rows_of_a_new_section(api, rt, school):
    plan_id = imported_plan(api, rt, school)
    response = api("POST", f"/artefacts/{plan_id}/items/sections", "deputy",
                   json={"version": version_of(rt, plan_id), "title": "Мониторинг удовлетворённости"})
    assert response.status_code == 201, response.get_data(as_text=True)
    section = response.get_json()["section"]
    assert (section["number"], section["title"], section["items"]) == ("2", "Мониторинг удовлетворённости", [])
    item = api.ok("POST", f"/artefacts/{plan_id}/items", "deputy", status=201, json={
        "version": response.get_json()["version"], "fields": {"activity": "Опрос обучающихся"},
        "responsible_logins": ["deputy"], "deadline_text": "Апрель"})["item"]
    assert (item["number"], item["section_id"]) == ("2.1", section["id"])


# --- The contracts of every write ------------------------------------------------------------------------

def writes(plan_id: int, item_id: int, version: int) -> list[tuple[str, str, dict | None]]:
    """Every write of the plan's rows, with a valid body for `version`."""
    return [
        ("POST", f"/artefacts/{plan_id}/items", {"version": version, "fields": {"activity": "Новый пункт"}}),
        ("PATCH", f"/artefacts/{plan_id}/items/{item_id}", {"version": version, "deadline_text": "Май"}),
        ("DELETE", f"/artefacts/{plan_id}/items/{item_id}?version={version}", None),
        ("POST", f"/artefacts/{plan_id}/items/{item_id}/move", {"version": version, "direction": "down"}),
        ("POST", f"/artefacts/{plan_id}/items/sections", {"version": version, "title": "Новый раздел"}),
        ("PUT", f"/artefacts/{plan_id}/agenda", {"version": version, "agenda": [{"title": "Вопрос"}]}),
    ]


def test_a_stale_version_is_409_and_nothing_is_written(api, rt, school):
    plan_id = imported_plan(api, rt, school)
    item_id = rows(api, plan_id)["1.1"]["id"]
    before = stored(rt, plan_id)
    stale = before[0] - 1
    for method, path, body in writes(plan_id, item_id, stale)[:-1]:
        error = api.error(method, path, "deputy", 409, json=body)
        assert error["message"] == (f"План уже изменён (версия {before[0]}, у вас {stale}): "
                                    "получите документ заново (GET)"), path
    assert upload(api, plan_id, plan_csv(), "plan.csv", version=stale).status_code == 409
    assert stored(rt, plan_id) == before


def test_a_meetings_agenda_with_a_stale_version_is_409(api, rt, school, journals):  # noqa: F811
    meeting_id = api.ok("POST", "/artefacts", "secretary", status=201, json={
        "kind": "meeting", "organisation_id": school.id,
        "fields": {"body": "pedsovet", "meeting_date": dt.date.today().isoformat()}})["id"]
    before = stored(rt, meeting_id)
    error = api.error("PUT", f"/artefacts/{meeting_id}/agenda", "secretary", 409,
                      json={"version": 7, "agenda": [{"title": "Вопрос"}]})
    assert error["message"].startswith("Запись о заседании уже изменена (версия 1, у вас 7)")
    assert stored(rt, meeting_id) == before


def test_another_schools_plan_is_404_and_a_teacher_is_403(api, rt, school, stranger):  # noqa: F811
    plan_id = imported_plan(api, rt, school)
    item_id = rows(api, plan_id)["1.1"]["id"]
    before = stored(rt, plan_id)
    version = before[0]
    assert api.error("GET", f"/artefacts/{plan_id}/items", "stranger", 404)["message"] == \
        f"Документ № {plan_id} не найден"
    assert api.error("GET", f"/artefacts/{plan_id}/items/{item_id}", "stranger", 404)
    for method, path, body in writes(plan_id, item_id, version):
        assert api.error(method, path, "stranger", 404, json=body)["error"] == "not_found", path
    assert upload(api, plan_id, plan_csv(), "plan.csv", "stranger", preview=True).status_code == 404
    for method, path, body in writes(plan_id, item_id, version)[:-1]:
        error = api.error(method, path, "teacher", 403, json=body)
        assert error["message"] == "У вас нет права редактировать этот план", path
    assert upload(api, plan_id, plan_csv(), "plan.csv", "teacher", preview=True).status_code == 403
    assert upload(api, plan_id, plan_csv(), "plan.csv", "teacher", version=version).status_code == 403
    assert stored(rt, plan_id) == before


def test_rows_of_a_plan_past_its_draft_cannot_change(api, rt, school):
    plan_id = plan_in_execution(rt, school)
    item_id = rows(api, plan_id)["1.1"]["id"]
    before = stored(rt, plan_id)
    for method, path, body in writes(plan_id, item_id, before[0])[:-1]:
        error = api.error(method, path, "deputy", 409, json=body)
        assert error["message"] == "Пункты можно менять только в состоянии «Проект»", path
    assert upload(api, plan_id, plan_csv(), "plan.csv", preview=True).status_code == 409
    assert stored(rt, plan_id) == before


@pytest.mark.parametrize("body, status, field", [
    ({"fields": {"activity": "Текст", "colour": "red"}}, 422, "colour"),
    ({"fields": {"activity": ""}}, 422, "activity"),
    ({"fields": {"activity": "Текст"}, "responsible_logins": ["nobody"]}, 422, None),
    ({"fields": {"activity": "Текст"}, "section_id": 999999}, 404, None),
    ({"fields": {"activity": 5}}, 400, "fields.activity"),
    ({"fields": {"activity": "Текст"}, "version": "2"}, 400, "version"),
    ({"fields": {"activity": "Текст"}, "deadline_text": "x" * 501}, 400, "deadline_text"),
    ({"fields": {"activity": "Текст"}, "responsible_logins": "deputy"}, 400, "responsible_logins"),
    ({"fields": {"activity": "Текст"}, "extra": True}, 400, "extra"),
])
def test_bad_rows_are_refused_and_nothing_is_written(api, rt, school, body, status, field):
    plan_id = imported_plan(api, rt, school)
    before = stored(rt, plan_id)
    error = api.error("POST", f"/artefacts/{plan_id}/items", "deputy", status, json={"version": before[0], **body})
    if field:
        assert field in error["details"]["fields"], error
    assert stored(rt, plan_id) == before


def test_bad_edits_moves_sections_and_deletes_are_refused(api, rt, school):
    plan_id = imported_plan(api, rt, school)
    item_id = rows(api, plan_id)["1.1"]["id"]
    before = stored(rt, plan_id)
    version = before[0]
    for method, path, body, status in (
            ("PATCH", f"/artefacts/{plan_id}/items/{item_id}", {"version": version, "fields": {"deadline": "Май"}},
             422),
            ("PATCH", f"/artefacts/{plan_id}/items/{item_id}", {"version": version, "responsible_logins": ["x"]}, 422),
            ("PATCH", f"/artefacts/{plan_id}/items/999999", {"version": version}, 404),
            ("POST", f"/artefacts/{plan_id}/items/{item_id}/move", {"version": version, "direction": "sideways"}, 400),
            ("POST", f"/artefacts/{plan_id}/items/sections", {"version": version, "title": ""}, 400),
            ("POST", f"/artefacts/{plan_id}/items/sections", {"version": version, "title": "   "}, 422),
            ("DELETE", f"/artefacts/{plan_id}/items/{item_id}", None, 400),
            ("DELETE", f"/artefacts/{plan_id}/items/{item_id}?version=abc", None, 400)):
        api.error(method, path, "deputy", status, json=body)
    assert stored(rt, plan_id) == before
    act = new_draft(rt, school)                                              # a Положение has no rows
    assert api.error("POST", f"/artefacts/{act}/items", "deputy", 422,
                     json={"version": 1, "fields": {"activity": "x"}})["message"] == \
        "У документа этого вида нет таблицы пунктов"
    assert api.error("GET", f"/artefacts/{act}/items", "deputy", 404)


# --- A meeting through the API ------------------------------------------------------------------------------

def test_a_meeting_written_through_the_api_is_held_with_its_protocol(api, rt, school, journals):  # noqa: F811
    day = dt.date.today()
    meeting = api.ok("POST", "/artefacts", "secretary", status=201, json={
        "kind": "meeting", "organisation_id": school.id, "title": "Заседание педагогического совета",
        "fields": {"body": "pedsovet", "meeting_date": day.isoformat()}})
    meeting_id = meeting["id"]
    question = api.ok("POST", f"/artefacts/{meeting_id}/items/sections", "secretary", status=201,
                      json={"version": meeting["version"], "title": "О подготовке к ВПР"})
    decision = api.ok("POST", f"/artefacts/{meeting_id}/items", "secretary", status=201, json={
        "version": question["version"], "section_id": question["section"]["id"],
        "fields": {"activity": "Провести пробные работы в формате ВПР"}, "responsible_logins": ["mo_head"],
        "deadline_text": "В течение года"})
    assert decision["item"]["number"] == "1.1"
    bad = api.error("PUT", f"/artefacts/{meeting_id}/agenda", "secretary", 422, json={
        "version": decision["version"], "agenda": [{"title": "x", "heard": ["a" * 15_000, "b" * 15_000]}]})
    assert bad["details"]["agenda"] == ["вопрос 1: ожидается текст или список строк не длиннее 20000 символов"]
    assert api.error("PUT", f"/artefacts/{meeting_id}/agenda", "secretary", 400, json={
        "version": decision["version"], "agenda": [{"title": "x", "votes_for": -1}]})
    agenda = api.ok("PUT", f"/artefacts/{meeting_id}/agenda", "secretary", json={
        "version": decision["version"], "agenda": [{
            "title": "О подготовке к всероссийским проверочным работам",
            "heard": "Иванову И.И., заместителя директора по УВР, — о графике ВПР.",
            "spoke": ["Смирнов А.В. предложил провести пробные работы."],
            "votes_for": 20, "votes_against": 0, "votes_abstained": 1}]})
    assert agenda["version"] == version_of(rt, meeting_id)
    assert agenda["agenda"][0]["spoke"] == ["Смирнов А.В. предложил провести пробные работы."]
    (kept,) = api.ok("GET", f"/artefacts/{meeting_id}", "secretary")["fields"]["agenda"]
    assert {**agenda["agenda"][0], "number": None, "decisions": []} == {**kept, "number": None, "decisions": []}

    held = api.fire(meeting_id, "hold", "secretary", agenda["version"], present=21, chair="director")
    assert held["state"] == "held"
    protocol = next(d for d in held["documents"] if d["file_name"].startswith("Протокол"))
    text = docx_text(api("GET", protocol["download_url"].removeprefix("/api/v1"), "secretary").get_data())
    for line in ("заседания педагогического совета", "СЛУШАЛИ:", "Иванову И.И., заместителя директора по УВР, — о "
                 "графике ВПР.", "РЕШИЛИ:", "1.1. Провести пробные работы в формате ВПР", "Ответственный: Смирнов А.В."):
        assert line in text, line
    control = api.ok("GET", "/artefacts?kind=control_item", "secretary")["items"]
    assert [(c["parent_id"], c["due_date"]) for c in control] == [(meeting_id, control[0]["due_date"])]
    assert control[0]["due_date"] and control[0]["created_at"] and control[0]["updated_at"]
    assert api.error("PUT", f"/artefacts/{meeting_id}/agenda", "secretary", 409, json={
        "version": held["version"], "agenda": []})["message"] == \
        "Повестку можно менять, пока решения заседания не записаны"
    plan_id = new_plan(rt, school)
    assert api.error("PUT", f"/artefacts/{plan_id}/agenda", "deputy", 404, json={
        "version": 1, "agenda": []})["message"] == f"Заседание № {plan_id} не найдено"


# --- The OpenAPI document -------------------------------------------------------------------------------------

def test_the_new_operations_and_fields_are_documented(api):
    doc = api.ok("GET", "/openapi.json", "deputy")
    paths = doc["paths"]
    assert {"get", "post"} <= set(paths["/artefacts/{artefact_id}/items"])
    assert {"get", "patch", "delete"} == set(paths["/artefacts/{artefact_id}/items/{item_id}"])
    assert set(paths) >= {"/artefacts/{artefact_id}/items/{item_id}/move", "/artefacts/{artefact_id}/items/sections",
                          "/artefacts/{artefact_id}/items/import", "/artefacts/{artefact_id}/agenda"}
    upload_body = paths["/artefacts/{artefact_id}/items/import"]["post"]["requestBody"]["content"]
    assert list(upload_body) == ["multipart/form-data"]
    form = doc["components"]["schemas"][upload_body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert form["properties"]["file"] == {**form["properties"]["file"], "type": "string", "format": "binary"}
    assert form["required"] == ["file"] and form["additionalProperties"] is False
    preview = paths["/artefacts/{artefact_id}/items/import"]["post"]["parameters"][1]
    assert (preview["name"], preview["in"], preview["schema"]["type"]) == ("preview", "query", "boolean")
    assert {"409", "413", "422", "403", "404"} <= set(paths["/artefacts/{artefact_id}/items/import"]["post"]["responses"])
    summary = doc["components"]["schemas"]["ArtefactSummary"]
    assert {"parent_id", "due_date", "created_at", "updated_at"} <= set(summary["required"])
    deleting = paths["/artefacts/{artefact_id}/items/{item_id}"]["delete"]
    assert [p["name"] for p in deleting["parameters"]] == ["artefact_id", "item_id", "version"]
