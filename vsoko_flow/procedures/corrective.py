"""Corrective-action plans and effectiveness checks (workflows/corrective_plan.yaml,
workflows/effectiveness_check.yaml).

A corrective-action plan belongs to its audit (parent) and has one section per finding
(CorrectiveSection); the rows of a section are the finding's actions — correction, corrective
and preventive — with the responsible person, the deadline as written and the expected result.
Its approval puts every row on control (procedures/control.py, `add_control_items`) and starts
the findings' actions. When an action (a control item of such a plan) is accepted, an
effectiveness check is scheduled `effectiveness_days` later (the school's setting, 30 by
default) and given to someone who neither executed nor accepted it; the check's result
«эффективно» lets the finding close, anything else reopens the finding for a new action.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..deadlines.phrases import Kind, parse_deadline
from ..deadlines.school_year import SchoolYear
from ..documents.russian import date_digits, surname_initials
from ..engine.context import TransitionContext
from ..engine.history import append_entry
from ..engine.registry import ActionError, action, document_context, rule
from ..models import (
    Artefact, ArtefactAssignee, CorrectiveSection, HistoryEntry, Membership, PlanItem, PlanSection, QualitySettings,
    User,
)
from .audits import audit_team, no_mark
from .children import add_child, locked, move_by_system
from .common import as_date, digits, lines, person, signer, text
from .control import CONTROL_KIND, FINAL_CONTROL_STATES, add_control_items
from .findings import causes_of, finding_label

CORRECTIVE_KIND = "corrective_plan"
CHECK_KIND = "effectiveness_check"
ACTION_KINDS = {"correction": "Коррекция", "corrective": "Корректирующее действие",
                "preventive": "Предупреждающее действие"}
RESULTS = {"effective": "эффективно", "partial": "частично эффективно", "not_effective": "не эффективно"}
DEFAULT_EFFECTIVENESS_DAYS = 30


def action_kind_code(written: Any) -> str | None:
    """«Корректирующее действие», «корректирующее», «Коррекция», «предупреждающее» → its code."""
    word = re.sub(r"[^а-яё]", "", text(written).lower())
    if word.startswith("коррекц"):
        return "correction"
    if word.startswith("корректир"):
        return "corrective"
    if word.startswith(("предупрежд", "превент", "профилакт")):
        return "preventive"
    return None


def settings_of(session: Session, organisation_id: int) -> QualitySettings:
    """The school's settings of the cycle (defaults when it has not changed them)."""
    found = session.get(QualitySettings, organisation_id)
    return found or QualitySettings(organisation_id=organisation_id, corrective_plan_council=True,
                                    effectiveness_days=DEFAULT_EFFECTIVENESS_DAYS)


# --------------------------------------------------------------------------- the plan's findings and rows


def section_findings(session: Session, plan_id: int) -> dict[int, int]:
    """Section id → finding id, for the sections of the plan."""
    return dict(session.execute(select(CorrectiveSection.section_id, CorrectiveSection.finding_id)
                                .join(PlanSection, PlanSection.id == CorrectiveSection.section_id)
                                .where(PlanSection.artefact_id == plan_id)).all())


def _plan_findings(ctx: TransitionContext) -> list[tuple[PlanSection, Artefact, list[PlanItem]]]:
    mapping = section_findings(ctx.session, ctx.artefact.id)
    sections = ctx.session.scalars(select(PlanSection).where(PlanSection.artefact_id == ctx.artefact.id)
                                   .order_by(PlanSection.position, PlanSection.id)).all()
    items = ctx.session.scalars(select(PlanItem).where(PlanItem.artefact_id == ctx.artefact.id)
                                .order_by(PlanItem.position, PlanItem.id)).all()
    findings = {f.id: f for f in ctx.session.scalars(select(Artefact).where(Artefact.id.in_(mapping.values())))}
    return [(s, findings[mapping[s.id]], [i for i in items if i.section_id == s.id])
            for s in sections if s.id in mapping]


