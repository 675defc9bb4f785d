"""Registration journals: orders and council protocols, numbered per calendar or school year."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

# How the counter restarts: every calendar year, every school year, or never.
JOURNAL_PERIODS = ("calendar_year", "school_year", "continuous")


class Journal(Base):
    __tablename__ = "journals"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    code: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(200))
    # The number as written on documents; {n} is the sequence number: «Ш29-13-291/{n}», «{n}-ОД».
    mask: Mapped[str] = mapped_column(String(100), default="{n}")
    period: Mapped[str] = mapped_column(String(20), default="calendar_year")


class JournalCounter(Base):
    """The last number issued in one period; locked in the transition's transaction."""

    __tablename__ = "journal_counters"
    __table_args__ = (UniqueConstraint("journal_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journal_id: Mapped[int] = mapped_column(ForeignKey("journals.id"))
    period_key: Mapped[str] = mapped_column(String(20))
    last_number: Mapped[int] = mapped_column(default=0)


class JournalEntry(Base):
    """One registered number; the unique constraint makes a duplicate impossible."""

    __tablename__ = "journal_entries"
    __table_args__ = (UniqueConstraint("journal_id", "period_key", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journal_id: Mapped[int] = mapped_column(ForeignKey("journals.id"))
    period_key: Mapped[str] = mapped_column(String(20))
    sequence: Mapped[int] = mapped_column()
    number: Mapped[str] = mapped_column(String(100))
    registered_on: Mapped[dt.date] = mapped_column()
    artefact_id: Mapped[Optional[int]] = mapped_column(ForeignKey("artefacts.id"))
    subject: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    journal: Mapped[Journal] = relationship()
