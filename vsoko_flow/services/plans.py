"""Plans: importing their tables, editing rows, and rolling a plan into the next school year.

An import is stateless: the preview parses the file and writes nothing; «Сохранить» parses the
same file again and stores it (any worker can serve either request). Rows already in the plan
(same fingerprint) are not added twice.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import transaction
from ..deadlines.phrases import Kind, describe, parse_deadline, Schedule
from ..deadlines.school_year import SchoolYear
from ..engine.control import CONTROL_KIND, FINAL_CONTROL_STATES
from ..engine.history import append_entry
from ..imports.plan_rows import ImportedPlan, parse_plan
from ..imports.responsible import Position, resolve_responsible
from ..imports.tables import TableImportError, read_table_file
from ..models import Artefact, Membership, PlanItem, PlanSection, User, utcnow
from .access import artefact_for, get_user
from .artefacts import add_artefact
from .errors import Conflict, Forbidden, NotFound, Unprocessable
from .runtime import Runtime


@dataclass(frozen=True)
class ImportResult:
    sections_added: int
    items_added: int
    duplicates: int
    version: int


def organisation_positions(session: Session, organisation_id: int) -> list[Position]:
    """The organisation's positions with the logins of those who hold them (for «Ответственный»)."""
    holders: dict[str, list[str]] = defaultdict(list)
    for title, login in session.execute(select(Membership.position, User.login).join(User).where(
            Membership.organisation_id == organisation_id, User.is_active.is_(True), Membership.position != "")):
        holders[title].append(login)
    return [Position(key=title, title=title, user_logins=tuple(sorted(logins))) for title, logins in holders.items()]


def _editable_plan(session: Session, rt: Runtime, artefact_id: int, user_id: int, version: int | None):
    artefact, membership = artefact_for(session, user_id, artefact_id, lock=True)
    definition = rt.definition(artefact.kind)
    if not definition.columns:
        raise Unprocessable("У документа этого вида нет таблицы пунктов")
    if version is not None and version != artefact.version:
        raise Conflict(f"План уже изменён (версия {artefact.version}, у вас {version}): обновите страницу")
    if artefact.state not in definition.editable_states:
        raise Conflict(f"Пункты можно менять только в состоянии «{definition.state_label(definition.initial)}»")
    if not definition.create_roles.intersection(membership.roles or []):
        raise Forbidden("У вас нет права редактировать этот план")
    return artefact


def parse_upload(session: Session, artefact: Artefact, data: bytes, file_name: str) -> ImportedPlan:
    try:
        tables = read_table_file(data, file_name)
        return parse_plan(tables, artefact.school_year, organisation_positions(session, artefact.organisation_id))
    except TableImportError as exc:
        raise Unprocessable(str(exc)) from None


def preview_import(rt: Runtime, artefact_id: int, user_id: int, data: bytes, file_name: str) -> dict[str, Any]:
    """How every row would be stored, with warnings; marks rows already in the plan. Writes nothing."""
    with rt.sessions() as session:
        artefact, _ = artefact_for(session, user_id, artefact_id)
        plan = parse_upload(session, artefact, data, file_name)
        existing = set(session.scalars(select(PlanItem.fingerprint).where(PlanItem.artefact_id == artefact.id)))
        preview = plan.to_dict()
        for item in preview["items"]:
            item["duplicate"] = item["fingerprint"] in existing
            item["deadline_description"] = describe(Schedule.from_dict(item["schedule"])) if item["schedule"] else ""
        return preview


def commit_import(rt: Runtime, artefact_id: int, user_id: int, data: bytes, file_name: str,
                  version: int | None = None) -> ImportResult:
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        artefact = _editable_plan(session, rt, artefact_id, user_id, version)
        plan = parse_upload(session, artefact, data, file_name)
        positions = {p.key: p for p in organisation_positions(session, artefact.organisation_id)}
        sections_added, items_added, duplicates = _store_plan(session, artefact, plan, positions)
        artefact.updated_at = utcnow()
        session.flush()
        append_entry(session, artefact, actor, "import_items", artefact.state, fields={
            "file_name": file_name, "file_sha256": hashlib.sha256(data).hexdigest(),
            "sections_added": sections_added, "items_added": items_added, "duplicates": duplicates})
        return ImportResult(sections_added, items_added, duplicates, artefact.version)