@rule("actions_per_finding", "В плане есть хотя бы одно действие по каждому несоответствию", before_form=True)
def actions_per_finding(ctx: TransitionContext) -> list[str]:
    empty = [f"№ {finding.id}" for _, finding, items in _plan_findings(ctx) if not items]
    if not empty:
        return []
    return [f"Нет ни одного действия по несоответствиям {', '.join(empty)}: добавьте в раздел каждого хотя бы "
            "одно мероприятие (коррекцию, корректирующее или предупреждающее действие)"]


@rule("corrective_actions_described", "У каждого действия понятны вид, содержание и ожидаемый результат", before_form=True)
def corrective_actions_described(ctx: TransitionContext) -> list[str]:
    unknown, no_result = [], []
    for _, _, items in _plan_findings(ctx):
        for item in items:
            if action_kind_code(item.fields.get("action_kind")) is None:
                unknown.append(item.number or str(item.id))
            if not text(item.fields.get("result")).strip() or not text(item.fields.get("activity")).strip():
                no_result.append(item.number or str(item.id))
    messages = []
    if unknown:
        messages.append(f"Не указан вид действия в пунктах {', '.join(unknown)}: напишите «Коррекция», "
                        "«Корректирующее действие» или «Предупреждающее действие»")
    if no_result:
        messages.append(f"Не описано мероприятие или ожидаемый результат в пунктах {', '.join(no_result)}")
    return messages


@rule("findings_analysed", "Причины всех несоответствий плана записаны", before_form=True)
def findings_analysed(ctx: TransitionContext) -> list[str]:
    waiting = [f"№ {finding.id}" for _, finding, _ in _plan_findings(ctx) if finding.state in ("open", "cause_analysis")]
    if not waiting:
        return []
    return [f"Не записаны причины несоответствий {', '.join(waiting)}: выполните «Записать причины» на их страницах — "
            "действия планируются по причинам"]


@rule("council_unless_optional", "План принимает педагогический совет, если школа не решила иначе", before_form=True)
def council_unless_optional(ctx: TransitionContext) -> list[str]:
    if ctx.artefact.state != ctx.definition.initial:
        return []
    if not settings_of(ctx.session, ctx.artefact.organisation_id).corrective_plan_council:
        return []
    return ["В школе план корректирующих мероприятий принимает педагогический совет: сначала «Внести на "
            "педагогический совет». Если совет для этих планов не нужен, измените настройку на странице ВСОКО"]


@rule("corrective_dates_in_order", "Приказ об утверждении плана не раньше утверждения акта аудита")
def corrective_dates_in_order(ctx: TransitionContext) -> list[str]:
    order = ctx.date_value("order_date")
    audit = ctx.session.get(Artefact, ctx.artefact.parent_id) if ctx.artefact.parent_id else None
    if order is None or audit is None:
        return []
    messages = []
    for label, name in (("акта аудита", "act_date"), ("утверждения акта аудита", "act_approved_on")):
        day = as_date(audit.fields.get(name))
        if day and order < day:
            messages.append(f"Дата приказа об утверждении плана ({date_digits(order)}) раньше даты {label} "
                            f"({date_digits(day)}): план составляется по утверждённому акту")
    return messages[:1]


@action("start_finding_actions", "Начать действия по несоответствиям плана")
def start_finding_actions(ctx: TransitionContext) -> None:
    for _, finding, _ in _plan_findings(ctx):
        move_by_system(ctx.session, ctx.definitions, locked(ctx.session, finding.id), "actions_started", ctx.actor,
                       comment=f"План корректирующих мероприятий № {ctx.artefact.id} утверждён")


# --------------------------------------------------------------------------- a new action for a finding


def corrective_plan_of(session: Session, audit_id: int) -> Artefact | None:
    return session.scalars(select(Artefact).where(Artefact.parent_id == audit_id, Artefact.kind == CORRECTIVE_KIND,
                                                  Artefact.state != "withdrawn").order_by(Artefact.id.desc())).first()


def finding_section(session: Session, plan_id: int, finding_id: int) -> PlanSection | None:
    return session.scalars(select(PlanSection).join(CorrectiveSection, CorrectiveSection.section_id == PlanSection.id)
                           .where(PlanSection.artefact_id == plan_id, CorrectiveSection.finding_id == finding_id)
                           ).first()


