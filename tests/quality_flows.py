"""Driving the quality cycle in tests: an audit of the objectivity of assessment in the demo
school (spring 2025), its findings, the corrective-action plan, the actions and their checks,
with the dates of a real school year."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from vsoko_flow.models import Artefact, AuditLine, PlanSection
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.audits import answer_line, add_line_evidence, finding_from_line, set_programme
from vsoko_flow.services.plans import add_item, add_section
from vsoko_flow.services.transitions import fire_transition

YEAR = "2024/2025"
D = dt.date
PLAN_SENT, PLAN_COUNCIL, PLAN_ORDER = D(2024, 8, 26), D(2024, 8, 29), D(2024, 8, 30)
AUDIT_CREATED, ORDER_DAY, START_DAY, ACT_DAY, ACT_APPROVED = (D(2025, 2, 25), D(2025, 3, 3), D(2025, 3, 5),
                                                               D(2025, 3, 20), D(2025, 3, 21))
ANALYSIS_DAY, CP_SENT, CP_COUNCIL, CP_ORDER = D(2025, 3, 24), D(2025, 3, 25), D(2025, 3, 27), D(2025, 3, 28)
EXECUTED, ACCEPTED = D(2025, 4, 8), D(2025, 4, 10)
CHECK_DUE = ACCEPTED + dt.timedelta(days=30)  # the default period
CHECKED = D(2025, 5, 12)
NEW_EXECUTED, NEW_ACCEPTED = D(2025, 5, 22), D(2025, 5, 23)  # two days after its deadline of 20.05
NEW_CHECKED, CLOSED = D(2025, 6, 23), D(2025, 6, 24)
REVIEW_DAY, REVIEW_COUNCIL, REVIEW_ORDER = D(2025, 6, 26), D(2025, 6, 27), D(2025, 6, 30)

# The checklist lines answered with a failure (0-based positions in assessment_objectivity.yaml).
FAILURES = {1: ("nonconforming", "На ВПР по математике в 5-х классах 15.04 независимые наблюдатели не присутствовали"),
            3: ("partial", "Сопоставление отметок сделано для 4-х классов, для 5–8-х классов нет"),
            5: ("nonconforming", "Планы адресной помощи составлены для 3 из 11 обучающихся с результатами ниже базового")}
# Who carries out the action of each finding (by failure position).
EXECUTORS = {1: "secretary", 3: "teacher", 5: "psychologist"}


def fire(rt, artefact_id: int, trigger: str, actor: int, day: dt.date, comment: str = "", **fields):
    return fire_transition(rt, artefact_id, trigger, actor, fields=fields, comment=comment, today=day)


def children(rt, parent_id: int, kind: str) -> list[Artefact]:
    with rt.sessions() as session:
        found = session.scalars(select(Artefact).where(Artefact.parent_id == parent_id, Artefact.kind == kind)
                                .order_by(Artefact.id)).all()
        session.expunge_all()
        return list(found)


def artefact(rt, artefact_id: int) -> Artefact:
    with rt.sessions() as session:
        found = session.get(Artefact, artefact_id)
        session.expunge_all()
        return found


def lines_of(rt, audit_id: int) -> list[AuditLine]:
    with rt.sessions() as session:
        found = session.scalars(select(AuditLine).where(AuditLine.audit_id == audit_id).order_by(AuditLine.position)).all()
        session.expunge_all()
        return list(found)


def new_audit(rt, school, title: str = "Объективность оценочных процедур") -> int:
    return create_artefact(rt, school["deputy"], school.id, "audit", title=title, school_year=YEAR, today=AUDIT_CREATED,
                           fields={"area": "results", "scope": "ВПР и текущее оценивание в 4–8-х классах, 2024/2025",
                                   "criteria": "Положение о ВСОКО, п. 5.1, 5.3, 6.2; программа объективности"})


def programme(rt, school, audit_id: int, **changes) -> int:
    values = dict(checklist="assessment_objectivity", lead_auditor="mo_head", auditors=["deputy"],
                  auditees=["secretary"], start_date=START_DAY.isoformat(), end_date=ACT_DAY.isoformat())
    values.update(changes)
    return set_programme(rt, audit_id, school["deputy"], version=None, **values)


def ordered_and_started(rt, school, audit_id: int) -> None:
    fire(rt, audit_id, "order", school["director"], ORDER_DAY, order_date=ORDER_DAY.isoformat())
    fire(rt, audit_id, "start", school["mo_head"], START_DAY, started_on=START_DAY.isoformat())


def answer_all(rt, school, audit_id: int, failures: dict[int, tuple[str, str]] = FAILURES) -> list[int]:
    """Answer every line; the failures get a link as evidence and a finding in one click. Finding ids."""
    found = []
    for line in lines_of(rt, audit_id):
        answer, comment = failures.get(line.position, ("conforms", ""))
        answer_line(rt, audit_id, line.id, school["mo_head"], answer=answer, comment=comment)
        if line.position in failures:
            add_line_evidence(rt, audit_id, line.id, school["mo_head"],
                              link_url=f"https://school29.example/audit/{audit_id}/line/{line.code}")
            found.append(finding_from_line(rt, audit_id, line.id, school["mo_head"], today=START_DAY)["finding_id"])
    return found


def act_approved(rt, school, audit_id: int) -> None:
    fire(rt, audit_id, "draft_act", school["mo_head"], ACT_DAY, act_date=ACT_DAY.isoformat(),
         conclusion="Процедуры оценки в целом объективны; выявлены три несоответствия, нужны корректирующие действия.")
    fire(rt, audit_id, "approve_act", school["director"], ACT_APPROVED, act_approved_on=ACT_APPROVED.isoformat())


def analysed(rt, school, finding_id: int) -> None:
    fire(rt, finding_id, "start_analysis", school["deputy"], ANALYSIS_DAY)
    fire(rt, finding_id, "record_causes", school["deputy"], ANALYSIS_DAY,
         why_1="Наблюдатели не были назначены приказом", why_2="График ВПР утверждён без списка наблюдателей",
         cause_category="documents", root_cause="Порядок назначения наблюдателей не закреплён в локальном акте")


@dataclass
class Cycle:
    audit_id: int
    findings: list[int]
    plan_id: int | None = None
    actions: dict[int, int] = field(default_factory=dict)  # finding → its first control item


def plan_corrections(rt, school, audit_id: int, day: dt.date = ANALYSIS_DAY) -> tuple[int, list[int]]:
    """The audit's corrective-action plan, created by its transition: its id and its sections (one per finding)."""
    fire(rt, audit_id, "plan_corrections", school["deputy"], day)
    (plan,) = children(rt, audit_id, "corrective_plan")
    with rt.sessions() as session:
        return plan.id, list(session.scalars(select(PlanSection.id).where(PlanSection.artefact_id == plan.id)
                                             .order_by(PlanSection.position)))


