"""Plans: importing their tables, adding, editing, moving and deleting rows and sections, and
rolling a plan into the next school year.

An import is stateless: the preview parses the file and writes nothing; «Сохранить» parses the
same file again and stores it (any worker can serve either request). Rows already in the plan
(same fingerprint) are not added twice.

Every change of the rows is one transaction on the locked plan, checks its version, state and
the user's role (`_editable_plan`), appends a history entry and returns the new version. Row
numbers stay unique: a row added by hand takes the next number of its section («1.8»), a row
deleted closes its gap, and the rows after it (in flat plans, across sections) move along.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..db import transaction
from ..deadlines.phrases import Kind, describe, parse_deadline, Schedule
from ..deadlines.school_year import SchoolYear
from ..documents.russian import surname_initials
from ..procedures.control import CONTROL_KIND, FINAL_CONTROL_STATES
from ..engine.definitions import WorkflowDefinition
from ..engine.history import append_entry
from ..imports.plan_rows import ImportedPlan, item_fingerprint, parse_plan, roman_value
from ..imports.responsible import Person, Position
from ..imports.tables import TableImportError, read_table_file
from ..models import Artefact, Membership, PlanItem, PlanSection, User, utcnow
from .access import DraftWords, artefact_for, editable_draft, get_user
from .artefacts import add_artefact
from .errors import NotFound, Unprocessable
from .meetings import MEETING_KIND
from .runtime import Runtime

# Columns kept outside `fields`: who (responsible_logins, …) and by when (deadline_text).
OWN_COLUMNS = ("responsible", "deadline")
MAX_SECTION_TITLE = 1000
_NUMBER = re.compile(r"^(?:(.+)\.)?(\d+)$")


@dataclass(frozen=True)
class RowChange:
    """The row or section a change made, the plan's new version, and the numbers that changed
    with it (old → new), so the person can be told («Пункты 9.3–9.5 перенумерованы»)."""

    id: int
    version: int
    number: str = ""
    renumbered: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        return renumbering_message(self.renumbered)


@dataclass(frozen=True)
class ImportResult:
    sections_added: int
    items_added: int
    duplicates: int
    version: int


def organisation_people(session: Session, organisation_id: int) -> list[Person]:
    """The organisation's active people, for «Ответственный» cells that name them («Петрова А.А.»)."""
    return [Person(login=user.login, last_name=user.last_name, first_name=user.first_name,
                   middle_name=user.middle_name or "", gender=user.gender or "", position=membership.position or "",
                   roles=tuple(membership.roles or ()))
            for membership, user in session.execute(select(Membership, User).join(User).where(
                Membership.organisation_id == organisation_id, User.is_active.is_(True)))]


def match_logins(match: dict[str, Any], positions: dict[str, Position]) -> list[str]:
    """Everyone a matched «Ответственный» cell names: the holders of its positions, the people named and
    the members of the role groups it names."""
    holders = {login for key in match.get("position_keys", []) if key in positions
               for login in positions[key].user_logins}
    return sorted(holders | set(match.get("logins", [])))


def organisation_positions(session: Session, organisation_id: int) -> list[Position]:
    """The organisation's positions with the logins of those who hold them (for «Ответственный»)."""
    holders: dict[str, list[str]] = defaultdict(list)
    for title, login in session.execute(select(Membership.position, User.login).join(User).where(
            Membership.organisation_id == organisation_id, User.is_active.is_(True), Membership.position != "")):
        holders[title].append(login)
    return [Position(key=title, title=title, user_logins=tuple(sorted(logins))) for title, logins in holders.items()]


PLAN_WORDS = DraftWords("План", "Пункты", "этот план", "обновите страницу")


def _editable_plan(session: Session, rt: Runtime, artefact_id: int, user_id: int, version: int | None,
                   lock: bool = True):
    if not rt.definition(artefact_for(session, user_id, artefact_id)[0].kind).columns:
        raise Unprocessable("У документа этого вида нет таблицы пунктов")
    return editable_draft(session, rt.definition, user_id, artefact_id, version, PLAN_WORDS, lock)[0]


