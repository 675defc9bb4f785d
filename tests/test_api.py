"""The JSON API under /api/v1: token auth, the Положение's whole life by three people, conflict semantics,
errors as JSON, documents, the OpenAPI document and the tokens page."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from urllib.parse import quote

import pytest

from vsoko_flow.db import transaction
from vsoko_flow.services.organisations import create_organisation
from vsoko_flow.services.users import add_membership, create_user, issue_token

from .data import polozhenie_text
from .flows import adopt, docx_text, new_draft, record_opinions
from .web_helpers import csrf_token, login

TODAY = dt.date.today()
REQUEST_DAY = TODAY - dt.timedelta(days=28)
STUDENTS_DAY = TODAY - dt.timedelta(days=24)
PARENTS_DAY = TODAY - dt.timedelta(days=21)
COUNCIL_DAY = TODAY - dt.timedelta(days=10)
HAS_SECTIONS_MESSAGE = "В тексте документа нет ни одного раздела: добавьте текст (разделы 1., 1.1., …) перед отправкой"


class Api:
    """The Flask test client speaking JSON with one person's token."""

    def __init__(self, client, tokens: dict[str, str]):
        self.client = client
        self.tokens = tokens

    def __call__(self, method: str, path: str, who: str | None = None, headers: dict | None = None, **kwargs):
        headers = dict(headers or {})
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        response = self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)
        assert "Set-Cookie" not in response.headers, "the API never sets cookies"
        return response

    def ok(self, method: str, path: str, who: str, status: int = 200, **kwargs) -> dict:
        response = self(method, path, who, **kwargs)
        assert response.status_code == status, response.get_data(as_text=True)[:2000]
        return response.get_json()

    def error(self, method: str, path: str, who: str | None, status: int, **kwargs) -> dict:
        response = self(method, path, who, **kwargs)
        assert response.status_code == status, response.get_data(as_text=True)[:2000]
        assert response.mimetype == "application/json"
        body = response.get_json()
        assert set(body) == {"error", "message", "details"}
        assert re.search("[а-яё]", body["message"], re.IGNORECASE), body["message"]  # Russian text
        return body

    def fire(self, artefact_id: int, trigger: str, who: str, version: int, comment: str = "", **fields) -> dict:
        return self.ok("POST", f"/artefacts/{artefact_id}/transitions", who,
                       json={"trigger": trigger, "version": version, "comment": comment, "fields": fields})


@pytest.fixture
def api(client, rt, school) -> Api:
    tokens = {login_name: issue_token(rt, login_name, f"тест {login_name}")
              for login_name in ("deputy", "secretary", "director", "teacher")}
    return Api(client, tokens)


@pytest.fixture
def stranger(rt, api) -> int:
    """The director of another school, with a token of her own; returns her organisation's id."""
    with transaction(rt.sessions) as session:
        gymnasium = create_organisation(session, "school", "Муниципальное бюджетное общеобразовательное учреждение "
                                        "«Гимназия № 1»", "МБОУ Гимназия № 1", city="г. Сургут")
        person = create_user(session, "gym_director", "Белова", "Ольга", "Ивановна", "f")
        add_membership(session, person, gymnasium, ["director", "deputy", "secretary"], "Директор")
        gymnasium_id = gymnasium.id
    api.tokens["stranger"] = issue_token(rt, "gym_director")
    return gymnasium_id


