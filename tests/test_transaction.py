"""The transition transaction: all or nothing, and safe under concurrency."""
from __future__ import annotations

import shutil
import threading
from dataclasses import replace

import pytest
from docx import Document
from sqlalchemy import func, select

from vsoko_flow.engine.registry import ACTIONS
from vsoko_flow.models import Artefact, HistoryEntry, Journal, JournalCounter, JournalEntry, StoredDocument
from vsoko_flow.services.artefacts import create_artefact
from vsoko_flow.services.errors import Conflict, ServiceError, Unprocessable
from vsoko_flow.services.runtime import Runtime
from vsoko_flow.services.transitions import fire_transition

from .flows import COUNCIL_DAY, ORDER_DAY, adopt, approve, new_draft, record_opinions, take_to_force

SHORT_TEXT = "1. Общие положения\n1.1. Положение определяет порядок работы.\n2. Заключение\n2.1. Вступает в силу с даты приказа."


def snapshot(rt) -> dict:
    """Everything a transition may write, counted."""
    with rt.sessions() as session:
        return {
            "states": dict(session.execute(select(Artefact.id, Artefact.state)).all()),
            "versions": dict(session.execute(select(Artefact.id, Artefact.version)).all()),
            "history": session.scalar(select(func.count()).select_from(HistoryEntry)),
            "documents": session.scalar(select(func.count()).select_from(StoredDocument)),
            "journal": session.scalar(select(func.count()).select_from(JournalEntry)),
            "counters": dict(session.execute(select(JournalCounter.id, JournalCounter.last_number)).all()),
        }


def adopted_new_edition(rt, school) -> int:
    first_id, _ = take_to_force(rt, school)
    second_id = new_draft(rt, school, supersedes=first_id)
    record_opinions(rt, school, second_id)
    adopt(rt, school, second_id)
    return second_id


def test_failing_action_after_numbering_and_superseding_leaves_nothing(rt, school, monkeypatch):
    second_id = adopted_new_edition(rt, school)
    before = snapshot(rt)

    def explode(ctx, **params):
        raise RuntimeError("диск переполнен")

    monkeypatch.setitem(ACTIONS, "set_deadlines", replace(ACTIONS["set_deadlines"], func=explode))
    with pytest.raises(RuntimeError):
        approve(rt, school, second_id, day=ORDER_DAY.replace(month=9, day=1))
    assert snapshot(rt) == before  # the old edition is still in force, no number was used


def _templates_with_broken(tmp_path, name: str, text: str):
    from vsoko_flow.config import PROJECT_ROOT

    folder = tmp_path / "templates"
    shutil.copytree(PROJECT_ROOT / "document_templates", folder)
    document = Document()
    document.add_paragraph(text)
    document.save(folder / f"{name}.docx")
    return folder


@pytest.mark.parametrize("broken", ["{{ people | no_such_filter }}", "{% for x in people %}{{ x.n }"])
def test_template_failing_to_render_rolls_back_the_whole_approval(rt, school, settings, tmp_path, broken):
    second_id = adopted_new_edition(rt, school)
    before = snapshot(rt)
    broken_rt = Runtime(settings=replace(settings, templates_dir=_templates_with_broken(
        tmp_path, "acquaintance_sheet", broken)), engine=rt.engine)
    with pytest.raises(Unprocessable) as failure:
        approve(broken_rt, school, second_id, day=ORDER_DAY.replace(month=9, day=1))
    assert "acquaintance_sheet" in failure.value.message
    assert snapshot(rt) == before


def test_parallel_approvals_of_one_artefact_let_exactly_one_through(rt, school):
    artefact_id = new_draft(rt, school, affects_students=False)
    adopt(rt, school, artefact_id)
    with rt.sessions() as session:
        version = session.get(Artefact, artefact_id).version
    outcomes = run_in_threads(20, lambda _i: fire_transition(
        rt, artefact_id, "approve", school["director"], version=version,
        fields={"order_date": ORDER_DAY.isoformat(), "responsible": "deputy"}, today=ORDER_DAY))
    assert sum(1 for o in outcomes if not isinstance(o, Exception)) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if isinstance(o, Exception))
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(JournalEntry).join(JournalEntry.journal)
                              .where(JournalEntry.artefact_id == artefact_id, Journal.code == "orders")) == 1
        assert session.get(Artefact, artefact_id).state == "in_force"


def test_parallel_approvals_of_fifty_acts_get_fifty_consecutive_numbers(rt, school):
    ids = []
    for n in range(50):
        artefact_id = create_artefact(rt, school["deputy"], school.id, "polozhenie", title=f"Положение № {n + 1}",
                                      fields={"affects_students": False}, sections_text=SHORT_TEXT, today=COUNCIL_DAY)
        adopt(rt, school, artefact_id)
        ids.append(artefact_id)
    outcomes = run_in_threads(50, lambda i: approve(rt, school, ids[i]))
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    with rt.sessions() as session:
        orders = session.scalars(select(JournalEntry).join(JournalEntry.journal)
                                 .where(JournalEntry.artefact_id.in_(ids), Journal.code == "orders")).all()
        numbers = sorted(o.sequence for o in orders)
        artefact_numbers = {a.fields["order_number"] for a in session.scalars(
            select(Artefact).where(Artefact.id.in_(ids)))}
    assert numbers == list(range(1, 51))
    assert len(artefact_numbers) == 50


def run_in_threads(count: int, work) -> list:
    """Start `count` threads at once (a barrier), return each one's result or exception."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def runner(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = work(index)
        except (ServiceError, Exception) as exc:  # noqa: BLE001 - the test inspects them
            outcomes[index] = exc

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return outcomes
