"""Re-checking the whole store: every history chain and every stored document's SHA-256."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import undefer

from ..engine.history import first_broken_entry
from ..models import Artefact, HistoryEntry, StoredDocument
from .runtime import Runtime


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
    # The history lists every document's hash: a file swapped together with its hash column
    # is still caught, because the chained entry remembers the original hash.
    hashes_in_history: dict[tuple[int, int], set[str]] = {}
    with rt.sessions() as session:
        artefacts = session.scalars(select(Artefact).order_by(Artefact.id)).all()
        for artefact in artefacts:
            entries = session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == artefact.id)
                                      .order_by(HistoryEntry.sequence)).all()
            entries_count += len(entries)
            problems += _chain_problems(artefact, entries)
            for entry in entries:
                hashes_in_history[(artefact.id, entry.sequence)] = set(entry.document_hashes)
            session.expunge_all()
        for doc in session.scalars(select(StoredDocument).order_by(StoredDocument.id)
                                   .options(undefer(StoredDocument.content))).yield_per(50):
            documents_count += 1
            problems += _document_problems(doc, hashes_in_history.get((doc.artefact_id, doc.history_sequence), set()))
            session.expunge(doc)
    return VerifyReport(len(artefacts), entries_count, documents_count, problems)


def _document_problems(doc: StoredDocument, recorded: set[str]) -> list[str]:
    where = f"документ № {doc.id} («{doc.file_name}», артефакт {doc.artefact_id})"
    if hashlib.sha256(doc.content).hexdigest() != doc.sha256:
        return [f"{where}: содержимое файла не совпадает с сохранённым SHA-256"]
    if doc.sha256 not in recorded:
        return [f"{where}: SHA-256 не записан в истории — файл подменён вместе с хешем"]
    return []


def _chain_problems(artefact: Artefact, entries: list[HistoryEntry]) -> list[str]:
    broken = first_broken_entry(entries)
    if broken is not None:
        entry, reason = broken
        return [f"история документа № {artefact.id}, запись {entry.sequence} (id {entry.id}): {reason}"]
    if not entries:
        return [f"у документа № {artefact.id} нет истории"]
    if entries[-1].to_state != artefact.state:
        return [f"документ № {artefact.id}: состояние «{artefact.state}» не совпадает с последней записью "
                f"истории «{entries[-1].to_state}» (запись удалена или состояние изменено в обход истории)"]
    return []