def _d(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _triggers(artefact: dict) -> list[str]:
    return [t["trigger"] for t in artefact["available_transitions"]]


def _snapshot(api: Api, artefact_id: int) -> dict:
    data = api.ok("GET", f"/artefacts/{artefact_id}", "deputy")
    return {key: data[key] for key in ("state", "version", "fields", "items", "history", "documents")}


# ---------------------------------------------------------------- the whole life

def test_polozhenie_lifecycle_by_three_people_through_the_api(api, school):
    workflows = api.ok("GET", "/workflows", "deputy")["items"]
    polozhenie = next(w for w in workflows if w["kind"] == "polozhenie")
    assert {s["name"] for s in polozhenie["states"]} >= {"draft", "opinions", "council_review", "adopted", "in_force"}
    approve = next(t for t in polozhenie["transitions"] if t["trigger"] == "approve")
    assert approve["roles"] == ["director"] and approve["sources"] == ["adopted"] and approve["dest"] == "in_force"
    assert {f["name"] for f in approve["fields"]} == {"order_date", "effective_date", "responsible"}

    # The deputy director creates the draft and edits its text.
    created = api("POST", "/artefacts", "deputy", json={
        "kind": "polozhenie", "organisation_id": school.id, "school_year": "2024/2025",
        "sections_text": "1. Общие положения\n1.1. Черновик."})
    assert created.status_code == 201, created.get_data(as_text=True)
    artefact = created.get_json()
    artefact_id = artefact["id"]
    assert created.headers["Location"] == f"/api/v1/artefacts/{artefact_id}"
    assert (artefact["state"], artefact["version"]) == ("draft", 1)
    assert artefact["items"] == [{"number": "1.", "text": "Общие положения"}, {"number": "1.1.", "text": "Черновик."}]
    assert artefact["title"] == "Положение о внутренней системе оценки качества образования"
    assert "send_for_opinions" in _triggers(artefact)
    send = next(t for t in artefact["available_transitions"] if t["trigger"] == "send_for_opinions")
    # The date is required; the councils' chairs (the letters' addressees) are optional.
    assert [(f["name"], f["required"]) for f in send["fields"]] == [
        ("request_date", True), ("chair_student_council", False), ("chair_parents_council", False),
        ("chair_trade_union", False)]

    edited = api.ok("PUT", f"/artefacts/{artefact_id}/sections", "deputy",
                    json={"version": artefact["version"], "text": polozhenie_text()})
    assert edited["version"] > artefact["version"]
    assert edited["items"][0]["number"] == "1." and len(edited["items"]) > 10

    fired = api.fire(artefact_id, "send_for_opinions", "deputy", edited["version"], request_date=REQUEST_DAY.isoformat())
    assert (fired["from_state"], fired["state"]) == ("draft", "opinions")
    assert len(fired["documents"]) == 2  # letters to the students' and the parents' councils
    version = fired["version"]

    # The secretary records the councils' opinions and, later, the council's decision.
    for body, day, number in (("student_council", STUDENTS_DAY, "3"), ("parents_council", PARENTS_DAY, "4")):
        version = api.fire(artefact_id, "record_opinion", "secretary", version, opinion_body=body,
                           opinion_date=day.isoformat(), opinion_protocol_number=number,
                           opinion_result="positive")["version"]
    fired = api.fire(artefact_id, "send_to_council", "deputy", version)
    assert fired["state"] == "council_review" and fired["warnings"] == []
    fired = api.fire(artefact_id, "adopt", "secretary", fired["version"], protocol_date=COUNCIL_DAY.isoformat(),
                     present=42, votes_for=40, votes_against=0, votes_abstained=2)
    assert fired["state"] == "adopted"

    # The director approves it by order.
    assert _triggers(api.ok("GET", f"/artefacts/{artefact_id}", "director")) == ["return_to_draft", "approve"]
    fired = api.fire(artefact_id, "approve", "director", fired["version"], order_date=TODAY.isoformat(),
                     responsible="deputy")
    assert (fired["from_state"], fired["state"]) == ("adopted", "in_force")
    assert [d["title"] for d in fired["documents"]][0].lower().startswith("приказ")
    assert len(fired["documents"]) == 3

    final = api.ok("GET", f"/artefacts/{artefact_id}", "secretary")
    assert (final["state"], final["state_label"], final["version"]) == ("in_force", "Действует", fired["version"])
    # In force: what the order asks after it (ознакомление, размещение), nothing that moves the act on.
    assert [t["trigger"] for t in final["available_transitions"]] == [
        "acknowledge", "record_acquaintance_sheet", "record_publication"]
    assert [h["trigger"] for h in final["history"]] == [
        "create", "edit_sections", "send_for_opinions", "record_opinion", "record_opinion", "send_to_council",
        "adopt", "approve"]
    assert [(h["from"], h["to"]) for h in final["history"]][-1] == ("adopted", "in_force")
    assert final["fields"]["order_number"] and final["fields"]["protocol_number"]
    assert len(final["documents"]) == 2 + 1 + 1 + 3
    assert all(d["download_url"] == f"/api/v1/documents/{d['id']}" for d in final["documents"])

    # Anyone of the school downloads the order: the stored bytes, with a Cyrillic file name.
    order = next(d for d in final["documents"] if d["id"] == fired["documents"][0]["id"])
    response = api("GET", order["download_url"].removeprefix("/api/v1"), "deputy")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    data = response.get_data()
    assert data[:2] == b"PK"
    assert hashlib.sha256(data).hexdigest() == order["sha256"] == response.headers["X-Document-SHA256"]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(order['file_name'])}" in disposition
    assert re.search("[А-Яа-я]", order["file_name"])
    assert final["fields"]["order_number"] in docx_text(data)


