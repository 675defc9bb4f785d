"""Control items created in bulk by a plan's approval: the same rows and history as one by one,
chains that verify, a statement count that does not grow with the plan, all or nothing."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import event, func, select

from vsoko_flow.db import transaction
from vsoko_flow.engine import history
from vsoko_flow.engine.history import GENESIS_HASH, append_entry, entry_hash
from vsoko_flow.engine.registry import ACTIONS
from vsoko_flow.models import (Artefact, ArtefactAssignee, HistoryEntry, HistoryHead, JournalEntry, Membership, PlanItem,
                               StoredDocument, User)
from vsoko_flow.procedures import control
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.plans import commit_import
from vsoko_flow.services.transitions import fire_transition
from vsoko_flow.services.verify import verify_store

from .test_cli import run_vsoko

YEAR = "2024/2025"
DAY = dt.date(2024, 8, 30)
RESPONSIBLE = ["Заместитель директора по УВР", "Педагог-психолог", "Учитель физики", "Директор",
               "Заместитель директора по УВР, ИМЦ"]
DEADLINES = ["Декабрь, июнь", "Сентябрь", "Ежегодно до 30 ноября", "В течение учебного года", "Ежеквартально",
             "Согласно ВШК", "до 20 апреля"]


def plan_csv(rows: int) -> bytes:
    """A plan table of `rows` rows in sections of ten, with the phrases of real plans."""
    lines = ["№;Мероприятия;Ответственный;Срок исполнения"]
    for n in range(rows):
        if n % 10 == 0:
            lines.append(f"{n // 10 + 1}. Раздел плана № {n // 10 + 1};;;")
        lines.append(f"{n // 10 + 1}.{n % 10 + 1};Мониторинг качества, мероприятие {n + 1};"
                     f"{RESPONSIBLE[n % len(RESPONSIBLE)]};{DEADLINES[n % len(DEADLINES)]}")
    return "\n".join(lines).encode("utf-8")


def adopted_plan(rt, school, rows: int) -> int:
    plan_id = create_artefact(rt, school["deputy"], school.id, "activity_plan", school_year=YEAR,
                              today=dt.date(2024, 8, 20))
    commit_import(rt, plan_id, school["deputy"], plan_csv(rows), "План.csv")
    fire_transition(rt, plan_id, "send_to_council", school["deputy"], today=DAY)
    fire_transition(rt, plan_id, "adopt", school["secretary"], today=DAY, fields={
        "protocol_date": DAY.isoformat(), "present": 40, "votes_for": 40, "votes_against": 0, "votes_abstained": 0})
    return plan_id


def approve(rt, school, plan_id: int):
    return fire_transition(rt, plan_id, "approve", school["director"], today=DAY,
                           fields={"order_date": DAY.isoformat(), "responsible": "deputy"})


def add_one_by_one(session, definition, plan: Artefact, items: list[PlanItem], actor: User) -> None:
    """The reference: how control items were written before the bulk path — a flush per item and
    `append_entry` looking up each new chain's head."""
    users = dict(session.execute(select(User.login, User.id).join(Membership).where(
        Membership.organisation_id == plan.organisation_id)).all())
    for item in items:
        for due, period in control._occurrences(item):
            child = Artefact(kind=control.CONTROL_KIND, organisation_id=plan.organisation_id, state=definition.initial,
                             title=control._item_title(item), school_year=plan.school_year, parent_id=plan.id,
                             due_date=due, author_id=actor.id, fields=control._item_fields(item, period))
            session.add(child)
            session.flush()
            session.add_all([ArtefactAssignee(artefact_id=child.id, user_id=users[login])
                             for login in item.responsible_logins if login in users])
            session.add_all([ArtefactAssignee(artefact_id=child.id, external_name=name)
                             for name in item.external_executors])
            append_entry(session, child, actor, "create", "",
                         fields={"plan_item_id": item.id, "due_date": due.isoformat() if due else None})
    session.flush()


