"""One place that decides whose artefact is whose: every read and write goes through here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Artefact, Membership, User
from .errors import Conflict, Forbidden, NotFound


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


@dataclass(frozen=True)
class DraftWords:
    """How the refusals of a draft's editing name what is edited: «План уже изменён», «Пункты можно менять…»."""

    noun: str  # «План», «Документ»
    parts: str  # «Пункты», «Текст»
    whose: str  # «этот план», «этот документ»
    retry: str  # «обновите страницу», «обновите и повторите»


def editable_draft(session: Session, definition_of: Callable[[str], Any], user_id: int, artefact_id: int,
                   version: int | None, words: DraftWords, lock: bool = True) -> tuple[Artefact, Any]:
    """The artefact (and its definition) if the person may change it now: the version they saw, a state in
    which it is edited, a role that creates documents of its kind — or the refusal (Conflict, Forbidden)."""
    artefact, membership = artefact_for(session, user_id, artefact_id, lock=lock)
    definition = definition_of(artefact.kind)
    if version is not None and version != artefact.version:
        raise Conflict(f"{words.noun} уже изменён (версия {artefact.version}, у вас {version}): {words.retry}")
    if artefact.state not in definition.editable_states:
        raise Conflict(f"{words.parts} можно менять только в состоянии «{definition.state_label(definition.initial)}»")
    if not definition.create_roles.intersection(membership.roles or []):
        raise Forbidden(f"У вас нет права редактировать {words.whose}")
    return artefact, definition
