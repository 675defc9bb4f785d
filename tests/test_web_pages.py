"""The pages people work with: «Мои задачи», the list, the artefact page with its actions,
text editing, comparison of editions and documents — through the Flask test client on the
real database, as a browser without JavaScript would use them."""
from __future__ import annotations

import datetime as dt
import html
import io
import re
from urllib.parse import quote

import pytest
from docx import Document


from vsoko_flow.db import transaction
from vsoko_flow.models import Artefact, ArtefactAssignee, Organisation
from vsoko_flow.services.artefacts import create_artefact, show_artefact
from vsoko_flow.services.compare import ADDED, CHANGED, REMOVED, SAME, diff_sections, diff_words
from vsoko_flow.services.organisations import create_organisation
from vsoko_flow.services.tasks import deadline_states
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.services.users import add_membership, create_user

from .data import polozhenie_text
from .flows import COUNCIL_DAY, ORDER_DAY, adopt, new_draft, record_opinions, take_to_force
from .web_helpers import counted_queries, csrf_token, login, post_form

_VERSION = re.compile(r'name="version" value="(\d+)"')


def signed_in(app, login_name: str):
    client = app.test_client()
    login(client, login_name)
    return client


def page_version(client, artefact_id: int) -> int:
    page = client.get(f"/artefacts/{artefact_id}")
    match = _VERSION.search(page.get_data(as_text=True))
    assert match, f"no version field on the page of № {artefact_id}"
    return int(match.group(1))


def fire_form(client, artefact_id: int, trigger: str, version: int | None = None, comment: str = "", **fields):
    """Submit the action's form from the artefact page, as a person would."""
    data = {"version": page_version(client, artefact_id) if version is None else version, "comment": comment, **fields}
    return post_form(client, f"/artefacts/{artefact_id}/fire/{trigger}", data, form_page=f"/artefacts/{artefact_id}")


def state_and_version(rt, artefact_id: int) -> tuple[str, int]:
    data = show_artefact(rt, artefact_id, None)
    return data["state"], data["version"]


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def other_school_artefact(rt) -> tuple[int, int]:
    """A Положение of another school with one document: (artefact id, document id)."""
    with transaction(rt.sessions) as session:
        other = create_organisation(session, "school", "Другая школа № 7", "СОШ № 7")
        user = create_user(session, "other_deputy", "Другая", "Ольга", "Ивановна", "f")
        add_membership(session, user, other, ["deputy"], "Заместитель директора по УВР")
        other_id, user_id = other.id, user.id
    artefact_id = create_artefact(rt, user_id, other_id, "polozhenie", sections_text="1. Общие положения",
                                  today=dt.date(2025, 3, 10))
    fired = fire_transition(rt, artefact_id, "send_for_opinions", user_id, fields={"request_date": "2025-03-10"},
                            today=dt.date(2025, 3, 10))
    return artefact_id, fired.documents[0]["id"]


# --- The whole life of a Положение in the browser ------------------------------------------------

def test_polozhenie_lifecycle_through_pages_by_three_people(rt, school, app):
    deputy, secretary, director = (signed_in(app, name) for name in ("deputy", "secretary", "director"))

    created = post_form(deputy, "/artefacts/new?kind=polozhenie", {
        "kind": "polozhenie", "title": "", "school_year": "2024/2025", "edition_note": "",
        "affects_students": "true", "supersedes_id": "", "sections_text": polozhenie_text()})
    assert created.status_code == 302
    artefact_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[-1])

    sent = fire_form(deputy, artefact_id, "send_for_opinions", request_date="2025-03-10")
    assert sent.status_code == 302
    shown = text_of(deputy.get(f"/artefacts/{artefact_id}"))
    assert "Выполнено: «Направить на учёт мнения советов»" in shown and "Письмо о направлении проекта" in shown

    for body, day, number in (("student_council", "2025-03-14", "3"), ("parents_council", "2025-03-17", "4")):
        recorded = fire_form(secretary, artefact_id, "record_opinion", opinion_body=body, opinion_date=day,
                             opinion_protocol_number=number, opinion_result="positive", opinion_remarks="")
        assert recorded.status_code == 302, text_of(recorded)[:2000]
    assert fire_form(deputy, artefact_id, "send_to_council").status_code == 302
    adopted = fire_form(secretary, artefact_id, "adopt", protocol_date="2025-03-31", present="42", votes_for="40",
                        votes_against="0", votes_abstained="2", agenda_number="1", chair="")
    assert adopted.status_code == 302, text_of(adopted)[:2000]
    approved = fire_form(director, artefact_id, "approve", order_date="2025-04-03", effective_date="",
                         responsible="deputy")
    assert approved.status_code == 302, text_of(approved)[:2000]

    assert state_and_version(rt, artefact_id)[0] == "in_force"
    page = text_of(director.get(f"/artefacts/{artefact_id}"))
    assert "Приказ от 03.04.2025" in page and "Лист ознакомления" in page
    assert 'aria-current="step"' in page and "Действует" in page
    assert "Иванова И.И. — Заместитель директора по УВР" in page          # the responsible member, by name
    assert "Согласовано без замечаний" in page                             # opinions as a table
    history = [entry["trigger"] for entry in show_artefact(rt, artefact_id, None)["history"]]
    assert history == ["create", "send_for_opinions", "record_opinion", "record_opinion", "send_to_council",
                       "adopt", "approve"]