def _next_number(section: PlanSection, items: list[PlanItem]) -> str:
    own = [i.number for i in items if i.section_id == section.id]
    last = max((int(n.rsplit(".", 1)[-1]) for n in own if n.rsplit(".", 1)[-1].isdigit()), default=0)
    return f"{section.number}.{last + 1}"


@action("add_corrective_action", "Добавить действие по несоответствию в утверждённый план и поставить его на контроль")
def add_corrective_action(ctx: TransitionContext) -> None:
    plan = corrective_plan_of(ctx.session, ctx.artefact.parent_id) if ctx.artefact.parent_id else None
    if plan is None or plan.state != "execution":
        raise ActionError("План корректирующих мероприятий по этому аудиту не утверждён: добавьте действие "
                          "в проект плана (раздел несоответствия)")
    section = finding_section(ctx.session, plan.id, ctx.artefact.id)
    if section is None:
        raise ActionError("В плане корректирующих мероприятий нет раздела этого несоответствия")
    deadline = text(ctx.submitted["deadline"]).strip()
    year = SchoolYear.containing(ctx.today).label
    schedule = parse_deadline(deadline, year)
    if schedule.kind == Kind.UNRESOLVED or not schedule.periods:
        raise ActionError(f"Срок «{deadline}» не понят как дата: напишите, например, «до 20.05.{ctx.today.year}» "
                          "или месяц («Октябрь»)")
    responsible = ctx.member(ctx.submitted["responsible"])
    items = list(ctx.session.scalars(select(PlanItem).where(PlanItem.artefact_id == plan.id)))
    item = PlanItem(
        artefact_id=plan.id, section_id=section.id, position=max((i.position for i in items), default=-1) + 1,
        number=_next_number(section, items),
        fields={"action_kind": ACTION_KINDS[ctx.submitted["action_kind"]], "activity": ctx.submitted["activity"],
                "result": ctx.submitted["expected_result"]},
        responsible_text=person(responsible)["surname_initials"], responsible_logins=[ctx.submitted["responsible"]],
        deadline_text=deadline, schedule=schedule.to_dict())
    ctx.session.add(item)
    ctx.session.flush()
    plan = locked(ctx.session, plan.id)
    created = add_control_items(ctx, plan, [item])
    append_entry(ctx.session, plan, ctx.actor, "add_corrective_action", plan.state,
                 comment=f"По несоответствию № {ctx.artefact.id}",
                 fields={"plan_item_id": item.id, "finding_id": ctx.artefact.id, "number": item.number,
                         "control_items": created})
    ctx.set_field("last_action_item_id", item.id)


# --------------------------------------------------------------------------- effectiveness checks


def finding_of_action(session: Session, control_item: Artefact) -> Artefact | None:
    """The finding a control item of a corrective-action plan answers; None for other items."""
    item_id = (control_item.fields or {}).get("plan_item_id")
    item = session.get(PlanItem, item_id) if item_id else None
    if item is None or item.section_id is None:
        return None
    link = session.get(CorrectiveSection, item.section_id)
    return session.get(Artefact, link.finding_id) if link else None


def action_items_of(session: Session, finding_id: int) -> list[Artefact]:
    """The control items (actions) of a finding, oldest first."""
    item_ids = set(session.scalars(select(PlanItem.id).join(CorrectiveSection, CorrectiveSection.section_id
                                                            == PlanItem.section_id)
                                   .where(CorrectiveSection.finding_id == finding_id)))
    if not item_ids:
        return []
    plans = select(PlanItem.artefact_id).where(PlanItem.id.in_(item_ids))
    children = session.scalars(select(Artefact).where(Artefact.kind == CONTROL_KIND, Artefact.parent_id.in_(plans))
                               .order_by(Artefact.id)).all()
    return [c for c in children if (c.fields or {}).get("plan_item_id") in item_ids]


def checks_of(session: Session, action_ids: list[int]) -> list[Artefact]:
    if not action_ids:
        return []
    return list(session.scalars(select(Artefact).where(Artefact.kind == CHECK_KIND, Artefact.parent_id.in_(action_ids))
                                .order_by(Artefact.id)))


