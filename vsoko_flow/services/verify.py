"""Re-checking the whole store: every history chain and every stored document's SHA-256, streamed."""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..engine.history import first_broken_entry
from ..models import Artefact, Evidence, HistoryEntry, HistoryHead, OrganisationTemplate, Signature, StoredDocument
from ..models.facts import ARTEFACT_COLUMNS, GROUP_LABELS, GROUPS, facts_of
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

Head = tuple[int, int, str]  # (artefact id, sequence, hash) of a chain's newest entry


def verify_store(rt: Runtime, progress: Callable[[int], None] | None = None,
                 anchored: Iterator[Head] | None = None, anchored_templates: dict[int, str] | None = None,
                 heads_out: Callable[[Head], None] | None = None,
                 templates_out: Callable[[int, str], None] | None = None) -> VerifyReport:
    """Every chain, state, document and fact re-checked in constant memory: artefacts, heads, history
    entries, documents and the rows each artefact's facts cover are read as streams ordered by
    artefact (server-side cursors on PostgreSQL) and walked side by side, one artefact at a time.

    `progress(n)` is told how many history entries each artefact added. `anchored` (heads from an
    anchor file, in artefact order) and `anchored_templates` ({id: SHA-256}) are what must still be
    there unchanged; `heads_out` and `templates_out` receive the current ones (for a new anchor)."""
    found = _Found()
    counts = {"artefacts": 0, "entries": 0, "documents": 0}
    with rt.sessions() as session:
        heads = _aligned(_stream(session, select(HistoryHead.artefact_id, HistoryHead.sequence, HistoryHead.hash)
                                 .order_by(HistoryHead.artefact_id), ENTRIES_PER_FETCH))
        entries = _aligned(_stream(session, select(HistoryEntry.__table__)
                                   .order_by(HistoryEntry.artefact_id, HistoryEntry.sequence), ENTRIES_PER_FETCH))
        documents = _aligned(_hashed_documents(session))
        groups = {name: _aligned(_fact_rows(session, name)) for name in GROUPS}
        lost = []
        anchors = _aligned((SimpleNamespace(artefact_id=a, sequence=s, hash=h) for a, s, h in anchored or ()),
                           skipped=lost.append)
        artefacts = _stream(session, select(Artefact.id, Artefact.state, *ARTEFACT_COLUMNS).order_by(Artefact.id),
                            ENTRIES_PER_FETCH)
        for artefact in artefacts:
            chain = entries(artefact.id)
            head = heads(artefact.id)
            counts["artefacts"] += 1
            counts["entries"] += len(chain)
            broken = _chain_problems(artefact, chain, (head[0].sequence, head[0].hash) if head else None)
            found.chains += broken + _anchor_problems(artefact.id, chain, anchors(artefact.id))
            rows = {name: rows_of(artefact.id) for name, rows_of in groups.items()}
            found.facts += _fact_problems(artefact, chain if not broken else [], rows)
            stored = documents(artefact.id)
            counts["documents"] += len(stored)
            _check_documents(artefact.id, chain, stored, found)
            if heads_out is not None and head:
                heads_out((artefact.id, head[0].sequence, head[0].hash))
            if progress is not None:
                progress(len(chain))
        anchors(1 << 62)  # anchored artefacts after the last one stored
        found.chains += [f"документ № {gone.artefact_id}, закреплённый якорем, удалён из базы" for gone in lost]
        found.facts += _template_problems(session, anchored_templates or {}, templates_out)
    return VerifyReport(counts["artefacts"], counts["entries"], counts["documents"],
                        found.chains + found.documents + found.missing + found.facts + _signature_problems(rt))


