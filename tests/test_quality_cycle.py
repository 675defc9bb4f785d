"""The quality cycle of a school year at the service level, every step through the engine: an
internal audit with a checklist, three findings recorded in one click, causes, the
corrective-action plan through the council and the director's order, every action on control,
executed and accepted, checked for effectiveness by an independent person; one action found
«не эффективно» reopens its finding, a new action is planned, executed and checked; every
finding closes, the audit closes; the «Анализ функционирования ВСОКО» of the year counts it all
— and every figure of it is recomputed here, independently, from the raw rows."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections import Counter

from docx import Document
from sqlalchemy import select

from vsoko_flow.models import Artefact, ArtefactAssignee, HistoryEntry, PlanItem, StoredDocument, User
from vsoko_flow.services.artefacts import create_artefact, show_artefact
from vsoko_flow.services.meetings import create_meeting, record_agenda
from vsoko_flow.services.plans import add_item, add_section
from vsoko_flow.services.verify import verify_store

from .flows import docx_text
from .quality_flows import (
    ACCEPTED, CHECK_DUE, CHECKED, CLOSED, EXECUTED, EXECUTORS, NEW_ACCEPTED, NEW_CHECKED, NEW_EXECUTED, REVIEW_COUNCIL,
    REVIEW_DAY, REVIEW_ORDER, YEAR, Cycle, act_approved, analysed, approve_plan, artefact, audit_with_findings, check,
    children, corrective_plan, execute, fire, plan_of_the_year,
)

D = dt.date


def documents(rt, artefact_id: int, template: str) -> list[bytes]:
    with rt.sessions() as session:
        return list(session.scalars(select(StoredDocument.content).where(
            StoredDocument.artefact_id == artefact_id, StoredDocument.template_name == template)
            .order_by(StoredDocument.id)))


def year_of_plans(rt, school) -> tuple[int, int]:
    """The plan of the year executed unevenly, and a council meeting with two decisions."""
    plan_id = plan_of_the_year(rt, school)
    items = {i.title.split(" ", 1)[1]: i for i in children(rt, plan_id, "control_item")}
    execute(rt, school, items["Провести ВПР по графику"].id, "deputy", D(2025, 4, 20), D(2025, 4, 22))      # on time
    execute(rt, school, items["Диагностика адаптации первоклассников"].id, "psychologist", D(2024, 11, 12),
            D(2024, 11, 13))                                                                                 # late
    fire(rt, items["Мониторинг повышения квалификации"].id, "report", school["teacher"], D(2024, 12, 20),
         result="Справка", executed_on="2024-12-20")                                                         # on review
    # «Проанализировать результаты ВПР» (May) is never done: not executed on the review date.
    meeting_id = create_meeting(rt, school["secretary"], school.id, "pedsovet", D(2024, 11, 5))
    question = add_section(rt, meeting_id, school["secretary"], "Об итогах первой четверти", version=None)
    for text, login, deadline in (("Провести собеседования с учителями 5-х классов", "deputy", "Ноябрь"),
                                  ("Обновить график оценочных процедур", "mo_head", "Декабрь")):
        add_item(rt, meeting_id, school["secretary"], version=None, section_id=question.id, fields={"activity": text},
                 responsible_logins=[login], deadline_text=deadline)
    record_agenda(rt, meeting_id, school["secretary"], [{"title": "Об итогах первой четверти",
                                                          "heard": "Иванову И.И. — об итогах четверти",
                                                          "votes_for": 25, "votes_against": 0, "votes_abstained": 0}])
    fire(rt, meeting_id, "hold", school["secretary"], D(2024, 11, 5), present=25, chair="director")
    decisions = children(rt, meeting_id, "control_item")
    execute(rt, school, decisions[0].id, "deputy", D(2024, 11, 20), D(2024, 11, 21))
    return plan_id, meeting_id


def test_the_quality_cycle_of_a_year(rt, school):
    plan_id, meeting_id = year_of_plans(rt, school)

    # The audit: programme, order, checklist answered, three findings in one click, the act.
    cycle: Cycle = audit_with_findings(rt, school)
    assert len(cycle.findings) == 3
    findings = [artefact(rt, f) for f in cycle.findings]
    assert [f.fields["finding_type"] for f in findings] == ["nonconformity", "remark", "nonconformity"]
    assert all(f.state == "open" and f.parent_id == cycle.audit_id and f.fields["recurrence"] == 1 for f in findings)
    act_approved(rt, school, cycle.audit_id)
    audit = artefact(rt, cycle.audit_id)
    assert audit.state == "act_approved" and audit.fields["act_number"] == "1"
    act = docx_text(documents(rt, cycle.audit_id, "audit_act")[-1])
    assert "внутреннего аудита «Объективность оценочных процедур»" in act and "УТВЕРЖДАЮ" in act
    for finding in findings:
        assert f"№ {finding.id}" in act
    # The director has a certificate on file, but signed none of these: no e-signature mark is printed.
    order = docx_text(documents(rt, cycle.audit_id, "audit_order")[0])
    assert "ПРОГРАММА" in order and "Назначить руководителем группы аудиторов руководителя МО" in order
    assert all("ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ" not in text for text in (act, order))

    # Causes, the corrective-action plan through the council and the order.
    for finding_id in cycle.findings:
        analysed(rt, school, finding_id)
    plan = corrective_plan(rt, school, cycle)
    approve_plan(rt, school, plan)
    assert {artefact(rt, f).state for f in cycle.findings} == {"actions_in_progress"}
    actions = children(rt, plan, "control_item")
    assert len(actions) == 3 and all(a.due_date == D(2025, 4, 10) for a in actions)
    plan_doc = docx_text(documents(rt, plan, "corrective_plan_table")[-1])
    assert "Коренная причина: Порядок назначения наблюдателей не закреплён в локальном акте" in plan_doc
    assert "УТВЕРЖДЁН" in plan_doc

    # Every action executed by its executor and accepted by the deputy: a check each, due 30 days later,
    # given to the lead auditor (neither executor nor acceptor).
    for action, login in zip(actions, EXECUTORS.values()):
        execute(rt, school, action.id, login, EXECUTED, ACCEPTED)
    checks = [children(rt, a.id, "effectiveness_check")[0] for a in actions]
    assert all(c.due_date == CHECK_DUE for c in checks)
    with rt.sessions() as session:
        assignees = {session.scalar(select(User.login).join(ArtefactAssignee, ArtefactAssignee.user_id == User.id)
                                    .where(ArtefactAssignee.artefact_id == c.id)) for c in checks}
    assert assignees == {"mo_head"}
    assert {artefact(rt, f).state for f in cycle.findings} == {"effectiveness_check"}

    # Two effective, one not: that finding is reopened and gets a new action.
    check(rt, school, checks[0].id, CHECKED, "effective")
    check(rt, school, checks[1].id, CHECKED, "effective")
    fired = check(rt, school, checks[2].id, CHECKED, "not_effective")
    protocol = docx_text(documents(rt, checks[2].id, "effectiveness_protocol")[0])
    assert "Корректирующее действие результативно: нет" in protocol and fired.to_state == "checked"
    reopened = cycle.findings[2]
    assert artefact(rt, reopened).state == "reopened"
    fire(rt, reopened, "plan_new_action", school["deputy"], CHECKED, action_kind="corrective",
         activity="Закрепить в положении порядок назначения наблюдателей", responsible="teacher",
         deadline="до 20 мая", expected_result="Наблюдатели назначаются приказом на каждую процедуру")
    assert artefact(rt, reopened).state == "actions_in_progress"
    new_action = [a for a in children(rt, plan, "control_item") if a.id not in {x.id for x in actions}]
    assert len(new_action) == 1 and new_action[0].due_date == D(2025, 5, 20)
    execute(rt, school, new_action[0].id, "teacher", NEW_EXECUTED, NEW_ACCEPTED)
    (new_check,) = children(rt, new_action[0].id, "effectiveness_check")
    check(rt, school, new_check.id, NEW_CHECKED, "effective")

    # Every finding closes after its checks; then the audit closes.
    for finding_id in cycle.findings:
        fire(rt, finding_id, "close", school["deputy"], CLOSED, closed_on=CLOSED.isoformat())
    fire(rt, cycle.audit_id, "close", school["deputy"], CLOSED, closed_on=CLOSED.isoformat())
    assert artefact(rt, cycle.audit_id).state == "closed"

    # Traceability, both ways: from the audit to the check and back.
    trace = {(link["relation"], link["id"]) for link in show_artefact(rt, new_check.id, school["deputy"])["trace"]}
    assert ("action", new_action[0].id) in trace and ("finding", reopened) in trace and ("audit", cycle.audit_id) in trace
    back = {(link["relation"], link["id"]) for link in show_artefact(rt, cycle.audit_id, school["deputy"])["trace"]}
    assert {("finding", f) for f in cycle.findings} <= back and ("corrective_plan", plan) in back

    # The yearly review: one decision of its own, figures computed on the council's day.
    review_id = create_artefact(rt, school["deputy"], school.id, "annual_review", school_year=YEAR, today=REVIEW_DAY)
    section = add_section(rt, review_id, school["deputy"], "Меры по совершенствованию ВСОКО", version=None)
    add_item(rt, review_id, school["deputy"], version=None, section_id=section.id,
             fields={"activity": "Включить в план аудит назначения наблюдателей", "result": "Акт аудита"},
             responsible_logins=["deputy"], deadline_text="Октябрь")
    fire(rt, review_id, "send_to_council", school["deputy"], REVIEW_DAY, report_date=REVIEW_DAY.isoformat())
    figures = artefact(rt, review_id).fields["figures"]
    assert figures == independent_figures(rt, school.id, REVIEW_DAY)
    expected = {"plans/all": 4, "plans/on_time": 1, "plans/late": 1, "plans/on_review": 1, "plans/not_executed": 1,
                "findings/all": 3, "findings/results/significant": 2, "findings/results/minor": 1,
                "recurrence/first": 3, "actions/all": 4, "actions/on_time": 3, "actions/late": 1,
                "checks/done": 4, "checks/effective": 3, "checks/not_effective": 1,
                "council/all": 2, "council/on_time": 1, "council/not_executed": 1, "council/meetings": 1,
                "audits/all": 1, "audits/closed": 1}
    assert {key: figures.get(key, 0) for key in expected} == expected
    review_doc = documents(rt, review_id, "annual_review")[0]
    text = docx_text(review_doc)
    assert "результативность действий — 75,0 %" in text
    assert "Включить в план аудит назначения наблюдателей" in text
    assert_charts_in_docx(review_doc, 4)

    fire(rt, review_id, "adopt", school["secretary"], REVIEW_COUNCIL, protocol_date=REVIEW_COUNCIL.isoformat(),
         present=30, votes_for=28, votes_against=0, votes_abstained=2)
    fire(rt, review_id, "approve", school["director"], REVIEW_ORDER, order_date=REVIEW_ORDER.isoformat(),
         responsible="deputy")
    next_plan = artefact(rt, artefact(rt, review_id).fields["next_plan_id"])
    assert next_plan.kind == "activity_plan" and next_plan.school_year == "2025/2026" and next_plan.state == "draft"
    with rt.sessions() as session:
        rows = session.scalars(select(PlanItem).where(PlanItem.artefact_id == next_plan.id)
                               .order_by(PlanItem.position)).all()
        texts = [(r.number, r.fields.get("activity"), r.carried_over_from_id is not None) for r in rows]
    assert texts == [("1.1", "Проанализировать результаты ВПР", True),
                     ("1.2", "Мониторинг повышения квалификации", True),
                     ("2.1", "Включить в план аудит назначения наблюдателей", False)]
    assert verify_store(rt).ok


def assert_charts_in_docx(data: bytes, count: int) -> None:
    """The charts are real PNG pictures in the document's body (not lost as InlineImage can be)."""
    package = zipfile.ZipFile(io.BytesIO(data))
    pictures = [n for n in package.namelist() if n.startswith("word/media/") and n.endswith(".png")]
    charts = [n for n in pictures if package.read(n)[:8] == b"\x89PNG\r\n\x1a\n" and len(package.read(n)) > 5000]
    assert len(charts) >= count, pictures
    body = Document(io.BytesIO(data)).element.body
    blips = body.xpath(".//a:blip/@r:embed")
    assert len(blips) >= count + 1  # the charts and the QR code, each placed in the body