def executors_of(session: Session, control_item_id: int) -> set[int]:
    """Who executed an action: its assignees and whoever reported on it."""
    assigned = set(session.scalars(select(ArtefactAssignee.user_id).where(
        ArtefactAssignee.artefact_id == control_item_id, ArtefactAssignee.user_id.is_not(None))))
    reporters = set(session.scalars(select(HistoryEntry.actor_id).where(
        HistoryEntry.artefact_id == control_item_id, HistoryEntry.trigger == "report",
        HistoryEntry.actor_id.is_not(None))))
    return assigned | reporters


def _independent_checker(ctx: TransitionContext, finding: Artefact, excluded: set[int]) -> Membership | None:
    """The audit's lead auditor, another auditor, a working-group member, the director or a deputy —
    the first who neither executed nor accepted the action."""
    audit = ctx.session.get(Artefact, finding.parent_id) if finding.parent_id else None
    candidates = [ctx.member(login) for login in (audit_team(audit.fields) if audit else [])]
    for role in ("working_group", "director", "deputy"):
        candidates += [m for m in ctx.staff() if role in (m.roles or [])]
    return next((m for m in candidates if m is not None and m.user.is_active and m.user.id not in excluded), None)


@action("schedule_effectiveness_check", "Назначить проверку результативности принятого корректирующего действия")
def schedule_effectiveness_check(ctx: TransitionContext) -> None:
    parent = ctx.session.get(Artefact, ctx.artefact.parent_id) if ctx.artefact.parent_id else None
    if parent is None or parent.kind != CORRECTIVE_KIND:
        return
    finding = finding_of_action(ctx.session, ctx.artefact)
    if finding is None:
        return
    executors = executors_of(ctx.session, ctx.artefact.id)
    checker = _independent_checker(ctx, finding, executors | {ctx.actor.id})
    days = settings_of(ctx.session, ctx.artefact.organisation_id).effectiveness_days
    due = ctx.today + dt.timedelta(days=days)
    check = add_child(
        ctx.session, ctx.definitions[CHECK_KIND], organisation_id=ctx.artefact.organisation_id, actor=ctx.actor,
        title=f"Проверка результативности: {ctx.artefact.title}", school_year=ctx.artefact.school_year,
        parent_id=ctx.artefact.id, due_date=due,
        fields={"action_id": ctx.artefact.id, "finding_id": finding.id, "audit_id": finding.parent_id,
                "plan_id": parent.id, "accepted_on": ctx.today.isoformat(), "acceptor_id": ctx.actor.id,
                "executor_ids": sorted(executors), "checker": checker.user.login if checker else None})
    if checker is not None:
        ctx.session.add(ArtefactAssignee(artefact_id=check.id, user_id=checker.user.id))
    ctx.set_field("effectiveness_check_id", check.id)
    _finish_actions_if_done(ctx, finding)


def _finish_actions_if_done(ctx: TransitionContext, finding: Artefact) -> None:
    """The finding moves to its effectiveness check once every one of its actions is finished
    (the item being accepted counts as finished: its state changes after this action)."""
    actions = action_items_of(ctx.session, finding.id)
    if all(a.id == ctx.artefact.id or a.state in FINAL_CONTROL_STATES for a in actions):
        move_by_system(ctx.session, ctx.definitions, locked(ctx.session, finding.id), "actions_done", ctx.actor,
                       comment="Все действия по несоответствию выполнены и приняты")


def _check_facts(ctx: TransitionContext) -> tuple[set[int], int | None]:
    fields = ctx.artefact.fields
    return set(fields.get("executor_ids") or []), fields.get("acceptor_id")


def _independence(ctx: TransitionContext, user_id: int, who: str) -> list[str]:
    executors, acceptor = _check_facts(ctx)
    if user_id in executors:
        return [f"{who} выполнял(а) это действие: результативность проверяет другой сотрудник — назначьте "
                "проверяющего, который не исполнял и не принимал действие («Назначить другого проверяющего»)"]
    if user_id == acceptor:
        return [f"{who} принимал(а) исполнение этого действия: результативность проверяет другой сотрудник — "
                "назначьте проверяющего («Назначить другого проверяющего»)"]
    return []