def test_list_filters_and_pages(api, school, rt):
    for title in ("Положение о ВСОКО", "Положение о текущем контроле", "Положение о портфолио"):
        api.ok("POST", "/artefacts", "deputy", status=201,
               json={"kind": "polozhenie", "organisation_id": school.id, "title": title, "school_year": "2024/2025"})
    page = api.ok("GET", "/artefacts?limit=2", "deputy")
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (3, 2, 0, 2)
    assert page["items"][0]["title"] == "Положение о портфолио"  # newest first
    assert [i["title"] for i in api.ok("GET", "/artefacts?limit=2&offset=2", "deputy")["items"]] == [
        "Положение о ВСОКО"]
    assert api.ok("GET", "/artefacts?q=контрол", "deputy")["total"] == 1
    assert api.ok("GET", "/artefacts?state=draft&kind=polozhenie&school_year=2024/2025", "deputy")["total"] == 3
    assert api.ok("GET", "/artefacts?state=in_force", "deputy")["total"] == 0
    assert api.ok("GET", f"/artefacts?organisation_id={school.id}", "teacher")["total"] == 3
    item = page["items"][0]
    assert item["available_transitions"] and "items" not in item  # the list is a summary
    assert _triggers(api.ok("GET", "/artefacts?limit=1", "teacher")["items"][0]) == []  # no right to act


# ---------------------------------------------------------------- conflicts, rules, roles

def test_stale_version_is_409_and_nothing_is_written(api, school, rt):
    artefact_id = new_draft(rt, school)
    api.ok("PUT", f"/artefacts/{artefact_id}/sections", "deputy", json={"version": 1, "text": polozhenie_text()})
    before = _snapshot(api, artefact_id)
    assert before["version"] == 2

    error = api.error("POST", f"/artefacts/{artefact_id}/transitions", "deputy", 409, json={
        "trigger": "send_for_opinions", "version": 1, "fields": {"request_date": REQUEST_DAY.isoformat()}})
    assert error["error"] == "conflict"
    assert error["message"] == ("Документ уже изменён (версия 2, у вас 1): получите документ заново (GET) и повторите "
                                "запрос")
    stale_edit = api.error("PUT", f"/artefacts/{artefact_id}/sections", "deputy", 409,
                           json={"version": 1, "text": "1. Другой текст"})
    assert stale_edit["error"] == "conflict"
    assert _snapshot(api, artefact_id) == before


def test_transition_not_available_from_the_current_state_is_409(api, school, rt):
    artefact_id = new_draft(rt, school)
    before = _snapshot(api, artefact_id)
    error = api.error("POST", f"/artefacts/{artefact_id}/transitions", "director", 409, json={
        "trigger": "approve", "version": before["version"], "fields": {"order_date": TODAY.isoformat(),
                                                                      "responsible": "deputy"}})
    assert error["message"] == "Действие «Утвердить приказом директора» недоступно: документ в состоянии «Проект»"
    unknown = api.error("POST", f"/artefacts/{artefact_id}/transitions", "director", 409,
                        json={"trigger": "to_in_force", "version": before["version"]})
    assert "не предусмотрено" in unknown["message"]
    assert _snapshot(api, artefact_id) == before


