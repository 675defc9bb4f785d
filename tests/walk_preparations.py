"""What the no-dead-ends walk cannot give a kind by itself (tests/test_no_dead_ends.py).

A finding is recorded on an audit's checklist line, a corrective-action plan is made by its audit's
«Спланировать корректирующие действия», an effectiveness check by the acceptance of an action. For
each such kind a Preparation says how a person makes one (`make`), what a person fills in on
entering a state before anyone can act (`content`: the checklist answered), and which steps of the
other documents move it on from a state that waits for them (`external`: the plan approved, the
actions done, the check recorded). The steps are those of tests/quality_flows.py, a school's real
order of work; each returns the day it was taken so that the walk goes on after it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select

from vsoko_flow.models import Artefact, ArtefactAssignee
from vsoko_flow.procedures.corrective import action_items_of
from vsoko_flow.services.audits import add_line_evidence, answer_line, finding_from_line

from . import quality_flows as qf

Day = dt.date


@dataclass(frozen=True)
class ExternalMove:
    from_state: str
    move: Callable[..., Day]  # (rt, school, artefact_id, day) → the day the other document's steps were taken


@dataclass(frozen=True)
class Preparation:
    make: Callable[..., tuple[int, Day]]  # (rt, school) → a new document of the kind and the day it was made
    content: dict[str, Callable[..., None]] = field(default_factory=dict)  # state → (rt, school, id, day)
    external: dict[str, ExternalMove] = field(default_factory=dict)


def state_of(rt, artefact_id: int) -> str:
    with rt.sessions() as session:
        return session.get(Artefact, artefact_id).state


def _assignee(rt, artefact_id: int) -> int:
    with rt.sessions() as session:
        return session.scalars(select(ArtefactAssignee.user_id).where(ArtefactAssignee.artefact_id == artefact_id)
                               .order_by(ArtefactAssignee.id)).first()


# --------------------------------------------------------------------------- the audit


def _audit_made(rt, school) -> tuple[int, Day]:
    """An audit with its programme: the walk's first steps (order, start) fall inside its dates."""
    audit_id = qf.new_audit(rt, school)
    start = qf.AUDIT_CREATED + dt.timedelta(days=2)
    qf.programme(rt, school, audit_id, start_date=start.isoformat(), end_date=(start + dt.timedelta(days=20)).isoformat())
    return audit_id, qf.AUDIT_CREATED


def _answered(failures: dict[int, tuple[str, str]]) -> Callable[..., None]:
    """The lead auditor answers every line; a failed line gets a link as evidence and its finding."""
    def answer(rt, school, audit_id: int, day: Day) -> None:
        for line in qf.lines_of(rt, audit_id):
            answer_value, comment = failures.get(line.position, ("conforms", ""))
            answer_line(rt, audit_id, line.id, school["mo_head"], answer=answer_value, comment=comment)
            if line.position in failures:
                add_line_evidence(rt, audit_id, line.id, school["mo_head"],
                                  link_url=f"https://school29.example/audit/{audit_id}/line/{line.code}")
                finding_from_line(rt, audit_id, line.id, school["mo_head"], today=day)
    return answer


def _findings_closed(rt, school, audit_id: int, day: Day) -> Day:
    """Everything after «Спланировать корректирующие действия» until every finding of the audit is closed."""
    (plan,) = qf.children(rt, audit_id, "corrective_plan")
    day = _plan_filled_and_approved(rt, school, plan.id, day)
    for finding in qf.children(rt, audit_id, "finding"):
        day = max(day, _actions_done(rt, school, finding.id, day))
        day = max(day, _checked(rt, school, finding.id, day, "effective"))
    for finding in qf.children(rt, audit_id, "finding"):
        qf.fire(rt, finding.id, "close", school["deputy"], day, closed_on=day.isoformat())
    return day


# --------------------------------------------------------------------------- findings, plans, actions, checks


def _plan_filled_and_approved(rt, school, plan_id: int, day: Day) -> Day:
    """The findings analysed, one corrective action per finding, the plan through the council and the order."""
    audit_id = qf.artefact(rt, plan_id).parent_id
    if state_of(rt, plan_id) != "draft":
        return day  # approved already on the way here
    for finding in qf.children(rt, audit_id, "finding"):
        if finding.state in ("open", "cause_analysis"):
            if finding.state == "open":
                qf.fire(rt, finding.id, "start_analysis", school["deputy"], day)
            qf.fire(rt, finding.id, "record_causes", school["deputy"], day, why_1="Порядок не закреплён",
                    root_cause="Обязанность не закреплена локальным актом")
    with rt.sessions() as session:
        from vsoko_flow.models import PlanItem, PlanSection

        sections = session.execute(select(PlanSection.id, select(PlanItem.id).where(PlanItem.section_id == PlanSection.id)
                                          .exists()).where(PlanSection.artefact_id == plan_id)).all()
    for section_id, has_items in sections:
        if not has_items:
            qf.add_item(rt, plan_id, school["deputy"], version=None, section_id=section_id,
                        fields={"action_kind": "Корректирующее действие", "activity": "Закрепить порядок приказом",
                                "result": "Требование выполняется"},
                        responsible_logins=["secretary"], deadline_text=f"до {(day + dt.timedelta(days=14)):%d.%m.%Y}")
    qf.fire(rt, plan_id, "send_to_council", school["deputy"], day + dt.timedelta(days=1))
    qf.fire(rt, plan_id, "adopt", school["secretary"], day + dt.timedelta(days=2),
            protocol_date=(day + dt.timedelta(days=2)).isoformat(), present=30, votes_for=29, votes_against=0,
            votes_abstained=1)
    approved = day + dt.timedelta(days=3)
    qf.fire(rt, plan_id, "approve", school["director"], approved, order_date=approved.isoformat(),
            responsible="deputy")
    return approved