@rule("checker_independent", "Проверяющий не исполнял действие и не принимал его исполнение", before_form=True)
def checker_independent(ctx: TransitionContext) -> list[str]:
    return _independence(ctx, ctx.actor.id, "Вы")


@rule("new_checker_independent", "Новый проверяющий не исполнял действие и не принимал его исполнение")
def new_checker_independent(ctx: TransitionContext) -> list[str]:
    member = ctx.member(ctx.submitted.get("checker"))
    if member is None:
        return ["Выберите проверяющего из сотрудников школы"]
    return _independence(ctx, member.user.id, person(member)["surname_initials"])


@rule("check_not_before_due", "Проверка результативности — не раньше установленного срока после приёмки действия")
def check_not_before_due(ctx: TransitionContext) -> list[str]:
    checked, due = ctx.date_value("checked_on"), ctx.artefact.due_date
    if checked and due and checked < due:
        return [f"Проверять результативность рано: срок проверки — {date_digits(due)} (через установленный школой "
                f"период после приёмки действия {digits(ctx.artefact.fields.get('accepted_on'))}); эффект "
                "действия должен проявиться"]
    return []


@action("assign_checker", "Назначить проверяющим другого сотрудника")
def assign_checker(ctx: TransitionContext) -> None:
    member = ctx.member(ctx.submitted["checker"])
    for assignee in ctx.session.scalars(select(ArtefactAssignee).where(ArtefactAssignee.artefact_id == ctx.artefact.id)):
        ctx.session.delete(assignee)
    ctx.session.add(ArtefactAssignee(artefact_id=ctx.artefact.id, user_id=member.user.id))


@action("apply_check_result", "Результат проверки: «эффективно» позволяет закрыть несоответствие, иное открывает его повторно")
def apply_check_result(ctx: TransitionContext) -> None:
    result = ctx.submitted["result"]
    ctx.set_field("checker", ctx.actor.login)
    if result == "effective":
        return
    finding_id = ctx.artefact.fields.get("finding_id")
    if not finding_id:
        return
    finding = locked(ctx.session, finding_id)
    move_by_system(ctx.session, ctx.definitions, finding, "reopen", ctx.actor,
                   comment=f"Проверка результативности № {ctx.artefact.id}: {RESULTS[result]} — нужно новое действие",
                   fields={"effectiveness_check_id": ctx.artefact.id, "result": result})


@rule("finding_checked", "Несоответствие закрывается только после проверки результативности всех его действий", before_form=True)
def finding_checked(ctx: TransitionContext) -> list[str]:
    actions = [a for a in action_items_of(ctx.session, ctx.artefact.id) if a.state != "cancelled"]
    if not actions:
        return ["По несоответствию нет ни одного действия: его нельзя закрыть без действия и проверки результативности"]
    open_actions = [a for a in actions if a.state not in FINAL_CONTROL_STATES]
    checks = checks_of(ctx.session, [a.id for a in actions])
    checked = {c.parent_id for c in checks if c.state == "checked"}
    unchecked = [a for a in actions if a.id not in checked]
    messages = []
    if open_actions:
        messages.append(f"Не выполнены действия: {', '.join(a.title for a in open_actions[:5])}")
    if unchecked:
        messages.append("Несоответствие нельзя закрыть без проверки результативности: не проверены действия "
                        f"{', '.join(a.title for a in unchecked[:5])} — дождитесь проверки")
    done = [c for c in checks if c.state == "checked"]
    if done and done[-1].fields.get("result") != "effective" and not messages:
        messages.append("Последняя проверка не подтвердила результативность: назначьте новое действие")
    return messages


# --------------------------------------------------------------------------- documents


def _grifs(ctx: TransitionContext) -> dict[str, Any]:
    approved = bool(ctx.value("order_number"))
    council = ({"body_instrumental": "Педагогическим советом", "protocol_date": digits(ctx.value("protocol_date")),
                "protocol_number": text(ctx.value("protocol_number"))} if ctx.value("protocol_number") else None)
    return {"is_draft": not approved, "council_grif": council,
            "approval_grif": {"word": ctx.definition.approval_grif_word, "order_date": digits(ctx.value("order_date")),
                              "order_number": text(ctx.value("order_number"))} if approved else None}


