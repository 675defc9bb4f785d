"""The quality cycle's own tables: checklist versions, an audit's checklist lines, which finding a
section of a corrective-action plan answers, and each school's settings of the cycle.

Audits, findings, corrective-action plans, effectiveness checks and yearly reviews themselves
are artefacts (see workflows/audit.yaml and its neighbours); these tables hold what is not a
document with a life of its own.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class ChecklistVersion(Base):
    """A school's own version of a checklist (the shipped versions are YAML files in checklists/).

    Versions are never changed: an edit adds the next version, and an audit keeps the version
    it was ordered with (its lines are copied into `audit_lines`)."""

    __tablename__ = "checklist_versions"
    __table_args__ = (UniqueConstraint("organisation_id", "code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(Text)
    area: Mapped[str] = mapped_column(String(20))
    # [{code, section, text, source}] in order.
    lines: Mapped[list] = mapped_column(default=list)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditLine(Base):
    """One requirement of an audit's checklist and the auditors' answer to it."""

    __tablename__ = "audit_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    # Stable across checklist versions: a repeated failure of the same requirement is recognised by it.
    code: Mapped[str] = mapped_column(String(50), default="")
    section: Mapped[str] = mapped_column(Text, default="")
    requirement: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, default="")
    # "" (not answered yet), conforms, partial, nonconforming, not_applicable
    answer: Mapped[str] = mapped_column(String(20), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    # The plan row, act or document the line concerns.
    plan_item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("plan_items.id", ondelete="SET NULL"))
    linked_artefact_id: Mapped[Optional[int]] = mapped_column(ForeignKey("artefacts.id"))
    # Evidence rows (kept on the audit artefact) attached to this line.
    evidence_ids: Mapped[list] = mapped_column(default=list)
    answered_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[Optional[dt.datetime]] = mapped_column()
    finding_id: Mapped[Optional[int]] = mapped_column(ForeignKey("artefacts.id"), index=True)


class CorrectiveSection(Base):
    """The finding a section of a corrective-action plan answers (its rows are the finding's actions)."""

    __tablename__ = "corrective_sections"

    section_id: Mapped[int] = mapped_column(ForeignKey("plan_sections.id", ondelete="CASCADE"), primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id"), index=True)


class QualitySettings(Base):
    """A school's choices in the quality cycle; a school without a row has the defaults."""

    __tablename__ = "quality_settings"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    # Does a corrective-action plan go through the pedagogical council before the director's order?
    corrective_plan_council: Mapped[bool] = mapped_column(default=True)
    # Days between the acceptance of an action and the check of its effectiveness.
    effectiveness_days: Mapped[int] = mapped_column(default=30)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
