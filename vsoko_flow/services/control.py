"""Plans and their control items as the pages show them, and evidence of execution.

* `plan_table` — a plan's sections and rows with responsible people by name and deadlines as
  understood; `control_children` — the control items a plan's approval created, with their
  assignees, evidence counts and an `overdue` flag. Each is a fixed number of queries, however
  many rows the plan has.
* `import_preview` — the preview of an import (`plans.preview_import`) with names and totals;
  it writes nothing.
* `add_evidence` / `evidence_file` — files (up to 10 MB, kept with their SHA-256 and their name
  as data, never as a path) and links an executor attaches to a control item.

Every function checks that the user belongs to the organisation of the plan or item first:
another organisation's plan, row, item or file is reported exactly like a missing one.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, case, cast, func, select, true
from sqlalchemy.orm import Session, aliased, undefer

from ..db import transaction
from ..deadlines.phrases import Kind, describe, describe_stored, parse_deadline
from ..documents.russian import surname_initials
from ..procedures.control import CONTROL_KIND, FINAL_CONTROL_STATES
from ..engine.history import append_entry
from ..models import Artefact, ArtefactAssignee, Evidence, Membership, PlanItem, PlanSection, User
from ..safe_text import without_invisible
from .access import artefact_for, get_user, membership_in
from .errors import Conflict, Forbidden, NotFound, Unprocessable
from .meetings import MEETING_KIND
from .plans import NUMBER_WARNINGS, match_logins, organisation_positions, preview_import
from .runtime import Runtime

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_FILE_NAME = 300
MAX_LINK = 2000
# Who may act for an executor (as the rule `actor_is_assignee` allows).
ACTING_ROLES = frozenset({"deputy", "director"})
# Columns whose cells are not plain text on the pages.
RESPONSIBLE, DEADLINE = "responsible", "deadline"

_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"<>:|?*]+')


# --- Small pure helpers -------------------------------------------------------------------------

def is_overdue(due_date: dt.date | None, state: str, today: dt.date) -> bool:
    """Due before today and not finished (accepted or cancelled)."""
    return due_date is not None and due_date < today and state not in FINAL_CONTROL_STATES


def deadline_description(schedule: dict[str, Any] | None) -> str:
    """What a stored schedule means, in words («31.12.2024; 30.06.2025»); "" when there is none."""
    return describe_stored(schedule)


def deadline_understood(text: str, school_year: str) -> dict[str, Any]:
    """How a deadline phrase would be read in the plan's school year (for «Проверить срок»)."""
    schedule = parse_deadline(text.strip(), school_year)
    return {"text": text.strip(), "description": describe(schedule), "resolved": schedule.resolved,
            "messages": list(schedule.messages)}


