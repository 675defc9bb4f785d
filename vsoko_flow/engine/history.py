"""The append-only, hash-chained history of an artefact.

Each entry's hash covers its own content and the previous entry's hash, so changing,
removing or reordering any row breaks the chain from that row on.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, Iterable

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..db import insert_rows, json_text, json_value
from ..models import Artefact, HistoryEntry, HistoryHead, User, utcnow
from ..models.facts import facts_of, stored_facts

GENESIS_HASH = "0" * 64
# Artefacts that got an entry in the session's transaction: their newest entry is sealed at commit.
UNSEALED = "vsoko_unsealed_artefacts"


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _timestamp(at: dt.datetime) -> str:
    return _wall_clock_text(at.replace(tzinfo=None))


@lru_cache(maxsize=256)  # the 3 000 first entries of a plan's control items share one time
def _wall_clock_text(naive: dt.datetime) -> str:
    # Keyed by the naive time: two aware times of one instant in different zones are equal
    # (and would share a key) but print differently.
    return naive.strftime("%Y-%m-%dT%H:%M:%S.%f")


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
    mark_unsealed(session, artefact.id, entry.sequence)
    if head is None:
        session.add(HistoryHead(artefact_id=artefact.id, sequence=entry.sequence, hash=entry.hash))
    else:
        head.sequence, head.hash = entry.sequence, entry.hash
    return entry


def first_entry(row: dict, fields: dict | None, actor: User | None, at: dt.datetime, trigger: str = "create") -> dict:
    """The first entry of a new artefact's chain, as a row to insert, given the artefact's row as
    inserted. A new chain has no head and no entries, so nothing is looked up: the entry is number 1
    after the genesis hash, its facts digested from the row itself (a new artefact has none of the
    rows its other facts cover)."""
    entry = {"artefact_id": row["id"], "sequence": 1, "actor_id": actor.id if actor else None,
             "actor_name": actor.full_name if actor else "система", "at": at, "trigger": trigger, "from_state": "",
             "to_state": row["state"], "comment": "", "fields": fields or {}, "document_hashes": [],
             "prev_hash": GENESIS_HASH, "facts": facts_of(_row_as_stored(row), {})}
    entry["hash"] = entry_hash(SimpleNamespace(**entry))
    return entry


def write_first_entries(session: Session, entries: list[dict]) -> None:
    """Insert first entries (`first_entry`) and their chains' heads: one batched INSERT each,
    whatever their number."""
    insert_rows(session, HistoryEntry.__table__, entries)
    insert_rows(session, HistoryHead.__table__, ({"artefact_id": e["artefact_id"], "sequence": 1, "hash": e["hash"]}
                                                 for e in entries))


def _row_as_stored(row: dict) -> SimpleNamespace:
    """The row's values as the database gives them back (JSON round-tripped)."""
    return SimpleNamespace(**{**row, "fields": json_value(json_text(row.get("fields") or {}))})


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


# --------------------------------------------------------------------------- facts sealed at commit

def mark_unsealed(session: Session, artefact_id: int, sequence: int) -> None:
    """The entry `sequence` of the artefact was appended in this transaction: seal it at commit."""
    session.info.setdefault(UNSEALED, {})[artefact_id] = sequence


def seal_history(session: Session) -> None:
    """Write the facts of every artefact that got a history entry in this transaction into its
    newest entry (and re-hash it, and its head). Constant statements whatever the number."""
    appended = session.info.pop(UNSEALED, None)
    if not appended:
        return
    session.flush()
    facts = stored_facts(session, appended)
    entries = HistoryEntry.__table__
    newest = session.execute(select(entries).join(HistoryHead, (HistoryHead.artefact_id == entries.c.artefact_id)
                                                  & (HistoryHead.sequence == entries.c.sequence))
                             .where(entries.c.artefact_id.in_(sorted(facts)))).all()
    sealed = []
    for row in newest:
        if row.sequence != appended[row.artefact_id]:
            continue  # only an entry of this transaction is ever rewritten, never one committed before
        entry = SimpleNamespace(**row._mapping)
        entry.facts = facts[row.artefact_id]
        sealed.append({"entry_id": row.id, "owner": row.artefact_id, "new_facts": entry.facts,
                       "new_hash": entry_hash(entry)})
    if not sealed:
        return
    session.execute(update(entries).where(entries.c.id == bindparam("entry_id"))
                    .values(facts=bindparam("new_facts", type_=entries.c.facts.type), hash=bindparam("new_hash")), sealed)
    heads = HistoryHead.__table__
    session.execute(update(heads).where(heads.c.artefact_id == bindparam("owner"))
                    .values(hash=bindparam("new_hash")), sealed)
    _refresh_loaded(session, sealed)


def _refresh_loaded(session: Session, sealed: list[dict]) -> None:
    """The session's own objects of the rows just updated show the new values (never marked dirty)."""
    by_entry = {row["entry_id"]: row for row in sealed}
    by_owner = {row["owner"]: row for row in sealed}
    for obj in list(session.identity_map.values()):
        if isinstance(obj, HistoryEntry) and obj.id in by_entry:
            set_committed_value(obj, "facts", by_entry[obj.id]["new_facts"])
            set_committed_value(obj, "hash", by_entry[obj.id]["new_hash"])
        elif isinstance(obj, HistoryHead) and obj.artefact_id in by_owner:
            set_committed_value(obj, "hash", by_owner[obj.artefact_id]["new_hash"])


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(UNSEALED, None)


# Every session of the product seals what it appended when it commits, and forgets it on rollback.
event.listen(Session, "before_commit", seal_history)
event.listen(Session, "after_rollback", _forget)
event.listen(Session, "after_soft_rollback", _forget)
