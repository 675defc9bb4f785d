"""Signatures that are true: documents are stored unsigned and wait for their signers; a simple
e-signature (password again) or a qualified one (a GOST CMS file verified against the stored bytes
and the signer's own certificate) closes the wait; the mark appears only on the printed copy."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io

import pytest
from docx import Document
from sqlalchemy import func, select

from tests.flows import ORDER_DAY, approve, docx_text, new_draft, record_opinions, adopt, take_to_force
from tests.test_meetings import held, journals  # noqa: F401 - fixtures: a held педсовет with its protocol
from tests.gost_keys import OpenSslSigner, PythonSigner, require_openssl_gost, valid_now
from vsoko_flow.documents.marks import QUALIFIED_HEADING, SIMPLE_HEADING
from vsoko_flow.models import HistoryEntry, Membership, Signature, StoredDocument
from vsoko_flow.services.demo import DEMO_PASSWORD
from vsoko_flow.services.errors import Conflict, Forbidden, Unprocessable
from vsoko_flow.services.signatures import (
    decline, document_signatures, print_copy, sign_qualified, sign_simple,
)
from vsoko_flow.services.verify import verify_store

DIRECTOR = "Соколова Марина Борисовна"


def _stored(rt, document_id: int) -> tuple[bytes, str]:
    with rt.sessions() as session:
        document = session.get(StoredDocument, document_id)
        return document.content, document.sha256


def _pending(rt, artefact_id: int, template: str) -> Signature:
    with rt.sessions() as session:
        return session.scalars(select(Signature).join(StoredDocument, StoredDocument.id == Signature.document_id)
                               .where(Signature.artefact_id == artefact_id, StoredDocument.template_name == template)
                               .order_by(Signature.id.desc())).first()


def _history_length(rt, artefact_id: int) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(HistoryEntry).where(HistoryEntry.artefact_id == artefact_id))


def _certificate_on_file(rt, user_id: int, serial: str = "") -> None:
    with rt.sessions.begin() as session:
        membership = session.scalars(select(Membership).where(Membership.user_id == user_id)).first()
        membership.cert_serial = serial


@pytest.fixture
def order(rt, school):
    """An approved Положение: its order waits for the director's signature."""
    artefact_id, approved = take_to_force(rt, school)
    signature = _pending(rt, artefact_id, "order_approval")
    return {"artefact_id": artefact_id, "signature_id": signature.id, "document_id": signature.document_id}


def test_an_approved_act_waits_for_its_signers_and_prints_no_mark(rt, school, order):
    """The director's certificate is on file (demo school), yet nothing is signed: no mark anywhere."""
    listed = document_signatures(rt, order["document_id"], school["director"])
    assert [(s["slot"], s["state"], s["signer"]["name"], s["capacity"]) for s in listed] == [
        ("director", "pending", "Соколова М.Б.", "Директор")]
    assert listed[0]["due_date"] == "2025-04-04"  # one working day after the order of 03.04.2025
    content, _ = _stored(rt, order["document_id"])
    _, printed = print_copy(rt, order["document_id"], school["director"])
    assert printed == content  # nothing signed: the printed copy is the stored document itself
    for text in (docx_text(content), docx_text(printed)):
        assert QUALIFIED_HEADING not in text and SIMPLE_HEADING not in text
    # The act itself (approved) waits too; its acquaintance sheet is not signed in the system.
    assert _pending(rt, order["artefact_id"], "polozhenie").state == "pending"
    assert _pending(rt, order["artefact_id"], "acquaintance_sheet") is None


