"""Signatures a stored document needs, and — once made — their proof; who acts for whom, and when."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

SIGNATURE_STATES = ("pending", "signed", "declined")
SIGNATURE_KINDS = ("simple", "qualified")


class Signature(Base):
    """One signature one document needs from one person, in one place of it (its «slot»).

    Created unsigned («pending») in the transaction that stores the document. Signing fills in
    the proof and never touches the document's bytes: a simple e-signature records the time, the
    document's SHA-256 and the signer (63-ФЗ ст. 9); a qualified one also keeps the detached CMS
    file and the data of the certificate it was verified against.
    """

    __tablename__ = "signatures"
    __table_args__ = (
        UniqueConstraint("document_id", "slot"),
        Index("ix_signatures_signer_state", "signer_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    artefact_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # Where in the document: a registered signatory name (director, chair, secretary, …).
    slot: Mapped[str] = mapped_column(String(50))
    # Who must sign, and in what capacity as the document prints it («Директор», «И.о. директора»).
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    capacity: Mapped[str] = mapped_column(String(300), default="")
    acting_id: Mapped[Optional[int]] = mapped_column(ForeignKey("acting_assignments.id"))
    due_date: Mapped[Optional[dt.date]] = mapped_column()
    state: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The signature, once made (or the reason it was declined).
    kind: Mapped[str] = mapped_column(String(20), default="")
    signed_at: Mapped[Optional[dt.datetime]] = mapped_column()
    document_sha256: Mapped[str] = mapped_column(String(64), default="")
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    cms: Mapped[Optional[bytes]] = mapped_column(LargeBinary, deferred=True)
    cms_sha256: Mapped[str] = mapped_column(String(64), default="")
    cert_serial: Mapped[str] = mapped_column(String(100), default="")
    cert_owner: Mapped[str] = mapped_column(String(300), default="")
    cert_issuer: Mapped[str] = mapped_column(String(300), default="")
    cert_valid_from: Mapped[Optional[dt.date]] = mapped_column()
    cert_valid_to: Mapped[Optional[dt.date]] = mapped_column()
    # The signing time the signer's software put into the CMS file (signed attribute), if any.
    claimed_signing_time: Mapped[Optional[dt.datetime]] = mapped_column()


class ActingAssignment(Base):
    """«И.о. директора с … по … (приказ от … № …)»: a member performs a role's duties for a period.

    During the period the role's tasks go to the acting person, who may fire its transitions and
    signs, in their own name, what is issued in that capacity. Days are inclusive.
    """

    __tablename__ = "acting_assignments"
    __table_args__ = (Index("ix_acting_assignments_org_role", "organisation_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    role: Mapped[str] = mapped_column(String(50))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_on: Mapped[dt.date] = mapped_column()
    ends_on: Mapped[dt.date] = mapped_column()
    order_date: Mapped[dt.date] = mapped_column()
    order_number: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Recorded by mistake: kept for the record, no longer in effect.
    cancelled_at: Mapped[Optional[dt.datetime]] = mapped_column()
