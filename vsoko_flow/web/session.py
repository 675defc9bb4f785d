"""Who is signed in, and in which organisation they are working now."""
from __future__ import annotations

from dataclasses import dataclass, field

from io import BytesIO
from urllib.parse import quote

from flask import abort, current_app, g, send_file, session
from flask_login import UserMixin, current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..models import Membership, Organisation, User
from ..safe_text import without_invisible
from ..services.errors import ServiceError
from ..services.runtime import Runtime
from .extensions import login_manager


@dataclass
class WebUser(UserMixin):
    """The signed-in person as the web layer sees them: plain values, no ORM object."""

    id: int
    login: str
    full_name: str
    session_token: str
    organisations: dict[int, str] = field(default_factory=dict)  # id → short name
    roles: dict[int, list[str]] = field(default_factory=dict)    # organisation id → roles

    def get_id(self) -> str:
        # The per-user token is rotated on password change: old sessions and remember-me cookies die.
        return f"{self.id}:{self.session_token}"


def runtime() -> Runtime:
    return current_app.extensions["vsoko_runtime"]


def load_web_user(user: User, memberships: list[Membership]) -> WebUser:
    return WebUser(
        id=user.id, login=user.login, full_name=user.full_name, session_token=user.session_token,
        organisations={m.organisation_id: m.organisation.short_name for m in memberships},
        roles={m.organisation_id: list(m.roles or []) for m in memberships},
    )


@login_manager.user_loader
def _load_user(user_id: str) -> WebUser | None:
    user_part, _, token = user_id.partition(":")
    if not user_part.isdigit() or not token:
        return None
    with runtime().sessions() as db:
        user = db.get(User, int(user_part))
        if user is None or not user.is_active or user.session_token != token:
            return None
        memberships = db.scalars(select(Membership).join(Organisation).options(contains_eager(Membership.organisation))
                                 .where(Membership.user_id == user.id).order_by(Organisation.short_name)).all()
        return load_web_user(user, list(memberships))


def current_organisation_id() -> int:
    """The organisation the user works in now (chosen in the header when they have several)."""
    chosen = session.get("organisation_id")
    if chosen in current_user.organisations:
        return chosen
    if not current_user.organisations:
        abort(403, "Вы не состоите ни в одной организации: обратитесь к администратору")
    return next(iter(current_user.organisations))


def current_roles() -> list[str]:
    return current_user.roles.get(current_organisation_id(), [])


def abort_for(error: ServiceError):
    """Turn a use-case error into the matching HTTP error with its Russian message."""
    g.service_error = error
    abort(error.status, error.message)


RFC5987_SAFE = "!#$&+-.^_`|~"


def send_download(data: bytes, file_name: str, mimetype: str, fallback_stem: str):
    """A file download with its Cyrillic name (RFC 5987 filename*), never cached.

    Werkzeug's ASCII fallback of a Cyrillic name is only spaces («      .docx»), so the plain
    `filename` names the file by `fallback_stem` («document-12.docx»); browsers use filename*.
    """
    file_name = without_invisible(file_name)  # names stored before invisible characters were removed
    response = send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=file_name, max_age=0)
    suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
    fallback = file_name if file_name.isascii() and '"' not in file_name else f"{fallback_stem}.{suffix}"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe=RFC5987_SAFE)}")
    response.headers["Cache-Control"] = "private, no-store"
    return response
