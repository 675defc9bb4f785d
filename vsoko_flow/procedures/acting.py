"""Acting for another (замещение): whose duties a member performs, on which days.

The director's duties are assigned to a deputy for a period by an order («И.о. директора с …
по … (приказ от … № …)», recorded with services/acting.py). On each day of the period the
director's tasks go to the acting person, who may fire the director's transitions, and what is
issued in the director's capacity names and is signed by the acting person: «И.о. директора
М.Б. Светлова» — never the absent director's name or signature.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..documents.russian import initials_surname
from ..engine.context import TransitionContext
from ..models import ActingAssignment, Membership

# The roles whose duties may be assigned, with the genitive that follows «И.о.».
ACTING_ROLES: dict[str, str] = {"director": "директора"}


def acting_capacity(role: str) -> str:
    """«И.о. директора»."""
    return f"И.о. {ACTING_ROLES[role]}"


def _in_effect(day: dt.date):
    return (ActingAssignment.cancelled_at.is_(None), ActingAssignment.starts_on <= day, ActingAssignment.ends_on >= day)


def acting_assignment(session: Session, organisation_id: int, role: str, day: dt.date) -> ActingAssignment | None:
    """Who performs the role's duties on that day, if anyone is assigned to."""
    return session.scalars(select(ActingAssignment).where(
        ActingAssignment.organisation_id == organisation_id, ActingAssignment.role == role, *_in_effect(day))
        .order_by(ActingAssignment.id.desc()).limit(1)).first()


def acting_roles(session: Session, user_id: int, organisation_id: int, day: dt.date) -> set[str]:
    """The roles whose duties the user performs for another on that day."""
    return set(session.scalars(select(ActingAssignment.role).where(
        ActingAssignment.organisation_id == organisation_id, ActingAssignment.user_id == user_id, *_in_effect(day))))


def delegated_roles(session: Session, membership: Membership, day: dt.date) -> set[str]:
    """The member's own roles whose duties another person performs on that day (the member is away)."""
    own = set(membership.roles or []) & ACTING_ROLES.keys()
    if not own:
        return set()
    return set(session.scalars(select(ActingAssignment.role).where(
        ActingAssignment.organisation_id == membership.organisation_id, ActingAssignment.role.in_(sorted(own)),
        ActingAssignment.user_id != membership.user_id, *_in_effect(day))))


def roles_on(session: Session, membership: Membership, day: dt.date) -> set[str]:
    """What the member may do on that day: their own roles and those they act in."""
    return set(membership.roles or []) | acting_roles(session, membership.user_id, membership.organisation_id, day)


def task_roles_on(session: Session, membership: Membership, day: dt.date) -> set[str]:
    """Whose tasks the member sees on that day: an absent director's go to the acting person."""
    return roles_on(session, membership, day) - delegated_roles(session, membership, day)


@dataclass(frozen=True)
class Signer:
    """A person who signs a document, in the capacity the document prints («И.о. директора»)."""

    membership: Membership
    capacity: str
    acting_id: int | None = None

    @property
    def initials_surname(self) -> str:
        user = self.membership.user
        return initials_surname(user.last_name, user.first_name, user.middle_name)


def director_signer(ctx: TransitionContext) -> Signer | None:
    """Who signs for the director what this transition issues.

    The person firing it signs when they act as the director that day, or hold the role (a
    director who is in acts herself); anyone else's documents (a deputy's letters) are signed by
    whoever performs the director's duties that day: the acting person, else the director."""
    acting = acting_assignment(ctx.session, ctx.artefact.organisation_id, "director", ctx.today)
    if acting is not None and acting.user_id == ctx.actor.id:
        return Signer(ctx.membership, acting_capacity("director"), acting.id)
    if "director" in (ctx.membership.roles or []):
        return Signer(ctx.membership, ctx.membership.position or "Директор")
    if acting is not None:
        member = next((m for m in ctx.staff() if m.user_id == acting.user_id), None)
        if member is not None:
            return Signer(member, acting_capacity("director"), acting.id)
    director = ctx.member_with_role("director")
    return Signer(director, director.position or "Директор") if director is not None else None
