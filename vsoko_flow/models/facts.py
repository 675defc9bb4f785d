"""What an artefact's history vouches for besides states and documents: its title and fields, its
text, its plan rows, its evidence and its journal numbers.

Each group of facts is reduced to a SHA-256 ("facts" of a history entry: group → digest). The
digests are written into the artefact's newest history entry when the transaction that appended
it commits (engine/history.py `seal_history`, a `before_commit` hook): by then every change the transaction made is
flushed, so the entry vouches for the artefact as it was left. The entry's hash covers the
digests; `vsoko verify` recomputes them from the stored rows and names the group that differs.

The same function (`facts_of`) digests the rows read at commit and the rows streamed by verify:
both are plain column values read back from the database, so JSON and dates compare alike.
The sealing itself is generic and lives with the chain (engine/history.py `seal_history`).
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .artefact import Artefact, Evidence, PlanItem, PlanSection, Section
from .journal import JournalEntry

CHUNK = 5000  # ids per IN (…) list

# The columns each group digests (besides the artefact id the rows belong to).
ARTEFACT_COLUMNS = (Artefact.kind, Artefact.organisation_id, Artefact.title, Artefact.school_year, Artefact.fields,
                    Artefact.parent_id, Artefact.supersedes_id, Artefact.due_date)
SECTION_COLUMNS = (Section.id, Section.position, Section.number, Section.text)
PLAN_SECTION_COLUMNS = (PlanSection.id, PlanSection.position, PlanSection.number, PlanSection.title)
PLAN_ITEM_COLUMNS = (PlanItem.id, PlanItem.section_id, PlanItem.position, PlanItem.number, PlanItem.fields,
                     PlanItem.responsible_text, PlanItem.responsible_logins, PlanItem.external_executors,
                     PlanItem.deadline_text, PlanItem.schedule, PlanItem.carried_over_from_id)
EVIDENCE_COLUMNS = (Evidence.id, Evidence.file_name, Evidence.link_url, Evidence.sha256, Evidence.size)
JOURNAL_COLUMNS = (JournalEntry.id, JournalEntry.journal_id, JournalEntry.period_key, JournalEntry.sequence,
                   JournalEntry.number, JournalEntry.registered_on)

# Group → (what verify says changed, the model, its columns).
GROUPS: dict[str, tuple[str, Any, tuple]] = {
    "text": ("текст акта (пункты)", Section, SECTION_COLUMNS),
    "plan_sections": ("разделы плана", PlanSection, PLAN_SECTION_COLUMNS),
    "plan_items": ("строки плана", PlanItem, PLAN_ITEM_COLUMNS),
    "evidence": ("материалы исполнения (файлы и ссылки)", Evidence, EVIDENCE_COLUMNS),
    "journal": ("записи журнала регистрации (номера)", JournalEntry, JOURNAL_COLUMNS),
}
GROUP_LABELS = {"artefact": "название или поля документа", **{name: group[0] for name, group in GROUPS.items()}}


def _digest(values: Any) -> str:
    canonical = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _values(row: Any, columns: tuple) -> list:
    return [getattr(row, column.key) for column in columns]


def facts_of(artefact: Any, groups: dict[str, list]) -> dict[str, str]:
    """{group: digest} of one artefact; `artefact` and the rows have the columns above as attributes."""
    facts = {"artefact": _digest(_values(artefact, ARTEFACT_COLUMNS))}
    for name, (_, _, columns) in GROUPS.items():
        rows = sorted(groups.get(name) or (), key=lambda row: row.id)
        facts[name] = _digest([_values(row, columns) for row in rows]) if rows else _empty_digest()
    return facts


def _empty_digest() -> str:
    """The digest of a group without rows (most groups of most artefacts): computed once."""
    global _EMPTY
    if _EMPTY is None:
        _EMPTY = _digest([])
    return _EMPTY


_EMPTY: str | None = None


def stored_facts(session: Session, artefact_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """The facts of the given artefacts as the database holds them now (a query per group)."""
    ids = sorted(set(artefact_ids))
    artefacts: dict[int, Any] = {}
    groups: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for chunk in (ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)):
        for row in session.execute(select(Artefact.id, *ARTEFACT_COLUMNS).where(Artefact.id.in_(chunk))):
            artefacts[row.id] = row
        for name, (_, model, columns) in GROUPS.items():
            key = model.artefact_id
            for row in session.execute(select(key.label("owner"), *columns).where(key.in_(chunk))):
                groups[row.owner][name].append(row)
    return {artefact_id: facts_of(row, groups[artefact_id]) for artefact_id, row in artefacts.items()}


