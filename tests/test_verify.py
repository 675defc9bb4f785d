"""`vsoko verify`: every history chain and every stored document re-checked; tampering is caught."""
from __future__ import annotations

import hashlib
import io

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select, text

from vsoko_flow.models import HistoryEntry, Signature, StoredDocument
from vsoko_flow.services.signatures import print_copy
from vsoko_flow.services.verify import verify_store

from .flows import REQUEST_DAY, STUDENTS_DAY, docx_text, fire, new_draft, record_opinions, take_to_force
from .test_cli import run_vsoko


@pytest.fixture
def act_in_force(rt, school) -> int:
    """A Положение taken through its whole life: 7 history entries, 7 documents."""
    artefact_id, _ = take_to_force(rt, school)
    return artefact_id


def execute(rt, sql: str, **params) -> None:
    """Tamper with the database directly, as someone with access to the file or the server would."""
    with rt.engine.begin() as connection:
        assert connection.execute(text(sql), params).rowcount == 1


def entry(rt, artefact_id: int, sequence: int) -> HistoryEntry:
    with rt.sessions() as session:
        return session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == artefact_id,
                                                          HistoryEntry.sequence == sequence)).one()


def approval_order(rt, artefact_id: int) -> StoredDocument:
    with rt.sessions() as session:
        doc = session.scalars(select(StoredDocument).where(StoredDocument.artefact_id == artefact_id,
                                                           StoredDocument.template_name == "order_approval")).one()
        doc.content  # noqa: B018 - load the deferred bytes before the session closes
        return doc


def refused_by_cli(settings, expected_problem: str) -> None:
    result = run_vsoko(settings, "verify")
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == f"Нарушена целостность: {expected_problem}"


def test_untouched_store_is_confirmed(rt, settings, act_in_force):
    report = verify_store(rt)
    assert report.ok, report.problems
    # The act and the council's meeting it was adopted at (its «create» and «add_adoption» entries).
    assert (report.artefacts, report.entries, report.documents) == (2, 9, 7)
    result = run_vsoko(settings, "verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Целостность подтверждена:")
    assert result.stderr == ""


def test_verify_counts_agree_with_their_russian_nouns(settings, act_in_force):
    result = run_vsoko(settings, "verify")
    assert result.stdout.strip() == "Целостность подтверждена: 2 документа, 9 записей истории, 7 файлов."


@pytest.mark.parametrize(("column", "sequence", "value"), [
    ("comment", 3, "Мнение совета записано задним числом"),
    ("to_state", 7, "adopted"),
    ("actor_name", 6, "Соколова Марина Борисовна"),
])
def test_edited_history_entry_is_caught_and_named(rt, settings, act_in_force, column, sequence, value):
    tampered = entry(rt, act_in_force, sequence)
    execute(rt, f"UPDATE history_entries SET {column} = :value WHERE id = :id", value=value, id=tampered.id)
    problem = (f"история документа № {act_in_force}, запись {sequence} (id {tampered.id}): "
               "содержимое записи изменено: хеш не совпадает")
    assert verify_store(rt).problems == [problem]
    refused_by_cli(settings, problem)


