"""Artefacts, their sections, append-only history and stored documents."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..deadlines.phrases import describe_stored
from .base import Base, utcnow
from .organisation import Organisation


class Artefact(Base):
    __tablename__ = "artefacts"
    __table_args__ = (
        Index("ix_artefacts_org_kind_state", "organisation_id", "kind", "state"),
        # A school's counts and its list of school years read only its own rows.
        Index("ix_artefacts_org_id", "organisation_id", "id"),
        Index("ix_artefacts_org_school_year", "organisation_id", "school_year"),
        # The documents of one kind in a school year (the year's reviews, audits, plans): a year's
        # 3 000 control items share the school and the year, so without the kind the database
        # reads them all — as it chose to, before its statistics caught up with a plan's approval.
        Index("ix_artefacts_org_kind_year", "organisation_id", "kind", "school_year"),
        # Whatever the code does, two editions of one act type are never in force together
        # (the approval also locks the type's row first, so a race is refused with a message).
        Index("uq_artefacts_one_in_force_per_act_type", "organisation_id", "act_type_id", unique=True,
              sqlite_where=text("state = 'in_force' AND act_type_id IS NOT NULL"),
              postgresql_where=text("state = 'in_force' AND act_type_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    title: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(50))
    # Optimistic lock: clients send the version they saw; a stale one is a conflict.
    version: Mapped[int] = mapped_column(default=1)
    school_year: Mapped[str] = mapped_column(String(9), default="")
    fields: Mapped[dict] = mapped_column(default=dict)
    supersedes_id: Mapped[Optional[int]] = mapped_column(ForeignKey("artefacts.id"))
    # A local act's type in the school's nomenclature (номенклатура ЛНА); NULL for other kinds.
    act_type_id: Mapped[Optional[int]] = mapped_column(ForeignKey("act_types.id"))
    # A control item (plan item occurrence, council decision) belongs to its plan or meeting.
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("artefacts.id"), index=True)
    # When a controlled item is due; NULL for acts and for items linked to another schedule.
    due_date: Mapped[Optional[dt.date]] = mapped_column(index=True)
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    supersedes: Mapped[Optional["Artefact"]] = relationship(remote_side=[id], foreign_keys=[supersedes_id])
    sections: Mapped[list["Section"]] = relationship(
        order_by="Section.position", cascade="all, delete-orphan", back_populates="artefact"
    )

    __mapper_args__ = {"version_id_col": version}


class Section(Base):
    """A numbered section of an act's body: «1.» (heading) or «1.1.» (clause)."""

    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    artefact_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    number: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)

    artefact: Mapped[Artefact] = relationship(back_populates="sections")

    @property
    def level(self) -> int:
        return self.number.strip(".").count(".") + 1


class HistoryEntry(Base):
    """Append-only and hash-chained per artefact: each hash covers the previous one."""

    __tablename__ = "history_entries"
    __table_args__ = (UniqueConstraint("artefact_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    artefact_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id"))  # indexed by (artefact_id, sequence)
    sequence: Mapped[int] = mapped_column()
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    trigger: Mapped[str] = mapped_column(String(50))
    from_state: Mapped[str] = mapped_column(String(50), default="")
    to_state: Mapped[str] = mapped_column(String(50))
    comment: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[dict] = mapped_column(default=dict)
    document_hashes: Mapped[list] = mapped_column(default=list)
    # Digests of what the entry vouches for as the transaction left the artefact (models/facts.py):
    # title and fields, text, plan rows, evidence, journal numbers. Empty in entries written before.
    facts: Mapped[dict] = mapped_column(default=dict, server_default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class HistoryHead(Base):
    """The last entry of each artefact's chain: deleting the newest entries cannot go unnoticed."""

    __tablename__ = "history_heads"

    artefact_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id"), primary_key=True)
    sequence: Mapped[int] = mapped_column()
    hash: Mapped[str] = mapped_column(String(64))


class StoredDocument(Base):
    """A rendered official document: immutable bytes with their SHA-256 and template version."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    artefact_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    history_sequence: Mapped[int] = mapped_column()
    template_name: Mapped[str] = mapped_column(String(100))
    template_sha256: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str] = mapped_column(String(300))
    registration_number: Mapped[str] = mapped_column(String(100), default="")
    registration_date: Mapped[Optional[dt.date]] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    # Hash of what the document says (template + context); printed in its QR code,
    # since a file cannot contain its own SHA-256.
    content_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OrganisationTemplate(Base):
    """An organisation's own version of a document template; the newest active one is used."""

    __tablename__ = "organisation_templates"
    __table_args__ = (UniqueConstraint("organisation_id", "name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column()
    original_file_name: Mapped[str] = mapped_column(String(300), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DocumentPdf(Base):
    """A PDF rendition of a stored document, cached by the document's SHA-256 (same bytes, same PDF)."""

    __tablename__ = "document_pdfs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ArtefactAssignee(Base):
    """Who must act on a controlled item: a member of the organisation or an outside body («ИМЦ»)."""

    __tablename__ = "artefact_assignees"

    id: Mapped[int] = mapped_column(primary_key=True)
    artefact_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    external_name: Mapped[str] = mapped_column(String(300), default="")


class PlanSection(Base):
    """A numbered section of a plan table («1. Организационно-технологическое сопровождение …»)."""

    __tablename__ = "plan_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    artefact_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    number: Mapped[str] = mapped_column(String(30), default="")
    title: Mapped[str] = mapped_column(Text)


class PlanItem(Base):
    """A row of a plan, roadmap or decision list: what, who, by when (as written and as understood)."""

    __tablename__ = "plan_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    artefact_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[Optional[int]] = mapped_column(ForeignKey("plan_sections.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    number: Mapped[str] = mapped_column(String(30), default="")
    fields: Mapped[dict] = mapped_column(default=dict)
    responsible_text: Mapped[str] = mapped_column(Text, default="")
    responsible_logins: Mapped[list] = mapped_column(default=list)
    external_executors: Mapped[list] = mapped_column(default=list)
    deadline_text: Mapped[str] = mapped_column(Text, default="")
    schedule: Mapped[dict] = mapped_column(default=dict)
    # The schedule in words («31.12.2026; 31.05.2027»), written whenever the schedule is: the plan's
    # page shows it for every row and does not describe a year of rows again on each view.
    deadline_description: Mapped[str] = mapped_column(Text, default="", server_default="")
    warnings: Mapped[list] = mapped_column(default=list)
    # Same row imported twice → same fingerprint: the import does not duplicate it.
    fingerprint: Mapped[str] = mapped_column(String(64), index=True, default="")
    carried_over_from_id: Mapped[Optional[int]] = mapped_column(ForeignKey("plan_items.id"))

    @validates("schedule")
    def _describe_schedule(self, _key: str, schedule: dict | None) -> dict | None:
        self.deadline_description = describe_stored(schedule)
        return schedule


class Evidence(Base):
    """A file or link an executor attaches to a report on a controlled item."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    artefact_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(300), default="")
    link_url: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[Optional[bytes]] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(default=0)
    uploaded_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
