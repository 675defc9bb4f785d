"""Signing stored documents: who must sign, a simple or a qualified e-signature, and the copy to print.

- A transition stores every document unsigned; a document whose template names ``signers``
  (and that is not a draft) gets one pending `Signature` per signer in the same transaction:
  the «Подписать» task of that person (`request_signatures`).
- The signer closes it with a simple e-signature — their own password again, recorded with the
  time and the document's SHA-256 (63-ФЗ ст. 9) — or with a qualified one: a detached CMS file
  made in their own software, verified against the stored bytes and a certificate that is theirs
  and was valid when they signed. Either is a hash-chained history entry of the artefact. They may
  also decline, saying why.
- The stored bytes never change. The marks of the signatures made go on the copy shown and printed
  (`print_copy`, documents/marks.py).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from ..db import transaction
from ..deadlines.workdays import add_working_days
from ..documents.gost_cms import SignatureInvalid, VerifiedSignature, verify_detached
from ..documents.marks import Mark, qualified_mark, simple_mark, with_marks
from ..documents.render import TemplateSource
from ..documents.russian import date_digits, surname_initials
from ..engine.context import TransitionContext
from ..engine.history import append_entry
from ..engine.registry import SIGNATORIES, load_builtins
from ..models import Artefact, HistoryEntry, Membership, Signature, StoredDocument, User, utcnow
from .access import get_user, membership_in
from .errors import Conflict, Forbidden, NotFound, Unprocessable
from .runtime import Runtime
from .users import check_password

PENDING, SIGNED, DECLINED = "pending", "signed", "declined"
KIND_LABELS = {"simple": "простая электронная подпись", "qualified": "квалифицированная электронная подпись"}
STATE_LABELS = {PENDING: "ожидает подписи", SIGNED: "подписан", DECLINED: "в подписи отказано"}
# A signer's computer clock may run a little ahead of the server's.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
MAX_REASON = 2000


# --------------------------------------------------------------------------- in the transition


@dataclass(frozen=True)
class IssuedDocument:
    """A document a transition has just stored, with what it was rendered from."""

    source: TemplateSource
    context: dict[str, Any]
    document: StoredDocument


def request_signatures(ctx: TransitionContext, issued: list[IssuedDocument]) -> list[Signature]:
    """One pending signature per signer of each document that needs one (inside the transition).

    A draft («ПРОЕКТ») is not signed. A place whose signer is not a member of the organisation
    (a chair typed as text) gets no request: that signature can only be made by hand."""
    found: dict[str, Any] = {}
    requests = []
    for item in issued:
        if not item.source.signers or item.context.get("is_draft"):
            continue
        due = (add_working_days(ctx.today, item.source.sign_within_working_days)
               if item.source.sign_within_working_days is not None else None)
        for slot in item.source.signers:
            if slot not in found:
                found[slot] = SIGNATORIES[slot].func(ctx)
            signer = found[slot]
            if signer is None or not signer.membership.user.is_active:
                continue
            requests.append(Signature(
                document_id=item.document.id, artefact_id=ctx.artefact.id, organisation_id=ctx.artefact.organisation_id,
                slot=slot, signer_id=signer.membership.user_id, capacity=signer.capacity, acting_id=signer.acting_id,
                due_date=due, state=PENDING))
    ctx.session.add_all(requests)
    return requests


# --------------------------------------------------------------------------- reading


def _name(user: User) -> str:
    return surname_initials(user.last_name, user.first_name, user.middle_name)


def signature_view(signature: Signature, signer: User, document: StoredDocument | None = None) -> dict[str, Any]:
    """A signature as plain data (API, pages, CLI)."""
    data = {
        "id": signature.id, "document_id": signature.document_id, "artefact_id": signature.artefact_id,
        "slot": signature.slot, "signatory": _signatory(signature.slot), "capacity": signature.capacity,
        "signer": {"id": signer.id, "login": signer.login, "name": _name(signer), "full_name": signer.full_name},
        "state": signature.state, "state_label": STATE_LABELS.get(signature.state, signature.state),
        "due_date": signature.due_date.isoformat() if signature.due_date else None,
        "kind": signature.kind or None, "kind_label": KIND_LABELS.get(signature.kind),
        "signed_at": signature.signed_at.isoformat() if signature.signed_at else None,
        "document_sha256": signature.document_sha256 or None,
        "decline_reason": signature.decline_reason or None,
        "certificate": {
            "serial": signature.cert_serial, "owner": signature.cert_owner, "issuer": signature.cert_issuer,
            "valid_from": signature.cert_valid_from.isoformat() if signature.cert_valid_from else None,
            "valid_to": signature.cert_valid_to.isoformat() if signature.cert_valid_to else None,
        } if signature.kind == "qualified" else None,
    }
    if document is not None:
        data["document"] = {"id": document.id, "title": document.title, "file_name": document.file_name,
                            "sha256": document.sha256, "size": document.size}
    return data


def _signatory(slot: str) -> str:
    load_builtins()  # the signatories are registered by the procedure modules
    return SIGNATORIES[slot].description if slot in SIGNATORIES else slot


def _signatures_of(session: Session, *where) -> list[tuple[Signature, User]]:
    return list(session.execute(select(Signature, User).join(User, User.id == Signature.signer_id)
                                .where(*where).order_by(Signature.document_id, Signature.id)).all())


def _readable_document(session: Session, document_id: int, user_id: int | None) -> StoredDocument:
    document = session.get(StoredDocument, document_id)
    if document is None or (user_id is not None and membership_in(session, user_id, document.organisation_id) is None):
        raise NotFound(f"Документ № {document_id} не найден")
    return document


def document_signatures(rt: Runtime, document_id: int, user_id: int | None) -> list[dict[str, Any]]:
    """The signatures a stored document needs and has; `user_id=None` is the server operator."""
    with rt.sessions() as session:
        _readable_document(session, document_id, user_id)
        return [signature_view(s, u) for s, u in _signatures_of(session, Signature.document_id == document_id)]


def artefact_signatures(rt: Runtime, artefact_id: int, user_id: int) -> dict[int, list[dict[str, Any]]]:
    """Document id → its signatures, for every document of an artefact the user may read."""
    with rt.sessions() as session:
        artefact = session.get(Artefact, artefact_id)
        if artefact is None or membership_in(session, user_id, artefact.organisation_id) is None:
            raise NotFound(f"Документ № {artefact_id} не найден")
        result: dict[int, list[dict[str, Any]]] = {}
        for signature, signer in _signatures_of(session, Signature.artefact_id == artefact_id):
            result.setdefault(signature.document_id, []).append(signature_view(signature, signer))
        return result


def signature_status(signatures: list[dict[str, Any]]) -> str:
    """«Подписан» / «Ожидает подписи: Соколова М.Б. (Директор)»; "" for a document nobody signs in the system."""
    if not signatures:
        return ""
    waiting = [f"{s['signer']['name']} ({s['capacity']})" for s in signatures if s["state"] == PENDING]
    declined = [f"{s['signer']['name']}" for s in signatures if s["state"] == DECLINED]
    parts = []
    if waiting:
        parts.append("ожидает подписи: " + ", ".join(waiting))
    if declined:
        parts.append("отказ в подписи: " + ", ".join(declined))
    text = "; ".join(parts) or "подписан"
    return text[0].upper() + text[1:]


def signature_for(rt: Runtime, signature_id: int, user_id: int) -> dict[str, Any]:
    """One signature with its document, for the signing page (any member of the organisation may look)."""
    with rt.sessions() as session:
        signature = session.get(Signature, signature_id)
        if signature is None or membership_in(session, user_id, signature.organisation_id) is None:
            raise NotFound(f"Подпись № {signature_id} не найдена")
        document = session.get(StoredDocument, signature.document_id)
        data = signature_view(signature, session.get(User, signature.signer_id), document)
        data["may_sign"] = signature.state == PENDING and signature.signer_id == user_id
        return data


def pending_for(session: Session, user_id: int, organisation_id: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The «Подписать» tasks of a person: their pending signatures, the earliest deadline first."""
    where = (Signature.signer_id == user_id, Signature.organisation_id == organisation_id, Signature.state == PENDING)
    total = session.scalar(select(func.count()).select_from(Signature).where(*where)) or 0
    rows = session.execute(
        select(Signature, StoredDocument.title, StoredDocument.file_name, Artefact.title.label("artefact_title"))
        .join(StoredDocument, StoredDocument.id == Signature.document_id)
        .join(Artefact, Artefact.id == Signature.artefact_id).where(*where)
        .order_by(Signature.due_date.is_(None), Signature.due_date, Signature.id).limit(limit)).all()
    return [{"id": s.id, "document_id": s.document_id, "artefact_id": s.artefact_id, "document_title": title,
             "file_name": file_name, "artefact_title": artefact_title, "capacity": s.capacity, "due": s.due_date}
            for s, title, file_name, artefact_title in rows], total


