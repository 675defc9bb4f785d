"""Gap-free registration numbers: a counter row locked inside the transition's transaction.

Issuing a number locks the journal's counter row until commit, and every other transaction
numbering in that journal waits for it. So a transition reserves its numbers first (a
placeholder stands in for each in fields and documents) and issues them only at its end,
after the documents are rendered: the counter stays locked for the last few milliseconds of
the transaction instead of all of it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..documents.render import placeholder
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


def refuse_back_dating(session: Session, journal: Journal, key: str, day: dt.date) -> None:
    """A journal is kept in date order: no new number for a day earlier than a number already issued
    (№ 5 of 24.11 after № 6 of 30.11 would be a back-dated record)."""
    later = session.scalars(
        select(JournalEntry).where(JournalEntry.journal_id == journal.id, JournalEntry.period_key == key,
                                   JournalEntry.registered_on > day)
        .order_by(JournalEntry.registered_on.desc(), JournalEntry.sequence.desc()).limit(1)
    ).first()
    if later is not None:
        raise ActionError(
            f"Уже выдан № {later.number} от {later.registered_on:%d.%m.%Y} («{journal.title}»): номер на "
            f"более раннюю дату ({day:%d.%m.%Y}) выдать нельзя — журнал ведётся в порядке дат. Укажите дату "
            f"не раньше {later.registered_on:%d.%m.%Y} (или проверьте, верна ли дата документа № {later.number})")


def register(session: Session, journal: Journal, day: dt.date, artefact_id: int | None, subject: str) -> JournalEntry:
    """Issue the next number of the journal's period; the counter stays locked until commit."""
    key = period_key(journal, day)
    counter = _locked_counter(session, journal, key)
    refuse_back_dating(session, journal, key, day)  # under the counter's lock: no race can slip one in
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


@dataclass(frozen=True)
class _Reservation:
    placeholder: str
    journal: Journal
    day: dt.date
    artefact_id: int | None
    subject: str
    one_per_day: bool
    typed: str = ""  # a number the school wrote in its paper journal, taken as it is if free


@dataclass
class NumberReservations:
    """The numbers a transition will take, issued together at its end by `issue`."""

    _pending: list[_Reservation] = field(default_factory=list)

    def reserve(self, journal: Journal, day: dt.date, artefact_id: int | None, subject: str, *,
                one_per_day: bool = False, typed: str = "") -> str:
        """The placeholder of the next number of `journal`; with `one_per_day`, the number already
        given to that day (a body sitting once a day numbers all it records that day alike), else the next one."""
        stand_in = placeholder(len(self._pending))
        self._pending.append(_Reservation(stand_in, journal, day, artefact_id, subject, one_per_day, typed.strip()))
        return stand_in

    def issue(self, session: Session) -> dict[str, str]:
        """Lock the counters and register the numbers: placeholder → number."""
        numbers = {}
        # One order of locking for every transaction: two that take numbers of the same two
        # journals cannot wait for each other.
        for item in sorted(self._pending, key=lambda r: (r.journal.id, period_key(r.journal, r.day))):
            numbers[item.placeholder] = self._issue_one(session, item).number
        self._pending.clear()
        return numbers

    @staticmethod
    def _issue_one(session: Session, item: _Reservation) -> JournalEntry:
        if not item.one_per_day:
            return _registered(session, item)
        # Looked up under the counter's lock: two records of one day made at once get one number.
        _locked_counter(session, item.journal, period_key(item.journal, item.day))
        same_day = entry_on_date(session, item.journal, item.day)
        if same_day is not None and item.typed and same_day.number != item.typed:
            raise ActionError(f"На {item.day:%d.%m.%Y} в журнале «{item.journal.title}» уже записан № {same_day.number}: "
                              f"в один день у журнала один номер; укажите № {same_day.number} или оставьте поле пустым")
        return same_day or _registered(session, item)


def _registered(session: Session, item: _Reservation) -> JournalEntry:
    """The next entry of the journal; with a typed number, that number — refused when the period has it."""
    if not item.typed:
        return register(session, item.journal, item.day, item.artefact_id, item.subject)
    key = period_key(item.journal, item.day)
    _locked_counter(session, item.journal, key)
    taken = session.scalars(select(JournalEntry).where(
        JournalEntry.journal_id == item.journal.id, JournalEntry.period_key == key,
        JournalEntry.number == item.typed)).first()
    if taken is not None:
        raise ActionError(f"№ {item.typed} уже есть в журнале «{item.journal.title}» ({key}): он выдан "
                          f"{taken.registered_on:%d.%m.%Y} — проверьте номер по бумажному журналу")
    entry = register(session, item.journal, item.day, item.artefact_id, item.subject)
    entry.number = item.typed[:100]
    session.flush()
    return entry