def parse_upload(session: Session, artefact: Artefact, data: bytes, file_name: str) -> ImportedPlan:
    try:
        tables = read_table_file(data, file_name)
        return parse_plan(tables, artefact.school_year, organisation_positions(session, artefact.organisation_id),
                          people=organisation_people(session, artefact.organisation_id))
    except TableImportError as exc:
        raise Unprocessable(str(exc)) from None


def preview_import(rt: Runtime, artefact_id: int, user_id: int, data: bytes, file_name: str,
                   today: dt.date | None = None) -> dict[str, Any]:
    """How every row would be stored, with warnings — also for deadlines already past on `today`, which
    would be overdue the day the plan is approved; marks rows and sections already in the plan.
    Writes nothing; refused exactly as the import itself would be (role, state)."""
    today = today or rt.today()
    with rt.sessions() as session:
        artefact = _editable_plan(session, rt, artefact_id, user_id, version=None, lock=False)
        plan = parse_upload(session, artefact, data, file_name)
        existing = set(session.scalars(select(PlanItem.fingerprint).where(PlanItem.artefact_id == artefact.id)))
        sections = {(number, title) for number, title in session.execute(
            select(PlanSection.number, PlanSection.title).where(PlanSection.artefact_id == artefact.id))}
        preview = plan.to_dict()
        for item in preview["items"]:
            item["duplicate"] = item["fingerprint"] in existing
            item["deadline_description"] = describe(Schedule.from_dict(item["schedule"])) if item["schedule"] else ""
            # Not a warning of the row (it is not stored): a date to check before saving.
            item["past_due"] = past_due_dates(item["schedule"], today)
            item["past_due_warning"] = past_due_warning(item["past_due"], today) if item["past_due"] else ""
        for section in preview["sections"]:
            section["existing"] = (section["number"] or "", section["title"]) in sections
        return preview


def past_due_dates(schedule: dict[str, Any] | None, today: dt.date) -> list[str]:
    """The due dates of a row's schedule that are already past (ISO), in order."""
    if not schedule:
        return []
    return [day.isoformat() for day in Schedule.from_dict(schedule).due_dates if day < today]


def past_due_warning(past: list[str], today: dt.date) -> str:
    shown = ", ".join(dt.date.fromisoformat(day).strftime("%d.%m.%Y") for day in past[:4])
    more = f" и ещё {len(past) - 4}" if len(past) > 4 else ""
    return (f"срок уже прошёл ({shown}{more}; сегодня {today.strftime('%d.%m.%Y')}): после утверждения пункт "
            "сразу окажется просроченным — исправьте срок или отметьте исполнение")


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
        logins = match_logins(match, positions)
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
        item = _plan_item(session, artefact, item_id)
        if fields:
            item.fields = {**item.fields, **_checked_texts(rt.definition(artefact.kind), fields)}
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


# The warnings of the import about a row's number: the number it was given stands once a person accepts it.
NUMBER_WARNINGS = ("номер восстановлен", "номер не по порядку")


def accept_restored_numbers(rt: Runtime, artefact_id: int, user_id: int, *, version: int | None) -> RowChange:
    """«Принять все восстановленные номера»: one action clears the number warnings of every row (the
    rows keep their other warnings). `RowChange.id` is the number of rows cleared."""
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        artefact = _editable_plan(session, rt, artefact_id, user_id, version)
        accepted = []
        for item in session.scalars(select(PlanItem).where(PlanItem.artefact_id == artefact.id)
                                    .order_by(PlanItem.position, PlanItem.id)):
            kept = [w for w in item.warnings or [] if not w.startswith(NUMBER_WARNINGS)]
            if len(kept) != len(item.warnings or []):
                item.warnings = kept
                accepted.append(item.number)
        if not accepted:
            raise Unprocessable("В плане нет пунктов с восстановленными номерами: принимать нечего")
        artefact.updated_at = utcnow()
        session.flush()
        append_entry(session, artefact, actor, "accept_numbers", artefact.state, fields={"numbers": accepted})
        return RowChange(len(accepted), artefact.version)


