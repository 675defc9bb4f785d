"""Use cases of the JSON API besides the artefacts': a person's API tokens, and stored documents by id.

Tokens are random strings shown once; only their SHA-256 is stored (see `users.issue_token`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import undefer

from ..db import transaction
from ..models import ApiToken, Membership, StoredDocument
from .access import artefact_for, get_user
from .errors import NotFound, Unprocessable
from .runtime import Runtime
from .users import issue_token, revoke_token, user_by_token

MAX_TOKEN_NAME = 200
MAX_ID = 2**31 - 1  # ids are 32-bit integers in every supported database


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class DocumentFile:
    id: int
    file_name: str
    content: bytes
    sha256: str


def user_id_for_token(rt: Runtime, token: str) -> int | None:
    """The id of the active user who owns this active token, or None."""
    if not token or len(token) > 200 or not token.isascii():
        return None
    with rt.sessions() as session:
        user = user_by_token(session, token)
        return user.id if user is not None else None


def list_tokens(rt: Runtime, user_id: int) -> list[TokenInfo]:
    with rt.sessions() as session:
        rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                               .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
        return [TokenInfo(id=t.id, name=t.name, created_at=t.created_at, revoked_at=t.revoked_at) for t in rows]


def create_token(rt: Runtime, user_id: int, name: str = "") -> str:
    """Issue a token for this user; the returned value is the only time anyone sees it."""
    name = " ".join((name or "").split())
    if len(name) > MAX_TOKEN_NAME:
        raise Unprocessable(f"Название токена — не длиннее {MAX_TOKEN_NAME} символов")
    if "\x00" in name:
        raise Unprocessable("Название токена содержит недопустимый символ")
    with rt.sessions() as session:
        login = get_user(session, user_id).login
    return issue_token(rt, login, name)


def revoke_own_token(rt: Runtime, user_id: int, token_id: int) -> None:
    """Revoke one of the user's own tokens; someone else's token is «not found». Revoking twice is harmless."""
    if not 1 <= token_id <= MAX_ID:
        raise NotFound("Токен не найден")
    with transaction(rt.sessions) as session:
        token = session.get(ApiToken, token_id)
        if token is not None and token.user_id == user_id and token.revoked_at is not None:
            return
        revoke_token(session, token_id, user_id)


def member_organisation_ids(rt: Runtime, user_id: int) -> set[int]:
    with rt.sessions() as session:
        return set(session.scalars(select(Membership.organisation_id).where(Membership.user_id == user_id)))


def document_for(rt: Runtime, user_id: int, document_id: int) -> DocumentFile:
    """A stored document with its bytes, if the user belongs to the document's organisation.

    Another organisation's document is reported exactly like a missing one.
    """
    missing = NotFound(f"Документ (файл) № {document_id} не найден")
    if not 1 <= document_id <= MAX_ID:
        raise missing
    with rt.sessions() as session:
        document = session.get(StoredDocument, document_id, options=[undefer(StoredDocument.content)])
        if document is None:
            raise missing
        try:
            artefact, _ = artefact_for(session, user_id, document.artefact_id)
        except NotFound:
            raise missing from None
        if artefact.organisation_id != document.organisation_id:
            raise missing
        return DocumentFile(id=document.id, file_name=document.file_name, content=document.content,
                            sha256=document.sha256)
