"""Requisites and language (issue 9.6) and telling file names (issue 9.8): page numbers from page 2 in the
header, «в новой редакции» only on a superseding edition, the council's grif by the act's type, agreed
prepositions and counts, and no two documents of one artefact with one file name."""
from __future__ import annotations

import io

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select

from vsoko_flow.config import PROJECT_ROOT
from vsoko_flow.documents.russian import preposition_s
from vsoko_flow.models import StoredDocument
from vsoko_flow.procedures.meetings import responsible_label
from vsoko_flow.services.act_types import add_act_type, list_act_types
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.transitions import fire_transition

from .data import polozhenie_text
from .flows import COUNCIL_DAY, REQUEST_DAY, adopt, approve, docx_text, new_draft, record_opinions, take_to_force

TEMPLATES = sorted((PROJECT_ROOT / "document_templates").glob("*.docx"))


def stored(rt, artefact_id: int) -> list[StoredDocument]:
    with rt.sessions() as session:
        documents = session.scalars(select(StoredDocument).where(StoredDocument.artefact_id == artefact_id)
                                    .order_by(StoredDocument.id)).all()
        for document in documents:
            document.content  # noqa: B018 - loaded before the session closes
        return list(documents)


def approved_text(rt, artefact_id: int) -> StoredDocument:
    return [d for d in stored(rt, artefact_id) if d.template_name == "polozhenie"][-1]


def numbered_from_the_second_page(data: bytes) -> bool:
    """Every section: a first page of its own (titlePg) and a centred PAGE field in the default header."""
    document = Document(io.BytesIO(data))
    for section in document.sections:
        if section._sectPr.find(qn("w:titlePg")) is None:  # noqa: SLF001 - python-docx has no reader for it
            return False
        header = section.header._element  # noqa: SLF001
        instructions = "".join(t.text or "" for t in header.iter(qn("w:instrText")))
        if "PAGE" not in instructions:
            return False
        if not any(j.get(qn("w:val")) == "center" for j in header.iter(qn("w:jc"))):
            return False
    return True


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_every_shipped_template_numbers_its_pages_from_the_second_in_the_header(template):
    assert numbered_from_the_second_page(template.read_bytes())


def test_every_document_of_an_act_carries_the_page_numbers(rt, school):
    act, _ = take_to_force(rt, school)
    documents = stored(rt, act)
    assert documents and all(numbered_from_the_second_page(d.content) for d in documents)


def test_a_new_edition_note_only_on_an_edition_that_supersedes_another(rt, school):
    first, _ = take_to_force(rt, school)
    act = approved_text(rt, first)
    order = next(d for d in stored(rt, first) if d.template_name == "order_approval")
    assert "в новой редакции" not in docx_text(act.content)
    assert "в новой редакции" not in docx_text(order.content)
    second, _ = take_to_force(rt, school, supersedes=first, day=COUNCIL_DAY.replace(month=4, day=10))
    edition = approved_text(rt, second)
    assert "(в новой редакции)" in docx_text(edition.content)


def test_the_council_grif_follows_the_act_type(rt, school):
    adopted_act, _ = take_to_force(rt, school)
    text = docx_text(approved_text(rt, adopted_act).content)
    assert "ПРИНЯТО\nна заседании педагогического совета" in text and "СОГЛАСОВАНО" not in text

    agreed = add_act_type(rt, school.id, name="Положение о системе оплаты труда работников школы",
                          council_grif="agreed")
    act = new_draft(rt, school, title="Положение об оплате труда", act_type=agreed.id)
    record_opinions(rt, school, act)
    adopt(rt, school, act)
    approve(rt, school, act, COUNCIL_DAY.replace(month=4, day=10))
    text = docx_text(approved_text(rt, act).content)
    assert "СОГЛАСОВАНО\nПедагогическим советом" in text and "ПРИНЯТО" not in text
    assert {t.name: t.council_grif for t in list_act_types(rt, school.id)}[agreed.name] == "agreed"