def _plan_item(session: Session, artefact: Artefact, item_id: int) -> PlanItem:
    item = session.get(PlanItem, item_id)
    if item is None or item.artefact_id != artefact.id:
        raise NotFound("Пункт плана не найден")
    return item


def text_columns(definition: WorkflowDefinition) -> dict[str, str]:
    """The columns whose cells are plain text (responsible and deadline have their own values)."""
    return {key: heading for key, heading in definition.columns.items() if key not in OWN_COLUMNS}


def _checked_texts(definition: WorkflowDefinition, fields: dict[str, str]) -> dict[str, str]:
    """The texts of the plan's own columns, trimmed; an unknown column is refused by name."""
    columns = text_columns(definition)
    unknown = sorted(set(fields) - set(columns))
    if unknown:
        known = ", ".join(f"{key} («{heading}»)" for key, heading in columns.items())
        raise Unprocessable(f"В таблице нет столбцов: {', '.join(unknown)}; есть: {known}",
                            details={"fields": {key: "такого столбца нет" for key in unknown}})
    return {key: value.strip() for key, value in fields.items()}


def _checked_logins(session: Session, organisation_id: int, logins: list[str]) -> list[str]:
    wanted = sorted({login.strip() for login in logins if login.strip()})
    found = set(session.scalars(select(User.login).join(Membership).where(
        Membership.organisation_id == organisation_id, User.login.in_(wanted))))
    missing = [login for login in wanted if login not in found]
    if missing:
        raise Unprocessable(f"Нет таких сотрудников в организации: {', '.join(missing)}")
    return wanted


def _item_warnings(item: PlanItem) -> list[str]:
    """What still needs a person's attention in this row (re-computed after every edit); the
    words of the import for a cell left empty."""
    warnings = []
    schedule = item.schedule or {}
    if not item.deadline_text:
        warnings.append("срок не указан")
    elif schedule.get("kind", Kind.UNRESOLVED) == Kind.UNRESOLVED:
        warnings.append(f"срок не распознан: «{item.deadline_text}»")
    else:  # e.g. an explicit year outside the plan's school year
        warnings += [f"срок: {message}" for message in Schedule.from_dict(schedule).attention]
    if not item.responsible_logins and not item.external_executors:
        warnings.append(f"ответственный не найден: «{item.responsible_text}»" if item.responsible_text
                        else "ответственный не указан")
    return warnings


def move_item(rt: Runtime, artefact_id: int, item_id: int, user_id: int, direction: int,
              version: int | None) -> RowChange:
    """Swap the row with its neighbour above (-1) or below (+1); the numbers follow the new order."""
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        artefact = _editable_plan(session, rt, artefact_id, user_id, version)
        sections, items = _rows_in_order(session, artefact)
        index = next((i for i, item in enumerate(items) if item.id == item_id), None)
        if index is None:
            raise NotFound("Пункт плана не найден")
        numbering = _numbering(sections, items)
        moved, before = items[index], items[index].number
        other = index + (1 if direction > 0 else -1)
        if 0 <= other < len(items):
            if moved.section_id != items[other].section_id:
                # Across a section border the row moves into the next (previous) section and
                # becomes its first (last) row; its neighbour stays where it is.
                moved.section_id = items[other].section_id
            else:
                moved.position, items[other].position = items[other].position, moved.position
        renumbered = _apply_numbering(numbering, *_rows_in_order(session, artefact))
        artefact.updated_at = utcnow()
        session.flush()
        append_entry(session, artefact, actor, "move_item", artefact.state, fields={
            "item_id": item_id, "direction": direction, "number": before, "new_number": moved.number,
            "renumbered": len(renumbered), "renumbering": [list(pair) for pair in renumbered]})
        return RowChange(item_id, artefact.version, moved.number, tuple(renumbered))


