"""Year rollover: the plan of functioning of 2024/2025 (the project's plan of functioning,
`tests/data/plans.py`, built into a .docx by the test) lived through its year, closed, and copied
into 2025/2026 — deadlines read again in the new year, unfinished rows carried over and marked,
the old plan untouched.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.data.plans import FUNCTIONING
from tests.plan_files import build_docx
from vsoko_flow.deadlines.phrases import Schedule, parse_deadline
from vsoko_flow.models import Artefact, HistoryEntry, PlanItem, PlanSection
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services import plans
from vsoko_flow.services.plans import commit_import, rollover_plan, update_item
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.services.verify import verify_store

YEAR, NEXT_YEAR = "2024/2025", "2025/2026"
CARRIED = f"перенесено: не исполнено в {YEAR} учебном году"
# Every occurrence of these rows was accepted or cancelled; every other row has something left.
FINISHED = {"1.1", "1.3", "2.1"}


def fire(rt, artefact_id: int, trigger: str, actor: int, day: str, comment: str = "", **fields):
    return fire_transition(rt, artefact_id, trigger, actor, fields=fields, comment=comment,
                           today=dt.date.fromisoformat(day))


def items_of(rt, plan_id: int) -> dict[str, PlanItem]:
    with rt.sessions() as session:
        return {item.number: item for item in session.scalars(
            select(PlanItem).where(PlanItem.artefact_id == plan_id).order_by(PlanItem.position))}


def dues(item: PlanItem) -> list[dt.date]:
    return list(Schedule.from_dict(item.schedule).due_dates)


def draft_plan(rt, school) -> int:
    """The plan of functioning imported, the two rows without a known executor fixed."""
    plan_id = create_artefact(rt, school["deputy"], school.id, "vsoko_plan", school_year=YEAR,
                              today=dt.date(2024, 8, 20))
    commit_import(rt, plan_id, school["deputy"], build_docx(FUNCTIONING)[0], "Положение о ВСОКО.docx")
    items = items_of(rt, plan_id)
    update_item(rt, plan_id, items["3.1"].id, school["deputy"], version=None, responsible_logins=["director"])
    update_item(rt, plan_id, items["3.4"].id, school["deputy"], version=None, responsible_logins=["deputy"])
    return plan_id


def accept(rt, school, control_id: int, day: str) -> None:
    fire(rt, control_id, "report", school["deputy"], day, result="Исполнено", executed_on=day)
    fire(rt, control_id, "accept", school["director"], day)


@pytest.fixture
def lived_plan(rt, school) -> int:
    plan_id = draft_plan(rt, school)
    fire(rt, plan_id, "send_to_council", school["deputy"], "2024-08-26")
    fire(rt, plan_id, "adopt", school["secretary"], "2024-08-29", protocol_date="2024-08-29", present=30,
         votes_for=29, votes_against=0, votes_abstained=1)
    fire(rt, plan_id, "approve", school["director"], "2024-08-30", order_date="2024-08-30", responsible="deputy")
    with rt.sessions() as session:
        controls = {(c.fields["item_number"], c.due_date.isoformat()): c.id for c in session.scalars(
            select(Artefact).where(Artefact.parent_id == plan_id))}
    accept(rt, school, controls["1.1", "2024-12-31"], "2024-12-20")
    fire(rt, controls["1.1", "2025-06-30"], "cancel", school["deputy"], "2025-06-02",
         comment="Анализ включён в отчёт о самообследовании")
    accept(rt, school, controls["1.3", "2025-02-28"], "2025-02-25")
    accept(rt, school, controls["1.3", "2025-05-31"], "2025-05-27")
    accept(rt, school, controls["2.1", "2025-08-31"], "2025-08-28")
    accept(rt, school, controls["2.2", "2024-12-31"], "2024-12-25")  # its May occurrence stays open
    fire(rt, controls["3.3", "2025-06-30"], "report", school["deputy"], "2025-06-25", result="Аттестация",
         executed_on="2025-06-25")  # reported, never accepted: unfinished
    fire(rt, plan_id, "close", school["deputy"], "2025-08-31", report_date="2025-08-31")
    return plan_id


def snapshot(rt, plan_id: int) -> dict:
    """Everything the rollover must not touch in the old plan."""
    items = [(i.id, i.number, i.deadline_text, i.schedule, i.warnings, i.carried_over_from_id, i.responsible_logins)
             for i in items_of(rt, plan_id).values()]
    with rt.sessions() as session:
        plan = session.get(Artefact, plan_id)
        return {
            "plan": (plan.state, plan.version, plan.school_year, plan.title, dict(plan.fields)),
            "sections": session.execute(select(PlanSection.id, PlanSection.number, PlanSection.title)
                                        .where(PlanSection.artefact_id == plan_id).order_by(PlanSection.id)).all(),
            "items": items,
            "history": session.scalars(select(HistoryEntry.hash).where(HistoryEntry.artefact_id == plan_id)
                                       .order_by(HistoryEntry.sequence)).all(),
            "controls": session.execute(select(Artefact.id, Artefact.state, Artefact.version).where(
                Artefact.parent_id == plan_id).order_by(Artefact.id)).all(),
        }


def test_rollover_copies_the_plan_into_the_next_school_year(rt, school, lived_plan):
    before = snapshot(rt, lived_plan)
    new_id = rollover_plan(rt, lived_plan, school["deputy"], today=dt.date(2025, 8, 31))
    assert snapshot(rt, lived_plan) == before  # the old plan is unchanged
    with rt.sessions() as session:
        new = session.get(Artefact, new_id)
        assert (new.kind, new.state, new.school_year) == ("vsoko_plan", "draft", NEXT_YEAR)
        assert new.title == before["plan"][3]
        assert "order_number" not in new.fields and "protocol_number" not in new.fields
        assert session.scalars(select(Artefact).where(Artefact.parent_id == new_id)).all() == []
        sections = session.execute(select(PlanSection.number, PlanSection.title).where(
            PlanSection.artefact_id == new_id).order_by(PlanSection.position)).all()
        history = session.scalars(select(HistoryEntry.trigger).where(HistoryEntry.artefact_id == new_id)
                                  .order_by(HistoryEntry.sequence)).all()
    assert sections == [(number, title) for _, number, title in before["sections"]]
    assert history == ["create", "rollover"]
    old, copied = items_of(rt, lived_plan), items_of(rt, new_id)
    assert list(copied) == list(old)  # every row, in the same order
    first = copied["1.1"]
    assert first.deadline_text == "Декабрь, июнь (по итогам полугодий)"
    assert dues(old["1.1"]) == [dt.date(2024, 12, 31), dt.date(2025, 6, 30)]
    assert dues(first) == [dt.date(2025, 12, 31), dt.date(2026, 6, 30)]
    assert dues(copied["1.3"]) == [dt.date(2026, 2, 28), dt.date(2026, 5, 31)]  # «Февраль 9-е классы Май 10-е классы»
    assert dues(copied["3.2"]) == [dt.date(2025, 9, 30), dt.date(2026, 1, 31), dt.date(2026, 5, 31)]
    assert dues(copied["2.3"]) == [dt.date(2026, 5, 31)]  # «Сентябрь - май»
    for number, item in copied.items():
        if number in FINISHED:
            assert item.carried_over_from_id is None and CARRIED not in item.warnings, number
        else:
            assert item.carried_over_from_id == old[number].id and CARRIED in item.warnings, number
        assert item.fields == old[number].fields and item.responsible_logins == old[number].responsible_logins
    assert sum(1 for item in copied.values() if item.carried_over_from_id) == 15 - len(FINISHED)
    report = verify_store(rt)
    assert report.ok, report.problems


def test_the_new_draft_starts_its_own_life(rt, school, lived_plan):
    new_id = rollover_plan(rt, lived_plan, school["deputy"], today=dt.date(2025, 8, 31))
    fired = fire(rt, new_id, "send_to_council", school["deputy"], "2025-08-31")
    assert fired.to_state == "council_review"
    with rt.sessions() as session:
        assert session.get(Artefact, lived_plan).state == "closed"


def test_a_plan_never_executed_is_copied_without_marks(rt, school):
    plan_id = draft_plan(rt, school)
    new_id = rollover_plan(rt, plan_id, school["deputy"], today=dt.date(2025, 8, 31))
    copied = items_of(rt, new_id)
    assert len(copied) == 15 and not any(item.carried_over_from_id for item in copied.values())
    assert dues(copied["1.1"]) == [dt.date(2025, 12, 31), dt.date(2026, 6, 30)]


def test_a_deadline_with_an_explicit_year_is_flagged_after_rollover(rt, school):
    plan_id = draft_plan(rt, school)
    update_item(rt, plan_id, items_of(rt, plan_id)["1.6"].id, school["deputy"], version=None,
                deadline_text="Август 2025г")
    new_id = rollover_plan(rt, plan_id, school["deputy"], today=dt.date(2025, 8, 31))
    copied = items_of(rt, new_id)["1.6"]
    assert dues(copied) == [dt.date(2025, 8, 31)]  # an explicit year wins: before 2025/2026 began …
    assert any(w.startswith("срок:") and "2025/2026" in w for w in copied.warnings)  # … and must be shown


def test_a_failed_rollover_leaves_nothing_behind(rt, school, monkeypatch):
    plan_id = draft_plan(rt, school)
    calls = []

    def failing(text, school_year):  # the fifth row cannot be copied
        calls.append(text)
        if len(calls) == 5:
            raise RuntimeError("сбой при копировании строки")
        return parse_deadline(text, school_year)

    monkeypatch.setattr(plans, "parse_deadline", failing)
    with pytest.raises(RuntimeError):
        rollover_plan(rt, plan_id, school["deputy"], today=dt.date(2025, 8, 31))
    with rt.sessions() as session:
        assert session.scalars(select(Artefact.id).where(Artefact.school_year == NEXT_YEAR)).all() == []