def _finding_section_row(finding: Artefact) -> dict[str, Any]:
    fields = finding.fields
    causes = causes_of(fields)
    details = [f"Требование: {text(fields.get('requirement'))} ({text(fields.get('requirement_source'))})",
               f"Выявлено: {text(fields.get('found'))}"]
    details += [f"Почему {n}: {why}" for n, why in enumerate(causes, start=1)]
    if text(fields.get("root_cause")).strip():
        details.append(f"Коренная причина: {text(fields.get('root_cause'))}")
    for correction in fields.get("corrections") or []:
        details.append(f"Коррекция выполнена {digits(correction.get('date'))}: {text(correction.get('text'))}")
    return {"section": True, "title": finding_label(finding.id, fields), "lines": details}


@document_context("corrective_plan_table", "План корректирующих мероприятий: по каждому несоответствию причины и действия")
def corrective_plan_table(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for _, finding, items in _plan_findings(ctx):
        rows.append(_finding_section_row(finding))
        for item in items:
            rows.append({"section": False, "number": item.number,
                         "kind": ACTION_KINDS.get(action_kind_code(item.fields.get("action_kind")) or "",
                                                  text(item.fields.get("action_kind"))),
                         "activity": lines(item.fields.get("activity"), "—"),
                         "responsible": lines(item.responsible_text, "—"),
                         "deadline": item.deadline_text or "—", "result": lines(item.fields.get("result"), "—")})
    context = {**base, **_grifs(ctx), "plan_title": ctx.artefact.title, "rows": rows}
    return [no_mark(context)]


def _names_of(session: Session, user_ids: list[int]) -> list[str]:
    if not user_ids:
        return []
    return [surname_initials(u.last_name, u.first_name, u.middle_name)
            for u in session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.last_name))]


@document_context("effectiveness_protocol", "Протокол проверки результативности корректирующего действия")
def effectiveness_protocol(ctx: TransitionContext, base: dict[str, Any]) -> list[dict[str, Any]]:
    fields = ctx.artefact.fields
    action_item = ctx.session.get(Artefact, fields.get("action_id"))
    finding = ctx.session.get(Artefact, fields.get("finding_id"))
    plan_item = ctx.session.get(PlanItem, action_item.fields.get("plan_item_id")) if action_item else None
    acceptor = ctx.session.get(User, fields.get("acceptor_id")) if fields.get("acceptor_id") else None
    result = ctx.submitted["result"]
    rows = [
        ("Несоответствие", f"{finding_label(finding.id, finding.fields)}: {text(finding.fields.get('requirement'))}"
         if finding else "—"),
        ("Действие", action_item.title if action_item else "—"),
        ("Ожидаемый результат", text(plan_item.fields.get("result")) if plan_item else "—"),
        ("Исполнитель", ", ".join(_names_of(ctx.session, list(fields.get("executor_ids") or []))) or "—"),
        ("Исполнение принято", f"{digits(fields.get('accepted_on'))}, "
                               f"{surname_initials(acceptor.last_name, acceptor.first_name, acceptor.middle_name)}"
         if acceptor else digits(fields.get("accepted_on"))),
        ("Срок проверки", date_digits(ctx.artefact.due_date) if ctx.artefact.due_date else "—"),
        ("Как проверялась результативность", text(ctx.submitted["method"])),
        ("Доказательства", text(ctx.submitted["evidence"])),
    ]
    conclusion = {"effective": "Корректирующее действие результативно: да. Несоответствие может быть закрыто.",
                  "partial": "Корректирующее действие результативно частично. Несоответствие остаётся открытым, "
                             "требуется новое действие.",
                  "not_effective": "Корректирующее действие результативно: нет. Несоответствие открыто повторно, "
                                   "требуется новое действие."}[result]
    return [no_mark({**base, "check_number": str(ctx.artefact.id), "checked_on": digits(ctx.value("checked_on")),
                     "rows": [{"title": title, "lines": lines(value, "—")} for title, value in rows],
                     "result": RESULTS[result], "conclusion": conclusion,
                     "signer": signer(ctx.membership, signed_on=ctx.today)})]