def _store_plan(session: Session, artefact: Artefact, plan: ImportedPlan, positions: dict[str, Position]
                ) -> tuple[int, int, int]:
    existing = set(session.scalars(select(PlanItem.fingerprint).where(PlanItem.artefact_id == artefact.id)))
    sections = {(s.number or "", s.title): s for s in session.scalars(
        select(PlanSection).where(PlanSection.artefact_id == artefact.id))}
    next_section = session.scalar(select(func.count()).select_from(PlanSection)
                                  .where(PlanSection.artefact_id == artefact.id)) or 0
    next_item = session.scalar(select(func.count()).select_from(PlanItem).where(PlanItem.artefact_id == artefact.id)) or 0
    section_rows: dict[int, PlanSection] = {}
    sections_added = items_added = duplicates = 0
    for imported in plan.sections:
        key = (imported.number or "", imported.title)
        if key not in sections:
            sections[key] = PlanSection(artefact_id=artefact.id, position=next_section, number=imported.number or "",
                                        title=imported.title)
            session.add(sections[key])
            next_section += 1
            sections_added += 1
        section_rows[imported.index] = sections[key]
    session.flush()
    for imported in plan.items:
        if imported.fingerprint in existing:
            duplicates += 1
            continue
        existing.add(imported.fingerprint)
        match = imported.responsible_match or {}
        logins = sorted({login for key in match.get("position_keys", []) if key in positions
                         for login in positions[key].user_logins})
        session.add(PlanItem(
            artefact_id=artefact.id, section_id=section_rows[imported.section_index].id, position=next_item,
            number=imported.full_number or imported.number, fields={**imported.fields, **imported.extra},
            responsible_text=imported.responsible, responsible_logins=logins,
            external_executors=list(match.get("external", [])), deadline_text=imported.deadline,
            schedule=imported.schedule or {}, warnings=list(imported.warnings), fingerprint=imported.fingerprint))
        next_item += 1
        items_added += 1
    return sections_added, items_added, duplicates


def update_item(rt: Runtime, artefact_id: int, item_id: int, user_id: int, *, version: int | None,
                fields: dict[str, str] | None = None, responsible_logins: list[str] | None = None,
                external_executors: list[str] | None = None, deadline_text: str | None = None) -> int:
    """Fix one row: its texts, who is responsible, its deadline (re-parsed). Returns the new version."""
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        artefact = _editable_plan(session, rt, artefact_id, user_id, version)
        item = session.get(PlanItem, item_id)
        if item is None or item.artefact_id != artefact.id:
            raise NotFound("Пункт плана не найден")
        if fields:
            item.fields = {**item.fields, **{k: v.strip() for k, v in fields.items()}}
        if responsible_logins is not None:
            item.responsible_logins = _checked_logins(session, artefact.organisation_id, responsible_logins)
        if external_executors is not None:
            item.external_executors = [name.strip() for name in external_executors if name.strip()]
        if deadline_text is not None:
            item.deadline_text = deadline_text.strip()
            item.schedule = parse_deadline(item.deadline_text, artefact.school_year).to_dict()
        item.warnings = _item_warnings(item)
        artefact.updated_at = utcnow()
        session.flush()
        append_entry(session, artefact, actor, "edit_item", artefact.state, fields={
            "item_id": item.id, "number": item.number, "deadline_text": item.deadline_text,
            "responsible_logins": item.responsible_logins})
        return artefact.version


def _checked_logins(session: Session, organisation_id: int, logins: list[str]) -> list[str]:
    wanted = sorted({login.strip() for login in logins if login.strip()})
    found = set(session.scalars(select(User.login).join(Membership).where(
        Membership.organisation_id == organisation_id, User.login.in_(wanted))))
    missing = [login for login in wanted if login not in found]
    if missing:
        raise Unprocessable(f"Нет таких сотрудников в организации: {', '.join(missing)}")
    return wanted


