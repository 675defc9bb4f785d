"""One meeting, one protocol (issue 9.2): «Записать решение педсовета» adopts the act at the council's meeting
of that day — found or created — as a question of its agenda. A plan and a Положение adopted at one
педсовет share one protocol number with two questions; the meeting's protocol lists both with the words of
their extracts; a meeting whose protocol is issued is not added to afterwards."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from vsoko_flow.models import Artefact, StoredDocument
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.errors import Unprocessable
from vsoko_flow.services.plans import add_item, add_section
from vsoko_flow.services.transitions import fire_transition

from .flows import COUNCIL_DAY, docx_text, new_draft, record_opinions

VOTES = {"present": 30, "votes_for": 28, "votes_against": 0, "votes_abstained": 2}


def adopted_plan(rt, school, day: dt.date = COUNCIL_DAY) -> int:
    plan = create_artefact(rt, school["deputy"], school.id, "activity_plan", school_year="2024/2025", today=day)
    section = add_section(rt, plan, school["deputy"], "Оценка образовательных результатов", version=None)
    add_item(rt, plan, school["deputy"], version=None, section_id=section.id,
             fields={"activity": "Провести ВПР по графику", "result": "Справка"}, responsible_logins=["deputy"],
             deadline_text="Апрель")
    fire_transition(rt, plan, "send_to_council", school["deputy"], today=day)
    fire_transition(rt, plan, "adopt", school["secretary"], today=day,
                    fields={"protocol_date": day.isoformat(), **VOTES})
    return plan


def adopted_act(rt, school, title: str = "Положение о ВСОКО", day: dt.date = COUNCIL_DAY, **fields) -> int:
    act = new_draft(rt, school, title=title)
    record_opinions(rt, school, act)
    fire_transition(rt, act, "send_to_council", school["deputy"], today=day)
    fire_transition(rt, act, "adopt", school["secretary"], today=day,
                    fields={"protocol_date": day.isoformat(), **VOTES, **fields})
    return act


def extract_text(rt, artefact_id: int) -> tuple[str, str]:
    with rt.sessions() as session:
        document = session.scalars(select(StoredDocument).where(
            StoredDocument.artefact_id == artefact_id, StoredDocument.template_name == "protocol_extract")).one()
        return document.file_name, docx_text(document.content)


def meetings(rt) -> list[Artefact]:
    with rt.sessions() as session:
        return list(session.scalars(select(Artefact).where(Artefact.kind == "meeting").order_by(Artefact.id)))


def test_a_plan_and_an_act_adopted_at_one_council_share_one_protocol_with_two_questions(rt, school):
    plan = adopted_plan(rt, school)
    act = adopted_act(rt, school)
    with rt.sessions() as session:
        plan_fields, act_fields = session.get(Artefact, plan).fields, session.get(Artefact, act).fields
    assert plan_fields["protocol_number"] == act_fields["protocol_number"] == "1"
    assert (plan_fields["agenda_number"], act_fields["agenda_number"]) == (1, 2)
    [meeting] = meetings(rt)
    assert meeting.state == "draft" and meeting.fields["body"] == "pedsovet"
    assert meeting.fields["meeting_date"] == COUNCIL_DAY.isoformat()
    assert [(a["artefact_id"], a["number"]) for a in meeting.fields["adoptions"]] == [(plan, 1), (act, 2)]
    plan_name, plan_extract = extract_text(rt, plan)
    act_name, act_extract = extract_text(rt, act)
    assert plan_name.endswith("№ 1, вопрос 1.docx") and act_name.endswith("№ 1, вопрос 2.docx")

    # The secretary records the meeting itself: its protocol is № 1 and lists both questions, in the
    # words of their extracts; the adopted acts get no second extract from it.
    fire_transition(rt, meeting.id, "hold", school["secretary"], today=COUNCIL_DAY, fields={"present": 30})
    with rt.sessions() as session:
        held = session.get(Artefact, meeting.id)
        documents = session.scalars(select(StoredDocument).where(StoredDocument.artefact_id == meeting.id)).all()
        protocol = docx_text(next(d for d in documents if d.template_name == "meeting_protocol").content)
    assert held.fields["protocol_number"] == "1"
    assert [d.template_name for d in documents] == ["meeting_protocol"]
    for extract, number in ((plan_extract, 1), (act_extract, 2)):
        question = next(line for line in extract.splitlines() if line.startswith(f"{number}. О принятии "))
        decision = next(line for line in extract.splitlines() if line.startswith("РЕШИЛИ: "))
        assert question in protocol.splitlines()
        assert f"{number}.1. {decision.removeprefix('РЕШИЛИ: ')}" in protocol.splitlines()
    assert protocol.index("1. О принятии Плана") < protocol.index("2. О принятии Положения о ВСОКО")


def test_the_meetings_own_questions_take_the_free_numbers_around_the_adopted_acts(rt, school):
    act = adopted_act(rt, school)
    second = adopted_act(rt, school, title="Положение о ШМО", agenda_number=3)
    with rt.sessions() as session:
        assert session.get(Artefact, second).fields["agenda_number"] == 3
    with pytest.raises(Unprocessable) as taken:
        adopted_act(rt, school, title="Положение о наставничестве", agenda_number=1)
    assert taken.value.message.startswith("Вопрос 1 повестки заседания педагогического совета от ")
    [meeting] = meetings(rt)
    assert [a["artefact_id"] for a in meeting.fields["adoptions"]] == [act, second]


def test_a_meeting_whose_protocol_is_issued_is_not_added_to(rt, school):
    adopted_act(rt, school)
    [meeting] = meetings(rt)
    fire_transition(rt, meeting.id, "hold", school["secretary"], today=COUNCIL_DAY, fields={"present": 30})
    with pytest.raises(Unprocessable) as refused:
        adopted_act(rt, school, title="Положение о ШМО")
    assert refused.value.message.startswith(
        f"Протокол заседания педагогического совета от {COUNCIL_DAY:%d.%m.%Y} № 1 уже оформлен")
    # Another day is another meeting, with the next protocol number.
    later = adopted_act(rt, school, title="Положение о ШМО", day=COUNCIL_DAY + dt.timedelta(days=1))
    with rt.sessions() as session:
        assert session.get(Artefact, later).fields["protocol_number"] == "2"
    assert len(meetings(rt)) == 2


def test_a_typed_paper_journal_number_is_taken_and_checked_unique_in_its_journal_and_year(rt, school):
    first = adopted_act(rt, school, protocol_number_typed="12")
    same_meeting = adopted_act(rt, school, title="Положение о ШМО", protocol_number_typed="12")
    with rt.sessions() as session:
        assert {session.get(Artefact, i).fields["protocol_number"] for i in (first, same_meeting)} == {"12"}
    with pytest.raises(Unprocessable) as other_number:
        adopted_act(rt, school, title="Положение о наставничестве", protocol_number_typed="13")
    assert other_number.value.message.startswith(f"На {COUNCIL_DAY:%d.%m.%Y} в журнале «Протоколы педагогического "
                                                 "совета» уже записан № 12")
    later = COUNCIL_DAY + dt.timedelta(days=7)
    with pytest.raises(Unprocessable) as repeated:
        adopted_act(rt, school, title="Положение о наставничестве", day=later, protocol_number_typed="12")
    assert repeated.value.message.startswith("№ 12 уже есть в журнале «Протоколы педагогического совета»")
    fresh = adopted_act(rt, school, title="Положение о наставничестве", day=later, protocol_number_typed="13")
    with rt.sessions() as session:
        assert session.get(Artefact, fresh).fields["protocol_number"] == "13"