def corrective_plan(rt, school, cycle: Cycle) -> int:
    plan_id, section_ids = plan_corrections(rt, school, cycle.audit_id)
    for (position, login), section_id in zip(EXECUTORS.items(), section_ids):
        add_item(rt, plan_id, school["deputy"], version=None, section_id=section_id,
                 fields={"action_kind": "Корректирующее действие",
                         "activity": f"Устранить причину несоответствия по строке {position + 1} чек-листа",
                         "result": "Требование выполняется, подтверждено документами"},
                 responsible_logins=[login], deadline_text="до 10 апреля")
    cycle.plan_id = plan_id
    return plan_id


def approve_plan(rt, school, plan_id: int) -> None:
    fire(rt, plan_id, "send_to_council", school["deputy"], CP_SENT)
    fire(rt, plan_id, "adopt", school["secretary"], CP_COUNCIL, protocol_date=CP_COUNCIL.isoformat(), present=30,
         votes_for=29, votes_against=0, votes_abstained=1)
    fire(rt, plan_id, "approve", school["director"], CP_ORDER, order_date=CP_ORDER.isoformat(), responsible="deputy")


def execute(rt, school, item_id: int, executor: str, executed: dt.date, accepted: dt.date) -> None:
    fire(rt, item_id, "report", school[executor], executed, result="Сделано", executed_on=executed.isoformat())
    fire(rt, item_id, "accept", school["deputy"], accepted, assessment="Исполнено")


def check(rt, school, check_id: int, day: dt.date, result: str, checker: str = "mo_head"):
    return fire(rt, check_id, "record", school[checker], day, checked_on=day.isoformat(),
                method="Сверка протоколов ВПР и приказов о наблюдателях", evidence="Приказ № 15, протоколы",
                result=result)


def audit_with_findings(rt, school) -> Cycle:
    audit_id = new_audit(rt, school)
    programme(rt, school, audit_id)
    ordered_and_started(rt, school, audit_id)
    return Cycle(audit_id, answer_all(rt, school, audit_id))


def plan_of_the_year(rt, school) -> int:
    """A small activity plan of the year, approved: 4 rows in 2 sections."""
    plan_id = create_artefact(rt, school["deputy"], school.id, "activity_plan", school_year=YEAR, today=PLAN_SENT)
    first = add_section(rt, plan_id, school["deputy"], "Оценка образовательных результатов", version=None)
    second = add_section(rt, plan_id, school["deputy"], "Оценка условий", version=None)
    rows = [(first.id, "Провести ВПР по графику", ["deputy"], "Апрель"),
            (first.id, "Проанализировать результаты ВПР", ["mo_head"], "Май"),
            (second.id, "Диагностика адаптации первоклассников", ["psychologist"], "Октябрь"),
            (second.id, "Мониторинг повышения квалификации", ["teacher"], "Декабрь")]
    for section_id, activity, logins, deadline in rows:
        add_item(rt, plan_id, school["deputy"], version=None, section_id=section_id,
                 fields={"activity": activity, "result": "Справка"}, responsible_logins=logins, deadline_text=deadline)
    fire(rt, plan_id, "send_to_council", school["deputy"], PLAN_SENT)
    fire(rt, plan_id, "adopt", school["secretary"], PLAN_COUNCIL, protocol_date=PLAN_COUNCIL.isoformat(), present=30,
         votes_for=30, votes_against=0, votes_abstained=0)
    fire(rt, plan_id, "approve", school["director"], PLAN_ORDER, order_date=PLAN_ORDER.isoformat(), responsible="deputy")
    return plan_id