def _item_warnings(item: PlanItem) -> list[str]:
    """What still needs a person's attention in this row (re-computed after every edit)."""
    warnings = []
    schedule = item.schedule or {}
    if schedule.get("kind", Kind.UNRESOLVED) == Kind.UNRESOLVED:
        warnings.append(f"срок не распознан: «{item.deadline_text}»")
    else:  # e.g. an explicit year outside the plan's school year
        warnings += [f"срок: {message}" for message in schedule.get("messages", [])]
    if not item.responsible_logins and not item.external_executors:
        warnings.append(f"ответственный не найден: «{item.responsible_text}»")
    return warnings


def move_item(rt: Runtime, artefact_id: int, item_id: int, user_id: int, direction: int, version: int | None) -> int:
    """Swap the row with its neighbour above (-1) or below (+1)."""
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        artefact = _editable_plan(session, rt, artefact_id, user_id, version)
        items = list(session.scalars(select(PlanItem).where(PlanItem.artefact_id == artefact.id)
                                     .order_by(PlanItem.position)))
        index = next((i for i, item in enumerate(items) if item.id == item_id), None)
        if index is None:
            raise NotFound("Пункт плана не найден")
        other = index + (1 if direction > 0 else -1)
        if 0 <= other < len(items):
            if items[index].section_id != items[other].section_id:
                # Across a section border the row moves into the next (previous) section and
                # becomes its first (last) row; its neighbour stays where it is.
                items[index].section_id = items[other].section_id
            else:
                items[index].position, items[other].position = items[other].position, items[index].position
        artefact.updated_at = utcnow()
        session.flush()
        append_entry(session, artefact, actor, "move_item", artefact.state, fields={"item_id": item_id,
                                                                                     "direction": direction})
        return artefact.version


def rollover_plan(rt: Runtime, artefact_id: int, user_id: int, today: dt.date | None = None) -> int:
    """Copy the plan into the next school year as a draft — in one transaction: deadlines re-read
    for the new year, rows whose control items were not finished carried over and marked."""
    with transaction(rt.sessions) as session:
        artefact, _ = artefact_for(session, user_id, artefact_id)
        if not rt.definition(artefact.kind).columns:
            raise Unprocessable("У документа этого вида нет таблицы пунктов")
        next_year = SchoolYear.parse(artefact.school_year).next().label
        unfinished = set(session.scalars(select(Artefact.fields["plan_item_id"].as_integer()).where(
            Artefact.parent_id == artefact.id, Artefact.kind == CONTROL_KIND,
            Artefact.state.not_in(FINAL_CONTROL_STATES))))
        new = add_artefact(session, rt, user_id, artefact.organisation_id, artefact.kind, title=artefact.title,
                           school_year=next_year, today=today)
        items = _copy_rows(session, artefact, new, next_year, unfinished)
        new.updated_at = utcnow()
        session.flush()
        append_entry(session, new, get_user(session, user_id), "rollover", new.state, fields={
            "from_artefact": artefact_id, "items": items, "carried_over": len(unfinished)})
        return new.id


def _copy_rows(session: Session, old: Artefact, new: Artefact, next_year: str, unfinished: set[int]) -> int:
    sections = session.scalars(select(PlanSection).where(PlanSection.artefact_id == old.id)
                               .order_by(PlanSection.position)).all()
    copies = {s.id: PlanSection(artefact_id=new.id, position=s.position, number=s.number, title=s.title)
              for s in sections}
    session.add_all(copies.values())
    session.flush()
    items = session.scalars(select(PlanItem).where(PlanItem.artefact_id == old.id).order_by(PlanItem.position)).all()
    for item in items:
        copy = PlanItem(
            artefact_id=new.id, section_id=copies[item.section_id].id if item.section_id else None,
            position=item.position, number=item.number, fields=dict(item.fields),
            responsible_text=item.responsible_text, responsible_logins=list(item.responsible_logins),
            external_executors=list(item.external_executors), deadline_text=item.deadline_text,
            schedule=parse_deadline(item.deadline_text, next_year).to_dict(), fingerprint=item.fingerprint,
            carried_over_from_id=item.id if item.id in unfinished else None)
        copy.warnings = _item_warnings(copy) + (
            [f"перенесено: не исполнено в {old.school_year} учебном году"] if item.id in unfinished else [])
        session.add(copy)
    return len(items)