def test_failed_rule_is_422_with_the_rules_message(api, school):
    artefact = api.ok("POST", "/artefacts", "deputy", status=201,
                      json={"kind": "polozhenie", "organisation_id": school.id})  # no text yet
    before = _snapshot(api, artefact["id"])
    error = api.error("POST", f"/artefacts/{artefact['id']}/transitions", "deputy", 422, json={
        "trigger": "send_for_opinions", "version": artefact["version"],
        "fields": {"request_date": REQUEST_DAY.isoformat()}})
    assert error["error"] == "unprocessable"
    assert error["message"] == HAS_SECTIONS_MESSAGE
    assert error["details"]["rules"] == [HAS_SECTIONS_MESSAGE]
    assert _snapshot(api, artefact["id"]) == before

    future = TODAY + dt.timedelta(days=3)
    api.ok("PUT", f"/artefacts/{artefact['id']}/sections", "deputy",
           json={"version": artefact["version"], "text": polozhenie_text()})
    version = _snapshot(api, artefact["id"])["version"]
    error = api.error("POST", f"/artefacts/{artefact['id']}/transitions", "deputy", 422, json={
        "trigger": "send_for_opinions", "version": version, "fields": {"request_date": future.isoformat()}})
    school_today = api.client.application.extensions["vsoko_runtime"].today()   # the school's date, not UTC's
    assert error["message"] == (f"«Дата направления проекта» ({_d(future)}) не может быть позже сегодняшнего дня "
                                f"({_d(school_today)})")


def test_missing_and_malformed_fields_are_422_per_field(api, school, rt):
    artefact_id = new_draft(rt, school)
    record_opinions(rt, school, artefact_id)
    version = _snapshot(api, artefact_id)["version"]
    api.fire(artefact_id, "send_to_council", "deputy", version)
    version = _snapshot(api, artefact_id)["version"]
    error = api.error("POST", f"/artefacts/{artefact_id}/transitions", "secretary", 422, json={
        "trigger": "adopt", "version": version,
        "fields": {"protocol_date": "31.02.2025", "present": "сорок", "votes_for": 40, "colour": "red"}})
    fields = error["details"]["fields"]
    assert set(fields) == {"protocol_date", "present", "votes_against", "votes_abstained", "colour"}
    assert fields["present"] == "«Присутствовали»: ожидается целое число"
    assert fields["votes_against"].startswith("Заполните поле") and "Против" in fields["votes_against"]
    assert fields["colour"] == "это поле не предусмотрено для этого действия"
    comment = api.error("POST", f"/artefacts/{artefact_id}/transitions", "secretary", 422,
                        json={"trigger": "return_to_draft", "version": version})
    assert "comment" in comment["details"]["fields"]


def test_teacher_cannot_approve_403_and_nothing_changes(api, school, rt):
    artefact_id = new_draft(rt, school)
    record_opinions(rt, school, artefact_id)
    adopt(rt, school, artefact_id)
    before = _snapshot(api, artefact_id)
    assert before["state"] == "adopted"
    error = api.error("POST", f"/artefacts/{artefact_id}/transitions", "teacher", 403, json={
        "trigger": "approve", "version": before["version"],
        "fields": {"order_date": TODAY.isoformat(), "responsible": "deputy"}})
    assert error["error"] == "forbidden"
    assert error["message"] == "У вас нет права выполнять действие «Утвердить приказом директора» в этой организации"
    assert _snapshot(api, artefact_id) == before
    teacher_edit = api.error("POST", "/artefacts", "teacher", 403, json={"kind": "polozhenie",
                                                                          "organisation_id": school.id})
    assert teacher_edit["error"] == "forbidden"


def test_another_schools_artefact_and_document_are_404(api, school, rt, stranger):
    artefact_id = new_draft(rt, school)
    version = _snapshot(api, artefact_id)["version"]
    sent = api.fire(artefact_id, "send_for_opinions", "deputy", version, request_date=REQUEST_DAY.isoformat())
    document_id = sent["documents"][0]["id"]

    missing = api.error("GET", f"/artefacts/{artefact_id + 1000}", "stranger", 404)
    foreign = api.error("GET", f"/artefacts/{artefact_id}", "stranger", 404)
    assert foreign["message"] == f"Документ № {artefact_id} не найден"
    assert missing["message"] == f"Документ № {artefact_id + 1000} не найден"  # no existence leak
    for method, path, body in (
            ("POST", f"/artefacts/{artefact_id}/transitions", {"trigger": "withdraw", "version": sent["version"],
                                                               "comment": "чужой"}),
            ("PUT", f"/artefacts/{artefact_id}/sections", {"version": sent["version"], "text": "1. Чужой текст"})):
        assert api.error(method, path, "stranger", 404, json=body)["error"] == "not_found"
    assert api.error("GET", f"/documents/{document_id}", "stranger", 404)["message"] == \
        api.error("GET", f"/documents/{document_id + 1000}", "deputy", 404)["message"].replace(
            str(document_id + 1000), str(document_id))
    assert api.ok("GET", "/artefacts", "stranger")["total"] == 0
    assert api.ok("GET", f"/artefacts?organisation_id={school.id}", "stranger")["total"] == 0
    assert api.error("POST", "/artefacts", "stranger", 404, json={"kind": "polozhenie",
                                                                   "organisation_id": school.id})
    assert api.error("POST", "/artefacts", "deputy", 404, json={"kind": "polozhenie",
                                                                 "organisation_id": stranger})
    assert _snapshot(api, artefact_id)["state"] == "opinions"
    assert api("GET", f"/documents/{document_id}", "deputy").status_code == 200