def children_written(session, plan_id: int, since_id: int = 0) -> list[dict]:
    """Every row written for the plan's control items, without ids and times (which differ by run)."""
    children = session.scalars(select(Artefact).where(Artefact.parent_id == plan_id, Artefact.id > since_id)
                               .order_by(Artefact.id)).all()
    written = []
    for child in children:
        entries = session.scalars(select(HistoryEntry).where(HistoryEntry.artefact_id == child.id)
                                  .order_by(HistoryEntry.sequence)).all()
        head = session.get(HistoryHead, child.id)
        assert head is not None and (head.sequence, head.hash) == (entries[-1].sequence, entries[-1].hash)
        assert all(entry.hash == entry_hash(entry) for entry in entries)
        written.append({
            "artefact": (child.kind, child.organisation_id, child.state, child.title, child.school_year,
                         child.due_date, child.author_id, child.fields, child.version),
            "assignees": sorted((a.user_id or 0, a.external_name) for a in session.scalars(
                select(ArtefactAssignee).where(ArtefactAssignee.artefact_id == child.id))),
            "history": [(e.sequence, e.actor_id, e.actor_name, e.trigger, e.from_state, e.to_state, e.comment,
                         e.fields, e.document_hashes, e.prev_hash == GENESIS_HASH) for e in entries],
        })
    return written


def test_bulk_writes_the_same_rows_and_history_as_one_by_one(rt, school):
    plan_id = adopted_plan(rt, school, 40)
    approve(rt, school, plan_id)
    with rt.sessions() as session:
        bulk = children_written(session, plan_id)
        plan = session.get(Artefact, plan_id)
        items = session.scalars(select(PlanItem).where(PlanItem.artefact_id == plan_id)
                                .order_by(PlanItem.position, PlanItem.id)).all()
        last_id = session.scalar(select(func.max(Artefact.id)))
        add_one_by_one(session, rt.definitions[control.CONTROL_KIND], plan, list(items), session.get(User, school["director"]))
        reference = children_written(session, plan_id, since_id=last_id)
        occurrences = sum(len(control._occurrences(item)) for item in items)
        session.rollback()
    assert len(bulk) == occurrences > 50  # «Декабрь, июнь» twice, «Ежеквартально» four times
    assert any(row["assignees"] == [(0, "ИМЦ"), (school["deputy"], "")] for row in bulk)
    assert bulk == reference


def test_bulk_created_chains_verify(rt, settings, school):
    plan_id = adopted_plan(rt, school, 30)
    approve(rt, school, plan_id)
    report = verify_store(rt)
    assert report.ok, report.problems
    with rt.sessions() as session:
        children = session.scalar(select(func.count()).select_from(Artefact).where(Artefact.parent_id == plan_id))
        meetings = session.scalar(select(func.count()).select_from(Artefact).where(Artefact.kind == "meeting"))
    assert children > 30 and report.artefacts == 1 + children + meetings  # the plan was adopted at a meeting
    result = run_vsoko(settings, "verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Целостность подтверждена:")


def statements(rt, run) -> int:
    counter = {"n": 0}

    def count(*_args) -> None:
        counter["n"] += 1

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
    return counter["n"]


def test_approval_statement_count_does_not_grow_with_the_plan(rt, school):
    small, large = adopted_plan(rt, school, 20), adopted_plan(rt, school, 200)
    approve(rt, school, adopted_plan(rt, school, 5))  # warm-up: caches and templates
    small_count = statements(rt, lambda: approve(rt, school, small))
    large_count = statements(rt, lambda: approve(rt, school, large))
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Artefact).where(Artefact.parent_id == large)) > 250
    assert large_count == small_count


def snapshot(rt) -> dict:
    with rt.sessions() as session:
        return {
            "artefacts": session.execute(select(Artefact.id, Artefact.state, Artefact.version)
                                         .order_by(Artefact.id)).all(),
            "assignees": session.scalar(select(func.count()).select_from(ArtefactAssignee)),
            "history": session.scalar(select(func.count()).select_from(HistoryEntry)),
            "heads": session.execute(select(HistoryHead.artefact_id, HistoryHead.sequence, HistoryHead.hash)
                                     .order_by(HistoryHead.artefact_id)).all(),
            "documents": session.scalar(select(func.count()).select_from(StoredDocument)),
            "journal": session.scalar(select(func.count()).select_from(JournalEntry)),
        }


def test_failure_in_the_middle_of_the_bulk_approval_leaves_nothing(rt, school, monkeypatch):
    plan_id = adopted_plan(rt, school, 30)
    before = snapshot(rt)
    real = control.write_first_entries

    def written_then_failing(session, entries):
        real(session, entries)
        session.flush()  # the children and their first entries and heads are in the database now
        raise RuntimeError("соединение с базой прервано")

    monkeypatch.setattr(control, "write_first_entries", written_then_failing)
    with pytest.raises(RuntimeError):
        approve(rt, school, plan_id)
    assert snapshot(rt) == before
    monkeypatch.undo()
    approve(rt, school, plan_id)  # and the plan can still be approved
    assert verify_store(rt).ok