def _plan_of_finding(rt, finding_id: int) -> int:
    (plan,) = qf.children(rt, qf.artefact(rt, finding_id).parent_id, "corrective_plan")
    return plan.id


def _plan_approved(rt, school, finding_id: int, day: Day) -> Day:
    """The audit's act approved, its plan of corrections made and approved: the finding's actions start."""
    audit_id = qf.artefact(rt, finding_id).parent_id
    if state_of(rt, audit_id) == "in_progress":
        qf.fire(rt, audit_id, "draft_act", school["mo_head"], day, act_date=day.isoformat(),
                conclusion="Выявлены несоответствия, нужны корректирующие действия.")
        qf.fire(rt, audit_id, "approve_act", school["director"], day, act_approved_on=day.isoformat())
    qf.fire(rt, audit_id, "plan_corrections", school["deputy"], day)
    return _plan_filled_and_approved(rt, school, _plan_of_finding(rt, finding_id), day)


def _actions_done(rt, school, finding_id: int, day: Day) -> Day:
    """Each open action of the finding reported by its executor and accepted by the deputy."""
    with rt.sessions() as session:
        actions = [(a.id, a.state) for a in action_items_of(session, finding_id)]
    for action_id, state in actions:
        if state in ("accepted", "closed", "done"):
            continue
        executor = _assignee(rt, action_id)
        qf.fire(rt, action_id, "report", executor, day, result="Сделано", executed_on=day.isoformat())
        qf.fire(rt, action_id, "accept", school["deputy"], day, assessment="Исполнено")
    return day


def _checked(rt, school, finding_id: int, day: Day, result: str) -> Day:
    """The finding's scheduled checks recorded by their checkers on their due day (or today if later)."""
    with rt.sessions() as session:
        actions = [a.id for a in action_items_of(session, finding_id)]
    for action_id in actions:
        for check in qf.children(rt, action_id, "effectiveness_check"):
            if check.state != "scheduled":
                continue
            day = max(day, check.due_date or day)
            qf.fire(rt, check.id, "record", _assignee(rt, check.id), day, checked_on=day.isoformat(),
                    method="Сверка документов", evidence="Приказ, протоколы", result=result)
    return day


def _finding_made(rt, school) -> tuple[int, Day]:
    cycle = qf.audit_with_findings(rt, school)
    return cycle.findings[0], qf.START_DAY


def _corrective_plan_made(rt, school) -> tuple[int, Day]:
    """A plan of corrections as «Спланировать» makes it, with one action per (analysed) finding."""
    cycle = qf.audit_with_findings(rt, school)
    qf.act_approved(rt, school, cycle.audit_id)
    for finding_id in cycle.findings:
        qf.analysed(rt, school, finding_id)
    return qf.corrective_plan(rt, school, cycle), qf.ANALYSIS_DAY


def _items_done(rt, school, plan_id: int, day: Day) -> Day:
    for finding in qf.children(rt, qf.artefact(rt, plan_id).parent_id, "finding"):
        day = max(day, _actions_done(rt, school, finding.id, day))
    return day


def _check_made(rt, school) -> tuple[int, Day]:
    """An effectiveness check as the acceptance of an action schedules it, on its due day."""
    cycle = qf.audit_with_findings(rt, school)
    qf.act_approved(rt, school, cycle.audit_id)
    for finding_id in cycle.findings:
        qf.analysed(rt, school, finding_id)
    plan = qf.corrective_plan(rt, school, cycle)
    qf.approve_plan(rt, school, plan)
    (action,) = [a for a in qf.children(rt, plan, "control_item")][:1]
    qf.execute(rt, school, action.id, qf.EXECUTORS[1], qf.EXECUTED, qf.ACCEPTED)
    (check,) = qf.children(rt, action.id, "effectiveness_check")
    return check.id, check.due_date - dt.timedelta(days=1)


def _finding_moves() -> dict[str, ExternalMove]:
    return {
        "план корректирующих мероприятий утверждён": ExternalMove("action_plan", _plan_approved),
        "действия исполнены и приняты": ExternalMove("actions_in_progress", _actions_done),
        "проверка: результативно": ExternalMove(
            "effectiveness_check", lambda rt, school, fid, day: _checked(rt, school, fid, day, "effective")),
        "проверка: не результативно": ExternalMove(
            "effectiveness_check", lambda rt, school, fid, day: _checked(rt, school, fid, day, "not_effective")),
    }


PREPARATIONS: dict[str, list[Preparation]] = {
    "audit": [
        # Lines failed: findings, the plan of corrections, the audit closed once they are.
        Preparation(_audit_made, content={"in_progress": _answered(qf.FAILURES)},
                    external={"все несоответствия закрыты": ExternalMove("corrections", _findings_closed)}),
        # Every line conforms: nothing to correct, the audit closes after its act.
        Preparation(_audit_made, content={"in_progress": _answered({})}),
    ],
    "finding": [Preparation(_finding_made, external=_finding_moves())],
    "corrective_plan": [Preparation(_corrective_plan_made,
                                    external={"действия исполнены и приняты": ExternalMove("execution", _items_done)})],
    "effectiveness_check": [Preparation(_check_made)],
}