def safe_file_name(name: str) -> str:
    """The name as the person sent it, minus any path and characters no file system accepts."""
    name = without_invisible(unicodedata.normalize("NFC", name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if len(name) > MAX_FILE_NAME:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[:MAX_FILE_NAME - len(suffix) - 1] + dot + suffix) if dot and len(suffix) <= 10 \
            else name[:MAX_FILE_NAME]
    return name or "файл"


def _labels(session: Session, organisation_id: int, *, logins: set[str] | None = None,
            user_ids: set[int] | None = None) -> dict[Any, str]:
    """«Иванова И.И. — Заместитель директора по УВР» by login (or by user id): one query."""
    query = select(User, Membership).join(Membership, Membership.user_id == User.id).where(
        Membership.organisation_id == organisation_id)
    if logins is not None:
        if not logins:
            return {}
        query = query.where(User.login.in_(sorted(logins)))
    if user_ids is not None:
        if not user_ids:
            return {}
        query = query.where(User.id.in_(sorted(user_ids)))
    result: dict[Any, str] = {}
    for user, membership in session.execute(query):
        name = surname_initials(user.last_name, user.first_name, user.middle_name)
        label = f"{name} — {membership.position}" if membership.position else name
        result[user.login if logins is not None else user.id] = label
    return result


def _plan(session: Session, rt: Runtime, plan_id: int, user_id: int):  # noqa: ANN202
    artefact, membership = artefact_for(session, user_id, plan_id)
    definition = rt.definition(artefact.kind)
    if not definition.columns:
        raise NotFound(f"План № {plan_id} не найден")
    return artefact, membership, definition


# --- A plan and what may be done with it ----------------------------------------------------------

# How the pages name a table's rows: a plan has «пункты», a meeting's protocol has «решения».
ROW_WORDS = {
    "plan": {"one": "Пункт", "new": "Новый пункт", "add": "Добавить пункт", "added": "добавлен", "saved": "сохранён",
             "deleted": "удалён", "rows": "пункты плана", "section_of": "раздела", "end": "В конце плана",
             "file": "Файл с таблицей плана", "import": "Импорт пунктов плана из файла", "save": "Сохранить в план"},
    "meeting": {"one": "Решение", "new": "Новое решение", "add": "Добавить решение", "added": "добавлено",
                "saved": "сохранено", "deleted": "удалено", "rows": "решения заседания",
                "section_of": "вопроса повестки", "end": "В конце протокола", "file": "Файл с таблицей решений",
                "import": "Импорт решений заседания из файла", "save": "Сохранить решения"},
}


def plan_access(rt: Runtime, plan_id: int, user_id: int) -> dict[str, Any]:
    """The plan's head and the user's rights: `may_manage` (roles of create_roles), `may_edit` (and a
    state whose rows may change)."""
    with rt.sessions() as session:
        artefact, membership, definition = _plan(session, rt, plan_id, user_id)
        may_manage = bool(definition.create_roles.intersection(membership.roles or []))
        return {
            "id": artefact.id, "title": artefact.title, "kind": artefact.kind, "kind_title": definition.title,
            "organisation_id": artefact.organisation_id, "state": artefact.state,
            "state_label": definition.state_label(artefact.state),
            "version": artefact.version, "school_year": artefact.school_year,
            "columns": dict(definition.columns), "editable": artefact.state in definition.editable_states,
            "initial_label": definition.state_label(definition.initial), "may_manage": may_manage,
            "may_edit": may_manage and artefact.state in definition.editable_states,
            "words": ROW_WORDS["meeting" if artefact.kind == MEETING_KIND else "plan"],
        }


def _item_row(item: PlanItem, columns: dict[str, str], labels: dict[str, str]) -> dict[str, Any]:
    fields = item.fields or {}
    names = [labels.get(login, login) for login in item.responsible_logins or []]
    schedule = item.schedule or {}
    return {
        "id": item.id, "number": item.number, "position": item.position, "section_id": item.section_id,
        "cells": [{"key": key, "heading": heading, "text": fields.get(key, "")} for key, heading in columns.items()],
        "extra": [(key, value) for key, value in fields.items() if key not in columns and key != "number" and value],
        "fields": dict(fields),
        "responsible_text": item.responsible_text, "responsible_logins": list(item.responsible_logins or []),
        "responsible_names": names, "external_executors": list(item.external_executors or []),
        "responsible_note": _written_otherwise(item.responsible_text, names, item.external_executors or []),
        "deadline_text": item.deadline_text, "schedule": dict(schedule),
        # Written with the schedule (models.PlanItem); rows stored before that are described here.
        "deadline_description": item.deadline_description or deadline_description(schedule),
        "deadline_resolved": bool(schedule) and schedule.get("kind") != Kind.UNRESOLVED,
        "warnings": list(item.warnings or []), "carried_over": item.carried_over_from_id is not None,
        # What the rule `items_resolved` refuses: no deadline understood, nobody responsible.
        "blocking": (not schedule or schedule.get("kind") == Kind.UNRESOLVED)
        or not (item.responsible_logins or item.external_executors),
    }


def _written_otherwise(text: str, labels: list[str], external: list[str]) -> str:
    """«Ответственный» as the table writes it, when it says more than the people chosen («Иванова И.И. —
    Заместитель директора по УВР» chosen for «Заместитель директора по УВР» says it all); else ""."""
    names = [label.split(" — ", 1)[0] for label in labels]
    if not text or text == ", ".join(names + list(external)) or (len(labels) == 1 and labels[0].endswith(f"— {text}")):
        return ""
    return text


def plan_table(rt: Runtime, plan_id: int, user_id: int) -> dict[str, Any]:
    """Sections with their rows in order, and the rows that need a person's attention. Three queries."""
    with rt.sessions() as session:
        artefact, _, definition = _plan(session, rt, plan_id, user_id)
        sections = list(session.scalars(select(PlanSection).where(PlanSection.artefact_id == artefact.id)
                                        .order_by(PlanSection.position, PlanSection.id)))
        items = list(session.scalars(select(PlanItem).where(PlanItem.artefact_id == artefact.id)
                                     .order_by(PlanItem.position, PlanItem.id)))
        labels = _labels(session, artefact.organisation_id,
                         logins={login for item in items for login in item.responsible_logins or []})
        columns = dict(definition.columns)
        rows = [_item_row(item, columns, labels) for item in items]
    by_section: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_section[row["section_id"]].append(row)
    known = {section.id for section in sections}
    groups = []
    loose = [row for row in rows if row["section_id"] not in known]
    if loose:
        groups.append({"id": None, "number": "", "title": "", "items": loose})
    groups += [{"id": s.id, "number": s.number, "title": s.title, "items": by_section.get(s.id, [])} for s in sections]
    return {"version": artefact.version, "columns": columns, "sections": groups, "items_total": len(rows),
            "flagged": [row for row in rows if row["warnings"]],
            # Rows whose only remark is their number: accepted all at once («Принять все восстановленные номера»).
            "numbers_to_accept": sum(1 for row in rows if any(w.startswith(NUMBER_WARNINGS) for w in row["warnings"])),
            "first_id": rows[0]["id"] if rows else None, "last_id": rows[-1]["id"] if rows else None}


PLAN_PAGE = 100        # rows of a plan per page
FLAGGED_SHOWN = 50     # rows «Требуют внимания» listed at once
CONTROL_PAGE = 50      # control items per page
# The control list's filters: what the person asks to see, and how the page names it.
CONTROL_FILTERS = {"all": "Все", "open": "Не закрытые", "overdue": "Просроченные", "reported": "На проверке",
                   "accepted": "Принятые"}


# How a row without warnings stores them, read as text.
EMPTY_JSON_TEXTS = ("", "[]", "null")


def _page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def plan_table_page(rt: Runtime, plan_id: int, user_id: int, page: int = 1, per_page: int = PLAN_PAGE
                    ) -> dict[str, Any]:
    """One page of the plan's rows (`per_page` in the order shown) with the headings of their sections,
    the contents (every section, its rows and the page it starts on) and, while the rows may be
    edited, the first rows that need attention. A fixed number of queries, each returning a page,
    the sections or counts — never the plan's every row (a year's plan has 2 000)."""
    with rt.sessions() as session:
        artefact, _, definition = _plan(session, rt, plan_id, user_id)
        sections = list(session.scalars(select(PlanSection).where(PlanSection.artefact_id == artefact.id)
                                        .order_by(PlanSection.position, PlanSection.id)))
        counts = _rows_per_section(session, artefact.id)
        total = sum(counts.values())
        pages = _page_count(total, per_page)
        page = min(max(page, 1), pages)
        shown = list(session.scalars(_in_display_order(select(PlanItem), artefact.id)
                                     .offset((page - 1) * per_page).limit(per_page)))
        # Only an editable plan shows the rows needing attention and the «↑ ↓» buttons.
        editing = artefact.state in definition.editable_states
        attention = _attention(session, artefact.id) if editing else _Attention()
        ends = _first_and_last(session, artefact.id) if editing and total else (None, None)
        items = {item.id: item for item in [*shown, *attention.items]}
        labels = _labels(session, artefact.organisation_id,
                         logins={login for item in items.values() for login in item.responsible_logins or []})
        columns = dict(definition.columns)
        rows = {item_id: _item_row(item, columns, labels) for item_id, item in items.items()}
    contents = _contents(sections, counts, per_page, pages)
    on_page = [rows[item.id] for item in shown]
    groups = []
    known = {section.id for section in sections}
    loose = [row for row in on_page if row["section_id"] not in known]
    if loose:
        groups.append({"id": None, "number": "", "title": "", "items": loose, "continued": page > 1})
    by_section: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for row in on_page:
        by_section[row["section_id"]].append(row)
    for entry in contents:
        mine = by_section.get(entry["id"], [])
        if mine or (entry["rows"] == 0 and entry["page"] == page):
            groups.append({"id": entry["id"], "number": entry["number"], "title": entry["title"], "items": mine,
                           "continued": bool(mine) and entry["page"] < page})
    return {"version": artefact.version, "columns": columns, "sections": groups, "items_total": total,
            "flagged": [rows[item.id] for item in attention.items], "flagged_total": attention.total,
            "numbers_to_accept": attention.numbers_only,
            "first_id": ends[0], "last_id": ends[1],
            "page": page, "pages": pages, "per_page": per_page, "contents": contents}


def _in_display_order(query, plan_id: int, descending: bool = False):  # noqa: ANN001, ANN202 - a Select
    """`query` over PlanItem restricted to the plan, in the order the page shows its rows: rows without a
    section of this plan first, then section by section (by the sections' order), by position within."""
    section = aliased(PlanSection)
    keys = [section.id.is_not(None), section.position, section.id, PlanItem.position, PlanItem.id]
    return (query.outerjoin(section, and_(section.id == PlanItem.section_id, section.artefact_id == plan_id))
            .where(PlanItem.artefact_id == plan_id)
            .order_by(*[key.desc() for key in keys] if descending else keys))


def _rows_per_section(session: Session, plan_id: int) -> dict[int | None, int]:
    return dict(session.execute(select(PlanItem.section_id, func.count()).where(PlanItem.artefact_id == plan_id)
                                .group_by(PlanItem.section_id)).all())


@dataclass
class _Attention:
    """The rows with warnings: the first FLAGGED_SHOWN of them, how many in all, how many only about a number."""
    items: list[PlanItem] = field(default_factory=list)
    total: int = 0
    numbers_only: int = 0


def _attention(session: Session, plan_id: int) -> _Attention:
    # Warnings are read as text and decoded only for the rows that have some: most have none.
    with_warnings = [(row.id, json.loads(row.warnings)) for row in session.execute(
        _in_display_order(select(PlanItem.id, cast(PlanItem.warnings, String).label("warnings")), plan_id)
        .where(PlanItem.warnings.is_not(None), cast(PlanItem.warnings, String).not_in(EMPTY_JSON_TEXTS)))]
    flagged = [item_id for item_id, warnings in with_warnings if warnings]
    numbers_only = sum(1 for _, warnings in with_warnings if any(str(w).startswith(NUMBER_WARNINGS) for w in warnings))
    wanted = flagged[:FLAGGED_SHOWN]
    found = {item.id: item for item in session.scalars(select(PlanItem).where(PlanItem.id.in_(wanted)))} if wanted else {}
    return _Attention([found[item_id] for item_id in wanted], len(flagged), numbers_only)


def _first_and_last(session: Session, plan_id: int) -> tuple[int | None, int | None]:
    first = session.scalar(_in_display_order(select(PlanItem.id), plan_id).limit(1))
    last = session.scalar(_in_display_order(select(PlanItem.id), plan_id, descending=True).limit(1))
    return first, last


def _contents(sections: list[PlanSection], counts: dict[int | None, int], per_page: int, pages: int
              ) -> list[dict[str, Any]]:
    """Each section with its number of rows and the page its first row (or its place, when empty) is on."""
    known = {section.id for section in sections}
    start = sum(n for section_id, n in counts.items() if section_id not in known)
    contents = []
    for section in sections:
        rows = counts.get(section.id, 0)
        # An empty section sits after the last row before it: on the page of that row.
        index = start if rows else max(start - 1, 0)
        contents.append({"id": section.id, "number": section.number, "title": section.title, "rows": rows,
                         "page": min(index // per_page + 1, pages)})
        start += rows
    return contents


def plan_row_page(rt: Runtime, plan_id: int, user_id: int, item_id: int | None = None,
                  section_id: int | None = None, per_page: int = PLAN_PAGE) -> int:
    """The page of the plan on which a row (or a section's first row) is shown: where to return after an edit."""
    with rt.sessions() as session:
        artefact, _, _ = _plan(session, rt, plan_id, user_id)
        if item_id is not None:
            ordered = list(session.scalars(_in_display_order(select(PlanItem.id), artefact.id)))
            index = ordered.index(item_id) if item_id in ordered else 0
            return min(index // per_page + 1, _page_count(len(ordered), per_page))
        sections = list(session.scalars(select(PlanSection).where(PlanSection.artefact_id == artefact.id)
                                        .order_by(PlanSection.position, PlanSection.id)))
        counts = _rows_per_section(session, artefact.id)
    contents = _contents(sections, counts, per_page, _page_count(sum(counts.values()), per_page))
    entry = next((c for c in contents if c["id"] == section_id), None)
    return entry["page"] if entry else 1


def item_for_edit(rt: Runtime, plan_id: int, item_id: int, user_id: int) -> dict[str, Any]:
    """One row of the plan with everything its edit form shows."""
    with rt.sessions() as session:
        artefact, _, definition = _plan(session, rt, plan_id, user_id)
        item = session.get(PlanItem, item_id)
        if item is None or item.artefact_id != artefact.id:
            raise NotFound("Пункт плана не найден")
        labels = _labels(session, artefact.organisation_id, logins=set(item.responsible_logins or []))
        return _item_row(item, dict(definition.columns), labels)


# --- The import preview ---------------------------------------------------------------------------

def import_preview(rt: Runtime, plan_id: int, user_id: int, data: bytes, file_name: str,
                   today: dt.date | None = None) -> dict[str, Any]:
    """`plans.preview_import` with each row's responsible people by name and the totals. Writes nothing."""
    preview = preview_import(rt, plan_id, user_id, data, file_name, today)
    with rt.sessions() as session:
        artefact, _, definition = _plan(session, rt, plan_id, user_id)
        positions = {p.key: p for p in organisation_positions(session, artefact.organisation_id)}
        labels = _labels(session, artefact.organisation_id,
                         logins={login for p in positions.values() for login in p.user_logins}
                         | {login for raw in preview["items"] for login in (raw.get("responsible_match") or {})
                            .get("logins", [])})
    columns = dict(definition.columns)
    headings = {c["key"]: c["heading"] for c in preview["columns"] if c.get("key")}
    sections = {s["index"]: {**s, "items": []} for s in preview["sections"]}
    items = []
    for raw in preview["items"]:
        match = raw.get("responsible_match") or {}
        logins = match_logins(match, positions)
        fields = {**raw["fields"], **raw.get("extra", {})}
        item = {
            "number": raw.get("full_number") or raw["number"], "number_written": raw.get("number_written"),
            "number_restored": raw.get("number_written") is not None
            and (raw.get("number_written") or "").rstrip(".") != raw["number"],
            "cells": [{"key": key, "heading": heading, "text": fields.get(key, "")}
                      for key, heading in columns.items()],
            "extra": [(headings.get(key, key), value) for key, value in fields.items()
                      if key not in columns and key != "number" and value],
            "responsible_text": raw["fields"].get(RESPONSIBLE, ""), "responsible_logins": logins,
            "responsible_names": [labels.get(login, login) for login in logins],
            "external_executors": list(match.get("external", [])), "unresolved": list(match.get("unresolved", [])),
            "deadline_text": raw["fields"].get(DEADLINE, ""), "schedule": dict(raw.get("schedule") or {}),
            "deadline_description": raw.get("deadline_description", ""),
            "deadline_resolved": bool(raw.get("schedule")) and raw["schedule"].get("kind") != Kind.UNRESOLVED,
            "warnings": list(raw.get("warnings", [])), "duplicate": bool(raw.get("duplicate")),
            "past_due": list(raw.get("past_due", [])), "past_due_warning": raw.get("past_due_warning", ""),
            "number_only": bool(raw.get("warnings")) and all(
                w.startswith(NUMBER_WARNINGS) for w in raw.get("warnings", [])),
            "source_row": raw["source"]["row"] + 1, "source_table": raw["source"]["table"] + 1,
            "continuations": len(raw.get("continuation_sources", [])),
        }
        item["responsible_note"] = _written_otherwise(item["responsible_text"], item["responsible_names"],
                                                      item["external_executors"])
        items.append(item)
        if raw["section_index"] in sections:
            sections[raw["section_index"]]["items"].append(item)
    accounting = preview["row_accounting"]
    missing = [heading for key, heading in columns.items() if key not in headings]
    return {
        "shape": preview["shape"], "school_year": preview["school_year"], "title": preview.get("title", ""),
        "file_columns": [{"heading": c["heading"] or f"столбец {c['index'] + 1}",
                          "maps_to": columns.get(c["key"], "№" if c["key"] == "number" else (c["key"] or ""))}
                         for c in preview["columns"]],
        "missing_columns": missing, "sections": list(sections.values()), "items": items,
        "warnings": list(preview.get("warnings", [])), "row_accounting": accounting,
        "accounting_text": accounting_text(accounting),
        "new_items": sum(1 for i in items if not i["duplicate"]),
        "new_sections": sum(1 for s in sections.values() if not s["existing"]),
        "duplicates": sum(1 for i in items if i["duplicate"]),
        "flagged": sum(1 for i in items if i["warnings"] and not i["duplicate"]),
        "past_due": sum(1 for i in items if i["past_due"] and not i["duplicate"]),
        "number_only": sum(1 for i in items if i["number_only"] and not i["duplicate"]),
    }


def accounting_text(accounting: dict[str, Any]) -> str:
    """«строк в файле: 9 = заголовок 1 + разделы 1 + пункты 7 + продолжения 0 + пустые 0»."""
    return (f"строк в файле: {accounting['source_rows']} = заголовок {accounting['header_rows']}"
            f" + разделы {accounting['section_rows']} + пункты {accounting['item_rows']}"
            f" + продолжения {accounting['continuation_rows']} + пустые {accounting['empty_rows']}")


# --- Control items of a plan ------------------------------------------------------------------------

def _assignees(session: Session, artefact_ids, organisation_id: int) -> dict[int, list[dict[str, Any]]]:  # noqa: ANN001
    """Assignees of the given items (a list or a subquery of ids), by item: one query."""
    result: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = session.execute(
        select(ArtefactAssignee.artefact_id, ArtefactAssignee.user_id, ArtefactAssignee.external_name,
               User.last_name, User.first_name, User.middle_name, Membership.position)
        .outerjoin(User, User.id == ArtefactAssignee.user_id)
        .outerjoin(Membership, (Membership.user_id == User.id) & (Membership.organisation_id == organisation_id))
        .where(ArtefactAssignee.artefact_id.in_(artefact_ids)).order_by(ArtefactAssignee.id))
    for row in rows:
        if row.user_id is not None:
            name = surname_initials(row.last_name or "", row.first_name or "", row.middle_name or "")
            result[row.artefact_id].append({"user_id": row.user_id, "name": name, "position": row.position or "",
                                            "label": f"{name} — {row.position}" if row.position else name})
        else:
            result[row.artefact_id].append({"user_id": None, "name": row.external_name, "position": "",
                                            "label": row.external_name})
    return result


def control_children(rt: Runtime, plan_id: int, user_id: int, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The plan's control items by due date (undated last), with assignees and evidence counts. Three queries."""
    today = today or rt.today()
    definition = rt.definition(CONTROL_KIND)
    with rt.sessions() as session:
        plan, _ = artefact_for(session, user_id, plan_id)
        children = select(Artefact.id).where(Artefact.parent_id == plan.id)
        rows = session.execute(
            select(Artefact.id, Artefact.title, Artefact.state, Artefact.due_date, Artefact.fields)
            .where(Artefact.parent_id == plan.id)
            .order_by(Artefact.due_date.is_(None), Artefact.due_date, Artefact.id)).all()
        assignees = _assignees(session, children, plan.organisation_id)
        evidence = dict(session.execute(select(Evidence.artefact_id, func.count()).where(
            Evidence.artefact_id.in_(children)).group_by(Evidence.artefact_id)).all())
    return [_control_row(row, definition, assignees, evidence, today) for row in rows]


def _control_row(row: Any, definition: Any, assignees: dict[int, list], evidence: dict[int, int],
                 today: dt.date) -> dict[str, Any]:
    """A control item as the plan page and the API show it."""
    fields = row.fields or {}
    return {
        "id": row.id, "title": row.title, "state": row.state, "state_label": definition.state_label(row.state),
        "due_date": row.due_date, "overdue": is_overdue(row.due_date, row.state, today),
        "item_number": fields.get("item_number", ""), "deadline_text": fields.get("deadline_text", ""),
        "note": fields.get("note", ""), "assignees": assignees.get(row.id, []),
        "evidence": int(evidence.get(row.id, 0)), "final": row.state in FINAL_CONTROL_STATES,
    }


def control_page(rt: Runtime, plan_id: int, user_id: int, today: dt.date | None = None, show: str = "all",
                 page: int = 1, per_page: int = CONTROL_PAGE) -> dict[str, Any]:
    """One page of the plan's control items (by due date, undated last), narrowed to `show` (a key of
    CONTROL_FILTERS), with the counts of every filter. Four queries, however many items."""
    today = today or rt.today()
    show = show if show in CONTROL_FILTERS else "all"
    definition = rt.definition(CONTROL_KIND)
    with rt.sessions() as session:
        plan, _ = artefact_for(session, user_id, plan_id)
        final = Artefact.state.in_(FINAL_CONTROL_STATES)
        overdue = and_(Artefact.due_date < today, ~final)
        conditions = {"all": true(), "open": ~final, "overdue": overdue,
                      "reported": Artefact.state == "reported", "accepted": Artefact.state == "accepted"}
        counted = session.execute(select(*[
            func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(key)
            for key, condition in conditions.items()]).where(Artefact.parent_id == plan.id)).one()
        counts = {key: int(getattr(counted, key)) for key in conditions}
        pages = _page_count(counts[show], per_page)
        page = min(max(page, 1), pages)
        rows = session.execute(
            select(Artefact.id, Artefact.title, Artefact.state, Artefact.due_date, Artefact.fields)
            .where(Artefact.parent_id == plan.id, conditions[show])
            .order_by(Artefact.due_date.is_(None), Artefact.due_date, Artefact.id)
            .offset((page - 1) * per_page).limit(per_page)).all()
        ids = [row.id for row in rows]
        assignees = _assignees(session, ids, plan.organisation_id) if ids else {}
        evidence = dict(session.execute(select(Evidence.artefact_id, func.count()).where(
            Evidence.artefact_id.in_(ids)).group_by(Evidence.artefact_id)).all()) if ids else {}
    items = [_control_row(row, definition, assignees, evidence, today) for row in rows]
    return {"items": items, "show": show, "page": page, "pages": pages, "total": counts[show], "per_page": per_page,
            "filters": [{"key": key, "label": label, "count": counts[key]} for key, label in CONTROL_FILTERS.items()],
            "summary": {"total": counts["all"], "done": counts["accepted"], "reported": counts["reported"],
                        "overdue": counts["overdue"]}}


def control_summary(items: list[dict[str, Any]]) -> dict[str, int]:
    """Counts for the head of the list: total, finished, overdue."""
    return {"total": len(items), "done": sum(1 for i in items if i["state"] == "accepted"),
            "overdue": sum(1 for i in items if i["overdue"]),
            "reported": sum(1 for i in items if i["state"] == "reported")}


# --- One control item ---------------------------------------------------------------------------------

def _may_attach(session: Session, artefact: Artefact, membership: Membership, user_id: int) -> bool:
    if ACTING_ROLES.intersection(membership.roles or []):
        return True
    return session.scalar(select(func.count()).select_from(ArtefactAssignee).where(
        ArtefactAssignee.artefact_id == artefact.id, ArtefactAssignee.user_id == user_id)) > 0


def control_item_view(rt: Runtime, artefact_id: int, user_id: int, today: dt.date | None = None
                      ) -> dict[str, Any] | None:
    """A control item's due date, plan, assignees and evidence; None for an artefact of another kind."""
    today = today or rt.today()
    with rt.sessions() as session:
        artefact, membership = artefact_for(session, user_id, artefact_id)
        if artefact.kind != CONTROL_KIND:
            return None
        parent = session.get(Artefact, artefact.parent_id) if artefact.parent_id else None
        assignees = _assignees(session, [artefact.id], artefact.organisation_id).get(artefact.id, [])
        uploader = aliased(User)
        evidence = session.execute(
            select(Evidence.id, Evidence.file_name, Evidence.link_url, Evidence.size, Evidence.sha256,
                   Evidence.created_at, uploader.last_name, uploader.first_name, uploader.middle_name)
            .outerjoin(uploader, uploader.id == Evidence.uploaded_by)
            .where(Evidence.artefact_id == artefact.id).order_by(Evidence.id)).all()
        fields = artefact.fields or {}
        final = artefact.state in FINAL_CONTROL_STATES
        return {
            "id": artefact.id, "due_date": artefact.due_date,
            "overdue": is_overdue(artefact.due_date, artefact.state, today),
            "days_left": (artefact.due_date - today).days if artefact.due_date else None,
            "deadline_text": fields.get("deadline_text", ""), "note": fields.get("note", ""),
            "period_start": fields.get("period_start"), "period_end": fields.get("period_end"),
            "item_number": fields.get("item_number", ""), "responsible_text": fields.get("responsible_text", ""),
            "plan": ({"id": parent.id, "title": parent.title, "kind_title": rt.definition(parent.kind).title,
                      "school_year": parent.school_year} if parent else None),
            "assignees": assignees, "final": final,
            "may_attach": not final and _may_attach(session, artefact, membership, user_id),
            "evidence": [{"id": e.id, "file_name": e.file_name, "link_url": e.link_url, "size": e.size,
                          "sha256": e.sha256, "created_at": e.created_at,
                          "uploaded_by": (surname_initials(e.last_name, e.first_name, e.middle_name)
                                          if e.last_name else "")}
                         for e in evidence],
        }


def add_evidence(rt: Runtime, artefact_id: int, user_id: int, *, data: bytes | None = None, file_name: str = "",
                 link_url: str = "") -> int:
    """Attach a file (≤ 10 MB) or a link to a control item; its assignees or a deputy/director may.

    The file is kept in the database with its SHA-256; the item's history records it (chained),
    so a file swapped later does not go unnoticed. Returns the evidence id.
    """
    link_url = checked_evidence_input(data, link_url)
    with transaction(rt.sessions) as session:
        actor = get_user(session, user_id)
        artefact, membership = artefact_for(session, user_id, artefact_id, lock=True)
        if artefact.kind != CONTROL_KIND:
            raise NotFound("Пункт на контроле не найден")
        if artefact.state in FINAL_CONTROL_STATES:
            raise Conflict(f"Пункт уже закрыт ({rt.definition(CONTROL_KIND).state_label(artefact.state)}): "
                           "материалы к нему не добавляются")
        if not _may_attach(session, artefact, membership, user_id):
            raise Forbidden("Материалы прикладывает исполнитель пункта или заместитель директора")
        evidence = store_evidence(session, artefact, actor, data, file_name, link_url)
        return evidence.id


def checked_evidence_input(data: bytes | None, link_url: str) -> str:
    """Refuse an empty, too large or malformed piece of evidence; return the link, stripped."""
    link_url = (link_url or "").strip()
    if data is not None and len(data) > MAX_EVIDENCE_BYTES:
        raise Unprocessable(f"Файл больше {MAX_EVIDENCE_BYTES // (1024 * 1024)} МБ: уменьшите его или дайте ссылку")
    if data is not None and not data and not link_url:
        raise Unprocessable("Файл пуст: выберите файл с материалами")
    if not data and not link_url:
        raise Unprocessable("Выберите файл или укажите ссылку на материалы")
    if link_url and (len(link_url) > MAX_LINK or not re.match(r"^https?://[^\s]+$", link_url, re.IGNORECASE)):
        raise Unprocessable("Ссылка должна начинаться с http:// или https:// и не содержать пробелов")
    return link_url


def store_evidence(session: Session, artefact: Artefact, actor: User, data: bytes | None, file_name: str,
                   link_url: str, history: dict[str, Any] | None = None) -> Evidence:
    """A checked file or link kept on the artefact, recorded in its history (with `history` fields)."""
    evidence = Evidence(artefact_id=artefact.id, uploaded_by=actor.id, link_url=link_url)
    if data:
        evidence.file_name = safe_file_name(file_name)
        evidence.content = data
        evidence.size = len(data)
        evidence.sha256 = hashlib.sha256(data).hexdigest()
    session.add(evidence)
    session.flush()
    append_entry(session, artefact, actor, "add_evidence", artefact.state, fields={
        "evidence_id": evidence.id, "file_name": evidence.file_name, "sha256": evidence.sha256,
        "size": evidence.size, "link_url": link_url, **(history or {})})
    return evidence


@dataclass(frozen=True)
class EvidenceFile:
    id: int
    artefact_id: int
    file_name: str
    size: int
    sha256: str
    content: bytes


def evidence_file(rt: Runtime, evidence_id: int, user_id: int) -> EvidenceFile:
    """A stored evidence file the user may open; another organisation's is reported as missing."""
    with rt.sessions() as session:
        row = session.execute(
            select(Evidence, Artefact.organisation_id).join(Artefact, Artefact.id == Evidence.artefact_id)
            .where(Evidence.id == evidence_id).options(undefer(Evidence.content))).first()
        if row is None or membership_in(session, user_id, row.organisation_id) is None or row.Evidence.content is None:
            raise NotFound(f"Файл № {evidence_id} не найден")
        evidence = row.Evidence
        return EvidenceFile(evidence.id, evidence.artefact_id, evidence.file_name or f"evidence-{evidence.id}",
                            evidence.size, evidence.sha256, evidence.content)