def test_file_names_tell_the_council_the_edition_stage_and_never_repeat_within_an_act(rt, school):
    act = create_artefact(rt, school["deputy"], school.id, "polozhenie", title="Положение о ВСОКО",
                          school_year="2024/2025", fields={"affects_staff": True}, sections_text=polozhenie_text(),
                          today=REQUEST_DAY)
    fire_transition(rt, act, "send_for_opinions", school["deputy"], fields={"request_date": REQUEST_DAY.isoformat()},
                    today=REQUEST_DAY)
    letters = [d.file_name for d in stored(rt, act) if d.template_name == "opinion_request"]
    assert sorted(letters) == sorted([
        f"Запрос мнения Совета обучающихся от {REQUEST_DAY:%d.%m.%Y}.docx",
        f"Запрос мнения Совета родителей от {REQUEST_DAY:%d.%m.%Y}.docx",
        f"Запрос мнения первичной профсоюзной организации от {REQUEST_DAY:%d.%m.%Y}.docx"])
    union = next(d for d in stored(rt, act) if "профсоюзной" in d.file_name)
    assert "В соответствии со статьёй 372 Трудового кодекса" in docx_text(union.content)
    # Sent to the council twice (returned in between): two drafts, two names.
    for body, day, number in (("student_council", REQUEST_DAY, "3"), ("parents_council", REQUEST_DAY, "4"),
                              ("trade_union", REQUEST_DAY, "5")):
        fire_transition(rt, act, "record_opinion", school["secretary"], today=day, fields={
            "opinion_body": body, "opinion_date": day.isoformat(), "opinion_protocol_number": number,
            "opinion_result": "positive"})
    fire_transition(rt, act, "send_to_council", school["deputy"], today=COUNCIL_DAY)
    fire_transition(rt, act, "return_to_draft", school["deputy"], today=COUNCIL_DAY, comment="Уточнить раздел 2")
    fire_transition(rt, act, "send_to_council", school["deputy"], today=COUNCIL_DAY)
    fire_transition(rt, act, "adopt", school["secretary"], today=COUNCIL_DAY, fields={
        "protocol_date": COUNCIL_DAY.isoformat(), "present": 30, "votes_for": 30, "votes_against": 0,
        "votes_abstained": 0})
    approve(rt, school, act)
    names = [d.file_name for d in stored(rt, act)]
    assert len(names) == len({n.lower() for n in names}), names
    assert "Положение о ВСОКО — проект.docx" in names and "Положение о ВСОКО — проект (2).docx" in names
    assert "Положение о ВСОКО — утверждённая редакция.docx" in names
    assert any(n.startswith("Выписка из протокола от ") and n.endswith(", вопрос 1.docx") for n in names)


def test_prepositions_and_counts_agree():
    assert [preposition_s(w) for w in ("статьёй 372", "частью 3", "всеми", "собой")] == ["со", "с", "со", "с"]
    assert responsible_label("Петрова А.С.") == "Ответственный"
    assert responsible_label("Петрова А.С., Смирнов А.В.") == "Ответственные"


def test_a_draft_is_dated_under_its_grif(rt, school):
    act = new_draft(rt, school, title="Положение о ВСОКО")
    record_opinions(rt, school, act)
    fire_transition(rt, act, "send_to_council", school["deputy"], today=COUNCIL_DAY)
    draft = approved_text(rt, act)  # the only Положение stored: the draft taken to the council
    assert draft.file_name == "Положение о ВСОКО — проект.docx"
    assert f"ПРОЕКТ\nот {COUNCIL_DAY:%d.%m.%Y}" in docx_text(draft.content)


