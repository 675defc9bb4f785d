"""Rows on control: plan rows and council decisions become control items, executors report,
the deputy accepts — and the execution reports read them back.

Every plan row (PlanItem) becomes one control item (an Artefact of kind `control_item`) per
occurrence of its schedule: «Декабрь, июнь» gives two, «ежеквартально» four, «В течение года»
one due at the end of the year, «Согласно ВШК» one without a date (shown as «по графику»).

A control item's outcome on a report date:

* ``cancelled`` — «отменено»;
* reported or accepted with the execution date (``executed_on`` of its last ``report``
  history entry, else of its fields) on or before the due date, or without a due date —
  ``on_time``, «в срок»; after the due date — ``late``, «с опозданием»;
* otherwise (planned, in progress, returned): due date before the report date or no due
  date — ``not_executed``, «не исполнено»; due on or after the report date — ``not_due``,
  «срок не наступил».

``execution_report_context`` is the context of template execution_report.docx: ``rows`` with
section rows and one row per control item: ``{section: False, n, title, due, responsible: [..],
status, result: [..], evidence: [..], mark, outcome}``; ``summary`` sentences; ``report_date``;
signed by the person closing the plan. Query counts do not grow with the size of a plan.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..db import insert_rows, reserve_ids
from ..deadlines.phrases import Kind, Period, Schedule, describe
from ..documents.russian import date_digits, surname_initials
from ..engine.context import TransitionContext
from ..engine.history import first_entry, write_first_entries
from ..engine.registry import ActionError, action, rule
from ..models import (Artefact, ArtefactAssignee, Evidence, HistoryEntry, Membership, PlanItem, PlanSection, User,
                      utcnow)
from .common import EMPTY, as_date, lines, plural, signer, text

CONTROL_KIND = "control_item"
FINAL_CONTROL_STATES = ("accepted", "cancelled")
MAX_LISTED = 10
ACCEPTED, REPORTED, CANCELLED = "accepted", "reported", "cancelled"
MARKS = {
    "on_time": "в срок",
    "late": "с опозданием",
    "not_executed": "не исполнено",
    "not_due": "срок не наступил",
    "cancelled": "отменено",
}


# --------------------------------------------------------------------------- the rows of a table artefact


def plan_sections(ctx: TransitionContext) -> list[PlanSection]:
    return _rows_of_plan(ctx, PlanSection)


def plan_items(ctx: TransitionContext) -> list[PlanItem]:
    return _rows_of_plan(ctx, PlanItem)


def _rows_of_plan(ctx: TransitionContext, model: type[PlanSection] | type[PlanItem]) -> list:
    """The artefact's sections or rows in order, loaded once per transition: rules, actions and
    documents each read them. The objects are the session's own, so edits show through; a count
    (one cheap query) notices rows added or deleted meanwhile."""
    key = f"{model.__tablename__}:{ctx.artefact.id}"
    count = ctx.session.scalar(select(func.count()).select_from(model).where(model.artefact_id == ctx.artefact.id))
    cached = ctx.loaded.get(key)
    if cached is None or len(cached) != count:
        cached = list(ctx.session.scalars(select(model).where(model.artefact_id == ctx.artefact.id)
                                          .order_by(model.position, model.id)))
        ctx.loaded[key] = cached
    return list(cached)


def section_text(section: PlanSection) -> str:
    return " ".join(part for part in (section.number.strip(), " ".join(section.title.split())) if part)


def listed(numbers: list[str]) -> str:
    shown = ", ".join(numbers[:MAX_LISTED])
    return shown + (f" и ещё {len(numbers) - MAX_LISTED}" if len(numbers) > MAX_LISTED else "")


@rule("items_present", "В плане есть хотя бы один пункт", before_form=True)
def items_present(ctx: TransitionContext) -> list[str]:
    count = ctx.session.scalar(select(func.count()).select_from(PlanItem).where(PlanItem.artefact_id == ctx.artefact.id))
    if count or ctx.value("adoptions"):  # a meeting whose questions are the acts adopted at it
        return []
    return ["В плане нет ни одного пункта: импортируйте таблицу или добавьте пункты"]


@rule("items_resolved", "У каждого пункта понятны срок и ответственный", before_form=True)
def items_resolved(ctx: TransitionContext) -> list[str]:
    items = plan_items(ctx)
    no_deadline = [i.number or str(i.position + 1) for i in items
                   if (i.schedule or {}).get("kind", "unresolved") == Kind.UNRESOLVED]
    no_responsible = [i.number or str(i.position + 1) for i in items
                      if not i.responsible_logins and not i.external_executors]
    messages = []
    if no_deadline:
        messages.append(f"Не распознан срок в пунктах {listed(no_deadline)}: исправьте формулировку срока")
    if no_responsible:
        messages.append(f"Не определён ответственный в пунктах {listed(no_responsible)}: "
                        "выберите сотрудника или внешнего исполнителя")
    return messages


@rule("sections_have_items", "В каждом разделе плана есть пункты", before_form=True)
def sections_have_items(ctx: TransitionContext) -> list[str]:
    """A section without rows would be printed empty in the plan the council adopts."""
    filled = {item.section_id for item in plan_items(ctx)}
    empty = [f"«{section_text(section)}»" for section in plan_sections(ctx) if section.id not in filled]
    if not empty:
        return []
    which = f"Раздел {empty[0]} без пунктов" if len(empty) == 1 else f"Разделы без пунктов: {listed(empty)}"
    return [f"{which}: добавьте в него пункты («Добавить пункт» в разделе) или удалите пустой раздел («Удалить» "
            "в строке раздела), чтобы в плане для совета не было пустых разделов"]


@rule("control_items_closed", "Все пункты на контроле приняты или отменены", before_form=True)
def control_items_closed(ctx: TransitionContext) -> list[str]:
    open_count = ctx.session.scalar(select(func.count()).select_from(Artefact).where(
        Artefact.parent_id == ctx.artefact.id, Artefact.state.not_in(FINAL_CONTROL_STATES)))
    if not open_count:
        return []
    return [f"Не закрыто пунктов на контроле: {open_count}; в отчёте они будут показаны как неисполненные"]


def _logins_to_user_ids(ctx: TransitionContext, logins: list[str]) -> dict[str, int]:
    if not logins:
        return {}
    rows = ctx.session.execute(select(User.login, User.id).join(Membership).where(
        Membership.organisation_id == ctx.artefact.organisation_id, User.login.in_(logins))).all()
    return dict(rows)


@action("create_control_items", "Поставить пункты на контроль: по одному на каждый срок каждого пункта")
def create_control_items(ctx: TransitionContext) -> None:
    ctx.set_field("control_items", add_control_items(ctx, ctx.artefact, plan_items(ctx)))


def add_control_items(ctx: TransitionContext, plan: Artefact, items: list[PlanItem]) -> int:
    """Control items (children of `plan`) for the given rows of it, one per occurrence of each
    row's schedule; returns how many. Also used for a row added to a plan already on control."""
    definition = ctx.definitions.get(CONTROL_KIND)
    if definition is None:
        raise ActionError("Не найдено описание процесса «Пункт на контроле» (workflows/control_item.yaml)")
    users = _logins_to_user_ids(ctx, sorted({login for i in items for login in i.responsible_logins}))
    occurrences = [(item, due, period) for item in items for due, period in _occurrences(item)]
    # Ids reserved up front, then one batched INSERT per table (children, assignees, first history
    # entries, heads): the statement count does not grow with the number of rows.
    ids = reserve_ids(ctx.session, Artefact.__table__, len(occurrences))
    now = utcnow()
    entries: list[dict] = []

    def children():
        for child_id, (item, due, period) in zip(ids, occurrences):
            child = {"id": child_id, "kind": CONTROL_KIND, "organisation_id": plan.organisation_id,
                     "state": definition.initial, "title": _item_title(item), "version": 1,
                     "school_year": plan.school_year, "parent_id": plan.id, "supersedes_id": None, "due_date": due,
                     "author_id": ctx.actor.id, "fields": _item_fields(item, period), "created_at": now,
                     "updated_at": now}
            # Its chain's first entry is hashed here, while the database stores the children sent before.
            entries.append(first_entry(child, {"plan_item_id": item.id, "due_date": _iso(due)}, ctx.actor, now))
            yield child

    assignees = [{"artefact_id": child_id, "user_id": users.get(login), "external_name": ""}
                 for child_id, (item, _, _) in zip(ids, occurrences)
                 for login in item.responsible_logins if login in users]
    assignees += [{"artefact_id": child_id, "user_id": None, "external_name": name}
                  for child_id, (item, _, _) in zip(ids, occurrences) for name in item.external_executors]
    if occurrences:
        ctx.session.flush()  # the plan's own pending changes go first
        insert_rows(ctx.session, Artefact.__table__, children())
    write_first_entries(ctx.session, entries)
    insert_rows(ctx.session, ArtefactAssignee.__table__, assignees)
    return len(occurrences)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _occurrences(item: PlanItem) -> list[tuple[dt.date | None, dict | None]]:
    # Only the schedule's periods matter here: read without the rest of the Schedule (2 000 rows a plan).
    periods = [Period.from_dict(period) for period in (item.schedule or {}).get("periods") or ()]
    if not periods:
        return [(None, None)]
    return [(period.due, period.to_dict()) for period in periods]


