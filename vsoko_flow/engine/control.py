"""Plans and decisions under control: rules over their items and the action that puts them on control.

Every plan row (PlanItem) becomes one control item (an Artefact of kind `control_item`) per
occurrence of its schedule: «Декабрь, июнь» gives two, «ежеквартально» four, «В течение года»
one due at the end of the year, «Согласно ВШК» one without a date (shown as «по графику»).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from ..deadlines.phrases import Kind, Schedule
from ..models import Artefact, ArtefactAssignee, Membership, PlanItem, User
from .context import TransitionContext
from .history import append_entry
from .registry import ActionError, action, rule

CONTROL_KIND = "control_item"
FINAL_CONTROL_STATES = ("accepted", "cancelled")
MAX_LISTED = 10


def _items(ctx: TransitionContext) -> list[PlanItem]:
    return list(ctx.session.scalars(select(PlanItem).where(PlanItem.artefact_id == ctx.artefact.id)
                                    .order_by(PlanItem.position)))


def _listed(numbers: list[str]) -> str:
    shown = ", ".join(numbers[:MAX_LISTED])
    return shown + (f" и ещё {len(numbers) - MAX_LISTED}" if len(numbers) > MAX_LISTED else "")


@rule("items_present", "В плане есть хотя бы один пункт")
def items_present(ctx: TransitionContext) -> list[str]:
    count = ctx.session.scalar(select(func.count()).select_from(PlanItem).where(PlanItem.artefact_id == ctx.artefact.id))
    return [] if count else ["В плане нет ни одного пункта: импортируйте таблицу или добавьте пункты"]


@rule("items_resolved", "У каждого пункта понятны срок и ответственный")
def items_resolved(ctx: TransitionContext) -> list[str]:
    items = _items(ctx)
    no_deadline = [i.number or str(i.position + 1) for i in items
                   if (i.schedule or {}).get("kind", "unresolved") == Kind.UNRESOLVED]
    no_responsible = [i.number or str(i.position + 1) for i in items
                      if not i.responsible_logins and not i.external_executors]
    messages = []
    if no_deadline:
        messages.append(f"Не распознан срок в пунктах {_listed(no_deadline)}: исправьте формулировку срока")
    if no_responsible:
        messages.append(f"Не определён ответственный в пунктах {_listed(no_responsible)}: "
                        "выберите сотрудника или внешнего исполнителя")
    return messages


@rule("control_items_closed", "Все пункты на контроле приняты или отменены")
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
    definition = ctx.definitions.get(CONTROL_KIND)
    if definition is None:
        raise ActionError("Не найдено описание процесса «Пункт на контроле» (workflows/control_item.yaml)")
    items = _items(ctx)
    users = _logins_to_user_ids(ctx, sorted({login for i in items for login in i.responsible_logins}))
    created = 0
    for item in items:
        for due, period in _occurrences(item):
            child = Artefact(
                kind=CONTROL_KIND, organisation_id=ctx.artefact.organisation_id, state=definition.initial,
                title=_item_title(item), school_year=ctx.artefact.school_year, parent_id=ctx.artefact.id,
                due_date=due, author_id=ctx.actor.id, fields=_item_fields(item, period))
            ctx.session.add(child)
            ctx.session.flush()
            ctx.session.add_all([ArtefactAssignee(artefact_id=child.id, user_id=users[login])
                                 for login in item.responsible_logins if login in users])
            ctx.session.add_all([ArtefactAssignee(artefact_id=child.id, external_name=name)
                                 for name in item.external_executors])
            append_entry(ctx.session, child, ctx.actor, "create", "", fields={"plan_item_id": item.id,
                         "due_date": due.isoformat() if due else None})
            created += 1
    ctx.set_field("control_items", created)


def _occurrences(item: PlanItem) -> list[tuple[dt.date | None, dict | None]]:
    schedule = Schedule.from_dict(item.schedule) if item.schedule else None
    if schedule is None or not schedule.periods:
        return [(None, None)]
    return [(period.due, period.to_dict()) for period in schedule.periods]


def _item_title(item: PlanItem) -> str:
    text = (item.fields.get("activity") or item.fields.get("object") or item.fields.get("indicators")
            or "Пункт плана")
    prefix = f"{item.number} " if item.number else ""
    return (prefix + text)[:500]


def _item_fields(item: PlanItem, period: dict | None) -> dict:
    fields = {"plan_item_id": item.id, "item_number": item.number, "deadline_text": item.deadline_text,
              "responsible_text": item.responsible_text}
    if period:
        fields.update(period_start=period["start"], period_end=period["end"], note=period.get("note") or "")
    return fields
