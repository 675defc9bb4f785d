"""Background jobs: long work (PDF copies, reminders, district letters) done after commit by a
job worker, with its progress and result kept in the database.

A job is split into units (one document, one person's digest, one school's letter). Each unit is
done in its own transaction together with its `JobUnit` row, whose unique key makes a unit that
was already done impossible to do twice: a job interrupted by a killed worker is resumed from
where it stopped, and every unit is produced exactly once.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

JOB_STATES = ("queued", "running", "done", "failed")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_heartbeat", "state", "heartbeat_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(300), default="")
    organisation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisations.id"), index=True)
    requested_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    params: Mapped[dict] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    # Who holds the job now (a random token per run) and when it last said it is alive: a job
    # whose holder stopped saying so is taken over by another worker.
    runner: Mapped[str] = mapped_column(String(32), default="")
    heartbeat_at: Mapped[Optional[dt.datetime]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[Optional[dt.datetime]] = mapped_column()
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column()


class JobUnit(Base):
    """One unit of a job that is done; written in the same transaction as the unit's work."""

    __tablename__ = "job_units"
    __table_args__ = (UniqueConstraint("job_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    result: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