# ---------------------------------------------------------------- authentication

PROTECTED = [("GET", "/workflows"), ("GET", "/artefacts"), ("POST", "/artefacts"), ("GET", "/artefacts/1"),
             ("POST", "/artefacts/1/transitions"), ("PUT", "/artefacts/1/sections"), ("GET", "/documents/1")]


def test_no_or_bad_token_is_401(api):
    for method, path in PROTECTED:
        for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic ZGVwdXR5OnB3"},
                        {"Authorization": "Bearer "}, {"Authorization": "Bearer тест"}):
            error = api.error(method, path, None, 401, headers=headers, json={})
            assert error == {"error": "unauthorized", "message": error["message"], "details": None}
        assert api(method, path, None).headers["WWW-Authenticate"].startswith("Bearer")


def test_the_api_ignores_the_browser_session(api, client):
    login(client, "director")
    assert api("GET", "/artefacts", None).status_code == 401


def test_revoked_token_stops_working(api, rt, school):
    from vsoko_flow.services.api_tokens import list_tokens, revoke_own_token

    assert api("GET", "/workflows", "deputy").status_code == 200
    token = next(t for t in list_tokens(rt, school["deputy"]) if t.active)
    revoke_own_token(rt, school["deputy"], token.id)
    assert api.error("GET", "/workflows", "deputy", 401)["message"] == "Токен API недействителен или отозван"


# ---------------------------------------------------------------- bad input: 400, never 500

MALFORMED = [b"{", b"not json", b"[1, 2]", b"\xff\xfe", b'{"trigger": "approve", "version": NaN}', b'"text"', b"",
             b"   ", b"[" * 5000, b'{"trigger": "\\ud800", "version": 1}', b"null"]


def test_malformed_json_is_400(api, school, rt):
    artefact_id = new_draft(rt, school)
    before = _snapshot(api, artefact_id)
    for raw in MALFORMED:
        for content_type in ("application/json", "text/plain"):
            error = api.error("POST", f"/artefacts/{artefact_id}/transitions", "deputy", 400, data=raw,
                              content_type=content_type)
            assert error["error"] == "bad_request"
            assert error["details"]["fields"], raw
    assert _snapshot(api, artefact_id) == before


WRONG_TRANSITION_BODIES = [
    ({"trigger": "approve", "version": "1"}, "version"),
    ({"trigger": "approve"}, "version"),
    ({"trigger": 5, "version": 1}, "trigger"),
    ({"trigger": "approve", "version": True}, "version"),
    ({"trigger": "approve", "version": 1.5}, "version"),
    ({"trigger": "approve", "version": 10**30}, "version"),
    ({"trigger": "approve", "version": 0}, "version"),
    ({"trigger": "approve", "version": 1, "comment": "a\x00b"}, "comment"),
    ({"trigger": "approve", "version": 1, "fields": {"order_date": ["2025-04-03"]}}, "fields.order_date"),
    ({"trigger": "approve", "version": 1, "fields": {"order_date": "2025\x00"}}, "fields.order_date"),
    ({"trigger": "approve", "version": 1, "fields": []}, "fields"),
    ({"trigger": "approve", "version": 1, "extra": 1}, "extra"),
    ({"trigger": "APPROVE; drop", "version": 1}, "trigger"),
    ({"trigger": "approve", "version": None}, "version"),
]