# --- Rows and sections added and deleted by hand ----------------------------------------------------

def add_section(rt: Runtime, artefact_id: int, user_id: int, title: str, *, version: int | None,
                number: str | None = None) -> RowChange:
    """A new section at the end of the plan (a meeting's new agenda item), numbered after the last."""
    title = " ".join((title or "").split())
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        artefact = _editable_plan(session, rt, artefact_id, user_id, version)
        what = "вопроса повестки" if artefact.kind == MEETING_KIND else "раздела"
        if not title:
            raise Unprocessable(f"Впишите название {what}", details={"fields": {"title": "обязательное поле"}})
        if len(title) > MAX_SECTION_TITLE:
            raise Unprocessable(f"Название {what} не длиннее {MAX_SECTION_TITLE} символов",
                                details={"fields": {"title": f"не длиннее {MAX_SECTION_TITLE} символов"}})
        sections, _ = _rows_in_order(session, artefact)
        number = (number or "").strip().rstrip(".")[:30] or _next_section_number(sections)
        section = PlanSection(artefact_id=artefact.id, position=max((s.position for s in sections), default=-1) + 1,
                              number=number, title=title)
        session.add(section)
        _keep_agenda_aligned(artefact, len(sections))
        artefact.updated_at = utcnow()
        session.flush()
        append_entry(session, artefact, actor, "add_section", artefact.state, fields={
            "section_id": section.id, "number": number, "title": title})
        return RowChange(section.id, artefact.version)


def move_section(rt: Runtime, artefact_id: int, section_id: int, user_id: int, direction: int,
                 version: int | None) -> RowChange:
    """Swap a section (a meeting's agenda question, with its texts) with its neighbour above (-1) or
    below (+1); sections numbered 1, 2, … (or I, II, …) and their rows are numbered again by position."""
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        artefact = _editable_plan(session, rt, artefact_id, user_id, version)
        sections, items = _rows_in_order(session, artefact)
        section = _target_section(sections, section_id)
        index = sections.index(section)
        other = index + (1 if direction > 0 else -1)
        numbering, section_style = _numbering(sections, items), _section_style(sections)
        if 0 <= other < len(sections):
            section.position, sections[other].position = sections[other].position, section.position
            _swap_agenda(artefact, index, other)
        sections, items = _rows_in_order(session, artefact)
        renamed = _renumber_sections(sections, section_style)
        renumbered = renamed + _apply_numbering(numbering, sections, items)
        artefact.updated_at = utcnow()
        session.flush()
        append_entry(session, artefact, actor, "move_section", artefact.state, fields={
            "section_id": section_id, "direction": direction, "title": section.title, "number": section.number,
            "renumbered": len(renumbered), "renumbering": [list(pair) for pair in renumbered]})
        return RowChange(section_id, artefact.version, section.number, tuple(renumbered))


def delete_section(rt: Runtime, artefact_id: int, section_id: int, user_id: int, *,
                   version: int | None) -> RowChange:
    """Delete a section without rows (a meeting's agenda question, with its texts); the sections after
    it close the gap and their rows follow."""
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        artefact = _editable_plan(session, rt, artefact_id, user_id, version)
        sections, items = _rows_in_order(session, artefact)
        section = _target_section(sections, section_id)
        rows = [item.number for item in items if item.section_id == section.id]
        what = "Вопрос повестки" if artefact.kind == MEETING_KIND else "Раздел"
        if rows:
            raise Unprocessable(f"{what} «{section.title}» не пуст (пунктов: {len(rows)}): сначала удалите его пункты "
                                f"или перенесите их в соседний раздел кнопками ↑/↓")
        numbering, section_style = _numbering(sections, items), _section_style(sections)
        index = sections.index(section)
        recorded = {"section_id": section.id, "number": section.number, "title": section.title}
        _drop_agenda_entry(artefact, index)
        session.delete(section)
        session.flush()
        sections, items = _rows_in_order(session, artefact)
        renumbered = _renumber_sections(sections, section_style) + _apply_numbering(numbering, sections, items)
        artefact.updated_at = utcnow()
        session.flush()
        append_entry(session, artefact, actor, "delete_section", artefact.state, fields={
            **recorded, "renumbered": len(renumbered), "renumbering": [list(pair) for pair in renumbered]})
        return RowChange(section_id, artefact.version, recorded["number"], tuple(renumbered))