def _item_title(item: PlanItem) -> str:
    what = (item.fields.get("activity") or item.fields.get("object") or item.fields.get("indicators")
            or "Пункт плана")
    prefix = f"{item.number} " if item.number else ""
    return (prefix + what)[:500]


def _item_fields(item: PlanItem, period: dict | None) -> dict:
    fields = {"plan_item_id": item.id, "item_number": item.number, "deadline_text": item.deadline_text,
              "responsible_text": item.responsible_text}
    if period:
        fields.update(period_start=period["start"], period_end=period["end"], note=period.get("note") or "")
    return fields


@rule("actor_is_assignee", "Отчитывается исполнитель пункта (или руководитель, который может действовать за него)", before_form=True)
def actor_is_assignee(ctx: TransitionContext) -> list[str]:
    if {"deputy", "director"} & set(ctx.membership.roles or []):
        return []
    assigned = ctx.session.scalars(select(ArtefactAssignee.user_id).where(
        ArtefactAssignee.artefact_id == ctx.artefact.id)).all()
    if ctx.actor.id in assigned:
        return []
    return ["Вы не назначены исполнителем этого пункта: отчитаться может исполнитель или заместитель директора"]


# --------------------------------------------------------------------------- execution reports

@dataclass
class ControlRow:
    """One control item of the plan as the reports see it (plain values)."""

    id: int
    title: str
    state: str
    due: dt.date | None
    executed_on: dt.date | None
    fields: dict[str, Any]
    section_id: int | None
    sort_key: tuple
    plan_item: PlanItem | None
    outcome: str = ""