def _fact_rows(session: Session, name: str) -> Iterator:
    """The rows of one group of facts in artefact order; evidence bytes hashed on the way."""
    _, model, columns = GROUPS[name]
    if name != "evidence":
        return _stream(session, select(model.artefact_id, *columns).order_by(model.artefact_id, model.id),
                       ENTRIES_PER_FETCH)
    rows = _stream(session, select(Evidence.artefact_id, *columns, Evidence.content)
                   .order_by(Evidence.artefact_id, Evidence.id), DOCUMENTS_PER_FETCH)
    return (SimpleNamespace(**{key: value for key, value in row._mapping.items() if key != "content"},
                            actual_sha256=hashlib.sha256(row.content).hexdigest() if row.content is not None else None)
            for row in rows)


def _fact_problems(artefact, chain: list, rows: dict[str, list]) -> list[str]:  # noqa: ANN001 - a row
    """The newest entry's facts against the stored rows, and each evidence file against its SHA-256."""
    problems = [f"материал № {row.id} документа № {artefact.id} («{row.file_name}»): содержимое файла не совпадает "
                "с сохранённым SHA-256" for row in rows["evidence"]
                if row.actual_sha256 is not None and row.actual_sha256 != row.sha256]
    sealed = chain[-1].facts if chain else None
    if not sealed:
        return problems  # written before facts were sealed, or a broken chain (reported as such)
    current = facts_of(artefact, rows)
    changed = [GROUP_LABELS.get(name, name) for name in sealed if sealed[name] != current.get(name)]
    if changed:
        problems.append(f"документ № {artefact.id}: изменено в обход истории — {', '.join(changed)} "
                        f"(не совпадает с записью {chain[-1].sequence})")
    return problems


def _anchor_problems(artefact_id: int, chain: list, anchored: list) -> list[str]:
    """A head written to an anchor file must still be in the chain with the same hash: a chain
    recomputed after tampering has other hashes, however consistent it is in itself."""
    for anchor in anchored:
        kept = chain[anchor.sequence - 1] if 0 < anchor.sequence <= len(chain) else None
        if kept is None or kept.sequence != anchor.sequence:
            return [f"история документа № {artefact_id}: запись {anchor.sequence}, закреплённая якорем, отсутствует"]
        if kept.hash != anchor.hash:
            return [f"история документа № {artefact_id} переписана: запись {anchor.sequence} не совпадает с якорем"]
    return []


def _template_problems(session: Session, anchored: dict[int, str], templates_out: Callable[[int, str], None] | None
                       ) -> list[str]:
    """Each uploaded template's bytes against its SHA-256, and against the anchor's SHA-256 of it."""
    problems, seen = [], set()
    rows = _stream(session, select(OrganisationTemplate.id, OrganisationTemplate.name, OrganisationTemplate.version,
                                   OrganisationTemplate.sha256, OrganisationTemplate.content)
                   .order_by(OrganisationTemplate.id), DOCUMENTS_PER_FETCH)
    for row in rows:
        seen.add(row.id)
        where = f"загруженный шаблон № {row.id} («{row.name}», версия {row.version})"
        if hashlib.sha256(row.content).hexdigest() != row.sha256:
            problems.append(f"{where}: содержимое файла не совпадает с сохранённым SHA-256")
        elif row.id in anchored and anchored[row.id] != row.sha256:
            problems.append(f"{where}: файл заменён после записи якоря")
        if templates_out is not None:
            templates_out(row.id, row.sha256)
    problems += [f"загруженный шаблон № {template_id}, закреплённый якорем, удалён из базы"
                 for template_id in sorted(set(anchored) - seen)]
    return problems


@dataclass
class _Found:
    """Problems by kind, reported in this order whatever artefact they belong to."""

    chains: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)


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


def _aligned(rows: Iterator, skipped: Callable[[Any], None] | None = None) -> Callable[[int], list]:
    """For a stream ordered by artefact id: a function giving the rows of the next artefact asked
    for (artefacts are asked in increasing id order); rows of ids never asked go to `skipped`."""
    groups = itertools.groupby(rows, key=lambda row: row.artefact_id)
    pending: list = [next(groups, None)]

    def rows_of(artefact_id: int) -> list:
        while pending[0] is not None and pending[0][0] < artefact_id:
            if skipped is not None:
                for row in pending[0][1]:
                    skipped(row)
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
