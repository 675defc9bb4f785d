"""No e-signature mark without a verified signature by that signer — over everything the product makes.

The demo school (its Положение through its whole life), a new edition superseding it, the life of
every plan kind (council, order, every row on control reported and accepted, closing reports) and a
meeting (protocol, extracts, decisions on control, closing report): every stored document is
opened, as stored and as printed. Unsigned, none carries a mark — though the director's
certificate is on file. Then each signature is made, simple or qualified, in two rounds, and each
printed copy carries exactly the marks of the signatures made, each naming its own signer; the
stored bytes never change.
"""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from docx import Document
from sqlalchemy import select

from tests.flows import docx_text
from tests.gost_keys import valid_now
from vsoko_flow.documents.marks import QUALIFIED_HEADING, SIMPLE_HEADING
from vsoko_flow.models import Artefact, Membership, Signature, StoredDocument, User
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.demo import DEMO_PASSWORD, load_demo
from vsoko_flow.services.meetings import create_meeting, record_agenda
from vsoko_flow.services.plans import add_item, add_section
from vsoko_flow.services.signatures import print_copy, sign_qualified, sign_simple
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.services.verify import verify_store

PLAN_KINDS = ("vsoko_plan", "activity_plan", "roadmap")
MARK_HEADINGS = (SIMPLE_HEADING, QUALIFIED_HEADING)


def fire(rt, artefact_id: int, trigger: str, actor: int, day: dt.date, **fields):
    return fire_transition(rt, artefact_id, trigger, actor, fields=fields, today=day)


def new_edition_in_force(rt, users: dict[str, int], organisation_id: int) -> None:
    """The demo's draft edition through the councils, the педсовет and the order: it supersedes the first."""
    with rt.sessions() as session:
        draft = session.scalars(select(Artefact).where(Artefact.kind == "polozhenie", Artefact.state == "draft")).one()
    day = dt.date(2025, 5, 12)
    fire(rt, draft.id, "send_for_opinions", users["deputy"], day, request_date=day.isoformat())
    for body in ("student_council", "parents_council"):
        fire(rt, draft.id, "record_opinion", users["secretary"], day, opinion_body=body, opinion_date=day.isoformat(),
             opinion_protocol_number="5", opinion_result="positive")
    fire(rt, draft.id, "send_to_council", users["deputy"], day)
    council = dt.date(2025, 5, 20)
    fire(rt, draft.id, "adopt", users["secretary"], council, protocol_date=council.isoformat(), present=40,
         votes_for=39, votes_against=0, votes_abstained=1)
    order = dt.date(2025, 5, 22)
    fire(rt, draft.id, "approve", users["director"], order, order_date=order.isoformat(), responsible="deputy")


def plan_lived(rt, users: dict[str, int], organisation_id: int, kind: str, council: dt.date) -> None:
    """A plan of the kind with one section and one row through its whole life."""
    plan_id = create_artefact(rt, users["deputy"], organisation_id, kind, school_year="2025/2026", today=council)
    section = add_section(rt, plan_id, users["deputy"], "Качество образовательных результатов", version=None)
    definition = rt.definition(kind)
    texts = {key: f"{title} — пункт" for key, title in definition.columns.items()
             if key not in ("responsible", "deadline")}
    add_item(rt, plan_id, users["deputy"], version=None, section_id=section.id, fields=texts,
             responsible_logins=["teacher"], deadline_text="Октябрь")
    fire(rt, plan_id, "send_to_council", users["deputy"], council)
    fire(rt, plan_id, "adopt", users["secretary"], council, protocol_date=council.isoformat(), present=30,
         votes_for=30, votes_against=0, votes_abstained=0)
    order = council + dt.timedelta(days=1)
    fire(rt, plan_id, "approve", users["director"], order, order_date=order.isoformat(), responsible="deputy")
    close_controls(rt, users, plan_id, dt.date(2025, 10, 20))
    fire(rt, plan_id, "close", users["deputy"], dt.date(2026, 6, 30), report_date="2026-06-30")


def close_controls(rt, users: dict[str, int], parent_id: int, day: dt.date) -> None:
    with rt.sessions() as session:
        items = session.scalars(select(Artefact.id).where(Artefact.parent_id == parent_id)).all()
    assert items
    for item_id in items:
        fire(rt, item_id, "report", users["teacher"], day, result="Сделано", executed_on=day.isoformat())
        fire(rt, item_id, "accept", users["deputy"], day, assessment="Принято")


def meeting_lived(rt, users: dict[str, int], organisation_id: int) -> None:
    day = dt.date(2025, 9, 5)
    meeting_id = create_meeting(rt, users["secretary"], organisation_id, "pedsovet", day, today=day)
    section = add_section(rt, meeting_id, users["secretary"], "О подготовке к ВПР", version=None)
    add_item(rt, meeting_id, users["secretary"], version=None, section_id=section.id,
             fields={"activity": "Провести пробные работы"}, responsible_logins=["teacher"], deadline_text="Октябрь")
    record_agenda(rt, meeting_id, users["secretary"], [{"heard": "Иванову И.И. о ВПР", "votes_for": 25,
                                                        "votes_against": 0, "votes_abstained": 0}])
    fire(rt, meeting_id, "hold", users["secretary"], day, present=25, chair="director", secretary="secretary")
    close_controls(rt, users, meeting_id, dt.date(2025, 10, 20))
    fire(rt, meeting_id, "close", users["deputy"], dt.date(2025, 12, 20), report_date="2025-12-20")