# --------------------------------------------------------------------------- signing


@dataclass(frozen=True)
class _Pending:
    signature_id: int
    document_sha256: str
    document_created_at: dt.datetime
    content: bytes


def _load_for_signing(rt: Runtime, signature_id: int, user_id: int) -> _Pending:
    """Check who may sign, before the (slow) checks that need no lock."""
    with rt.sessions() as session:
        signature = _own_pending(session, signature_id, user_id)
        document = session.scalars(select(StoredDocument).options(undefer(StoredDocument.content))
                                   .where(StoredDocument.id == signature.document_id)).one()
        return _Pending(signature.id, document.sha256, document.created_at, document.content)


def _own_pending(session: Session, signature_id: int, user_id: int, lock: bool = False) -> Signature:
    get_user(session, user_id)
    signature = session.get(Signature, signature_id, with_for_update=lock, populate_existing=lock)
    if signature is None or membership_in(session, user_id, signature.organisation_id) is None:
        raise NotFound(f"Подпись № {signature_id} не найдена")
    if signature.signer_id != user_id:
        who = session.get(User, signature.signer_id)
        raise Forbidden(f"Этот документ подписывает {who.full_name} ({signature.capacity}), а не вы")
    if signature.state != PENDING:
        raise Conflict(f"Подпись № {signature.id} уже закрыта (документ {STATE_LABELS[signature.state]}): "
                       "обновите страницу")
    return signature