def test_wrong_types_in_the_body_are_400_per_field(api, school, rt):
    artefact_id = new_draft(rt, school)
    before = _snapshot(api, artefact_id)
    for body, field in WRONG_TRANSITION_BODIES:
        error = api.error("POST", f"/artefacts/{artefact_id}/transitions", "deputy", 400, json=body)
        assert field in error["details"]["fields"], (body, error)
    for body, field in (({"version": "2", "text": "1. Текст"}, "version"), ({"version": 1, "text": ""}, "text"),
                        ({"version": 1, "text": 5}, "text"), ({"version": 1}, "text")):
        error = api.error("PUT", f"/artefacts/{artefact_id}/sections", "deputy", 400, json=body)
        assert field in error["details"]["fields"], (body, error)
    assert _snapshot(api, artefact_id) == before


WRONG_CREATE_BODIES = [
    ({"kind": "polozhenie", "organisation_id": "1"}, "organisation_id"),
    ({"kind": "polozhenie", "organisation_id": 2**40}, "organisation_id"),
    ({"kind": "polozhenie", "organisation_id": 1, "school_year": "2024-2025"}, "school_year"),
    ({"kind": "polozhenie", "organisation_id": 1, "school_year": "2024/2026"}, "school_year"),
    ({"kind": "polozhenie", "organisation_id": 1, "title": "x" * 1001}, "title"),
    ({"kind": "polozhenie", "organisation_id": 1, "supersedes_id": -1}, "supersedes_id"),
    ({"organisation_id": 1}, "kind"),
    ({"kind": "polozhenie", "organisation_id": 1, "fields": {"affects_staff": 1.5}}, "fields.affects_staff"),
]


def test_wrong_create_bodies_are_400(api):
    for body, field in WRONG_CREATE_BODIES:
        assert field in api.error("POST", "/artefacts", "deputy", 400, json=body)["details"]["fields"], body
    assert api.ok("GET", "/artefacts", "deputy")["total"] == 0


def test_unknown_kind_and_bad_text_are_422(api, school):
    error = api.error("POST", "/artefacts", "deputy", 422, json={"kind": "plan_x", "organisation_id": school.id})
    assert set(error["details"]["fields"]) == {"kind"}
    bad_field = api.error("POST", "/artefacts", "deputy", 422, json={
        "kind": "polozhenie", "organisation_id": school.id, "fields": {"affects_staff": "может быть"}})
    assert set(bad_field["details"]["fields"]) == {"affects_staff"}
    bad_text = api.error("POST", "/artefacts", "deputy", 422, json={
        "kind": "polozhenie", "organisation_id": school.id, "sections_text": "без номера"})
    assert bad_text["message"].startswith("Строка 1:")
    assert api.ok("GET", "/artefacts", "deputy")["total"] == 0


def test_wrong_query_parameters_are_400(api):
    for query, field in (("limit=101", "limit"), ("limit=0", "limit"), ("limit=abc", "limit"), ("limit=", "limit"),
                         ("offset=-1", "offset"), ("organisation_id=99999999999", "organisation_id"),
                         ("limit=5&limit=6", "limit"), ("q=" + "я" * 201, "q"), ("q=%00", "q")):
        assert field in api.error("GET", f"/artefacts?{query}", "deputy", 400)["details"]["fields"], query


def test_out_of_range_ids_and_unknown_routes_are_json_404(api):
    for path in ("/artefacts/99999999999999999999", "/artefacts/0", "/documents/2147483648", "/nothing"):
        assert api.error("GET", path, "deputy", 404)["error"] == "not_found"
    assert api.error("DELETE", "/artefacts", "deputy", 405)["error"] == "method_not_allowed"


def test_too_large_body_is_413(api, app, school, rt):
    artefact_id = new_draft(rt, school)
    body = b'{"version": 1, "text": "' + b"a" * (app.config["MAX_CONTENT_LENGTH"] + 10) + b'"}'
    error = api.error("PUT", f"/artefacts/{artefact_id}/sections", "deputy", 413, data=body,
                      content_type="application/json")
    assert error["error"] == "too_large"


# ---------------------------------------------------------------- the OpenAPI document

