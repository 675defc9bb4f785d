"""Gap-free registration numbers: a counter row locked inside the transition's transaction."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import Journal, JournalCounter, JournalEntry
from .registry import ActionError


def period_key(journal: Journal, day: dt.date) -> str:
    if journal.period == "school_year":
        start = day.year if day.month >= 9 else day.year - 1
        return f"{start}/{start + 1}"
    if journal.period == "continuous":
        return "all"
    return str(day.year)


def format_number(mask: str, sequence: int) -> str:
    # Plain replacement, not str.format: masks hold braces and backslashes of real journals.
    return mask.replace("{n}", str(sequence)) if "{n}" in mask else f"{mask}{sequence}"


def find_journal(session: Session, organisation_id: int, code: str) -> Journal:
    journal = session.scalars(
        select(Journal).where(Journal.organisation_id == organisation_id, Journal.code == code)
    ).first()
    if journal is None:
        raise ActionError(f"В организации не заведён журнал регистрации «{code}»: добавьте его в настройках")
    return journal


def _locked_counter(session: Session, journal: Journal, key: str) -> JournalCounter:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(JournalCounter).values(journal_id=journal.id, period_key=key, last_number=0)
        .on_conflict_do_nothing(index_elements=["journal_id", "period_key"])
    )
    return session.scalars(
        select(JournalCounter).where(JournalCounter.journal_id == journal.id, JournalCounter.period_key == key)
        .with_for_update().execution_options(populate_existing=True)
    ).one()


def register(session: Session, journal: Journal, day: dt.date, artefact_id: int | None, subject: str) -> JournalEntry:
    """Issue the next number of the journal's period; the counter stays locked until commit."""
    key = period_key(journal, day)
    counter = _locked_counter(session, journal, key)
    counter.last_number += 1
    entry = JournalEntry(
        journal_id=journal.id, period_key=key, sequence=counter.last_number,
        number=format_number(journal.mask, counter.last_number), registered_on=day,
        artefact_id=artefact_id, subject=subject[:500],
    )
    session.add(entry)
    session.flush()
    return entry


def entry_on_date(session: Session, journal: Journal, day: dt.date) -> JournalEntry | None:
    return session.scalars(
        select(JournalEntry).where(JournalEntry.journal_id == journal.id, JournalEntry.registered_on == day)
        .order_by(JournalEntry.sequence)
    ).first()