def sign_simple(rt: Runtime, signature_id: int, user_id: int, password: str) -> dict[str, Any]:
    """A simple e-signature: the signer's own password again; the time and the SHA-256 recorded."""
    # The password is checked before the write transaction: argon2 is slow on purpose, and SQLite
    # would hold its one write lock for all of it.
    with rt.sessions() as session:
        _own_pending(session, signature_id, user_id)
        if not password or not check_password(session.get(User, user_id), password):
            raise Unprocessable("Пароль неверный: документ не подписан. Введите пароль, с которым вы входите в систему",
                                details={"fields": {"password": "неверный пароль"}})
    with transaction(rt.sessions) as session:
        signature = _own_pending(session, signature_id, user_id, lock=True)
        user = session.get(User, user_id)
        document = session.get(StoredDocument, signature.document_id)
        _record(session, signature, user, "simple", document.sha256)
        return signature_view(signature, user, document)


def sign_qualified(rt: Runtime, signature_id: int, user_id: int, data: bytes) -> dict[str, Any]:
    """A qualified e-signature: the detached CMS file, verified against the stored bytes and a
    certificate of the signer valid when they signed; refused with the reason, nothing stored."""
    pending = _load_for_signing(rt, signature_id, user_id)
    try:
        verified = verify_detached(data, pending.content)
    except SignatureInvalid as refused:
        raise Unprocessable(refused.message, details={"fields": {"file": refused.message}}) from None
    now = utcnow()
    with transaction(rt.sessions) as session:
        signature = _own_pending(session, signature_id, user_id, lock=True)
        user = session.get(User, user_id)
        membership = membership_in(session, user_id, signature.organisation_id)
        _check_certificate(verified, user, membership, pending.document_created_at, now, rt.settings.timezone)
        certificate = verified.certificate
        signature.cms = verified.der
        signature.cms_sha256 = hashlib.sha256(verified.der).hexdigest()
        signature.cert_serial, signature.cert_owner, signature.cert_issuer = (
            certificate.serial, certificate.owner, certificate.issuer)
        signature.cert_valid_from, signature.cert_valid_to = certificate.valid_from.date(), certificate.valid_to.date()
        signature.claimed_signing_time = _naive_utc(verified.signing_time) if verified.signing_time else None
        document = session.get(StoredDocument, signature.document_id)
        _record(session, signature, user, "qualified", pending.document_sha256)
        return signature_view(signature, user, document)