def test_a_draft_is_never_waiting_for_a_signature(rt, school):
    artefact_id = new_draft(rt, school)
    record_opinions(rt, school, artefact_id)
    adopt(rt, school, artefact_id)
    with rt.sessions() as session:
        drafts = session.scalars(select(StoredDocument).where(StoredDocument.artefact_id == artefact_id,
                                                              StoredDocument.template_name == "polozhenie")).all()
        assert drafts and not session.scalars(select(Signature).where(
            Signature.document_id.in_([d.id for d in drafts]))).all()
    # …while the letters to the councils wait for the director, and the extract for the secretary.
    letters = document_signatures(rt, _pending(rt, artefact_id, "opinion_request").document_id, school["deputy"])
    assert [(s["slot"], s["signer"]["login"]) for s in letters] == [("director", "director")]
    extract = _pending(rt, artefact_id, "protocol_extract")
    assert (extract.slot, extract.signer_id) == ("certifier", school["secretary"])


# --------------------------------------------------------------------------- simple e-signature


def test_simple_signature_needs_the_signers_password_and_marks_only_the_printed_copy(rt, school, order):
    before = _history_length(rt, order["artefact_id"])
    with pytest.raises(Unprocessable, match="Пароль неверный"):
        sign_simple(rt, order["signature_id"], school["director"], "не тот пароль")
    assert _pending(rt, order["artefact_id"], "order_approval").state == "pending"
    assert _history_length(rt, order["artefact_id"]) == before

    content, sha256 = _stored(rt, order["document_id"])
    signed = sign_simple(rt, order["signature_id"], school["director"], DEMO_PASSWORD)
    assert (signed["state"], signed["kind"], signed["document_sha256"]) == ("signed", "simple", sha256)
    assert _stored(rt, order["document_id"]) == (content, sha256)  # the signed bytes never change

    name, printed = print_copy(rt, order["document_id"], school["deputy"])
    assert name.endswith("(для печати).docx")
    text = docx_text(printed)
    assert text.count(SIMPLE_HEADING) == 1 and QUALIFIED_HEADING not in text
    assert DIRECTOR in text
    local = dt.datetime.fromisoformat(signed["signed_at"]).replace(tzinfo=dt.UTC).astimezone(
        dt.timezone(dt.timedelta(hours=3)))
    assert f"{local:%d.%m.%Y %H:%M} (UTC+3)" in text
    # The mark stands in the signature block, between the position and the name.
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines.index("Директор") < lines.index(SIMPLE_HEADING) < lines.index("М.Б. Соколова")

    entry = _last_entry(rt, order["artefact_id"])
    assert entry.trigger == "sign" and entry.fields["sha256"] == sha256 and entry.fields["kind"] == "simple"
    assert verify_store(rt).ok


def _last_entry(rt, artefact_id: int) -> HistoryEntry:
    with rt.sessions() as session:
        return session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == artefact_id)
                               .order_by(HistoryEntry.sequence.desc())).first()


def test_only_the_signer_signs_and_only_once(rt, school, order):
    with pytest.raises(Forbidden, match="подписывает Соколова Марина Борисовна"):
        sign_simple(rt, order["signature_id"], school["deputy"], DEMO_PASSWORD)
    sign_simple(rt, order["signature_id"], school["director"], DEMO_PASSWORD)
    with pytest.raises(Conflict, match="уже закрыта"):
        sign_simple(rt, order["signature_id"], school["director"], DEMO_PASSWORD)
    with pytest.raises(Conflict):
        sign_qualified(rt, order["signature_id"], school["director"], valid_now(DIRECTOR).sign(b"x"))


def test_the_signer_may_decline_with_a_reason(rt, school, order):
    with pytest.raises(Unprocessable, match="причину"):
        decline(rt, order["signature_id"], school["director"], "  ")
    declined = decline(rt, order["signature_id"], school["director"], "Неверная дата введения в действие")
    assert declined["state"] == "declined"
    _, printed = print_copy(rt, order["document_id"], school["director"])
    assert SIMPLE_HEADING not in docx_text(printed) and QUALIFIED_HEADING not in docx_text(printed)
    assert _last_entry(rt, order["artefact_id"]).fields["reason"] == "Неверная дата введения в действие"


# --------------------------------------------------------------------------- qualified e-signature (GOST)