@pytest.fixture
def everything(rt):
    # The demo as loaded in spring 2025, so that what follows is recorded after it: journals are kept in
    # date order, and a protocol of 2025 after one of 2026 would be refused.
    users = load_demo(rt, dt.date(2025, 5, 1))
    with rt.sessions() as session:
        organisation_id = session.scalars(select(Membership.organisation_id)
                                          .where(Membership.user_id == users["director"])).one()
    new_edition_in_force(rt, users, organisation_id)
    for offset, kind in enumerate(PLAN_KINDS):
        plan_lived(rt, users, organisation_id, kind, dt.date(2025, 8, 25) + dt.timedelta(days=offset))
    meeting_lived(rt, users, organisation_id)
    return users


def stored(rt) -> list[StoredDocument]:
    with rt.sessions() as session:
        documents = session.scalars(select(StoredDocument).order_by(StoredDocument.id)).all()
        for document in documents:
            _ = document.content
        session.expunge_all()
        return documents


def marks_of(data: bytes) -> list[tuple[str, str]]:
    """(heading, the line that names the signer) of every mark on the copy, in the document's order."""
    lines = [line for line in docx_text(data).splitlines() if line.strip()]
    found = []
    for index, line in enumerate(lines):
        if line == SIMPLE_HEADING:
            found.append((line, lines[index + 1]))
        elif line == QUALIFIED_HEADING:
            found.append((line, lines[index + 2].removeprefix("Владелец: ")))
    return found


def expected_marks(rt, document_id: int) -> list[tuple[str, str]]:
    with rt.sessions() as session:
        rows = session.execute(select(Signature.kind, Signature.cert_owner, User).join(User, User.id == Signature.signer_id)
                               .where(Signature.document_id == document_id, Signature.state == "signed")).all()
    return sorted((SIMPLE_HEADING, user.full_name) if kind == "simple" else (QUALIFIED_HEADING, owner)
                  for kind, owner, user in rows)


def check_every_document(rt, documents: list[StoredDocument]) -> int:
    """Every stored document: no mark in its bytes, which are as stored; its printed copy carries
    exactly the marks of the signatures made on it. Returns how many marks were seen."""
    seen = 0
    for document in documents:
        text = docx_text(document.content)
        assert not any(heading in text for heading in MARK_HEADINGS), document.file_name
        assert "Сертификат:" not in text and "Владелец:" not in text, document.file_name
        _, printed = print_copy(rt, document.id, None)
        marks = marks_of(printed)
        assert sorted(marks) == expected_marks(rt, document.id), document.file_name
        Document(io.BytesIO(printed))  # the printed copy is a valid .docx
        seen += len(marks)
    return seen


def test_no_mark_without_a_verified_signature_by_that_signer(rt, everything):
    users = everything
    documents = stored(rt)
    templates = {d.template_name for d in documents}
    assert templates >= {"polozhenie", "order_approval", "opinion_request", "protocol_extract", "acquaintance_sheet",
                         "plan_table", "execution_report", "analytic_report", "meeting_protocol"}
    # Unsigned: no mark, though the director's certificate is on file; the printed copy is the document itself.
    assert check_every_document(rt, documents) == 0
    with rt.sessions() as session:
        pending = session.scalars(select(Signature).order_by(Signature.id)).all()
        assert pending and {s.state for s in pending} == {"pending"}
        slots = {s.slot for s in pending}
        assert slots == {"director", "chair", "secretary", "certifier", "actor"}
        director_certificate = session.scalars(select(Membership).where(Membership.user_id == users["director"])).one()
        director_certificate.cert_serial = ""  # her qualified certificate is matched by her name
        session.commit()

    contents = {d.id: d.content for d in documents}
    director = valid_now("Соколова Марина Борисовна")
    first_round = [s for s in pending if s.slot != "secretary"]
    for index, signature in enumerate(first_round):
        if signature.signer_id == users["director"] and index % 2:
            sign_qualified(rt, signature.id, signature.signer_id, director.sign(contents[signature.document_id]))
        else:
            sign_simple(rt, signature.id, signature.signer_id, DEMO_PASSWORD)
    # A protocol signed by its chair only: her mark, not the secretary's.
    seen = check_every_document(rt, documents)
    assert seen == len(first_round)

    for signature in (s for s in pending if s.slot == "secretary"):
        sign_simple(rt, signature.id, signature.signer_id, DEMO_PASSWORD)
    assert check_every_document(rt, documents) == len(pending)
    assert {d.id: d.content for d in stored(rt)} == contents  # the signed bytes never change
    assert verify_store(rt).ok
    with rt.sessions() as session:
        kinds = set(session.scalars(select(Signature.kind)))
    assert kinds == {"simple", "qualified"}
    # Every mark names its own signer: in the copies above, each heading's next line is that signer.
    assert re.search(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2} \(UTC\+3\)", docx_text(print_copy(rt, pending[0].document_id,
                                                                                           None)[1]))