def test_rule_failure_is_shown_next_to_the_form_and_changes_nothing(rt, school, app):
    artefact_id = new_draft(rt, school)
    record_opinions(rt, school, artefact_id)
    fire_transition(rt, artefact_id, "send_to_council", school["deputy"], today=COUNCIL_DAY)
    before = state_and_version(rt, artefact_id)
    secretary = signed_in(app, "secretary")

    response = fire_form(secretary, artefact_id, "adopt", protocol_date="2025-03-31", present="42", votes_for="10",
                         votes_against="30", votes_abstained="2", agenda_number="1", chair="")

    assert response.status_code == 422
    page = text_of(response)
    assert "Решение не принято: «за» 10 из 42 присутствовавших, нужно больше половины" in page
    assert re.search(r'<details class="action" id="t-adopt" open>', page)
    assert re.search(r'name="votes_for"[^>]*value="10"', page)            # what was typed stays
    assert state_and_version(rt, artefact_id) == before


def test_missing_field_message_is_shown_at_the_field(rt, school, app):
    artefact_id = new_draft(rt, school)
    deputy = signed_in(app, "deputy")
    response = fire_form(deputy, artefact_id, "send_for_opinions", request_date="")
    assert response.status_code == 422
    page = text_of(response)
    assert re.search(r'id="t-send_for_opinions-request_date-error">Заполните поле «Дата направления проекта»', page)
    assert state_and_version(rt, artefact_id)[0] == "draft"


def test_comment_required_by_the_transition(rt, school, app):
    artefact_id = new_draft(rt, school)
    deputy = signed_in(app, "deputy")
    assert 'id="t-withdraw-comment" name="comment" rows="2" required' in deputy.get(f"/artefacts/{artefact_id}").get_data(as_text=True)
    response = fire_form(deputy, artefact_id, "withdraw", comment="  ")
    assert response.status_code == 422
    assert "Укажите комментарий: для этого действия он обязателен" in text_of(response)
    assert fire_form(deputy, artefact_id, "withdraw", comment="Проект не нужен").status_code == 302
    assert state_and_version(rt, artefact_id)[0] == "withdrawn"


def test_stale_version_is_a_conflict_and_writes_nothing(rt, school, app):
    artefact_id = new_draft(rt, school)
    deputy = signed_in(app, "deputy")
    stale = page_version(deputy, artefact_id)
    fire_transition(rt, artefact_id, "send_for_opinions", school["director"], fields={"request_date": "2025-03-10"},
                    today=dt.date(2025, 3, 10))
    before = state_and_version(rt, artefact_id)

    response = fire_form(deputy, artefact_id, "send_to_council", version=stale)

    assert response.status_code == 409
    page = text_of(response)
    assert "Документ уже изменён" in page
    assert f'href="/artefacts/{artefact_id}">Обновить страницу' in page
    assert state_and_version(rt, artefact_id) == before


def test_teacher_sees_no_approval_form_and_cannot_post_it(rt, school, app):
    artefact_id = new_draft(rt, school)
    record_opinions(rt, school, artefact_id)
    adopt(rt, school, artefact_id)
    before = state_and_version(rt, artefact_id)
    teacher = signed_in(app, "teacher")

    page = teacher.get(f"/artefacts/{artefact_id}")
    assert page.status_code == 200
    assert 'id="t-approve"' not in page.get_data(as_text=True)
    response = fire_form(teacher, artefact_id, "approve", version=before[1], order_date="2025-04-03",
                         responsible="deputy")
    assert response.status_code == 403
    assert state_and_version(rt, artefact_id) == before

    director_page = signed_in(app, "director").get(f"/artefacts/{artefact_id}?action=approve").get_data(as_text=True)
    assert '<details class="action" id="t-approve" open>' in director_page
    assert '<option value="deputy" >Иванова И.И. — Заместитель директора по УВР</option>' in director_page
    assert 'type="date" id="t-approve-order_date" name="order_date" required' in director_page


