"""The append-only, hash-chained history of an artefact.

Each entry's hash covers its own content and the previous entry's hash, so changing,
removing or reordering any row breaks the chain from that row on.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from types import SimpleNamespace
from typing import Any, Iterable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..models import Artefact, HistoryEntry, HistoryHead, User, utcnow
from .facts import facts_of, mark_unsealed

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _timestamp(at: dt.datetime) -> str:
    return at.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%f")


def entry_hash(entry: HistoryEntry) -> str:
    payload = {
        "prev": entry.prev_hash,
        "artefact": entry.artefact_id,
        "sequence": entry.sequence,
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "at": _timestamp(entry.at),
        "trigger": entry.trigger,
        "from": entry.from_state,
        "to": entry.to_state,
        "comment": entry.comment,
        "fields": entry.fields,
        "documents": entry.document_hashes,
    }
    facts = getattr(entry, "facts", None)
    if facts:  # entries written before facts were sealed keep their hashes
        payload["facts"] = facts
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def last_entry(session: Session, artefact_id: int) -> HistoryEntry | None:
    return session.scalars(
        select(HistoryEntry).where(HistoryEntry.artefact_id == artefact_id)
        .order_by(HistoryEntry.sequence.desc()).limit(1)
    ).first()


def next_sequence(session: Session, artefact_id: int) -> int:
    head = session.get(HistoryHead, artefact_id)
    return (head.sequence if head else _last_link(session, artefact_id)[0]) + 1


def _last_link(session: Session, artefact_id: int) -> tuple[int, str]:
    """(sequence, hash) of the newest entry, for a chain written before heads existed."""
    previous = last_entry(session, artefact_id)
    return (previous.sequence, previous.hash) if previous else (0, GENESIS_HASH)


def append_entry(session: Session, artefact: Artefact, actor: User | None, trigger: str, from_state: str,
                 comment: str = "", fields: dict | None = None, document_hashes: list | None = None) -> HistoryEntry:
    """Append one entry after the artefact's last one; the caller holds the artefact's row lock."""
    head = session.get(HistoryHead, artefact.id)
    previous = (head.sequence, head.hash) if head else _last_link(session, artefact.id)
    entry = HistoryEntry(
        artefact_id=artefact.id,
        sequence=previous[0] + 1,
        actor_id=actor.id if actor else None,
        actor_name=actor.full_name if actor else "система",
        at=utcnow(),
        trigger=trigger,
        from_state=from_state,
        to_state=artefact.state,
        comment=comment,
        fields=fields or {},
        document_hashes=document_hashes or [],
        prev_hash=previous[1],
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    mark_unsealed(session, [artefact.id])
    if head is None:
        session.add(HistoryHead(artefact_id=artefact.id, sequence=entry.sequence, hash=entry.hash))
    else:
        head.sequence, head.hash = entry.sequence, entry.hash
    return entry


def append_first_entries(session: Session, created: Iterable[tuple[dict, dict]], actor: User | None,
                         trigger: str = "create") -> int:
    """The first entry of each new artefact's chain, given as (the artefact's row as inserted, the
    entry's fields). The artefacts have nothing else yet (no text, rows, evidence or numbers).

    A new chain has no head and no entries, so nothing is looked up: each entry is number 1 after
    the genesis hash, with its facts digested from the row itself. Entries and heads go in one
    batched INSERT each, whatever their number."""
    at = utcnow()
    actor_id, actor_name = (actor.id, actor.full_name) if actor else (None, "система")
    entries = []
    for row, fields in created:
        entry = {"artefact_id": row["id"], "sequence": 1, "actor_id": actor_id, "actor_name": actor_name, "at": at,
                 "trigger": trigger, "from_state": "", "to_state": row["state"], "comment": "", "fields": fields or {},
                 "document_hashes": [], "prev_hash": GENESIS_HASH, "facts": facts_of(_row_as_stored(row), {})}
        entry["hash"] = entry_hash(SimpleNamespace(**entry))
        entries.append(entry)
    if entries:
        session.execute(insert(HistoryEntry.__table__), entries)
        session.execute(insert(HistoryHead.__table__), [
            {"artefact_id": e["artefact_id"], "sequence": 1, "hash": e["hash"]} for e in entries])
    return len(entries)


def _row_as_stored(row: dict) -> SimpleNamespace:
    """The row's values as the database gives them back (JSON round-tripped)."""
    return SimpleNamespace(**{**row, "fields": json.loads(json.dumps(row.get("fields") or {}))})


def first_broken_entry(entries: Iterable[HistoryEntry]) -> tuple[HistoryEntry, str] | None:
    """The first entry (in sequence order) whose chain does not hold, with the reason."""
    previous_hash = GENESIS_HASH
    expected_sequence = 1
    for entry in entries:
        if entry.sequence != expected_sequence:
            return entry, f"пропущена или переставлена запись: ожидался номер {expected_sequence}"
        if entry.prev_hash != previous_hash:
            return entry, "ссылка на предыдущую запись не совпадает"
        if entry_hash(entry) != entry.hash:
            return entry, "содержимое записи изменено: хеш не совпадает"
        previous_hash = entry.hash
        expected_sequence += 1
    return None
