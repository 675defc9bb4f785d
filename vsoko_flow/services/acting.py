"""Recording who acts for the director: «И.о. директора с … по … (приказ от … № …)».

The order that assigns the duties is issued outside the system (or is one of its documents); what is
recorded here is its date and number and the period, so that on each day of it the director's tasks
go to the acting person, who may fire the director's transitions and signs in their own name
(procedures/acting.py). An assignment recorded by mistake is cancelled, never deleted: documents
signed under it keep pointing to it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import transaction
from ..documents.russian import date_digits, surname_initials
from ..models import ActingAssignment, Membership, Organisation, User, utcnow
from ..procedures.acting import ACTING_ROLES, acting_capacity
from .access import get_user, membership_in
from .admin import parse_date
from .errors import Conflict, Forbidden, NotFound, Unprocessable
from .runtime import Runtime

# Who may record an acting period: the organisation's administrator or its director.
MANAGING_ROLES = frozenset({"admin", "director"})
MAX_PERIOD_DAYS = 366
MAX_ORDER_NUMBER = 100


@dataclass(frozen=True)
class ActingView:
    id: int
    role: str
    capacity: str        # «И.о. директора»
    login: str
    name: str            # «Иванова И.И.»
    starts_on: dt.date
    ends_on: dt.date
    order_date: dt.date
    order_number: str
    cancelled: bool

    @property
    def text(self) -> str:
        """«И.о. директора Иванова И.И. с 01.12.2025 по 07.12.2025 (приказ от 28.11.2025 № 15-к)»."""
        return (f"{self.capacity} {self.name} с {date_digits(self.starts_on)} по {date_digits(self.ends_on)} "
                f"(приказ от {date_digits(self.order_date)} № {self.order_number})")

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "capacity": self.capacity, "login": self.login, "name": self.name,
                "starts_on": self.starts_on.isoformat(), "ends_on": self.ends_on.isoformat(),
                "order_date": self.order_date.isoformat(), "order_number": self.order_number,
                "cancelled": self.cancelled, "text": self.text}


def _view(assignment: ActingAssignment, user: User) -> ActingView:
    return ActingView(
        id=assignment.id, role=assignment.role, capacity=acting_capacity(assignment.role), login=user.login,
        name=surname_initials(user.last_name, user.first_name, user.middle_name), starts_on=assignment.starts_on,
        ends_on=assignment.ends_on, order_date=assignment.order_date, order_number=assignment.order_number,
        cancelled=assignment.cancelled_at is not None)


def _manager(session: Session, actor_id: int | None, organisation_id: int) -> None:
    """The administrator or the director of the organisation; `None` is the server operator (CLI)."""
    if actor_id is None:
        return
    get_user(session, actor_id)
    membership = membership_in(session, actor_id, organisation_id)
    if membership is None:
        raise NotFound("Организация не найдена")
    if not MANAGING_ROLES & set(membership.roles or []):
        raise Forbidden("Исполнение обязанностей директора записывают администратор или директор организации")


def list_acting(rt: Runtime, actor_id: int | None, organisation_id: int) -> list[ActingView]:
    """Every assignment of the organisation, the latest period first (cancelled ones too, marked)."""
    with rt.sessions() as session:
        if actor_id is not None and membership_in(session, actor_id, organisation_id) is None:
            raise NotFound("Организация не найдена")
        rows = session.execute(select(ActingAssignment, User).join(User, User.id == ActingAssignment.user_id)
                               .where(ActingAssignment.organisation_id == organisation_id)
                               .order_by(ActingAssignment.starts_on.desc(), ActingAssignment.id.desc())).all()
        return [_view(assignment, user) for assignment, user in rows]


def record_acting(rt: Runtime, actor_id: int | None, organisation_id: int, *, login: str, starts_on: Any,
                  ends_on: Any, order_date: Any, order_number: str, role: str = "director") -> ActingView:
    """Record an acting period; every problem is named by its field, nothing is stored then."""
    with transaction(rt.sessions) as session:
        _manager(session, actor_id, organisation_id)
        # One writer at a time per organisation: two overlapping periods cannot both pass the check.
        session.get(Organisation, organisation_id, with_for_update=True)
        values, errors = _checked(session, organisation_id, login, starts_on, ends_on, order_date, order_number, role)
        if errors:
            first = next(iter(errors.values()))
            raise Unprocessable(first if len(errors) == 1 else "Проверьте заполнение полей", details={"fields": errors})
        _refuse_overlap(session, organisation_id, role, values["starts_on"], values["ends_on"])
        member: Membership = values.pop("member")
        assignment = ActingAssignment(organisation_id=organisation_id, role=role, user_id=member.user_id,
                                      created_by=actor_id, **values)
        session.add(assignment)
        session.flush()
        return _view(assignment, member.user)


def cancel_acting(rt: Runtime, actor_id: int | None, organisation_id: int, acting_id: int) -> ActingView:
    """Cancel an assignment recorded by mistake: from now on it is not in effect."""
    with transaction(rt.sessions) as session:
        _manager(session, actor_id, organisation_id)
        assignment = session.get(ActingAssignment, acting_id, with_for_update=True)
        if assignment is None or assignment.organisation_id != organisation_id:
            raise NotFound(f"Запись об исполнении обязанностей № {acting_id} не найдена")
        if assignment.cancelled_at is not None:
            raise Conflict("Эта запись уже отменена")
        assignment.cancelled_at = utcnow()
        return _view(assignment, session.get(User, assignment.user_id))


def _date(errors: dict[str, str], name: str, value: Any, label: str) -> dt.date | None:
    try:
        day = parse_date(value)
    except ValueError:
        errors[name] = f"{label[0].upper()}{label[1:]}: дата в виде ДД.ММ.ГГГГ"
        return None
    if day is None:
        errors[name] = f"Укажите {label}"
    return day


def _checked(session: Session, organisation_id: int, login: str, starts_on: Any, ends_on: Any, order_date: Any,
             order_number: str, role: str) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    if role not in ACTING_ROLES:
        errors["role"] = f"Исполнение обязанностей записывается только для ролей: {', '.join(ACTING_ROLES)}"
    member = _member(session, organisation_id, (login or "").strip(), role, errors)
    starts = _date(errors, "starts_on", starts_on, "дату начала")
    ends = _date(errors, "ends_on", ends_on, "дату окончания")
    ordered = _date(errors, "order_date", order_date, "дату приказа")
    number = " ".join((order_number or "").split())
    if not number:
        errors["order_number"] = "Укажите номер приказа о возложении обязанностей"
    elif len(number) > MAX_ORDER_NUMBER:
        errors["order_number"] = f"Номер приказа — не длиннее {MAX_ORDER_NUMBER} символов"
    if starts and ends and ends < starts:
        errors["ends_on"] = f"Дата окончания ({date_digits(ends)}) раньше даты начала ({date_digits(starts)})"
    elif starts and ends and (ends - starts).days >= MAX_PERIOD_DAYS:
        errors["ends_on"] = "Период длиннее года: для долгого отсутствия назначьте директора в карточке сотрудника"
    if ordered and starts and ordered > starts:
        errors["order_date"] = (f"Приказ от {date_digits(ordered)} издан позже начала периода ({date_digits(starts)}): "
                                "обязанности возлагаются приказом заранее или в первый день")
    return {"member": member, "starts_on": starts, "ends_on": ends, "order_date": ordered, "order_number": number}, errors


def _member(session: Session, organisation_id: int, login: str, role: str, errors: dict[str, str]) -> Membership | None:
    if not login:
        errors["login"] = "Выберите сотрудника, который будет исполнять обязанности"
        return None
    member = session.scalars(select(Membership).join(User).where(
        Membership.organisation_id == organisation_id, User.login == login)).first()
    if member is None or not member.user.is_active:
        errors["login"] = f"Сотрудник «{login}» не найден в этой организации"
        return None
    if role in (member.roles or []):
        errors["login"] = f"{member.user.full_name} и так исполняет эти обязанности по должности"
        return None
    return member


def _refuse_overlap(session: Session, organisation_id: int, role: str, starts: dt.date, ends: dt.date) -> None:
    clash = session.execute(select(ActingAssignment, User).join(User, User.id == ActingAssignment.user_id).where(
        ActingAssignment.organisation_id == organisation_id, ActingAssignment.role == role,
        ActingAssignment.cancelled_at.is_(None), ActingAssignment.starts_on <= ends,
        ActingAssignment.ends_on >= starts)).first()
    if clash is not None:
        raise Unprocessable(f"Период пересекается с уже записанным: {_view(*clash).text}. Отмените ту запись "
                            "или выберите другие даты", details={"fields": {"starts_on": "период пересекается"}})