def _refused(rt, school, order, signature: bytes, message: str) -> None:
    """Refused with the message, and nothing stored: still pending, no history, no file."""
    before = _history_length(rt, order["artefact_id"])
    with pytest.raises(Unprocessable, match=message):
        sign_qualified(rt, order["signature_id"], school["director"], signature)
    with rt.sessions() as session:
        row = session.get(Signature, order["signature_id"])
        assert (row.state, row.kind, row.cms, row.cert_serial) == ("pending", "", None, "")
    assert _history_length(rt, order["artefact_id"]) == before
    _, printed = print_copy(rt, order["document_id"], school["director"])
    assert QUALIFIED_HEADING not in docx_text(printed)


def test_a_good_gost_signature_is_accepted_and_marked_on_the_printed_copy(rt, school, order):
    signer = valid_now(DIRECTOR, serial=0x0A1B2C3D4E)
    _certificate_on_file(rt, school["director"], "0a 1b 2c 3d 4e")  # the serial on file, as an admin types it
    content, sha256 = _stored(rt, order["document_id"])
    signed = sign_qualified(rt, order["signature_id"], school["director"], signer.sign(content))
    assert (signed["state"], signed["kind"]) == ("signed", "qualified")
    assert signed["certificate"]["serial"] == "0A1B2C3D4E"
    assert _stored(rt, order["document_id"]) == (content, sha256)
    text = docx_text(print_copy(rt, order["document_id"], school["director"])[1])
    valid_from, valid_to = signer.not_before.strftime("%d.%m.%Y"), signer.not_after.strftime("%d.%m.%Y")
    for line in (QUALIFIED_HEADING, "Сертификат: 0A1B2C3D4E", f"Владелец: {DIRECTOR}",
                 f"Действителен: с {valid_from} по {valid_to}"):
        assert text.count(line) == 1, line
    entry = _last_entry(rt, order["artefact_id"])
    assert (entry.trigger, entry.fields["certificate"], entry.fields["sha256"]) == ("sign", "0A1B2C3D4E", sha256)
    with rt.sessions() as session:
        kept = session.get(Signature, order["signature_id"]).cms
    assert hashlib.sha256(kept).hexdigest() == entry.fields["cms_sha256"]