def outcome(state: str, due: dt.date | None, executed_on: dt.date | None, report_date: dt.date) -> str:
    """on_time / late / not_executed / not_due / cancelled (see the module docstring)."""
    if state == CANCELLED:
        return "cancelled"
    if state in (ACCEPTED, REPORTED) and (executed_on is not None or state == ACCEPTED):
        return "late" if due is not None and executed_on is not None and executed_on > due else "on_time"
    if due is not None and due >= report_date:
        return "not_due"
    return "not_executed"


def report_date_of(ctx: TransitionContext) -> dt.date:
    return as_date(ctx.value("report_date")) or ctx.today


def _children_ids(ctx: TransitionContext):
    return select(Artefact.id).where(Artefact.parent_id == ctx.artefact.id, Artefact.kind == CONTROL_KIND)


def _executed_dates(ctx: TransitionContext) -> dict[int, dt.date]:
    """The execution date of each control item's last report (from its history)."""
    dates: dict[int, dt.date] = {}
    entries = ctx.session.execute(
        select(HistoryEntry.artefact_id, HistoryEntry.fields)
        .where(HistoryEntry.trigger == "report", HistoryEntry.artefact_id.in_(_children_ids(ctx)))
        .order_by(HistoryEntry.artefact_id, HistoryEntry.sequence))
    for artefact_id, fields in entries:
        day = as_date((fields or {}).get("executed_on"))
        if day is not None:
            dates[artefact_id] = day
    return dates


def control_rows(ctx: TransitionContext, report_date: dt.date) -> tuple[list[PlanSection], list[ControlRow]]:
    """The plan's sections and its control items in plan order (item position, then due date)."""
    sections = plan_sections(ctx)
    section_order = {section.id: index for index, section in enumerate(sections)}
    items_by_id = {item.id: item for item in plan_items(ctx)}
    children = ctx.session.scalars(select(Artefact).where(
        Artefact.parent_id == ctx.artefact.id, Artefact.kind == CONTROL_KIND)).all()
    executed = _executed_dates(ctx)
    rows = []
    for child in children:
        fields = dict(child.fields or {})
        plan_item = items_by_id.get(fields.get("plan_item_id"))
        section_id = plan_item.section_id if plan_item is not None and plan_item.section_id in section_order else None
        executed_on = executed.get(child.id) or as_date(fields.get("executed_on"))
        sort_key = (section_order.get(section_id, -1), plan_item.position if plan_item is not None else 1 << 30,
                    child.due_date or dt.date.max, child.id)
        row = ControlRow(id=child.id, title=child.title, state=child.state, due=child.due_date,
                         executed_on=executed_on, fields=fields, section_id=section_id, sort_key=sort_key,
                         plan_item=plan_item)
        row.outcome = outcome(row.state, row.due, row.executed_on, report_date)
        rows.append(row)
    rows.sort(key=lambda r: r.sort_key)
    return sections, rows


def _due_text(row: ControlRow) -> str:
    if row.due is not None:
        note = text(row.fields.get("note")).strip()
        return date_digits(row.due) + (f" ({note})" if note else "")
    schedule = row.plan_item.schedule if row.plan_item is not None else None
    if schedule:
        try:
            return describe(Schedule.from_dict(schedule))
        except (KeyError, ValueError, TypeError):
            pass
    deadline = text(row.fields.get("deadline_text")).strip()
    return f"по графику: {deadline}" if deadline else "без срока"