def decline(rt: Runtime, signature_id: int, user_id: int, reason: str) -> dict[str, Any]:
    """The signer refuses to sign, saying why: the task closes, the document stays unsigned."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise Unprocessable("Укажите причину отказа: её увидит тот, кто готовил документ",
                            details={"fields": {"reason": "обязательное поле"}})
    if len(reason) > MAX_REASON:
        raise Unprocessable(f"Причина — не длиннее {MAX_REASON} символов", details={"fields": {"reason": "слишком длинно"}})
    with transaction(rt.sessions) as session:
        signature = _own_pending(session, signature_id, user_id, lock=True)
        user = session.get(User, user_id)
        signature.decline_reason = reason
        document = session.get(StoredDocument, signature.document_id)
        _record(session, signature, user, "", document.sha256, state=DECLINED)
        return signature_view(signature, user, document)


def _record(session: Session, signature: Signature, user: User, kind: str, document_sha256: str,
            state: str = SIGNED) -> None:
    """Close the signature and chain it into the artefact's history (under the artefact's row lock)."""
    artefact = session.get(Artefact, signature.artefact_id, with_for_update=True, populate_existing=True)
    document = session.get(StoredDocument, signature.document_id)
    signature.state, signature.kind, signature.signed_at = state, kind, utcnow()
    signature.document_sha256 = document_sha256
    fields = {"document_id": document.id, "document": document.file_name, "sha256": document_sha256,
              "slot": signature.slot, "capacity": signature.capacity, "signer": user.full_name}
    if kind:
        fields["kind"] = kind
    if kind == "qualified":
        fields.update({"certificate": signature.cert_serial, "cms_sha256": signature.cms_sha256})
    if state == DECLINED:
        fields["reason"] = signature.decline_reason
    append_entry(session, artefact, user, "sign" if state == SIGNED else "decline_signature", artefact.state,
                 fields=fields)
    session.flush()


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _check_certificate(verified: VerifiedSignature, user: User, membership: Membership | None,
                       document_created_at: dt.datetime, now: dt.datetime, zone: str) -> None:
    """The certificate is the signer's own and was valid when they signed."""
    def when(moment: dt.datetime) -> str:
        return _local_text(moment, zone)

    certificate = verified.certificate
    signed_at = _naive_utc(verified.signing_time) if verified.signing_time else now
    if signed_at > now + CLOCK_TOLERANCE:
        raise Unprocessable(f"Время подписания в файле ({when(signed_at)}) позже текущего: проверьте часы "
                            "компьютера и подпишите документ снова")
    if signed_at < document_created_at - CLOCK_TOLERANCE:
        raise Unprocessable(f"Время подписания в файле ({when(signed_at)}) раньше, чем документ был создан "
                            f"({when(document_created_at)}): подписан другой файл")
    starts, ends = _naive_utc(certificate.valid_from), _naive_utc(certificate.valid_to)
    if not starts <= signed_at <= ends:
        raise Unprocessable(
            f"Сертификат № {certificate.serial} действителен с {date_digits(starts.date())} по {date_digits(ends.date())}, "
            f"а подпись сделана {when(signed_at)}: подпишите документ действующим сертификатом")
    problem = _not_theirs(certificate.serial, certificate.owner, certificate.surname, certificate.given_names,
                          user, membership)
    if problem:
        raise Unprocessable(problem)


def _words(text: str) -> list[str]:
    return re.findall(r"[а-яa-z]+", text.lower().replace("ё", "е"))


