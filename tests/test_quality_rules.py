"""The rules of the quality cycle, each with a case it lets pass and a case it refuses with a clear
Russian message — and a refusal writes nothing: no artefact, history entry, document, number,
line or file, and the refused artefact keeps its state and version."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from vsoko_flow.models import (
    Artefact, AuditLine, Evidence, HistoryEntry, JournalEntry, PlanItem, PlanSection, StoredDocument,
)
from vsoko_flow.services.audits import add_finding, answer_line, finding_from_line
from vsoko_flow.services.errors import Unprocessable
from vsoko_flow.services.plans import add_item

from .quality_flows import (
    ACCEPTED, ACT_APPROVED, ACT_DAY, CHECKED, CLOSED, CP_ORDER, EXECUTED, EXECUTORS, ORDER_DAY, START_DAY, Cycle,
    act_approved, analysed, approve_plan, artefact, audit_with_findings, check, children, corrective_plan, execute,
    fire, lines_of, new_audit, ordered_and_started, plan_corrections, programme,
)

D = dt.date
COUNTED = (Artefact, HistoryEntry, StoredDocument, JournalEntry, AuditLine, Evidence, PlanItem, PlanSection)


def _state(rt, artefact_id: int | None) -> tuple:
    with rt.sessions() as session:
        counts = tuple(session.scalar(select(func.count()).select_from(model)) for model in COUNTED)
        answers = tuple(session.execute(select(AuditLine.id, AuditLine.answer, AuditLine.finding_id,
                                               AuditLine.plan_item_id).order_by(AuditLine.id)).all())
        own = session.get(Artefact, artefact_id) if artefact_id else None
        return counts, answers, (own.state, own.version, dict(own.fields)) if own else None


@contextmanager
def refused(rt, artefact_id: int | None, *phrases: str):
    """The block must raise Unprocessable whose messages contain every phrase; nothing may change."""
    before = _state(rt, artefact_id)
    with pytest.raises(Unprocessable) as caught:
        yield
    details = caught.value.details if isinstance(caught.value.details, dict) else {}
    said = " ".join([caught.value.message, *details.get("rules", []), *(details.get("fields") or {}).values()])
    for phrase in phrases:
        assert phrase in said, said
    assert _state(rt, artefact_id) == before


# --- an auditor may not audit their own area of responsibility -------------------------------------------

def test_auditor_may_not_audit_own_area(rt, school):
    audit_id = new_audit(rt, school)
    with refused(rt, audit_id, "Аудитор Орлова Е.А. не может проверять собственную работу"):
        programme(rt, school, audit_id, lead_auditor="psychologist", auditees=["psychologist"])
    programme(rt, school, audit_id, lead_auditor="mo_head", auditees=["psychologist"])
    assert artefact(rt, audit_id).fields["lead_auditor"] == "mo_head"


def test_auditor_may_not_audit_a_plan_row_he_answers_for(rt, school):
    from .quality_flows import plan_of_the_year

    plan_id = plan_of_the_year(rt, school)
    with rt.sessions() as session:
        row = session.scalars(select(PlanItem).where(PlanItem.artefact_id == plan_id,
                                                     PlanItem.responsible_logins.isnot(None))
                              .order_by(PlanItem.position)).all()[1]  # «Проанализировать результаты ВПР»: mo_head
    audit_id = new_audit(rt, school)
    with refused(rt, audit_id, "не может проверять собственную работу", f"отвечает за пункт {row.number} плана"):
        programme(rt, school, audit_id, plan_item_id=row.id)
    programme(rt, school, audit_id, lead_auditor="teacher", auditors=[], plan_item_id=row.id)
    ordered_and_started_by(rt, school, audit_id, "teacher")
    line = lines_of(rt, audit_id)[0]
    with refused(rt, audit_id, "Аудитор Кузнецов Д.О. не может проверять собственную работу"):
        first_row = _row_of(rt, plan_id, "teacher")
        answer_line(rt, audit_id, line.id, school["teacher"], answer="conforms", comment="", plan_item_id=first_row)
    answer_line(rt, audit_id, line.id, school["teacher"], answer="conforms", comment="", plan_item_id=row.id)


def _row_of(rt, plan_id: int, login: str) -> int:
    with rt.sessions() as session:
        rows = session.scalars(select(PlanItem).where(PlanItem.artefact_id == plan_id)).all()
        return next(r.id for r in rows if login in r.responsible_logins)


def ordered_and_started_by(rt, school, audit_id: int, lead: str) -> None:
    fire(rt, audit_id, "order", school["director"], ORDER_DAY, order_date=ORDER_DAY.isoformat())
    fire(rt, audit_id, "start", school[lead], START_DAY, started_on=START_DAY.isoformat())


# --- a finding needs evidence -----------------------------------------------------------------------------

def test_finding_needs_evidence(rt, school):
    audit_id = new_audit(rt, school)
    programme(rt, school, audit_id)
    ordered_and_started(rt, school, audit_id)
    first, second = lines_of(rt, audit_id)[:2]
    answer_line(rt, audit_id, first.id, school["mo_head"], answer="nonconforming", comment="Наблюдателей не было")
    with refused(rt, audit_id, "Несоответствие без доказательств не фиксируется"):
        finding_from_line(rt, audit_id, first.id, school["mo_head"], today=START_DAY)
    manual = {"finding_type": "remark", "severity": "minor", "requirement": "Протоколы ШМО ведутся",
              "requirement_source": "Положение о ВСОКО, п. 4.1.3", "found": "Протоколов ШМО за октябрь нет"}
    with refused(rt, audit_id, "Несоответствие без доказательств не фиксируется"):
        add_finding(rt, audit_id, school["mo_head"], manual, today=START_DAY)
    found = add_finding(rt, audit_id, school["mo_head"], {**manual, "evidence": "Папка протоколов ШМО, осмотр 06.03"},
                        today=START_DAY)
    assert artefact(rt, found["finding_id"]).fields["evidence"].startswith("Папка протоколов")
    from vsoko_flow.services.audits import add_line_evidence

    add_line_evidence(rt, audit_id, first.id, school["mo_head"], data=b"photo", file_name="Журнал наблюдателей.jpg")
    assert finding_from_line(rt, audit_id, first.id, school["mo_head"], today=START_DAY)["finding_id"]
    assert second.finding_id is None


# --- an action plan needs at least one action per finding --------------------------------------------------

def _plan_ready(rt, school) -> Cycle:
    cycle = audit_with_findings(rt, school)
    act_approved(rt, school, cycle.audit_id)
    for finding_id in cycle.findings:
        analysed(rt, school, finding_id)
    return cycle


def test_plan_needs_an_action_per_finding(rt, school):
    cycle = _plan_ready(rt, school)
    plan_id, section_ids = plan_corrections(rt, school, cycle.audit_id, ACT_APPROVED)
    add_item(rt, plan_id, school["deputy"], version=None, section_id=section_ids[0],
             fields={"action_kind": "Коррекция", "activity": "Назначить наблюдателей", "result": "Приказ"},
             responsible_logins=["deputy"], deadline_text="до 10 апреля")
    missing = ", ".join(f"№ {f}" for f in cycle.findings[1:])
    with refused(rt, plan_id, f"Нет ни одного действия по несоответствиям {missing}"):
        fire(rt, plan_id, "send_to_council", school["deputy"], ACT_APPROVED)
    for section_id in section_ids[1:]:
        add_item(rt, plan_id, school["deputy"], version=None, section_id=section_id,
                 fields={"action_kind": "Предупреждающее действие", "activity": "Обучить", "result": "Протокол"},
                 responsible_logins=["teacher"], deadline_text="до 10 апреля")
    fire(rt, plan_id, "send_to_council", school["deputy"], ACT_APPROVED)
    assert artefact(rt, plan_id).state == "council_review"


def test_plan_without_council_only_where_the_school_decided_so(rt, school):
    from vsoko_flow.services.quality import set_quality_settings

    cycle = _plan_ready(rt, school)
    plan = corrective_plan(rt, school, cycle)
    with refused(rt, plan, "принимает педагогический совет"):
        fire(rt, plan, "approve", school["director"], CP_ORDER, order_date=CP_ORDER.isoformat(), responsible="deputy")
    set_quality_settings(rt, school["director"], school.id, corrective_plan_council=False, effectiveness_days=30)
    fire(rt, plan, "approve", school["director"], CP_ORDER, order_date=CP_ORDER.isoformat(), responsible="deputy")
    assert artefact(rt, plan).state == "execution"


# --- dates in order: order ≤ audit start ≤ act ≤ plan ------------------------------------------------------

def test_dates_in_order(rt, school):
    audit_id = new_audit(rt, school)
    programme(rt, school, audit_id)
    late_order = START_DAY + dt.timedelta(days=1)
    with refused(rt, audit_id, "Начало аудита (05.03.2025) раньше, чем дата приказа (06.03.2025)"):
        fire(rt, audit_id, "order", school["director"], late_order, order_date=late_order.isoformat())
    ordered_and_started(rt, school, audit_id)
    from .quality_flows import answer_all

    answer_all(rt, school, audit_id)
    early_act = START_DAY - dt.timedelta(days=1)
    with refused(rt, audit_id, "Дата акта (04.03.2025) раньше, чем начало аудита (05.03.2025)"):
        fire(rt, audit_id, "draft_act", school["mo_head"], ACT_DAY, act_date=early_act.isoformat(), conclusion="—")
    act_approved(rt, school, audit_id)
    findings = [f.id for f in children(rt, audit_id, "finding")]
    for finding_id in findings:
        analysed(rt, school, finding_id)
    plan = corrective_plan(rt, school, Cycle(audit_id, findings))
    fire(rt, plan, "send_to_council", school["deputy"], ACT_APPROVED)
    fire(rt, plan, "adopt", school["secretary"], ACT_APPROVED, protocol_date=ACT_APPROVED.isoformat(), present=30,
         votes_for=29, votes_against=0, votes_abstained=1)
    early_plan = ACT_DAY - dt.timedelta(days=1)
    with refused(rt, plan, "Дата приказа об утверждении плана (19.03.2025) раньше даты акта аудита (20.03.2025)"):
        fire(rt, plan, "approve", school["director"], CP_ORDER, order_date=early_plan.isoformat(),
             responsible="deputy")
    fire(rt, plan, "approve", school["director"], CP_ORDER, order_date=CP_ORDER.isoformat(), responsible="deputy")


# --- the effectiveness checker is neither the executor nor the acceptor; a finding needs its check ------------

def _executed_cycle(rt, school) -> tuple[Cycle, list[Artefact], list[Artefact]]:
    cycle = _plan_ready(rt, school)
    plan = corrective_plan(rt, school, cycle)
    approve_plan(rt, school, plan)
    actions = children(rt, plan, "control_item")
    for action, login in zip(actions, EXECUTORS.values()):
        execute(rt, school, action.id, login, EXECUTED, ACCEPTED)
    return cycle, actions, [children(rt, a.id, "effectiveness_check")[0] for a in actions]


def test_checker_is_neither_executor_nor_acceptor(rt, school):
    cycle, actions, checks = _executed_cycle(rt, school)
    first = checks[0]
    with refused(rt, first.id, "принимал(а) исполнение этого действия"):
        check(rt, school, first.id, CHECKED, "effective", checker="deputy")       # accepted it
    with refused(rt, first.id, "выполнял(а) это действие"):
        fire(rt, first.id, "reassign", school["director"], CHECKED, checker="secretary")  # executed it
    with refused(rt, first.id, "Проверять результативность рано"):
        check(rt, school, first.id, ACCEPTED + dt.timedelta(days=5), "effective")
    fire(rt, first.id, "reassign", school["director"], CHECKED, checker="teacher")
    check(rt, school, first.id, CHECKED, "effective", checker="teacher")
    assert artefact(rt, first.id).state == "checked"


def test_finding_and_audit_close_only_after_checks(rt, school):
    cycle, actions, checks = _executed_cycle(rt, school)
    first = cycle.findings[0]
    with refused(rt, first, "Несоответствие нельзя закрыть без проверки результативности"):
        fire(rt, first, "close", school["deputy"], CHECKED, closed_on=CHECKED.isoformat())
    with refused(rt, cycle.audit_id, "Аудит нельзя закрыть: не закрыты несоответствия (3)"):
        fire(rt, cycle.audit_id, "close", school["deputy"], CHECKED, closed_on=CHECKED.isoformat())
    for one in checks:
        check(rt, school, one.id, CHECKED, "effective")
    for finding_id in cycle.findings[:2]:
        fire(rt, finding_id, "close", school["deputy"], CLOSED, closed_on=CLOSED.isoformat())
    with refused(rt, cycle.audit_id, "не закрыты несоответствия (1)", f"№ {cycle.findings[2]}"):
        fire(rt, cycle.audit_id, "close", school["deputy"], CLOSED, closed_on=CLOSED.isoformat())
    fire(rt, cycle.findings[2], "close", school["deputy"], CLOSED, closed_on=CLOSED.isoformat())
    fire(rt, cycle.audit_id, "close", school["deputy"], CLOSED, closed_on=CLOSED.isoformat())
    assert artefact(rt, cycle.audit_id).state == "closed"


def test_recurrence_reopens_the_previous_finding_under_check(rt, school):
    """The same requirement failing in a later audit counts a recurrence and reopens the finding whose
    actions were still being checked."""
    cycle, actions, checks = _executed_cycle(rt, school)
    assert artefact(rt, cycle.findings[0]).state == "effectiveness_check"
    second = new_audit(rt, school, title="Объективность оценочных процедур: повторный аудит")
    programme(rt, school, second, start_date="2025-04-14", end_date="2025-04-18")
    fire(rt, second, "order", school["director"], D(2025, 4, 11), order_date="2025-04-11")
    fire(rt, second, "start", school["mo_head"], D(2025, 4, 14), started_on="2025-04-14")
    line = lines_of(rt, second)[1]  # OBJ-02, as the first audit's first finding
    answer_line(rt, second, line.id, school["mo_head"], answer="nonconforming", comment="Снова без наблюдателей")
    from vsoko_flow.services.audits import add_line_evidence

    add_line_evidence(rt, second, line.id, school["mo_head"], link_url="https://school29.example/vpr-2")
    result = finding_from_line(rt, second, line.id, school["mo_head"], today=D(2025, 4, 15))
    assert result["recurrence"] == 2 and result["repeat_of"] == cycle.findings[0]
    assert "открыто повторно" in result["notes"][0]
    assert artefact(rt, cycle.findings[0]).state == "reopened"


def test_one_live_corrective_plan_per_audit(rt, school):
    cycle = _plan_ready(rt, school)
    plan_id, _ = plan_corrections(rt, school, cycle.audit_id, ACT_APPROVED)
    with refused(rt, cycle.audit_id, f"уже есть план корректирующих мероприятий № {plan_id}"):
        fire(rt, cycle.audit_id, "replan_corrections", school["deputy"], ACT_APPROVED)
    fire(rt, plan_id, "withdraw", school["deputy"], ACT_APPROVED, comment="Составим заново")
    fire(rt, cycle.audit_id, "replan_corrections", school["deputy"], ACT_APPROVED)
    assert [p.state for p in children(rt, cycle.audit_id, "corrective_plan")] == ["withdrawn", "draft"]