def _assignee_names(ctx: TransitionContext) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    found = ctx.session.execute(
        select(ArtefactAssignee.artefact_id, ArtefactAssignee.external_name,
               User.last_name, User.first_name, User.middle_name)
        .outerjoin(User, User.id == ArtefactAssignee.user_id)
        .where(ArtefactAssignee.artefact_id.in_(_children_ids(ctx)))
        .order_by(ArtefactAssignee.artefact_id, ArtefactAssignee.id))
    for artefact_id, external, last, first, middle in found:
        name = surname_initials(last, first or "", middle or "") if last else text(external).strip()
        if name and name not in names[artefact_id]:
            names[artefact_id].append(name)
    return names


def _evidence_counts(ctx: TransitionContext) -> dict[int, int]:
    return dict(ctx.session.execute(
        select(Evidence.artefact_id, func.count()).where(Evidence.artefact_id.in_(_children_ids(ctx)))
        .group_by(Evidence.artefact_id)).all())


def _evidence_lines(count: int, links: Any) -> list[str]:
    found = [f"материалов: {count}"] if count else []
    found += [line for line in lines(links) if line]
    return found or [EMPTY]


def _status_label(ctx: TransitionContext, state: str) -> str:
    definition = ctx.definitions.get(CONTROL_KIND)
    return definition.state_label(state) if definition is not None else state


def _section_row(section: PlanSection) -> dict[str, Any]:
    return {"section": True, "number": section.number, "title": section.title, "text": section_text(section)}



def execution_report_context(ctx: TransitionContext, base: dict[str, Any], heading: str,
                      section_texts: dict[int, str]) -> dict[str, Any]:
    """The report's context; `section_texts` replace the text of section rows (a meeting's agenda items)."""
    report_date = report_date_of(ctx)
    sections, controls = control_rows(ctx, report_date)
    by_id = {section.id: section for section in sections}
    people = _assignee_names(ctx)
    evidence = _evidence_counts(ctx)
    rows: list[dict[str, Any]] = []
    current: Any = object()
    for n, row in enumerate(controls, start=1):
        if row.section_id != current:
            current = row.section_id
            if row.section_id is not None:
                section_row = _section_row(by_id[row.section_id])
                section_row["text"] = section_texts.get(row.section_id, section_row["text"])
                rows.append(section_row)
        responsible = people.get(row.id) or lines(row.fields.get("responsible_text"), EMPTY)
        rows.append({
            "section": False,
            "n": n,
            "title": row.title,
            "due": _due_text(row),
            "responsible": responsible,
            "status": _status_label(ctx, row.state),
            "result": lines(row.fields.get("result"), EMPTY),
            "evidence": _evidence_lines(evidence.get(row.id, 0), row.fields.get("links")),
            "executed_on": date_digits(row.executed_on) if row.executed_on else "",
            "mark": MARKS[row.outcome],
            "outcome": row.outcome,
        })
    return {
        **base,
        "heading": heading,
        "report_date": date_digits(report_date),
        "rows": rows,
        "summary": _summary(outcome_counts(controls)),
        "signer": signer(ctx.membership),
    }


# --------------------------------------------------------------------------- counts


def outcome_counts(rows: list[ControlRow]) -> dict[str, int]:
    counts = {"total": len(rows), "accepted": 0, "on_time": 0, "late": 0, "not_executed": 0, "cancelled": 0,
              "on_review": 0, "not_due": 0}
    for row in rows:
        if row.state == ACCEPTED:
            counts["accepted"] += 1
            counts["on_time" if row.outcome == "on_time" else "late"] += 1
        elif row.outcome in ("not_executed", "cancelled", "not_due"):
            counts[row.outcome] += 1
        else:  # reported, awaiting acceptance
            counts["on_review"] += 1
    return counts


def _summary(counts: dict[str, int]) -> list[str]:
    total = counts["total"]
    summary = [
        f"Всего на контроле {total} {plural(total, ('пункт', 'пункта', 'пунктов'))}; принято "
        f"{counts['accepted']} (в срок — {counts['on_time']}, с опозданием — {counts['late']}); "
        f"не исполнено — {counts['not_executed']}; отменено — {counts['cancelled']}.",
    ]
    rest = unfinished(counts)
    if rest:
        summary.append(rest)
    return summary


def unfinished(counts: dict[str, int]) -> str:
    parts = []
    if counts["on_review"]:
        parts.append(f"на проверке — {counts['on_review']}")
    if counts["not_due"]:
        parts.append(f"срок не наступил — {counts['not_due']}")
    return f"На дату отчёта не завершены: {', '.join(parts)}." if parts else ""
