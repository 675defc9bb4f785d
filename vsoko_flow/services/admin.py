"""Administration of one organisation: requisites, registration journals, people and their roles.

Every function takes the organisation the administrator works in and touches nothing
outside it: another organisation's user or journal is reported exactly like a missing one.
Each write is one transaction. Values returned are plain dataclasses, never ORM objects.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import transaction
from ..documents.russian import position_forms
from ..engine.journals import format_number, period_key
from ..models import (
    JOURNAL_PERIODS, ROLES, Journal, JournalCounter, JournalEntry, Membership, Organisation, OrganisationTemplate, User,
)
from . import organisations as organisation_service
from .errors import NotFound, Unprocessable
from .runtime import Runtime
from .users import add_membership, create_user, end_sessions, set_password

PERIOD_LABELS = {
    "calendar_year": "Календарный год (нумерация с 1 января)",
    "school_year": "Учебный год (нумерация с 1 сентября)",
    "continuous": "Сквозная нумерация (без сброса)",
}
GENDERS = {"f": "женский", "m": "мужской"}
# Declined forms of a position: case code → (Russian name, question, example phrase before the position).
POSITION_CASES: dict[str, tuple[str, str, str]] = {
    "gent": ("Родительный падеж", "кого?", "по представлению (кого?)"),
    "datv": ("Дательный падеж", "кому?", "поручить (кому?)"),
    "accs": ("Винительный падеж", "кого?", "назначить ответственным (кого?)"),
    "ablt": ("Творительный падеж", "кем?", "согласовано (кем?)"),
}
_JOURNAL_CODE = re.compile(r"^[a-z][a-z0-9_]{1,49}$")
_SERIAL = re.compile(r"^[0-9A-F]{1,64}$")
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_PASSWORD_LENGTH = 14


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class OrganisationView:
    id: int
    kind: str
    full_name: str
    short_name: str
    address: str
    city: str
    uses_start_step: bool
    phone: str
    email: str
    directors: list[str]
    members: int
    journals: int
    active_templates: int


@dataclass(frozen=True)
class JournalView:
    id: int
    code: str
    title: str
    mask: str
    period: str
    period_label: str
    period_key: str
    issued: int            # numbers issued in the current period (the counter: never edited here)
    next_number: str       # what the next registration will read


@dataclass(frozen=True)
class MemberView:
    user_id: int
    membership_id: int
    login: str
    last_name: str
    first_name: str
    middle_name: str
    gender: str
    email: str
    is_active: bool
    roles: list[str]
    position: str
    position_gent: str
    position_datv: str
    position_accs: str
    position_ablt: str
    cert_serial: str
    cert_owner: str
    cert_valid_from: dt.date | None
    cert_valid_to: dt.date | None
    other_organisations: list[str] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def role_labels(self) -> list[str]:
        return [ROLES.get(role, role) for role in self.roles]

    @property
    def has_certificate(self) -> bool:
        return bool(self.cert_serial)

    @property
    def owns_account(self) -> bool:
        """The person belongs to this organisation only, so its administrator edits their name and gender."""
        return not self.other_organisations

    def position_form(self, case: str) -> str:
        return getattr(self, f"position_{case}")


@dataclass(frozen=True)
class AddedMember:
    member: MemberView
    created: bool                      # a new account (False: an existing login joined the organisation)
    temporary_password: str | None     # shown once, never stored in clear


@dataclass(frozen=True)
class UpdatedMember:
    member: MemberView
    prefilled: list[str]               # the declined forms that were filled automatically


# --------------------------------------------------------------------------- helpers


def _organisation(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("Организация не найдена")
    return organisation


def _field_errors(errors: dict[str, str]) -> None:
    if errors:
        first = next(iter(errors.values()))
        raise Unprocessable(first if len(errors) == 1 else "Проверьте заполнение полей", details={"fields": errors})


def _text(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip()


def _check_length(errors: dict[str, str], name: str, value: str, limit: int, label: str) -> None:
    if len(value) > limit:
        errors[name] = f"{label}: не длиннее {limit} символов"


def parse_date(value: Any) -> dt.date | None:
    """A date from a form: «2025-04-03» (date input), «03.04.2025» (typed by hand) or a date; empty → None."""
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


# --------------------------------------------------------------------------- organisation


def organisation_view(rt: Runtime, organisation_id: int) -> OrganisationView:
    with rt.sessions() as session:
        organisation = _organisation(session, organisation_id)
        memberships = session.scalars(select(Membership).join(User).where(
            Membership.organisation_id == organisation_id).order_by(User.last_name, User.first_name)).all()
        directors = [f"{m.user.full_name}, {m.position or 'директор'}".strip(", ")
                     for m in memberships if "director" in (m.roles or []) and m.user.is_active]
        journals = session.scalar(select(func.count()).select_from(Journal).where(
            Journal.organisation_id == organisation_id))
        templates = session.scalar(select(func.count()).select_from(OrganisationTemplate).where(
            OrganisationTemplate.organisation_id == organisation_id, OrganisationTemplate.is_active.is_(True)))
        return OrganisationView(
            id=organisation.id, kind=organisation.kind, full_name=organisation.full_name,
            short_name=organisation.short_name, address=organisation.address, city=organisation.city,
            uses_start_step=organisation.uses_start_step, phone=organisation.phone, email=organisation.email,
            directors=directors, members=sum(1 for m in memberships if m.user.is_active), journals=journals or 0,
            active_templates=templates or 0)


def update_requisites(rt: Runtime, organisation_id: int, *, full_name: str, short_name: str, address: str,
                      city: str, uses_start_step: bool | None = None, phone: str = "",
                      email: str = "") -> OrganisationView:
    values = {"full_name": _text(full_name), "short_name": _text(short_name), "address": _text(address),
              "city": _text(city), "phone": _text(phone), "email": _text(email)}
    errors: dict[str, str] = {}
    if not values["full_name"]:
        errors["full_name"] = "Укажите полное наименование организации — оно печатается в шапке документов"
    if not values["short_name"]:
        errors["short_name"] = "Укажите сокращённое наименование, например «МБОУ СОШ № 29»"
    _check_length(errors, "full_name", values["full_name"], 1000, "Полное наименование")
    _check_length(errors, "short_name", values["short_name"], 200, "Сокращённое наименование")
    _check_length(errors, "address", values["address"], 1000, "Адрес")
    _check_length(errors, "city", values["city"], 200, "Место составления")
    _check_length(errors, "phone", values["phone"], 100, "Телефон")
    _check_length(errors, "email", values["email"], 200, "Электронная почта")
    if values["email"] and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", values["email"]):
        errors.setdefault("email", "Электронная почта указана неверно: нужен адрес вида school29@example.ru")
    _field_errors(errors)
    with transaction(rt.sessions) as session:
        organisation = _organisation(session, organisation_id)
        for name, value in values.items():
            setattr(organisation, name, value)
        if uses_start_step is not None:
            organisation.uses_start_step = bool(uses_start_step)
    return organisation_view(rt, organisation_id)


# --------------------------------------------------------------------------- journals


def mask_example(mask: str, sequence: int) -> str:
    """The number a mask gives: «Ш29-13-{n}/5», 7 → «Ш29-13-7/5»."""
    return format_number(mask, sequence)


def _journal_view(session: Session, journal: Journal, today: dt.date) -> JournalView:
    key = period_key(journal, today)
    issued = session.scalar(select(JournalCounter.last_number).where(
        JournalCounter.journal_id == journal.id, JournalCounter.period_key == key)) or 0
    return JournalView(id=journal.id, code=journal.code, title=journal.title, mask=journal.mask,
                       period=journal.period, period_label=PERIOD_LABELS.get(journal.period, journal.period),
                       period_key=key, issued=issued, next_number=mask_example(journal.mask, issued + 1))


def _journal(session: Session, organisation_id: int, journal_id: int) -> Journal:
    journal = session.get(Journal, journal_id)
    if journal is None or journal.organisation_id != organisation_id:
        raise NotFound("Журнал регистрации не найден")
    return journal


def list_journals(rt: Runtime, organisation_id: int, today: dt.date | None = None) -> list[JournalView]:
    today = today or rt.today()
    with rt.sessions() as session:
        journals = session.scalars(select(Journal).where(Journal.organisation_id == organisation_id)
                                   .order_by(Journal.title)).all()
        return [_journal_view(session, journal, today) for journal in journals]


def get_journal(rt: Runtime, organisation_id: int, journal_id: int, today: dt.date | None = None) -> JournalView:
    with rt.sessions() as session:
        return _journal_view(session, _journal(session, organisation_id, journal_id), today or rt.today())


def required_journal_codes(rt: Runtime) -> dict[str, list[str]]:
    """Journal codes the workflows register numbers in → the actions that need them."""
    codes: dict[str, list[str]] = {}
    for definition in rt.definitions.values():
        for transition in definition.transitions.values():
            for step in transition.actions:
                code = step.params.get("journal")
                if isinstance(code, str):
                    codes.setdefault(code, []).append(f"{definition.title}: {transition.label}")
    return codes


def missing_journals(rt: Runtime, organisation_id: int) -> dict[str, list[str]]:
    present = {j.code for j in list_journals(rt, organisation_id)}
    return {code: uses for code, uses in sorted(required_journal_codes(rt).items()) if code not in present}


def _journal_values(title: str, mask: str, period: str) -> tuple[str, str, str]:
    title, mask = _text(title), str(mask or "").strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Укажите название журнала"
    _check_length(errors, "title", title, 200, "Название")
    if mask.count("{n}") != 1:
        errors["mask"] = "Маска номера должна содержать {n} ровно один раз — это место порядкового номера, " \
                         "например «Ш29-13-{n}/5» или «{n}-ОД»"
    _check_length(errors, "mask", mask, 90, "Маска")
    if period not in JOURNAL_PERIODS:
        errors["period"] = "Выберите, когда нумерация начинается заново"
    _field_errors(errors)
    return title, mask, period


def _refuse_repeated_number(session: Session, journal: Journal, today: dt.date) -> None:
    """A new mask or period must not start issuing numbers that were already issued."""
    view = _journal_view(session, journal, today)
    taken = session.scalar(select(JournalEntry.period_key).where(
        JournalEntry.journal_id == journal.id, JournalEntry.number == view.next_number,
        JournalEntry.period_key != view.period_key).limit(1))
    if taken is not None:
        message = (f"После такого изменения следующим будет номер «{view.next_number}», а он уже выдан в этом "
                   f"журнале (период {taken}): номера повторятся. Измените маску, например добавьте в неё год")
        raise Unprocessable(message, details={"fields": {"mask": message}})


def create_journal(rt: Runtime, organisation_id: int, *, code: str, title: str, mask: str, period: str,
                   today: dt.date | None = None) -> JournalView:
    code = str(code or "").strip()
    if not _JOURNAL_CODE.match(code):
        raise Unprocessable("Код журнала: латинские строчные буквы, цифры и «_», от 2 до 50 символов, "
                            "например «orders»", details={"fields": {"code": "Неверный код журнала"}})
    title, mask, period = _journal_values(title, mask, period)
    with transaction(rt.sessions) as session:
        journal = organisation_service.add_journal(session, _organisation(session, organisation_id), code, title,
                                                   mask, period)
        return _journal_view(session, journal, today or rt.today())


def update_journal(rt: Runtime, organisation_id: int, journal_id: int, *, title: str, mask: str, period: str,
                   today: dt.date | None = None) -> JournalView:
    """Change the title, number mask and numbering period. The code and the counter never change here."""
    title, mask, period = _journal_values(title, mask, period)
    today = today or rt.today()
    with transaction(rt.sessions) as session:
        journal = _journal(session, organisation_id, journal_id)
        journal.title, journal.mask, journal.period = title, mask, period
        session.flush()
        _refuse_repeated_number(session, journal, today)
        return _journal_view(session, journal, today)


# --------------------------------------------------------------------------- people


def _member_view(session: Session, membership: Membership) -> MemberView:
    user = membership.user
    others = session.scalars(select(Organisation.short_name).join(Membership).where(
        Membership.user_id == user.id, Membership.organisation_id != membership.organisation_id)
        .order_by(Organisation.short_name)).all()
    return MemberView(
        user_id=user.id, membership_id=membership.id, login=user.login, last_name=user.last_name,
        first_name=user.first_name, middle_name=user.middle_name, gender=user.gender, email=user.email,
        is_active=user.is_active, roles=sorted(membership.roles or [], key=lambda r: list(ROLES).index(r)
                                               if r in ROLES else len(ROLES)),
        position=membership.position, position_gent=membership.position_gent,
        position_datv=membership.position_datv, position_accs=membership.position_accs,
        position_ablt=membership.position_ablt, cert_serial=membership.cert_serial, cert_owner=membership.cert_owner,
        cert_valid_from=membership.cert_valid_from, cert_valid_to=membership.cert_valid_to,
        other_organisations=list(others))


def _membership(session: Session, organisation_id: int, user_id: int) -> Membership:
    membership = session.scalars(select(Membership).where(
        Membership.organisation_id == organisation_id, Membership.user_id == user_id)).first()
    if membership is None:
        raise NotFound("Пользователь не найден в этой организации")
    return membership


def list_members(rt: Runtime, organisation_id: int) -> list[MemberView]:
    with rt.sessions() as session:
        memberships = session.scalars(select(Membership).join(User).where(
            Membership.organisation_id == organisation_id)
            .order_by(User.is_active.desc(), User.last_name, User.first_name, User.middle_name)).all()
        return [_member_view(session, m) for m in memberships]


def get_member(rt: Runtime, organisation_id: int, user_id: int) -> MemberView:
    with rt.sessions() as session:
        return _member_view(session, _membership(session, organisation_id, user_id))


def temporary_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(TEMPORARY_PASSWORD_LENGTH))


def _check_roles(roles: list[str] | None) -> list[str]:
    roles = list(roles or [])
    unknown = set(roles) - ROLES.keys()
    if unknown:
        raise Unprocessable(f"Неизвестные роли: {', '.join(sorted(unknown))}", details={"fields": {"roles": "Неизвестная роль"}})
    return sorted(set(roles))


def add_member(rt: Runtime, organisation_id: int, *, login: str, last_name: str = "", first_name: str = "",
               middle_name: str = "", gender: str = "f", email: str = "", roles: list[str] | None = None,
               position: str = "") -> AddedMember:
    """Add a person to the organisation: a new account with a temporary password, or an existing login.

    The position's declined forms are filled automatically; the administrator checks them next.
    """
    login = str(login or "").strip()
    roles = _check_roles(roles)
    position = _text(position)
    errors: dict[str, str] = {}
    if not login:
        errors["login"] = "Укажите логин"
    if not roles:
        errors["roles"] = "Отметьте хотя бы одну роль"
    _check_length(errors, "position", position, 300, "Должность")
    _field_errors(errors)
    with transaction(rt.sessions) as session:
        organisation = _organisation(session, organisation_id)
        user = session.scalars(select(User).where(User.login == login)).first()
        password = None
        if user is None:
            names = {"last_name": _text(last_name), "first_name": _text(first_name), "middle_name": _text(middle_name)}
            if not names["last_name"]:
                errors["last_name"] = "Укажите фамилию"
            if not names["first_name"]:
                errors["first_name"] = "Укажите имя"
            for name, value in names.items():
                _check_length(errors, name, value, 100, "Фамилия, имя, отчество")
            if gender not in GENDERS:
                errors["gender"] = "Укажите пол — он нужен, чтобы склонять имя в документах"
            email = _text(email)
            if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
                errors["email"] = "Неверный адрес электронной почты"
            _field_errors(errors)
            password = temporary_password()
            user = create_user(session, login, names["last_name"], names["first_name"], names["middle_name"],
                               gender, password=password, email=email)
        else:
            if not user.is_active:
                raise Unprocessable(f"Учётная запись «{login}» отключена: её включает администратор сервера",
                                    details={"fields": {"login": "Учётная запись отключена"}})
            exists = session.scalars(select(Membership.id).where(
                Membership.user_id == user.id, Membership.organisation_id == organisation_id)).first()
            if exists is not None:
                raise Unprocessable(f"«{login}» уже состоит в этой организации",
                                    details={"fields": {"login": "Уже состоит в организации"}})
        membership = add_membership(session, user, organisation, roles, position)
        return AddedMember(member=_member_view(session, membership), created=password is not None,
                           temporary_password=password)


def _admins_left(session: Session, organisation_id: int, without_user: int) -> int:
    return sum(1 for m in session.scalars(select(Membership).join(User).where(
        Membership.organisation_id == organisation_id, Membership.user_id != without_user,
        User.is_active.is_(True))) if "admin" in (m.roles or []))


def _certificate(errors: dict[str, str], serial: str, owner: str, valid_from: Any, valid_to: Any
                 ) -> tuple[str, str, dt.date | None, dt.date | None]:
    serial = re.sub(r"[\s:]", "", str(serial or "")).upper()
    owner = _text(owner)
    dates: dict[str, dt.date | None] = {}
    for name, value, label in (("cert_valid_from", valid_from, "«Действителен с»"),
                               ("cert_valid_to", valid_to, "«Действителен по»")):
        try:
            dates[name] = parse_date(value)
        except ValueError:
            errors[name] = f"{label}: дата в виде ДД.ММ.ГГГГ, например 27.08.2024"
            dates[name] = None
        else:
            if dates[name] is not None and not dt.date(2000, 1, 1) <= dates[name] <= dt.date(2100, 12, 31):
                errors[name] = f"{label}: дата вне разумных пределов"
    starts, ends = dates["cert_valid_from"], dates["cert_valid_to"]
    if serial and not _SERIAL.match(serial):
        errors["cert_serial"] = "Серийный номер сертификата — шестнадцатеричные цифры (0–9, A–F), не более 64"
    anything = serial or owner or valid_from or valid_to
    if anything and not serial:
        errors["cert_serial"] = "Укажите серийный номер сертификата (или очистите все поля сертификата)"
    if anything and "cert_valid_from" not in errors and starts is None:
        errors["cert_valid_from"] = "Укажите дату начала действия сертификата"
    if anything and "cert_valid_to" not in errors and ends is None:
        errors["cert_valid_to"] = "Укажите дату окончания действия сертификата"
    if starts and ends and starts > ends:
        errors["cert_valid_to"] = "Дата окончания действия сертификата раньше даты начала"
    _check_length(errors, "cert_owner", owner, 300, "Владелец")
    return serial, owner, starts, ends


def update_member(rt: Runtime, organisation_id: int, user_id: int, *, actor_id: int, roles: list[str],
                  position: str, forms: dict[str, str] | None = None, gender: str | None = None,
                  last_name: str | None = None, first_name: str | None = None, middle_name: str | None = None,
                  email: str | None = None, cert_serial: str = "", cert_owner: str = "", cert_valid_from: Any = None,
                  cert_valid_to: Any = None) -> UpdatedMember:
    """Save a member's roles, position with its declined forms, certificate and (own accounts) name and gender.

    A declined form is filled automatically when it is empty, or when the position changed and
    the form was left as it was; a form the administrator edited is kept.
    """
    roles = _check_roles(roles)
    position = _text(position)
    forms = {case: _text((forms or {}).get(case)) for case in POSITION_CASES}
    errors: dict[str, str] = {}
    _check_length(errors, "position", position, 300, "Должность")
    for case, value in forms.items():
        _check_length(errors, f"position_{case}", value, 300, POSITION_CASES[case][0])
    serial, owner, starts, ends = _certificate(errors, cert_serial, cert_owner, cert_valid_from, cert_valid_to)
    if gender is not None and gender not in GENDERS:
        errors["gender"] = "Укажите пол — он нужен, чтобы склонять имя в документах"
    _field_errors(errors)
    with transaction(rt.sessions) as session:
        membership = _membership(session, organisation_id, user_id)
        user = membership.user
        if "admin" in (membership.roles or []) and "admin" not in roles and \
                not _admins_left(session, organisation_id, user_id):
            raise Unprocessable("В организации должен остаться хотя бы один администратор",
                                details={"fields": {"roles": "Нельзя снять роль последнего администратора"}})
        if user_id == actor_id and "admin" not in roles:
            raise Unprocessable("Нельзя снять роль администратора с самого себя: попросите другого администратора",
                                details={"fields": {"roles": "Нельзя снять роль администратора с самого себя"}})
        owns_account = not session.scalars(select(Membership.id).where(
            Membership.user_id == user_id, Membership.organisation_id != organisation_id)).first()
        if owns_account:
            _update_person(user, errors, gender, last_name, first_name, middle_name, email)
            _field_errors(errors)
        old_position = membership.position
        automatic = position_forms(position) if position else {}
        prefilled = []
        for case in POSITION_CASES:
            stored = getattr(membership, f"position_{case}")
            value = forms[case]
            if not position:
                value = ""
            elif not value or (position != old_position and value == stored):
                value = automatic.get(case, position)
                prefilled.append(case)
            setattr(membership, f"position_{case}", value)
        membership.roles = roles
        membership.position = position
        membership.cert_serial, membership.cert_owner = serial, owner
        membership.cert_valid_from, membership.cert_valid_to = starts, ends
        session.flush()
        return UpdatedMember(member=_member_view(session, membership), prefilled=prefilled)


def _update_person(user: User, errors: dict[str, str], gender: str | None, last_name: str | None,
                   first_name: str | None, middle_name: str | None, email: str | None) -> None:
    if gender is not None:
        user.gender = gender
    for name, value, required in (("last_name", last_name, True), ("first_name", first_name, True),
                                  ("middle_name", middle_name, False)):
        if value is None:
            continue
        value = _text(value)
        if required and not value:
            errors[name] = "Укажите фамилию" if name == "last_name" else "Укажите имя"
        elif len(value) > 100:
            errors[name] = "Не длиннее 100 символов"
        else:
            setattr(user, name, value)
    if email is not None:
        email = _text(email)
        if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
            errors["email"] = "Неверный адрес электронной почты"
        else:
            user.email = email


def suggested_forms(position: str) -> dict[str, str]:
    """Declined forms a position would get automatically (for showing next to the fields)."""
    position = _text(position)
    return {case: form for case, form in position_forms(position).items() if case in POSITION_CASES} if position else {}


def deactivate_member(rt: Runtime, organisation_id: int, user_id: int, *, actor_id: int) -> str:
    """Stop a person's access to this organisation; nothing is deleted.

    Someone who belongs to this organisation only is switched off (they cannot sign in; their
    sessions end). Someone who also works elsewhere leaves this organisation: their
    membership here is removed, their account and their other organisations stay.
    Returns "deactivated" or "removed".
    """
    if user_id == actor_id:
        raise Unprocessable("Нельзя отключить самого себя")
    with transaction(rt.sessions) as session:
        membership = _membership(session, organisation_id, user_id)
        user = membership.user
        if "admin" in (membership.roles or []) and not _admins_left(session, organisation_id, user_id):
            raise Unprocessable("В организации должен остаться хотя бы один администратор")
        elsewhere = session.scalars(select(Membership.id).where(
            Membership.user_id == user_id, Membership.organisation_id != organisation_id)).first()
        if elsewhere is not None:
            session.delete(membership)
            return "removed"
        user.is_active = False
        user.session_token = secrets.token_hex(16)  # every session and remember-me cookie ends now
        return "deactivated"


def activate_member(rt: Runtime, organisation_id: int, user_id: int) -> MemberView:
    with transaction(rt.sessions) as session:
        membership = _membership(session, organisation_id, user_id)
        if session.scalars(select(Membership.id).where(
                Membership.user_id == user_id, Membership.organisation_id != organisation_id)).first():
            raise Unprocessable("Пользователь состоит и в других организациях: его включает администратор сервера")
        membership.user.is_active = True
        return _member_view(session, membership)


def end_member_sessions(rt: Runtime, organisation_id: int, user_id: int) -> MemberView:
    """«Завершить все сеансы»: the member is signed out everywhere, remember-me cookies included."""
    with transaction(rt.sessions) as session:
        end_sessions(_membership(session, organisation_id, user_id).user)
    return get_member(rt, organisation_id, user_id)


def reset_password(rt: Runtime, organisation_id: int, user_id: int, *, actor_id: int) -> str:
    """A new temporary password for a member (shown once); their other sessions end."""
    if user_id == actor_id:
        raise Unprocessable("Свой пароль меняйте на странице «Смена пароля»")
    with transaction(rt.sessions) as session:
        membership = _membership(session, organisation_id, user_id)
        if membership.user.is_active is False:
            raise Unprocessable("Учётная запись отключена: сначала включите её")
        if session.scalars(select(Membership.id).where(
                Membership.user_id == user_id, Membership.organisation_id != organisation_id)).first():
            raise Unprocessable("Пользователь состоит и в других организациях: пароль ему сбрасывает "
                                "администратор сервера (vsoko users …)")
        password = temporary_password()
        set_password(membership.user, password)
        return password