def independent_figures(rt, organisation_id: int, report_date: dt.date, school_year: str = YEAR) -> dict[str, int]:
    """Every figure of the review counted again from the raw rows, without the review's code."""
    counts: Counter = Counter()
    with rt.sessions() as session:
        year = [a for a in session.scalars(select(Artefact).where(Artefact.organisation_id == organisation_id))
                if a.school_year == school_year]
        by_id = {a.id: a for a in year}
        reported = {}
        for entry in session.scalars(select(HistoryEntry).where(HistoryEntry.trigger == "report")
                                     .order_by(HistoryEntry.sequence)):
            reported[entry.artefact_id] = dt.date.fromisoformat(entry.fields["executed_on"])
        sections = {i.id: i.section_id for i in session.scalars(select(PlanItem))}
    groups = {"activity_plan": "plans", "corrective_plan": "actions", "meeting": "council"}
    for item in (a for a in year if a.kind == "control_item"):
        parent = by_id[item.parent_id]
        if parent.state in ("draft", "withdrawn"):
            continue
        group = groups[parent.kind]
        if item.state == "accepted":
            outcome = "late" if item.due_date and reported[item.id] > item.due_date else "on_time"
        elif item.state == "reported":
            outcome = "on_review"
        elif item.state == "cancelled":
            outcome = "cancelled"
        else:
            outcome = "not_due" if item.due_date and item.due_date >= report_date else "not_executed"
        keys = [f"{group}/{outcome}", f"{group}/all"]
        if group == "plans":
            section = sections[item.fields["plan_item_id"]] or 0
            keys += [f"plan/{parent.id}/{outcome}", f"plan/{parent.id}/all", f"plan/{parent.id}/{section}/{outcome}",
                     f"plan/{parent.id}/{section}/all"]
        counts.update(keys)
    counts["council/meetings"] = sum(1 for a in year if a.kind == "meeting" and a.state not in ("draft", "withdrawn"))
    for audit in (a for a in year if a.kind == "audit"):
        counts.update(["audits/all"] + (["audits/closed"] if audit.state == "closed" else []))
    for finding in (a for a in year if a.kind == "finding"):
        f = finding.fields
        counts.update(["findings/all", f"findings/{f['area']}/{f['severity']}", f"findings/type/{f['finding_type']}",
                       "recurrence/repeat" if f["recurrence"] > 1 else "recurrence/first"])
    for one in (a for a in year if a.kind == "effectiveness_check"):
        if one.state == "checked":
            counts.update([f"checks/{one.fields['result']}", "checks/done"])
        else:
            counts.update(["checks/pending"])
    return {key: value for key, value in sorted(counts.items()) if value}
