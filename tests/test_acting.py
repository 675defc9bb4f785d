"""Acting for another (замещение): the deputy is «И.о. директора» for a week by an order. During the
week the director's tasks — the «Подписать» ones too — reach the deputy, who may fire the director's
transitions; the order she approves names and is signed by her, «И.о. директора»; after the week the
tasks return to the director."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.flows import COUNCIL_DAY, adopt, docx_text, fire, new_draft, record_opinions
from vsoko_flow.documents.marks import SIMPLE_HEADING
from vsoko_flow.services.acting import cancel_acting, list_acting, record_acting
from vsoko_flow.services.demo import DEMO_PASSWORD
from vsoko_flow.services.errors import Forbidden, Unprocessable
from vsoko_flow.services.signatures import print_copy, sign_simple
from vsoko_flow.services.tasks import my_tasks
from vsoko_flow.services.transitions import fire_transition

WEEK = (dt.date(2025, 4, 1), dt.date(2025, 4, 7))
IN_THE_WEEK, AFTER_THE_WEEK = dt.date(2025, 4, 3), dt.date(2025, 4, 8)


@pytest.fixture
def acting_week(rt, school):
    return record_acting(rt, school["director"], school.id, login="deputy", starts_on=WEEK[0], ends_on=WEEK[1],
                         order_date=dt.date(2025, 3, 31), order_number="12-к")


def adopted_act(rt, school) -> int:
    artefact_id = new_draft(rt, school)
    record_opinions(rt, school, artefact_id)
    adopt(rt, school, artefact_id)
    return artefact_id


def adopted_new_edition(rt, school, previous: int, day: dt.date) -> int:
    """A new edition of the act in force, through the councils and the педсовет on one day."""
    artefact_id = new_draft(rt, school, supersedes=previous)
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], day, request_date=day.isoformat())
    for body in ("student_council", "parents_council"):
        fire(rt, artefact_id, "record_opinion", school["secretary"], day, opinion_body=body,
             opinion_date=day.isoformat(), opinion_protocol_number="7", opinion_result="positive")
    fire(rt, artefact_id, "send_to_council", school["deputy"], day)
    fire(rt, artefact_id, "adopt", school["secretary"], day, protocol_date=day.isoformat(), present=30, votes_for=30,
         votes_against=0, votes_abstained=0)
    return artefact_id


def approval_tasks(rt, school, login: str, day: dt.date) -> list[int]:
    tasks = my_tasks(rt, school[login], school.id, today=day)
    return [a["id"] for a in tasks["actions"] if any(t["trigger"] == "approve" for t in a["transitions"])]


def approve(rt, school, artefact_id: int, login: str, day: dt.date):
    return fire_transition(rt, artefact_id, "approve", school[login], today=day,
                           fields={"order_date": day.isoformat(), "responsible": "deputy"})


def test_an_acting_director_for_a_week(rt, school, acting_week):
    assert acting_week.text == "И.о. директора Иванова И.И. с 01.04.2025 по 07.04.2025 (приказ от 31.03.2025 № 12-к)"
    first = adopted_act(rt, school)

    # Before the week the director approves; during it the tasks are the deputy's.
    assert approval_tasks(rt, school, "director", COUNCIL_DAY) == [first]
    assert approval_tasks(rt, school, "deputy", COUNCIL_DAY) == []
    assert approval_tasks(rt, school, "deputy", IN_THE_WEEK) == [first]
    assert approval_tasks(rt, school, "director", IN_THE_WEEK) == []

    fired = approve(rt, school, first, "deputy", IN_THE_WEEK)
    order = next(d for d in fired.documents if d["file_name"].startswith("Приказ"))
    tasks = my_tasks(rt, school["deputy"], school.id, today=IN_THE_WEEK)
    to_sign = {s["document_id"]: s for s in tasks["signatures"]}
    assert to_sign[order["id"]]["capacity"] == "И.о. директора"
    # The letters sent before the week name the director and stay hers to sign: a document is signed
    # by the person it names. Nothing issued during the week waits for her.
    waiting_for_director = my_tasks(rt, school["director"], school.id, today=IN_THE_WEEK)["signatures"]
    assert {s["document_title"] for s in waiting_for_director} == {"Письмо о направлении проекта для учёта мнения"}
    assert any(d["label"] == "Подписать документ" for d in tasks["deadlines"])

    stored = docx_text(print_copy(rt, order["id"], school["deputy"])[1])
    assert "И.о. директора" in stored and "И.И. Иванова" in stored
    assert "Соколова" not in stored and "Директор\n" not in stored
    sign_simple(rt, to_sign[order["id"]]["id"], school["deputy"], DEMO_PASSWORD)
    printed = docx_text(print_copy(rt, order["id"], school["director"])[1])
    assert printed.count(SIMPLE_HEADING) == 1
    assert "Иванова Ирина Игоревна" in printed and "Соколова" not in printed

    # After the week: the tasks return to the director, and the deputy may no longer approve.
    second = adopted_new_edition(rt, school, first, WEEK[1])
    assert approval_tasks(rt, school, "deputy", WEEK[1]) == [second]
    assert approval_tasks(rt, school, "director", AFTER_THE_WEEK) == [second]
    assert approval_tasks(rt, school, "deputy", AFTER_THE_WEEK) == []
    with pytest.raises(Forbidden):
        approve(rt, school, second, "deputy", AFTER_THE_WEEK)
    fired = approve(rt, school, second, "director", AFTER_THE_WEEK)
    order = next(d for d in fired.documents if d["file_name"].startswith("Приказ"))
    text = docx_text(print_copy(rt, order["id"], school["director"])[1])
    assert "М.Б. Соколова" in text and "И.о." not in text
    signer = {s["document_id"]: s for s in my_tasks(rt, school["director"], school.id,
                                                     today=AFTER_THE_WEEK)["signatures"]}
    assert signer[order["id"]]["capacity"] == "Директор"


def test_letters_sent_by_the_deputy_in_the_week_are_signed_by_the_acting_director(rt, school, acting_week):
    artefact_id = new_draft(rt, school)
    fired = fire_transition(rt, artefact_id, "send_for_opinions", school["deputy"], today=IN_THE_WEEK,
                            fields={"request_date": IN_THE_WEEK.isoformat()})
    letters = my_tasks(rt, school["deputy"], school.id, today=IN_THE_WEEK)["signatures"]
    assert {s["document_id"] for s in letters} == {d["id"] for d in fired.documents}
    assert all(s["capacity"] == "И.о. директора" for s in letters)


def test_acting_periods_are_checked(rt, school, acting_week):
    with pytest.raises(Unprocessable, match="пересекается с уже записанным: И.о. директора Иванова И.И."):
        record_acting(rt, school["director"], school.id, login="secretary", starts_on="05.04.2025",
                      ends_on="10.04.2025", order_date="01.04.2025", order_number="13-к")
    with pytest.raises(Unprocessable) as failure:
        record_acting(rt, school["director"], school.id, login="director", starts_on="10.04.2025",
                      ends_on="09.04.2025", order_date="11.04.2025", order_number="")
    fields = failure.value.details["fields"]
    assert set(fields) == {"login", "ends_on", "order_date", "order_number"}
    assert "по должности" in fields["login"]
    with pytest.raises(Forbidden):
        record_acting(rt, school["teacher"], school.id, login="deputy", starts_on="10.04.2025", ends_on="11.04.2025",
                      order_date="09.04.2025", order_number="14-к")
    cancelled = cancel_acting(rt, school["director"], school.id, acting_week.id)
    assert cancelled.cancelled
    assert approval_tasks(rt, school, "deputy", IN_THE_WEEK) == []  # a cancelled record is not in effect
    assert [a.cancelled for a in list_acting(rt, school["director"], school.id)] == [True]
