"""Re-checking the whole store: every history chain and every stored document's SHA-256."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import undefer

from ..engine.history import first_broken_entry
from ..models import Artefact, HistoryEntry, HistoryHead, Signature, StoredDocument
from .runtime import Runtime
from .signatures import recorded_signatures


@dataclass(frozen=True)
class VerifyReport:
    artefacts: int
    entries: int
    documents: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_store(rt: Runtime) -> VerifyReport:
    problems: list[str] = []
    entries_count = documents_count = 0
    # The history lists every document's hash: a file swapped together with its hash column,
    # or a document row deleted, is still caught, because the chained entry remembers it.
    hashes_in_history: dict[tuple[int, int], set[str]] = {}
    with rt.sessions() as session:
        heads = {h.artefact_id: (h.sequence, h.hash) for h in session.scalars(select(HistoryHead))}
        artefacts = session.scalars(select(Artefact).order_by(Artefact.id)).all()
        for artefact in artefacts:
            entries = session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == artefact.id)
                                      .order_by(HistoryEntry.sequence)).all()
            entries_count += len(entries)
            problems += _chain_problems(artefact, entries, heads.get(artefact.id))
            for entry in entries:
                hashes_in_history[(artefact.id, entry.sequence)] = set(entry.document_hashes)
            session.expunge_all()
        stored: dict[tuple[int, int], set[str]] = {}
        for doc in session.scalars(select(StoredDocument).order_by(StoredDocument.id)
                                   .options(undefer(StoredDocument.content))).yield_per(50):
            documents_count += 1
            key = (doc.artefact_id, doc.history_sequence)
            stored.setdefault(key, set()).add(doc.sha256)
            problems += _document_problems(doc, hashes_in_history.get(key, set()))
            session.expunge(doc)
    problems += _missing_documents(hashes_in_history, stored)
    problems += _signature_problems(rt)
    return VerifyReport(len(artefacts), entries_count, documents_count, problems)


def _signature_problems(rt: Runtime) -> list[str]:
    """A signature counts (and is marked on the printed copy) only as its history entry records it:
    a row set to «signed» behind the history, or signed over other bytes, is a forged mark."""
    with rt.sessions() as session:
        recorded = recorded_signatures(session)
        signed = session.execute(select(Signature.id, Signature.document_id, Signature.slot, Signature.kind,
                                        Signature.document_sha256, StoredDocument.sha256)
                                 .join(StoredDocument, StoredDocument.id == Signature.document_id)
                                 .where(Signature.state == "signed").order_by(Signature.id)).all()
    problems = []
    for row in signed:
        where = f"подпись № {row.id} документа № {row.document_id}"
        if row.document_sha256 != row.sha256:
            problems.append(f"{where}: подписан не тот файл, что хранится (SHA-256 не совпадает)")
        elif (row.document_id, row.slot, row.document_sha256, row.kind) not in recorded:
            problems.append(f"{where}: подпись не записана в истории документа — отметка о ней подделана")
    return problems


def _document_problems(doc: StoredDocument, recorded: set[str]) -> list[str]:
    where = f"документ № {doc.id} («{doc.file_name}», артефакт {doc.artefact_id})"
    if hashlib.sha256(doc.content).hexdigest() != doc.sha256:
        return [f"{where}: содержимое файла не совпадает с сохранённым SHA-256"]
    if doc.sha256 not in recorded:
        return [f"{where}: SHA-256 не записан в истории — файл подменён вместе с хешем"]
    return []


def _missing_documents(recorded: dict[tuple[int, int], set[str]], stored: dict[tuple[int, int], set[str]]) -> list[str]:
    """Documents the history lists but the store no longer has (a swapped file is reported as such)."""
    problems = []
    for (artefact_id, sequence), hashes in sorted(recorded.items()):
        present = stored.get((artefact_id, sequence), set())
        if len(present) < len(hashes):
            problems += [f"история документа № {artefact_id}, запись {sequence}: документ с SHA-256 "
                         f"{sha[:12]}… удалён из хранилища" for sha in sorted(hashes - present)]
    return problems


def _chain_problems(artefact: Artefact, entries: list[HistoryEntry], head: tuple[int, str] | None) -> list[str]:
    broken = first_broken_entry(entries)
    if broken is not None:
        entry, reason = broken
        return [f"история документа № {artefact.id}, запись {entry.sequence} (id {entry.id}): {reason}"]
    if not entries:
        return [f"у документа № {artefact.id} нет истории"]
    last = entries[-1]
    if head is None or head != (last.sequence, last.hash):
        expected = f"запись {head[0]}" if head else "запись"
        return [f"история документа № {artefact.id}: последняя сохранённая {expected} отсутствует "
                f"(в цепочке {len(entries)} записей) — записи удалены"]
    if last.to_state != artefact.state:
        return [f"документ № {artefact.id}: состояние «{artefact.state}» не совпадает с последней записью "
                f"истории «{last.to_state}» (состояние изменено в обход истории)"]
    return []
