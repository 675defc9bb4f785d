"""Re-checking the whole store: every history chain and every stored document's SHA-256, streamed."""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Callable, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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


ENTRIES_PER_FETCH = 1000
DOCUMENTS_PER_FETCH = 20  # a fetch holds this many documents' bytes at most


def verify_store(rt: Runtime, progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Every chain, state and document re-checked in constant memory: artefacts, heads, history
    entries and documents are read as four streams ordered by artefact (server-side cursors on
    PostgreSQL) and walked side by side, one artefact at a time. `progress(n)` is told how many
    history entries each artefact added."""
    found = _Found()
    counts = {"artefacts": 0, "entries": 0, "documents": 0}
    with rt.sessions() as session:
        heads = _aligned(_stream(session, select(HistoryHead.artefact_id, HistoryHead.sequence, HistoryHead.hash)
                                 .order_by(HistoryHead.artefact_id), ENTRIES_PER_FETCH))
        entries = _aligned(_stream(session, select(HistoryEntry.__table__)
                                   .order_by(HistoryEntry.artefact_id, HistoryEntry.sequence), ENTRIES_PER_FETCH))
        documents = _aligned(_hashed_documents(session))
        for artefact in _stream(session, select(Artefact.id, Artefact.state).order_by(Artefact.id), ENTRIES_PER_FETCH):
            chain = entries(artefact.id)
            head = heads(artefact.id)
            counts["artefacts"] += 1
            counts["entries"] += len(chain)
            found.chains += _chain_problems(artefact, chain, (head[0].sequence, head[0].hash) if head else None)
            stored = documents(artefact.id)
            counts["documents"] += len(stored)
            _check_documents(artefact.id, chain, stored, found)
            if progress is not None:
                progress(len(chain))
    return VerifyReport(counts["artefacts"], counts["entries"], counts["documents"],
                        found.chains + found.documents + found.missing + _signature_problems(rt))


@dataclass
class _Found:
    """Problems by kind, reported in this order whatever artefact they belong to."""

    chains: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Document:
    """A stored document as verify needs it: its bytes hashed on the way and dropped."""

    id: int
    artefact_id: int
    history_sequence: int
    file_name: str
    sha256: str
    actual_sha256: str


def _stream(session: Session, statement, per_fetch: int) -> Iterator:  # noqa: ANN001 - a select
    """Rows fetched `per_fetch` at a time from a server-side cursor: nothing is buffered whole."""
    return iter(session.execute(statement, execution_options={"yield_per": per_fetch}))


def _hashed_documents(session: Session) -> Iterator[_Document]:
    rows = _stream(session, select(StoredDocument.id, StoredDocument.artefact_id, StoredDocument.history_sequence,
                                   StoredDocument.file_name, StoredDocument.sha256, StoredDocument.content)
                   .order_by(StoredDocument.artefact_id, StoredDocument.history_sequence, StoredDocument.id),
                   DOCUMENTS_PER_FETCH)
    for row in rows:
        yield _Document(row.id, row.artefact_id, row.history_sequence, row.file_name, row.sha256,
                        hashlib.sha256(row.content).hexdigest())


def _aligned(rows: Iterator) -> Callable[[int], list]:
    """For a stream ordered by artefact id: a function giving the rows of the next artefact asked
    for (artefacts are asked in increasing id order); rows of ids never asked are skipped."""
    groups = itertools.groupby(rows, key=lambda row: row.artefact_id)
    pending: list = [next(groups, None)]

    def rows_of(artefact_id: int) -> list:
        while pending[0] is not None and pending[0][0] < artefact_id:
            pending[0] = next(groups, None)
        if pending[0] is None or pending[0][0] != artefact_id:
            return []
        group = list(pending[0][1])
        pending[0] = next(groups, None)
        return group

    return rows_of


def _check_documents(artefact_id: int, chain: list, stored: list[_Document], found: _Found) -> None:
    """Each stored file against its SHA-256 and the history entry that lists it; and every file
    the history lists still present. The history lists every document's hash: a file swapped
    together with its hash column, or a document row deleted, is still caught."""
    recorded = {entry.sequence: set(entry.document_hashes or []) for entry in chain}
    present: dict[int, set[str]] = {}
    for doc in stored:
        present.setdefault(doc.history_sequence, set()).add(doc.sha256)
        found.documents += _document_problems(doc, recorded.get(doc.history_sequence, set()))
    found.missing += _missing_documents(artefact_id, recorded, present)


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


def _document_problems(doc: _Document, recorded: set[str]) -> list[str]:
    where = f"документ № {doc.id} («{doc.file_name}», артефакт {doc.artefact_id})"
    if doc.actual_sha256 != doc.sha256:
        return [f"{where}: содержимое файла не совпадает с сохранённым SHA-256"]
    if doc.sha256 not in recorded:
        return [f"{where}: SHA-256 не записан в истории — файл подменён вместе с хешем"]
    return []


def _missing_documents(artefact_id: int, recorded: dict[int, set[str]], present: dict[int, set[str]]) -> list[str]:
    """Documents the history lists but the store no longer has (a swapped file is reported as such)."""
    problems = []
    for sequence, hashes in sorted(recorded.items()):
        kept = present.get(sequence, set())
        if len(kept) < len(hashes):
            problems += [f"история документа № {artefact_id}, запись {sequence}: документ с SHA-256 "
                         f"{sha[:12]}… удалён из хранилища" for sha in sorted(hashes - kept)]
    return problems


def _chain_problems(artefact, entries: list, head: tuple[int, str] | None) -> list[str]:
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


def entries_to_check(rt: Runtime) -> int:
    """How many history entries a run will read: the length of a progress bar."""
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(HistoryEntry)) or 0