def test_another_schools_artefact_and_documents_are_not_found(rt, school, app):
    artefact_id, document_id = other_school_artefact(rt)
    deputy = signed_in(app, "deputy")
    for url in (f"/artefacts/{artefact_id}", f"/artefacts/{artefact_id}/sections", f"/documents/{document_id}/download",
                f"/documents/{document_id}/preview", f"/documents/{document_id}/pdf"):
        assert deputy.get(url).status_code == 404, url
    token = csrf_token(deputy, "/artefacts/")
    fired = deputy.post(f"/artefacts/{artefact_id}/fire/send_to_council", data={"csrf_token": token, "version": "2"})
    assert fired.status_code == 404
    assert state_and_version(rt, artefact_id)[0] == "opinions"


def test_download_has_a_cyrillic_file_name_and_opens_in_python_docx(rt, school, app):
    artefact_id, _ = take_to_force(rt, school)
    director = signed_in(app, "director")
    documents = show_artefact(rt, artefact_id, None)["documents"]
    order = next(d for d in documents if d["template"] == "order_approval")

    response = director.get(f"/documents/{order['id']}/download")

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(order['file_name'], safe='!#$&+-.^_`|~')}" in disposition
    assert order["file_name"].startswith("Приказ")
    assert "приказываю" in "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs).lower()

    preview = director.get(f"/documents/{order['id']}/preview")
    assert preview.status_code == 200
    assert "Контроль за исполнением приказа" in text_of(preview)


# --- The list and the start page -----------------------------------------------------------------

def test_list_filters_and_pages(rt, school, app):
    for i in range(27):
        create_artefact(rt, school["deputy"], school.id, "polozhenie", title=f"Положение о рабочей группе {i:02d}",
                        school_year="2024/2025", today=dt.date(2025, 3, 1))
    for i in range(3):
        create_artefact(rt, school["deputy"], school.id, "polozhenie", title=f"Положение об олимпиаде {i}",
                        school_year="2025/2026", today=dt.date(2025, 10, 1))
    deputy = signed_in(app, "deputy")

    first = text_of(deputy.get("/artefacts/"))
    assert first.count('<td class="num">') == 25 and "1–25 из 30" in first
    assert 'rel="next" href="/artefacts/?page=2"' in first
    second = text_of(deputy.get("/artefacts/?page=2"))
    assert second.count('<td class="num">') == 5 and "26–30 из 30" in second and 'rel="prev"' in second

    by_year = text_of(deputy.get("/artefacts/?school_year=2025/2026"))
    assert by_year.count('<td class="num">') == 3 and "Положение об олимпиаде 2" in by_year
    by_text = text_of(deputy.get("/artefacts/?q=группе 1"))
    assert by_text.count('<td class="num">') == 10                       # «группе 10» … «группе 19»
    by_state = text_of(deputy.get("/artefacts/?state=in_force&kind=polozhenie"))
    assert by_state.count('<td class="num">') == 0 and "Под условия фильтра ничего не подходит" in by_state
    assert "+ Новый документ" in first
    assert "+ Новый документ" not in text_of(signed_in(app, "teacher").get("/artefacts/"))


def test_title_with_markup_is_shown_escaped(rt, school, app):
    artefact_id = create_artefact(rt, school["deputy"], school.id, "polozhenie", title="<script>alert(1)</script>")
    deputy = signed_in(app, "deputy")
    for url in ("/artefacts/", f"/artefacts/{artefact_id}", "/"):
        body = deputy.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in body, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url


