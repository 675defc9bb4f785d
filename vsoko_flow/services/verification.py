"""The public check behind a document's QR code: is this the document we issued, and is the act in force?

No login. A person presents the document's public id and a hash — the content hash printed
in the QR code, or the SHA-256 of a file they hold (`sha256sum`). Only when the hash matches
does the answer say anything about the document, and then only its identification (organisation,
title and kind, registration number and date, created date) and the act's state: never
fields, people, history or text. An unknown or malformed id, a wrong hash and a missing hash
disclose nothing, so the page cannot be used to probe which documents exist.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from sqlalchemy import select

from ..models import Artefact, Organisation, StoredDocument
from .runtime import Runtime
from .signatures import print_copy_of, public_signatures

PUBLIC_ID = re.compile(r"[0-9a-f]{32}")
SHA256 = re.compile(r"[0-9a-f]{64}")

AUTHENTIC = "authentic"
NOT_FOUND = "not_found"        # unknown or malformed id, or a hash that matches neither
HASH_REQUIRED = "hash_required"  # an id without a hash: nothing can be said yet

IN_FORCE_LABEL = "Действует"
SUPERSEDED_LABEL = "Утратил силу"


def normalise_public_id(value: str | None) -> str | None:
    value = (value or "").strip().lower().replace("-", "")
    return value if PUBLIC_ID.fullmatch(value) else None


def normalise_hash(value: str | None) -> str | None:
    # `certutil -hashfile` on older Windows prints the hex in pairs separated by spaces.
    value = "".join((value or "").split()).lower()
    return value if SHA256.fullmatch(value) else None


def verify_document(rt: Runtime, public_id: str, presented_hash: str | None) -> dict[str, Any]:
    """Check a presented hash against a stored document.

    Returns a plain dict:
      - ``result``: ``"authentic"``, ``"not_found"`` or ``"hash_required"``;
      - ``authentic``: bool;
      - ``matched_by``: ``"qr"`` (the content hash from the QR code), ``"file"`` (the file's SHA-256),
        ``"print"`` (the SHA-256 of the copy for printing, with the marks of the signatures) or None;
      - ``document``: None unless authentic, else a dict with ``organisation``, ``title``, ``kind``,
        ``registration_number``, ``registration_date`` (ISO date or None), ``created_date`` (ISO),
        ``state``, ``state_label``, ``in_force``, ``superseded`` and ``status_label``
        («Действует», «Утратил силу» or the workflow's label of the act's state), and ``signatures``:
        per signer, the capacity, name, kind and status of the signature (services/signatures.py) —
        what the marks of the printed copy say, and which signatures are still awaited.
    Never raises for bad input.
    """
    normalised_id = normalise_public_id(public_id)
    if normalised_id is None:
        return _answer(NOT_FOUND)
    if not (presented_hash or "").strip():
        return _answer(HASH_REQUIRED)
    presented = normalise_hash(presented_hash)
    if presented is None:
        return _answer(NOT_FOUND)
    with rt.sessions() as session:
        row = session.execute(
            select(StoredDocument.id, StoredDocument.sha256, StoredDocument.content_sha256, StoredDocument.title,
                   StoredDocument.registration_number, StoredDocument.registration_date, StoredDocument.created_at,
                   Artefact.kind, Artefact.state, Organisation.short_name)
            .join(Artefact, Artefact.id == StoredDocument.artefact_id)
            .join(Organisation, Organisation.id == StoredDocument.organisation_id)
            .where(StoredDocument.public_id == normalised_id)
        ).first()
        if row is None:
            return _answer(NOT_FOUND)
        signatures = public_signatures(session, row.id)
        # Both comparisons always run, in constant time: the answer's timing says nothing either.
        by_qr = hmac.compare_digest(presented, row.content_sha256 or "")
        by_file = hmac.compare_digest(presented, row.sha256 or "")
        # The copy for printing (the stored file with the marks of its signatures) is ours too.
        by_print = not (by_qr or by_file) and any(s["state"] == "signed" for s in signatures) and hmac.compare_digest(
            presented, hashlib.sha256(print_copy_of(session, session.get(StoredDocument, row.id),
                                                    rt.settings.timezone)).hexdigest())
    if not (by_qr or by_file or by_print):
        return _answer(NOT_FOUND)
    kind, state_label = _kind_and_state_label(rt, row.kind, row.state)
    in_force, superseded = row.state == "in_force", row.state == "superseded"
    return _answer(AUTHENTIC, matched_by="qr" if by_qr else "file" if by_file else "print", document={
        "organisation": row.short_name,
        "title": row.title,
        "kind": kind,
        "registration_number": row.registration_number or "",
        "registration_date": row.registration_date.isoformat() if row.registration_date else None,
        "created_date": row.created_at.date().isoformat(),
        "state": row.state,
        "state_label": state_label,
        "in_force": in_force,
        "superseded": superseded,
        "status_label": IN_FORCE_LABEL if in_force else SUPERSEDED_LABEL if superseded else state_label,
        "signatures": signatures,
    })


def _answer(result: str, matched_by: str | None = None, document: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"result": result, "authentic": result == AUTHENTIC, "matched_by": matched_by, "document": document}


def _kind_and_state_label(rt: Runtime, kind: str, state: str) -> tuple[str, str]:
    definition = rt.definitions.get(kind)
    if definition is None:  # a kind whose workflow file was removed: still answer
        return kind, state
    return definition.title, definition.state_label(state)
