"""Records a school can file (issue 9, «must show»): the whole demo, a Положение's full life with its
ознакомление and размещение, the quality cycle of a year (tests/quality_flows.py) and every council
meeting an adoption was put on are run, every produced document is opened, and

- every document numbers its pages from the second (so a multi-page one carries page numbers);
- no two documents of one artefact have one file name;
- every registered number is unique in its journal and year, and the journals are in date order;
- no stored document prints an e-signature mark (the mark goes only on the print copy of a verified
  signature, services/signatures.py), and no act type has two editions in force;
- every protocol number has one protocol text, and every extract of it agrees with that protocol."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from sqlalchemy import select

from vsoko_flow.documents.marks import QUALIFIED_HEADING, SIMPLE_HEADING
from vsoko_flow.models import Artefact, Journal, JournalEntry, StoredDocument
from vsoko_flow.services.demo import load_demo
from vsoko_flow.services.transitions import fire_transition

from . import quality_flows as qf
from .conftest import School
from .flows import docx_text
from .test_requisites import numbered_from_the_second_page


def quality_cycle(rt, school) -> None:
    """The quality cycle of 2024/2025 in the same school: a plan of the year, an audit with its findings,
    the corrective-action plan adopted at a council and approved, actions executed and checked, the
    findings and the audit closed (tests/quality_flows.py)."""
    qf.plan_of_the_year(rt, school)
    cycle = qf.audit_with_findings(rt, school)
    qf.act_approved(rt, school, cycle.audit_id)
    for finding_id in cycle.findings:
        qf.analysed(rt, school, finding_id)
    plan = qf.corrective_plan(rt, school, cycle)
    qf.approve_plan(rt, school, plan)
    actions = qf.children(rt, plan, "control_item")
    for action, login in zip(actions, qf.EXECUTORS.values()):
        qf.execute(rt, school, action.id, login, qf.EXECUTED, qf.ACCEPTED)
    for action in actions:
        (check,) = qf.children(rt, action.id, "effectiveness_check")
        qf.check(rt, school, check.id, qf.CHECKED, "effective")
    for finding_id in cycle.findings:
        qf.fire(rt, finding_id, "close", school["deputy"], qf.CLOSED, closed_on=qf.CLOSED.isoformat())
    qf.fire(rt, cycle.audit_id, "close", school["deputy"], qf.CLOSED, closed_on=qf.CLOSED.isoformat())
    assert qf.artefact(rt, cycle.audit_id).state == "closed"


def councils_held(rt, school) -> int:
    """The secretary records every council meeting an adoption was put on: its protocol is produced."""
    with rt.sessions() as session:
        meetings = session.execute(select(Artefact.id, Artefact.fields).where(
            Artefact.organisation_id == school.id, Artefact.kind == "meeting", Artefact.state == "draft")
            .order_by(Artefact.id)).all()
    for meeting_id, fields in meetings:
        day = dt.date.fromisoformat(fields["meeting_date"][:10])
        present = max([a.get("present") or 0 for a in fields.get("adoptions") or []] + [30])
        qf.fire(rt, meeting_id, "hold", school["secretary"], day, present=present, chair="director")
    return len(meetings)


def one_protocol_text_per_number(session) -> int:
    """Every protocol number of a council's journal and year has one protocol text, and each extract of that
    number agrees with it (its question's words are in the protocol). Returns how many protocols were read."""
    protocols: dict[tuple, set[str]] = defaultdict(set)
    extracts: dict[tuple, list[str]] = defaultdict(list)
    for document in session.scalars(select(StoredDocument).where(
            StoredDocument.template_name.in_(("meeting_protocol", "protocol_extract")))):
        key = (document.registration_date, document.registration_number)
        assert document.registration_number, document.file_name
        text = docx_text(document.content)
        if document.template_name == "meeting_protocol":
            protocols[key].add(_protocol_body(text))
        else:
            extracts[key].append(text)
    compared = 0
    for key, texts in protocols.items():
        assert len(texts) == 1, (key, texts)
        (protocol,) = texts
        for extract in extracts.get(key, []):
            question = next(line for line in extract.splitlines() if line.startswith("СЛУШАЛИ"))
            assert question.split(":", 1)[1].strip() in protocol, (key, question)
            compared += 1
    # Every extract's number has its protocol (all meetings were held), and the extracts were read against it.
    assert set(extracts) <= set(protocols), set(extracts) - set(protocols)
    assert compared == sum(len(texts) for texts in extracts.values()) >= len(protocols)
    return len(protocols)


def _protocol_body(text: str) -> str:
    """A protocol's text without the lines that differ between copies of one protocol (the check address)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("Проверить подлинность"))


def test_the_demo_and_an_act_through_its_whole_life_produce_files_a_school_can_file(rt):
    today = dt.date.today()
    users = load_demo(rt, today)
    with rt.sessions() as session:
        school_id = session.scalar(select(Artefact.organisation_id).where(Artefact.kind == "polozhenie"))
    quality_cycle(rt, School(school_id, users))
    with rt.sessions() as session:
        act = session.scalar(select(Artefact.id).where(Artefact.kind == "polozhenie", Artefact.state == "in_force"))
    staff = ("director", "deputy", "secretary", "mo_head", "teacher", "psychologist")
    for login in staff[:-1]:
        fire_transition(rt, act, "acknowledge", users[login], today=today)
    fire_transition(rt, act, "record_acquaintance_sheet", users["deputy"], today=today,
                    fields={"sheet_date": today.isoformat()}, files={"sheet_evidence_id": ("лист.pdf", b"%PDF-1.4\n")})
    fire_transition(rt, act, "record_publication", users["deputy"], today=today,
                    fields={"publication_url": "https://school29.example/docs/vsoko.pdf",
                            "published_on": today.isoformat()})
    # The councils' meetings the plans and acts were adopted at are recorded: their protocols are produced.
    assert councils_held(rt, School(school_id, users)) >= 2

    with rt.sessions() as session:
        documents = session.scalars(select(StoredDocument).order_by(StoredDocument.id)).all()
        names = defaultdict(list)
        for document in documents:
            names[document.artefact_id].append(document.file_name.lower())
            assert numbered_from_the_second_page(document.content), document.file_name
            text = docx_text(document.content)
            assert SIMPLE_HEADING not in text and QUALIFIED_HEADING not in text, document.file_name
        assert len(documents) > 10
        for artefact_id, files in names.items():
            repeated = [name for name, count in Counter(files).items() if count > 1]
            assert repeated == [], (artefact_id, repeated)

        entries = session.execute(select(Journal.code, JournalEntry.period_key, JournalEntry.number,
                                         JournalEntry.sequence, JournalEntry.registered_on)
                                  .join(Journal, Journal.id == JournalEntry.journal_id)
                                  .order_by(Journal.code, JournalEntry.period_key, JournalEntry.sequence)).all()
        assert entries
        numbers = Counter((code, period, number) for code, period, number, _, _ in entries)
        assert [key for key, count in numbers.items() if count > 1] == []
        for (code, period, _, _, day), (code2, period2, _, _, next_day) in zip(entries, entries[1:]):
            if (code, period) == (code2, period2):
                assert day <= next_day, (code, period, day, next_day)

        in_force = Counter(session.scalars(select(Artefact.act_type_id).where(
            Artefact.state == "in_force", Artefact.act_type_id.is_not(None))))
        assert in_force and max(in_force.values()) == 1
        fields = session.get(Artefact, act).fields
        assert fields["acquaintance_progress"] == f"{len(staff)} из {len(staff)}"
        assert fields["acquaintance_done"] == fields["publication_done"] == today.isoformat()
        assert one_protocol_text_per_number(session) >= 3
