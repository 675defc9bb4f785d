"""District monitoring of the schools' ВСОКО: expert cards (versioned), a campaign's schools, expert
groups, requests to schools and the card of each school.

The campaign itself is an artefact of the district (workflows/monitoring_campaign.yaml): its life,
history and documents go through the engine like any other. These tables hold what a campaign is
made of and what the experts and schools write into it.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Float, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class MonitoringCard(Base):
    """A version of an expert card: criteria with their scale, weight, hint, evidence and the pass mark.

    Versions are never changed: an edit adds the next version; a campaign keeps the version it was
    launched with, so last year's results stay comparable to the card they were scored on."""

    __tablename__ = "monitoring_cards"
    __table_args__ = (UniqueConstraint("organisation_id", "code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(Text)
    # Percent of the maximum a school needs to pass; from `green_from` on it is in the green zone.
    pass_mark: Mapped[int] = mapped_column(default=60)
    green_from: Mapped[int] = mapped_column(default=85)
    # [{code, text, scale: yes_no | zero_two | thresholds, weight, hint, evidence, auto, high, middle}]
    criteria: Mapped[list] = mapped_column(default=list)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MonitoringCampaign(Base):
    """What a campaign (an artefact of the district) checks with which card, and the campaign before it."""

    __tablename__ = "monitoring_campaigns"

    artefact_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("monitoring_cards.id"))
    previous_id: Mapped[Optional[int]] = mapped_column(ForeignKey("artefacts.id"))
    data_deadline: Mapped[Optional[dt.date]] = mapped_column()


class MonitoringGroup(Base):
    """An expert group of a campaign; its experts are district members with the role «expert»."""

    __tablename__ = "monitoring_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    expert_ids: Mapped[list] = mapped_column(default=list)


class MonitoringSchoolCard(Base):
    """One school in one campaign: the group that checks it and its filled card.

    `answers`: {criterion code: {"value", "score", "comment", "auto_value"}}; the totals are kept with
    the card so the results screen reads one row per school."""

    __tablename__ = "monitoring_school_cards"
    __table_args__ = (UniqueConstraint("campaign_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("monitoring_groups.id", ondelete="SET NULL"))
    # pending (not filled yet), draft (being filled), returned (the expert handed it in)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    answers: Mapped[dict] = mapped_column(default=dict)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    percent: Mapped[float] = mapped_column(Float, default=0.0)
    zone: Mapped[str] = mapped_column(String(10), default="")
    recommendations: Mapped[str] = mapped_column(Text, default="")
    filled_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    returned_at: Mapped[Optional[dt.datetime]] = mapped_column()
    # The school's answer to its card: a corrective-action plan of the quality cycle (its findings are
    # the criteria below the pass mark); the next campaign shows whether the school acted.
    corrective_plan_id: Mapped[Optional[int]] = mapped_column(ForeignKey("artefacts.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MonitoringRequest(Base):
    """What a campaign asks a school for (what the system does not hold), by a deadline."""

    __tablename__ = "monitoring_requests"
    __table_args__ = (Index("ix_monitoring_requests_school_open", "school_id", "answered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    text: Mapped[str] = mapped_column(Text)
    due_date: Mapped[dt.date] = mapped_column()
    answer: Mapped[str] = mapped_column(Text, default="")
    answer_link: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[Optional[dt.datetime]] = mapped_column()


class MonitoringFile(Base):
    """A file a campaign's job made: the .xlsx of the results, the analytical справка, a school's letter.

    Kept apart from the artefacts' documents on purpose: every download goes through the campaign's
    own access check (a letter only to its school and the district's methodologists, never to an
    expert of another group)."""

    __tablename__ = "monitoring_files"
    __table_args__ = (UniqueConstraint("job_id", "unit_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("artefacts.id", ondelete="CASCADE"), index=True)
    # None for a file about the whole district (the справка, the .xlsx).
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(20))  # xlsx, report, letter
    job_id: Mapped[Optional[int]] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    unit_key: Mapped[str] = mapped_column(String(200), default="")
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