def test_outgoing_letters_carry_a_number_of_the_outgoing_journal_the_schools_requisites_and_the_executor(rt, school):
    from vsoko_flow.models import Journal, JournalEntry, Membership
    from vsoko_flow.services.admin import update_requisites

    update_requisites(rt, school.id, full_name="Муниципальное бюджетное общеобразовательное учреждение средняя "
                      "общеобразовательная школа № 29", short_name="МБОУ СОШ № 29", city="г. Сургут",
                      address="628400, г. Сургут, ул. Школьная, д. 1", phone="8 (3462) 52-00-29",
                      email="school29@surgut.example")
    with rt.sessions() as session:
        deputy = session.scalars(select(Membership).where(Membership.organisation_id == school.id,
                                                          Membership.user_id == school["deputy"])).one()
        deputy_name = f"{deputy.user.last_name} {deputy.user.first_name[0]}.{deputy.user.middle_name[0]}."
    later = REQUEST_DAY.replace(day=REQUEST_DAY.day + 3)
    acts = []
    for title, day in (("Положение о ВСОКО", REQUEST_DAY), ("Положение о порядке приёма", later)):
        act = create_artefact(rt, school["deputy"], school.id, "polozhenie", title=title, school_year="2024/2025",
                              fields={"affects_students": True, "affects_staff": True},
                              sections_text=polozhenie_text(), today=day)
        fire_transition(rt, act, "send_for_opinions", school["deputy"], today=day,
                        fields={"request_date": day.isoformat(), "chair_parents_council": "Смирновой Е.В."})
        acts.append(act)
    numbers = []
    for act, day in zip(acts, (REQUEST_DAY, later)):
        letters = [d for d in stored(rt, act) if d.template_name == "opinion_request"]
        assert len(letters) == 3
        for letter in letters:
            text = docx_text(letter.content)
            for requisite in ("628400, г. Сургут, ул. Школьная, д. 1", "тел. 8 (3462) 52-00-29",
                              "e-mail: school29@surgut.example", f"Исп. {deputy_name}, тел. 8 (3462) 52-00-29"):
                assert requisite in text, (requisite, text)
            # The addressee: the council, and its chair by name where the school knows them.
            assert any(body in text.splitlines() for body in (
                "Председателю Совета обучающихся", "Председателю Совета родителей Смирновой Е.В.",
                "Председателю первичной профсоюзной организации")), text
            number = text.split(f"{day:%d.%m.%Y} № ", 1)[1].split()[0]
            assert "\x00" not in number and number.isdigit(), text
            numbers.append(number)
    assert len(set(numbers)) == 6
    with rt.sessions() as session:
        journal = session.scalars(select(Journal).where(Journal.organisation_id == school.id,
                                                        Journal.code == "outgoing")).one()
        entries = session.scalars(select(JournalEntry).where(JournalEntry.journal_id == journal.id)
                                  .order_by(JournalEntry.sequence)).all()
        assert sorted(numbers, key=int) == [e.number for e in entries]
        days = [e.registered_on for e in entries]
        assert days == sorted(days) and days[0] == REQUEST_DAY and days[-1] == later
    # A letter dated before the last one sent is refused: the outgoing journal is kept in date order.
    back = create_artefact(rt, school["deputy"], school.id, "polozhenie", title="Положение о школьной форме",
                           school_year="2024/2025", fields={"affects_students": True},
                           sections_text=polozhenie_text(), today=later)
    from vsoko_flow.services.errors import ServiceError
    with pytest.raises(ServiceError, match=f"от {later:%d.%m.%Y}"):
        fire_transition(rt, back, "send_for_opinions", school["deputy"],
                        fields={"request_date": REQUEST_DAY.isoformat()}, today=later)
    assert not [d for d in stored(rt, back) if d.template_name == "opinion_request"]


def signature_tables(data: bytes):
    """(document, signature table element) of every signature block: a table with a vsoko_sign_ bookmark."""
    document = Document(io.BytesIO(data))
    for table in document.element.body.iterchildren(qn("w:tbl")):
        if any((b.get(qn("w:name")) or "").startswith("vsoko_sign_") for b in table.iter(qn("w:bookmarkStart"))):
            yield document, table


def kept_with_the_signature(document, table) -> tuple[str, bool]:
    """The last paragraph of text before the block, and whether it and every empty line up to the block
    keep with the next (Word's «не отрывать от следующего»)."""
    from docx.text.paragraph import Paragraph

    element = table.getprevious()
    kept = True
    while element is not None and element.tag == qn("w:p"):
        paragraph = Paragraph(element, document)
        kept = kept and bool(paragraph.paragraph_format.keep_with_next)
        if paragraph.text.strip():
            return paragraph.text.strip(), kept
        element = element.getprevious()
    return "", kept


def test_the_signature_block_is_kept_with_the_last_paragraph_of_text(rt, school):
    act, _ = take_to_force(rt, school, title="Положение о ВСОКО")
    documents = {d.template_name: d for d in stored(rt, act)}
    assert {"order_approval", "opinion_request", "protocol_extract"} <= documents.keys()
    checked = 0
    for name in ("order_approval", "opinion_request", "protocol_extract"):
        blocks = list(signature_tables(documents[name].content))
        assert blocks, name
        for document, table in blocks:
            last_text, kept = kept_with_the_signature(document, table)
            assert last_text and kept, (name, last_text)
            checked += 1
    order_blocks = list(signature_tables(documents["order_approval"].content))
    assert kept_with_the_signature(*order_blocks[0])[0] == "Приложение: Положение о ВСОКО."
    # Only the end is glued: the order's first items are free to move to another page.
    document = order_blocks[0][0]
    first_item = next(p for p in document.paragraphs if p.text.startswith("1. Утвердить "))
    assert not first_item.paragraph_format.keep_with_next
    assert checked >= 3
