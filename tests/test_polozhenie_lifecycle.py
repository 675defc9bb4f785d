"""The whole life of a Положение: every document read back and checked for its requisites."""
from __future__ import annotations

from sqlalchemy import select

from vsoko_flow.models import Artefact, Journal, JournalEntry, StoredDocument
from vsoko_flow.services.artefacts import show_artefact

from .flows import (
    COUNCIL_DAY, ORDER_DAY, adopt, approve, docx_text, fire, new_draft, record_opinions, take_to_force,
)


def documents_of(rt, artefact_id: int, sequence: int | None = None) -> dict[str, bytes]:
    with rt.sessions() as session:
        query = select(StoredDocument).where(StoredDocument.artefact_id == artefact_id)
        if sequence is not None:
            query = query.where(StoredDocument.history_sequence == sequence)
        return {f"{d.template_name}:{d.id}": d.content for d in session.scalars(query)}


def only(docs: dict[str, bytes], template: str) -> str:
    matching = [data for key, data in docs.items() if key.startswith(f"{template}:")]
    assert len(matching) == 1, f"expected one {template}, got {len(matching)}"
    return docx_text(matching[0])


def test_new_edition_goes_from_draft_to_in_force_and_supersedes_the_old(rt, school):
    first_id, _ = take_to_force(rt, school)
    second_id = new_draft(rt, school, supersedes=first_id)
    record_opinions(rt, school, second_id)
    adopted = adopt(rt, school, second_id)
    approved = approve(rt, school, second_id, day=ORDER_DAY.replace(year=2025, month=9, day=1))

    assert adopted.to_state == "adopted"
    assert approved.to_state == "in_force"
    first, second = show_artefact(rt, first_id, school["deputy"]), show_artefact(rt, second_id, school["deputy"])
    assert first["state"] == "superseded"
    assert second["state"] == "in_force"
    assert first["history"][-1]["trigger"] == "supersede"
    assert first["fields"]["order_number"] == "Ш29-13-1/5"
    assert second["fields"]["order_number"] == "Ш29-13-2/5"

    order = only(documents_of(rt, second_id, approved.documents[0]["history_sequence"]), "order_approval")
    assert "ПРИКАЗ" in order
    assert "01.09.2025" in order and "Ш29-13-2/5" in order
    assert ("Ввести в действие Положение о внутренней системе оценки качества образования (в новой редакции) "
            "с 1 сентября 2025 г.") in order
    assert "Об утверждении Положения о внутренней системе оценки качества образования" in order
    assert "приказываю:" in order
    assert ("Признать утратившим силу Положение о внутренней системе оценки качества образования, "
            "утверждённое приказом от 03.04.2025 № Ш29-13-1/5") in order
    assert "заместителя директора по УВР Иванову И.И." in order
    assert "Заместителю директора по УВР Ивановой И.И. ознакомить" in order
    assert "Контроль за исполнением приказа оставляю за собой" in order
    assert "М.Б. Соколова" in order
    # Stored unsigned, though the director's certificate is on file: a mark only for a signature made.
    assert "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ" not in order
    assert "Владелец:" not in order


def test_every_step_renders_its_documents_with_requisites(rt, school):
    artefact_id = new_draft(rt, school)
    record_opinions(rt, school, artefact_id)
    docs = documents_of(rt, artefact_id)
    requests = [docx_text(data) for key, data in docs.items() if key.startswith("opinion_request:")]
    assert len(requests) == 2
    assert any("Председателю Совета обучающихся" in text for text in requests)
    assert any("Председателю Совета родителей" in text for text in requests)
    assert all("17.03.2025" in text for text in requests)  # 5 working days after 10.03.2025

    adopted = adopt(rt, school, artefact_id)
    extract = only(documents_of(rt, artefact_id, adopted.documents[0]["history_sequence"]), "protocol_extract")
    assert "ВЫПИСКА ИЗ ПРОТОКОЛА" in extract
    assert "педагогического совета" in extract
    assert COUNCIL_DAY.strftime("%d.%m.%Y") in extract
    assert "Верно" in extract
    assert "40" in extract and "42" in extract
    assert "Иванову И.И., заместителя директора по УВР" in extract
    assert "Секретарь педагогического совета" in extract

    approved = approve(rt, school, artefact_id)
    step = documents_of(rt, artefact_id, approved.documents[0]["history_sequence"])
    act = only(step, "polozhenie")
    assert "ПОЛОЖЕНИЕ" in act.upper()
    # The council adopts a Положение (its own text says acts are «принимаются»): the grif says so.
    assert "ПРИНЯТО" in act and "на заседании педагогического совета" in act and "СОГЛАСОВАНО" not in act
    assert f"от {COUNCIL_DAY:%d.%m.%Y} № 1" in act
    assert "УТВЕРЖДЕНО" in act and "Ш29-13-1/5" in act
    assert "Принято с учётом мнения Совета обучающихся" in act
    assert "1.1. Положение о внутренней системе оценки качества образования (далее — Положение, ВСОКО)" in act
    assert "ПРОЕКТ" not in act
    sheet = only(step, "acquaintance_sheet")
    assert "ЛИСТ ОЗНАКОМЛЕНИЯ" in sheet.upper()
    assert "Кузнецов Д.О." in sheet and "Учитель физики" in sheet


def test_publication_deadline_counts_russian_working_days(rt, school):
    artefact_id, _ = take_to_force(rt, school)
    fields = show_artefact(rt, artefact_id, school["director"])["fields"]
    # 03.04.2025 + 10 working days = 17.04.2025; acquaintance: 5 working days = 10.04.2025.
    assert fields["publication_deadline"] == "2025-04-17"
    assert fields["acquaintance_deadline"] == "2025-04-10"


def test_order_numbers_are_registered_in_the_journal(rt, school):
    take_to_force(rt, school, title="Положение о ВСОКО")
    take_to_force(rt, school, title="Положение о рабочей группе по ВСОКО")
    with rt.sessions() as session:
        numbers = [e.number for e in session.scalars(select(JournalEntry).join(JournalEntry.journal)
                                                     .where(Journal.code != "outgoing").order_by(JournalEntry.id))]
        letters = session.scalars(select(JournalEntry).join(JournalEntry.journal)
                                  .where(Journal.code == "outgoing").order_by(JournalEntry.id)).all()
    assert numbers == ["1", "Ш29-13-1/5", "Ш29-13-2/5"]  # one protocol for the meeting, two orders
    # each act's letters to its councils, numbered on in the journal of outgoing documents
    assert [e.number for e in letters] == [str(n) for n in range(1, len(letters) + 1)] and len(letters) >= 2


def test_returned_draft_keeps_its_history_and_can_be_withdrawn(rt, school):
    artefact_id = new_draft(rt, school, affects_students=False)
    fire(rt, artefact_id, "send_to_council", school["deputy"], COUNCIL_DAY)
    from vsoko_flow.services.transitions import fire_transition

    fire_transition(rt, artefact_id, "return_to_draft", school["secretary"], comment="Уточнить раздел 4",
                    today=COUNCIL_DAY)
    fire_transition(rt, artefact_id, "withdraw", school["deputy"], comment="Заменён другим проектом",
                    today=COUNCIL_DAY)
    data = show_artefact(rt, artefact_id, school["deputy"])
    assert data["state"] == "withdrawn"
    assert [h["trigger"] for h in data["history"]] == ["create", "send_to_council", "return_to_draft", "withdraw"]
    assert data["history"][2]["comment"] == "Уточнить раздел 4"
    with rt.sessions() as session:
        assert session.get(Artefact, artefact_id).version == 4