def _not_theirs(serial: str, owner: str, surname: str, given_names: str, user: User,
                membership: Membership | None) -> str:
    """Why the certificate is not the signer's, or "" when it is: the serial on file decides when
    there is one; otherwise the owner's name must be the signer's full name."""
    on_file = (membership.cert_serial if membership else "") or ""
    if on_file:
        if _serial_number(on_file) == _serial_number(serial):
            return ""
        return (f"Сертификат № {serial} не тот, что записан за {user.full_name} (№ {on_file}): подпишите "
                "своим сертификатом или попросите администратора обновить данные сертификата")
    owner_words = _words(owner) or _words(f"{surname} {given_names}")
    if sorted(owner_words) == sorted(_words(user.full_name)):
        return ""
    return (f"Сертификат выдан «{owner}», а подписать документ должен(на) {user.full_name}: подпишите своим "
            "сертификатом")


def _serial_number(text: str) -> int | None:
    digits = re.sub(r"[^0-9a-fA-F]", "", text)
    return int(digits, 16) if digits else None


def _local_text(moment: dt.datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    local = moment.replace(tzinfo=dt.UTC).astimezone(_zone(zone))
    return f"{date_digits(local.date())} {local:%H:%M}"


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


# --------------------------------------------------------------------------- the copy to print


def recorded_signatures(session: Session, *where) -> set[tuple[Any, Any, Any, Any]]:
    """(document id, slot, SHA-256, kind) of every signature the hash-chained history records."""
    entries = session.scalars(select(HistoryEntry).where(HistoryEntry.trigger == "sign", *where))
    return {(e.fields.get("document_id"), e.fields.get("slot"), e.fields.get("sha256"), e.fields.get("kind"))
            for e in entries}


def marks_for(session: Session, document: StoredDocument, timezone: str) -> list[Mark]:
    """The marks of the signatures made on exactly these bytes and recorded in the artefact's history."""
    recorded = recorded_signatures(session, HistoryEntry.artefact_id == document.artefact_id)
    marks = []
    for signature, signer in _signatures_of(session, Signature.document_id == document.id,
                                            Signature.state == SIGNED):
        if (document.id, signature.slot, document.sha256, signature.kind) not in recorded:
            continue  # never a mark for other bytes than these, nor for a row changed behind the history
        if signature.kind == "simple":
            signed_at = signature.signed_at.replace(tzinfo=dt.UTC).astimezone(_zone(timezone))
            marks.append(simple_mark(signature.slot, signature.capacity, signer.full_name, signed_at))
        elif signature.kind == "qualified":
            marks.append(qualified_mark(signature.slot, signature.capacity, signature.cert_serial,
                                        signature.cert_owner, signature.cert_valid_from, signature.cert_valid_to))
    return marks


def print_file_name(file_name: str) -> str:
    """«Приказ от 03.04.2025 № 5.docx» → «Приказ от 03.04.2025 № 5 (для печати).docx»."""
    stem = file_name[:-5] if file_name.lower().endswith(".docx") else file_name
    return f"{stem} (для печати).docx"


def print_copy_of(session: Session, document: StoredDocument, timezone: str) -> bytes:
    """The document's copy for showing and printing: its bytes with the marks of its signatures."""
    return with_marks(document.content, marks_for(session, document, timezone))


def print_copy(rt: Runtime, document_id: int, user_id: int | None) -> tuple[str, bytes]:
    """(file name, .docx) of the copy to print; `user_id=None` is the server operator."""
    with rt.sessions() as session:
        document = _readable_document(session, document_id, user_id)
        return print_file_name(document.file_name), print_copy_of(session, document, rt.settings.timezone)


def public_signatures(session: Session, document_id: int) -> list[dict[str, Any]]:
    """What the public verification page says of each signature: in what capacity, kind, status, when,
    and for a qualified one the certificate's serial and validity — the facts a printed mark states.
    No names: the page names no people (the holder of the copy reads them on it)."""
    rows = session.scalars(select(Signature).where(Signature.document_id == document_id).order_by(Signature.id))
    return [{
        "capacity": signature.capacity, "state": signature.state,
        "state_label": STATE_LABELS.get(signature.state, signature.state),
        "kind_label": KIND_LABELS.get(signature.kind, ""),
        "signed_at": signature.signed_at.isoformat() if signature.signed_at else None,
        "certificate": {"serial": signature.cert_serial, "valid_from": signature.cert_valid_from.isoformat(),
                        "valid_to": signature.cert_valid_to.isoformat()} if signature.kind == "qualified" else None,
    } for signature in rows]