def test_start_page_lists_waiting_actions_and_deadlines(rt, school, app):
    in_force, _ = take_to_force(rt, school, day=dt.date.today() - dt.timedelta(days=30))
    draft = new_draft(rt, school, title="Положение о ВСОКО: новый проект")
    deputy = signed_in(app, "deputy")

    page = text_of(deputy.get("/"))

    assert f'href="/artefacts/{draft}?action=send_for_opinions#t-send_for_opinions"' in page
    # The draft, and the council's meeting the act was adopted at, whose protocol waits to be recorded.
    assert re.search(r"Ждут вашего действия <span class=\"count\">2</span>", page)
    assert "Заседание педагогического совета" in page
    # Acquaintance and publication (the responsible's), and her own acknowledgement (she is on the list).
    assert re.search(r"Сроки <span class=\"count\">3</span>", page)
    assert page.count("deadline deadline--overdue") == 3 and "просрочено: 3" in page
    assert f'href="/artefacts/{in_force}"' in page
    teacher_page = text_of(signed_in(app, "teacher").get("/"))
    assert "Сейчас ничего не ждёт вашего действия" in teacher_page
    assert re.search(r"Сроки <span class=\"count\">1</span>", teacher_page)
    assert "Ознакомиться с актом под подпись" in teacher_page


def test_an_executor_sees_only_the_items_assigned_to_them(rt, school, app):
    due = dt.date.today() + dt.timedelta(days=5)
    with transaction(rt.sessions) as session:
        items = [Artefact(kind="control_item", organisation_id=school.id, title=title, state="planned",
                          school_year="2025/2026", due_date=due, fields={})
                 for title in ("Провести ВПР по физике", "Провести ВПР по математике")]
        session.add_all(items)
        session.flush()
        session.add(ArtefactAssignee(artefact_id=items[0].id, user_id=school["teacher"]))
        mine, other = items[0].id, items[1].id

    teacher = signed_in(app, "teacher")
    page = text_of(teacher.get("/"))

    # The school does not use «Взять в работу» (the default): the executor only reports.
    assert f'href="/artefacts/{mine}?action=report#t-report"' in page
    assert f'href="/artefacts/{mine}?action=start#t-start"' not in page
    assert f'/artefacts/{other}?' not in page
    assert re.search(r"Сроки <span class=\"count\">1</span>", page) and "Провести ВПР по физике" in page
    assert f"/artefacts/{other}\"" not in page
    with transaction(rt.sessions) as session:
        session.get(Organisation, school.id).uses_start_step = True
    page = text_of(teacher.get("/"))
    assert f'href="/artefacts/{mine}?action=start#t-start"' in page
    assert f'href="/artefacts/{mine}?action=report#t-report"' in page


def test_deadline_states_come_from_the_workflow_file(rt):
    assert deadline_states(rt.definition("polozhenie")) == {
        "opinion_deadline": frozenset({"opinions"}),
        "acquaintance_deadline": frozenset({"in_force"}),
        "publication_deadline": frozenset({"in_force"}),
    }


def seed_artefacts(rt, school, count: int) -> None:
    """Drafts waiting for the deputy and acts in force with her deadlines, written directly."""
    soon = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    with transaction(rt.sessions) as session:
        for i in range(count):
            in_force = i % 2 == 0
            session.add(Artefact(
                kind="polozhenie", organisation_id=school.id, title=f"Положение № {i}", school_year="2025/2026",
                state="in_force" if in_force else "draft", author_id=school["director"],
                fields={"responsible": "deputy", "acquaintance_deadline": soon, "publication_deadline": soon}
                if in_force else {"affects_students": True}))


@pytest.mark.parametrize("url", ["/", "/artefacts/", "/artefacts/?state=draft&q=Положение"])
def test_query_count_does_not_grow_with_the_number_of_artefacts(rt, school, app, url):
    deputy = signed_in(app, "deputy")
    seed_artefacts(rt, school, 10)
    deputy.get(url)
    with counted_queries(rt) as few:
        assert deputy.get(url).status_code == 200
    seed_artefacts(rt, school, 50)
    with counted_queries(rt) as many:
        page = deputy.get(url)
    assert page.status_code == 200
    assert many["n"] == few["n"], f"{url}: {few['n']} queries with 10 artefacts, {many['n']} with 60"
    if url == "/":
        assert re.search(r"Сроки <span class=\"count\">60</span>", page.get_data(as_text=True))


# --- Text and editions ------------------------------------------------------------------------------