def test_a_signature_over_a_document_changed_by_one_byte_is_refused(rt, school, order):
    _certificate_on_file(rt, school["director"])
    content, _ = _stored(rt, order["document_id"])
    changed = bytearray(content)
    changed[len(changed) // 2] ^= 0x01
    _refused(rt, school, order, valid_now(DIRECTOR).sign(bytes(changed)), "Подпись не относится к этому документу")


def test_a_signature_of_another_document_is_refused(rt, school, order):
    _certificate_on_file(rt, school["director"])
    other = _pending(rt, order["artefact_id"], "polozhenie")
    other_content, _ = _stored(rt, other.document_id)
    _refused(rt, school, order, valid_now(DIRECTOR).sign(other_content), "Подпись не относится к этому документу")


def test_another_persons_certificate_is_refused(rt, school, order):
    _certificate_on_file(rt, school["director"])
    content, _ = _stored(rt, order["document_id"])
    _refused(rt, school, order, valid_now("Петров Пётр Петрович").sign(content),
             "Сертификат выдан «Петров Пётр Петрович», а подписать документ должен\\(на\\) " + DIRECTOR)


def test_a_certificate_other_than_the_one_on_file_is_refused(rt, school, order):
    """The serial on file decides: the director's name alone does not make a certificate hers."""
    content, _ = _stored(rt, order["document_id"])  # the demo director's serial 01DA3F… is on file
    _refused(rt, school, order, valid_now(DIRECTOR, serial=0x77).sign(content),
             "Сертификат № 77 не тот, что записан за " + DIRECTOR)


def test_a_certificate_expired_on_the_signing_date_is_refused(rt, school, order):
    _certificate_on_file(rt, school["director"])
    content, _ = _stored(rt, order["document_id"])
    expired = PythonSigner(DIRECTOR, dt.datetime(2024, 1, 10, tzinfo=dt.UTC), dt.datetime(2025, 1, 10, tzinfo=dt.UTC))
    _refused(rt, school, order, expired.sign(content),
             "Сертификат № 01C0FFEE действителен с 10.01.2024 по 10.01.2025, а подпись сделана")


def test_a_damaged_signature_or_a_file_that_is_no_signature_is_refused(rt, school, order):
    _certificate_on_file(rt, school["director"])
    content, _ = _stored(rt, order["document_id"])
    damaged = bytearray(valid_now(DIRECTOR).sign(content))
    damaged[-10] ^= 0xFF  # inside the signature value
    _refused(rt, school, order, bytes(damaged), "не прошла криптографическую проверку")
    _refused(rt, school, order, b"%PDF-1.7 not a signature", "Файл не похож на подпись")
    _refused(rt, school, order, content, "Файл не похож на подпись")  # the .docx itself instead of the .sig


def test_openssl_gost_signatures_are_accepted_as_der_and_pem(rt, school):
    """Interoperability: signatures made by another implementation (OpenSSL's GOST engine), as a
    school's own software makes them, are verified; a changed byte is refused."""
    require_openssl_gost()
    signer = OpenSslSigner(DIRECTOR)
    _certificate_on_file(rt, school["director"])
    artefact_id, _ = take_to_force(rt, school)
    for template, pem in (("order_approval", False), ("polozhenie", True)):
        pending = _pending(rt, artefact_id, template)
        content, _ = _stored(rt, pending.document_id)
        if not pem:
            with pytest.raises(Unprocessable, match="не относится к этому документу"):
                sign_qualified(rt, pending.id, school["director"], signer.sign(content + b"\0"))
        signed = sign_qualified(rt, pending.id, school["director"], signer.sign(content, pem=pem))
        assert signed["state"] == "signed" and signed["certificate"]["owner"] == DIRECTOR


def test_a_base64_signature_is_accepted_and_openssl_accepts_ours(rt, school, order):
    """КриптоАРМ saves signatures as Base64 text; and the tests' own signer is checked by OpenSSL too."""
    _certificate_on_file(rt, school["director"])
    content, _ = _stored(rt, order["document_id"])
    made = valid_now(DIRECTOR).sign(content)
    require_openssl_gost()
    assert OpenSslSigner("Проверка").verifies(made, content)
    assert sign_qualified(rt, order["signature_id"], school["director"], base64.encodebytes(made))["state"] == "signed"


# --------------------------------------------------------------------------- a protocol: two signers


def test_each_signer_adds_exactly_their_own_mark(rt, school, held):
    meeting_id, _ = held
    protocol = _pending(rt, meeting_id, "meeting_protocol")
    listed = document_signatures(rt, protocol.document_id, school["secretary"])
    by_slot = {s["slot"]: s for s in listed}
    assert sorted(by_slot) == ["chair", "secretary"]
    sign_simple(rt, by_slot["secretary"]["id"], by_slot["secretary"]["signer"]["id"], DEMO_PASSWORD)
    text = docx_text(print_copy(rt, protocol.document_id, school["secretary"])[1])
    assert text.count(SIMPLE_HEADING) == 1 and by_slot["secretary"]["signer"]["full_name"] in text
    assert by_slot["chair"]["signer"]["full_name"] not in text.split(SIMPLE_HEADING, 1)[1].split("\n")[1]
    sign_simple(rt, by_slot["chair"]["id"], by_slot["chair"]["signer"]["id"], DEMO_PASSWORD)
    document = Document(io.BytesIO(print_copy(rt, protocol.document_id, school["secretary"])[1]))
    marks = [p.text for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs
             if p.text == SIMPLE_HEADING]
    assert len(marks) == 2