def test_openapi_document_is_generated_from_the_declarations(api, app):
    from vsoko_flow.web.api import ArtefactCreate, TransitionRequest, registry

    response = api("GET", "/openapi.json", None)
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {**doc["components"]["securitySchemes"]["bearerAuth"],
                                                                  "type": "http", "scheme": "bearer"}
    assert doc["security"] == [{"bearerAuth": []}]

    # Every /api/v1 route of the application is documented, with its method.
    routes = {(re.sub(r"<int:(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1")), method)
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method.upper()) for path, item in doc["paths"].items() for method in item}
    assert routes == documented
    assert {(o.path, o.method) for o in registry.operations} == documented

    for path, item in doc["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            if path != "/openapi.json":
                assert "401" in codes and operation.get("security") is None, (path, method)
            if "requestBody" in operation:
                assert {"400", "413"} <= codes
    fire = doc["paths"]["/artefacts/{artefact_id}/transitions"]["post"]
    assert set(fire["responses"]) == {"200", "400", "401", "403", "404", "409", "413", "422"}
    assert doc["components"]["responses"]["E409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    assert fire["parameters"][0]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    limit = next(p for p in doc["paths"]["/artefacts"]["get"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["type"], limit["schema"]["minimum"], limit["schema"]["maximum"]) == ("integer", 1, 100)

    # The request schemas are the validating models' own JSON Schema.
    schemas = doc["components"]["schemas"]
    transition = TransitionRequest.model_json_schema()
    assert schemas["TransitionRequest"]["required"] == transition["required"] == ["trigger", "version"]
    assert set(schemas["TransitionRequest"]["properties"]) == set(TransitionRequest.model_fields)
    assert set(schemas["ArtefactCreate"]["properties"]) == set(ArtefactCreate.model_fields)
    assert schemas["ArtefactCreate"]["properties"]["kind"]["enum"] == sorted(app.extensions["vsoko_runtime"].definitions)
    assert doc["paths"]["/documents/{document_id}"]["get"]["responses"]["200"]["content"] == {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
            "schema": {"type": "string", "format": "binary"}}}


# ---------------------------------------------------------------- the tokens page

def test_tokens_page_needs_login(client):
    response = client.get("/tokens/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/tokens/", data={"name": "x"}).status_code in (302, 400)


def test_create_use_and_revoke_a_token_in_the_browser(client, api, school):
    login(client, "secretary")
    page = client.get("/tokens/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Токены API" in html and "тест secretary" in html
    assert "<script" not in html and "style=" not in html  # CSP: no inline script or style

    response = client.post("/tokens/", data={"name": "Выгрузка <в отчёт>", "csrf_token": csrf_token(client, "/tokens/")})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    token = re.search(r'id="new-token" value="([^"]+)"', html).group(1)
    assert "Выгрузка &lt;в отчёт&gt;" in html
    assert token not in client.get("/tokens/").get_data(as_text=True)  # shown once

    api.tokens["new"] = token
    assert api.ok("GET", "/artefacts", "new")["total"] == 0  # works as the secretary

    from vsoko_flow.services.api_tokens import list_tokens

    token_id = next(t.id for t in list_tokens(api.client.application.extensions["vsoko_runtime"], school["secretary"])
                    if t.name == "Выгрузка <в отчёт>")
    assert client.post(f"/tokens/{token_id}/revoke").status_code == 400  # no CSRF token
    assert api("GET", "/artefacts", "new").status_code == 200
    response = client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/tokens/")})
    assert response.status_code == 302
    assert "отозван" in client.get("/tokens/").get_data(as_text=True)
    assert api("GET", "/artefacts", "new").status_code == 401


def test_cannot_revoke_someone_elses_token(client, api, rt, school):
    from vsoko_flow.services.api_tokens import list_tokens

    directors = next(t.id for t in list_tokens(rt, school["director"]))
    login(client, "secretary")
    response = client.post(f"/tokens/{directors}/revoke", data={"csrf_token": csrf_token(client, "/tokens/")})
    assert response.status_code == 404
    assert api("GET", "/workflows", "director").status_code == 200


def test_token_name_is_limited(client, school):
    login(client, "secretary")
    response = client.post("/tokens/", data={"name": "x" * 201, "csrf_token": csrf_token(client, "/tokens/")})
    assert response.status_code == 422
    assert "Не длиннее 200 символов" in response.get_data(as_text=True)