def test_editing_sections_saves_a_new_version(rt, school, app):
    artefact_id = new_draft(rt, school)
    deputy = signed_in(app, "deputy")
    form = deputy.get(f"/artefacts/{artefact_id}/sections").get_data(as_text=True)
    version = int(_VERSION.search(form).group(1))
    assert "1.1. Положение о внутренней системе оценки качества образования" in html.unescape(form)

    saved = post_form(deputy, f"/artefacts/{artefact_id}/sections",
                      {"version": version, "text": "1. Общие положения\n1.1. Новый пункт.\nПродолжение пункта."})
    assert saved.status_code == 302
    data = show_artefact(rt, artefact_id, None)
    assert data["version"] > version
    assert [(s["number"], s["text"]) for s in data["sections"]] == [
        ("1.", "Общие положения"), ("1.1.", "Новый пункт.\nПродолжение пункта.")]

    stale = post_form(deputy, f"/artefacts/{artefact_id}/sections", {"version": version, "text": "1. Иное"})
    assert stale.status_code == 409 and "Документ уже изменён" in text_of(stale)
    broken = post_form(deputy, f"/artefacts/{artefact_id}/sections", {"version": data["version"], "text": "без номера"})
    assert broken.status_code == 422 and "Строка 1: текст должен начинаться с номера раздела" in text_of(broken)
    assert show_artefact(rt, artefact_id, None)["version"] == data["version"]
    assert signed_in(app, "teacher").get(f"/artefacts/{artefact_id}/sections").status_code == 403


def test_compare_highlights_a_changed_word(rt, school, app):
    old_id, _ = take_to_force(rt, school)
    deputy = signed_in(app, "deputy")
    created = post_form(deputy, "/artefacts/new?kind=polozhenie", {
        "kind": "polozhenie", "title": "", "school_year": "2025/2026", "edition_note": "(в новой редакции)",
        "affects_students": "true", "supersedes_id": str(old_id), "sections_text": ""})
    assert created.status_code == 302
    new_id = int(created.headers["Location"].rsplit("/", 1)[-1])
    sections = show_artefact(rt, new_id, None)["sections"]
    changed = sections[1]["text"].replace("определяет", "устанавливает", 1)
    assert changed != sections[1]["text"]
    text = "\n".join(f"{s['number']} {changed if i == 1 else s['text']}" for i, s in enumerate(sections))
    post_form(deputy, f"/artefacts/{new_id}/sections", {"version": page_version(deputy, new_id), "text": text})

    page = deputy.get(f"/artefacts/{new_id}").get_data(as_text=True)
    assert f'href="/artefacts/{new_id}/compare/{old_id}">Сравнить с предыдущей редакцией' in page
    compared = deputy.get(f"/artefacts/{new_id}/compare/{old_id}")
    assert compared.status_code == 200
    body = compared.get_data(as_text=True)
    assert "<del>определяет</del><ins>устанавливает</ins>" in body
    assert re.search(r"Изменено: <strong>1</strong>", body)


def test_word_diff_marks_only_what_changed():
    pieces = diff_words("Контроль за исполнением приказа оставляю за собой",
                        "Контроль исполнения приказа оставляю за собой")
    assert [(p.op, p.text) for p in pieces] == [
        ("equal", "Контроль "), ("delete", "за исполнением"), ("insert", "исполнения"),
        ("equal", " приказа оставляю за собой")]


def test_sections_are_matched_by_number_with_added_and_removed_in_place():
    old = [("1.", "Общие положения"), ("1.1.", "Текст"), ("1.2.", "Удаляемый пункт"), ("2.", "Цели")]
    new = [("1.", "Общие положения"), ("1.1.", "Текст изменён"), ("2.", "Цели"), ("2.1.", "Новый пункт")]
    diff = diff_sections(old, new)
    assert [(s.number, s.status) for s in diff.sections] == [
        ("1.", SAME), ("1.1.", CHANGED), ("1.2.", REMOVED), ("2.", SAME), ("2.1.", ADDED)]
    assert diff.counts == {SAME: 2, CHANGED: 1, ADDED: 1, REMOVED: 1}
    assert [(p.op, p.text) for p in diff.sections[1].pieces] == [("equal", "Текст"), ("insert", " изменён")]


def test_pdf_link_follows_availability(rt, school, app, monkeypatch):
    from vsoko_flow.services import pdf

    artefact_id, _ = take_to_force(rt, school, day=ORDER_DAY)
    director = signed_in(app, "director")
    monkeypatch.setattr(pdf, "pdf_available", lambda: False)
    page = director.get(f"/artefacts/{artefact_id}").get_data(as_text=True)
    assert ">PDF</a>" not in page
    document_id = show_artefact(rt, artefact_id, None)["documents"][0]["id"]
    assert director.get(f"/documents/{document_id}/pdf").status_code == 404
    monkeypatch.setattr(pdf, "pdf_available", lambda: True)
    assert ">PDF</a>" in director.get(f"/artefacts/{artefact_id}").get_data(as_text=True)
