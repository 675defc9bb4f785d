"""Records a school can file (issue 9, «must show»): the whole demo and a Положение's full life with its
ознакомление and размещение are run, every produced document is opened, and

- every document numbers its pages from the second (so a multi-page one carries page numbers);
- no two documents of one artefact have one file name;
- every registered number is unique in its journal and year, and the journals are in date order;
- no stored document prints an e-signature mark (the mark goes only on the print copy of a verified
  signature, services/signatures.py), and no act type has two editions in force."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from sqlalchemy import select

from vsoko_flow.documents.marks import QUALIFIED_HEADING, SIMPLE_HEADING
from vsoko_flow.models import Artefact, Journal, JournalEntry, StoredDocument
from vsoko_flow.services.demo import load_demo
from vsoko_flow.services.transitions import fire_transition

from .flows import docx_text
from .test_requisites import numbered_from_the_second_page


def test_the_demo_and_an_act_through_its_whole_life_produce_files_a_school_can_file(rt):
    today = dt.date.today()
    users = load_demo(rt, today)
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
