"""One place that decides whose artefact is whose: every read and write goes through here."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Artefact, Membership, User
from .errors import NotFound


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("Пользователь не найден или отключён")
    return user


def membership_in(session: Session, user_id: int, organisation_id: int) -> Membership | None:
    return session.scalars(
        select(Membership).where(Membership.user_id == user_id, Membership.organisation_id == organisation_id)
    ).first()


def artefact_for(session: Session, user_id: int | None, artefact_id: int, lock: bool = False
                 ) -> tuple[Artefact, Membership | None]:
    """The artefact and the user's membership in its organisation.

    Another organisation's artefact is reported exactly like a missing one (no existence leak).
    `user_id=None` is the server operator at the command line, who reads every organisation;
    the web layer always passes the signed-in user.
    """
    if lock:
        artefact = session.get(Artefact, artefact_id, with_for_update=True, populate_existing=True)
    else:
        artefact = session.get(Artefact, artefact_id)
    if artefact is not None and user_id is None:
        return artefact, None
    membership = membership_in(session, user_id, artefact.organisation_id) if artefact else None
    if artefact is None or membership is None:
        raise NotFound(f"Документ № {artefact_id} не найден")
    return artefact, membership
