"""Users, passwords (argon2), API tokens and memberships with declined positions."""
from __future__ import annotations

import functools
import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import transaction
from ..documents.russian import position_forms
from ..safe_text import without_invisible
from ..models import ROLES, ApiToken, Membership, Organisation, User, utcnow
from .errors import NotFound, Unprocessable
from .runtime import Runtime

PASSWORDS = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
_LOGIN = re.compile(r"^[A-Za-z0-9_.@-]{2,100}$")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Unprocessable(f"Пароль должен быть не короче {MIN_PASSWORD_LENGTH} символов")
    return PASSWORDS.hash(password)


@functools.cache
def _dummy_hash() -> str:
    return PASSWORDS.hash(secrets.token_urlsafe(16))


def spend_password_check_time(password: str) -> None:
    """Verify against a hash of nothing: a sign-in with an unknown login (or a person without a
    password) costs the same argon2 time as a wrong password, so timing does not tell which exist."""
    try:
        PASSWORDS.verify(_dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        pass


def check_password(user: User, password: str) -> bool:
    """True when the password fits; re-hashes an outdated hash (the caller commits)."""
    if not user.password_hash:
        spend_password_check_time(password)
        return False
    try:
        PASSWORDS.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if PASSWORDS.check_needs_rehash(user.password_hash):
        user.password_hash = PASSWORDS.hash(password)
    return True


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Every session and remember-me cookie of the user stops working at their next request.

    Both carry the token (see web/session.py `WebUser.get_id`), checked on every request."""
    user.session_token = secrets.token_hex(16)


def sign_out_everywhere(rt: Runtime, user_id: int) -> None:
    """Logout: the user's sessions end on every device, a copied cookie included."""
    with transaction(rt.sessions) as session:
        user = session.get(User, user_id)
        if user is not None:
            end_sessions(user)


def create_user(session: Session, login: str, last_name: str, first_name: str, middle_name: str = "",
                gender: str = "f", password: str | None = None, email: str = "") -> User:
    if not _LOGIN.match(login):
        raise Unprocessable("Логин: латинские буквы, цифры и знаки _ . @ -, от 2 до 100 символов")
    if session.scalars(select(User).where(User.login == login)).first():
        raise Unprocessable(f"Пользователь «{login}» уже есть")
    if gender not in ("f", "m"):
        raise Unprocessable("Пол: f (женский) или m (мужской) — нужен для склонения имени в документах")
    last_name, first_name, middle_name = (without_invisible(name).strip() for name in (last_name, first_name, middle_name))
    user = User(login=login, last_name=last_name, first_name=first_name,
                middle_name=middle_name, gender=gender, email=email, session_token=secrets.token_hex(16))
    if password:
        set_password(user, password)
    session.add(user)
    session.flush()
    return user


def add_membership(session: Session, user: User, organisation: Organisation, roles: list[str], position: str,
                   **certificate) -> Membership:
    unknown = set(roles) - ROLES.keys()
    if unknown:
        raise Unprocessable(f"Неизвестные роли: {', '.join(sorted(unknown))}; допустимы: {', '.join(ROLES)}")
    forms = position_forms(position) if position else {}
    membership = Membership(user=user, organisation=organisation, roles=sorted(set(roles)), position=position,
                            position_gent=forms.get("gent", ""), position_datv=forms.get("datv", ""),
                            position_accs=forms.get("accs", ""), position_ablt=forms.get("ablt", ""),
                            **certificate)
    session.add(membership)
    session.flush()
    return membership


def find_user(session: Session, login: str) -> User:
    user = session.scalars(select(User).where(User.login == login)).first()
    if user is None:
        raise NotFound(f"Пользователь «{login}» не найден")
    return user


def issue_token(rt: Runtime, login: str, name: str = "") -> str:
    """Create an API token; only its SHA-256 is stored, so the token is shown once."""
    token = secrets.token_urlsafe(32)
    with transaction(rt.sessions) as session:
        user = find_user(session, login)
        session.add(ApiToken(user=user, name=name or f"токен от {rt.today():%d.%m.%Y}",
                             token_sha256=hashlib.sha256(token.encode()).hexdigest()))
    return token


def user_by_token(session: Session, token: str) -> User | None:
    found = session.scalars(select(ApiToken).where(
        ApiToken.token_sha256 == hashlib.sha256(token.encode()).hexdigest(), ApiToken.revoked_at.is_(None))).first()
    if found is None or not found.user.is_active:
        return None
    return found.user


def revoke_token(session: Session, token_id: int, user_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound("Токен не найден")
    token.revoked_at = utcnow()