def test_one_changed_byte_of_a_document_is_caught(rt, settings, act_in_force):
    doc = approval_order(rt, act_in_force)
    content = bytearray(doc.content)
    content[len(content) // 2] ^= 0x01
    execute(rt, "UPDATE documents SET content = :content WHERE id = :id", content=bytes(content), id=doc.id)
    problem = (f"документ № {doc.id} («{doc.file_name}», артефакт {act_in_force}): "
               "содержимое файла не совпадает с сохранённым SHA-256")
    assert verify_store(rt).problems == [problem]
    refused_by_cli(settings, problem)


def test_document_swapped_together_with_its_hash_is_caught_by_the_history(rt, settings, act_in_force):
    doc = approval_order(rt, act_in_force)
    forged = Document(io.BytesIO(doc.content))
    for node in forged.element.body.iter(qn("w:t")):  # the order number sits in a table cell
        node.text = (node.text or "").replace("Ш29-13-1/5", "Ш29-13-9/5")
    buffer = io.BytesIO()
    forged.save(buffer)
    data = buffer.getvalue()
    assert "Ш29-13-9/5" in docx_text(data)
    execute(rt, "UPDATE documents SET content = :content, sha256 = :sha256, size = :size WHERE id = :id",
            content=data, sha256=hashlib.sha256(data).hexdigest(), size=len(data), id=doc.id)
    problem = (f"документ № {doc.id} («{doc.file_name}», артефакт {act_in_force}): "
               "SHA-256 не записан в истории — файл подменён вместе с хешем")
    assert verify_store(rt).problems == [problem]
    refused_by_cli(settings, problem)


def test_deleted_last_history_entry_is_caught(rt, settings, act_in_force):
    execute(rt, "DELETE FROM history_entries WHERE id = :id", id=entry(rt, act_in_force, 7).id)
    problems = verify_store(rt).problems
    state_problem = (f"история документа № {act_in_force}: последняя сохранённая запись 7 отсутствует "
                     "(в цепочке 6 записей) — записи удалены")
    assert problems[0] == state_problem
    assert len(problems) == 4  # and the three documents of the approval are no longer in the history
    refused_by_cli(settings, state_problem)


def test_deleted_middle_history_entry_breaks_the_chain(rt, act_in_force):
    execute(rt, "DELETE FROM history_entries WHERE id = :id", id=entry(rt, act_in_force, 3).id)
    fourth = entry(rt, act_in_force, 4)
    assert verify_store(rt).problems[0] == (f"история документа № {act_in_force}, запись 4 (id {fourth.id}): "
                                            "пропущена или переставлена запись: ожидался номер 3")


def test_deleted_last_opinion_entry_is_caught(rt, school):
    """The last entry does not change the state (opinions → opinions) and has no documents."""
    artefact_id = new_draft(rt, school)
    record_opinions(rt, school, artefact_id)
    assert verify_store(rt).ok
    execute(rt, "DELETE FROM history_entries WHERE id = :id", id=entry(rt, artefact_id, 4).id)
    assert not verify_store(rt).ok


def test_deleted_document_is_caught(rt, school):
    """The history lists the hash of a document that is no longer in the store."""
    artefact_id = new_draft(rt, school)
    fired = fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY,
                 request_date=REQUEST_DAY.isoformat())
    assert verify_store(rt).ok
    # A tamperer removes the letter's pending signature too (it refers to the document).
    execute(rt, "DELETE FROM signatures WHERE document_id = :id", id=fired.documents[0]["id"])
    execute(rt, "DELETE FROM documents WHERE id = :id", id=fired.documents[0]["id"])
    assert not verify_store(rt).ok


def test_state_changed_behind_the_history_is_caught(rt, school):
    artefact_id = new_draft(rt, school)
    fire(rt, artefact_id, "send_for_opinions", school["deputy"], REQUEST_DAY, request_date=REQUEST_DAY.isoformat())
    fire(rt, artefact_id, "record_opinion", school["secretary"], STUDENTS_DAY, opinion_body="student_council",
         opinion_date=STUDENTS_DAY.isoformat(), opinion_protocol_number="3", opinion_result="positive")
    execute(rt, "UPDATE artefacts SET state = 'in_force' WHERE id = :id", id=artefact_id)
    assert verify_store(rt).problems == [
        f"документ № {artefact_id}: состояние «in_force» не совпадает с последней записью истории «opinions» "
        "(состояние изменено в обход истории)"]


def test_a_signature_set_behind_the_history_is_caught(rt, settings, act_in_force):
    """A row switched to «signed» in the database would put a mark on the printed copy: verify names it."""
    with rt.sessions() as session:
        signature_id = session.scalars(select(Signature.id).where(Signature.artefact_id == act_in_force)
                                       .order_by(Signature.id)).first()
        sha256 = session.scalars(select(StoredDocument.sha256).join(Signature, Signature.document_id == StoredDocument.id)
                                 .where(Signature.id == signature_id)).one()
    execute(rt, "UPDATE signatures SET state = 'signed', kind = 'simple', document_sha256 = :sha, "
                "signed_at = '2025-04-03 10:00:00' WHERE id = :id", sha=sha256, id=signature_id)
    report = verify_store(rt)
    assert len(report.problems) == 1 and "отметка о ней подделана" in report.problems[0]
    # …and the printed copy carries no mark for it.
    with rt.sessions() as session:
        document_id = session.get(Signature, signature_id).document_id
    assert "Подписано простой электронной подписью" not in docx_text(print_copy(rt, document_id, None)[1])