def _section_style(sections: list[PlanSection]) -> str | None:
    """How the sections are numbered: «arabic» (1, 2, …), «roman» (I, II, …), or None (left as written)."""
    numbers = [(s.number or "").strip().rstrip(".") for s in sections]
    if numbers and all(number.isdigit() for number in numbers):
        return "arabic"
    if numbers and all(roman_value(number) for number in numbers):
        return "roman"
    return None


def _renumber_sections(sections: list[PlanSection], style: str | None) -> list[tuple[str, str]]:
    """Sections numbered again by position in their own style; («раздел 2», «раздел 3») for each change."""
    if style is None:
        return []
    changes = []
    for position, section in enumerate(sections, start=1):
        number = str(position) if style == "arabic" else _roman(position)
        if (section.number or "").strip().rstrip(".") != number:
            changes.append((f"раздел {section.number}", f"раздел {number}"))
            section.number = number
    return changes


def _roman(value: int) -> str:
    result = ""
    for numeral, amount in (("L", 50), ("XL", 40), ("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1)):
        while value >= amount:
            result, value = result + numeral, value - amount
    return result


def _swap_agenda(artefact: Artefact, first: int, second: int) -> None:
    """A meeting's agenda texts follow their questions (entries are aligned with sections by position)."""
    agenda = (artefact.fields or {}).get("agenda")
    if isinstance(agenda, list) and max(first, second) < len(agenda):
        agenda = list(agenda)
        agenda[first], agenda[second] = agenda[second], agenda[first]
        artefact.fields = {**artefact.fields, "agenda": agenda}


def _drop_agenda_entry(artefact: Artefact, index: int) -> None:
    agenda = (artefact.fields or {}).get("agenda")
    if isinstance(agenda, list) and index < len(agenda):
        artefact.fields = {**artefact.fields, "agenda": agenda[:index] + agenda[index + 1:]}


def _next_section_number(sections: list[PlanSection]) -> str:
    """«3» after sections 1 and 2, «III» after I and II, «1» for the first; a plan whose sections have no
    numbers keeps it so."""
    if _section_style(sections) == "roman":
        return _roman(max(roman_value(s.number.strip().rstrip(".")) or 0 for s in sections) + 1)
    numbers = [parts[1] for parts in map(_split_number, (s.number for s in sections)) if parts and not parts[0]]
    if numbers:
        return str(max(numbers) + 1)
    return "" if sections else "1"


def _keep_agenda_aligned(artefact: Artefact, sections_before: int) -> None:
    """A meeting's agenda texts follow its sections by position, and entries past the last section
    are questions without decisions («Разное»): a new section takes a new entry of its own, so the
    texts already written stay with their questions."""
    agenda = (artefact.fields or {}).get("agenda")
    if isinstance(agenda, list) and len(agenda) > sections_before:
        artefact.fields = {**artefact.fields, "agenda": agenda[:sections_before] + [{}] + agenda[sections_before:]}


def add_item(rt: Runtime, artefact_id: int, user_id: int, *, version: int | None, section_id: int | None = None,
             fields: dict[str, str] | None = None, responsible_logins: list[str] | None = None,
             external_executors: list[str] | None = None, deadline_text: str = "",
             responsible_text: str | None = None) -> RowChange:
    """A row written by hand at the end of its section (by default the last one), with the next number.

    `responsible_text` is what the plan prints in «Ответственный»; by default the names of the
    people chosen and the outside executors."""
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        artefact = _editable_plan(session, rt, artefact_id, user_id, version)
        definition = rt.definition(artefact.kind)
        texts = _checked_texts(definition, fields or {})
        main = next(iter(text_columns(definition)))
        if not texts.get(main):
            raise Unprocessable(f"Впишите «{definition.columns[main]}»", details={"fields": {main: "обязательное поле"}})
        sections, items = _rows_in_order(session, artefact)
        section = _target_section(sections, section_id)
        logins = _checked_logins(session, artefact.organisation_id, responsible_logins or [])
        external = [name.strip() for name in external_executors or [] if name.strip()]
        numbering = _numbering(sections, items)
        group = _group_of(sections, section.id if section else None)
        before = [i for i in items if _group_of(sections, i.section_id) <= group]
        number = _number_for_new_row(items, before, section)
        position = max((i.position for i in before), default=-1) + 1
        session.execute(update(PlanItem).where(PlanItem.artefact_id == artefact.id, PlanItem.position >= position)
                        .values(position=PlanItem.position + 1))
        deadline_text = (deadline_text or "").strip()
        item = PlanItem(
            artefact_id=artefact.id, section_id=section.id if section else None, position=position, number=number,
            fields=texts, responsible_logins=logins, external_executors=external,
            responsible_text=(responsible_text or "").strip() or _people_text(session, logins, external),
            deadline_text=deadline_text, schedule=parse_deadline(deadline_text, artefact.school_year).to_dict(),
            fingerprint=item_fingerprint(section.number if section else "", section.title if section else "",
                                         number, texts[main]))
        item.warnings = _item_warnings(item)
        session.add(item)
        session.flush()
        renumbered = _apply_numbering(numbering, *_rows_in_order(session, artefact), new_row=item)
        artefact.updated_at = utcnow()
        session.flush()
        append_entry(session, artefact, actor, "add_item", artefact.state, fields={
            "item_id": item.id, "number": item.number, "section_id": item.section_id, "deadline_text": deadline_text,
            "responsible_logins": logins, "renumbered": len(renumbered),
            "renumbering": [list(pair) for pair in renumbered]})
        return RowChange(item.id, artefact.version, item.number, tuple(renumbered))


def delete_item(rt: Runtime, artefact_id: int, item_id: int, user_id: int, *, version: int | None) -> RowChange:
    """Delete a row of a plan in draft; the rows after it close the gap."""
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        artefact = _editable_plan(session, rt, artefact_id, user_id, version)
        item = _plan_item(session, artefact, item_id)
        numbering = _numbering(*_rows_in_order(session, artefact))
        recorded = {"item_id": item.id, "number": item.number, "fields": dict(item.fields or {}),
                    "deadline_text": item.deadline_text, "responsible_text": item.responsible_text}
        session.delete(item)
        session.flush()
        renumbered = _apply_numbering(numbering, *_rows_in_order(session, artefact))
        artefact.updated_at = utcnow()
        session.flush()
        append_entry(session, artefact, actor, "delete_item", artefact.state, fields={
            **recorded, "renumbered": len(renumbered), "renumbering": [list(pair) for pair in renumbered]})
        return RowChange(item_id, artefact.version, recorded["number"], tuple(renumbered))


def _rows_in_order(session: Session, artefact: Artefact) -> tuple[list[PlanSection], list[PlanItem]]:
    """Sections, and rows as the plan shows them: rows without a section first, then by section."""
    sections = list(session.scalars(select(PlanSection).where(PlanSection.artefact_id == artefact.id)
                                    .order_by(PlanSection.position, PlanSection.id)))
    items = list(session.scalars(select(PlanItem).where(PlanItem.artefact_id == artefact.id)
                                 .order_by(PlanItem.position, PlanItem.id)))
    items.sort(key=lambda i: _group_of(sections, i.section_id))  # stable: positions stay in order
    return sections, items


def _group_of(sections: list[PlanSection], section_id: int | None) -> int:
    """Where a section's rows stand in the plan: -1 for rows without a section (shown first)."""
    return next((index for index, s in enumerate(sections) if s.id == section_id), -1)


def _target_section(sections: list[PlanSection], section_id: int | None) -> PlanSection | None:
    if section_id is None:
        return sections[-1] if sections else None
    section = next((s for s in sections if s.id == section_id), None)
    if section is None:
        raise NotFound(f"Раздел № {section_id} в этом плане не найден")
    return section


def _split_number(number: str) -> tuple[str, int] | None:
    """«1.12» → («1», 12), «7» → («», 7); None for a number of another shape («IV», «1а»)."""
    found = _NUMBER.match((number or "").strip().rstrip("."))
    return (found.group(1) or "", int(found.group(2))) if found else None


def _joined_number(prefix: str, last: int) -> str:
    return f"{prefix}.{last}" if prefix else str(last)


def _number_for_new_row(items: list[PlanItem], before: list[PlanItem], section: PlanSection | None) -> str:
    """The next number in the section («1.8» after «1.7», «2.1» in an empty section 2, «8» after «7»
    in a plan numbered through); the rows after it are renumbered by `_apply_numbering`."""
    section_id = section.id if section else None
    own = [parts for parts in (_split_number(i.number) for i in items if i.section_id == section_id) if parts]
    if own:
        prefix = own[-1][0]
        last = max(n for p, n in own if p == prefix)
    elif section is not None and _section_prefix(section):
        prefix, last = _section_prefix(section) or "", 0
    else:  # numbered through the whole plan: continue after the rows above
        prefix = ""
        last = max((parts[1] for parts in map(_split_number, (i.number for i in before)) if parts and not parts[0]),
                   default=0)
    return _joined_number(prefix, last + 1)


# --- Numbers follow the order shown ------------------------------------------------------------------
#
# A plan's rows are numbered either within their sections («9.1», «9.2», …) or through the whole plan
# («1» … «40»), with the sections numbered or not; a school's own irregular numbers («1.1.1», «3а»)
# are kept as written. The scheme is read from the numbers before a change (`_numbering`), and after
# the change every regular section is numbered again by position (`_apply_numbering`).

@dataclass
class _Numbering:
    hierarchical: bool                       # «9.1», «9.2» rather than «1», «2»
    through: bool                            # flat numbers continue from section to section
    prefixes: dict[int | None, str]          # section id → the prefix of its rows («9»)
    irregular: set[int | None]               # sections whose numbers are left as written


def _groups(sections: list[PlanSection], items: list[PlanItem]) -> list[tuple[PlanSection | None, list[PlanItem]]]:
    """Rows under their sections in the order shown (rows without a section first)."""
    rows: dict[int | None, list[PlanItem]] = defaultdict(list)
    for item in items:
        rows[item.section_id].append(item)
    return [(None, rows.get(None, []))] + [(section, rows.get(section.id, [])) for section in sections]


def _section_prefix(section: PlanSection | None) -> str | None:
    """The row prefix a section's number gives: «9» for «9.», «2» for «II»; None without a number."""
    if section is None:
        return None
    number = (section.number or "").strip().rstrip(".")
    if _split_number(number):
        return number
    value = roman_value(number)
    return str(value) if value else None


def _numbering(sections: list[PlanSection], items: list[PlanItem]) -> _Numbering:
    parsed = [_split_number(item.number) for item in items]
    with_prefix = sum(1 for parts in parsed if parts and parts[0])
    without = sum(1 for parts in parsed if parts and not parts[0])
    hierarchical = with_prefix > without if items else any(_section_prefix(s) for s in sections)
    numbering = _Numbering(hierarchical, through=False, prefixes={}, irregular=set())
    ranges: list[tuple[int, int]] = []
    for ordinal, (section, rows) in enumerate(_groups(sections, items)):
        key = section.id if section else None
        parts = [_split_number(row.number) for row in rows]
        prefixes = {p[0] for p in parts if p}
        if None in parts or any(bool(prefix) != hierarchical for prefix in prefixes) or len(prefixes) > 1:
            numbering.irregular.add(key)
        elif hierarchical and prefixes:
            prefix = prefixes.pop()
            if not _section_prefix(section) and prefix != str(ordinal):  # «3.1» in the third section: by order
                numbering.prefixes[key] = prefix
        elif not hierarchical and parts:
            ranges.append((min(p[1] for p in parts if p), max(p[1] for p in parts if p)))
    # «1, 2 | 3, 4» continues across sections; «1, 2 | 1, 2» starts again; one section alone continues.
    numbering.through = len(ranges) < 2 or all(
        later[0] > earlier[1] for earlier, later in zip(ranges, ranges[1:])) and any(r[0] > 1 for r in ranges[1:])
    return numbering


def _apply_numbering(numbering: _Numbering, sections: list[PlanSection], items: list[PlanItem],
                     new_row: PlanItem | None = None) -> list[tuple[str, str]]:
    """Number every regular section's rows by position; the (old, new) numbers of the rows that
    changed (a row just added is not «renumbered»)."""
    changes: list[tuple[str, str]] = []
    counter = 0
    for ordinal, (section, rows) in enumerate(_groups(sections, items)):
        key = section.id if section else None
        if key in numbering.irregular:
            counter += len(rows)
            continue
        if numbering.hierarchical:
            prefix = _section_prefix(section) or numbering.prefixes.get(key) or (str(ordinal) if section else "")
            start = 1
        else:
            prefix, start = "", (counter + 1 if numbering.through else 1)
        for offset, row in enumerate(rows):
            number = _joined_number(prefix, start + offset)
            if row.number != number and row is not new_row:
                changes.append((row.number, number))
            row.number = number
        counter += len(rows)
    return changes


def renumbering_message(changes: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> str:
    """«Пункты 9.3–9.5 перенумерованы.», «Раздел 3 перенумерован. Пункт 3.1 перенумерован.»; empty when
    nothing changed."""
    sections = [new.removeprefix("раздел ") for _old, new in changes if new.startswith("раздел ")]
    rows = [new for _old, new in changes if not new.startswith("раздел ")]
    return " ".join(part for part in (_numbers_message(sections, "Раздел"), _numbers_message(rows, "Пункт")) if part)


def _numbers_message(numbers: list[str], what: str) -> str:
    if not numbers:
        return ""
    runs: list[list[str]] = []
    for number in numbers:
        if runs and _follows(runs[-1][-1], number):
            runs[-1].append(number)
        else:
            runs.append([number])
    shown = ", ".join(run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs)
    if len(numbers) == 1:
        return f"{what} {shown} перенумерован."
    return f"{what}ы {shown} перенумерованы."


def _follows(previous: str, number: str) -> bool:
    """«9.4» follows «9.3», «III» follows «II»."""
    first, second = _split_number(previous), _split_number(number)
    if first and second:
        return first[0] == second[0] and first[1] + 1 == second[1]
    first_roman, second_roman = roman_value(previous), roman_value(number)
    return bool(first_roman and second_roman and first_roman + 1 == second_roman)


def _people_text(session: Session, logins: list[str], external: list[str]) -> str:
    """«Иванова И.И., ИМЦ»: the people chosen for a row written by hand, as the plan prints them."""
    names = {user.login: surname_initials(user.last_name, user.first_name, user.middle_name)
             for user in session.scalars(select(User).where(User.login.in_(logins)))} if logins else {}
    return ", ".join([names[login] for login in logins if login in names] + external)


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
