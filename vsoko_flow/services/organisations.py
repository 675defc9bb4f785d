"""Organisations (schools under districts) and their registration journals."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import JOURNAL_PERIODS, Journal, Organisation
from .errors import NotFound, Unprocessable


def create_organisation(session: Session, kind: str, full_name: str, short_name: str, city: str = "",
                        address: str = "", parent_id: int | None = None) -> Organisation:
    if kind not in ("school", "district"):
        raise Unprocessable("Вид организации: school (школа) или district (район, ИМЦ/ЦОКО)")
    if parent_id is not None:
        parent = session.get(Organisation, parent_id)
        if parent is None or parent.kind != "district":
            raise NotFound("Вышестоящая организация (район) не найдена")
    organisation = Organisation(kind=kind, full_name=full_name.strip(), short_name=short_name.strip(),
                                city=city.strip(), address=address.strip(), parent_id=parent_id)
    session.add(organisation)
    session.flush()
    return organisation


def add_journal(session: Session, organisation: Organisation, code: str, title: str, mask: str = "{n}",
                period: str = "calendar_year") -> Journal:
    if period not in JOURNAL_PERIODS:
        raise Unprocessable(f"Период нумерации: {', '.join(JOURNAL_PERIODS)}")
    if "{n}" not in mask:
        raise Unprocessable("Маска номера должна содержать {n} — место порядкового номера, например «{n}-ОД»")
    exists = session.scalars(select(Journal).where(Journal.organisation_id == organisation.id,
                                                   Journal.code == code)).first()
    if exists:
        raise Unprocessable(f"Журнал «{code}» уже есть")
    journal = Journal(organisation_id=organisation.id, code=code, title=title, mask=mask, period=period)
    session.add(journal)
    session.flush()
    return journal
