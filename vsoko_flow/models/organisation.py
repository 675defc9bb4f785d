"""Organisations (schools, districts), users and their memberships with roles."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

ORGANISATION_KINDS = ("school", "district")

# Role codes used in workflow YAML files, with the Russian names users read.
ROLES: dict[str, str] = {
    "director": "Директор",
    "deputy": "Заместитель директора",
    "secretary": "Секретарь педагогического совета",
    "working_group": "Рабочая группа по ВСОКО",
    "mo_head": "Руководитель методического объединения",
    "executor": "Исполнитель",
    "methodologist": "Методист / эксперт ИМЦ, ЦОКО",
    "expert": "Эксперт мониторинга (район)",
    "district_admin": "Администратор района (руководитель органа управления образованием)",
    "observer": "Наблюдатель",
    "admin": "Администратор",
}


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisations.id"))
    full_name: Mapped[str] = mapped_column(Text)
    short_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    # Whether executors mark a control item «Взять в работу» before reporting; most schools only
    # report, so «Мои задачи» offers the step only where the school uses it.
    uses_start_step: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Printed on outgoing letters under the school's name (ГОСТ Р 7.0.97: справочные данные об организации).
    phone: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    parent: Mapped[Optional["Organisation"]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Organisation"]] = relationship(back_populates="parent")
    memberships: Mapped[list["Membership"]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str] = mapped_column(String(100), default="")
    gender: Mapped[str] = mapped_column(String(1), default="f")
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    # Rotated on password change so that old sessions and remember-me cookies die.
    session_token: Mapped[str] = mapped_column(String(64), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(back_populates="user")
    api_tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user")

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name, self.middle_name) if part)


class Membership(Base):
    """A user's place in an organisation: roles, position and its declined forms, certificate."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    roles: Mapped[list] = mapped_column(default=list)
    position: Mapped[str] = mapped_column(String(300), default="")
    position_gent: Mapped[str] = mapped_column(String(300), default="")
    position_datv: Mapped[str] = mapped_column(String(300), default="")
    position_accs: Mapped[str] = mapped_column(String(300), default="")
    position_ablt: Mapped[str] = mapped_column(String(300), default="")
    # Data of the qualified e-signature certificate, for the visual mark on documents.
    cert_serial: Mapped[str] = mapped_column(String(100), default="")
    cert_owner: Mapped[str] = mapped_column(String(300), default="")
    cert_valid_from: Mapped[Optional[dt.date]] = mapped_column()
    cert_valid_to: Mapped[Optional[dt.date]] = mapped_column()

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")

    def position_in(self, case: str) -> str:
        """The stored declined form of the position («nomn», «gent», «datv», «accs», «ablt»)."""
        if case == "nomn":
            return self.position
        return getattr(self, f"position_{case}") or self.position


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200), default="")
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column()

    user: Mapped[User] = relationship(back_populates="api_tokens")
